"""Time-invariant covariates in BG/NBD and Pareto/NBD (crm_analysis.covariates).

Authorities: lifetimes' likelihoods (the covariate likelihood at gamma = 0 is
the plain model's), crm.fit_btyd (same maximum without effects), and
parameter recovery on bases simulated with known effects.
"""

import numpy as np
import pandas as pd
import pytest
from lifetimes import ParetoNBDFitter

import crm_analysis as crm
from crm_analysis import CRMDataError
from crm_analysis.covariates import _pareto_loglik, fit_btyd_covariates
from crm_analysis.forecast import simulate_btyd_summary


@pytest.fixture(scope="module")
def cal(cdnow):
    return crm.rfm_summary(cdnow, freq="D", freq_multiplier=7, calibration_end="1997-09-30",
                           observation_end="1998-06-30")


def test_pareto_likelihood_equals_lifetimes(cal):
    x, tx, T = (cal[c].to_numpy() for c in ("frequency_cal", "recency_cal", "T_cal"))
    for p in ([0.553, 10.58, 0.606, 11.67], [1.4, 1.36, 0.5, 30.0], [0.3, 2.0, 2.5, 0.8]):
        ref = ParetoNBDFitter._conditional_log_likelihood(p, x, tx, T)
        np.testing.assert_allclose(_pareto_loglik(*p, x, tx, T), ref, rtol=0, atol=1e-9)


@pytest.mark.parametrize("model", ["bgnbd", "pareto"])
def test_no_effect_covariate_gives_the_plain_model(cal, model):
    # A covariate unrelated to behaviour: estimates near zero, same maximum as fit_btyd.
    rng = np.random.default_rng(3)
    z = pd.DataFrame({"noise": rng.integers(0, 2, len(cal)).astype(float)}, index=cal.index)
    m = fit_btyd_covariates(cal, z, purchase=["noise"], dropout=["noise"], model=model)
    plain = crm.fit_btyd(cal, model=model, aggregate=True)
    assert m.log_likelihood_ >= plain.log_likelihood_ - 1e-6  # nested: never worse
    # Two useless parameters: the likelihood-ratio statistic stays below chi2(2)'s 99.9% point.
    from scipy.stats import chi2

    assert 2 * (m.log_likelihood_ - plain.log_likelihood_) < chi2.ppf(0.999, 2)
    assert (np.abs(m.params_.iloc[4:] / m.standard_errors_.iloc[4:]) < 3.3).all()
    # With both effects fixed at 0 the likelihood is the plain model's at the same parameters.
    from crm_analysis.covariates import _loglik_rows

    theta = np.concatenate([np.log(plain.params_.to_numpy()), [0.0, 0.0]])
    x, tx, T = (cal[c].to_numpy() for c in ("frequency_cal", "recency_cal", "T_cal"))
    zz = z.to_numpy()
    ll0 = _loglik_rows(model, theta, 1, x, tx, T, zz, zz).sum()
    assert ll0 == pytest.approx(plain.log_likelihood_, abs=1e-6)


@pytest.mark.parametrize("model,base", [("pareto", [0.8, 8.0, 0.6, 12.0]), ("bgnbd", [0.8, 8.0, 0.6, 2.5])])
def test_recovers_known_effects(model, base):
    gp, gd, n = 0.5, 0.6, 2000
    shifted = list(base)
    shifted[1] = base[1] * np.exp(-gp)
    if model == "pareto":
        shifted[3] = base[3] * np.exp(-gd)
    else:
        shifted[2] = base[2] * np.exp(gd)
    s = pd.concat([simulate_btyd_summary(model, base, n, seed=11),
                   simulate_btyd_summary(model, shifted, n, seed=12)], ignore_index=True)
    z = pd.DataFrame({"z": np.r_[np.zeros(n), np.ones(n)]})
    m = fit_btyd_covariates(s, z, purchase=["z"], dropout=["z"], model=model)
    est, se = m.params_, m.standard_errors_
    assert abs(est["purchase:z"] - gp) < 3 * se["purchase:z"]
    assert abs(est["dropout:z"] - gd) < 3 * se["dropout:z"]
    assert abs(np.log(est["alpha"] / base[1])) < 3 * se["alpha"] / est["alpha"]
    table = m.summary()
    assert table.loc["purchase:z", "exp(coef)"] == pytest.approx(np.exp(est["purchase:z"]))
    # Each customer's own parameters follow exp(gamma' z).
    own = m.customer_parameters(z.iloc[[0, -1]])
    assert own["alpha"].iloc[1] == pytest.approx(est["alpha"] * np.exp(-est["purchase:z"]))


def test_model_roundtrips_through_json(cal):
    z = pd.DataFrame({"late": (cal["T_cal"] < 33).astype(float)}, index=cal.index)
    m = fit_btyd_covariates(cal, z, purchase=["late"], model="bgnbd")
    back = type(m).from_dict(m.to_dict())
    assert back.summary().equals(m.summary()) and back.purchase_covariates == ["late"]


@pytest.mark.parametrize("kwargs,match", [
    ({"purchase": ["const"]}, "does not vary"),
    ({"purchase": ["nope"]}, "nope"),
    ({}, "at least one covariate"),
    ({"purchase": ["late"], "model": "mbgnbd"}, "model must be"),
])
def test_bad_input(cal, kwargs, match):
    z = pd.DataFrame({"const": 1.0, "late": (cal["T_cal"] < 33).astype(float)}, index=cal.index)
    with pytest.raises(CRMDataError, match=match):
        fit_btyd_covariates(cal, z, **kwargs)


def test_customers_without_covariates(cal):
    z = pd.DataFrame({"late": 1.0}, index=cal.index[:10])
    with pytest.raises(CRMDataError, match="have no covariates"):
        fit_btyd_covariates(cal, z, purchase=["late"])
