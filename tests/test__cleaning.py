"""validate_transactions on invoice-line exports: quantity x price, returns, non-product lines,
amounts written as text, and a cleaning report whose counts add up.

Expected values are computed by hand from the few lines of each log (or by a
brute-force loop over the lines), never copied from the function's output.
"""

import numpy as np
import pandas as pd
import pytest

from crm_analysis import VALIDATION_CHECKS, CRMDataError, validate_transactions


def _lines(**over):
    """Invoice lines of two customers; customer 1 returns part of the second purchase."""
    base = {
        "invoice": ["1001", "1001", "1002", "C1003", "1004", "1005"],
        "customer": [1, 1, 1, 1, 2, 2],
        "stock": ["A", "POST", "A", "A", "B", "B"],
        "when": ["2020-01-01 10:00", "2020-01-01 10:00", "2020-01-05 09:30",
                 "2020-01-06 12:00", "2020-01-02 08:00", "2020-01-09 17:45"],
        "qty": [2, 1, 4, -3, 10, 1],
        "price": [5.0, 7.5, 5.0, 5.0, 1.25, 1.25],
    }
    base.update(over)
    return pd.DataFrame(base)


LINE_OPTS = {"customer_id": "customer", "date": "when", "quantity": "qty", "price": "price",
             "observation_end": "2020-01-31"}
RETURN_OPTS = {**LINE_OPTS, "order_id": "invoice", "cancel_prefix": "C", "item": "stock"}


def _report(res):
    return res.report.set_index("check")


# --- amount = quantity x price -------------------------------------------------------------

def test_amount_is_quantity_times_price():
    res = validate_transactions(_lines(qty=[2, 1, 4, 3, 10, 1]), **LINE_OPTS)
    assert res.data["amount"].tolist() == [10.0, 7.5, 20.0, 15.0, 12.5, 1.25]
    assert res.report.empty and res.n_dropped == 0


def test_amount_names_the_computed_column():
    res = validate_transactions(_lines(qty=[2, 1, 4, 3, 10, 1]), **LINE_OPTS, amount="revenue")
    assert res.data["revenue"].sum() == pytest.approx(10 + 7.5 + 20 + 15 + 12.5 + 1.25)


def test_unit_price_as_amount_is_pointed_out():
    log = _lines(qty=[2, 1, 4, 3, 10, 1])
    res = validate_transactions(log, customer_id="customer", date="when", amount="price",
                                observation_end="2020-01-31")
    assert res.notes and "quantity='qty', price='price'" in res.notes[0]
    assert "Note: column 'price' looks like a unit price" in res.summary()
    assert not validate_transactions(log, **LINE_OPTS).notes


def test_callers_frame_is_unchanged():
    log = _lines(price=["£5.00", "£7.50", "£5.00", "£5.00", "£1.25", "£1.25"])
    before = log.copy()
    validate_transactions(log, **RETURN_OPTS, currency="£", exclude_items="POST")
    pd.testing.assert_frame_equal(log, before)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        pytest.param({"quantity": "qty"}, "quantity= and price= go together", id="quantity-alone"),
        pytest.param({"price": "price"}, "quantity= and price= go together", id="price-alone"),
        pytest.param({"quantity": "qty", "price": "price", "amount": "qty"}, "already exists",
                     id="amount-column-exists"),
        pytest.param({"quantity": "units", "price": "price"}, "quantity='units'", id="missing-column"),
        pytest.param({"amount": "price", "order_id": "invoice"}, "order_id= and cancel_prefix=",
                     id="order-id-alone"),
        pytest.param({"amount": "price", "cancel_prefix": "C"}, "order_id= and cancel_prefix=",
                     id="prefix-alone"),
        pytest.param({"amount": "price", "order_id": "invoice", "cancel_prefix": ""},
                     "must not be empty", id="empty-prefix"),
        pytest.param({"amount": "price", "exclude_items": "POST"}, "needs item=",
                     id="exclude-without-item"),
        pytest.param({"amount": "price", "item": "stock", "exclude_items": "(POST"},
                     "not a regular expression", id="bad-regex"),
        pytest.param({"order_id": "invoice", "cancel_prefix": "C"}, "act on amounts",
                     id="order-id-without-amount"),
        pytest.param({"amount": "price", "returns": "keep"}, "returns must be one of",
                     id="bad-returns"),
        pytest.param({"amount": "price", "thousands": ".", "decimal": "."}, "must differ",
                     id="same-separators"),
    ],
)
def test_inconsistent_options_raise(kwargs, message):
    with pytest.raises(CRMDataError, match=message):
        validate_transactions(_lines(), customer_id="customer", date="when", **kwargs)


