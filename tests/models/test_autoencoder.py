"""Autoencoder builders: shared model checks, the encoder alone, padding, the step function
against teacher forcing, beam 1 against greedy, and argument validation."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import ops

from lmkeras import sampling
from lmkeras.layers.losses import MaskedCrossEntropy
from lmkeras.layers.variational import SentenceCrossEntropy
from lmkeras.models.autoencoder import (
    autoencoder_parts,
    autoencoder_step_fn,
    build_denoising_autoencoder,
    build_dense_autoencoder,
    build_sequence_autoencoder,
    build_variational_autoencoder,
    decode_with_codes,
)
from lmkeras.testing import check_model

ATOL = 1e-5  # float32: a whole-sequence GRU call against one cell at a time
V = 16
IDS = np.array([[5, 6, 7, 8], [4, 9, 0, 0], [10, 0, 0, 0]], "int32")
DEC = np.array([[2, 5, 6, 7, 8], [2, 4, 9, 0, 0], [2, 10, 0, 0, 0]], "int32")
TARGETS = np.array([[5, 6, 7, 8, 3], [4, 9, 3, 0, 0], [10, 3, 0, 0, 0]], "int32")
SMALL = {"code_dim": 5, "embedding_dim": 4, "units": 6}


def _np(x):
    return ops.convert_to_numpy(x)


def _sequence():
    keras.utils.set_random_seed(0)
    return build_sequence_autoencoder(V, **SMALL)


def _denoising():
    keras.utils.set_random_seed(0)
    return build_denoising_autoencoder(V, rate=0.3, seed=1, **SMALL)


def _variational():
    keras.utils.set_random_seed(0)
    return build_variational_autoencoder(
        V, **SMALL, kl_weight=0.5, anneal_steps=3, word_dropout=0.25, seed=2
    )


BUILDERS = {"sequence": _sequence, "denoising": _denoising, "variational": _variational}


@pytest.mark.parametrize("hidden_dim", [None, 8])
def test_dense_autoencoder_shared_checks(hidden_dim):
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(6, 7)).astype("float32")
    model = build_dense_autoencoder(7, 3, hidden_dim=hidden_dim)
    out = check_model(model, x, target=x, loss="mse")
    assert tuple(out.shape) == (6, 7)
    code = model.get_layer("encoder")(x)
    assert tuple(code.shape) == (6, 3)
    rebuilt = model.get_layer("decoder")(code)
    np.testing.assert_allclose(_np(rebuilt), _np(model(x)), atol=ATOL)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_sequence_builders_shared_checks(name):
    model = BUILDERS[name]()
    loss = SentenceCrossEntropy() if name == "variational" else MaskedCrossEntropy()
    out = check_model(model, (IDS, DEC), target=TARGETS, loss=loss)
    assert tuple(out.shape) == (3, 5, V) and _np(out).dtype == np.float32


def _codes(model, ids=IDS):
    codes = autoencoder_parts(model).encoder(ids)
    return codes[0] if isinstance(codes, (list, tuple)) else codes  # the VAE's mean


@pytest.mark.parametrize("name", list(BUILDERS))
def test_the_encoder_alone_gives_the_code_the_decoder_reads(name):
    model = BUILDERS[name]()
    code = _codes(model)
    assert tuple(code.shape) == (3, 5)
    np.testing.assert_allclose(
        _np(decode_with_codes(model, DEC, code)), _np(model((IDS, DEC))), atol=ATOL
    )


def test_the_encoder_and_decoder_share_one_word_table():
    model = _sequence()
    tables = [w for w in model.weights if "embeddings" in w.path]
    assert len(tables) == 1 and tuple(tables[0].shape) == (V, 4)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_padding_does_not_change_the_code(name):
    encoder = autoencoder_parts(BUILDERS[name]()).encoder
    first = keras.tree.flatten(encoder(IDS))
    padded = keras.tree.flatten(encoder(np.pad(IDS, ((0, 0), (0, 3)))))
    alone = keras.tree.flatten(encoder(IDS[2:, :1]))
    for a, b, c in zip(first, padded, alone):
        np.testing.assert_allclose(_np(b), _np(a), atol=ATOL)
        np.testing.assert_allclose(_np(c)[0], _np(a)[2], atol=ATOL)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_step_function_equals_teacher_forcing(name):
    model = BUILDERS[name]()
    codes = _np(_codes(model))
    full = _np(model((IDS, DEC)))
    step = autoencoder_step_fn(model, codes)
    logits, state = step(DEC[:, :2], None)  # a two-token prompt, then one token at a time
    out = [_np(logits)]
    for t in range(2, DEC.shape[1]):
        logits, state = step(DEC[:, t : t + 1], state)
        out.append(_np(logits))
    np.testing.assert_allclose(np.stack(out, 1), full[:, 1:], atol=ATOL)


def test_beam_search_with_one_beam_equals_greedy():
    model = _sequence()
    codes = np.random.default_rng(0).normal(size=(4, 5)).astype("float32")
    prompt = np.full((4, 1), 2, "int32")
    greedy = sampling.generate(
        autoencoder_step_fn(model, codes), prompt, 6, sampling.GreedySampler(), end_id=3
    )
    beam, _ = sampling.beam_search(autoencoder_step_fn(model, codes), prompt, 6, 1, end_id=3)
    np.testing.assert_array_equal(_np(beam), _np(greedy))


def test_beam_search_repeats_the_codes_for_each_beam():
    model = _sequence()
    codes = np.random.default_rng(1).normal(size=(2, 5)).astype("float32")
    ids, scores = sampling.beam_search(
        autoencoder_step_fn(model, codes), np.full((2, 1), 2, "int32"), 5, 3, end_id=3
    )
    assert tuple(ids.shape) == (2, 6) and np.all(np.isfinite(_np(scores)))


@pytest.mark.parametrize(
    "make,error,words",
    [
        (lambda: build_dense_autoencoder(0, 2), ValueError, ["input_dim", "0"]),
        (lambda: build_dense_autoencoder(4, -1), ValueError, ["code_dim", "-1"]),
        (lambda: build_dense_autoencoder(4, 2, hidden_dim=0), ValueError, ["hidden_dim", "0"]),
        (lambda: build_sequence_autoencoder(3), ValueError, ["vocabulary_size", "3"]),
        (lambda: build_sequence_autoencoder(V, code_dim=0), ValueError, ["code_dim", "0"]),
        (lambda: build_sequence_autoencoder(V, units=7), ValueError, ["units", "7"]),
        (lambda: build_sequence_autoencoder(V, embedding_dim=2.0), TypeError, ["embedding_dim"]),
        (lambda: build_denoising_autoencoder(V, rate=1.0), ValueError, ["rate", "1.0"]),
        (lambda: build_denoising_autoencoder(V, rate=-0.2), ValueError, ["rate", "-0.2"]),
        (lambda: build_variational_autoencoder(V, word_dropout=1.0), ValueError, ["word_dropout"]),
        (lambda: build_variational_autoencoder(V, kl_weight=-1.0), ValueError, ["kl_weight"]),
        (lambda: build_variational_autoencoder(V, anneal_steps=-1), ValueError, ["anneal_steps"]),
    ],
)
def test_bad_arguments_are_named(make, error, words):
    with pytest.raises(error) as info:
        make()
    assert all(word in str(info.value) for word in words), str(info.value)


def test_codes_of_the_wrong_size_are_refused():
    model = _sequence()
    with pytest.raises(ValueError, match=r"`codes` must have shape \(batch, 5\).*\(2, 4\)"):
        autoencoder_step_fn(model, np.zeros((2, 4), "float32"))
    with pytest.raises(ValueError, match=r"`codes` must have shape \(batch, 5\).*\(3,\)"):
        decode_with_codes(model, DEC, np.zeros((3,), "float32"))
    with pytest.raises(TypeError, match="must be built by build_sequence"):
        autoencoder_parts(build_dense_autoencoder(4, 2))
    step = autoencoder_step_fn(model, np.zeros((2, 5), "float32"))
    with pytest.raises(ValueError, match="3 rows, not a multiple of the 2 codes"):
        step(np.full((3, 1), 2, "int32"), None)
