"""Vectorised log-likelihoods with analytic gradients: BG/NBD, MBG/NBD, NBD, BG/BB, Gamma-Gamma.

Each model function takes the log-parameters ``theta`` and a prepared data
object and returns lifetimes' objective -- the weighted mean negative
log-likelihood plus the L2 penalty ``penalizer * sum(params ** 2)`` on the
parameters themselves -- together with its gradient in ``theta``.  The formulas
are those of lifetimes' ``_negative_log_likelihood`` methods (Fader, Hardie &
Lee 2005a for the BG/NBD; Batislam, Denizel & Filiztekin 2007 for the MBG/NBD;
Fader, Hardie & Shang 2010 for the BG/BB; Fader, Hardie & Lee 2005b for the
Gamma-Gamma); derivatives of log-gamma functions are digammas.

Why it is cheap: every term that depends on the purchase count alone
(``gammaln(r + x)``, ``gammaln(b + x)``, their digammas) is evaluated once per
distinct count and summed with the counts' total weights; the BG/BB's
log-gammas are tables over the few integer arguments they take.  What is left
per row is a handful of array operations: ``log(alpha + T)`` and ``log(alpha +
t_x)`` are computed per row, because numpy's vectorised logarithm costs no more
than gathering precomputed values of the distinct times would (measured; the
NBD, whose time term is linear in the weights, is summed per distinct T).  The
BG/NBD's two-term likelihood is mixed stably (log-sum-exp) and its gradient
uses the softmax weights of the two terms, so nothing overflows.  Inner
products avoid BLAS, whose threads cost more than they save on a busy machine.

:func:`aggregate_rows` reduces a large base to its distinct rows with summed
weights through packed integer keys (no grouping on floats).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, gammaln

__all__: list[str] = []  # private module: used by clv.py


# --------------------------------------------------------------------------------------
# distinct rows
# --------------------------------------------------------------------------------------


def _codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes (int64) and sorted distinct values of one column.

    Small non-negative integers (purchase counts) are their own codes; other
    values are hashed (``pandas.factorize``, linear time) and the few distinct
    values sorted afterwards, so no column of a large base is sorted.
    """
    values = np.asarray(values, float)
    if len(values) and values.min() >= 0 and values.max() < 4 * len(values) + 1024:
        ints = values.astype(np.int64)
        if np.array_equal(ints, values):
            present = np.bincount(ints) > 0
            uniq = np.flatnonzero(present)
            lookup = np.cumsum(present) - 1  # value -> rank among the distinct values
            return lookup[ints], uniq.astype(float)
    codes, uniq = pd.factorize(values, sort=True)
    return codes.astype(np.int64), np.asarray(uniq, float)


#: Combinations of column codes one int64 key can hold (beyond: lexicographic sort).
_MAX_KEYS = 2.0**62


