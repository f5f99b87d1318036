"""Transaction logs: validation and the per-customer RFM summary.

Every analysis in the package starts from a tidy transaction log, one row per
purchase (or purchase line), with a customer id, a date and optionally an
amount.  :func:`validate_transactions` checks such a log and reports every row
it drops or flags; :func:`rfm_summary` turns it into the frequency / recency /
T / monetary-value summary that the buy-till-you-die models of
:mod:`crm_analysis.clv` fit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import largedata
from ._checks import (
    require_columns,
    require_frame,
)
from ._cleaning import matches_items, net_returns, read_numbers, starts_with
from ._summary import _EMPTY, SUPPORTED_FREQS, check_summary_args, period_codes, rfm_summary_frame
from .dates import check_dates, parse_cutoff, parse_dates, raise_for_bad_dates
from .errors import CRMDataError, describe_rows
from .largedata import (
    SQL_NUMBERS,
    duckdb_error_message,
    expand_source,
    is_plain_timestamp,
    sql_identifier,
    sql_literal,
)

__all__ = [
    "ValidationResult",
    "LogFileCleaning",
    "clean_log_files",
    "VALIDATION_CHECKS",
    "validate_transactions",
    "rfm_summary",
    "period_totals",
    "SUPPORTED_FREQS",
    "period_codes",
]


#: The checks of :func:`validate_transactions`, in the order they are applied.
#: A row is counted under the first check it fails, so the counts of the
#: dropped rows add up to the rows dropped.  ``{col}`` stands for the amount,
#: or for the quantity and then the price column.  Three checks flag rows
#: without dropping them by default (duplicates, partly returned purchases,
#: zero amounts); the report lists the drops first, then these flags, each
#: group in this order.
VALIDATION_CHECKS = (
    "missing customer id",
    "missing date",
    "unparseable date",
    "implausible date",  # before 1900-01-01 or beyond 2262-04-11
    "date after observation end",  # "date in the future" without observation_end
    "missing {col}",
    "boolean {col}",
    "non-numeric {col}",
    "non-finite {col}",
    "non-finite amount",  # quantity x price overflows
    "excluded item",
    "exact duplicate row",  # dropped only with duplicates="drop"
    "cancellation with a non-negative amount",
    "negative amount not marked as a cancellation",
    "return netted against the customer's purchases",
    "return of a purchase before the window",
    "negative amount (return or refund)",  # returns="drop"
    "purchase fully returned",
    "purchase partly returned (amount reduced)",  # kept, amount reduced
    "zero amount",  # dropped only with zero_amounts="drop"
)


@dataclass
class ValidationResult:
    """Outcome of :func:`validate_transactions`.

    Attributes
    ----------
    data : DataFrame
        The clean log (a copy; the caller's frame is untouched).
    report : DataFrame
        One row per check that found something, the drops in the order the
        checks are applied (:data:`VALIDATION_CHECKS`), then the flags on kept
        rows: ``check``, ``column``, ``rows``
        (how many rows it concerned), ``action`` (``"dropped"`` or ``"kept"``)
        and ``examples`` (up to five row labels).  Each dropped row is counted
        under the first check it fails, so the ``"dropped"`` rows add up to
        :attr:`n_dropped`; ``"kept"`` rows are flags on rows still in ``data``.
    n_input : int
        Rows received.
    amount_netted : float
        Total value of the return lines netted against purchases.
    amount_not_netted : float
        Value of return lines (or parts of them) that found no purchase in the
        log to net against (they cancel purchases made before the window).
    settings : dict
        The cleaning choices that change results (``zero_amounts``,
        ``duplicates``, ``returns``), restated in :meth:`summary`.
    notes : list of str
        Warnings about the options (e.g. a unit price passed as the amount).
    """

    data: pd.DataFrame
    report: pd.DataFrame
    n_input: int
    _columns: dict = field(default_factory=dict, repr=False)
    amount_netted: float = 0.0
    amount_not_netted: float = 0.0
    settings: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    @property
    def n_dropped(self) -> int:
        """Number of rows removed by cleaning."""
        return self.n_input - len(self.data)

    @property
    def rows_dropped_(self) -> dict:
        """Rows removed by cleaning, by check (the package's one rows-dropped mapping)."""
        dropped = self.report[self.report["action"] == "dropped"]
        return {str(k): int(v) for k, v in dropped.groupby("check", sort=False)["rows"].sum().items() if v}

    def __iter__(self) -> Iterator:
        # Lets callers write ``clean, report = validate_transactions(...)``.
        return iter((self.data, self.report))

    def _rows(self, check: str) -> int:
        hit = self.report.loc[self.report["check"] == check, "rows"]
        return int(hit.sum())

    def summary(self) -> str:
        """Plain-text cleaning report, one line per finding, then the choices made."""
        lines = [
            f"{self.n_input:,} rows in, {len(self.data):,} rows kept, "
            f"{self.n_dropped:,} dropped."
        ]
        if self.n_dropped:
            lines.append(
                "  Checks run in a fixed order and each row is counted under the first "
                "one it fails, so the dropped counts add up to the rows dropped."
            )
        for row in self.report.itertuples(index=False):
            lines.append(
                f"  - {row.check} [{row.column}]: {row.rows:,} rows {row.action}"
                f" (e.g. rows {row.examples})"
            )
        if self.report.empty:
            lines.append("  - no problems found")
        if self.amount_netted or self.amount_not_netted:
            lines.append(
                f"  Returns: {self.amount_netted:,.2f} netted against the customers' earlier "
                f"purchases; {self.amount_not_netted:,.2f} found no purchase in the log to net "
                "(they cancel purchases made before it) and was not counted."
            )
        amount = self._columns.get("amount")
        if amount is not None and self.settings.get("zero_amounts") == "keep":
            n_zero = self._rows("zero amount")
            if n_zero:
                lines.append(
                    f"  Zero amounts: {n_zero:,} rows kept (zero_amounts='keep', the default): "
                    "each counts as a purchase occasion in frequency and recency, adds nothing "
                    "to revenue and lowers the mean spend; zero_amounts='drop' removes them."
                )
        lines += [f"  Note: {note}" for note in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


@dataclass
class LogFileCleaning(ValidationResult):
    """The cleaning of a Parquet log done out of core, by :func:`crm_analysis.clean_log_files`.

    ``report``, ``n_input``, ``n_dropped`` and :meth:`summary` are what
    :func:`crm_analysis.validate_transactions` reports on the whole log read
    into pandas (same checks, same counts, same example rows).  The cleaned
    log itself is not held in memory: ``day_log`` is a Parquet file with one
    row per customer and purchase day (the amount summed, plus ``_lines``,
    ``_orders`` - distinct timestamps - and ``_buying`` - lines of positive
    amount), which is all the report's analyses read; ``data`` is empty.

    Attributes
    ----------
    n_kept : int
        Lines kept.
    day_log : Path
        The day-level cleaned log.
    first_date, last_date : Timestamp
        First and last purchase kept.
    total_amount : float
        Sum of the kept lines' amounts.
    """

    n_kept: int = 0
    day_log: Path | None = None
    first_date: pd.Timestamp | None = None
    last_date: pd.Timestamp | None = None
    total_amount: float = 0.0

    @property
    def n_dropped(self) -> int:
        """Number of rows removed by cleaning."""
        return self.n_input - self.n_kept

    def summary(self) -> str:
        """Plain-text cleaning report, as :meth:`ValidationResult.summary`."""
        lines = super().summary().splitlines()
        lines[0] = (f"{self.n_input:,} rows in, {self.n_kept:,} rows kept, "
                    f"{self.n_dropped:,} dropped.")
        return "\n".join(lines)


_REPORT_COLUMNS = ["check", "column", "rows", "action", "examples"]


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise CRMDataError(
            f"validate_transactions: {name} must be one of {allowed}, got {value!r}."
        )


def validate_transactions(
    data: pd.DataFrame,
    *,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str | None = None,
    quantity: str | None = None,
    price: str | None = None,
    order_id: str | None = None,
    cancel_prefix: str | None = None,
    returns: str = "net",
    item: str | None = None,
    exclude_items: str | None = None,
    thousands: str | None = None,
    decimal: str = ".",
    currency: str | None = None,
    observation_end=None,
    zero_amounts: str = "keep",
    duplicates: str = "keep",
    strict: bool = False,
    dayfirst: bool | None = None,
    date_format: str | None = None,
    tz: str | None = None,
) -> ValidationResult:
    """Check a transaction log and return a clean copy with a cleaning report.

    The checks run in this order, and a row is counted under the first one
    it fails (:data:`VALIDATION_CHECKS`), so the counts of the dropped rows
    add up to the rows dropped:

    1. missing customer id;
    2. dates: missing, unparseable, implausible (before 1900 or beyond
       2262), after the observation end (see :mod:`crm_analysis.dates` for
       the one date rule of the package);
    3. amounts (the ``amount`` column, or ``quantity`` and then ``price``):
       missing, boolean (``True``/``False``), non-numeric, non-finite
       (``inf``, ``1e400``), then a non-finite ``quantity x price``;
    4. excluded items (``item`` matching ``exclude_items``: postage, fees,
       manual adjustments...);
    5. exact duplicate rows (dropped only with ``duplicates="drop"``);
    6. returns and cancellations (lines with a negative amount, or with
       ``cancel_prefix`` the lines whose order id starts with it): netted
       against the customer's purchases (``returns="net"``), or dropped;
    7. purchase lines fully cancelled by a return;
    8. zero amounts (dropped only with ``zero_amounts="drop"``).

    Parameters
    ----------
    data : DataFrame
        One row per transaction (or invoice line).  Never modified.
    customer_id, date : str
        Column names of the customer id and the transaction date.
    amount : str, optional
        Column of the line value.  With ``quantity`` and ``price``, the name
        of the column that receives ``quantity x price`` (default
        ``"amount"``; it must not exist yet).  Amount checks are skipped when
        neither is given.
    quantity, price : str, optional
        Columns of the units and the unit price; the amount is their product.
        Passing a unit price as ``amount`` gives wrong revenue: use these.
    order_id : str, optional
        Column of the order (invoice) number; with ``cancel_prefix``, marks
        cancellations.
    cancel_prefix : str, optional
        Order numbers starting with it are cancellations (``"C"`` in many
        invoice exports).  A cancellation must have a negative amount, and a
        negative amount must then be a cancellation; other lines are dropped
        and counted.  Without it every negative amount is a return.
    returns : {"net", "drop"}, default "net"
        ``"net"``: each return reduces the same customer's (and, with
        ``item``, the same item's) most recent purchases on or before its
        date; purchase lines cancelled in full are dropped, partly returned
        lines keep the rest (``quantity`` is scaled the same way).  Returns
        that find no purchase in the log cancel purchases made before it:
        they are dropped and counted separately ("return of a purchase before
        the window").  ``"drop"``: returns are dropped and purchases keep
        their full amount (revenue is then overstated).
    item : str, optional
        Column of the product code; used by ``exclude_items`` and to match
        returns to purchases of the same item.
    exclude_items : str, optional
        Regular expression; lines whose whole item code matches it are not
        product sales (postage, bank charges, marketplace fees, manual or
        bad-debt adjustments) and are dropped and counted.
    thousands, decimal, currency : str, optional
        How amounts written as text are formatted, e.g. ``currency="£",
        thousands=","`` for "£1,234.50" or ``thousands=".", decimal=","``
        for "1.234,50".  Without them, text amounts that look formatted stop
        with an error naming the pattern and these options (they are never
        silently dropped).
    observation_end : date-like, optional
        Last day of observation; later transactions are dropped.  A date
        without a time includes that whole day.  Defaults to the current
        date, so future-dated rows are caught.
    zero_amounts : {"keep", "drop"}, default "keep"
        Zero-value lines (free items, fully discounted baskets) count as
        purchase occasions in frequency and recency and lower the mean spend;
        the report states how many were kept.
    duplicates : {"keep", "drop"}, default "keep"
        Fully identical rows may be two identical purchases or a double load.
    strict : bool, default False
        Raise :class:`CRMDataError` instead of dropping rows with bad data
        (checks 1-3 and cancellations with the wrong sign).  Returns,
        excluded items and the rows dropped on request are not errors.
    dayfirst : bool, optional
        Read text dates such as ``05/01/2011`` day-first (True) or
        month-first (False).  Needed only when the column does not decide it
        (no day above 12); the format is inferred once for the whole column.
    date_format : str, optional
        ``strftime`` pattern of the text dates, e.g. ``"%d/%m/%Y %H:%M"``.
    tz : str, optional
        Time zone that dates carrying a zone (``+02:00``, aware columns) are
        converted to before the zone is dropped; default UTC.  Dates without
        a zone are kept as written.

    Returns
    -------
    ValidationResult
        ``.data`` (clean copy, ``date`` as datetime64, amount columns as
        float, returns netted) and ``.report``; ``.amount_netted`` and
        ``.amount_not_netted``; unpacks as ``clean, report``.

    Raises
    ------
    CRMDataError
        Not a DataFrame, empty, a named column missing, inconsistent options,
        no parseable date at all, amounts formatted as text without the
        options to read them, or (with ``strict=True``) any row with bad data,
        day-first and month-first both possible (pass ``dayfirst`` or
        ``date_format``).

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"customer_id": [1, 1, None],
    ...                     "date": ["2020-01-01", "not a date", "2020-01-02"],
    ...                     "amount": [10.0, 5.0, 3.0]})
    >>> clean, report = validate_transactions(log, amount="amount")
    >>> len(clean), report["check"].tolist()
    (1, ['missing customer id', 'unparseable date'])

    Invoice lines with a cancellation, postage and a price written with a
    currency symbol:

    >>> lines = pd.DataFrame({
    ...     "invoice": ["536365", "536365", "C536379", "536380"],
    ...     "customer": [17850, 17850, 17850, 12583],
    ...     "stock": ["85123A", "POST", "85123A", "22728"],
    ...     "when": ["2010-12-01 08:26", "2010-12-01 08:26", "2010-12-02 09:41", "2010-12-03 10:00"],
    ...     "qty": [6, 1, -2, 24], "unit": ["£2.55", "£18.00", "£2.55", "£3.75"]})
    >>> res = validate_transactions(
    ...     lines, customer_id="customer", date="when", quantity="qty", price="unit",
    ...     currency="£", order_id="invoice", cancel_prefix="C", item="stock",
    ...     exclude_items="POST", observation_end="2010-12-31")
    >>> res.data["amount"].round(2).tolist(), round(res.amount_netted, 2)
    ([10.2, 90.0], 5.1)
    >>> res.report[["check", "rows", "action"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['excluded item', 1, 'dropped'],
     ["return netted against the customer's purchases", 1, 'dropped'],
     ['purchase partly returned (amount reduced)', 1, 'kept']]
    """
    where = "validate_transactions"
    require_frame(data, where, empty=_EMPTY)
    _choice("zero_amounts", zero_amounts, ("keep", "drop"))
    _choice("duplicates", duplicates, ("keep", "drop"))
    _choice("returns", returns, ("net", "drop"))
    if (quantity is None) != (price is None):
        raise CRMDataError(
            f"{where}: quantity= and price= go together (amount = quantity x price); "
            f"got quantity={quantity!r}, price={price!r}."
        )
    from_lines = quantity is not None
    if from_lines:
        amount = "amount" if amount is None else amount
        if amount in data.columns:
            raise CRMDataError(
                f"{where}: column {amount!r} already exists; with quantity= and price= the "
                "amount is computed: name the new column with amount=."
            )
    if thousands is not None and thousands == decimal:
        raise CRMDataError(
            f"{where}: thousands and decimal must differ, both are {decimal!r}."
        )
    if (order_id is None) != (cancel_prefix is None):
        raise CRMDataError(
            f"{where}: order_id= and cancel_prefix= go together (cancellations are the "
            f"orders whose id starts with the prefix); got order_id={order_id!r}, "
            f"cancel_prefix={cancel_prefix!r}."
        )
    if cancel_prefix is not None and not str(cancel_prefix):
        raise CRMDataError(f"{where}: cancel_prefix must not be empty.")
    if exclude_items is not None and item is None:
        raise CRMDataError(f"{where}: exclude_items= needs item=, the column of item codes.")
    if order_id is not None and amount is None:
        raise CRMDataError(
            f"{where}: order_id= marks cancellations, which act on amounts; pass amount= or "
            "quantity= and price=."
        )
    require_columns(
        data,
        {"customer_id": customer_id, "date": date,
         "amount": None if from_lines else amount, "quantity": quantity, "price": price,
         "order_id": order_id, "item": item},
        where,
    )

    # A shallow copy: columns are replaced, never written into, so the
    # caller's frame stays as it was without copying the whole log twice.
    notes = []
    if amount is not None and not from_lines and re.search("price", str(amount), re.IGNORECASE):
        qty = [c for c in data.columns if re.fullmatch(r"(?i).*(quantity|qty|units).*", str(c))]
        if qty:
            notes.append(
                f"column {amount!r} looks like a unit price and the log has {qty[0]!r}: "
                f"revenue is quantity x price (quantity={qty[0]!r}, price={amount!r}; "
                f"command line --quantity {qty[0]} --price {amount})."
            )
    df = data.copy(deep=False)
    n_input = len(df)
    index = df.index
    shown = [c for c in (customer_id, date, amount, quantity, price) if c is not None
             and c in data.columns]
    # (check, column, mask, bad data?): rows are dropped in this order; each
    # mask is later restricted to the rows still alive, so a row counts once.
    drops: list[tuple[str, str, pd.Series | np.ndarray, bool]] = []
    flags: list[tuple[str, str, pd.Series | np.ndarray]] = []  # kept, reported

    drops.append(("missing customer id", customer_id, df[customer_id].isna(), True))

    # One rule for dates in every engine (crm_analysis.dates): missing, unparseable,
    # implausible, after the observation end.
    df[date], date_checks = check_dates(
        df[date], observation_end=observation_end, dayfirst=dayfirst, date_format=date_format,
        tz=tz, column=date, where=where)
    drops += [(check, date, mask, True) for check, mask in date_checks]

    values = None
    if amount is not None:
        fmt = {"thousands": thousands, "decimal": decimal, "currency": currency}
        if from_lines:
            parts = []
            for role, col in (("quantity", quantity), ("price", price)):
                vals, masks = read_numbers(data, col, where, shown=shown, **fmt)
                drops += [(f"{kind} {role}", col, m, True) for kind, m in masks.items()]
                parts.append(vals)
                df[col] = vals
            with np.errstate(over="ignore", invalid="ignore"):
                values = parts[0] * parts[1]
            drops.append(("non-finite amount", amount, np.isinf(values), True))
        else:
            values, masks = read_numbers(data, amount, where, shown=shown, **fmt)
            drops += [(f"{kind} amount", amount, m, True) for kind, m in masks.items()]

    if exclude_items is not None:
        drops.append(("excluded item", item, matches_items(df[item], exclude_items, where), False))

    dup_mask = data.duplicated(keep="first")
    if duplicates == "drop":
        drops.append(("exact duplicate row", "(all)", dup_mask, False))
    else:
        flags.append(("exact duplicate row", "(all)", dup_mask))

    alive = np.ones(n_input, dtype=bool)
    rows: list[dict] = []

    def apply(check, column, mask, bad):
        nonlocal alive
        hit = np.asarray(pd.Series(mask, index=index).fillna(False), dtype=bool) & alive
        n = int(hit.sum())
        if n == 0:
            return
        if strict and bad:
            raise CRMDataError(
                f"{where}: column {column!r}: {check}: " + describe_rows(data, hit, shown)
            )
        rows.append({"check": check, "column": column, "rows": n, "action": "dropped",
                     "examples": list(index[hit][:5])})
        alive &= ~hit

    for check, column, mask, bad in drops:
        apply(check, column, mask, bad)

    netted_total = not_netted_total = 0.0
    if values is not None:
        amt = values.to_numpy(dtype=float).copy()
        amt[~alive] = np.nan  # rows already dropped take no part in netting
        negative = amt < 0
        if cancel_prefix is not None:
            marked = starts_with(df[order_id], str(cancel_prefix))
            apply("cancellation with a non-negative amount", amount, marked & (amt >= 0), True)
            apply("negative amount not marked as a cancellation", amount, negative & ~marked, True)
        ret = negative & alive
        if returns == "drop":
            apply("negative amount (return or refund)", amount, ret, False)
        elif ret.any():
            cust_codes, _ = pd.factorize(df[customer_id])
            group = cust_codes.astype(np.int64)
            if item is not None:
                item_codes, item_uniques = pd.factorize(df[item])
                group = group * (len(item_uniques) + 1) + (item_codes + 1)
            when = df[date].to_numpy(dtype="datetime64[ns]").view(np.int64)
            purchase = alive & (amt > 0)
            remaining, netted, left = net_returns(group, when, np.nan_to_num(amt), purchase, ret)
            netted_total = float(netted.sum())
            not_netted_total = float(left.sum())
            apply("return netted against the customer's purchases", amount, ret & (netted > 0), False)
            apply("return of a purchase before the window", amount, ret & (netted == 0), False)
            cut = purchase & (remaining < amt)
            apply("purchase fully returned", amount, cut & (remaining == 0), False)
            partly = cut & (remaining > 0)
            flags.append(("purchase partly returned (amount reduced)", amount, partly))
            if quantity is not None and partly.any():
                share = np.where(partly, remaining / np.where(partly, amt, 1.0), 1.0)
                df[quantity] = df[quantity] * share
            amt = np.where(purchase, remaining, amt)
        zero = amt == 0
        if zero_amounts == "drop":
            apply("zero amount", amount, zero, False)
        else:
            flags.append(("zero amount", amount, zero))
        df[amount] = amt

    for check, column, mask in flags:
        hit = np.asarray(pd.Series(mask, index=index).fillna(False), dtype=bool) & alive
        if hit.any():
            rows.append({"check": check, "column": column, "rows": int(hit.sum()),
                         "action": "kept", "examples": list(index[hit][:5])})

    clean = df.loc[alive]
    report = pd.DataFrame(rows, columns=_REPORT_COLUMNS)
    return ValidationResult(
        data=clean,
        report=report,
        n_input=n_input,
        _columns={"customer_id": customer_id, "date": date, "amount": amount},
        amount_netted=netted_total,
        amount_not_netted=not_netted_total,
        settings={"zero_amounts": zero_amounts, "duplicates": duplicates, "returns": returns},
        notes=notes,
    )


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
    dayfirst: bool | None = None,
    date_format: str | None = None,
    tz: str | None = None,
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
        End of observation (inclusive); later purchases are ignored.  A date
        without a time of day means through the end of that day.  Defaults
        to the last date in the log.
    calibration_end : date-like, optional
        Split into a calibration period (up to and including this timestamp,
        or the whole of this day for a date without a time) and a holdout
        period ending at ``observation_end``.  Returns the
        columns ``frequency_cal, recency_cal, T_cal[, monetary_value_cal],
        frequency_holdout[, monetary_value_holdout], duration_holdout`` for
        customers whose first purchase falls in the calibration period.
        ``monetary_value_holdout`` is defined by ``holdout_monetary``.
    include_first_transaction : bool, default False
        Count the first purchase in frequency and monetary value.  Keep False
        for the BTYD models.
    dayfirst, date_format, tz
        How text dates are read, as in :func:`validate_transactions` (one
        format for the whole column; zoned dates converted to UTC or ``tz``,
        then the zone dropped).
    holdout_monetary : {"transactions", "periods"}, default "transactions"
        Definition of ``monetary_value_holdout``: the mean of the raw holdout
        rows, as in lifetimes, or ``"periods"``, the mean of the holdout
        periods' summed amounts, the same definition as ``monetary_value_cal``
        (use it to validate a Gamma-Gamma model like for like).  ``"periods"``
        needs a pandas DataFrame.

    Returns
    -------
    DataFrame
        Indexed by customer id (sorted), float columns.  Ids that are equal
        as text (``5`` and ``"5"``) are one customer.

    Raises
    ------
    CRMDataError
        Empty log, missing column, missing ids, non-date or implausible dates
        (before 1900-01-01 or after 2262-04-11), non-numeric or negative
        amounts, unknown ``freq``, or an empty holdout period.

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
    check_summary_args(freq, freq_multiplier, holdout_monetary)
    dates_kw = {"dayfirst": dayfirst, "date_format": date_format, "tz": tz}
    if not isinstance(data, pd.DataFrame):
        if holdout_monetary != "transactions":
            raise CRMDataError("rfm_summary: holdout_monetary='periods' needs a pandas DataFrame.")
        # Files (DuckDB, out of core) and Dask frames (the user's cluster)
        # are summarised by crm_analysis.largedata with the same semantics.
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
                include_first_transaction=include_first_transaction, **dates_kw,
            )
    return rfm_summary_frame(
        data, customer_id=customer_id, date=date, amount=amount, freq=freq,
        freq_multiplier=freq_multiplier, observation_end=observation_end,
        calibration_end=calibration_end, include_first_transaction=include_first_transaction,
        holdout_monetary=holdout_monetary, **dates_kw,
    )


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
        raise CRMDataError(f"period_totals: freq must be 'D', 'W' or 'M', got {freq!r}.")
    require_frame(data, "period_totals", empty=_EMPTY)
    require_columns(data, {"date": date, "amount": amount, "customer_id": customer_id},
                    "period_totals")
    parsed = parse_dates(data[date], column=date, where="period_totals")
    raise_for_bad_dates(data, parsed, date, "period_totals", [date])
    dates = parsed.values
    period = dates.dt.to_period(freq).dt.start_time.rename("period")
    grouped = data.groupby(period)
    out = grouped.size().rename("transactions").to_frame()
    if amount is not None:
        out["amount"] = grouped[amount].sum()
    if customer_id is not None:
        out["customers"] = grouped[customer_id].nunique()
    return out.reset_index()


def clean_log_files(
    source, workdir, *, customer_id: str = "customer_id", date: str = "date",
    amount: str = "amount", observation_end=None, strict: bool = False,
    lines_path=None, quantity: str | None = None, price: str | None = None,
    order_id: str | None = None, cancel_prefix: str | None = None, returns: str = "net",
    item: str | None = None, exclude_items: str | None = None, zero_amounts: str = "keep",
    duplicates: str = "keep", memory_limit: str = "1GB",
    dayfirst: bool | None = None, date_format: str | None = None, tz: str | None = None,
    **text_options,
) -> LogFileCleaning | None:
    """Clean a Parquet log (file, folder or glob) out of core, with honest counts.

    :func:`crm_analysis.validate_transactions` looks at each customer's
    lines as a whole (returns are netted against the customer's purchases),
    so the log is split by customer in DuckDB.  A customer all of whose
    lines are plain - id, a plausible date not after the observation end
    (today when none is given), a finite positive amount, no cancellation
    mark, no excluded item, no exact duplicate - is kept as is without being
    loaded.  The lines of every other customer, and the lines without a
    customer id, are read into pandas (one plain customer is added, so that
    the date column always has a date) and cleaned by
    :func:`crm_analysis.validate_transactions` itself, with the row numbers
    of the whole log (:func:`crm_analysis.read_log_files`).  Since no check
    can fire on a plain customer's lines, the report, its counts and its
    example rows are those of the whole log.  The kept lines are then
    summed to one row per customer and day in ``workdir``.

    Parameters
    ----------
    source : str or Path
        A Parquet file, folder or glob.
    workdir : str or Path
        Folder for the day-level log (``day_log.parquet``).
    customer_id, date, amount : str
        Column names (``amount`` is computed with ``quantity`` and ``price``).
    observation_end, strict, quantity, price, order_id, cancel_prefix, returns, item, exclude_items, zero_amounts, duplicates, dayfirst, date_format, tz
        As in :func:`crm_analysis.validate_transactions`.
    memory_limit : str, default "1GB"
        DuckDB's memory limit; past it DuckDB spills to ``workdir``.
    lines_path : str or Path, optional
        Also write the cleaned lines (customer, date, amount) there, in row order.
    **text_options
        ``thousands``, ``decimal``, ``currency``: for amounts held as text,
        which this engine does not read (it returns None).

    Returns
    -------
    LogFileCleaning or None
        None when the log needs the pandas engine: dates held as text or
        with a time zone, ``tz`` given, amounts, quantities or prices that are
        not numbers, or order ids / item codes that are not text.

    Raises
    ------
    CRMDataError
        As :func:`crm_analysis.validate_transactions` (also for a file that
        cannot be read).

    Examples
    --------
    >>> import tempfile, crm_analysis as crm
    >>> folder = tempfile.mkdtemp()
    >>> log = crm.load_cdnow().head(3000)
    >>> log.to_parquet(f"{folder}/log.parquet")
    >>> res = clean_log_files(f"{folder}/log.parquet", folder)
    >>> res.n_input, res.n_dropped
    (3000, 0)
    """
    from dataclasses import fields

    import duckdb


    files = expand_source(source)
    if any(not f.lower().endswith((".parquet", ".pq", ".parq")) for f in files):
        return None
    if tz is not None or any(v not in (None, ".") for v in text_options.values()):
        return None
    workdir = Path(workdir)
    from_lines = quantity is not None
    raw_cols = [c for c in (customer_id, date, None if from_lines else amount, quantity, price,
                            order_id, item) if c]
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")
        con.execute("SET preserve_insertion_order = false")
        # The duplicate check hashes every line: bounded, DuckDB spills past it.
        workdir.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET memory_limit = {sql_literal(memory_limit)}")
        con.execute(f"SET temp_directory = {sql_literal(str(workdir / 'spill'))}")
        listed = "[" + ", ".join(sql_literal(f) for f in files) + "]"
        reader = (f"read_parquet({listed}, union_by_name = true, file_row_number = true, "
                  "filename = true)")
        types = {r[0]: str(r[1]).upper()
                 for r in con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()}
        missing = [c for c in raw_cols if c not in types]
        if missing:  # validate_transactions words it
            frame = pd.DataFrame({c: pd.Series(dtype=object) for c in types
                                  if c not in ("filename", "file_row_number")})
            validate_transactions(frame.head(0), customer_id=customer_id, date=date,
                                  amount=None if from_lines else amount, quantity=quantity,
                                  price=price, order_id=order_id, cancel_prefix=cancel_prefix,
                                  item=item, exclude_items=exclude_items)
        if not is_plain_timestamp(types[date]):
            return None
        id_type = types[customer_id]
        if not (id_type == "VARCHAR" or id_type.startswith(SQL_NUMBERS)) or "[" in id_type:
            return None  # lists, structs ...: the pandas reader words the problem
        numbers = [quantity, price] if from_lines else [amount]
        if not all(types[c].startswith(SQL_NUMBERS) for c in numbers):
            return None
        if any(c is not None and types[c] != "VARCHAR" for c in (
                order_id if cancel_prefix is not None else None,
                item if exclude_items is not None else None)):
            return None

        # Global row numbers: rows counted across the files in their sorted order.
        sizes = [con.execute(f"SELECT count(*) FROM read_parquet({sql_literal(f)})").fetchall()[0][0]
                 for f in files]
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        con.register("_offsets", pd.DataFrame({"filename": files, "off": offsets}))
        cols = ", ".join(sql_identifier(c) for c in raw_cols)
        con.execute(f"""CREATE TEMP VIEW src AS SELECT o.off + r.file_row_number AS _row, {cols}
                        FROM {reader} r JOIN _offsets o USING (filename)""")
        cid, ts = sql_identifier(customer_id), f"CAST({sql_identifier(date)} AS TIMESTAMP)"
        amt = (f"(CAST({sql_identifier(quantity)} AS DOUBLE) * CAST({sql_identifier(price)} AS DOUBLE))"
               if from_lines else f"CAST({sql_identifier(amount)} AS DOUBLE)")
        if observation_end is None:  # as check_dates: "date in the future" past today
            end = pd.Timestamp.now().normalize() + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
        else:
            end = parse_cutoff(observation_end, "observation_end", where="validate_transactions")
        plain = [f"{cid} IS NOT NULL", "_ts IS NOT NULL", "_ts >= TIMESTAMP '1900-01-01'",
                 f"_ts <= {sql_literal(end.floor('us').isoformat())}::TIMESTAMP",
                 "_amt IS NOT NULL", "isfinite(_amt)", "_amt > 0"]
        if cancel_prefix is not None:
            plain.append(f"NOT coalesce(starts_with({sql_identifier(order_id)}, "
                         f"{sql_literal(cancel_prefix)}), false)")
        if exclude_items is not None:
            codes = con.execute(f"SELECT DISTINCT {sql_identifier(item)} FROM src "
                                f"WHERE {sql_identifier(item)} IS NOT NULL").df().iloc[:, 0]
            excluded = codes[matches_items(codes, exclude_items, "validate_transactions")]
            con.register("_excluded", pd.DataFrame({"code": excluded.astype(str)}))
            plain.append(f"{sql_identifier(item)} NOT IN (SELECT code FROM _excluded)")
        con.execute(f"""CREATE TEMP VIEW typed AS
                        SELECT *, {ts} AS _ts, {amt} AS _amt FROM src""")
        con.execute(f"""CREATE TEMP TABLE dirty AS
            SELECT DISTINCT {cid} AS cid FROM typed WHERE {cid} IS NOT NULL
                AND NOT ({' AND '.join(plain)})
            UNION SELECT {cid} FROM src WHERE {cid} IS NOT NULL GROUP BY {cols} HAVING count(*) > 1""")
        # One plain customer joins them, so that the date column of the part cleaned in
        # pandas always holds a date (check_dates refuses a column without any).
        con.execute(f"""INSERT INTO dirty SELECT min({cid}) FROM src
                        WHERE {cid} NOT IN (SELECT cid FROM dirty)""")
        part = con.sql(f"""SELECT * FROM src WHERE {cid} IS NULL
                               OR {cid} IN (SELECT cid FROM dirty WHERE cid IS NOT NULL)
                               ORDER BY _row""").to_arrow_table()
        n_input = int(sum(sizes))
    except duckdb.Error as exc:
        con.close()
        raise CRMDataError(duckdb_error_message(exc, files, "clean_log_files")) from None
    part = part.to_pandas().set_index("_row").rename_axis(None)
    if pd.api.types.is_datetime64_any_dtype(part[date]):
        part[date] = part[date].astype("datetime64[ns]")
    try:
        checked = validate_transactions(
            part, customer_id=customer_id, date=date, amount=amount, quantity=quantity,
            price=price, order_id=order_id, cancel_prefix=cancel_prefix, returns=returns,
            item=item, exclude_items=exclude_items, observation_end=observation_end,
            zero_amounts=zero_amounts, duplicates=duplicates, strict=strict, dayfirst=dayfirst,
            date_format=date_format, **text_options)
    except CRMDataError:
        con.close()
        raise
    try:
        kept = checked.data[[customer_id, date, amount]].reset_index(names="_row")
        con.register("_kept", kept)
        con.execute(f"""CREATE TEMP VIEW clean AS
            SELECT _row, {cid} AS cid, _ts AS ts, _amt AS amt FROM typed
            WHERE {cid} IS NOT NULL AND {cid} NOT IN (SELECT cid FROM dirty)
            UNION ALL
            SELECT _row, CAST({cid} AS {id_type}), CAST({sql_identifier(date)} AS TIMESTAMP),
                   CAST({sql_identifier(amount)} AS DOUBLE) FROM _kept""")
        n_kept, first, last, total = con.execute(
            "SELECT count(*), min(ts), max(ts), coalesce(fsum(amt), 0) FROM clean").fetchall()[0]
        workdir.mkdir(parents=True, exist_ok=True)
        day_log = workdir / "day_log.parquet"
        con.execute(f"""COPY (SELECT cid AS {cid}, date_trunc('day', ts) AS {sql_identifier(date)},
                                     fsum(amt) AS {sql_identifier(amount)}, count(*) AS _lines,
                                     count(DISTINCT ts) AS _orders,
                                     count(*) FILTER (WHERE amt > 0) AS _buying
                              FROM clean GROUP BY ALL)
                        TO {sql_literal(str(day_log))} (FORMAT parquet)""")
        if lines_path is not None:
            con.execute(f"""COPY (SELECT cid AS {cid}, ts AS {sql_identifier(date)}, amt AS {sql_identifier(amount)}
                                  FROM clean ORDER BY _row)
                            TO {sql_literal(str(lines_path))} (FORMAT parquet)""")
    except duckdb.Error as exc:
        raise CRMDataError(duckdb_error_message(exc, files, "clean_log_files")) from None
    finally:
        con.close()
    fields_ = {f.name: getattr(checked, f.name) for f in fields(ValidationResult)}
    fields_.update(data=checked.data.iloc[:0], n_input=n_input)
    return LogFileCleaning(**fields_, n_kept=int(n_kept), day_log=day_log,
                           first_date=pd.Timestamp(first) if first is not None else None,
                           last_date=pd.Timestamp(last) if last is not None else None,
                           total_amount=float(total))
