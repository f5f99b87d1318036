"""The one discounting rule: closed forms, brute-force loops, and every caller equal to it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import crm_analysis as crm
from crm_analysis import CRMDataError
from crm_analysis.discounting import (
    discount_factors,
    geometric_annuity,
    increment_weights,
    period_rate,
    present_value_of_increments,
)

BG = crm.BTYDModel.from_params("bgnbd", [0.243, 4.414, 0.793, 2.426])  # Fader, Hardie & Lee 2005
ONE = pd.DataFrame({"frequency": [2.0, 0.0, 7.0], "recency": [30.43, 0.0, 35.0],
                    "T": [38.86, 38.86, 38.0]})


# --------------------------------------------------------------------------- period_rate


@pytest.mark.parametrize("periods", [1, 4, 12, 52, 365])
def test_period_rate_compounds_back_to_the_annual_rate(periods):
    assert (1 + period_rate(0.1, periods)) ** periods == pytest.approx(1.1, rel=1e-13)


def test_period_rate_is_the_root_of_the_annual_factor():
    # 10 % a year per week: 1.1^(1/52) - 1, written out independently with logs.
    assert period_rate(0.1, 52) == pytest.approx(math.expm1(math.log(1.1) / 52), rel=1e-12)


@pytest.mark.parametrize("rate, periods", [(-0.1, 52), (float("nan"), 52), (0.1, 0), (0.1, -12)],
                         ids=["negative-rate", "nan-rate", "zero-periods", "negative-periods"])
def test_period_rate_rejects(rate, periods):
    with pytest.raises(CRMDataError, match="^period_rate:"):
        period_rate(rate, periods)


# --------------------------------------------------------------------------- discount_factors


@pytest.mark.parametrize("timing, first_time", [("end", 1.0), ("middle", 0.5), ("start", 0.0)])
def test_factors_equal_a_brute_force_loop(timing, first_time):
    d, n = 0.08, 10
    expected = []
    for k in range(n):
        expected.append(1.0 / (1.0 + d) ** (first_time + k))
    got = discount_factors(n, d, periods_per_year=1, timing=timing)
    np.testing.assert_allclose(got, expected, rtol=1e-14)


@pytest.mark.parametrize("timing, shift", [("end", 0.0), ("middle", 0.5), ("start", 1.0)])
def test_sum_of_factors_is_the_annuity_closed_form(timing, shift):
    # sum_{k=1..n} v^k = v (1 - v^n) / (1 - v), v = 1/(1+d); earlier timings multiply by (1+d)^s.
    d, n = 0.05, 30
    v = 1 / (1 + d)
    annuity = v * (1 - v**n) / (1 - v) * (1 + d) ** shift
    assert discount_factors(n, d, periods_per_year=1, timing=timing).sum() == pytest.approx(
        annuity, rel=1e-13)


def test_weekly_factors_of_an_annual_rate_reach_one_year_at_week_52():
    f = discount_factors(104, 0.1, periods_per_year=52)
    assert f[51] == pytest.approx(1 / 1.1, rel=1e-13)
    assert f[103] == pytest.approx(1 / 1.1**2, rel=1e-13)


def test_finer_periods_approach_continuous_discounting():
    # One unit a year spread over n payments of 1/n tends to the integral
    # int_0^1 e^(-delta t) dt = (1 - e^-delta) / delta, delta = ln(1 + d).
    d = 0.1
    delta = math.log(1 + d)
    limit = (1 - math.exp(-delta)) / delta
    errors = []
    for n in (12, 120, 1200):
        pv = discount_factors(n, d, periods_per_year=n, timing="end").sum() / n
        errors.append(abs(pv - limit))
    # End-of-period payment is late by half a period on average: error ~ delta / (2 n).
    for n, err in zip((12, 120, 1200), errors, strict=True):
        assert err == pytest.approx(limit * delta / (2 * n), rel=0.01)
    # The mid-period convention is the better approximation of a spread flow.
    mid = discount_factors(12, d, periods_per_year=12, timing="middle").sum() / 12
    assert abs(mid - limit) < errors[0] / 100


def test_delay_shifts_every_factor():
    d = 0.1
    base = discount_factors(5, d, periods_per_year=1)
    np.testing.assert_allclose(discount_factors(5, d, periods_per_year=1, delay=2.0),
                               base / 1.1**2, rtol=1e-14)


def test_zero_rate_gives_ones_and_zero_periods_an_empty_array():
    np.testing.assert_array_equal(discount_factors(4, 0.0, periods_per_year=12), np.ones(4))
    assert discount_factors(0, 0.1, periods_per_year=1).shape == (0,)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_periods": -1}, "n_periods"),
        ({"n_periods": 2.5}, "n_periods"),
        ({"discount_rate": -0.01}, "discount_rate"),
        ({"discount_rate": float("inf")}, "discount_rate"),
        ({"periods_per_year": 0}, "periods_per_year"),
        ({"timing": "beginning"}, "timing"),
        ({"delay": -1.0}, "delay"),
    ],
    ids=["negative-n", "fractional-n", "negative-rate", "infinite-rate", "zero-periods",
         "unknown-timing", "negative-delay"],
)
def test_discount_factors_rejects(kwargs, match):
    args = {"n_periods": 3, "discount_rate": 0.1, "periods_per_year": 1, **kwargs}
    n, d = args.pop("n_periods"), args.pop("discount_rate")
    with pytest.raises(CRMDataError, match=f"^discount_factors: {match}"):
        discount_factors(n, d, **args)


# --------------------------------------------------------------------------- increments


def test_increments_equal_a_brute_force_loop():
    rng = np.random.default_rng(0)
    cum_at = {t: rng.uniform(0, 5, 3).cumsum() for t in (1.5, 3.0, 4.5)}
    # make the flow increasing in t
    cum_at[3.0] = cum_at[1.5] + cum_at[3.0]
    cum_at[4.5] = cum_at[3.0] + cum_at[4.5]
    d, ppy, delay = 0.2, 3.0, 0.5
    expected = np.zeros(3)
    prev = np.zeros(3)
    for t in (1.5, 3.0, 4.5):
        expected += (cum_at[t] - prev) * (1 + d) ** (-(t + delay) / ppy)
        prev = cum_at[t]
    got = present_value_of_increments(lambda t: cum_at[float(t)], [1.5, 3.0, 4.5], d,
                                      periods_per_year=ppy, delay=delay)
    np.testing.assert_allclose(got, expected, rtol=1e-14)


def test_a_linear_flow_at_whole_periods_is_the_end_annuity():
    got = present_value_of_increments(lambda t: np.array([3.0 * t]), np.arange(1, 11), 0.07,
                                      periods_per_year=1)
    assert got[0] == pytest.approx(3.0 * discount_factors(10, 0.07, periods_per_year=1).sum(),
                                   rel=1e-14)


@pytest.mark.parametrize("d, ppy, delay", [(0.2, 3.0, 0.5), (0.0, 1.0, 0.0), (0.1, 52.0, 4.0)],
                         ids=["rate", "undiscounted", "weekly-delay"])
def test_increment_weights_value_the_increments(d, ppy, delay):
    # Weighted values of the flow equal the increments discounted one by one (brute-force loop).
    rng = np.random.default_rng(3)
    times = np.cumsum(rng.uniform(0.2, 2.0, 12))
    flow = np.cumsum(rng.uniform(0.0, 3.0, (12, 4)), axis=0)  # four increasing flows
    expected = np.zeros(4)
    prev = np.zeros(4)
    for t, c in zip(times, flow, strict=True):
        expected += (c - prev) / (1 + d) ** ((t + delay) / ppy)
        prev = c
    w = increment_weights(times, d, periods_per_year=ppy, delay=delay)
    assert (w >= 0).all()  # positive weights: no cancellation
    np.testing.assert_allclose(w @ flow, expected, rtol=1e-13)


@pytest.mark.parametrize("times", [[], [0.0, 1.0], [2.0, 1.0]], ids=["empty", "zero", "decreasing"])
def test_increment_weights_reject_bad_times(times):
    with pytest.raises(CRMDataError, match="^increment_weights: times"):
        increment_weights(times, 0.1, periods_per_year=1)


def test_increment_weights_reject_a_negative_delay():
    with pytest.raises(CRMDataError, match="^increment_weights: delay"):
        increment_weights([1.0, 2.0], 0.1, periods_per_year=1, delay=-1.0)


@pytest.mark.parametrize("times", [[], [0.0, 1.0], [2.0, 1.0], [1.0, 1.0], [1.0, float("nan")]],
                         ids=["empty", "zero", "decreasing", "repeated", "nan"])
def test_increments_reject_bad_times(times):
    with pytest.raises(CRMDataError, match="^present_value_of_increments: times"):
        present_value_of_increments(lambda t: np.array([t]), times, 0.1, periods_per_year=1)


# --------------------------------------------------------------------------- geometric annuity


@pytest.mark.parametrize("timing", ["end", "middle", "start"])
@pytest.mark.parametrize("horizon", [1, 7, 40])
def test_annuity_equals_survival_times_factors(timing, horizon):
    r, d = np.array([0.0, 0.5, 0.9, 1.0]), 0.1
    t = np.arange(horizon)
    brute = (r[:, None] ** t * discount_factors(horizon, d, periods_per_year=1,
                                                timing=timing)).sum(axis=1)
    np.testing.assert_allclose(geometric_annuity(r, d, horizon=horizon, timing=timing), brute,
                               rtol=1e-12)


@pytest.mark.parametrize("timing, shift", [("end", 0.0), ("middle", 0.5), ("start", 1.0)])
def test_unlimited_annuity_is_the_perpetuity(timing, shift):
    # sum_{k>=1} r^(k-1) / (1+d)^(k-s) = (1+d)^s / (1 + d - r)
    assert geometric_annuity(0.8, 0.1, timing=timing) == pytest.approx(1.1**shift / 0.3, rel=1e-13)


def test_annuity_without_discount_or_churn_counts_periods():
    # q = 1: the closed form's 0/0 is replaced by its limit H / (1 + d) = H.
    assert geometric_annuity(1.0, 0.0, horizon=12) == pytest.approx(12.0)


@pytest.mark.parametrize("kwargs", [{"horizon": 0}, {"horizon": 2.5}, {"timing": "late"},
                                    {"discount_rate": -0.1}],
                         ids=["zero-horizon", "fractional-horizon", "unknown-timing", "negative-rate"])
def test_annuity_rejects(kwargs):
    args = {"discount_rate": 0.1, **kwargs}
    d = args.pop("discount_rate")
    with pytest.raises(CRMDataError, match="^geometric_annuity:"):
        geometric_annuity(0.8, d, **args)


# --------------------------------------------------------------------------- every caller


def test_clv_is_the_end_timing_sum_of_expected_purchases():
    H, d = 12, 0.01
    length = 365.25 / 12 / 7  # a month in weeks, as customer_lifetime_value converts "M"
    clv = crm.customer_lifetime_value(BG, 35.0, ONE, horizon=H, discount_rate=d, freq=length)
    # brute force: purchases of month k from the model, discounted at the end of month k
    expected = np.zeros(len(ONE))
    prev = np.zeros(len(ONE))
    for k, f in enumerate(discount_factors(H, d, periods_per_year=1, timing="end"), start=1):
        cum = BG.expected_purchases(k * length, ONE).to_numpy()
        expected += (cum - prev) * f
        prev = cum
    np.testing.assert_allclose(clv.to_numpy(), 35.0 * expected, rtol=1e-12)


def test_rebirth_clv_btyd_is_the_increment_sum_at_an_annual_rate():
    hist = pd.DataFrame({"frequency": [2.0, 5.0], "T": [30.0, 38.0],
                         "monetary_value": [20.0, 40.0]})
    got = crm.rebirth_clv_btyd(BG, hist, margin_rate=0.3, horizon=52, step=4, discount_rate=0.1,
                               periods_per_year=52, reactivation_periods=2.0)
    reborn = pd.DataFrame({"frequency": hist["frequency"], "recency": hist["T"], "T": hist["T"]})
    expected = np.zeros(2)
    prev = np.zeros(2)
    for edge in range(4, 53, 4):
        cum = BG.expected_purchases(float(edge), reborn).to_numpy()
        expected += (cum - prev) * 1.1 ** (-(edge + 2.0) / 52)
        prev = cum
    np.testing.assert_allclose(got.to_numpy(), expected * hist["monetary_value"] * 0.3, rtol=1e-12)


def test_rebirth_clv_is_the_start_timing_annuity():
    got = crm.rebirth_clv(100.0, 0.8, discount_rate=0.1, horizon=None, reactivation_periods=1)
    assert float(got) == pytest.approx(100.0 * geometric_annuity(0.8, 0.1, timing="start") / 1.1,
                                       rel=1e-13)
    finite = crm.rebirth_clv(100.0, 0.8, discount_rate=0.1, horizon=5)
    assert float(finite) == pytest.approx(100.0 * geometric_annuity(0.8, 0.1, horizon=5,
                                                                    timing="start"), rel=1e-13)


def test_expected_lifetime_of_the_equity_decomposition_is_the_end_annuity():
    r = np.array([0.3, 0.8, 0.95])
    np.testing.assert_allclose(crm.expected_lifetime(r, discount=0.1, horizon=10),
                               geometric_annuity(r, 0.1, horizon=10, timing="end"), rtol=1e-15)
    table = crm.equity_decomposition(pd.DataFrame({"customers": [100.0], "retention": [0.8],
                                                   "value": [5.0]}), discount=0.1)
    assert float(table["equity"].iloc[0]) == pytest.approx(100 * 5.0 / 0.3, rel=1e-13)


def test_sbg_del_and_derl_are_start_timing_sums():
    # Fader & Hardie (2010) DERL by brute force: sum of survival x "start" factors.
    # "Regular" cohort of Fader & Hardie (2007), survivors of 1000 over seven renewals.
    model = crm.SBGModel().fit([1000, 631, 468, 382, 326, 289, 262, 241])
    n, d = 2000, 0.1
    surv = model.survival(np.arange(n))
    dl = (surv * discount_factors(n, d, periods_per_year=1, timing="start")).sum()
    assert model.del_(d) == pytest.approx(dl, rel=1e-8)
    # residual lifetime after 4 renewals: S(4 + t) / S(4), the period about to renew undiscounted
    renewals = 4
    tail = model.survival(np.arange(renewals + 1, renewals + 1 + n)) / model.survival(renewals)
    derl = (tail * discount_factors(n, d, periods_per_year=1, timing="start")).sum()
    assert model.derl(d, renewals=renewals) == pytest.approx(derl, rel=1e-8)


def test_report_and_loyalty_convert_the_annual_rate_with_period_rate():
    # analyse_client and behavioural_loyalty discount weekly at period_rate(annual, 52).
    log = crm.load_cdnow().head(2000)
    out = crm.behavioural_loyalty(log, amount="amount", annual_discount_rate=0.1)
    summ = crm.rfm_summary(log, amount="amount", freq="D", freq_multiplier=7)
    model = crm.fit_btyd(summ, model="bgnbd")
    expected = crm.customer_lifetime_value(model, out["monetary_value"], summ, horizon=52,
                                           discount_rate=period_rate(0.1, 52), freq=1.0)
    np.testing.assert_allclose(out["clv"].to_numpy(), expected.to_numpy(), rtol=1e-9)
