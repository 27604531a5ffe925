"""Three ways to tell attention where each token is: sinusoids, learned vectors, rotations.

Attention by itself is blind to order: permute the tokens and its outputs are permuted the same
way. `SinusoidalEncoding` adds fixed sines and cosines (Vaswani et al., 2017),
`PositionEmbedding` learns one vector per position (GPT-2), and `RotaryEmbedding` rotates
queries and keys by an angle proportional to the position so that their dot product depends on
the distance between tokens (RoPE, Su et al., 2021). Each takes `start_index`, the position of
the first input token, so a generator can feed tokens one at a time. Sines and rotations have
no table that ends, so `TrainedContext` records how long a context such a model trains on.
"""

from __future__ import annotations

import keras
from keras import ops

from lmkeras._checks import check_int, known_value
from lmkeras.layers.initializers import get_initializer


def _positions(inputs, start_index):
    length = ops.shape(inputs)[1]
    return ops.cast(ops.arange(length) + ops.cast(start_index, "int32"), "float32")


def _angles(inputs, start_index, max_wavelength, layer_name):
    """Angles position × rate_i, rate_i = max_wavelength^(−2i/d), shared by sinusoids and RoPE."""
    dim = inputs.shape[-1]
    if dim % 2:
        raise ValueError(f"{layer_name} needs an even width; received width {dim}.")
    rates = ops.power(float(max_wavelength), -ops.arange(0, dim, 2, "float32") / dim)
    return _positions(inputs, start_index)[:, None] * rates[None, :]  # (T, d/2)


@keras.saving.register_keras_serializable(package="lmkeras")
class SinusoidalEncoding(keras.layers.Layer):
    """Fixed sinusoidal position encodings, to be added to the token embeddings.

    Dimension 2i holds sin(p / w^(2i/d)) and 2i+1 holds cos(p / w^(2i/d)) for position p,
    width d and `max_wavelength` w. Nothing is learned.

    Args:
        max_wavelength: int. The longest wavelength w. Defaults to `10000`.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: tensor `(batch, T, d)`, used for its shape only; d must be even.
        start_index: int or scalar tensor. Position of the first token. Defaults to `0`.

    Returns:
        tensor `(batch, T, d)` of encodings (the same for every batch row).

    Example:
    >>> enc = SinusoidalEncoding()(ops.zeros((1, 2, 4)))
    >>> [round(float(x), 3) for x in ops.convert_to_numpy(enc)[0, 1]]
    [0.841, 0.54, 0.01, 1.0]
    """

    def __init__(self, max_wavelength=10000, **kwargs):
        super().__init__(**kwargs)
        check_int("max_wavelength", max_wavelength)
        self.max_wavelength = max_wavelength

    def call(self, inputs, start_index=0):
        dim = inputs.shape[-1]
        angles = _angles(inputs, start_index, self.max_wavelength, "SinusoidalEncoding")
        # Interleave: (T, d/2, 2) → (T, d), so dims 2i, 2i+1 are sin, cos.
        encoding = ops.reshape(ops.stack([ops.sin(angles), ops.cos(angles)], -1), (-1, dim))
        encoding = ops.cast(encoding, self.compute_dtype)
        return ops.broadcast_to(encoding[None], ops.shape(inputs))

    def compute_output_shape(self, inputs_shape):
        return inputs_shape

    def get_config(self):
        config = super().get_config()
        config.update(max_wavelength=self.max_wavelength)
        return config


@keras.saving.register_keras_serializable(package="lmkeras")
class PositionEmbedding(keras.layers.Layer):
    """Learned position embeddings: one trainable vector per position, as in GPT-2.

    Args:
        sequence_length: int ≥ 1. Longest sequence the layer can embed.
        initializer: initializer of the table, or None for normal with stddev 0.02 (GPT-2's).
            Defaults to `None`.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: tensor `(batch, T, d)`, used for its shape only.
        start_index: int or scalar tensor. Position of the first token. Defaults to `0`.

    Returns:
        tensor `(batch, T, d)`: rows `start_index .. start_index + T - 1` of the table.

    Example:
    >>> layer = PositionEmbedding(sequence_length=8)
    >>> tuple(layer(ops.zeros((2, 3, 4))).shape)
    (2, 3, 4)
    """

    def __init__(self, sequence_length, initializer=None, **kwargs):
        super().__init__(**kwargs)
        check_int("sequence_length", sequence_length)
        self.sequence_length = sequence_length
        if initializer is None:
            initializer = keras.initializers.RandomNormal(stddev=0.02)
        self.initializer = get_initializer("initializer", initializer)

    def _check_positions(self, length, start_index=0):
        """Refuse positions past the table when they are known (eager calls, fixed shapes).

        A compiled gather out of range returns zeros on CPU and garbage on GPU without a word;
        the cached generators check their position before entering compiled code.
        """
        start = known_value(start_index)
        if length is None or start is None or start.ndim:
            return
        start = int(start)
        if start < 0:
            raise ValueError(f"`start_index` must be ≥ 0; received start_index={start}.")
        if start + length > self.sequence_length:
            raise ValueError(
                f"`inputs` has {length} positions from start_index={start}, past this "
                f"PositionEmbedding's table of sequence_length={self.sequence_length} positions."
            )

    def build(self, inputs_shape):
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.sequence_length, inputs_shape[-1]),
            initializer=self.initializer,
        )

    def call(self, inputs, start_index=0):
        self._check_positions(inputs.shape[1], start_index)
        positions = ops.arange(ops.shape(inputs)[1], dtype="int32") + ops.cast(start_index, "int32")
        # A gather, not a slice: XLA on TensorFlow treats a slice's start as a compile-time
        # constant and recompiled the whole cached step for every new position (~2 s a token).
        table = ops.take(self.embeddings, positions, axis=0)  # (T, dim)
        return ops.broadcast_to(ops.cast(table, self.compute_dtype)[None], ops.shape(inputs))

    def compute_output_shape(self, inputs_shape):
        self._check_positions(inputs_shape[1])
        return inputs_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            sequence_length=self.sequence_length,
            initializer=keras.initializers.serialize(self.initializer),
        )
        return config


