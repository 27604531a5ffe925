"""GPT builder, KV-cache step function (cached == uncached), samplers and the budget trainer."""

from __future__ import annotations

import os
import tempfile

import keras
import numpy as np
import pytest
from keras import ops

from lmkeras import sampling
from lmkeras.models.gpt import build_gpt, gpt_generate, gpt_parts, gpt_step_fn
from lmkeras.testing import check_model

# Cached and uncached logits differ only by float32 summation order.
ATOL = 1e-5
TINY = {"vocabulary_size": 13, "sequence_length": 16, "num_layers": 2, "num_heads": 2,
        "hidden_dim": 8}  # fmt: skip


GREEDY = sampling.GreedySampler()


def _ids(batch=2, length=12, seed=0):
    return np.random.default_rng(seed).integers(0, 13, (batch, length)).astype("int32")


@pytest.mark.slow
@pytest.mark.parametrize("tie_weights", [True, False])
def test_builder_passes_the_model_checks(tie_weights):
    model = build_gpt(**TINY, dropout=0.1, tie_weights=tie_weights)
    ids = _ids()
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    out = check_model(model, ids, target=np.roll(ids, -1, axis=1), loss=loss)
    assert tuple(out.shape) == (2, 12, 13)


def test_weight_tying_saves_the_output_matrix():
    tied, untied = build_gpt(**TINY, tie_weights=True), build_gpt(**TINY, tie_weights=False)
    assert untied.count_params() - tied.count_params() == 13 * 8 + 13  # kernel + bias


def full_and_cached_logits(model, ids, jit, prompt=3):
    """The model's logits `(batch, T, V)` on `ids`, and the cached step's for positions
    `prompt - 1, ..., T - 1`: the prompt at once, then one token at a time."""
    full = ops.convert_to_numpy(model(ids))
    step = gpt_step_fn(model, jit=jit)
    logits, state = step(ids[:, :prompt], None)
    got = [ops.convert_to_numpy(logits)]
    for t in range(prompt, ids.shape[1]):
        logits, state = step(ids[:, t : t + 1], state)
        got.append(ops.convert_to_numpy(logits))
    return full, np.stack(got, axis=1)


@pytest.mark.parametrize("position", ["learned", "sinusoidal", "rope"])
@pytest.mark.parametrize("jit", [False, True])
def test_cached_logits_equal_uncached_logits_at_every_position(position, jit):
    keras.utils.set_random_seed(1)
    model = build_gpt(**TINY, position=position)
    full, cached = full_and_cached_logits(model, _ids(), jit)
    np.testing.assert_allclose(cached, full[:, 2:], atol=ATOL)


def test_greedy_with_and_without_cache_gives_the_same_tokens():
    keras.utils.set_random_seed(2)
    model = build_gpt(**TINY)
    prompt = _ids(length=3)
    greedy = sampling.GreedySampler()
    cached = sampling.generate(gpt_step_fn(model), prompt, 12, greedy)
    uncached = sampling.generate(gpt_step_fn(model, use_cache=False), prompt, 12, greedy)
    np.testing.assert_array_equal(ops.convert_to_numpy(cached), ops.convert_to_numpy(uncached))
    assert ops.convert_to_numpy(cached).shape == (2, 15)


@pytest.mark.parametrize(
    "sampler",
    [
        sampling.GreedySampler(),
        sampling.TemperatureSampler(0.8),
        sampling.TopKSampler(5),
        sampling.TopPSampler(0.9),
    ],
    ids=lambda s: type(s).__name__,
)
def test_works_with_every_sampler(sampler):
    model = build_gpt(**TINY)
    prompt = _ids(length=2)
    ids = ops.convert_to_numpy(
        sampling.generate(gpt_step_fn(model), prompt, 6, sampler, no_repeat_ngram_size=2, seed=3)
    )
    assert ids.shape == (2, 8) and ids.dtype == np.int32
    assert ((ids >= 0) & (ids < 13)).all()
    np.testing.assert_array_equal(ids[:, :2], prompt)


@pytest.mark.parametrize("use_cache", [True, False])
@pytest.mark.parametrize("jit", [False, True])
def test_compiled_loop_gives_the_tokens_of_the_python_loop(use_cache, jit):
    keras.utils.set_random_seed(5)
    model = build_gpt(**TINY, position="rope")
    prompt = _ids(length=3)
    expected = sampling.generate(
        gpt_step_fn(model, jit=False), prompt, 12, sampling.GreedySampler()
    )
    got = gpt_generate(model, prompt, 12, use_cache=use_cache, jit=jit)
    np.testing.assert_array_equal(ops.convert_to_numpy(got), ops.convert_to_numpy(expected))


