"""Shared look of every chart: palette, greyscale-safe cues, finishing touches."""

from __future__ import annotations

from itertools import cycle

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.axes import Axes

__all__ = ["PALETTE", "LINESTYLES", "MARKERS", "HATCHES", "set_style", "get_ax", "finish", "style_cycle"]

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
    return cycle(zip(PALETTE, LINESTYLES * 2, MARKERS))
