"""Chapters 09–10 end to end: the spa→eng task, training a translator, and decoding.

`spa_eng_task()` loads the fixed split and builds the vocabularies; `fit_translator()` trains
any course translator with teacher forcing; `translate()` decodes sentences with greedy or beam
search through `lmkeras.sampling`. Score with `lmkeras.metrics.translation_bleu`.

Data: Tatoeba project (https://tatoeba.org), CC-BY 2.0, via manythings.org/anki.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import keras
import numpy as np
from keras import ops

from lmkeras import sampling
from lmkeras._checks import (
    check_bool,
    check_float,
    check_int,
    check_optional_int,
    check_pairs,
    check_positive,
    check_texts,
    check_type,
    describe,
)
from lmkeras.data import load_spa_eng_split
from lmkeras.datasets.translation import (
    END_ID,
    START_ID,
    PairEncoder,
    _pad,
    filter_pairs,
    swap_pairs,
    translation_dataset,
)
from lmkeras.layers.losses import MaskedCrossEntropy
from lmkeras.training import build_for_training


def _check_translator(model, encoder: PairEncoder, model_type=None) -> None:
    """A course translator whose vocabularies are the encoder's (else ids fall outside a table)."""
    if not callable(getattr(model, "step_fn", None)) or (
        model_type is not None and not isinstance(model, model_type)
    ):
        raise TypeError(
            f"`model` must be a course translator with a `step_fn` method (GRUTranslator, "
            f"TransformerTranslator); received {type(model).__name__} {describe(model)}."
        )
    check_type("encoder", encoder, PairEncoder, "the PairEncoder the model was built for")
    for side in ("source", "target"):
        ours = getattr(encoder, f"{side}_vocabulary_size")
        theirs = getattr(model, f"{side}_vocabulary_size", ours)
        if theirs != ours:
            raise ValueError(
                f"`model` has {side}_vocabulary_size={theirs}, but the encoder's {side} "
                f"vocabulary holds {ours} ids: build the model with the encoder's sizes."
            )


@dataclass(frozen=True)
class TranslationTask:
    """The course's spa→eng task: encoder, training pairs and evaluation pairs.

    Attributes:
        encoder: `PairEncoder` built on the training pairs.
        train: (Spanish, English) training pairs with at most `max_train_words` words a side.
        validation: (Spanish, English) validation pairs, same filter.
        test: every (Spanish, English) test pair (never filtered: BLEU is on the whole split).
        dropped: number of training and validation pairs removed by the length filter.
    """

    encoder: PairEncoder
    train: list
    validation: list
    test: list
    dropped: int


def spa_eng_task(
    source_vocabulary_size: int = 16000,
    target_vocabulary_size: int = 10000,
    max_train_words: int = 24,
    train_size: int | None = None,
) -> TranslationTask:
    """Spanish → English on the fixed spa-eng split, as chapters 09 and 10 use it.

    Args:
        source_vocabulary_size: int. Spanish ids, padding and `[UNK]` included. Defaults to 16,000
            (2.2% of test words out of vocabulary).
        target_vocabulary_size: int. English ids, padding, `[UNK]`, `[start]`, `[end]` included.
            Defaults to 10,000 (0.9% out of vocabulary).
        max_train_words: int. Longer training/validation pairs are dropped (about 0.1%).
        train_size: int or None. Keep only the first `train_size` training pairs (quick mode).

    Returns:
        `TranslationTask`.
    """
    check_int("source_vocabulary_size", source_vocabulary_size, 3)
    check_int("target_vocabulary_size", target_vocabulary_size, 5)
    check_int("max_train_words", max_train_words)
    check_optional_int("train_size", train_size)
    split = load_spa_eng_split()
    train = swap_pairs(split.train)
    if train_size is not None:
        train = train[:train_size]
    encoder = PairEncoder.from_pairs(train, source_vocabulary_size, target_vocabulary_size)
    train, dropped_train = filter_pairs(train, max_train_words)
    validation, dropped_validation = filter_pairs(swap_pairs(split.validation), max_train_words)
    return TranslationTask(
        encoder, train, validation, swap_pairs(split.test), dropped_train + dropped_validation
    )


