"""Charts of customer equity: the lever waterfall and the relationship cylinders."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Ellipse, Rectangle

from ._style import HATCHES, PALETTE, finish, get_ax

__all__ = ["plot_lever_waterfall", "plot_lever_tornado", "plot_relationship_cylinders"]


def plot_lever_waterfall(
    result, *, scale: float = 1.0, unit: str = "US$", ax: Axes | None = None,
) -> Axes:
    """Waterfall from base equity to equity with all three levers pulled.

    Bars: base total, the change from more, longer and deeper alone, the
    interaction (what pulling them together adds beyond the sum), and the
    all-three total.

    Parameters
    ----------
    result : LeverResult
        Output of :func:`crm_analysis.lever_simulation`.
    scale : float, default 1.0
        Divide amounts by this (e.g. 1e6 for millions).
    unit : str
        Currency label of the y axis.

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    steps = result.waterfall()
    amounts = steps["amount"].to_numpy() / scale
    bottoms, heights, running = [], [], 0.0
    for kind, amt in zip(steps["kind"], amounts, strict=True):
        if kind == "total":
            bottoms.append(0.0)
            heights.append(amt)
            running = amt
        else:
            bottoms.append(running if amt >= 0 else running + amt)
            heights.append(abs(amt))
            running += amt
    colors = {"total": PALETTE[0], "lever": PALETTE[2], "interaction": PALETTE[1]}
    hatch = {"total": HATCHES[0], "lever": HATCHES[1], "interaction": HATCHES[3]}
    bars = ax.bar(steps["step"], heights, bottom=bottoms,
                  color=[colors[k] for k in steps["kind"]],
                  hatch=[hatch[k] for k in steps["kind"]], edgecolor="white")
    base = amounts[0]
    for bar, kind, amt in zip(bars, steps["kind"], amounts, strict=True):
        text = f"{amt:,.2f}" if kind == "total" else f"{amt:+,.2f}\n({100 * amt / base:+.1f}%)"
        ax.text(bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height(), text,
                ha="center", va="bottom", fontsize="x-small")
    # The axis starts at zero so that bar lengths compare honestly with the base.
    ax.set_ylim(0, max(b + h for b, h in zip(bottoms, heights, strict=True)) * 1.12)
    suffix = ", millions" if scale == 1e6 else (", thousands" if scale == 1e3 else "")
    return finish(ax, title=f"Equity levers: {_lever_label(result.settings)}",
                  xlabel="Lever", ylabel=f"Customer equity ({unit}{suffix})")


def _lever_label(settings: dict) -> str:
    """Human-readable lever sizes, e.g. ``+5% customers, -5% defections, +5% value``."""
    s = settings
    if s.get("defection_is_points") or "defection" not in s:
        longer = f"+{100 * s.get('defection', s.get('retention', 0)):.0f} pts retention"
    else:
        longer = f"{-np.mean(s['defection']):.0%} defections"
    return f"+{s['acquisition']:.0%} customers, {longer}, +{s['spend']:.0%} value"


