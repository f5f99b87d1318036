"""Time-invariant covariates in the BG/NBD and Pareto/NBD models.

Who buys more often, and who leaves sooner?  With customer characteristics
``z`` (income band, household size, acquisition channel ...), each
customer's parameters are scaled by ``exp(gamma' z)``, as in CLVTools'
static-covariate models (Bachmann, Meierer & Naef 2021):

* purchase process (both models): alpha_i = alpha exp(-gamma_p' z), so the
  mean purchase rate r / alpha_i is multiplied by exp(gamma_p' z);
* dropout, Pareto/NBD: beta_i = beta exp(-gamma_d' z), so the mean dropout
  rate s / beta_i is multiplied by exp(gamma_d' z);
* dropout, BG/NBD: a_i = a exp(gamma_d' z), so a positive gamma_d raises the
  mean dropout probability a_i / (a_i + b) (this package's choice for the
  dropout *probability*; CLVTools documents its own).

A positive coefficient therefore means "buys more often" (purchase) or
"leaves sooner" (dropout).  :func:`fit_btyd_covariates` estimates the model
by maximum likelihood with standard errors from the observed information.
The Pareto/NBD likelihood is evaluated with a one-dimensional integral over
the dropout time (Gauss-Legendre after a change of variable that absorbs the
steep (alpha + tau)^-(r + x) factor), so no Gaussian hypergeometric function
is needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import gammaln, logsumexp

from ._checks import numeric_column, require_columns, require_frame
from .clv import _FittedModel
from .errors import CRMDataError, describe_rows

__all__ = ["CovariateBTYDModel", "fit_btyd_covariates"]

_BASE = {"bgnbd": ["r", "alpha", "a", "b"], "pareto": ["r", "alpha", "s", "beta"]}
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(20)
_EDGES = np.array([0.0, 1, 2, 4, 8, 16, 40])


def _bgnbd_loglik(r, alpha, a, b, x, tx, T):
    """BG/NBD individual log-likelihood (Fader, Hardie & Lee 2005a, eq. 6); per-customer alpha, a."""
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(tx + alpha)
    return a1 + a2 + np.where(x > 0, np.logaddexp(a3, a4), a3)


def _pareto_loglik(r, alpha, s, beta, x, tx, T):
    """Pareto/NBD individual log-likelihood; per-customer alpha and beta.

    L = Gamma(r+x)/Gamma(r) alpha^r [ (alpha+T)^-(r+x) (beta/(beta+T))^s
        + int_{tx}^{T} (alpha+tau)^-(r+x) s beta^s (beta+tau)^-(s+1) dtau ]
    (alive at T, or left at tau between the last purchase and T).  In
    w = log(alpha + tau) the integrand is exp(-k w) g(w) with k = r + x - 1
    and g = s beta^s (beta + tau)^-(s+1) smooth; it is integrated by
    Gauss-Legendre on panels of 1, 1, 2, 4, 8, 24 units of 1/k from the last
    purchase (the integrand falls by e^-40 over them), so steep and flat
    cases are both accurate.
    """
    alpha, beta, x, tx, T = np.broadcast_arrays(*(np.asarray(v, float) for v in (alpha, beta, x, tx, T)))
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    alive = -(r + x) * np.log(alpha + T) + s * (np.log(beta) - np.log(beta + T))
    w0 = np.log(alpha + tx)
    span = np.log(alpha + T) - w0
    k = r + x - 1.0
    unit = 1.0 / np.maximum(k, 1.0 / np.maximum(span, 1e-300))
    log_terms = []
    for lo, hi in zip(_EDGES[:-1], _EDGES[1:], strict=True):
        a_, b_ = np.minimum(lo * unit, span), np.minimum(hi * unit, span)
        length = b_ - a_
        v = a_ + length * (_NODES[:, None] + 1) / 2
        w = w0 + v
        tau = np.maximum(np.exp(w) - alpha, 0.0)
        with np.errstate(divide="ignore"):
            log_w = np.log(_WEIGHTS[:, None] / 2 * length)
        log_terms.append(-k * w + np.log(s) + s * np.log(beta) - (s + 1) * np.log(beta + tau) + log_w)
    left = logsumexp(np.concatenate(log_terms, axis=0), axis=0)
    return head + np.logaddexp(alive, left)


@dataclass
class CovariateBTYDModel(_FittedModel):
    """A BG/NBD or Pareto/NBD fitted with time-invariant covariates.

    Attributes
    ----------
    model : str
        ``"bgnbd"`` or ``"pareto"``.
    time_unit : str
    params_ : Series
        Base parameters (``r, alpha, a, b`` or ``r, alpha, s, beta``, for a
        customer with all covariates 0) followed by ``purchase:<name>`` and
        ``dropout:<name>`` coefficients.
    standard_errors_, covariance_ : Series, DataFrame
        From the observed information (numerical Hessian).
    log_likelihood_, aic_, bic_, n_customers_
    purchase_covariates, dropout_covariates : list of str
    columns : dict
        Frequency, recency and T column names.
    """

    model: str
    time_unit: str
    params_: pd.Series
    standard_errors_: pd.Series
    covariance_: pd.DataFrame
    log_likelihood_: float
    n_customers_: int
    purchase_covariates: list = field(default_factory=list)
    dropout_covariates: list = field(default_factory=list)
    columns: dict = field(default_factory=lambda: {"frequency": "frequency", "recency": "recency", "T": "T"})

    @property
    def label(self) -> str:
        return {"bgnbd": "BG/NBD", "pareto": "Pareto/NBD"}[self.model] + " with covariates"

    def summary(self) -> pd.DataFrame:
        """Estimates, standard errors, 95% intervals (log scale for the positive base
        parameters, Wald for the coefficients) and the rate ratio exp(coef) of each coefficient."""
        p, se = self.params_, self.standard_errors_
        base = p.index.isin(_BASE[self.model])
        # Unidentified parameters (huge se) give huge or infinite bounds: say so, do not warn.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            half = 1.96 * se / p
            lower = np.where(base, p * np.exp(-half), p - 1.96 * se)
            upper = np.where(base, p * np.exp(half), p + 1.96 * se)
            out = pd.DataFrame({"coef": p, "se": se, "lower 95%": lower, "upper 95%": upper})
            out["exp(coef)"] = np.where(base, np.nan, np.exp(p))
        out["z"] = np.where(base, np.nan, p / se)
        return out

    def customer_parameters(self, covariates: pd.DataFrame) -> pd.DataFrame:
        """Each customer's own model parameters given their covariate values."""
        return _individual(self.model, self.params_, self.purchase_covariates, self.dropout_covariates,
                           covariates, "customer_parameters")


