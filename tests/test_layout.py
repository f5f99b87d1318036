"""The map matches the code: DEVELOPERS.md's layout table, the package docstring, ``__all__``."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "crm_analysis"


def _table_rows() -> list[str]:
    """First cells of the layout table of DEVELOPERS.md, backticks removed."""
    text = (ROOT / "DEVELOPERS.md").read_text(encoding="utf-8")
    section = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    return [m.group(1) for m in re.finditer(r"^\| `([^`]+)` \|", section, re.MULTILINE)]


def _on_disk() -> list[str]:
    """What the table must list: top-level modules, packages, and the modules of simulate/."""
    names = [p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    names += [p.name + "/" for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()]
    names += [f"simulate/{p.name}" for p in (PACKAGE / "simulate").glob("*.py")
              if p.name != "__init__.py"]
    return sorted(names)


def test_layout_table_lists_every_module_once():
    rows = _table_rows()
    assert len(rows) == len(set(rows)), "a module has two rows"
    assert sorted(rows) == _on_disk(), (
        "DEVELOPERS.md's layout table and crm_analysis/ differ: add or remove the row"
    )


def test_every_plotting_module_mirrors_an_analysis_module():
    plots = {p.stem for p in (PACKAGE / "plotting").glob("*.py") if not p.stem.startswith("_")}
    analysis = {p.stem for p in PACKAGE.glob("*.py")}
    assert plots - analysis == set()


def test_package_docstring_names_every_public_module():
    import crm_analysis as crm

    public = {p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_")}
    public |= {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    named = set(re.findall(r":mod:`~crm_analysis\.(\w+)`", crm.__doc__))
    assert named == public
    private = {p.stem for p in PACKAGE.glob("_*.py")} - {"__init__"}
    assert all(f"``{name}``" in crm.__doc__ for name in private)


def test_top_level_all_is_built_from_the_modules():
    import crm_analysis as crm

    expected = {m.__name__.rpartition(".")[2] for m in crm._ANALYSIS_MODULES} - {"errors"}
    expected |= {"plotting", "simulate"}
    for module in crm._ANALYSIS_MODULES:
        expected |= set(module.__all__)
    for names in crm._NAMESPACE_NAMES.values():
        expected |= set(names)
    assert sorted(crm.__all__) == sorted(expected)
    assert len(crm.__all__) == len(set(crm.__all__))


def test_no_two_modules_export_different_objects_under_one_name():
    import crm_analysis as crm

    owner: dict[str, object] = {}
    clashes = []
    for module in crm._ANALYSIS_MODULES:
        for name in module.__all__:
            obj = getattr(module, name)
            if name in owner and owner[name] is not obj:
                clashes.append(name)
            owner.setdefault(name, obj)
    assert clashes == []
    # and the top level gives the module's own object
    assert all(getattr(crm, name) is obj for name, obj in owner.items())


def test_every_analysis_module_is_re_exported():
    import crm_analysis as crm

    listed = {m.__name__.rpartition(".")[2] for m in crm._ANALYSIS_MODULES}
    # io and cli are used through their own names (crm_analysis.io.read_table, the command).
    public = {p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_")} - {"io", "cli"}
    assert listed == public
