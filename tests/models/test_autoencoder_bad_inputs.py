"""Bad inputs of `lmkeras.models.autoencoder`: sizes, rates, models that are not sequence
autoencoders, codes of the wrong size and ids outside the vocabulary."""

from __future__ import annotations

import functools

import numpy as np

from lmkeras.models.autoencoder import (
    autoencoder_parts,
    autoencoder_step_fn,
    build_denoising_autoencoder,
    build_dense_autoencoder,
    build_sequence_autoencoder,
    build_variational_autoencoder,
    decode_with_codes,
)
from tests.bad_inputs import bad, check_refused, table

V = 10
DEC = np.array([[2, 5, 6, 0]], "int32")
dense, sequence = build_dense_autoencoder, build_sequence_autoencoder
denoising, variational = build_denoising_autoencoder, build_variational_autoencoder


@functools.cache
def model():
    return build_sequence_autoencoder(V, code_dim=4, embedding_dim=4, units=6)


@functools.cache
def step_fn():
    return autoencoder_step_fn(model(), np.zeros((2, 4), "float32"))


AUTOENCODER_ROWS = [
    bad(build_dense_autoencoder, lambda: dense(0, 2), ValueError, "input_dim=0", "≥ 1"),
    bad(build_dense_autoencoder, lambda: dense(4, -1), ValueError, "code_dim=-1"),
    bad(build_dense_autoencoder, lambda: dense(4, 2, hidden_dim=0), ValueError, "hidden_dim=0"),
    bad(build_dense_autoencoder, lambda: dense("4", 2), TypeError, "input_dim='4'"),
    bad(build_sequence_autoencoder, lambda: sequence(3), ValueError, "vocabulary_size=3", "≥ 4"),
    bad(build_sequence_autoencoder, lambda: sequence(V, code_dim=0), ValueError, "code_dim=0"),
    bad(build_sequence_autoencoder, lambda: sequence(V, units=7), ValueError, "`units`",
        "units=7", "even"),
    bad(build_sequence_autoencoder, lambda: sequence(V, units=0), ValueError, "units=0", "≥ 2"),
    bad(build_sequence_autoencoder, lambda: sequence(V, embedding_dim=2.0), TypeError,
        "embedding_dim=2.0"),
    bad(build_denoising_autoencoder, lambda: denoising(V, rate=1.0), ValueError, "rate=1.0"),
    bad(build_denoising_autoencoder, lambda: denoising(V, kinds=("cut",)), ValueError,
        "`kinds`", "'cut'"),
    bad(build_denoising_autoencoder, lambda: denoising(V, mask_id=0), ValueError, "mask_id=0"),
    bad(build_denoising_autoencoder, lambda: denoising(2), ValueError, "vocabulary_size=2"),
    bad(build_variational_autoencoder, lambda: variational(V, word_dropout=1.0), ValueError,
        "word_dropout=1.0"),
    bad(build_variational_autoencoder, lambda: variational(V, kl_weight=-1.0), ValueError,
        "kl_weight=-1.0", "≥ 0"),
    bad(build_variational_autoencoder, lambda: variational(V, anneal_steps=-1), ValueError,
        "anneal_steps=-1"),
    bad(build_variational_autoencoder, lambda: variational(V, seed=-1), ValueError, "seed=-1"),
    bad(autoencoder_parts, lambda: autoencoder_parts(dense(4, 2)), TypeError, "`model`",
        "build_sequence", "'dense_autoencoder'"),
    bad(autoencoder_parts, lambda: autoencoder_parts("model"), TypeError, "`model`",
        "'model'", "keras.Model"),
    bad(autoencoder_step_fn, lambda: autoencoder_step_fn(model(), np.zeros((2, 5))),
        ValueError, "`codes`", "(batch, 4)", "(2, 5)"),
    bad(autoencoder_step_fn, lambda: autoencoder_step_fn("model", np.zeros((2, 4))),
        TypeError, "`model`", "'model'"),
    bad(autoencoder_step_fn, lambda: step_fn()(np.full((3, 1), 2, "int32"), None), ValueError,
        "`new_ids`", "3 rows", "2 codes"),
    bad(decode_with_codes, lambda: decode_with_codes(model(), DEC, np.zeros((3,))), ValueError,
        "`codes`", "(batch, 4)", "(3,)"),
    bad(decode_with_codes, lambda: decode_with_codes(model(), DEC + 10, np.zeros((1, 4))),
        ValueError, "`decoder_inputs`", "[0, 10)", "id 16"),
    bad(decode_with_codes, lambda: decode_with_codes(model(), DEC[0], np.zeros((1, 4))),
        ValueError, "`decoder_inputs`", "2 axes", "(4,)"),
    bad(decode_with_codes, lambda: decode_with_codes(model(), DEC * 0.5, np.zeros((1, 4))),
        TypeError, "`decoder_inputs`", "integer", "float64"),
]  # fmt: skip


@table(AUTOENCODER_ROWS)
def test_autoencoder_builders_refuse_bad_input(row):
    check_refused(row)
