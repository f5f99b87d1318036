"""The one date rule: one format per column, no silent wrap-around, one time-zone rule, whole-day cut-offs."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import crm_analysis as crm
from crm_analysis import CRMDataError, rfm_summary, validate_transactions
from crm_analysis.dates import (
    check_dates,
    infer_date_format,
    parse_cutoff,
    parse_dates,
)

# --------------------------------------------------------------------- one format per column


@pytest.mark.parametrize("values,fmt", [
    (["2011-01-05", "2011-12-31 10:00:00"], "ISO8601"),
    (["05/01/2011", "13/01/2011"], "%d/%m/%Y"),
    (["01/05/2011", "01/13/2011"], "%m/%d/%Y"),
    (["12/1/2010 8:26", "12/13/2010 18:06"], "%m/%d/%Y %H:%M"),
    (["5/1/11", "13/1/11"], "%d/%m/%y"),
    (["05.01.2011", "31.01.2011"], "%d.%m.%Y"),
    (["5 Jan 2011", "13 Feb 2011"], "%d %b %Y"),
])
def test_infer_one_format(values, fmt):
    assert infer_date_format(values) == fmt


def test_day_first_column_is_not_read_row_by_row():
    # Row by row, "05/01/2011" would become 1 May and "13/01/2011" 13 January.
    out = parse_dates(pd.Series(["05/01/2011", "13/01/2011", "28/02/2011"]))
    assert out.values.tolist() == [pd.Timestamp(2011, 1, 5), pd.Timestamp(2011, 1, 13),
                                   pd.Timestamp(2011, 2, 28)]
    assert out.date_format == "%d/%m/%Y"


def test_rows_not_fitting_the_format_are_unparseable_not_guessed():
    out = parse_dates(pd.Series(["05/01/2011", "13/01/2011", "2011-01-07", "Jan 8 2011"]))
    assert out.unparseable.tolist() == [False, False, True, True]


def test_ambiguous_order_stops_and_names_the_options():
    with pytest.raises(CRMDataError, match=r"(?s)column 'when'.*dayfirst=True or dayfirst=False, "
                       r"or date_format='%d/%m/%Y'.*--dayfirst / --date-format"):
        parse_dates(pd.Series(["05/01/2011", "06/02/2011"], name="when"))


@pytest.mark.parametrize("dayfirst,month", [(True, 1), (False, 5)])
def test_dayfirst_decides(dayfirst, month):
    out = parse_dates(pd.Series(["05/01/2011", "06/02/2011"]), dayfirst=dayfirst)
    assert out.values.iloc[0].month == month


def test_explicit_date_format_and_bad_pattern():
    out = parse_dates(pd.Series(["05/01/2011"]), date_format="%m/%d/%Y")
    assert out.values.iloc[0] == pd.Timestamp(2011, 5, 1)
    with pytest.raises(CRMDataError, match="not a strftime pattern"):
        parse_dates(pd.Series(["05/01/2011"]), date_format="%Q")


def test_tie_on_the_sample_is_decided_on_the_whole_column():
    # 30,000 distinct day-first timestamps with days <= 12, and one 13th at the end.
    base = pd.Timestamp("2011-01-01") + pd.to_timedelta(np.arange(30_000) * 7, "min")
    base = base[base.day <= 12]
    text = list(base.strftime("%d/%m/%Y %H:%M")) + ["13/01/2011 10:00"]
    assert infer_date_format(text) == "%d/%m/%Y %H:%M"


# --------------------------------------------------------------------- implausible dates


@pytest.mark.parametrize("value,implausible", [
    ("0001-01-01", True), ("1600-01-01", True), ("1677-09-21", True), ("1899-12-31", True),
    ("1900-01-01", False), ("2262-04-11", False), ("2262-04-12", True), ("2999-01-01", True),
])
def test_implausible_dates_are_flagged_never_wrapped(value, implausible):
    out = parse_dates(pd.Series(["2020-01-01", value]))
    assert out.implausible.tolist() == [False, implausible]
    if implausible:
        assert pd.isna(out.values.iloc[1])
    else:
        assert out.values.iloc[1] == pd.Timestamp(value)


def test_implausible_in_datetime_columns_of_any_unit_and_date_objects():
    secs = pd.Series(np.array(["0001-01-01", "2020-01-01"], dtype="datetime64[s]"))
    assert parse_dates(secs).implausible.tolist() == [True, False]
    objs = pd.Series([dt.date(1, 1, 1), dt.date(2020, 1, 1), dt.datetime(1850, 5, 1)], dtype=object)
    out = parse_dates(objs)
    assert out.implausible.tolist() == [True, False, True]
    assert out.values.iloc[1] == pd.Timestamp(2020, 1, 1)


def test_numbers_are_not_dates():
    out = parse_dates(pd.Series([20200101, 20200102]))
    assert out.unparseable.all() and out.values.isna().all()


def test_validate_counts_implausible_dates_and_strict_raises():
    log = pd.DataFrame({"customer_id": [1, 2, 3, 4, 5],
                        "date": ["2020-01-01", "0001-01-01", "1600-01-01", "soon", None]})
    res = validate_transactions(log, observation_end="2020-12-31")
    counts = res.report.set_index("check")["rows"].to_dict()
    assert counts == {"missing date": 1, "unparseable date": 1, "implausible date": 2}
    assert res.n_dropped == 4 and len(res.data) == 1
    with pytest.raises(CRMDataError, match=r"column 'date': implausible date: 2 rows"):
        validate_transactions(log.iloc[[0, 1, 2]], strict=True)


def test_problems_are_mutually_exclusive():
    values = pd.Series(["2020-01-01", "1600-01-01", "2021-06-01", "x", None])
    _, problems = check_dates(values, observation_end="2020-12-31")
    masks = pd.concat([m.rename(n) for n, m in problems], axis=1)
    assert masks.sum(axis=1).tolist() == [0, 1, 1, 1, 1]


def test_rfm_summary_refuses_implausible_dates():
    log = pd.DataFrame({"customer_id": [1, 2], "date": ["2020-01-01", "0001-01-01"]})
    with pytest.raises(CRMDataError, match=r"'date' has implausible dates .*: 1 row"):
        rfm_summary(log)


# --------------------------------------------------------------------- time zones


def test_offsets_converted_to_utc_naive_kept():
    out = parse_dates(pd.Series(["2011-01-05T10:00:00+02:00", "2011-01-05T10:00:00Z",
                                 "2011-01-05 10:00:00", "2011-01-05T10:00:00-0530"]))
    assert out.values.tolist() == [pd.Timestamp("2011-01-05 08:00"), pd.Timestamp("2011-01-05 10:00"),
                                   pd.Timestamp("2011-01-05 10:00"), pd.Timestamp("2011-01-05 15:30")]


def test_offsets_converted_to_tz_naive_kept():
    out = parse_dates(pd.Series(["2011-07-05T10:00:00+02:00", "2011-07-05 10:00:00"]),
                      tz="Europe/London")
    # 08:00 UTC is 09:00 British Summer Time; the naive value is left alone.
    assert out.values.tolist() == [pd.Timestamp("2011-07-05 09:00"), pd.Timestamp("2011-07-05 10:00")]


def test_aware_column_to_utc_or_tz():
    aware = pd.Series(pd.to_datetime(["2020-01-01 20:00"]).tz_localize("America/New_York"))
    assert parse_dates(aware).values.iloc[0] == pd.Timestamp("2020-01-02 01:00")
    assert parse_dates(aware, tz="Asia/Tokyo").values.iloc[0] == pd.Timestamp("2020-01-02 10:00")


def test_validate_transactions_with_offsets_does_not_crash():
    log = pd.DataFrame({"customer_id": [1, 1], "date": ["2011-01-05T10:00:00+02:00",
                                                        "2011-01-06T10:00:00-05:00"]})
    clean = validate_transactions(log, observation_end="2012-01-01").data
    assert clean["date"].tolist() == [pd.Timestamp("2011-01-05 08:00"), pd.Timestamp("2011-01-06 15:00")]


def test_unknown_tz():
    with pytest.raises(CRMDataError, match="unknown time zone tz='Mars/Olympus'"):
        parse_dates(pd.Series(["2020-01-01"]), tz="Mars/Olympus")


# --------------------------------------------------------------------- whole-day cut-offs


@pytest.mark.parametrize("value,expected", [
    ("2011-12-09", pd.Timestamp("2011-12-09 23:59:59.999999999")),
    (dt.date(2011, 12, 9), pd.Timestamp("2011-12-09 23:59:59.999999999")),
    ("2011-12-09 10:00", pd.Timestamp("2011-12-09 10:00")),
    (pd.Timestamp("2011-12-09"), pd.Timestamp("2011-12-09")),
    ("2011-12-09T10:00:00+01:00", pd.Timestamp("2011-12-09 09:00")),
])
def test_parse_cutoff(value, expected):
    assert parse_cutoff(value, "observation_end") == expected


@pytest.mark.parametrize("value,message", [("soon", "is not a date"), ("0001-01-01", "is an implausible date")])
def test_parse_cutoff_errors(value, message):
    with pytest.raises(CRMDataError, match=f"calibration_end='{value}' {message}"):
        parse_cutoff(value, "calibration_end")


@pytest.fixture(scope="module")
def stamped():
    # 40 customers with minute-stamped purchases; several on the two cut-off days.
    rng = np.random.default_rng(3)
    minutes = rng.integers(0, 120 * 24 * 60, 800)
    return pd.DataFrame({"customer_id": rng.integers(0, 40, 800),
                         "date": pd.Timestamp("2011-06-01") + pd.to_timedelta(minutes, "min"),
                         "amount": rng.gamma(2.0, 10.0, 800).round(2)})


def test_date_only_cutoffs_keep_whole_days_in_rfm_summary(stamped):
    cal, end = "2011-07-20", "2011-09-15"
    day = stamped["date"].dt.normalize()
    on_cal_day = (day == pd.Timestamp(cal)).sum()
    on_end_day = (day == pd.Timestamp(end)).sum()
    assert on_cal_day > 0 and on_end_day > 0
    got = rfm_summary(stamped, calibration_end=cal, observation_end=end)
    # Brute force by calendar day: repeat days in the holdout for calibration customers.
    cal_rows = stamped[day <= pd.Timestamp(cal)]
    hold = stamped[(day > pd.Timestamp(cal)) & (day <= pd.Timestamp(end))]
    expected = (hold.assign(d=hold["date"].dt.normalize()).groupby("customer_id")["d"].nunique()
                .reindex(sorted(cal_rows["customer_id"].unique()), fill_value=0))
    np.testing.assert_array_equal(got["frequency_holdout"], expected.to_numpy(dtype=float))
    assert got["duration_holdout"].iloc[0] == (pd.Timestamp(end) - pd.Timestamp(cal)).days
    # Hourly periods: T runs to the last hour of the cut-off day.
    hourly = rfm_summary(stamped, freq="h", observation_end=end)
    first = stamped.groupby("customer_id")["date"].min().dt.floor("h")
    np.testing.assert_array_equal(
        hourly["T"], ((pd.Timestamp(end) + pd.Timedelta(hours=23) - first) / pd.Timedelta(hours=1)))


def test_validate_keeps_the_whole_end_day_and_an_instant_is_exact(stamped):
    end_day = stamped["date"].dt.normalize().max()
    last_rows = (stamped["date"].dt.normalize() == end_day).sum()
    res = validate_transactions(stamped, observation_end=str(end_day.date()))
    assert res.n_dropped == 0
    noon = end_day + pd.Timedelta(hours=12)
    res = validate_transactions(stamped, observation_end=noon)
    assert res.n_dropped == (stamped["date"] > noon).sum() < last_rows


# --------------------------------------------------------------------- real data


def test_cdnow_written_day_first_gives_the_same_summary():
    cdnow = crm.load_cdnow()
    text = cdnow.assign(date=cdnow["date"].dt.strftime("%d/%m/%Y"))
    kw = dict(amount="amount", freq="D", freq_multiplier=7, calibration_end="1997-09-30",
              observation_end="1998-06-30")
    pd.testing.assert_frame_equal(rfm_summary(text, **kw), rfm_summary(cdnow, **kw))
