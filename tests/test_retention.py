"""Retention module against hand computations, closed forms, brute force and Fader & Hardie (2007)."""

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from crm_analysis import (
    CRMDataError,
    SBGModel,
    acquisition_ratio_needed,
    cohort_retention,
    fit_constant_retention,
    hazard_by_tenure,
    kaplan_meier,
    load_cdnow,
    load_complete_journey,
    load_sbg_cohorts,
    load_telco_churn,
    period_hazard,
    retention_value_sensitivity,
)
from crm_analysis.plotting import (
    plot_cohort_heatmap,
    plot_hazard,
    plot_retention_value_heatmap,
    plot_sbg_projection,
    plot_survival_curves,
)
from crm_analysis.simulate import simulate_sbg_cohort

# --------------------------------------------------------------------------- Kaplan-Meier

# Seven customers: (months, left?) - small enough to do the product-limit by hand.
SMALL = pd.DataFrame({"tenure": [1, 2, 2, 3, 4, 5, 5], "churn": [1, 1, 0, 1, 0, 1, 0]})


def test_kaplan_meier_equals_hand_computation():
    km = kaplan_meier(SMALL)
    tab = km.table_
    # Event times 1, 2, 3, 5 with (at risk, events) = (7,1), (6,1), (4,1), (2,1).
    assert tab["time"].tolist() == [1, 2, 3, 5]
    assert tab["at_risk"].tolist() == [7, 6, 4, 2]
    assert tab["events"].tolist() == [1, 1, 1, 1]
    s = [Fraction(6, 7)]
    s.append(s[-1] * Fraction(5, 6))
    s.append(s[-1] * Fraction(3, 4))
    s.append(s[-1] * Fraction(1, 2))
    np.testing.assert_allclose(tab["survival"], [float(x) for x in s], rtol=1e-12)
    # Greenwood: Var S(t) = S(t)^2 sum d / (n (n - d)).
    terms = np.cumsum([1 / 42, 1 / 30, 1 / 12, 1 / 2])
    se = np.array([float(x) for x in s]) * np.sqrt(terms)
    np.testing.assert_allclose(tab["se"], se, rtol=1e-10)
    # log(-log) band (R survival conf.type = "log-log"): S^exp(+-z se / (S |log S|)).
    z = stats.norm.ppf(0.975)
    surv = np.array([float(x) for x in s])
    w = z * se / (surv * np.abs(np.log(surv)))
    np.testing.assert_allclose(tab["lower"], surv ** np.exp(w), rtol=1e-10)
    np.testing.assert_allclose(tab["upper"], surv ** np.exp(-w), rtol=1e-10)
    assert (tab["lower"] <= tab["survival"]).all() and (tab["survival"] <= tab["upper"]).all()
    # Median: first time S <= 0.5 is 5 (S(3) = 15/28 > 0.5).
    assert km.median_.loc["all", "median"] == 5
    assert km.logrank_ is None


def test_median_and_its_interval_by_hand():
    # S = 3/4, 1/2, 1/4, 0: the median is the first time S <= 0.5.
    km = kaplan_meier(pd.DataFrame({"tenure": [1, 2, 3, 4], "churn": [1, 1, 1, 1]}))
    assert km.median_.loc["all", "median"] == 2
    # Interval: times whose S is compatible with 0.5 on the log(-log) scale, by hand.
    km = kaplan_meier(SMALL)
    tab = km.table_
    s, se = tab["survival"].to_numpy(), tab["se"].to_numpy()
    g = np.log(-np.log(s))
    zstat = (g - np.log(-np.log(0.5))) / (se / (s * np.abs(np.log(s))))
    ok = np.flatnonzero(np.abs(zstat) <= stats.norm.ppf(0.975))
    lower = tab["time"].iloc[ok[0]]
    upper = np.inf if ok[-1] == len(tab) - 1 else tab["time"].iloc[ok[-1] + 1]
    assert km.median_.loc["all", "median_lower"] == lower
    assert km.median_.loc["all", "median_upper"] == upper


def test_kaplan_meier_survival_at_and_at_risk_are_step_functions():
    km = kaplan_meier(SMALL)
    got = km.survival_at([0, 1, 1.5, 4, 6])["all"].tolist()
    np.testing.assert_allclose(got, [1, 6 / 7, 6 / 7, 15 / 28, 15 / 56])
    assert km.at_risk([0, 2, 5, 6])["all"].tolist() == [7, 6, 2, 0]


