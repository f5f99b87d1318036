"""The shared input checks in crm_analysis._checks."""

import numpy as np
import pandas as pd
import pytest

from crm_analysis._checks import (
    as_series,
    binary_column,
    numeric_column,
    require_columns,
    require_frame,
    require_names,
)
from crm_analysis.errors import CRMDataError


@pytest.fixture
def frame():
    return pd.DataFrame({"id": ["a", "b", "c", "d"], "spend": [1.0, 2.0, 3.0, 4.0],
                         "churn": [0, 1, 1, 0]})


# --- require_frame ------------------------------------------------------------------------

@pytest.mark.parametrize("bad,kind", [([1, 2], "list"), (pd.Series([1.0]), "Series"),
                                      (None, "NoneType"), ({"a": [1]}, "dict")])
def test_require_frame_names_the_type_and_the_function(bad, kind):
    with pytest.raises(CRMDataError, match=rf"^f: expects a pandas DataFrame, got {kind}\.$"):
        require_frame(bad, "f")


@pytest.mark.parametrize("kwargs, match", [
    ({}, r"^f: the data are empty \(0 rows\)\.$"),
    ({"empty": "the log is empty"}, r"^f: the log is empty \(0 rows\)\.$"),
], ids=["default-wording", "own-wording"])
def test_require_frame_empty(frame, kwargs, match):
    with pytest.raises(CRMDataError, match=match):
        require_frame(frame.iloc[:0], "f", **kwargs)


def test_require_frame_empty_allowed(frame):
    assert require_frame(frame.iloc[:0], "f", allow_empty=True) is None
    assert require_frame(frame, "f") is None


def test_crm_data_error_is_a_value_error(frame):
    with pytest.raises(ValueError):
        require_frame(frame.iloc[:0], "f")


# --- require_columns ----------------------------------------------------------------------

def test_require_columns_mapping_names_role_and_column(frame):
    with pytest.raises(CRMDataError) as err:
        require_columns(frame, {"customer_id": "id", "date": "when", "amount": "value"}, "f")
    msg = str(err.value)
    assert msg.startswith("f: column(s) not found: date='when', amount='value' ")
    assert "customer_id" not in msg.split("(")[0]  # only the missing ones are listed
    assert "not in data, whose columns are ['id', 'spend', 'churn']" in msg


def test_require_columns_list_and_none_skipped(frame):
    require_columns(frame, ["id", None, "spend"], "f")  # None: optional column not used
    require_columns(frame, {"amount": None}, "f")
    with pytest.raises(CRMDataError, match=r"not found: 'visits' \(not in scores, "):
        require_columns(frame, ["id", "visits", "visits"], "f", frame="scores")


def test_require_columns_hint(frame):
    hint = "Pass the output of rfm_summary(..., calibration_end=...)."
    with pytest.raises(CRMDataError) as err:
        require_columns(frame, {"holdout": "frequency_holdout"}, "f", frame="summary", hint=hint)
    assert str(err.value) == ("f: column(s) not found: holdout='frequency_holdout' (not in summary, "
                              "whose columns are ['id', 'spend', 'churn']). " + hint)
    require_columns(frame, {"spend": "spend"}, "f", hint=hint)  # nothing missing: no error


def test_require_columns_lists_at_most_twenty_available():
    wide = pd.DataFrame(np.zeros((1, 30)), columns=[f"c{i}" for i in range(30)])
    with pytest.raises(CRMDataError) as err:
        require_columns(wide, ["nope"], "f")
    assert "'c19'" in str(err.value) and "'c20'" not in str(err.value)


# --- numeric_column -----------------------------------------------------------------------

def test_numeric_column_converts_strings_and_bools(frame):
    d = frame.assign(spend=["1.5", "2", "3", "4"], flag=[True, False, True, True])
    out = numeric_column(d, "spend", "f")
    assert out.dtype == float and out.tolist() == [1.5, 2.0, 3.0, 4.0]
    assert out.index.equals(d.index)
    assert numeric_column(d, "flag", "f").tolist() == [1.0, 0.0, 1.0, 1.0]
    assert d["spend"].tolist() == ["1.5", "2", "3", "4"]  # caller's frame untouched


def test_numeric_column_shows_offending_rows(frame):
    d = frame.assign(spend=[1.0, "lots", 3.0, "many"])
    with pytest.raises(CRMDataError) as err:
        numeric_column(d, "spend", "f", shown=["id"])
    msg = str(err.value)
    assert msg.startswith("f: column 'spend' has missing or non-numeric values: 2 rows, e.g.:")
    table = msg.split("\n", 1)[1]
    assert "lots" in table and "many" in table and " b " in table and " d " in table
    assert " a " not in table and "churn" not in table  # only the bad rows, only shown columns


def test_numeric_column_missing_kept(frame):
    d = frame.assign(spend=[1.0, np.nan, 3.0, 4.0])
    kept = numeric_column(d, "spend", "f", missing="keep")
    assert kept.isna().tolist() == [False, True, False, False]


