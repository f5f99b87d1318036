"""Chart of a what-if panel (:mod:`crm_analysis.whatif`) in matplotlib."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from ._style import LINESTYLES, MARKERS, PALETTE, finish, get_ax

__all__ = ["plot_whatif"]

_SCALE = {"money": 1.0, "money_k": 1.0, "pct": 100.0, "num": 1.0}


def plot_whatif(
    panel,
    *,
    chart: int = 0,
    values: Mapping[str, float] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Draw one chart of a :class:`~crm_analysis.whatif.WhatIfPanel` at one slider setting.

    The same chart the panel's HTML draws in the browser: a ``"line"`` chart
    shows outputs along one slider with the others at ``values`` (the current
    position marked) and, dotted, along the same slider with the others at
    their base case; a ``"curve"`` chart shows the curve at ``values`` and,
    dotted, at the base case.

    Parameters
    ----------
    panel : WhatIfPanel
    chart : int, default 0
        Index into ``panel.charts``.
    values : dict, optional
        Slider name -> position; base case for the sliders not given.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    ax = get_ax(ax)
    values = dict(values or {})
    spec = panel.charts[chart]
    if spec["kind"] == "curve":
        cur = panel.curve(spec["y"], **values)
        base = panel.curve(spec["y"])
        ax.plot(100 * cur.index, 100 * cur.to_numpy(), color=PALETTE[0], linestyle=LINESTYLES[0],
                label="current setting")
        ax.plot(100 * base.index, 100 * base.to_numpy(), color=PALETTE[0], linestyle=":",
                alpha=0.6, label="base case")
        ax.axhline(100, color="0.5", linewidth=0.8, linestyle=":")
        return finish(ax, title=spec["title"], xlabel=spec["xlabel"], ylabel=spec["ylabel"],
                      legend=True)
    slider = next(s for s in panel.sliders if s.name == spec["x"])
    x = np.asarray(slider.values) * _SCALE[slider.kind]
    here = values.get(slider.name, slider.default)
    i = int(np.argmin(np.abs(np.asarray(slider.values) - here)))
    for j, y in enumerate(spec["y"]):
        label, kind = panel.outputs[y]
        line = panel.line(slider.name, y, **values).to_numpy() * _SCALE[kind]
        ax.plot(x, line, color=PALETTE[j % len(PALETTE)], linestyle=LINESTYLES[j % len(LINESTYLES)],
                label=label)
        ax.plot(x[i], line[i], marker=MARKERS[j % len(MARKERS)], color=PALETTE[j % len(PALETTE)],
                linestyle="none")
    if len(spec["y"]) <= 2:  # the base case, dotted and pale, as in the browser
        for j, y in enumerate(spec["y"]):
            kind = panel.outputs[y][1]
            base = panel.line(slider.name, y).to_numpy() * _SCALE[kind]
            ax.plot(x, base, color=PALETTE[j % len(PALETTE)], linestyle=":", linewidth=1.4,
                    alpha=0.6, label="base case" if j == 0 else None)
    kind = panel.outputs[spec["y"][0]][1]
    if kind.startswith("money"):
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    unit = {"pct": " (%)", "money": " (US$)", "money_k": " (US$)"}.get(slider.kind, "")
    ylabel = spec["ylabel"] if kind != "pct" or "%" in spec["ylabel"] else spec["ylabel"] + " (%)"
    return finish(ax, title=spec["title"], xlabel=slider.label + unit, ylabel=ylabel,
                  legend=True)