def _logrank_by_hand(time, event, group):
    """Textbook log-rank: sum over event times of O - E and the hypergeometric variance."""
    labels = sorted(set(group))
    k = len(labels)
    o_e = np.zeros(k)
    var = np.zeros((k, k))
    for t in sorted(set(time[event == 1])):
        at_risk = np.array([((time >= t) & (group == g)).sum() for g in labels], dtype=float)
        deaths = np.array([((time == t) & (event == 1) & (group == g)).sum() for g in labels])
        n, d = at_risk.sum(), deaths.sum()
        o_e += deaths - d * at_risk / n
        if n > 1:
            frac = at_risk / n
            var += d * (n - d) / (n - 1) * (np.diag(frac) - np.outer(frac, frac))
    o_e, var = o_e[:-1], var[:-1, :-1]
    chi2 = float(o_e @ np.linalg.solve(var, o_e))
    return chi2, k - 1


def test_logrank_matches_hand_computation(rng):
    n = 120
    grp = rng.choice(["a", "b", "c"], size=n)
    dur = rng.integers(1, 25, size=n) + np.where(grp == "a", 0, 6)
    ev = (rng.random(n) < 0.7).astype(int)
    data = pd.DataFrame({"tenure": dur, "churn": ev, "g": grp})
    km = kaplan_meier(data, by="g")
    chi2, df = _logrank_by_hand(dur, ev, grp)
    assert km.logrank_["df"] == df == 2
    assert km.logrank_["chi2"] == pytest.approx(chi2, rel=1e-9)
    assert km.logrank_["p_value"] == pytest.approx(stats.chi2.sf(chi2, df), rel=1e-6)


def test_kaplan_meier_by_group_equals_separate_fits():
    data = pd.concat([SMALL.assign(g="x"), SMALL.assign(tenure=SMALL["tenure"] * 2, g="y")])
    km = kaplan_meier(data, by="g")
    y = km.table_[km.table_["group"] == "y"]
    np.testing.assert_allclose(y["time"], [2, 4, 6, 10])
    np.testing.assert_allclose(y["survival"], kaplan_meier(SMALL).table_["survival"])
    assert km.median_.loc["y", "median"] == 10


def test_telco_contracts_order_survival():
    telco = load_telco_churn()
    km = kaplan_meier(telco, by="contract")
    s24 = km.survival_at([24]).iloc[0]
    # Longer contracts keep more customers (C3), and the difference is far from chance.
    assert s24["Month-to-month"] < s24["One year"] < s24["Two year"]
    assert km.logrank_["p_value"] < 1e-10
    assert km.median_["customers"].sum() == 7043


# --------------------------------------------------------------------------- hazard


def test_hazard_by_tenure_hand_example():
    h = hazard_by_tenure(SMALL)
    # Period: at risk (duration >= t), leavers with duration t.
    assert h["period"].tolist() == [1, 2, 3, 4, 5]
    assert h["at_risk"].tolist() == [7, 6, 4, 3, 2]
    assert h["events"].tolist() == [1, 1, 1, 0, 1]
    np.testing.assert_allclose(h["hazard"], [1 / 7, 1 / 6, 1 / 4, 0, 1 / 2])


def test_hazard_reproduces_kaplan_meier_product():
    telco = load_telco_churn()
    h = hazard_by_tenure(telco)
    km = kaplan_meier(telco)
    s = np.cumprod(1 - h["hazard"].to_numpy())
    np.testing.assert_allclose(s, km.survival_at(h["period"])["all"].to_numpy(), rtol=1e-12)


def test_hazard_by_group_counts_add_up():
    telco = load_telco_churn()
    h = hazard_by_tenure(telco, by="contract")
    assert set(h["group"]) == {"Month-to-month", "One year", "Two year"}
    assert h["events"].sum() == telco.loc[telco["tenure"] >= 1, "churn"].sum()


# --------------------------------------------------------------------------- period hazard


