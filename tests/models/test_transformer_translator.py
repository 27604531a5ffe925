"""Transformer translator: round trip, masks on both sides, KV-cache decoding, beam search."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import ops

from lmkeras import sampling
from lmkeras.datasets.translation import END_ID, START_ID
from lmkeras.layers.transformer import TransformerDecoderBlock, TransformerEncoderBlock
from lmkeras.models.transformer_translator import TransformerTranslator
from lmkeras.testing import check_config_has_init_args, check_layer, check_model

# Cached and uncached logits differ only by float32 summation order.
ATOL = 1e-5
TINY = {"source_vocabulary_size": 23, "target_vocabulary_size": 17, "max_length": 12,
        "hidden_dim": 16, "num_encoder_layers": 2, "num_decoder_layers": 2, "num_heads": 2,
        "dropout": 0.0}  # fmt: skip
SOURCE = np.array([[5, 6, 7, 8], [9, 10, 0, 0], [11, 0, 0, 0]], "int32")
TARGET = np.array([[2, 4, 5, 6, 7], [2, 8, 9, 0, 0], [2, 10, 0, 0, 0]], "int32")


def _model(**overrides):
    keras.utils.set_random_seed(1)
    return TransformerTranslator(**{**TINY, **overrides})


def _np(x):
    return ops.convert_to_numpy(x)


@pytest.mark.slow
def test_translator_passes_the_model_checks():
    model = _model(dropout=0.1)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)
    out = check_model(model, (SOURCE, TARGET), target=np.roll(TARGET, -1, axis=1), loss=loss)
    assert tuple(out.shape) == (3, 5, 17)


def test_encoder_block_passes_the_layer_checks():
    x = np.random.default_rng(0).normal(size=(2, 5, 8)).astype("float32")
    check_layer(TransformerEncoderBlock, {"num_heads": 2, "intermediate_dim": 16}, x)


def test_cross_attention_block_keeps_its_config():
    # Its .keras round trip is covered by the translator's check above.
    kwargs = {"num_heads": 2, "intermediate_dim": 16, "cross_attention": True}
    config = check_config_has_init_args(TransformerDecoderBlock(**kwargs), kwargs)
    assert TransformerDecoderBlock.from_config(config).cross_attention


def test_encoder_block_hides_padded_positions():
    x = np.random.default_rng(0).normal(size=(1, 4, 8)).astype("float32")
    block = TransformerEncoderBlock(num_heads=2, intermediate_dim=16)
    mask = np.array([[True, True, False, False]])
    out = _np(block(x, padding_mask=mask))
    changed = x.copy()
    changed[:, 2:] = 7.0  # whatever sits at padded positions
    np.testing.assert_allclose(_np(block(changed, padding_mask=mask))[:, :2], out[:, :2], atol=ATOL)


# The encoder block's padding test above runs on every backend; the whole model, once.
@pytest.mark.slow
def test_source_padding_changes_nothing():
    model = _model()
    logits = _np(model((SOURCE, TARGET)))
    padded = np.pad(SOURCE, [[0, 0], [0, 5]])
    np.testing.assert_allclose(_np(model((padded, TARGET))), logits, atol=ATOL)


def test_padded_source_positions_are_hidden_from_cross_attention():
    # What is *under* the padding must not matter either: the mask, not the embedding of
    # id 0, hides it. Row 1 has padding at positions 2-3; the cross-attention gives them 0.
    weights = _np(_model().cross_attention_weights(SOURCE, TARGET))  # (L, B, H, T, S)
    assert np.all(weights[:, 1, :, :, 2:] == 0)
    assert np.all(weights[:, 2, :, :, 1:] == 0)
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-6)


def test_decoder_mask_is_not_applied_to_cross_attention():
    # The bug of public examples: with the decoder's causal mask on cross-attention, target
    # position 0 could only see source position 0. Here it attends over every source word.
    weights = _np(_model().cross_attention_weights(SOURCE, TARGET))
    assert np.all(weights[:, 0, :, 0, :] > 0)


def test_later_target_tokens_do_not_change_earlier_logits():
    model = _model()
    logits = _np(model((SOURCE, TARGET)))
    changed = TARGET.copy()
    changed[:, 3:] = 5
    np.testing.assert_allclose(_np(model((SOURCE, changed)))[:, :3], logits[:, :3], atol=ATOL)
    padded = np.pad(TARGET, [[0, 0], [0, 3]])
    np.testing.assert_allclose(_np(model((SOURCE, padded)))[:, :5], logits, atol=ATOL)


@pytest.mark.parametrize("use_cache", [True, False])
def test_step_function_logits_equal_the_full_pass(use_cache):
    model = _model()
    logits = _np(model((SOURCE, TARGET)))
    step = model.step_fn(SOURCE, use_cache=use_cache)
    out, state = step(TARGET[:, :2], None)  # a two-token prompt, then one at a time
    steps = [_np(out)]
    for t in range(2, TARGET.shape[1]):
        out, state = step(TARGET[:, t : t + 1], state)
        steps.append(_np(out))
    np.testing.assert_allclose(np.stack(steps, 1), logits[:, 1:], atol=ATOL)


def test_cached_and_uncached_beam_search_agree_and_beam_1_is_greedy():
    model = _model()
    prompt = np.full((3, 1), START_ID, "int32")
    greedy = _np(
        sampling.generate(model.step_fn(SOURCE), prompt, 8, sampling.GreedySampler(), end_id=END_ID)
    )
    beam_1, _ = sampling.beam_search(model.step_fn(SOURCE), prompt, 8, 1, end_id=END_ID)
    np.testing.assert_array_equal(_np(beam_1), greedy)
    cached, cached_scores = sampling.beam_search(model.step_fn(SOURCE), prompt, 8, 3, end_id=END_ID)
    uncached, scores = sampling.beam_search(
        model.step_fn(SOURCE, use_cache=False), prompt, 8, 3, end_id=END_ID
    )
    np.testing.assert_array_equal(_np(cached), _np(uncached))
    np.testing.assert_allclose(_np(cached_scores), _np(scores), atol=ATOL)


def test_decoding_refuses_to_run_past_max_length():
    model = _model()
    step = model.step_fn(SOURCE)
    with pytest.raises(ValueError, match="max_length=12"):
        step(np.full((3, 13), START_ID, "int32"), None)
    with pytest.raises(ValueError, match="max_length is 12"):
        model((np.ones((1, 13), "int32"), TARGET))


def test_first_step_needs_a_multiple_of_the_source_rows():
    with pytest.raises(ValueError, match="multiple of the 3 source rows"):
        _model().step_fn(SOURCE)(np.full((4, 1), START_ID, "int32"), None)


@pytest.mark.parametrize(
    "overrides, message, error",
    [
        ({"hidden_dim": 10, "num_heads": 4}, "hidden_dim=10, num_heads=4", ValueError),
        ({"num_encoder_layers": 0}, "num_encoder_layers=0", ValueError),
        ({"source_vocabulary_size": 2.5}, "source_vocabulary_size=2.5", TypeError),
        ({"dropout": 1.0}, "dropout=1.0", ValueError),
    ],
)
def test_bad_hyperparameters_name_the_parameter(overrides, message, error):
    with pytest.raises(error, match=message):
        TransformerTranslator(**{**TINY, **overrides})


def test_cross_attention_block_without_encoder_outputs_is_refused():
    block = TransformerDecoderBlock(2, 8, cross_attention=True)
    with pytest.raises(ValueError, match="encoder_outputs"):
        block(np.ones((1, 2, 4), "float32"))
