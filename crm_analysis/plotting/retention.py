"""Charts of retention: cohort heat maps, survival curves, hazards, sBG projections, retention economics."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from ._style import LINESTYLES, MARKERS, PALETTE, finish, get_ax

__all__ = [
    "plot_cohort_heatmap",
    "plot_survival_curves",
    "plot_hazard",
    "plot_sbg_projection",
    "plot_retention_value_heatmap",
]


def _heatmap(ax: Axes, values: pd.DataFrame, *, fmt: str, vmin: float, vmax: float,
             cmap: str, annotate: bool, cbar_label: str):
    import seaborn as sns

    sns.heatmap(values, ax=ax, vmin=vmin, vmax=vmax, cmap=cmap, annot=annotate, fmt=fmt,
                annot_kws={"fontsize": 7}, cbar_kws={"label": cbar_label}, linewidths=0.3)
    ax.grid(False)  # the style's grid would show through empty (unobserved) cells
    return ax


def _outline(ax: Axes, inside: np.ndarray, **kwargs) -> None:
    """Draw the boundary of the cells where ``inside`` is True (heat-map cell coordinates)."""
    from matplotlib.collections import LineCollection

    padded = np.pad(inside, 1, constant_values=False)
    segments = []
    rows, cols = inside.shape
    for i in range(rows):
        for j in range(cols):
            if not inside[i, j]:
                continue
            if not padded[i, j + 1]:        # cell above
                segments.append([(j, i), (j + 1, i)])
            if not padded[i + 2, j + 1]:    # cell below
                segments.append([(j, i + 1), (j + 1, i + 1)])
            if not padded[i + 1, j]:        # cell left
                segments.append([(j, i), (j, i + 1)])
            if not padded[i + 1, j + 2]:    # cell right
                segments.append([(j + 1, i), (j + 1, i + 1)])
    if segments:
        ax.add_collection(LineCollection(segments, **kwargs))


def plot_cohort_heatmap(
    cohorts, *, percent: bool = True, annotate: bool | None = None, max_periods: int | None = None,
    title: str = "Share of each acquisition cohort still buying", ax: Axes | None = None,
) -> Axes:
    """Heat map of a cohort retention table (cohorts down, periods since acquisition across).

    Parameters
    ----------
    cohorts : CohortRetention or DataFrame
        Output of :func:`crm_analysis.cohort_retention` (or its ``.share``).
    percent : bool, default True
        Show shares as percentages.
    annotate : bool, optional
        Write the value in each cell (default: when the table has at most 20
        columns).
    max_periods : int, optional
        Show periods 1..``max_periods`` only.
    title : str
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    share = getattr(cohorts, "share", cohorts)
    freq = getattr(cohorts, "freq", "M")
    # Period 0 is 100% by construction and would flatten the colour scale.
    values = share.drop(columns=0, errors="ignore")
    if max_periods is not None:
        values = values.loc[:, values.columns <= max_periods]
    values = values * (100 if percent else 1)
    values.index = [str(i) for i in values.index]
    if annotate is None:
        annotate = values.shape[1] <= 20
    vmax = float(np.nanmax(values.to_numpy()))
    _heatmap(ax, values, fmt=".0f" if percent else ".2f", vmin=0, vmax=vmax, cmap="viridis",
             annotate=annotate, cbar_label="Active customers (% of cohort)" if percent
             else "Active customers (share of cohort)")
    unit = "Months" if freq == "M" else "Quarters"
    return finish(ax, title=title, xlabel=f"{unit} since first purchase",
                  ylabel=f"Cohort ({'month' if freq == 'M' else 'quarter'} of first purchase)", legend=False)


def plot_survival_curves(
    km, *, band: bool = True, groups=None, xlabel: str = "Tenure (months)",
    title: str = "Kaplan-Meier survival", ax: Axes | None = None,
) -> Axes:
    """Kaplan-Meier step curves with pointwise bands, one per group.

    Parameters
    ----------
    km : KaplanMeierResult
        Output of :func:`crm_analysis.kaplan_meier`.
    band : bool, default True
        Shade the pointwise (log(-log)) confidence band.
    groups : list, optional
        Which groups and in what order (default: all).
    xlabel, title : str
    ax : Axes, optional

    Returns
    -------
    Axes
        One line per group, labelled with the group name; the line data
        start at (0, 100%).
    """
    ax = get_ax(ax)
    table = km.table_
    names = list(pd.unique(table["group"])) if groups is None else list(groups)
    level = round(100 * (1 - km.alpha))
    for i, name in enumerate(names):
        grp = table[table["group"] == name]
        t = np.r_[0.0, grp["time"].to_numpy()]
        s = 100 * np.r_[1.0, grp["survival"].to_numpy()]
        colour = PALETTE[i % len(PALETTE)]
        ax.step(t, s, where="post", color=colour, linestyle=LINESTYLES[i % len(LINESTYLES)],
                linewidth=2, label=str(name))
        if band:
            lo = 100 * np.r_[1.0, grp["lower"].to_numpy()]
            hi = 100 * np.r_[1.0, grp["upper"].to_numpy()]
            ax.fill_between(t, lo, hi, step="post", color=colour, alpha=0.2, linewidth=0)
    if band:
        ax.text(0.99, 0.02, f"shaded: pointwise {level}% band", transform=ax.transAxes,
                ha="right", va="bottom", fontsize="small")
    ax.set_ylim(0, 102)
    return finish(ax, title=title, xlabel=xlabel, ylabel="Still a customer (%)", legend=True)


