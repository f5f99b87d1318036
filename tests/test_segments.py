"""Customer profitability, whale curve, Gini, segments, rank disagreement, RFM scores.

Authorities: hand-computed small cases, closed forms (Gini of equal and of
one-holder distributions, Spearman's formula without ties), brute-force
loops over the definitions, and accounting identities.
"""

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crm_analysis as crm
from crm_analysis import (
    RFM_SEGMENTS,
    CRMDataError,
    customer_profitability,
    customer_totals,
    gini,
    lorenz_curve,
    profit_by_segment,
    quantile_scores,
    rank_disagreement,
    rfm_scores,
    rfm_segments,
    whale_curve,
)
from crm_analysis.plotting import (
    plot_fee_policy,
    plot_lorenz_curve,
    plot_profit_heatmap,
    plot_segment_shares,
    plot_whale_curve,
)


@pytest.fixture
def base():
    return pd.DataFrame({
        "customer_id": ["a", "b", "c", "d"],
        "revenue": [100.0, 1000.0, 300.0, 20.0],
        "discount": [0.0, 300.0, 10.0, 0.0],
        "orders": [2, 30, 10, 1],
        "calls": [0, 8, 1, 3],
        "tier": ["small", "large", "mid", "small"],
    })


COSTS = {"concessions": "discount", "orders": ("orders", 2.0), "calls": ("calls", 10.0), "account": 5.0}


# ---------------------------------------------------------------- profitability

def test_profitability_by_hand(base):
    res = customer_profitability(base, margin=0.5, costs=COSTS)
    t = res.table
    # a: 50 - 0 - 4 - 0 - 5 = 41; b: 500 - 300 - 60 - 80 - 5 = 55
    # c: 150 - 10 - 20 - 10 - 5 = 105; d: 10 - 0 - 2 - 30 - 5 = -27
    assert t["profit"].tolist() == [41.0, 55.0, 105.0, -27.0]
    assert t["cost_to_serve"].tolist() == [9.0, 445.0, 45.0, 37.0]
    assert t.loc["b", "margin_pct"] == pytest.approx(5.5)
    assert list(t.columns) == ["revenue", "gross_margin", "concessions", "orders", "calls",
                               "account", "cost_to_serve", "profit", "margin_pct"]
    assert res.report.empty
    s = res.summary()["total"]
    assert s["profit"] == pytest.approx(174.0) and s["loss_making_share"] == 0.25


def test_profitability_sums_lines_and_counts_fixed_costs_once(base):
    lines = pd.concat([base, base.assign(revenue=base["revenue"] * 0, discount=0.0, orders=0, calls=0)])
    res = customer_profitability(lines, margin=0.5, costs=COSTS)
    one = customer_profitability(base, margin=0.5, costs=COSTS)
    pd.testing.assert_frame_equal(res.table, one.table)


def test_profitability_margin_column(base):
    res = customer_profitability(base.assign(gm=[10.0, 20.0, 30.0, 40.0]), margin="gm", costs={})
    assert res.table["profit"].tolist() == [10.0, 20.0, 30.0, 40.0]


def test_profitability_does_not_mutate(base):
    before = base.copy()
    customer_profitability(base, margin=0.3, costs=COSTS)
    pd.testing.assert_frame_equal(base, before)


@pytest.mark.parametrize("change, kwargs, match, names_row", [
    (lambda b: b, {}, "no cost-to-serve", False),
    (lambda b: b, {"costs": {"visits": ("visits", 3.0)}}, "column.*not found.*'visits'", False),
    (lambda b: b.assign(calls=[0, np.nan, 1, 3]), {"costs": COSTS},
     r"'calls' has missing values.*1 row", True),
], ids=["no-costs", "missing-cost-column", "missing-cost-value"])
def test_missing_costs_raise(base, change, kwargs, match, names_row):
    with pytest.raises(CRMDataError, match=match) as err:
        customer_profitability(change(base), **kwargs)
    if names_row:  # the offending customer is shown
        assert " b " in str(err.value) or "\n1" in str(err.value)