@pytest.mark.slow
@pytest.mark.parametrize(
    "sampler",
    [sampling.TemperatureSampler(1.5), sampling.TopKSampler(5), sampling.TopPSampler(0.9)],
    ids=lambda s: type(s).__name__,
)
def test_compiled_loop_samples_reproducibly_with_a_seed(sampler):
    model = build_gpt(**TINY)
    prompt = _ids(batch=4, length=2)
    runs = [gpt_generate(model, prompt, 12, sampler, seed=seed, use_cache=cache)
            for seed, cache in ((7, True), (7, True), (8, True), (7, False))]  # fmt: skip
    runs = [ops.convert_to_numpy(run) for run in runs]
    np.testing.assert_array_equal(runs[0], runs[1])
    np.testing.assert_array_equal(runs[0], runs[3])  # the cache changes nothing but the speed
    assert not np.array_equal(runs[0], runs[2])
    assert runs[0].shape == (4, 14) and ((runs[0] >= 0) & (runs[0] < 13)).all()
    np.testing.assert_array_equal(runs[0][:, :2], prompt)


@pytest.mark.parametrize("use_cache", [True, False])
@pytest.mark.parametrize("jit", [False, True])
def test_compiled_loop_runs_past_the_context_as_the_python_loop_does(use_cache, jit):
    keras.utils.set_random_seed(6)
    model = build_gpt(**TINY)  # learned positions: a context of 16
    prompt = _ids(length=5)
    expected = sampling.generate(gpt_step_fn(model, jit=False), prompt, 40, GREEDY)
    got = gpt_generate(model, prompt, 40, use_cache=use_cache, jit=jit)
    np.testing.assert_array_equal(ops.convert_to_numpy(got), ops.convert_to_numpy(expected))
    # One compiled loop serves every token count, every window and every prompt of up to 8
    # ids; a longer prompt adds one per power of two (its context is fed at once, padded).
    assert len(model.__dict__["_lmkeras_generate"]) == 1
    gpt_generate(model, _ids(length=2), 3, use_cache=use_cache, jit=jit)
    assert len(model.__dict__["_lmkeras_generate"]) == 1
    longer = gpt_generate(model, _ids(length=12), 3, use_cache=use_cache, jit=jit)
    assert len(model.__dict__["_lmkeras_generate"]) == 2
    expected = sampling.generate(gpt_step_fn(model, jit=False), _ids(length=12), 3, GREEDY)
    np.testing.assert_array_equal(ops.convert_to_numpy(longer), ops.convert_to_numpy(expected))


def test_a_generation_that_slides_compiles_one_loop_for_all_its_windows():
    # A context of 32: windows after the first start from its last 16 ids, so the 3-id prompt
    # is fed padded to 16 as well, not to 8 (which would compile a second loop).
    keras.utils.set_random_seed(8)
    model = build_gpt(**{**TINY, "sequence_length": 32})
    prompt = _ids(length=3)
    got = gpt_generate(model, prompt, 70, jit=False)
    assert len(model.__dict__["_lmkeras_generate"]) == 1
    expected = sampling.generate(gpt_step_fn(model, jit=False), prompt, 70, GREEDY)
    np.testing.assert_array_equal(ops.convert_to_numpy(got), ops.convert_to_numpy(expected))


@pytest.mark.parametrize("position", ["rope", "sinusoidal"])
def test_positions_without_a_table_slide_at_the_context_they_trained_on(position):
    keras.utils.set_random_seed(7)
    model = build_gpt(**{**TINY, "sequence_length": 8}, position=position)
    assert gpt_parts(model).context_length == 8
    prompt = _ids(length=3)
    expected = sampling.generate(gpt_step_fn(model, jit=False), prompt, 30, GREEDY)
    got = ops.convert_to_numpy(gpt_generate(model, prompt, 30, jit=False))
    np.testing.assert_array_equal(got, ops.convert_to_numpy(expected))
    # Within the first window, sliding and one pass over the whole text agree. (Past it they
    # may too: an untrained model's greedy text often repeats one token, so that is not checked.)
    whole = ops.convert_to_numpy(gpt_generate(model, prompt, 30, jit=False, max_length=33))
    np.testing.assert_array_equal(got[:, :9], whole[:, :9])
    with pytest.raises(ValueError, match=r"1 to max_length=2 ids per row"):
        gpt_generate(model, prompt, 3, max_length=2)


