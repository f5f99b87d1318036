"""Charts of defection categories, win-back value, at-risk customers, hazards and complaints."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from ._style import HATCHES, MARKERS, PALETTE, finish, get_ax

__all__ = [
    "plot_defection_shares",
    "plot_winback_value",
    "plot_at_risk",
    "plot_hazard_ratios",
    "plot_churn_by_group",
    "plot_complaint_cost",
]

_POLICY_STYLE = {  # colour and hatch: policies stay apart in greyscale
    "pursue": (PALETTE[2], ""),
    "case_by_case": (PALETTE[1], "//"),
    "skip": (PALETTE[3], "xx"),
}


def _policy_handles(policies, label: str = "{}") -> list[Patch]:
    """Legend patches of the policies present, in policy order; ``label`` formats the name."""
    return [Patch(facecolor=colour, hatch=hatch, edgecolor="white",
                  label=label.format(p.replace("_", " ")))
            for p, (colour, hatch) in _POLICY_STYLE.items() if p in set(policies)]


def plot_defection_shares(classification, *, truth: pd.Series | None = None,
                          title: str = "Why customers left",
                          ax: Axes | None = None) -> Axes:
    """Horizontal bars: share of lost customers per defection category, coloured by policy.

    Parameters
    ----------
    classification : DefectionClassification
        Output of :func:`crm_analysis.classify_defection`.
    truth : Series, optional
        True categories (simulation); drawn as black diamonds for comparison.
    title : str
        Chart title (say "simulated" for simulated data).
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    summ = classification.summary()
    y = np.arange(len(summ))[::-1]
    for yi, (_, row) in zip(y, summ.iterrows(), strict=True):
        colour, hatch = _POLICY_STYLE[row["policy"]]
        ax.barh(yi, 100 * row["share"], color=colour, hatch=hatch, edgecolor="white")
    ax.set_yticks(y, summ["label"].tolist())
    handles = _policy_handles(summ["policy"])
    if truth is not None:
        shares = pd.Series(np.asarray(truth)).value_counts(normalize=True)
        handles += ax.plot([100 * shares.get(c, 0.0) for c in summ.index], y, linestyle="none",
                           marker="D", color="black", label="true share")
    # outside the axes: the bars fill the plot area
    ax.legend(handles=handles, title="Win-back policy", loc="center left",
              bbox_to_anchor=(1.01, 0.5))
    return finish(ax, title=title, xlabel="Lost customers (%)", ylabel="", legend=False)


def plot_winback_value(plan, *, title: str = "Expected net value of winning customers back",
                       ax: Axes | None = None) -> Axes:
    """Bars per category: expected net value (US$) of the pursued, and of the excluded if pursued.

    Solid bars are the value the plan captures; hatched grey bars show what
    contacting the excluded customers would add (negative when skipping pays).

    Parameters
    ----------
    plan : WinbackPlan
        Output of :func:`crm_analysis.winback_priority`.
    title : str
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    from ..churn import DEFECTION_CATEGORIES

    ax = get_ax(ax)
    by = plan.by_category
    x = np.arange(len(by))
    width = 0.4
    for xi, (_, row) in zip(x, by.iterrows(), strict=True):
        colour, hatch = _POLICY_STYLE[row["policy"]]
        ax.bar(xi - width / 2, row["value_pursued"] / 1000, width, color=colour, hatch=hatch,
               edgecolor="white")
    ax.bar(x + width / 2, by["value_if_excluded_pursued"] / 1000, width, color="#BBBBBB",
           hatch="..", edgecolor="white", label="excluded, if pursued")
    labels = [DEFECTION_CATEGORIES[c]["label"] if c in DEFECTION_CATEGORIES else "Unclassified"
              for c in by.index]
    ax.set_xticks(x, [textwrap.fill(lab, 14) for lab in labels], fontsize="small")
    ax.axhline(0, color="black", linewidth=0.8)
    handles = _policy_handles(by.loc[by["pursued"] > 0, "policy"], "in the plan ({} policy)")
    handles.append(Patch(facecolor="#BBBBBB", hatch="..", edgecolor="white",
                         label="excluded, if pursued"))
    ax.legend(handles=handles, fontsize="small")
    return finish(ax, title=title, xlabel="", ylabel="Expected net value (thousand US$)",
                  legend=False)


def plot_at_risk(split, *, x: str = "frequency", y: str | None = None,
                 title: str = "At-risk customers: worth keeping or potentially dangerous",
                 xlabel: str = "Repeat purchases (count)", ylabel: str | None = None,
                 ax: Axes | None = None, **kwargs) -> Axes:
    """Scatter of customers by segment (colour and marker per segment).

    Parameters
    ----------
    split : AtRiskSplit
        Output of :func:`crm_analysis.at_risk_split`.
    x, y : str
        Columns to plot; ``y`` defaults to ``"p_alive"`` if present, else
        ``"gap_ratio"``.
    title, xlabel, ylabel : str
    ax : Axes, optional
    **kwargs
        Passed to ``ax.scatter``.

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    df = split.data
    if y is None:
        y = "p_alive" if "p_alive" in df.columns else "gap_ratio"
    kwargs.setdefault("s", 12)
    kwargs.setdefault("alpha", 0.6)
    for (seg, colour, marker) in zip(["not at risk", "potentially dangerous", "worth keeping"],
                                     ["#BBBBBB", PALETTE[3], PALETTE[0]], MARKERS[2::-1], strict=True):
        part = df[df["segment"] == seg]
        ax.scatter(part[x], part[y], color=colour, marker=marker,
                   label=f"{seg} (n={len(part):,})", **kwargs)
    default_y = {"p_alive": "P(alive) (probability)",
                 "gap_ratio": "Gap since last purchase / usual gap (ratio)"}
    finish(ax, title=title, xlabel=xlabel, ylabel=ylabel or default_y.get(y, y), legend=True)
    for handle in ax.get_legend().legend_handles:  # legible markers whatever the point size
        handle.set_alpha(1)
        handle.set_sizes([40])
    return ax


