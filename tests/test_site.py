"""The notebook site renders in a real browser: every chart loads, no page shows a traceback."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from browser import check_pages, require_browser

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _png_outputs(nb_path: Path) -> int:
    nb = json.loads(nb_path.read_text())
    return sum(
        1
        for cell in nb["cells"] if cell["cell_type"] == "code"
        for out in cell.get("outputs", []) if "image/png" in out.get("data", {})
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    # Same renderer as `make demo`, on the committed (already executed) notebooks.
    out = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_site.py"), "--no-execute",
                    "--out", str(out)], check=True, capture_output=True)
    return out


def test_committed_notebooks_are_executed_with_charts():
    assert NOTEBOOKS, "no notebooks"
    for nb_path in NOTEBOOKS:
        nb = json.loads(nb_path.read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
        assert all(c.get("execution_count") for c in code), f"{nb_path.name}: unexecuted cells"
        errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, f"{nb_path.name}: error outputs"
        assert _png_outputs(nb_path) >= 1, f"{nb_path.name}: no chart"


def test_index_links_every_notebook(site):
    index = (site / "index.html").read_text()
    for nb_path in NOTEBOOKS:
        assert f'href="{nb_path.stem}.html"' in index


def test_site_in_headless_chromium(site):
    require_browser()
    pages = [site / "index.html"] + [site / f"{p.stem}.html" for p in NOTEBOOKS]
    checks = check_pages(pages, ROOT / "build" / "screenshots" / "site")
    by_name = {c.url: c for c in checks}
    assert len(by_name["index.html"].links) == len(NOTEBOOKS)
    for nb_path in NOTEBOOKS:
        c = by_name[f"{nb_path.stem}.html"]
        assert c.images == _png_outputs(nb_path), f"{c.url}: {c.images} images drawn"
        assert not c.broken_images, f"{c.url}: broken images {c.broken_images}"
        assert c.tracebacks == 0, f"{c.url}: shows a traceback"
        # Links to other notebooks point at rendered pages, not .ipynb files.
        assert not [h for h in c.links if h.endswith(".ipynb")], c.url
