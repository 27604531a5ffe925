"""Chapter 13's runs: one device faster, several devices, and a smaller model for serving.

Every run trains or scores the chapter-08 GPT (`lmkeras.recipes.char_gpt`) through the course's
trainers (`lmkeras.training`), so the figures compare set-ups and nothing else:

- `one_device_table`: float32 / mixed precision, XLA on / off and batch size on one device;
- `gradient_accumulation_check`: the optimizer's `gradient_accumulation_steps` against one
  large batch;
- `fit_data_parallel` and `data_parallel_check`: the same model and global batches on 1, 2, 4
  devices (`keras.distribution.DataParallel` on JAX, `tf.distribute.MirroredStrategy` on
  TensorFlow), per-step losses compared;
- `model_parallel_check`: the GPT sharded by `lmkeras.distribution.gpt_layout_map`, logits
  compared with the unsharded model;
- `int8_table` and `export_check`: `model.quantize("int8")` and `model.export(...)`.

Simulated devices must exist before the backend starts, so `in_fresh_process(task, backend,
devices)` runs a task in a new Python process (`python -m lmkeras.recipes.scaling TASK ...`)
and returns its result as a dict.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from lmkeras import distribution
from lmkeras._checks import (
    check_bool,
    check_callable,
    check_choice,
    check_float,
    check_int,
    check_optional_int,
    check_positive,
    check_str,
    check_token_ids,
    check_type,
    describe,
)
from lmkeras.config import gpu_names
from lmkeras.models.gpt import build_gpt
from lmkeras.recipes.char_gpt import CharGPTConfig
from lmkeras.training import (
    compile_for_training,
    evaluate_loss,
    fit_with_budget,
    train_with_time_budget,
)

_LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
# The smallest GPT with every kind of variable: compiles in seconds (tests, checks).
SMALL = CharGPTConfig(num_layers=1, num_heads=2, hidden_dim=16, sequence_length=16, batch_size=8)
# A GPT for quick mode: every code path of the chapter, seconds instead of minutes.
TINY = CharGPTConfig(num_layers=2, num_heads=2, hidden_dim=32, sequence_length=64, batch_size=16)

# The one-device rows: (dtype policy, XLA, batch size). mixed_float16 needs a GPU (float16
# matmuls are emulated on a CPU) and loss scaling, which `compile` adds by itself.
ONE_DEVICE_ROWS = (
    ("float32", True, 32),
    ("float32", False, 32),
    ("mixed_bfloat16", True, 32),
    ("mixed_bfloat16", False, 32),
    ("float32", True, 16),
    ("float32", True, 64),
    ("mixed_float16", True, 32),
)
GPU_ONLY_POLICIES = ("mixed_float16",)


@contextlib.contextmanager
def dtype_policy(name: str) -> Iterator[None]:
    """Build layers under the global Keras dtype policy `name`, then restore the previous one.

    Example:
    >>> with dtype_policy("mixed_bfloat16"):
    ...     print(keras.layers.Dense(2).dtype_policy.name)
    mixed_bfloat16
    """
    check_str("name", name)
    try:
        keras.dtype_policies.get(name)
    except ValueError:
        raise ValueError(
            f"`name` must be a Keras dtype policy ('float32', 'mixed_bfloat16', "
            f"'mixed_float16', ...); received name={name!r}."
        ) from None
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def char_ids(text: str | None = None) -> tuple[int, np.ndarray, np.ndarray]:
    """Chapter 08's data: `(vocabulary_size, train_ids, validation_ids)` of tiny Shakespeare.

    `text` replaces the corpus (tests pass a short one); it is split 90/10 as in chapter 08.
    """
    from lmkeras.data import load_shakespeare, split_text
    from lmkeras.text import CharTokenizer

    text = load_shakespeare() if text is None else check_str("text", text)
    tokenizer = CharTokenizer.from_text(text)
    train_text, validation_text = split_text(text, 0.1)
    return (
        tokenizer.vocabulary_size,
        tokenizer.encode(train_text),
        tokenizer.encode(validation_text),
    )


def _training_throughput(model: keras.Model, batch: np.ndarray, steps: int) -> float:
    """Tokens per second of `steps` more training steps on one batch (already compiled)."""
    x, y = batch[:, :-1], batch[:, 1:]
    model.train_on_batch(x, y)  # returns a Python float: each call waits for its step
    tic = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)
    return steps * x.size / (time.perf_counter() - tic)


def one_device_row(
    vocabulary_size: int,
    train_ids: np.ndarray,
    validation_ids: np.ndarray,
    policy: str,
    jit_compile: bool,
    batch_size: int,
    steps: int,
    config: CharGPTConfig | None = None,
    timing_steps: int = 10,
    seed: int = 0,
) -> tuple[dict, keras.Model | None]:
    """Train the GPT for `steps` steps under one set-up; measure speed and validation loss.

    The learning rate warms up over the first tenth of the steps, then follows the trainer's
    cosine to the end of the steps, so every row gets the same schedule. A `GPU_ONLY_POLICIES`
    policy without a GPU gives a row marked not measured (and no model).

    Args:
        vocabulary_size: int. Token ids are in `[0, vocabulary_size)`.
        train_ids, validation_ids: 1-D int arrays.
        policy: a Keras dtype policy name ("float32", "mixed_bfloat16", "mixed_float16").
        jit_compile: bool. XLA on or off.
        batch_size: int ≥ 1. Windows per step.
        steps: int ≥ 1. Training steps.
        config: `CharGPTConfig` or None for chapter 08's.
        timing_steps: int ≥ 1. Extra steps on one batch, after training, timed for tokens/s
            without compilation.
        seed: int. Weights and batch order.

    Returns:
        `(row, model)`: row is a dict with `policy`, `xla`, `batch_size`, `steps`,
        `seconds` (the trainer's clock for `steps` steps, compilation included),
        `tokens_per_second` (compiled steps only) and `val_loss` (nats/char over the whole
        validation split); the model trained.
    """
    config = CharGPTConfig() if config is None else config
    check_type("config", config, CharGPTConfig, "a CharGPTConfig")
    check_int("vocabulary_size", vocabulary_size)
    check_bool("jit_compile", jit_compile)
    check_int("timing_steps", timing_steps)
    check_int("seed", seed, 0)
    steps = check_int("steps", steps)
    row = {"policy": check_str("policy", policy), "xla": jit_compile,
           "batch_size": check_int("batch_size", batch_size), "steps": steps}  # fmt: skip
    if policy in GPU_ONLY_POLICIES and not gpu_names():
        return {**row, "seconds": None, "tokens_per_second": None, "val_loss": None}, None
    keras.utils.set_random_seed(seed)
    with dtype_policy(policy):
        model = build_gpt(vocabulary_size, **config.model_kwargs())
    training = {**config.training_kwargs(), "batch_size": batch_size,
                "warmup_steps": max(1, steps // 10)}  # fmt: skip
    history = train_with_time_budget(
        model, train_ids, validation_ids, 1e9, max_steps=steps, eval_every=1e9, eval_batches=1,
        jit_compile=jit_compile, seed=seed, verbose=0, **training,
    )  # fmt: skip
    loss = evaluate_loss(model, validation_ids, config.sequence_length, batch_size)
    starts = np.random.default_rng(seed).integers(0, len(train_ids) - config.sequence_length - 1,
                                                  batch_size)  # fmt: skip
    batch = train_ids[starts[:, None] + np.arange(config.sequence_length + 1)].astype("int32")
    speed = _training_throughput(model, batch, check_int("timing_steps", timing_steps))
    row.update(seconds=history["seconds"][-1], tokens_per_second=speed, val_loss=loss)
    return row, model


def one_device_table(
    vocabulary_size: int,
    train_ids: np.ndarray,
    validation_ids: np.ndarray,
    steps: int,
    rows: Sequence[tuple[str, bool, int]] = ONE_DEVICE_ROWS,
    config: CharGPTConfig | None = None,
    timing_steps: int = 10,
    verbose: bool = False,
) -> tuple[list[dict], keras.Model]:
    """`one_device_row` for each `(policy, xla, batch_size)`; returns the rows and the first model.

    The first row should be the reference set-up (chapter 08's: float32, XLA, batch 32); its
    trained model is returned for the quantization and export sections.
    """
    check_int("steps", steps)
    check_int("timing_steps", timing_steps)
    check_bool("verbose", verbose)
    if isinstance(rows, (str, dict)) or not isinstance(rows, Sequence):
        raise TypeError(
            f"`rows` must be a list of (policy, xla, batch_size) tuples; received "
            f"rows={describe(rows)}."
        )
    if not rows:
        raise ValueError("`rows` must hold at least one (policy, xla, batch_size); received [].")
    for row in rows:
        if not isinstance(row, (tuple, list)) or len(row) != 3:
            raise TypeError(
                f"`rows` must hold (policy, xla, batch_size) tuples; received {describe(row)}."
            )
        check_str("policy", row[0])
        check_bool("xla", row[1])
        check_int("batch_size", row[2])
    table, first = [], None
    for policy, jit_compile, batch_size in rows:
        row, model = one_device_row(
            vocabulary_size, train_ids, validation_ids, policy, jit_compile, batch_size, steps,
            config, timing_steps,
        )  # fmt: skip
        table.append(row)
        first = model if first is None else first
        if verbose:
            print(format_rows([row], header=False))
    return table, first


def format_rows(rows: Sequence[dict], header: bool = True) -> str:
    """The one-device table as text; rows without figures read "not measured (no GPU)"."""
    check_bool("header", header)
    keys = ("policy", "xla", "batch_size", "steps", "seconds", "tokens_per_second", "val_loss")
    if isinstance(rows, (str, dict)) or not isinstance(rows, Sequence):
        raise TypeError(
            f"`rows` must be a list of one_device_row's dicts; received {describe(rows)}."
        )
    for row in rows:
        check_type("rows", row, dict, "a list of one_device_row's dicts")
        if not set(keys) <= set(row):
            raise ValueError(
                f"`rows` must hold one_device_row's dicts, with keys {keys}; received "
                f"{describe(row)}."
            )
    lines = ["policy           XLA  batch  tokens/s   s (steps, compile incl.)  val loss"]
    for r in rows:
        where = f"{r['policy']:15s}  {'on ' if r['xla'] else 'off'}  {r['batch_size']:5d}"
        if r["tokens_per_second"] is None:
            lines.append(f"{where}  not measured (no GPU)")
        else:
            lines.append(f"{where}  {r['tokens_per_second']:8,.0f}   {r['seconds']:6.1f} "
                         f"({r['steps']} steps)        {r['val_loss']:.3f}")  # fmt: skip
    return "\n".join(lines if header else lines[1:])


def adamw(
    learning_rate: float = 3e-3,
    weight_decay: float = 0.1,
    clip_norm: float | None = 1.0,
    accumulation_steps: int | None = None,
) -> keras.optimizers.Optimizer:
    """`lmkeras.training.compile_for_training`'s AdamW (β₂ 0.99, no decay on biases and norms),
    with the two options this chapter varies: the global clipping norm and gradient
    accumulation."""
    check_positive("learning_rate", learning_rate)
    check_float("weight_decay", weight_decay, 0.0)
    if clip_norm is not None:
        check_positive("clip_norm", clip_norm)
    check_optional_int("accumulation_steps", accumulation_steps)
    optimizer = keras.optimizers.AdamW(
        learning_rate, weight_decay=weight_decay, beta_2=0.99, global_clipnorm=clip_norm,
        gradient_accumulation_steps=accumulation_steps,
    )  # fmt: skip
    optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])
    return optimizer


def gradient_accumulation_check(
    accumulation_steps: int = 4,
    batch_size: int = 32,
    updates: int = 2,
    config: CharGPTConfig = SMALL,
    vocabulary_size: int = 65,
    seed: int = 0,
) -> dict:
    """Train two copies of a GPT: one on batches of `batch_size`, one on micro-batches of
    `batch_size / accumulation_steps` with `AdamW(gradient_accumulation_steps=...)`.

    The optimizer averages the micro-batch gradients and updates every `accumulation_steps`
    steps (clipping and weight decay on the average), so after the same windows both copies
    should hold the same weights up to float32 rounding.

    Returns:
        dict with `max_weight_difference`, `large_batch_loss` and `accumulated_loss` (the last
        losses), `micro_batch` and `updates`.
    """
    check_type("config", config, CharGPTConfig, "a CharGPTConfig")
    check_int("vocabulary_size", vocabulary_size)
    check_int("seed", seed, 0)
    accumulation_steps = check_int("accumulation_steps", accumulation_steps, 2)
    micro = check_int("batch_size", batch_size) // accumulation_steps
    if micro * accumulation_steps != batch_size:
        raise ValueError(
            f"`batch_size` must be divisible by accumulation_steps={accumulation_steps}; "
            f"received batch_size={batch_size}."
        )
    rng = np.random.default_rng(seed)
    length = config.sequence_length
    windows = rng.integers(0, vocabulary_size, (check_int("updates", updates), batch_size,
                                                length + 1)).astype("int32")  # fmt: skip
    models = []
    for accumulate in (None, accumulation_steps):
        keras.utils.set_random_seed(seed)
        model = build_gpt(vocabulary_size, **config.model_kwargs())
        model.compile(adamw(accumulation_steps=accumulate), _LOSS)
        models.append(model)
    large, accumulated = models
    for batch in windows:
        large_loss = large.train_on_batch(batch[:, :-1], batch[:, 1:])
        for part in batch.reshape(accumulation_steps, micro, length + 1):
            small_loss = accumulated.train_on_batch(part[:, :-1], part[:, 1:])
    difference = max(float(np.max(np.abs(a - b)))
                     for a, b in zip(large.get_weights(), accumulated.get_weights()))  # fmt: skip
    return {"max_weight_difference": difference, "large_batch_loss": float(large_loss),
            "accumulated_loss": float(small_loss), "micro_batch": micro,
            "updates": updates}  # fmt: skip


def window_dataset(
    ids: np.ndarray, sequence_length: int, batch_size: int, steps: int, seed: int = 0
) -> Any:
    """`steps` batches of random `(input, target)` windows, in a fixed order, repeated.

    The windows are drawn with NumPy from `seed`, so every process and every device count sees
    the same global batches (a `tf.data` shuffle is re-seeded when Keras splits a dataset over
    processes, which would change them).
    """
    ids = check_token_ids("ids", ids, ndim=1)
    sequence_length = check_int("sequence_length", sequence_length)
    batch_size = check_int("batch_size", batch_size)
    steps = check_int("steps", steps)
    if len(ids) < sequence_length + 2:
        raise ValueError(
            f"`ids` must hold at least sequence_length + 2 = {sequence_length + 2} ids, for one "
            f"window and its target; received {len(ids)}."
        )
    import tensorflow as tf

    rng = np.random.default_rng(check_int("seed", seed, 0))
    starts = rng.integers(0, len(ids) - sequence_length - 1, steps * batch_size)
    windows = ids[starts[:, None] + np.arange(sequence_length + 1)]  # (steps × B, T + 1)
    data = tf.data.Dataset.from_tensor_slices((windows[:, :-1], windows[:, 1:]))
    return data.batch(batch_size, drop_remainder=True).repeat()


def fit_data_parallel(
    build_model: Callable[[], keras.Model],
    dataset: Any,
    steps: int,
    strategy: Any,
    learning_rate: float = 3e-3,
    jit_compile: bool | None = None,
    callbacks: list | None = None,
    steps_per_epoch: int = 1,
    weight_decay: float = 0.1,
    clip_norm: float | None = 1.0,
) -> tuple[keras.Model, list[float], float]:
    """The course's `fit_with_budget` inside the engine's data-parallel scope.

    Args:
        build_model: function returning a new `keras.Model` (called inside the scope, so the
            engine places its variables).
        dataset: a batched `tf.data.Dataset` with a fixed batch size (`drop_remainder=True`).
        steps: int ≥ 1. Training steps.
        strategy: from `lmkeras.distribution.data_parallel` (or any Keras distribution or
            `tf.distribute` strategy), or None for one device without distribution.
        learning_rate: float. AdamW's rate (constant here). Defaults to `3e-3`.
        weight_decay: float. AdamW's decay (not on biases and norms). Defaults to `0.1`.
        clip_norm: float or None. Global gradient-norm clipping, as in `compile_for_training`.
            Under `tf.distribute`, Keras clips each replica's gradient *before* the
            all-reduce, so a clip that bites changes the update with the number of replicas;
            pass a large value to compare runs. Defaults to `1.0`.
        jit_compile: bool or None. None means XLA, except for `tf.distribute` over several
            CPU devices: XLA compiles for the one physical CPU and cannot reach variables
            placed on another logical device.
        callbacks: extra Keras callbacks (e.g. `BackupAndRestore`, which saves every epoch).
        steps_per_epoch: int ≥ 1. Steps per Keras epoch. Defaults to `1`: a loss per step.

    Returns:
        `(model, losses, tokens_per_second)`: the mean loss of every epoch run, and the
        throughput of a median epoch after the first (which compiles); NaN with one epoch.

    Raises:
        ValueError: a batch size the replicas cannot share evenly, or XLA asked for
            `tf.distribute` over several CPU devices.
    """
    check_callable("build_model", build_model)
    steps = check_int("steps", steps)
    steps_per_epoch = check_int("steps_per_epoch", steps_per_epoch)
    if steps % steps_per_epoch:
        raise ValueError(
            f"`steps` must be a multiple of steps_per_epoch={steps_per_epoch}; received "
            f"steps={steps}."
        )
    if not hasattr(dataset, "element_spec"):
        raise TypeError(
            f"`dataset` must be a batched tf.data.Dataset (window_dataset's); received "
            f"{describe(dataset)}."
        )
    x_spec = dataset.element_spec[0]
    batch_size, length = x_spec.shape[0], x_spec.shape[1]
    if batch_size is None:
        raise ValueError(
            "`dataset` must have a fixed batch size (batch with drop_remainder=True) so that "
            f"it can be split across replicas; received element_spec {dataset.element_spec}."
        )
    if strategy is not None:
        distribution.check_batch_size(batch_size, strategy)
    mirrored_cpus = (
        keras.backend.backend() == "tensorflow"
        and strategy is not None
        and distribution.num_replicas(strategy) > 1
        and "CPU" in str(strategy.extended.worker_devices[0]).upper()
    )
    if jit_compile is None:
        jit_compile = not mirrored_cpus
    if jit_compile and mirrored_cpus:
        raise ValueError(
            "jit_compile=True cannot run tf.distribute over several logical CPU devices: XLA "
            "compiles for the one physical CPU and cannot reach the variables of the other "
            "replicas. Pass jit_compile=False (or None)."
        )
    with contextlib.nullcontext() if strategy is None else strategy.scope():
        model = build_model()
        model.compile(adamw(learning_rate, weight_decay, clip_norm), _LOSS, jit_compile=jit_compile)
        history, budget = fit_with_budget(
            model, dataset, None, 1e9, steps_per_epoch, tokens_per_step=batch_size * length,
            max_epochs=steps // steps_per_epoch, callbacks=callbacks,
        )  # fmt: skip
    losses = [float(v) for v in history.history["loss"]]
    durations = np.diff(budget.epoch_seconds)  # epochs after the first (which compiles)
    tokens = steps_per_epoch * batch_size * length
    speed = tokens / float(np.median(durations)) if len(durations) else float("nan")
    return model, losses, speed


def _shards(strategy: Any, batch: np.ndarray) -> list[str]:
    """Which rows of a global batch each device receives."""
    if strategy is None:
        return [f"{keras.distribution.list_devices()[0]}: rows 0–{len(batch) - 1}"]
    if keras.backend.backend() == "jax":
        layout = strategy.get_data_layout(batch.shape)
        array = keras.distribution.distribute_tensor(batch, layout)
        shards = sorted(array.addressable_shards, key=lambda shard: shard.device.id)
        rows = [shard.index[0] for shard in shards]  # a slice of the batch axis per device
        return [f"{shard.device}: rows {r.start or 0}–{(r.stop or len(batch)) - 1}"
                for shard, r in zip(shards, rows)]  # fmt: skip
    import tensorflow as tf

    data = tf.data.Dataset.from_tensors(batch)
    local = strategy.experimental_local_results(next(iter(
        strategy.experimental_distribute_dataset(data))))  # fmt: skip
    return [f"{t.device.split('device:')[-1].lower()}: {t.shape[0]} rows" for t in local]


def data_parallel_check(
    device_counts: Sequence[int] = (1, 2),
    steps: int = 5,
    config: CharGPTConfig = TINY,
    text: str | None = None,
    seed: int = 0,
    device_type: str | None = "cpu",
    clip_norm: float | None = 1.0,
) -> dict:
    """The same GPT, weights and global batches trained on each number of devices.

    `clip_norm` goes to `fit_data_parallel` (read there why it matters on TensorFlow).

    `device_type` "cpu" uses the (simulated) CPU devices even where a GPU is present; None
    takes the accelerators.

    Returns:
        dict with `backend`, `losses` {devices: per-step losses}, `tokens_per_second`
        {devices: …}, `max_loss_difference` {devices: max |loss - loss on 1 device|} and
        `shards` {devices: which rows each device gets}.
    """
    if isinstance(device_counts, (str, dict)) or not isinstance(device_counts, Sequence):
        raise TypeError(
            f"`device_counts` must be a tuple of ints; received device_counts="
            f"{describe(device_counts)}."
        )
    if not device_counts:
        raise ValueError("`device_counts` must hold at least one count; received ().")
    for count in device_counts:
        check_int("device_counts", count)
    check_int("steps", steps)
    check_type("config", config, CharGPTConfig, "a CharGPTConfig")
    check_int("seed", seed, 0)
    if clip_norm is not None:
        check_positive("clip_norm", clip_norm)
    vocabulary_size, train_ids, _ = char_ids(text)
    dataset = window_dataset(train_ids, config.sequence_length, config.batch_size, steps, seed)
    keras.utils.set_random_seed(seed)
    weights = build_gpt(vocabulary_size, **config.model_kwargs()).get_weights()

    def build():
        model = build_gpt(vocabulary_size, **config.model_kwargs())
        model.set_weights(weights)
        return model

    result = {"backend": keras.backend.backend(), "losses": {}, "tokens_per_second": {},
              "max_loss_difference": {}, "shards": {}}  # fmt: skip
    first_batch = next(iter(dataset))[0].numpy()
    # tf.distribute over CPUs runs without XLA; so do its one-device runs, for a fair match.
    jit = False if keras.backend.backend() == "tensorflow" else None
    for count in device_counts:
        # One JAX device runs without a distribution: a one-device DataParallel mesh compiles
        # the step twice (the variables change sharding after the first step).
        one = count == 1 and keras.backend.backend() == "jax"
        strategy = None if one else distribution.data_parallel(count, device_type)
        _, losses, speed = fit_data_parallel(
            build, dataset, steps, strategy, jit_compile=jit, clip_norm=clip_norm
        )
        result["losses"][count], result["tokens_per_second"][count] = losses, speed
        reference = result["losses"][device_counts[0]]
        result["max_loss_difference"][count] = max(abs(a - b) for a, b in zip(losses, reference))
        result["shards"][count] = _shards(strategy, first_batch)
    return result


def format_data_parallel(result: dict) -> str:
    """`data_parallel_check`'s result as text: per-step losses, differences, speed, shards."""
    keys = ("losses", "max_loss_difference", "tokens_per_second", "shards")
    check_type("result", result, dict, "data_parallel_check's dict")
    if not set(keys) <= set(result):
        raise ValueError(
            f"`result` must be data_parallel_check's dict, with keys {keys}; received keys "
            f"{sorted(result)}."
        )
    lines = []
    for count, losses in result["losses"].items():
        shown = " ".join(f"{loss:.6f}" for loss in losses[:4]) + (" …" if len(losses) > 4 else "")
        lines.append(f"{count} device(s): losses {shown}  max |Δ| vs first "
                     f"{result['max_loss_difference'][count]:.1e}  "
                     f"{result['tokens_per_second'][count]:7,.0f} tokens/s")  # fmt: skip
        lines.append(f"    first batch: {'; '.join(result['shards'][count])}")
    return "\n".join(lines)


def model_parallel_check(
    mesh_shape: tuple[int, int] = (1, 2),
    config: CharGPTConfig = TINY,
    seed: int = 0,
    device_type: str | None = "cpu",
) -> dict:
    """Shard the GPT with `gpt_layout_map` on a ("batch", "model") mesh; compare its logits.

    Returns:
        dict with `max_logit_difference` (sharded vs unsharded model, same weights),
        `layouts` {variable path: axes}, `parameter_bytes` (the whole model) and
        `bytes_per_device` (what device 0 holds).
    """
    if not isinstance(mesh_shape, (tuple, list)):
        raise TypeError(
            f"`mesh_shape` must be a (batch, model) pair of ints; received mesh_shape="
            f"{describe(mesh_shape)}."
        )
    if len(mesh_shape) != 2:
        raise ValueError(
            f"`mesh_shape` must be a (batch, model) pair of ints; received mesh_shape="
            f"{describe(mesh_shape)}."
        )
    for size in mesh_shape:
        check_int("mesh_shape", size)
    check_type("config", config, CharGPTConfig, "a CharGPTConfig")
    check_int("seed", seed, 0)
    keras.utils.set_random_seed(seed)
    vocabulary_size = 65
    reference = build_gpt(vocabulary_size, **config.model_kwargs())
    devices = keras.distribution.list_devices(device_type)[: int(np.prod(mesh_shape))]
    mesh = distribution.device_mesh(tuple(mesh_shape), ("batch", "model"), devices)
    layout_map = distribution.gpt_layout_map(mesh, reference)
    ids = (
        np.random.default_rng(seed)
        .integers(0, vocabulary_size, (2 * mesh_shape[0], config.sequence_length))
        .astype("int32")
    )
    expected = keras.ops.convert_to_numpy(reference(ids))
    with keras.distribution.ModelParallel(layout_map=layout_map, batch_dim_name="batch").scope():
        sharded = build_gpt(vocabulary_size, **config.model_kwargs())
        sharded.set_weights(reference.get_weights())
        logits = sharded.predict(ids, batch_size=len(ids), verbose=0)  # one compiled call
    held = sum(v.value.addressable_shards[0].data.nbytes for v in sharded.variables)
    return {
        "max_logit_difference": float(np.max(np.abs(logits - expected))),
        "layouts": distribution.variable_layouts(sharded),
        "parameter_bytes": int(sum(np.asarray(w).nbytes for w in reference.get_weights())),
        "bytes_per_device": int(held),
    }


def jax_checks(
    device_counts: Sequence[int] = (1, 2),
    steps: int = 5,
    mesh_shape: tuple[int, int] = (1, 2),
    quick: bool = True,
) -> dict:
    """`data_parallel_check` and `model_parallel_check` in one process (the notebook's JAX part)."""
    check_bool("quick", quick)
    config = TINY if quick else CharGPTConfig()
    return {
        "data_parallel": data_parallel_check(tuple(device_counts), steps, config),
        "model_parallel": model_parallel_check(tuple(mesh_shape), config),
    }


def _file_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else (
        path.stat().st_size
    )  # fmt: skip


def _scoring_speed(model: keras.Model, ids: np.ndarray, length: int, batch_size: int) -> float:
    """Tokens per second of `evaluate_loss` over `ids` (its second run: compiled)."""
    tic = time.perf_counter()
    evaluate_loss(model, ids, length, batch_size)
    tokens = (len(ids) - 1) // length // batch_size * batch_size * length
    return tokens / (time.perf_counter() - tic)


def _copy_for_scoring(model: keras.Model, mode: str | None = None) -> keras.Model:
    """A clone with the same weights, quantized when `mode` is given, compiled; its optimizer
    holds no state, so its weights file holds the weights alone."""
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    if mode is not None:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*does not have a `quantize` method")
            copy.quantize(mode)
    compile_for_training(copy)
    return copy


def quantized_copy(model: keras.Model) -> keras.Model:
    """An int8 copy of a GPT (`model.quantize("int8")` on a clone), compiled for scoring.

    Keras quantizes the Dense and EinsumDense layers (attention and MLP kernels: int8 values
    with one float scale per output column). The tied token table, the position table and
    the norms stay float32: those layers have no `quantize` (Keras warns; silenced here).
    """
    check_type("model", model, keras.Model, "a keras.Model (a GPT)")
    return _copy_for_scoring(model, "int8")


def int8_table(
    model: keras.Model, validation_ids: np.ndarray, sequence_length: int, batch_size: int = 32
) -> tuple[list[dict], keras.Model]:
    """float32 vs int8: weights on disk, scoring tokens/s and validation loss.

    Args:
        model: a trained GPT (float32).
        validation_ids: 1-D int array.
        sequence_length, batch_size: ints. Windows for `evaluate_loss`.

    Returns:
        `(rows, int8_model)`; each row has `model`, `weights_bytes` (the `.weights.h5` file of
            the weights alone, no optimizer state),
        `tokens_per_second` (forward passes over the validation split, compiled) and
        `val_loss` (nats/token).
    """
    check_type("model", model, keras.Model, "a keras.Model (a GPT)")
    check_token_ids("validation_ids", validation_ids, ndim=1)
    check_int("sequence_length", sequence_length)
    check_int("batch_size", batch_size)
    quantized = quantized_copy(model)
    # A trained model's weights file also holds its optimizer's moments (Adam: two per
    # weight): both rows are fresh copies, so the files compare the weights alone.
    original = _copy_for_scoring(model)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, candidate in (("float32", original), ("int8", quantized)):
            path = Path(folder) / f"{name}.weights.h5"
            candidate.save_weights(path)
            loss = evaluate_loss(candidate, validation_ids, sequence_length, batch_size)
            speed = _scoring_speed(candidate, validation_ids, sequence_length, batch_size)
            rows.append({"model": name, "weights_bytes": _file_bytes(path),
                         "tokens_per_second": speed, "val_loss": loss})  # fmt: skip
    return rows, quantized


# Run by a fresh interpreter in which lmkeras and Keras cannot be imported: what a serving
# machine with TensorFlow alone has.
_RELOAD = """
import sys
sys.modules["lmkeras"] = None  # any `import lmkeras` now raises ImportError
sys.modules["keras"] = None
import json
import numpy as np
import tensorflow as tf
try:
    import lmkeras  # noqa: F401
    importable = True
except ImportError:
    importable = False
folder = sys.argv[1]
served = tf.saved_model.load(folder + "/saved_model")
logits = served.serve(tf.constant(np.load(folder + "/ids.npy"))).numpy()
difference = float(np.max(np.abs(logits - np.load(folder + "/logits.npy"))))
print(json.dumps({"max_logit_difference": difference, "lmkeras_importable": importable,
                  "signatures": sorted(served.signatures)}))
"""


def export_check(model: keras.Model, ids: np.ndarray) -> dict:
    """`model.export` to a SavedModel; reload and call it in a fresh process without lmkeras.

    Args:
        model: a GPT (float32 or quantized).
        ids: int `(batch, T)` token ids to compare logits on.

    On JAX the SavedModel takes sequences of `ids`'s length only; on TensorFlow any length up
    to the model's context.

    Returns:
        dict with `max_logit_difference` (served vs Keras logits), `lmkeras_importable` (False:
        the child could not import it), `signatures` and `saved_model_bytes`.
    """
    check_type("model", model, keras.Model, "a keras.Model (a GPT)")
    ids = check_token_ids("ids", ids, ndim=2)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "saved_model"
        signature = None
        if keras.backend.backend() == "jax":
            # jax2tf traces with a symbolic length, which the position table's Python length
            # check cannot compare: export for the length of `ids`.
            signature = [keras.InputSpec(shape=(None, ids.shape[1]), dtype="int32")]
        model.export(str(path), "tf_saved_model", verbose=False, input_signature=signature)
        np.save(Path(folder) / "ids.npy", ids)
        np.save(Path(folder) / "logits.npy", keras.ops.convert_to_numpy(model(ids)))
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
        done = subprocess.run([sys.executable, "-c", _RELOAD, folder], env=env,
                              capture_output=True, text=True, timeout=300)  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"Reloading the SavedModel failed:\n{done.stderr[-2000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        result["saved_model_bytes"] = _file_bytes(path)
    return result


TASKS: dict[str, Callable[..., dict]] = {
    "jax_checks": jax_checks,
    "data_parallel_check": data_parallel_check,
    "model_parallel_check": model_parallel_check,
}


def in_fresh_process(
    task: str, backend: str = "jax", devices: int = 2, timeout: float = 900, **kwargs: Any
) -> dict:
    """Run `TASKS[task](**kwargs)` in a new process with `devices` simulated CPU devices.

    Args:
        task: a key of `TASKS`.
        backend: "jax" or "tensorflow": the child's `KERAS_BACKEND`.
        devices: int ≥ 1. CPU devices the child simulates before its backend starts.
        timeout: float. Seconds before the child is stopped.
        **kwargs: JSON-serializable arguments of the task.

    Returns:
        The task's result (through JSON: dict keys become str).

    Raises:
        RuntimeError: the child failed; the message ends with its error output.
    """
    check_choice("task", task, tuple(TASKS))
    check_choice("backend", backend, ("jax", "tensorflow"))
    devices = check_int("devices", devices)
    check_positive("timeout", timeout)
    try:
        json.dumps(kwargs)
    except TypeError as error:
        raise TypeError(f"`kwargs` must be JSON-serializable; received {describe(kwargs)} "
                        f"({error}).") from None  # fmt: skip
    command = [sys.executable, "-m", "lmkeras.recipes.scaling", task, "--devices", str(devices),
               "--kwargs", json.dumps(kwargs)]  # fmt: skip
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode:
        raise RuntimeError(
            f"{task} failed in a fresh {backend} process with {devices} devices (exit "
            f"{done.returncode}):\n{done.stderr[-3000:]}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m lmkeras.recipes.scaling TASK --devices N --kwargs JSON`: print the result."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("task", choices=sorted(TASKS))
    parser.add_argument("--devices", type=int, default=1)
    parser.add_argument("--kwargs", default="{}")
    args = parser.parse_args(argv)
    if args.devices < 1:
        parser.error(f"--devices must be an int ≥ 1; received --devices {args.devices}")
    try:
        kwargs = json.loads(args.kwargs)
    except ValueError as error:
        parser.error(f"--kwargs must be a JSON object; received {args.kwargs!r} ({error})")
    if not isinstance(kwargs, dict):
        parser.error(f"--kwargs must be a JSON object; received {args.kwargs!r}")
    distribution.simulate_cpu_devices(args.devices)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # fit's note that tf.data is not shuffled
        result = TASKS[args.task](**kwargs)
    print(json.dumps(result, default=lambda v: describe(v)))


if __name__ == "__main__":
    main()
