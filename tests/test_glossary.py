"""crm.glossary(): complete against the concept map, terms as written in the seed texts."""

import json
import operator
import os
import re
from pathlib import Path

import pytest
from matplotlib.ft2font import FT2Font

import crm_analysis as crm
from crm_analysis.errors import CRMDataError

ROOT = Path(__file__).resolve().parent.parent


def _shared() -> Path | None:
    """The folder with seeds/ and concepts.md (beside the repository), or $CRM_SHARED_DIR."""
    candidates = [os.environ.get("CRM_SHARED_DIR"), ROOT.parent / "shared", ROOT.parent.parent / "shared"]
    for c in candidates:
        if c and (Path(c) / "seeds").is_dir():
            return Path(c)
    return None


SHARED = _shared()
needs_seeds = pytest.mark.skipif(SHARED is None, reason="seed texts not found (set CRM_SHARED_DIR)")


@pytest.fixture(scope="module")
def table():
    return crm.glossary()


@pytest.fixture(scope="module")
def seeds():
    return {p.name[:3]: p.read_text(encoding="utf-8") for p in sorted((SHARED / "seeds").glob("*.txt"))}


def test_at_least_sixty_terms_with_all_columns(table):
    assert len(table) >= 60
    assert list(table.columns) == ["chinese", "script", "english", "concept", "seed", "notebook", "function"]
    assert table[["chinese", "english", "concept", "seed", "notebook"]].notna().all().all()
    assert not table.duplicated(["chinese", "seed"]).any()


def test_every_concept_of_the_map_has_a_term(table):
    ids = {f"C{i}" for i in range(1, 31)}
    if SHARED is not None:  # the ids the concept map actually defines
        ids |= {f"C{n}" for n in re.findall(r"\bC(\d+)\b", (SHARED / "concepts.md").read_text())}
    assert ids - set(table["concept"]) == set()
    assert set(table["concept"]) <= ids


@needs_seeds
def test_each_chinese_term_occurs_in_its_seed(table, seeds):
    missing = [(r.chinese, r.seed) for r in table.itertuples() if r.chinese not in seeds[r.seed]]
    assert not missing


@needs_seeds
def test_traditional_and_simplified_forms_kept(table, seeds):
    # seed 000 is in traditional characters: its forms, not converted ones, are listed
    assert {"客戶保持", "客戶忠誠", "客戶流失"} <= set(table.loc[table["seed"] == "000", "chinese"])
    assert (table.loc[table["seed"] == "000", "script"] == "traditional").all()
    assert "客户保持" not in seeds["000"]
    assert {"客户叛逃", "赢返", "值得保留的客户", "潜在危险的客户", "交叉销售", "利润贡献", "客户资产",
            "更多", "更久", "更深"} <= set(table["chinese"])


def test_named_functions_exist(table):
    named = table["function"].dropna()
    assert len(named) >= 60
    missing = []
    for name in named:
        try:
            assert callable(operator.attrgetter(name)(crm))
        except AttributeError:
            missing.append(name)
    assert not missing


def test_notebook_sections_exist(table):
    for section in table["notebook"].unique():
        stem, number = re.fullmatch(r"(\d\d_\w+) §(\d+)", section).groups()
        nb = json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text())
        headings = [line for c in nb["cells"] if c["cell_type"] == "markdown"
                    for line in "".join(c["source"]).splitlines() if line.startswith("## ")]
        assert any(re.match(rf"## {number}\.", h) for h in headings), section


def test_chinese_terms_have_glyphs_in_the_chart_font(table):
    path = crm.plotting.cjk_font()
    assert path is not None
    charmap = FT2Font(str(path)).get_charmap()
    chars = {ch for text in table["chinese"] for ch in text if ord(ch) > 0x2E80}
    assert sorted(ch for ch in chars if ord(ch) not in charmap) == []


def test_filters(table):
    c24 = crm.glossary(concept="C24")
    assert set(c24["concept"]) == {"C24"} and len(c24) == (table["concept"] == "C24").sum()
    assert set(crm.glossary(seed="000")["script"]) == {"traditional"}


def test_caller_cannot_change_the_table():
    g = crm.glossary()
    g.loc[0, "english"] = "changed"
    assert crm.glossary().loc[0, "english"] != "changed"


@pytest.mark.parametrize("kwargs, match", [
    ({"concept": "C31"}, "glossary: concept 'C31' names no term"),
    ({"concept": "c1"}, "glossary: concept 'c1' names no term"),
    ({"seed": "004"}, "glossary: seed '004' names no term"),
])
def test_unknown_filter_is_refused(kwargs, match):
    with pytest.raises(CRMDataError, match=match):
        crm.glossary(**kwargs)
