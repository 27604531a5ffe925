"""Bad inputs of the pictures of chapters 11 and 13 in `lmkeras.plots`: errors per code size,
scores by length, code projections and the data-parallel diagram. (The pictures of chapters
02–10 have their rows in tests/test_bad_inputs_vectors.py.) Nothing is drawn before a refusal."""

from __future__ import annotations

import matplotlib
import numpy as np

from lmkeras import plots
from tests.bad_inputs import bad, check_refused, table

matplotlib.use("Agg")

SCORES = {"AE": {3: {"exact": 1.0, "sentences": 5}, 4: {"exact": 0.5, "sentences": 2}}}
errors, by_length = plots.plot_reconstruction_error, plots.plot_scores_by_length
projection, data_parallel = plots.plot_code_projection, plots.plot_data_parallel

PLOTS_ROWS = [
    bad(errors, lambda: errors([1, 2, 3], {"AE": [0.5, 0.2]}), ValueError, "`errors`",
        "{'AE': 2}", "(3)"),
    bad(errors, lambda: errors([1, 2], {}), ValueError, "`errors`", "{}"),
    bad(errors, lambda: errors([1, 2], [0.5, 0.2]), TypeError, "`errors`", "[0.5, 0.2]"),
    bad(errors, lambda: errors(["a", "b"], {"AE": [0.5, 0.2]}), TypeError, "`code_sizes`",
        "numbers"),
    bad(errors, lambda: errors([[1, 2]], {"AE": [0.5, 0.2]}), ValueError, "`code_sizes`",
        "1 axis", "(1, 2)"),
    bad(by_length, lambda: by_length({}), ValueError, "`by_length`", "at least one run"),
    bad(by_length, lambda: by_length([0.5, 0.2]), TypeError, "`by_length`", "[0.5, 0.2]"),
    bad(by_length, lambda: by_length(SCORES, "accuracy"), ValueError, "`metric`",
        "metric='accuracy'", "'AE'", "['exact', 'sentences']"),
    bad(by_length, lambda: by_length(SCORES, 1), TypeError, "`metric`", "metric=1"),
    bad(by_length, lambda: by_length(SCORES, max_length=0), ValueError, "max_length=0"),
    bad(projection, lambda: projection(np.eye(3), ["a", "b"]), ValueError, "`points`",
        "(3, 3)", "2 groups"),
    bad(projection, lambda: projection(np.eye(2), "ab"), TypeError, "`groups`", "'ab'"),
    bad(projection, lambda: projection(np.eye(2), [0, 1]), TypeError, "`groups`", "index 0"),
    bad(projection, lambda: projection([["a", "b"]], ["a"]), TypeError, "`points`", "numbers"),
    bad(projection, lambda: projection(np.full((1, 2), np.nan), ["a"]), ValueError,
        "`points`", "nan"),
    bad(data_parallel, lambda: data_parallel(0), ValueError, "num_devices=0"),
    bad(data_parallel, lambda: data_parallel(2, 33), ValueError, "`batch_size`",
        "num_devices=2", "batch_size=33"),
    bad(data_parallel, lambda: data_parallel(2, 32.0), TypeError, "batch_size=32.0"),
]  # fmt: skip


@table(PLOTS_ROWS)
def test_plots_of_chapters_11_and_13_refuse_bad_input(row):
    import matplotlib.pyplot as plt

    try:
        check_refused(row)
    finally:
        plt.close("all")
