"""Large-data paths: DuckDB over files and Dask give the pandas (= lifetimes) summary."""

import logging
import re

import numpy as np
import pandas as pd
import pytest
from lifetimes.utils import calibration_and_holdout_data, summary_data_from_transaction_data
from scipy.special import hyp2f1

import crm_analysis as crm
from crm_analysis import CRMDataError, rfm_summary
from crm_analysis.largedata import (
    is_dask_frame,
    is_file_source,
    rfm_summary_dask,
    rfm_summary_files,
)
from crm_analysis.scoring import score_dask, score_in_chunks
from crm_analysis.simulate import synthetic_log
from crm_analysis.transactions import period_codes

HOLDOUT = dict(calibration_end="2020-04-01", observation_end="2020-06-30")
CASES = [
    ("D", 1, {}),
    ("W", 1, {}),
    ("D", 7, HOLDOUT),
    ("h", 24, {}),
    ("M", 1, {}),
    ("W", 1, HOLDOUT),
    ("D", 1, {"observation_end": "2020-05-03 10:00"}),
]


@pytest.fixture(scope="module")
def log():
    return synthetic_log(2500, seed=7, days=200)


@pytest.fixture(scope="module")
def files(log, tmp_path_factory):
    d = tmp_path_factory.mktemp("logs")
    log.iloc[:1200].to_parquet(d / "part-1.parquet")
    log.iloc[1200:].to_parquet(d / "part-2.parquet")
    log.to_csv(d / "log.csv", index=False)
    return d


@pytest.fixture(scope="module")
def client():
    pytest.importorskip("distributed")
    from dask.distributed import Client, LocalCluster

    logging.getLogger("distributed.shuffle").setLevel(logging.ERROR)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def ddf(log, client):
    import dask.dataframe as dd

    return dd.from_pandas(log, npartitions=3)


# --------------------------------------------------------------------- helpers


def _end_of_day(day: str) -> pd.Timestamp:
    return pd.Timestamp(day) + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")


def test_period_codes_weeks_start_on_monday():
    # 1970-01-01 was a Thursday: the week of Mon 1969-12-29 is week 0.
    codes = period_codes(["1969-12-29", "1970-01-04 23:59", "1970-01-05", "1969-12-28"], "W")
    assert codes.tolist() == [0, 0, 1, -1]
    assert period_codes(["1970-03-01"], "M").tolist() == [2]
    assert period_codes(["1970-01-02 05:30"], "h").tolist() == [29]


def test_source_detection(log, files):
    assert is_file_source(str(files / "*.parquet")) and is_file_source([files / "log.csv"])
    assert not is_file_source(log) and not is_dask_frame(log)


# --------------------------------------------------------------------- DuckDB


@pytest.mark.parametrize("freq,mult,kw", CASES)
def test_files_equal_pandas_path(log, files, freq, mult, kw):
    ref = rfm_summary(log, amount="amount", freq=freq, freq_multiplier=mult, **kw)
    for source in (str(files / "*.parquet"), files / "log.csv"):
        got = rfm_summary(source, amount="amount", freq=freq, freq_multiplier=mult, **kw)
        pd.testing.assert_frame_equal(got, ref, rtol=1e-12)


def test_files_equal_lifetimes(log, files):
    got = rfm_summary(str(files / "*.parquet"), amount="amount", freq="W")
    ref = summary_data_from_transaction_data(log, "customer_id", "date", "amount", freq="W")
    pd.testing.assert_frame_equal(got, ref, check_names=False, rtol=1e-9)
    got = rfm_summary_files(files / "log.csv", amount="amount", threads=1, **HOLDOUT)
    # A date-only cut-off is the whole day: lifetimes is given that instant.
    ref = calibration_and_holdout_data(log, "customer_id", "date",
                                       _end_of_day(HOLDOUT["calibration_end"]),
                                       _end_of_day(HOLDOUT["observation_end"]),
                                       monetary_value_col="amount")
    pd.testing.assert_frame_equal(got, ref[got.columns], check_names=False, rtol=1e-9)


def test_files_without_amount_and_first_transaction(log, files):
    src = str(files / "*.parquet")
    pd.testing.assert_frame_equal(rfm_summary(src, freq="W"), rfm_summary(log, freq="W"))
    pd.testing.assert_frame_equal(
        rfm_summary(src, amount="amount", include_first_transaction=True),
        rfm_summary(log, amount="amount", include_first_transaction=True), rtol=1e-12)


