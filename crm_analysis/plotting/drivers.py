"""Charts for :mod:`crm_analysis.drivers`: importance bars, context differences, IPA map,
penalty-reward bars, the service-profit chain and NPS."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from ._style import HATCHES, MARKERS, PALETTE, finish, get_ax, grouped_bars

__all__ = [
    "plot_asymmetric_effects",
    "plot_context_comparison",
    "plot_driver_importance",
    "plot_importance_performance",
    "plot_nps",
    "plot_service_profit_chain",
]


def _err(table: pd.DataFrame, value: str) -> np.ndarray | None:
    if {"ci_low", "ci_high"} <= set(table.columns):
        v = table[value].to_numpy()
        return np.vstack([v - table["ci_low"].to_numpy(), table["ci_high"].to_numpy() - v])
    return None


def plot_driver_importance(
    table: pd.DataFrame,
    *,
    by: str | None = None,
    value: str = "importance",
    labels: dict | None = None,
    ax: Axes | None = None,
    title: str = "Driver importance",
    **kwargs,
) -> Axes:
    """Horizontal bars of driver importance, with bootstrap intervals when present.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`~crm_analysis.drivers.driver_importance`.
    by : str, optional
        Group column of ``table`` (one bar colour and hatch per group).
    value : {"importance", "share"}
        What to draw; ``"share"`` is drawn in percent.
    labels : dict, optional
        Display names for the drivers.
    ax : Axes, optional
    title : str
    **kwargs
        Passed to ``ax.barh``.

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    labels = labels or {}
    mult = 100 if value == "share" else 1
    groups = [None] if by is None else list(pd.unique(table[by]))
    first = table if by is None else table[table[by] == groups[0]]
    order = list(first.sort_values(value)["driver"])
    y = np.arange(len(order))
    series = []
    for i, g in enumerate(groups):
        part = table if g is None else table[table[by] == g]
        part = part.set_index("driver").loc[order].reset_index()
        series.append({
            "width": part[value] * mult,
            "color": PALETTE[i % len(PALETTE)],
            "hatch": HATCHES[i % len(HATCHES)],
            "xerr": _err(part, value) if value == "importance" else None,
            "capsize": 2,
            "label": None if g is None else str(g),
            **kwargs,
        })
    grouped_bars(ax, y, series, horizontal=True)
    ax.set_yticks(y, [labels.get(d, d) for d in order])
    xlabel = (
        "Share of explained variance (%)" if value == "share" else "Importance (R² contribution)"
    )
    method = table["method"].iloc[0] if "method" in table else ""
    if value == "importance" and method in ("beta", "pratt"):
        xlabel = f"Importance ({method})"
    return finish(ax, title=title, xlabel=xlabel, ylabel="Driver")


def plot_context_comparison(
    comparison,
    *,
    labels: dict | None = None,
    ax: Axes | None = None,
    title: str = "Difference in driver importance",
    p_column: str = "p_value",
    **kwargs,
) -> Axes:
    """Dot-and-interval chart of the importance difference between two contexts.

    Parameters
    ----------
    comparison : ContextComparison
        Output of :func:`~crm_analysis.drivers.compare_contexts`.
    labels : dict, optional
        Display names for the drivers.
    ax : Axes, optional
    title : str
    p_column : str, default "p_value"
        Column of ``comparison.table`` that decides the marker (e.g. a
        multiplicity-adjusted p-value added by the caller).  The legend says
        "p < 0.05" or "p >= 0.05" and names the column - not "significant",
        because the bootstrap interval drawn beside it can disagree.
    **kwargs
        Passed to ``ax.errorbar``.

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    labels = labels or {}
    t = comparison.table.sort_values("difference").reset_index(drop=True)
    y = np.arange(len(t))
    err = _err(t, "difference")
    sig = t[p_column] < 0.05 if p_column in t else pd.Series(False, index=t.index)
    which = "permutation" if p_column == "p_value" else f"permutation, {p_column}"
    for flag, colour, marker, lab in (
        (True, PALETTE[3], MARKERS[1], f"p < 0.05 ({which})"),
        (False, PALETTE[0], MARKERS[0], f"p >= 0.05 ({which})"),
    ):
        m = (sig == flag).to_numpy()
        if m.any():
            ax.errorbar(
                t["difference"][m],
                y[m],
                xerr=None if err is None else err[:, m],
                fmt=marker,
                color=colour,
                capsize=3,
                label=lab,
                **kwargs,
            )
    ax.axvline(0, color="grey", lw=1, ls="--")
    ax.set_yticks(y, [labels.get(d, d) for d in t["driver"]])
    g0, g1 = comparison.groups
    return finish(
        ax,
        title=title,
        xlabel=f"Importance at {g0} minus at {g1} (R² contribution)",
        ylabel="Driver",
        legend=True,
    )


def plot_importance_performance(
    ipa: pd.DataFrame,
    *,
    labels: dict | None = None,
    ax: Axes | None = None,
    title: str = "Importance-performance map",
    **kwargs,
) -> Axes:
    """Martilla-James quadrant chart: each driver placed by performance and importance.

    Parameters
    ----------
    ipa : DataFrame
        Output of :func:`~crm_analysis.drivers.importance_performance`.
    labels : dict, optional
        Display names for the drivers.
    ax : Axes, optional
    title : str
    **kwargs
        Passed to ``ax.scatter``.

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    labels = labels or {}
    quads = ["Concentrate here", "Keep up the good work", "Low priority", "Possible overkill"]
    for i, q in enumerate(quads):
        part = ipa[ipa["quadrant"] == q]
        if len(part):
            ax.scatter(
                part["performance"],
                part["importance"] * 100,
                color=PALETTE[i],
                marker=MARKERS[i],
                s=60,
                label=q,
                zorder=3,
                **kwargs,
            )
    for row in ipa.itertuples():
        ax.annotate(
            labels.get(row.driver, row.driver),
            (row.performance, row.importance * 100),
            xytext=(5, 4),
            textcoords="offset points",
            fontsize="small",
        )
    icut, pcut = ipa.attrs.get("importance_cut"), ipa.attrs.get("performance_cut")
    if icut is not None:
        ax.axhline(icut * 100, color="grey", lw=1, ls="--")
        ax.axvline(pcut, color="grey", lw=1, ls="--")
    return finish(
        ax,
        title=title,
        xlabel="Performance (mean rating, 1-10)",
        ylabel="Importance (share of R², %)",
        legend=True,
    )


