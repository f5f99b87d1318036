"""Reading transaction dates: one rule for every engine of the package.

A client's export writes its dates in one way, and the package reads them in
one way, whatever engine summarises the log (pandas, DuckDB over files, Dask):

* **One format for the whole column.**  The format is inferred from the
  values (ISO 8601, ``%d/%m/%Y``, ``%m/%d/%Y %H:%M``, ``%d %b %Y``, ...) and
  then applied to every row; a row that does not fit it is an *unparseable
  date*.  Rows are never guessed one by one, so ``05/01/2011`` and
  ``13/01/2011`` cannot end up in different months.
* **Day-first or month-first must be decidable.**  When both readings are
  valid for every row (no day above 12 anywhere), the column is ambiguous and
  :class:`~crm_analysis.errors.CRMDataError` asks for ``dayfirst=`` or
  ``date_format=`` (command line: ``--dayfirst``, ``--date-format``).
* **Time zones.**  Values that carry a zone (ISO strings with ``+02:00`` or
  ``Z``, time-zone-aware columns) are converted to UTC, or to ``tz`` when it
  is given, and the zone is then dropped.  Values without a zone are kept as
  written (the local clock of the export).
* **Implausible dates.**  Dates before 1900-01-01, and dates that pandas
  cannot hold (its nanosecond timestamps end on 2262-04-11), are flagged as
  *implausible* and never wrapped around.
* **Date-only cut-offs** (``observation_end="2011-12-09"``) mean through the
  end of that day (:func:`parse_cutoff`); a cut-off with a time of day is
  taken as that instant.
"""

from __future__ import annotations

import datetime as _dt
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from .errors import CRMDataError, describe_rows

__all__ = [
    "EARLIEST_DATE",
    "has_zone",
    "LATEST_DATE",
    "ParsedDates",
    "infer_date_format",
    "parse_dates",
    "parse_cutoff",
    "check_dates",
    "raise_for_bad_dates",
    "IMPLAUSIBLE",
]

#: Earlier dates are implausible for a customer's purchase.
EARLIEST_DATE = pd.Timestamp("1900-01-01")
#: Last instant pandas' nanosecond timestamps can hold.
LATEST_DATE = pd.Timestamp.max
#: How implausible dates are named in every message of the package.
IMPLAUSIBLE = "implausible dates (before 1900-01-01 or after 2262-04-11)"

# An ISO 8601 date with optional time and optional zone.
_ISO = re.compile(
    r"^\d{4}-\d{1,2}-\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?$"
)
# A zone after the time of a date string ("Z", "+02:00", "-0500", "+02").
_ZONE = re.compile(r"\d:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$")
# Formats of common exports that pandas' guesser does not propose (two-digit years).
_COMMON = [
    "%m/%d/%y", "%d/%m/%y", "%m/%d/%y %H:%M", "%d/%m/%y %H:%M",
    "%d.%m.%Y", "%d.%m.%y", "%d.%m.%Y %H:%M", "%d-%m-%Y", "%m-%d-%Y",
]
_SAMPLE = 5_000


@dataclass
class ParsedDates:
    """Outcome of :func:`parse_dates`.

    Attributes
    ----------
    values : Series
        ``datetime64[ns]`` without time zone, same index as the input; NaT
        where the value is missing, unparseable or implausible.
    missing, unparseable, implausible : Series of bool
        Mutually exclusive masks of the rows that have no date, a value that
        does not fit the column's format, or a date before 1900-01-01 or
        beyond 2262-04-11.
    date_format : str or None
        The format applied to text values (``"ISO8601"`` or a ``strftime``
        pattern); None when the column held no text.
    """

    values: pd.Series
    missing: pd.Series
    unparseable: pd.Series
    implausible: pd.Series
    date_format: str | None = None


def _order(fmt: str) -> str | None:
    """'dm' for day-before-month formats, 'md' for month-before-day, else None."""
    if fmt == "ISO8601" or "%m" not in fmt or "%d" not in fmt:
        return None
    return "dm" if fmt.index("%d") < fmt.index("%m") else "md"


def _year_first_swapped(fmt: str) -> bool:
    # %Y-%d-%m is what the guesser offers for ISO dates under dayfirst=True;
    # no export writes dates that way.
    return "%Y" in fmt and _order(fmt) == "dm" and fmt.index("%Y") < fmt.index("%d")


