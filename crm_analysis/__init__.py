"""crm-analysis: customer-relationship analytics for research, teaching and consulting.

The public names of every analysis module are re-exported here, so ``import crm_analysis as crm``
gives ``crm.rfm_summary``, ``crm.fit_btyd`` and so on. The modules, one concept each:

- :mod:`~crm_analysis.errors`: ``CRMDataError``, the one exception for bad input;
- :mod:`~crm_analysis.fitted`: the base of every fitted model (common attributes, ``summary``, JSON);
- :mod:`~crm_analysis.transactions`: validation of transaction logs, the RFM summary;
- :mod:`~crm_analysis.dates`: the one rule by which every engine reads dates and cut-offs;
- :mod:`~crm_analysis.io`: reading client files and writing CSV files that are safe to open;
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
- :mod:`~crm_analysis.discounting`: the one discounting rule of every valuation (timing, annual rates);
- :mod:`~crm_analysis.largedata`: the RFM summary of files (DuckDB) and Dask frames;
- :mod:`~crm_analysis.scoring`: scoring a large customer base in chunks or on Dask;
- :mod:`~crm_analysis.report`: the client analysis behind ``crm-analysis report``;
- :mod:`~crm_analysis.glossary`: the Chinese-English glossary of the seed texts (``crm.glossary()``);
- :mod:`~crm_analysis.messages`: the report's sentences and headings in English and Chinese;
- :mod:`~crm_analysis.whatif`: what-if panels (sliders in JupyterLab and in the static site);
- :mod:`~crm_analysis.cli`: the ``crm-analysis`` command line;
- :mod:`~crm_analysis.simulate`: seeded simulators with known truth;
- :mod:`~crm_analysis.plotting`: charts and the shared style.

Private helpers (not re-exported): ``_checks`` (input checks and error wording),
``_cleaning`` (text and number cleaning of client logs), ``_resources`` (bundled files),
``_summary`` (the RFM summary core shared by the pandas and out-of-core engines),
``_deprecation`` (renamed keywords kept for one release behind a ``DeprecationWarning``),
``_likelihood`` (vectorised model likelihoods with analytic gradients behind the fits),
``_pareto_likelihood`` (the Pareto/NBD likelihood with its analytic gradient) and
``_allocator`` (the C allocator setting of the processes the package owns).
DEVELOPERS.md's layout table describes each file.
"""

from . import (
    basket,
    churn,
    clv,
    covariates,
    datasets,
    dates,
    discounting,
    drivers,
    equity,
    errors,
    fitted,
    forecast,
    glossary,
    largedata,
    loyalty,
    messages,
    plotting,
    report,
    retention,
    scoring,
    segments,
    simulate,
    transactions,
    whatif,
)

__version__ = "0.1.0"

# Every name of these modules' ``__all__`` is re-exported: the list of names lives in
# one place, the module that defines them.
_ANALYSIS_MODULES = (
    errors, transactions, dates, datasets, clv, forecast, covariates, retention, drivers,
    loyalty, segments, churn, basket, equity, largedata, scoring, report, glossary, whatif,
    fitted,
    discounting,
    messages,
)
# Namespaces: their names are used as ``crm.plotting.X`` and ``crm.simulate.X``; only
# these few are also at the top level.
_NAMESPACE_NAMES = {
    plotting: ("set_style",),
    simulate: (
        "BrokerageSample", "FeePolicyResult", "JointLoyaltySimulation", "LockInSimulation",
        "LostCustomers", "MessyLog", "SurveySimulation", "simulate_brokerage_customers",
        "simulate_fee_policy", "simulate_lock_in", "simulate_lost_customers",
        "simulate_loyalty_joint", "simulate_messy_log", "simulate_restaurant_survey",
    ),
}

__all__: list[str] = [m.__name__.rpartition(".")[2] for m in _ANALYSIS_MODULES
                      if m is not errors] + ["plotting", "simulate"]
for _module, _names in [(m, m.__all__) for m in _ANALYSIS_MODULES] + list(_NAMESPACE_NAMES.items()):
    for _name in _names:
        # A function may share its module's name (it then replaces the module attribute).
        globals()[_name] = getattr(_module, _name)
        if _name not in __all__:
            __all__.append(_name)
del _module, _names, _name
