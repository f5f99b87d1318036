"""What-if controls: the quantities a manager argues about, on sliders.

Each ``*_whatif`` function evaluates one public function of the library over
the grid of every combination of a few slider values and returns a
:class:`WhatIfPanel`.  The panel works in two places:

* in a page without a Python kernel (the static site, a saved notebook): its
  HTML representation is a self-contained block (range inputs, an inline SVG
  chart and a small script, no external file) that looks up the precomputed
  grid as the sliders move;
* in JupyterLab with a kernel: :meth:`WhatIfPanel.widget` returns ipywidgets
  sliders redrawing a matplotlib chart from the same grid.

The grid holds exactly what the library returns at each combination (tests
check grid points against direct calls), so the client-side script only looks
numbers up and draws them; it computes nothing.

Panels, their sliders and the library function evaluated at every combination:

* :func:`clv_whatif`: fewer defections, margin, discount rate, acquisition cost
  and spend, through :func:`~crm_analysis.equity_decomposition`;
* :func:`dick_basu_whatif`: attitude and patronage thresholds, through
  :func:`~crm_analysis.dick_basu_segments`;
* :func:`fee_policy_whatif`: fee, retention drop of charged customers and lost
  trust of the others, through :func:`~crm_analysis.simulate_fee_policy`;
* :func:`whale_whatif`: unit costs to serve, through
  :func:`~crm_analysis.customer_profitability` and :func:`~crm_analysis.whale_curve`.
"""

from __future__ import annotations

import hashlib
import html
import io
import itertools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .errors import CRMDataError
from .messages import REPORT_LANGUAGES, Message, localise, message
from .plotting import chart_language, translate

__all__ = [
    "WhatIfSlider",
    "WhatIfPanel",
    "clv_whatif",
    "dick_basu_whatif",
    "fee_policy_whatif",
    "whale_whatif",
]

# How an output is written: scale, decimals, prefix, suffix (mirrored by the script).
_FORMATS = {
    "money": {"scale": 1.0, "decimals": 0, "prefix": "US$", "suffix": ""},
    "money_k": {"scale": 1e-3, "decimals": 0, "prefix": "US$", "suffix": "k"},
    "pct": {"scale": 100.0, "decimals": 1, "prefix": "", "suffix": "%"},
    "num": {"scale": 1.0, "decimals": 2, "prefix": "", "suffix": ""},
}


def _format(value: float, kind: str) -> str:
    f = _FORMATS[kind]
    if not np.isfinite(value):
        return "n/a"
    return f"{f['prefix']}{value * f['scale']:,.{f['decimals']}f}{f['suffix']}"


@dataclass
class WhatIfSlider:
    """One control of a :class:`WhatIfPanel`.

    Attributes
    ----------
    name : str
        Keyword of the panel's compute function.
    label : str
        What the manager reads next to the slider.
    values : tuple of float
        The positions of the slider, in order.
    default : float
        The base case (one of ``values``).
    kind : str
        How the values are written: ``"money"``, ``"money_k"``, ``"pct"`` or ``"num"``.
    """

    name: str
    label: str
    values: tuple
    default: float
    kind: str = "num"

    def __post_init__(self):
        self.values = tuple(float(v) for v in self.values)
        if len(self.values) < 2:
            raise CRMDataError(f"WhatIfSlider: slider {self.name!r}: needs at least two values, got {self.values}.")
        if not np.all(np.diff(self.values) > 0):
            raise CRMDataError(f"WhatIfSlider: slider {self.name!r}: values must increase, got {self.values}.")
        hit = np.isclose(self.values, float(self.default), rtol=1e-9, atol=1e-12)
        if not hit.any():
            raise CRMDataError(f"WhatIfSlider: slider {self.name!r}: default {self.default!r} is not one of "
                               f"the values {self.values}.")
        self.default = self.values[int(np.argmax(hit))]

    @property
    def default_index(self) -> int:
        return self.values.index(self.default)

    def labels(self) -> list[str]:
        return [_format(v, self.kind) for v in self.values]


