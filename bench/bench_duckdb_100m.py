"""Out-of-core RFM summary of a 100M-line Parquet log with DuckDB: time, peak memory, floor.

Run from the repository root (CPU-heavy; minutes on a 2-core machine):

    .venv/bin/python bench/bench_duckdb_100m.py                 # 10M and 100M lines
    .venv/bin/python bench/bench_duckdb_100m.py --sizes 10000000 --keep

For each size the script writes a seeded synthetic log (about six lines per
customer, unsorted; crm_analysis.simulate.write_synthetic_parquet, generated
in 5M-line chunks so generation memory stays flat) to bench/out/, then runs in
a fresh child process (the generation too) each

* "ours":  crm.rfm_summary(path, amount=...) -> DuckDB file path (check pass,
           customer x day GROUP BY, customer GROUP BY, sorted result in pandas),
* "floor": a bare DuckDB GROUP BY customer_id (count, min, max, sum) of the
           same file, fetched to numpy,

with the same DuckDB settings (2 threads, --memory-limit, spill directory in
bench/out/). It prints wall time and peak resident memory of each child (the
child's own getrusage(RUSAGE_SELF).ru_maxrss, cross-checked with the parent's
RUSAGE_CHILDREN), the ratio ours / floor, and how peak memory grows from 10M
to 100M lines. Target (issue 10): < 4 GB peak RSS at 100M lines, one pass.
The Parquet files are deleted at the end unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def child(kind: str, path: str, memory_limit: str, threads: int) -> None:
    """Runs in the child process; prints one JSON line."""
    if kind == "generate":
        from crm_analysis.simulate import write_synthetic_parquet

        write_synthetic_parquet(path, int(memory_limit), seed=20261122)
        return
    import duckdb

    import crm_analysis as crm

    t0 = time.perf_counter()  # after the imports: they are not the engine's cost
    if kind == "ours":
        res = crm.rfm_summary_files(path, amount="amount", threads=threads,
                                    memory_limit=memory_limit,
                                    temp_directory=str(OUT / "duckdb_tmp"))
        rows, extra = len(res), {"repeat_customers": int((res["frequency"] > 0).sum()),
                                 "result_mb": res.memory_usage(index=True).sum() / 2**20}
    else:
        con = duckdb.connect()
        con.execute(f"SET threads = {threads}")
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = '{OUT / 'duckdb_tmp'}'")
        con.execute("SET preserve_insertion_order = false")
        res = con.execute(
            "SELECT customer_id, count(*) AS n, min(date) AS first, max(date) AS last, "
            f"sum(amount) AS total FROM read_parquet('{path}') GROUP BY customer_id"
        ).fetchnumpy()
        rows, extra = len(res["customer_id"]), {}
    seconds = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"kind": kind, "seconds": seconds, "peak_mb": peak_kb / 1024,
                      "customers": rows, **extra}))


def run_child(kind: str, path: Path, args) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path),
         "--memory-limit", args.memory_limit, "--threads", str(args.threads)],
        capture_output=True, text=True, check=True,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall_s"] = wall  # includes interpreter start and imports
    out["children_max_mb"] = after / 1024 if after > before else None
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000_000, 100_000_000])
    ap.add_argument("--memory-limit", default="2GB")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--keep", action="store_true", help="keep the generated Parquet files")
    ap.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.memory_limit, args.threads)
        return

    OUT.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        for n in args.sizes:
            path = OUT / f"log_{n // 1_000_000}m.parquet"
            t0 = time.perf_counter()
            if not path.exists():
                # In a child too: the parent stays small, so that the children's
                # peak RSS (which a fork inherits) is their own.
                subprocess.run([sys.executable, __file__, "--child", "generate", str(path),
                                "--memory-limit", str(n)], check=True)
            gen = time.perf_counter() - t0
            size_mb = path.stat().st_size / 2**20
            print(f"{n:,} lines: Parquet {size_mb:,.0f} MB (generated in {gen:.0f} s)", flush=True)
            ours = run_child("ours", path, args)
            floor = run_child("floor", path, args)
            results.append((n, ours, floor))
            print(
                f"  ours  (rfm_summary, DuckDB): {ours['seconds']:.1f} s, peak RSS "
                f"{ours['peak_mb']:,.0f} MB, {ours['customers']:,} customers "
                f"(the summary frame itself: {ours['result_mb']:,.0f} MB)\n"
                f"  floor (bare GROUP BY):       {floor['seconds']:.1f} s, peak RSS "
                f"{floor['peak_mb']:,.0f} MB\n"
                f"  ours / floor = {ours['seconds'] / floor['seconds']:.2f}x time, "
                f"{ours['peak_mb'] / floor['peak_mb']:.2f}x memory",
                flush=True,
            )
    finally:
        if not args.keep:
            for p in OUT.glob("log_*m.parquet"):
                p.unlink()
            shutil.rmtree(OUT / "duckdb_tmp", ignore_errors=True)
    if len(results) > 1:
        (n0, o0, _), (n1, o1, _) = results[0], results[-1]
        print(f"\nPeak RSS of the DuckDB path: {o0['peak_mb']:,.0f} MB at {n0:,} lines, "
              f"{o1['peak_mb']:,.0f} MB at {n1:,} lines ({n1 / n0:.0f}x the lines, "
              f"{o1['peak_mb'] / o0['peak_mb']:.2f}x the memory).")
    if os.environ.get("BENCH_JSON"):
        print(json.dumps([{"lines": n, "ours": o, "floor": f} for n, o, f in results]))


if __name__ == "__main__":
    main()
