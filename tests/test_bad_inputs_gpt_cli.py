"""Bad flags and files of the command line (`lmkeras-gpt`): each gets one line that names the
flag or the path, exit code 2 and no traceback; nothing is trained or written first."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import shutil
import sys
import tempfile

import keras
import numpy as np

from lmkeras import gpt_cli
from lmkeras.models.gpt import build_gpt
from lmkeras.text import CharTokenizer
from tests.bad_inputs import bad, check_refused, table

TEXT = "To be, or not to be, that is the question.\n" * 20


class CliError(Exception):
    """The command exited with code 2; the message is its whole error output."""


def cli(*argv, command=None):
    """`main(argv)`; with `command`, that function called with `argv` as the command line."""
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            if command is None:
                gpt_cli.main([str(a) for a in argv])
            else:  # only refusals here: a command that succeeded would end the process
                with _command_line(["lmkeras-gpt", *map(str, argv)]):
                    command()
    except SystemExit as exit_:
        if exit_.code == 2:
            raise CliError(err.getvalue().strip()) from None
        raise AssertionError(f"exit code {exit_.code}: {err.getvalue()}") from None


@contextlib.contextmanager
def _command_line(argv):
    saved = sys.argv
    sys.argv = argv
    try:
        yield
    finally:
        sys.argv = saved


@functools.cache
def files() -> dict:
    """A tiny untrained GPT and its vocabulary, and damaged or mismatched variants of them."""
    folder = tempfile.mkdtemp(prefix="lmkeras-cli-")
    path = lambda name: os.path.join(folder, name)  # noqa: E731
    tokenizer = CharTokenizer.from_text(TEXT)
    vocab = json.dumps(tokenizer.get_config())
    build_gpt(tokenizer.vocabulary_size, sequence_length=16, num_layers=1, num_heads=1,
              hidden_dim=4).save(path("tiny.keras"))  # fmt: skip
    dense = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    dense.save(path("dense.keras"))
    with open(path("garbage.keras"), "wb") as handle:
        handle.write(np.random.default_rng(0).bytes(512))
    with open(path("model.h5"), "w") as handle:
        handle.write("not a model")
    for name in ("badjson", "wrongjson", "mismatch", "novocab"):
        shutil.copyfile(path("tiny.keras"), path(f"{name}.keras"))
    vocabularies = {"tiny": vocab, "dense": vocab, "garbage": vocab, "model.h5": vocab,
                    "badjson": "{not json", "wrongjson": '{"letters": "abc"}',
                    "mismatch": json.dumps(CharTokenizer(["a", "b"]).get_config())}  # fmt: skip
    for name, text in vocabularies.items():
        model = path(name if name.endswith(".h5") else f"{name}.keras")
        with open(model + ".vocab.json", "w", encoding="utf-8") as handle:
            handle.write(text)
    with open(path("corpus.txt"), "w", encoding="utf-8") as handle:
        handle.write(TEXT)
    with open(path("short.txt"), "w", encoding="utf-8") as handle:
        handle.write("To be.")
    with open(path("empty.txt"), "w", encoding="utf-8") as handle:
        handle.write("")
    with open(path("binary.txt"), "wb") as handle:
        handle.write(b"\xff\xfe\x00\x81 not utf-8")
    os.makedirs(path("folder.keras"))
    return {"folder": folder, **{name: path(name) for name in os.listdir(folder)}}


def train(*flags):
    """`train` with valid tiny settings, then `flags` (a later flag overrides an earlier one)."""
    return lambda: cli("train", "--corpus", files()["corpus.txt"], "--minutes", "0.001",
                       "--out", os.path.join(files()["folder"], "out.keras"), "--layers", "1",
                       "--heads", "2", "--width", "8", "--context", "8", "--batch-size", "2",
                       *flags)  # fmt: skip


def sample(*flags, model="tiny.keras"):
    return sample_file(model, "--tokens", "4", *flags)


def sample_file(name, *flags):
    """`sample` with its compiled programs kept in the test's folder, then `flags`."""
    compiled = os.path.join(files()["folder"], "compiled")
    return lambda: cli("sample", files().get(name, os.path.join(files()["folder"], name)),
                       "--compile-cache", compiled, *flags)  # fmt: skip


