"""read_table: every file a client sends is read whole, or refused with one clear line."""

import bz2
import gzip
import zipfile

import pandas as pd
import pytest

from crm_analysis import CRMDataError
from crm_analysis.io import read_table

LOG = pd.DataFrame({"customer_id": [1, 2, 2], "date": ["2020-01-01", "2020-01-02", "2020-02-01"],
                    "amount": [1.5, 2.0, 3.25]})


def _text(sep=","):
    return LOG.to_csv(index=False, sep=sep)


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def _zip(path, members: dict):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _book(path, sheets: dict):
    with pd.ExcelWriter(path) as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return path


# Each format is written by an independent writer (the standard library's gzip, bz2,
# zipfile; pandas' own writers) and must come back equal to LOG.
FORMATS = {
    "csv.gz": lambda p: _write(p / "log.csv.gz", gzip.compress(_text().encode())),
    "csv.bz2": lambda p: _write(p / "log.csv.bz2", bz2.compress(_text().encode())),
    "bz2 semicolons": lambda p: _write(p / "log.csv.bz2", bz2.compress(_text(";").encode())),
    "tsv": lambda p: _write(p / "log.tsv", _text("\t").encode()),
    "tsv.gz": lambda p: _write(p / "log.tsv.gz", gzip.compress(_text("\t").encode())),
    "zip with one csv": lambda p: _zip(p / "log.zip", {"export/log.csv": _text()}),
    "zip with one tsv": lambda p: _zip(p / "log.zip", {"log.tsv": _text("\t")}),
    "xlsx one sheet": lambda p: _book(p / "log.xlsx", {"Sheet1": LOG}),
    "parquet": lambda p: (LOG.to_parquet(p / "log.parquet"), p / "log.parquet")[1],
}


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_formats_are_read_whole(tmp_path, kind):
    got = read_table(FORMATS[kind](tmp_path), expect=["customer_id", "date", "amount"])
    pd.testing.assert_frame_equal(got, LOG, check_dtype=False)


def _two_sheets(tmp_path):
    other = LOG.assign(customer_id=[7, 8, 9])
    return _book(tmp_path / "book.xlsx", {"Year 2010": LOG, "Year 2011": other}), other


def test_workbook_with_several_sheets_needs_a_sheet(tmp_path):
    path, _ = _two_sheets(tmp_path)
    with pytest.raises(CRMDataError, match=r"2 sheets \['Year 2010', 'Year 2011'\].*sheet='all'"):
        read_table(path)


def test_sheet_by_name_and_all(tmp_path):
    path, other = _two_sheets(tmp_path)
    pd.testing.assert_frame_equal(read_table(path, sheet="Year 2011"), other, check_dtype=False)
    both = read_table(path, sheet="all")
    assert len(both) == 6  # every row of both sheets, none skipped
    pd.testing.assert_frame_equal(both, pd.concat([LOG, other], ignore_index=True),
                                  check_dtype=False)


def test_sheet_all_inside_a_zip(tmp_path):
    path, _ = _two_sheets(tmp_path)
    archive = _zip(tmp_path / "book.zip", {"book.xlsx": path.read_bytes()})
    assert len(read_table(archive, sheet="all")) == 6