def _individual(model, params, purchase, dropout, data, where) -> pd.DataFrame:
    names = _BASE[model]
    out = pd.DataFrame({n: float(params[n]) for n in names}, index=data.index)
    zp = _matrix(data, purchase, where)
    zd = _matrix(data, dropout, where)
    gp = np.array([params[f"purchase:{c}"] for c in purchase], float)
    gd = np.array([params[f"dropout:{c}"] for c in dropout], float)
    out["alpha"] = out["alpha"] * np.exp(-(zp @ gp if len(gp) else 0.0))
    if model == "pareto":
        out["beta"] = out["beta"] * np.exp(-(zd @ gd if len(gd) else 0.0))
    else:
        out["a"] = out["a"] * np.exp(zd @ gd if len(gd) else 0.0)
    return out


def _matrix(data: pd.DataFrame, cols, where) -> np.ndarray:
    if not cols:
        return np.zeros((len(data), 0))
    require_columns(data, {c: c for c in cols}, where)
    return np.column_stack([numeric_column(data, c, where).to_numpy(float) for c in cols])


def _loglik_rows(model, theta, k_p, x, tx, T, zp, zd):
    base = np.exp(theta[:4])
    gp, gd = theta[4:4 + k_p], theta[4 + k_p:]
    alpha = base[1] * np.exp(-(zp @ gp)) if k_p else np.full(len(x), base[1])
    if model == "pareto":
        beta = base[3] * np.exp(-(zd @ gd)) if len(gd) else np.full(len(x), base[3])
        return _pareto_loglik(base[0], alpha, base[2], beta, x, tx, T)
    a = base[2] * np.exp(zd @ gd) if len(gd) else np.full(len(x), base[2])
    return _bgnbd_loglik(base[0], alpha, a, base[3], x, tx, T)


