"""The Pareto/NBD likelihood and gradient of ``crm_analysis._pareto_likelihood``.

References: lifetimes' ``ParetoNBDFitter`` (the hypergeometric form of Fader &
Hardie's 2005 note, eq. 18) where it is finite, 40-digit mpmath quadrature of
the likelihood's defining integral elsewhere, mpmath's Gauss hypergeometric
function for the tail integrals, central differences for the gradient, and
the published CDNOW estimates (Fader & Hardie 2005 note: r = 0.553,
alpha = 10.578, s = 0.606, beta = 11.669, LL = -9,595.0).
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from lifetimes import ParetoNBDFitter

import crm_analysis as crm
from crm_analysis import _pareto_likelihood as pl
from crm_analysis.clv import _from_search, _objective

POINTS = [
    (0.553, 10.578, 0.606, 11.669),  # the CDNOW estimate
    (0.2, 3.0, 1.5, 40.0),
    (2.0, 30.0, 0.1, 2.0),
    (0.55, 10.6, 30.0, 600.0),  # near the no-dropout ridge (s, beta large)
    (1.2, 2.0, 0.3, 0.5),
]
POINT_IDS = ["cdnow-mle", "low-r", "high-r-low-s", "ridge", "short-scales"]


@pytest.fixture(scope="module")
def cdnow():
    d = crm.load_cdnow_summary()  # lifetimes' CDNOW summary (lifetimes.datasets needs pkg_resources)
    return tuple(d[c].to_numpy(float) for c in ("frequency", "recency", "T"))


# --------------------------------------------------------------------------------------
# the tail integrals against mpmath
# --------------------------------------------------------------------------------------


def _mp_log_j(a, b, p, q):
    # int_0^inf (p+y)^-a (q+y)^-b dy = p^-m / m * 2F1(b, m; m+1; 1 - q/p), m = a+b-1 (Euler's integral)
    m = a + b - 1
    return -m * mp.log(p) - mp.log(m) + mp.log(mp.hyp2f1(b, m, m + 1, 1 - q / p))


@pytest.mark.parametrize("a, b, p, q", [
    (1.553, 0.606, 11.0, 12.0),
    (0.553, 1.606, 0.3, 0.31),
    (30.5, 1.6, 0.27, 0.3),
    (300.2, 0.9, 1.1, 0.05),
    (0.2, 41.0, 0.4, 300.0),
    (2.0, 20.0, 0.74, 486.0),
    (0.05, 1.05, 0.3, 0.5),
], ids=["cdnow-scale", "x0", "x30", "x300-beta-small", "ridge", "two-scales", "small-m"])
def test_tail_integrals_match_mpmath(a, b, p, q):
    mp.mp.dps = 40
    args = [mp.mpf(v) for v in (a, b, p, q)]
    ref = [_mp_log_j(*args)]
    # d log J / da = -E log(p+y), d log J / dp = -a E 1/(p+y), and the same for b, q
    ref.append(-mp.diff(lambda v: _mp_log_j(v, *args[1:]), args[0]))
    ref.append(-mp.diff(lambda v: _mp_log_j(args[0], v, *args[2:]), args[1]))
    ref.append(-mp.diff(lambda v: _mp_log_j(args[0], args[1], v, args[3]), args[2]) / args[0])
    ref.append(-mp.diff(lambda v: _mp_log_j(*args[:3], v), args[3]) / args[1])
    got = [float(v[0]) for v in pl.tail_integrals(a, b, p, q)]
    assert got[0] == pytest.approx(float(ref[0]), rel=1e-10, abs=1e-10)
    for g, r in zip(got[1:], ref[1:], strict=True):
        assert g == pytest.approx(float(r), rel=1e-10, abs=1e-12)


# --------------------------------------------------------------------------------------
# the log-likelihood against lifetimes and mpmath
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("params", POINTS, ids=POINT_IDS)
def test_rows_match_lifetimes(cdnow, params):
    x, tx, T = cdnow
    ref = np.asarray(ParetoNBDFitter._conditional_log_likelihood(params, x, tx, T), float)
    assert np.isfinite(ref).all()
    np.testing.assert_allclose(pl.row_loglik(params, x, tx, T), ref, rtol=1e-9)


@pytest.mark.parametrize("penalizer", [0.0, 0.1], ids=["plain", "penalised"])
@pytest.mark.parametrize("params", POINTS[:3], ids=POINT_IDS[:3])
def test_weighted_total_matches_lifetimes_objective(cdnow, params, penalizer):
    x, tx, T = cdnow
    w = 1.0 + np.arange(len(x)) % 3  # weights 1, 2, 3
    ref = ParetoNBDFitter._negative_log_likelihood(params, x, tx, T, w, penalizer)
    ll, _ = pl.loglik(params, pl.prepare(x, tx, T, w))
    ours = -ll / w.mean() + penalizer * np.sum(np.square(params))
    assert ours == pytest.approx(ref, rel=1e-9)


def _mp_row(params, x, tx, T):
    """log L from the defining integral, 40 digits (mpmath's tanh-sinh quadrature)."""
    mp.mp.dps = 40
    return float(_mp_row_exact([mp.mpf(v) for v in params], *(mp.mpf(v) for v in (x, tx, T))))


@pytest.mark.parametrize("params, row", [
    ((0.553, 10.578, 0.606, 11.669), (3, 30.0 - 1e-9, 30.0)),   # tx within 1e-9 of T
    ((0.553, 10.578, 0.606, 11.669), (40, 38.0 - 1e-6, 38.0)),
    ((0.553, 0.2744, 0.606, 0.3003), (120, 0.99999, 1.0)),       # time rescaled to T = 1
    ((2.0, 1.0, 25.0, 300.0), (60, 0.4, 1.0)),
    ((0.3, 5.0, 0.5, 0.01), (0, 0.0, 40.0)),
], ids=["tx-T-1e-9", "tx-T-1e-6", "x120-scaled", "ridge-x60", "beta-small-x0"])
def test_rows_match_mpmath_where_lifetimes_loses_precision(params, row):
    x, tx, T = row
    got = pl.row_loglik(params, [x], [tx], [T])[0]
    assert got == pytest.approx(_mp_row(params, x, tx, T), rel=1e-11, abs=1e-10)


def test_bracket_identity_with_tx_equal_T():
    # tx = T: no time to leave after the last purchase; L = Gamma(r+x)/Gamma(r) alpha^r beta^s (alpha+T)^-(r+x) (beta+T)^-s
    r, alpha, s, beta = POINTS[0]
    x, T = np.array([0.0, 2.0, 17.0]), np.array([5.0, 20.0, 38.0])
    ref = (mp_gammaln(r + x) - mp_gammaln(r) + r * np.log(alpha) + s * np.log(beta)
           - (r + x) * np.log(alpha + T) - s * np.log(beta + T))
    np.testing.assert_allclose(pl.row_loglik(POINTS[0], x, T, T), ref, rtol=1e-12)


def mp_gammaln(v):
    return np.array([float(mp.loggamma(mp.mpf(float(t)))) for t in np.atleast_1d(v)])


# --------------------------------------------------------------------------------------
# the gradient
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("params", POINTS, ids=POINT_IDS)
def test_gradient_matches_central_differences(cdnow, params):
    x, tx, T = cdnow
    rows = pl.prepare(x, tx, T, 1.0 + np.arange(len(x)) % 2)
    _, grad = pl.loglik(params, rows, grad=True)
    for i in range(4):
        h = 1e-5 * params[i]
        up, down = np.array(params, float), np.array(params, float)
        up[i] += h
        down[i] -= h
        fd = (pl.loglik(up, rows)[0] - pl.loglik(down, rows)[0]) / (2 * h)
        # central-difference error ~ h^2 f''' plus rounding 1e-16 |LL| / h
        assert grad[i] == pytest.approx(fd, rel=1e-6, abs=1e-5 * max(1.0, abs(fd)))


def _mp_row_gradient(params, x, tx, T):
    return [float(mp.diff(lambda v, i=i: mp.mpf(_mp_row_exact([*params[:i], v, *params[i + 1:]], x, tx, T)),
                          mp.mpf(params[i]))) for i in range(4)]


def _mp_row_exact(params, x, tx, T):
    r, alpha, s, beta = params
    k = r + x
    alive = (alpha + T) ** -k * (beta + T) ** -s
    # 16 panels: one tanh-sinh panel misjudges its error when the integrand falls by e^-20 or more
    dead = s * mp.quad(lambda t: (alpha + t) ** -k * (beta + t) ** -(s + 1), mp.linspace(tx, T, 17))
    return mp.loggamma(k) - mp.loggamma(r) + r * mp.log(alpha) + s * mp.log(beta) + mp.log(alive + dead)


@pytest.mark.parametrize("row", [(2, 20.0, 35.0), (0, 0.0, 30.0), (25, 37.9, 38.0)],
                         ids=["x2", "x0", "x25-recent"])
def test_row_gradient_matches_mpmath(row):
    mp.mp.dps = 30
    params = POINTS[0]
    x, tx, T = row
    rows = pl.prepare([x], [tx], [T])
    _, grad = pl.loglik(params, rows, grad=True)
    ref = _mp_row_gradient([mp.mpf(v) for v in params], mp.mpf(x), mp.mpf(tx), mp.mpf(T))
    np.testing.assert_allclose(grad, ref, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("penalizer", [0.0, 0.05], ids=["plain", "penalised"])
def test_search_objective_is_clv_objective_with_its_gradient(cdnow, penalizer):
    x, tx, T = cdnow
    scale = 1.0 / T.max()
    cols = (x, tx * scale, T * scale)
    w = np.ones(len(x))
    fun, grad = pl.search_objective(*cols, w, penalizer)
    ref = _objective("pareto", *cols, w, penalizer)
    for theta in (np.log([0.553, 0.27, 0.606, 0.606 / 0.30]), np.full(4, 0.1), np.array([-1.0, 0.5, 2.0, 0.3])):
        np.testing.assert_allclose(pl.from_search(theta), _from_search("pareto", theta), rtol=1e-15)
        assert fun(theta) == pytest.approx(ref(theta), rel=1e-11)
        g = grad(theta)
        for i in range(4):
            e = np.zeros(4)
            e[i] = 1e-5
            fd = (ref(theta + e) - ref(theta - e)) / 2e-5
            assert g[i] == pytest.approx(fd, rel=1e-5, abs=1e-7)


# --------------------------------------------------------------------------------------
# the fit
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("aggregate", [False, True], ids=["rows", "distinct-rows"])
def test_cdnow_mle_unchanged(aggregate):
    # the calibration summary of the package's CDNOW log (as in fit_btyd's example)
    cal = crm.rfm_summary(crm.load_cdnow(), freq="D", freq_multiplier=7,
                          calibration_end="1997-09-30", observation_end="1998-06-30")
    x, tx, T = (cal[c].to_numpy(float) for c in ("frequency_cal", "recency_cal", "T_cal"))
    m = crm.fit_btyd(cal, model="pareto", aggregate=aggregate)
    assert m.model == "pareto"
    np.testing.assert_allclose(m.params_.round(3).to_numpy(), [0.553, 10.578, 0.606, 11.669])
    assert m.log_likelihood_ == pytest.approx(-9594.976, abs=1e-3)
    # the maximum: lifetimes' own objective is no lower anywhere nearby
    best = ParetoNBDFitter._negative_log_likelihood(m.params_.to_numpy(), x, tx, T, np.ones(len(x)), 0.0)
    for step in np.eye(4) * 1e-3:
        for sign in (1, -1):
            other = m.params_.to_numpy() * np.exp(sign * step)
            assert ParetoNBDFitter._negative_log_likelihood(other, x, tx, T, np.ones(len(x)), 0.0) >= best


@pytest.mark.parametrize("params, value_tol", [
    ([0.553, 10.578, 0.606, 11.669], 1e-10 * 9595),
    ([5.74, 10.0, 1.68, 30.0], 1e-10 * 23000),
    # s in the millions: s log(beta) ~ 1.7e8 leaves both rules ~1e-4 of rounding noise,
    # still far below the optimiser's tolerance of 1e-3
    ([50.0, 60.0, 8e6, 1.1e9], 1e-3)],
    ids=["cdnow-mle", "homogeneous-ish", "dropout-ridge"])
def test_coarse_quadrature_is_close_enough_for_the_first_passes(params, value_tol):
    # The optimiser's BFGS passes use COARSE_NODES; its accuracy against the full rule
    # (itself checked against 40-digit mpmath above) is what the passes rely on.
    s = crm.load_cdnow_summary()
    rows = pl.prepare(s["frequency"].to_numpy(float), s["recency"].to_numpy(float),
                      s["T"].to_numpy(float))
    full, g_full = pl.loglik(params, rows, grad=True)
    coarse, g_coarse = pl.loglik(params, rows, grad=True, n_nodes=pl.COARSE_NODES)
    assert abs(coarse - full) < value_tol
    np.testing.assert_allclose(g_coarse, g_full, rtol=1e-5)