def test_files_string_ids_and_string_dates(log, tmp_path):
    text = log.assign(customer_id="c" + log["customer_id"].astype(str),
                      date=log["date"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    text.to_parquet(tmp_path / "t.parquet")
    got = rfm_summary(tmp_path / "t.parquet", amount="amount")
    ref = rfm_summary(text, amount="amount")
    np.testing.assert_array_equal(got.index.astype(str), ref.index.astype(str))
    np.testing.assert_allclose(got.to_numpy(), ref.to_numpy(), rtol=1e-12)


def _bad(log, tmp_path, **changes):
    bad = log.head(50).copy()
    for col, (row, value) in changes.items():
        bad[col] = bad[col].astype(object) if col == "date" else bad[col]
        bad.loc[row, col] = value
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    return path


def _ok(log, d):
    log.head(5).to_parquet(d / "ok.parquet")
    return d / "ok.parquet"


def _no_id(log, d):
    bad = log.head(50).astype({"customer_id": "float"})
    bad.loc[3, "customer_id"] = np.nan
    bad.to_parquet(d / "noid.parquet")
    return d / "noid.parquet"


def _empty(log, d):
    log.head(0).to_parquet(d / "empty.parquet")
    return d / "empty.parquet"


# (source built from the log and a folder, keywords, message); the message names the
# column, the problem and the offending rows as the pandas path does.
FILE_ERRORS = {
    "no-file": (lambda log, d: str(d / "nothing-*.parquet"), {}, r"no file matches"),
    "missing-column": (_ok, {"amount": "spend"}, r"amount='spend' \(not in data, whose columns are"),
    "missing-id": (_no_id, {}, r"(?s)'customer_id' has missing ids: 1 row.*2020"),
    "bad-date": (lambda log, d: _bad(log, d, date=(4, "yesterday")), {},
                 r"(?s)'date' has missing or non-date values: 1 row.*yesterday"),
    "negative-amount": (lambda log, d: _bad(log, d, amount=(2, -5.0)), {"amount": "amount"},
                        r"(?s)'amount' has negative amounts.*-5"),
    "empty": (_empty, {}, "empty"),
    "empty-holdout": (_ok, {"calibration_end": "2030-01-01", "observation_end": "2030-02-01"},
                      "holdout"),
    "unknown-freq": (_ok, {"freq": "Q"}, "freq"),
}


@pytest.mark.parametrize("source, kwargs, message", FILE_ERRORS.values(), ids=FILE_ERRORS.keys())
def test_file_errors_name_column_problem_and_rows(log, tmp_path, source, kwargs, message):
    with pytest.raises(CRMDataError, match=message):
        rfm_summary(source(log, tmp_path), **kwargs)


# --------------------------------------------------------------------- malformed files
# Each kind of malformed file raises CRMDataError from the DuckDB path, never a raw duckdb
# exception or its SQL, and with the wording of the pandas path (read_table, then rfm_summary).

H = "customer_id,date,amount\n"
OK = "".join(f"{i % 7},2020-0{1 + i % 9}-1{i % 10},{1 + i % 5}.5\n" for i in range(60))


def csv(text):
    return ("log.csv", text.encode("utf-8") if isinstance(text, str) else text)


def pq(frame):
    return ("log.parquet", frame)


BASE = pd.DataFrame({"customer_id": [1, 2, 1], "date": pd.to_datetime(["2020-01-01", "2020-01-05", "2020-02-01"]),
                     "amount": [1.0, 2.0, 3.0]})

MALFORMED = {
    "empty file": (csv(""), {}, r"empty"),
    "header only": (csv(H), {}, r"empty|no data rows"),
    "missing column": (csv("id,date,amount\n1,2020-01-01,3\n"), {}, r"customer_id='customer_id'"),
    "wrong delimiter": (csv("customer_id date amount\n1 2020-01-01 3\n"), {"date": "when"}, r"date='when'"),
    "non-date strings": (csv(H + "1,soon,3\n" + OK), {}, r"'date' has missing or non-date values: 1 row"),
    "missing date": (csv(H + "1,,3\n" + OK), {}, r"'date' has missing or non-date values: 1 row"),
    "mixed date formats": (csv(H + "1,Jan 5 2020,3\n" + OK), {}, r"non-date values: 1 row"),
    "missing id": (csv(H + ",2020-01-01,3\n" + OK), {}, r"'customer_id' has missing ids: 1 row"),
    "non-numeric amount": (csv(H + OK + "1,2020-01-01,abc\n"), {"amount": "amount"},
                           r"'amount' has missing or non-numeric values: 1 row"),
    "missing amount": (csv(H + "1,2020-01-01,\n" + OK), {"amount": "amount"}, r"'amount' has missing values: 1 row"),
    "amount text after many numbers": (csv(H + OK * 60 + "1,2020-01-01,abc\n"), {"amount": "amount"},
                                       r"non-numeric values: 1 row"),
    "negative amount": (csv(H + "1,2020-01-01,-3\n" + OK), {"amount": "amount"}, r"negative amounts"),
    "year 1": (csv(H + "1,0001-01-01,3\n" + OK), {}, r"implausible dates"),
    "year 1600": (csv(H + "1,1600-01-01,3\n" + OK), {}, r"implausible dates"),
    "year 2999": (csv(H + "1,2999-01-01,3\n" + OK), {}, r"implausible dates"),
    "ambiguous day-first": (csv(H + "1,05/01/2011,3\n2,06/02/2011,4\n"), {}, r"dayfirst="),
    "binary garbage": (csv(bytes(range(256)) * 40), {}, r"could not be read|not found"),
    "ragged rows": (csv(H + "1,2020-01-01,3,9,9\n2,2020-01-02,4\n"), {}, r"could not be read"),
    # DuckDB keeps the stray quote in the value, pandas stops at it: both refuse the file.
    "unterminated quote": (csv(H + '1,"2020-01-01,3\n2,2020-01-02,4\n'), {},
                           r"could not be read|'date' has missing or non-date values"),
    "latin-1 bytes": (csv((H + "1,2020-01-01,3\nJos\xe9,2020-01-02,4\n").encode("latin-1")), {},
                      r"could not be read"),
    "NaN freq_multiplier": (csv(H + OK), {"freq_multiplier": float("nan")}, r"positive finite"),
    "inf freq_multiplier": (csv(H + OK), {"freq_multiplier": float("inf")}, r"positive finite"),
    "bad calibration_end": (csv(H + OK), {"calibration_end": "soon"}, r"calibration_end='soon' is not a date"),
    "unknown tz": (csv(H + OK), {"tz": "Mars/Olympus"}, r"unknown time zone"),
    "bad date_format": (csv(H + OK), {"date_format": "%Q"}, r"date_format='%Q' is not a strftime"),
    "day-first rows not fitting": (csv(H + "1,13/01/2011,3\n2,2011-01-05,4\n1,28/02/2011,5\n"), {},
                                   r"'date' has missing or non-date values: 1 row"),
    "not parquet": (("log.parquet", b"PAR1 this is not parquet"), {}, r"could not be read"),
    "integer dates": (pq(BASE.assign(date=[20200101, 20200105, 20200201])), {},
                      r"'date' has missing or non-date values: 3 rows"),
    "yyyymmdd numbers in a csv": (csv(H + "1,20200101,3\n2,20200105,4\n"), {},
                                  r"'date' has missing or non-date values: 2 rows"),
    "parquet null ids": (pq(BASE.assign(customer_id=[1.0, np.nan, 1.0])), {}, r"missing ids: 1 row"),
    "parquet implausible": (pq(BASE.assign(date=pd.to_datetime(["2020-01-01", "1850-01-01", "2020-02-01"]))), {},
                            r"implausible dates"),
}

# NA strings pandas reads as missing are missing in DuckDB too.
MALFORMED["n/a amount"] = (csv(H + OK + "1,2020-01-01,n/a\n"), {"amount": "amount"},
                           r"'amount' has missing values: 1 row")
# The two paths diagnose these differently (both a one-line CRMDataError).
_FILE_LEVEL = {"empty file", "header only", "binary garbage", "ragged rows", "unterminated quote",
               "latin-1 bytes", "not parquet"}


def _write_case(tmp_path, spec):
    name, content = spec
    path = tmp_path / name
    if isinstance(content, pd.DataFrame):
        content.to_parquet(path)
    else:
        path.write_bytes(content)
    return path


def _pandas_path_error(path, kw) -> str:
    from crm_analysis.io import read_table

    try:
        data = read_table(path)
    except CRMDataError as exc:
        return str(exc)
    with pytest.raises(CRMDataError) as err:
        rfm_summary(data, **kw)
    return str(err.value)


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_files_raise_crm_data_error_like_pandas(tmp_path, case):
    spec, kw, pattern = MALFORMED[case]
    path = _write_case(tmp_path, spec)
    with pytest.raises(CRMDataError, match=pattern) as err:
        rfm_summary(path, **kw)
    duck = str(err.value)
    assert "SELECT" not in duck and "read_csv(" not in duck and "nan::" not in duck.lower()
    pand = _pandas_path_error(path, kw)
    assert re.search(pattern, pand), pand
    if case not in _FILE_LEVEL:
        # Same first line: function, column, problem and count of rows.
        assert duck.splitlines()[0] == pand.splitlines()[0]


@pytest.mark.parametrize("case", sorted(set(MALFORMED) - _FILE_LEVEL))
def test_dask_words_bad_logs_like_pandas(tmp_path, client, case):
    import dask.dataframe as dd

    from crm_analysis.io import read_table

    spec, kw, pattern = MALFORMED[case]
    path = _write_case(tmp_path, spec)
    try:
        data = read_table(path)
    except CRMDataError:
        pytest.skip("the file itself is unreadable: no frame for Dask")
    pand = _pandas_path_error(path, kw)
    with pytest.raises(CRMDataError, match=pattern) as err:
        rfm_summary(dd.from_pandas(data, npartitions=1), **kw)
    assert str(err.value).splitlines()[0] == pand.splitlines()[0]


# --------------------------------------------------------------------- engines agree


def test_ids_5_and_text_5_are_one_customer_in_every_engine(tmp_path, client):
    import dask.dataframe as dd

    # 60 customers written as numbers in January and as text in February (brute force: 60).
    jan = pd.DataFrame({"customer_id": list(range(60)),
                        "date": pd.Timestamp("2020-01-01") + pd.to_timedelta(np.arange(60) % 28, "D")})
    feb = pd.DataFrame({"customer_id": [str(i) for i in range(60)],
                        "date": pd.Timestamp("2020-02-01") + pd.to_timedelta(np.arange(60) % 28, "D")})
    log = pd.concat([jan, feb], ignore_index=True)
    ref = rfm_summary(log)
    assert len(ref) == 60 and (ref["frequency"] == 1).all()
    jan.to_parquet(tmp_path / "jan.parquet")
    feb.to_parquet(tmp_path / "feb.parquet")
    pd.testing.assert_frame_equal(rfm_summary(str(tmp_path / "*.parquet")), ref,
                                  check_index_type=False)
    got = rfm_summary(dd.from_pandas(log.sample(frac=1, random_state=1), npartitions=3))
    pd.testing.assert_frame_equal(got, ref, check_index_type=False)


def _three_engines(log, tmp_path, **kw):
    """The summary from pandas, DuckDB (CSV of the same text) and Dask."""
    import dask.dataframe as dd

    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    return (rfm_summary(log, **kw), rfm_summary(path, **kw),
            rfm_summary(dd.from_pandas(log, npartitions=2), **kw))


def test_implausible_dates_refused_by_every_engine(tmp_path, client):
    for bad in ("0001-01-01", "1600-01-01", "1899-12-31", "2999-01-01"):
        log = pd.DataFrame({"customer_id": [1, 2, 3, 1],
                            "date": ["2020-01-01", bad, "2020-01-03", "2020-02-01"]})
        import dask.dataframe as dd

        log.to_csv(tmp_path / "log.csv", index=False)
        for source in (log, tmp_path / "log.csv", dd.from_pandas(log, npartitions=2)):
            with pytest.raises(CRMDataError, match=r"'date' has implausible dates .*: 1 row"):
                rfm_summary(source)


def test_day_first_text_read_with_one_format_in_every_engine(tmp_path, client):
    # "05/01/2011" is 5 January in a column that also holds "13/01/2011".
    log = pd.DataFrame({"customer_id": [1, 1, 2, 2],
                        "date": ["05/01/2011", "13/01/2011", "02/02/2011", "28/02/2011"]})
    truth = log.assign(date=pd.to_datetime(["2011-01-05", "2011-01-13", "2011-02-02",
                                            "2011-02-28"]))
    ref = rfm_summary(truth)
    assert ref["recency"].tolist() == [8.0, 26.0]  # 13 Jan - 5 Jan, 28 Feb - 2 Feb
    for got in _three_engines(log, tmp_path):
        pd.testing.assert_frame_equal(got, ref)


def test_ambiguous_day_month_needs_dayfirst_in_every_engine(tmp_path, client):
    log = pd.DataFrame({"customer_id": [1, 1, 2], "date": ["05/01/2011", "06/02/2011", "07/03/2011"]})
    import dask.dataframe as dd

    log.to_csv(tmp_path / "log.csv", index=False)
    for source in (log, tmp_path / "log.csv", dd.from_pandas(log, npartitions=2)):
        with pytest.raises(CRMDataError, match=r"dayfirst=True or dayfirst=False.*--dayfirst"):
            rfm_summary(source)
    truth = log.assign(date=pd.to_datetime(["2011-01-05", "2011-02-06", "2011-03-07"]))
    for got in _three_engines(log, tmp_path, dayfirst=True):
        pd.testing.assert_frame_equal(got, rfm_summary(truth))
    us = log.assign(date=pd.to_datetime(["2011-05-01", "2011-06-02", "2011-07-03"]))
    for got in _three_engines(log, tmp_path, date_format="%m/%d/%Y"):
        pd.testing.assert_frame_equal(got, rfm_summary(us))


@pytest.mark.parametrize("tz,hours", [(None, [8, 23, 12]), ("Asia/Tokyo", [17, 8, 12])])
def test_utc_offsets_one_rule_in_every_engine(tmp_path, client, tz, hours):
    # 10:00+02:00 is 08:00 UTC and 17:00 in Tokyo; 18:00-05:00 is 23:00 UTC and 08:00 next day
    # in Tokyo; a value without offset keeps its clock time (12:00).
    log = pd.DataFrame({"customer_id": [1, 1, 1],
                        "date": ["2020-01-05T10:00:00+02:00", "2020-01-06T18:00:00-05:00",
                                 "2020-01-09 12:00:00"]})
    days = [5, 6 if tz is None else 7, 9]
    truth = log.assign(date=[pd.Timestamp(2020, 1, d, h) for d, h in zip(days, hours, strict=True)])
    ref = rfm_summary(truth, freq="h")
    for got in _three_engines(log, tmp_path, freq="h", tz=tz):
        pd.testing.assert_frame_equal(got, ref)


def test_tz_aware_columns_converted_not_crashing(tmp_path, client):
    import dask.dataframe as dd

    aware = pd.DataFrame({"customer_id": [1, 1],
                          "date": pd.to_datetime(["2020-03-01 23:30", "2020-03-03 01:00"])
                          .tz_localize("America/New_York")})
    # 23:30 New York (UTC-5) is 04:30 UTC the next day.
    truth = aware.assign(date=pd.to_datetime(["2020-03-02 04:30", "2020-03-03 06:00"]))
    ref = rfm_summary(truth)
    aware.to_parquet(tmp_path / "aware.parquet")
    for source in (aware, tmp_path / "aware.parquet", dd.from_pandas(aware, npartitions=1)):
        pd.testing.assert_frame_equal(rfm_summary(source), ref)


def test_date_only_cutoffs_mean_the_whole_day_in_every_engine(log, tmp_path, client):
    # Brute force on the synthetic log: every row stamped on the cut-off day is calibration,
    # every row on the observation end day is holdout.
    cal, end = "2020-04-01", "2020-06-30"
    day = log["date"].dt.normalize()
    in_cal = day <= pd.Timestamp(cal)
    in_hold = (day > pd.Timestamp(cal)) & (day <= pd.Timestamp(end))
    assert ((day == pd.Timestamp(cal)).sum() > 0) and ((day == pd.Timestamp(end)).sum() > 0)
    first_cal = log[in_cal].groupby("customer_id")["date"].min()
    hold_days = (log[in_hold].assign(d=day[in_hold]).groupby("customer_id")["d"].nunique()
                 .reindex(first_cal.index, fill_value=0).astype(float))
    for got in _three_engines(log, tmp_path, calibration_end=cal, observation_end=end):
        assert got.index.equals(first_cal.index)
        np.testing.assert_array_equal(got["frequency_holdout"], hold_days.to_numpy())
        assert got["duration_holdout"].iloc[0] == 90.0


# --------------------------------------------------------------------- Dask


@pytest.mark.parametrize("freq,mult,kw", [CASES[0], CASES[2], CASES[5], CASES[6]])
def test_dask_equals_pandas_path(log, ddf, freq, mult, kw):
    ref = rfm_summary(log, amount="amount", freq=freq, freq_multiplier=mult, **kw)
    got = rfm_summary(ddf, amount="amount", freq=freq, freq_multiplier=mult, **kw)
    pd.testing.assert_frame_equal(got, ref, rtol=1e-12)


def test_dask_lazy_result_and_string_dates(log, ddf, client):
    import dask.dataframe as dd

    lazy = rfm_summary_dask(ddf, amount="amount", compute=False)
    assert is_dask_frame(lazy)
    pd.testing.assert_frame_equal(lazy.compute().sort_index(), rfm_summary(log, amount="amount"))
    text = log.assign(date=log["date"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    got = rfm_summary(dd.from_pandas(text, npartitions=2), freq="W")
    pd.testing.assert_frame_equal(got, rfm_summary(log, freq="W"))


def _negative_amount(log):
    bad = log.head(40).copy()
    bad.loc[5, "amount"] = -1.0
    return bad


DASK_ERRORS = {
    "missing-column": (lambda log: log, {"amount": "spend"}, "amount='spend'"),
    "negative-amount": (_negative_amount, {"amount": "amount"}, r"negative amounts"),
    "empty-holdout": (lambda log: log, {"calibration_end": "2030-01-01",
                                        "observation_end": "2030-02-01"}, "holdout"),
}


@pytest.mark.parametrize("frame, kwargs, message", DASK_ERRORS.values(), ids=DASK_ERRORS.keys())
def test_dask_errors(log, client, frame, kwargs, message):
    import dask.dataframe as dd

    with pytest.raises(CRMDataError, match=message):
        rfm_summary(dd.from_pandas(frame(log), npartitions=2), **kwargs)


# --------------------------------------------------------------------- scoring

# Fader, Hardie & Lee (2005), CDNOW BG/NBD estimates (weeks).
R, ALPHA, A, B = 0.243, 4.414, 0.793, 2.426


def _bgnbd_closed_form(x, tx, T, t):
    """P(alive) and E[Y(t) | x, tx, T] from FHL (2005), eqs. (10) and the appendix."""
    odds = np.where(x > 0, A / (B + x - 1) * ((ALPHA + T) / (ALPHA + tx)) ** (R + x), 0.0)
    p_alive = 1 / (1 + odds)
    z = t / (ALPHA + T + t)
    head = (A + B + x - 1) / (A - 1)
    tail = 1 - ((ALPHA + T) / (ALPHA + T + t)) ** (R + x) * hyp2f1(R + x, B + x, A + B + x - 1, z)
    return p_alive, head * tail * p_alive


@pytest.fixture(scope="module")
def cdnow_model():
    from crm_analysis.clv import BTYDModel

    return BTYDModel.from_params("bgnbd", [R, ALPHA, A, B])


@pytest.fixture(scope="module")
def big_summary():
    rng = np.random.default_rng(11)
    n = 12_000
    T = rng.uniform(27, 39, n).round(2)
    x = rng.poisson(1.5, n).astype(float)
    tx = np.where(x > 0, (rng.uniform(0, 1, n) * T).round(2), 0.0)
    return pd.DataFrame({"frequency": x, "recency": tx, "T": T},
                        index=pd.Index(np.arange(n) * 3, name="customer_id"))


def test_published_cdnow_customer_expected_purchases(cdnow_model):
    # FHL (2005): x=2, tx=30.43, T=38.86 -> 1.226 purchases expected in the next 39 weeks.
    one = pd.DataFrame({"frequency": [2.0], "recency": [30.43], "T": [38.86]})
    got = score_in_chunks(cdnow_model, one, t=39, progress=False)
    assert got["expected_purchases"].iloc[0] == pytest.approx(1.226, abs=5e-4)


def test_chunked_scores_equal_closed_form(cdnow_model, big_summary):
    got = score_in_chunks(cdnow_model, big_summary, t=52, chunk_size=5_000, progress=False)
    assert got.index.equals(big_summary.index)
    p, ey = _bgnbd_closed_form(*(big_summary[c].to_numpy() for c in ("frequency", "recency", "T")),
                               52.0)
    np.testing.assert_allclose(got["p_alive"], p, rtol=1e-9)
    np.testing.assert_allclose(got["expected_purchases"], ey, rtol=1e-7)


def test_chunked_clv_undiscounted_is_spend_times_purchases(cdnow_model, big_summary):
    # With no discounting, CLV over k periods of 4 weeks = margin x spend x E[Y(4k)].
    got = score_in_chunks(cdnow_model, big_summary.head(3000), t=52, spend=30.0, horizon=13,
                          discount_rate=0.0, margin=0.25, period="4W", chunk_size=700,
                          progress=False)
    np.testing.assert_allclose(got["clv"], 0.25 * 30.0 * got["expected_purchases"], rtol=1e-9)


@pytest.mark.parametrize(
    "kwargs, message",
    [({"spend": 30.0}, "score_in_chunks: CLV needs both spend and horizon"),
     ({"chunk_size": 0}, "score_in_chunks: chunk_size")],
    ids=["spend-without-horizon", "zero-chunk-size"],
)
def test_chunked_scoring_bad_input(cdnow_model, big_summary, kwargs, message):
    with pytest.raises(CRMDataError, match=message):
        score_in_chunks(cdnow_model, big_summary, **kwargs)


def test_dask_scores_by_partition_equal_closed_form(cdnow_model, big_summary, client):
    import dask.dataframe as dd

    lazy = score_dask(cdnow_model, dd.from_pandas(big_summary, npartitions=4), t=52,
                      spend=30.0, horizon=6, discount_rate=0.01, period="4W")
    got = lazy.compute().sort_index()
    p, ey = _bgnbd_closed_form(*(big_summary[c].to_numpy() for c in ("frequency", "recency", "T")),
                               52.0)
    np.testing.assert_allclose(got["p_alive"], p, rtol=1e-9)
    np.testing.assert_allclose(got["expected_purchases"], ey, rtol=1e-7)
    # Discounted CLV: sum over 6 periods of the period's expected purchases / 1.01^k.
    steps = np.array([_bgnbd_closed_form(big_summary["frequency"].to_numpy(),
                                         big_summary["recency"].to_numpy(),
                                         big_summary["T"].to_numpy(), 4.0 * k)[1]
                      for k in range(0, 7)])
    clv = 30.0 * sum((steps[k] - steps[k - 1]) / 1.01 ** k for k in range(1, 7))
    np.testing.assert_allclose(got["clv"], clv, rtol=1e-7)
    assert crm.__name__ == "crm_analysis"


# --------------------------------------------------------------------- property


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

rows = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 120), st.integers(0, 23),
              st.floats(0.0, 500.0, allow_nan=False)),
    min_size=2, max_size=50,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows, freq=st.sampled_from(["D", "W", "h"]), cut=st.integers(10, 100))
def test_property_files_equal_lifetimes_on_random_logs(tmp_path, rows, freq, cut):
    log = pd.DataFrame(rows, columns=["customer_id", "day", "hour", "amount"])
    log["date"] = (pd.Timestamp("2021-03-01") + pd.to_timedelta(log["day"], "D")
                   + pd.to_timedelta(log["hour"], "h"))
    path = tmp_path / "log.parquet"
    log.sample(frac=1, random_state=0).to_parquet(path)
    got = rfm_summary(path, amount="amount", freq=freq)
    ref = summary_data_from_transaction_data(log, "customer_id", "date", "amount", freq=freq)
    pd.testing.assert_frame_equal(got, ref, check_names=False, rtol=1e-9)
    cal_end = pd.Timestamp("2021-03-01") + pd.Timedelta(days=cut)
    if (log["date"] <= cal_end).any() and (log["date"] > cal_end).any():
        got = rfm_summary(path, amount="amount", calibration_end=cal_end,
                          observation_end="2021-07-01")
        ref = calibration_and_holdout_data(log, "customer_id", "date", cal_end, "2021-07-01",
                                           monetary_value_col="amount")
        pd.testing.assert_frame_equal(got, ref[got.columns], check_names=False,
                                      check_dtype=False, rtol=1e-9)


def test_dask_summary_to_scores_end_to_end(log, ddf, cdnow_model):
    # Summary in weeks, kept on the cluster, scored where it lies.
    lazy = rfm_summary_dask(ddf, freq="D", freq_multiplier=7, compute=False)
    got = score_dask(cdnow_model, lazy, t=26).compute().sort_index()
    summary = rfm_summary(log, freq="D", freq_multiplier=7)
    assert got.index.equals(summary.index)
    p, ey = _bgnbd_closed_form(*(summary[c].to_numpy() for c in ("frequency", "recency", "T")),
                               26.0)
    np.testing.assert_allclose(got["p_alive"], p, rtol=1e-9)
    np.testing.assert_allclose(got["expected_purchases"], ey, rtol=1e-7)


@pytest.mark.parametrize(
    "name, new_home",
    [
        ("score_in_chunks", "crm_analysis.scoring"),
        ("score_dask", "crm_analysis.scoring"),
        ("synthetic_log", "crm_analysis.simulate"),
        ("write_synthetic_parquet", "crm_analysis.simulate"),
    ],
)
def test_moved_names_still_work_from_largedata_with_a_warning(name, new_home):
    import importlib

    import crm_analysis.largedata as largedata

    with pytest.warns(DeprecationWarning, match=f"largedata.{name} moved to {new_home}"):
        old = getattr(largedata, name)
    assert old is getattr(importlib.import_module(new_home), name)


def test_unknown_name_of_largedata_is_still_an_attribute_error():
    import crm_analysis.largedata as largedata

    with pytest.raises(AttributeError, match="no_such_name"):
        largedata.no_such_name  # noqa: B018


# --- out-of-core cleaning for the report (issue 16, section 5) ----------------------------------

MESSY_CLEANING = dict(customer_id="customer_id", date="invoice_date", amount="amount",
                      quantity="quantity", price="unit_price", order_id="invoice",
                      cancel_prefix="C", item="stock_code")


@pytest.fixture(scope="module")
def messy_parquet(tmp_path_factory):
    """The messy-log simulator's export (simulated), written as two Parquet files."""
    from crm_analysis.simulate.messy import _EXCLUDE

    sim = crm.simulate_messy_log(300, seed=21)
    folder = tmp_path_factory.mktemp("messy_parquet")
    half = len(sim.data) // 2
    sim.data.iloc[:half].to_parquet(folder / "part1.parquet", index=False)
    sim.data.iloc[half:].to_parquet(folder / "part2.parquet", index=False)
    opts = {**MESSY_CLEANING, "exclude_items": _EXCLUDE,
            "observation_end": sim.options["observation_end"]}
    return sim, folder, opts


@pytest.mark.parametrize("duplicates", ["keep", "drop"])
def test_clean_log_files_counts_as_validate_transactions(messy_parquet, tmp_path, duplicates):
    sim, folder, opts = messy_parquet
    cols = ["customer_id", "invoice_date", "quantity", "unit_price", "invoice", "stock_code"]
    ref = crm.validate_transactions(crm.read_log_files(folder, cols), duplicates=duplicates, **opts)
    got = crm.clean_log_files(folder, tmp_path, duplicates=duplicates, **opts)
    assert isinstance(got, crm.LogFileCleaning)
    # same checks, counts and example rows (row numbers run across both files)
    pd.testing.assert_frame_equal(got.report, ref.report)
    assert got.summary() == ref.summary()
    assert (got.n_input, got.n_dropped) == (len(sim.data), ref.n_dropped)
    # the simulator's truth for the checks before duplicates
    for check in ("missing customer id", "excluded item"):
        assert got.report.set_index("check").loc[check, "rows"] == sim.dropped[check]
    # the day-level log gives the summary of the cleaned lines
    weeks = dict(customer_id="customer_id", date="invoice_date", amount="amount", freq="D",
                 freq_multiplier=7)
    expected = crm.rfm_summary(ref.data, observation_end=ref.data["invoice_date"].max(), **weeks)
    summary = crm.rfm_summary(str(got.day_log), observation_end=got.last_date, **weeks)
    pd.testing.assert_frame_equal(summary, expected, check_exact=False, rtol=1e-12)
    day = pd.read_parquet(got.day_log)
    assert day["_lines"].sum() == len(ref.data) == got.n_kept
    assert got.total_amount == pytest.approx(ref.data["amount"].sum(), rel=1e-12)


def test_clean_log_files_strict_raises_as_the_pandas_path(messy_parquet, tmp_path):
    _, folder, opts = messy_parquet
    cols = ["customer_id", "invoice_date", "quantity", "unit_price", "invoice", "stock_code"]
    with pytest.raises(crm.CRMDataError) as ref:
        crm.validate_transactions(crm.read_log_files(folder, cols), strict=True, **opts)
    with pytest.raises(crm.CRMDataError) as got:
        crm.clean_log_files(folder, tmp_path, strict=True, **opts)
    assert str(got.value) == str(ref.value)


@pytest.mark.parametrize("case", ["text dates", "zone given", "csv file"])
def test_clean_log_files_leaves_other_logs_to_pandas(tmp_path, case):
    log = pd.DataFrame({"customer_id": [1, 1, 2], "amount": [3.0, 4.0, 5.0],
                        "date": pd.to_datetime(["2020-01-01", "2020-02-01", "2020-01-05"])})
    kw = {}
    if case == "text dates":
        log["date"] = log["date"].dt.strftime("%Y-%m-%d")
    elif case == "zone given":
        kw["tz"] = "Europe/London"
    path = tmp_path / ("log.csv" if case == "csv file" else "log.parquet")
    log.to_csv(path, index=False) if case == "csv file" else log.to_parquet(path)
    assert crm.clean_log_files(path, tmp_path, **kw) is None
