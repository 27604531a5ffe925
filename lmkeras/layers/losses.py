"""Losses that live beside the layers: next-token cross-entropy that ignores padding.

Keras' `SparseCategoricalCrossentropy(ignore_class=0)` averages per batch element; the course's
translators want the mean over *real words of the whole batch*, and label smoothing, in one
serialisable object that a `.keras` file restores.
"""

from __future__ import annotations

import keras
from keras import ops

from lmkeras._checks import check_rate


def token_cross_entropy(y_true, y_pred, label_smoothing: float = 0.0):
    """−log p of each target token, `(batch, length)` float32, from logits `(batch, length, V)`.

    Padding is not masked here: the losses that call this choose how to count real words.
    """
    if len(y_pred.shape) != len(y_true.shape) + 1:
        raise ValueError(
            f"`y_pred` must be logits (batch, length, vocabulary) for targets (batch, "
            f"length); received y_pred shape {tuple(y_pred.shape)} and y_true shape "
            f"{tuple(y_true.shape)}."
        )
    y_true = ops.cast(y_true, "int32")
    log_probs = ops.log_softmax(ops.cast(y_pred, "float32"), axis=-1)
    nll = -ops.take_along_axis(log_probs, y_true[..., None], axis=-1)[..., 0]
    if label_smoothing:
        uniform = -ops.mean(log_probs, axis=-1)
        nll = (1 - label_smoothing) * nll + label_smoothing * uniform
    return nll


@keras.saving.register_keras_serializable(package="lmkeras")
class MaskedCrossEntropy(keras.losses.Loss):
    """Mean next-word cross-entropy over real target words (id 0, padding, is ignored).

    Args:
        label_smoothing: float in [0, 1). Spread this much probability uniformly over the
            vocabulary in the targets (Szegedy et al., 2016). Defaults to `0.0`.
        name: str. Defaults to `"masked_cross_entropy"`.

    Example:
    >>> import numpy as np
    >>> loss = MaskedCrossEntropy()
    >>> logits = np.log(np.array([[[0.5, 0.5], [0.9, 0.1]]], "float32"))
    >>> round(float(loss(np.array([[1, 0]]), logits)), 4)  # only the first position counts
    0.6931
    """

    def __init__(self, label_smoothing=0.0, name="masked_cross_entropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.label_smoothing = check_rate("label_smoothing", label_smoothing)

    def call(self, y_true, y_pred):
        nll = token_cross_entropy(y_true, y_pred, self.label_smoothing)
        mask = ops.cast(ops.not_equal(y_true, 0), "float32")
        # One scalar: the mean over real words of the whole batch, so a batch of short
        # sentences does not weigh as much as a batch of long ones per word.
        return ops.sum(nll * mask) / ops.maximum(ops.sum(mask), 1.0)

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing}
