"""loyalty.py against hand computations, closed forms, brute force and simulated truth."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crm_analysis as crm
from crm_analysis import CRMDataError
from crm_analysis.plotting import (
    plot_lock_in,
    plot_loyalty_matrix,
    plot_switching_matrix,
    plot_traits_vs_index,
)
from crm_analysis.simulate import simulate_lock_in, simulate_loyalty_joint

# Four respondents, three items: small enough to compute alpha by hand.
HAND = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 2, 4, 4], "c": [1, 3, 3, 5]})
SURVEY_RANGE = {"overall_satisfaction": (1, 10), "initiative": (1, 10), "repurchase_intent": (1, 10),
                "resistance_to_switching": (1, 10), "recommend": (0, 10)}


@pytest.fixture(scope="module")
def world():
    return simulate_loyalty_joint(n_customers=2000, seed=11)


@pytest.fixture(scope="module")
def joined(world):
    idx = crm.loyalty_index(world.survey, item_range=SURVEY_RANGE)
    beh = crm.behavioural_loyalty(world.transactions, amount="amount", category="category",
                                  observation_end=world.observation_end, p_alive=False)
    return crm.join_survey_behaviour(idx.scores_[["loyalty_index"]], beh).data


# --- reliability ---------------------------------------------------------------------------
def test_raw_alpha_equals_hand_computation():
    # item variances 5/3, 4/3, 8/3 (sum 17/3); variance of the sum [4, 7, 10, 13] is 15
    hand = 3 / 2 * (1 - (17 / 3) / 15)
    assert crm.cronbach_alpha(HAND) == pytest.approx(hand, abs=1e-12)
    assert hand == pytest.approx(42 / 45)


def test_standardised_alpha_equals_hand_computation():
    # inter-item correlations: r_ab = 2/sqrt(5), r_ac = 6/sqrt(40), r_bc = 1/sqrt(2)
    rbar = (2 / math.sqrt(5) + 6 / math.sqrt(40) + 1 / math.sqrt(2)) / 3
    hand = 3 * rbar / (1 + 2 * rbar)
    assert crm.cronbach_alpha(HAND, standardized=True) == pytest.approx(hand, abs=1e-12)


def test_raw_and_standardised_alpha_agree_for_equal_variances(rng):
    f = rng.normal(size=400)
    x = pd.DataFrame({k: f + rng.normal(size=400) for k in "pqrs"})
    z = (x - x.mean()) / x.std()
    assert crm.cronbach_alpha(z) == pytest.approx(crm.cronbach_alpha(z, standardized=True), abs=1e-12)


def test_item_total_correlations_by_hand():
    out = crm.item_total_correlations(HAND)
    # c against a + b = [3, 4, 7, 8]: cross-products 10, sums of squares 17 and 8
    assert out.loc["c", "item_rest_r"] == pytest.approx(10 / math.sqrt(17 * 8))
    # alpha of {a, b}: variances 5/3 + 4/3 = 3, variance of a + b = 17/3
    assert out.loc["c", "alpha_if_deleted"] == pytest.approx(2 * (1 - 3 / (17 / 3)))
    assert out.loc["a", "item_rest_r"] == pytest.approx(1.0)  # a is exactly linear in b + c


def test_one_factor_two_items_closed_form(rng):
    x = pd.DataFrame(rng.normal(size=(300, 2)), columns=["u", "v"])
    x["v"] += x["u"]
    r = np.corrcoef(x["u"], x["v"])[0, 1]
    check = crm.one_factor_check(x)
    # a 2x2 correlation matrix has eigenvalues 1 + r and 1 - r
    np.testing.assert_allclose(check.eigenvalues_, [1 + r, 1 - r])
    assert check.first_share_ == pytest.approx((1 + r) / 2)
    np.testing.assert_allclose(check.loadings_, [math.sqrt((1 + r) / 2)] * 2)


def test_one_factor_recovers_known_loadings(rng):
    lam = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    f = rng.normal(size=20000)
    x = pd.DataFrame(f[:, None] * lam + rng.normal(size=(20000, 5)) * np.sqrt(1 - lam**2),
                     columns=list("abcde"))
    check = crm.one_factor_check(x)
    assert check.n_factors_kaiser_ == 1
    # first principal component loadings exceed the factor loadings but keep their order
    assert list(check.loadings_.sort_values(ascending=False).index) == list("abcde")
    assert (check.loadings_ > lam - 0.02).all()


@pytest.mark.parametrize("bad,problem", [
    (HAND.assign(a=[1, None, 3, 4]), "missing answers"),
    (HAND.assign(b=["2", "x", "4", "4"]), "non-numeric"),
    (HAND.assign(c=3), "zero variance"),
    (HAND[["a"]], "at least two item"),
])
def test_alpha_bad_input(bad, problem):
    with pytest.raises(CRMDataError, match=problem):
        crm.cronbach_alpha(bad)


# --- loyalty index -------------------------------------------------------------------------
def _survey():
    return pd.DataFrame({
        "customer_id": ["x", "y", "z", "w"],
        "satisfaction_1": [7, 1, 4, 5], "satisfaction_2": [7, 2, 4, 6],
        "initiative_1": [6, 1, 3, 5], "repurchase_1": [7, 2, 5, 4],
        "recommend_1": [7, 1, 4, 6], "resistance_1": [5, 1, 4, 7],
    })


def test_index_rescales_and_averages_components_by_hand():
    s = _survey()
    before = s.copy()
    idx = crm.loyalty_index(s, item_range=(1, 7))
    pd.testing.assert_frame_equal(s, before)
    x = idx.scores_.loc["x"]
    assert x["satisfaction"] == pytest.approx(100.0)
    assert x["resistance"] == pytest.approx(100 * 4 / 6)
    # equal-weight mean of the component scores, not of the items
    hand = 100 * np.mean([1, 5 / 6, 1, 1, 4 / 6])
    assert x["loyalty_index"] == pytest.approx(hand)
    assert idx.diagnostics_.loc["initiative", "n_items"] == 1
    assert np.isnan(idx.diagnostics_.loc["initiative", "alpha"])
    sat = s[["satisfaction_1", "satisfaction_2"]]
    assert idx.diagnostics_.loc["satisfaction", "alpha"] == pytest.approx(crm.cronbach_alpha(sat))
    assert idx.diagnostics_.loc["overall", "n_items"] == 6


def test_index_finds_restaurant_survey_items(world):
    idx = crm.loyalty_index(world.survey, item_range=SURVEY_RANGE)
    assert idx.components_["repurchase"] == ["repurchase_intent"]
    assert idx.scores_["loyalty_index"].between(0, 100).all()
    assert idx.factor_.n_factors_kaiser_ == 1  # the five components load on one factor
    assert idx.diagnostics_.loc["overall", "alpha"] > 0.7
    # the index tracks the simulated latent attitude closely
    truth = world.customers.set_index("customer_id")["latent_attitude"]
    assert np.corrcoef(truth, idx.scores_["loyalty_index"].reindex(truth.index))[0, 1] > 0.8


@pytest.mark.parametrize("call, match, also", [
    (lambda s: crm.loyalty_index(s.drop(columns="initiative_1")), r"component\(s\) \['initiative'\]",
     []),
    (lambda s: crm.loyalty_index(s.assign(recommend_1=[7, 1, 9, 6]), item_range=(1, 7)),
     "outside the scale", ["recommend_1", "9"]),
    (lambda s: crm.loyalty_index(s.assign(customer_id=["x", "x", "z", "w"])), "duplicated ids", []),
    (lambda s: crm.loyalty_index(s.assign(initiative_1=[6, None, 3, 5])), "missing answers", []),
    (lambda s: crm.loyalty_index(s, components={"a": ["nope"], "b": ["initiative_1"]}), "not found",
     []),
], ids=["missing-component", "outside-scale", "duplicated-ids", "missing-answers",
        "unknown-item"])
def test_index_input_errors(call, match, also):
    with pytest.raises(CRMDataError, match=match) as err:
        call(_survey())
    assert all(word in str(err.value) for word in also)


def test_index_drop_missing_counts_rows():
    s = pd.concat([_survey()] * 2, ignore_index=True)
    s["customer_id"] = range(len(s))
    s.loc[3, "initiative_1"] = None
    idx = crm.loyalty_index(s, item_range=(1, 7), missing="drop")
    assert idx.n_dropped_ == 1 and len(idx.scores_) == len(s) - 1 and 3 not in idx.scores_.index


def _survey_with_codes():
    s = pd.concat([_survey()] * 3, ignore_index=True)
    s["customer_id"] = range(len(s))
    s.loc[[2, 7], "recommend_1"] = 0  # "not applicable" on a 1-7 scale
    s.loc[5, "initiative_1"] = None
    return s


def test_index_missing_codes_are_not_rescaled_as_the_lowest_rating():
    s = _survey_with_codes()
    idx = crm.loyalty_index(s, item_range=(1, 7), missing="drop", missing_codes=[0])
    assert idx.n_dropped_ == 3
    assert idx.dropped_ == {"missing value": 1, "missing code": 2}
    kept = s.drop(index=[2, 5, 7])
    ref = crm.loyalty_index(kept, item_range=(1, 7))
    pd.testing.assert_frame_equal(idx.scores_, ref.scores_)


@pytest.mark.parametrize("call, match", [
    (lambda s: crm.loyalty_index(s, item_range=(1, 7), missing_codes=[0]), r"missing_codes=\[0\]"),
    # without the codes the 0 lies outside the declared scale and is refused
    (lambda s: crm.loyalty_index(s.drop(index=[5]), item_range=(1, 7)), "outside the scale"),
], ids=["codes-with-missing-values", "code-without-missing-codes"])
def test_index_missing_codes_errors(call, match):
    with pytest.raises(CRMDataError, match=match):
        call(_survey_with_codes())


# --- behaviour -----------------------------------------------------------------------------
def test_behavioural_measures_by_hand():
    log = pd.DataFrame({
        "customer_id": [1, 1, 1, 1, 2],
        "date": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-08", "2024-01-22", "2024-01-29"]),
        "category": ["a", "b", "b", "c", "a"],
        "amount": [10.0, 5.0, 5.0, 20.0, 8.0],
    })
    out = crm.behavioural_loyalty(log, amount="amount", category="category",
                                  observation_end="2024-02-05", p_alive=False)
    one = out.loc[1]
    # purchase days 0, 7, 21; end day 35 -> gaps 1 and 2 weeks, T = 5 weeks
    assert one["purchases"] == 3 and one["repeat_purchases"] == 2
    assert one["tenure_weeks"] == pytest.approx(5.0)
    assert one["repeat_rate"] == pytest.approx(2 / 5)
    assert one["regularity_cv"] == pytest.approx(np.std([1, 2], ddof=1) / 1.5)
    assert one["recency_ratio"] == pytest.approx(2 / 1.5)
    assert one["breadth"] == 3
    assert one["monetary_value"] == pytest.approx(40 / 3)
    two = out.loc[2]
    assert np.isnan(two["regularity_cv"]) and np.isnan(two["recency_ratio"])
    # a purchase after the observation end counts for no measure
    late = pd.DataFrame({"customer_id": [1], "date": pd.to_datetime(["2024-03-01"]),
                         "category": ["z"], "amount": [999.0]})
    again = crm.behavioural_loyalty(pd.concat([log, late], ignore_index=True), amount="amount",
                                    category="category", observation_end="2024-02-05", p_alive=False)
    pd.testing.assert_frame_equal(again, out)


def _sql_only(monkeypatch):
    """Make sure a file is aggregated in DuckDB, not read into pandas."""
    import crm_analysis.loyalty as loyalty

    def refuse(*args, **kwargs):
        raise AssertionError("the file was read into pandas")

    monkeypatch.setattr(loyalty, "read_log_files", refuse)


@pytest.mark.parametrize("kwargs", [
    {},
    {"amount": "amount", "category": "category"},
    {"amount": "amount", "observation_end": "2021-02-10"},
    {"category": "category", "observation_end": pd.Timestamp("2020-12-31 23:59:59.999999999")},
], ids=["days-only", "amount-and-category", "cut-at-end", "end-of-day"])
def test_behavioural_loyalty_of_a_parquet_file_equals_the_frame(mixed_log, tmp_path, monkeypatch,
                                                                kwargs):
    """Same-day lines, one-day customers, a time of day and the observation end (artificial log)."""
    log = mixed_log.assign(amount=mixed_log["amount"].abs())  # rfm_summary refuses returns
    path = tmp_path / "log.parquet"
    log.to_parquet(path, index=False)
    _sql_only(monkeypatch)
    expected = crm.behavioural_loyalty(log, p_alive=False, **kwargs)
    got = crm.behavioural_loyalty(path, p_alive=False, **kwargs)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
    # the CV comes from whole-day sums: equal to the bit, so no trait flips at its threshold
    pd.testing.assert_series_equal(got["regularity_cv"], expected["regularity_cv"],
                                   check_exact=True)
    # the traits the report reads follow
    pd.testing.assert_frame_equal(crm.loyalty_traits(got), crm.loyalty_traits(expected))
    assert expected.loc[1000, "purchases"] == 1 and np.isnan(expected.loc[1000, "regularity_cv"])


def test_regularity_cv_of_exactly_one_is_one_on_both_paths(tmp_path):
    """Gaps of 9, 46, 107, 23 and 15 days: mean 40, sample SD sqrt(6400 / 4) = 40, so CV = 1
    exactly, the threshold of the regular-repeat trait (max_cv=1 is inclusive)."""
    days = np.cumsum([0, 9, 46, 107, 23, 15])
    log = pd.DataFrame({"customer_id": 7, "date": pd.Timestamp("2020-01-06")
                        + pd.to_timedelta(days, "D")})
    log.to_parquet(tmp_path / "log.parquet", index=False)
    for source in (log, tmp_path / "log.parquet"):
        b = crm.behavioural_loyalty(source, p_alive=False)
        assert b.loc[7, "regularity_cv"] == 1.0
        assert b.loc[7, "recency_ratio"] == 0.0  # last purchase on the last day
        assert bool(crm.loyalty_traits(b).loc[7, "regular_repeat"])


def test_behavioural_loyalty_of_a_parquet_day_log_equals_the_lines(mixed_log, tmp_path):
    """The report's day log (one row per customer and day) gives the measures of the lines."""
    day = mixed_log.assign(date=mixed_log["date"].dt.normalize())
    day = day.groupby(["customer_id", "date"], as_index=False)["amount"].sum()
    day.to_parquet(tmp_path / "day.parquet", index=False)
    expected = crm.behavioural_loyalty(mixed_log, p_alive=False, observation_end="2021-06-30")
    got = crm.behavioural_loyalty(tmp_path / "day.parquet", p_alive=False,
                                  observation_end="2021-06-30")
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)


