"""The client analysis pipeline behind `crm-analysis report`."""

import numpy as np
import pandas as pd
import pytest

import crm_analysis as crm
from crm_analysis.report import SEGMENT_ACTIONS
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


def test_too_few_repeat_customers():
    log = pd.DataFrame({"customer_id": range(30), "amount": 5.0,
                        "date": pd.date_range("2020-01-01", periods=30, freq="D")})
    with pytest.raises(crm.CRMDataError, match="repeat customers"):
        crm.check_client_log(log)
    with pytest.raises(crm.CRMDataError, match="margin"):
        crm.analyse_client(log, margin=1.5)


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
