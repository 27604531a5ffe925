"""Bad inputs of `lmkeras.sampling`: NaN logits, ids outside the vocabulary, impossible sizes."""

from __future__ import annotations

import numpy as np

from lmkeras import sampling
from lmkeras.sampling import GreedySampler, TemperatureSampler, TopKSampler, TopPSampler
from tests.bad_inputs import bad, check_refused, table

nan, inf = float("nan"), float("inf")
NAN_LOGITS = np.array([[0.0, nan, 1.0]], "float32")
NEXT = np.eye(4, k=1, dtype="float32")[[0, 1, 2, 3]] * 10  # a "model" that says id + 1


def step(new_ids, state):
    return NEXT[np.asarray(new_ids)[:, -1] % 4], None


def nan_step(new_ids, state):
    return np.full((len(np.asarray(new_ids)), 4), nan, "float32"), None


def sequence_step(new_ids, state):  # logits for every position: the contract wants the last
    return np.zeros((len(np.asarray(new_ids)), 2, 4), "float32"), None


P = np.array([[0]])
G = GreedySampler()
generate, beam = sampling.generate, sampling.beam_search
mask = sampling.banned_ngram_mask
likelihood = sampling.sequence_log_likelihood

SAMPLING_ROWS = [
    bad(GreedySampler, lambda: G(NAN_LOGITS), ValueError, "`logits`", "NaN", "row 0"),
    bad(GreedySampler, lambda: G(np.zeros(3)), ValueError, "`logits`", "(batch, vocabulary)",
        "(3,)"),
    bad(GreedySampler, lambda: G(np.full((1, 3), -inf)), ValueError, "`logits`", "row 0",
        "-inf"),
    bad(TemperatureSampler, lambda: TemperatureSampler(0), ValueError, "temperature=0", "> 0"),
    bad(TemperatureSampler, lambda: TemperatureSampler(True), TypeError, "temperature=True"),
    bad(TemperatureSampler, lambda: TemperatureSampler("1"), TypeError, "temperature='1'"),
    bad(TemperatureSampler, lambda: TemperatureSampler(nan), ValueError, "temperature=nan"),
    bad(TemperatureSampler, lambda: TemperatureSampler(1.0)(NAN_LOGITS), ValueError,
        "`logits`", "NaN"),
    bad(TemperatureSampler, lambda: TemperatureSampler(1.0)(np.array([[inf, 0.0]])),
        ValueError, "`logits`", "inf"),
    bad(TopKSampler, lambda: TopKSampler(0), ValueError, "k=0"),
    bad(TopKSampler, lambda: TopKSampler(2.5), TypeError, "k=2.5"),
    bad(TopKSampler, lambda: TopKSampler(5)(np.zeros((1, 3))), ValueError, "k=5",
        "vocabulary size 3"),
    bad(TopKSampler, lambda: TopKSampler(2)(NAN_LOGITS), ValueError, "`logits`", "NaN"),
    bad(TopKSampler, lambda: TopKSampler(2, temperature=-1), ValueError, "temperature=-1"),
    bad(TopPSampler, lambda: TopPSampler(0), ValueError, "p=0", "> 0 and ≤ 1"),
    bad(TopPSampler, lambda: TopPSampler(1.5), ValueError, "p=1.5"),
    bad(TopPSampler, lambda: TopPSampler(nan), ValueError, "p=nan"),
    bad(TopPSampler, lambda: TopPSampler("0.9"), TypeError, "p='0.9'"),
    bad(TopPSampler, lambda: TopPSampler(0.9)(NAN_LOGITS), ValueError, "`logits`", "NaN"),
    bad(sampling.banned_ngram_mask, lambda: mask(np.array([[1, 2]]), 0, 2), ValueError,
        "vocabulary_size=0"),
    bad(sampling.banned_ngram_mask, lambda: mask(np.array([[1, 2]]), True, 2), TypeError,
        "vocabulary_size=True"),
    bad(sampling.banned_ngram_mask, lambda: mask(np.array([[1, 2]]), 4, 0), ValueError,
        "ngram_size=0"),
    bad(sampling.banned_ngram_mask, lambda: mask(np.array([1, 2]), 4, 2), ValueError,
        "`ids`", "2 axes", "(2,)"),
    bad(sampling.banned_ngram_mask, lambda: mask(np.array([[1.5]]), 4, 1), TypeError,
        "`ids`", "float64"),
    bad(sampling.banned_ngram_mask, lambda: mask(np.array([[7]]), 4, 1), ValueError,
        "`ids`", "[0, 4)", "7"),
    bad(sampling.generate, lambda: generate(5, P, 3, G), TypeError, "`step_fn`", "5"),
    bad(sampling.generate, lambda: generate(step, np.array([0]), 2, G), ValueError,
        "`prompt_ids`", "(1,)"),
    bad(sampling.generate, lambda: generate(step, np.zeros((1, 0), "int32"), 2, G), ValueError,
        "`prompt_ids`", "(1, 0)"),
    bad(sampling.generate, lambda: generate(step, np.array([[0.5]]), 2, G), TypeError,
        "`prompt_ids`", "float"),
    bad(sampling.generate, lambda: generate(step, np.array([[4]]), 2, G), ValueError,
        "`prompt_ids`", "[0, 4)", "4"),
    bad(sampling.generate, lambda: generate(step, np.array([[-1]]), 2, G), ValueError,
        "`prompt_ids`", "-1"),
    bad(sampling.generate, lambda: generate(step, P, -1, G), ValueError, "max_new_tokens=-1"),
    bad(sampling.generate, lambda: generate(step, P, 2.0, G), TypeError, "max_new_tokens=2.0"),
    bad(sampling.generate, lambda: generate(step, P, 2, "greedy"), TypeError, "`sampler`",
        "'greedy'"),
    bad(sampling.generate, lambda: generate(step, P, 2, G, no_repeat_ngram_size=-1),
        ValueError, "no_repeat_ngram_size=-1"),
    bad(sampling.generate, lambda: generate(step, P, 2, G, end_id=-1), ValueError,
        "end_id=-1"),
    bad(sampling.generate, lambda: generate(step, P, 2, G, end_id=4), ValueError, "end_id=4",
        "vocabulary size 4"),
    bad(sampling.generate, lambda: generate(step, P, 2, G, seed=-1), ValueError, "seed=-1"),
    bad(sampling.generate, lambda: generate(step, P, 2, G, seed="a"), TypeError, "seed='a'"),
    bad(sampling.generate, lambda: generate(nan_step, P, 2, G), ValueError, "`logits`", "NaN"),
    bad(sampling.generate, lambda: generate(sequence_step, P, 2, G), ValueError,
        "`step_fn`", "(1, 2, 4)", "(batch, vocabulary)"),
    bad(sampling.generate, lambda: generate(step, P, 4, G, no_repeat_ngram_size=1), ValueError,
        "no_repeat_ngram_size=1", "bans every token"),
    bad(sampling.beam_search, lambda: beam(5, P, 2, 2), TypeError, "`step_fn`"),
    bad(sampling.beam_search, lambda: beam(step, P, 0, 2), ValueError, "max_new_tokens=0"),
    bad(sampling.beam_search, lambda: beam(step, P, 2, 0), ValueError, "num_beams=0"),
    bad(sampling.beam_search, lambda: beam(step, P, 2, 2, length_penalty=-1), ValueError,
        "length_penalty=-1"),
    bad(sampling.beam_search, lambda: beam(step, P, 2, 2, length_penalty=nan), ValueError,
        "length_penalty=nan"),
    bad(sampling.beam_search, lambda: beam(step, P, 2, 2, end_id=9), ValueError, "end_id=9",
        "vocabulary size 4"),
    bad(sampling.beam_search, lambda: beam(step, np.array([[9]]), 2, 2), ValueError,
        "`prompt_ids`", "9"),
    bad(sampling.beam_search, lambda: beam(nan_step, P, 2, 2), ValueError, "`logits`", "NaN"),
    bad(sampling.prefix_step_fn, lambda: sampling.prefix_step_fn("model"), TypeError,
        "`model`", "'model'"),
    bad(sampling.sequence_log_likelihood, lambda: likelihood(5, np.array([[0, 1]]), 1),
        TypeError, "`step_fn`"),
    bad(sampling.sequence_log_likelihood, lambda: likelihood(step, np.array([[0, 1]]), 0),
        ValueError, "prompt_len=0"),
    bad(sampling.sequence_log_likelihood, lambda: likelihood(step, np.array([[0, 1]]), 3),
        ValueError, "prompt_len=3", "≤ 2"),
    bad(sampling.sequence_log_likelihood, lambda: likelihood(step, np.array([[0, 9]]), 1),
        ValueError, "`ids`", "9"),
    bad(sampling.sequence_log_likelihood, lambda: likelihood(nan_step, np.array([[0, 1]]), 1),
        ValueError, "`logits`", "NaN"),
]  # fmt: skip


@table(SAMPLING_ROWS)
def test_sampling_refuses_bad_input(row):
    check_refused(row)