def plot_hazard_ratios(model, *, alpha: float = 0.05, title: str = "Hazard ratios of churn",
                       ax: Axes | None = None) -> Axes:
    """Forest plot: hazard ratio and confidence interval per design column (log scale).

    Parameters
    ----------
    model : HazardModel
        Output of :func:`crm_analysis.churn_hazard_model`.
    alpha : float, default 0.05
        1 - confidence level.
    title : str
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    table = model.summary(alpha=alpha)
    y = np.arange(len(table))[::-1]
    up = table["hazard_ratio"] >= 1
    for mask, colour, marker, label in ((up, PALETTE[3], "s", "raises churn"),
                                        (~up, PALETTE[0], "o", "lowers churn")):
        if mask.any():
            ax.errorbar(table.loc[mask, "hazard_ratio"], y[mask.to_numpy()],
                        xerr=[table.loc[mask, "hazard_ratio"] - table.loc[mask, "ci_lower"],
                              table.loc[mask, "ci_upper"] - table.loc[mask, "hazard_ratio"]],
                        fmt=marker, color=colour, capsize=3, linestyle="none", label=label)
    ax.axvline(1, color="black", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    ax.set_yticks(y, table.index.tolist())
    level = int(round(100 * (1 - alpha)))
    return finish(ax, title=title,
                  xlabel=f"Hazard ratio (log scale, {level}% CI; ties: {model.ties})",
                  ylabel="", legend=True)


def plot_churn_by_group(table: pd.DataFrame, *, highlight_from=None,
                        title: str = "Churn rate by group", xlabel: str | None = None,
                        ax: Axes | None = None) -> Axes:
    """Bars of churn rate (%) per group with Wilson intervals.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`crm_analysis.churn_by_group`.
    highlight_from : optional
        First group label (in table order) drawn in the alert colour and
        hatch, e.g. ``"4"`` for four or more service calls.
    title, xlabel : str
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    labels = [str(i) for i in table.index]
    hot = np.zeros(len(table), dtype=bool)
    if highlight_from is not None:
        hot[labels.index(str(highlight_from)):] = True
    rate = 100 * table["churn_rate"].to_numpy()
    err = 100 * np.vstack([table["churn_rate"] - table["ci_lower"],
                           table["ci_upper"] - table["churn_rate"]])
    colours = [PALETTE[3] if h else PALETTE[0] for h in hot]
    bars = ax.bar(labels, rate, color=colours, yerr=err, capsize=3, edgecolor="white")
    for bar, h in zip(bars, hot, strict=True):
        bar.set_hatch(HATCHES[1] if h else "")
    for bar, n in zip(bars, table["customers"], strict=True):
        ax.annotate(f"n={n:,}", (bar.get_x() + bar.get_width() / 2, 0), xytext=(0, 3),
                    textcoords="offset points", ha="center", fontsize="x-small", color="white")
    return finish(ax, title=title, xlabel=xlabel or str(table.index.name),
                  ylabel="Churned (% of customers)", legend=False)


def plot_complaint_cost(cost: pd.DataFrame, *, row: int = 0,
                        title: str = "Value at stake in one complaint",
                        ax: Axes | None = None) -> Axes:
    """Stacked bars: loss if the complaint is handled badly vs if it is recovered (US$).

    Parameters
    ----------
    cost : DataFrame
        Output of :func:`crm_analysis.complaint_cost`.
    row : int, default 0
        Which row (customer value) to draw.
    title : str
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    r = cost.iloc[row]
    wom_rec = r["loss_recovered"] - 0  # total loss after recovery (customer + word of mouth)
    ax.bar(["handled badly"], [r["clv_lost_bad"]], color=PALETTE[3], label="customer's CLV lost")
    ax.bar(["handled badly"], [r["word_of_mouth_lost_bad"]], bottom=[r["clv_lost_bad"]],
           color=PALETTE[1], hatch="//", edgecolor="white", label="word of mouth lost")
    ax.bar(["recovered"], [wom_rec], color=PALETTE[5], hatch="..", edgecolor="white",
           label="value lost despite recovery")
    ax.bar(["recovered"], [r["recovery_cost"]], bottom=[wom_rec], color=PALETTE[0],
           hatch="xx", edgecolor="white", label="cost of recovery")
    finish(ax, title=title, xlabel="", ylabel="Expected loss per complaint (US$)", legend=False)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))  # outside: the bars fill the plot
    return ax
