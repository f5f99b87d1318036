"""basket: rules against hand-computed and brute-force values, offers, up-sell paths, breadth."""

from itertools import combinations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import crm_analysis as crm
from crm_analysis import (
    CRMDataError,
    basket_matrix,
    breadth_retention,
    category_migration,
    cross_sell_candidates,
    entry_sequence,
    mine_rules,
    offer_hit_rate,
    price_tiers,
)
from crm_analysis.plotting import plot_breadth_retention, plot_migration_flow, plot_rules

# Five baskets, counted by hand:
# beer 3/5, diapers 4/5, milk 2/5, chips 1/5; beer+diapers 2/5, diapers+milk 2/5.
BASKETS = {1: ["beer", "diapers", "milk"], 2: ["beer", "diapers"], 3: ["diapers", "milk"],
           4: ["beer", "chips"], 5: ["diapers"]}


@pytest.fixture
def lines():
    rows = [(b, item) for b, items in BASKETS.items() for item in items]
    return pd.DataFrame(rows, columns=["basket_id", "product_id"])


def _rule(rs, a, c):
    r = rs.rules
    return r[(r["antecedent"] == a) & (r["consequent"] == c)].iloc[0]


def test_rules_match_hand_computation(lines):
    rs = mine_rules(basket_matrix(lines), min_support=0.2, min_lift=0.0)
    r = _rule(rs, "beer", "diapers")
    assert r["support"] == pytest.approx(2 / 5)
    assert r["confidence"] == pytest.approx(2 / 3)
    assert r["lift"] == pytest.approx((2 / 3) / (4 / 5))
    assert r["leverage"] == pytest.approx(2 / 5 - 3 / 5 * 4 / 5)
    assert r["conviction"] == pytest.approx((1 - 4 / 5) / (1 - 2 / 3))
    assert r["baskets"] == 2
    r = _rule(rs, "diapers", "milk")
    assert (r["confidence"], r["lift"]) == pytest.approx((0.5, 1.25))
    assert r["conviction"] == pytest.approx(1.2)
    assert np.isinf(_rule(rs, "milk", "diapers")["conviction"])  # milk never without diapers


def test_min_lift_filters_rules_below_independence(lines):
    rs = mine_rules(basket_matrix(lines), min_support=0.2)
    assert (rs.rules["lift"] >= 1).all()
    assert not ((rs.rules["antecedent"] == "beer") & (rs.rules["consequent"] == "diapers")).any()


def test_itemsets_and_supports_equal_brute_force(rng):
    items = list("abcdefg")
    probs = np.linspace(0.15, 0.6, len(items))
    mat = rng.random((400, len(items))) < probs
    onehot = pd.DataFrame(mat, columns=items)
    rs = mine_rules(onehot, min_support=0.05, min_lift=0.0)
    brute = {}
    for k in range(1, len(items) + 1):
        for combo in combinations(range(len(items)), k):
            s = mat[:, combo].all(axis=1).mean()
            if s >= 0.05:
                brute[frozenset(items[i] for i in combo)] = s
    got = dict(zip(rs.itemsets["itemsets"], rs.itemsets["support"], strict=True))
    assert set(got) == set(brute)
    for key, s in brute.items():
        assert got[key] == pytest.approx(s)
    for _, r in rs.rules.head(30).iterrows():
        a = [items.index(i) for i in r["antecedents"]]
        c = items.index(next(iter(r["consequents"])))
        has_a = mat[:, a].all(axis=1)
        assert r["confidence"] == pytest.approx(mat[has_a, c].mean())


def test_rollup_to_level_counts_unmapped_lines(lines):
    products = pd.DataFrame({"product_id": ["beer", "diapers", "milk"],
                             "department": ["drinks", "baby", "dairy"]})
    m = basket_matrix(lines, products=products, level="department")
    assert list(m.columns) == ["baby", "dairy", "drinks"]
    assert m["drinks"].sum() == 3
    assert m.attrs["n_lines_unmapped"] == 1          # chips has no department
    assert len(m) == 5


