"""Shared style and the transaction charts draw what they claim."""

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd

from crm_analysis import plotting, rfm_summary


def test_set_style_uses_palette():
    plotting.set_style()
    colours = [c["color"] for c in mpl.rcParams["axes.prop_cycle"]]
    assert colours[0].lower() == plotting.PALETTE[0].lower()
    assert len(set(plotting.PALETTE)) == len(plotting.PALETTE)


def test_frequency_distribution_bars(cdnow):
    summary = rfm_summary(cdnow)
    fig, ax = plt.subplots()
    out = plotting.plot_frequency_distribution(summary, max_count=5, ax=ax)
    assert out is ax
    heights = [p.get_height() for p in ax.patches]
    assert sum(heights) == len(summary)
    assert heights[0] == (summary["frequency"] == 0).sum()
    assert heights[-1] == (summary["frequency"] >= 5).sum()
    assert ax.get_xticklabels()[-1].get_text() == "5+"
    assert "count" in ax.get_ylabel() and ax.get_title()


def test_group_distribution_one_series_per_group():
    data = pd.DataFrame({"v": range(10), "g": list("aabbbccccc")})
    ax = plotting.plot_group_distribution(data, value="v", by="g")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["a (n=2)", "b (n=3)", "c (n=5)"]


def test_default_axes_is_current():
    fig, ax = plt.subplots()
    data = pd.DataFrame({"period": pd.date_range("2020-01-06", periods=3, freq="W-MON"),
                         "amount": [1.0, 2.0, 3.0]})
    assert plotting.plot_period_totals(data) is ax
    assert list(ax.lines[0].get_ydata()) == [1.0, 2.0, 3.0]


def test_group_distribution_draws_every_group_beyond_the_palette():
    data = pd.DataFrame({"v": range(30), "g": [f"g{i % 10}" for i in range(30)]})
    ax = plotting.plot_group_distribution(data, value="v", by="g")
    assert len(ax.get_legend().get_texts()) == 10
