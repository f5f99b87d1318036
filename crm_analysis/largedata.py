"""Large transaction logs: the RFM summary out of core (DuckDB files) and on Dask.

A consultant's client rarely hands over a log that fits a laptop's memory.
This module takes the RFM summary of the package from a notebook sample to
hundreds of millions of purchase lines without changing what it means:

* :func:`rfm_summary_files` aggregates Parquet or CSV files (a path, a glob
  or a list) with an embedded DuckDB database.  The log is streamed; only one
  row per (customer, period) and then per customer is ever held, and DuckDB
  spills to disk past ``memory_limit``.
* :func:`rfm_summary_dask` aggregates a Dask DataFrame on the user's
  ``dask.distributed`` cluster: the log is shuffled so that each customer's
  purchases sit in one partition, and every partition is summarised by the
  pandas path of :func:`crm_analysis.rfm_summary`.

:func:`crm_analysis.rfm_summary` dispatches here when it receives a path or a
Dask frame; the results equal the pandas path (same columns, index and
values; see ``tests/test_largedata.py``).  Both share the summary core
(``crm_analysis._summary``), which sits below this module and
:mod:`crm_analysis.transactions`.

Scoring a large base moved to :mod:`crm_analysis.scoring` (``score_in_chunks``,
``score_dask``) and the synthetic log generator to :mod:`crm_analysis.simulate`
(``synthetic_log``, ``write_synthetic_parquet``); the old names here still work
for one release and warn with a ``DeprecationWarning``.
"""

from __future__ import annotations

import glob as _glob
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from ._checks import check_freq_multiplier, normalise_ids, require_columns
from ._summary import SUPPORTED_FREQS, period_codes, rfm_summary_frame
from .dates import IMPLAUSIBLE, infer_date_format, parse_cutoff, parse_dates
from .errors import CRMDataError, describe_rows
from .io import sniff_delimiter

__all__ = [
    "is_file_source",
    "read_log_files",
    "is_dask_frame",
    "rfm_summary_files",
    "rfm_summary_dask",
]

# Names that moved out of this module (issue 15): name -> new home.  Looked up on
# first use only, so this module never imports the layers above it.
_MOVED = {
    "score_in_chunks": "crm_analysis.scoring",
    "score_dask": "crm_analysis.scoring",
    "synthetic_log": "crm_analysis.simulate",
    "write_synthetic_parquet": "crm_analysis.simulate",
}


def __getattr__(name: str):
    """Deprecated aliases of the names that moved (one release)."""
    if name in _MOVED:
        import importlib
        import warnings

        new_home = _MOVED[name]
        warnings.warn(
            f"crm_analysis.largedata.{name} moved to {new_home}.{name}; "
            "the old name will be removed in the next release.",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(new_home), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

_PARQUET = (".parquet", ".pq", ".parq")
# pandas.read_csv's default missing-value strings (pandas._libs.parsers.STR_NA_VALUES).
_CSV_NULLS = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
              "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null")
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


def expand_source(source, where: str = "rfm_summary") -> list[str]:
    """The files of a source (a path, a folder, a glob or a list of them), sorted per item."""
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
            raise CRMDataError(f"{where}: no file matches {item!r}.")
        files.extend(matched)
    return files