def test_sparse_matrix_gives_same_rules(lines):
    dense = mine_rules(basket_matrix(lines), min_support=0.2, min_lift=0.0).rules
    sparse = mine_rules(basket_matrix(lines, sparse=True), min_support=0.2, min_lift=0.0).rules
    pd.testing.assert_frame_equal(dense.drop(columns=["antecedents", "consequents"]),
                                  sparse.drop(columns=["antecedents", "consequents"]))


def test_does_not_mutate_input(lines):
    before = lines.copy()
    basket_matrix(lines)
    pd.testing.assert_frame_equal(lines, before)


def test_cross_sell_offers_with_justifying_rule(lines):
    rs = mine_rules(basket_matrix(lines), min_support=0.2)
    history = pd.DataFrame({"customer_id": [1, 2, 2, 3],
                            "product_id": ["milk", "milk", "diapers", "chips"]})
    offers = cross_sell_candidates(history, rs)
    # Customer 1 bought milk, not diapers: milk -> diapers (confidence 1) fires.
    first = offers[offers.customer_id == 1].iloc[0]
    assert (first["offer"], first["because"], first["confidence"]) == ("diapers", "milk", 1.0)
    # chips -> beer: confidence 1/1, lift 1 / (3/5).
    third = offers[offers.customer_id == 3].iloc[0]
    assert (third["offer"], third["because"]) == ("beer", "chips")
    assert third["lift"] == pytest.approx(5 / 3)
    # Customer 2 owns milk and diapers; the only rules with lift >= 1 among
    # {beer, diapers, milk, chips} that fire need beer or chips.
    assert set(offers["customer_id"]) == {1, 3}


def test_cross_sell_ranks_by_metric_and_limits_n():
    rules = pd.DataFrame({
        "antecedent": ["a", "a", "b"], "consequent": ["x", "y", "z"],
        "antecedents": [frozenset("a"), frozenset("a"), frozenset("b")],
        "consequents": [frozenset("x"), frozenset("y"), frozenset("z")],
        "support": [0.1, 0.1, 0.1], "confidence": [0.3, 0.6, 0.5], "lift": [2.0, 1.5, 3.0],
        "leverage": [0.01] * 3, "conviction": [1.2] * 3})
    hist = pd.DataFrame({"customer_id": [9, 9], "product_id": ["a", "b"]})
    out = cross_sell_candidates(hist, rules, n=2)
    assert out["offer"].tolist() == ["y", "z"]
    assert out["rank"].tolist() == [1, 2]
    assert cross_sell_candidates(hist, rules, n=1, sort_by="lift")["offer"].tolist() == ["z"]


def test_offer_hit_rate_baseline_is_non_owner_share():
    offers = pd.DataFrame({"customer_id": [1, 2], "rank": [1, 1], "offer": ["x", "x"]})
    history = pd.DataFrame({"customer_id": [1, 2, 3, 4], "product_id": ["a", "a", "x", "a"]})
    later = pd.DataFrame({"customer_id": [1, 3, 4], "product_id": ["x", "x", "b"]})
    out = offer_hit_rate(offers, later, history=history)
    assert out.loc["all", "hit_rate"] == pytest.approx(0.5)      # customer 1 bought x
    # Non-owners of x before: 1, 2, 4; of them only customer 1 bought x later.
    assert out.loc["all", "baseline"] == pytest.approx(1 / 3)


