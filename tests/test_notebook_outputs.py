"""No committed notebook output holds what a student reads as "it broke": CUDA errors, TensorFlow's
C++ log lines, warnings the course's own calls cause, or paths of the machine that ran it.

Re-run a notebook with the install cell as its first cell (it starts TensorFlow quietly); a
Python warning always names the absolute path of the file that raised it, so the path rule also
catches every warning, from lmkeras or a library.
"""

from __future__ import annotations

import json
import pathlib
import re

import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))

NOISE = {
    "a CUDA error or driver message": re.compile(r"cuInit|CUDA error|cuda drivers", re.I),
    "a TensorFlow/absl C++ log line": re.compile(
        r"^[IWEF]\d{4} \d\d:\d\d:\d\d|absl::InitializeLog|oneDNN custom operations", re.M
    ),
    "a warning raised in lmkeras": re.compile(r"lmkeras[/\\][\w/\\]*\.py:\d+: \w*Warning"),
    "Keras' `shuffle` warning (the data shuffles itself)": re.compile(r"`shuffle=True` was passed"),
    "sacrebleu's detokenize warning": re.compile(r"forgot to detokenize"),
    "tqdm's IProgress warning": re.compile(r"IProgress not found"),
    "an absolute path of the machine": re.compile(
        r"(?<![\w.~])(?:/(?:work|home|tmp|root|Users|usr|opt|var|mnt|content|private)/"
        r"|[A-Z]:\\\\?(?:Users|Program))"
        r"|site-packages"
    ),
}


def _texts(cell: dict):
    for output in cell.get("outputs", []):
        if "text" in output:
            yield "".join(output["text"])
        for key in ("text/plain", "text/html", "text/markdown"):
            if key in output.get("data", {}):
                yield "".join(output["data"][key])
        if output["output_type"] == "error":
            yield "\n".join(output.get("traceback", []))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_outputs_hold_no_error_looking_noise(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    found = [
        f"cell {index}: {what}: {match.group(0)!r} in {text[max(match.start() - 60, 0) :][:160]!r}"
        for index, cell in enumerate(cells)
        for text in _texts(cell)
        for what, pattern in NOISE.items()
        for match in [pattern.search(text)]
        if match
    ]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    "text, caught",
    [
        ("E0000 00:00:1795.3 cuda_platform.cc:52] failed call to cuInit: CUDA error", True),
        ("I0000 00:00:1795498174.313598    8772 port.cc:153] oneDNN custom operations", True),
        ("W1201 21:49:06.262000 26521 torch/_dynamo/convert_frame.py:1994] recompile", True),
        ("/work/venv/lib/python3.11/site-packages/keras/src/x.py:74: UserWarning: hi", True),
        ("/content/lmkeras/lmkeras/training.py:12: UserWarning: careful", True),
        ("   data_dir: /home/ana/data", True),
        ("PosixPath('/tmp/tmpab12/model.keras')", True),
        ("validation 1.518 nats/char; 3/4 of the runs; runs/bleu_09.json", False),
        ("Epoch 1/2 - 12s - loss: 2.31", False),
    ],
)
def test_the_patterns_catch_noise_and_spare_ordinary_text(text, caught):
    assert any(p.search(text) for p in NOISE.values()) == caught
