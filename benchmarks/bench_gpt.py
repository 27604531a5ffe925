"""GPT benchmarks: training throughput (Keras on TensorFlow/XLA and JAX vs PyTorch), KV-cache
generation speed-up, and optionally the 10-minute quality run. Run it holding the exclusive lock:

    flock -x /tmp/lmkeras-cpu.lock env LMKERAS_DATA_DIR=/work/shared/data \\
        python benchmarks/bench_gpt.py [--rounds 2] [--quality-minutes 10] \\
        [--impls pytorch,keras-tensorflow-xla,keras-jax,pytorch-bf16,keras-tensorflow-bf16]

Each measurement runs in its own process (a Keras backend is fixed per process) and the
implementations alternate within each round, so load drifts hit them alike. Compilation and
warm-up steps are excluded from throughput; the figures are steady-state tokens per second.
Generation times 256 greedy tokens four ways (with and without the cache, the loop compiled by
`gpt_generate` or driven from Python by `sampling.generate`), each on its second run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

CONFIGS = {  # name: (vocab, context, layers, heads, width, batch)
    "small": (65, 64, 4, 4, 128, 12),  # nanoGPT's CPU recipe
    "large": (65, 256, 6, 6, 384, 64),  # nanoGPT's shakespeare-char GPU recipe
    "recipe": (65, 128, 4, 4, 128, 32),  # chapter 08's shape (CharGPTConfig)
}
STEPS = {"small": (10, 40), "large": (2, 3), "recipe": (5, 20)}  # (warm-up, measured) steps
IMPLS = {  # name: (KERAS_BACKEND or None for PyTorch, jit_compile, bfloat16 mixed precision)
    "pytorch": (None, None, False),
    "keras-tensorflow-xla": ("tensorflow", True, False),
    "keras-jax": ("jax", True, False),
    # Mixed bfloat16 (float32 weights) on both sides: torch.autocast against Keras's
    # mixed_bfloat16 policy without XLA (TensorFlow's oneDNN kernels use AMX; its XLA does not).
    "pytorch-bf16": (None, None, True),
    "keras-tensorflow-bf16": ("tensorflow", False, True),
    "keras-jax-bf16": ("jax", True, True),
    # Keras' PyTorch backend: eager, and with `jit_compile=True` (its train step under
    # torch.compile).
    "keras-torch": ("torch", False, False),
    "keras-torch-compile": ("torch", True, False),
}
DEFAULT_IMPLS = "pytorch,keras-tensorflow-xla,keras-jax"


def worker_throughput(impl, config):
    vocab, context, layers, heads, width, batch = CONFIGS[config]
    warmup, steps = STEPS[config]
    if IMPLS[impl][0] is None:
        sys.path.insert(0, os.path.dirname(__file__))
        from torch_gpt import tokens_per_second

        return tokens_per_second(
            vocab, context, layers, heads, width, batch, steps, warmup, bfloat16=IMPLS[impl][2]
        )
    import keras
    import numpy as np

    from lmkeras.models.gpt import build_gpt
    from lmkeras.training import compile_for_training

    if IMPLS[impl][2]:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")

    model = build_gpt(vocab, context, layers, heads, width)
    compile_for_training(model, jit_compile=IMPLS[impl][1])
    rng = np.random.default_rng(0)
    x, y = (rng.integers(0, vocab, (batch, context)).astype("int32") for _ in range(2))
    for i in range(warmup + steps):
        if i == warmup:
            tic = time.perf_counter()
        loss = model.train_on_batch(x, y)
    assert np.isfinite(loss)
    return steps * batch * context / (time.perf_counter() - tic)


def _timed(fn):
    import numpy as np

    np.asarray(fn())  # compile / warm up; np.asarray waits for JAX's asynchronous dispatch
    tic = time.perf_counter()
    out = np.asarray(fn())
    return time.perf_counter() - tic, out


def worker_generation(impl, config, new_tokens=256):
    """Greedy tokens/s with and without the cache, in the compiled loop and the Python loop."""
    import numpy as np

    from lmkeras import sampling
    from lmkeras.models.gpt import build_gpt, gpt_generate, gpt_step_fn

    vocab, _, layers, heads, width, _ = CONFIGS[config]
    prompt = np.random.default_rng(0).integers(0, vocab, (1, 8)).astype("int32")
    model = build_gpt(vocab, 8 + new_tokens, layers, heads, width)
    greedy = sampling.GreedySampler()
    runs = {
        "compiled_loop_cache": lambda: gpt_generate(model, prompt, new_tokens),
        "compiled_loop_no_cache": lambda: gpt_generate(model, prompt, new_tokens, use_cache=False),
    }
    for name, cache in (("python_loop_cache", True), ("python_loop_no_cache", False)):
        step = gpt_step_fn(model, use_cache=cache)
        runs[name] = lambda step=step: sampling.generate(step, prompt, new_tokens, greedy)
    result, outs = {}, []
    for name, run in runs.items():
        seconds, out = _timed(run)
        result[name] = round(new_tokens / seconds, 1)
        outs.append(np.asarray(out))
    cached = max(result["compiled_loop_cache"], result["python_loop_cache"])
    uncached = max(result["compiled_loop_no_cache"], result["python_loop_no_cache"])
    result["speedup"] = round(cached / uncached, 2)
    result["same_tokens"] = all(np.array_equal(outs[0], out) for out in outs)
    return result


def worker_quality(minutes):
    from lmkeras.recipes.char_gpt import train_char_gpt

    return train_char_gpt(minutes * 60.0, verbose=0)["final"]


def run_worker(kind, impl, config, extra=()):
    backend = IMPLS[impl][0] or "torch"
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    cmd = [sys.executable, __file__, "--worker", kind, "--impl", impl, "--config", config, *extra]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--configs", default="small,large")
    parser.add_argument("--large-rounds", type=int, default=1, help="rounds of the large config")
    parser.add_argument("--impls", default=DEFAULT_IMPLS, help=f"from {', '.join(IMPLS)}")
    parser.add_argument("--generation", default="keras-tensorflow-xla,keras-jax,pytorch")
    parser.add_argument("--generation-configs", default="small,large")
    parser.add_argument("--quality-minutes", type=float, default=0.0)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--impl", help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        if args.worker == "throughput":
            result = worker_throughput(args.impl, args.config)
        elif args.worker == "generation":
            result = worker_generation(args.impl, args.config)
        else:
            result = worker_quality(args.quality_minutes)
        print(json.dumps(result))
        return
    configs, impls = args.configs.split(","), args.impls.split(",")
    results = {(c, i): [] for c in configs for i in impls}
    for r in range(args.rounds):
        for c in [c for c in configs if c != "large" or r < args.large_rounds]:
            for i in impls if r % 2 == 0 else impls[::-1]:
                value = run_worker("throughput", i, c)
                results[c, i].append(value)
                print(f"round {r} {c:5s} {i:22s} {value}", flush=True)
    print("\nTraining throughput, tokens/s (best of rounds) and ratio to PyTorch eager float32")
    for c in configs:
        best = {i: max(v for v in results[c, i] if isinstance(v, float)) for i in impls
                if any(isinstance(v, float) for v in results[c, i])}  # fmt: skip
        for i, value in best.items():
            ratio = value / best["pytorch"] if "pytorch" in best else float("nan")
            line = f"  {c:5s} {str(CONFIGS[c]):28s} {i:22s} {value:10.0f}  {ratio:5.2f}x"
            if IMPLS[i][2] and "pytorch-bf16" in best:
                line += f"  ({value / best['pytorch-bf16']:.2f}x PyTorch bf16)"
            print(line)
    if args.generation:
        print("\nGeneration of 256 new tokens (batch 1, greedy): tokens/s; speedup = the faster")
        print("cached loop over the faster uncached loop")
        for c in args.generation_configs.split(","):
            for i in args.generation.split(","):
                print(f"  {c:5s} {i:22s} {run_worker('generation', i, c)}", flush=True)
    if args.quality_minutes:
        extra = ["--quality-minutes", str(args.quality_minutes)]
        result = run_worker("quality", "keras-tensorflow-xla", "small", extra)
        print(f"\nQuality: {args.quality_minutes} min of chapter-08 training: {result}")


if __name__ == "__main__":
    main()
