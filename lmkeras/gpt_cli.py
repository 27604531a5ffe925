"""Train and sample a character-level GPT from the command line (chapter 08 without the notebook).

    lmkeras-gpt train --minutes 10 --out model.keras      (or python -m lmkeras.gpt_cli ...)
    lmkeras-gpt sample model.keras --prompt "ROMEO:" --top-p 0.9

`train` reads tiny Shakespeare (or `--corpus FILE`, any UTF-8 text), trains the chapter-08 recipe
for a wall-clock budget with a progress bar, prints the validation loss beside what counting
letters scores, and writes `model.keras` (weights only; `--with-optimizer` keeps AdamW's state
too, for resuming) plus the tokenizer's vocabulary next to it (`model.keras.vocab.json`).
`sample` loads both in a fresh process and generates with the sampler the flags choose, with
the compiled KV-cache loop (`gpt_generate`), which slides the context past its end, and keeps
that loop compiled on disk (`--compile-cache`) for the next run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys

# The recipe's names for the hyperparameters the flags set, so a refusal names the flag.
FLAGS = {"num_layers": "--layers", "num_heads": "--heads", "hidden_dim": "--width",
         "sequence_length": "--context", "batch_size": "--batch-size",
         "learning_rate": "--learning-rate", "seconds": "--minutes"}  # fmt: skip


class _Parser(argparse.ArgumentParser):
    """argparse whose refusals are one line, `lmkeras-gpt: error: ...`, with exit code 2."""

    def error(self, message):
        message = " ".join(str(message).split())  # one line, whatever the message held
        self.exit(2, f"lmkeras-gpt: error: {message} (see --help)\n")


def _number(text, low, high=math.inf, low_open=True, what="a number > 0"):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, received {text!r}") from None
    above = value > low if low_open else value >= low
    if not (math.isfinite(value) and above and value <= high):
        raise argparse.ArgumentTypeError(f"expected {what}, received {text!r}")
    return value


def _positive_float(text):
    return _number(text, 0.0, what="a finite number > 0")


def _probability(text):
    return _number(text, 0.0, 1.0, what="a number in (0, 1]")


def _integer(text, minimum):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, received {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected an integer ≥ {minimum}, received {text!r}")
    return value


def _positive_int(text):
    return _integer(text, 1)


def _seed(text):
    return _integer(text, 0)


def _parser():
    parser = _Parser(prog="lmkeras-gpt", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser(
        "train", help="train a character-level GPT for a time budget",
        description="Train chapter 08's character GPT for a wall-clock budget. The first "
        "steps compile the model (XLA), about 10-20 s on a 2-core CPU, inside the budget: "
        "budgets under a minute are mostly compilation and warm-up.",
    )  # fmt: skip
    train.add_argument(
        "--corpus", default="shakespeare", help="'shakespeare' or a UTF-8 text file "
        "(default: %(default)s)",
    )  # fmt: skip
    train.add_argument(
        "--minutes", type=_positive_float, default=10.0,
        help="training budget, compilation included (default: %(default)s)",
    )  # fmt: skip
    train.add_argument("--out", required=True, help="where to write the .keras model")
    train.add_argument(
        "--recipe", choices=("modern", "baseline"), default="modern",
        help="'modern': rotary positions, RMSNorm, QK-norm, ReLU², Muon, residual dropout "
        "(chapter 08); "
        "'baseline': GPT-2's architecture with AdamW (default: %(default)s)",
    )  # fmt: skip
    train.add_argument("--with-optimizer", action="store_true",
                       help="also save the optimizer's state (to resume training; twice the "
                       "file size)")  # fmt: skip
    train.add_argument("--layers", type=_positive_int, help="decoder blocks (recipe: 4)")
    train.add_argument("--heads", type=_positive_int, help="attention heads (recipe: 4)")
    train.add_argument("--width", type=_positive_int, help="model width (recipe: 128)")
    train.add_argument("--context", type=_positive_int, help="sequence length (recipe: 128)")
    train.add_argument("--batch-size", type=_positive_int, help="windows per step (recipe: 32)")
    train.add_argument("--learning-rate", type=_positive_float,
                       help="peak learning rate (recipe: 6e-3 modern, 3e-3 baseline)")  # fmt: skip
    train.add_argument(
        "--seed", type=_seed, default=42,
        help="seed of the initial weights and batches (default: %(default)s)",
    )  # fmt: skip
    sample = commands.add_parser("sample", help="generate text from a trained model")
    sample.add_argument("model", help="a .keras file written by `train`")
    sample.add_argument("--prompt", default="\n", help="text to continue (default: a newline)")
    sample.add_argument("--tokens", type=_positive_int, default=200,
                        help="new characters (default: %(default)s)")  # fmt: skip
    group = sample.add_mutually_exclusive_group()
    group.add_argument("--top-p", type=_probability, help="nucleus sampling with this p in (0, 1]")
    group.add_argument("--top-k", type=_positive_int, help="sample among the k most likely")
    group.add_argument("--greedy", action="store_true", help="always the most likely")
    sample.add_argument("--temperature", type=_positive_float, default=1.0,
                        help="divide the logits by this before sampling: < 1 is safer, > 1 "
                        "more surprising; ignored by --greedy (default: %(default)s)")  # fmt: skip
    sample.add_argument(
        "--seed", type=_seed, default=None,
        help="make the sample reproducible (default: a fresh one each run)",
    )  # fmt: skip
    sample.add_argument(
        "--compile-cache", default=_default_compile_cache(), metavar="FOLDER",
        help="keep the compiled sampling loop here (XLA on TensorFlow and JAX), so later runs "
        "skip most of its compilation (default: %(default)s)",
    )  # fmt: skip
    sample.add_argument(
        "--no-compile-cache", action="store_true",
        help="compile the sampling loop afresh, keeping nothing on disk",
    )  # fmt: skip
    return parser


def _default_compile_cache():
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(home, "lmkeras-compiled")


def _cache_compiled_programs(folder, parser):
    """Point the backend's persistent compilation cache at `folder`/<backend>-<version>;
    return the function that restores the settings it changed (None: nothing changed).

    The sampling loop's XLA compilation is a large part of a short sample's wall time; from the
    cache it loads instead (2026-12-04, the 2-core Xeon, 1,000 characters, the whole command:
    TensorFlow 11.7-12.1 s before, 9.1-9.5 s after; JAX 10.7-11.2 s before, 5.0-5.3 s after,
    TensorFlow no longer imported).
    One folder per backend version, so an upgrade never loads another version's programs.
    """
    import keras

    backend = keras.backend.backend()
    if backend not in ("tensorflow", "jax"):
        return None  # PyTorch samples eagerly: nothing to keep
    module = __import__(backend)
    path = os.path.join(folder, f"{backend}-{module.__version__}")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as error:
        parser.error(f"--compile-cache {folder!r} cannot be created ({error.strerror}); pass "
                     f"another folder or --no-compile-cache")  # fmt: skip
    if backend == "jax":
        names = ("jax_compilation_cache_dir", "jax_persistent_cache_min_compile_time_secs")
        before = {name: getattr(module.config, name) for name in names}
        if before["jax_compilation_cache_dir"] is not None:
            return None  # the user's own cache wins
        module.config.update("jax_compilation_cache_dir", path)
        module.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        return lambda: [module.config.update(name, value) for name, value in before.items()]
    flags = os.environ.get("TF_XLA_FLAGS")
    if flags is not None and "--tf_xla_persistent_cache_directory" in flags:
        return None  # the user's own cache wins
    os.environ["TF_XLA_FLAGS"] = f"{flags or ''} --tf_xla_persistent_cache_directory={path}"

    def restore():
        if flags is None:
            del os.environ["TF_XLA_FLAGS"]
        else:
            os.environ["TF_XLA_FLAGS"] = flags

    return restore


def _with_flags(message, corpus=None):
    """A recipe's message with its parameter names replaced by the flags that set them."""
    for name, flag in FLAGS.items():
        message = re.sub(rf"`?\b{name}\b`?=", f"{flag} ", message)
        message = re.sub(rf"`?\b{name}\b`?", flag, message)
    if corpus is not None:
        message = message.replace("`text`", f"--corpus {corpus!r}")
    return message


