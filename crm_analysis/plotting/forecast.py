"""Charts of predictive distributions and intervals (:mod:`crm_analysis.forecast`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from ._style import HATCHES, MARKERS, PALETTE, finish, get_ax, grouped_bars

__all__ = ["plot_count_distribution", "plot_clv_intervals"]


def plot_count_distribution(table: pd.DataFrame, *, shares: bool = False, title: str | None = None,
                            ax: Axes | None = None) -> Axes:
    """Actual vs predicted number of customers making 0, 1, 2, ... purchases.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`crm_analysis.forecast.count_distribution`.
    shares : bool, default False
        Plot shares of customers (%) instead of counts.

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    cols = ("actual_share", "predicted_share") if shares else ("actual", "predicted")
    scale = 100.0 if shares else 1.0
    x = np.arange(len(table))
    grouped_bars(ax, x, [
        {"height": scale * table[cols[0]].to_numpy(), "color": PALETTE[0], "hatch": HATCHES[0],
         "label": "actual"},
        {"height": scale * table[cols[1]].to_numpy(), "color": PALETTE[1], "hatch": HATCHES[1],
         "label": "predicted"},
    ])
    ax.set_xticks(x, table.index.astype(str))
    return finish(ax, title=title or "Purchases per customer: actual vs predicted",
                  xlabel="Repeat purchases in the period (count)",
                  ylabel="Customers (%)" if shares else "Customers (count)", legend=True)


def plot_clv_intervals(customers: pd.DataFrame, *, top: int = 20, currency: str = "US$",
                       value: str = "clv", level: float | None = None, ax: Axes | None = None) -> Axes:
    """The ``top`` customers by CLV, each with its interval (horizontal bars).

    Parameters
    ----------
    customers : DataFrame
        ``ClvInterval.customers`` (columns ``value``, ``lower``, ``upper``).
    top : int, default 20
    level : float, optional
        Coverage of the intervals, for the legend.

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    best = customers.nlargest(top, value).iloc[::-1]
    y = np.arange(len(best))
    point = best[value].to_numpy()
    err = np.vstack([point - best["lower"].to_numpy(), best["upper"].to_numpy() - point])
    label = f"{100 * level:.0f}% interval" if level else "interval"
    ax.errorbar(point, y, xerr=err, fmt=MARKERS[0], color=PALETTE[0], ecolor=PALETTE[1], capsize=3,
                label=f"CLV at the estimates, {label}")
    ax.set_yticks(y, [str(i) for i in best.index])
    return finish(ax, title=f"Top {len(best)} customers by CLV, with parameter uncertainty",
                  xlabel=f"CLV ({currency})", ylabel="Customer id", legend=True)
