"""Customer equity as more x longer x deeper, and what each growth lever is worth.

The seed text *CRM goals: more, longer, deeper* says a firm grows its
customer relationships in three directions: more relationships, longer
relationships and deeper (better) relationships, and draws each relationship
as a cylinder whose height is its lifetime and whose thickness is its quality
(concept C22).  Customer equity then factorises, group by group, as

    equity_g = N_g x L_g x m_g

with ``N_g`` live relationships, ``L_g`` the expected (discounted) lifetime in
periods and ``m_g`` the value (margin) per period of a live relationship.
Under a constant per-period retention rate ``r`` and discount rate ``d``, with
each period's value received at the end of the period and the relationship
surviving into the next period with probability ``r``,

    L(r, d, H) = sum_{k=1..H} r^(k-1) / (1 + d)^k
               = (1 - q^H) / (1 + d - r),   q = r / (1 + d),

and ``L = 1 / (1 + d - r)`` for an unlimited horizon (``1 / (1 - r)`` periods
without discounting: the mean of a geometric lifetime).

:func:`expected_lifetime` and :func:`equity_decomposition` compute this
closed form; :func:`base_from_model` calibrates ``N``, ``L`` (hence ``r``) and
``m`` per customer group from a fitted buy-till-you-die model of a real base
(the public API of :mod:`crm_analysis.clv`), so that ``N x L x m`` equals the
model's customer equity; :func:`lever_simulation` then raises acquisition
(more), cuts defections (longer) and raises value per period (deeper), each by
a stated *proportion*, separately and together, and reports the interaction;
:meth:`LeverResult.return_on_effort` sets each lever's gain against its cost.
:func:`value_elasticities` gives the Gupta, Lehmann & Stuart (2004) frame on
the same closed form: the percentage change in the value of a customer from a
1% better retention rate, 1% fewer defections, 1% more margin and a 1% lower
acquisition cost.

The levers are proportional on purpose.  "+2 points of retention" is not a
lever of fixed size: on a base that already keeps 98.4% of its live
relationships a month it means cutting monthly defections by 2 / 1.6 =
125%, impossible, and on one that keeps 80% it means a 10% cut.  "10% fewer
defections" means the same effort everywhere and never needs a cap.

References
----------
Blattberg, R. C. & Deighton, J. (1996). Manage marketing by the customer
equity test. *Harvard Business Review*, 74(4), 136-144.
Gupta, S., Lehmann, D. R. & Stuart, J. A. (2004). Valuing customers. *Journal
of Marketing Research*, 41(1), 7-18.
Rust, R. T., Lemon, K. N. & Zeithaml, V. A. (2004). Return on marketing: using
customer equity to focus marketing strategy. *Journal of Marketing*, 68(1),
109-127.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from ._checks import numeric_column, require_columns, require_frame
from ._deprecation import renamed_kwargs
from .discounting import geometric_annuity
from .errors import CRMDataError, describe_rows

__all__ = [
    "LeverResult",
    "expected_lifetime",
    "implied_retention",
    "equity_decomposition",
    "base_from_model",
    "lever_simulation",
    "lever_sensitivity",
    "value_elasticities",
]

_MAX_RETENTION = 0.999


def _check_rates(retention, discount: float, horizon, where: str) -> None:
    r = np.asarray(retention, dtype=float)
    if np.isnan(r).any() or (r < 0).any() or (r > 1).any():
        raise CRMDataError(f"{where}: retention must lie in [0, 1], got {retention!r}.")
    if not np.isfinite(discount) or discount < 0:
        raise CRMDataError(f"{where}: discount_rate must be >= 0 per period, got {discount!r}.")
    if horizon is None:
        if discount == 0 and (r >= 1).any():
            raise CRMDataError(f"{where}: retention 1 with no discounting and no horizon gives an "
                               "infinite lifetime; set horizon= or discount_rate > 0.")
    elif not isinstance(horizon, (int, np.integer)) or horizon <= 0:
        raise CRMDataError(
            f"{where}: horizon must be a positive whole number of periods, got {horizon!r}.")


@renamed_kwargs(discount="discount_rate")
def expected_lifetime(
    retention: float | np.ndarray,
    *,
    discount_rate: float = 0.0,
    horizon: int | None = None,
) -> float | np.ndarray:
    """Expected discounted lifetime of a live relationship, in periods.

    L = sum_{k=1..H} r^(k-1) / (1 + d)^k, i.e. the present value of one unit
    of value per period received at the end of each period survived (the
    "end" timing of :func:`crm_analysis.discounting.geometric_annuity`).

    Parameters
    ----------
    retention : float or array
        Probability a live relationship survives one more period, in [0, 1].
    discount_rate : float, default 0.0
        Discount rate per period.
    horizon : int, optional
        Periods counted; unlimited when omitted.

    Returns
    -------
    float or ndarray

    Raises
    ------
    CRMDataError
        Retention outside [0, 1], negative discount_rate, bad horizon, or an
        infinite lifetime (r = 1, d = 0, no horizon).

    Examples
    --------
    >>> round(expected_lifetime(0.8), 10)   # 1 / (1 - 0.8): geometric mean lifetime
    5.0
    >>> round(expected_lifetime(0.8, discount_rate=0.1), 4)   # 1 / (1.1 - 0.8)
    3.3333
    """
    _check_rates(retention, discount_rate, horizon, "expected_lifetime")
    # One unit per period survived, paid at the period's end.
    return geometric_annuity(retention, discount_rate, horizon=horizon, timing="end")


@renamed_kwargs(discount="discount_rate")
def implied_retention(
    lifetime: float, *, discount_rate: float = 0.0, horizon: int | None = None
) -> float:
    """The retention rate whose :func:`expected_lifetime` equals ``lifetime`` (inverse).

    Raises
    ------
    CRMDataError
        When no retention in [0, 1] gives that lifetime.

    Examples
    --------
    >>> round(implied_retention(5.0), 6)
    0.8
    """
    lo = expected_lifetime(0.0, discount_rate=discount_rate, horizon=horizon)
    top = 1.0 if (horizon is not None or discount_rate > 0) else _MAX_RETENTION
    hi = expected_lifetime(top, discount_rate=discount_rate, horizon=horizon)
    if not lo - 1e-9 <= lifetime <= hi + 1e-9:
        raise CRMDataError(f"implied_retention: no retention rate in [0, 1] gives a lifetime of {lifetime:.4g} "
                           f"periods (possible: {lo:.4g} to {hi:.4g}).")
    if lifetime <= lo:
        return 0.0
    if lifetime >= hi:
        return top
    return float(optimize.brentq(
        lambda r: expected_lifetime(r, discount_rate=discount_rate, horizon=horizon) - lifetime,
        0.0, top, xtol=1e-12))


@renamed_kwargs(discount="discount_rate")
def equity_decomposition(
    groups: pd.DataFrame,
    *,
    customers: str = "customers",
    retention: str = "retention",
    value: str = "value",
    discount_rate: float = 0.0,
    horizon: int | None = None,
) -> pd.DataFrame:
    """Customer equity of each group as customers x expected lifetime x value per period.

    Parameters
    ----------
    groups : DataFrame
        One row per customer group (index = group name) with the number of
        live relationships, the per-period retention rate and the value
        (margin) per period of a live relationship.  Never modified.
    customers, retention, value : str
        Column names.
    discount_rate : float, default 0.0
        Discount rate per period.
    horizon : int, optional
        Periods counted; unlimited when omitted.

    Returns
    -------
    DataFrame
        Per group plus a ``"total"`` row: ``customers``, ``retention``,
        ``expected_lifetime`` (periods), ``value`` (per period), ``clv``
        (= lifetime x value, per customer), ``equity`` (= customers x clv)
        and ``share`` of total equity.  In the total row retention, lifetime
        and value are customer-weighted means, and ``clv`` = equity /
        customers.

    Raises
    ------
    CRMDataError
        Missing columns, negative customers or values, retention outside
        [0, 1].

    Examples
    --------
    >>> g = pd.DataFrame({"customers": [100, 50], "retention": [0.5, 0.8],
    ...                   "value": [10.0, 20.0]}, index=["light", "heavy"])
    >>> equity_decomposition(g)["equity"].round(6).tolist()   # 100*2*10, 50*5*20
    [2000.0, 5000.0, 7000.0]
    """
    where = "equity_decomposition"
    require_frame(groups, where, empty="no customer groups")
    require_columns(groups, {"customers": customers, "retention": retention, "value": value},
                    where, frame="groups")
    n, r, m = (numeric_column(groups, col, where, finite=False).to_numpy() for col in
               (customers, retention, value))
    for col, x, lo, hi in ((customers, n, 0, np.inf), (retention, r, 0, 1), (value, m, 0, np.inf)):
        bad = (x < lo) | (x > hi)
        if bad.any():
            raise CRMDataError(f"{where}: column {col!r} must be numeric in [{lo}, {hi}]; "
                               f"offending {describe_rows(groups, bad)}")
    life = np.atleast_1d(expected_lifetime(r, discount_rate=discount_rate, horizon=horizon))
    out = pd.DataFrame({"customers": n, "retention": r, "expected_lifetime": life,
                        "value": m, "clv": life * m, "equity": n * life * m},
                       index=groups.index)
    total_n = n.sum()
    w = n / total_n if total_n > 0 else np.full(len(n), 1 / len(n))
    total = pd.DataFrame({
        "customers": [total_n], "retention": [w @ r], "expected_lifetime": [w @ life],
        "value": [w @ m], "clv": [out["equity"].sum() / total_n if total_n else np.nan],
        "equity": [out["equity"].sum()],
    }, index=["total"])
    out = pd.concat([out, total])
    out["share"] = out["equity"] / out.loc["total", "equity"] if total["equity"].item() else np.nan
    out.index.name = groups.index.name or "group"
    return out


@renamed_kwargs(discount="discount_rate")
def base_from_model(
    transaction_model,
    spend_model,
    summary: pd.DataFrame,
    *,
    by=None,
    period: str | float = "M",
    horizon: int = 36,
    discount_rate: float = 0.01,
    margin: float = 1.0,
) -> pd.DataFrame:
    """Customers, retention and value per period of each group, from a fitted BTYD model.

    Uses only the public API of :mod:`crm_analysis.clv`: ``p_alive`` and
    ``expected_purchases`` of the transaction model (e.g. from
    :func:`crm_analysis.fit_btyd`), the spend model (e.g. from
    :func:`crm_analysis.fit_gamma_gamma`) and
    :func:`crm_analysis.customer_lifetime_value`.  Per group:

    * ``customers`` N = sum of P(alive): the live relationships today;
    * ``value`` m = margin x expected spend x expected purchases in the
      next period, summed over the group and divided by N: the value per
      period of a live relationship;
    * ``expected_lifetime`` L = group CLV / (N m), the discounted lifetime
      the model implies; ``retention`` is the constant per-period rate with
      that lifetime (:func:`implied_retention`).

    By construction N x L x m equals the model's customer equity of the
    group, so the decomposition starts from the fitted base exactly; the
    constant-retention reading of L is the simplification that lets the
    levers be pulled one at a time.

    Parameters
    ----------
    transaction_model : BTYDModel
        Fitted transaction model with a ``time_unit``.
    spend_model : SpendModel, float or Series
        Expected spend per transaction.
    summary : DataFrame
        The RFM summary the model was fitted to.
    by : str, Series or array, optional
        Group labels (a column of ``summary`` or values aligned with it); one
        group ``"all customers"`` when omitted.  Groups come out in sorted
        order, or in category order for a categorical.
    period : {"W", "M", "Q", "Y"} or float, default "M"
        Length of one period (as in :func:`crm_analysis.customer_lifetime_value`).
    horizon : int, default 36
        Periods of CLV.
    discount_rate : float, default 0.01
        Discount rate per period.
    margin : float, default 1.0
        Margin as a share of spend.  Customer equity is a sum of margins:
        the default 1.0 values revenue, so pass the firm's margin (or state
        the assumption) before comparing levers or quoting equity.

    Returns
    -------
    DataFrame
        Per group: ``customers``, ``retention``, ``value``,
        ``expected_lifetime``, ``clv_model`` (the model's group equity); feed
        it to :func:`equity_decomposition` / :func:`lever_simulation` with the
        same ``discount`` and ``horizon``.
    """
    from .clv import customer_lifetime_value

    clv = customer_lifetime_value(transaction_model, spend_model, summary, horizon=horizon,
                                  discount_rate=discount_rate, margin=margin, freq=period)
    alive = transaction_model.p_alive(summary)
    # One period's expected purchases, in model time units: the CLV of a one-period
    # horizon without discounting is margin x spend x E[X(one period)].
    first = customer_lifetime_value(transaction_model, spend_model, summary, horizon=1,
                                    discount_rate=0.0, margin=margin, freq=period)
    if by is None:
        labels = pd.Series("all customers", index=summary.index)
    elif isinstance(by, str):
        require_columns(summary, {"by": by}, "base_from_model", frame="summary")
        labels = summary[by]
    elif isinstance(by, pd.Series):
        labels = by.reindex(summary.index)      # keeps a categorical's group order
    else:
        labels = pd.Series(np.asarray(by), index=summary.index)
    if labels.isna().any():
        raise CRMDataError("base_from_model: group labels missing for "
                           + describe_rows(summary, labels.isna()))
    frame = pd.DataFrame({"g": labels.array, "alive": alive.to_numpy(),
                          "first": first.to_numpy(), "clv": clv.to_numpy()})
    agg = frame.groupby("g", observed=True, sort=True)[["alive", "first", "clv"]].sum()
    out = pd.DataFrame(index=agg.index)
    out.index.name = "group"
    out["customers"] = agg["alive"]
    out["value"] = agg["first"] / agg["alive"]
    out["expected_lifetime"] = agg["clv"] / agg["first"]
    out["retention"] = [implied_retention(v, discount_rate=discount_rate, horizon=horizon)
                        for v in out["expected_lifetime"]]
    out["clv_model"] = agg["clv"]
    return out[["customers", "retention", "value", "expected_lifetime", "clv_model"]]


@dataclass
class LeverResult:
    """Equity under each combination of the three growth levers (:func:`lever_simulation`).

    Attributes
    ----------
    table : DataFrame
        One row per scenario (``base``, ``more``, ``longer``, ``deeper``, the
        three pairs and ``all three``): ``more``/``longer``/``deeper`` flags,
        ``customers``, ``expected_lifetime``, ``value``, ``equity``,
        ``change`` and ``change_pct`` against the base.
    interaction_ : float
        Change of ``all three`` minus the sum of the three single changes:
        what the levers add by working together.
    settings : dict
        The lever sizes used (``acquisition``, ``defection``, ``spend``, as
        proportions) and ``discount``, ``horizon``.
    """

    table: pd.DataFrame
    interaction_: float
    settings: dict

    def waterfall(self) -> pd.DataFrame:
        """Steps from base equity to all-three equity: each lever alone, then the interaction."""
        t = self.table["change"]
        steps = pd.DataFrame({
            "step": ["base", "more", "longer", "deeper", "interaction", "all three"],
            "amount": [self.table.loc["base", "equity"], t["more"], t["longer"], t["deeper"],
                       self.interaction_, self.table.loc["all three", "equity"]],
            "kind": ["total", "lever", "lever", "lever", "interaction", "total"],
        })
        return steps

    def summary(self) -> pd.DataFrame:
        """Equity change per scenario (the ``table``'s key columns)."""
        return self.table[["equity", "change", "change_pct"]]

    def return_on_effort(self, costs: Mapping[str, float]) -> pd.DataFrame:
        """Each single lever's equity gain set against what it costs to pull.

        A lever's size says nothing about its price: 5% more customers may
        cost a large acquisition budget, 5% fewer defections a retention
        programme for every live relationship.  Comparing levers by their gain
        alone ranks them by size, not by return.

        Parameters
        ----------
        costs : mapping
            Total cost (same currency and discounting as equity) of pulling
            ``"more"``, ``"longer"`` and/or ``"deeper"`` by the sizes in
            ``settings``.  Levers left out are skipped.

        Returns
        -------
        DataFrame
            Index = lever; ``change`` (equity gain), ``cost``, ``net``
            (gain - cost) and ``return_per_unit_cost`` (gain / cost; NaN for a
            zero cost, with a ``note``), sorted by that return, best first.

        Raises
        ------
        CRMDataError
            Unknown lever name, or a negative or non-finite cost.

        Examples
        --------
        >>> g = pd.DataFrame({"customers": [100.0], "retention": [0.8], "value": [10.0]})
        >>> res = lever_simulation(g, acquisition=0.1, defection=0.1, spend=0.1)
        >>> roe = res.return_on_effort({"more": 1000.0, "deeper": 50.0})   # each lever gains 500
        >>> roe["return_per_unit_cost"].round(6).to_dict()
        {'deeper': 10.0, 'more': 0.5}
        """
        levers = ("more", "longer", "deeper")
        unknown = sorted(set(costs) - set(levers))
        if unknown:
            raise CRMDataError(f"return_on_effort: unknown lever(s) {unknown}; use {list(levers)}.")
        rows = {}
        for lever in levers:
            if lever not in costs:
                continue
            c = float(costs[lever])
            if not np.isfinite(c) or c < 0:
                raise CRMDataError(f"return_on_effort: cost of {lever!r} must be a finite "
                                   f"amount >= 0, got {costs[lever]!r}.")
            gain = float(self.table.loc[lever, "change"])
            rows[lever] = {"change": gain, "cost": c, "net": gain - c,
                           "return_per_unit_cost": gain / c if c > 0 else np.nan,
                           "note": "" if c > 0 else "zero cost: return undefined"}
        out = pd.DataFrame.from_dict(rows, orient="index")
        out.index.name = "lever"
        return out.sort_values("return_per_unit_cost", ascending=False, na_position="last")


def _new_retention(r: np.ndarray, defection: float, index, where: str) -> np.ndarray:
    """Retention after cutting each group's defection rate 1 - r by ``defection`` x 100%."""
    new = 1 - (1 - r) * (1 - defection)
    bad = (new < 0) | (new > 1)
    if bad.any():
        raise CRMDataError(f"{where}: a defection change of {np.round(defection, 4)} takes "
                           f"retention outside [0, 1] for groups {list(np.asarray(index)[bad][:5])}.")
    return new


def _resolve_defection(base, defection, retention, retention_col, where):
    """Accept the deprecated absolute ``retention`` lever by converting it, never by clipping."""
    if retention is None:
        return defection
    warnings.warn(f"{where}(retention=...) in points is deprecated: pass defection=, the "
                  "proportional cut in per-period defections (0.1 = 10% fewer defections). "
                  "The points are converted group by group to that cut.",
                  DeprecationWarning, stacklevel=3)
    r = np.asarray(base[retention_col], dtype=float)
    if (r + retention > 1).any() or (r + retention < 0).any():
        raise CRMDataError(f"{where}: +{retention} points of retention takes groups "
                           f"{list(base.index[(r + retention > 1) | (r + retention < 0)][:5])} "
                           "outside [0, 1]; use defection= (a proportional cut) instead.")
    # Points x on a defection rate 1 - r are a cut of x / (1 - r): one size per group.
    return retention / (1 - r)


@renamed_kwargs(discount="discount_rate")
def lever_simulation(
    base: pd.DataFrame,
    *,
    acquisition: float = 0.05,
    defection: float = 0.05,
    spend: float = 0.05,
    discount_rate: float = 0.0,
    horizon: int | None = None,
    customers: str = "customers",
    retention_col: str = "retention",
    value: str = "value",
    retention: float | None = None,
) -> LeverResult:
    """Customer equity when each growth lever is pulled, alone and together.

    All three levers are proportional changes of the same kind, so their
    sizes can be compared:

    * more: every group gains ``acquisition`` x 100% relationships (new
      customers assumed to behave like the group's current ones);
    * longer: each group's per-period defection rate 1 - r falls by
      ``defection`` x 100% (0.1: a tenth fewer relationships end each
      period), so r becomes 1 - (1 - r)(1 - defection);
    * deeper: value per period rises by ``spend`` x 100% (cross-sell, up-sell).

    Nothing is clipped: a lever that would take retention outside [0, 1]
    raises.  Equity is multiplicative in the three, so pulling them together
    gives more than the sum of the single effects: with one group, no horizon
    and discount rate d, equity = N m / (d + δ) with defection rate δ = 1 - r, and
    the all-three equity is (1 + a)(1 + s) N m / (d + (1 - x) δ).

    Parameters
    ----------
    base : DataFrame
        Groups with ``customers``, ``retention`` and ``value`` (e.g. from
        :func:`base_from_model`); ``value`` should be a margin, not revenue.
    acquisition : float, default 0.05
        Relative increase in the number of relationships (> -1).
    defection : float, default 0.05
        Relative cut in the per-period defection rate (negative: more
        defections).
    spend : float, default 0.05
        Relative increase of value per period (> -1).
    discount_rate, horizon :
        As in :func:`equity_decomposition`.
    customers, retention_col, value : str
        Column names in ``base``.
    retention : float, optional
        Deprecated: the former absolute lever in points of retention.  It is
        converted, group by group, to the proportional cut it implies (x /
        (1 - r)), with a ``DeprecationWarning``; it is never clipped.

    Returns
    -------
    LeverResult

    Raises
    ------
    CRMDataError
        A lever size of -100% or less, or a defection change that takes
        retention outside [0, 1].

    Examples
    --------
    >>> g = pd.DataFrame({"customers": [100.0], "retention": [0.8], "value": [10.0]})
    >>> res = lever_simulation(g, acquisition=0.1, defection=0.5, spend=0.1)
    >>> round(float(res.table.loc["all three", "equity"]), 6)   # 110 * 11 / (1 - 0.9)
    12100.0
    """
    where = "lever_simulation"
    if min(acquisition, spend) <= -1:
        raise CRMDataError(f"{where}: acquisition and spend changes must be above -100%.")
    frame = base.rename(columns={customers: "customers", retention_col: "retention",
                                 value: "value"})
    require_columns(frame, {"customers": "customers", "retention": "retention", "value": "value"},
                    where, frame="base")
    cut = _resolve_defection(frame, defection, retention, "retention", where)
    over = np.broadcast_to(np.asarray(cut, dtype=float) > 1, (len(frame),))
    if over.any():
        raise CRMDataError(f"{where}: defection cut above 100% for groups "
                           f"{list(frame.index[over][:5])}.")
    rows = {}
    combos = {"base": (0, 0, 0), "more": (1, 0, 0), "longer": (0, 1, 0), "deeper": (0, 0, 1),
              "more + longer": (1, 1, 0), "more + deeper": (1, 0, 1),
              "longer + deeper": (0, 1, 1), "all three": (1, 1, 1)}
    r0 = frame["retention"].to_numpy(float)
    for name, (a, b, c) in combos.items():
        g = frame[["customers", "retention", "value"]].copy()
        g["customers"] = g["customers"] * (1 + acquisition * a)
        if b:
            g["retention"] = _new_retention(r0, cut, frame.index, where)
        g["value"] = g["value"] * (1 + spend * c)
        dec = equity_decomposition(g, discount_rate=discount_rate, horizon=horizon)
        tot = dec.loc["total"]
        rows[name] = {"more": bool(a), "longer": bool(b), "deeper": bool(c),
                      "customers": tot["customers"], "expected_lifetime": tot["expected_lifetime"],
                      "value": tot["value"], "equity": tot["equity"]}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "scenario"
    base_eq = table.loc["base", "equity"]
    table["change"] = table["equity"] - base_eq
    table["change_pct"] = 100 * table["change"] / base_eq if base_eq else np.nan
    inter = table.loc["all three", "change"] - table.loc[["more", "longer", "deeper"], "change"].sum()
    return LeverResult(table=table, interaction_=float(inter),
                       settings={"acquisition": acquisition,
                                 "defection": cut if retention is None else retention,
                                 "defection_is_points": retention is not None,
                                 "spend": spend, "discount": discount_rate, "horizon": horizon})


@renamed_kwargs(discount="discount_rate")
def lever_sensitivity(
    base: pd.DataFrame,
    *,
    acquisition: float = 0.05,
    defection: float = 0.05,
    spend: float = 0.05,
    discount_rate: float = 0.0,
    horizon: int | None = None,
    retention: float | None = None,
) -> pd.DataFrame:
    """Equity change when each lever moves down and up by the same proportion (tornado data).

    Each lever is moved alone by -size and +size with the others held at the
    base: customers and value per period by ±size x 100%, the defection rate
    by ∓size x 100% (the "up" move of *longer* is fewer defections).

    Parameters
    ----------
    base : DataFrame
        Groups with ``customers``, ``retention`` and ``value``.
    acquisition, defection, spend : float
        Lever sizes, as in :func:`lever_simulation`.
    discount_rate, horizon :
        As in :func:`equity_decomposition`.
    retention : float, optional
        Deprecated absolute lever in points (see :func:`lever_simulation`).

    Returns
    -------
    DataFrame
        Index ``more``, ``longer``, ``deeper``; columns ``low`` and ``high``
        (equity change for -size and +size), ``range`` (high - low), and
        ``size``; sorted by range, largest first.

    Examples
    --------
    >>> g = pd.DataFrame({"customers": [100.0], "retention": [0.5], "value": [1.0]})
    >>> lever_sensitivity(g, acquisition=0.1)["low"]["more"].round(6)   # -10% of 200
    np.float64(-20.0)
    """
    if retention is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            cut = _resolve_defection(base, defection, retention, "retention", "lever_sensitivity")
        warnings.warn("lever_sensitivity(retention=...) in points is deprecated: pass defection=.",
                      DeprecationWarning, stacklevel=2)
        defection = cut
    down = lever_simulation(base, acquisition=-acquisition, defection=-np.asarray(defection),
                            spend=-spend, discount_rate=discount_rate, horizon=horizon).table["change"]
    up = lever_simulation(base, acquisition=acquisition, defection=defection, spend=spend,
                          discount_rate=discount_rate, horizon=horizon).table["change"]
    levers = ["more", "longer", "deeper"]
    size = float(np.mean(defection)) if np.ndim(defection) else float(defection)
    out = pd.DataFrame({"low": down[levers].to_numpy(), "high": up[levers].to_numpy(),
                        "size": [acquisition, size, spend]}, index=pd.Index(levers, name="lever"))
    out["range"] = out["high"] - out["low"]
    return out.sort_values("range", ascending=False)[["low", "high", "range", "size"]]


def _lifetime_derivative(r: float, d: float, horizon: int | None) -> float:
    """dL/dr of :func:`expected_lifetime` in closed form."""
    if horizon is None:
        return 1 / (1 + d - r) ** 2
    q = r / (1 + d)
    if np.isclose(q, 1.0):
        # L = sum_k r^(k-1) / (1+d)^k; at r = 1 + d: sum_k (k-1) / (1+d)^2 = H(H-1) / 2 / (1+d)^2
        return horizon * (horizon - 1) / 2 / (1 + d) ** 2
    num = -horizon * q ** (horizon - 1) / (1 + d) * (1 + d - r) + (1 - q ** horizon)
    return num / (1 + d - r) ** 2


@renamed_kwargs(discount="discount_rate")
def value_elasticities(
    retention: float,
    *,
    discount_rate: float,
    horizon: int | None = None,
    margin: float = 1.0,
    acquisition_cost: float = 0.0,
    step: float = 0.01,
) -> pd.DataFrame:
    """How much a customer is worth after a 1% change in each driver (Gupta, Lehmann & Stuart).

    The value of an acquired customer is V = m L(r) - c, with ``margin`` m per
    period of a live relationship, the discounted lifetime L(r) of
    :func:`expected_lifetime` and ``acquisition_cost`` c.  Gupta, Lehmann &
    Stuart (2004) compared what a 1% improvement in retention, margin and
    acquisition cost does to that value and found, for five firms, about 5%,
    1% and 0.1%.  This function computes the same comparison on the closed
    form, both as elasticities (the derivative, % per %) and as the exact
    change from a ``step`` x 100% improvement:

    * retention +1%: r -> r (1 + step); elasticity m r L'(r) / V;
    * defections -1%: 1 - r -> (1 - r)(1 - step); elasticity m (1 - r) L'(r) / V;
    * margin +1%: elasticity m L / V (1 when c = 0);
    * acquisition cost -1%: elasticity c / V.

    "1% better retention" is a large lever when r is close to 1: at r = 0.98
    it removes half of all defections.  The defection row shows the lever on
    the scale of the effort it takes.

    Gupta et al. count the first margin only after the first renewal (value m
    r / (1 + i - r)), so their retention elasticity, (1 + i) / (1 + i - r), is
    exactly one more than this package's r / (1 + i - r) (first margin at
    the end of the first period, unlimited horizon, c = 0).

    Parameters
    ----------
    retention : float
        Per-period retention rate r in [0, 1).
    discount_rate : float
        Discount rate per period (Gupta et al. use 12% a year).
    horizon : int, optional
        Periods counted; unlimited when omitted.
    margin : float, default 1.0
        Margin per period of a live relationship.
    acquisition_cost : float, default 0.0
        Cost of acquiring one customer (spent before the first period).
    step : float, default 0.01
        Size of the improvement for ``change_pct``.

    Returns
    -------
    DataFrame
        Index ``retention +1%``, ``defections -1%``, ``margin +1%``,
        ``acquisition cost -1%`` (labels follow ``step``); columns
        ``elasticity`` and ``change_pct`` (exact % change of V), plus
        ``value`` (V before the change).

    Raises
    ------
    CRMDataError
        Retention outside [0, 1), bad discount_rate or horizon, or V <= 0 (the
        customer is not worth acquiring, so percentages of V mean nothing).

    References
    ----------
    Gupta, S., Lehmann, D. R. & Stuart, J. A. (2004). Valuing customers.
    *Journal of Marketing Research*, 41(1), 7-18.

    Examples
    --------
    >>> e = value_elasticities(0.8, discount_rate=0.12)   # unlimited horizon, no acquisition cost
    >>> round(float(e.loc["retention +1%", "elasticity"]), 6)   # 0.8 / (1.12 - 0.8)
    2.5
    >>> round(float(e.loc["margin +1%", "elasticity"]), 6)
    1.0
    """
    where = "value_elasticities"
    if not 0 <= retention < 1:
        raise CRMDataError(f"{where}: retention must lie in [0, 1), got {retention!r}.")
    _check_rates(retention, discount_rate, horizon, where)
    if not (np.isfinite(margin) and margin > 0 and np.isfinite(acquisition_cost)
            and acquisition_cost >= 0 and 0 < step < 1):
        raise CRMDataError(f"{where}: margin must be > 0, acquisition_cost >= 0 and step in "
                           f"(0, 1); got {margin!r}, {acquisition_cost!r}, {step!r}.")
    r, m, c = float(retention), float(margin), float(acquisition_cost)

    def value(r_, m_=m, c_=c):
        return m_ * expected_lifetime(r_, discount_rate=discount_rate, horizon=horizon) - c_

    v = value(r)
    if v <= 0:
        raise CRMDataError(f"{where}: the customer's value m L - c = {v:.4g} is not positive; "
                           "percentage changes of it are meaningless.")
    dl = _lifetime_derivative(r, discount_rate, horizon)
    life = expected_lifetime(r, discount_rate=discount_rate, horizon=horizon)
    pct = f"{100 * step:g}%"
    r_up = min(r * (1 + step), 1.0)
    rows = {
        f"retention +{pct}": (m * r * dl / v, value(r_up)),
        f"defections -{pct}": (m * (1 - r) * dl / v, value(1 - (1 - r) * (1 - step))),
        f"margin +{pct}": (m * life / v, value(r, m_=m * (1 + step))),
        f"acquisition cost -{pct}": (c / v, value(r, c_=c * (1 - step))),
    }
    out = pd.DataFrame({"elasticity": [e for e, _ in rows.values()],
                        "change_pct": [100 * (after / v - 1) for _, after in rows.values()],
                        "value": v}, index=pd.Index(list(rows), name="improvement"))
    return out