def fit_btyd_covariates(
    summary: pd.DataFrame,
    covariates: pd.DataFrame | None = None,
    *,
    purchase: list[str] | tuple = (),
    dropout: list[str] | tuple = (),
    model: str = "pareto",
    frequency: str = "frequency",
    recency: str = "recency",
    T: str = "T",
    time_unit: str = "weeks",
) -> CovariateBTYDModel:
    """Fit a BG/NBD or Pareto/NBD with time-invariant covariates on purchase and dropout.

    Parameters
    ----------
    summary : DataFrame
        RFM summary (``*_cal`` columns are found too); never modified.
    covariates : DataFrame, optional
        Numeric covariates indexed like ``summary`` (default: columns of
        ``summary``).  Code categories as 0/1 dummies and centre or scale
        continuous ones, so that the base parameters describe a typical customer.
    purchase, dropout : list of str
        Covariates acting on the purchase rate and on dropout.
    model : {"pareto", "bgnbd"}, default "pareto"
    frequency, recency, T : str
        Column names.
    time_unit : str

    Returns
    -------
    CovariateBTYDModel

    Raises
    ------
    CRMDataError
        Missing or non-numeric covariates, customers without covariates, a
        covariate that does not vary (its effect cannot be told apart from
        the base parameters), or a fit that does not converge.

    References
    ----------
    Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987). Counting your customers.
    *Management Science*, 33(1), 1-24.  Fader, P. S., Hardie, B. G. S. & Lee, K. L.
    (2005a). *Marketing Science*, 24(2), 275-284.  Bachmann, P., Meierer, M. & Naef, J.
    (2021). The role of time-varying contextual factors in latent attrition models for
    customer base analysis. *Marketing Science*, 40(4), 783-809.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import crm_analysis as crm
    >>> cal = crm.rfm_summary(crm.load_cdnow(), freq="D", freq_multiplier=7,
    ...                       calibration_end="1997-09-30", observation_end="1998-06-30")
    >>> z = pd.DataFrame({"late": (cal["T_cal"] < 33).astype(float)}, index=cal.index)
    >>> m = fit_btyd_covariates(cal, z, purchase=["late"], model="bgnbd")
    >>> list(m.params_.index)
    ['r', 'alpha', 'a', 'b', 'purchase:late']
    """
    if model not in _BASE:
        raise CRMDataError(f"fit_btyd_covariates: model must be 'pareto' or 'bgnbd', got {model!r}.")
    purchase, dropout = list(purchase), list(dropout)
    if not purchase and not dropout:
        raise CRMDataError("fit_btyd_covariates: name at least one covariate in purchase= or dropout= "
                           "(without covariates use crm.fit_btyd).")
    require_frame(summary, "fit_btyd_covariates", empty="the summary is empty")
    cols = []
    for name in (frequency, recency, T):
        col = next((c for c in (name, f"{name}_cal") if c in summary.columns), None)
        if col is None:
            raise CRMDataError(f"fit_btyd_covariates: column {name!r} not found (nor {name + '_cal'!r}).")
        cols.append(col)
    x, tx, age = (numeric_column(summary, c, "fit_btyd_covariates").to_numpy(float) for c in cols)
    bad = (x < 0) | (tx < 0) | (tx > age + 1e-9) | (age <= 0)
    if bad.any():
        raise CRMDataError("fit_btyd_covariates: inconsistent frequency/recency/T rows: "
                           + describe_rows(summary, bad, cols))
    cov = summary if covariates is None else covariates
    missing = summary.index.difference(cov.index)
    if len(missing):
        raise CRMDataError(f"fit_btyd_covariates: {len(missing):,} customers of the summary have no covariates "
                           f"(first: {list(missing[:5])}); subset the summary first.")
    cov = cov.loc[summary.index]
    zp = _matrix(cov, purchase, "fit_btyd_covariates")
    zd = _matrix(cov, dropout, "fit_btyd_covariates")
    for name, col in zip(purchase + dropout, list(zp.T) + list(zd.T), strict=True):
        if np.ptp(col) == 0:
            raise CRMDataError(f"fit_btyd_covariates: covariate {name!r} does not vary; its effect cannot be "
                               "separated from the base parameters. Drop it.")
    k_p = len(purchase)
    scale = 1.0 / age.max()  # time rescaled to max(T) = 1 for the optimiser
    xs, txs, ts = x, tx * scale, age * scale
    n = len(x)

    def nll(theta):
        with np.errstate(all="ignore"):
            val = -np.sum(_loglik_rows(model, theta, k_p, xs, txs, ts, zp, zd)) / n
        return val if np.isfinite(val) else 1e10

    start = np.concatenate([np.log([0.5, 1.0 if model == "pareto" else 0.1, 0.5, 1.0]),
                            np.zeros(k_p + len(dropout))])
    res = optimize.minimize(nll, start, method="L-BFGS-B", options={"ftol": 1e-14, "gtol": 1e-9,
                                                                     "maxiter": 5000})
    res = optimize.minimize(nll, res.x, method="Nelder-Mead",
                            options={"xatol": 1e-9, "fatol": 1e-13, "maxiter": 20000}) \
        if not res.success else res
    if not np.isfinite(res.fun) or res.fun >= 1e10:
        raise CRMDataError("fit_btyd_covariates: the fit did not converge; check the covariates' scale "
                           "(centre or standardise continuous ones).")
    theta = res.x.copy()
    # Back to the caller's time unit: alpha and beta are times.
    theta[1] -= np.log(scale)
    if model == "pareto":
        theta[3] -= np.log(scale)
    names = _BASE[model] + [f"purchase:{c}" for c in purchase] + [f"dropout:{c}" for c in dropout]

    def total(th):
        with np.errstate(all="ignore"):
            return float(np.sum(_loglik_rows(model, th, k_p, x, tx, age, zp, zd)))

    ll = total(theta)
    hess = _hessian(total, theta)
    try:
        cov_theta = np.linalg.inv(-hess)
    except np.linalg.LinAlgError:
        cov_theta = np.full_like(hess, np.nan)
    # Delta method: base parameters were estimated on the log scale.
    jac = np.ones(len(theta))
    jac[:4] = np.exp(theta[:4])
    params = np.where(np.arange(len(theta)) < 4, np.exp(theta), theta)
    cov_p = cov_theta * np.outer(jac, jac)
    se = np.sqrt(np.where(np.diag(cov_p) > 0, np.diag(cov_p), np.nan))
    return CovariateBTYDModel(
        model=model, time_unit=time_unit, params_=pd.Series(params, index=names),
        standard_errors_=pd.Series(se, index=names), covariance_=pd.DataFrame(cov_p, index=names, columns=names),
        log_likelihood_=ll, n_customers_=n, purchase_covariates=purchase, dropout_covariates=dropout,
        columns={"frequency": cols[0], "recency": cols[1], "T": cols[2]},
    )


def _hessian(f, theta, h: float = 1e-4) -> np.ndarray:
    k = len(theta)
    hess = np.empty((k, k))
    f0 = f(theta)
    eye = np.eye(k) * h
    for i in range(k):
        for j in range(i, k):
            if i == j:
                val = (f(theta + eye[i]) - 2 * f0 + f(theta - eye[i])) / h**2
            else:
                val = (f(theta + eye[i] + eye[j]) - f(theta + eye[i] - eye[j])
                       - f(theta - eye[i] + eye[j]) + f(theta - eye[i] - eye[j])) / (4 * h**2)
            hess[i, j] = hess[j, i] = val
    return hess
