"""Renamed keywords (issue 15, "One vocabulary"): the old name works for one release.

For every parameter renamed to the glossary of DEVELOPERS.md, a call with the old
keyword warns (``DeprecationWarning`` naming the function, the old and the new
name) and returns exactly what the call with the new keyword returns; passing
both is a ``TypeError``.  The seeds made keyword-only still work by position for
one release, with a warning.  The decorators themselves are checked first.
"""

from __future__ import annotations

import inspect
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import crm_analysis as crm
from crm_analysis import equity, retention
from crm_analysis._deprecation import keyword_only, renamed_kwargs
from crm_analysis.plotting import plot_rules

# --------------------------------------------------------------------- the decorators


@renamed_kwargs(old="new", days=("freq", lambda d: f"{d}D"))
def _f(x, *, new=1, freq="W"):
    """Example."""
    return x, new, freq


@keyword_only("seed")
def _g(n=1, *, seed=0):
    return n, seed


def test_signature_shows_only_the_new_names():
    assert list(inspect.signature(_f).parameters) == ["x", "new", "freq"]
    assert _f.__doc__ == "Example." and _f.__name__ == "_f"


def test_old_keyword_is_passed_on_with_a_warning():
    with pytest.warns(DeprecationWarning, match=r"^_f: the keyword 'old' is deprecated .* use 'new'"):
        assert _f(0, old=5) == (0, 5, "W")


def test_old_keyword_value_is_converted():
    with pytest.warns(DeprecationWarning, match="'days'"):
        assert _f(0, days=14) == (0, 1, "14D")


def test_new_keyword_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _f(0, new=5) == (0, 5, "W")


def test_both_names_are_a_type_error():
    with pytest.raises(TypeError, match="_f: got both 'old' .* and 'new'"):
        _f(0, old=1, new=2)


def test_decorator_refuses_a_missing_new_name():
    with pytest.raises(ValueError, match="renamed_kwargs"):
        renamed_kwargs(a="b")(lambda x, a=1: x)


def test_positional_seed_still_works_with_a_warning():
    with pytest.warns(DeprecationWarning, match="_g: passing 'seed' by position"):
        assert _g(2, 7) == (2, 7)
    assert _g(2, seed=7) == (2, 7)


@pytest.mark.parametrize("args, kwargs", [((2, 7, 8), {}), ((2, 7), {"seed": 7})],
                         ids=["too-many-positional", "seed-twice"])
def test_keyword_only_bad_calls(args, kwargs):
    with pytest.raises(TypeError, match="_g"), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        _g(*args, **kwargs)


# --------------------------------------------------------------------- every renamed keyword

_GROUPS = pd.DataFrame({"customers": [100.0, 50.0], "retention": [0.8, 0.6],
                        "value": [10.0, 30.0]}, index=["a", "b"])
_SURVIVAL = pd.DataFrame({"tenure": [1, 2, 3, 4, 5, 6] * 2, "churn": [1, 1, 0, 1, 0, 1] * 2,
                          "g": list("aaaaaabbbbbb")})
_RECOMMEND = pd.DataFrame({"recommend": [10, 9, 9, 8, 7, 6, 0, 3], "g": list("aaaabbbb")})
_BASKETS = pd.DataFrame([(b, i) for b, items in {1: "abc", 2: "ab", 3: "bc", 4: "ad", 5: "b"}.items()
                         for i in items], columns=["basket_id", "product_id"])
_FHL = [0.243, 4.414, 0.793, 2.426]   # Fader, Hardie & Lee (2005a), BG/NBD on CDNOW


def _sbg():
    return retention.SBGModel().fit([1000, 631, 468, 382, 326])   # Fader & Hardie (2007), regular


def _rules():
    return crm.mine_rules(crm.basket_matrix(_BASKETS), min_support=0.2)


def _survey():
    return crm.simulate_restaurant_survey(n_customers=600, n_branches=12, seed=3)


def _cdnow_head():
    log = crm.load_cdnow()
    return log[log["customer_id"].isin(log["customer_id"].unique()[:600])]


def _bars(ax):
    widths = [p.get_width() for p in ax.patches]
    plt.close(ax.figure)
    return widths