main = gpt_cli.main
CLI_ROWS = [
    bad(main, lambda: cli("frobnicate"), CliError, "invalid choice", "'frobnicate'"),
    bad(main, lambda: cli("train", "--corpus", files()["corpus.txt"]), CliError, "--out"),
    bad(main, train("--epochs", "3"), CliError, "unrecognized arguments", "--epochs"),
    bad(main, train("--minutes", "0"), CliError, "--minutes", "'0'"),
    bad(main, train("--minutes", "-1"), CliError, "--minutes", "'-1'"),
    bad(main, train("--minutes", "nan"), CliError, "--minutes", "'nan'"),
    bad(main, train("--minutes", "inf"), CliError, "--minutes", "'inf'"),
    bad(main, train("--minutes", "ten"), CliError, "--minutes", "'ten'"),
    bad(main, train("--layers", "0"), CliError, "--layers", "'0'"),
    bad(main, train("--layers", "1.5"), CliError, "--layers", "'1.5'"),
    bad(main, train("--heads", "0"), CliError, "--heads", "'0'"),
    bad(main, train("--heads", "3"), CliError, "--heads 3", "--width 8"),
    bad(main, train("--width", "0"), CliError, "--width", "'0'"),
    bad(main, train("--context", "0"), CliError, "--context", "'0'"),
    bad(main, train("--batch-size", "0"), CliError, "--batch-size", "'0'"),
    bad(main, train("--learning-rate", "0"), CliError, "--learning-rate", "'0'"),
    bad(main, train("--learning-rate", "nan"), CliError, "--learning-rate", "'nan'"),
    bad(main, train("--learning-rate", "-1"), CliError, "--learning-rate", "'-1'"),
    bad(main, train("--seed", "-1"), CliError, "--seed", "'-1'"),
    bad(main, train("--seed", "abc"), CliError, "--seed", "'abc'"),
    bad(main, train("--corpus", "no/such/file.txt"), CliError, "--corpus",
        "'no/such/file.txt'"),
    bad(main, lambda: train("--corpus", files()["folder"])(), CliError, "--corpus",
        "existing text file"),
    bad(main, lambda: train("--corpus", files()["binary.txt"])(), CliError, "--corpus",
        "binary.txt", "UTF-8"),
    bad(main, lambda: train("--corpus", files()["empty.txt"])(), CliError, "--corpus",
        "empty.txt", "empty"),
    bad(main, lambda: train("--corpus", files()["short.txt"])(), CliError, "--corpus",
        "short.txt", "--context 8"),
    bad(main, train("--out", "model.h5"), CliError, "--out", "'model.h5'", ".keras"),
    bad(main, train("--out", "no/such/folder/m.keras"), CliError, "--out",
        "'no/such/folder'", "does not exist"),
    bad(main, lambda: train("--out", files()["folder.keras"])(), CliError, "--out",
        "folder.keras", "a folder"),
    bad(main, lambda: cli("sample"), CliError, "model"),
    bad(main, sample_file("missing.keras"), CliError, "missing.keras", "does not exist"),
    bad(main, sample_file("novocab.keras"), CliError, "novocab.keras.vocab.json",
        "does not exist"),
    bad(main, sample_file("model.h5"), CliError, "model.h5", ".keras"),
    bad(main, sample_file("garbage.keras"), CliError, "garbage.keras", "not a readable"),
    bad(main, sample_file("dense.keras"), CliError, "dense.keras", "build_gpt"),
    bad(main, sample_file("badjson.keras"), CliError, "badjson.keras.vocab.json", "JSON"),
    bad(main, sample_file("wrongjson.keras"), CliError, "wrongjson.keras.vocab.json",
        "vocabulary"),
    bad(main, sample_file("mismatch.keras", "--prompt", "a"), CliError, "mismatch.keras.vocab.json",
        "2 characters", "17 token ids"),
    bad(main, sample("--prompt", "Zebra"), CliError, "--prompt", "'Z'",
        "not in the model's vocabulary"),
    bad(main, sample("--prompt", ""), CliError, "--prompt", "at least one character"),
    bad(main, sample("--prompt", "To be" * 10), CliError, "--prompt", "50 characters",
        "context of 16"),
    bad(main, sample("--tokens", "0"), CliError, "--tokens", "'0'"),
    bad(main, sample("--tokens", "abc"), CliError, "--tokens", "'abc'"),
    bad(main, sample("--top-p", "0"), CliError, "--top-p", "'0'"),
    bad(main, sample("--top-p", "1.5"), CliError, "--top-p", "'1.5'"),
    bad(main, sample("--top-p", "nan"), CliError, "--top-p", "'nan'"),
    bad(main, sample("--top-p", "most"), CliError, "--top-p", "'most'"),
    bad(main, sample("--top-k", "0"), CliError, "--top-k", "'0'"),
    bad(main, sample("--top-k", "2.5"), CliError, "--top-k", "'2.5'"),
    bad(main, sample("--top-k", "100"), CliError, "--top-k 100", "17"),
    bad(main, sample("--temperature", "0"), CliError, "--temperature", "'0'"),
    bad(main, sample("--temperature", "nan"), CliError, "--temperature", "'nan'"),
    bad(main, sample("--temperature", "inf"), CliError, "--temperature", "'inf'"),
    bad(main, sample("--seed", "-1"), CliError, "--seed", "'-1'"),
    bad(main, sample("--greedy", "--top-k", "3"), CliError, "--top-k", "not allowed with"),
    bad(main, lambda: sample("--compile-cache", os.path.join(files()["corpus.txt"], "xla"))(),
        CliError, "--compile-cache", "corpus.txt", "cannot be created"),
    # The command itself (`lmkeras-gpt`): the same refusals, read from the command line.
    bad(gpt_cli.script, lambda: cli("frobnicate", command=gpt_cli.script), CliError,
        "invalid choice", "'frobnicate'"),
    bad(gpt_cli.script, lambda: cli("sample", "missing.keras", command=gpt_cli.script),
        CliError, "'missing.keras' does not exist"),
]  # fmt: skip


@table(CLI_ROWS)
def test_cli_refuses_bad_flags_in_one_line(row):
    message = check_refused(row)
    assert "\n" not in message and "Traceback" not in message, message
    assert message.startswith("lmkeras-gpt: error: "), message


def test_a_refused_train_writes_nothing():
    out = os.path.join(files()["folder"], "kept.keras")
    with open(out, "w") as handle:
        handle.write("an earlier model")
    check_refused(bad(main, lambda: train("--out", out, "--heads", "3")(), CliError, "--heads"))
    with open(out) as handle:
        assert handle.read() == "an earlier model"
    assert not os.path.exists(out + ".vocab.json")
