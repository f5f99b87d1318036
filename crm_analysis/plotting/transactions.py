"""Charts of raw transaction logs and RFM summaries."""

from __future__ import annotations

from itertools import cycle

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from ._style import PALETTE, finish, get_ax

__all__ = ["plot_frequency_distribution", "plot_period_totals", "plot_group_distribution"]


def plot_frequency_distribution(
    summary: pd.DataFrame, *, frequency: str = "frequency", max_count: int = 10,
    ax: Axes | None = None, **kwargs,
) -> Axes:
    """Bar chart of customers by number of repeat purchases.

    Counts above ``max_count`` are pooled into one ``"max_count+"`` bar.

    Parameters
    ----------
    summary : DataFrame
        Output of :func:`crm_analysis.rfm_summary`.
    frequency : str
        Column of repeat-purchase counts.
    max_count : int, default 10
        Last bar pools all counts at or above it.
    ax : Axes, optional
    **kwargs
        Passed to ``ax.bar``.

    Returns
    -------
    Axes

    Examples
    --------
    >>> from crm_analysis import load_cdnow, rfm_summary
    >>> ax = plot_frequency_distribution(rfm_summary(load_cdnow()))
    """
    ax = get_ax(ax)
    counts = summary[frequency].clip(upper=max_count).astype(int).value_counts().sort_index()
    labels = [str(i) for i in counts.index]
    if counts.index.max() == max_count:
        labels[-1] = f"{max_count}+"
    kwargs.setdefault("color", PALETTE[0])
    ax.bar(labels, counts.to_numpy(), **kwargs)
    return finish(ax, title="Customers by number of repeat purchases",
                  xlabel="Repeat purchases (count)", ylabel="Customers (count)")


def plot_period_totals(
    totals: pd.DataFrame, *, period: str = "period", value: str = "amount",
    ylabel: str = "Revenue (currency units)", ax: Axes | None = None, **kwargs,
) -> Axes:
    """Line chart of a per-period total, e.g. the output of :func:`crm_analysis.period_totals`.

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    kwargs.setdefault("color", PALETTE[0])
    kwargs.setdefault("marker", "o")
    kwargs.setdefault("markersize", 3)
    ax.plot(totals[period], totals[value], **kwargs)
    return finish(ax, title=f"{value.replace('_', ' ').capitalize()} per period",
                  xlabel="Period start (date)", ylabel=ylabel)


def plot_group_distribution(
    data: pd.DataFrame, *, value: str, by: str, bins: int = 24,
    xlabel: str | None = None, ax: Axes | None = None,
) -> Axes:
    """Overlaid step histograms of ``value`` per group of ``by`` (greyscale-safe).

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    edges = np.histogram_bin_edges(data[value].dropna(), bins=bins)
    # Cycle colours and line styles so every group is drawn, however many there are.
    styles = cycle(zip(PALETTE, ["-", "--", ":", "-."] * 2, strict=True))
    for (name, grp), (colour, style) in zip(data.groupby(by, sort=True), styles, strict=False):
        ax.hist(grp[value].dropna(), bins=edges, histtype="step", linewidth=2,
                color=colour, linestyle=style, label=f"{name} (n={len(grp):,})")
    return finish(ax, title=f"{value.replace('_', ' ').capitalize()} by {by.replace('_', ' ')}",
                  xlabel=xlabel or value, ylabel="Customers (count)", legend=True)
