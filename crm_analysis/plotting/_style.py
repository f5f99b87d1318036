"""Shared look of every chart: palette, greyscale-safe cues, finishing touches."""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Callable, Sequence
from itertools import cycle
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from ._labels_zh import ZH

__all__ = ["PALETTE", "LINESTYLES", "MARKERS", "HATCHES", "LANGUAGES", "set_style", "get_ax", "finish",
           "style_cycle", "grouped_bars", "label_cells", "translate", "cjk_font", "chart_language"]

#: Languages of chart text: English, simplified Chinese, or Chinese above English.
LANGUAGES = ("en", "zh", "zh+en")
_STATE = {"lang": "en"}
# Longest phrase first, so "Customer equity by segment" wins over "Customer equity".
_PHRASES = sorted(ZH, key=len, reverse=True)
# Whole words only, and never inside a data name such as "price_to_value".
_PATTERN = re.compile("|".join(rf"(?<![A-Za-z_]){re.escape(p)}(?![A-Za-z_])" for p in _PHRASES))
_LOOKUP = {p: ZH[p] for p in _PHRASES}
_CJK = r"[\u3000-\u9fff\uff00-\uffef]"
# Font files searched, in order, when no packaged CJK font is installed.
_SYSTEM_CJK = ("Noto Sans CJK", "Noto Serif CJK", "Source Han Sans", "WenQuanYi", "SimHei",
               "Microsoft YaHei", "PingFang", "Heiti", "AR PL")

#: Okabe-Ito colour-blind-safe palette (Okabe & Ito 2008), in a fixed order.
PALETTE = [
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
]
#: Line styles and markers paired with the palette so series stay apart in greyscale.
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (3, 1, 1, 1, 1, 1))]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
HATCHES = ["", "//", "..", "xx", "\\\\", "++", "oo", "--"]


def set_style(context: str = "notebook", *, lang: str = "en") -> None:
    """Apply the package's chart style to matplotlib (call once per notebook).

    Parameters
    ----------
    context : {"notebook", "paper", "talk"}, default "notebook"
        Font scale, as in seaborn.
    lang : {"en", "zh", "zh+en"}, default "en"
        Language of the titles, axis labels and legends that the package's plot
        functions write: English, simplified Chinese, or Chinese with the English
        below it (legends: "中文 / English"). Chinese needs a CJK font: the
        Noto Sans CJK font of the ``cvttf-notosanscjk-regular`` package (a
        dependency) is registered with matplotlib, else a system CJK font; a
        warning says so when none is found (the glyphs would show as boxes).
        Phrases without a translation stay in English; numbers, data names and
        units are kept.

    Raises
    ------
    CRMDataError
        If ``lang`` is not one of the three.

    Examples
    --------
    >>> set_style(lang="zh")
    >>> translate("Customers (%)")
    '客户 (%)'
    >>> set_style()
    """
    import seaborn as sns

    from ..errors import CRMDataError

    if lang not in LANGUAGES:
        raise CRMDataError(f"set_style: lang must be one of {', '.join(LANGUAGES)}; got {lang!r}")

    sns.set_theme(context=context, style="whitegrid", palette=PALETTE)
    mpl.rcParams.update(
        {
            "axes.prop_cycle": mpl.cycler(color=PALETTE[:6], linestyle=LINESTYLES),
            "axes.titleweight": "bold",
            "axes.titlesize": "large",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "figure.figsize": (8, 4.5),
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "legend.frameon": False,
            "image.cmap": "viridis",
        }
    )
    _STATE["lang"] = lang
    if lang != "en":
        _use_cjk_font()


def cjk_font() -> Path | None:
    """Path of a font file with Chinese glyphs, or None when there is none.

    The packaged Noto Sans CJK (``cvttf-notosanscjk-regular``, SIL Open Font
    Licence; its traditional-Chinese cut holds the simplified characters too) comes
    first, so charts look the same on every machine; otherwise the first CJK font
    matplotlib finds on the system.

    Examples
    --------
    >>> cjk_font() is None or cjk_font().suffix in {".otf", ".ttf", ".ttc"}
    True
    """
    from importlib.resources import files

    try:
        packaged = files("cvttf_NotoSansCJK_Regular") / "NotoSansCJKtc-Regular.otf"
        if packaged.is_file():
            return Path(str(packaged))
    except ModuleNotFoundError:
        pass
    for entry in mpl.font_manager.fontManager.ttflist:
        if any(entry.name.startswith(name) for name in _SYSTEM_CJK):
            return Path(entry.fname)
    return None


