"""What-if panels: grids equal the library's own results, the HTML moves in a real browser."""

import json
import re
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import crm_analysis as crm  # noqa: E402
from crm_analysis.errors import CRMDataError  # noqa: E402
from crm_analysis.whatif import WhatIfSlider  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def clv_panel():
    return crm.clv_whatif()


@pytest.fixture(scope="module")
def brokerage():
    data, truth = crm.simulate_brokerage_customers(600, seed=5)
    return data, truth


@pytest.fixture(scope="module")
def loyalty():
    rng = np.random.default_rng(3)
    return pd.DataFrame({"loyalty_index": rng.normal(60, 15, 400).round(1),
                         "repeat_rate": rng.gamma(2.0, 0.1, 400)})


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


# ---- CLV and equity against the closed form ----------------------------------------------

@pytest.mark.parametrize("point", [
    {},
    {"defection_cut": 0.2},
    {"defection_cut": 0.5, "margin": 0.1, "discount": 0.0, "acquisition_cost": 300.0, "spend": 700.0},
    {"defection_cut": 0.3, "margin": 0.5, "discount": 0.2, "acquisition_cost": 0.0, "spend": 300.0},
])
def test_clv_grid_equals_closed_form_and_library(clv_panel, point):
    row = clv_panel.at(**point)
    v = {s.name: s.default for s in clv_panel.sliders} | point
    r = 1 - (1 - 0.75) * (1 - v["defection_cut"])
    life = 1 / (1 + v["discount"] - r)  # unlimited horizon, margin at period ends
    m = v["margin"] * v["spend"]
    assert row["retention"] == pytest.approx(r, rel=1e-12)
    assert row["clv"] == pytest.approx(m * life - v["acquisition_cost"], rel=1e-12)
    assert row["equity"] == pytest.approx(10_000 * m * life, rel=1e-12)
    direct = crm.equity_decomposition(pd.DataFrame({"customers": [10_000.0], "retention": [r],
                                                    "value": [m]}), discount_rate=v["discount"])
    assert row["equity"] == pytest.approx(direct.loc["total", "equity"], rel=1e-12)


def test_clv_line_follows_the_slider_and_more_retention_is_worth_more(clv_panel):
    line = clv_panel.line("defection_cut", "clv", margin=0.2)
    assert list(line.index) == list(clv_panel.sliders[0].values)
    assert (np.diff(line.to_numpy()) > 0).all()
    assert line.iloc[0] == pytest.approx(clv_panel.at(margin=0.2)["clv"])


def test_clv_with_horizon_uses_finite_lifetime():
    p = crm.clv_whatif(horizon=3, defection_cuts=(0.0, 0.5))
    r, d = 0.75, 0.1
    life = sum(r ** (k - 1) / (1 + d) ** k for k in (1, 2, 3))
    assert p.at()["lifetime"] == pytest.approx(life, rel=1e-12)


# ---- Dick & Basu against brute force ------------------------------------------------------

def test_dick_basu_grid_equals_brute_force_counts(loyalty):
    p = crm.dick_basu_whatif(loyalty)
    a_vals, p_vals = p.sliders[0].values, p.sliders[1].values
    assert p.sliders[0].default == pytest.approx(loyalty["loyalty_index"].median())
    for a in (a_vals[0], a_vals[5], a_vals[-1]):
        for c in (p_vals[2], p_vals[-3]):
            hi_a, hi_p = loyalty["loyalty_index"] > a, loyalty["repeat_rate"] > c
            row = p.at(attitude_cut=a, patronage_cut=c)
            assert row["true loyalty"] == pytest.approx((hi_a & hi_p).mean())
            assert row["latent loyalty"] == pytest.approx((hi_a & ~hi_p).mean())
            assert row["spurious loyalty"] == pytest.approx((~hi_a & hi_p).mean())
            assert row["no loyalty"] == pytest.approx((~hi_a & ~hi_p).mean())
    shares = p.grid[["true loyalty", "latent loyalty", "spurious loyalty", "no loyalty"]].sum(axis=1)
    np.testing.assert_allclose(shares, 1.0)


def test_dick_basu_does_not_modify_the_frame(loyalty):
    copy = loyalty.copy()
    crm.dick_basu_whatif(loyalty, quantiles=(0.25, 0.5, 0.75))
    pd.testing.assert_frame_equal(loyalty, copy)


