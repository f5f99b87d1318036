"""Customer lifetime value: buy-till-you-die models, predictions, CLV and equity.

The customer base is an asset (concept C15): its value is the discounted sum
of what each customer will still buy.  This module fits the standard
"buy-till-you-die" (BTYD) models to the RFM summary of
:func:`crm_analysis.rfm_summary` and turns them into forward-looking numbers
(concept C16: past revenue looks in the rear-view mirror, CLV looks ahead).

* Non-contractual, continuous time: BG/NBD, Pareto/NBD and MBG/NBD
  (:func:`fit_btyd`, returning a :class:`BTYDModel`).
* Discrete transaction opportunities: BG/BB (:func:`fit_bgbb`,
  :class:`BGBBModel`).
* Spend per transaction: Gamma-Gamma (:func:`fit_gamma_gamma`,
  :class:`SpendModel`).
* Value: :func:`customer_lifetime_value`, :func:`customer_equity`,
  :func:`compare_rankings` (past revenue vs CLV).
* Validation: :func:`holdout_by_frequency`, :func:`holdout_metrics`,
  :func:`tracking_data`, :func:`compare_models`.

The likelihoods and conditional expectations are those of ``lifetimes``
(Davidson-Pilon), evaluated so that they never overflow or return NaN (the
BG/NBD expectation as a series of positive terms, the Pareto/NBD's A_0 by
quadrature where its hypergeometric form fails); this module adds one
consistent interface, input checks, multi-start maximum likelihood with an
explicit no-dropout (NBD) limit, customers with T = 0,
log-likelihoods in the caller's time unit, standard errors for every model,
fitting on distinct (frequency, recency, T) patterns with counts as weights,
and working replacements for the lifetimes utilities that break under
pandas 3 / matplotlib 3.11.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from . import _likelihood, _pareto_likelihood
from ._checks import numeric_column, require_columns, require_frame
from ._deprecation import renamed_kwargs
from .discounting import increment_weights, present_value_of_increments
from .errors import (
    ConvergenceError,
    CRMDataError,
    ModelFitWarning,
    describe_rows,
    rows_dropped_note,
)
from .fitted import _CustomerModel, gradient_hessian, standard_errors
from .messages import Message

__all__ = [
    "BTYDModel",
    "BGBBModel",
    "SpendModel",
    "RankComparison",
    "ModelFitWarning",
    "ConvergenceError",
    "fit_btyd",
    "fit_bgbb",
    "fit_gamma_gamma",
    "customer_lifetime_value",
    "customer_equity",
    "compare_rankings",
    "compare_models",
    "holdout_by_frequency",
    "holdout_metrics",
    "tracking_data",
    "p_alive_history",
    "TIME_UNIT_DAYS",
]

#: Length of each supported time unit in days (calendar conversions).
TIME_UNIT_DAYS = {
    "hours": 1 / 24,
    "days": 1.0,
    "weeks": 7.0,
    "months": 365.25 / 12,
    "quarters": 365.25 / 4,
    "years": 365.25,
}
_FREQ_DAYS = {"h": 1 / 24, "D": 1.0, "W": 7.0, "M": 365.25 / 12, "Q": 365.25 / 4, "Y": 365.25}

_MODEL_ALIASES = {
    "bgnbd": "bgnbd", "bg/nbd": "bgnbd", "bg_nbd": "bgnbd", "betageo": "bgnbd",
    "pareto": "pareto", "paretonbd": "pareto", "pareto/nbd": "pareto", "pareto_nbd": "pareto",
    "mbgnbd": "mbgnbd", "mbg/nbd": "mbgnbd", "mbg_nbd": "mbgnbd",
    "nbd": "nbd",
}
_PARAM_NAMES = {
    "bgnbd": ["r", "alpha", "a", "b"],
    "pareto": ["r", "alpha", "s", "beta"],
    "mbgnbd": ["r", "alpha", "a", "b"],
    "nbd": ["r", "alpha"],
    "bgbb": ["alpha", "beta", "gamma", "delta"],
    "gamma_gamma": ["p", "q", "v"],
}
_LABELS = {"bgnbd": "BG/NBD", "pareto": "Pareto/NBD", "mbgnbd": "MBG/NBD", "bgbb": "BG/BB",
           "nbd": "NBD"}

_ADVICE = (
    "Try a small penalizer (e.g. penalizer=0.001), or rescale time (e.g. weeks "
    "instead of days: rfm_summary(..., freq='D', freq_multiplier=7)), and check "
    "that the summary has enough repeat buyers."
)


# --------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------


_EMPTY = "the summary is empty"


def _resolve(data: pd.DataFrame, name: str, where: str) -> str:
    """Column ``name``, or ``name + '_cal'`` when given a calibration/holdout summary."""
    if name in data.columns:
        return name
    if f"{name}_cal" in data.columns:
        return f"{name}_cal"
    # A model fitted on calibration columns predicts for a plain summary too.
    if name.endswith("_cal") and name[:-4] in data.columns:
        return name[:-4]
    raise CRMDataError(
        f"{where}: column {name!r} not found (nor {name + '_cal'!r}). "
        f"Available columns: {list(data.columns)[:20]}."
    )


def _numeric(data: pd.DataFrame, col: str, where: str) -> np.ndarray:
    """Finite numbers of a summary column, as the models' arrays."""
    return numeric_column(data, col, where, specific=False).to_numpy()


def _frt(
    data: pd.DataFrame, frequency: str, recency: str, T: str, where: str, *, fitting: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Checked frequency, recency, T arrays (continuous-time models)."""
    require_frame(data, where, empty=_EMPTY)
    cols = [_resolve(data, frequency, where), _resolve(data, recency, where), _resolve(data, T, where)]
    x, tx, age = (_numeric(data, c, where) for c in cols)
    checks = [
        (x < 0, cols[0], "negative repeat-purchase counts"),
        (np.abs(x - np.round(x)) > 1e-9, cols[0], "non-integer repeat-purchase counts"),
        (tx < 0, cols[1], "negative recency"),
        (tx > age + 1e-9, cols[1], f"recency larger than {cols[2]!r} (last purchase after the end)"),
        ((x == 0) & (tx > 1e-12), cols[1], "positive recency with zero repeat purchases"),
    ]
    if fitting:
        # T = 0 (first purchase at the end of observation) is accepted: such a
        # customer's likelihood contribution is exactly 1.  Repeat purchases at
        # age 0 are impossible in a summary and would make the likelihood infinite.
        checks.append(((age <= 0) & (x > 0), cols[0], f"repeat purchases with {cols[2]!r} = 0"))
    for mask, col, problem in checks:
        if mask.any():
            raise CRMDataError(
                f"{where}: column {col!r}: {problem}: " + describe_rows(data, mask, cols)
            )
    return np.round(x), tx, age, cols


def _weights(data: pd.DataFrame, weights: str | None, where: str) -> np.ndarray:
    if weights is None:
        return np.ones(len(data))
    require_columns(data, {"weights": weights}, where)
    w = _numeric(data, weights, where)
    if (w < 0).any() or w.sum() <= 0:
        raise CRMDataError(
            f"{where}: column {weights!r} must hold non-negative counts: "
            + describe_rows(data, w < 0, [weights])
        )
    return w


def _aggregate(*arrays: np.ndarray, weights: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Distinct rows of the given columns (sorted) with summed weights.

    Packed integer keys (``_likelihood.aggregate_rows``): linear in the rows
    apart from sorting the few distinct values of each column.
    """
    return _likelihood.aggregate_rows(*arrays, weights=weights)


def _as_output(values, data: pd.DataFrame, name: str) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=float).reshape(-1), index=data.index, name=name)


# --------------------------------------------------------------------------------------
# likelihoods (original time units) and numerical standard errors
# --------------------------------------------------------------------------------------


def _pareto_rows(params, x, tx, T) -> np.ndarray:
    """Pareto/NBD individual log-likelihood (Fader & Hardie 2005 note, eq. 18).

    Evaluated as a sum of two positive integrals, each shared by all rows with
    the same (x, T) or (x, tx) (see ``_pareto_likelihood``); equal to the
    hypergeometric form where that is well conditioned.
    """
    return _pareto_likelihood.row_loglik(params, x, tx, T)


_FAST = {"bgnbd", "mbgnbd", "nbd", "bgbb", "gamma_gamma"}


def _prepare(model: str, cols, w):
    """The rows of ``_likelihood`` for these arrays: distinct counts and times found once.

    A fit prepares them once and hands them to the optimiser, the log-likelihood
    and the standard errors (which evaluate the likelihood dozens of times).
    """
    if model == "bgbb":
        return _likelihood.BGBBRows(*cols, w)
    if model == "gamma_gamma":
        return _likelihood.SpendRows(*cols, w)
    return _likelihood.Rows(*cols, w)


def _total_loglik(model, params, cols, w, rows=None) -> float:
    """Weighted log-likelihood in original time units (``_likelihood`` / ``_pareto_likelihood``).

    ``rows``: the prepared rows of :func:`_prepare` (or ``_pareto_likelihood.prepare``) for
    ``cols``/``w``, when the caller has them.
    """
    if model in _FAST:
        rows = _prepare(model, cols, np.asarray(w, float)) if rows is None else rows
        return _likelihood.total_loglik(model, params, rows)
    if model == "pareto":
        rows = _pareto_likelihood.prepare(*cols, np.asarray(w, float)) if rows is None else rows
        return _pareto_likelihood.loglik(np.asarray(params, float), rows)[0]
    raise CRMDataError(f"BTYDModel: unknown model {model!r}")  # pragma: no cover


_TIME_PARAMS = {"bgnbd": [1], "mbgnbd": [1], "pareto": [1, 3], "nbd": [1]}


def _rescale(model: str, params, scale: float) -> np.ndarray:
    """Parameters for time measured in units of ``1/scale`` (alpha, beta are times)."""
    out = np.asarray(params, float).copy()
    out[_TIME_PARAMS[model]] *= scale
    return out


def _standard_errors(model, params, cols, w, out_params=None) -> tuple[pd.Series, pd.DataFrame]:
    """Delta-method standard errors from a numerical Hessian in log-parameters.

    The Hessian in log-parameters does not change when time is rescaled, so it
    can be taken at rescaled ``params``/``cols`` (numerically safer) and turned
    into standard errors of ``out_params``, the estimates in the caller's units
    (:func:`crm_analysis.fitted.standard_errors`, the package's one routine).
    """
    params = np.asarray(params, float)
    out_params = params if out_params is None else np.asarray(out_params, float)
    # the distinct rows once, not at each of the Hessian's dozens of evaluations
    rows = (_prepare(model, cols, np.asarray(w, float)) if model in _FAST
            else _pareto_likelihood.prepare(*cols, np.asarray(w, float)))
    return standard_errors(lambda t: _total_loglik(model, np.exp(t), cols, w, rows), np.log(params),
                           jacobian=out_params, names=_PARAM_NAMES[model],
                           gradient=_loglik_gradient(model, rows))


def _loglik_gradient(model: str, rows):
    """Gradient of the total log-likelihood in log-parameters, for the models that have one.

    The standard errors then come from differences of an exact gradient, not
    second differences of the value (whose rounding, divided by h^2, moved
    the fourth digit of a standard error with the summation order).
    """
    if model == "pareto":
        def grad(theta):
            p = np.exp(np.asarray(theta, float))
            return p * _pareto_likelihood.loglik(p, rows, grad=True)[1]
        return grad
    if model in _likelihood.CONTINUOUS:
        objective = _likelihood.Objective(_likelihood.CONTINUOUS[model], rows, 0.0)
        return lambda theta: -rows.wsum * objective.grad(np.asarray(theta, float))
    return None


