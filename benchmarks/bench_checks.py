"""What the bad-input checks cost (issue 16), and the one place where a check would cost speed.

    flock -x /tmp/lmkeras-cpu.lock python benchmarks/bench_checks.py [--tokens 100] [--repeats 15]

On chapter 08's character GPT (4 layers, width 128, context 128, 65 ids; untrained, greedy),
each timing the median of `--repeats` runs after a warm-up run, the variants alternating:

1. `gpt_generate`'s compiled token loop with a NaN flag over every token's logits (one
   reduction per token), over the first and the last logits only (what `gpt_generate` does),
   and with none; and `gpt_generate` as a whole.
2. `sampling.generate(gpt_step_fn(model))`, the Python token loop, with `GreedySampler` (which
   reads three flags per token to refuse NaN logits by name) and with a bare argmax. A check of
   every token's values *inside* the compiled loop would need this Python loop instead: its
   cost is the gap between 1 and 2.
3. A compiled forward pass (`predict_on_batch`, 32 × 128 ids) with and without an in-graph id
   range check, the check `model.predict` would need (it cannot raise under XLA, only poison the
   logits with NaN). The package checks ids where they enter instead (datasets, trainers, step
   functions, generators), once, in NumPy.
"""

from __future__ import annotations

import argparse
import statistics
import time

import keras
import numpy as np
from keras import ops

from lmkeras.backend import compile_step, loop_seed
from lmkeras.models import gpt
from lmkeras.recipes.char_gpt import CHAR_MODEL
from lmkeras.sampling import GreedySampler, generate


def _median_seconds(calls, repeats):
    """Median seconds of each call, the calls alternating so that load drifts hit them alike."""
    for call in calls:
        call()  # compile / warm up
    times = [[] for _ in calls]
    for _ in range(repeats):
        for call, spent in zip(calls, times):
            tic = time.perf_counter()
            ops.convert_to_numpy(call())
            spent.append(time.perf_counter() - tic)
    return [statistics.median(spent) for spent in times]


def _loop(model, prompt_len, total, flag):
    """`gpt_generate`'s compiled greedy loop (its `_compile_generation`) with a NaN flag over
    the logits of every token (`flag="every"`), of the first and the last token only (`"ends"`,
    what `gpt_generate` does) or none (None), so that the variants differ by the check alone."""
    parts = gpt.gpt_parts(model)
    forward, empty = gpt._cached_forward(parts, total)
    seed_generator = keras.random.SeedGenerator(0)

    def run(prompt):
        ids = ops.pad(prompt, [[0, 0], [0, total - prompt_len]])
        logits, caches = forward(prompt, empty(ops.shape(prompt)[0]), 0)

        def finite(logits):
            return ops.logical_not(ops.any(ops.isnan(logits)))

        def body(i, carry):
            ids, logits, caches, ok = carry
            if flag == "every":
                ok = ops.logical_and(ok, finite(logits))
            position = ops.cast(prompt_len + i, "int32")
            new = ops.cast(gpt._argmax(logits, seed=loop_seed(seed_generator, i)), "int32")
            ids = ops.slice_update(ids, [ops.zeros((), "int32"), position], new[:, None])
            logits, caches = forward(new[:, None], caches, position)
            return ids, logits, caches, ok

        first = finite(logits) if flag == "ends" else ops.convert_to_tensor(True)
        carry = (ids, logits, caches, first)
        ids, last, _, ok = ops.fori_loop(0, total - prompt_len, body, carry)
        return ids, ops.logical_and(ok, finite(last)) if flag == "ends" else ok

    compiled = compile_step(run, model)

    def call(prompt):
        ids, ok = compiled(prompt)
        if not bool(ops.convert_to_numpy(ok)):
            raise ValueError("NaN logits")
        return ids

    return call


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    keras.utils.set_random_seed(0)
    model = gpt.build_gpt(65, **CHAR_MODEL)
    prompt = np.random.default_rng(0).integers(0, 65, (1, 8)).astype("int32")
    total = prompt.shape[1] + args.tokens

    tensor = ops.convert_to_tensor(prompt)
    loops = {flag: _loop(model, prompt.shape[1], total, flag) for flag in ("every", "ends", None)}
    step = gpt.gpt_step_fn(model)

    def argmax(logits, seed=None):
        return ops.argmax(logits, axis=-1)

    every, ends, plain, whole = _median_seconds(
        [lambda: loops["every"](tensor), lambda: loops["ends"](tensor),
         lambda: loops[None](tensor), lambda: gpt.gpt_generate(model, prompt, args.tokens, seed=0)],
        args.repeats,
    )  # fmt: skip
    checked_py, bare_py = _median_seconds(
        [lambda: generate(step, prompt, args.tokens, GreedySampler()),
         lambda: generate(step, prompt, args.tokens, argmax)], max(3, args.repeats // 3)
    )  # fmt: skip
    per_token = lambda seconds: 1000 * seconds / args.tokens  # noqa: E731
    print(
        f"{keras.backend.backend()} backend, {args.tokens} greedy tokens, median of {args.repeats}"
    )
    print(
        f"1. compiled loop, NaN check at every token: {per_token(every):.3f} ms/token "
        f"({100 * (every / plain - 1):+.1f}%); at the first and last (gpt_generate's): "
        f"{per_token(ends):.3f} ({100 * (ends / plain - 1):+.1f}%); none: {per_token(plain):.3f}; "
        f"gpt_generate as a whole (argument checks included): {per_token(whole):.3f} ms/token"
    )
    print(
        f"2. Python loop (sampling.generate), GreedySampler with its NaN check: "
        f"{per_token(checked_py):.2f} ms/token; bare argmax: {per_token(bare_py):.2f} ms/token "
        f"({100 * (checked_py / bare_py - 1):+.1f}%); a per-token check inside the compiled "
        f"loop would cost the Python loop: {checked_py / whole:.1f}× gpt_generate's time"
    )

    ids = np.random.default_rng(1).integers(0, 65, (32, CHAR_MODEL["sequence_length"]))
    inputs = keras.Input((None,), dtype="int32")
    outside = ops.logical_or(ops.less(inputs, 0), ops.greater_equal(inputs, 65))
    poison = ops.where(ops.any(outside), float("nan"), 0.0)
    checked_model = keras.Model(inputs, model(inputs) + poison)
    for m in (model, checked_model):
        m.compile(jit_compile=keras.backend.backend() != "torch")
    forward, forward_checked = _median_seconds(
        [lambda: model.predict_on_batch(ids), lambda: checked_model.predict_on_batch(ids)],
        args.repeats,
    )
    print(
        f"3. compiled forward of 32 × {ids.shape[1]} ids: {1000 * forward:.1f} ms; with an "
        f"in-graph id check: {1000 * forward_checked:.1f} ms "
        f"({100 * (forward_checked / forward - 1):+.1f}%)"
    )


if __name__ == "__main__":
    main()
