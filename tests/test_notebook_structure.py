"""Every notebook follows the course's shape (STYLE.md): header with Colab badge and runtimes,
the install cell, one `parameters` knob cell, checked outputs, and "What to try" at the end."""

import json
import pathlib

import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))

# The one text every notebook's first code cell starts with (the notebook's own imports follow).
# It names where the package comes from (LMKERAS_SOURCE, by default this release's tag of the
# repository; tests/test_install_cell.py checks the tag and the failure message), and it starts
# TensorFlow through `lmkeras`, so that no C++ start-up line lands in the outputs.
INSTALL_CELL = """\
# Install the course package when it is missing (on Colab; in class and in CI it is there).
# LMKERAS_SOURCE says where from: this release by default, or a folder you uploaded (README).
import importlib.util
import os
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow starts: no C++ log lines
LMKERAS_SOURCE = os.environ.get("LMKERAS_SOURCE", "git+https://github.com/lmkeras/lmkeras@v0.2.0")
if importlib.util.find_spec("lmkeras") is None:
    pip = [sys.executable, "-m", "pip", "install", "-q", LMKERAS_SOURCE]
    if subprocess.run(pip, capture_output=True).returncode != 0:
        message = (
            f"Could not install lmkeras from {LMKERAS_SOURCE}: upload the repository folder and "
            "run `%pip install -e <folder>`, then restart the session; or set LMKERAS_SOURCE to "
            "a folder, wheel or URL that pip can install, and run this cell again."
        )
        error = RuntimeError(message)
        error._render_traceback_ = lambda: [message]  # Jupyter shows this line, no traceback
        raise error
    importlib.invalidate_caches()
importlib.import_module("lmkeras")  # first, so that TensorFlow starts without its log lines
"""


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell):
    return "".join(cell["source"])


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_shape(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    cells = notebook["cells"]
    header = _source(cells[0])
    assert cells[0]["cell_type"] == "markdown" and header.startswith("# ")
    assert (
        f"colab.research.google.com/github/lmkeras/lmkeras/blob/main/notebooks/{path.name}"
        in header
    )
    assert "What you will learn" in header and "quick mode" in header and "full mode" in header
    code = [c for c in cells if c["cell_type"] == "code"]
    assert _source(code[0]).startswith(INSTALL_CELL), "first code cell starts with INSTALL_CELL"
    knobs = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(knobs) == 1, "exactly one knob cell tagged `parameters`"
    assert "config.pick(" in _source(knobs[0]) or "is_quick()" in _source(knobs[0])
    checked = [c for c in code if _source(c).startswith("# NBVAL_CHECK_OUTPUT")]
    assert len(checked) >= 2, "at least two cells with checked (deterministic) output"
    assert all(c.get("outputs") for c in checked), "checked cells are committed with outputs"
    assert all(c.get("execution_count") for c in code if c.get("outputs")), "executed in order"
    assert not any(o["output_type"] == "error" for c in code for o in c.get("outputs", []))
    assert "What to try" in "".join(_source(c) for c in cells[-3:])
