"""Every generic trainer of the course: wall-clock budgets, keep-best, schedules, evaluation.

- `TimeBudget`, `KeepBest` and `fit_with_budget`: `model.fit` under a wall-clock budget, with
  throughput (chapters 04, 06, 09, 11); `build_for_training`, which every trainer here calls
  before the first step.
- `compile_for_training`, `train_with_time_budget` and `evaluate_loss`: a next-token model
  trained on random windows of a token stream for a number of seconds, with warm-up and a
  cosine over the *time* budget (chapters 08, 12, 13 and the command line).

A budget in seconds rather than in epochs is what a class needs: "train for 10 minutes" gives
the same wait on every laptop, and the figure to compare is the validation loss reached. Each
chapter's end-to-end run (data + tokenizer + model + these trainers) is in `lmkeras.recipes`.
"""

from __future__ import annotations

import math
import re
import time
from typing import Any

import keras
import numpy as np
from keras import ops

from lmkeras._checks import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_optional_int,
    check_positive,
    check_str,
    check_texts,
    check_token_ids,
    check_type,
    describe,
)


class TimeBudget(keras.callbacks.Callback):
    """Stop `fit` once `seconds` of wall-clock time have passed, and measure throughput.

    The clock starts at `on_train_begin` (so it includes compilation) and counts validation
    too; `train_seconds` excludes validation, so `tokens_per_second` is training throughput.
    Keras finishes the current step and still runs the epoch's validation after stopping.

    Args:
        seconds: float > 0. The budget.
        tokens_per_step: int or None. Tokens in one training batch (batch × length), for
            `tokens_per_second`. Defaults to `None`.

    Attributes:
        steps: int. Training steps run.
        elapsed: float. Seconds since training began (at the last callback).
        train_seconds: float. `elapsed` minus time spent in validation.
        tokens_per_second: float or None.
    """

    def __init__(self, seconds: float, tokens_per_step: int | None = None):
        super().__init__()
        self.seconds = check_positive("seconds", seconds)
        self.tokens_per_step = check_optional_int("tokens_per_step", tokens_per_step)
        self.steps = 0
        self.elapsed = 0.0
        self.validation_seconds = 0.0
        self.epoch_seconds: list[float] = []

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        self.elapsed = time.perf_counter() - self._start
        if self.elapsed >= self.seconds:
            self.model.stop_training = True

    def on_test_begin(self, logs=None):
        self._test_start = time.perf_counter()

    def on_test_end(self, logs=None):
        self.validation_seconds += time.perf_counter() - self._test_start

    def on_epoch_end(self, epoch, logs=None):
        self.elapsed = time.perf_counter() - self._start
        self.epoch_seconds.append(self.elapsed)

    @property
    def train_seconds(self) -> float:
        return self.elapsed - self.validation_seconds

    @property
    def tokens_per_second(self) -> float | None:
        if not self.tokens_per_step or self.train_seconds <= 0:
            return None
        return self.steps * self.tokens_per_step / self.train_seconds


class KeepBest(keras.callbacks.Callback):
    """Remember the weights of the epoch with the lowest `monitor`; put them back at the end.

    Unlike `EarlyStopping(restore_best_weights=True)` it never stops training, and it restores
    on every Keras version (older ones restored only after an early stop).

    Args:
        monitor: str. Defaults to `"val_loss"`.

    Attributes:
        best: float. Lowest value seen. best_epoch: int (0-based), or None before any epoch.
    """

    def __init__(self, monitor: str = "val_loss"):
        super().__init__()
        self.monitor = check_str("monitor", monitor)
        self.best = float("inf")
        self.best_epoch: int | None = None
        self._weights = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.monitor not in logs:
            raise ValueError(
                f"KeepBest(monitor={self.monitor!r}) found no {self.monitor!r} in the epoch's "
                f"logs, which hold {sorted(logs)}: pick one of them, or give `fit` validation "
                f"data for a val_ metric. The model keeps the weights it has."
            )
        value = logs[self.monitor]
        if value < self.best:
            self.best, self.best_epoch = float(value), epoch
            self._weights = self.model.get_weights()

    def on_train_end(self, logs=None):
        if self._weights is not None:
            self.model.set_weights(self._weights)