def test_behavioural_loyalty_of_parquet_text_dates_is_read_into_pandas(mixed_log, tmp_path):
    log = mixed_log.assign(date=mixed_log["date"].dt.strftime("%Y-%m-%d %H:%M"))
    log.to_parquet(tmp_path / "text.parquet", index=False)
    pd.testing.assert_frame_equal(crm.behavioural_loyalty(tmp_path / "text.parquet", p_alive=False),
                                  crm.behavioural_loyalty(log, p_alive=False))


@pytest.mark.parametrize("change, kwargs, match", [
    (lambda d: d.drop(columns="category"), {"category": "category"}, "'category' not found"),
    (lambda d: d.assign(customer_id=d["customer_id"].astype(float).where(d.index != 3)), {},
     "'customer_id' has missing ids"),
], ids=["missing-category", "missing-id"])
def test_behavioural_loyalty_of_a_bad_parquet_file_raises_as_the_frame(mixed_log, tmp_path, change,
                                                                       kwargs, match):
    bad = change(mixed_log)
    bad.to_parquet(tmp_path / "bad.parquet", index=False)
    with pytest.raises(CRMDataError, match=match) as expected:
        crm.behavioural_loyalty(bad, p_alive=False, **kwargs)
    with pytest.raises(CRMDataError) as got:
        crm.behavioural_loyalty(tmp_path / "bad.parquet", p_alive=False, **kwargs)
    # the same words and count (rfm_summary_files numbers the rows it shows from 0)
    assert str(got.value).split(", e.g.")[0] == str(expected.value).split(", e.g.")[0]


