"""Time notebooks end to end (kernel start included), backend by backend, side by side.

What the README's course map and each notebook's header quote as "quick mode": the wall clock
of running the notebook top to bottom in a fresh kernel, on TensorFlow, and JAX's time as a
multiple of it. Nothing is written back into the notebooks.

Example:
    LMKERAS_DATA_DIR=../shared/data LMKERAS_QUICK=1 \\
        python benchmarks/bench_notebooks.py 04 08 --backends tensorflow jax
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def run_seconds(path: Path, backend: str, timeout: int) -> float:
    """Seconds to execute `path` in a fresh `python3` kernel on `backend`."""
    notebook = nbformat.read(path, as_version=4)
    os.environ["KERAS_BACKEND"] = backend  # the kernel inherits this process' environment
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("numbers", nargs="*", help="notebook numbers, e.g. 04 08 (default: all)")
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "jax"])
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    args = parser.parse_args()
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    if args.numbers:
        paths = [p for p in paths if p.name[:2] in args.numbers]
    mode = "quick" if os.environ.get("LMKERAS_QUICK") == "1" else "full"
    print(f"{mode} mode; seconds per notebook, fresh kernel, kernel start included")
    print(f"{'notebook':34s}" + "".join(f"{b:>12s}" for b in args.backends) + "   ratios")
    for path in paths:
        seconds = [run_seconds(path, backend, args.timeout) for backend in args.backends]
        ratios = " ".join(f"{s / seconds[0]:.1f}×" for s in seconds[1:])
        print(
            f"{path.name:34s}" + "".join(f"{s:12.0f}" for s in seconds) + f"   {ratios}", flush=True
        )


if __name__ == "__main__":
    main()
