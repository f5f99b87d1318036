"""Large transaction logs: out-of-core files (DuckDB), Dask clusters, chunked scoring.

A consultant's client rarely hands over a log that fits a laptop's memory.
This module takes the RFM summary and the customer scores of the package from
a notebook sample to hundreds of millions of purchase lines without changing
what they mean:

* :func:`rfm_summary_files` aggregates Parquet or CSV files (a path, a glob
  or a list) with an embedded DuckDB database.  The log is streamed; only one
  row per (customer, period) and then per customer is ever held, and DuckDB
  spills to disk past ``memory_limit``.
* :func:`rfm_summary_dask` aggregates a Dask DataFrame on the user's
  ``dask.distributed`` cluster: the log is shuffled so that each customer's
  purchases sit in one partition, and every partition is summarised by the
  pandas path of :func:`crm_analysis.rfm_summary`.
* :func:`score_in_chunks` and :func:`score_dask` compute P(alive), expected
  purchases and customer lifetime value from an already fitted model, chunk by
  chunk or partition by partition, so scoring never needs the whole customer
  base in one array.

:func:`crm_analysis.rfm_summary` dispatches here when it receives a path or a
Dask frame; the results equal the pandas path (same columns, index and
values; see ``tests/test_largedata.py``).
"""

from __future__ import annotations

import glob as _glob
import os
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import CRMDataError, describe_rows
from .transactions import SUPPORTED_FREQS, period_codes, rfm_summary

__all__ = [
    "is_file_source",
    "is_dask_frame",
    "rfm_summary_files",
    "rfm_summary_dask",
    "score_in_chunks",
    "score_dask",
    "synthetic_log",
    "write_synthetic_parquet",
]

_PARQUET = (".parquet", ".pq", ".parq")
_CSV = (".csv", ".csv.gz", ".tsv", ".txt", ".csv.zst")


# --------------------------------------------------------------------------- sources


def is_file_source(data) -> bool:
    """True for a path, a glob or a list of paths (what DuckDB should read)."""
    if isinstance(data, (str, os.PathLike)):
        return True
    if isinstance(data, (list, tuple)) and data:
        return all(isinstance(x, (str, os.PathLike)) for x in data)
    return False


def is_dask_frame(data) -> bool:
    """True for a Dask DataFrame (checked without importing Dask)."""
    module = type(data).__module__ or ""
    return module.split(".")[0] in ("dask", "dask_expr") and hasattr(data, "map_partitions")


def _expand(source) -> list[str]:
    items = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    files: list[str] = []
    for item in items:
        item = str(item)
        if Path(item).is_dir():
            matched = sorted(
                p for p in _glob.glob(os.path.join(item, "**", "*"), recursive=True)
                if p.lower().endswith(_PARQUET + _CSV)
            )
        elif any(ch in item for ch in "*?["):
            matched = sorted(_glob.glob(item, recursive=True))
        else:
            matched = [item] if Path(item).exists() else []
        if not matched:
            raise CRMDataError(f"rfm_summary: no file matches {item!r}.")
        files.extend(matched)
    return files


def _reader(files: list[str], file_format: str | None) -> str:
    if file_format is None:
        kinds = {
            "parquet" if f.lower().endswith(_PARQUET) else
            "csv" if f.lower().endswith(_CSV) else "?"
            for f in files
        }
        if kinds == {"parquet"}:
            file_format = "parquet"
        elif kinds == {"csv"}:
            file_format = "csv"
        else:
            raise CRMDataError(
                "rfm_summary: cannot tell the file format of "
                f"{files[:5]} (mixed or unknown extensions); pass file_format='parquet' or 'csv'."
            )
    listed = "[" + ", ".join(_sql_str(f) for f in files) + "]"
    if file_format == "parquet":
        return f"read_parquet({listed})"
    if file_format == "csv":
        return f"read_csv({listed}, auto_detect = true)"
    raise CRMDataError(f"file_format must be 'parquet' or 'csv', got {file_format!r}.")