def test_p_alive_separates_simulated_active_customers(world):
    beh = crm.behavioural_loyalty(world.transactions, amount="amount",
                                  observation_end=world.observation_end)
    truth = world.customers.set_index("customer_id")["active_at_end"].reindex(beh.index)
    # AUC by brute force over all (active, lapsed) pairs
    p = beh["p_alive"].to_numpy()
    pos, neg = p[truth.to_numpy()], p[~truth.to_numpy()]
    auc = ((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())
    assert auc > 0.85
    assert beh["p_alive"].between(0, 1).all() and (beh["clv"] >= 0).all()


def test_brand_loyalty_brute_force_on_yogurt():
    panel = crm.load_brand_panel("yogurt")
    out = crm.brand_loyalty(panel)
    for hh, grp in list(panel.groupby("customer_id"))[:15]:
        counts = grp["choice"].value_counts()
        top = counts.max()
        fav = sorted(counts[counts == top].index)[0]
        assert out.loc[hh, "favourite"] == fav
        assert out.loc[hh, "share_favourite"] == pytest.approx(top / len(grp))
        seq = grp.sort_values("occasion")["choice"].tolist()
        if len(seq) > 1:
            switches = sum(a != b for a, b in zip(seq, seq[1:], strict=False))
            assert out.loc[hh, "switch_rate"] == pytest.approx(switches / (len(seq) - 1))
    assert out["purchases"].sum() == len(panel)


def test_brand_loyalty_price_measures_by_hand():
    p = pd.DataFrame({
        "customer_id": [1, 1, 1, 1], "occasion": [1, 2, 3, 4], "choice": ["a", "a", "b", "a"],
        "price.a": [1.0, 2.0, 2.0, 1.0], "price.b": [1.5, 1.0, 1.0, 1.2],
    })
    out = crm.brand_loyalty(p).loc[1]
    # favourite a is cheapest on occasions 1 and 4; dearer on 2 and 3, bought on 2 only
    assert out["favourite_cheapest_share"] == pytest.approx(0.5)
    assert out["favourite_when_dearer"] == pytest.approx(0.5)
    # per-unit prices can reverse "cheapest": b sold in packs twice the size
    unit = crm.brand_loyalty(p, unit_sizes={"a": 1, "b": 2}).loc[1]
    assert unit["favourite_cheapest_share"] == pytest.approx(0.0)


def test_switching_matrix_counts_pairs():
    panel = crm.load_brand_panel("catsup")
    counts = crm.switching_matrix(panel, normalize=False)
    # every purchase but each household's first has a predecessor
    assert counts.to_numpy().sum() == len(panel) - panel["customer_id"].nunique()
    shares = crm.switching_matrix(panel)
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)


