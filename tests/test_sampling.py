"""Invariants of the samplers, `generate` and `beam_search` on tiny synthetic models."""

from __future__ import annotations

import itertools

import keras
import numpy as np
import pytest
from keras import ops

from lmkeras import sampling
from lmkeras.sampling import (
    GreedySampler,
    TemperatureSampler,
    TopKSampler,
    TopPSampler,
    beam_search,
    generate,
)

VOCAB = 7


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def history_step_fn(seed: int = 0, vocab: int = VOCAB):
    """A toy LM whose next-token logits depend on the last token and on the whole history.

    The state is the ids so far (batch first), so beam search must reorder it correctly for
    the results to match an exhaustive search.
    """
    rng = np.random.default_rng(seed)
    last_table = ops.convert_to_tensor(rng.normal(0, 2, (vocab, vocab)).astype("float32"))
    sum_table = ops.convert_to_tensor(rng.normal(0, 1, (vocab, vocab)).astype("float32"))

    def step_fn(new_ids, state):
        new_ids = ops.cast(new_ids, "int32")
        ids = new_ids if state is None else ops.concatenate([state, new_ids], axis=1)
        logits = ops.take(last_table, ids[:, -1], axis=0) + ops.take(
            sum_table, ops.sum(ids, axis=1) % vocab, axis=0
        )
        return logits, ids

    return step_fn


def random_logits(seed: int, batch: int = 64, vocab: int = 20) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 2, (batch, vocab)).astype("float32")


# ----------------------------------------------------------------------------- samplers
@pytest.mark.parametrize(
    "sampler",
    [GreedySampler(), TemperatureSampler(0.7), TopKSampler(3), TopPSampler(0.9), TopKSampler(1)],
    ids=repr,
)
def test_one_hot_logits_make_every_sampler_deterministic(sampler):
    hot = np.array([3, 0, 6, 2])
    logits = np.eye(VOCAB, dtype="float32")[hot] * 1e9
    for seed in range(3):
        np.testing.assert_array_equal(_np(sampler(logits, seed=seed)), hot)


def test_sampler_outputs_are_int32_of_shape_batch():
    logits = random_logits(0, batch=5)
    for sampler in (GreedySampler(), TemperatureSampler(1.0), TopKSampler(4), TopPSampler(0.5)):
        out = sampler(logits, seed=1)
        assert tuple(out.shape) == (5,)
        assert keras.backend.standardize_dtype(out.dtype) == "int32"


def test_top_k_never_emits_outside_the_k_best():
    k = 4
    for seed in range(5):
        logits = random_logits(seed)
        allowed = np.argsort(-logits, axis=-1)[:, :k]
        ids = _np(TopKSampler(k, temperature=2.0)(logits, seed=seed))
        assert all(i in row for i, row in zip(ids, allowed))


def _nucleus(logits: np.ndarray, p: float) -> list[set[int]]:
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    sets = []
    for row in probs:
        order = np.argsort(-row)
        size = int(np.searchsorted(np.cumsum(row[order]), p) + 1)  # smallest with mass ≥ p
        sets.append(set(order[:size].tolist()))
    return sets


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_top_p_never_emits_outside_the_smallest_nucleus(p):
    for seed in range(5):
        logits = random_logits(seed)
        allowed = _nucleus(logits, p)
        ids = _np(TopPSampler(p)(logits, seed=seed))
        assert all(i in s for i, s in zip(ids.tolist(), allowed))


def test_top_p_and_top_k_sample_more_than_one_token():
    logits = np.zeros((256, 10), "float32")
    assert len(set(_np(TopKSampler(5)(logits, seed=0)).tolist())) == 5
    assert len(set(_np(TopPSampler(0.5)(logits, seed=0)).tolist())) == 5


def test_small_temperature_equals_greedy():
    logits = random_logits(3)
    greedy = _np(GreedySampler()(logits))
    for sampler in (TemperatureSampler(1e-4), TopKSampler(5, 1e-4), TopPSampler(0.9, 1e-4)):
        np.testing.assert_array_equal(_np(sampler(logits, seed=0)), greedy)


