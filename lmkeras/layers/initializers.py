"""Initializer helpers shared by the layers."""

from __future__ import annotations

import keras

from lmkeras._checks import describe


def get_initializer(name, value):
    """`keras.initializers.get(value)`, refusing what it cannot interpret by the argument's name.

    Example:
    >>> type(get_initializer("kernel_initializer", "zeros")).__name__
    'Zeros'
    """
    try:
        initializer = None if value is None else keras.initializers.get(value)
    except (ValueError, TypeError):
        initializer = None
    if initializer is None:
        kind = ValueError if isinstance(value, str) else TypeError
        raise kind(
            f"`{name}` must be a Keras initializer or its name (such as 'glorot_uniform'); "
            f"received {name}={describe(value)}."
        )
    return initializer


def clone_initializer(initializer):
    """A fresh copy of `initializer`, so that a seeded one does not give two weights equal values.

    Example:
    >>> init = keras.initializers.RandomNormal(stddev=0.02, seed=1)
    >>> clone_initializer(init) is init
    False
    """
    initializer = get_initializer("initializer", initializer)
    return initializer.__class__.from_config(initializer.get_config())
