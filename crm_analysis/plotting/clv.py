"""Charts of buy-till-you-die models, holdout validation and customer lifetime value.

These replace the lifetimes plotting helpers that break under pandas 3 and
matplotlib 3.11 (``plot_history_alive``, ``plot_expected_repeat_purchases``,
``plot_calibration_purchases_vs_holdout_purchases``, the tracking plots).
"""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ._style import MARKERS, PALETTE, finish, get_ax

__all__ = [
    "plot_p_alive_matrix",
    "plot_expected_purchases_matrix",
    "plot_p_alive_history",
    "plot_expected_repeat_purchases",
    "plot_holdout_by_frequency",
    "plot_tracking",
    "plot_clv_distribution",
    "plot_customer_equity",
    "plot_rank_comparison",
]


def _heatmap(ax: Axes, matrix: pd.DataFrame, cbar_label: str, vmin=None, vmax=None, **kwargs):
    freqs = matrix.columns.to_numpy(dtype=float)
    rec = matrix.index.to_numpy(dtype=float)
    kwargs.setdefault("cmap", "viridis")
    mesh = ax.pcolormesh(freqs, rec, matrix.to_numpy(), shading="nearest", vmin=vmin, vmax=vmax,
                         **kwargs)
    cbar = ax.figure.colorbar(mesh, ax=ax)
    cbar.set_label(cbar_label)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(False)
    return mesh


def plot_p_alive_matrix(model, *, max_frequency: int | None = None, T: float | None = None,
                        ax: Axes | None = None, **kwargs) -> Axes:
    """Heat map of P(alive) by frequency and recency for customers of age ``T``.

    Parameters
    ----------
    model : BTYDModel
        A fitted continuous-time model.
    max_frequency : int, optional
        Largest frequency shown.
    T : float, optional
        Customer age (model time units); defaults to the longest fitted age.
    ax : Axes, optional
    **kwargs
        Passed to ``ax.pcolormesh``.

    Returns
    -------
    Axes

    Examples
    --------
    >>> from crm_analysis.clv import BTYDModel
    >>> ax = plot_p_alive_matrix(BTYDModel.from_params("bgnbd", [0.243, 4.414, 0.793, 2.426]),
    ...                          max_frequency=20, T=39)
    """
    ax = get_ax(ax)
    mat = model.p_alive_matrix(max_frequency=max_frequency, T=T)
    _heatmap(ax, mat, "P(alive)", vmin=0, vmax=1, **kwargs)
    unit = model.time_unit
    age = mat.index.max()
    return finish(ax, title=f"{model.label}: probability a customer is still active (age {age:.0f} {unit})",
                  xlabel="Repeat purchases in calibration (count)",
                  ylabel=f"Recency: last minus first purchase ({unit})")


def plot_expected_purchases_matrix(model, t: float, *, max_frequency: int | None = None,
                                   T: float | None = None, ax: Axes | None = None,
                                   **kwargs) -> Axes:
    """Heat map of expected purchases in the next ``t`` by frequency and recency.

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    mat = model.expected_purchases_matrix(t, max_frequency=max_frequency, T=T)
    _heatmap(ax, mat, f"Expected purchases in next {t:g} {model.time_unit}", **kwargs)
    unit = model.time_unit
    return finish(ax, title=f"{model.label}: expected purchases in the next {t:g} {unit}",
                  xlabel="Repeat purchases in calibration (count)",
                  ylabel=f"Recency: last minus first purchase ({unit})")


def plot_p_alive_history(history: pd.DataFrame, *, title: str | None = None,
                         ax: Axes | None = None, **kwargs) -> Axes:
    """P(alive) of one customer over time with purchase days marked.

    Parameters
    ----------
    history : DataFrame
        Output of :func:`crm_analysis.clv.p_alive_history`.

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    kwargs.setdefault("color", PALETTE[0])
    ax.plot(history["date"], history["p_alive"], label="P(alive)", **kwargs)
    buys = history.loc[history["purchase"], "date"]
    for i, d in enumerate(buys):
        ax.axvline(d, color=PALETTE[3], linestyle="--", linewidth=1,
                   label="purchase day" if i == 0 else None)
    ax.set_ylim(0, 1.05)
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    return finish(ax, title=title or "Probability the customer is still active",
                  xlabel="Date", ylabel="P(alive) (probability)", legend=True)


