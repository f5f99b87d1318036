"""What the crm-analysis site needs beyond Sphinx's own extensions.

- The API reference is generated from the package's ``__all__`` lists, so every public
  name has a page and a name added to the package appears without touching the docs.
  Pages are grouped by module in the order of the layout table of ``DEVELOPERS.md``.
- ``crm.fit_btyd`` written as inline code (in a notebook's Markdown, a page or a
  docstring) links to the reference entry of that name, and Python cross-references
  that do not resolve by Sphinx's rules (``:func:`fit_btyd``` written in another module)
  are looked up by their last component among the public names.
- ``.. crm-datasets::`` renders ``crm.list_datasets()`` as a table, whatever columns it has.
- The numbered notebooks of ``notebooks/`` are copied into ``docs/notebooks/`` at each
  build (links between notebooks resolve there) and rendered from their saved outputs.
- ``.. crm-glossary::`` renders ``crm.glossary()`` (Chinese-English terms of the seed texts).
- ``.. crm-teaching-links::`` links the glossary, formula sheet and instructor guide that exist.
- ``.. crm-notebooks::`` shows the numbered notebooks as cards: first sentence, a chart
  thumbnail, concepts, data provenance and number of exercises.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import posixpath
import re
import shutil
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx import addnodes
from sphinx.pycode import ModuleAnalyzer
from sphinx.transforms import SphinxTransform

DOCS = Path(__file__).resolve().parent.parent
ROOT = DOCS.parent
API = DOCS / "api"
GENERATED = API / "generated"

# (page, module whose names it documents, short title): the layout table of DEVELOPERS.md,
# then the modules that table does not list.
GROUPS = [
    ("errors", "crm_analysis.errors", "the exception for bad input"),
    ("fitted", "crm_analysis.fitted", "the base of every fitted model"),
    ("transactions", "crm_analysis.transactions", "transaction logs and the RFM summary"),
    ("dates", "crm_analysis.dates", "the one date rule of every engine"),
    ("datasets", "crm_analysis.datasets", "real datasets, loaded offline"),
    ("clv", "crm_analysis.clv", "customer lifetime value"),
    ("forecast", "crm_analysis.forecast", "predictive distributions, intervals, saved models"),
    ("covariates", "crm_analysis.covariates", "BTYD models with customer covariates"),
    ("retention", "crm_analysis.retention", "retention curves and economics"),
    ("drivers", "crm_analysis.drivers", "satisfaction drivers"),
    ("loyalty", "crm_analysis.loyalty", "loyalty: attitude and behaviour"),
    ("segments", "crm_analysis.segments", "customer profitability and segments"),
    ("churn", "crm_analysis.churn", "lost and at-risk customers"),
    ("basket", "crm_analysis.basket", "baskets, cross-sell and up-sell"),
    ("equity", "crm_analysis.equity", "customer equity and growth levers"),
    ("glossary", "crm_analysis.glossary", "Chinese-English glossary of the seed texts"),
    ("simulate", "crm_analysis.simulate", "simulated data with known truth"),
    ("plotting", "crm_analysis.plotting", "charts and the shared style"),
    ("largedata", "crm_analysis.largedata", "large logs: DuckDB and Dask summaries"),
    ("scoring", "crm_analysis.scoring", "scoring a large base in chunks or on Dask"),
    ("report", "crm_analysis.report", "the client analysis"),
    ("io", "crm_analysis.io", "reading and writing client files"),
    ("whatif", "crm_analysis.whatif", "what-if sliders for the site and JupyterLab"),
    ("discounting", "crm_analysis.discounting", "discounting: one rule for every valuation"),
    ("messages", "crm_analysis.messages", "the report's words in English and Chinese"),
]

#: short name -> documented full name, filled by :func:`generate_api`.
PUBLIC: dict[str, str] = {}


def _defining_module(name: str, package) -> str:
    """The submodule of ``package`` that lists ``name`` in its own ``__all__``."""
    for info in pkgutil.iter_modules(package.__path__):
        mod = importlib.import_module(f"{package.__name__}.{info.name}")
        if name in getattr(mod, "__all__", ()):
            return mod.__name__
    return package.__name__


def _public_path(name: str, group_module: str) -> str:
    import crm_analysis as crm
    from crm_analysis import plotting, simulate

    # Document each name where users call it: crm.X first, then crm.plotting.X, ...
    if name in crm.__all__:
        return f"crm_analysis.{name}"
    if name in plotting.__all__:
        return f"crm_analysis.plotting.{name}"
    if name in simulate.__all__:
        return f"crm_analysis.simulate.{name}"
    return f"{group_module}.{name}"


def _kind(obj) -> str:
    if inspect.isclass(obj):
        return "exception" if issubclass(obj, BaseException) else "class"
    if callable(obj):
        return "function"
    return "data"


def _attr_doc(module: str, name: str) -> list[str]:
    """The ``#:`` comment above a module-level constant."""
    try:
        docs = ModuleAnalyzer.for_module(module).find_attr_docs()
    except Exception:  # noqa: BLE001 - no source: no comment
        return []
    return list(docs.get(("", name), []))


