"""The count-based n-gram baseline: proper distributions, smoothing, and a hand count."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lmkeras.models.ngram import NGramLM

IDS = np.random.default_rng(0).integers(0, 5, 300)


@pytest.mark.parametrize("smoothing", ["add_k", "interpolated"])
@pytest.mark.parametrize("order", [1, 2, 3])
def test_every_history_gives_a_distribution(order, smoothing):
    lm = NGramLM(order, vocabulary_size=6, smoothing=smoothing, k=0.5).fit(IDS)  # id 5 never seen
    for history in ([0], [1, 2], [5, 5], [3, 5]):
        total = sum(lm.prob(history, w) for w in range(6))
        assert total == pytest.approx(1.0, abs=1e-9)
        assert lm.prob(history, 5) > 0


def test_bigram_add_one_matches_a_hand_count():
    ids = [0, 1, 0, 1, 0, 2]
    lm = NGramLM(2, vocabulary_size=3, smoothing="add_k", k=1.0).fit(ids)
    # c(0 ->) = 3, c(0 1) = 2, V = 3
    assert lm.prob([0], 1) == pytest.approx(3 / 6)
    assert lm.prob([2], 0) == pytest.approx(1 / 3)  # history 2 never followed by anything
    expected = -np.mean(np.log([3 / 6, 3 / 5, 3 / 6, 3 / 5, 2 / 6]))  # 0>1 1>0 0>1 1>0 0>2
    assert lm.cross_entropy(ids) == pytest.approx(expected)
    assert lm.perplexity(ids) == pytest.approx(math.exp(expected))


def test_interpolated_trigram_matches_the_formula():
    ids = [0, 1, 2, 0, 1, 0, 1, 2]
    lm = NGramLM(3, vocabulary_size=3, k=2.0).fit(ids)
    uni = {w: (ids.count(w) + 1) / (len(ids) + 3) for w in range(3)}
    # bigram history 1: followed by 2, 0, 2
    bi2 = (2 + 2 * uni[2]) / (3 + 2)
    # trigram history (0, 1): followed by 2, 0, 2
    tri = (2 + 2 * bi2) / (3 + 2)
    assert lm.prob([0, 1], 2) == pytest.approx(tri)


def test_higher_order_fits_structured_text_better():
    text = np.array(list("the cat sat on the mat. " * 40))
    vocab = sorted(set(text))
    ids = np.array([vocab.index(c) for c in text])
    losses = [NGramLM(n, vocabulary_size=len(vocab)).fit(ids).cross_entropy(ids) for n in (1, 2, 3)]
    assert losses[0] > losses[1] > losses[2]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"order": 0}, "order=0"),
        ({"vocabulary_size": 1}, "vocabulary_size=1"),
        ({"smoothing": "kn"}, "smoothing"),
        ({"k": 0}, "k=0"),
    ],
)
def test_arguments_are_validated(kwargs, message):
    with pytest.raises(ValueError, match=message):
        NGramLM(**{"order": 2, "vocabulary_size": 4, **kwargs})


def test_out_of_range_ids_and_unfitted_model_are_errors():
    with pytest.raises(ValueError, match=r"ids in \[0, 4\).*received an id 7"):
        NGramLM(2, vocabulary_size=4).fit([0, 1, 7])
    with pytest.raises(ValueError, match="fit"):
        NGramLM(2, vocabulary_size=4).cross_entropy([0, 1])
