"""Execute the narrative notebooks and render them to a browsable HTML site.

Usage::

    python scripts/build_site.py --out site      # execute copies, write site/
    python scripts/build_site.py --in-place      # re-execute notebooks/*.ipynb in place

The site holds one self-contained HTML page per notebook (charts embedded as
data URIs, so it works offline) and an ``index.html`` linking them, each with
the one-line description taken from the notebook's opening cell.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import time
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import ExecutePreprocessor

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def notebook_paths() -> list[Path]:
    """Numbered narrative notebooks in reading order (templates excluded)."""
    return sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def title_and_description(nb) -> tuple[str, str]:
    """Title (first heading) and first sentence of the opening markdown cell."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        lines = [ln.strip() for ln in cell.source.splitlines() if ln.strip()]
        title = next((ln.lstrip("# ").strip() for ln in lines if ln.startswith("#")), "")
        body = " ".join(ln for ln in lines if not ln.startswith("#"))
        body = re.sub(r"[*_`]|\[([^\]]*)\]\([^)]*\)", r"\1", body)
        sentence = re.split(r"(?<=[.!?])\s", body, maxsplit=1)[0]
        return title, sentence
    return "", ""


def execute(nb, path: Path, timeout: int) -> None:
    ExecutePreprocessor(timeout=timeout, kernel_name="python3").preprocess(
        nb, {"metadata": {"path": str(path.parent)}}
    )


INDEX = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>crm-analysis notebooks</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.5; }}
h1 {{ margin-bottom: 0.2rem; }}
li {{ margin: 0.8rem 0; }}
a {{ font-weight: 600; color: #0072B2; }}
.meta {{ color: #666; font-size: 0.9rem; }}
</style></head>
<body>
<h1>crm-analysis</h1>
<p class="meta">Customer-relationship analytics notebooks, executed {stamp}.</p>
<ol>
{items}
</ol>
</body></html>
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="site", help="output folder for the HTML site")
    parser.add_argument("--in-place", action="store_true",
                        help="re-execute notebooks/*.ipynb in place instead of building the site")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    parser.add_argument("--no-execute", action="store_true",
                        help="render the committed outputs as they are (no kernel)")
    args = parser.parse_args(argv)

    paths = notebook_paths()
    if not paths:
        print("no notebooks found in notebooks/", file=sys.stderr)
        return 1
    out = Path(args.out) if Path(args.out).is_absolute() else (ROOT / args.out).resolve()
    if not args.in_place:
        out.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter(template_name="lab")
    items = []
    for path in paths:
        start = time.perf_counter()
        nb = nbformat.read(path, as_version=4)
        if not args.no_execute:
            execute(nb, path, args.timeout)
        took = time.perf_counter() - start
        if args.in_place:
            nbformat.write(nb, path)
            print(f"executed {path.relative_to(ROOT)} in {took:.1f} s")
            continue
        title, desc = title_and_description(nb)
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title or path.stem}})
        # Links between notebooks point at their rendered pages in the site.
        body = re.sub(r'href="(\d\d_[\w-]+)\.ipynb', r'href="\1.html', body)
        target = out / f"{path.stem}.html"
        target.write_text(body, encoding="utf-8")
        items.append(
            f'<li><a href="{html.escape(target.name)}">{html.escape(title or path.stem)}</a>'
            f"<br>{html.escape(desc)}</li>"
        )
        print(f"rendered {target} in {took:.1f} s")
    if not args.in_place:
        (out / "index.html").write_text(
            INDEX.format(items="\n".join(items), stamp=time.strftime("%Y-%m-%d %H:%M")),
            encoding="utf-8",
        )
        print(f"\nSite ready: {out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