def aggregate_rows(*columns: np.ndarray, weights: np.ndarray | None = None
                   ) -> tuple[list[np.ndarray], np.ndarray]:
    """Distinct rows of the given columns, sorted, with their summed weights.

    Each column is coded as integers, the codes are packed into one int64 key
    per row (mixed radix), and the weights are summed per key: by ``bincount``
    when the key space is small, else after ``np.unique`` of the keys.

    Examples
    --------
    >>> import numpy as np
    >>> cols, w = aggregate_rows(np.array([1.0, 0, 1, 1]), np.array([0.5, 0, 0.5, 0.25]))
    >>> [c.tolist() for c in cols], w.tolist()
    ([[0.0, 1.0, 1.0], [0.0, 0.25, 0.5]], [1.0, 1.0, 2.0])
    """
    n = len(columns[0])
    w = np.ones(n) if weights is None else np.asarray(weights, float)
    coded = [_codes(c) for c in columns]
    sizes = [len(u) for _, u in coded]
    if float(np.prod(np.array(sizes, float))) >= _MAX_KEYS:
        # Too many combinations for one int64 key: fall back to a lexicographic sort.
        order = np.lexsort([c for c, _ in coded[::-1]])
        stacked = np.stack([c[order] for c, _ in coded])
        new = np.concatenate([[True], np.any(stacked[:, 1:] != stacked[:, :-1], axis=0)])
        starts = np.flatnonzero(new)
        sums = np.add.reduceat(w[order], starts)
        return [u[stacked[i, starts]] for i, (_, u) in enumerate(coded)], sums
    key = np.zeros(n, np.int64)
    for (codes, _), size in zip(coded, sizes, strict=True):
        key *= size
        key += codes
    space = int(np.prod(np.array(sizes, float)))
    unit = weights is None or bool(np.all(w == 1.0))  # one customer per row: counts suffice
    if space <= 8 * n + (1 << 20):
        counts = np.bincount(key, minlength=space)
        keys = np.flatnonzero(counts)
        sums = counts[keys].astype(float) if unit else np.bincount(key, weights=w, minlength=space)[keys]
    elif unit:
        keys, counts = np.unique(key, return_counts=True)  # a sort, no argsort
        sums = counts.astype(float)
    else:
        keys, inverse = np.unique(key, return_inverse=True)
        sums = np.bincount(inverse.reshape(-1), weights=w, minlength=len(keys))
    out = []
    for (_, uniq), size in zip(coded[::-1], sizes[::-1], strict=True):
        out.append(uniq[keys % size])
        keys = keys // size
    return out[::-1], sums


class Rows:
    """Weighted (x, t_x, T) rows of a continuous-time model, prepared once per fit.

    The rows are kept sorted by purchase count, so that a per-count array
    becomes a per-row one by ``np.repeat`` and per-row values are summed per
    count by ``np.add.reduceat`` (both sequential; a gather or ``bincount``
    with random indices costs several times more).  The count-only terms are
    evaluated once per distinct count with its total weight.  Ages and
    recencies are used per row: numpy's vectorised ``log`` is as cheap as
    gathering precomputed values, so gathering distinct times does not pay.
    """

    def __init__(self, x, tx, T, w=None):
        x = np.asarray(x, float)
        tx, T = np.asarray(tx, float), np.asarray(T, float)
        w = np.ones(len(x)) if w is None else np.asarray(w, float)
        if len(x) > 1 and np.any(x[1:] < x[:-1]):
            order = np.argsort(x, kind="stable")
            x, tx, T, w = x[order], tx[order], T[order], w[order]
        self.x, self.tx, self.T, self.w = x, tx, T, w
        self.wsum = float(w.sum())
        self.x_starts = np.flatnonzero(np.concatenate([[True], x[1:] != x[:-1]])) if len(x) else \
            np.zeros(0, np.int64)
        self.xu = x[self.x_starts]
        self.x_counts = np.diff(np.append(self.x_starts, len(x)))
        self.Wx = self.per_count(w)  # total weight per distinct count
        self.repeat_u = np.where(self.xu > 0, 0.0, -np.inf)  # log of the indicator x > 0
        self.wx = w * x
        self.wsum_x = float(self.wx.sum())
        self._by_T = None

    def xi_take(self, arr: np.ndarray) -> np.ndarray:
        """Per-row values of a per-distinct-count array."""
        return np.repeat(arr, self.x_counts)

    def per_count(self, v: np.ndarray) -> np.ndarray:
        """Sums of a per-row array over the rows of each distinct count."""
        return np.add.reduceat(v, self.x_starts) if len(v) else np.zeros(0)

    def by_T(self):
        """Weights and weighted counts per distinct T (the NBD needs nothing else)."""
        if self._by_T is None:
            codes, uniq = _codes(self.T)
            self._by_T = (uniq, np.bincount(codes, weights=self.w, minlength=len(uniq)),
                          np.bincount(codes, weights=self.wx, minlength=len(uniq)))
        return self._by_T


