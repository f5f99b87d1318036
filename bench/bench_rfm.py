"""rfm_summary vs lifetimes and vs a bare DuckDB GROUP BY, on 1M and 5M synthetic lines.

Run from the repository root:  .venv/bin/python bench/bench_rfm.py [--sizes 1000000 5000000]

For each size, one seeded, unsorted log (about six lines per customer, a fifth
of them on the customer's first-purchase day, see
crm_analysis.simulate.synthetic_log) is summarised

* by crm.rfm_summary (the pandas/numpy path; best of --repeat runs),
* by lifetimes' summary_data_from_transaction_data (one run, the reference;
  the outputs must be equal),
* by DuckDB on the same in-memory frame, two floors (best of --repeat):
  "bare"  = one GROUP BY customer (count, min, max, sum; not the RFM summary),
  "rfm"   = the two-level GROUP BY (customer x day, then customer) that gives
            the RFM summary in SQL,
* and, for information, by the DuckDB file path of crm.rfm_summary on the same
  log written to Parquet, and by the Dask path on a 2-thread LocalCluster
  (--dask).

Targets (issue 10): >= 6x faster than lifetimes at 5M lines and within 1.5x
of the bare DuckDB GROUP BY.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import duckdb
import numpy as np
import pandas as pd
from lifetimes.utils import summary_data_from_transaction_data

import crm_analysis as crm
from crm_analysis.simulate import synthetic_log

BARE = """SELECT customer_id, count(*) AS n, min(date) AS first, max(date) AS last,
                 sum(amount) AS total
          FROM df GROUP BY customer_id"""
RFM = """WITH p AS (SELECT customer_id, CAST(date AS DATE) AS d, sum(amount) AS s
                   FROM df GROUP BY customer_id, CAST(date AS DATE))
         SELECT customer_id, count(*) - 1 AS frequency, max(d) - min(d) AS recency,
                (SELECT max(CAST(date AS DATE)) FROM df) - min(d) AS T,
                sum(s) - arg_min(s, d) AS repeat_spend
         FROM p GROUP BY customer_id"""


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def run(n: int, repeat: int, dask: bool) -> dict:
    log = synthetic_log(n, seed=20261122 + n)
    row = {"lines": n, "customers": log["customer_id"].nunique()}

    row["ours_s"], ours = best(lambda: crm.rfm_summary(log, amount="amount"), repeat)
    t0 = time.perf_counter()
    ref = summary_data_from_transaction_data(log, "customer_id", "date", "amount")
    row["lifetimes_s"] = time.perf_counter() - t0
    pd.testing.assert_frame_equal(ours, ref, check_names=False, rtol=1e-9)
    row["equal"] = True

    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.register("df", log)
    row["duck_bare_s"], _ = best(lambda: con.execute(BARE).fetchnumpy(), repeat)
    row["duck_rfm_s"], sql = best(lambda: con.execute(RFM).df(), repeat)
    sql = sql.set_index("customer_id").sort_index()
    np.testing.assert_array_equal(sql["frequency"], ours["frequency"])
    con.close()

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "log.parquet")
        log.to_parquet(path)
        row["files_s"], files = best(lambda: crm.rfm_summary(path, amount="amount"), 1)
        pd.testing.assert_frame_equal(files, ours, rtol=1e-9)
    if dask:
        import logging

        import dask.dataframe as dd
        from dask.distributed import Client, LocalCluster

        logging.getLogger("distributed.shuffle").setLevel(logging.ERROR)
        with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                          dashboard_address=None) as cluster, Client(cluster):
            ddf = dd.from_pandas(log, npartitions=8).persist()
            row["dask_s"], dres = best(lambda: crm.rfm_summary(ddf, amount="amount"), 1)
            pd.testing.assert_frame_equal(dres, ours, rtol=1e-9)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 5_000_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-dask", action="store_true")
    args = ap.parse_args()
    rows = []
    for n in args.sizes:
        row = run(n, args.repeat, not args.no_dask)
        rows.append(row)
        print(
            f"{n:>11,} lines, {row['customers']:,} customers: ours {row['ours_s']:.2f} s, "
            f"lifetimes {row['lifetimes_s']:.2f} s -> {row['lifetimes_s'] / row['ours_s']:.1f}x "
            f"faster (equal output: {row['equal']}); DuckDB bare GROUP BY {row['duck_bare_s']:.2f} s "
            f"(ours / bare = {row['ours_s'] / row['duck_bare_s']:.2f}), DuckDB RFM SQL "
            f"{row['duck_rfm_s']:.2f} s (ours / RFM SQL = {row['ours_s'] / row['duck_rfm_s']:.2f}); "
            f"file path (Parquet, DuckDB) {row['files_s']:.2f} s"
            + (f"; Dask path {row['dask_s']:.2f} s" if "dask_s" in row else ""),
            flush=True,
        )
    table = pd.DataFrame(rows).set_index("lines")
    table["speedup_vs_lifetimes"] = table["lifetimes_s"] / table["ours_s"]
    table["ours_over_bare_duckdb"] = table["ours_s"] / table["duck_bare_s"]
    print()
    print(table.round(2).to_markdown() if _has_tabulate() else table.round(2).to_string())


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
