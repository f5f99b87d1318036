"""The client analysis: one call from a raw transaction log to per-customer scores.

:func:`analyse_client` strings the package's analyses together the way the
consultant's report (``crm-analysis report``) presents them: validation and
cleaning, the RFM summary, BG/NBD + Gamma-Gamma CLV (with a holdout check
when a calibration end is given), RFM segments, profit where costs are given,
and the at-risk split with recommended actions.  Each step calls the public
function of the module that owns it; nothing is re-implemented here.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import warnings
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ._deprecation import renamed_kwargs
from .churn import at_risk_split
from .clv import (
    BTYDModel,
    SpendModel,
    customer_equity,
    customer_lifetime_value,
    fit_btyd,
    fit_gamma_gamma,
    holdout_by_frequency,
    holdout_metrics,
)
from .dates import parse_cutoff
from .discounting import period_rate
from .drivers import SurveyScaleWarning, driver_importance, nps, rating_columns
from .errors import ConvergenceError, CRMDataError
from .largedata import is_file_source, read_log_files
from .loyalty import (
    DickBasuResult,
    behavioural_loyalty,
    dick_basu_segments,
    join_survey_behaviour,
    loyalty_index,
    loyalty_traits,
)
from .messages import Message
from .retention import CohortRetention, cohort_retention
from .segments import (
    WhaleCurve,
    customer_profitability,
    customer_totals,
    rfm_scores,
    rfm_segments,
    whale_curve,
)
from .transactions import (
    LogFileCleaning,
    ValidationResult,
    clean_log_files,
    rfm_summary,
    validate_transactions,
)

__all__ = ["ClientAnalysis", "SavedAnalysis", "SurveyAnalysis", "analyse_client",
           "analyse_survey", "check_client_log", "load_client_analysis", "survey_scales",
           "SEGMENT_ACTIONS", "SURVEY_NON_DRIVERS", "HOLDOUT_ERROR_LIMIT", "MIN_RHYTHM_REPEATS",
           "check_client_survey", "render_report_html"]

#: Recommended action for customers who are not at risk, by RFM segment.
SEGMENT_ACTIONS: dict[str, str] = {
    "champions": "Reward and involve: early access, referral invitations, cross-sell the next category.",
    "loyal": "Deepen: cross-sell and up-sell; invite to the customer club.",
    "potential loyalists": "Encourage the second and third purchase with relevant offers.",
    "new customers": "Onboard: welcome contact, make the second purchase easy.",
    "need attention": "Re-engage with a personal offer before they slip.",
    "can't lose them": "Win back urgently: senior contact and a tailored offer.",
    "at risk": "Win back: personal contact; find and fix what went wrong.",
    "about to sleep": "Reactivate with a limited-time offer; ask why they buy less.",
    "hibernating": "Low-cost reactivation only (e-mail); do not discount deeply.",
}

# Weeks in a year, for the annual discount rate and the one-year horizon.
_WEEKS_PER_YEAR = 52


#: Standard answer scales, smallest first: the scale assumed for a survey item
#: when none was declared is the first that holds every answer.
_STANDARD_SCALES = ((1, 5), (1, 7), (1, 10), (0, 10))

#: Share of a holdout total error (in %) beyond which the report warns in words.
HOLDOUT_ERROR_LIMIT = 10.0

#: Repeat purchases a customer needs before the "long gap versus own rhythm" rule
#: judges them: three purchase days give two gaps, the least that shows a rhythm.
MIN_RHYTHM_REPEATS = 2

#: Parameter draws behind the 90% interval of customer equity, and the customers they
#: rescore: all of them up to this many, else a seeded sample of this size (each draw
#: recomputes a CLV week by week, so its cost grows with the customers scored).
EQUITY_INTERVAL_DRAWS = 50
EQUITY_INTERVAL_SAMPLE = 2_000

#: Models fitted for the report, in display order (label -> fit_btyd model name).
REPORT_MODELS = {"BG/NBD": "bgnbd", "Pareto/NBD": "pareto"}


@dataclass
class SurveyAnalysis:
    """The survey section of the report.

    Attributes
    ----------
    importance : DataFrame
        :func:`crm_analysis.driver_importance` table (Shapley R² shares).
    n_responses, n_used : int
        Survey rows, and rows entering the driver analysis.
    dropped : dict
        Responses left out by reason.
    scales : dict
        Item -> (low, high) answer scale used to rescale the loyalty items.
    scale_declared : bool
        False when the scales are the smallest standard scales holding the answers.
    nps : DataFrame or None
        :func:`crm_analysis.nps` when the survey has ``recommend``.
    loyalty_alpha : float or None
        Cronbach's alpha (raw) of the loyalty index.
    n_matched, n_survey_only, n_behaviour_only : int
        Customers in both files, survey ids without purchases, buyers without a survey.
    matrix : DickBasuResult or None
        Attitude x patronage segments, when at least 20 customers are matched.
    notes : list of str
    """

    importance: pd.DataFrame
    n_responses: int
    n_used: int
    dropped: dict
    scales: dict
    scale_declared: bool
    nps: pd.DataFrame | None = None
    loyalty_alpha: float | None = None
    n_matched: int = 0
    n_survey_only: int = 0
    n_behaviour_only: int = 0
    matrix: object | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class ClientAnalysis:
    """Everything the client report shows, computed once.

    Attributes
    ----------
    validation : ValidationResult
        Cleaning report of the raw log.
    summary : DataFrame
        RFM summary in weeks over the whole log (the scoring base).
    transaction_model : BTYDModel
        The model chosen for scoring (see ``model_choice``).
    spend_model : SpendModel or None
        Gamma-Gamma when amounts allow it.
    scores : DataFrame
        One row per customer: RFM values and scores, segment, P(alive),
        expected purchases next year, CLV, revenue, profit (when costs are
        given), at-risk segment and recommended action.  No missing values.
    models : dict
        Label -> every transaction model fitted on the whole log.
    model_table : DataFrame
        One row per model: the fitted form, parameters, log-likelihood, BIC,
        implied share of customers who have left, holdout error, chosen.
    model_choice : str
        Which model scores the customers and why, in words.
    holdout_summary : DataFrame or None
        Calibration/holdout summary when ``calibration_end`` was given.
    holdout_models : dict
        Label -> model fitted on the calibration period.
    holdout_model : BTYDModel or None
        The chosen model's calibration fit.
    holdout_table : DataFrame or None
        Mean actual vs predicted holdout purchases by calibration frequency
        (chosen model).
    segments : DataFrame
        Per RFM segment: customers, revenue, CLV, mean P(alive) and shares.
    cohorts : CohortRetention
        Monthly acquisition cohorts from the cleaned log (lines with a
        positive amount: a month of cancellations only is not "buying").
    whale : WhaleCurve or None
        When ``cost_per_order`` is given.
    survey : SurveyAnalysis or None
    headline : dict
        The figures of the report's first section.
    settings : dict
        The parameters used (margin, discount rate, costs ...).
    notes : list of str
        Plain-language caveats met on the way (model warnings, exclusions).
    """

    validation: ValidationResult
    summary: pd.DataFrame
    transaction_model: BTYDModel
    spend_model: SpendModel | None
    scores: pd.DataFrame
    models: dict = field(default_factory=dict)
    model_table: pd.DataFrame | None = None
    model_choice: str = ""
    holdout_summary: pd.DataFrame | None = None
    holdout_models: dict = field(default_factory=dict)
    holdout_model: BTYDModel | None = None
    holdout_table: pd.DataFrame | None = None
    segments: pd.DataFrame | None = None
    cohorts: CohortRetention | None = None
    whale: WhaleCurve | None = None
    survey: SurveyAnalysis | None = None
    headline: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def value_label(self) -> str:
        """What CLV and equity measure: ``"revenue, not profit"`` or ``"profit at 30% margin"``."""
        return self.settings.get("value_basis", "revenue, not profit")

    def actions(self) -> pd.DataFrame:
        """Customers, CLV and profit per recommended action, largest CLV first."""
        agg = {"customers": ("clv", "size"), "clv": ("clv", "sum")}
        if "profit" in self.scores:
            agg["profit"] = ("profit", "sum")
        out = self.scores.groupby("recommended_action").agg(**agg)
        out["share_of_customers"] = out["customers"] / out["customers"].sum()
        return out.sort_values("clv", ascending=False)

    def save(self, folder, *, validation_summary: str | None = None) -> Path:
        """Write the tables (Parquet) and figures (JSON) the report template displays.

        The folder holds no pickle: :func:`load_client_analysis` rebuilds a
        :class:`SavedAnalysis` from plain files.  ``validation_summary``: the
        cleaning summary as the report should print it (the command line passes
        its own wording, which names its options instead of Python arguments);
        default :meth:`ValidationResult.summary`.

        Returns
        -------
        Path
            The folder.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tables = {"scores": self.scores, "actions": self.actions(), "segments": self.segments,
                  "model_table": self.model_table, "holdout_table": self.holdout_table,
                  "equity_by_segment": customer_equity(self.scores, by="segment"),
                  "risk": self.at_risk_table()}
        objects = {"cohorts": self.cohorts, "whale": self.whale}
        facts = {"headline": self.headline, "settings": self.settings, "notes": self.notes,
                 "model_choice": self.model_choice, "value_label": self.value_label,
                 "validation_summary": (self.validation.summary() if validation_summary is None
                                        else validation_summary),
                 "period": [str(self.headline.get("first_date")), str(self.headline.get("last_date"))]}
        # The sentences again as catalogue ids and figures, so the report can say them in
        # Chinese (crm-analysis report --lang zh) with the same numbers.
        facts["messages"] = {"notes": [_spec(n) for n in self.notes],
                             "model_choice": _spec(self.model_choice),
                             "model_note": _spec(self.headline.get("model_note", ""))}
        tables["validation_report"] = self.validation.report.astype({"examples": str})
        if self.holdout_summary is not None:
            tables["holdout_metrics"] = self.settings.get("_holdout_metrics")
        if self.survey is not None:
            sv = self.survey
            tables["survey_importance"] = sv.importance
            tables["survey_nps"] = sv.nps
            objects["survey_matrix"] = sv.matrix
            facts["messages"]["survey_notes"] = [_spec(n) for n in sv.notes]
            facts["survey"] = {k: getattr(sv, k) for k in (
                "n_responses", "n_used", "dropped", "scales", "scale_declared", "loyalty_alpha",
                "n_matched", "n_survey_only", "n_behaviour_only", "notes")}
        for name, table in tables.items():
            if table is not None:
                _write_frame(table, folder / f"{name}.parquet")
        facts["objects"] = {}
        for name, obj in objects.items():
            if obj is not None:
                facts["objects"][name] = _dump_dataclass(obj, folder, name)
        facts["settings"] = {k: v for k, v in facts["settings"].items() if not k.startswith("_")}
        (folder / "analysis.json").write_text(json.dumps(facts, indent=1, default=_json_default),
                                              encoding="utf-8")
        return folder

    def at_risk_table(self, n: int = 20) -> pd.DataFrame:
        """The ``n`` at-risk customers of highest CLV with their reason and action."""
        risk = self.scores[self.scores["at_risk"] != "not at risk"]
        cols = ["frequency", "recency", "T", "p_alive", "clv", "at_risk", "recommended_action"]
        return risk.sort_values("clv", ascending=False)[cols].head(n)