def _dot(u: np.ndarray, v: np.ndarray) -> float:
    """Inner product without BLAS.

    A BLAS ``ddot`` may start threads; on a busy machine their hand-offs cost
    more than the sum itself (100k rows: 0.02 ms alone, several ms under load).
    """
    return float(np.einsum("i,i->", u, v))


def _mix(a3: np.ndarray, a4: np.ndarray):
    """log(exp(a3) + exp(a4)) and the softmax weights of the two terms, in one pass.

    Cheaper than ``np.logaddexp`` followed by two exponentials: one ``exp`` of
    ``-|a4 - a3|``, never overflowing.  The gap is capped at 50 (a weight of
    2e-22, below any rounding of the sums) because exponentials of large
    negative numbers return subnormal floats, which slow every operation on
    them tenfold; ``a4 = -inf`` thus gives ``a3 + 2e-22``, not exactly ``a3``.
    The weights pick ``1/(1+e)`` or ``e/(1+e)`` by ``maximum(e, indicator)``
    rather than ``np.where``, whose data-dependent branches cost 20 times more.
    """
    gap = np.abs(a4 - a3)
    np.minimum(gap, 50.0, out=gap)
    e = np.exp(-gap)
    mix = np.maximum(a3, a4)
    mix += np.log1p(e)
    big = 1.0 / (1.0 + e)
    s4 = big * np.maximum(e, a4 > a3)
    s3 = big * np.maximum(e, a4 <= a3)
    return mix, s3, s4


def _logmix(a3: np.ndarray, a4: np.ndarray) -> np.ndarray:
    """The value part of :func:`_mix` alone."""
    gap = np.abs(a4 - a3)
    np.minimum(gap, 50.0, out=gap)
    mix = np.maximum(a3, a4)
    mix += np.log1p(np.exp(-gap))
    return mix


def _objective(ll: float, p: np.ndarray, wsum: float, penalizer: float) -> float:
    """The minimised objective: mean negative log-likelihood plus the L2 penalty on p."""
    return -ll / wsum + penalizer * float(np.sum(p**2))


def _finish(ll: float, dll: np.ndarray, p: np.ndarray, wsum: float, penalizer: float):
    """Objective and gradient in log-parameters from the log-likelihood and its gradient in p."""
    f = _objective(ll, p, wsum, penalizer)
    g = -dll * p / wsum + 2.0 * penalizer * p**2
    return f, g


# --------------------------------------------------------------------------------------
# continuous time: BG/NBD, MBG/NBD, NBD
# --------------------------------------------------------------------------------------


def _purchase_terms(r: float, alpha: float, d: Rows):
    """Weighted sums of gammaln(r+x) - gammaln(r) + r log(alpha) and its derivatives in r, alpha."""
    s = _dot(d.Wx, gammaln(r + d.xu)) + d.wsum * (r * np.log(alpha) - gammaln(r))
    ds_r = _dot(d.Wx, digamma(r + d.xu)) + d.wsum * (np.log(alpha) - digamma(r))
    ds_alpha = d.wsum * r / alpha
    return s, ds_r, ds_alpha


def _beta_terms(a: float, b: float, d: Rows, shift: float):
    """Weighted sums of gammaln(a+b) + gammaln(b+x+shift) - gammaln(b) - gammaln(a+b+x+shift)
    and its derivatives in a, b (per distinct x)."""
    xs, W = d.xu + shift, d.Wx
    s = d.wsum * (gammaln(a + b) - gammaln(b)) + _dot(W, gammaln(b + xs) - gammaln(a + b + xs))
    psi_abx = digamma(a + b + xs)
    g_a = d.wsum * digamma(a + b) - _dot(W, psi_abx)
    g_b = d.wsum * (digamma(a + b) - digamma(b)) + _dot(W, digamma(b + xs) - psi_abx)
    return s, g_a, g_b