def plot_relationship_cylinders(
    groups: pd.DataFrame,
    *,
    lifetime: str = "expected_lifetime",
    value: str = "value",
    customers: str | None = "customers",
    unit: str = "US$",
    period: str = "month",
    ax: Axes | None = None,
) -> Axes:
    """One cylinder per customer group: height = expected lifetime, width = value per period.

    The picture of the seed text *CRM goals: more, longer, deeper*: a taller
    cylinder is a longer relationship, a thicker one a deeper (more valuable)
    one.  Under each cylinder is the number of *expected live relationships*
    (from :func:`crm_analysis.base_from_model` the sum of P(alive), not a
    count of customers).  The cylinder's front area (height x width) is the
    CLV of one live relationship.

    Parameters
    ----------
    groups : DataFrame
        One row per group (index = name), e.g. :func:`crm_analysis.equity_decomposition`
        (the ``"total"`` row is skipped) or :func:`crm_analysis.base_from_model`.
    lifetime, value : str
        Columns of expected lifetime (periods) and value per period.
    customers : str or None
        Column of expected live relationships, written under each cylinder.
    unit, period : str
        Axis-label units.

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    frame = groups.drop(index="total", errors="ignore")
    widths = frame[value].to_numpy(float)
    heights = frame[lifetime].to_numpy(float)
    gap = 0.35 * widths.max()
    x = 0.0
    centres = []
    cap = 0.06 * heights.max()
    for i, (name, w, h) in enumerate(zip(frame.index, widths, heights, strict=True)):
        colour, hatch = PALETTE[i % len(PALETTE)], HATCHES[i % len(HATCHES)]
        ax.add_patch(Rectangle((x, 0), w, h, facecolor=colour, alpha=0.8, hatch=hatch,
                               edgecolor="white", label=str(name)))
        ax.add_patch(Ellipse((x + w / 2, 0), w, cap, facecolor=colour, edgecolor="white"))
        ax.add_patch(Ellipse((x + w / 2, h), w, cap, facecolor="white", edgecolor=colour,
                             linewidth=1.5))
        note = f"{name}"
        if customers is not None and customers in frame.columns:
            note += f"\n{frame[customers].iloc[i]:,.0f} expected live\nrelationships"
        ax.text(x + w / 2, -0.08 * heights.max(), note, ha="center", va="top", fontsize="small")
        ax.text(x + w / 2, h + cap, f"{h:.1f} {period}s\n× {w:,.2f} {unit}", ha="center",
                va="bottom", fontsize="x-small")
        centres.append(x + w / 2)
        x += w + gap
    ax.set_xlim(-gap / 2, x - gap / 2)
    ax.set_ylim(-0.25 * heights.max(), 1.3 * heights.max())
    ax.set_xticks([])
    ax.set_yticks([t for t in ax.get_yticks() if 0 <= t <= 1.3 * heights.max()])
    ax.grid(axis="x", visible=False)
    return finish(ax, title="Relationship cylinders: height = lifetime, width = value",
                  xlabel=f"Value per {period} of a live relationship ({unit}, cylinder width)",
                  ylabel=f"Expected discounted lifetime ({period}s)", legend=False)





def plot_lever_tornado(
    sensitivity: pd.DataFrame, *, scale: float = 1.0, unit: str = "US$", ax: Axes | None = None,
) -> Axes:
    """Tornado chart: equity change when each lever moves down (left) and up (right).

    Parameters
    ----------
    sensitivity : DataFrame
        Output of :func:`crm_analysis.lever_sensitivity` (largest range first,
        drawn at the top).
    scale : float, default 1.0
        Divide amounts by this (e.g. 1e3 for thousands).
    unit : str

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    frame = sensitivity.iloc[::-1]
    labels = [f"{lever} (±{size:.0%})" if lever != "longer" else f"{lever} (∓{size:.0%} defections)"
              for lever, size in zip(frame.index, frame["size"], strict=True)]
    low, high = frame["low"].to_numpy() / scale, frame["high"].to_numpy() / scale
    ax.barh(labels, low, color=PALETTE[3], hatch=HATCHES[2], edgecolor="white", label="lever down")
    ax.barh(labels, high, color=PALETTE[2], hatch=HATCHES[1], edgecolor="white", label="lever up")
    ax.axvline(0, color=PALETTE[7], linewidth=1)
    for y, (lo, hi) in enumerate(zip(low, high, strict=True)):
        ax.text(hi, y, f" {hi:+,.1f}", va="center", ha="left", fontsize="x-small")
        ax.text(lo, y, f"{lo:+,.1f} ", va="center", ha="right", fontsize="x-small")
    span = max(abs(low).max(), abs(high).max())
    ax.set_xlim(-1.3 * span, 1.3 * span)
    suffix = ", millions" if scale == 1e6 else (", thousands" if scale == 1e3 else "")
    finish(ax, title="Equity sensitivity to each lever", ylabel="Lever",
           xlabel=f"Change in customer equity ({unit}{suffix})", legend=False)
    ax.legend(loc="lower right")
    return ax
