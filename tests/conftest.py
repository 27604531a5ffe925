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


# The unit tests of the code that calls Keras, TensorFlow and KerasHub directly: layers, models,
# sampling, trainers, saving, KerasHub glue, data loaders and tokenizers. On TensorFlow, CI runs
# them once, on Colab's versions (the oldest the package supports), and runs them on the newest
# versions on JAX and PyTorch; the recipes (which only compose them), the notebooks and the
# `slow` tests run on the newest TensorFlow (tests/run.sh). Their bad-input tables check
# arguments before any backend work and run with the rest, on the newest TensorFlow.
VERSIONED = (
    "models/", "layers/", "datasets/", "test_sampling.py", "test_saving.py", "test_training.py",
    "test_hub.py", "test_data.py", "test_text.py", "test_bpe.py", "test_backend.py",
)  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests of VERSIONED `versioned` (not the bad-input tables)."""
    tests = os.path.dirname(os.path.abspath(__file__))
    for item in items:
        path = os.path.relpath(str(item.path), tests).replace(os.sep, "/")
        if path.startswith(VERSIONED) and not path.endswith("_bad_inputs.py"):
            item.add_marker(pytest.mark.versioned)
