"""Every notebook follows the course's shape (STYLE.md): header with Colab badge and runtimes,
the install cell, one `parameters` knob cell, checked outputs, and "What to try" at the end."""

import json
import pathlib

import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


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
    assert 'find_spec("lmkeras") is None' in _source(code[0]), "first code cell installs lmkeras"
    knobs = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(knobs) == 1, "exactly one knob cell tagged `parameters`"
    assert "config.pick(" in _source(knobs[0]) or "is_quick()" in _source(knobs[0])
    checked = [c for c in code if _source(c).startswith("# NBVAL_CHECK_OUTPUT")]
    assert len(checked) >= 2, "at least two cells with checked (deterministic) output"
    assert all(c.get("outputs") for c in checked), "checked cells are committed with outputs"
    assert all(c.get("execution_count") for c in code if c.get("outputs")), "executed in order"
    assert not any(o["output_type"] == "error" for c in code for o in c.get("outputs", []))
    assert "What to try" in "".join(_source(c) for c in cells[-3:])
