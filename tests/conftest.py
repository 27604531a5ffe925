"""Shared pytest set-up: quick mode, quiet TensorFlow, and the offline corpus folder."""

from __future__ import annotations

import os

os.environ.setdefault("LMKERAS_QUICK", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def data_dir() -> str:
    """The folder of offline corpora; tests never download, so it must be set."""
    folder = os.environ.get("LMKERAS_DATA_DIR")
    if not folder or not os.path.isdir(folder):
        pytest.fail(
            "Tests read the corpora offline: set LMKERAS_DATA_DIR to a folder holding "
            "shakespeare.txt and spa-eng.zip (for example ../shared/data, or the folder "
            "`python -m lmkeras.data download DIR` fills)."
        )
    return folder


# Scripts that made the committed fixtures (they need packages CI does not install).
collect_ignore_glob = ["data/*"]
