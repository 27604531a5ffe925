"""Bad inputs of `lmkeras.models.rnn`, `word2vec` and `ngram`."""

from __future__ import annotations

import functools

import numpy as np

from lmkeras.models.gpt import build_gpt
from lmkeras.models.ngram import NGramLM
from lmkeras.models.rnn import build_rnn_lm, rnn_step_fn
from lmkeras.models.word2vec import build_word2vec, word_vectors
from tests.bad_inputs import bad, check_refused, table

nan, inf = float("nan"), float("inf")


@functools.cache
def rnn():
    return build_rnn_lm(10, embedding_dim=2, units=2)


def gpt():
    return build_gpt(10, sequence_length=4, num_layers=1, num_heads=1, hidden_dim=2)


LM = NGramLM(order=2, vocabulary_size=3).fit([0, 1, 0, 1, 2])
IDS = [0, 1, 2, 1]

RNN_ROWS = [
    bad(build_rnn_lm, lambda: build_rnn_lm(1), ValueError, "vocabulary_size=1", "≥ 2"),
    bad(build_rnn_lm, lambda: build_rnn_lm(10, cell="rnn"), ValueError, "cell='rnn'"),
    bad(build_rnn_lm, lambda: build_rnn_lm(10, dropout=1.0), ValueError, "dropout=1.0"),
    bad(build_rnn_lm, lambda: build_rnn_lm(10, mask_zero="yes"), TypeError, "mask_zero='yes'"),
    bad(build_rnn_lm, lambda: build_rnn_lm(10, embedding_dim=0), ValueError, "embedding_dim=0"),
    bad(build_rnn_lm, lambda: build_rnn_lm(10, units=2.5), TypeError, "units=2.5"),
    bad(build_rnn_lm, lambda: build_rnn_lm(10, num_layers=0), ValueError, "num_layers=0"),
    bad(rnn_step_fn, lambda: rnn_step_fn("model"), TypeError, "`model`", "'model'"),
    bad(rnn_step_fn, lambda: rnn_step_fn(gpt()), TypeError, "`model`", "build_rnn_lm"),
    bad(rnn_step_fn, lambda: rnn_step_fn(rnn())(np.array([[1, 10]]), None), ValueError,
        "`new_ids`", "[0, 10)", "10"),
    bad(rnn_step_fn, lambda: rnn_step_fn(rnn())(np.array([1, 2]), None), ValueError,
        "`new_ids`", "2 axes"),
]  # fmt: skip

WORD2VEC_ROWS = [
    bad(build_word2vec, lambda: build_word2vec(0), ValueError, "vocabulary_size=0"),
    bad(build_word2vec, lambda: build_word2vec(True), TypeError, "vocabulary_size=True"),
    bad(build_word2vec, lambda: build_word2vec(10, 2.5), TypeError, "embedding_dim=2.5"),
    bad(word_vectors, lambda: word_vectors(build_word2vec(10, 2), "both"), ValueError,
        "which='both'", "'target'"),
    bad(word_vectors, lambda: word_vectors(gpt()), TypeError, "`model`", "build_word2vec"),
    bad(word_vectors, lambda: word_vectors("model"), TypeError, "`model`", "'model'"),
]  # fmt: skip

NGRAM_ROWS = [
    bad(NGramLM, lambda: NGramLM(order=0, vocabulary_size=3), ValueError, "order=0"),
    bad(NGramLM, lambda: NGramLM(order=True, vocabulary_size=3), TypeError, "order=True"),
    bad(NGramLM, lambda: NGramLM(vocabulary_size=None), TypeError, "vocabulary_size=None"),
    bad(NGramLM, lambda: NGramLM(vocabulary_size=3, k=inf), ValueError, "k=inf"),
    bad(NGramLM, lambda: NGramLM(vocabulary_size=3, k=nan), ValueError, "k=nan"),
    bad(NGramLM, lambda: NGramLM(vocabulary_size=3, k=0), ValueError, "k=0"),
    bad(NGramLM, lambda: NGramLM(vocabulary_size=3, smoothing="kneser_ney"), ValueError,
        "smoothing='kneser_ney'", "'add_k'"),
    bad(NGramLM, lambda: NGramLM(order=8, vocabulary_size=300_000), ValueError,
        "vocabulary_size=300000", "order=8"),
    bad(NGramLM.fit, lambda: NGramLM(2, 3).fit([0, 3]), ValueError, "`ids`", "[0, 3)", "3"),
    bad(NGramLM.fit, lambda: NGramLM(2, 3).fit([0.0, 1.0]), TypeError, "`ids`", "float64"),
    bad(NGramLM.fit, lambda: NGramLM(2, 3).fit([[0, 1]]), ValueError, "`ids`", "1 axis"),
    bad(NGramLM.fit, lambda: NGramLM(3, 3).fit([0, 1]), ValueError, "`ids`", "order=3",
        "got 2"),
    bad(NGramLM.log_probs, lambda: NGramLM(2, 3).log_probs(IDS), ValueError, "fit(ids)"),
    bad(NGramLM.log_probs, lambda: LM.log_probs([0, 5]), ValueError, "`ids`", "5"),
    bad(NGramLM.log_probs, lambda: LM.log_probs([0]), ValueError, "`ids`", "at least 2"),
    bad(NGramLM.prob, lambda: LM.prob([], 1), ValueError, "`history`", "at least one"),
    bad(NGramLM.prob, lambda: LM.prob([0], 5), ValueError, "token=5", "≤ 2"),
    bad(NGramLM.prob, lambda: LM.prob([0], 1.5), TypeError, "token=1.5"),
    bad(NGramLM.cross_entropy, lambda: LM.cross_entropy([0, -1]), ValueError, "`ids`", "-1"),
    bad(NGramLM.perplexity, lambda: LM.perplexity([0]), ValueError, "`ids`", "at least 2"),
]  # fmt: skip


@table(RNN_ROWS)
def test_rnn_refuses_bad_input(row):
    check_refused(row)


@table(WORD2VEC_ROWS)
def test_word2vec_refuses_bad_input(row):
    check_refused(row)


@table(NGRAM_ROWS)
def test_ngram_refuses_bad_input(row):
    check_refused(row)
