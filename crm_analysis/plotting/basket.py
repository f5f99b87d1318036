"""Charts of association rules, up-sell flows and breadth vs retention."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Polygon, Rectangle

from .._deprecation import renamed_kwargs
from ._style import HATCHES, PALETTE, finish, get_ax

__all__ = ["plot_rules", "plot_migration_flow", "plot_breadth_retention"]


def _short(text: str, width: int = 38) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@renamed_kwargs(by="sort_by")
def plot_rules(
    rules, *, n: int = 12, sort_by: str = "lift", ax: Axes | None = None, **kwargs,
) -> Axes:
    """Horizontal bars of the ``n`` strongest rules, labelled "antecedent → consequent".

    Bar length is ``sort_by`` (default lift); the confidence is written at the bar end.

    Parameters
    ----------
    rules : RuleSet or DataFrame
        Output of :func:`crm_analysis.mine_rules` (or its ``rules`` table).
    n : int, default 12
    sort_by : str, default "lift"
    ax : Axes, optional
    **kwargs
        Passed to ``ax.barh``.

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    table = rules.rules if hasattr(rules, "rules") else rules
    top = table.sort_values([sort_by, "support", "antecedent", "consequent"],
                            ascending=[False, False, True, True], kind="mergesort")
    top = top.head(n).iloc[::-1]
    labels = [f"{_short(a)} → {_short(c, 24)}" for a, c in zip(top["antecedent"],
                                                               top["consequent"], strict=True)]
    kwargs.setdefault("color", PALETTE[0])
    bars = ax.barh(labels, top[sort_by].to_numpy(), **kwargs)
    for bar, conf in zip(bars, top["confidence"], strict=True):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" conf {conf:.0%}",
                va="center", fontsize="x-small")
    ax.tick_params(axis="y", labelsize="x-small")
    if sort_by == "lift":
        ax.axvline(1.0, color=PALETTE[7], linestyle=":", linewidth=1)
    return finish(ax, title=f"Strongest association rules by {sort_by}",
                  xlabel=f"{sort_by.capitalize()} (1 = independence)" if sort_by == "lift" else sort_by.capitalize(),
                  ylabel="Rule (if basket has … → also has …)")


def plot_migration_flow(
    migration, *, first: int = 0, last: int = -1, ax: Axes | None = None, min_share: float = 0.0,
) -> Axes:
    """Sankey-like flow of customers between states in two windows.

    Left column: states in window ``first``; right column: window ``last``;
    band widths are customer counts.  States are stacked low (bottom) to
    high (top), so upward bands are up-sell.

    Parameters
    ----------
    migration : Migration
        Output of :func:`crm_analysis.category_migration`.
    first, last : int
        Window positions.
    min_share : float, default 0
        Hide bands below this share of customers.

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    counts = migration.matrix(share=False, first=first, last=last)
    order = list(counts.index)
    total = counts.to_numpy().sum()
    gap = 0.02 * total
    colors = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(order)}
    hatch = {s: HATCHES[i % len(HATCHES)] for i, s in enumerate(order)}

    def stack(sizes):
        pos, y = {}, 0.0
        for s in order:
            pos[s] = y
            y += sizes[s] + gap
        return pos

    left_size, right_size = counts.sum(axis=1), counts.sum(axis=0)
    left, right = stack(left_size), stack(right_size)
    width, x0, x1 = 0.06, 0.0, 1.0
    for s in order:
        for x, base, size in ((x0 - width, left[s], left_size[s]), (x1, right[s], right_size[s])):
            ax.add_patch(Rectangle((x, base), width, size, facecolor=colors[s], hatch=hatch[s],
                                   edgecolor="white"))
        ax.text(x0 - width - 0.01, left[s] + left_size[s] / 2, f"{s} ({left_size[s]:,})",
                ha="right", va="center", fontsize="small")
        ax.text(x1 + width + 0.01, right[s] + right_size[s] / 2, f"{s} ({right_size[s]:,})",
                ha="left", va="center", fontsize="small")
    out_y, in_y = dict(left), dict(right)
    t = np.linspace(0, 1, 30)
    smooth = 3 * t**2 - 2 * t**3
    for a in order:
        for b in order:
            k = counts.loc[a, b]
            if k <= 0 or k / total < min_share:
                continue
            y0a, y1a = out_y[a], in_y[b]
            xs = x0 + (x1 - x0) * t
            lower = y0a + (y1a - y0a) * smooth
            upper = lower + k
            ax.add_patch(Polygon(np.column_stack([np.r_[xs, xs[::-1]], np.r_[lower, upper[::-1]]]),
                                 closed=True, facecolor=colors[a], alpha=0.35, edgecolor="none",
                                 label=None))
            out_y[a] += k
            in_y[b] += k
    ax.set_xlim(-0.55, 1.55)
    ax.set_ylim(0, max(sum(left_size) , sum(right_size)) + gap * len(order))
    ax.set_yticks([])
    ax.set_xticks([x0 - width / 2, x1 + width / 2], [counts.index.name, counts.columns.name])
    ax.grid(False)
    return finish(ax, title="Customer flow between windows", xlabel="Window",
                  ylabel="Customers (count, stacked)")


def plot_breadth_retention(
    result, *, value: str = "retention", ax: Axes | None = None,
) -> Axes:
    """Retention (or later activity) by breadth band within each frequency stratum.

    Grouped bars: one group per frequency stratum (F1 = least frequent),
    one bar per breadth band (low / mid / high, hatched differently); a
    fair comparison reads *within* a group.

    Parameters
    ----------
    result : BreadthRetention
        Output of :func:`crm_analysis.breadth_retention`.
    value : {"retention", "later_baskets"}

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    wide = result.table.pivot(index="stratum", columns="breadth_band", values=value)
    strata = list(wide.index.astype(str))
    x = np.arange(len(strata))
    w = 0.8 / wide.shape[1]
    for i, band in enumerate(wide.columns):
        heights = wide[band].to_numpy() * (100 if value == "retention" else 1)
        ax.bar(x + (i - (wide.shape[1] - 1) / 2) * w, heights, width=w, label=f"{band} breadth",
               color=PALETTE[i], hatch=HATCHES[i + 1], edgecolor="white")
    ax.set_xticks(x, strata)
    if value == "retention":
        ax.set_ylim(max(0, np.nanmin(wide.to_numpy()) * 100 - 10), 100)
    ylabel = ("Retained in later window (% of customers)" if value == "retention"
              else "Baskets in later window (mean per customer)")
    return finish(ax, title="Broader baskets, longer relationships? (within frequency strata)",
                  xlabel="First-window purchase frequency stratum (F1 = fewest baskets)",
                  ylabel=ylabel, legend=True)