@pytest.mark.parametrize("spend, kwargs, error, match", [
    ([1.0, np.nan, 3.0, 4.0], {}, CRMDataError, r"'spend' has missing values: 1 row, e\.g\.:\n"),
    ([1.0, np.nan, "x", 4.0], {"missing": "keep"}, CRMDataError,
     r"'spend' has non-numeric values: 1 row"),
    ([1.0, np.nan, 3.0, 4.0], {"missing": "drop"}, ValueError, "missing must be"),
], ids=["missing", "non-numeric-with-missing-kept", "unknown-missing-option"])
def test_numeric_column_missing_only(frame, spend, kwargs, error, match):
    with pytest.raises(error, match=match):
        numeric_column(frame.assign(spend=spend), "spend", "f", **kwargs)


@pytest.mark.parametrize("spend, match", [
    ([1.0, np.nan, 3.0, 4.0], r"^f: column 'spend' has missing or non-numeric values: 1 row, e\.g\.:\n"),
    # the wording is the only difference: which rows, and what passes, stay the same
    ([1.0, np.nan, "x", 4.0], r"'spend' has missing or non-numeric values: 2 rows"),
], ids=["missing", "missing-and-non-numeric"])
def test_numeric_column_generic_wording(frame, spend, match):
    with pytest.raises(CRMDataError, match=match):
        numeric_column(frame.assign(spend=spend), "spend", "f", specific=False)


def test_numeric_column_generic_wording_passes_the_same(frame):
    ok = frame.assign(spend=["1", "2", "3", "4"])
    assert numeric_column(ok, "spend", "f", specific=False).equals(numeric_column(ok, "spend", "f"))


def test_numeric_column_infinite(frame):
    d = frame.assign(spend=[1.0, np.inf, 3.0, -np.inf])
    with pytest.raises(CRMDataError, match="2 rows"):
        numeric_column(d, "spend", "f")
    assert np.isinf(numeric_column(d, "spend", "f", finite=False)).sum() == 2


# --- as_series ----------------------------------------------------------------------------

def test_as_series_accepts_list_array_series_and_one_column_frame():
    assert as_series([1, 2], "v", "f").tolist() == [1.0, 2.0]
    assert as_series(np.array([3, 4]), "v", "f").name == "v"
    s = pd.Series([5, 6], index=["x", "y"], name="profit")
    out = as_series(s, "v", "f")
    assert out.name == "profit" and out.index.tolist() == ["x", "y"] and out.dtype == float
    assert as_series(s.to_frame(), "v", "f").tolist() == [5.0, 6.0]


@pytest.mark.parametrize("values, match", [
    (pd.DataFrame({"a": [1], "b": [2]}), r"pass one column .*\['a', 'b'\]"),
    ([], r"^f: no values \(0 customers\)\.$"),
    ([1.0, np.nan, "x"], r"column 'v' has missing or non-numeric values: 2 rows"),
], ids=["two-columns", "empty", "missing-and-non-numeric"])
def test_as_series_errors(values, match):
    with pytest.raises(CRMDataError, match=match):
        as_series(values, "v", "f")


# --- binary_column ------------------------------------------------------------------------

def test_binary_column_accepts_0_1_and_bools(frame):
    assert binary_column(frame, "churn", "f").tolist() == [0.0, 1.0, 1.0, 0.0]
    d = frame.assign(churn=[True, False, True, False])
    assert binary_column(d, "churn", "f").tolist() == [1.0, 0.0, 1.0, 0.0]


def test_binary_column_messages_and_rows(frame):
    d = frame.assign(churn=[0, 2, 1, 0])
    with pytest.raises(CRMDataError) as err:
        binary_column(d, "churn", "f", allowed="0 (censored) or 1 (left)", shown=["id"])
    msg = str(err.value)
    assert msg.startswith("f: column 'churn' must be 0 (censored) or 1 (left); other values: 1 row")
    assert " b " in msg and " a " not in msg


def test_binary_column_non_numeric(frame):
    with pytest.raises(CRMDataError, match=r"'churn': event must be 0 or 1; non-numeric values"):
        binary_column(frame.assign(churn=["no", 1, 0, 1]), "churn", "f", what="event")


def test_binary_column_missing(frame):
    d = frame.assign(churn=[0, np.nan, 1, 0])
    with pytest.raises(CRMDataError, match="missing values: 1 row"):
        binary_column(d, "churn", "f")
    kept = binary_column(d, "churn", "f", missing="keep")
    assert kept.isna().sum() == 1 and kept.sum() == 1.0


def test_binary_column_other_values_with_missing_kept(frame):
    with pytest.raises(CRMDataError, match="flag must be 0/1 or True/False; other values"):
        binary_column(frame.assign(churn=[0, np.nan, 3, 0]), "churn", "f", what="flag",
                      allowed="0/1 or True/False", missing="keep")


@pytest.mark.parametrize("names", [[], (), iter([])], ids=["list", "tuple", "iterator"])
def test_require_names_empty(names):
    with pytest.raises(CRMDataError, match=r"^f: give at least one covariate\.$"):
        require_names(names, "f", "covariate")


def test_require_names_reads_an_iterable_once_into_a_list():
    assert require_names((c for c in ["age", "plan"]), "f", "covariate") == ["age", "plan"]
