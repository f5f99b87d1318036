"""Chart language (set_style(lang=...)): translated labels on the Axes and a CJK font with the glyphs."""

import re

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.ft2font import FT2Font
from matplotlib.patches import Patch

import crm_analysis as crm
from crm_analysis import plotting
from crm_analysis.errors import CRMDataError
from crm_analysis.plotting import _style
from crm_analysis.plotting._labels_zh import ZH


@pytest.fixture(autouse=True)
def _english_afterwards():
    yield
    crm.set_style()


def _whale_axes():
    profit = [50.0, 30.0, 10.0, -5.0, -20.0]
    _, ax = plt.subplots()
    return plotting.plot_whale_curve(crm.whale_curve(profit, revenue=[60, 80, 40, 30, 90]), ax=ax)


def _legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_chinese_labels_appear_on_the_axes():
    crm.set_style(lang="zh")
    ax = _whale_axes()
    assert ax.get_title() == "鲸鱼曲线: 按客户排名的累计利润"
    assert ax.get_xlabel() == "客户（按贡献从高到低） (%)"
    assert ax.get_ylabel() == "累计占总量比例 (%)"
    legend = _legend_texts(ax)
    assert legend[0] == "利润 (客户按利润排序)"
    assert legend[2] == "100% 的总利润"
    assert all(re.search("[\u4e00-\u9fff]", t) for t in legend)


def test_chinese_with_english_keeps_both():
    crm.set_style(lang="zh+en")
    ax = _whale_axes()
    assert ax.get_title() == ("鲸鱼曲线: 按客户排名的累计利润\n"
                              "Whale curve: cumulative profit by customer rank")
    assert _legend_texts(ax)[2] == "100% 的总利润 / 100% of total profit"


def test_english_is_untouched_and_restored():
    crm.set_style(lang="zh")
    crm.set_style()
    ax = _whale_axes()
    assert ax.get_title() == "Whale curve: cumulative profit by customer rank"
    assert _legend_texts(ax)[2] == "100% of total profit"


def test_legend_drawn_before_finish_is_translated():
    crm.set_style(lang="zh")
    _, ax = plt.subplots()
    ax.bar([0], [1])
    ax.legend(handles=[Patch(label="true share")], title="Win-back policy")
    plotting._style.finish(ax, title="", xlabel="Lost customers (%)", ylabel="", legend=False)
    assert _legend_texts(ax) == ["真实比例"]
    assert ax.get_legend().get_title().get_text() == "赢返策略"
    assert ax.get_xlabel() == "流失客户 (%)"


def test_legend_drawn_after_finish_is_translated():
    crm.set_style(lang="zh")
    _, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], label="lever up")
    ax.plot([0, 1], [1, 0], label="lever down")
    plotting._style.finish(ax, title="", xlabel="", ylabel="", legend=False)
    ax.legend()  # as plot_lever_sensitivity does, to place it itself
    assert _legend_texts(ax) == ["杠杆上调", "杠杆下调"]


def test_untranslated_text_and_numbers_stay():
    crm.set_style(lang="zh")
    assert plotting.translate("CDNOW 1997") == "CDNOW 1997"
    assert plotting.translate("Recency (weeks)") == "Recency (周)"
    # "Top" is a phrase, "Topic" is not: whole words only
    assert plotting.translate("Topic") == "Topic"


def test_registered_font_has_every_glyph_of_the_table():
    crm.set_style(lang="zh")
    path = plotting.cjk_font()
    assert path is not None, "the cvttf-notosanscjk-regular dependency is not installed"
    name = mpl.font_manager.FontProperties(fname=str(path)).get_name()
    assert mpl.rcParams["font.sans-serif"][0] == name
    charmap = FT2Font(str(path)).get_charmap()
    chinese = {ch for text in ZH.values() for ch in text if ord(ch) > 0x2E80}
    missing = sorted(ch for ch in chinese if ord(ch) not in charmap)
    assert not missing, f"glyphs missing from {path.name}: {missing}"
    assert len(chinese) > 150
    # and matplotlib resolves the family to that file
    found = mpl.font_manager.findfont(mpl.font_manager.FontProperties(family=["sans-serif"]))
    assert found == str(path)


def test_no_cjk_font_warns(monkeypatch):
    monkeypatch.setattr(_style, "cjk_font", lambda: None)
    with pytest.warns(UserWarning, match="no font with Chinese glyphs.*cvttf-notosanscjk-regular"):
        crm.set_style(lang="zh")
    # labels are still translated; only the glyphs are missing
    assert plotting.translate("Customers (%)") == "客户 (%)"


@pytest.mark.parametrize("lang", ["fr", "ZH", "", "zh-en"])
def test_unknown_language_is_refused(lang):
    with pytest.raises(CRMDataError, match="set_style: lang must be one of en, zh, zh\\+en"):
        crm.set_style(lang=lang)


def test_drawn_chinese_text_is_not_tofu(tmp_path):
    """Rendered text uses the CJK font: its width differs from the DejaVu fallback's boxes."""
    crm.set_style(lang="zh")
    fig, ax = plt.subplots()
    text = ax.text(0, 0, "客户资产")
    fig.canvas.draw()
    assert text.get_fontname() == mpl.font_manager.FontProperties(fname=str(plotting.cjk_font())).get_name()
    assert np.isfinite(text.get_window_extent().width)


def test_category_ticks_and_colour_bar_are_translated():
    crm.set_style(lang="zh")
    share = pd.DataFrame({0: [1.0, 1.0], 1: [0.5, 0.4], 2: [0.3, np.nan]}, index=["2024-01", "2024-02"])
    _, ax = plt.subplots()
    plotting.plot_cohort_heatmap(share, ax=ax)  # labels through finish, colour bar from seaborn
    bars = [a for a in ax.figure.axes if a is not ax]
    assert [b.get_ylabel() for b in bars] == ["活跃客户 (% 占同期群)"]
    assert ax.get_title() == "各获客同期群仍在购买的比例"
    _, ax = plt.subplots()
    ax.bar([0, 1], [1, 2])
    ax.set_xticks([0, 1], ["champions", "at risk"], rotation=30)
    plotting._style.finish(ax, title="", xlabel="Segment", ylabel="")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["冠军客户", "有流失风险"]
    assert ax.get_xticklabels()[0].get_rotation() == 30
