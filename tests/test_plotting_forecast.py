"""Forecast charts: check what was drawn (bar heights, error bars, labels), not pixels."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import crm_analysis as crm
from crm_analysis.plotting import plot_clv_intervals, plot_count_distribution


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_count_distribution_bars_are_the_table():
    table = pd.DataFrame({"actual": [10.0, 5, 2], "predicted": [9.5, 5.5, 2.0]},
                         index=pd.Index(["0", "1", "2+"], name="purchases"))
    table["actual_share"] = table["actual"] / 17
    table["predicted_share"] = table["predicted"] / 17
    ax = plot_count_distribution(table)
    heights = [p.get_height() for p in ax.patches]
    assert heights == [10.0, 5, 2, 9.5, 5.5, 2.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2+"]
    assert ax.get_ylabel() == "Customers (count)"
    ax2 = plot_count_distribution(table, shares=True, ax=plt.subplots()[1])
    assert ax2.patches[0].get_height() == pytest.approx(100 * 10 / 17)
    assert ax2.get_ylabel() == "Customers (%)"


def test_clv_intervals_draws_top_customers_with_bars():
    customers = pd.DataFrame({"clv": [5.0, 50, 20, 1], "lower": [4.0, 40, 15, 0.5],
                              "upper": [7.0, 65, 22, 2]}, index=[11, 12, 13, 14])
    ax = plot_clv_intervals(customers, top=2, level=0.9)
    line = ax.lines[0]
    np.testing.assert_array_equal(line.get_xdata(), [20.0, 50.0])  # smaller first, best on top
    assert [t.get_text() for t in ax.get_yticklabels()] == ["13", "12"]
    segs = ax.collections[0].get_segments()
    assert [(s[0][0], s[1][0]) for s in segs] == [(15.0, 22.0), (40.0, 65.0)]
    assert "90% interval" in ax.get_legend().get_texts()[0].get_text()


def test_exported():
    assert crm.plotting.plot_count_distribution is plot_count_distribution
    assert crm.plotting.plot_clv_intervals is plot_clv_intervals
