"""Bad inputs of `lmkeras.config` and `lmkeras.data`: environment variables, paths, splits."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from lmkeras import config, data
from tests.bad_inputs import bad, check_refused, offline, table, with_environment


@functools.cache
def damaged_folder() -> str:
    folder = Path(tempfile.mkdtemp(prefix="lmkeras-damaged-"))
    (folder / "shakespeare.txt").write_text("First Citizen: not the real file\n", encoding="utf-8")
    return str(folder)


CONFIG_ROWS = [
    bad(config.is_quick, with_environment(config.is_quick, LMKERAS_QUICK="maybe"), ValueError,
        "LMKERAS_QUICK", "'maybe'", "1/true/yes/on"),
    bad(config.pick, with_environment(lambda: config.pick(1, 2), LMKERAS_QUICK="2"), ValueError,
        "LMKERAS_QUICK", "'2'"),
    bad(config.training_precision,
        with_environment(config.training_precision, LMKERAS_PRECISION="bf16"), ValueError,
        "LMKERAS_PRECISION", "'bf16'", "mixed_bfloat16"),
    bad(config.data_dir, with_environment(config.data_dir, LMKERAS_DATA_DIR=""), ValueError,
        "LMKERAS_DATA_DIR", "''", "unset it"),
    bad(config.data_dir, with_environment(config.data_dir, LMKERAS_DATA_DIR="   "), ValueError,
        "LMKERAS_DATA_DIR", "'   '", "unset it"),
    bad(config.data_dir, with_environment(config.data_dir, LMKERAS_DATA_DIR="/no/such/folder"),
        NotADirectoryError, "LMKERAS_DATA_DIR", "'/no/such/folder'", "existing folder"),
    bad(config.data_dir, with_environment(config.data_dir, LMKERAS_DATA_DIR=config.__file__),
        NotADirectoryError, "LMKERAS_DATA_DIR", "config.py", "not a directory"),
    bad(config.environment_report,
        with_environment(config.environment_report, LMKERAS_QUICK="fast"), ValueError,
        "LMKERAS_QUICK", "'fast'"),
    bad(config.environment_report,
        with_environment(config.environment_report, LMKERAS_DATA_DIR=" "), ValueError,
        "LMKERAS_DATA_DIR", "' '"),
    bad(config.start, lambda: config.start(seed=-1), ValueError, "`seed`", "seed=-1", "≥ 0"),
    bad(config.start, lambda: config.start(seed="42"), TypeError, "`seed`", "seed='42'"),
    bad(config.start, lambda: config.start(seed=1.5), TypeError, "seed=1.5"),
]  # fmt: skip

DATA_ROWS = [
    bad(data.corpus_path, lambda: data.corpus_path("shakespeare"), TypeError,
        "`corpus`", "'shakespeare'", "SHAKESPEARE"),
    bad(data.corpus_path, offline(lambda: data.corpus_path(data.SPA_ENG)), FileNotFoundError,
        "spa-eng.zip", "LMKERAS_DATA_DIR"),
    bad(data.load_shakespeare, offline(data.load_shakespeare), FileNotFoundError,
        "shakespeare.txt", "LMKERAS_DATA_DIR"),
    bad(data.load_shakespeare, lambda: offline(data.load_shakespeare, damaged_folder())(),
        data.ChecksumError, "shakespeare.txt", "sha256", data.SHAKESPEARE.sha256),
    bad(data.load_spa_eng, offline(data.load_spa_eng), FileNotFoundError, "spa-eng.zip"),
    bad(data.load_spa_eng_split, offline(data.load_spa_eng_split), FileNotFoundError,
        "spa-eng.zip"),
    bad(data.sha256_of, lambda: data.sha256_of(0), TypeError, "`path`", "path=0"),
    bad(data.sha256_of, lambda: data.sha256_of("/no/such/file.txt"), FileNotFoundError,
        "/no/such/file.txt"),
    bad(data.split_text, lambda: data.split_text(123), TypeError, "`text`", "text=123"),
    bad(data.split_text, lambda: data.split_text(""), ValueError, "`text`", "''"),
    bad(data.split_text, lambda: data.split_text("abcdef", True), TypeError,
        "validation_fraction=True"),
    bad(data.split_text, lambda: data.split_text("abcdef", "0.1"), TypeError,
        "validation_fraction='0.1'"),
    bad(data.split_text, lambda: data.split_text("abcdef", 1.0), ValueError,
        "validation_fraction=1.0", "< 1"),
    bad(data.split_text, lambda: data.split_text("abcdef", float("nan")), ValueError,
        "validation_fraction=nan"),
    bad(data.split_text, lambda: data.split_text("ab", 0.1), ValueError,
        "`text`", "2 characters", "validation_fraction=0.1"),
    bad(data.parse_pairs, lambda: data.parse_pairs(["Go.\tVe."]), TypeError,
        "`lines`", "['Go.\\tVe.']"),
    bad(data.parse_pairs, lambda: data.parse_pairs("Go.\tVe.\nHi.\n"), ValueError,
        "line 2", "'Hi.'"),
    bad(data.split_pairs, lambda: data.split_pairs("abc"), TypeError, "`pairs`", "'abc'"),
    bad(data.split_pairs, lambda: data.split_pairs([("a", "b", "c")]), TypeError,
        "`pairs`", "('a', 'b', 'c')", "index 0"),
    bad(data.split_pairs, lambda: data.split_pairs([("a", "x"), ("b", "y")]), ValueError,
        "`pairs`", "3 distinct", "received 2"),
    bad(data.split_pairs, lambda: data.split_pairs(PAIRS, (0.5, 0.5)), ValueError,
        "`fractions`", "(0.5, 0.5)"),
    bad(data.split_pairs, lambda: data.split_pairs(PAIRS, (float("nan"), 0.5, 0.5)), ValueError,
        "`fractions`", "nan"),
    bad(data.split_pairs, lambda: data.split_pairs(PAIRS, "abc"), TypeError,
        "`fractions`", "'abc'"),
    bad(data.split_pairs, lambda: data.split_pairs(PAIRS, seed=-1), ValueError, "seed=-1"),
    bad(data.split_pairs, lambda: data.split_pairs(PAIRS, seed=1.5), TypeError, "seed=1.5"),
    bad(data.download_all, lambda: data.download_all(123), TypeError, "`folder`", "folder=123"),
]  # fmt: skip

PAIRS = [(str(i), "x") for i in range(10)]


@table(CONFIG_ROWS)
def test_config_refuses_bad_input(row):
    check_refused(row)


@table(DATA_ROWS)
def test_data_refuses_bad_input(row):
    check_refused(row)