# --- returns and cancellations -------------------------------------------------------------

def test_return_is_netted_against_the_latest_earlier_purchase_of_the_item():
    res = validate_transactions(_lines(), **RETURN_OPTS)
    clean = res.data
    # 3 of the 4 units bought on 2020-01-05 come back; the 2020-01-01 line is untouched.
    line = clean.loc[2]
    assert line["amount"] == 5.0 and line["qty"] == 1.0
    assert clean.loc[0, "amount"] == 10.0
    assert res.amount_netted == 15.0 and res.amount_not_netted == 0.0
    rep = _report(res)
    assert rep.loc["return netted against the customer's purchases", "rows"] == 1
    assert rep.loc["purchase partly returned (amount reduced)", "action"] == "kept"
    assert 3 not in clean.index


def test_net_revenue_per_customer_equals_purchases_minus_returns():
    log = _lines()
    res = validate_transactions(log, **RETURN_OPTS)
    gross = (log["qty"] * log["price"]).groupby(log["customer"]).sum()  # returns are negative lines
    assert res.data.groupby("customer")["amount"].sum().to_dict() == pytest.approx(gross.to_dict())


def test_fully_cancelled_customer_disappears():
    log = pd.DataFrame({
        "invoice": ["1", "C2", "3", "C4", "5"],
        "customer": [7, 7, 7, 7, 8],
        "stock": ["A", "A", "B", "B", "A"],
        "when": ["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-03", "2020-01-04"],
        "qty": [3, -3, 1, -1, 2],
        "price": [4.0, 4.0, 9.99, 9.99, 4.0],
    })
    res = validate_transactions(log, **RETURN_OPTS)
    assert res.data["customer"].tolist() == [8]
    rep = _report(res)
    assert rep.loc["return netted against the customer's purchases", "rows"] == 2
    assert rep.loc["purchase fully returned", "rows"] == 2
    assert res.amount_netted == pytest.approx(12.0 + 9.99)


def test_return_before_the_window_is_counted_separately():
    # Customer 9 returns an item bought before the log starts; customer 1 returns
    # 8 units of item A in all while the log shows 6 bought.
    log = pd.concat([_lines(), pd.DataFrame({
        "invoice": ["C2000", "C2001"], "customer": [9, 1], "stock": ["Z", "A"],
        "when": ["2020-01-03", "2020-01-20"], "qty": [-2, -5], "price": [3.0, 5.0]})],
        ignore_index=True)
    res = validate_transactions(log, **RETURN_OPTS)
    rep = _report(res)
    assert rep.loc["return of a purchase before the window", "rows"] == 1
    assert rep.loc["return of a purchase before the window", "examples"] == [6]
    # Customer 1 bought 6 units of A (30.0); returns of 3 and 5 units (40.0): 30 netted, 10 not.
    assert res.amount_netted == pytest.approx(30.0)
    assert res.amount_not_netted == pytest.approx(6.0 + 10.0)
    assert set(res.data.loc[res.data["customer"] == 1, "stock"]) == {"POST"}
    assert "found no purchase in the log" in res.summary()


