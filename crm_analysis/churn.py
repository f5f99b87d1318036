"""Lost and at-risk customers: defection categories, win-back value, hazards, complaints.

The textbook section *CRM goals: more, longer, deeper* (seed 003) asks firms to
win back lost customers selectively: rank them by the value of a second life
("rebirth" CLV) and by why they left, in five categories, and not to chase the
deliberately dropped, the price seekers and some of those lost through changed
conditions (C24).  Among customers who may still leave it separates those
worth keeping from the potentially dangerous (C28).  *Five steps to cultivate
customer loyalty* (seed 001) tells how one badly handled complaint loses a
customer and spreads bad word of mouth (C12).

This module turns those ideas into numbers:

* :data:`DEFECTION_CATEGORIES`, :func:`defection_categories` and
  :func:`classify_defection` - the five categories, policies, rule-based
  classification from exit-survey codes and behaviour;
* :func:`rebirth_clv` and :func:`rebirth_clv_btyd` - second-life value;
* :func:`winback_priority` - the ranked win-back list;
* :func:`at_risk_split` - worth keeping vs potentially dangerous;
* :func:`churn_hazard_model` - Cox proportional hazards (statsmodels ``PHReg``);
* :func:`churn_by_group` and :func:`complaint_cost` - complaints and churn.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType

import numpy as np
import pandas as pd
from scipy import stats

from ._checks import binary_column, numeric_column, require_columns, require_frame, require_names
from .discounting import discount_factors, geometric_annuity, present_value_of_increments
from .errors import CRMDataError, DataCleaningWarning, describe_rows, rows_dropped_note
from .fitted import FittedModel

__all__ = [
    "DEFECTION_CATEGORIES",
    "POLICIES",
    "DEFAULT_REASON_MAP",
    "DEFAULT_RULE_ORDER",
    "AT_RISK_ACTIONS",
    "defection_categories",
    "classify_defection",
    "DefectionClassification",
    "rebirth_clv",
    "rebirth_clv_btyd",
    "winback_priority",
    "WinbackPlan",
    "at_risk_split",
    "AtRiskSplit",
    "churn_hazard_model",
    "HazardModel",
    "churn_by_group",
    "complaint_cost",
]

#: Win-back policies a category can carry.
POLICIES = ("pursue", "case_by_case", "skip")

#: The five defection categories of seed 003 (read-only; override policies via
#: the ``policy`` argument of :func:`defection_categories` and friends).
DEFECTION_CATEGORIES: Mapping[str, Mapping[str, object]] = MappingProxyType(
    {
        "dropped": MappingProxyType({
            "number": 1,
            "label": "Deliberately dropped",
            "description": "Let go by the firm because the relationship had no potential value.",
            "policy": "skip",
        }),
        "unmet_needs": MappingProxyType({
            "number": 2,
            "label": "Lost although the firm tried",
            "description": "The firm tried to keep them, but their needs were not met.",
            "policy": "pursue",
        }),
        "competitor_value": MappingProxyType({
            "number": 3,
            "label": "Lured by competitor's value",
            "description": "Left for a competitor's better product or service (value, not price).",
            "policy": "pursue",
        }),
        "price_seeker": MappingProxyType({
            "number": 4,
            "label": "Price seeker",
            "description": "Left because a competitor was cheaper.",
            "policy": "skip",
        }),
        "changed_conditions": MappingProxyType({
            "number": 5,
            "label": "Changed conditions",
            "description": "Left because age, life stage or location changed (moved, new job).",
            "policy": "case_by_case",
        }),
    }
)

#: Label used for customers no rule could place.
UNCLASSIFIED = "unclassified"

#: Exit-survey reason code -> category (extend or replace via ``reason_map``).
DEFAULT_REASON_MAP: Mapping[str, str] = MappingProxyType(
    {
        "firm_terminated": "dropped",
        "account_closed_by_firm": "dropped",
        "needs_not_met": "unmet_needs",
        "service_problem": "unmet_needs",
        "complaint_unresolved": "unmet_needs",
        "better_product_elsewhere": "competitor_value",
        "competitor_features": "competitor_value",
        "competitor_service": "competitor_value",
        "cheaper_elsewhere": "price_seeker",
        "price_too_high": "price_seeker",
        "moved": "changed_conditions",
        "life_stage_change": "changed_conditions",
        "no_longer_needed": "changed_conditions",
    }
)

#: Codes that carry no information (treated like a missing answer, not reported).
UNINFORMATIVE_CODES = frozenset({"other", "unknown", "no_answer", "none", ""})

#: Order in which :func:`classify_defection` tries its rules; the first that fires wins.
DEFAULT_RULE_ORDER = ("firm_flag", "survey", "relocation", "price", "complaint", "ported")

_RULE_CATEGORY = {
    "firm_flag": "dropped",
    "relocation": "changed_conditions",
    "price": "price_seeker",
    "complaint": "unmet_needs",
    "ported": "competitor_value",
}

#: Recommended action per at-risk segment (seed 003, C28).
AT_RISK_ACTIONS: Mapping[str, str] = MappingProxyType(
    {
        "worth keeping": "Deepen the relationship: offer higher-value products or service and "
                         "loyalty benefits.",
        "potentially dangerous": "Diagnose: contact the customer, find the cause of "
                                 "dissatisfaction, recover the service.",
        "not at risk": "No retention action; keep serving.",
    }
)


# --------------------------------------------------------------------------- helpers

# Churn inputs may have gaps (unknown, kept as NaN); only values that are not
# numbers, or flags that are not 0/1, are errors.
_numeric = partial(numeric_column, missing="keep", finite=False)
_flag = partial(binary_column, what="flag", allowed="0/1 or True/False", missing="keep")
_event = partial(binary_column, what="event", allowed="0 or 1 (1 = churned)")


def _policy_map(policy: Mapping[str, str] | None, where: str) -> dict[str, str]:
    out = {key: str(spec["policy"]) for key, spec in DEFECTION_CATEGORIES.items()}
    out[UNCLASSIFIED] = "case_by_case"
    for key, value in (policy or {}).items():
        if key not in out:
            raise CRMDataError(
                f"{where}: policy: unknown category {key!r}; use one of {list(out)}."
            )
        if value not in POLICIES:
            raise CRMDataError(f"{where}: policy for {key!r} must be one of {POLICIES}, got {value!r}.")
        out[key] = value
    return out


# --------------------------------------------------------------------------- categories

def defection_categories(policy: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The five defection categories with their win-back policy, as a table.

    Parameters
    ----------
    policy : dict, optional
        Overrides of the default policy, e.g. ``{"changed_conditions": "skip"}``.
        Values are one of :data:`POLICIES`.

    Returns
    -------
    DataFrame
        Indexed by category key: ``number``, ``label``, ``description``,
        ``policy``.

    Raises
    ------
    CRMDataError
        Unknown category or policy.

    Examples
    --------
    >>> defection_categories()["policy"].to_dict()["price_seeker"]
    'skip'
    """
    pol = _policy_map(policy, "defection_categories")
    table = pd.DataFrame({key: dict(spec) for key, spec in DEFECTION_CATEGORIES.items()}).T
    table["policy"] = [pol[k] for k in table.index]
    table["number"] = table["number"].astype(int)
    table.index.name = "category"
    return table


