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
    value_elasticities,
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
    assert expected_lifetime(r, discount_rate=d) == pytest.approx(brute, rel=1e-9)
    assert expected_lifetime(r, discount_rate=d, horizon=12) == pytest.approx(
        np.sum(r ** (k[:12] - 1) / (1 + d) ** k[:12]))


def test_lifetime_limits_and_geometric_mean():
    assert expected_lifetime(0.75) == pytest.approx(4.0)          # mean of a geometric lifetime
    assert expected_lifetime(1.0, horizon=10) == pytest.approx(10.0)
    assert expected_lifetime(1.0, discount_rate=0.1) == pytest.approx(10.0)   # perpetuity 1/d
    np.testing.assert_allclose(expected_lifetime(np.array([0.5, 0.8])), [2.0, 5.0])


def test_implied_retention_inverts_lifetime():
    for r in (0.1, 0.5, 0.93):
        life = expected_lifetime(r, discount_rate=0.02, horizon=24)
        assert implied_retention(life, discount_rate=0.02, horizon=24) == pytest.approx(r, abs=1e-8)
    with pytest.raises(CRMDataError, match="no retention"):
        implied_retention(30.0, horizon=24)


def test_decomposition_is_customers_times_lifetime_times_value():
    g = pd.DataFrame({"customers": [1000, 200], "retention": [0.6, 0.9],
                      "value": [5.0, 40.0]}, index=["light", "heavy"])
    out = equity_decomposition(g, discount_rate=0.1)
    assert out.loc["light", "equity"] == pytest.approx(1000 * 5 / (1.1 - 0.6))
    assert out.loc["heavy", "equity"] == pytest.approx(200 * 40 / (1.1 - 0.9))
    assert out.loc["total", "equity"] == pytest.approx(10000 + 40000)
    assert out.loc[["light", "heavy"], "share"].sum() == pytest.approx(1.0)
    assert out.loc["total", "clv"] == pytest.approx(50000 / 1200)


def test_levers_match_closed_form_and_interaction_identity():
    n, r, m, d, a, x, s = 500.0, 0.8, 12.0, 0.05, 0.1, 0.25, 0.2
    g = pd.DataFrame({"customers": [n], "retention": [r], "value": [m]})
    res = lever_simulation(g, acquisition=a, defection=x, spend=s, discount_rate=d)
    base = n * m / (d + (1 - r))
    t = res.table
    assert t.loc["base", "equity"] == pytest.approx(base)
    assert t.loc["more", "change"] == pytest.approx(a * base)
    assert t.loc["deeper", "change"] == pytest.approx(s * base)
    # 25% fewer defections: defection rate 0.2 -> 0.15, retention 0.85.
    assert t.loc["longer", "equity"] == pytest.approx(n * m / (d + 0.15))
    allthree = (1 + a) * (1 + s) * n * m / (d + 0.15)
    assert t.loc["all three", "equity"] == pytest.approx(allthree)
    singles = t.loc[["more", "longer", "deeper"], "change"].sum()
    assert res.interaction_ == pytest.approx(allthree - base - singles)
    assert res.interaction_ > 0          # multiplicative levers reinforce each other
    steps = res.waterfall()
    assert steps["amount"].iloc[1:5].sum() + base == pytest.approx(allthree)


def test_proportional_defection_lever_against_brute_force_lifetime():
    # Two groups, 36-period horizon: the lifetime after the lever equals the series sum.
    g = pd.DataFrame({"customers": [300.0, 100.0], "retention": [0.984, 0.9],
                      "value": [2.0, 9.0]}, index=["a", "b"])
    res = lever_simulation(g, acquisition=0.0, defection=0.10, spend=0.0, discount_rate=0.01,
                           horizon=36)
    k = np.arange(1, 37)
    eq = 0.0
    for n, r, m in g.to_numpy():
        r_new = 1 - 0.9 * (1 - r)
        eq += n * m * np.sum(r_new ** (k - 1) / 1.01 ** k)
    assert res.table.loc["longer", "equity"] == pytest.approx(eq, rel=1e-10)


@pytest.mark.parametrize("defection, match", [
    (-0.5, "outside \\[0, 1\\]"),        # 70% defections x 1.5 > 100%
    (1.5, "above 100%"),
], ids=["more-defections", "cut-above-100"])
def test_defection_lever_is_never_clipped(defection, match):
    g = pd.DataFrame({"customers": [1.0], "retention": [0.3], "value": [1.0]})
    with pytest.raises(CRMDataError, match=match):
        lever_simulation(g, defection=defection)