@dataclass
class WhatIfPanel:
    """Outputs of one library function over every combination of slider values.

    Attributes
    ----------
    title : str
    sliders : list of WhatIfSlider
    grid : DataFrame
        One row per combination (slider columns, in the order of
        ``itertools.product`` over the sliders), then one column per scalar output.
    outputs : dict
        Output name -> ``(label, kind)``; ``kind`` as in :class:`WhatIfSlider`.
    charts : list of dict
        ``{"kind": "line", "x": slider, "y": [outputs], "title", "ylabel"}``
        draws outputs along one slider with the others where they are;
        ``{"kind": "curve", "y": curve, "title", "xlabel", "ylabel"}`` draws
        the curve of the current combination.
    curves : dict
        Curve name -> ``(x, y)``: ``x`` shared points, ``y`` an array with one
        row per grid row.
    note : str
        Where the numbers come from (data provenance and assumptions).
    """

    title: str
    sliders: list
    grid: pd.DataFrame
    outputs: dict
    charts: list
    curves: dict = field(default_factory=dict)
    note: str = ""

    def __repr__(self) -> str:
        sliders = ", ".join(f"{s.name} ({len(s.values)})" for s in self.sliders)
        return (f"WhatIfPanel({self.title!r}: {len(self.grid):,} combinations of {sliders}; "
                f"outputs {list(self.outputs)})")

    # ---- looking values up -------------------------------------------------------------
    def _row(self, values: Mapping[str, float] | None = None) -> int:
        """Grid row of a combination (defaults for the sliders not given)."""
        values = dict(values or {})
        unknown = set(values) - {s.name for s in self.sliders}
        if unknown:
            raise CRMDataError(f"WhatIfPanel: unknown slider(s) {sorted(unknown)}; sliders are "
                               f"{[s.name for s in self.sliders]}.")
        row = 0
        for s in self.sliders:
            v = float(values.get(s.name, s.default))
            hit = np.flatnonzero(np.isclose(s.values, v, rtol=1e-9, atol=1e-12))
            if not len(hit):
                raise CRMDataError(f"WhatIfPanel: {s.name}={v!r} is not a slider position; "
                                   f"positions are {s.values}.")
            row = row * len(s.values) + int(hit[0])
        return row

    def at(self, **values: float) -> pd.Series:
        """The outputs at one combination (defaults for the sliders not given).

        Examples
        --------
        >>> p = clv_whatif()
        >>> bool(p.at(defection_cut=0.5)["clv"] > p.at()["clv"])
        True
        """
        return self.grid.iloc[self._row(values)]

    def line(self, x: str, y: str, **values: float) -> pd.Series:
        """Output ``y`` along slider ``x``, the other sliders at ``values`` (or defaults)."""
        slider = next((s for s in self.sliders if s.name == x), None)
        if slider is None:
            raise CRMDataError(f"WhatIfPanel.line: no slider {x!r}.")
        out = [self.grid[y].iloc[self._row({**values, x: v})] for v in slider.values]
        return pd.Series(out, index=pd.Index(slider.values, name=x), name=y)

    def curve(self, name: str, **values: float) -> pd.Series:
        """Curve ``name`` at one combination, indexed by its x points."""
        x, y = self.curves[name]
        return pd.Series(y[self._row(values)], index=pd.Index(x, name="x"), name=name)

    # ---- rendering -----------------------------------------------------------------------
    def spec(self, *, lang: str | None = None) -> dict:
        """Everything the client-side script needs, as JSON-ready lists.

        Titles, labels, the note and the script's own words are in ``lang``
        (``"en"``, ``"zh"`` or ``"zh+en"``; default the chart language of
        :func:`crm_analysis.plotting.set_style`): chart words through the chart
        phrase table, the note through the message catalogue.
        """
        def rounded(a):
            return [None if not np.isfinite(v) else float(f"{v:.6g}") for v in np.ravel(a)]

        lang = self._lang(lang)

        def say(text):  # one line in HTML: Chinese / English side by side
            return translate(text, "legend", lang=lang)

        charts = [{k: say(v) if k in ("title", "xlabel", "ylabel") else v for k, v in c.items()}
                  for c in self.charts]
        return {
            "title": say(self.title),
            "note": localise(self.note, lang),
            "formats": _FORMATS,
            "words": {"base": message("whatif.base", lang), "na": message("whatif.na", lang)},
            "sliders": [{"name": s.name, "label": say(s.label), "labels": s.labels(),
                         "values": list(s.values), "default": s.default_index}
                        for s in self.sliders],
            "outputs": {k: {"label": say(lab), "kind": kind} for k, (lab, kind) in self.outputs.items()},
            "data": {k: rounded(self.grid[k].to_numpy(dtype=float)) for k in self.outputs},
            "curves": {k: {"x": rounded(x), "y": [rounded(r) for r in y]}
                       for k, (x, y) in self.curves.items()},
            "charts": charts,
        }

    @staticmethod
    def _lang(lang: str | None) -> str:
        lang = chart_language() if lang is None else lang
        if lang not in REPORT_LANGUAGES:
            raise CRMDataError(f"WhatIfPanel: lang must be one of {', '.join(REPORT_LANGUAGES)}; "
                               f"got {lang!r}.")
        return lang

    def to_html(self, *, full_page: bool = False, lang: str | None = None) -> str:
        """Self-contained HTML: sliders, readout and SVG charts driven by an inline script.

        Nothing is fetched from a network or a file; no ``<img>`` is used.
        ``full_page=True`` wraps the block in a complete HTML document. ``lang``
        (``"en"``, ``"zh"``, ``"zh+en"``; default the chart language of
        :func:`crm_analysis.plotting.set_style`) is the language of its words.

        Examples
        --------
        >>> html = clv_whatif(defection_cuts=(0.0, 0.5)).to_html(lang="zh")
        >>> "假如：客户终身价值与客户资产" in html, "基准情形" in html
        (True, True)
        """
        spec = self.spec(lang=lang)
        payload = json.dumps(spec, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
        uid = "crm-whatif-" + hashlib.sha1(payload.encode()).hexdigest()[:12]
        # "</" must not appear inside a <script> element.
        payload = payload.replace("</", "<\\/")
        block = (
            f'<div class="crm-whatif" id="{uid}" data-crm-whatif="1">'
            f"<style>{_CSS}</style>"
            f'<div class="crm-whatif-title">{html.escape(spec["title"])}</div>'
            '<div class="crm-whatif-controls"></div><div class="crm-whatif-readout"></div>'
            '<div class="crm-whatif-charts"></div>'
            f'<div class="crm-whatif-note">{html.escape(spec["note"])}</div>'
            f'<script type="application/json" class="crm-whatif-spec">{payload}</script>'
            # The script's own parent is the panel (JupyterLab may run it before the output is
            # in the document); the id is the fallback.
            f"<script>{_JS}\ncrmWhatIf(document.currentScript && document.currentScript.parentNode"
            f".classList.contains('crm-whatif') ? document.currentScript.parentNode : "
            f"document.getElementById({json.dumps(uid)}));</script>"
            "</div>"
        )
        if not full_page:
            return block
        page_lang = "en" if self._lang(lang) == "en" else "zh"
        return (f"<!DOCTYPE html><html lang='{page_lang}'><head><meta charset='utf-8'>"
                f"<title>{html.escape(spec['title'])}"
                f"</title></head><body>{block}</body></html>")

    def _repr_html_(self) -> str:
        return self.to_html()

    def widget(self):
        """ipywidgets controls for JupyterLab with a kernel: sliders redrawing a matplotlib chart.

        Returns
        -------
        ipywidgets.VBox
        """
        import ipywidgets as widgets
        import matplotlib.pyplot as plt

        from .plotting.whatif import plot_whatif

        spec = self.spec()  # words in the chart language of set_style
        sliders = {s.name: widgets.SelectionSlider(
            options=list(zip(s.labels(), s.values, strict=True)), value=s.default,
            description=sp["label"], continuous_update=False,
            style={"description_width": "240px"}, layout={"width": "620px"})
            for s, sp in zip(self.sliders, spec["sliders"], strict=True)}
        readout = widgets.HTML()
        # An Image widget, not an Output widget: the picture is plain widget state, so it
        # shows the same in every front end and in a saved notebook's widget state.
        image = widgets.Image(format="png")

        def redraw(*_):
            values = {k: w.value for k, w in sliders.items()}
            row, base = self.at(**values), self.at()
            readout.value = "<br>".join(
                f"{html.escape(spec['outputs'][k]['label'])}: <b>{_format(row[k], kind)}</b> "
                f"({html.escape(spec['words']['base'])} {_format(base[k], kind)})"
                for k, (_, kind) in self.outputs.items())
            fig, axes = plt.subplots(1, len(self.charts), figsize=(5 * len(self.charts), 3.6),
                                     squeeze=False)
            for i, ax in enumerate(axes[0]):
                plot_whatif(self, chart=i, values=values, ax=ax)
            fig.tight_layout()
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=80)
            plt.close(fig)
            image.value = buf.getvalue()

        for w in sliders.values():
            w.observe(redraw, names="value")
        redraw()
        return widgets.VBox([widgets.HTML(f"<b>{html.escape(spec['title'])}</b>"),
                             *sliders.values(), readout, image])


