"""Sphinx configuration of the crm-analysis site (``make demo`` builds it into ``site/``).

Offline by construction: the notebooks are rendered from their committed outputs (no
kernel), math is typeset by the MathJax copy that ``sphinx-mathjax-offline`` ships,
the theme's fonts and scripts are copied into the site, and no external inventory
(intersphinx) is read.
"""

import sys
import warnings
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))
sys.path.insert(0, str(DOCS / "_ext"))
# No MPLBACKEND here: notebook kernels started by `make demo` inherit the environment,
# and a non-inline backend would drop every chart from the executed notebooks.

import numpydoc.xref  # noqa: E402

import crm_analysis  # noqa: E402

# The dataset loaders' "Codebook" section is rendered by crm_docs; numpydoc's own
# signature pass would otherwise print a warning for each of them.
warnings.filterwarnings("ignore", message="Unknown section Codebook")

project = "crm-analysis"
author = "crm-analysis developers"
copyright = "crm-analysis developers"  # noqa: A001 - Sphinx's name
release = version = crm_analysis.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax 3 inside the site instead of a CDN
    "sphinx_codeautolink",  # names in code cells link to the reference
    "crm_docs",  # API pages from __all__, links from inline code, generated tables
]

exclude_patterns = ["_build", "notebooks/templates", "**.ipynb_checkpoints", "README.md"]
templates_path = ["_templates"]
root_doc = "index"
default_role = "py:obj"  # `name` in a docstring links to it when it is documented
pygments_style = "sphinx"

# --- notebooks: rendered from their committed outputs; `make demo` executes them ------
nb_execution_mode = "off"
nb_execution_timeout = 300  # seconds per cell when `make demo` executes (-D nb_execution_mode=force)
nb_merge_streams = True
# No ipywidgets manager from a CDN: a page has no kernel, and the what-if panels of notebook 09
# are self-contained HTML (crm_analysis.whatif); widget outputs stay inert.
nb_ipywidgets_js = {}
# Markdown outputs (the before/now tables rendered from f-strings) are parsed as MyST, which
# has tables; the default, CommonMark, prints their pipes as text. "US$ 20" must stay text:
# a dollar next to a space or a digit opens or closes no formula.
nb_render_markdown_format = "myst"
myst_dmath_allow_space = False
myst_dmath_allow_digits = False
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# --- API reference -------------------------------------------------------------------
autosummary_generate = False  # crm_docs writes the pages from __all__
autodoc_typehints = "none"  # numpydoc's Parameters section carries the types
autodoc_member_order = "bysource"
autodoc_default_options = {"exclude-members": "__init__"}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = True
# numpydoc's default aliases point into Python's and NumPy's inventories, which an
# offline build does not have: keep the words, drop the links.
numpydoc_xref_aliases = {name: name for name in numpydoc.xref.DEFAULT_LINKS}
numpydoc_xref_ignore = {"of", "or", "optional", "default", "and", "shape", "array-like",
                        "callable", "None", "default:", "the", "a", "an", "with", "in"}

codeautolink_concat_default = True  # a notebook's setup cell imports for the cells after it
codeautolink_autodoc_inject = False
# Docstring examples with doctest flags (trimmed in the HTML) cannot be matched; they stay
# unlinked, everything else links.
suppress_warnings = ["codeautolink.match_block"]

# --- HTML ----------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = "crm-analysis"
html_static_path = ["_static"]
html_css_files = ["crm.css"]
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"index": [], "getting_started": [], "data": [], "changelog": [], "guide": []}