def _use_cjk_font() -> None:
    """Register the CJK font with matplotlib and put it first in the sans-serif list."""
    path = cjk_font()
    if path is None:
        warnings.warn(
            "set_style: no font with Chinese glyphs found, so Chinese labels will show as boxes; "
            "install the package 'cvttf-notosanscjk-regular' (pip install cvttf-notosanscjk-regular) "
            "or a system CJK font such as Noto Sans CJK, then call set_style(lang=...) again",
            UserWarning, stacklevel=3)
        return
    fm = mpl.font_manager
    fm.fontManager.addfont(str(path))
    name = fm.FontProperties(fname=str(path)).get_name()
    others = [f for f in mpl.rcParams["font.sans-serif"] if f != name]
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["font.sans-serif"] = [name, *others]
    # The packaged cut has one weight; bold titles would make matplotlib log a
    # "failed to find font weight bold" line for every chart.
    mpl.rcParams["axes.titleweight"] = "normal"
    # Bold text inside a chart (cell values, annotations) falls back to the regular
    # weight too; the font manager's line about it would land in the report's output.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)


def chart_language() -> str:
    """The chart language chosen with :func:`set_style`: ``"en"``, ``"zh"`` or ``"zh+en"``.

    Examples
    --------
    >>> set_style(lang="zh"); chart_language()
    'zh'
    >>> set_style(); chart_language()
    'en'
    """
    return _STATE["lang"]


def translate(text: str, kind: str = "label", *, lang: str | None = None) -> str:
    """Chart text in the language chosen with :func:`set_style`.

    Parameters
    ----------
    text : str
        English text as the plot functions write it.
    kind : {"label", "legend"}, default "label"
        With ``lang="zh+en"`` a title or axis label gets the English on a second
        line, a legend entry gets it after a slash.
    lang : {"en", "zh", "zh+en"}, optional
        The language; default the one chosen with :func:`set_style`.

    Returns
    -------
    str
        ``text`` unchanged in English (or when no phrase of it is in the table),
        else its known phrases replaced by their Chinese.

    Examples
    --------
    >>> set_style(lang="zh+en")
    >>> translate("Weeks since first purchase").splitlines()
    ['周数（首次购买以来）', 'Weeks since first purchase']
    >>> set_style()
    >>> translate("Weeks since first purchase")
    'Weeks since first purchase'
    """
    lang = _STATE["lang"] if lang is None else lang
    if lang == "en" or not text:
        return text
    zh = _PATTERN.sub(lambda m: _LOOKUP[m.group(0)], text)
    zh = re.sub(rf"(?<={_CJK}) (?={_CJK})", "", zh)  # no spaces between Chinese words
    if zh == text or lang == "zh":
        return zh
    return f"{zh} / {text}" if kind == "legend" else f"{zh}\n{text}"


def get_ax(ax: Axes | None) -> Axes:
    """The given Axes, or the current one (created if needed)."""
    return plt.gca() if ax is None else ax


def finish(ax: Axes, *, title: str, xlabel: str, ylabel: str, legend: bool | None = None) -> Axes:
    """Set title and axis labels (with units) and tidy the legend.

    Every text goes through :func:`translate`, so ``set_style(lang="zh")``
    changes the language of all the package's charts in this one place: the
    title, the axis labels, the labels of the drawn series (also for a legend
    drawn after ``finish``), a legend drawn before it and the annotations
    written on the Axes before it.
    """
    ax.set(title=translate(title), xlabel=translate(xlabel), ylabel=translate(ylabel))
    handles, _ = ax.get_legend_handles_labels()
    if _STATE["lang"] != "en":
        _translate_ticks_and_colorbars(ax)
        for text in ax.texts:  # annotations written before finish (cell labels, peaks)
            text.set_text(translate(text.get_text(), "legend"))
        for handle in handles:
            handle.set_label(translate(handle.get_label(), "legend"))
        drawn = ax.get_legend()
        if drawn is not None:
            for text in drawn.get_texts():
                text.set_text(translate(text.get_text(), "legend"))
            drawn.get_title().set_text(translate(drawn.get_title().get_text(), "legend"))
    if legend or (legend is None and len(handles) > 1):
        ax.legend()
    return ax