def _build(title, sliders, compute, outputs, charts, note, *, curves=None, progress=True):
    """Evaluate ``compute`` at every combination of slider values."""
    curves = curves or {}
    rows, curve_rows = [], {name: [] for name in curves}
    combos = list(itertools.product(*(s.values for s in sliders)))
    for combo in tqdm(combos, desc=title[:40], disable=not progress):
        res = compute(**dict(zip((s.name for s in sliders), combo, strict=True)))
        rows.append([*combo, *(float(res[k]) for k in outputs)])
        for name in curves:
            curve_rows[name].append(np.asarray(res[name], dtype=float))
    grid = pd.DataFrame(rows, columns=[s.name for s in sliders] + list(outputs))
    curve_data = {name: (np.asarray(x, dtype=float), np.vstack(curve_rows[name]))
                  for name, x in curves.items()}
    return WhatIfPanel(title=title, sliders=list(sliders), grid=grid, outputs=dict(outputs),
                       charts=list(charts), curves=curve_data, note=note)


def _steps(values, default, name, kind, label) -> WhatIfSlider:
    return WhatIfSlider(name=name, label=label, values=tuple(values), default=default, kind=kind)


# ---------------------------------------------------------------------------------------
# CLV and customer equity
# ---------------------------------------------------------------------------------------

