"""validate_transactions on a 2M-line messy invoice export: wall time and peak memory (issue 14).

Run from the repository root:  .venv/bin/python bench/bench_validate.py [--lines 2000000] [--dates datetime]

A seeded crm.simulate_messy_log export (a quarter of the lines without customer
id, 2% cancellations, 1% double loads, fees, write-offs, zero and negative
prices; see its docstring) of about --lines lines is written to Parquet.  A
fresh Python process then reads it and runs crm.validate_transactions with every
option of an invoice-line export (quantity x price, cancellations netted by
order-id prefix and item, non-product codes excluded, duplicates dropped); it
prints the wall time of the validation alone and the peak resident memory of
that process (log included), and checks the result against the simulator's
truth.  --dates iso writes the dates as ISO text instead of datetime64, so the
time includes parsing them.

Target (issue 14): under 10 s and under 1 GB for 2M lines.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import json, sys, time
import pandas as pd
import crm_analysis as crm


def hwm_mb():
    # VmHWM (peak resident set of this process image); unlike ru_maxrss it is
    # not inherited from the parent that started this process.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

path, opts_path = sys.argv[1], sys.argv[2]
opts = json.load(open(opts_path))
log = pd.read_parquet(path)
rss_log = hwm_mb()
t0, c0 = time.perf_counter(), time.process_time()
res = crm.validate_transactions(log, **opts)
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
peak = hwm_mb()
dropped = res.report[res.report["action"] == "dropped"].set_index("check")["rows"].to_dict()
print(json.dumps({"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": peak, "rss_after_read_mb": rss_log,
                  "rows_in": res.n_input, "rows_kept": len(res.data), "dropped": dropped,
                  "netted": res.amount_netted}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--dates", choices=["datetime", "iso"], default="datetime")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    import json

    import crm_analysis as crm

    # About 19.5 lines per customer with the simulator's defaults.
    n_customers = max(10, round(args.lines / 19.5))
    t0 = time.perf_counter()
    sim = crm.simulate_messy_log(n_customers, seed=args.seed, dates=args.dates)
    print(f"simulated {len(sim.data):,} lines ({n_customers:,} customers) in "
          f"{time.perf_counter() - t0:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "log.parquet")
        opts_path = os.path.join(tmp, "opts.json")
        sim.data.to_parquet(path)
        json.dump(sim.options, open(opts_path, "w"))
        out = subprocess.run([sys.executable, "-c", CHILD, path, opts_path],
                             capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["dropped"] == sim.dropped, (result["dropped"], sim.dropped)
    assert abs(result["netted"] - sim.amount_netted) < 1e-6 * max(1.0, sim.amount_netted)
    print(f"validate_transactions: {result['rows_in']:,} lines in, {result['rows_kept']:,} kept; "
          f"counts equal the simulator's truth")
    print(f"wall time {result['wall_s']:.2f} s (target < 10 s; CPU time {result['cpu_s']:.2f} s); "
          f"peak RSS "
          f"{result['peak_rss_mb']:,.0f} MB (log read: {result['rss_after_read_mb']:,.0f} MB; "
          f"target < 1,024 MB)")
    print(f"load average {os.getloadavg()[0]:.1f}; this process peak "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB (simulation)")


if __name__ == "__main__":
    main()