def _bg_start(theta, d: Rows, shift: float):
    """What the BG/NBD and MBG/NBD objectives share: the parameters p = exp(theta),
    the purchase and beta-function sums with their gradient (in r, alpha, a, b),
    alpha + T, alpha + t_x and their logarithms.  ``shift`` is the beta terms'
    offset of x (0 for BG/NBD, 1 for MBG/NBD, whose dropout chance includes time 0)."""
    p = np.exp(np.asarray(theta, float))
    r, alpha, a, b = p
    s1, g_r, g_alpha = _purchase_terms(r, alpha, d)
    s2, g_a, g_b = _beta_terms(a, b, d, shift)
    aT, atx = alpha + d.T, alpha + d.tx
    return p, s1 + s2, np.array([g_r, g_alpha, g_a, g_b]), aT, atx, np.log(aT), np.log(atx)


def bgnbd(theta, d: Rows, penalizer: float = 0.0, *, gradient: bool = True):
    """BG/NBD objective (lifetimes' ``BetaGeoFitter._negative_log_likelihood``) and gradient.

    ``gradient=False`` returns ``(objective, None)`` at about half the cost.
    """
    p, s12, g, aT, atx, log_aT, log_atx = _bg_start(theta, d, 0.0)
    r, alpha, a, b = p
    # the two-term mixture, per row:
    # A3 = -(r+x) log(alpha+T); A4 = log a - log(b+x-1) - (r+x) log(alpha+tx), only for x > 0
    b_x = b + np.maximum(d.xu, 1.0) - 1.0
    rx = r + d.x
    a3 = -rx * log_aT
    # log a - log(b+x-1) per distinct x, -inf where x = 0 (no such term)
    a4 = d.xi_take(np.log(a) - np.log(b_x) + d.repeat_u) - rx * log_atx
    if not gradient:
        ll = s12 + _dot(d.w, _logmix(a3, a4))
        return _objective(ll, p, d.wsum, penalizer), None
    mix, s3, s4 = _mix(a3, a4)
    ws3, ws4 = d.w * s3, d.w * s4
    ll = s12 + _dot(d.w, mix)
    g[0] -= _dot(ws3, log_aT) + _dot(ws4, log_atx)
    g[1] -= _dot(ws3 / aT + ws4 / atx, rx)
    g[2] += float(ws4.sum()) / a
    g[3] -= _dot(d.per_count(ws4), 1.0 / b_x)
    return _finish(ll, g, p, d.wsum, penalizer)


def mbgnbd(theta, d: Rows, penalizer: float = 0.0, *, gradient: bool = True):
    """MBG/NBD objective (lifetimes' ``ModifiedBetaGeoFitter._negative_log_likelihood``) and gradient.

    ``gradient=False`` returns ``(objective, None)`` at about half the cost.
    """
    p, s12, g, aT, atx, log_aT, log_atx = _bg_start(theta, d, 1.0)
    r, alpha, a, b = p
    rx = r + d.x
    # A3 + logaddexp(A4, 0): A3 = -(r+x) log(alpha+T),
    # A4 = log a - log(b+x) + (r+x)(log(alpha+T) - log(alpha+tx))
    a4 = d.xi_take(np.log(a) - np.log(b + d.xu)) + rx * (log_aT - log_atx)
    if not gradient:
        ll = s12 - _dot(d.w, rx * log_aT) + _dot(d.w, _logmix(np.zeros_like(a4), a4))
        return _objective(ll, p, d.wsum, penalizer), None
    soft, _, sig = _mix(np.zeros_like(a4), a4)  # sig: weight of the dropout term
    wsig = d.w * sig
    inv_aT, inv_atx = 1.0 / aT, 1.0 / atx
    ll = s12 - _dot(d.w, rx * log_aT) + _dot(d.w, soft)
    g[0] += -_dot(d.w, log_aT) + _dot(wsig, log_aT - log_atx)
    g[1] += -_dot(d.w, rx * inv_aT) + _dot(wsig, rx * (inv_aT - inv_atx))
    g[2] += float(wsig.sum()) / a
    g[3] -= _dot(d.per_count(wsig), 1.0 / (b + d.xu))
    return _finish(ll, g, p, d.wsum, penalizer)


