"""Discounting: the one place where money later is turned into money now.

Every valuation of the package (CLV of a fitted BTYD model, rebirth CLV of a
won-back customer, the expected lifetime of the equity decomposition, the
client report's CLV column, the fee-policy equity of the brokerage simulator)
discounts with the functions below, so that a convention is chosen by an
argument, never by which module happens to compute the value.

A discount rate ``d`` is quoted for ``periods_per_year`` periods (one year):
one unit received ``t`` periods from now is worth

    ``(1 + d) ** (-t / periods_per_year)``

now (compound discounting, exactly equivalent to the annual rate; the
equivalent rate per period is :func:`period_rate`).  With
``periods_per_year=1`` the rate is simply *per period*, as in the models whose
time axis is the discount period itself.

Where in a period the cash flow of that period falls (``timing``):

``"end"``
    Period k (k = 1, 2, ...) pays at t = k.  The convention of CLV from a
    purchase model (the purchases of period k are all in by its end; Fader,
    Hardie & Lee 2005b) and of the expected lifetime of the equity
    decomposition (one unit per period survived, paid at the period's end).
``"start"``
    Period k pays at t = k - 1: the first payment is undiscounted.  The
    convention of the retention-economics formulas (Gupta & Lehmann 2003:
    ``CLV = m (1 + d) / (1 + d - r)``), of rebirth CLV (the first second-life
    margin is earned on reactivation), of the sBG DEL/DERL of Fader & Hardie
    (the period about to be renewed counts undiscounted) and of the yearly
    fee-policy equity.
``"middle"``
    Period k pays at t = k - 1/2: cash flows spread evenly over the period
    (the usual mid-year convention of valuation practice), between the two.

References
----------
Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005b). RFM and CLV: Using
iso-value curves for customer base analysis. *Journal of Marketing Research*
42(4), 415-430.
Gupta, S. & Lehmann, D. R. (2003). Customers as assets. *Journal of
Interactive Marketing* 17(1), 9-24.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .errors import CRMDataError

__all__ = ["period_rate", "discount_factors", "increment_weights",
           "present_value_of_increments", "geometric_annuity"]

#: Where in a period its cash flow falls, and how far before the period's end (in periods).
TIMINGS = {"end": 0.0, "middle": 0.5, "start": 1.0}


def _check_rate(discount_rate, periods_per_year, where: str) -> None:
    rate = np.asarray(discount_rate, dtype=float)
    if not np.all(np.isfinite(rate)) or np.any(rate < 0):
        raise CRMDataError(f"{where}: discount_rate must be a finite rate >= 0, got {discount_rate!r}.")
    if not np.isfinite(periods_per_year) or periods_per_year <= 0:
        raise CRMDataError(
            f"{where}: periods_per_year must be a positive number, got {periods_per_year!r}.")


def _shift(timing: str, where: str) -> float:
    if timing not in TIMINGS:
        raise CRMDataError(f"{where}: timing must be one of {sorted(TIMINGS)}, got {timing!r}.")
    return TIMINGS[timing]


def period_rate(discount_rate: float, periods_per_year: float) -> float:
    """The rate per period that compounds to ``discount_rate`` over a year.

    ``(1 + d) ** (1 / periods_per_year) - 1``: discounting ``periods_per_year``
    periods at this rate is the same as one year at ``discount_rate`` (not
    ``d / periods_per_year``, which compounds to more than ``d``).

    Parameters
    ----------
    discount_rate : float
        Annual rate as a decimal (0.1 = 10 % a year).
    periods_per_year : float
        Discount periods in a year (52 weekly, 12 monthly).

    Returns
    -------
    float
        Rate per period as a decimal.

    Raises
    ------
    CRMDataError
        Negative or non-finite rate, non-positive ``periods_per_year``.

    Examples
    --------
    >>> round(period_rate(0.10, 52), 6)   # 10 % a year is 0.18 % a week
    0.001835
    >>> round((1 + period_rate(0.10, 12)) ** 12 - 1, 12)
    0.1
    """
    _check_rate(discount_rate, periods_per_year, "period_rate")
    return (1 + discount_rate) ** (1 / periods_per_year) - 1


def discount_factors(
    n_periods: int,
    discount_rate: float,
    *,
    periods_per_year: float,
    timing: str = "end",
    delay: float = 0.0,
) -> np.ndarray:
    """Present value of one unit paid in each of the next ``n_periods`` periods.

    Factor of period k (k = 1..n) is ``(1 + d) ** (-(k - s + delay) / periods_per_year)``
    with s = 0, 1/2, 1 for ``timing`` "end", "middle", "start" (see the module
    docstring for which valuation uses which, and why).

    Parameters
    ----------
    n_periods : int
        Number of periods (>= 0).
    discount_rate : float
        Rate over ``periods_per_year`` periods (per period when it is 1).
    periods_per_year : float
        Periods in a year: 52 for weekly cash flows discounted at an annual
        rate, 1 when ``discount_rate`` is already per period.
    timing : {"end", "middle", "start"}, default "end"
        Where in its period each cash flow falls.
    delay : float, default 0.0
        Periods before the first period starts (e.g. a reactivation lag).

    Returns
    -------
    ndarray
        ``n_periods`` factors, each in (0, 1].

    Raises
    ------
    CRMDataError
        Negative ``n_periods`` or ``delay``, bad rate, unknown ``timing``.

    Examples
    --------
    >>> discount_factors(3, 0.1, periods_per_year=1).round(4).tolist()
    [0.9091, 0.8264, 0.7513]
    >>> discount_factors(3, 0.1, periods_per_year=1, timing="start").round(4).tolist()
    [1.0, 0.9091, 0.8264]
    """
    where = "discount_factors"
    _check_rate(discount_rate, periods_per_year, where)
    shift = _shift(timing, where)
    if not isinstance(n_periods, (int, np.integer)) or n_periods < 0:
        raise CRMDataError(f"{where}: n_periods must be a whole number >= 0, got {n_periods!r}.")
    if not np.isfinite(delay) or delay < 0:
        raise CRMDataError(f"{where}: delay must be >= 0 periods, got {delay!r}.")
    t = np.arange(1, int(n_periods) + 1) - shift + delay
    return 1.0 / (1 + discount_rate) ** (t / periods_per_year)


def increment_weights(times, discount_rate: float, *, periods_per_year: float,
                      delay: float = 0.0) -> np.ndarray:
    """Weights that value a cumulative flow's increments from its values at ``times``.

    The present value of the increments of a cumulative flow ``C``, each paid
    at the end of its step (:func:`present_value_of_increments`), is linear in
    the values ``C(t_k)``:

        ``sum_k (C(t_k) - C(t_{k-1})) f_k = sum_k C(t_k) (f_k - f_{k+1})``

    with ``f_k = (1 + d) ** (-(t_k + delay) / periods_per_year)``, ``C(t_0) = 0``
    and ``f_{K+1} = 0``.  The weights ``f_k - f_{k+1}`` are all >= 0 (no
    cancellation), and a model that can evaluate its cumulative flow at every
    time point at once values it with one weighted sum
    (:func:`crm_analysis.customer_lifetime_value` for BTYD models).

    Parameters
    ----------
    times : sequence of float
        Increasing time points ``t_1 < t_2 < ...`` (> 0), in periods.
    discount_rate : float
        Rate over ``periods_per_year`` periods (per period when it is 1).
    periods_per_year : float
        Periods in a year, or 1 when ``discount_rate`` is per period.
    delay : float, default 0.0
        Periods that pass before time 0 of the flow.

    Returns
    -------
    ndarray
        One weight per time point.

    Raises
    ------
    CRMDataError
        Bad rate, no time points, time points not increasing and positive.

    Examples
    --------
    >>> w = increment_weights([1, 2, 3], 0.1, periods_per_year=1)
    >>> flow = 2.0 * np.array([1, 2, 3])   # 2 a period, accrued evenly
    >>> round(float(w @ flow), 4)          # 2 x (1/1.1 + 1/1.1^2 + 1/1.1^3)
    4.9737
    >>> increment_weights([1, 2, 3], 0.0, periods_per_year=1).tolist()  # undiscounted: C(t_K)
    [0.0, 0.0, 1.0]
    """
    return _increment_weights(times, discount_rate, periods_per_year, delay, "increment_weights")


def _increment_weights(times, discount_rate, periods_per_year, delay, where: str) -> np.ndarray:
    _check_rate(discount_rate, periods_per_year, where)
    t = np.asarray(times, dtype=float)
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)) or t[0] <= 0 \
            or np.any(np.diff(t) <= 0):
        raise CRMDataError(f"{where}: times must be increasing positive time points, got {times!r}.")
    if not np.isfinite(delay) or delay < 0:
        raise CRMDataError(f"{where}: delay must be >= 0 periods, got {delay!r}.")
    factors = 1.0 / (1 + discount_rate) ** ((t + delay) / periods_per_year)
    return factors - np.append(factors[1:], 0.0)


def present_value_of_increments(
    cumulative: Callable[[float], np.ndarray],
    times,
    discount_rate: float,
    *,
    periods_per_year: float,
    delay: float = 0.0,
) -> np.ndarray:
    """Discounted sum of the increments of a cumulative flow, each paid at the end of its step.

    ``sum_k (C(t_k) - C(t_{k-1})) / (1 + d) ** ((t_k + delay) / periods_per_year)``
    with ``C(t_0) = 0``: what accrues between two time points (expected
    purchases of a BTYD model between ``t_{k-1}`` and ``t_k``) is paid at the
    later one ("end" timing).  CLV of a fitted purchase model
    (:func:`crm_analysis.customer_lifetime_value`, whole discount periods) and
    rebirth CLV of a won-back customer (:func:`crm_analysis.rebirth_clv_btyd`,
    steps of several model periods at an annual rate) are both this sum.

    Parameters
    ----------
    cumulative : callable
        ``cumulative(t)`` returns the flow accrued from 0 to ``t`` (one value
        per customer, all calls the same length); called once per time point.
    times : sequence of float
        Increasing time points ``t_1 < t_2 < ...`` (> 0), in periods.
    discount_rate : float
        Rate over ``periods_per_year`` periods (per period when it is 1).
    periods_per_year : float
        Periods in a year, or 1 when ``discount_rate`` is per period.
    delay : float, default 0.0
        Periods that pass before time 0 of ``cumulative`` (e.g. reactivation).

    Returns
    -------
    ndarray
        Present value per customer.

    Raises
    ------
    CRMDataError
        Bad rate, no time points, time points not increasing and positive.

    Examples
    --------
    >>> import numpy as np
    >>> flow = lambda t: np.array([2.0 * t])   # 2 a period, accrued evenly
    >>> pv = present_value_of_increments(flow, [1, 2, 3], 0.1, periods_per_year=1)
    >>> round(float(pv[0]), 4)   # 2 x (1/1.1 + 1/1.1^2 + 1/1.1^3)
    4.9737
    """
    weights = _increment_weights(times, discount_rate, periods_per_year, delay,
                                 "present_value_of_increments")
    total = 0.0
    for edge, weight in zip(np.asarray(times, dtype=float), weights, strict=True):
        total = total + weight * np.asarray(cumulative(edge), dtype=float)
    return np.asarray(total, dtype=float)


def geometric_annuity(
    retention,
    discount_rate: float,
    *,
    horizon: int | None = None,
    timing: str = "end",
):
    """Present value of one unit per period while a relationship survives, retention constant.

    ``sum_{k=1..H} r^(k-1) x factor_k`` with the factors of
    :func:`discount_factors` (rate per period): a relationship alive in
    period 1 survives to period k with probability ``r^(k-1)``.  In closed
    form, with ``q = r / (1 + d)``,

    * ``"end"``: ``(1 - q^H) / (1 + d - r)``, and ``1 / (1 + d - r)`` with no horizon;
    * ``"start"``: ``(1 + d)`` times that (each payment one period earlier);
    * ``"middle"``: ``(1 + d) ** 0.5`` times that.

    At ``q = 1`` (retention 1 - never leaving - with no discounting) the
    finite sum is its limit ``H / (1 + d)`` ("end").  The expected lifetime of
    :func:`crm_analysis.expected_lifetime` is the "end" case; the constant-
    retention rebirth CLV of :func:`crm_analysis.rebirth_clv` the "start" case.

    Parameters
    ----------
    retention : float or array
        Probability of surviving one more period (in [0, 1]).
    discount_rate : float
        Discount rate per period (>= 0).
    horizon : int, optional
        Periods counted; unlimited when omitted (needs ``r < 1 + d``).
    timing : {"end", "middle", "start"}, default "end"

    Returns
    -------
    float or ndarray
        Like ``retention``.

    Raises
    ------
    CRMDataError
        Bad rate or timing, horizon not a positive whole number.

    Examples
    --------
    >>> round(geometric_annuity(0.8, 0.1), 4)          # 1 / (1.1 - 0.8)
    3.3333
    >>> round(geometric_annuity(0.8, 0.1, timing="start"), 4)   # 1.1 / 0.3
    3.6667
    """
    where = "geometric_annuity"
    _check_rate(discount_rate, 1.0, where)
    shift = _shift(timing, where)
    if horizon is not None and (not isinstance(horizon, (int, np.integer)) or horizon <= 0):
        raise CRMDataError(f"{where}: horizon must be a positive whole number of periods, "
                           f"got {horizon!r}.")
    r = np.asarray(retention, dtype=float)
    q = r / (1 + discount_rate)
    with np.errstate(divide="ignore", invalid="ignore"):
        if horizon is None:
            out = 1 / (1 + discount_rate - r)
        else:
            # (1 - q^H) / (1 + d - r); the limit at q = 1 is H / (1 + d).
            out = np.where(np.isclose(q, 1.0), horizon / (1 + discount_rate),
                           (1 - q**horizon) / (1 + discount_rate - r))
    if shift:
        out = out * (1 + discount_rate) ** shift
    return float(out) if np.ndim(retention) == 0 else out
