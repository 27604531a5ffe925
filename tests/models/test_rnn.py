"""The recurrent LM builder and its state-carrying step function."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import ops

from lmkeras import sampling
from lmkeras.models.rnn import build_rnn_lm, rnn_step_fn
from lmkeras.testing import check_model

VOCAB = 11


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_builder_passes_the_shared_checks(cell, num_layers):
    keras.utils.set_random_seed(0)
    model = build_rnn_lm(
        VOCAB, embedding_dim=4, units=6, num_layers=num_layers, cell=cell, dropout=0.1
    )
    ids = np.random.default_rng(0).integers(0, VOCAB, (3, 5)).astype("int32")
    logits = check_model(
        model,
        ids,
        target=ids,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        atol=1e-6,
    )
    assert tuple(logits.shape) == (3, 5, VOCAB)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_carried_state_equals_rerunning_the_prefix(cell):
    keras.utils.set_random_seed(1)
    model = build_rnn_lm(VOCAB, embedding_dim=5, units=7, num_layers=2, cell=cell)
    ids = np.random.default_rng(1).integers(0, VOCAB, (2, 9)).astype("int32")
    full = _np(model(ids))  # (B, T, V)
    step = rnn_step_fn(model)
    logits, state = step(ids[:, :4], None)
    np.testing.assert_allclose(_np(logits), full[:, 3], atol=1e-5)
    for t in range(4, 9):
        logits, state = step(ids[:, t : t + 1], state)
        np.testing.assert_allclose(_np(logits), full[:, t], atol=1e-5)
    sizes = {"lstm": 2, "gru": 1}[cell]
    assert [len(s) for s in state] == [sizes, sizes]
    assert all(tuple(leaf.shape) == (2, 7) for s in state for leaf in s)


# The carried state is checked on every backend above; generation through it, once (TensorFlow).
@pytest.mark.slow
def test_generation_with_state_equals_prefix_rerun_generation():
    keras.utils.set_random_seed(2)
    model = build_rnn_lm(VOCAB, embedding_dim=4, units=8)
    prompt = np.array([[1, 2, 3], [4, 5, 6]], "int32")
    carried = sampling.generate(rnn_step_fn(model), prompt, 12, sampling.GreedySampler())
    rerun = sampling.generate(sampling.prefix_step_fn(model), prompt, 12, sampling.GreedySampler())
    np.testing.assert_array_equal(_np(carried), _np(rerun))
    ids, _ = sampling.beam_search(rnn_step_fn(model), prompt, 6, num_beams=3)
    ids2, _ = sampling.beam_search(sampling.prefix_step_fn(model), prompt, 6, num_beams=3)
    np.testing.assert_array_equal(_np(ids), _np(ids2))


def test_mask_zero_ignores_padding():
    keras.utils.set_random_seed(3)
    model = build_rnn_lm(VOCAB, embedding_dim=4, units=5, mask_zero=True)
    ids = np.array([[3, 4, 0, 0]], "int32")
    # With masking, the state is carried over padding, so the logits at padded steps equal
    # the logits at the last real token.
    out = _np(model(ids))
    np.testing.assert_allclose(out[0, 2], out[0, 1], atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"vocabulary_size": 1}, "vocabulary_size=1"),
        ({"units": 0}, "units=0"),
        ({"num_layers": 0}, "num_layers=0"),
        ({"cell": "rnn"}, "cell='rnn'"),
        ({"dropout": 1.0}, "dropout=1.0"),
    ],
)
def test_builder_arguments_are_validated(kwargs, message):
    args = {"vocabulary_size": VOCAB, **kwargs}
    with pytest.raises(ValueError, match=message):
        build_rnn_lm(**args)


def test_step_fn_needs_a_recurrent_model():
    model = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(3, 2)])
    with pytest.raises(TypeError, match="no LSTM or GRU"):
        rnn_step_fn(model)


@pytest.mark.slow
def test_train_char_lm_stops_on_its_budget_and_reports_figures():
    from lmkeras.recipes.char_lm import CharLMConfig, train_char_lm

    text = "to be or not to be, that is the question. " * 20
    tiny = CharLMConfig(
        units=8, embedding_dim=4, sequence_length=10, batch_size=4, steps_per_epoch=3
    )
    run = train_char_lm(text[:700], text[700:], seconds=0.5, config=tiny)
    # The budget, not max_epochs (10,000), ended the run.
    assert 1 <= len(run.history["val_loss"]) < 10_000
    epochs = len(run.history["loss"])
    assert 3 * (epochs - 1) < run.steps <= 3 * epochs  # it may stop mid-epoch
    assert run.tokens_per_second > 0
    assert np.isfinite(run.best_val_loss) and run.best_val_loss <= run.history["val_loss"][0]
    assert tuple(run.model(np.zeros((1, 5), "int32")).shape) == (
        1,
        5,
        run.tokenizer.vocabulary_size,
    )