def translate(
    model,
    encoder: PairEncoder,
    sources: Sequence[str],
    num_beams: int = 1,
    max_new_tokens: int | None = None,
    batch_size: int = 128,
    use_cache: bool = True,
    length_penalty: float = 1.0,
) -> list[str]:
    """Translate sentences with greedy decoding (`num_beams=1`) or beam search.

    `model` is any course translator: it has `model.step_fn(source_ids, use_cache)` returning a
    step function of the `lmkeras.sampling` contract whose prompt is `[start]`. Sentences are
    decoded in batches of similar length; decoding of a sentence stops at `[end]`.

    Args:
        model: a `GRUTranslator` or `TransformerTranslator` (`lmkeras.models`).
        encoder: the `PairEncoder` the model was trained with.
        sources: source sentences (raw text; normalised here).
        num_beams: int ≥ 1. Defaults to `1` (greedy).
        max_new_tokens: int ≥ 1, or None for twice the longest source of the batch plus 10
            words (at most `encoder.max_length + 1`).
        batch_size: int ≥ 1. Defaults to `128`.
        use_cache: bool. Let the model reuse its cache (keys/values or RNN state) between steps.
        length_penalty: float ≥ 0, for beam search (see `sampling.beam_search`).

    Returns:
        list of str, one normalised translation per source, in order.
    """
    _check_translator(model, encoder)
    check_int("num_beams", num_beams, 1)
    check_int("batch_size", batch_size, 1)
    if max_new_tokens is not None:
        check_int("max_new_tokens", max_new_tokens, 1)
    sources = check_texts("sources", sources)
    check_bool("use_cache", use_cache)
    check_float("length_penalty", length_penalty, 0.0)
    ids = encoder._encode(encoder.source, sources, "sources")  # refuses over-long sentences
    order = np.argsort([len(row) for row in ids], kind="stable")
    results: list[str] = [""] * len(sources)
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        longest = max(len(ids[i]) for i in rows)
        # Pad to a multiple of 8 (within max_length): fewer shapes for a compiled step.
        length = min(max(-(-longest // 8) * 8, 8), max(encoder.max_length, longest))
        source_ids = _pad([ids[i] for i in rows], length)
        step = model.step_fn(source_ids, use_cache=use_cache)
        new_tokens = max_new_tokens or min(2 * longest + 10, encoder.max_length + 1)
        prompt = np.full((len(rows), 1), START_ID, "int32")
        if num_beams == 1:
            out = sampling.generate(
                step, prompt, new_tokens, sampling.GreedySampler(), end_id=END_ID
            )
        else:
            out, _ = sampling.beam_search(
                step, prompt, new_tokens, num_beams, length_penalty, end_id=END_ID
            )
        out = ops.convert_to_numpy(out)
        for row, index in zip(out, rows):
            results[index] = encoder.decode_target(row[1:])
    return results


def fit_translator(
    model,
    encoder: PairEncoder,
    train_pairs: Sequence[tuple[str, str]],
    validation_pairs: Sequence[tuple[str, str]] | None,
    epochs: int,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    warmup_fraction: float = 0.05,
    weight_decay: float = 0.01,
    label_smoothing: float = 0.0,
    jit_compile: bool | str = "auto",
    callbacks: list | None = None,
    verbose: int = 2,
    seed: int = 0,
):
    """Train a translator with teacher forcing: AdamW, linear warm-up, then cosine decay.

    The loss is the cross-entropy of each next target word, padding ignored. The learning rate
    rises linearly over the first `warmup_fraction` of the steps to `learning_rate`, then
    follows a cosine down to 1% of it at the last step of the last epoch.

    Args:
        model: a translator (see `translate`), not yet compiled.
        encoder: its `PairEncoder`.
        train_pairs: (source, target) pairs, each side within `encoder.max_length` words.
        validation_pairs: pairs for the validation loss at the end of each epoch, or None.
        epochs: int ≥ 1.
        batch_size: int ≥ 1. Defaults to `64`.
        learning_rate: float > 0. Peak learning rate. Defaults to `1e-3`.
        warmup_fraction: float in [0, 1). Defaults to `0.05`.
        weight_decay: float ≥ 0. AdamW's decoupled weight decay. Defaults to `0.01`.
        label_smoothing: float in [0, 1). Spread this much probability over the vocabulary
            in the targets (Szegedy et al., 2016). Defaults to `0.0`.
        jit_compile: passed to `model.compile` (XLA on TensorFlow and JAX). Defaults to
            `"auto"`. On PyTorch the steps run eagerly whatever it says: the batches vary in
            length, and `torch.compile` recompiles for every new shape (15× slower than eager
            on a tiny translator, same losses) until it hits its recompile limit.
        callbacks: extra Keras callbacks.
        verbose: `fit`'s verbosity. Defaults to `2` (one line per epoch).
        seed: int. Shuffling seed. Defaults to `0`.

    Returns:
        The `History` of `model.fit`.
    """
    _check_translator(model, encoder, keras.Model)
    check_int("epochs", epochs, 1)
    check_positive("learning_rate", learning_rate)
    check_float("warmup_fraction", warmup_fraction, 0.0, 1.0, high_open=True)
    check_float("weight_decay", weight_decay, 0.0)
    MaskedCrossEntropy(label_smoothing)  # refuses a bad label_smoothing before any work
    train_pairs = check_pairs("train_pairs", train_pairs)
    if validation_pairs is not None:
        validation_pairs = check_pairs("validation_pairs", validation_pairs, allow_empty=True)
    check_int("seed", seed, 0)
    if not (isinstance(jit_compile, bool) or jit_compile == "auto"):
        raise ValueError(
            f"`jit_compile` must be True, False or 'auto'; received "
            f"jit_compile={describe(jit_compile)}."
        )
    if verbose not in (0, 1, 2, "auto") or isinstance(verbose, bool):
        raise ValueError(
            f"`verbose` must be 0, 1, 2 or 'auto'; received verbose={describe(verbose)}."
        )
    train = translation_dataset(encoder, train_pairs, batch_size, shuffle=True, seed=seed)
    validation = None
    if validation_pairs:
        validation = translation_dataset(encoder, validation_pairs, batch_size, shuffle=False)
    total = int(train.cardinality()) * epochs
    warmup = int(warmup_fraction * total)
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0 if warmup else learning_rate,
        decay_steps=max(total - warmup, 1),
        alpha=0.01,
        warmup_target=learning_rate if warmup else None,
        warmup_steps=warmup,
    )
    model.compile(
        optimizer=keras.optimizers.AdamW(schedule, weight_decay=weight_decay),
        loss=MaskedCrossEntropy(label_smoothing),
        jit_compile=False if keras.backend.backend() == "torch" else jit_compile,
    )
    build_for_training(model, ((None, None), (None, None)))
    return model.fit(
        train,
        validation_data=validation,
        epochs=epochs,
        callbacks=callbacks,
        verbose=verbose,
        shuffle=False,  # the dataset shuffles its batches itself
    )
