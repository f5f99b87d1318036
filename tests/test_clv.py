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
from scipy import integrate

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
    np.testing.assert_allclose(np.log(s["upper 95%"] / s["coef"]), 1.96 * s["se"] / s["coef"])
    np.testing.assert_allclose(np.log(s["coef"] / s["lower 95%"]), 1.96 * s["se"] / s["coef"])


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
                                  discount_rate=d, margin=margin, freq=1.0)
    annuity = (1 - (1 + d) ** -H) / d
    assert clv.tolist() == pytest.approx([margin * spend * rate * annuity] * 2)


def test_clv_bgnbd_without_dropout_is_annuity():
    # a -> 0: no dropout, E[X(t) | x, T] = (r + x) / (alpha + T) * t.
    r, alpha = 0.5, 10.0
    m = BTYDModel.from_params("bgnbd", [r, alpha, 1e-9, 2.0])
    data = pd.DataFrame({"frequency": [0.0, 3.0], "recency": [0.0, 20.0], "T": [30.0, 30.0]})
    clv = customer_lifetime_value(m, 10.0, data, horizon=10, discount_rate=0.01, freq=4.0)
    lam = (r + data["frequency"]) / (alpha + data["T"])
    annuity = (1 - 1.01 ** -10) / 0.01
    np.testing.assert_allclose(clv, 10.0 * lam * 4.0 * annuity, rtol=1e-6)


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
                       period_days=1).tail(4)
    assert tr["start"].dt.strftime("%Y-%m-%d").tolist() == [
        "1997-01-11", "1997-01-12", "1997-01-13", "1997-01-14"]
    assert tr["actual_cumulative"].tolist() == [11, 12, 15, 19]
    np.testing.assert_allclose(tr["predicted_cumulative"], [10.67, 12.67, 14.87, 17.24], atol=0.006)


def test_tracking_rejects_unknown_convention(bg, cdnow):
    with pytest.raises(CRMDataError, match="evaluate_at"):
        tracking_data(bg, cdnow, calibration_end="1997-09-30", evaluate_at="middle")


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


def test_negative_and_fractional_frequency():
    with pytest.raises(CRMDataError, match="negative repeat"):
        fit_btyd(_s(frequency=[-1.0, 2.0, 1.0]))
    with pytest.raises(CRMDataError, match="non-integer"):
        fit_btyd(_s(frequency=[0.5, 2.0, 1.0]))


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
    from lifetimes import BetaGeoFitter
    from lifetimes.utils import ConvergenceError

    def boom(self, *a, **k):
        raise ConvergenceError("did not converge")

    monkeypatch.setattr(BetaGeoFitter, "fit", boom)
    with pytest.raises(CRMDataError, match="penalizer"):
        fit_btyd(cal)


def test_flat_likelihood_warns():
    # Nobody ever repeats: the dropout process is not identified.
    data = pd.DataFrame({"frequency": [0.0] * 30 + [1.0], "recency": [0.0] * 30 + [1.0], "T": 20.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises((CRMDataError, ModelFitWarning)):
            with warnings.catch_warnings():
                warnings.simplefilter("error", ModelFitWarning)
                fit_btyd(data)


def test_clv_bad_arguments(bg, cal):
    with pytest.raises(CRMDataError, match="horizon"):
        customer_lifetime_value(bg, 10.0, cal, horizon=0, discount_rate=0.01)
    with pytest.raises(CRMDataError, match="discount_rate"):
        customer_lifetime_value(bg, 10.0, cal, horizon=3, discount_rate=-0.1)
    with pytest.raises(CRMDataError, match="freq"):
        customer_lifetime_value(bg, 10.0, cal, horizon=3, discount_rate=0.1, freq="fortnight")


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
