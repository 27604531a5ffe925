"""Bad inputs of `lmkeras.layers.variational`: the KL weight and warm-up, seeds, and shapes that
do not meet."""

from __future__ import annotations

import numpy as np

from lmkeras.layers.variational import (
    GaussianKL,
    GaussianSampling,
    SentenceCrossEntropy,
    gaussian_kl,
)
from tests.bad_inputs import bad, check_refused, table

MEAN = np.zeros((2, 3), "float32")
TARGETS = np.ones((1, 3), "int32")

VARIATIONAL_ROWS = [
    bad(gaussian_kl, lambda: gaussian_kl(MEAN, np.zeros((2, 4), "float32")), ValueError,
        "`log_var`", "(2, 3)", "(2, 4)"),
    bad(gaussian_kl, lambda: gaussian_kl(MEAN, np.zeros((2,), "float32")), ValueError,
        "`log_var`", "(2,)"),
    bad(GaussianSampling, lambda: GaussianSampling(seed=-1), ValueError, "seed=-1", "≥ 0"),
    bad(GaussianSampling, lambda: GaussianSampling(seed="1"), TypeError, "seed='1'"),
    bad(GaussianKL, lambda: GaussianKL(weight=-1.0), ValueError, "weight=-1.0", "≥ 0"),
    bad(GaussianKL, lambda: GaussianKL(weight="1"), TypeError, "weight='1'"),
    bad(GaussianKL, lambda: GaussianKL(weight=float("nan")), ValueError, "weight=nan"),
    bad(GaussianKL, lambda: GaussianKL(anneal_steps=-5), ValueError, "anneal_steps=-5"),
    bad(GaussianKL, lambda: GaussianKL(anneal_steps=2.5), TypeError, "anneal_steps=2.5"),
    bad(GaussianKL, lambda: GaussianKL()((MEAN, np.zeros((2, 4), "float32"))), ValueError,
        "`log_var`", "(2, 3)", "(2, 4)"),
    bad(SentenceCrossEntropy, lambda: SentenceCrossEntropy(reduction="bad"), ValueError,
        "`reduction`", "reduction=bad"),
    bad(SentenceCrossEntropy,
        lambda: SentenceCrossEntropy()(TARGETS, np.ones((1, 3), "float32")), ValueError,
        "`y_pred`", "(1, 3)", "(batch, length, vocabulary)"),
]  # fmt: skip


@table(VARIATIONAL_ROWS)
def test_variational_layers_refuse_bad_input(row):
    check_refused(row)
