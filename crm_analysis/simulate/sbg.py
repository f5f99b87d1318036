"""Simulated contract cohorts under the shifted-beta-geometric (sBG) model.

Used to check that :class:`crm_analysis.retention.SBGModel` recovers known
parameters, and to show what heterogeneity does to aggregate retention.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import CRMDataError

__all__ = ["SBGCohortSimulation", "simulate_sbg_cohort"]


@dataclass
class SBGCohortSimulation:
    """Output of :func:`simulate_sbg_cohort`.

    Attributes
    ----------
    survivors : ndarray
        Customers active at the start of periods 0..``periods`` (first value = cohort size).
    customers : DataFrame
        One row per customer: ``customer_id``, ``duration`` (the period T at
        whose end she left, or ``periods`` if still active), ``churned``
        (1 = left, 0 = active at the end, right-censored), ``theta`` (her
        true churn probability per period).
    alpha, beta : float
        The true parameters.
    seed : int or None
    """

    survivors: np.ndarray
    customers: pd.DataFrame
    alpha: float
    beta: float
    seed: int | None


def simulate_sbg_cohort(
    n_customers: int = 1000,
    *,
    alpha: float = 0.7,
    beta: float = 1.2,
    periods: int = 7,
    seed: int | np.random.Generator = 0,
) -> SBGCohortSimulation:
    """Simulate one cohort of contract customers who renew or leave each period.

    Generating process (Fader & Hardie 2007): customer i draws a churn
    probability ``theta_i ~ Beta(alpha, beta)`` once; at the end of each
    period she leaves with probability ``theta_i``, independently of the
    past, so her lifetime is geometric on 1, 2, ...  Observation stops after
    ``periods`` periods; customers still active then are right-censored.

    Parameters
    ----------
    n_customers : int, default 1000
    alpha, beta : float
        Beta parameters of the churn probability (positive).
    periods : int, default 7
        Periods observed.
    seed : int or Generator, default 0
        Same seed, same cohort.

    Returns
    -------
    SBGCohortSimulation

    Examples
    --------
    >>> sim = simulate_sbg_cohort(500, alpha=0.7, beta=1.2, periods=5, seed=1)
    >>> sim.survivors[0], len(sim.survivors)
    (np.int64(500), 6)
    """
    if alpha <= 0 or beta <= 0:
        raise CRMDataError(f"simulate_sbg_cohort: alpha and beta must be positive, got {alpha!r}, {beta!r}.")
    if n_customers < 1 or periods < 1:
        raise CRMDataError("simulate_sbg_cohort: n_customers and periods must be at least 1.")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    theta = rng.beta(alpha, beta, size=n_customers)
    # Geometric lifetimes on {1, 2, ...}; clip theta away from 0 for numpy.
    life = rng.geometric(np.clip(theta, 1e-12, 1.0))
    churned = (life <= periods).astype(int)
    duration = np.minimum(life, periods)
    survivors = np.array([(life > t).sum() for t in range(periods + 1)], dtype=np.int64)
    customers = pd.DataFrame({"customer_id": np.arange(1, n_customers + 1), "duration": duration,
                              "churned": churned, "theta": theta})
    return SBGCohortSimulation(survivors=survivors, customers=customers, alpha=alpha, beta=beta,
                               seed=seed if not isinstance(seed, np.random.Generator) else None)
