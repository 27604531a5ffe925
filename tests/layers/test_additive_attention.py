"""AdditiveAttention against a NumPy forward pass; the padding mask; shared layer checks."""

from __future__ import annotations

import numpy as np
import pytest
from keras import ops

from lmkeras.layers import AdditiveAttention
from lmkeras.testing import check_layer

ATOL = 1e-5


def numpy_additive(query, keys, layer, mask=None):
    w = {v.path.split("/")[-1]: ops.convert_to_numpy(v).astype("float64") for v in layer.weights}
    hidden = np.tanh(
        (query @ w["query_kernel"])[:, :, None, :]
        + (keys @ w["key_kernel"] + w["bias"])[:, None, :, :]
    )  # (B, Tq, S, units)
    scores = hidden @ w["score_vector"]  # (B, Tq, S)
    if mask is not None:
        scores = np.where(mask[:, None, :], scores, -np.inf)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    return weights @ keys, weights


def _inputs(seed=0, batch=2, tq=3, s=5, dq=4, dk=6):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(batch, tq, dq)).astype("float32"),
        rng.normal(size=(batch, s, dk)).astype("float32"),
    )


def test_matches_numpy():
    query, keys = _inputs()
    layer = AdditiveAttention(units=7)
    context, weights = layer((query, keys))
    expected_context, expected_weights = numpy_additive(query, keys, layer)
    np.testing.assert_allclose(ops.convert_to_numpy(weights), expected_weights, atol=ATOL)
    np.testing.assert_allclose(ops.convert_to_numpy(context), expected_context, atol=ATOL)
    assert ops.convert_to_numpy(weights).dtype == np.float32


def test_mask_gives_padding_zero_weight_and_matches_numpy():
    query, keys = _inputs(1)
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    layer = AdditiveAttention(units=5)
    context, weights = layer((query, keys), source_mask=mask)
    weights = ops.convert_to_numpy(weights)
    assert np.all(weights[0, :, 3:] == 0)
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=ATOL)
    expected_context, expected_weights = numpy_additive(query, keys, layer, mask)
    np.testing.assert_allclose(weights, expected_weights, atol=ATOL)
    np.testing.assert_allclose(ops.convert_to_numpy(context), expected_context, atol=ATOL)


def test_padding_keys_change_nothing():
    query, keys = _inputs(2, batch=1, s=3)
    layer = AdditiveAttention(units=4)
    short, _ = layer((query, keys))
    padded_keys = np.concatenate([keys, np.full((1, 2, 6), 9.0, "float32")], axis=1)
    mask = np.array([[1, 1, 1, 0, 0]], bool)
    long, _ = layer((query, padded_keys), source_mask=mask)
    np.testing.assert_allclose(ops.convert_to_numpy(long), ops.convert_to_numpy(short), atol=ATOL)


def test_projected_keys_give_the_same_output():
    query, keys = _inputs(3)
    layer = AdditiveAttention(units=4)
    a, _ = layer((query, keys))
    b, _ = layer((query, keys), projected_keys=layer.project_keys(keys))
    np.testing.assert_allclose(ops.convert_to_numpy(a), ops.convert_to_numpy(b), atol=ATOL)


def test_shared_layer_checks():
    query, keys = _inputs(4)
    check_layer(
        AdditiveAttention,
        {"units": 3},
        [query, keys],
        expected_output_shape=(2, 3, 6),
        target=[np.zeros((2, 3, 6), "float32"), np.zeros((2, 3, 5), "float32")],
        loss=["mse", "mse"],
    )


@pytest.mark.parametrize(
    "units, error",
    [(0, ValueError), (-1, ValueError), (2.5, TypeError), (True, TypeError), ("8", TypeError)],
)
def test_bad_units(units, error):
    with pytest.raises(error, match=f"units={units!r}"):
        AdditiveAttention(units=units)
