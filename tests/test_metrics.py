"""Perplexity and the diversity/repetition measures of generated text."""

from __future__ import annotations

import math

import pytest

from lmkeras import metrics


def test_perplexity_of_a_uniform_model_is_the_vocabulary_size():
    assert metrics.perplexity(math.log(65)) == pytest.approx(65.0)
    assert metrics.perplexity(0.0) == 1.0


def test_bits_per_token():
    assert metrics.bits_per_token(math.log(8)) == pytest.approx(3.0)


@pytest.mark.parametrize("loss", [-0.1, float("nan"), float("inf")])
def test_bad_losses_are_rejected(loss):
    with pytest.raises(ValueError, match="loss"):
        metrics.perplexity(loss)


def test_distinct_n_counts_pooled_ngrams():
    assert metrics.distinct_n([[1, 2, 3], [1, 2, 4]], 1) == pytest.approx(4 / 6)
    assert metrics.distinct_n([[1, 2, 3], [1, 2, 4]], 2) == pytest.approx(3 / 4)
    assert metrics.distinct_n(["aaaa"], 1) == 0.25
    with pytest.raises(ValueError, match="no 2-gram"):  # 0 / 0 is refused, not 0.0
        metrics.distinct_n(["a"], 2)


def test_repeated_ngram_rate_is_per_sequence():
    assert metrics.repeated_ngram_rate(["abab"], 2) == pytest.approx(1 / 3)
    # The same bigram in two different sequences is not a repetition.
    assert metrics.repeated_ngram_rate(["ab", "ab"], 2) == 0.0
    assert metrics.repeated_ngram_rate([[1, 1, 1, 1]], 1) == 0.75


@pytest.mark.parametrize("n, error", [(0, ValueError), (-1, ValueError), (1.5, TypeError),
                                      (True, TypeError)])  # fmt: skip
def test_n_is_validated(n, error):
    with pytest.raises(error, match="n="):
        metrics.distinct_n(["abc"], n)
