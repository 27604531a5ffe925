"""The only backend-specific code of the models: compiling a step, and seeds inside a loop.

`compile_step(fn, model)` compiles a function that calls a model's layers the way Keras compiles
`predict`: XLA through `tf.function` on TensorFlow, `jax.jit` with the weights passed in
(stateless) on JAX, and plain eager calls on PyTorch. `loop_seed(key, step)` gives a sampler
the seed for one iteration of a compiled loop on each backend.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from lmkeras._checks import check_bool, check_callable, check_type


def compile_step(fn: Callable, model: keras.Model, jit: bool = True) -> Callable:
    """Compile `fn(*tensors)`, which calls `model`'s layers; `jit=False` returns `fn` itself.

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
        return fn
    if backend == "tensorflow":
        import tensorflow as tf

        # No AutoGraph: `fn` also runs under jax.jit, so it has no Python control flow on
        # tensors to convert, and converting every function it calls took 0.9 s of the first
        # call (chapter 08's sampling loop, 2026-12-04: 2.9 s against 2.0 s).
        return tf.function(fn, jit_compile=True, reduce_retracing=True, autograph=False)
    import jax

    variables = model.variables

    def stateless(values, *args):
        with keras.StatelessScope(state_mapping=list(zip(variables, values))):
            return fn(*args)

    compiled = jax.jit(stateless)
    return lambda *args: compiled([v.value for v in variables], *args)


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