def _steady_snapshot(n_per_cohort=2**12, periods=10):
    """Closed-form snapshot of a steady business: 2**12 new customers a month,
    each leaving with probability 1/2 in every month of tenure.  At the snapshot
    the cohort of tenure t has 2**12 / 2**(t-1) customers, half of whom leave."""
    rows = []
    for t in range(1, periods + 1):
        present = n_per_cohort // 2 ** (t - 1)
        rows += [(t, 1)] * (present // 2) + [(t, 0)] * (present - present // 2)
    return pd.DataFrame(rows, columns=["tenure", "churn"])


def test_period_hazard_recovers_the_true_hazard_of_a_steady_snapshot():
    snap = _steady_snapshot()
    ph = period_hazard(snap)
    np.testing.assert_allclose(ph["hazard"], 0.5)
    np.testing.assert_allclose(ph["survival"], 0.5 ** np.arange(1, 11))
    # The Kaplan-Meier hazard on the same rows counts every longer-tenure customer
    # as at risk at tenure t: d(t) / sum_{k >= t} c(k) = 2**(12-t) / (2**(14-t) - 8).
    km = hazard_by_tenure(snap)
    t = np.arange(1, 11)
    np.testing.assert_allclose(km["hazard"], 2.0 ** (12 - t) / (2.0 ** (14 - t) - 8))
    assert (km["hazard"].iloc[:8] < 0.29).all()  # only the oldest cohort is unbiased


def test_period_hazard_against_a_simulated_base_with_known_hazard():
    # Brute force: 60 monthly cohorts of 3,000 customers, true hazard 0.30 in the
    # first month and 0.05 after; the snapshot keeps only customers alive at the
    # start of month 60, as a real one-month extract does.
    rng = np.random.default_rng(7)
    true_h = np.where(np.arange(1, 61) == 1, 0.30, 0.05)
    rows = []
    for tenure in range(1, 61):
        # draw month of leaving tenure by tenure (exact discrete-time process)
        alive = np.ones(3000, dtype=bool)
        for k in range(1, tenure):
            alive &= rng.random(3000) >= true_h[k - 1]
        n = int(alive.sum())
        left = rng.random(n) < true_h[tenure - 1]
        rows.append(pd.DataFrame({"tenure": tenure, "churn": left.astype(int)}))
    snap = pd.concat(rows, ignore_index=True)
    ph = period_hazard(snap, max_period=24)
    z = (ph["hazard"] - true_h[ph["period"] - 1]) / np.sqrt(true_h[ph["period"] - 1]
                                                            * (1 - true_h[ph["period"] - 1])
                                                            / ph["customers"])
    assert (np.abs(z) < 4).all()
    # Kaplan-Meier on the snapshot: month-1 hazard far below the true 30%.
    km1 = hazard_by_tenure(snap).iloc[0]["hazard"]
    assert km1 < 0.05


def test_period_hazard_telco_month_to_month_first_month():
    telco = load_telco_churn()
    m2m = telco[telco["contract"] == "Month-to-month"]
    ph = period_hazard(telco, by="contract")
    row = ph[(ph["group"] == "Month-to-month") & (ph["period"] == 1)].iloc[0]
    # Brute force from the rows: churners with tenure 1 over customers with tenure 1.
    at1 = m2m[m2m["tenure"] == 1]
    assert row["customers"] == len(at1) and row["churners"] == at1["churn"].sum()
    assert row["hazard"] == pytest.approx(at1["churn"].mean())
    assert row["hazard"] > 0.6 > 0.1 > hazard_by_tenure(m2m).iloc[0]["hazard"]


def test_period_hazard_gap_makes_survival_unknown_and_warns():
    snap = pd.DataFrame({"tenure": [1, 1, 3, 3], "churn": [1, 0, 1, 0]})
    with pytest.warns(UserWarning, match=r"no customer at some tenures.*\[2\]"):
        ph = period_hazard(snap)
    assert ph["period"].tolist() == [1, 3]
    assert ph["survival"].iloc[0] == 0.5 and np.isnan(ph["survival"].iloc[1])
    assert ph.attrs["gaps"] == {None: [2]}


@pytest.mark.parametrize(
    "frame,match",
    [
        (SMALL.assign(tenure=[1, 2, -2, 3, 4, 5, 5]), "negative durations"),
        (SMALL.assign(tenure=SMALL["tenure"] + 0.5), "whole periods"),
        (SMALL.assign(churn=[1, 2, 0, 1, 0, 1, 0]), "'churn' must be 0"),
        (SMALL.drop(columns="churn"), "not found"),
    ],
    ids=["negative", "non-integer", "event-not-binary", "missing-column"],
)
def test_period_hazard_bad_input_raises(frame, match):
    with pytest.raises(CRMDataError, match=rf"period_hazard(.|\n)*{match}"):
        period_hazard(frame)


# --------------------------------------------------------------------------- cohorts


def _cohorts_by_loop(log):
    first = {}
    for c, d in zip(log["customer_id"], log["date"], strict=True):
        m = d.year * 12 + d.month - 1
        first[c] = min(first.get(c, m), m)
    active = {}
    for c, d in zip(log["customer_id"], log["date"], strict=True):
        m = d.year * 12 + d.month - 1
        active.setdefault((first[c], m - first[c]), set()).add(c)
    return first, {k: len(v) for k, v in active.items()}


def test_cohort_table_equals_brute_force(rng):
    n = 400
    log = pd.DataFrame({
        "customer_id": rng.integers(0, 60, size=n),
        "date": pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 365, size=n), "D"),
    })
    out = cohort_retention(log, observation_end="2021-12-31")
    first, active = _cohorts_by_loop(log)
    sizes = pd.Series(first).value_counts()
    for cohort, row in out.active.iterrows():
        code = cohort.year * 12 + cohort.month - 1
        assert out.size[cohort] == sizes[code]
        for k, v in row.items():
            if 2021 * 12 + 11 - code >= k:
                assert v == active.get((code, k), 0)
                assert out.share.loc[cohort, k] == pytest.approx(v / sizes[code])
            else:
                assert np.isnan(v)