def _central_grad(fun, theta: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central-difference gradient (error O(h^2); forward differences stop optimisers short)."""
    g = np.empty_like(theta)
    for i in range(len(theta)):
        e = np.zeros_like(theta)
        e[i] = h
        g[i] = (fun(theta + e) - fun(theta - e)) / (2 * h)
    return g


@dataclass
class _Optimum:
    x: np.ndarray
    fun: float
    converged: bool
    message: str


def _optimise(fun, starts, *, grad=None, weight: float = 1.0, tol: float = 1e-3,
              coarse=None) -> _Optimum:
    """Minimise a mean negative log-likelihood over log-parameters from several starts.

    Every start runs a BFGS; the best end point is refined by Newton steps on a
    numerical Hessian of the gradient.  With an analytic ``grad`` the starts
    first run to a moderate tolerance and Newton finishes; when Newton cannot
    confirm that optimum (e.g. on a ridge), the starts run again to a tight
    one.  Convergence is judged on the end point itself, not on the
    optimiser's exit status (scipy reports "precision loss" when the objective
    is already flat to machine precision).  The fit
    counts as converged when the log-likelihood (``weight`` customers times the
    mean) can gain less than ``tol`` more: either the Hessian is positive
    definite and the Newton step predicts a gain below ``tol``, or the
    log-likelihood changes by less than ``tol`` per e-fold change of every
    parameter, or (on a ridge running to the edge of the parameter space, where
    neither test applies) two starts end within ``tol`` of the best value.
    ``coarse``: a cheaper (fun, grad) pair of the same objective for the BFGS
    runs; the ends are then valued again on ``fun`` and every test and Newton
    step uses ``fun``/``grad``.
    """
    analytic = grad is not None
    grad = grad or (lambda t: _central_grad(fun, t))
    # Newton stops once it predicts a gain below ``stop``; an exact gradient affords
    # a much smaller one (one more quadratic step), pinning the optimum to ~1e-8.
    stop = tol * (1e-9 if analytic else 1e-3)

    def guarded(f):
        """``f`` with a non-finite value read as 1e10 (a wall BFGS steps back from)."""
        def value(t):
            with np.errstate(all="ignore"):
                v = f(t)
            return v if np.isfinite(v) else 1e10
        return value

    def guarded_grad(g):
        """``g`` with non-finite components read as 0."""
        def gradient(t):
            with np.errstate(all="ignore"):
                out = g(t)
            return np.where(np.isfinite(out), out, 0.0)
        return gradient

    safe, safe_grad = guarded(fun), guarded_grad(grad)
    run_fun, run_grad = ((safe, safe_grad) if coarse is None
                         else (guarded(coarse[0]), guarded_grad(coarse[1])))

    def run(x0, gtol, stall):
        history = []

        def stop_when_flat(intermediate_result):
            # Along a ridge to infinity BFGS creeps on for thousands of steps; stop
            # once 10 iterations gained less than ``stall`` log-likelihood units.
            history.append(intermediate_result.fun)
            if len(history) > 10 and (history[-11] - history[-1]) * weight < stall:
                raise StopIteration

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return optimize.minimize(run_fun, np.asarray(x0, float), jac=run_grad, method="BFGS",
                                     callback=stop_when_flat,
                                     options={"gtol": gtol, "maxiter": 2000})

    def newton(x, f):
        """Newton steps on a numerical Hessian of the gradient; the predicted gain at the end."""
        gain = np.inf
        for _ in range(20):
            g = safe_grad(x)
            # forward differences of an exact gradient: half the evaluations, error
            # ~1e-6 relative, which only slows Newton's last step a little
            hess = gradient_hessian(safe_grad, x, 1e-6, g0=g) if analytic else gradient_hessian(safe_grad, x, 1e-4)
            try:
                eig = np.linalg.eigvalsh(hess)
                if not np.all(np.isfinite(eig)) or eig.min() <= 0:
                    return x, f, np.inf
                step = np.linalg.solve(hess, g)
            except np.linalg.LinAlgError:
                return x, f, np.inf
            gain = 0.5 * float(g @ step) * weight
            if gain < stop:
                break
            t = 1.0
            while t > 1e-4:
                f_new = safe(x - t * step)
                if f_new <= f:
                    x, f = x - t * step, f_new
                    break
                t /= 2
            else:
                break
        return x, f, gain

    loose_ends: list = []

    def attempt(gtol, *, loose: bool = False):
        ends = []
        for i, x0 in enumerate(starts):
            res = None
            if i < len(loose_ends):
                previous = loose_ends[i]
                if previous.status != 0:
                    # The loose run stopped before its gradient test (line-search precision
                    # loss, a stall, the iteration cap): BFGS's path does not depend on
                    # gtol until that test, so a tighter run would end at the same point.
                    res = previous
                else:  # go on from where the loose run stopped
                    x0 = previous.x
            if res is None:
                res = run(x0, gtol, tol * 0.1)
            if loose:
                loose_ends.append(res)
            if np.all(np.isfinite(res.x)) and res.fun < 1e10:
                ends.append(res)
        if not ends:
            return None
        if coarse is not None:  # value the ends on the full objective (copies: loose_ends keeps its own)
            ends = [optimize.OptimizeResult({**res, "fun": safe(res.x)}) for res in ends]
            ends = [res for res in ends if res.fun < 1e10]
            if not ends:
                return None
        ends.sort(key=lambda res: res.fun)
        best = ends[0]
        # Two starts ending within ``tol`` of the best value: the best is reproducible.
        agree = len(ends) > 1 and (ends[1].fun - best.fun) * weight < tol
        x, f, gain = newton(best.x.copy(), float(best.fun))
        return x, f, gain, agree, str(best.message)

    out = None
    if analytic:
        # With an exact gradient, BFGS to a moderate tolerance and Newton steps from
        # there reach the optimum in a fraction of the evaluations a tight BFGS spends
        # on its last digits (its line searches fail on objective changes below
        # machine precision).  Kept only when Newton confirms the optimum.
        out = attempt(1e-5, loose=True)
        if out is not None and not out[2] < tol:
            out = None
    if out is None:
        out = attempt(1e-9)
    if out is None:
        return _Optimum(np.full(len(starts[0]), np.nan), np.inf, False, "no finite likelihood")
    x, f, gain, agree, message = out
    flat = float(np.max(np.abs(safe_grad(x)))) * weight < tol
    return _Optimum(x, f, bool(gain < tol or flat or agree), message)


def _check_fit(params: pd.Series, se: pd.Series, what: str, label: str) -> None:
    if not np.all(np.isfinite(params.to_numpy())) or (params <= 0).any():
        raise CRMDataError(f"{what}: the fit returned invalid parameters {params.to_dict()}. {_ADVICE}")
    if se.isna().any() or (se > 1e3 * params.abs()).any():
        warnings.warn(ModelFitWarning(
            f"{what}: the likelihood is flat around the estimate (standard errors "
            f"{se.round(4).to_dict()}); parameters are poorly identified. {_ADVICE}",
            note=Message("note.fit_flat", model=label, se=str(se.round(4).to_dict()))),
            stacklevel=3,
        )


# --------------------------------------------------------------------------------------
# continuous-time transaction models
# --------------------------------------------------------------------------------------


@dataclass
class BTYDBase(_CustomerModel):
    """The fields every fitted BG/NBD-family model has (shared by :class:`BTYDModel`
    and :class:`crm_analysis.covariates.CovariateBTYDModel`).

    Attributes
    ----------
    model : str
        ``"bgnbd"``, ``"pareto"``, ``"mbgnbd"`` or ``"nbd"``.
    time_unit : str
        Unit of ``recency``, ``T`` and every ``t`` (e.g. ``"weeks"``).
    params_ : Series
        Maximum-likelihood estimates; ``alpha`` and ``beta`` are in ``time_unit``.
    standard_errors_ : Series
        Delta-method standard errors from the observed information.
    covariance_ : DataFrame
        Estimated covariance of ``params_``.
    log_likelihood_, aic_, bic_ : float
        Log-likelihood of the data in ``time_unit`` and the information criteria.
    n_customers_ : int
        Customers fitted (sum of weights); ``n_obs_`` is the same number.
    columns : dict
        Column names used for frequency, recency and T.
    notes_ : list of str
        What the fit did that the reader should know.
    rows_dropped_ : dict
        Reason -> rows left out of the fit (empty when none).
    """

    model: str
    time_unit: str
    params_: pd.Series
    standard_errors_: pd.Series
    covariance_: pd.DataFrame
    log_likelihood_: float
    n_customers_: int
    columns: dict = field(default_factory=lambda: {"frequency": "frequency", "recency": "recency", "T": "T"})
    notes_: list = field(default_factory=list)
    rows_dropped_: dict = field(default_factory=dict)


@dataclass
class BTYDModel(BTYDBase):
    """A fitted BG/NBD, Pareto/NBD or MBG/NBD model.

    Attributes
    ----------
    model : str
        ``"bgnbd"``, ``"pareto"``, ``"mbgnbd"`` or ``"nbd"`` (no dropout: the
        limit the other three reduce to when the data show no sign of dropout).
    time_unit : str
        Unit of ``recency``, ``T`` and every ``t`` (e.g. ``"weeks"``).
    params_ : Series
        Maximum-likelihood estimates (``r, alpha, a, b`` or ``r, alpha, s, beta``);
        ``alpha`` and ``beta`` are in ``time_unit``.
    standard_errors_ : Series
        Delta-method standard errors from the observed information.
    covariance_ : DataFrame
        Estimated covariance of ``params_``.
    log_likelihood_, aic_, bic_ : float
        Log-likelihood of the data in ``time_unit`` and the information criteria.
    n_customers_ : int
        Customers fitted (sum of weights); ``n_obs_`` is the same number.
    n_patterns_ : int
        Distinct rows the likelihood was evaluated on.
    penalizer : float
        L2 penalty used (0 = plain maximum likelihood).
    columns : dict
        Column names used for frequency, recency and T.
    reduced_from : str or None
        The model asked for when the fit reduced to its no-dropout NBD limit.
    notes_ : list of str
        What the fit did that the reader should know (customers with T = 0
        left out, reduction to the NBD limit).
    rows_dropped_ : dict
        Reason -> rows left out (empty: customers with T = 0 stay in the
        likelihood with contribution 1, counted in ``n_zero_age_``).
    n_zero_age_ : int
        Customers with T = 0 (no information; likelihood contribution 1).
    max_T_, max_frequency_ : float, int or None
        Largest T and repeat frequency (capped at 30) fitted: the default
        grid of :meth:`p_alive_matrix` (None for a model built from parameters).
    """

    n_patterns_: int = 0
    penalizer: float = 0.0
    reduced_from: str | None = None
    n_zero_age_: int = 0
    max_T_: float | None = None
    max_frequency_: int | None = None

    @property
    def label(self) -> str:
        """Display name, e.g. ``"BG/NBD"`` or ``"BG/NBD (NBD limit)"``."""
        if self.reduced_from is not None:
            return f"{_LABELS[self.reduced_from]} (NBD limit)"
        return _LABELS[self.model]

    @classmethod
    def from_params(cls, model: str, params, *, time_unit: str = "weeks") -> BTYDModel:
        """A model with given parameters (no data), e.g. published estimates.

        Examples
        --------
        >>> m = BTYDModel.from_params("bgnbd", [0.243, 4.414, 0.793, 2.426])
        >>> round(m.expected_purchases_new(39.0), 3)
        1.197
        """
        key = _model_key(model, "BTYDModel.from_params")
        p = pd.Series(np.asarray(params, float), index=_PARAM_NAMES[key])
        nan = pd.Series(np.nan, index=p.index)
        return cls(key, time_unit, p, nan, pd.DataFrame(np.nan, index=p.index, columns=p.index),
                   np.nan, 0)

    def __repr__(self) -> str:
        ps = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return (f"<{self.label} fitted on {self.n_customers_:,} customers "
                f"({self.time_unit}): {ps}; LL={self.log_likelihood_:.1f}>")

    @property
    def fitter_(self):
        """An equivalent lifetimes fitter object (for its other methods)."""
        return self._fitter(1.0)

    def _fitter(self, scale: float):
        """lifetimes fitter with parameters for time multiplied by ``scale``."""
        from lifetimes import BetaGeoFitter, ModifiedBetaGeoFitter, ParetoNBDFitter

        if self.model == "nbd":
            raise CRMDataError("BTYDModel.fitter_: the NBD (no-dropout) model has no lifetimes fitter; use the "
                               "model's own methods (p_alive is 1, expected purchases are linear in t).")
        cls = {"bgnbd": BetaGeoFitter, "pareto": ParetoNBDFitter, "mbgnbd": ModifiedBetaGeoFitter}
        f = cls[self.model](penalizer_coef=self.penalizer)
        f.params_ = pd.Series(_rescale(self.model, self.params_.to_numpy(), scale),
                              index=self.params_.index)
        return f

    def _cols(self, data, frequency, recency, T, where):
        return _frt(
            data,
            frequency or self.columns["frequency"],
            recency or self.columns["recency"],
            T or self.columns["T"],
            where,
        )[:3]

    def p_alive(self, data: pd.DataFrame, *, frequency=None, recency=None, T=None) -> pd.Series:
        """Probability that each customer is still active at the end of ``T``.

        Parameters
        ----------
        data : DataFrame
            Summary with frequency, recency and T (calibration ``*_cal`` columns
            are found automatically).
        frequency, recency, T : str, optional
            Column names; default to those used in fitting.

        Returns
        -------
        Series
            ``p_alive``, indexed like ``data``.
        """
        x, tx, age = self._cols(data, frequency, recency, T, "p_alive")
        if self.model == "pareto":
            out = _pareto_p_alive(self.params_.to_numpy(), x, tx, age)
        else:
            out = _bg_p_alive(self.model, self.params_.to_numpy(), x, tx, age)
        return _as_output(out, data, "p_alive")

    def expected_purchases(
        self, t: float, data: pd.DataFrame, *, frequency=None, recency=None, T=None
    ) -> pd.Series:
        """Expected repeat purchases in the next ``t`` time units, given each history.

        For BG/NBD and MBG/NBD this is P(alive) times the expectation given
        alive, summed as a series of positive terms (see
        :func:`_alive_expectation`), which stays finite where the closed form's
        Gaussian hypergeometric function fails (a + b < 1, b in the thousands).

        Returns
        -------
        Series
            ``expected_purchases``, indexed like ``data``.
        """
        if np.ndim(t) == 0 and t < 0:
            raise CRMDataError(f"expected_purchases: horizon t must be >= 0, got {t}.")
        x, tx, age = self._cols(data, frequency, recency, T, "expected_purchases")
        if np.ndim(t) == 0 and t == 0:
            return _as_output(np.zeros(len(x)), data, "expected_purchases")
        if self.model == "pareto":
            out = _pareto_conditional_expectation(self.params_.to_numpy(), t, x, tx, age)
        else:
            out = _bg_conditional_expectation(self.model, self.params_.to_numpy(), t, x, tx, age)
        return _as_output(out, data, "expected_purchases")

    def _weighted_expected_purchases(self, times, weights, data: pd.DataFrame) -> np.ndarray:
        """``sum_k weights_k E[X(T, T + times_k)]`` per customer, all time points at once.

        The value of a purchase stream (:func:`customer_lifetime_value`, with the
        weights of :func:`crm_analysis.discounting.increment_weights`).  The
        horizon-dependent part of the expectation depends on (x, T) only, so it is
        evaluated on the distinct (x, T) patterns times the time points and
        summed there; P(alive) is evaluated once per customer.
        """
        x, tx, age = self._cols(data, None, None, None, "expected_purchases")
        times, weights = np.asarray(times, float), np.asarray(weights, float)
        if self.model == "pareto":
            return _pareto_weighted_expectation(self.params_.to_numpy(), times, weights, x, tx, age)
        return _bg_weighted_expectation(self.model, self.params_.to_numpy(), times, weights,
                                        x, tx, age)

    def expected_purchases_new(self, t) -> float | pd.Series:
        """Expected repeat purchases of a newly acquired customer by time ``t``.

        A scalar ``t`` gives a float, an array of times a Series indexed by ``t``.
        """
        ts = np.atleast_1d(np.asarray(t, dtype=float))
        if (ts < 0).any():
            raise CRMDataError("expected_purchases_new: times must be >= 0.")
        if self.model == "pareto":
            out = _pareto_expected_new(self.params_.to_numpy(), ts)
        else:
            out = _bg_expected_new(self.model, self.params_.to_numpy(), ts)
        out = np.where(ts == 0, 0.0, out)
        if np.ndim(t) == 0:
            return float(out[0])
        return pd.Series(out, index=pd.Index(ts, name=f"t ({self.time_unit})"), name="expected_purchases")

    def p_alive_matrix(self, *, max_frequency: int | None = None, max_recency: float | None = None,
                       T: float | None = None, n_recency: int = 50) -> pd.DataFrame:
        """P(alive) on a grid of frequency (columns) and recency (rows) for age ``T``.

        Defaults: frequencies 0..max observed (or 30), recencies 0..T, T = the
        longest age in the fitted data (or 52 time units).
        """
        return self._grid(lambda d: self.p_alive(d, frequency="frequency", recency="recency", T="T"),
                          max_frequency, max_recency, T, n_recency, "BTYDModel.p_alive_matrix")

    def expected_purchases_matrix(self, t: float, *, max_frequency: int | None = None,
                                  max_recency: float | None = None, T: float | None = None,
                                  n_recency: int = 50) -> pd.DataFrame:
        """Conditional expected purchases in the next ``t`` on the frequency/recency grid."""
        return self._grid(
            lambda d: self.expected_purchases(t, d, frequency="frequency", recency="recency", T="T"),
            max_frequency, max_recency, T, n_recency, "BTYDModel.expected_purchases_matrix")

    def _grid(self, fn, max_frequency, max_recency, T, n_recency, where):
        default_T = 52.0 if self.max_T_ is None else self.max_T_
        default_f = 30 if self.max_frequency_ is None else self.max_frequency_
        age = float(T if T is not None else default_T)
        fmax = int(max_frequency if max_frequency is not None else default_f)
        rmax = float(max_recency if max_recency is not None else age)
        if rmax > age:
            raise CRMDataError(f"{where}: max_recency ({rmax}) cannot exceed T ({age}).")
        rec = np.linspace(0, rmax, n_recency)
        freqs = np.arange(fmax + 1)
        xx, rr = np.meshgrid(freqs, rec)
        grid = pd.DataFrame({"frequency": xx.ravel().astype(float), "recency": rr.ravel(), "T": age})
        # Zero repeat purchases imply recency 0; other cells of that column repeat it.
        grid.loc[grid["frequency"] == 0, "recency"] = 0.0
        vals = fn(grid).to_numpy().reshape(len(rec), len(freqs))
        return pd.DataFrame(vals, index=pd.Index(rec, name=f"recency ({self.time_unit})"),
                            columns=pd.Index(freqs, name="frequency"))


def _bg_p_alive(model: str, params, x, tx, T) -> np.ndarray:
    """P(alive) of BG/NBD, MBG/NBD and NBD, evaluated as a logistic of log-odds (never overflows)."""
    x, tx, T = (np.asarray(v, float) for v in (x, tx, T))
    if model == "nbd":
        return np.ones(np.broadcast(x, tx, T).shape)
    r, alpha, a, b = params
    # log of P(dead) / P(alive): dropout after the last purchase vs alive throughout.
    shift = 0.0 if model == "mbgnbd" else 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        log_odds = (np.log(a) - np.log(b + np.maximum(x - shift, 0.0))
                    + (r + x) * (np.log(alpha + T) - np.log(alpha + tx)))
    out = special.expit(-log_odds)
    if model == "bgnbd":  # nobody can drop out before the first repeat purchase
        out = np.where(x > 0, out, 1.0)
    return out


def _alive_expectation(a, b_alive, k, u) -> np.ndarray:
    """E[purchases in the next t | alive] for BG-type dropout, as a positive series.

    Given the purchase rate lambda and dropout probability p, an active customer
    makes (1 - exp(-lambda p t)) / p expected purchases in t: the j-th purchase
    happens if at least j purchase opportunities arrive and the customer survived
    the j - 1 before it.  Averaging over the posterior given alive,
    p ~ Beta(a, b_alive) and lambda ~ Gamma(k, alpha + T), gives

        sum_{j >= 1} E[(1 - p)^(j-1)] P(N >= j),

    with N negative binomial (k, mean k u), u = t / (alpha + T).  Both factors
    are positive, E[(1 - p)^(j-1)] is a running product of (1 - a / (a + b_alive + i))
    and P(N >= j) the regularised incomplete beta I_z(j, k), z = u / (1 + u):
    no cancellation and no Gauss hypergeometric function, so it stays accurate
    where the closed form of Fader, Hardie & Lee (2005a, eq. 10) breaks down
    (a + b < 1, b in the thousands, a near 1).  The series is summed until the
    negative-binomial tail is below 1e-20.
    """
    a, b_alive, k, u = np.broadcast_arrays(*(np.asarray(v, float) for v in (a, b_alive, k, u)))
    shape = a.shape
    a, b_alive, k, u = (v.reshape(-1) for v in (a, b_alive, k, u))
    out = np.zeros(a.shape)
    todo = u > 0
    if not todo.any():
        return out.reshape(shape)
    # Distinct rows only: customers share (x, T) patterns.
    rows = np.column_stack([a, b_alive, k, u])[todo]
    uniq, inverse = _unique_rows(rows)
    ua, ub, uk, uu = uniq.T
    mean = uk * uu
    sd = np.sqrt(uk * uu * (1 + uu))
    # Terms until the tail is negligible: past the mean by many standard deviations
    # and by 50 e-folds of the geometric tail (ratio u / (1 + u)).
    n_terms = np.ceil(mean + 12 * sd + 50 * (1 + uu) + 20).astype(np.int64)
    n_terms = np.minimum(n_terms, 10_000_000)
    val = np.zeros(len(ua))
    # Where the closed form is well conditioned (the usual case) it is exact and
    # cheap; elsewhere a concentrated dropout distribution is integrated by Gauss
    # quadrature, and the series is summed only for the rows that remain.
    closed, good = _alive_closed_form(ua, ub, uk, uu)
    val[good] = closed[good]
    gauss = ~good & _beta_concentrated(ua, ub, uu)
    if gauss.any():
        val[gauss] = _alive_gauss(ua[gauss], ub[gauss], uk[gauss], uu[gauss])
    order = np.flatnonzero(~good & ~gauss)
    order = order[np.argsort(n_terms[order])]
    budget = 1 << 21  # terms per block (rows x j)
    start = 0
    while start < len(order):
        n_max = int(n_terms[order[start]])
        stop = start + 1
        # group rows of similar length so that short rows are not padded to long ones
        while stop < len(order) and n_terms[order[stop]] <= 2 * n_max and (stop - start + 1) * (
                2 * n_max) <= budget:
            stop += 1
        idx = order[start:stop]
        n_max = int(n_terms[idx].max())
        val[idx] = _alive_series(ua[idx], ub[idx], uk[idx], uu[idx], n_max, budget)
        start = stop
    out[todo] = val[inverse.reshape(-1)]
    return out.reshape(shape)


def _unique_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a float matrix and the index of each row's distinct row.

    Same use as ``np.unique(rows, axis=0, return_inverse=True)``, which sorts
    the rows as raw bytes and took seconds per call on a few hundred thousand
    customers (a CLV sums one call per week).  Here each column is hashed to
    integer codes (:func:`pandas.factorize`), the codes are combined into one
    integer key and the key is hashed again: linear time.  Distinct rows come
    in order of first appearance.

    Examples
    --------
    >>> uniq, inverse = _unique_rows(np.array([[2.0, 1.0], [1.0, 5.0], [2.0, 1.0]]))
    >>> uniq.tolist(), inverse.tolist()
    ([[2.0, 1.0], [1.0, 5.0]], [0, 1, 0])
    """
    n = len(rows)
    key = np.zeros(n, dtype=np.int64)
    size = 1
    for column in rows.T:
        codes, levels = pd.factorize(column, use_na_sentinel=False)
        size *= max(len(levels), 1)
        if size >= 2**62:  # the combined key would overflow: sort the rows instead
            uniq, inverse = np.unique(rows, axis=0, return_inverse=True)
            return uniq, inverse.reshape(-1)
        key = key * len(levels) + codes
    inverse, _ = pd.factorize(key)
    first = np.empty(inverse.max() + 1 if n else 0, dtype=np.int64)
    first[inverse[::-1]] = np.arange(n)[::-1]  # the earliest row of each key wins
    return rows[first], inverse.astype(np.int64)


