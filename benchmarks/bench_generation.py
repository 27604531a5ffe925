"""Tokens/s of a GPT's two generation paths, per sampler: the compiled loop and Python's loop.

    python benchmarks/bench_generation.py [--model m.keras] [--rounds 2] [--tokens 300]
    python benchmarks/bench_generation.py --variants new=,old=/tmp/old-tree   (side by side)

The compiled loop is `gpt_generate` (the whole token loop in one XLA / `jax.jit` program); the
Python loop is `sampling.generate(gpt_step_fn(model), ...)`, one compiled step call and one
sampler call per token, which is what end tokens, n-gram bans and custom samplers go through.
The issue's target: every path within 2× of the compiled loop's tokens/s. Both run on the same
model, prompt and seed, after a warm-up call (compilation excluded); each figure is the best of
three calls. Greedy decoding must give the same tokens both ways (checked and printed).

Backends and variants alternate within each round, each in a fresh process. A variant is
`NAME=PYTHONPATH`: a tree put in front of the installed package (empty: the installed one).
Without `--model`, trains one for 30 s first (`lmkeras-gpt train --minutes 0.5`). Wrap it in
`flock /tmp/lmkeras-cpu.lock` on a shared machine: it measures speed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

SAMPLERS = {
    "greedy": "sampling.GreedySampler()",
    "top-k 10": "sampling.TopKSampler(10)",
    "top-p 0.9": "sampling.TopPSampler(0.9)",
}

# Run in a child process: tokens/s of each path and sampler, as JSON on stdout's last line.
WORKER = r"""
import json, sys, time
import keras, numpy as np
import lmkeras
from lmkeras import sampling
from lmkeras.models.gpt import gpt_generate, gpt_step_fn
model = keras.saving.load_model(sys.argv[1])
tokens, samplers = int(sys.argv[2]), json.loads(sys.argv[3])
prompt = np.array([[1, 2, 3, 4, 5, 6]], "int32")
step = gpt_step_fn(model)
paths = {
    "compiled": lambda s: gpt_generate(model, prompt, tokens, s, seed=1),
    "python": lambda s: sampling.generate(step, prompt, tokens, s, seed=1),
}
result = {"lmkeras": lmkeras.__file__}
for name, code in samplers.items():
    sampler = eval(code)
    outputs = {}
    for path, run in paths.items():
        keras.ops.convert_to_numpy(run(sampler))  # compile, warm up
        best = float("inf")
        for _ in range(3):
            begin = time.perf_counter()
            outputs[path] = keras.ops.convert_to_numpy(run(sampler))
            best = min(best, time.perf_counter() - begin)
        result[f"{name}/{path}"] = tokens / best
    result[f"{name}/same"] = bool(np.array_equal(outputs["compiled"], outputs["python"]))
print(json.dumps(result))
"""


def _run(model: str, tokens: int, backend: str, pythonpath: str) -> dict:
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [pythonpath, env.get("PYTHONPATH")]))
    # In a folder of its own: the working folder comes first on a `-c` run's path.
    done = subprocess.run(
        [sys.executable, "-c", WORKER, model, str(tokens), json.dumps(SAMPLERS)],
        env=env, capture_output=True, text=True, cwd=tempfile.gettempdir(),
    )  # fmt: skip
    if done.returncode:
        raise SystemExit(f"the {backend} worker failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from bench_cli import model_file, parse_arguments

    args, variants = parse_arguments(__doc__.split("\n")[0], rounds=2, tokens=300)
    model = model_file(args.model, tempfile.mkdtemp(prefix="bench_generation_"))
    runs: dict[tuple[str, str], list[dict]] = {}
    for round_number in range(args.rounds):
        for backend in args.backends.split(","):
            for name, path in variants.items():
                result = _run(model, args.tokens, backend, path)
                runs.setdefault((backend, name), []).append(result)
                print(f"round {round_number}: {backend} {name} ({result['lmkeras']})", flush=True)
    print(f"\n{args.tokens} new tokens after a 6-token prompt, batch 1, tokens/s (each round)\n")
    print("| backend | variant | sampler | compiled loop | Python loop | compiled ÷ Python | "
          "same tokens |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for (backend, name), results in runs.items():
        for sampler in SAMPLERS:
            compiled = [r[f"{sampler}/compiled"] for r in results]
            python = [r[f"{sampler}/python"] for r in results]
            ratios = " / ".join(f"{c / p:.1f}×" for c, p in zip(compiled, python))
            same = "yes" if all(r[f"{sampler}/same"] for r in results) else "no"
            if sampler != "greedy":
                same = "(seeded draws differ by path)"
            print(f"| {backend} | {name} | {sampler} | "
                  f"{' / '.join(f'{c:,.0f}' for c in compiled)} | "
                  f"{' / '.join(f'{p:,.0f}' for p in python)} | {ratios} | {same} |")  # fmt: skip


if __name__ == "__main__":
    main()