def _sql_only(monkeypatch):
    """Make sure a file is aggregated in DuckDB, not read into pandas."""
    import crm_analysis.retention as retention

    def refuse(*args, **kwargs):
        raise AssertionError("the file was read into pandas")

    monkeypatch.setattr(retention, "read_log_files", refuse)


def test_cohort_buying_counts_only_positive_rows(mixed_log):
    """A month holding only a cancellation is not "still buying" (brute force over the lines)."""
    out = cohort_retention(mixed_log, observation_end="2021-06-30", buying="amount")
    first, active = _cohorts_by_loop(mixed_log[mixed_log["amount"] > 0])
    sizes = pd.Series(first).value_counts()
    for cohort, row in out.active.iterrows():
        code = cohort.year * 12 + cohort.month - 1
        assert out.size[cohort] == sizes[code]
        for k, v in row.dropna().items():
            assert v == active.get((code, k), 0)
    # customer 1001 bought in March and July 2020 and only cancelled in May
    march = out.active.loc[pd.Period("2020-03", "M")]
    only_1001 = _cohorts_by_loop(mixed_log[(mixed_log["amount"] > 0)
                                           & (mixed_log["customer_id"] != 1001)])[1]
    assert march[2] == only_1001.get((2020 * 12 + 2, 2), 0)
    assert march[4] == only_1001.get((2020 * 12 + 2, 4), 0) + 1
    assert sum(first.values()) and 1002 not in first  # cancellations only: never acquired


@pytest.mark.parametrize("kwargs", [
    {"observation_end": "2021-06-30", "buying": "amount"},
    {"observation_end": "2021-03-15", "buying": "amount"},
    {"freq": "Q", "buying": "amount"},
    {"complete_periods": False},
    {},
], ids=["buying", "cut-mid-month", "quarters", "incomplete-kept", "every-row"])
def test_cohort_retention_of_a_parquet_file_equals_the_frame(mixed_log, tmp_path, monkeypatch,
                                                             kwargs):
    path = tmp_path / "log.parquet"
    mixed_log.to_parquet(path, index=False)
    _sql_only(monkeypatch)
    expected = cohort_retention(mixed_log, **kwargs)
    got = cohort_retention(path, **kwargs)
    pd.testing.assert_frame_equal(got.share, expected.share)
    pd.testing.assert_frame_equal(got.active, expected.active)
    pd.testing.assert_series_equal(got.size, expected.size)
    assert (got.freq, got.n_excluded_rows) == (expected.freq, expected.n_excluded_rows)


def test_cohort_retention_of_parquet_day_log_equals_lines(mixed_log, tmp_path, monkeypatch):
    """The report's day log (one row per customer and day, lines of positive amount
    counted in ``_buying``) gives the table of the line-level log."""
    _sql_only(monkeypatch)
    day = mixed_log.assign(day=mixed_log["date"].dt.normalize(), _buying=mixed_log["amount"] > 0)
    day = day.groupby(["customer_id", "day"], as_index=False)["_buying"].sum()
    day.rename(columns={"day": "date"}).to_parquet(tmp_path / "day.parquet", index=False)
    expected = cohort_retention(mixed_log, observation_end="2021-06-30", buying="amount")
    got = cohort_retention(tmp_path / "day.parquet", observation_end="2021-06-30", buying="_buying")
    pd.testing.assert_frame_equal(got.share, expected.share)
    pd.testing.assert_series_equal(got.size, expected.size)


@pytest.mark.parametrize("change, match", [
    (lambda d: d.assign(customer_id=d["customer_id"].astype(float).where(d.index != 3)),
     "'customer_id' has missing ids"),
    (lambda d: d.assign(amount=d["amount"].where(d.index != 5)), "'amount' has missing values"),
    (lambda d: d.assign(date=d["date"].dt.strftime("%Y-%m-%d").where(d.index != 7, "soon")),
     "'date' has missing or non-date values"),
    (lambda d: d.assign(amount=-d["amount"].abs()), "'amount': no row above zero"),
    (lambda d: d.drop(columns="amount"), "not found: buying='amount'"),
], ids=["missing-id", "missing-buying", "text-date", "nothing-bought", "missing-buying-column"])
def test_cohort_retention_of_a_bad_parquet_file_raises_as_the_frame(mixed_log, tmp_path, change,
                                                                    match):
    bad = change(mixed_log)
    bad.to_parquet(tmp_path / "bad.parquet", index=False)
    with pytest.raises(CRMDataError, match=match) as expected:
        cohort_retention(bad, buying="amount")
    with pytest.raises(CRMDataError) as got:
        cohort_retention(tmp_path / "bad.parquet", buying="amount")
    assert str(got.value) == str(expected.value)


