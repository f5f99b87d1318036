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
- ``.. crm-notebooks::`` lists the numbered notebooks with the first sentence of each.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
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
    ("largedata", "crm_analysis.largedata", "large logs: DuckDB, Dask, chunks"),
    ("report", "crm_analysis.report", "the client analysis"),
    ("io", "crm_analysis.io", "reading and writing client files"),
    ("whatif", "crm_analysis.whatif", "what-if sliders for the site and JupyterLab"),
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


class NotebookList(Directive):
    """The numbered notebooks in reading order, each with its first sentence."""

    def run(self):
        items = nodes.bullet_list(classes=["crm-notebook-list"])
        for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
            title, sentence = title_and_description(path)
            ref = addnodes.pending_xref("", refdomain="std", reftype="doc",
                                        reftarget=f"/notebooks/{path.stem}", refexplicit=True,
                                        refwarn=True)
            ref += nodes.inline(title, title)
            para = nodes.paragraph()
            para += [nodes.strong("", "", ref), nodes.Text(f": {sentence}" if sentence else "")]
            items += nodes.list_item("", para)
        return [items]


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
    app.add_directive("crm-glossary", GlossaryTable)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