def _stub(fullname: str, obj, defining: str) -> str:
    module, _, short = fullname.rpartition(".")
    # The short name as title keeps the sidebar readable; the signature shows the full one.
    lines = [short, "=" * len(short), "", f".. currentmodule:: {module}", ""]
    kind = _kind(obj)
    if kind == "class":
        lines += [f".. autoclass:: {short}", "   :members:", ""]
    elif kind == "exception":
        lines += [f".. autoexception:: {short}", ""]
    elif kind == "function":
        lines += [f".. autofunction:: {short}", ""]
    else:
        lines += [f".. py:data:: {short}", f"   :type: {type(obj).__name__}", ""]
        lines += ["   " + ln if ln else "" for ln in _attr_doc(defining, short)]
    return "\n".join(lines) + "\n"


def _write_if_changed(path: Path, text: str) -> None:
    # Unchanged files keep their mtime, so Sphinx's incremental build stays incremental.
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def generate_api() -> dict[str, list[str]]:
    """Write ``api/<group>.rst`` and one ``api/generated/<name>.rst`` per public name."""
    import crm_analysis as crm
    from crm_analysis import plotting, simulate

    public = (set(crm.__all__) | set(plotting.__all__) | set(simulate.__all__))
    public = {n for n in public if not inspect.ismodule(getattr(crm, n, None))}
    GENERATED.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    written: set[str] = set()
    groups: dict[str, list[str]] = {}
    for page, modname, short in GROUPS:
        module = importlib.import_module(modname)
        names = [n for n in module.__all__ if n not in seen]
        seen.update(names)
        fullnames = []
        for name in names:
            obj = getattr(module, name)
            fullname = _public_path(name, modname)
            defining = _defining_module(name, module) if hasattr(module, "__path__") else modname
            _write_if_changed(GENERATED / f"{fullname}.rst", _stub(fullname, obj, defining))
            written.add(f"{fullname}.rst")
            fullnames.append(fullname)
            PUBLIC[name] = fullname
            PUBLIC[fullname] = fullname
        groups[page] = fullnames
        _write_if_changed(API / f"{page}.rst", _group_page(page, modname, short, fullnames))
    missing = sorted(public - seen)
    if missing:
        raise RuntimeError(f"public names on no API page (add their module to GROUPS): {missing}")
    for stale in GENERATED.glob("*.rst"):
        if stale.name not in written:
            stale.unlink()
    return groups