def _sql_str(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _code_sql(ts: str, freq: str) -> str:
    """SQL for the period code of timestamp expression ``ts`` (see period_codes)."""
    day = f"(CAST({ts} AS DATE) - DATE '1970-01-01')"
    if freq == "D":
        return day
    if freq == "h":
        return f"({day} * 24 + hour({ts}))"
    if freq == "W":
        # Integer '/' is floating point in DuckDB; floor keeps negative days right.
        return f"CAST(floor(({day} + 3) / 7) AS BIGINT)"
    if freq == "M":
        return f"((year({ts}) - 1970) * 12 + month({ts}) - 1)"
    raise CRMDataError(f"freq must be one of {SUPPORTED_FREQS}, got {freq!r}.")


def _check_args(freq: str, freq_multiplier: float) -> None:
    if freq not in SUPPORTED_FREQS:
        raise CRMDataError(f"freq must be one of {SUPPORTED_FREQS}, got {freq!r}.")
    if not freq_multiplier or freq_multiplier <= 0:
        raise CRMDataError(f"freq_multiplier must be positive, got {freq_multiplier!r}.")


def _naive(when) -> pd.Timestamp:
    ts = pd.Timestamp(when)
    return ts.tz_localize(None) if ts.tzinfo is not None else ts


def _code(ts: pd.Timestamp, freq: str) -> int:
    return int(period_codes([ts], freq)[0])


# --------------------------------------------------------------------------- DuckDB


def rfm_summary_files(
    source,
    *,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str | None = None,
    freq: str = "D",
    freq_multiplier: float = 1,
    observation_end=None,
    calibration_end=None,
    include_first_transaction: bool = False,
    file_format: str | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
    temp_directory: str | None = None,
) -> pd.DataFrame:
    """RFM summary of Parquet or CSV files, aggregated out of core by DuckDB.

    Same result as :func:`crm_analysis.rfm_summary` on the same log loaded
    into pandas (which dispatches here for paths).  Two passes over the files:
    a light check pass (missing ids, unreadable dates, missing or negative
    amounts, the last date; about an eighth of the time) and one aggregation,
    first to one row per customer and period, then to one row per customer.  Only the per-customer summary is
    returned to Python.

    Parameters
    ----------
    source : str, Path or list of them
        A file, a directory (all Parquet/CSV files below it), a glob such as
        ``"logs/2024-*.parquet"``, or a list of these.
    customer_id, date, amount, freq, freq_multiplier, observation_end, calibration_end, include_first_transaction
        As in :func:`crm_analysis.rfm_summary`.  Dates may be stored as
        timestamps, dates or ISO strings (read with ``TRY_CAST``); time zones
        are converted to UTC (the pandas path keeps the local clock).
    file_format : {"parquet", "csv"}, optional
        Needed only when the extensions do not tell.
    threads : int, optional
        DuckDB worker threads (default: all cores).
    memory_limit : str, optional
        DuckDB memory limit such as ``"2GB"``; past it DuckDB spills to
        ``temp_directory``.
    temp_directory : str, optional
        Where DuckDB spills (default: DuckDB's own choice).

    Returns
    -------
    DataFrame
        Indexed by customer id (sorted), float columns, as
        :func:`crm_analysis.rfm_summary`.

    Raises
    ------
    CRMDataError
        No file matches, a column is missing, the log is empty, or the checks
        of :func:`crm_analysis.rfm_summary` fail (the message shows up to five
        offending rows).

    Notes
    -----
    The monetary value is the customer's total spend minus the spend of the
    first purchase period, divided by the number of repeat periods; it agrees
    with the pandas path to rounding (relative 1e-12 on the test logs).

    Examples
    --------
    >>> summary = rfm_summary_files("logs/*.parquet", amount="amount")  # doctest: +SKIP
    """
    import duckdb

    _check_args(freq, freq_multiplier)
    files = _expand(source)
    reader = _reader(files, file_format)
    con = duckdb.connect()
    try:
        if threads is not None:
            con.execute(f"SET threads = {int(threads)}")
        if memory_limit is not None:
            con.execute(f"SET memory_limit = {_sql_str(memory_limit)}")
        if temp_directory is not None:
            con.execute(f"SET temp_directory = {_sql_str(temp_directory)}")
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET preserve_insertion_order = false")
        return _duckdb_summary(
            con, reader, customer_id, date, amount, freq, freq_multiplier,
            observation_end, calibration_end, include_first_transaction,
        )
    finally:
        con.close()


def _duckdb_summary(
    con, reader, customer_id, date, amount, freq, freq_multiplier,
    observation_end, calibration_end, include_first_transaction,
) -> pd.DataFrame:
    columns = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()]
    wanted = {"customer_id": customer_id, "date": date, "amount": amount}
    missing = [f"{role}={name!r}" for role, name in wanted.items()
               if name is not None and name not in columns]
    if missing:
        raise CRMDataError(
            f"rfm_summary: column(s) not found: {', '.join(missing)}. "
            f"Available columns: {columns[:20]}."
        )
    cid = _ident(customer_id)
    amt = f"TRY_CAST({_ident(amount)} AS DOUBLE)" if amount is not None else "NULL"
    typed = (
        f"(SELECT {cid} AS cid, TRY_CAST({_ident(date)} AS TIMESTAMP) AS ts, "
        f"{amt} AS amt FROM {reader})"
    )
    cal_ts = None if calibration_end is None else _naive(calibration_end)
    obs_given = None if observation_end is None else _naive(observation_end)
    split = ""
    if cal_ts is not None:
        split = (
            f", count(*) FILTER (WHERE ts <= {_sql_str(cal_ts)}::TIMESTAMP) AS n_cal"
            f", count(*) FILTER (WHERE ts > {_sql_str(cal_ts)}::TIMESTAMP"
            + (f" AND ts <= {_sql_str(obs_given)}::TIMESTAMP" if obs_given is not None else "")
            + ") AS n_hold"
        )
    checks = con.execute(
        "SELECT count(*) AS n, count(*) FILTER (WHERE cid IS NULL) AS bad_id, "
        "count(*) FILTER (WHERE ts IS NULL) AS bad_date, "
        "count(*) FILTER (WHERE amt IS NULL) AS bad_amount, "
        "count(*) FILTER (WHERE amt < 0) AS neg_amount, max(ts) AS last"
        f"{split} FROM {typed}"
    ).df().iloc[0]
    if checks["n"] == 0:
        raise CRMDataError("rfm_summary: the transaction log is empty (0 rows).")

    def offending(condition: str, message: str, cols: list[str]):
        shown = [c for c in cols if c is not None]
        sel = ", ".join(_ident(c) for c in shown)
        rows = con.execute(
            f"SELECT {sel} FROM (SELECT *, {cid} AS cid, "
            f"TRY_CAST({_ident(date)} AS TIMESTAMP) AS ts, {amt} AS amt FROM {reader}) "
            f"WHERE {condition} LIMIT 5"
        ).df()
        n = int(checks[message[0]])
        text = describe_rows(rows, np.ones(len(rows), dtype=bool), shown)
        text = f"{n} row{'s' if n != 1 else ''}" + text[text.index(","):]
        raise CRMDataError(f"rfm_summary: column {message[1]!r} has {message[2]}: " + text)

    if checks["bad_id"]:
        offending("cid IS NULL", ("bad_id", customer_id, "missing ids"), [customer_id, date])
    if checks["bad_date"]:
        offending("ts IS NULL", ("bad_date", date, "missing or non-date values"),
                  [customer_id, date])
    if amount is not None and checks["bad_amount"]:
        offending("amt IS NULL", ("bad_amount", amount, "missing or non-numeric values"),
                  [customer_id, date, amount])
    if amount is not None and checks["neg_amount"]:
        offending("amt < 0", ("neg_amount", amount, "negative amounts (returns?)"),
                  [customer_id, date, amount])

    obs_ts = pd.Timestamp(checks["last"]) if obs_given is None else obs_given
    obs_code = _code(obs_ts, freq)
    if cal_ts is None:
        out = _duckdb_periods(con, typed, freq, "TRUE", obs_code, obs_code, amount,
                              freq_multiplier, include_first_transaction)
        if out.empty:
            raise CRMDataError("rfm_summary: no transaction on or before the observation end.")
        return out.rename_axis(customer_id)

    if cal_ts >= obs_ts:
        raise CRMDataError(
            f"calibration_end ({cal_ts.date()}) must be before observation_end "
            f"({obs_ts.date()})."
        )
    if checks["n_cal"] == 0:
        raise CRMDataError(f"column {date!r}: no transaction on or before calibration_end {cal_ts}.")
    if checks["n_hold"] == 0:
        raise CRMDataError(
            f"column {date!r}: no transaction in the holdout period "
            f"({cal_ts} to {obs_ts}]; check calibration_end and observation_end."
        )
    cal_code = _code(cal_ts, freq)
    cal = _duckdb_periods(con, typed, freq, f"ts <= {_sql_str(cal_ts)}::TIMESTAMP", cal_code,
                          cal_code, amount, freq_multiplier, include_first_transaction)
    cal.columns = [f"{c}_cal" for c in cal.columns]
    hold = con.execute(
        f"SELECT cid, count(DISTINCT {_code_sql('ts', freq)}) AS f, avg(amt) AS m "
        f"FROM {typed} WHERE ts > {_sql_str(cal_ts)}::TIMESTAMP "
        f"AND ts <= {_sql_str(obs_ts)}::TIMESTAMP GROUP BY cid"
    ).df().set_index("cid")
    cal["frequency_holdout"] = hold["f"].reindex(cal.index).fillna(0).astype(float).to_numpy()
    if amount is not None:
        cal["monetary_value_holdout"] = hold["m"].reindex(cal.index).fillna(0).to_numpy()
    cal["duration_holdout"] = float(obs_code - cal_code) / freq_multiplier
    return cal.rename_axis(customer_id)


