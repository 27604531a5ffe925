"""Bad inputs of `lmkeras.vectors` and `lmkeras.plots`: shapes, NaN, one string, lost metrics."""

from __future__ import annotations

import tempfile

import matplotlib
import numpy as np

from lmkeras import plots, vectors
from tests.bad_inputs import bad, check_refused, table

matplotlib.use("Agg")

nan = float("nan")
V = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
WORDS = ["cat", "dog", "car", "bus"]
NAN_V = np.array([[1.0, 0.0], [nan, 0.1], [0.0, 1.0], [0.1, 0.9]])
neighbours, analogy, groups = vectors.nearest_neighbors, vectors.analogy, vectors.group_score
HISTORY = {"loss": [2.0, 1.5], "val_loss": [2.1, 1.7]}

VECTORS_ROWS = [
    bad(vectors.nearest_neighbors, lambda: neighbours(V[0], WORDS, "cat"), ValueError,
        "`vectors`", "2 axes", "(2,)"),
    bad(vectors.nearest_neighbors, lambda: neighbours(NAN_V, WORDS, "cat"), ValueError,
        "`vectors`", "nan", "(1, 0)"),
    bad(vectors.nearest_neighbors, lambda: neighbours([["a", "b"]] * 4, WORDS, "cat"),
        TypeError, "`vectors`", "<U1"),
    bad(vectors.nearest_neighbors, lambda: neighbours(V, "catdogcarbus", "cat"), TypeError,
        "`vocabulary`", "'catdogcarbus'"),
    bad(vectors.nearest_neighbors, lambda: neighbours(V, WORDS[:3], "cat"), ValueError,
        "`vocabulary`", "4 rows", "3 words"),
    bad(vectors.nearest_neighbors, lambda: neighbours(V, WORDS, "cow"), vectors.UnknownWordError,
        "'cow'", "not in the vocabulary"),
    bad(vectors.nearest_neighbors, lambda: neighbours(V, WORDS, 5), TypeError, "`word`",
        "word=5"),
    bad(vectors.nearest_neighbors, lambda: neighbours(V, WORDS, "cat", k=0), ValueError,
        "k=0", "≤ 3"),
    bad(vectors.nearest_neighbors, lambda: neighbours(V, WORDS, "cat", k=True), TypeError,
        "k=True"),
    bad(vectors.nearest_neighbors, lambda: neighbours(V, WORDS, "cat", k=2.0), TypeError,
        "k=2.0"),
    bad(vectors.analogy, lambda: analogy(V, WORDS, "cat", "dog", "cow"),
        vectors.UnknownWordError, "'cow'"),
    bad(vectors.analogy, lambda: analogy(V, WORDS, "cat", "dog", "car", expected="cat"),
        ValueError, "expected='cat'", "query words"),
    bad(vectors.analogy, lambda: analogy(V, WORDS, "cat", "dog", "car", k=2), ValueError,
        "k=2", "≤ 1"),
    bad(vectors.analogy, lambda: analogy(V, WORDS, "cat", "dog", ["car"]), TypeError,
        "`c`", "['car']"),
    bad(vectors.group_score, lambda: groups(V, WORDS, ["cat", "dog"]), TypeError, "`groups`",
        "['cat', 'dog']"),
    bad(vectors.group_score, lambda: groups(V, WORDS, {"x": ["cat", "dog"]}), ValueError,
        "`groups`", "at least 2 groups"),
    bad(vectors.group_score, lambda: groups(V, WORDS, {"x": "catdog", "y": ["car", "bus"]}),
        TypeError, "'x'", "'catdog'"),
    bad(vectors.group_score, lambda: groups(V, WORDS, {"x": ["cat"], "y": ["car", "bus"]}),
        ValueError, "'x'", "at least 2 words", "['cat']"),
    bad(vectors.group_score,
        lambda: groups(V, WORDS, {"x": ["cat", "dog"], "y": ["cat", "bus"]}), ValueError,
        "`groups`", "'cat'", "one group"),
    bad(vectors.pca_2d, lambda: vectors.pca_2d(V[:1]), ValueError, "`vectors`", "(1, 2)"),
    bad(vectors.pca_2d, lambda: vectors.pca_2d(NAN_V), ValueError, "`vectors`", "nan"),
    bad(vectors.export_projector, lambda: vectors.export_projector(V, WORDS, 123), TypeError,
        "`folder`", "folder=123"),
    bad(vectors.export_projector,
        lambda: vectors.export_projector(V, ["a\tb", "c", "d", "e"], tempfile.mkdtemp()),
        ValueError, "`vocabulary`", "'a\\tb'"),
]  # fmt: skip

