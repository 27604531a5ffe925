"""Attention: the formula against NumPy, the causal mask, multi-head attention vs Keras."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import ops

from lmkeras.layers import MultiHeadAttention, causal_mask, scaled_dot_product_attention
from lmkeras.testing import check_layer

ATOL = 1e-5  # float32 on tiny inputs


def numpy_attention(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    return weights @ v, weights


def test_causal_mask_is_lower_triangular_with_offset():
    np.testing.assert_array_equal(
        ops.convert_to_numpy(causal_mask(4)), np.tril(np.ones((4, 4), bool))
    )
    # Two queries at positions 3 and 4 among 6 keys (3 already cached).
    expected = [[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 0]]
    np.testing.assert_array_equal(ops.convert_to_numpy(causal_mask(2, 6, offset=3)), expected)


@pytest.mark.parametrize("masked", [False, True])
def test_scaled_dot_product_attention_matches_numpy(masked):
    rng = np.random.default_rng(0)
    q, k, v = (rng.normal(size=(2, 3, 4, 5)).astype("float32") for _ in range(3))
    mask = np.tril(np.ones((4, 4), bool)) if masked else None
    out, weights = scaled_dot_product_attention(
        q, k, v, mask=None if mask is None else ops.array(mask)
    )
    ref_out, ref_weights = numpy_attention(q, k, v, mask)
    np.testing.assert_allclose(ops.convert_to_numpy(out), ref_out, atol=ATOL)
    np.testing.assert_allclose(ops.convert_to_numpy(weights), ref_weights, atol=ATOL)


@pytest.mark.parametrize("rotary", [False, True])
def test_multi_head_attention_passes_the_layer_checks(rotary):
    x = np.random.default_rng(1).normal(size=(2, 5, 8)).astype("float32")
    out = check_layer(
        MultiHeadAttention, {"num_heads": 2, "head_dim": 4, "rotary": rotary}, x, (2, 5, 8)
    )
    assert np.all(np.isfinite(ops.convert_to_numpy(out)))


def _copy_from_keras(theirs, ours):
    ours.set_weights(theirs.get_weights())  # same shapes, same order: q, k, v, output


@pytest.mark.parametrize("causal", [False, True])
def test_multi_head_attention_equals_keras_with_copied_weights(causal):
    rng = np.random.default_rng(2)
    query = rng.normal(size=(2, 4, 8)).astype("float32")
    value = rng.normal(size=(2, 6, 8)).astype("float32") if not causal else query
    theirs = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3)
    expected = theirs(query, value, use_causal_mask=causal)
    ours = MultiHeadAttention(num_heads=2, head_dim=3)
    ours(query, value)
    _copy_from_keras(theirs, ours)
    np.testing.assert_allclose(
        ops.convert_to_numpy(ours(query, value, use_causal_mask=causal)),
        ops.convert_to_numpy(expected),
        atol=ATOL,
    )


def test_padding_mask_hides_keys():
    rng = np.random.default_rng(3)
    query = rng.normal(size=(1, 2, 8)).astype("float32")
    value = rng.normal(size=(1, 4, 8)).astype("float32")
    layer = MultiHeadAttention(num_heads=2, head_dim=4)
    mask = np.array([[[True, True, False, False]] * 2])
    changed = value.copy()
    changed[:, 2:] = 100.0  # hidden keys: changing them must not matter
    a = layer(query, value, attention_mask=mask)
    b = layer(query, changed, attention_mask=mask)
    np.testing.assert_allclose(ops.convert_to_numpy(a), ops.convert_to_numpy(b), atol=ATOL)


def test_causal_weights_are_zero_above_the_diagonal_and_rows_sum_to_one():
    x = np.random.default_rng(4).normal(size=(1, 5, 8)).astype("float32")
    _, weights = MultiHeadAttention(2, 4)(x, use_causal_mask=True, return_attention_scores=True)
    weights = ops.convert_to_numpy(weights)  # (B, H, T, T)
    assert weights.shape == (1, 2, 5, 5)
    np.testing.assert_array_equal(np.triu(weights[0, 0], k=1), 0.0)
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=ATOL)


@pytest.mark.parametrize("rotary", [False, True])
def test_cached_calls_equal_the_full_causal_call(rotary):
    x = np.random.default_rng(5).normal(size=(2, 6, 8)).astype("float32")
    layer = MultiHeadAttention(2, 4, rotary=rotary)
    full = ops.convert_to_numpy(layer(x, use_causal_mask=True))
    cache = ops.zeros((2, 2, 2, 8, 4))  # (batch, keys/values, heads, max_length, head_dim)
    out, cache = layer(x[:, :3], cache=cache, cache_index=0)  # the prompt, then one at a time
    outputs = [ops.convert_to_numpy(out)]
    for t in range(3, 6):
        out, cache = layer(x[:, t : t + 1], cache=cache, cache_index=t)
        outputs.append(ops.convert_to_numpy(out))
    np.testing.assert_allclose(np.concatenate(outputs, axis=1), full, atol=ATOL)


def test_cache_in_the_wrong_layout_is_rejected_with_the_expected_shape():
    layer = MultiHeadAttention(2, 4)
    x = np.ones((1, 1, 8), "float32")
    with pytest.raises(ValueError, match=r"num_heads=2, max_length, head_dim=4.*\(1, 2, 8, 2, 4\)"):
        layer(x, cache=ops.zeros((1, 2, 8, 2, 4)), cache_index=0)  # (B, 2, T, H, D): old layout


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"num_heads": 0, "head_dim": 4}, ValueError, "num_heads=0"),
        ({"num_heads": 2, "head_dim": 2.5}, TypeError, "head_dim=2.5"),
        ({"num_heads": 2, "head_dim": 4, "dropout": 1.0}, ValueError, "dropout=1.0"),
        ({"num_heads": 2, "head_dim": 3, "rotary": True}, ValueError, "head_dim=3"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs, error, message):
    with pytest.raises(error, match=message):
        MultiHeadAttention(**kwargs)
