"""Chapter 12's fine-tuning runs: the chapter-08 Shakespeare GPT adapted to modern English.

A pretrained model is adapted to new text in three ways, each for the same wall-clock time from
the same starting weights: LoRA at several ranks (only the low-rank factors of the attention's
query and value projections train, `lmkeras.layers.lora`) and full fine-tuning (every weight
trains). The new text is the English side of spa-eng's training split (short modern sentences,
one per line), scored on the English side of its validation split. Data: the Tatoeba project
(https://tatoeba.org), CC-BY 2.0, via manythings.org/anki.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

from lmkeras._checks import (
    check_bool,
    check_float,
    check_int,
    check_optional_int,
    check_pairs,
    check_path,
    check_positive,
    check_type,
)
from lmkeras.data import load_shakespeare, load_spa_eng_split
from lmkeras.layers.lora import add_lora, merge_lora
from lmkeras.models.gpt import gpt_parts
from lmkeras.recipes.char_gpt import CharGPTConfig, train_char_gpt
from lmkeras.text import CharTokenizer
from lmkeras.training import evaluate_loss, train_with_time_budget


@dataclass(frozen=True)
class FinetuneConfig:
    """How each fine-tuning run trains; every field has a reason.

    Args:
        seconds: 60 s per run, the same for every method: the comparison is at equal CPU time.
        ranks: LoRA ranks 4, 8 and 16: at rank 8 the adapters hold 4.3% of the chapter-08
            model's 818 k parameters.
        alpha: None means α = r (Keras' default): the update's scale α/r stays 1 across ranks.
        targets: the query and value projections, as in the LoRA paper.
        lora_learning_rate: 1e-2: the factors start at zero (B) and need a large rate to move
            in a minute; AdamW's clipping keeps it stable.
        full_learning_rate: 1e-3, a third of chapter 08's peak: the weights are already good.
        weight_decay: 0.0: nothing to regularise in a one-minute run.
        batch_size, sequence_length: chapter 08's 32 windows of 128 characters.
        warmup_steps: 20: a short warm-up, the model is pretrained.
        min_lr_ratio: the cosine ends at 10% of the peak when time is up.
        eval_every: 10 s between validation estimates, for the learning curves.
        max_steps: None (time decides); tests set a few steps.
        jit_compile: None means XLA on TensorFlow and JAX (what pays in a minute of training);
            False skips the compilation, for runs of a few seconds.
    """

    seconds: float = 60.0
    ranks: tuple = (4, 8, 16)
    alpha: float | None = None
    targets: tuple = ("query", "value")
    lora_learning_rate: float = 1e-2
    full_learning_rate: float = 1e-3
    weight_decay: float = 0.0
    batch_size: int = 32
    sequence_length: int = 128
    warmup_steps: int = 20
    min_lr_ratio: float = 0.1
    eval_every: float = 10.0
    max_steps: int | None = None
    jit_compile: bool | None = None

    def __post_init__(self):
        check_positive("seconds", self.seconds)
        if not isinstance(self.ranks, (tuple, list)):
            raise TypeError(f"`ranks` must be a tuple of ints; received ranks={self.ranks!r}.")
        for rank in self.ranks:
            check_int("ranks", rank)
        for key in ("lora_learning_rate", "full_learning_rate", "eval_every"):
            check_positive(key, getattr(self, key))
        check_float("weight_decay", self.weight_decay, 0.0)
        for key in ("batch_size", "sequence_length", "warmup_steps"):
            check_int(key, getattr(self, key))
        if self.alpha is not None:
            check_positive("alpha", self.alpha)
        check_float("min_lr_ratio", self.min_lr_ratio, 0.0, 1.0)
        check_optional_int("max_steps", self.max_steps)
        if self.jit_compile is not None:
            check_bool("jit_compile", self.jit_compile)

    def replace(self, **changes: Any) -> FinetuneConfig:
        """A copy with some fields changed; unknown names are refused by name."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise TypeError(f"FinetuneConfig has no field(s) {unknown}; received {changes}.")
        return dataclasses.replace(self, **changes)


def english_text(pairs, tokenizer: CharTokenizer) -> tuple[str, int]:
    """The distinct English sentences of spa-eng `pairs`, one per line, that `tokenizer` encodes.

    Args:
        pairs: list of (english, spanish) tuples.
        tokenizer: `CharTokenizer`. Sentences with a character outside its vocabulary (digits,
            `"`, `%`, accented letters for Shakespeare's) are left out, not altered.

    Returns:
        `(text, dropped)`: the sentences joined by newlines (with a final newline) and how many
        distinct sentences were left out.

    Example:
    >>> english_text([("Go.", "Ve."), ("Go.", "Vete."), ("It's 5.", "Son las 5.")],
    ...              CharTokenizer.from_text("Go.Its' "))
    ('Go.\\n', 1)
    """
    pairs = check_pairs("pairs", pairs, allow_empty=True)
    check_type("tokenizer", tokenizer, CharTokenizer, "a CharTokenizer")
    vocabulary = set(tokenizer.vocabulary)
    sentences = list(dict.fromkeys(english for english, _ in pairs))
    kept = [s for s in sentences if set(s) <= vocabulary]
    return "\n".join(kept) + "\n", len(sentences) - len(kept)


def modern_english(tokenizer: CharTokenizer, train_size: int | None = None) -> dict:
    """The English sides of spa-eng's training and validation splits, as ids of `tokenizer`.

    Args:
        tokenizer: the pretrained model's `CharTokenizer`.
        train_size: int or None. Keep only the first `train_size` training pairs (quick mode).

    Returns:
        dict with `train_ids`, `validation_ids` (int32 arrays), `train_sentences`,
        `validation_sentences` (kept) and `dropped` (sentences left out, train + validation).
    """
    check_type("tokenizer", tokenizer, CharTokenizer, "a CharTokenizer")
    check_optional_int("train_size", train_size)
    split = load_spa_eng_split()
    train = split.train if train_size is None else split.train[: check_int("train_size",
                                                                           train_size)]  # fmt: skip
    train_text, train_dropped = english_text(train, tokenizer)
    validation_text, validation_dropped = english_text(split.validation, tokenizer)
    return {
        "train_ids": tokenizer.encode(train_text),
        "validation_ids": tokenizer.encode(validation_text),
        "train_sentences": train_text.count("\n"),
        "validation_sentences": validation_text.count("\n"),
        "dropped": train_dropped + validation_dropped,
    }


def load_or_train_char_gpt(
    path: str | Path | None, seconds: float, config: CharGPTConfig | None = None, verbose: int = 0
) -> tuple[keras.Model, CharTokenizer, str]:
    """The chapter-08 Shakespeare GPT: loaded from `path` if it exists, else trained and saved.

    Args:
        path: `.keras` file or None (train, do not save).
        seconds: float > 0. Training budget when there is no saved model.
        config: `CharGPTConfig` or None (chapter 08's recipe).
        verbose: int. Passed to `train_char_gpt`.

    Returns:
        `(model, tokenizer, how)`: `how` says in one line where the model came from.
    """
    if path is not None:
        check_path("path", path)
    check_positive("seconds", seconds)
    if config is not None:
        check_type("config", config, CharGPTConfig, "a CharGPTConfig")
    check_int("verbose", verbose, 0, 2)
    tokenizer = CharTokenizer.from_text(load_shakespeare())
    if path is not None and Path(path).is_file():
        model = keras.saving.load_model(path, compile=False)
        return model, tokenizer, f"loaded the chapter-08 model from {Path(path).name}"
    run = train_char_gpt(seconds, config=config, verbose=verbose)
    how = (f"trained a chapter-08 model for {run['final']['seconds']:.0f} s: "
           f"Shakespeare validation loss {run['final']['val_loss']:.3f}")  # fmt: skip
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        run["model"].save(path)
        how += f", saved as {Path(path).name}"
    return run["model"], tokenizer, how


def copy_model(model: keras.Model) -> keras.Model:
    """A new model with the same architecture and weights (training one leaves the other)."""
    check_type("model", model, keras.Model, "a keras.Model")
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return clone


def finetune(
    base: keras.Model,
    data: dict,
    method: str | int,
    config: FinetuneConfig | None = None,
    verbose: int = 0,
) -> dict:
    """Fine-tune a copy of `base` on `data` for `config.seconds`; LoRA at rank `method` or full.

    Args:
        base: a `build_gpt` model (left unchanged).
        data: dict with `train_ids` and `validation_ids` (`modern_english`).
        method: `"full"` (every weight trains) or an int rank (LoRA on `config.targets`).
        config: `FinetuneConfig` or None.
        verbose: int. 2 prints one line per validation estimate, 0 nothing.

    Returns:
        dict with `model` (LoRA merged into it), `trainable` (parameters trained), `history`
        and `val_loss` (over the whole validation text, nats/char).
    """
    config = FinetuneConfig() if config is None else config
    check_type("config", config, FinetuneConfig, "a FinetuneConfig")
    if isinstance(method, str) and method != "full":
        raise ValueError(f"`method` must be 'full' or an int rank ≥ 1; received method={method!r}.")
    if method != "full":
        check_int("method", method)
    gpt_parts(base)
    check_type("data", data, dict, "a dict with `train_ids` and `validation_ids`")
    missing = [key for key in ("train_ids", "validation_ids") if key not in data]
    if missing:
        raise ValueError(
            f"`data` must hold `train_ids` and `validation_ids` (modern_english's dict); "
            f"received keys {sorted(data)}, without {missing}."
        )
    model = copy_model(base)
    if method == "full":
        learning_rate = config.full_learning_rate
    else:
        add_lora(model, method, config.alpha, config.targets)
        learning_rate = config.lora_learning_rate
    trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    history = train_with_time_budget(
        model, data["train_ids"], data["validation_ids"], config.seconds,
        sequence_length=config.sequence_length, batch_size=config.batch_size,
        learning_rate=learning_rate, warmup_steps=config.warmup_steps,
        min_lr_ratio=config.min_lr_ratio, weight_decay=config.weight_decay,
        eval_every=config.eval_every, max_steps=config.max_steps,
        jit_compile=config.jit_compile, verbose=2 if verbose == 2 else 0,
    )  # fmt: skip
    if method != "full":
        merge_lora(model)
    val_loss = evaluate_loss(model, data["validation_ids"], config.sequence_length,
                             config.batch_size)  # fmt: skip
    return {"model": model, "trainable": trainable, "history": history, "val_loss": val_loss}


def compare_finetuning(
    base: keras.Model, data: dict, config: FinetuneConfig | None = None, verbose: int = 0
) -> dict:
    """Validation loss before fine-tuning, after LoRA at each rank, after full fine-tuning.

    Args:
        base: the pretrained `build_gpt` model (left unchanged).
        data: dict from `modern_english`.
        config: `FinetuneConfig` or None.
        verbose: int. 1 prints one line per method, 2 also one per validation estimate.

    Returns:
        dict with `rows` (one dict per method: `method`, `trainable`, `fraction` of the base
        model's parameters, `val_loss`, `steps`, `seconds`), `histories` and `models` by method
        name ("before", "LoRA r=4", ..., "full").
    """
    config = FinetuneConfig() if config is None else config
    check_type("config", config, FinetuneConfig, "a FinetuneConfig")
    gpt_parts(base)
    check_type("data", data, dict, "a dict with `train_ids` and `validation_ids`")
    compile_for_evaluation(base, config.jit_compile)
    total = base.count_params()
    before = evaluate_loss(base, data["validation_ids"], config.sequence_length,
                           config.batch_size)  # fmt: skip
    rows = [{"method": "before", "trainable": 0, "fraction": 0.0, "val_loss": before,
             "steps": 0, "seconds": 0.0}]  # fmt: skip
    histories, models = {}, {"before": base}
    for method in [*config.ranks, "full"]:
        name = "full" if method == "full" else f"LoRA r={method}"
        tic = time.perf_counter()
        run = finetune(base, data, method, config, verbose)
        if verbose:
            print(f"{name}: validation {run['val_loss']:.3f} ({time.perf_counter() - tic:.0f} s)")
        history = run["history"]
        rows.append({"method": name, "trainable": run["trainable"],
                     "fraction": run["trainable"] / total, "val_loss": run["val_loss"],
                     "steps": history["step"][-1], "seconds": history["seconds"][-1]})  # fmt: skip
        histories[name], models[name] = history, run["model"]
    return {"rows": rows, "histories": histories, "models": models}


def compile_for_evaluation(model: keras.Model, jit_compile: bool | None = None) -> None:
    """Compile with the next-token loss (no optimizer steps) if the model is not compiled.

    `jit_compile=None` means XLA on TensorFlow and JAX.
    """
    check_type("model", model, keras.Model, "a keras.Model")
    if jit_compile is not None:
        check_bool("jit_compile", jit_compile)
    if not model.compiled:
        if jit_compile is None:
            jit_compile = keras.backend.backend() != "torch"
        model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      jit_compile=jit_compile)  # fmt: skip


__all__ = [
    "FinetuneConfig",
    "compare_finetuning",
    "copy_model",
    "english_text",
    "finetune",
    "load_or_train_char_gpt",
    "modern_english",
]