def test_temperature_sampling_follows_the_distribution():
    probs = np.array([0.6, 0.3, 0.1], "float32")
    logits = np.tile(np.log(probs), (4000, 1))
    ids = _np(TemperatureSampler(1.0)(logits, seed=0))
    np.testing.assert_allclose(np.bincount(ids, minlength=3) / len(ids), probs, atol=0.03)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: TemperatureSampler(0.0), "temperature=0.0"),
        (lambda: TemperatureSampler(-1), "temperature=-1"),
        (lambda: TopKSampler(0), "k=0"),
        (lambda: TopKSampler(2.5), "k=2.5"),
        (lambda: TopKSampler(3, temperature=0), "temperature=0"),
        (lambda: TopPSampler(0.0), "p=0.0"),
        (lambda: TopPSampler(1.5), "p=1.5"),
        (lambda: TopPSampler(float("nan")), "p=nan"),
    ],
)
def test_sampler_arguments_are_validated(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_top_k_larger_than_vocab_is_an_error():
    with pytest.raises(ValueError, match="k=9"):
        TopKSampler(9)(np.zeros((1, 4), "float32"))


# ----------------------------------------------------------------------------- generate
@pytest.mark.parametrize(
    "sampler", [TemperatureSampler(1.5), TopKSampler(5), TopPSampler(0.95)], ids=repr
)
def test_a_sampler_given_a_generator_draws_compiled_and_steps_it_as_its_ops_do(sampler):
    """Called eagerly with a `SeedGenerator`, a sampler draws in one compiled program (on
    TensorFlow and JAX): the same ids as its eager ops, and the generator steps as they step it."""
    logits = random_logits(4)
    compiled_generator, eager_generator = (keras.random.SeedGenerator(11) for _ in range(2))
    compiled = [_np(sampler(logits, seed=compiled_generator)) for _ in range(3)]
    eager = [_np(sampler._draw(ops.convert_to_tensor(logits), eager_generator)) for _ in range(3)]
    np.testing.assert_array_equal(_np(compiled_generator.state), _np(eager_generator.state))
    again = _np(sampler(logits, seed=keras.random.SeedGenerator(11)))
    np.testing.assert_array_equal(again, compiled[0])
    assert not np.array_equal(compiled[0], compiled[1])  # the generator moved on
    np.testing.assert_array_equal(compiled, eager)


def test_greedy_picks_the_first_of_tied_maxima_as_argmax_does():
    logits = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], "float32")
    assert _np(GreedySampler()(logits)).tolist() == [1, 0]
    assert _np(GreedySampler()(logits)).tolist() == _np(ops.argmax(logits, axis=-1)).tolist()


def test_generate_shape_dtype_and_prompt_kept():
    prompt = np.array([[1, 2, 3], [4, 5, 6]])
    out = generate(history_step_fn(), prompt, 5, TopKSampler(3), seed=0)
    assert tuple(out.shape) == (2, 8)
    assert keras.backend.standardize_dtype(out.dtype) == "int32"
    np.testing.assert_array_equal(_np(out)[:, :3], prompt)


def test_generate_is_reproducible_with_a_seed():
    prompt = np.zeros((4, 1), "int32")
    step = history_step_fn(1)
    a = _np(generate(step, prompt, 20, TemperatureSampler(1.5), seed=7))
    b = _np(generate(step, prompt, 20, TemperatureSampler(1.5), seed=7))
    c = _np(generate(step, prompt, 20, TemperatureSampler(1.5), seed=8))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_generate_with_global_seed_is_reproducible():
    prompt = np.zeros((4, 1), "int32")
    step = history_step_fn(1)
    keras.utils.set_random_seed(3)
    a = _np(generate(step, prompt, 10, TopPSampler(0.9)))
    keras.utils.set_random_seed(3)
    b = _np(generate(step, prompt, 10, TopPSampler(0.9)))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("sampler", [GreedySampler(), TopKSampler(3), TopPSampler(0.8)], ids=repr)
def test_no_repeat_ngram_never_repeats_an_ngram(n, sampler):
    prompt = np.array([[0, 1], [2, 2]])
    new = VOCAB - 2 if n == 1 else 25  # with n = 1 every token may appear once
    out = _np(generate(history_step_fn(2), prompt, new, sampler, no_repeat_ngram_size=n, seed=0))
    for row in out:
        grams = [tuple(row[i : i + n]) for i in range(len(row) - n + 1)]
        # The prompt [2, 2] repeats the 1-gram (2,) itself; only generated n-grams must be new.
        generated = grams[len(prompt[0]) - n + 1 :] if n <= len(prompt[0]) else grams
        earlier = grams[: len(prompt[0]) - n + 1] if n <= len(prompt[0]) else []
        assert len(set(generated)) == len(generated)
        assert not set(generated) & set(earlier)


