"""Chapter 08's character GPT trained in Keras (TensorFlow, XLA) and in PyTorch, side by side.

    flock /tmp/lmkeras-cpu.lock env LMKERAS_DATA_DIR=/work/shared/data \\
        python benchmarks/bench_gpt_torch.py --seconds 300 --recipes baseline,modern --seeds 0 \\
        [--impls keras,torch,torch-compile] [--threads 2]

For each recipe (`CharGPTConfig()`, `CharGPTConfig.modern()`) and seed, one process builds the
Keras model (`build_gpt`, `keras.utils.set_random_seed(seed)`) and saves its initial weights
and the tokenized tiny Shakespeare (split 90/10 as `train_char_gpt` does). A check process then
loads those weights into `torch_gpt.GPT` (with every weight perturbed, so the zero-initialised
ones count too) and prints the largest logit difference, and the largest weight difference
after three optimizer steps on the same batches against the size of those steps. Then each
implementation trains from the same initial weights for the same wall-clock budget, in its own
process, alternating: Keras with `lmkeras.training.train_with_time_budget` (the recipe's
`training_kwargs()`), PyTorch with `torch_gpt.train_with_time_budget`, which draws the same
windows from the same NumPy generator, sets the same learning rate at every step (warm-up, then
a cosine over the clock, which includes the first step's compilation) and steps Keras' AdamW or
`MatrixMuon` written out in PyTorch (`torch_gpt.KerasOptimizer`). Both score the final model
as `lmkeras.training.evaluate_loss` does (all non-overlapping validation windows, batch 32).

`torch-compile` is PyTorch with the model under `torch.compile` (Inductor's C++ code for the
CPU); its compilation counts in its first step, as XLA's does for Keras.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
IMPLS = ("keras", "torch", "torch-compile")


RECIPES = ("baseline", "modern", "modern_unregularised")


def _config(recipe):
    """`CharGPTConfig()`, `modern()`, or `modern()` as it was until 2026-12-04, without
    dropout and with weight decay 0.1 (`modern_unregularised`)."""
    from lmkeras.recipes.char_gpt import CharGPTConfig

    if recipe == "modern_unregularised":
        return CharGPTConfig.modern(dropout=0.0, attention_dropout=None, weight_decay=0.1)
    return CharGPTConfig.modern() if recipe == "modern" else CharGPTConfig()


def _keras_weights(data):
    return {key[2:]: data[key] for key in data.files if key.startswith("w:")}


def worker_prepare(recipe, seed, path):
    """Tokenize, split and build the Keras model; save initial weights, ids and the config."""
    import keras
    import numpy as np

    from lmkeras.data import load_shakespeare, split_text
    from lmkeras.models.gpt import build_gpt
    from lmkeras.text import CharTokenizer

    config = _config(recipe)
    text = load_shakespeare()
    tokenizer = CharTokenizer.from_text(text)
    train_text, validation_text = split_text(text, 0.1)
    keras.utils.set_random_seed(seed)
    model = build_gpt(tokenizer.vocabulary_size, **config.model_kwargs())
    arrays = {f"w:{w.path}": keras.ops.convert_to_numpy(w) for w in model.weights}
    train_ids, validation_ids = (np.asarray(tokenizer.encode(t), np.int32)
                                 for t in (train_text, validation_text))  # fmt: skip
    np.savez(path, train_ids=train_ids, validation_ids=validation_ids, **arrays)
    kwargs = {"vocab": tokenizer.vocabulary_size, "model": config.model_kwargs(),
              "training": config.training_kwargs()}  # fmt: skip
    with open(path + ".json", "w") as f:
        json.dump(kwargs, f)
    return {"parameters": int(model.count_params())}


def _torch_model(kwargs, weights):
    sys.path.insert(0, HERE)
    from torch_gpt import GPT, load_keras_weights

    m = dict(kwargs["model"])
    model = GPT(kwargs["vocab"], m.pop("sequence_length"), m.pop("num_layers"),
                m.pop("num_heads"), m.pop("hidden_dim"), **m)  # fmt: skip
    load_keras_weights(model, weights)
    return model


def worker_check(path, steps=3, batch=8):
    """Logits of the same (perturbed) weights, and weights after `steps` optimizer steps."""
    import keras
    import numpy as np
    import torch

    from lmkeras.models.gpt import build_gpt
    from lmkeras.training import _lr_factor, compile_for_training

    sys.path.insert(0, HERE)
    from torch_gpt import KerasOptimizer, lr_factor, make_train_step

    assert all(_lr_factor(f, s, 100, r, k, c) == lr_factor(f, s, 100, r, k, c)
               for f in (0.0, 0.3, 0.7, 1.2) for s in (0, 50, 500) for r in (0.0, 0.1)
               for k in ("cosine", "wsd") for c in (0.3, 0.5))  # fmt: skip
    with open(path + ".json") as f:
        kwargs = json.load(f)
    # Dropout off on both sides: their masks come from different generators, so the same
    # steps can only be compared without them (training runs keep the recipe's dropout).
    kwargs["model"].update(dropout=0.0, attention_dropout=None)
    data = np.load(path)
    rng = np.random.default_rng(123)
    weights = {k: v + rng.normal(0, 0.1, v.shape).astype(np.float32)
               for k, v in _keras_weights(data).items()}  # fmt: skip
    model = build_gpt(kwargs["vocab"], **kwargs["model"])
    for w in model.weights:
        w.assign(weights[w.path])
    torch_model = _torch_model(kwargs, weights)
    length = kwargs["model"]["sequence_length"]
    ids = rng.integers(0, kwargs["vocab"], (2, length)).astype(np.int32)
    ours = keras.ops.convert_to_numpy(model(ids))
    with torch.no_grad():
        theirs = torch_model(torch.from_numpy(ids.astype(np.int64))).numpy()
    result = {"logits_max_abs_diff": float(np.abs(ours - theirs).max()),
              "logits_max_abs": float(np.abs(ours).max())}  # fmt: skip

    training = kwargs["training"]
    lr, wd = training["learning_rate"], training["weight_decay"]
    optimizer = compile_for_training(model, lr, wd, optimizer=training["optimizer"])
    torch_opt = KerasOptimizer(torch_model, training["optimizer"], lr, wd)
    torch_step = make_train_step(torch_model, torch_opt, kwargs["vocab"])
    train_ids = data["train_ids"]
    for i in range(steps):
        starts = rng.integers(0, len(train_ids) - length - 1, batch)
        x, y = (train_ids[starts[:, None] + np.arange(length) + shift] for shift in (0, 1))
        rate = lr * (i + 1) / steps
        optimizer.learning_rate.assign(rate)
        torch_opt.lr = rate
        model.train_on_batch(x, y)
        torch_step(torch.from_numpy(x.astype(np.int64)), torch.from_numpy(y.astype(np.int64)))
    trained = {w.path: keras.ops.convert_to_numpy(w) for w in model.weights}
    copy = _torch_model(kwargs, trained)  # Keras' trained weights in PyTorch's layout
    theirs, ours = dict(torch_model.named_parameters()), dict(copy.named_parameters())
    start = dict(_torch_model(kwargs, weights).named_parameters())
    diff, worst = max((float((theirs[k] - ours[k]).abs().max()), k) for k in ours)
    moved = max(float((start[k] - ours[k]).abs().max()) for k in ours)
    result.update(step_weights_max_abs_diff=diff, step_weights_max_abs_change=moved,
                  step_weights_worst=worst)  # fmt: skip
    return result


def worker_train(impl, path, seconds, seed, threads):
    import numpy as np

    with open(path + ".json") as f:
        kwargs = json.load(f)
    data = np.load(path)
    train_ids, validation_ids = data["train_ids"], data["validation_ids"]
    training = kwargs["training"]
    length, batch = training["sequence_length"], training["batch_size"]
    if impl == "keras":
        import tensorflow as tf

        from lmkeras.models.gpt import build_gpt
        from lmkeras.training import evaluate_loss, train_with_time_budget

        model = build_gpt(kwargs["vocab"], **kwargs["model"])
        weights = _keras_weights(data)
        for w in model.weights:
            w.assign(weights[w.path])
        history = train_with_time_budget(model, train_ids, validation_ids, seconds, seed=seed,
                                         verbose=0, **training)  # fmt: skip
        loss = evaluate_loss(model, validation_ids, length, batch)
        threading = tf.config.threading  # 0 means TensorFlow's default: one per core
        threads = {"tf_intra_op": threading.get_intra_op_parallelism_threads(),
                   "tf_inter_op": threading.get_inter_op_parallelism_threads()}  # fmt: skip
    else:
        import torch
        from torch_gpt import evaluate_loss, train_with_time_budget

        default = (torch.get_num_threads(), torch.get_num_interop_threads())
        if threads:
            torch.set_num_threads(threads)
        model = _torch_model(kwargs, _keras_weights(data))
        history = train_with_time_budget(model, train_ids, validation_ids, seconds, seed=seed,
                                         compile=impl == "torch-compile", **training)  # fmt: skip
        loss = evaluate_loss(model, validation_ids, length, batch)
        threads = {"torch_default_threads": default[0], "torch_default_interop": default[1],
                   "torch_threads": torch.get_num_threads()}  # fmt: skip
    return {"steps": history["step"][-1], "seconds": history["seconds"][-1],
            "tokens_per_second": history["tokens_per_second"],
            "first_step_seconds": history["first_step_seconds"],
            "val_estimates": history["val_loss"], "val_loss": loss, "threads": threads}  # fmt: skip


def run_worker(*args):
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, __file__, "--worker", *map(str, args)], env=env,
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode:
        return {"error": (done.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _steady(res, batch_tokens=32 * 128):
    """Tokens/s after the first step (which compiles), or None after a single step."""
    rest = res["seconds"] - res["first_step_seconds"]
    return (res["steps"] - 1) * batch_tokens / rest if res["steps"] > 1 and rest > 0 else None


def table(rows):
    """Markdown lines for `[(recipe, seed, impl, result)]`; ratios are Keras ÷ the row's
    tokens/s, and the row's validation loss − Keras' (nats/char)."""
    header = ("recipe", "seed", "framework", "steps", "first step (s)", "tokens/s",
              "tokens/s after the first step", "validation loss (nats/char)",
              "Keras ÷ this, tokens/s (after the first step)", "loss − Keras")  # fmt: skip
    lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    keras_rows = {(r, s): res for r, s, i, res in rows if i == "keras" and "error" not in res}
    for recipe, seed, impl, res in rows:
        if "error" in res:
            lines.append(f"| {recipe} | {seed} | {impl} | error: {res['error']} ||||||||")
            continue
        ref, steady = keras_rows.get((recipe, seed)), _steady(res)
        ratio = delta = "–"
        if ref:
            ratio = f"{ref['tokens_per_second'] / res['tokens_per_second']:.2f}×"
            if steady and _steady(ref):
                ratio += f" ({_steady(ref) / steady:.2f}×)"
            delta = f"{res['val_loss'] - ref['val_loss']:+.3f}"
        lines.append(f"| {recipe} | {seed} | {impl} | {res['steps']:,} | "
                     f"{res['first_step_seconds']:.1f} | {res['tokens_per_second']:,.0f} | "
                     f"{'–' if steady is None else f'{steady:,.0f}'} | {res['val_loss']:.3f} | "
                     f"{ratio} | {delta} |")  # fmt: skip
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--recipes", default="baseline,modern", help=f"from {', '.join(RECIPES)}")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--impls", default="keras,torch", help=f"from {', '.join(IMPLS)}")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (0: keep)")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        if kind == "prepare":
            result = worker_prepare(rest[0], int(rest[1]), rest[2])
        elif kind == "check":
            result = worker_check(rest[0])
        else:
            result = worker_train(kind, rest[0], float(rest[1]), int(rest[2]), int(rest[3]))
        print(json.dumps(result))
        return
    impls = args.impls.split(",")
    unknown = sorted(set(impls) - set(IMPLS))
    if unknown:
        parser.error(f"unknown --impls {unknown}; choose from {IMPLS}")
    unknown = sorted(set(args.recipes.split(",")) - set(RECIPES))
    if unknown:
        parser.error(f"unknown --recipes {unknown}; choose from {RECIPES}")
    rows, turn = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for seed in map(int, args.seeds.split(",")):
            for recipe in args.recipes.split(","):
                path = os.path.join(tmp, f"{recipe}-{seed}.npz")
                print(f"{recipe} seed {seed}: {run_worker('prepare', recipe, seed, path)}")
                print(f"{recipe} seed {seed} check: {run_worker('check', path)}", flush=True)
                results = {}
                for impl in impls if turn % 2 == 0 else impls[::-1]:
                    results[impl] = run_worker(impl, path, args.seconds, seed, args.threads)
                    print(f"{recipe} seed {seed} {impl}: {results[impl]}", flush=True)
                turn += 1
                rows += [(recipe, seed, impl, results[impl]) for impl in impls]
    print(f"\n{args.seconds:g} s per run\n")
    print("\n".join(table(rows)))


if __name__ == "__main__":
    main()
