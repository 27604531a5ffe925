"""The pieces of a variational autoencoder (VAE) as layers, so that `.keras` files round-trip.

The encoder gives, for each input, the mean μ and log-variance log σ² of a Gaussian
q(z | x) = N(μ, diag σ²) over codes z. Training maximises the evidence lower bound (ELBO):

    log p(x) ≥ ELBO = E_q[log p(x | z)] − KL(q(z | x) ‖ N(0, I))
    KL = ½ Σ_j (μ_j² + σ_j² − log σ_j² − 1)                 (closed form, nats)

- `GaussianSampling` draws z = μ + σ ⊙ ε with ε ~ N(0, I) (the *reparameterisation*: the
  randomness sits in ε, so gradients flow through μ and σ).
- `GaussianKL` adds β · KL to the model's loss, with an optional linear warm-up of β (KL
  annealing, Bowman et al., 2016), and passes μ and log σ² on unchanged.
- `SentenceCrossEntropy` is −log p(x | z) for a sentence: the cross-entropy summed over its
  words (padding ignored), so that it and the KL are both nats per sentence.

Reference: Kingma and Welling, "Auto-Encoding Variational Bayes" (2014); Bowman et al.,
"Generating Sentences from a Continuous Space" (2016).
"""

from __future__ import annotations

import keras
from keras import ops

from lmkeras._checks import check_float, check_int, check_optional_int
from lmkeras.layers.losses import token_cross_entropy


def gaussian_kl(mean, log_var):
    """KL(N(mean, exp(log_var)) ‖ N(0, I)) per example, in nats, float32.

    Args:
        mean, log_var: `(batch, code_dim)`.

    Returns:
        float32 `(batch,)`.

    Example:
    >>> ops.convert_to_numpy(gaussian_kl(ops.zeros((1, 3)), ops.zeros((1, 3)))).tolist()
    [0.0]
    """
    mean, log_var = (
        x if hasattr(x, "shape") else ops.convert_to_tensor(x) for x in (mean, log_var)
    )
    mean_shape, log_var_shape = tuple(mean.shape), tuple(log_var.shape)
    if len(mean_shape) != len(log_var_shape) or any(
        a is not None and b is not None and a != b for a, b in zip(mean_shape, log_var_shape)
    ):
        raise ValueError(
            f"`log_var` must have the shape of `mean`, (batch, code_dim); received mean shape "
            f"{mean_shape} and log_var shape {log_var_shape}."
        )
    mean = ops.cast(mean, "float32")
    log_var = ops.cast(log_var, "float32")
    return 0.5 * ops.sum(ops.square(mean) + ops.exp(log_var) - log_var - 1.0, axis=-1)


@keras.saving.register_keras_serializable(package="lmkeras")
class GaussianSampling(keras.layers.Layer):
    """The reparameterisation z = μ + exp(½ log σ²) ⊙ ε, ε ~ N(0, I); μ when not training.

    Args:
        seed: int or None. Seed of ε. Defaults to `None`.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: `(mean, log_var)`, each `(batch, code_dim)`.
        training: bool or None. Draws only with `training=True`; otherwise returns the mean,
            so that encoding a sentence is deterministic.

    Returns:
        `(batch, code_dim)`.

    Example:
    >>> layer = GaussianSampling(seed=1)
    >>> mean, log_var = ops.ones((2, 3)), ops.full((2, 3), -1e4)  # σ ≈ 0
    >>> ops.convert_to_numpy(layer((mean, log_var), training=True)).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """

    def __init__(self, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.seed = check_optional_int("seed", seed, 0)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.built = True

    def call(self, inputs, training=None):
        mean, log_var = inputs
        if not training:
            return mean
        epsilon = keras.random.normal(ops.shape(mean), dtype=mean.dtype, seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * epsilon

    def compute_output_spec(self, inputs, *args, **kwargs):
        return keras.KerasTensor(inputs[0].shape, dtype=self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package="lmkeras")
class GaussianKL(keras.layers.Layer):
    """Add β · KL(q(z | x) ‖ N(0, I)), averaged over the batch, to the loss; pass μ, log σ² on.

    β rises linearly from 0 to `weight` over the first `anneal_steps` training calls (KL
    annealing), then stays at `weight`. The layer counts its training calls in a
    non-trainable variable, so the schedule needs no callback, survives saving, and runs
    the same on every backend.

    Args:
        weight: float ≥ 0. Final β. `1.0` gives the ELBO. Defaults to `1.0`.
        anneal_steps: int ≥ 0. Training steps of the warm-up; `0` uses `weight` from the
            start. Defaults to `0`.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: `(mean, log_var)`, each `(batch, code_dim)`.
        training: bool or None. Training calls advance the warm-up.

    Returns:
        `(mean, log_var)` unchanged.

    Example:
    >>> layer = GaussianKL(weight=1.0, anneal_steps=4)
    >>> _ = layer((ops.ones((2, 3)), ops.zeros((2, 3))), training=True)
    >>> float(layer.beta()), [float(x) for x in layer.losses]  # β was 0 on the first step
    (0.25, [0.0])
    """

    def __init__(self, weight: float = 1.0, anneal_steps: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.weight = check_float("weight", weight, 0.0)
        self.anneal_steps = check_int("anneal_steps", anneal_steps, 0)

    def build(self, input_shape):
        self.step = self.add_weight(
            shape=(), dtype="int32", initializer="zeros", trainable=False, name="step"
        )

    def beta(self):
        """β now: `weight · min(1, step / anneal_steps)`, float32."""
        if self.anneal_steps == 0:
            return ops.convert_to_tensor(self.weight, "float32")
        ramp = ops.cast(self.step, "float32") / float(self.anneal_steps)
        return self.weight * ops.minimum(ramp, 1.0)

    def call(self, inputs, training=None):
        mean, log_var = inputs
        self.add_loss(self.beta() * ops.mean(gaussian_kl(mean, log_var)))
        if training:
            self.step.assign(self.step + 1)
        return mean, log_var

    def compute_output_spec(self, inputs, *args, **kwargs):
        return tuple(keras.KerasTensor(x.shape, dtype=x.dtype) for x in inputs)

    def get_config(self):
        return {**super().get_config(), "weight": self.weight, "anneal_steps": self.anneal_steps}


@keras.saving.register_keras_serializable(package="lmkeras")
class SentenceCrossEntropy(keras.losses.Loss):
    """−log p(sentence): next-word cross-entropy summed over the words, padding (0) ignored.

    A mean over words would weigh the KL term of a VAE against one word instead of a whole
    sentence; summing makes both terms nats per sentence. `fit` then averages over sentences.

    Example:
    >>> loss = SentenceCrossEntropy()
    >>> logits = ops.log(ops.convert_to_tensor([[[0.5, 0.5], [0.5, 0.5], [0.9, 0.1]]]))
    >>> round(float(loss(ops.convert_to_tensor([[1, 1, 0]]), logits)), 4)  # 2 × log 2
    1.3863
    """

    def __init__(self, name="sentence_cross_entropy", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        nll = token_cross_entropy(y_true, y_pred)  # (B, T)
        return ops.sum(nll * ops.cast(ops.not_equal(y_true, 0), "float32"), axis=-1)  # (B,)
