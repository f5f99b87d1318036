"""Simulated lost customers with exit-survey reasons, pre-exit behaviour and known true category.

No public data set records *why* customers left together with what they did
before leaving, so the win-back analysis of :mod:`crm_analysis.churn` is
demonstrated on this seeded simulation.  Every customer belongs to one of the
five defection categories of the textbook section *CRM goals: more, longer,
deeper* (seed 003), and the simulator returns that true category so that
:func:`crm_analysis.churn.classify_defection` can be scored against it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._deprecation import keyword_only
from ..errors import CRMDataError

__all__ = ["LostCustomers", "simulate_lost_customers", "LOST_CATEGORY_SHARES", "REASON_CODES_BY_CATEGORY"]

#: Share of each true category among lost customers (simulation default).
LOST_CATEGORY_SHARES = {
    "dropped": 0.10,
    "unmet_needs": 0.25,
    "competitor_value": 0.20,
    "price_seeker": 0.25,
    "changed_conditions": 0.20,
}

#: Exit-survey codes a customer of each true category gives (uniformly among them).
REASON_CODES_BY_CATEGORY = {
    "dropped": ["firm_terminated"],
    "unmet_needs": ["needs_not_met", "service_problem", "complaint_unresolved"],
    "competitor_value": ["better_product_elsewhere", "competitor_features"],
    "price_seeker": ["cheaper_elsewhere", "price_too_high"],
    "changed_conditions": ["moved", "life_stage_change"],
}

# Per true category: P(firm-termination flag), P(complaint / service failure in the
# last 90 days), P(number ported to a competitor), P(address change), the Beta
# parameters of the share of spend bought on discount, P(left within 30 days of a
# competitor price cut), weekly purchase rate, spend per purchase (US$), gross
# margin rate.  Chosen so that each behavioural signal is informative but noisy.
_PROFILE = {
    #                    firm  compl ported moved disc_ab   cut   rate  spend  margin
    "dropped":           (0.95, 0.10, 0.05, 0.03, (2, 8), 0.10, 0.10, 15.0, 0.02),
    "unmet_needs":       (0.00, 0.70, 0.40, 0.03, (2, 8), 0.10, 0.25, 40.0, 0.30),
    "competitor_value":  (0.00, 0.10, 0.80, 0.03, (2, 8), 0.10, 0.30, 45.0, 0.30),
    "price_seeker":      (0.00, 0.10, 0.80, 0.03, (6, 4), 0.70, 0.25, 30.0, 0.12),
    "changed_conditions": (0.00, 0.05, 0.10, 0.70, (2, 8), 0.10, 0.20, 40.0, 0.28),
}


@dataclass
class LostCustomers:
    """Output of :func:`simulate_lost_customers`.

    Attributes
    ----------
    data : DataFrame
        One row per lost customer (columns described in
        :func:`simulate_lost_customers`); no truth columns.
    truth : Series
        True defection category, indexed like ``data`` (same order).
    params : dict
        The generating parameters (shares, response and noise rates, profiles).
    """

    data: pd.DataFrame
    truth: pd.Series
    params: dict = field(default_factory=dict)

    def __iter__(self) -> Iterator:
        # ``data, truth = simulate_lost_customers(...)``
        return iter((self.data, self.truth))


@keyword_only("seed")
def simulate_lost_customers(
    n: int = 2000,
    *,
    seed: int | np.random.Generator | None = 0,
    shares: dict[str, float] | None = None,
    response_rate: float = 0.6,
    survey_noise: float = 0.1,
) -> LostCustomers:
    """Simulate lost customers with reason codes, behaviour before leaving and first life.

    Generating process (per customer, independently):

    1. True category drawn with probabilities ``shares`` (default
       :data:`LOST_CATEGORY_SHARES`).
    2. Exit survey: answered with probability ``response_rate``; a respondent
       gives one of their category's codes (:data:`REASON_CODES_BY_CATEGORY`),
       except with probability ``survey_noise`` a code of another category
       (people rationalise: "too expensive" is an easy answer).  5% of
       respondents answer ``"other"``.  Non-respondents have a missing code.
    3. Behaviour (category-specific rates in the module's ``_PROFILE``):
       firm-termination flag, complaint or service failure in the last 90
       days, number ported to a competitor, address change, share of spend
       bought on discount (Beta), and days between the latest competitor price
       cut and leaving (uniform 0-30 days if the exit followed a cut, else
       uniform 31-180).
    4. First life, in weeks: duration ``L ~ Gamma(2, 40)`` (mean 80 weeks),
       repeat purchases ``frequency ~ Poisson(rate * L)``, ``recency = L`` when
       frequency > 0 (else 0), ``T = L + gap`` with a silence before the loss
       of ``gap ~ U(8, 40)`` weeks; ``monetary_value`` is the mean spend per
       purchase (gamma, CV 0.3) and ``margin_rate`` the category's gross
       margin rate.  ``annual_margin`` = purchases per year x spend x margin
       rate in the first life.

    Parameters
    ----------
    n : int, default 2000
        Number of lost customers.
    seed : int or Generator
        Same seed, same customers.
    shares : dict, optional
        Category shares (keys of :data:`LOST_CATEGORY_SHARES`), normalised to 1.
    response_rate : float, default 0.6
        Probability of answering the exit survey.
    survey_noise : float, default 0.1
        Probability that a respondent names another category's reason.

    Returns
    -------
    LostCustomers
        ``data`` with columns ``customer_id``, ``reason_code``,
        ``firm_terminated``, ``complaint_90d``, ``ported_to_competitor``,
        ``relocated``, ``discount_share``, ``days_after_price_cut``,
        ``frequency``, ``recency``, ``T``, ``monetary_value``, ``margin_rate``,
        ``annual_margin``; ``truth`` (true category); ``params``.

    Raises
    ------
    CRMDataError
        ``n`` below 1, unknown category in ``shares`` or rates outside [0, 1].

    Examples
    --------
    >>> lost = simulate_lost_customers(500, seed=1)
    >>> len(lost.data), sorted(lost.truth.unique())[:2]
    (500, ['changed_conditions', 'competitor_value'])
    """
    if int(n) < 1:
        raise CRMDataError(f"simulate_lost_customers: n must be at least 1, got {n}.")
    shares = dict(LOST_CATEGORY_SHARES if shares is None else shares)
    unknown = set(shares) - set(LOST_CATEGORY_SHARES)
    if unknown:
        raise CRMDataError(
            f"shares: unknown categories {sorted(unknown)}; use {list(LOST_CATEGORY_SHARES)}."
        )
    for name, value in (("response_rate", response_rate), ("survey_noise", survey_noise)):
        if not 0 <= value <= 1:
            raise CRMDataError(f"simulate_lost_customers: {name} must be in [0, 1], got {value}.")
    rng = np.random.default_rng(seed)
    cats = list(shares)
    probs = np.array([shares[c] for c in cats], dtype=float)
    if (probs < 0).any() or probs.sum() <= 0:
        raise CRMDataError(f"simulate_lost_customers: shares must be non-negative and not all zero, got {shares}.")
    probs = probs / probs.sum()
    n = int(n)
    true = np.array(cats)[rng.choice(len(cats), size=n, p=probs)]

    prof = {k: np.array([_PROFILE[c][i] for c in true], dtype=float)
            for i, k in enumerate(["firm", "compl", "ported", "moved"])}
    disc_a = np.array([_PROFILE[c][4][0] for c in true], dtype=float)
    disc_b = np.array([_PROFILE[c][4][1] for c in true], dtype=float)
    p_cut, rate, spend, margin = (
        np.array([_PROFILE[c][i] for c in true], dtype=float) for i in (5, 6, 7, 8)
    )

    # Exit survey.
    all_codes = [(c, code) for c, codes in REASON_CODES_BY_CATEGORY.items() for code in codes]
    responded = rng.random(n) < response_rate
    noisy = rng.random(n) < survey_noise
    other = rng.random(n) < 0.05
    codes = np.empty(n, dtype=object)
    for i in range(n):
        if not responded[i]:
            codes[i] = None
        elif other[i]:
            codes[i] = "other"
        elif noisy[i]:
            pool = [code for c, code in all_codes if c != true[i]]
            codes[i] = pool[rng.integers(len(pool))]
        else:
            own = REASON_CODES_BY_CATEGORY[true[i]]
            codes[i] = own[rng.integers(len(own))]

    after_cut = rng.random(n) < p_cut
    days_after_cut = np.where(after_cut, rng.uniform(0, 30, n), rng.uniform(31, 180, n)).round()

    life = rng.gamma(2.0, 40.0, n)
    frequency = rng.poisson(rate * life).astype(float)
    recency = np.where(frequency > 0, life, 0.0)
    T = life + rng.uniform(8, 40, n)
    monetary = rng.gamma(1 / 0.3**2, spend * 0.3**2)
    annual_margin = rate * 52 * monetary * margin

    data = pd.DataFrame(
        {
            "customer_id": np.arange(1, n + 1),
            "reason_code": pd.array(codes, dtype="object"),
            "firm_terminated": (rng.random(n) < prof["firm"]).astype(int),
            "complaint_90d": (rng.random(n) < prof["compl"]).astype(int),
            "ported_to_competitor": (rng.random(n) < prof["ported"]).astype(int),
            "relocated": (rng.random(n) < prof["moved"]).astype(int),
            "discount_share": rng.beta(disc_a, disc_b).round(3),
            "days_after_price_cut": days_after_cut,
            "frequency": frequency,
            "recency": recency.round(2),
            "T": T.round(2),
            "monetary_value": monetary.round(2),
            "margin_rate": margin,
            "annual_margin": annual_margin.round(2),
        }
    )
    truth = pd.Series(true, index=data.index, name="true_category")
    params = {
        "shares": dict(zip(cats, probs.tolist(), strict=True)),
        "response_rate": response_rate,
        "survey_noise": survey_noise,
        "profile": _PROFILE,
        "seed": seed if isinstance(seed, int) else None,
    }
    return LostCustomers(data=data, truth=truth, params=params)