@dataclass
class DefectionClassification:
    """Output of :func:`classify_defection`.

    Attributes
    ----------
    data : DataFrame
        Copy of the input with ``category``, ``label``, ``rule`` (which rule
        fired, ``"none"`` if none) and ``policy``.
    unclassified : DataFrame
        The rows no rule could place (kept in ``data`` too, as
        ``"unclassified"``).
    unknown_codes : DataFrame
        Reason codes that are not in the reason map: ``code``, ``rows``,
        ``examples`` (row labels).  They were treated as no answer.
    rule_counts : Series
        How many customers each rule classified.
    """

    data: pd.DataFrame
    unclassified: pd.DataFrame
    unknown_codes: pd.DataFrame
    rule_counts: pd.Series
    policy: dict = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Customers and share per category (unclassified last), with policy."""
        order = list(DEFECTION_CATEGORIES) + [UNCLASSIFIED]
        counts = self.data["category"].value_counts().reindex(order, fill_value=0)
        out = pd.DataFrame({"customers": counts.astype(int),
                            "share": counts / counts.sum()})
        out["policy"] = [self.policy[c] for c in out.index]
        out["label"] = [DEFECTION_CATEGORIES[c]["label"] if c in DEFECTION_CATEGORIES
                        else "Unclassified" for c in out.index]
        out.index.name = "category"
        return out

    def score(self, truth: pd.Series) -> tuple[float, pd.DataFrame]:
        """Accuracy against a known category and the confusion table.

        Unclassified customers count as errors in the accuracy.

        Returns
        -------
        accuracy : float
        confusion : DataFrame
            Rows true category, columns assigned category (counts).
        """
        truth = pd.Series(np.asarray(truth), index=self.data.index)
        assigned = self.data["category"]
        accuracy = float((assigned == truth).mean())
        cols = list(DEFECTION_CATEGORIES) + [UNCLASSIFIED]
        confusion = (pd.crosstab(truth.rename("true"), assigned.rename("assigned"))
                     .reindex(index=list(DEFECTION_CATEGORIES), columns=cols, fill_value=0))
        return accuracy, confusion


def classify_defection(
    lost: pd.DataFrame,
    *,
    reason: str | None = "reason_code",
    firm_terminated: str | None = "firm_terminated",
    relocated: str | None = "relocated",
    discount_share: str | None = "discount_share",
    days_after_price_cut: str | None = "days_after_price_cut",
    complaint: str | None = "complaint_90d",
    ported: str | None = "ported_to_competitor",
    reason_map: Mapping[str, str] | None = None,
    discount_share_min: float = 0.45,
    price_cut_window_days: float = 30,
    price_cut_discount_min: float = 0.30,
    order: Sequence[str] = DEFAULT_RULE_ORDER,
    policy: Mapping[str, str] | None = None,
    strict: bool = False,
) -> DefectionClassification:
    """Assign each lost customer a defection category by documented rules.

    Rules are tried in ``order``; the first that fires decides.  Default
    rules and order:

    1. ``firm_flag`` - the firm terminated the account -> *dropped*.
    2. ``survey`` - the exit-survey code maps to a category via
       ``reason_map`` (default :data:`DEFAULT_REASON_MAP`).  Codes such as
       ``"other"`` or a missing answer carry no information; codes not in the
       map are reported in ``unknown_codes`` and treated as no answer.
    3. ``relocation`` - address change / relocation flag -> *changed conditions*.
    4. ``price`` - share of spend bought on discount at least
       ``discount_share_min``, or left within ``price_cut_window_days`` of a
       competitor price cut while the discount share was at least
       ``price_cut_discount_min`` -> *price seeker*.
    5. ``complaint`` - a complaint or service failure before leaving ->
       *lost although the firm tried* (needs not met).
    6. ``ported`` - moved the account to a competitor (number porting,
       balance transfer) without a price signal -> *competitor's value*.

    The survey comes second because a stated reason is direct evidence; put
    behaviour first (``order=("firm_flag", "relocation", "price", ...)``) if
    your survey answers are known to be unreliable.  Any signal argument can
    be ``None`` to switch its rule off.  Missing values in a signal mean
    "unknown": the rule does not fire.

    Parameters
    ----------
    lost : DataFrame
        One row per lost customer.  Never modified.
    reason, firm_terminated, relocated, discount_share, days_after_price_cut, complaint, ported : str or None
        Column names (flags are 0/1 or bool; ``discount_share`` in [0, 1];
        ``days_after_price_cut`` >= 0).
    reason_map : dict, optional
        Reason code -> category key; replaces the default map.
    discount_share_min, price_cut_window_days, price_cut_discount_min : float
        Thresholds of the ``price`` rule.
    order : sequence of str
        Rule names from :data:`DEFAULT_RULE_ORDER`, any subset, any order.
    policy : dict, optional
        Policy overrides (see :func:`defection_categories`).
    strict : bool, default False
        Raise on unknown reason codes instead of reporting them.

    Returns
    -------
    DefectionClassification

    Raises
    ------
    CRMDataError
        Missing columns, flags not 0/1, discount share outside [0, 1],
        negative days, an unknown rule name or category in ``reason_map``, or
        (``strict=True``) unknown reason codes.

    Examples
    --------
    >>> import pandas as pd
    >>> lost = pd.DataFrame({"reason_code": ["moved", None, "zzz"],
    ...                      "firm_terminated": [0, 1, 0]})
    >>> import warnings; warnings.simplefilter("ignore")
    >>> out = classify_defection(lost, relocated=None, discount_share=None,
    ...                          days_after_price_cut=None, complaint=None, ported=None)
    >>> out.data["category"].tolist()
    ['changed_conditions', 'dropped', 'unclassified']
    >>> out.unknown_codes["code"].tolist()
    ['zzz']

    References
    ----------
    Kumar, V., Bhagwat, Y. & Zhang, X. (2015). Regaining "lost" customers: the
    predictive power of first-lifetime behavior, the reason for defection, and
    the nature of the win-back offer. *Journal of Marketing* 79(4), 34-55.
    """
    where = "classify_defection"
    require_frame(lost, where)
    cols = {"reason": reason, "firm_terminated": firm_terminated, "relocated": relocated,
            "discount_share": discount_share, "days_after_price_cut": days_after_price_cut,
            "complaint": complaint, "ported": ported}
    require_columns(lost, cols, where, frame="lost")
    bad_rules = [r for r in order if r not in DEFAULT_RULE_ORDER]
    if bad_rules:
        raise CRMDataError(f"{where}: unknown rule(s) {bad_rules}; use {list(DEFAULT_RULE_ORDER)}.")
    rmap = dict(DEFAULT_REASON_MAP if reason_map is None else reason_map)
    bad_targets = {c for c in rmap.values() if c not in DEFECTION_CATEGORIES}
    if bad_targets:
        raise CRMDataError(f"{where}: reason_map points to unknown categories {sorted(bad_targets)}.")
    pol = _policy_map(policy, "classify_defection")

    df = lost.copy()
    n = len(df)
    fires: dict[str, pd.Series] = {}
    survey_cat = pd.Series(np.nan, index=df.index, dtype=object)
    unknown = pd.DataFrame(columns=["code", "rows", "examples"])

    if reason is not None:
        codes = df[reason].astype("string").str.strip().str.lower()
        known = codes.isin(list(rmap))
        blank = codes.isna() | codes.isin(list(UNINFORMATIVE_CODES))
        unk = ~known & ~blank
        if unk.any():
            unknown = pd.DataFrame(
                [{"code": code, "rows": int(mask.sum()), "examples": list(mask[mask].index[:5])}
                 for code, mask in ((c, codes == c) for c in sorted(codes[unk].unique()))]
            )
            msg = (f"{where}: column {reason!r}: {int(unk.sum())} rows with reason codes not in "
                   f"the reason map ({', '.join(map(str, unknown['code'][:5]))}); ")
            if strict:
                raise CRMDataError(msg + describe_rows(lost, unk.to_numpy(), [reason]))
            warnings.warn(msg + "treated as no answer (see .unknown_codes).", stacklevel=2)
        survey_cat = codes.map(rmap).where(known, np.nan).astype(object)
        fires["survey"] = known.fillna(False).astype(bool)

    if firm_terminated is not None:
        fires["firm_flag"] = _flag(df, firm_terminated, where) == 1
    if relocated is not None:
        fires["relocation"] = _flag(df, relocated, where) == 1
    if complaint is not None:
        fires["complaint"] = _flag(df, complaint, where) == 1
    if ported is not None:
        fires["ported"] = _flag(df, ported, where) == 1
    if discount_share is not None:
        share = _numeric(df, discount_share, where)
        bad = (share < 0) | (share > 1)
        if bad.any():
            raise CRMDataError(f"{where}: column {discount_share!r}: share outside [0, 1]; "
                               + describe_rows(lost, bad.to_numpy(), [discount_share]))
        price = share >= discount_share_min
        if days_after_price_cut is not None:
            days = _numeric(df, days_after_price_cut, where)
            bad = days < 0
            if bad.any():
                raise CRMDataError(f"{where}: column {days_after_price_cut!r}: negative days; "
                                   + describe_rows(lost, bad.to_numpy(), [days_after_price_cut]))
            price = price | ((days <= price_cut_window_days) & (share >= price_cut_discount_min))
        fires["price"] = price

    category = pd.Series(UNCLASSIFIED, index=df.index, dtype=object)
    rule = pd.Series("none", index=df.index, dtype=object)
    open_ = pd.Series(True, index=df.index)
    for name in order:
        if name not in fires:
            continue
        hit = open_ & fires[name].fillna(False).astype(bool)
        category[hit] = survey_cat[hit] if name == "survey" else _RULE_CATEGORY[name]
        rule[hit] = name
        open_ &= ~hit

    df["category"] = category
    df["label"] = [DEFECTION_CATEGORIES[c]["label"] if c in DEFECTION_CATEGORIES else "Unclassified"
                   for c in category]
    df["rule"] = rule
    df["policy"] = category.map(pol)
    counts = rule.value_counts().reindex(list(order) + ["none"], fill_value=0)
    assert int(counts.sum()) == n  # nobody is lost on the way
    return DefectionClassification(data=df, unclassified=df[category == UNCLASSIFIED],
                                   unknown_codes=unknown, rule_counts=counts, policy=pol)


# --------------------------------------------------------------------------- rebirth CLV

def rebirth_clv(
    margin,
    retention,
    *,
    discount_rate: float = 0.10,
    horizon: int | None = 10,
    reactivation_periods: float = 0,
    spend_ratio=1.0,
    retention_ratio=1.0,
    max_retention: float = 0.99,
) -> np.ndarray:
    """Value of a won-back customer's second life (rebirth CLV), per customer.

    Second-life margin per period is ``margin * spend_ratio``; second-life
    retention is ``min(retention * retention_ratio, max_retention)``.  The
    second life starts ``reactivation_periods`` after the win-back; the first
    margin is earned on reactivation and then one per period while the
    customer stays, discounted at ``discount_rate`` per period::

        CLV2 = (1 + d)^-k * sum_{t=0}^{H-1} m' * S(t) / (1 + d)^t,
        S(0) = 1,  S(t) = r'_0 * ... * r'_{t-1}.

    With constant retention this is the geometric closed form
    ``m' (1 + d)^-k (1 - q^H) / (1 - q)`` with ``q = r'/(1 + d)``, and
    ``m' (1 + d)^(1-k) / (1 + d - r')`` for ``horizon=None`` (no end): the
    "start" timing of :mod:`crm_analysis.discounting`, whose
    :func:`~crm_analysis.discounting.discount_factors` and
    :func:`~crm_analysis.discounting.geometric_annuity` compute it.

    Why the second life differs from the first (seed 003): the customer
    already knows the product; the firm holds their history and can tailor
    the offer; won-back customers teach the firm about its customers; and
    conversion back into a buying customer is quicker than for a stranger.
    The ratios express these effects.  Defaults are neutral (ratios 1, no
    lag): without measurements from your own won-back customers, assume the
    first life repeats; Kumar, Bhagwat & Zhang (2015) find that second-life
    value depends on the reason for leaving and on the offer, so estimate the
    ratios per category when data allow.  ``discount_rate=0.10`` per period is
    a common annual cost of capital; ``horizon=10`` periods (years) because
    few managers credit value beyond ten years.

    Parameters
    ----------
    margin : float or array-like
        First-life margin per period (US$), per customer.
    retention : float, array-like, or 2-D array
        First-life retention probability per period: one per customer, or an
        ``(n_customers, horizon)`` array of period-by-period retention (the
        t-th column is the chance of staying from period t to t + 1).
    discount_rate : float, default 0.10
        Per period.
    horizon : int or None, default 10
        Periods of second life credited; ``None`` means no end (constant
        retention only).
    reactivation_periods : float, default 0
        Delay between the win-back decision and the first second-life margin.
    spend_ratio, retention_ratio : float or array-like, default 1.0
        Second-life margin and retention relative to the first life.
    max_retention : float, default 0.99
        Cap on second-life retention (keeps the no-end value finite).

    Returns
    -------
    ndarray
        Rebirth CLV per customer (US$); a 0-d array for scalar input.

    Raises
    ------
    CRMDataError
        Retention outside [0, 1], negative discount rate, horizon below 1,
        time-varying retention with ``horizon=None`` or of the wrong length.

    Examples
    --------
    >>> round(float(rebirth_clv(100.0, 0.8, discount_rate=0.1, horizon=None)), 2)  # 100 * 1.1 / 0.3
    366.67

    References
    ----------
    Gupta, S. & Lehmann, D. R. (2003). Customers as assets. *Journal of
    Interactive Marketing* 17(1), 9-24.
    Kumar, V., Bhagwat, Y. & Zhang, X. (2015). Regaining "lost" customers.
    *Journal of Marketing* 79(4), 34-55.
    """
    m = np.asarray(margin, dtype=float) * np.asarray(spend_ratio, dtype=float)
    r = np.asarray(retention, dtype=float)
    if np.isnan(r).any() or (r < 0).any() or (r > 1).any():
        raise CRMDataError("rebirth_clv: retention must be a probability in [0, 1] "
                           f"(got values from {np.nanmin(r)} to {np.nanmax(r)}, NaN present: "
                           f"{bool(np.isnan(r).any())}).")
    if discount_rate < 0:
        raise CRMDataError(f"rebirth_clv: discount_rate must be >= 0, got {discount_rate}.")
    if not 0 <= max_retention < 1:
        raise CRMDataError(f"rebirth_clv: max_retention must be in [0, 1), got {max_retention}.")
    if reactivation_periods < 0:
        raise CRMDataError(f"rebirth_clv: reactivation_periods must be >= 0, got {reactivation_periods}.")
    d = 1.0 + discount_rate
    lag = d ** (-float(reactivation_periods))
    ratio = np.asarray(retention_ratio, dtype=float)
    if r.ndim == 2:
        if horizon is None or r.shape[1] != horizon:
            raise CRMDataError("rebirth_clv: period-by-period retention needs a finite horizon "
                               f"equal to its number of columns ({r.shape[1]}), got {horizon}.")
        r2 = np.minimum(r * np.expand_dims(ratio, -1) if ratio.ndim else r * ratio, max_retention)
        surv = np.concatenate([np.ones((r2.shape[0], 1)), np.cumprod(r2[:, :-1], axis=1)], axis=1)
        disc = discount_factors(int(horizon), discount_rate, periods_per_year=1, timing="start")
        return lag * m * (surv * disc).sum(axis=1)
    r2 = np.minimum(r * ratio, max_retention)
    if horizon is None:
        # The first second-life margin is earned on reactivation: "start" timing.
        return lag * m * geometric_annuity(r2, discount_rate, timing="start")
    if int(horizon) < 1:
        raise CRMDataError(f"rebirth_clv: horizon must be at least 1 period, got {horizon}.")
    # Explicit period-by-period sum (the closed form is the test's authority).
    t = np.arange(int(horizon))
    disc = discount_factors(int(horizon), discount_rate, periods_per_year=1, timing="start")
    q = np.expand_dims(r2, -1) ** t * disc
    return lag * m * q.sum(axis=-1)


def rebirth_clv_btyd(
    model,
    history: pd.DataFrame,
    *,
    frequency: str = "frequency",
    T: str = "T",
    monetary_value: str = "monetary_value",
    margin_rate=0.3,
    horizon: float = 52.0,
    discount_rate: float = 0.10,
    periods_per_year: float = 52.0,
    reactivation_periods: float = 0.0,
    spend_ratio: float = 1.0,
    step: float = 4.0,
) -> pd.Series:
    """Rebirth CLV from a fitted BTYD model and the customer's own first life.

    The won-back customer restarts as if they had just bought: their first
    life (``frequency`` repeat purchases over ``T`` periods) informs the
    model's posterior purchase rate, and the win-back purchase sets recency to
    ``T`` ("alive now").  Expected purchases over the second life come from
    ``model.expected_purchases(t, reborn)`` (the conditional expectation of
    Fader, Hardie & Lee 2005), in steps of ``step`` periods, each step
    discounted at its end (:func:`crm_analysis.discounting.present_value_of_increments`,
    the annual rate compounded per model period); value = purchases x spend
    x ``spend_ratio`` x ``margin_rate``.

    Parameters
    ----------
    model
        Fitted model with ``expected_purchases(t, data)`` taking a frame with
        ``frequency``, ``recency`` and ``T`` (e.g. from
        ``crm_analysis.fit_btyd``).
    history : DataFrame
        First-life summary per lost customer (``rfm_summary`` output).
    frequency, T, monetary_value : str
        Columns of ``history``.
    margin_rate : float or array-like, default 0.3
        Gross margin on spend.
    horizon : float, default 52
        Second-life length credited, in the model's periods (weeks: a year).
    discount_rate : float, default 0.10
        Per year.
    periods_per_year : float, default 52
        Model periods per year (for discounting).
    reactivation_periods : float, default 0
        Lag before the second life starts (model periods).
    spend_ratio : float, default 1.0
        Second-life spend relative to the first.
    step : float, default 4
        Discounting step in model periods; the last step ends at ``horizon``
        (shorter when ``horizon`` is not a multiple of ``step``).

    Returns
    -------
    Series
        Rebirth CLV per customer, indexed like ``history``.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your
    customers" the easy way: an alternative to the Pareto/NBD model.
    *Marketing Science* 24(2), 275-284.
    """
    where = "rebirth_clv_btyd"
    require_frame(history, where)
    require_columns(history, {"frequency": frequency, "T": T, "monetary_value": monetary_value},
                    where, frame="history")
    freq = _numeric(history, frequency, where)
    tt = _numeric(history, T, where)
    spend = _numeric(history, monetary_value, where)
    bad = freq.isna() | tt.isna() | (freq < 0) | (tt <= 0)
    if bad.any():
        raise CRMDataError(f"{where}: frequency must be >= 0 and T > 0; "
                           + describe_rows(history, bad.to_numpy(), [frequency, T]))
    if not np.isfinite(discount_rate) or discount_rate < 0 or not periods_per_year > 0:
        raise CRMDataError(f"{where}: discount_rate must be >= 0 (per year) and periods_per_year "
                           f"> 0, got {discount_rate!r} and {periods_per_year!r}.")
    if not (np.isfinite(horizon) and horizon > 0 and np.isfinite(step) and step > 0):
        raise CRMDataError(f"{where}: horizon and step must be positive numbers of model periods, "
                           f"got horizon={horizon!r} and step={step!r}.")
    reborn = pd.DataFrame({"frequency": freq, "recency": tt, "T": tt}, index=history.index)
    # Steps of ``step`` periods; the last one ends at the horizon (shorter when the horizon
    # is not a multiple of the step), so the whole horizon is credited.
    edges = step * np.arange(1, int(np.ceil(horizon / step - 1e-9)) + 1, dtype=float)
    edges[-1] = horizon
    # Each step's purchases are paid at its end, at the annual rate compounded per model period.
    value = present_value_of_increments(
        lambda t: np.asarray(model.expected_purchases(float(t), reborn), dtype=float),
        edges, discount_rate, periods_per_year=periods_per_year, delay=reactivation_periods,
    )
    clv = value * spend.to_numpy() * spend_ratio * np.asarray(margin_rate, dtype=float)
    return pd.Series(clv, index=history.index, name="rebirth_clv")


# --------------------------------------------------------------------------- win-back list

@dataclass
class WinbackPlan:
    """Output of :func:`winback_priority`.

    Attributes
    ----------
    ranked : DataFrame
        Customers to contact, best first: ``rank``, category, ``policy``,
        rebirth CLV, ``winback_prob``, ``winback_cost``,
        ``expected_net_value`` (= prob x CLV - cost).
    excluded : DataFrame
        Everyone else with ``reason`` (``"policy: skip"`` or
        ``"case by case: value below threshold"``).
    by_category : DataFrame
        Per category: customers, pursued, value of the pursued, and the
        expected net value that pursuing the excluded would have added
        (usually negative - the reason to skip).
    """

    ranked: pd.DataFrame
    excluded: pd.DataFrame
    by_category: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        """The per-category table."""
        return self.by_category


def _per_row(df: pd.DataFrame, spec, cat: pd.Series, name: str, where: str) -> pd.Series:
    if isinstance(spec, str):
        require_columns(df, {name: spec}, where)
        out = _numeric(df, spec, where)
    elif isinstance(spec, Mapping):
        missing = sorted(set(cat.unique()) - set(spec))
        if missing:
            raise CRMDataError(f"{where}: {name} has no value for categories {missing}.")
        out = cat.map(dict(spec)).astype(float)
    else:
        out = pd.Series(float(spec), index=df.index)
    if out.isna().any():
        raise CRMDataError(f"{where}: {name}: missing values; " + describe_rows(df, out.isna()))
    return out


def winback_priority(
    lost: pd.DataFrame,
    *,
    winback_prob,
    winback_cost,
    category: str = "category",
    value: str = "rebirth_clv",
    policy: Mapping[str, str] | None = None,
    case_by_case_min: float = 0.0,
) -> WinbackPlan:
    """Ranked win-back list: who to contact, in which order, and what it is worth.

    Each lost customer's expected net value is ``winback_prob * rebirth CLV -
    winback_cost``.  Customers whose category's policy is ``"skip"`` are
    excluded; ``"case_by_case"`` customers (and the unclassified) are kept
    only if their expected net value exceeds ``case_by_case_min``;
    ``"pursue"`` customers are kept and ranked even when their expected value
    is negative (they appear with it, so the manager sees the cost).

    Parameters
    ----------
    lost : DataFrame
        Classified lost customers (e.g. ``classify_defection(...).data``)
        with a rebirth-CLV column.  Never modified.
    winback_prob, winback_cost : float, dict or str
        Probability that the offer wins the customer back and its cost (US$):
        one number, a dict by category, or a column name.  State where they
        come from (a past campaign, a test); they drive the ranking.
    category, value : str
        Column names of the category and the rebirth CLV.
    policy : dict, optional
        Policy overrides by category (see :func:`defection_categories`).
    case_by_case_min : float, default 0
        Expected net value (US$) a case-by-case customer must exceed.

    Returns
    -------
    WinbackPlan

    Raises
    ------
    CRMDataError
        Missing columns, unknown categories, probabilities outside [0, 1],
        negative costs or missing values.

    Examples
    --------
    >>> import pandas as pd
    >>> lost = pd.DataFrame({"category": ["unmet_needs", "price_seeker"],
    ...                      "rebirth_clv": [500.0, 300.0]})
    >>> plan = winback_priority(lost, winback_prob=0.2, winback_cost=20.0)
    >>> plan.ranked["expected_net_value"].tolist()
    [80.0]
    """
    where = "winback_priority"
    require_frame(lost, where)
    require_columns(lost, {"category": category, "value": value}, where, frame="lost")
    pol = _policy_map(policy, "winback_priority")
    df = lost.copy()
    cat = df[category].astype(object)
    unknown = ~cat.isin(list(pol))
    if unknown.any():
        raise CRMDataError(f"{where}: column {category!r}: unknown categories; "
                           + describe_rows(lost, unknown.to_numpy(), [category]))
    clv = numeric_column(df, value, where, finite=False)  # a value is needed for every customer
    prob = _per_row(df, winback_prob, cat, "winback_prob", where)
    if ((prob < 0) | (prob > 1)).any():
        raise CRMDataError(f"{where}: winback_prob must be in [0, 1]; "
                           + describe_rows(df.assign(winback_prob=prob), (prob < 0) | (prob > 1)))
    cost = _per_row(df, winback_cost, cat, "winback_cost", where)
    if (cost < 0).any():
        raise CRMDataError(f"{where}: winback_cost must be >= 0; "
                           + describe_rows(df.assign(winback_cost=cost), cost < 0))
    df["policy"] = cat.map(pol)
    df["winback_prob"] = prob
    df["winback_cost"] = cost
    df["expected_net_value"] = prob * clv - cost
    keep = (df["policy"] == "pursue") | (
        (df["policy"] == "case_by_case") & (df["expected_net_value"] > case_by_case_min))
    ranked = df[keep].sort_values("expected_net_value", ascending=False, kind="stable")
    ranked.insert(0, "rank", np.arange(1, len(ranked) + 1))
    excluded = df[~keep].copy()
    excluded["reason"] = np.where(excluded["policy"] == "skip", "policy: skip",
                                  "case by case: value below threshold")
    order = [c for c in list(DEFECTION_CATEGORIES) + [UNCLASSIFIED] if (cat == c).any()]
    g = df.assign(_keep=keep, _cat=cat).groupby("_cat", sort=False)
    by = pd.DataFrame({
        "policy": [pol[c] for c in order],
        "customers": g.size().reindex(order).astype(int),
        "pursued": g["_keep"].sum().reindex(order).astype(int),
        "value_pursued": g.apply(lambda x: x.loc[x["_keep"], "expected_net_value"].sum(),
                                 include_groups=False).reindex(order),
        "value_if_excluded_pursued": g.apply(
            lambda x: x.loc[~x["_keep"], "expected_net_value"].sum(),
            include_groups=False).reindex(order),
        "mean_rebirth_clv": g[value].mean().reindex(order),
    }, index=order)
    by.index.name = "category"
    return WinbackPlan(ranked=ranked, excluded=excluded, by_category=by)


# --------------------------------------------------------------------------- at-risk split

@dataclass
class AtRiskSplit:
    """Output of :func:`at_risk_split`.

    Attributes
    ----------
    data : DataFrame
        Copy of the input with ``gap_ratio``, one ``signal_*`` column per
        leaving signal used, ``n_signals``, ``worth_keeping_profile``,
        ``segment`` and ``action``.
    thresholds : dict
        The thresholds used.
    """

    data: pd.DataFrame
    thresholds: dict

    def summary(self) -> pd.DataFrame:
        """Customers per segment with share and the recommended action."""
        order = ["worth keeping", "potentially dangerous", "not at risk"]
        counts = self.data["segment"].value_counts().reindex(order, fill_value=0)
        return pd.DataFrame({"customers": counts.astype(int), "share": counts / counts.sum(),
                             "action": [AT_RISK_ACTIONS[s] for s in order]},
                            index=pd.Index(order, name="segment"))


def at_risk_split(
    active: pd.DataFrame,
    *,
    traits: Sequence[str],
    frequency: str = "frequency",
    recency: str | None = "recency",
    T: str | None = "T",
    p_alive: str | None = None,
    churn_prob: str | None = None,
    min_purchases: int = 5,
    p_alive_below: float = 0.5,
    gap_ratio_above: float = 3.0,
    churn_prob_above: float = 0.5,
    min_signals: int = 1,
    min_rhythm_repeats: int = 1,
) -> AtRiskSplit:
    """Split active customers into at risk "worth keeping" / "potentially dangerous" / not at risk.

    Leaving signals (each used when its columns are given):

    * ``p_alive`` - model probability of still being active below
      ``p_alive_below`` (e.g. from a BG/NBD fit);
    * ``long_gap`` - time since the last purchase (``T - recency``) longer
      than ``gap_ratio_above`` times the customer's own mean inter-purchase
      time (``recency / frequency``; undefined for customers without repeat
      purchases, whose signal is then off);  customers with fewer than
      ``min_rhythm_repeats`` repeat purchases have no rhythm to judge and
      their signal is off too;
    * ``churn_model`` - a fitted churn probability above ``churn_prob_above``.

    A customer with at least ``min_signals`` signals is at risk.  Following
    seed 003 (C28), an at-risk customer with at least ``min_purchases`` repeat
    purchases and at least one loyal-customer trait (C26; columns ``traits``,
    e.g. from ``crm_analysis.loyalty_traits``) is *worth keeping*; every other
    at-risk customer is *potentially dangerous*.  Actions are in
    :data:`AT_RISK_ACTIONS`.

    Parameters
    ----------
    active : DataFrame
        One row per active customer (e.g. ``rfm_summary`` output joined with
        P(alive) and trait flags).  Never modified; index kept.
    traits : sequence of str
        0/1 or bool columns, one per C26 trait.  At least one.
    frequency, recency, T : str
        Repeat purchases, age at last purchase and age (same time unit);
        ``recency``/``T`` may be None to switch the gap signal off.
    p_alive, churn_prob : str, optional
        Probability columns.
    min_purchases : int, default 5
        "Many purchases" threshold (repeat purchases).
    p_alive_below, gap_ratio_above, churn_prob_above : float
        Signal thresholds.  A gap three times the usual rhythm is, for a
        Poisson buyer, a silence that happens by chance only about 5% of the
        time (exp(-3)).
    min_signals : int, default 1
        Signals needed to count as at risk.
    min_rhythm_repeats : int, default 1
        Repeat purchases needed before the gap signal judges a customer.  Two
        purchases on consecutive days make a "rhythm" of one day, and any
        silence after them looks alarming; 2 (three purchase days, two gaps)
        is what the client report uses.

    Returns
    -------
    AtRiskSplit

    Raises
    ------
    CRMDataError
        Missing columns, no trait columns, traits not 0/1, probabilities
        outside [0, 1], negative counts, recency after T, or no signal usable.

    Examples
    --------
    >>> import pandas as pd
    >>> active = pd.DataFrame({"frequency": [8, 8, 1], "recency": [40.0, 40.0, 5.0],
    ...                        "T": [70.0, 42.0, 60.0], "recommends": [1, 0, 0]})
    >>> at_risk_split(active, traits=["recommends"]).data["segment"].tolist()
    ['worth keeping', 'not at risk', 'potentially dangerous']
    """
    where = "at_risk_split"
    require_frame(active, where)
    traits = require_names(traits, where, "C26 trait column in traits=[...]")
    require_columns(active, {"frequency": frequency, "recency": recency, "T": T,
                             "p_alive": p_alive, "churn_prob": churn_prob,
                             **{f"trait {t}": t for t in traits}}, where,
                    frame="active")
    df = active.copy()
    freq = _numeric(df, frequency, where)
    if (freq < 0).any() or freq.isna().any():
        raise CRMDataError(f"{where}: column {frequency!r}: counts must be >= 0; "
                           + describe_rows(active, ((freq < 0) | freq.isna()).to_numpy(), [frequency]))
    signals: dict[str, pd.Series] = {}
    if recency is not None and T is not None:
        rec = _numeric(df, recency, where)
        age = _numeric(df, T, where)
        bad = (rec < 0) | (rec > age + 1e-9)
        if bad.any():
            raise CRMDataError(f"{where}: recency must be between 0 and T; "
                               + describe_rows(active, bad.to_numpy(), [recency, T]))
        rhythm = (rec / freq).where((freq > 0) & (freq >= min_rhythm_repeats))
        df["gap_ratio"] = (age - rec) / rhythm
        signals["long_gap"] = df["gap_ratio"] > gap_ratio_above
    for name, col, below, thr in (("p_alive", p_alive, True, p_alive_below),
                                  ("churn_model", churn_prob, False, churn_prob_above)):
        if col is None:
            continue
        prob = _numeric(df, col, where)
        bad = (prob < 0) | (prob > 1)
        if bad.any():
            raise CRMDataError(f"{where}: column {col!r}: probabilities outside [0, 1]; "
                               + describe_rows(active, bad.to_numpy(), [col]))
        signals[name] = prob < thr if below else prob > thr
    if not signals:
        raise CRMDataError(f"{where}: no leaving signal: give recency and T, p_alive or churn_prob.")
    trait_any = pd.Series(False, index=df.index)
    for t in traits:
        trait_any |= _flag(df, t, where).fillna(0) == 1
    n_sig = pd.Series(0, index=df.index)
    for name, sig in signals.items():
        df[f"signal_{name}"] = sig.fillna(False).astype(bool)
        n_sig += df[f"signal_{name}"].astype(int)
    df["n_signals"] = n_sig
    df["worth_keeping_profile"] = (freq >= min_purchases) & trait_any
    at_risk = n_sig >= min_signals
    df["segment"] = np.where(~at_risk, "not at risk",
                             np.where(df["worth_keeping_profile"], "worth keeping",
                                      "potentially dangerous"))
    df["action"] = df["segment"].map(dict(AT_RISK_ACTIONS))
    thresholds = {"min_purchases": min_purchases, "p_alive_below": p_alive_below,
                  "gap_ratio_above": gap_ratio_above, "min_rhythm_repeats": min_rhythm_repeats,
                  "churn_prob_above": churn_prob_above,
                  "min_signals": min_signals, "signals": list(signals)}
    return AtRiskSplit(data=df, thresholds=thresholds)


# --------------------------------------------------------------------------- Cox model

@dataclass
class HazardModel(FittedModel):
    """Output of :func:`churn_hazard_model`: a fitted Cox proportional-hazards model.

    Attributes
    ----------
    params_ : Series
        Log hazard ratios by design column.
    results_ : statsmodels PHRegResults or None
        The underlying fit (None for a model rebuilt by :meth:`from_dict`).
    ph_test_ : DataFrame
        Proportional-hazards check per design column: correlation of the
        Schoenfeld residuals with the rank of the event time (``rho``), its
        chi-square statistic ``n rho^2`` and p-value.  A small p-value means
        the hazard ratio drifts over time.
    ties : str
        Ties method used (``"breslow"`` or ``"efron"``).
    n_obs_, n_events_, n_dropped_ : int
        Rows used, events among them, rows dropped for missing values.
    design_ : DataFrame or None
        The design matrix fitted (not saved by :meth:`to_dict`).
    standard_errors_, covariance_ : Series, DataFrame
        Of the log hazard ratios (statsmodels' observed information).
    log_likelihood_ : float
        Log partial likelihood; ``aic_`` and ``bic_`` follow from it.
    notes_, rows_dropped_ : list, dict
        The rows-dropped line and the rows dropped by reason.
    """

    params_: pd.Series
    results_: object
    ph_test_: pd.DataFrame
    ties: str
    n_obs_: int
    n_events_: int
    n_dropped_: int
    design_: pd.DataFrame = field(repr=False, default=None)
    standard_errors_: pd.Series = field(repr=False, default=None)
    covariance_: pd.DataFrame = field(repr=False, default=None)
    log_likelihood_: float = np.nan
    notes_: list = field(default_factory=list)
    rows_dropped_: dict = field(default_factory=dict)

    _UNSAVED = ("results_", "design_")

    def __post_init__(self) -> None:
        # Built from a statsmodels result alone (as before the base): take its errors and fit.
        if self.standard_errors_ is None and self.results_ is not None:
            names = self.params_.index
            self.standard_errors_ = pd.Series(self.results_.bse, index=names)
            self.covariance_ = pd.DataFrame(self.results_.cov_params(), index=names, columns=names)
            self.log_likelihood_ = float(self.results_.llf)

    @classmethod
    def _from_state(cls, state: dict) -> HazardModel:
        return cls(results_=None, design_=None, **state)

    def _positive(self) -> np.ndarray:
        return np.zeros(len(self.params_), bool)  # log hazard ratios: Wald intervals

    def _summary_extra(self, table: pd.DataFrame, z: float) -> pd.DataFrame:
        se = table["se"]
        table["hazard_ratio"] = np.exp(self.params_)
        table["ci_lower"] = np.exp(self.params_ - z * se)
        table["ci_upper"] = np.exp(self.params_ + z * se)
        # Wald test of each log hazard ratio, as statsmodels reports it.
        table["p_value"] = 2 * stats.norm.sf(np.abs(self.params_ / se))
        table.index.name = "covariate"
        return table

    def summary(self, alpha: float = 0.05) -> pd.DataFrame:
        """Hazard-ratio table: ``coef``, ``se``, the Wald interval of ``coef``
        (``lower 95%``, ``upper 95%``), ``hazard_ratio``, its interval
        ``ci_lower``, ``ci_upper`` (both ``100 (1 - alpha)`` %) and ``p_value``."""
        return super().summary(alpha)


#: A text or categorical covariate with more levels than this is refused by
#: :func:`churn_hazard_model`: each level becomes a dummy column, and hundreds of
#: them (an id, a free-text field, numbers read as text) make the fit slow,
#: memory-hungry and meaningless.
_MAX_COVARIATE_LEVELS = 50


def _check_categorical_covariate(df: pd.DataFrame, column: str, where: str) -> None:
    """Refuse numbers stored as text and categoricals with too many levels."""
    col = df[column]
    text = col.astype(str).str.strip()
    parsed = pd.to_numeric(text, errors="coerce")
    n_numeric = int(parsed.notna().sum())
    n_levels = int(text.nunique())
    # Numbers read as text (a CSV column with a few blanks, "1,234.5" kept as a
    # string) would become one dummy column per distinct value.  A categorical
    # coded with a handful of digits ("1", "2", "3") is a genuine factor, so the
    # rule needs both: mostly numeric values and more levels than a factor has.
    if n_numeric >= 0.9 * len(text) and n_levels > 10:
        bad = parsed.isna()
        example = (" Values that are not numbers: " + describe_rows(df, bad.to_numpy(), [column])
                   if bad.any() else "")
        raise CRMDataError(
            f"{where}: column {column!r} holds numbers stored as text ({n_numeric:,} of "
            f"{len(text):,} values are numbers, {n_levels:,} distinct); it would become "
            f"{n_levels - 1:,} dummy columns. Convert it first, e.g. "
            f"data[{column!r}] = pd.to_numeric(data[{column!r}], errors='coerce'), and decide "
            f"what the non-numbers mean.{example}"
        )
    if n_levels > _MAX_COVARIATE_LEVELS:
        counts = text.value_counts()
        raise CRMDataError(
            f"{where}: column {column!r} is categorical with {n_levels:,} levels (more than "
            f"{_MAX_COVARIATE_LEVELS}); it would become {n_levels - 1:,} dummy columns. Group "
            f"rare levels or leave it out. Most frequent levels: "
            f"{', '.join(repr(v) for v in counts.index[:5])}; e.g. rows: "
            + describe_rows(df, text.isin(counts.index[-5:]).to_numpy(), [column])
        )


def churn_hazard_model(
    data: pd.DataFrame,
    *,
    duration: str,
    event: str,
    covariates: Sequence[str],
    reference: Mapping[str, object] | None = None,
    strata: str | None = None,
    ties: str = "efron",
) -> HazardModel:
    """Cox proportional-hazards model of time to churn (statsmodels ``PHReg``).

    Numeric covariates enter as they are; text or categorical covariates are
    dummy-coded against a reference level (the first in sorted order unless
    ``reference`` names one), giving columns ``"contract[One year]"``.
    Rows with a missing value in any used column are dropped and counted.

    Ties: ``"efron"`` by default - the same as R ``survival::coxph``, and more
    accurate than Breslow when many customers leave in the same period (e.g.
    tenure in whole months); ``"breslow"`` is available.

    Proportional-hazards check: for each design column, the correlation
    between the Schoenfeld residuals (statsmodels
    ``schoenfeld_residuals``) of the events and the rank of the event time,
    tested with ``n rho^2 ~ chi-square(1)`` - a rank-time version of the
    Grambsch & Therneau (1994) residual-trend test on unscaled residuals.

    Parameters
    ----------
    data : DataFrame
        One row per customer.  Never modified.
    duration : str
        Time observed (tenure); must be >= 0.
    event : str
        1 = churned, 0 = still a customer (censored).
    covariates : sequence of str
        Columns to model.
    reference : dict, optional
        Reference level per categorical covariate.
    strata : str, optional
        Column whose levels get their own baseline hazard.
    ties : {"efron", "breslow"}, default "efron"

    Returns
    -------
    HazardModel

    Raises
    ------
    CRMDataError
        Missing columns, negative or non-numeric durations, event not 0/1,
        unknown ties method or reference level, no events; a text covariate
        that holds numbers (e.g. charges read as text), or a categorical with
        more than 50 levels.

    Examples
    --------
    >>> import crm_analysis as crm
    >>> telco = crm.load_telco_churn()
    >>> m = churn_hazard_model(telco, duration="tenure", event="churn",
    ...                        covariates=["contract", "monthly_charges"])
    >>> bool(m.summary().loc["contract[Two year]", "hazard_ratio"] < 0.1)
    True

    References
    ----------
    Cox, D. R. (1972). Regression models and life-tables. *JRSS B* 34, 187-220.
    Efron, B. (1977). The efficiency of Cox's likelihood function for censored
    data. *JASA* 72, 557-565.
    Grambsch, P. M. & Therneau, T. M. (1994). Proportional hazards tests and
    diagnostics based on weighted residuals. *Biometrika* 81, 515-526.
    """
    from statsmodels.duration.hazard_regression import PHReg

    where = "churn_hazard_model"
    require_frame(data, where)
    covariates = require_names(covariates, where, "covariate")
    require_columns(data, {"duration": duration, "event": event, "strata": strata,
                           **{f"covariate {c}": c for c in covariates}}, where)
    if ties not in ("efron", "breslow"):
        raise CRMDataError(f"{where}: ties must be 'efron' or 'breslow', got {ties!r}.")
    used = [duration, event] + covariates + ([strata] if strata else [])
    df = data[used].copy()
    missing = df.isna().any(axis=1)
    n_dropped = int(missing.sum())
    dropped = {"missing value": n_dropped} if n_dropped else {}
    if n_dropped:
        warnings.warn(rows_dropped_note(where, dropped) + "; "
                      + describe_rows(data, missing.to_numpy(), used), DataCleaningWarning, stacklevel=2)
    df = df[~missing]
    if df.empty:
        raise CRMDataError(f"{where}: no complete rows left after dropping missing values.")
    dur = pd.to_numeric(df[duration], errors="coerce")
    bad = dur.isna() | (dur < 0)
    if bad.any():
        raise CRMDataError(f"{where}: column {duration!r}: durations must be numbers >= 0; "
                           + describe_rows(df, bad.to_numpy(), [duration, event]))
    ev = _event(df, event, where).astype(int)
    if ev.sum() == 0:
        raise CRMDataError(f"{where}: column {event!r}: no events (nobody churned); "
                           "hazard ratios cannot be estimated.")
    parts = []
    for c in covariates:
        col = df[c]
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            parts.append(col.astype(float).rename(c))
            continue
        _check_categorical_covariate(df, c, where)
        levels = sorted(col.astype(str).unique())
        ref = str((reference or {}).get(c, levels[0]))
        if ref not in levels:
            raise CRMDataError(f"{where}: reference level {ref!r} not found in column {c!r} "
                               f"(levels: {levels}).")
        for lev in levels:
            if lev != ref:
                parts.append((col.astype(str) == lev).astype(float).rename(f"{c}[{lev}]"))
    X = pd.concat(parts, axis=1)
    const = X.columns[X.std(ddof=0) == 0]
    if len(const):
        raise CRMDataError(f"{where}: covariate column(s) {list(const)} do not vary; "
                           "drop them (a constant has no hazard ratio).")
    # In a Cox model a column combination equal to a constant is absorbed by the
    # baseline hazard (e.g. tech_support "No internet service" == internet_service "No").
    full = np.column_stack([np.ones(len(X)), X.to_numpy(float)])
    if np.linalg.matrix_rank(full) < full.shape[1]:
        raise CRMDataError(
            f"{where}: covariates are collinear (a combination of the design columns "
            f"{list(X.columns)} is constant); drop one of the overlapping covariates.")
    model = PHReg(dur.to_numpy(float), X.to_numpy(float), status=ev.to_numpy(float),
                  ties=ties, strata=None if strata is None else df[strata].to_numpy())
    res = model.fit()
    params = pd.Series(res.params, index=X.columns, name="coef")

    sch = np.asarray(res.schoenfeld_residuals)
    is_event = ev.to_numpy() == 1
    tim = stats.rankdata(dur.to_numpy(float)[is_event])
    rows = []
    for j, name in enumerate(X.columns):
        resid = sch[is_event, j]
        ok = np.isfinite(resid)
        if ok.sum() < 3 or np.std(resid[ok]) == 0:
            rows.append({"covariate": name, "rho": np.nan, "chi2": np.nan, "p_value": np.nan})
            continue
        rho = float(np.corrcoef(resid[ok], tim[ok])[0, 1])
        chi2 = ok.sum() * rho**2
        rows.append({"covariate": name, "rho": rho, "chi2": chi2,
                     "p_value": float(stats.chi2.sf(chi2, 1))})
    ph = pd.DataFrame(rows).set_index("covariate")
    names = X.columns
    return HazardModel(params_=params, results_=res, ph_test_=ph, ties=ties,
                       n_obs_=len(df), n_events_=int(ev.sum()), n_dropped_=n_dropped, design_=X,
                       standard_errors_=pd.Series(res.bse, index=names),
                       covariance_=pd.DataFrame(res.cov_params(), index=names, columns=names),
                       log_likelihood_=float(res.llf),
                       notes_=[rows_dropped_note(where, dropped)] if n_dropped else [],
                       rows_dropped_=dropped)


# --------------------------------------------------------------------------- complaints

def churn_by_group(
    data: pd.DataFrame,
    *,
    by: str,
    event: str = "churn",
    top: int | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Churn rate per level of ``by`` with Wilson confidence intervals.

    Parameters
    ----------
    data : DataFrame
        One row per customer.  Never modified.
    by : str
        Grouping column (e.g. ``number_customer_service_calls``).
    event : str, default "churn"
        1 = churned, 0 = stayed.
    top : int, optional
        For a numeric ``by``: pool values at or above ``top`` into one
        ``"top+"`` group.
    alpha : float, default 0.05
        1 - confidence level.

    Returns
    -------
    DataFrame
        Indexed by group: ``customers``, ``churned``, ``churn_rate``,
        ``ci_lower``, ``ci_upper``.  Rows with a missing group are left out
        (a ``DataCleaningWarning``) and counted in ``attrs["n_dropped"]`` and
        ``attrs["dropped"]``.

    Raises
    ------
    CRMDataError
        Missing columns or event not 0/1.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"calls": [0, 0, 1, 5], "churn": [0, 1, 0, 1]})
    >>> churn_by_group(d, by="calls", top=2)["churn_rate"].tolist()
    [0.5, 0.0, 1.0]

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. *JASA* 22, 209-212.
    """
    where = "churn_by_group"
    require_frame(data, where)
    require_columns(data, {"by": by, "event": event}, where)
    ev = _event(data, event, where).astype(int)
    groups = data[by]
    missing = groups.isna()
    if missing.any():
        warnings.warn(f"{where}: column {by!r}: {int(missing.sum())} rows with a missing group "
                      "left out; " + describe_rows(data, missing.to_numpy(), [by, event]),
                      DataCleaningWarning, stacklevel=2)
    if top is not None:
        num = _numeric(data, by, where)
        groups = num.astype("Int64").astype(str).where(num < top, f"{top}+").where(~missing)
        keys = sorted(num[num < top].dropna().unique().astype(int).tolist())
        order = [str(k) for k in keys] + ([f"{top}+"] if (num >= top).any() else [])
    else:
        order = sorted(groups.dropna().unique().tolist())
    g = ev.groupby(groups)
    n = g.size().reindex(order).astype(int)
    k = g.sum().reindex(order).astype(int)
    p = k / n
    z = stats.norm.ppf(1 - alpha / 2)
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    out = pd.DataFrame({"customers": n, "churned": k, "churn_rate": p,
                        "ci_lower": centre - half, "ci_upper": centre + half})
    out.index = pd.Index(order, name=by)
    # The package's table convention for rows left out: total and by reason in attrs.
    out.attrs["n_dropped"] = int(missing.sum())
    out.attrs["dropped"] = {"missing group": int(missing.sum())} if missing.any() else {}
    return out


def complaint_cost(
    clv,
    *,
    recovery_cost,
    p_leave_bad: float,
    p_leave_recovered: float,
    people_told_bad: float,
    people_told_recovered: float = 0.0,
    p_prospect_lost: float,
    prospect_clv=None,
) -> pd.DataFrame:
    """Value lost when a complaint is handled badly, against the cost of service recovery.

    For one complaining customer of value ``clv``:

    * handled badly: the customer leaves with probability ``p_leave_bad``
      and tells ``people_told_bad`` people, each of whom is put off becoming
      (or staying) a customer with probability ``p_prospect_lost`` and is
      worth ``prospect_clv`` (default: the same ``clv``)::

          loss_bad = p_leave_bad * clv + people_told_bad * p_prospect_lost * prospect_clv

    * recovered: the same with ``p_leave_recovered`` and
      ``people_told_recovered``, plus ``recovery_cost``.

    ``net_benefit`` = ``loss_bad - loss_recovered - recovery_cost`` is what
    good recovery is worth per complaint; ``break_even_cost`` is the most
    recovery may cost and still pay.  All behavioural parameters are
    required: published figures (e.g. the often-quoted TARP surveys that an
    unhappy customer tells about ten people) vary by industry and era, so set
    them from your own complaint and churn records and show a sensitivity
    range.

    Parameters
    ----------
    clv : float or array-like
        Remaining CLV of the complaining customer (US$).
    recovery_cost : float or array-like
        Cost of handling the complaint well (refund, repair, staff time; US$).
    p_leave_bad, p_leave_recovered : float
        Probability that the customer leaves after bad / good handling.
    people_told_bad, people_told_recovered : float
        People who hear about the experience.
    p_prospect_lost : float
        Probability that a listener is lost as a (prospective) customer.
    prospect_clv : float or array-like, optional
        Value of such a listener (default ``clv``).

    Returns
    -------
    DataFrame
        One row per ``clv`` value: ``clv``, ``clv_lost_bad``,
        ``word_of_mouth_lost_bad``, ``loss_bad``, ``loss_recovered``,
        ``recovery_cost``, ``net_benefit``, ``break_even_cost``.

    Raises
    ------
    CRMDataError
        Probabilities outside [0, 1] or negative values.

    Examples
    --------
    >>> out = complaint_cost(1000.0, recovery_cost=50.0, p_leave_bad=0.6,
    ...                      p_leave_recovered=0.1, people_told_bad=10, p_prospect_lost=0.02)
    >>> float(out["loss_bad"].iloc[0]), float(out["net_benefit"].iloc[0])
    (800.0, 650.0)
    """
    where = "complaint_cost"
    for name, p in (("p_leave_bad", p_leave_bad), ("p_leave_recovered", p_leave_recovered),
                    ("p_prospect_lost", p_prospect_lost)):
        if not 0 <= p <= 1:
            raise CRMDataError(f"{where}: {name} must be a probability in [0, 1], got {p}.")
    clv_a = np.atleast_1d(np.asarray(clv, dtype=float))
    pclv = clv_a if prospect_clv is None else np.asarray(prospect_clv, dtype=float)
    cost = np.asarray(recovery_cost, dtype=float)
    for name, v in (("clv", clv_a), ("prospect_clv", pclv), ("recovery_cost", cost),
                    ("people_told_bad", people_told_bad),
                    ("people_told_recovered", people_told_recovered)):
        if np.any(np.asarray(v) < 0) or np.any(np.isnan(np.asarray(v, dtype=float))):
            raise CRMDataError(f"{where}: {name} must be >= 0 and not missing, got {v}.")
    lost_bad = p_leave_bad * clv_a
    wom_bad = people_told_bad * p_prospect_lost * pclv
    loss_bad = lost_bad + wom_bad
    loss_rec = p_leave_recovered * clv_a + people_told_recovered * p_prospect_lost * pclv
    out = pd.DataFrame({
        "clv": clv_a,
        "clv_lost_bad": lost_bad,
        "word_of_mouth_lost_bad": wom_bad * np.ones_like(clv_a),
        "loss_bad": loss_bad,
        "loss_recovered": loss_rec,
        "recovery_cost": cost * np.ones_like(clv_a),
    })
    out["net_benefit"] = out["loss_bad"] - out["loss_recovered"] - out["recovery_cost"]
    out["break_even_cost"] = out["loss_bad"] - out["loss_recovered"]
    return out
