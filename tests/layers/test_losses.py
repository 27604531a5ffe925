"""The masked, label-smoothed next-word loss of the translators."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from lmkeras.layers.losses import MaskedCrossEntropy


def test_masked_cross_entropy_ignores_padding_and_averages_over_words():
    logits = np.random.default_rng(0).normal(size=(2, 3, 5)).astype("float32")
    targets = np.array([[1, 2, 0], [3, 0, 0]])
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = -np.mean([log_probs[0, 0, 1], log_probs[0, 1, 2], log_probs[1, 0, 3]])
    assert float(MaskedCrossEntropy()(targets, logits)) == pytest.approx(expected, rel=1e-5)
    smoothed = MaskedCrossEntropy(0.1)(targets, logits)
    uniform = -np.mean([log_probs[0, 0].mean(), log_probs[0, 1].mean(), log_probs[1, 0].mean()])
    assert float(smoothed) == pytest.approx(0.9 * expected + 0.1 * uniform, rel=1e-5)
    restored = keras.losses.deserialize(keras.losses.serialize(MaskedCrossEntropy(0.1)))
    assert restored.label_smoothing == 0.1
