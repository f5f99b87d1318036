"""The brokerage simulator reproduces its stated truth; the fee-policy model its closed form."""

import numpy as np
import pandas as pd
import pytest

from crm_analysis import CRMDataError, customer_profitability, profit_by_segment
from crm_analysis.simulate import (
    BROKERAGE_DEFAULTS,
    simulate_brokerage_customers,
    simulate_fee_policy,
)


@pytest.fixture(scope="module")
def big():
    return simulate_brokerage_customers(100_000, seed=11)


def test_truth_cells_match_hand_computation():
    cells = simulate_brokerage_customers(10, seed=0).truth["cells"]
    mean_assets_mid = (500_000 - 50_000) / np.log(10)  # log-uniform mean
    list_comm = 0.0025 * 0.10 * mean_assets_mid * 40
    expected = 0.8 * list_comm - (40 * 2.0 + 2.0 * 40.0 + 15.0)
    assert cells.loc[("mid", "active"), "profit"] == pytest.approx(expected)
    assert cells.loc[("mid", "active"), "population_share"] == pytest.approx(0.30 * 0.35)
    mean_assets_large = (5_000_000 - 500_000) / np.log(10)
    large_passive = 0.3 * 0.00025 * mean_assets_large * 4 - (4 * 2.0 + 12 * 40.0 + 15.0 + 1_500.0)
    assert cells.loc[("large", "passive"), "profit"] == pytest.approx(large_passive)
    assert cells["profit_share"].sum() == pytest.approx(1.0)
    assert cells["population_share"].sum() == pytest.approx(1.0)


def test_stated_c14_finding_holds_in_truth():
    cells = simulate_brokerage_customers(10, seed=0).truth["cells"]
    by_tier = cells.groupby(level=0, sort=False)[["profit_share", "revenue_share"]].sum()
    # The figures stated in the docstring.
    assert by_tier.loc["large", "revenue_share"] == pytest.approx(0.72, abs=0.005)  # big clients bring the revenue...
    assert by_tier.loc["large", "profit_share"] == pytest.approx(0.08, abs=0.005)  # ...but not the profit
    assert cells["profit_share"].idxmax() == ("mid", "active")
    assert cells.loc[("mid", "active"), "profit_share"] == pytest.approx(0.85, abs=0.005)
    assert cells.loc[("mid", "active"), "revenue_share"] == pytest.approx(0.20, abs=0.005)
    assert cells.loc[("small", "passive"), "profit"] < 0 and cells.loc[("large", "passive"), "profit"] < 0


def test_simulated_cells_reproduce_truth(big):
    data, truth = big
    cells = truth["cells"]
    grouped = data.groupby(["asset_tier", "trader_type"], observed=True)["profit"]
    n = len(data)
    for key, row in cells.iterrows():
        values = grouped.get_group(key)
        se = values.std() / np.sqrt(len(values))
        assert values.mean() == pytest.approx(row["profit"], abs=4.5 * se), key
        share_se = np.sqrt(row["population_share"] * (1 - row["population_share"]) / n)
        assert len(values) / n == pytest.approx(row["population_share"], abs=4.5 * share_se), key
    seg = profit_by_segment(data.assign(revenue=data["list_commission"]), ["asset_tier", "trader_type"])
    assert seg["profit_share"].idxmax() == ("mid", "active")


def test_mechanisms_exact(big):
    data, truth = big
    p = truth["params"]
    ratio = (data["commission"] / data["list_commission"]).groupby(data["asset_tier"], observed=True).agg(["min", "max"])
    for tier, share in zip(p["tiers"], p["rate_paid"], strict=True):
        assert ratio.loc[tier, "min"] == pytest.approx(share) and ratio.loc[tier, "max"] == pytest.approx(share)
    assert (data["relationship_manager"] == (data["asset_tier"] == "large")).all()
    for tier, (lo, hi) in zip(p["tiers"], p["asset_bounds"], strict=True):
        a = data.loc[data["asset_tier"] == tier, "assets"]
        assert a.min() >= lo - 0.01 and a.max() <= hi + 0.01
    trades = data.groupby("trader_type")["trades"].mean()
    assert trades["active"] == pytest.approx(40, rel=0.01) and trades["passive"] == pytest.approx(4, rel=0.02)
    contacts = data.groupby("asset_tier", observed=True)["service_contacts"].mean()
    assert contacts.tolist() == pytest.approx([0.5, 2.0, 12.0], rel=0.03)


def test_cost_spec_reproduces_profit_exactly(big):
    data, truth = big
    res = customer_profitability(data, revenue="list_commission", costs=truth["cost_spec"])
    np.testing.assert_allclose(res.table["profit"].to_numpy(), data["profit"].to_numpy(), rtol=1e-10, atol=1e-8)
    # Expected profit is the conditional mean: residuals average to ~0.
    resid = data["profit"].to_numpy() - truth["expected_profit"].to_numpy()
    assert abs(resid.mean()) < 4 * resid.std() / np.sqrt(len(resid))


def test_seed_and_overrides():
    a = simulate_brokerage_customers(200, seed=5).data
    b = simulate_brokerage_customers(200, seed=5).data
    c = simulate_brokerage_customers(200, seed=6).data
    pd.testing.assert_frame_equal(a, b)
    assert not a["assets"].equals(c["assets"])
    flat = simulate_brokerage_customers(200, seed=5, rate_paid=(1.0, 1.0, 1.0)).data
    assert (flat["concession"] == 0).all()
    assert BROKERAGE_DEFAULTS["rate_paid"] == (1.00, 0.80, 0.30)


