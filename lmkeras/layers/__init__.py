"""Layers (Keras only): attention, positions, Transformer blocks, losses.

Every class here is registered with `keras.saving.register_keras_serializable(package="lmkeras")`,
so importing `lmkeras` (which imports this package) is all a `.keras` file needs to load.
"""

from lmkeras.layers.additive_attention import AdditiveAttention
from lmkeras.layers.attention import MultiHeadAttention, causal_mask, scaled_dot_product_attention
from lmkeras.layers.losses import MaskedCrossEntropy
from lmkeras.layers.positional import PositionEmbedding, RotaryEmbedding, SinusoidalEncoding
from lmkeras.layers.transformer import (
    ACTIVATIONS,
    FeedForward,
    TiedEmbedding,
    TransformerDecoderBlock,
    TransformerEncoderBlock,
)

__all__ = [
    "ACTIVATIONS",
    "AdditiveAttention",
    "FeedForward",
    "MaskedCrossEntropy",
    "MultiHeadAttention",
    "PositionEmbedding",
    "RotaryEmbedding",
    "SinusoidalEncoding",
    "TiedEmbedding",
    "TransformerDecoderBlock",
    "TransformerEncoderBlock",
    "causal_mask",
    "scaled_dot_product_attention",
]
