"""Additive (Bahdanau) attention: score(q, k) = vᵀ tanh(W_q q + W_k k + b).

Dot-product attention (chapter 07) compares a query and a key by their inner product;
Bahdanau et al. (2015) scored them with a one-hidden-layer network instead, which lets
queries and keys have different sizes. The weights are the softmax of the scores over the
source positions (padding hidden), and the context is the weighted sum of the keys.

Reference: Bahdanau, Cho and Bengio, "Neural Machine Translation by Jointly Learning to Align
and Translate", ICLR 2015.
"""

from __future__ import annotations

import keras
from keras import ops

from lmkeras._checks import check_int
from lmkeras.layers.attention import MASK_VALUE


def _pair(inputs):
    """`(query, keys)` (tensors or shapes), refused by name when it is anything else."""
    if (
        not isinstance(inputs, (list, tuple))
        or len(inputs) != 2
        or not all(isinstance(x, (list, tuple)) or hasattr(x, "shape") for x in inputs)
    ):
        raise ValueError(
            f"`inputs` must be a pair (query, keys); received {type(inputs).__name__} "
            f"{getattr(inputs, 'shape', '')}."
        )
    return inputs


@keras.saving.register_keras_serializable(package="lmkeras")
class AdditiveAttention(keras.layers.Layer):
    """Additive attention of each query over a sequence of keys, with a source-padding mask.

    For query `q` (size `dq`) and key `k_j` (size `dk`):

        score_j = vᵀ tanh(W_q q + W_k k_j + b)      (W_q: dq×units, W_k: dk×units, v: units)
        weights = softmax(score) over j             (masked keys get weight 0)
        context = Σ_j weights_j k_j                 (size dk)

    Args:
        units: int ≥ 1. Size of the hidden layer of the scoring network. Defaults to `128`.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: `(query, keys)`: query `(batch, Tq, dq)`, keys `(batch, S, dk)`.
        source_mask: optional bool `(batch, S)`; False marks padding, which gets weight 0.
        projected_keys: optional `(batch, S, units)` from `project_keys(keys)`, to reuse the
            keys' projection step after step when decoding.

    Returns:
        `(context, weights)`: context `(batch, Tq, dk)` in the keys' dtype, weights
        `(batch, Tq, S)` in float32 (each row sums to 1).

    Example:
    >>> layer = AdditiveAttention(units=4)
    >>> context, weights = layer((ops.ones((2, 3, 5)), ops.ones((2, 7, 6))))
    >>> tuple(context.shape), tuple(weights.shape)
    ((2, 3, 6), (2, 3, 7))
    """

    def __init__(self, units: int = 128, **kwargs):
        super().__init__(**kwargs)
        self.units = check_int("units", units)
        # Keys coming out of a masked RNN carry a Keras mask; the padding mask is passed
        # explicitly as `source_mask`, and the outputs carry none.
        self.supports_masking = True

    def build(self, input_shape):
        query_shape, keys_shape = _pair(input_shape)
        self.query_kernel = self.add_weight(
            name="query_kernel", shape=(query_shape[-1], self.units), initializer="glorot_uniform"
        )
        self.key_kernel = self.add_weight(
            name="key_kernel", shape=(keys_shape[-1], self.units), initializer="glorot_uniform"
        )
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
        self.score_vector = self.add_weight(
            name="score_vector", shape=(self.units,), initializer="glorot_uniform"
        )

    def project_keys(self, keys):
        """W_k k + b for every key: `(batch, S, dk)` → `(batch, S, units)`."""
        return ops.matmul(keys, self.key_kernel) + self.bias

    def call(self, inputs, source_mask=None, projected_keys=None):
        query, keys = _pair(inputs)
        if source_mask is not None:
            expected = tuple(keys.shape[:2])
            received = tuple(source_mask.shape)
            if len(received) != 2 or not all(
                a is None or b is None or a == b for a, b in zip(received, expected)
            ):
                raise ValueError(
                    f"`source_mask` must have shape (batch, S) = {expected}, one flag per key; "
                    f"received shape {received}."
                )
        if projected_keys is None:
            projected_keys = self.project_keys(keys)
        projected_query = ops.matmul(query, self.query_kernel)  # (B, Tq, units)
        hidden = ops.tanh(projected_query[:, :, None, :] + projected_keys[:, None, :, :])
        # A sum rather than a matmul with a (units, 1) matrix: TensorFlow 2.20's oneDNN
        # batch matmul aborts on some such shapes.
        scores = ops.sum(hidden * self.score_vector, axis=-1)  # (B, Tq, S)
        scores = ops.cast(scores, "float32")
        if source_mask is not None:
            scores = ops.where(ops.cast(source_mask, "bool")[:, None, :], scores, MASK_VALUE)
        weights = ops.softmax(scores, axis=-1)  # (B, Tq, S)
        context = ops.matmul(ops.cast(weights, keys.dtype), keys)  # (B, Tq, dk)
        return context, weights

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        query_shape, keys_shape = input_shape
        return (
            (*query_shape[:-1], keys_shape[-1]),
            (*query_shape[:-1], keys_shape[1]),
        )

    def get_config(self):
        return {**super().get_config(), "units": self.units}
