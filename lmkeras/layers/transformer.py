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

from lmkeras.layers.attention import MultiHeadAttention


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"`{name}` must be a positive int; received {name}={value!r}.")


def _check_rate(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"`{name}` must be a float in [0, 1); received {name}={value!r}.")


@keras.saving.register_keras_serializable(package="lmkeras")
class FeedForward(keras.layers.Layer):
    """Position-wise MLP: Dense(intermediate_dim, GELU) → Dense(width) → Dropout.

    Args:
        intermediate_dim: int ≥ 1. Hidden width (4 × the model width in GPT-2).
        dropout: float in [0, 1). Dropout on the output. Defaults to `0.0`.
        activation: activation of the hidden layer. Defaults to `"gelu"` (exact, erf-based).
        **kwargs: base layer arguments.

    Example:
    >>> tuple(FeedForward(16)(ops.ones((2, 3, 8))).shape)
    (2, 3, 8)
    """

    def __init__(self, intermediate_dim, dropout=0.0, activation="gelu", **kwargs):
        super().__init__(**kwargs)
        _check_positive_int("intermediate_dim", intermediate_dim)
        _check_rate("dropout", dropout)
        self.intermediate_dim = intermediate_dim
        self.dropout = dropout
        self.activation = activation
        self.dropout_layer = keras.layers.Dropout(dropout) if dropout > 0 else None

    def build(self, inputs_shape):
        policy = self.dtype_policy
        self.hidden = keras.layers.Dense(
            self.intermediate_dim, activation=self.activation, name="hidden", dtype=policy
        )
        self.hidden.build(inputs_shape)
        self.projection = keras.layers.Dense(inputs_shape[-1], name="projection", dtype=policy)
        self.projection.build((*inputs_shape[:-1], self.intermediate_dim))

    def call(self, inputs, training=None):
        outputs = self.projection(self.hidden(inputs))
        if self.dropout_layer is not None:
            outputs = self.dropout_layer(outputs, training=training)
        return outputs

    def get_config(self):
        config = super().get_config()
        config.update(
            intermediate_dim=self.intermediate_dim,
            dropout=self.dropout,
            activation=self.activation,
        )
        return config


def _split(outputs):
    return (outputs[0], outputs[1:]) if isinstance(outputs, tuple) else (outputs, ())


@keras.saving.register_keras_serializable(package="lmkeras")
class TransformerEncoderBlock(keras.layers.Layer):
    """Pre-LayerNorm encoder block: multi-head self-attention over the whole input, then an MLP.

    Args:
        num_heads: int ≥ 1. Attention heads; must divide the input width.
        intermediate_dim: int ≥ 1. Hidden width of the MLP.
        dropout: float in [0, 1). Dropout on attention weights and both residual branches.
            Defaults to `0.0`.
        layer_norm_epsilon: float. Defaults to `1e-5`.
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

    def __init__(self, num_heads, intermediate_dim, dropout=0.0, layer_norm_epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        _check_positive_int("num_heads", num_heads)
        _check_positive_int("intermediate_dim", intermediate_dim)
        _check_rate("dropout", dropout)
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.dropout = dropout
        self.layer_norm_epsilon = layer_norm_epsilon

    def build(self, inputs_shape):
        _build_sublayers(self, inputs_shape, ("attention",))

    def call(self, inputs, padding_mask=None, return_attention_scores=False, training=None):
        mask = None if padding_mask is None else ops.cast(padding_mask, "bool")[:, None, :]
        attended, extras = _split(
            self.attention(
                self.attention_norm(inputs),
                attention_mask=mask,
                return_attention_scores=return_attention_scores,
                training=training,
            )
        )
        x = inputs + _dropped(self, attended, training)
        x = x + self.mlp(self.mlp_norm(x), training=training)
        return (x, *extras) if extras else x

    def get_config(self):
        config = super().get_config()
        config.update(
            num_heads=self.num_heads,
            intermediate_dim=self.intermediate_dim,
            dropout=self.dropout,
            layer_norm_epsilon=self.layer_norm_epsilon,
        )
        return config


def _build_sublayers(block, inputs_shape, attentions, rotary=False):
    """Build each block's LayerNorm + attention pairs (named by `attentions`) and its MLP."""
    width = inputs_shape[-1]
    if width % block.num_heads:
        raise ValueError(
            f"`num_heads` must divide the width; received width={width}, "
            f"num_heads={block.num_heads}."
        )
    policy = block.dtype_policy
    eps = block.layer_norm_epsilon
    for name in attentions:
        norm = keras.layers.LayerNormalization(epsilon=eps, name=f"{name}_norm", dtype=policy)
        norm.build(inputs_shape)
        attention = MultiHeadAttention(
            block.num_heads,
            width // block.num_heads,
            dropout=block.dropout,
            rotary=rotary and name == "attention",
            name=name,
            dtype=policy,
        )
        attention.build(inputs_shape)
        setattr(block, f"{name}_norm", norm)
        # `cross_attention` is also the block's bool argument, so its layer gets a suffix.
        setattr(block, "attention" if name == "attention" else f"{name}_layer", attention)
    block.mlp_norm = keras.layers.LayerNormalization(epsilon=eps, name="mlp_norm", dtype=policy)
    block.mlp_norm.build(inputs_shape)
    block.mlp = FeedForward(block.intermediate_dim, dropout=block.dropout, name="mlp", dtype=policy)
    block.mlp.build(inputs_shape)
    block.residual_dropout = keras.layers.Dropout(block.dropout) if block.dropout > 0 else None


