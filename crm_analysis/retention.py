"""Retention curves and retention economics.

How long do customers stay, and what is a longer stay worth?  This module
answers both halves of the "longer" goal of CRM (concept C27) and the lock-in
question of concept C3:

* :func:`cohort_retention` - acquisition cohorts x periods since acquisition
  -> share of the cohort still buying (non-contractual logs such as CDNOW or
  The Complete Journey);
* :func:`kaplan_meier` - Kaplan-Meier survival curves by group on
  statsmodels' ``SurvfuncRight``, with Greenwood standard errors, a pointwise
  log(-log) band, the median lifetime with its interval, the number at risk
  and the log-rank test;
* :func:`hazard_by_tenure` - the discrete-time hazard (share leaving in each
  period among those still at risk), where contract ends show up as spikes;
  it needs every customer of the cohorts, leavers included;
* :func:`period_hazard` - the period (synthetic-cohort) hazard for a one-month
  *snapshot* of the current base (churners at tenure t over customers at
  tenure t), where earlier leavers are absent and Kaplan-Meier is biased;
* :class:`SBGModel` - the shifted-beta-geometric contractual retention model
  of Fader & Hardie (2007), fitted by maximum likelihood to survivor counts or
  to per-customer lifetimes with right censoring, with projections, expected
  lifetime and the discounted expected residual lifetime (DERL) of Fader &
  Hardie (2010); :func:`fit_constant_retention` is the naive one-number
  benchmark;
* :func:`retention_value_sensitivity` and :func:`acquisition_ratio_needed` - the
  retention economics behind "+5 points of retention -> +60% profit".
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from ._checks import binary_column, numeric_column, require_columns, require_frame
from ._deprecation import renamed_kwargs
from .discounting import geometric_annuity
from .errors import CRMDataError, NotFittedError, describe_rows
from .fitted import _CustomerModel, standard_errors
from .largedata import (
    SQL_NUMBERS,
    fetch_columns,
    is_file_source,
    is_plain_timestamp,
    log_connection,
    read_log_files,
    sql_identifier,
    sql_missing,
)

__all__ = [
    "CohortRetention",
    "KaplanMeierResult",
    "SBGModel",
    "cohort_retention",
    "kaplan_meier",
    "hazard_by_tenure",
    "period_hazard",
    "fit_constant_retention",
    "retention_value_sensitivity",
    "acquisition_ratio_needed",
]


# --------------------------------------------------------------------------- helpers


def _tenure_table_input(data, duration, event, by, min_period, max_period, where: str):
    """Checked whole-period durations, events, last period, periods shown and group masks.

    The common start of :func:`hazard_by_tenure` and :func:`period_hazard`, which
    differ only in the denominator they count at each tenure.
    """
    require_frame(data, where)
    require_columns(data, {"duration": duration, "event": event, "by": by}, where)
    dur, ev = _durations_and_events(data, duration, event, where, integer=True)
    dur = dur.astype(np.int64)
    top = int(dur.max()) if max_period is None else int(max_period)
    periods = np.arange(int(min_period), top + 1)
    groups = [(None, np.ones(len(dur), dtype=bool))] if by is None else [
        (name, (data[by] == name).to_numpy()) for name in pd.unique(data[by].dropna())
    ]
    return dur, ev, top, periods, groups


def _durations_and_events(
    data: pd.DataFrame, duration: str, event: str, where: str, *, integer: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Checked float durations and 0/1 events; raise on anything else."""
    dur = pd.to_numeric(data[duration], errors="coerce")
    bad = dur.isna()
    if bad.any():
        raise CRMDataError(
            f"{where}: column {duration!r} has missing or non-numeric durations: "
            + describe_rows(data, bad, [duration, event])
        )
    if (dur < 0).any():
        raise CRMDataError(
            f"{where}: column {duration!r} has negative durations: "
            + describe_rows(data, dur < 0, [duration, event])
        )
    if integer and (dur != np.floor(dur)).any():
        raise CRMDataError(
            f"{where}: column {duration!r} must count whole periods; non-integer values: "
            + describe_rows(data, dur != np.floor(dur), [duration, event])
        )
    ev = binary_column(data, event, where, allowed="0 (still a customer / censored) or 1 (left)",
                       shown=[duration])
    return dur.to_numpy(dtype=float), ev.to_numpy(dtype=float)


# --------------------------------------------------------------------------- cohorts


@dataclass
class CohortRetention:
    """Outcome of :func:`cohort_retention`.

    Attributes
    ----------
    share : DataFrame
        Cohort (index, first-purchase period) x periods since acquisition
        (columns 0, 1, ...) -> share of the cohort that bought in that period
        (period 0 is 1 by construction).  Cells not yet observed are NaN.
    active : DataFrame
        The same table in customers (counts).
    size : Series
        Customers per cohort.
    freq : str
        ``"M"`` or ``"Q"``.
    n_excluded_rows : int
        Transactions after the last complete period (not counted).
    """

    share: pd.DataFrame
    active: pd.DataFrame
    size: pd.Series
    freq: str
    n_excluded_rows: int = 0

    def summary(self) -> pd.DataFrame:
        """The share table with the cohort size as first column."""
        out = self.share.copy()
        out.insert(0, "customers", self.size)
        return out


