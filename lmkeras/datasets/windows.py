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

from lmkeras._checks import check_int, check_texts


def next_token_windows(
    ids: Sequence[int] | np.ndarray,
    sequence_length: int,
    batch_size: int,
    stride: int | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    drop_remainder: bool = True,
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
    array = np.asarray(ids)
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(
            f"`ids` must be a 1-D sequence of ints; received shape {array.shape} and dtype "
            f"{array.dtype}."
        )
    if array.size and array.min() < 0:
        raise ValueError(f"`ids` must be non-negative; received a minimum of {array.min()}.")
    num_windows = (len(array) - sequence_length - 1) // stride + 1
    if len(array) < sequence_length + 1:
        raise ValueError(
            f"`ids` must hold at least sequence_length + 1 = {sequence_length + 1} ids; "
            f"received {len(array)}."
        )
    if drop_remainder and num_windows < batch_size:
        raise ValueError(
            f"Only {num_windows} windows of sequence_length={sequence_length} fit in "
            f"{len(array)} ids, fewer than batch_size={batch_size}; pass a smaller batch_size "
            "or more text."
        )
    table = tf.constant(array.astype("int32"))
    offsets = tf.range(sequence_length + 1)

    def gather(starts: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        windows = tf.gather(table, starts[:, None] + offsets[None, :])  # (B, L + 1)
        return windows[:, :-1], windows[:, 1:]

    dataset = tf.data.Dataset.range(num_windows).map(lambda i: tf.cast(i, "int32") * stride)
    if shuffle:
        dataset = dataset.shuffle(num_windows, seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    return dataset.map(gather, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def char_lm_dataset(
    text: str,
    tokenizer,
    sequence_length: int,
    batch_size: int,
    **kwargs,
) -> tf.data.Dataset:
    """Next-character windows of `text`, encoded with a `CharTokenizer` (or any `encode`).

    Keyword arguments go to `next_token_windows` (stride, shuffle, seed, drop_remainder).

    Example:
    >>> from lmkeras.text import CharTokenizer
    >>> tok = CharTokenizer.from_text("abcabcabc")
    >>> x, y = next(iter(char_lm_dataset("abcabcabc", tok, 3, 1, shuffle=False)))
    >>> tok.decode(x[0]), tok.decode(y[0])
    ('abc', 'bca')
    """
    if not text:
        raise ValueError("`text` must be a non-empty string; received ''.")
    return next_token_windows(tokenizer.encode(text), sequence_length, batch_size, **kwargs)


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
    ids = np.concatenate([tokenizer.encode(t) for t in texts])
    return next_token_windows(ids, sequence_length, batch_size, **kwargs)
