"""Bad inputs of `lmkeras.layers.attention` and `additive_attention`: shapes that do not meet,
and a KV cache that would overflow."""

from __future__ import annotations

import functools

import numpy as np
from keras import ops

from lmkeras.layers.additive_attention import AdditiveAttention
from lmkeras.layers.attention import MultiHeadAttention, causal_mask, scaled_dot_product_attention
from tests.bad_inputs import bad, check_refused, table

MHA = MultiHeadAttention
sdpa = scaled_dot_product_attention
Q = np.ones((1, 2, 4), "float32")


@functools.cache
def layer():
    mha = MultiHeadAttention(num_heads=2, head_dim=4)
    mha(np.ones((1, 1, 8), "float32"))
    return mha


def cached_call(new_tokens, index, cache_shape=(1, 2, 2, 4, 4), **kwargs):
    x = np.ones((1, new_tokens, 8), "float32")
    return layer()(x, cache=ops.zeros(cache_shape), cache_index=index, **kwargs)


ATTENTION_ROWS = [
    bad(causal_mask, lambda: causal_mask(0), ValueError, "query_length=0"),
    bad(causal_mask, lambda: causal_mask("3"), TypeError, "query_length='3'"),
    bad(causal_mask, lambda: causal_mask(2, key_length=0), ValueError, "key_length=0"),
    bad(causal_mask, lambda: causal_mask(2, offset=-1), ValueError, "offset=-1"),
    bad(scaled_dot_product_attention, lambda: sdpa(Q, np.ones((1, 2, 3)), Q), ValueError,
        "`query`", "(1, 2, 4)", "`key`", "(1, 2, 3)"),
    bad(scaled_dot_product_attention, lambda: sdpa(Q, Q, np.ones((1, 3, 4))), ValueError,
        "`value`", "(1, 3, 4)", "`key`"),
    bad(scaled_dot_product_attention, lambda: sdpa(Q, Q, Q, mask=np.ones((1, 3, 3), bool)),
        ValueError, "`mask`", "(1, 3, 3)", "(1, 2, 2)"),
    bad(MultiHeadAttention, lambda: MHA(0, 4), ValueError, "num_heads=0"),
    bad(MultiHeadAttention, lambda: MHA(2, True), TypeError, "head_dim=True"),
    bad(MultiHeadAttention, lambda: MHA(2, 4, dropout=1.0), ValueError, "dropout=1.0"),
    bad(MultiHeadAttention, lambda: MHA(2, 4, use_bias="yes"), TypeError, "use_bias='yes'"),
    bad(MultiHeadAttention, lambda: MHA(2, 3, rotary=True), ValueError, "head_dim=3"),
    bad(MultiHeadAttention, lambda: MHA(2, 4, kernel_initializer="nope"), ValueError,
        "`kernel_initializer`", "'nope'"),
    bad(MultiHeadAttention, lambda: cached_call(1, 0, (1, 2, 4)), ValueError, "`cache`",
        "(1, 2, 4)"),
    bad(MultiHeadAttention, lambda: cached_call(1, 5), ValueError, "cache_index=5", "4"),
    bad(MultiHeadAttention, lambda: cached_call(1, -1), ValueError, "cache_index=-1"),
    bad(MultiHeadAttention, lambda: cached_call(2, 3), ValueError, "cache_index=3",
        "2 new", "4"),
    bad(MultiHeadAttention, lambda: cached_call(1, ops.convert_to_tensor(4, "int32")),
        ValueError, "cache_index=4", "1 new", "4"),
    bad(MultiHeadAttention, lambda: cached_call(1, 0, value=np.ones((1, 3, 8), "float32")),
        ValueError, "`value`", "self-attention"),
    bad(MultiHeadAttention.check_cache,
        lambda: layer().check_cache(ops.zeros((1, 2, 2, 4, 4)), 3, new_tokens=2), ValueError,
        "cache_index=3", "2 new", "4"),
    bad(MultiHeadAttention.check_cache, lambda: layer().check_cache(ops.zeros((1, 2, 3))),
        ValueError, "`cache`", "(1, 2, 3)"),
    bad(MultiHeadAttention.empty_cache, lambda: layer().empty_cache(0, 4), ValueError,
        "batch_size=0"),
    bad(MultiHeadAttention.empty_cache, lambda: layer().empty_cache(1, -1), ValueError,
        "max_length=-1"),
    bad(MultiHeadAttention.grow_cache, lambda: layer().grow_cache(layer().empty_cache(1, 4), 2),
        ValueError, "max_length=2", "4"),
    bad(MultiHeadAttention.grow_cache,
        lambda: layer().grow_cache(layer().empty_cache(1, 4), True), TypeError,
        "max_length=True"),
]  # fmt: skip

ADDITIVE_ROWS = [
    bad(AdditiveAttention, lambda: AdditiveAttention(units=0), ValueError, "units=0"),
    bad(AdditiveAttention, lambda: AdditiveAttention(units=2)(Q), ValueError, "`inputs`",
        "(query, keys)"),
    bad(AdditiveAttention,
        lambda: AdditiveAttention(units=2)((Q, np.ones((1, 7, 4), "float32")),
                                           source_mask=np.ones((1, 5), bool)),
        ValueError, "`source_mask`", "(1, 5)", "(1, 7)"),
]  # fmt: skip


@table(ATTENTION_ROWS)
def test_attention_refuses_bad_input(row):
    check_refused(row)


@table(ADDITIVE_ROWS)
def test_additive_attention_refuses_bad_input(row):
    check_refused(row)


def test_a_refused_cache_write_leaves_the_cache_as_it_was():
    cache = ops.convert_to_tensor(np.arange(64, dtype="float32").reshape(1, 2, 2, 4, 4))
    before = ops.convert_to_numpy(cache).copy()
    check_refused(bad(MultiHeadAttention, lambda: layer()(np.ones((1, 2, 8), "float32"),
                                                          cache=cache, cache_index=3),
                      ValueError, "cache_index=3"))  # fmt: skip
    np.testing.assert_array_equal(ops.convert_to_numpy(cache), before)