def plot_asymmetric_effects(
    table: pd.DataFrame,
    *,
    labels: dict | None = None,
    ax: Axes | None = None,
    title: str = "Penalties and rewards",
    **kwargs,
) -> Axes:
    """Penalty (low rating vs middle) and reward (high vs middle) bars per attribute.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`~crm_analysis.drivers.asymmetric_effects`.
    labels : dict, optional
        Display names for the drivers; the classification is appended.
    ax : Axes, optional
    title : str
    **kwargs
        Passed to ``ax.barh``.

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    labels = labels or {}
    t = table.reset_index(drop=True)
    y = np.arange(len(t))
    for col, colour, hatch, label in (
        ("penalty", PALETTE[3], HATCHES[1], "penalty (low rating)"),
        ("reward", PALETTE[2], HATCHES[0], "reward (high rating)"),
    ):
        ax.barh(y, t[col], color=colour, hatch=hatch, edgecolor="white", label=label, **kwargs)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(
        y, [f"{labels.get(d, d)} [{k}]" for d, k in zip(t["driver"], t["kind"], strict=True)]
    )
    ax.invert_yaxis()
    return finish(
        ax,
        title=title,
        xlabel="Change in overall satisfaction vs a middle rating (points)",
        ylabel="Attribute [classification]",
        legend=True,
    )


def plot_service_profit_chain(
    chain,
    *,
    ax: Axes | None = None,
    title: str = "Service-profit chain across branches",
    loyalty_label: str = "Mean loyalty (branch mean of the loyalty items)",
    **kwargs,
) -> Axes:
    """Branch scatter of employee vs customer satisfaction, coloured by loyalty, with the a-path line.

    Parameters
    ----------
    chain : ServiceProfitChain
        Output of :func:`~crm_analysis.drivers.service_profit_chain`.
    ax : Axes, optional
    title : str
    loyalty_label : str
        Colour-bar label; say the scale of the loyalty items averaged (they
        can differ, e.g. 1-10 and 0-10).
    **kwargs
        Passed to ``ax.scatter``.

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    b = chain.branches_
    sc = ax.scatter(
        b["employee"],
        b["satisfaction"],
        c=b["loyalty"],
        cmap="viridis",
        s=20 + 2 * b["n"],
        edgecolor="black",
        linewidth=0.5,
        **kwargs,
    )
    slope, icept = np.polyfit(b["employee"], b["satisfaction"], 1)
    xs = np.linspace(b["employee"].min(), b["employee"].max(), 2)
    ax.plot(xs, icept + slope * xs, color=PALETTE[1], ls="--", label=f"fit: {slope:.2f} per point")
    ax.figure.colorbar(sc, ax=ax, label=loyalty_label)
    return finish(
        ax,
        title=title,
        xlabel="Employee satisfaction (branch mean, 1-10)",
        ylabel="Customer satisfaction (branch mean, 1-10)",
        legend=True,
    )


def plot_nps(
    table: pd.DataFrame,
    *,
    by: str,
    ax: Axes | None = None,
    title: str = "Net Promoter Score",
    **kwargs,
) -> Axes:
    """NPS per group with its confidence interval.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`~crm_analysis.drivers.nps` with ``by``.
    by : str
        The group column.
    ax : Axes, optional
    title : str
    **kwargs
        Passed to ``ax.errorbar``.

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    t = table.sort_values("nps").reset_index(drop=True)
    x = np.arange(len(t))
    ax.errorbar(
        x, t["nps"], yerr=_err(t, "nps"), fmt=MARKERS[0], color=PALETTE[0], capsize=3, **kwargs
    )
    ax.axhline(0, color="grey", lw=1, ls="--")
    ax.set_xticks(x, t[by].astype(str), rotation=90 if len(t) > 8 else 0)
    return finish(
        ax,
        title=title,
        xlabel=by.replace("_", " ").capitalize(),
        ylabel="NPS (points, -100 to 100)",
    )
