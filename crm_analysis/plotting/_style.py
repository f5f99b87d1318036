"""Shared look of every chart: palette, greyscale-safe cues, finishing touches."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import cycle

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

__all__ = ["PALETTE", "LINESTYLES", "MARKERS", "HATCHES", "set_style", "get_ax", "finish", "style_cycle",
           "grouped_bars", "label_cells"]

#: Okabe-Ito colour-blind-safe palette (Okabe & Ito 2008), in a fixed order.
PALETTE = [
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
]
#: Line styles and markers paired with the palette so series stay apart in greyscale.
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (3, 1, 1, 1, 1, 1))]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
HATCHES = ["", "//", "..", "xx", "\\\\", "++", "oo", "--"]


def set_style(context: str = "notebook") -> None:
    """Apply the package's chart style to matplotlib (call once per notebook).

    Parameters
    ----------
    context : {"notebook", "paper", "talk"}, default "notebook"
        Font scale, as in seaborn.

    Examples
    --------
    >>> set_style()
    """
    import seaborn as sns

    sns.set_theme(context=context, style="whitegrid", palette=PALETTE)
    mpl.rcParams.update(
        {
            "axes.prop_cycle": mpl.cycler(color=PALETTE[:6], linestyle=LINESTYLES),
            "axes.titleweight": "bold",
            "axes.titlesize": "large",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "figure.figsize": (8, 4.5),
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "legend.frameon": False,
            "image.cmap": "viridis",
        }
    )


def get_ax(ax: Axes | None) -> Axes:
    """The given Axes, or the current one (created if needed)."""
    return plt.gca() if ax is None else ax


def finish(ax: Axes, *, title: str, xlabel: str, ylabel: str, legend: bool | None = None) -> Axes:
    """Set title and axis labels (with units) and tidy the legend."""
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    handles, _ = ax.get_legend_handles_labels()
    if legend or (legend is None and len(handles) > 1):
        ax.legend()
    return ax


def style_cycle():
    """Endless (colour, linestyle, marker) triples for series drawn one by one."""
    return cycle(zip(PALETTE, LINESTYLES * 2, MARKERS, strict=False))  # stops at the shortest


def grouped_bars(ax: Axes, x, series: Sequence[dict], *, width: float = 0.8,
                 horizontal: bool = False) -> list:
    """Side-by-side bars: one group per ``x`` position, one bar per series, centred on ``x``.

    Parameters
    ----------
    ax : Axes
    x : array-like of float
        Group centres (on the y axis when ``horizontal``).
    series : sequence of dict
        One dict per series: ``height`` plus any ``ax.bar`` keyword (``color``,
        ``hatch``, ``label``, ...); with ``horizontal``, ``width`` (the bar
        lengths) plus any ``ax.barh`` keyword (``xerr``, ...).
    width : float, default 0.8
        Thickness of a whole group; each bar gets ``width / len(series)``.
    horizontal : bool, default False
        Draw with ``ax.barh`` (groups stacked down the y axis).

    Returns
    -------
    list of BarContainer
        One per series, in order.
    """
    x = np.asarray(x, dtype=float)
    step = width / len(series)
    draw, thickness = (ax.barh, "height") if horizontal else (ax.bar, "width")
    return [draw(x + (i - (len(series) - 1) / 2) * step, **{thickness: step, "edgecolor": "white", **s})
            for i, s in enumerate(series)]


def label_cells(ax: Axes, values: np.ndarray, *, rows, columns, text: Callable[[float], str],
                dark: Callable[[float], bool], **kwargs) -> None:
    """Write each finite cell's value on an ``imshow`` grid and name its rows and columns.

    Parameters
    ----------
    ax : Axes
        Axes holding the image (cell ``(i, j)`` centred at ``x=j, y=i``).
    values : 2-d array
        The cell values; NaN cells stay blank.
    rows, columns : sequence
        Tick labels (shown as ``str``).
    text : callable
        Value -> cell text, e.g. ``"{:.0f}%".format``.
    dark : callable
        Value -> True where the cell colour is dark (the text is then white).
    **kwargs
        Passed to ``ax.text`` (``fontsize``, ``fontweight``).
    """
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, text(v), ha="center", va="center",
                    color="white" if dark(v) else "black", **kwargs)
    ax.set_xticks(range(values.shape[1]), [str(c) for c in columns])
    ax.set_yticks(range(values.shape[0]), [str(r) for r in rows])
    ax.grid(False)  # the style's grid would cut through the cells
