"""The client analysis: one call from a raw transaction log to per-customer scores.

:func:`analyse_client` strings the package's analyses together the way the
consultant's report (``crm-analysis report``) presents them: validation and
cleaning, the RFM summary, BG/NBD + Gamma-Gamma CLV (with a holdout check
when a calibration end is given), RFM segments, profit where costs are given,
and the at-risk split with recommended actions.  Each step calls the public
function of the module that owns it; nothing is re-implemented here.
"""

from __future__ import annotations

import copy
import re
import secrets
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .churn import at_risk_split
from .clv import BTYDModel, SpendModel, customer_lifetime_value, fit_btyd, fit_gamma_gamma
from .dates import parse_cutoff
from .drivers import driver_importance, rating_columns
from .errors import CRMDataError
from .loyalty import behavioural_loyalty, loyalty_traits
from .segments import customer_profitability, customer_totals, rfm_scores, rfm_segments
from .transactions import ValidationResult, rfm_summary, validate_transactions

__all__ = ["ClientAnalysis", "analyse_client", "check_client_log", "SEGMENT_ACTIONS",
           "SURVEY_NON_DRIVERS", "check_client_survey", "render_report_html"]

#: Recommended action for customers who are not at risk, by RFM segment.
SEGMENT_ACTIONS: dict[str, str] = {
    "champions": "Reward and involve: early access, referral invitations, cross-sell the next category.",
    "loyal": "Deepen: cross-sell and up-sell; invite to the customer club.",
    "potential loyalists": "Encourage the second and third purchase with relevant offers.",
    "new customers": "Onboard: welcome contact, make the second purchase easy.",
    "need attention": "Re-engage with a personal offer before they slip.",
    "can't lose them": "Win back urgently: senior contact and a tailored offer.",
    "at risk": "Win back: personal contact; find and fix what went wrong.",
    "about to sleep": "Reactivate with a limited-time offer; ask why they buy less.",
    "hibernating": "Low-cost reactivation only (e-mail); do not discount deeply.",
}

# Weeks in a year, for the annual discount rate and the one-year horizon.
_WEEKS_PER_YEAR = 52


@dataclass
class ClientAnalysis:
    """Everything the client report shows, computed once.

    Attributes
    ----------
    validation : ValidationResult
        Cleaning report of the raw log.
    summary : DataFrame
        RFM summary in weeks over the whole log (the scoring base).
    transaction_model, spend_model : BTYDModel, SpendModel or None
        BG/NBD fitted on the whole log; Gamma-Gamma when amounts allow it.
    holdout_summary, holdout_model : DataFrame, BTYDModel or None
        Calibration/holdout summary and the BG/NBD fitted on the calibration
        period, when ``calibration_end`` was given.
    scores : DataFrame
        One row per customer: RFM values and scores, segment, P(alive),
        expected purchases next year, CLV, profit (when costs are given),
        at-risk segment and recommended action.
    settings : dict
        The parameters used (margin, discount rate, costs ...).
    notes : list of str
        Plain-language caveats met on the way (model warnings, exclusions).
    """

    validation: ValidationResult
    summary: pd.DataFrame
    transaction_model: BTYDModel
    spend_model: SpendModel | None
    scores: pd.DataFrame
    holdout_summary: pd.DataFrame | None = None
    holdout_model: BTYDModel | None = None
    settings: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def actions(self) -> pd.DataFrame:
        """Customers, CLV and profit per recommended action, largest CLV first."""
        agg = {"customers": ("clv", "size"), "clv": ("clv", "sum")}
        if "profit" in self.scores:
            agg["profit"] = ("profit", "sum")
        out = self.scores.groupby("recommended_action").agg(**agg)
        out["share_of_customers"] = out["customers"] / out["customers"].sum()
        return out.sort_values("clv", ascending=False)


_MIN_REPEAT_CUSTOMERS = 10


def _require_repeat_customers(summary: pd.DataFrame, customer_id: str) -> None:
    repeaters = int((summary["frequency"] > 0).sum())
    if repeaters < _MIN_REPEAT_CUSTOMERS:
        raise CRMDataError(
            f"column {customer_id!r}: only {repeaters} customers bought on more than one day; "
            f"the CLV models need at least {_MIN_REPEAT_CUSTOMERS} repeat customers."
        )


