"""Bad inputs of `lmkeras.datasets.skipgram`: NaN counts, impossible powers, empty epochs."""

from __future__ import annotations

import numpy as np

from lmkeras.datasets import skipgram
from tests.bad_inputs import bad, check_refused, table

nan, inf = float("nan"), float("inf")
IDS = np.arange(50) % 6
keep, noise = skipgram.keep_probabilities, skipgram.negative_distribution


def pairs(ids=IDS, vocabulary_size=6, window_size=2, **kwargs):
    return skipgram.skipgram_pairs(ids, vocabulary_size, window_size, **kwargs)


def batches(ids=IDS, **kwargs):
    arguments = {"vocabulary_size": 6, "window_size": 2, "num_negatives": 2, "batch_size": 4,
                 **kwargs}  # fmt: skip
    return skipgram.skipgram_dataset(ids, **arguments)


SKIPGRAM_ROWS = [
    bad(skipgram.concatenate_sentences, lambda: skipgram.concatenate_sentences("abc"),
        TypeError, "`sentences`", "'abc'"),
    bad(skipgram.concatenate_sentences, lambda: skipgram.concatenate_sentences([]),
        ValueError, "`sentences`", "at least one"),
    bad(skipgram.concatenate_sentences, lambda: skipgram.concatenate_sentences([[1.5, 2]]),
        TypeError, "sentences[0]", "float64"),
    bad(skipgram.concatenate_sentences, lambda: skipgram.concatenate_sentences([[1], [-1]]),
        ValueError, "sentences[1]", "-1"),
    bad(skipgram.keep_probabilities, lambda: keep([nan, 1.0]), ValueError, "`counts`", "nan"),
    bad(skipgram.keep_probabilities, lambda: keep([-1, 2]), ValueError, "`counts`", "-1"),
    bad(skipgram.keep_probabilities, lambda: keep([[1, 2]]), ValueError, "`counts`",
        "1 axis", "(1, 2)"),
    bad(skipgram.keep_probabilities, lambda: keep([0, 0]), ValueError, "`counts`",
        "positive sum"),
    bad(skipgram.keep_probabilities, lambda: keep("abc"), TypeError, "`counts`", "'abc'"),
    bad(skipgram.keep_probabilities, lambda: keep([1, 2], subsample=0), ValueError,
        "subsample=0"),
    bad(skipgram.keep_probabilities, lambda: keep([1, 2], subsample=True), TypeError,
        "subsample=True"),
    bad(skipgram.keep_probabilities, lambda: keep([1, 2], subsample=inf), ValueError,
        "subsample=inf"),
    bad(skipgram.negative_distribution, lambda: noise([nan]), ValueError, "`counts`", "nan"),
    bad(skipgram.negative_distribution, lambda: noise([1, 2], power=-1), ValueError,
        "power=-1"),
    bad(skipgram.negative_distribution, lambda: noise([1, 2], power=True), TypeError,
        "power=True"),
    bad(skipgram.negative_distribution, lambda: noise([1, 2], power=inf), ValueError,
        "power=inf"),
    bad(skipgram.skipgram_pairs, lambda: pairs(IDS + 0.5), TypeError, "`ids`", "float64"),
    bad(skipgram.skipgram_pairs, lambda: pairs(IDS + 1), ValueError, "`ids`", "[0, 6)", "6"),
    bad(skipgram.skipgram_pairs, lambda: pairs([]), ValueError, "`ids`", "at least one"),
    bad(skipgram.skipgram_pairs, lambda: pairs(vocabulary_size=0), ValueError,
        "vocabulary_size=0"),
    bad(skipgram.skipgram_pairs, lambda: pairs(window_size=0), ValueError, "window_size=0"),
    bad(skipgram.skipgram_pairs, lambda: pairs(segment_ids=[0, 1]), ValueError,
        "`segment_ids`", "(2,)", "(50,)"),
    bad(skipgram.skipgram_pairs, lambda: pairs(subsample=-1e-4), ValueError,
        "subsample=-0.0001"),
    bad(skipgram.skipgram_pairs, lambda: pairs(drop_ids=[6]), ValueError, "`drop_ids`", "6"),
    bad(skipgram.skipgram_pairs, lambda: pairs(drop_ids=0), TypeError, "`drop_ids`",
        "drop_ids=0"),
    bad(skipgram.skipgram_pairs, lambda: pairs(drop_ids=range(6)), ValueError, "`ids`",
        "drop_ids"),
    bad(skipgram.skipgram_pairs, lambda: pairs(chunk_size=0), ValueError, "chunk_size=0"),
    bad(skipgram.skipgram_pairs, lambda: pairs(dynamic_window="no"), TypeError,
        "dynamic_window='no'"),
    bad(skipgram.skipgram_pairs, lambda: pairs(seed=-1), ValueError, "seed=-1"),
    bad(skipgram.skipgram_dataset, lambda: batches(num_negatives=0), ValueError,
        "num_negatives=0"),
    bad(skipgram.skipgram_dataset, lambda: batches(batch_size=0), ValueError, "batch_size=0"),
    bad(skipgram.skipgram_dataset, lambda: batches(batch_size=1000), ValueError,
        "batch_size=1000", "200 pairs"),
    bad(skipgram.skipgram_dataset, lambda: batches(power=-1), ValueError, "power=-1"),
    bad(skipgram.skipgram_dataset, lambda: batches(shuffle_buffer=0), ValueError,
        "shuffle_buffer=0"),
    bad(skipgram.skipgram_dataset, lambda: batches(IDS + 10), ValueError, "`ids`", "[0, 6)"),
]  # fmt: skip


@table(SKIPGRAM_ROWS)
def test_skipgram_refuses_bad_input(row):
    check_refused(row)