def nbd(theta, d: Rows, penalizer: float = 0.0):
    """NBD (no dropout) objective and gradient: gammaln(r+x) - gammaln(r) + r log alpha - (r+x) log(alpha+T).

    The time term is summed per distinct T with the weights and weighted counts
    of its rows, so an evaluation costs nothing per row.
    """
    p = np.exp(np.asarray(theta, float))
    r, alpha = p[0], p[1]
    s1, g_r, g_alpha = _purchase_terms(r, alpha, d)
    Tu, WT, WxT = d.by_T()
    log_aT = np.log(alpha + Tu)
    ll = s1 - r * _dot(WT, log_aT) - _dot(WxT, log_aT)
    g_r -= _dot(WT, log_aT)
    g_alpha -= _dot(r * WT + WxT, 1.0 / (alpha + Tu))
    return _finish(ll, np.array([g_r, g_alpha]), p, d.wsum, penalizer)


CONTINUOUS = {"bgnbd": bgnbd, "mbgnbd": mbgnbd, "nbd": nbd}


# --------------------------------------------------------------------------------------
# discrete time: BG/BB
# --------------------------------------------------------------------------------------


class BGBBRows:
    """Weighted (x, t_x, n) rows of the BG/BB, with the grid of the dropout sum.

    The likelihood's second term sums over j = 0 .. n - t_x - 1 (the
    opportunity after the last transaction at which the customer dropped
    out); the grid holds one column per j, masked beyond each row's range.
    Every log-gamma and digamma of the likelihood depends on one small integer
    -- the count x, the opportunity k = t_x + j or n, or k - x -- so each is
    evaluated once per integer (tables of length max(n) + 2) and gathered.
    """

    def __init__(self, x, tx, n, w=None):
        self.xi = np.asarray(x, np.int64)
        self.ni = np.asarray(n, np.int64)
        tx_i = np.asarray(tx, np.int64)
        self.w = np.ones(len(self.xi)) if w is None else np.asarray(w, float)
        self.wsum = float(self.w.sum())
        self.size = int(self.ni.max()) + 2 if len(self.ni) else 2
        # at least one column (all masked when every t_x = n) keeps the sums well defined
        width = int(max((self.ni - tx_i).max(), 1)) if len(self.ni) else 1
        j = np.arange(width)[None, :]
        inside = j < (self.ni - tx_i)[:, None]
        self.k = np.where(inside, tx_i[:, None] + j, 0)  # opportunity t_x + j
        self.m = np.where(inside, self.k - self.xi[:, None], 0)  # its non-transactions k - x
        self.mask = np.where(inside, 0.0, -np.inf)
        self.n_minus_x = self.ni - self.xi


def _dbetaln(u, v):
    """Partial derivatives of log B(u, v) in u and v."""
    both = digamma(u + v)
    return digamma(u) - both, digamma(v) - both