def _duckdb_periods(con, typed, freq, where, max_code, end_code, amount, freq_multiplier,
                    include_first_transaction) -> pd.DataFrame:
    """Frequency, recency, T (and monetary value) per customer, in SQL.

    The arithmetic is done in SQL with the same IEEE operations as the pandas
    path (integer differences, then one division), and the rows come back
    sorted, so that Python holds just the output columns once.
    """
    code = _code_sql("ts", freq)
    mult = float(freq_multiplier)
    repeat = "n" if include_first_transaction else "n - 1"
    spent = "total" if include_first_transaction else "total - first_s"
    monetary = (
        f", CASE WHEN {repeat} > 0 THEN ({spent}) / CAST({repeat} AS DOUBLE) ELSE 0.0 END "
        "AS monetary_value" if amount is not None else ""
    )
    query = f"""
        WITH periods AS (
            SELECT cid, code, sum(amt) AS s
            FROM (SELECT cid, {code} AS code, amt FROM {typed} WHERE {where})
            WHERE code <= {int(max_code)}
            GROUP BY cid, code
        ), customers AS (
            SELECT cid, count(*) AS n, min(code) AS first, max(code) AS last,
                   sum(s) AS total, arg_min(s, code) AS first_s
            FROM periods GROUP BY cid
        )
        SELECT cid, CAST({repeat} AS DOUBLE) AS frequency,
               CAST(last - first AS DOUBLE) / {mult!r} AS recency,
               CAST({int(end_code)} - first AS DOUBLE) / {mult!r} AS T{monetary}
        FROM customers ORDER BY cid
    """
    # fetchnumpy skips the per-column pandas conversion of .df().
    res = con.execute(query).fetchnumpy()
    index = pd.Index(res.pop("cid"))
    return pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in res.items()}, index=index)