def cohort_retention(
    data: pd.DataFrame,
    *,
    customer_id: str = "customer_id",
    date: str = "date",
    freq: str = "M",
    observation_end=None,
    complete_periods: bool = True,
    buying: str | None = None,
) -> CohortRetention:
    """Acquisition-cohort retention table from a transaction log.

    Each customer's cohort is the calendar month (or quarter) of the first
    purchase in the log; a customer counts as *active* in period k of the
    cohort when buying at least once in the k-th calendar period after it.
    One vectorised pass (period codes, one ``drop_duplicates``, one
    ``groupby``), so the 1.47 million lines of The Complete Journey take about
    a second.

    Parameters
    ----------
    data : DataFrame, or str / Path of a Parquet log
        One row per transaction (or line); never modified.  A Parquet file,
        folder or glob is aggregated in DuckDB without being loaded, with the
        same result; a log whose dates are not plain timestamps, or that
        fails a check, is read into pandas with only the columns named here
        (so that the error is worded as for a DataFrame).
    customer_id, date : str
        Column names.
    freq : {"M", "Q"}, default "M"
        Calendar months or quarters for cohorts and periods.
    observation_end : date-like, optional
        Last day observed (default: the last date in the log).  Later rows
        are ignored.
    complete_periods : bool, default True
        Ignore a last calendar period that ``observation_end`` cuts short (its
        shares would look like a drop in retention).
    buying : str, optional
        A numeric column whose rows count only when above zero (an amount, or
        a count of lines of positive amount): a period holding only returns
        or cancellations is then not "still buying".  The table is that of
        the remaining rows (the default ``observation_end`` is their last date).

    Returns
    -------
    CohortRetention
        ``.share`` (cohort x period), ``.active``, ``.size``.

    Raises
    ------
    CRMDataError
        Not a DataFrame, empty, missing column, missing ids or dates, unknown
        ``freq``, or no complete period.

    Notes
    -----
    The first purchase *in the log* is an acquisition only if the log starts
    when the customers do (true for CDNOW, whose customers all first bought
    in 1997Q1).  In a panel that starts on a calendar date (The Complete
    Journey) most "cohort 1" customers were acquired earlier.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"customer_id": [1, 1, 2, 3, 3],
    ...     "date": pd.to_datetime(["2020-01-05", "2020-03-01", "2020-01-20",
    ...                             "2020-02-02", "2020-03-09"])})
    >>> out = cohort_retention(log, observation_end="2020-03-31")
    >>> [str(c) for c in out.share.index], out.share.values.tolist()
    (['2020-01', '2020-02'], [[1.0, 0.0, 0.5], [1.0, 1.0, nan]])
    """
    where = "cohort_retention"
    if freq not in ("M", "Q"):
        raise CRMDataError(f"{where}: freq must be 'M' or 'Q', got {freq!r}.")
    step = 1 if freq == "M" else 3
    if is_file_source(data):
        counts = _cohort_counts_files(data, customer_id, date, step, observation_end,
                                      complete_periods, buying)
        if counts is not None:
            return _cohort_tables(*counts, step=step, freq=freq)
        data = read_log_files(data, [c for c in (customer_id, date, buying) if c is not None])
    require_frame(data, where)
    require_columns(data, {"customer_id": customer_id, "date": date, "buying": buying}, where)
    ids = data[customer_id]
    if ids.isna().any():
        raise CRMDataError(f"{where}: column {customer_id!r} has missing ids: "
                           + describe_rows(data, ids.isna(), [customer_id, date]))
    dates = data[date]
    if not pd.api.types.is_datetime64_any_dtype(dates):
        dates = pd.to_datetime(dates, errors="coerce", format="mixed")
    if dates.isna().any():
        raise CRMDataError(f"{where}: column {date!r} has missing or non-date values: "
                           + describe_rows(data, dates.isna(), [customer_id, date]))
    ns = dates.to_numpy(dtype="datetime64[ns]")
    if buying is not None:
        counted = (numeric_column(data, buying, where, shown=[customer_id, date]) > 0).to_numpy()
        if not counted.any():
            raise CRMDataError(f"{where}: column {buying!r}: no row above zero (no purchase to count).")
        ids, ns = ids[counted], ns[counted]
    # Month number since 1970-01; quarters start in Jan/Apr/Jul/Oct, so // 3.
    codes = ns.astype("datetime64[M]").astype(np.int64) // step

    end = pd.Timestamp(ns.max()) if observation_end is None else pd.Timestamp(observation_end)
    last_code = _last_complete_code(end, step, complete_periods)
    keep = codes <= last_code
    if not keep.any():
        raise CRMDataError(f"{where}: no transaction in a complete period up to {end.date()}.")

    cust, _ = pd.factorize(ids.to_numpy()[keep])
    codes = codes[keep]
    first = np.full(cust.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(first, cust, codes)
    cohort = first[cust]
    pairs = pd.DataFrame({"c": cust, "cohort": cohort, "k": codes - cohort}).drop_duplicates()
    return _cohort_tables(pairs.groupby(["cohort", "k"]).size(), last_code, int((~keep).sum()),
                          step=step, freq=freq)


def _last_complete_code(end: pd.Timestamp, step: int, complete_periods: bool) -> int:
    """Code of the last period counted: ``end``'s, or the one before when ``end`` cuts it short."""
    end_code = int(np.datetime64(end.to_datetime64(), "M").astype(np.int64)) // step
    if complete_periods:
        # The period is complete when the day after observation_end opens a new one.
        next_day = np.datetime64((end.normalize() + pd.Timedelta(days=1)).to_datetime64(), "M")
        if int(next_day.astype(np.int64)) // step == end_code:
            return end_code - 1
    return end_code


def _cohort_tables(counts: pd.Series, last_code: int, n_excluded: int, *, step: int,
                   freq: str) -> CohortRetention:
    """The cohort tables from customers per (cohort code, periods since), sorted by both."""
    active = counts.unstack("k")
    size = active[0]
    # Cells beyond the observation window are unknown, not zero.
    horizon = last_code - active.index.to_numpy()[:, None]
    observed = active.columns.to_numpy()[None, :] <= horizon
    active = active.fillna(0).where(observed)
    share = active.div(size, axis=0)

    labels = pd.Index([pd.Period(np.datetime64(int(c) * step, "M"), freq) for c in active.index],
                      name="cohort")
    for frame in (active, share):
        frame.index = labels
        frame.columns = pd.Index(frame.columns.astype(int)).rename(None)
    size = pd.Series(size.to_numpy(dtype=int), index=labels, name="customers")
    return CohortRetention(share=share, active=active, size=size, freq=freq,
                           n_excluded_rows=n_excluded)


def _cohort_counts_files(source, customer_id, date, step, observation_end, complete_periods,
                         buying):
    """Customers per (cohort, periods since) of a Parquet log in DuckDB.

    Returns (counts, last_code, excluded rows) for :func:`_cohort_tables`, or None
    when the pandas path must read the log (dates that are not plain timestamps,
    a non-numeric ``buying`` column, or a check that fails and must be worded).
    """
    where = "cohort_retention"
    with log_connection(source, where=where) as (con, types):
        require_columns(pd.DataFrame(columns=list(types)),
                        {"customer_id": customer_id, "date": date, "buying": buying}, where)
        if not is_plain_timestamp(types[date]) or (
                buying is not None and not types[buying].startswith(SQL_NUMBERS)):
            return None
        cid, ts = sql_identifier(customer_id), f"CAST({sql_identifier(date)} AS TIMESTAMP)"
        counted = "TRUE" if buying is None else f"{sql_identifier(buying)} > 0"
        n_bad, n_counted, last = con.execute(
            f"SELECT count(*) FILTER (WHERE {sql_missing(customer_id, types[customer_id])} "
            f"OR {ts} IS NULL "
            + ("" if buying is None else f"OR {sql_identifier(buying)} IS NULL "
               f"OR NOT isfinite(CAST({sql_identifier(buying)} AS DOUBLE))")
            + f"), count(*) FILTER (WHERE {counted}), max({ts}) FILTER (WHERE {counted}) FROM log"
        ).fetchone()
        if n_bad or not n_counted:
            return None
        end = pd.Timestamp(last) if observation_end is None else pd.Timestamp(observation_end)
        last_code = _last_complete_code(end, step, complete_periods)
        # month number since 1970-01, floored to quarters as numpy's // does
        code = f"CAST(floor(((year({ts}) - 1970) * 12 + month({ts}) - 1) / {step}) AS BIGINT)"
        res = fetch_columns(con, f"""
            WITH lines AS (SELECT {cid} AS cid, {code} AS code FROM log WHERE {counted}),
            pairs AS (SELECT DISTINCT cid, code FROM lines WHERE code <= {last_code}),
            firsts AS (SELECT cid, min(code) AS cohort FROM pairs GROUP BY cid)
            SELECT cohort, code - cohort AS k, count(*) AS n,
                   (SELECT count(*) FROM lines WHERE code > {last_code}) AS excluded
            FROM pairs JOIN firsts USING (cid) GROUP BY cohort, k ORDER BY cohort, k""")
    if not len(res["n"]):
        raise CRMDataError(f"{where}: no transaction in a complete period up to {end.date()}.")
    counts = pd.Series(res["n"].astype(np.int64),
                       index=pd.MultiIndex.from_arrays([res["cohort"].astype(np.int64),
                                                        res["k"].astype(np.int64)],
                                                       names=["cohort", "k"]))
    return counts, last_code, int(res["excluded"][0])


# --------------------------------------------------------------------------- Kaplan-Meier


@dataclass
class KaplanMeierResult:
    """Outcome of :func:`kaplan_meier`.

    Attributes
    ----------
    table_ : DataFrame
        One row per group and event time: ``group``, ``time``, ``at_risk``,
        ``events``, ``survival``, ``se`` (Greenwood), ``lower``, ``upper``
        (pointwise band, log(-log) transform).
    median_ : DataFrame
        Per group: ``customers``, ``events``, ``median`` and its interval
        ``median_lower``, ``median_upper`` (inf = not reached).
    logrank_ : dict or None
        ``chi2``, ``df``, ``p_value`` of the log-rank test across groups.
    alpha : float
        1 - confidence level.
    """

    table_: pd.DataFrame
    median_: pd.DataFrame
    logrank_: dict | None
    alpha: float
    _curves: dict = field(default_factory=dict, repr=False)

    def summary(self) -> pd.DataFrame:
        """Median lifetime per group (with interval)."""
        return self.median_

    def survival_at(self, times) -> pd.DataFrame:
        """Survival (step function, right-continuous) at the given times, one column per group."""
        times = np.asarray(times, dtype=float)
        out = {}
        for name, grp in self.table_.groupby("group", sort=False):
            idx = np.searchsorted(grp["time"].to_numpy(), times, side="right") - 1
            surv = grp["survival"].to_numpy()
            out[name] = np.where(idx >= 0, surv[np.maximum(idx, 0)], 1.0)
        return pd.DataFrame(out, index=pd.Index(times, name="time"))

    def at_risk(self, times) -> pd.DataFrame:
        """Number of customers still at risk (duration >= t) at each time, per group."""
        times = np.asarray(times, dtype=float)
        out = {name: [(dur >= t).sum() for t in times] for name, dur in self._curves.items()}
        return pd.DataFrame(out, index=pd.Index(times, name="time"))


def _loglog_band(surv: np.ndarray, se: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise band on the log(-log S) scale, back-transformed (R's conf.type="log-log")."""
    with np.errstate(divide="ignore", invalid="ignore"):
        se_g = se / (surv * np.abs(np.log(surv)))
        lower = surv ** np.exp(z * se_g)
        upper = surv ** np.exp(-z * se_g)
    # Undefined where S is 1 (no event yet) or 0 (everyone gone): collapse to S.
    undefined = ~np.isfinite(se_g)
    lower = np.where(undefined, surv, lower)
    upper = np.where(undefined, surv, upper)
    return lower, upper


@renamed_kwargs(group="by")
def kaplan_meier(
    data: pd.DataFrame,
    *,
    duration: str = "tenure",
    event: str = "churn",
    by: str | None = None,
    alpha: float = 0.05,
) -> KaplanMeierResult:
    """Kaplan-Meier survival curves, optionally by group, with a log-rank test.

    The estimates come from statsmodels' ``SurvfuncRight`` (product-limit
    estimator, Greenwood standard errors).  The pointwise band is built on the
    log(-log) scale, which keeps it inside [0, 1]; the median's interval
    inverts the same transformed test (``quantile_ci(method="cloglog")``).
    The log-rank test is ``statsmodels.duration.survfunc.survdiff``.

    statsmodels itself offers only a *simultaneous* band
    (``SurvfuncRight.simultaneous_cb``, Hall-Wellner, 95% only), which is
    wider than the pointwise band computed here; R's ``survfit(...,
    conf.type = "log-log")`` gives the same pointwise band as this function.
    The median is the smallest time with S(t) <= 0.5 (R takes the midpoint
    when S is exactly 0.5 over an interval).

    Parameters
    ----------
    data : DataFrame
        One row per customer; never modified.
    duration : str, default "tenure"
        Time as a customer (non-negative).
    event : str, default "churn"
        1 when the customer left at ``duration``, 0 when still a customer
        (right-censored).
    by : str, optional
        Column defining the curves (e.g. contract type).
    alpha : float, default 0.05
        1 - confidence level of band and median interval.

    Returns
    -------
    KaplanMeierResult

    Raises
    ------
    CRMDataError
        Missing columns, missing/negative durations, events other than 0/1.

    References
    ----------
    Kaplan, E. L. & Meier, P. (1958). Nonparametric estimation from incomplete
    observations. *JASA*, 53(282), 457-481.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"tenure": [1, 2, 2, 3, 4], "churn": [1, 1, 0, 1, 0]})
    >>> kaplan_meier(d).table_["survival"].round(3).tolist()
    [0.8, 0.6, 0.3]
    """
    from statsmodels.duration.survfunc import SurvfuncRight, survdiff

    where = "kaplan_meier"
    require_frame(data, where)
    require_columns(data, {"duration": duration, "event": event, "by": by}, where)
    if not 0 < alpha < 1:
        raise CRMDataError(f"{where}: alpha must lie in (0, 1), got {alpha!r}.")
    dur, ev = _durations_and_events(data, duration, event, where)
    if by is None:
        groups = np.array(["all"] * len(data), dtype=object)
    else:
        if data[by].isna().any():
            raise CRMDataError(f"{where}: column {by!r} has missing groups: "
                               + describe_rows(data, data[by].isna(), [duration, event, by]))
        groups = data[by].to_numpy()
    z = stats.norm.ppf(1 - alpha / 2)

    tables, medians, curves = [], [], {}
    for name in pd.unique(groups):
        mask = groups == name
        sf = SurvfuncRight(dur[mask], ev[mask])
        lower, upper = _loglog_band(sf.surv_prob, sf.surv_prob_se, z)
        tables.append(pd.DataFrame({
            "group": name, "time": sf.surv_times, "at_risk": sf.n_risk.astype(int),
            "events": sf.n_events.astype(int), "survival": sf.surv_prob,
            "se": sf.surv_prob_se, "lower": lower, "upper": upper,
        }))
        # Median: smallest time with S(t) <= 0.5 (statsmodels' quantile() uses a strict <).
        # statsmodels multiplies via exp(cumsum(log)): allow for rounding at exactly 0.5.
        below = np.flatnonzero(sf.surv_prob <= 0.5 + 1e-12)
        med = float(sf.surv_times[below[0]]) if below.size else np.inf
        lo, hi = np.nan, np.inf
        if len(sf.surv_prob):
            # S = 0 or 1 makes log(-log S) infinite; those times simply drop out.
            with np.errstate(divide="ignore", invalid="ignore"):
                lo, hi = sf.quantile_ci(0.5, alpha=alpha, method="cloglog")
        medians.append({"group": name, "customers": int(mask.sum()), "events": int(ev[mask].sum()),
                        "median": med, "median_lower": float(lo), "median_upper": float(hi)})
        curves[name] = dur[mask]

    logrank = None
    if by is not None and len(curves) > 1:
        chi2, p = survdiff(dur, ev, groups)
        logrank = {"chi2": float(chi2), "df": len(curves) - 1, "p_value": float(p)}
    table = pd.concat(tables, ignore_index=True)
    median = pd.DataFrame(medians).set_index("group")
    return KaplanMeierResult(table_=table, median_=median, logrank_=logrank, alpha=alpha,
                             _curves=curves)


# --------------------------------------------------------------------------- hazard


@renamed_kwargs(group="by")
def hazard_by_tenure(
    data: pd.DataFrame,
    *,
    duration: str = "tenure",
    event: str = "churn",
    by: str | None = None,
    min_period: int = 1,
    max_period: int | None = None,
) -> pd.DataFrame:
    """Discrete-time hazard: share of customers leaving in each period among those at risk.

    For whole-period durations, the hazard of period t is
    ``h(t) = d(t) / n(t)`` with ``d(t)`` the customers who left with duration
    t and ``n(t)`` those with duration >= t (still customers when period t
    began).  This is the conditional churn probability the Kaplan-Meier curve
    multiplies, ``S(t) = S(t-1) (1 - h(t))``; looked at directly it shows the
    spikes - contract ends, first bills - that a survival curve smooths over.

    Parameters
    ----------
    data : DataFrame
        One row per customer; never modified.
    duration : str, default "tenure"
        Whole periods as a customer (non-negative integers).
    event : str, default "churn"
        1 = left at ``duration``, 0 = still a customer.
    by : str, optional
        One hazard curve per value.
    min_period, max_period : int
        Range of periods reported (default from 1 to the largest duration).

    Returns
    -------
    DataFrame
        ``group`` (when given), ``period``, ``at_risk``, ``events``,
        ``hazard`` and its binomial standard error ``se``.  Periods with no
        one at risk are omitted.

    Raises
    ------
    CRMDataError
        Missing columns, negative or non-integer durations, events not 0/1.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"tenure": [1, 2, 2, 3], "churn": [1, 1, 0, 1]})
    >>> hazard_by_tenure(d)["hazard"].round(3).tolist()
    [0.25, 0.333, 1.0]
    """
    dur, ev, top, periods, groups = _tenure_table_input(
        data, duration, event, by, min_period, max_period, "hazard_by_tenure")
    frames = []
    for name, mask in groups:
        d, e = dur[mask], ev[mask]
        # Customers by duration; at risk at t = customers with duration >= t.
        count = np.bincount(d, minlength=top + 2)
        events = np.bincount(d, weights=e, minlength=top + 2)
        at_risk = count[::-1].cumsum()[::-1]
        out = pd.DataFrame({"period": periods, "at_risk": at_risk[periods].astype(int),
                            "events": events[periods].astype(int)})
        out = out[out["at_risk"] > 0]
        out["hazard"] = out["events"] / out["at_risk"]
        out["se"] = np.sqrt(out["hazard"] * (1 - out["hazard"]) / out["at_risk"])
        if by is not None:
            out.insert(0, "group", name)
        frames.append(out)
    return pd.concat(frames, ignore_index=True)


@renamed_kwargs(group="by")
def period_hazard(
    data: pd.DataFrame,
    *,
    duration: str = "tenure",
    event: str = "churn",
    by: str | None = None,
    min_period: int = 1,
    max_period: int | None = None,
) -> pd.DataFrame:
    """Period (synthetic-cohort) hazard from a snapshot: churners at tenure t over customers at tenure t.

    A *snapshot* holds the customers of one observation period (say one
    month) with their tenure and whether they left during that period.
    Customers who left before it are absent - not censored - so the
    Kaplan-Meier "at risk" count of a short tenure is swollen by every
    long-tenure survivor while its leavers come from one cohort only, and the
    Kaplan-Meier hazard (:func:`hazard_by_tenure`) is biased downwards.
    What a snapshot does identify is the hazard of the observation period at
    each tenure: among the customers whose tenure is t, the share who left,

    ``h(t) = d(t) / c(t)``,

    with ``d(t)`` the churners and ``c(t)`` all customers (churners and
    stayers) with tenure t.  Read down the tenures, these hazards describe a
    *synthetic cohort* - a customer who met this period's hazard at every
    tenure - as a period life table does; its survival is
    ``S(t) = prod_{k <= t} (1 - h(k))``.  That is a statement about this
    period's conditions, not the history of any real cohort, and it assumes
    that each tenure's customers in the snapshot are representative of their
    acquisition cohort's survivors.

    Parameters
    ----------
    data : DataFrame
        One row per customer of the snapshot; never modified.
    duration : str, default "tenure"
        Whole periods as a customer at the snapshot (non-negative integers).
    event : str, default "churn"
        1 = left during the snapshot period, 0 = still a customer.
    by : str, optional
        One hazard curve per value.
    min_period, max_period : int
        Tenures reported (default from 1 to the largest tenure).  The
        synthetic-cohort survival starts at 1 just before ``min_period``.

    Returns
    -------
    DataFrame
        ``group`` (when given), ``period``, ``customers`` (c(t)), ``churners``
        (d(t)), ``hazard``, its binomial standard error ``se`` and the
        synthetic-cohort ``survival``.  Tenures with no customer are omitted;
        the hazard there is unknown, so ``survival`` is NaN from the first such
        gap on and a ``UserWarning`` names the gap (``attrs["gaps"]`` lists
        the missing tenures per group).

    Raises
    ------
    CRMDataError
        Missing columns, negative or non-integer durations, events not 0/1.

    See Also
    --------
    hazard_by_tenure : the Kaplan-Meier (cohort) hazard, for data that keep
        every customer of the cohorts, leavers included.

    References
    ----------
    Preston, S. H., Heuveline, P. & Guillot, M. (2001). *Demography: Measuring
    and Modeling Population Processes*, ch. 3 (period life tables and the
    synthetic cohort). Oxford: Blackwell.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"tenure": [1, 1, 1, 1, 2, 2, 3, 3],
    ...                   "churn":  [1, 1, 1, 0, 1, 0, 0, 0]})
    >>> out = period_hazard(d)
    >>> out["hazard"].tolist(), out["survival"].round(3).tolist()
    ([0.75, 0.5, 0.0], [0.25, 0.125, 0.125])
    """
    import warnings

    where = "period_hazard"
    dur, ev, top, periods, groups = _tenure_table_input(
        data, duration, event, by, min_period, max_period, where)
    frames, gaps = [], {}
    for name, mask in groups:
        d, e = dur[mask], ev[mask]
        # Unlike hazard_by_tenure, the denominator is the customers *at* tenure t,
        # not at or above it: longer-tenure customers of the snapshot belong to
        # other cohorts and were never at risk of leaving at tenure t this period.
        count = np.bincount(d, minlength=top + 2)[periods]
        churners = np.bincount(d, weights=e, minlength=top + 2)[periods]
        out = pd.DataFrame({"period": periods, "customers": count.astype(int),
                            "churners": churners.astype(int)})
        missing = out.loc[out["customers"] == 0, "period"].tolist()
        out = out[out["customers"] > 0].copy()
        out["hazard"] = out["churners"] / out["customers"]
        out["se"] = np.sqrt(out["hazard"] * (1 - out["hazard"]) / out["customers"])
        out["survival"] = (1 - out["hazard"]).cumprod()
        if missing:
            gaps[name] = missing
            out.loc[out["period"] > missing[0], "survival"] = np.nan
        if by is not None:
            out.insert(0, "group", name)
        frames.append(out)
    result = pd.concat(frames, ignore_index=True)
    if gaps:
        shown = "; ".join(f"{'all' if k is None else k}: {v[:5]}" for k, v in list(gaps.items())[:5])
        warnings.warn(
            f"{where}: no customer at some tenures ({shown}); their hazard is unknown, so the "
            "synthetic-cohort survival is NaN from the first gap on.",
            UserWarning, stacklevel=2,
        )
    result.attrs["gaps"] = gaps
    return result


# --------------------------------------------------------------------------- sBG


def _check_survivors(survivors, where: str) -> np.ndarray:
    arr = np.asarray(survivors, dtype=float)
    frame = pd.DataFrame({"period": np.arange(arr.size), "survivors": arr})
    if arr.ndim != 1 or arr.size < 2:
        raise CRMDataError(f"{where}: survivors must be a 1-d sequence of at least two counts "
                           "(the cohort size, then customers alive at the start of each period).")
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        raise CRMDataError(f"{where}: column 'survivors' has missing or negative counts: "
                           + describe_rows(frame, bad))
    rising = np.r_[False, np.diff(arr) > 0]
    if rising.any():
        raise CRMDataError(
            f"{where}: column 'survivors' increases over time (a cohort can only shrink; "
            "is this a cohort of new customers, or a base that keeps acquiring?): "
            + describe_rows(frame, rising)
        )
    if arr[0] <= 0:
        raise CRMDataError(f"{where}: the cohort size (period 0) must be positive.")
    return arr


def _log_surv(a: float, b: float, t: np.ndarray) -> np.ndarray:
    return special.betaln(a, b + t) - special.betaln(a, b)


def _log_pmf(a: float, b: float, t: np.ndarray) -> np.ndarray:
    return special.betaln(a + 1, b + t - 1) - special.betaln(a, b)


class SBGModel(_CustomerModel):
    """Shifted-beta-geometric (sBG) model of contractual retention.

    Each customer renews at the end of every period with her own
    probability ``1 - theta``; ``theta`` varies across customers as
    Beta(alpha, beta).  So the lifetime T (the period at whose end the
    customer leaves, 1, 2, ...) has

    * ``P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)``,
    * ``S(t) = P(T > t) = B(alpha, beta + t) / B(alpha, beta)``,
    * retention rate ``r(t) = S(t) / S(t-1) = (beta + t - 1) / (alpha + beta + t - 1)``,

    which rises with t although no individual's retention changes: the
    customers likely to leave leave first (heterogeneity, not loyalty build-up).

    Fit with :meth:`fit` (survivor counts of one cohort) or
    :meth:`fit_lifetimes` (per-customer lifetimes, right-censored); the
    maximum-likelihood estimates come from ``scipy.optimize`` on
    log(alpha), log(beta), standard errors from the observed information in
    log(alpha), log(beta) by the delta method
    (:func:`crm_analysis.fitted.standard_errors`).

    Attributes
    ----------
    params_ : Series
        (after fitting)
        ``alpha``, ``beta``.
    standard_errors_ : Series
        Standard errors (``se_`` is the old name, deprecated).
    covariance_ : DataFrame
        Covariance of the estimates (``cov_`` is the old name, deprecated).
    log_likelihood_, aic_, bic_ : float
    n_customers_ : int
        Customers of the cohort (``n_obs_`` is the same number).
    n_periods_ : int
        Periods of data the fit used.
    notes_, rows_dropped_ : list, dict
        As for every fitted model (empty: the sBG drops no rows).

    Before fitting, predictions and ``summary()`` raise
    :class:`~crm_analysis.errors.NotFittedError`.

    References
    ----------
    Fader, P. S. & Hardie, B. G. S. (2007). How to project customer retention.
    *Journal of Interactive Marketing*, 21(1), 76-90.

    Fader, P. S. & Hardie, B. G. S. (2010). Customer-base valuation in a
    contractual setting: The perils of ignoring heterogeneity. *Marketing
    Science*, 29(1), 85-93.

    Examples
    --------
    >>> m = SBGModel().fit([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> m.params_.round(3).tolist()
    [0.704, 1.182]
    """

    def __init__(self) -> None:
        self.params_: pd.Series | None = None
        self.standard_errors_: pd.Series | None = None
        self.covariance_: pd.DataFrame | None = None
        self.log_likelihood_: float | None = None
        self.n_customers_: int | None = None
        self.n_periods_: int | None = None
        self.notes_: list = []
        self.rows_dropped_: dict = {}

    @property
    def se_(self) -> pd.Series | None:
        """Deprecated name of ``standard_errors_``."""
        warnings.warn("SBGModel.se_ is deprecated; use standard_errors_.", DeprecationWarning, stacklevel=2)
        return self.standard_errors_

    @property
    def cov_(self) -> pd.DataFrame | None:
        """Deprecated name of ``covariance_``."""
        warnings.warn("SBGModel.cov_ is deprecated; use covariance_.", DeprecationWarning, stacklevel=2)
        return self.covariance_

    _STATE = ("params_", "standard_errors_", "covariance_", "log_likelihood_", "n_customers_",
              "n_periods_", "notes_", "rows_dropped_")

    def _state(self) -> dict:
        return {k: getattr(self, k) for k in self._STATE}

    @classmethod
    def _from_state(cls, state: dict) -> SBGModel:
        unknown = set(state) - set(cls._STATE)
        if unknown:
            raise TypeError(f"unexpected fields {sorted(unknown)}")
        model = cls()
        model.__dict__.update(state)
        return model

    # -- fitting ------------------------------------------------------------
    def _fit(self, churn_t: np.ndarray, churn_w: np.ndarray, cens_t: np.ndarray,
             cens_w: np.ndarray, n_customers: int, n_periods: int) -> SBGModel:
        def nll(ab: np.ndarray) -> float:
            a, b = ab
            if a <= 0 or b <= 0:
                return np.inf
            ll = (churn_w * _log_pmf(a, b, churn_t)).sum() + (cens_w * _log_surv(a, b, cens_t)).sum()
            return -ll

        def nll_log(x: np.ndarray) -> float:
            return nll(np.exp(x))

        def nll_log_grad(x: np.ndarray) -> tuple[float, np.ndarray]:
            a, b = np.exp(x)
            psi = special.digamma
            base_a, base_b = psi(a) - psi(a + b), psi(b) - psi(a + b)
            # d/da, d/db of log P(T = t) and log S(t) (derivatives of log Beta functions).
            pa = psi(a + 1) - psi(a + b + churn_t) - base_a
            pb = psi(b + churn_t - 1) - psi(a + b + churn_t) - base_b
            sa = psi(a + b) - psi(a + b + cens_t)
            sb = psi(b + cens_t) - psi(a + b + cens_t) - base_b
            grad = np.array([(churn_w * pa).sum() + (cens_w * sa).sum(),
                             (churn_w * pb).sum() + (cens_w * sb).sum()])
            return nll(np.array([a, b])), -grad * np.array([a, b])

        # The log-likelihood is smooth in log(alpha), log(beta): BFGS with the
        # analytic gradient from (1, 1) takes a few dozen evaluations; fall back
        # on Nelder-Mead from several starts only if it does not converge.
        best = optimize.minimize(nll_log_grad, np.zeros(2), jac=True, method="BFGS",
                                 options={"gtol": 1e-8})
        converged = np.isfinite(best.fun) and np.abs(best.jac).max() < 1e-5
        if not converged:
            for start in ([0.0, 0.0], [-1.0, 1.0], [1.0, 1.0]):
                res = optimize.minimize(nll_log, np.array(start), method="Nelder-Mead",
                                        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000})
                if not np.isfinite(best.fun) or res.fun < best.fun:
                    best = res
        ab = np.exp(best.x)
        names = ["alpha", "beta"]
        se, cov = standard_errors(lambda x: -nll_log(x), best.x, names=names)
        self.params_ = pd.Series(ab, index=names, name="estimate")
        self.standard_errors_ = se.rename("se")
        self.covariance_ = cov
        self.log_likelihood_ = float(-best.fun)
        self.n_customers_ = int(n_customers)
        self.n_periods_ = int(n_periods)
        return self

    def fit(self, survivors) -> SBGModel:
        """Fit to one cohort's survivor counts.

        Parameters
        ----------
        survivors : sequence of int
            Customers alive at the start of periods 0, 1, ..., n; the first
            value is the cohort size.  Must not increase.

        Returns
        -------
        SBGModel
            ``self``, fitted.

        Raises
        ------
        CRMDataError
            Fewer than two counts, negative or missing counts, counts that
            increase over time.
        """
        n = _check_survivors(survivors, "SBGModel.fit")
        t = np.arange(1, n.size)
        lost = n[:-1] - n[1:]
        return self._fit(t.astype(float), lost, np.array([t[-1]], dtype=float), n[-1:],
                         int(n[0]), int(t[-1]))

    def fit_lifetimes(self, data: pd.DataFrame, *, duration: str = "duration",
                      event: str = "churned") -> SBGModel:
        """Fit to per-customer lifetimes with right censoring.

        Parameters
        ----------
        data : DataFrame
            One row per customer; never modified.
        duration : str
            For a customer who left (``event`` = 1): the period T at whose end
            she left (1, 2, ...).  For a customer still active (``event`` = 0):
            the number of periods she is known to have survived (0, 1, ...).
        event : str
            1 = left, 0 = still active (censored).

        Returns
        -------
        SBGModel

        Raises
        ------
        CRMDataError
            Missing columns, negative or non-integer durations, events not
            0/1, a leaver with duration 0.
        """
        where = "SBGModel.fit_lifetimes"
        require_frame(data, where)
        require_columns(data, {"duration": duration, "event": event}, where)
        dur, ev = _durations_and_events(data, duration, event, where, integer=True)
        bad = (ev == 1) & (dur < 1)
        if bad.any():
            raise CRMDataError(f"{where}: column {duration!r}: a customer who left has lifetime "
                               ">= 1 period; rows with 0: " + describe_rows(data, bad, [duration, event]))
        # Collapse to counts per distinct lifetime: the likelihood only needs those.
        churn_t, churn_w = np.unique(dur[ev == 1], return_counts=True)
        cens_t, cens_w = np.unique(dur[ev == 0], return_counts=True)
        return self._fit(churn_t, churn_w.astype(float), cens_t, cens_w.astype(float),
                         len(dur), int(dur.max()))

    def _require_fitted(self) -> None:
        self._check_fitted()

    def _check_fitted(self) -> tuple[float, float]:
        if self.params_ is None:
            raise NotFittedError("SBGModel: call fit() or fit_lifetimes() first.")
        return float(self.params_["alpha"]), float(self.params_["beta"])

    # -- predictions --------------------------------------------------------
    def survival(self, t) -> np.ndarray:
        """``S(t)``: probability a new customer is still active after t periods."""
        a, b = self._check_fitted()
        return np.exp(_log_surv(a, b, np.asarray(t, dtype=float)))

    def churn_probability(self, t) -> np.ndarray:
        """``P(T = t)``: probability a new customer leaves at the end of period t (t >= 1)."""
        a, b = self._check_fitted()
        return np.exp(_log_pmf(a, b, np.asarray(t, dtype=float)))

    def retention_rate(self, t) -> np.ndarray:
        """``r(t) = S(t) / S(t-1)``: share of period t-1's survivors who renew into period t."""
        a, b = self._check_fitted()
        t = np.asarray(t, dtype=float)
        return (b + t - 1) / (a + b + t - 1)

    def project(self, periods: int, *, cohort_size: float | None = None) -> pd.DataFrame:
        """Projected survival, expected survivors and retention rate for periods 0..``periods``.

        Returns
        -------
        DataFrame
            ``period``, ``survival``, ``survivors`` (cohort size x survival;
            the fitted cohort's size unless given), ``retention_rate`` (NaN
            for period 0).
        """
        self._check_fitted()
        t = np.arange(int(periods) + 1)
        size = self.n_customers_ if cohort_size is None else cohort_size
        surv = self.survival(t)
        rate = np.r_[np.nan, self.retention_rate(t[1:])]
        return pd.DataFrame({"period": t, "survival": surv, "survivors": size * surv,
                             "retention_rate": rate})

    def expected_lifetime(self, horizon: int | None = None) -> float:
        """Expected number of periods a new customer stays (counting the first).

        ``E[T] = (alpha + beta - 1) / (alpha - 1)`` when alpha > 1 and
        infinite otherwise (a Beta with alpha <= 1 puts so much mass on churn
        probabilities near 0 that the mean lifetime diverges).  With
        ``horizon``: the expected periods within the first ``horizon``,
        ``sum_{t=0}^{horizon-1} S(t)``, always finite.
        """
        a, b = self._check_fitted()
        if horizon is not None:
            return float(self.survival(np.arange(int(horizon))).sum())
        return (a + b - 1) / (a - 1) if a > 1 else float("inf")

    @renamed_kwargs(discount="discount_rate")
    def del_(self, discount_rate: float) -> float:
        """Discounted expected lifetime of a new customer (first period undiscounted).

        ``DEL = sum_{t>=0} S(t) / (1 + d)^t = 2F1(1, beta; alpha + beta; 1/(1 + d))``;
        multiply by the margin per period to get the CLV of a new customer.
        The discounting is the "start" timing of :mod:`crm_analysis.discounting`
        (``discount_factors(..., periods_per_year=1, timing="start")``), summed
        in closed form.
        """
        a, b = self._check_fitted()
        _check_discount(discount_rate, "SBGModel.del_")
        return _hyp2f1_one(b, a + b, 1.0 / (1.0 + discount_rate))

    @renamed_kwargs(discount="discount_rate")
    def derl(self, discount_rate: float, renewals: int = 0) -> float:
        """Discounted expected residual lifetime (Fader & Hardie 2010).

        For a customer who has made ``renewals`` renewals (alive at the start
        of period ``renewals``) and is about to decide on the next one, the
        expected number of further periods, discounted, with the period
        about to be renewed counted undiscounted:

        ``DERL = (beta + n) / (alpha + beta + n) * 2F1(1, beta + n + 1; alpha + beta + n + 1; 1/(1 + d))``

        with n = ``renewals``.  Multiply by the margin per period for the
        customer's residual lifetime value.  The discounting is the "start"
        timing of :mod:`crm_analysis.discounting`, summed in closed form.
        """
        a, b = self._check_fitted()
        _check_discount(discount_rate, "SBGModel.derl")
        n = float(renewals)
        if n < 0:
            raise CRMDataError(f"SBGModel.derl: renewals must be >= 0, got {renewals!r}.")
        return float((b + n) / (a + b + n)
                     * _hyp2f1_one(b + n + 1, a + b + n + 1, 1.0 / (1.0 + discount_rate)))

    def __repr__(self) -> str:
        if self.params_ is None:
            return "SBGModel()"
        a, b = self.params_
        return f"SBGModel(alpha={a:.3f}, beta={b:.3f}, n_customers={self.n_customers_})"


def _hyp2f1_one(b: float, c: float, x: float) -> float:
    """Gaussian hypergeometric 2F1(1, b; c; x) for 0 < b < c, 0 <= x < 1.

    scipy's ``hyp2f1`` returns NaN for very large b and c (nearly homogeneous
    customers); the series then converges at least as fast as x^k, so it is
    summed directly.
    """
    val = float(special.hyp2f1(1.0, b, c, x))
    if np.isfinite(val):
        return val
    k = np.arange(int(np.ceil(np.log(1e-17) / np.log(x))) + 1 if x > 0 else 1)
    terms = np.exp(np.cumsum(np.r_[0.0, np.log((b + k[:-1]) / (c + k[:-1]) * x)]))
    return float(terms.sum())


def _check_discount(discount: float, where: str) -> None:
    if not np.all(np.asarray(discount) > 0):
        raise CRMDataError(
            f"{where}: discount rate must be positive (e.g. 0.1 per period), got {discount!r}.")


def fit_constant_retention(survivors) -> float:
    """Maximum-likelihood constant retention rate for one cohort (the naive benchmark).

    Under a constant retention rate r (every customer alike), lifetimes are
    geometric: ``P(T = t) = (1 - r) r^(t-1)``, ``S(t) = r^t``.  With L_t
    customers lost in period t and n_k still active after the last period
    k, the likelihood is maximised at

    ``r = A / (A + L)``, ``A = sum_t L_t (t - 1) + k n_k``, ``L = sum_t L_t``

    (renewals made over renewal decisions taken).

    Parameters
    ----------
    survivors : sequence of int
        As :meth:`SBGModel.fit`.

    Returns
    -------
    float

    Examples
    --------
    >>> round(fit_constant_retention([100, 50, 25]), 3)
    0.5
    """
    n = _check_survivors(survivors, "fit_constant_retention")
    t = np.arange(1, n.size)
    lost = n[:-1] - n[1:]
    renewals = (lost * (t - 1)).sum() + t[-1] * n[-1]
    return float(renewals / (renewals + lost.sum()))


# --------------------------------------------------------------------------- economics


def _clv_constant(margin, retention, discount, growth=0.0):
    """CLV of a new customer, margin at the start of each period, first undiscounted.

    ``m (1 + d) / (1 + d - r (1 + g))``: the "start" geometric annuity of
    :mod:`crm_analysis.discounting` with margin growth folded into retention.
    """
    return margin * geometric_annuity(np.asarray(retention) * (1 + growth), discount,
                                      timing="start")


@renamed_kwargs(discount="discount_rate")
def retention_value_sensitivity(
    *,
    retention=None,
    margin=1.0,
    discount_rate: float = 0.10,
    acquisition_cost=0.0,
    delta: float = 0.05,
    margin_growth: float = 0.0,
    n_customers: float = 1.0,
    model: SBGModel | None = None,
) -> pd.DataFrame:
    """CLV, profit and customer-base value, and how much they rise when retention rises by ``delta``.

    Constant retention (the default): a customer pays ``margin`` at the
    start of each period she is a customer (the first on acquisition,
    undiscounted) and renews with probability ``retention``; margins may grow
    by ``margin_growth`` a period (Reichheld & Sasser's argument that old
    customers buy more, cost less and refer others).  Then

    ``CLV = m (1 + d) / (1 + d - r (1 + g))``        (needs r (1 + g) < 1 + d)

    ``profit = CLV - acquisition_cost``                (per acquired customer)

    ``base_value = n_customers x CLV``

    and the same with ``r + delta``.  The percentage changes are
    ``clv_change_pct`` and ``profit_change_pct`` (NaN when profit is not
    positive: a percentage of a loss is meaningless).

    With a fitted :class:`SBGModel`, ``retention`` is ignored: CLV is
    ``m x DEL`` and "retention + delta" lowers the mean churn probability
    alpha / (alpha + beta) by ``delta`` while keeping the heterogeneity
    (polarisation 1 / (alpha + beta + 1)) fixed.

    ``retention``, ``margin`` and ``acquisition_cost`` may be arrays; all
    combinations are returned (a grid for a heat map).

    Parameters
    ----------
    retention : float or array, in (0, 1)
        Retention rate per period (ignored with ``model``).
    margin : float or array
        Margin per customer and period (currency units).
    discount_rate : float, default 0.10
        Discount rate per period.
    acquisition_cost : float or array, default 0
        Cost of acquiring one customer.
    delta : float, default 0.05
        Rise in retention (0.05 = five percentage points).
    margin_growth : float, default 0
        Growth of the margin per period of tenure.
    n_customers : float, default 1
        Size of the base for ``base_value``.
    model : SBGModel, optional
        Heterogeneous retention instead of a constant rate.

    Returns
    -------
    DataFrame
        ``retention``, ``margin``, ``acquisition_cost``, ``discount``,
        ``clv``, ``clv_up``, ``profit``, ``profit_up``, ``base_value``,
        ``base_value_up``, ``clv_change_pct``, ``profit_change_pct``.

    Raises
    ------
    CRMDataError
        Retention outside (0, 1) (or pushed to 1 or beyond by ``delta``),
        discount_rate not positive, or r (1 + g) >= 1 + d (infinite CLV).

    References
    ----------
    Reichheld, F. F. & Sasser, W. E. (1990). Zero defections: Quality comes
    to services. *Harvard Business Review*, 68(5), 105-111.

    Gupta, S. & Lehmann, D. R. (2003). Customers as assets. *Journal of
    Interactive Marketing*, 17(1), 9-24.

    Examples
    --------
    >>> out = retention_value_sensitivity(retention=0.8, margin=100, discount_rate=0.1)
    >>> round(out["clv"].item(), 2), round(out["clv_change_pct"].item(), 1)
    (366.67, 20.0)
    """
    where = "retention_value_sensitivity"
    _check_discount(discount_rate, where)
    if not 0 < delta < 1:
        raise CRMDataError(f"{where}: delta must lie in (0, 1), got {delta!r}.")
    margin = np.atleast_1d(np.asarray(margin, dtype=float))
    cost = np.atleast_1d(np.asarray(acquisition_cost, dtype=float))
    if model is not None:
        a, b = model._check_fitted()
        churn = a / (a + b)
        if churn - delta <= 0:
            raise CRMDataError(f"{where}: mean churn {churn:.3f} of the model cannot fall by {delta}.")
        up = SBGModel()
        up.params_ = pd.Series([(churn - delta) * (a + b), (1 - churn + delta) * (a + b)],
                               index=["alpha", "beta"])
        rows = pd.MultiIndex.from_product([[1 - churn], margin, cost],
                                          names=["retention", "margin", "acquisition_cost"])
        frame = rows.to_frame(index=False)
        frame["clv"] = frame["margin"] * model.del_(discount_rate)
        frame["clv_up"] = frame["margin"] * up.del_(discount_rate)
    else:
        if retention is None:
            raise CRMDataError(f"{where}: give retention (or a fitted model).")
        ret = np.atleast_1d(np.asarray(retention, dtype=float))
        frame_r = pd.DataFrame({"retention": ret})
        bad = ~((ret > 0) & (ret < 1))
        if bad.any():
            raise CRMDataError(f"{where}: column 'retention' must lie strictly between 0 and 1: "
                               + describe_rows(frame_r, bad))
        bad = ~(ret + delta < 1)
        if bad.any():
            raise CRMDataError(f"{where}: column 'retention': retention + delta ({delta}) reaches 1: "
                               + describe_rows(frame_r, bad))
        bad = (ret + delta) * (1 + margin_growth) >= 1 + discount_rate
        if bad.any():
            raise CRMDataError(f"{where}: column 'retention': retention x (1 + margin_growth) >= "
                               "1 + discount_rate gives an infinite CLV: " + describe_rows(frame_r, bad))
        rows = pd.MultiIndex.from_product([ret, margin, cost],
                                          names=["retention", "margin", "acquisition_cost"])
        frame = rows.to_frame(index=False)
        frame["clv"] = _clv_constant(frame["margin"], frame["retention"], discount_rate, margin_growth)
        frame["clv_up"] = _clv_constant(frame["margin"], frame["retention"] + delta, discount_rate,
                                        margin_growth)
    frame.insert(3, "discount", discount_rate)
    frame["profit"] = frame["clv"] - frame["acquisition_cost"]
    frame["profit_up"] = frame["clv_up"] - frame["acquisition_cost"]
    frame["base_value"] = n_customers * frame["clv"]
    frame["base_value_up"] = n_customers * frame["clv_up"]
    frame["clv_change_pct"] = 100 * (frame["clv_up"] / frame["clv"] - 1)
    frame["profit_change_pct"] = np.where(
        frame["profit"] > 0, 100 * (frame["profit_up"] - frame["profit"]) / frame["profit"].where(
            frame["profit"] > 0, 1.0), np.nan)
    return frame


@renamed_kwargs(discount="discount_rate")
def acquisition_ratio_needed(
    target_pct: float,
    *,
    retention,
    discount_rate: float = 0.10,
    delta: float = 0.05,
    margin_growth: float = 0.0,
):
    """Acquisition cost (in periods of margin) at which +``delta`` retention raises profit by ``target_pct`` percent.

    With acquisition cost ``a x m`` and the constant-retention CLV of
    :func:`retention_value_sensitivity`, the profit change is
    ``(CLV(r + delta) - CLV(r)) / (CLV(r) - a m)``; setting it to
    ``target_pct / 100`` gives the closed form

    ``a = [CLV(r) - 100 (CLV(r + delta) - CLV(r)) / target_pct] / m``.

    The margin cancels, so the answer holds for any margin.  A negative value
    means the target is exceeded even when acquisition is free.

    Parameters
    ----------
    target_pct : float
        Profit change to reproduce, in percent (e.g. 85).
    retention : float or array, in (0, 1)
        Base retention rate per period.
    discount_rate, delta, margin_growth : float
        As :func:`retention_value_sensitivity`.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> round(float(acquisition_ratio_needed(100.0, retention=0.8, discount_rate=0.1)), 3)
    2.933
    """
    if target_pct <= 0:
        raise CRMDataError(f"acquisition_ratio_needed: target_pct must be positive, got {target_pct!r}.")
    ret = np.asarray(retention, dtype=float)
    check = retention_value_sensitivity(retention=np.atleast_1d(ret), margin=1.0,
                                        discount_rate=discount_rate, delta=delta,
                                        margin_growth=margin_growth)
    out = (check["clv"] - 100 * (check["clv_up"] - check["clv"]) / target_pct).to_numpy()
    return float(out[0]) if ret.ndim == 0 else out