def build_for_training(model: keras.Model, input_shape: Any = None) -> None:
    """Create a compiled model's variables and its optimizer's now, not in the first step.

    On TensorFlow (without a distribution strategy) Keras leaves whatever is unbuilt to the
    trace of the first training step, and a `tf.function` that creates variables is traced
    twice: the first `fit` of chapter 10's test translator took 20.5 s instead of 10.4, a tiny
    GPT's first step 7.6 s instead of 3.6 (2026-12-03). JAX and PyTorch build first anyway.
    Nothing else changes: the same initial weights, the same losses.

    Args:
        model: a compiled keras.Model.
        input_shape: shape (or nested shapes) of the model's inputs, for a model that is not
            built yet and defines its own `build`; otherwise ignored. A model left unbuilt
            here is built by Keras in the first step, as without this call.

    Example:
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        >>> model.compile("adam", "mse")
        >>> build_for_training(model)
        >>> model.optimizer.built
        True
    """
    check_type("model", model, keras.Model, "a compiled keras.Model")
    if not model.built and input_shape is not None and type(model).build is not keras.Model.build:
        model.build(input_shape)
    if model.built and model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)


def _input_shape(data: Any) -> Any:
    """The shapes of the inputs of a `tf.data` dataset of `(x, y)` batches, or None."""
    spec = getattr(data, "element_spec", None)
    if not isinstance(spec, tuple) or not spec:
        return None
    return keras.tree.map_structure(lambda tensor: tuple(tensor.shape), spec[0])


def fit_with_budget(
    model: keras.Model,
    train_data: Any,
    validation_data: Any,
    seconds: float,
    steps_per_epoch: int,
    tokens_per_step: int | None = None,
    max_epochs: int = 10_000,
    callbacks: list | None = None,
    keep_best: bool = False,
    verbose: int = 0,
) -> tuple[keras.callbacks.History, TimeBudget]:
    """`model.fit` for at most `seconds`, in "epochs" of `steps_per_epoch` steps.

    Short epochs give a learning curve with a point every `steps_per_epoch` steps; the data
    must repeat (`dataset.repeat()`), since one pass over it is not an epoch here.

    Args:
        model: a compiled keras.Model.
        train_data: a repeating dataset (or anything `fit` takes with `steps_per_epoch`).
        validation_data: evaluated at the end of every epoch (None to skip).
        seconds: float > 0. Wall-clock budget, compilation and validation included.
        steps_per_epoch: int ≥ 1.
        tokens_per_step: int or None. For the throughput figure.
        max_epochs: int ≥ 1. Upper bound when time is not the limit. Defaults to `10_000`.
        callbacks: extra callbacks.
        keep_best: bool. End with the weights of the epoch of lowest `val_loss` (`KeepBest`).
            Defaults to `False`.
        verbose: int. `fit`'s verbosity. Defaults to `0`.

    Returns:
        `(history, budget)`: the `History` and the `TimeBudget` callback (steps, seconds,
        tokens per second).
    """
    check_type("model", model, keras.Model, "a compiled keras.Model")
    check_int("steps_per_epoch", steps_per_epoch)
    check_int("max_epochs", max_epochs)
    check_bool("keep_best", keep_best)
    check_int("verbose", verbose, 0, 2)
    if keep_best and validation_data is None:
        raise ValueError(
            "keep_best=True keeps the epoch of lowest val_loss, so it needs `validation_data`; "
            "received validation_data=None."
        )
    if callbacks is not None and (
        not isinstance(callbacks, (list, tuple))
        or not all(isinstance(c, keras.callbacks.Callback) for c in callbacks)
    ):
        raise TypeError(
            f"`callbacks` must be a list of keras callbacks or None; received "
            f"callbacks={describe(callbacks)}."
        )
    budget = TimeBudget(seconds, tokens_per_step)
    build_for_training(model, _input_shape(train_data))
    # The data shuffles itself (tf.data); `shuffle=False` keeps Keras from warning about it.
    history = model.fit(
        train_data,
        shuffle=False,
        validation_data=validation_data,
        epochs=max_epochs,
        steps_per_epoch=steps_per_epoch,
        callbacks=[budget, *(callbacks or []), *([KeepBest()] if keep_best else [])],
        verbose=verbose,
    )
    return history, budget


SCHEDULES = ("cosine", "wsd")