# ---- fee policy against direct calls ------------------------------------------------------

def test_fee_grid_equals_simulate_fee_policy(brokerage):
    data, truth = brokerage
    base = data.assign(expected_profit=truth["expected_profit"].to_numpy())
    p = crm.fee_policy_whatif(base, fees=(0.0, 10.0, 20.0), retention_drops=(0.0, 0.15, 0.3),
                              spillovers=(0.0, 0.05), seed=2)
    for fee, drop, spill in [(10.0, 0.15, 0.0), (20.0, 0.3, 0.05), (0.0, 0.3, 0.05)]:
        # A zero fee is no policy: nobody is charged, so nobody reacts.
        direct = crm.simulate_fee_policy(base, fee_per_month=fee, retention_drop=drop if fee else 0.0,
                                         spillover=spill if fee else 0.0, seed=2)
        row = p.at(fee_per_month=fee, retention_drop=drop, spillover=spill)
        assert row["equity_with"] == pytest.approx(direct.equity_with_, rel=1e-12)
        assert row["equity_without"] == pytest.approx(direct.equity_without_, rel=1e-12)
        s = direct.summary()
        assert row["year1_gain"] == pytest.approx(
            s.loc["fee", "year1_profit"] - s.loc["no fee", "year1_profit"], rel=1e-9, abs=1e-6)
    # No fee: nothing changes, whatever reaction the other sliders assume.
    np.testing.assert_array_equal(p.grid.loc[p.grid["fee_per_month"] == 0, "equity_change"], 0.0)
    assert (p.grid.loc[p.grid["fee_per_month"] > 0, "year1_gain"] > 0).all()


# ---- whale curve against brute force ------------------------------------------------------

def _whale(brokerage, **kw):
    data, truth = brokerage
    return crm.whale_whatif(
        data, revenue="list_commission",
        unit_costs={"service contact": ("service_contacts", (0.0, 20.0, 40.0), 40.0),
                    "trade": ("trades", (0.0, 2.0, 4.0), 2.0)},
        other_costs={"concessions": "concession", "account maintenance": 15.0}, **kw)


def test_whale_grid_equals_brute_force(brokerage):
    data, _ = brokerage
    p = _whale(brokerage, points=11)
    assert [s.name for s in p.sliders] == ["service_contact", "trade"]
    for contact, trade in [(40.0, 2.0), (0.0, 4.0), (20.0, 0.0)]:
        profit = (data["list_commission"] - data["concession"] - 15.0
                  - contact * data["service_contacts"] - trade * data["trades"]).to_numpy()
        ranked = np.sort(profit)[::-1]
        cum = np.concatenate(([0.0], np.cumsum(ranked))) / profit.sum()
        row = p.at(service_contact=contact, trade=trade)
        assert row["peak"] == pytest.approx(cum.max())
        assert row["loss_share"] == pytest.approx((profit < 0).mean())
        assert row["total_profit"] == pytest.approx(profit.sum())
        curve = p.curve("whale", service_contact=contact, trade=trade)
        n = len(profit)
        expected = [cum[int(np.ceil(s * n - 1e-9))] for s in np.linspace(0, 1, 11)]
        np.testing.assert_allclose(curve.to_numpy(), expected, rtol=1e-12, atol=1e-12)


def test_whale_rejects_a_grid_point_without_profit(brokerage):
    data, _ = brokerage
    with pytest.raises(CRMDataError, match=r"whale_whatif: at unit costs .*total profit"):
        crm.whale_whatif(data, revenue="list_commission",
                         unit_costs={"contact": ("service_contacts", (0.0, 1e6), 0.0)})


