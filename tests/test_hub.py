"""The KerasHub bridge: the no-repeat n-gram sampler (the same ban as `lmkeras.sampling`, inside
KerasHub's compiled `generate`), the tiny offline GPT-2 and the preset fallback."""

import itertools

import keras
import keras_hub
import numpy as np
import pytest
from keras import ops

from lmkeras import hub, sampling
from lmkeras.models.gpt import build_gpt, gpt_step_fn
from lmkeras.models.gpt_weights import gpt2_hyperparameters, load_gpt2_weights

VOCAB = 7
JIT = keras.backend.backend() == "jax"  # our side: eager TensorFlow is cheaper for a tiny model
RNG = np.random.default_rng(0)
TABLE = RNG.normal(size=(VOCAB, VOCAB)).astype("float32") * 3  # next-token logits per token


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def _repeats(row, n):
    grams = [tuple(row[i : i + n]) for i in range(len(row) - n + 1)]
    return len(grams) - len(set(grams))


@pytest.mark.parametrize("n", [1, 2, 3])
def test_the_ban_in_a_fixed_buffer_equals_lmkeras_sampling(n):
    ids = RNG.integers(0, 5, (3, 12))
    for index in (0, 1, 2, 3, 7, 12):
        ours = _np(hub.banned_ngram_mask_at(ids, index, 5, n))
        expected = _np(sampling.banned_ngram_mask(ids[:, :index], 5, n)) if index else 0 * ours
        np.testing.assert_array_equal(ours, expected, err_msg=f"index {index}")


def _markov_next(prompt, cache, index):
    """KerasHub's `next` contract, for a model whose logits depend on the last token only."""
    last = ops.take(prompt, index - 1, axis=1)
    return ops.take(ops.convert_to_tensor(TABLE), last, axis=0), None, cache


def test_greedy_with_the_ban_equals_lmkeras_generate_and_never_repeats(n=2):
    prompt = np.zeros((4, 16), "int32")
    prompt[:, :3] = RNG.integers(0, VOCAB, (4, 3))
    mask = np.broadcast_to(np.arange(16) < 3, prompt.shape)
    out = _np(hub.NoRepeatNGramSampler(n)(_markov_next, prompt, index=3, mask=mask))
    assert all(_repeats(row, n) == 0 for row in out)
    plain = _np(keras_hub.samplers.GreedySampler()(_markov_next, prompt, index=3, mask=mask))
    assert any(_repeats(row, n) for row in plain)  # plain greedy does loop
    step = lambda new, state: (TABLE[np.asarray(new)[:, -1]], None)  # noqa: E731
    expected = sampling.generate(step, prompt[:, :3], 13, sampling.GreedySampler(),
                                 no_repeat_ngram_size=n)  # fmt: skip
    np.testing.assert_array_equal(out, _np(expected))


def test_random_logits_and_a_random_sampler_never_complete_a_repeated_3gram():
    prompt = np.zeros((8, 20), "int32")
    prompt[:, 0] = np.arange(8) % VOCAB
    mask = np.broadcast_to(np.arange(20) < 1, prompt.shape)
    sampler = hub.NoRepeatNGramSampler(3, keras_hub.samplers.RandomSampler(seed=3))

    logits = ops.convert_to_tensor(RNG.normal(size=(20, 8, VOCAB)).astype("float32"))

    def next_fn(prompt, cache, index):
        return ops.take(logits, index, axis=0), None, cache  # fresh random logits each step

    out = _np(sampler(next_fn, prompt, index=1, mask=mask))
    assert all(_repeats(row, 3) == 0 for row in out)


def test_a_row_with_every_token_banned_is_sampled_without_the_ban():
    ids = np.array([[0, 0, 1, 0, 0, 0]])  # after "0": "0 0" and "0 1" already seen
    logits = ops.convert_to_tensor(np.array([[1.0, 2.0]], "float32"))
    banned = hub.NoRepeatNGramSampler(2).ban(logits, ids, 4)
    np.testing.assert_array_equal(_np(banned), [[1.0, 2.0]])