def _bgbb_parts(p, d: BGBBRows, gradient: bool = True):
    """Per-row log-likelihood of the BG/BB (lifetimes' ``_loglikelihood``) and its gradient sum.

    ``A``: alive through all n opportunities; ``B``: dropped out after
    opportunity t_x + j, a log-sum-exp over j.  Log B(u, v) is written as
    log-gammas of integer-shifted arguments, each from a table.
    """
    al, be, ga, de = p
    grid = np.arange(d.size, dtype=float)
    g_a, g_b, g_ab = gammaln(al + grid), gammaln(be + grid), gammaln(al + be + grid)
    g_d, g_gd = gammaln(de + grid), gammaln(ga + de + grid)
    ln_ab, ln_gd = betaln(al, be), betaln(ga, de)
    x, n, nx = d.xi, d.ni, d.n_minus_x
    A = (g_a[x] + g_b[nx] - g_ab[n] - ln_ab
         + gammaln(ga) + g_d[n] - g_gd[n] - ln_gd)
    # log B(al+x, be+k-x) + log B(ga+1, de+k) = g_a[x] + g_b[m] - g_ab[k] + gammaln(ga+1) + g_d[k] - g_gd[k+1]
    per_k = -g_ab[:-1] + g_d[:-1] - g_gd[1:]
    logb = g_b[d.m] + per_k[d.k] + d.mask
    logb += (g_a[x] + gammaln(ga + 1.0))[:, None]
    top = np.max(logb, axis=1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    weights_j = np.exp(logb - top)
    total = weights_j.sum(axis=1)
    with np.errstate(divide="ignore"):
        B = np.log(total) + top[:, 0] - ln_gd - ln_ab
    rows = np.logaddexp(A, B)
    if not gradient:
        return rows, None
    dab_a, dab_b = _dbetaln(al, be)
    dgd_g, dgd_d = _dbetaln(ga, de)
    p_a, p_b, p_ab = digamma(al + grid), digamma(be + grid), digamma(al + be + grid)
    p_d, p_gd = digamma(de + grid), digamma(ga + de + grid)
    wa = d.w * np.exp(A - rows)  # weight of the alive term per row
    wb = d.w * np.exp(B - rows)  # ... and of the dropout term
    sum_wb = float(wb.sum())
    dA = np.array([
        _dot(wa, p_a[x] - p_ab[n]) - dab_a * wa.sum(),
        _dot(wa, p_b[nx] - p_ab[n]) - dab_b * wa.sum(),
        _dot(wa, digamma(ga) - p_gd[n]) - dgd_g * wa.sum(),
        _dot(wa, p_d[n] - p_gd[n]) - dgd_d * wa.sum(),
    ])
    # softmax weights over j, times the row's dropout weight, summed per k and per k - x
    cell = weights_j * (wb / np.where(total > 0, total, 1.0))[:, None]
    per_k_w = np.bincount(d.k.ravel(), weights=cell.ravel(), minlength=d.size)
    per_m_w = np.bincount(d.m.ravel(), weights=cell.ravel(), minlength=d.size)
    per_k_w = per_k_w[:-1]
    dB = np.array([
        _dot(wb, p_a[x]) - _dot(per_k_w, p_ab[:-1]) - dab_a * sum_wb,
        _dot(per_m_w, p_b) - _dot(per_k_w, p_ab[:-1]) - dab_b * sum_wb,
        digamma(ga + 1.0) * sum_wb - _dot(per_k_w, p_gd[1:]) - dgd_g * sum_wb,
        _dot(per_k_w, p_d[:-1] - p_gd[1:]) - dgd_d * sum_wb,
    ])
    return rows, dA + dB


def bgbb(theta, d: BGBBRows, penalizer: float = 0.0):
    """BG/BB objective (lifetimes' ``BetaGeoBetaBinomFitter._negative_log_likelihood``) and gradient.

    lifetimes adds 1e-15 inside the logarithm of the dropout sum (so that an
    empty sum, t_x = n, has a finite logarithm); here the empty sum is exactly
    zero (log-weight -inf), which changes the log-likelihood by about 1e-15
    relative.
    """
    p = np.exp(np.asarray(theta, float))
    rows, dll = _bgbb_parts(p, d)
    return _finish(_dot(d.w, rows), dll, p, d.wsum, penalizer)


def bgbb_rows(params, x, tx, n) -> np.ndarray:
    """Per-row BG/BB log-likelihood."""
    with np.errstate(all="ignore"):
        return _bgbb_parts(np.asarray(params, float), BGBBRows(x, tx, n), gradient=False)[0]


# --------------------------------------------------------------------------------------
# spend: Gamma-Gamma
# --------------------------------------------------------------------------------------


class SpendRows:
    """Weighted (x, m) rows of the Gamma-Gamma model, x > 0 and m > 0.

    The terms linear in the parameters (``(p x - 1) log m + p x log x``) are
    summed once; per row only ``log(x m + v)`` remains.
    """

    def __init__(self, x, m, w=None):
        self.x = np.asarray(x, float)
        self.m = np.asarray(m, float)
        self.w = np.ones(len(self.x)) if w is None else np.asarray(w, float)
        self.wsum = float(self.w.sum())
        codes, uniq = _codes(self.x)
        self.xu, self.Wx = uniq, np.bincount(codes, weights=self.w, minlength=len(uniq))
        self.xm = self.x * self.m
        self.wx = self.w * self.x
        log_m = np.log(self.m)
        self.sum_wx_logm_logx = _dot(self.wx, log_m + np.log(self.x))
        self.sum_w_logm = _dot(self.w, log_m)


def gamma_gamma(theta, d: SpendRows, penalizer: float = 0.0):
    """Gamma-Gamma objective (lifetimes' ``GammaGammaFitter._negative_log_likelihood``) and gradient."""
    prm = np.exp(np.asarray(theta, float))
    p, q, v = prm
    xu, W = d.xu, d.Wx
    log_xmv = np.log(d.xm + v)
    wx_log, w_log = _dot(d.wx, log_xmv), _dot(d.w, log_xmv)
    ll = (_dot(W, gammaln(p * xu + q) - gammaln(p * xu)) + d.wsum * (q * np.log(v) - gammaln(q))
          + p * d.sum_wx_logm_logx - d.sum_w_logm - p * wx_log - q * w_log)
    psi = digamma(p * xu + q)
    g_p = _dot(W * xu, psi - digamma(p * xu)) + d.sum_wx_logm_logx - wx_log
    g_q = _dot(W, psi) + d.wsum * (np.log(v) - digamma(q)) - w_log
    g_v = d.wsum * q / v - _dot(p * d.wx + q * d.w, 1.0 / (d.xm + v))
    return _finish(ll, np.array([g_p, g_q, g_v]), prm, d.wsum, penalizer)


# --------------------------------------------------------------------------------------
# optimiser glue
# --------------------------------------------------------------------------------------


class Objective:
    """``fun`` and ``grad`` of one objective, sharing one evaluation per point.

    scipy's BFGS asks for the value and the gradient at the same point one after
    the other; both come from one call of the model function.
    """

    def __init__(self, model_fn, data, penalizer: float = 0.0):
        self.model_fn, self.data, self.penalizer = model_fn, data, penalizer
        self._theta: np.ndarray | None = None
        self._value: tuple[float, np.ndarray] | None = None
        self.evaluations = 0

    def _eval(self, theta):
        theta = np.asarray(theta, float)
        if self._theta is None or not np.array_equal(theta, self._theta):
            with np.errstate(all="ignore"):
                self._value = self.model_fn(theta, self.data, self.penalizer)
            self._theta = theta.copy()
            self.evaluations += 1
        return self._value

    def fun(self, theta) -> float:
        return float(self._eval(theta)[0])

    def grad(self, theta) -> np.ndarray:
        return np.array(self._eval(theta)[1], float)


def total_loglik(model: str, params, data) -> float:
    """Weighted log-likelihood sum at ``params`` (no penalty) of a prepared data object."""
    theta = np.log(np.asarray(params, float))
    with np.errstate(all="ignore"):
        if model in ("bgnbd", "mbgnbd"):
            f, _ = CONTINUOUS[model](theta, data, 0.0, gradient=False)
        elif model == "bgbb":
            return _dot(data.w, _bgbb_parts(np.exp(theta), data, gradient=False)[0])
        else:
            f, _ = {**CONTINUOUS, "bgbb": bgbb, "gamma_gamma": gamma_gamma}[model](theta, data, 0.0)
    return -f * data.wsum
