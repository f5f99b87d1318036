"""The package's single exception family for bad input."""

from __future__ import annotations

import pandas as pd

__all__ = [
    "CRMDataError", "ConvergenceError", "DataCleaningWarning", "ModelFitWarning", "NotFittedError",
    "describe_rows", "rows_dropped_note",
]


class CRMDataError(ValueError):
    """Raised when input data cannot be analysed as given.

    The message always names the column, the problem and, where rows are at
    fault, up to five offending rows, so that the caller can fix the data
    rather than guess.

    Examples
    --------
    >>> raise CRMDataError("column 'date': 2 values are not dates")
    Traceback (most recent call last):
    ...
    crm_analysis.errors.CRMDataError: column 'date': 2 values are not dates
    """


class ConvergenceError(CRMDataError):
    """Raised when a maximum-likelihood fit fails to reach an optimum.

    A subclass of :class:`CRMDataError`, so existing handlers keep working,
    while callers that want to retry (another penalizer, another time unit)
    can catch exactly this case instead of matching words in the message.

    Examples
    --------
    >>> issubclass(ConvergenceError, CRMDataError)
    True
    """


class NotFittedError(CRMDataError):
    """Raised when a model is asked for a prediction or a table before it was fitted.

    A subclass of :class:`CRMDataError`, so existing handlers keep working,
    while a caller can catch exactly this case instead of matching words in
    the message.

    Examples
    --------
    >>> issubclass(NotFittedError, CRMDataError)
    True
    """


class DataCleaningWarning(UserWarning):
    """Rows were dropped before an analysis; the message counts them by reason.

    Every function that drops rows records the counts in a ``rows_dropped_``
    mapping (reason -> rows) on its result and warns once with a message
    written by :func:`rows_dropped_note`.
    """


class ModelFitWarning(UserWarning):
    """A fit finished but its result needs the reader's attention.

    Emitted for a flat likelihood (parameters poorly identified), a violated
    model assumption, or a maximum on the boundary of the parameter space
    (for example no sign of dropout, where a BTYD model reduces to the NBD).

    ``note``: the same finding as one sentence for a report, without advice
    for Python callers (a :class:`crm_analysis.messages.Message`, so the client
    report can say it in Chinese too); None when there is none.
    """

    def __init__(self, text: str, note: str | None = None):
        super().__init__(text)
        self.note = note


def describe_rows(data: pd.DataFrame, mask, columns=None, limit: int = 5) -> str:
    """Format up to ``limit`` offending rows of ``data`` for an error message.

    Parameters
    ----------
    data : DataFrame
        The frame the rows come from.
    mask : array-like of bool
        True for the offending rows.
    columns : list of str, optional
        Columns to show; all columns when omitted.
    limit : int, default 5
        How many rows at most.

    Returns
    -------
    str
        ``"<n> rows, e.g.:\\n<table>"``.
    """
    mask = pd.Series(mask, index=data.index).fillna(False).astype(bool)
    bad = data.loc[mask, columns] if columns is not None else data.loc[mask]
    n = int(mask.sum())
    shown = bad.head(limit).to_string(max_colwidth=40)
    return f"{n} row{'s' if n != 1 else ''}, e.g.:\n{shown}"


def rows_dropped_note(where: str, rows_dropped: dict) -> str:
    """The one wording of a rows-dropped report: ``"<where>: dropped <n> rows (<n> <reason>; ...)"``.

    Parameters
    ----------
    where : str
        The public function's name.
    rows_dropped : dict
        Reason -> number of rows (reasons with 0 rows are left out).

    Returns
    -------
    str

    Examples
    --------
    >>> rows_dropped_note("churn_hazard_model", {"missing value": 3, "negative duration": 0})
    'churn_hazard_model: dropped 3 rows (3 missing value)'
    """
    parts = {k: int(v) for k, v in rows_dropped.items() if int(v)}
    n = sum(parts.values())
    reasons = "; ".join(f"{v:,} {k}" for k, v in parts.items())
    return f"{where}: dropped {n:,} row{'s' if n != 1 else ''} ({reasons})"