@dataclass
class SavedAnalysis:
    """A :class:`ClientAnalysis` read back from :meth:`ClientAnalysis.save` (display only).

    Attributes
    ----------
    tables : dict
        Name -> DataFrame (``scores``, ``actions``, ``segments``, ``model_table`` ...).
    facts : dict
        Headline figures, settings, notes, model choice, survey figures.
    objects : dict
        Name -> rebuilt result object (``cohorts``, ``whale``, ``survey_matrix``).
    """

    tables: dict
    facts: dict
    objects: dict

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]


def load_client_analysis(folder, *, columns: dict[str, list[str]] | None = None) -> SavedAnalysis:
    """Read what :meth:`ClientAnalysis.save` wrote (Parquet and JSON only).

    Parameters
    ----------
    folder : str or Path
        The folder :meth:`ClientAnalysis.save` wrote.
    columns : dict, optional
        Table name -> the columns to read of it (the index comes along).  The
        report template reads two columns of ``scores``, which has one row per
        customer: at ten million lines the whole table would double the memory
        that the report's two processes hold together.

    Examples
    --------
    >>> import tempfile, crm_analysis as crm
    >>> a = crm.analyse_client(crm.load_cdnow().head(3000), progress=False)  # doctest: +SKIP
    >>> saved = load_client_analysis(a.save(tempfile.mkdtemp()))  # doctest: +SKIP
    >>> load_client_analysis(a.save(tempfile.mkdtemp()),
    ...                      columns={"scores": ["clv"]})["scores"].columns.tolist()  # doctest: +SKIP
    ['clv']
    """
    folder = Path(folder)
    columns = columns or {}
    facts = json.loads((folder / "analysis.json").read_text(encoding="utf-8"))
    tables = {p.stem: pd.read_parquet(p, columns=columns.get(p.stem))
              for p in sorted(folder.glob("*.parquet"))}
    objects = {name: _load_dataclass(spec, folder) for name, spec in facts.pop("objects").items()}
    return SavedAnalysis(tables=tables, facts=facts, objects=objects)


def _spec(text) -> dict:
    """A note as catalogue id and figures (:class:`Message`), or as its plain text."""
    return text.spec if isinstance(text, Message) else {"text": str(text)}


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    return str(value)