# ---- bad input ----------------------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda: WhatIfSlider("x", "x", (1.0,), 1.0), "at least two values"),
    (lambda: WhatIfSlider("x", "x", (2.0, 1.0), 1.0), "must increase"),
    (lambda: WhatIfSlider("x", "x", (1.0, 2.0), 1.5), "not one of the values"),
    (lambda: crm.clv_whatif(retention=1.0), "retention must lie in"),
    (lambda: crm.clv_whatif(defection_cuts=(0.0, 1.5)), "defection_cuts"),
    (lambda: crm.clv_whatif(defaults={"margin": 0.33}), "not one of the values"),
    (lambda: crm.clv_whatif().at(nonsense=1.0), "unknown slider"),
    (lambda: crm.clv_whatif().at(margin=0.33), "not a slider position"),
    (lambda: crm.dick_basu_whatif(pd.DataFrame({"loyalty_index": [1.0, 2.0], "repeat_rate": [0.1, 0.2]}),
                                  quantiles=(0.25, 0.75)), "include 0.5"),
    (lambda: crm.dick_basu_whatif(pd.DataFrame({"loyalty_index": [1.0, None], "repeat_rate": [0.1, 0.2]})),
     "missing or non-numeric"),
    (lambda: crm.whale_whatif(pd.DataFrame({"customer_id": [1], "revenue": [1.0]}), unit_costs={}),
     "names no cost component"),
    (lambda: crm.whale_whatif(pd.DataFrame({"customer_id": [1], "revenue": [1.0], "n": [1]}),
                              unit_costs={"a b": ("n", (0.0, 1.0), 0.0), "a-b": ("n", (0.0, 1.0), 0.0)}),
     "duplicate slider names"),
], ids=["one-value", "decreasing", "default-off-grid", "retention-1", "cut-above-1",
        "clv-default-off-grid", "unknown-slider", "off-grid-position", "quantiles-without-median",
        "missing-attitude", "no-unit-costs", "duplicate-slider-names"])
def test_bad_input(call, message):
    with pytest.raises(CRMDataError, match=message):
        call()


# ---- the HTML, the widget and the matplotlib chart ---------------------------------------

def test_html_is_self_contained(clv_panel):
    page = clv_panel.to_html(full_page=True)
    assert "<img" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    spec_text = re.search(r'<script type="application/json" class="crm-whatif-spec">(.*?)</script>',
                          page, re.S).group(1)
    spec = json.loads(spec_text.replace("<\\/", "</"))
    assert len(spec["data"]["clv"]) == len(clv_panel.grid) == 6 * 5 * 5 * 7 * 5
    assert spec["data"]["clv"][432] == pytest.approx(clv_panel.grid["clv"].iloc[432], rel=1e-5)
    assert [s["name"] for s in spec["sliders"]] == [s.name for s in clv_panel.sliders]
    # Same panel, same id: re-running a notebook does not change its output.
    assert clv_panel.to_html() == crm.clv_whatif().to_html()


def test_widget_redraws_when_a_slider_moves(clv_panel):
    box = clv_panel.widget()
    sliders = [w for w in box.children if w.__class__.__name__ == "SelectionSlider"]
    readout, image = box.children[-2], box.children[-1]
    assert len(sliders) == 5
    before_png, before_text = image.value, readout.value
    assert before_png[:8] == b"\x89PNG\r\n\x1a\n"
    sliders[0].value = 0.5
    assert image.value != before_png
    clv = f"US${0.3 * 500 / (1.1 - 0.875) - 100:,.0f}"   # closed form at 50% fewer defections
    assert f"<b>{clv}</b>" in readout.value and f"<b>{clv}</b>" not in before_text


def test_plot_whatif_draws_the_panel_lines(clv_panel, brokerage):
    ax = crm.plotting.plot_whatif(clv_panel, chart=0, values={"margin": 0.4})
    drawn = ax.lines[0].get_ydata()
    np.testing.assert_allclose(drawn, clv_panel.line("defection_cut", "clv", margin=0.4).to_numpy())
    np.testing.assert_allclose(ax.lines[0].get_xdata(), 100 * np.array(clv_panel.sliders[0].values))
    assert ax.get_xlabel() == "Fewer defections (%)"
    plt.close("all")
    whale = _whale(brokerage, points=5)
    ax = crm.plotting.plot_whatif(whale, chart=0, values={"service_contact": 0.0})
    np.testing.assert_allclose(ax.lines[0].get_ydata(),
                               100 * whale.curve("whale", service_contact=0.0).to_numpy())
    assert ax.get_ylabel() == "Cumulative profit (% of total)"


