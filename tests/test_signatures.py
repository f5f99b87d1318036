"""Public signatures follow the naming glossary of DEVELOPERS.md ("one name per idea").

Every public function and public method of the modules below is read with
``inspect``; each breach of the glossary is named ``module.qualname(param): rule``.
The breaches that exist today are listed in ``KNOWN`` with the name they should
take (issue 15, "One vocabulary"): a new breach fails, and so does an entry of
``KNOWN`` that no longer occurs (remove it when the signature is fixed).  Error
messages are checked in the source of every module: each ``CRMDataError``
message starts with the ``function_name:`` prefix.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import numpy as np
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "crm_analysis"

#: Modules whose public signatures are checked.  forecast, cli (and the modules being
#: added by other work: glossary, whatif, plotting/_style) are not yet covered.
MODULES = [
    "errors", "transactions", "dates", "io", "datasets", "clv", "covariates", "retention",
    "drivers", "loyalty", "segments", "churn", "basket", "equity", "largedata", "scoring",
    "report", "discounting", "forecast", "fitted", "whatif", "messages",
    "plotting.basket", "plotting.churn", "plotting.clv", "plotting.drivers", "plotting.equity",
    "plotting.forecast", "plotting.loyalty", "plotting.retention", "plotting.segments",
    "plotting.transactions",
    "simulate.brokerage", "simulate.joint", "simulate.largelog", "simulate.lockin",
    "simulate.lost", "simulate.messy", "simulate.sbg", "simulate.survey",
]

#: Parameter names the glossary retires, and the name to use.
RETIRED = {
    "discount": "discount_rate",
    "annual_discount_rate": "discount_rate",
    "horizon_weeks": "horizon",
    "clv_weeks": "horizon",
    "period_days": "periods_per_year or time_unit",
    "ci": "level",
    "group": "by",
    "random_state": "seed",
    "rng": "seed",
}

#: ``by`` defaults that are ranking metrics, not grouping columns.
_METRICS = {"lift", "confidence", "support", "leverage", "conviction"}

#: Breaches that exist today, each with the issue that fixes it; remove an entry when it is
#: fixed.  Empty: issue 15 (one vocabulary) renamed them all, old names kept for one release
#: behind a DeprecationWarning (``crm_analysis/_deprecation.py``).
KNOWN: dict[str, str] = {}

#: Most ``CRMDataError`` messages without the ``function_name:`` prefix, per module.
#: None: every message of every module names its function (issue 15).
UNPREFIXED_AT_MOST: dict[str, int] = {}


def _callables():
    """(module short name, qualname, function) of every public function and method."""
    for short in MODULES:
        module = importlib.import_module(f"crm_analysis.{short}")
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if getattr(obj, "__module__", None) != module.__name__:
                continue  # re-exported from elsewhere; checked at home
            if inspect.isfunction(obj):
                yield short, name, obj
            elif inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith("_") and attr != "__call__":
                        continue
                    if isinstance(member, (classmethod, staticmethod)):
                        member = member.__func__
                    if inspect.isfunction(member):
                        yield short, f"{name}.{attr}", member


def _param_doc(func, name: str) -> str:
    """The numpydoc description of parameter ``name`` (empty if none)."""
    doc = inspect.getdoc(func) or ""
    body = doc.split("Parameters\n----------", 1)[-1]
    match = re.search(rf"^{name}\b[^\n]*\n((?:[ \t]+[^\n]*\n?)*)", body, re.MULTILINE)
    return match.group(0) if match else ""


def breaches_of(where: str, func) -> list[str]:
    """The glossary rules ``func`` breaks, as ``where(param): rule`` strings."""
    out = []
    for p in inspect.signature(func).parameters.values():
        tag = f"{where}({p.name}): "
        if p.name in RETIRED:
            out.append(tag + f"retired name, use {RETIRED[p.name]}")
        if p.name == "freq" and isinstance(p.default, (int, float)) and not isinstance(p.default, bool):
            out.append(tag + "freq is a period code, not a number")
        if p.name == "by":
            doc = _param_doc(func, "by")
            if p.default in _METRICS or re.search(r"\brank\w*|\bsort(?:ed)? (?:by|on)\b", doc):
                out.append(tag + "by is a ranking metric here, use sort_by")
        if p.name == "seed":
            if p.kind is not p.KEYWORD_ONLY:
                out.append(tag + "seed must be keyword-only")
            if p.default is None or p.default is p.empty:
                out.append(tag + "seed needs an int default, not None")
        if p.name == "progress" and (p.kind is not p.KEYWORD_ONLY or not isinstance(p.default, bool)):
            out.append(tag + "progress must be keyword-only with a bool default")
    return out


def _all_breaches() -> set[str]:
    return {b for short, qual, func in _callables() for b in breaches_of(f"{short}.{qual}", func)}


def test_no_new_breach_of_the_glossary():
    new = sorted(_all_breaches() - set(KNOWN))
    assert new == [], "follow the naming glossary of DEVELOPERS.md"


def test_known_breaches_still_exist():
    fixed = sorted(set(KNOWN) - _all_breaches())
    assert fixed == [], "fixed: remove these entries from KNOWN"


def test_every_checked_module_has_public_callables():
    seen = {short for short, _, _ in _callables()}
    assert set(MODULES) - seen <= {"errors"}  # errors: the exception class only


# --------------------------------------------------------------------- the checker itself


def _f_retired(data, *, discount=0.1, ci=0.95):
    """Example."""


def _f_sort_by(data, *, by="lift"):
    """Example."""


def _f_rank_doc(data, *, by=None):
    """Example.

    Parameters
    ----------
    data : DataFrame
        Input.
    by : str, optional
        Rule strength used to rank offers.
    """


def _f_group_doc(data, *, by=None):
    """Example.

    Parameters
    ----------
    data : DataFrame
        Input.
    by : str, optional
        Segment column; groups come out in sorted order.
    """


def _f_seed_positional(n, seed=0):
    """Example."""


def _f_seed_none(n, *, seed=None, progress=1):
    """Example."""


def _f_freq_number(data, *, freq=1.0):
    """Example."""


_GENERATOR = np.random.default_rng(0)


def _f_good(data, *, by=None, seed=0, progress=True, freq="W", level=0.9, horizon=52,
            discount_rate=0.1, state=_GENERATOR):
    """Example."""


@pytest.mark.parametrize(
    "func, expected",
    [
        (_f_retired, ["f(discount): retired name, use discount_rate",
                      "f(ci): retired name, use level"]),
        (_f_sort_by, ["f(by): by is a ranking metric here, use sort_by"]),
        (_f_rank_doc, ["f(by): by is a ranking metric here, use sort_by"]),
        (_f_group_doc, []),
        (_f_seed_positional, ["f(seed): seed must be keyword-only"]),
        (_f_seed_none, ["f(seed): seed needs an int default, not None",
                        "f(progress): progress must be keyword-only with a bool default"]),
        (_f_freq_number, ["f(freq): freq is a period code, not a number"]),
        (_f_good, []),
    ],
    ids=["retired", "sort-key-default", "sort-key-doc", "grouping-by", "seed-positional",
         "seed-none-progress-int", "freq-number", "good"],
)
def test_checker_finds_each_breach(func, expected):
    assert breaches_of("f", func) == expected


# --------------------------------------------------------------------- error messages

_PREFIX = re.compile(r"^(\{\}|[A-Za-z_][\w.]*(\(\))?)(\.[A-Za-z_]\w*)*:")


def _leading_text(node) -> str | None:
    """The literal start of a message expression; ``{}`` for an interpolated part."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _leading_text(node.left)
    return None