def _read_corpus(args, parser):
    if args.corpus == "shakespeare":
        return None
    if not os.path.isfile(args.corpus):
        parser.error(
            f"--corpus must be 'shakespeare' or an existing text file; received {args.corpus!r}"
        )
    try:
        with open(args.corpus, encoding="utf-8") as handle:
            text = handle.read()
    except UnicodeDecodeError as error:
        parser.error(f"--corpus {args.corpus!r} is not UTF-8 text ({error.reason} at byte "
                     f"{error.start})")  # fmt: skip
    if not text:
        parser.error(f"--corpus {args.corpus!r} is empty")
    return text


def _check_out(out, parser):
    """Refuse an --out that cannot be written before any training, so no run is lost."""
    if not out.endswith(".keras"):
        parser.error(f"--out must end in .keras; received {out!r}")
    if os.path.isdir(out):
        parser.error(f"--out {out!r} is a folder; name a .keras file")
    folder = os.path.dirname(out)
    if folder and not os.path.isdir(folder):
        parser.error(f"--out {out!r}: its folder {folder!r} does not exist")
    if not os.access(folder or ".", os.W_OK):
        parser.error(f"--out {out!r}: its folder {folder or '.'!r} is not writable")


def _train(args, parser):
    _check_out(args.out, parser)
    text = _read_corpus(args, parser)
    import keras

    from lmkeras.recipes.char_gpt import CharGPTConfig, train_char_gpt

    changes = {key: value for key, value in (
        ("num_layers", args.layers), ("num_heads", args.heads), ("hidden_dim", args.width),
        ("sequence_length", args.context), ("batch_size", args.batch_size),
        ("learning_rate", args.learning_rate)) if value is not None}  # fmt: skip
    try:
        recipe = CharGPTConfig.modern() if args.recipe == "modern" else CharGPTConfig()
        config = recipe.replace(**changes)
    except ValueError as error:  # e.g. --heads that do not divide --width
        parser.error(_with_flags(str(error)))
    keras.utils.set_random_seed(args.seed)
    try:
        run = train_char_gpt(args.minutes * 60, text, config, verbose=1)
    except ValueError as error:  # a corpus too short for the context, and the like
        parser.error(_with_flags(str(error), args.corpus))
    model = run["model"]
    if not args.with_optimizer:  # an uncompiled copy: the weights without AdamW's moments
        weights, model = model.get_weights(), model.__class__.from_config(model.get_config())
        model.set_weights(weights)
    model.save(args.out)
    with open(args.out + ".vocab.json", "w", encoding="utf-8") as handle:
        json.dump(run["tokenizer"].get_config(), handle)
    final = run["final"]
    bits = final["val_loss"] / math.log(2)
    print(f"validation loss {final['val_loss']:.3f} nats/char ({bits:.2f} bits/char) after "
          f"{final['steps']} steps in {final['seconds']:.0f} s, of which the first step "
          f"(compilation) took {final['first_step_seconds']:.0f} s; "
          f"{final['tokens_per_second']:.0f} tokens/s")  # fmt: skip
    print(f"counting letters (a unigram model) scores {final['unigram_loss']:.3f} nats/char: a "
          f"model above that has not yet learned more than letter frequencies (train longer). "
          f"Saved {args.out}")  # fmt: skip