def _write_frame(frame, path: Path) -> None:
    frame = frame.to_frame() if isinstance(frame, pd.Series) else frame.copy()
    frame.attrs = {}  # attrs hold objects Parquet metadata cannot carry
    frame.columns = [str(c) for c in frame.columns]
    frame.to_parquet(path)


# Result classes the saved folder may name (no arbitrary class is ever built from a file).
_REBUILDABLE = {"CohortRetention": CohortRetention, "WhaleCurve": WhaleCurve,
                "DickBasuResult": DickBasuResult}


def _dump_dataclass(obj, folder: Path, name: str) -> dict:
    spec = {"class": type(obj).__name__, "frames": {}, "series": {}, "values": {}}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, pd.DataFrame):
            path = f"{name}.{f.name}.frame.parquet"
            _write_frame(value, folder / path)
            spec["frames"][f.name] = path
        elif isinstance(value, pd.Series):
            path = f"{name}.{f.name}.series.parquet"
            _write_frame(value.rename("value"), folder / path)
            spec["series"][f.name] = path
        else:
            spec["values"][f.name] = value
    return spec


def _load_dataclass(spec: dict, folder: Path):
    cls = _REBUILDABLE[spec["class"]]
    kwargs = dict(spec["values"])
    for key, path in spec["frames"].items():
        frame = pd.read_parquet(folder / path)
        # integer column labels (periods since acquisition) come back as text
        frame.columns = [int(c) if str(c).isdigit() else c for c in frame.columns]
        kwargs[key] = frame
    for key, path in spec["series"].items():
        kwargs[key] = pd.read_parquet(folder / path)["value"]
    return cls(**kwargs)


_MIN_REPEAT_CUSTOMERS = 10


def _require_repeat_customers(summary: pd.DataFrame, customer_id: str, where: str) -> None:
    repeaters = int((summary["frequency"] > 0).sum())
    if repeaters < _MIN_REPEAT_CUSTOMERS:
        raise CRMDataError(
            f"{where}: column {customer_id!r}: only {repeaters} customers bought on more than one day; "
            f"the CLV models need at least {_MIN_REPEAT_CUSTOMERS} repeat customers."
        )


def _fit_one(summary: pd.DataFrame, model: str) -> tuple[BTYDModel, bool]:
    """Fit one model, retried once with a small penalizer when the plain fit does not converge.

    Returns the model and whether it is the penalised refit.
    """
    try:
        return fit_btyd(summary, model=model, time_unit="weeks"), False
    except ConvergenceError:
        return fit_btyd(summary, model=model, time_unit="weeks", penalizer=0.001), True


def _fit_worker_main(argv: list[str]) -> None:
    """Entry of the worker process of :func:`_fit_all`: SUMMARY.pkl MODEL OUT.pkl.

    Writes :func:`_fit_one`'s result (or its CRMDataError) and the warnings it
    raised (the warning objects, with their report notes) for the caller to raise again.
    """
    import pickle

    from ._allocator import keep_freed_memory

    keep_freed_memory()
    source, model, target = argv
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = _fit_one(pd.read_pickle(source), model)
        except CRMDataError as exc:
            out = exc
    with open(target, "wb") as fh:
        pickle.dump((out, [w.message for w in caught]), fh)


#: From this many customers :func:`_fit_all` fits the Pareto/NBD in a second process
#: while this one fits the BG/NBD (a new process costs about a second; the
#: Pareto/NBD fit of a few hundred thousand customers takes ten).
PARALLEL_MIN_CUSTOMERS = 100_000
_FIT_COLUMNS = ["frequency", "recency", "T", "frequency_cal", "recency_cal", "T_cal"]
_WORKER_CODE = ("import sys; from crm_analysis.report import _fit_worker_main; "
                "_fit_worker_main(sys.argv[1:])")