def test_negative_revenue_raises_or_is_counted(base):
    neg = base.assign(revenue=[100.0, -5.0, 300.0, -1.0])
    with pytest.raises(CRMDataError, match="negative revenue.*2 rows"):
        customer_profitability(neg, costs=COSTS)
    res = customer_profitability(neg, costs=COSTS, negative_revenue="drop")
    assert res.table.index.tolist() == ["a", "c"]
    assert res.report.loc[0, "rows"] == 2 and res.report.loc[0, "action"] == "dropped"
    assert res.report.loc[0, "examples"] == [1, 3]


@pytest.mark.parametrize("change, costs, match", [
    (lambda b: b.assign(orders=["2", "many", "10", "1"]), COSTS,
     r"'orders' has missing or non-numeric values:\n?.*1 row"),
    (lambda b: b.assign(revenue=["x", 1, 2, 3]), {}, "'revenue' has missing or non-numeric"),
], ids=["cost-driver", "revenue"])
def test_non_numeric_columns_raise(base, change, costs, match):
    with pytest.raises(CRMDataError, match=match):
        customer_profitability(change(base), costs=costs)


@pytest.mark.parametrize("change, kwargs, match", [
    (lambda b: b, {"costs": {"x": [1, 2]}}, "must be a column name"),
    (lambda b: b, {"costs": {"x": -1.0}}, "negative"),
    (lambda b: b, {"margin": 25, "costs": {}}, "margin must be a fraction"),
    (lambda b: b.assign(discount=[-1.0, 0, 0, 0]), {"costs": COSTS}, "negative values"),
], ids=["list-as-cost", "negative-cost", "margin-in-percent", "negative-cost-column"])
def test_bad_cost_spec_and_margin(base, change, kwargs, match):
    with pytest.raises(CRMDataError, match=match):
        customer_profitability(change(base), **kwargs)


def test_customer_totals_counts_distinct_baskets():
    lines = pd.DataFrame({"customer_id": [1, 1, 1, 2], "basket_id": [7, 7, 8, 9],
                          "sales": [1.0, 2.0, 3.0, 4.0], "band": ["x", "x", "x", "y"]})
    out = customer_totals(lines, sums=["sales"], counts={"baskets": "basket_id"}, firsts=["band"])
    assert out["sales"].tolist() == [6.0, 4.0]
    assert out["baskets"].tolist() == [2, 1]
    assert out["band"].tolist() == ["x", "y"]


def _sql_only(monkeypatch):
    """Make sure a file is aggregated in DuckDB, not read into pandas."""
    import crm_analysis.segments as segments

    def refuse(*args, **kwargs):
        raise AssertionError("the file was read into pandas")

    monkeypatch.setattr(segments, "read_log_files", refuse)


@pytest.mark.parametrize("ids", ["numbers", "text"])
def test_customer_totals_of_a_parquet_file_equals_the_frame(mixed_log, tmp_path, monkeypatch, ids):
    """Sums with cancellations (negative amounts), distinct days and categories (artificial log)."""
    log = mixed_log.assign(day=mixed_log["date"].dt.normalize(), lines=1)
    if ids == "text":
        log["customer_id"] = "c" + log["customer_id"].astype(str)
    log.to_parquet(tmp_path / "log.parquet", index=False)
    _sql_only(monkeypatch)
    kwargs = {"sums": ["amount", "lines"], "counts": {"days": "day", "categories": "category"}}
    expected = customer_totals(log, **kwargs)
    got = customer_totals(tmp_path / "log.parquet", **kwargs)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
    assert expected.loc[expected.index[-1], "days"] >= 1  # every customer kept, sorted


@pytest.mark.parametrize("change, kwargs, match", [
    (lambda d: d.assign(customer_id=d["customer_id"].astype(float).where(d.index != 3)),
     {"sums": ["amount"]}, "'customer_id' has missing ids"),
    (lambda d: d.assign(amount=d["amount"].where(d.index != 4)), {"sums": ["amount"]},
     "'amount' has missing values"),
    (lambda d: d.assign(amount=d["amount"].astype(str).where(d.index != 4, "lots")),
     {"sums": ["amount"]}, "'amount' has missing or non-numeric values"),
    (lambda d: d, {"sums": ["spend"]}, "not found"),
    (lambda d: d, {"firsts": ["category"]}, None),
    (lambda d: d.assign(amount=d["amount"].astype(str)), {"sums": ["amount"]}, None),
], ids=["missing-id", "missing-amount", "non-numeric-amount", "missing-column", "firsts",
        "amounts-as-text"])
