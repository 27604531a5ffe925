"""Benchmark of the chapter-04 character LM (LSTM or GRU) on tiny Shakespeare.

Prints, for each cell type, measured in one run on this machine:
- training throughput (characters/s) and the validation loss reached after a wall-clock budget,
  through `lmkeras.training.train_char_lm` — the very function chapter 04's full mode calls
  with a 600-second budget;
- generation speed with the carried recurrent state (`rnn_step_fn`) versus re-running the whole
  prefix for every new character (`sampling.prefix_step_fn`), and their ratio.

Run it alone on the machine (the course holds an exclusive lock for timings):

    LMKERAS_DATA_DIR=../shared/data python benchmarks/bench_char_lstm.py --seconds 60
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
from keras import ops  # noqa: E402

from lmkeras import config, data, metrics, sampling  # noqa: E402
from lmkeras.models.rnn import rnn_step_fn  # noqa: E402
from lmkeras.recipes.char_lm import CharLMConfig, train_char_lm  # noqa: E402


def generation_seconds(step_fn, prompt, new_tokens: int) -> float:
    """Wall time of greedy generation of `new_tokens` after one warm-up call."""
    sampling.generate(step_fn, prompt, 2, sampling.GreedySampler())  # warm-up (tracing)
    start = time.perf_counter()
    out = sampling.generate(step_fn, prompt, new_tokens, sampling.GreedySampler())
    ops.convert_to_numpy(out)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="training budget per cell")
    parser.add_argument(
        "--shapes",
        nargs="+",
        default=["lstm:256", "gru:256", "gru:384"],
        help="cell:units pairs to measure side by side (chapter 04 trains gru:384)",
    )
    parser.add_argument("--prompt", type=int, default=100, help="prompt length (characters)")
    parser.add_argument("--new", type=int, default=200, help="characters to generate")
    args = parser.parse_args()

    text = data.load_shakespeare()
    train_text, val_text = data.split_text(text, 0.1)
    env = config.environment_report()
    print(f"keras {env['keras']} ({env['backend']}), {os.cpu_count()} CPUs, gpus={env['gpus']}")
    print(f"budget {args.seconds:.0f} s per cell; batch 64 x 100 characters\n")
    header = (
        f"{'cell':<5} {'units':>5} {'steps':>6} {'train chars/s':>13} {'val loss':>8} "
        f"{'val ppl':>7} {'gen carried':>11} {'gen prefix':>10} {'ratio':>6}"
    )
    print(header)
    for shape in args.shapes:
        cell, units = shape.split(":")
        run = train_char_lm(
            train_text, val_text, args.seconds, CharLMConfig(cell=cell, units=int(units))
        )
        keras.utils.set_random_seed(0)
        prompt = run.tokenizer.encode(val_text[: args.prompt])[None, :]
        carried = generation_seconds(rnn_step_fn(run.model), prompt, args.new)
        rerun = generation_seconds(sampling.prefix_step_fn(run.model), prompt, args.new)
        print(
            f"{cell:<5} {units:>5} {run.steps:>6} {run.tokens_per_second:>13,.0f} "
            f"{run.final_val_loss:>8.3f} {metrics.perplexity(run.final_val_loss):>7.2f} "
            f"{args.new / carried:>9.0f}/s {args.new / rerun:>8.0f}/s {rerun / carried:>5.1f}x",
            flush=True,
        )
    print(
        f"\ngeneration: greedy, batch 1, {args.prompt}-character prompt, {args.new} new "
        "characters; 'ratio' = prefix re-run time / carried-state time"
    )


if __name__ == "__main__":
    main()
