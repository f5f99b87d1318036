"""One base for every fitted model: common attributes, the parameter table, saved models.

Every maximum-likelihood model of the package (BG/NBD, Pareto/NBD, MBG/NBD,
BG/BB, Gamma-Gamma, BTYD with covariates, sBG, the Cox hazard model, the
ordered satisfaction model) derives from :class:`FittedModel` and so answers
the same questions the same way:

* ``params_``, ``standard_errors_``, ``covariance_`` (Series, Series,
  DataFrame indexed by parameter name), ``log_likelihood_``, ``n_obs_``,
  ``aic_``, ``bic_``, ``notes_`` (what the fit did that a reader should know)
  and ``rows_dropped_`` (reason -> rows left out);
* ``summary(alpha=0.05)``: a DataFrame with ``coef``, ``se`` and the
  ``100 (1 - alpha)`` % interval (``lower 95%``, ``upper 95%`` by default),
  on the log scale for positive parameters, Wald for the others;
* ``to_dict()`` / ``from_dict()``: a plain-JSON description (never pickle)
  from which the model predicts to the last digit what it did before;
* a prediction before fitting raises :class:`~crm_analysis.errors.NotFittedError`.

:func:`standard_errors` is the one standard-error routine: a central-difference
Hessian of the log-likelihood in the optimiser's parameters (log-parameters for
positive ones) turned into the covariance of the estimates by the delta method.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
from scipy import stats

from .errors import CRMDataError, NotFittedError

__all__ = ["FittedModel", "numerical_hessian", "gradient_hessian", "standard_errors", "encode_value",
           "decode_value"]

#: The saved-model format (``crm-analysis-model``, version 1: readable by every release since).
FORMAT = "crm-analysis-model"
FORMAT_VERSION = 1


def numerical_hessian(f, theta, h: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian of a scalar function.

    Parameters
    ----------
    f : callable
        ``f(theta) -> float``.
    theta : array-like
        Point at which the Hessian is taken.
    h : float, default 1e-4
        Step in every coordinate (the parameters are on the log scale, so a
        fixed step is a fixed relative change).

    Returns
    -------
    ndarray
        Symmetric ``k x k`` matrix; error O(h^2).

    Examples
    --------
    >>> numerical_hessian(lambda t: -(t[0] ** 2) - 3 * t[0] * t[1] - t[1] ** 2, [1.0, 2.0]).round(6).tolist()
    [[-2.0, -3.0], [-3.0, -2.0]]
    """
    theta = np.asarray(theta, dtype=float)
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


def gradient_hessian(grad, theta, h: float = 1e-5, *, g0=None) -> np.ndarray:
    """Symmetrised Hessian from differences of an exact gradient.

    Central differences (error O(h^2), and the gradient's rounding divided by
    h, not h^2 as for second differences of the value); forward differences
    from ``g0`` (the gradient at ``theta``) when it is given: half the
    evaluations, enough for Newton steps.

    Examples
    --------
    >>> g = lambda t: np.array([-2 * t[0] - 3 * t[1], -3 * t[0] - 2 * t[1]])
    >>> gradient_hessian(g, [1.0, 2.0]).round(6).tolist()
    [[-2.0, -3.0], [-3.0, -2.0]]
    """
    theta = np.asarray(theta, dtype=float)
    k = len(theta)
    hess = np.empty((k, k))
    for i in range(k):
        e = np.zeros(k)
        e[i] = h
        hess[i] = ((np.asarray(grad(theta + e)) - g0) / h if g0 is not None
                   else (np.asarray(grad(theta + e)) - np.asarray(grad(theta - e))) / (2 * h))
    return (hess + hess.T) / 2