def test_deprecated_points_lever_converts_without_clipping():
    g = pd.DataFrame({"customers": [10.0, 20.0], "retention": [0.8, 0.9], "value": [1.0, 2.0]},
                     index=["x", "y"])
    with pytest.warns(DeprecationWarning, match="defection="):
        old = lever_simulation(g, retention=0.05, discount_rate=0.01)
    # +5 points = 25% fewer defections for x, 50% for y: same as retention 0.85 and 0.95.
    moved = g.assign(retention=[0.85, 0.95])
    expected = equity_decomposition(moved, discount_rate=0.01).loc["total", "equity"]
    assert old.table.loc["longer", "equity"] == pytest.approx(expected)
    with pytest.warns(DeprecationWarning), pytest.raises(CRMDataError, match="outside"):
        lever_simulation(g, retention=0.15)   # group y would pass 1: refused, not capped


@pytest.mark.parametrize("r,d,h,c", [(0.8, 0.12, None, 0.0), (0.95, 0.12, None, 2.0),
                                     (0.984, 0.01, 36, 0.0), (0.7, 0.0, 10, 0.5)])
def test_value_elasticities_against_finite_differences(r, d, h, c):
    m = 3.0
    e = value_elasticities(r, discount_rate=d, horizon=h, margin=m, acquisition_cost=c)

    def v(rr, mm=m, cc=c):      # brute-force series, independent of expected_lifetime
        k = np.arange(1, (h or 3000) + 1)
        return mm * np.sum(rr ** (k - 1) / (1 + d) ** k) - cc

    v0, eps = v(r), 1e-6
    dv = (v(r + eps) - v(r - eps)) / (2 * eps)
    assert e["value"].iloc[0] == pytest.approx(v0, rel=1e-8)
    assert e.loc["retention +1%", "elasticity"] == pytest.approx(dv * r / v0, rel=1e-5)
    assert e.loc["defections -1%", "elasticity"] == pytest.approx(dv * (1 - r) / v0, rel=1e-5)
    assert e.loc["margin +1%", "elasticity"] == pytest.approx((v0 + c) / v0)
    assert e.loc["acquisition cost -1%", "elasticity"] == pytest.approx(c / v0)
    assert e.loc["retention +1%", "change_pct"] == pytest.approx(100 * (v(r * 1.01) / v0 - 1))
    assert e.loc["defections -1%", "change_pct"] == pytest.approx(
        100 * (v(1 - 0.99 * (1 - r)) / v0 - 1))


def test_value_elasticity_is_gupta_lehmann_stuart_minus_one():
    # GLS (2004): value m r / (1 + i - r), elasticity (1 + i) / (1 + i - r).
    i = 0.12

    def gls(rr):
        return rr / (1 + i - rr)

    for r in (0.7, 0.8, 0.9, 0.95):
        eps = 1e-7
        gls_el = (gls(r + eps) - gls(r - eps)) / (2 * eps) * r / gls(r)
        assert gls_el == pytest.approx((1 + i) / (1 + i - r), rel=1e-6)
        ours = value_elasticities(r, discount_rate=i).loc["retention +1%", "elasticity"]
        assert ours == pytest.approx(gls_el - 1, rel=1e-6)


@pytest.mark.parametrize("kwargs,match", [
    ({"retention": 1.0, "discount_rate": 0.1}, "retention"),
    ({"retention": 0.5, "discount_rate": 0.1, "acquisition_cost": 100.0}, "not positive"),
    ({"retention": 0.5, "discount_rate": 0.1, "margin": -1.0}, "margin"),
    ({"retention": 0.5, "discount_rate": -0.1}, "discount"),
])
def test_value_elasticities_bad_input(kwargs, match):
    with pytest.raises(CRMDataError, match=match):
        value_elasticities(**kwargs)


def test_return_on_effort_divides_gain_by_cost():
    g = pd.DataFrame({"customers": [100.0], "retention": [0.8], "value": [10.0]})
    res = lever_simulation(g, acquisition=0.1, defection=0.5, spend=0.1)
    # base 5000; more and deeper +500 each; longer: 1000 / (1 - 0.9) - 5000 = 5000.
    roe = res.return_on_effort({"more": 1000.0, "longer": 2500.0, "deeper": 250.0})
    assert roe.loc["longer", "change"] == pytest.approx(5000.0)
    assert roe["return_per_unit_cost"].to_dict() == pytest.approx(
        {"more": 0.5, "longer": 2.0, "deeper": 2.0})
    assert roe.loc["more", "net"] == pytest.approx(-500.0)
    assert roe.index[-1] == "more"


@pytest.mark.parametrize("costs,match", [({"wider": 1.0}, "unknown lever"),
                                         ({"more": -1.0}, ">= 0"),
                                         ({"more": float("nan")}, ">= 0")])
def test_return_on_effort_bad_costs(costs, match):
    g = pd.DataFrame({"customers": [100.0], "retention": [0.8], "value": [10.0]})
    with pytest.raises(CRMDataError, match=match):
        lever_simulation(g).return_on_effort(costs)


