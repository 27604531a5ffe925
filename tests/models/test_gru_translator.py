"""GRUTranslator: shared model checks, masking, causality, cached decoding, beam search,
the teacher-forcing loop, and argument validation."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import ops

from lmkeras.datasets.translation import PairEncoder
from lmkeras.models.gru_translator import GRUTranslator
from lmkeras.recipes.translation import translate
from lmkeras.testing import check_model

ATOL = 1e-5  # float32 differences between a whole-sequence GRU call and one cell at a time
SRC = np.array([[5, 6, 7, 8], [4, 3, 0, 0], [9, 10, 0, 0]], "int32")
DEC = np.array([[2, 9, 4, 5, 6], [2, 5, 6, 3, 0], [2, 7, 3, 0, 0]], "int32")
LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)


def _model(attention=True, bidirectional=True, **kwargs):
    keras.utils.set_random_seed(0)
    return GRUTranslator(
        12, 11, embedding_dim=6, units=8, attention=attention, bidirectional=bidirectional, **kwargs
    )


def _np(x):
    return ops.convert_to_numpy(x)


VARIANTS = [(True, True), (True, False), (False, True), (False, False)]


@pytest.mark.slow
@pytest.mark.parametrize("attention,bidirectional", VARIANTS)
def test_shared_model_checks(attention, bidirectional):
    model = _model(attention, bidirectional, dropout=0.1)
    out = check_model(model, (SRC, DEC), target=DEC, loss=LOSS)
    assert tuple(out.shape) == (3, 5, 11) and _np(out).dtype == np.float32


@pytest.mark.parametrize("attention,bidirectional", VARIANTS)
def test_source_padding_changes_nothing(attention, bidirectional):
    model = _model(attention, bidirectional)
    logits = _np(model((SRC, DEC)))
    padded = np.concatenate([SRC, np.zeros((3, 3), "int32")], axis=1)
    np.testing.assert_allclose(_np(model((padded, DEC))), logits, atol=ATOL)
    # The same sentence alone, without the batch's padding, gives the same logits too.
    alone = _np(model((SRC[2:, :2], DEC[2:, :3])))
    np.testing.assert_allclose(alone[0], logits[2, :3], atol=ATOL)


@pytest.mark.parametrize("attention", [True, False])
def test_later_target_tokens_do_not_change_earlier_logits(attention):
    model = _model(attention)
    changed = DEC.copy()
    changed[:, 3:] = 8
    a, b = _np(model((SRC, DEC))), _np(model((SRC, changed)))
    np.testing.assert_allclose(a[:, :3], b[:, :3], atol=ATOL)
    assert not np.allclose(a[:, 3:], b[:, 3:])


def _stepwise(model, use_cache):
    step = model.step_fn(SRC, use_cache=use_cache)
    logits, state = step(DEC[:, :1], None)
    out = [_np(logits)]
    for t in range(1, DEC.shape[1]):
        logits, state = step(DEC[:, t : t + 1], state)
        out.append(_np(logits))
    return np.stack(out, axis=1)


@pytest.mark.parametrize("attention", [True, False])
def test_step_fn_cached_equals_uncached_equals_full(attention):
    model = _model(attention)
    full = _np(model((SRC, DEC)))
    np.testing.assert_allclose(_stepwise(model, True), full, atol=ATOL)
    np.testing.assert_allclose(_stepwise(model, False), full, atol=ATOL)


def test_step_fn_repeats_the_source_for_beams():
    model = _model()
    step = model.step_fn(SRC)
    one, _ = step(DEC[:, :1], None)
    three, state = step(np.repeat(DEC[:, :1], 3, axis=0), None)
    np.testing.assert_allclose(_np(three), np.repeat(_np(one), 3, axis=0), atol=ATOL)
    assert all(int(leaf.shape[0]) == 9 for leaf in keras.tree.flatten(state))
    with pytest.raises(ValueError, match="multiple"):
        step(DEC[:2, :1], None)


def _encoder():
    pairs = [("uno dos tres .", "one two three ."), ("hola .", "hello ."), ("sí", "yes")]
    return PairEncoder.from_pairs(pairs, 12, 11)


# With attention once (on TensorFlow), without on every backend: the cache and beam code is shared.
@pytest.mark.parametrize("attention", [pytest.param(True, marks=pytest.mark.slow), False])
def test_translate_beam_one_is_greedy_and_cache_changes_nothing(attention):
    encoder = _encoder()
    keras.utils.set_random_seed(0)
    model = GRUTranslator(
        encoder.source_vocabulary_size, encoder.target_vocabulary_size, 6, 8, attention=attention
    )
    sources = ["uno dos tres .", "hola .", "sí", "hola dos"]
    greedy = translate(model, encoder, sources, max_new_tokens=6)
    assert translate(model, encoder, sources, num_beams=1, max_new_tokens=6) == greedy
    assert translate(model, encoder, sources, max_new_tokens=6, use_cache=False) == greedy
    beams = translate(model, encoder, sources, num_beams=3, max_new_tokens=6)
    uncached = translate(model, encoder, sources, num_beams=3, max_new_tokens=6, use_cache=False)
    assert beams == uncached and len(beams) == 4
    assert all(len(t.split()) <= 6 for t in beams + greedy)


def test_teacher_forcing_loop_at_ratio_one_equals_fast_path():
    model = _model()
    full = _np(model((SRC, DEC)))
    np.testing.assert_allclose(_np(model.decode_step_by_step(SRC, DEC, 1.0)), full, atol=ATOL)
    # Free-running: each position sees the previous argmax, as greedy decoding does.
    free = _np(model.decode_step_by_step(SRC, DEC, 0.0))
    greedy_inputs = np.concatenate([DEC[:, :1], free.argmax(-1)[:, :-1]], axis=1)
    np.testing.assert_allclose(free, _np(model((SRC, greedy_inputs))), atol=ATOL)


@pytest.mark.slow
def test_training_with_a_teacher_forcing_ratio_below_one():
    model = _model(dropout=0.2, teacher_forcing_ratio=0.5, seed=1)
    model.compile(keras.optimizers.Adam(1e-2), LOSS)
    history = model.fit((SRC, DEC), DEC, epochs=3, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_attention_weights_are_a_distribution_over_real_source_words():
    model = _model()
    weights = _np(model.attention_weights(SRC, DEC))
    assert weights.shape == (3, 5, 4)
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=ATOL)
    assert np.all(weights[1, :, 2:] == 0) and np.all(weights[2, :, 2:] == 0)
    with pytest.raises(ValueError, match="attention=True"):
        _model(attention=False).attention_weights(SRC, DEC)


@pytest.mark.parametrize(
    "kwargs,error,message",
    [
        ({"source_vocabulary_size": 1}, ValueError, "source_vocabulary_size=1"),
        ({"target_vocabulary_size": 3}, ValueError, "target_vocabulary_size=3"),
        ({"units": 7}, ValueError, "units=7"),
        ({"embedding_dim": 0}, ValueError, "embedding_dim=0"),
        ({"attention": 1}, TypeError, "attention=1"),
        ({"dropout": 1.0}, ValueError, "dropout=1.0"),
        ({"teacher_forcing_ratio": 1.5}, ValueError, "teacher_forcing_ratio=1.5"),
        ({"teacher_forcing_ratio": "1"}, TypeError, "teacher_forcing_ratio='1'"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    args = {"source_vocabulary_size": 12, "target_vocabulary_size": 11, "units": 8, **kwargs}
    with pytest.raises(error, match=message):
        GRUTranslator(**args)


def test_bad_inputs():
    model = _model()
    with pytest.raises(ValueError, match="pair"):
        model(SRC)
    with pytest.raises(ValueError, match="teacher_forcing_ratio"):
        model.decode_step_by_step(SRC, DEC, 2.0)
