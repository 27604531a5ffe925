"""Skip-gram training pairs with negative sampling, as a streaming `tf.data` pipeline.

word2vec's skip-gram (Mikolov et al. 2013, "Distributed Representations of Words and Phrases
and their Compositionality") learns from (target, context) pairs: every word of the corpus is
a target, and the words at most `window_size` positions away are its contexts. Three details
of the paper are implemented here:

- Subsampling of frequent words: each occurrence of a word with corpus frequency f is kept
  with probability `min(1, sqrt(t / f))` (t is `subsample`, e.g. 1e-4) and dropped otherwise,
  before the windows are taken. "the" and "." lose most occurrences, rare words none, and the
  window reaches further over the words that remain.
- A dynamic window: for each target a reach r is drawn uniformly from 1..window_size and only
  contexts at distance ≤ r are used, so near words count more than far ones (the C tool's
  "reduced window").
- Negatives: for each positive pair, `num_negatives` words drawn from the unigram
  distribution raised to the power 3/4, which samples rare words more often than their
  frequency would.

The pipeline holds the id array once and works through it in chunks of `chunk_size` tokens:
each chunk is subsampled, turned into pairs with tensor ops and shuffled into the stream, so
the cost of an epoch grows linearly with the corpus and no list of all pairs ever exists.
Pairs that would straddle two chunks are skipped (fewer than window_size² per chunk).
Randomness comes from `seed` and changes every epoch, reproducibly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from lmkeras._checks import (
    check_bool,
    check_float,
    check_int,
    check_numbers,
    check_optional_int,
    check_positive,
    check_token_ids,
    describe,
)


def _check_ids(ids: object, vocabulary_size: int) -> np.ndarray:
    array = check_token_ids("ids", ids, vocabulary_size, ndim=1)
    if array.size == 0:
        raise ValueError("`ids` must hold at least one id; received none.")
    return array


def _check_counts(counts: object) -> np.ndarray:
    counts = check_numbers("counts", counts, ndim=1, minimum=0)
    if counts.sum() <= 0:
        raise ValueError(f"`counts` must have a positive sum; received counts={describe(counts)}.")
    return counts


def concatenate_sentences(sentences: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Join tokenized sentences into one id array and a same-length array of sentence numbers.

    Pass both to `skipgram_pairs`/`skipgram_dataset` so that no window spans two sentences.

    Args:
        sentences: sequence of 1-D int sequences (e.g. `[tokenizer.encode(s) for s in texts]`).

    Returns:
        (ids, segment_ids): two int32 arrays of the total length.

    Example:
    >>> ids, segments = concatenate_sentences([[5, 6, 7], [8, 9]])
    >>> ids.tolist(), segments.tolist()
    ([5, 6, 7, 8, 9], [0, 0, 0, 1, 1])
    """
    if isinstance(sentences, (str, bytes)) or not hasattr(sentences, "__len__"):
        raise TypeError(
            f"`sentences` must be a sequence of id sequences; received "
            f"sentences={describe(sentences)}."
        )
    if not len(sentences):
        raise ValueError("`sentences` must hold at least one sentence; received none.")
    arrays = [check_token_ids(f"sentences[{i}]", s).reshape(-1) for i, s in enumerate(sentences)]
    lengths = [len(a) for a in arrays]
    ids = np.concatenate(arrays)
    segment_ids = np.repeat(np.arange(len(arrays), dtype="int32"), lengths)
    return ids, segment_ids


def keep_probabilities(counts: Sequence[int] | np.ndarray, subsample: float = 1e-4) -> np.ndarray:
    """Probability of keeping each occurrence of a word: `min(1, sqrt(subsample / f))`.

    The subsampling of frequent words of Mikolov et al. 2013, with f = count / total count.
    Words that never occur get probability 0.

    Args:
        counts: 1-D array of non-negative word counts, indexed by id.
        subsample: float > 0. The threshold t; words rarer than t are always kept.
            Defaults to `1e-4`.

    Returns:
        float64 array like `counts`.

    Example:
    >>> keep_probabilities([96, 4], subsample=0.04).round(3).tolist()
    [0.204, 1.0]
    """
    counts = _check_counts(counts)
    check_positive("subsample", subsample)
    frequency = counts / counts.sum()
    with np.errstate(divide="ignore"):
        keep = np.minimum(1.0, np.sqrt(subsample / frequency))
    return np.where(counts > 0, keep, 0.0)


def negative_distribution(counts: Sequence[int] | np.ndarray, power: float = 0.75) -> np.ndarray:
    """The noise distribution for negatives: `count ** power`, normalised to sum to 1.

    Args:
        counts: 1-D array of non-negative word counts, indexed by id. A zero count gives
            probability 0 whatever the power.
        power: float ≥ 0. 0.75 in Mikolov et al. 2013; 1 is the unigram distribution and
            0 the uniform one. Defaults to `0.75`.

    Returns:
        float64 array like `counts`, summing to 1.

    Example:
    >>> negative_distribution([16, 1, 0], power=0.75).round(3).tolist()
    [0.889, 0.111, 0.0]
    """
    counts = _check_counts(counts)
    check_float("power", power, 0.0)
    weights = np.where(counts > 0, counts**power, 0.0)
    return weights / weights.sum()


