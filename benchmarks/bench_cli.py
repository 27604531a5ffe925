"""Wall clock of `lmkeras-gpt sample` (1,000 characters), whole command and its parts.

    python benchmarks/bench_cli.py [--model m.keras] [--rounds 4] [--backends tensorflow,jax]
    python benchmarks/bench_cli.py --variants new=,old=/tmp/old-tree   (side by side)

The issue's target: 1,000 characters in at most 5 s on the 2-core CPU, TensorFlow, default
flags. Each run is the command a user types (`python -m lmkeras.gpt_cli sample MODEL --prompt
"ROMEO:" --tokens 1000 --seed 1`) in a fresh process, timed from outside, with a compile cache
folder of this run's own: the first round fills it (a first run on a machine), later rounds
read it. Backends and variants alternate within each round, so the machine's drift in speed
falls on all of them. A variant is `NAME=PYTHONPATH`: the tree (and packages) put in front of
the installed ones, to compare two versions of the code in one run (empty: the installed one).

Then, per backend and variant, one process reports where its time goes: importing lmkeras
(which starts Keras and its backend), loading the `.keras` file, the first `gpt_generate`
(tracing, and compilation or the compile cache) and the second (the generation itself), and
the rest of the command's wall clock (Python's start and the process's exit).

Without `--model`, trains one for 30 s first (`lmkeras-gpt train --minutes 0.5`): the time of
sampling does not depend on what the weights learned. Wrap it in `flock /tmp/lmkeras-cpu.lock`
on a shared machine: it measures wall-clock speed.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

COMMAND = ["-m", "lmkeras.gpt_cli", "sample"]
FLAGS = ["--prompt", "ROMEO:", "--seed", "1"]

# Run in a child process: the parts of one sample, timed inside it, as JSON on stdout's last line.
PARTS = r"""
import json, os, sys, time
start = time.perf_counter()
import lmkeras, keras, numpy as np
from lmkeras import sampling
from lmkeras.models.gpt import gpt_generate
imported = time.perf_counter()
model = keras.saving.load_model(sys.argv[1])
loaded = time.perf_counter()
prompt = np.array([[1, 2, 3, 4, 5, 6]], "int32")
times = []
for _ in range(2):
    begin = time.perf_counter()
    ids = gpt_generate(model, prompt, int(sys.argv[2]), sampling.TemperatureSampler(1.0), seed=1)
    keras.ops.convert_to_numpy(ids)
    times.append(time.perf_counter() - begin)
print(json.dumps({"import": imported - start, "load": loaded - imported,
                  "first": times[0], "second": times[1], "end": time.time()}))
sys.stdout.flush()
"""


def _environment(backend: str, pythonpath: str, cache: str) -> dict:
    env = dict(os.environ, KERAS_BACKEND=backend, KERAS_HOME=cache)
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [pythonpath, env.get("PYTHONPATH")]))
    return env


def _sample_seconds(model: str, tokens: int, env: dict, cache: str) -> tuple[float, str]:
    command = [sys.executable, *COMMAND, model, *FLAGS, "--tokens", str(tokens),
               "--compile-cache", cache]  # fmt: skip
    begin = time.perf_counter()
    # In a folder of its own: a `-m` run puts the working folder first on the path.
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=cache + "-cwd")
    seconds = time.perf_counter() - begin
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return seconds, done.stdout


def _parts(model: str, tokens: int, env: dict) -> dict:
    begin_wall, begin = time.time(), time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PARTS, model, str(tokens)], env=env,
                          capture_output=True, text=True, cwd=tempfile.gettempdir())  # fmt: skip
    total = time.perf_counter() - begin
    if done.returncode:
        raise SystemExit(f"timing the parts failed:\n{done.stderr[-2000:]}")
    parts = json.loads(done.stdout.strip().splitlines()[-1])
    inside = parts["import"] + parts["load"] + parts["first"] + parts["second"]
    parts["exit"] = begin_wall + total - parts.pop("end")
    parts["start"] = total - inside - parts["exit"]
    parts["total"] = total
    return parts


def parse_arguments(description: str, rounds: int, tokens: int) -> tuple[argparse.Namespace, dict]:
    """The flags this benchmark shares with bench_generation.py, and the variants by name."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--model", help="a .keras file written by `lmkeras-gpt train`")
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument("--tokens", type=int, default=tokens)
    parser.add_argument("--backends", default="tensorflow,jax")
    parser.add_argument(
        "--variants", default="installed=", help="NAME=PYTHONPATH,... (default: installed only)"
    )
    args = parser.parse_args()
    return args, dict(item.split("=", 1) for item in args.variants.split(","))