def _fit_bgnbd(summary: pd.DataFrame, notes: list[str]) -> BTYDModel:
    """BG/NBD, retried once with a small penalizer when the plain fit does not converge."""
    try:
        return fit_btyd(summary, model="bgnbd", time_unit="weeks")
    except CRMDataError as exc:
        if "converge" not in str(exc):
            raise
        notes.append("The unpenalised BG/NBD fit did not converge; refitted with penalizer 0.001.")
        return fit_btyd(summary, model="bgnbd", time_unit="weeks", penalizer=0.001)


def check_client_log(
    transactions: pd.DataFrame, *, customer_id: str = "customer_id", date: str = "date",
    amount: str = "amount", calibration_end=None, dayfirst: bool | None = None,
    date_format: str | None = None, tz: str | None = None,
) -> ValidationResult:
    """The checks :func:`analyse_client` needs, without fitting anything.

    Validates the log, makes sure enough customers bought more than once for
    the CLV models and, with ``calibration_end``, that both the calibration
    and the holdout period hold purchases.  ``dayfirst``, ``date_format`` and
    ``tz`` are passed to :func:`crm_analysis.validate_transactions`.

    Returns
    -------
    ValidationResult

    Raises
    ------
    CRMDataError
        Any validation failure or too few repeat customers.
    """
    result = validate_transactions(transactions, customer_id=customer_id, date=date, amount=amount,
                                   dayfirst=dayfirst, date_format=date_format, tz=tz)
    summary = rfm_summary(result.data, customer_id=customer_id, date=date)
    _require_repeat_customers(summary, customer_id)
    if calibration_end is not None:
        rfm_summary(result.data, customer_id=customer_id, date=date, calibration_end=calibration_end)
    return result


#: Survey columns that are not attribute ratings: the id, the outcome, the loyalty items
#: (C10) and the branch-level employee satisfaction of the service-profit chain.
SURVEY_NON_DRIVERS = frozenset({
    "customer_id", "overall_satisfaction", "initiative", "repurchase_intent", "recommend",
    "resistance_to_switching", "employee_satisfaction",
})


def check_client_survey(survey: pd.DataFrame, *, missing_codes=None,
                        outcome: str = "overall_satisfaction") -> pd.DataFrame:
    """The driver analysis of the report's survey section, run as a check.

    The drivers are the survey's rating columns (:func:`crm_analysis.rating_columns`)
    other than :data:`SURVEY_NON_DRIVERS`; answers in ``missing_codes`` (a
    "not applicable" code of the attribute ratings, CLI ``--survey-missing``)
    and blank answers are dropped and counted.

    Parameters
    ----------
    survey : DataFrame
        One row per respondent; never modified.
    missing_codes : list, optional
        Codes of the attribute ratings that mean "not applicable".
    outcome : str, default "overall_satisfaction"

    Returns
    -------
    DataFrame
        The :func:`crm_analysis.driver_importance` table; ``attrs["dropped"]``
        counts the dropped responses by reason.

    Raises
    ------
    CRMDataError
        A rating held as text ("5 stars"), a constant or collinear driver,
        too few complete responses.

    Examples
    --------
    >>> import crm_analysis as crm
    >>> sim = crm.simulate_restaurant_survey(500, 10, seed=1)
    >>> t = check_client_survey(sim.data)
    >>> t.attrs["n_dropped"], len(t)
    (0, 10)
    """
    drivers = rating_columns(survey, exclude=SURVEY_NON_DRIVERS | {outcome})
    if not drivers:
        raise CRMDataError(
            f"check_client_survey: the survey has no attribute rating columns besides "
            f"{sorted(SURVEY_NON_DRIVERS & set(survey.columns))}."
        )
    return driver_importance(survey, outcome, drivers, missing_codes=missing_codes or None,
                             dropna=True, progress=False)