def read_log_files(source, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a Parquet log (a file, a folder or a glob) into one DataFrame.

    Only ``columns`` are read.  The files are taken in the order
    :func:`rfm_summary_files` takes them (sorted names) and their rows are
    numbered 0, 1, ... across the files, so that a row number in a cleaning
    report points at the same line whichever engine wrote the report.

    Parameters
    ----------
    source : str, Path or list of them
        A Parquet file, a directory (every Parquet file below it) or a glob
        such as ``"logs/2024-*.parquet"``.
    columns : list of str, optional
        Columns to read (default all).

    Returns
    -------
    DataFrame

    Raises
    ------
    CRMDataError
        No file matches.

    Examples
    --------
    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> for i in range(2):
    ...     pd.DataFrame({"customer_id": [i], "amount": [1.5]}).to_parquet(
    ...         os.path.join(folder, f"part{i}.parquet"))
    >>> read_log_files(folder, ["customer_id"])["customer_id"].tolist()
    [0, 1]
    """
    files = expand_source(source)
    return pd.concat([pd.read_parquet(f, columns=columns) for f in files], ignore_index=True)


#: DuckDB column types read as numbers, and as timestamps without a zone, by the file paths.
SQL_NUMBERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
               "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE", "DECIMAL")
SQL_TIMESTAMPS = ("TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S", "DATE")


def is_plain_timestamp(sql_type: str) -> bool:
    """A DuckDB timestamp or date type without a time zone."""
    return sql_type.startswith(SQL_TIMESTAMPS) and "TIME ZONE" not in sql_type


@contextmanager
def log_connection(source, *, where: str, memory_limit: str = "1GB"):
    """A DuckDB connection with the view ``log`` over a Parquet log, and the log's column types.

    The per-customer analyses that accept a Parquet source
    (:func:`crm_analysis.customer_totals`, :func:`crm_analysis.behavioural_loyalty`,
    :func:`crm_analysis.cohort_retention`) run their SQL here, so that a large log
    is aggregated without being loaded: DuckDB holds at most ``memory_limit`` and
    spills to a temporary folder past it.  A DuckDB error becomes a one-line
    :class:`CRMDataError` starting with ``where``.

    Yields
    ------
    (connection, dict)
        The connection, and column name -> DuckDB type (upper case).

    Raises
    ------
    CRMDataError
        No file matches, a file is not Parquet, or DuckDB cannot read it.

    Examples
    --------
    >>> import tempfile
    >>> path = tempfile.mkdtemp() + "/log.parquet"
    >>> pd.DataFrame({"customer_id": [1, 1, 2], "amount": [2.0, 3.0, 4.0]}).to_parquet(path)
    >>> with log_connection(path, where="example") as (con, types):
    ...     con.execute("SELECT count(DISTINCT customer_id) FROM log").fetchone()[0], types["amount"]
    (2, 'DOUBLE')
    """
    import duckdb

    files = expand_source(source, where)
    other = [f for f in files if not f.lower().endswith(_PARQUET)]
    if other:
        raise CRMDataError(f"{where}: reads Parquet files only, got {Path(other[0]).name}; "
                           "read other files with crm_analysis.read_table first.")
    listed = "[" + ", ".join(sql_literal(f) for f in files) + "]"
    con = duckdb.connect()
    spill = tempfile.TemporaryDirectory(prefix="crm-duckdb-")
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")
        con.execute("SET preserve_insertion_order = false")
        con.execute(f"SET memory_limit = {sql_literal(memory_limit)}")
        con.execute(f"SET temp_directory = {sql_literal(spill.name)}")
        con.execute(f"CREATE TEMP VIEW log AS SELECT * FROM read_parquet({listed}, union_by_name = true)")
        types = {r[0]: str(r[1]).upper() for r in con.execute("DESCRIBE SELECT * FROM log").fetchall()}
        yield con, types
    except duckdb.Error as exc:
        raise CRMDataError(duckdb_error_message(exc, files, where)) from None
    finally:
        con.close()
        spill.cleanup()


def sql_missing(column: str, sql_type: str) -> str:
    """SQL that is true where ``column`` is missing as pandas sees it (NULL, or NaN in floats)."""
    column = sql_identifier(column)
    if sql_type.startswith(("FLOAT", "DOUBLE")):
        return f"({column} IS NULL OR isnan({column}))"
    return f"{column} IS NULL"


def fetch_columns(con, query: str) -> dict[str, np.ndarray]:
    """Run ``query`` and return its columns as NumPy arrays (SQL NULL as NaN in numeric columns)."""
    out = {}
    for name, values in con.execute(query).fetchnumpy().items():
        if isinstance(values, np.ma.MaskedArray):
            values = (np.ma.filled(values.astype(float), np.nan) if values.dtype.kind in "iufb"
                      else np.ma.filled(values.astype(object), None))
        out[name] = np.asarray(values)
    return out


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
    listed = "[" + ", ".join(sql_literal(f) for f in files) + "]"
    if file_format == "parquet":
        # union_by_name: files whose id column is text in one and numbers in another are
        # read as text, as pandas' concat of the two would be.
        return f"read_parquet({listed}, union_by_name = true)"
    if file_format == "csv":
        # Every column as text: types are decided below by the package's own rules (one date
        # format per column, ids that look numeric as numbers, as pandas' read_csv), so a
        # stray value past DuckDB's type-sniffing sample cannot abort the read.
        # The strings pandas' read_csv reads as missing are missing here too.
        nulls = "[" + ", ".join(sql_literal(v) for v in _CSV_NULLS) + "]"
        # The delimiter read_table would use, so that both paths split rows alike.
        sep = sniff_delimiter(files[0], compression="gzip" if files[0].endswith(".gz") else None)
        delim = f", delim = {sql_literal(sep)}" if sep else ""
        return (f"read_csv({listed}, auto_detect = true, header = true, all_varchar = true, "
                f"nullstr = {nulls}{delim})")
    raise CRMDataError(f"rfm_summary: file_format must be 'parquet' or 'csv', got {file_format!r}.")


def sql_literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
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
    raise CRMDataError(f"rfm_summary: freq must be one of {SUPPORTED_FREQS}, got {freq!r}.")


def _check_args(freq: str, freq_multiplier: float) -> None:
    if freq not in SUPPORTED_FREQS:
        raise CRMDataError(f"rfm_summary: freq must be one of {SUPPORTED_FREQS}, got {freq!r}.")
    check_freq_multiplier(freq_multiplier)


def _require_columns(columns: list[str], wanted: dict) -> None:
    """The pandas path's wording for a missing column."""
    require_columns(pd.DataFrame(columns=columns), wanted, "rfm_summary")


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
    dayfirst: bool | None = None,
    date_format: str | None = None,
    tz: str | None = None,
    file_format: str | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
    temp_directory: str | None = None,
) -> pd.DataFrame:
    """RFM summary of Parquet or CSV files, aggregated out of core by DuckDB.

    Same result as :func:`crm_analysis.rfm_summary` on the same log loaded
    into pandas (which dispatches here for paths).  Two main passes over the
    files: a light check pass (missing ids, unreadable or implausible dates,
    missing or negative amounts, the last date; about an eighth of the time)
    and one aggregation, first to one row per customer and period, then to
    one row per customer.  Only the per-customer summary is returned to
    Python.  Text dates cost a sample pass to infer their format, and CSV ids
    one pass to decide whether they are numbers (as ``pandas.read_csv``
    would).  CSV files are split on the delimiter :func:`crm_analysis.io.read_table`
    would use, and the strings pandas reads as missing (``NA``, ``n/a``, ...)
    are missing here too.

    Parameters
    ----------
    source : str, Path or list of them
        A file, a directory (all Parquet/CSV files below it), a glob such as
        ``"logs/2024-*.parquet"``, or a list of these.
    customer_id, date, amount, freq, freq_multiplier, observation_end, calibration_end, include_first_transaction
        As in :func:`crm_analysis.rfm_summary`.
    dayfirst, date_format, tz
        As in :func:`crm_analysis.rfm_summary`: dates may be stored as
        timestamps, dates or text; text is read with one format for the whole
        column, inferred by :func:`crm_analysis.dates.infer_date_format` from
        a sample and applied in SQL; zoned values are converted to UTC (or
        ``tz``) and the zone dropped, exactly as in the pandas path.
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
        No file matches, a file cannot be read (DuckDB's own error is
        reduced to its first line, without SQL), a column is missing, the log
        is empty, or the checks of :func:`crm_analysis.rfm_summary` fail, with
        the same wording as the pandas path (the message shows up to five
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
    files = expand_source(source)
    files = [f for f in files if os.path.getsize(f) > 0]
    if not files:
        raise CRMDataError("rfm_summary: the transaction log is empty (0 rows).")
    reader = _reader(files, file_format)
    dates_kw = {"dayfirst": dayfirst, "date_format": date_format, "tz": tz}
    con = duckdb.connect()
    try:
        if threads is not None:
            con.execute(f"SET threads = {int(threads)}")
        if memory_limit is not None:
            con.execute(f"SET memory_limit = {sql_literal(memory_limit)}")
        if temp_directory is not None:
            con.execute(f"SET temp_directory = {sql_literal(temp_directory)}")
        con.execute("SET TimeZone = 'UTC'")
        # The text-date passes can outlast DuckDB's 2-second progress-bar threshold.
        con.execute("SET enable_progress_bar = false")
        con.execute("SET preserve_insertion_order = false")
        return _duckdb_summary(
            con, reader, customer_id, date, amount, freq, freq_multiplier,
            observation_end, calibration_end, include_first_transaction, dates_kw,
        )
    except duckdb.Error as exc:
        raise CRMDataError(duckdb_error_message(exc, files)) from None
    finally:
        con.close()


def duckdb_error_message(exc: Exception, files: list[str], where: str = "rfm_summary") -> str:
    """DuckDB's error as the pandas path words an unreadable file: first line, no SQL."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    # Binder and parser errors quote the query after "LINE n:"; never show it.
    first = first.split("LINE ")[0].strip().rstrip(":")
    for marker in ("SELECT ", "FROM (", "read_csv(", "read_parquet("):
        if marker in first:
            first = first[:first.index(marker)].strip().rstrip(":") or type(exc).__name__
    names = ", ".join(Path(f).name for f in files[:3]) + (", ..." if len(files) > 3 else "")
    return f"{where}: {names}: could not be read ({first})."


