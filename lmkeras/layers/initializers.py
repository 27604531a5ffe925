"""Initializer helper shared by the layers."""

from __future__ import annotations

import keras


def clone_initializer(initializer):
    """A fresh copy of `initializer`, so that a seeded one does not give two weights equal values.

    Example:
    >>> init = keras.initializers.RandomNormal(stddev=0.02, seed=1)
    >>> clone_initializer(init) is init
    False
    """
    initializer = keras.initializers.get(initializer)
    return initializer.__class__.from_config(initializer.get_config())