class _WorkerFits:
    """The models :func:`_fit_all` fits in worker processes beside BG/NBD.

    A plain ``python -c`` process, not :mod:`multiprocessing`: that would
    import the caller's main script again in the worker (and run it, when the
    script has no ``if __name__ == "__main__"`` guard).  The worker imports
    this same copy of the package and exchanges files in a temporary folder.
    """

    def __init__(self, summary: pd.DataFrame, labels: list[str]):
        import os
        import subprocess
        import sys
        import tempfile

        self.folder = tempfile.TemporaryDirectory(prefix="crm-analysis-fit-")
        base = Path(self.folder.name)
        source = base / "summary.pkl"
        summary[[c for c in _FIT_COLUMNS if c in summary.columns]].to_pickle(source)
        env = dict(os.environ)
        here = str(Path(__file__).resolve().parent.parent)  # this copy of crm_analysis
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [here, env.get("PYTHONPATH")]))
        self.jobs = {}
        for label in labels:
            target = base / f"{REPORT_MODELS[label]}.pkl"
            proc = subprocess.Popen([sys.executable, "-c", _WORKER_CODE, str(source), REPORT_MODELS[label],
                                     str(target)], env=env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.jobs[label] = (proc, target)

    def result(self, label: str):
        """(result, warnings) as :func:`_fit_worker_main` wrote them; None if the worker failed."""
        import pickle

        proc, target = self.jobs.pop(label)
        if proc.wait() != 0 or not target.exists():
            return None
        with open(target, "rb") as fh:
            return pickle.load(fh)

    def close(self) -> None:
        for proc, _ in self.jobs.values():  # not collected: an error stopped the report
            proc.kill()
            proc.wait()
        self.jobs = {}
        self.folder.cleanup()


def _start_worker_fits(summary: pd.DataFrame, parallel: bool | None) -> _WorkerFits | None:
    import os

    if parallel is None:
        parallel = len(summary) >= PARALLEL_MIN_CUSTOMERS and (os.cpu_count() or 1) > 1
    if not parallel:
        return None
    try:
        return _WorkerFits(summary, [label for label in REPORT_MODELS if label != "BG/NBD"])
    except OSError:  # no second process here: fit one after the other
        return None


def _fit_all(summary: pd.DataFrame, notes: list[str], where: str, *,
             parallel: bool | None = None) -> dict[str, BTYDModel]:
    """BG/NBD (required) and Pareto/NBD (skipped with a note when it cannot be fitted).

    ``parallel`` (default: from ``PARALLEL_MIN_CUSTOMERS`` customers on a machine
    with two cores or more) fits the Pareto/NBD in a worker process meanwhile;
    models, notes and warnings are the same, in the same order, as one after
    the other.
    """
    workers = _start_worker_fits(summary, parallel)
    out = {}
    try:
        for label, key in REPORT_MODELS.items():
            try:
                done = (workers.result(label) if workers is not None and label in workers.jobs
                        else None)
                if done is None:  # fitted here (also when the worker failed)
                    model, penalised = _fit_one(summary, key)
                else:
                    result, caught = done
                    for warning in caught:
                        warnings.warn(warning, stacklevel=2)
                    if isinstance(result, CRMDataError):
                        raise result
                    model, penalised = result
            except CRMDataError as exc:
                if isinstance(exc, ConvergenceError):  # the penalised refit failed too
                    notes.append(Message("note.penalised", model=key))
                if label == "BG/NBD":
                    raise
                notes.append(Message("note.model_left_out", model=label, where=where,
                                     reason=str(exc).splitlines()[0]))
                continue
            if penalised:
                notes.append(Message("note.penalised", model=key))
            out[label] = model
    finally:
        if workers is not None:
            workers.close()
    return out


def _fitted_label(label: str, model: BTYDModel) -> str:
    """``"BG/NBD"``; ``"BG/NBD (NBD limit)"`` when the fit reduced to no dropout,
    ``"Pareto/NBD (penalised, 0.001)"`` when it is the penalised refit."""
    if getattr(model, "model", "") == "nbd":
        return Message("model.nbd_limit", model=label)
    if getattr(model, "penalizer", 0.0):
        return Message("model.penalised", model=label, penalizer=f"{model.penalizer:g}")
    return label


def _choose_model(table: pd.DataFrame, calibration_end=None) -> tuple[str, Message]:
    """The model that scores the customers, and the reason in words.

    By the smaller absolute holdout error when ``calibration_end`` is given
    (``table["holdout_error_pct"]``), else by the smaller BIC.  When every
    model reduced to its no-dropout NBD limit, they are one and the same
    model: no comparison took place, and the sentence says so instead of
    naming a criterion.

    Examples
    --------
    >>> t = pd.DataFrame({"fitted": ["BG/NBD (NBD limit)", "Pareto/NBD (NBD limit)"],
    ...                   "BIC": [10.0, 10.0]}, index=["BG/NBD", "Pareto/NBD"])
    >>> _choose_model(t)[1][:71]
    'Both models (BG/NBD, Pareto/NBD) reduced to their no-dropout NBD limit,'
    """
    fitted = table["fitted"]
    if len(table) > 1 and fitted.str.endswith("(NBD limit)").all():
        return table.index[0], Message("choice.none", models=", ".join(table.index))
    if calibration_end is not None:
        chosen = table["holdout_error_pct"].abs().idxmin()
        return chosen, Message("choice.holdout", model=chosen,
                               end=f"{pd.Timestamp(calibration_end):%Y-%m-%d}",
                               err=float(table.loc[chosen, "holdout_error_pct"]))
    chosen = table["BIC"].idxmin()
    why = Message("choice.bic", model=chosen)
    if len(table) > 1 and fitted.str.endswith("(NBD limit)").any():
        limit = [m for m, f in fitted.items() if f.endswith("(NBD limit)")]
        why += Message("choice.nbd_limit", models=", ".join(limit))
    return chosen, why


def _share_left(model: BTYDModel, summary: pd.DataFrame) -> float:
    """Implied share of customers who have left: 1 - mean P(alive) at the end of the data."""
    if getattr(model, "model", "") == "nbd":
        return 0.0
    return float(1 - model.p_alive(summary).mean())


def _recommended_actions(segment: pd.Series, not_at_risk: pd.Series,
                         at_risk_action: pd.Series) -> pd.Series:
    """The RFM segment's action where a customer is not at risk, else the at-risk action.

    Built from codes over the dozen distinct sentences: a text column per customer
    is made once, not twice more in passing (about 0.4 GB at 1.7 million customers).
    """
    risk_codes, risk_levels = pd.factorize(at_risk_action)
    seg = segment.astype("category").cat
    seg_levels = [SEGMENT_ACTIONS.get(str(c), "Keep serving.") for c in seg.categories]
    levels = list(dict.fromkeys([*seg_levels, "Keep serving.", *risk_levels]))
    code = {text: i for i, text in enumerate(levels)}
    # Code -1 (a missing segment or action) takes the last entry: "Keep serving." for a
    # segment as before, missing for an action (caught with the scores' other gaps).
    seg_map = np.array([code[t] for t in seg_levels] + [code["Keep serving."]])
    risk_map = np.array([code[t] for t in risk_levels] + [-1])
    codes = np.where(not_at_risk.to_numpy(), seg_map[seg.codes], risk_map[risk_codes])
    text_dtype = pd.Series(levels).dtype  # what pandas makes of text: "str" from pandas 3 on
    if getattr(text_dtype, "storage", None) == "pyarrow":  # decoded by Arrow, no Python strings
        import pyarrow as pa

        text = pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32(), mask=codes < 0),
                                              pa.array(levels, pa.string())).dictionary_decode()
        return pd.Series(pd.array(text, dtype=text_dtype), index=segment.index)
    return pd.Series(pd.Categorical.from_codes(codes, levels), index=segment.index).astype(text_dtype)


def check_client_log(
    transactions: pd.DataFrame, *, customer_id: str = "customer_id", date: str = "date",
    amount: str = "amount", calibration_end=None, dayfirst: bool | None = None,
    date_format: str | None = None, tz: str | None = None,
) -> ValidationResult:
    """The data checks :func:`analyse_client` needs, without fitting anything.

    Validates the log, makes sure enough customers bought more than once for
    the CLV models and, with ``calibration_end``, that both the calibration
    and the holdout period hold purchases.  ``dayfirst``, ``date_format`` and
    ``tz`` are passed to :func:`crm_analysis.validate_transactions`.

    Returns
    -------
    ValidationResult

    Raises
    ------
    CRMDataError
        Any validation failure or too few repeat customers.
    """
    result = validate_transactions(transactions, customer_id=customer_id, date=date, amount=amount,
                                   dayfirst=dayfirst, date_format=date_format, tz=tz)
    _require_rows(result, "check_client_log")
    summary = rfm_summary(result.data, customer_id=customer_id, date=date)
    _require_repeat_customers(summary, customer_id, "check_client_log")
    if calibration_end is not None:
        rfm_summary(result.data, customer_id=customer_id, date=date, calibration_end=calibration_end)
    return result


def _require_rows(result: ValidationResult, where: str) -> None:
    if result.n_input - result.n_dropped == 0:  # a LogFileCleaning holds no rows in data
        raise CRMDataError(
            f"{where}: every one of the {result.n_input:,} rows was dropped in cleaning "
            "(" + ("; ".join(f"{r.check} [{r.column}]: {r.rows:,}" for r in result.report.itertuples())
                   or "no rows") + "); "
            "check the column options (--customer-id, --date, --amount) and the date format."
        )


#: Survey columns that are not attribute ratings: the id, the outcome, the loyalty items
#: (C10) and the branch-level employee satisfaction of the service-profit chain.
SURVEY_NON_DRIVERS = frozenset({
    "customer_id", "overall_satisfaction", "initiative", "repurchase_intent", "recommend",
    "resistance_to_switching", "employee_satisfaction",
})


