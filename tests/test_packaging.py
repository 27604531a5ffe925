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


def test_requirements_txt_lists_every_dependency():
    lines = [
        line.strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    project = _project()
    assert set(project["dependencies"]) <= set(lines)
    assert set(project["optional-dependencies"]["notebooks"]) <= set(lines)
    assert "-e ." in lines


def test_environment_yml_installs_the_package():
    assert "-e .[notebooks,test]" in (ROOT / "environment.yml").read_text()


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


def test_every_notebook_is_in_the_readme_course_map():
    readme = (ROOT / "README.md").read_text()
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert f"notebooks/{notebook.name}" in readme, f"{notebook.name} missing from README"
