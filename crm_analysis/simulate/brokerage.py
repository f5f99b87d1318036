"""A simulated retail-brokerage customer base with cost-to-serve (C14) and a fee policy (C17).

No public data set has per-customer assets, trades, negotiated commission
rates and service costs of a brokerage, so this module simulates one with
stated mechanisms.  The mechanisms follow the consulting case of the seed
text *Dancing to the customer's steps* (preface): big clients have high
assets and large trades, but negotiate their commission down and are served
by a dedicated relationship manager; mid-asset active traders pay close to
list price.  :func:`simulate_fee_policy` adds the bank practice criticised in
the same text: a punitive account fee assessed on the month-end balance.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

from .._checks import numeric_column, require_columns, require_frame
from .._deprecation import keyword_only
from ..discounting import discount_factors
from ..errors import CRMDataError, describe_rows

__all__ = [
    "BrokerageSample",
    "FeePolicyResult",
    "simulate_brokerage_customers",
    "simulate_fee_policy",
    "BROKERAGE_DEFAULTS",
]

#: Parameters of :func:`simulate_brokerage_customers` (all money in US$ per year).
BROKERAGE_DEFAULTS: dict = {
    "tiers": ("small", "mid", "large"),
    "tier_share": (0.60, 0.30, 0.10),
    "asset_bounds": ((5_000.0, 50_000.0), (50_000.0, 500_000.0), (500_000.0, 5_000_000.0)),
    "active_share": (0.25, 0.35, 0.30),  # P(active trader | tier)
    "trades_per_year": {"passive": 4.0, "active": 40.0},
    "trade_size": 0.10,  # average trade = 10% of assets
    "list_rate": 0.0025,  # list commission, 25 bp of traded value
    "rate_paid": (1.00, 0.80, 0.30),  # negotiated share of list price, by tier
    "service_contacts": (0.5, 2.0, 12.0),  # mean contacts per year, by tier
    "cost_per_trade": 2.0,
    "cost_per_contact": 40.0,
    "account_cost": 15.0,
    "rm_cost": 1_500.0,  # dedicated relationship manager, large tier only
}


@dataclass
class BrokerageSample:
    """Output of :func:`simulate_brokerage_customers`: ``data`` and the ``truth``.

    Unpacks as ``data, truth = simulate_brokerage_customers(...)``.

    Attributes
    ----------
    data : DataFrame
        One row per customer (see the simulator's docstring).
    truth : dict
        ``params`` (the generating parameters), ``cost_spec`` (the ``costs``
        argument of :func:`crm_analysis.customer_profitability` that prices
        the drivers at their true unit costs), ``expected_profit`` (Series,
        each customer's expected annual profit given assets and trader type),
        ``cells`` (DataFrame, closed-form expectations per asset tier x trader
        type: population share, revenue, concessions, cost to serve, profit
        per customer and share of total profit and revenue).
    """

    data: pd.DataFrame
    truth: dict = field(default_factory=dict)

    def __iter__(self) -> Iterator:
        return iter((self.data, self.truth))


def _mean_loguniform(a: float, b: float) -> float:
    """E[X] for X log-uniform on [a, b]."""
    return (b - a) / np.log(b / a)


def _expected_cells(p: dict) -> pd.DataFrame:
    rows = []
    for t, tier in enumerate(p["tiers"]):
        mean_assets = _mean_loguniform(*p["asset_bounds"][t])
        for kind in ("passive", "active"):
            share = p["tier_share"][t] * (p["active_share"][t] if kind == "active" else 1 - p["active_share"][t])
            trades = p["trades_per_year"][kind]
            list_comm = p["list_rate"] * p["trade_size"] * mean_assets * trades
            concession = (1 - p["rate_paid"][t]) * list_comm
            cost = (trades * p["cost_per_trade"] + p["service_contacts"][t] * p["cost_per_contact"]
                    + p["account_cost"] + (p["rm_cost"] if tier == "large" else 0.0))
            rows.append({"asset_tier": tier, "trader_type": kind, "population_share": share,
                         "list_commission": list_comm, "concession": concession,
                         "revenue": list_comm - concession, "cost_to_serve": cost,
                         "profit": list_comm - concession - cost})
    cells = pd.DataFrame(rows).set_index(["asset_tier", "trader_type"])
    total_profit = (cells["population_share"] * cells["profit"]).sum()
    total_rev = (cells["population_share"] * cells["list_commission"]).sum()
    cells["profit_share"] = cells["population_share"] * cells["profit"] / total_profit
    cells["revenue_share"] = cells["population_share"] * cells["list_commission"] / total_rev
    return cells


@keyword_only("seed")
def simulate_brokerage_customers(n: int = 5_000, *, seed: int | np.random.Generator | None = 0,
                                 **params) -> BrokerageSample:
    """Simulate a retail-brokerage customer base where big clients are not the most profitable.

    Generating process (defaults in :data:`BROKERAGE_DEFAULTS`, money in
    US$ per year), independently per customer:

    1. **Asset tier** small / mid / large with probabilities 60 / 30 / 10%;
       assets log-uniform within the tier: 5k-50k, 50k-500k, 500k-5M.
    2. **Trader type** (latent) active with probability 25 / 35 / 30% by
       tier, else passive; trades per year ~ Poisson(40) if active,
       Poisson(4) if passive.  Big clients do not trade more often, but
       bigger: each trade is 10% of assets, so their *average volume* is high.
    3. **Commission**: list price 25 bp of traded value.  Negotiated price
       (mechanism 1 of C14, big clients bargain hard): small pay 100%, mid
       80%, large 30% of list; the difference is the ``concession``.
    4. **Cost to serve** (mechanism 2, big clients cost more to serve):
       US$5 per trade; service contacts ~ Poisson(1 / 2 / 12) by tier at
       US$40 each; US$30 account maintenance; a dedicated relationship manager
       (US$1,500) for every large client.
    5. ``profit = commission paid - cost to serve``.

    With the defaults the closed-form truth (``truth["cells"]``) is: large
    clients (10% of customers) bring 72% of list-price commission (48% of the
    commission actually paid) but 8% of profit, because passive large
    accounts lose almost as much as active ones earn; mid-asset active
    traders (10.5% of customers) bring 20% of list commission and 85% of
    profit; passive small accounts lose money.

    Parameters
    ----------
    n : int, default 5000
        Number of customers.
    seed : int or Generator, optional
        Same seed, same customers.
    **params
        Overrides of :data:`BROKERAGE_DEFAULTS` (e.g. ``rate_paid=(1, 1, 1)``
        to switch off negotiated concessions).

    Returns
    -------
    BrokerageSample
        ``data`` with columns ``customer_id``, ``assets``, ``asset_tier``
        (ordered categorical), ``trader_type`` (latent truth: not observed
        by a real firm), ``trades``, ``traded_value``, ``list_commission``,
        ``concession``, ``commission`` (paid), ``service_contacts``,
        ``relationship_manager`` (0/1), ``profit``; and ``truth``.

    Examples
    --------
    >>> data, truth = simulate_brokerage_customers(1_000, seed=1)
    >>> data.shape[0], sorted(truth)
    (1000, ['cells', 'cost_spec', 'expected_profit', 'params'])
    """
    unknown = set(params) - set(BROKERAGE_DEFAULTS)
    if unknown:
        raise CRMDataError(f"simulate_brokerage_customers: unknown parameter(s) {sorted(unknown)}.")
    if int(n) != n or n < 1:
        raise CRMDataError(f"simulate_brokerage_customers: n must be a positive integer, got {n!r}.")
    p = {**BROKERAGE_DEFAULTS, **params}
    if not np.isclose(sum(p["tier_share"]), 1):
        raise CRMDataError(f"simulate_brokerage_customers: tier_share must sum to 1, got {p['tier_share']}.")
    rng = np.random.default_rng(seed)
    n = int(n)

    tier_idx = rng.choice(3, size=n, p=np.asarray(p["tier_share"], dtype=float))
    lo = np.array([b[0] for b in p["asset_bounds"]])[tier_idx]
    hi = np.array([b[1] for b in p["asset_bounds"]])[tier_idx]
    assets = np.exp(rng.uniform(np.log(lo), np.log(hi)))
    active = rng.random(n) < np.asarray(p["active_share"])[tier_idx]
    rate = np.where(active, p["trades_per_year"]["active"], p["trades_per_year"]["passive"])
    trades = rng.poisson(rate)
    contacts = rng.poisson(np.asarray(p["service_contacts"])[tier_idx])

    traded_value = trades * p["trade_size"] * assets
    list_comm = p["list_rate"] * traded_value
    paid_share = np.asarray(p["rate_paid"], dtype=float)[tier_idx]
    concession = (1 - paid_share) * list_comm
    rm = (np.asarray(p["tiers"])[tier_idx] == "large").astype(int)
    cost = (trades * p["cost_per_trade"] + contacts * p["cost_per_contact"]
            + p["account_cost"] + rm * p["rm_cost"])

    data = pd.DataFrame({
        "customer_id": np.arange(1, n + 1),
        "assets": assets.round(2),
        "asset_tier": pd.Categorical.from_codes(tier_idx, categories=list(p["tiers"]), ordered=True),
        "trader_type": np.where(active, "active", "passive"),
        "trades": trades,
        "traded_value": traded_value,
        "list_commission": list_comm,
        "concession": concession,
        "commission": list_comm - concession,
        "service_contacts": contacts,
        "relationship_manager": rm,
        "profit": list_comm - concession - cost,
    })
    # Expected annual profit given assets and trader type (replaces Poisson draws by their means).
    exp_contacts = np.asarray(p["service_contacts"])[tier_idx]
    exp_profit = (p["list_rate"] * p["trade_size"] * assets * rate * paid_share
                  - rate * p["cost_per_trade"] - exp_contacts * p["cost_per_contact"]
                  - p["account_cost"] - rm * p["rm_cost"])
    truth = {
        "params": p,
        "cost_spec": {
            "concessions": "concession",
            "trade handling": ("trades", p["cost_per_trade"]),
            "service contacts": ("service_contacts", p["cost_per_contact"]),
            "relationship manager": ("relationship_manager", p["rm_cost"]),
            "account maintenance": p["account_cost"],
        },
        "expected_profit": pd.Series(exp_profit, index=data["customer_id"], name="expected_profit"),
        "cells": _expected_cells(p),
    }
    return BrokerageSample(data=data, truth=truth)


# --------------------------------------------------------------------------
# C17: a punitive small-balance fee
# --------------------------------------------------------------------------


@dataclass
class FeePolicyResult:
    """Outcome of :func:`simulate_fee_policy`.

    Attributes
    ----------
    customers : DataFrame
        Per customer: ``p_month`` (chance a month-end balance is below the
        threshold), ``p_charged`` (chance of at least one fee in a year),
        ``fee_per_year`` (expected fee while a customer), ``retention_with``,
        ``equity_without``, ``equity_with`` (expected discounted profit over
        the horizon).
    years : DataFrame
        Per year and scenario (``"no fee"``, ``"fee"``): expected
        ``customers``, ``profit`` (profit before fees plus fees),
        ``fees``, and the simulated (seeded) ``customers_simulated`` and
        ``profit_simulated``.
    equity_without_, equity_with_ : float
        Expected customer equity (sum of discounted expected profit).
    simulated_equity_without_, simulated_equity_with_ : float
        The same from one seeded simulation of who stays and who is charged.
    break_even_drop_ : float
        The retention drop among charged customers at which the fee leaves
        equity unchanged (NaN if the fee loses equity even at zero drop).
    params : dict
    """

    customers: pd.DataFrame
    years: pd.DataFrame
    equity_without_: float
    equity_with_: float
    simulated_equity_without_: float
    simulated_equity_with_: float
    break_even_drop_: float
    params: dict = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Year-1 profit and retention and equity, with and without the fee."""
        y = self.years
        first = y[y["year"] == 1].set_index("scenario")
        second = y[y["year"] == 2].set_index("scenario")
        out = pd.DataFrame({
            "year1_profit": first["profit"],
            "year1_fees": first["fees"],
            "year2_customers": second["customers"],
            "retention_year1": second["customers"] / first["customers"],
            "equity": pd.Series({"no fee": self.equity_without_, "fee": self.equity_with_}),
            "equity_simulated": pd.Series({"no fee": self.simulated_equity_without_,
                                           "fee": self.simulated_equity_with_}),
        })
        return out.loc[["no fee", "fee"]]


def _fee_equity(profit, fee_year, p_charged, retention, drop, horizon, discount, spillover=0.0):
    """Expected discounted profit per customer and year, closed form (see simulate_fee_policy)."""
    r = retention - drop * p_charged - spillover * (1 - p_charged)
    t = np.arange(horizon)
    # Yearly profit from the start of each year survived: the first year undiscounted.
    disc = discount_factors(int(horizon), discount, periods_per_year=1, timing="start")
    weights = (r[:, None] ** t[None, :]) * disc[None, :]
    return (profit + fee_year)[:, None] * weights


def simulate_fee_policy(
    customers: pd.DataFrame,
    *,
    profit: str = "expected_profit",
    assets: str = "assets",
    trader_type: str = "trader_type",
    fee_per_month: float = 10.0,
    threshold: float = 20_000.0,
    assessment: str = "month-end",
    balance_volatility: dict | None = None,
    retention: float = 0.85,
    retention_drop: float = 0.15,
    spillover: float = 0.0,
    discount_rate: float = 0.10,
    horizon: int = 10,
    seed: int | np.random.Generator | None = 0,
) -> FeePolicyResult:
    """Simulate a punitive small-balance fee: more revenue now, fewer customers later (C17).

    The seed text *Dancing to the customer's steps* criticises a bank that
    settles each customer's balance monthly and charges a penalty account fee
    when it is low, forgetting the customer's history.  Mechanisms:

    1. A customer's month-end balance is ``assets * exp(s Z - s^2 / 2)``, Z
       standard normal, independent across months; ``s`` is the balance
       volatility of the trader type (default 0.2 passive, 0.6 active:
       active traders move money in and out).  With
       ``assessment="month-end"`` the fee (``fee_per_month``) is charged in
       every month whose balance is below ``threshold``, so it also hits
       valuable active traders in a low month.  With ``"average"`` only
       customers whose assets (the average balance) are below the threshold
       pay, every month.
    2. A customer charged at least once in a year stays to the next year with
       probability ``retention - retention_drop``; others with
       ``retention - spillover`` (``spillover`` > 0: the policy also costs the
       trust of customers it does not charge, e.g. by word of mouth).
    3. Profit per year alive is the customer's ``profit`` plus fees paid.
       Customer equity is the discounted sum over ``horizon`` years (year 1
       undiscounted, paid at the start of each year).

    With ``q`` the monthly chance of a low balance and ``c = 1 - (1 - q)^12``
    the yearly chance of being charged, the expected equity of a customer is
    ``(profit + 12 q fee) * sum_t ((retention - drop c - spillover (1 - c)) / (1 + d))^t``;
    the
    seeded simulation draws months and departures and should agree on
    average.

    Parameters
    ----------
    customers : DataFrame
        One row per customer, e.g. ``simulate_brokerage_customers().data``
        joined with ``truth["expected_profit"]``; never modified.
    profit, assets, trader_type : str
        Columns: annual profit before fees, average balance, and
        ``"active"``/``"passive"`` (only used for the volatility).
    fee_per_month, threshold : float
        The fee and the balance below which it is charged.
    assessment : {"month-end", "average"}
    balance_volatility : dict, optional
        ``{"passive": 0.2, "active": 0.6}`` by default.
    retention, retention_drop : float
        Yearly retention and its drop for customers charged in the year.
    spillover : float, default 0
        Retention drop of customers not charged in the year.
    discount_rate : float, default 0.10
    horizon : int, default 10
        Years.
    seed : int or Generator, optional

    Returns
    -------
    FeePolicyResult

    Examples
    --------
    >>> data, truth = simulate_brokerage_customers(2_000, seed=3)
    >>> base = data.assign(expected_profit=truth["expected_profit"].to_numpy())
    >>> res = simulate_fee_policy(base, seed=3)
    >>> year1 = res.summary()["year1_profit"]
    >>> bool(year1["fee"] > year1["no fee"])
    True
    """
    where = "simulate_fee_policy"
    require_frame(customers, where, empty="no customers")
    require_columns(customers, {"profit": profit, "assets": assets, "trader_type": trader_type},
                    where, frame="customers")
    if assessment not in ("month-end", "average"):
        raise CRMDataError(f"{where}: assessment must be 'month-end' or 'average', got {assessment!r}.")
    if not (0 <= retention_drop <= retention <= 1 and 0 <= spillover <= retention):
        raise CRMDataError(f"{where}: need 0 <= retention_drop, spillover <= retention <= 1.")
    vol = {"passive": 0.2, "active": 0.6, **(balance_volatility or {})}
    types = customers[trader_type].astype(str)
    unknown = ~types.isin(list(vol))
    if unknown.any():
        raise CRMDataError(f"{where}: column {trader_type!r} has types without a volatility: "
                           f"{sorted(types[unknown].unique())[:5]}.")
    prof = numeric_column(customers, profit, where, finite=False).to_numpy()
    bal = numeric_column(customers, assets, where, finite=False).to_numpy()
    if (bal <= 0).any():
        raise CRMDataError(f"{where}: column {assets!r} must be positive; "
                           + describe_rows(customers, bal <= 0, [assets]))
    s = types.map(vol).to_numpy(dtype=float)

    if assessment == "month-end":
        q = norm.cdf((np.log(threshold / bal) + s**2 / 2) / s)
    else:
        q = (bal < threshold).astype(float)
    p_charged = 1 - (1 - q) ** 12
    fee_year = 12 * q * fee_per_month
    zeros = np.zeros_like(prof)
    w_without = _fee_equity(prof, zeros, zeros, retention, 0.0, horizon, discount_rate)
    w_with = _fee_equity(prof, fee_year, p_charged, retention, retention_drop, horizon,
                         discount_rate, spillover)

    def equity_at(drop: float) -> float:
        return float(_fee_equity(prof, fee_year, p_charged, retention, drop, horizon,
                                 discount_rate, spillover).sum())

    base_equity = float(w_without.sum())
    if equity_at(0.0) < base_equity:
        break_even = np.nan
    elif equity_at(retention) >= base_equity:
        break_even = float(retention)
    else:  # equity is decreasing in the drop: bisect
        lo_, hi_ = 0.0, float(retention)
        for _ in range(60):
            mid = (lo_ + hi_) / 2
            lo_, hi_ = (mid, hi_) if equity_at(mid) >= base_equity else (lo_, mid)
        break_even = (lo_ + hi_) / 2

    # Expected yearly totals: survival to the start of year t times yearly amounts.
    disc = discount_factors(int(horizon), discount_rate, periods_per_year=1, timing="start")
    r_with = retention - retention_drop * p_charged - spillover * (1 - p_charged)
    t = np.arange(horizon)
    alive_without = np.repeat((retention ** t)[None, :], len(prof), axis=0)
    alive_with = r_with[:, None] ** t[None, :]

    # One seeded simulation of months below threshold and departures.  An int
    # seed is mixed with a constant so that passing the seed that generated the
    # customers does not replay the same uniforms (which would tie departures
    # to the tier draws).
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng([0xFEE, seed or 0])
    n = len(prof)
    sim = {}
    for name, fee_on in (("no fee", False), ("fee", True)):
        alive = np.ones(n, dtype=bool)
        counts, profits = [], []
        for _ in range(horizon):
            months = rng.binomial(12, q) if fee_on else np.zeros(n, dtype=int)
            year_profit = np.where(alive, prof + months * fee_per_month, 0.0)
            counts.append(int(alive.sum()))
            profits.append(float(year_profit.sum()))
            keep_p = (np.where(months > 0, retention - retention_drop, retention - spillover)
                      if fee_on else np.full(n, retention))
            alive = alive & (rng.random(n) < keep_p)
        sim[name] = (np.array(counts), np.array(profits))

    rows = []
    for name, alive_m, fees in (("no fee", alive_without, zeros), ("fee", alive_with, fee_year)):
        for k in range(horizon):
            rows.append({
                "year": k + 1, "scenario": name,
                "customers": float(alive_m[:, k].sum()),
                "profit": float((alive_m[:, k] * (prof + fees)).sum()),
                "fees": float((alive_m[:, k] * fees).sum()),
                "customers_simulated": float(sim[name][0][k]),
                "profit_simulated": float(sim[name][1][k]),
            })
    years = pd.DataFrame(rows)
    table = pd.DataFrame({
        "p_month": q, "p_charged": p_charged, "fee_per_year": fee_year,
        "retention_with": r_with,
        "equity_without": w_without.sum(axis=1), "equity_with": w_with.sum(axis=1),
    }, index=customers.index)
    return FeePolicyResult(
        customers=table,
        years=years,
        equity_without_=base_equity,
        equity_with_=float(w_with.sum()),
        simulated_equity_without_=float((sim["no fee"][1] * disc).sum()),
        simulated_equity_with_=float((sim["fee"][1] * disc).sum()),
        break_even_drop_=float(break_even),
        params={"fee_per_month": fee_per_month, "threshold": threshold, "assessment": assessment,
                "balance_volatility": vol, "retention": retention, "retention_drop": retention_drop,
                "spillover": spillover,
                "discount_rate": discount_rate, "horizon": horizon},
    )
