"""The crm-analysis command line, end to end: real data in, report and scores out, bad files refused."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from browser import check_pages, require_browser
from click.testing import CliRunner

import crm_analysis as crm
from crm_analysis.cli import main
from crm_analysis.io import neutralise_formulas, read_table

ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def cdnow_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "cdnow.csv"
    result = run("datasets", "--export", "load_cdnow", "--out", path)
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def cdnow_report(cdnow_csv, tmp_path_factory):
    out = tmp_path_factory.mktemp("cdnow_report")
    result = run("report", cdnow_csv, "--amount", "amount", "--cost-per-order", "2",
                 "--margin", "0.3", "--calibration-end", "1997-09-30", "--out", out,
                 "--survey", ROOT / "data" / "restaurant_survey.csv")
    assert result.exit_code == 0, result.output
    return out, result.output


def test_datasets_lists_every_loader():
    result = run("datasets")
    assert result.exit_code == 0
    for name in crm.list_datasets()["loader"]:
        assert name in result.output


def test_exported_cdnow_round_trips(cdnow_csv):
    back = read_table(cdnow_csv)
    assert len(back) == 6919 and back["customer_id"].nunique() == 2357
    assert back["amount"].sum() == pytest.approx(crm.load_cdnow()["amount"].sum())


def test_validate_prints_the_cleaning_report(cdnow_csv):
    result = run("validate", cdnow_csv, "--amount", "amount")
    assert result.exit_code == 0
    assert "6,919 rows in, 6,919 rows kept" in result.output
    assert "2,357 customers" in result.output


def test_report_on_cdnow_writes_html_and_scores(cdnow_report, cdnow_csv):
    out, output = cdnow_report
    assert "[3/3]" in output
    scores = pd.read_csv(out / "customer_scores.csv")
    assert len(scores) == 2357 and scores["customer_id"].is_unique
    for col in ["frequency", "recency", "T", "monetary_value", "segment", "p_alive",
                "expected_purchases", "clv", "profit", "at_risk", "recommended_action"]:
        assert col in scores, col
    assert scores["p_alive"].between(0, 1).all()
    assert (scores["clv"] >= 0).all()
    # Profit = margin x revenue - cost x orders, per customer, from the raw log.
    log = crm.load_cdnow()
    days = log.groupby("customer_id")["date"].nunique()
    revenue = log.groupby("customer_id")["amount"].sum()
    expected = (0.3 * revenue - 2.0 * days).reindex(scores["customer_id"]).to_numpy()
    np.testing.assert_allclose(scores["profit"], expected, rtol=1e-9, atol=1e-9)
    assert set(scores["at_risk"]) <= {"worth keeping", "potentially dangerous", "not at risk"}
    html = (out / "report.html").read_text()
    for heading in ["Summary and recommended actions", "Holdout check", "whale curve",
                    "Customers at risk", "Loyalty index reliability"]:
        assert heading.lower() in html.lower(), heading
    assert "Traceback" not in html
    assert "import crm_analysis" not in html  # code hidden by default


def test_report_in_headless_chromium(cdnow_report):
    require_browser()
    out, _ = cdnow_report
    nb = json.loads((out / "report.ipynb").read_text())
    charts = sum("image/png" in o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", []))
    (check,) = check_pages([out / "report.html"], ROOT / "build" / "screenshots" / "report")
    assert check.title == "Customer-relationship report"
    assert check.images == charts >= 6
    assert not check.broken_images and check.tracebacks == 0


def test_report_on_complete_journey_baskets(tmp_path):
    lines = crm.load_complete_journey("transactions")
    baskets = (lines.groupby(["customer_id", "basket_id", "date"], as_index=False)["sales_value"].sum())
    path = tmp_path / "journey.parquet"
    baskets.to_parquet(path)
    out = tmp_path / "report"
    result = run("report", path, "--amount", "sales_value", "--calibration-end", "2017-09-30",
                 "--out", out)
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(out / "customer_scores.csv")
    assert len(scores) == baskets["customer_id"].nunique() == 2469
    assert "Holdout check" in (out / "report.html").read_text()


# --- bad files: one line, exit code 2, no traceback -------------------------------------

def _bad(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD_ROWS = "".join(f"{i % 30},2020-0{1 + i % 9}-1{i % 10},{1 + i % 7}.5\n" for i in range(200))

BROKEN = {
    "missing column": ("a.csv", "customer_id,when,amount\n1,2020-01-01,3\n", "'date'"),
    "wrong delimiter": ("b.csv", "customer_id;date;amount\n" + GOOD_ROWS.replace(",", ";"), None),
    "unparseable dates": ("c.csv", "customer_id,date,amount\n1,soon,3\n2,later,4\n", "date"),
    "empty file": ("d.csv", "", "empty"),
    "header only": ("e.csv", "customer_id,date,amount\n", "no data rows"),
    "no repeat customers": ("f.csv", "customer_id,date,amount\n" + "".join(
        f"{i},2020-01-{1 + i % 28:02d},5\n" for i in range(50)), "repeat customers"),
    "unknown format": ("g.json", "{}", "unknown file type"),
    "negative margin": ("h.csv", "customer_id,date,amount\n" + GOOD_ROWS, "margin"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_files_fail_cleanly(tmp_path, case):
    name, text, needle = BROKEN[case]
    path = _bad(tmp_path, name, text)
    extra = ["--margin", "-1"] if case == "negative margin" else []
    if case == "wrong delimiter":
        extra = ["--sep", ","]
    result = run("report", path, "--amount", "amount", "--out", tmp_path / "out", *extra)
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    assert needle is None or needle in lines[0], lines[0]
    assert not (tmp_path / "out" / "report.html").exists()


def test_wrong_delimiter_hint(tmp_path):
    path = _bad(tmp_path, "semi.csv", "customer_id;date;amount\n1;2020-01-01;3\n")
    result = run("validate", path, "--sep", ",", "--amount", "amount")
    assert result.exit_code == 2 and "delimiter" in result.output


def test_bad_calibration_end(cdnow_csv, tmp_path):
    result = run("report", cdnow_csv, "--amount", "amount", "--calibration-end", "2030-01-01",
                 "--out", tmp_path)
    assert result.exit_code == 2 and "error:" in result.output and "Traceback" not in result.output


def test_formula_cells_are_neutralised(tmp_path):
    frame = pd.DataFrame({"name": ["=HYPERLINK(1)", "+1", "-2+3", "@SUM(A1)", "Ann"],
                          "value": [-1.5, 2.0, 3.0, 4.0, 5.0]})
    safe = neutralise_formulas(frame)
    assert safe["name"].tolist() == ["'=HYPERLINK(1)", "'+1", "'-2+3", "'@SUM(A1)", "Ann"]
    assert safe["value"].tolist() == frame["value"].tolist()  # numbers stay numbers
    assert frame["name"].iloc[0] == "=HYPERLINK(1)"  # caller's frame untouched


def test_scores_csv_is_spreadsheet_safe(tmp_path):
    rng = np.random.default_rng(7)
    ids = [f"=cmd{i}" if i % 5 == 0 else f"c{i}" for i in range(40)]
    rows = [(ids[i % 40], pd.Timestamp("2021-01-01") + pd.Timedelta(days=int(d)), float(a))
            for i, (d, a) in enumerate(zip(rng.integers(0, 300, 400), rng.gamma(2, 10, 400), strict=True))]
    path = tmp_path / "inj.csv"
    pd.DataFrame(rows, columns=["customer_id", "date", "amount"]).to_csv(path, index=False)
    out = tmp_path / "out"
    result = run("report", path, "--amount", "amount", "--out", out)
    assert result.exit_code == 0, result.output
    first_col = [ln.split(",")[0] for ln in (out / "customer_scores.csv").read_text().splitlines()[1:]]
    assert all(not v.startswith("=") for v in first_col)
    assert sum(v.startswith("'=cmd") for v in first_col) == 8


def test_help_everywhere():
    for cmd in ([], ["report"], ["validate"], ["datasets"]):
        result = run(*cmd, "--help")
        assert result.exit_code == 0 and "Usage" in result.output


# --- score with a saved model (issue 17, part 5) ------------------------------------------------

def test_report_save_model_then_score(cdnow_csv, tmp_path):
    model_file = tmp_path / "model.json"
    result = run("report", cdnow_csv, "--amount", "amount", "--margin", "0.3", "--out", tmp_path / "rep",
                 "--save-model", model_file)
    assert result.exit_code == 0, result.output
    saved = json.loads(model_file.read_text())
    assert saved["format"] == "crm-analysis-scoring-model"
    # The report states customer equity with its 90% interval (issue 17, part 3).
    assert "a 90% interval is" in (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert saved["transaction_model"]["class"] == "BTYDModel"
    # Scoring the log the model was fitted on reproduces the report's own scores.
    out = tmp_path / "scores.csv"
    scored = run("score", cdnow_csv, "--model", model_file, "--amount", "amount", "--out", out)
    assert scored.exit_code == 0, scored.output
    assert "scored 2,357 customers" in scored.output
    mine = read_table(out).set_index("customer_id")
    report_scores = read_table(tmp_path / "rep" / "customer_scores.csv").set_index("customer_id")
    for col in ("p_alive", "expected_purchases", "clv"):
        np.testing.assert_allclose(mine[col], report_scores.loc[mine.index, col], rtol=1e-12)
    # A new month's log (here: the first half year only) is scored without refitting.
    early = tmp_path / "early.csv"
    crm.load_cdnow().query("date <= '1997-06-30'").to_csv(early, index=False)
    again = run("score", early, "--model", model_file, "--amount", "amount", "--out", tmp_path / "e.csv")
    assert again.exit_code == 0, again.output
    assert saved == json.loads(model_file.read_text())


@pytest.mark.parametrize("case", ["missing", "not_json", "single_model"])
def test_score_bad_model_file(cdnow_csv, tmp_path, case):
    path = tmp_path / "m.json"
    if case == "not_json":
        path.write_text("{oops")
    elif case == "single_model":
        crm.save_model(crm.BTYDModel.from_params("bgnbd", [0.243, 4.414, 0.793, 2.426]), path)
    result = CliRunner().invoke(main, ["score", str(cdnow_csv), "--model", str(path)])
    assert result.exit_code == 2
    assert result.output.startswith("error:") and "Traceback" not in result.output
