"""WordCorruption and WordDropout: shared layer checks, the stated rate, padding, seeds."""

from __future__ import annotations

import numpy as np
import pytest
from keras import ops

from lmkeras.layers.noise import WordCorruption, WordDropout
from lmkeras.testing import check_layer

RNG = np.random.default_rng(0)
LENGTHS = RNG.integers(1, 13, size=3000)
# 3,000 sentences of 1–12 distinct words (ids ≥ 4), padded with 0 to 12.
IDS = np.zeros((3000, 12), "int32")
for row, n in enumerate(LENGTHS):
    IDS[row, :n] = 4 + RNG.permutation(50)[:n]
REAL = IDS != 0
TOLERANCE = 0.01  # the binomial standard deviation over ~19,500 words is below 0.003


def _np(x):
    return ops.convert_to_numpy(x)


@pytest.mark.parametrize(
    "cls,kwargs",
    [
        (WordCorruption, {"rate": 0.3, "kinds": ["drop", "mask", "swap"], "seed": 1}),
        (WordCorruption, {"rate": 0.2, "kinds": ["swap"], "mask_id": 3}),
        (WordDropout, {"rate": 0.25, "unknown_id": 1, "keep_first": False, "seed": 2}),
    ],
)
def test_shared_layer_checks(cls, kwargs):
    out = check_layer(cls, kwargs, IDS[:4], expected_output_shape=(4, 12), run_fit=False)
    np.testing.assert_array_equal(_np(out), IDS[:4])  # not training: unchanged


@pytest.mark.parametrize("rate", [0.1, 0.3])
def test_masking_keeps_the_rate_and_never_touches_padding(rate):
    out = _np(WordCorruption(rate, kinds=("mask",), mask_id=1, seed=0)(IDS, training=True))
    assert np.all(out[~REAL] == 0)
    masked = (out == 1) & REAL
    assert np.all(out[REAL & ~masked] == IDS[REAL & ~masked])
    assert abs(masked.sum() / REAL.sum() - rate) < TOLERANCE


@pytest.mark.parametrize("rate", [0.1, 0.3])
def test_dropping_keeps_the_rate_and_the_order(rate):
    out = _np(WordCorruption(rate, kinds=("drop",), seed=0)(IDS, training=True))
    kept = out != 0
    assert abs(1 - kept.sum() / REAL.sum() - rate) < TOLERANCE
    for row in range(len(IDS)):
        n = kept[row].sum()
        assert kept[row, :n].all() and not kept[row, n:].any()  # padding only at the end
        words = list(IDS[row, : LENGTHS[row]])
        assert [w for w in words if w in out[row, :n]] == list(out[row, :n])  # a subsequence


def test_swapping_moves_words_at_most_one_place_and_keeps_padding():
    out = _np(WordCorruption(0.3, kinds=("swap",), seed=0)(IDS, training=True))
    np.testing.assert_array_equal(out == 0, ~REAL)
    moved = 0
    for row in range(len(IDS)):
        n = LENGTHS[row]
        assert sorted(out[row, :n]) == sorted(IDS[row, :n])
        where = {w: i for i, w in enumerate(out[row, :n])}
        shifts = [abs(where[w] - i) for i, w in enumerate(IDS[row, :n])]
        assert max(shifts) <= 1
        moved += sum(shifts)
    # A picked word swaps unless it is last or its neighbour moves too: about rate·(1 − rate)
    # of the words start a swap, and each swap moves two words.
    assert 0.2 * 0.3 < moved / REAL.sum() < 2 * 0.3


def test_all_kinds_together_split_the_rate():
    out = _np(WordCorruption(0.3, mask_id=1, seed=0)(IDS, training=True))
    assert abs((out == 1).sum() / REAL.sum() - 0.1) < TOLERANCE
    assert abs(1 - (out != 0).sum() / REAL.sum() - 0.1) < TOLERANCE


def test_same_seed_same_corruption_and_draws_change_between_calls():
    a = WordCorruption(0.3, seed=5)
    b = WordCorruption(0.3, seed=5)
    first = _np(a(IDS[:50], training=True))
    np.testing.assert_array_equal(first, _np(b(IDS[:50], training=True)))
    assert not np.array_equal(first, _np(a(IDS[:50], training=True)))


def test_word_dropout_keeps_the_rate_the_first_word_and_padding():
    out = _np(WordDropout(0.25, seed=0)(IDS, training=True))
    np.testing.assert_array_equal(out[:, 0], IDS[:, 0])
    assert np.all(out[~REAL] == 0)
    later = REAL.copy()
    later[:, 0] = False
    dropped = (out == 1) & later
    assert abs(dropped.sum() / later.sum() - 0.25) < TOLERANCE
    assert np.all(out[later & ~dropped] == IDS[later & ~dropped])


@pytest.mark.parametrize(
    "make,error,words",
    [
        (lambda: WordCorruption(1.0), ValueError, ["rate", "1.0"]),
        (lambda: WordCorruption(-0.1), ValueError, ["rate", "-0.1"]),
        (lambda: WordCorruption("0.1"), TypeError, ["rate", "'0.1'"]),
        (lambda: WordCorruption(0.1, kinds=("cut",)), ValueError, ["kinds", "cut"]),
        (lambda: WordCorruption(0.1, kinds="drop"), TypeError, ["kinds", "drop"]),
        (lambda: WordCorruption(0.1, mask_id=0), ValueError, ["mask_id", "0"]),
        (lambda: WordDropout(1.5), ValueError, ["rate", "1.5"]),
        (lambda: WordDropout(0.1, keep_first=1), TypeError, ["keep_first", "1"]),
    ],
)
def test_bad_arguments_are_named(make, error, words):
    with pytest.raises(error) as info:
        make()
    assert all(word in str(info.value) for word in words), str(info.value)
