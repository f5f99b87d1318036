"""The message catalogue: complete, consistent with the glossary and the charts, and the report in Chinese."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from click.testing import CliRunner

import crm_analysis as crm
from crm_analysis.cli import main
from crm_analysis.errors import CRMDataError
from crm_analysis.messages import (
    GLOSSARY_TERMS,
    MESSAGES,
    Message,
    localise,
    localise_report,
    message,
)
from crm_analysis.plotting._labels_zh import ZH

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "notebooks" / "templates" / "client_report.ipynb"
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Entries whose Chinese is the English: symbols and model names read the same in both.
SAME_IN_BOTH = {"col.BIC", "col.p_alive"}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_entry_has_chinese_with_the_same_figures(key):
    en, zh = MESSAGES[key]
    assert en.strip() and zh.strip()
    assert _fields(en) == _fields(zh), "both languages must quote the same figures"
    if key not in SAME_IN_BOTH:
        assert _CJK.search(zh), f"{key}: no Chinese"


def test_glossary_terms_are_the_glossary_s_words():
    gl = crm.glossary()
    pairs = set(zip(gl["english"], gl["chinese"], strict=True))
    for english, chinese in GLOSSARY_TERMS.items():
        assert (english, chinese) in pairs, english
    used = "".join(zh for _, zh in MESSAGES.values())
    assert all(chinese in used for chinese in GLOSSARY_TERMS.values())


def test_segment_names_match_the_chart_labels():
    for segment in crm.RFM_SEGMENTS["segment"].unique():
        assert localise(segment, "zh") == ZH[segment], segment


def test_every_action_and_at_risk_label_is_translated():
    texts = list(crm.SEGMENT_ACTIONS.values()) + list(crm.AT_RISK_ACTIONS.values())
    texts += list(crm.AT_RISK_ACTIONS) + ["Keep serving."]
    for text in texts:
        assert _CJK.search(localise(text, "zh")), text


def test_template_markdown_cells_all_come_from_the_catalogue():
    nb = nbformat.read(TEMPLATE, as_version=4)
    markdown = [c for c in nb.cells if c.cell_type == "markdown"]
    headings = [k for c in markdown for k in c.metadata.get("crm_messages", []) if k.startswith("h.")]
    assert all(c.metadata.get("crm_messages") for c in markdown), "a Markdown cell without message ids"
    assert all(k in MESSAGES for c in markdown for k in c.metadata["crm_messages"])
    assert len(headings) == 10  # the title, eight numbered sections and the method
    # the English template text is the catalogue's English, so en reports are unchanged
    assert all(c.source == "\n\n".join(message(k) for k in c.metadata["crm_messages"]) for c in markdown)


def test_template_code_uses_only_known_ids():
    text = "\n".join(c.source for c in nbformat.read(TEMPLATE, as_version=4).cells)
    keys = set(re.findall(r"""\bt\(\s*["']([\w.]+)["']""", text))
    assert len(keys) > 25
    assert keys - set(MESSAGES) == set()


def test_localise_report_replaces_the_markdown():
    nb = localise_report(nbformat.read(TEMPLATE, as_version=4), "zh")
    sources = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert sources[0].startswith("# 客户关系分析报告")
    assert not any("Summary and recommended actions" in s for s in sources)


def test_message_is_a_string_that_remembers_its_figures():
    m = Message("note.holdout_off", err=-11.5, limit=10.0)
    assert m == ("The chosen model's holdout forecast is off by -11.5% in total (more than ±10%): "
                 "treat expected purchases and CLV as rough orders of magnitude, and prefer the "
                 "ranking of customers to the amounts.")
    back = json.loads(json.dumps(m.spec))
    assert "-11.5%" in localise(back, "zh") and "±10%" in localise(back, "zh")
    assert localise(back, "zh+en").splitlines() == [localise(back, "zh"), str(m)]


def test_messages_join_and_nest():
    why = Message("choice.bic", model="BG/NBD") + Message("choice.nbd_limit", models="Pareto/NBD")
    assert str(why).endswith("show no sign of customers leaving).")
    zh = localise(json.loads(json.dumps(why.spec)), "zh")
    assert zh.startswith("由 BG/NBD 为客户打分") and zh.endswith("看不到客户离开的迹象）。")
    note = Message("note.model_left_out", model="Pareto/NBD", where=Message("note.where_calibration"),
                   reason="x")
    assert "on the calibration period" in note
    assert "在校准期上" in localise(json.loads(json.dumps(note.spec)), "zh")


def test_plain_text_passes_through():
    assert localise({"text": "a warning of another library"}, "zh") == "a warning of another library"
    assert localise("BG/NBD (NBD limit)", "zh") == "BG/NBD（NBD 极限形式）"


@pytest.mark.parametrize("call", [
    lambda: message("h.nope", "zh"),
    lambda: message("h.summary", "fr"),
    lambda: message("txt.n_risk", "zh", n=3),
    lambda: localise("x", "de"),
], ids=["unknown-id", "unknown-lang", "missing-figure", "localise-lang"])
def test_bad_calls(call):
    with pytest.raises(CRMDataError, match=r"^(message|localise): "):
        call()


# ------------------------------------------------------------------ the report in Chinese

def _report(tmp: Path, lang: str, csv: Path, survey: Path) -> Path:
    out = tmp / lang
    result = CliRunner().invoke(main, [
        "report", str(csv), "--amount", "amount", "--cost-per-order", "2", "--margin", "0.3",
        "--calibration-end", "1997-09-30", "--survey", str(survey), "--lang", lang, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lang")
    csv = tmp / "cdnow.csv"
    crm.load_cdnow().to_csv(csv, index=False)
    survey = crm.simulate_restaurant_survey(300, 6, seed=1).data
    survey["customer_id"] = crm.load_cdnow()["customer_id"].drop_duplicates().head(300).to_numpy()
    survey.to_csv(tmp / "survey.csv", index=False)
    return {lang: _report(tmp, lang, csv, tmp / "survey.csv") for lang in ("en", "zh")}


def _page(out: Path):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")
    for tag in soup(["style", "script"]):
        tag.decompose()
    return soup


def test_chinese_report_has_every_heading_in_chinese(reports):
    soup = _page(reports["zh"])
    shown = [h.get_text(" ", strip=True).rstrip("¶").strip() for h in soup.find_all(["h1", "h2"])]
    expected = [message(k, "zh").lstrip("# ") for k in MESSAGES if k.startswith("h.")]
    assert shown == expected
    text = soup.get_text(" ")
    for key in (k for k in MESSAGES if k.startswith("h.")):
        assert message(key, "en").lstrip("# ")[3:] not in text, key  # no English heading left
    assert soup.title.get_text() == "客户关系分析报告"
    for phrase in ("值得保留的客户", "潜在危险的客户", "客户资产", "模型选择", "验证期检验"):
        assert phrase in text, phrase
    assert "Traceback" not in text and "findfont" not in text


def test_chinese_report_has_no_english_sentence(reports):
    text = _page(reports["zh"]).get_text("\n")
    lines = [s.strip() for s in text.splitlines() if s.strip()]
    # Left in English only: parameter lists (r = 0.25, alpha = ...), file and model names.
    english = [s for s in lines if re.search(r"[A-Za-z]{3,} [A-Za-z]{3,} [A-Za-z]{3,}", s)
               and not _CJK.search(s)]
    assert english == []


def test_chinese_report_shows_the_same_numbers(reports):
    en, zh = reports["en"], reports["zh"]
    pd.testing.assert_frame_equal(pd.read_csv(en / "customer_scores.csv"),
                                  pd.read_csv(zh / "customer_scores.csv"))

    def cells(out):
        numbers = []
        for table in _page(out).find_all("table"):
            if "示例行" in table.get_text():  # the cleaning findings: printed as text in English
                continue
            for td in table.find_all("td"):
                numbers += re.findall(r"-?\d[\d,]*(?:\.\d+)?%?", td.get_text())
        return numbers

    assert cells(en) == cells(zh) and len(cells(en)) > 200
    head = json.loads((en / "analysis" / "analysis.json").read_text())["headline"]
    equity = f"{head['equity']:,.0f}"
    for out in (en, zh):
        assert equity in _page(out).get_text(" ")


def test_chinese_report_glyphs_render_in_chromium(reports):
    """Chinese characters are drawn as distinct glyphs, not as one replacement box."""
    from browser import chromium_path, require_browser
    from playwright.sync_api import sync_playwright

    require_browser()
    shots = ROOT / "build" / "screenshots" / "report-zh"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 1400})
        page.goto((reports["zh"] / "report.html").resolve().as_uri(), wait_until="load")
        drawn = page.evaluate("""() => {
            const c = document.createElement('canvas'); c.width = c.height = 48;
            const x = c.getContext('2d');
            const family = getComputedStyle(document.querySelector('h2')).fontFamily;
            const px = ch => { x.clearRect(0, 0, 48, 48); x.font = '40px ' + family;
                               x.fillText(ch, 2, 40);
                               return Array.from(x.getImageData(0, 0, 48, 48).data).join(''); };
            return {a: px('客'), b: px('资'), missing: px('\\uE000'), blank: px(' ')};
        }""")
        page.screenshot(path=str(shots / "report_zh.png"), full_page=False)
        browser.close()
    assert drawn["a"] != drawn["b"], "two characters look the same: boxes"
    assert drawn["missing"] not in (drawn["a"], drawn["b"]) and drawn["blank"] != drawn["a"]


@pytest.mark.parametrize("check", crm.VALIDATION_CHECKS)
def test_every_cleaning_check_has_chinese(check):
    # The cleaning table of a Chinese report lists each check by name; none may stay English.
    text = check.format(col="sales_value")
    zh = localise(text, "zh")
    assert zh != text
    assert not re.search(r"[a-z]{3,}", zh.replace("sales_value", "")), zh


def test_a_penalised_refit_is_named_in_both_languages():
    from crm_analysis.report import _fitted_label

    class Refit:
        model, penalizer = "pareto", 0.001

    label = _fitted_label("Pareto/NBD", Refit())
    assert label == "Pareto/NBD (penalised, 0.001)"
    assert localise(str(label), "zh") == "Pareto/NBD（带惩罚项 0.001）"


def test_a_message_survives_pickling_with_its_language():
    # The report's fit worker sends warnings whose report note is a Message.
    import pickle

    from crm_analysis.errors import ModelFitWarning
    from crm_analysis.messages import Message

    note = Message("note.fit_no_dropout", model="BG/NBD")
    back = pickle.loads(pickle.dumps(ModelFitWarning("text", note=note)))
    assert str(back) == "text" and isinstance(back.note, Message)
    assert back.note == note and localise(back.note.spec, "zh") == localise(note.spec, "zh")
    assert localise(back.note.spec, "zh").startswith("BG/NBD：数据中没有客户流失的迹象")


def test_model_fit_warnings_become_report_notes_in_both_languages():
    # A log without dropout: the report's notes carry the fits' findings as Messages.
    import warnings

    import numpy as np
    import pandas as pd

    import crm_analysis as crm

    rng = np.random.default_rng(4)
    rows = []
    for i, rate in enumerate(rng.gamma(0.8, 1 / 20, 400)):
        t = float(rng.integers(0, 180))
        while t < 730:
            rows.append((i, pd.Timestamp("2021-01-01") + pd.Timedelta(days=t), 20.0 + i % 7))
            t += rng.exponential(1 / rate)
    log = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = crm.analyse_client(log)
    fit_notes = [n for n in result.notes if getattr(n, "key", "") == "note.fit_no_dropout"]
    assert [n.params["model"] for n in fit_notes] == ["BG/NBD", "Pareto/NBD"]
    assert all("fit_btyd(" not in localise(n.spec, "zh") for n in fit_notes)


def test_a_zero_coded_survey_column_is_one_note_with_cli_options_in_both_languages():
    # A 1-5 rating column with zeros and no declared scale: the report's note names the
    # command-line options (not Python arguments) and is said in Chinese in a zh report.
    import pandas as pd

    from crm_analysis.report import analyse_survey

    survey = pd.read_csv(Path(__file__).resolve().parents[1] / "data" / "restaurant_survey.csv")
    column = "speed"
    survey[column] = survey[column].clip(1, 5)  # a 1-5 scale ...
    survey.loc[:9, column] = 0                  # ... with ten zeros
    result = analyse_survey(survey)
    (note,) = [n for n in result.notes if getattr(n, "key", "") == "note.zero_code"]
    assert note.params["column"] == column and note.params["n"] == "10"
    for lang in ("en", "zh"):
        text = localise(note.spec, lang)
        assert "--survey-missing 0" in text and "missing_codes" not in text
    assert "问卷列" in localise(note.spec, "zh")