def test_base_from_model_reproduces_model_equity():
    # Published BG/NBD parameters for CDNOW (Fader, Hardie & Lee 2005a): no fitting needed.
    bg = BTYDModel.from_params("bgnbd", [0.243, 4.414, 0.793, 2.426])
    summary = load_cdnow_summary().head(400)
    groups = np.where(summary["frequency"] == 0, "one-off", "repeat")
    base = base_from_model(bg, 35.0, summary, by=groups, period="M", horizon=24, discount_rate=0.01)
    clv = customer_lifetime_value(bg, 35.0, summary, horizon=24, discount_rate=0.01, freq="M")
    dec = equity_decomposition(base, discount_rate=0.01, horizon=24)
    assert dec.loc["total", "equity"] == pytest.approx(clv.sum(), rel=1e-6)
    assert dec.loc["one-off", "equity"] == pytest.approx(clv[groups == "one-off"].sum(), rel=1e-6)
    assert base["customers"].sum() == pytest.approx(bg.p_alive(summary).sum())
    assert ((base["retention"] > 0) & (base["retention"] <= 1)).all()


def test_does_not_mutate_input():
    g = pd.DataFrame({"customers": [10], "retention": [0.5], "value": [2.0]})
    before = g.copy()
    equity_decomposition(g)
    lever_simulation(g)
    lever_simulation(g).return_on_effort({"more": 1.0})
    pd.testing.assert_frame_equal(g, before)


_BAD_GROUPS = pd.DataFrame({"customers": [10, -1], "retention": [0.5, 0.5], "value": [2.0, 2.0]},
                           index=["ok", "bad"])


@pytest.mark.parametrize("call, match", [
    (lambda: equity_decomposition(_BAD_GROUPS), "(?s)'customers'.*bad"),
    (lambda: equity_decomposition(_BAD_GROUPS.assign(customers=1, retention=[0.5, 1.2])),
     "'retention'"),
    (lambda: equity_decomposition(_BAD_GROUPS.drop(columns="value")), "not found"),
    (lambda: expected_lifetime(1.0), "infinite"),
    (lambda: expected_lifetime(0.5, horizon=0), "horizon"),
    (lambda: lever_simulation(_BAD_GROUPS.iloc[:1], spend=-1.0), "above -100%"),
], ids=["negative-customers", "retention-above-1", "missing-value-column", "infinite-lifetime",
        "zero-horizon", "spend-minus-100"])
def test_errors_name_column_and_rows(call, match):
    with pytest.raises(CRMDataError, match=match):
        call()


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
    assert "expected live" in ax.texts[0].get_text()
    plt.close("all")
    res = lever_simulation(g, acquisition=0.1, defection=0.1, spend=0.1)
    ax = plot_lever_waterfall(res)
    heights = [p.get_height() for p in ax.patches]
    steps = res.waterfall()
    assert heights == pytest.approx(steps["amount"].abs().tolist())
    assert [t.get_text() for t in ax.get_xticklabels()] == steps["step"].tolist()
    assert ax.get_ylim()[0] == 0          # the axis starts at zero
    assert "-10% defections" in ax.get_title()
    plt.close("all")


def test_sensitivity_is_symmetric_where_equity_is_linear():
    n, r, m, d = 200.0, 0.7, 5.0, 0.0
    g = pd.DataFrame({"customers": [n], "retention": [r], "value": [m]})
    sens = lever_sensitivity(g, acquisition=0.1, defection=0.2, spend=0.2, discount_rate=d)
    base = n * m / (1 - r)
    assert sens.loc["more", "low"] == pytest.approx(-0.1 * base)
    assert sens.loc["deeper", "high"] == pytest.approx(0.2 * base)
    # Equity is convex in the defection rate: 20% fewer defections gain more than 20% more lose.
    assert sens.loc["longer", "high"] == pytest.approx(n * m / (0.3 * 0.8) - base)
    assert sens.loc["longer", "low"] == pytest.approx(n * m / (0.3 * 1.2) - base)
    assert sens.loc["longer", "high"] > -sens.loc["longer", "low"]
    assert list(sens.index) == list(sens.sort_values("range", ascending=False).index)
    ax = plot_lever_tornado(sens)
    widths = sorted(p.get_width() for p in ax.patches)
    assert widths == pytest.approx(sorted([*sens["low"], *sens["high"]]))


def test_deprecated_points_lever_in_sensitivity_warns_and_matches_proportional():
    g = pd.DataFrame({"customers": [100.0], "retention": [0.8], "value": [2.0]})
    with pytest.warns(DeprecationWarning):
        old = lever_sensitivity(g, retention=0.05)
    new = lever_sensitivity(g, defection=0.25)        # 5 points of a 20% defection rate
    assert old.loc["longer", "high"] == pytest.approx(new.loc["longer", "high"])
    assert old.loc["longer", "low"] == pytest.approx(new.loc["longer", "low"])
