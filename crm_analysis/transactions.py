"""Transaction logs: validation and the per-customer RFM summary.

Every analysis in the package starts from a tidy transaction log, one row per
purchase (or purchase line), with a customer id, a date and optionally an
amount.  :func:`validate_transactions` checks such a log and reports every row
it drops or flags; :func:`rfm_summary` turns it into the frequency / recency /
T / monetary-value summary that the buy-till-you-die models of
:mod:`crm_analysis.clv` fit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._checks import numeric_column, require_columns, require_frame
from .errors import CRMDataError, describe_rows

__all__ = [
    "ValidationResult",
    "validate_transactions",
    "rfm_summary",
    "period_totals",
    "SUPPORTED_FREQS",
    "period_codes",
]

#: Period units accepted by :func:`rfm_summary`.
SUPPORTED_FREQS = ("D", "W", "M", "h")

# 1970-01-01 is a Thursday; pandas' weekly periods ("W" = "W-SUN") start on
# Monday, so day -3 (1969-12-29) opens week 0.
_WEEK_OFFSET_DAYS = 3


@dataclass
class ValidationResult:
    """Outcome of :func:`validate_transactions`.

    Attributes
    ----------
    data : DataFrame
        The clean log (a copy; the caller's frame is untouched).
    report : DataFrame
        One row per check that found something: ``check``, ``column``,
        ``rows`` (how many rows it concerned), ``action`` (``"dropped"`` or
        ``"kept"``) and ``examples`` (up to five row labels).
    n_input : int
        Rows received.
    """

    data: pd.DataFrame
    report: pd.DataFrame
    n_input: int
    _columns: dict = field(default_factory=dict, repr=False)

    @property
    def n_dropped(self) -> int:
        """Number of rows removed by cleaning."""
        return self.n_input - len(self.data)

    def __iter__(self) -> Iterator:
        # Lets callers write ``clean, report = validate_transactions(...)``.
        return iter((self.data, self.report))

    def summary(self) -> str:
        """Plain-text cleaning report, one line per finding."""
        lines = [
            f"{self.n_input:,} rows in, {len(self.data):,} rows kept, "
            f"{self.n_dropped:,} dropped."
        ]
        for row in self.report.itertuples(index=False):
            lines.append(
                f"  - {row.check} [{row.column}]: {row.rows:,} rows {row.action}"
                f" (e.g. rows {row.examples})"
            )
        if self.report.empty:
            lines.append("  - no problems found")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


_REPORT_COLUMNS = ["check", "column", "rows", "action", "examples"]
_EMPTY = "the transaction log is empty"


def _parse_dates(values: pd.Series) -> pd.Series:
    """Parse to datetime64; unparseable values become NaT (counted by callers)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values
        if getattr(out.dt, "tz", None) is not None:
            # Periods are calendar periods of the local clock.
            out = out.dt.tz_localize(None)
        return out
    if pd.api.types.is_numeric_dtype(values):
        # Bare numbers are ambiguous (epoch seconds? yyyymmdd?); refuse to guess.
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    return pd.to_datetime(values, errors="coerce", format="mixed")


def validate_transactions(
    data: pd.DataFrame,
    *,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str | None = None,
    observation_end=None,
    zero_amounts: str = "keep",
    duplicates: str = "keep",
    strict: bool = False,
) -> ValidationResult:
    """Check a transaction log and return a clean copy with a cleaning report.

    Checks, in order: missing customer ids; missing or unparseable dates;
    non-numeric, missing, negative (returns, refunds) and zero amounts;
    exact duplicate rows; dates after the observation end (default: today).
    Rows failing a check are dropped and counted; zero amounts and duplicate
    rows are kept and reported unless asked otherwise.

    Parameters
    ----------
    data : DataFrame
        One row per transaction.  Never modified.
    customer_id, date : str
        Column names of the customer id and the transaction date.
    amount : str, optional
        Column of the transaction value.  Amount checks are skipped when None.
    observation_end : date-like, optional
        Last day of observation; later transactions are dropped.  Defaults to
        the current date, so future-dated rows are caught.
    zero_amounts : {"keep", "drop"}, default "keep"
        Zero-value rows (free items, fully discounted baskets) are legitimate
        purchases for counting but not for spend models.
    duplicates : {"keep", "drop"}, default "keep"
        Fully identical rows may be two identical purchases or a double load.
    strict : bool, default False
        Raise :class:`CRMDataError` instead of dropping rows.

    Returns
    -------
    ValidationResult
        ``.data`` (clean copy, ``date`` as datetime64) and ``.report``;
        unpacks as ``clean, report``.

    Raises
    ------
    CRMDataError
        Not a DataFrame, empty, a named column missing, no parseable date at
        all, or (with ``strict=True``) any row that would be dropped.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"customer_id": [1, 1, None],
    ...                     "date": ["2020-01-01", "not a date", "2020-01-02"],
    ...                     "amount": [10.0, 5.0, 3.0]})
    >>> clean, report = validate_transactions(log, amount="amount")
    >>> len(clean), report["check"].tolist()
    (1, ['missing customer id', 'unparseable date'])
    """
    require_frame(data, "validate_transactions", empty=_EMPTY)
    require_columns(
        data, {"customer_id": customer_id, "date": date, "amount": amount},
        "validate_transactions",
    )
    if zero_amounts not in ("keep", "drop"):
        raise CRMDataError(f"zero_amounts must be 'keep' or 'drop', got {zero_amounts!r}.")
    if duplicates not in ("keep", "drop"):
        raise CRMDataError(f"duplicates must be 'keep' or 'drop', got {duplicates!r}.")

    df = data.copy()
    n_input = len(df)
    findings: list[tuple[str, str, pd.Series, bool]] = []  # check, column, mask, drop?

    findings.append(("missing customer id", customer_id, df[customer_id].isna(), True))

    raw_dates = df[date]
    parsed = _parse_dates(raw_dates)
    if parsed.notna().sum() == 0:
        raise CRMDataError(
            f"column {date!r}: no value could be read as a date "
            f"(dtype {raw_dates.dtype}); "
            + describe_rows(df, pd.Series(True, index=df.index), [customer_id, date])
        )
    findings.append(("missing date", date, raw_dates.isna(), True))
    findings.append(("unparseable date", date, raw_dates.notna() & parsed.isna(), True))
    df[date] = parsed

    if amount is not None:
        raw_amount = df[amount]
        numeric = pd.to_numeric(raw_amount, errors="coerce")
        findings.append(("missing amount", amount, raw_amount.isna(), True))
        findings.append(("non-numeric amount", amount, raw_amount.notna() & numeric.isna(), True))
        findings.append(("negative amount (return or refund)", amount, numeric < 0, True))
        findings.append(("zero amount", amount, numeric == 0, zero_amounts == "drop"))
        df[amount] = numeric

    dup_mask = data.duplicated(keep="first")
    findings.append(("exact duplicate row", "(all)", dup_mask, duplicates == "drop"))

    end = pd.Timestamp.now().normalize() if observation_end is None else pd.Timestamp(observation_end)
    # A date on the end day itself is inside the window.
    late = df[date] >= end + pd.Timedelta(days=1)
    label = "date after observation end" if observation_end is not None else "date in the future"
    findings.append((label, date, late, True))

    drop = pd.Series(False, index=df.index)
    rows = []
    for check, column, mask, is_drop in findings:
        mask = mask.fillna(False).astype(bool)
        n = int(mask.sum())
        if n == 0:
            continue
        if strict and is_drop:
            shown = [c for c in (customer_id, date, amount) if c is not None]
            raise CRMDataError(
                f"column {column!r}: {check}: " + describe_rows(data, mask, shown)
            )
        rows.append(
            {
                "check": check,
                "column": column,
                "rows": n,
                "action": "dropped" if is_drop else "kept",
                "examples": list(df.index[mask][:5]),
            }
        )
        if is_drop:
            drop |= mask

    clean = df.loc[~drop]
    report = pd.DataFrame(rows, columns=_REPORT_COLUMNS)
    return ValidationResult(
        data=clean,
        report=report,
        n_input=n_input,
        _columns={"customer_id": customer_id, "date": date, "amount": amount},
    )


def _checked_inputs(
    data: pd.DataFrame, customer_id: str, date: str, amount: str | None, where: str
) -> tuple[pd.Series, np.ndarray, np.ndarray | None]:
    """Validate what rfm_summary needs; raise rather than drop anything."""
    require_frame(data, where, empty=_EMPTY)
    require_columns(data, {"customer_id": customer_id, "date": date, "amount": amount}, where)
    ids = data[customer_id]
    if ids.isna().any():
        raise CRMDataError(
            f"{where}: column {customer_id!r} has missing ids: "
            + describe_rows(data, ids.isna(), [customer_id, date])
            + "\nClean the log with validate_transactions() first."
        )
    dates = _parse_dates(data[date])
    if dates.isna().any():
        raise CRMDataError(
            f"{where}: column {date!r} has missing or non-date values: "
            + describe_rows(data, dates.isna(), [customer_id, date])
            + "\nClean the log with validate_transactions() first."
        )
    values = None
    if amount is not None:
        # Infinite amounts pass here as they always have; negative ones do not.
        numeric = numeric_column(data, amount, where, shown=[customer_id, date], finite=False)
        if (numeric < 0).any():
            raise CRMDataError(
                f"{where}: column {amount!r} has negative amounts (returns?): "
                + describe_rows(data, numeric < 0, [customer_id, date, amount])
                + "\nNet returns against their purchase or drop them with "
                "validate_transactions()."
            )
        values = numeric.to_numpy(dtype=float)
    ns = dates.to_numpy(dtype="datetime64[ns]")
    return ids, ns, values


def _period_codes(ns: np.ndarray, freq: str) -> np.ndarray:
    """Integer period number of each timestamp, consistent with pandas periods.

    The difference of two codes is the number of ``freq`` units between the
    period starts, which is exactly what lifetimes measures with
    ``(start_b - start_a) / np.timedelta64(1, freq)`` for D, W and h.
    """
    if freq == "D":
        return ns.astype("datetime64[D]").astype(np.int64)
    if freq == "h":
        return ns.astype("datetime64[h]").astype(np.int64)
    if freq == "W":
        days = ns.astype("datetime64[D]").astype(np.int64)
        return np.floor_divide(days + _WEEK_OFFSET_DAYS, 7)
    if freq == "M":
        return ns.astype("datetime64[M]").astype(np.int64)
    raise CRMDataError(f"freq must be one of {SUPPORTED_FREQS}, got {freq!r}.")


def period_codes(dates, freq: str = "D") -> np.ndarray:
    """Integer period numbers of timestamps, as :func:`rfm_summary` counts them.

    Day, hour and calendar-month numbers since 1970-01-01, and week numbers
    with weeks starting on Monday (pandas' ``W-SUN``).  The difference of two
    codes is the number of periods between the period starts.  The other
    engines of :mod:`crm_analysis.largedata` use it so that every path counts
    periods the same way.

    Parameters
    ----------
    dates : array-like of datetime64 or date-like scalar
        Timestamps (naive; time zones are dropped by the callers).
    freq : {"D", "W", "M", "h"}
        Period unit.

    Returns
    -------
    ndarray of int64
        One code per timestamp.

    Examples
    --------
    >>> period_codes(["1970-01-02", "1970-01-05"], "W").tolist()
    [0, 1]
    """
    ns = np.asarray(pd.to_datetime(np.atleast_1d(dates), format="mixed"), dtype="datetime64[ns]")
    return _period_codes(ns, freq)


def _to_code(when, freq: str) -> int:
    ts = pd.Timestamp(when)
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return int(_period_codes(np.array([ts.to_datetime64()], dtype="datetime64[ns]"), freq)[0])


def _summarise(
    cust_codes: np.ndarray,
    periods: np.ndarray,
    values: np.ndarray | None,
    n_customers: int,
    obs_code: int,
    freq_multiplier: float,
    include_first_transaction: bool,
) -> dict[str, np.ndarray]:
    """Per-customer frequency, recency, T, monetary from integer codes.

    Purchases in the same period are one repeat transaction whose value is
    their sum.  Only the combined (customer, period) key is sorted, and with
    ``np.sort`` rather than an argsort: numpy's vectorised integer sort is an
    order of magnitude faster than the argsort that ``np.unique(...,
    return_inverse=True)`` needs, and sums per period are never required: the
    mean of the repeat periods' sums is the sum of the non-first-period rows
    divided by the number of repeat periods.
    """
    pmin = periods.min()
    # Pack (customer, period) into one int64 with a shift instead of a
    # multiply, so unpacking is a shift and a mask rather than a division.
    bits = int(periods.max() - pmin).bit_length()
    key = cust_codes.astype(np.int64) << bits
    key |= periods - pmin
    key.sort()
    new_pair = np.empty(len(key), dtype=bool)
    new_pair[0] = True
    np.not_equal(key[1:], key[:-1], out=new_pair[1:])
    uniq = key[new_pair]
    u_cust = uniq >> bits
    u_period = (uniq & ((1 << bits) - 1)) + pmin

    count = np.bincount(u_cust, minlength=n_customers)
    starts = np.concatenate(([0], np.cumsum(count)[:-1]))
    first = u_period[starts]
    last = u_period[starts + count - 1]

    out = {
        "frequency": (count if include_first_transaction else count - 1).astype(float),
        "recency": (last - first) / freq_multiplier,
        "T": (obs_code - first) / freq_multiplier,
    }
    if values is not None:
        if include_first_transaction:
            n_used = count
            total = np.bincount(cust_codes, weights=values, minlength=n_customers)
        else:
            repeat = periods != first[cust_codes]
            n_used = count - 1
            total = np.bincount(
                cust_codes[repeat], weights=values[repeat], minlength=n_customers
            )
        with np.errstate(invalid="ignore", divide="ignore"):
            out["monetary_value"] = np.where(n_used > 0, total / np.maximum(n_used, 1), 0.0)
    return out


def _encode_customers(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes 0..k-1 in sorted order of the distinct ids, and the sorted ids.

    Same result as ``pd.factorize(ids, sort=True)``.  Integer ids in a dense
    range (the usual case for customer numbers) are encoded by offset and a
    presence count, which needs neither hashing nor sorting.
    """
    if ids.dtype.kind in "iu" and len(ids):
        lo, hi = int(ids.min()), int(ids.max())
        if hi - lo <= 4 * len(ids) + 1024:
            offset = (ids - lo).astype(np.intp)
            present = np.bincount(offset, minlength=hi - lo + 1) > 0
            rank = np.cumsum(present) - 1
            return rank[offset], np.flatnonzero(present).astype(ids.dtype) + lo
    codes, uniques = pd.factorize(ids, sort=True)
    return codes, np.asarray(uniques) if not isinstance(uniques, pd.Index) else uniques


def rfm_summary(
    data: pd.DataFrame,
    *,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str | None = None,
    freq: str = "D",
    freq_multiplier: float = 1,
    observation_end=None,
    calibration_end=None,
    include_first_transaction: bool = False,
    holdout_monetary: str = "transactions",
) -> pd.DataFrame:
    """Per-customer frequency, recency, T and monetary value (the RFM summary).

    Same semantics as lifetimes' ``summary_data_from_transaction_data`` and,
    with ``calibration_end``, ``calibration_and_holdout_data`` (column names
    included), computed with one vectorised pass instead of grouped pandas
    operations.

    * Timestamps are mapped to periods of ``freq``; purchases in the same
      period count once and their amounts are summed.
    * ``frequency`` = number of repeat periods (periods with a purchase after
      the first); ``recency`` = last minus first purchase period; ``T`` =
      observation end minus first purchase period; all divided by
      ``freq_multiplier``.
    * ``monetary_value`` = mean of the repeat periods' summed amounts (0 for
      customers without a repeat purchase).

    The published BTYD analyses of CDNOW (Fader, Hardie & Lee 2005) measure
    time in continuous weeks from day-level dates: use ``freq="D",
    freq_multiplier=7``, so ``T`` runs to the calibration end date.

    Parameters
    ----------
    data : DataFrame, path, glob or Dask DataFrame
        Transaction log, one row per purchase; never modified.  A path, glob
        or list of Parquet/CSV files is aggregated out of core by DuckDB
        (:func:`crm_analysis.largedata.rfm_summary_files`), a Dask DataFrame
        on the user's Dask cluster
        (:func:`crm_analysis.largedata.rfm_summary_dask`); both give the same
        result as a pandas frame.
    customer_id, date : str
        Column names.
    amount : str, optional
        Transaction value column; adds ``monetary_value``.
    freq : {"D", "W", "M", "h"}, default "D"
        Period unit. ``"W"`` weeks start on Monday (pandas' ``W-SUN``).
        ``"M"`` counts calendar months (lifetimes cannot).
    freq_multiplier : float, default 1
        Divides every time quantity, e.g. 7 with ``freq="D"`` for weeks.
    observation_end : date-like, optional
        End of observation (inclusive); later purchases are ignored.
        Defaults to the last date in the log.
    calibration_end : date-like, optional
        Split into a calibration period (up to and including this timestamp)
        and a holdout period ending at ``observation_end``.  Returns the
        columns ``frequency_cal, recency_cal, T_cal[, monetary_value_cal],
        frequency_holdout[, monetary_value_holdout], duration_holdout`` for
        customers whose first purchase falls in the calibration period.
        ``monetary_value_holdout`` is defined by ``holdout_monetary``.
    include_first_transaction : bool, default False
        Count the first purchase in frequency and monetary value.  Keep False
        for the BTYD models.
    holdout_monetary : {"transactions", "periods"}, default "transactions"
        Definition of ``monetary_value_holdout``: the mean of the raw holdout
        rows, as in lifetimes, or ``"periods"``, the mean of the holdout
        periods' summed amounts, the same definition as ``monetary_value_cal``
        (use it to validate a Gamma-Gamma model like for like).  ``"periods"``
        needs a pandas DataFrame.

    Returns
    -------
    DataFrame
        Indexed by customer id (sorted), float columns.

    Raises
    ------
    CRMDataError
        Empty log, missing column, missing ids, non-date values, non-numeric
        or negative amounts, unknown ``freq``, or an empty holdout period.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your
    customers" the easy way: An alternative to the Pareto/NBD model.
    *Marketing Science*, 24(2), 275-284.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"customer_id": [1, 1, 1, 2],
    ...                     "date": pd.to_datetime(["2020-01-01", "2020-01-01",
    ...                                             "2020-01-11", "2020-01-05"]),
    ...                     "amount": [5.0, 5.0, 20.0, 8.0]})
    >>> rfm_summary(log, amount="amount", observation_end="2020-01-31")  # doctest: +NORMALIZE_WHITESPACE
                 frequency  recency     T  monetary_value
    customer_id
    1                  1.0     10.0  30.0            20.0
    2                  0.0      0.0  26.0             0.0
    """
    if freq not in SUPPORTED_FREQS:
        raise CRMDataError(f"freq must be one of {SUPPORTED_FREQS}, got {freq!r}.")
    if not freq_multiplier or freq_multiplier <= 0:
        raise CRMDataError(f"freq_multiplier must be positive, got {freq_multiplier!r}.")
    if holdout_monetary not in ("transactions", "periods"):
        raise CRMDataError(
            f"rfm_summary: holdout_monetary must be 'transactions' or 'periods', got {holdout_monetary!r}."
        )
    if not isinstance(data, pd.DataFrame):
        if holdout_monetary != "transactions":
            raise CRMDataError("rfm_summary: holdout_monetary='periods' needs a pandas DataFrame.")
        # Files (DuckDB, out of core) and Dask frames (the user's cluster)
        # are summarised by crm_analysis.largedata with the same semantics.
        from . import largedata

        engine = None
        if largedata.is_file_source(data):
            engine = largedata.rfm_summary_files
        elif largedata.is_dask_frame(data):
            engine = largedata.rfm_summary_dask
        if engine is not None:
            return engine(
                data, customer_id=customer_id, date=date, amount=amount, freq=freq,
                freq_multiplier=freq_multiplier, observation_end=observation_end,
                calibration_end=calibration_end,
                include_first_transaction=include_first_transaction,
            )
    ids, ns, values = _checked_inputs(data, customer_id, date, amount, "rfm_summary")

    obs_ts = pd.Timestamp(ns.max()) if observation_end is None else pd.Timestamp(observation_end)
    obs_code = _to_code(obs_ts, freq)
    codes = _period_codes(ns, freq)

    if calibration_end is None:
        keep = codes <= obs_code
        return _summary_frame(
            ids, codes, values, keep, obs_code, freq_multiplier,
            include_first_transaction, customer_id,
        )

    cal_ts = pd.Timestamp(calibration_end)
    if cal_ts >= obs_ts:
        raise CRMDataError(
            f"calibration_end ({cal_ts.date()}) must be before observation_end "
            f"({obs_ts.date()})."
        )
    cal_code = _to_code(cal_ts, freq)
    # As lifetimes: calibration rows compare raw timestamps to calibration_end,
    # holdout rows are those in (calibration_end, observation_end].
    cal_ns = np.datetime64(cal_ts.to_datetime64(), "ns")
    obs_ns = np.datetime64(obs_ts.to_datetime64(), "ns")
    in_cal = ns <= cal_ns
    in_hold = (ns > cal_ns) & (ns <= obs_ns)
    if not in_cal.any():
        raise CRMDataError(f"column {date!r}: no transaction on or before calibration_end {cal_ts}.")
    if not in_hold.any():
        raise CRMDataError(
            f"column {date!r}: no transaction in the holdout period "
            f"({cal_ts} to {obs_ts}]; check calibration_end and observation_end."
        )
    cal = _summary_frame(
        ids, codes, values, in_cal & (codes <= cal_code), cal_code, freq_multiplier,
        include_first_transaction, customer_id,
    )
    cal.columns = [f"{c}_cal" for c in cal.columns]

    hold_ids = ids.to_numpy()[in_hold]
    hold = pd.DataFrame({"c": hold_ids, "p": codes[in_hold]})
    freq_hold = hold.drop_duplicates().groupby("c").size()
    cal["frequency_holdout"] = freq_hold.reindex(cal.index).fillna(0).astype(float).to_numpy()
    if values is not None:
        mon_hold = pd.Series(values[in_hold]).groupby(hold_ids).mean()
        if holdout_monetary == "periods":
            # Same-period rows are one transaction, as in the calibration columns.
            per_period = pd.Series(values[in_hold]).groupby([hold_ids, codes[in_hold]]).sum()
            mon_hold = per_period.groupby(level=0).mean()
        cal["monetary_value_holdout"] = mon_hold.reindex(cal.index).fillna(0).to_numpy()
    cal["duration_holdout"] = float(obs_code - cal_code) / freq_multiplier
    return cal


def _summary_frame(
    ids: pd.Series,
    codes: np.ndarray,
    values: np.ndarray | None,
    keep: np.ndarray,
    obs_code: int,
    freq_multiplier: float,
    include_first_transaction: bool,
    customer_id: str,
) -> pd.DataFrame:
    if not keep.any():
        raise CRMDataError("rfm_summary: no transaction on or before the observation end.")
    kept = ids.to_numpy()[keep]
    cust_codes, uniques = _encode_customers(kept)
    cols = _summarise(
        cust_codes,
        codes[keep],
        None if values is None else values[keep],
        len(uniques),
        obs_code,
        freq_multiplier,
        include_first_transaction,
    )
    index = pd.Index(uniques, name=customer_id)
    return pd.DataFrame(cols, index=index).astype(float)


def period_totals(
    data: pd.DataFrame,
    *,
    date: str = "date",
    amount: str | None = None,
    customer_id: str | None = None,
    freq: str = "W",
) -> pd.DataFrame:
    """Totals per calendar period: transactions, revenue and active customers.

    Parameters
    ----------
    data : DataFrame
        Transaction log; never modified.
    date : str
        Date column.
    amount : str, optional
        Value column; adds ``amount`` (sum per period).
    customer_id : str, optional
        Id column; adds ``customers`` (distinct buyers per period).
    freq : {"D", "W", "M"}, default "W"
        Period length; weeks start on Monday.

    Returns
    -------
    DataFrame
        ``period`` (period start), ``transactions`` and the optional columns.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"date": pd.to_datetime(["2020-01-06", "2020-01-07", "2020-01-14"]),
    ...                     "amount": [1.0, 2.0, 4.0]})
    >>> period_totals(log, amount="amount")["amount"].tolist()
    [3.0, 4.0]
    """
    if freq not in ("D", "W", "M"):
        raise CRMDataError(f"freq must be 'D', 'W' or 'M', got {freq!r}.")
    require_frame(data, "period_totals", empty=_EMPTY)
    require_columns(data, {"date": date, "amount": amount, "customer_id": customer_id},
                    "period_totals")
    dates = _parse_dates(data[date])
    if dates.isna().any():
        raise CRMDataError(
            f"period_totals: column {date!r} has missing or non-date values: "
            + describe_rows(data, dates.isna(), [date])
        )
    period = dates.dt.to_period(freq).dt.start_time.rename("period")
    grouped = data.groupby(period)
    out = grouped.size().rename("transactions").to_frame()
    if amount is not None:
        out["amount"] = grouped[amount].sum()
    if customer_id is not None:
        out["customers"] = grouped[customer_id].nunique()
    return out.reset_index()