def _duckdb_summary(
    con, reader, customer_id, date, amount, freq, freq_multiplier,
    observation_end, calibration_end, include_first_transaction, dates_kw,
) -> pd.DataFrame:
    described = con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
    types = {row[0]: str(row[1]).upper() for row in described}
    _require_columns(list(types), {"customer_id": customer_id, "date": date, "amount": amount})
    tz = dates_kw.get("tz")
    # Checks tz and date_format with the pandas path's messages.
    parse_dates(pd.Series([], dtype=object), tz=tz, date_format=dates_kw.get("date_format"),
                where="rfm_summary")
    raw_id, raw_date = sql_identifier(customer_id), sql_identifier(date)
    text_kinds = _csv_text_kinds(con, reader, raw_id, raw_date)
    cid = f"TRY_CAST(trim({raw_id}) AS BIGINT)" if text_kinds["ids_whole"] else raw_id
    ts = ("CAST(NULL AS TIMESTAMP)" if text_kinds["dates_numbers"]
          else _date_sql(con, reader, raw_date, types[date], date, dates_kw))
    amt = f"TRY_CAST({sql_identifier(amount)} AS DOUBLE)" if amount is not None else "NULL"
    raw_amt = sql_identifier(amount) if amount is not None else "NULL"
    columns_sql = f"{cid} AS cid, {ts} AS ts, {amt} AS amt, {raw_amt} IS NULL AS amt_missing"
    typed = f"(SELECT {columns_sql} FROM {reader})"
    cal_ts = parse_cutoff(calibration_end, "calibration_end", tz=tz)
    obs_given = parse_cutoff(observation_end, "observation_end", tz=tz)
    split = ""
    if cal_ts is not None:
        split = (
            f", count(*) FILTER (WHERE ts <= {_sql_ts(cal_ts)}) AS n_cal"
            f", count(*) FILTER (WHERE ts > {_sql_ts(cal_ts)}"
            + (f" AND ts <= {_sql_ts(obs_given)}" if obs_given is not None else "")
            + ") AS n_hold"
        )
    checks = con.execute(
        "SELECT count(*) AS n, count(*) FILTER (WHERE cid IS NULL) AS bad_id, "
        "count(*) FILTER (WHERE ts IS NULL) AS bad_date, "
        f"count(*) FILTER (WHERE {_IMPLAUSIBLE_SQL}) AS bad_range, "
        "count(*) FILTER (WHERE amt IS NULL) AS bad_amount, "
        "count(*) FILTER (WHERE amt IS NULL AND NOT amt_missing) AS non_numeric, "
        "count(*) FILTER (WHERE amt < 0) AS neg_amount, max(ts) AS last"
        f"{split} FROM {typed}"
    ).df().iloc[0]
    if checks["n"] == 0:
        raise CRMDataError("rfm_summary: the transaction log is empty (0 rows).")

    clean_first = "\nClean the log with validate_transactions() first."

    def offending(condition: str, count: str, column: str, problem: str, cols: list[str],
                  hint: str = clean_first):
        shown = list(dict.fromkeys(c for c in cols if c is not None))
        sel = ", ".join(sql_identifier(c) for c in shown)
        rows = con.execute(
            f"SELECT {sel} FROM (SELECT *, {columns_sql} FROM {reader}) "
            f"WHERE {condition} LIMIT 5"
        ).df()
        n = int(checks[count])
        text = describe_rows(rows, np.ones(len(rows), dtype=bool), shown)
        text = f"{n} row{'s' if n != 1 else ''}" + text[text.index(","):]
        raise CRMDataError(f"rfm_summary: column {column!r} has {problem}: " + text + hint)

    # Same checks, order and wording as the pandas path (transactions._checked_inputs).
    if checks["bad_id"]:
        offending("cid IS NULL", "bad_id", customer_id, "missing ids", [customer_id, date])
    if checks["bad_date"]:
        offending("ts IS NULL", "bad_date", date, "missing or non-date values",
                  [customer_id, date])
    if checks["bad_range"]:
        offending(_IMPLAUSIBLE_SQL, "bad_range", date, IMPLAUSIBLE, [customer_id, date])
    if amount is not None and checks["bad_amount"]:
        problem = "missing or non-numeric values" if checks["non_numeric"] else "missing values"
        offending("amt IS NULL", "bad_amount", amount, problem, [customer_id, date, amount],
                  hint="")
    if amount is not None and checks["neg_amount"]:
        offending("amt < 0", "neg_amount", amount, "negative amounts (returns?)",
                  [customer_id, date, amount],
                  hint="\nNet returns against their purchase or drop them with "
                  "validate_transactions().")

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
            f"rfm_summary: calibration_end ({cal_ts.date()}) must be before observation_end "
            f"({obs_ts.date()})."
        )
    if checks["n_cal"] == 0:
        raise CRMDataError(f"rfm_summary: column {date!r}: no transaction on or before calibration_end {cal_ts}.")
    if checks["n_hold"] == 0:
        raise CRMDataError(
            f"rfm_summary: column {date!r}: no transaction in the holdout period "
            f"({cal_ts} to {obs_ts}]; check calibration_end and observation_end."
        )
    cal_code = _code(cal_ts, freq)
    cal = _duckdb_periods(con, typed, freq, f"ts <= {_sql_ts(cal_ts)}", cal_code,
                          cal_code, amount, freq_multiplier, include_first_transaction)
    cal.columns = [f"{c}_cal" for c in cal.columns]
    hold = con.execute(
        f"SELECT cid, count(DISTINCT {_code_sql('ts', freq)}) AS f, avg(amt) AS m "
        f"FROM {typed} WHERE ts > {_sql_ts(cal_ts)} "
        f"AND ts <= {_sql_ts(obs_ts)} GROUP BY cid"
    ).df().set_index("cid")
    cal["frequency_holdout"] = hold["f"].reindex(cal.index).fillna(0).astype(float).to_numpy()
    if amount is not None:
        cal["monetary_value_holdout"] = hold["m"].reindex(cal.index).fillna(0).to_numpy()
    cal["duration_holdout"] = float(obs_code - cal_code) / freq_multiplier
    return cal.rename_axis(customer_id)


