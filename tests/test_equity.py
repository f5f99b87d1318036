"""equity: closed forms against brute-force series, lever algebra, model calibration, plots."""

import numpy as np
import pandas as pd
import pytest

from crm_analysis import (
    BTYDModel,
    CRMDataError,
    base_from_model,
    customer_lifetime_value,
    equity_decomposition,
    expected_lifetime,
    implied_retention,
    lever_sensitivity,
    lever_simulation,
    load_cdnow_summary,
)
from crm_analysis.plotting import (
    plot_lever_tornado,
    plot_lever_waterfall,
    plot_relationship_cylinders,
)


@pytest.mark.parametrize("r,d", [(0.0, 0.0), (0.6, 0.0), (0.9, 0.05), (0.97, 0.01)])
def test_lifetime_equals_brute_force_series(r, d):
    k = np.arange(1, 5001)
    brute = np.sum(r ** (k - 1) / (1 + d) ** k)
    assert expected_lifetime(r, discount=d) == pytest.approx(brute, rel=1e-9)
    assert expected_lifetime(r, discount=d, horizon=12) == pytest.approx(
        np.sum(r ** (k[:12] - 1) / (1 + d) ** k[:12]))


def test_lifetime_limits_and_geometric_mean():
    assert expected_lifetime(0.75) == pytest.approx(4.0)          # mean of a geometric lifetime
    assert expected_lifetime(1.0, horizon=10) == pytest.approx(10.0)
    assert expected_lifetime(1.0, discount=0.1) == pytest.approx(10.0)   # perpetuity 1/d
    np.testing.assert_allclose(expected_lifetime(np.array([0.5, 0.8])), [2.0, 5.0])


def test_implied_retention_inverts_lifetime():
    for r in (0.1, 0.5, 0.93):
        life = expected_lifetime(r, discount=0.02, horizon=24)
        assert implied_retention(life, discount=0.02, horizon=24) == pytest.approx(r, abs=1e-8)
    with pytest.raises(CRMDataError, match="no retention"):
        implied_retention(30.0, horizon=24)


def test_decomposition_is_customers_times_lifetime_times_value():
    g = pd.DataFrame({"customers": [1000, 200], "retention": [0.6, 0.9],
                      "value": [5.0, 40.0]}, index=["light", "heavy"])
    out = equity_decomposition(g, discount=0.1)
    assert out.loc["light", "equity"] == pytest.approx(1000 * 5 / (1.1 - 0.6))
    assert out.loc["heavy", "equity"] == pytest.approx(200 * 40 / (1.1 - 0.9))
    assert out.loc["total", "equity"] == pytest.approx(10000 + 40000)
    assert out.loc[["light", "heavy"], "share"].sum() == pytest.approx(1.0)
    assert out.loc["total", "clv"] == pytest.approx(50000 / 1200)


def test_levers_match_closed_form_and_interaction_identity():
    n, r, m, d, a, x, s = 500.0, 0.8, 12.0, 0.05, 0.1, 0.05, 0.2
    g = pd.DataFrame({"customers": [n], "retention": [r], "value": [m]})
    res = lever_simulation(g, acquisition=a, retention=x, spend=s, discount=d)
    base = n * m / (1 + d - r)
    t = res.table
    assert t.loc["base", "equity"] == pytest.approx(base)
    assert t.loc["more", "change"] == pytest.approx(a * base)
    assert t.loc["deeper", "change"] == pytest.approx(s * base)
    assert t.loc["longer", "equity"] == pytest.approx(n * m / (1 + d - r - x))
    allthree = (1 + a) * (1 + s) * n * m / (1 + d - r - x)
    assert t.loc["all three", "equity"] == pytest.approx(allthree)
    singles = t.loc[["more", "longer", "deeper"], "change"].sum()
    assert res.interaction_ == pytest.approx(allthree - base - singles)
    assert res.interaction_ > 0          # multiplicative levers reinforce each other
    steps = res.waterfall()
    assert steps["amount"].iloc[1:5].sum() + base == pytest.approx(allthree)


def test_retention_lever_is_capped():
    g = pd.DataFrame({"customers": [1.0], "retention": [0.995], "value": [1.0]})
    res = lever_simulation(g, retention=0.05, discount=0.0)
    assert res.table.loc["longer", "expected_lifetime"] == pytest.approx(1 / (1 - 0.999))