PLOTS_ROWS = [
    bad(plots.plot_history, lambda: plots.plot_history([1.0, 0.5]), TypeError, "`histories`",
        "[1.0, 0.5]"),
    bad(plots.plot_history, lambda: plots.plot_history(HISTORY, metrics="loss"), TypeError,
        "`metrics`", "'loss'"),
    bad(plots.plot_history, lambda: plots.plot_history(HISTORY, metrics=("loss", "val_acc")),
        ValueError, "'val_acc'", "['loss', 'val_loss']"),
    bad(plots.plot_history, lambda: plots.plot_history({"a": HISTORY, "b": {"loss": [1.0]}},
                                                       metrics=("val_loss",)),
        ValueError, "'val_loss'", "run 'b'"),
    bad(plots.plot_history, lambda: plots.plot_history({"seconds": [1.0]}), ValueError,
        "`histories`", "'loss'", "['seconds']"),
    bad(plots.plot_history, lambda: plots.plot_history(HISTORY, x=[1.0]), ValueError, "`x`",
        "1 values", "2"),
    bad(plots.plot_history, lambda: plots.plot_history(HISTORY, log_y="yes"), TypeError,
        "log_y='yes'"),
    bad(plots.plot_bars, lambda: plots.plot_bars({}), ValueError, "`values`", "at least one"),
    bad(plots.plot_bars, lambda: plots.plot_bars([0.2, 0.6]), TypeError, "`values`",
        "[0.2, 0.6]"),
    bad(plots.plot_bars, lambda: plots.plot_bars({"greedy": nan}), ValueError, "`values`",
        "nan"),
    bad(plots.plot_projection, lambda: plots.plot_projection(V, WORDS[:3]), ValueError,
        "`points`", "(4, 2)", "3 labels"),
    bad(plots.plot_projection, lambda: plots.plot_projection(V[:, :1], WORDS), ValueError,
        "`points`", "(4, 1)"),
    bad(plots.plot_projection, lambda: plots.plot_projection(V[:3], "abc"), TypeError,
        "`labels`", "'abc'"),
    bad(plots.plot_projection, lambda: plots.plot_projection(NAN_V, WORDS), ValueError,
        "`points`", "nan"),
    bad(plots.plot_attention, lambda: plots.plot_attention(np.ones((1, 2, 2))), ValueError,
        "`weights`", "(1, 2, 2)"),
    bad(plots.plot_attention, lambda: plots.plot_attention(np.eye(2), ["a"]), ValueError,
        "`key_labels`", "2 labels", "received 1"),
    bad(plots.plot_attention, lambda: plots.plot_attention(np.eye(2), "ab"), TypeError,
        "`key_labels`", "'ab'"),
    bad(plots.plot_attention, lambda: plots.plot_attention(np.eye(2) * nan), ValueError,
        "`weights`", "nan"),
    bad(plots.plot_attention, lambda: plots.plot_attention(np.eye(2) * 3), ValueError,
        "`weights`", "[0, 1]", "3.0"),
    bad(plots.plot_attention, lambda: plots.plot_attention(np.eye(2), fontsize=0), ValueError,
        "fontsize=0"),
]  # fmt: skip


@table(VECTORS_ROWS)
def test_vectors_refuse_bad_input(row):
    check_refused(row)


@table(PLOTS_ROWS)
def test_plots_refuse_bad_input(row):
    import matplotlib.pyplot as plt

    try:
        check_refused(row)
    finally:
        plt.close("all")
