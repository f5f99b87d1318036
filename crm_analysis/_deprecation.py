"""Keyword renames that keep the old name working for one release.

Private to the package.  When a parameter takes the name the naming glossary of
DEVELOPERS.md gives it, the old keyword still works for one release: it is
passed on under the new name with a :class:`DeprecationWarning` that names the
function, the old and the new name.  Passing both is a :class:`TypeError`, as
Python does for any argument given twice.  The signature that ``inspect`` (and
so the documentation and ``tests/test_signatures.py``) sees is the new one.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from typing import TypeVar

__all__ = ["renamed_kwargs"]

F = TypeVar("F", bound=Callable)


def renamed_kwargs(**renames: str) -> Callable[[F], F]:
    """Accept the retired keywords ``old=new`` for one release, with a warning.

    Parameters
    ----------
    **renames : str
        ``old_name="new_name"`` pairs; ``new_name`` must be a parameter of the
        decorated function and ``old_name`` must not be.

    Returns
    -------
    callable
        A decorator.

    Examples
    --------
    >>> import warnings
    >>> @renamed_kwargs(discount="discount_rate")
    ... def value(margin, *, discount_rate=0.1):
    ...     return margin * discount_rate
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     value(100.0, discount=0.5)
    50.0
    >>> str(caught[0].message)
    "value: the keyword 'discount' is deprecated and will be removed; use 'discount_rate'"
    >>> str(inspect.signature(value))
    '(margin, *, discount_rate=0.1)'
    """

    def decorate(func: F) -> F:
        params = inspect.signature(func).parameters
        for old, new in renames.items():
            if new not in params or old in params:
                raise ValueError(f"renamed_kwargs: {func.__qualname__} has no parameter {new!r} "
                                 f"or still has {old!r}")
        # The qualified name names a method with its class (``SBGModel.derl``).
        where = func.__qualname__

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            for old, new in renames.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{where}: got both {old!r} (deprecated) and {new!r}; "
                                        f"pass only {new!r}")
                    warnings.warn(
                        f"{where}: the keyword {old!r} is deprecated and will be removed; "
                        f"use {new!r}",
                        DeprecationWarning, stacklevel=2)
                    kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        wrapper.__signature__ = inspect.signature(func)
        return wrapper  # type: ignore[return-value]

    return decorate