def _to_datetime(values: pd.Series, fmt: str) -> pd.Series:
    """Parse text with one format, as UTC-aware datetimes (NaT where it does not fit)."""
    return pd.to_datetime(values, format=fmt, errors="coerce", utc=True)


def _count(values: pd.Series, fmt: str) -> int:
    return int(_to_datetime(values, fmt).notna().sum())


def _as_text(values: pd.Series) -> pd.Series:
    """Stripped text; pandas' string columns need no conversion (fast on millions of rows)."""
    if not isinstance(values.dtype, pd.StringDtype):
        values = values.astype(str)
    return values.str.strip()


def _candidates(sample: pd.Series) -> list[str]:
    formats: dict[str, None] = {}
    if sample.str.match(_ISO).any():
        formats["ISO8601"] = None
    step = max(1, len(sample) // 50)
    for value in sample.iloc[::step].iloc[:50]:
        for dayfirst in (False, True):
            with warnings.catch_warnings():
                # The guesser warns when its reading contradicts dayfirst; both are tried.
                warnings.simplefilter("ignore")
                fmt = guess_datetime_format(value, dayfirst=dayfirst)
            if fmt is not None and not _year_first_swapped(fmt):
                formats[fmt] = None
    for fmt in _COMMON:
        formats[fmt] = None
    return list(formats)


def infer_date_format(
    values,
    *,
    dayfirst: bool | None = None,
    column: str = "date",
    where: str = "parse_dates",
    full_count: Callable[[str], int] | None = None,
) -> str | None:
    """The one format that reads a column of date strings.

    Every candidate format (ISO 8601, what pandas' format guesser proposes
    for a sample of the values, and a few common export formats) is tried on
    up to 5,000 distinct values; the one that reads the most wins.  When the
    best day-first and the best month-first format read equally many values,
    the count is repeated on the whole column (``full_count``) and, if they
    still tie, the column is ambiguous.

    Parameters
    ----------
    values : array-like of str
        The column's text values (missing values are ignored).
    dayfirst : bool, optional
        True: read ``05/01/2011`` as 5 January; False: as 1 May.  Only
        formats with that order (or none, such as ISO 8601) are considered.
    column, where : str
        Column and function named in the error message.
    full_count : callable, optional
        ``full_count(fmt)`` -> number of values of the whole column that
        ``fmt`` reads; used by the out-of-core engines, whose ``values`` are
        only a sample.  Default: count on ``values``.

    Returns
    -------
    str or None
        ``"ISO8601"`` or a ``strftime`` pattern; None when no format reads any
        value.

    Raises
    ------
    CRMDataError
        Day-first and month-first are both valid for every value and
        ``dayfirst`` is not given.

    Examples
    --------
    >>> infer_date_format(["05/01/2011", "13/01/2011"])
    '%d/%m/%Y'
    >>> infer_date_format(["05/01/2011", "06/01/2011"], dayfirst=False)
    '%m/%d/%Y'
    """
    column_values = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    present = column_values.dropna()
    if present.empty:
        return None
    # Distinct values of 100,000 random rows are enough to rank formats.
    pool = present if len(present) <= 20 * _SAMPLE else present.sample(20 * _SAMPLE,
                                                                        random_state=0)
    pool = _as_text(pool)
    sample = pd.Series(pool.unique(), dtype=object)
    if len(sample) > _SAMPLE:
        sample = sample.sample(_SAMPLE, random_state=0)
    sample = sample.reset_index(drop=True)
    candidates = _candidates(sample)
    if dayfirst is not None:
        wanted = "dm" if dayfirst else "md"
        candidates = [f for f in candidates if _order(f) in (None, wanted)]
    scores = {fmt: _count(sample, fmt) for fmt in candidates}
    best = max(scores.values(), default=0)
    if best == 0:
        return None
    top = [f for f in candidates if scores[f] == best]
    orders = {_order(f) for f in top}
    if dayfirst is None and {"dm", "md"} <= orders:
        # Tie on the sample: decide on the whole column.
        count = full_count or (lambda fmt: _count(_as_text(present), fmt))
        full = {f: count(f) for f in top}
        best = max(full.values())
        top = [f for f in top if full[f] == best]
        if {"dm", "md"} <= {_order(f) for f in top}:
            dm = next(f for f in top if _order(f) == "dm")
            md = next(f for f in top if _order(f) == "md")
            shown = ", ".join(repr(v) for v in sorted(sample)[:5])
            raise CRMDataError(
                f"{where}: column {column!r}: the dates read both day-first ({dm}) and "
                f"month-first ({md}) for every row (e.g. {shown}); say which with "
                f"dayfirst=True or dayfirst=False, or date_format={dm!r} "
                "(command line: --dayfirst / --date-format)."
            )
    return top[0]


def _drop_zone(values: pd.Series, tz: str | None) -> pd.Series:
    """Aware datetimes -> UTC (or ``tz``) clock time without a zone."""
    return values.dt.tz_convert(tz or "UTC").dt.tz_localize(None)


def _finish(values: pd.Series, missing: pd.Series, unparseable: pd.Series,
            fmt: str | None) -> ParsedDates:
    """Flag implausible dates (on any resolution), then convert to nanoseconds."""
    implausible = values.notna() & ((values < EARLIEST_DATE) | (values > LATEST_DATE))
    kept = values.where(~implausible)
    return ParsedDates(values=kept.astype("datetime64[ns]"), missing=missing,
                       unparseable=unparseable, implausible=implausible, date_format=fmt)


def parse_dates(
    values: pd.Series,
    *,
    dayfirst: bool | None = None,
    date_format: str | None = None,
    tz: str | None = None,
    column: str | None = None,
    where: str = "parse_dates",
) -> ParsedDates:
    """Read a date column by the package's one rule (see the module notes).

    Parameters
    ----------
    values : Series
        Text, datetimes (naive or time-zone aware), ``datetime.date``
        objects, or a mix of these.  Numbers are not read as dates (epoch
        seconds or ``yyyymmdd``? the package refuses to guess): they count
        as unparseable.  Never modified.
    dayfirst : bool, optional
        Read ambiguous text day-first (True) or month-first (False).
    date_format : str, optional
        ``strftime`` pattern (or ``"ISO8601"``) for the text values; skips
        the inference.
    tz : str, optional
        Time zone (e.g. ``"Europe/London"``) that zoned values are converted
        to before the zone is dropped; default UTC.
    column, where : str
        Column and function named in error messages.

    Returns
    -------
    ParsedDates
        Parsed values and the masks of missing, unparseable and implausible
        rows.

    Raises
    ------
    CRMDataError
        Ambiguous day/month order (see :func:`infer_date_format`), an
        unknown ``tz`` or an invalid ``date_format``.

    Examples
    --------
    >>> out = parse_dates(pd.Series(["05/01/2011", "13/01/2011", "0001-01-01", None]))
    >>> out.values.dt.strftime("%Y-%m-%d").tolist()[:2], out.date_format
    (['2011-01-05', '2011-01-13'], '%d/%m/%Y')
    >>> int(out.implausible.sum()), int(out.unparseable.sum()), int(out.missing.sum())
    (0, 1, 1)
    >>> parse_dates(pd.Series(["2011-01-05T10:00:00+02:00"])).values.iloc[0]
    Timestamp('2011-01-05 08:00:00')
    """
    column = column if column is not None else (values.name or "date")
    if tz is not None:
        try:
            pd.Timestamp("2000-01-01", tz=tz)
        except Exception as exc:  # unknown zone names raise several types
            raise CRMDataError(f"{where}: unknown time zone tz={tz!r} ({exc}).") from None
    if date_format is not None:
        try:
            _to_datetime(pd.Series(["2000-01-01"]), date_format)
        except ValueError as exc:
            raise CRMDataError(
                f"{where}: date_format={date_format!r} is not a strftime pattern ({exc}); "
                "e.g. '%d/%m/%Y %H:%M'."
            ) from None
    missing = values.isna()
    none = pd.Series(False, index=values.index)

    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return _finish(_drop_zone(values, tz), missing, none, None)
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return _finish(values, missing, none, None)
    if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_numeric_dtype(values.dtype):
        nat = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
        return ParsedDates(nat, missing, ~missing, none.copy(), None)

    if isinstance(values.dtype, pd.StringDtype):
        is_text = ~missing
    else:
        is_text = values.map(lambda v: isinstance(v, str), na_action="ignore")
        is_text = is_text.fillna(False).astype(bool)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    fmt = None
    if is_text.any():
        text = _as_text(values if is_text.all() else values[is_text])
        fmt = date_format or infer_date_format(text, dayfirst=dayfirst, column=column,
                                               where=where)
        if fmt is not None:
            # Parsed as UTC: zoned values are converted, the others keep the export's clock.
            aware = _to_datetime(text, fmt)
            naive = aware.dt.tz_localize(None)
            if tz is not None and ("%z" in fmt or fmt == "ISO8601"):
                zoned = text.str.contains(_ZONE) if "%z" not in fmt else True
                naive = naive.where(~zoned, aware.dt.tz_convert(tz).dt.tz_localize(None))
            if is_text.all():
                out = naive.astype("datetime64[us]")
            else:
                out.loc[is_text] = naive.astype("datetime64[us]")
    other = ~is_text & ~missing
    if other.any():
        # datetime.date / datetime / Timestamp objects (Excel, Parquet dates).
        objs = values[other]
        if all(isinstance(v, (_dt.date, np.datetime64)) for v in objs):
            parsed = pd.to_datetime(objs, errors="coerce", utc=True)
            aware = objs.map(lambda v: getattr(v, "tzinfo", None) is not None)
            naive = parsed.dt.tz_localize(None)
            if tz is not None and aware.any():
                naive = naive.where(~aware, parsed.dt.tz_convert(tz).dt.tz_localize(None))
            out.loc[other] = naive.astype("datetime64[us]")
        else:
            # Numbers mixed with dates: not read (see above); per-value dates are read.
            for idx, v in objs.items():
                if isinstance(v, (_dt.date, np.datetime64)):
                    ts = pd.Timestamp(v)
                    if ts.tzinfo is not None:
                        ts = ts.tz_convert(tz or "UTC").tz_localize(None)
                    out.loc[idx] = ts
    unparseable = ~missing & out.isna()
    return _finish(out, missing, unparseable, fmt)


def parse_cutoff(value, name: str, *, where: str = "rfm_summary",
                 tz: str | None = None) -> pd.Timestamp | None:
    """A cut-off date as an inclusive upper bound.

    A date without a time of day (``"2011-12-09"``, ``datetime.date``) means
    through the end of that day: the result is 23:59:59.999999999 on it.  A
    value with a time (``"2011-12-09 10:00"``, ``pd.Timestamp``) is taken as
    that instant.  A zoned value is converted to UTC (or ``tz``) and its zone
    dropped, as the dates themselves.

    Parameters
    ----------
    value : str, date, datetime, Timestamp or None
        The cut-off (``observation_end``, ``calibration_end``).
    name : str
        Argument name, for the error message.
    where : str
        Function named in the error message.
    tz : str, optional
        Time zone zoned values are converted to; default UTC.

    Returns
    -------
    Timestamp or None
        Naive timestamp; None when ``value`` is None.

    Raises
    ------
    CRMDataError
        The value is not a date.

    Examples
    --------
    >>> parse_cutoff("2011-12-09", "observation_end")
    Timestamp('2011-12-09 23:59:59.999999999')
    >>> parse_cutoff("2011-12-09 10:00", "observation_end")
    Timestamp('2011-12-09 10:00:00')
    """
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value.strip() if isinstance(value, str) else value)
    except (ValueError, TypeError) as exc:
        raise CRMDataError(
            f"{where}: {name}={value!r} is not a date ({exc}); use YYYY-MM-DD."
        ) from None
    if ts is pd.NaT or pd.isna(ts):
        raise CRMDataError(f"{where}: {name}={value!r} is not a date; use YYYY-MM-DD.")
    if ts.tzinfo is not None:
        ts = ts.tz_convert(tz or "UTC").tz_localize(None)
    date_only = (
        (isinstance(value, str) and ":" not in value)
        or (isinstance(value, _dt.date) and not isinstance(value, _dt.datetime))
    )
    if not EARLIEST_DATE <= ts <= LATEST_DATE.normalize():
        raise CRMDataError(
            f"{where}: {name}={value!r} is an implausible date (before 1900-01-01 or after "
            "2262-04-10)."
        )
    ts = ts.as_unit("ns")
    if date_only:
        ts = ts.normalize() + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
    return ts


