"""Simulated restaurant satisfaction survey with known drivers (C7, C10, C11, service-profit chain).

No public data set pairs attribute ratings, context (lunch or dinner), loyalty
items and branch employee satisfaction for the same customers, so this module
simulates one restaurant chain whose generating process is written down here
and whose truth is returned with the data.  The key-driver analyses of
:mod:`crm_analysis.drivers` must recover that truth; the loyalty analyses join
the per-customer latent attitude to a simulated transaction log on the same
``customer_id`` values.

Generating process (one response per customer)
----------------------------------------------
1. **Branches.**  Each branch ``b`` has a latent employee satisfaction
   ``E_b ~ N(0, 1)``; the branch's employee-survey mean on the 1-10 scale is
   ``6.5 + 1.2 E_b`` plus survey noise (sd 0.25), rounded to one decimal
   (column ``employee_satisfaction``).  Branch service quality is
   ``Q_b = a E_b + sqrt(1 - a^2) u_b`` with ``a = employee_to_service``.
2. **Customers.**  Each customer visits one branch (uniformly) in one context
   (``P(lunch) = 0.5``) and has a halo ``h_i ~ N(0, 1)`` that colours all
   ratings.  Attribute ``j`` has latent perception
   ``z_ij = m_j + halo h_i + q_j Q_b + sqrt(1 - halo^2) e_ij`` where ``m_j`` is the
   attribute's ``mean_shift`` (how well the chain performs on it) and ``q_j`` is
   ``service_to_people`` for the *people* attributes, ``service_to_systems``
   for the *systems* attributes and 0 for *value*.
3. **Ratings.**  ``rating = clip(round(7.1 + 1.7 (z - 0.12 (z^2 - 1))), 1, 10)``:
   the quadratic term skews the scale to the left and the ceiling piles
   responses at 9-10, as real satisfaction surveys do.
4. **Overall satisfaction.**  Latent ``S*_i = sum_j w_j(context) f_j(z_ij) + noise``
   with the context-specific weights of :data:`SURVEY_ATTRIBUTES` and
   ``f_j(z) = z`` for *performance* attributes, ``f_j(z) = min(z - k_b, 0)``
   for the *basic* attribute (only a poor rating hurts; ``k_b`` is the latent
   value of a rating of 6) and ``f_j(z) = max(z - k_d, 0)`` for the *delight*
   attribute (only an outstanding rating helps; ``k_d`` is the latent value
   of a rating of 9).  The noise sd is ``satisfaction_noise``.  ``S*`` is
   standardised and written on the 1-10 scale like a rating
   (``overall_satisfaction``).
5. **Loyalty attitude.**  The per-customer latent attitude is
   ``A_i = c S*_i + sqrt(1 - c^2) v_i`` with ``c = satisfaction_to_loyalty``
   (employee satisfaction has no direct path to loyalty).  The C10 items are
   noisy indicators of ``A``: ``initiative`` (loading 0.65), ``repurchase_intent``
   (0.85), ``recommend`` (0.85, 0-10 scale) and ``resistance_to_switching``
   (0.60), plus ``overall_satisfaction`` itself.

The truth returned: the weights by context, each attribute's kind (basic,
performance, delight) and group (value, systems, people), the effect sizes of
the service-profit chain (latent scale) and, per customer, ``latent_satisfaction``
and ``latent_attitude`` (both mean 0, sd 1 in the population).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import CRMDataError

__all__ = ["SURVEY_ATTRIBUTES", "SurveySimulation", "simulate_restaurant_survey"]

#: The ten rated attributes: C11 group (value / systems / people), kind and the
#: true importance weights at lunch and at dinner (latent scale).  Speed leads
#: at lunch, ambience at dinner (C7); cleanliness is a basic attribute and the
#: personal touch (remembering a birthday, 002) a delight attribute.
SURVEY_ATTRIBUTES = pd.DataFrame(
    [
        # attribute, group, kind, lunch, dinner, mean shift, label
        ("speed", "systems", "performance", 0.50, 0.08, -0.35, "Speed of service"),
        ("order_accuracy", "systems", "performance", 0.26, 0.14, 0.25, "Order accuracy"),
        ("cleanliness", "systems", "basic", 0.45, 0.45, 0.40, "Cleanliness"),
        ("ambience", "systems", "performance", 0.04, 0.48, 0.20, "Ambience"),
        ("food_quality", "value", "performance", 0.32, 0.36, 0.10, "Food quality"),
        ("price_value", "value", "performance", 0.22, 0.11, -0.30, "Value for money"),
        ("menu_choice", "value", "performance", 0.07, 0.18, 0.35, "Menu choice"),
        ("staff_friendliness", "people", "performance", 0.16, 0.28, 0.05, "Staff friendliness"),
        ("staff_knowledge", "people", "performance", 0.10, 0.22, -0.15, "Staff knowledge"),
        ("personal_touch", "people", "delight", 0.70, 0.90, -0.30, "Personal touch"),
    ],
    columns=["attribute", "group", "kind", "weight_lunch", "weight_dinner", "mean_shift", "label"],
)

_ITEM_LOADINGS = {
    "initiative": 0.65,
    "repurchase_intent": 0.85,
    "recommend": 0.85,
    "resistance_to_switching": 0.60,
}

_LOC, _SCALE, _SKEW = 7.1, 1.7, 0.12


def _to_rating(z: np.ndarray, low: int = 1, high: int = 10, loc: float = _LOC) -> np.ndarray:
    # Left-skewed Likert mapping of a standard-normal latent (step 3 of the process).
    x = loc + _SCALE * (z - _SKEW * (z**2 - 1))
    return np.clip(np.round(x), low, high).astype(int)


def _rectified_sd(mu: np.ndarray, sd: np.ndarray, k: float) -> np.ndarray:
    """Sd of max(Z - k, 0) for Z ~ N(mu, sd^2) (moments of the rectified normal)."""
    from scipy.stats import norm

    a = (k - mu) / sd
    tail = norm.sf(a)
    m1 = sd * (norm.pdf(a) - a * tail)
    m2 = sd**2 * ((1 + a**2) * tail - a * norm.pdf(a))
    return np.sqrt(m2 - m1**2)


def _effects(
    attrs: pd.DataFrame, service_to_people: float, service_to_systems: float
) -> pd.DataFrame:
    """True standardised direct effects: weight x sd of f_j(z_j) (comparable across kinds)."""
    q = np.where(attrs["group"] == "people", service_to_people, 0.0)
    q = np.where(attrs["group"] == "systems", service_to_systems, q)
    sd = np.sqrt(1 + q**2)  # var(z_j) = halo^2 + q_j^2 var(Q) + (1 - halo^2), var(Q) = 1
    mu = attrs["mean_shift"].to_numpy()
    kind = attrs["kind"].to_numpy()
    sd_f = sd.copy()
    basic, delight = kind == "basic", kind == "delight"
    # min(z - k, 0) = -max(k - z, 0); k - z ~ N(k - mu, sd^2), rectified at 0
    k_b, k_d = _latent_for_rating(6), _latent_for_rating(9)
    sd_f[basic] = _rectified_sd(k_b - mu[basic], sd[basic], 0.0)
    sd_f[delight] = _rectified_sd(mu[delight], sd[delight], k_d)
    out = attrs.copy()
    out["effect_lunch"] = out["weight_lunch"] * sd_f
    out["effect_dinner"] = out["weight_dinner"] * sd_f
    return out


def _latent_for_rating(r: float) -> float:
    # Inverse of the skewed mapping at the lower edge of rating r (cut between r-1 and r).
    # Solve loc + s (z - k (z^2 - 1)) = r - 0.5 for the root near 0.
    k, c = _SKEW, (r - 0.5 - _LOC) / _SCALE
    # -k z^2 + z + k - c = 0
    return float((-1 + np.sqrt(1 + 4 * k * (k - c))) / (-2 * k))


@dataclass
class SurveySimulation:
    """Output of :func:`simulate_restaurant_survey`: the responses and the truth.

    Attributes
    ----------
    data : DataFrame
        One row per respondent: ``customer_id`` ("C00001", ...), ``branch_id``
        ("B01", ...), ``context`` ("lunch"/"dinner"), the ten attribute ratings
        (1-10), ``overall_satisfaction`` (1-10), the C10 items ``initiative``,
        ``repurchase_intent``, ``resistance_to_switching`` (1-10) and
        ``recommend`` (0-10), and the branch's ``employee_satisfaction``
        (1-10, one decimal).
    attributes : DataFrame
        :data:`SURVEY_ATTRIBUTES`: attribute, group, kind, true weights at lunch
        and dinner, latent mean shift (performance), label, and the true
        standardised effects ``effect_lunch``/``effect_dinner`` (weight x sd of
        the attribute's term in latent satisfaction).
    customers : DataFrame
        Per-customer truth: ``customer_id``, ``branch_id``, ``context``,
        ``latent_satisfaction`` and ``latent_attitude`` (population mean 0, sd 1).
    branches : DataFrame
        Per-branch truth: ``branch_id``, ``latent_employee_satisfaction``,
        ``service_quality``, ``employee_satisfaction`` (observed), ``n_responses``.
    params : dict
        The call (``n_customers``, ``n_branches``, ``seed``) and the effect sizes.
    """

    data: pd.DataFrame
    attributes: pd.DataFrame
    customers: pd.DataFrame
    branches: pd.DataFrame
    params: dict = field(default_factory=dict)

    @property
    def attribute_names(self) -> list[str]:
        """The rating columns, in :data:`SURVEY_ATTRIBUTES` order."""
        return list(self.attributes["attribute"])

    @property
    def groups(self) -> dict[str, str]:
        """Mapping attribute -> C11 group (value / systems / people)."""
        return dict(zip(self.attributes["attribute"], self.attributes["group"], strict=True))

    def true_ranking(self, context: str) -> list[str]:
        """Attributes ordered by their true standardised effect in ``context`` (largest first).

        The effect is ``weight x sd(f_j(z_j))`` (columns ``effect_lunch``,
        ``effect_dinner``), so that a kinked basic or delight attribute, which
        acts on only part of its range, is ranked by what it actually moves.
        """
        col = f"effect_{context}"
        if col not in self.attributes:
            raise CRMDataError(f"SurveySimulation.true_ranking: context {context!r}: must be 'lunch' or 'dinner'")
        return list(self.attributes.sort_values(col, ascending=False)["attribute"])

    def params_json(self) -> str:
        """Parameters and truth tables as JSON (what ``data/restaurant_survey_params.json`` holds)."""
        out = dict(self.params)
        out["attributes"] = self.attributes.to_dict(orient="records")
        return json.dumps(out, indent=2)

    def __iter__(self):
        # ``data, truth = simulate_restaurant_survey(...)`` also works.
        return iter((self.data, self))


def simulate_restaurant_survey(
    n_customers: int = 2000,
    n_branches: int = 40,
    *,
    seed: int | np.random.Generator | None = 0,
    p_lunch: float = 0.5,
    halo: float = 0.45,
    employee_to_service: float = 0.7,
    service_to_people: float = 0.5,
    service_to_systems: float = 0.3,
    satisfaction_noise: float = 0.5,
    satisfaction_to_loyalty: float = 0.7,
    weight_scale: dict[str, float] | None = None,
) -> SurveySimulation:
    """Simulate a restaurant chain's satisfaction survey with known drivers.

    The generating process is documented in the module docstring
    (:mod:`crm_analysis.simulate.survey`).  All data are **simulated**.

    Parameters
    ----------
    n_customers : int, default 2000
        Respondents, one response each; ids ``"C00001"``, ... (five digits,
        more when needed) so that a simulated transaction log can join them.
    n_branches : int, default 40
        Branches; ids ``"B01"``, ...
    seed : int or Generator, default 0
        Same seed, same survey.
    p_lunch : float, default 0.5
        Share of lunch visits.
    halo : float, default 0.45
        Loading of every attribute on the customer's general halo (makes the
        ratings correlated, as in real surveys).
    employee_to_service : float, default 0.7
        Path ``a``: branch employee satisfaction -> branch service quality (latent, standardised).
    service_to_people, service_to_systems : float
        Effect of branch service quality on the latent people / systems attribute perceptions.
    satisfaction_noise : float, default 0.5
        Sd of the unexplained part of latent overall satisfaction.
    satisfaction_to_loyalty : float, default 0.7
        Path ``b``: latent satisfaction -> latent loyalty attitude (correlation).
    weight_scale : dict, optional
        Multipliers of the true weights (lunch and dinner) by C11 group, e.g.
        ``{"people": 2.0}`` doubles the weight of the three people attributes.
        For sensitivity sweeps: which conclusions of a driver analysis are set
        by the assumed weights.  Keys among ``"value"``, ``"systems"``,
        ``"people"``; values >= 0.  Default: the weights of
        :data:`SURVEY_ATTRIBUTES` unchanged.

    Returns
    -------
    SurveySimulation
        ``.data`` (the responses) and the truth (``.attributes``, ``.customers``,
        ``.branches``, ``.params``).  Iterating gives ``(data, truth)``.

    Raises
    ------
    CRMDataError
        If a size is not a positive integer or a parameter is outside its range.

    Examples
    --------
    >>> sim = simulate_restaurant_survey(500, 10, seed=1)
    >>> sim.data.shape
    (500, 19)
    >>> sim.true_ranking("lunch")[0]
    'speed'

    References
    ----------
    Heskett, J. L., Jones, T. O., Loveman, G. W., Sasser, W. E. & Schlesinger, L. A. (1994).
    Putting the service-profit chain to work. *Harvard Business Review* 72(2), 164-174.
    Kano, N., Seraku, N., Takahashi, F. & Tsuji, S. (1984). Attractive quality and must-be
    quality. *Journal of the Japanese Society for Quality Control* 14(2), 39-48.
    """
    for name, v in (("n_customers", n_customers), ("n_branches", n_branches)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise CRMDataError(f"{name}: must be a positive integer, got {v!r}")
    for name, v in (
        ("p_lunch", p_lunch),
        ("halo", halo),
        ("employee_to_service", employee_to_service),
        ("satisfaction_to_loyalty", satisfaction_to_loyalty),
    ):
        if not 0 <= v <= 1:
            raise CRMDataError(f"{name}: must lie in [0, 1], got {v!r}")
    if satisfaction_noise <= 0:
        raise CRMDataError(f"satisfaction_noise: must be positive, got {satisfaction_noise!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    base = SURVEY_ATTRIBUTES
    if weight_scale is not None:
        unknown = set(weight_scale) - set(base["group"])
        if unknown or any(not np.isfinite(v) or v < 0 for v in weight_scale.values()):
            raise CRMDataError(
                "simulate_restaurant_survey: weight_scale must map groups among "
                f"{sorted(set(base['group']))} to finite multipliers >= 0, got {weight_scale!r}"
            )
        factor = base["group"].map(lambda g: float(weight_scale.get(g, 1.0)))
        base = base.assign(weight_lunch=base["weight_lunch"] * factor,
                           weight_dinner=base["weight_dinner"] * factor)
    attrs = _effects(base, service_to_people, service_to_systems)
    k = len(attrs)

    # 1. branches
    e_lat = rng.standard_normal(n_branches)
    emp_obs = np.clip(np.round(6.5 + 1.2 * e_lat + rng.normal(0, 0.25, n_branches), 1), 1, 10)
    a = employee_to_service
    quality = a * e_lat + np.sqrt(1 - a**2) * rng.standard_normal(n_branches)
    width = max(2, len(str(n_branches)))
    branch_ids = np.array([f"B{i + 1:0{width}d}" for i in range(n_branches)])

    # 2. customers and latent perceptions
    n = n_customers
    branch = rng.integers(0, n_branches, n)
    lunch = rng.random(n) < p_lunch
    h = rng.standard_normal(n)
    q = np.where(attrs["group"] == "people", service_to_people, 0.0)
    q = np.where(attrs["group"] == "systems", service_to_systems, q)
    z = (
        attrs["mean_shift"].to_numpy()[None, :]
        + halo * h[:, None]
        + quality[branch][:, None] * q[None, :]
        + np.sqrt(1 - halo**2) * rng.standard_normal((n, k))
    )
    ratings = _to_rating(z)

    # 4. overall satisfaction from the context-specific weights and kinked effects
    f = z.copy()
    kinds = attrs["kind"].to_numpy()
    k_basic, k_delight = _latent_for_rating(6), _latent_for_rating(9)
    f[:, kinds == "basic"] = np.minimum(z[:, kinds == "basic"] - k_basic, 0)
    f[:, kinds == "delight"] = np.maximum(z[:, kinds == "delight"] - k_delight, 0)
    w = np.where(
        lunch[:, None],
        attrs["weight_lunch"].to_numpy()[None, :],
        attrs["weight_dinner"].to_numpy()[None, :],
    )
    s_raw = (w * f).sum(axis=1) + satisfaction_noise * rng.standard_normal(n)
    s_lat = (s_raw - s_raw.mean()) / s_raw.std()
    overall = _to_rating(s_lat)

    # 5. loyalty attitude and the C10 items
    c = satisfaction_to_loyalty
    att = c * s_lat + np.sqrt(1 - c**2) * rng.standard_normal(n)
    items = {}
    for item, lam in _ITEM_LOADINGS.items():
        x = lam * att + np.sqrt(1 - lam**2) * rng.standard_normal(n)
        items[item] = _to_rating(x, 0, 10, loc=7.3) if item == "recommend" else _to_rating(x)

    width_c = max(5, len(str(n)))
    ids = np.array([f"C{i + 1:0{width_c}d}" for i in range(n)])
    context = np.where(lunch, "lunch", "dinner")
    data = pd.DataFrame({"customer_id": ids, "branch_id": branch_ids[branch], "context": context})
    for j, name in enumerate(attrs["attribute"]):
        data[name] = ratings[:, j]
    data["overall_satisfaction"] = overall
    data["initiative"] = items["initiative"]
    data["repurchase_intent"] = items["repurchase_intent"]
    data["recommend"] = items["recommend"]
    data["resistance_to_switching"] = items["resistance_to_switching"]
    data["employee_satisfaction"] = emp_obs[branch]

    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "branch_id": branch_ids[branch],
            "context": context,
            "latent_satisfaction": s_lat,
            "latent_attitude": att,
        }
    )
    branches = pd.DataFrame(
        {
            "branch_id": branch_ids,
            "latent_employee_satisfaction": e_lat,
            "service_quality": quality,
            "employee_satisfaction": emp_obs,
            "n_responses": np.bincount(branch, minlength=n_branches),
        }
    )
    params = {
        "simulator": "crm_analysis.simulate.simulate_restaurant_survey",
        "n_customers": int(n_customers),
        "n_branches": int(n_branches),
        "seed": seed if isinstance(seed, (int, type(None))) else "Generator",
        "p_lunch": p_lunch,
        "halo": halo,
        "employee_to_service": employee_to_service,
        "service_to_people": service_to_people,
        "service_to_systems": service_to_systems,
        "satisfaction_noise": satisfaction_noise,
        "satisfaction_to_loyalty": satisfaction_to_loyalty,
        "direct_employee_to_loyalty": 0.0,
        "item_loadings": dict(_ITEM_LOADINGS),
        **({} if weight_scale is None else {"weight_scale": dict(weight_scale)}),
        "basic_attribute": str(attrs.loc[kinds == "basic", "attribute"].iloc[0]),
        "delight_attribute": str(attrs.loc[kinds == "delight", "attribute"].iloc[0]),
        "rating_scale": {"loc": _LOC, "scale": _SCALE, "skew": _SKEW},
    }
    return SurveySimulation(
        data=data, attributes=attrs, customers=customers, branches=branches, params=params
    )