def _translate_ticks_and_colorbars(ax: Axes) -> None:
    """Category tick labels (fixed labels, e.g. segment names) and the labels of this Axes' colour bars."""
    from matplotlib.ticker import FixedLocator

    for axis in (ax.xaxis, ax.yaxis):
        if isinstance(axis.get_major_locator(), FixedLocator):  # labels set with set_xticks(..., labels)
            labels = [t.get_text() for t in axis.get_majorticklabels()]
            translated = [translate(text, "legend") for text in labels]
            if translated != labels:
                axis.set_ticks(axis.get_majorticklocs(), translated)
    for other in ax.figure.axes:
        bar = getattr(other, "_colorbar", None)  # set on a colour bar's own Axes
        if bar is not None and getattr(bar.mappable, "axes", None) is ax:
            bar.set_label(translate(bar.ax.get_ylabel() if bar.orientation == "vertical"
                                    else bar.ax.get_xlabel()))


def style_cycle():
    """Endless (colour, linestyle, marker) triples for series drawn one by one."""
    return cycle(zip(PALETTE, LINESTYLES * 2, MARKERS, strict=False))  # stops at the shortest


def grouped_bars(ax: Axes, x, series: Sequence[dict], *, width: float = 0.8,
                 horizontal: bool = False) -> list:
    """Side-by-side bars: one group per ``x`` position, one bar per series, centred on ``x``.

    Parameters
    ----------
    ax : Axes
    x : array-like of float
        Group centres (on the y axis when ``horizontal``).
    series : sequence of dict
        One dict per series: ``height`` plus any ``ax.bar`` keyword (``color``,
        ``hatch``, ``label``, ...); with ``horizontal``, ``width`` (the bar
        lengths) plus any ``ax.barh`` keyword (``xerr``, ...).
    width : float, default 0.8
        Thickness of a whole group; each bar gets ``width / len(series)``.
    horizontal : bool, default False
        Draw with ``ax.barh`` (groups stacked down the y axis).

    Returns
    -------
    list of BarContainer
        One per series, in order.
    """
    x = np.asarray(x, dtype=float)
    step = width / len(series)
    draw, thickness = (ax.barh, "height") if horizontal else (ax.bar, "width")
    return [draw(x + (i - (len(series) - 1) / 2) * step, **{thickness: step, "edgecolor": "white", **s})
            for i, s in enumerate(series)]


def label_cells(ax: Axes, values: np.ndarray, *, rows, columns, text: Callable[[float], str],
                dark: Callable[[float], bool], **kwargs) -> None:
    """Write each finite cell's value on an ``imshow`` grid and name its rows and columns.

    Parameters
    ----------
    ax : Axes
        Axes holding the image (cell ``(i, j)`` centred at ``x=j, y=i``).
    values : 2-d array
        The cell values; NaN cells stay blank.
    rows, columns : sequence
        Tick labels (shown as ``str``).
    text : callable
        Value -> cell text, e.g. ``"{:.0f}%".format``.
    dark : callable
        Value -> True where the cell colour is dark (the text is then white).
    **kwargs
        Passed to ``ax.text`` (``fontsize``, ``fontweight``).
    """
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, text(v), ha="center", va="center",
                    color="white" if dark(v) else "black", **kwargs)
    ax.set_xticks(range(values.shape[1]), [str(c) for c in columns])
    ax.set_yticks(range(values.shape[0]), [str(r) for r in rows])
    ax.grid(False)  # the style's grid would cut through the cells
