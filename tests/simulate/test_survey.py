"""The restaurant-survey simulator: shape, scales, determinism, committed file, truth recoverable."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import crm_analysis as crm
from crm_analysis.simulate import SURVEY_ATTRIBUTES

DATA = Path(crm.__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="module")
def sim():
    return crm.simulate_restaurant_survey(n_customers=3000, n_branches=30, seed=5)


def test_columns_scales_and_ids(sim):
    d = sim.data
    assert len(d) == 3000 and d["customer_id"].is_unique
    assert d["customer_id"].iloc[0] == "C00001" and d["customer_id"].iloc[-1] == "C03000"
    assert set(d["context"]) == {"lunch", "dinner"}
    assert d["branch_id"].nunique() <= 30 and d["branch_id"].str.match(r"^B\d{2}$").all()
    for col in [
        *sim.attribute_names,
        "overall_satisfaction",
        "initiative",
        "repurchase_intent",
        "resistance_to_switching",
    ]:
        assert d[col].between(1, 10).all() and pd.api.types.is_integer_dtype(d[col]), col
    assert d["recommend"].between(0, 10).all()
    assert 8 <= len(sim.attribute_names) <= 12
    assert set(sim.groups.values()) == {"value", "systems", "people"}
    # Likert skew: a satisfaction scale piles up above its midpoint (negative skew)
    assert d["overall_satisfaction"].skew() < 0 and d["overall_satisfaction"].median() >= 7
    # employee satisfaction is one value per branch
    assert (d.groupby("branch_id")["employee_satisfaction"].nunique() == 1).all()


def test_deterministic_and_unpackable():
    a = crm.simulate_restaurant_survey(200, 5, seed=3)
    b = crm.simulate_restaurant_survey(200, 5, seed=3)
    pd.testing.assert_frame_equal(a.data, b.data)
    pd.testing.assert_frame_equal(a.customers, b.customers)
    data, truth = a
    assert data is a.data and truth is a
    c = crm.simulate_restaurant_survey(200, 5, seed=4)
    assert not a.data.equals(c.data)


def test_truth_tables(sim):
    assert sim.true_ranking("lunch")[0] == "speed"
    assert sim.true_ranking("dinner")[0] in {"ambience", "personal_touch"}
    assert sim.params["basic_attribute"] == "cleanliness"
    assert sim.params["delight_attribute"] == "personal_touch"
    cust = sim.customers
    assert list(cust["customer_id"]) == list(sim.data["customer_id"])
    # latent attitude is correlated with satisfaction at the set strength, not equal to it
    r = np.corrcoef(cust["latent_satisfaction"], cust["latent_attitude"])[0, 1]
    assert abs(r - sim.params["satisfaction_to_loyalty"]) < 0.05
    # the loyalty items are noisy indicators of the attitude: ordered by loading
    cors = {
        i: np.corrcoef(cust["latent_attitude"], sim.data[i])[0, 1]
        for i in ["repurchase_intent", "initiative", "resistance_to_switching"]
    }
    assert cors["repurchase_intent"] > cors["initiative"] > cors["resistance_to_switching"] > 0.4
    # branch truth: employee satisfaction drives service quality
    br = sim.branches
    assert br["n_responses"].sum() == 3000
    assert np.corrcoef(br["latent_employee_satisfaction"], br["service_quality"])[0, 1] > 0.4
    with pytest.raises(crm.CRMDataError):
        sim.true_ranking("breakfast")


def test_committed_file_matches_simulator():
    params = json.loads((DATA / "restaurant_survey_params.json").read_text())
    sim = crm.simulate_restaurant_survey(
        n_customers=params["n_customers"], n_branches=params["n_branches"], seed=params["seed"]
    )
    on_disk = pd.read_csv(DATA / "restaurant_survey.csv")
    pd.testing.assert_frame_equal(on_disk, sim.data, check_dtype=False)
    assert json.loads(sim.params_json()) == params
    assert [a["attribute"] for a in params["attributes"]] == list(SURVEY_ATTRIBUTES["attribute"])


@pytest.mark.parametrize(
    "kwargs",
    [{"n_customers": 0}, {"n_branches": -1}, {"halo": 1.5}, {"satisfaction_noise": 0},
     {"weight_scale": {"staff": 2.0}}, {"weight_scale": {"people": -1.0}},
     {"weight_scale": {"people": float("nan")}}],
    ids=["n_customers", "n_branches", "halo", "noise", "weight-unknown-group",
         "weight-negative", "weight-nan"],
)
def test_bad_parameters(kwargs):
    with pytest.raises(crm.CRMDataError):
        crm.simulate_restaurant_survey(**{"n_customers": 10, "n_branches": 2, **kwargs})


def test_weight_scale_multiplies_the_true_weights_of_one_group():
    base = crm.simulate_restaurant_survey(300, 5, seed=2)
    scaled = crm.simulate_restaurant_survey(300, 5, seed=2, weight_scale={"people": 3.0})
    people = (SURVEY_ATTRIBUTES["group"] == "people").to_numpy()
    for col in ("weight_lunch", "weight_dinner", "effect_lunch", "effect_dinner"):
        ratio = scaled.attributes[col].to_numpy() / base.attributes[col].to_numpy()
        np.testing.assert_allclose(ratio[people], 3.0)   # effect = weight x sd, sd unchanged
        np.testing.assert_allclose(ratio[~people], 1.0)
    # Same seed, same ratings: only overall satisfaction (and what follows it) changes.
    pd.testing.assert_frame_equal(scaled.data[scaled.attribute_names], base.data[base.attribute_names])
    assert scaled.params["weight_scale"] == {"people": 3.0} and "weight_scale" not in base.params