def check_client_survey(survey: pd.DataFrame, *, missing_codes=None,
                        outcome: str = "overall_satisfaction", scale=None) -> pd.DataFrame:
    """The driver analysis of the report's survey section, run as a check.

    The drivers are the survey's rating columns (:func:`crm_analysis.rating_columns`)
    other than :data:`SURVEY_NON_DRIVERS`; answers in ``missing_codes`` (a
    "not applicable" code of the attribute ratings, CLI ``--survey-missing``)
    and blank answers are dropped and counted.

    Parameters
    ----------
    survey : DataFrame
        One row per respondent; never modified.
    missing_codes : list, optional
        Codes of the attribute ratings that mean "not applicable".
    outcome : str, default "overall_satisfaction"
    scale : (low, high), optional
        Declared answer scale of the ratings (CLI ``--survey-scale``); answers
        off it are refused.

    Returns
    -------
    DataFrame
        The :func:`crm_analysis.driver_importance` table; ``attrs["dropped"]``
        counts the dropped responses by reason.

    Raises
    ------
    CRMDataError
        A rating held as text ("5 stars"), a constant or collinear driver,
        too few complete responses.

    Examples
    --------
    >>> import crm_analysis as crm
    >>> sim = crm.simulate_restaurant_survey(500, 10, seed=1)
    >>> t = check_client_survey(sim.data)
    >>> t.attrs["n_dropped"], len(t)
    (0, 10)
    """
    drivers = rating_columns(survey, exclude=SURVEY_NON_DRIVERS | {outcome})
    if not drivers:
        raise CRMDataError(
            f"check_client_survey: the survey has no attribute rating columns besides "
            f"{sorted(SURVEY_NON_DRIVERS & set(survey.columns))}."
        )
    return driver_importance(survey, outcome, drivers, missing_codes=missing_codes or None,
                             dropna=True, progress=False, scale=scale)


def survey_scales(survey: pd.DataFrame, items, scale=None) -> tuple[dict, bool]:
    """Answer scale of each survey item: the declared one, else the smallest standard scale.

    Rescaling by the observed minimum and maximum would make the loyalty
    index depend on who happened to answer; a declared scale (CLI
    ``--survey-scale``) does not.  Without one, each item gets the first of
    1-5, 1-7, 1-10, 0-10 that holds all its answers, and the caller says so.

    Returns
    -------
    (dict, bool)
        Item -> (low, high), and whether the scale was declared.

    Examples
    --------
    >>> survey_scales(pd.DataFrame({"a": [1, 4, 5], "b": [0, 9, 10]}), ["a", "b"])
    ({'a': (1, 5), 'b': (0, 10)}, False)
    """
    if scale is not None:
        return {c: tuple(scale) for c in items}, True
    out = {}
    for c in items:
        values = pd.to_numeric(survey[c], errors="coerce").dropna()
        lo, hi = (values.min(), values.max()) if len(values) else (1, 5)
        out[c] = next(((a, b) for a, b in _STANDARD_SCALES if a <= lo and hi <= b),
                      (float(lo), float(hi)))
    return out, False


def analyse_survey(survey: pd.DataFrame, scores: pd.DataFrame | None = None, *,
                   missing_codes=None, scale=None) -> SurveyAnalysis:
    """Survey section: satisfaction drivers, NPS, loyalty index and the loyalty matrix.

    Parameters
    ----------
    survey : DataFrame
        One row per respondent (``customer_id``, ``overall_satisfaction``,
        attribute ratings, loyalty items); never modified.
    scores : DataFrame, optional
        :attr:`ClientAnalysis.scores`, to join attitude with behaviour.
    missing_codes : list, optional
        "Not applicable" codes of the attribute ratings (CLI ``--survey-missing``).
    scale : (low, high), optional
        Declared answer scale (CLI ``--survey-scale``).

    Returns
    -------
    SurveyAnalysis

    Examples
    --------
    >>> import crm_analysis as crm
    >>> s = analyse_survey(crm.simulate_restaurant_survey(400, 10, seed=2).data)
    >>> s.n_used, s.scales["recommend"], s.scale_declared
    (400, (0, 10), False)
    """
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SurveyScaleWarning)
        importance = check_client_survey(survey, missing_codes=missing_codes, scale=scale)
    notes += [getattr(w.message, "note", None) or str(w.message) for w in caught
              if issubclass(w.category, SurveyScaleWarning)]
    index_items = [c for c in SURVEY_NON_DRIVERS - {"customer_id", "employee_satisfaction"}
                   if c in survey]
    scales, declared = survey_scales(survey, index_items, scale)
    if not declared and scales:
        notes.append(Message("note.no_scale", scales=", ".join(
            f"{c} {lo:g}-{hi:g}" for c, (lo, hi) in sorted(scales.items()))))
    fields = {"importance": importance, "n_responses": len(survey),
              "n_used": int(importance["n"].iloc[0]),
              "dropped": dict(importance.attrs.get("dropped") or {}),
              "scales": scales, "scale_declared": declared, "notes": notes}
    if "recommend" in survey:
        fields["nps"] = nps(survey, dropna=True)
    try:
        index = loyalty_index(survey, item_range=scales, missing="drop")
    except CRMDataError as exc:
        notes.append(Message("note.no_loyalty_index", reason=str(exc).splitlines()[0]))
        index = None
    if index is not None:
        fields["loyalty_alpha"] = float(index.diagnostics_.loc["overall", "alpha"])
        if scores is not None:
            fields.update(_attitude_and_behaviour(index, scores, notes))
    return SurveyAnalysis(**fields)


def _attitude_and_behaviour(index, scores: pd.DataFrame, notes: list) -> dict:
    """The match counts of survey and log, and the Dick & Basu matrix from 20 matched customers."""
    attitude = index.scores_.groupby(level=0).mean()
    behaviour = scores[["frequency", "T", "clv", "p_alive"]].assign(
        repeat_rate=scores["frequency"] / scores["T"].where(scores["T"] > 0))
    behaviour = behaviour[behaviour["repeat_rate"].notna()]  # T = 0: no rate yet
    attitude.index = attitude.index.astype(str)
    behaviour.index = behaviour.index.astype(str)
    common = attitude.index.intersection(behaviour.index)
    out = {"n_matched": len(common), "n_survey_only": len(attitude) - len(common),
           "n_behaviour_only": len(behaviour) - len(common)}
    if len(common) >= 20:
        joined = join_survey_behaviour(attitude, behaviour, on_unmatched="keep-matched")
        out["matrix"] = dick_basu_segments(joined.data, attitude="loyalty_index",
                                           patronage="repeat_rate", clv="clv")
    else:
        notes.append(Message("note.few_matched", n=len(common)))
    return out


