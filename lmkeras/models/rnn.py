"""Recurrent (LSTM/GRU) language models for characters or words, and their step function.

`build_rnn_lm()` builds Embedding → (LSTM | GRU) × layers → Dense logits: ids `(batch, length)` in,
next-token logits `(batch, length, vocab)` out. `rnn_step_fn()` turns a built model into the
`step_fn(new_ids, state) -> (logits, state)` of `lmkeras.sampling`: the state is each layer's
recurrent state, so generating one more token costs one cell update per layer instead of
re-running the whole prefix.

Reference: Karpathy, "The Unreasonable Effectiveness of Recurrent Neural Networks" (2015);
Zaremba et al., "Recurrent Neural Network Regularization" (2014), for dropout between layers.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np  # noqa: F401 (doctests)
from keras import ops

from lmkeras._checks import (
    check_bool,
    check_choice,
    check_int,
    check_rate,
    check_token_ids,
    check_type,
)

CELLS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


def build_rnn_lm(
    vocabulary_size: int,
    embedding_dim: int = 64,
    units: int = 256,
    num_layers: int = 1,
    cell: str = "lstm",
    dropout: float = 0.0,
    mask_zero: bool = False,
    name: str = "rnn_lm",
) -> keras.Model:
    """Build a recurrent language model that returns next-token logits at every position.

    Args:
        vocabulary_size: int ≥ 2. Number of token ids.
        embedding_dim: int ≥ 1. Size of each token's vector. Defaults to `64`.
        units: int ≥ 1. Size of each recurrent layer's state. Defaults to `256`.
        num_layers: int ≥ 1. Stacked recurrent layers. Defaults to `1`.
        cell: str. `"lstm"` or `"gru"`. Defaults to `"lstm"`.
        dropout: float in [0, 1). Dropout on the non-recurrent connections (after the
            embedding, between layers, before the output), active only in training.
            Defaults to `0.0`.
        mask_zero: bool. Treat id 0 as padding (word LMs with padded sentences).
            Defaults to `False`.
        name: str. Model name. Defaults to `"rnn_lm"`.

    Returns:
        keras.Model: int ids `(batch, length)` → float32 logits `(batch, length, vocabulary_size)`.
        Train it with `SparseCategoricalCrossentropy(from_logits=True)`.

    Example:
    >>> model = build_rnn_lm(vocabulary_size=10, embedding_dim=4, units=8)
    >>> tuple(model(np.zeros((2, 5), "int32")).shape)
    (2, 5, 10)
    """
    check_int("vocabulary_size", vocabulary_size, 2)
    check_int("embedding_dim", embedding_dim)
    check_int("units", units)
    check_int("num_layers", num_layers)
    check_choice("cell", cell, tuple(CELLS))
    check_rate("dropout", dropout)
    check_bool("mask_zero", mask_zero)
    ids = keras.Input(shape=(None,), dtype="int32", name="ids")
    x = keras.layers.Embedding(
        vocabulary_size, embedding_dim, mask_zero=mask_zero, name="embedding"
    )(ids)
    for i in range(num_layers):
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"dropout_{i}")(x)
        # return_state lets rnn_step_fn call the same layer with a carried state; the model
        # itself uses only the sequence output.
        x = CELLS[cell](units, return_sequences=True, return_state=True, name=f"{cell}_{i}")(x)[0]
    if dropout:
        x = keras.layers.Dropout(dropout, name=f"dropout_{num_layers}")(x)
    logits = keras.layers.Dense(vocabulary_size, dtype="float32", name="logits")(x)
    return keras.Model(ids, logits, name=name)


def rnn_step_fn(model: keras.Model):
    """The `lmkeras.sampling` step function of a model built by `build_rnn_lm`, carrying its state.

    The first call runs the whole prompt through each recurrent layer and keeps its final
    state; every later call feeds one token through each layer's cell. Dropout is off
    (inference).

    Args:
        model: keras.Model from `build_rnn_lm` (layers named `embedding`, `lstm_i`/`gru_i`,
            `logits`).

    Returns:
        `step_fn(new_ids, state) -> (logits, state)`; `state` is a list with one list of
        tensors `(batch, units)` per layer (`[h, c]` for an LSTM, `[h]` for a GRU).

    Example:
    >>> from lmkeras.sampling import GreedySampler, generate
    >>> model = build_rnn_lm(vocabulary_size=10, embedding_dim=4, units=8)
    >>> tuple(generate(rnn_step_fn(model), np.zeros((2, 3), "int32"), 4, GreedySampler()).shape)
    (2, 7)
    """
    check_type("model", model, keras.Model, "a keras.Model built by `build_rnn_lm`")
    recurrent = [layer for layer in model.layers if isinstance(layer, tuple(CELLS.values()))]
    if not recurrent:
        raise TypeError(
            f"`model` must be built by build_rnn_lm; {model.name!r} has no LSTM or GRU layer."
        )
    embedding = model.get_layer("embedding")
    head = model.get_layer("logits")
    vocabulary_size = embedding.input_dim

    def step_fn(new_ids: Any, state: Any) -> tuple[Any, Any]:
        new_ids = check_token_ids("new_ids", new_ids, vocabulary_size, ndim=2)
        x = embedding(ops.convert_to_tensor(new_ids))  # (B, n, E)
        new_state = []
        for i, layer in enumerate(recurrent):
            if state is None:
                outputs = layer(x)
                x, layer_state = outputs[0], list(outputs[1:])
            else:
                # One token: the cell alone is much cheaper than the layer's loop.
                h, layer_state = layer.cell(x[:, -1], list(state[i]))
                x = h[:, None, :]
            new_state.append(layer_state)
        return ops.cast(head(x[:, -1]), "float32"), new_state

    return step_fn
