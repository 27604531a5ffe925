"""Bad inputs of `lmkeras.layers.positional`: odd widths, positions past the table."""

from __future__ import annotations

import numpy as np

from lmkeras.layers.positional import (
    PositionEmbedding,
    RotaryEmbedding,
    SinusoidalEncoding,
    TrainedContext,
)
from tests.bad_inputs import bad, check_refused, table

ODD = np.ones((1, 2, 5), "float32")

POSITIONAL_ROWS = [
    bad(SinusoidalEncoding, lambda: SinusoidalEncoding(max_wavelength=0), ValueError,
        "max_wavelength=0"),
    bad(SinusoidalEncoding, lambda: SinusoidalEncoding()(ODD), ValueError, "even width", "5"),
    bad(PositionEmbedding, lambda: PositionEmbedding(0), ValueError, "sequence_length=0"),
    bad(PositionEmbedding, lambda: PositionEmbedding(8, initializer="nope"), ValueError,
        "`initializer`", "'nope'"),
    bad(PositionEmbedding, lambda: PositionEmbedding(8)(np.ones((1, 10, 4), "float32")),
        ValueError, "10 positions", "sequence_length=8"),
    bad(PositionEmbedding,
        lambda: PositionEmbedding(8)(np.ones((1, 4, 4), "float32"), start_index=6), ValueError,
        "start_index=6", "sequence_length=8"),
    bad(PositionEmbedding,
        lambda: PositionEmbedding(8)(np.ones((1, 4, 4), "float32"), start_index=-1), ValueError,
        "start_index=-1"),
    bad(RotaryEmbedding, lambda: RotaryEmbedding(max_wavelength=1.5), TypeError,
        "max_wavelength=1.5"),
    bad(RotaryEmbedding, lambda: RotaryEmbedding()(ODD), ValueError, "even width", "5"),
    bad(RotaryEmbedding, lambda: RotaryEmbedding()(np.ones((3, 4), "float32")), ValueError,
        "`inputs`", "(3, 4)"),
    bad(TrainedContext, lambda: TrainedContext(0), ValueError, "sequence_length=0"),
    bad(TrainedContext, lambda: TrainedContext(12.5), TypeError, "sequence_length=12.5"),
]  # fmt: skip


@table(POSITIONAL_ROWS)
def test_positions_refuse_bad_input(row):
    check_refused(row)
