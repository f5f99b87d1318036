"""Charts of loyalty vs retention: the Dick & Basu matrix, lock-in, brand switching, C26 traits."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from ._style import HATCHES, LINESTYLES, MARKERS, PALETTE, finish, get_ax, grouped_bars, label_cells

__all__ = [
    "plot_loyalty_matrix",
    "plot_lock_in",
    "plot_switching_matrix",
    "plot_traits_vs_index",
]

# (column, row) of each cell: patronage low/high on x, attitude low/high on y.
_CELL_POS = {
    "no loyalty": (0, 0),
    "spurious loyalty": (1, 0),
    "latent loyalty": (0, 1),
    "true loyalty": (1, 1),
}
_CELL_STYLE = {  # colour and hatch, so cells stay apart in greyscale
    "true loyalty": (PALETTE[2], ""),
    "latent loyalty": (PALETTE[5], "//"),
    "spurious loyalty": (PALETTE[1], "xx"),
    "no loyalty": (PALETTE[3], ".."),
}
_FIGURES = {  # summary column -> line format
    "mean_clv": "CLV US${:,.0f}",
    "lapse_rate": "lapsed {:.0%}",
    "mean_satisfaction": "satisfaction {:.1f}",
    "mean_attitude": "attitude {:.0f}",
}


def plot_loyalty_matrix(
    result,
    *,
    figures: tuple[str, ...] = ("mean_clv", "lapse_rate"),
    title: str = "Loyalty matrix (Dick & Basu)",
    attitude_label: str = "Relative attitude (loyalty index)",
    patronage_label: str = "Repeat patronage (repeat rate)",
    ax: Axes | None = None,
) -> Axes:
    """The 2x2 of attitude x patronage with count, share and key figures per cell.

    Parameters
    ----------
    result : DickBasuResult
        Output of :func:`crm_analysis.dick_basu_segments`.
    figures : tuple of str
        Summary columns printed under the share (those present in
        ``result.summary()``): ``mean_clv``, ``lapse_rate``,
        ``mean_satisfaction``, ``mean_attitude``.
    title, attitude_label, patronage_label : str
    ax : Axes, optional

    Returns
    -------
    Axes
        One rectangle per cell (drawn in :data:`_CELL_POS` order) whose alpha
        grows with the cell's share; the texts give name, count, share and figures.

    Examples
    --------
    >>> import pandas as pd
    >>> from crm_analysis import dick_basu_segments
    >>> d = pd.DataFrame({"loyalty_index": [90, 80, 20, 10], "repeat_rate": [0.9, 0.1, 0.8, 0.2]})
    >>> ax = plot_loyalty_matrix(dick_basu_segments(d, thresholds=(50, 0.5)), figures=())
    """
    ax = get_ax(ax)
    summ = result.summary()
    top = max(float(summ["share"].max()), 1e-9)
    for seg, (x, y) in _CELL_POS.items():
        colour, hatch = _CELL_STYLE[seg]
        share = float(summ.loc[seg, "share"])
        ax.add_patch(Rectangle((x, y), 1, 1, facecolor=colour, alpha=0.25 + 0.6 * share / top,
                               hatch=hatch, edgecolor="white", linewidth=3, label=seg))
        lines = [seg.capitalize(), f"{int(summ.loc[seg, 'customers']):,} customers ({share:.0%})"]
        for col in figures:
            if col in summ.columns and pd.notna(summ.loc[seg, col]):
                lines.append(_FIGURES.get(col, col + " {:.2f}").format(summ.loc[seg, col]))
        ax.text(x + 0.5, y + 0.5, "\n".join(lines), ha="center", va="center",
                fontsize="small", fontweight="bold",
                bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none", "pad": 3})
    ax.set_xlim(0, 2)
    ax.set_ylim(0, 2)
    ax.set_xticks([0.5, 1.5], ["low", "high"])
    ax.set_yticks([0.5, 1.5], ["low", "high"])
    ax.grid(False)
    ax.set_aspect("equal")
    return finish(ax, title=title, xlabel=f"{patronage_label}, split at "
                  f"{result.thresholds_['patronage']:.3g}",
                  ylabel=f"{attitude_label}, split at {result.thresholds_['attitude']:.3g}",
                  legend=False)


def plot_lock_in(
    sim,
    *,
    expected: bool = True,
    title: str = "Removing an exit barrier (simulated)",
    ax: Axes | None = None,
) -> Axes:
    """Retention curves of truly and spuriously loyal customers around barrier removal.

    Parameters
    ----------
    sim : LockInSimulation
        Output of :func:`crm_analysis.simulate.simulate_lock_in`.
    expected : bool, default True
        Add the closed-form expected curves as thin dotted lines.
    title : str
    ax : Axes, optional

    Returns
    -------
    Axes
        One line per segment (``truly loyal``, ``spuriously loyal``, ``all``),
        retention in %, and a vertical line at the removal month.
    """
    ax = get_ax(ax)
    ret = sim.retention
    exp = sim.expected_retention() if expected else None
    for i, seg in enumerate(("truly loyal", "spuriously loyal", "all")):
        part = ret[ret["segment"] == seg]
        ax.plot(part["month"], 100 * part["retention"], color=PALETTE[[2, 1, 7][i]],
                linestyle=LINESTYLES[i], marker=MARKERS[i], markevery=6, markersize=5,
                label=f"{seg} (n={int(part['active'].iloc[0]):,})")
        if exp is not None:
            e = exp[exp["segment"] == seg]
            ax.plot(e["month"], 100 * e["expected"], color=PALETTE[[2, 1, 7][i]],
                    linestyle=":", linewidth=1, label="_expected")
    r = sim.params["barrier_months"]
    ax.axvline(r, color="grey", linestyle="--", linewidth=1)
    ax.annotate("barrier removed", (r, 5), xytext=(4, 0), textcoords="offset points",
                fontsize="small", color="grey")
    ax.set_ylim(0, 102)
    return finish(ax, title=title, xlabel="Months since start", ylabel="Still customers (%)",
                  legend=True)


def plot_switching_matrix(
    matrix: pd.DataFrame,
    *,
    title: str = "Brand switching between consecutive purchases",
    ax: Axes | None = None,
) -> Axes:
    """Heat map of a row-normalised switching matrix, values printed in %.

    Parameters
    ----------
    matrix : DataFrame
        Output of :func:`crm_analysis.switching_matrix` (``normalize=True``).
    title : str
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    values = matrix.to_numpy(dtype=float)
    img = ax.imshow(100 * values, cmap="Blues", vmin=0, vmax=100)
    label_cells(ax, values, rows=matrix.index, columns=matrix.columns,
                text=lambda v: f"{100 * v:.0f}%", dark=lambda v: v > 0.55, fontsize="small")
    ax.figure.colorbar(img, ax=ax, label="Next purchase (% of row)", shrink=0.8)
    return finish(ax, title=title, xlabel="Brand bought next", ylabel="Brand bought last",
                  legend=False)


