"""The package works when installed from a wheel, not only from a clone.

Builds the wheel from a copy of the sources, installs it (without dependencies) into a
fresh virtual environment whose third-party packages come from the running environment
(a ``.pth`` file), and from a folder outside the repository runs ``crm-analysis report``
on the CDNOW export and calls every ``load_*()``.  The bundled tables and the report
template must come from the installed package, never from the repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["pyproject.toml", "README.md", "crm_analysis", "data", "notebooks/templates"]


def _run(args, cwd, env, timeout=300):
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, f"{args}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def _setuptools_new_enough() -> bool:
    try:
        import setuptools
    except ImportError:
        return False
    return int(setuptools.__version__.split(".")[0]) >= 77


def test_pyproject_lists_every_subpackage():
    """Mapped folders rule out packages.find, so a new sub-package must be listed by hand."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    on_disk = {"crm_analysis"} | {
        "crm_analysis." + ".".join(p.parent.relative_to(ROOT / "crm_analysis").parts)
        for p in (ROOT / "crm_analysis").rglob("__init__.py") if p.parent != ROOT / "crm_analysis"
    }
    assert on_disk <= listed, f"add to [tool.setuptools] packages: {sorted(on_disk - listed)}"
    assert listed - on_disk == {"crm_analysis.data", "crm_analysis.templates"}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    if not _setuptools_new_enough():
        if os.environ.get("CI"):
            pytest.fail("setuptools>=77 is needed to build the wheel (dev extra)")
        pytest.skip("setuptools>=77 not installed (pip install -e '.[dev]')")
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    for name in SOURCES:
        target = src / name
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target)
    # Nothing of the repository or of the developer's PYTHONPATH may leak into the install.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    # No build isolation: the build uses the setuptools of this environment, offline.
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
          "-w", base / "dist", src], cwd=base, env=env)
    (wheel,) = (base / "dist").glob("crm_analysis-*.whl")
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=base, env=env)
    python = venv / "bin" / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     cwd=base, env=env).strip())
    # Third-party packages come from this environment; .pth files found there are not run,
    # so its editable crm_analysis stays out of reach.
    (site / "_third_party.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
          "-q", wheel], cwd=base, env=env)
    # Likewise nbconvert's HTML templates, which pip installs as data files under the prefix
    # of the environment that holds nbconvert (share/jupyter), not on the import path.
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    work = base / "elsewhere"
    work.mkdir()
    return {"python": python, "bin": venv / "bin", "site": site, "work": work, "env": env}


def test_installed_package_is_the_wheel(installed):
    out = _run([installed["python"], "-c", """
import json, sys
import crm_analysis, crm_analysis.datasets as ds
from jupyter_client.kernelspec import KernelSpecManager
argv0 = KernelSpecManager().get_kernel_spec("python3").argv[0]
# jupyter_client starts a spec whose command is plain "python" with its own interpreter
kernel = sys.executable if argv0 in ("python", "python3", "python3.11") else argv0
print(json.dumps({"package": crm_analysis.__file__, "data": str(ds.DATA_DIR / "sbg_cohorts.csv"),
                  "kernel": kernel}))
"""], cwd=installed["work"], env=installed["env"])
    where = json.loads(out)
    site = installed["site"].resolve()
    assert Path(where["package"]).resolve().is_relative_to(site), where
    assert Path(where["data"]).resolve().is_relative_to(site / "crm_analysis" / "data"), where
    # The report's notebook kernel is this venv's interpreter, so it imports the wheel too.
    assert Path(where["kernel"]).parent == installed["python"].parent, where


def test_every_loader_works_installed(installed):
    out = _run([installed["python"], "-c", """
import json
import crm_analysis as crm
loaders = [n for n in crm.datasets.__all__ if n.startswith("load_")]
assert set(crm.list_datasets()["loader"]) <= set(loaders)
print(json.dumps({n: len(getattr(crm, n)()) for n in loaders}))
"""], cwd=installed["work"], env=installed["env"])
    rows = json.loads(out)
    assert rows["load_sbg_cohorts"] == 13 and rows["load_cdnow"] == 6919
    assert all(n > 0 for n in rows.values()), rows


def test_report_runs_from_the_wheel(installed):
    cli = installed["bin"] / "crm-analysis"
    work = installed["work"]
    _run([cli, "datasets", "--export", "load_cdnow", "--out", "cdnow.csv"], cwd=work,
         env=installed["env"])
    out = _run([cli, "report", "cdnow.csv", "--amount", "amount", "--out", "report"], cwd=work,
               env=installed["env"], timeout=600)
    assert "done: report/report.html" in out
    html = (work / "report" / "report.html").read_text()
    assert "Summary and recommended actions" in html and "Traceback" not in html
    assert len((work / "report" / "customer_scores.csv").read_text().splitlines()) == 2357 + 1