def _group_page(page: str, modname: str, short: str, fullnames: list[str]) -> str:
    # The module docstring below repeats its own first line in full.
    title = f"{page}: {short}"
    lines = [f".. _api-{page}:", "", title, "=" * len(title), "",
             f".. automodule:: {modname}", "   :no-members:",
             # crm_analysis.glossary is both a module and the function it exports:
             # index the function, show the module's docstring only.
             *(["   :no-index:"] if modname in fullnames else []), "",
             "", ".. currentmodule:: None", "",
             ".. autosummary::", "   :nosignatures:", ""]
    lines += [f"   ~{n}" for n in fullnames]
    lines += ["", ".. toctree::", "   :hidden:", ""]
    lines += [f"   generated/{n}" for n in fullnames]
    return "\n".join(lines) + "\n"


# --- links from inline code -------------------------------------------------------

_CODE = re.compile(r"^(?:crm_analysis\.|crm\.)?(?:plotting\.|simulate\.)?([A-Za-z_]\w*)(\(.*\))?$",
                   re.DOTALL)


_MODULE = re.compile(r"^(?:crm_analysis|crm)\.(\w+)$")


def _target(text: str) -> str | None:
    # `crm.plotting` names a module page; a bare `churn` may be a column, so no link.
    m = _MODULE.match(text.strip())
    if m and m.group(1) in {page for page, _, _ in GROUPS}:
        return f"crm_analysis.{m.group(1)}"
    m = _CODE.match(text.strip())
    return PUBLIC.get(m.group(1)) if m else None


class LinkPublicNames(SphinxTransform):
    """Turn inline code naming a public function into a link to its reference page."""

    default_priority = 500

    def apply(self, **kwargs) -> None:
        for node in list(self.document.findall(nodes.literal)):
            if isinstance(node.parent, (addnodes.pending_xref, nodes.reference)):
                continue
            if any(isinstance(a, (nodes.literal_block, nodes.title, addnodes.desc_signature))
                   for a in _ancestors(node)):
                continue
            target = _target(node.astext())
            if target is None:
                continue
            ref = addnodes.pending_xref("", refdomain="py", reftype="obj", reftarget=target,
                                        refexplicit=True, refwarn=False,
                                        refdoc=self.env.docname)
            ref["py:module"] = None
            ref["py:class"] = None
            node.replace_self(ref)
            ref += node


def _ancestors(node):
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def resolve_public_name(app, env, node, contnode):
    """Last resort for Python cross-references: a public name written without its module."""
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "").lstrip("~.")
    short = target.rpartition(".")[2]
    if target.startswith(("crm_analysis.", "crm.")) or "." not in target:
        full = PUBLIC.get(short)
    else:
        full = None
    if full is None or full == target:
        return None
    domain = env.get_domain("py")
    return domain.resolve_xref(env, node["refdoc"], app.builder, node.get("reftype", "obj"),
                               full, node, contnode)


# --- generated tables ---------------------------------------------------------------

def _cell(value) -> nodes.entry:
    text = "" if value is None else str(value)
    para = nodes.paragraph()
    if text in PUBLIC:
        # A loader's name links to its reference page.
        para += _xref(PUBLIC[text], nodes.literal(text, text))
    else:
        para += nodes.Text(text)
    return nodes.entry("", para)


def _xref(target: str, content: nodes.Node) -> addnodes.pending_xref:
    ref = addnodes.pending_xref("", refdomain="py", reftype="obj", reftarget=target,
                                refexplicit=True, refwarn=False)
    ref["py:module"] = None
    ref["py:class"] = None
    ref += content
    return ref


class DatasetsTable(Directive):
    """``crm.list_datasets()`` as a table: one row per dataset, every column it returns."""

    css = "crm-datasets"

    def frame(self):
        import crm_analysis as crm

        return crm.list_datasets()

    def run(self):
        frame = self.frame()
        table = nodes.table(classes=[self.css])
        group = nodes.tgroup(cols=len(frame.columns))
        table += group
        group += [nodes.colspec(colwidth=1) for _ in frame.columns]
        head = nodes.thead()
        head += nodes.row("", *[_cell(c) for c in frame.columns])
        body = nodes.tbody()
        for values in frame.itertuples(index=False):
            body += nodes.row("", *[_cell(v) for v in values])
        group += [head, body]
        return [table]


