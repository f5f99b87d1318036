"""Lost-customer simulator: reproducible, documented generating process, known truth."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crm_analysis import CRMDataError, simulate_lost_customers
from crm_analysis.simulate import LostCustomers
from crm_analysis.simulate.lost import LOST_CATEGORY_SHARES, REASON_CODES_BY_CATEGORY


def test_same_seed_same_customers_and_unpacking():
    a = simulate_lost_customers(200, seed=3)
    b = simulate_lost_customers(200, seed=3)
    assert isinstance(a, LostCustomers)
    pd.testing.assert_frame_equal(a.data, b.data)
    pd.testing.assert_series_equal(a.truth, b.truth)
    data, truth = a
    assert len(data) == len(truth) == 200
    assert "true_category" not in data.columns
    assert not simulate_lost_customers(200, seed=4).data.equals(a.data)


def test_category_shares_match_the_documented_probabilities():
    sim = simulate_lost_customers(20000, seed=1)
    cats = list(LOST_CATEGORY_SHARES)
    observed = sim.truth.value_counts().reindex(cats).to_numpy()
    expected = 20000 * np.array([LOST_CATEGORY_SHARES[c] for c in cats])
    assert stats.chisquare(observed, expected).pvalue > 0.001
    custom = simulate_lost_customers(5000, seed=2, shares={"dropped": 1, "price_seeker": 3})
    assert set(custom.truth) == {"dropped", "price_seeker"}
    assert custom.truth.eq("price_seeker").mean() == pytest.approx(0.75, abs=0.03)


def test_survey_and_behaviour_follow_the_generating_process():
    sim = simulate_lost_customers(20000, seed=5, response_rate=0.6, survey_noise=0.1)
    d, t = sim.data, sim.truth
    answered = d["reason_code"].notna()
    assert answered.mean() == pytest.approx(0.6, abs=0.015)
    # respondents: 5% "other", then 90% of the rest give one of their own category's codes
    own = np.array([code in REASON_CODES_BY_CATEGORY[c] for code, c in zip(d["reason_code"], t, strict=True)])
    other = d["reason_code"] == "other"
    assert other[answered].mean() == pytest.approx(0.05, abs=0.01)
    assert own[answered & ~other].mean() == pytest.approx(0.9, abs=0.015)
    # price seekers' discount share ~ Beta(6, 4) (mean 0.6); others Beta(2, 8) (mean 0.2)
    assert d.loc[t == "price_seeker", "discount_share"].mean() == pytest.approx(0.6, abs=0.01)
    assert d.loc[t == "unmet_needs", "discount_share"].mean() == pytest.approx(0.2, abs=0.01)
    assert d.loc[t == "dropped", "firm_terminated"].mean() == pytest.approx(0.95, abs=0.02)
    assert d.loc[t != "dropped", "firm_terminated"].sum() == 0
    assert d.loc[t == "unmet_needs", "complaint_90d"].mean() == pytest.approx(0.7, abs=0.02)
    assert d.loc[t == "changed_conditions", "relocated"].mean() == pytest.approx(0.7, abs=0.02)
    near_cut = d["days_after_price_cut"] <= 30
    assert near_cut[t == "price_seeker"].mean() == pytest.approx(0.7, abs=0.02)
    # first life: recency <= T, a silence of 8-40 weeks before the loss
    gap = d["T"] - d["recency"]
    assert (gap[d["frequency"] > 0] >= 8 - 0.01).all() and (gap[d["frequency"] > 0] <= 40.01).all()
    assert (d["recency"][d["frequency"] == 0] == 0).all()
    # dropped customers were worth little; competitor-value customers most
    margin = d.groupby(t)["annual_margin"].mean()
    assert margin.idxmin() == "dropped" and margin.idxmax() == "competitor_value"


@pytest.mark.parametrize("kwargs,match", [
    ({"n": 0}, "at least 1"),
    ({"shares": {"bored": 1.0}}, "unknown categories"),
    ({"response_rate": 1.5}, "response_rate"),
    ({"survey_noise": -0.1}, "survey_noise"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(CRMDataError, match=match):
        simulate_lost_customers(**{"n": 10, **kwargs})