def test_customer_totals_of_a_parquet_file_falls_back_to_the_frame(mixed_log, tmp_path, change,
                                                                   kwargs, match):
    """Problems are worded as for the frame; ``firsts`` are taken in row order by pandas."""
    data = change(mixed_log)
    data.to_parquet(tmp_path / "log.parquet", index=False)
    if match is None:
        pd.testing.assert_frame_equal(customer_totals(tmp_path / "log.parquet", **kwargs),
                                      customer_totals(data, **kwargs))
        return
    with pytest.raises(CRMDataError, match=match) as expected:
        customer_totals(data, **kwargs)
    with pytest.raises(CRMDataError) as got:
        customer_totals(tmp_path / "log.parquet", **kwargs)
    assert str(got.value) == str(expected.value)


def test_customer_totals_of_a_parquet_file_with_nan_ids_raises(tmp_path):
    """A float id column may hold NaN rather than null (written by other tools than pandas)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    ids = pa.array([1.0, float("nan"), 2.0], from_pandas=False)
    pq.write_table(pa.table({"customer_id": ids, "amount": [1.0, 2.0, 3.0]}),
                   tmp_path / "nan.parquet")
    with pytest.raises(CRMDataError, match="'customer_id' has missing ids: 1 row"):
        customer_totals(tmp_path / "nan.parquet", sums=["amount"])


# ---------------------------------------------------------------- whale curve

def test_whale_curve_small_case_exact():
    # Ranked: 5, 3, 1, -1, -2; cumulative 5, 8, 9, 8, 6 of a total of 6.
    w = whale_curve(pd.Series([5.0, 3.0, -2.0, 1.0, -1.0], index=list("abcde")))
    assert w.peak_ == pytest.approx(9 / 6)
    assert w.peak_customer_share_ == pytest.approx(3 / 5)
    assert w.loss_share_ == pytest.approx(2 / 5)
    assert w.curve["customer_id"].tolist()[1:] == ["a", "b", "d", "e", "c"]
    np.testing.assert_allclose(w.curve["cumulative_profit_share"], [0, 5 / 6, 8 / 6, 9 / 6, 8 / 6, 1])
    assert w.share_at(0.4) == pytest.approx(8 / 6)
    assert w.share_at(0.2) == pytest.approx(5 / 6)


def test_whale_curve_zero_profit_customers_do_not_move_peak():
    w = whale_curve([4.0, 0.0, 0.0, -2.0])
    assert w.peak_ == pytest.approx(2.0) and w.peak_customer_share_ == pytest.approx(0.25)


def test_whale_curve_all_profitable_peaks_at_100():
    w = whale_curve([1.0, 2.0, 3.0])
    assert w.peak_ == pytest.approx(1.0) and w.peak_customer_share_ == 1.0 and w.loss_share_ == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-100, 100, allow_nan=False), min_size=1, max_size=40))
def test_whale_curve_properties(values):
    values = [round(v, 3) for v in values]
    if sum(values) <= 1e-6:
        with pytest.raises(CRMDataError):
            whale_curve(values)
        return
    w = whale_curve(values)
    cum = w.curve["cumulative_profit_share"].to_numpy()
    assert cum[0] == 0 and cum[-1] == 1.0  # ends at 100% of total profit
    # Brute force: the peak is the best prefix sum of the sorted values.
    s = sorted(values, reverse=True)
    best = max(sum(s[:k]) for k in range(len(s) + 1))
    assert w.peak_ == pytest.approx(best / sum(values), rel=1e-9, abs=1e-9)
    assert np.all(np.diff(cum[: int(round(w.peak_customer_share_ * len(values))) + 1]) >= -1e-12)


@pytest.mark.parametrize("values, match", [
    ([1.0, -3.0], "total profit"),
    ([1.0, np.nan], "missing or non-numeric"),
], ids=["negative-total", "missing-value"])
def test_whale_curve_rejects_nonpositive_total_and_nan(values, match):
    with pytest.raises(CRMDataError, match=match):
        whale_curve(values)


# ---------------------------------------------------------------- Gini and Lorenz

@pytest.mark.parametrize("n", [1, 2, 5, 100])
def test_gini_closed_forms(n):
    assert gini(np.full(n, 7.0)) == pytest.approx(0.0, abs=1e-12)
    one = np.zeros(n)
    one[-1] = 3.0
    assert gini(one) == pytest.approx((n - 1) / n)


def test_gini_equals_mean_absolute_difference(rng):
    x = rng.gamma(0.7, 100, size=60)
    brute = np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean())
    assert gini(x) == pytest.approx(brute, rel=1e-12)


def test_lorenz_curve():
    lc = lorenz_curve([3.0, 1.0])
    assert lc["cumulative_share"].tolist() == [0.0, 0.25, 1.0]
    top = lorenz_curve([3.0, 1.0], descending=True)
    assert top["cumulative_share"].tolist() == [0.0, 0.75, 1.0]


@pytest.mark.parametrize("call, match", [
    (lambda: gini([1.0, -1.0]), "negative values"),
    (lambda: lorenz_curve([0.0, 0.0]), "all values are zero"),
], ids=["gini-negative", "lorenz-all-zero"])
def test_lorenz_and_gini_bad_input(call, match):
    with pytest.raises(CRMDataError, match=match):
        call()


def test_whale_curve_with_revenue():
    w = whale_curve([5.0, 3.0, -2.0, 1.0], revenue=[10.0, 10.0, 50.0, 30.0])
    assert w.revenue_gini_ == pytest.approx(gini([10.0, 10.0, 50.0, 30.0]))
    assert w.revenue_curve["cumulative_revenue_share"].iloc[1] == pytest.approx(0.5)
    s = w.summary()["value"]
    assert s["top_20pct_revenue_pct"] == pytest.approx(50.0)


# ---------------------------------------------------------------- segments

def test_profit_by_segment_shares_sum_to_one(rng):
    n = 300
    d = pd.DataFrame({"a": rng.choice(["x", "y", "z"], n), "b": rng.choice(["lo", "hi"], n),
                      "revenue": rng.gamma(2, 50, n), "profit": rng.normal(10, 30, n)})
    out = profit_by_segment(d, ["a", "b"])
    for col in ("customer_share", "revenue_share", "profit_share"):
        assert out[col].sum() == pytest.approx(1.0)
    # Brute force one cell.
    cell = d[(d["a"] == "y") & (d["b"] == "hi")]
    assert out.loc[("y", "hi"), "customers"] == len(cell)
    assert out.loc[("y", "hi"), "profit_share"] == pytest.approx(cell["profit"].sum() / d["profit"].sum())
    assert out.loc[("y", "hi"), "profit_per_customer"] == pytest.approx(cell["profit"].mean())


_TIERS = pd.DataFrame({"tier": pd.Categorical(["hi", "lo", "lo"], categories=["lo", "mid", "hi"], ordered=True),
                       "revenue": [3.0, 1.0, 1.0], "profit": [1.0, 1.0, 2.0]})


def test_profit_by_segment_keeps_category_order():
    out = profit_by_segment(_TIERS, "tier")
    assert out.index.tolist() == ["lo", "hi"]


@pytest.mark.parametrize("change, match", [
    ({"tier": [None, "lo", "lo"]}, "missing segment labels"),
    ({"profit": ["a", 1, 2]}, "'profit' has missing or non-numeric"),
], ids=["missing-label", "non-numeric-profit"])
def test_profit_by_segment_rejects_bad_columns(change, match):
    with pytest.raises(CRMDataError, match=match):
        profit_by_segment(_TIERS.assign(**change), "tier")


# ---------------------------------------------------------------- rank disagreement

def test_rank_disagreement_spearman_formula_without_ties(rng):
    x = rng.permutation(50).astype(float)
    y = rng.permutation(50).astype(float)
    r = rank_disagreement(pd.DataFrame({"revenue": x, "profit": y}))
    n = len(x)
    d = x - y  # values are ranks 0..49 already
    assert r.spearman_ == pytest.approx(1 - 6 * np.sum(d**2) / (n * (n**2 - 1)))
    # Kendall by brute force over pairs.
    conc = sum(np.sign(x[i] - x[j]) * np.sign(y[i] - y[j]) for i, j in itertools.combinations(range(n), 2))
    assert r.kendall_ == pytest.approx(conc / (n * (n - 1) / 2))


def test_rank_disagreement_top_overlap_by_hand():
    d = pd.DataFrame({"revenue": [10.0, 9, 8, 7, 6, 5, 4, 3, 2, 1],
                      "profit": [-5.0, 9, 1, 7, 6, 5, 4, 3, 2, 8]})
    r = rank_disagreement(d, top=0.2)
    # top 2 by revenue: rows 0, 1; top 2 by profit: rows 1, 9.
    assert r.n_top_ == 2 and r.top_overlap_ == 0.5 and r.top_x_negative_y_ == 0.5


# ---------------------------------------------------------------- RFM

def _brute_scores(values, q, higher=True):
    v = np.asarray(values, dtype=float)
    v = v if higher else -v
    return [1 + int(np.floor(q * np.sum(v < x) / len(v))) for x in v]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=1, max_size=50), st.integers(2, 6))
def test_quantile_scores_match_definition_and_ignore_row_order(values, q):
    s = quantile_scores(values, q)
    assert s.tolist() == _brute_scores(values, q)
    rev = quantile_scores(values[::-1], q)
    assert rev.tolist()[::-1] == s.tolist()  # ties never split by position
    assert s.between(1, q).all()


def test_quantile_scores_without_ties_are_equal_groups():
    s = quantile_scores(np.arange(100.0), 5)
    assert s.value_counts().sort_index().tolist() == [20] * 5


def test_rfm_scores_and_segments():
    summary = pd.DataFrame({
        "recency": [50.0, 40, 30, 20, 10, 0, 45, 5, 35, 15],
        "T": [50.0] * 10,
        "frequency": [9.0, 8, 7, 6, 5, 1, 2, 3, 4, 10],
        "monetary_value": [90.0, 80, 70, 60, 50, 10, 20, 30, 40, 100],
    })
    sc = rfm_scores(summary)
    assert sc["days_since"].tolist() == [0.0, 10, 20, 30, 40, 50, 5, 45, 15, 35]
    assert sc["R"].tolist() == _brute_scores(sc["days_since"], 5, higher=False)
    assert sc["F"].tolist() == _brute_scores(summary["frequency"], 5)
    seg = rfm_segments(sc)
    # Row 0: R5, F5, M5 -> champions; row 5: last bought 50 days ago, F1 M1 -> hibernating.
    assert seg.loc[0, "segment"] == "champions"
    assert seg.loc[5, "segment"] == "hibernating"
    assert set(seg["segment"].cat.categories) == set(RFM_SEGMENTS["segment"])


def test_rfm_segments_scheme_is_a_full_partition():
    grid = pd.DataFrame(list(itertools.product(range(1, 6), repeat=3)), columns=["R", "F", "M"])
    seg = rfm_segments(grid)
    assert seg["segment"].notna().all()
    assert set(seg["segment"]) == set(RFM_SEGMENTS["segment"])  # every name is reachable
    row = seg[(seg["R"] == 1) & (seg["F"] == 5) & (seg["M"] == 5)].iloc[0]
    assert row["segment"] == "can't lose them"
    row = seg[(seg["R"] == 5) & (seg["F"] == 1) & (seg["M"] == 2)].iloc[0]
    assert row["segment"] == "new customers"
    with pytest.raises(CRMDataError, match="integer scores"):
        rfm_segments(pd.DataFrame({"R": [6], "F": [1], "M": [1]}))


def test_rfm_scores_reject_recency_beyond_T():
    with pytest.raises(CRMDataError, match="exceeds"):
        rfm_scores(pd.DataFrame({"recency": [5.0], "T": [3.0], "frequency": [1.0], "monetary_value": [1.0]}))


# ---------------------------------------------------------------- plots

def test_plot_whale_curve_draws_curve_peak_and_100_line():
    w = whale_curve([5.0, 3.0, -2.0, 1.0, -1.0], revenue=[1.0, 1.0, 1.0, 1.0, 6.0])
    ax = plot_whale_curve(w)
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    np.testing.assert_allclose(lines["Profit (customers ranked by profit)"].get_ydata(),
                               [0, 500 / 6, 800 / 6, 150, 800 / 6, 100])
    peak = [ln for label, ln in lines.items() if label.startswith("Peak")][0]
    assert peak.get_xdata()[0] == pytest.approx(60) and peak.get_ydata()[0] == pytest.approx(150)
    assert list(lines["100% of total profit"].get_ydata()) == [100, 100]
    assert "Revenue (customers ranked by revenue)" in lines
    assert "(%)" in ax.get_xlabel() and "(%)" in ax.get_ylabel()


def test_plot_lorenz_and_heatmap_and_shares():
    ax = plot_lorenz_curve([0.0, 0.0, 0.0, 4.0])
    assert "Gini 0.75" in ax.get_lines()[0].get_label()
    d = pd.DataFrame({"a": ["x", "x", "y", "y"], "b": ["lo", "hi", "lo", "hi"],
                      "revenue": [1.0, 2.0, 3.0, 4.0], "profit": [1.0, -1.0, 2.0, 3.0]})
    table = profit_by_segment(d, ["a", "b"])
    import matplotlib.pyplot as plt

    _, ax2 = plt.subplots()
    plot_profit_heatmap(table, ax=ax2)
    texts = sorted(t.get_text() for t in ax2.texts)
    assert texts == sorted(["-20%", "20%", "60%", "40%"])
    assert ax2.get_xlabel() == "b" and ax2.get_ylabel() == "a"
    _, ax3 = plt.subplots()
    plot_segment_shares(table, ax=ax3)
    assert [t.get_text() for t in ax3.get_legend().get_texts()] == ["Customers", "Revenue", "Profit"]
    heights = [p.get_height() for p in ax3.patches]
    assert heights[:4] == pytest.approx([25.0] * 4)  # customer shares
    assert heights[8:] == pytest.approx(list(100 * table["profit_share"]))


def test_plot_fee_policy_lines():
    data, truth = crm.simulate_brokerage_customers(300, seed=2)
    base = data.assign(expected_profit=truth["expected_profit"].to_numpy())
    res = crm.simulate_fee_policy(base, seed=2, horizon=5)
    ax = plot_fee_policy(res)
    ys = [ln.get_ydata() for ln in ax.get_lines()]
    assert len(ys) == 2 and len(ys[0]) == 5
    np.testing.assert_allclose(ys[1], res.years.query("scenario == 'fee'")["profit"] / 1e6)
    import matplotlib.pyplot as plt

    _, ax2 = plt.subplots()
    plot_fee_policy(res, value="customers", ax=ax2)
    np.testing.assert_allclose(ax2.get_lines()[0].get_ydata(), 300 * 0.85 ** np.arange(5))
    assert "(count)" in ax2.get_ylabel()


# ---------------------------------------------------------------- sensitivity and revenue-only segments

def test_profitability_sensitivity_grid_equals_direct_runs(base):
    grid = crm.profitability_sensitivity(
        base, margins=[0.4, 0.5], costs=COSTS, rates={"orders": [0.0, 2.0], "calls": [10.0, 20.0]}, by="tier",
    )
    assert len(grid) == 8
    row = grid[(grid["margin"] == 0.5) & (grid["orders_rate"] == 2.0) & (grid["calls_rate"] == 10.0)].iloc[0]
    assert row["profit"] == pytest.approx(174.0)  # the hand case of test_profitability_by_hand
    assert row["loss_making_pct"] == pytest.approx(25.0)
    assert row["whale_peak_pct"] == pytest.approx(100 * (105 + 55 + 41) / 174)
    # Profit per customer: small (41 - 27) / 2 = 7, mid 105, large 55.
    assert row["best_tier"] == "mid" and row["worst_tier"] == "small"
    off = grid[(grid["margin"] == 0.4) & (grid["orders_rate"] == 0.0) & (grid["calls_rate"] == 20.0)].iloc[0]
    direct = customer_profitability(base, margin=0.4, costs={**COSTS, "orders": ("orders", 0.0),
                                                             "calls": ("calls", 20.0)})
    assert off["profit"] == pytest.approx(direct.table["profit"].sum())
    with pytest.raises(CRMDataError, match="must be given as"):
        crm.profitability_sensitivity(base, costs=COSTS, rates={"account": [1.0]})


def test_profit_by_segment_revenue_only():
    d = pd.DataFrame({"tier": ["a", "b", "b"], "revenue": [1.0, 1.0, 2.0]})
    out = profit_by_segment(d, "tier", profit=None)
    assert "profit_share" not in out.columns
    assert out["revenue_share"].tolist() == pytest.approx([0.25, 0.75])