class GlossaryTable(DatasetsTable):
    """``crm.glossary()`` as a table; library functions link to their reference pages."""

    css = "crm-glossary"

    def frame(self):
        import crm_analysis as crm

        return crm.glossary()


def title_and_description(path: Path) -> tuple[str, str]:
    """Title (first heading) and first sentence of a notebook's opening Markdown cell."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        lines = [ln.strip() for ln in cell.source.splitlines() if ln.strip()]
        title = next((ln.lstrip("# ").strip() for ln in lines if ln.startswith("#")), path.stem)
        body = " ".join(ln for ln in lines if not ln.startswith("#"))
        body = re.sub(r"[*_`]|\[([^\]]*)\]\([^)]*\)", r"\1", body)
        return title, re.split(r"(?<=[.!?])\s", body, maxsplit=1)[0]
    return path.stem, ""


# Short names of the seed concepts (the concept ids used in notebook headings and the README).
CONCEPTS = {
    "C1": "retention is not loyalty", "C2": "behaviour-only CRM misses the bond",
    "C3": "lock-in is not a relationship", "C4": "repeat transactions are not a relationship",
    "C7": "drivers depend on context", "C8": "leadership gestures", "C10": "five loyalty components",
    "C11": "value, systems, people", "C12": "complaints and recovery", "C13": "three kinds of needs",
    "C14": "who is your best customer", "C15": "the customer as an asset",
    "C16": "surveys look backwards", "C17": "over-selling and punitive fees", "C18": "customer clubs",
    "C22": "more, longer, deeper", "C24": "win back selectively", "C25": "new segments",
    "C26": "five loyal traits", "C27": "retention economics", "C28": "at-risk customers",
    "C29": "cross-sell and up-sell", "C30": "the directions interact",
}
_CONCEPT_ID = re.compile(r"\bC(\d{1,2})\b")
_LOADER = re.compile(r"\b(load_\w+|simulate_\w+)\(")
THUMBS = DOCS / "notebooks" / "_thumbs"
#: provenance labels in reading order (crm.list_datasets() plus simulations).
PROVENANCE_ORDER = ["real", "published table", "public teaching sample (fictional company)",
                    "artificial", "simulated"]


def readme_concepts() -> dict[str, list[str]]:
    """Concept ids per notebook from the README's notebook table (the curated list)."""
    out: dict[str, list[str]] = {}
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        m = re.match(r"\|\s*`(\d\d_\w+)`\s*\|([^|]*)\|", line)
        if m:
            ids = []
            for part in re.findall(r"C(\d{1,2})(?:-C(\d{1,2}))?", m.group(2)):
                lo = int(part[0])
                hi = int(part[1]) if part[1] else lo
                ids += [f"C{i}" for i in range(lo, hi + 1) if f"C{i}" in CONCEPTS]
            out[m.group(1)] = list(dict.fromkeys(ids))
    return out


