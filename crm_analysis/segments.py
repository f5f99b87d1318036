"""Who is your best customer? Customer profitability, the whale curve, segments.

Ranking customers by revenue (or by assets, or by average deal size) and
ranking them by profit are different things.  Big customers bargain for
price concessions and demand more service, so part of their revenue never
becomes profit; many small customers cost more to serve than they bring.
This module turns revenue and cost-to-serve drivers into per-customer profit
(:func:`customer_profitability`), shows how concentrated profit is
(:func:`whale_curve`, with the revenue :func:`lorenz_curve` and :func:`gini`
for contrast), where in a segment grid profit comes from
(:func:`profit_by_segment`), how far the revenue and the profit rankings
disagree (:func:`rank_disagreement`), and the behaviour-only RFM view
(:func:`rfm_scores`, :func:`rfm_segments`).

The idea is C14 of the concept map (seed text *Dancing to the customer's
steps*, the preface's consulting case): most profit came from mid-asset,
actively trading customers, not from the big clients.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ._checks import as_series, numeric_column, require_columns, require_frame
from .errors import CRMDataError, describe_rows
from .largedata import (
    SQL_NUMBERS,
    fetch_columns,
    is_file_source,
    log_connection,
    read_log_files,
    sql_identifier,
    sql_missing,
)

__all__ = [
    "ProfitabilityResult",
    "WhaleCurve",
    "RankDisagreement",
    "RFM_SEGMENTS",
    "customer_totals",
    "customer_profitability",
    "whale_curve",
    "lorenz_curve",
    "gini",
    "profit_by_segment",
    "profitability_sensitivity",
    "rank_disagreement",
    "quantile_scores",
    "rfm_scores",
    "rfm_segments",
]


_EMPTY = "the table is empty"


# --------------------------------------------------------------------------
# customer profitability
# --------------------------------------------------------------------------


def customer_totals(
    data: pd.DataFrame,
    *,
    customer_id: str = "customer_id",
    sums: Sequence[str] = (),
    counts: Mapping[str, str] | None = None,
    firsts: Sequence[str] = (),
) -> pd.DataFrame:
    """Roll a line-level log up to one row per customer.

    Parameters
    ----------
    data : DataFrame, or str / Path of a Parquet log
        One row per transaction line; never modified.  A Parquet file, folder
        or glob is aggregated in DuckDB without being loaded (same result;
        a log that fails a check, or ``firsts``, is read into pandas with only
        the columns named here, so that errors are worded alike).
    customer_id : str
        Customer id column.
    sums : sequence of str
        Numeric columns to add up per customer (revenue, discounts, ...).
    counts : mapping of str to str, optional
        ``{new_name: column}``: number of distinct values of ``column`` per
        customer, e.g. ``{"baskets": "basket_id"}`` for transactions to serve.
    firsts : sequence of str
        Columns constant within a customer (a segment label) to carry over.

    Returns
    -------
    DataFrame
        Indexed by customer id (sorted): the summed columns, the counts and
        the carried-over columns.

    Raises
    ------
    CRMDataError
        Missing columns, missing ids, or missing / non-numeric values in a
        summed column.

    Examples
    --------
    >>> import pandas as pd
    >>> lines = pd.DataFrame({"customer_id": [1, 1, 2], "basket_id": [10, 10, 11],
    ...                       "sales": [2.0, 3.0, 4.0]})
    >>> out = customer_totals(lines, sums=["sales"], counts={"baskets": "basket_id"})
    >>> out["sales"].tolist(), out["baskets"].tolist()
    ([5.0, 4.0], [1, 1])
    """
    where = "customer_totals"
    counts = dict(counts or {})
    if is_file_source(data):
        out = _customer_totals_files(data, customer_id, list(sums), counts, list(firsts))
        if out is not None:
            return out
        data = read_log_files(data, list(dict.fromkeys([customer_id, *sums, *counts.values(),
                                                        *firsts])))
    require_frame(data, where, empty=_EMPTY)
    require_columns(data, [customer_id, *sums, *counts.values(), *firsts], where)
    ids = data[customer_id]
    if ids.isna().any():
        raise CRMDataError(
            f"{where}: column {customer_id!r} has missing ids: "
            + describe_rows(data, ids.isna(), [customer_id])
        )
    frame = pd.DataFrame({c: numeric_column(data, c, where, shown=[customer_id]) for c in sums},
                         index=data.index)
    grouped = frame.groupby(ids, sort=True)
    out = grouped.sum() if sums else pd.DataFrame(index=pd.Index(sorted(ids.unique())))
    for name, column in counts.items():
        out[name] = data.groupby(customer_id, sort=True)[column].nunique().reindex(out.index)
    for column in firsts:
        out[column] = data.groupby(customer_id, sort=True)[column].first().reindex(out.index)
    out.index.name = customer_id
    return out


def _customer_totals_files(source, customer_id: str, sums: list[str], counts: dict,
                           firsts: list[str]) -> pd.DataFrame | None:
    """:func:`customer_totals` of a Parquet log in DuckDB; None when the pandas path must word a problem."""
    where = "customer_totals"
    with log_connection(source, where=where) as (con, types):
        require_columns(pd.DataFrame(columns=list(types)),
                        [customer_id, *sums, *counts.values(), *firsts], where)
        if firsts or not all(types[c].startswith(SQL_NUMBERS) for c in sums):
            return None
        cid = sql_identifier(customer_id)
        bad = " OR ".join([sql_missing(customer_id, types[customer_id])]
                          + [f"{sql_identifier(c)} IS NULL OR NOT "
                             f"isfinite(CAST({sql_identifier(c)} AS DOUBLE))" for c in sums])
        n, n_bad = con.execute(f"SELECT count(*), count(*) FILTER (WHERE {bad}) FROM log").fetchone()
        if n == 0 or n_bad:
            return None
        parts = [f"fsum(CAST({sql_identifier(c)} AS DOUBLE)) AS s{i}" for i, c in enumerate(sums)]
        parts += [f"count(DISTINCT {sql_identifier(c)}) AS n{i}" for i, c in enumerate(counts.values())]
        res = fetch_columns(con, f"SELECT {cid} AS cid{''.join(', ' + p for p in parts)} "
                                 f"FROM log GROUP BY {cid} ORDER BY {cid}")
    out = pd.DataFrame({c: res[f"s{i}"] for i, c in enumerate(sums)},
                       index=pd.Index(res["cid"], name=customer_id))
    for i, name in enumerate(counts):
        out[name] = res[f"n{i}"].astype(np.int64)
    return out


@dataclass
class ProfitabilityResult:
    """Outcome of :func:`customer_profitability`.

    Attributes
    ----------
    table : DataFrame
        One row per customer (indexed by id): ``revenue``, ``gross_margin``,
        one column per cost component (named as in ``costs``),
        ``cost_to_serve`` (their sum), ``profit`` (gross margin minus cost to
        serve) and ``margin_pct`` (profit as % of revenue; NaN at zero
        revenue).
    report : DataFrame
        Rows removed before the analysis (``check``, ``column``, ``rows``,
        ``action``, ``examples``); empty when nothing was removed.
    assumptions : dict
        The margin and cost specification used, for printing next to results.
    """

    table: pd.DataFrame
    report: pd.DataFrame
    assumptions: dict = field(default_factory=dict)

    @property
    def profit(self) -> pd.Series:
        """Per-customer profit."""
        return self.table["profit"]

    def summary(self) -> pd.DataFrame:
        """Totals: customers, revenue, gross margin, each cost, profit, loss-makers."""
        t = self.table
        cost_cols = self.assumptions.get("cost_columns", [])
        rows = {"customers": float(len(t)), "revenue": t["revenue"].sum(),
                "gross_margin": t["gross_margin"].sum()}
        rows.update({c: t[c].sum() for c in cost_cols})
        rows.update({
            "cost_to_serve": t["cost_to_serve"].sum(),
            "profit": t["profit"].sum(),
            "margin_pct": 100 * t["profit"].sum() / t["revenue"].sum() if t["revenue"].sum() else np.nan,
            "loss_making_share": float((t["profit"] < 0).mean()),
        })
        return pd.Series(rows, name="total").to_frame()


_REPORT_COLUMNS = ["check", "column", "rows", "action", "examples"]


def customer_profitability(
    data: pd.DataFrame,
    *,
    customer_id: str = "customer_id",
    revenue: str = "revenue",
    margin: float | str = 1.0,
    costs: Mapping[str, str | float | tuple[str, float]] | None = None,
    negative_revenue: str = "raise",
) -> ProfitabilityResult:
    """Per-customer profit: gross margin minus the cost to serve the customer.

    ``profit = gross_margin - sum(cost components)``, where the gross margin is
    a share of revenue (or a column of money) and each cost component is one
    of three kinds, chosen by how it is written in ``costs``:

    ======================  =======================================  =========================================
    written as              meaning                                  example
    ======================  =======================================  =========================================
    ``"column"``            money already in a column                ``{"concessions": "discount"}``
    ``("column", rate)``    a driver count times a unit cost         ``{"baskets": ("n_baskets", 2.0)}``
    ``amount`` (number)     a fixed amount per customer              ``{"account maintenance": 30.0}``
    ======================  =======================================  =========================================

    Per-transaction handling, service contacts, negotiated price concessions
    and account maintenance are the usual components.  Rows that share a
    customer id are added up first, so a line-level log works as long as its
    drivers are per line (use :func:`customer_totals` to count baskets).

    Parameters
    ----------
    data : DataFrame
        One row per customer (or per line, summed per customer); never
        modified.
    customer_id : str
        Customer id column.
    revenue : str
        Revenue column (money, at list price if concessions are a cost line).
    margin : float or str, default 1.0
        Gross margin as a fraction of revenue (0.25 for a grocer, 1.0 for fee
        income), or the name of a column holding gross margin in money.
    costs : mapping
        Cost components as in the table above.  Required: pass ``{}``
        explicitly to look at gross margin only.
    negative_revenue : {"raise", "drop"}, default "raise"
        Rows with negative revenue (returns, reversals) raise, or are dropped
        and counted in ``report``.

    Returns
    -------
    ProfitabilityResult
        ``.table`` per customer, ``.report`` of dropped rows, ``.summary()``.

    Raises
    ------
    CRMDataError
        ``costs`` not given, a named column missing, missing or non-numeric
        values in revenue, margin or cost columns, negative revenue (unless
        dropped), a margin outside [0, 1], negative costs or rates.

    Examples
    --------
    >>> import pandas as pd
    >>> base = pd.DataFrame({"customer_id": [1, 2], "revenue": [100.0, 400.0],
    ...                      "discount": [0.0, 80.0], "contacts": [1, 6]})
    >>> res = customer_profitability(base, margin=0.5,
    ...     costs={"concessions": "discount", "service": ("contacts", 10.0), "account": 5.0})
    >>> res.table["profit"].tolist()
    [35.0, 55.0]
    """
    where = "customer_profitability"
    require_frame(data, where, empty=_EMPTY)
    if costs is None:
        raise CRMDataError(
            f"{where}: no cost-to-serve given (costs=None). Profit needs the costs of "
            "serving each customer, e.g. costs={'transactions': ('n_orders', 2.0), "
            "'concessions': 'discount', 'account': 30.0}; pass costs={} to look at gross "
            "margin only."
        )
    if negative_revenue not in ("raise", "drop"):
        raise CRMDataError(f"customer_profitability: negative_revenue must be 'raise' or 'drop', got {negative_revenue!r}.")

    spec: dict[str, tuple[str | None, float]] = {}
    for name, item in costs.items():
        if isinstance(item, str):
            spec[name] = (item, 1.0)
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
            spec[name] = (item[0], float(item[1]))
        elif isinstance(item, (int, float, np.number)) and not isinstance(item, bool):
            spec[name] = (None, float(item))
        else:
            raise CRMDataError(
                f"{where}: cost {name!r} must be a column name, a (column, unit cost) pair "
                f"or a fixed amount, got {item!r}."
            )
        if not np.isfinite(spec[name][1]) or spec[name][1] < 0:
            raise CRMDataError(f"{where}: cost {name!r} has a negative or non-finite rate {item!r}.")
    reserved = {"revenue", "gross_margin", "cost_to_serve", "profit", "margin_pct"}
    clash = reserved.intersection(spec)
    if clash:
        raise CRMDataError(f"{where}: cost names {sorted(clash)} clash with output columns.")

    needed = [customer_id, revenue] + [c for c, _ in spec.values() if c is not None]
    if isinstance(margin, str):
        needed.append(margin)
    else:
        margin = float(margin)
        if not 0 <= margin <= 1:
            raise CRMDataError(f"{where}: margin must be a fraction in [0, 1], got {margin!r}.")
    require_columns(data, needed, where)
    ids = data[customer_id]
    if ids.isna().any():
        raise CRMDataError(
            f"{where}: column {customer_id!r} has missing ids: "
            + describe_rows(data, ids.isna(), [customer_id, revenue])
        )

    rev = numeric_column(data, revenue, where, shown=[customer_id])
    report_rows = []
    keep = pd.Series(True, index=data.index)
    negative = rev < 0
    if negative.any():
        if negative_revenue == "raise":
            raise CRMDataError(
                f"{where}: column {revenue!r} has negative revenue (returns or reversals?): "
                + describe_rows(data, negative, [customer_id, revenue])
                + "\nNet them against their purchases, or pass negative_revenue='drop'."
            )
        keep = ~negative
        report_rows.append({"check": "negative revenue", "column": revenue,
                            "rows": int(negative.sum()), "action": "dropped",
                            "examples": list(data.index[negative][:5])})

    parts = {"revenue": rev}
    if isinstance(margin, str):
        parts["gross_margin"] = numeric_column(data, margin, where, shown=[customer_id, revenue])
    for name, (column, rate) in spec.items():
        if column is None:
            continue
        values = numeric_column(data, column, where, shown=[customer_id])
        if (values < 0).any():
            raise CRMDataError(
                f"{where}: column {column!r} (cost {name!r}) has negative values: "
                + describe_rows(data, values < 0, [customer_id, column])
            )
        parts[name] = values * rate
    frame = pd.DataFrame(parts, index=data.index).loc[keep]
    table = frame.groupby(ids.loc[keep], sort=True).sum()
    table.index.name = customer_id
    if not isinstance(margin, str):
        table.insert(1, "gross_margin", table["revenue"] * margin)
    for name, (column, rate) in spec.items():
        if column is None:
            table[name] = rate  # fixed amount per customer, counted once
    cost_cols = list(spec)
    table = table[["revenue", "gross_margin", *cost_cols]]
    table["cost_to_serve"] = table[cost_cols].sum(axis=1) if cost_cols else 0.0
    table["profit"] = table["gross_margin"] - table["cost_to_serve"]
    with np.errstate(divide="ignore", invalid="ignore"):
        table["margin_pct"] = np.where(
            table["revenue"] > 0, 100 * table["profit"] / table["revenue"].where(table["revenue"] > 0), np.nan
        )
    assumptions = {
        "margin": margin,
        "costs": {k: (f"{c} x {r:g}" if c is not None else f"{r:g} per customer") for k, (c, r) in spec.items()},
        "cost_columns": cost_cols,
    }
    return ProfitabilityResult(
        table=table.astype(float),
        report=pd.DataFrame(report_rows, columns=_REPORT_COLUMNS),
        assumptions=assumptions,
    )


# --------------------------------------------------------------------------
# whale curve, Lorenz curve, Gini
# --------------------------------------------------------------------------


@dataclass
class WhaleCurve:
    """Outcome of :func:`whale_curve`.

    Attributes
    ----------
    curve : DataFrame
        ``customer_share`` and ``cumulative_profit_share`` (fractions, starting
        at (0, 0) and ending at (1, 1)), ``customer_id`` and ``profit`` of each
        ranked customer; customers ranked from most to least profitable.
    peak_ : float
        Highest cumulative profit as a fraction of total profit (1.6 = 160%).
    peak_customer_share_ : float
        Share of customers (most profitable first) at which the peak is
        reached: the profitable customers.
    loss_share_ : float
        Share of customers with negative profit (the tail that pulls the
        curve back down to 100%).
    total_profit_ : float
    revenue_curve : DataFrame or None
        Revenue concentration curve (customers ranked by revenue) when revenue
        was given: ``customer_share``, ``cumulative_revenue_share``.
    revenue_gini_ : float or None
    """

    curve: pd.DataFrame
    peak_: float
    peak_customer_share_: float
    loss_share_: float
    total_profit_: float
    revenue_curve: pd.DataFrame | None = None
    revenue_gini_: float | None = None

    def share_at(self, customer_share: float) -> float:
        """Cumulative profit share of the top ``customer_share`` of customers.

        The top ``ceil(customer_share * n)`` customers are counted.
        """
        if not 0 <= customer_share <= 1:
            raise CRMDataError(f"WhaleCurve.share_at: customer_share must be in [0, 1], got {customer_share!r}.")
        n = len(self.curve) - 1
        k = int(np.ceil(customer_share * n - 1e-9))
        return float(self.curve["cumulative_profit_share"].iloc[k])

    def summary(self) -> pd.DataFrame:
        """Key figures of the curve as a one-column DataFrame."""
        rows = {
            "customers": float(len(self.curve) - 1),
            "total_profit": self.total_profit_,
            "peak_pct_of_profit": 100 * self.peak_,
            "customers_at_peak_pct": 100 * self.peak_customer_share_,
            "loss_making_pct": 100 * self.loss_share_,
            "top_20pct_profit_pct": 100 * self.share_at(0.2),
        }
        if self.revenue_gini_ is not None:
            rows["revenue_gini"] = self.revenue_gini_
            top20 = self.revenue_curve["cumulative_revenue_share"]
            n = len(self.revenue_curve) - 1
            rows["top_20pct_revenue_pct"] = 100 * float(top20.iloc[int(np.ceil(0.2 * n - 1e-9))])
        return pd.Series(rows, name="value").to_frame()


def _ranked(values: pd.Series) -> pd.Series:
    """Sorted high to low; ties keep their input order (stable), so results are reproducible."""
    order = np.argsort(-values.to_numpy(), kind="stable")
    return values.iloc[order]


def whale_curve(profit, *, revenue=None) -> WhaleCurve:
    """The whale curve: cumulative profit of customers ranked from most to least profitable.

    The curve rises while profitable customers are added, peaks (often far
    above 100% of total profit) where the loss-makers begin, and falls back
    to exactly 100% at the last customer (Kaplan & Narayanan 2001).

    Parameters
    ----------
    profit : Series or array-like
        Profit per customer (index = customer id when a Series).
    revenue : Series or array-like, optional
        Revenue per customer, aligned with ``profit``; adds the revenue
        concentration curve and the revenue Gini for contrast.

    Returns
    -------
    WhaleCurve

    Raises
    ------
    CRMDataError
        Missing or non-numeric values, total profit not positive (the curve is
        then undefined as a share of profit), or misaligned revenue.

    References
    ----------
    Kaplan, R. S. & Narayanan, V. G. (2001). Measuring and managing customer
    profitability. *Journal of Cost Management*, 15(5), 5-15.

    Examples
    --------
    >>> w = whale_curve([5.0, 3.0, -2.0, 1.0, -1.0])
    >>> round(w.peak_, 2), w.peak_customer_share_, w.loss_share_
    (1.5, 0.6, 0.4)
    """
    p = as_series(profit, "profit", "whale_curve")
    total = float(p.sum())
    if not total > 0:
        raise CRMDataError(
            f"whale_curve: total profit is {total:,.2f}; the whale curve expresses cumulative "
            "profit as a share of a positive total."
        )
    ranked = _ranked(p)
    cum = np.concatenate(([0.0], np.cumsum(ranked.to_numpy()))) / total
    n = len(p)
    curve = pd.DataFrame({
        "customer_share": np.arange(n + 1) / n,
        "cumulative_profit_share": cum,
        "customer_id": [None, *ranked.index.tolist()],
        "profit": np.concatenate(([np.nan], ranked.to_numpy())),
    })
    curve.loc[n, "cumulative_profit_share"] = 1.0  # exact, not float-summed
    k = int(np.argmax(cum))  # first position of the maximum
    result = WhaleCurve(
        curve=curve,
        peak_=float(cum[k]),
        peak_customer_share_=k / n,
        loss_share_=float((p < 0).mean()),
        total_profit_=total,
    )
    if revenue is not None:
        r = as_series(revenue, "revenue", "whale_curve")
        if len(r) != n:
            raise CRMDataError(f"whale_curve: revenue has {len(r)} values, profit {n}.")
        result.revenue_curve = lorenz_curve(r, descending=True).rename(
            columns={"cumulative_share": "cumulative_revenue_share"}
        )
        result.revenue_gini_ = gini(r)
    return result


def _nonnegative(values, where: str) -> pd.Series:
    v = as_series(values, "value", where)
    if (v < 0).any():
        frame = v.to_frame()
        raise CRMDataError(
            f"{where}: column {v.name!r} has negative values; concentration measures need "
            "non-negative amounts (use whale_curve for profit): " + describe_rows(frame, v < 0)
        )
    if v.sum() <= 0:
        raise CRMDataError(f"{where}: all values are zero; concentration is undefined.")
    return v


def lorenz_curve(values, *, descending: bool = False) -> pd.DataFrame:
    """Lorenz curve of a non-negative amount (revenue, assets) over customers.

    Parameters
    ----------
    values : Series or array-like
        Non-negative amounts per customer.
    descending : bool, default False
        False: the classic Lorenz curve (smallest first, below the diagonal).
        True: the concentration curve a manager reads ("the top 20% of
        customers bring 60% of revenue"), largest first.

    Returns
    -------
    DataFrame
        ``customer_share`` and ``cumulative_share`` from (0, 0) to (1, 1).

    Examples
    --------
    >>> lorenz_curve([1.0, 1.0, 2.0])["cumulative_share"].tolist()
    [0.0, 0.25, 0.5, 1.0]
    """
    v = _nonnegative(values, "lorenz_curve")
    arr = np.sort(v.to_numpy())
    if descending:
        arr = arr[::-1]
    cum = np.concatenate(([0.0], np.cumsum(arr))) / arr.sum()
    cum[-1] = 1.0
    n = len(arr)
    return pd.DataFrame({"customer_share": np.arange(n + 1) / n, "cumulative_share": cum})


def gini(values) -> float:
    """Gini coefficient of a non-negative amount: 0 = equal, (n-1)/n = one customer has all.

    Computed as the mean absolute difference over twice the mean,
    ``sum_i sum_j |x_i - x_j| / (2 n^2 mean)`` (population form, no
    small-sample correction), via the sorted-values identity.

    Examples
    --------
    >>> gini([0.0, 0.0, 0.0, 10.0])
    0.75
    """
    v = np.sort(_nonnegative(values, "gini").to_numpy())
    n = len(v)
    i = np.arange(1, n + 1)
    return float(np.sum((2 * i - n - 1) * v) / (n * v.sum()))


# --------------------------------------------------------------------------
# segments
# --------------------------------------------------------------------------


def profit_by_segment(
    data: pd.DataFrame,
    by: str | Sequence[str],
    *,
    revenue: str = "revenue",
    profit: str | None = "profit",
) -> pd.DataFrame:
    """Share of customers, revenue and profit per segment (or per cell of two tiers).

    Parameters
    ----------
    data : DataFrame
        One row per customer with segment columns, revenue and profit (e.g.
        ``customer_profitability(...).table`` joined with tiers); never
        modified.
    by : str or list of str
        Segment column(s); two columns give the cells of a tier grid (e.g.
        asset tier x activity tier).  Categorical order is kept; empty
        categories are left out.
    revenue, profit : str
        Money columns; ``profit=None`` when only revenue is known (the
        profit columns are then left out).

    Returns
    -------
    DataFrame
        Indexed by segment: ``customers``, ``revenue``, ``profit``,
        ``customer_share``, ``revenue_share``, ``profit_share`` (fractions
        that each sum to 1 over the segments), ``revenue_per_customer``,
        ``profit_per_customer`` and ``margin_pct``.

    Raises
    ------
    CRMDataError
        Missing columns, missing segment labels, missing or non-numeric money,
        or total profit of zero.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"tier": ["a", "a", "b"], "revenue": [1.0, 1.0, 2.0],
    ...                   "profit": [1.0, -1.0, 2.0]})
    >>> profit_by_segment(d, "tier")["profit_share"].tolist()
    [0.0, 1.0]
    """
    where = "profit_by_segment"
    by = [by] if isinstance(by, str) else list(by)
    require_frame(data, where, empty=_EMPTY)
    require_columns(data, [*by, revenue] + ([profit] if profit is not None else []), where)
    for column in by:
        if data[column].isna().any():
            raise CRMDataError(
                f"{where}: column {column!r} has missing segment labels: "
                + describe_rows(data, data[column].isna(), by)
                + "\nDrop or label these customers first (and say how many)."
            )
    money = pd.DataFrame({"revenue": numeric_column(data, revenue, where, shown=by)},
                         index=data.index)
    if profit is not None:
        money["profit"] = numeric_column(data, profit, where, shown=by)
    keys = [data[c] for c in by]
    grouped = money.groupby(keys, observed=True, sort=True)
    out = grouped.sum()
    out.insert(0, "customers", grouped.size())
    out["customer_share"] = out["customers"] / out["customers"].sum()
    out["revenue_share"] = out["revenue"] / out["revenue"].sum() if out["revenue"].sum() else np.nan
    out["revenue_per_customer"] = out["revenue"] / out["customers"]
    if profit is not None:
        total_profit = out["profit"].sum()
        if total_profit == 0:
            raise CRMDataError(f"{where}: total profit is zero; profit shares are undefined.")
        out["profit_share"] = out["profit"] / total_profit
        out["profit_per_customer"] = out["profit"] / out["customers"]
        out["margin_pct"] = 100 * out["profit"] / out["revenue"].where(out["revenue"] != 0)
        out = out[["customers", "revenue", "profit", "customer_share", "revenue_share", "profit_share",
                   "revenue_per_customer", "profit_per_customer", "margin_pct"]]
    out.index.names = by
    return out


def profitability_sensitivity(
    data: pd.DataFrame,
    *,
    customer_id: str = "customer_id",
    revenue: str = "revenue",
    margins: Sequence[float] = (1.0,),
    costs: Mapping[str, str | float | tuple[str, float]] | None = None,
    rates: Mapping[str, Sequence[float]] | None = None,
    by: str | None = None,
    top: float = 0.1,
) -> pd.DataFrame:
    """Re-run the profitability analysis over a grid of margin and cost assumptions.

    Cost-to-serve rates are rarely known precisely; a conclusion a manager
    acts on should survive reasonable changes to them.  For every margin and
    every combination of the unit costs in ``rates`` this computes
    :func:`customer_profitability`, the :func:`whale_curve` and the
    :func:`rank_disagreement` of revenue and profit.

    Parameters
    ----------
    data : DataFrame
        As for :func:`customer_profitability`; never modified.
    customer_id, revenue : str
    margins : sequence of float
        Gross-margin fractions to try.
    costs : mapping
        The base cost specification of :func:`customer_profitability`.
    rates : mapping of str to sequence of float, optional
        ``{cost name: unit costs to try}``; the cost must be written as
        ``(column, rate)`` in ``costs``.  A rate of 0 switches a component off.
    by : str, optional
        A per-customer segment column; adds the segments with the highest and
        the lowest profit per customer.
    top : float, default 0.1
        Top group for :func:`rank_disagreement`.

    Returns
    -------
    DataFrame
        One row per assumption: ``margin``, one column per varied rate,
        ``profit``, ``profit_pct_of_revenue``, ``loss_making_pct``,
        ``whale_peak_pct`` and ``customers_at_peak_pct`` (NaN when total
        profit is not positive), ``spearman`` and ``top_overlap`` (revenue vs
        profit), and with ``by`` ``best_<by>`` and ``worst_<by>``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"customer_id": [1, 2], "revenue": [100.0, 50.0], "visits": [10, 1]})
    >>> out = profitability_sensitivity(d, margins=[0.5], costs={"visits": ("visits", 1.0)},
    ...                                 rates={"visits": [1.0, 5.0]})
    >>> out["profit"].tolist()
    [64.0, 20.0]
    """
    where = "profitability_sensitivity"
    if costs is None:
        raise CRMDataError(f"{where}: costs is required (see customer_profitability).")
    rates = dict(rates or {})
    for name in rates:
        item = costs.get(name)
        if not (isinstance(item, tuple) and len(item) == 2):
            raise CRMDataError(f"{where}: cost {name!r} must be given as (column, rate) in costs to vary it.")
    segments = None
    if by is not None:
        require_frame(data, where, empty=_EMPTY)
        require_columns(data, [customer_id, by], where)
        segments = data.groupby(customer_id, sort=True)[by].first()
    rows = []
    names = list(rates)
    for margin in margins:
        for combo in itertools.product(*(rates[k] for k in names)):
            spec = dict(costs)
            for name, rate in zip(names, combo, strict=True):
                spec[name] = (costs[name][0], float(rate))
            res = customer_profitability(data, customer_id=customer_id, revenue=revenue,
                                         margin=margin, costs=spec)
            t = res.table
            total = float(t["profit"].sum())
            row = {"margin": float(margin), **{f"{k}_rate": float(r) for k, r in zip(names, combo, strict=True)},
                   "profit": total,
                   "profit_pct_of_revenue": 100 * total / float(t["revenue"].sum()),
                   "loss_making_pct": 100 * float((t["profit"] < 0).mean())}
            if total > 0:
                w = whale_curve(t["profit"])
                row["whale_peak_pct"] = 100 * w.peak_
                row["customers_at_peak_pct"] = 100 * w.peak_customer_share_
            else:
                row["whale_peak_pct"] = row["customers_at_peak_pct"] = np.nan
            rd = rank_disagreement(t, x="revenue", y="profit", top=top)
            row["spearman"] = rd.spearman_
            row["top_overlap"] = rd.top_overlap_
            if segments is not None:
                per = t["profit"].groupby(segments.reindex(t.index), observed=True).mean()
                row[f"best_{by}"] = per.idxmax()
                row[f"worst_{by}"] = per.idxmin()
            rows.append(row)
    return pd.DataFrame(rows)


@dataclass
class RankDisagreement:
    """Outcome of :func:`rank_disagreement`.

    Attributes
    ----------
    spearman_ : float
        Spearman rank correlation of the two rankings (average ranks for ties).
    kendall_ : float
        Kendall's tau-b.
    top_overlap_ : float
        Share of the top group by ``x`` that is also in the top group by ``y``.
    n_top_ : int
        Size of each top group (``ceil(top * n)``).
    top_x_negative_y_ : float
        Share of the top group by ``x`` whose ``y`` is negative (top-revenue
        customers who lose money).
    """

    spearman_: float
    kendall_: float
    top_overlap_: float
    n_top_: int
    top_x_negative_y_: float
    x: str = "x"
    y: str = "y"

    def summary(self) -> pd.DataFrame:
        """The figures as a one-column DataFrame."""
        return pd.Series({
            "spearman": self.spearman_,
            "kendall_tau_b": self.kendall_,
            "top_group_size": float(self.n_top_),
            f"top_{self.x}_also_top_{self.y}": self.top_overlap_,
            f"top_{self.x}_with_negative_{self.y}": self.top_x_negative_y_,
        }, name="value").to_frame()


def rank_disagreement(
    data: pd.DataFrame, *, x: str = "revenue", y: str = "profit", top: float = 0.1
) -> RankDisagreement:
    """How far two customer rankings (e.g. by revenue and by profit) disagree.

    Parameters
    ----------
    data : DataFrame
        One row per customer; never modified.
    x, y : str
        The two ranking columns (higher = better).
    top : float, default 0.1
        Size of the top group as a share of customers (0.1 = top decile).
        Ties at the cut-off are broken by row order (stable sort), so the
        group always has ``ceil(top * n)`` customers.

    Returns
    -------
    RankDisagreement

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"revenue": [4.0, 3.0, 2.0, 1.0], "profit": [-1.0, 3.0, 2.0, 1.0]})
    >>> r = rank_disagreement(d, top=0.25)
    >>> r.top_overlap_, r.top_x_negative_y_
    (0.0, 1.0)
    """
    where = "rank_disagreement"
    require_frame(data, where, empty=_EMPTY)
    require_columns(data, [x, y], where)
    if not 0 < top <= 1:
        raise CRMDataError(f"{where}: top must be in (0, 1], got {top!r}.")
    a = numeric_column(data, x, where)
    b = numeric_column(data, y, where)
    n = len(a)
    if n < 2:
        raise CRMDataError(f"{where}: need at least 2 customers, got {n}.")
    k = int(np.ceil(top * n - 1e-9))
    top_a = set(np.argsort(-a.to_numpy(), kind="stable")[:k])
    top_b = set(np.argsort(-b.to_numpy(), kind="stable")[:k])
    idx_a = np.fromiter(top_a, dtype=int)
    return RankDisagreement(
        spearman_=float(stats.spearmanr(a, b).statistic),
        kendall_=float(stats.kendalltau(a, b).statistic),
        top_overlap_=len(top_a & top_b) / k,
        n_top_=k,
        top_x_negative_y_=float((b.to_numpy()[idx_a] < 0).mean()),
        x=x,
        y=y,
    )


# --------------------------------------------------------------------------
# RFM
# --------------------------------------------------------------------------


def quantile_scores(values, q: int = 5, *, higher_is_better: bool = True) -> pd.Series:
    """Quantile scores 1..q with a deterministic, order-free treatment of ties.

    A customer's score is ``1 + floor(q * s)``, where ``s`` is the share of
    customers with a strictly *worse* value.  Equal values therefore always
    get the same score, whatever the row order (unlike ``ntile`` or
    ``qcut(rank(method="first"))``, which split ties by position); with many
    ties (e.g. most customers bought once) some scores stay empty and the
    groups are unequal.  Without ties each score holds n/q customers (up to
    rounding).

    Parameters
    ----------
    values : Series or array-like
        One value per customer.
    q : int, default 5
        Number of scores (5 = quintiles).
    higher_is_better : bool, default True
        False for e.g. days since last purchase.

    Returns
    -------
    Series of int
        Scores, same index as ``values``.

    Examples
    --------
    >>> quantile_scores([10, 20, 20, 30, 40]).tolist()
    [1, 2, 2, 4, 5]
    """
    v = as_series(values, "value", "quantile_scores")
    if int(q) != q or q < 2:
        raise CRMDataError(f"quantile_scores: q must be an integer >= 2, got {q!r}.")
    arr = v.to_numpy() if higher_is_better else -v.to_numpy()
    below = np.searchsorted(np.sort(arr), arr, side="left")  # strictly worse values
    scores = 1 + np.floor(q * below / len(arr)).astype(int)
    return pd.Series(np.minimum(scores, q), index=v.index, name=v.name)


def rfm_scores(
    summary: pd.DataFrame,
    *,
    recency: str = "recency",
    T: str = "T",
    frequency: str = "frequency",
    monetary: str = "monetary_value",
    q: int = 5,
) -> pd.DataFrame:
    """Recency, frequency and monetary quintile scores (5 = best) from an RFM summary.

    Recency in the RFM sense is the time since the last purchase,
    ``T - recency`` in the units of :func:`crm_analysis.rfm_summary` (whose
    ``recency`` is the age of the customer at the last purchase); shorter is
    better.  Use ``rfm_summary(..., include_first_transaction=True)`` so that
    one-time buyers have frequency 1 and their spend as monetary value.
    Ties are scored as in :func:`quantile_scores` (equal values, equal score).

    Parameters
    ----------
    summary : DataFrame
        Output of :func:`crm_analysis.rfm_summary`; never modified.
    recency, T, frequency, monetary : str
        Column names.
    q : int, default 5
        Number of score levels.

    Returns
    -------
    DataFrame
        Same index: ``days_since`` (``T - recency``, in the summary's time
        unit), ``R``, ``F``, ``M`` (ints 1..q) and ``RFM`` (e.g. ``"545"``).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"recency": [10.0, 0.0], "T": [12.0, 30.0],
    ...                   "frequency": [3.0, 1.0], "monetary_value": [20.0, 5.0]})
    >>> rfm_scores(s, q=2)[["R", "F", "M"]].values.tolist()
    [[2, 2, 2], [1, 1, 1]]
    """
    where = "rfm_scores"
    require_frame(summary, where, empty=_EMPTY)
    require_columns(summary, [recency, T, frequency, monetary], where, frame="summary")
    since = numeric_column(summary, T, where) - numeric_column(summary, recency, where)
    if (since < 0).any():
        raise CRMDataError(
            f"{where}: {recency!r} exceeds {T!r} (last purchase after the end of observation): "
            + describe_rows(summary, since < 0, [recency, T])
        )
    out = pd.DataFrame(index=summary.index)
    out["days_since"] = since
    out["R"] = quantile_scores(since, q, higher_is_better=False).to_numpy()
    out["F"] = quantile_scores(numeric_column(summary, frequency, where), q).to_numpy()
    out["M"] = quantile_scores(numeric_column(summary, monetary, where), q).to_numpy()
    out["RFM"] = out["R"].astype(str) + out["F"].astype(str) + out["M"].astype(str)
    return out


#: The named-segment scheme of :func:`rfm_segments` (R band x FM band -> name), best first.
RFM_SEGMENTS = pd.DataFrame(
    [
        ("champions", "high", "high", "bought recently, often and much"),
        ("loyal", "mid", "high", "frequent, big spenders, not in the last weeks"),
        ("potential loyalists", "high", "mid", "recent, average frequency and spend"),
        ("new customers", "high", "low", "recent but few or small purchases"),
        ("need attention", "mid", "mid", "average on everything"),
        ("can't lose them", "low", "high", "were among the best, gone quiet"),
        ("at risk", "low", "mid", "average customers gone quiet"),
        ("about to sleep", "mid", "low", "few small purchases, fading"),
        ("hibernating", "low", "low", "few small purchases long ago"),
    ],
    columns=["segment", "R_band", "FM_band", "description"],
)


def _band(score: pd.Series, q: int) -> pd.Series:
    # For q = 5: 1-2 low, 3 mid, 4-5 high.  For other q the outer (q - 1) // 2
    # levels on each side form low and high.
    width = (q - 1) // 2
    return pd.Series(
        np.where(score <= width, "low", np.where(score > q - width, "high", "mid")),
        index=score.index,
    )


def rfm_segments(scores: pd.DataFrame, *, q: int = 5) -> pd.DataFrame:
    """Name RFM segments from R, F, M scores (the behaviour-only view).

    The F and M scores are combined as ``FM = ceil((F + M) / 2)``.  R and FM
    are banded (for quintiles: 1-2 low, 3 mid, 4-5 high) and each of the nine
    band pairs has one name; the scheme is a full partition:

    ===================  ======  =======  ==========================================
    segment              R band  FM band  reading
    ===================  ======  =======  ==========================================
    champions            high    high     bought recently, often and much
    loyal                mid     high     frequent, big spenders, not in the last weeks
    potential loyalists  high    mid      recent, average frequency and spend
    new customers        high    low      recent but few or small purchases
    need attention       mid     mid      average on everything
    can't lose them      low     high     were among the best, gone quiet
    at risk              low     mid      average customers gone quiet
    about to sleep       mid     low      few small purchases, fading
    hibernating          low     low      few small purchases long ago
    ===================  ======  =======  ==========================================

    The table is also available as :data:`RFM_SEGMENTS`.  Note what is
    missing: nothing here knows what a customer costs to serve or what price
    concessions they extracted.

    Parameters
    ----------
    scores : DataFrame
        Output of :func:`rfm_scores` (columns ``R``, ``F``, ``M``); never
        modified.
    q : int, default 5
        The number of score levels used for ``scores``.

    Returns
    -------
    DataFrame
        ``R``, ``F``, ``M``, ``FM``, ``R_band``, ``FM_band`` and ``segment``
        (ordered categorical in the order of the table).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"R": [5, 1], "F": [5, 1], "M": [4, 2]})
    >>> rfm_segments(s)["segment"].tolist()
    ['champions', 'hibernating']
    """
    where = "rfm_segments"
    require_frame(scores, where, empty=_EMPTY)
    require_columns(scores, ["R", "F", "M"], where, frame="scores")
    out = pd.DataFrame(index=scores.index)
    for c in ("R", "F", "M"):
        values = numeric_column(scores, c, where)
        bad = (values < 1) | (values > q) | (values != np.round(values))
        if bad.any():
            raise CRMDataError(
                f"{where}: column {c!r} must hold integer scores 1..{q}: "
                + describe_rows(scores, bad, ["R", "F", "M"])
            )
        out[c] = values.astype(int)
    out["FM"] = (out["F"] + out["M"] + 1) // 2
    out["R_band"] = _band(out["R"], q)
    out["FM_band"] = _band(out["FM"], q)
    lookup = {(r, fm): s for s, r, fm in RFM_SEGMENTS[["segment", "R_band", "FM_band"]].itertuples(index=False)}
    names = [lookup[(r, fm)] for r, fm in zip(out["R_band"], out["FM_band"], strict=True)]
    out["segment"] = pd.Categorical(names, categories=RFM_SEGMENTS["segment"].tolist(), ordered=True)
    return out
