"""Chapter 08's character-level GPT on tiny Shakespeare, end to end: `train_char_gpt`.

Shared by the notebook's full mode, the command line (`lmkeras-gpt train`),
`benchmarks/bench_gpt.py --quality-minutes` and the later chapters that start from a trained
character GPT (12, 13).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from lmkeras._checks import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_positive,
    check_rate,
    check_str,
    check_type,
)
from lmkeras.data import load_shakespeare, split_text
from lmkeras.metrics import unigram_cross_entropy
from lmkeras.models.gpt import build_gpt, check_gpt_options
from lmkeras.text import CharTokenizer
from lmkeras.training import OPTIMIZERS, SCHEDULES, evaluate_loss, train_with_time_budget


@dataclass(frozen=True)
class CharGPTConfig:
    """The chapter-08 recipe for character-level Shakespeare on a 2-core CPU; every field has a
    reason.

    Args:
        num_layers: 4 blocks and hidden_dim 128 give about as many parameters (0.8 M) as a
            10-minute compute budget supports (Chinchilla: N ≈ √(C / 120)).
        num_heads: 4 heads of width 32.
        hidden_dim: 128.
        sequence_length: 128 characters of context (about two lines of verse).
        batch_size: 32 windows per step: 4,096 tokens, small enough for ~6 steps/s on 2 cores.
        learning_rate: 3e-3 peak: a small model takes a high rate; AdamW with clipping keeps it
            stable.
        warmup_steps: 100 linear steps before the schedule takes over.
        min_lr_ratio: the schedule ends at 10% of the peak when the time budget is spent.
        weight_decay: 0.1 on matrices (not on biases and norms), as in GPT-2 and nanoGPT.
        position, norm, qk_norm, activation, tie_weights, zero_init_output, head_initializer,
            logit_soft_cap: `build_gpt`'s architecture options; the defaults are GPT-2's.
        optimizer: `"adamw"` or `"muon"` (`lmkeras.training.MatrixMuon` for the blocks'
            matrices). Defaults to `"adamw"`.
        dropout: `build_gpt`'s dropout rate, in [0, 1). Defaults to `0.0`.
        attention_dropout: `build_gpt`'s dropout on the attention weights alone, in [0, 1),
            or None for `dropout`. Defaults to `None`.
        schedule: `"cosine"` or `"wsd"` (`train_with_time_budget`'s learning-rate schedule).
            Defaults to `"cosine"`.
        cooldown_fraction: the share of the budget `"wsd"` spends decaying, in (0, 1].
            Defaults to `0.5`.

    `CharGPTConfig.modern()` is the recipe with the changes of recent fast GPT training runs.
    """

    num_layers: int = 4
    num_heads: int = 4
    hidden_dim: int = 128
    sequence_length: int = 128
    batch_size: int = 32
    learning_rate: float = 3e-3
    warmup_steps: int = 100
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.1
    position: str = "learned"
    norm: str = "layer"
    qk_norm: bool = False
    activation: str = "gelu"
    tie_weights: bool = True
    zero_init_output: bool = False
    head_initializer: str | None = None
    logit_soft_cap: float | None = None
    optimizer: str = "adamw"
    dropout: float = 0.0
    attention_dropout: float | None = None
    schedule: str = "cosine"
    cooldown_fraction: float = 0.5

    @classmethod
    def modern(cls, **changes: Any) -> CharGPTConfig:
        """The recipe with modded-nanogpt's changes: rotary positions, RMSNorm, QK-norm, ReLU²,
        an untied zero-initialised head, zero-initialised output projections, logits capped at
        30, Muon for the hidden matrices, and twice the peak learning rate (6e-3), which
        Muon's orthogonalised steps take; then, because 10 minutes are about 10 passes over
        tiny Shakespeare, dropout 0.1 on the embeddings and residual branches (none on the
        attention weights, whose masks halve XLA's speed on a CPU) and weight decay 0.3; and
        the learning rate held at its peak for half the budget, then straight down to 0 (the
        "wsd" schedule; benchmarks/bench_gpt_recipe.py)."""
        modern = {"position": "rope", "norm": "rms", "qk_norm": True,
                  "activation": "relu_squared", "tie_weights": False,
                  "head_initializer": "zeros", "zero_init_output": True,
                  "logit_soft_cap": 30.0, "optimizer": "muon", "learning_rate": 6e-3,
                  "dropout": 0.1, "attention_dropout": 0.0, "weight_decay": 0.3,
                  "schedule": "wsd", "min_lr_ratio": 0.0}  # fmt: skip
        return cls(**{**modern, **changes})

    def __post_init__(self):
        """Refuse a field no run can use, by name, when the config is made (or replaced)."""
        for name in ("num_layers", "num_heads", "hidden_dim", "sequence_length", "batch_size",
                     "warmup_steps"):  # fmt: skip
            check_int(name, getattr(self, name))
        if self.hidden_dim % self.num_heads:
            raise ValueError(
                f"`num_heads` must divide `hidden_dim`; received hidden_dim={self.hidden_dim}, "
                f"num_heads={self.num_heads}."
            )
        check_positive("learning_rate", self.learning_rate)
        check_float("min_lr_ratio", self.min_lr_ratio, 0.0, 1.0)
        check_float("weight_decay", self.weight_decay, 0.0)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_choice("schedule", self.schedule, SCHEDULES)
        check_float("cooldown_fraction", self.cooldown_fraction, 0.0, 1.0, low_open=True)
        check_rate("dropout", self.dropout)
        if self.attention_dropout is not None:
            check_rate("attention_dropout", self.attention_dropout)
        # Checked by name without building: importing the recipes must not start the
        # backend (chapter 13 sets up simulated devices first).
        check_gpt_options(self.position, self.norm, self.activation, self.qk_norm,
                          self.tie_weights, self.zero_init_output, self.head_initializer,
                          self.logit_soft_cap)  # fmt: skip

    def model_kwargs(self) -> dict:
        """Keyword arguments of `build_gpt` (besides the vocabulary size)."""
        names = ("num_layers", "num_heads", "hidden_dim", "sequence_length", "position", "norm",
                 "qk_norm", "activation", "tie_weights", "zero_init_output", "head_initializer",
                 "logit_soft_cap", "dropout", "attention_dropout")  # fmt: skip
        return {name: getattr(self, name) for name in names}

    def training_kwargs(self) -> dict:
        """Keyword arguments of `lmkeras.training.train_with_time_budget`."""
        names = ("sequence_length", "batch_size", "learning_rate", "warmup_steps",
                 "min_lr_ratio", "weight_decay", "optimizer", "schedule",
                 "cooldown_fraction")  # fmt: skip
        return {name: getattr(self, name) for name in names}

    def replace(self, **changes: Any) -> CharGPTConfig:
        """A copy with some fields changed; unknown names are refused by name."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise TypeError(f"CharGPTConfig has no field(s) {unknown}; received {changes}.")
        return dataclasses.replace(self, **changes)


# The recipe as the two dicts the notebook and benchmarks spread into calls.
CHAR_MODEL = CharGPTConfig().model_kwargs()
CHAR_TRAINING = CharGPTConfig().training_kwargs()


def train_char_gpt(
    seconds: float,
    text: str | None = None,
    config: CharGPTConfig | None = None,
    verbose: int = 1,
    jit_compile: bool | None = None,
) -> dict:
    """The chapter-08 run end to end: tokenize, split 90/10, build, train for `seconds`, score.

    Args:
        seconds: float > 0. Training budget.
        text: str or None. Corpus; None loads tiny Shakespeare.
        config: `CharGPTConfig` or None for the defaults.
        verbose: int. 1 shows a progress bar, 2 one line per estimate, 0 nothing.
        jit_compile: bool or None. None compiles the train step with XLA on TensorFlow and
            JAX and runs PyTorch eagerly; True on PyTorch compiles it with `torch.compile`
            (1.23× XLA's speed for the previous recipe's step on a 2-core CPU, but the modern
            recipe spent minutes compiling: benchmarks/README.md). Defaults to `None`.

    Returns:
        dict with `model`, `tokenizer`, `validation_ids` (the split it was scored on), `history`
        and `final` (validation loss in nats/char
        over the whole validation split, `tokens_per_second`, `steps`, `seconds`,
        `first_step_seconds` (compilation), `unigram_loss`: what counting letters scores).
    """
    check_positive("seconds", seconds)
    check_int("verbose", verbose, 0, 2)
    if jit_compile is not None:
        check_bool("jit_compile", jit_compile)
    config = CharGPTConfig() if config is None else config
    check_type("config", config, CharGPTConfig, "a CharGPTConfig or None")
    text = load_shakespeare() if text is None else check_str("text", text)
    tokenizer = CharTokenizer.from_text(text)
    train_text, validation_text = split_text(text, 0.1)
    length, batch = config.sequence_length, config.batch_size
    if len(validation_text) < length * batch + 1 or len(train_text) < length + 2:
        raise ValueError(
            f"`text` has {len(text)} characters: too few for the recipe, whose last 10% "
            f"(validation) must hold at least sequence_length × batch_size + 1 = "
            f"{length * batch + 1} characters (sequence_length={length}, batch_size={batch})."
        )
    train_ids, val_ids = tokenizer.encode(train_text), tokenizer.encode(validation_text)
    model = build_gpt(tokenizer.vocabulary_size, **config.model_kwargs())
    training = config.training_kwargs()
    history = train_with_time_budget(
        model, train_ids, val_ids, seconds, verbose=verbose, jit_compile=jit_compile, **training
    )
    loss = evaluate_loss(model, val_ids, config.sequence_length, config.batch_size)
    final = {"val_loss": loss, "tokens_per_second": history["tokens_per_second"],
             "steps": history["step"][-1], "seconds": history["seconds"][-1],
             "first_step_seconds": history["first_step_seconds"],
             "unigram_loss": unigram_cross_entropy(train_ids, val_ids,
                                                   tokenizer.vocabulary_size)}  # fmt: skip
    return {"model": model, "tokenizer": tokenizer, "validation_ids": val_ids, "history": history,
            "final": final}  # fmt: skip
