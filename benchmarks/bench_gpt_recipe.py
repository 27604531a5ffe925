"""Ablation of chapter 08's char GPT recipe: which modern change buys loss per CPU minute.

    python benchmarks/bench_gpt_recipe.py --seconds 120 [--variants baseline,rope,...]
    python benchmarks/bench_gpt_recipe.py --seconds 600 --seeds 0,1 --variants baseline,modern

Each variant is `CharGPTConfig` (the chapter-08 recipe: 4 layers, width 128, context 128, batch
32, AdamW 3e-3, cosine over the time budget) with one change, or `modern` with all of them
(`CharGPTConfig.modern()`). Every run trains for the same wall-clock budget on tiny
Shakespeare (`train_char_gpt`, compilation included in the budget, as a student meets it), in
its own process, the variants alternating within each seed so that drift in the machine's speed
falls on all of them. The table gives steps, training tokens/s, the validation loss estimates
nearest 2, 5 and 10 minutes (8 random batches) and the final loss over the whole validation
split, in nats and bits per character (for characters, bits per byte is nearly the same: the
corpus is ASCII), scored on windows of the run's own context and on windows of 128 characters
(so that a model that predicts better is told from one that is scored with more context).

Wrap it in `flock /tmp/lmkeras-cpu.lock` on a shared machine: it measures wall-clock speed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys

VARIANTS = {
    "baseline": {},
    "rope": {"position": "rope"},
    "rms_qk_norm": {"norm": "rms", "qk_norm": True},
    "relu2": {"activation": "relu_squared"},
    "zero_init_untied": {
        "tie_weights": False,
        "head_initializer": "zeros",
        "zero_init_output": True,
    },  # fmt: skip
    "soft_cap": {"logit_soft_cap": 30.0},
    "muon": {"optimizer": "muon"},
    "muon_lr_6e-3": {"optimizer": "muon", "learning_rate": 6e-3},
    "modern_lr_3e-3": ("modern", {"learning_rate": 3e-3}),
    "modern": "modern",  # learning rate 6e-3
    "modern_adamw_lr_3e-3": ("modern", {"optimizer": "adamw", "learning_rate": 3e-3}),
    "modern_adamw_lr_6e-3": ("modern", {"optimizer": "adamw", "learning_rate": 6e-3}),
    "modern_lr_1e-2": ("modern", {"learning_rate": 1e-2}),
    "modern_layer_norm_lr_6e-3": (
        "modern",
        {"norm": "layer", "qk_norm": False, "learning_rate": 6e-3},
    ),  # fmt: skip
    "rope_muon_lr_6e-3": {"position": "rope", "optimizer": "muon", "learning_rate": 6e-3},
    # Size, context and schedule around modern() (2026-12-02, fourth session).
    "modern_min_lr_0": ("modern", {"min_lr_ratio": 0.0}),
    "modern_context_256": ("modern", {"sequence_length": 256, "batch_size": 16}),
    "modern_width_192": ("modern", {"hidden_dim": 192, "num_heads": 6}),
    "modern_6_layers": ("modern", {"num_layers": 6}),
    "modern_batch_64": ("modern", {"batch_size": 64}),
    "modern_batch_16": ("modern", {"batch_size": 16}),
    # Regularisation (2026-12-03): at 4 minutes the modern recipe's training loss is 0.24 below
    # its validation loss, and the gap grows with the epochs a 10-minute run takes (about 7).
    "modern_dropout_0.1": ("modern", {"dropout": 0.1}),
    "modern_dropout_0.2": ("modern", {"dropout": 0.2}),
    # 2026-12-04: on a machine 1.6× faster than the day before, 10 minutes of `modern()` are
    # about 11 passes over the training text, and its validation loss stops falling at 5.
    # Dropout on the embeddings and residual branches only (`attention_dropout=0.0`) keeps
    # the fused attention and skips the attention weights' masks, the costly ones on XLA:CPU.
    "modern_weight_decay_0.3": ("modern", {"weight_decay": 0.3}),
    "modern_residual_dropout_0.1": ("modern", {"dropout": 0.1, "attention_dropout": 0.0}),
    "modern_residual_dropout_0.2": ("modern", {"dropout": 0.2, "attention_dropout": 0.0}),
    "modern_residual_dropout_0.1_weight_decay_0.3": (
        "modern",
        {"dropout": 0.1, "attention_dropout": 0.0, "weight_decay": 0.3},
    ),
    # That combination is `modern()` since 2026-12-04; this is `modern()` until then.
    "modern_unregularised": (
        "modern",
        {"dropout": 0.0, "attention_dropout": None, "weight_decay": 0.1},
    ),
    # 2026-12-04, evening: the schedule. Warm-up, stable, decay (the peak held, then a straight
    # line to 0 over the last half or 30% of the budget, as in modded-nanogpt) against the
    # cosine to 10% that `modern()` had until then, and both with min_lr_ratio 0.
    "modern_cosine": ("modern", {"schedule": "cosine", "min_lr_ratio": 0.1}),
    "modern_cosine_min_lr_0": ("modern", {"schedule": "cosine", "min_lr_ratio": 0.0}),
    "modern_wsd": ("modern", {"schedule": "wsd", "min_lr_ratio": 0.0, "cooldown_fraction": 0.5}),
    "modern_wsd_cooldown_0.3": (
        "modern",
        {"schedule": "wsd", "min_lr_ratio": 0.0, "cooldown_fraction": 0.3},
    ),
    "modern_wsd_width_192": (
        "modern",
        {"schedule": "wsd", "min_lr_ratio": 0.0, "hidden_dim": 192, "num_heads": 6},
    ),
    # 2026-12-04, late: more regularisation around the wsd `modern()` (10 passes over the text).
    "modern_weight_decay_0.5": ("modern", {"weight_decay": 0.5}),
    "modern_dropout_0.15": ("modern", {"dropout": 0.15}),
    # 2026-12-05: two heads of width 64 (QK-norm and rotary positions per head).
    "modern_heads_2": ("modern", {"num_heads": 2}),
    # 2026-12-05, third session: weight decay past 0.5, and with nanoGPT's context of 256
    # (whose windows its 1.4697 is scored on).
    "modern_weight_decay_1.0": ("modern", {"weight_decay": 1.0}),
    "modern_context_256_weight_decay_0.5": (
        "modern",
        {"sequence_length": 256, "batch_size": 16, "weight_decay": 0.5},
    ),
    # Keras' PyTorch backend with the train step under torch.compile (bench_gpt.py measured it
    # the fastest Keras path for the baseline at this shape, 2026-12-03).
    "modern_torch_compile": ("modern", {}, "torch"),
}


def _config(name):
    from lmkeras.recipes.char_gpt import CharGPTConfig

    spec = VARIANTS[name]
    if spec == "modern":
        return CharGPTConfig.modern()
    if isinstance(spec, tuple):
        return CharGPTConfig.modern(**spec[1])
    return CharGPTConfig().replace(**spec)


def _worker(name, seconds, seed, out):
    import keras

    from lmkeras.recipes.char_gpt import train_char_gpt
    from lmkeras.training import evaluate_loss

    keras.utils.set_random_seed(seed)
    jit_compile = True if keras.backend.backend() == "torch" else None  # torch.compile
    run = train_char_gpt(seconds, config=_config(name), verbose=0, jit_compile=jit_compile)
    history, final = run["history"], run["final"]
    # The final loss is scored on windows of the run's own context; windows of 128 characters
    # (the previous recipe's) tell a model that predicts better from one scored with more context.
    val_128 = evaluate_loss(run["model"], run["validation_ids"], 128, 32)

    def at(second):
        """The validation estimate nearest `second` (None if the run ended well before)."""
        points = [(abs(s - second), v) for s, v in zip(history["seconds"], history["val_loss"])]
        best = min(points)
        return best[1] if best[0] <= 30 else None

    result = {"variant": name, "seed": seed, "steps": final["steps"],
              "tokens_per_second": final["tokens_per_second"],
              "first_step_seconds": final["first_step_seconds"],
              "val_2min": at(120), "val_5min": at(300), "val_10min": at(600),
              "val_loss": final["val_loss"], "val_loss_128": val_128,
              "history": history}  # fmt: skip
    with open(out, "w") as handle:
        json.dump(result, handle)


def _format(value, digits=3):
    return "–" if value is None else f"{value:.{digits}f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--seeds", default="0", help="comma-separated seeds")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--out", default="runs/bench_gpt_recipe.json")
    parser.add_argument("--worker", nargs=3, metavar=("VARIANT", "SEED", "OUT"),
                        help=argparse.SUPPRESS)  # fmt: skip
    args = parser.parse_args()
    if args.worker:
        name, seed, out = args.worker
        return _worker(name, args.seconds, int(seed), out)
    names = args.variants.split(",")
    unknown = sorted(set(names) - set(VARIANTS))
    if unknown:
        parser.error(f"--variants: unknown {unknown}; known: {sorted(VARIANTS)}")
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    results = []
    for seed in (int(s) for s in args.seeds.split(",")):
        for name in names:
            path = f"{args.out}.{name}.{seed}.part"
            cmd = [sys.executable, __file__, "--seconds", str(args.seconds), "--worker", name,
                   str(seed), path]  # fmt: skip
            spec = VARIANTS[name]
            backend = spec[2] if isinstance(spec, tuple) and len(spec) > 2 else None
            env = {**os.environ, "KERAS_BACKEND": backend} if backend else None
            subprocess.run(cmd, check=True, env=env)
            with open(path) as handle:
                results.append(json.load(handle))
            os.remove(path)
            r = results[-1]
            print(
                f"{name:18s} seed {seed}: {r['steps']:5d} steps, "
                f"{r['tokens_per_second']:7.0f} tok/s, val {r['val_loss']:.4f} "
                f"(windows of 128: {r['val_loss_128']:.4f})",
                flush=True,
            )
    with open(args.out, "w") as handle:
        json.dump(results, handle)
    print(
        f"\n{args.seconds:.0f} s per run, seeds {args.seeds}; nats/char (bits/char); "
        f"validation estimates (8 batches) near 2 / 5 / 10 min; final over the whole split\n"
    )
    print(
        "| variant | steps | tokens/s | val 2 min | val 5 min | val 10 min | final val "
        "(mean of seeds) | bits/char | final val, windows of 128 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name in names:
        rows = [r for r in results if r["variant"] == name]

        def mean(key, rows=rows):
            values = [r[key] for r in rows if r.get(key) is not None]
            return statistics.mean(values) if values else None

        finals = " / ".join(f"{r['val_loss']:.4f}" for r in rows)
        print(
            f"| {name} | {mean('steps'):.0f} | {mean('tokens_per_second'):,.0f} | "
            f"{_format(mean('val_2min'))} | {_format(mean('val_5min'))} | "
            f"{_format(mean('val_10min'))} | **{mean('val_loss'):.4f}** ({finals}) | "
            f"{mean('val_loss') / math.log(2):.3f} | {_format(mean('val_loss_128'), 4)} |"
        )


if __name__ == "__main__":
    sys.exit(main())
