"""The RFM summary core: period codes and the pandas per-customer summary.

What the pandas path of :func:`crm_analysis.rfm_summary` and the out-of-core
engines of :mod:`crm_analysis.largedata` share: the period unit, the integer
period codes (:func:`period_codes`), the input checks and the vectorised
per-customer summary of an in-memory log (:func:`rfm_summary_frame`).  It sits
below both, so that :mod:`crm_analysis.transactions` can dispatch to the
engines and the engines can summarise a partition with the pandas path without
either importing the other lazily.  The public names are re-exported by
:mod:`crm_analysis.transactions`, their documented home.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._checks import (
    check_freq_multiplier,
    normalise_ids,
    numeric_column,
    require_columns,
    require_frame,
)
from .dates import parse_cutoff, parse_dates, raise_for_bad_dates
from .errors import CRMDataError, describe_rows

__all__ = ["SUPPORTED_FREQS", "period_codes", "rfm_summary_frame"]

#: Period units accepted by :func:`rfm_summary`.
SUPPORTED_FREQS = ("D", "W", "M", "h")

# 1970-01-01 is a Thursday; pandas' weekly periods ("W" = "W-SUN") start on
# Monday, so day -3 (1969-12-29) opens week 0.
_WEEK_OFFSET_DAYS = 3

_EMPTY = "the transaction log is empty"


def check_summary_args(freq: str, freq_multiplier: float, holdout_monetary: str) -> None:
    """The argument checks every summary path applies before reading the log."""
    if freq not in SUPPORTED_FREQS:
        raise CRMDataError(f"rfm_summary: freq must be one of {SUPPORTED_FREQS}, got {freq!r}.")
    check_freq_multiplier(freq_multiplier)
    if holdout_monetary not in ("transactions", "periods"):
        raise CRMDataError(
            f"rfm_summary: holdout_monetary must be 'transactions' or 'periods', got {holdout_monetary!r}."
        )


def _checked_inputs(
    data: pd.DataFrame, customer_id: str, date: str, amount: str | None, where: str,
    dates_kw: dict | None = None,
) -> tuple[pd.Series, np.ndarray, np.ndarray | None]:
    """Validate what rfm_summary needs; raise rather than drop anything."""
    require_frame(data, where, empty=_EMPTY)
    require_columns(data, {"customer_id": customer_id, "date": date, "amount": amount}, where)
    # 5 and "5" are one customer (in every engine).
    ids = normalise_ids(data[customer_id])
    if ids.isna().any():
        raise CRMDataError(
            f"{where}: column {customer_id!r} has missing ids: "
            + describe_rows(data, ids.isna(), [customer_id, date])
            + "\nClean the log with validate_transactions() first."
        )
    parsed = parse_dates(data[date], column=date, where=where, **(dates_kw or {}))
    raise_for_bad_dates(data, parsed, date, where, [customer_id, date],
                        hint="\nClean the log with validate_transactions() first.")
    dates = parsed.values
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
    raise CRMDataError(f"rfm_summary: freq must be one of {SUPPORTED_FREQS}, got {freq!r}.")


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


def rfm_summary_frame(
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
    dayfirst: bool | None = None,
    date_format: str | None = None,
    tz: str | None = None,
    holdout_monetary: str = "transactions",
) -> pd.DataFrame:
    """The RFM summary of an in-memory log (the pandas path of ``rfm_summary``).

    Parameters and result as :func:`crm_analysis.rfm_summary`, which calls it
    for a pandas DataFrame; the Dask engine calls it on each partition.

    Parameters
    ----------
    data : DataFrame
        Transaction log; never modified.
    customer_id, date, amount, freq, freq_multiplier, observation_end, calibration_end, include_first_transaction, dayfirst, date_format, tz, holdout_monetary
        As in :func:`crm_analysis.rfm_summary`.

    Returns
    -------
    DataFrame
        One row per customer, as :func:`crm_analysis.rfm_summary`.

    Raises
    ------
    CRMDataError
        As :func:`crm_analysis.rfm_summary` (messages start ``rfm_summary:``).

    Examples
    --------
    >>> log = pd.DataFrame({"customer_id": [1, 1], "date": ["2020-01-01", "2020-01-08"]})
    >>> rfm_summary_frame(log, freq="W").loc[1].tolist()
    [1.0, 1.0, 1.0]
    """
    check_summary_args(freq, freq_multiplier, holdout_monetary)
    dates_kw = {"dayfirst": dayfirst, "date_format": date_format, "tz": tz}
    ids, ns, values = _checked_inputs(data, customer_id, date, amount, "rfm_summary", dates_kw)

    obs_ts = (pd.Timestamp(ns.max()) if observation_end is None
              else parse_cutoff(observation_end, "observation_end", tz=tz))
    obs_code = _to_code(obs_ts, freq)
    codes = _period_codes(ns, freq)

    if calibration_end is None:
        keep = codes <= obs_code
        return _summary_frame(
            ids, codes, values, keep, obs_code, freq_multiplier,
            include_first_transaction, customer_id,
        )

    cal_ts = parse_cutoff(calibration_end, "calibration_end", tz=tz)
    if cal_ts >= obs_ts:
        raise CRMDataError(
            f"rfm_summary: calibration_end ({cal_ts.date()}) must be before observation_end "
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
        raise CRMDataError(f"rfm_summary: column {date!r}: no transaction on or before calibration_end {cal_ts}.")
    if not in_hold.any():
        raise CRMDataError(
            f"rfm_summary: column {date!r}: no transaction in the holdout period "
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
