"""`tf.data` pipelines of next-token (input, target) windows for language models.

A window of `sequence_length + 1` consecutive ids gives the input `ids[i : i + L]` and the
target `ids[i + 1 : i + L + 1]`: at every position the model learns to predict the next id.
The pipelines hold the id array once and gather windows per batch, so memory does not grow
with the number of windows. Keras 3 `model.fit` takes a `tf.data.Dataset` on every backend
(TensorFlow, JAX, PyTorch).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from lmkeras._checks import (
    check_bool,
    check_int,
    check_optional_int,
    check_str,
    check_texts,
    check_token_ids,
    describe,
)


def next_token_windows(
    ids: Sequence[int] | np.ndarray,
    sequence_length: int,
    batch_size: int,
    stride: int | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    drop_remainder: bool = True,
    vocabulary_size: int | None = None,
) -> tf.data.Dataset:
    """Batches of (input, target) windows cut from one long id sequence.

    Args:
        ids: 1-D sequence of non-negative ints (a tokenized corpus).
        sequence_length: int ≥ 1. Length L of each input and target.
        batch_size: int ≥ 1.
        stride: int ≥ 1 or None. Distance between window starts. Defaults to
            `sequence_length` (non-overlapping windows, each id seen once per epoch).
        shuffle: bool. Shuffle window order each epoch. Defaults to `True`.
        seed: int or None. Shuffle seed, for reproducible order.
        drop_remainder: bool. Drop the last partial batch. Defaults to `True`.
        vocabulary_size: int or None. When given, every id must lie in `[0, vocabulary_size)`:
            checked here, once, because inside a compiled training step an id outside the
            embedding table gathers zeros (CPU) or garbage (GPU) without a word.

    Returns:
        tf.data.Dataset of `(inputs, targets)`, each int32 of shape `(batch, L)`, prefetched.

    Example:
    >>> ds = next_token_windows(np.arange(10), sequence_length=4, batch_size=2, shuffle=False)
    >>> x, y = next(iter(ds))
    >>> x.numpy().tolist(), y.numpy().tolist()
    ([[0, 1, 2, 3], [4, 5, 6, 7]], [[1, 2, 3, 4], [5, 6, 7, 8]])
    """
    check_int("sequence_length", sequence_length)
    check_int("batch_size", batch_size)
    stride = sequence_length if stride is None else stride
    check_int("stride", stride)
    check_bool("shuffle", shuffle)
    check_bool("drop_remainder", drop_remainder)
    check_optional_int("seed", seed, 0)
    check_optional_int("vocabulary_size", vocabulary_size)
    array = check_token_ids("ids", ids, vocabulary_size, ndim=1)
    num_windows = (len(array) - sequence_length - 1) // stride + 1
    if len(array) < sequence_length + 1:
        raise ValueError(
            f"`ids` must hold at least sequence_length + 1 = {sequence_length + 1} ids; "
            f"received {len(array)}."
        )
    if num_windows < batch_size and (drop_remainder or shuffle):
        # Evaluation data (shuffle=False, drop_remainder=False) may be one short batch: its loss
        # is the same. Training data never is: no batch at all, or one short batch an epoch.
        raise ValueError(
            f"Only {num_windows} windows of sequence_length={sequence_length} fit in "
            f"{len(array)} ids, fewer than batch_size={batch_size}, so not one batch would be "
            "full; pass a smaller batch_size or more text."
        )
    table = tf.constant(array)
    offsets = tf.range(sequence_length + 1)

    def gather(starts: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        windows = tf.gather(table, starts[:, None] + offsets[None, :])  # (B, L + 1)
        return windows[:, :-1], windows[:, 1:]

    dataset = tf.data.Dataset.range(num_windows).map(lambda i: tf.cast(i, "int32") * stride)
    if shuffle:
        dataset = dataset.shuffle(num_windows, seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    return dataset.map(gather, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def _encoder(tokenizer, kwargs: dict):
    """A tokenizer with an `encode` method; its vocabulary size becomes the ids' default bound."""
    if isinstance(tokenizer, (str, bytes)) or not callable(getattr(tokenizer, "encode", None)):
        raise TypeError(
            f"`tokenizer` must have an `encode` method (a CharTokenizer or WordTokenizer); "
            f"received tokenizer={describe(tokenizer)}."
        )
    kwargs.setdefault("vocabulary_size", getattr(tokenizer, "vocabulary_size", None))
    return tokenizer


def char_lm_dataset(
    text: str,
    tokenizer,
    sequence_length: int,
    batch_size: int,
    **kwargs,
) -> tf.data.Dataset:
    """Next-character windows of `text`, encoded with a `CharTokenizer` (or any `encode`).

    Keyword arguments go to `next_token_windows` (stride, shuffle, seed, drop_remainder,
    vocabulary_size: the tokenizer's by default).

    Example:
    >>> from lmkeras.text import CharTokenizer
    >>> tok = CharTokenizer.from_text("abcabcabc")
    >>> x, y = next(iter(char_lm_dataset("abcabcabc", tok, 3, 1, shuffle=False)))
    >>> tok.decode(x[0]), tok.decode(y[0])
    ('abc', 'bca')
    """
    check_str("text", text)
    ids = _encoder(tokenizer, kwargs).encode(text)
    return next_token_windows(ids, sequence_length, batch_size, **kwargs)


def word_lm_dataset(
    texts: Sequence[str],
    tokenizer,
    sequence_length: int,
    batch_size: int,
    **kwargs,
) -> tf.data.Dataset:
    """Next-word windows over `texts` joined end to end, encoded with a `WordTokenizer`.

    Each text's ids are concatenated in order, so a window may span two texts, as when a
    word LM reads running prose. Keyword arguments go to `next_token_windows`.
    """
    texts = check_texts("texts", texts)
    tokenizer = _encoder(tokenizer, kwargs)
    ids = np.concatenate([tokenizer.encode(t) for t in texts])
    return next_token_windows(ids, sequence_length, batch_size, **kwargs)
