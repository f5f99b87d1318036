"""Time the execution of every notebooks/NN_*.ipynb, one by one, and the whole suite.

Run from the repository root:  .venv/bin/python bench/bench_notebooks.py [notebooks/0*.ipynb ...]

Each notebook is executed top to bottom in a fresh kernel with nbconvert's
ExecutePreprocessor (the same engine as `make notebooks`), in memory: nothing
is written back. Prints the seconds per notebook (kernel start included), the
total, and the notebooks over the 60 s budget of DEVELOPERS.md. A failing
notebook is reported and the rest still run; the exit status is 1 then.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ExecutePreprocessor

ROOT = Path(__file__).resolve().parent.parent
BUDGET_S = 60.0


def time_notebook(path: Path, timeout: int) -> tuple[float, str | None]:
    nb = nbformat.read(path, as_version=4)
    ep = ExecutePreprocessor(timeout=timeout, kernel_name="python3")
    t0 = time.perf_counter()
    try:
        ep.preprocess(nb, {"metadata": {"path": str(path.parent)}})
        error = None
    except Exception as exc:  # report and go on with the others
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1][:200]}"
    return time.perf_counter() - t0, error


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=Path)
    ap.add_argument("--timeout", type=int, default=600, help="per-cell timeout in seconds")
    args = ap.parse_args()
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    rows, failed = [], False
    for path in paths:
        seconds, error = time_notebook(path, args.timeout)
        rows.append((path.name, seconds, error))
        flag = "  OVER BUDGET" if seconds > BUDGET_S else ""
        print(f"{path.name:<45} {seconds:7.1f} s{flag}" + (f"  FAILED {error}" if error else ""),
              flush=True)
        failed |= error is not None
    total = sum(s for _, s, _ in rows)
    print(f"{'total (' + str(len(rows)) + ' notebooks)':<45} {total:7.1f} s")
    over = [name for name, s, _ in rows if s > BUDGET_S]
    if over:
        print(f"over the {BUDGET_S:.0f} s budget: {', '.join(over)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
