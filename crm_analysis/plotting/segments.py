"""Charts of customer profitability: whale curve, Lorenz curve, segment heat map and shares."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm

from ..errors import CRMDataError
from ._style import HATCHES, PALETTE, finish, get_ax, grouped_bars, label_cells

__all__ = [
    "plot_whale_curve",
    "plot_lorenz_curve",
    "plot_profit_heatmap",
    "plot_segment_shares",
    "plot_fee_policy",
]


def plot_whale_curve(whale, *, title: str = "Whale curve: cumulative profit by customer rank",
                     ax: Axes | None = None, **kwargs) -> Axes:
    """Whale curve with its peak and the 100%-of-profit line marked.

    Parameters
    ----------
    whale : WhaleCurve
        Output of :func:`crm_analysis.whale_curve`; with revenue given there,
        the revenue concentration curve is drawn too (dotted) for contrast.
    title : str
    ax : Axes, optional
    **kwargs
        Passed to ``ax.plot`` for the profit curve.

    Returns
    -------
    Axes

    Examples
    --------
    >>> from crm_analysis import whale_curve
    >>> ax = plot_whale_curve(whale_curve([5.0, 3.0, -2.0, 1.0, -1.0]))
    """
    ax = get_ax(ax)
    c = whale.curve
    kwargs.setdefault("color", PALETTE[0])
    kwargs.setdefault("linewidth", 2)
    kwargs.setdefault("label", "Profit (customers ranked by profit)")
    ax.plot(100 * c["customer_share"], 100 * c["cumulative_profit_share"], **kwargs)
    if whale.revenue_curve is not None:
        r = whale.revenue_curve
        ax.plot(100 * r["customer_share"], 100 * r["cumulative_revenue_share"], color=PALETTE[1],
                linestyle=":", linewidth=2, label="Revenue (customers ranked by revenue)")
    ax.axhline(100, color=PALETTE[7], linestyle="--", linewidth=1, label="100% of total profit")
    px, py = 100 * whale.peak_customer_share_, 100 * whale.peak_
    ax.plot([px], [py], marker="o", markersize=8, color=PALETTE[3], linestyle="none",
            label=f"Peak: {py:.0f}% of profit from top {px:.0f}% of customers")
    ax.annotate(f"{py:.0f}%", (px, py), xytext=(6, 6), textcoords="offset points",
                color=PALETTE[3], fontweight="bold")
    ax.set_xlim(0, 100)
    ax.set_ylim(0, max(py, 100) * 1.1)
    return finish(ax, title=title, xlabel="Customers, ranked best first (%)",
                  ylabel="Cumulative share of total (%)", legend=True)


def plot_lorenz_curve(values, *, label: str = "Revenue", title: str | None = None,
                      ax: Axes | None = None, **kwargs) -> Axes:
    """Classic Lorenz curve (smallest customers first) with the equality line and the Gini.

    Parameters
    ----------
    values : Series or array-like
        Non-negative amounts per customer.
    label : str
        What the amount is, for the legend.
    title : str, optional
        Defaults to "Lorenz curve of <label>".
    ax : Axes, optional
    **kwargs
        Passed to ``ax.plot``.

    Returns
    -------
    Axes

    Examples
    --------
    >>> ax = plot_lorenz_curve([1.0, 2.0, 3.0, 10.0])
    """
    from ..segments import gini, lorenz_curve

    ax = get_ax(ax)
    curve = lorenz_curve(values)
    g = gini(values)
    kwargs.setdefault("color", PALETTE[0])
    kwargs.setdefault("linewidth", 2)
    ax.plot(100 * curve["customer_share"], 100 * curve["cumulative_share"],
            label=f"{label} (Gini {g:.2f})", **kwargs)
    ax.plot([0, 100], [0, 100], color=PALETTE[7], linestyle="--", linewidth=1, label="Equal shares")
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    return finish(ax, title=title or f"Lorenz curve of {label.lower()}",
                  xlabel="Customers, smallest first (%)", ylabel=f"Cumulative {label.lower()} (%)",
                  legend=True)


def plot_profit_heatmap(table: pd.DataFrame, *, value: str = "profit_share",
                        title: str | None = None, fmt: str | None = None,
                        ax: Axes | None = None, cmap: str = "RdBu") -> Axes:
    """Heat map of a two-tier segment table (rows: first tier, columns: second tier).

    Cells are coloured on a diverging scale centred at zero (losses red,
    profit blue) and labelled with their value, so the chart reads in greyscale.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`crm_analysis.profit_by_segment` with two ``by`` columns.
    value : str, default "profit_share"
        Column to show; ``*_share`` columns are shown in %.
    title, fmt : str, optional
        Chart title; number format of the labels (default ``"{:.0f}%"`` for
        shares, ``"{:,.0f}"`` otherwise).
    ax : Axes, optional
    cmap : str, default "RdBu"

    Returns
    -------
    Axes
    """
    if table.index.nlevels != 2:
        raise CRMDataError("plot_profit_heatmap: needs a table by two segment columns.")
    if value not in table.columns:
        raise CRMDataError(f"plot_profit_heatmap: column {value!r} not in the table.")
    ax = get_ax(ax)
    is_share = value.endswith("_share")
    grid = table[value].unstack(level=1)
    shown = grid * 100 if is_share else grid
    fmt = fmt or ("{:.0f}%" if is_share else "{:,.0f}")
    arr = shown.to_numpy(dtype=float)
    finite = arr[np.isfinite(arr)]
    span = max(abs(finite.min()), abs(finite.max()), 1e-9) if finite.size else 1.0
    ax.imshow(np.ma.masked_invalid(arr), cmap=cmap, norm=TwoSlopeNorm(0, -span, span), aspect="auto")
    label_cells(ax, arr, rows=grid.index, columns=grid.columns, text=fmt.format,
                dark=lambda v: abs(v) > 0.6 * span, fontweight="bold")
    names = table.index.names
    label = value.replace("_", " ")
    return finish(ax, title=title or f"{label.capitalize()} by {names[0]} and {names[1]}",
                  xlabel=str(names[1]).replace("_", " "), ylabel=str(names[0]).replace("_", " "),
                  legend=False)


_SHARE_LABELS = {"customer_share": "Customers", "revenue_share": "Revenue", "profit_share": "Profit",
                 "clv_share": "CLV"}


def plot_segment_shares(table: pd.DataFrame, *, shares=("customer_share", "revenue_share", "profit_share"),
                        title: str = "Share of customers, revenue and profit by segment",
                        ax: Axes | None = None) -> Axes:
    """Grouped bars: each segment's share of customers, revenue and profit (hatched per series).

    Parameters
    ----------
    table : DataFrame
        Output of :func:`crm_analysis.profit_by_segment` (any number of ``by``
        columns; multi-level labels are joined with " / ").
    shares : sequence of str
        Share columns to draw.
    title : str
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    labels = [" / ".join(map(str, k)) if isinstance(k, tuple) else str(k) for k in table.index]
    x = np.arange(len(labels))
    grouped_bars(ax, x, [{"height": 100 * table[col].to_numpy(), "color": PALETTE[i],
                          "hatch": HATCHES[i],
                          "label": _SHARE_LABELS.get(col, col.replace("_", " ").capitalize())}
                         for i, col in enumerate(shares)])
    ax.axhline(0, color=PALETTE[7], linewidth=0.8)
    ax.set_xticks(x, labels, rotation=30 if len(labels) > 4 else 0, ha="right" if len(labels) > 4 else "center")
    return finish(ax, title=title, xlabel="Segment", ylabel="Share of total (%)", legend=True)


def plot_fee_policy(result, *, value: str = "profit",
                    title: str = "Simulated small-balance fee: profit per year",
                    ax: Axes | None = None) -> Axes:
    """Expected profit (or customers) per year with and without the fee.

    Parameters
    ----------
    result : FeePolicyResult
        Output of :func:`crm_analysis.simulate_fee_policy`.
    value : {"profit", "customers"}, default "profit"
        Profit including fees (US$ million) or customers at the start of each year.
    title : str
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    if value not in ("profit", "customers"):
        raise CRMDataError(f"plot_fee_policy: value must be 'profit' or 'customers', got {value!r}.")
    ax = get_ax(ax)
    y = result.years
    scale = 1e6 if value == "profit" else 1.0
    for i, (name, label) in enumerate((("no fee", "No fee"), ("fee", "Small-balance fee"))):
        part = y[y["scenario"] == name]
        ax.plot(part["year"], part[value] / scale, color=PALETTE[i], linestyle=["-", "--"][i],
                marker=["o", "s"][i], label=label)
    ylabel = ("Expected profit incl. fees (US$ million)" if value == "profit"
              else "Expected customers at start of year (count)")
    return finish(ax, title=title, xlabel="Year", ylabel=ylabel, legend=True)
