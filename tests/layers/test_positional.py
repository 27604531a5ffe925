"""Position layers against their formulas, and the property that makes RoPE relative."""

from __future__ import annotations

import numpy as np
import pytest
from keras import ops

from lmkeras.layers import (
    PositionEmbedding,
    RotaryEmbedding,
    SinusoidalEncoding,
    TrainedContext,
)
from lmkeras.testing import check_layer

ATOL = 1e-5


def numpy_sinusoids(length, dim, start=0, wavelength=10000):
    pos = np.arange(start, start + length)[:, None]
    i = np.arange(dim // 2)[None, :]
    angles = pos / wavelength ** (2 * i / dim)
    out = np.zeros((length, dim))
    out[:, 0::2], out[:, 1::2] = np.sin(angles), np.cos(angles)
    return out


def numpy_rope(x, start=0, wavelength=10000):
    length, dim = x.shape[-2], x.shape[-1]
    pos = np.arange(start, start + length)[:, None]
    angles = pos / wavelength ** (np.arange(0, dim, 2)[None, :] / dim)
    cos, sin = np.cos(angles), np.sin(angles)
    a, b = x[..., : dim // 2], x[..., dim // 2 :]
    return np.concatenate([a * cos - b * sin, a * sin + b * cos], axis=-1)


def test_sinusoidal_encoding_matches_the_formula():
    out = SinusoidalEncoding()(np.zeros((2, 5, 6), "float32"), start_index=3)
    np.testing.assert_allclose(ops.convert_to_numpy(out)[1], numpy_sinusoids(5, 6, 3), atol=ATOL)


def test_position_embedding_returns_table_rows_from_start_index():
    layer = PositionEmbedding(sequence_length=10)
    layer(np.zeros((1, 10, 4), "float32"))
    table = ops.convert_to_numpy(layer.embeddings)
    out = layer(np.zeros((2, 3, 4), "float32"), start_index=4)
    np.testing.assert_array_equal(ops.convert_to_numpy(out)[0], table[4:7])


def test_rotary_embedding_matches_numpy_on_3d_and_4d_inputs():
    x = np.random.default_rng(0).normal(size=(2, 5, 3, 8)).astype("float32")  # (B, T, H, D)
    out = ops.convert_to_numpy(RotaryEmbedding()(x, start_index=2))
    expected = numpy_rope(np.swapaxes(x, 1, 2), start=2)  # rotate along T for each head
    np.testing.assert_allclose(out, np.swapaxes(expected, 1, 2), atol=ATOL)
    out3 = ops.convert_to_numpy(RotaryEmbedding()(x[:, :, 0]))
    np.testing.assert_allclose(out3, numpy_rope(x[:, :, 0]), atol=ATOL)


def test_rotary_dot_products_depend_only_on_the_distance():
    rng = np.random.default_rng(1)
    q, k = rng.normal(size=(2, 8)).astype("float32")
    rope = RotaryEmbedding()

    def at(vector, position):
        return ops.convert_to_numpy(rope(vector[None, None], start_index=position))[0, 0]

    np.testing.assert_allclose(at(q, 7) @ at(k, 4), at(q, 3) @ at(k, 0), rtol=1e-4)


@pytest.mark.parametrize(
    "cls, kwargs",
    [
        (SinusoidalEncoding, {"max_wavelength": 100}),
        (PositionEmbedding, {"sequence_length": 6}),
        (RotaryEmbedding, {"max_wavelength": 100}),
    ],
)
def test_layer_checks(cls, kwargs):
    x = np.random.default_rng(2).normal(size=(2, 6, 4)).astype("float32")
    check_layer(cls, kwargs, x, (2, 6, 4), run_fit=cls is PositionEmbedding)


def test_trained_context_passes_ids_through_and_saves_its_length():
    ids = np.random.default_rng(3).integers(0, 50, size=(2, 40)).astype("int32")
    check_layer(TrainedContext, {"sequence_length": 16}, ids, (2, 40), run_fit=False)
    np.testing.assert_array_equal(ops.convert_to_numpy(TrainedContext(16)(ids)), ids)
    assert TrainedContext.from_config(TrainedContext(16).get_config()).sequence_length == 16


def test_bad_arguments_name_the_parameter():
    with pytest.raises(ValueError, match="sequence_length=0"):
        PositionEmbedding(0)
    with pytest.raises(ValueError, match="max_wavelength=-1"):
        RotaryEmbedding(max_wavelength=-1)
    with pytest.raises(ValueError, match="even width"):
        SinusoidalEncoding()(np.zeros((1, 2, 3), "float32"))