def _lr_factor(fraction, step, warmup_steps, min_ratio, schedule="cosine", cooldown_fraction=0.5):
    """The learning rate as a fraction of its peak, `fraction` of the way through the budget:
    linear warm-up over `warmup_steps`, then a cosine to `min_ratio` ("cosine"), or the peak
    held until the last `cooldown_fraction` of the budget and a straight line down to
    `min_ratio` ("wsd": warm-up, stable, decay)."""
    warm = min(1.0, (step + 1) / warmup_steps)
    fraction = min(fraction, 1.0)
    if schedule == "wsd":
        decay = min(1.0, (1.0 - fraction) / cooldown_fraction)
    else:
        decay = 0.5 * (1 + math.cos(math.pi * fraction))
    return warm * (min_ratio + (1 - min_ratio) * decay)


def _test_loss(model, x, y):
    """The loss of one batch alone: Keras before 3.15 kept averaging across `test_on_batch`
    calls unless the metrics were reset (Colab ships 3.13)."""
    model.reset_metrics()
    return model.test_on_batch(x, y)


def _windows(ids, starts, length):
    return ids[starts[:, None] + np.arange(length)]


@keras.saving.register_keras_serializable(package="lmkeras")
class DecayExcludingAdamW(keras.optimizers.AdamW):
    """Keras' AdamW, with the variables left out of weight decay saved in its config.

    `keras.optimizers.AdamW.exclude_from_weight_decay(...)` is not part of the optimizer's
    config, so a model reloaded from `.keras` decays its biases and norms again and one more
    step after reloading differs from one more step without (by 1e-3 on a tiny GPT). Here the
    names are an argument, saved and restored with the optimizer.

    Args:
        *args, **kwargs: those of `keras.optimizers.AdamW`.
        no_decay_names: list of str. Variables whose name contains one of these get no weight
            decay. Defaults to `("bias", "gamma", "beta")`: biases and LayerNorm parameters.
    """

    def __init__(self, *args, no_decay_names=("bias", "gamma", "beta"), **kwargs):
        rate = args[0] if args else kwargs.get("learning_rate")
        if isinstance(rate, (int, float, np.number, str)):  # a schedule is Keras' to check
            check_positive("learning_rate", rate)
        if "weight_decay" in kwargs and kwargs["weight_decay"] is not None:
            check_float("weight_decay", kwargs["weight_decay"], 0.0)
        no_decay_names = check_texts("no_decay_names", no_decay_names, allow_empty=True)
        super().__init__(*args, **kwargs)
        self.no_decay_names = list(no_decay_names)
        if self.no_decay_names:
            self.exclude_from_weight_decay(var_names=self.no_decay_names)

    def get_config(self):
        return {**super().get_config(), "no_decay_names": list(self.no_decay_names)}


@keras.saving.register_keras_serializable(package="lmkeras")
class MatrixMuon(keras.optimizers.Muon):
    """Keras' Muon for every hidden weight matrix, AdamW for embeddings, norms, biases and head.

    Muon (Jordan et al. 2024) replaces each matrix's momentum by the nearest orthogonal matrix
    (five Newton–Schulz iterations), so every direction of the weight moves at the same rate.
    Keras' rule gives Muon only to 2-D variables; the attention kernels of
    `lmkeras.layers.MultiHeadAttention` are stored 3-D, `(width, heads, head_dim)` (and the
    output `(heads, head_dim, width)`), so Keras would leave them to AdamW. Here each is
    orthogonalised as the `(width, heads × head_dim)` matrix it is. With `rms_rate` (Keras'
    default 0.2, Liu et al. 2025) Muon's steps have AdamW's size, so one learning rate serves
    both.

    Args:
        *args, **kwargs: those of `keras.optimizers.Muon` (`exclude_layers` names variables
            left to AdamW by regular expression, e.g. an untied output layer `"logits"`).
        no_decay_names: list of str. Variables whose name contains one of these get no weight
            decay (saved in the config). Defaults to biases and norm parameters.

    Example:
    >>> MatrixMuon(learning_rate=0.01).uses_muon(keras.Variable(np.ones((3, 4)), name="kernel"))
    True
    """

    def __init__(self, *args, no_decay_names=("bias", "gamma", "beta", "scale"), **kwargs):
        rate = args[0] if args else kwargs.get("learning_rate")
        if isinstance(rate, (int, float, np.number, str)):
            check_positive("learning_rate", rate)
        no_decay_names = check_texts("no_decay_names", no_decay_names, allow_empty=True)
        super().__init__(*args, **kwargs)
        self.no_decay_names = list(no_decay_names)
        if self.no_decay_names:
            self.exclude_from_weight_decay(var_names=self.no_decay_names)

    @staticmethod
    def matrix_shape(variable) -> tuple | None:
        """The 2-D shape Muon treats `variable` as, or None for a variable left to AdamW."""
        shape, path = tuple(variable.shape), variable.path
        if path.endswith("bias"):  # attention biases are (heads, head_dim): not matrices
            return None
        if len(shape) == 2:
            return shape
        if len(shape) == 3 and "attention" in path and path.endswith("kernel"):
            if "attention_output" in variable.path:  # (heads, head_dim, width)
                return (shape[0] * shape[1], shape[2])
            return (shape[0], shape[1] * shape[2])  # (width, heads, head_dim)
        return None

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        # The update step may see the backend's variable (TensorFlow), without a path.
        self._matrix_shapes = [self.matrix_shape(variable) for variable in var_list]

    def uses_muon(self, variable) -> bool:
        """Whether `variable` gets the Muon step (else AdamW's)."""
        return not self._should_use_adamw(variable)

    def _should_use_adamw(self, variable):
        if self.matrix_shape(variable) is None:
            return True
        if self.exclude_embeddings and "embedding" in variable.path.lower():
            return True
        return any(re.search(keyword, variable.path) for keyword in self.exclude_layers)

    def _muon_update_step(self, gradient, variable, lr, m):
        self.assign_add(m, ops.add(gradient, m * (self.momentum - 1)))
        g = ops.add(gradient, self.momentum * m) if self.nesterov else m
        matrix = ops.reshape(g, self._matrix_shapes[self._get_variable_index(variable)])
        update = self.lr_adjust(lr * self.zeropower_via_newtonschulz5(matrix, self.ns_steps))
        self.assign_sub(variable, ops.reshape(update, variable.shape))

    def get_config(self):
        return {**super().get_config(), "no_decay_names": list(self.no_decay_names)}