def clv_whatif(
    *,
    retention: float = 0.75,
    customers: float = 10_000,
    horizon: int | None = None,
    defection_cuts: Sequence[float] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5),
    margins: Sequence[float] = (0.1, 0.2, 0.3, 0.4, 0.5),
    discounts: Sequence[float] = (0.0, 0.05, 0.1, 0.15, 0.2),
    acquisition_costs: Sequence[float] = (0.0, 50.0, 100.0, 150.0, 200.0, 250.0, 300.0),
    spends: Sequence[float] = (300.0, 400.0, 500.0, 600.0, 700.0),
    defaults: Mapping[str, float] | None = None,
    progress: bool = False,
) -> WhatIfPanel:
    """CLV of a new customer and equity of the base under fewer defections, margin, discount, cost.

    Per period (a year by default reading), a live customer spends ``spend``
    and leaves ``margin x spend``; the share ``1 - retention`` defects each
    period, and a lever ``defection_cut`` = x removes x of those defections
    (retention ``1 - (1 - retention)(1 - x)``: the lever of the same effort
    whatever the base rate, see :mod:`crm_analysis.equity`).  At each
    combination :func:`~crm_analysis.equity_decomposition` gives the expected
    discounted lifetime L and

    * ``clv`` = margin x spend x L - acquisition cost, the value of acquiring
      one customer (Gupta, Lehmann & Stuart 2004);
    * ``equity`` = customers x margin x spend x L, the equity of the current
      base (acquisition already paid);
    * ``lifetime`` = L in periods; ``retention`` after the lever.

    Parameters
    ----------
    retention : float, default 0.75
        Base retention per period, before the lever.
    customers : float, default 10,000
        Live customers of the base.
    horizon : int, optional
        Periods counted; unlimited when omitted.
    defection_cuts, margins, discounts, acquisition_costs, spends : sequence of float
        Slider positions (increasing).
    defaults : dict, optional
        Base-case position per slider name (``defection_cut``, ``margin``,
        ``discount``, ``acquisition_cost``, ``spend``); by default no cut,
        the middle margin, 10% discount, US$100 and the middle spend.
    progress : bool, default False

    Returns
    -------
    WhatIfPanel

    Raises
    ------
    CRMDataError
        Retention outside [0, 1), a defection cut outside [0, 1], or a
        default that is not a slider position.

    References
    ----------
    Gupta, S., Lehmann, D. R. & Stuart, J. A. (2004). Valuing customers.
    *Journal of Marketing Research*, 41(1), 7-18.

    Examples
    --------
    >>> p = clv_whatif()
    >>> round(float(p.at()["lifetime"]), 4)   # 1 / (1 + 0.1 - 0.75)
    2.8571
    >>> round(float(p.at()["clv"]), 2)        # 0.3 x 500 x 2.857 - 100
    328.57
    """
    from .equity import equity_decomposition

    if not 0 <= retention < 1:
        raise CRMDataError(f"clv_whatif: retention must lie in [0, 1), got {retention!r}.")
    if min(defection_cuts) < 0 or max(defection_cuts) > 1:
        raise CRMDataError(f"clv_whatif: defection_cuts must lie in [0, 1], got {defection_cuts}.")
    d = {"defection_cut": 0.0, "margin": float(np.median(margins)), "discount": 0.1,
         "acquisition_cost": 100.0, "spend": float(np.median(spends)), **(defaults or {})}
    sliders = [
        _steps(defection_cuts, d["defection_cut"], "defection_cut", "pct", "Fewer defections"),
        _steps(margins, d["margin"], "margin", "pct", "Margin (share of spend)"),
        _steps(discounts, d["discount"], "discount", "pct", "Discount rate per period"),
        _steps(acquisition_costs, d["acquisition_cost"], "acquisition_cost", "money",
               "Acquisition cost per customer"),
        _steps(spends, d["spend"], "spend", "money", "Spend per period"),
    ]
    names = [s.name for s in sliders]
    combos = pd.DataFrame(list(itertools.product(*(s.values for s in sliders))), columns=names)
    # One call for the whole grid: each combination is one "group" of the decomposition.
    groups = pd.DataFrame({
        "customers": float(customers),
        "retention": 1 - (1 - retention) * (1 - combos["defection_cut"].to_numpy()),
        "value": (combos["margin"] * combos["spend"]).to_numpy(),
    })
    tables = {}
    for disc in sliders[2].values:
        rows = combos["discount"].to_numpy() == disc
        tables[disc] = equity_decomposition(groups[rows], discount_rate=disc, horizon=horizon).drop(
            index="total")
    lookup = pd.concat(tables.values()).loc[groups.index]
    position = {tuple(c): i for i, c in enumerate(combos[names].itertuples(index=False))}

    def compute(**v):
        r = lookup.iloc[position[tuple(v[n] for n in names)]]
        return {"clv": r["clv"] - v["acquisition_cost"], "equity": r["equity"],
                "lifetime": r["expected_lifetime"], "retention": r["retention"]}

    outputs = {"clv": ("CLV of a new customer, net of acquisition cost", "money"),
               "equity": ("Customer equity of the base", "money_k"),
               "lifetime": ("Expected discounted lifetime (periods)", "num"),
               "retention": ("Retention per period after the lever", "pct")}
    charts = [
        {"kind": "line", "x": "defection_cut", "y": ["clv"],
         "title": "CLV of a new customer (US$)", "ylabel": "CLV (US$)"},
        {"kind": "line", "x": "defection_cut", "y": ["equity"],
         "title": "Customer equity of the base (US$)", "ylabel": "Equity (US$)"},
    ]
    note = Message("whatif.note.clv", customers=customers, retention=retention,
                   horizon=Message("whatif.unlimited") if horizon is None
                   else Message("whatif.periods", n=horizon))
    panel = _build("What if: CLV and customer equity", sliders, compute, outputs, charts, note,
                   progress=progress)
    return panel


# ---------------------------------------------------------------------------------------
# Dick & Basu thresholds
# ---------------------------------------------------------------------------------------