def test_entry_sequence_hand_example():
    d = pd.to_datetime
    data = pd.DataFrame({
        "customer_id": [1, 1, 1, 2, 2, 2],
        "date": d(["2020-01-01", "2020-01-02", "2020-01-05", "2020-01-01", "2020-01-01",
                   "2020-01-06"]),
        "department": ["A", "B", "C", "A", "B", "C"],
        "product_id": range(6)})
    out = entry_sequence(data, level="department").set_index(["from", "to"])
    assert out.loc[("A", "B"), "customers"] == 1
    assert out.loc[("B", "C"), "customers"] == 2
    assert out.loc[("A", "C"), "customers"] == 1
    assert out.loc[("B", "C"), "median_days"] == pytest.approx(4.0)   # 3 and 5 days
    assert ("A", "A") not in out.index


def test_price_tiers_cut_within_category():
    data = pd.DataFrame({"product_id": [1, 2, 3, 4, 5, 6], "quantity": [1, 2, 1, 1, 1, 1],
                         "sales_value": [1.0, 4.0, 3.0, 10.0, 20.0, 30.0],
                         "product_category": ["c"] * 3 + ["d"] * 3})
    tiers = price_tiers(data).set_index("product_id")
    assert tiers.loc[[1, 2, 3], "tier"].astype(str).tolist() == ["budget", "standard", "premium"]
    assert tiers.loc[2, "unit_price"] == pytest.approx(2.0)
    assert tiers.loc[6, "tier"] == "premium"


def test_category_migration_states_and_matrix():
    d = pd.to_datetime
    data = pd.DataFrame({
        "customer_id": [1, 1, 1, 2, 2, 3],
        "date": d(["2020-01-05", "2020-01-06", "2020-02-10", "2020-01-07", "2020-02-03",
                   "2020-01-09"]),
        "product_id": ["p_lo", "p_hi", "p_hi", "p_hi", "p_lo", "p_lo"],
        "sales_value": [5.0, 1.0, 2.0, 3.0, 3.0, 1.0]})
    products = pd.DataFrame({"product_id": ["p_lo", "p_hi"],
                             "tier": pd.Categorical(["budget", "premium"],
                                                    categories=["budget", "premium"],
                                                    ordered=True)})
    mig = category_migration(data, products=products, windows=["2020-01-01", "2020-02-01",
                                                                "2020-03-01"])
    assert mig.states.loc[1].tolist() == ["budget", "premium"]     # 5 > 1 in January
    assert mig.states.loc[2].tolist() == ["premium", "budget"]
    assert mig.states.loc[3].tolist() == ["budget", "inactive"]
    assert mig.order == ["inactive", "budget", "premium"]
    m = mig.matrix(share=False)
    assert m.loc["budget", "premium"] == 1 and m.loc["budget", "inactive"] == 1
    s = mig.summary().iloc[0]
    assert (s["up"], s["down"], s["lapsed"]) == pytest.approx((0.5, 0.5, 1 / 3))


def _simulated_breadth(rng, n=1500):
    """Retention depends on frequency only; breadth grows with frequency (a confounder)."""
    rows = []
    freq = rng.integers(1, 25, n)
    variety = rng.integers(1, 6, n)      # categories per basket: breadth varies given frequency
    keep = rng.random(n) < 1 / (1 + np.exp(-(-0.5 + 1.0 * np.log(freq))))
    bid = 0
    for c in range(n):
        for _ in range(freq[c]):
            bid += 1
            day = pd.Timestamp("2020-01-01") + pd.Timedelta(days=int(rng.integers(0, 90)))
            for cat in rng.choice(60, size=variety[c], replace=False):
                rows.append((c, bid, day, f"cat{cat}", 1.0))
        if keep[c]:
            bid += 1
            rows.append((c, bid, pd.Timestamp("2020-06-01"), "cat0", 1.0))
    return pd.DataFrame(rows, columns=["customer_id", "basket_id", "date", "product_category",
                                       "sales_value"]).assign(product_id=lambda x: x.index)


