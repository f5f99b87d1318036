"""Plot functions: each takes ``ax=None``, draws, and returns the Axes.

One shared style (:func:`set_style`, the colour-blind-safe :data:`PALETTE`,
line styles and hatches that survive greyscale printing); the chart functions
live in one module per analysis and are re-exported here.
"""

from ._style import (
    HATCHES,
    LANGUAGES,
    LINESTYLES,
    MARKERS,
    PALETTE,
    chart_language,
    cjk_font,
    set_style,
    translate,
)
from .basket import plot_breadth_retention, plot_migration_flow, plot_rules
from .churn import (
    plot_at_risk,
    plot_churn_by_group,
    plot_complaint_cost,
    plot_defection_shares,
    plot_hazard_ratios,
    plot_winback_value,
)
from .clv import (
    plot_clv_distribution,
    plot_customer_equity,
    plot_expected_purchases_matrix,
    plot_expected_repeat_purchases,
    plot_holdout_by_frequency,
    plot_p_alive_history,
    plot_p_alive_matrix,
    plot_rank_comparison,
    plot_tracking,
)
from .drivers import (
    plot_asymmetric_effects,
    plot_context_comparison,
    plot_driver_importance,
    plot_importance_performance,
    plot_nps,
    plot_service_profit_chain,
)
from .equity import plot_lever_tornado, plot_lever_waterfall, plot_relationship_cylinders
from .forecast import plot_clv_intervals, plot_count_distribution
from .loyalty import (
    plot_lock_in,
    plot_loyalty_matrix,
    plot_switching_matrix,
    plot_traits_vs_index,
)
from .retention import (
    plot_cohort_heatmap,
    plot_hazard,
    plot_retention_value_heatmap,
    plot_sbg_projection,
    plot_survival_curves,
)
from .segments import (
    plot_fee_policy,
    plot_lorenz_curve,
    plot_profit_heatmap,
    plot_segment_shares,
    plot_whale_curve,
)
from .transactions import plot_frequency_distribution, plot_group_distribution, plot_period_totals
from .whatif import plot_whatif

__all__ = [
    "HATCHES",
    "LINESTYLES",
    "MARKERS",
    "PALETTE",
    "set_style",
    "LANGUAGES",
    "cjk_font",
    "translate",
    "chart_language",
    "plot_asymmetric_effects",
    "plot_context_comparison",
    "plot_driver_importance",
    "plot_importance_performance",
    "plot_nps",
    "plot_service_profit_chain",
    "plot_at_risk",
    "plot_churn_by_group",
    "plot_complaint_cost",
    "plot_defection_shares",
    "plot_hazard_ratios",
    "plot_winback_value",
    "plot_lock_in",
    "plot_loyalty_matrix",
    "plot_switching_matrix",
    "plot_traits_vs_index",
    "plot_frequency_distribution",
    "plot_group_distribution",
    "plot_period_totals",
    "plot_cohort_heatmap",
    "plot_hazard",
    "plot_retention_value_heatmap",
    "plot_sbg_projection",
    "plot_survival_curves",
]

__all__ += [
    "plot_fee_policy",
    "plot_lorenz_curve",
    "plot_profit_heatmap",
    "plot_segment_shares",
    "plot_whale_curve",
]

__all__ += [
    "plot_clv_distribution",
    "plot_customer_equity",
    "plot_expected_purchases_matrix",
    "plot_expected_repeat_purchases",
    "plot_holdout_by_frequency",
    "plot_p_alive_history",
    "plot_p_alive_matrix",
    "plot_rank_comparison",
    "plot_tracking",
]

__all__ += [
    "plot_breadth_retention",
    "plot_migration_flow",
    "plot_rules",
    "plot_lever_tornado",
    "plot_lever_waterfall",
    "plot_relationship_cylinders",
]

__all__ += ["plot_count_distribution", "plot_clv_intervals"]

__all__ += ["plot_whatif"]
