"""Simulated survey + transaction log on the same customers, with known loyalty truth.

No public data set has both a loyalty survey and the purchase history of the
same customers, yet the first idea of the seed texts (C1: retention is not
loyalty) needs exactly that.  This module takes the respondents of the
simulated restaurant survey (:func:`crm_analysis.simulate.simulate_restaurant_survey`)
with their latent loyalty attitude and simulates what they bought, so that
attitude and behaviour are correlated but not equal and every customer has a
known Dick & Basu segment.

Generating process (time in weeks; all data **simulated**)
----------------------------------------------------------
1. **Attitude.**  ``A_i`` = the survey's ``latent_attitude`` (mean 0, sd 1);
   the survey items are noisy indicators of it.
2. **Convenience / lock-in.**  ``L_i ~ Bernoulli(p_convenience)``,
   independent of attitude: the customer lives or works next to a branch or
   holds points that expire - a reason to buy that is not preference.
3. **Patronage propensity.**  ``P_i = rho A_i + sqrt(1 - rho^2) e_i + delta L_i``
   with ``e_i ~ N(0, 1)``.  The **true segment** crosses ``A_i`` and ``P_i``
   at their medians in the simulated base: high/high = true loyalty,
   high/low = latent, low/high = spurious, low/low = no loyalty.  So the
   spuriously loyal are mostly convenience / lock-in customers.
4. **Purchases.**  The first purchase falls uniformly in weeks
   ``[0, acquisition_weeks)``; afterwards purchases follow a Poisson process
   of rate ``lambda_i = base_rate * exp(rate_sd * P_i)`` per week while the
   customer is active.
5. **Defection.**  Background hazard ``base_churn * exp(-churn_attitude * A_i)``
   per week (lower for convenience customers by the factor ``lock_in_hazard``).
   A **service failure** (complaint) hits a share ``p_complaint`` of
   customers at a uniform time of their active life; the customer leaves
   at once with probability ``logistic(-1 - 2 A_i)`` (loyal customers tolerate
   mistakes, C26).  A **competitor promotion** reaches every active customer
   in week ``competitor_week``; the customer leaves with probability
   ``logistic(-0.5 - 1.5 A_i - 2 L_i)`` (attitude and the barrier both hold
   customers back).
6. **Categories and spend.**  Customer ``i`` is open to
   ``1 + Binomial(n_categories - 1, logistic(0.8 A_i))`` of the
   ``n_categories`` product categories (loyal customers buy more of the
   range, C26) and picks one of them uniformly per purchase; spend is
   Gamma(shape 4) with mean ``25 exp(0.15 A_i)``.

The truth returned per customer: ``latent_attitude``, ``convenience``,
``patronage_propensity``, ``purchase_rate``, ``true_attitude_high``,
``true_patronage_high``, ``true_segment``, ``active_at_end``,
``defection_week`` and ``defection_cause`` (``"background"``,
``"complaint"``, ``"competitor"`` or ``""``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import CRMDataError
from .survey import SurveySimulation, simulate_restaurant_survey

__all__ = ["JointLoyaltySimulation", "simulate_loyalty_joint"]

_SEGMENTS = ("true loyalty", "latent loyalty", "spurious loyalty", "no loyalty")
_CATEGORIES = ("mains", "starters", "desserts", "drinks", "takeaway", "catering")


def _logistic(x):
    return 1 / (1 + np.exp(-x))


@dataclass
class JointLoyaltySimulation:
    """Output of :func:`simulate_loyalty_joint`.

    Attributes
    ----------
    survey : DataFrame
        The survey answers (one row per customer, from the survey simulator).
    transactions : DataFrame
        ``customer_id``, ``date``, ``category``, ``amount`` (US$), sorted.
    events : DataFrame
        ``customer_id``, ``event`` (``"complaint"`` or ``"competitor_offer"``), ``date``.
    customers : DataFrame
        Per-customer truth (see the module docstring).
    params : dict
        The call and the generating parameters.
    """

    survey: pd.DataFrame
    transactions: pd.DataFrame
    events: pd.DataFrame
    customers: pd.DataFrame
    params: dict = field(default_factory=dict)

    @property
    def observation_end(self) -> pd.Timestamp:
        """Last day of the simulated observation window."""
        return pd.Timestamp(self.params["start"]) + pd.Timedelta(days=7 * self.params["weeks"] - 1)

    @property
    def true_segments(self) -> pd.Series:
        """True Dick & Basu segment per customer id (ordered categorical)."""
        return self.customers.set_index("customer_id")["true_segment"]


def simulate_loyalty_joint(
    survey: SurveySimulation | None = None,
    *,
    n_customers: int = 2000,
    seed: int | np.random.Generator | None = 0,
    weeks: int = 104,
    start: str = "2024-01-01",
    acquisition_weeks: int = 26,
    p_convenience: float = 0.3,
    rho: float = 0.5,
    delta: float = 1.2,
    base_rate: float = 0.25,
    rate_sd: float = 0.6,
    base_churn: float = 0.004,
    churn_attitude: float = 0.5,
    lock_in_hazard: float = 0.5,
    p_complaint: float = 0.3,
    competitor_week: int = 78,
    n_categories: int = 6,
) -> JointLoyaltySimulation:
    """Simulate a transaction log for surveyed customers, with known loyalty segments.

    The generating process is written out in the module docstring
    (:mod:`crm_analysis.simulate.joint`).  All data are **simulated**.

    Parameters
    ----------
    survey : SurveySimulation, optional
        Output of :func:`~crm_analysis.simulate.simulate_restaurant_survey`;
        its ``customers`` table supplies the ids and ``latent_attitude``.
        Simulated with ``n_customers`` and 40 branches (same ``seed``) when omitted.
    n_customers : int, default 2000
        Used only when ``survey`` is None.
    seed : int or Generator, default 0
        Same seed (and survey), same data.
    weeks : int, default 104
        Length of the observation window.
    start : date string, default "2024-01-01"
        First day of week 0.
    acquisition_weeks : int, default 26
        First purchases spread uniformly over these first weeks.
    p_convenience : float, default 0.3
        Share of customers with a convenience / lock-in reason to buy.
    rho : float, default 0.5
        Correlation of attitude with the preference part of patronage.
    delta : float, default 1.2
        Patronage boost from convenience / lock-in (in sd of ``e``).
    base_rate, rate_sd : float
        Weekly purchase rate at ``P = 0`` and its log-scale sensitivity to ``P``.
    base_churn, churn_attitude, lock_in_hazard : float
        Weekly background defection hazard, its attitude sensitivity and the
        multiplier for convenience customers.
    p_complaint : float, default 0.3
        Share of customers who meet a service failure.
    competitor_week : int, default 78
        Week of the competitor's promotion (set beyond ``weeks`` to switch off).
    n_categories : int, default 6
        Product categories (at most 6).

    Returns
    -------
    JointLoyaltySimulation

    Raises
    ------
    CRMDataError
        A parameter outside its range, or a survey without ids / latent attitude.

    References
    ----------
    Dick, A. S. & Basu, K. (1994). Customer loyalty: toward an integrated
    conceptual framework. *Journal of the Academy of Marketing Science*, 22(2), 99-113.

    Examples
    --------
    >>> world = simulate_loyalty_joint(n_customers=200, seed=3)
    >>> sorted(world.customers["true_segment"].unique())[:2]
    ['latent loyalty', 'no loyalty']
    >>> world.transactions["customer_id"].isin(world.survey["customer_id"]).all()
    np.True_
    """
    checks = {
        "weeks": weeks >= 2, "acquisition_weeks": 1 <= acquisition_weeks < weeks,
        "p_convenience": 0 <= p_convenience <= 1, "rho": -1 <= rho <= 1,
        "base_rate": base_rate > 0, "rate_sd": rate_sd >= 0, "base_churn": base_churn >= 0,
        "lock_in_hazard": lock_in_hazard >= 0, "p_complaint": 0 <= p_complaint <= 1,
        "n_categories": 1 <= n_categories <= len(_CATEGORIES),
    }
    bad = [k for k, ok in checks.items() if not ok]
    if bad:
        raise CRMDataError(f"simulate_loyalty_joint: parameter(s) out of range: {bad}.")
    if survey is None:
        survey = simulate_restaurant_survey(n_customers, 40, seed=seed)
    if not isinstance(survey, SurveySimulation):
        raise CRMDataError("simulate_loyalty_joint: survey must be the SurveySimulation returned by simulate_restaurant_survey().")
    truth = survey.customers
    for col in ("customer_id", "latent_attitude"):
        if col not in truth.columns:
            raise CRMDataError(f"simulate_loyalty_joint: survey.customers lacks column {col!r}.")
    # A separate stream, so the same survey seed gives an independent log.
    rng = np.random.default_rng(
        [int(seed) if isinstance(seed, (int, np.integer)) else 0, 5]
    ) if not isinstance(seed, np.random.Generator) else seed

    ids = truth["customer_id"].to_numpy()
    n = len(ids)
    att = truth["latent_attitude"].to_numpy(dtype=float)

    # 2-3. convenience and patronage; truth at the medians of the base
    conv = rng.random(n) < p_convenience
    pat = rho * att + np.sqrt(1 - rho**2) * rng.standard_normal(n) + delta * conv
    a_high = att > np.median(att)
    p_high = pat > np.median(pat)
    seg = np.where(a_high, np.where(p_high, _SEGMENTS[0], _SEGMENTS[1]),
                   np.where(p_high, _SEGMENTS[2], _SEGMENTS[3]))

    # 4-5. lifetimes: acquisition, background defection, complaint, competitor
    acq = rng.uniform(0, acquisition_weeks, n)
    hazard = base_churn * np.exp(-churn_attitude * att) * np.where(conv, lock_in_hazard, 1.0)
    with np.errstate(divide="ignore"):
        life = np.where(hazard > 0, rng.exponential(1 / np.where(hazard > 0, hazard, 1.0)), np.inf)
    end = acq + life
    cause = np.where(end < weeks, "background", "").astype(object)

    complaint = rng.random(n) < p_complaint
    c_time = acq + rng.uniform(0, 1, n) * (np.minimum(end, weeks) - acq)
    complaint &= c_time < np.minimum(end, weeks)
    leave_c = complaint & (rng.random(n) < _logistic(-1 - 2 * att))
    end = np.where(leave_c & (c_time < end), c_time, end)
    cause = np.where(leave_c & (end == c_time), "complaint", cause)

    exposed = (acq <= competitor_week) & (end > competitor_week) & (competitor_week < weeks)
    leave_p = exposed & (rng.random(n) < _logistic(-0.5 - 1.5 * att - 2 * conv))
    end = np.where(leave_p, float(competitor_week), end)
    cause = np.where(leave_p, "competitor", cause)
    active_end = end >= weeks
    cause = np.where(active_end, "", cause)

    # 4. purchases: first at acquisition, then Poisson while active
    rate = base_rate * np.exp(rate_sd * pat)
    stop = np.minimum(end, weeks)
    n_rep = rng.poisson(rate * np.maximum(stop - acq, 0))
    owner = np.repeat(np.arange(n), n_rep)
    times = acq[owner] + rng.uniform(0, 1, owner.size) * (stop - acq)[owner]
    owner = np.concatenate([np.arange(n), owner])
    times = np.concatenate([acq, times])

    # 6. categories and spend
    open_k = 1 + rng.binomial(n_categories - 1, _logistic(0.8 * att))
    pick = np.floor(rng.uniform(0, 1, owner.size) * open_k[owner]).astype(int)
    # each customer's own order of categories, so breadth is not always the same few
    perm = np.argsort(rng.random((n, n_categories)), axis=1)
    cat_idx = perm[owner, pick]
    mean_spend = 25 * np.exp(0.15 * att)
    spend = np.round(rng.gamma(4.0, mean_spend[owner] / 4.0), 2)

    t0 = pd.Timestamp(start)
    days = np.floor(times * 7).astype("int64")
    tx = pd.DataFrame({
        "customer_id": ids[owner],
        "date": t0 + pd.to_timedelta(days, unit="D"),
        "category": np.array(_CATEGORIES)[cat_idx],
        "amount": spend,
    }).sort_values(["customer_id", "date"], kind="stable").reset_index(drop=True)

    ev_c = pd.DataFrame({"customer_id": ids[complaint], "event": "complaint",
                         "date": t0 + pd.to_timedelta(np.floor(c_time[complaint] * 7).astype("int64"), unit="D")})
    ev_p = pd.DataFrame({"customer_id": ids[exposed], "event": "competitor_offer",
                         "date": t0 + pd.Timedelta(days=7 * competitor_week)})
    events = pd.concat([ev_c, ev_p], ignore_index=True).sort_values(["customer_id", "date"],
                                                                     kind="stable").reset_index(drop=True)

    customers = pd.DataFrame({
        "customer_id": ids,
        "latent_attitude": att,
        "convenience": conv,
        "patronage_propensity": pat,
        "purchase_rate": rate,
        "true_attitude_high": a_high,
        "true_patronage_high": p_high,
        "true_segment": pd.Categorical(seg, categories=list(_SEGMENTS)),
        "active_at_end": active_end,
        "defection_week": np.where(active_end, np.nan, end),
        "defection_cause": cause.astype(str),
    })
    params = {
        "simulator": "crm_analysis.simulate.simulate_loyalty_joint",
        "survey": survey.params.get("simulator", "") + f"(n_customers={n}, seed={survey.params.get('seed')})",
        "seed": seed if isinstance(seed, (int, type(None))) else "Generator",
        "weeks": weeks, "start": start, "acquisition_weeks": acquisition_weeks,
        "p_convenience": p_convenience, "rho": rho, "delta": delta, "base_rate": base_rate,
        "rate_sd": rate_sd, "base_churn": base_churn, "churn_attitude": churn_attitude,
        "lock_in_hazard": lock_in_hazard, "p_complaint": p_complaint,
        "competitor_week": competitor_week, "n_categories": n_categories,
    }
    return JointLoyaltySimulation(
        survey=survey.data.copy(), transactions=tx, events=events, customers=customers, params=params
    )