def analyse_client(
    transactions: pd.DataFrame,
    *,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    margin: float = 1.0,
    cost_per_order: float | None = None,
    calibration_end=None,
    observation_end=None,
    annual_discount_rate: float = 0.10,
    horizon_weeks: int = _WEEKS_PER_YEAR,
    dayfirst: bool | None = None,
    date_format: str | None = None,
    tz: str | None = None,
) -> ClientAnalysis:
    """Validate a client's log, fit the CLV models and score every customer.

    Time is measured in weeks from day-level dates (several purchases on one
    day are one purchase occasion), as in the published BTYD analyses.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase; never modified.
    customer_id, date, amount : str
        Column names.
    margin : float, default 1.0
        Gross margin as a share of revenue (1.0 scores revenue, not profit).
    cost_per_order : float, optional
        Cost to serve one order; adds ``profit`` = margin x revenue - cost x
        orders over the observed period.
    calibration_end : date-like, optional
        Adds a holdout check: BG/NBD fitted up to this date, predicted vs
        actual repeat purchases after it.
    observation_end : date-like, optional
        Last day of the data (default: the last date in the log).
    annual_discount_rate : float, default 0.10
        Converted to a weekly rate for CLV.
    horizon_weeks : int, default 52
        CLV and expected-purchase horizon.
    dayfirst, date_format, tz
        How the dates are read (see :func:`crm_analysis.validate_transactions`).

    Returns
    -------
    ClientAnalysis

    Raises
    ------
    CRMDataError
        Bad input (see :func:`crm_analysis.validate_transactions`), or no
        customer with a repeat purchase (nothing to fit).

    Examples
    --------
    >>> import crm_analysis as crm
    >>> result = analyse_client(crm.load_cdnow(), margin=0.3)  # doctest: +SKIP
    >>> result.scores.columns[:4].tolist()  # doctest: +SKIP
    ['frequency', 'recency', 'T', 'monetary_value']
    """
    if not 0 < margin <= 1:
        raise CRMDataError(f"margin must be a share in (0, 1], got {margin!r}.")
    if cost_per_order is not None and cost_per_order < 0:
        raise CRMDataError(f"cost_per_order must be >= 0, got {cost_per_order!r}.")
    validation = validate_transactions(
        transactions, customer_id=customer_id, date=date, amount=amount,
        observation_end=observation_end, zero_amounts="keep",
        dayfirst=dayfirst, date_format=date_format, tz=tz,
    )
    log = validation.data
    notes: list[str] = []
    # A date-only observation_end includes that whole day (crm_analysis.dates).
    end = (parse_cutoff(observation_end, "observation_end", where="analyse_client", tz=tz)
           if observation_end is not None else log[date].max())
    weeks = {"customer_id": customer_id, "date": date, "amount": amount,
             "freq": "D", "freq_multiplier": 7, "observation_end": end}
    summary = rfm_summary(log, **weeks)
    _require_repeat_customers(summary, customer_id)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = _fit_bgnbd(summary, notes)
        spend = None
        if (summary["monetary_value"] > 0).sum() >= 10:
            spend = fit_gamma_gamma(summary[summary["monetary_value"] > 0]
                                    if (summary["monetary_value"] < 0).any() else summary)
    # Keep the model's own warnings (convergence, independence checks), not library deprecations.
    noise = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)
    notes += [str(w.message).splitlines()[0] for w in caught if not issubclass(w.category, noise)]

    weekly_rate = (1 + annual_discount_rate) ** (1 / _WEEKS_PER_YEAR) - 1
    scores = summary.copy()
    scores["p_alive"] = model.p_alive(summary)
    scores["expected_purchases"] = model.expected_purchases(horizon_weeks, summary)
    spend_per_order = spend if spend is not None else float(log[amount].mean())
    scores["clv"] = customer_lifetime_value(
        model, spend_per_order, summary, horizon=horizon_weeks,
        discount_rate=weekly_rate, margin=margin, freq=1.0,
    )

    rfm = rfm_segments(rfm_scores(summary))
    scores = scores.join(rfm.drop(columns=[c for c in rfm.columns if c in scores.columns]))

    # Orders to serve are purchase days, as in the RFM summary (same-day purchases are one order).
    totals = customer_totals(log, customer_id=customer_id, sums=[amount],
                             counts={"orders": date}).rename(columns={amount: "revenue"})
    scores["revenue"] = totals["revenue"].reindex(scores.index)
    if cost_per_order is not None:
        prof = customer_profitability(
            totals.reset_index(), customer_id=customer_id, revenue="revenue", margin=margin,
            costs={"order handling": ("orders", cost_per_order)},
        )
        scores["profit"] = prof.profit.reindex(scores.index).to_numpy()

    behaviour = behavioural_loyalty(log, customer_id=customer_id, date=date,
                                    observation_end=end, p_alive=False, clv_weeks=None)
    traits = loyalty_traits(behaviour)
    trait_cols = [c for c in traits.columns if traits[c].notna().any()]
    active = scores.join(traits[trait_cols].fillna(False).astype(bool))
    split = at_risk_split(active, traits=trait_cols, p_alive="p_alive")
    scores["at_risk"] = split.data["segment"].reindex(scores.index)
    scores["recommended_action"] = np.where(
        scores["at_risk"] == "not at risk",
        scores["segment"].astype(str).map(SEGMENT_ACTIONS).fillna("Keep serving."),
        split.data["action"].reindex(scores.index),
    )

    holdout_summary = holdout_model = None
    if calibration_end is not None:
        holdout_summary = rfm_summary(log, calibration_end=calibration_end, **weeks)
        holdout_model = _fit_bgnbd(holdout_summary, notes)

    settings = {"margin": margin, "cost_per_order": cost_per_order,
                "annual_discount_rate": annual_discount_rate, "weekly_discount_rate": weekly_rate,
                "horizon_weeks": horizon_weeks, "calibration_end": calibration_end,
                "observation_end": end, "time_unit": "weeks (days / 7)"}
    return ClientAnalysis(validation=validation, summary=summary, transaction_model=model,
                          spend_model=spend, scores=scores, holdout_summary=holdout_summary,
                          holdout_model=holdout_model, settings=settings, notes=notes)


