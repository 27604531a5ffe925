"""Training helpers: `model.fit` under a wall-clock budget, with throughput, and the course's
character-level LM recipe (`train_char_lm`) shared by chapter 04 and `benchmarks/`.

A budget in seconds rather than in epochs is what a class needs: "train for 10 minutes" gives
the same wait on every laptop, and the figure to compare is the validation loss reached.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import keras


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
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0:
            raise ValueError(f"`seconds` must be a number > 0; received seconds={seconds!r}.")
        self.seconds = float(seconds)
        self.tokens_per_step = tokens_per_step
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
        self.monitor = monitor
        self.best = float("inf")
        self.best_epoch: int | None = None
        self._weights = None

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is not None and value < self.best:
            self.best, self.best_epoch = float(value), epoch
            self._weights = self.model.get_weights()

    def on_train_end(self, logs=None):
        if self._weights is not None:
            self.model.set_weights(self._weights)


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
    for name, value in (("steps_per_epoch", steps_per_epoch), ("max_epochs", max_epochs)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"`{name}` must be an int ≥ 1; received {name}={value!r}.")
    budget = TimeBudget(seconds, tokens_per_step)
    history = model.fit(
        train_data,
        validation_data=validation_data,
        epochs=max_epochs,
        steps_per_epoch=steps_per_epoch,
        callbacks=[budget, *(callbacks or []), *([KeepBest()] if keep_best else [])],
        verbose=verbose,
    )
    return history, budget


@dataclass(frozen=True)
class CharLMConfig:
    """The chapter-04 character LM recipe; every field has a reason.

    Args:
        cell: "gru" or "lstm". The GRU (3 gate blocks to the LSTM's 4) ran ~20% faster and
            learned more per second on a 2-core CPU (see benchmarks/README.md).
        embedding_dim: 64 characters' vectors: 65 symbols need few dimensions.
        units: 384. Each step costs ~units²: 384 caught up with 256 by 200 s, with a steeper
            curve; the TensorFlow tutorial's 1024 is 10× slower per step on 2 cores.
        num_layers: 1. A second layer doubles the recurrent cost per step (not measured here).
        dropout: 0.2. Without it a GRU 384 overfits tiny Shakespeare within 10 minutes (20
            passes over the text): validation loss lowest at 4 minutes (1.543), 1.597 at 10.
        sequence_length: 100 characters of back-propagation through time.
        batch_size: 64 windows per step.
        learning_rate: Adam's step; 2e-3 trains fast and stays stable with clipping.
        clipnorm: 1.0. Gradient clipping against exploding RNN gradients.
        jit_compile: False. XLA made the recurrent train step slower on CPU.
        steps_per_epoch: points on the learning curve every this many steps.
        keep_best: end with the weights of the epoch of lowest validation loss.
        seed: shuffling and weight seed.
    """

    cell: str = "gru"
    embedding_dim: int = 64
    units: int = 384
    num_layers: int = 1
    dropout: float = 0.2
    sequence_length: int = 100
    batch_size: int = 64
    learning_rate: float = 2e-3
    clipnorm: float = 1.0
    jit_compile: bool | str = False
    steps_per_epoch: int = 200
    keep_best: bool = True
    seed: int = 42


@dataclass
class CharLMRun:
    """What `train_char_lm` returns: the model, its tokenizer and the figures of the run."""

    model: keras.Model
    tokenizer: Any
    config: CharLMConfig
    history: dict = field(default_factory=dict)
    steps: int = 0
    seconds: float = 0.0
    train_seconds: float = 0.0
    tokens_per_second: float | None = None
    epoch_seconds: list = field(default_factory=list)

    @property
    def best_val_loss(self) -> float:
        return float(min(self.history["val_loss"]))

    @property
    def final_val_loss(self) -> float:
        """Validation loss after the last epoch (the model holds the best epoch's weights
        when `config.keep_best`)."""
        return float(self.history["val_loss"][-1])

    @property
    def best_epoch_seconds(self) -> float:
        """Seconds of training at the end of the epoch of lowest validation loss."""
        best = min(range(len(self.history["val_loss"])), key=self.history["val_loss"].__getitem__)
        return float(self.epoch_seconds[best])


def train_char_lm(
    train_text: str,
    validation_text: str,
    seconds: float,
    config: CharLMConfig | None = None,
    tokenizer: Any = None,
    verbose: int = 0,
) -> CharLMRun:
    """Train an `rnn_lm` on characters for `seconds`: chapter 04 and the benchmark call this.

    Args:
        train_text, validation_text: str. Validation windows do not overlap and are not
            shuffled; the loss is in nats per character.
        seconds: float > 0. Wall-clock budget.
        config: CharLMConfig or None (the defaults).
        tokenizer: a `CharTokenizer`, or None to build one from both texts.
        verbose: int. `fit`'s verbosity.

    Returns:
        CharLMRun.
    """
    from lmkeras.datasets import char_lm_dataset
    from lmkeras.models.rnn import rnn_lm
    from lmkeras.text import CharTokenizer

    config = config or CharLMConfig()
    tokenizer = tokenizer or CharTokenizer.from_text(train_text + validation_text)
    keras.utils.set_random_seed(config.seed)
    train = char_lm_dataset(
        train_text, tokenizer, config.sequence_length, config.batch_size, seed=config.seed
    ).repeat()
    validation = char_lm_dataset(
        validation_text,
        tokenizer,
        config.sequence_length,
        min(config.batch_size, max(1, len(validation_text) // (config.sequence_length + 1))),
        shuffle=False,
    )
    model = rnn_lm(
        tokenizer.vocab_size,
        config.embedding_dim,
        config.units,
        config.num_layers,
        config.cell,
        config.dropout,
    )
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate, clipnorm=config.clipnorm),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=config.jit_compile,
    )
    history, budget = fit_with_budget(
        model,
        train,
        validation,
        seconds,
        config.steps_per_epoch,
        tokens_per_step=config.batch_size * config.sequence_length,
        keep_best=config.keep_best,
        verbose=verbose,
    )
    return CharLMRun(
        model=model,
        tokenizer=tokenizer,
        config=config,
        history={k: [float(v) for v in vs] for k, vs in history.history.items()},
        steps=budget.steps,
        seconds=budget.elapsed,
        train_seconds=budget.train_seconds,
        tokens_per_second=budget.tokens_per_second,
        epoch_seconds=list(budget.epoch_seconds),
    )
