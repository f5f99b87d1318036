"""Large synthetic purchase logs for tests and benchmarks of the RFM engines.

Not a behavioural model: :func:`synthetic_log` only has the shape that makes
RFM aggregation work hard (unsorted lines, many customers with several
purchases on one day), and :func:`write_synthetic_parquet` writes one of
hundreds of millions of lines to Parquet with bounded memory.  Simulated data,
seeded: same seed, same log.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["synthetic_log", "write_synthetic_parquet"]


def synthetic_log(
    n_lines: int,
    *,
    n_customers: int | None = None,
    days: int = 730,
    start: str = "2020-01-01",
    same_day_share: float = 0.2,
    seed: int | np.random.Generator = 0,
) -> pd.DataFrame:
    """A seeded, unsorted synthetic purchase log for tests and benchmarks.

    Not a behavioural model (use :mod:`crm_analysis.simulate` for known-truth
    worlds): it only has the shape that makes RFM aggregation work hard.
    Each line picks a customer uniformly; each customer has a first-purchase
    day uniform in the first half of the window; a line falls on that day
    with probability ``same_day_share`` (so many customers buy twice on one
    day) and otherwise an exponential number of days later (mean a quarter of
    the window, truncated at its end), at a uniform second of the day.
    Amounts are log-normal (median about US$20), rounded to cents.

    Parameters
    ----------
    n_lines : int
        Purchase lines.
    n_customers : int, optional
        Customer pool (default ``n_lines // 6``, so about six lines each).
    days : int, default 730
        Length of the window in days.
    start : str, default "2020-01-01"
        First day of the window.
    same_day_share : float, default 0.2
        Share of lines on the customer's first-purchase day.
    seed : int or Generator
        Same seed, same log.

    Returns
    -------
    DataFrame
        ``customer_id`` (int64), ``date`` (datetime64[ns]), ``amount`` (float).

    Examples
    --------
    >>> log = synthetic_log(1000, seed=1)
    >>> log.shape, log["date"].is_monotonic_increasing
    ((1000, 3), False)
    """
    rng = np.random.default_rng(seed)
    n_customers = n_customers or max(1, n_lines // 6)
    first = rng.integers(0, max(1, days // 2), n_customers)
    return _synthetic_chunk(rng, n_lines, first, days, start, same_day_share)


def _synthetic_chunk(rng, n_lines, first, days, start, same_day_share) -> pd.DataFrame:
    cust = rng.integers(0, len(first), n_lines)
    offset = np.minimum(rng.exponential(days / 4, n_lines), days - 1).astype(np.int64)
    offset[rng.random(n_lines) < same_day_share] = 0
    day = np.minimum(first[cust] + offset, days - 1)
    seconds = day * 86_400 + rng.integers(0, 86_400, n_lines)
    ts = np.datetime64(start, "s") + seconds.astype("timedelta64[s]")
    amount = np.round(rng.lognormal(3.0, 0.8, n_lines), 2)
    return pd.DataFrame({"customer_id": cust.astype(np.int64),
                         "date": ts.astype("datetime64[ns]"), "amount": amount})


def write_synthetic_parquet(
    path: str | os.PathLike,
    n_lines: int,
    *,
    n_customers: int | None = None,
    chunk_lines: int = 5_000_000,
    days: int = 730,
    seed: int = 0,
) -> Path:
    """Write a large :func:`synthetic_log` to one Parquet file, chunk by chunk.

    Memory stays at one chunk (about 24 bytes a line) plus the customers'
    first-purchase days, whatever ``n_lines`` is.  Same seed, same file.

    Parameters
    ----------
    path : str or Path
        Output file (its folder is created).
    n_lines : int
        Total purchase lines.
    n_customers : int, optional
        Customer pool (default ``n_lines // 6``).
    chunk_lines : int, default 5,000,000
        Lines generated and written per row group.
    days : int, default 730
        Window length in days.
    seed : int
        Seed.

    Returns
    -------
    Path
        The written file.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n_customers = n_customers or max(1, n_lines // 6)
    first = rng.integers(0, max(1, days // 2), n_customers)
    writer = None
    try:
        done = 0
        while done < n_lines:
            k = min(chunk_lines, n_lines - done)
            chunk = _synthetic_chunk(rng, k, first, days, "2020-01-01", 0.2)
            table = pa.Table.from_pandas(chunk, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, compression="snappy")
            writer.write_table(table)
            done += k
    finally:
        if writer is not None:
            writer.close()
    return path
