"""The synthetic log generator of the RFM engines' tests and benchmarks (simulated data)."""

import pandas as pd

from crm_analysis.simulate import synthetic_log, write_synthetic_parquet


def test_synthetic_log_is_seeded_unsorted_with_same_day_repeats():
    a, b = synthetic_log(3000, seed=3), synthetic_log(3000, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert not a["date"].is_monotonic_increasing
    day = a["date"].dt.floor("D")
    same_day = a.assign(day=day).duplicated(["customer_id", "day"]).sum()
    assert same_day > 100
    assert a.groupby("customer_id").size().mean() > 3


def test_write_synthetic_parquet_in_chunks(tmp_path):
    import pyarrow.parquet as pq

    path = write_synthetic_parquet(tmp_path / "x.parquet", 10_000, chunk_lines=3_000, seed=1)
    meta = pq.ParquetFile(path).metadata
    assert meta.num_rows == 10_000 and meta.num_row_groups == 4
    again = write_synthetic_parquet(tmp_path / "y.parquet", 10_000, chunk_lines=3_000, seed=1)
    pd.testing.assert_frame_equal(pd.read_parquet(path), pd.read_parquet(again))
