"""The one base of every fitted model (crm_analysis/fitted.py).

Every fitted model class has the common attributes, ``summary(alpha)`` is a
DataFrame whose interval follows the normal quantile, ``to_dict``/``from_dict``
round-trip through JSON to the last digit of every prediction, a model that is
not fitted raises ``NotFittedError``, and the shared standard-error routine
agrees with closed forms and an independent finite-difference computation.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

import crm_analysis as crm
from crm_analysis.errors import CRMDataError, DataCleaningWarning, NotFittedError, rows_dropped_note
from crm_analysis.fitted import FittedModel, numerical_hessian, standard_errors

COMMON = ["params_", "standard_errors_", "covariance_", "log_likelihood_", "n_obs_", "aic_", "bic_",
          "notes_", "rows_dropped_"]
SBG_COUNTS = [1000, 631, 468, 382, 326, 289, 262, 241]  # Fader & Hardie (2007), "regular" cohort


@pytest.fixture(scope="module")
def cal():
    return crm.rfm_summary(crm.load_cdnow(), amount="amount", freq="D", freq_multiplier=7,
                           calibration_end="1997-09-30", observation_end="1998-06-30")


@pytest.fixture(scope="module")
def survey():
    return crm.simulate_restaurant_survey(600, 10, seed=1).data


@pytest.fixture(scope="module")
def telco():
    return crm.load_telco_churn()


@pytest.fixture(scope="module")
def models(cal, survey, telco):
    """One fitted instance of every fitted-model class of the package."""
    z = pd.DataFrame({"late": (cal["T_cal"] < 33).astype(float)}, index=cal.index)
    return {
        "BTYDModel": crm.fit_btyd(cal, model="bgnbd", aggregate=True),
        "BGBBModel": crm.fit_bgbb(crm.load_donations(), weights="weights"),
        "SpendModel": crm.fit_gamma_gamma(cal),
        "CovariateBTYDModel": crm.fit_btyd_covariates(cal, z, purchase=["late"], model="bgnbd"),
        "SBGModel": crm.SBGModel().fit(SBG_COUNTS),
        "HazardModel": crm.churn_hazard_model(telco, duration="tenure", event="churn",
                                              covariates=["contract", "monthly_charges"]),
        "OrderedSatisfactionModel": crm.ordered_satisfaction_model(
            survey, "overall_satisfaction", ["speed", "ambience"]),
    }


CLASSES = ["BTYDModel", "BGBBModel", "SpendModel", "CovariateBTYDModel", "SBGModel", "HazardModel",
           "OrderedSatisfactionModel"]


def _roundtrip(model):
    return FittedModel.from_dict(json.loads(json.dumps(model.to_dict(), allow_nan=False)))


# --- common attributes -----------------------------------------------------------------------

@pytest.mark.parametrize("name", CLASSES)
def test_every_fitted_model_has_the_common_attributes(models, name):
    m = models[name]
    assert isinstance(m, FittedModel) and type(m).__name__ == name
    for attr in COMMON:
        assert hasattr(m, attr), attr
    se = m.standard_errors_
    assert isinstance(se, pd.Series) and isinstance(m.covariance_, pd.DataFrame)
    assert np.isfinite(m.log_likelihood_) and m.n_obs_ > 0
    assert isinstance(m.notes_, list) and isinstance(m.rows_dropped_, dict)
    # The covariance's diagonal is the squared standard errors.
    np.testing.assert_allclose(np.diag(m.covariance_.loc[se.index, se.index]), se**2, rtol=1e-10)
    k = len(m.summary())
    if name == "OrderedSatisfactionModel":
        k += len(m.thresholds_)  # the cut points are parameters of the fit too
    assert m.aic_ == pytest.approx(2 * k - 2 * m.log_likelihood_, rel=1e-12)
    assert m.bic_ == pytest.approx(k * np.log(m.n_obs_) - 2 * m.log_likelihood_, rel=1e-12)


def test_criteria_of_the_statsmodels_fits_match_statsmodels(models):
    cox, olm = models["HazardModel"], models["OrderedSatisfactionModel"]
    assert cox.log_likelihood_ == cox.results_.llf
    assert olm.aic_ == pytest.approx(olm.result_.aic, rel=1e-12)
    assert olm.bic_ == pytest.approx(olm.result_.bic, rel=1e-12)


# --- summary(alpha) --------------------------------------------------------------------------

@pytest.mark.parametrize("name", CLASSES)
@pytest.mark.parametrize("alpha", [0.10, 0.01])
def test_summary_interval_follows_the_normal_quantile(models, name, alpha):
    m = models[name]
    base, other = m.summary(), m.summary(alpha)
    assert isinstance(other, pd.DataFrame)
    label = f"{100 * (1 - alpha):g}%"
    assert list(other.columns[:4]) == ["coef", "se", f"lower {label}", f"upper {label}"]
    assert list(base.columns[:4]) == ["coef", "se", "lower 95%", "upper 95%"]
    lo, hi = other[f"lower {label}"], other[f"upper {label}"]
    lo95, hi95 = base["lower 95%"], base["upper 95%"]
    positive = m._positive()
    # Width on the scale the interval is built on: log for positive parameters.
    with np.errstate(invalid="ignore"):  # np.where evaluates the log of Wald bounds too
        width = np.where(positive, np.log(hi / lo), hi - lo)
        width95 = np.where(positive, np.log(hi95 / lo95), hi95 - lo95)
    ratio = stats.norm.ppf(1 - alpha / 2) / stats.norm.ppf(0.975)
    np.testing.assert_allclose(width / width95, ratio, rtol=1e-9)
    # And the 95% width is 2 z se (over coef for a positive parameter).
    se_scale = np.where(positive, base["se"] / base["coef"], base["se"])
    np.testing.assert_allclose(width95, 2 * stats.norm.ppf(0.975) * se_scale, rtol=1e-9)


@pytest.mark.parametrize("alpha", [0, 1, -0.1, 1.5], ids=["zero", "one", "negative", "above-one"])
def test_summary_rejects_alpha_outside_0_1(models, alpha):
    with pytest.raises(CRMDataError, match="alpha must be in"):
        models["SBGModel"].summary(alpha)


def test_model_specific_columns_stay(models):
    cox = models["HazardModel"].summary()
    assert {"hazard_ratio", "ci_lower", "ci_upper", "p_value"} <= set(cox.columns)
    # p-values as statsmodels reports them (Wald, normal).
    np.testing.assert_allclose(cox["p_value"], models["HazardModel"].results_.pvalues, rtol=1e-12)
    olm = models["OrderedSatisfactionModel"].summary()
    assert {"p_value", "odds_ratio"} <= set(olm.columns)
    assert "exp(coef)" in models["CovariateBTYDModel"].summary().columns


# --- saved models ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", CLASSES)
def test_roundtrip_keeps_every_field_and_the_table(models, name):
    m = models[name]
    back = _roundtrip(m)
    assert type(back) is type(m)
    assert back.summary().equals(m.summary())
    assert back.summary(0.2).equals(m.summary(0.2))
    for attr in COMMON:
        a, b = getattr(back, attr), getattr(m, attr)
        if isinstance(a, (pd.Series, pd.DataFrame)):
            assert a.equals(b), attr
        else:
            assert a == b, attr


def test_roundtrip_predicts_to_the_last_digit(models, cal, survey):
    don = crm.load_donations()
    bg, bgbb, gg = (_roundtrip(models[k]) for k in ("BTYDModel", "BGBBModel", "SpendModel"))
    assert bg.p_alive(cal).equals(models["BTYDModel"].p_alive(cal))
    assert bg.p_alive_matrix().equals(models["BTYDModel"].p_alive_matrix())
    assert bgbb.expected_purchases(5, don).equals(models["BGBBModel"].expected_purchases(5, don))
    assert gg.expected_spend(cal).equals(models["SpendModel"].expected_spend(cal))
    z = pd.DataFrame({"late": [0.0, 1.0]})
    cov = _roundtrip(models["CovariateBTYDModel"])
    assert cov.customer_parameters(z).equals(models["CovariateBTYDModel"].customer_parameters(z))
    sbg, m = _roundtrip(models["SBGModel"]), models["SBGModel"]
    assert sbg.project(12).equals(m.project(12))
    assert sbg.derl(0.1, renewals=3) == m.derl(0.1, renewals=3)
    olm, o = _roundtrip(models["OrderedSatisfactionModel"]), models["OrderedSatisfactionModel"]
    assert olm.result_ is None  # the statsmodels object is not saved ...
    assert olm.predict_proba().equals(o.predict_proba())  # ... and not needed
    assert olm.probability_shift().equals(o.probability_shift())
    cox = _roundtrip(models["HazardModel"])
    assert cox.ph_test_.equals(models["HazardModel"].ph_test_) and cox.results_ is None


def test_ordered_model_predicts_as_statsmodels(models, survey):
    o = models["OrderedSatisfactionModel"]
    ref = o.result_.model.predict(o.result_.params, exog=survey[o.drivers].to_numpy(float))
    np.testing.assert_array_equal(o.predict_proba(survey).to_numpy(), ref)


def test_reduced_fit_with_zero_age_customers_keeps_its_notes(cal):
    # A no-dropout base (Poisson purchasing, gamma rates) plus three customers with T = 0.
    rng = np.random.default_rng(3)
    lam, age = rng.gamma(0.72, 1 / 65.6, 2000), rng.uniform(1.0, 365.0, 2000)
    x = rng.poisson(lam * age).astype(float)
    tx = np.where(x > 0, age * rng.uniform(size=2000) ** (1 / np.maximum(x, 1)), 0.0)
    data = pd.concat([pd.DataFrame({"frequency": x, "recency": tx, "T": age}),
                      pd.DataFrame({"frequency": [0.0] * 3, "recency": [0.0] * 3, "T": [0.0] * 3})],
                     ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crm.ModelFitWarning)
        m = crm.fit_btyd(data, model="bgnbd", time_unit="days")
    assert m.reduced_from == "bgnbd" and m.n_zero_age_ == 3 and len(m.notes_) == 2
    back = _roundtrip(m)
    assert (back.reduced_from, back.notes_, back.n_zero_age_) == (m.reduced_from, m.notes_, m.n_zero_age_)
    assert back.label == m.label
    assert back.expected_purchases(91, data).equals(m.expected_purchases(91, data))


def test_files_of_the_previous_layout_still_load():
    # Before the base, the grid defaults were private attributes saved under "extra".
    m = crm.BTYDModel.from_params("bgnbd", [0.243, 4.414, 0.793, 2.426])
    old = m.to_dict()
    del old["fields"]["max_T_"], old["fields"]["max_frequency_"]
    del old["fields"]["rows_dropped_"]
    old["extra"] = {"_max_T": 38.86, "_max_freq": 29}
    back = crm.BTYDModel.from_dict(old)
    assert (back.max_T_, back.max_frequency_) == (38.86, 29)
    grid = back.p_alive_matrix()
    assert grid.shape == (50, 30) and grid.index.max() == 38.86


def test_from_dict_refuses_another_class(models):
    with pytest.raises(CRMDataError, match="SBGModel, not a HazardModel"):
        crm.HazardModel.from_dict(models["SBGModel"].to_dict())


# --- not fitted ------------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda m: m.survival(3),
    lambda m: m.summary(),
    lambda m: m.to_dict(),
    lambda m: m.aic_,
    lambda m: m.project(5),
], ids=["survival", "summary", "to_dict", "aic", "project"])
def test_unfitted_model_raises_not_fitted_error(call):
    with pytest.raises(NotFittedError, match="fit"):
        call(crm.SBGModel())
    assert issubclass(NotFittedError, CRMDataError)  # old handlers keep working


def test_deprecated_sbg_names_warn_and_agree(models):
    m = models["SBGModel"]
    with pytest.warns(DeprecationWarning, match="standard_errors_"):
        assert m.se_.equals(m.standard_errors_)
    with pytest.warns(DeprecationWarning, match="covariance_"):
        assert m.cov_.equals(m.covariance_)


# --- one standard-error routine --------------------------------------------------------------

def test_standard_error_of_a_poisson_rate_matches_the_closed_form():
    # Poisson counts, rate estimated on the log scale: se(lambda) = sqrt(lambda / n).
    x = np.array([3, 0, 2, 5, 1, 4, 2, 2, 3, 1], float)
    n, lam = len(x), x.mean()

    def loglik(t):
        return float(np.sum(x * t[0] - np.exp(t[0]) - special.gammaln(x + 1)))

    se, cov = standard_errors(loglik, [np.log(lam)], names=["lambda"])
    assert se["lambda"] == pytest.approx(np.sqrt(lam / n), rel=1e-7)
    assert cov.loc["lambda", "lambda"] == pytest.approx(lam / n, rel=1e-7)


def test_sbg_standard_errors_equal_an_independent_hessian_in_alpha_beta(models):
    # Independent route: Hessian of the sBG log-likelihood directly in (alpha, beta), with
    # steps relative to each parameter and a five-point stencil, inverted as is.
    m = models["SBGModel"]
    counts = np.array(SBG_COUNTS, float)
    t = np.arange(1, len(counts))
    lost = counts[:-1] - counts[1:]

    def ll(a, b):
        pmf = special.betaln(a + 1, b + t - 1) - special.betaln(a, b)
        surv = special.betaln(a, b + t[-1]) - special.betaln(a, b)
        return float(np.sum(lost * pmf) + counts[-1] * surv)

    p = m.params_.to_numpy()
    h = 1e-4 * p
    H = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            def g(di, dj, i=i, j=j):
                q = p.copy()
                q[i] += di * h[i]
                q[j] += dj * h[j]
                return ll(*q)
            H[i, j] = (g(1, 1) - g(1, -1) - g(-1, 1) + g(-1, -1)) / (4 * h[i] * h[j])
    ref = np.sqrt(np.diag(np.linalg.inv(-H)))
    np.testing.assert_allclose(m.standard_errors_.to_numpy(), ref, rtol=1e-5)


def test_numerical_hessian_of_a_quadratic_is_exact():
    A = np.array([[-2.0, 0.5, 0.0], [0.5, -1.0, 0.3], [0.0, 0.3, -4.0]])
    H = numerical_hessian(lambda v: 0.5 * v @ A @ v + v.sum(), np.array([0.3, -0.2, 1.1]))
    np.testing.assert_allclose(H, A, atol=1e-6)


# --- rows dropped: one report ----------------------------------------------------------------

def test_cox_reports_dropped_rows_one_way(telco):
    data = telco.copy()
    data.loc[data.index[:3], "monthly_charges"] = np.nan
    with pytest.warns(DataCleaningWarning, match="churn_hazard_model: dropped 3 rows"):
        m = crm.churn_hazard_model(data, duration="tenure", event="churn",
                                   covariates=["contract", "monthly_charges"])
    assert m.rows_dropped_ == {"missing value": 3} and m.n_dropped_ == 3
    assert m.notes_ == [rows_dropped_note("churn_hazard_model", {"missing value": 3})]
    assert m.n_obs_ == len(telco) - 3


def test_spend_model_counts_customers_without_repeat_purchase(models, cal):
    gg = models["SpendModel"]
    n_zero = int((cal["frequency_cal"] == 0).sum())
    assert gg.rows_dropped_ == {"no repeat purchase": n_zero} == {"no repeat purchase": gg.n_excluded_}
    assert gg.notes_ == [f"fit_gamma_gamma: dropped {n_zero:,} rows ({n_zero:,} no repeat purchase)"]


def test_ordered_model_counts_dropped_responses(survey):
    data = survey.copy()
    data.loc[data.index[:4], "speed"] = np.nan
    m = crm.ordered_satisfaction_model(data, "overall_satisfaction", ["speed", "ambience"], dropna=True)
    assert m.rows_dropped_ == {"missing value": 4} and m.n_obs_ == len(data) - 4
    assert m.params_.attrs["n_dropped"] == 4  # the older report stays


@pytest.mark.parametrize("counts,text", [
    ({"missing value": 1}, "f: dropped 1 row (1 missing value)"),
    ({"missing value": 2, "missing code": 0, "off scale": 1000},
     "f: dropped 1,002 rows (2 missing value; 1,000 off scale)"),
], ids=["one-row", "reasons-and-thousands"])
def test_rows_dropped_note_wording(counts, text):
    assert rows_dropped_note("f", counts) == text


def test_other_results_expose_the_same_rows_dropped_mapping():
    log = pd.DataFrame({"customer_id": [1, 1, 2, None, 3],
                        "date": ["2020-01-01", "2020-01-02", "not a date", "2020-01-03", "2020-01-04"],
                        "amount": [10.0, 5.0, 3.0, 4.0, 2.0]})
    res = crm.validate_transactions(log)
    assert res.rows_dropped_ == {"missing customer id": 1, "unparseable date": 1}
    assert sum(res.rows_dropped_.values()) == res.n_dropped == 2
    survey = pd.DataFrame({"customer_id": range(12), "a": [1, 2, 3, 4, 5, 6] * 2,
                           "b": [2, 3, 3, 5, 6, 7] * 2, "c": [1, 3, 2, 5, 7, 6] * 2})
    survey.loc[3, "a"] = None
    idx = crm.loyalty_index(survey, components={"x": ["a"], "y": ["b", "c"]}, item_range=(1, 7),
                            missing="drop")
    assert idx.rows_dropped_ == {"missing value": 1} and idx.n_dropped_ == 1
    cmp = crm.drivers.ContextComparison(pd.DataFrame(), 0.0, 1.0, ("a", "b"), n_dropped=2,
                                        dropped={"missing value": 2, "missing code": 0})
    assert cmp.rows_dropped_ == {"missing value": 2}


def test_churn_by_group_counts_missing_groups_in_attrs():
    d = pd.DataFrame({"calls": [0, 1, None, 7, None], "churn": [0, 1, 1, 1, 0]})
    with pytest.warns(DataCleaningWarning, match="2 rows with a missing group"):
        table = crm.churn_by_group(d, by="calls")
    assert table.attrs["dropped"] == {"missing group": 2} and table.attrs["n_dropped"] == 2
    assert table["customers"].sum() == 3
