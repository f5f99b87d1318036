"""pyproject.toml and environment.yml list the same runtime packages."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _names(specs):
    return {re.split(r"[<>=!~ \[]", s.strip(), maxsplit=1)[0].lower().replace("_", "-") for s in specs}


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = _names(project["dependencies"])
    dev = _names(project["optional-dependencies"]["dev"])
    spec = yaml.safe_load((ROOT / "environment.yml").read_text())
    env_specs = []
    for item in spec["dependencies"]:
        if isinstance(item, dict):  # the pip: section
            env_specs += [s for s in item["pip"] if not s.startswith("-e")]
        elif not item.startswith(("python=", "pip")) or item.startswith("pip-"):
            env_specs.append(item)
    env = _names(env_specs)
    missing = runtime - env
    assert not missing, f"in pyproject.toml but not environment.yml: {sorted(missing)}"
    extra = env - runtime - dev
    assert not extra, f"in environment.yml but not pyproject.toml: {sorted(extra)}"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```")[1]
    commands = [ln.strip() for ln in first_block.splitlines()[1:] if ln.strip()]
    assert commands == ["make demo", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_public_names_resolve_and_are_unique():
    import crm_analysis as crm
    from crm_analysis import plotting, simulate

    for module in (crm, plotting, simulate):
        names = module.__all__
        assert len(names) == len(set(names)), f"{module.__name__}: duplicate names in __all__"
        missing = [n for n in names if not hasattr(module, n)]
        assert not missing, f"{module.__name__}.__all__ lists undefined names: {missing}"
