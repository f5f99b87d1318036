"""The messy-log simulator, and the whole chain on it: validate -> summary -> fit -> scores.

The truth is what the simulator wrote (each line's generating label and the
documented order of the checks); the summary is checked against a brute-force
loop over the lines the truth keeps.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import crm_analysis as crm
from crm_analysis import CRMDataError, simulate_messy_log


@pytest.fixture(scope="module")
def sim():
    return simulate_messy_log(800, seed=11)


@pytest.fixture(scope="module")
def cleaned(sim):
    return crm.validate_transactions(sim.data, **sim.options)


def test_realistic_rates(sim):
    data, kind = sim.data, sim.line_type
    assert data["customer_id"].isna().mean() == pytest.approx(0.25, abs=0.02)
    cancels = data["invoice"].str.startswith("C") & (data["quantity"] < 0)
    assert cancels.mean() == pytest.approx(0.02, abs=0.006)
    assert data.duplicated().mean() == pytest.approx(0.01, abs=0.003)
    assert (data["unit_price"] == 0).sum() > 0 and (data["unit_price"] < 0).sum() >= 4
    assert kind.str.contains("before window").any() and kind.str.contains("write-off").any()
    assert data["stock_code"].isin(crm.simulate.NON_PRODUCT_CODES).any()
    # Minute resolution, and customers first seen on the last day.
    stamps = pd.to_datetime(data["invoice_date"])
    assert (stamps.dt.second == 0).all() and stamps.dt.minute.nunique() > 30
    end = pd.Timestamp(sim.options["observation_end"])
    first = stamps.groupby(data["customer_id"]).min()
    assert (first.dt.normalize() == end).sum() >= 5
    # Bad-debt adjustments of both signs.
    debt = data[data["stock_code"] == "B"]["unit_price"]
    assert (debt > 0).any() and (debt < 0).any()


def test_same_seed_same_log():
    a, b = simulate_messy_log(50, seed=3), simulate_messy_log(50, seed=3)
    pd.testing.assert_frame_equal(a.data, b.data)
    assert not a.data.equals(simulate_messy_log(50, seed=4).data)


def test_every_count_matches_the_truth(sim, cleaned):
    report = cleaned.report
    dropped = report[report["action"] == "dropped"].set_index("check")["rows"].to_dict()
    kept = report[report["action"] == "kept"].set_index("check")["rows"].to_dict()
    assert dropped == sim.dropped
    assert kept == sim.kept_flags
    assert sum(dropped.values()) == cleaned.n_dropped
    assert cleaned.data.index.equals(sim.kept_rows)


def test_net_revenue_matches_the_truth(sim, cleaned):
    net = cleaned.data.groupby("customer_id")["amount"].sum()
    pd.testing.assert_index_equal(net.index, sim.net_revenue.index)
    np.testing.assert_allclose(net.to_numpy(), sim.net_revenue.to_numpy(), rtol=0, atol=1e-9)
    assert cleaned.amount_netted == pytest.approx(sim.amount_netted, abs=1e-9)
    assert cleaned.amount_not_netted == pytest.approx(sim.amount_not_netted, abs=1e-9)
    # The customer who cancelled everything has no revenue left, and no row.
    gone = sim.data.loc[sim.line_type == "cancelled in full", "customer_id"].max()
    assert gone not in net.index


def test_chain_summary_fit_scores(sim, cleaned):
    opts = sim.options
    end = pd.Timestamp(opts["observation_end"])
    summary = crm.rfm_summary(cleaned.data, customer_id="customer_id", date="invoice_date",
                              amount="amount", freq="D", freq_multiplier=7, observation_end=end)

    # Brute force from the rows the truth keeps: purchase days per customer.
    kept = sim.data.loc[sim.kept_rows]
    days = pd.to_datetime(kept["invoice_date"]).dt.normalize()
    per = days.groupby(kept["customer_id"]).agg(["min", "max", "nunique"])
    assert summary.index.equals(per.index)
    np.testing.assert_array_equal(summary["frequency"], per["nunique"] - 1)
    np.testing.assert_allclose(summary["recency"], (per["max"] - per["min"]).dt.days / 7)
    np.testing.assert_allclose(summary["T"], (end - per["min"]).dt.days / 7)
    # Monetary value: mean net spend of the repeat purchase days.
    by_day = sim.kept_amount.groupby([kept["customer_id"], days]).sum()
    first_day = by_day.groupby(level=0).head(1)
    repeat = by_day.drop(first_day.index).groupby(level=0).mean()
    np.testing.assert_allclose(summary["monetary_value"], repeat.reindex(per.index).fillna(0.0),
                               rtol=0, atol=1e-9)
    assert np.allclose(cleaned.data["amount"], sim.kept_amount, rtol=0, atol=1e-9)

    # Customers first seen on the last day (T = 0) stay in the fit: their likelihood
    # contribution is 1, and the model counts them.
    newcomers = summary["T"] == 0
    assert newcomers.sum() == (per["min"] == end).sum() >= 5
    fit_on = summary

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crm.clv.ModelFitWarning)
        model = crm.fit_btyd(fit_on, model="bgnbd")
        repeat = fit_on[(fit_on["frequency"] > 0) & (fit_on["monetary_value"] > 0)]
        spend = crm.fit_gamma_gamma(repeat)
    assert np.isfinite(model.params_).all()
    assert model.n_zero_age_ == newcomers.sum()
    scores = crm.score_in_chunks(model, fit_on, t=52, spend=spend, horizon=52, progress=False)
    assert scores.index.equals(fit_on.index)
    assert np.isfinite(scores.to_numpy()).all()
    assert scores["p_alive"].between(0, 1).all()
    assert (scores["clv"] >= 0).all()


@pytest.mark.parametrize("style,fmt,dayfirst", [("iso", "%Y-%m-%d %H:%M", False),
                                                ("dayfirst", "%d/%m/%Y %H:%M", True)])
def test_text_dates_hold_the_same_timestamps(style, fmt, dayfirst):
    plain = simulate_messy_log(40, seed=5)
    text = simulate_messy_log(40, seed=5, dates=style)
    assert text.data["invoice_date"].map(type).eq(str).all()
    back = pd.to_datetime(text.data["invoice_date"], format=fmt)
    np.testing.assert_array_equal(back.to_numpy(), plain.data["invoice_date"].to_numpy())
    assert text.data.drop(columns="invoice_date").equals(plain.data.drop(columns="invoice_date"))


@pytest.mark.parametrize(
    "kwargs,message",
    [
        pytest.param({"n_customers": 5}, "n_customers", id="too-few-customers"),
        pytest.param({"guest_share": 1.0}, "guest_share", id="guest-share-one"),
        pytest.param({"cancel_share": -0.1}, "cancel_share", id="negative-share"),
        pytest.param({"dates": "us"}, "dates", id="unknown-date-style"),
        pytest.param({"start": "2011-12-01", "end": "2011-12-09"}, "30 days", id="short-window"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(CRMDataError, match=message):
        simulate_messy_log(**{"n_customers": 50, **kwargs})
