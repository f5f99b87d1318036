"""Every concept notebook ends with exercises, checked solutions and a references cell.

The structure is read from the committed notebooks (no kernel): the exercises are Markdown
cells headed ``### Exercise N (level): ...``, each followed by one solution code cell tagged
``solution`` and ``hide-cell`` (collapsed on the site and in JupyterLab) that checks its result
(an ``assert`` or a ``# NBVAL_CHECK_OUTPUT`` print) and ran without error; the last cell credits
the seed texts by title. Whether the solutions compute the right numbers is checked by nbval
(their printed results) and by their own assertions when the notebooks run.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The concept notebooks, 00-07, and the formula sheet 08 carry exercises.
WITH_EXERCISES = ["00", "01", "02", "03", "04", "05", "06", "07", "08"]
SEED_TITLES = ["Misconceptions of CRM and countermeasures", "Five steps to cultivate customer loyalty",
               "Dancing to the customer's steps", "CRM goals: more, longer, deeper"]
LEVELS = ("warm-up", "practice", "research")


def _cells(nn: str) -> list[dict]:
    path = next((ROOT / "notebooks").glob(f"{nn}_*.ipynb"))
    return json.loads(path.read_text())["cells"]


def _src(cell: dict) -> str:
    return "".join(cell["source"])


def _tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _exercises(cells: list[dict]) -> list[tuple[int, dict]]:
    return [(i, c) for i, c in enumerate(cells)
            if c["cell_type"] == "markdown" and re.match(r"###\s+Exercise\s+\d", _src(c))]


@pytest.mark.parametrize("nn", WITH_EXERCISES)
def test_three_to_five_exercises_from_warm_up_to_research(nn):
    exercises = _exercises(_cells(nn))
    assert 3 <= len(exercises) <= 5, f"{nn}: {len(exercises)} exercises"
    numbers = [int(re.match(r"###\s+Exercise\s+(\d+)", _src(c)).group(1)) for _, c in exercises]
    assert numbers == list(range(1, len(exercises) + 1)), numbers
    levels = [re.search(r"\(([\w-]+)\)", _src(c).splitlines()[0]).group(1) for _, c in exercises]
    assert set(levels) <= set(LEVELS), levels
    assert levels[0] == "warm-up" and levels[-1] == "research", levels


@pytest.mark.parametrize("nn", WITH_EXERCISES)
def test_each_exercise_has_a_hidden_checked_executed_solution(nn):
    cells = _cells(nn)
    for i, ex in _exercises(cells):
        sol = cells[i + 1]
        title = _src(ex).splitlines()[0]
        assert sol["cell_type"] == "code", f"{nn} {title}: no solution cell after it"
        assert {"solution", "hide-cell"} <= set(_tags(sol)), f"{nn} {title}: solution not hidden"
        assert sol["metadata"]["jupyter"]["source_hidden"], f"{nn} {title}: visible in JupyterLab"
        code = _src(sol)
        assert code.startswith("# NBVAL_CHECK_OUTPUT"), f"{nn} {title}: output not checked by nbval"
        assert "assert " in code, f"{nn} {title}: the solution checks nothing"
        assert sol.get("execution_count"), f"{nn} {title}: not executed"
        outputs = sol.get("outputs", [])
        assert outputs and not [o for o in outputs if o.get("output_type") == "error"], f"{nn} {title}"


@pytest.mark.parametrize("nn", WITH_EXERCISES)
def test_solutions_are_worked_with_the_library(nn):
    # A by-hand warm-up may check a library result built above; most solutions call the library.
    cells = _cells(nn)
    sols = [_src(cells[i + 1]) for i, _ in _exercises(cells)]
    library = re.compile(r"\bcrm\.|\.(p_alive|expected_spend|expected_purchases|retention_rate|derl|summary)\(")
    assert sum(bool(library.search(s)) for s in sols) >= len(sols) / 2, nn


@pytest.mark.parametrize("nn", WITH_EXERCISES)
def test_exercises_come_last_then_references(nn):
    cells = _cells(nn)
    first = _exercises(cells)[0][0] - 1   # the "## Exercises" introduction
    assert _src(cells[first]).startswith("## Exercises")
    # Nothing of the notebook's own analysis after the exercises: only exercises and references.
    assert all({"exercise", "solution", "references"} & set(_tags(c)) for c in cells[first:])
    last = cells[-1]
    assert last["cell_type"] == "markdown" and "references" in _tags(last)
    text = _src(last)
    assert text.startswith("## References")
    assert any(t in text for t in SEED_TITLES), f"{nn}: no seed text credited by title"


@pytest.mark.parametrize("nn", WITH_EXERCISES)
def test_references_name_only_seed_titles_that_exist(nn):
    text = _src(_cells(nn)[-1])
    # Seed texts are the bullets that open with an italic title; the literature opens with authors.
    named = re.findall(r"^- \*([^*]+)\*", text, flags=re.MULTILINE)
    assert named and all(n in SEED_TITLES for n in named), named