# --------------------------------------------------------------------------- offline HTML

# nbconvert's "lab" page with every script that would be fetched from a CDN removed:
# require.js (only needed by widgets, which the report has none of), MathJax (math is
# rendered to MathML below, which browsers display natively) and mermaid (no diagrams).
_OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
"""

# Code is left alone: fenced blocks and inline code spans.
_CODE = re.compile(r"(```.*?```|~~~.*?~~~|`[^`\n]*`)", re.DOTALL)
# $$...$$ (display) and $...$ (inline, Pandoc's rule: no space inside the dollars and no
# digit after the closing one, so "$5 and $10" stays text).
_DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.DOTALL)
_INLINE_MATH = re.compile(r"(?<![\\$\w])\$(?=\S)([^$\n]+?)(?<=\S)\$(?![\d$])")


def _math_to_placeholders(text: str, found: dict[str, str], tag: str) -> str:
    """Replace TeX math in Markdown by placeholders; ``found`` maps each to its MathML."""
    from html import escape

    from latex2mathml.converter import convert

    def sub(match: re.Match, display: str) -> str:
        tex = match.group(1).strip()
        try:
            markup = convert(tex, display=display)
        except Exception:  # unsupported TeX is shown as source, not lost
            markup = f'<code class="tex">{escape(match.group(0))}</code>'
        key = f"{tag}{len(found):05d}x"
        found[key] = markup
        return key

    parts = _CODE.split(text)
    for i in range(0, len(parts), 2):  # even parts are prose, odd ones code
        parts[i] = _DISPLAY_MATH.sub(lambda m: sub(m, "block"), parts[i])
        parts[i] = _INLINE_MATH.sub(lambda m: sub(m, "inline"), parts[i])
    return "".join(parts)


def render_report_html(nb, *, show_code: bool = False,
                       title: str = "Customer-relationship report") -> str:
    """A self-contained HTML page of an executed notebook that needs no network.

    nbconvert's "lab" page, without the scripts it would load from a CDN
    (require.js, MathJax, mermaid); charts are embedded as images and TeX
    math in Markdown (``$...$``, ``$$...$$``, in cells and in Markdown
    outputs) is rendered to MathML on the server, which browsers show
    natively.  TeX that cannot be converted is shown as source.

    Parameters
    ----------
    nb : NotebookNode
        The executed notebook; not modified.
    show_code : bool, default False
        Keep the code cells.
    title : str
        The page title (when the notebook has none).

    Returns
    -------
    str
        The HTML page.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Rate $d_w$.")])
    >>> html = render_report_html(nb)
    >>> "<math" in html, "cdnjs" in html, "<script src=" in html
    (True, False, False)
    """
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    nb = copy.deepcopy(nb)
    found: dict[str, str] = {}
    tag = "crmmath" + secrets.token_hex(4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _math_to_placeholders(cell.source, found, tag)
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/markdown" in data:
                data["text/markdown"] = _math_to_placeholders(data["text/markdown"], found, tag)
    exporter = HTMLExporter(
        template_name="lab", template_file="crm_offline.html.j2",
        extra_loaders=[DictLoader({"crm_offline.html.j2": _OFFLINE_TEMPLATE})],
        exclude_input=not show_code, exclude_input_prompt=True, exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    # Markdown rendering has left the placeholders as plain words; put the MathML in.
    return re.sub(f"{tag}\\d{{5}}x", lambda m: found.get(m.group(0), m.group(0)), body)
