"""The shared figures draw what they are given."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from lmkeras.plots import plot_bars, plot_history  # noqa: E402


def test_plot_history_of_several_runs():
    runs = {
        "small": {"loss": [2.0, 1.5, 1.2], "val_loss": [2.1, 1.8, 1.9]},
        "big": {"loss": [2.0, 1.0], "val_loss": [2.0, 1.6]},
    }
    ax = plot_history(runs)
    labels = [line.get_label() for line in ax.get_lines()]
    assert "small" in labels and "_big loss" in labels  # one legend entry per run
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend == ["small", "big", "training (dashed)", "validation (solid)"]
    assert all(tick == int(tick) for tick in ax.get_xticks())  # epochs: no 1.5
    best = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert [tuple(line.get_xydata()[0]) for line in best] == [(2.0, 1.8), (2.0, 1.6)]


def test_plot_history_rejects_other_inputs():
    with pytest.raises(TypeError, match="histories"):
        plot_history([1.0, 2.0])


def test_plot_bars_labels_every_bar():
    ax = plot_bars({"a": 1.0, "b": 2.5}, fmt="{:.1f}")
    assert [t.get_text() for t in ax.texts] == ["1.0", "2.5"]
