"""Transformer building blocks: the position-wise MLP, pre-LayerNorm encoder and decoder blocks,
and a token embedding whose table doubles as the output layer (weight tying).

A decoder block is x + Attention(LayerNorm(x)) followed by x + MLP(LayerNorm(x)) (pre-LN, as in
GPT-2 and nanoGPT: the residual path stays an identity, which trains stably without warm-up
tricks). An encoder block is the same without the causal mask, hiding padded source positions
instead. A translation decoder block (`cross_attention=True`) adds x + CrossAttention(LayerNorm(x),
encoder outputs) between the two, where the mask is the *source's* padding mask: the decoder's
causal mask has nothing to do with the encoder's positions.
"""

from __future__ import annotations

import keras
from keras import ops

from lmkeras._checks import check_bool, check_choice, check_int, check_positive, check_rate
from lmkeras.layers.attention import MultiHeadAttention
from lmkeras.layers.dropout import ThreefryDropout
from lmkeras.layers.initializers import clone_initializer, get_initializer

ACTIVATIONS = ("gelu", "gelu_tanh", "relu", "relu_squared", "silu", "tanh")
NORMS = ("layer", "rms")


def _relu_squared(x):
    return ops.square(ops.relu(x))


def _gelu_tanh(x):
    return keras.activations.gelu(x, approximate=True)


def activation_function(name):
    """The function behind an activation name of `ACTIVATIONS`.

    `"gelu"` is the exact (erf) GELU, `"gelu_tanh"` GPT-2's tanh approximation, and
    `"relu_squared"` is relu(x)², as in recent fast GPT training recipes.
    """
    check_choice("activation", name, ACTIVATIONS)
    ours = {"gelu_tanh": _gelu_tanh, "relu_squared": _relu_squared}
    return ours[name] if name in ours else keras.activations.get(name)


def normalization(kind="layer", epsilon=1e-5, name=None, dtype=None):
    """A normalization layer of one of `NORMS`: `"layer"` is LayerNorm (centre, scale, shift;
    GPT-2), `"rms"` is RMSNorm (scale by the root mean square only; LLaMA and recent fast GPT
    recipes: fewer operations, no bias).

    Example:
    >>> normalization("rms", name="norm").__class__.__name__
    'RMSNormalization'
    """
    check_choice("norm", kind, NORMS)
    check_positive("layer_norm_epsilon", epsilon)
    if kind == "rms":
        return keras.layers.RMSNormalization(epsilon=epsilon, name=name, dtype=dtype)
    return keras.layers.LayerNormalization(epsilon=epsilon, name=name, dtype=dtype)