def unprefixed_messages(source: str) -> int:
    """``raise CRMDataError(<message>)`` whose message lacks the ``name:`` prefix."""
    count = 0
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
                and getattr(node.exc.func, "id", "") == "CRMDataError" and node.exc.args):
            text = _leading_text(node.exc.args[0])
            if text is not None and not _PREFIX.match(text):
                count += 1
    return count


def _source(short: str) -> str:
    return (PACKAGE / (short.replace(".", "/") + ".py")).read_text(encoding="utf-8")


#: Every module of the package, the private ones and the command line included.
_ALL_MODULES = sorted(str(p.relative_to(PACKAGE).with_suffix("")).replace("/", ".")
                      for p in PACKAGE.rglob("*.py") if p.name != "__init__.py")


@pytest.mark.parametrize("short", _ALL_MODULES)
def test_error_messages_start_with_the_function_name(short):
    assert unprefixed_messages(_source(short)) <= UNPREFIXED_AT_MOST.get(short, 0)


@pytest.mark.parametrize(
    "source, expected",
    [
        ('raise CRMDataError("f: bad")', 0),
        ('raise CRMDataError(f"{where}: column {c!r} bad")', 0),
        ('raise CRMDataError("column x is bad")', 1),
        ('raise CRMDataError(f"freq must be one of {x}")', 1),
        ('raise CRMDataError("f: column " + describe_rows(d, m))', 0),
    ],
    ids=["prefixed", "where-variable", "plain", "f-string", "concatenated"],
)
def test_message_checker(source, expected):
    assert unprefixed_messages(source) == expected
