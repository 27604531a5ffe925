"""`lmkeras.backend`: compiled steps take NumPy, and draws from a seed a generator gave."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import ops

from lmkeras import backend


@pytest.mark.parametrize("jit", [True, False])
def test_a_compiled_step_takes_numpy_as_it_takes_tensors(jit):
    layer = keras.layers.Dense(3)
    layer.build((None, 4))
    step = backend.compile_step(lambda x, scale: layer(x) * ops.cast(scale, "float32"), layer, jit)
    x = np.random.default_rng(0).normal(size=(2, 4)).astype("float32")
    from_numpy = ops.convert_to_numpy(step(x, np.int32(3)))
    from_tensors = ops.convert_to_numpy(step(ops.convert_to_tensor(x), ops.convert_to_tensor(3)))
    np.testing.assert_allclose(from_numpy, from_tensors, rtol=1e-6)
    np.testing.assert_allclose(from_numpy, 3 * ops.convert_to_numpy(layer(x)), rtol=1e-5)


@pytest.mark.parametrize("jit", [True, False])
def test_a_compiled_step_gives_each_shape_its_own_results_without_tracing_again(jit):
    """On TensorFlow a step runs through the concrete function of its arguments' shapes
    (a default argument, lists of tensors and a variable included); a Python value takes the
    plain call. Every call must give what the eager function gives, and the same shapes must
    not trace again."""
    layer = keras.layers.Dense(2)
    layer.build((None, 3))
    scale = keras.Variable(np.float32(2.0))
    traces = []

    def fn(x, pair, factor, offset=1.0):
        traces.append(tuple(x.shape))
        return layer(x) * factor + pair[0] - pair[1] + offset

    step = backend.compile_step(fn, layer, jit)
    rng = np.random.default_rng(1)
    for rows in (2, 5, 2, 5):
        x = rng.normal(size=(rows, 3)).astype("float32")
        pair = [rng.normal(size=(rows, 2)).astype("float32"), np.ones((rows, 2), "float32")]
        pair = [ops.convert_to_tensor(p) for p in pair]
        for factor in (scale.value, 3.0):
            expected = ops.convert_to_numpy(fn(ops.convert_to_tensor(x), pair, factor))
            np.testing.assert_allclose(
                ops.convert_to_numpy(step(x, pair, factor)), expected, rtol=1e-5, atol=1e-6
            )
    if jit and keras.backend.backend() in ("tensorflow", "jax"):
        # One eager call per step above, plus one trace per shape and kind of factor; a
        # backend that compiles never traces a shape it has seen.
        assert len(traces) - 8 <= 4


def test_a_compiled_draw_draws_the_numbers_of_its_eager_ops():
    """XLA's generators would draw other numbers from the same seed: compile_draw keeps them."""
    logits = np.zeros((64, 10), "float32")  # uniform: draws differ from seed to seed
    seed = keras.random.SeedGenerator(2).next()
    eager = ops.convert_to_numpy(backend.categorical(ops.convert_to_tensor(logits), seed))
    compiled = ops.convert_to_numpy(backend.compile_draw(backend.categorical)(logits, seed))
    np.testing.assert_array_equal(compiled, eager)


def test_categorical_draws_from_a_drawn_seed_as_from_its_generator():
    """A seed taken from a generator (`next()`) draws reproducibly, the ids the generator itself
    draws; the generator then moves on to other ids."""
    logits = ops.convert_to_tensor(np.zeros((64, 10), "float32"))  # uniform: draws differ
    generator, twin = keras.random.SeedGenerator(5), keras.random.SeedGenerator(5)
    from_generator = ops.convert_to_numpy(backend.categorical(logits, generator))
    seed = twin.next()
    from_seed = ops.convert_to_numpy(backend.categorical(logits, seed))
    np.testing.assert_array_equal(from_seed, from_generator)
    np.testing.assert_array_equal(
        from_seed, ops.convert_to_numpy(backend.categorical(logits, seed))
    )
    assert not np.array_equal(from_seed, ops.convert_to_numpy(backend.categorical(logits, twin)))
    assert from_seed.dtype == np.int32 and from_seed.shape == (64,)


def test_seed_from_global_follows_the_global_seed():
    """`seed=None` in `generate` and `gpt_generate`: reproducible after set_random_seed, new
    numbers at each call."""
    keras.utils.set_random_seed(11)
    first = [backend.seed_from_global() for _ in range(3)]
    keras.utils.set_random_seed(11)
    assert [backend.seed_from_global() for _ in range(3)] == first
    assert len(set(first)) == 3 and all(isinstance(s, int) and 0 <= s < 2**31 for s in first)
