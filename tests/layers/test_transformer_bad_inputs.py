"""Bad inputs of `lmkeras.layers.transformer`, `dropout`, `losses` and `initializers`."""

from __future__ import annotations

import numpy as np

from lmkeras.layers.dropout import ThreefryDropout
from lmkeras.layers.initializers import clone_initializer, get_initializer
from lmkeras.layers.losses import MaskedCrossEntropy, token_cross_entropy
from lmkeras.layers.transformer import (
    FeedForward,
    LogitSoftCap,
    TiedEmbedding,
    TransformerDecoderBlock,
    TransformerEncoderBlock,
    activation_function,
    normalization,
)
from tests.bad_inputs import bad, check_refused, table

X = np.ones((1, 3, 8), "float32")
Encoder, Decoder = TransformerEncoderBlock, TransformerDecoderBlock

TRANSFORMER_ROWS = [
    bad(normalization, lambda: normalization("batch"), ValueError, "norm='batch'", "'rms'"),
    bad(normalization, lambda: normalization("rms", epsilon=0), ValueError,
        "layer_norm_epsilon=0"),
    bad(LogitSoftCap, lambda: LogitSoftCap(0), ValueError, "cap=0"),
    bad(ThreefryDropout, lambda: ThreefryDropout(1.0), ValueError, "rate=1.0"),
    bad(ThreefryDropout, lambda: ThreefryDropout("0.1"), TypeError, "rate='0.1'"),
    bad(LogitSoftCap, lambda: LogitSoftCap("30"), TypeError, "cap='30'"),
    bad(TransformerDecoderBlock, lambda: Decoder(2, 8, norm="group"), ValueError,
        "norm='group'"),
    bad(TransformerEncoderBlock, lambda: Encoder(2, 8, qk_norm="yes"), TypeError,
        "qk_norm='yes'"),
    bad(TransformerDecoderBlock, lambda: Decoder(2, 8, attention_dropout=1.0), ValueError,
        "attention_dropout=1.0"),
    bad(activation_function, lambda: activation_function("swish"), ValueError,
        "activation='swish'", "'gelu'"),
    bad(activation_function, lambda: activation_function(None), TypeError, "activation=None"),
    bad(FeedForward, lambda: FeedForward(0), ValueError, "intermediate_dim=0"),
    bad(FeedForward, lambda: FeedForward(4, activation="x"), ValueError, "activation='x'"),
    bad(FeedForward, lambda: FeedForward(4, dropout=-0.1), ValueError, "dropout=-0.1"),
    bad(FeedForward, lambda: FeedForward(4, kernel_initializer="nope"), ValueError,
        "`kernel_initializer`", "'nope'"),
    bad(TransformerEncoderBlock, lambda: Encoder(3, 8)(X), ValueError, "num_heads=3",
        "width=8"),
    bad(TransformerEncoderBlock, lambda: Encoder(2, 8, layer_norm_epsilon=-1), ValueError,
        "layer_norm_epsilon=-1"),
    bad(TransformerEncoderBlock, lambda: Encoder(2, 8, layer_norm_epsilon=0.0), ValueError,
        "layer_norm_epsilon=0.0"),
    bad(TransformerEncoderBlock, lambda: Encoder(2, 8)(X, padding_mask=np.ones((1, 2), bool)),
        ValueError, "`padding_mask`", "(1, 2)", "(1, 3)"),
    bad(TransformerDecoderBlock, lambda: Decoder(2, 8, cross_attention=1), TypeError,
        "cross_attention=1"),
    bad(TransformerDecoderBlock, lambda: Decoder(2, 8, rotary="yes"), TypeError,
        "rotary='yes'"),
    bad(TransformerDecoderBlock, lambda: Decoder(2, 8, cross_attention=True)(X), ValueError,
        "`encoder_outputs`"),
    bad(TransformerDecoderBlock,
        lambda: Decoder(2, 8, cross_attention=True)(X, X, np.ones((1, 5), bool)), ValueError,
        "`encoder_padding_mask`", "(1, 5)", "(1, 3)"),
    bad(TiedEmbedding, lambda: TiedEmbedding(0, 4), ValueError, "vocabulary_size=0"),
    bad(TiedEmbedding, lambda: TiedEmbedding(10, True), TypeError, "output_dim=True"),
    bad(TiedEmbedding, lambda: TiedEmbedding(10, 4, initializer="nope"), ValueError,
        "`initializer`", "'nope'"),
    bad(TiedEmbedding, lambda: TiedEmbedding(10, 4)(np.ones((1, 2, 5), "float32"), reverse=True),
        ValueError, "`inputs`", "5", "output_dim=4"),
]  # fmt: skip

LOSSES_ROWS = [
    bad(MaskedCrossEntropy, lambda: MaskedCrossEntropy(label_smoothing=2.0), ValueError,
        "label_smoothing=2.0"),
    bad(MaskedCrossEntropy, lambda: MaskedCrossEntropy(label_smoothing=True), TypeError,
        "label_smoothing=True"),
    bad(MaskedCrossEntropy, lambda: MaskedCrossEntropy()(np.ones((1, 2)), np.ones((1, 2))),
        ValueError, "`y_pred`", "(1, 2)", "(batch, length, vocabulary)"),
    bad(token_cross_entropy, lambda: token_cross_entropy(np.ones((1, 2)), np.ones((1, 2, 3, 4))),
        ValueError, "`y_pred`", "(1, 2, 3, 4)", "(batch, length, vocabulary)"),
]  # fmt: skip

INITIALIZERS_ROWS = [
    bad(
        clone_initializer, lambda: clone_initializer("nope"), ValueError, "`initializer`", "'nope'"
    ),
    bad(clone_initializer, lambda: clone_initializer(5), TypeError, "`initializer`", "5"),
    bad(get_initializer, lambda: get_initializer("kernel_initializer", None), TypeError,
        "kernel_initializer=None"),
]  # fmt: skip


@table(TRANSFORMER_ROWS)
def test_transformer_blocks_refuse_bad_input(row):
    check_refused(row)


@table(LOSSES_ROWS)
def test_losses_refuse_bad_input(row):
    check_refused(row)


@table(INITIALIZERS_ROWS)
def test_initializers_refuse_bad_input(row):
    check_refused(row)