def notebook_card_facts(path: Path) -> dict:
    """What an index card shows of a notebook: concepts, data provenance, exercises, thumbnail.

    Concepts are the ids (C1...) of the README's notebook table, else those named in the
    notebook's headings and bold lead-ins; provenance
    comes from the loaders it calls (``crm.list_datasets()``) and ``simulate_*`` calls; the
    exercises are its ``### Exercise`` cells; the thumbnail is the PNG output of the cell tagged
    ``thumbnail``, else the first chart.
    """
    import base64

    import nbformat

    import crm_analysis as crm

    nb = nbformat.read(path, as_version=4)
    concepts = readme_concepts().get(path.stem, [])
    from_headings = not concepts
    loaders: set[str] = set()
    exercises = 0
    png = None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            if re.match(r"###\s+Exercise\b", cell.source.lstrip()):
                exercises += 1
                continue
            if "references" in cell.metadata.get("tags", []):
                continue
            heads = [ln for ln in cell.source.splitlines() if ln.startswith("#") or ln.startswith("**")]
            for ln in heads if from_headings else []:
                for num in _CONCEPT_ID.findall(ln):
                    cid = f"C{num}"
                    if cid in CONCEPTS and cid not in concepts:
                        concepts.append(cid)
        else:
            if "solution" not in cell.metadata.get("tags", []):
                loaders.update(_LOADER.findall(cell.source))
            tagged = "thumbnail" in cell.metadata.get("tags", [])
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if "image/png" in data and (png is None or tagged):
                    png = data["image/png"]
                    break
    table = crm.list_datasets()
    by_loader = dict(zip(table["loader"], table["provenance"], strict=True))
    found = {by_loader[n] for n in loaders if n in by_loader}
    if any(n.startswith("simulate_") for n in loaders):
        found.add("simulated")
    provenance = [p for p in PROVENANCE_ORDER if p in found] + sorted(found - set(PROVENANCE_ORDER))
    return {"concepts": concepts, "provenance": provenance, "exercises": exercises,
            "png": base64.b64decode(png) if png else None}


