"""Lock-in is not a relationship: simulate removing an exit barrier (C3, C4).

*Misconceptions of CRM and countermeasures* warns that points schemes and
exit barriers keep customers only because leaving costs more than it
returns, not because a relationship exists.  This simulator makes the claim
testable: a customer base of truly loyal customers (high attitude) and
spuriously loyal ones (low attitude, held by the barrier) looks equally
well retained while the barrier stands; when the barrier is removed (a
contract expires, a points scheme is closed), the spuriously loyal leave.

Generating process (months; all data **simulated**)
--------------------------------------------------
Customer ``i`` belongs to the segment ``"truly loyal"`` with probability
``share_loyal``, else ``"spuriously loyal"``; the segment sets a monthly
defection hazard without a barrier, ``hazard_loyal`` or ``hazard_spurious``.
While the barrier stands (months ``1 .. barrier_months``), every hazard is
multiplied by ``1 - barrier_strength``; from month ``barrier_months + 1`` on
the hazard is the segment's own.  Defection months are drawn as geometric
waiting times, so the expected share still active after month ``t`` is

``S(t) = (1 - h (1 - b)) ** min(t, R) * (1 - h) ** max(t - R, 0)``

(:meth:`LockInSimulation.expected_retention`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import CRMDataError

__all__ = ["LockInSimulation", "simulate_lock_in"]

_SEGS = ("truly loyal", "spuriously loyal")


@dataclass
class LockInSimulation:
    """Output of :func:`simulate_lock_in`.

    Attributes
    ----------
    customers : DataFrame
        ``customer_id``, ``segment``, ``hazard`` (monthly, without barrier),
        ``defection_month`` (NaN if still active at the end) and ``active_at_end``.
    retention : DataFrame
        Long table: ``month`` (0 .. months), ``segment`` (the two segments and
        ``"all"``), ``active`` (customers) and ``retention`` (share of the
        segment's starting base still active after the month).
    params : dict
        The call.
    """

    customers: pd.DataFrame
    retention: pd.DataFrame
    params: dict = field(default_factory=dict)

    def expected_retention(self) -> pd.DataFrame:
        """Closed-form expected retention per month and segment (same layout as ``retention``,
        column ``expected``; ``"all"`` weights the segments by ``share_loyal``)."""
        p = self.params
        t = np.arange(p["months"] + 1)
        b, r = p["barrier_strength"], p["barrier_months"]
        rows = {}
        for seg, h in zip(_SEGS, (p["hazard_loyal"], p["hazard_spurious"]), strict=True):
            rows[seg] = (1 - h * (1 - b)) ** np.minimum(t, r) * (1 - h) ** np.maximum(t - r, 0)
        rows["all"] = p["share_loyal"] * rows[_SEGS[0]] + (1 - p["share_loyal"]) * rows[_SEGS[1]]
        return pd.concat(
            [pd.DataFrame({"month": t, "segment": s, "expected": v}) for s, v in rows.items()],
            ignore_index=True,
        )

    def summary(self) -> pd.DataFrame:
        """Per segment: customers, retention when the barrier falls and at the end,
        and the mean monthly churn rate with and without the barrier."""
        p = self.params
        ret = self.retention.set_index(["segment", "month"])["retention"]
        active = self.retention.set_index(["segment", "month"])["active"]
        r, m = p["barrier_months"], p["months"]
        out = []
        for seg in (*_SEGS, "all"):
            s_r, s_m = ret[(seg, r)], ret[(seg, m)]
            out.append({
                "segment": seg,
                "customers": int(active[(seg, 0)]),
                "retention_at_removal": s_r,
                "retention_at_end": s_m,
                "monthly_churn_with_barrier": 1 - s_r ** (1 / r) if r > 0 else np.nan,
                "monthly_churn_after_removal": (
                    1 - (s_m / s_r) ** (1 / (m - r)) if m > r and s_r > 0 else np.nan
                ),
            })
        return pd.DataFrame(out).set_index("segment")


def simulate_lock_in(
    n_customers: int = 2000,
    *,
    share_loyal: float = 0.5,
    hazard_loyal: float = 0.01,
    hazard_spurious: float = 0.08,
    barrier_strength: float = 0.85,
    barrier_months: int = 12,
    months: int = 36,
    seed: int | np.random.Generator | None = 0,
) -> LockInSimulation:
    """Simulate a customer base held by an exit barrier that is later removed.

    The generating process is in the module docstring
    (:mod:`crm_analysis.simulate.lockin`).  All data are **simulated**.

    Parameters
    ----------
    n_customers : int, default 2000
    share_loyal : float, default 0.5
        Share of truly loyal customers (high attitude).
    hazard_loyal, hazard_spurious : float
        Monthly defection probability of each segment without the barrier.
    barrier_strength : float, default 0.85
        Share of the defection hazard the barrier suppresses (0 = no barrier,
        1 = nobody can leave), e.g. the cost of breaking a contract or losing points.
    barrier_months : int, default 12
        Months the barrier stands (0 = no barrier at all).
    months : int, default 36
        Months simulated.
    seed : int or Generator, default 0

    Returns
    -------
    LockInSimulation

    Raises
    ------
    CRMDataError
        Parameters outside their ranges.

    Examples
    --------
    >>> sim = simulate_lock_in(1000, seed=1)
    >>> s = sim.summary()
    >>> bool(s.loc["spuriously loyal", "retention_at_end"] < s.loc["truly loyal", "retention_at_end"])
    True
    """
    checks = {
        "n_customers": isinstance(n_customers, (int, np.integer)) and n_customers >= 1,
        "share_loyal": 0 <= share_loyal <= 1,
        "hazard_loyal": 0 <= hazard_loyal <= 1,
        "hazard_spurious": 0 <= hazard_spurious <= 1,
        "barrier_strength": 0 <= barrier_strength <= 1,
        "months": isinstance(months, (int, np.integer)) and months >= 1,
        "barrier_months": isinstance(barrier_months, (int, np.integer)) and 0 <= barrier_months <= months,
    }
    bad = [k for k, ok in checks.items() if not ok]
    if bad:
        raise CRMDataError(f"simulate_lock_in: parameter(s) out of range: {bad}.")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    n = int(n_customers)
    loyal = rng.random(n) < share_loyal
    h = np.where(loyal, hazard_loyal, hazard_spurious)
    h_b = h * (1 - barrier_strength)

    # Month of defection: geometric with the barrier hazard; survivors of the
    # barrier period then wait a geometric time with the plain hazard.
    big = months + 1
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.where(h_b > 0, rng.geometric(np.clip(h_b, 1e-300, 1)), big)
        second = np.where(h > 0, rng.geometric(np.clip(h, 1e-300, 1)), big)
    month = np.where(first <= barrier_months, first, barrier_months + second).astype(float)
    month[month > months] = np.nan

    segment = np.where(loyal, _SEGS[0], _SEGS[1])
    customers = pd.DataFrame({
        "customer_id": np.arange(1, n + 1),
        "segment": segment,
        "hazard": h,
        "defection_month": month,
        "active_at_end": np.isnan(month),
    })
    t = np.arange(months + 1)
    rows = []
    for seg, mask in ((_SEGS[0], loyal), (_SEGS[1], ~loyal), ("all", np.ones(n, bool))):
        left = month[mask]
        left = left[~np.isnan(left)]
        # active after month t = base minus those who left in months 1..t
        gone = np.searchsorted(np.sort(left), t, side="right")
        base = int(mask.sum())
        rows.append(pd.DataFrame({
            "month": t, "segment": seg, "active": base - gone,
            "retention": (base - gone) / base if base else np.nan,
        }))
    params = {
        "simulator": "crm_analysis.simulate.simulate_lock_in",
        "n_customers": n, "share_loyal": share_loyal, "hazard_loyal": hazard_loyal,
        "hazard_spurious": hazard_spurious, "barrier_strength": barrier_strength,
        "barrier_months": int(barrier_months), "months": int(months),
        "seed": seed if isinstance(seed, (int, type(None))) else "Generator",
    }
    return LockInSimulation(customers=customers, retention=pd.concat(rows, ignore_index=True),
                            params=params)
