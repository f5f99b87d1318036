"""Benchmark: BTYD and spend fits (vectorised likelihoods, analytic gradients) vs plain lifetimes.

Simulates N customers from the BG/NBD model with the published CDNOW
parameters (Fader, Hardie & Lee 2005a; r=0.243, alpha=4.414, a=0.793,
b=2.426, weeks), first purchases spread over the first 12 weeks and
observation to day 272 as in CDNOW, with times on a daily grid (days / 7), so
that many customers share a (frequency, recency, T) pattern.  Then, in one run,
wall time and CPU time (``time.process_time``; the machine is shared, so CPU
time is the load-independent figure) of

* BG/NBD, N customers: plain ``lifetimes.BetaGeoFitter`` on all N rows vs
  ``crm.fit_btyd(model="bgnbd", aggregate=True)`` (aggregation + fit + standard
  errors); target >= 30x;
* BG/NBD, 10 x N simulated customers, ours only, aggregation included; target < 10 s;
* MBG/NBD, N customers: plain ``lifetimes.ModifiedBetaGeoFitter`` vs ours (aggregated);
* BG/BB: N simulated customers of the BG/BB with the published donation
  parameters (Fader, Hardie & Shang 2010) and 1-26 opportunities each;
  ``lifetimes.BetaGeoBetaBinomFitter`` on the distinct patterns with weights
  (aggregation not timed) vs ``crm.fit_bgbb`` on the N rows (aggregation timed);
* Gamma-Gamma: the repeat customers of the simulated base with spend simulated
  from the Gamma-Gamma with the CDNOW parameters (p=6.25, q=3.74, v=15.44);
  ``lifetimes.GammaGammaFitter`` vs ``crm.fit_gamma_gamma`` on the same rows;
* Pareto/NBD: plain ``lifetimes.ParetoNBDFitter`` on a subsample (the full
  plain fit takes minutes) vs ``crm.fit_btyd(model="pareto", aggregate=True)``
  on the same subsample and on all N rows.

Usage::

    .venv/bin/python bench/bench_fit.py [--n 1000000] [--big-n 10000000] [--pareto-n 100000]
                                        [--seed 2026] [--skip-pareto]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import crm_analysis as crm

CDNOW_BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def simulate_bgnbd(n: int, seed: int, params=CDNOW_BG) -> pd.DataFrame:
    """BG/NBD customers on a daily grid, in weeks.

    Given lambda and p: repeat purchases arrive as a Poisson process; after
    each repeat the customer drops out with probability p, so the number of
    repeats before dropout is geometric.  Observed frequency x = min(Poisson
    count in T, geometric cap); recency is the x-th arrival time, i.e. T times
    the x-th order statistic of the Poisson count's uniform arrival times.
    """
    rng = np.random.default_rng(seed)
    first_day = rng.integers(0, 84, size=n)  # acquisition over 12 weeks
    t_days = 272 - first_day
    lam = rng.gamma(params["r"], 1 / params["alpha"], size=n)  # per week
    p = rng.beta(params["a"], params["b"], size=n)
    cap = rng.geometric(p)  # repeats until (and including) the dropout one
    count = rng.poisson(lam * t_days / 7)
    x = np.minimum(count, cap)
    # x-th of `count` uniform order statistics ~ Beta(x, count - x + 1).
    frac = np.where(x > 0, rng.beta(np.maximum(x, 1), np.maximum(count - x + 1, 1)), 0.0)
    rec_days = np.floor(frac * t_days)
    return pd.DataFrame({"frequency": x.astype(float), "recency": rec_days / 7, "T": t_days / 7})


CDNOW_GG = {"p": 6.25, "q": 3.74, "v": 15.44}
DONATIONS_BGBB = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


def simulate_bgbb(n: int, seed: int, params=DONATIONS_BGBB, max_periods: int = 26) -> pd.DataFrame:
    """BG/BB customers with 1..max_periods transaction opportunities after the first.

    Each customer transacts at each opportunity with probability p while alive
    and dies before an opportunity with probability theta (p ~ Beta(alpha,
    beta), theta ~ Beta(gamma, delta)); frequency counts transactions, recency
    is the opportunity of the last one (0 if none).
    """
    rng = np.random.default_rng(seed)
    periods = rng.integers(1, max_periods + 1, size=n)
    p = rng.beta(params["alpha"], params["beta"], size=n)
    theta = rng.beta(params["gamma"], params["delta"], size=n)
    alive_for = np.minimum(rng.geometric(theta) - 1, periods)  # opportunities while alive
    freq = np.zeros(n, int)
    rec = np.zeros(n, int)
    for t in range(1, max_periods + 1):
        buys = (t <= alive_for) & (rng.random(n) < p)
        freq += buys
        rec = np.where(buys, t, rec)
    return pd.DataFrame({"frequency": freq, "recency": rec, "periods": periods})


def simulate_spend(frequency: np.ndarray, seed: int, params=CDNOW_GG) -> np.ndarray:
    """Average spend of x transactions: nu ~ Gamma(q, rate v); mean of x Gamma(p, rate nu) draws."""
    rng = np.random.default_rng(seed)
    nu = rng.gamma(params["q"], 1 / params["v"], size=len(frequency))
    return rng.gamma(params["p"] * frequency, 1 / (nu * frequency))


def timed(fn):
    """Result, wall seconds and CPU seconds (this process, all threads) of ``fn()``."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0


