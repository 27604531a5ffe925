"""ThreefryDropout and lmkeras.backend.dropout: the rate, the scaling, seeds, inside and outside
XLA."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import ops

from lmkeras.backend import compile_step, dropout
from lmkeras.layers import ThreefryDropout

X = np.ones((4, 64, 128), "float32")


def _np(x):
    return ops.convert_to_numpy(x)


def _check_dropped(out, rate, noise_shape=None):
    out = _np(out)
    np.testing.assert_allclose(out[out != 0], 1 / (1 - rate), rtol=1e-6)
    independent = np.prod(noise_shape or out.shape)  # 4 binomial standard deviations
    assert abs((out == 0).mean() - rate) < 4 * np.sqrt(rate * (1 - rate) / independent)
    if noise_shape is not None:  # one mask value along each axis of size 1
        for axis, size in enumerate(noise_shape):
            if size == 1:
                assert (np.diff(out, axis=axis) == 0).all()


@pytest.mark.parametrize("rate", [0.1, 0.4])
@pytest.mark.parametrize("jit", [False, True])
def test_training_drops_the_rate_and_scales_the_rest_in_and_out_of_xla(rate, jit):
    layer = ThreefryDropout(rate, seed=3)
    step = compile_step(lambda x: layer(x, training=True), layer, jit=jit)
    first, second = _np(step(X)), _np(step(X))
    _check_dropped(first, rate)
    _check_dropped(second, rate)
    if keras.backend.backend() != "jax":  # jax.jit here does not thread the seed state through
        assert (first != second).any(), "the seed generator must advance between calls"


def test_noise_shape_shares_the_mask_along_its_axes():
    layer = ThreefryDropout(0.5, noise_shape=(None, 1, 128), seed=0)
    step = compile_step(lambda x: layer(x, training=True), layer)
    _check_dropped(step(X), 0.5, (4, 1, 128))


def test_same_seed_same_masks_and_inference_is_the_identity():
    a, b = ThreefryDropout(0.3, seed=7), ThreefryDropout(0.3, seed=7)
    np.testing.assert_array_equal(_np(a(X, training=True)), _np(b(X, training=True)))
    np.testing.assert_array_equal(_np(a(X)), X)
    np.testing.assert_array_equal(_np(ThreefryDropout(0.0)(X, training=True)), X)


def test_config_round_trip_keeps_rate_noise_shape_and_seed():
    layer = ThreefryDropout(0.2, noise_shape=(None, 1, 8), seed=5, name="drop")
    restored = ThreefryDropout.from_config(layer.get_config())
    assert (restored.rate, restored.noise_shape, restored.seed) == (0.2, (None, 1, 8), 5)


def test_backend_dropout_matches_the_rate_eagerly():
    _check_dropped(dropout(ops.convert_to_tensor(X), 0.25, keras.random.SeedGenerator(1)), 0.25)


def test_masks_are_threefry_inside_xla_on_tensorflow_and_keras_own_elsewhere():
    if keras.backend.backend() != "tensorflow":  # keras.random.dropout itself, same seed
        ours = dropout(ops.convert_to_tensor(X), 0.5, keras.random.SeedGenerator(3))
        theirs = keras.random.dropout(
            ops.convert_to_tensor(X), 0.5, seed=keras.random.SeedGenerator(3)
        )
        np.testing.assert_array_equal(_np(ours), _np(theirs))
        return
    import tensorflow as tf

    seed = tf.cast(keras.random.SeedGenerator(3).next(), "int64")
    generator = keras.random.SeedGenerator(3)
    ours = tf.function(lambda x: dropout(x, 0.5, generator), jit_compile=True)
    threefry = tf.function(
        lambda x: tf.nn.experimental.stateless_dropout(x, 0.5, seed, rng_alg="threefry"),
        jit_compile=True,
    )
    np.testing.assert_array_equal(_np(ours(X)), _np(threefry(X)))
