"""Seeded simulators with documented generating processes and known truth.

Used only where no real data exists (survey responses, lost-customer exit
reasons, a brokerage base with cost-to-serve, lock-in experiments).  Each
simulator takes a ``seed``, documents its generating process in its
docstring, and returns the data together with the truth the analyses must
recover.  One module per simulated world; public names are re-exported here.
"""

from .survey import SURVEY_ATTRIBUTES, SurveySimulation, simulate_restaurant_survey

__all__: list[str] = []
__all__ += ["SURVEY_ATTRIBUTES", "SurveySimulation", "simulate_restaurant_survey"]

from .sbg import SBGCohortSimulation, simulate_sbg_cohort  # noqa: E402

__all__ += ["SBGCohortSimulation", "simulate_sbg_cohort"]

from .lost import LostCustomers, simulate_lost_customers  # noqa: E402

__all__ += ["LostCustomers", "simulate_lost_customers"]

from .joint import JointLoyaltySimulation, simulate_loyalty_joint  # noqa: E402
from .lockin import LockInSimulation, simulate_lock_in  # noqa: E402

__all__ += ["JointLoyaltySimulation", "simulate_loyalty_joint", "LockInSimulation", "simulate_lock_in"]

from .brokerage import (  # noqa: E402
    BROKERAGE_DEFAULTS,
    BrokerageSample,
    FeePolicyResult,
    simulate_brokerage_customers,
    simulate_fee_policy,
)

__all__ += ["BROKERAGE_DEFAULTS", "BrokerageSample", "FeePolicyResult",
            "simulate_brokerage_customers", "simulate_fee_policy"]

from .messy import NON_PRODUCT_CODES, MessyLog, simulate_messy_log  # noqa: E402

__all__ += ["NON_PRODUCT_CODES", "MessyLog", "simulate_messy_log"]

from .largelog import synthetic_log, write_synthetic_parquet  # noqa: E402

__all__ += ["synthetic_log", "write_synthetic_parquet"]