def test_return_never_nets_a_later_purchase():
    log = _lines(when=["2020-01-01 10:00", "2020-01-01 10:00", "2020-01-07 09:30",
                       "2020-01-06 12:00", "2020-01-02 08:00", "2020-01-09 17:45"])
    res = validate_transactions(log, **RETURN_OPTS)
    # Only the 2 units of 2020-01-01 precede the return of 3 units: 10.0 netted, 5.0 not.
    assert res.amount_netted == 10.0 and res.amount_not_netted == 5.0
    assert 0 not in res.data.index and res.data.loc[2, "amount"] == 20.0


def test_without_item_returns_net_against_any_purchase_of_the_customer():
    opts = {k: v for k, v in RETURN_OPTS.items() if k != "item"}
    res = validate_transactions(_lines(qty=[2, 1, 4, -6, 10, 1]), **opts)
    # 30.0 returned: the 20.0 line of 2020-01-05 goes, then 10.0 of the two 2020-01-01 lines
    # (7.5 postage line after the 10.0 line, as both carry the same minute: latest row first).
    assert res.amount_netted == 30.0
    assert res.data.loc[res.data["customer"] == 1, "amount"].sum() == pytest.approx(37.5 - 30.0)


def test_returns_drop_keeps_gross_purchases():
    res = validate_transactions(_lines(), **RETURN_OPTS, returns="drop")
    assert _report(res).loc["negative amount (return or refund)", "rows"] == 1
    assert res.data.loc[2, "amount"] == 20.0 and res.amount_netted == 0.0


@pytest.mark.parametrize(
    "row,qty,check",
    [
        pytest.param(3, 3, "cancellation with a non-negative amount", id="cancellation-positive"),
        pytest.param(4, -10, "negative amount not marked as a cancellation", id="negative-unmarked"),
    ],
)
def test_cancellation_sign_mismatch_is_dropped_and_counted(row, qty, check):
    quantities = [2, 1, 4, -3, 10, 1]
    quantities[row] = qty
    res = validate_transactions(_lines(qty=quantities), **RETURN_OPTS)
    assert _report(res).loc[check, "examples"] == [row]
    with pytest.raises(CRMDataError, match=check):
        validate_transactions(_lines(qty=quantities), **RETURN_OPTS, strict=True)


def test_strict_does_not_treat_returns_as_errors():
    res = validate_transactions(_lines(), **RETURN_OPTS, strict=True)
    assert res.amount_netted == 15.0


# --- non-product lines ---------------------------------------------------------------------

def test_excluded_items_without_amounts():
    res = validate_transactions(_lines(), customer_id="customer", date="when", item="stock",
                                exclude_items="POST", observation_end="2020-01-31")
    assert _report(res).loc["excluded item", "examples"] == [1] and res.n_dropped == 1


def test_excluded_items_are_counted_and_match_whole_codes():
    log = _lines(stock=["A", "POST", "A", "A", "POSTAGE-B", "B"])
    res = validate_transactions(log, **RETURN_OPTS, exclude_items="POST|M|BANK CHARGES")
    rep = _report(res)
    # "POSTAGE-B" does not match the whole expression; "A" does not match "M".
    assert rep.loc["excluded item", "rows"] == 1 and rep.loc["excluded item", "examples"] == [1]
    assert "POSTAGE-B" in set(res.data["stock"])


# --- amounts written as text -----------------------------------------------------------------

@pytest.mark.parametrize(
    "values,pattern,option",
    [
        pytest.param(["$5", "$12.50", "$3"], "currency symbol '\\$'", "currency='\\$'", id="dollar"),
        pytest.param(["£1,234.50", "£5.00", "£12.00"], "comma thousands separator",
                     "thousands=','", id="pound-thousands"),
        pytest.param(["1.234,50", "5,00", "12,00"], "decimal comma", "decimal=','",
                     id="european"),
        pytest.param(["1,234", "2,500", "3"], "comma thousands separator", "thousands=','",
                     id="ambiguous-comma"),
        pytest.param(["1 234,50", "5", "7"], "space thousands separator", "thousands=' '",
                     id="space-thousands"),
        pytest.param(["1.234.567", "5", "7"], "dot thousands separator", "thousands='.'",
                     id="dot-thousands"),
    ],
)
def test_formatted_amounts_stop_with_the_pattern_and_the_option(values, pattern, option):
    log = pd.DataFrame({"customer_id": [1, 2, 3], "date": ["2020-01-01"] * 3, "amount": values})
    with pytest.raises(CRMDataError) as err:
        validate_transactions(log, amount="amount", observation_end="2020-12-31")
    text = str(err.value)
    assert text.startswith("validate_transactions: column 'amount'")
    assert pd.Series([text]).str.contains(pattern).item()
    assert pd.Series([text]).str.contains(option).item()
    assert "--" in text  # the command-line spelling of the option


