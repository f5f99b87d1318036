"""Forecasts a researcher can trust: predictive distributions, intervals and saved models.

The fitted buy-till-you-die models of :mod:`crm_analysis.clv` give point
forecasts (expected purchases, P(alive), CLV).  This module adds what a
researcher or a manager needs around them:

* **Predictive distributions** of the number of purchases:
  :func:`probability_of_n_purchases` (a new customer's distribution of repeat
  purchases in ``t``), :func:`conditional_probability_of_n_purchases` (the
  same for a customer with history ``x, t_x, T``), :func:`p_alive_after_silence`
  (P(alive) at a future date given no purchase until then) and
  :func:`count_distribution` (predicted vs actual histogram of holdout
  purchases, the classic check of Fader, Hardie & Lee 2005a, Figure 1).
* **Intervals** on what managers act on: :func:`draw_parameters` (draws from
  the asymptotic normal distribution of the log-parameters),
  :func:`parameter_interval` (any prediction under those draws),
  :func:`expected_purchases_interval`, :func:`p_alive_interval`,
  :func:`clv_interval` (per customer and customer equity) and
  :func:`purchases_predictive_interval` (counts: parameter uncertainty *and*
  the customer's own randomness); :func:`simulate_btyd_summary` simulates
  bases with known truth for coverage checks.
* **Saved models**: :func:`model_to_dict` / :func:`model_from_dict` (plain
  JSON, never pickle) for every fitted model of :mod:`crm_analysis.clv`,
  :class:`ScoringModel` (a transaction model, a spend model and the CLV
  settings) for ``crm-analysis score``.

Formulas: BG/NBD P(X(t)=x) is eq. 8 of Fader, Hardie & Lee (2005a); MBG/NBD
the same with dropout possible at time 0 (Batislam, Denizel & Filiztekin
2007); Pareto/NBD P(X(t)=x) is evaluated as a one-dimensional integral over
the time of dropout (equivalent to the Gaussian-hypergeometric expression of
Fader & Hardie's 2006 note, but without its cancellation for long horizons);
BG/BB is eq. 7 of Fader, Hardie & Shang (2010).  Conditional distributions
use that, given alive at ``T``, a customer is a new customer with updated
parameters: ``r + x, alpha + T`` and ``b + x`` (BG/NBD), ``b + x + 1``
(MBG/NBD), ``beta + T`` (Pareto/NBD), ``alpha + x, beta + n - x, delta + n``
(BG/BB).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import integrate
from scipy.special import betainc, betaln, gammaln

from ._checks import numeric_column, require_frame
from .clv import (
    BGBBModel,
    BTYDModel,
    SpendModel,
    customer_lifetime_value,
)
from .errors import CRMDataError
from .fitted import FORMAT_VERSION, FittedModel, decode_value, encode_value

__all__ = [
    "probability_of_n_purchases",
    "conditional_probability_of_n_purchases",
    "p_alive_after_silence",
    "count_distribution",
    "rank_holdout_value",
    "draw_parameters",
    "parameter_interval",
    "expected_purchases_interval",
    "p_alive_interval",
    "clv_interval",
    "ClvInterval",
    "purchases_predictive_interval",
    "simulate_btyd_summary",
    "model_to_dict",
    "model_from_dict",
    "save_model",
    "load_model",
    "ScoringModel",
]


# --------------------------------------------------------------------------------------
# predictive distributions
# --------------------------------------------------------------------------------------


def _counts(n, where: str) -> np.ndarray:
    ns = np.atleast_1d(np.asarray(n, dtype=float))
    if (ns < 0).any() or (np.abs(ns - np.round(ns)) > 0).any():
        raise CRMDataError(f"{where}: n must be non-negative whole numbers, got {n!r}.")
    return np.round(ns)


def _nb_pmf(n, r, alpha, t):
    """NBD probability of n events in t for gamma(r, alpha) Poisson rates (log space)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p = np.log(alpha) - np.log(alpha + t)
        log_q = np.log(t) - np.log(alpha + t)
        out = np.exp(gammaln(r + n) - gammaln(r) - gammaln(n + 1) + r * log_p + np.where(n > 0, n * log_q, 0.0))
    return np.where(np.asarray(t) == 0, (np.asarray(n) == 0).astype(float), out)