@keras.saving.register_keras_serializable(package="lmkeras")
class RotaryEmbedding(keras.layers.Layer):
    """Rotary position embedding (RoPE): rotate feature pairs by position-dependent angles.

    Feature i is paired with i + d/2 (the GPT-NeoX / KerasHub layout) and the pair is rotated by
    p / w^(2i/d) at position p. Applied to queries and keys, q_m · k_n then depends only on
    m - n. Nothing is learned.

    Args:
        max_wavelength: int. The longest wavelength w. Defaults to `10000`.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: tensor `(batch, T, d)` or `(batch, T, heads, d)`; d must be even.
        start_index: int or scalar tensor. Position of the first token. Defaults to `0`.

    Returns:
        tensor of the input's shape.

    Example:
    >>> x = ops.ones((1, 3, 4))
    >>> y = RotaryEmbedding()(x)
    >>> bool(ops.all(ops.abs(ops.norm(y, axis=-1) - 2.0) < 1e-6))  # rotations keep lengths
    True
    """

    def __init__(self, max_wavelength=10000, **kwargs):
        super().__init__(**kwargs)
        check_int("max_wavelength", max_wavelength)
        self.max_wavelength = max_wavelength

    def call(self, inputs, start_index=0):
        dim = inputs.shape[-1]
        if len(inputs.shape) not in (3, 4):
            raise ValueError(
                f"`inputs` must have shape (batch, T, d) or (batch, T, heads, d); received shape "
                f"{tuple(inputs.shape)}."
            )
        angles = _angles(inputs, start_index, self.max_wavelength, "RotaryEmbedding")
        angles = ops.concatenate([angles, angles], axis=-1)  # (T, d)
        shape = (1, -1, 1, dim) if len(inputs.shape) == 4 else (1, -1, dim)
        cos = ops.cast(ops.reshape(ops.cos(angles), shape), self.compute_dtype)
        sin = ops.cast(ops.reshape(ops.sin(angles), shape), self.compute_dtype)
        first, second = ops.split(inputs, 2, axis=-1)
        rotated = ops.concatenate([-second, first], axis=-1)
        return inputs * cos + rotated * sin

    def compute_output_shape(self, inputs_shape):
        return inputs_shape

    def get_config(self):
        config = super().get_config()
        config.update(max_wavelength=self.max_wavelength)
        return config


@keras.saving.register_keras_serializable(package="lmkeras")
class TrainedContext(keras.layers.Layer):
    """The identity on token ids that records the context length a model trains on.

    A learned position table ends at its `sequence_length`; sinusoidal and rotary positions go
    on for ever, but a model trained on 128 positions has never seen position 300, and its text
    degrades past the context it trained on. `build_gpt` puts this layer on such models so that
    generation (`gpt_generate`, `gpt_step_fn`) knows where to slide its window, and the number is
    saved with the model. It changes nothing in the forward pass: longer inputs still run.

    Args:
        sequence_length: int ≥ 1. The context length the model trains on.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: token ids `(batch, T)`.

    Returns:
        `inputs`, unchanged.

    Example:
    >>> layer = TrainedContext(128)
    >>> layer.sequence_length, tuple(layer(ops.zeros((2, 300), "int32")).shape)
    (128, (2, 300))
    """

    def __init__(self, sequence_length, **kwargs):
        super().__init__(**kwargs)
        self.sequence_length = check_int("sequence_length", sequence_length)

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, inputs_shape):
        return inputs_shape

    def get_config(self):
        config = super().get_config()
        config.update(sequence_length=self.sequence_length)
        return config
