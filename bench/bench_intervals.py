"""Benchmark: coverage of the interval functions of ``crm_analysis.forecast`` on simulated bases.

Known truth: bases of N customers simulated from a BG/NBD with the published
CDNOW parameters (Fader, Hardie & Lee 2005a: r=0.243, alpha=4.414, a=0.793,
b=2.426, weeks; ages T uniform on 27-39 weeks, a 39-week holdout) by
``crm.forecast.simulate_btyd_summary``.  For each base the model is refitted
and nominal 90% intervals are computed for

* ``new E[X(39)]``: a new customer's expected repeat purchases in 39 weeks
  (``parameter_interval``); truth under the true parameters;
* ``total E[holdout | history]``: the sum of every customer's conditional
  expected holdout purchases (the quantity behind customer equity with a
  fixed spend; ``parameter_interval``); truth under the true parameters;
* ``sum P(alive)``: expected live customers (``p_alive_interval`` summed draw
  by draw via ``parameter_interval``); truth under the true parameters;
* ``holdout total (predictive)``: the number of holdout purchases the base
  actually made (``purchases_predictive_interval``: parameter uncertainty
  plus the customers' own randomness); truth = the simulated count.

Coverage = share of bases whose interval contains the truth (standard error
about 1.5 points at 400 bases).

Usage::

    .venv/bin/python bench/bench_intervals.py [--reps 400] [--n 1000] [--seed 2026]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from tqdm.auto import tqdm

import crm_analysis as crm
from crm_analysis import forecast as fc
from crm_analysis.clv import BTYDModel

TRUE = [0.243, 4.414, 0.793, 2.426]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=400)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    truth_model = BTYDModel.from_params("bgnbd", TRUE)
    hits = {"new E[X(39)]": [], "total E[holdout | history]": [], "sum P(alive)": [],
            "holdout total (predictive)": []}
    start = time.perf_counter()
    failed = 0
    for _ in tqdm(range(args.reps), desc="simulated bases"):
        s = fc.simulate_btyd_summary("bgnbd", TRUE, args.n, seed=rng)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                m = crm.fit_btyd(s)
        except crm.CRMDataError:  # no maximum inside the parameter space (dropout not identified)
            failed += 1
            continue
        truths = {"new E[X(39)]": truth_model.expected_purchases_new(39.0),
                  "total E[holdout | history]": truth_model.expected_purchases(39.0, s).sum(),
                  "sum P(alive)": truth_model.p_alive(s).sum()}
        stats = {"new E[X(39)]": lambda mm: mm.expected_purchases_new(39.0),
                 "total E[holdout | history]": lambda mm, s=s: mm.expected_purchases(39.0, s).sum(),
                 "sum P(alive)": lambda mm, s=s: mm.p_alive(s).sum()}
        for key, stat in stats.items():
            ci = fc.parameter_interval(m, stat, n_draws=args.draws, seed=rng, progress=False)
            hits[key].append(ci["lower"].iloc[0] <= truths[key] <= ci["upper"].iloc[0])
        _, total = fc.purchases_predictive_interval(m, 39.0, s, n_draws=50, max_count=150, seed=rng,
                                                    progress=False)
        hits["holdout total (predictive)"].append(
            total["lower"] <= s["frequency_holdout"].sum() <= total["upper"])
    elapsed = time.perf_counter() - start
    print(f"{args.reps} bases of {args.n:,} customers, {args.draws} parameter draws, seed {args.seed}, "
          f"{elapsed:.0f} s; {failed} fits did not converge and are left out")
    print("| quantity | nominal | coverage | standard error |")
    print("| --- | ---: | ---: | ---: |")
    for key, h in hits.items():
        c = float(np.mean(h))
        print(f"| {key} | 90% | {100 * c:.1f}% | {100 * np.sqrt(c * (1 - c) / len(h)):.1f} |")


if __name__ == "__main__":
    main()
