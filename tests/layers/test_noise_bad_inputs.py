"""Bad inputs of `lmkeras.layers.noise`: rates, kinds and ids of the corruption layers."""

from __future__ import annotations

from lmkeras.layers.noise import WordCorruption, WordDropout
from tests.bad_inputs import bad, check_refused, table

NOISE_ROWS = [
    bad(WordCorruption, lambda: WordCorruption(1.0), ValueError, "rate=1.0", "< 1"),
    bad(WordCorruption, lambda: WordCorruption(-0.1), ValueError, "rate=-0.1", "≥ 0"),
    bad(WordCorruption, lambda: WordCorruption("0.1"), TypeError, "rate='0.1'"),
    bad(WordCorruption, lambda: WordCorruption(0.1, kinds=("cut",)), ValueError, "`kinds`",
        "('cut',)", "'drop'"),
    bad(WordCorruption, lambda: WordCorruption(0.1, kinds=("drop", "drop")), ValueError,
        "`kinds`", "distinct"),
    bad(WordCorruption, lambda: WordCorruption(0.1, kinds="drop"), TypeError, "`kinds`",
        "'drop'", "list"),
    bad(WordCorruption, lambda: WordCorruption(0.1, kinds=()), TypeError, "`kinds`",
        "non-empty"),
    bad(WordCorruption, lambda: WordCorruption(0.1, mask_id=0), ValueError, "mask_id=0", "≥ 1"),
    bad(WordCorruption, lambda: WordCorruption(0.1, seed=-1), ValueError, "seed=-1", "≥ 0"),
    bad(WordCorruption, lambda: WordCorruption(0.1, seed=1.5), TypeError, "seed=1.5"),
    bad(WordDropout, lambda: WordDropout(1.5), ValueError, "rate=1.5", "< 1"),
    bad(WordDropout, lambda: WordDropout(None), TypeError, "rate=None"),
    bad(WordDropout, lambda: WordDropout(0.1, unknown_id=0), ValueError, "unknown_id=0", "≥ 1"),
    bad(WordDropout, lambda: WordDropout(0.1, keep_first=1), TypeError, "keep_first=1",
        "True or False"),
    bad(WordDropout, lambda: WordDropout(0.1, seed="0"), TypeError, "seed='0'"),
]  # fmt: skip


@table(NOISE_ROWS)
def test_noise_layers_refuse_bad_input(row):
    check_refused(row)
