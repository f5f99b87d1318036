"""crm-analysis: customer-relationship analytics for research, teaching and consulting.

The public names are re-exported here; see each module for details:
:mod:`~crm_analysis.transactions` (validation, RFM summary),
:mod:`~crm_analysis.datasets` (real data loaders) and
:mod:`~crm_analysis.plotting` (charts and the shared style).
"""

from . import datasets, plotting, retention, simulate, transactions
from .datasets import (
    list_datasets,
    load_brand_panel,
    load_cdnow,
    load_cdnow_summary,
    load_complete_journey,
    load_donations,
    load_sbg_cohorts,
    load_telco_churn,
    load_telecom_service_calls,
)
from . import churn  # noqa: E402
from .churn import (
    DEFECTION_CATEGORIES,
    AtRiskSplit,
    DefectionClassification,
    HazardModel,
    WinbackPlan,
    at_risk_split,
    churn_by_group,
    churn_hazard_model,
    classify_defection,
    complaint_cost,
    defection_categories,
    rebirth_clv,
    rebirth_clv_btyd,
    winback_priority,
)
from .errors import CRMDataError
from .plotting import set_style
from .retention import (
    CohortRetention,
    KaplanMeierResult,
    SBGModel,
    acquisition_ratio_needed,
    cohort_retention,
    fit_constant_retention,
    hazard_by_tenure,
    kaplan_meier,
    retention_value_sensitivity,
)
from .simulate import SurveySimulation, simulate_restaurant_survey
from .simulate import LostCustomers, simulate_lost_customers  # noqa: E402
from .transactions import ValidationResult, period_totals, rfm_summary, validate_transactions

__version__ = "0.1.0"

__all__ = [
    "CRMDataError",
    "DEFECTION_CATEGORIES",
    "AtRiskSplit",
    "DefectionClassification",
    "HazardModel",
    "WinbackPlan",
    "at_risk_split",
    "churn",
    "churn_by_group",
    "churn_hazard_model",
    "classify_defection",
    "complaint_cost",
    "defection_categories",
    "rebirth_clv",
    "rebirth_clv_btyd",
    "simulate_lost_customers",
    "LostCustomers",
    "winback_priority",
    "ValidationResult",
    "datasets",
    "list_datasets",
    "load_brand_panel",
    "load_cdnow",
    "load_cdnow_summary",
    "load_complete_journey",
    "load_donations",
    "load_sbg_cohorts",
    "load_telco_churn",
    "load_telecom_service_calls",
    "period_totals",
    "plotting",
    "rfm_summary",
    "set_style",
    "simulate",
    "simulate_restaurant_survey",
    "SurveySimulation",
    "transactions",
    "validate_transactions",
    "retention",
    "CohortRetention",
    "KaplanMeierResult",
    "SBGModel",
    "acquisition_ratio_needed",
    "cohort_retention",
    "fit_constant_retention",
    "hazard_by_tenure",
    "kaplan_meier",
    "retention_value_sensitivity",
]