BAD = {
    "unknown sheet": (lambda p: _two_sheets(p)[0], {"sheet": "2012"}, r"no sheet '2012'.*Year 2010"),
    "sheets with other columns": (
        lambda p: _book(p / "b.xlsx", {"a": LOG, "b": LOG.rename(columns={"amount": "value"})}),
        {"sheet": "all"}, r"same columns.*\['b'\]"),
    "sheet for a csv": (lambda p: _write(p / "a.csv", _text().encode()), {"sheet": "x"},
                        "not a workbook"),
    "zip that is not a workbook": (lambda p: _zip(p / "fake.xlsx", {"notes.txt": "hello"}), {},
                                   "not an Excel workbook"),
    "zip with two files": (lambda p: _zip(p / "two.zip", {"a.csv": _text(), "b.csv": _text()}),
                           {}, r"exactly one.*'a.csv', 'b.csv'"),
    "zip with no table": (lambda p: _zip(p / "docs.zip", {"readme.md": "x"}), {},
                          r"exactly one.*readme.md"),
    "not a zip": (lambda p: _write(p / "log.zip", b"plain text"), {}, "could not be read"),
    "truncated gzip": (lambda p: _write(p / "log.csv.gz", gzip.compress(_text().encode())[:20]),
                       {}, "could not be read"),
    "compressed parquet": (lambda p: _write(p / "log.parquet.gz", b"x"), {}, "only compressed CSV"),
    "empty file": (lambda p: _write(p / "log.csv", b""), {}, "empty"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_files_raise_one_line(tmp_path, case):
    make, kw, pattern = BAD[case]
    with pytest.raises(CRMDataError, match=pattern):
        read_table(make(tmp_path), **kw)


@pytest.mark.parametrize("nested", ["list", "struct", "map"])
def test_nested_parquet_column_is_named(tmp_path, nested):
    import pyarrow as pa
    import pyarrow.parquet as pq

    values = {"list": pa.array([[1, 2], [3]]),
              "struct": pa.array([{"sku": "a"}, {"sku": "b"}]),
              "map": pa.array([[("a", 1)], [("b", 2)]], type=pa.map_(pa.string(), pa.int64()))}
    table = pa.table({"customer_id": [1, 2], "date": ["2020-01-01", "2020-01-02"],
                      "basket": values[nested]})
    pq.write_table(table, tmp_path / "nested.parquet")
    with pytest.raises(CRMDataError, match=r"column\(s\) 'basket' .*nested values"):
        read_table(tmp_path / "nested.parquet")


# --- write_safe_csv: pandas' bytes, written through Arrow for large frames -----------------------

def _awkward_frame(n: int = 3000, seed: int = 3) -> pd.DataFrame:
    """Numbers at every magnitude, labels that need quotes, missing values, formula-like text."""
    import numpy as np

    gen = np.random.default_rng(seed)
    x = 10.0 ** gen.uniform(-9, 19, n) * gen.choice([-1.0, 1.0], n)
    x[::97] = np.nan
    x[1::101] = np.round(x[1::101])  # whole numbers: "12.0" in pandas
    x[2::103] = np.inf
    x[3] = -0.0
    labels = np.array(['plain', 'with, comma', 'say "hi"', 'two\nlines', '=SUM(A1)', '', None],
                      dtype=object)
    return pd.DataFrame({
        "customer_id": np.arange(n) * 7 - 50,
        "value": x,
        "money": np.round(gen.gamma(2.0, 30.0, n), 2),
        "flag": gen.random(n) < 0.5,
        "label": labels[gen.integers(0, len(labels), n)],
        "segment": pd.Categorical(gen.choice(["champions", "at risk", "can't lose them"], n)),
        "text": pd.array(gen.choice(["a", "b,c", "-1"], n), dtype="str"),
    })


@pytest.mark.parametrize("batch", [100_000, 256], ids=["one-batch", "many-batches"])
def test_write_safe_csv_writes_the_bytes_pandas_writes(tmp_path, monkeypatch, batch):
    """pandas' own to_csv of the neutralised frame is the authority, byte for byte."""
    import crm_analysis.io as io_module
    from crm_analysis.io import neutralise_formulas, write_safe_csv

    monkeypatch.setattr(io_module, "_CSV_BATCH", batch)
    frame = _awkward_frame()
    before = frame.copy()
    written = []
    original = io_module._write_csv_arrow
    monkeypatch.setattr(io_module, "_write_csv_arrow",
                        lambda *a: written.append(original(*a)) or written[-1])
    path = write_safe_csv(frame, tmp_path / "scores.csv")
    assert written == [True]  # the Arrow writer wrote it
    expected = neutralise_formulas(frame).to_csv(index=False).encode()
    assert path.read_bytes() == expected
    pd.testing.assert_frame_equal(frame, before)  # the caller's frame is untouched
    cells = pd.read_csv(path, keep_default_na=False)
    assert not cells["label"].str.startswith("=").any() and "'=SUM(A1)" in set(cells["label"])


@pytest.mark.parametrize("change", [
    lambda f: f.assign(when=pd.Timestamp("2020-01-01")),
    lambda f: f.assign(label=f["label"].where(f.index != 5, "carriage\rreturn")),
    lambda f: f.assign(label=f["label"].where(f.index != 5, 12)),
    lambda f: f[["value"]],
    lambda f: f.iloc[:0],
], ids=["dates", "carriage-return", "mixed-objects", "one-column", "no-rows"])
def test_write_safe_csv_other_frames_are_written_by_pandas(tmp_path, change):
    from crm_analysis.io import neutralise_formulas, write_safe_csv

    frame = change(_awkward_frame(300))
    path = write_safe_csv(frame, tmp_path / "out.csv")
    assert path.read_bytes() == neutralise_formulas(frame).to_csv(index=False).encode()


def test_write_safe_csv_with_the_index(tmp_path):
    from crm_analysis.io import write_safe_csv

    frame = _awkward_frame(50).set_index("customer_id")
    path = write_safe_csv(frame, tmp_path / "out.csv", index=True)
    assert path.read_text().splitlines()[0].startswith("customer_id,value,")