OPTIMIZERS = ("adamw", "muon")


def _check_jit_compile(jit_compile):
    if not (jit_compile is None or isinstance(jit_compile, bool) or jit_compile == "auto"):
        kind = ValueError if isinstance(jit_compile, str) else TypeError
        raise kind(
            f"`jit_compile` must be True, False, 'auto' or None; received "
            f"jit_compile={describe(jit_compile)}."
        )


def _checked_ids(model, ids_by_name, sequence_length, batch_size, vocabulary_size=None):
    """The ids as int32 arrays, checked against the vocabulary the model's logits cover.

    The model is traced symbolically on `(batch_size, sequence_length)` ids (no computation):
    that finds its vocabulary, and refuses a length its position table cannot hold, before any
    training step, since a compiled step would gather out of range without a word.
    """
    spec = model.compute_output_spec(keras.KerasTensor((batch_size, sequence_length), "int32"))
    spec = spec[0] if isinstance(spec, (list, tuple)) else spec
    if len(spec.shape) != 3:
        raise ValueError(
            f"`model` must map ids (batch, length) to logits (batch, length, vocabulary); its "
            f"output has shape {tuple(spec.shape)}."
        )
    width = int(spec.shape[-1])
    if vocabulary_size is not None and check_int("vocabulary_size", vocabulary_size) != width:
        raise ValueError(
            f"`vocabulary_size` must match the model's {width} logits per position; received "
            f"vocabulary_size={vocabulary_size}."
        )
    return [check_token_ids(name, ids, width, ndim=1) for name, ids in ids_by_name.items()]


def compile_for_training(
    model, learning_rate=3e-3, weight_decay=0.1, jit_compile=None, optimizer="adamw"
):
    """Compile a next-token model with AdamW (β₂ 0.99, clip 1.0) and cross-entropy on logits.

    Biases and norm parameters get no weight decay (`DecayExcludingAdamW`, which keeps that
    rule through `.keras` save and load, so training resumes exactly). `optimizer="muon"`
    uses `MatrixMuon` instead: Muon for the blocks' matrices, AdamW (same rate, β₂ 0.99) for
    embeddings, norms, biases and an untied output layer named `"logits"`.
    `jit_compile=None` means True on TensorFlow and JAX (XLA), False on PyTorch. Returns the
    optimizer, whose `learning_rate` variable the caller may set between steps.
    """
    check_type("model", model, keras.Model, "a keras.Model")
    check_positive("learning_rate", learning_rate)
    check_float("weight_decay", weight_decay, 0.0)
    _check_jit_compile(jit_compile)
    check_choice("optimizer", optimizer, OPTIMIZERS)
    if jit_compile is None:
        jit_compile = keras.backend.backend() != "torch"
    if optimizer == "muon":
        optimizer = MatrixMuon(
            learning_rate, weight_decay=weight_decay, adam_weight_decay=weight_decay,
            adam_beta_2=0.99, global_clipnorm=1.0, exclude_layers=["logits"],
        )  # fmt: skip
    else:
        optimizer = DecayExcludingAdamW(
            learning_rate, weight_decay=weight_decay, beta_2=0.99, global_clipnorm=1.0
        )
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=jit_compile,
    )
    return optimizer