@pytest.mark.parametrize(
    "values,options,expected",
    [
        pytest.param(["$5", "$12.50", "$3"], {"currency": "$"}, [5.0, 12.5, 3.0], id="dollar"),
        pytest.param(["£1,234.50", "£5.00", "£12,000"], {"currency": "£", "thousands": ","},
                     [1234.5, 5.0, 12000.0], id="pound-thousands"),
        pytest.param(["1.234,50", "5,00", "1.000.000"], {"thousands": ".", "decimal": ","},
                     [1234.5, 5.0, 1e6], id="european"),
        pytest.param(["1 234,50", "5", "7,25"], {"thousands": " ", "decimal": ","},
                     [1234.5, 5.0, 7.25], id="space-thousands"),
    ],
)
def test_formatted_amounts_are_read_with_explicit_options(values, options, expected):
    log = pd.DataFrame({"customer_id": [1, 2, 3], "date": ["2020-01-01"] * 3, "amount": values})
    res = validate_transactions(log, amount="amount", observation_end="2020-12-31", **options)
    assert res.data["amount"].tolist() == expected and res.n_dropped == 0


@pytest.mark.parametrize(
    "value,options",
    [
        pytest.param("1,5", {"thousands": ","}, id="comma-not-grouping-by-three"),
        pytest.param("1.5", {"decimal": ","}, id="dot-in-decimal-comma-column"),
        pytest.param("12,34,567", {"thousands": ","}, id="irregular-groups"),
    ],
)
def test_values_that_break_the_declared_format_are_counted(value, options):
    log = pd.DataFrame({"customer_id": [1, 2], "date": ["2020-01-01"] * 2, "amount": ["7", value]})
    res = validate_transactions(log, amount="amount", observation_end="2020-12-31", **options)
    assert _report(res).loc["non-numeric amount", "examples"] == [1]
    assert res.data["amount"].tolist() == [7.0]


@pytest.mark.parametrize(
    "bad,check",
    [
        pytest.param(np.inf, "non-finite amount", id="float-inf"),
        pytest.param(-np.inf, "non-finite amount", id="float-minus-inf"),
        pytest.param("inf", "non-finite amount", id="text-inf"),
        pytest.param("1e400", "non-finite amount", id="text-1e400"),
        pytest.param(True, "boolean amount", id="python-bool"),
        pytest.param(np.False_, "boolean amount", id="numpy-bool"),
        pytest.param("abc", "non-numeric amount", id="text"),
        pytest.param(None, "missing amount", id="missing"),
    ],
)
def test_unusable_amounts_are_flagged_not_kept(bad, check):
    log = pd.DataFrame({"customer_id": [1, 2, 3], "date": ["2020-01-01"] * 3,
                        "amount": pd.Series([4.0, bad, 6.0], dtype=object)})
    res = validate_transactions(log, amount="amount", observation_end="2020-12-31")
    assert res.report[["check", "rows"]].values.tolist() == [[check, 1]]
    assert res.data["amount"].tolist() == [4.0, 6.0]


def test_boolean_column_is_flagged():
    log = pd.DataFrame({"customer_id": [1, 2], "date": ["2020-01-01"] * 2, "amount": [True, False]})
    res = validate_transactions(log, amount="amount", observation_end="2020-12-31", zero_amounts="drop")
    assert _report(res).loc["boolean amount", "rows"] == 2