def test_cohort_incomplete_last_period_is_dropped():
    log = pd.DataFrame({"customer_id": [1, 1, 2], "date": pd.to_datetime(
        ["2020-01-10", "2020-02-10", "2020-03-02"])})
    out = cohort_retention(log)  # log ends 2 March: March is incomplete
    assert list(out.share.columns) == [0, 1]
    assert out.n_excluded_rows == 1
    assert list(cohort_retention(log, complete_periods=False).share.index.astype(str)) == [
        "2020-01", "2020-03"]


def test_cohort_cdnow_full_cohort():
    out = cohort_retention(load_cdnow(sample=False), freq="Q")
    # All 23,570 CDNOW customers first bought in 1997Q1 (Fader, Hardie & Lee 2005).
    assert out.size.to_dict() == {pd.Period("1997Q1", "Q"): 23570}
    # 1998Q2 ends on 30 June 1998, the last day of the data: quarters 0..5.
    assert list(out.share.columns) == [0, 1, 2, 3, 4, 5]
    assert out.share[0].iloc[0] == 1


def test_cohort_complete_journey_all_households():
    cj = load_complete_journey()
    out = cohort_retention(cj)
    assert out.size.sum() == 2469  # households in the panel
    assert len(out.share) == 12  # 2017 monthly cohorts; 1 Jan 2018 is an incomplete month
    assert ((out.share >= 0) & (out.share <= 1) | out.share.isna()).all().all()


# --------------------------------------------------------------------------- sBG


@pytest.mark.parametrize("segment,alpha,beta", [("regular", 0.704, 1.182), ("high_end", 0.668, 3.806)])
def test_sbg_reproduces_fader_hardie_2007(segment, alpha, beta):
    cohorts = load_sbg_cohorts()
    model = SBGModel().fit(cohorts[segment].iloc[:8])  # years 0-7
    assert model.params_["alpha"] == pytest.approx(alpha, rel=0.005)
    assert model.params_["beta"] == pytest.approx(beta, rel=0.005)
    # Projection of years 8-12: the sBG tracks the data (F&H 2007, Figure 3);
    # constant retention is worse in every year and drifts further off.
    observed = cohorts[segment].iloc[8:].to_numpy()
    sbg = model.project(12)["survivors"].iloc[8:].to_numpy()
    const = 1000 * fit_constant_retention(cohorts[segment].iloc[:8]) ** np.arange(8, 13)
    assert np.abs(sbg / observed - 1).max() < 0.05
    assert (np.abs(const / observed - 1) > np.abs(sbg / observed - 1)).all()
    assert np.all(np.diff(np.abs(const / observed - 1)) > 0)


def test_sbg_lifetimes_fit_equals_survivor_fit():
    cohorts = load_sbg_cohorts()["regular"].iloc[:8].to_numpy()
    lost = cohorts[:-1] - cohorts[1:]
    rows = [(t, 1) for t, n in zip(range(1, 8), lost, strict=True) for _ in range(n)]
    rows += [(7, 0)] * cohorts[-1]
    data = pd.DataFrame(rows, columns=["duration", "churned"])
    a = SBGModel().fit(cohorts)
    b = SBGModel().fit_lifetimes(data)
    np.testing.assert_allclose(a.params_, b.params_, rtol=1e-5)
    assert a.log_likelihood_ == pytest.approx(b.log_likelihood_, rel=1e-9)


def test_sbg_recovers_simulated_parameters():
    sim = simulate_sbg_cohort(20000, alpha=0.9, beta=2.5, periods=10, seed=7)
    m = SBGModel().fit(sim.survivors)
    for name, truth in (("alpha", 0.9), ("beta", 2.5)):
        assert abs(m.params_[name] - truth) < 3 * m.standard_errors_[name]
        assert m.params_[name] == pytest.approx(truth, rel=0.1)
    # Per-customer data with censoring give the same answer.
    m2 = SBGModel().fit_lifetimes(sim.customers)
    np.testing.assert_allclose(m2.params_, m.params_, rtol=1e-4)