def _dropped(block, x, training):
    return x if block.residual_dropout is None else block.residual_dropout(x, training=training)


@keras.saving.register_keras_serializable(package="lmkeras")
class TransformerDecoderBlock(keras.layers.Layer):
    """Pre-LayerNorm decoder block: causal multi-head self-attention, then a GELU MLP.

    With `cross_attention=True` (a translation decoder) a cross-attention sub-block sits between
    them: queries from the decoder, keys and values from the encoder's outputs, masked by the
    source's padding mask.

    Args:
        num_heads: int ≥ 1. Attention heads; must divide the input width.
        intermediate_dim: int ≥ 1. Hidden width of the MLP.
        dropout: float in [0, 1). Dropout on attention weights and on both residual branches.
            Defaults to `0.0`.
        rotary: bool. Use rotary position embeddings (RoPE) in the self-attention. Defaults to
            `False`.
        layer_norm_epsilon: float. Defaults to `1e-5`.
        cross_attention: bool. Add cross-attention to an encoder's outputs. Defaults to
            `False`.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: tensor `(batch, T, width)`.
        encoder_outputs: tensor `(batch, S, width)`; required with `cross_attention` unless
            `cross_key_value` is given.
        encoder_padding_mask: optional bool `(batch, S)`, False at padded source positions.
        cache: optional tensor `(batch, 2, heads, max_length, head_dim)`: this block's key/value
            cache (see `MultiHeadAttention`).
        cache_index: int or scalar int tensor. Positions already in the cache.
        cross_key_value: optional `(batch, 2, S, heads, head_dim)` from
            `block.cross_attention_layer.project_key_value(encoder_outputs)`: the encoder's keys and
            values, computed once per sentence instead of once per generated token.
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
        **kwargs,
    ):
        super().__init__(**kwargs)
        _check_positive_int("num_heads", num_heads)
        _check_positive_int("intermediate_dim", intermediate_dim)
        _check_rate("dropout", dropout)
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.dropout = dropout
        self.rotary = rotary
        self.layer_norm_epsilon = layer_norm_epsilon
        self.cross_attention = cross_attention

    def build(self, inputs_shape, *args, **kwargs):
        names = ("attention", "cross_attention") if self.cross_attention else ("attention",)
        _build_sublayers(self, inputs_shape, names, rotary=self.rotary)

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
        x = inputs + _dropped(self, attended, training)
        if self.cross_attention:
            if encoder_outputs is None and cross_key_value is None:
                raise ValueError(
                    "A block with cross_attention=True needs `encoder_outputs` (or "
                    "`cross_key_value`); received neither."
                )
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
            x = x + _dropped(self, crossed, training)
            # Order of the extras: self weights, cross weights, cache.
            extras = extras[:1] + cross_weights + extras[1:] if return_attention_scores else extras
        x = x + self.mlp(self.mlp_norm(x), training=training)
        return (x, *extras) if extras else x

    def get_config(self):
        config = super().get_config()
        config.update(
            num_heads=self.num_heads,
            intermediate_dim=self.intermediate_dim,
            dropout=self.dropout,
            rotary=self.rotary,
            layer_norm_epsilon=self.layer_norm_epsilon,
            cross_attention=self.cross_attention,
        )
        return config


@keras.saving.register_keras_serializable(package="lmkeras")
class TiedEmbedding(keras.layers.Layer):
    """Token embedding that can also map vectors back to logits with the same table.

    `layer(ids)` looks rows up; `layer(x, reverse=True)` returns x · Wᵀ, one logit per token,
    computed in float32. Sharing the table (weight tying, Press & Wolf 2017) saves
    vocabulary × width parameters.

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
        _check_positive_int("vocabulary_size", vocabulary_size)
        _check_positive_int("output_dim", output_dim)
        self.vocabulary_size = vocabulary_size
        self.output_dim = output_dim
        if initializer is None:
            initializer = keras.initializers.RandomNormal(stddev=0.02)
        self.initializer = keras.initializers.get(initializer)

    def build(self, inputs_shape=None):
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.vocabulary_size, self.output_dim),
            initializer=self.initializer,
        )

    def call(self, inputs, reverse=False):
        if reverse:
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