# Dates before 1900 or beyond pandas' nanosecond range (crm_analysis.dates).
_IMPLAUSIBLE_SQL = (
    "(ts < TIMESTAMP '1900-01-01' OR ts > TIMESTAMP '2262-04-11 23:47:16.854775')"
)


def _sql_ts(ts: pd.Timestamp) -> str:
    # DuckDB timestamps are microseconds: 23:59:59.999999999 must not round up to the next day.
    return f"{sql_literal(ts.floor('us').isoformat())}::TIMESTAMP"


def _csv_text_kinds(con, reader: str, raw_id: str, raw_date: str) -> dict:
    """What pandas.read_csv would make of the text columns of a CSV, in one scan.

    Ids that are all whole numbers are numbers (otherwise text, on which 5 and
    "5" are one customer, as :func:`crm_analysis._checks.normalise_ids`); a
    date column of plain numbers (20110105) is numbers, which are not dates.
    Parquet keeps its own types.
    """
    if not reader.startswith("read_csv("):
        return {"ids_whole": False, "dates_numbers": False}
    not_whole, not_number = con.execute(
        f"SELECT count(*) FILTER (WHERE {raw_id} IS NOT NULL AND "
        f"TRY_CAST(trim({raw_id}) AS BIGINT) IS NULL), "
        f"count(*) FILTER (WHERE {raw_date} IS NOT NULL AND "
        f"TRY_CAST(trim({raw_date}) AS DOUBLE) IS NULL) FROM {reader}"
    ).fetchone()
    return {"ids_whole": not_whole == 0, "dates_numbers": not_number == 0}