@pytest.mark.parametrize(
    "args, kwargs, message",
    [((10,), {"seed": 0, "colour": "red"}, "unknown parameter"),
     ((0,), {}, "positive integer")],
    ids=["unknown-parameter", "zero-customers"],
)
def test_customers_bad_input(args, kwargs, message):
    with pytest.raises(CRMDataError, match=message):
        simulate_brokerage_customers(*args, **kwargs)


# ---------------------------------------------------------------- fee policy

@pytest.fixture(scope="module")
def fee_base():
    data, truth = simulate_brokerage_customers(20_000, seed=4)
    return data.assign(expected_profit=truth["expected_profit"].to_numpy())


def test_fee_policy_short_term_up_retention_down(fee_base):
    res = simulate_fee_policy(fee_base, seed=4)
    s = res.summary()
    fees = res.customers["fee_per_year"].sum()
    assert s.loc["fee", "year1_profit"] == pytest.approx(s.loc["no fee", "year1_profit"] + fees)
    assert s.loc["fee", "retention_year1"] < s.loc["no fee", "retention_year1"] == pytest.approx(0.85)
    # Year-1 retention with the fee = 0.85 - 0.15 * (share charged) in expectation.
    assert s.loc["fee", "retention_year1"] == pytest.approx(0.85 - 0.15 * res.customers["p_charged"].mean())


def test_fee_policy_closed_form_against_hand_formula(fee_base):
    res = simulate_fee_policy(fee_base, seed=1, retention=0.8, retention_drop=0.2, spillover=0.05,
                              discount_rate=0.1, horizon=4)
    c = res.customers
    r = 0.8 - 0.2 * c["p_charged"] - 0.05 * (1 - c["p_charged"])
    factor = sum((r / 1.1) ** t for t in range(4))
    hand = ((fee_base["expected_profit"] + c["fee_per_year"]) * factor).sum()
    assert res.equity_with_ == pytest.approx(hand)
    assert res.equity_without_ == pytest.approx(fee_base["expected_profit"].sum() * sum((0.8 / 1.1) ** t for t in range(4)))


def test_month_end_probability_matches_monte_carlo():
    one = pd.DataFrame({"expected_profit": [100.0], "assets": [30_000.0], "trader_type": ["active"]})
    res = simulate_fee_policy(one, threshold=20_000, seed=0, horizon=2)
    rng = np.random.default_rng(99)
    z = rng.standard_normal(400_000)
    balance = 30_000 * np.exp(0.6 * z - 0.6**2 / 2)
    q = (balance < 20_000).mean()
    assert res.customers["p_month"].iloc[0] == pytest.approx(q, abs=0.003)
    assert res.customers["p_charged"].iloc[0] == pytest.approx(1 - (1 - q) ** 12, abs=0.01)


def test_average_assessment_charges_exactly_the_small_balances(fee_base):
    res = simulate_fee_policy(fee_base, assessment="average", seed=0)
    below = fee_base["assets"] < 20_000
    assert (res.customers["p_charged"] == below.astype(float)).all()
    assert (res.customers.loc[below, "fee_per_year"] == 120.0).all()


def test_simulation_agrees_with_expectation_and_seed_is_not_replayed():
    # Same seed as the customers: the fee simulation must use its own stream.
    data, truth = simulate_brokerage_customers(30_000, seed=1)
    base = data.assign(expected_profit=truth["expected_profit"].to_numpy())
    res = simulate_fee_policy(base, seed=1)
    assert res.simulated_equity_without_ == pytest.approx(res.equity_without_, rel=0.03)
    assert res.simulated_equity_with_ == pytest.approx(res.equity_with_, rel=0.03)
    y = res.years
    np.testing.assert_allclose(y["customers_simulated"], y["customers"], rtol=0.03)


def test_break_even_and_no_drop_cases(fee_base):
    free = simulate_fee_policy(fee_base, retention_drop=0.0, seed=0)
    assert free.equity_with_ >= free.equity_without_  # a fee nobody reacts to only adds revenue
    res = simulate_fee_policy(fee_base, seed=0, balance_volatility={"active": 1.0})
    be = res.break_even_drop_
    assert 0 < be < 0.85
    at = simulate_fee_policy(fee_base, seed=0, balance_volatility={"active": 1.0}, retention_drop=be)
    assert at.equity_with_ == pytest.approx(at.equity_without_, rel=1e-6)


@pytest.mark.parametrize(
    "change, kwargs, message",
    [(lambda d: d.drop(columns="assets"), {}, "not found"),
     (None, {"assessment": "weekly"}, "assessment"),
     (lambda d: d.assign(trader_type="day trader"), {}, "volatility"),
     (None, {"retention": 0.5, "retention_drop": 0.6}, "retention")],
    ids=["missing-column", "unknown-assessment", "unknown-trader-type", "drop-above-retention"],
)
def test_fee_policy_bad_input(fee_base, change, kwargs, message):
    data = change(fee_base) if change is not None else fee_base
    with pytest.raises(CRMDataError, match=message):
        simulate_fee_policy(data, **kwargs)
