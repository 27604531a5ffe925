"""The README's course map quotes what the notebooks measured: each time equals the one the
notebook's header states, and each loss or BLEU equals the one its committed output printed."""

from __future__ import annotations

import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
ROW = re.compile(
    r"^\| (\d\d) \| \[[^]]+\]\(notebooks/([\w.]+\.ipynb)\) \| (.+?) \| (.+?) \| (.+?) \|", re.M
)
DURATION = re.compile(r"(\d+(?:\.\d+)?) (min(?:utes?)?|s)\b(?: (\d+) s\b)?")

# (notebook, figure in the README row, the same figure in the notebook's committed output)
FIGURES = [
    ("04", r"validation (\d\.\d+) nats/char", r"GRU \d+ \(\d+ min\) +(\d\.\d+)"),
    ("04", r"perplexity (\d+\.\d+) in", r"GRU \d+ \(\d+ min\) +\S+ +\S+ +(\d+\.\d+)"),
    ("08", r"validation (\d\.\d+) nats/char", r"over the whole split: (\d\.\d+) nats/char"),
    ("09", r"test BLEU (\d+\.\d+) greedy", r"GRU \+ attention, greedy +(\d+\.\d+)"),
    ("09", r"greedy / (\d+\.\d+) beam-4", r"GRU \+ attention, beam 4 +(\d+\.\d+)"),
    ("09", r"GRU alone (\d+\.\d+) /", r"GRU, greedy +(\d+\.\d+)"),
    ("09", r"GRU alone \d+\.\d+ / (\d+\.\d+)", r"GRU, beam 4 +(\d+\.\d+)"),
    ("10", r"test BLEU (\d+\.\d+) greedy", r"greedy: BLEU = (\d+\.\d+)"),
    ("10", r"greedy / (\d+\.\d+) beam-4", r"beam: BLEU = (\d+\.\d+)"),
    ("10", r"after (\d+\.\d+) min of training", r"trained \d+ epochs in (\d+\.\d+) min"),
    ("10", r"\((\d+) epochs\)", r"trained (\d+) epochs in"),
    ("11", r"token accuracy (\d+\.\d)%", r"test, ≤ 10 words: token accuracy (\d+\.\d)%"),
    ("11", r"exact (\d+\.\d)% on test", r"test, ≤ 10 words: token accuracy \S+, exact (\d+\.\d)%"),
    ("12", r"LoRA r=8 (\d\.\d+) vs", r"LoRA r=8: validation (\d\.\d+)"),
    ("12", r"vs full (\d\.\d+) nats", r"full: validation (\d\.\d+)"),
]


def _rows() -> dict[str, tuple[str, ...]]:
    return {m.group(1): m.groups()[1:] for m in ROW.finditer(README)}


def _output(name: str) -> str:
    cells = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))["cells"]
    return "".join("".join(o.get("text", "")) for c in cells for o in c.get("outputs", []))


def _seconds(match: re.Match) -> float:
    value, unit, extra = match.groups()
    return float(value) * (60 if unit.startswith("min") else 1) + float(extra or 0)


def _tolerance(match: re.Match) -> float:
    """Half a unit of the last digit written: "1.7 min" covers 1.65–1.75 minutes."""
    value, unit, extra = match.groups()
    decimals = len(value.split(".")[1]) if "." in value else 0
    return 0.5 * 10**-decimals * (1 if extra or not unit.startswith("min") else 60) + 1e-9


def _header_time(name: str, mode: str) -> re.Match:
    cells = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))["cells"]
    header = "".join(cells[0]["source"])
    after = header[header.index(f"{mode} mode") :]
    return DURATION.search(after)


NUMBERS = [path.name[:2] for path in sorted((ROOT / "notebooks").glob("*.ipynb"))]


def test_the_course_map_has_a_row_per_notebook():
    assert sorted(_rows()) == NUMBERS


@pytest.mark.parametrize("number", NUMBERS)
def test_times_are_the_notebook_headers(number):
    name, _, quick, full = _rows()[number]
    for mode, cell in (("quick", quick), ("full", full)):
        # "6 s (JAX 1.1×)": the time is TensorFlow's, the bracket JAX's as a multiple of it
        readme, header = DURATION.search(cell), _header_time(name, mode)
        assert readme and header, (mode, cell)
        assert abs(_seconds(readme) - _seconds(header)) <= _tolerance(readme), (
            f"{name}: README says {mode} mode {readme.group(0)}, the notebook {header.group(0)}"
        )


@pytest.mark.parametrize("number, in_readme, in_output", FIGURES)
def test_figures_are_what_the_notebooks_printed(number, in_readme, in_output):
    name, built, _, _ = _rows()[number]
    quoted, printed = re.search(in_readme, built), re.search(in_output, _output(name))
    assert quoted, f"README row {number} no longer quotes {in_readme!r}"
    assert printed, f"{name}'s output no longer prints {in_output!r}"
    decimals = len(quoted.group(1).split(".")[1]) if "." in quoted.group(1) else 0
    assert float(quoted.group(1)) == round(float(printed.group(1)), decimals), (
        f"{name}: README says {quoted.group(0)!r}, the notebook printed {printed.group(0)!r}"
    )


def test_the_memory_figure_is_the_largest_header_figure():
    quoted = re.search(r"peak memory\s+≤ (\d+\.\d) GB", README)
    figures = [
        float(m.group(1))
        for path in sorted((ROOT / "notebooks").glob("*.ipynb"))
        for m in re.finditer(r"peak memory (\d+\.\d) GB", path.read_text(encoding="utf-8"))
    ]
    assert quoted and figures and float(quoted.group(1)) == max(figures)