def standard_errors(loglik, theta, *, jacobian=None, log_params=None, names=None,
                    h: float = 1e-4, gradient=None) -> tuple[pd.Series, pd.DataFrame]:
    """Delta-method standard errors from the observed information in the optimiser's parameters.

    The optimiser works on ``theta``: ``log(parameter)`` for a positive
    parameter, the parameter itself for a coefficient.  The covariance of
    ``theta`` is the inverse of minus the Hessian of the log-likelihood
    (:func:`numerical_hessian`); the covariance of the estimates is
    ``J cov(theta) J`` with ``J`` the diagonal of d(parameter)/d(theta):
    the parameter itself for a log-parameter, 1 for a coefficient.

    Parameters
    ----------
    loglik : callable
        Total log-likelihood as a function of ``theta``.
    theta : array-like
        The optimiser's parameters at the maximum.
    jacobian : array-like, optional
        d(parameter)/d(theta) per parameter.  Default: ``exp(theta)`` where
        ``log_params`` is True, 1 elsewhere.  Pass the estimates in the
        caller's units when the Hessian was taken on rescaled data (the
        Hessian in log-parameters does not change when time is rescaled).
    log_params : array-like of bool, optional
        Which entries of ``theta`` are log-parameters (default: all).
    names : list of str, optional
        Parameter names for the index.
    h : float, default 1e-4
        Finite-difference step.
    gradient : callable, optional
        Exact gradient of ``loglik`` in ``theta``: the Hessian is then taken
        from its differences (:func:`gradient_hessian`), several digits more
        accurate than second differences of the value.

    Returns
    -------
    (Series, DataFrame)
        Standard errors (NaN where the information is not positive) and the
        covariance of the estimates (NaN when the Hessian is singular).

    Examples
    --------
    Normal sample of 4 with known variance 1: the standard error of the mean is 1/2.

    >>> x = np.array([0.5, 1.0, 1.5, 2.0])
    >>> se, cov = standard_errors(lambda t: -0.5 * np.sum((x - t[0]) ** 2), [1.25],
    ...                           log_params=[False], names=["mu"])
    >>> round(float(se["mu"]), 6)
    0.5
    """
    theta = np.asarray(theta, dtype=float)
    k = len(theta)
    names = list(range(k)) if names is None else list(names)
    if jacobian is None:
        logs = np.ones(k, bool) if log_params is None else np.asarray(log_params, bool)
        jacobian = np.where(logs, np.exp(theta), 1.0)
    jacobian = np.asarray(jacobian, dtype=float)
    hess = numerical_hessian(loglik, theta, h) if gradient is None else gradient_hessian(gradient, theta)
    try:
        cov_theta = np.linalg.inv(-hess)
    except np.linalg.LinAlgError:
        cov_theta = np.full((k, k), np.nan)
    cov = cov_theta * np.outer(jacobian, jacobian)
    diag = np.diag(cov)
    se = np.sqrt(np.where(diag > 0, diag, np.nan))
    return pd.Series(se, index=names), pd.DataFrame(cov, index=names, columns=names)


