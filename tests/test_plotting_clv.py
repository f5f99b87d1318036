"""CLV charts: check what was drawn (line data, bar heights, labels), not pixels."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import crm_analysis as crm
from crm_analysis.clv import BTYDModel, compare_rankings, customer_equity, p_alive_history
from crm_analysis.plotting import (
    plot_clv_distribution,
    plot_customer_equity,
    plot_expected_purchases_matrix,
    plot_expected_repeat_purchases,
    plot_holdout_by_frequency,
    plot_p_alive_history,
    plot_p_alive_matrix,
    plot_rank_comparison,
    plot_tracking,
)

# Published BG/NBD estimates for CDNOW (Fader, Hardie & Lee 2005a), weeks.
BG = BTYDModel.from_params("bgnbd", [0.243, 4.414, 0.793, 2.426], time_unit="weeks")


def test_p_alive_matrix_draws_probabilities():
    ax = plot_p_alive_matrix(BG, max_frequency=10, T=39)
    mesh = ax.collections[0]
    values = np.asarray(mesh.get_array())
    assert values.min() >= 0 and values.max() <= 1
    # Zero repeat purchases: BG/NBD says P(alive) = 1 (first column).
    grid = values.reshape(50, 11)
    assert np.allclose(grid[:, 0], 1.0)
    assert "weeks" in ax.get_ylabel() and "count" in ax.get_xlabel()


def test_expected_purchases_matrix_increases_with_recency():
    ax = plot_expected_purchases_matrix(BG, 10, max_frequency=5, T=39)
    grid = np.asarray(ax.collections[0].get_array()).reshape(50, 6)
    assert np.all(np.diff(grid[:, 3]) > 0)


def test_expected_repeat_purchases_curve():
    # Replaces lifetimes' plot_expected_repeat_purchases (broken by matplotlib's prop_cycler).
    ax = plot_expected_repeat_purchases(BG, 52, n_points=27)
    x, y = ax.lines[0].get_data()
    assert len(x) == 27 and y[0] == 0
    assert y[-1] == pytest.approx(BG.expected_purchases_new(52.0))
    assert np.all(np.diff(y) > 0)


def test_p_alive_history_plot(cdnow):
    # Replaces lifetimes' plot_history_alive (TypeError on datetime sums under pandas 3).
    hist = p_alive_history(BG, cdnow, 1, end="1997-09-30")
    ax = plot_p_alive_history(hist)
    x, y = ax.lines[0].get_data()
    np.testing.assert_allclose(y, hist["p_alive"])
    n_purchase_lines = len(ax.lines) - 1
    assert n_purchase_lines == int(hist["purchase"].sum())


def test_holdout_by_frequency_plot():
    table = pd.DataFrame({"customers": [3, 2], "actual": [0.2, 1.5], "predicted": [0.25, 1.2]},
                         index=pd.Index(["0", "1+"]))
    ax = plot_holdout_by_frequency(table, predicted_label="BG/NBD")
    assert list(ax.lines[0].get_ydata()) == [0.2, 1.5]
    assert list(ax.lines[1].get_ydata()) == [0.25, 1.2]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1+"]
    assert ax.get_legend() is not None
    plt.close("all")
    table["pnbd"] = [0.3, 1.1]
    ax = plot_holdout_by_frequency(table, extra={"pnbd": "Pareto/NBD"})
    assert list(ax.lines[2].get_ydata()) == [0.3, 1.1]
    assert ax.lines[2].get_label() == "predicted (Pareto/NBD)"


def test_tracking_plot_marks_calibration_end():
    tr = pd.DataFrame({"period": [1, 2, 3, 4], "actual": [1.0, 2, 3, 4], "predicted": [1.5, 2, 2.5, 3],
                       "actual_cumulative": [1.0, 3, 6, 10], "predicted_cumulative": [1.5, 3.5, 6, 9],
                       "holdout": [False, False, True, True]})
    ax = plot_tracking(tr, cumulative=True)
    assert list(ax.lines[0].get_ydata()) == [1.0, 3, 6, 10]
    assert list(ax.lines[1].get_ydata()) == [1.5, 3.5, 6, 9]
    assert ax.lines[2].get_xdata()[0] == 2.5  # vertical line between weeks 2 and 3
    assert "Cumulative" in ax.get_title()


def test_clv_distribution_and_equity():
    clv = pd.Series([1.0, 2.0, 3.0, 100.0])
    ax = plot_clv_distribution(clv, bins=4, clip_quantile=0.75)
    heights = [p.get_height() for p in ax.patches]
    assert sum(heights) == 4
    plt.close("all")
    eq = customer_equity(clv, by=["a", "a", "b", "b"])
    ax = plot_customer_equity(eq)
    assert [p.get_height() for p in ax.patches] == [103.0, 3.0]
    assert "US$" in ax.get_ylabel()
    plt.close("all")
    # Millions read as whole amounts with separators, with no "1e6" offset above the axis.
    ax = plot_customer_equity(customer_equity(clv * 5e4, by=["a", "a", "b", "b"]))
    ax.figure.canvas.draw()
    assert ax.yaxis.get_offset_text().get_text() == ""
    assert any("," in tick.get_text() for tick in ax.get_yticklabels())


def test_rank_comparison_plot():
    rc = compare_rankings(pd.Series([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
                          pd.Series([10.0, 9, 8, 7, 6, 5, 4, 3, 2, 1]), top=0.2)
    ax = plot_rank_comparison(rc)
    counts = [len(c.get_offsets()) for c in ax.collections]
    assert sum(counts) == 10
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("past revenue only (2)" in lab for lab in labels)


def test_package_reexports():
    assert crm.plotting.plot_tracking is plot_tracking