def test_breadth_retention_removes_frequency_confounding(rng):
    data = _simulated_breadth(rng)
    res = breadth_retention(data, first_window=("2020-01-01", "2020-04-01"),
                            later_window=("2020-04-01", "2020-12-31"))
    eff = res.effect_
    assert eff["raw_gap"] > 0.05                        # naive view: breadth "helps"
    assert eff["ci_low"] < 1 < eff["ci_high"]           # with frequency held fixed it does not
    assert abs(eff["adjusted_gap"]) < eff["raw_gap"]
    # The stratum table equals a direct group-by of the customer table.
    cust = res.customers
    direct = cust.groupby(["stratum", "breadth_band"], observed=True)["retained"].mean()
    np.testing.assert_allclose(res.table["retention"], direct.to_numpy())
    first = data[data.date < "2020-04-01"]
    assert cust.loc[5, "breadth"] == first[first.customer_id == 5]["product_category"].nunique()


def _missing_basket(lines):
    bad = lines.copy()
    bad.loc[2, "basket_id"] = np.nan
    return bad


@pytest.mark.parametrize("call, match", [
    (lambda lines: basket_matrix(lines.drop(columns="basket_id")), "basket"),
    (lambda lines: basket_matrix(_missing_basket(lines)), "missing values in 1 row"),
    (lambda lines: basket_matrix(
        lines, products=pd.DataFrame({"product_id": ["beer", "beer"], "department": ["a", "b"]}),
        level="department"), "duplicated"),
    (lambda lines: mine_rules(basket_matrix(lines), min_support=0), "min_support"),
    (lambda lines: mine_rules(pd.DataFrame({"a": [0, 2], "b": [1, 1]})), "0/1"),
    (lambda lines: cross_sell_candidates(lines.rename(columns={"basket_id": "customer_id"}),
                                         mine_rules(basket_matrix(lines), min_support=0.2),
                                         sort_by="x"), "sort_by must be"),
    (lambda lines: breadth_retention(lines.assign(date="2020-01-01", customer_id=1),
                                     first_window=("2020-02-01", "2020-01-01"),
                                     later_window=("2020-03-01", "2020-04-01"), level=None,
                                     amount=None), "first_window"),
], ids=["missing-basket-column", "missing-basket-id", "duplicated-product", "zero-min-support",
        "matrix-not-binary", "unknown-sort-metric", "reversed-window"])
def test_errors_name_column_and_rows(lines, call, match):
    with pytest.raises(CRMDataError, match=match):
        call(lines)


def test_plots_draw_the_data(lines):
    rs = mine_rules(basket_matrix(lines), min_support=0.2)
    ax = plot_rules(rs, n=5)
    widths = sorted(p.get_width() for p in ax.patches)
    assert widths == pytest.approx(sorted(rs.rules["lift"].head(5)))
    assert "→" in ax.get_yticklabels()[0].get_text()
    plt.close("all")
    data = pd.DataFrame({"customer_id": [1, 2, 2], "product_id": ["x", "x", "y"],
                         "date": pd.to_datetime(["2020-01-02", "2020-01-02", "2020-02-02"]),
                         "sales_value": 1.0, "tier": ["lo", "lo", "hi"]})
    mig = category_migration(data, level="tier", order=["lo", "hi"],
                             windows=["2020-01-01", "2020-02-01", "2020-03-01"])
    ax = plot_migration_flow(mig)
    heights = [p.get_height() for p in ax.patches if hasattr(p, "get_height")]
    assert sum(heights) == pytest.approx(4)       # 2 customers on each side


def test_breadth_plot_bar_heights(rng):
    res = breadth_retention(_simulated_breadth(rng, n=400),
                            first_window=("2020-01-01", "2020-04-01"),
                            later_window=("2020-04-01", "2020-12-31"))
    ax = plot_breadth_retention(res)
    heights = sorted(p.get_height() for p in ax.patches)
    assert heights == pytest.approx(sorted(100 * res.table["retention"]))


