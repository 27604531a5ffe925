"""Layers (Keras only): attention, positions, Transformer blocks, losses, noise, the VAE's
sampling and KL, LoRA.

Every class here is registered with `keras.saving.register_keras_serializable(package="lmkeras")`,
so importing `lmkeras` (which imports this package) is all a `.keras` file needs to load.
"""

from lmkeras.layers.additive_attention import AdditiveAttention
from lmkeras.layers.attention import MultiHeadAttention, causal_mask, scaled_dot_product_attention
from lmkeras.layers.dropout import ThreefryDropout
from lmkeras.layers.lora import LoRA, add_lora, lora_parameter_count, merge_lora
from lmkeras.layers.losses import MaskedCrossEntropy
from lmkeras.layers.noise import WordCorruption, WordDropout
from lmkeras.layers.positional import (
    PositionEmbedding,
    RotaryEmbedding,
    SinusoidalEncoding,
    TrainedContext,
)
from lmkeras.layers.transformer import (
    ACTIVATIONS,
    NORMS,
    FeedForward,
    LogitSoftCap,
    TiedEmbedding,
    TransformerDecoderBlock,
    TransformerEncoderBlock,
)
from lmkeras.layers.variational import (
    GaussianKL,
    GaussianSampling,
    SentenceCrossEntropy,
    gaussian_kl,
)

__all__ = [
    "ACTIVATIONS",
    "AdditiveAttention",
    "FeedForward",
    "GaussianKL",
    "GaussianSampling",
    "LoRA",
    "LogitSoftCap",
    "MaskedCrossEntropy",
    "MultiHeadAttention",
    "NORMS",
    "PositionEmbedding",
    "RotaryEmbedding",
    "SentenceCrossEntropy",
    "SinusoidalEncoding",
    "ThreefryDropout",
    "TiedEmbedding",
    "TrainedContext",
    "TransformerDecoderBlock",
    "TransformerEncoderBlock",
    "WordCorruption",
    "WordDropout",
    "add_lora",
    "causal_mask",
    "gaussian_kl",
    "lora_parameter_count",
    "merge_lora",
    "scaled_dot_product_attention",
]
