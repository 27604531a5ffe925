"""Layers of the Transformer chapters: attention, positions and decoder blocks."""

from lmkeras.layers.attention import MultiHeadAttention, causal_mask, scaled_dot_product_attention
from lmkeras.layers.positional import PositionEmbedding, RotaryEmbedding, SinusoidalEncoding
from lmkeras.layers.transformer import FeedForward, TiedEmbedding, TransformerDecoderBlock

__all__ = [
    "FeedForward",
    "MultiHeadAttention",
    "PositionEmbedding",
    "RotaryEmbedding",
    "SinusoidalEncoding",
    "TiedEmbedding",
    "TransformerDecoderBlock",
    "causal_mask",
    "scaled_dot_product_attention",
]
