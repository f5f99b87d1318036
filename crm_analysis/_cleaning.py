"""Helpers of :func:`crm_analysis.validate_transactions`: numbers written as text, returns, item codes.

Private to the package.  Each helper works on whole columns and touches Python
objects only once per *distinct* value (order ids, item codes and amount
strings repeat a lot in an invoice-line export), so that a log of millions of
lines is checked in seconds.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .errors import CRMDataError, describe_rows

__all__ = ["read_numbers", "starts_with", "matches_items", "net_returns"]

# Currency symbols and ISO codes recognised when a number fails to parse.
_CURRENCY = re.compile(r"[$£€¥₹]|\b(?:USD|EUR|GBP|CHF|JPY|CNY|RMB)\b", re.IGNORECASE)
_SIGN = r"[-+]?"
# Formatted numbers once the currency is gone: which separator plays which role.
_PATTERNS = (
    (re.compile(_SIGN + r"\d{1,3}(?:,\d{3})+(?:\.\d+)?"), "comma thousands separator",
     {"thousands": ","}),
    (re.compile(_SIGN + r"\d{1,3}(?:\.\d{3})+(?:,\d+)?"), "dot thousands separator and decimal comma",
     {"thousands": ".", "decimal": ","}),
    (re.compile(_SIGN + r"\d{1,3}(?: \d{3})+(?:[.,]\d+)?"), "space thousands separator",
     {"thousands": " "}),
    (re.compile(_SIGN + r"\d*,\d+"), "decimal comma", {"decimal": ","}),
)


def _option_text(options: dict[str, str]) -> str:
    py = ", ".join(f"{k}={v!r}" for k, v in options.items())
    cli = " ".join(f"--{k} '{v}'" for k, v in options.items())
    return f"{py} (command line: {cli})"


def _diagnose(texts: list[str]) -> tuple[str, dict[str, str], list[str]] | None:
    """The formatting pattern of amount strings that are not plain numbers, if any.

    Returns a description, the options that read it and the example values, or
    None when the strings are simply not numbers.
    """
    found: dict[str, str] = {}
    described: list[str] = []
    examples: list[str] = []
    symbols: list[str] = []
    for text in texts:
        stripped = text.strip()
        symbol = _CURRENCY.search(stripped)
        if symbol:
            if symbol.group(0) not in symbols:
                symbols.append(symbol.group(0))
            stripped = _CURRENCY.sub("", stripped).strip()
        hit = False
        for pattern, what, options in _PATTERNS:
            if pattern.fullmatch(stripped):
                hit = True
                if what not in described:
                    described.append(what)
                    found.update(options)
                break
        if (hit or symbol) and len(examples) < 5:
            examples.append(text)
    if not examples:
        return None
    if symbols:
        described.insert(0, "currency symbol " + ", ".join(repr(s) for s in symbols))
        found = {"currency": symbols[0], **found}
    if found.get("thousands") == "," and "decimal comma" in described:
        # "1,234" could be either: name both readings.
        found.pop("decimal", None)
    return "; ".join(described), found, examples


def _parse_texts(texts: pd.Series, thousands: str | None, decimal: str,
                 currency: str | None) -> np.ndarray:
    """Distinct text values -> float, applying the explicit formatting options (vectorised).

    A value that breaks the declared format (thousands separators not grouping
    digits by three, a dot in a decimal-comma column) becomes NaN: "1,5" with
    ``thousands=","`` is not read as 15.
    """
    s = texts.str.strip()
    ok = np.ones(len(s), dtype=bool)
    if currency:
        s = s.str.replace(currency, "", regex=False).str.strip()
    if thousands:
        t, d = re.escape(thousands), re.escape(decimal)
        grouped = rf"[-+]?\d{{1,3}}(?:{t}\d{{3}})+(?:{d}\d*)?"
        has = s.str.contains(thousands, regex=False).to_numpy(dtype=bool)
        ok &= ~has | s.str.fullmatch(grouped).to_numpy(dtype=bool)
        s = s.str.replace(thousands, "", regex=False)
    if decimal != ".":
        ok &= ~s.str.contains(".", regex=False).to_numpy(dtype=bool)
        s = s.str.replace(decimal, ".", regex=False)
    values = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
    return np.where(ok, values, np.nan)


# Text that may be a formatted number: worth a closer look when it fails to parse.
_LOOKS_FORMATTED = r"[$£€¥₹,]|\d \d|\d\.\d{3}\.\d|\b(?:USD|EUR|GBP|CHF|JPY|CNY|RMB)\b"


def read_numbers(
    data: pd.DataFrame, column: str, where: str, *, shown: list[str],
    thousands: str | None = None, decimal: str = ".", currency: str | None = None,
) -> tuple[pd.Series, dict[str, pd.Series]]:
    """A column as float plus the masks of values that cannot be used as numbers.

    Parameters
    ----------
    data : DataFrame
        The log.
    column : str
        Column to read.
    where : str
        Public function name for messages.
    shown : list of str
        Columns shown in an error's example rows.
    thousands, decimal, currency : str, optional
        Explicit formatting of numbers written as text (see
        :func:`crm_analysis.validate_transactions`).

    Returns
    -------
    values : Series of float
        NaN wherever a mask is True.
    masks : dict
        ``missing``, ``boolean``, ``non-numeric``, ``non-finite`` (disjoint).

    Raises
    ------
    CRMDataError
        Text values formatted as amounts (currency symbol, thousands
        separators, decimal comma) while no option says how to read them; the
        message names the pattern and the options.
    """
    raw = data[column]
    missing = raw.isna()
    index = raw.index
    false = pd.Series(False, index=index)
    if pd.api.types.is_bool_dtype(raw):
        # True/False as an amount is a column mix-up, not 1 and 0.
        values = pd.Series(np.nan, index=index)
        return values, {"missing": missing, "boolean": ~missing, "non-numeric": false,
                        "non-finite": false}
    if pd.api.types.is_numeric_dtype(raw):
        values = raw.astype("float64")
        return values, {"missing": missing, "boolean": false, "non-numeric": false,
                        "non-finite": pd.Series(np.isinf(values.to_numpy()), index=index)}
    if pd.api.types.is_datetime64_any_dtype(raw) or isinstance(raw.dtype, pd.PeriodDtype):
        values = pd.Series(np.nan, index=index)
        return values, {"missing": missing, "boolean": false, "non-numeric": ~missing,
                        "non-finite": false}

    if pd.api.types.is_string_dtype(raw) and raw.dtype != object:
        # pandas' string dtype holds text only: no booleans, factorised without Python objects.
        boolean = false
        codes, uniques = pd.factorize(raw)
    else:
        as_object = raw.astype(object)
        # Python bools hash like 1 and 0: find them before factorising.
        boolean = as_object.map(lambda v: isinstance(v, (bool, np.bool_)))
        codes, uniques = pd.factorize(as_object.where(~boolean))
    uniques = np.asarray(uniques, dtype=object)
    formatted = thousands is not None or decimal != "." or bool(currency)
    parsed = np.full(len(uniques), np.nan)
    is_text = np.fromiter((isinstance(u, str) for u in uniques), dtype=bool, count=len(uniques))
    texts = pd.Series(uniques[is_text], dtype="str")
    parsed[is_text] = _parse_texts(texts, thousands, decimal, currency if formatted else None)
    for k in np.flatnonzero(~is_text):
        try:
            parsed[k] = float(uniques[k])
        except (TypeError, ValueError):
            pass
    values = pd.Series(np.where(codes >= 0, parsed[np.maximum(codes, 0)], np.nan), index=index)
    nan = values.isna()
    non_numeric = ~missing & ~boolean & nan
    if not formatted and non_numeric.any():
        failed = texts[np.isnan(parsed[is_text])]
        suspects = failed[failed.str.contains(_LOOKS_FORMATTED, regex=True).to_numpy(dtype=bool)]
        diagnosis = _diagnose(suspects.head(2000).tolist())
        if diagnosis is not None:
            what, options, examples = diagnosis
            raise CRMDataError(
                f"{where}: column {column!r} holds amounts written as text ({what}, e.g. "
                f"{', '.join(repr(e) for e in examples[:3])}); pass {_option_text(options)} "
                "to read them, or convert the column to numbers first: "
                + describe_rows(data, non_numeric, list(dict.fromkeys([*shown, column])))
            )
    non_finite = pd.Series(np.isinf(values.to_numpy()), index=index)
    return values.where(~non_finite), {
        "missing": missing, "boolean": boolean & ~missing,
        "non-numeric": non_numeric, "non-finite": non_finite,
    }


def starts_with(values: pd.Series, prefix: str) -> np.ndarray:
    """True where the value, read as text, starts with ``prefix`` (missing: False)."""
    if pd.api.types.is_string_dtype(values) and values.dtype != object:
        # pandas' string dtype: one vectorised pass, no Python objects.
        return values.str.startswith(prefix).fillna(False).to_numpy(dtype=bool)
    codes, uniques = pd.factorize(values)
    hit = np.array([str(u).startswith(prefix) for u in np.asarray(uniques, dtype=object)],
                   dtype=bool)
    return np.where(codes >= 0, hit[np.maximum(codes, 0)] if len(hit) else False, False)


def matches_items(values: pd.Series, pattern: str, where: str) -> np.ndarray:
    """True where the whole item code, read as text, matches the regular expression."""
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise CRMDataError(f"{where}: exclude_items {pattern!r} is not a regular expression ({exc}).") from None
    codes, uniques = pd.factorize(values)
    # Python's re on the distinct codes (not pyarrow's RE2), so any Python regex works.
    hit = np.array([regex.fullmatch(str(u)) is not None
                    for u in np.asarray(uniques, dtype=object)], dtype=bool)
    return np.where(codes >= 0, hit[np.maximum(codes, 0)] if len(hit) else False, False)


def net_returns(
    group: np.ndarray, when: np.ndarray, amount: np.ndarray,
    purchase: np.ndarray, ret: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Net return lines against earlier purchase lines of the same group, latest first.

    Parameters
    ----------
    group : ndarray of int64
        Matching key per line (customer, or customer and item).
    when : ndarray of int64
        Timestamps (nanoseconds).
    amount : ndarray of float
        Line amounts; returns are negative.
    purchase, ret : ndarray of bool
        Lines that can absorb a return (positive amount) and the return lines.

    Returns
    -------
    remaining : ndarray of float
        Amount left on each line after netting (purchase lines only change).
    netted : ndarray of float
        Per line: for a return, the amount it netted (>= 0); 0 elsewhere.
    left : ndarray of float
        Per line: for a return, the amount that found no purchase to net.

    Notes
    -----
    Each return, in date order, reduces the customer's most recent purchases
    dated on or before it (a return cancels what was bought last), until its
    amount is used up or no purchase is left.
    """
    n = len(amount)
    remaining = amount.astype(float).copy()
    netted = np.zeros(n)
    left = np.zeros(n)
    p_idx = np.flatnonzero(purchase)
    r_idx = np.flatnonzero(ret)
    if len(r_idx) == 0:
        return remaining, netted, left
    # Joint dense rank of the timestamps lets one integer key order (group, time).
    _, rank = np.unique(np.concatenate([when[p_idx], when[r_idx]]), return_inverse=True)
    span = np.int64(rank.max() + 1)
    key_p = group[p_idx].astype(np.int64) * span + rank[: len(p_idx)]
    key_r = group[r_idx].astype(np.int64) * span + rank[len(p_idx):]
    order_p = np.argsort(key_p, kind="stable")
    p_sorted = p_idx[order_p]
    key_p = key_p[order_p]
    order_r = np.argsort(key_r, kind="stable")
    r_sorted = r_idx[order_r]
    key_r = key_r[order_r]
    lo = np.searchsorted(key_p, group[r_sorted].astype(np.int64) * span, side="left")
    hi = np.searchsorted(key_p, key_r, side="right")

    rem = remaining[p_sorted].tolist()
    needs = (-remaining[r_sorted]).tolist()
    got = [0.0] * len(r_sorted)
    for k, need in enumerate(needs):
        j, first = int(hi[k]) - 1, int(lo[k])
        tol = 1e-9 * need
        while need > tol and j >= first:
            have = rem[j]
            if have > 0:
                take = have if have < need else need
                have -= take
                # A line returned in full is exactly zero, not 1e-13.
                rem[j] = 0.0 if have <= 1e-9 * take else have
                need -= take
                got[k] += take
            j -= 1
    remaining[p_sorted] = rem
    got_arr = np.asarray(got)
    asked = -amount[r_sorted].astype(float)
    short = asked - got_arr
    netted[r_sorted] = got_arr
    left[r_sorted] = np.where(short > 1e-9 * asked, short, 0.0)
    remaining[r_sorted] = 0.0
    return remaining, netted, left
