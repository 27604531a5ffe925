"""The only backend-specific code of the models: compiling a step, and seeds inside a loop.

`compile_step(fn, model)` compiles a function that calls a model's layers the way Keras compiles
`predict`: XLA through `tf.function` on TensorFlow, `jax.jit` with the weights passed in
(stateless) on JAX, and plain eager calls on PyTorch. `loop_seed(key, step)` gives a sampler
the seed for one iteration of a compiled loop on each backend; `categorical` draws from a seed
of any of those kinds, `compile_draw` compiles a sampler's draw for a Python loop, and
`seed_from_global` gives a loop's generator a seed from Keras' global one.
`dropout` is `keras.random.dropout` with TensorFlow's ThreeFry generator inside XLA.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from lmkeras._checks import check_bool, check_callable, check_rate, check_type


def compile_step(fn: Callable, model: keras.Model, jit: bool = True) -> Callable:
    """Compile `fn(*tensors)`, which calls `model`'s layers; `jit=False` runs `fn` eagerly.

    The compiled callable also takes NumPy arrays for its top-level tensors: JAX hands them to
    its program as they are, which is faster than converting them first (one eager dispatch
    each: a Python loop's ids and position at every token); the other backends convert them.

    Args:
        fn: a function of tensors (and nested lists of tensors) that calls `model`'s layers.
        model: the `keras.Model` (or layer) whose variables `fn` reads.
        jit: bool. Compile on TensorFlow and JAX; PyTorch always runs eagerly here, since
            `torch.compile` recompiles for every new sequence length. Defaults to `True`.

    Returns:
        A callable with the signature of `fn`.

    Example:
    >>> layer = keras.layers.Dense(2)
    >>> layer.build((None, 3))
    >>> double = compile_step(lambda x: 2 * layer(x), layer)
    >>> tuple(double(keras.ops.ones((1, 3))).shape)
    (1, 2)
    """
    check_callable("fn", fn)
    check_type(
        "model", model, keras.layers.Layer, "the keras Model (or Layer) whose variables fn reads"
    )
    check_bool("jit", jit)
    backend = keras.backend.backend()
    if not jit or backend not in ("tensorflow", "jax"):
        return _numpy_converted(fn)
    if backend == "tensorflow":
        import tensorflow as tf

        # No AutoGraph: `fn` also runs under jax.jit, so it has no Python control flow on
        # tensors to convert, and converting every function it calls took 0.9 s of the first
        # call (chapter 08's sampling loop, 2026-12-04: 2.9 s against 2.0 s).
        return _concrete_calls(
            tf.function(fn, jit_compile=True, reduce_retracing=True, autograph=False)
        )
    import jax

    variables = model.variables

    def stateless(values, *args):
        with keras.StatelessScope(state_mapping=list(zip(variables, values))):
            return fn(*args)

    compiled = jax.jit(stateless)
    return lambda *args: compiled([v.value for v in variables], *args)


def _numpy_converted(fn: Callable) -> Callable:
    """`fn` with its top-level NumPy arguments converted to tensors."""

    def call(*args):
        return fn(*(keras.ops.convert_to_tensor(a) if isinstance(a, (np.ndarray, np.generic))
                    else a for a in args))  # fmt: skip

    return call


def _concrete_calls(function: Any) -> Callable:
    """Call the `tf.function` `function` through the concrete function for its arguments' shapes.

    A `tf.function` call matches its arguments against its traces (hashing each one's type and
    binding the signature) before it runs the graph: 0.3 of the 1.05 ms a cached GPT step took
    in a Python loop (2026-12-05). The concrete function for the same shapes, kept here, runs
    without that; a new shape asks `function` once, which traces only where it would have
    anyway. Arguments that are not tensors or variables (a Python value) take the plain call.
    NumPy arguments are converted first, by `_numpy_converted` (a `tf.function` also takes
    NumPy, but slower: 0.23 against 0.19 ms a call with the conversion, 2026-12-05).
    """
    signature = inspect.signature(function.python_function)
    concrete = {}

    def call(*args):
        key = _shapes_key(args)
        if key is None:
            return function(*args)
        entry = concrete.get(key)
        if entry is None:
            # A concrete function wants every argument, defaults included.
            bound = signature.bind(*args)
            bound.apply_defaults()
            entry = concrete[key] = (function.get_concrete_function(*args),
                                     bound.args[len(args):], bound.kwargs)  # fmt: skip
        concrete_function, defaults, keyword_defaults = entry
        return concrete_function(*args, *defaults, **keyword_defaults)

    return _numpy_converted(call)


def _shapes_key(args: tuple) -> tuple | None:
    """The structure, shapes and dtypes of `args` (tensors, variables and lists of them), or
    None where one is something else."""
    import tensorflow as tf

    key = [len(a) if isinstance(a, (list, tuple)) else -1 for a in args]
    for leaf in tf.nest.flatten(args):
        if not isinstance(leaf, (tf.Tensor, tf.Variable)):
            return None
        key.append((tuple(leaf.shape), leaf.dtype, isinstance(leaf, tf.Variable)))
    return tuple(key)


def compile_draw(fn: Callable) -> Callable:
    """Compile `fn(*tensors)`, a random draw that reads no variable, keeping its random numbers.

    `jax.jit` on JAX; on TensorFlow a graph (`tf.function`) *without* XLA, whose random ops are
    the eager ones (XLA has generators of its own, so the same seed would draw other numbers);
    eager on PyTorch. A sampler's draw in a Python loop costs one call instead of a dozen eager
    dispatches (top-k, per token: 2.1 → 0.6 ms on TensorFlow, 2026-12-05).

    Args:
        fn: a function of tensors that reads no Keras variable.

    Returns:
        A callable with the signature of `fn`, which also takes NumPy arrays (as `compile_step`).

    Example:
    >>> draw = compile_draw(categorical)
    >>> seed = keras.random.SeedGenerator(0).next()
    >>> keras.ops.convert_to_numpy(draw(np.array([[0.0, 50.0]], "float32"), seed)).tolist()
    [1]
    """
    check_callable("fn", fn)
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return jax.jit(fn)
    if backend == "tensorflow":
        import tensorflow as tf

        return _concrete_calls(tf.function(fn, reduce_retracing=True, autograph=False))
    return _numpy_converted(fn)


def loop_seed(key: Any, step: Any) -> Any:
    """The seed a sampler gets at `step` of a compiled loop.

    On JAX, `key` is a raw key and each step folds its index in (a `SeedGenerator` cannot
    update its state inside `jax.jit` without being threaded through); elsewhere `key` is a
    `keras.random.SeedGenerator`, which advances its own state variable in the loop.
    """
    if keras.backend.backend() == "jax":
        import jax

        return jax.random.fold_in(key, step)
    return key


def seed_from_global() -> int:
    """An int seed drawn from Keras' global seed: `seed=None` made reproducible by
    `keras.utils.set_random_seed`, for a loop that needs a `SeedGenerator` of its own.

    Example:
    >>> keras.utils.set_random_seed(1)
    >>> first = seed_from_global()
    >>> keras.utils.set_random_seed(1)
    >>> seed_from_global() == first
    True
    """
    return int(keras.ops.convert_to_numpy(keras.random.randint((), 0, 2**31 - 1)))


def categorical(logits: Any, seed: Any) -> Any:
    """One id per row of `logits`, drawn from `softmax(logits)`: `keras.random.categorical`.

    `seed` is anything `keras.random.categorical` takes (an int, a `SeedGenerator`, None, a
    raw key on JAX), or a seed a `SeedGenerator` drew (`generator.next()`), which that function
    refuses as a tensor on TensorFlow and PyTorch: a sampler's draw compiled on its own
    (`compile_draw`) takes its seed from outside, and the ids equal those the generator itself
    gives.

    Args:
        logits: `(batch, vocabulary)` float tensor.
        seed: as above.

    Returns:
        int32 ids `(batch,)`.

    Example:
    >>> ids = categorical(keras.ops.convert_to_tensor([[0.0, 50.0, 0.0]]), 7)
    >>> keras.ops.convert_to_numpy(ids).tolist()
    [1]
    """
    shape = tuple(keras.ops.shape(logits))
    if len(shape) != 2:
        raise ValueError(f"`logits` must have shape (batch, vocabulary); received shape {shape}.")
    backend = keras.backend.backend()
    drawn = not isinstance(seed, (int, keras.random.SeedGenerator, type(None)))
    if drawn and backend == "tensorflow":
        import tensorflow as tf

        # As keras.random.categorical folds a generator's int64 state into XLA's int32 seeds.
        seed = tf.convert_to_tensor(seed)
        if seed.dtype != tf.int32:
            seed = tf.cast(tf.math.floormod(seed, tf.int32.max - 1), tf.int32)
        ids = tf.random.stateless_categorical(logits, 1, seed=seed)
    else:
        if drawn and backend == "torch":  # Keras seeds torch's generator with the pair's sum
            seed = int(keras.ops.sum(keras.ops.cast(seed, "int64"))) & 0xFFFFFFFF
        ids = keras.random.categorical(logits, 1, seed=seed)
    return keras.ops.cast(ids[:, 0], "int32")


def dropout(
    inputs: Any,
    rate: float,
    seed: keras.random.SeedGenerator,
    noise_shape: tuple | None = None,
) -> Any:
    """`keras.random.dropout`, drawing its mask with ThreeFry when TensorFlow compiles with XLA.

    TensorFlow's stateless random ops pick Philox, which XLA:CPU generates 3× slower than
    ThreeFry (9 masks of 32 × 128 × 128: 27 ms against 8.6 ms on a 2-core Xeon, 2026-12-04);
    the residual dropout of chapter 08's recipe then cost 12% of its training speed. TensorFlow
    has ThreeFry only inside XLA, so outside it (eager, `tf.function` without `jit_compile`)
    and on the other backends this is `keras.random.dropout` itself (JAX's default generator is
    ThreeFry already). Kept units are scaled by 1 / (1 - rate) either way.

    Args:
        inputs: tensor.
        rate: float in [0, 1). Fraction of units set to 0.
        seed: `keras.random.SeedGenerator`; advanced by one draw.
        noise_shape: tuple or None. Shape of the mask, broadcast over `inputs`; None entries
            take `inputs`' size. None: the shape of `inputs`.

    Returns:
        A tensor like `inputs`.

    Example:
    >>> x = dropout(keras.ops.ones((2, 1000)), 0.25, keras.random.SeedGenerator(0))
    >>> round(float(keras.ops.mean(keras.ops.cast(x == 0, "float32"))), 1)
    0.2
    """
    check_rate("rate", rate)
    check_type("seed", seed, keras.random.SeedGenerator, "a keras.random.SeedGenerator")
    if keras.backend.backend() != "tensorflow" or not _in_xla():
        return keras.random.dropout(inputs, rate, noise_shape=noise_shape, seed=seed)
    import tensorflow as tf

    if noise_shape is not None:
        noise_shape = [tf.shape(inputs)[i] if size is None else size
                       for i, size in enumerate(noise_shape)]  # fmt: skip
    return tf.nn.experimental.stateless_dropout(
        inputs, rate=rate, seed=tf.cast(seed.next(), "int64"), noise_shape=noise_shape,
        rng_alg="threefry",
    )  # fmt: skip


def _in_xla() -> bool:
    """Whether TensorFlow is tracing a function that XLA compiles (`jit_compile=True`)."""
    try:
        import tensorflow as tf
        from tensorflow.python.ops.control_flow_util import GraphOrParentsInXlaContext
    except ImportError:  # a TensorFlow without the helper: Philox, as keras.random does
        return False
    return tf.inside_function() and GraphOrParentsInXlaContext(tf.compat.v1.get_default_graph())