def raise_for_bad_dates(data: pd.DataFrame, parsed: ParsedDates, column: str, where: str,
                          shown: list[str], hint: str = "") -> None:
    """Raise the package's one message for a column with bad dates.

    The pandas, DuckDB and Dask engines word a bad date column the same way:
    missing or unparseable values first ("has missing or non-date values"),
    then implausible ones ("has implausible dates (before 1900-01-01 or after
    2262-04-11)").  Nothing happens when there are none.

    Parameters
    ----------
    data : DataFrame
        The frame the rows come from (shown in the message).
    parsed : ParsedDates
        Output of :func:`parse_dates` on ``data[column]``.
    column, where : str
        Date column and function named in the message.
    shown : list of str
        Columns shown for the offending rows.
    hint : str, default ""
        Appended to the message (e.g. "Clean the log with
        validate_transactions() first.").

    Raises
    ------
    CRMDataError
        When any date is missing, unparseable or implausible.

    Examples
    --------
    >>> log = pd.DataFrame({"date": ["2020-01-01", "1600-01-01"]})
    >>> raise_for_bad_dates(log, parse_dates(log["date"]), "date", "f", ["date"])
    Traceback (most recent call last):
    ...
    crm_analysis.errors.CRMDataError: f: column 'date' has implausible dates (before 1900-01-01 or after 2262-04-11): 1 row, e.g.:
             date
    1  1600-01-01
    """
    bad = parsed.missing | parsed.unparseable
    if bad.any():
        raise CRMDataError(f"{where}: column {column!r} has missing or non-date values: "
                           + describe_rows(data, bad, shown) + hint)
    if parsed.implausible.any():
        raise CRMDataError(f"{where}: column {column!r} has {IMPLAUSIBLE}: "
                           + describe_rows(data, parsed.implausible, shown) + hint)



