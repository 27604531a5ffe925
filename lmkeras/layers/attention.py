"""Attention from the formula: softmax(QKᵀ/√d)V, the causal mask, and multi-head attention.

`scaled_dot_product_attention` is the formula written with `keras.ops`; `causal_mask` says which
keys each query may see; `MultiHeadAttention` projects the inputs into heads, attends and mixes
the heads back, with an optional key/value cache for generation one token at a time. Its weights
have the same shapes as `keras.layers.MultiHeadAttention`'s, so they can be copied across.

Reference: Vaswani et al., "Attention Is All You Need", 2017.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

from lmkeras._checks import check_bool, check_int, check_rate, known_value
from lmkeras.layers.dropout import ThreefryDropout
from lmkeras.layers.initializers import clone_initializer, get_initializer
from lmkeras.layers.positional import RotaryEmbedding

# Added to the scores of masked keys before the softmax (in float32): exp(-1e9) is exactly 0.
MASK_VALUE = -1e9


def _check_static_int(name, value, minimum):
    """Check a size given as a Python or NumPy value; a tensor (traced code) passes as it is."""
    if isinstance(value, (bool, int, float, str, np.number)) or value is None:
        check_int(name, value, minimum)


def _broadcastable(shape, target):
    """Whether `shape` broadcasts to `target`, where None (unknown) matches anything."""
    if len(shape) > len(target):
        return False
    pairs = zip(reversed(shape), reversed(target))
    return all(a is None or b is None or a == b or a == 1 for a, b in pairs)


def causal_mask(query_length, key_length=None, offset=0):
    """Boolean `(query_length, key_length)` mask: query i may see key j when j <= i + offset.

    Args:
        query_length: int or scalar tensor. Number of queries.
        key_length: int or scalar tensor, or None for `query_length`.
        offset: int or scalar tensor. Position of the first query among the keys (the number of
            cached tokens before it). Defaults to `0`.

    Returns:
        bool tensor of shape `(query_length, key_length)`.

    Example:
    >>> ops.convert_to_numpy(causal_mask(3)).astype(int).tolist()
    [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    """
    _check_static_int("query_length", query_length, 1)
    key_length = query_length if key_length is None else key_length
    _check_static_int("key_length", key_length, 1)
    _check_static_int("offset", offset, 0)
    rows = ops.arange(query_length, dtype="int32")[:, None] + ops.cast(offset, "int32")
    cols = ops.arange(key_length, dtype="int32")[None, :]
    return ops.greater_equal(rows, cols)


def scaled_dot_product_attention(query, key, value, mask=None, dropout=None, training=None):
    """softmax(Q Kᵀ / √d) V over the last two axes; the softmax runs in float32.

    Args:
        query: tensor `(..., Tq, d)`.
        key: tensor `(..., Tk, d)`.
        value: tensor `(..., Tk, dv)`.
        mask: optional bool tensor broadcastable to `(..., Tq, Tk)`; False hides a key.
        dropout: optional `keras.layers.Dropout` applied to the weights.
        training: bool or None, passed to `dropout`.

    Returns:
        `(output, weights)`: output `(..., Tq, dv)` in the query's dtype, weights
        `(..., Tq, Tk)` in float32 (each row sums to 1).

    Example:
    >>> q = k = v = ops.ones((1, 2, 4))
    >>> out, w = scaled_dot_product_attention(q, k, v)
    >>> ops.convert_to_numpy(w).tolist()
    [[[0.5, 0.5], [0.5, 0.5]]]
    """
    q, k, v = (tuple(t.shape) for t in (query, key, value))
    if None not in (q[-1], k[-1]) and q[-1] != k[-1]:
        raise ValueError(
            f"`query` and `key` must have the same depth (last axis); received query shape {q} "
            f"and key shape {k}."
        )
    if None not in (k[-2], v[-2]) and k[-2] != v[-2]:
        raise ValueError(
            f"`value` must have as many positions as `key`; received value shape {v} and key "
            f"shape {k}."
        )
    if mask is not None and not _broadcastable(tuple(mask.shape), (*q[:-1], k[-2])):
        raise ValueError(
            f"`mask` must broadcast to the scores' shape {(*q[:-1], k[-2])} (..., Tq, Tk); "
            f"received mask shape {tuple(mask.shape)}."
        )
    scores = ops.matmul(query, ops.swapaxes(key, -1, -2))  # (..., Tq, Tk)
    return _weigh_values(scores, query.shape[-1], value, mask, dropout, training)


def _attend_to_cache(query, key, value, mask, dropout=None, training=None):
    """`scaled_dot_product_attention` over keys/values `(B, H, T, D)` read from a cache.

    The scores are computed as (K Qᵀ)ᵀ, which equals Q Kᵀ: a matmul reads its second operand
    as (d, T), so Q Kᵀ would first copy every cached key into that layout, at every generated
    token; K Qᵀ reads the cache where it lies and transposes only the small (T, Tq) result.
    """
    scores = ops.swapaxes(ops.matmul(key, ops.swapaxes(query, -1, -2)), -1, -2)  # (B, H, Tq, T)
    return _weigh_values(scores, query.shape[-1], value, mask, dropout, training)


def _weigh_values(scores, depth, value, mask, dropout, training):
    """softmax(scores / √depth), masked and in float32, then the weighted sum of `value`."""
    scores = ops.cast(scores, "float32") * (1.0 / math.sqrt(depth))
    if mask is not None:
        scores = ops.where(mask, scores, MASK_VALUE)
    weights = ops.softmax(scores, axis=-1)
    dropped = weights if dropout is None else dropout(weights, training=training)
    return ops.matmul(ops.cast(dropped, value.dtype), value), weights


@keras.saving.register_keras_serializable(package="lmkeras")
class MultiHeadAttention(keras.layers.Layer):
    """Multi-head attention with an optional causal mask, rotary positions and a KV cache.

    Each head projects the inputs to queries, keys and values of size `head_dim`, attends, and
    an output projection mixes the heads. Attention is `scaled_dot_product_attention` when the
    weights are asked for or dropped out, and with a cache; otherwise
    `keras.ops.dot_product_attention`, the same formula run by each backend's native kernel.
    Kernels have the shapes of `keras.layers.MultiHeadAttention` (query/key/value
    `(dim, heads, head_dim)`, output `(heads, head_dim, dim)`), in the order query, key, value,
    output.

    Args:
        num_heads: int ≥ 1. Number of heads.
        head_dim: int ≥ 1. Size of each head's queries, keys and values.
        dropout: float in [0, 1). Dropout on the attention weights. Defaults to `0.0`.
        use_bias: bool. Biases in the projections. Defaults to `True`.
        rotary: bool. Rotate queries and keys with `RotaryEmbedding` (RoPE) before the dot
            product, so scores depend on relative positions. Defaults to `False`.
        rotary_max_wavelength: int. RoPE's longest wavelength. Defaults to `10000`.
        qk_norm: bool. RMS-normalise each head's queries and keys (with a learned scale) before
            the dot product (QK-norm, as in recent fast GPT recipes): the scores stay bounded,
            so a high learning rate cannot blow the softmax up. Defaults to `False`.
        kernel_initializer: initializer of the four projections. Defaults to
            `"glorot_uniform"` (GPT-2 uses normal with stddev 0.02).
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        query: tensor `(batch, Tq, dim)`.
        value: tensor `(batch, Tk, dim)`, or None for self-attention (`value = query`).
        key: tensor `(batch, Tk, dim)`, or None for `key = value`.
        attention_mask: optional bool `(batch, Tq, Tk)` (or broadcastable); False hides a key.
        use_causal_mask: bool. Hide later positions (a decoder's self-attention).
        cache: optional tensor `(batch, 2, num_heads, max_length, head_dim)` (see
            `empty_cache`, the one owner of this layout) holding the keys
            and values of earlier positions (self-attention only); the new keys/values are
            written at `cache_index` and the queries attend to positions `< cache_index + Tq`.
            Heads come before positions, the layout the attention matmuls read in place.
        cache_index: int or scalar int tensor. Number of positions already in `cache`.
        key_value: optional tensor `(batch, 2, num_heads, Tk, head_dim)` from
            `project_key_value`: keys and values already projected, used instead of projecting
            `key`/`value` again (cross-attention to a fixed encoder output, step after step).
        return_attention_scores: bool. Also return the weights `(batch, heads, Tq, Tk)`.
        training: bool or None.

    Returns:
        `output (batch, Tq, dim)`; then the weights when `return_attention_scores`; then the
        updated cache when `cache` is given.

    Example:
    >>> layer = MultiHeadAttention(num_heads=2, head_dim=4)
    >>> tuple(layer(ops.ones((1, 3, 8)), use_causal_mask=True).shape)
    (1, 3, 8)
    """

    def __init__(
        self,
        num_heads,
        head_dim,
        dropout=0.0,
        use_bias=True,
        rotary=False,
        rotary_max_wavelength=10000,
        kernel_initializer="glorot_uniform",
        qk_norm=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_heads = check_int("num_heads", num_heads)
        self.head_dim = check_int("head_dim", head_dim)
        self.dropout = check_rate("dropout", dropout)
        self.use_bias = check_bool("use_bias", use_bias)
        self.rotary = check_bool("rotary", rotary)
        if rotary and head_dim % 2:
            raise ValueError(
                f"`rotary=True` needs an even `head_dim`; received head_dim={head_dim}."
            )
        self.rotary_max_wavelength = check_int("rotary_max_wavelength", rotary_max_wavelength)
        self.kernel_initializer = get_initializer("kernel_initializer", kernel_initializer)
        self.qk_norm = check_bool("qk_norm", qk_norm)

    def build(self, query_shape, value_shape=None, key_shape=None):
        value_shape = query_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        dim = query_shape[-1]
        heads = (self.num_heads, self.head_dim)

        def projection(name, in_dim):
            layer = keras.layers.EinsumDense(
                "btd,dhk->bthk",
                output_shape=(None, *heads),
                bias_axes="hk" if self.use_bias else None,
                kernel_initializer=clone_initializer(self.kernel_initializer),
                name=name,
                dtype=self.dtype_policy,
            )
            layer.build((None, None, in_dim))
            return layer

        self.query_dense = projection("query", dim)
        self.key_dense = projection("key", key_shape[-1])
        self.value_dense = projection("value", value_shape[-1])
        self.output_dense = keras.layers.EinsumDense(
            "bthk,hkd->btd",
            output_shape=(None, dim),
            bias_axes="d" if self.use_bias else None,
            kernel_initializer=clone_initializer(self.kernel_initializer),
            name="attention_output",
            dtype=self.dtype_policy,
        )
        self.output_dense.build((None, None, *heads))
        self.dropout_layer = (
            ThreefryDropout(self.dropout, dtype=self.dtype_policy) if self.dropout > 0 else None
        )
        self.rotary_layer = None
        if self.rotary:
            self.rotary_layer = RotaryEmbedding(max_wavelength=self.rotary_max_wavelength)
        self.query_norm = self.key_norm = None
        if self.qk_norm:
            self.query_norm = self._head_norm("query_norm")
            self.key_norm = self._head_norm("key_norm")

    def _head_norm(self, name):
        norm = keras.layers.RMSNormalization(epsilon=1e-6, name=name, dtype=self.dtype_policy)
        norm.build((None, None, self.num_heads, self.head_dim))
        return norm

    def empty_cache(self, batch_size, max_length, dtype=None):
        """A zero key/value cache for this layer: `(batch, 2, num_heads, max_length, head_dim)`.

        The one place that knows the cache layout: heads come before positions, the layout the
        attention matmuls read in place (see `_attend_to_cache`).
        """
        _check_static_int("batch_size", batch_size, 1)
        _check_static_int("max_length", max_length, 0)
        shape = (batch_size, 2, self.num_heads, max_length, self.head_dim)
        return ops.zeros(shape, dtype or self.compute_dtype)

    @staticmethod
    def cache_length(cache):
        """Positions a cache from `empty_cache` holds."""
        return cache.shape[3]

    def grow_cache(self, cache, max_length):
        """`cache` padded with empty positions to hold `max_length` (kept contents unchanged)."""
        self.check_cache(cache)
        extra = check_int("max_length", max_length, 0) - self.cache_length(cache)
        if extra < 0:
            raise ValueError(
                f"`max_length` must be at least the cache's length {self.cache_length(cache)}; "
                f"received max_length={max_length}."
            )
        return ops.pad(cache, [[0, 0], [0, 0], [0, 0], [0, extra], [0, 0]])

    def call(
        self,
        query,
        value=None,
        key=None,
        attention_mask=None,
        use_causal_mask=False,
        cache=None,
        cache_index=None,
        key_value=None,
        return_attention_scores=False,
        training=None,
    ):
        start = 0 if cache_index is None else cache_index
        if cache is not None:
            if value is not None or key is not None:
                raise ValueError(
                    "`value` and `key` must be None with a `cache`: the cache holds this "
                    "layer's self-attention keys and values; received "
                    f"value={None if value is None else tuple(value.shape)}, "
                    f"key={None if key is None else tuple(key.shape)}."
                )
            # Before anything is written: a write past the end is clipped silently by XLA.
            self.check_cache(cache, cache_index, new_tokens=query.shape[1])
        q = self.query_dense(query)  # (B, Tq, H, D)
        head_major = cache is not None or key_value is not None
        if key_value is None:
            value = query if value is None else value
            k = self.key_dense(value if key is None else key)  # (B, Tk, H, D)
            v = self.value_dense(value)
            if self.key_norm is not None:
                k = self.key_norm(k)
        if self.query_norm is not None:
            q = self.query_norm(q)
        if self.rotary_layer is not None:
            q = self.rotary_layer(q, start_index=start)
            k = self.rotary_layer(k, start_index=start)
        if cache is not None:
            # One in-place write of the new positions (stacking the whole cache would copy it).
            zero = ops.zeros((), "int32")
            new = ops.transpose(ops.stack([k, v], axis=1), (0, 1, 3, 2, 4))  # (B, 2, H, Tq, D)
            at = [zero, zero, zero, ops.cast(start, "int32"), zero]
            cache = ops.slice_update(cache, at, ops.cast(new, cache.dtype))
            k, v = cache[:, 0], cache[:, 1]  # (B, H, max_length, D)
        elif key_value is not None:
            k, v = key_value[:, 0], key_value[:, 1]  # (B, H, Tk, D)
        k_length = ops.shape(k)[2 if head_major else 1]
        mask = attention_mask
        if mask is not None:
            mask = ops.expand_dims(ops.cast(mask, "bool"), axis=1)  # (B, 1, Tq, Tk)
        if use_causal_mask or cache is not None:
            causal = causal_mask(ops.shape(q)[1], k_length, offset=start)
            mask = causal if mask is None else ops.logical_and(mask, causal)
        dropout = self.dropout_layer
        if head_major:
            # Matmuls on head-major keys/values: the fused op would copy the whole cache into
            # its (B, T, H, D) layout at every generated token.
            qh = ops.transpose(q, (0, 2, 1, 3))  # (B, H, Tq, D)
            output, weights = _attend_to_cache(qh, k, v, mask, dropout, training)
            output = ops.transpose(output, (0, 2, 1, 3))  # (B, Tq, H, D)
        elif return_attention_scores or (dropout is not None and training):
            output, weights = scaled_dot_product_attention(
                *(ops.transpose(t, (0, 2, 1, 3)) for t in (q, k, v)),  # (B, H, T, D)
                mask=mask,
                dropout=dropout,
                training=training,
            )
            output = ops.transpose(output, (0, 2, 1, 3))  # (B, Tq, H, D)
        else:
            # The same formula as Keras's fused op, which each backend implements natively
            # (PyTorch's scaled_dot_product_attention, jax.nn's) in the (B, T, H, D) layout.
            if mask is not None and len(mask.shape) == 2:
                mask = mask[None, None]  # (1, 1, Tq, Tk)
            output = ops.dot_product_attention(q, k, v, mask=mask, scale=self.head_dim**-0.5)
        output = self.output_dense(output)  # (B, Tq, dim)
        outputs = (output,)
        if return_attention_scores:
            outputs += (weights,)
        if cache is not None:
            outputs += (cache,)
        return outputs[0] if len(outputs) == 1 else outputs

    def check_cache(self, cache, cache_index=None, new_tokens=0):
        """Refuse a cache of the wrong layout, or a write that would not fit in it.

        Args:
            cache: a tensor from `empty_cache`.
            cache_index: int, scalar int tensor or None. Positions already in the cache; its
                value is checked when it can be read (an int, an eager tensor). Inside compiled
                code the caller checks before entering, as `gpt_step_fn` does.
            new_tokens: int or None. Positions about to be written at `cache_index`.
        """
        shape = tuple(cache.shape)
        expected = (2, self.num_heads, self.head_dim)
        if len(shape) != 5 or (shape[1], shape[2], shape[4]) != expected:
            raise ValueError(
                f"`cache` must have shape (batch, 2, num_heads={self.num_heads}, max_length, "
                f"head_dim={self.head_dim}); received shape {shape}."
            )
        index = None if cache_index is None else known_value(cache_index)
        if index is None or index.ndim or shape[3] is None:
            return
        index, new_tokens = int(index), new_tokens or 0
        if index < 0 or index + new_tokens > shape[3]:
            raise ValueError(
                f"`cache_index` + the new tokens must fit the cache of length {shape[3]}: "
                f"received cache_index={index} and {new_tokens} new token(s). Nothing was "
                f"written; start a fresh cache or a longer one (`grow_cache`)."
            )

    def project_key_value(self, value, key=None):
        """Keys and values of `value` (and `key`, default `value`), head-major like the cache:
        `(batch, 2, num_heads, Tk, head_dim)`, to pass back as `key_value`."""
        key = self.key_dense(value if key is None else key)
        if self.key_norm is not None:
            key = self.key_norm(key)
        stacked = ops.stack([key, self.value_dense(value)], axis=1)
        return ops.transpose(stacked, (0, 1, 3, 2, 4))  # (B, 2, H, Tk, D)

    def get_config(self):
        config = super().get_config()
        config.update(
            num_heads=self.num_heads,
            head_dim=self.head_dim,
            dropout=self.dropout,
            use_bias=self.use_bias,
            rotary=self.rotary,
            rotary_max_wavelength=self.rotary_max_wavelength,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
            qk_norm=self.qk_norm,
        )
        return config
