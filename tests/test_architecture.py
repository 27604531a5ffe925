"""The package's layout rules, enforced: who may import whom, one home per kind of code.

Rules (README, "For contributors"):
- layers import keras (and NumPy, `lmkeras._checks`, `lmkeras.backend`, other layers) only;
- a model family imports only layers, `backend` and `_checks`: never another family, nor data,
  text, datasets or sampling;
- nothing below `recipes` imports `recipes`; only the command line does;
- only `plots` imports matplotlib;
- builders are named `build_<family>` and vocabulary sizes are spelled `vocabulary_size`.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

import lmkeras

PACKAGE = Path(lmkeras.__file__).parent
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)
STANDARD = {"__future__", "collections", "dataclasses", "math", "typing", "re", "time", "json",
            "os", "copy", "inspect", "functools", "itertools", "string", "unicodedata",
            "pathlib", "warnings", "contextlib", "tempfile", "abc", "numbers"}  # fmt: skip


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, at any depth (function-level imports count too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            if node.module == "lmkeras":  # from lmkeras import sampling → lmkeras.sampling
                names.update(f"lmkeras.{alias.name}" for alias in node.names)
    return names


def _in(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _lmkeras_imports(path: Path) -> set[str]:
    return {name for name in _imports(path) if _in(name, "lmkeras")}


@pytest.mark.parametrize("path", MODULES, ids=_module_name)
def test_nothing_imports_upward(path):
    module = _module_name(path)
    own = _lmkeras_imports(path)
    external = {name.split(".")[0] for name in _imports(path)} - {"lmkeras"} - STANDARD
    if _in(module, "lmkeras.layers"):
        assert external <= {"keras", "numpy"}, f"{module} imports {external}"
        assert all(_in(n, "lmkeras.layers") or n in ("lmkeras._checks", "lmkeras.backend")
                   for n in own), own  # fmt: skip
    if _in(module, "lmkeras.models") and module != "lmkeras.models":
        allowed = ("lmkeras.layers", "lmkeras.backend", "lmkeras._checks", "lmkeras._compat")
        if module == "lmkeras.models.gpt_weights":  # the converter lives beside its builder
            allowed += ("lmkeras.models.gpt",)
        bad = {n for n in own if not any(_in(n, a) for a in allowed)}
        assert not bad, f"{module} imports {bad}: a model family imports only layers/backend"
    if not _in(module, "lmkeras.recipes") and module not in ("lmkeras.gpt_cli",):
        assert not any(_in(n, "lmkeras.recipes") for n in own), f"{module} imports a recipe"
    if module not in ("lmkeras.plots",):
        assert "matplotlib" not in external, f"{module} imports matplotlib; only plots draws"
    if _in(module, "lmkeras.datasets"):
        assert not any(_in(n, "lmkeras.models") or _in(n, "lmkeras.training") for n in own)


def test_builders_share_one_naming_and_no_module_holds_its_namesake():
    import lmkeras.models as models

    functions = [n for n in models.__all__ if inspect.isfunction(getattr(models, n))]
    builders = [n for n in functions if n.startswith("build_")]
    assert set(builders) >= {"build_gpt", "build_rnn_lm", "build_word2vec"}
    for name in functions:
        assert name.startswith(("build_", "word_vectors")) or name.endswith(
            ("_step_fn", "_generate")
        ), f"lmkeras.models.{name} breaks the naming (build_X / X_step_fn)"
    for path in (PACKAGE / "models").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        assert path.stem not in names, f"models/{path.name} holds a `{path.stem}` of its own name"


def test_vocabulary_size_has_one_spelling():
    pattern = re.compile(r"\bvocab_size\b|(source|target)_vocab_size")
    offenders = [
        f"{p.relative_to(PACKAGE)}:{i}"
        for p in MODULES
        if p.name not in ("_compat.py", "gpt_weights.py")  # old spelling; Hugging Face's keys
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not offenders, f"`vocab_size` spelled the old way at {offenders}"


def test_the_cached_paths_find_layers_in_one_place():
    """Layer names (`get_layer("...")`) appear only in the function that owns them."""
    from lmkeras.models import gpt

    source = inspect.getsource(gpt)
    owner = inspect.getsource(gpt.gpt_parts)
    assert source.count("get_layer(") == owner.count("get_layer(")
    for path in MODULES:
        if path.name in ("gpt.py", "rnn.py", "word2vec.py"):  # each owns its own names
            continue
        text = path.read_text(encoding="utf-8")
        assert 'get_layer("position_embedding")' not in text, path
        assert 'get_layer("token_embedding")' not in text, path