def plot_hazard(
    hazard: pd.DataFrame, *, groups=None, xlabel: str = "Tenure (months)",
    title: str = "Churn hazard by tenure", ax: Axes | None = None,
) -> Axes:
    """Discrete-time hazard (percent leaving among those at risk) by period.

    Parameters
    ----------
    hazard : DataFrame
        Output of :func:`crm_analysis.hazard_by_tenure`.
    groups : list, optional
        Which groups to draw (default: all).
    xlabel, title : str
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    if "group" in hazard.columns:
        names = list(pd.unique(hazard["group"])) if groups is None else list(groups)
        parts = [(name, hazard[hazard["group"] == name]) for name in names]
    else:
        parts = [("all customers", hazard)]
    for i, (name, grp) in enumerate(parts):
        ax.plot(grp["period"], 100 * grp["hazard"], color=PALETTE[i % len(PALETTE)],
                linestyle=LINESTYLES[i % len(LINESTYLES)], marker=MARKERS[i % len(MARKERS)],
                markersize=3, linewidth=1.5, label=str(name))
    return finish(ax, title=title, xlabel=xlabel, ylabel="Leaving in the period (% of those at risk)")


def plot_sbg_projection(
    observed, model, *, calibration_periods: int, constant_retention: float | None = None,
    title: str = "Survivors: observed, sBG and constant retention", ax: Axes | None = None,
) -> Axes:
    """Observed survivors against the sBG projection (and a constant-retention projection).

    Parameters
    ----------
    observed : sequence of int
        Survivor counts for periods 0..n (all observed periods, including
        the holdout ones).
    model : SBGModel
        Fitted on the first ``calibration_periods`` periods.
    calibration_periods : int
        Last period used in the fit; a vertical line marks it.
    constant_retention : float, optional
        Also draw ``size x r^t``.
    title : str
    ax : Axes, optional

    Returns
    -------
    Axes
        Lines labelled "observed", "sBG" and "constant retention".
    """
    ax = get_ax(ax)
    obs = np.asarray(observed, dtype=float)
    t = np.arange(obs.size)
    size = obs[0]
    ax.plot(t, obs, color=PALETTE[7], linestyle="none", marker="o", label="observed")
    ax.plot(t, size * model.survival(t), color=PALETTE[0], linestyle="-", linewidth=2, label="sBG")
    if constant_retention is not None:
        ax.plot(t, size * constant_retention ** t, color=PALETTE[3], linestyle="--", linewidth=2,
                label="constant retention")
    ax.axvline(calibration_periods, color="grey", linestyle=":", linewidth=1)
    ax.text(calibration_periods + 0.1, 0.95 * size, "fit | projection", fontsize="small",
            va="top")
    ax.set_ylim(0, size * 1.03)
    return finish(ax, title=title, xlabel="Years since start of contract",
                  ylabel="Customers still active (count)", legend=True)


def plot_retention_value_heatmap(
    table: pd.DataFrame, *, value: str = "profit_change_pct", x: str = "margin",
    y: str = "retention", threshold: float | None = 60.0, vmax: float | None = 200.0,
    xlabel: str = "Margin per customer and year (US$)",
    title: str = "Profit gain from +5 points of retention", ax: Axes | None = None,
) -> Axes:
    """Heat map of a retention-economics grid with the region at or above ``threshold`` outlined.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`crm_analysis.retention_value_sensitivity` over a grid.
    value : str, default "profit_change_pct"
        Column to show (percent).
    x, y : str
        Grid columns across and down.
    threshold : float, optional
        The region of cells with ``value >= threshold`` is outlined with a
        dashed line (60 for the "+60% profit" claim).
    vmax : float, optional
        Top of the colour scale (larger values saturate).
    xlabel, title : str
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    grid = table.pivot_table(index=y, columns=x, values=value, aggfunc="first", dropna=False)
    grid = grid.sort_index(ascending=False)
    grid.index = [f"{v:.0%}" if y == "retention" else f"{v:g}" for v in grid.index]
    grid.columns = [f"{v:g}" for v in grid.columns]
    _heatmap(ax, grid, fmt=".0f", vmin=0, vmax=vmax, cmap="magma_r",
             annotate=grid.size <= 160, cbar_label=f"{value.replace('_pct', '').replace('_', ' ')} (%)")
    if threshold is not None:
        with np.errstate(invalid="ignore"):
            inside = np.nan_to_num(grid.to_numpy(dtype=float), nan=-np.inf) >= threshold
        _outline(ax, inside, colors=PALETTE[5], linewidths=2.5, linestyles="--",
                 label=f">= {threshold:g}%")
    return finish(ax, title=title, xlabel=xlabel,
                  ylabel="Retention rate per year (%)" if y == "retention" else y, legend=False)