def _alive_closed_form(a, b, k, u) -> tuple[np.ndarray, np.ndarray]:
    """The series of :func:`_alive_expectation` in closed form, and where to trust it.

    Fader, Hardie & Lee (2005a, eq. 10) given alive:
    (a + b - 1) / (a - 1) * [1 - (1 + u)^-k 2F1(k, b; a + b - 1; u / (1 + u))].
    It is trusted only away from its trouble spots: a near 1 (0/0), a + b - 1
    not clearly positive, b large (slow, inaccurate 2F1) and strong cancellation
    inside the bracket; elsewhere the caller sums the positive series.
    """
    z = u / (1 + u)
    c = a + b - 1.0
    # 2F1 only where it can be trusted at all (it is slow for large b)
    out, f, bracket, w = (np.full(len(a), np.nan) for _ in range(4))
    try_ = (np.abs(a - 1.0) > 0.05) & (c > 0.5) & (b < 1e3)
    with np.errstate(all="ignore"):
        w[try_] = np.exp(-k[try_] * np.log1p(u[try_]))
        f[try_] = special.hyp2f1(k[try_], b[try_], c[try_], z[try_])
        bracket[try_] = 1.0 - w[try_] * f[try_]
        out[try_] = c[try_] / (a[try_] - 1.0) * bracket[try_]
        good = (try_ & np.isfinite(out) & (out >= 0) & np.isfinite(f)
                & (np.abs(bracket) > 1e-4 * np.abs(w * f)))
    return out, good


