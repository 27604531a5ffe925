"""What the bad-input checks cost (issue 16), and the one place where a check would cost speed.

    flock -x /tmp/lmkeras-cpu.lock python benchmarks/bench_checks.py [--tokens 100] [--repeats 5]

On chapter 08's character GPT (4 layers, width 128, context 128, 65 ids; untrained, greedy),
each timing the median of `--repeats` runs after a warm-up run:

1. `gpt_generate`, the compiled token loop, as it is (it carries a NaN flag: one reduction over
   the logits per token, checked once after the loop) and the same loop without the flag.
2. `sampling.generate(gpt_step_fn(model))`, the Python token loop, with `GreedySampler` (which
   reads three flags per token to refuse NaN logits by name) and with a bare argmax. A check of
   every token's values *inside* the compiled loop would need this Python loop instead: its
   cost is the gap between 1 and 2.
3. A compiled forward pass (`predict_on_batch`, 32 × 128 ids) with and without an in-graph id
   range check, the check `model.predict` would need (it cannot raise under XLA, only poison the
   logits with NaN). The package checks ids where they enter instead (datasets, trainers, step
   functions, generators), once, in NumPy.
"""

from __future__ import annotations

import argparse
import statistics
import time

import keras
import numpy as np
from keras import ops

from lmkeras.backend import compile_step
from lmkeras.models import gpt
from lmkeras.recipes.char_gpt import CHAR_MODEL
from lmkeras.sampling import GreedySampler, generate


def _median_seconds(call, repeats):
    call()  # compile / warm up
    times = []
    for _ in range(repeats):
        tic = time.perf_counter()
        ops.convert_to_numpy(call())
        times.append(time.perf_counter() - tic)
    return statistics.median(times)


def _loop_without_flag(model, prompt_len, total):
    """`gpt_generate`'s compiled greedy loop as it was before the NaN flag (for comparison)."""
    parts = gpt.gpt_parts(model)
    forward, empty = gpt._cached_forward(parts, total)

    def run(prompt):
        ids = ops.pad(prompt, [[0, 0], [0, total - prompt_len]])
        logits, caches = forward(prompt, empty(ops.shape(prompt)[0]), 0)

        def body(i, carry):
            ids, logits, caches = carry
            position = ops.cast(prompt_len + i, "int32")
            new = ops.cast(ops.argmax(logits, axis=-1), "int32")
            ids = ops.slice_update(ids, [ops.zeros((), "int32"), position], new[:, None])
            logits, caches = forward(new[:, None], caches, position)
            return ids, logits, caches

        return ops.fori_loop(0, total - prompt_len, body, (ids, logits, caches))[0]

    return compile_step(run, model)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    keras.utils.set_random_seed(0)
    model = gpt.build_gpt(65, **CHAR_MODEL)
    prompt = np.random.default_rng(0).integers(0, 65, (1, 8)).astype("int32")
    total = prompt.shape[1] + args.tokens

    flagged = _median_seconds(
        lambda: gpt.gpt_generate(model, prompt, args.tokens, seed=0), args.repeats
    )
    plain_loop = _loop_without_flag(model, prompt.shape[1], total)
    plain = _median_seconds(lambda: plain_loop(ops.convert_to_tensor(prompt)), args.repeats)
    step = gpt.gpt_step_fn(model)
    checked_py = _median_seconds(
        lambda: generate(step, prompt, args.tokens, GreedySampler()), args.repeats
    )

    def argmax(logits, seed=None):
        return ops.argmax(logits, axis=-1)

    bare_py = _median_seconds(lambda: generate(step, prompt, args.tokens, argmax), args.repeats)
    per_token = lambda seconds: 1000 * seconds / args.tokens  # noqa: E731
    print(
        f"{keras.backend.backend()} backend, {args.tokens} greedy tokens, median of {args.repeats}"
    )
    print(
        f"1. compiled loop (gpt_generate) with the NaN flag: {per_token(flagged):.2f} ms/token; "
        f"without: {per_token(plain):.2f} ms/token ({100 * (flagged / plain - 1):+.1f}%)"
    )
    print(
        f"2. Python loop (sampling.generate), GreedySampler with its NaN check: "
        f"{per_token(checked_py):.2f} ms/token; bare argmax: {per_token(bare_py):.2f} ms/token "
        f"({100 * (checked_py / bare_py - 1):+.1f}%); a per-token check inside the compiled "
        f"loop would cost the Python loop: {checked_py / flagged:.1f}× the compiled loop's time"
    )

    ids = np.random.default_rng(1).integers(0, 65, (32, CHAR_MODEL["sequence_length"]))
    inputs = keras.Input((None,), dtype="int32")
    outside = ops.logical_or(ops.less(inputs, 0), ops.greater_equal(inputs, 65))
    poison = ops.where(ops.any(outside), float("nan"), 0.0)
    checked_model = keras.Model(inputs, model(inputs) + poison)
    for m in (model, checked_model):
        m.compile(jit_compile=keras.backend.backend() != "torch")
    forward = _median_seconds(lambda: model.predict_on_batch(ids), args.repeats)
    forward_checked = _median_seconds(lambda: checked_model.predict_on_batch(ids), args.repeats)
    print(
        f"3. compiled forward of 32 × {ids.shape[1]} ids: {1000 * forward:.1f} ms; with an "
        f"in-graph id check: {1000 * forward_checked:.1f} ms "
        f"({100 * (forward_checked / forward - 1):+.1f}%)"
    )


if __name__ == "__main__":
    main()
