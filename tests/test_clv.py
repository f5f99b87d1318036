"""BTYD models, CLV and validation against published results and closed forms.

Authorities: Fader, Hardie & Lee (2005a) "Counting your customers the easy way"
(BG/NBD and Pareto/NBD parameters and log-likelihoods on CDNOW, holdout totals),
Fader, Hardie & Lee (2005b) "RFM and CLV" (Gamma-Gamma), Fader, Hardie & Shang
(2010) (BG/BB on donations), the BTYD package walkthrough (conditional
expectations by calibration frequency), closed-form limits and brute force.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

import crm_analysis as crm
from crm_analysis import CRMDataError
from crm_analysis.clv import (
    BTYDModel,
    ModelFitWarning,
    compare_models,
    compare_rankings,
    customer_equity,
    customer_lifetime_value,
    fit_bgbb,
    fit_btyd,
    fit_gamma_gamma,
    holdout_by_frequency,
    holdout_metrics,
    p_alive_history,
    tracking_data,
)

BG_PUB = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PNBD_PUB = {"r": 0.553, "alpha": 10.58, "s": 0.606, "beta": 11.67}
GG_PUB = {"p": 6.25, "q": 3.74, "v": 15.44}
BGBB_PUB = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


@pytest.fixture(scope="module")
def cal(cdnow):
    # From the raw log: same-day purchases combined, continuous weeks, T to the calibration end.
    return crm.rfm_summary(cdnow, amount="amount", freq="D", freq_multiplier=7,
                           calibration_end="1997-09-30", observation_end="1998-06-30")


@pytest.fixture(scope="module")
def bg(cal):
    return fit_btyd(cal, model="bgnbd")


@pytest.fixture(scope="module")
def pnbd(cal):
    return fit_btyd(cal, model="pareto", aggregate=True)


@pytest.fixture(scope="module")
def gg(cal):
    return fit_gamma_gamma(cal)


# --- published reproduction ---------------------------------------------------------------

def test_bgnbd_reproduces_fhl2005(bg):
    for k, v in BG_PUB.items():
        assert bg.params_[k] == pytest.approx(v, rel=0.005)
    # FHL (2005a), section 4: LL = -9,582.4.
    assert bg.log_likelihood_ == pytest.approx(-9582.4, abs=0.1)
    assert bg.n_customers_ == 2357
    assert bg.time_unit == "weeks"


def test_pareto_nbd_reproduces_fhl2005(pnbd):
    for k, v in PNBD_PUB.items():
        assert pnbd.params_[k] == pytest.approx(v, rel=0.005)
    # FHL (2005a): Pareto/NBD LL = -9,595.0.
    assert pnbd.log_likelihood_ == pytest.approx(-9595.0, abs=0.1)


def test_gamma_gamma_reproduces_fhl2005b(gg):
    for k, v in GG_PUB.items():
        assert gg.params_[k] == pytest.approx(v, rel=0.005)
    assert gg.n_excluded_ == 1411  # zero-repeat customers (published frequency table)
    assert gg.n_customers_ == 946
    # FHL (2005b) report a correlation of 0.11 between frequency and average spend.
    assert gg.correlation_ == pytest.approx(0.11, abs=0.01)


def test_bgbb_reproduces_fhs2010():
    m = fit_bgbb(crm.load_donations(), weights="weights", time_unit="years")
    for k, v in BGBB_PUB.items():
        assert m.params_[k] == pytest.approx(v, rel=0.005)
    # Fader, Hardie & Shang (2010): LL = -33,225.6.
    assert m.log_likelihood_ == pytest.approx(-33225.6, abs=0.1)
    assert m.n_customers_ == 11104


HOLDOUT_N = [1411, 439, 214, 100, 62, 38, 29, 64]
HOLDOUT_ACTUAL = [0.237, 0.697, 1.393, 1.560, 2.532, 2.947, 3.862, 6.359]
HOLDOUT_BG = [0.225, 0.523, 1.044, 1.520, 2.164, 2.654, 3.504, 6.157]


def test_holdout_totals_reproduce_published(bg, pnbd, cal):
    m = holdout_metrics([bg, pnbd], cal)
    assert m.loc["BG/NBD", "actual_total"] == 1882
    assert m.loc["BG/NBD", "predicted_total"] == pytest.approx(1653.4, rel=0.01)
    assert m.loc["Pareto/NBD", "predicted_total"] == pytest.approx(1665.5, rel=0.01)
    # MAE/RMSE by brute force.
    pred = bg.expected_purchases(39.0, cal)
    err = pred - cal["frequency_holdout"]
    assert m.loc["BG/NBD", "mae"] == pytest.approx(err.abs().mean())
    assert m.loc["BG/NBD", "rmse"] == pytest.approx(np.sqrt((err**2).mean()))


def test_holdout_by_frequency_reproduces_btyd_walkthrough(bg, cal):
    tab = holdout_by_frequency(bg, cal)
    assert tab.index.tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert tab["customers"].tolist() == HOLDOUT_N
    np.testing.assert_allclose(tab["actual"], HOLDOUT_ACTUAL, rtol=0.01, atol=0.0005)
    np.testing.assert_allclose(tab["predicted"], HOLDOUT_BG, rtol=0.01)


# --- fitting interface ---------------------------------------------------------------------

def test_aggregate_gives_same_parameters(cal, bg):
    agg = fit_btyd(cal, model="bgnbd", aggregate=True)
    assert agg.n_patterns_ < bg.n_patterns_ == 2357
    np.testing.assert_allclose(agg.params_, bg.params_, rtol=1e-5)
    assert agg.log_likelihood_ == pytest.approx(bg.log_likelihood_, abs=1e-6)


def test_standard_errors_match_lifetimes_hessian(bg, cal):
    from lifetimes import BetaGeoFitter

    ref = BetaGeoFitter().fit(cal["frequency_cal"], cal["recency_cal"], cal["T_cal"])
    np.testing.assert_allclose(bg.standard_errors_, ref.standard_errors_, rtol=1e-3)
    s = bg.summary()
    assert list(s.columns) == ["coef", "se", "lower 95%", "upper 95%"]
    # Log-scale (delta-method) intervals: symmetric in log(coef), never below zero.
    z = stats.norm.ppf(0.975)  # the normal quantile of a 95% interval (1.959964)
    np.testing.assert_allclose(np.log(s["upper 95%"] / s["coef"]), z * s["se"] / s["coef"])
    np.testing.assert_allclose(np.log(s["coef"] / s["lower 95%"]), z * s["se"] / s["coef"])


def test_summary_intervals_stay_positive(pnbd):
    # Pareto/NBD beta on CDNOW: coef 11.67, se 6.2, so coef - 1.96 se < 0 (issue 18, item 10).
    s = pnbd.summary()
    assert (s["coef"] - 1.96 * s["se"]).loc["beta"] < 0
    assert (s["lower 95%"] > 0).all()
    assert ((s["lower 95%"] < s["coef"]) & (s["coef"] < s["upper 95%"])).all()


def test_information_criteria(bg):
    assert bg.aic_ == pytest.approx(2 * 4 - 2 * bg.log_likelihood_)
    assert bg.bic_ == pytest.approx(4 * np.log(2357) - 2 * bg.log_likelihood_)


def test_compare_models_uses_given_fits_and_holdout(bg, pnbd, cal):
    table = compare_models(cal, [bg, pnbd])
    assert table.index.tolist() == ["BG/NBD", "Pareto/NBD"]
    assert table.loc["Pareto/NBD", "log_likelihood"] == pnbd.log_likelihood_
    assert {"aic", "bic", "mae", "rmse", "predicted_total"} <= set(table.columns)


def test_fit_does_not_mutate_input(cal):
    before = cal.copy()
    fit_btyd(cal, model="mbgnbd", aggregate=True)
    fit_gamma_gamma(cal)
    pd.testing.assert_frame_equal(cal, before)


# --- predictions ---------------------------------------------------------------------------

def test_predictions_indexed_like_data(bg, cal):
    sub = cal.iloc[[5, 2, 40]]
    for s in (bg.p_alive(sub), bg.expected_purchases(10, sub)):
        assert s.index.equals(sub.index)
        assert s.notna().all()


def test_p_alive_increases_with_recency(bg, pnbd):
    grid = pd.DataFrame({"frequency": 3.0, "recency": np.linspace(0.5, 38, 30), "T": 38.86})
    for m in (bg, pnbd):
        p = m.p_alive(grid).to_numpy()
        assert np.all(np.diff(p) > 0)
        assert np.all((p >= 0) & (p <= 1))


def test_bgnbd_p_alive_closed_form(bg):
    # Fader, Hardie & Lee (2005a), eq. (A.? in note 021): 1 / (1 + a/(b+x-1) ((alpha+T)/(alpha+tx))^(r+x)).
    r, alpha, a, b = bg.params_
    x, tx, T = 4.0, 20.0, 38.0
    expected = 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x))
    got = bg.p_alive(pd.DataFrame({"frequency": [x], "recency": [tx], "T": [T]})).iloc[0]
    assert got == pytest.approx(expected)


def test_expected_purchases_new_matches_numeric_integral(bg):
    # E[X(t)] for BG/NBD equals the integral over lambda ~ Gamma(r, alpha) and p ~ Beta(a, b)
    # of (1 - (1-p)^N) ... checked here by simulation-free quadrature of the closed form
    # E[X(t) | lambda, p] = (1 - exp(-lambda p t)) / p.
    r, alpha, a, b = bg.params_
    t = 20.0
    from scipy import stats

    def inner(p):
        # E over lambda of (1 - exp(-lambda p t)) / p, lambda ~ Gamma(r, rate alpha).
        return (1 - (alpha / (alpha + p * t)) ** r) / p * stats.beta.pdf(p, a, b)

    expected, _ = integrate.quad(inner, 0, 1, limit=200)
    assert bg.expected_purchases_new(t) == pytest.approx(expected, rel=1e-4)
    curve = bg.expected_purchases_new([0.0, 10.0, 20.0])
    assert curve.iloc[0] == 0 and curve.is_monotonic_increasing


def test_bgbb_scalar_inputs_work():
    # lifetimes' BG/BB conditional expectations fail on Python scalars; ours take one-row frames.
    m = fit_bgbb(crm.load_donations(), weights="weights")
    one = pd.DataFrame({"frequency": [3], "recency": [4], "periods": [6]})
    e = m.expected_purchases(5, one)
    p = m.p_alive(one)
    assert e.shape == (1,) and 0 < e.iloc[0] < 5
    assert 0 < p.iloc[0] < 1
    # The unconditional expectation (FHS 2010 eq. 8) equals the mean conditional
    # expectation at n = 0 for a brand-new customer: E[X(n)] over the population.
    newbie = pd.DataFrame({"frequency": [0], "recency": [0], "periods": [0]})
    assert m.expected_purchases(6, newbie).iloc[0] == pytest.approx(m.expected_purchases_new(6), rel=1e-6)


# --- CLV and equity --------------------------------------------------------------------------

class _LinearModel:
    """Constant purchase rate, no dropout: E[X(t)] = rate * t."""

    time_unit = "weeks"

    def __init__(self, rate):
        self.rate = rate

    def expected_purchases(self, t, data):
        return pd.Series(self.rate * t, index=data.index)


def test_clv_closed_form_annuity():
    data = pd.DataFrame(index=["a", "b"])
    rate, spend, d, H, margin = 0.5, 40.0, 0.02, 24, 0.3
    clv = customer_lifetime_value(_LinearModel(rate), spend, data, horizon=H,
                                  discount_rate=d, margin=margin)
    annuity = (1 - (1 + d) ** -H) / d
    assert clv.tolist() == pytest.approx([margin * spend * rate * annuity] * 2)


def test_clv_bgnbd_without_dropout_is_annuity():
    # a -> 0: no dropout, E[X(t) | x, T] = (r + x) / (alpha + T) * t.
    r, alpha = 0.5, 10.0
    m = BTYDModel.from_params("bgnbd", [r, alpha, 1e-9, 2.0])
    data = pd.DataFrame({"frequency": [0.0, 3.0], "recency": [0.0, 20.0], "T": [30.0, 30.0]})
    clv = customer_lifetime_value(m, 10.0, data, horizon=10, discount_rate=0.01)
    lam = (r + data["frequency"]) / (alpha + data["T"])
    annuity = (1 - 1.01 ** -10) / 0.01
    np.testing.assert_allclose(clv, 10.0 * lam * annuity, rtol=1e-6)
    # A discount period of 4 model time units, given by its length (the old spelling of
    # freq), still works for one release and warns.
    with pytest.warns(DeprecationWarning, match="customer_lifetime_value: a number as freq"):
        clv4 = customer_lifetime_value(m, 10.0, data, horizon=10, discount_rate=0.01, freq=4.0)
    np.testing.assert_allclose(clv4, 10.0 * lam * 4.0 * annuity, rtol=1e-6)
    # The calendar spelling of the same period (the model is in weeks).
    four_weeks = customer_lifetime_value(m, 10.0, data, horizon=10, discount_rate=0.01, freq="4W")
    np.testing.assert_allclose(four_weeks, 10.0 * lam * 4.0 * annuity, rtol=1e-6)


def test_clv_with_spend_model_and_monthly_periods(bg, gg, cal):
    clv = customer_lifetime_value(bg, gg, cal, horizon=12, discount_rate=0.01, freq="M")
    assert clv.index.equals(cal.index) and (clv >= 0).all()
    # Undiscounted over 12 months = expected spend x expected purchases in 52.18 weeks.
    flat = customer_lifetime_value(bg, gg, cal, horizon=12, discount_rate=0.0, freq="M")
    direct = gg.expected_spend(cal) * bg.expected_purchases(365.25 / 7, cal)
    np.testing.assert_allclose(flat, direct, rtol=1e-9)
    assert (clv <= flat + 1e-12).all()


def test_customer_equity_total_and_by_segment():
    clv = pd.Series([1.0, 2.0, 3.0, 10.0])
    eq = customer_equity(clv, by=["x", "x", "y", "y"])
    assert eq.loc["y", "equity"] == 13.0 and eq.loc["x", "customers"] == 2
    assert eq["share"].sum() == pytest.approx(1.0)
    assert customer_equity(clv)["equity"].iloc[0] == 16.0


def test_compare_rankings_brute_force():
    rng = np.random.default_rng(1)
    past = pd.Series(rng.normal(size=50))
    future = past + rng.normal(size=50)
    rc = compare_rankings(past, future, top=0.1)
    top_p = set(past.nlargest(5).index)
    top_f = set(future.nlargest(5).index)
    assert rc.n_top_ == 5 and rc.n_past_only_ == len(top_p - top_f)
    from scipy.stats import spearmanr

    assert rc.spearman_ == pytest.approx(spearmanr(past, future).statistic)


# --- replacements for lifetimes breakages ------------------------------------------------------

def test_tracking_matches_published_holdout_and_brute_force(bg, cdnow):
    tr = tracking_data(bg, cdnow, calibration_end="1997-09-30", observation_end="1998-06-30")
    assert len(tr) == 78
    assert tr.loc[tr["holdout"], "actual"].sum() == 1882  # weeks 40-78
    assert tr["period"][tr["holdout"]].min() == 40
    # Brute force: the cumulative prediction at the end of week 10 (day 70 after the
    # log's first day) summed customer by customer.
    first = cdnow.groupby("customer_id")["date"].min()
    day0 = cdnow["date"].min()
    ages = [((70 - (f - day0).days) / 7) for f in first if (f - day0).days <= 272]
    brute = sum(bg.expected_purchases_new(a) for a in ages if a > 0)
    assert tr.loc[9, "predicted_cumulative"] == pytest.approx(brute, rel=1e-9)
    # The documented alternative evaluates one day earlier.
    old = tracking_data(bg, cdnow, calibration_end="1997-09-30", observation_end="1998-06-30",
                        evaluate_at="last_day_start")
    brute_old = sum(bg.expected_purchases_new(a - 1 / 7) for a in ages if a - 1 / 7 > 0)
    assert old.loc[9, "predicted_cumulative"] == pytest.approx(brute_old, rel=1e-9)


def test_tracking_daily_reproduces_lifetimes(cdnow):
    """lifetimes' tests/test_utils.py::test_expected_cumulative_transactions_date_index:
    BG/NBD fitted in days to the CDNOW sample up to 1997-09-30, tracked daily."""
    in_cal = cdnow[cdnow["date"] <= "1997-09-30"]
    days = crm.rfm_summary(in_cal, freq="D", observation_end="1997-09-30")
    model = fit_btyd(days, time_unit="days", aggregate=True)
    tr = tracking_data(model, cdnow, calibration_end="1997-09-30", observation_end="1997-01-14",
                       freq="D").tail(4)
    assert tr["start"].dt.strftime("%Y-%m-%d").tolist() == [
        "1997-01-11", "1997-01-12", "1997-01-13", "1997-01-14"]
    assert tr["actual_cumulative"].tolist() == [11, 12, 15, 19]
    np.testing.assert_allclose(tr["predicted_cumulative"], [10.67, 12.67, 14.87, 17.24], atol=0.006)


def test_tracking_rejects_unknown_convention(bg, cdnow):
    with pytest.raises(CRMDataError, match="evaluate_at"):
        tracking_data(bg, cdnow, calibration_end="1997-09-30", evaluate_at="middle")


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda log: log.rename(columns={"date": "day"}), r"date='date'"),
        (lambda log: log.rename(columns={"customer_id": "id"}), r"customer_id='customer_id'"),
        (lambda log: log.iloc[:0], "empty"),
        (lambda log: log.assign(customer_id=log["customer_id"].where(log.index != 3)),
         "missing customer ids"),
        (lambda log: log["date"], "DataFrame"),
    ],
    ids=["no-date-column", "no-id-column", "empty-log", "missing-id", "not-a-frame"],
)
def test_tracking_checks_its_columns(bg, cdnow, make, match):
    with pytest.raises(CRMDataError, match=f"^tracking_data: .*{match}"):
        tracking_data(bg, make(cdnow), calibration_end="1997-09-30")


def test_tracking_periods_of_two_weeks_sum_the_weekly_ones(bg, cdnow):
    # "2W" and "14D" are the same period; each sums two consecutive weeks of the weekly table.
    week = tracking_data(bg, cdnow, calibration_end="1997-09-30", observation_end="1998-06-30")
    two = tracking_data(bg, cdnow, calibration_end="1997-09-30", observation_end="1998-06-30",
                        freq="2W")
    pd.testing.assert_frame_equal(two, tracking_data(bg, cdnow, calibration_end="1997-09-30",
                                                     observation_end="1998-06-30", freq="14D"))
    assert two["actual"].tolist() == week["actual"].groupby(np.arange(78) // 2).sum().tolist()
    np.testing.assert_allclose(two["predicted_cumulative"], week["predicted_cumulative"][1::2])


@pytest.mark.parametrize("freq", ["M", "0D", "W2", 7], ids=["month", "zero-days", "suffix", "number"])
def test_tracking_rejects_other_periods(bg, cdnow, freq):
    with pytest.raises(CRMDataError, match="tracking_data: freq must be 'D', 'W'"):
        tracking_data(bg, cdnow, calibration_end="1997-09-30", freq=freq)


def test_p_alive_history_matches_summary_at_end(bg, cdnow, cal):
    h = p_alive_history(bg, cdnow, 1, end="1997-09-30")
    assert h["purchase"].sum() == cal.loc[1, "frequency_cal"] + 1
    last = h.iloc[-1]
    assert last["T"] == pytest.approx(cal.loc[1, "T_cal"])
    assert last["recency"] == pytest.approx(cal.loc[1, "recency_cal"])
    assert last["p_alive"] == pytest.approx(bg.p_alive(cal.loc[[1]]).iloc[0])
    # Between purchases P(alive) can only fall; a purchase day raises it (from the second repeat on).
    steps = h["p_alive"].diff()[1:]
    assert (steps[~h["purchase"][1:]] <= 1e-12).all()
    repeat_days = h.index[h["purchase"] & (h["frequency"] >= 2)]
    assert (h["p_alive"].diff()[repeat_days] > 0).all()


# --- bad input ---------------------------------------------------------------------------

def _s(**over):
    base = {"frequency": [0.0, 2.0, 1.0], "recency": [0.0, 5.0, 3.0], "T": [10.0, 10.0, 8.0],
            "monetary_value": [0.0, 20.0, 15.0]}
    base.update(over)
    return pd.DataFrame(base)


def test_missing_column():
    with pytest.raises(CRMDataError, match="'recency'"):
        fit_btyd(_s().drop(columns="recency"))


def test_recency_above_T():
    with pytest.raises(CRMDataError, match="recency larger than"):
        fit_btyd(_s(recency=[0.0, 12.0, 3.0]))


@pytest.mark.parametrize("frequency, match", [
    ([-1.0, 2.0, 1.0], "negative repeat"),
    ([0.5, 2.0, 1.0], "non-integer"),
], ids=["negative", "fractional"])
def test_negative_and_fractional_frequency(frequency, match):
    with pytest.raises(CRMDataError, match=match):
        fit_btyd(_s(frequency=frequency))


def test_missing_values():
    with pytest.raises(CRMDataError, match="missing or non-numeric"):
        fit_btyd(_s(T=[10.0, None, 8.0]))


def test_unknown_model():
    with pytest.raises(CRMDataError, match="model must be one of"):
        fit_btyd(_s(), model="weibull")


def test_gamma_gamma_rejects_nonpositive_spend(cal):
    bad = cal.copy()
    bad.loc[bad.index[bad["frequency_cal"] > 0][:2], "monetary_value_cal"] = 0.0
    with pytest.raises(CRMDataError, match="zero or negative average spend"):
        fit_gamma_gamma(bad)


def test_gamma_gamma_warns_on_dependence(cal):
    rep = cal[cal["frequency_cal"] > 0]
    # Spend made to grow with frequency: the independence assumption fails.
    dep = pd.DataFrame({"frequency": rep["frequency_cal"],
                        "monetary_value": rep["monetary_value_cal"] * rep["frequency_cal"]})
    assert np.corrcoef(dep["frequency"], dep["monetary_value"])[0, 1] > 0.3
    with pytest.warns(ModelFitWarning, match="correlated"):
        fit_gamma_gamma(dep)


def test_convergence_failure_gives_advice(monkeypatch, cal):
    # An optimiser that ends clearly above the no-dropout limit but without reaching an
    # optimum: a genuine failure, reported as ConvergenceError (a CRMDataError) with advice.
    import crm_analysis.clv as clv_module

    real = clv_module._optimise

    def stuck(fun, starts, **kw):
        opt = real(fun, starts, **kw)
        if len(starts[0]) == 4:
            opt.converged, opt.message = False, "maximum number of iterations"
        return opt

    monkeypatch.setattr(clv_module, "_optimise", stuck)
    with pytest.raises(crm.ConvergenceError, match="did not converge.*penalizer") as info:
        fit_btyd(cal, aggregate=True)
    assert isinstance(info.value, CRMDataError)


def test_flat_likelihood_warns():
    # Nobody ever repeats: the dropout process is not identified.
    data = pd.DataFrame({"frequency": [0.0] * 30 + [1.0], "recency": [0.0] * 30 + [1.0], "T": 20.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises((CRMDataError, ModelFitWarning)):
            with warnings.catch_warnings():
                warnings.simplefilter("error", ModelFitWarning)
                fit_btyd(data)


@pytest.mark.parametrize("kwargs, match", [
    ({"horizon": 0, "discount_rate": 0.01}, "horizon"),
    ({"horizon": 3, "discount_rate": -0.1}, "discount_rate"),
    ({"horizon": 3, "discount_rate": 0.1, "freq": "fortnight"}, "freq"),
], ids=["zero-horizon", "negative-discount-rate", "unknown-freq"])
def test_clv_bad_arguments(bg, cal, kwargs, match):
    with pytest.raises(CRMDataError, match=match):
        customer_lifetime_value(bg, 10.0, cal, **kwargs)


def test_bgbb_inconsistent_patterns():
    bad = pd.DataFrame({"frequency": [3], "recency": [2], "periods": [6]})
    with pytest.raises(CRMDataError, match="more transactions"):
        fit_bgbb(bad)


def test_time_unit_invariance(cal, bg):
    # Same data in days: alpha scales by 7, r/a/b unchanged, and the log-likelihood of
    # purchase-time densities shifts by -sum(x) log 7 (closed form).
    days = cal.assign(recency_cal=cal["recency_cal"] * 7, T_cal=cal["T_cal"] * 7)
    bd = fit_btyd(days, model="bgnbd", time_unit="days", aggregate=True)
    assert bd.params_["alpha"] == pytest.approx(7 * bg.params_["alpha"], rel=1e-4)
    assert bd.params_["r"] == pytest.approx(bg.params_["r"], rel=1e-4)
    shift = cal["frequency_cal"].sum() * np.log(7)
    assert bd.log_likelihood_ == pytest.approx(bg.log_likelihood_ - shift, abs=0.01)
    np.testing.assert_allclose(bd.p_alive(days.iloc[:50]), bg.p_alive(cal.iloc[:50]), rtol=1e-4)


def test_pareto_predictions_finite_for_long_histories(pnbd):
    # Raw-unit hypergeometric terms overflow for heavy buyers; predictions must stay finite.
    heavy = pd.DataFrame({"frequency": [0.0, 50.0, 190.0], "recency": [0.0, 300.0, 360.0],
                          "T": [365.0, 365.0, 365.0]})
    p = pnbd.p_alive(heavy)
    e = pnbd.expected_purchases(52, heavy)
    assert np.isfinite(p).all() and np.isfinite(e).all()
    assert (p > 0).all() and (p <= 1).all() and e.is_monotonic_increasing


def test_holdout_by_frequency_bins_pool_groups(bg, cal):
    fine = holdout_by_frequency(bg, cal, max_frequency=7)
    wide = holdout_by_frequency(bg, cal, bins=[0, 1, 3, 7])
    assert wide.index.tolist() == ["0", "1-2", "3-6", "7+"]
    assert wide.loc["1-2", "customers"] == fine.loc[["1", "2"], "customers"].sum()
    assert wide.loc["3-6", "actual_total"] == fine.loc[["3", "4", "5", "6"], "actual_total"].sum()
    assert wide["predicted_total"].sum() == pytest.approx(fine["predicted_total"].sum())


def test_holdout_split_without_monetary_column(cdnow, bg):
    # lifetimes' calibration_and_holdout_data fails without a monetary column under
    # pandas 3; rfm_summary does the split without one and the models use it directly.
    plain = crm.rfm_summary(cdnow, freq="D", freq_multiplier=7,
                            calibration_end="1997-09-30", observation_end="1998-06-30")
    assert "monetary_value_cal" not in plain.columns
    assert plain["frequency_holdout"].sum() == 1882
    m = holdout_metrics(bg, plain)
    assert m.loc["BG/NBD", "predicted_total"] == pytest.approx(1653.4, rel=0.01)


def test_weights_column_equals_repeated_rows(cal):
    # Brute force: a pattern table with counts gives the fit of the expanded customer table.
    cols = ["frequency_cal", "recency_cal", "T_cal"]
    patterns = cal.groupby(cols).size().rename("n").reset_index()
    by_weight = fit_btyd(patterns, model="mbgnbd", weights="n")
    expanded = patterns.loc[patterns.index.repeat(patterns["n"]), cols]
    by_rows = fit_btyd(expanded, model="mbgnbd")
    np.testing.assert_allclose(by_weight.params_, by_rows.params_, rtol=1e-5)
    assert by_weight.n_customers_ == len(cal)
    assert by_weight.log_likelihood_ == pytest.approx(by_rows.log_likelihood_, abs=1e-4)


def test_penalizer_shrinks_parameters(cal, bg):
    pen = fit_btyd(cal, model="bgnbd", penalizer=0.01, aggregate=True)
    # The L2 penalty acts on the time-rescaled parameters; the penalised fit has a lower likelihood.
    assert pen.log_likelihood_ < bg.log_likelihood_
    assert pen.params_["b"] < bg.params_["b"]


def test_compare_models_fits_by_name_without_holdout(cdnow):
    plain = crm.rfm_summary(cdnow, freq="D", freq_multiplier=7, observation_end="1997-09-30")
    table = compare_models(plain, ["bgnbd", "mbgnbd"])
    assert table.index.tolist() == ["BG/NBD", "MBG/NBD"]
    assert list(table.columns) == ["n_params", "log_likelihood", "aic", "bic"]
    # Same data as the calibration period: the published BG/NBD log-likelihood.
    assert table.loc["BG/NBD", "log_likelihood"] == pytest.approx(-9582.4, abs=0.1)


def test_customer_equity_from_frame_column():
    frame = pd.DataFrame({"clv": [5.0, 15.0, 30.0], "tier": ["a", "b", "b"]})
    eq = customer_equity(frame, by="tier")
    assert eq.index.tolist() == ["b", "a"]  # sorted by equity
    assert eq.loc["b", "mean_clv"] == 22.5 and eq.loc["a", "share"] == pytest.approx(0.1)
    with pytest.raises(CRMDataError, match="'segment'"):
        customer_equity(frame, by="segment")


def test_undefined_standard_errors_warn_with_advice(monkeypatch, cal):
    import crm_analysis.clv as clv_module

    def nan_se(model, params, cols, w, out_params=None):
        names = clv_module._PARAM_NAMES[model]
        return (pd.Series(np.nan, index=names),
                pd.DataFrame(np.nan, index=names, columns=names))

    monkeypatch.setattr(clv_module, "_standard_errors", nan_se)
    with pytest.warns(ModelFitWarning, match="flat.*penalizer"):
        m = fit_btyd(cal, aggregate=True)
    assert m.params_["r"] == pytest.approx(0.243, rel=0.005)  # the estimate itself is kept


# --- customers first seen on the last day (T = 0) -------------------------------------------

@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd", "pareto"])
def test_zero_age_customers_are_accepted_and_counted(cal, model):
    cols = ["frequency_cal", "recency_cal", "T_cal"]
    base = cal[cols]
    late = pd.DataFrame({"frequency_cal": [0.0] * 3, "recency_cal": [0.0] * 3, "T_cal": [0.0] * 3},
                        index=["late1", "late2", "late3"])
    both = pd.concat([base, late])
    m0 = fit_btyd(base, model=model, aggregate=True)
    m1 = fit_btyd(both, model=model, aggregate=True)
    # Their likelihood contribution is exactly 1: same optimum, same log-likelihood.
    np.testing.assert_allclose(m1.params_, m0.params_, rtol=1e-6)
    assert m1.log_likelihood_ == pytest.approx(m0.log_likelihood_, abs=1e-6)
    assert m1.n_zero_age_ == 3 and m0.n_zero_age_ == 0
    assert m1.n_customers_ == len(base) + 3
    assert any("3 customers" in note and "T_cal" in note for note in m1.notes_)
    p, e = m1.p_alive(late), m1.expected_purchases(39, late)
    assert np.isfinite(p).all() and np.isfinite(e).all()
    # Seen for no time: alive for sure, except that MBG/NBD customers may drop out at
    # the first purchase (probability a / (a + b), Batislam et al. 2007).
    alive = m1.params_["b"] / (m1.params_["a"] + m1.params_["b"]) if model == "mbgnbd" else 1.0
    np.testing.assert_allclose(p, alive, rtol=1e-12)
    # A customer seen for zero time is a new customer: E[X(t)] of the model.
    assert e.iloc[0] == pytest.approx(m1.expected_purchases_new(39.0), rel=1e-9)


@pytest.mark.parametrize(("frame", "match"), [
    (pd.DataFrame({"frequency": [1.0, 0.0], "recency": [0.0, 0.0], "T": [0.0, 5.0]}),
     "repeat purchases with 'T' = 0"),
    (pd.DataFrame({"frequency": [0.0, 0.0], "recency": [0.0, 0.0], "T": [0.0, 0.0]}),
     "every customer has T = 0"),
    (pd.DataFrame({"frequency": [0.0, 0.0], "recency": [0.0, 0.0], "T": [-1.0, 5.0]}),
     "recency larger than 'T'"),
], ids=["repeats-at-age-0", "all-age-0", "negative-age"])
def test_impossible_ages_rejected(frame, match):
    with pytest.raises(CRMDataError, match=match):
        fit_btyd(frame)


# --- degenerate maximum likelihood: no dropout -> NBD limit ---------------------------------

NBD_TRUTH = {"r": 0.7236, "alpha": 65.57}  # per day, the values reported for the real export


def _simulate_no_dropout(n, r, alpha, seed, horizon=365.0):
    """Poisson purchasing with gamma-distributed daily rates and no dropout (daily units).

    Ages T are uniform over the year; given x purchases in (0, T], their times are
    uniform, so the last one is T * U^(1/x).
    """
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1 / alpha, n)
    age = rng.uniform(1.0, horizon, n)
    x = rng.poisson(lam * age).astype(float)
    tx = np.where(x > 0, age * rng.uniform(size=n) ** (1 / np.maximum(x, 1)), 0.0)
    return pd.DataFrame({"frequency": x, "recency": tx, "T": age})


def _nbd_closed_form(params, d):
    from scipy.special import gammaln

    r, alpha = params
    x, age = d["frequency"].to_numpy(), d["T"].to_numpy()
    return float(np.sum(gammaln(r + x) - gammaln(r) + r * np.log(alpha) - (r + x) * np.log(alpha + age)))


@pytest.fixture(scope="module")
def nodrop():
    return _simulate_no_dropout(2000, NBD_TRUTH["r"], NBD_TRUTH["alpha"], seed=3)


@pytest.fixture(scope="module")
def nodrop_fits(nodrop):
    fits = {}
    for model in ("bgnbd", "mbgnbd", "pareto"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fits[model] = (fit_btyd(nodrop, model=model, time_unit="days"),
                           [w for w in caught if issubclass(w.category, ModelFitWarning)])
    return fits


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd", "pareto"])
def test_no_dropout_reduces_to_nbd_with_one_warning(nodrop, nodrop_fits, model):
    m, caught = nodrop_fits[model]
    assert len(caught) == 1
    assert "no sign of customers leaving" in str(caught[0].message)
    assert "reduces to the NBD" in str(caught[0].message) and "P(alive) = 1" in str(caught[0].message)
    assert m.model == "nbd" and m.reduced_from == model and "NBD limit" in m.label
    assert list(m.params_.index) == ["r", "alpha"]
    table = m.summary()
    assert list(table.columns) == ["coef", "se", "lower 95%", "upper 95%"]
    assert np.isfinite(table.to_numpy()).all()
    assert any("no sign of customers leaving" in note for note in m.notes_)
    assert (m.p_alive(nodrop) == 1).all()
    # Conditional expectation of the NBD: (r + x) t / (alpha + T), closed form.
    r, alpha = m.params_
    e = m.expected_purchases(91, nodrop)
    np.testing.assert_allclose(e, (r + nodrop["frequency"]) * 91 / (alpha + nodrop["T"]), rtol=1e-12)
    assert m.expected_purchases_new(91.0) == pytest.approx(r * 91 / alpha)
    clv = customer_lifetime_value(m, 25.0, nodrop, horizon=12, discount_rate=0.01, freq="M")
    assert np.isfinite(clv).all() and (clv > 0).all()


def test_nbd_limit_matches_independent_closed_form_mle(nodrop, nodrop_fits):
    from scipy import optimize

    m = nodrop_fits["bgnbd"][0]
    assert m.log_likelihood_ == pytest.approx(_nbd_closed_form(m.params_.to_numpy(), nodrop), abs=1e-6)
    ref = optimize.minimize(lambda t: -_nbd_closed_form(np.exp(t), nodrop), np.log([1.0, 50.0]),
                            method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-10,
                                                           "maxiter": 4000})
    np.testing.assert_allclose(m.params_, np.exp(ref.x), rtol=1e-4)
    assert m.log_likelihood_ >= -ref.fun - 1e-6
    for other in ("mbgnbd", "pareto"):  # every model reduces to the same limit
        np.testing.assert_allclose(nodrop_fits[other][0].params_, m.params_, rtol=1e-5)


def test_nbd_limit_recovers_the_simulated_truth(nodrop_fits):
    m = nodrop_fits["bgnbd"][0]
    for k, v in NBD_TRUTH.items():
        assert abs(m.params_[k] - v) < 3 * m.standard_errors_[k]


def _lifetimes_supremum(model, d, starts):
    """Best log-likelihood a derivative-free optimiser finds for lifetimes' likelihood.

    For the Pareto/NBD the likelihood is the package's NaN-free evaluation of the
    same formula (checked against lifetimes and mpmath below): lifetimes' own takes
    seconds per call near the no-dropout boundary.
    """
    from lifetimes import BetaGeoFitter, ModifiedBetaGeoFitter
    from scipy import optimize

    from crm_analysis.clv import _pareto_rows

    scale = 1 / d["T"].max()
    x, tx, age = d["frequency"].to_numpy(), d["recency"].to_numpy() * scale, d["T"].to_numpy() * scale
    w = np.ones(len(x))

    def nll(t):
        with np.errstate(all="ignore"):
            if model == "pareto":
                v = -np.sum(_pareto_rows(np.exp(t), x, tx, age))
            else:
                cls = BetaGeoFitter if model == "bgnbd" else ModifiedBetaGeoFitter
                v = cls._negative_log_likelihood(t, x, tx, age, w, 0.0) * len(x)
        return v if np.isfinite(v) else 1e12

    best = min(optimize.minimize(nll, s, method="Nelder-Mead",
                                 options={"maxfev": 800, "xatol": 1e-8, "fatol": 1e-9}).fun
               for s in starts)
    # back to daily units: each purchase-time density picks up log(scale)
    return -best + x.sum() * np.log(scale)


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd", "pareto"])
def test_nbd_limit_is_at_least_the_optimiser_supremum(nodrop, nodrop_fits, model):
    rng = np.random.default_rng(11)
    starts = [np.full(4, 0.1)] + [rng.normal(0, 1.5, 4) for _ in range(2)]
    sup = _lifetimes_supremum(model, nodrop, starts)
    # Dropout buys nothing beyond the documented tolerance (0.001 log-likelihood units;
    # on this sample the MBG/NBD's best interior point lies 1e-5 above the limit).
    assert nodrop_fits[model][0].log_likelihood_ >= sup - 1e-3


# --- numerically stable BG/NBD predictions (arbitrary-precision reference) ------------------

AB_GRID = [(1e-8, 0.3), (1e-8, 1e6), (0.05, 0.3), (0.5, 0.3), (0.5, 2.0), (0.9, 0.05),
           (0.793, 2.426), (1.5, 1e4), (3.0, 1e6), (0.2, 1e6), (2.5, 0.7)]


def _mp_hyp2f1(a, b, c, z):
    """Gauss series of 2F1 summed term by term in the caller's mpmath precision, after
    Euler's transformation (1-z)^(c-a-b) 2F1(c-a, c-b; c; z) (mpmath's own routine
    stalls when b is in the millions)."""
    import mpmath as mp

    power = c - a - b
    a, b = c - a, c - b
    total, term, n = mp.mpf(1), mp.mpf(1), 0
    while True:
        term *= (a + n) * (b + n) / ((c + n) * (n + 1)) * z
        total += term
        n += 1
        if abs(term) < mp.mpf(10) ** (-mp.mp.dps) * abs(total) and n > 5:
            break
    return (1 - z) ** power * total


def _mp_bgnbd_conditional(r, alpha, a, b, x, tx, age, t, modified=False):
    """FHL (2005a) eq. 10 (and the MBG/NBD analogue) in 40-digit arithmetic."""
    import mpmath as mp

    with mp.workdps(40):
        r, alpha, a, b, tx, age, t = (mp.mpf(float(v)) for v in (r, alpha, a, b, tx, age, t))
        x = int(x)
        z = t / (alpha + age + t)
        shift = 1 if modified else 0
        c = a + b + x - 1 + shift
        core = c / (a - 1) * (1 - ((alpha + age) / (alpha + age + t)) ** (r + x)
                              * _mp_hyp2f1(r + x, b + x + shift, c, z))
        if modified:
            odds = a / (b + x) * ((alpha + age) / (alpha + tx)) ** (r + x)
        else:
            odds = (a / (b + x - 1) * ((alpha + age) / (alpha + tx)) ** (r + x)) if x > 0 else 0
        return float(core / (1 + odds))


def _mp_bgnbd_new(r, alpha, a, b, t):
    import mpmath as mp

    with mp.workdps(40):
        r, alpha, a, b, t = (mp.mpf(float(v)) for v in (r, alpha, a, b, t))
        return float((a + b - 1) / (a - 1)
                     * (1 - (alpha / (alpha + t)) ** r * _mp_hyp2f1(r, b, a + b - 1, t / (alpha + t))))


HISTORIES = pd.DataFrame({"frequency": [0.0, 1.0, 7.0, 40.0, 3.0],
                          "recency": [0.0, 20.0, 250.0, 360.0, 5.0],
                          "T": [30.0, 300.0, 300.0, 365.0, 365.0]})


@pytest.mark.parametrize(("a", "b"), AB_GRID)
@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
def test_bgnbd_expectations_match_arbitrary_precision(a, b, model):
    r, alpha = 0.7236, 65.57
    m = BTYDModel.from_params(model, [r, alpha, a, b], time_unit="days")
    for t in (7.0, 91.0, 1000.0):
        got = m.expected_purchases(t, HISTORIES).to_numpy()
        ref = [_mp_bgnbd_conditional(r, alpha, a, b, *row, t, modified=model == "mbgnbd")
               for row in HISTORIES.itertuples(index=False)]
        np.testing.assert_allclose(got, ref, rtol=1e-9)
    if model == "bgnbd":
        ts = np.array([1.0, 91.0, 3000.0])
        np.testing.assert_allclose(m.expected_purchases_new(ts), [_mp_bgnbd_new(r, alpha, a, b, t)
                                                                  for t in ts], rtol=1e-9)


def test_every_prediction_finite_over_the_grid():
    log = pd.DataFrame({"customer_id": [1, 1, 1, 2, 3, 3],
                        "date": pd.to_datetime(["2021-01-01", "2021-02-01", "2021-06-01",
                                                "2021-03-01", "2021-01-10", "2021-12-30"])})
    for a, b in AB_GRID:
        for model in ("bgnbd", "mbgnbd"):
            m = BTYDModel.from_params(model, [0.7236, 65.57, a, b], time_unit="days")
            for values in (m.expected_purchases(91, HISTORIES), m.p_alive(HISTORIES),
                           m.expected_purchases_new(np.array([0.0, 1.0, 365.0, 3650.0])),
                           customer_lifetime_value(m, 20.0, HISTORIES, horizon=24,
                                                   discount_rate=0.01, freq="M"),
                           tracking_data(m, log, calibration_end="2021-06-30")[
                               ["predicted", "predicted_cumulative"]].to_numpy().ravel()):
                assert np.isfinite(np.asarray(values, float)).all(), (model, a, b)
            p = m.p_alive(HISTORIES)
            assert ((p >= 0) & (p <= 1)).all()


# --- Pareto/NBD reaches the best optimum of a brute-force multi-start -----------------------

def test_pareto_reaches_brute_force_multistart_optimum(cal, pnbd):
    # Reference: lifetimes' own Pareto/NBD likelihood maximised by Nelder-Mead from
    # five starts (on the distinct patterns, with their counts as weights).
    from lifetimes import ParetoNBDFitter
    from scipy import optimize

    cols = ["frequency_cal", "recency_cal", "T_cal"]
    patterns = cal.groupby(cols).size().reset_index(name="n")
    x, tx, age = (patterns[c].to_numpy() for c in cols)
    n = patterns["n"].to_numpy()

    def nll(t):
        with np.errstate(all="ignore"):
            v = -np.sum(n * ParetoNBDFitter._conditional_log_likelihood(list(np.exp(t)), x, tx, age))
        return v if np.isfinite(v) else 1e12

    rng = np.random.default_rng(5)
    centre = np.log([0.5, 10.0, 0.5, 10.0])
    starts = [centre] + [centre + rng.normal(0, 0.7, 4) for _ in range(4)]
    best = min(optimize.minimize(nll, s, method="Nelder-Mead",
                                 options={"maxfev": 3000, "xatol": 1e-9, "fatol": 1e-10}).fun
               for s in starts)
    assert pnbd.log_likelihood_ >= -best - 1e-3


def test_gamma_gamma_accepts_precision_loss_at_the_optimum():
    # The small log of test_cli's spreadsheet test: scipy stops with "precision loss"
    # although the gradient vanishes.  The fit must be the maximum of the closed-form
    # Gamma-Gamma likelihood (Fader, Hardie & Lee 2005b, eq. 3), found by brute force.
    from scipy import optimize
    from scipy.special import gammaln

    rng = np.random.default_rng(7)
    ids = [f"c{i}" for i in range(40)]
    rows = [(ids[i % 40], pd.Timestamp("2021-01-01") + pd.Timedelta(days=int(d)), float(a))
            for i, (d, a) in enumerate(zip(rng.integers(0, 300, 400), rng.gamma(2, 10, 400),
                                           strict=True))]
    log = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    summary = crm.rfm_summary(log, amount="amount", freq="D", freq_multiplier=7)
    gg = fit_gamma_gamma(summary)
    rep = summary[summary["frequency"] > 0]
    x, mv = rep["frequency"].to_numpy(), rep["monetary_value"].to_numpy()

    def ll(t):
        p, q, v = np.exp(t)
        return float(np.sum(gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v)
                            + (p * x - 1) * np.log(mv) + p * x * np.log(x)
                            - (p * x + q) * np.log(x * mv + v)))

    ref = optimize.minimize(lambda t: -ll(t), np.zeros(3), method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 6000})
    assert gg.log_likelihood_ == pytest.approx(ll(np.log(gg.params_.to_numpy())), abs=1e-9)
    assert gg.log_likelihood_ >= -ref.fun - 1e-6


@pytest.mark.parametrize("params", [[0.553, 10.58, 0.606, 11.67], [0.7, 0.17, 0.003, 300.0],
                                    [0.7, 0.17, 0.5, 1e5], [0.7, 300.0, 0.5, 0.1],
                                    [1.4, 0.046, 59.0, 2000.0], [0.7, 0.17, 1e-5, 1e8]],
                         ids=["cdnow", "s-small", "beta-large", "alpha-large", "ridge", "no-dropout"])
def test_pareto_likelihood_matches_lifetimes_and_arbitrary_precision(params):
    # P(alive) against 30-digit quadrature of the integral in its definition (Fader & Hardie
    # 2005 note, eqs. 19-20 and 25); the row log-likelihood against lifetimes wherever
    # lifetimes is finite.
    import mpmath as mp
    from lifetimes import ParetoNBDFitter

    from crm_analysis.clv import _pareto_p_alive, _pareto_rows

    rng = np.random.default_rng(1)
    x = np.concatenate([[0.0, 0.0, 3.0], rng.integers(1, 30, 4).astype(float)])
    age = rng.uniform(0.05, 1.0, len(x))
    tx = np.where(x > 0, age * rng.uniform(0.0, 1.0, len(x)), 0.0)
    tx[2] = age[2]  # last purchase at the end: no time to drop out
    got = _pareto_p_alive(params, x, tx, age)
    assert got[2] == 1.0
    r, alpha, s, beta = (mp.mpf(v) for v in params)
    with mp.workdps(30):
        for i in range(len(x)):
            if i == 2:
                continue
            k = r + int(x[i])
            integral = mp.quad(lambda y, k=k: (alpha + y) ** (-k) * (beta + y) ** (-(s + 1)),
                               mp.linspace(mp.mpf(tx[i]), mp.mpf(age[i]), 12))
            ref = 1 / (1 + s * (alpha + age[i]) ** k * (beta + age[i]) ** s * integral)
            assert got[i] == pytest.approx(float(ref), rel=1e-8)
    with np.errstate(all="ignore"):
        ref = ParetoNBDFitter._conditional_log_likelihood(list(params), x, tx, age)
    ours = _pareto_rows(params, x, tx, age)
    assert np.isfinite(ours).all()
    ok = np.isfinite(ref)
    np.testing.assert_allclose(ours[ok], ref[ok], rtol=1e-9, atol=1e-9)


def test_closed_form_expectation_equals_the_positive_series_where_trusted():
    # The fast path (FHL 2005a eq. 10 given alive) must agree with the positive series
    # it replaces wherever it is used; the series itself is checked against mpmath above.
    from crm_analysis.clv import _alive_closed_form, _alive_series

    rng = np.random.default_rng(7)
    n = 400
    a = np.exp(rng.uniform(np.log(0.05), np.log(20), n))
    b = np.exp(rng.uniform(np.log(0.05), np.log(2000), n))
    k = np.exp(rng.uniform(np.log(0.05), np.log(60), n))
    u = np.exp(rng.uniform(np.log(1e-3), np.log(20), n))
    closed, good = _alive_closed_form(a, b, k, u)
    assert good.sum() > n / 3 and (~good).sum() > 0  # both paths are exercised
    idx = np.flatnonzero(good)
    series = np.array([_alive_series(a[i:i + 1], b[i:i + 1], k[i:i + 1], u[i:i + 1],
                                     int(k[i] * u[i] + 12 * np.sqrt(k[i] * u[i] * (1 + u[i]))
                                         + 50 * (1 + u[i]) + 20), 1 << 21)[0] for i in idx])
    np.testing.assert_allclose(closed[idx], series, rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("a", [0.96, 1.0, 1.04, 0.3, 7.0], ids=["a-0.96", "a-1", "a-1.04", "a-0.3", "a-7"])
def test_alive_series_equals_direct_sum(a):
    # The series sum_j E[(1-p)^(j-1)] P(N >= j) term by term, with scipy's negative-binomial
    # survival function and the Beta moments as a running product (a brute-force sum).
    from scipy import stats

    from crm_analysis.clv import _alive_series

    b = np.array([2.4, 30.0, 0.7, 400.0])
    k = np.array([0.25, 12.3, 3.0, 60.2])
    u = np.array([0.1, 1.7, 0.02, 3.5])
    n_terms = 2000
    js = np.arange(1, n_terms + 1)
    ref = []
    for bi, ki, ui in zip(b, k, u, strict=True):
        moments = np.concatenate([[1.0], np.cumprod(1 - a / (a + bi + js[:-1] - 1))])
        ref.append(np.sum(moments * stats.nbinom.sf(js - 1, ki, 1 / (1 + ui))))
    for budget in (1 << 21, 500):  # one block (pmf summed from the far end) and blocks of j (betainc)
        got = _alive_series(np.full(4, a), b, k, u, n_terms, budget)
        np.testing.assert_allclose(got, ref, rtol=1e-11)


@pytest.mark.parametrize("a, b", [(2.0, 3.0), (0.8, 40.0), (5.9e6, 4.58e7), (50.0, 2e6)],
                         ids=["small", "skewed", "millions", "mixed"])
def test_beta_gauss_rule_reproduces_the_beta_moments(a, b):
    # A 20-node Gauss rule integrates p^m exactly for m < 40: the Beta moments
    # prod_{i<m} (a + i) / (a + b + i), including a and b in the millions where
    # scipy.special.roots_jacobi's total mass overflows.
    from crm_analysis.clv import _beta_gauss_rule

    p, w = _beta_gauss_rule(a, b, 20)
    assert ((p > 0) & (p < 1)).all()
    for m in range(1, 8):
        exact = np.prod([(a + i) / (a + b + i) for i in range(m)])
        assert w @ p**m == pytest.approx(exact, rel=1e-12)


@pytest.mark.parametrize("a, b, k, u", [(60.0, 180.0, 9.0, 0.9), (80.0, 5000.0, 40.0, 30.0),
                                        (400.0, 60.0, 0.3, 0.3), (5.9e6, 4.58e7, 26.0, 0.4)],
                         ids=["moderate", "b-large", "a-large", "homogeneous"])
def test_alive_gauss_equals_mpmath_quadrature(a, b, k, u):
    # E[(1 - (1 + p u)^-k) / p] over p ~ Beta(a, b), by 30-digit adaptive quadrature
    # (for the homogeneous case, where the density is a spike, at the Beta mean
    # plus the second-order delta-method term, whose next term is ~1e-16 relative).
    import mpmath as mp

    from crm_analysis.clv import _alive_gauss

    got = _alive_gauss(np.array([a]), np.array([b]), np.array([k]), np.array([u]))[0]
    mp.mp.dps = 30
    g = lambda p: (1 - (1 + p * u) ** (-k)) / p  # noqa: E731
    mean = mp.mpf(a) / (a + b)
    if a + b < 1e6:
        ref = mp.quad(lambda p: g(p) * p ** (a - 1) * (1 - p) ** (b - 1) / mp.beta(a, b),
                      [0, mean / 2, mean, (1 + mean) / 2, 1])
    else:
        var = mean * (1 - mean) / (a + b + 1)
        ref = g(mean) + mp.diff(g, mean, 2) * var / 2
    assert got == pytest.approx(float(ref), rel=1e-13)


def test_alive_gauss_equals_the_series_wherever_it_is_used():
    # Random a, b, k, u over the ranges fits return; where the Gauss rule is chosen it
    # must equal the positive series it replaces (checked against scipy above).
    from crm_analysis.clv import _alive_gauss, _alive_series, _beta_concentrated

    rng = np.random.default_rng(11)
    n = 1000
    a = np.exp(rng.uniform(np.log(50), np.log(1e7), n))
    b = np.exp(rng.uniform(np.log(50), np.log(1e8), n))
    k = np.exp(rng.uniform(np.log(0.05), np.log(60), n))
    u = np.exp(rng.uniform(np.log(1e-3), np.log(50), n))
    use = _beta_concentrated(a, b, u)
    assert 0.2 * n < use.sum() < n  # both outcomes occur
    idx = np.flatnonzero(use)[:150]
    got = _alive_gauss(a[idx], b[idx], k[idx], u[idx])
    series = np.array([_alive_series(a[i:i + 1], b[i:i + 1], k[i:i + 1], u[i:i + 1],
                                     int(k[i] * u[i] + 12 * np.sqrt(k[i] * u[i] * (1 + u[i]))
                                         + 50 * (1 + u[i]) + 20), 1 << 21)[0] for i in idx])
    np.testing.assert_allclose(got, series, rtol=1e-11)


@pytest.mark.parametrize("a, b, u, used", [
    (0.8, 2.4, 0.5, False),      # spread-out dropout (CDNOW): closed form or series
    (0.9, 0.05, 45.8, False),    # mass piled at p = 1, singularity close to 0
    (20.0, 60.0, 0.5, False),    # too few "observations" for a bell shape
    (5.9e6, 4.58e7, 0.5, True),  # nearly homogeneous dropout
    (60.0, 180.0, 5.0, False),   # singularity -1/u within reach of the mass
], ids=["cdnow", "b-tiny", "a-small", "homogeneous", "u-large"])
def test_gauss_rule_is_chosen_only_where_it_is_exact(a, b, u, used):
    from crm_analysis.clv import _beta_concentrated

    assert _beta_concentrated(np.array([a]), np.array([b]), np.array([u]))[0] == used


@pytest.mark.parametrize("model, params", [
    ("bgnbd", [0.243, 4.414, 0.793, 2.426]), ("mbgnbd", [0.5, 5.0, 1.02, 3000.0]),
    ("pareto", [0.553, 10.578, 0.606, 11.669]), ("nbd", [0.4, 5.0]),
    ("bgnbd", [9.09, 105.9, 5.9e6, 4.58e7])],
    ids=["bgnbd", "mbgnbd-series", "pareto", "nbd", "bgnbd-homogeneous"])
def test_clv_in_one_pass_equals_the_period_by_period_sum(model, params):
    # customer_lifetime_value sums all horizons over distinct (x, T) patterns at once;
    # the definition is the loop over periods of (E[X(k)] - E[X(k-1)]) / (1 + d)^k.
    m = crm.BTYDModel.from_params(model, params)
    data = crm.load_cdnow_summary().iloc[::7]
    got = crm.customer_lifetime_value(m, 30.0, data, horizon=26, discount_rate=0.01, margin=0.4)
    prev = np.zeros(len(data))
    ref = np.zeros(len(data))
    for k in range(1, 27):
        cur = m.expected_purchases(float(k), data).to_numpy()
        ref += (cur - prev) / 1.01**k
        prev = cur
    np.testing.assert_allclose(got.to_numpy(), 0.4 * 30.0 * ref, rtol=1e-12)


def test_alive_expectation_of_repeated_rows_equals_row_by_row():
    """The distinct-row shortcut (customers sharing a pattern) changes no value."""
    from crm_analysis.clv import _alive_expectation, _unique_rows

    rng = np.random.default_rng(5)
    x = rng.integers(0, 6, 400).astype(float)
    T = rng.choice([10.0, 25.5, 40.0], 400)
    a, b, k, u = 0.8, 2.5 + x, 0.25 + x, 52.0 / (4.0 + T)
    together = _alive_expectation(a, b, k, u)
    alone = np.array([_alive_expectation(a, b[i], k[i], u[i]) for i in range(len(x))])
    np.testing.assert_allclose(together, alone, rtol=1e-13)
    rows = np.column_stack([b, k, u])
    uniq, inverse = _unique_rows(rows)
    assert np.array_equal(uniq[inverse], rows)
    assert len(uniq) == len(np.unique(rows, axis=0))


@pytest.mark.parametrize("model", ["bgnbd", "pareto"])
def test_standard_errors_come_from_the_exact_gradient(model):
    # Differences of the analytic gradient give the same standard errors at steps 1e-4 and
    # 1e-6 (to 1e-6): the reported ones are that stable value. Second differences of the
    # value, at the same steps, drift in the third or fourth digit (rounding / h^2).
    from crm_analysis import _likelihood, _pareto_likelihood
    from crm_analysis.clv import _loglik_gradient
    from crm_analysis.fitted import gradient_hessian

    s = crm.load_cdnow_summary()
    fit = crm.fit_btyd(s, model=model)
    cols = [s[c].to_numpy(float) for c in ("frequency", "recency", "T")]
    w = np.ones(len(s))
    rows = (_pareto_likelihood.prepare(*cols, w) if model == "pareto"
            else _likelihood.Rows(*cols, w))
    grad = _loglik_gradient(model, rows)
    theta = np.log(fit.params_.to_numpy())
    ses = [np.sqrt(np.diag(np.linalg.inv(-gradient_hessian(grad, theta, h)))) * np.exp(theta)
           for h in (1e-4, 1e-6)]
    np.testing.assert_allclose(ses[0], ses[1], rtol=1e-6)
    np.testing.assert_allclose(fit.standard_errors_.to_numpy(), ses[0], rtol=1e-6)
