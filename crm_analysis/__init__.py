"""crm-analysis: customer-relationship analytics for research, teaching and consulting.

The public names of every module are re-exported here, so ``import crm_analysis as crm``
gives ``crm.rfm_summary``, ``crm.fit_btyd`` and so on. The modules, one concept each:

- :mod:`~crm_analysis.transactions`: validation of transaction logs, the RFM summary;
- :mod:`~crm_analysis.dates`: the one rule by which every engine reads dates and cut-offs;
- :mod:`~crm_analysis.datasets`: offline loaders of the real datasets;
- :mod:`~crm_analysis.clv`: buy-till-you-die models, CLV, customer equity, holdout checks;
- :mod:`~crm_analysis.forecast`: predictive distributions, intervals and saved BTYD models;
- :mod:`~crm_analysis.covariates`: BG/NBD and Pareto/NBD with time-invariant covariates;
- :mod:`~crm_analysis.retention`: cohort tables, Kaplan-Meier, hazards, sBG, retention economics;
- :mod:`~crm_analysis.drivers`: key-driver analysis of satisfaction surveys;
- :mod:`~crm_analysis.loyalty`: loyalty index, behavioural loyalty, Dick & Basu matrix;
- :mod:`~crm_analysis.segments`: customer profitability, whale curve, RFM segments;
- :mod:`~crm_analysis.churn`: defection categories, win-back, at-risk split, Cox model;
- :mod:`~crm_analysis.basket`: association rules, cross-sell and up-sell;
- :mod:`~crm_analysis.equity`: customer equity as count x lifetime x value, growth levers;
- :mod:`~crm_analysis.largedata`: the same summaries on files (DuckDB) and Dask;
- :mod:`~crm_analysis.report`: the client analysis behind ``crm-analysis report``;
- :mod:`~crm_analysis.simulate`: seeded simulators with known truth;
- :mod:`~crm_analysis.plotting`: charts and the shared style.
"""

from . import (
    basket,
    churn,
    clv,
    datasets,
    drivers,
    equity,
    largedata,
    loyalty,
    plotting,
    report,
    retention,
    segments,
    simulate,
    transactions,
)
from .basket import (
    BreadthRetention,
    Migration,
    RuleSet,
    basket_matrix,
    breadth_retention,
    category_migration,
    compare_offers,
    cross_sell_candidates,
    entry_sequence,
    mine_rules,
    offer_hit_rate,
    price_tiers,
    prune_redundant_rules,
    rule_significance,
)
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
from .clv import (
    BGBBModel,
    BTYDModel,
    ModelFitWarning,
    RankComparison,
    SpendModel,
    compare_models,
    compare_rankings,
    customer_equity,
    customer_lifetime_value,
    fit_bgbb,
    fit_btyd,
    fit_gamma_gamma,
    holdout_by_frequency,
    holdout_metrics,
    p_alive_history,
    tracking_data,
)
from .datasets import (
    CORPORATE_REPUTATION_ITEMS,
    ECSI_CONSTRUCTS,
    PROVENANCE_LEVELS,
    list_datasets,
    load_brand_panel,
    load_cdnow,
    load_cdnow_summary,
    load_complete_journey,
    load_corporate_reputation,
    load_donations,
    load_ecsi_mobile,
    load_sbg_cohorts,
    load_telco_churn,
    load_telecom_service_calls,
)
from .drivers import (
    ContextComparison,
    OrderedSatisfactionModel,
    ServiceProfitChain,
    SurveyScaleWarning,
    asymmetric_effects,
    compare_contexts,
    driver_importance,
    group_importance,
    importance_performance,
    nps,
    ordered_satisfaction_model,
    rating_columns,
    service_profit_chain,
)
from .equity import (
    LeverResult,
    base_from_model,
    equity_decomposition,
    expected_lifetime,
    implied_retention,
    lever_sensitivity,
    lever_simulation,
    value_elasticities,
)
from .errors import ConvergenceError, CRMDataError
from .largedata import rfm_summary_dask, rfm_summary_files, score_dask, score_in_chunks
from .loyalty import (
    C10_COMPONENTS,
    DICK_BASU_SEGMENTS,
    DickBasuResult,
    JoinedData,
    LoyaltyIndex,
    OneFactorCheck,
    behavioural_loyalty,
    brand_loyalty,
    cronbach_alpha,
    dick_basu_segments,
    item_total_correlations,
    join_survey_behaviour,
    loyalty_index,
    loyalty_traits,
    one_factor_check,
    segment_agreement,
    switching_matrix,
)
from .plotting import set_style
from .report import (
    ClientAnalysis,
    SavedAnalysis,
    SurveyAnalysis,
    analyse_client,
    analyse_survey,
    check_client_log,
    check_client_survey,
    load_client_analysis,
    render_report_html,
)
from .retention import (
    CohortRetention,
    KaplanMeierResult,
    SBGModel,
    acquisition_ratio_needed,
    cohort_retention,
    fit_constant_retention,
    hazard_by_tenure,
    kaplan_meier,
    period_hazard,
    retention_value_sensitivity,
)
from .segments import (
    RFM_SEGMENTS,
    ProfitabilityResult,
    RankDisagreement,
    WhaleCurve,
    customer_profitability,
    customer_totals,
    gini,
    lorenz_curve,
    profit_by_segment,
    profitability_sensitivity,
    quantile_scores,
    rank_disagreement,
    rfm_scores,
    rfm_segments,
    whale_curve,
)
from .simulate import (
    BrokerageSample,
    FeePolicyResult,
    JointLoyaltySimulation,
    LockInSimulation,
    LostCustomers,
    MessyLog,
    SurveySimulation,
    simulate_brokerage_customers,
    simulate_fee_policy,
    simulate_lock_in,
    simulate_lost_customers,
    simulate_loyalty_joint,
    simulate_messy_log,
    simulate_restaurant_survey,
)
from .transactions import (
    VALIDATION_CHECKS,
    ValidationResult,
    period_totals,
    rfm_summary,
    validate_transactions,
)