def test_sbg_standard_errors_match_monte_carlo_spread():
    est, ses = [], []
    for seed in range(60):
        sim = simulate_sbg_cohort(1000, alpha=0.7, beta=1.2, periods=7, seed=seed)
        m = SBGModel().fit(sim.survivors)
        est.append(m.params_.to_numpy())
        ses.append(m.standard_errors_.to_numpy())
    spread = np.std(est, axis=0, ddof=1)
    # Inverse-Hessian SEs describe the sampling spread (within Monte Carlo noise).
    np.testing.assert_allclose(np.median(ses, axis=0), spread, rtol=0.3)


def test_sbg_closed_forms_against_brute_force():
    m = SBGModel().fit(load_sbg_cohorts()["high_end"].iloc[:8])
    a, b = m.params_
    t = np.arange(0, 4000)
    # S(t) as the product of the retention rates; P(T = t) = S(t-1) - S(t).
    np.testing.assert_allclose(m.survival(t[1:50]), np.cumprod(m.retention_rate(t[1:50])))
    np.testing.assert_allclose(m.churn_probability(t[1:50]),
                               m.survival(t[0:49]) - m.survival(t[1:50]), rtol=1e-10)
    # Retention rates rise with tenure (heterogeneity sorting).
    assert np.all(np.diff(m.retention_rate(np.arange(1, 30))) > 0)
    for d in (0.05, 0.1, 0.25):
        disc = (1 + d) ** -t.astype(float)
        surv = m.survival(t)
        assert m.del_(d) == pytest.approx((surv * disc).sum(), rel=1e-8)
        for n in (0, 3, 7):
            # Customer alive at the start of period n; payments of periods n+1, n+2, ...,
            # the first one (at the renewal now due) undiscounted.
            brute = (m.survival(n + 1 + t) / m.survival(n) * disc).sum()
            assert m.derl(d, renewals=n) == pytest.approx(brute, rel=1e-8)
    assert m.expected_lifetime(horizon=10) == pytest.approx(m.survival(np.arange(10)).sum())
    assert a < 1 and m.expected_lifetime() == np.inf


def test_sbg_expected_lifetime_closed_form_when_alpha_above_one():
    m = SBGModel()
    m.params_ = pd.Series([3.0, 2.0], index=["alpha", "beta"])
    # E[T] = E[1/theta] for theta ~ Beta(3, 2): (a + b - 1) / (a - 1) = 2.
    assert m.expected_lifetime() == pytest.approx(2.0)
    assert m.expected_lifetime() == pytest.approx(m.survival(np.arange(20000)).sum(), rel=1e-6)


def test_constant_retention_is_the_geometric_mle():
    counts = load_sbg_cohorts()["regular"].iloc[:8].to_numpy()
    lost = counts[:-1] - counts[1:]
    t = np.arange(1, 8)
    grid = np.linspace(0.5, 0.99, 49001)
    ll = [(lost * (np.log1p(-r) + (t - 1) * np.log(r))).sum() + counts[-1] * 7 * np.log(r)
          for r in grid]
    assert fit_constant_retention(counts) == pytest.approx(grid[int(np.argmax(ll))], abs=2e-5)


# --------------------------------------------------------------------------- economics


def test_sensitivity_matches_closed_form_and_series():
    out = retention_value_sensitivity(retention=[0.6, 0.8], margin=[50, 100], discount_rate=0.1,
                                      acquisition_cost=120)
    assert len(out) == 4
    for row in out.itertuples():
        closed = row.margin * 1.1 / (1.1 - row.retention)
        series = sum(row.margin * (row.retention / 1.1) ** k for k in range(2000))
        assert row.clv == pytest.approx(closed) == pytest.approx(series)
        up = row.margin * 1.1 / (1.1 - row.retention - 0.05)
        assert row.clv_up == pytest.approx(up)
        if closed > 120:
            assert row.profit_change_pct == pytest.approx(100 * (up - closed) / (closed - 120))
        else:
            assert np.isnan(row.profit_change_pct)


def test_sensitivity_with_sbg_model_approaches_constant_retention():
    # A nearly homogeneous sBG (alpha + beta huge) is constant retention r = beta / (alpha + beta).
    m = SBGModel()
    m.params_ = pd.Series([2e5, 8e5], index=["alpha", "beta"])
    het = retention_value_sensitivity(model=m, margin=100, discount_rate=0.1)
    hom = retention_value_sensitivity(retention=0.8, margin=100, discount_rate=0.1)
    np.testing.assert_allclose(het[["clv", "clv_up"]], hom[["clv", "clv_up"]], rtol=1e-4)
    # and with heterogeneity (same mean churn) the value is higher: the stayers stay longer.
    m.params_ = pd.Series([0.4, 1.6], index=["alpha", "beta"])
    assert retention_value_sensitivity(model=m, margin=100, discount_rate=0.1)["clv"].item() > hom["clv"].item()


def test_acquisition_ratio_needed_reproduces_target():
    for target in (30, 50, 85):
        a = acquisition_ratio_needed(target, retention=0.8, discount_rate=0.1)
        out = retention_value_sensitivity(retention=0.8, margin=10, acquisition_cost=10 * a,
                                          discount_rate=0.1)
        assert out["profit_change_pct"].item() == pytest.approx(target)


def test_margin_growth_closed_form():
    out = retention_value_sensitivity(retention=0.7, margin=100, discount_rate=0.1, margin_growth=0.05)
    series = sum(100 * (0.7 * 1.05 / 1.1) ** k for k in range(3000))
    assert out["clv"].item() == pytest.approx(series)


# --------------------------------------------------------------------------- bad input


def test_negative_durations_raise():
    bad = SMALL.copy()
    bad.loc[3, "tenure"] = -2
    for call in (lambda: kaplan_meier(bad), lambda: hazard_by_tenure(bad),
                 lambda: SBGModel().fit_lifetimes(bad, duration="tenure", event="churn")):
        with pytest.raises(CRMDataError, match=r"'tenure'.*negative durations(.|\n)*-2"):
            call()


@pytest.mark.parametrize("call, match", [
    (lambda: kaplan_meier(SMALL.assign(churn=[1, 2, 0, 1, 0, 1, 0])), r"'churn' must be 0 .* or 1"),
    (lambda: kaplan_meier(SMALL, event="left"), r"not found: event='left'"),
    (lambda: hazard_by_tenure(SMALL.assign(tenure=SMALL["tenure"] + 0.5)), "whole periods"),
    (lambda: SBGModel().fit_lifetimes(pd.DataFrame({"duration": [0, 2], "churned": [1, 0]})),
     ">= 1 period"),
], ids=["event-not-binary", "missing-event-column", "fractional-tenure", "zero-duration"])
def test_bad_events_and_columns_raise(call, match):
    with pytest.raises(CRMDataError, match=match):
        call()


@pytest.mark.parametrize("call, survivors, match", [
    (lambda s: SBGModel().fit(s), [1000, 600, 610, 500], r"'survivors' increases over time(.|\n)*610"),
    (fit_constant_retention, [1000, 600, 610, 500], r"'survivors' increases over time(.|\n)*610"),
    (lambda s: SBGModel().fit(s), [1000, -1], "negative"),
], ids=["sbg-increasing", "constant-retention-increasing", "sbg-negative"])
def test_increasing_survivors_raise(call, survivors, match):
    with pytest.raises(CRMDataError, match=match):
        call(survivors)


@pytest.mark.parametrize("r", [0.0, 1.0, 1.2, -0.1])
def test_retention_outside_unit_interval_raises(r):
    with pytest.raises(CRMDataError, match=r"'retention' must lie strictly between 0 and 1"):
        retention_value_sensitivity(retention=[0.5, r], margin=100)


def test_retention_plus_delta_reaching_one_raises():
    with pytest.raises(CRMDataError, match="reaches 1"):
        retention_value_sensitivity(retention=0.97, margin=100, delta=0.05)


@pytest.mark.parametrize("call, match", [
    (lambda: SBGModel().survival(3), "fit"),
    (lambda: SBGModel().fit([100, 60, 40]).derl(0.0), "discount"),
], ids=["unfitted", "zero-discount-rate"])
def test_unfitted_model_and_bad_discount_raise(call, match):
    with pytest.raises(CRMDataError, match=match):
        call()


def test_inputs_not_mutated():
    telco = load_telco_churn()
    before = telco.copy()
    kaplan_meier(telco, by="contract")
    hazard_by_tenure(telco, by="contract")
    pd.testing.assert_frame_equal(telco, before)
    log = load_cdnow()
    before = log.copy()
    cohort_retention(log)
    pd.testing.assert_frame_equal(log, before)


# --------------------------------------------------------------------------- plots


def test_plot_cohort_heatmap_draws_the_shares():
    log = load_cdnow()
    cohorts = cohort_retention(log)
    ax = plot_cohort_heatmap(cohorts)
    drawn = np.asarray(ax.collections[0].get_array()).reshape(3, -1)
    expected = 100 * cohorts.share.drop(columns=0).to_numpy()
    np.testing.assert_allclose(drawn, expected)
    assert ax.get_xlabel() == "Months since first purchase"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1997-01", "1997-02", "1997-03"]


def test_plot_survival_curves_draws_each_group():
    km = kaplan_meier(pd.concat([SMALL.assign(g="x"), SMALL.assign(g="y", tenure=SMALL.tenure * 2)]),
                      by="g")
    ax = plot_survival_curves(km)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["x", "y"]
    np.testing.assert_allclose(lines[0].get_xdata(), [0, 1, 2, 3, 5])
    np.testing.assert_allclose(lines[0].get_ydata(), 100 * np.array([1, 6 / 7, 5 / 7, 15 / 28, 15 / 56]))
    assert ax.get_ylabel() == "Still a customer (%)"
    assert len(ax.collections) == 2  # two bands


def test_plot_hazard_draws_percentages():
    h = hazard_by_tenure(SMALL)
    ax = plot_hazard(h)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), 100 * np.array([1 / 7, 1 / 6, 1 / 4, 0, 1 / 2]))
    assert "%" in ax.get_ylabel()


def test_plot_sbg_projection_lines():
    counts = load_sbg_cohorts()["regular"].to_numpy()
    m = SBGModel().fit(counts[:8])
    r = fit_constant_retention(counts[:8])
    ax = plot_sbg_projection(counts, m, calibration_periods=7, constant_retention=r)
    lines = {line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")}
    assert set(lines) == {"observed", "sBG", "constant retention"}
    np.testing.assert_allclose(lines["observed"].get_ydata(), counts)
    np.testing.assert_allclose(lines["constant retention"].get_ydata(), 1000 * r ** np.arange(13))


def test_plot_retention_value_heatmap_values():
    grid = retention_value_sensitivity(retention=[0.7, 0.8, 0.9], margin=[50, 100], discount_rate=0.1,
                                       acquisition_cost=200)
    ax = plot_retention_value_heatmap(grid, vmax=None)
    drawn = np.ma.filled(np.asarray(ax.collections[0].get_array(), dtype=float).reshape(3, 2),
                         np.nan)
    exp = grid.pivot(index="retention", columns="margin", values="profit_change_pct")
    np.testing.assert_allclose(drawn, exp.sort_index(ascending=False).to_numpy())
    assert [t.get_text() for t in ax.get_yticklabels()] == ["90%", "80%", "70%"]


_COHORT_LOG = pd.DataFrame({"customer_id": [1, None, 2], "date": ["2020-01-01", "2020-01-02", "x"]})


@pytest.mark.parametrize("data, kwargs, match", [
    (_COHORT_LOG, {}, r"'customer_id' has missing ids"),
    (_COHORT_LOG.dropna(), {}, r"'date' has missing or non-date values(.|\n)*x"),
    (_COHORT_LOG.dropna(), {"freq": "W"}, "freq must be 'M' or 'Q'"),
    (_COHORT_LOG, {"date": "when"}, "not found"),
], ids=["missing-id", "bad-date", "weekly-freq", "missing-date-column"])
def test_cohort_bad_input_raises(data, kwargs, match):
    with pytest.raises(CRMDataError, match=match):
        cohort_retention(data, **kwargs)


def test_missing_group_raises():
    with pytest.raises(CRMDataError, match=r"'g' has missing groups"):
        kaplan_meier(SMALL.assign(g=["a", None, "a", "b", "b", "a", "b"]), by="g")


# --------------------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 1)), min_size=1, max_size=40))
def test_kaplan_meier_properties(rows):
    data = pd.DataFrame(rows, columns=["tenure", "churn"])
    tab = kaplan_meier(data).table_
    s = tab["survival"].to_numpy()
    assert ((s >= 0) & (s <= 1)).all()
    assert (np.diff(s) <= 1e-12).all()  # never rises
    assert ((tab["lower"] <= s + 1e-12) & (s <= tab["upper"] + 1e-12)).all()
    # With no censoring the curve is the empirical survival function.
    if data["churn"].all():
        t = tab["time"].to_numpy()
        np.testing.assert_allclose(s, [(data["tenure"] > x).mean() for x in t], atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.floats(0.05, 5), st.floats(0.05, 5), st.integers(1, 12))
def test_sbg_survival_and_rates_properties(alpha, beta, n):
    m = SBGModel()
    m.params_ = pd.Series([alpha, beta], index=["alpha", "beta"])
    s = m.survival(np.arange(n + 1))
    assert s[0] == pytest.approx(1.0)
    assert (np.diff(s) < 0).all()
    r = m.retention_rate(np.arange(1, n + 1))
    assert ((r > 0) & (r < 1)).all() and (np.diff(r) > 0).all()
    assert m.churn_probability(np.arange(1, 2000)).sum() == pytest.approx(1 - m.survival(1999), abs=1e-9)
