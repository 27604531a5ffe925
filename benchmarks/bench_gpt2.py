"""Generation speed: the course's GPT with GPT-2's weights against KerasHub's `generate`.

    flock -x /tmp/lmkeras-cpu.lock python benchmarks/bench_gpt2.py \\
        [--sizes tiny,base] [--backends tensorflow,jax] [--new-tokens 64] [--rounds 3]

For each size and backend (each in its own process: a Keras backend is fixed per process), a
KerasHub `GPT2Backbone` is built — `tiny` (2 layers, width 64, 4 heads, 1,000 tokens), `base`
(GPT-2 base's shape: 12 layers, width 768, 12 heads, 50,257 tokens, random weights: speed does
not depend on their values), or `--preset NAME` to download real weights when the network
allows — and its weights are loaded into `build_gpt` with `load_gpt2_weights`. Both then
generate `--new-tokens` greedy tokens after the same 8 random prompt ids, batch 1: KerasHub's
`GPT2CausalLM.generate` (its compiled loop with its KV cache; `jit_compile=True` on TensorFlow)
and ours, `gpt_generate` (the whole loop compiled, KV cache). Each is timed on its second call
and after, best of `--rounds`, so compilation is excluded; the tokens must agree. The ratio is
our tokens/s over KerasHub's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

SIZES = {  # vocabulary, positions, layers, heads, width
    "tiny": (1000, 128, 2, 4, 64),
    "base": (50257, 1024, 12, 12, 768),
}


def worker(size, new_tokens, rounds, preset):
    import keras
    import keras_hub
    import numpy as np

    from lmkeras.hub import load_gpt2, tiny_gpt2_backbone
    from lmkeras.models.gpt import build_gpt, gpt_generate
    from lmkeras.models.gpt_weights import gpt2_hyperparameters, load_gpt2_weights

    note = f"random weights, {size} shape"
    if preset:
        loaded = load_gpt2(preset)
        note = loaded.message
        backbone = loaded.causal_lm.backbone
    else:
        vocabulary, positions, layers, heads, width = SIZES[size]
        backbone = tiny_gpt2_backbone(vocabulary, layers, heads, width,
                                      max_sequence_length=positions)  # fmt: skip
    model = build_gpt(**gpt2_hyperparameters(backbone))
    load_gpt2_weights(model, backbone)
    prompt = np.random.default_rng(0).integers(0, backbone.vocabulary_size, (1, 8), "int32")
    length = 8 + new_tokens
    causal_lm = keras_hub.models.GPT2CausalLM(backbone, preprocessor=None)
    xla = {"jit_compile": True} if keras.backend.backend() == "tensorflow" else {}
    causal_lm.compile(sampler="greedy", **xla)
    buffer = np.zeros((1, length), "int32")
    buffer[:, :8] = prompt
    inputs = {"token_ids": buffer, "padding_mask": np.arange(length)[None] < 8}

    def theirs():
        return causal_lm.generate(inputs, stop_token_ids=None)["token_ids"]

    def ours():
        return gpt_generate(model, prompt, new_tokens)

    results = {}
    for name, run in (("keras_hub", theirs), ("ours", ours)):
        tokens = np.asarray(keras.ops.convert_to_numpy(run()))  # compiles
        best = float("inf")
        for _ in range(rounds):
            tic = time.perf_counter()
            np.asarray(keras.ops.convert_to_numpy(run()))
            best = min(best, time.perf_counter() - tic)
        results[name] = {"tokens_per_second": new_tokens / best, "tokens": tokens.tolist()}
    return {"size": size, "backend": keras.backend.backend(), "note": note,
            "parameters": model.count_params(),
            "same_tokens": results["ours"]["tokens"] == results["keras_hub"]["tokens"],
            "keras_hub": results["keras_hub"]["tokens_per_second"],
            "ours": results["ours"]["tokens_per_second"]}  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="tiny,base")
    parser.add_argument("--backends", default="tensorflow,jax")
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--preset", default=None, help="a KerasHub preset (needs the network)")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.new_tokens, args.rounds, args.preset)))
        return
    print(f"greedy generation, batch 1, 8-token prompt, {args.new_tokens} new tokens; "
          f"best of {args.rounds} timed calls after one compiling call")  # fmt: skip
    print(f"{'size':6s} {'backend':11s} {'parameters':>12s} {'KerasHub tok/s':>15s} "
          f"{'ours tok/s':>11s} {'ratio':>6s}  same tokens")  # fmt: skip
    for size in args.sizes.split(","):
        for backend in args.backends.split(","):
            env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
            command = [sys.executable, __file__, "--worker", size, "--new-tokens",
                       str(args.new_tokens), "--rounds", str(args.rounds)]  # fmt: skip
            if args.preset:
                command += ["--preset", args.preset]
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            if done.returncode:
                print(f"{size:6s} {backend:11s} failed:\n{done.stderr[-2000:]}")
                continue
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"{size:6s} {backend:11s} {r['parameters']:12,d} {r['keras_hub']:15,.0f} "
                  f"{r['ours']:11,.0f} {r['ours'] / r['keras_hub']:5.2f}×  {r['same_tokens']}"
                  f"  ({r['note']})")  # fmt: skip


if __name__ == "__main__":
    main()