def check_dates(
    values: pd.Series,
    *,
    observation_end=None,
    dayfirst: bool | None = None,
    date_format: str | None = None,
    tz: str | None = None,
    column: str = "date",
    where: str = "validate_transactions",
) -> tuple[pd.Series, list[tuple[str, pd.Series]]]:
    """Parse a log's date column and list its date problems, for cleaning.

    The problems, in this order and mutually exclusive: ``"missing date"``,
    ``"unparseable date"`` (does not fit the column's one format),
    ``"implausible date"`` (before 1900-01-01 or beyond 2262-04-11) and
    ``"date after observation end"`` (``"date in the future"`` when no
    ``observation_end`` is given: then the end is today).  A date-only
    ``observation_end`` includes that whole day.

    Parameters
    ----------
    values : Series
        The raw date column; never modified.
    observation_end : date-like, optional
        Last day (or instant) of observation; default today.
    dayfirst, date_format, tz
        As in :func:`parse_dates`.
    column, where : str
        Column and function named in error messages.

    Returns
    -------
    parsed : Series
        ``datetime64[ns]``; NaT where the date is missing, unparseable or
        implausible.
    problems : list of (str, Series of bool)
        Each problem's name and row mask (all of them, also empty ones).

    Raises
    ------
    CRMDataError
        No value of the column is a date, the day/month order is ambiguous,
        or ``observation_end`` is not a date.

    Examples
    --------
    >>> parsed, problems = check_dates(pd.Series(["2020-01-01", "1600-05-01", "x"]),
    ...                                observation_end="2020-12-31")
    >>> [(name, int(mask.sum())) for name, mask in problems]
    [('missing date', 0), ('unparseable date', 1), ('implausible date', 1), ('date after observation end', 0)]
    """
    out = parse_dates(values, dayfirst=dayfirst, date_format=date_format, tz=tz,
                      column=column, where=where)
    if not (out.values.notna() | out.implausible).any():
        frame = values.to_frame()
        raise CRMDataError(
            f"{where}: column {column!r}: no value could be read as a date "
            f"(dtype {values.dtype}); "
            + describe_rows(frame, pd.Series(True, index=values.index))
        )
    if observation_end is None:
        end = pd.Timestamp.now().normalize() + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
        late_label = "date in the future"
    else:
        end = parse_cutoff(observation_end, "observation_end", where=where, tz=tz)
        late_label = "date after observation end"
    parsed = out.values
    late = parsed > end
    problems = [
        ("missing date", out.missing),
        ("unparseable date", out.unparseable),
        ("implausible date", out.implausible),
        (late_label, late),
    ]
    return parsed, problems


def has_zone(values: pd.Series) -> pd.Series:
    """Which values carry a time zone (a UTC offset, ``Z`` or a zone-aware dtype).

    The command line uses it to ask for ``--tz`` before converting: a purchase
    at 23:30 at UTC-5 falls on the next day in UTC, so the clock in which days
    are counted is the user's choice, not a silent default.

    Parameters
    ----------
    values : Series
        A raw date column; never modified.

    Returns
    -------
    Series of bool
        True where the value carries a zone.

    Examples
    --------
    >>> has_zone(pd.Series(["2011-01-05T10:00:00+02:00", "2011-01-06 10:00"])).tolist()
    [True, False]
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.notna()
    text = values.astype("string")
    return text.str.contains(_ZONE, na=False).astype(bool)
