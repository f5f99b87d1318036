"""Benchmark: BTYD fits on distinct (frequency, recency, T) rows with weights vs plain lifetimes.

Simulates N customers from the BG/NBD model with the published CDNOW
parameters (Fader, Hardie & Lee 2005a; r=0.243, alpha=4.414, a=0.793,
b=2.426, weeks), first purchases spread over the first 12 weeks and
observation to day 272 as in CDNOW, with times on a daily grid (days / 7), so
that many customers share a (frequency, recency, T) pattern.  Then fits

* BG/NBD: plain ``lifetimes.BetaGeoFitter`` on all N rows vs
  ``crm.fit_btyd(model="bgnbd", aggregate=True)`` (aggregation + fit + standard errors);
* Pareto/NBD: plain ``lifetimes.ParetoNBDFitter`` on a subsample (the full
  plain fit takes minutes) vs ``crm.fit_btyd(model="pareto", aggregate=True)``
  on the same subsample and on all N rows.

Usage::

    .venv/bin/python bench/bench_fit.py [--n 1000000] [--pareto-n 100000] [--seed 2026]
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


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def timed_cpu(fn):
    """Wall and CPU (this process) seconds: on a shared machine the CPU time is the steadier figure."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--pareto-n", type=int, default=100_000,
                    help="subsample for the plain lifetimes Pareto/NBD fit")
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()

    data, t_sim = timed(lambda: simulate_bgnbd(args.n, args.seed))
    distinct = len(data.drop_duplicates())
    print(f"simulated {args.n:,} customers in {t_sim:.1f} s; {distinct:,} distinct "
          f"(frequency, recency, T) rows ({args.n / distinct:.1f} customers per row)")

    from lifetimes import BetaGeoFitter, ParetoNBDFitter

    plain, t_plain = timed(lambda: BetaGeoFitter().fit(data["frequency"], data["recency"], data["T"]))
    ours, t_ours = timed(lambda: crm.fit_btyd(data, model="bgnbd", aggregate=True))
    diff = (ours.params_ / plain.params_ - 1).abs().max()
    print("\nBG/NBD")
    print(f"  plain lifetimes, {args.n:,} rows:      {t_plain:7.2f} s  {plain.params_.round(4).to_dict()}")
    print(f"  crm weighted distinct rows:      {t_ours:7.2f} s  {ours.params_.round(4).to_dict()}")
    print(f"  speed-up {t_plain / t_ours:.1f}x; max relative parameter difference {diff:.2e}")
    print(f"  truth {CDNOW_BG}")

    sub = data.sample(n=min(args.pareto_n, args.n), random_state=args.seed)
    np.random.seed(args.seed)  # noqa: NPY002 -- lifetimes' Pareto/NBD draws its start from the global RNG
    pplain, tp_plain = timed(lambda: ParetoNBDFitter().fit(sub["frequency"], sub["recency"], sub["T"]))
    psub, tp_sub, cp_sub = timed_cpu(lambda: crm.fit_btyd(sub, model="pareto", aggregate=True))
    pdiff = (psub.params_ / pplain.params_ - 1).abs().max()
    print(f"\nPareto/NBD (plain lifetimes on a {len(sub):,}-customer subsample; full plain fit takes minutes)")
    print(f"  plain lifetimes, {len(sub):,} rows:       {tp_plain:7.2f} s  {pplain.params_.round(4).to_dict()}")
    print(f"  crm weighted distinct rows:      {tp_sub:7.2f} s  {psub.params_.round(4).to_dict()} "
          f"(CPU {cp_sub:.2f} s)")
    print(f"  speed-up {tp_plain / tp_sub:.1f}x; max relative parameter difference {pdiff:.2e} "
          "(lifetimes stops Nelder-Mead at tol 1e-4)")
    pfull, tp_full, cp_full = timed_cpu(lambda: crm.fit_btyd(data, model="pareto", aggregate=True))
    print(f"  crm weighted, all {args.n:,} customers: {tp_full:7.2f} s  {pfull.params_.round(4).to_dict()}")
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
