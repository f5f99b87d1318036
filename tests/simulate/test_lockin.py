"""simulate_lock_in against its closed form and its limiting cases."""

import numpy as np
import pandas as pd
import pytest

from crm_analysis import CRMDataError
from crm_analysis.simulate import simulate_lock_in


def test_simulated_retention_matches_closed_form():
    sim = simulate_lock_in(40000, seed=5)
    got = sim.retention.merge(sim.expected_retention(), on=["month", "segment"])
    n = got["active"].where(got["month"] == 0).groupby(got["segment"]).transform("max")
    se = np.sqrt(got["expected"] * (1 - got["expected"]) / n)
    assert (np.abs(got["retention"] - got["expected"]) <= 4 * se + 1e-12).all()


def test_closed_form_values():
    sim = simulate_lock_in(10, hazard_loyal=0.02, hazard_spurious=0.1, barrier_strength=0.5,
                           barrier_months=4, months=6, seed=0)
    e = sim.expected_retention().set_index(["segment", "month"])["expected"]
    # 4 months at hazard 0.05, then 2 months at 0.1
    assert e[("spuriously loyal", 6)] == pytest.approx(0.95**4 * 0.9**2)
    assert e[("truly loyal", 3)] == pytest.approx(0.99**3)


def test_spuriously_loyal_leave_once_the_barrier_falls():
    s = simulate_lock_in(20000, seed=1).summary()
    # while the barrier stands both segments are well retained ...
    assert s.loc["spuriously loyal", "retention_at_removal"] > 0.8
    # ... afterwards the spuriously loyal churn at their own (high) rate
    assert s.loc["spuriously loyal", "monthly_churn_after_removal"] == pytest.approx(0.08, abs=0.01)
    assert s.loc["truly loyal", "monthly_churn_after_removal"] == pytest.approx(0.01, abs=0.005)


def test_limiting_cases():
    total = simulate_lock_in(3000, barrier_strength=1.0, barrier_months=10, seed=3)
    assert total.customers["defection_month"].dropna().min() > 10  # nobody can leave
    none = simulate_lock_in(3000, barrier_months=0, seed=3)
    e = none.expected_retention().set_index(["segment", "month"])["expected"]
    assert e[("spuriously loyal", 36)] == pytest.approx(0.92**36)


def test_seeded():
    a, b = simulate_lock_in(200, seed=9), simulate_lock_in(200, seed=9)
    pd.testing.assert_frame_equal(a.customers, b.customers)


@pytest.mark.parametrize(
    "bad",
    [{"share_loyal": 1.5}, {"barrier_months": 50}, {"barrier_strength": -0.1}],
    ids=["share_loyal", "barrier_months", "barrier_strength"],
)
def test_out_of_range_parameter(bad):
    with pytest.raises(CRMDataError, match="out of range"):
        simulate_lock_in(100, **bad)