__version__ = "0.1.0"

__all__ = [
    "ClientAnalysis",
    "analyse_client",
    "check_client_log",
    "check_client_survey",
    "render_report_html",
    "SavedAnalysis",
    "SurveyAnalysis",
    "analyse_survey",
    "load_client_analysis",
    "report",
    "CRMDataError",
    "ConvergenceError",
    "BGBBModel",
    "BTYDModel",
    "ModelFitWarning",
    "RankComparison",
    "SpendModel",
    "clv",
    "compare_models",
    "compare_rankings",
    "customer_equity",
    "customer_lifetime_value",
    "fit_bgbb",
    "fit_btyd",
    "fit_gamma_gamma",
    "holdout_by_frequency",
    "holdout_metrics",
    "p_alive_history",
    "tracking_data",
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
    "VALIDATION_CHECKS",
    "datasets",
    "list_datasets",
    "load_brand_panel",
    "load_cdnow",
    "load_cdnow_summary",
    "load_complete_journey",
    "load_donations",
    "load_sbg_cohorts",
    "load_ecsi_mobile",
    "load_corporate_reputation",
    "ECSI_CONSTRUCTS",
    "CORPORATE_REPUTATION_ITEMS",
    "PROVENANCE_LEVELS",
    "load_telco_churn",
    "load_telecom_service_calls",
    "period_totals",
    "largedata",
    "rfm_summary_dask",
    "rfm_summary_files",
    "score_dask",
    "score_in_chunks",
    "plotting",
    "rfm_summary",
    "set_style",
    "simulate",
    "simulate_restaurant_survey",
    "SurveySimulation",
    "drivers",
    "ContextComparison",
    "OrderedSatisfactionModel",
    "ServiceProfitChain",
    "SurveyScaleWarning",
    "asymmetric_effects",
    "compare_contexts",
    "driver_importance",
    "group_importance",
    "importance_performance",
    "nps",
    "ordered_satisfaction_model",
    "rating_columns",
    "service_profit_chain",
    "transactions",
    "validate_transactions",
    "loyalty",
    "C10_COMPONENTS",
    "DICK_BASU_SEGMENTS",
    "DickBasuResult",
    "JoinedData",
    "LoyaltyIndex",
    "OneFactorCheck",
    "behavioural_loyalty",
    "brand_loyalty",
    "cronbach_alpha",
    "dick_basu_segments",
    "item_total_correlations",
    "join_survey_behaviour",
    "loyalty_index",
    "loyalty_traits",
    "one_factor_check",
    "segment_agreement",
    "switching_matrix",
    "JointLoyaltySimulation",
    "LockInSimulation",
    "simulate_lock_in",
    "simulate_loyalty_joint",
    "retention",
    "CohortRetention",
    "KaplanMeierResult",
    "SBGModel",
    "acquisition_ratio_needed",
    "cohort_retention",
    "fit_constant_retention",
    "hazard_by_tenure",
    "period_hazard",
    "kaplan_meier",
    "retention_value_sensitivity",
]

