"""The notebooks' install cell (tests/test_notebook_structure.INSTALL_CELL), as a newcomer meets it:
it names this release of the repository, it fails with one line saying what to do, and with the
package present it starts TensorFlow without a line of start-up log."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import lmkeras
from tests.test_notebook_structure import INSTALL_CELL

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _env(**extra) -> dict:
    # VIRTUAL_ENV of another venv (an activated shell) makes IPython warn on stderr.
    dropped = ("TF_CPP_MIN_LOG_LEVEL", "PIP_NO_INDEX", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    return {**env, **extra}


def test_default_source_is_the_repository_at_this_release():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        homepage = tomllib.load(f)["project"]["urls"]["Homepage"]
    sources = re.findall(r'os\.environ\.get\("LMKERAS_SOURCE", "([^"]+)"\)', INSTALL_CELL)
    assert sources == [f"git+{homepage}@v{lmkeras.__version__}"]


def test_a_failed_install_prints_one_line_that_says_what_to_do(tmp_path):
    # In IPython (what Jupyter and Colab run), with lmkeras looking absent and a source that
    # cannot install offline: one line, no traceback, and the rest of the cell does not run.
    script = textwrap.dedent(
        """
        import importlib.util, sys
        from IPython.core.interactiveshell import InteractiveShell

        find = importlib.util.find_spec
        importlib.util.find_spec = lambda name, *a: None if name == "lmkeras" else find(name, *a)
        cell = sys.stdin.read() + "print('the rest of the cell ran')"
        result = InteractiveShell.instance(colors="nocolor").run_cell(cell)
        sys.exit(0 if result.error_in_exec is not None else 3)
        """
    )
    missing = tmp_path / "no-such-folder"
    run = subprocess.run(
        [sys.executable, "-c", script],
        input=INSTALL_CELL,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_env(LMKERAS_SOURCE=str(missing), PIP_NO_INDEX="1", IPYTHONDIR=str(tmp_path)),
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    lines = [line for line in (run.stdout + run.stderr).splitlines() if line.strip()]
    assert lines == [
        f"Could not install lmkeras from {missing}: upload the repository folder and run "
        "`%pip install -e <folder>`, then restart the session; or set LMKERAS_SOURCE to a "
        "folder, wheel or URL that pip can install, and run this cell again."
    ]


def _python(code: str, folder, backend: str) -> subprocess.CompletedProcess:
    """Run `code` in a fresh Python process on `backend`; it must succeed."""
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=folder,
        env=_env(KERAS_BACKEND=backend),
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    return run


def test_with_the_package_installed_tensorflow_starts_without_a_log_line(tmp_path):
    # A fresh process, TF_CPP_MIN_LOG_LEVEL unset, as on a student's machine: the install cell
    # sets it, imports lmkeras (which starts TensorFlow), then the backend computes.
    cell = INSTALL_CELL + textwrap.dedent(
        """
        import keras

        keras.ops.convert_to_numpy(keras.ops.ones((2,)) + 1)
        print(os.environ["TF_CPP_MIN_LOG_LEVEL"], "tensorflow" in sys.modules)
        """
    )
    run = _python(cell, tmp_path, "tensorflow")
    assert run.stdout == "3 True\n"
    assert run.stderr == ""


def test_on_jax_importing_lmkeras_leaves_tensorflow_to_the_data_pipelines(tmp_path):
    # `lmkeras-gpt sample` on JAX needs no TensorFlow (1.7 s of its start, 2026-12-04); the
    # tf.data pipelines still start it, as quietly as on TensorFlow.
    code = textwrap.dedent(
        """
        import sys
        import lmkeras
        print("tensorflow" in sys.modules)
        import lmkeras.datasets
        print("tensorflow" in sys.modules)
        """
    )
    run = _python(code, tmp_path, "jax")
    assert run.stdout == "False\nTrue\n"
    assert run.stderr == ""


def test_on_tensorflow_importing_lmkeras_starts_it_without_jax_and_leaves_jax_importable(tmp_path):
    # TensorFlow imports JAX for TFLite's converter when JAX is installed (0.46 s of its start,
    # 2026-12-04): lmkeras hides JAX while TensorFlow starts, and only then.
    code = textwrap.dedent(
        """
        import sys
        import lmkeras
        print("tensorflow" in sys.modules, "jax" in sys.modules)
        import jax
        print(jax.numpy.add(1, 2).item())
        """
    )
    run = _python(code, tmp_path, "tensorflow")
    assert run.stdout == "True False\n3\n"
