"""Shared input checks: one place for "is this a frame, are the columns there, is it numeric".

Private to the package (the leading underscore): analysis modules call these
helpers at the top of their public functions so that the same problem always
raises the same :class:`~crm_analysis.errors.CRMDataError` with the same wording,
naming the function (``where``), the column, the problem and up to five
offending rows (:func:`~crm_analysis.errors.describe_rows`).

Where modules legitimately differ (missing values allowed or not, infinities
allowed or not, what 0 and 1 mean in an event column) the difference is a
keyword argument, not a second copy of the check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from .errors import CRMDataError, describe_rows

__all__ = ["require_frame", "require_columns", "numeric_column", "as_series", "binary_column",
           "normalise_ids", "check_freq_multiplier", "require_names"]


def require_frame(data, where: str, *, empty: str = "the data are empty",
                  allow_empty: bool = False) -> None:
    """Raise unless ``data`` is a pandas DataFrame with at least one row.

    Parameters
    ----------
    data : object
        What the caller passed.
    where : str
        The public function's name, the start of every message.
    empty : str, default "the data are empty"
        How to say the frame has no rows (e.g. "the transaction log is empty").
    allow_empty : bool, default False
        Accept a frame with zero rows.

    Raises
    ------
    CRMDataError
        "<where> expects a pandas DataFrame, got <type>." or
        "<where>: <empty> (0 rows)."

    Examples
    --------
    >>> require_frame([1, 2], "f")
    Traceback (most recent call last):
    ...
    crm_analysis.errors.CRMDataError: f: expects a pandas DataFrame, got list.
    """
    if not isinstance(data, pd.DataFrame):
        raise CRMDataError(f"{where}: expects a pandas DataFrame, got {type(data).__name__}.")
    if data.empty and not allow_empty:
        raise CRMDataError(f"{where}: {empty} (0 rows).")


def require_columns(data: pd.DataFrame, columns: Mapping[str, str | None] | Iterable[str | None],
                    where: str, *, frame: str = "data", hint: str = "") -> None:
    """Raise unless every named column is in ``data``; ``None`` means "not used".

    Parameters
    ----------
    data : DataFrame
        The frame to look in.
    columns : mapping of role -> column name, or iterable of column names
        With a mapping, a missing column is reported as ``role='name'`` (the
        keyword argument the caller can fix); with a list, as ``'name'``.
        Entries that are ``None`` (optional columns not given) are skipped.
    where : str
        The public function's name.
    frame : str, default "data"
        The argument that should hold the columns, for functions that take
        more than one frame (e.g. "events", "transactions").
    hint : str, default ""
        Said after the message when the columns come from one producer, e.g.
        "Pass the output of rfm_summary(..., calibration_end=...).".

    Raises
    ------
    CRMDataError
        "<where>: column(s) not found: role='name', ... (not in <frame>, whose
        columns are [...]).[ <hint>]"; at most 20 available columns are listed.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1], "date": ["2020-01-01"]})
    >>> require_columns(df, {"customer_id": "customer_id", "amount": None}, "f")
    >>> require_columns(df, {"date": "when"}, "f")
    Traceback (most recent call last):
    ...
    crm_analysis.errors.CRMDataError: f: column(s) not found: date='when' (not in data, whose columns are ['customer_id', 'date']).
    """
    if isinstance(columns, Mapping):
        missing = [f"{role}={name!r}" for role, name in columns.items()
                   if name is not None and name not in data.columns]
    else:
        missing = [repr(name) for name in columns if name is not None and name not in data.columns]
    if missing:
        raise CRMDataError(
            f"{where}: column(s) not found: {', '.join(dict.fromkeys(missing))} "
            f"(not in {frame}, whose columns are {list(data.columns)[:20]})."
            + (f" {hint}" if hint else "")
        )


def require_names(names: Iterable[str], where: str, what: str) -> list[str]:
    """``names`` (column names given as a list, tuple or any iterable) as a list; none raises.

    Parameters
    ----------
    names : iterable of str
        What the caller passed, e.g. ``covariates=[...]``; read once.
    where : str
        The public function's name.
    what : str
        What one name stands for, said in the message ("covariate").

    Returns
    -------
    list of str

    Raises
    ------
    CRMDataError
        "<where>: give at least one <what>." when ``names`` is empty.

    Examples
    --------
    >>> require_names(("age", "plan"), "f", "covariate")
    ['age', 'plan']
    >>> require_names([], "f", "covariate")
    Traceback (most recent call last):
    ...
    crm_analysis.errors.CRMDataError: f: give at least one covariate.
    """
    names = list(names)
    if not names:
        raise CRMDataError(f"{where}: give at least one {what}.")
    return names


def _bad_numbers(raw: pd.Series, *, missing: str, finite: bool) -> tuple[pd.Series, pd.Series]:
    """``raw`` as float and the mask of values that break the rules."""
    if pd.api.types.is_bool_dtype(raw):
        # True/False (also pandas' nullable boolean) count as 1/0.
        raw = raw.astype(float)
    values = pd.to_numeric(raw, errors="coerce").astype(float)
    bad = values.isna() if missing == "raise" else raw.notna() & values.isna()
    if finite:
        bad |= np.isinf(values)
    return values, bad


def _rows(data: pd.DataFrame, bad: pd.Series, shown: Iterable[str], column: str) -> str:
    """The offending rows, showing ``shown`` then ``column`` (each once)."""
    return describe_rows(data, bad, list(dict.fromkeys([*shown, column])))


def _check_missing(missing: str) -> None:
    if missing not in ("raise", "keep"):
        raise ValueError(f"missing must be 'raise' or 'keep', got {missing!r}")


def numeric_column(data: pd.DataFrame, column: str, where: str, *, shown: Iterable[str] = (),
                   missing: str = "raise", finite: bool = True, specific: bool = True) -> pd.Series:
    """The column as float, raising on values that are not numbers.

    Parameters
    ----------
    data : DataFrame
        The frame; ``column`` must be in it (see :func:`require_columns`).
    column : str
        The column to convert.
    where : str
        The public function's name.
    shown : iterable of str, default ()
        Columns shown next to ``column`` in the offending rows (e.g. the id).
    missing : {"raise", "keep"}, default "raise"
        "keep" leaves missing values as NaN (the caller treats them as unknown);
        only values present but not numbers raise.
    finite : bool, default True
        Also reject ``inf`` and ``-inf``.
    specific : bool, default True
        Say "missing values" when every offending value is missing; False
        always says "missing or non-numeric values" (the wording of model
        inputs such as the BTYD summary columns and of :func:`as_series`).

    Returns
    -------
    Series
        float64, same index as ``data``; booleans become 0.0/1.0.

    Raises
    ------
    CRMDataError
        "<where>: column '<column>' has missing values: <rows>" (all offending
        values are missing), "... has missing or non-numeric values: <rows>" or,
        with ``missing="keep"``, "... has non-numeric values: <rows>".

    Examples
    --------
    >>> df = pd.DataFrame({"id": ["a", "b"], "spend": ["1.5", "lots"]})
    >>> numeric_column(df, "spend", "f", shown=["id"])
    Traceback (most recent call last):
    ...
    crm_analysis.errors.CRMDataError: f: column 'spend' has missing or non-numeric values: 1 row, e.g.:
      id spend
    1  b  lots
    """
    _check_missing(missing)
    raw = data[column]
    values, bad = _bad_numbers(raw, missing=missing, finite=finite)
    if bad.any():
        if missing == "keep":
            problem = "non-numeric values"
        elif specific and raw[bad].isna().all():
            problem = "missing values"
        else:
            problem = "missing or non-numeric values"
        raise CRMDataError(
            f"{where}: column {column!r} has {problem}: "
            + _rows(data, bad, shown, column)
        )
    return values


def as_series(values, name: str, where: str) -> pd.Series:
    """A float Series of finite numbers from a Series, array, list or one-column frame.

    Parameters
    ----------
    values : Series, array-like or one-column DataFrame
        The numbers (one per customer).
    name : str
        Name to use (and to show in messages) when ``values`` has none.
    where : str
        The public function's name.

    Returns
    -------
    Series
        float64; a Series keeps its index and name.

    Raises
    ------
    CRMDataError
        For a frame with more than one column, no values at all, or values that
        are missing, non-numeric or infinite (the rows are shown).

    Examples
    --------
    >>> as_series([1, 2], "profit", "f").tolist()
    [1.0, 2.0]
    """
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise CRMDataError(
                f"{where}: pass one column (a Series), got a frame with columns "
                f"{list(values.columns)[:10]}."
            )
        values = values.iloc[:, 0]
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values))
    if series.empty:
        raise CRMDataError(f"{where}: no values (0 customers).")
    label = series.name or name
    return numeric_column(series.rename(label).to_frame(), label, where, specific=False)


def binary_column(data: pd.DataFrame, column: str, where: str, *, what: str | None = None,
                  allowed: str = "0 or 1", missing: str = "raise",
                  shown: Iterable[str] = ()) -> pd.Series:
    """A 0/1 (or True/False) column as float; anything else raises.

    Parameters
    ----------
    data : DataFrame
        The frame; ``column`` must be in it.
    column : str
        The indicator column (an event, a flag).
    where : str
        The public function's name.
    what : str, optional
        What the column holds ("event", "flag"), said before the rule.
    allowed : str, default "0 or 1"
        How the rule is worded, e.g. "0 (censored) or 1 (left)".
    missing : {"raise", "keep"}, default "raise"
        "keep" leaves missing values as NaN (unknown) instead of raising.
    shown : iterable of str, default ()
        Columns shown next to ``column`` in the offending rows.

    Returns
    -------
    Series
        float64 with values 0.0 and 1.0 (and NaN when ``missing="keep"``).

    Raises
    ------
    CRMDataError
        "<where>: column '<column>'[: <what>] must be <allowed>; <kind>: <rows>",
        where kind is "non-numeric values", "missing values" or "other values".

    Examples
    --------
    >>> df = pd.DataFrame({"churn": [0, 1, 2]})
    >>> binary_column(df, "churn", "f", what="event")
    Traceback (most recent call last):
    ...
    crm_analysis.errors.CRMDataError: f: column 'churn': event must be 0 or 1; other values: 1 row, e.g.:
       churn
    2      2
    """
    _check_missing(missing)
    raw = data[column]
    values, _ = _bad_numbers(raw, missing="keep", finite=False)
    bad = ~values.isin([0.0, 1.0])
    if missing == "keep":
        bad &= raw.notna()
    if bad.any():
        label = f"{column!r}: {what}" if what else f"{column!r}"
        if (bad & raw.notna() & values.isna()).any():
            kind = "non-numeric values"
        elif raw[bad].isna().all():
            kind = "missing values"
        else:
            kind = "other values"
        raise CRMDataError(
            f"{where}: column {label} must be {allowed}; {kind}: "
            + _rows(data, bad, shown, column)
        )
    return values


def _id_text(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def normalise_ids(ids: pd.Series) -> pd.Series:
    """Customer ids on which every engine agrees: 5, 5.0 and "5" are one customer.

    A numeric id column is returned as it is.  A text or mixed (object)
    column becomes text throughout, integral numbers written without
    ``.0``, so that the pandas, DuckDB and Dask summaries count the same
    customers.  Missing ids stay missing.

    Examples
    --------
    >>> normalise_ids(pd.Series([5, "5", 7.0, "c9"], dtype=object)).tolist()
    ['5', '5', '7', 'c9']
    """
    if not pd.api.types.is_object_dtype(ids.dtype):
        return ids
    return ids.map(_id_text, na_action="ignore")


def check_freq_multiplier(freq_multiplier) -> None:
    """Raise unless ``freq_multiplier`` is a positive finite number.

    NaN or inf would spread through every time column of an RFM summary
    (and used to reach the SQL of the DuckDB engine).

    Examples
    --------
    >>> check_freq_multiplier(float("nan"))
    Traceback (most recent call last):
    ...
    crm_analysis.errors.CRMDataError: rfm_summary: freq_multiplier must be a positive finite number, got nan.
    """
    try:
        ok = bool(np.isfinite(freq_multiplier)) and freq_multiplier > 0
    except TypeError:
        ok = False
    if not ok:
        raise CRMDataError(
            f"rfm_summary: freq_multiplier must be a positive finite number, got {freq_multiplier!r}."
        )
