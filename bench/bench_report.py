"""`crm-analysis report` on 2M and 10M generated lines: wall time, CPU time and peak memory.

Run from the repository root:  .venv/bin/python bench/bench_report.py [--sizes 2000000 10000000]

For each size a seeded synthetic log (crm_analysis.largedata.write_synthetic_parquet:
about six lines per customer, unsorted) is written to Parquet, then the command

    crm-analysis report LOG.parquet --out OUT

runs as a subprocess.  The benchmark samples the resident memory of the whole
process tree (the CLI and the notebook kernel it starts) every 0.1 s and
reports the peak of the sum, the wall time, and the CPU time of the tree
(user + system, from the children's resource usage; the machine is shared,
so CPU time is the fairer figure when other jobs run).

Targets (issue 16, section 5), on the shared 2-core machine:
2M lines < 30 s; 10M lines < 2 minutes and < 2 GB peak.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from crm_analysis.simulate import write_synthetic_parquet

CLI = Path(sys.executable).with_name("crm-analysis")


def tree_rss(proc: psutil.Process) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def run_report(log: Path, out: Path, extra: list[str]) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen([str(CLI), "report", str(log), "--out", str(out), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ps = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            peak = max(peak, tree_rss(ps))
        except psutil.NoSuchProcess:
            break
        time.sleep(0.1)
    output = proc.stdout.read()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"report failed ({proc.returncode}):\n{output[-3000:]}")
    return {"wall_s": wall, "cpu_s": cpu, "peak_gb": peak / 1e9, "output": output}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2_000_000, 10_000_000])
    parser.add_argument("--report-args", default="", help="Extra options for `report`, e.g. "
                        "'--calibration-end 2021-06-30'.")
    parser.add_argument("--keep", type=Path, default=None, help="Folder to keep logs and reports in.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        print(f"{'lines':>12} {'customers':>10} {'wall (s)':>9} {'CPU (s)':>8} {'peak (GB)':>9} "
              f"{'load before':>11} {'load after':>10}")
        for n in args.sizes:
            log = base / f"log_{n}.parquet"
            if not log.exists():
                write_synthetic_parquet(log, n, seed=0)
            load_before = os.getloadavg()[0]  # the machine is shared: say how busy it was
            res = run_report(log, base / f"report_{n}", args.report_args.split())
            customers = sum(1 for _ in open(base / f"report_{n}" / "customer_scores.csv")) - 1
            print(f"{n:>12,} {customers:>10,} {res['wall_s']:>9.1f} {res['cpu_s']:>8.1f} "
                  f"{res['peak_gb']:>9.2f} {load_before:>11.1f} {os.getloadavg()[0]:>10.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