def test_greedy_without_constraint_does_repeat_on_the_same_model():
    # Guards the test above: the toy model loops when left alone, so the constraint matters.
    out = _np(generate(history_step_fn(2), np.array([[0, 1]]), 25, GreedySampler()))[0]
    grams = [tuple(out[i : i + 3]) for i in range(len(out) - 2)]
    assert len(set(grams)) < len(grams)


def test_banned_ngram_mask_matches_a_python_reference():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 4, (6, 12))
    for n in (1, 2, 3):
        mask = _np(sampling.banned_ngram_mask(ids, 4, n))
        for row, banned in zip(ids, mask):
            row = row.tolist()
            suffix = tuple(row[len(row) - n + 1 :]) if n > 1 else ()
            expected = {
                row[i + n - 1]
                for i in range(len(row) - n + 1)
                if tuple(row[i : i + n - 1]) == suffix
            }
            assert set(np.flatnonzero(banned).tolist()) == expected


def test_no_repeat_ngram_that_bans_everything_is_an_error():
    with pytest.raises(ValueError, match="no_repeat_ngram_size=1"):
        generate(
            history_step_fn(), np.array([[0]]), VOCAB + 1, GreedySampler(), no_repeat_ngram_size=1
        )


def test_end_id_fills_the_rest():
    # Token 2 always leads to the end token 0.
    table = np.full((3, 3), -10.0, "float32")
    table[1, 2] = table[2, 0] = table[0, 1] = 10.0

    def step_fn(new_ids, state):
        return ops.take(
            ops.convert_to_tensor(table), ops.cast(new_ids, "int32")[:, -1], axis=0
        ), None

    out = _np(generate(step_fn, np.array([[1], [0]]), 6, GreedySampler(), end_id=0))
    np.testing.assert_array_equal(out, [[1, 2, 0, 0, 0, 0, 0], [0, 1, 2, 0, 0, 0, 0]])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"max_new_tokens": -1}, "max_new_tokens=-1"),
        ({"no_repeat_ngram_size": -2}, "no_repeat_ngram_size=-2"),
        ({"end_id": -1}, "end_id=-1"),
        ({"sampler": "greedy"}, "sampler"),
        ({"prompt_ids": np.zeros((2, 0), "int32")}, "prompt_len"),
        ({"prompt_ids": np.zeros((2, 3), "float32")}, "integer"),
    ],
)
def test_generate_arguments_are_validated(kwargs, message):
    args = {
        "step_fn": history_step_fn(),
        "prompt_ids": np.zeros((2, 1), "int32"),
        "max_new_tokens": 3,
        "sampler": GreedySampler(),
    }
    args.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=message):
        generate(**args)


# ----------------------------------------------------------------------------- beam search
def test_one_beam_equals_greedy():
    step = history_step_fn(4)
    prompt = np.array([[1], [3], [5]])
    greedy = _np(generate(step, prompt, 8, GreedySampler()))
    beam, scores = beam_search(step, prompt, 8, num_beams=1, length_penalty=0.0)
    np.testing.assert_array_equal(_np(beam), greedy)
    total = _np(sampling.sequence_log_likelihood(step, greedy, 1))
    np.testing.assert_allclose(_np(scores), total, rtol=1e-5)


def _beam_vs_greedy(model_seed: int, beams: int) -> tuple[np.ndarray, np.ndarray]:
    """Total log-probabilities of beam search's and greedy's 6-token continuations."""
    step = history_step_fn(model_seed)
    prompt = np.arange(VOCAB)[:, None]
    greedy = _np(generate(step, prompt, 6, GreedySampler()))
    greedy_total = _np(sampling.sequence_log_likelihood(step, greedy, 1))
    ids, scores = beam_search(step, prompt, 6, num_beams=beams, length_penalty=0.0)
    total = _np(sampling.sequence_log_likelihood(step, _np(ids), 1))
    np.testing.assert_allclose(_np(scores), total, rtol=1e-5, atol=1e-5)
    return total, greedy_total


# 18 beam searches: 14 s on JAX, run once (TensorFlow).
@pytest.mark.slow
def test_more_beams_beat_greedy():
    # Beam search is a heuristic: it keeps the best K prefixes, and the greedy prefix can fall
    # out of the beam, so "never worse than greedy" is not a theorem (see the next test). What
    # holds: over 6 toy models x 7 prompts x {2, 3, 5} beams, the beam is at least as likely
    # as greedy in all but a few cases and better on average for every setting.
    wins = []
    for model_seed in range(6):
        for beams in (2, 3, 5):
            total, greedy_total = _beam_vs_greedy(model_seed, beams)
            assert total.mean() >= greedy_total.mean() - 1e-5
            wins.extend((total >= greedy_total - 1e-5).tolist())
    assert np.mean(wins) >= 0.95


