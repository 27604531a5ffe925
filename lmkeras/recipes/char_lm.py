"""Chapter 04's character-level RNN language model, end to end: `train_char_lm`.

Shared by chapter 04 (training), chapter 05 (a model to sample from) and
`benchmarks/bench_char_lstm.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import keras

from lmkeras._checks import (
    check_bool,
    check_choice,
    check_int,
    check_positive,
    check_rate,
    check_str,
    check_type,
    describe,
)
from lmkeras.datasets.windows import char_lm_dataset
from lmkeras.models.rnn import build_rnn_lm
from lmkeras.text import CharTokenizer
from lmkeras.training import fit_with_budget


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

    def __post_init__(self):
        """Refuse a field no run can use, by name, when the config is made."""
        check_choice("cell", self.cell, ("gru", "lstm"))
        for name in ("embedding_dim", "units", "num_layers", "sequence_length", "batch_size",
                     "steps_per_epoch"):  # fmt: skip
            check_int(name, getattr(self, name))
        check_rate("dropout", self.dropout)
        check_positive("learning_rate", self.learning_rate)
        check_positive("clipnorm", self.clipnorm)
        if not (isinstance(self.jit_compile, bool) or self.jit_compile == "auto"):
            raise ValueError(
                f"`jit_compile` must be True, False or 'auto'; received "
                f"jit_compile={describe(self.jit_compile)}."
            )
        check_bool("keep_best", self.keep_best)
        check_int("seed", self.seed, 0)


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
    """Train a `build_rnn_lm` model on characters for `seconds` (chapter 04, benchmarks).

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
    check_str("train_text", train_text)
    check_str("validation_text", validation_text)
    check_positive("seconds", seconds)
    config = CharLMConfig() if config is None else config
    check_type("config", config, CharLMConfig, "a CharLMConfig or None")
    check_int("verbose", verbose, 0, 2)
    length, batch = config.sequence_length, config.batch_size
    if len(validation_text) < length + 1:
        raise ValueError(
            f"`validation_text` has {len(validation_text)} characters; one validation window "
            f"needs at least sequence_length + 1 = {length + 1}."
        )
    if len(train_text) < length * batch + 1:
        raise ValueError(
            f"`train_text` has {len(train_text)} characters; one training batch needs at least "
            f"sequence_length × batch_size + 1 = {length * batch + 1}."
        )
    if tokenizer is None:
        tokenizer = CharTokenizer.from_text(train_text + validation_text)
    check_type("tokenizer", tokenizer, CharTokenizer, "a CharTokenizer or None")
    if tokenizer.unknown == "error":
        for name, text in (("train_text", train_text), ("validation_text", validation_text)):
            missing = sorted(set(text) - set(tokenizer.vocabulary))
            if missing:
                raise ValueError(
                    f"`{name}` holds {len(missing)} character(s) not in the vocabulary of "
                    f"`tokenizer`: {missing[:10]!r}."
                )
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
    model = build_rnn_lm(
        tokenizer.vocabulary_size,
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
