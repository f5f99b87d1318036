"""Plot functions: each takes ``ax=None``, draws, and returns the Axes.

One shared style (:func:`set_style`, the colour-blind-safe :data:`PALETTE`,
line styles and hatches that survive greyscale printing); the chart functions
live in one module per analysis and are re-exported here.
"""

from . import (
    _style,
    basket,
    churn,
    clv,
    drivers,
    equity,
    forecast,
    loyalty,
    retention,
    segments,
    transactions,
    whatif,
)

#: The style names that are public here (``get_ax``, ``finish`` ... stay helpers of the chart modules).
_STYLE_NAMES = ("HATCHES", "LINESTYLES", "MARKERS", "PALETTE", "set_style", "LANGUAGES", "cjk_font",
                "translate", "chart_language")
# Every chart module's ``__all__`` is re-exported: a plot function is listed once, in its module.
_CHART_MODULES = (drivers, churn, loyalty, transactions, retention, segments, clv, basket, equity,
                  forecast, whatif)

__all__: list[str] = list(_STYLE_NAMES)
globals().update({name: getattr(_style, name) for name in _STYLE_NAMES})
for _module in _CHART_MODULES:
    for _name in _module.__all__:
        globals()[_name] = getattr(_module, _name)
        __all__.append(_name)
del _module, _name