_ZONE_SQL = r"'\d:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)$'"


def _date_sql(con, reader: str, raw: str, kind: str, column: str, dates_kw: dict) -> str:
    """SQL reading the date column by the package's one date rule (crm_analysis.dates)."""
    zone = sql_literal(dates_kw.get("tz") or "UTC")
    if kind.startswith("TIMESTAMP WITH TIME ZONE") or kind == "TIMESTAMPTZ":
        return f"timezone({zone}, {raw})"
    if kind.startswith("TIMESTAMP") or kind == "DATE":
        return f"CAST({raw} AS TIMESTAMP)"
    if not kind.startswith("VARCHAR"):
        # Numbers are not read as dates (epoch seconds? yyyymmdd?), as in the pandas path.
        return "CAST(NULL AS TIMESTAMP)"
    text = f"trim({raw})"
    sample = con.execute(
        f"SELECT {raw} FROM {reader} WHERE {raw} IS NOT NULL "
        "USING SAMPLE reservoir(20000 ROWS) REPEATABLE (0)"
    ).df().iloc[:, 0]

    def parse(fmt: str) -> str:
        if fmt == "ISO8601" and dates_kw.get("tz") is None:
            # The session runs in UTC: zoned text is converted to UTC, naive text read as
            # UTC keeps its clock; no per-row test needed.
            return f"timezone('UTC', TRY_CAST({text} AS TIMESTAMPTZ))"
        if fmt == "ISO8601":
            return (f"CASE WHEN regexp_matches({text}, {_ZONE_SQL}) "
                    f"THEN timezone({zone}, TRY_CAST({text} AS TIMESTAMPTZ)) "
                    f"ELSE TRY_CAST({text} AS TIMESTAMP) END")
        if "%z" in fmt:
            return f"timezone({zone}, try_strptime({text}, {sql_literal(fmt)}))"
        return f"try_strptime({text}, {sql_literal(fmt)})"

    def full_count(fmt: str) -> int:
        return int(con.execute(f"SELECT count({parse(fmt)}) FROM {reader}").fetchone()[0])

    fmt = dates_kw.get("date_format") or infer_date_format(
        sample, dayfirst=dates_kw.get("dayfirst"), column=column, where="rfm_summary",
        full_count=full_count)
    return "CAST(NULL AS TIMESTAMP)" if fmt is None else parse(fmt)


