"""The crm-analysis command line, end to end: real data in, report and scores out, bad files refused."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from browser import check_offline, check_pages, require_browser
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


# Respondents of the restaurant survey for whom "speed" is coded 0 = not applicable.
SPEED_NOT_APPLICABLE = list(range(0, 400, 10))


@pytest.fixture(scope="module")
def survey_with_codes(tmp_path_factory):
    survey = pd.read_csv(ROOT / "data" / "restaurant_survey.csv")
    survey.loc[SPEED_NOT_APPLICABLE, "speed"] = 0
    path = tmp_path_factory.mktemp("survey") / "survey.csv"
    survey.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def cdnow_report(cdnow_csv, survey_with_codes, tmp_path_factory):
    out = tmp_path_factory.mktemp("cdnow_report")
    result = run("report", cdnow_csv, "--amount", "amount", "--cost-per-order", "2",
                 "--margin", "0.3", "--calibration-end", "1997-09-30", "--out", out,
                 "--survey", survey_with_codes, "--survey-missing", "0")
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
    assert "done:" in output and "Kernel is running" not in output
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
    # neither CDNOW fit reduces to the NBD: no sentence explaining that limit
    assert "NBD limit is the no-dropout form" not in html
    # the cleaning summary names the command's options (8 zero amounts kept), not Python's
    assert "--zero-amounts drop" in html and "zero_amounts=" not in html


def test_report_counts_survey_answers_coded_not_applicable(cdnow_report, survey_with_codes):
    out, output = cdnow_report
    html = (out / "report.html").read_text()
    n = len(pd.read_csv(survey_with_codes))
    k = len(SPEED_NOT_APPLICABLE)
    assert (f"survey: {n - k:,} of {n:,} responses used for the drivers; {k} left out "
            f"({{'missing value': 0, 'missing code': {k}}})") in output
    assert (f"{n - k:,} of {n:,} responses enter the driver analysis; {k:,} left out "
            f"({k:,} missing code)") in html


def test_survey_rated_as_text_fails_before_the_kernel(cdnow_csv, tmp_path):
    survey = pd.read_csv(ROOT / "data" / "restaurant_survey.csv")
    survey["ambience"] = survey["ambience"].map(lambda v: f"{v} stars")
    path = tmp_path / "stars.csv"
    survey.to_csv(path, index=False)
    result = run("report", cdnow_csv, "--amount", "amount", "--survey", path, "--out",
                 tmp_path / "out")
    assert result.exit_code == 2, result.output
    (line,) = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
    assert "column 'ambience' holds text that is not a number" in line
    assert "--survey-missing" in line
    assert not (tmp_path / "out" / "report.ipynb").exists()  # no notebook kernel was started


@pytest.mark.parametrize("args,needle", [
    (["--survey-missing", "0"], "--survey-missing needs --survey"),
], ids=["codes-without-survey"])
def test_survey_missing_option_errors(cdnow_csv, tmp_path, args, needle):
    result = run("report", cdnow_csv, "--amount", "amount", "--out", tmp_path / "out", *args)
    assert result.exit_code == 2 and needle in result.output


def test_survey_missing_codes_are_parsed():
    from crm_analysis.cli import _missing_codes

    assert _missing_codes(("0",)) == [0]
    assert _missing_codes(("0,99", "n/a", " 9.5 ")) == [0, 99, "n/a", 9.5]


def test_report_in_headless_chromium(cdnow_report):
    require_browser()
    out, _ = cdnow_report
    nb = json.loads((out / "report.ipynb").read_text())
    charts = sum("image/png" in o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", []))
    (check,) = check_pages([out / "report.html"], ROOT / "build" / "screenshots" / "report")
    assert check.title == "Customer-relationship report"
    assert check.images == charts >= 6
    assert not check.broken_images and check.tracebacks == 0


def test_report_needs_no_network(cdnow_report, tmp_path):
    require_browser()
    out, _ = cdnow_report
    shots = ROOT / "build" / "screenshots" / "report-offline"
    check = check_offline(out / "report.html", shots / "report.png")
    assert check.leaving == []
    assert check.math >= 2 and check.raw_tex == 0  # $d$ and $d_w = ...$ rendered as MathML
    # The counter does see a CDN: nbconvert's plain "lab" page of the same notebook asks for
    # require.js and MathJax.
    import nbformat
    from nbconvert import HTMLExporter

    plain, _ = HTMLExporter(template_name="lab").from_notebook_node(
        nbformat.read(out / "report.ipynb", as_version=4))
    (tmp_path / "plain.html").write_text(plain, encoding="utf-8")
    control = check_offline(tmp_path / "plain.html", shots / "plain.png")
    assert any("require" in u for u in control.leaving)
    assert any("mathjax" in u for u in control.leaving)


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


# --- invoice-line exports: quantity x price, cancellations, fees, text amounts -------------

@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    sim = crm.simulate_messy_log(300, seed=21, dates="iso")
    path = tmp_path_factory.mktemp("messy") / "export.csv"
    sim.data.to_csv(path, index=False)
    return sim, path


MESSY_OPTS = ["--customer-id", "customer_id", "--date", "invoice_date", "--quantity", "quantity",
              "--price", "unit_price", "--order-id", "invoice", "--cancel-prefix", "C",
              "--item", "stock_code", "--exclude-items", crm.simulate.messy._EXCLUDE]


def test_validate_invoice_lines_counts_match_the_truth(messy):
    sim, path = messy
    result = run("validate", path, *MESSY_OPTS, "--observation-end", sim.options["observation_end"])
    assert result.exit_code == 0, result.output
    # duplicates are kept (and flagged) by the command line, so compare the checks before them
    for check in ("missing customer id", "excluded item"):
        assert f"{check} [" in result.output
        line = next(ln for ln in result.output.splitlines() if f"{check} [" in ln)
        assert f": {sim.dropped[check]:,} rows dropped" in line
    assert "netted against the customers' earlier purchases" in result.output


def test_report_passes_the_cleaned_log_through(tmp_path):
    sim = crm.simulate_messy_log(300, seed=21, dates="iso")
    data = sim.data
    # The export as the simulator wrote it: customers first seen on the last day (T = 0) included.
    clean = crm.validate_transactions(data, **sim.options).data
    first = clean.groupby("customer_id")["invoice_date"].min().dt.normalize()
    assert (first == clean["invoice_date"].max().normalize()).any()
    path = tmp_path / "export.csv"
    data.to_csv(path, index=False)
    out = tmp_path / "report"
    result = run("report", path, *MESSY_OPTS, "--out", out)
    assert result.exit_code == 0, result.output
    cleaned = pd.read_parquet(out / "cleaned_transactions.parquet")
    assert cleaned.columns.tolist() == ["customer_id", "invoice_date", "amount"]
    assert (cleaned["amount"] >= 0).all()
    scores = pd.read_csv(out / "customer_scores.csv")
    assert len(scores) == cleaned["customer_id"].nunique()
    assert (out / "report.html").exists()


def _amount_file(tmp_path, values):
    path = tmp_path / "amounts.csv"
    pd.DataFrame({"customer_id": [1, 2, 3], "date": ["2020-01-01", "2020-01-02", "2020-01-03"],
                  "amount": values}).to_csv(path, index=False)
    return path


BAD_OPTIONS = {
    "quantity-without-price": (["--quantity", "quantity"], "quantity= and price="),
    "prefix-without-order-id": (["--cancel-prefix", "C"], "order_id= and cancel_prefix="),
    "exclude-without-item": (["--exclude-items", "POST"], "needs item="),
    "bad-regex": (["--item", "stock_code", "--exclude-items", "(POST"], "not a regular expression"),
    "missing-price-column": (["--quantity", "quantity", "--price", "cost"], "'cost'"),
}


@pytest.mark.parametrize("command", ["validate", "report"])
@pytest.mark.parametrize("case", sorted(BAD_OPTIONS))
def test_bad_cleaning_options_fail_with_one_line(messy, tmp_path, command, case):
    _, path = messy
    extra, needle = BAD_OPTIONS[case]
    result = run(command, path, "--customer-id", "customer_id", "--date", "invoice_date",
                 "--amount", "unit_price", *extra, *(["--out", tmp_path] if command == "report" else []))
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and needle in lines[0], result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["validate", "report"])
def test_formatted_amounts_name_the_options(tmp_path, command):
    path = _amount_file(tmp_path, ["£1,234.50", "£5.00", "£12.00"])
    result = run(command, path, "--amount", "amount",
                 *(["--out", tmp_path / "out"] if command == "report" else []))
    assert result.exit_code == 2
    (line,) = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
    assert "--currency '£'" in line and "--thousands ','" in line


def test_formatted_amounts_read_with_the_options(tmp_path):
    path = _amount_file(tmp_path, ["1.234,50", "5,00", "12,00"])
    result = run("validate", path, "--amount", "amount", "--thousands", ".", "--decimal", ",")
    assert result.exit_code == 0, result.output
    assert "3 rows in, 3 rows kept, 0 dropped" in result.output


# --- reading options: --dayfirst/--monthfirst, --date-format, --tz, --sheet --------------

HEAD = "customer_id,date,amount\n"
# Day-first dates; 13/01 and 28/02 decide the order.
DAY_FIRST = HEAD + "1,05/01/2011,3\n1,13/01/2011,4\n2,02/02/2011,5\n2,28/02/2011,6\n"
AMBIGUOUS = HEAD + "1,05/01/2011,3\n2,06/02/2011,4\n1,07/03/2011,5\n"
OFFSETS = HEAD + "1,2011-01-05T10:00:00+02:00,3\n1,2011-01-06T23:30:00-05:00,4\n"


def _two_sheet_book(tmp_path):
    path = tmp_path / "book.xlsx"
    first = pd.DataFrame({"customer_id": [1, 2, 1], "date": ["2011-01-05", "2011-01-06", "2011-02-01"],
                          "amount": [3.0, 4.0, 5.0]})
    with pd.ExcelWriter(path) as writer:
        first.to_excel(writer, sheet_name="2010", index=False)
        first.assign(customer_id=[3, 4, 3]).to_excel(writer, sheet_name="2011", index=False)
    return path


def _nested_parquet(tmp_path):
    path = tmp_path / "nested.parquet"
    pd.DataFrame({"customer_id": [1, 2], "date": ["2011-01-05", "2011-01-06"],
                  "amount": [[1.0], [2.0, 3.0]]}).to_parquet(path)
    return path


def _fake_workbook(tmp_path):
    import zipfile

    path = tmp_path / "log.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "not a workbook")
    return path


OPTION_CASES = {
    "ambiguous day-first dates": (lambda p: _bad(p, "a.csv", AMBIGUOUS), [], "--dayfirst"),
    "unknown time zone": (lambda p: _bad(p, "a.csv", OFFSETS), ["--tz", "Mars/Olympus"],
                          "unknown time zone"),
    "bad date format": (lambda p: _bad(p, "a.csv", DAY_FIRST), ["--date-format", "%Q"], "strftime"),
    "several sheets, no --sheet": (_two_sheet_book, [], "--sheet"),
    "unknown sheet": (_two_sheet_book, ["--sheet", "2012"], "no sheet '2012'"),
    "--sheet on a csv": (lambda p: _bad(p, "a.csv", DAY_FIRST), ["--sheet", "x"], "not a workbook"),
    "nested parquet column": (_nested_parquet, [], "'amount' (list"),
    "zip that is not a workbook": (_fake_workbook, [], "not an Excel workbook"),
    "binary garbage": (lambda p: (p / "g.csv").write_bytes(bytes(range(256)) * 20) and p / "g.csv",
                       [], "could not be read"),
    "ragged rows": (lambda p: _bad(p, "r.csv", HEAD + "1,2011-01-05,3,9,9\n2,2011-01-06,4\n"), [],
                    "more fields than the header"),
    "bad observation end": (lambda p: _bad(p, "a.csv", DAY_FIRST), ["--observation-end", "soon"],
                            "is not a date"),
}


@pytest.mark.parametrize("command", ["validate", "report"])
@pytest.mark.parametrize("case", sorted(OPTION_CASES))
def test_bad_reading_input_exits_2_with_one_line(tmp_path, case, command):
    make, extra, needle = OPTION_CASES[case]
    args = [command, make(tmp_path), "--amount", "amount", *extra]
    if command == "report":
        args += ["--out", tmp_path / "out"]
    result = run(*args)
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and needle in lines[0], result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("flag,first,last", [("--dayfirst", "2011-01-05", "2011-07-03"),
                                             ("--monthfirst", "2011-05-01", "2011-07-03")])
def test_dayfirst_and_monthfirst(tmp_path, flag, first, last):
    # 05/01, 06/02, 07/03/2011: day-first 5 Jan ... 7 Mar; month-first 1 May ... 3 Jul.
    result = run("validate", _bad(tmp_path, "a.csv", AMBIGUOUS), flag, "--observation-end",
                 "2012-01-01")
    assert result.exit_code == 0, result.output
    expected = {"--dayfirst": "dates 2011-01-05 to 2011-03-07",
                "--monthfirst": "dates 2011-05-01 to 2011-07-03"}[flag]
    assert expected in result.output


def test_day_first_decided_by_the_column_and_date_format(tmp_path):
    path = _bad(tmp_path, "a.csv", DAY_FIRST)
    for extra in ([], ["--date-format", "%d/%m/%Y"]):
        result = run("validate", path, *extra)
        assert result.exit_code == 0, result.output
        assert "4 rows kept" in result.output and "dates 2011-01-05 to 2011-02-28" in result.output


@pytest.mark.parametrize("tz,last", [("UTC", "2011-01-07"), ("America/New_York", "2011-01-06")])
def test_utc_offsets_do_not_crash(tmp_path, tz, last):
    # 23:30 at UTC-5 is 04:30 UTC on the 7th, and still the 6th in New York.
    result = run("validate", _bad(tmp_path, "a.csv", OFFSETS), "--tz", tz)
    assert result.exit_code == 0, result.output
    assert f"dates 2011-01-05 to {last}" in result.output


@pytest.mark.parametrize("command", ["validate", "report"])
def test_utc_offsets_without_tz_ask_for_it(tmp_path, command):
    # The clock decides the day of a purchase (see above), so it is never chosen silently.
    extra = ["--out", tmp_path / "out"] if command == "report" else []
    result = run(command, _bad(tmp_path, "a.csv", OFFSETS), "--amount", "amount", *extra)
    assert result.exit_code == 2, result.output
    last = result.output.strip().splitlines()[-1].split("\r")[-1]
    assert last.startswith("error:") and "--tz UTC" in last and "+02:00" in last
    assert "Traceback" not in result.output


def test_sheet_all_and_by_name(tmp_path):
    path = _two_sheet_book(tmp_path)
    result = run("validate", path, "--sheet", "all", "--amount", "amount")
    assert result.exit_code == 0 and "6 rows in, 6 rows kept" in result.output, result.output
    assert "4 customers" in result.output
    result = run("validate", path, "--sheet", "2011")
    assert result.exit_code == 0 and "3 rows in" in result.output


def test_implausible_date_is_a_counted_drop(tmp_path):
    path = _bad(tmp_path, "a.csv", DAY_FIRST.replace("02/02/2011", "01/01/0001"))
    result = run("validate", path, "--amount", "amount")
    assert result.exit_code == 0, result.output
    assert "4 rows in, 3 rows kept, 1 dropped" in result.output
    assert "implausible date [date]: 1 rows dropped" in result.output
    strict = run("validate", path, "--strict")
    assert strict.exit_code == 2 and "implausible date" in strict.output


def test_compressed_and_tab_separated_files(tmp_path):
    import gzip

    (tmp_path / "a.csv.gz").write_bytes(gzip.compress(DAY_FIRST.encode()))
    (tmp_path / "a.tsv").write_text(DAY_FIRST.replace(",", "\t"))
    for name in ("a.csv.gz", "a.tsv"):
        result = run("validate", tmp_path / name, "--amount", "amount")
        assert result.exit_code == 0 and "4 rows in, 4 rows kept" in result.output, result.output


def test_report_on_day_first_cdnow_equals_iso_report(cdnow_report, tmp_path):
    # The same CDNOW log with dates written day-first gives the same scores, customer by customer.
    out_iso, _ = cdnow_report
    log = crm.load_cdnow()
    path = tmp_path / "cdnow_dayfirst.csv"
    log.assign(date=log["date"].dt.strftime("%d/%m/%Y")).to_csv(path, index=False)
    out = tmp_path / "report"
    result = run("report", path, "--amount", "amount", "--cost-per-order", "2", "--margin", "0.3",
                 "--calibration-end", "1997-09-30", "--out", out,
                 "--survey", ROOT / "data" / "restaurant_survey.csv")
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(pd.read_csv(out / "customer_scores.csv"),
                                  pd.read_csv(out_iso / "customer_scores.csv"))


# --- issue 16 section 3: each failure exits 2 with one error line -------------------------

def _every_row_dropped(tmp_path):
    return _bad(tmp_path, "dropped.csv", "customer_id,date,amount\n,2020-01-01,3\n,2020-01-02,4\n")


@pytest.mark.parametrize("case", ["every row dropped", "out is a file", "out under a file",
                                  "out not writable"])
def test_report_failures_exit_2_with_one_line(tmp_path, case):
    import os

    data = _bad(tmp_path, "ok.csv", "customer_id,date,amount\n" + GOOD_ROWS)
    out = tmp_path / "out"
    if case == "every row dropped":
        data, needle = _every_row_dropped(tmp_path), "every one of the 2 rows was dropped"
    elif case == "out is a file":
        out.write_text("x")
        needle = "is a file, not a folder"
    elif case == "out under a file":
        (tmp_path / "f").write_text("x")
        out, needle = tmp_path / "f" / "out", "cannot create or write"
    else:
        if os.geteuid() == 0:
            pytest.skip("root can write into read-only folders")
        out.mkdir()
        out.chmod(0o500)
        needle = "cannot create or write"
    result = run("report", data, "--out", out)
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("error:")]
    assert len(errors) == 1 and needle in errors[0], result.output
    assert "e.g." not in errors[0] and "Traceback" not in result.output
    assert not errors[0].rstrip().endswith(":")


def test_datasets_out_into_missing_folder(tmp_path):
    result = run("datasets", "--export", "load_cdnow", "--out", tmp_path / "nope" / "c.csv")
    assert result.exit_code == 2
    (line,) = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
    assert "does not exist" in line


def test_one_line_drops_the_row_table_and_names_cli_options():
    from crm_analysis.cli import _one_line

    exc = crm.CRMDataError("validate: column 'date': 3 rows off the format, e.g.:\n   date\n0  x")
    assert _one_line(exc) == ("validate: column 'date': 3 rows off the format "
                              "(--strict shows the offending rows).")
    assert _one_line(exc, strict=True).endswith("0  x")
    advice = crm.CRMDataError("pass missing_codes=[0] and dropna=True, else declare scale=(0, 5).")
    assert _one_line(advice) == "pass --survey-missing 0, else declare --survey-scale 0-5."


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


@pytest.mark.parametrize("lang, passed", [("zh", "zh"), ("zh+en", "zh+en"), ("en", None)])
def test_report_lang_reaches_the_template(cdnow_csv, tmp_path, monkeypatch, lang, passed):
    """--lang is handed to the report notebook, whose setup cell calls set_style(lang=lang)."""
    import crm_analysis.cli as cli

    seen = {}

    def fake_run(params, executed, bar):
        seen.update(params)
        raise cli._Fail("stopped here")

    monkeypatch.setattr(cli, "_run_template", fake_run)
    result = CliRunner().invoke(main, ["report", str(cdnow_csv), "--amount", "amount",
                                       "--out", str(tmp_path), "--lang", lang])
    assert result.exit_code == 2 and "stopped here" in result.output
    assert seen.get("lang") == (passed or "en")
    template = json.loads((ROOT / "notebooks" / "templates" / "client_report.ipynb").read_text())
    sources = ["".join(c["source"]) for c in template["cells"]]
    assert 'lang = "en"' in sources[1] and "crm.set_style(lang=lang)" in sources[2]


def test_report_refuses_an_unknown_language(cdnow_csv, tmp_path):
    result = CliRunner().invoke(main, ["report", str(cdnow_csv), "--out", str(tmp_path), "--lang", "fr"])
    assert result.exit_code == 2
    assert "'fr' is not one of 'en', 'zh', 'zh+en'" in result.output


# --- issue 16 review leftovers -------------------------------------------------------------------

def _screen(text: str) -> list[str]:
    """The non-empty lines a terminal shows for ``text`` (carriage returns overwrite)."""
    shown = []
    for line in text.split("\n"):
        cells: list[str] = []
        for segment in line.split("\r"):
            cells[:len(segment)] = segment
        if "".join(cells).strip():
            shown.append("".join(cells).rstrip())
    return shown


def test_validate_with_every_row_dropped_is_one_error_line(tmp_path):
    data = _every_row_dropped(tmp_path)
    result = run("validate", data)
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert "every one of the 2 rows was dropped" in lines[0]
    assert "missing customer id [customer_id]: 2" in lines[0]
    assert "rows in" not in result.output  # no cleaning table before the error


def test_validate_strict_shows_the_offending_rows(tmp_path):
    result = run("validate", _every_row_dropped(tmp_path), "--strict")
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert lines[0].startswith("error:") and "missing customer id" in lines[0]
    assert any("2020-01-02" in ln for ln in lines[1:]), result.output  # the rows themselves


def test_zero_amount_advice_names_the_cli_option(tmp_path):
    data = _bad(tmp_path, "zero.csv", "customer_id,date,amount\n" + GOOD_ROWS + "7,2020-03-05,0\n")
    kept = run("validate", data, "--amount", "amount")
    assert kept.exit_code == 0, kept.output
    assert "--zero-amounts drop removes them" in kept.output
    assert "zero_amounts" not in kept.output
    dropped = run("validate", data, "--amount", "amount", "--zero-amounts", "drop")
    assert dropped.exit_code == 0, dropped.output
    assert "zero amount [amount]: 1 rows dropped" in dropped.output
    assert "201 rows in, 200 rows kept, 1 dropped." in dropped.output


@pytest.mark.parametrize("module", ["cli.py", "report.py"])
def test_no_private_name_of_another_module_is_imported(module):
    import ast

    tree = ast.parse((ROOT / "crm_analysis" / module).read_text(encoding="utf-8"))
    reached = [(node.module, alias.name) for node in ast.walk(tree)
               if isinstance(node, ast.ImportFrom) and node.module
               and not node.module.split(".")[-1].startswith("_")  # private helper modules
               for alias in node.names if alias.name.startswith("_")]
    assert reached == []


def test_failing_report_ends_stderr_with_the_error_line(tmp_path):
    result = CliRunner().invoke(main, ["report", str(_every_row_dropped(tmp_path)),
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "report:" in result.stderr  # the bar was drawn ...
    shown = _screen(result.stderr)  # ... and wiped before the one error line
    assert len(shown) == 1 and shown[0].startswith("error:"), shown
    assert "every one of the 2 rows was dropped" in shown[0]


def test_notebooks_validate_without_the_iri_grammar():
    import subprocess
    import sys

    code = ("import sys; from crm_analysis.cli import _without_iri_grammar; _without_iri_grammar(); "
            "import nbformat; nbformat.validate(nbformat.v4.new_notebook()); "
            "print(sys.modules.get('rfc3987_syntax', 'absent'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() in ("None", "absent")


def test_report_on_parquet_equals_report_on_csv(tmp_path):
    """The out-of-core path (Parquet) and the pandas path (CSV) agree on the messy log (simulated)."""
    sim = crm.simulate_messy_log(300, seed=21)
    sim.data.to_parquet(tmp_path / "export.parquet", index=False)
    sim.data.to_csv(tmp_path / "export.csv", index=False)
    outputs, scores = [], []
    for name in ("export.parquet", "export.csv"):
        result = run("report", tmp_path / name, *MESSY_OPTS, "--observation-end",
                     sim.options["observation_end"], "--out", tmp_path / f"out_{name}")
        assert result.exit_code == 0, result.output
        outputs.append([ln for ln in result.stdout.splitlines() if not ln.startswith("done:")])
        scores.append(pd.read_csv(tmp_path / f"out_{name}" / "customer_scores.csv"))
    assert outputs[0] == outputs[1]  # cleaning counts by reason, notes, model choice
    assert "missing customer id [customer_id]: " in "\n".join(outputs[0])
    pd.testing.assert_frame_equal(scores[0], scores[1], check_exact=False, rtol=1e-9)


def test_report_of_a_log_without_dropout_explains_the_nbd_limit(tmp_path):
    # Every customer buys by a Poisson process for two years and never leaves (rates
    # gamma(0.8, scale 20 days)): both fits reduce to the NBD limit, the report says so,
    # and the NBD recovers the generating shape.
    rng = np.random.default_rng(4)
    rows = []
    for i, rate in enumerate(rng.gamma(0.8, 1 / 20, 600)):
        t = float(rng.integers(0, 180))
        while t < 730:
            rows.append((i, t))
            t += rng.exponential(1 / rate)
    log = pd.DataFrame(rows, columns=["customer_id", "day"])
    log["date"] = (pd.Timestamp("2021-01-01") + pd.to_timedelta(log["day"], unit="D")).dt.date
    log["amount"] = np.round(rng.lognormal(3, 0.6, len(log)), 2)
    path = tmp_path / "no_dropout.csv"
    log[["customer_id", "date", "amount"]].to_csv(path, index=False)
    result = run("report", path, "--out", tmp_path / "rep", "--margin", "0.3")
    assert result.exit_code == 0, result.output
    html = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert "NBD limit is the no-dropout form" in html
    assert "BG/NBD (NBD limit)" in html and "Pareto/NBD (NBD limit)" in html
    table = pd.read_parquet(tmp_path / "rep" / "analysis" / "model_table.parquet")
    r = float(table.loc["BG/NBD", "parameters"].split(",")[0].split("=")[1])
    assert 0.6 < r < 1.0  # generating shape 0.8