@pytest.mark.parametrize("use_cache", [True, False])
def test_step_function_windows_at_the_max_length_it_is_given(use_cache):
    # A rotary model trained on 8 positions, asked for a window of 16: both paths see 12 ids
    # whole (no crop at the trained context), as one pass over them does.
    keras.utils.set_random_seed(3)
    model = build_gpt(**{**TINY, "sequence_length": 8}, position="rope")
    ids = _ids(length=12)
    step = gpt_step_fn(model, use_cache=use_cache, max_length=16, jit=False)
    logits, _ = step(ids, None)
    whole = ops.convert_to_numpy(model(ids))[:, -1]
    np.testing.assert_allclose(ops.convert_to_numpy(logits), whole, atol=ATOL)
    # At the default window (the trained context), the uncached path crops to the last 8 ids
    # and the cached one refuses 12 new ids at once, naming its max_length.
    with pytest.raises(ValueError, match=r"max_length=8 positions; received 12 new ids"):
        gpt_step_fn(model, jit=False)(ids, None)
    logits, _ = gpt_step_fn(model, use_cache=False, jit=False)(ids, None)
    np.testing.assert_allclose(
        ops.convert_to_numpy(logits), ops.convert_to_numpy(model(ids[:, -8:]))[:, -1], atol=ATOL
    )


def test_compiled_loop_samples_fresh_tokens_in_every_window():
    model = build_gpt(**TINY)
    sampler = sampling.TemperatureSampler(5.0)  # nearly uniform: repeats would be a seed reuse
    first, again = (ops.convert_to_numpy(gpt_generate(model, _ids(length=4), 60, sampler, seed=9))
                    for _ in range(2))  # fmt: skip
    np.testing.assert_array_equal(first, again)
    windows = first[:, 4:].reshape(2, -1, 4)  # 15 groups of 4 tokens: none the same
    assert all(len({tuple(w) for w in row}) == windows.shape[1] for row in windows)


def test_compiled_loop_refuses_bad_arguments():
    model = build_gpt(**TINY)
    with pytest.raises(ValueError, match=r"1 to max_length=16 ids per row.*\(2, 17\)"):
        gpt_generate(model, _ids(length=17), 3)
    with pytest.raises(ValueError, match="max_new_tokens=0"):
        gpt_generate(model, _ids(length=5), 0)
    with pytest.raises(TypeError, match="sampler"):
        gpt_generate(model, _ids(length=5), 2, sampler="greedy")


def test_beam_search_reorders_the_cache():
    keras.utils.set_random_seed(4)
    model = build_gpt(**TINY)
    prompt = _ids(length=2)
    cached, cached_scores = sampling.beam_search(gpt_step_fn(model), prompt, 5, num_beams=3)
    plain, plain_scores = sampling.beam_search(gpt_step_fn(model, use_cache=False), prompt, 5, 3)
    np.testing.assert_array_equal(ops.convert_to_numpy(cached), ops.convert_to_numpy(plain))
    np.testing.assert_allclose(
        ops.convert_to_numpy(cached_scores), ops.convert_to_numpy(plain_scores), atol=1e-4
    )


def test_step_function_works_on_a_loaded_model():
    model = build_gpt(**TINY)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "gpt.keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
    ids = _ids(length=4)
    a, _ = gpt_step_fn(model, jit=False)(ids, None)
    b, _ = gpt_step_fn(loaded, jit=False)(ids, None)
    np.testing.assert_array_equal(ops.convert_to_numpy(a), ops.convert_to_numpy(b))


def test_generation_runs_past_the_context_and_long_caches_are_refused():
    model = build_gpt(**TINY)
    prompt = _ids(length=5)
    for cache in (True, False):
        step = gpt_step_fn(model, use_cache=cache, jit=False)
        ids = sampling.generate(step, prompt, 30, sampling.GreedySampler())
        assert ops.convert_to_numpy(ids).shape == (2, 35)
    with pytest.raises(ValueError, match="max_length=4"):
        gpt_step_fn(model, max_length=4, jit=False)(_ids(length=5), None)
    with pytest.raises(ValueError, match="max_length=17"):
        gpt_step_fn(model, max_length=17)


@pytest.mark.parametrize(
    "kwargs, message, error",
    [
        ({"hidden_dim": 130, "num_heads": 4}, "hidden_dim=130, num_heads=4", ValueError),
        ({"vocabulary_size": 0}, "vocabulary_size=0", ValueError),
        ({"num_layers": 1.5}, "num_layers=1.5", TypeError),
        ({"position": "absolute"}, "position='absolute'", ValueError),
        ({"dropout": -0.1}, "dropout=-0.1", ValueError),
        ({"intermediate_dim": 0}, "intermediate_dim=0", ValueError),
    ],
)
def test_bad_hyperparameters_name_the_parameter(kwargs, message, error):
    with pytest.raises(error, match=message):
        build_gpt(**{**TINY, **kwargs})
