"""Layers of the attention chapters: attention, positions, encoder and decoder blocks."""

from lmkeras.layers.additive_attention import AdditiveAttention
from lmkeras.layers.attention import MultiHeadAttention, causal_mask, scaled_dot_product_attention
from lmkeras.layers.positional import PositionEmbedding, RotaryEmbedding, SinusoidalEncoding
from lmkeras.layers.transformer import (
    FeedForward,
    TiedEmbedding,
    TransformerDecoderBlock,
    TransformerEncoderBlock,
)

__all__ = [
    "AdditiveAttention",
    "FeedForward",
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