def test_breadth_retention_detects_a_real_breadth_effect(rng):
    """Positive control: when retention does depend on breadth, the odds ratio shows it."""
    n = 1500
    freq = rng.integers(1, 25, n)
    variety = rng.integers(1, 6, n)
    rows, bid = [], 0
    breadth = np.zeros(n)
    for c in range(n):
        cats = set()
        for _ in range(freq[c]):
            bid += 1
            for cat in rng.choice(60, size=variety[c], replace=False):
                rows.append((c, bid, pd.Timestamp("2020-02-01"), f"cat{cat}"))
                cats.add(cat)
        breadth[c] = len(cats)
    keep = rng.random(n) < 1 / (1 + np.exp(-(-1.0 + 0.8 * np.log2(breadth))))
    for c in np.flatnonzero(keep):
        bid += 1
        rows.append((c, bid, pd.Timestamp("2020-06-01"), "cat0"))
    data = pd.DataFrame(rows, columns=["customer_id", "basket_id", "date", "product_category"])
    data["product_id"] = data.index
    res = breadth_retention(data, first_window=("2020-01-01", "2020-04-01"),
                            later_window=("2020-04-01", "2020-12-31"), amount=None)
    # True odds ratio per doubling of breadth: exp(0.8) = 2.23.
    assert res.effect_["ci_low"] < np.exp(0.8) < res.effect_["ci_high"]
    assert res.effect_["ci_low"] > 1


_MIGRATION_LINES = pd.DataFrame({"customer_id": [1, 1], "product_id": ["a", "b"],
                                 "date": ["2020-01-01", "not a date"], "sales_value": [1.0, 2.0],
                                 "tier": ["lo", "hi"]})
_MULTI_CONSEQUENT = pd.DataFrame({"antecedent": ["a"], "consequent": ["b + c"],
                                  "antecedents": [frozenset("a")], "consequents": [frozenset("bc")],
                                  "support": [0.1], "confidence": [0.5], "lift": [2.0],
                                  "leverage": [0.05], "conviction": [2.0]})


@pytest.mark.parametrize("call, match", [
    (lambda d: category_migration(d, level="tier"), "(?s)'date'.*not a date"),
    (lambda d: category_migration(d.assign(date="2020-01-01"), level="tier", windows=1),
     "windows must be at least 2"),
    (lambda d: price_tiers(d, level="tier"), "quantity"),
    (lambda d: cross_sell_candidates(d, _MULTI_CONSEQUENT), "single consequent"),
    (lambda d: basket_matrix(d.rename(columns={"customer_id": "basket_id"}), level="department"),
     "level='department' is not a column"),
], ids=["bad-date", "one-window", "no-quantity", "several-consequents", "unknown-level"])
def test_more_input_errors(call, match):
    with pytest.raises(CRMDataError, match=match):
        call(_MIGRATION_LINES)


def test_pruning_keeps_baskets_in_the_support_denominator(lines):
    m = basket_matrix(lines, min_baskets=2)          # chips (1 basket) pruned
    assert "chips" not in m.columns and m.attrs["n_items_pruned"] == 1
    assert len(m) == 5
    assert m.loc[4].tolist() == [True, False, False]   # basket 4 keeps beer, loses chips
    rs = mine_rules(m, min_support=0.2, min_lift=0.0)
    assert rs.n_baskets == 5
    assert _rule(rs, "beer", "diapers")["support"] == pytest.approx(2 / 5)


_PRICED_LOG = pd.DataFrame({"customer_id": [1, 1, 2, 2], "basket_id": [1, 2, 3, 4],
                            "item": ["a", "b", "a", "b"], "quantity": [1, 1, 1, 1], "cat": ["x"] * 4,
                            "date": ["2017-01-02", "2017-02-02", "2017-01-05", "not a date"],
                            "amount": [1.0, "n/a", 2.0, 3.0]})


