"""Tests of the skip-gram pair and negative-sampling pipeline (lmkeras.skipgram)."""

from __future__ import annotations

import numpy as np
import pytest

from lmkeras.datasets import skipgram


def _all_pairs(dataset) -> tuple[np.ndarray, np.ndarray]:
    targets, contexts = [], []
    for t, c in dataset:
        targets.append(t.numpy())
        contexts.append(c.numpy())
    return np.concatenate(targets), np.concatenate(contexts)


def test_concatenate_sentences_numbers_each_sentence():
    ids, segments = skipgram.concatenate_sentences([np.array([4, 5]), [6], [7, 8, 9]])
    assert ids.tolist() == [4, 5, 6, 7, 8, 9]
    assert segments.tolist() == [0, 0, 1, 2, 2, 2]


@pytest.mark.parametrize("window", [1, 3])
def test_fixed_window_gives_exactly_the_pairs_within_the_window_and_sentence(window):
    # Each position is its own word, so a pair's ids tell the positions apart.
    ids = np.arange(60)
    segments = ids // 10
    dataset = skipgram.skipgram_pairs(
        ids, 60, window, segment_ids=segments, subsample=None, dynamic_window=False, chunk_size=30
    )
    targets, contexts = _all_pairs(dataset)
    got = sorted(zip(targets.tolist(), contexts.tolist()))
    expected = sorted(
        (i, j)
        for i in range(60)
        for j in range(60)
        if i != j and abs(i - j) <= window and i // 10 == j // 10
    )
    assert got == expected


def test_dynamic_window_stays_within_the_window_and_favours_near_words():
    positions = np.arange(5000)
    window = 4
    dataset = skipgram.skipgram_pairs(
        positions, 5000, window, subsample=None, dynamic_window=True, seed=3, chunk_size=1000
    )
    targets, contexts = _all_pairs(dataset)
    distance = np.abs(targets - contexts)
    assert distance.min() >= 1 and distance.max() <= window
    # A context at distance d is used when the reach r ~ U{1..W} is ≥ d: P = (W - d + 1) / W.
    per_distance = np.bincount(distance, minlength=window + 1)[1:] / (2 * len(positions))
    expected = (window - np.arange(1, window + 1) + 1) / window
    np.testing.assert_allclose(per_distance, expected, atol=0.03)


def test_subsampled_pairs_never_cross_a_sentence():
    # Sentence s uses only words 2s and 2s + 1, so a pair's words tell its sentences.
    segments = np.arange(3000) // 6
    ids = 2 * segments + np.arange(3000) % 2
    dataset = skipgram.skipgram_pairs(
        ids, 1000, 5, segment_ids=segments, subsample=1e-4, seed=0, chunk_size=512
    )
    targets, contexts = _all_pairs(dataset)
    assert 0 < len(targets) < 0.5 * 3000 * 5  # subsampling dropped words
    assert np.array_equal(targets // 2, contexts // 2)


def test_subsampling_drops_frequent_words_more_and_matches_the_formula():
    rng = np.random.default_rng(0)
    # Word 2 is half the corpus; words 3..102 share the other half.
    ids = np.where(rng.random(40_000) < 0.5, 2, rng.integers(3, 103, 40_000))
    counts = np.bincount(ids, minlength=103)
    subsample = 1e-2  # word 2 keeps sqrt(0.01 / 0.5) = 14%; the rare words (f = 0.5%) all
    keep = skipgram.keep_probabilities(counts, subsample)
    dataset = skipgram.skipgram_pairs(
        ids, 103, 1, subsample=subsample, dynamic_window=False, seed=1, chunk_size=8192
    )
    targets, _ = _all_pairs(dataset)
    # With window 1, each kept word is the target of its two kept neighbours.
    kept_fraction = np.bincount(targets, minlength=103) / (2 * np.maximum(counts, 1))
    frequent = kept_fraction[2]
    rare = np.bincount(targets, minlength=103)[3:].sum() / (2 * counts[3:].sum())
    assert frequent < 0.2 < 0.98 < rare
    assert abs(frequent - keep[2]) < 0.01
    assert keep[2] == pytest.approx(np.sqrt(subsample / 0.5), rel=0.02)


def test_keep_probabilities_formula():
    keep = skipgram.keep_probabilities([900, 100, 0], subsample=0.01)
    np.testing.assert_allclose(keep, [np.sqrt(0.01 / 0.9), np.sqrt(0.01 / 0.1), 0.0])


def _negative_frequencies(power: float) -> tuple[np.ndarray, np.ndarray]:
    counts = np.array([0, 0, 4000, 2000, 1000, 500, 250, 125, 60, 30])
    ids = np.repeat(np.arange(10), counts)
    np.random.default_rng(0).shuffle(ids)
    dataset = skipgram.skipgram_dataset(
        ids, 10, 2, num_negatives=8, batch_size=500, subsample=None, power=power, seed=5
    )
    negatives = np.concatenate(
        [inputs["context"].numpy()[:, 1:].reshape(-1) for inputs, _ in dataset.take(10)]
    )
    return counts, np.bincount(negatives, minlength=10) / negatives.size


def test_negatives_follow_unigram_to_the_three_quarters():
    counts, observed = _negative_frequencies(power=0.75)  # 40,000 negatives

    def total_variation(power: float) -> float:
        expected = counts**power / (counts**power).sum()
        return 0.5 * np.abs(observed - expected).sum()

    assert total_variation(0.75) < 0.015
    # The same tolerance rejects a wrong exponent: plain unigram, square root, uniform.
    for wrong in (1.0, 0.5, 0.0):
        assert total_variation(wrong) > 0.05, wrong
    assert observed[:2].sum() == 0  # zero-count ids are never negatives


def test_dropped_ids_never_appear():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 20, 5000)
    dataset = skipgram.skipgram_dataset(
        ids, 20, 3, num_negatives=4, batch_size=64, drop_ids=(0, 1), subsample=None, seed=0
    )
    seen = np.concatenate(
        [np.concatenate([x["target"].numpy(), x["context"].numpy().ravel()]) for x, _ in dataset]
    )
    assert not np.isin(seen, [0, 1]).any()
    assert set(np.unique(seen)) == set(range(2, 20))


