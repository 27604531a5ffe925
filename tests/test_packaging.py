"""The install files and the README's commands must stay in step with each other."""

import pathlib
import re

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[; ]", r.strip(), maxsplit=1)[0].lower() for r in requirements}


# What a student installs: the package, the notebook tools and the JAX backend (notebook 00's
# first exercise switches to it). The README's course command, requirements.txt and
# environment.yml must install the same.
COURSE_EXTRAS = ("notebooks", "jax")


def test_requirements_txt_lists_every_dependency():
    lines = [
        line.strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    project = _project()
    assert set(project["dependencies"]) <= set(lines)
    for extra in COURSE_EXTRAS:
        assert set(project["optional-dependencies"][extra]) <= set(lines), extra
    assert "-e ." in lines


def test_environment_yml_and_the_readme_install_the_course_extras():
    extras = ",".join(COURSE_EXTRAS)
    assert f"-e .[{extras}]" in (ROOT / "environment.yml").read_text()
    assert f'pip install -e ".[{extras}]"' in (ROOT / "README.md").read_text()


def test_every_backend_has_an_extra_and_pytorch_a_cpu_wheel_instruction():
    extras = _project()["optional-dependencies"]
    assert _names(extras["jax"]) == {"jax"} and _names(extras["torch"]) == {"torch"}
    readme = (ROOT / "README.md").read_text()
    assert "--index-url https://download.pytorch.org/whl/cpu" in readme
    assert '".[torch]"' in readme


def test_colab_constraints_satisfy_the_lower_bounds():
    pins = dict(
        line.split("==")
        for line in (ROOT / "constraints" / "colab.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    bounds = {_names([d]).pop(): d.split(">=")[1] for d in _project()["dependencies"] if ">=" in d}
    for name in ("keras", "tensorflow", "keras-hub"):
        pinned = tuple(int(p) for p in pins[name].split(".")[:2])
        lower = tuple(int(p) for p in bounds[name].split(".")[:2])
        assert pinned >= lower, f"{name}: Colab's {pins[name]} is below our bound {bounds[name]}"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash tests/run.sh" in readme
    assert ci.strip().splitlines()[-1] == "bash tests/run.sh"
    assert "LMKERAS_QUICK=1" in ci and "shared/data" in ci


def test_ci_builds_checks_and_installs_the_wheel_and_tests_every_backend():
    run = (ROOT / "tests" / "run.sh").read_text()
    for step in ("-m build", "twine check", "KERAS_BACKEND=jax", "KERAS_BACKEND=torch"):
        assert step in run, step


def test_every_notebook_is_in_the_readme_course_map():
    readme = (ROOT / "README.md").read_text()
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert f"notebooks/{notebook.name}" in readme, f"{notebook.name} missing from README"


def test_every_versioned_path_exists_so_ci_runs_its_tests_on_colabs_versions():
    from tests.conftest import VERSIONED

    for path in VERSIONED:
        assert (ROOT / "tests" / path).exists(), f"tests/conftest.py VERSIONED names {path!r}"
    run = (ROOT / "tests" / "run.sh").read_text()
    assert '-m "slow or not versioned"' in run and '-m "versioned and not slow"' in run