__all__ += [
    "segments",
    "RFM_SEGMENTS",
    "ProfitabilityResult",
    "RankDisagreement",
    "WhaleCurve",
    "customer_profitability",
    "customer_totals",
    "gini",
    "lorenz_curve",
    "profit_by_segment",
    "profitability_sensitivity",
    "quantile_scores",
    "rank_disagreement",
    "rfm_scores",
    "rfm_segments",
    "whale_curve",
    "BrokerageSample",
    "FeePolicyResult",
    "simulate_brokerage_customers",
    "simulate_fee_policy",
    "MessyLog",
    "simulate_messy_log",
]

__all__ += [
    "basket",
    "BreadthRetention",
    "Migration",
    "RuleSet",
    "basket_matrix",
    "breadth_retention",
    "compare_offers",
    "prune_redundant_rules",
    "rule_significance",
    "category_migration",
    "cross_sell_candidates",
    "entry_sequence",
    "mine_rules",
    "offer_hit_rate",
    "price_tiers",
    "equity",
    "LeverResult",
    "base_from_model",
    "equity_decomposition",
    "expected_lifetime",
    "implied_retention",
    "lever_simulation",
    "lever_sensitivity",
    "value_elasticities",
]

# The date rule shared by every engine (crm_analysis.dates).
from . import dates  # noqa: E402
from .dates import (  # noqa: E402
    EARLIEST_DATE,
    IMPLAUSIBLE,
    LATEST_DATE,
    ParsedDates,
    check_dates,
    infer_date_format,
    parse_cutoff,
    parse_dates,
    raise_for_bad_dates,
)

__all__ += [
    "dates",
    "EARLIEST_DATE",
    "IMPLAUSIBLE",
    "LATEST_DATE",
    "ParsedDates",
    "check_dates",
    "infer_date_format",
    "parse_cutoff",
    "parse_dates",
    "raise_for_bad_dates",
]

# Predictive distributions, intervals and saved models of the BTYD models.
from . import forecast  # noqa: E402
from .forecast import (  # noqa: E402
    ClvInterval,
    ScoringModel,
    clv_interval,
    conditional_probability_of_n_purchases,
    count_distribution,
    draw_parameters,
    expected_purchases_interval,
    load_model,
    model_from_dict,
    model_to_dict,
    p_alive_after_silence,
    p_alive_interval,
    parameter_interval,
    probability_of_n_purchases,
    purchases_predictive_interval,
    rank_holdout_value,
    save_model,
    simulate_btyd_summary,
)

__all__ += [
    "forecast",
    "ClvInterval",
    "ScoringModel",
    "clv_interval",
    "conditional_probability_of_n_purchases",
    "count_distribution",
    "draw_parameters",
    "expected_purchases_interval",
    "load_model",
    "model_from_dict",
    "model_to_dict",
    "p_alive_after_silence",
    "p_alive_interval",
    "parameter_interval",
    "probability_of_n_purchases",
    "purchases_predictive_interval",
    "rank_holdout_value",
    "save_model",
    "simulate_btyd_summary",
]

# Time-invariant covariates in BG/NBD and Pareto/NBD.
from . import covariates  # noqa: E402
from .covariates import CovariateBTYDModel, fit_btyd_covariates  # noqa: E402

__all__ += ["covariates", "CovariateBTYDModel", "fit_btyd_covariates"]

# Chinese-English glossary of the seed texts.
from .glossary import SEED_TITLES, glossary  # noqa: E402

__all__ += ["SEED_TITLES", "glossary"]

# What-if controls (sliders in JupyterLab and in the static site).
from . import whatif  # noqa: E402
from .whatif import (  # noqa: E402
    WhatIfPanel,
    WhatIfSlider,
    clv_whatif,
    dick_basu_whatif,
    fee_policy_whatif,
    whale_whatif,
)

__all__ += ["whatif", "WhatIfPanel", "WhatIfSlider", "clv_whatif", "dick_basu_whatif",
            "fee_policy_whatif", "whale_whatif"]