#: (id, call taking the varying keywords, old keywords, new keywords, what to compare)
CASES = [
    ("expected_lifetime-discount", lambda **k: equity.expected_lifetime(0.8, horizon=12, **k),
     {"discount": 0.1}, {"discount_rate": 0.1}, None),
    ("implied_retention-discount", lambda **k: equity.implied_retention(3.0, **k),
     {"discount": 0.1}, {"discount_rate": 0.1}, None),
    ("equity_decomposition-discount", lambda **k: equity.equity_decomposition(_GROUPS, **k),
     {"discount": 0.1}, {"discount_rate": 0.1}, None),
    ("base_from_model-discount",
     lambda **k: equity.base_from_model(
         crm.BTYDModel.from_params("bgnbd", _FHL), 35.0,
         pd.DataFrame({"frequency": [0.0, 2.0, 5.0], "recency": [0.0, 30.4, 35.0],
                       "T": [38.9, 38.9, 38.9]}), horizon=12, **k),
     {"discount": 0.01}, {"discount_rate": 0.01}, None),
    ("lever_simulation-discount", lambda **k: equity.lever_simulation(_GROUPS, **k),
     {"discount": 0.1}, {"discount_rate": 0.1}, lambda r: r.table),
    ("lever_sensitivity-discount", lambda **k: equity.lever_sensitivity(_GROUPS, **k),
     {"discount": 0.1}, {"discount_rate": 0.1}, None),
    ("value_elasticities-discount", lambda **k: equity.value_elasticities(0.8, **k),
     {"discount": 0.12}, {"discount_rate": 0.12}, None),
    ("SBGModel.del_-discount", lambda **k: _sbg().del_(**k),
     {"discount": 0.1}, {"discount_rate": 0.1}, None),
    ("SBGModel.derl-discount", lambda **k: _sbg().derl(renewals=2, **k),
     {"discount": 0.1}, {"discount_rate": 0.1}, None),
    ("retention_value_sensitivity-discount",
     lambda **k: retention.retention_value_sensitivity(retention=0.8, margin=100, **k),
     {"discount": 0.1}, {"discount_rate": 0.1}, None),
    ("acquisition_ratio_needed-discount",
     lambda **k: retention.acquisition_ratio_needed(85.0, retention=0.8, **k),
     {"discount": 0.1}, {"discount_rate": 0.1}, None),
    ("behavioural_loyalty-horizon-discount_rate",
     lambda **k: crm.behavioural_loyalty(_cdnow_head(), amount="amount",
                                         model=crm.BTYDModel.from_params("bgnbd", _FHL), **k),
     {"clv_weeks": 26, "annual_discount_rate": 0.2}, {"horizon": 26, "discount_rate": 0.2}, None),
    ("tracking_data-period_days",
     lambda **k: crm.tracking_data(crm.BTYDModel.from_params("bgnbd", _FHL), _cdnow_head(),
                                   calibration_end="1997-09-30", **k),
     {"period_days": 14}, {"freq": "14D"}, None),
    ("kaplan_meier-group", lambda **k: retention.kaplan_meier(_SURVIVAL, **k),
     {"group": "g"}, {"by": "g"}, lambda r: r.table_),
    ("hazard_by_tenure-group", lambda **k: retention.hazard_by_tenure(_SURVIVAL, **k),
     {"group": "g"}, {"by": "g"}, None),
    ("period_hazard-group", lambda **k: retention.period_hazard(_SURVIVAL, **k),
     {"group": "g"}, {"by": "g"}, None),
    ("nps-ci", lambda **k: crm.nps(_RECOMMEND, by="g", **k), {"ci": 0.8}, {"level": 0.8}, None),
    ("driver_importance-ci",
     lambda **k: crm.driver_importance(_survey().data, "overall_satisfaction",
                                       ["speed", "food_quality", "price_value"], n_boot=20, progress=False, **k),
     {"ci": 0.8}, {"level": 0.8}, None),
    ("compare_contexts-ci",
     lambda **k: crm.compare_contexts(_survey().data, "overall_satisfaction",
                                      ["speed", "food_quality", "price_value"], n_boot=20, n_perm=20,
                                      progress=False, **k),
     {"ci": 0.8}, {"level": 0.8}, lambda r: r.table),
    ("group_importance-ci",
     lambda **k: crm.group_importance(_survey().data, "overall_satisfaction",
                                      {"product": ["food_quality", "price_value"], "service": ["speed"]},
                                      n_boot=20, progress=False, **k),
     {"ci": 0.8}, {"level": 0.8}, None),
    ("service_profit_chain-ci",
     lambda **k: crm.service_profit_chain(_survey().data, n_boot=50, min_responses=5,
                                          progress=False, **k),
     {"ci": 0.8}, {"level": 0.8}, lambda r: r.paths_),
    ("RuleSet.top-by", lambda **k: _rules().top(3, **k),
     {"by": "confidence"}, {"sort_by": "confidence"}, None),
    ("cross_sell_candidates-by",
     lambda **k: crm.cross_sell_candidates(
         pd.DataFrame({"customer_id": [1, 2], "product_id": ["c", "d"]}), _rules(), **k),
     {"by": "lift"}, {"sort_by": "lift"}, None),
    ("plot_rules-by", lambda **k: plot_rules(_rules(), n=4, **k),
     {"by": "confidence"}, {"sort_by": "confidence"}, _bars),
]


