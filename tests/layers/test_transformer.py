"""Decoder block against a NumPy forward pass; causality; the tied embedding; layer checks."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
from keras import ops

from lmkeras.layers import (
    FeedForward,
    TiedEmbedding,
    TransformerDecoderBlock,
    TransformerEncoderBlock,
)
from lmkeras.testing import check_layer

ATOL = 1e-5


def _layer_norm(x, gamma, beta, eps=1e-5):
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def _gelu(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def numpy_block(x, block):
    w = {v.path.split("/", 1)[1]: ops.convert_to_numpy(v) for v in block.weights}
    h = _layer_norm(x, w["attention_norm/gamma"], w["attention_norm/beta"])
    q, k, v = (
        np.einsum("btd,dhk->bhtk", h, w[f"attention/{n}/kernel"])
        + w[f"attention/{n}/bias"][:, None]
        for n in ("query", "key", "value")
    )
    scores = q @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1])
    scores = np.where(np.tril(np.ones(scores.shape[-2:], bool)), scores, -np.inf)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    heads = weights @ v  # (B, H, T, D)
    out = np.einsum("bhtk,hkd->btd", heads, w["attention/attention_output/kernel"])
    x = x + out + w["attention/attention_output/bias"]
    h = _layer_norm(x, w["mlp_norm/gamma"], w["mlp_norm/beta"])
    h = _gelu(h @ w["mlp/hidden/kernel"] + w["mlp/hidden/bias"])
    return x + h @ w["mlp/projection/kernel"] + w["mlp/projection/bias"]


def test_decoder_block_matches_numpy():
    x = np.random.default_rng(0).normal(size=(2, 5, 8)).astype("float32")
    block = TransformerDecoderBlock(num_heads=2, intermediate_dim=16)
    out = ops.convert_to_numpy(block(x))
    np.testing.assert_allclose(out, numpy_block(x.astype("float64"), block), atol=ATOL)


def test_decoder_block_is_causal():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1, 6, 8)).astype("float32")
    changed = x.copy()
    changed[:, 4:] = rng.normal(size=(1, 2, 8))
    block = TransformerDecoderBlock(num_heads=2, intermediate_dim=16)
    a, b = ops.convert_to_numpy(block(x)), ops.convert_to_numpy(block(changed))
    np.testing.assert_allclose(a[:, :4], b[:, :4], atol=ATOL)
    assert not np.allclose(a[:, 4:], b[:, 4:])


@pytest.mark.parametrize(
    "cls, kwargs",
    [
        (FeedForward, {"intermediate_dim": 16, "dropout": 0.1}),
        (TransformerDecoderBlock, {"num_heads": 2, "intermediate_dim": 16, "dropout": 0.1}),
        (TransformerDecoderBlock, {"num_heads": 2, "intermediate_dim": 16, "rotary": True}),
        (
            TransformerDecoderBlock,
            {"num_heads": 2, "intermediate_dim": 16, "dropout": 0.1, "attention_dropout": 0.0},
        ),
    ],
)
def test_layer_checks(cls, kwargs):
    x = np.random.default_rng(2).normal(size=(2, 5, 8)).astype("float32")
    check_layer(cls, kwargs, x, (2, 5, 8))


@pytest.mark.parametrize("dtype", ["float32", "mixed_bfloat16"])
@pytest.mark.parametrize(
    "cls, kwargs",
    [
        (TransformerDecoderBlock, {"rotary": True, "norm": "rms", "qk_norm": True}),
        (TransformerEncoderBlock, {"dropout": 0.1}),
    ],
)
def test_block_output_spec_is_the_traced_one(cls, kwargs, dtype):
    # Blocks state their output spec instead of tracing `call` (a faster `.keras` load): it
    # must be what tracing gives, for every dtype policy.
    block = cls(num_heads=2, intermediate_dim=16, dtype=dtype, **kwargs)
    called = block(keras.Input((5, 8)))  # float32 in: `__call__` casts to the compute dtype
    x = keras.KerasTensor((None, 5, 8), block.compute_dtype)
    traced = keras.layers.Layer.compute_output_spec(block, x)  # Keras' own: traces `call`
    assert (called.shape, called.dtype) == (traced.shape, traced.dtype)


def test_cross_attention_block_without_encoder_outputs_refuses_symbolic_inputs_too():
    block = TransformerDecoderBlock(num_heads=2, intermediate_dim=16, cross_attention=True)
    with pytest.raises(ValueError, match="needs `encoder_outputs`"):
        block(keras.Input((5, 8)))


def test_tied_embedding_reverse_is_the_transposed_table():
    ids = np.array([[1, 4, 2]], "int32")
    check_layer(TiedEmbedding, {"vocabulary_size": 6, "output_dim": 4}, ids, (1, 3, 4))
    layer = TiedEmbedding(6, 4)
    vectors = layer(ids)
    table = ops.convert_to_numpy(layer.embeddings)
    np.testing.assert_array_equal(ops.convert_to_numpy(vectors)[0], table[[1, 4, 2]])
    logits = ops.convert_to_numpy(layer(vectors, reverse=True))
    np.testing.assert_allclose(logits[0], table[[1, 4, 2]] @ table.T, atol=ATOL)


def test_bad_arguments_name_the_parameter():
    with pytest.raises(ValueError, match=r"width=10, num_heads=3"):
        TransformerDecoderBlock(num_heads=3, intermediate_dim=8)(np.zeros((1, 2, 10), "float32"))
    with pytest.raises(ValueError, match="intermediate_dim=0"):
        FeedForward(0)
    with pytest.raises(ValueError, match="dropout=1.5"):
        TransformerDecoderBlock(2, 8, dropout=1.5)
    with pytest.raises(ValueError, match="vocabulary_size=0"):
        TiedEmbedding(0, 4)