def _nb_sf(n, r, alpha, t):
    """P(N(t) > n) = I_{t/(alpha+t)}(n + 1, r) (regularised incomplete beta); 1 for n < 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = betainc(np.maximum(n, 0) + 1, r, t / (alpha + t))
    return np.where(n < 0, 1.0, out)


def _bgnbd_pmf(n, t, r, alpha, a, b, *, modified: bool = False):
    """P(X(t) = n) for a new BG/NBD (or MBG/NBD) customer; broadcasts."""
    shift = 1.0 if modified else 0.0
    alive = np.exp(betaln(a, b + n + shift) - betaln(a, b))
    # Died right after the n-th repeat purchase (MBG/NBD: also right after the first, n = 0).
    with np.errstate(invalid="ignore"):
        died = np.exp(betaln(a + 1, b + n - 1 + shift) - betaln(a, b))
    died = np.where((n > 0) | modified, died, 0.0)
    pmf = _nb_pmf(n, r, alpha, t)
    n_arr = np.asarray(n)
    if n_arr.ndim and n_arr.shape[-1] > 1 and np.array_equal(n_arr.reshape(-1, n_arr.shape[-1])[0],
                                                             np.arange(n_arr.shape[-1])):
        # Counts 0..K along the last axis: P(N > n - 1) = 1 - sum_{j < n} P(N = j), much
        # cheaper than the incomplete beta; the absolute error stays at rounding level.
        pmf_b = np.broadcast_to(pmf, np.broadcast_shapes(pmf.shape, np.shape(died)))
        sf = np.clip(1 - np.cumsum(pmf_b, axis=-1) + pmf_b, 0.0, 1.0)
    else:
        sf = _nb_sf(n - 1, r, alpha, t)
    return alive * pmf + died * sf


def _pareto_pmf(n, t, r, alpha, s, beta):
    """P(X(t) = n) for a new Pareto/NBD customer; broadcasts.

    Alive throughout: NBD(n; t) E[exp(-mu t)]; died at tau < t: NBD(n; tau)
    with the dropout-time density s/beta (beta/(beta+tau))^(s+1), integrated
    over tau = u t, u in [0, 1] by adaptive quadrature (smooth integrand).
    """
    n, t, r, alpha, s, beta = np.broadcast_arrays(*(np.asarray(v, float) for v in (n, t, r, alpha, s, beta)))
    survive = _nb_pmf(n, r, alpha, t) * np.exp(s * (np.log(beta) - np.log(beta + t)))

    def integrand(u):
        tau = u * t
        dens = s / beta * np.exp((s + 1) * (np.log(beta) - np.log(beta + tau)))
        return t * dens * _nb_pmf(n, r, alpha, tau)

    died, _ = integrate.quad_vec(integrand, 0.0, 1.0, epsabs=1e-14, epsrel=1e-11)
    return survive + died


def _bgbb_pmf(x, n, alpha, beta, gamma, delta):
    """P(X(n) = x) for a new BG/BB customer (Fader, Hardie & Shang 2010, eq. 7); broadcasts."""
    x, n, alpha, beta, gamma, delta = np.broadcast_arrays(
        *(np.asarray(v, float) for v in (x, n, alpha, beta, gamma, delta)))
    logc = gammaln(n + 1) - gammaln(x + 1) - gammaln(np.maximum(n - x, 0) + 1)
    with np.errstate(invalid="ignore"):
        out = np.where(x <= n, np.exp(logc + betaln(alpha + x, beta + n - x) - betaln(alpha, beta)
                                      + betaln(gamma, delta + n) - betaln(gamma, delta)), 0.0)
    # Died after opportunity i (x <= i < n): x transactions in the first i opportunities.
    top = int(np.max(n)) if n.size else 0
    for i in range(top):
        ok = (x <= i) & (i < n)
        if not ok.any():
            continue
        logci = gammaln(i + 1) - gammaln(x + 1) - gammaln(np.maximum(i - x, 0) + 1)
        with np.errstate(invalid="ignore"):
            term = np.exp(logci + betaln(alpha + x, beta + i - x) - betaln(alpha, beta)
                          + betaln(gamma + 1, delta + i) - betaln(gamma, delta))
        out = out + np.where(ok, term, 0.0)
    return out


def _new_pmf(model, n, t, params: dict):
    if isinstance(model, BGBBModel):
        return _bgbb_pmf(n, t, params["alpha"], params["beta"], params["gamma"], params["delta"])
    kind = model.model
    if kind in ("bgnbd", "mbgnbd"):
        return _bgnbd_pmf(n, t, params["r"], params["alpha"], params["a"], params["b"],
                          modified=kind == "mbgnbd")
    if kind == "pareto":
        return _pareto_pmf(n, t, params["r"], params["alpha"], params["s"], params["beta"])
    raise CRMDataError(f"probability_of_n_purchases: no predictive distribution for model {kind!r}.")


def _check_model(model, where: str) -> None:
    if not isinstance(model, (BTYDModel, BGBBModel)):
        raise CRMDataError(f"{where}: expects a fitted BTYDModel or BGBBModel, got {type(model).__name__}.")


def probability_of_n_purchases(model, t, n) -> float | pd.DataFrame:
    """Distribution of a new customer's repeat purchases in the first ``t`` time units.

    Parameters
    ----------
    model : BTYDModel or BGBBModel
        Fitted BG/NBD, MBG/NBD, Pareto/NBD or BG/BB (for BG/BB, ``t`` counts
        transaction opportunities).
    t : float or array
        Horizon(s) since the first purchase, in the model's time unit.
    n : int or array of int
        Number(s) of repeat purchases.

    Returns
    -------
    float or DataFrame
        P(X(t) = n): a float for scalar ``t`` and ``n``, otherwise a frame
        indexed by ``t`` with one column per ``n``.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005a), eq. 8 (BG/NBD).
    Fader, P. S. & Hardie, B. G. S. (2006). Deriving an expression for
    P(X(t) = x) under the Pareto/NBD model. Note, brucehardie.com.
    Fader, P. S., Hardie, B. G. S. & Shang, J. (2010), eq. 7 (BG/BB).

    Examples
    --------
    >>> from crm_analysis.clv import BTYDModel
    >>> bg = BTYDModel.from_params("bgnbd", [0.243, 4.414, 0.793, 2.426])
    >>> round(probability_of_n_purchases(bg, 39, 0), 7)
    0.5737864
    """
    _check_model(model, "probability_of_n_purchases")
    ns = _counts(n, "probability_of_n_purchases")
    ts = np.atleast_1d(np.asarray(t, dtype=float))
    if (ts < 0).any() or not np.isfinite(ts).all():
        raise CRMDataError(f"probability_of_n_purchases: t must be finite and >= 0, got {t!r}.")
    if isinstance(model, BGBBModel) and (np.abs(ts - np.round(ts)) > 0).any():
        raise CRMDataError("probability_of_n_purchases: BG/BB needs whole numbers of opportunities t.")
    params = model.params_.to_dict()
    out = _new_pmf(model, ns[None, :], ts[:, None], params)
    out = np.where(ts[:, None] == 0, (ns[None, :] == 0).astype(float), out)
    if np.ndim(t) == 0 and np.ndim(n) == 0:
        return float(out[0, 0])
    return pd.DataFrame(out, index=pd.Index(ts, name=f"t ({model.time_unit})"),
                        columns=pd.Index(ns.astype(int), name="n"))


def _history(model, data: pd.DataFrame, where: str, frequency, recency, T):
    """(x, t_x, T) arrays of ``data`` and the column names they came from (``*_cal`` found too)."""
    require_frame(data, where, empty="the summary is empty")
    keys = ("frequency", "recency", "n_periods") if isinstance(model, BGBBModel) else (
        "frequency", "recency", "T")
    arrays, names = [], []
    for key, name in zip(keys, (frequency, recency, T), strict=True):
        col = _name_in(data, name or model.columns[key])
        if col not in data.columns:
            raise CRMDataError(f"{where}: column {col!r} not found. Available: {list(data.columns)[:20]}.")
        arrays.append(numeric_column(data, col, where, specific=False).to_numpy(dtype=float))
        names.append(col)
    return arrays[0], arrays[1], arrays[2], names


def _name_in(data: pd.DataFrame, col: str) -> str:
    for candidate in (col, f"{col}_cal", col.removesuffix("_cal")):
        if candidate in data.columns:
            return candidate
    return col


def _p_alive(model, data, names) -> np.ndarray:
    """P(alive) at the end of each history (the model's own checks on the columns)."""
    last = "n_periods" if isinstance(model, BGBBModel) else "T"
    return model.p_alive(data, **dict(zip(("frequency", "recency", last), names, strict=True))).to_numpy()


def conditional_probability_of_n_purchases(
    model, t, n, data: pd.DataFrame, *, frequency: str | None = None, recency: str | None = None,
    T: str | None = None,
) -> pd.DataFrame:
    """Distribution of each customer's purchases in the next ``t``, given the history.

    A customer who has left buys nothing; one still alive at ``T`` buys like a
    new customer with parameters updated by the history, so

    P(X(T, T+t) = n | x, t_x, T) = (1 - P(alive)) [n = 0] + P(alive) P_new'(X(t) = n).

    Parameters
    ----------
    model : BTYDModel or BGBBModel
    t : float
        Horizon in model time units (opportunities for BG/BB).
    n : int or array of int
        Purchase counts.
    data : DataFrame
        Summary with frequency, recency and T (``n_periods`` for BG/BB; the
        ``*_cal`` columns are found automatically).
    frequency, recency, T : str, optional
        Column names (default: the model's).  For BG/BB ``T`` names the column
        of opportunities.

    Returns
    -------
    DataFrame
        Indexed like ``data``, one column per ``n``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crm_analysis.clv import BTYDModel
    >>> bg = BTYDModel.from_params("bgnbd", [0.243, 4.414, 0.793, 2.426])
    >>> one = pd.DataFrame({"frequency": [2.0], "recency": [30.43], "T": [38.86]})
    >>> p = conditional_probability_of_n_purchases(bg, 39, range(50), one)
    >>> round(float(p.sum(axis=1).iloc[0]), 6)
    1.0
    """
    _check_model(model, "conditional_probability_of_n_purchases")
    ns = _counts(n, "conditional_probability_of_n_purchases")
    t = float(t)
    if t < 0 or not np.isfinite(t):
        raise CRMDataError(f"conditional_probability_of_n_purchases: t must be finite and >= 0, got {t!r}.")
    x, tx, age, names = _history(model, data, "conditional_probability_of_n_purchases",
                                 frequency, recency, T)
    pa = _p_alive(model, data, names)
    if t == 0:
        out = np.tile((ns == 0).astype(float), (len(x), 1))
    else:
        p = model.params_.to_dict()
        col = x[:, None]
        if isinstance(model, BGBBModel):
            upd = {"alpha": p["alpha"] + col, "beta": p["beta"] + age[:, None] - col,
                   "gamma": p["gamma"], "delta": p["delta"] + age[:, None]}
            alive = _bgbb_pmf(ns[None, :], t, **upd)
        elif model.model in ("bgnbd", "mbgnbd"):
            shift = 1.0 if model.model == "mbgnbd" else 0.0
            # Given alive, the future is BG/NBD (dropout after each future purchase).
            alive = _bgnbd_pmf(ns[None, :], t, p["r"] + col, p["alpha"] + age[:, None], p["a"],
                               p["b"] + col + shift)
        else:
            alive = _pareto_pmf(ns[None, :], t, p["r"] + col, p["alpha"] + age[:, None], p["s"],
                                p["beta"] + age[:, None])
        out = pa[:, None] * alive + (1 - pa[:, None]) * (ns[None, :] == 0)
    return pd.DataFrame(out, index=data.index, columns=pd.Index(ns.astype(int), name="n"))


def p_alive_after_silence(model, t, data: pd.DataFrame, *, frequency: str | None = None,
                          recency: str | None = None, T: str | None = None) -> pd.Series:
    """P(alive) ``t`` time units from now if the customer makes no purchase until then.

    No purchase in (T, T + t] leaves frequency and recency unchanged and ages
    the customer by ``t``, so this is P(alive) at age ``T + t``; it falls with
    ``t`` and tells a retention team how long a silence is still normal.

    Parameters
    ----------
    model : BTYDModel or BGBBModel
    t : float
        Length of the silence (opportunities for BG/BB).
    data : DataFrame
        Customer summary.

    Returns
    -------
    Series
        ``p_alive_after_silence``, indexed like ``data``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crm_analysis.clv import BTYDModel
    >>> bg = BTYDModel.from_params("bgnbd", [0.243, 4.414, 0.793, 2.426])
    >>> one = pd.DataFrame({"frequency": [2.0], "recency": [30.43], "T": [38.86]})
    >>> bool(p_alive_after_silence(bg, 26, one).iloc[0] < bg.p_alive(one).iloc[0])
    True
    """
    _check_model(model, "p_alive_after_silence")
    if not np.isfinite(t) or t < 0:
        raise CRMDataError(f"p_alive_after_silence: t must be finite and >= 0, got {t!r}.")
    x, tx, age, _ = _history(model, data, "p_alive_after_silence", frequency, recency, T)
    later = pd.DataFrame({"frequency": x, "recency": tx, "age": age + t}, index=data.index)
    if isinstance(model, BGBBModel):
        out = model.p_alive(later, frequency="frequency", recency="recency", n_periods="age")
    else:
        out = model.p_alive(later, frequency="frequency", recency="recency", T="age")
    return out.rename("p_alive_after_silence")


def count_distribution(
    model,
    summary: pd.DataFrame,
    *,
    period: str = "holdout",
    max_count: int = 7,
    frequency: str = "frequency_cal",
    recency: str = "recency_cal",
    T: str = "T_cal",
    holdout: str = "frequency_holdout",
    duration: str = "duration_holdout",
) -> pd.DataFrame:
    """Predicted vs actual number of customers making 0, 1, 2, ... purchases.

    ``period="holdout"`` sums each customer's conditional distribution of
    holdout purchases given the calibration history (the model never saw the
    holdout); ``period="calibration"`` sums the new-customer distribution at
    each customer's age ``T`` against the calibration frequencies (Fader,
    Hardie & Lee 2005a, Figure 1).

    Parameters
    ----------
    model : BTYDModel
        Fitted on the calibration columns.
    summary : DataFrame
        Calibration/holdout summary of :func:`crm_analysis.rfm_summary`.
    period : {"holdout", "calibration"}
    max_count : int, default 7
        The last row pools ``max_count`` and more (label ``"7+"``).

    Returns
    -------
    DataFrame
        Indexed by count label: ``actual`` and ``predicted`` customers, and
        their shares ``actual_share`` and ``predicted_share``.
    """
    _check_model(model, "count_distribution")
    if period not in ("holdout", "calibration"):
        raise CRMDataError(f"count_distribution: period must be 'holdout' or 'calibration', got {period!r}.")
    if not isinstance(max_count, (int, np.integer)) or max_count < 1:
        raise CRMDataError(f"count_distribution: max_count must be a positive integer, got {max_count!r}.")
    require_frame(summary, "count_distribution", empty="the summary is empty")
    ns = np.arange(max_count)
    if period == "holdout":
        for col in (holdout, duration):
            if col not in summary.columns:
                raise CRMDataError(f"count_distribution: column {col!r} not found; pass the output of "
                                   "rfm_summary(..., calibration_end=...).")
        dur = numeric_column(summary, duration, "count_distribution", specific=False).to_numpy()
        if not np.allclose(dur, dur[0]):
            raise CRMDataError(f"count_distribution: column {duration!r}: holdout durations differ.")
        probs = conditional_probability_of_n_purchases(model, float(dur[0]), ns, summary,
                                                       frequency=frequency, recency=recency, T=T)
        actual = summary[holdout].to_numpy(float)
        pred = probs.to_numpy().sum(axis=0)
    else:
        x, _, age, _ = _history(model, summary, "count_distribution", frequency, recency, T)
        pred = np.zeros(max_count)
        ages, counts = np.unique(age, return_counts=True)
        table = probability_of_n_purchases(model, ages, ns)
        pred = (table.to_numpy() * counts[:, None]).sum(axis=0)
        actual = x
    n = len(summary)
    labels = [str(i) for i in range(max_count)] + [f"{max_count}+"]
    act = np.array([(actual == i).sum() for i in ns] + [(actual >= max_count).sum()], float)
    prd = np.concatenate([pred, [n - pred.sum()]])
    out = pd.DataFrame({"actual": act, "predicted": prd}, index=pd.Index(labels, name="purchases"))
    out["actual_share"] = out["actual"] / n
    out["predicted_share"] = out["predicted"] / n
    return out


def rank_holdout_value(rankings: dict[str, pd.Series] | pd.DataFrame, holdout_value: pd.Series, *,
                       top: float = 0.1) -> pd.DataFrame:
    """Which ranking of customers predicted what they were actually worth in a holdout period?

    For each ranking score (e.g. past revenue, CLV) the top ``top`` share of
    customers is taken and their share of the holdout value reported, with
    the Spearman correlation of score and holdout value over all customers.
    Ties in the score are broken by order of appearance, so the top group
    always has the same size.

    Parameters
    ----------
    rankings : dict of Series or DataFrame
        One score per customer for each ranking (higher = better).
    holdout_value : Series
        What each customer spent (or earned) in the holdout period; customers
        without holdout purchases must be present with 0.
    top : float, default 0.1
        Size of the top group (0.1 = top decile).

    Returns
    -------
    DataFrame
        One row per ranking: ``customers_top``, ``holdout_value_top``,
        ``share_of_holdout_value``, ``spearman``.

    Examples
    --------
    >>> import pandas as pd
    >>> hold = pd.Series([0.0, 10, 0, 30, 60])
    >>> t = rank_holdout_value({"a": pd.Series([5.0, 4, 3, 2, 1]), "b": pd.Series([1.0, 2, 3, 4, 5])},
    ...                        hold, top=0.2)
    >>> t["share_of_holdout_value"].tolist()
    [0.0, 0.6]
    """
    from scipy.stats import spearmanr

    if not 0 < top < 1:
        raise CRMDataError(f"rank_holdout_value: top must be a share between 0 and 1, got {top!r}.")
    frame = rankings if isinstance(rankings, pd.DataFrame) else pd.DataFrame(rankings)
    hold = pd.Series(holdout_value, dtype=float)
    missing = frame.index.difference(hold.index)
    if len(missing):
        raise CRMDataError(f"rank_holdout_value: {len(missing):,} customers have no holdout value "
                           f"(first: {list(missing[:5])}); give 0 to customers who bought nothing.")
    hold = hold.reindex(frame.index)
    if hold.isna().any() or frame.isna().any().any():
        raise CRMDataError("rank_holdout_value: missing values in the scores or the holdout value.")
    n_top = max(1, int(round(top * len(frame))))
    total = hold.sum()
    rows = {}
    for name in frame.columns:
        order = np.argsort(-frame[name].to_numpy(float), kind="stable")[:n_top]
        captured = float(hold.iloc[order].sum())
        rows[name] = {"customers_top": n_top, "holdout_value_top": captured,
                      "share_of_holdout_value": captured / total if total else np.nan,
                      "spearman": float(spearmanr(frame[name], hold).statistic)}
    return pd.DataFrame(rows).T.rename_axis("ranking")


# --------------------------------------------------------------------------------------
# intervals: parameter uncertainty and predictive distributions
# --------------------------------------------------------------------------------------


def _rng(seed):
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _check_level(level: float, where: str) -> None:
    if not 0 < level < 1:
        raise CRMDataError(f"{where}: level must be a share between 0 and 1, got {level!r}.")


def draw_parameters(model, n_draws: int = 1000, *, seed: int | np.random.Generator = 0) -> pd.DataFrame:
    """Parameter draws from the asymptotic normal distribution of the log-parameters.

    The maximum-likelihood estimate of log(theta) is approximately normal with
    covariance ``C_ij / (theta_i theta_j)`` (``C`` = ``model.covariance_``, the
    delta method); draws on the log scale stay positive, as every parameter
    of these models must.

    Parameters
    ----------
    model : fitted model of :mod:`crm_analysis.clv`
        With a finite ``covariance_`` (models built with ``from_params`` have none).
    n_draws : int, default 1000
    seed : int or Generator, default 0
        Same seed, same draws.

    Returns
    -------
    DataFrame
        ``n_draws`` rows, one column per parameter.

    Raises
    ------
    CRMDataError
        No usable covariance (undefined standard errors), or ``n_draws < 1``.

    Examples
    --------
    >>> import crm_analysis as crm
    >>> gg = crm.fit_gamma_gamma(crm.rfm_summary(crm.load_cdnow(), amount="amount"))
    >>> d = draw_parameters(gg, 2000, seed=1)
    >>> bool((d > 0).all().all()), d.shape
    (True, (2000, 3))
    """
    if not isinstance(n_draws, (int, np.integer)) or n_draws < 1:
        raise CRMDataError(f"draw_parameters: n_draws must be a positive integer, got {n_draws!r}.")
    params = model.params_.to_numpy(dtype=float)
    cov = model.covariance_.to_numpy(dtype=float)
    if not np.isfinite(cov).all():
        raise CRMDataError("draw_parameters: the model has no finite covariance matrix (standard errors "
                           "undefined, or built from published parameters); refit it on data.")
    cov_log = cov / np.outer(params, params)
    cov_log = (cov_log + cov_log.T) / 2
    draws = _rng(seed).multivariate_normal(np.log(params), cov_log, size=int(n_draws), method="eigh")
    return pd.DataFrame(np.exp(draws), columns=model.params_.index)


def _with_params(model, values) -> object:
    """A copy of ``model`` with other parameter values (same columns, time unit ...)."""
    from dataclasses import replace

    return replace(model, params_=pd.Series(np.asarray(values, float), index=model.params_.index))


def _summarise(estimate, draws: np.ndarray, level: float, index, name: str) -> pd.DataFrame:
    lo, hi = np.nanquantile(draws, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return pd.DataFrame({name: estimate, "lower": lo, "upper": hi}, index=index)


def parameter_interval(
    model, statistic, *, n_draws: int = 500, level: float = 0.9,
    seed: int | np.random.Generator = 0, progress: bool = True, name: str = "estimate",
) -> pd.DataFrame:
    """Interval for any prediction of a fitted model from its parameter uncertainty.

    ``statistic(m)`` is evaluated at the estimate and at each of ``n_draws``
    parameter draws (:func:`draw_parameters`); the interval is the central
    ``level`` range of the draws (percentile interval).

    Parameters
    ----------
    model : fitted model of :mod:`crm_analysis.clv`
    statistic : callable
        ``statistic(model) -> float, array or Series`` (a Series keeps its index).
    n_draws, level, seed, progress
        Number of draws, coverage (0.9 = 90%), random seed, tqdm progress bar.
    name : str
        Name of the point-estimate column.

    Returns
    -------
    DataFrame
        ``name`` (at the maximum-likelihood estimate), ``lower``, ``upper``.

    Examples
    --------
    >>> import crm_analysis as crm
    >>> cal = crm.rfm_summary(crm.load_cdnow(), freq="D", freq_multiplier=7)
    >>> bg = crm.fit_btyd(cal, aggregate=True)
    >>> ci = parameter_interval(bg, lambda m: m.expected_purchases_new(52.0), n_draws=200,
    ...                         seed=1, progress=False)
    >>> bool(ci["lower"].iloc[0] < ci["estimate"].iloc[0] < ci["upper"].iloc[0])
    True
    """
    from tqdm.auto import tqdm

    _check_level(level, "parameter_interval")
    point = statistic(model)
    index = point.index if isinstance(point, pd.Series) else None
    draws = draw_parameters(model, n_draws, seed=seed).to_numpy()
    values = []
    for row in tqdm(draws, desc="parameter draws", disable=not progress):
        with np.errstate(all="ignore"):
            values.append(np.atleast_1d(np.asarray(statistic(_with_params(model, row)), dtype=float)))
    values = np.vstack(values)
    return _summarise(np.atleast_1d(np.asarray(point, dtype=float)), values, level, index, name)


def expected_purchases_interval(model, t: float, data: pd.DataFrame, *, n_draws: int = 500,
                                level: float = 0.9, seed: int | np.random.Generator = 0,
                                progress: bool = True) -> pd.DataFrame:
    """Expected purchases in the next ``t`` per customer, with a parameter-uncertainty interval.

    This is the interval of the *expectation*; for the number a customer will
    actually make, use :func:`purchases_predictive_interval`.

    Returns
    -------
    DataFrame
        Indexed like ``data``: ``expected_purchases``, ``lower``, ``upper``.
    """
    return parameter_interval(model, lambda m: m.expected_purchases(t, data), n_draws=n_draws,
                              level=level, seed=seed, progress=progress, name="expected_purchases")


def p_alive_interval(model, data: pd.DataFrame, *, n_draws: int = 500, level: float = 0.9,
                     seed: int | np.random.Generator = 0, progress: bool = True) -> pd.DataFrame:
    """P(alive) per customer with a parameter-uncertainty interval.

    Returns
    -------
    DataFrame
        Indexed like ``data``: ``p_alive``, ``lower``, ``upper``.
    """
    return parameter_interval(model, lambda m: m.p_alive(data), n_draws=n_draws, level=level,
                              seed=seed, progress=progress, name="p_alive")


@dataclass
class ClvInterval:
    """CLV per customer and customer equity with parameter-uncertainty intervals.

    Attributes
    ----------
    customers : DataFrame
        Per customer: ``clv`` (at the estimates), ``lower``, ``upper``.
    equity : Series
        ``estimate``, ``lower``, ``upper`` of the sum of CLV.
    equity_draws_ : ndarray
        Customer equity under each parameter draw.
    level : float
        Coverage of the intervals.
    """

    customers: pd.DataFrame
    equity: pd.Series
    equity_draws_: np.ndarray
    level: float


def clv_interval(
    transaction_model, spend_model, data: pd.DataFrame, *, horizon: int, discount_rate: float,
    margin: float = 1.0, freq: str | None = None, n_draws: int = 300, level: float = 0.9,
    seed: int | np.random.Generator = 0, progress: bool = True,
) -> ClvInterval:
    """CLV per customer and customer equity with intervals from parameter uncertainty.

    Both models' parameters are drawn (:func:`draw_parameters`; the two
    likelihoods are separate, so the draws are independent) and
    :func:`crm_analysis.customer_lifetime_value` is recomputed under each
    draw; customer equity is summed draw by draw, so its interval reflects
    that the customers' values move together with the parameters.

    Parameters
    ----------
    transaction_model : BTYDModel or BGBBModel
    spend_model : SpendModel, float or Series
        A fixed spend (float/Series) adds no uncertainty.
    data : DataFrame
        Customer summary.
    horizon, discount_rate, margin, freq
        As in :func:`crm_analysis.customer_lifetime_value`.
    n_draws, level, seed, progress
        Draws, coverage, seed, tqdm progress bar.

    Returns
    -------
    ClvInterval
    """
    from tqdm.auto import tqdm

    _check_level(level, "clv_interval")
    kw = {"horizon": horizon, "discount_rate": discount_rate, "margin": margin, "freq": freq}
    point = customer_lifetime_value(transaction_model, spend_model, data, **kw)
    rng = _rng(seed)
    tdraws = draw_parameters(transaction_model, n_draws, seed=rng).to_numpy()
    sdraws = (draw_parameters(spend_model, n_draws, seed=rng).to_numpy()
              if isinstance(spend_model, SpendModel) else [None] * n_draws)
    values = np.empty((n_draws, len(data)))
    for i in tqdm(range(n_draws), desc="CLV draws", disable=not progress):
        spend = spend_model if sdraws[i] is None else _with_params(spend_model, sdraws[i])
        with np.errstate(all="ignore"):
            values[i] = customer_lifetime_value(_with_params(transaction_model, tdraws[i]), spend, data,
                                                **kw).to_numpy()
    customers = _summarise(point.to_numpy(), values, level, data.index, "clv")
    totals = values.sum(axis=1)
    lo, hi = np.quantile(totals, [(1 - level) / 2, (1 + level) / 2])
    equity = pd.Series({"estimate": float(point.sum()), "lower": lo, "upper": hi}, name="customer equity")
    return ClvInterval(customers, equity, totals, level)


def _quantile_counts(cdf: np.ndarray, q: float) -> np.ndarray:
    """Smallest count whose cumulative probability reaches ``q`` (row-wise)."""
    return np.argmax(cdf >= q - 1e-12, axis=1).astype(float)


def purchases_predictive_interval(
    model, t: float, data: pd.DataFrame, *, level: float = 0.9, n_draws: int = 200, max_count: int = 200,
    seed: int | np.random.Generator = 0, progress: bool = True,
) -> tuple[pd.DataFrame, pd.Series]:
    """Predictive intervals for the number of purchases each customer (and the base) will make.

    Combines both sources of uncertainty: the customer's own randomness (the
    conditional distribution of :func:`conditional_probability_of_n_purchases`)
    and the parameter estimates (averaged over :func:`draw_parameters`; set
    ``n_draws=0`` to use the estimates only).  Per customer the interval is
    equal-tailed on the counts, so with discrete counts it covers at least
    ``level``; for the base total, customers' counts are simulated under each
    draw (independent given the parameters).

    Parameters
    ----------
    model : BTYDModel or BGBBModel
    t : float
        Horizon (model time units; opportunities for BG/BB).
    data : DataFrame
        Customer summary.
    level, n_draws, seed, progress
        Coverage, parameter draws, seed, tqdm progress bar.
    max_count : int, default 200
        Largest count evaluated; probability beyond it is reported if it exceeds 1e-6.

    Returns
    -------
    (DataFrame, Series)
        Per customer ``expected``, ``lower``, ``upper``; for the total
        ``expected``, ``lower``, ``upper``.
    """
    from tqdm.auto import tqdm

    _check_level(level, "purchases_predictive_interval")
    rng = _rng(seed)
    ns = np.arange(max_count + 1)
    x, tx, age, names = _history(model, data, "purchases_predictive_interval", None, None, None)
    # Distinct histories only: many customers share one (x, t_x, T).
    keys = pd.DataFrame({"x": x, "tx": tx, "T": age})
    uniq = keys.drop_duplicates().reset_index(drop=True)
    where = keys.merge(uniq.reset_index(), on=["x", "tx", "T"], how="left")["index"].to_numpy()
    frame = uniq.rename(columns={"x": names[0], "tx": names[1], "T": names[2]})
    models = [model]
    if n_draws:
        models = [_with_params(model, row) for row in draw_parameters(model, n_draws, seed=rng).to_numpy()]
    mix = np.zeros((len(uniq), len(ns)))
    totals = np.empty(len(models))
    for i, m in enumerate(tqdm(models, desc="predictive draws", disable=not progress)):
        pmf = conditional_probability_of_n_purchases(m, t, ns, frame).to_numpy()
        mix += pmf / len(models)
        # One simulated base per draw: each customer's count by inverse CDF.
        cdf = np.cumsum(pmf, axis=1)[where]
        u = rng.random(len(where))[:, None]
        totals[i] = (cdf < u).sum(axis=1).sum()
    lost = 1 - mix.sum(axis=1)
    if (lost > 1e-6).any():
        raise CRMDataError(f"purchases_predictive_interval: max_count={max_count} leaves up to "
                           f"{lost.max():.2g} probability uncounted; raise max_count.")
    cdf = np.cumsum(mix, axis=1)
    per = pd.DataFrame({"expected": (mix @ ns)[where],
                        "lower": _quantile_counts(cdf, (1 - level) / 2)[where],
                        "upper": _quantile_counts(cdf, (1 + level) / 2)[where]}, index=data.index)
    if len(models) == 1:
        # Without draws, simulate the total from the one model a few hundred times.
        cdf_all = np.cumsum(mix, axis=1)[where]
        totals = np.array([(cdf_all < rng.random(len(where))[:, None]).sum() for _ in range(400)], float)
    lo, hi = np.quantile(totals, [(1 - level) / 2, (1 + level) / 2])
    total = pd.Series({"expected": float(per["expected"].sum()), "lower": lo, "upper": hi},
                      name="total purchases")
    return per, total


def simulate_btyd_summary(
    model: str, params, n_customers: int, *, T_range: tuple[float, float] = (27.0, 39.0),
    holdout: float = 39.0, seed: int | np.random.Generator = 0,
) -> pd.DataFrame:
    """Simulate a calibration/holdout summary from a BG/NBD or Pareto/NBD with known parameters.

    Each customer draws a purchase rate lambda ~ Gamma(r, alpha) and buys at
    Poisson times from acquisition; under BG/NBD they leave right after a
    repeat purchase with probability p ~ Beta(a, b), under Pareto/NBD after an
    exponential lifetime with rate mu ~ Gamma(s, beta).  Calibration ages T
    are uniform on ``T_range``; the holdout follows for ``holdout`` time units.

    Parameters
    ----------
    model : {"bgnbd", "pareto"}
    params : sequence of 4 floats
        ``r, alpha, a, b`` or ``r, alpha, s, beta``.
    n_customers : int
    T_range : (float, float)
    holdout : float
    seed : int or Generator, default 0
        Same seed, same summary.

    Returns
    -------
    DataFrame
        ``frequency_cal``, ``recency_cal``, ``T_cal``, ``frequency_holdout``,
        ``duration_holdout``, plus the true ``alive_at_T`` (simulated truth).

    Examples
    --------
    >>> s = simulate_btyd_summary("bgnbd", [0.243, 4.414, 0.793, 2.426], 500, seed=1)
    >>> s.shape, bool((s["recency_cal"] <= s["T_cal"]).all())
    ((500, 6), True)
    """
    if model not in ("bgnbd", "pareto"):
        raise CRMDataError(f"simulate_btyd_summary: model must be 'bgnbd' or 'pareto', got {model!r}.")
    rng = _rng(seed)
    r, alpha, c, d = (float(v) for v in params)
    n = int(n_customers)
    lam = rng.gamma(r, 1 / alpha, n)
    T = rng.uniform(T_range[0], T_range[1], n)
    total = T + holdout
    if model == "bgnbd":
        max_repeats = rng.geometric(rng.beta(c, d, n))  # leaves right after this repeat purchase
        death = np.full(n, np.inf)
    else:
        max_repeats = np.full(n, np.iinfo(np.int64).max)
        death = rng.exponential(1 / rng.gamma(c, 1 / d, n))
    x = np.zeros(n)
    tx = np.zeros(n)
    xh = np.zeros(n)
    alive = np.zeros(n, bool)
    for i in range(n):
        end = min(total[i], death[i])
        times = np.sort(rng.uniform(0, end, rng.poisson(lam[i] * end)))[: max_repeats[i]]
        cal = times[times <= T[i]]
        x[i], xh[i] = len(cal), len(times) - len(cal)
        tx[i] = cal[-1] if len(cal) else 0.0
        dead_at = times[-1] if len(times) == max_repeats[i] else death[i]
        alive[i] = dead_at > T[i]
    return pd.DataFrame({"frequency_cal": x, "recency_cal": tx, "T_cal": T, "frequency_holdout": xh,
                         "duration_holdout": float(holdout), "alive_at_T": alive},
                        index=pd.RangeIndex(n, name="customer_id"))


# --------------------------------------------------------------------------------------
# saved models (JSON, never pickle)
# --------------------------------------------------------------------------------------

_FORMAT_VERSION = FORMAT_VERSION
_encode, _decode = encode_value, decode_value


def model_to_dict(model) -> dict:
    """A fitted model as a plain-JSON dictionary (:meth:`crm_analysis.fitted.FittedModel.to_dict`).

    Every field (parameters, standard errors, covariance, log-likelihood,
    column names, time unit, notes ...) is stored with all its digits, so a
    reloaded model predicts exactly what the original did.  JSON, never
    pickle: a model file from a client cannot run code when loaded.

    Parameters
    ----------
    model : FittedModel
        Any fitted model of the package (BTYDModel, BGBBModel, SpendModel,
        CovariateBTYDModel, SBGModel, HazardModel, OrderedSatisfactionModel).

    Returns
    -------
    dict
        ``{"format", "version", "class", "fields"}``; pass it to
        :func:`json.dumps` or :func:`model_from_dict`.

    Examples
    --------
    >>> from crm_analysis.clv import BTYDModel
    >>> m = BTYDModel.from_params("bgnbd", [0.243, 4.414, 0.793, 2.426])
    >>> d = model_to_dict(m)
    >>> d["class"], d["fields"]["params_"]["values"]
    ('BTYDModel', [0.243, 4.414, 0.793, 2.426])
    """
    if not isinstance(model, FittedModel):
        raise CRMDataError(f"model_to_dict: expects a fitted model of crm_analysis, got {type(model).__name__}.")
    return model.to_dict()


def model_from_dict(data: dict):
    """Rebuild a fitted model from :func:`model_to_dict` output (or its JSON text).

    Only the package's fitted-model classes can be built; anything else
    raises :class:`CRMDataError`.

    Examples
    --------
    >>> from crm_analysis.clv import BTYDModel
    >>> m = BTYDModel.from_params("pareto", [0.553, 10.58, 0.606, 11.67])
    >>> back = model_from_dict(model_to_dict(m))
    >>> back.expected_purchases_new(39.0) == m.expected_purchases_new(39.0)
    True
    """
    return FittedModel.from_dict(data)


def save_model(model, path: str | Path) -> Path:
    """Write a fitted model (or a :class:`ScoringModel`) to a JSON file; returns the path."""
    import json

    path = Path(path)
    payload = model.to_dict() if isinstance(model, ScoringModel) else model_to_dict(model)
    path.write_text(json.dumps(payload, indent=1, allow_nan=False), encoding="utf-8")
    return path


def load_model(path: str | Path):
    """Read a model written by :func:`save_model` (a fitted model or a :class:`ScoringModel`)."""
    import json

    path = Path(path)
    if not path.exists():
        raise CRMDataError(f"load_model: file not found: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CRMDataError(f"load_model: {path.name} is not valid JSON ({exc}).") from None
    if isinstance(data, dict) and data.get("format") == ScoringModel.FORMAT:
        return ScoringModel.from_dict(data)
    return model_from_dict(data)


@dataclass
class ScoringModel:
    """What ``crm-analysis score`` needs to score a new log: models and CLV settings.

    Attributes
    ----------
    transaction_model : BTYDModel
        Fitted in weeks computed from days (``rfm_summary(freq="D", freq_multiplier=7)``).
    spend_model : SpendModel or None
        Gamma-Gamma; without it ``spend_per_order`` is used for every customer.
    spend_per_order : float
        Fallback spend per transaction.
    horizon_weeks : int
        CLV and expected-purchase horizon.
    weekly_discount_rate, margin : float
        CLV settings (discount per week, margin as a share of revenue).
    """

    FORMAT = "crm-analysis-scoring-model"

    transaction_model: BTYDModel
    spend_model: SpendModel | None
    spend_per_order: float
    horizon_weeks: int = 52
    weekly_discount_rate: float = 0.0
    margin: float = 1.0

    def to_dict(self) -> dict:
        """Plain-JSON dictionary (models via :func:`model_to_dict`)."""
        return {"format": self.FORMAT, "version": _FORMAT_VERSION,
                "transaction_model": model_to_dict(self.transaction_model),
                "spend_model": None if self.spend_model is None else model_to_dict(self.spend_model),
                "spend_per_order": _encode(self.spend_per_order), "horizon_weeks": int(self.horizon_weeks),
                "weekly_discount_rate": _encode(self.weekly_discount_rate), "margin": _encode(self.margin)}

    @classmethod
    def from_dict(cls, data: dict) -> ScoringModel:
        """Rebuild from :meth:`to_dict` output."""
        if not isinstance(data, dict) or data.get("format") != cls.FORMAT:
            raise CRMDataError("ScoringModel.from_dict: not a saved scoring model.")
        spend = data.get("spend_model")
        return cls(model_from_dict(data["transaction_model"]),
                   None if spend is None else model_from_dict(spend), _decode(data["spend_per_order"]),
                   int(data["horizon_weeks"]), _decode(data["weekly_discount_rate"]), _decode(data["margin"]))

    @classmethod
    def from_client_analysis(cls, result, *, amount: str = "amount") -> ScoringModel:
        """The models and settings of :func:`crm_analysis.report.analyse_client` (``report --save-model``)."""
        settings = result.settings
        return cls(result.transaction_model, result.spend_model,
                   float(result.validation.data[amount].mean()), int(settings["horizon_weeks"]),
                   float(settings["weekly_discount_rate"]),
                   # no --margin: the report values revenue (margin 1), labelled as such
                   float(1.0 if settings["margin"] is None else settings["margin"]))

    def equity_interval(self, summary: pd.DataFrame, *, n_draws: int = 100, level: float = 0.9,
                        seed: int | np.random.Generator | None = 0, progress: bool = False) -> pd.Series:
        """Customer equity of ``summary`` (weeks, plain column names) with its parameter-uncertainty interval.

        Returns
        -------
        Series
            ``estimate``, ``lower``, ``upper`` (see :func:`clv_interval`).
        """
        spend = self.spend_model if self.spend_model is not None else float(self.spend_per_order)
        return clv_interval(self.transaction_model, spend, summary, horizon=int(self.horizon_weeks),
                            discount_rate=self.weekly_discount_rate, margin=self.margin,
                            n_draws=n_draws, level=level, seed=seed, progress=progress).equity

    def score(self, transactions: pd.DataFrame, *, customer_id: str = "customer_id", date: str = "date",
              amount: str = "amount", observation_end=None) -> pd.DataFrame:
        """Score every customer of a transaction log with the saved models (no refitting).

        Returns
        -------
        DataFrame
            Indexed by customer: ``frequency``, ``recency``, ``T`` (weeks),
            ``monetary_value``, ``p_alive``, ``expected_purchases`` (next
            ``horizon_weeks``), ``expected_spend`` and ``clv``.
        """
        from .transactions import rfm_summary

        summary = rfm_summary(transactions, customer_id=customer_id, date=date, amount=amount, freq="D",
                              freq_multiplier=7, observation_end=observation_end)
        m = self.transaction_model
        cols = {"frequency": "frequency", "recency": "recency", "T": "T"}
        scores = summary.copy()
        scores["p_alive"] = m.p_alive(summary, **cols)
        scores["expected_purchases"] = m.expected_purchases(self.horizon_weeks, summary, **cols)
        if self.spend_model is not None:
            spend = self.spend_model.expected_spend(summary, frequency="frequency",
                                                    monetary_value="monetary_value")
        else:
            spend = pd.Series(float(self.spend_per_order), index=summary.index)
        scores["expected_spend"] = spend
        scores["clv"] = customer_lifetime_value(m, spend, summary, horizon=int(self.horizon_weeks),
                                                discount_rate=self.weekly_discount_rate,
                                                margin=self.margin)
        return scores