def write_thumbnail(png: bytes, target: Path, width: int = 480) -> None:
    """A small copy of a chart for the index card (unchanged files keep their mtime)."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png))
    if image.width > width:
        image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    data = buffer.getvalue()
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists() or target.read_bytes() != data:
        target.write_bytes(data)


def _doc_link(target: str, content: nodes.Node) -> addnodes.pending_xref:
    ref = addnodes.pending_xref("", refdomain="std", reftype="doc", reftarget=target,
                                refexplicit=True, refwarn=True)
    ref += content
    return ref


class NotebookList(Directive):
    """The numbered notebooks in reading order, each as a card.

    A card shows the notebook's title and first sentence, one chart as a thumbnail, the
    concepts of the texts it treats, the provenance of its data and its number of exercises.
    """

    def run(self):
        here = self.state.document.settings.env.docname
        grid = nodes.container(classes=["crm-cards"])
        for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
            title, sentence = title_and_description(path)
            facts = notebook_card_facts(path)
            card = nodes.container(classes=["crm-card"])
            target = f"/notebooks/{path.stem}"
            if facts["png"] is not None:
                write_thumbnail(facts["png"], THUMBS / f"{path.stem}.png")
                image = nodes.image(uri=f"/notebooks/_thumbs/{path.stem}.png",
                                    alt=f"A chart of {title}", classes=["crm-card-thumb"])
                # A doc cross-reference would replace the image by the page title: link by URI.
                link = nodes.reference("", "", refuri=posixpath.relpath(f"notebooks/{path.stem}.html",
                                                                        posixpath.dirname(here) or "."))
                link += image
                card += nodes.paragraph("", "", link)
            head = nodes.paragraph(classes=["crm-card-title"])
            head += nodes.strong("", "", _doc_link(target, nodes.inline(title, title)))
            card += head
            if sentence:
                card += nodes.paragraph(sentence, sentence, classes=["crm-card-text"])
            facts_list = nodes.field_list(classes=["crm-card-facts"])
            concepts = ", ".join(f"{c} {CONCEPTS[c]}" for c in facts["concepts"]) or "overview"
            data = "; ".join(facts["provenance"]) or "none loaded"
            exercises = str(facts["exercises"]) if facts["exercises"] else "none"
            for name, value, cls in (("Concepts", concepts, "concepts"), ("Data", data, "provenance"),
                                     ("Exercises", exercises, "exercises")):
                field = nodes.field(classes=[f"crm-card-{cls}"])
                field += nodes.field_name(name, name)
                field += nodes.field_body("", nodes.paragraph(value, value))
                facts_list += field
            card += facts_list
            grid += card
        return [grid]


# Teaching pages, by the paths where they are expected: (label, candidates, what it is).
TEACHING = [
    ("Glossary", ["glossary", "notebooks/*glossary*"],
     "the Chinese terms of the texts and the English of the field, with concept ids and functions"),
    ("Formula sheet", ["formulas", "formula_sheet", "notebooks/*formula*"],
     "the key formulas, each computed by hand and checked against the library"),
    ("Instructor guide", ["guide"],
     "a twelve-session course plan, learning objectives, discussion prompts and assessment ideas"),
]


def teaching_pages() -> list[tuple[str, str | None, str]]:
    """(label, docname or None when the page is not in the site yet, description)."""
    found = []
    for label, candidates, what in TEACHING:
        doc = None
        for cand in candidates:
            hits = sorted(p for ext in (".md", ".rst", ".ipynb") for p in DOCS.glob(cand + ext))
            if cand.startswith("notebooks/"):
                hits = [DOCS / "notebooks" / p.name
                        for p in sorted((ROOT / "notebooks").glob(cand.split("/", 1)[1] + ".ipynb"))]
            if hits:
                doc = hits[0].relative_to(DOCS).with_suffix("").as_posix()
                break
        found.append((label, doc, what))
    return found


class TeachingLinks(Directive):
    """Links to the glossary, the formula sheet and the instructor guide (those that exist)."""

    def run(self):
        here = self.state.document.settings.env.docname
        items = nodes.bullet_list(classes=["crm-teaching-links"])
        for label, doc, what in teaching_pages():
            if doc is None or doc == here:
                continue
            para = nodes.paragraph()
            para += [nodes.strong("", "", _doc_link(f"/{doc}", nodes.inline(label, label))),
                     nodes.Text(f": {what}.")]
            items += nodes.list_item("", para)
        return [items] if len(items) else []


def codebook_as_rubric(app, what, name, obj, options, lines) -> None:
    """Keep the ``Codebook`` section of the dataset loaders, which numpydoc does not know.

    It always comes first, so as a rubric it stays part of the extended summary.
    """
    for i in range(len(lines) - 1):
        if lines[i].strip() == "Codebook" and set(lines[i + 1].strip()) == {"-"}:
            lines[i:i + 2] = [".. rubric:: Codebook", ""]
            return


def copy_notebooks() -> None:
    """Copy the numbered notebooks into the source tree (Sphinx reads sources from there)."""
    out = DOCS / "notebooks"
    out.mkdir(exist_ok=True)
    wanted = set()
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        wanted.add(path.name)
        target = out / path.name
        if not target.exists() or target.read_bytes() != path.read_bytes():
            shutil.copy2(path, target)
    for stale in out.glob("*.ipynb"):
        if stale.name not in wanted:
            stale.unlink()


def _mystnb_output_into_build(app) -> None:
    # MyST-NB writes image files next to the output folder (site/../jupyter_execute), that
    # is at the top of the repository; keep them under build/ with the doctrees.
    config = getattr(app.env, "mystnb_config", None)
    if config is not None:
        folder = ROOT / "build" / "jupyter_execute"
        app.env.mystnb_config = config.copy(output_folder=str(folder))


def setup(app):
    copy_notebooks()
    generate_api()
    app.add_transform(LinkPublicNames)
    # Before numpydoc (priority 500) parses the sections.
    app.connect("autodoc-process-docstring", codebook_as_rubric, priority=100)
    app.connect("missing-reference", resolve_public_name)
    app.connect("builder-inited", _mystnb_output_into_build, priority=900)
    app.add_directive("crm-datasets", DatasetsTable)
    app.add_directive("crm-notebooks", NotebookList)
    app.add_directive("crm-teaching-links", TeachingLinks)
    app.add_directive("crm-glossary", GlossaryTable)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