def _load_vocabulary(path, parser):
    from lmkeras.text import CharTokenizer

    try:
        with open(path, encoding="utf-8") as handle:
            config = json.load(handle)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        parser.error(f"{path!r} is not valid JSON ({error}); `train` writes it beside the model")
    try:
        return CharTokenizer(**config)
    except (TypeError, ValueError) as error:
        parser.error(f"{path!r} does not hold a character vocabulary written by `train` ({error})")


def _sample(args, parser):
    vocab_path = args.model + ".vocab.json"
    if not args.model.endswith(".keras"):
        parser.error(f"model {args.model!r} must be a .keras file written by `train`")
    for path in (args.model, vocab_path):
        if not os.path.isfile(path):
            parser.error(f"{path!r} does not exist; `lmkeras-gpt train` writes it")
    tokenizer = _load_vocabulary(vocab_path, parser)
    missing = sorted(set(args.prompt) - set(tokenizer.vocabulary))
    if missing:
        parser.error(f"--prompt holds {len(missing)} character(s) not in the model's vocabulary: "
                     f"{missing[:10]!r}")  # fmt: skip
    if not args.prompt:
        parser.error("--prompt must hold at least one character")
    if args.top_k is not None and args.top_k > tokenizer.vocabulary_size:
        parser.error(f"--top-k {args.top_k} is more than the vocabulary of "
                     f"{tokenizer.vocabulary_size} characters")  # fmt: skip
    from lmkeras import sampling

    if args.greedy:
        sampler = sampling.GreedySampler()
    elif args.top_k is not None:
        sampler = sampling.TopKSampler(args.top_k, temperature=args.temperature)
    elif args.top_p is not None:
        sampler = sampling.TopPSampler(args.top_p, temperature=args.temperature)
    else:
        sampler = sampling.TemperatureSampler(args.temperature)
    # Before any TensorFlow op (XLA reads its flags once), and undone after: a caller's later
    # processes (`main` called from Python) do not inherit this run's cache.
    restore = None if args.no_compile_cache else _cache_compiled_programs(args.compile_cache,
                                                                          parser)  # fmt: skip
    try:
        _load_and_generate(args, parser, tokenizer, sampler, vocab_path)
    finally:
        if restore is not None:
            restore()