def _duckdb_periods(con, typed, freq, where, max_code, end_code, amount, freq_multiplier,
                    include_first_transaction) -> pd.DataFrame:
    """Frequency, recency, T (and monetary value) per customer, in SQL.

    The arithmetic is done in SQL with the same IEEE operations as the pandas
    path (integer differences, then one division), and the rows come back
    sorted, so that Python holds just the output columns once.  Amounts are
    added with ``fsum`` (compensated summation): a plain ``sum`` depends on the
    order in which DuckDB's threads meet the rows, so two runs on one file
    could differ in the last bit and move a customer across an RFM quantile.
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
            SELECT cid, code, fsum(amt) AS s
            FROM (SELECT cid, {code} AS code, amt FROM {typed} WHERE {where})
            WHERE code <= {int(max_code)}
            GROUP BY cid, code
        ), customers AS (
            SELECT cid, count(*) AS n, min(code) AS first, max(code) AS last,
                   fsum(s) AS total, arg_min(s, code) AS first_s
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
    dayfirst: bool | None = None,
    date_format: str | None = None,
    tz: str | None = None,
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
    dayfirst, date_format, tz
        As in :func:`crm_analysis.rfm_summary`.  The format of a text date
        column is inferred once for the whole column (from a sample, with the
        day/month tie decided on every partition) and then applied to every
        partition.  A text or mixed id column is compared as text (``5`` and
        ``"5"`` are one customer), as in the pandas path.
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
    _require_columns(list(data.columns),
                     {"customer_id": customer_id, "date": date, "amount": amount})
    # Checks tz and date_format with the pandas path's messages.
    parse_dates(pd.Series([], dtype=object), tz=tz, date_format=date_format, where="rfm_summary")
    cols = [c for c in (customer_id, date, amount) if c is not None]
    log = data[cols]
    if pd.api.types.is_object_dtype(log._meta[customer_id].dtype):
        # Decided on the column's type, so that every partition applies the same rule.
        log = log.assign(**{customer_id: log[customer_id].map_partitions(
            normalise_ids, meta=(customer_id, object))})
    fmt = date_format
    raw = log[date]
    # Numbers are not dates (as in the pandas path), so nothing to infer for them.
    if fmt is None and not (pd.api.types.is_datetime64_any_dtype(raw.dtype)
                            or pd.api.types.is_numeric_dtype(raw.dtype)
                            or pd.api.types.is_bool_dtype(raw.dtype)):
        fmt = _dask_date_format(raw, date, dayfirst)
    dates_kw = {"date_format": fmt, "tz": tz, "column": date}
    parsed = raw.map_partitions(_parsed_values, meta=(date, "datetime64[ns]"), **dates_kw)
    last = parsed.max().compute()
    if pd.isna(last):
        # No date at all: the pandas path words it, on the first partition's rows.
        first = log.get_partition(0).compute()
        rfm_summary_frame(first, customer_id=customer_id, date=date, amount=amount,
                          date_format=fmt, tz=tz)
        raise CRMDataError(f"rfm_summary: column {date!r}: no value could be read as a date.")
    obs_ts = (pd.Timestamp(last) if observation_end is None
              else parse_cutoff(observation_end, "observation_end", tz=tz))
    cal_ts = parse_cutoff(calibration_end, "calibration_end", tz=tz)
    if cal_ts is not None and cal_ts >= obs_ts:
        raise CRMDataError(
            f"rfm_summary: calibration_end ({cal_ts.date()}) must be before observation_end "
            f"({obs_ts.date()})."
        )

    if cal_ts is not None:
        n_cal, n_hold = _dask_compute(
            (parsed <= cal_ts).sum(), ((parsed > cal_ts) & (parsed <= obs_ts)).sum()
        )
        if n_cal == 0:
            raise CRMDataError(
                f"rfm_summary: column {date!r}: no transaction on or before calibration_end {cal_ts}.")
        if n_hold == 0:
            raise CRMDataError(
                f"rfm_summary: column {date!r}: no transaction in the holdout period "
                f"({cal_ts} to {obs_ts}]; check calibration_end and observation_end."
            )

    kwargs = dict(customer_id=customer_id, date=date, amount=amount, freq=freq,
                  freq_multiplier=freq_multiplier, obs_ts=obs_ts, cal_ts=cal_ts,
                  include_first_transaction=include_first_transaction,
                  date_format=fmt, tz=tz)
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


def _parsed_values(values: pd.Series, **kw) -> pd.Series:
    """Dates of one partition by the package's rule; NaT where missing, bad or implausible."""
    return parse_dates(values, where="rfm_summary", **kw).values


