"""Exact Shapley (LMG) importance with 15 drivers on 1,000,000 simulated survey rows.

Times :func:`crm_analysis.driver_importance` (one correlation matrix, then the
R² of all 2^15 = 32,768 subsets in batched solves) against the naive approach
(one least-squares fit per subset on the raw rows), which is timed on a
subsample and a subset of the 32,768 fits and scaled up for the ratio.

Run: ``.venv/bin/python bench/bench_shapley.py [n_rows]``
"""

from __future__ import annotations

import sys
import time
from itertools import combinations

import numpy as np
import pandas as pd

import crm_analysis as crm


def make_data(n: int, k: int = 15, seed: int = 0) -> pd.DataFrame:
    """Simulated 1-10 ratings with a halo (correlated drivers) and a 1-10 outcome."""
    rng = np.random.default_rng(seed)
    halo = rng.standard_normal((n, 1))
    z = 0.5 * halo + np.sqrt(0.75) * rng.standard_normal((n, k))
    w = np.linspace(0.6, 0.05, k)
    y = z @ w + rng.standard_normal(n)
    rate = lambda x: np.clip(np.round(7 + 1.7 * x), 1, 10).astype(np.int8)  # noqa: E731
    df = pd.DataFrame(rate(z), columns=[f"a{j:02d}" for j in range(k)])
    df["overall"] = rate((y - y.mean()) / y.std())
    return df


def naive_r2_all_subsets(X: np.ndarray, y: np.ndarray, n_fits: int) -> float:
    """Seconds per subset for OLS by lstsq on the raw rows (the naive approach)."""
    k = X.shape[1]
    subsets = [s for m in range(1, k + 1) for s in combinations(range(k), m)]
    rng = np.random.default_rng(1)
    pick = rng.choice(len(subsets), n_fits, replace=False)
    one = np.ones((len(X), 1))
    t0 = time.perf_counter()
    for i in pick:
        A = np.hstack([one, X[:, subsets[i]]])
        np.linalg.lstsq(A, y, rcond=None)
    return (time.perf_counter() - t0) / n_fits


def main(n: int = 1_000_000) -> None:
    k = 15
    t0 = time.perf_counter()
    df = make_data(n, k)
    print(f"simulated {n:,} rows x {k} drivers in {time.perf_counter() - t0:.1f} s")
    drivers = [c for c in df.columns if c != "overall"]

    t0 = time.perf_counter()
    res = crm.driver_importance(df, "overall", drivers, method="shapley", progress=False)
    t_fast = time.perf_counter() - t0
    print(
        f"exact Shapley, 2^{k} = {2**k:,} subsets, {n:,} rows: {t_fast:.2f} s "
        f"(R² = {res['r2'].iloc[0]:.4f}, sum of importances = {res['importance'].sum():.4f})"
    )

    n_sub, n_fits = 100_000, 200
    sub = df.sample(n_sub, random_state=0)
    per_fit = naive_r2_all_subsets(
        sub[drivers].to_numpy(float), sub["overall"].to_numpy(float), n_fits
    )
    naive_sub = per_fit * (2**k - 1)
    naive_full = naive_sub * n / n_sub  # lstsq cost is linear in rows
    print(
        f"naive per-subset OLS: {per_fit * 1e3:.1f} ms per fit on {n_sub:,} rows "
        f"(timed {n_fits} of {2**k - 1:,} fits) -> {naive_sub:.0f} s for all subsets on the subsample, "
        f"~{naive_full:.0f} s extrapolated to {n:,} rows"
    )
    print(f"ratio naive / exact-from-correlations: ~{naive_full / t_fast:,.0f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
