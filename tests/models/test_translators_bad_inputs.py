"""Bad inputs of `lmkeras.models.gru_translator` and `transformer_translator`."""

from __future__ import annotations

import functools

import numpy as np

from lmkeras.models.gru_translator import GRUTranslator
from lmkeras.models.transformer_translator import TransformerTranslator
from tests.bad_inputs import bad, check_refused, table

SRC = np.array([[5, 6, 0], [7, 8, 9]])
DEC = np.array([[2, 4], [2, 5]])


@functools.cache
def gru(attention=True):
    return GRUTranslator(20, 12, embedding_dim=2, units=2, attention=attention)


@functools.cache
def transformer():
    return TransformerTranslator(20, 12, max_length=4, hidden_dim=2, num_encoder_layers=1,
                                 num_decoder_layers=1, num_heads=1)  # fmt: skip


def tt(**kwargs):
    arguments = {"source_vocabulary_size": 20, "target_vocabulary_size": 12, "max_length": 4,
                 "hidden_dim": 4, "num_heads": 1, **kwargs}  # fmt: skip
    return TransformerTranslator(**arguments)


GRU_ROWS = [
    bad(GRUTranslator, lambda: GRUTranslator(1, 12), ValueError, "source_vocabulary_size=1"),
    bad(GRUTranslator, lambda: GRUTranslator(20, 3), ValueError, "target_vocabulary_size=3"),
    bad(GRUTranslator, lambda: GRUTranslator(20, 12, units=7), ValueError, "units=7", "even"),
    bad(GRUTranslator, lambda: GRUTranslator(20, 12, teacher_forcing_ratio=1.5), ValueError,
        "teacher_forcing_ratio=1.5"),
    bad(GRUTranslator, lambda: GRUTranslator(20, 12, seed=-1), ValueError, "seed=-1"),
    bad(GRUTranslator, lambda: GRUTranslator(20, 12, dropout=1.0), ValueError, "dropout=1.0"),
    bad(GRUTranslator, lambda: GRUTranslator(20, 12, attention="yes"), TypeError,
        "attention='yes'"),
    bad(GRUTranslator, lambda: gru()(SRC), ValueError, "`inputs`", "(source_ids, decoder_inputs)"),
    bad(GRUTranslator.decode_step_by_step, lambda: gru().decode_step_by_step(SRC, DEC, 2.0),
        ValueError, "teacher_forcing_ratio=2.0"),
    bad(GRUTranslator.decode_step_by_step, lambda: gru().decode_step_by_step(SRC + 20, DEC),
        ValueError, "`source_ids`", "[0, 20)"),
    bad(GRUTranslator.attention_weights, lambda: gru(False).attention_weights(SRC, DEC),
        ValueError, "attention=True"),
    bad(GRUTranslator.attention_weights, lambda: gru().attention_weights(SRC, DEC + 12),
        ValueError, "`decoder_inputs`", "[0, 12)"),
    bad(GRUTranslator.step_fn, lambda: gru().step_fn(SRC + 20), ValueError, "`source_ids`",
        "[0, 20)"),
    bad(GRUTranslator.step_fn, lambda: gru().step_fn(SRC, use_cache="yes"), TypeError,
        "use_cache='yes'"),
    bad(GRUTranslator.step_fn, lambda: gru().step_fn(SRC)(np.array([[2], [12]]), None),
        ValueError, "`new_ids`", "[0, 12)", "12"),
    bad(GRUTranslator.step_fn, lambda: gru().step_fn(SRC)(np.array([[2], [2], [2]]), None),
        ValueError, "`new_ids`", "3 rows", "2 sources"),
]  # fmt: skip

TRANSFORMER_ROWS = [
    bad(TransformerTranslator, lambda: tt(hidden_dim=8, num_heads=3), ValueError,
        "hidden_dim=8", "num_heads=3"),
    bad(TransformerTranslator, lambda: tt(max_length=0), ValueError, "max_length=0"),
    bad(TransformerTranslator, lambda: tt(dropout=1.0), ValueError, "dropout=1.0"),
    bad(TransformerTranslator, lambda: tt(intermediate_dim=0), ValueError, "intermediate_dim=0"),
    bad(TransformerTranslator, lambda: transformer()(SRC), ValueError, "`inputs`",
        "(source_ids, decoder_inputs)"),
    bad(TransformerTranslator.step_fn, lambda: transformer().step_fn(SRC, bucket=0),
        ValueError, "bucket=0"),
    bad(TransformerTranslator.step_fn, lambda: transformer().step_fn(SRC - 1), ValueError,
        "`source_ids`", "-1"),
    bad(TransformerTranslator.step_fn,
        lambda: transformer().step_fn(np.ones((1, 6), "int32")), ValueError, "`source_ids`",
        "6 positions", "max_length is 4"),
    bad(TransformerTranslator.step_fn,
        lambda: transformer().step_fn(SRC, jit=False)(np.array([[2], [12]]), None), ValueError,
        "`new_ids`", "[0, 12)"),
    bad(TransformerTranslator.step_fn,
        lambda: transformer().step_fn(SRC, jit=False)(np.array([[2]] * 3), None), ValueError,
        "`new_ids`", "3 rows", "2 source"),
    bad(TransformerTranslator.step_fn,
        lambda: transformer().step_fn(SRC, jit=False)(np.full((2, 5), 2), None), ValueError,
        "max_length=4", "5"),
    bad(TransformerTranslator.cross_attention_weights,
        lambda: transformer().cross_attention_weights(SRC + 20, DEC), ValueError,
        "`source_ids`", "[0, 20)"),
]  # fmt: skip


@table(GRU_ROWS)
def test_gru_translator_refuses_bad_input(row):
    check_refused(row)


@table(TRANSFORMER_ROWS)
def test_transformer_translator_refuses_bad_input(row):
    check_refused(row)
