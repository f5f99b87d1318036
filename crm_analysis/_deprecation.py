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

__all__ = ["renamed_kwargs", "keyword_only"]

F = TypeVar("F", bound=Callable)


def renamed_kwargs(**renames: str | tuple[str, Callable]) -> Callable[[F], F]:
    """Accept the retired keywords ``old=new`` for one release, with a warning.

    Parameters
    ----------
    **renames : str or (str, callable)
        ``old_name="new_name"`` pairs; ``new_name`` must be a parameter of the
        decorated function and ``old_name`` must not be.  Where the new
        keyword takes its value in another form, give ``(new_name, convert)``:
        ``convert(old_value)`` is passed as ``new_name``.

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

    table = {old: (spec, None) if isinstance(spec, str) else tuple(spec)
             for old, spec in renames.items()}

    def decorate(func: F) -> F:
        params = inspect.signature(func).parameters
        for old, (new, _) in table.items():
            if new not in params or old in params:
                raise ValueError(f"renamed_kwargs: {func.__qualname__} has no parameter {new!r} "
                                 f"or still has {old!r}")
        # The qualified name names a method with its class (``SBGModel.derl``).
        where = func.__qualname__

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            for old, (new, convert) in table.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{where}: got both {old!r} (deprecated) and {new!r}; "
                                        f"pass only {new!r}")
                    warnings.warn(
                        f"{where}: the keyword {old!r} is deprecated and will be removed; "
                        f"use {new!r}",
                        DeprecationWarning, stacklevel=2)
                    value = kwargs.pop(old)
                    kwargs[new] = value if convert is None else convert(value)
            return func(*args, **kwargs)

        wrapper.__signature__ = inspect.signature(func)
        return wrapper  # type: ignore[return-value]

    return decorate


def keyword_only(*names: str) -> Callable[[F], F]:
    """Accept, for one release, parameters made keyword-only when passed by position.

    ``names`` are the parameters, in their old positional order, that now follow
    the ``*``; a call that still passes them by position gets them as keywords
    with a :class:`DeprecationWarning`.

    Examples
    --------
    >>> import warnings
    >>> @keyword_only("seed")
    ... def draw(n=3, *, seed=0):
    ...     return n, seed
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     draw(5, 7)
    (5, 7)
    >>> str(caught[0].message)
    "draw: passing 'seed' by position is deprecated and will be removed; use seed=..."
    """

    def decorate(func: F) -> F:
        signature = inspect.signature(func)
        kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        n_positional = sum(p.kind in kinds for p in signature.parameters.values())
        where = func.__qualname__

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            extra = args[n_positional:]
            if extra:
                if len(extra) > len(names):
                    raise TypeError(f"{where}: takes at most {n_positional + len(names)} "
                                    f"positional arguments, got {len(args)}")
                for name, value in zip(names, extra, strict=False):
                    if name in kwargs:
                        raise TypeError(f"{where}: got {name!r} by position and by keyword")
                    warnings.warn(f"{where}: passing {name!r} by position is deprecated and will "
                                  f"be removed; use {name}=...", DeprecationWarning, stacklevel=2)
                    kwargs[name] = value
            return func(*args[:n_positional], **kwargs)

        wrapper.__signature__ = signature
        return wrapper  # type: ignore[return-value]

    return decorate