#: Nodes of the Gauss rule of :func:`_alive_gauss`.
_BETA_GAUSS_NODES = 20


def _beta_concentrated(a, b, u) -> np.ndarray:
    """Rows where :func:`_alive_gauss` is exact to rounding.

    The Gauss rule's error falls like (spread of p / distance to the
    integrand's singularity at p = -1/u) to the power 2 x nodes.  Used only
    where Beta(a, b) is bell-shaped with light tails (a, b >= 50), its
    coefficient of variation is at most 1/4, and the singularity lies beyond
    its mean plus twelve standard deviations from 0: the ratio is then below
    1/4 and the error below 1e-24 (checked against the series and 30-digit
    quadrature in the tests).
    """
    with np.errstate(all="ignore"):
        mean = a / (a + b)
        sd = np.sqrt(mean * (1.0 - mean) / (a + b + 1.0))
        ok = (a >= 50) & (b >= 50) & (sd <= 0.25 * mean) & (u * (mean + 12.0 * sd) <= 1.0)
    return np.asarray(ok, bool)


def _beta_gauss_rule(a: float, b: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss quadrature nodes in (0, 1) and weights (summing to 1) for the Beta(a, b) distribution.

    Golub-Welsch on the three-term recurrence of the Jacobi polynomials for the
    weight (1 - x)^(b-1) (1 + x)^(a-1) on [-1, 1], mapped to p = (1 + x) / 2.
    ``scipy.special.roots_jacobi`` computes the same nodes but also the total
    mass 2^(a+b-1) B(a, b), which overflows for the a, b in the millions that a
    fit with nearly homogeneous dropout returns; the normalised weights need
    only the eigenvectors.

    Examples
    --------
    >>> p, w = _beta_gauss_rule(2.0, 3.0, 5)
    >>> round(float(w @ p), 12), round(float(w @ p**2), 12)   # a/(a+b), a(a+1)/((a+b)(a+b+1))
    (0.4, 0.2)
    """
    from scipy.linalg import eigh_tridiagonal

    al, be = b - 1.0, a - 1.0  # Jacobi exponents of (1 - x) and (1 + x)
    k = np.arange(n, dtype=float)
    s = 2 * k + al + be
    diag = np.empty(n)
    diag[0] = (be - al) / (al + be + 2.0)
    # (be^2 - al^2) as a product: no cancellation when both are in the millions
    diag[1:] = (be - al) * (be + al) / (s[1:] * (s[1:] + 2.0))
    j = k[1:]
    sj = s[1:]
    off = np.sqrt(4.0 * j * (j + al) * (j + be) * (j + al + be)
                  / (sj * sj * (sj + 1.0) * (sj - 1.0)))
    x, vectors = eigh_tridiagonal(diag, off)
    return (1.0 + x) / 2.0, vectors[0] ** 2


def _alive_gauss(a, b, k, u) -> np.ndarray:
    """The expectation of :func:`_alive_expectation` by Gauss quadrature over the dropout probability.

    Given alive, purchases in the next t are (1 - exp(-lambda p t)) / p; with
    lambda ~ Gamma(k, alpha + T) integrated out this is
    g(p) = (1 - (1 + p u)^(-k)) / p, averaged over p ~ Beta(a, b).  g is
    analytic except at p = -1/u < 0, so when Beta(a, b) is concentrated (a
    small coefficient of variation, as when a fit finds nearly homogeneous
    dropout, a and b in the millions) a Gauss rule for the Beta weight is
    exact to rounding, where the series would need hundreds of terms per row.
    One rule per distinct (a, b) pair (one per purchase count).
    """
    out = np.empty(len(a))
    pairs, inverse = _unique_rows(np.column_stack([a, b]))
    for i, (pa, pb) in enumerate(pairs):
        rows = inverse == i
        p, w = _beta_gauss_rule(pa, pb, _BETA_GAUSS_NODES)
        g = -np.expm1(-k[rows, None] * np.log1p(p[None, :] * u[rows, None])) / p[None, :]
        out[rows] = g @ w
    return out


def _alive_series(a, b, k, u, n_terms: int, budget: int) -> np.ndarray:
    """Sum of the series in :func:`_alive_expectation` for a group of rows, in blocks of j."""
    z = u / (1 + u)
    if len(a) * n_terms <= budget:
        # All terms in one block: P(N >= j) as the negative-binomial pmf summed from
        # the far end (positive terms, full relative accuracy; the pmf by its ratio
        # recurrence), ten times cheaper than one incomplete beta per term.
        js = np.arange(1, n_terms + 1, dtype=float)
        log_pmf = (-k * np.log1p(u))[:, None] + np.cumsum(
            np.log(z)[:, None] + np.log((k[:, None] + js[None, :] - 1) / js[None, :]), axis=1)
        tail = np.cumsum(np.exp(log_pmf)[:, ::-1], axis=1)[:, ::-1]
        inc = np.log1p(-a[:, None] / (a[:, None] + b[:, None] + js[None, :] - 1))
        log_cs = np.concatenate([np.zeros((len(a), 1)), np.cumsum(inc[:, :-1], axis=1)], axis=1)
        return np.sum(np.exp(log_cs) * tail, axis=1)
    total = np.zeros(len(a))
    log_c = np.zeros(len(a))  # log E[(1-p)^(j-1)] at the block's first j
    block = max(1, min(n_terms, budget // max(len(a), 1)))
    j0 = 1
    while j0 <= n_terms:
        js = np.arange(j0, min(j0 + block, n_terms + 1), dtype=float)
        # factor taking E[(1-p)^(j-1)] to E[(1-p)^j]: 1 - a / (a + b + j - 1)
        inc = np.log1p(-a[:, None] / (a[:, None] + b[:, None] + js[None, :] - 1))
        log_cs = log_c[:, None] + np.concatenate(
            [np.zeros((len(a), 1)), np.cumsum(inc[:, :-1], axis=1)], axis=1)
        tail = special.betainc(js[None, :], k[:, None], z[:, None])
        total += np.sum(np.exp(log_cs) * tail, axis=1)
        log_c = log_cs[:, -1] + inc[:, -1]
        j0 += len(js)
    return total


def _bg_conditional_expectation(model: str, params, t, x, tx, T) -> np.ndarray:
    """E[X(T, T + t) | x, tx, T] for BG/NBD, MBG/NBD and NBD (finite for all valid parameters)."""
    x, tx, T = (np.asarray(v, float) for v in (x, tx, T))
    r, alpha = params[0], params[1]
    u = np.asarray(t, float) / (alpha + T)
    if model == "nbd":
        return (r + x) * u
    a, b = params[2], params[3]
    # Given alive, p ~ Beta(a, b + x) (BG/NBD) or Beta(a, b + x + 1) (MBG/NBD, which
    # also lets a customer drop out at the first purchase).
    b_alive = b + x + (1.0 if model == "mbgnbd" else 0.0)
    return _bg_p_alive(model, params, x, tx, T) * _alive_expectation(a, b_alive, r + x, u)


def _bg_weighted_expectation(model: str, params, times, weights, x, tx, T) -> np.ndarray:
    """``sum_k weights_k E[X(T, T + times_k) | x, tx, T]`` for BG/NBD, MBG/NBD and NBD."""
    x, tx, T = (np.asarray(v, float) for v in (x, tx, T))
    r, alpha = params[0], params[1]
    if model == "nbd":
        return (r + x) / (alpha + T) * float(weights @ times)
    a, b = params[2], params[3]
    # Given alive the expectation depends on (x, T) and the horizon only.
    patterns, inverse = _unique_rows(np.column_stack([x, T]))
    px, pT = patterns.T
    b_alive = b + px + (1.0 if model == "mbgnbd" else 0.0)
    u = times[None, :] / (alpha + pT[:, None])
    given_alive = _alive_expectation(a, b_alive[:, None], (r + px)[:, None], u) @ weights
    return _bg_p_alive(model, params, x, tx, T) * given_alive[inverse]


def _bg_expected_new(model: str, params, t) -> np.ndarray:
    """E[X(t)] for a new customer (FHL 2005a eq. 7; Batislam et al. 2007), computed stably."""
    r, alpha = params[0], params[1]
    t = np.asarray(t, float)
    if model == "nbd":
        return r * t / alpha
    a, b = params[2], params[3]
    if model == "mbgnbd":  # alive after the first purchase with probability b / (a + b)
        return b / (a + b) * _alive_expectation(a, b + 1.0, r, t / alpha)
    return _alive_expectation(a, b, r, t / alpha)


def _pareto_p_alive(params, x, tx, T):
    """Pareto/NBD P(alive): the likelihood's alive-throughout term over the whole bracket.

    The same two positive integrals as the likelihood (``_pareto_likelihood``),
    so P(alive) and the fit share one evaluation of the Pareto/NBD integral.
    """
    return np.exp(_pareto_likelihood.row_log_alive(params, x, tx, T))


def _pareto_horizon_factor(s, base, t) -> np.ndarray:
    """(base / (s - 1)) * (1 - (base / (base + t))^(s - 1)), continuous through s = 1."""
    log_ratio = np.log1p(np.asarray(t, float) / base)
    k = (s - 1.0) * log_ratio
    with np.errstate(all="ignore"):
        factor = np.where(np.abs(k) > 1e-8, -np.expm1(-k) / np.where(k == 0, 1.0, k), 1 - k / 2)
    return base * log_ratio * factor


def _pareto_conditional_expectation(params, t, x, tx, T) -> np.ndarray:
    """E[X(T, T + t) | x, tx, T] for the Pareto/NBD (Schmittlein et al. 1987, eq. 22)."""
    r, alpha, s, beta = params
    x, tx, T = (np.asarray(v, float) for v in (x, tx, T))
    return (_pareto_p_alive(params, x, tx, T) * (r + x) / (alpha + T)
            * _pareto_horizon_factor(s, beta + T, t))


def _pareto_weighted_expectation(params, times, weights, x, tx, T) -> np.ndarray:
    """``sum_k weights_k E[X(T, T + times_k) | x, tx, T]`` for the Pareto/NBD."""
    r, alpha, s, beta = params
    x, tx, T = (np.asarray(v, float) for v in (x, tx, T))
    inverse, ages = pd.factorize(T)  # the horizon factor depends on T only
    factor = _pareto_horizon_factor(s, beta + np.asarray(ages, float)[:, None],
                                    times[None, :]) @ weights
    return _pareto_p_alive(params, x, tx, T) * (r + x) / (alpha + T) * factor[inverse]


def _pareto_expected_new(params, t) -> np.ndarray:
    """E[X(t)] for a new Pareto/NBD customer (Schmittlein et al. 1987, eq. 17)."""
    r, alpha, s, beta = params
    return r / alpha * _pareto_horizon_factor(s, beta, np.asarray(t, float))


def _model_key(model: str, where: str) -> str:
    key = _MODEL_ALIASES.get(str(model).lower())
    if key is None:
        raise CRMDataError(
            f"{where}: model must be one of 'bgnbd', 'pareto', 'mbgnbd', 'nbd', got {model!r}."
        )
    return key


def _objective(key: str, x, tx, T, w, penalizer: float):
    """Mean penalised negative log-likelihood in log-parameters (lifetimes' objective).

    Time is already rescaled to max(T) = 1; the L2 penalty acts on the rescaled
    parameters, exactly as in lifetimes, so penalised fits agree with it.
    """
    wsum = w.sum()
    cols = [x, tx, T]

    def fun(theta):
        p = _from_search(key, theta)
        with np.errstate(all="ignore"):
            ll = _total_loglik(key, p, cols, w)
        return -ll / wsum + penalizer * float(np.sum(p**2))

    return fun


def _from_search(key: str, theta) -> np.ndarray:
    """Model parameters from the optimiser's coordinates (log-parameters).

    The Pareto/NBD is searched in (log r, log alpha, log s, log s/beta): when
    dropout rates barely vary between customers the likelihood rises along a
    ridge s, beta -> infinity with the mean rate s/beta fixed, which is one
    axis in these coordinates instead of a diagonal BFGS can only creep along.
    """
    p = np.exp(np.asarray(theta, float))
    if key == "pareto":
        p[3] = p[2] / p[3]
    return p


def _to_search(key: str, params) -> np.ndarray:
    p = np.asarray(params, float).copy()
    if key == "pareto":
        p[3] = p[2] / p[3]
    return np.log(p)


def _starts(key: str, nbd: np.ndarray | None) -> list[np.ndarray]:
    """Starting points in log-parameters (time rescaled to max(T) = 1).

    lifetimes' own start (all log-parameters 0.1) comes first, then starts that
    take the purchase process from the NBD fit and vary the dropout process;
    the best optimum over all of them is kept.
    """
    if key == "nbd":
        return [np.full(2, 0.1), np.array([0.0, -1.0])]
    starts = [np.full(4, 0.1)]
    rate = np.full(2, 0.1) if nbd is None else np.log(nbd)
    dropout = ([(0.0, 0.0), (np.log(0.5), np.log(5.0))]
               if key == "pareto" else [(np.log(0.5), np.log(3.0)), (np.log(2.0), np.log(0.5))])
    starts += [np.concatenate([rate, d]) for d in dropout]
    return starts


def _fit_scaled(key: str, x, tx, T, w, penalizer: float, nbd: np.ndarray | None = None,
                rows: _likelihood.Rows | None = None) -> _Optimum:
    """Multi-start maximum likelihood of one model on time rescaled to max(T) = 1.

    BG/NBD, MBG/NBD and NBD use the vectorised likelihoods of ``_likelihood``
    with analytic gradients (``rows``: the data prepared once for all fits);
    the Pareto/NBD ``_pareto_likelihood`` (value and analytic gradient from one
    pass over the distinct (x, t) integrals).
    """
    coarse = None
    if key == "pareto":
        fun, grad = _pareto_likelihood.search_objective(x, tx, T, w, penalizer)
        # BFGS on a cheaper quadrature (40% fewer nodes); Newton finishes on the full one
        coarse = _pareto_likelihood.search_objective(x, tx, T, w, penalizer,
                                                     n_nodes=_pareto_likelihood.COARSE_NODES)
    else:
        rows = _likelihood.Rows(x, tx, T, w) if rows is None else rows
        objective = _likelihood.Objective(_likelihood.CONTINUOUS[key], rows, penalizer)
        fun, grad = objective.fun, objective.grad
    starts = [_to_search(key, np.exp(x0)) for x0 in _starts(key, nbd)]
    opt = _optimise(fun, starts, grad=grad, weight=float(w.sum()), coarse=coarse)
    opt.x = _from_search(key, opt.x)
    return opt


_NO_DROPOUT = ("no sign of customers leaving in the calibration period; the model reduces to the "
               "NBD \u2014 no dropout, P(alive) = 1")
#: Log-likelihood units by which a model with dropout must beat its no-dropout
#: limit to be kept (the optimiser's own tolerance is 1e-5).
_BOUNDARY_TOL = 1e-3


def fit_btyd(
    summary: pd.DataFrame,
    *,
    model: str = "bgnbd",
    frequency: str = "frequency",
    recency: str = "recency",
    T: str = "T",
    weights: str | None = None,
    time_unit: str = "weeks",
    penalizer: float = 0.0,
    aggregate: bool = False,
) -> BTYDModel:
    """Fit a continuous-time buy-till-you-die model to an RFM summary.

    Parameters
    ----------
    summary : DataFrame
        Output of :func:`crm_analysis.rfm_summary`, one row per customer (or per
        pattern with ``weights``).  A calibration/holdout summary works too: the
        ``*_cal`` columns are used when ``frequency`` etc. are absent.  Never modified.
    model : {"bgnbd", "pareto", "mbgnbd", "nbd"}, default "bgnbd"
        BG/NBD (Fader, Hardie & Lee 2005a), Pareto/NBD (Schmittlein, Morrison &
        Colombo 1987), MBG/NBD (Batislam, Denizel & Filiztekin 2007) or the NBD
        (no dropout), the limit all three reduce to when nobody leaves.
    frequency, recency, T : str
        Column names: repeat purchases, time of the last minus first purchase,
        time from first purchase to the end of observation.
    weights : str, optional
        Column of customer counts when rows are purchase patterns.
    time_unit : str, default "weeks"
        Unit of recency and T, recorded on the model (``"days"``, ``"weeks"``,
        ``"months"`` ... enable calendar conversions).
    penalizer : float, default 0.0
        L2 penalty on the (time-rescaled) parameters, as in lifetimes; use a
        small value when the plain fit fails.
    aggregate : bool, default False
        Fit on the distinct (frequency, recency, T) rows with their counts as
        weights.  Same likelihood, same parameters; much faster on large bases
        with coarse time (see ``bench/bench_fit.py``).

    Returns
    -------
    BTYDModel

    Notes
    -----
    Customers with T = 0 (first purchase at the end of the period) contribute
    exactly 1 to the likelihood; they are kept out of the optimisation and
    counted in ``notes_`` and ``n_zero_age_``.  Each model is fitted from
    several starting points (BFGS, then Newton steps); the fit counts as
    converged when the log-likelihood cannot gain more than 0.001.  When the
    best fit with dropout is no better (by 0.001) than its no-dropout limit,
    the maximum lies on that boundary and the NBD limit is returned
    (``model="nbd"``, ``reduced_from`` set): P(alive) = 1 and expected
    purchases ``(r + x) t / (alpha + T)``, never inf or NaN.

    Raises
    ------
    CRMDataError
        Missing columns, missing/negative/non-integer frequencies, recency
        above T, repeat purchases at T = 0, an unknown model.
    ConvergenceError
        A fit that genuinely did not converge (a subclass of CRMDataError, with advice).

    Warns
    -----
    ModelFitWarning
        Once when the data show no dropout and the model reduces to the NBD;
        when the likelihood is flat at the optimum (standard errors undefined or huge).

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005a). "Counting your customers"
    the easy way: An alternative to the Pareto/NBD model. *Marketing Science*, 24(2), 275-284.
    Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987). Counting your customers:
    Who are they and what will they do next? *Management Science*, 33(1), 1-24.
    Batislam, E. P., Denizel, M. & Filiztekin, A. (2007). Empirical validation and
    comparison of models for customer base analysis. *IJRM*, 24(3), 201-209.

    Examples
    --------
    >>> import crm_analysis as crm
    >>> cal = crm.rfm_summary(crm.load_cdnow(), freq="D", freq_multiplier=7,
    ...                       calibration_end="1997-09-30", observation_end="1998-06-30")
    >>> bg = fit_btyd(cal, model="bgnbd")
    >>> bg.params_.round(3).tolist()
    [0.243, 4.414, 0.793, 2.426]
    """
    key = _model_key(model, "fit_btyd")
    if penalizer < 0:
        raise CRMDataError(f"fit_btyd: penalizer must be >= 0, got {penalizer}.")
    x, tx, age, cols = _frt(summary, frequency, recency, T, "fit_btyd", fitting=True)
    w = _weights(summary, weights, "fit_btyd")
    what = f"fit_btyd(model={key!r})"
    notes = []
    # Customers first seen at the end (T = 0) contribute exactly 1 to the
    # likelihood: kept out of the optimisation, counted in the notes.
    zero = age <= 0
    n_zero = int(round(w[zero].sum()))
    if n_zero:
        notes.append(f"{n_zero:,} customer{'s' if n_zero != 1 else ''} with {cols[2]!r} = 0 (first "
                     "purchase at the end of the period) carry no information (likelihood "
                     "contribution 1) and were left out of the optimisation.")
    n_total = int(round(w.sum()))
    keep = (w > 0) & ~zero
    x, tx, age, w = x[keep], tx[keep], age[keep], w[keep]
    if len(x) == 0:
        raise CRMDataError(f"{what}: column {cols[2]!r}: every customer has T = 0 "
                           "(nothing observed after the first purchase); nothing to fit.")
    if aggregate:
        (x, tx, age), w = _aggregate(x, tx, age, weights=w)
    # Optimise on time rescaled to max(T) = 1 (hypergeometric terms overflow for
    # long histories in raw units); a density of x purchase times picks up
    # x log(scale), which converts the log-likelihood back to the caller's unit.
    scale = 1.0 / age.max()
    data_cols = [x, tx * scale, age * scale]
    wsum = float(w.sum())
    rows = _prepare(key, data_cols, w)  # reused by the fits, the log-likelihood and the SEs
    nbd = _fit_scaled("nbd", *data_cols, w, penalizer, rows=rows)
    fitted_key, reduced_from = key, None
    if key == "nbd":
        opt = nbd
    else:
        opt = _fit_scaled(key, *data_cols, w, penalizer, nbd=nbd.x if nbd.converged else None,
                          rows=rows)
        # The supremum of every dropout model is its no-dropout limit; when the best
        # fit with dropout does not beat the NBD, the maximum is on that boundary.
        gain = (nbd.fun - opt.fun) * wsum if np.isfinite(opt.fun) else -np.inf
        if nbd.converged and gain < _BOUNDARY_TOL:
            fitted_key, reduced_from, full_fun, opt = "nbd", key, opt.fun, nbd
            ll_with = -full_fun * wsum + float(np.sum(w * x)) * np.log(scale)
            notes.append(f"{_NO_DROPOUT}. The best {_LABELS[key]} fit found has log-likelihood "
                         f"{ll_with:,.3f}, no more than its no-dropout limit.")
            warnings.warn(ModelFitWarning(
                f"{what}: {_NO_DROPOUT}. The NBD limit is returned (parameters r, alpha; every "
                "prediction treats customers as active).",
                note=Message("note.fit_no_dropout", model=_LABELS[key])), stacklevel=2)
    if not opt.converged:
        raise ConvergenceError(
            f"{what}: the maximum-likelihood fit did not converge ({opt.message}). {_ADVICE}")
    p_scaled = opt.x
    params = pd.Series(_rescale(fitted_key, p_scaled, 1.0 / scale), index=_PARAM_NAMES[fitted_key])
    if not np.all(np.isfinite(params)) or (params <= 0).any():
        raise ConvergenceError(f"{what}: invalid parameters {params.to_dict()}. {_ADVICE}")
    ll = (_total_loglik(fitted_key, p_scaled, data_cols, w, rows if fitted_key in _FAST else None)
          + float(np.sum(w * x)) * np.log(scale))
    se, cov = _standard_errors(fitted_key, p_scaled, data_cols, w, out_params=params.to_numpy())
    _check_fit(params, se, what, _LABELS[key])
    return BTYDModel(
        model=fitted_key, time_unit=time_unit, params_=params, standard_errors_=se,
        covariance_=cov, log_likelihood_=ll, n_customers_=n_total, n_patterns_=len(x),
        penalizer=penalizer,
        columns={"frequency": cols[0], "recency": cols[1], "T": cols[2]},
        reduced_from=reduced_from, notes_=notes, n_zero_age_=n_zero,
        max_T_=float(age.max()), max_frequency_=int(min(x.max(), 30)),
    )


# --------------------------------------------------------------------------------------
# discrete-time BG/BB
# --------------------------------------------------------------------------------------


@dataclass
class BGBBModel(_CustomerModel):
    """A fitted BG/BB model for discrete transaction opportunities.

    Attributes
    ----------
    params_ : Series
        ``alpha, beta`` (purchase probability) and ``gamma, delta`` (dropout).
    standard_errors_, covariance_, log_likelihood_, aic_, bic_, n_customers_, n_obs_
        As in :class:`BTYDModel`.
    time_unit : str
        What one opportunity is (e.g. ``"years"``).
    notes_, rows_dropped_ : list, dict
        As in :class:`BTYDModel` (empty: the BG/BB drops no rows).
    """

    params_: pd.Series
    standard_errors_: pd.Series
    covariance_: pd.DataFrame
    log_likelihood_: float
    n_customers_: int
    time_unit: str = "periods"
    penalizer: float = 0.0
    columns: dict = field(default_factory=lambda: {"frequency": "frequency", "recency": "recency",
                                                    "n_periods": "periods"})
    model: str = "bgbb"
    notes_: list = field(default_factory=list)
    rows_dropped_: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return "BG/BB"

    @property
    def fitter_(self):
        from lifetimes import BetaGeoBetaBinomFitter

        f = BetaGeoBetaBinomFitter(penalizer_coef=self.penalizer)
        f.params_ = self.params_.copy()
        return f

    def _cols(self, data, frequency, recency, n_periods, where):
        require_frame(data, where, empty=_EMPTY)
        names = [frequency or self.columns["frequency"], recency or self.columns["recency"],
                 n_periods or self.columns["n_periods"]]
        cols = [_resolve(data, c, where) for c in names]
        # lifetimes' BG/BB formulas need arrays (``.max()``), never Python scalars.
        return [np.atleast_1d(_numeric(data, c, where)) for c in cols]

    def p_alive(self, data: pd.DataFrame, m: int = 0, *, frequency=None, recency=None,
                n_periods=None) -> pd.Series:
        """P(alive) at opportunity ``n + m`` given each history (Fader, Hardie & Shang 2010, A10)."""
        x, tx, n = self._cols(data, frequency, recency, n_periods, "p_alive")
        out = self.fitter_.conditional_probability_alive(m, x, tx, n)
        return _as_output(out, data, "p_alive")

    def expected_purchases(self, t: int, data: pd.DataFrame, *, frequency=None, recency=None,
                           n_periods=None) -> pd.Series:
        """Expected transactions in the next ``t`` opportunities given each history (FHS 2010, eq. 13)."""
        x, tx, n = self._cols(data, frequency, recency, n_periods, "expected_purchases")
        if t == 0:
            return _as_output(np.zeros(len(x)), data, "expected_purchases")
        out = self.fitter_.conditional_expected_number_of_purchases_up_to_time(t, x, tx, n)
        return _as_output(out, data, "expected_purchases")

    def expected_purchases_new(self, n) -> float | pd.Series:
        """Expected transactions of a new customer in the first ``n`` opportunities."""
        ns = np.atleast_1d(np.asarray(n, dtype=int))
        out = np.array([_bgbb_expected_new(self.params_.to_numpy(), int(k)) for k in ns])
        if np.ndim(n) == 0:
            return float(out[0])
        return pd.Series(out, index=pd.Index(ns, name="opportunities"), name="expected_purchases")


def _bgbb_expected_new(params, n: int) -> float:
    """E[X(n)] for a new customer (Fader, Hardie & Shang 2010, eq. 8)."""
    from scipy.special import gammaln

    alpha, beta, gamma, delta = params
    if n <= 0:
        return 0.0
    return float(alpha / (alpha + beta) * delta / (gamma - 1)
                 * (1 - np.exp(gammaln(gamma + delta) - gammaln(1 + delta)
                               + gammaln(1 + delta + n) - gammaln(gamma + delta + n))))


def fit_bgbb(
    summary: pd.DataFrame,
    *,
    frequency: str = "frequency",
    recency: str = "recency",
    n_periods: str = "periods",
    weights: str | None = None,
    time_unit: str = "periods",
    penalizer: float = 0.0,
) -> BGBBModel:
    """Fit the BG/BB model (discrete transaction opportunities, e.g. annual donations).

    Parameters
    ----------
    summary : DataFrame
        One row per customer or pattern: ``frequency`` (opportunities with a
        transaction after the first), ``recency`` (opportunity of the last one,
        0 if none) and ``n_periods`` (opportunities observed).  Never modified.
    weights : str, optional
        Column of customer counts per pattern (e.g. ``"weights"`` in
        :func:`crm_analysis.load_donations`).
    time_unit : str
        What one opportunity is, for labels.
    penalizer : float
        L2 penalty, as in :func:`fit_btyd`.

    Returns
    -------
    BGBBModel

    Raises
    ------
    CRMDataError
        Missing columns, non-integer or inconsistent counts (frequency >
        recency, recency > n_periods), or a failed fit.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Shang, J. (2010). Customer-base analysis in a
    discrete-time noncontractual setting. *Marketing Science*, 29(6), 1086-1108.

    Examples
    --------
    >>> import crm_analysis as crm
    >>> fit_bgbb(crm.load_donations(), weights="weights").params_.round(3).tolist()
    [1.204, 0.75, 0.657, 2.783]
    """
    require_frame(summary, "fit_bgbb", empty=_EMPTY)
    cols = [_resolve(summary, c, "fit_bgbb") for c in (frequency, recency, n_periods)]
    x, tx, n = (_numeric(summary, c, "fit_bgbb") for c in cols)
    w = _weights(summary, weights, "fit_bgbb")
    for mask, col, problem in [
        ((x < 0) | (np.abs(x - np.round(x)) > 1e-9), cols[0], "not a non-negative integer"),
        ((tx < 0) | (np.abs(tx - np.round(tx)) > 1e-9), cols[1], "not a non-negative integer"),
        ((n <= 0) | (np.abs(n - np.round(n)) > 1e-9), cols[2], "not a positive integer"),
        (x > tx, cols[0], "more transactions than the opportunity of the last one"),
        (tx > n, cols[1], "recency beyond the number of opportunities"),
    ]:
        if mask.any():
            raise CRMDataError(f"fit_bgbb: column {col!r}: {problem}: "
                               + describe_rows(summary, mask, cols))
    if penalizer < 0:
        raise CRMDataError(f"fit_bgbb: penalizer must be >= 0, got {penalizer}.")
    (x, tx, n), w = _aggregate(x, tx, n, weights=w)
    x, tx, n = x.astype(int), tx.astype(int), n.astype(int)
    # lifetimes' objective (weighted mean negative log-likelihood plus L2 penalty,
    # log-parameters, its start 0.1 first) with an analytic gradient.
    rows = _prepare("bgbb", [x, tx, n], w)
    objective = _likelihood.Objective(_likelihood.bgbb, rows, penalizer)
    opt = _optimise(objective.fun, [np.full(4, 0.1), np.zeros(4)], grad=objective.grad,
                    weight=float(w.sum()))
    if not opt.converged:
        raise ConvergenceError(f"fit_bgbb: the maximum-likelihood fit did not converge "
                               f"({opt.message}). {_ADVICE}")
    params = pd.Series(np.exp(opt.x), index=_PARAM_NAMES["bgbb"])
    ll = _total_loglik("bgbb", params.to_numpy(), [x, tx, n], w, rows)
    se, cov = _standard_errors("bgbb", params.to_numpy(), [x, tx, n], w)
    _check_fit(params, se, "fit_bgbb", "BG/BB")
    return BGBBModel(params, se, cov, ll, int(round(w.sum())), time_unit, penalizer,
                     {"frequency": cols[0], "recency": cols[1], "n_periods": cols[2]})


# --------------------------------------------------------------------------------------
# spend
# --------------------------------------------------------------------------------------


@dataclass
class SpendModel(_CustomerModel):
    """A fitted Gamma-Gamma spend model.

    Attributes
    ----------
    params_ : Series
        ``p, q, v`` (``v`` is the paper's gamma).
    standard_errors_, covariance_, log_likelihood_ : as in :class:`BTYDModel`
    n_customers_ : int
        Repeat customers the model was fitted on (``n_obs_`` is the same number).
    n_excluded_ : int
        Customers left out because they have no repeat purchase (no spend data);
        also ``rows_dropped_["no repeat purchase"]``.
    correlation_ : float
        Pearson correlation of frequency and average spend among repeat customers;
        the model assumes it is near zero.
    """

    params_: pd.Series
    standard_errors_: pd.Series
    covariance_: pd.DataFrame
    log_likelihood_: float
    n_customers_: int
    n_excluded_: int
    correlation_: float
    penalizer: float = 0.0
    columns: dict = field(default_factory=lambda: {"frequency": "frequency",
                                                    "monetary_value": "monetary_value"})
    notes_: list = field(default_factory=list)
    rows_dropped_: dict = field(default_factory=dict)

    @property
    def mean_spend_(self) -> float:
        """Population mean spend per transaction, ``p v / (q - 1)``."""
        p, q, v = self.params_
        return float(p * v / (q - 1)) if q > 1 else np.inf

    def expected_spend(self, data: pd.DataFrame, *, frequency=None, monetary_value=None) -> pd.Series:
        """Expected average spend per future transaction, given each customer's history.

        A weighted mean of the customer's observed average and the population
        mean; customers without repeat purchases get the population mean
        (Fader, Hardie & Lee 2005b, eq. 5).
        """
        require_frame(data, "expected_spend", empty=_EMPTY)
        fcol = _resolve(data, frequency or self.columns["frequency"], "SpendModel.expected_spend")
        mcol = _resolve(data, monetary_value or self.columns["monetary_value"], "SpendModel.expected_spend")
        x = _numeric(data, fcol, "expected_spend")
        m = _numeric(data, mcol, "expected_spend")
        p, q, v = self.params_
        weight = p * x / (p * x + q - 1)
        out = (1 - weight) * self.mean_spend_ + weight * np.where(x > 0, m, 0.0)
        return _as_output(out, data, "expected_spend")


def fit_gamma_gamma(
    summary: pd.DataFrame,
    *,
    frequency: str = "frequency",
    monetary_value: str = "monetary_value",
    penalizer: float = 0.0,
    max_correlation: float = 0.3,
) -> SpendModel:
    """Fit the Gamma-Gamma model of spend per transaction.

    Only customers with at least one repeat purchase carry spend information;
    the others are excluded explicitly and counted in ``n_excluded_``.

    Parameters
    ----------
    summary : DataFrame
        RFM summary with repeat-purchase counts and the mean repeat spend
        (``*_cal`` columns are found automatically).  Never modified.
    frequency, monetary_value : str
        Column names.
    penalizer : float
        L2 penalty on the parameters.
    max_correlation : float, default 0.3
        Warn when ``|corr(frequency, monetary value)|`` among repeat customers
        exceeds this: the model assumes spend is independent of frequency.

    Returns
    -------
    SpendModel

    Raises
    ------
    CRMDataError
        Missing columns, zero or negative monetary values among repeat
        customers, fewer than 10 repeat customers, or a failed fit.

    Warns
    -----
    ModelFitWarning
        When the independence assumption looks violated.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005b). RFM and CLV: Using
    iso-value curves for customer base analysis. *Journal of Marketing
    Research*, 42(4), 415-430.

    Examples
    --------
    >>> import crm_analysis as crm
    >>> cal = crm.rfm_summary(crm.load_cdnow(), amount="amount", freq="D", freq_multiplier=7,
    ...                       calibration_end="1997-09-30", observation_end="1998-06-30")
    >>> gg = fit_gamma_gamma(cal)
    >>> gg.params_.round(2).tolist(), gg.n_excluded_
    ([6.25, 3.74, 15.44], 1411)
    """
    require_frame(summary, "fit_gamma_gamma", empty=_EMPTY)
    fcol, mcol = (_resolve(summary, c, "fit_gamma_gamma") for c in (frequency, monetary_value))
    x = _numeric(summary, fcol, "fit_gamma_gamma")
    m = _numeric(summary, mcol, "fit_gamma_gamma")
    repeat = x > 0
    bad = repeat & (m <= 0)
    if bad.any():
        raise CRMDataError(
            f"fit_gamma_gamma: column {mcol!r}: zero or negative average spend for repeat "
            "customers (the model needs positive spend; drop or net these first): "
            + describe_rows(summary, bad, [fcol, mcol])
        )
    if repeat.sum() < 10:
        raise CRMDataError(
            f"fit_gamma_gamma: only {int(repeat.sum())} customers with repeat purchases in "
            f"{fcol!r}; at least 10 are needed."
        )
    xr, mr = x[repeat], m[repeat]
    corr = float(np.corrcoef(xr, mr)[0, 1]) if np.std(xr) > 0 and np.std(mr) > 0 else 0.0
    if abs(corr) > max_correlation:
        warnings.warn(ModelFitWarning(
            f"fit_gamma_gamma: frequency and average spend are correlated (r = {corr:.2f}); "
            "the Gamma-Gamma model assumes they are independent, so expected spend and "
            "CLV will be biased. Consider modelling spend by segment instead.",
            note=Message("note.fit_spend_correlated", corr=f"{corr:.2f}")), stacklevel=2)
    if penalizer < 0:
        raise CRMDataError(f"fit_gamma_gamma: penalizer must be >= 0, got {penalizer}.")
    w = np.ones(len(xr))
    # lifetimes' objective (mean negative log-likelihood plus L2 penalty, log-parameters,
    # start 0.1) with an analytic gradient; convergence is judged at the optimum, so a
    # fit that ends on scipy's "precision loss" at a flat maximum is accepted.
    rows = _prepare("gamma_gamma", [xr, mr], w)
    objective = _likelihood.Objective(_likelihood.gamma_gamma, rows, penalizer)
    opt = _optimise(objective.fun, [np.full(3, 0.1), np.zeros(3)], grad=objective.grad,
                    weight=float(len(xr)))
    if not opt.converged:
        raise ConvergenceError(
            f"fit_gamma_gamma: the maximum-likelihood fit did not converge ({opt.message}). "
            "Try a small penalizer (e.g. penalizer=0.001) and check the spend values.")
    params = pd.Series(np.exp(opt.x), index=_PARAM_NAMES["gamma_gamma"])
    ll = _total_loglik("gamma_gamma", params.to_numpy(), [xr, mr], w, rows)
    se, cov = _standard_errors("gamma_gamma", params.to_numpy(), [xr, mr], w)
    _check_fit(params, se, "fit_gamma_gamma", "Gamma-Gamma")
    n_excluded = int((~repeat).sum())
    # Customers without a repeat purchase carry no spend information (by design, not an error).
    dropped = {"no repeat purchase": n_excluded} if n_excluded else {}
    return SpendModel(params, se, cov, ll, int(repeat.sum()), n_excluded, corr, penalizer,
                      {"frequency": fcol, "monetary_value": mcol},
                      notes_=[rows_dropped_note("fit_gamma_gamma", dropped)] if n_excluded else [],
                      rows_dropped_=dropped)


# --------------------------------------------------------------------------------------
# value
# --------------------------------------------------------------------------------------


def _period_length(freq, time_unit: str | None) -> float:
    where = "customer_lifetime_value"
    if isinstance(freq, str):
        # A calendar code, optionally a whole multiple of it: "M", "4W", "14D".
        match = re.fullmatch(r"([1-9]\d*)?(\w+)", freq)
        if match is None or match.group(2) not in _FREQ_DAYS:
            raise CRMDataError(f"{where}: freq must be one of {list(_FREQ_DAYS)}, optionally with a "
                               f"whole multiple ('4W'), got {freq!r}.")
        if time_unit not in TIME_UNIT_DAYS:
            raise CRMDataError(
                f"{where}: cannot convert freq={freq!r} into the model's time unit {time_unit!r}; "
                "leave freq out to discount per model time unit."
            )
        return int(match.group(1) or 1) * _FREQ_DAYS[match.group(2)] / TIME_UNIT_DAYS[time_unit]
    length = float(freq)
    if not length > 0:
        raise CRMDataError(f"{where}: freq (discount-period length) must be positive, got {freq!r}.")
    return length


def customer_lifetime_value(
    transaction_model,
    spend_model,
    data: pd.DataFrame,
    *,
    horizon: int,
    discount_rate: float,
    margin: float = 1.0,
    freq: str | None = None,
) -> pd.Series:
    """Discounted expected margin of each customer over a finite horizon.

    CLV_i = margin x E[spend_i] x sum_{k=1..horizon} (E[X_i(k L)] - E[X_i((k-1) L)]) / (1 + d)^k

    where X_i(t) is the conditional number of purchases in the next t model
    time units, L the length of one discount period and d the discount rate
    *per period*; cash flows are discounted at the end of the period in which
    they happen (the "end" timing of :mod:`crm_analysis.discounting`, computed
    by :func:`~crm_analysis.discounting.present_value_of_increments`).

    Parameters
    ----------
    transaction_model : BTYDModel or BGBBModel
        Anything with ``expected_purchases(t, data)`` and a ``time_unit``.
    spend_model : SpendModel, float or Series
        Expected spend per transaction: a fitted model, one number for every
        customer, or a Series aligned with ``data``.
    data : DataFrame
        Customer summary (as fitted).
    horizon : int
        Number of discount periods.
    discount_rate : float
        Discount rate per period, e.g. 0.01 per month (about 12.7% a year).
    margin : float, default 1.0
        Profit margin applied to spend (1.0 = revenue CLV).
    freq : {"D", "W", "M", "Q", "Y"} or a multiple such as "4W", optional
        Discount period as a calendar unit (converted with the model's time
        unit); by default one model time unit (a week for a weekly model, one
        opportunity for BG/BB).  A number (the period's length in model time
        units) still works for one release with a ``DeprecationWarning``.

    Returns
    -------
    Series
        ``clv``, indexed like ``data``.

    Raises
    ------
    CRMDataError
        Non-positive horizon, negative discount rate or margin, unknown freq.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005b). RFM and CLV: Using
    iso-value curves for customer base analysis. *JMR*, 42(4), 415-430.

    Examples
    --------
    >>> import pandas as pd
    >>> bg = BTYDModel.from_params("bgnbd", [0.243, 4.414, 0.793, 2.426])
    >>> one = pd.DataFrame({"frequency": [2.0], "recency": [30.43], "T": [38.86]})
    >>> round(float(customer_lifetime_value(bg, 35.0, one, horizon=12,
    ...       discount_rate=0.01, freq="M").iloc[0]), 2)
    51.53
    """
    if not isinstance(horizon, (int, np.integer)) or horizon <= 0:
        raise CRMDataError(f"customer_lifetime_value: horizon must be a positive whole number of "
                           f"periods, got {horizon!r}.")
    if discount_rate < 0 or not np.isfinite(discount_rate):
        raise CRMDataError(f"customer_lifetime_value: discount_rate must be >= 0 (per period), "
                           f"got {discount_rate!r}.")
    if margin < 0:
        raise CRMDataError(f"customer_lifetime_value: margin must be >= 0, got {margin!r}.")
    if freq is None:
        length = 1.0
    else:
        if not isinstance(freq, str):
            # The glossary keeps ``freq`` for calendar codes; a length was the old spelling.
            warnings.warn("customer_lifetime_value: a number as freq is deprecated and will be "
                          "removed; pass a calendar code ('W', 'M', '4W', ...) or leave freq out for one "
                          "model time unit", DeprecationWarning, stacklevel=2)
        length = _period_length(freq, getattr(transaction_model, "time_unit", None))
    if isinstance(spend_model, SpendModel):
        spend = spend_model.expected_spend(data).to_numpy()
    elif isinstance(spend_model, pd.Series):
        spend = spend_model.reindex(data.index).to_numpy(dtype=float)
        if np.isnan(spend).any():
            raise CRMDataError("customer_lifetime_value: spend Series does not cover every customer in data.")
    else:
        spend = np.full(len(data), float(spend_model))
    # Purchases of discount period k are paid at its end (rate per period: periods_per_year=1).
    periods = np.arange(1, horizon + 1)
    if isinstance(transaction_model, BTYDModel):
        # The same sum, all horizons in one pass over the distinct (x, T) patterns.
        weights = increment_weights(periods, discount_rate, periods_per_year=1.0)
        total = transaction_model._weighted_expected_purchases(periods * length, weights, data)
    else:
        total = present_value_of_increments(
            lambda k: transaction_model.expected_purchases(k * length, data).to_numpy(),
            periods, discount_rate, periods_per_year=1.0,
        )
    return pd.Series(margin * spend * total, index=data.index, name="clv")


def customer_equity(clv: pd.Series | pd.DataFrame, by=None, *, value: str = "clv") -> pd.DataFrame:
    """Customer equity: the sum of CLV, overall or by segment.

    Parameters
    ----------
    clv : Series or DataFrame
        CLV per customer (or a frame with a ``value`` column).
    by : str, Series or array, optional
        Segment labels: a column of ``clv`` (DataFrame) or values aligned with it.
    value : str
        CLV column when ``clv`` is a DataFrame.

    Returns
    -------
    DataFrame
        Per segment (or one row ``"all customers"``): ``customers``, ``equity``,
        ``mean_clv``, ``median_clv`` and ``share`` of total equity; sorted by equity.

    Examples
    --------
    >>> import pandas as pd
    >>> customer_equity(pd.Series([10.0, 30.0]))["equity"].tolist()
    [40.0]
    """
    frame = clv if isinstance(clv, pd.DataFrame) else pd.Series(clv).to_frame(value)
    require_columns(frame, {"value": value, "by": by if isinstance(by, str) else None},
                    "customer_equity")
    values = numeric_column(frame, value, "customer_equity", finite=False, specific=False)
    if by is None:
        groups = pd.Series("all customers", index=values.index, name="segment")
    elif isinstance(by, str):
        groups = frame[by]
    else:
        groups = pd.Series(np.asarray(by), index=values.index, name="segment") if not isinstance(
            by, pd.Series) else by.reindex(values.index)
    g = values.groupby(groups, observed=True, dropna=False)
    out = pd.DataFrame({"customers": g.size(), "equity": g.sum(), "mean_clv": g.mean(),
                        "median_clv": g.median()})
    out["share"] = out["equity"] / values.sum() if values.sum() != 0 else np.nan
    return out.sort_values("equity", ascending=False)


@dataclass
class RankComparison:
    """Backward-looking vs forward-looking ranking of the same customers.

    Attributes
    ----------
    table : DataFrame
        ``past``, ``future``, their ranks (1 = best) and ``top_past``/``top_future`` flags.
    spearman_ : float
        Rank correlation of past and future value.
    n_top_ : int
        Customers in each top group.
    n_past_only_ : int
        In the top by past value but not by future value.
    """

    table: pd.DataFrame
    spearman_: float
    n_top_: int
    n_past_only_: int

    @property
    def overlap_(self) -> float:
        """Share of the past-value top group that is also in the future-value top group."""
        return 1 - self.n_past_only_ / self.n_top_

    def past_only(self) -> pd.DataFrame:
        """Customers ranked top by past value but not by future value."""
        return self.table[self.table["top_past"] & ~self.table["top_future"]]


def compare_rankings(past: pd.Series, future: pd.Series, *, top: float = 0.1) -> RankComparison:
    """Compare a ranking by past value (e.g. revenue) with one by future value (CLV).

    Parameters
    ----------
    past, future : Series
        Values per customer with the same index.
    top : float, default 0.1
        Size of the top group as a share of customers (0.1 = top decile).

    Returns
    -------
    RankComparison

    Examples
    --------
    >>> import pandas as pd
    >>> rc = compare_rankings(pd.Series([1.0, 2, 3, 4]), pd.Series([4.0, 3, 2, 1]), top=0.25)
    >>> rc.spearman_, rc.n_past_only_
    (-1.0, 1)
    """
    if not 0 < top < 1:
        raise CRMDataError(f"compare_rankings: top must be a share between 0 and 1, got {top!r}.")
    if not past.index.equals(future.index):
        if set(past.index) != set(future.index):
            raise CRMDataError("compare_rankings: past and future must cover the same customers.")
        future = future.reindex(past.index)
    table = pd.DataFrame({"past": past.astype(float), "future": future.astype(float)})
    if table.isna().any().any():
        raise CRMDataError("compare_rankings: missing values: " + describe_rows(table, table.isna().any(axis=1)))
    n_top = max(1, int(round(top * len(table))))
    table["past_rank"] = table["past"].rank(ascending=False, method="first").astype(int)
    table["future_rank"] = table["future"].rank(ascending=False, method="first").astype(int)
    table["top_past"] = table["past_rank"] <= n_top
    table["top_future"] = table["future_rank"] <= n_top
    rho = float(stats.spearmanr(table["past"], table["future"]).statistic)
    n_past_only = int((table["top_past"] & ~table["top_future"]).sum())
    return RankComparison(table, rho, n_top, n_past_only)


# --------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------


def holdout_by_frequency(
    model,
    summary: pd.DataFrame,
    *,
    max_frequency: int = 7,
    bins=None,
    frequency: str = "frequency_cal",
    holdout: str = "frequency_holdout",
    duration: str = "duration_holdout",
) -> pd.DataFrame:
    """Mean actual vs predicted holdout transactions by calibration frequency.

    The classic conditional-expectation check (Fader, Hardie & Lee 2005a,
    Figure 4): customers are grouped by their number of repeat purchases in
    the calibration period (the last group pools ``max_frequency`` and more).

    Parameters
    ----------
    model : BTYDModel
        Fitted on the calibration columns.
    summary : DataFrame
        Calibration/holdout output of :func:`crm_analysis.rfm_summary`.
    max_frequency : int, default 7
        Last group, labelled ``"7+"``.
    bins : sequence of int, optional
        Left edges of wider groups for frequent buyers, e.g. ``[0, 5, 10, 20]``
        gives ``"0-4", "5-9", "10-19", "20+"`` (overrides ``max_frequency``).

    Returns
    -------
    DataFrame
        Indexed by group label: ``customers``, ``actual``, ``predicted`` (means
        per customer), ``actual_total``, ``predicted_total``.
    """
    require_frame(summary, "holdout_by_frequency", empty=_EMPTY)
    _require_holdout(summary, "holdout_by_frequency", frequency=frequency, holdout=holdout,
                     duration=duration)
    pred = _holdout_prediction(model, summary, frequency, duration, "holdout_by_frequency")
    x = _numeric(summary, frequency, "holdout_by_frequency").astype(int)
    if bins is None:
        group = np.minimum(x, max_frequency)
        labels = [str(i) for i in range(max_frequency)] + [f"{max_frequency}+"]
    else:
        edges = np.asarray(sorted(bins), dtype=int)
        if edges[0] != 0:
            raise CRMDataError(f"holdout_by_frequency: bins must start at 0, got {list(bins)}.")
        group = np.searchsorted(edges, x, side="right") - 1
        labels = [f"{lo}-{hi - 1}" if hi - 1 > lo else str(lo)
                  for lo, hi in zip(edges[:-1], edges[1:], strict=True)] + [f"{edges[-1]}+"]
    frame = pd.DataFrame({"group": group, "actual": summary[holdout].to_numpy(float),
                          "predicted": pred.to_numpy()})
    g = frame.groupby("group")
    out = pd.DataFrame({"customers": g.size(), "actual": g["actual"].mean(),
                        "predicted": g["predicted"].mean(), "actual_total": g["actual"].sum(),
                        "predicted_total": g["predicted"].sum()})
    out.index = pd.Index([labels[i] for i in out.index], name="calibration frequency")
    return out


def _require_holdout(summary: pd.DataFrame, where: str, **columns: str) -> None:
    require_columns(summary, columns, where, frame="summary",
                    hint="Pass the output of rfm_summary(..., calibration_end=...).")


def _holdout_prediction(model, summary, frequency, duration, where) -> pd.Series:
    dur = _numeric(summary, duration, "holdout")
    t = float(dur[0])
    if not np.allclose(dur, t):
        raise CRMDataError(f"{where}: column {duration!r}: holdout durations differ between customers.")
    kwargs = {"frequency": frequency}
    return model.expected_purchases(t, summary, **kwargs)


def holdout_metrics(
    models,
    summary: pd.DataFrame,
    *,
    frequency: str = "frequency_cal",
    holdout: str = "frequency_holdout",
    duration: str = "duration_holdout",
) -> pd.DataFrame:
    """Error of each model's holdout predictions, per customer and in total.

    Parameters
    ----------
    models : BTYDModel, list or dict of them
        Fitted on the calibration columns of ``summary``.
    summary : DataFrame
        Calibration/holdout summary.

    Returns
    -------
    DataFrame
        One row per model: ``actual_total``, ``predicted_total``,
        ``total_error_pct`` (predicted vs actual total), ``mae`` and ``rmse``
        (per customer), ``correlation`` (per customer).
    """
    if not isinstance(models, dict):
        models = models if isinstance(models, (list, tuple)) else [models]
        models = {m.label: m for m in models}
    # frequency may resolve to the plain column (see _resolve); holdout columns may not
    _require_holdout(summary, "holdout_metrics", holdout=holdout, duration=duration)
    actual = summary[holdout].to_numpy(float)
    rows = {}
    for name, m in models.items():
        pred = _holdout_prediction(m, summary, frequency, duration, "holdout_metrics").to_numpy()
        err = pred - actual
        rows[name] = {
            "actual_total": actual.sum(),
            "predicted_total": pred.sum(),
            "total_error_pct": 100 * (pred.sum() - actual.sum()) / actual.sum(),
            "mae": np.mean(np.abs(err)),
            "rmse": np.sqrt(np.mean(err**2)),
            "correlation": np.corrcoef(pred, actual)[0, 1],
        }
    return pd.DataFrame(rows).T.rename_axis("model")


def compare_models(
    summary: pd.DataFrame,
    models=("bgnbd", "pareto", "mbgnbd"),
    *,
    frequency: str = "frequency",
    recency: str = "recency",
    T: str = "T",
    time_unit: str = "weeks",
    penalizer: float = 0.0,
    aggregate: bool = True,
) -> pd.DataFrame:
    """Fit several models on the same summary and tabulate fit and holdout accuracy.

    Parameters
    ----------
    summary : DataFrame
        RFM summary; with calibration/holdout columns the table adds holdout
        metrics (see :func:`holdout_metrics`).
    models : iterable of str or fitted BTYDModel
        Model names to fit, or models already fitted on ``summary`` (not refitted).

    Returns
    -------
    DataFrame
        One row per model: ``n_params``, ``log_likelihood``, ``aic``, ``bic``
        and, with a holdout, the :func:`holdout_metrics` columns.  Sorted as given.
    """
    fitted = []
    for m in models:
        if isinstance(m, (BTYDModel, BGBBModel)):
            fitted.append(m)
        else:
            fitted.append(fit_btyd(summary, model=m, frequency=frequency, recency=recency, T=T,
                                   time_unit=time_unit, penalizer=penalizer, aggregate=aggregate))
    table = pd.DataFrame(
        {m.label: {"n_params": len(m.params_), "log_likelihood": m.log_likelihood_,
                   "aic": m.aic_, "bic": m.bic_} for m in fitted}
    ).T.rename_axis("model")
    if "frequency_holdout" in summary.columns and "duration_holdout" in summary.columns:
        fcol = _resolve(summary, frequency, "compare_models")
        table = table.join(holdout_metrics({m.label: m for m in fitted}, summary, frequency=fcol))
    table["n_params"] = table["n_params"].astype(int)
    return table


def _tracking_period_days(freq) -> int:
    """Days in one tracking period: ``"W"`` -> 7, ``"14D"`` -> 14."""
    match = re.fullmatch(r"(\d*)([DW])", freq) if isinstance(freq, str) else None
    if match is None or match.group(1).startswith("0"):
        raise CRMDataError(f"tracking_data: freq must be 'D', 'W' or a whole number of them "
                           f"('14D', '2W'), got {freq!r}.")
    return int(match.group(1) or 1) * (7 if match.group(2) == "W" else 1)


@renamed_kwargs(period_days=("freq", lambda days: f"{int(days)}D"))
def tracking_data(
    model,
    transactions: pd.DataFrame,
    *,
    customer_id: str = "customer_id",
    date: str = "date",
    calibration_end,
    observation_end=None,
    freq: str = "W",
    evaluate_at: str = "end",
) -> pd.DataFrame:
    """Weekly (or other) actual vs predicted repeat transactions of a cohort.

    Recreates the Fader-Hardie tracking charts without lifetimes'
    ``expected_cumulative_transactions``: the cohort is every customer whose
    first purchase falls on or before ``calibration_end``; actual repeat
    transactions are their purchase days after the first (same-day purchases
    count once, as in :func:`crm_analysis.rfm_summary` with ``freq="D"``);
    the prediction at the end of period k sums a new customer's expected
    repeat purchases E[X(t)] over the cohort, with t each customer's time since
    first purchase.  The model must be fitted in a calendar ``time_unit``.

    Parameters
    ----------
    model : BTYDModel
    transactions : DataFrame
        The raw log the model's summary was built from.
    calibration_end, observation_end : date-like
        End of calibration; end of tracking (default: last date in the log).
    freq : str, default "W"
        Tracking period: ``"D"``, ``"W"`` or a whole number of them (``"14D"``,
        ``"2W"``), counted from the first date in the log; a trailing incomplete
        period is left out.
    evaluate_at : {"end", "last_day_start"}, default "end"
        Where the cumulative expectation of period k is evaluated: at the end of
        its last day (age counted in whole days up to midnight, the convention of
        BTYD's ``ExpectedCumulativeTransactions``, lifetimes and PyMC-Marketing, and
        the one that matches the actual counts, which include that day's purchases),
        or at the start of its last day (the convention of earlier versions; one
        day short, e.g. 27% low in week 1 on CDNOW).

    Returns
    -------
    DataFrame
        One row per period: ``period`` (1, 2, ...), ``start`` (date), ``actual``,
        ``predicted``, ``actual_cumulative``, ``predicted_cumulative``,
        ``holdout`` (period after ``calibration_end``).

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005a), Figures 2 and 3.
    """
    if model.time_unit not in TIME_UNIT_DAYS:
        raise CRMDataError(f"tracking_data: needs a calendar time unit, model has {model.time_unit!r}.")
    if evaluate_at not in ("end", "last_day_start"):
        raise CRMDataError(f"tracking_data: evaluate_at must be 'end' or 'last_day_start', got {evaluate_at!r}.")
    period_days = _tracking_period_days(freq)
    require_frame(transactions, "tracking_data", empty="the transaction log is empty")
    require_columns(transactions, {"customer_id": customer_id, "date": date}, "tracking_data",
                    frame="transactions")
    no_id = transactions[customer_id].isna()
    if no_id.any():
        raise CRMDataError(f"tracking_data: column {customer_id!r} has missing customer ids: "
                           + describe_rows(transactions, no_id, [customer_id, date]))
    dates = pd.to_datetime(transactions[date])
    if dates.isna().any():
        raise CRMDataError(f"tracking_data: column {date!r} has missing dates: "
                           + describe_rows(transactions, dates.isna(), [customer_id, date]))
    days = dates.dt.normalize()
    start = days.min()
    day = ((days - start) / pd.Timedelta(days=1)).astype(int).to_numpy()
    cal_day = int((pd.Timestamp(calibration_end).normalize() - start) / pd.Timedelta(days=1))
    end_ts = days.max() if observation_end is None else pd.Timestamp(observation_end).normalize()
    end_day = int((end_ts - start) / pd.Timedelta(days=1))
    log = pd.DataFrame({"c": transactions[customer_id].to_numpy(), "d": day})
    n_complete = (end_day + 1) // period_days
    log = log[log["d"] < max(n_complete, 1) * period_days].drop_duplicates()
    first = log.groupby("c")["d"].transform("min")
    cohort = first <= cal_day
    repeats = log.loc[cohort & (log["d"] > first), "d"].to_numpy()
    firsts = log.loc[cohort].groupby("c")["d"].min()
    # Complete periods only: a trailing partial period would look like a collapse.
    n_periods = (end_day + 1) // period_days
    if n_periods < 1:
        raise CRMDataError(f"tracking_data: less than one {period_days}-day period of data.")
    actual = np.bincount(repeats // period_days, minlength=n_periods)[:n_periods]
    unit = TIME_UNIT_DAYS[model.time_unit]
    starts, counts = np.unique(firsts.to_numpy(), return_counts=True)
    cum_pred = np.zeros(n_periods)
    for k in range(n_periods):
        last_day = min((k + 1) * period_days - 1, end_day)
        # A customer first seen on day s has, by the end of day d, been a customer d + 1 - s days.
        age = (last_day + (evaluate_at == "end") - starts) / unit
        ok = age > 0
        if ok.any():
            e = model.expected_purchases_new(age[ok])
            cum_pred[k] = float(np.sum(counts[ok] * np.asarray(e)))
    out = pd.DataFrame({
        "period": np.arange(1, n_periods + 1),
        "start": start + pd.to_timedelta(np.arange(n_periods) * period_days, unit="D"),
        "actual": actual.astype(float),
        "predicted": np.diff(np.concatenate(([0.0], cum_pred))),
    })
    out["actual_cumulative"] = out["actual"].cumsum()
    out["predicted_cumulative"] = cum_pred
    out["holdout"] = np.arange(n_periods) * period_days > cal_day
    return out


def p_alive_history(
    model: BTYDModel,
    transactions: pd.DataFrame,
    customer,
    *,
    customer_id: str = "customer_id",
    date: str = "date",
    end=None,
) -> pd.DataFrame:
    """Day-by-day P(alive) of one customer, replacing lifetimes' ``plot_history_alive``.

    Parameters
    ----------
    model : BTYDModel
        Fitted in a calendar time unit (days, weeks, ...).
    transactions : DataFrame
        Raw log.
    customer
        The id to trace.
    end : date-like, optional
        Last day (default: last date in the log).

    Returns
    -------
    DataFrame
        One row per day from the first purchase: ``date``, ``frequency``,
        ``recency``, ``T`` (model units), ``p_alive``, ``purchase`` (bool).
    """
    if model.time_unit not in TIME_UNIT_DAYS:
        raise CRMDataError(f"p_alive_history: needs a calendar time unit, model has {model.time_unit!r}.")
    require_columns(transactions, {"customer_id": customer_id, "date": date}, "p_alive_history",
                    frame="transactions")
    mine = transactions.loc[transactions[customer_id] == customer, date]
    if mine.empty:
        raise CRMDataError(f"p_alive_history: customer {customer!r} has no transactions in {customer_id!r}.")
    days = pd.to_datetime(mine).dt.normalize().drop_duplicates().sort_values()
    end_ts = pd.to_datetime(transactions[date]).max().normalize() if end is None else pd.Timestamp(end)
    grid = pd.date_range(days.iloc[0], end_ts, freq="D")
    unit = TIME_UNIT_DAYS[model.time_unit]
    bought = np.isin(grid.values, days.values)
    n_before = np.cumsum(bought)  # purchase days so far, including today
    last = pd.Series(np.where(bought, grid.values, np.datetime64("NaT")), dtype="datetime64[ns]").ffill()
    frame = pd.DataFrame({
        "date": grid,
        "frequency": (n_before - 1).astype(float),
        "recency": ((last.to_numpy() - grid[0].to_datetime64()) / np.timedelta64(1, "D")) / unit,
        "T": ((grid - grid[0]) / pd.Timedelta(days=1)).to_numpy() / unit,
        "purchase": bought,
    })
    frame["p_alive"] = model.p_alive(frame, frequency="frequency", recency="recency", T="T").to_numpy()
    return frame[["date", "frequency", "recency", "T", "p_alive", "purchase"]]