@pytest.fixture(scope="module")
def tiny():
    backbone = hub.tiny_gpt2_backbone(40, num_layers=1, max_sequence_length=24, stddev=0.5)
    model = build_gpt(**gpt2_hyperparameters(backbone))
    load_gpt2_weights(model, backbone)
    return backbone, model


def test_the_sampler_compiles_inside_gpt2_causal_lm_generate(tiny):
    backbone, model = tiny
    causal_lm = keras_hub.models.GPT2CausalLM(backbone, preprocessor=None)
    xla = {"jit_compile": True} if keras.backend.backend() == "tensorflow" else {}
    causal_lm.compile(sampler=hub.NoRepeatNGramSampler(2), **xla)  # XLA / jax.jit
    prompt = np.zeros((2, 24), "int32")
    prompt[:, :4] = RNG.integers(0, 40, (2, 4))
    mask = np.broadcast_to(np.arange(24) < 4, prompt.shape)
    out = causal_lm.generate({"token_ids": prompt, "padding_mask": mask}, stop_token_ids=None)
    step = gpt_step_fn(model, jit=JIT)
    ours = sampling.generate(step, prompt[:, :4], 20, sampling.GreedySampler(),
                             no_repeat_ngram_size=2)  # fmt: skip
    np.testing.assert_array_equal(_np(out["token_ids"]), _np(ours))
    assert all(_repeats(row, 2) == 0 for row in _np(ours))


def test_sampler_config_round_trips_and_bad_arguments_are_refused():
    sampler = hub.NoRepeatNGramSampler(3, keras_hub.samplers.TopKSampler(k=4, temperature=0.7))
    restored = keras_hub.samplers.get(keras_hub.samplers.serialize(sampler))
    assert type(restored) is hub.NoRepeatNGramSampler
    assert restored.get_config() == sampler.get_config()
    assert restored.sampler.k == 4 and restored.temperature == 0.7
    with pytest.raises(ValueError, match="`ngram_size`.*ngram_size=0"):
        hub.NoRepeatNGramSampler(0)
    with pytest.raises(ValueError, match="`sampler`.*'beam'"):
        hub.NoRepeatNGramSampler(2, "beam")
    with pytest.raises(ValueError, match="`sampler`.*BeamSampler"):
        hub.NoRepeatNGramSampler(2, keras_hub.samplers.BeamSampler())
    with pytest.raises(TypeError, match="`sampler`"):
        hub.NoRepeatNGramSampler(2, 3)


def test_tiny_gpt2_is_deterministic_and_its_tokenizer_is_gpt2_shaped():
    weights = [[_np(w) for w in hub.tiny_gpt2_backbone(seed=5).weights] for _ in range(2)]
    for a, b in itertools.zip_longest(*weights):
        np.testing.assert_array_equal(a, b)
    tokenizer = hub.tiny_gpt2_tokenizer(["the cat sat on the mat"] * 3, vocabulary_size=270)
    assert tokenizer.id_to_token(tokenizer.vocabulary_size() - 1) == hub.END_TOKEN
    text = "the cat 吃"  # bytes outside the training text still encode: byte-level BPE
    assert tokenizer.detokenize(tokenizer(text)) == text
    with pytest.raises(ValueError, match="`num_heads` must divide"):
        hub.tiny_gpt2_backbone(hidden_dim=9, num_heads=2)
    with pytest.raises(ValueError, match="`vocabulary_size`"):
        hub.tiny_gpt2_tokenizer(["a"], vocabulary_size=100)


def test_a_preset_that_cannot_be_loaded_falls_back_and_says_so(tmp_path):
    # A local path that does not exist: the loader fails without touching the network.
    loaded = hub.load_gpt2(str(tmp_path / "no_such_preset"), ["hello there, hello you"] * 4,
                           sequence_length=16)  # fmt: skip
    assert not loaded.pretrained and "\n" not in loaded.message
    assert "Could not load the preset" in loaded.message and "tiny random GPT-2" in loaded.message
    assert isinstance(loaded.causal_lm, keras_hub.models.GPT2CausalLM)
    assert loaded.causal_lm.preprocessor is not None