def _load_and_generate(args, parser, tokenizer, sampler, vocab_path):
    import keras
    import numpy as np

    from lmkeras.models.gpt import gpt_generate, gpt_parts

    try:
        model = keras.saving.load_model(args.model)
    except Exception as error:  # noqa: BLE001 (any failure to read the file is reported)
        parser.error(f"model {args.model!r} is not a readable .keras file "
                     f"({type(error).__name__}: {error})"[:400])  # fmt: skip
    try:
        parts = gpt_parts(model)
    except TypeError:
        parser.error(f"model {args.model!r} is not a GPT written by `train` (build_gpt)")
    if parts.vocabulary_size != tokenizer.vocabulary_size:
        parser.error(f"{vocab_path!r} holds {tokenizer.vocabulary_size} characters but the model "
                     f"{args.model!r} has {parts.vocabulary_size} token ids: they were not "
                     f"written together")  # fmt: skip
    prompt = tokenizer.encode(args.prompt)[None, :]
    length = parts.context_length
    if length is not None and prompt.shape[1] > length:
        parser.error(f"--prompt holds {prompt.shape[1]} characters, more than the model's "
                     f"context of {length}")  # fmt: skip
    try:
        ids = gpt_generate(model, prompt, args.tokens, sampler, seed=args.seed)
    except ValueError as error:  # NaN logits from a damaged model
        parser.error(f"model {args.model!r}: {error}")
    print(tokenizer.decode(np.asarray(keras.ops.convert_to_numpy(ids))[0]))


def main(argv=None):
    """Entry point of `python -m lmkeras.gpt_cli` (and the `lmkeras-gpt` script).

    Every bad flag or file is refused before any work, in one line that names it, with exit
    code 2 (argparse's convention) and no traceback.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    (_train if args.command == "train" else _sample)(args, parser)


def script() -> None:
    """The `lmkeras-gpt` command (and `python -m lmkeras.gpt_cli`): `main`, then the process
    ends without Python's interpreter teardown.

    Tearing down an interpreter that has started TensorFlow takes 0.7 s on the 2-core Xeon
    (module and C++ destructors; atexit handlers take under a millisecond), 11% of a
    1,000-character sample. Everything the command writes (model, vocabulary, compiled
    programs, text) is closed or flushed before `main` returns, so nothing is lost by skipping
    it. `main` itself, called from Python, returns as usual.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)


if __name__ == "__main__":
    script()
