"""The documentation site builds without a warning and renders offline in a real browser.

The site is the Sphinx project in ``docs/`` (``make demo`` builds it into ``site/``). Here it
is built from the committed notebook outputs with warnings as errors, then every notebook
page, the landing page and some reference pages are opened in headless Chromium with the
network refused: charts load, no page shows a traceback, nothing is fetched from outside,
and the CLV notebook's formulas are typeset.
"""

import json
import re
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
    # Same build as `make demo`, minus the notebook execution, with warnings as errors
    # (-W): a broken reference, a malformed docstring or a notebook that fails to render
    # fails here. -E: a fresh environment, so every page is read and can warn.
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-q", "-b", "html",
         "-d", str(out / ".doctrees"), str(ROOT / "docs"), str(out / "html")],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert proc.returncode == 0, f"sphinx-build failed:\n{proc.stderr[-5000:]}"
    return out / "html", proc.stderr


def test_committed_notebooks_are_executed_with_charts():
    assert NOTEBOOKS, "no notebooks"
    for nb_path in NOTEBOOKS:
        nb = json.loads(nb_path.read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
        assert all(c.get("execution_count") for c in code), f"{nb_path.name}: unexecuted cells"
        errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, f"{nb_path.name}: error outputs"
        assert _png_outputs(nb_path) >= 1, f"{nb_path.name}: no chart"


def test_site_builds_without_warnings(site):
    html, stderr = site
    assert "WARNING" not in stderr and "ERROR" not in stderr, stderr
    assert (html / "index.html").is_file()


def test_index_links_every_notebook(site):
    index = (site[0] / "index.html").read_text()
    for nb_path in NOTEBOOKS:
        assert f'href="notebooks/{nb_path.stem}.html"' in index, nb_path.stem


def _solution_cells(nb_path: Path) -> int:
    nb = json.loads(nb_path.read_text())
    return sum(1 for c in nb["cells"] if "solution" in c.get("metadata", {}).get("tags", []))


def test_index_shows_a_card_per_notebook(site):
    import crm_analysis as crm

    index = (site[0] / "index.html").read_text()
    cards = re.findall(r'<div class="crm-card docutils container">(.*?)</dl>', index, re.DOTALL)
    assert len(cards) == len(NOTEBOOKS)
    labels = set(crm.list_datasets()["provenance"]) | {"simulated"}
    for nb_path, card in zip(NOTEBOOKS, cards, strict=True):
        # In reading order, each with its thumbnail, concepts, provenance and exercises.
        assert f'href="notebooks/{nb_path.stem}.html"' in card, nb_path.stem
        assert re.search(r'<img[^>]+class="crm-card-thumb', card), nb_path.stem
        concepts = re.search(r'crm-card-concepts[^>]*><p>(.*?)</p>', card).group(1)
        assert re.match(r"C\d+ ", concepts), (nb_path.stem, concepts)
        data = re.search(r'crm-card-provenance[^>]*><p>(.*?)</p>', card).group(1)
        assert set(data.split("; ")) <= labels, (nb_path.stem, data)
        exercises = re.search(r'crm-card-exercises[^>]*><p>(.*?)</p>', card).group(1)
        expected = _solution_cells(nb_path)
        assert exercises == (str(expected) if expected else "none"), (nb_path.stem, exercises)
    # The teaching pages are linked from the front page.
    assert 'href="guide.html"' in index


def test_solutions_are_collapsed_on_the_site(site):
    for nb_path in NOTEBOOKS:
        n = _solution_cells(nb_path)
        page = (site[0] / "notebooks" / f"{nb_path.stem}.html").read_text()
        # MyST-NB's hide-cell: a closed <details> whose summary reads "Show solution".
        hidden = re.findall(r'<div class="cell tag_hide-cell tag_solution[^"]*">\s*<details([^>]*)>'
                            r'\s*<summary[^>]*>\s*<p class="collapsed admonition-title">Show solution</p>',
                            page)
        assert len(hidden) == n, (nb_path.stem, len(hidden), n)
        assert not [h for h in hidden if "open" in h], nb_path.stem


def test_markdown_outputs_render_tables_and_dollars_stay_text(site):
    for nb_path in NOTEBOOKS:
        page = (site[0] / "notebooks" / f"{nb_path.stem}.html").read_text()
        # A pipe table in a Markdown output (the before/now tables) becomes an HTML table...
        assert not re.search(r"<p>\|[^<]*\|\s*\n\|", page), f"{nb_path.stem}: a table shown as text"
        # ...and "US$ 20 ... US$ 590" stays text instead of becoming a formula.
        formulas = re.findall(r'class="math[^"]*">([^<]*)<', page)
        assert not [f for f in formulas if "US" in f], f"{nb_path.stem}: {formulas}"


def _public_names():
    import crm_analysis as crm
    from crm_analysis import plotting, simulate

    names = set(crm.__all__) | set(plotting.__all__) | set(simulate.__all__)
    modules = {n for n in names if type(getattr(crm, n, None)).__name__ == "module"}
    return sorted(names - modules)


def test_every_public_name_has_a_reference_page_found_by_search(site):
    html = site[0]
    pages = {p.stem.rpartition(".")[2]: p for p in (html / "api" / "generated").glob("*.html")}
    missing = [n for n in _public_names() if n not in pages]
    assert not missing, f"no reference page: {missing}"
    # Sphinx's search index lists each documented object, so the search box finds it.
    index = (html / "searchindex.js").read_text()
    objects = json.loads(re.search(r"setIndex\((.*)\)", index, re.DOTALL).group(1))["objects"]
    found = {name for entries in objects.values() for entry in entries
             for name in [entry[-1] if isinstance(entry[-1], str) else ""]}
    not_found = [n for n in _public_names() if n not in found]
    assert not not_found, f"not in the search index: {not_found}"


def test_function_names_link_to_their_reference(site):
    html = site[0]
    clv = (html / "notebooks" / "02_customer_lifetime_value.html").read_text()
    # A call in a code cell (sphinx-codeautolink) and inline code in the text both link.
    assert re.search(r'href="\.\./api/generated/crm_analysis\.fit_btyd\.html[^"]*"', clv)
    # A docstring's mention of another module's function links across pages.
    page = (html / "api" / "generated" / "crm_analysis.fit_btyd.html").read_text()
    assert 'href="crm_analysis.rfm_summary.html' in page


def test_data_page_renders_list_datasets(site):
    import crm_analysis as crm

    page = (site[0] / "data.html").read_text()
    table = crm.list_datasets()
    for column in table.columns:
        assert f"<p>{column}</p>" in page, column
    for loader in table["loader"]:
        assert f"crm_analysis.{loader}.html" in page, loader


def test_site_in_headless_chromium_offline(site):
    require_browser()
    html = site[0]
    pages = ([html / "index.html", html / "api" / "generated" / "crm_analysis.fit_btyd.html",
              html / "search.html"]
             + [html / "notebooks" / f"{p.stem}.html" for p in NOTEBOOKS])
    checks = check_pages(pages, ROOT / "build" / "screenshots" / "site")
    by_name = {c.url: c for c in checks}
    for c in checks:
        assert not c.external_requests, f"{c.url} fetched {c.external_requests}"
        assert not c.broken_images, f"{c.url}: broken images {c.broken_images}"
        assert c.tracebacks == 0, f"{c.url}: shows a traceback"
    # One thumbnail per notebook card on the front page, all loaded (no broken image above).
    assert by_name["index.html"].images >= len(NOTEBOOKS)
    for nb_path in NOTEBOOKS:
        c = by_name[f"{nb_path.stem}.html"]
        assert c.images == _png_outputs(nb_path), f"{c.url}: {c.images} images drawn"
        # Links to other notebooks point at rendered pages, not .ipynb files.
        assert not [h for h in c.links if h.endswith(".ipynb")], c.url
    # The CLV notebook's formulas are typeset by the MathJax copy inside the site.
    assert by_name["02_customer_lifetime_value.html"].math >= 5


def test_search_finds_a_function_offline(site):
    require_browser()
    from browser import CHROMIUM_FLAGS, chromium_path
    from playwright.sync_api import sync_playwright

    search = (site[0] / "search.html").resolve().as_uri() + "?q=fit_btyd"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        page = browser.new_page()
        page.route(lambda url: not url.startswith(("file:", "data:")), lambda r: r.abort())
        page.goto(search, wait_until="load")
        # Sphinx's search runs in the page over searchindex.js, no server involved.
        page.wait_for_selector("#search-results li a", timeout=20_000)
        hrefs = page.eval_on_selector_all("#search-results li a",
                                          "links => links.map(a => a.getAttribute('href'))")
        browser.close()
    assert any("crm_analysis.fit_btyd.html" in h for h in hrefs), hrefs


@pytest.mark.parametrize(
    ("code", "target"),
    [
        ("crm.fit_btyd", "crm_analysis.fit_btyd"),
        ("fit_btyd()", "crm_analysis.fit_btyd"),
        ('crm.load_complete_journey("transactions")', "crm_analysis.load_complete_journey"),
        ("crm.plotting.plot_whale_curve", "crm_analysis.plotting.plot_whale_curve"),
        ("crm.plotting", "crm_analysis.plotting"),
        ("churn", None),  # a module's bare name may be a column: no link
        ("frequency_cal", None),  # a column name stays plain code
        ("crm.no_such_function", None),
        ("log.groupby('customer_id')", None),
    ],
)
def test_inline_code_link_targets(code, target):
    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    import crm_docs

    crm_docs.PUBLIC.update({
        "fit_btyd": "crm_analysis.fit_btyd",
        "load_complete_journey": "crm_analysis.load_complete_journey",
        "plot_whale_curve": "crm_analysis.plotting.plot_whale_curve",
    })
    assert crm_docs._target(code) == target


@pytest.mark.parametrize("panel, slider, position", [(0, 1, 4), (1, 0, 2), (2, 2, 5), (3, 0, 1)],
                         ids=["clv-margin", "dick-basu-attitude", "fee-spillover", "whale-contact-cost"])
def test_what_if_sliders_move_the_charts_offline(site, panel, slider, position):
    # Notebook 09's panels work without a kernel: moving a slider redraws the chart from the
    # numbers carried in the page, and nothing is fetched from a server.
    require_browser()
    from browser import move_whatif_slider

    page = site[0] / "notebooks" / "09_what_if.html"
    check = move_whatif_slider(page, ROOT / "build" / "screenshots" / "whatif" / f"site_panel{panel}",
                               panel=panel, slider=slider, position=position)
    assert check.panels == 4
    assert not check.leaving, check.leaving
    assert not check.errors, check.errors
    assert check.before["charts"] == 2
    assert check.after["paths"] != check.before["paths"]
    assert check.after["readout"] != check.before["readout"]


def test_card_facts_of_a_small_notebook(tmp_path):
    import base64
    import io

    import nbformat
    from PIL import Image

    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    import crm_docs

    def png(colour):
        buf = io.BytesIO()
        Image.new("RGB", (8, 4), colour).save(buf, format="PNG")
        return base64.b64encode(buf.getvalue()).decode()

    v4 = nbformat.v4
    nb = v4.new_notebook(cells=[
        v4.new_markdown_cell("# Title\n\nFirst sentence. Second."),
        v4.new_markdown_cell("## 1. C14 - who is best; C99 is no concept"),
        v4.new_code_cell("a = crm.load_cdnow()\nb = crm.load_telco_churn()", outputs=[
            v4.new_output("display_data", data={"image/png": png("red")})]),
        v4.new_code_cell("s = crm.simulate_brokerage_customers(10)", outputs=[
            v4.new_output("display_data", data={"image/png": png("blue")})],
            metadata={"tags": ["thumbnail"]}),
        v4.new_markdown_cell("### Exercise 1 (warm-up): C17 in an exercise is not a concept"),
        v4.new_code_cell("crm.load_donations()", metadata={"tags": ["solution"]}),
        v4.new_markdown_cell("### Exercise 2 (research): two"),
    ])
    path = tmp_path / "99_test.ipynb"
    nbformat.write(nb, path)
    facts = crm_docs.notebook_card_facts(path)
    assert facts["concepts"] == ["C14"]     # headings only; not the README's table (no row)
    # Loaders of solutions do not count (load_donations is a published table).
    assert facts["provenance"] == ["real", "public teaching sample (fictional company)", "simulated"]
    assert facts["exercises"] == 2
    # The tagged chart, not the first one, is the thumbnail.
    assert Image.open(io.BytesIO(facts["png"])).getpixel((0, 0)) == (0, 0, 255)
    crm_docs.write_thumbnail(facts["png"], tmp_path / "t.png", width=4)
    assert Image.open(tmp_path / "t.png").size == (4, 2)
