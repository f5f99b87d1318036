"""Private: the Pareto/NBD log-likelihood and its analytic gradient, vectorised.

The individual likelihood (Fader & Hardie 2005 note on the Pareto/NBD, eq. 18;
Schmittlein, Morrison & Colombo 1987) is

    L = Gamma(r+x) alpha^r beta^s / Gamma(r)
        * [ (alpha+T)^-(r+x) (beta+T)^-s + s int_tx^T (alpha+tau)^-(r+x) (beta+tau)^-(s+1) dtau ].

The published evaluation writes the integral as a difference of two Gauss
hypergeometric terms, which cancels when tx is close to T.  Integrating the
first bracket term by parts,

    (alpha+T)^-k (beta+T)^-s = k J(k+1, s; T) + s J(k, s+1; T),
    J(a, b; t) = int_t^inf (alpha+tau)^-a (beta+tau)^-b dtau,   k = r + x,

turns the bracket into a sum of two positive integrals with no cancellation:

    bracket = k J(k+1, s; T) + s J(k, s+1; tx).

J depends on a row only through (x, T) or (x, tx), so on a base with coarse
time each integral is shared by many distinct rows; it is computed once per
distinct pair.  Its derivatives with respect to r, alpha, s, beta are
expectations of -log(alpha+tau), -a/(alpha+tau), -log(beta+tau),
-b/(beta+tau) under the normalised integrand, taken from the same nodes in
the same pass, so value and gradient are consistent.

Quadrature: in u = log(tau - t) the integrand (times the Jacobian) is
log-concave, with its mode and curvature in closed form (a quadratic in
e^u).  The map u = u* + c sinh(v), c = curvature^-1/2, and the trapezoidal
rule in v over the window where the integrand is above e^-46 of its mode
converge exponentially; ``_N_NODES`` nodes give about 1e-12 relative accuracy
for the parameters a fit meets (tests compare with 40-digit mpmath).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

#: Trapezoid nodes per integral.
_N_NODES = 80
#: Nodes of the coarse objective the optimiser's first passes use (relative error
#: about 1e-10 in the log-likelihood, below 1e-5 in its gradient; Newton steps and every
#: reported value use ``_N_NODES``).
COARSE_NODES = 48
#: Log-units below the mode at which the quadrature window ends on each side.
_DROP = 46.0
#: Largest u = log(tau - t) on the grid (e^u must stay finite); beyond it the
#: integrand is a pure power and its tail is added in closed form.
_U_MAX = 700.0


def tail_integrals(a, b, p, q, moments: bool = True, n_nodes: int = _N_NODES):
    """J = int_0^inf (p+y)^-a (q+y)^-b dy and the expectations its derivatives need.

    Parameters
    ----------
    a, b : array_like
        Exponents, positive with ``a + b > 1``.
    p, q : array_like
        Bases, positive (``alpha + t`` and ``beta + t``).

    Returns
    -------
    log_j, e_log_p, e_log_q, e_inv_p, e_inv_q : ndarray
        ``log J`` and the means of ``log(p+y)``, ``log(q+y)``, ``1/(p+y)``,
        ``1/(q+y)`` under the density proportional to the integrand, so that
        ``d log J / da = -e_log_p`` and ``d log J / dp = -a e_inv_p`` (same for b, q).
        Without ``moments`` only ``log_j`` is computed (the others are None).
    n_nodes : int
        Quadrature nodes (default ``_N_NODES``).

    Examples
    --------
    With equal bases the integral is elementary: int_0^inf (1+y)^-3 dy = 1/2.

    >>> log_j, *_ = tail_integrals(2.0, 1.0, 1.0, 1.0)
    >>> round(float(np.exp(log_j[0])), 12)
    0.5
    """
    a, b, p, q = (np.asarray(v, float).ravel() for v in np.broadcast_arrays(a, b, p, q))
    m = a + b - 1.0
    lp, lq = np.log(p), np.log(q)
    # Mode of psi(u) = u - a log(p + e^u) - b log(q + e^u): m y^2 - b0 y - p q = 0, y = e^u.
    b0 = p * (1.0 - b) + q * (1.0 - a)
    disc = np.sqrt(b0 * b0 + 4.0 * m * p * q)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(b0 > 0, (b0 + disc) / (2.0 * m), 2.0 * p * q / (disc - b0))
    u_mode = np.log(y)
    psi_mode = u_mode - a * np.log(p + y) - b * np.log(q + y)
    # -psi'' at the mode is at most 2 (each term is a share times a share).
    curv = a * p * y / (p + y) ** 2 + b * q * y / (q + y) ** 2
    c = 1.0 / np.sqrt(curv)
    # Window: to the left the slope of psi tends to 1 once e^u is below p/a and
    # q/b; to the right it tends to -m once e^u is above p and q.
    left = np.maximum(0.0, u_mode - np.minimum(lp - np.log(a), lq - np.log(b))) + 5.0 + _DROP
    right = np.maximum(0.0, np.maximum(lp, lq) - u_mode) + 5.0 + _DROP / m
    right = np.minimum(right, _U_MAX - u_mode)
    v_lo, v_hi = -np.arcsinh(left / c), np.arcsinh(right / c)
    h = (v_hi - v_lo) / (n_nodes - 1)
    ev = np.exp(v_lo[:, None] + h[:, None] * np.arange(n_nodes))
    inv_ev = 1.0 / ev
    u = u_mode[:, None] + (0.5 * c)[:, None] * (ev - inv_ev)
    jac = (0.5 * c * h)[:, None] * (ev + inv_ev)
    y = np.exp(u)
    base_p, base_q = p[:, None] + y, q[:, None] + y
    log_p, log_q = np.log(base_p), np.log(base_q)
    w = np.exp(u - a[:, None] * log_p - b[:, None] * log_q - psi_mode[:, None]) * jac
    total = w.sum(axis=1)
    u_end = u_mode + right
    with np.errstate(over="ignore", under="ignore"):
        # Beyond u_max the integrand is e^(-m u) to machine precision: closed-form tail.
        tail = np.where(u_end >= _U_MAX - 1e-9, np.exp(-m * u_end - psi_mode) / m, 0.0)
    total = total + tail
    if not moments:
        return psi_mode + np.log(total), None, None, None, None
    s_log_p = np.einsum("ij,ij->i", w, log_p)
    s_log_q = np.einsum("ij,ij->i", w, log_q)
    s_inv_p = np.einsum("ij,ij->i", w, 1.0 / base_p)
    s_inv_q = np.einsum("ij,ij->i", w, 1.0 / base_q)
    s_log_p = s_log_p + tail * (u_end + 1.0 / m)
    s_log_q = s_log_q + tail * (u_end + 1.0 / m)
    return (psi_mode + np.log(total), s_log_p / total, s_log_q / total,
            s_inv_p / total, s_inv_q / total)


@dataclass
class Rows:
    """Distinct rows of (x, tx, T) with weights, indexed by the integrals they share."""

    w: np.ndarray          # row weights
    x_unique: np.ndarray   # distinct frequencies
    w_x: np.ndarray        # total weight per distinct frequency
    x1: np.ndarray         # frequency of each (x, T) pair
    t1: np.ndarray         # T of each (x, T) pair
    x2: np.ndarray         # frequency of each (x, tx) pair
    t2: np.ndarray         # tx of each (x, tx) pair
    i1: np.ndarray         # row -> (x, T) pair
    i2: np.ndarray         # row -> (x, tx) pair


def _pairs(x: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (x, t) pairs (hash-based, no sort) and each row's pair index."""
    tc, t_u = pd.factorize(t)
    xc, x_u = pd.factorize(x)
    code, uniq = pd.factorize(xc.astype(np.int64) * len(t_u) + tc)
    uniq = np.asarray(uniq)
    return np.asarray(x_u)[uniq // len(t_u)], np.asarray(t_u)[uniq % len(t_u)], code


def _index(x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> tuple:
    xc, x_u = pd.factorize(x)
    return (xc, np.asarray(x_u), *_pairs(x, T), *_pairs(x, tx))


def _vector(v) -> np.ndarray:
    v = np.asarray(v, float)
    return v if v.ndim == 1 else v.ravel()


def prepare(x, tx, T, w=None) -> Rows:
    """Index the rows by the integrals they share (done once per fit: the optimiser, the
    log-likelihood and the standard errors are handed the result)."""
    x, tx, T = (_vector(v) for v in (x, tx, T))
    w = np.ones(len(x)) if w is None else _vector(w)
    xc, x_u, x1, t1, i1, x2, t2, i2 = _index(x, tx, T)
    return Rows(w, x_u, np.bincount(xc, weights=w, minlength=len(x_u)), x1, t1, x2, t2, i1, i2)


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    # einsum, not BLAS: a threaded BLAS dot of two vectors stalls on a busy machine.
    return float(np.einsum("i,i->", a, b))


def _bracket(params, rows: Rows, grad: bool, n_nodes: int = _N_NODES):
    """log of the bracket per row and, with grad, the weighted sums of its derivatives."""
    r, alpha, s, beta = (float(v) for v in params)
    k1 = r + rows.x1
    j1 = tail_integrals(k1 + 1.0, s, alpha + rows.t1, beta + rows.t1, moments=grad, n_nodes=n_nodes)
    k2 = r + rows.x2
    j2 = tail_integrals(k2, s + 1.0, alpha + rows.t2, beta + rows.t2, moments=grad, n_nodes=n_nodes)
    term1 = np.log(k1) + j1[0]
    term2 = np.log(s) + j2[0]
    t1, t2 = term1[rows.i1], term2[rows.i2]
    log_b = np.maximum(t1, t2) + np.log1p(np.exp(-np.abs(t1 - t2)))
    if not grad:
        return log_b, None
    share1 = np.exp(t1 - log_b)
    w1 = np.bincount(rows.i1, weights=rows.w * share1, minlength=len(k1))
    w2 = np.bincount(rows.i2, weights=rows.w * (1.0 - share1), minlength=len(k2))
    _, lp1, lq1, ip1, iq1 = j1
    _, lp2, lq2, ip2, iq2 = j2
    g = np.array([
        _dot(w1, 1.0 / k1 - lp1) - _dot(w2, lp2),
        -_dot(w1, (k1 + 1.0) * ip1) - _dot(w2, k2 * ip2),
        -_dot(w1, lq1) + _dot(w2, 1.0 / s - lq2),
        -s * _dot(w1, iq1) - (s + 1.0) * _dot(w2, iq2),
    ])
    return log_b, g


def loglik(params, rows: Rows, grad: bool = False, n_nodes: int = _N_NODES):
    """Weighted total log-likelihood and, with ``grad``, its gradient in (r, alpha, s, beta)."""
    r, alpha, s, beta = (float(v) for v in params)
    log_b, g_b = _bracket(params, rows, grad, n_nodes)
    xu, wx = rows.x_unique, rows.w_x
    wsum = wx.sum()
    total = (_dot(wx, special.gammaln(r + xu) - special.gammaln(r))
             + wsum * (r * np.log(alpha) + s * np.log(beta)) + _dot(rows.w, log_b))
    if not grad:
        return float(total), None
    g = g_b + np.array([_dot(wx, special.digamma(r + xu) - special.digamma(r)) + wsum * np.log(alpha),
                        wsum * r / alpha, wsum * np.log(beta), wsum * s / beta])
    return float(total), g


def row_loglik(params, x, tx, T) -> np.ndarray:
    """Per-row log-likelihood (unweighted), the same function as :func:`loglik`.

    Examples
    --------
    A customer with no repeat purchase at age T = 0 contributes log 1 = 0.

    >>> round(float(row_loglik([0.55, 10.6, 0.61, 11.7], [0.0], [0.0], [0.0])[0]), 12)
    0.0
    """
    rows = prepare(x, tx, T)
    r, alpha, s, beta = (float(v) for v in params)
    log_b, _ = _bracket(params, rows, False)
    x = _vector(x)
    return special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta) + log_b


def row_log_alive(params, x, tx, T) -> np.ndarray:
    """log P(alive) per row: ``(alpha+T)^-k (beta+T)^-s`` over the bracket (the constants cancel).

    Examples
    --------
    No repeat purchase at age T = 0: certainly alive.

    >>> float(np.exp(row_log_alive([0.55, 10.6, 0.61, 11.7], [0.0], [0.0], [0.0])[0]))
    1.0
    """
    rows = prepare(x, tx, T)
    r, alpha, s, beta = (float(v) for v in params)
    log_b, _ = _bracket(params, rows, False)
    x, tx, T = _vector(x), _vector(tx), _vector(T)
    log_alive = np.minimum(-(r + x) * np.log(alpha + T) - s * np.log(beta + T) - log_b, 0.0)
    # No time to drop out after the last purchase: exactly alive (the two terms of the
    # bracket then sum to the first up to the quadrature's last digits).
    return np.where(tx >= T, 0.0, log_alive)


def from_search(theta) -> np.ndarray:
    """(r, alpha, s, beta) from the search coordinates (log r, log alpha, log s, log s/beta)."""
    p = np.exp(np.asarray(theta, float))
    p[3] = p[2] / p[3]
    return p


def search_objective(x, tx, T, w, penalizer: float = 0.0, n_nodes: int = _N_NODES):
    """Mean penalised negative log-likelihood and its gradient in the search coordinates.

    The coordinates are (log r, log alpha, log s, log s/beta) and the penalty
    ``penalizer * sum(params**2)`` is lifetimes' L2 penalty.  Returns
    ``(fun, grad)``; both evaluate the likelihood once per point (the last
    point is cached, since optimisers ask for the value and the gradient at
    the same point one after the other).  ``n_nodes``: quadrature nodes
    (``COARSE_NODES`` for the optimiser's first passes).
    """
    rows = prepare(x, tx, T, w)
    wsum = float(rows.w.sum())
    cache: dict = {}

    def evaluate(theta):
        key = np.asarray(theta, float).tobytes()
        if cache.get("key") != key:
            p = from_search(theta)
            r, alpha, s, beta = p
            with np.errstate(all="ignore"):
                ll, g = loglik(p, rows, grad=True, n_nodes=n_nodes)
            # chain rule: r, alpha, s depend on one coordinate each; beta = s e^-theta3
            g_theta = np.array([r * g[0], alpha * g[1], s * g[2] + beta * g[3], -beta * g[3]])
            pen = penalizer * float(np.sum(p**2))
            pen_g = 2.0 * penalizer * np.array([r * r, alpha * alpha, s * s + beta * beta, -beta * beta])
            cache.update(key=key, fun=-ll / wsum + pen, grad=-g_theta / wsum + pen_g)
        return cache

    def fun(theta):
        return evaluate(theta)["fun"]

    def grad(theta):
        return evaluate(theta)["grad"].copy()

    return fun, grad