def _same(a, b):
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b)
    else:
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("call, old, new, key", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_old_keyword_warns_and_gives_the_same_result(call, old, new, key):
    key = key or (lambda r: r)
    with warnings.catch_warnings():
        # The new names never warn.
        warnings.filterwarnings("error", ".*deprecated and will be removed", DeprecationWarning)
        expected = key(call(**new))
    # One old keyword at a time, the others under their new names.
    for (old_name, value), new_name in zip(old.items(), new, strict=True):
        kwargs = {**{n: v for n, v in new.items() if n != new_name}, old_name: value}
        with pytest.warns(DeprecationWarning, match=f"'{old_name}' is deprecated.*'{new_name}'"):
            got = key(call(**kwargs))
        _same(got, expected)


@pytest.mark.parametrize("call, old, new", [c[1:4] for c in CASES], ids=[c[0] for c in CASES])
def test_old_and_new_keyword_together_is_a_type_error(call, old, new):
    with pytest.raises(TypeError, match="got both"):
        call(**old, **new)


def test_analyse_client_old_keywords(cdnow):
    # Both old keywords in one call (the full analysis is slow); each warns.
    log = cdnow[cdnow["customer_id"].isin(cdnow["customer_id"].unique()[:300])]
    new = crm.analyse_client(log, discount_rate=0.2, horizon=26)
    with pytest.warns(DeprecationWarning) as caught:
        old = crm.analyse_client(log, annual_discount_rate=0.2, horizon_weeks=26)
    said = " ".join(str(w.message) for w in caught)
    assert "analyse_client: the keyword 'annual_discount_rate'" in said
    assert "analyse_client: the keyword 'horizon_weeks'" in said
    pd.testing.assert_frame_equal(old.scores, new.scores)
    with pytest.raises(TypeError, match="got both"):
        crm.analyse_client(log, horizon=26, horizon_weeks=26)


# --------------------------------------------------------------------- seeds


@pytest.mark.parametrize("simulate", [crm.simulate_lost_customers, crm.simulate_brokerage_customers],
                         ids=["lost", "brokerage"])
def test_positional_seed_warns_and_gives_the_same_sample(simulate):
    with pytest.warns(DeprecationWarning, match="passing 'seed' by position"):
        old = simulate(200, 3)
    pd.testing.assert_frame_equal(old.data, simulate(200, seed=3).data)


def test_sbg_cohort_default_seed_is_reproducible():
    a = crm.simulate.simulate_sbg_cohort(200, periods=4)
    b = crm.simulate.simulate_sbg_cohort(200, periods=4, seed=0)
    pd.testing.assert_frame_equal(a.customers, b.customers)


def test_result_fields_are_compared():
    # _same must fail on a real difference, or the cases above prove nothing.
    with pytest.raises(AssertionError):
        _same(pd.DataFrame({"x": [1.0]}), pd.DataFrame({"x": [1.5]}))
