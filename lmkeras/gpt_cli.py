"""Train and sample a character-level GPT from the command line (chapter 08 without the notebook).

    python -m lmkeras.gpt_cli train --minutes 10 --out model.keras
    python -m lmkeras.gpt_cli sample model.keras --prompt "ROMEO:" --top-p 0.9

`train` reads tiny Shakespeare (or `--corpus FILE`, any UTF-8 text), trains the chapter-08 recipe
for a wall-clock budget with a progress bar, prints the validation loss, and writes `model.keras`
plus the tokenizer's vocabulary next to it (`model.keras.vocab.json`). `sample` loads both in a
fresh process and generates with the sampler the flags choose: when prompt + new characters fit
the model's context, with the compiled KV-cache loop (`gpt_generate`); beyond it, with
`sampling.generate`, which slides the context.
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, received {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, received {text!r}")
    return value


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, received {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer ≥ 1, received {text!r}")
    return value


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m lmkeras.gpt_cli", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train a character-level GPT for a time budget")
    train.add_argument("--corpus", default="shakespeare", help="'shakespeare' or a text file")
    train.add_argument("--minutes", type=_positive_float, default=10.0, help="training budget")
    train.add_argument("--out", required=True, help="where to write the .keras model")
    train.add_argument("--layers", type=_positive_int, help="decoder blocks (recipe: 4)")
    train.add_argument("--heads", type=_positive_int, help="attention heads (recipe: 4)")
    train.add_argument("--width", type=_positive_int, help="model width (recipe: 128)")
    train.add_argument("--context", type=_positive_int, help="sequence length (recipe: 128)")
    train.add_argument("--batch-size", type=_positive_int, help="windows per step (recipe: 32)")
    train.add_argument("--learning-rate", type=_positive_float, help="peak AdamW rate (3e-3)")
    train.add_argument("--seed", type=int, default=42)
    sample = commands.add_parser("sample", help="generate text from a trained model")
    sample.add_argument("model", help="a .keras file written by `train`")
    sample.add_argument("--prompt", default="\n", help="text to continue")
    sample.add_argument("--tokens", type=_positive_int, default=200, help="new characters")
    group = sample.add_mutually_exclusive_group()
    group.add_argument("--top-p", type=float, help="nucleus sampling with this p in (0, 1]")
    group.add_argument("--top-k", type=int, help="sample among the k most likely")
    group.add_argument("--greedy", action="store_true", help="always the most likely")
    sample.add_argument("--temperature", type=_positive_float, default=1.0)
    sample.add_argument("--seed", type=int, default=None)
    return parser


def _train(args, parser):
    if args.corpus == "shakespeare":
        text = None
    elif os.path.isfile(args.corpus):
        with open(args.corpus, encoding="utf-8") as handle:
            text = handle.read()
    else:
        parser.error(
            f"--corpus must be 'shakespeare' or an existing text file; received {args.corpus!r}"
        )
    if not args.out.endswith(".keras"):
        parser.error(f"--out must end in .keras; received {args.out!r}")
    import keras

    from lmkeras.recipes.char_gpt import CharGPTConfig, train_char_gpt

    keras.utils.set_random_seed(args.seed)
    changes = {key: value for key, value in (
        ("num_layers", args.layers), ("num_heads", args.heads), ("hidden_dim", args.width),
        ("sequence_length", args.context), ("batch_size", args.batch_size),
        ("learning_rate", args.learning_rate)) if value is not None}  # fmt: skip
    try:
        config = CharGPTConfig().replace(**changes)
        run = train_char_gpt(args.minutes * 60, text, config, verbose=1)
    except ValueError as error:  # bad hyperparameters or a corpus too short: say which
        parser.error(str(error))
    run["model"].save(args.out)
    with open(args.out + ".vocab.json", "w", encoding="utf-8") as handle:
        json.dump(run["tokenizer"].get_config(), handle)
    final = run["final"]
    print(f"validation loss {final['val_loss']:.3f} nats/char after {final['steps']} steps "
          f"({final['tokens_per_second']:.0f} tokens/s); saved {args.out}")  # fmt: skip


def _sample(args, parser):
    vocab_path = args.model + ".vocab.json"
    for path in (args.model, vocab_path):
        if not os.path.isfile(path):
            parser.error(
                f"{path!r} does not exist; write it with `python -m lmkeras.gpt_cli train`"
            )
    import keras
    import numpy as np

    from lmkeras import sampling
    from lmkeras.models.gpt import gpt_generate, gpt_parts, gpt_step_fn
    from lmkeras.text import CharTokenizer

    with open(vocab_path, encoding="utf-8") as handle:
        tokenizer = CharTokenizer(**json.load(handle))
    try:
        prompt = tokenizer.encode(args.prompt)[None, :]
        if args.greedy:
            sampler = sampling.GreedySampler()
        elif args.top_k is not None:
            sampler = sampling.TopKSampler(args.top_k, temperature=args.temperature)
        elif args.top_p is not None:
            sampler = sampling.TopPSampler(args.top_p, temperature=args.temperature)
        else:
            sampler = sampling.TemperatureSampler(args.temperature)
        if prompt.shape[1] == 0:
            raise ValueError("--prompt must hold at least one character")
    except ValueError as error:
        parser.error(str(error))
    model = keras.saving.load_model(args.model)
    length = gpt_parts(model).sequence_length
    if length is not None and prompt.shape[1] > length:
        parser.error(f"--prompt holds {prompt.shape[1]} characters, more than the model's "
                     f"context of {length}")  # fmt: skip
    if length is None or prompt.shape[1] + args.tokens <= length:
        ids = gpt_generate(model, prompt, args.tokens, sampler, seed=args.seed)
    else:
        ids = sampling.generate(gpt_step_fn(model), prompt, args.tokens, sampler, seed=args.seed)
    print(tokenizer.decode(np.asarray(keras.ops.convert_to_numpy(ids))[0]))


def main(argv=None):
    """Entry point of `python -m lmkeras.gpt_cli` (and the `lmkeras-gpt` script)."""
    parser = _parser()
    args = parser.parse_args(argv)
    (_train if args.command == "train" else _sample)(args, parser)


if __name__ == "__main__":
    sys.exit(main())