def line(label: str, wall: float, cpu: float, params=None) -> None:
    extra = "" if params is None else f"  {params.round(4).to_dict()}"
    print(f"  {label:38s} {wall:8.2f} s wall {cpu:8.2f} s CPU{extra}")


def versus(name: str, plain, ours, target: float | None = None) -> None:
    """Speed-up (wall and CPU) and the largest relative parameter difference."""
    (p_fit, p_wall, p_cpu), (o_fit, o_wall, o_cpu) = plain, ours
    diff = float(np.max(np.abs(o_fit.params_.to_numpy() / p_fit.params_.to_numpy() - 1)))
    met = "" if target is None else (f"; target >= {target:g}x: "
                                     + ("met" if p_cpu / o_cpu >= target else "MISSED") + " (CPU)")
    print(f"  {name} speed-up {p_wall / o_wall:.1f}x wall, {p_cpu / o_cpu:.1f}x CPU{met}; "
          f"max relative parameter difference {diff:.1e}")


def main() -> None:
    import os
    import warnings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--big-n", type=int, default=10_000_000,
                    help="customers of the large BG/NBD fit (ours only, aggregation included)")
    ap.add_argument("--pareto-n", type=int, default=100_000,
                    help="subsample for the plain lifetimes Pareto/NBD fit")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--skip-pareto", action="store_true", help="leave out the Pareto/NBD part")
    args = ap.parse_args()
    warnings.simplefilter("ignore", RuntimeWarning)
    print(f"load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} "
          f"{os.getloadavg()[2]:.1f} (1, 5, 15 min) on {os.cpu_count()} cores")

    data, t_sim, _ = timed(lambda: simulate_bgnbd(args.n, args.seed))
    distinct = len(data.drop_duplicates())
    print(f"simulated {args.n:,} customers in {t_sim:.1f} s; {distinct:,} distinct "
          f"(frequency, recency, T) rows ({args.n / distinct:.1f} customers per row)")

    from lifetimes import (
        BetaGeoBetaBinomFitter,
        BetaGeoFitter,
        GammaGammaFitter,
        ModifiedBetaGeoFitter,
        ParetoNBDFitter,
    )

    crm.fit_btyd(data.head(10_000), model="bgnbd", aggregate=True)  # imports and caches warm
    print(f"\nBG/NBD, {args.n:,} customers")
    plain = timed(lambda: BetaGeoFitter().fit(data["frequency"], data["recency"], data["T"]))
    line(f"plain lifetimes, {args.n:,} rows", plain[1], plain[2], plain[0].params_)
    ours = timed(lambda: crm.fit_btyd(data, model="bgnbd", aggregate=True))
    line("crm (aggregation + fit + SEs)", ours[1], ours[2], ours[0].params_)
    versus("BG/NBD", plain, ours, target=30)
    print(f"  truth {CDNOW_BG}")

    big, t_big, _ = timed(lambda: simulate_bgnbd(args.big_n, args.seed + 1))
    print(f"\nBG/NBD, {args.big_n:,} simulated customers (simulated in {t_big:.1f} s)")
    fit_big, w_big, c_big = timed(lambda: crm.fit_btyd(big, model="bgnbd", aggregate=True))
    line(f"crm, {fit_big.n_patterns_:,} distinct rows", w_big, c_big, fit_big.params_)
    print(f"  target < 10 s: {'met' if w_big < 10 else 'MISSED'} (wall), "
          f"{'met' if c_big < 10 else 'MISSED'} (CPU)")
    big = None  # free the memory before the next fits

    print(f"\nMBG/NBD, {args.n:,} customers")
    plain = timed(lambda: ModifiedBetaGeoFitter().fit(data["frequency"], data["recency"], data["T"]))
    line(f"plain lifetimes, {args.n:,} rows", plain[1], plain[2], plain[0].params_)
    ours = timed(lambda: crm.fit_btyd(data, model="mbgnbd", aggregate=True))
    line("crm (aggregation + fit + SEs)", ours[1], ours[2], ours[0].params_)
    versus("MBG/NBD", plain, ours)

    bb = simulate_bgbb(args.n, args.seed)
    patterns = bb.value_counts().rename("weights").reset_index()
    print(f"\nBG/BB, {args.n:,} simulated customers, {len(patterns):,} distinct patterns "
          f"(1-26 opportunities); truth {DONATIONS_BGBB}")
    plain = timed(lambda: BetaGeoBetaBinomFitter().fit(
        patterns["frequency"], patterns["recency"], patterns["periods"], weights=patterns["weights"]))
    line("lifetimes on the patterns (weights)", plain[1], plain[2], plain[0].params_)
    ours = timed(lambda: crm.fit_bgbb(bb))
    line("crm on all rows (aggregation + fit + SEs)", ours[1], ours[2], ours[0].params_)
    versus("BG/BB", plain, ours)

    rep = data[data["frequency"] > 0].reset_index(drop=True)
    rep = rep.assign(monetary_value=simulate_spend(rep["frequency"].to_numpy(), args.seed))
    print(f"\nGamma-Gamma, {len(rep):,} repeat customers (spend simulated); truth {CDNOW_GG}")
    plain = timed(lambda: GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"]))
    line(f"lifetimes, {len(rep):,} rows", plain[1], plain[2], plain[0].params_)
    ours = timed(lambda: crm.fit_gamma_gamma(rep, max_correlation=1.0))
    line("crm (fit + SEs)", ours[1], ours[2], ours[0].params_)
    versus("Gamma-Gamma", plain, ours)

    if args.skip_pareto:
        return
    sub = data.sample(n=min(args.pareto_n, args.n), random_state=args.seed)
    np.random.seed(args.seed)  # noqa: NPY002 -- lifetimes' Pareto/NBD draws its start from the global RNG
    pplain, tp_plain, cp_plain = timed(lambda: ParetoNBDFitter().fit(sub["frequency"], sub["recency"], sub["T"]))
    psub, tp_sub, cp_sub = timed(lambda: crm.fit_btyd(sub, model="pareto", aggregate=True))
    pdiff = (psub.params_ / pplain.params_ - 1).abs().max()
    print(f"\nPareto/NBD (plain lifetimes on a {len(sub):,}-customer subsample; full plain fit takes minutes)")
    line(f"plain lifetimes, {len(sub):,} rows", tp_plain, cp_plain, pplain.params_)
    line("crm weighted distinct rows", tp_sub, cp_sub, psub.params_)
    print(f"  speed-up {tp_plain / tp_sub:.1f}x wall, {cp_plain / cp_sub:.1f}x CPU; max relative "
          f"parameter difference {pdiff:.2e} (lifetimes stops Nelder-Mead at tol 1e-4)")
    pfull, tp_full, cp_full = timed(lambda: crm.fit_btyd(data, model="pareto", aggregate=True))
    line(f"crm weighted, all {args.n:,} customers", tp_full, cp_full, pfull.params_)
    print(f"  Pareto/NBD at {args.n:,} (aggregation + fit + standard errors, analytic gradient): "
          f"wall {tp_full:.2f} s, CPU {cp_full:.2f} s; target < 2 s "
          f"{'met' if min(tp_full, cp_full) < 2 else 'MISSED'} ({pfull.n_patterns_:,} distinct rows)")
    # The unweighted objective is the same function of the parameters: check the
    # weighted optimum is also the optimum of the per-row likelihood on the subsample.
    from crm_analysis.clv import _total_loglik  # noqa: PLC2701  (bench only)

    cols = [sub["frequency"].to_numpy(), sub["recency"].to_numpy(), sub["T"].to_numpy()]
    ones = np.ones(len(sub))
    ll_ours = _total_loglik("pareto", psub.params_.to_numpy(), cols, ones)
    ll_plain = _total_loglik("pareto", pplain.params_.to_numpy(), cols, ones)
    print(f"  per-row log-likelihood at crm optimum {ll_ours:.3f} vs at lifetimes optimum {ll_plain:.3f}")


if __name__ == "__main__":
    main()
