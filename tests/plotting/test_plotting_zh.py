"""In Chinese (set_style(lang="zh")) no chart of the package keeps an English word.

The plot tests of the suite are run again in a subprocess with ``CRM_SCAN_LANG=zh``:
``tests/conftest.py`` then draws every chart in Chinese and records the title, axis labels,
legend entries, annotations and category ticks of each figure. Their English assertions
fail in that run, which is expected; what is checked here is the record: every word left in
Latin letters must be a model or method name, a unit, or a name that the test data gave.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Test files that draw the package's charts; "-k plot" picks their plot tests.
PLOT_TESTS = ["tests/plotting", "tests/test_plotting_clv.py", "tests/test_plotting_forecast.py",
              "tests/test_basket.py", "tests/test_churn.py", "tests/test_drivers.py",
              "tests/test_equity.py", "tests/test_loyalty.py", "tests/test_retention.py",
              "tests/test_segments.py", "tests/test_whatif.py"]
#: Words that stay in Latin letters in Chinese charts: model and method names, units, statistics.
NAMES = {"BG", "NBD", "MBG", "BB", "sBG", "Pareto", "CLV", "RFM", "NPS", "LMG", "Shapley", "Gini",
         "Spearman", "Kaplan-Meier", "Cox", "Dick", "Basu", "CI", "efron", "breslow", "US", "DERL"}
#: Group and column names that the tests' own data carry (not the package's words).
TEST_DATA_NAMES = {"hi", "lo", "heavy", "light"}
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Za-z]")


def english_words(text: str) -> list[str]:
    """Latin words of a chart text that are neither names nor single letters (data symbols)."""
    return [w for w in _WORD.findall(text) if len(w) > 1 and w not in NAMES | TEST_DATA_NAMES]


def test_english_words_rule():
    assert english_words("鲸鱼曲线: 按客户排名的累计利润") == []
    assert english_words("BG/NBD: 未来预期购买次数，期长 10 周 (US$)") == []
    assert english_words("CLV (按 30% 毛利率计的利润; top 1% 合并在右端)") == ["top"]
    assert english_words("利润 change (%)") == ["change"]


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    if os.environ.get("CRM_SCAN_LANG"):  # inside the scan itself: never recurse
        pytest.skip("the scan run does not scan")
    out = tmp_path_factory.mktemp("scan") / "texts.jsonl"
    env = {**os.environ, "CRM_SCAN_LANG": "zh", "CRM_SCAN_OUT": str(out), "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "plot",
                    f"--ignore={Path(__file__).relative_to(ROOT)}", *PLOT_TESTS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_the_scan_saw_the_charts(record):
    tests = {r["test"] for r in record}
    assert len(tests) >= 25, sorted(tests)
    assert sum(bool(re.search("[\u4e00-\u9fff]", r["text"])) for r in record) >= 120


def test_no_english_label_remains_in_chinese_charts(record):
    left = sorted({(r["text"], " ".join(english_words(r["text"]))) for r in record
                   if english_words(r["text"])})
    assert left == [], "\n".join(f"{t!r}: {w}" for t, w in left)


def test_short_words_leave_data_names_alone():
    from crm_analysis import plotting

    plotting.set_style(lang="zh")
    try:
        assert plotting.translate("price_to_value by all_stores") == "price_to_value 按 all_stores"
        assert plotting.translate("from (2020-01)") == "起始 (2020-01)"
    finally:
        plotting.set_style()