def plot_expected_repeat_purchases(model, t_max: float, *, n_points: int = 100,
                                   ax: Axes | None = None, **kwargs) -> Axes:
    """Expected cumulative repeat purchases of a new customer, E[X(t)], for t in [0, t_max].

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    ts = np.linspace(0, t_max, n_points)
    curve = model.expected_purchases_new(ts)
    kwargs.setdefault("color", PALETTE[0])
    ax.plot(ts, curve.to_numpy(), label=model.label, **kwargs)
    return finish(ax, title=f"{model.label}: expected repeat purchases of a new customer",
                  xlabel=f"Time since first purchase ({model.time_unit})",
                  ylabel="Expected repeat purchases (count)")


def plot_holdout_by_frequency(table: pd.DataFrame, *, predicted_label: str = "model",
                              extra: dict[str, str] | None = None,
                              ax: Axes | None = None) -> Axes:
    """Mean actual vs predicted holdout purchases by calibration frequency.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`crm_analysis.clv.holdout_by_frequency`.
    predicted_label : str
        Name of the model behind the ``predicted`` column.
    extra : dict, optional
        More prediction columns of ``table`` to draw, ``{column: label}``
        (e.g. a second model's predictions added to the table).

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    x = np.arange(len(table))
    series = {"actual": "actual", "predicted": f"predicted ({predicted_label})"}
    series.update({col: f"predicted ({label})" for col, label in (extra or {}).items()})
    styles = ["-", "--", ":", "-."]
    for i, (col, label) in enumerate(series.items()):
        ax.plot(x, table[col], color=PALETTE[i], marker=MARKERS[i], linestyle=styles[i % 4],
                label=label)
    ax.set_xticks(x, table.index.astype(str))
    return finish(ax, title="Holdout purchases by calibration frequency",
                  xlabel="Repeat purchases in calibration period (count)",
                  ylabel="Holdout purchases (mean per customer)", legend=True)


def plot_tracking(tracking: pd.DataFrame, *, cumulative: bool = False, unit: str = "Week",
                  title: str | None = None, ax: Axes | None = None) -> Axes:
    """Actual vs predicted repeat transactions per period (or cumulative), calibration end marked.

    Parameters
    ----------
    tracking : DataFrame
        Output of :func:`crm_analysis.clv.tracking_data`.
    cumulative : bool
        Cumulative totals instead of per-period counts.

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    suffix = "_cumulative" if cumulative else ""
    ax.plot(tracking["period"], tracking["actual" + suffix], color=PALETTE[0], linestyle="-",
            label="actual")
    ax.plot(tracking["period"], tracking["predicted" + suffix], color=PALETTE[1], linestyle="--",
            label="predicted")
    if tracking["holdout"].any():
        edge = tracking.loc[tracking["holdout"], "period"].min() - 0.5
        ax.axvline(edge, color="grey", linestyle=":", label="end of calibration")
    kind = "Cumulative repeat" if cumulative else "Repeat"
    return finish(ax, title=title or f"{kind} transactions: actual vs predicted",
                  xlabel=f"{unit} (count from start of data)",
                  ylabel=f"{kind} transactions (count)", legend=True)


def plot_clv_distribution(clv: pd.Series, *, bins: int = 40, clip_quantile: float = 0.99,
                          currency: str = "US$", ax: Axes | None = None, **kwargs) -> Axes:
    """Histogram of CLV per customer; the top ``1 - clip_quantile`` is pooled in the last bin.

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    cap = float(clv.quantile(clip_quantile))
    kwargs.setdefault("color", PALETTE[0])
    ax.hist(clv.clip(upper=cap), bins=bins, **kwargs)
    ax.axvline(clv.mean(), color=PALETTE[3], linestyle="--", label=f"mean {clv.mean():.1f}")
    ax.axvline(clv.median(), color=PALETTE[2], linestyle=":", label=f"median {clv.median():.1f}")
    return finish(ax, title="Customer lifetime value per customer",
                  xlabel=f"CLV ({currency}; top {100 * (1 - clip_quantile):g}% pooled at right)",
                  ylabel="Customers (count)", legend=True)


def plot_customer_equity(equity: pd.DataFrame, *, currency: str = "US$",
                         ax: Axes | None = None, **kwargs) -> Axes:
    """Bar chart of customer equity by segment with its share of the total.

    Parameters
    ----------
    equity : DataFrame
        Output of :func:`crm_analysis.clv.customer_equity`.

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    kwargs.setdefault("color", PALETTE[0])
    labels = [str(i) for i in equity.index]
    bars = ax.bar(labels, equity["equity"].to_numpy(), **kwargs)
    for bar, share in zip(bars, equity["share"], strict=True):
        ax.annotate(f"{100 * share:.0f}%", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom")
    if len(labels) > 4:  # long segment names would overlap
        ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    # whole amounts with thousands separators, never a "1e6" offset above the axis
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    return finish(ax, title="Customer equity by segment", xlabel="Segment",
                  ylabel=f"Customer equity ({currency})")


def plot_rank_comparison(comparison, *, past_label: str = "past revenue",
                         future_label: str = "CLV", ax: Axes | None = None) -> Axes:
    """Past-value rank vs future-value rank, top groups highlighted.

    Parameters
    ----------
    comparison : RankComparison
        Output of :func:`crm_analysis.clv.compare_rankings`.

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    t = comparison.table
    n = len(t)
    pct_past = 100 * t["past_rank"] / n
    pct_future = 100 * t["future_rank"] / n
    groups = [
        (~t["top_past"] & ~t["top_future"], "other customers", PALETTE[5], ".", 8),
        (t["top_past"] & t["top_future"], "top by both", PALETTE[0], "o", 18),
        (t["top_past"] & ~t["top_future"], f"top by {past_label} only", PALETTE[3], "X", 30),
        (~t["top_past"] & t["top_future"], f"top by {future_label} only", PALETTE[1], "^", 22),
    ]
    for mask, label, colour, marker, size in groups:
        ax.scatter(pct_past[mask], pct_future[mask], s=size, color=colour, marker=marker,
                   label=f"{label} ({int(mask.sum()):,})", alpha=0.8, linewidths=0)
    cut = 100 * comparison.n_top_ / n
    ax.axvline(cut, color="grey", linestyle=":")
    ax.axhline(cut, color="grey", linestyle=":")
    ax.invert_xaxis()
    ax.invert_yaxis()
    finish(ax, title=f"Ranking by {past_label} vs by {future_label} "
                     f"(Spearman {comparison.spearman_:.2f})",
           xlabel=f"Rank by {past_label} (percentile, 0 = best)",
           ylabel=f"Rank by {future_label} (percentile, 0 = best)", legend=True)
    # Outside the plot: the interesting corner (top-right) is where the points are.
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), markerscale=1.5)
    return ax