def train_with_time_budget(
    model,
    train_ids,
    validation_ids,
    seconds,
    sequence_length=128,
    batch_size=32,
    learning_rate=3e-3,
    warmup_steps=100,
    min_lr_ratio=0.1,
    weight_decay=0.1,
    eval_every=60.0,
    eval_batches=8,
    max_steps=None,
    jit_compile=None,
    seed=0,
    verbose=1,
    vocabulary_size=None,
    optimizer="adamw",
    schedule="cosine",
    cooldown_fraction=0.5,
):
    """Train a next-token model for `seconds` of wall-clock time; record validation loss.

    Batches are random windows of `train_ids` (as nanoGPT's `get_batch`). The learning rate
    warms up linearly for `warmup_steps`, then goes from `learning_rate` down to
    `min_lr_ratio × learning_rate` over the *time* budget (a cosine, or held and then a
    straight line: `schedule`), so it ends at its floor when time is up whatever the machine's
    speed. The clock includes compilation and excludes evaluations.

    Args:
        model: `keras.Model` from int ids `(batch, T)` to logits `(batch, T, vocab)`.
        train_ids, validation_ids: 1-D int arrays (tokenized text).
        seconds: float > 0. Training budget.
        sequence_length, batch_size: ints ≥ 1. Window length and windows per step.
        learning_rate: float. Peak learning rate of AdamW. Defaults to `3e-3`.
        warmup_steps: int ≥ 1. Defaults to `100`.
        min_lr_ratio: float. Final learning rate as a fraction of the peak. Defaults to `0.1`.
        weight_decay: float. AdamW decay (not on biases and norms). Defaults to `0.1`.
        eval_every: float. Seconds of training between validation estimates. Defaults to `60`.
        eval_batches: int. Batches of fixed random validation windows per estimate.
        max_steps: int or None. Also stop after this many steps; the cosine then follows
            whichever budget (time or steps) is used up faster. Defaults to `None`.
        jit_compile: bool or None. None means True on TensorFlow/JAX, False on PyTorch.
        seed: int. Seed of the batch sampler.
        verbose: int. 1 shows a progress bar over the budget (for terminals), 2 prints one line
            per validation estimate (for notebooks and logs), 0 is silent.
        vocabulary_size: int or None. The ids must lie in `[0, vocabulary_size)`; None reads it
            from the model's logits. Either way the ids are checked before the first step:
            inside a compiled step an id outside the embedding table gathers zeros (CPU) or
            garbage (GPU) without a word.
        optimizer: `"adamw"` or `"muon"` (see `compile_for_training`). Defaults to `"adamw"`.
        schedule: `"cosine"` or `"wsd"` (warm-up, stable, decay: the peak until the last
            `cooldown_fraction` of the budget, then linear to the floor, as in modded-nanogpt's
            speed runs). Defaults to `"cosine"`.
        cooldown_fraction: float in (0, 1]. The share of the budget that `"wsd"` spends
            decaying. Defaults to `0.5`.

    Returns:
        dict with lists `seconds`, `step`, `train_loss`, `val_loss` (one entry per estimate,
        the last at the end of the budget), `tokens_per_second` (training throughput) and
        `first_step_seconds` (the first step, which compiles the model).
    """
    # Every argument is checked before the model is compiled: a refused call leaves it as it was.
    check_type("model", model, keras.Model, "a keras.Model")
    check_positive("seconds", seconds)
    for key, value in (("sequence_length", sequence_length), ("batch_size", batch_size),
                       ("warmup_steps", warmup_steps), ("eval_batches", eval_batches)):  # fmt: skip
        check_int(key, value)
    check_positive("learning_rate", learning_rate)
    check_float("min_lr_ratio", min_lr_ratio, 0.0, 1.0)
    check_float("weight_decay", weight_decay, 0.0)
    check_positive("eval_every", eval_every)
    check_int("seed", seed, 0)
    check_optional_int("max_steps", max_steps)
    check_int("verbose", verbose, 0, 2)
    _check_jit_compile(jit_compile)
    check_choice("optimizer", optimizer, OPTIMIZERS)
    check_choice("schedule", schedule, SCHEDULES)
    check_float("cooldown_fraction", cooldown_fraction, 0.0, 1.0, low_open=True)
    train_ids, validation_ids = _checked_ids(
        model, {"train_ids": train_ids, "validation_ids": validation_ids}, sequence_length,
        batch_size, vocabulary_size,
    )  # fmt: skip
    for key, ids in (("train_ids", train_ids), ("validation_ids", validation_ids)):
        if len(ids) <= sequence_length + 1:
            raise ValueError(
                f"`{key}` must be 1-D with more than sequence_length + 1 = "
                f"{sequence_length + 1} ids; received shape {ids.shape}."
            )
    optimizer = compile_for_training(model, learning_rate, weight_decay, jit_compile, optimizer)
    build_for_training(model)
    rng = np.random.default_rng(seed)
    last = len(validation_ids) - sequence_length - 1
    val_starts = rng.integers(0, last, (eval_batches, batch_size))
    history = {"seconds": [], "step": [], "train_loss": [], "val_loss": []}
    progress = keras.utils.Progbar(int(seconds), unit_name="s") if verbose == 1 else None
    clock, step, next_eval, recent, shown = 0.0, 0, eval_every, [], -1
    total = max_steps or math.inf
    while clock < seconds and step < total:
        factor = _lr_factor(max(clock / seconds, step / total), step, warmup_steps, min_lr_ratio,
                            schedule, cooldown_fraction)  # fmt: skip
        optimizer.learning_rate.assign(learning_rate * factor)
        starts = rng.integers(0, len(train_ids) - sequence_length - 1, batch_size)
        tic = time.perf_counter()
        loss = model.train_on_batch(
            _windows(train_ids, starts, sequence_length),
            _windows(train_ids, starts + 1, sequence_length),
        )
        clock += time.perf_counter() - tic
        if step == 0:  # compilation (XLA) happens in the first call
            history["first_step_seconds"] = clock
        step, recent = step + 1, (recent + [float(loss)])[-50:]
        if progress is not None and int(clock) > shown:  # at most one update a second
            shown = min(int(clock), int(seconds))
            progress.update(shown, [("loss", float(loss))])
        if clock >= next_eval or clock >= seconds or step >= total:
            val = [_test_loss(model, _windows(validation_ids, s, sequence_length),
                                       _windows(validation_ids, s + 1, sequence_length))
                   for s in val_starts]  # fmt: skip
            for key, value in (("seconds", clock), ("step", step),
                               ("train_loss", float(np.mean(recent))),
                               ("val_loss", float(np.mean(val)))):  # fmt: skip
                history[key].append(value)
            if verbose == 2:
                print(f"{clock:7.1f} s  step {step:5d}  train {history['train_loss'][-1]:.3f}  "
                      f"validation {history['val_loss'][-1]:.3f}")  # fmt: skip
            next_eval += eval_every
    history["tokens_per_second"] = step * batch_size * sequence_length / clock
    return history


def evaluate_loss(model, ids, sequence_length, batch_size=32):
    """Mean next-token cross-entropy (nats per token) over all non-overlapping windows of `ids`.

    Windows that do not fill the last batch are left out, so every batch has the compiled shape.
    The ids are checked against the vocabulary of the model's logits first.
    """
    check_type("model", model, keras.Model, "a compiled keras.Model")
    sequence_length = check_int("sequence_length", sequence_length)
    batch_size = check_int("batch_size", batch_size)
    (ids,) = _checked_ids(model, {"ids": ids}, sequence_length, batch_size)
    count = (len(ids) - 1) // sequence_length // batch_size * batch_size
    if count == 0:
        raise ValueError(
            f"`ids` must hold more than sequence_length × batch_size = "
            f"{sequence_length * batch_size} ids; received {len(ids)}."
        )
    starts = np.arange(count) * sequence_length
    losses = [_test_loss(model, _windows(ids, s, sequence_length),
                                  _windows(ids, s + 1, sequence_length))
              for s in starts.reshape(-1, batch_size)]  # fmt: skip
    return float(np.mean(losses))