@pytest.mark.parametrize("call, match", [
    (lambda log: price_tiers(log, item="item", quantity="quantity", amount="amount", level="cat",
                             min_items=1), "amount"),
    (lambda log: breadth_retention(log.assign(amount=1.0), customer_id="customer_id", date="date",
                                   basket="basket_id", item="item", amount="amount", level="cat",
                                   first_window=("2017-01-01", "2017-02-01"),
                                   later_window=("2017-02-01", "2017-03-01")),
     "unparseable dates"),
], ids=["non-numeric-amount", "bad-date"])
def test_non_numeric_amounts_and_bad_dates_are_refused_not_dropped(call, match):
    with pytest.raises(CRMDataError, match=match):
        call(_PRICED_LOG)


# --- significance, pruning and offer baselines (issue 18) ---------------------------------------

def _random_lines(seed=3, n_baskets=60):
    rng = np.random.default_rng(seed)
    rows = []
    for b in range(n_baskets):
        items = [it for it, p in zip("abcde", [0.5, 0.4, 0.3, 0.3, 0.2], strict=True)
                 if rng.random() < p]
        if "a" in items and rng.random() < 0.6:
            items.append("f")           # f travels with a
        rows += [(b, it) for it in set(items) or {"e"}]
    return pd.DataFrame(rows, columns=["basket_id", "product_id"])


def test_rule_significance_equals_fisher_exact_and_holm():
    from scipy.stats import fisher_exact

    lines = _random_lines()
    onehot = crm.basket_matrix(lines)
    rs = crm.mine_rules(onehot, min_support=0.05)
    sig = crm.rule_significance(rs)
    n = len(onehot)
    for _, row in sig.iterrows():
        a = onehot[list(row["antecedents"])].all(axis=1)
        b = onehot[list(row["consequents"])].all(axis=1)
        table = [[int((a & b).sum()), int((a & ~b).sum())], [int((~a & b).sum()), int((~a & ~b).sum())]]
        assert sum(map(sum, table)) == n
        assert row["p_value"] == pytest.approx(fisher_exact(table, alternative="greater")[1],
                                               rel=1e-9, abs=1e-12)
    # Holm by hand: sorted p times (m - i), running maximum, capped at 1.
    p = sig["p_value"].to_numpy()
    order = np.argsort(p)
    m = len(p)
    holm = np.minimum(1, np.maximum.accumulate(p[order] * (m - np.arange(m))))
    np.testing.assert_allclose(sig["p_adjusted"].to_numpy()[order], holm, rtol=1e-12)
    assert (sig["significant"] == (sig["p_adjusted"] <= 0.05)).all()


@pytest.mark.parametrize("bad,match", [("table", "RuleSet"), ("alpha", "alpha")])
def test_rule_significance_bad_input(bad, match):
    rs = crm.mine_rules(crm.basket_matrix(_random_lines()), min_support=0.05)
    with pytest.raises(crm.CRMDataError, match=match):
        if bad == "table":
            crm.rule_significance(rs.rules)
        else:
            crm.rule_significance(rs, alpha=1.5)


def test_prune_redundant_rules_against_brute_force_improvement():
    lines = _random_lines(seed=11, n_baskets=80)
    onehot = crm.basket_matrix(lines)
    rs = crm.mine_rules(onehot, min_support=0.05)
    kept = crm.prune_redundant_rules(rs)
    single = rs.rules[rs.rules["consequents"].map(len) == 1]
    from itertools import combinations

    expected = set()
    for _, row in single.iterrows():
        ante, (b,) = sorted(row["antecedents"]), tuple(row["consequents"])
        conf = onehot[ante + [b]].all(axis=1).sum() / onehot[ante].all(axis=1).sum()
        best = onehot[b].mean()
        for k in range(1, len(ante)):
            for sub in combinations(ante, k):
                # only subsets that are themselves mined rules compete, as in the function
                if ((single["antecedent"] == " + ".join(sorted(sub))) & (single["consequent"] == b)).any():
                    best = max(best, onehot[list(sub) + [b]].all(axis=1).sum()
                               / onehot[list(sub)].all(axis=1).sum())
        if conf - best > 0:
            expected.add((row["antecedent"], b))
    assert set(zip(kept["antecedent"], kept["consequent"], strict=True)) == expected
    assert kept.attrs["n_pruned"] == len(single) - len(expected)
    assert (kept["improvement"] > 0).all()


