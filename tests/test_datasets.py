"""Every loader works offline and returns the documented shape and types."""

import pandas as pd
import pytest

import crm_analysis as crm


def test_cdnow_sample_and_master():
    s = crm.load_cdnow()
    assert s.shape == (6919, 4) and s["customer_id"].nunique() == 2357
    assert list(s.columns) == ["customer_id", "date", "quantity", "amount"]
    assert pd.api.types.is_datetime64_any_dtype(s["date"])
    assert s["date"].min() == pd.Timestamp("1997-01-01")
    assert s["date"].max() <= pd.Timestamp("1998-06-30")
    m = crm.load_cdnow(sample=False)
    assert m.shape == (69659, 4) and m["customer_id"].nunique() == 23570


def test_cdnow_summary_and_donations():
    summ = crm.load_cdnow_summary()
    assert summ.shape == (2357, 4)
    assert list(summ.columns) == ["frequency", "recency", "T", "monetary_value"]
    don = crm.load_donations()
    assert don["weights"].sum() == 11104 and len(don) == 22


def test_complete_journey_tables():
    t = crm.load_complete_journey()
    assert t.shape == (1469307, 12)
    assert t["customer_id"].nunique() == 2469 and t["basket_id"].nunique() == 155848
    assert pd.api.types.is_datetime64_any_dtype(t["date"])
    assert (t["date"] == t["timestamp"].dt.floor("D")).all()
    assert crm.load_complete_journey("products").shape[0] == 92331
    demo = crm.load_complete_journey("demographics")
    assert demo.shape[0] == 801 and "customer_id" in demo
    assert crm.load_complete_journey("campaigns").shape[0] == 6589
    with pytest.raises(crm.CRMDataError):
        crm.load_complete_journey("nope")


def test_telco_tables():
    telco = crm.load_telco_churn()
    assert telco.shape == (7043, 21)
    assert set(telco["churn"].unique()) == {0, 1}
    assert set(telco["contract"]) == {"Month-to-month", "One year", "Two year"}
    assert telco["total_charges"].isna().sum() == 11
    calls = crm.load_telecom_service_calls()
    assert calls.shape == (5000, 21)
    assert calls["churn"].sum() == 707
    assert calls["number_customer_service_calls"].max() == 9


@pytest.mark.parametrize("product,rows,households", [("yogurt", 2412, 100), ("catsup", 2798, 300)])
def test_brand_panels(product, rows, households):
    p = crm.load_brand_panel(product)
    assert p.shape[0] == rows and p["customer_id"].nunique() == households
    assert (p.groupby("customer_id")["occasion"].min() == 1).all()
    with pytest.raises(crm.CRMDataError):
        crm.load_brand_panel("beer")


def test_sbg_cohorts_published_table():
    c = crm.load_sbg_cohorts()
    assert c.shape == (13, 3)
    assert c.iloc[0, 1:].tolist() == [1000, 1000]
    # Fader & Hardie (2007), Table 1: year 7 survivors.
    assert c.loc[c["year"] == 7, ["regular", "high_end"]].values.tolist() == [[241, 491]]
    assert c["regular"].is_monotonic_decreasing and c["high_end"].is_monotonic_decreasing


def test_list_datasets_names_real_loaders():
    for name in crm.list_datasets()["loader"]:
        assert callable(getattr(crm, name))


def test_data_readme_checksums_match_files():
    import hashlib
    import re

    readme = (crm.datasets.DATA_DIR / "README.md").read_text()
    rows = re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{16})` \|$", readme, flags=re.M)
    listed = {name for name, _ in rows}
    on_disk = {p.name for p in crm.datasets.DATA_DIR.iterdir() if p.name != "README.md"}
    assert on_disk <= listed, f"files in data/ without a README row: {sorted(on_disk - listed)}"
    for name, digest in rows:
        actual = hashlib.sha256((crm.datasets.DATA_DIR / name).read_bytes()).hexdigest()[:16]
        assert actual == digest, f"data/{name}: checksum {actual} != README {digest}"
