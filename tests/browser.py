"""Open rendered HTML pages in headless Chromium and report what a reader would see.

Used by the site and report tests: every image must have loaded (non-zero
natural size), no output area may show a Python traceback, and nothing may be
fetched from the network (each attempt is counted and refused).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def require_browser() -> str:
    """Path of Chromium and a working Playwright; skip locally, fail in CI, when missing."""
    path = chromium_path()
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        path = None
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("headless Chromium / playwright missing in CI (see .ci/run)")
        pytest.skip("Chromium or playwright not installed (apt-get install chromium)")
    return path


@dataclass
class PageCheck:
    url: str
    title: str
    images: int
    broken_images: list[str] = field(default_factory=list)
    tracebacks: int = 0
    links: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    math: int = 0  # formulas typeset by MathJax (mjx-container elements)


def check_pages(paths: list[Path], screenshot_dir: Path) -> list[PageCheck]:
    """Load each page, wait for images, count broken ones and tracebacks, screenshot it."""
    from playwright.sync_api import sync_playwright

    screenshot_dir.mkdir(parents=True, exist_ok=True)
    results = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        # The pages are self-contained: anything fetched from the network is a defect.
        external: list[str] = []

        def refuse(route):
            external.append(route.request.url)
            route.abort()

        page.route(lambda url: not url.startswith(("file:", "data:", "blob:", "about:")), refuse)
        for path in paths:
            external.clear()
            page.goto(path.resolve().as_uri(), wait_until="load")
            # MathJax typesets after the load event; wait for it where the page uses it.
            page.evaluate(
                "() => (window.MathJax && MathJax.startup && MathJax.startup.promise) || null"
            )
            info = page.evaluate(
                """() => {
                  const imgs = Array.from(document.images);
                  const broken = imgs.filter(i => !(i.complete && i.naturalWidth > 0))
                                     .map(i => (i.getAttribute('src') || '').slice(0, 40));
                  const outputs = Array.from(document.querySelectorAll(
                      '.jp-OutputArea-output, .output_subarea, pre'));
                  const tracebacks = outputs.filter(o =>
                      /Traceback \\(most recent call last\\)/.test(o.innerText)).length;
                  const links = Array.from(document.querySelectorAll('a[href]'))
                                     .map(a => a.getAttribute('href'));
                  const math = document.querySelectorAll('mjx-container').length;
                  return {title: document.title, images: imgs.length, broken, tracebacks, links,
                          math};
                }"""
            )
            page.screenshot(path=str(screenshot_dir / f"{path.stem}.png"), full_page=False)
            results.append(
                PageCheck(
                    url=path.name,
                    title=info["title"],
                    images=info["images"],
                    broken_images=info["broken"],
                    tracebacks=info["tracebacks"],
                    links=info["links"],
                    external_requests=list(external),
                    math=info["math"],
                )
            )
        browser.close()
    return results


@dataclass
class OfflineCheck:
    url: str
    leaving: list[str]
    math: int
    raw_tex: int


def check_offline(path: Path, screenshot: Path, settle_ms: int = 1500) -> OfflineCheck:
    """Open one page with the network off and list every request that leaves the file.

    Requests for the page itself and for ``data:``/``blob:`` URLs stay inside the file;
    anything else (a CDN script, a font, an image on a server) is a defect of a
    self-contained page.  Also counts MathML elements and TeX left as ``$...$`` text.
    """
    from playwright.sync_api import sync_playwright

    screenshot.parent.mkdir(parents=True, exist_ok=True)
    url = path.resolve().as_uri()
    seen: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        context = browser.new_context(offline=True, viewport={"width": 1200, "height": 900})
        page = context.new_page()
        page.on("request", lambda request: seen.append(request.url))
        page.goto(url, wait_until="load")
        # Scripts that import modules after DOMContentLoaded (e.g. mermaid) request later.
        page.wait_for_timeout(settle_ms)
        info = page.evaluate(
            """() => ({math: document.querySelectorAll('math').length,
                       raw: (document.body.innerText.match(/\\$[^$\\s][^$\\n]*?\\$/g) || []).length})"""
        )
        page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    leaving = [u for u in seen if u != url and not u.startswith(("data:", "blob:", "about:"))]
    return OfflineCheck(url=path.name, leaving=leaving, math=info["math"], raw_tex=info["raw"])


@dataclass
class SliderCheck:
    url: str
    panels: int
    leaving: list[str]
    errors: list[str]
    before: dict
    after: dict


def move_whatif_slider(path: Path, screenshot_dir: Path, *, panel: int = 0, slider: int = 0,
                       position: int = 2, settle_ms: int = 300) -> SliderCheck:
    """Open a page with what-if panels (crm_analysis.whatif) offline and move one slider.

    Records the panel's chart paths, markers and readout before and after setting range input
    ``slider`` of panel ``panel`` to ``position`` (as a reader dragging it would: the
    ``input`` event fires), every request to a server, script errors, and a
    screenshot of the panel before and after.
    """
    from playwright.sync_api import sync_playwright

    screenshot_dir.mkdir(parents=True, exist_ok=True)
    url = path.resolve().as_uri()
    seen: list[str] = []
    errors: list[str] = []
    state_js = """(root) => ({
        paths: Array.from(root.querySelectorAll('svg path.crm-whatif-series')).map(p => p.getAttribute('d')),
        marks: Array.from(root.querySelectorAll('svg circle')).map(c => c.getAttribute('cx') + ',' + c.getAttribute('cy')),
        readout: Array.from(root.querySelectorAll('.crm-whatif-value b')).map(b => b.textContent),
        charts: root.querySelectorAll('svg.crm-whatif-chart').length,
        sliders: root.querySelectorAll('input[type=range]').length})"""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        context = browser.new_context(offline=True, viewport={"width": 1200, "height": 900})
        page = context.new_page()
        page.on("request", lambda request: seen.append(request.url))
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto(url, wait_until="load")
        page.wait_for_timeout(settle_ms)
        panels = page.locator(".crm-whatif")
        count = panels.count()
        root = panels.nth(panel)
        root.scroll_into_view_if_needed()
        before = root.evaluate(state_js)
        root.screenshot(path=str(screenshot_dir / f"{path.stem}_before.png"))
        root.locator("input[type=range]").nth(slider).fill(str(position))  # fires input
        page.wait_for_timeout(settle_ms)
        after = root.evaluate(state_js)
        root.screenshot(path=str(screenshot_dir / f"{path.stem}_after.png"))
        browser.close()
    # The site's own files (file:) are fine; anything from a server is a defect.
    leaving = [u for u in seen if not u.startswith(("file:", "data:", "blob:", "about:"))]
    return SliderCheck(url=path.name, panels=count, leaving=leaving, errors=errors,
                       before=before, after=after)