def test_compare_offers_by_hand():
    hist = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2, 3, 3, 3],
                         "product_id": ["a", "a", "b", "a", "c", "a", "b", "c"]})
    # popularity in history (customers): a 3, b 2, c 2 -> order a, b, c (ties by name), then d unseen
    later = pd.DataFrame({"customer_id": [1, 1, 2, 2], "product_id": ["c", "a", "b", "d"]})
    offers = pd.DataFrame({"customer_id": [1, 2], "offer": ["c", "d"]})
    out = crm.compare_offers(offers, later, hist, n_boot=50)
    # rules: 1 gets c (bought), 2 gets d (bought) -> 2/2
    assert out.loc["rules", "precision"] == 1.0
    # popularity, new to each customer: 1 -> c (hit); 2 -> b (hit)
    assert out.loc["popularity", "hits"] == 2
    # buy-again: 1 -> a (2 lines; hit); 2 -> a (tie with c broken by popularity; not bought) -> 1/2
    assert out.loc["buy-again", "precision"] == 0.5
    assert out.loc["buy-again", "diff_vs_rules"] == pytest.approx(-0.5)
    assert (out["customers"] == 2).all()


def test_migration_summary_between_any_two_windows():
    lines = pd.DataFrame({
        "customer_id": [1, 1, 1, 2, 2, 2],
        "date": pd.to_datetime(["2020-01-05", "2020-02-05", "2020-03-05"] * 2),
        "product_id": ["lo", "hi", "lo", "hi", "hi", "lo"],
    })
    prods = pd.DataFrame({"product_id": ["lo", "hi"],
                          "tier": pd.Categorical(["budget", "premium"], ["budget", "premium"],
                                                 ordered=True)})
    mig = crm.category_migration(lines, products=prods, amount=None,
                                 windows=["2020-01-01", "2020-02-01", "2020-03-01", "2020-04-01"])
    first_last = mig.summary()
    assert first_last[["up", "same", "down"]].iloc[0].tolist() == [0.0, 0.5, 0.5]
    one_two = mig.summary(first=0, last=1)
    assert one_two[["up", "same", "down"]].iloc[0].tolist() == [0.5, 0.5, 0.0]
    assert one_two["to"].item() == "2020-02-01"


def test_breadth_first_seen_control_is_days_since_first_purchase():
    rows = []
    # Customer c is first seen on day d of 2020 and shops weekly in the first window.
    for c, first_day in ((1, 0), (2, 30), (3, 60), (4, 10), (5, 45), (6, 5)):
        start = pd.Timestamp("2020-01-01") + pd.Timedelta(days=first_day)
        for k, day in enumerate(pd.date_range(start, "2020-03-31", freq="7D")):
            rows.append((c, day, f"{c}-{k}", f"p{(c + k) % (2 + c)}"))
        if c % 2:
            rows.append((c, pd.Timestamp("2020-06-10"), f"{c}-late", "p0"))
    data = pd.DataFrame(rows, columns=["customer_id", "date", "basket_id", "product_id"])
    res = breadth_retention(data, first_window=("2020-01-01", "2020-04-01"),
                            later_window=("2020-06-01", "2020-07-01"), level=None, amount=None,
                            n_strata=2, control_first_seen=True)
    expected = {1: 91, 2: 61, 3: 31, 4: 81, 5: 46, 6: 86}   # days from first purchase to 2020-04-01
    assert res.customers["first_seen_days"].to_dict() == expected
    assert "log_first_seen_days" in res.model_.params.index