def test_base_from_model_reproduces_model_equity():
    # Published BG/NBD parameters for CDNOW (Fader, Hardie & Lee 2005a): no fitting needed.
    bg = BTYDModel.from_params("bgnbd", [0.243, 4.414, 0.793, 2.426])
    summary = load_cdnow_summary().head(400)
    groups = np.where(summary["frequency"] == 0, "one-off", "repeat")
    base = base_from_model(bg, 35.0, summary, by=groups, period="M", horizon=24, discount=0.01)
    clv = customer_lifetime_value(bg, 35.0, summary, horizon=24, discount_rate=0.01, freq="M")
    dec = equity_decomposition(base, discount=0.01, horizon=24)
    assert dec.loc["total", "equity"] == pytest.approx(clv.sum(), rel=1e-6)
    assert dec.loc["one-off", "equity"] == pytest.approx(clv[groups == "one-off"].sum(), rel=1e-6)
    assert base["customers"].sum() == pytest.approx(bg.p_alive(summary).sum())
    assert ((base["retention"] > 0) & (base["retention"] <= 1)).all()


def test_does_not_mutate_input():
    g = pd.DataFrame({"customers": [10], "retention": [0.5], "value": [2.0]})
    before = g.copy()
    equity_decomposition(g)
    lever_simulation(g)
    pd.testing.assert_frame_equal(g, before)


def test_errors_name_column_and_rows():
    g = pd.DataFrame({"customers": [10, -1], "retention": [0.5, 0.5], "value": [2.0, 2.0]},
                     index=["ok", "bad"])
    with pytest.raises(CRMDataError, match="(?s)'customers'.*bad"):
        equity_decomposition(g)
    with pytest.raises(CRMDataError, match="'retention'"):
        equity_decomposition(g.assign(customers=1, retention=[0.5, 1.2]))
    with pytest.raises(CRMDataError, match="not found"):
        equity_decomposition(g.drop(columns="value"))
    with pytest.raises(CRMDataError, match="infinite"):
        expected_lifetime(1.0)
    with pytest.raises(CRMDataError, match="horizon"):
        expected_lifetime(0.5, horizon=0)
    with pytest.raises(CRMDataError, match="above -100%"):
        lever_simulation(g.iloc[:1], spend=-1.0)


def test_plots_draw_the_data():
    g = pd.DataFrame({"customers": [100, 50], "retention": [0.5, 0.8], "value": [3.0, 7.0]},
                     index=["light", "heavy"])
    dec = equity_decomposition(g)
    ax = plot_relationship_cylinders(dec)
    rects = [p for p in ax.patches if type(p).__name__ == "Rectangle"]
    assert [r.get_height() for r in rects] == pytest.approx([2.0, 5.0])
    assert [r.get_width() for r in rects] == pytest.approx([3.0, 7.0])
    assert "lifetime" in ax.get_ylabel().lower()
    import matplotlib.pyplot as plt

    plt.close("all")
    res = lever_simulation(g, acquisition=0.1, retention=0.05, spend=0.1)
    ax = plot_lever_waterfall(res)
    heights = [p.get_height() for p in ax.patches]
    steps = res.waterfall()
    assert heights == pytest.approx(steps["amount"].abs().tolist())
    assert [t.get_text() for t in ax.get_xticklabels()] == steps["step"].tolist()


def test_sensitivity_is_symmetric_where_equity_is_linear():
    n, r, m, d = 200.0, 0.7, 5.0, 0.0
    g = pd.DataFrame({"customers": [n], "retention": [r], "value": [m]})
    sens = lever_sensitivity(g, acquisition=0.1, retention=0.05, spend=0.2, discount=d)
    base = n * m / (1 - r)
    assert sens.loc["more", "low"] == pytest.approx(-0.1 * base)
    assert sens.loc["deeper", "high"] == pytest.approx(0.2 * base)
    # Retention is convex: +5 points gains more than -5 points loses.
    assert sens.loc["longer", "high"] == pytest.approx(n * m / (1 - r - 0.05) - base)
    assert sens.loc["longer", "low"] == pytest.approx(n * m / (1 - r + 0.05) - base)
    assert list(sens.index) == list(sens.sort_values("range", ascending=False).index)
    ax = plot_lever_tornado(sens)
    widths = sorted(p.get_width() for p in ax.patches)
    assert widths == pytest.approx(sorted([*sens["low"], *sens["high"]]))
