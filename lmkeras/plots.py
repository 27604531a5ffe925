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

from lmkeras._checks import (
    check_bool,
    check_int,
    check_numbers,
    check_optional_int,
    check_str,
    check_texts,
    describe,
)


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
            f"`histories` must be a keras History, a dict of lists, or a dict of those by run "
            f"name; received {type(history).__name__} {describe(history)}."
        )
    return values


def _finish(ax: Any, xlabel: str, ylabel: str, title: str = "", log_y: bool = False) -> Any:
    """The labels, scale, title, grid and legend every line plot here ends with."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if log_y:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return ax


def plot_history(
    histories: Any,
    metrics: Sequence[str] | None = None,
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
            `{run name: History or dict}` to compare runs (each run gets one colour and one
            legend entry; training curves dashed, validation solid).
        metrics: keys to plot; each must be in every run. None plots those of `"loss"` and
            `"val_loss"` that are there (at least one must be). Defaults to `None`.
        x: x values (one list, or one per run name). Defaults to epochs 1, 2, ... (whole
            numbers on the axis).
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
    explicit = metrics is not None
    metrics = check_texts("metrics", metrics) if explicit else ["loss", "val_loss"]
    check_bool("log_y", log_y)
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
    for name, history in runs.items():
        missing = [m for m in metrics if m not in history]
        where = "the history" if single else f"run {name!r}"
        if explicit and missing:
            raise ValueError(f"`metrics` {missing} not in {where}, which holds {sorted(history)}.")
        if len(missing) == len(metrics):
            raise ValueError(
                f"`histories` hold none of the metrics ('loss', 'val_loss') in {where}, which "
                f"holds {sorted(history)}: name the ones to plot with `metrics=`."
            )
    ax = _axes(ax, (7, 4))
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
            if len(xs) < len(values):
                raise ValueError(
                    f"`x` holds {len(xs)} values for the {len(values)} values of {metric!r}"
                    f"{'' if single else f' in run {name!r}'}; give one x per value."
                )
            # Several runs: one legend entry per run (its colour), the line styles explained
            # once below, instead of runs × metrics entries. "_" keeps a label off the legend.
            present = [m for m in metrics if m in history]
            named = next((m for m in present if m.startswith("val_")), present[0])
            label = metric if single else (name if metric == named else f"_{name} {metric}")
            style = "--" if not metric.startswith("val_") and not single else "-"
            ax.plot(xs[: len(values)], values, style, label=label, color=None if single else colour)
            if metric == mark_best and values:
                best = min(range(len(values)), key=values.__getitem__)
                ax.plot(xs[best], values[best], "o", color=ax.get_lines()[-1].get_color())
    styles = {"--" if not m.startswith("val_") else "-" for m in metrics}
    if not single and len(styles) == 2:
        ax.plot([], [], "--", color="grey", label="training (dashed)")
        ax.plot([], [], "-", color="grey", label="validation (solid)")
    if x is None:  # epochs: whole numbers on the axis, never 1.5
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return _finish(ax, xlabel, ylabel, title, log_y)


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
    if not isinstance(values, Mapping):
        raise TypeError(f"`values` must map names to numbers; received values={describe(values)}.")
    if not values:
        raise ValueError("`values` must hold at least one entry; received none.")
    check_numbers("values", list(values.values()))
    ax = _axes(ax, (max(4.0, 1.1 * len(values)), 3.5))
    bars = ax.bar(list(values), list(values.values()))
    ax.bar_label(bars, labels=[fmt.format(v) for v in values.values()], fontsize="small")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.tick_params(axis="x", labelrotation=30)
    ax.grid(axis="y", alpha=0.3)
    return ax


__all__ = ["plot_attention", "plot_bars", "plot_history", "plot_projection"]


def plot_projection(
    points: np.ndarray, labels: Sequence[str], ax: Any = None, title: str | None = None
) -> Any:
    """Scatter 2-D points with a text label at each one (e.g. `vectors.pca_2d` of words).

    Returns:
        The matplotlib Axes drawn on.
    """
    points = check_numbers("points", points)
    labels = check_texts("labels", labels, allow_empty=True)
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
    array = check_numbers("weights", weights)
    if array.ndim != 2:
        raise ValueError(
            f"`weights` must be one 2-D map (queries, keys); received shape {array.shape}. "
            "Pick a layer, an example and a head first."
        )
    if array.min() < -1e-6 or array.max() > 1 + 1e-6:
        raise ValueError(
            f"`weights` must be attention weights in [0, 1] (after the softmax); received values "
            f"from {float(array.min())} to {float(array.max())}."
        )
    check_int("fontsize", fontsize)
    check_bool("colorbar", colorbar)
    for name, labels, size in (("key_labels", key_labels, array.shape[1]),
                               ("query_labels", query_labels, array.shape[0])):  # fmt: skip
        if labels is not None:
            labels = check_texts(name, labels, allow_empty=True)
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


# --- chapter 13: scaling ---


def plot_data_parallel(
    num_devices: int = 2, batch_size: int = 32, ax: Any = None, title: str | None = None
) -> Any:
    """Draw one data-parallel training step: split the batch, compute, all-reduce, update.

    The global batch of `batch_size` rows is cut into `num_devices` equal slices; each device
    holds a full copy of the weights, computes the loss and gradients of its slice; an
    all-reduce averages the gradients, so every copy applies the same update and the copies
    stay equal.

    Args:
        num_devices: int ≥ 1. Devices (replicas). Defaults to `2`.
        batch_size: int, a multiple of `num_devices`. Rows in the global batch.
        ax: matplotlib Axes or None for a new figure.
        title: str or None.

    Returns:
        The matplotlib Axes.

    Example:
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = plot_data_parallel(num_devices=2, batch_size=8)
    >>> sum(1 for t in ax.texts if t.get_text().startswith("device"))
    2
    """
    from matplotlib.patches import FancyBboxPatch

    from lmkeras._checks import check_int

    num_devices = check_int("num_devices", num_devices)
    batch_size = check_int("batch_size", batch_size)
    if batch_size % num_devices:
        raise ValueError(
            f"`batch_size` must be divisible by num_devices={num_devices}; received "
            f"batch_size={batch_size}."
        )
    ax = _axes(ax, (2.2 + 2.3 * num_devices, 5.2))
    import matplotlib.pyplot as plt

    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    width = 2.3 * num_devices
    rows = batch_size // num_devices

    def box(x, y, w, h, text, colour="white", **kw):
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.03", fc=colour,
                                    ec="black", lw=1, alpha=0.9))  # fmt: skip
        ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=9, **kw)

    def arrow(x0, y0, x1, y1, text=""):
        ax.annotate("", (x1, y1), (x0, y0), arrowprops={"arrowstyle": "->", "lw": 1})
        if text:
            ax.text((x0 + x1) / 2 + 0.05, (y0 + y1) / 2, text, fontsize=8, va="center")

    slice_w = (width - 0.2) / num_devices
    for i in range(num_devices):  # the global batch, coloured by slice
        box(0.1 + i * slice_w, 4.3, slice_w, 0.5, f"rows {i * rows}–{(i + 1) * rows - 1}",
            colours[i % len(colours)])  # fmt: skip
    ax.text(width / 2, 5.0, f"global batch: {batch_size} rows", ha="center", fontsize=10)
    for i in range(num_devices):
        x = 0.15 + i * slice_w
        centre = x + (slice_w - 0.1) / 2
        arrow(centre, 4.3, centre, 3.6, f"{rows} rows")
        box(x, 2.5, slice_w - 0.1, 1.1, f"device {i}\nsame weights\nloss, gradients $g_{i}$",
            colours[i % len(colours)])  # fmt: skip
        arrow(centre, 2.5, centre, 1.7)
        arrow(centre, 1.0, centre, 0.4, "same update" if i == 0 else "")
    terms = " + ".join(f"$g_{i}$" for i in range(min(num_devices, 4)))
    terms += " + …" if num_devices > 4 else ""
    box(0.1, 1.0, width - 0.2, 0.7, f"all-reduce: mean = ({terms}) / {num_devices}")
    box(0.1, -0.2, width - 0.2, 0.6, "optimizer step on every device → copies stay equal")
    ax.set_xlim(0, width)
    ax.set_ylim(-0.4, 5.3)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax


__all__ += ["plot_data_parallel"]


# --- chapter 11: autoencoders ---


def plot_reconstruction_error(
    code_sizes: Sequence[int],
    errors: Mapping[str, Sequence[float]],
    ax: Any = None,
    title: str | None = None,
    ylabel: str = "reconstruction error (MSE)",
) -> Any:
    """Reconstruction error against the size of the code (the bottleneck), one line per method.

    Args:
        code_sizes: the code sizes, in order.
        errors: `{method name: one error per code size}`.
        ax: matplotlib Axes, or None for a new figure.
        title, ylabel: str. Axis texts.

    Returns:
        The matplotlib Axes drawn on.

    Example:
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = plot_reconstruction_error([1, 2, 3], {"autoencoder": [0.5, 0.2, 0.01]})
    >>> ax.get_xlabel()
    'code size (bottleneck width)'
    """
    check_numbers("code_sizes", code_sizes, ndim=1)
    sizes = list(code_sizes)
    if not isinstance(errors, Mapping):
        raise TypeError(
            f"`errors` must be a dict {{method name: one error per code size}}; received "
            f"errors={describe(errors)}."
        )
    if not errors or any(len(values) != len(sizes) for values in errors.values()):
        raise ValueError(
            f"`errors` must map each method to one value per code size ({len(sizes)}); "
            f"received { ({k: len(v) for k, v in errors.items()}) }."
        )
    ax = _axes(ax, (6, 3.5))
    for (name, values), marker in zip(errors.items(), "osd^v<>"):
        ax.plot(sizes, list(values), marker=marker, label=name)
    ax.set_xticks(sizes)
    return _finish(ax, "code size (bottleneck width)", ylabel, title, log_y=True)


def plot_scores_by_length(
    by_length: Mapping[str, Mapping[int, Mapping[str, float]]],
    metric: str = "exact",
    ax: Any = None,
    title: str | None = None,
    ylabel: str | None = None,
    max_length: int | None = None,
) -> Any:
    """A reconstruction score against sentence length, one line per model or input.

    Args:
        by_length: `{run name: {length: {metric: value, "sentences": count}}}`, e.g. the
            `by_length` entries of `recipes.autoencoder.reconstruction_scores`.
        metric: str. The score to plot. Defaults to `"exact"`.
        ax: matplotlib Axes, or None for a new figure.
        title, ylabel: str or None. Axis texts (the y label defaults to the metric).
        max_length: int or None. Leave out longer sentences. Defaults to `None`.

    Returns:
        The matplotlib Axes drawn on.

    Example:
    >>> import matplotlib; matplotlib.use("Agg")
    >>> scores = {"AE": {3: {"exact": 1.0, "sentences": 5}, 4: {"exact": 0.5, "sentences": 2}}}
    >>> [line.get_label() for line in plot_scores_by_length(scores).get_lines()]
    ['AE']
    """
    if not isinstance(by_length, Mapping):
        raise TypeError(
            f"`by_length` must be a dict {{run name: {{length: scores}}}}; received "
            f"by_length={describe(by_length)}."
        )
    if not by_length:
        raise ValueError("`by_length` must hold at least one run; received none.")
    check_str("metric", metric)
    check_optional_int("max_length", max_length)
    for name, rows in by_length.items():
        lacking = [n for n in rows if metric not in rows[n]]
        if lacking:
            raise ValueError(
                f"`metric` must be a score of every length; received metric={metric!r}, "
                f"which run {name!r} lacks at length {lacking[0]} (it has "
                f"{sorted(rows[lacking[0]])})."
            )
    ax = _axes(ax, (7, 3.5))
    for (name, rows), marker in zip(by_length.items(), "osd^v<>"):
        lengths = sorted(n for n in rows if max_length is None or n <= max_length)
        ax.plot(lengths, [rows[n][metric] for n in lengths], marker=marker, label=name)
    ax.set_ylim(0, 1.02)
    return _finish(ax, "sentence length (words, punctuation included)",
                   ylabel or metric.replace("_", " "), title)  # fmt: skip


def plot_code_projection(
    points: Any,
    groups: Sequence[str],
    ax: Any = None,
    title: str | None = None,
    xlabel: str = "principal component 1",
    ylabel: str = "principal component 2",
) -> Any:
    """Scatter 2-D projections of codes, one colour per group (e.g. questions / statements).

    Args:
        points: array `(n, 2)`, e.g. `vectors.pca_2d(codes)`.
        groups: n group names; each distinct name gets a colour and a legend entry.
        ax: matplotlib Axes, or None for a new figure.
        title, xlabel, ylabel: str. Axis texts.

    Returns:
        The matplotlib Axes drawn on.

    Example:
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = plot_code_projection(np.eye(2), ["question", "statement"])
    >>> sorted(t.get_text() for t in ax.get_legend().get_texts())
    ['question', 'statement']
    """
    points = check_numbers("points", points)
    groups = check_texts("groups", groups)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) != len(groups):
        raise ValueError(
            f"`points` must be (n, 2) with one group each; received {points.shape} points "
            f"and {len(groups)} groups."
        )
    ax = _axes(ax, (7, 5.5))
    labels = np.asarray(groups)
    for name in dict.fromkeys(groups):
        chosen = labels == name
        ax.scatter(points[chosen, 0], points[chosen, 1], s=6, alpha=0.5, label=str(name))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(fontsize="small", markerscale=3)
    return ax


__all__ += ["plot_code_projection", "plot_reconstruction_error", "plot_scores_by_length"]