def encode_value(value, where: str = "to_dict"):
    """JSON-safe value: floats keep every digit (Python's repr round-trips), NaN/inf become text.

    Series and DataFrames keep their index, columns and name; everything else
    must be a number, a string, None, a list or a dict of those.

    Examples
    --------
    >>> encode_value(float("nan"))
    {'__float__': 'nan'}
    >>> decode_value(encode_value(pd.Series([1.5], index=["a"]))).tolist()
    [1.5]
    """
    if isinstance(value, pd.DataFrame):
        return {"__frame__": True, "index_name": encode_value(value.index.name, where),
                "index": [encode_value(i, where) for i in value.index],
                "columns": [encode_value(c, where) for c in value.columns],
                "values": [[encode_value(v, where) for v in row] for row in value.to_numpy(dtype=float)]}
    if isinstance(value, pd.Series):
        return {"__series__": True, "name": encode_value(value.name, where),
                "index_name": encode_value(value.index.name, where),
                "index": [encode_value(i, where) for i in value.index],
                "values": [encode_value(v, where) for v in value.to_numpy(dtype=float)]}
    if isinstance(value, dict):
        return {str(k): encode_value(v, where) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode_value(v, where) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if np.isfinite(v) else {"__float__": repr(v)}
    if value is None or isinstance(value, str):
        return value
    raise CRMDataError(f"{where}: cannot store a value of type {type(value).__name__}.")


def decode_value(value):
    """Inverse of :func:`encode_value`."""
    if isinstance(value, dict):
        if value.get("__frame__"):
            out = pd.DataFrame(np.array([[decode_value(v) for v in row] for row in value["values"]],
                                        dtype=float)
                               .reshape(len(value["index"]), len(value["columns"])),
                               index=value["index"], columns=value["columns"])
            out.index.name = value.get("index_name")
            return out
        if value.get("__series__"):
            out = pd.Series(np.array([decode_value(v) for v in value["values"]], dtype=float),
                            index=value["index"], name=value["name"])
            out.index.name = value.get("index_name")
            return out
        if "__float__" in value:
            return float(value["__float__"])
        return {k: decode_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    return value


def _fitted_classes() -> dict[str, type]:
    """Every concrete fitted-model class, found through the base (a new model joins by subclassing)."""
    found, todo = {}, list(FittedModel.__subclasses__())
    while todo:
        cls = todo.pop()
        if not cls.__name__.startswith("_"):
            found[cls.__name__] = cls
        todo.extend(cls.__subclasses__())
    return found


class FittedModel:
    """Base of every fitted model: information criteria, the parameter table, saved models.

    A subclass provides ``params_``, ``standard_errors_``, ``covariance_``,
    ``log_likelihood_``, ``n_obs_``, ``notes_`` and ``rows_dropped_``
    (dataclass fields or attributes set by its own ``fit``), and may override

    * ``_positive()``: which parameters are positive (interval on the log
      scale); all by default;
    * ``_summary_extra(table, z)``: model-specific columns of the summary;
    * ``_state()`` / ``_from_state()``: what ``to_dict`` stores, for a class
      that is not a dataclass or holds objects that are not plain data.

    Examples
    --------
    >>> from crm_analysis.clv import BTYDModel
    >>> m = BTYDModel.from_params("bgnbd", [0.243, 4.414, 0.793, 2.426])
    >>> isinstance(m, FittedModel), list(m.summary().columns)
    (True, ['coef', 'se', 'lower 95%', 'upper 95%'])
    """

    #: Fields that hold objects of other libraries (a statsmodels result); not saved, None on load.
    _UNSAVED: tuple[str, ...] = ()

    # -- common attributes ---------------------------------------------------
    def _require_fitted(self) -> None:
        if getattr(self, "params_", None) is None:
            raise NotFittedError(f"{type(self).__name__}: the model is not fitted yet; call fit() first.")

    @property
    def aic_(self) -> float:
        """Akaike information criterion, ``2 k - 2 log L``."""
        self._require_fitted()
        return 2 * self._n_params() - 2 * self.log_likelihood_

    @property
    def bic_(self) -> float:
        """Bayesian information criterion, ``k log n - 2 log L`` (n = ``n_obs_``)."""
        self._require_fitted()
        return self._n_params() * np.log(self.n_obs_) - 2 * self.log_likelihood_

    # -- the parameter table -------------------------------------------------
    def _estimates(self) -> pd.Series:
        """The estimates the summary table lists (``params_``)."""
        return self.params_

    def _n_params(self) -> int:
        """Free parameters of the fit (for the information criteria)."""
        return len(self._estimates())

    def _positive(self) -> np.ndarray:
        """True for parameters that must be positive (their interval is built on the log scale)."""
        return np.ones(len(self._estimates()), bool)

    def _summary_extra(self, table: pd.DataFrame, z: float) -> pd.DataFrame:
        return table

    def summary(self, alpha: float = 0.05) -> pd.DataFrame:
        """Estimates with standard errors and ``100 (1 - alpha)`` % intervals.

        A positive parameter's interval is the Wald interval of its logarithm
        mapped back, ``exp(log(coef) +- z se / coef)`` (delta method): it
        never crosses zero and is asymmetric where the estimate is imprecise.
        A coefficient (covariate effect, log hazard ratio) gets ``coef +- z se``.
        ``z`` is the standard normal's ``1 - alpha / 2`` quantile.

        Parameters
        ----------
        alpha : float, default 0.05
            1 - coverage of the interval (0.05 gives 95 % intervals).

        Returns
        -------
        DataFrame
            Indexed by parameter: ``coef``, ``se``, ``lower 95%``, ``upper 95%``
            (labels follow ``alpha``), then any model-specific columns.

        Raises
        ------
        NotFittedError
            Before the model is fitted.
        CRMDataError
            ``alpha`` outside (0, 1).
        """
        self._require_fitted()
        if not 0 < alpha < 1:
            raise CRMDataError(f"{type(self).__name__}.summary: alpha must be in (0, 1), got {alpha!r}.")
        z = float(stats.norm.ppf(1 - alpha / 2))
        label = f"{100 * (1 - alpha):g}%"
        params = self._estimates()
        se = self.standard_errors_.reindex(params.index)
        positive = self._positive()
        # Unidentified parameters (huge se) give huge or infinite bounds: say so, do not warn.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            half = z * se / params
            lower = np.where(positive, params * np.exp(-half), params - z * se)
            upper = np.where(positive, params * np.exp(half), params + z * se)
        table = pd.DataFrame({"coef": params, "se": se, f"lower {label}": lower,
                              f"upper {label}": upper}, index=params.index)
        return self._summary_extra(table, z)

    # -- saved models --------------------------------------------------------
    def _state(self) -> dict:
        """Everything needed to rebuild the model (a dataclass's fields by default)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.name not in self._UNSAVED}

    @classmethod
    def _from_state(cls, state: dict):
        return cls(**state)

    def to_dict(self) -> dict:
        """Plain-JSON description of the fitted model (``json.dumps`` it; never pickle).

        Every field is stored with all its digits, so the rebuilt model
        predicts exactly what this one does.

        Returns
        -------
        dict
            ``{"format", "version", "class", "fields"}``.
        """
        self._require_fitted()
        where = f"{type(self).__name__}.to_dict"
        return {"format": FORMAT, "version": FORMAT_VERSION, "class": type(self).__name__,
                "fields": {k: encode_value(v, where) for k, v in self._state().items()}}

    @classmethod
    def from_dict(cls, data: dict | str):
        """Rebuild a model written by :meth:`to_dict` (the dictionary or its JSON text).

        Only the package's fitted-model classes can be built; anything else
        raises :class:`CRMDataError`, so a file from a client cannot run code.
        Called on a subclass, the data must describe that class.
        """
        model = _build(data)
        if cls is not FittedModel and not isinstance(model, cls):
            raise CRMDataError(f"from_dict: the data describe a {type(model).__name__}, not a {cls.__name__}.")
        return model


class _CustomerModel(FittedModel):
    """A fitted model whose observations are customers: ``n_obs_`` is ``n_customers_``.

    The base of the BTYD family, the BG/BB, the Gamma-Gamma and the sBG models,
    so that the one count behind the information criteria is read one way.
    """

    @property
    def n_obs_(self) -> int | None:
        """Customers the model was fitted on (``n_customers_``)."""
        return self.n_customers_


# Private fitted attributes of releases before the base (BTYDModel's grid defaults).
_RENAMED_EXTRA = {"_max_T": "max_T_", "_max_freq": "max_frequency_"}


def _build(data):
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise CRMDataError(f"model_from_dict: not valid JSON ({exc.msg} at line {exc.lineno}).") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CRMDataError(f"model_from_dict: not a saved crm-analysis model (expected format {FORMAT!r}).")
    if data.get("version") != FORMAT_VERSION:
        raise CRMDataError(f"model_from_dict: unsupported format version {data.get('version')!r} "
                           f"(this package reads version {FORMAT_VERSION}).")
    classes = _fitted_classes()
    cls = classes.get(data.get("class"))
    if cls is None:
        raise CRMDataError(f"model_from_dict: unknown model class {data.get('class')!r}; "
                           f"known: {sorted(classes)}.")
    try:
        state = {k: decode_value(v) for k, v in data["fields"].items()}
        # Files written before the base stored two private grid defaults apart.
        for old, new in _RENAMED_EXTRA.items():
            if old in data.get("extra", {}):
                state[new] = decode_value(data["extra"][old])
        return cls._from_state(state)
    except (TypeError, KeyError, ValueError) as exc:
        raise CRMDataError(f"model_from_dict: fields do not fit {cls.__name__} ({exc}).") from None