def _dask_date_format(raw, column: str, dayfirst: bool | None) -> str | None:
    """One format for a Dask text date column: inferred on a sample, ties decided on all rows."""
    sample = raw.dropna().head(20_000, npartitions=-1, compute=True)

    def full_count(fmt: str) -> int:
        return int(raw.map_partitions(_count_parsed, fmt, meta=(column, "int64")).sum().compute())

    return infer_date_format(sample, dayfirst=dayfirst, column=column, where="rfm_summary",
                             full_count=full_count)


def _count_parsed(values: pd.Series, fmt: str) -> pd.Series:
    text = values[values.map(lambda v: isinstance(v, str), na_action="ignore").fillna(False)
                  .astype(bool)]
    return pd.Series([int(pd.to_datetime(text.str.strip(), format=fmt, errors="coerce",
                                         utc=True).notna().sum())])


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
                       obs_ts, cal_ts, include_first_transaction, date_format,
                       tz) -> pd.DataFrame:
    """Summary of the customers of one shuffled partition (all their rows are here)."""
    meta = _partition_meta(part, customer_id=customer_id, amount=amount, cal_ts=cal_ts)
    if part.empty:
        return meta
    common = dict(customer_id=customer_id, date=date, amount=amount, freq=freq,
                  freq_multiplier=freq_multiplier,
                  include_first_transaction=include_first_transaction)
    dates = parse_dates(part[date], date_format=date_format, tz=tz, column=date,
                        where="rfm_summary")
    bad = (part[customer_id].isna().any() or dates.missing.any() or dates.unparseable.any()
           or dates.implausible.any())
    if amount is not None:
        numeric = pd.to_numeric(part[amount], errors="coerce")
        bad = bad or numeric.isna().any() or (numeric < 0).any()
    if bad:
        # The pandas path raises CRMDataError naming the column and the rows.
        rfm_summary_frame(part, observation_end=obs_ts, date_format=date_format, tz=tz, **common)
    part = part.assign(**{date: dates.values})
    if cal_ts is None:
        # rfm_summary keeps the whole observation-end period; rows after it are dropped here
        # only so that a partition without any kept row is not an error.
        if not (period_codes(part[date].to_numpy(), freq) <= _code(obs_ts, freq)).any():
            return meta
        return rfm_summary_frame(part, observation_end=obs_ts, **common)
    in_cal = part[date] <= cal_ts
    if not in_cal.any():
        return meta
    if ((part[date] > cal_ts) & (part[date] <= obs_ts)).any():
        return rfm_summary_frame(part, calibration_end=cal_ts, observation_end=obs_ts, **common)
    # No holdout purchase in this partition: the calibration summary with zero holdout.
    cal = rfm_summary_frame(part[in_cal], observation_end=cal_ts, **common)
    cal.columns = [f"{c}_cal" for c in cal.columns]
    cal["frequency_holdout"] = 0.0
    if amount is not None:
        cal["monetary_value_holdout"] = 0.0
    cal["duration_holdout"] = float(_code(obs_ts, freq) - _code(cal_ts, freq)) / freq_multiplier
    return cal