# --------------------------------------------------------------------------- Dask


def rfm_summary_dask(
    data,
    *,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str | None = None,
    freq: str = "D",
    freq_multiplier: float = 1,
    observation_end=None,
    calibration_end=None,
    include_first_transaction: bool = False,
    compute: bool = True,
):
    """RFM summary of a Dask DataFrame, computed on the active Dask cluster.

    The log is shuffled on ``customer_id`` so that each customer's purchases
    are in one partition; each partition is then summarised by the pandas
    path of :func:`crm_analysis.rfm_summary` with the global observation end,
    which is what makes the result identical to summarising the whole log in
    pandas.  Bad rows raise :class:`CRMDataError` from the partition that
    holds them.

    Parameters
    ----------
    data : dask.dataframe.DataFrame
        Transaction log.
    customer_id, date, amount, freq, freq_multiplier, observation_end, calibration_end, include_first_transaction
        As in :func:`crm_analysis.rfm_summary`.
    compute : bool, default True
        Return a pandas DataFrame sorted by customer id.  With False, return
        the lazy Dask DataFrame (one partition per input partition, unsorted),
        e.g. to score it with :func:`score_dask` without collecting it.

    Returns
    -------
    DataFrame or dask.dataframe.DataFrame
        The summary, as :func:`crm_analysis.rfm_summary`.

    Raises
    ------
    CRMDataError
        Missing column, or any check of :func:`crm_analysis.rfm_summary`.

    Examples
    --------
    >>> from dask.distributed import Client, LocalCluster      # doctest: +SKIP
    >>> client = Client(LocalCluster(n_workers=2))              # doctest: +SKIP
    >>> ddf = dask.dataframe.read_parquet("logs/")              # doctest: +SKIP
    >>> summary = rfm_summary_dask(ddf, amount="amount")        # doctest: +SKIP
    """
    _check_args(freq, freq_multiplier)
    missing = [f"{role}={name!r}" for role, name in
               {"customer_id": customer_id, "date": date, "amount": amount}.items()
               if name is not None and name not in data.columns]
    if missing:
        raise CRMDataError(
            f"rfm_summary: column(s) not found: {', '.join(missing)}. "
            f"Available columns: {list(data.columns)[:20]}."
        )
    cols = [c for c in (customer_id, date, amount) if c is not None]
    log = data[cols]
    if not pd.api.types.is_datetime64_any_dtype(log[date].dtype):
        log = log.assign(**{date: log[date].map_partitions(
            _to_datetime, meta=(date, "datetime64[ns]"))})
    last = log[date].max().compute()
    if pd.isna(last):
        raise CRMDataError(f"rfm_summary: column {date!r}: no value could be read as a date.")
    obs_ts = _naive(last) if observation_end is None else _naive(observation_end)
    cal_ts = None if calibration_end is None else _naive(calibration_end)
    if cal_ts is not None and cal_ts >= obs_ts:
        raise CRMDataError(
            f"calibration_end ({cal_ts.date()}) must be before observation_end "
            f"({obs_ts.date()})."
        )

    if cal_ts is not None:
        n_cal, n_hold = _dask_compute(
            (log[date] <= cal_ts).sum(), ((log[date] > cal_ts) & (log[date] <= obs_ts)).sum()
        )
        if n_cal == 0:
            raise CRMDataError(
                f"column {date!r}: no transaction on or before calibration_end {cal_ts}.")
        if n_hold == 0:
            raise CRMDataError(
                f"column {date!r}: no transaction in the holdout period "
                f"({cal_ts} to {obs_ts}]; check calibration_end and observation_end."
            )

    kwargs = dict(customer_id=customer_id, date=date, amount=amount, freq=freq,
                  freq_multiplier=freq_multiplier, obs_ts=obs_ts, cal_ts=cal_ts,
                  include_first_transaction=include_first_transaction)
    meta = _partition_meta(log._meta, customer_id=customer_id, amount=amount, cal_ts=cal_ts)
    # After the shuffle every customer's purchases are in a single partition.
    parts = log.shuffle(on=customer_id).map_partitions(_partition_summary, meta=meta, **kwargs)
    if not compute:
        return parts
    out = parts.compute().sort_index()
    if out.empty:
        raise CRMDataError("rfm_summary: no transaction on or before the observation end.")
    return out