def _word_counts(ids: np.ndarray, vocabulary_size: int, drop_ids: Sequence[int]) -> np.ndarray:
    counts = np.bincount(ids, minlength=vocabulary_size).astype("float64")
    if isinstance(drop_ids, (str, bytes)) or not hasattr(drop_ids, "__iter__"):
        raise TypeError(
            f"`drop_ids` must be a list of ids; received drop_ids={describe(drop_ids)}."
        )
    for word_id in drop_ids:
        check_int("drop_ids entry", word_id, 0)
        if word_id >= vocabulary_size:
            raise ValueError(f"`drop_ids` must lie in [0, {vocabulary_size}); received {word_id}.")
        counts[word_id] = 0.0
    if counts.sum() <= 0:
        raise ValueError("`ids` hold no word outside `drop_ids`; there is nothing to train on.")
    return counts


def skipgram_pairs(
    ids: Sequence[int] | np.ndarray,
    vocabulary_size: int,
    window_size: int,
    segment_ids: Sequence[int] | np.ndarray | None = None,
    subsample: float | None = 1e-4,
    dynamic_window: bool = True,
    drop_ids: Sequence[int] = (),
    chunk_size: int = 65536,
    seed: int | None = None,
) -> tf.data.Dataset:
    """Positive (target, context) pairs of a corpus, one dataset element per chunk.

    Args:
        ids: 1-D int sequence, the tokenized corpus.
        vocabulary_size: int ≥ 1. Every id must be below it.
        window_size: int ≥ 1. Largest distance between a target and a context.
        segment_ids: optional 1-D ints, one per id (see `concatenate_sentences`); a pair
            never joins two different segments. Defaults to one segment.
        subsample: float > 0 or None. Threshold of `keep_probabilities`; None keeps every
            word. Defaults to `1e-4`.
        dynamic_window: bool. Draw each target's reach from 1..window_size. Defaults to `True`.
        drop_ids: ids removed from the text before windows are taken (e.g. padding 0 and
            `[UNK]` 1). Defaults to none.
        chunk_size: int ≥ 1. Tokens processed at a time. Defaults to `65536`.
        seed: int or None. Seed of the chunk order, subsampling and reaches.

    Returns:
        tf.data.Dataset of `(targets, contexts)`, int32 vectors of one chunk's pairs.

    Example:
    >>> ds = skipgram_pairs([3, 4, 5], 6, window_size=1, subsample=None, dynamic_window=False)
    >>> [t.numpy().tolist() for t in next(iter(ds))]
    [[3, 4, 4, 5], [4, 5, 3, 4]]
    """
    check_int("vocabulary_size", vocabulary_size, 1)
    check_int("window_size", window_size, 1)
    check_int("chunk_size", chunk_size, 1)
    check_bool("dynamic_window", dynamic_window)
    check_optional_int("seed", seed, 0)
    array = _check_ids(ids, vocabulary_size)
    if segment_ids is None:
        segments = np.zeros_like(array)
    else:
        segments = np.asarray(segment_ids)
        if segments.shape != array.shape or not np.issubdtype(segments.dtype, np.integer):
            raise ValueError(
                f"`segment_ids` must be ints of the same shape as `ids` {array.shape}; "
                f"received shape {segments.shape} and dtype {segments.dtype}."
            )
    counts = _word_counts(array, vocabulary_size, drop_ids)
    if subsample is None:
        keep = (counts > 0).astype("float64")
    else:
        keep = keep_probabilities(counts, subsample)

    ids_table = tf.constant(array)
    segment_table = tf.constant(segments.astype("int32"))
    keep_table = tf.constant(keep.astype("float32"))

    def make_pairs(start: tf.Tensor, random: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        seeds = tf.random.experimental.stateless_split(tf.stack([random, start]), num=2)
        chunk = ids_table[start : start + chunk_size]
        segment = segment_table[start : start + chunk_size]
        kept = tf.random.stateless_uniform(tf.shape(chunk), seeds[0]) < tf.gather(keep_table, chunk)
        chunk, segment = chunk[kept], segment[kept]
        if dynamic_window:
            reach = tf.random.stateless_uniform(
                tf.shape(chunk), seeds[1], minval=1, maxval=window_size + 1, dtype="int32"
            )
        else:
            reach = tf.fill(tf.shape(chunk), window_size)
        targets, contexts = [], []
        for distance in range(1, window_size + 1):
            left, right = chunk[:-distance], chunk[distance:]  # word i and word i + distance
            same = segment[:-distance] == segment[distance:]
            left_reaches = same & (reach[:-distance] >= distance)
            right_reaches = same & (reach[distance:] >= distance)
            targets += [left[left_reaches], right[right_reaches]]
            contexts += [right[left_reaches], left[right_reaches]]
        return tf.concat(targets, 0), tf.concat(contexts, 0)

    starts = tf.data.Dataset.range(0, len(array), chunk_size)
    starts = starts.shuffle(len(starts), seed=seed, reshuffle_each_iteration=True)
    randoms = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    return tf.data.Dataset.zip((starts, randoms)).map(make_pairs)


def skipgram_dataset(
    ids: Sequence[int] | np.ndarray,
    vocabulary_size: int,
    window_size: int,
    num_negatives: int,
    batch_size: int,
    segment_ids: Sequence[int] | np.ndarray | None = None,
    subsample: float | None = 1e-4,
    power: float = 0.75,
    dynamic_window: bool = True,
    drop_ids: Sequence[int] = (),
    chunk_size: int = 65536,
    shuffle_buffer: int = 262144,
    seed: int | None = None,
) -> tf.data.Dataset:
    """Batches for a skip-gram model: a target, its context and `num_negatives` noise words.

    Column 0 of `context` is the true context (label 1), columns 1.. are negatives drawn from
    `negative_distribution(counts, power)` (label 0), as in Mikolov et al. 2013. Like the
    paper, a negative may by chance equal the true context. Arguments shared with
    `skipgram_pairs` mean the same there.

    Args:
        num_negatives: int ≥ 1. Noise words per positive pair.
        batch_size: int ≥ 1. Positive pairs per batch (the last partial batch is dropped).
        power: float ≥ 0. Exponent of the noise distribution. Defaults to `0.75`.
        shuffle_buffer: int ≥ 1. Pairs mixed across chunks. Defaults to `262144`.

    Returns:
        tf.data.Dataset of `({"target": (batch,), "context": (batch, 1 + num_negatives)},
        labels (batch, 1 + num_negatives) float32)`, ready for `model.fit`.

    Example:
    >>> ds = skipgram_dataset([2, 3, 4, 5] * 8, 6, window_size=2, num_negatives=3,
    ...                       batch_size=4, subsample=None, seed=0)
    >>> inputs, labels = next(iter(ds))
    >>> inputs["target"].shape, inputs["context"].shape, labels[0].numpy().tolist()
    (TensorShape([4]), TensorShape([4, 4]), [1.0, 0.0, 0.0, 0.0])
    """
    check_int("num_negatives", num_negatives, 1)
    check_int("batch_size", batch_size, 1)
    check_int("shuffle_buffer", shuffle_buffer, 1)
    check_int("window_size", window_size, 1)
    check_float("power", power, 0.0)
    most = len(_check_ids(ids, check_int("vocabulary_size", vocabulary_size))) * 2 * window_size
    if batch_size > most:
        raise ValueError(
            f"batch_size={batch_size} is more than the at most {most} pairs an epoch of these ids "
            f"gives (2 × window_size={window_size} contexts per id), so no batch would ever be "
            f"full; pass a smaller batch_size or more text."
        )
    pairs = skipgram_pairs(
        ids,
        vocabulary_size,
        window_size,
        segment_ids=segment_ids,
        subsample=subsample,
        dynamic_window=dynamic_window,
        drop_ids=drop_ids,
        chunk_size=chunk_size,
        seed=seed,
    )
    counts = _word_counts(_check_ids(ids, vocabulary_size), vocabulary_size, drop_ids)
    probabilities = negative_distribution(counts, power)
    with np.errstate(divide="ignore"):
        logits = tf.constant(np.log(probabilities)[None, :].astype("float32"))  # (1, V)
    labels = tf.constant([[1.0] + [0.0] * num_negatives])  # (1, 1 + K)

    def add_negatives(batch: tuple, random: tf.Tensor) -> tuple[dict, tf.Tensor]:
        targets, contexts = batch
        seed_pair = tf.stack([random, tf.constant(7, "int64")])
        negatives = tf.random.stateless_categorical(
            logits, batch_size * num_negatives, seed_pair, dtype="int32"
        )
        negatives = tf.reshape(negatives, (batch_size, num_negatives))  # (B, K)
        context = tf.concat([contexts[:, None], negatives], axis=1)  # (B, 1 + K)
        return {"target": targets, "context": context}, tf.tile(labels, (batch_size, 1))

    batches = (
        pairs.unbatch()
        .shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size, drop_remainder=True)
    )
    randoms = tf.data.Dataset.random(
        seed=None if seed is None else seed + 1, rerandomize_each_iteration=True
    )
    return (
        tf.data.Dataset.zip((batches, randoms))
        .map(add_negatives, num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )
