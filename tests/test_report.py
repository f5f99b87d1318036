"""The client analysis pipeline behind `crm-analysis report`."""

import numpy as np
import pandas as pd
import pytest

import crm_analysis as crm
from crm_analysis.report import SEGMENT_ACTIONS
from crm_analysis.report import _fit_one as _FIT_ONE
from crm_analysis.segments import RFM_SEGMENTS


@pytest.fixture(scope="module")
def result(cdnow):
    return crm.analyse_client(cdnow, margin=0.3, cost_per_order=2.0)


def test_every_rfm_segment_has_an_action():
    assert set(RFM_SEGMENTS["segment"]) == set(SEGMENT_ACTIONS)


def test_one_row_per_customer_with_valid_scores(result, cdnow):
    scores = result.scores
    assert scores.index.equals(pd.Index(sorted(cdnow["customer_id"].unique()), name="customer_id"))
    assert scores["p_alive"].between(0, 1).all()
    assert (scores["expected_purchases"] >= 0).all() and (scores["clv"] >= 0).all()
    assert scores["recommended_action"].notna().all()
    # Revenue per customer is the raw log's sum.
    np.testing.assert_allclose(scores["revenue"], cdnow.groupby("customer_id")["amount"].sum())


def test_recommended_action_is_the_segments_or_the_at_risk_one(result):
    """Row by row: the RFM segment's action when not at risk, else the at-risk action."""
    actions = dict(crm.AT_RISK_ACTIONS)
    expected = [SEGMENT_ACTIONS[seg] if risk == "not at risk" else actions[risk]
                for seg, risk in zip(result.scores["segment"].astype(str), result.scores["at_risk"],
                                     strict=True)]
    assert result.scores["recommended_action"].tolist() == expected
    assert (result.scores["at_risk"] != "not at risk").any()


def test_clv_is_linear_in_margin(result, cdnow):
    doubled = crm.analyse_client(cdnow, margin=0.6)
    np.testing.assert_allclose(doubled.scores["clv"], 2 * result.scores["clv"], rtol=1e-12)


def test_worth_keeping_follows_the_rule(result):
    keep = result.scores[result.scores["at_risk"] == "worth keeping"]
    assert len(keep) > 0
    assert (keep["frequency"] >= 5).all()  # "many purchases" (at_risk_split default)
    actions = result.actions()
    assert actions["customers"].sum() == len(result.scores)
    assert actions["share_of_customers"].sum() == pytest.approx(1.0)


def test_holdout_only_when_asked(result, cdnow):
    assert result.holdout_model is None
    with_holdout = crm.analyse_client(cdnow, calibration_end="1997-09-30")
    assert with_holdout.holdout_summary["frequency_holdout"].sum() == 1882  # published CDNOW holdout


_FEW_REPEATERS = pd.DataFrame({"customer_id": range(30), "amount": 5.0,
                               "date": pd.date_range("2020-01-01", periods=30, freq="D")})


@pytest.mark.parametrize("call, match", [
    (lambda: crm.check_client_log(_FEW_REPEATERS), "repeat customers"),
    (lambda: crm.analyse_client(_FEW_REPEATERS, margin=1.5), "margin"),
], ids=["check-client-log", "margin-above-1"])
def test_too_few_repeat_customers(call, match):
    with pytest.raises(crm.CRMDataError, match=match):
        call()


def test_check_client_survey_counts_codes_and_refuses_text_ratings():
    sim = crm.simulate_restaurant_survey(600, 10, seed=3).data
    coded = sim.copy()
    coded.loc[coded.index[:25], "speed"] = 0
    t = crm.check_client_survey(coded, missing_codes=[0])
    assert t.attrs["dropped"] == {"missing value": 0, "missing code": 25}
    assert set(t["driver"]) == set(sim.columns) - crm.report.SURVEY_NON_DRIVERS - {
        "branch_id", "context"}
    with pytest.raises(crm.CRMDataError, match="column 'speed' holds text"):
        crm.check_client_survey(sim.assign(speed=sim["speed"].astype(str) + " stars"))


def test_render_report_html_is_offline_and_renders_math():
    import nbformat
    from latex2mathml.converter import convert

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("Weekly rate $d_w = (1 + d)^{1/52} - 1$; it cost $5 and $10; "
                                      "`$x$` is code.\n\n$$\\frac{r}{\\alpha}$$"),
        nbformat.v4.new_code_cell("display(Markdown('share $p$'))", outputs=[
            nbformat.v4.new_output("display_data", data={"text/markdown": "share $p$"})]),
    ])
    before = nbformat.writes(nb)
    html = crm.render_report_html(nb)
    assert nbformat.writes(nb) == before  # the notebook is not modified
    assert convert("d_w = (1 + d)^{1/52} - 1") in html
    assert convert("\\frac{r}{\\alpha}", display="block") in html
    assert convert("p") in html
    assert "cost $5 and $10" in html and "<code>$x$</code>" in html
    for cdn in ("<script src=", "cdnjs", "mathjax", "require.js", "mermaid.esm"):
        assert cdn not in html.lower(), cdn
    assert "import crm_analysis" not in html


# --- issue 16: one tested result object ---------------------------------------------------

@pytest.fixture(scope="module")
def holdout(cdnow):
    return crm.analyse_client(cdnow, calibration_end="1997-09-30")


def test_models_compared_and_chosen_by_bic_without_holdout(result, cdnow):
    table = result.model_table
    assert set(table.index) == {"BG/NBD", "Pareto/NBD"}
    assert table["chosen"].sum() == 1
    # BIC = k ln(n) - 2 LL, recomputed here from the log-likelihood and the parameter count.
    n = len(result.summary)
    for label, m in result.models.items():
        k = len(m.params_)
        assert table.loc[label, "BIC"] == pytest.approx(k * np.log(n) - 2 * m.log_likelihood_)
    assert table.loc[table["chosen"]].index[0] == table["BIC"].idxmin()
    assert "BIC" in result.model_choice
    for label, m in result.models.items():  # every model's parameters are shown
        for name in m.params_.index:
            assert f"{name} = " in table.loc[label, "parameters"]


def test_share_left_is_one_minus_mean_p_alive(result):
    label = result.model_table.index[result.model_table["chosen"]][0]
    model = result.models[label]
    assert result.headline["share_left"] == pytest.approx(1 - model.p_alive(result.summary).mean())


def test_holdout_chooses_the_smaller_error_and_warns_beyond_ten_percent(holdout):
    table = holdout.model_table
    errors = table["holdout_error_pct"]
    assert table.loc[table["chosen"]].index[0] == errors.abs().idxmin()
    # Published CDNOW holdout: 1,882 repeat purchases; the fitted model's prediction is
    # recomputed from its expected purchases over each customer's holdout duration.
    hs, m = holdout.holdout_summary, holdout.holdout_model
    pred = m.expected_purchases(hs["duration_holdout"], hs.rename(columns={
        "frequency_cal": "frequency", "recency_cal": "recency", "T_cal": "T"})).sum()
    chosen_err = errors[table["chosen"]].iloc[0]
    assert chosen_err == pytest.approx(100 * (pred - 1882) / 1882, rel=1e-6)
    assert (abs(chosen_err) > 10) == any("off by" in n for n in holdout.notes)
    assert table["calibration_parameters"].notna().all()


def test_no_missing_values_and_revenue_label_without_margin(result, holdout):
    assert not result.scores.isna().any().any()
    assert holdout.value_label == "revenue, not profit"
    assert holdout.settings["margin"] is None
    assert result.value_label == "profit at a 30% gross margin"


def test_cohorts_ignore_months_of_cancellations_only():
    rng = np.random.default_rng(0)
    rows = [(c, pd.Timestamp("2020-01-01") + pd.Timedelta(days=int(d)), 10.0)
            for c in range(40) for d in sorted(rng.choice(300, 4, replace=False))]
    log = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    # Customer 0 buys in January only; in March only a zero line (a netted cancellation).
    log = log[log["customer_id"] != 0]
    log = pd.concat([log, pd.DataFrame({"customer_id": [0, 0, 0], "amount": [10.0, 10.0, 0.0],
                                        "date": pd.to_datetime(["2020-01-02", "2020-01-20",
                                                                "2020-03-05"])})])
    out = crm.analyse_client(log, validate=False)
    jan = out.cohorts.active.loc[out.cohorts.active.index[0]]
    bought_in_march = log[(log["amount"] > 0) & (log["date"].dt.month == 3)
                          & log["customer_id"].isin(
                              log.groupby("customer_id")["date"].min().loc[lambda s: s.dt.month == 1].index)]
    assert jan[2] == bought_in_march["customer_id"].nunique()


def test_analysis_of_a_parquet_log_equals_the_analysis_of_the_frame(mixed_log, tmp_path,
                                                                    monkeypatch):
    """The day-level path (cleaned out of core, aggregated in DuckDB) and the pandas path
    agree on a log with same-day lines, cancellations and a month of cancellations only."""
    monkeypatch.setattr(crm.report, "EQUITY_INTERVAL_DRAWS", 2)  # the interval is not compared
    path = tmp_path / "export.parquet"
    mixed_log.drop(columns="category").to_parquet(path, index=False)
    kwargs = {"observation_end": "2021-06-30", "cost_per_order": 1.5, "margin": 0.4}
    frame = crm.analyse_client(mixed_log.drop(columns="category"), **kwargs)
    files = crm.analyse_client(path, **kwargs)
    assert isinstance(files.validation, crm.LogFileCleaning)
    pd.testing.assert_frame_equal(files.scores, frame.scores, check_exact=False, rtol=1e-9)
    for table in ("share", "active"):
        pd.testing.assert_frame_equal(getattr(files.cohorts, table), getattr(frame.cohorts, table))
    pd.testing.assert_series_equal(files.cohorts.size, frame.cohorts.size)
    pd.testing.assert_frame_equal(files.segments, frame.segments, check_exact=False, rtol=1e-9)
    assert [str(n) for n in files.notes] == [str(n) for n in frame.notes]
    assert files.headline["n_lines"] == frame.headline["n_lines"]


def test_rhythm_rule_needs_three_purchase_days():
    active = pd.DataFrame({"frequency": [1, 2], "recency": [1 / 7, 2 / 7], "T": [30.0, 30.0],
                           "p_alive": [0.9, 0.9], "recommends": [0, 0]})
    old = crm.at_risk_split(active, traits=["recommends"], p_alive="p_alive")
    new = crm.at_risk_split(active, traits=["recommends"], p_alive="p_alive", min_rhythm_repeats=2)
    assert old.data["segment"].tolist() == ["potentially dangerous"] * 2
    assert new.data["segment"].tolist() == ["not at risk", "potentially dangerous"]


def test_survey_scales_are_declared_or_standard():
    survey = pd.DataFrame({"a": [2, 3, 4], "b": [1, 6, 6], "c": [0, 4, 8]})
    assert crm.report.survey_scales(survey, ["a", "b", "c"]) == (
        {"a": (1, 5), "b": (1, 7), "c": (0, 10)}, False)
    assert crm.report.survey_scales(survey, ["a"], (1, 7)) == ({"a": (1, 7)}, True)


def test_every_row_dropped_is_one_error():
    log = pd.DataFrame({"customer_id": [None, None], "date": ["2020-01-01", "2020-01-02"],
                        "amount": [1.0, 2.0]})
    with pytest.raises(crm.CRMDataError, match="every one of the 2 rows was dropped"):
        crm.analyse_client(log)


def test_saved_analysis_round_trips(holdout, tmp_path):
    saved = crm.report.load_client_analysis(holdout.save(tmp_path / "a"))
    pd.testing.assert_frame_equal(saved["scores"], holdout.scores, check_categorical=False)
    pd.testing.assert_frame_equal(saved.objects["cohorts"].share, holdout.cohorts.share,
                                  check_names=False)
    assert saved.facts["model_choice"] == holdout.model_choice
    assert saved.facts["headline"]["n_customers"] == 2357
    assert not list(tmp_path.glob("a/*.pkl")) and not list(tmp_path.glob("a/*.pickle"))
    # the report template reads only the two score columns it shows
    some = crm.report.load_client_analysis(tmp_path / "a", columns={"scores": ["clv", "at_risk"]})
    pd.testing.assert_frame_equal(some["scores"], holdout.scores[["clv", "at_risk"]],
                                  check_categorical=False)
    pd.testing.assert_frame_equal(some["segments"], saved["segments"])


def test_weekly_discount_rate_compounds_to_the_annual_rate(result):
    # The CLV column discounts weekly at the rate equivalent to 10 % a year
    # (crm_analysis.discounting.period_rate), not 10 % / 52.
    weekly = result.settings["weekly_discount_rate"]
    assert (1 + weekly) ** 52 == pytest.approx(1.10, rel=1e-12)
    assert weekly == crm.period_rate(0.10, 52)


@pytest.mark.parametrize("fitted, calibration_end, needle", [
    (["BG/NBD", "Pareto/NBD"], None, "lower BIC"),
    (["BG/NBD", "Pareto/NBD (NBD limit)"], None, "Pareto/NBD reduced to its no-dropout NBD limit"),
    (["BG/NBD (NBD limit)", "Pareto/NBD (NBD limit)"], None, "nothing to choose"),
    (["BG/NBD (NBD limit)", "Pareto/NBD (NBD limit)"], "2020-06-30", "nothing to choose"),
    (["BG/NBD", "Pareto/NBD"], "2020-06-30", "closer in total (-3.0%)"),
])
def test_model_choice_sentence(fitted, calibration_end, needle):
    from crm_analysis.report import _choose_model

    table = pd.DataFrame({"fitted": fitted, "BIC": [12.0, 10.0], "holdout_error_pct": [-3.0, 8.0]},
                         index=["BG/NBD", "Pareto/NBD"])
    chosen, why = _choose_model(table, calibration_end)
    assert needle in why
    if "nothing to choose" in needle:
        assert "BIC" not in why and "closer" not in why
    elif calibration_end is None:
        assert chosen == "Pareto/NBD"  # the smaller BIC
    else:
        assert chosen == "BG/NBD"  # the smaller absolute holdout error


def test_equity_interval_from_a_sample_is_scaled_to_the_base(cdnow, monkeypatch):
    """On a sample, the draws' interval is carried to the base by the ratio of point totals."""
    monkeypatch.setattr(crm.report, "EQUITY_INTERVAL_SAMPLE", 10_000)  # every customer
    result = crm.analyse_client(cdnow, margin=0.3, cost_per_order=2.0)
    assert not any("seeded sample" in n for n in result.notes)
    monkeypatch.setattr(crm.report, "EQUITY_INTERVAL_SAMPLE", 1200)
    sampled = crm.analyse_client(cdnow, margin=0.3, cost_per_order=2.0)
    full_lo, full_hi = result.headline["equity_interval"]
    lo, hi = sampled.headline["equity_interval"]
    equity = sampled.headline["equity"]
    assert equity == pytest.approx(result.headline["equity"], rel=1e-12)
    assert lo < equity < hi
    # half of CDNOW's customers give the base's relative interval to a few per cent
    assert lo / equity == pytest.approx(full_lo / equity, abs=0.03)
    assert hi / equity == pytest.approx(full_hi / equity, abs=0.03)
    assert any("seeded sample of 1,200 of the 2,357 customers" in n for n in sampled.notes)


def _fit_all_recorded(summary, parallel, monkeypatch):
    """Models, notes, warnings of report._fit_all, and the models fitted in this process."""
    import warnings

    from crm_analysis import report

    fitted_here = []

    def counting(data, model):
        fitted_here.append(model)
        return _FIT_ONE(data, model)

    monkeypatch.setattr(report, "_fit_one", counting)
    notes = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        models = report._fit_all(summary, notes, "whole", parallel=parallel)
    return (models, [str(n) for n in notes],
            [(str(w.message), w.category, getattr(getattr(w.message, "note", None), "spec", None))
             for w in caught],
            fitted_here)


def _no_dropout_log(n_customers: int = 400, seed: int = 4) -> pd.DataFrame:
    """Poisson buyers (gamma rates) who never leave, over two years."""
    rng = np.random.default_rng(seed)
    rows = []
    for i, rate in enumerate(rng.gamma(0.8, 1 / 20, n_customers)):
        t = float(rng.integers(0, 180))
        while t < 730:
            rows.append((i, pd.Timestamp("2021-01-01") + pd.Timedelta(days=t), 20.0))
            t += rng.exponential(1 / rate)
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


@pytest.mark.parametrize("case", ["penalised-refit", "no-dropout-warning"])
def test_fits_in_a_worker_process_equal_the_fits_here(case, monkeypatch):
    # The Pareto/NBD fitted in a second process: the same parameters, notes (a penalised
    # refit on one log) and warnings with their report notes (the NBD limit on a log
    # without dropout), in the same order.
    from crm_analysis.simulate.largelog import synthetic_log

    log = synthetic_log(3000, seed=1) if case == "penalised-refit" else _no_dropout_log()
    summary = crm.rfm_summary(log, customer_id="customer_id", date="date", amount="amount",
                              freq="D", freq_multiplier=7)
    here = _fit_all_recorded(summary, False, monkeypatch)
    there = _fit_all_recorded(summary, True, monkeypatch)
    assert here[3] == ["bgnbd", "pareto"] and there[3] == ["bgnbd"]  # Pareto/NBD in the worker
    assert here[1] == there[1] and here[2] == there[2]
    if case == "penalised-refit":
        assert here[1] == ["The unpenalised pareto fit did not converge; refitted with penalizer 0.001."]
    else:
        assert [note for _, _, note in here[2]] == [
            {"id": "note.fit_no_dropout", "params": {"model": model}}
            for model in ("BG/NBD", "Pareto/NBD")]
    assert list(here[0]) == list(there[0]) == ["BG/NBD", "Pareto/NBD"]
    for label in here[0]:
        np.testing.assert_allclose(there[0][label].params_, here[0][label].params_, rtol=1e-12)


def test_a_failed_worker_falls_back_to_fitting_here(cdnow, monkeypatch):
    from crm_analysis import report

    summary = crm.rfm_summary(cdnow, customer_id="customer_id", date="date", amount="amount",
                              freq="D", freq_multiplier=7)
    here = _fit_all_recorded(summary, False, monkeypatch)
    monkeypatch.setattr(report, "_WORKER_CODE", "import sys; sys.exit(3)")
    there = _fit_all_recorded(summary, True, monkeypatch)
    assert there[3] == ["bgnbd", "pareto"]  # the worker failed: both fitted here
    assert here[1] == there[1]
    np.testing.assert_allclose(there[0]["Pareto/NBD"].params_, here[0]["Pareto/NBD"].params_,
                               rtol=1e-12)
