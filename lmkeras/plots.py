"""Every picture of the course: learning curves, bars, 2-D projections, attention heatmaps.

The only module of lmkeras that draws (and the only one that imports matplotlib). Each function
draws on a matplotlib `Axes` (a new figure when none is given) and returns it, so a notebook can
add titles or combine plots. Importing this module does not import pyplot until a function is
called.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def _axes(ax: Any, figsize: tuple[float, float]) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax


def _as_history(history: Any) -> Mapping[str, Sequence[float]]:
    values = getattr(history, "history", history)  # a keras History or its dict
    if not isinstance(values, Mapping):
        raise TypeError(
            f"`history` must be a keras History or a dict of lists; received "
            f"{type(history).__name__}."
        )
    return values


def plot_history(
    histories: Any,
    metrics: Sequence[str] = ("loss", "val_loss"),
    x: Sequence[float] | Mapping[str, Sequence[float]] | None = None,
    xlabel: str = "epoch",
    ylabel: str = "loss (nats/token)",
    title: str | None = None,
    ax: Any = None,
    log_y: bool = False,
    mark_best: str | None = "val_loss",
) -> Any:
    """Plot learning curves of one run or several runs on one axes.

    Args:
        histories: a keras `History`, a dict of lists (`history.history`), or a dict
            `{run name: History or dict}` to compare runs (each run gets one colour; training
            curves dashed, validation solid).
        metrics: keys to plot. Defaults to `("loss", "val_loss")`; missing keys are skipped.
        x: x values (one list, or one per run name). Defaults to epochs 1, 2, ...
        xlabel, ylabel, title: labels.
        ax: matplotlib Axes or None for a new figure.
        log_y: bool. Log-scale y axis. Defaults to `False`.
        mark_best: str or None. Mark the minimum of this metric on each run with a dot.
            Defaults to `"val_loss"`.

    Returns:
        The matplotlib Axes.

    Example:
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = plot_history({"loss": [2.0, 1.5], "val_loss": [2.1, 1.7]})
    >>> [line.get_label() for line in ax.get_lines()][:2]
    ['loss', 'val_loss']
    """
    ax = _axes(ax, (7, 4))
    if (
        isinstance(histories, Mapping)
        and histories
        and all(
            not isinstance(v, (list, tuple)) and not hasattr(v, "shape") for v in histories.values()
        )
    ):
        runs = {name: _as_history(h) for name, h in histories.items()}
        single = False
    else:
        runs = {"": _as_history(histories)}
        single = True
    import matplotlib.pyplot as plt

    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (name, history) in enumerate(runs.items()):
        colour = colours[i % len(colours)]
        for metric in metrics:
            if metric not in history:
                continue
            values = list(history[metric])
            xs = x.get(name) if isinstance(x, Mapping) else x
            xs = list(xs) if xs is not None else list(range(1, len(values) + 1))
            label = metric if single else f"{name} {metric}"
            style = "--" if not metric.startswith("val_") and not single else "-"
            ax.plot(xs[: len(values)], values, style, label=label, color=None if single else colour)
            if metric == mark_best and values:
                best = min(range(len(values)), key=values.__getitem__)
                ax.plot(xs[best], values[best], "o", color=ax.get_lines()[-1].get_color())
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if log_y:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return ax


def plot_bars(
    values: Mapping[str, float],
    ylabel: str = "",
    title: str | None = None,
    ax: Any = None,
    fmt: str = "{:.2f}",
) -> Any:
    """Bar chart of one number per named method, each bar labelled with its value.

    Example:
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = plot_bars({"greedy": 0.2, "top-k": 0.6})
    >>> len(ax.patches)
    2
    """
    if not values:
        raise ValueError("`values` must hold at least one entry; received none.")
    ax = _axes(ax, (max(4.0, 1.1 * len(values)), 3.5))
    bars = ax.bar(list(values), list(values.values()))
    ax.bar_label(bars, labels=[fmt.format(v) for v in values.values()], fontsize="small")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.tick_params(axis="x", labelrotation=30)
    ax.grid(axis="y", alpha=0.3)
    return ax


__all__ = ["plot_bars", "plot_history"]


def plot_projection(
    points: np.ndarray, labels: Sequence[str], ax: Any = None, title: str | None = None
) -> Any:
    """Scatter 2-D points with a text label at each one (e.g. `vectors.pca_2d` of words).

    Returns:
        The matplotlib Axes drawn on.
    """
    points = np.asarray(points)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) != len(labels):
        raise ValueError(
            f"`points` must be (n, 2) with one label each; received {points.shape} points "
            f"and {len(labels)} labels."
        )
    ax = _axes(ax, (9, 7))
    ax.scatter(points[:, 0], points[:, 1], s=8, color="tab:blue", alpha=0.6)
    for (x, y), label in zip(points, labels):
        ax.annotate(label, (x, y), fontsize=8, xytext=(2, 2), textcoords="offset points")
    ax.set_xlabel("principal component 1")
    ax.set_ylabel("principal component 2")
    if title:
        ax.set_title(title)
    return ax


def plot_attention(
    weights: Any,
    key_labels: Sequence[str] | None = None,
    query_labels: Sequence[str] | None = None,
    ax: Any = None,
    title: str | None = None,
    xlabel: str = "key (attended to)",
    ylabel: str = "query (attending)",
    colorbar: bool = True,
    fontsize: int = 8,
) -> Any:
    """Heatmap of one attention map: row i shows how query i spreads its attention over keys.

    Args:
        weights: array `(queries, keys)` of attention weights in [0, 1] (one head, one
            example; e.g. `gpt_attention_weights(...)[layer, 0, head]`).
        key_labels, query_labels: tick labels (tokens), or None for positions.
        ax: matplotlib Axes, or None for a new figure.
        title, xlabel, ylabel: str. Axis texts.
        colorbar: bool. Draw a colour bar for the 0–1 scale. Defaults to `True`.
        fontsize: int. Tick label size. Defaults to `8`.

    Returns:
        The matplotlib Axes drawn on.

    Example:
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = plot_attention(np.eye(3), ["a", "b", "c"], ["a", "b", "c"])
    >>> ax.get_xlabel()
    'key (attended to)'
    """
    array = np.asarray(weights, dtype="float32")
    if array.ndim != 2:
        raise ValueError(
            f"`weights` must be one 2-D map (queries, keys); received shape {array.shape}. "
            "Pick a layer, an example and a head first."
        )
    for name, labels, size in (("key_labels", key_labels, array.shape[1]),
                               ("query_labels", query_labels, array.shape[0])):  # fmt: skip
        if labels is not None and len(labels) != size:
            raise ValueError(f"`{name}` must hold {size} labels; received {len(labels)}.")
    ax = _axes(ax, (5, 4.5))
    image = ax.imshow(array, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    if key_labels is not None:
        ax.set_xticks(range(len(key_labels)), list(key_labels), rotation=90, fontsize=fontsize)
    if query_labels is not None:
        ax.set_yticks(range(len(query_labels)), list(query_labels), fontsize=fontsize)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=fontsize + 2)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="attention weight")
    return ax
