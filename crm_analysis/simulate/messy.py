"""A simulated invoice-line export as messy as a real one, with the cleaning it needs known exactly.

Real e-commerce exports (one row per invoice line) mix purchases with guest
checkouts, cancellations, stock write-offs, free items, postage and fee lines,
bad-debt adjustments and double loads.  :func:`simulate_messy_log` writes such
a log from a documented process and returns, next to it, what a correct
cleaning must find: the rows each check of
:func:`crm_analysis.validate_transactions` drops, the rows it keeps, and the
net revenue of every customer.  The truth comes from the labels the simulator
gave each line while writing it, not from running the cleaning.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import CRMDataError

__all__ = ["MessyLog", "simulate_messy_log", "NON_PRODUCT_CODES"]

#: Item codes of lines that are not product sales (postage, carriage, manual
#: entries, bank charges, marketplace fees, charity commission, discounts,
#: bad-debt adjustments).
NON_PRODUCT_CODES = ("POST", "DOT", "M", "BANK CHARGES", "AMAZONFEE", "CRUK", "D", "B")

_EXCLUDE = "|".join(NON_PRODUCT_CODES)
_MISSING = "missing customer id"
_EXCLUDED = "excluded item"
_DUPLICATE = "exact duplicate row"
_NETTED = "return netted against the customer's purchases"
_BEFORE = "return of a purchase before the window"
_UNMARKED = "negative amount not marked as a cancellation"
_FULL = "purchase fully returned"
_ZERO = "zero amount"
_PARTLY = "purchase partly returned (amount reduced)"
# Checks that come before the duplicate check: a copy of such a line is
# counted under its original's reason, a copy of any other line as a duplicate.
_BEFORE_DUPLICATES = (_MISSING, _EXCLUDED)


@dataclass
class MessyLog:
    """Output of :func:`simulate_messy_log`.

    Attributes
    ----------
    data : DataFrame
        The export: ``invoice``, ``stock_code``, ``quantity``, ``invoice_date``,
        ``unit_price``, ``customer_id`` (float, NaN for guests).  No truth columns.
    options : dict
        Keyword arguments of :func:`crm_analysis.validate_transactions` that
        read this export (column names, cancellation prefix, excluded codes,
        ``duplicates="drop"``, ``observation_end``).
    dropped : dict
        Rows each check must drop under ``options``, by check name.
    kept_flags : dict
        Rows each check must flag while keeping them (zero amounts, partly
        returned purchases).
    kept_rows : Index
        Row labels the clean log must hold.
    kept_amount : Series
        Net amount of each kept row (quantity x price, less what was
        returned of it), indexed by row label.
    net_revenue : Series
        Net revenue per customer (purchases minus what they returned), for the
        customers left in the clean log, indexed by ``customer_id``.
    amount_netted, amount_not_netted : float
        Value of returns matched to purchases in the log, and of returns of
        purchases made before it.
    line_type : Series
        The generating label of every row (``purchase``, ``guest``,
        ``write-off``, ``cancellation``, ...), for inspection.
    params : dict
        The generating parameters.
    """

    data: pd.DataFrame
    options: dict
    dropped: dict
    kept_flags: dict
    kept_rows: pd.Index
    kept_amount: pd.Series
    net_revenue: pd.Series
    amount_netted: float
    amount_not_netted: float
    line_type: pd.Series
    params: dict = field(default_factory=dict)

    def __iter__(self) -> Iterator:
        # ``log, options = simulate_messy_log(...)``
        return iter((self.data, self.options))


def simulate_messy_log(
    n_customers: int = 1_000,
    *,
    start: str = "2010-12-01",
    end: str = "2011-12-09",
    guest_share: float = 0.25,
    cancel_share: float = 0.02,
    before_window_share: float = 0.15,
    zero_price_share: float = 0.005,
    duplicate_share: float = 0.01,
    non_product_share: float = 0.01,
    write_off_share: float = 0.003,
    n_negative_prices: int = 4,
    n_last_day: int = 5,
    dates: str = "datetime",
    seed: int | None = 0,
) -> MessyLog:
    """Simulate an invoice-line export with known cleaning truth.

    Generating process (all draws from ``numpy.random.default_rng(seed)``):

    1. **Customers** (ids 10000, 10001, ...) make a first purchase on a day
       drawn uniformly over ``[start, end]``.  Each buys at a rate
       lambda ~ Gamma(0.8, 1/40) per day and stays active for an exponential
       time with mean 300 days (a Pareto/NBD process); repeat invoices fall
       uniformly in the active part of the window, their number Poisson.
       ``n_last_day`` further customers buy once, on the last day (T = 0).
    2. **Invoices** get numbers 536365, 536366, ... in time order and a
       timestamp to the minute between 08:00 and 18:00.  An invoice has
       1 + Poisson(3) lines of distinct products (codes ``"10000"``...
       ``"10499"``), quantity Geometric(p) (1, 2, ...) with p ~ Beta(6, 10) per
       customer (0.35 for guests), and the product's list price (0.50 to
       20.00).
    3. **Guest invoices** (no customer id) are added until
       ``guest_share`` of the product lines have no id.
    4. **Zero prices**: ``zero_price_share`` of the customers' product lines
       are free (price 0).  ``n_negative_prices`` customer lines carry a
       negative price on an ordinary invoice.
    5. **Cancellations** (``cancel_share`` of the lines, invoice number
       prefixed ``"C"``, negative quantity, the product's price): most cancel
       one of the customer's purchase lines, always the customer's last line
       of that product, 1 minute to 30 days later (capped at the last day),
       in full, or for part of the quantity (30%); ``before_window_share`` of
       them cancel products bought before the export starts (codes
       ``"20000"``... never sold in it).  One extra customer cancels every
       line of both invoices.
    6. **Non-product lines** (``non_product_share``): one of
       :data:`NON_PRODUCT_CODES` added to an invoice (a fifth of them as a
       negative line on a cancellation invoice); four bad-debt adjustments
       (invoice ``"A..."``, code ``"B"``, price +-), one with a customer id.
    7. **Stock write-offs** (``write_off_share``): no customer, negative
       quantity, price 0.
    8. **Double loads**: ``duplicate_share`` of the rows appear twice.

    The truth applies the documented order of the checks of
    :func:`crm_analysis.validate_transactions` to these labels: lines without
    id first, then non-product codes, then duplicates (a copy of a line
    dropped for one of those two reasons counts under it), then returns.

    Parameters
    ----------
    n_customers : int, default 1000
        Customers with an id (about 30 lines each with the defaults).
    start, end : date-like
        First and last day of the export (``end`` is the observation end).
    guest_share, cancel_share, zero_price_share, duplicate_share, non_product_share, write_off_share : float
        Rates of the messy lines, as described above.
    before_window_share : float, default 0.15
        Share of the cancellations that concern purchases before ``start``.
    n_negative_prices, n_last_day : int
        Counts of the rare cases.
    dates : {"datetime", "iso", "dayfirst"}, default "datetime"
        ``invoice_date`` as datetime64, as ISO text ("2011-12-09 12:50") or as
        day-first text ("09/12/2011 12:50", as exports from UK systems).
    seed : int or None, default 0

    Returns
    -------
    MessyLog

    Raises
    ------
    CRMDataError
        Bad arguments.

    Examples
    --------
    >>> sim = simulate_messy_log(200, seed=1)
    >>> sim.data.columns.tolist()
    ['invoice', 'stock_code', 'quantity', 'invoice_date', 'unit_price', 'customer_id']
    >>> bool(0.2 < sim.data["customer_id"].isna().mean() < 0.3)  # a quarter of the lines are guests
    True
    """
    if n_customers < 10:
        raise CRMDataError(f"simulate_messy_log: n_customers must be >= 10, got {n_customers}.")
    for name, share in (("guest_share", guest_share), ("cancel_share", cancel_share),
                        ("before_window_share", before_window_share),
                        ("zero_price_share", zero_price_share),
                        ("duplicate_share", duplicate_share),
                        ("non_product_share", non_product_share),
                        ("write_off_share", write_off_share)):
        if not 0 <= share < 1:
            raise CRMDataError(f"simulate_messy_log: {name} must be in [0, 1), got {share}.")
    if dates not in ("datetime", "iso", "dayfirst"):
        raise CRMDataError(
            f"simulate_messy_log: dates must be 'datetime', 'iso' or 'dayfirst', got {dates!r}."
        )
    rng = np.random.default_rng(seed)
    t0, t1 = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    n_days = (t1 - t0).days + 1
    if n_days < 30:
        raise CRMDataError("simulate_messy_log: the window must span at least 30 days.")
    minute = np.int64(60_000_000_000)
    day = 1440 * minute
    last_day = np.int64((n_days - 1) * day)
    prices = np.round(rng.uniform(0.5, 20.0, 500), 2)

    # 1. customers and their purchase days (day numbers from start)
    first = rng.integers(0, n_days, n_customers)
    rate = rng.gamma(0.8, 1 / 40, n_customers)
    alive = rng.exponential(300.0, n_customers)
    span = np.minimum(first + alive, n_days - 1) - first
    n_repeat = rng.poisson(rate * span)
    cust = np.repeat(np.arange(n_customers), 1 + n_repeat)
    # Day offsets after the first purchase: 0 for the first invoice, uniform on
    # the active span for the repeats (each customer's block in turn).
    offset = np.zeros(len(cust))
    is_first = np.zeros(len(cust), dtype=bool)
    is_first[np.cumsum(1 + n_repeat) - (1 + n_repeat)] = True
    offset[~is_first] = rng.uniform(0, 1, int(n_repeat.sum())) * np.repeat(span, n_repeat)
    inv_day = (first[cust] + np.floor(offset)).astype(np.int64)
    ids = 10_000 + cust
    # last-day customers
    n_cust_ids = n_customers + n_last_day
    ids = np.concatenate([ids, 10_000 + n_customers + np.arange(n_last_day)])
    inv_day = np.concatenate([inv_day, np.full(n_last_day, n_days - 1)])
    # 3. guest invoices: about guest_share of product lines (lines per invoice have the same law)
    n_guest = int(round(len(ids) * guest_share / (1 - guest_share)))
    ids = np.concatenate([ids.astype(float), np.full(n_guest, np.nan)])
    inv_day = np.concatenate([inv_day, rng.integers(0, n_days, n_guest)])
    inv_time = inv_day * day + rng.integers(8 * 60, 18 * 60, len(inv_day)) * minute
    order = np.argsort(inv_time, kind="stable")
    ids, inv_time = ids[order], inv_time[order]
    n_inv = len(ids)
    inv_no = 536_365 + np.arange(n_inv)
    # Customers differ in how many units they take per line (the spend heterogeneity
    # the Gamma-Gamma model describes); guests take Geometric(0.35).
    p_units = rng.beta(6.0, 10.0, n_cust_ids)
    basket = np.where(np.isnan(ids), 0.35, p_units[np.nan_to_num(ids - 10_000).astype(np.int64)])

    # 2. lines: distinct products within an invoice (consecutive codes from a random start)
    n_lines = 1 + rng.poisson(3, n_inv)
    line_inv = np.repeat(np.arange(n_inv), n_lines)
    pos = np.arange(len(line_inv)) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines)
    product = (np.repeat(rng.integers(0, 500, n_inv), n_lines) + pos) % 500
    lines = pd.DataFrame({
        "invoice": inv_no[line_inv].astype(str),
        "stock_code": (10_000 + product).astype(str),
        "quantity": rng.geometric(basket[line_inv]).astype(np.int64),
        "t": inv_time[line_inv],
        "unit_price": prices[product],
        "customer_id": ids[line_inv],
    })
    lines["type"] = np.where(lines["customer_id"].isna(), "guest", "purchase")

    # 4. zero and negative prices on customers' product lines
    is_buy = np.flatnonzero(lines["type"].to_numpy() == "purchase")
    n_zero = int(round(zero_price_share * len(is_buy)))
    pick = rng.choice(is_buy, n_zero + n_negative_prices, replace=False)
    zero_rows, neg_rows = pick[:n_zero], pick[n_zero:]
    lines.loc[zero_rows, "unit_price"] = 0.0
    lines.loc[zero_rows, "type"] = "zero price"
    lines.loc[neg_rows, "unit_price"] = -lines.loc[neg_rows, "unit_price"]
    lines.loc[neg_rows, "type"] = "negative price"

    extra: list[pd.DataFrame] = []
    next_no = [536_365 + n_inv]

    def numbers(k: int, prefix: str = "") -> np.ndarray:
        out = np.array([f"{prefix}{n}" for n in range(next_no[0], next_no[0] + k)], dtype=object)
        next_no[0] += k
        return out

    # 5. cancellations of in-window purchases: the customer's last line of the product
    n_cancel = int(round(cancel_share * len(lines)))
    n_before = int(round(before_window_share * n_cancel))
    buys = lines[lines["type"] == "purchase"]
    last = buys[~buys.duplicated(["customer_id", "stock_code"], keep="last")]
    # Bought before the last day, so that the cancellation falls inside the window.
    last_of_pair = last.index[last["t"] < last_day]
    targets = np.sort(rng.choice(last_of_pair, min(n_cancel - n_before, len(last_of_pair)),
                                 replace=False))
    tgt = lines.loc[targets]
    partial = (rng.random(len(tgt)) < 0.3) & (tgt["quantity"].to_numpy() >= 2)
    back = np.where(partial, rng.integers(1, np.maximum(tgt["quantity"].to_numpy(), 2)),
                    tgt["quantity"].to_numpy())
    delay = rng.integers(1, 30 * 1440, len(tgt)) * minute
    c_time = np.minimum(tgt["t"].to_numpy() + delay, last_day + 20 * 60 * minute)
    extra.append(pd.DataFrame({
        "invoice": numbers(len(tgt), "C"), "stock_code": tgt["stock_code"].to_numpy(),
        "quantity": -back, "t": c_time, "unit_price": tgt["unit_price"].to_numpy(),
        "customer_id": tgt["customer_id"].to_numpy(), "type": "cancellation",
    }))
    lines.loc[targets[~partial], "type"] = "cancelled in full"
    lines.loc[targets[partial], "type"] = "cancelled in part"
    returned = pd.Series(0.0, index=lines.index)
    returned[targets] = back * tgt["unit_price"].to_numpy()
    # ... and of purchases before the window (products never sold in the export)
    who = rng.choice(np.arange(10_000, 10_000 + n_customers), n_before).astype(float)
    old_price = np.round(rng.uniform(0.5, 20.0, n_before), 2)
    extra.append(pd.DataFrame({
        "invoice": numbers(n_before, "C"),
        "stock_code": (20_000 + rng.integers(0, 100, n_before)).astype(str),
        "quantity": -rng.geometric(0.35, n_before), "t": rng.integers(0, 30, n_before) * day
        + rng.integers(8 * 60, 18 * 60, n_before) * minute,
        "unit_price": old_price, "customer_id": who, "type": "cancellation before window",
    }))
    # the customer who cancels everything: two invoices of two lines, each line cancelled in full
    gone = float(10_000 + n_cust_ids)
    g_time = np.array([10 * day + 600 * minute] * 2 + [40 * day + 660 * minute] * 2)
    g_code = np.array(["10001", "10002", "10003", "10004"])
    g_qty = np.array([2, 1, 3, 6])
    g_price = prices[[1, 2, 3, 4]]
    g_inv = numbers(2)
    extra.append(pd.DataFrame({
        "invoice": np.repeat(g_inv, 2), "stock_code": g_code, "quantity": g_qty, "t": g_time,
        "unit_price": g_price, "customer_id": gone, "type": "cancelled in full"}))
    extra.append(pd.DataFrame({
        "invoice": np.repeat(numbers(2, "C"), 2), "stock_code": g_code, "quantity": -g_qty,
        "t": g_time + 2 * day, "unit_price": g_price, "customer_id": gone,
        "type": "cancellation"}))

    # 6. non-product lines on existing invoices, one per invoice at most
    n_np = int(round(non_product_share * len(lines)))
    host = lines.drop_duplicates("invoice").sample(n=min(n_np, n_inv), random_state=rng)
    codes = rng.choice(NON_PRODUCT_CODES[:-1], len(host))
    on_cancel = rng.random(len(host)) < 0.2
    np_qty = np.where(on_cancel, -1, 1)
    extra.append(pd.DataFrame({
        "invoice": np.where(on_cancel, "C" + host["invoice"].to_numpy(dtype=object),
                            host["invoice"].to_numpy(dtype=object)),
        "stock_code": codes, "quantity": np_qty, "t": host["t"].to_numpy(),
        "unit_price": np.round(rng.uniform(1.0, 40.0, len(host)), 2),
        "customer_id": host["customer_id"].to_numpy(), "type": "non-product"}))
    # bad-debt adjustments: +- amounts, one of them booked to a customer
    extra.append(pd.DataFrame({
        "invoice": numbers(4, "A"), "stock_code": "B", "quantity": 1,
        "t": rng.integers(0, n_days, 4) * day + 14 * 60 * minute,
        "unit_price": [11062.06, -11062.06, -1136.30, 415.50],
        "customer_id": [np.nan, np.nan, np.nan, 10_000.0], "type": "non-product"}))
    # 7. stock write-offs
    n_wo = int(round(write_off_share * len(lines)))
    extra.append(pd.DataFrame({
        "invoice": numbers(n_wo), "stock_code": (10_000 + rng.integers(0, 500, n_wo)).astype(str),
        "quantity": -rng.integers(1, 200, n_wo), "t": rng.integers(0, n_days, n_wo) * day
        + rng.integers(8 * 60, 18 * 60, n_wo) * minute,
        "unit_price": 0.0, "customer_id": np.nan, "type": "write-off"}))

    log = pd.concat([lines, *extra], ignore_index=True)
    returned = returned.reindex(log.index, fill_value=0.0)
    # 8. double loads: a copy follows its original (same timestamp, later row)
    n_dup = int(round(duplicate_share * len(log)))
    src = np.sort(rng.choice(len(log), n_dup, replace=False))
    copies = log.iloc[src].copy()
    copies["type"] = "copy of " + copies["type"]
    copies["src"] = src
    log["src"] = -1
    log = pd.concat([log, copies], ignore_index=True)
    returned = pd.concat([returned, pd.Series(0.0, index=range(len(returned), len(log)))])
    # Rows in time order; a copy sorts right after its original (stable sort).
    order = np.lexsort((np.where(log["src"] >= 0, log["src"], log.index), log["t"]))
    log = log.iloc[order]
    returned = returned.iloc[order].to_numpy()
    log = log.reset_index(drop=True)

    # truth: first reason of every row in the documented order
    base_type = log["type"].str.removeprefix("copy of ")
    is_copy = log["type"].str.startswith("copy of ")
    no_id = log["customer_id"].isna()
    non_product = base_type == "non-product"
    reason = pd.Series(None, index=log.index, dtype=object)
    reason[no_id] = _MISSING
    reason[reason.isna() & non_product] = _EXCLUDED
    reason[reason.isna() & is_copy] = _DUPLICATE
    reason[reason.isna() & (base_type == "cancellation")] = _NETTED
    reason[reason.isna() & (base_type == "cancellation before window")] = _BEFORE
    reason[reason.isna() & (base_type == "negative price")] = _UNMARKED
    reason[reason.isna() & (base_type == "cancelled in full")] = _FULL
    kept = reason.isna()
    amount = log["quantity"] * log["unit_price"]
    flags = {_ZERO: int((kept & (base_type == "zero price")).sum()),
             _PARTLY: int((kept & (base_type == "cancelled in part")).sum())}
    kept_amount = (amount - returned)[kept].rename("amount")
    net = kept_amount.groupby(log.loc[kept, "customer_id"]).sum()
    netted = float(-amount[reason == _NETTED].sum())
    not_netted = float(-amount[reason == _BEFORE].sum())

    when = t0 + pd.to_timedelta(log["t"].to_numpy(), unit="ns")
    if dates == "iso":
        when = when.strftime("%Y-%m-%d %H:%M")
    elif dates == "dayfirst":
        when = when.strftime("%d/%m/%Y %H:%M")
    data = pd.DataFrame({
        "invoice": log["invoice"].astype(str).to_numpy(),
        "stock_code": log["stock_code"].to_numpy(),
        "quantity": log["quantity"].astype(np.int64).to_numpy(),
        "invoice_date": when,
        "unit_price": log["unit_price"].astype(float).to_numpy(),
        "customer_id": log["customer_id"].astype(float).to_numpy(),
    })
    options = {
        "customer_id": "customer_id", "date": "invoice_date", "quantity": "quantity",
        "price": "unit_price", "amount": "amount", "order_id": "invoice", "cancel_prefix": "C",
        "item": "stock_code", "exclude_items": _EXCLUDE, "duplicates": "drop",
        "observation_end": t1.strftime("%Y-%m-%d"),
    }
    dropped = reason.value_counts().to_dict()
    return MessyLog(
        data=data, options=options, dropped={k: int(v) for k, v in dropped.items()},
        kept_flags={k: v for k, v in flags.items() if v}, kept_rows=log.index[kept],
        kept_amount=kept_amount,
        net_revenue=net.rename_axis("customer_id").rename("net_revenue"),
        amount_netted=netted, amount_not_netted=not_netted,
        line_type=log["type"].rename("line_type"),
        params={"n_customers": n_customers, "start": str(t0.date()), "end": str(t1.date()),
                "guest_share": guest_share, "cancel_share": cancel_share,
                "before_window_share": before_window_share, "zero_price_share": zero_price_share,
                "duplicate_share": duplicate_share, "non_product_share": non_product_share,
                "write_off_share": write_off_share, "n_negative_prices": n_negative_prices,
                "n_last_day": n_last_day, "dates": dates, "seed": seed,
                "purchase_rate": "Gamma(0.8, 1/40) per day", "lifetime": "Exponential(mean 300 days)"},
    )
