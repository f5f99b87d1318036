"""The package's import graph: no cycle, and no module importing a layer above its own.

Every module is parsed with ``ast`` (never imported), and every ``import`` and
``from ... import`` inside the package is collected, including the ones inside
functions: a lazy import hides a cycle from Python but not from a reader.
Imports under ``if TYPE_CHECKING:`` are annotations only and are skipped.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "crm_analysis"

#: The declared layers, bottom first.  A module may import its own layer or
#: any layer below it, never one above.  A package (``plotting``, ``simulate``)
#: is one unit: its ``__init__`` and modules count as the package.
LAYERS = [
    ["errors", "_deprecation", "_allocator"],
    ["_checks", "_cleaning", "_resources", "dates", "io", "fitted", "discounting", "_likelihood"],
    ["_summary"],                     # the RFM summary core shared by every engine
    ["largedata"],                    # out-of-core summary engines (DuckDB, Dask)
    ["transactions", "datasets", "simulate", "glossary", "messages"],
    ["drivers", "segments", "basket", "retention", "churn"],
    ["_pareto_likelihood"],            # the Pareto/NBD likelihood and gradient behind clv
    ["clv"],
    ["forecast", "covariates", "scoring", "equity", "loyalty"],
    ["plotting", "report", "whatif"],
    ["cli"],
]

#: Known edges that break the rule, each with the issue that removes it.  Keep
#: this list short; an entry here is a debt, not a design.
ALLOWED: set[tuple[str, str]] = set()


def _unit(module: str) -> str:
    """Package-level name of a module: ``plotting.clv`` -> ``plotting``."""
    return module.split(".")[0]


def _module_name(path: Path, root: Path = PACKAGE) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = [p for p in rel.parts if p != "__init__"]
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, root: Path = PACKAGE) -> set[str]:
    """Package modules imported anywhere in ``path`` (relative to the package)."""
    module = _module_name(path, root)
    # The package a relative import of level 1 starts from.
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "crm_analysis":
                    found.add(".".join(alias.name.split(".")[1:]))
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if (node.module or "").split(".")[0] != "crm_analysis":
                    return
                base = (node.module or "").split(".")[1:]
            else:
                base = package[: len(package) - (node.level - 1)] + (
                    node.module.split(".") if node.module else []
                )
            if node.module is None or (node.level == 0 and not base):
                # ``from . import x``: x is a submodule (or a name of the package).
                for alias in node.names:
                    found.add(".".join(base + [alias.name]))
            else:
                found.add(".".join(base))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    found.discard("")
    return found


def _graph() -> dict[str, set[str]]:
    """Unit-level import graph (self-imports within a unit dropped)."""
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        if module == "":
            continue  # the package __init__ re-exports everything by design
        unit = _unit(module)
        targets = {_unit(t) for t in _imports(path)} - {unit, ""}
        graph.setdefault(unit, set()).update(targets)
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    colour: dict[str, int] = {}
    stack: list[str] = []

    def dfs(node: str) -> list[str] | None:
        colour[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if (node, nxt) in ALLOWED:
                continue
            if colour.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if colour.get(nxt) is None:
                cycle = dfs(nxt)
                if cycle:
                    return cycle
        stack.pop()
        colour[node] = 2
        return None

    for start in sorted(graph):
        if colour.get(start) is None:
            cycle = dfs(start)
            if cycle:
                return cycle
    return None


def test_every_module_has_a_layer():
    units = set(_graph())
    declared = {u for layer in LAYERS for u in layer}
    assert units - declared == set(), "add the new module to LAYERS in tests/test_imports.py"
    assert declared - units == set(), "LAYERS names a module that no longer exists"
    flat = [u for layer in LAYERS for u in layer]
    assert len(flat) == len(set(flat))


def test_no_import_cycle():
    cycle = _find_cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_no_upward_import():
    rank = {u: i for i, layer in enumerate(LAYERS) for u in layer}
    upward = sorted(
        (src, dst)
        for src, targets in _graph().items()
        for dst in targets
        if dst in rank and rank[dst] > rank[src] and (src, dst) not in ALLOWED
    )
    assert upward == []


def test_allowed_exceptions_still_exist():
    # An exception that no longer occurs must leave the list.
    graph = _graph()
    assert [edge for edge in sorted(ALLOWED) if edge[1] not in graph.get(edge[0], set())] == []


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from . import largedata\n", {"largedata"}),
        ("def f():\n    from .clv import fit_btyd\n", {"clv"}),
        ("from ..errors import CRMDataError\n", {"errors"}),
        ("import crm_analysis.transactions as t\n", {"transactions"}),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .clv import BTYDModel\n",
         set()),
    ],
    ids=["sibling-module", "function-level", "parent-package", "absolute", "type-checking"],
)
def test_walker_sees_every_kind_of_import(tmp_path, source, expected):
    # The walker itself, on small files placed where a package module would be.
    fake = tmp_path / "crm_analysis"
    (fake / "plotting").mkdir(parents=True)
    path = fake / ("plotting/x.py" if source.startswith("from ..") else "x.py")
    path.write_text(source)
    assert _imports(path, fake) == expected


def test_cycle_finder_finds_a_cycle():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None
