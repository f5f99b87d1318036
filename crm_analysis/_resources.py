"""Files shipped with the package: the bundled tables and the report template.

The repository keeps them in ``data/`` and ``notebooks/templates/``; ``pyproject.toml``
maps those folders into the wheel as the sub-packages ``crm_analysis.data`` and
``crm_analysis.templates``, read here with :mod:`importlib.resources`.  In a source
checkout (``PYTHONPATH``, or ``pip install -e .``) the package folder has no such
sub-folders and the repository folders are used directly, so that a clone always
reads its own files rather than those of another install.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

__all__ = ["resource_dir"]

_PACKAGE = Path(__file__).resolve().parent
_REPOSITORY = {"data": _PACKAGE.parent / "data",
               "templates": _PACKAGE.parent / "notebooks" / "templates"}


def resource_dir(kind: str) -> Traversable:
    """The folder of ``kind`` ("data" or "templates") as a traversable path.

    Examples
    --------
    >>> (resource_dir("data") / "sbg_cohorts.csv").is_file()
    True
    """
    if kind not in _REPOSITORY:
        raise ValueError(f"kind must be one of {sorted(_REPOSITORY)}, got {kind!r}")
    if (_PACKAGE / kind).is_dir():  # an installed wheel: the files are inside the package
        return files(f"{__package__}.{kind}")
    if _REPOSITORY[kind].is_dir():  # a source checkout
        return _REPOSITORY[kind]
    return files(f"{__package__}.{kind}")  # any other importer (e.g. a zip)