def test_slider_moves_the_chart_in_headless_chromium(clv_panel, tmp_path):
    from browser import move_whatif_slider, require_browser

    require_browser()
    page = tmp_path / "whatif_clv.html"
    page.write_text(clv_panel.to_html(full_page=True))
    check = move_whatif_slider(page, ROOT / "build" / "screenshots" / "whatif", slider=1, position=4)
    assert check.panels == 1
    assert not check.leaving, check.leaving
    assert not check.errors, check.errors
    assert check.before["sliders"] == 5 and check.before["charts"] == 2
    # Margin 30% -> 50%: the CLV line moves and the readout shows the grid value.
    assert check.after["paths"] != check.before["paths"]
    expected = clv_panel.at(margin=0.5)["clv"]
    assert check.before["readout"][0] == f"US${clv_panel.at()['clv']:,.0f}"
    assert check.after["readout"][0] == f"US${expected:,.0f}"


# ---- the panels in Chinese -----------------------------------------------------------------

_LATIN = re.compile(r"[A-Za-z][A-Za-z_'-]*[A-Za-z]")
# Left in Latin letters: model and method names, units, the data's own column names.
_NAMES = {"CLV", "US", "Dick", "Basu", "crm", "equity_decomposition", "dick_basu_segments",
          "simulate_fee_policy", "customer_profitability", "whale_curve", "loyalty_index",
          "repeat_rate", "service", "contact", "service_contacts", "trade", "trades"}


def _panels(clv_panel, brokerage, loyalty):
    data, truth = brokerage
    fee = crm.fee_policy_whatif(data.assign(expected_profit=truth["expected_profit"].to_numpy()),
                                fees=(0.0, 10.0), retention_drops=(0.0, 0.15), spillovers=(0.0, 0.05))
    return [clv_panel, crm.dick_basu_whatif(loyalty), fee, _whale(brokerage, points=5)]


def test_chinese_panels_have_no_english_word(clv_panel, brokerage, loyalty):
    for panel in _panels(clv_panel, brokerage, loyalty):
        spec = panel.spec(lang="zh")
        texts = [spec["title"], spec["note"], *spec["words"].values(),
                 *(s["label"] for s in spec["sliders"]), *(o["label"] for o in spec["outputs"].values()),
                 *(c.get(k, "") for c in spec["charts"] for k in ("title", "xlabel", "ylabel"))]
        left = {t: w for t in texts if (w := set(_LATIN.findall(t)) - _NAMES)}
        assert left == {}, left
        assert re.search("[\u4e00-\u9fff]", spec["title"]) and re.search("[\u4e00-\u9fff]", spec["note"])
        # the numbers are the same in every language
        assert spec["data"] == panel.spec(lang="en")["data"]


def test_chinese_html_labels_and_bilingual_form(clv_panel):
    page = clv_panel.to_html(full_page=True, lang="zh")
    for label in ("假如：客户终身价值与客户资产", "客户流失减少", "毛利率（占消费额）", "现有客户群的客户资产",
                  "基准情形", "示意性假设，并非数据"):
        assert label in page, label
    assert "Fewer defections" not in page and "<html lang='zh'>" in page
    both = clv_panel.spec(lang="zh+en")
    assert both["sliders"][0]["label"] == "客户流失减少 / Fewer defections"
    assert both["words"]["base"] == "基准情形 / base case"
    # English by default and after set_style(lang="en"); the chart language otherwise
    assert "Fewer defections" in clv_panel.to_html()
    crm.set_style(lang="zh")
    try:
        assert "客户流失减少" in clv_panel._repr_html_()
        box = clv_panel.widget()
        assert box.children[1].description == "客户流失减少"
        assert "基准情形" in box.children[-2].value
    finally:
        crm.set_style()


def test_unknown_panel_language_is_refused(clv_panel):
    with pytest.raises(CRMDataError, match="WhatIfPanel: lang must be one of en, zh, zh\\+en"):
        clv_panel.to_html(lang="fr")


def test_chinese_slider_moves_the_chart_in_headless_chromium(clv_panel, tmp_path):
    from browser import move_whatif_slider, require_browser

    require_browser()
    page = tmp_path / "whatif_clv_zh.html"
    page.write_text(clv_panel.to_html(full_page=True, lang="zh"), encoding="utf-8")
    check = move_whatif_slider(page, ROOT / "build" / "screenshots" / "whatif", slider=1, position=4)
    assert check.panels == 1 and not check.leaving and not check.errors, check.errors
    assert check.before["sliders"] == 5 and check.before["charts"] == 2
    assert check.after["paths"] != check.before["paths"]
    assert check.after["readout"][0] == f"US${clv_panel.at(margin=0.5)['clv']:,.0f}"