def model_file(model: str | None, work: str) -> str:
    """`model`'s absolute path, or a model trained 30 s into `work` when it is None."""
    if model is not None:
        return os.path.abspath(model)
    model = os.path.join(work, "m.keras")
    subprocess.run([sys.executable, "-m", "lmkeras.gpt_cli", "train", "--minutes", "0.5",
                    "--out", model], check=True, capture_output=True)  # fmt: skip
    return model


def main() -> None:
    args, variants = parse_arguments(__doc__.split("\n")[0], rounds=4, tokens=1000)
    backends = args.backends.split(",")
    work = tempfile.mkdtemp(prefix="bench_cli_")
    model = model_file(args.model, work)
    runs: dict[tuple[str, str], list[float]] = {}
    texts: dict[str, set[str]] = {}
    for round_number in range(args.rounds):
        for backend in backends:
            for name, path in variants.items():
                cache = os.path.join(work, f"cache-{name}")  # per variant: programs may differ
                os.makedirs(cache + "-cwd", exist_ok=True)
                env = _environment(backend, path, os.path.join(work, f"home-{name}"))
                seconds, text = _sample_seconds(model, args.tokens, env, cache)
                runs.setdefault((backend, name), []).append(seconds)
                texts.setdefault(backend, set()).add(text)
                print(f"round {round_number}: {backend:10s} {name:10s} {seconds:5.2f} s",
                      flush=True)  # fmt: skip
    print(f"\n`lmkeras-gpt sample` of {args.tokens} characters, wall clock of the whole command "
          f"(round 0 fills the compile cache)\n")  # fmt: skip
    print("| backend | variant | each round (s) | median of rounds 1+ (s) |")
    print("|---|---|---|---|")
    for (backend, name), seconds in runs.items():
        warm = seconds[1:] or seconds
        each = ", ".join(f"{s:.2f}" for s in seconds)
        print(f"| {backend} | {name} | {each} | {statistics.median(warm):.2f} |")
    for backend, seen in texts.items():
        same = "the same text" if len(seen) == 1 else f"{len(seen)} different texts"
        print(f"{backend}: {same} from every run")
    print("\nWhere one process's time goes (compile cache warm; seconds)\n")
    print("| backend | variant | start | import | load | 1st generate | 2nd generate | exit | "
          "total |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for backend in backends:
        for name, path in variants.items():
            home = os.path.join(work, f"home-{name}")
            env = _environment(backend, path, home)
            # The compile cache the command filled, set as the command sets it.
            folders = glob.glob(os.path.join(work, f"cache-{name}", f"{backend}-*"))
            if folders and backend == "tensorflow":
                env["TF_XLA_FLAGS"] = f"--tf_xla_persistent_cache_directory={folders[0]}"
            elif folders and backend == "jax":
                env["JAX_COMPILATION_CACHE_DIR"] = folders[0]
                env["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
            parts = _parts(model, args.tokens, env)
            keys = ("start", "import", "load", "first", "second", "exit", "total")
            cells = " | ".join(f"{parts[key]:.2f}" for key in keys)
            print(f"| {backend} | {name} | {cells} |")


if __name__ == "__main__":
    main()
