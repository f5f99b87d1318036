"""Reading a client's files and writing spreadsheet-safe exports.

Consultants receive transaction and survey files as CSV, Parquet or Excel.
:func:`read_table` reads any of them and turns the usual accidents (empty
file, wrong delimiter, unknown format) into one-line :class:`CRMDataError`
messages; :func:`write_safe_csv` writes a CSV whose text cells cannot be run
as formulas when opened in a spreadsheet.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from .errors import CRMDataError

__all__ = ["read_table", "write_safe_csv", "neutralise_formulas"]

_EXCEL = {".xlsx", ".xlsm", ".xls"}
_PARQUET = {".parquet", ".pq"}
_CSV = {".csv", ".txt", ".tsv"}
# Characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def read_table(path: str | Path, *, sep: str | None = None, expect: list[str] | None = None) -> pd.DataFrame:
    """Read a CSV, Parquet or Excel file into a DataFrame.

    Parameters
    ----------
    path : str or Path
        File to read; the format follows the extension.
    sep : str, optional
        CSV delimiter; sniffed from the first lines when omitted.
    expect : list of str, optional
        Columns that must be present; a missing one raises with a hint when
        the file looks like it was split on the wrong delimiter.

    Returns
    -------
    DataFrame

    Raises
    ------
    CRMDataError
        Missing or empty file, unknown extension, unreadable content, or an
        expected column absent.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "log.csv")
    >>> _ = open(p, "w").write("id;date\\n1;2020-01-01\\n")
    >>> read_table(p).columns.tolist()
    ['id', 'date']
    """
    path = Path(path)
    if not path.exists():
        raise CRMDataError(f"file not found: {path}")
    if path.stat().st_size == 0:
        raise CRMDataError(f"{path.name}: the file is empty.")
    suffix = path.suffix.lower()
    try:
        if suffix in _PARQUET:
            data = pd.read_parquet(path)
        elif suffix in _EXCEL:
            data = pd.read_excel(path)
        elif suffix in _CSV:
            data = pd.read_csv(path, sep=sep or _sniff(path), engine="python")
        else:
            raise CRMDataError(
                f"{path.name}: unknown file type {suffix!r}; use .csv, .parquet or .xlsx."
            )
    except CRMDataError:
        raise
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CRMDataError(f"{path.name}: could not be read ({first}).") from exc
    if data.empty:
        raise CRMDataError(f"{path.name}: no data rows (only a header?).")
    if expect:
        missing = [c for c in expect if c not in data.columns]
        if missing:
            hint = ""
            if data.shape[1] == 1 and any(ch in str(data.columns[0]) for ch in ",;\t|"):
                hint = " The file was read as a single column: is the delimiter right (--sep)?"
            raise CRMDataError(
                f"{path.name}: column(s) {missing} not found; the file has "
                f"{list(data.columns)[:12]}.{hint}"
            )
    return data


def _sniff(path: Path) -> str:
    with path.open("r", newline="", encoding="utf-8", errors="replace") as fh:
        sample = fh.read(64 * 1024)
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def neutralise_formulas(data: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``data`` whose text cells cannot start a spreadsheet formula.

    Text cells beginning with ``=``, ``+``, ``-``, ``@``, tab or carriage
    return get a leading apostrophe.  Numeric columns are left alone: a
    negative number is a number, not a formula.

    Examples
    --------
    >>> neutralise_formulas(pd.DataFrame({"name": ["=1+1", "Ann"], "x": [-1, 2]}))["name"].tolist()
    ["'=1+1", 'Ann']
    """
    out = data.copy()
    for col in out.columns:
        if pd.api.types.is_object_dtype(out[col]) or pd.api.types.is_string_dtype(out[col]):
            values = out[col]
            mask = values.map(lambda v: isinstance(v, str) and v.startswith(_FORMULA_START))
            if mask.any():
                out[col] = values.astype(object).where(~mask, "'" + values.astype(str))
    if isinstance(out.index, pd.Index) and (
        pd.api.types.is_object_dtype(out.index) or pd.api.types.is_string_dtype(out.index)
    ):
        out.index = pd.Index(
            ["'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v for v in out.index],
            name=out.index.name,
        )
    return out


def write_safe_csv(data: pd.DataFrame, path: str | Path, *, index: bool = False) -> Path:
    """Write ``data`` as CSV with formula-like text cells neutralised.

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path)
    neutralise_formulas(data).to_csv(path, index=index)
    return path