@renamed_kwargs(annual_discount_rate="discount_rate", horizon_weeks="horizon")
def analyse_client(
    transactions,
    *,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    margin: float | None = None,
    cost_per_order: float | None = None,
    calibration_end=None,
    observation_end=None,
    discount_rate: float = 0.10,
    horizon: int = _WEEKS_PER_YEAR,
    dayfirst: bool | None = None,
    date_format: str | None = None,
    tz: str | None = None,
    survey: pd.DataFrame | None = None,
    survey_missing=None,
    survey_scale=None,
    validate: bool = True,
    progress: bool = False,
) -> ClientAnalysis:
    """Validate a client's log, fit and compare the models, and compute every report section.

    Time is measured in weeks from day-level dates (several purchases on one
    day are one purchase occasion), as in the published BTYD analyses.
    BG/NBD and Pareto/NBD are both fitted (each reduces to its no-dropout NBD
    limit when the data show no dropout); the model that scores the
    customers is the one with the smaller holdout error when
    ``calibration_end`` is given, else the smaller BIC.

    Parameters
    ----------
    transactions : DataFrame, ValidationResult or path
        One row per purchase (never modified); the result of
        :func:`crm_analysis.validate_transactions` (used as cleaned); or a
        Parquet file, folder or glob (read with only the three columns).
    customer_id, date, amount : str
        Column names.
    margin : float, optional
        Gross margin as a share of revenue.  Without it CLV and customer
        equity are revenue, and every label says "revenue, not profit".
    cost_per_order : float, optional
        Cost to serve one order; adds ``profit`` = margin x revenue - cost x
        orders over the observed period, and the whale curve.
    calibration_end : date-like, optional
        Adds a holdout check: the models fitted up to this date predict the
        repeat purchases after it.  A Parquet source is analysed by purchase day
        (:func:`crm_analysis.clean_log_files`), so a time of day in
        ``calibration_end`` is not used: its whole day is in the calibration
        period.
    observation_end : date-like, optional
        Last day of the data (default: the last date in the log).
    discount_rate : float, default 0.10
        Converted to a weekly rate for CLV.
    horizon : int, default 52
        CLV and expected-purchase horizon.
    dayfirst, date_format, tz
        How the dates are read (see :func:`crm_analysis.validate_transactions`).
    survey : DataFrame, optional
        Adds the survey section (:func:`analyse_survey`).
    survey_missing, survey_scale
        Passed to :func:`analyse_survey`.
    validate : bool, default True
        False for a log that :func:`crm_analysis.validate_transactions` has
        already cleaned (the CLI's ``cleaned_transactions.parquet``).
    progress : bool, default False
        A tqdm bar over the analysis steps.

    Returns
    -------
    ClientAnalysis

    Raises
    ------
    CRMDataError
        Bad input (see :func:`crm_analysis.validate_transactions`), every row
        dropped, or fewer than ten customers with a repeat purchase.

    Examples
    --------
    >>> import crm_analysis as crm
    >>> result = analyse_client(crm.load_cdnow(), margin=0.3)  # doctest: +SKIP
    >>> result.scores.columns[:4].tolist()  # doctest: +SKIP
    ['frequency', 'recency', 'T', 'monetary_value']
    """
    if margin is not None and not 0 < margin <= 1:
        raise CRMDataError(f"analyse_client: margin must be a share in (0, 1], got {margin!r} "
                           "(CLI --margin).")
    if cost_per_order is not None and cost_per_order < 0:
        raise CRMDataError(f"analyse_client: cost_per_order must be >= 0, got {cost_per_order!r} "
                           "(CLI --cost-per-order).")
    steps = ["validation", "RFM summary", "cohorts", "model fits", "holdout check", "scores",
             "segments and at-risk", "survey"]
    bar = tqdm(total=len(steps), desc="analysis", disable=not progress, leave=False)

    def step(name: str) -> None:
        bar.set_postfix_str(name)
        bar.update(1)

    workdir = None  # holds the day-level log of a Parquet source while the analysis runs
    if isinstance(transactions, ValidationResult):  # already cleaned by the caller
        validation = transactions
    else:
        validation = None
        if validate and is_file_source(transactions):
            import tempfile

            workdir = tempfile.TemporaryDirectory(prefix="crm-analysis-")
            validation = clean_log_files(
                transactions, workdir.name, customer_id=customer_id, date=date, amount=amount,
                observation_end=observation_end, dayfirst=dayfirst, date_format=date_format,
                tz=tz)
        if validation is None:
            raw = (read_log_files(transactions, [customer_id, date, amount])
                   if is_file_source(transactions) else transactions)
            if validate:
                validation = validate_transactions(
                    raw, customer_id=customer_id, date=date, amount=amount,
                    observation_end=observation_end, zero_amounts="keep",
                    dayfirst=dayfirst, date_format=date_format, tz=tz,
                )
            else:
                validation = ValidationResult(
                    data=raw, n_input=len(raw),
                    report=pd.DataFrame(columns=["check", "column", "rows", "action", "examples"]))
    _require_rows(validation, "analyse_client")
    # A log cleaned out of core (LogFileCleaning) is read at day level: one row per
    # customer and purchase day, with its lines, orders and lines of positive amount.
    by_day = isinstance(validation, LogFileCleaning)
    if by_day:
        # Never loaded: every step below reads the file with DuckDB (the day log of a
        # 10-million-line export has about 9 million rows).
        log = source = str(validation.day_log)
        n_lines, last_date = validation.n_kept, validation.last_date
        first_date, mean_amount = validation.first_date, validation.total_amount / n_lines
    else:
        log = source = validation.data
        n_lines, first_date, last_date = len(log), log[date].min(), log[date].max()
        mean_amount = float(log[amount].mean())
    step("validation")
    notes: list[str] = []
    # A date-only observation_end includes that whole day (crm_analysis.dates).
    end = (parse_cutoff(observation_end, "observation_end", where="analyse_client", tz=tz)
           if observation_end is not None else last_date)
    weeks = {"customer_id": customer_id, "date": date, "amount": amount,
             "freq": "D", "freq_multiplier": 7, "observation_end": end}
    summary = rfm_summary(source, **weeks)
    _require_repeat_customers(summary, customer_id, "analyse_client")
    holdout_summary = None
    if calibration_end is not None:
        holdout_summary = rfm_summary(source, calibration_end=calibration_end, **weeks)
    step("RFM summary")

    # The other per-customer aggregations of the log run here, while the process is still
    # small: on a Parquet source each is a DuckDB pass over the day log that needs a few
    # hundred MB for a moment (issue 16: the report's peak memory).
    # Orders to serve are purchase days, as in the RFM summary (same-day purchases are one order).
    if by_day:
        totals = customer_totals(log, customer_id=customer_id,
                                 sums=[amount, "_orders", "_buying"]).rename(
            columns={amount: "revenue", "_orders": "orders"})
        n_buying = int(totals.pop("_buying").sum())  # lines of positive amount
    else:
        totals = customer_totals(log, customer_id=customer_id, sums=[amount],
                                 counts={"orders": date}).rename(columns={amount: "revenue"})
        n_buying = int((log[amount] > 0).sum())
    traits = loyalty_traits(behavioural_loyalty(log, customer_id=customer_id, date=date,
                                                observation_end=end, p_alive=False, horizon=None))
    # Cohorts: a month counts as buying only with a line of positive amount (a month
    # holding only cancellations or returns is not "still buying").
    cohorts = cohort_retention(log, customer_id=customer_id, date=date, freq="M",
                               observation_end=end, buying="_buying" if by_day else amount)
    step("cohorts")

    noise = (DeprecationWarning, PendingDeprecationWarning, FutureWarning, RuntimeWarning)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        models = _fit_all(summary, notes, Message("note.where_whole"))
        step("model fits")
        holdout_models, metrics = {}, None
        if holdout_summary is not None:
            holdout_models = _fit_all(holdout_summary, notes, Message("note.where_calibration"))
            metrics = holdout_metrics(holdout_models, holdout_summary)
        step("holdout check")
        spend = None
        positive = summary["monetary_value"] > 0
        if positive.sum() >= 10:
            try:
                spend = fit_gamma_gamma(summary[positive] if (summary["monetary_value"] < 0).any()
                                        else summary)
            except CRMDataError as exc:  # e.g. every order the same amount: nothing to model
                notes.append(Message("note.no_spend_model", reason=str(exc).splitlines()[0][:160]))
    # Keep the models' own warnings (flat likelihood, no dropout ...), not library deprecations.
    # Advice for Python callers ("Try a small penalizer ...") has no CLI option: cut it.
    # A ModelFitWarning carries its report sentence (a Message, so zh reports translate it).
    notes += list(dict.fromkeys(
        getattr(w.message, "note", None) or str(w.message).splitlines()[0].split(" Try ")[0]
        for w in caught if not issubclass(w.category, noise)))

    # ---- model table and choice
    rows = []
    for label, m in models.items():
        row = {"model": label, "fitted": _fitted_label(label, m),
               "parameters": ", ".join(f"{k} = {v:.4g}" for k, v in m.params_.items()),
               "log_likelihood": float(m.log_likelihood_), "BIC": float(m.bic_),
               "share_left": _share_left(m, summary)}
        if metrics is not None and label in metrics.index:
            hm = holdout_models[label]
            row["calibration_parameters"] = ", ".join(f"{k} = {v:.4g}" for k, v in hm.params_.items())
            row["holdout_error_pct"] = float(metrics.loc[label, "total_error_pct"])
        rows.append(row)
    table = pd.DataFrame(rows).set_index("model")
    chosen, why = _choose_model(table, calibration_end if metrics is not None else None)
    table["chosen"] = table.index == chosen
    model = models[chosen]
    holdout_model = holdout_models.get(chosen)
    holdout_table = None
    if holdout_model is not None:
        holdout_table = holdout_by_frequency(holdout_model, holdout_summary)
        err = float(table.loc[chosen, "holdout_error_pct"])
        if abs(err) > HOLDOUT_ERROR_LIMIT:
            notes.append(Message("note.holdout_off", err=err, limit=HOLDOUT_ERROR_LIMIT))

    # ---- scores
    weekly_rate = period_rate(discount_rate, _WEEKS_PER_YEAR)
    scores = summary.copy()
    scores["p_alive"] = model.p_alive(summary)
    scores["expected_purchases"] = model.expected_purchases(horizon, summary)
    spend_per_order = spend if spend is not None else mean_amount
    scores["clv"] = customer_lifetime_value(
        model, spend_per_order, summary, horizon=horizon,
        discount_rate=weekly_rate, margin=1.0 if margin is None else margin,
    )
    equity_interval = None
    # Beyond EQUITY_INTERVAL_SAMPLE customers the draws rescore a seeded sample, and the
    # interval is carried to the whole base by the ratio of the two point totals: a
    # parameter draw moves every customer's CLV together, so the ratio travels.
    base = (summary if len(summary) <= EQUITY_INTERVAL_SAMPLE
            else summary.sample(EQUITY_INTERVAL_SAMPLE, random_state=0))
    try:  # 90% interval from the uncertainty of the fitted parameters
        from .forecast import clv_interval

        eq = clv_interval(model, spend_per_order, base, horizon=horizon,
                          discount_rate=weekly_rate, margin=1.0 if margin is None else margin,
                          n_draws=EQUITY_INTERVAL_DRAWS, level=0.9, seed=0,
                          progress=False).equity
        scale = 1.0
        if len(base) < len(summary):
            sample_total = float(scores.loc[base.index, "clv"].sum())
            scale = float(scores["clv"].sum()) / sample_total if sample_total > 0 else np.nan
            notes.append(Message("note.interval_sample", draws=EQUITY_INTERVAL_DRAWS,
                                 sample=len(base), n=len(summary)))
        if np.isfinite(scale):
            equity_interval = [float(eq["lower"]) * scale, float(eq["upper"]) * scale]
        else:
            notes.append(Message("note.interval_zero"))
    except CRMDataError as exc:  # standard errors undefined: no interval to give
        notes.append(Message("note.no_interval", reason=str(exc).splitlines()[0][:200]))
    step("scores")

    rfm = rfm_segments(rfm_scores(summary))
    scores = scores.join(rfm.drop(columns=[c for c in rfm.columns if c in scores.columns]))
    scores["revenue"] = totals["revenue"].reindex(scores.index)
    whale = None
    if cost_per_order is not None:
        prof = customer_profitability(
            totals.reset_index(), customer_id=customer_id, revenue="revenue",
            margin=1.0 if margin is None else margin,
            costs={"order handling": ("orders", cost_per_order)},
        )
        scores["profit"] = prof.profit.reindex(scores.index).to_numpy()
        whale = whale_curve(scores["profit"], revenue=scores["revenue"])

    trait_cols = [c for c in traits.columns if traits[c].notna().any()]
    # Only the columns the split reads: it copies its input, one row per customer.
    active = scores[["frequency", "recency", "T", "p_alive"]].join(
        traits[trait_cols].fillna(False).astype(bool))
    split = at_risk_split(active, traits=trait_cols, p_alive="p_alive",
                          min_rhythm_repeats=MIN_RHYTHM_REPEATS)
    scores["at_risk"] = split.data["segment"].reindex(scores.index)
    scores["recommended_action"] = _recommended_actions(
        scores["segment"], scores["at_risk"] == "not at risk",
        split.data["action"].reindex(scores.index))
    del traits, active, split
    segments = scores.groupby("segment", observed=True).agg(
        customers=("clv", "size"), revenue=("revenue", "sum"), clv=("clv", "sum"),
        p_alive=("p_alive", "mean"))
    for col, total in (("customer_share", "customers"), ("revenue_share", "revenue"),
                       ("clv_share", "clv")):
        segments[col] = segments[total] / segments[total].sum() if segments[total].sum() else 0.0
    step("segments and at-risk")

    if n_buying < n_lines:
        notes.append(Message("note.cohort_lines", n=n_lines - n_buying))

    survey_result = None
    if survey is not None:
        survey_result = analyse_survey(survey, scores, missing_codes=survey_missing,
                                       scale=survey_scale)
    step("survey")
    bar.close()

    value_basis = ("revenue, not profit" if margin is None
                   else f"profit at a {margin:.0%} gross margin")
    settings = {"margin": margin, "value_basis": value_basis, "cost_per_order": cost_per_order,
                "annual_discount_rate": discount_rate, "weekly_discount_rate": weekly_rate,
                "horizon_weeks": horizon, "calibration_end": calibration_end,
                "observation_end": end, "time_unit": "weeks (days / 7)",
                "_holdout_metrics": metrics}
    repeaters = scores["frequency"] > 0
    n = len(scores)
    equity = float(scores["clv"].sum())
    top = scores["clv"].sort_values(ascending=False).head(max(1, n // 10)).sum()
    risk_counts = scores["at_risk"].value_counts()
    share_left = float(table.loc[chosen, "share_left"])
    hibernating = int((scores["segment"].astype(str) == "hibernating").sum())
    headline = {
        "n_customers": n, "n_rows": validation.n_input, "n_dropped": validation.n_dropped,
        "n_lines": n_lines, "first_date": first_date, "last_date": last_date,
        "equity": equity, "top10_share": float(top / equity) if equity else 0.0,
        "n_repeat": int(repeaters.sum()),
        "repeat_inactive_share": float((scores.loc[repeaters, "p_alive"] < 0.5).mean()),
        "share_left": share_left, "model": _fitted_label(chosen, model),
        "worth_keeping": int(risk_counts.get("worth keeping", 0)),
        "potentially_dangerous": int(risk_counts.get("potentially dangerous", 0)),
        "hibernating": hibernating, "value_basis": value_basis,
        "equity_interval": equity_interval,
    }
    if "profit" in scores:
        headline["profit"] = float(scores["profit"].sum())
        headline["loss_share"] = float((scores["profit"] < 0).mean())
    if hibernating and share_left < 0.05:
        notes.append(Message("note.hibernating", share_left=share_left, n=hibernating,
                             model=_fitted_label(chosen, model)))
    headline["model_note"] = notes[-1] if hibernating and share_left < 0.05 else ""
    bad = [c for c in scores.columns if scores[c].isna().any()]
    if bad:  # never hand NaN on without a word
        raise CRMDataError(f"analyse_client: missing values in the scores ({bad}); "
                           "please report this with the file's shape.")
    return ClientAnalysis(
        validation=validation, summary=summary, transaction_model=model, spend_model=spend,
        scores=scores, models=models, model_table=table, model_choice=why,
        holdout_summary=holdout_summary, holdout_models=holdout_models,
        holdout_model=holdout_model, holdout_table=holdout_table, segments=segments,
        cohorts=cohorts, whale=whale, survey=survey_result, headline=headline,
        settings=settings, notes=notes)


# --------------------------------------------------------------------------- offline HTML

# nbconvert's "lab" page with every script that would be fetched from a CDN removed:
# require.js (only needed by widgets, which the report has none of), MathJax (math is
# rendered to MathML below, which browsers display natively) and mermaid (no diagrams).
_OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
"""

# Code is left alone: fenced blocks and inline code spans.
_CODE = re.compile(r"(```.*?```|~~~.*?~~~|`[^`\n]*`)", re.DOTALL)
# $$...$$ (display) and $...$ (inline, Pandoc's rule: no space inside the dollars and no
# digit after the closing one, so "$5 and $10" stays text).
_DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.DOTALL)
_INLINE_MATH = re.compile(r"(?<![\\$\w])\$(?=\S)([^$\n]+?)(?<=\S)\$(?![\d$])")


def _math_to_placeholders(text: str, found: dict[str, str], tag: str) -> str:
    """Replace TeX math in Markdown by placeholders; ``found`` maps each to its MathML."""
    from html import escape

    from latex2mathml.converter import convert

    def sub(match: re.Match, display: str) -> str:
        tex = match.group(1).strip()
        try:
            markup = convert(tex, display=display)
        except Exception:  # unsupported TeX is shown as source, not lost
            markup = f'<code class="tex">{escape(match.group(0))}</code>'
        key = f"{tag}{len(found):05d}x"
        found[key] = markup
        return key

    parts = _CODE.split(text)
    for i in range(0, len(parts), 2):  # even parts are prose, odd ones code
        parts[i] = _DISPLAY_MATH.sub(lambda m: sub(m, "block"), parts[i])
        parts[i] = _INLINE_MATH.sub(lambda m: sub(m, "inline"), parts[i])
    return "".join(parts)


def render_report_html(nb, *, show_code: bool = False,
                       title: str = "Customer-relationship report") -> str:
    """A self-contained HTML page of an executed notebook that needs no network.

    nbconvert's "lab" page, without the scripts it would load from a CDN
    (require.js, MathJax, mermaid); charts are embedded as images and TeX
    math in Markdown (``$...$``, ``$$...$$``, in cells and in Markdown
    outputs) is rendered to MathML on the server, which browsers show
    natively.  TeX that cannot be converted is shown as source.

    Parameters
    ----------
    nb : NotebookNode
        The executed notebook; not modified.
    show_code : bool, default False
        Keep the code cells.
    title : str
        The page title (when the notebook has none).

    Returns
    -------
    str
        The HTML page.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Rate $d_w$.")])
    >>> html = render_report_html(nb)
    >>> "<math" in html, "cdnjs" in html, "<script src=" in html
    (True, False, False)
    """
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    nb = copy.deepcopy(nb)
    found: dict[str, str] = {}
    tag = "crmmath" + secrets.token_hex(4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _math_to_placeholders(cell.source, found, tag)
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/markdown" in data:
                data["text/markdown"] = _math_to_placeholders(data["text/markdown"], found, tag)
    exporter = HTMLExporter(
        template_name="lab", template_file="crm_offline.html.j2",
        extra_loaders=[DictLoader({"crm_offline.html.j2": _OFFLINE_TEMPLATE})],
        exclude_input=not show_code, exclude_input_prompt=True, exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    # Markdown rendering has left the placeholders as plain words; put the MathML in.
    return re.sub(f"{tag}\\d{{5}}x", lambda m: found.get(m.group(0), m.group(0)), body)
