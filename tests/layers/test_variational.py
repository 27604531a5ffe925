"""The VAE's layers: reparameterisation, KL term (closed form, annealing), sentence loss."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import ops

from lmkeras.layers.variational import (
    GaussianKL,
    GaussianSampling,
    SentenceCrossEntropy,
    gaussian_kl,
)
from lmkeras.testing import check_layer

RNG = np.random.default_rng(0)
MEAN = RNG.normal(size=(4, 3)).astype("float32")
LOG_VAR = RNG.normal(scale=0.5, size=(4, 3)).astype("float32")


def _np(x):
    return ops.convert_to_numpy(x)


def _kl_by_hand(mean, log_var):
    """KL(N(μ, σ²) ‖ N(0, 1)) per dimension, from the general formula for two Gaussians:
    log(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²) / (2σ₂²) − ½, with μ₂ = 0 and σ₂ = 1; summed over dims."""
    sigma = np.exp(0.5 * log_var.astype("float64"))
    return (-np.log(sigma) + (sigma**2 + mean.astype("float64") ** 2) / 2 - 0.5).sum(-1)


def test_sampling_shared_layer_checks():
    out = check_layer(GaussianSampling, {"seed": 3}, [MEAN, LOG_VAR], (4, 3), run_fit=False)
    np.testing.assert_array_equal(_np(out), MEAN)  # not training: the mean


def test_kl_shared_layer_checks():
    kwargs = {"weight": 0.5, "anneal_steps": 10}
    mean, log_var = check_layer(GaussianKL, kwargs, [MEAN, LOG_VAR], (4, 3), run_fit=False)
    np.testing.assert_array_equal(_np(mean), MEAN)
    np.testing.assert_array_equal(_np(log_var), LOG_VAR)


def test_reparameterisation_is_seeded_and_has_the_right_moments():
    n = 20000
    mean = np.tile(np.array([[1.0, -2.0, 0.0]], "float32"), (n, 1))
    log_var = np.tile(np.log(np.array([[0.25, 1.0, 4.0]], "float32")), (n, 1))
    draws = _np(GaussianSampling(seed=7)((mean, log_var), training=True))
    again = _np(GaussianSampling(seed=7)((mean, log_var), training=True))
    np.testing.assert_array_equal(draws, again)
    other = _np(GaussianSampling(seed=8)((mean, log_var), training=True))
    assert not np.allclose(draws, other)
    # Standard errors: σ/√n ≤ 0.015 for the mean, about σ²·√(2/n) ≤ 0.04 for the variance.
    np.testing.assert_allclose(draws.mean(0), [1.0, -2.0, 0.0], atol=0.05)
    np.testing.assert_allclose(draws.var(0), [0.25, 1.0, 4.0], rtol=0.05)


def test_kl_equals_the_closed_form_and_is_zero_at_the_prior():
    np.testing.assert_allclose(_np(gaussian_kl(MEAN, LOG_VAR)), _kl_by_hand(MEAN, LOG_VAR), 1e-5)
    assert np.all(_np(gaussian_kl(np.zeros((2, 5)), np.zeros((2, 5)))) == 0)


def test_kl_layer_adds_beta_times_the_mean_kl_and_anneals():
    layer = GaussianKL(weight=2.0, anneal_steps=4)
    expected = _kl_by_hand(MEAN, LOG_VAR).mean()
    betas = []
    for _ in range(6):
        layer((MEAN, LOG_VAR), training=True)
        (loss,) = layer.losses
        betas.append(float(loss) / expected)
    np.testing.assert_allclose(betas, [0.0, 0.5, 1.0, 1.5, 2.0, 2.0], atol=1e-5)
    layer((MEAN, LOG_VAR), training=False)  # inference does not advance the warm-up
    assert int(_np(layer.step)) == 6
    plain = GaussianKL()
    plain((MEAN, LOG_VAR))
    assert float(plain.losses[0]) == pytest.approx(expected, rel=1e-5)


def test_kl_layer_in_a_model_adds_its_term_to_the_fit_loss():
    inputs = keras.Input((3,))
    mean = keras.layers.Dense(3)(inputs)
    mean, _ = GaussianKL(weight=1.0)([mean, mean])
    model = keras.Model(inputs, mean)
    x = RNG.normal(size=(8, 3)).astype("float32")
    model.compile(loss=lambda y_true, y_pred: ops.zeros(()))
    loss = model.evaluate(x, x, verbose=0)
    out = _np(model(x))
    assert loss == pytest.approx(_kl_by_hand(out, out).mean(), rel=1e-4)


def test_sentence_cross_entropy_sums_over_words_and_ignores_padding():
    logits = RNG.normal(size=(2, 3, 5)).astype("float32")
    targets = np.array([[1, 2, 0], [3, 0, 0]])
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    per_sentence = [-(log_probs[0, 0, 1] + log_probs[0, 1, 2]), -log_probs[1, 0, 3]]
    loss = SentenceCrossEntropy()
    assert float(loss(targets, logits)) == pytest.approx(np.mean(per_sentence), rel=1e-5)
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(restored, SentenceCrossEntropy)


@pytest.mark.parametrize(
    "make,error,words",
    [
        (lambda: GaussianKL(weight=-1.0), ValueError, ["weight", "-1.0"]),
        (lambda: GaussianKL(weight="1"), TypeError, ["weight", "'1'"]),
        (lambda: GaussianKL(anneal_steps=-5), ValueError, ["anneal_steps", "-5"]),
        (lambda: GaussianKL(anneal_steps=2.5), TypeError, ["anneal_steps", "2.5"]),
        (lambda: GaussianSampling(seed=-1), ValueError, ["seed", "-1"]),
    ],
)
def test_bad_arguments_are_named(make, error, words):
    with pytest.raises(error) as info:
        make()
    assert all(word in str(info.value) for word in words), str(info.value)
