"""The command line: train a tiny model, sample from it in a fresh process, and refuse bad flags."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys

import keras
import pytest

from lmkeras import gpt_cli

TEXT = "To be, or not to be, that is the question.\n" * 60


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gpt_cli")
    corpus, out = folder / "corpus.txt", str(folder / "tiny.keras")
    corpus.write_text(TEXT, encoding="utf-8")
    gpt_cli.main(["train", "--corpus", str(corpus), "--minutes", "0.05", "--out", out,
                  "--layers", "1", "--heads", "2", "--width", "16", "--context", "16",
                  "--batch-size", "4"])  # fmt: skip
    return out


def test_train_writes_a_model_and_its_vocabulary(trained, capsys):
    assert os.path.isfile(trained) and os.path.isfile(trained + ".vocab.json")
    # Weights only by default: the file holds no optimizer to resume from.
    assert getattr(keras.saving.load_model(trained), "optimizer", None) is None


def test_train_reports_compilation_and_the_letter_counting_floor_and_can_keep_the_optimizer(
    tmp_path, capsys
):
    corpus, out = tmp_path / "corpus.txt", str(tmp_path / "kept.keras")
    corpus.write_text(TEXT, encoding="utf-8")
    gpt_cli.main(["train", "--corpus", str(corpus), "--minutes", "0.02", "--out", out,
                  "--layers", "1", "--heads", "2", "--width", "8", "--context", "8",
                  "--batch-size", "2", "--with-optimizer"])  # fmt: skip
    printed = capsys.readouterr().out
    assert re.search(r"first step \(compilation\) took \d+ s", printed), printed
    floor = float(re.search(r"counting letters \(a unigram model\) scores ([\d.]+)", printed)[1])
    assert 1.0 < floor < math.log(len(set(TEXT)))  # below a uniform guess, above zero
    loaded = keras.saving.load_model(out)
    assert loaded.optimizer is not None and loaded.optimizer.iterations.numpy() > 0


def test_sample_loads_in_a_fresh_process_and_reuses_its_compiled_loop(trained, tmp_path):
    cache = tmp_path / "compiled"
    cmd = [sys.executable, "-m", "lmkeras.gpt_cli", "sample", trained, "--prompt", "To be",
           "--tokens", "20", "--top-p", "0.9", "--seed", "1",
           "--compile-cache", str(cache)]  # fmt: skip
    samples, kept = [], []
    for _ in range(2):  # the second process loads the loop the first one compiled
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        samples.append(done.stdout)
        kept.append(sorted(str(path.relative_to(cache)) for path in cache.rglob("*")))
    generated = samples[0].rstrip("\n")
    assert generated.startswith("To be") and len(generated) >= len("To be") + 20 - 2  # newlines
    assert set(generated) <= set(TEXT)
    assert samples[1] == samples[0]
    backend = keras.backend.backend()
    if backend in ("tensorflow", "jax"):
        folder = f"{backend}-{__import__(backend).__version__}"
        programs = [name for name in kept[0] if name.startswith(folder + os.sep)]
        assert programs, kept[0]  # the first run wrote its compiled loop, in its version's folder
        assert kept[1] == kept[0]  # the second loaded it: nothing new compiled, nothing added


def test_the_command_exits_with_mains_code_and_its_whole_message(tmp_path):
    # `script` (the command) ends a successful run without Python's teardown (the test above
    # checks that its text comes out whole); a refusal leaves through SystemExit as before.
    missing = str(tmp_path / "missing.keras")
    done = subprocess.run([sys.executable, "-m", "lmkeras.gpt_cli", "sample", missing],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.endswith(f"lmkeras-gpt: error: {missing!r} does not exist; "
                                "`lmkeras-gpt train` writes it (see --help)\n")  # fmt: skip


def test_sample_within_the_context_matches_the_sliding_loop(trained, capsys):
    # 5 + 8 characters fit the context of 16 (compiled cache loop); 5 + 20 do not (sliding).
    flags = ["--greedy", "--no-compile-cache"]
    gpt_cli.main(["sample", trained, "--prompt", "To be", "--tokens", "8", *flags])
    within = capsys.readouterr().out[:-1]  # print adds one newline
    gpt_cli.main(["sample", trained, "--prompt", "To be", "--tokens", "20", *flags])
    beyond = capsys.readouterr().out[:-1]
    assert len(within) == len("To be") + 8
    assert beyond.startswith(within) and len(beyond) == len("To be") + 20


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--minutes", "-1", "--out", "m.keras"], "expected a finite number > 0"),
        (["train", "--out", "model.h5"], "must end in .keras"),
        (["train", "--corpus", "no/such/file.txt", "--out", "m.keras"], "existing text file"),
        (["sample", "no/such/model.keras"], "does not exist"),
        (["sample", "m.keras", "--top-p", "0.5", "--top-k", "3"], "not allowed with"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_flags_give_clear_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        gpt_cli.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--top-p", "1.5"], "--top-p: expected a number in (0, 1], received '1.5'"),
        (["--prompt", "Zebra"], "not in the model's vocabulary"),
    ],  # fmt: skip
)
def test_bad_sampling_flags_name_the_value(trained, flags, message, capsys):
    with pytest.raises(SystemExit):
        gpt_cli.main(["sample", trained, *flags])
    assert message in capsys.readouterr().err