def test_beam_search_can_lose_to_greedy():
    # The counterexample behind the test above: with 2 beams, toy model 1 and prompt [0], the
    # greedy path is pruned at step 2 and the beams that pushed it out end lower.
    total, greedy_total = _beam_vs_greedy(1, 2)
    assert total[0] < greedy_total[0]
    assert greedy_total[0] - total[0] < 0.05


def test_enough_beams_find_the_exhaustive_best():
    step = history_step_fn(9, vocab=4)
    steps = 3
    prompt = np.array([[0], [2]])
    ids, scores = beam_search(step, prompt, steps, num_beams=4 ** (steps - 1), length_penalty=0.0)
    for row, start in enumerate(prompt[:, 0]):
        candidates = np.array([[start, *c] for c in itertools.product(range(4), repeat=steps)])
        totals = _np(sampling.sequence_log_likelihood(step, candidates, 1))
        np.testing.assert_array_equal(_np(ids)[row], candidates[np.argmax(totals)])
        np.testing.assert_allclose(_np(scores)[row], totals.max(), rtol=1e-5)


# Beam search with the n-gram ban: 19 s on JAX (a new shape each step), run once (TensorFlow).
@pytest.mark.slow
def test_beam_search_respects_no_repeat_ngram():
    ids, _ = beam_search(history_step_fn(2), np.array([[0, 1]]), 20, 3, no_repeat_ngram_size=2)
    row = _np(ids)[0].tolist()
    grams = list(zip(row, row[1:]))
    assert len(set(grams)) == len(grams)


def test_beam_search_end_id_and_length_penalty():
    # From the start token 0: end (id 3) at once with p=0.4, or 0 -> 1 -> 2 -> end with
    # p = 0.59 * 0.6 * 0.6 = 0.21. The raw total (length_penalty=0) prefers stopping early;
    # the mean per token (length_penalty=1: log(0.21) / 3 = -0.52 > log 0.4 = -0.92) the long one.
    table = np.log(
        np.array(
            [
                [0.01, 0.59, 0.0, 0.4],  # 0 -> 1 (0.59) or end (0.4)
                [0.0, 0.0, 0.6, 0.4],  # 1 -> 2 or end
                [0.0, 0.0, 0.4, 0.6],  # 2 -> end or 2
                [0.0, 0.0, 0.0, 1.0],  # end -> end
            ],
            "float32",
        )
        + 1e-12
    )

    def step_fn(new_ids, state):
        return ops.take(
            ops.convert_to_tensor(table), ops.cast(new_ids, "int32")[:, -1], axis=0
        ), None

    short, short_score = beam_search(step_fn, np.array([[0]]), 5, 2, length_penalty=0.0, end_id=3)
    long, long_score = beam_search(step_fn, np.array([[0]]), 5, 2, length_penalty=1.0, end_id=3)
    np.testing.assert_array_equal(_np(short), [[0, 3, 3, 3, 3, 3]])
    np.testing.assert_allclose(_np(short_score), [np.log(0.4)], rtol=1e-4)
    np.testing.assert_array_equal(_np(long), [[0, 1, 2, 3, 3, 3]])
    np.testing.assert_allclose(_np(long_score), [np.log(0.59 * 0.6 * 0.6) / 3], rtol=1e-4)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_beams": 0}, "num_beams=0"),
        ({"max_new_tokens": 0}, "max_new_tokens=0"),
        ({"length_penalty": -1.0}, "length_penalty=-1.0"),
        ({"no_repeat_ngram_size": -1}, "no_repeat_ngram_size=-1"),
    ],
)
def test_beam_search_arguments_are_validated(kwargs, message):
    args = {
        "step_fn": history_step_fn(),
        "prompt_ids": np.zeros((1, 1), "int32"),
        "max_new_tokens": 2,
        "num_beams": 2,
    }
    args.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=message):
        beam_search(**args)


def test_prefix_step_fn_matches_a_full_forward_pass():
    model = keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            keras.layers.Embedding(VOCAB, 8),
            keras.layers.Dense(VOCAB),
        ]
    )
    ids = np.random.default_rng(0).integers(0, VOCAB, (2, 6))
    step = sampling.prefix_step_fn(model)
    logits, state = step(ids[:, :4], None)
    logits, state = step(ids[:, 4:5], state)
    np.testing.assert_allclose(_np(logits), _np(model(ids[:, :5]))[:, -1], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(_np(state), ids[:, :5])
