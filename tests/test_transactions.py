"""rfm_summary against lifetimes (the reference) and validate_transactions' checks."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifetimes.utils import calibration_and_holdout_data, summary_data_from_transaction_data

from crm_analysis import (
    CRMDataError,
    load_cdnow_summary,
    period_totals,
    rfm_summary,
    validate_transactions,
)

UNITS = [("D", 1), ("W", 1), ("D", 7), ("h", 24)]


@pytest.mark.parametrize("freq,mult", UNITS)
def test_rfm_summary_equals_lifetimes_on_cdnow(cdnow, freq, mult):
    ours = rfm_summary(cdnow, amount="amount", freq=freq, freq_multiplier=mult)
    ref = summary_data_from_transaction_data(
        cdnow, "customer_id", "date", "amount", freq=freq, freq_multiplier=mult
    )
    pd.testing.assert_frame_equal(ours, ref, check_names=False)


def _end_of_day(day: str) -> pd.Timestamp:
    return pd.Timestamp(day) + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")


@pytest.mark.parametrize("freq,mult", UNITS)
def test_rfm_holdout_equals_lifetimes_on_cdnow(cdnow, freq, mult):
    ours = rfm_summary(cdnow, amount="amount", freq=freq, freq_multiplier=mult,
                       calibration_end="1997-09-30", observation_end="1998-06-30")
    # lifetimes needs a monetary column under pandas 3 (it fails without one).
    # A date-only cut-off means the whole day: lifetimes gets that instant.
    ref = calibration_and_holdout_data(
        cdnow, "customer_id", "date", _end_of_day("1997-09-30"), _end_of_day("1998-06-30"),
        freq=freq, freq_multiplier=mult, monetary_value_col="amount",
    )
    pd.testing.assert_frame_equal(ours, ref[ours.columns], check_names=False)


def test_without_amount_has_no_monetary_column(cdnow):
    ours = rfm_summary(cdnow, freq="W")
    ref = summary_data_from_transaction_data(cdnow, "customer_id", "date", freq="W")
    assert list(ours.columns) == ["frequency", "recency", "T"]
    pd.testing.assert_frame_equal(ours, ref, check_names=False)


def test_continuous_weeks_reproduce_published_cdnow_summary(cdnow):
    ours = rfm_summary(cdnow, amount="amount", freq="D", freq_multiplier=7,
                       calibration_end="1997-09-30", observation_end="1998-06-30")
    pub = load_cdnow_summary()
    assert (ours.index == pub.index).all()
    np.testing.assert_array_equal(ours["frequency_cal"], pub["frequency"])
    np.testing.assert_allclose(ours["recency_cal"], pub["recency"], atol=0.005)
    np.testing.assert_allclose(ours["T_cal"], pub["T"], atol=0.005)
    np.testing.assert_allclose(ours["monetary_value_cal"], pub["monetary_value"], atol=0.0051)
    # Published holdout: 1,882 repeat transactions in weeks 40-78.
    assert ours["frequency_holdout"].sum() == 1882
    assert ours["duration_holdout"].iloc[0] == pytest.approx(39.0)


def test_include_first_transaction_matches_lifetimes(cdnow):
    ours = rfm_summary(cdnow, amount="amount", include_first_transaction=True)
    ref = summary_data_from_transaction_data(cdnow, "customer_id", "date", "amount",
                                             include_first_transaction=True)
    pd.testing.assert_frame_equal(ours, ref, check_names=False)


def test_holdout_monetary_periods_matches_calibration_definition():
    # Customer 1: two rows on one holdout day (10 + 30) and one on another (20):
    # per-period mean (40 + 20) / 2 = 30, raw-row mean (10 + 30 + 20) / 3 = 20.
    log = pd.DataFrame({"customer_id": [1, 1, 1, 1, 2, 2],
                        "amount": [5.0, 10.0, 30.0, 20.0, 7.0, 9.0],
                        "date": pd.to_datetime(["2020-01-01", "2020-02-03", "2020-02-03",
                                                "2020-02-10", "2020-01-02", "2020-02-04"])})
    kw = {"amount": "amount", "calibration_end": "2020-01-31", "observation_end": "2020-02-29"}
    rows = rfm_summary(log, **kw)
    periods = rfm_summary(log, **kw, holdout_monetary="periods")
    assert rows["monetary_value_holdout"].tolist() == [20.0, 9.0]
    assert periods["monetary_value_holdout"].tolist() == [30.0, 9.0]
    pd.testing.assert_frame_equal(rows.drop(columns="monetary_value_holdout"),
                                  periods.drop(columns="monetary_value_holdout"))
    # The calibration column applies the same per-period definition to the same purchases.
    early = log[log["customer_id"] == 1].assign(date=pd.to_datetime(
        ["2020-01-01", "2020-01-03", "2020-01-03", "2020-01-10"]))
    cal_only = rfm_summary(early, amount="amount", observation_end="2020-01-31")
    assert cal_only.loc[1, "monetary_value"] == periods.loc[1, "monetary_value_holdout"]


@pytest.mark.parametrize("bad", ["rows", "", None])
def test_holdout_monetary_unknown(bad):
    with pytest.raises(CRMDataError, match="holdout_monetary"):
        rfm_summary(_log(), calibration_end="2020-01-05", holdout_monetary=bad)


def test_monthly_periods_count_calendar_months():
    log = pd.DataFrame({"customer_id": [1, 1, 1], "amount": [1.0, 2.0, 3.0],
                        "date": pd.to_datetime(["2020-01-31", "2020-02-01", "2020-02-20"])})
    out = rfm_summary(log, amount="amount", freq="M", observation_end="2020-05-15")
    assert out.loc[1].tolist() == [1.0, 1.0, 4.0, 5.0]


def test_does_not_mutate_input(cdnow):
    before = cdnow.copy()
    rfm_summary(cdnow, amount="amount", calibration_end="1997-09-30")
    validate_transactions(cdnow, amount="amount")
    pd.testing.assert_frame_equal(cdnow, before)


logs = st.lists(
    st.tuples(
        st.integers(0, 6),                       # customer
        st.integers(0, 120),                     # day offset
        st.integers(0, 23),                      # hour
        st.floats(0.0, 500.0, allow_nan=False),  # amount
    ),
    min_size=1, max_size=60,
)


@settings(max_examples=40, deadline=None)
@given(rows=logs, freq=st.sampled_from(["D", "W", "h"]), mult=st.sampled_from([1, 7]))
def test_property_equals_lifetimes_on_random_logs(rows, freq, mult):
    log = pd.DataFrame(rows, columns=["customer_id", "day", "hour", "amount"])
    log["date"] = (pd.Timestamp("2021-03-01") + pd.to_timedelta(log["day"], "D")
                   + pd.to_timedelta(log["hour"], "h"))
    log = log.sample(frac=1, random_state=0)  # unsorted on purpose
    ours = rfm_summary(log, amount="amount", freq=freq, freq_multiplier=mult)
    ref = summary_data_from_transaction_data(log, "customer_id", "date", "amount",
                                             freq=freq, freq_multiplier=mult)
    pd.testing.assert_frame_equal(ours, ref, check_names=False, rtol=1e-9)
    assert (ours["recency"] <= ours["T"]).all()
    assert (ours["frequency"] >= 0).all()


@settings(max_examples=40, deadline=None)
@given(rows=logs, cut=st.integers(10, 100))
def test_property_holdout_equals_lifetimes(rows, cut):
    log = pd.DataFrame(rows, columns=["customer_id", "day", "hour", "amount"])
    log["date"] = pd.Timestamp("2021-03-01") + pd.to_timedelta(log["day"], "D")
    cal_end = pd.Timestamp("2021-03-01") + pd.Timedelta(days=cut)
    if not ((log["date"] <= cal_end).any() and (log["date"] > cal_end).any()):
        with pytest.raises(CRMDataError):
            rfm_summary(log, amount="amount", calibration_end=cal_end,
                        observation_end="2021-07-01")
        return
    ours = rfm_summary(log, amount="amount", calibration_end=cal_end, observation_end="2021-07-01")
    ref = calibration_and_holdout_data(log, "customer_id", "date", cal_end, "2021-07-01",
                                       monetary_value_col="amount")
    pd.testing.assert_frame_equal(ours, ref[ours.columns], check_names=False, check_dtype=False, rtol=1e-9)


# --- bad input -------------------------------------------------------------------------

def _log(**over):
    base = {"customer_id": [1, 2, 3], "date": ["2020-01-01", "2020-01-02", "2020-01-03"],
            "amount": [1.0, 2.0, 3.0]}
    base.update(over)
    return pd.DataFrame(base)


@pytest.mark.parametrize(
    "func, kwargs, message",
    [(rfm_summary, {"amount": "spend"}, "rfm_summary: .*amount='spend'"),
     (validate_transactions, {"date": "when"}, "validate_transactions: .*date='when'")],
    ids=["rfm_summary", "validate_transactions"],
)
def test_missing_column_is_named(func, kwargs, message):
    with pytest.raises(CRMDataError, match=message):
        func(_log(), **kwargs)


@pytest.mark.parametrize("func", [rfm_summary, validate_transactions],
                         ids=["rfm_summary", "validate_transactions"])
def test_empty_frame(func):
    with pytest.raises(CRMDataError, match="empty"):
        func(_log().iloc[:0])


def test_non_date_strings():
    bad = _log(date=["2020-01-01", "yesterday", "2020-01-03"])
    clean, report = validate_transactions(bad)
    assert len(clean) == 2
    assert report.set_index("check").loc["unparseable date", "rows"] == 1


@pytest.mark.parametrize("call, match", [
    (rfm_summary, "'date'.*non-date"),
    (lambda d: validate_transactions(d, strict=True), "yesterday"),
], ids=["rfm-summary", "validate-strict"])
def test_non_date_strings_refused(call, match):
    with pytest.raises(CRMDataError, match=match):
        call(_log(date=["2020-01-01", "yesterday", "2020-01-03"]))


def test_all_dates_unparseable_raises():
    with pytest.raises(CRMDataError, match="no value could be read as a date"):
        validate_transactions(_log(date=["a", "b", "c"]))


def test_nan_ids():
    bad = _log(customer_id=[1, None, 3])
    with pytest.raises(CRMDataError, match="missing ids"):
        rfm_summary(bad)
    clean, report = validate_transactions(bad)
    assert report["check"].tolist() == ["missing customer id"]
    assert clean["customer_id"].notna().all() and len(clean) == 2


def test_negative_and_zero_amounts():
    bad = _log(amount=[-5.0, 0.0, 3.0])
    with pytest.raises(CRMDataError, match="negative amounts"):
        rfm_summary(bad, amount="amount")
    # Customer 1's return has no purchase in the log to net against.
    res = validate_transactions(bad, amount="amount")
    rep = res.report.set_index("check")
    assert rep.loc["return of a purchase before the window", "action"] == "dropped"
    assert res.amount_not_netted == 5.0 and res.amount_netted == 0.0
    assert rep.loc["zero amount", "action"] == "kept"
    assert len(res.data) == 2 and res.n_dropped == 1
    res = validate_transactions(bad, amount="amount", returns="drop")
    assert res.report.set_index("check").loc["negative amount (return or refund)", "rows"] == 1
    dropped = validate_transactions(bad, amount="amount", zero_amounts="drop")
    assert len(dropped.data) == 1


def test_non_numeric_amount():
    res = validate_transactions(_log(amount=["1.0", "abc", 3.0]), amount="amount")
    assert res.report["check"].tolist() == ["non-numeric amount"]
    assert res.data["amount"].tolist() == [1.0, 3.0]


def test_future_and_late_dates():
    future = _log(date=["2020-01-01", "2199-01-01", "2020-01-03"])
    res = validate_transactions(future)
    assert res.report["check"].tolist() == ["date in the future"]
    res = validate_transactions(_log(), observation_end="2020-01-02")
    assert res.report["check"].tolist() == ["date after observation end"]
    assert len(res.data) == 2  # the end day itself is kept


def test_duplicates_reported_and_optionally_dropped():
    dup = pd.concat([_log(), _log().iloc[[0]]], ignore_index=True)
    res = validate_transactions(dup, amount="amount")
    assert res.report.set_index("check").loc["exact duplicate row", "rows"] == 1
    assert len(res.data) == 4
    assert len(validate_transactions(dup, duplicates="drop").data) == 3


def test_report_summary_counts_every_drop():
    bad = _log(customer_id=[1, None, 3], amount=[-1.0, 2.0, 3.0])
    res = validate_transactions(bad, amount="amount")
    assert res.report["rows"].sum() == res.n_dropped == 2
    assert "2 dropped" in res.summary()


@pytest.mark.parametrize(
    "calibration_end, message",
    [("2020-01-05", "rfm_summary: .*holdout"), ("2020-03-01", "rfm_summary: .*before observation_end")],
    ids=["empty-holdout", "calibration-after-observation"],
)
def test_holdout_errors(calibration_end, message):
    with pytest.raises(CRMDataError, match=message):
        rfm_summary(_log(), calibration_end=calibration_end, observation_end="2020-02-01")


def test_bad_freq():
    with pytest.raises(CRMDataError, match="freq"):
        rfm_summary(_log(), freq="Q")


def test_period_totals_sums_match_log(cdnow):
    weekly = period_totals(cdnow, amount="amount", customer_id="customer_id", freq="W")
    assert weekly["amount"].sum() == pytest.approx(cdnow["amount"].sum())
    assert weekly["transactions"].sum() == len(cdnow)
    assert (weekly["period"].dt.day_of_week == 0).all()  # weeks start on Monday