def test_batches_shapes_labels_and_seeded_reproducibility():
    ids = np.random.default_rng(0).integers(0, 50, 3000)

    def first_batch(seed):
        ds = skipgram.skipgram_dataset(ids, 50, 2, 3, 16, seed=seed)
        inputs, labels = next(iter(ds))
        return inputs["target"].numpy(), inputs["context"].numpy(), labels.numpy()

    target, context, labels = first_batch(7)
    assert target.shape == (16,) and context.shape == (16, 4) and labels.shape == (16, 4)
    assert (labels[:, 0] == 1).all() and (labels[:, 1:] == 0).all()
    again = first_batch(7)
    assert np.array_equal(target, again[0]) and np.array_equal(context, again[1])
    assert not np.array_equal(context, first_batch(8)[1])


def test_each_epoch_draws_new_randomness():
    ids = np.random.default_rng(0).integers(2, 50, 3000)
    ds = skipgram.skipgram_dataset(ids, 50, 2, 3, 16, seed=1)
    first = next(iter(ds))[0]["context"].numpy()
    second = next(iter(ds))[0]["context"].numpy()
    assert not np.array_equal(first, second)


def test_number_of_pairs_grows_linearly_with_the_corpus():
    def count(n):
        targets, _ = _all_pairs(
            skipgram.skipgram_pairs(
                np.arange(n) % 100, 100, 3, subsample=None, chunk_size=4096, dynamic_window=False
            )
        )
        return len(targets)

    small, large = count(8192), count(4 * 8192)
    assert large == pytest.approx(4 * small, rel=1e-3)


@pytest.mark.parametrize(
    ("kwargs", "message", "error"),
    [
        ({"window_size": 0}, "window_size", ValueError),
        ({"window_size": 2.5}, "window_size", TypeError),
        ({"num_negatives": 0}, "num_negatives", ValueError),
        ({"batch_size": 0}, "batch_size", ValueError),
        ({"subsample": 0.0}, "subsample", ValueError),
        ({"subsample": -1e-3}, "subsample", ValueError),
        ({"power": -0.75}, "power", ValueError),
        ({"vocabulary_size": 5}, "\\[0, 5\\) \\(the vocabulary size\\)", ValueError),
        ({"segment_ids": np.zeros(3, "int32")}, "segment_ids", ValueError),
        ({"drop_ids": (99,)}, "drop_ids", ValueError),
    ],
)
def test_bad_arguments_are_named(kwargs, message, error):
    arguments = {
        "ids": np.arange(10),
        "vocabulary_size": 10,
        "window_size": 2,
        "num_negatives": 2,
        "batch_size": 2,
    }
    arguments.update(kwargs)
    with pytest.raises(error, match=message):
        skipgram.skipgram_dataset(**arguments)


def test_bad_ids_are_reported():
    with pytest.raises(ValueError, match="1 axis"):
        skipgram.skipgram_pairs(np.zeros((2, 2), "int32"), 10, 1)
    with pytest.raises(ValueError, match="at least one"):
        skipgram.skipgram_pairs([], 10, 1)
    with pytest.raises(ValueError, match="nothing to train"):
        skipgram.skipgram_pairs([0, 1, 0], 10, 1, drop_ids=(0, 1))