def dick_basu_whatif(
    data: pd.DataFrame,
    *,
    attitude: str = "loyalty_index",
    patronage: str = "repeat_rate",
    quantiles: Sequence[float] = tuple(np.round(np.arange(0.1, 0.91, 0.05), 2)),
    attitude_cuts: Sequence[float] | None = None,
    patronage_cuts: Sequence[float] | None = None,
    progress: bool = False,
) -> WhatIfPanel:
    """Shares of the four Dick & Basu cells as the two thresholds move.

    At each pair of cuts :func:`~crm_analysis.dick_basu_segments` (numeric
    thresholds; "high" is strictly above the cut) gives the share of true,
    latent, spurious and no loyalty.

    Parameters
    ----------
    data : DataFrame
        One row per customer with the attitude and patronage columns; never modified.
    attitude, patronage : str
        Column names.
    quantiles : sequence of float
        Cuts at these quantiles of each column, when the cuts are not given;
        the default case is the median (0.5 must be among them).
    attitude_cuts, patronage_cuts : sequence of float, optional
        Explicit cut positions (increasing); the default case is the middle one.
    progress : bool, default False

    Returns
    -------
    WhatIfPanel

    Raises
    ------
    CRMDataError
        As :func:`~crm_analysis.dick_basu_segments`; quantiles outside (0, 1).

    References
    ----------
    Dick, A. S. & Basu, K. (1994). Customer loyalty: toward an integrated
    conceptual framework. *Journal of the Academy of Marketing Science*,
    22(2), 99-113.

    Examples
    --------
    >>> d = pd.DataFrame({"loyalty_index": [90, 80, 20, 10], "repeat_rate": [0.9, 0.1, 0.8, 0.2]})
    >>> p = dick_basu_whatif(d, attitude_cuts=[15, 50, 85], patronage_cuts=[0.15, 0.5, 0.85])
    >>> p.at().loc[["true loyalty", "latent loyalty"]].tolist()
    [0.25, 0.25]
    """
    from .loyalty import DICK_BASU_SEGMENTS, dick_basu_segments

    # Validates the columns (numeric cuts: a constant column is fine when cuts are given).
    dick_basu_segments(data, attitude=attitude, patronage=patronage, thresholds=(0.0, 0.0))
    q = np.asarray(quantiles, dtype=float)
    if attitude_cuts is None or patronage_cuts is None:
        if not ((q > 0) & (q < 1)).all() or not np.isclose(q, 0.5).any():
            raise CRMDataError(f"dick_basu_whatif: quantiles must lie in (0, 1) and include 0.5, "
                               f"got {list(quantiles)}.")

    def cuts(given, col):
        if given is not None:
            vals = np.asarray(given, dtype=float)
            return vals, float(vals[len(vals) // 2])
        vals = pd.to_numeric(data[col]).quantile(q).to_numpy()
        vals = np.unique(vals)  # ties between quantiles collapse to one position
        return vals, float(pd.to_numeric(data[col]).median())

    a_vals, a_def = cuts(attitude_cuts, attitude)
    p_vals, p_def = cuts(patronage_cuts, patronage)
    sliders = [_steps(a_vals, a_def, "attitude_cut", "num", f"Attitude cut ({attitude})"),
               _steps(p_vals, p_def, "patronage_cut", "num", f"Patronage cut ({patronage})")]
    cells = list(DICK_BASU_SEGMENTS)

    def compute(attitude_cut, patronage_cut):
        share = dick_basu_segments(data, attitude=attitude, patronage=patronage,
                                   thresholds=(attitude_cut, patronage_cut)).summary()["share"]
        return share.to_dict()

    outputs = {c: (f"{c} (share)", "pct") for c in cells}
    charts = [
        {"kind": "line", "x": "attitude_cut", "y": cells, "title": "Segment shares as the attitude cut moves",
         "ylabel": "Customers (%)"},
        {"kind": "line", "x": "patronage_cut", "y": cells,
         "title": "Segment shares as the patronage cut moves", "ylabel": "Customers (%)"},
    ]
    note = Message("whatif.note.dick_basu", n=len(data))
    return _build("What if: Dick & Basu thresholds", sliders, compute, outputs, charts, note,
                  progress=progress)


# ---------------------------------------------------------------------------------------
# The punitive fee policy
# ---------------------------------------------------------------------------------------

def fee_policy_whatif(
    customers: pd.DataFrame,
    *,
    fees: Sequence[float] = (0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0),
    retention_drops: Sequence[float] = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3),
    spillovers: Sequence[float] = (0.0, 0.01, 0.02, 0.03, 0.04, 0.05),
    defaults: Mapping[str, float] | None = None,
    progress: bool = False,
    **policy,
) -> WhatIfPanel:
    """Customer equity with and without a punitive small-balance fee, by fee and customers' reaction.

    At each combination :func:`~crm_analysis.simulate_fee_policy` gives the
    expected customer equity without the fee and with it, and year-1 profit.
    A fee of zero is read as no policy at all: the retention drops are then
    set to zero, so the zero position of the fee slider is the no-fee case.

    Parameters
    ----------
    customers : DataFrame
        As for :func:`~crm_analysis.simulate_fee_policy`; never modified.
    fees, retention_drops, spillovers : sequence of float
        Slider positions: monthly fee, the retention drop among customers
        charged in a year, and the retention drop among those never charged
        (lost trust, word of mouth).
    defaults : dict, optional
        Base case per slider (``fee_per_month``, ``retention_drop``,
        ``spillover``); by default US$10, 0.15 and 0, the simulator's defaults.
    progress : bool, default False
    **policy
        Other keywords of :func:`~crm_analysis.simulate_fee_policy`
        (``threshold``, ``retention``, ``assessment``, ``discount_rate``,
        ``horizon``, ``seed``, column names).

    Returns
    -------
    WhatIfPanel
        Outputs ``equity_with``, ``equity_without``, ``equity_change`` (share
        of the equity without the fee), ``year1_gain`` (year-1 profit with the
        fee minus without).

    Examples
    --------
    >>> from crm_analysis.simulate import simulate_brokerage_customers
    >>> data, truth = simulate_brokerage_customers(500, seed=1)
    >>> base = data.assign(expected_profit=truth["expected_profit"].to_numpy())
    >>> p = fee_policy_whatif(base, fees=(0, 10), retention_drops=(0.0, 0.15),
    ...                       spillovers=(0.0, 0.02))
    >>> float(p.at(fee_per_month=0)["equity_change"])
    0.0
    """
    from .simulate.brokerage import simulate_fee_policy

    d = {"fee_per_month": 10.0, "retention_drop": 0.15, "spillover": 0.0, **(defaults or {})}
    sliders = [
        _steps(fees, d["fee_per_month"], "fee_per_month", "money", "Fee per month"),
        _steps(retention_drops, d["retention_drop"], "retention_drop", "pct",
               "Retention drop of charged customers"),
        _steps(spillovers, d["spillover"], "spillover", "pct",
               "Retention drop of customers never charged"),
    ]

    def compute(fee_per_month, retention_drop, spillover):
        if fee_per_month == 0:
            # No fee is no policy: nobody is charged, so nobody reacts.  (The simulator
            # itself would still apply the drop to customers with a low balance.)
            retention_drop = spillover = 0.0
        res = simulate_fee_policy(customers, fee_per_month=fee_per_month,
                                  retention_drop=retention_drop, spillover=spillover, **policy)
        s = res.summary()
        return {"equity_with": res.equity_with_, "equity_without": res.equity_without_,
                "equity_change": res.equity_with_ / res.equity_without_ - 1,
                "year1_gain": s.loc["fee", "year1_profit"] - s.loc["no fee", "year1_profit"]}

    outputs = {"equity_with": ("Customer equity with the fee", "money_k"),
               "equity_without": ("Customer equity without the fee", "money_k"),
               "equity_change": ("Equity change from the fee", "pct"),
               "year1_gain": ("Year-1 profit gained by the fee", "money_k")}
    charts = [
        {"kind": "line", "x": "fee_per_month", "y": ["equity_with", "equity_without"],
         "title": "Customer equity by monthly fee (US$)", "ylabel": "Equity (US$)"},
        {"kind": "line", "x": "spillover", "y": ["equity_with", "equity_without"],
         "title": "Customer equity by lost trust of the uncharged (US$)", "ylabel": "Equity (US$)"},
    ]
    note = Message("whatif.note.fee", n=len(customers),
                   policy=", ".join(f"{k}={v!r}" for k, v in policy.items()) or Message("whatif.defaults"))
    return _build("What if: the small-balance fee", sliders, compute, outputs, charts, note,
                  progress=progress)


# ---------------------------------------------------------------------------------------
# Cost to serve and the whale curve
# ---------------------------------------------------------------------------------------

def whale_whatif(
    data: pd.DataFrame,
    *,
    revenue: str = "revenue",
    unit_costs: Mapping[str, tuple[str, Sequence[float], float]],
    other_costs: Mapping[str, str | float | tuple[str, float]] | None = None,
    customer_id: str = "customer_id",
    points: int = 51,
    progress: bool = False,
) -> WhatIfPanel:
    """The whale curve as the unit costs to serve move.

    At each combination of unit costs, :func:`~crm_analysis.customer_profitability`
    prices the drivers and :func:`~crm_analysis.whale_curve` ranks customers.

    Parameters
    ----------
    data : DataFrame
        One row per customer (or per line) with revenue and the cost drivers;
        never modified.
    revenue : str
        Revenue column.
    unit_costs : dict
        Cost component -> ``(driver column, slider positions, base unit cost)``,
        e.g. ``{"service contacts": ("service_contacts", (0, 20, 40, 60), 40)}``;
        the slider is named after the component (``service_contacts``).
    other_costs : dict, optional
        Fixed components, passed to :func:`~crm_analysis.customer_profitability`
        as they are.
    customer_id : str
    points : int, default 51
        Points of customer share (0 to 1) at which the curve is stored.
    progress : bool, default False

    Returns
    -------
    WhatIfPanel
        Outputs ``peak`` (highest cumulative profit, share of total),
        ``peak_customers`` (customer share at the peak), ``loss_share``
        (share of loss-making customers), ``total_profit``; curve ``whale``
        (cumulative profit share of the top x customers, as
        :meth:`WhaleCurve.share_at`).

    Raises
    ------
    CRMDataError
        When total profit is not positive at some combination (the whale
        curve is then undefined), naming the combination.

    Examples
    --------
    >>> d = pd.DataFrame({"customer_id": [1, 2, 3], "revenue": [100.0, 50.0, 10.0],
    ...                   "contacts": [1, 2, 3]})
    >>> p = whale_whatif(d, unit_costs={"contacts": ("contacts", (0.0, 10.0), 10.0)}, points=3)
    >>> round(float(p.at()["peak"]), 4)    # profits 90, 30, -20: peak 120 / 100
    1.2
    """
    from .segments import customer_profitability, whale_curve

    if not unit_costs:
        raise CRMDataError("whale_whatif: unit_costs names no cost component to put on a slider.")
    if int(points) != points or points < 2:
        raise CRMDataError(f"whale_whatif: points must be a whole number >= 2, got {points!r}.")
    names = list(unit_costs)
    # Slider names from the component names ("service contact" -> "service_contact").
    keys = [re.sub(r"\W+", "_", name).strip("_").lower() or f"cost_{i}" for i, name in enumerate(names)]
    if len(set(keys)) < len(keys):
        raise CRMDataError(f"whale_whatif: cost components {names} give duplicate slider names {keys}.")
    sliders = [_steps(vals, base, key, "money", f"Cost per unit: {name} ({col})")
               for key, (name, (col, vals, base)) in zip(keys, unit_costs.items(), strict=True)]
    share = np.linspace(0, 1, int(points))

    def compute(**v):
        costs = dict(other_costs or {})
        costs.update({name: (unit_costs[name][0], v[key]) for key, name in zip(keys, names,
                                                                              strict=True)})
        prof = customer_profitability(data, customer_id=customer_id, revenue=revenue, costs=costs)
        try:
            w = whale_curve(prof.profit)
        except CRMDataError as err:
            raise CRMDataError(f"whale_whatif: at unit costs {dict(zip(names, v.values(), strict=True))}: "
                               f"{err}") from None
        return {"peak": w.peak_, "peak_customers": w.peak_customer_share_,
                "loss_share": w.loss_share_, "total_profit": w.total_profit_,
                "whale": [w.share_at(s) for s in share]}

    outputs = {"peak": ("Peak of the whale curve (share of total profit)", "pct"),
               "peak_customers": ("Customers before the peak", "pct"),
               "loss_share": ("Loss-making customers", "pct"),
               "total_profit": ("Total profit", "money_k")}
    charts = [{"kind": "curve", "y": "whale", "title": "Whale curve",
               "xlabel": "Customers, most profitable first (%)",
               "ylabel": "Cumulative profit (% of total)"},
              {"kind": "line", "x": keys[0], "y": ["peak", "loss_share"],
               "title": f"Peak and loss-makers by cost per {names[0]}", "ylabel": "Share (%)"}]
    note = Message("whatif.note.whale", n=data[customer_id].nunique())
    return _build("What if: cost to serve and the whale curve", sliders, compute, outputs, charts,
                  note, curves={"whale": share}, progress=progress)


_CSS = """
.crm-whatif{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:14px;
 border:1px solid #ccc;border-radius:6px;padding:10px 14px;margin:8px 0;max-width:980px;color:#222;
 background:#fff}
.crm-whatif-title{font-weight:600;font-size:15px;margin-bottom:6px}
.crm-whatif-controls label{display:grid;grid-template-columns:minmax(120px,1.1fr) minmax(110px,1fr) 86px;
 align-items:center;gap:8px;margin:2px 0;line-height:1.25}
.crm-whatif-controls input{width:100%}
.crm-whatif-controls output{font-variant-numeric:tabular-nums;font-weight:600}
.crm-whatif-readout{margin:8px 0;display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));
 gap:6px}
.crm-whatif-readout div{background:#f4f6f8;border-radius:4px;padding:4px 8px}
.crm-whatif-readout b{display:block;font-size:16px;font-variant-numeric:tabular-nums}
.crm-whatif-readout small{color:#555}
.crm-whatif-charts{display:flex;flex-wrap:wrap;gap:10px}
.crm-whatif-charts svg{background:#fff;max-width:100%;height:auto}
.crm-whatif-note{color:#555;font-size:12px;margin-top:4px}
"""

# The script only looks numbers up in the grid and draws them; no computation of the model.
_JS = r"""
var crmWhatIf = window.crmWhatIf || (window.crmWhatIf = function (root) {
  if (!root || root.dataset.ready) return;
  root.dataset.ready = "1";
  var spec = JSON.parse(root.querySelector("script.crm-whatif-spec").textContent);
  var NS = "http://www.w3.org/2000/svg";
  var COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"];
  var DASH = ["", "6 3", "2 3", "8 3 2 3", "4 2", "1 2"];
  var state = spec.sliders.map(function (s) { return s.default; });
  var base = state.slice();
  var WORDS = spec.words || {base: "base case", na: "n/a"};
  function fmt(v, kind) {
    if (v === null || v === undefined) return WORDS.na;
    var f = spec.formats[kind];
    return f.prefix + (v * f.scale).toLocaleString("en-US",
      {minimumFractionDigits: f.decimals, maximumFractionDigits: f.decimals}) + f.suffix;
  }
  function row(st) {
    var r = 0;
    for (var i = 0; i < spec.sliders.length; i++) r = r * spec.sliders[i].values.length + st[i];
    return r;
  }
  function el(tag, attrs, parent) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function sliderIndex(name) {
    for (var i = 0; i < spec.sliders.length; i++) if (spec.sliders[i].name === name) return i;
    return -1;
  }
  function niceTicks(lo, hi, n) {
    var span = hi - lo || Math.abs(hi) || 1, step = Math.pow(10, Math.floor(Math.log10(span / n)));
    [1, 2, 2.5, 5, 10].some(function (m) { if (span / (step * m) <= n) { step *= m; return true; } });
    var t = [], v = Math.ceil(lo / step) * step;
    for (; v <= hi + step * 1e-9; v += step) t.push(+v.toPrecision(12));
    return t;
  }
  var controls = root.querySelector(".crm-whatif-controls");
  spec.sliders.forEach(function (s, i) {
    var lab = document.createElement("label");
    var txt = document.createElement("span"); txt.textContent = s.label;
    var inp = document.createElement("input");
    inp.type = "range"; inp.min = 0; inp.max = s.values.length - 1; inp.step = 1; inp.value = s.default;
    inp.name = s.name;
    var out = document.createElement("output"); out.textContent = s.labels[s.default];
    inp.addEventListener("input", function () {
      state[i] = +inp.value; out.textContent = s.labels[state[i]]; draw();
    });
    lab.appendChild(txt); lab.appendChild(inp); lab.appendChild(out); controls.appendChild(lab);
  });
  var readout = root.querySelector(".crm-whatif-readout");
  var charts = root.querySelector(".crm-whatif-charts");
  function lineValues(chart, y, st) {
    var xi = sliderIndex(chart.x), s = st.slice();
    return spec.sliders[xi].values.map(function (_, j) { s[xi] = j; return spec.data[y][row(s)]; });
  }
  function range(chart, series) {
    // The current lines and the base case set the scale; money and shares keep zero in view.
    var vals = [];
    series.forEach(function (sr) { vals = vals.concat(sr.v.filter(function (v) { return v !== null; })); });
    var lo = Math.min.apply(null, vals), hi = Math.max.apply(null, vals);
    if (chart.kind === "curve") lo = Math.min(lo, 0);
    if (lo > 0 && lo < 0.6 * hi) lo = 0;
    if (hi < 0 && hi > 0.6 * lo) hi = 0;
    var pad = (hi - lo) * 0.06 || Math.abs(hi) * 0.1 || 1;
    return [lo === 0 ? 0 : lo - pad, hi + pad];
  }
  function draw() {
    var r = row(state), r0 = row(base);
    readout.innerHTML = "";
    Object.keys(spec.outputs).forEach(function (k) {
      var o = spec.outputs[k], d = document.createElement("div");
      d.className = "crm-whatif-value"; d.dataset.output = k;
      d.innerHTML = "<small></small><b></b><small></small>";
      d.children[0].textContent = o.label;
      d.children[1].textContent = fmt(spec.data[k][r], o.kind);
      d.children[2].textContent = WORDS.base + " " + fmt(spec.data[k][r0], o.kind);
      readout.appendChild(d);
    });
    charts.innerHTML = "";
    spec.charts.forEach(function (chart) {
      var xs, series = [], xlab, xticks;
      if (chart.kind === "curve") {
        xs = spec.curves[chart.y].x;
        series.push({name: "current", v: spec.curves[chart.y].y[r], c: 0, d: ""});
        series.push({name: WORDS.base, v: spec.curves[chart.y].y[r0], c: 0, d: "2 3", base: true});
        xlab = chart.xlabel;
      } else {
        var sx = spec.sliders[sliderIndex(chart.x)];
        xs = sx.values; xlab = sx.label;
        chart.y.forEach(function (y, j) {
          series.push({name: spec.outputs[y].label, v: lineValues(chart, y, state), c: j, d: DASH[j]});
        });
        if (chart.y.length <= 2) chart.y.forEach(function (y, j) {
          series.push({name: spec.outputs[y].label + " (" + WORDS.base + ")", v: lineValues(chart, y, base),
                       c: j, d: "2 3", base: true});
        });
      }
      // Legend: each current series, then one entry for all base-case lines (dotted, pale).
      var legend = series.filter(function (sr) { return !sr.base; })
        .map(function (sr) { return {name: sr.name, c: COLORS[sr.c % COLORS.length], d: sr.d, o: 1}; });
      if (series.some(function (sr) { return sr.base; }))
        legend.push({name: WORDS.base, c: "#555", d: "2 3", o: 0.7});
      var nleg = legend.length > 1 ? legend.length : 0;
      var W = 460, H = 290 + 14 * nleg, m = {l: 84, r: 26, t: 26, b: 58 + 14 * nleg};
      var svg = el("svg", {width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img",
                           "class": "crm-whatif-chart"}, charts);
      el("title", {}, svg).textContent = chart.title;
      var t = el("text", {x: W / 2, y: 16, "text-anchor": "middle", "font-size": 13,
                          "font-weight": 600}, svg);
      t.textContent = chart.title;
      var yr = range(chart, series), xmin = xs[0], xmax = xs[xs.length - 1];
      var ykind = chart.kind === "curve" ? "pct" : spec.outputs[chart.y[0]].kind;
      function X(v) { return m.l + (v - xmin) / (xmax - xmin) * (W - m.l - m.r); }
      function Y(v) { return H - m.b - (v - yr[0]) / ((yr[1] - yr[0]) || 1) * (H - m.t - m.b); }
      niceTicks(yr[0], yr[1], 5).forEach(function (v) {
        el("line", {x1: m.l, x2: W - m.r, y1: Y(v), y2: Y(v), stroke: "#e5e5e5"}, svg);
        var tt = el("text", {x: m.l - 4, y: Y(v) + 4, "text-anchor": "end", "font-size": 11}, svg);
        tt.textContent = fmt(v, ykind).replace(/\.0+%$/, "%");
      });
      if (chart.kind === "curve") {
        xticks = [0, 0.2, 0.4, 0.6, 0.8, 1].map(function (v) { return [v, Math.round(v * 100) + "%"]; });
        var y1 = Y(1);
        el("line", {x1: m.l, x2: W - m.r, y1: y1, y2: y1, stroke: "#888", "stroke-dasharray": "2 2"}, svg);
      } else {
        var every = Math.ceil(xs.length / 7), sl = spec.sliders[sliderIndex(chart.x)];
        xticks = xs.map(function (v, j) { return [v, j % every === 0 ? sl.labels[j] : null]; });
      }
      xticks.forEach(function (p) {
        el("line", {x1: X(p[0]), x2: X(p[0]), y1: H - m.b, y2: H - m.b + 4, stroke: "#333"}, svg);
        if (p[1] !== null) {
          var tx = el("text", {x: X(p[0]), y: H - m.b + 16, "text-anchor": "middle", "font-size": 11}, svg);
          tx.textContent = p[1];
        }
      });
      el("line", {x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b, stroke: "#333"}, svg);
      el("line", {x1: m.l, x2: m.l, y1: m.t, y2: H - m.b, stroke: "#333"}, svg);
      var xl = el("text", {x: (m.l + W - m.r) / 2, y: H - m.b + 32, "text-anchor": "middle",
                           "font-size": 12}, svg);
      xl.textContent = xlab;
      var yl = el("text", {x: 12, y: (m.t + H - m.b) / 2, "text-anchor": "middle", "font-size": 12,
                           transform: "rotate(-90 12 " + (m.t + H - m.b) / 2 + ")"}, svg);
      yl.textContent = chart.ylabel;
      series.forEach(function (sr, j) {
        var d = "";
        sr.v.forEach(function (v, k) {
          if (v === null) return;
          d += (d ? "L" : "M") + X(xs[k]).toFixed(1) + "," + Y(v).toFixed(1);
        });
        el("path", {d: d, fill: "none", stroke: COLORS[sr.c % COLORS.length], "stroke-width": sr.base ? 1.6 : 2.2, "stroke-opacity": sr.base ? 0.55 : 1,
                    "stroke-dasharray": sr.d, "class": "crm-whatif-series"}, svg);
        if (chart.kind !== "curve" && !sr.base) {
          var cur = state[sliderIndex(chart.x)], v = sr.v[cur];
          if (v !== null) el("circle", {cx: X(xs[cur]), cy: Y(v), r: 4.5, fill: COLORS[sr.c % COLORS.length]}, svg);
        }
      });
      legend.slice(0, nleg).forEach(function (lg, j) {
        var ly = H - 8 - 14 * (nleg - 1 - j);
        el("line", {x1: m.l, x2: m.l + 18, y1: ly - 4, y2: ly - 4, stroke: lg.c, "stroke-width": 2,
                    "stroke-dasharray": lg.d, "stroke-opacity": lg.o}, svg);
        var lt = el("text", {x: m.l + 24, y: ly, "font-size": 11}, svg);
        lt.textContent = lg.name;
      });
    });
  }
  draw();
});
"""
