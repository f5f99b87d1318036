"""Loyalty is an attitude, retention is a behaviour: measure both and cross them.

The seed texts (*Misconceptions of CRM and countermeasures*; *CRM goals: more,
longer, deeper*) insist that a customer who keeps buying is not necessarily a
loyal one: repeat purchase can come from habit, convenience, price or an exit
barrier.  This module measures the two sides on the same customers and crosses
them in Dick & Basu's (1994) matrix:

* attitude - :func:`loyalty_index` builds a five-component survey index
  (C10, *Five steps to cultivate customer loyalty*) with its reliability
  (:func:`cronbach_alpha`, :func:`item_total_correlations`) and a one-factor
  check (:func:`one_factor_check`);
* behaviour - :func:`behavioural_loyalty` (transaction logs),
  :func:`brand_loyalty` and :func:`switching_matrix` (brand-choice panels);
* the C26 traits of a loyal customer - :func:`loyalty_traits`;
* the 2x2 - :func:`join_survey_behaviour` (never a silent inner join),
  :func:`dick_basu_segments`, :func:`segment_agreement`.

Exit barriers on real data use :func:`crm_analysis.churn_by_group`; the
barrier-removal experiment is :func:`crm_analysis.simulate.simulate_lock_in`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._checks import numeric_column, require_columns, require_frame
from ._deprecation import renamed_kwargs
from .discounting import period_rate
from .drivers import _missing_codes
from .errors import CRMDataError, describe_rows
from .largedata import (
    SQL_NUMBERS,
    fetch_columns,
    is_file_source,
    is_plain_timestamp,
    log_connection,
    read_log_files,
    sql_identifier,
    sql_literal,
)
from .transactions import rfm_summary

if TYPE_CHECKING:
    from .clv import BTYDModel

__all__ = [
    "C10_COMPONENTS",
    "DICK_BASU_SEGMENTS",
    "DickBasuResult",
    "JoinedData",
    "LoyaltyIndex",
    "OneFactorCheck",
    "behavioural_loyalty",
    "brand_loyalty",
    "cronbach_alpha",
    "dick_basu_segments",
    "item_total_correlations",
    "join_survey_behaviour",
    "loyalty_index",
    "loyalty_traits",
    "one_factor_check",
    "segment_agreement",
    "switching_matrix",
]

#: The five components of loyalty in *Five steps to cultivate customer loyalty*
#: (C10), in the text's order; default column prefixes of :func:`loyalty_index`.
C10_COMPONENTS = ("satisfaction", "initiative", "repurchase", "recommend", "resistance")

# Column names the default lookup accepts per component, besides '<component>_<n>':
# those of the simulated restaurant survey (one item per component).
_C10_ALIASES = {
    "satisfaction": ("satisfaction", "overall_satisfaction"),
    "initiative": ("initiative",),
    "repurchase": ("repurchase", "repurchase_intent"),
    "recommend": ("recommend",),
    "resistance": ("resistance", "resistance_to_switching"),
}

#: Dick & Basu (1994) cells, in the order of the summary tables:
#: (attitude high?, patronage high?) -> name.
DICK_BASU_SEGMENTS = ("true loyalty", "latent loyalty", "spurious loyalty", "no loyalty")
_CELL = {
    (True, True): "true loyalty",
    (True, False): "latent loyalty",
    (False, True): "spurious loyalty",
    (False, False): "no loyalty",
}


# --------------------------------------------------------------------------
# reliability
# --------------------------------------------------------------------------
def _numeric_items(items: pd.DataFrame, where: str) -> pd.DataFrame:
    require_frame(items, where, allow_empty=True)  # too few respondents is reported below
    if items.shape[1] < 2:
        raise CRMDataError(
            f"{where}: needs at least two item columns, got {list(items.columns)}."
        )
    # Gaps are reported together below, as a listwise-deletion decision.
    out = pd.DataFrame({col: numeric_column(items, col, where, missing="keep", finite=False)
                        for col in items.columns}, index=items.index)
    missing = out.isna().any(axis=1)
    if missing.any():
        raise CRMDataError(
            f"{where}: missing answers (listwise deletion is the caller's choice): "
            + describe_rows(items, missing)
        )
    if len(out) < 3:
        raise CRMDataError(f"{where}: needs at least 3 respondents, got {len(out)}.")
    flat = out.columns[out.var(ddof=1).to_numpy() == 0]
    if len(flat):
        raise CRMDataError(
            f"{where}: column(s) {list(flat)} have the same answer for every respondent "
            "(zero variance), so they carry no information about reliability."
        )
    return out.astype(float)


def cronbach_alpha(items: pd.DataFrame, *, standardized: bool = False) -> float:
    """Cronbach's alpha of a set of items answered by the same respondents.

    Raw alpha is ``k/(k-1) * (1 - sum(item variances) / variance(item sum))``;
    it depends on the items' scales, so it describes the reliability of the
    *summed* (or averaged) score as computed.  Standardised alpha is
    ``k * rbar / (1 + (k-1) * rbar)`` with ``rbar`` the mean inter-item
    correlation, the reliability of a sum of z-scored items.

    Parameters
    ----------
    items : DataFrame
        One column per item, one row per respondent; numeric, no missing.
    standardized : bool, default False
        Return the standardised instead of the raw coefficient.

    Returns
    -------
    float

    Raises
    ------
    CRMDataError
        Fewer than two items or three respondents, non-numeric or missing
        answers, or an item with zero variance.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of
    tests. *Psychometrika*, 16(3), 297-334.

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 2, 4, 4], "c": [1, 3, 3, 5]})
    >>> round(cronbach_alpha(items), 3)
    0.933
    """
    x = _numeric_items(items, "cronbach_alpha")
    k = x.shape[1]
    if standardized:
        corr = np.corrcoef(x.to_numpy(), rowvar=False)
        rbar = corr[np.triu_indices(k, 1)].mean()
        return float(k * rbar / (1 + (k - 1) * rbar))
    item_var = x.var(ddof=1).sum()
    total_var = x.sum(axis=1).var(ddof=1)
    return float(k / (k - 1) * (1 - item_var / total_var))


def item_total_correlations(items: pd.DataFrame) -> pd.DataFrame:
    """Corrected item-total correlations and alpha-if-item-deleted.

    The corrected correlation correlates each item with the sum of the *other*
    items (an item correlates with itself otherwise).  Items below about 0.3
    are the usual candidates for rewording or removal.

    Parameters
    ----------
    items : DataFrame
        One column per item (at least three, so that alpha-if-deleted is defined).

    Returns
    -------
    DataFrame
        Indexed by item: ``item_rest_r`` and ``alpha_if_deleted`` (raw).

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 2, 4, 4], "c": [1, 3, 3, 5]})
    >>> item_total_correlations(items)["item_rest_r"].round(3).tolist()
    [1.0, 0.8, 0.857]
    """
    x = _numeric_items(items, "item_total_correlations")
    if x.shape[1] < 3:
        raise CRMDataError(
            "item_total_correlations: needs at least three items (alpha-if-deleted of "
            f"a two-item scale has one item left); got {list(x.columns)}."
        )
    total = x.sum(axis=1)
    rows = {}
    for col in x.columns:
        rest = total - x[col]
        rows[col] = {
            "item_rest_r": float(np.corrcoef(x[col], rest)[0, 1]),
            "alpha_if_deleted": cronbach_alpha(x.drop(columns=col)),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "item"
    return out


@dataclass
class OneFactorCheck:
    """Eigen-decomposition of the item correlation matrix.

    Attributes
    ----------
    eigenvalues_ : ndarray
        Eigenvalues, largest first (they sum to the number of items).
    first_share_ : float
        Share of total variance on the first eigenvalue.
    loadings_ : Series
        First principal-component loadings ``sqrt(lambda_1) * v_1``, signed so
        that their sum is positive.
    n_factors_kaiser_ : int
        Eigenvalues above 1 (Kaiser's rule); 1 supports a single factor.
    """

    eigenvalues_: np.ndarray
    first_share_: float
    loadings_: pd.Series
    n_factors_kaiser_: int

    def summary(self) -> pd.DataFrame:
        """Loadings per item with the eigenvalue share in the frame's ``attrs``."""
        out = self.loadings_.rename("loading").to_frame()
        out.attrs["first_share"] = self.first_share_
        return out


def one_factor_check(items: pd.DataFrame) -> OneFactorCheck:
    """Do the items measure one thing?  First-eigenvalue share and loadings.

    A principal-component check on the correlation matrix: with one common
    factor the first eigenvalue dominates, only one eigenvalue exceeds 1
    (Kaiser's rule) and every item loads clearly (> 0.5) on the first
    component.

    Parameters
    ----------
    items : DataFrame
        One column per item.

    Returns
    -------
    OneFactorCheck

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> f = np.random.default_rng(0).normal(size=500)
    >>> e = np.random.default_rng(1).normal(size=(500, 4))
    >>> check = one_factor_check(pd.DataFrame(f[:, None] + e, columns=list("abcd")))
    >>> check.n_factors_kaiser_
    1
    """
    x = _numeric_items(items, "one_factor_check")
    corr = np.corrcoef(x.to_numpy(), rowvar=False)
    values, vectors = np.linalg.eigh(corr)
    order = np.argsort(values)[::-1]
    values, vectors = values[order], vectors[:, order]
    v1 = vectors[:, 0] * (1 if vectors[:, 0].sum() >= 0 else -1)
    loadings = pd.Series(np.sqrt(max(values[0], 0.0)) * v1, index=x.columns, name="loading")
    return OneFactorCheck(
        eigenvalues_=values,
        first_share_=float(values[0] / values.sum()),
        loadings_=loadings,
        n_factors_kaiser_=int((values > 1).sum()),
    )


# --------------------------------------------------------------------------
# the survey index (C10)
# --------------------------------------------------------------------------
@dataclass
class LoyaltyIndex:
    """Result of :func:`loyalty_index`.

    Attributes
    ----------
    scores_ : DataFrame
        Per customer (index = customer id): one 0-100 score per component and
        ``loyalty_index`` (their equal-weight mean).
    diagnostics_ : DataFrame
        Per component and ``"overall"``: ``n_items``, ``alpha`` (raw alpha of
        the rescaled items, the reliability of the score as computed),
        ``alpha_standardized`` and ``mean_score``.
    item_total_ : DataFrame
        Per item: ``component``, ``item_rest_r`` (corrected item-total
        correlation with the other items of the whole index) and
        ``alpha_if_deleted``.
    factor_ : OneFactorCheck
        One-factor check on the five component scores.
    components_ : dict
        Component -> item columns used.
    n_dropped_ : int
        Respondents dropped for missing answers (``missing="drop"``).
    dropped_ : dict
        ``n_dropped_`` by reason: ``"missing value"`` (a blank answer) and
        ``"missing code"`` (only answers listed in ``missing_codes``); each
        respondent is counted once.
    """

    scores_: pd.DataFrame
    diagnostics_: pd.DataFrame
    item_total_: pd.DataFrame
    factor_: OneFactorCheck
    components_: dict
    n_dropped_: int = 0
    dropped_: dict = field(default_factory=dict)

    @property
    def rows_dropped_(self) -> dict:
        """Respondents dropped by reason (``dropped_``; the package's one rows-dropped mapping)."""
        return {k: v for k, v in self.dropped_.items() if v}

    def summary(self) -> pd.DataFrame:
        """The reliability table (``diagnostics_``); the first-eigenvalue share of the
        one-factor check is in ``attrs["first_eigenvalue_share"]``."""
        out = self.diagnostics_.copy()
        out.attrs["first_eigenvalue_share"] = self.factor_.first_share_
        return out


def _find_components(survey: pd.DataFrame, components) -> dict[str, list[str]]:
    if components is None:
        found = {
            name: [
                c for c in survey.columns
                if any(str(c) == a or str(c).startswith(a + "_") for a in _C10_ALIASES[name])
            ]
            for name in C10_COMPONENTS
        }
        missing = [name for name, cols in found.items() if not cols]
        if missing:
            raise CRMDataError(
                "loyalty_index: no item columns for component(s) "
                f"{missing}; name items '<component>_<n>' (components {C10_COMPONENTS}) "
                f"or pass components={{...}}. Available columns: {list(survey.columns)[:25]}."
            )
        return found
    if not isinstance(components, dict) or not components:
        raise CRMDataError("loyalty_index: components must be a non-empty dict: component -> list of columns.")
    out = {}
    for name, cols in components.items():
        cols = [cols] if isinstance(cols, str) else list(cols)
        absent = [c for c in cols if c not in survey.columns]
        if absent:
            raise CRMDataError(
                f"loyalty_index: component {name!r}: column(s) {absent} not found. "
                f"Available columns: {list(survey.columns)[:25]}."
            )
        if not cols:
            raise CRMDataError(f"loyalty_index: component {name!r} has no items.")
        out[name] = cols
    return out


def loyalty_index(
    survey: pd.DataFrame,
    *,
    components: dict[str, list[str]] | None = None,
    customer_id: str | None = "customer_id",
    item_range: tuple[float, float] | dict[str, tuple[float, float]] | None = None,
    missing: str = "raise",
    missing_codes=None,
) -> LoyaltyIndex:
    """Five-component loyalty index with reliability and a one-factor check (C10).

    Each item is rescaled to 0-1 (``(x - lo) / (hi - lo)``), a component score
    is the mean of its items, and the index is the equal-weight mean of the
    component scores, all reported on 0-100.  Reliability is Cronbach's alpha
    per component (where it has two or more items) and over all items; the
    headline ``alpha`` is the *raw* coefficient of the rescaled items, which
    is the reliability of the index as computed, and the standardised
    coefficient is shown beside it.  The one-factor check runs on the
    component scores: C10 treats the five components as facets of one
    construct, so one eigenvalue should dominate.

    Parameters
    ----------
    survey : DataFrame
        One row per respondent.  Never modified.
    components : dict, optional
        Component -> item columns.  By default the five C10 components are
        found by column name: ``satisfaction[_*]``, ``initiative[_*]``,
        ``repurchase[_*]``, ``recommend[_*]``, ``resistance[_*]``, and the
        single items of the simulated restaurant survey
        (``overall_satisfaction``, ``initiative``, ``repurchase_intent``,
        ``recommend``, ``resistance_to_switching``).  A component with one
        item has no alpha of its own (NaN); the overall alpha covers all items.
    customer_id : str or None, default "customer_id"
        Id column for the index of the scores; None uses the frame's index.
    item_range : (lo, hi) or dict, optional
        The answer scale, e.g. ``(1, 7)``, for all items or per item.  Without
        it the observed minimum and maximum of each item are used, which makes
        scores sample-dependent: pass the scale when you know it.
    missing : {"raise", "drop"}, default "raise"
        Respondents with a missing item answer raise, or are dropped and
        counted in ``n_dropped_``.
    missing_codes : list of numbers or strings, optional
        Answers that mean "not applicable" or "don't know" (e.g. ``[0]`` on a
        1-7 scale): treated as missing, so that they are never rescaled as
        the lowest rating.

    Returns
    -------
    LoyaltyIndex

    Raises
    ------
    CRMDataError
        Missing columns, duplicated ids, non-numeric or out-of-range answers,
        missing answers (``missing="raise"``), zero-variance items.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of
    tests. *Psychometrika*, 16(3), 297-334.

    Examples
    --------
    >>> from crm_analysis.simulate import simulate_loyalty_joint
    >>> world = simulate_loyalty_joint(n_customers=300, seed=1)
    >>> scales = {"overall_satisfaction": (1, 10), "initiative": (1, 10),
    ...           "repurchase_intent": (1, 10), "recommend": (0, 10),
    ...           "resistance_to_switching": (1, 10)}
    >>> idx = loyalty_index(world.survey, item_range=scales)
    >>> list(idx.diagnostics_.index)[-1]
    'overall'
    """
    require_frame(survey, "loyalty_index", empty="the survey has no answers")
    if missing not in ("raise", "drop"):
        raise CRMDataError(f"loyalty_index: missing must be 'raise' or 'drop', got {missing!r}.")
    comps = _find_components(survey, components)
    item_cols = [c for cols in comps.values() for c in cols]
    if len(set(item_cols)) != len(item_cols):
        raise CRMDataError(f"loyalty_index: an item is listed under two components: {comps}.")

    if customer_id is not None:
        if customer_id not in survey.columns:
            raise CRMDataError(
                f"loyalty_index: id column {customer_id!r} not found; pass customer_id=None "
                "to use the index."
            )
        ids = survey[customer_id]
        dup = ids.duplicated(keep=False)
        if dup.any():
            raise CRMDataError(
                f"loyalty_index: column {customer_id!r} has duplicated ids (one answer "
                "sheet per customer expected): " + describe_rows(survey, dup, [customer_id])
            )
    else:
        ids = pd.Series(survey.index, index=survey.index)

    codes = _missing_codes(missing_codes, "loyalty_index")
    raw = survey[item_cols]
    blank = raw.isna().any(axis=1)
    if codes:
        raw = raw.mask(raw.isin(codes))
    items = raw.apply(pd.to_numeric, errors="coerce")
    nonnum = items.isna() & raw.notna()
    for col in item_cols:
        if nonnum[col].any():
            raise CRMDataError(
                f"loyalty_index: column {col!r} has non-numeric answers: "
                + describe_rows(survey, nonnum[col], [col])
            )
    miss = items.isna().any(axis=1)
    n_dropped = 0
    dropped: dict[str, int] = {}
    if miss.any():
        if missing == "raise":
            raise CRMDataError(
                "loyalty_index: respondents with missing answers"
                + (f" (blank or one of missing_codes={codes})" if codes else "")
                + " (pass missing='drop' to drop and count them): "
                + describe_rows(survey, miss.to_numpy(), item_cols)
            )
        n_dropped = int(miss.sum())
        dropped = {"missing value": int(blank.sum()), "missing code": int((miss & ~blank).sum())}
        items, ids = items.loc[~miss], ids.loc[~miss]

    scaled = pd.DataFrame(index=items.index)
    for col in item_cols:
        if item_range is None:
            lo, hi = items[col].min(), items[col].max()
        else:
            if isinstance(item_range, dict) and col not in item_range:
                raise CRMDataError(
                    f"loyalty_index: item_range has no scale for column {col!r}; give "
                    "every item's (lo, hi) or one pair for all."
                )
            lo, hi = item_range[col] if isinstance(item_range, dict) else item_range
            outside = (items[col] < lo) | (items[col] > hi)
            if outside.any():
                raise CRMDataError(
                    f"loyalty_index: column {col!r} has answers outside the scale "
                    f"[{lo}, {hi}]: " + describe_rows(items, outside, [col])
                )
        if hi <= lo:
            raise CRMDataError(
                f"loyalty_index: column {col!r} has no spread to rescale (range {lo}..{hi})."
            )
        scaled[col] = (items[col] - lo) / (hi - lo)

    scores = pd.DataFrame(
        {name: 100 * scaled[cols].mean(axis=1) for name, cols in comps.items()}
    )
    scores["loyalty_index"] = scores[list(comps)].mean(axis=1)
    scores.index = pd.Index(ids.to_numpy(), name=customer_id or survey.index.name)

    rows = {}
    for name, cols in comps.items():
        two = len(cols) >= 2
        rows[name] = {
            "n_items": len(cols),
            "alpha": cronbach_alpha(scaled[cols]) if two else np.nan,
            "alpha_standardized": cronbach_alpha(scaled[cols], standardized=True) if two else np.nan,
            "mean_score": float(scores[name].mean()),
        }
    rows["overall"] = {
        "n_items": len(item_cols),
        "alpha": cronbach_alpha(scaled),
        "alpha_standardized": cronbach_alpha(scaled, standardized=True),
        "mean_score": float(scores["loyalty_index"].mean()),
    }
    diagnostics = pd.DataFrame.from_dict(rows, orient="index")
    diagnostics["n_items"] = diagnostics["n_items"].astype(int)
    diagnostics.index.name = "component"

    item_total = item_total_correlations(scaled)
    item_total.insert(0, "component", [n for n, cols in comps.items() for _ in cols])
    factor = one_factor_check(scores[list(comps)]) if len(comps) >= 2 else one_factor_check(scaled)
    return LoyaltyIndex(
        scores_=scores,
        diagnostics_=diagnostics,
        item_total_=item_total,
        factor_=factor,
        components_=comps,
        n_dropped_=n_dropped,
        dropped_=dropped,
    )


# --------------------------------------------------------------------------
# behaviour
# --------------------------------------------------------------------------
@renamed_kwargs(clv_weeks="horizon", annual_discount_rate="discount_rate")
def behavioural_loyalty(
    transactions: pd.DataFrame,
    *,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str | None = None,
    category: str | None = None,
    observation_end=None,
    p_alive: bool = True,
    btyd_model: str = "bgnbd",
    horizon: int | None = 52,
    discount_rate: float = 0.10,
    model: BTYDModel | None = None,
) -> pd.DataFrame:
    """Per-customer behavioural loyalty measures from a transaction log.

    Time is measured in weeks from day-level dates; several purchases on one
    day count as one purchase occasion (as in :func:`crm_analysis.rfm_summary`).

    Columns returned:

    * ``purchases`` - purchase days; ``repeat_purchases`` (= BTYD frequency),
      ``tenure_weeks`` (first purchase to observation end, BTYD ``T``);
    * ``repeat_rate`` - repeat purchases per week of tenure (NaN at tenure 0);
    * ``regularity_cv`` - coefficient of variation of the inter-purchase
      times (needs two gaps, i.e. three purchases; NaN otherwise).  A Poisson
      buyer has CV about 1; regular buyers are well below it;
    * ``weeks_since_last`` - weeks from the last purchase to the observation end;
    * ``recency_ratio`` - weeks since the last purchase divided by the
      customer's own mean inter-purchase time: about 1 is "on rhythm",
      well above 1 is overdue (NaN with fewer than two purchases);
    * ``breadth`` - distinct values of ``category`` bought (with ``category``);
    * ``monetary_value`` - mean spend per purchase day (with ``amount``);
    * ``p_alive`` - probability the customer is still active, from the fitted
      BTYD model ``model`` (with ``p_alive=True``);
    * ``clv`` - expected discounted spend over the next ``horizon`` weeks:
      the model's expected purchases week by week times the customer's observed
      mean spend per purchase day, discounted weekly at
      ``period_rate(discount_rate, 52)``
      (:func:`crm_analysis.customer_lifetime_value`; with ``p_alive=True``,
      ``amount`` and ``horizon``).  A revenue CLV: apply a margin for profit.

    The valuation is not done here: pass the transaction model you fitted
    (``fit_btyd`` on ``rfm_summary(..., freq="D", freq_multiplier=7)``, in
    weeks) as ``model``, so that the loyalty table, the CLV and every other
    table of an analysis come from one fitted model.  Without ``model`` the
    function makes that one call, ``fit_btyd(summary, model=btyd_model)``, as
    a convenience for a quick look.

    Parameters
    ----------
    transactions : DataFrame, or str / Path of a Parquet log
        One row per purchase (line); never modified.  Clean it with
        :func:`crm_analysis.validate_transactions` first.  A Parquet file,
        folder or glob (for example the day-level log of
        :func:`crm_analysis.clean_log_files`) is aggregated in DuckDB without
        being loaded, with the same result; one whose dates are not plain
        timestamps is read into pandas with only the columns named here.
    customer_id, date : str
        Column names.
    amount, category : str, optional
        Spend and product-category columns.
    observation_end : date-like, optional
        Defaults to the last date in the log.
    p_alive : bool, default True
        Add ``p_alive`` (and ``clv``) from the transaction model.
    btyd_model : str, default "bgnbd"
        Without ``model``: the model name passed to :func:`crm_analysis.fit_btyd`.
    horizon : int or None, default 52
        Horizon of the ``clv`` column; None skips it.
    discount_rate : float, default 0.10
        Converted to a weekly rate ``(1 + r) ** (1 / 52) - 1``
        (:func:`crm_analysis.discounting.period_rate`).
    model : BTYDModel, optional
        The fitted transaction model in weeks (for example the one a report
        fits once for all its tables), used for ``p_alive`` and ``clv``; the
        documented path.  When omitted, ``btyd_model`` is fitted here with one
        call to :func:`crm_analysis.fit_btyd`.  Needs ``p_alive=True``.

    Returns
    -------
    DataFrame
        Indexed by customer id.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your
    customers" the easy way: An alternative to the Pareto/NBD model.
    *Marketing Science*, 24(2), 275-284.

    Examples
    --------
    >>> from crm_analysis import fit_btyd, load_cdnow, rfm_summary
    >>> log = load_cdnow()
    >>> b = behavioural_loyalty(log, p_alive=False)
    >>> int(b["purchases"].sum())
    6696
    >>> weekly = rfm_summary(log, freq="D", freq_multiplier=7)
    >>> model = fit_btyd(weekly, model="bgnbd")
    >>> b = behavioural_loyalty(log, amount="amount", model=model)
    >>> bool(b["p_alive"].between(0, 1).all())
    True
    """
    if model is not None:
        if not p_alive:
            raise CRMDataError("behavioural_loyalty: a model is given but p_alive=False; "
                               "pass p_alive=True to score with it, or drop model.")
        if getattr(model, "time_unit", None) != "weeks":
            raise CRMDataError(
                "behavioural_loyalty: model must be fitted in weeks (the summary here is in "
                f"weeks), got time_unit={getattr(model, 'time_unit', None)!r}."
            )
    summ = rfm_summary(
        transactions, customer_id=customer_id, date=date, amount=amount,
        freq="D", freq_multiplier=7, observation_end=observation_end,
    )
    if is_file_source(transactions):
        measures = _day_measures_files(transactions, customer_id, date, amount, category,
                                       observation_end)
        if measures is None:  # dates that need the pandas reader
            transactions = read_log_files(transactions, list(dict.fromkeys(
                c for c in (customer_id, date, amount, category) if c is not None)))
    if not is_file_source(transactions):
        if category is not None and category not in transactions.columns:
            raise CRMDataError(f"behavioural_loyalty: column {category!r} not found.")
        measures = _day_measures(transactions, customer_id, date, amount, category, observation_end)
    gap_stats, spend, breadth = measures

    out = pd.DataFrame(index=summ.index)
    out["purchases"] = summ["frequency"] + 1
    out["repeat_purchases"] = summ["frequency"]
    out["tenure_weeks"] = summ["T"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["repeat_rate"] = np.where(summ["T"] > 0, summ["frequency"] / summ["T"], np.nan)
    # From whole-day sums: n gaps, their total and the total of their squares (exact
    # integers), so a CV of exactly 1 (a Poisson-like buyer at the trait's threshold) is
    # 1.0 whichever engine summed, not 1 +/- one rounding step.
    g = gap_stats.reindex(out.index)
    n, s1, s2 = (g[c].fillna(0).to_numpy(dtype=np.int64) for c in ("count", "sum", "sum_squares"))
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = s1 / (7.0 * n)  # weeks
        cv2 = (n * (n * s2 - s1 * s1)) / ((n - 1) * s1 * s1)
        out["regularity_cv"] = np.where(n >= 2, np.sqrt(cv2), np.nan)
        since_last = summ["T"] - summ["recency"]
        out["weeks_since_last"] = since_last
        out["recency_ratio"] = np.where((n >= 1) & (s1 > 0), since_last / mean, np.nan)
    if category is not None:
        out["breadth"] = breadth.reindex(out.index).fillna(0)
    if amount is not None:
        out["monetary_value"] = spend.reindex(out.index) / out["purchases"]
    if p_alive:
        from . import clv  # the CLV module owns the BTYD models

        if model is None:  # convenience: the one fit a caller would otherwise do first
            model = clv.fit_btyd(summ, model=btyd_model)
        out["p_alive"] = np.asarray(model.p_alive(summ), dtype=float)
        if amount is not None and horizon:
            weekly = period_rate(discount_rate, 52)
            out["clv"] = clv.customer_lifetime_value(
                model, out["monetary_value"], summ, horizon=int(horizon),
                discount_rate=weekly,
            ).to_numpy()
    return out


def _day_measures(transactions, customer_id, date, amount, category, observation_end):
    """Gaps between purchase days (days: count, sum, sum of squares), spend and breadth per customer."""
    when = pd.to_datetime(transactions[date], format="mixed").dt.floor("D")
    if getattr(when.dt, "tz", None) is not None:
        when = when.dt.tz_localize(None)
    tx = transactions
    if observation_end is not None:
        # later purchases are outside the window for every measure, not only for RFM
        inside = when <= pd.Timestamp(observation_end)
        tx, when = transactions.loc[inside], when.loc[inside]
    days = pd.DataFrame({"c": tx[customer_id].to_numpy(), "d": when.to_numpy()})
    days = days.drop_duplicates().sort_values(["c", "d"])
    gaps = days.groupby("c")["d"].diff().dt.days  # whole days
    gap_stats = pd.DataFrame({"count": gaps.groupby(days["c"]).count(),
                              "sum": gaps.groupby(days["c"]).sum(),
                              "sum_squares": (gaps * gaps).groupby(days["c"]).sum()})
    spend = tx.groupby(customer_id)[amount].sum() if amount is not None else None
    breadth = None
    if category is not None:
        cats = tx[[customer_id, category]].dropna()
        breadth = cats.groupby(customer_id)[category].nunique()
    return gap_stats, spend, breadth


def _day_measures_files(source, customer_id, date, amount, category, observation_end):
    """:func:`_day_measures` of a Parquet log in DuckDB; None when its dates need pandas."""
    where = "behavioural_loyalty"
    with log_connection(source, where=where) as (con, types):
        if category is not None and category not in types:
            raise CRMDataError(f"{where}: column {category!r} not found.")
        if date not in types or not is_plain_timestamp(types[date]):
            return None  # a missing column or text dates: worded or read by the pandas path
        if amount is not None and not types.get(amount, "").startswith(SQL_NUMBERS):
            return None
        cid, cat = sql_identifier(customer_id), sql_identifier(category or "")
        day = f"date_trunc('day', CAST({sql_identifier(date)} AS TIMESTAMP))"
        inside = "TRUE"
        if observation_end is not None:
            end = pd.Timestamp(observation_end)
            if end.tz is not None:
                return None
            # a day counts when its midnight is not after the end, as in the pandas path
            inside = f"{day} <= {sql_literal(end.floor('us').isoformat())}::TIMESTAMP"
        res = fetch_columns(con, f"""
            WITH days AS (SELECT DISTINCT {cid} AS cid, {day} AS d FROM log WHERE {inside}),
            gaps AS (SELECT cid, date_diff('day', lag(d) OVER (PARTITION BY cid ORDER BY d), d)
                                 AS g FROM days)
            SELECT cid, count(g) AS count, coalesce(sum(g), 0) AS sum,
                   coalesce(sum(g * g), 0) AS sum_squares
            FROM gaps GROUP BY cid ORDER BY cid""")
        index = pd.Index(res.pop("cid"))
        gap_stats = pd.DataFrame(res, index=index)
        spend = breadth = None
        if amount is not None:
            res = fetch_columns(con, f"SELECT {cid} AS cid, fsum(CAST({sql_identifier(amount)} "
                                     f"AS DOUBLE)) AS s FROM log WHERE {inside} GROUP BY {cid}")
            spend = pd.Series(res["s"], index=res["cid"])
        if category is not None:
            # customers without a known category are missing here, as after dropna()
            res = fetch_columns(con, f"SELECT {cid} AS cid, count(DISTINCT {cat}) AS n FROM log "
                                     f"WHERE {inside} AND {cat} IS NOT NULL GROUP BY {cid}")
            breadth = pd.Series(res["n"].astype(np.int64), index=res["cid"])
    return gap_stats, spend, breadth


def _ordered_panel(panel, customer_id, choice, occasion, where) -> pd.DataFrame:
    require_frame(panel, where)
    require_columns(panel, {"customer_id": customer_id, "choice": choice, "occasion": occasion},
                    where, frame="panel")
    bad = panel[choice].isna() | panel[customer_id].isna()
    if bad.any():
        raise CRMDataError(
            f"{where}: missing household id or brand choice: "
            + describe_rows(panel, bad, [customer_id, occasion, choice])
        )
    dup = panel.duplicated([customer_id, occasion], keep=False)
    if dup.any():
        raise CRMDataError(
            f"{where}: column {occasion!r} repeats within a household (order is ambiguous): "
            + describe_rows(panel, dup, [customer_id, occasion, choice])
        )
    return panel.sort_values([customer_id, occasion])


def brand_loyalty(
    panel: pd.DataFrame,
    *,
    customer_id: str = "customer_id",
    choice: str = "choice",
    occasion: str = "occasion",
    price_prefix: str | None = "price.",
    unit_sizes: dict[str, float] | None = None,
    loyal_share: float = 0.8,
) -> pd.DataFrame:
    """Behavioural brand loyalty per household from a brand-choice panel.

    * ``share_favourite`` - share of category requirements (SCR): share of
      the household's purchases that went to its most-bought brand;
    * ``switch_rate`` - share of consecutive purchase pairs with a brand change;
    * ``behaviourally_loyal`` - ``share_favourite >= loyal_share`` (the usual
      cut is 0.8 or 0.5 - state it);
    * with prices: ``favourite_cheapest_share`` - share of the household's
      occasions on which its favourite was the cheapest option, and
      ``favourite_when_dearer`` - share of the occasions *when the favourite
      was not the cheapest* on which the household still bought it.  A loyal
      household that buys its favourite only when it is cheapest is repeat
      buying on price (C4), not on preference; one that pays the premium is
      showing preference.

    Parameters
    ----------
    panel : DataFrame
        One row per purchase occasion, e.g. :func:`crm_analysis.load_brand_panel`.
    customer_id, choice, occasion : str
        Household, chosen option and purchase order columns.
    price_prefix : str or None, default "price."
        Prefix of the per-option price columns (``price.<option>``); None
        skips the price measures.
    unit_sizes : dict, optional
        Option -> pack size, to compare prices per unit (for ketchup, whose
        prices are per bottle of 28, 32 or 41 oz).
    loyal_share : float, default 0.8
        Share of requirements above which a household counts as loyal.

    Returns
    -------
    DataFrame
        Indexed by household: ``purchases``, ``brands``, ``favourite``,
        ``share_favourite``, ``switch_rate``, ``behaviourally_loyal`` and the
        price measures.  Ties for the favourite go to the alphabetically first brand.

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"customer_id": [1, 1, 1, 1], "occasion": [1, 2, 3, 4],
    ...                   "choice": ["a", "a", "b", "a"]})
    >>> brand_loyalty(p, price_prefix=None)[["share_favourite", "switch_rate"]].iloc[0].tolist()
    [0.75, 0.6666666666666666]
    """
    if not 0 < loyal_share <= 1:
        raise CRMDataError(f"brand_loyalty: loyal_share must be in (0, 1], got {loyal_share!r}.")
    df = _ordered_panel(panel, customer_id, choice, occasion, "brand_loyalty")
    counts = df.groupby([customer_id, choice]).size().unstack(fill_value=0)
    counts = counts.reindex(sorted(counts.columns), axis=1)
    n = counts.sum(axis=1)
    favourite = counts.idxmax(axis=1)
    out = pd.DataFrame(index=counts.index)
    out["purchases"] = n
    out["brands"] = (counts > 0).sum(axis=1)
    out["favourite"] = favourite
    out["share_favourite"] = counts.max(axis=1) / n
    prev = df.groupby(customer_id)[choice].shift()
    switched = (df[choice] != prev) & prev.notna()
    pairs = prev.notna().groupby(df[customer_id]).sum()
    out["switch_rate"] = (switched.groupby(df[customer_id]).sum() / pairs.where(pairs > 0)).reindex(
        out.index
    )
    out["behaviourally_loyal"] = out["share_favourite"] >= loyal_share

    if price_prefix is not None:
        price_cols = {c[len(price_prefix):]: c for c in df.columns if str(c).startswith(price_prefix)}
        unknown = sorted(set(df[choice].unique()) - set(price_cols))
        if not price_cols or unknown:
            raise CRMDataError(
                f"brand_loyalty: no price column '{price_prefix}<option>' for option(s) "
                f"{unknown or sorted(df[choice].unique())}; pass price_prefix=None to skip prices."
            )
        options = sorted(price_cols)
        prices = df[[price_cols[o] for o in options]].to_numpy(dtype=float)
        if unit_sizes is not None:
            absent = [o for o in options if o not in unit_sizes]
            if absent:
                raise CRMDataError(f"brand_loyalty: unit_sizes lacks option(s) {absent}.")
            prices = prices / np.array([unit_sizes[o] for o in options], dtype=float)
        fav = favourite.reindex(df[customer_id]).to_numpy()
        fav_pos = np.searchsorted(options, fav)
        fav_price = prices[np.arange(len(df)), fav_pos]
        fav_cheapest = fav_price <= np.nanmin(prices, axis=1) + 1e-12
        bought_fav = df[choice].to_numpy() == fav
        grp = df[customer_id].to_numpy()
        frame = pd.DataFrame({"g": grp, "cheap": fav_cheapest, "dear": ~fav_cheapest,
                              "dear_bought": (~fav_cheapest) & bought_fav})
        agg = frame.groupby("g").sum()
        out["favourite_cheapest_share"] = (agg["cheap"] / n.reindex(agg.index)).reindex(out.index)
        out["favourite_when_dearer"] = (
            agg["dear_bought"] / agg["dear"].where(agg["dear"] > 0)
        ).reindex(out.index)
    out.index.name = customer_id
    return out


def switching_matrix(
    panel: pd.DataFrame,
    *,
    customer_id: str = "customer_id",
    choice: str = "choice",
    occasion: str = "occasion",
    normalize: bool = True,
) -> pd.DataFrame:
    """Brand-to-brand transitions between a household's consecutive purchases.

    Parameters
    ----------
    panel : DataFrame
        One row per purchase occasion.
    customer_id, choice, occasion : str
        Household, chosen brand and purchase order columns.
    normalize : bool, default True
        Rows as shares (probability of the next brand given the last one);
        counts otherwise.  The diagonal is the repeat-purchase probability.

    Returns
    -------
    DataFrame
        Rows = previous brand, columns = next brand (same sorted order).

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2], "occasion": [1, 2, 3, 1, 2],
    ...                   "choice": ["a", "a", "b", "b", "b"]})
    >>> switching_matrix(p, normalize=False).to_numpy().tolist()
    [[1, 1], [0, 1]]
    """
    df = _ordered_panel(panel, customer_id, choice, occasion, "switching_matrix")
    prev = df.groupby(customer_id)[choice].shift()
    pairs = pd.DataFrame({"from": prev, "to": df[choice]}).dropna()
    brands = sorted(df[choice].unique())
    table = pd.crosstab(pairs["from"], pairs["to"]).reindex(index=brands, columns=brands, fill_value=0)
    table.index.name, table.columns.name = "from", "to"
    if normalize:
        return table.div(table.sum(axis=1).where(lambda s: s > 0), axis=0)
    return table


# --------------------------------------------------------------------------
# C26 traits
# --------------------------------------------------------------------------
def _bought_after(transactions, events, kind, customer_id, date, event, event_date):
    ev = events.loc[events[event] == kind, [customer_id, event_date]]
    if ev.empty:
        return None
    first_ev = ev.groupby(customer_id)[event_date].min()
    tx = pd.DataFrame({"c": transactions[customer_id].to_numpy(),
                       "d": pd.to_datetime(transactions[date]).to_numpy()})
    last = tx.groupby("c")["d"].max()
    after = last.reindex(first_ev.index) > pd.to_datetime(first_ev)
    return after


def loyalty_traits(
    behaviour: pd.DataFrame,
    *,
    survey: pd.DataFrame | None = None,
    transactions: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    customer_id: str = "customer_id",
    date: str = "date",
    event: str = "event",
    event_date: str = "date",
    complaint: str = "complaint",
    competitor_offer: str = "competitor_offer",
    recommend: str | None = "recommend",
    resistance: str | None = "resistance_to_switching",
    top_box: float = 9,
    min_repeat: int = 2,
    max_cv: float = 1.0,
    min_categories: int = 2,
) -> pd.DataFrame:
    """Flags for the five traits of a loyal customer that data can show (C26).

    *CRM goals: more, longer, deeper* lists five traits: regular repeat
    purchase, buying several of the firm's products, recommending, immunity
    to competitors' lures, tolerance of occasional mistakes.  Each flag is a
    nullable boolean; ``<NA>`` means the data cannot tell (no survey, no
    complaint on record ...), which is not the same as False.

    * ``regular_repeat``: at least ``min_repeat`` repeat purchases and an
      inter-purchase CV at most ``max_cv`` (1 = as irregular as a Poisson
      buyer); needs ``repeat_purchases`` and ``regularity_cv`` from
      :func:`behavioural_loyalty`.
    * ``multi_category``: ``breadth >= min_categories`` (needs ``breadth``).
    * ``recommends``: survey ``recommend`` answer ``>= top_box``.
    * ``resists_competitors``: bought again after a ``competitor_offer``
      event (behaviour) when events are given, else the survey
      ``resistance`` answer ``>= top_box``.
    * ``tolerates_mistakes``: bought again after a ``complaint`` event.

    Parameters
    ----------
    behaviour : DataFrame
        Output of :func:`behavioural_loyalty`, indexed by customer id.
    survey : DataFrame, optional
        Per-customer answers with a ``customer_id`` column; ``recommend`` and
        ``resistance`` name the (single) item columns to use.
    transactions, events : DataFrame, optional
        The log and an event table (``customer_id``, ``event``, ``event_date``)
        of complaints / service failures and competitor offers received.
    top_box : float, default 9
        Answer at or above which a survey item counts: 9 on the 0-10
        recommendation scale is a "promoter" (Reichheld 2003); on a 1-7 scale use 6.

    Returns
    -------
    DataFrame
        Indexed like ``behaviour``: the five flags (``boolean`` dtype) and
        ``n_traits`` (flags known to be True).

    Examples
    --------
    >>> import pandas as pd
    >>> b = pd.DataFrame({"repeat_purchases": [5, 1], "regularity_cv": [0.4, float("nan")],
    ...                   "breadth": [3, 1]}, index=pd.Index([1, 2], name="customer_id"))
    >>> loyalty_traits(b)["n_traits"].tolist()
    [2, 0]
    """
    require_frame(behaviour, "loyalty_traits",
                  empty="behaviour (the output of behavioural_loyalty()) is empty")
    idx = behaviour.index
    unknown = pd.Series(pd.NA, index=idx, dtype="boolean")
    out = pd.DataFrame(index=idx)

    if {"repeat_purchases", "regularity_cv"} <= set(behaviour.columns):
        cv = behaviour["regularity_cv"]
        flag = (behaviour["repeat_purchases"] >= min_repeat) & (cv <= max_cv)
        out["regular_repeat"] = flag.astype("boolean")
    else:
        out["regular_repeat"] = unknown
    out["multi_category"] = (
        (behaviour["breadth"] >= min_categories).astype("boolean")
        if "breadth" in behaviour.columns else unknown
    )

    answers = None
    if survey is not None:
        require_frame(survey, "loyalty_traits")
        require_columns(survey, {"customer_id": customer_id, "recommend": recommend,
                                 "resistance": resistance}, "loyalty_traits", frame="survey")
        answers = survey.set_index(customer_id).reindex(idx)

    def _survey_flag(col):
        if answers is None or col is None:
            return unknown
        vals = pd.to_numeric(answers[col], errors="coerce")
        return (vals >= top_box).astype("boolean").where(vals.notna(), pd.NA)

    out["recommends"] = _survey_flag(recommend)

    after_offer = after_complaint = None
    if events is not None:
        if transactions is None:
            raise CRMDataError("loyalty_traits: events need the transactions to see who bought after them.")
        require_frame(events, "loyalty_traits")
        require_columns(events, {"customer_id": customer_id, "event": event,
                                 "event_date": event_date}, "loyalty_traits", frame="events")
        require_frame(transactions, "loyalty_traits")
        require_columns(transactions, {"customer_id": customer_id, "date": date},
                        "loyalty_traits", frame="transactions")
        after_offer = _bought_after(transactions, events, competitor_offer, customer_id, date,
                                    event, event_date)
        after_complaint = _bought_after(transactions, events, complaint, customer_id, date,
                                        event, event_date)
    if after_offer is not None:
        out["resists_competitors"] = after_offer.reindex(idx).astype("boolean")
    else:
        out["resists_competitors"] = _survey_flag(resistance)
    out["tolerates_mistakes"] = (
        after_complaint.reindex(idx).astype("boolean") if after_complaint is not None else unknown
    )
    out["n_traits"] = out.fillna(False).astype(int).sum(axis=1)
    return out


# --------------------------------------------------------------------------
# joining attitude and behaviour, and the Dick & Basu matrix (C1, C2)
# --------------------------------------------------------------------------
@dataclass
class JoinedData:
    """Result of :func:`join_survey_behaviour`.

    Attributes
    ----------
    data : DataFrame
        Customers present on both sides, attitude columns then behaviour columns.
    unmatched_survey : Index
        Ids surveyed but absent from the behaviour table.
    unmatched_behaviour : Index
        Ids with behaviour but no survey answer.
    """

    data: pd.DataFrame
    unmatched_survey: pd.Index
    unmatched_behaviour: pd.Index

    def summary(self) -> str:
        """One line: matched and unmatched counts, with example ids."""
        return (
            f"{len(self.data):,} customers matched; "
            f"{len(self.unmatched_survey):,} surveyed without behaviour "
            f"(e.g. {list(self.unmatched_survey[:5])}); "
            f"{len(self.unmatched_behaviour):,} with behaviour but no survey "
            f"(e.g. {list(self.unmatched_behaviour[:5])})."
        )

    def __str__(self) -> str:
        return self.summary()


def join_survey_behaviour(
    survey: pd.DataFrame,
    behaviour: pd.DataFrame,
    *,
    on_unmatched: str = "raise",
) -> JoinedData:
    """Join per-customer attitude and behaviour on the id index, reporting misses.

    Survey samples and transaction logs rarely cover the same customers.  A
    plain inner join would silently shrink the base and bias both sides, so
    ids present on only one side are always reported.

    Parameters
    ----------
    survey, behaviour : DataFrame
        Both indexed by customer id (e.g. ``LoyaltyIndex.scores_`` and the
        output of :func:`behavioural_loyalty`).
    on_unmatched : {"raise", "keep-matched"}, default "raise"
        Raise :class:`CRMDataError` listing the unmatched ids, or keep the
        matched customers and return the unmatched ids in the result.

    Returns
    -------
    JoinedData

    Raises
    ------
    CRMDataError
        Unmatched ids (``on_unmatched="raise"``), duplicated ids, overlapping
        column names, or no id in common.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"loyalty_index": [80.0, 20.0]}, index=[1, 2])
    >>> b = pd.DataFrame({"repeat_rate": [0.5, 0.1]}, index=[2, 3])
    >>> j = join_survey_behaviour(s, b, on_unmatched="keep-matched")
    >>> list(j.data.index), list(j.unmatched_survey), list(j.unmatched_behaviour)
    ([2], [1], [3])
    """
    if on_unmatched not in ("raise", "keep-matched"):
        raise CRMDataError(f"join_survey_behaviour: on_unmatched must be 'raise' or 'keep-matched', got {on_unmatched!r}.")
    for name, frame in (("survey", survey), ("behaviour", behaviour)):
        if not isinstance(frame, pd.DataFrame) or frame.empty:
            raise CRMDataError(f"join_survey_behaviour: {name} must be a non-empty DataFrame.")
        dup = frame.index.duplicated(keep=False)
        if dup.any():
            raise CRMDataError(
                f"join_survey_behaviour: {name} has duplicated customer ids in its index: "
                + describe_rows(frame.reset_index(), dup, [frame.reset_index().columns[0]])
            )
    overlap = sorted(set(survey.columns) & set(behaviour.columns))
    if overlap:
        raise CRMDataError(f"join_survey_behaviour: both tables have column(s) {overlap}; rename one side.")
    only_s = survey.index.difference(behaviour.index)
    only_b = behaviour.index.difference(survey.index)
    common = survey.index.intersection(behaviour.index, sort=False)
    if len(common) == 0:
        raise CRMDataError(
            "join_survey_behaviour: no customer id in common (check id types, e.g. "
            f"{survey.index.dtype} vs {behaviour.index.dtype}); survey ids e.g. "
            f"{list(survey.index[:5])}, behaviour ids e.g. {list(behaviour.index[:5])}."
        )
    result = JoinedData(
        data=survey.loc[common].join(behaviour.loc[common]),
        unmatched_survey=only_s,
        unmatched_behaviour=only_b,
    )
    if (len(only_s) or len(only_b)) and on_unmatched == "raise":
        raise CRMDataError(
            "join_survey_behaviour: ids do not match: " + result.summary()
            + " Pass on_unmatched='keep-matched' to analyse the matched customers only."
        )
    return result


def _two_component_threshold(x: np.ndarray, n_iter: int = 500, tol: float = 1e-10) -> float:
    """Cut between two 1-D Gaussian components fitted by EM (Dempster et al. 1977).

    The cut is where the weighted component densities are equal, between the
    two means; deterministic start at the lower and upper quartiles.
    """
    x = np.asarray(x, dtype=float)
    m = np.quantile(x, [0.25, 0.75])
    s = np.full(2, x.std() / 2 or 1.0)
    w = np.array([0.5, 0.5])
    last = -np.inf
    floor = 1e-6 * (x.std() or 1.0)
    for _ in range(n_iter):
        dens = w / (s * np.sqrt(2 * np.pi)) * np.exp(-0.5 * ((x[:, None] - m) / s) ** 2)
        tot = dens.sum(axis=1, keepdims=True)
        tot[tot == 0] = 1e-300
        r = dens / tot
        ll = np.log(tot).sum()
        nk = r.sum(axis=0)
        if np.any(nk < 1e-8):
            break
        w = nk / len(x)
        m = (r * x[:, None]).sum(axis=0) / nk
        s = np.sqrt((r * (x[:, None] - m) ** 2).sum(axis=0) / nk).clip(min=floor)
        if abs(ll - last) < tol * abs(ll):
            break
        last = ll
    lo, hi = np.argsort(m)
    m1, m2, s1, s2, w1, w2 = m[lo], m[hi], s[lo], s[hi], w[lo], w[hi]
    # log w1 N(x; m1, s1) = log w2 N(x; m2, s2)  <=>  a x^2 + b x + c = 0
    a = 1 / (2 * s2**2) - 1 / (2 * s1**2)
    b = m1 / s1**2 - m2 / s2**2
    c = (m2**2 / (2 * s2**2) - m1**2 / (2 * s1**2)
         + np.log(w1 / s1) - np.log(w2 / s2))
    if abs(a) < 1e-12:
        roots = np.array([-c / b]) if b != 0 else np.array([(m1 + m2) / 2])
    else:
        disc = b * b - 4 * a * c
        roots = np.array([(m1 + m2) / 2]) if disc < 0 else (
            (-b + np.array([-1, 1]) * np.sqrt(disc)) / (2 * a)
        )
    between = roots[(roots >= m1) & (roots <= m2)]
    return float(between[0] if len(between) else (m1 + m2) / 2)


def _threshold(values: pd.Series, rule, axis: str) -> float:
    if isinstance(rule, str):
        if rule not in ("median", "split"):
            raise CRMDataError(
                f"dick_basu_segments: unknown threshold rule {rule!r} for {axis}; use "
                "'median', 'split' or a number."
            )
        if values.nunique() < 2:
            raise CRMDataError(
                f"dick_basu_segments: column {values.name!r} ({axis}) has a single value "
                f"({float(values.iloc[0]):g}); a {rule!r} cut cannot split it. Give a number."
            )
        if rule == "median":
            return float(values.median())
        return _two_component_threshold(values.to_numpy())
    try:
        return float(rule)
    except (TypeError, ValueError):
        raise CRMDataError(
            f"dick_basu_segments: threshold for {axis} must be 'median', 'split' or a "
            f"number, got {rule!r}."
        ) from None


@dataclass
class DickBasuResult:
    """Result of :func:`dick_basu_segments`.

    Attributes
    ----------
    labels_ : Series
        Segment per customer (ordered categorical of :data:`DICK_BASU_SEGMENTS`).
    thresholds_ : dict
        ``{"attitude": cut, "patronage": cut}``; high means strictly above the cut.
    data_ : DataFrame
        The input columns used plus ``segment``.
    columns_ : dict
        Role -> column name (attitude, patronage, clv, lapse, satisfaction).
    """

    labels_: pd.Series
    thresholds_: dict
    data_: pd.DataFrame
    columns_: dict = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Per cell: count, share, mean attitude and patronage, and the optional
        mean CLV, lapse rate and mean satisfaction.  All four cells always appear."""
        d = self.data_
        g = d.groupby("segment", observed=False)
        cols = self.columns_
        out = pd.DataFrame({"customers": g.size()})
        out["share"] = out["customers"] / out["customers"].sum()
        out["mean_attitude"] = g[cols["attitude"]].mean()
        out["mean_patronage"] = g[cols["patronage"]].mean()
        for role, name in (("clv", "mean_clv"), ("lapse", "lapse_rate"),
                           ("satisfaction", "mean_satisfaction")):
            if cols.get(role) is not None:
                out[name] = g[cols[role]].mean()
        return out.reindex(list(DICK_BASU_SEGMENTS))


def dick_basu_segments(
    data: pd.DataFrame,
    *,
    attitude: str = "loyalty_index",
    patronage: str = "repeat_rate",
    thresholds="median",
    clv: str | None = None,
    lapse: str | None = None,
    satisfaction: str | None = None,
) -> DickBasuResult:
    """Dick & Basu's loyalty matrix: relative attitude x repeat patronage (C1).

    * true loyalty - high attitude, high patronage;
    * latent loyalty - high attitude, low patronage (likes you, buys little:
      remove the obstacles);
    * spurious loyalty - low attitude, high patronage (habit, convenience,
      lock-in: at risk as soon as a barrier falls or a rival comes close);
    * no loyalty - low on both.

    Parameters
    ----------
    data : DataFrame
        One row per customer (e.g. :attr:`JoinedData.data`); never modified.
    attitude, patronage : str
        Columns of the attitude measure (e.g. the loyalty index) and of the
        behaviour measure (e.g. repeat rate).
    thresholds : rule or (rule, rule), default "median"
        A rule for both axes or a pair ``(attitude_rule, patronage_rule)``;
        a dict with keys ``"attitude"``, ``"patronage"`` also works.  A rule
        is ``"median"``, ``"split"`` (the cut where a two-component Gaussian
        mixture fitted by EM switches component, for bimodal measures) or a
        number (a chosen cut, e.g. 70 on a 0-100 index).  "High" means
        *strictly above* the cut, so with ``"median"`` customers tied at the
        median are low.
    clv, lapse, satisfaction : str, optional
        Columns summarised per cell: mean CLV, lapse (churn) rate of a 0/1
        column, mean satisfaction.

    Returns
    -------
    DickBasuResult
        ``labels_``, ``thresholds_``, ``summary()``.

    Raises
    ------
    CRMDataError
        Missing columns, missing or non-numeric values (rows shown), an axis
        with one distinct value under "median"/"split", an unknown rule.

    References
    ----------
    Dick, A. S. & Basu, K. (1994). Customer loyalty: toward an integrated
    conceptual framework. *Journal of the Academy of Marketing Science*,
    22(2), 99-113.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"loyalty_index": [90, 80, 20, 10], "repeat_rate": [0.9, 0.1, 0.8, 0.2]})
    >>> dick_basu_segments(d, thresholds=(50, 0.5)).labels_.tolist()
    ['true loyalty', 'latent loyalty', 'spurious loyalty', 'no loyalty']
    """
    require_frame(data, "dick_basu_segments")
    require_columns(data, {"attitude": attitude, "patronage": patronage, "clv": clv,
                           "lapse": lapse, "satisfaction": satisfaction}, "dick_basu_segments")
    if isinstance(thresholds, dict):
        unknown = set(thresholds) - {"attitude", "patronage"}
        if unknown:
            raise CRMDataError(f"dick_basu_segments: thresholds dict keys must be 'attitude', 'patronage'; got {sorted(unknown)}.")
        rules = (thresholds.get("attitude", "median"), thresholds.get("patronage", "median"))
    elif isinstance(thresholds, (tuple, list)):
        if len(thresholds) != 2:
            raise CRMDataError(f"dick_basu_segments: thresholds must be a rule or a pair of rules, got {thresholds!r}.")
        rules = tuple(thresholds)
    else:
        rules = (thresholds, thresholds)

    cols = [c for c in dict.fromkeys([attitude, patronage, clv, lapse, satisfaction]) if c is not None]
    d = data[cols].copy()
    for role, col in (("attitude", attitude), ("patronage", patronage)):
        num = pd.to_numeric(d[col], errors="coerce")
        bad = num.isna()
        if bad.any():
            raise CRMDataError(
                f"dick_basu_segments: column {col!r} ({role}) has missing or non-numeric "
                "values (e.g. customers with too few purchases for the measure; drop or "
                "fill them first): " + describe_rows(data, bad, [attitude, patronage])
            )
        d[col] = num.astype(float)
    cut_a = _threshold(d[attitude], rules[0], "attitude")
    cut_p = _threshold(d[patronage], rules[1], "patronage")
    high_a = d[attitude].to_numpy() > cut_a
    high_p = d[patronage].to_numpy() > cut_p
    names = [_CELL[(bool(a), bool(p))] for a, p in zip(high_a, high_p, strict=True)]
    labels = pd.Series(
        pd.Categorical(names, categories=list(DICK_BASU_SEGMENTS)), index=d.index, name="segment"
    )
    d["segment"] = labels
    return DickBasuResult(
        labels_=labels,
        thresholds_={"attitude": cut_a, "patronage": cut_p},
        data_=d,
        columns_={"attitude": attitude, "patronage": patronage, "clv": clv,
                  "lapse": lapse, "satisfaction": satisfaction},
    )


def segment_agreement(truth: pd.Series, predicted: pd.Series) -> pd.DataFrame:
    """Cross-table of true vs assigned segments, as row shares, with accuracy.

    Parameters
    ----------
    truth, predicted : Series
        Labels per customer on the same index (order may differ).

    Returns
    -------
    DataFrame
        Rows = true segment, columns = assigned segment, cells = share of the
        row; ``attrs["accuracy"]`` = share on the diagonal over all customers
        (labels compared by name) and ``attrs["n"]``.

    Raises
    ------
    CRMDataError
        Indexes that do not match (the unmatched ids are listed).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.Series(["a", "a", "b", "b"])
    >>> segment_agreement(t, pd.Series(["a", "b", "b", "b"])).attrs["accuracy"]
    0.75
    """
    only_t = truth.index.difference(predicted.index)
    only_p = predicted.index.difference(truth.index)
    if len(only_t) or len(only_p):
        raise CRMDataError(
            f"segment_agreement: ids differ: {len(only_t)} only in truth "
            f"(e.g. {list(only_t[:5])}), {len(only_p)} only in predicted (e.g. {list(only_p[:5])})."
        )
    p = predicted.reindex(truth.index)
    t_str, p_str = truth.astype(str), p.astype(str)
    table = pd.crosstab(t_str, p_str, normalize="index")
    order_t = [c for c in _label_order(truth) if c in table.index]
    order_p = [c for c in _label_order(p) if c in table.columns]
    table = table.reindex(index=order_t, columns=order_p, fill_value=0.0)
    table.index.name, table.columns.name = "true segment", "assigned segment"
    table.attrs["accuracy"] = float((t_str.to_numpy() == p_str.to_numpy()).mean())
    table.attrs["n"] = len(truth)
    return table


def _label_order(s: pd.Series) -> list[str]:
    if isinstance(s.dtype, pd.CategoricalDtype):
        return [str(c) for c in s.cat.categories]
    return sorted(s.astype(str).unique())