def test_quantity_times_price_overflow_is_flagged():
    log = _lines(qty=[2, 1, 4, 3, 10, 1], price=[5.0, 7.5, 5.0, 1e308, 1.25, 1.25])
    res = validate_transactions(log, **LINE_OPTS)
    assert _report(res).loc["non-finite amount", "examples"] == [3]


# --- the cleaning report adds up -----------------------------------------------------------

def _messy():
    """Rows failing several checks at once; the first check in the order must win."""
    return pd.DataFrame({
        "invoice": ["1", "2", "C3", "4", "4", "5", "6", "C7", "8"],
        "customer": [None, 1, None, 2, 2, 3, 3, 4, 5],
        "stock": ["A", "POST", "A", "B", "B", "POST", "C", "D", "E"],
        "when": ["2020-01-01", "2020-01-02", "bad", "2020-01-03", "2020-01-03", "2020-01-04",
                 "2020-01-05", "2020-01-06", "2020-01-07"],
        "qty": [1, -1, -1, 2, 2, 0, 0, -1, "x"],
        "price": [1.0, 2.0, 3.0, 4.0, 4.0, 5.0, 6.0, 7.0, 8.0],
    })


def test_each_row_counts_under_its_first_reason_and_counts_add_up():
    res = validate_transactions(_messy(), **RETURN_OPTS, exclude_items="POST", duplicates="drop")
    dropped = res.report[res.report["action"] == "dropped"].set_index("check")["rows"].to_dict()
    # Row 0: no customer; row 2: no customer and a bad date -> missing customer id.
    # Row 8: non-numeric quantity.  Row 1: POST with a negative quantity -> excluded.
    # Row 5: POST with zero amount -> excluded.  Row 4: duplicate of row 3.
    # Row 7: a return with nothing to net.  Row 6: zero amount, kept.
    assert dropped == {
        "missing customer id": 2,
        "non-numeric quantity": 1,
        "excluded item": 2,
        "exact duplicate row": 1,
        "return of a purchase before the window": 1,
    }
    assert sum(dropped.values()) == res.n_dropped == 7
    kept = res.report[res.report["action"] == "kept"].set_index("check")["rows"].to_dict()
    assert kept == {"zero amount": 1}
    assert (res.data["amount"] == 0).sum() == 1


def test_report_follows_the_stated_order():
    res = validate_transactions(_messy(), **RETURN_OPTS, exclude_items="POST", duplicates="drop")
    for action in ("dropped", "kept"):
        checks = res.report.loc[res.report["action"] == action, "check"]
        generic = [c.replace("quantity", "{col}").replace("price", "{col}") for c in checks]
        positions = [VALIDATION_CHECKS.index(c) for c in generic]
        assert positions == sorted(positions)


def test_kept_flags_count_only_rows_still_in_the_data():
    # The duplicate pair is fully returned: no duplicate (and no zero amount) is left to flag.
    log = pd.DataFrame({"customer_id": [1, 1, 1, 2], "date": ["2020-01-01"] * 2 + ["2020-01-02"] * 2,
                        "amount": [5.0, 5.0, -10.0, 0.0]})
    res = validate_transactions(log, amount="amount", observation_end="2020-12-31")
    rep = _report(res)
    assert "exact duplicate row" not in rep.index
    assert rep.loc["purchase fully returned", "rows"] == 2
    assert rep.loc["zero amount", "rows"] == 1


def test_zero_amount_default_and_its_effect_are_stated():
    log = pd.DataFrame({"customer_id": [1, 1, 2], "date": ["2020-01-01", "2020-01-02", "2020-01-02"],
                        "amount": [0.0, 3.0, 0.0]})
    text = validate_transactions(log, amount="amount", observation_end="2020-12-31").summary()
    assert "Zero amounts: 2 rows kept (zero_amounts='keep', the default)" in text
    assert "purchase occasion" in text and "zero_amounts='drop'" in text