def _dask_compute(*args):
    import dask

    return dask.compute(*args)


def _to_datetime(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce", format="mixed").astype("datetime64[ns]")


def _summary_columns(amount, cal_ts) -> list[str]:
    base = ["frequency", "recency", "T"] + (["monetary_value"] if amount is not None else [])
    if cal_ts is None:
        return base
    return ([f"{c}_cal" for c in base] + ["frequency_holdout"]
            + (["monetary_value_holdout"] if amount is not None else []) + ["duration_holdout"])


def _partition_meta(sample: pd.DataFrame, *, customer_id, amount, cal_ts, **_) -> pd.DataFrame:
    cols = _summary_columns(amount, cal_ts)
    index = pd.Index(sample[customer_id].iloc[:0], name=customer_id)
    return pd.DataFrame({c: pd.Series(dtype=float) for c in cols}, index=index)


def _partition_summary(part: pd.DataFrame, *, customer_id, date, amount, freq, freq_multiplier,
                       obs_ts, cal_ts, include_first_transaction) -> pd.DataFrame:
    """Summary of the customers of one shuffled partition (all their rows are here)."""
    meta = _partition_meta(part, customer_id=customer_id, amount=amount, cal_ts=cal_ts)
    if part.empty:
        return meta
    common = dict(customer_id=customer_id, date=date, amount=amount, freq=freq,
                  freq_multiplier=freq_multiplier,
                  include_first_transaction=include_first_transaction)
    bad = part[customer_id].isna().any() or part[date].isna().any()
    if amount is not None:
        numeric = pd.to_numeric(part[amount], errors="coerce")
        bad = bad or numeric.isna().any() or (numeric < 0).any()
    if bad:
        # The pandas path raises CRMDataError naming the column and the rows.
        rfm_summary(part, observation_end=obs_ts, **common)
    if cal_ts is None:
        # rfm_summary keeps the whole observation-end period; rows after it are dropped here
        # only so that a partition without any kept row is not an error.
        if not (period_codes(part[date].to_numpy(), freq) <= _code(obs_ts, freq)).any():
            return meta
        return rfm_summary(part, observation_end=obs_ts, **common)
    in_cal = part[date] <= cal_ts
    if not in_cal.any():
        return meta
    if ((part[date] > cal_ts) & (part[date] <= obs_ts)).any():
        return rfm_summary(part, calibration_end=cal_ts, observation_end=obs_ts, **common)
    # No holdout purchase in this partition: the calibration summary with zero holdout.
    cal = rfm_summary(part[in_cal], observation_end=cal_ts, **common)
    cal.columns = [f"{c}_cal" for c in cal.columns]
    cal["frequency_holdout"] = 0.0
    if amount is not None:
        cal["monetary_value_holdout"] = 0.0
    cal["duration_holdout"] = float(_code(obs_ts, freq) - _code(cal_ts, freq)) / freq_multiplier
    return cal


# --------------------------------------------------------------------------- scoring


def score_in_chunks(
    model,
    summary: pd.DataFrame,
    *,
    t: float = 52.0,
    spend=None,
    horizon: int | None = None,
    discount_rate: float = 0.0,
    margin: float = 1.0,
    period: str | float = 1.0,
    chunk_size: int = 250_000,
    progress: bool = True,
) -> pd.DataFrame:
    """P(alive), expected purchases and CLV for a large summary, chunk by chunk.

    Each customer's score depends only on the fitted parameters and the
    customer's own (frequency, recency, T), so the summary can be cut into
    chunks of ``chunk_size`` rows and scored one chunk at a time; the
    temporaries of the hypergeometric and likelihood terms then stay bounded
    by the chunk, not the customer base.  The scores are the fitted model's
    own (:meth:`crm_analysis.clv.BTYDModel.p_alive`,
    :meth:`~crm_analysis.clv.BTYDModel.expected_purchases` and
    :func:`crm_analysis.customer_lifetime_value`).

    Parameters
    ----------
    model : BTYDModel or BGBBModel
        A fitted transaction model (:func:`crm_analysis.fit_btyd`), or one
        built from known parameters with ``BTYDModel.from_params``.
    summary : DataFrame
        Customer summary in the model's time unit (``*_cal`` columns are
        found by the model).
    t : float, default 52
        Horizon of ``expected_purchases`` in model time units.
    spend : SpendModel, float or Series, optional
        Expected spend per transaction; with ``horizon`` adds a ``clv`` column
        (see :func:`crm_analysis.customer_lifetime_value`).
    horizon : int, optional
        Number of discount periods for the CLV.
    discount_rate, margin, period
        Passed to :func:`crm_analysis.customer_lifetime_value` (``period`` is
        its ``freq``).
    chunk_size : int, default 250,000
        Customers per chunk.
    progress : bool, default True
        Show a progress bar over the chunks.

    Returns
    -------
    DataFrame
        ``p_alive``, ``expected_purchases`` (and ``clv``), indexed like
        ``summary``.

    Raises
    ------
    CRMDataError
        ``chunk_size`` not positive, CLV asked without both ``spend`` and
        ``horizon``, or the model's own checks on the summary.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your
    customers" the easy way: An alternative to the Pareto/NBD model.
    *Marketing Science*, 24(2), 275-284.

    Examples
    --------
    >>> from crm_analysis.clv import BTYDModel
    >>> bg = BTYDModel.from_params("bgnbd", [0.243, 4.414, 0.793, 2.426])
    >>> one = pd.DataFrame({"frequency": [2.0], "recency": [30.43], "T": [38.86]})
    >>> round(float(score_in_chunks(bg, one, t=39, progress=False)["expected_purchases"].iloc[0]), 3)
    1.226
    """
    from tqdm.auto import tqdm

    from .clv import customer_lifetime_value

    if not isinstance(chunk_size, (int, np.integer)) or chunk_size <= 0:
        raise CRMDataError(f"chunk_size must be a positive whole number, got {chunk_size!r}.")
    if (spend is None) != (horizon is None):
        raise CRMDataError("score_in_chunks: CLV needs both spend and horizon (or neither).")
    pieces = []
    starts = range(0, len(summary), chunk_size)
    for start in tqdm(starts, desc="scoring chunks", disable=not progress):
        chunk = summary.iloc[start:start + chunk_size]
        out = pd.DataFrame(index=chunk.index)
        out["p_alive"] = model.p_alive(chunk).to_numpy()
        out["expected_purchases"] = model.expected_purchases(t, chunk).to_numpy()
        if spend is not None:
            piece = spend.reindex(chunk.index) if isinstance(spend, pd.Series) else spend
            out["clv"] = customer_lifetime_value(
                model, piece, chunk, horizon=horizon, discount_rate=discount_rate,
                margin=margin, freq=period,
            ).to_numpy()
        pieces.append(out)
    if not pieces:
        return pd.DataFrame(columns=["p_alive", "expected_purchases"]
                            + (["clv"] if spend is not None else []),
                            index=summary.index, dtype=float)
    return pd.concat(pieces)


def score_dask(model, summary, *, chunk_size: int = 250_000, **kwargs):
    """Score a Dask customer summary with ``map_partitions``.

    Every partition is scored by :func:`score_in_chunks` on the worker that
    holds it, so the scores never pass through the client.  ``summary`` is
    typically ``rfm_summary_dask(..., compute=False)``.

    Parameters
    ----------
    model : BTYDModel or BGBBModel
        Fitted transaction model (shipped to the workers).
    summary : dask.dataframe.DataFrame
        Customer summary.
    chunk_size : int
        Chunk size within a partition.
    **kwargs
        ``t``, ``spend`` (a SpendModel or a number; not a Series), ``horizon``,
        ``discount_rate``, ``margin``, ``period`` as in :func:`score_in_chunks`.

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy scores (``p_alive``, ``expected_purchases`` and maybe ``clv``),
        partitioned like ``summary``; call ``.compute()`` or write them out.
    """
    if isinstance(kwargs.get("spend"), pd.Series):
        raise CRMDataError("score_dask: pass spend as a SpendModel or a number, not a Series.")
    columns = ["p_alive", "expected_purchases"] + (["clv"] if kwargs.get("spend") is not None else [])
    meta = pd.DataFrame({c: pd.Series(dtype=float) for c in columns},
                        index=summary._meta.index)
    return summary.map_partitions(_score_partition, model, meta=meta, chunk_size=chunk_size,
                                  **kwargs)


def _score_partition(part: pd.DataFrame, model, **kwargs) -> pd.DataFrame:
    return score_in_chunks(model, part, progress=False, **kwargs)


# --------------------------------------------------------------------------- synthetic logs


def synthetic_log(
    n_lines: int,
    *,
    n_customers: int | None = None,
    days: int = 730,
    start: str = "2020-01-01",
    same_day_share: float = 0.2,
    seed: int | np.random.Generator = 0,
) -> pd.DataFrame:
    """A seeded, unsorted synthetic purchase log for tests and benchmarks.

    Not a behavioural model (use :mod:`crm_analysis.simulate` for known-truth
    worlds): it only has the shape that makes RFM aggregation work hard.
    Each line picks a customer uniformly; each customer has a first-purchase
    day uniform in the first half of the window; a line falls on that day
    with probability ``same_day_share`` (so many customers buy twice on one
    day) and otherwise an exponential number of days later (mean a quarter of
    the window, truncated at its end), at a uniform second of the day.
    Amounts are log-normal (median about US$20), rounded to cents.

    Parameters
    ----------
    n_lines : int
        Purchase lines.
    n_customers : int, optional
        Customer pool (default ``n_lines // 6``, so about six lines each).
    days : int, default 730
        Length of the window in days.
    start : str, default "2020-01-01"
        First day of the window.
    same_day_share : float, default 0.2
        Share of lines on the customer's first-purchase day.
    seed : int or Generator
        Same seed, same log.

    Returns
    -------
    DataFrame
        ``customer_id`` (int64), ``date`` (datetime64[ns]), ``amount`` (float).

    Examples
    --------
    >>> log = synthetic_log(1000, seed=1)
    >>> log.shape, log["date"].is_monotonic_increasing
    ((1000, 3), False)
    """
    rng = np.random.default_rng(seed)
    n_customers = n_customers or max(1, n_lines // 6)
    first = rng.integers(0, max(1, days // 2), n_customers)
    return _synthetic_chunk(rng, n_lines, first, days, start, same_day_share)


def _synthetic_chunk(rng, n_lines, first, days, start, same_day_share) -> pd.DataFrame:
    cust = rng.integers(0, len(first), n_lines)
    offset = np.minimum(rng.exponential(days / 4, n_lines), days - 1).astype(np.int64)
    offset[rng.random(n_lines) < same_day_share] = 0
    day = np.minimum(first[cust] + offset, days - 1)
    seconds = day * 86_400 + rng.integers(0, 86_400, n_lines)
    ts = np.datetime64(start, "s") + seconds.astype("timedelta64[s]")
    amount = np.round(rng.lognormal(3.0, 0.8, n_lines), 2)
    return pd.DataFrame({"customer_id": cust.astype(np.int64),
                         "date": ts.astype("datetime64[ns]"), "amount": amount})


def write_synthetic_parquet(
    path: str | os.PathLike,
    n_lines: int,
    *,
    n_customers: int | None = None,
    chunk_lines: int = 5_000_000,
    days: int = 730,
    seed: int = 0,
) -> Path:
    """Write a large :func:`synthetic_log` to one Parquet file, chunk by chunk.

    Memory stays at one chunk (about 24 bytes a line) plus the customers'
    first-purchase days, whatever ``n_lines`` is.  Same seed, same file.

    Parameters
    ----------
    path : str or Path
        Output file (its folder is created).
    n_lines : int
        Total purchase lines.
    n_customers : int, optional
        Customer pool (default ``n_lines // 6``).
    chunk_lines : int, default 5,000,000
        Lines generated and written per row group.
    days : int, default 730
        Window length in days.
    seed : int
        Seed.

    Returns
    -------
    Path
        The written file.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n_customers = n_customers or max(1, n_lines // 6)
    first = rng.integers(0, max(1, days // 2), n_customers)
    writer = None
    try:
        done = 0
        while done < n_lines:
            k = min(chunk_lines, n_lines - done)
            chunk = _synthetic_chunk(rng, k, first, days, "2020-01-01", 0.2)
            table = pa.Table.from_pandas(chunk, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, compression="snappy")
            writer.write_table(table)
            done += k
    finally:
        if writer is not None:
            writer.close()
    return path

