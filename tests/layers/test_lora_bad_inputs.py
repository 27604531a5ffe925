"""Bad inputs of `lmkeras.layers.lora`: ranks, scales, layers that cannot be wrapped, names that
match nothing, and what is not a model."""

from __future__ import annotations

import functools

import keras

from lmkeras.layers.attention import MultiHeadAttention
from lmkeras.layers.lora import LoRA, add_lora, lora_parameter_count, merge_lora
from tests.bad_inputs import bad, check_refused, table


def dense():
    layer = keras.layers.Dense(3)
    layer.build((None, 4))
    return layer


def attention():
    layer = MultiHeadAttention(num_heads=2, head_dim=4)
    layer.build((None, None, 8))
    return layer


@functools.cache
def adapted():
    """A model that already holds a LoRA wrapper."""
    return keras.Sequential([keras.Input((4,)), LoRA(keras.layers.Dense(3), rank=2)])


def keras_lora():
    layer = dense()
    layer.enable_lora(2)
    return layer


LORA_ROWS = [
    bad(LoRA, lambda: LoRA(dense(), rank=0), ValueError, "rank=0", "≥ 1"),
    bad(LoRA, lambda: LoRA(dense(), rank=2.0), TypeError, "rank=2.0"),
    bad(LoRA, lambda: LoRA(dense(), rank=2, alpha=0), ValueError, "alpha=0", "> 0"),
    bad(LoRA, lambda: LoRA(dense(), rank=2, alpha="16"), TypeError, "alpha='16'"),
    bad(LoRA, lambda: LoRA(keras.layers.Embedding(4, 2), rank=2), TypeError, "`layer`",
        "Embedding", "keras.layers.Dense"),
    bad(LoRA, lambda: LoRA("query", rank=2), TypeError, "`layer`", "'query'"),
    bad(LoRA, lambda: LoRA(keras_lora(), rank=2), ValueError, "`layer`", "own LoRA"),
    bad(add_lora, lambda: add_lora(attention(), rank=0), ValueError, "rank=0"),
    bad(add_lora, lambda: add_lora(attention(), rank=2, alpha=-1.0), ValueError, "alpha=-1.0"),
    bad(add_lora, lambda: add_lora(attention(), rank=2, targets="query"), TypeError,
        "`targets`", "'query'"),
    bad(add_lora, lambda: add_lora(attention(), rank=2, targets=("qkv",)), ValueError,
        "`targets`", "('qkv',)", "Dense/EinsumDense"),
    bad(add_lora, lambda: add_lora(attention(), rank=2, targets=("",)), ValueError,
        "`targets`", "''"),
    bad(add_lora, lambda: add_lora(adapted(), rank=2), ValueError, "`model`", "merge_lora"),
    bad(add_lora, lambda: add_lora("gpt", rank=2), TypeError, "`model`", "'gpt'",
        "keras.Model"),
    bad(merge_lora, lambda: merge_lora("gpt"), TypeError, "`model`", "'gpt'", "add_lora"),
    bad(lora_parameter_count, lambda: lora_parameter_count(None), TypeError, "`model`",
        "None"),
]  # fmt: skip


@table(LORA_ROWS)
def test_lora_refuses_bad_input(row):
    check_refused(row)