_PANEL = pd.DataFrame({"customer_id": [1, 1], "occasion": [1, 1], "choice": ["a", "b"]})


@pytest.mark.parametrize("call, match", [
    (lambda: crm.switching_matrix(_PANEL), "repeats within a household"),
    (lambda: crm.brand_loyalty(_PANEL.assign(occasion=[1, 2], **{"price.a": 1.0})), "price column"),
], ids=["repeated-occasion", "price-column-incomplete"])
def test_panel_errors(call, match):
    with pytest.raises(CRMDataError, match=match):
        call()


# --- C26 traits ----------------------------------------------------------------------------
def test_traits_from_events_and_survey():
    beh = pd.DataFrame({"repeat_purchases": [4, 4, 0], "regularity_cv": [0.3, 1.6, np.nan],
                        "breadth": [3, 1, 1]}, index=pd.Index(["p", "q", "r"], name="customer_id"))
    tx = pd.DataFrame({"customer_id": ["p", "p", "q", "r"],
                       "date": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-01-05", "2024-01-09"])})
    events = pd.DataFrame({"customer_id": ["p", "q", "q"],
                           "event": ["complaint", "complaint", "competitor_offer"],
                           "date": pd.to_datetime(["2024-02-01", "2024-02-01", "2024-01-01"])})
    survey = pd.DataFrame({"customer_id": ["p", "q", "r"], "recommend": [10, 3, 9],
                           "resistance_to_switching": [9, 2, 5]})
    t = crm.loyalty_traits(beh, survey=survey, transactions=tx, events=events)
    assert t["regular_repeat"].tolist() == [True, False, False]
    assert t["multi_category"].tolist() == [True, False, False]
    assert t["recommends"].tolist() == [True, False, True]
    # p bought after the complaint, q did not; r had no complaint: unknown
    assert t.loc["p", "tolerates_mistakes"] and not t.loc["q", "tolerates_mistakes"]
    assert pd.isna(t.loc["r", "tolerates_mistakes"])
    assert bool(t.loc["q", "resists_competitors"])  # bought on 01-05 after the 01-01 offer
    assert t["n_traits"].tolist() == [4, 1, 1]


# --- join, Dick & Basu ---------------------------------------------------------------------
_JOIN_SURVEY = pd.DataFrame({"loyalty_index": [80.0, 20.0, 50.0]}, index=["a", "b", "c"])
_JOIN_BEHAVIOUR = pd.DataFrame({"repeat_rate": [0.5, 0.1]}, index=["b", "z"])


def test_unmatched_ids_are_reported_not_dropped():
    s, b = _JOIN_SURVEY, _JOIN_BEHAVIOUR
    with pytest.raises(CRMDataError) as err:
        crm.join_survey_behaviour(s, b)
    msg = str(err.value)
    assert "1 customers matched" in msg and "2 surveyed without behaviour" in msg
    assert "'a'" in msg and "'c'" in msg and "'z'" in msg
    j = crm.join_survey_behaviour(s, b, on_unmatched="keep-matched")
    assert list(j.data.index) == ["b"]
    assert sorted(j.unmatched_survey) == ["a", "c"] and list(j.unmatched_behaviour) == ["z"]


@pytest.mark.parametrize("ids, match", [
    ([1, 2], "no customer id in common"),
    (["b", "b"], "duplicated"),
], ids=["no-common-id", "duplicated-id"])
def test_join_survey_behaviour_bad_ids(ids, match):
    with pytest.raises(CRMDataError, match=match):
        crm.join_survey_behaviour(_JOIN_SURVEY, _JOIN_BEHAVIOUR.set_axis(ids))


def test_chosen_cuts_and_cells():
    d = pd.DataFrame({"att": [90, 80, 20, 10, 50], "pat": [0.9, 0.1, 0.8, 0.2, 0.5],
                      "lapsed": [0, 1, 0, 1, 1], "clv": [100.0, 50.0, 80.0, 10.0, 30.0]})
    r = crm.dick_basu_segments(d, attitude="att", patronage="pat", thresholds=(50, 0.5),
                               lapse="lapsed", clv="clv")
    # exactly at the cut counts as low
    assert r.labels_.tolist() == ["true loyalty", "latent loyalty", "spurious loyalty",
                                  "no loyalty", "no loyalty"]
    s = r.summary()
    assert s["customers"].tolist() == [1, 1, 1, 2]
    assert s.loc["no loyalty", "lapse_rate"] == pytest.approx(1.0)
    assert s.loc["no loyalty", "mean_clv"] == pytest.approx(20.0)
    assert s["share"].sum() == pytest.approx(1.0)


def test_median_rule_ties_and_empty_cells():
    d = pd.DataFrame({"loyalty_index": [1, 2, 3, 4], "repeat_rate": [0.0, 0.0, 0.0, 1.0]})
    r = crm.dick_basu_segments(d)
    assert r.thresholds_ == {"attitude": 2.5, "patronage": 0.0}
    assert r.labels_.tolist() == ["no loyalty", "no loyalty", "latent loyalty", "true loyalty"]
    s = r.summary()
    assert list(s.index) == list(crm.DICK_BASU_SEGMENTS)  # all four cells, even empty ones
    assert s.loc["spurious loyalty", "customers"] == 0


_CONSTANT = pd.DataFrame({"loyalty_index": [5.0, 5.0, 5.0], "repeat_rate": [0.1, 0.2, 0.3]})


def test_threshold_edge_cases():
    # a chosen cut still works on a constant axis
    r = crm.dick_basu_segments(_CONSTANT, thresholds={"attitude": 4, "patronage": "median"})
    assert (r.labels_ != "no loyalty").all()


@pytest.mark.parametrize("data, kwargs, match, also", [
    (_CONSTANT, {}, "single value", []),
    (_CONSTANT.assign(repeat_rate=[0.1, np.nan, 0.3]), {}, "missing or non-numeric",
     ["repeat_rate"]),
    (_CONSTANT, {"thresholds": ("mean", 1)}, "unknown threshold rule", []),
    (_CONSTANT, {"attitude": "nope"}, "column", []),
], ids=["constant-axis-median", "missing-value", "unknown-rule", "missing-column"])
def test_threshold_errors(data, kwargs, match, also):
    with pytest.raises(CRMDataError, match=match) as err:
        crm.dick_basu_segments(data, **kwargs)
    assert all(word in str(err.value) for word in also)


@pytest.mark.parametrize("w1,m1,m2,s", [(0.5, -3.0, 3.0, 1.0), (0.7, 0.0, 4.0, 1.0)])
def test_split_rule_matches_mixture_closed_form(rng, w1, m1, m2, s):
    n = 20000
    k = rng.random(n) < w1
    x = np.where(k, rng.normal(m1, s, n), rng.normal(m2, s, n))
    d = pd.DataFrame({"loyalty_index": x, "repeat_rate": x})
    r = crm.dick_basu_segments(d, thresholds="split")
    # equal variances: w1 phi((x-m1)/s) = w2 phi((x-m2)/s) at the midpoint shifted by s^2 ln(w1/w2)/(m2-m1)
    truth = (m1 + m2) / 2 + s**2 * math.log(w1 / (1 - w1)) / (m2 - m1)
    assert r.thresholds_["attitude"] == pytest.approx(truth, abs=0.1)


def test_segment_recovery_on_simulated_data(world, joined):
    """Stated accuracy: median splits of the survey index and the repeat rate put at least
    65% of customers in their true Dick & Basu cell (chance is about 27%)."""
    r = crm.dick_basu_segments(joined, attitude="loyalty_index", patronage="repeat_rate")
    agree = crm.segment_agreement(world.true_segments, r.labels_)
    assert agree.attrs["accuracy"] >= 0.65
    truth = world.customers.set_index("customer_id")
    att_high = (r.labels_.isin(["true loyalty", "latent loyalty"])).reindex(truth.index)
    assert (att_high == truth["true_attitude_high"]).mean() >= 0.8


def test_segment_agreement_rejects_mismatched_ids():
    with pytest.raises(CRMDataError, match="ids differ"):
        crm.segment_agreement(pd.Series(["a"], index=[1]), pd.Series(["a"], index=[2]))


# --- simulated world -----------------------------------------------------------------------
def test_joint_simulation_is_seeded_and_consistent(world):
    again = simulate_loyalty_joint(n_customers=2000, seed=11)
    pd.testing.assert_frame_equal(world.transactions, again.transactions)
    assert set(world.transactions["customer_id"]) == set(world.survey["customer_id"])
    c = world.customers
    assert c["true_attitude_high"].mean() == pytest.approx(0.5)
    r = np.corrcoef(c["latent_attitude"], c["patronage_propensity"])[0, 1]
    assert 0.2 < r < 0.8  # correlated but not equal
    # spurious loyalty is mostly convenience / lock-in
    conv = c.groupby("true_segment", observed=True)["convenience"].mean()
    assert conv["spurious loyalty"] > 2 * conv["no loyalty"]
    assert (world.transactions["date"] <= world.observation_end).all()


# --- plots ---------------------------------------------------------------------------------
def test_plot_loyalty_matrix_draws_counts():
    d = pd.DataFrame({"loyalty_index": [90, 80, 20, 10, 15], "repeat_rate": [0.9, 0.1, 0.8, 0.2, 0.3],
                      "lapsed": [0, 1, 0, 1, 1]})
    r = crm.dick_basu_segments(d, thresholds=(50, 0.5), lapse="lapsed")
    ax = plot_loyalty_matrix(r)
    texts = [t.get_text() for t in ax.texts]
    assert any("2 customers (40%)" in t and "No loyalty" in t and "lapsed 100%" in t for t in texts)
    assert len(ax.patches) == 4
    assert "0.5" in ax.get_xlabel() and "50" in ax.get_ylabel()


def test_plot_lock_in_lines_match_table():
    sim = simulate_lock_in(500, seed=2)
    ax = plot_lock_in(sim, expected=False)
    part = sim.retention[sim.retention["segment"] == "spuriously loyal"]
    np.testing.assert_allclose(ax.lines[1].get_ydata(), 100 * part["retention"])
    assert ax.get_ylabel() == "Still customers (%)"


def test_plot_switching_and_traits():
    m = pd.DataFrame([[0.8, 0.2], [0.4, 0.6]], index=["a", "b"], columns=["a", "b"])
    ax = plot_switching_matrix(m)
    np.testing.assert_allclose(ax.images[0].get_array(), 100 * m.to_numpy())
    traits = pd.DataFrame({"recommends": pd.array([True, False, True, pd.NA], dtype="boolean")},
                          index=[1, 2, 3, 4])
    index = pd.Series([80.0, 20.0, 60.0, 99.0], index=[1, 2, 3, 4])
    ax2 = plot_traits_vs_index(traits, index)
    heights = [p.get_height() for p in ax2.patches]
    assert heights == pytest.approx([70.0, 20.0])


def test_functions_do_not_modify_inputs(world):
    tx, survey, events = world.transactions.copy(), world.survey.copy(), world.events.copy()
    beh = crm.behavioural_loyalty(world.transactions, amount="amount", category="category", p_alive=False)
    crm.loyalty_traits(beh, survey=world.survey, transactions=world.transactions, events=world.events)
    panel = crm.load_brand_panel("yogurt")
    before = panel.copy()
    crm.brand_loyalty(panel)
    crm.switching_matrix(panel)
    d = pd.DataFrame({"loyalty_index": [3.0, 1.0, 2.0], "repeat_rate": [0.3, 0.1, 0.2]})
    d_before = d.copy()
    crm.dick_basu_segments(d, thresholds="split")
    pd.testing.assert_frame_equal(world.transactions, tx)
    pd.testing.assert_frame_equal(world.survey, survey)
    pd.testing.assert_frame_equal(world.events, events)
    pd.testing.assert_frame_equal(panel, before)
    pd.testing.assert_frame_equal(d, d_before)


_PRICED_PANEL = pd.DataFrame({"customer_id": [1, 1], "occasion": [1, 2], "choice": ["a", "b"],
                              "price.a": [1.0, 1.0], "price.b": [2.0, 2.0]})


@pytest.mark.parametrize("call, match", [
    (lambda: crm.brand_loyalty(_PRICED_PANEL, unit_sizes={"a": 1}),
     r"unit_sizes lacks option\(s\) \['b'\]"),
    (lambda: crm.brand_loyalty(_PRICED_PANEL.assign(choice=["a", None])),
     "missing household id or brand choice"),
    (lambda: crm.loyalty_traits(
        pd.DataFrame({"repeat_purchases": [1]}, index=[1]),
        events=pd.DataFrame({"customer_id": [1], "event": ["complaint"], "date": ["2024-01-01"]})),
     "events need the transactions"),
    (lambda: crm.loyalty_index(_survey(), item_range={"satisfaction_1": (1, 7)}),
     "no scale for column 'satisfaction_2'"),
], ids=["unit-sizes-incomplete", "missing-choice", "events-without-transactions",
        "item-without-scale"])
def test_more_named_errors(call, match):
    with pytest.raises(CRMDataError, match=match):
        call()

pairs = st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=2, max_size=40)


@settings(max_examples=60, deadline=None)
@given(pairs, st.integers(0, 20), st.integers(0, 20))
def test_cells_equal_brute_force_comparison(rows, cut_a, cut_p):
    d = pd.DataFrame(rows, columns=["loyalty_index", "repeat_rate"]).astype(float)
    r = crm.dick_basu_segments(d, thresholds=(cut_a, cut_p))
    for (a, p), label in zip(rows, r.labels_, strict=True):
        expected = {(True, True): "true loyalty", (True, False): "latent loyalty",
                    (False, True): "spurious loyalty", (False, False): "no loyalty"}[(a > cut_a, p > cut_p)]
        assert label == expected
    s = r.summary()
    assert s["customers"].sum() == len(rows) and s["share"].sum() == pytest.approx(1.0)


choices = st.lists(st.sampled_from("abc"), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(st.lists(choices, min_size=1, max_size=5))
def test_brand_measures_stay_in_range(histories):
    p = pd.DataFrame([(h, k + 1, c) for h, seq in enumerate(histories) for k, c in enumerate(seq)],
                     columns=["customer_id", "occasion", "choice"])
    out = crm.brand_loyalty(p, price_prefix=None)
    assert (out["share_favourite"] >= 1 / out["brands"] - 1e-12).all()
    assert (out["share_favourite"] <= 1).all()
    assert out["switch_rate"].dropna().between(0, 1).all()
    counts = crm.switching_matrix(p, normalize=False)
    assert counts.to_numpy().sum() == len(p) - len(histories)


# --------------------------------------------------------------- behavioural loyalty from a given model

# Fader, Hardie & Lee (2005), BG/NBD estimates for CDNOW (weeks): r, alpha, a, b.
_FHL = (0.243, 4.414, 0.793, 2.426)


def test_behavioural_loyalty_scores_with_a_given_model():
    # P(alive) of a given model is FHL (2005) eq. (10) on each customer's (x, t_x, T) in weeks.
    log = crm.load_cdnow()
    model = crm.BTYDModel.from_params("bgnbd", list(_FHL))
    out = crm.behavioural_loyalty(log, amount="amount", model=model)
    summary = crm.rfm_summary(log, amount="amount", freq="D", freq_multiplier=7)
    r, alpha, a, b = _FHL
    x, tx, T = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    odds = np.where(x > 0, a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x), 0.0)
    np.testing.assert_allclose(out["p_alive"].to_numpy(), 1 / (1 + odds), rtol=1e-9)
    # The CLV column is the model's own CLV at the weekly rate of 10 % a year.
    weekly = 1.1 ** (1 / 52) - 1
    expected = crm.customer_lifetime_value(model, out["monetary_value"], summary, horizon=52,
                                           discount_rate=weekly)
    np.testing.assert_allclose(out["clv"].to_numpy(), expected.to_numpy(), rtol=1e-12)


def test_behavioural_loyalty_given_fitted_model_equals_own_fit():
    log = crm.load_cdnow()
    summary = crm.rfm_summary(log, freq="D", freq_multiplier=7)
    own = crm.behavioural_loyalty(log)
    given = crm.behavioural_loyalty(log, model=crm.fit_btyd(summary))
    np.testing.assert_allclose(given["p_alive"], own["p_alive"], rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs, message",
    [({"p_alive": False}, "behavioural_loyalty: a model is given but p_alive=False"),
     ({"time_unit": "days"}, "behavioural_loyalty: model must be fitted in weeks")],
    ids=["model-without-p_alive", "model-not-in-weeks"],
)
def test_behavioural_loyalty_model_bad_input(kwargs, message):
    kwargs = dict(kwargs)
    unit = kwargs.pop("time_unit", "weeks")
    model = crm.BTYDModel.from_params("bgnbd", list(_FHL), time_unit=unit)
    with pytest.raises(CRMDataError, match=message):
        crm.behavioural_loyalty(crm.load_cdnow(), model=model, **kwargs)