def plot_traits_vs_index(
    traits: pd.DataFrame,
    index: pd.Series,
    *,
    title: str = "Loyalty index with and without each C26 trait",
    ax: Axes | None = None,
) -> Axes:
    """Paired bars: mean loyalty index of customers with and without each trait.

    Parameters
    ----------
    traits : DataFrame
        Output of :func:`crm_analysis.loyalty_traits` (boolean flags; ``<NA>`` ignored).
    index : Series
        Loyalty index per customer (same ids).
    title : str
    ax : Axes, optional

    Returns
    -------
    Axes
        Two bar containers: "trait shown" (solid) and "trait not shown" (hatched).
    """
    ax = get_ax(ax)
    flags = [c for c in traits.columns if c != "n_traits"]
    idx = index.reindex(traits.index)
    yes, no, labels = [], [], []
    for c in flags:
        f = traits[c]
        known = f.notna()
        yes.append(idx[known & f.fillna(False).astype(bool)].mean())
        no.append(idx[known & ~f.fillna(True).astype(bool)].mean())
        labels.append(f"{c.replace('_', chr(10))}\n(n={int(known.sum()):,})")
    x = np.arange(len(flags))
    grouped_bars(ax, x, [{"height": yes, "color": PALETTE[2], "edgecolor": None,
                          "label": "trait shown"},
                         {"height": no, "color": PALETTE[3], "hatch": HATCHES[1],
                          "label": "trait not shown"}])
    ax.set_xticks(x, labels, fontsize="small")
    top = np.nanmax(np.r_[yes, no, 1.0])
    ax.set_ylim(0, 1.25 * top)  # headroom for the legend
    finish(ax, title=title, xlabel="C26 trait (customers with data)",
           ylabel="Mean loyalty index (0-100)", legend=False)
    ax.legend(loc="upper left", ncol=2)
    return ax