@keras.saving.register_keras_serializable(package="lmkeras")
class FeedForward(keras.layers.Layer):
    """Position-wise MLP: Dense(intermediate_dim, activation) → Dense(width) → Dropout.

    Args:
        intermediate_dim: int ≥ 1. Hidden width (4 × the model width in GPT-2).
        dropout: float in [0, 1). Dropout on the output. Defaults to `0.0`.
        activation: str, one of `ACTIVATIONS`. Defaults to `"gelu"` (exact, erf-based);
            GPT-2 uses `"gelu_tanh"`.
        kernel_initializer: initializer of both kernels. Defaults to `"glorot_uniform"`.
        **kwargs: base layer arguments.

    Example:
    >>> tuple(FeedForward(16)(ops.ones((2, 3, 8))).shape)
    (2, 3, 8)
    """

    def __init__(
        self,
        intermediate_dim,
        dropout=0.0,
        activation="gelu",
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.intermediate_dim = check_int("intermediate_dim", intermediate_dim)
        self.dropout = check_rate("dropout", dropout)
        activation_function(activation)
        self.activation = activation
        self.kernel_initializer = get_initializer("kernel_initializer", kernel_initializer)

    def build(self, inputs_shape):
        policy = self.dtype_policy
        self.hidden = keras.layers.Dense(
            self.intermediate_dim,
            activation=activation_function(self.activation),
            kernel_initializer=clone_initializer(self.kernel_initializer),
            name="hidden",
            dtype=policy,
        )
        self.hidden.build(inputs_shape)
        self.projection = keras.layers.Dense(
            inputs_shape[-1],
            kernel_initializer=clone_initializer(self.kernel_initializer),
            name="projection",
            dtype=policy,
        )
        self.projection.build((*inputs_shape[:-1], self.intermediate_dim))
        self.dropout_layer = (
            ThreefryDropout(self.dropout, dtype=policy) if self.dropout > 0 else None
        )

    def call(self, inputs, training=None):
        outputs = self.projection(self.hidden(inputs))
        if self.dropout_layer is not None:
            outputs = self.dropout_layer(outputs, training=training)
        return outputs

    def get_config(self):
        names = ("intermediate_dim", "dropout", "activation", "kernel_initializer")
        return {**super().get_config(), **_arguments(self, names)}


def _arguments(layer, names):
    """The constructor arguments `names` of `layer`, as its config holds them."""
    serialize = keras.initializers.serialize
    return {name: serialize(value) if isinstance(value, keras.initializers.Initializer) else value
            for name, value in ((n, getattr(layer, n)) for n in names)}  # fmt: skip


def _check_mask(name, mask, sequence):
    """A padding mask `(batch, S)` for `sequence` `(batch, S, width)` (unknown sizes pass)."""
    if mask is None:
        return
    expected, received = tuple(sequence.shape[:2]), tuple(mask.shape)
    if len(received) != 2 or not all(
        a is None or b is None or a == b for a, b in zip(received, expected)
    ):
        raise ValueError(
            f"`{name}` must have shape (batch, S) = {expected}, one flag per position; "
            f"received shape {received}."
        )


def _split(outputs):
    return (outputs[0], outputs[1:]) if isinstance(outputs, tuple) else (outputs, ())


class _Block(keras.layers.Layer):
    """What encoder and decoder blocks share: arguments, checks, sub-layer factories, config."""

    def __init__(
        self,
        num_heads,
        intermediate_dim,
        dropout=0.0,
        activation="gelu",
        kernel_initializer="glorot_uniform",
        layer_norm_epsilon=1e-5,
        norm="layer",
        qk_norm=False,
        zero_init_output=False,
        attention_dropout=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_heads = check_int("num_heads", num_heads)
        self.intermediate_dim = check_int("intermediate_dim", intermediate_dim)
        self.dropout = check_rate("dropout", dropout)
        if attention_dropout is not None:
            check_rate("attention_dropout", attention_dropout)
        self.attention_dropout = attention_dropout
        activation_function(activation)
        self.activation = activation
        self.kernel_initializer = get_initializer("kernel_initializer", kernel_initializer)
        self.layer_norm_epsilon = check_positive("layer_norm_epsilon", layer_norm_epsilon)
        self.norm = check_choice("norm", norm, NORMS)
        self.qk_norm = check_bool("qk_norm", qk_norm)
        self.zero_init_output = check_bool("zero_init_output", zero_init_output)

    def _head_dim(self, inputs_shape):
        width = inputs_shape[-1]
        if width % self.num_heads:
            raise ValueError(
                f"`num_heads` must divide the width; received width={width}, "
                f"num_heads={self.num_heads}."
            )
        return width // self.num_heads

    def _norm(self, name, inputs_shape):
        norm = normalization(self.norm, self.layer_norm_epsilon, name, self.dtype_policy)
        norm.build(inputs_shape)
        return norm

    def _attention(self, name, inputs_shape, rotary=False, qk_norm=False):
        attention = MultiHeadAttention(
            self.num_heads,
            self._head_dim(inputs_shape),
            dropout=self.dropout if self.attention_dropout is None else self.attention_dropout,
            rotary=rotary,
            kernel_initializer=clone_initializer(self.kernel_initializer),
            qk_norm=qk_norm,
            name=name,
            dtype=self.dtype_policy,
        )
        attention.build(inputs_shape)
        if self.zero_init_output:
            _zero(attention.output_dense.kernel)
        return attention

    def _build_mlp(self, inputs_shape):
        self.mlp_norm = self._norm("mlp_norm", inputs_shape)
        self.mlp = FeedForward(
            self.intermediate_dim,
            dropout=self.dropout,
            activation=self.activation,
            kernel_initializer=clone_initializer(self.kernel_initializer),
            name="mlp",
            dtype=self.dtype_policy,
        )
        self.mlp.build(inputs_shape)
        if self.zero_init_output:
            _zero(self.mlp.projection.kernel)
        # With the block's dtype policy: under a float32 default, a mixed-precision block's
        # dropout would hand back float32 to add to its bfloat16 residual stream.
        self.residual_dropout = (
            ThreefryDropout(self.dropout, dtype=self.dtype_policy) if self.dropout > 0 else None
        )

    def _dropped(self, x, training):
        return x if self.residual_dropout is None else self.residual_dropout(x, training=training)

    def compute_output_spec(self, inputs, *args, **kwargs):
        # A block called on its inputs alone (as in a functional model) returns their shape.
        # Saying so spares Keras tracing the whole block to learn it: on TensorFlow that trace
        # was 0.5 s of the 0.8 s that loading a 4-block `.keras` GPT took.
        # Anything else (a cache, scores asked for, a mask, a cross-attention block's required
        # `encoder_outputs`) is traced, so `call` computes or refuses it as always.
        others = [value for name, value in kwargs.items() if name != "training"]
        plain = not args and all(value is None or value is False for value in others)
        if not plain or getattr(self, "cross_attention", False):
            return super().compute_output_spec(inputs, *args, **kwargs)
        return keras.KerasTensor(inputs.shape, dtype=self.compute_dtype)

    def get_config(self):
        names = ("num_heads", "intermediate_dim", "dropout", "activation", "kernel_initializer",
                 "layer_norm_epsilon", "norm", "qk_norm", "zero_init_output",
                 "attention_dropout")  # fmt: skip
        return {**super().get_config(), **_arguments(self, names)}


def _zero(kernel):
    """Start a residual branch's output projection at zero: each block begins as the identity
    (modded-nanogpt), and the branch grows only as far as the gradient asks."""
    kernel.assign(ops.zeros(kernel.shape, kernel.dtype))


_BLOCK_ARGS = """num_heads: int ≥ 1. Attention heads; must divide the input width.
        intermediate_dim: int ≥ 1. Hidden width of the MLP.
        dropout: float in [0, 1). Dropout on attention weights and both residual branches.
            Defaults to `0.0`.
        activation: str. The MLP's activation, one of `ACTIVATIONS`. Defaults to `"gelu"`.
        kernel_initializer: initializer of every projection. Defaults to `"glorot_uniform"`.
        layer_norm_epsilon: float > 0. Defaults to `1e-5`.
        norm: `"layer"` (LayerNorm) or `"rms"` (RMSNorm), for every norm of the block.
            Defaults to `"layer"`.
        qk_norm: bool. RMS-normalise the self-attention's queries and keys per head.
            Defaults to `False`.
        zero_init_output: bool. Start the attention's output projection and the MLP's second
            kernel at zero, so the block starts as the identity. Defaults to `False`.
        attention_dropout: float in [0, 1) or None. Dropout on the attention weights alone;
            None means `dropout`. `0.0` keeps `dropout` on the residual branches only, which
            lets the attention use the fused kernel while training. Defaults to `None`."""


@keras.saving.register_keras_serializable(package="lmkeras")
class TransformerEncoderBlock(_Block):
    __doc__ = f"""Pre-LayerNorm encoder block: self-attention over the whole input, then an MLP.

    Args:
        {_BLOCK_ARGS}
        **kwargs: base layer arguments.

    Call arguments:
        inputs: tensor `(batch, S, width)`.
        padding_mask: optional bool `(batch, S)`, False at padded positions: no position
            attends to them.
        return_attention_scores: bool. Also return the weights `(batch, heads, S, S)`.
        training: bool or None.

    Example:
    >>> block = TransformerEncoderBlock(num_heads=2, intermediate_dim=16)
    >>> tuple(block(ops.ones((1, 3, 8)), padding_mask=ops.array([[True, True, False]])).shape)
    (1, 3, 8)
    """

    def build(self, inputs_shape):
        self.attention_norm = self._norm("attention_norm", inputs_shape)
        self.attention = self._attention("attention", inputs_shape, qk_norm=self.qk_norm)
        self._build_mlp(inputs_shape)

    def call(self, inputs, padding_mask=None, return_attention_scores=False, training=None):
        _check_mask("padding_mask", padding_mask, inputs)
        mask = None if padding_mask is None else ops.cast(padding_mask, "bool")[:, None, :]
        attended, extras = _split(
            self.attention(
                self.attention_norm(inputs),
                attention_mask=mask,
                return_attention_scores=return_attention_scores,
                training=training,
            )
        )
        x = inputs + self._dropped(attended, training)
        x = x + self.mlp(self.mlp_norm(x), training=training)
        return (x, *extras) if extras else x


@keras.saving.register_keras_serializable(package="lmkeras")
class TransformerDecoderBlock(_Block):
    __doc__ = f"""Pre-LayerNorm decoder block: causal multi-head self-attention, then an MLP.

    With `cross_attention=True` (a translation decoder) a cross-attention sub-block sits between
    them: queries from the decoder, keys and values from the encoder's outputs, masked by the
    source's padding mask.

    Args:
        {_BLOCK_ARGS}
        rotary: bool. Use rotary position embeddings (RoPE) in the self-attention. Defaults to
            `False`.
        cross_attention: bool. Add cross-attention to an encoder's outputs. Defaults to
            `False`.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: tensor `(batch, T, width)`.
        encoder_outputs: tensor `(batch, S, width)`; required with `cross_attention` unless
            `cross_key_value` is given.
        encoder_padding_mask: optional bool `(batch, S)`, False at padded source positions.
        cache: optional tensor `(batch, 2, heads, max_length, head_dim)`: this block's key/value
            cache (`block.attention.empty_cache(batch, max_length)`).
        cache_index: int or scalar int tensor. Positions already in the cache.
        cross_key_value: optional `(batch, 2, heads, S, head_dim)` from
            `block.cross_attention_layer.project_key_value(encoder_outputs)`: the encoder's keys
            and values, computed once per sentence instead of once per generated token.
        return_attention_scores: bool. Also return the self-attention weights and, with
            `cross_attention`, the cross-attention weights `(batch, heads, T, S)`.
        training: bool or None.

    Returns:
        `(batch, T, width)`; then the weights if asked; then the updated cache if given.

    Example:
    >>> block = TransformerDecoderBlock(num_heads=2, intermediate_dim=16)
    >>> tuple(block(ops.ones((1, 3, 8))).shape)
    (1, 3, 8)
    """

    def __init__(
        self,
        num_heads,
        intermediate_dim,
        dropout=0.0,
        rotary=False,
        layer_norm_epsilon=1e-5,
        cross_attention=False,
        activation="gelu",
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(
            num_heads,
            intermediate_dim,
            dropout=dropout,
            activation=activation,
            kernel_initializer=kernel_initializer,
            layer_norm_epsilon=layer_norm_epsilon,
            **kwargs,
        )
        self.rotary = check_bool("rotary", rotary)
        self.cross_attention = check_bool("cross_attention", cross_attention)

    def build(self, inputs_shape, *args, **kwargs):
        self.attention_norm = self._norm("attention_norm", inputs_shape)
        self.attention = self._attention(
            "attention", inputs_shape, rotary=self.rotary, qk_norm=self.qk_norm
        )
        if self.cross_attention:
            self.cross_attention_norm = self._norm("cross_attention_norm", inputs_shape)
            # `cross_attention` is also the block's bool argument, so its layer gets a suffix.
            self.cross_attention_layer = self._attention("cross_attention", inputs_shape)
        self._build_mlp(inputs_shape)

    def call(
        self,
        inputs,
        encoder_outputs=None,
        encoder_padding_mask=None,
        cache=None,
        cache_index=None,
        cross_key_value=None,
        return_attention_scores=False,
        training=None,
    ):
        attended, extras = _split(
            self.attention(
                self.attention_norm(inputs),
                use_causal_mask=True,
                cache=cache,
                cache_index=cache_index,
                return_attention_scores=return_attention_scores,
                training=training,
            )
        )
        x = inputs + self._dropped(attended, training)
        if self.cross_attention:
            if encoder_outputs is None and cross_key_value is None:
                raise ValueError(
                    "A block with cross_attention=True needs `encoder_outputs` (or "
                    "`cross_key_value`); received neither."
                )
            if encoder_outputs is not None:
                _check_mask("encoder_padding_mask", encoder_padding_mask, encoder_outputs)
            mask = encoder_padding_mask
            if mask is not None:
                mask = ops.cast(mask, "bool")[:, None, :]  # (B, 1, S): hide padded keys
            crossed = self.cross_attention_layer(
                self.cross_attention_norm(x),
                encoder_outputs,
                attention_mask=mask,
                key_value=cross_key_value,
                return_attention_scores=return_attention_scores,
                training=training,
            )
            crossed, cross_weights = _split(crossed)
            x = x + self._dropped(crossed, training)
            # Order of the extras: self weights, cross weights, cache.
            extras = extras[:1] + cross_weights + extras[1:] if return_attention_scores else extras
        x = x + self.mlp(self.mlp_norm(x), training=training)
        return (x, *extras) if extras else x

    def get_config(self):
        config = super().get_config()
        config.update(rotary=self.rotary, cross_attention=self.cross_attention)
        return config


@keras.saving.register_keras_serializable(package="lmkeras")
class TiedEmbedding(keras.layers.Layer):
    """Token embedding that can also map vectors back to logits with the same table.

    `layer(ids)` looks rows up; `layer(x, reverse=True)` returns x · Wᵀ, one logit per token,
    computed in float32. Sharing the table (weight tying, Press & Wolf 2017) saves
    vocabulary × width parameters. Ids are not checked here: a compiled graph cannot raise, so
    the datasets, trainers and generators check them where they enter (see `lmkeras._checks`).

    Args:
        vocabulary_size: int ≥ 1.
        output_dim: int ≥ 1. Embedding width.
        initializer: initializer, or None for normal with stddev 0.02. Defaults to `None`.
        **kwargs: base layer arguments.

    Example:
    >>> emb = TiedEmbedding(10, 4)
    >>> tuple(emb(emb(ops.array([[1, 2]])), reverse=True).shape)
    (1, 2, 10)
    """

    def __init__(self, vocabulary_size, output_dim, initializer=None, **kwargs):
        super().__init__(**kwargs)
        self.vocabulary_size = check_int("vocabulary_size", vocabulary_size)
        self.output_dim = check_int("output_dim", output_dim)
        if initializer is None:
            initializer = keras.initializers.RandomNormal(stddev=0.02)
        self.initializer = get_initializer("initializer", initializer)

    def build(self, inputs_shape=None):
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.vocabulary_size, self.output_dim),
            initializer=self.initializer,
        )

    def call(self, inputs, reverse=False):
        if reverse:
            if inputs.shape[-1] not in (None, self.output_dim):
                raise ValueError(
                    f"`inputs` must have width output_dim={self.output_dim} to map back to "
                    f"logits; received shape {tuple(inputs.shape)}."
                )
            table = ops.cast(self.embeddings, inputs.dtype)
            return ops.cast(ops.matmul(inputs, ops.transpose(table)), "float32")
        return ops.cast(
            ops.take(self.embeddings, ops.cast(inputs, "int32"), axis=0), self.compute_dtype
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            vocabulary_size=self.vocabulary_size,
            output_dim=self.output_dim,
            initializer=keras.initializers.serialize(self.initializer),
        )
        return config


@keras.saving.register_keras_serializable(package="lmkeras")
class LogitSoftCap(keras.layers.Layer):
    """Squash logits smoothly into (-cap, cap): `cap · tanh(logits / cap)` (Gemma 2, nanochat).

    Near zero it is the identity; it stops a few logits from growing without bound early in
    training at a high learning rate, which lets the output layer take a larger one.

    Args:
        cap: float > 0. The bound. Defaults to `30.0`.
        **kwargs: base layer arguments.

    Example:
    >>> ops.convert_to_numpy(LogitSoftCap(2.0)(ops.array([0.0, 100.0]))).round(3).tolist()
    [0.0, 2.0]
    """

    def __init__(self, cap=30.0, **kwargs):
        super().__init__(**kwargs)
        self.cap = check_positive("cap", cap)

    def call(self, logits):
        logits = ops.cast(logits, "float32")
        return self.cap * ops.tanh(logits / self.cap)

    def compute_output_spec(self, logits):
        return keras.KerasTensor(logits.shape, "float32")

    def get_config(self):
        return {**super().get_config(), "cap": self.cap}
