"""Shared test setup: headless plotting, closed figures, fixed seeds."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)


@pytest.fixture(scope="session")
def cdnow():
    from crm_analysis import load_cdnow

    return load_cdnow()


@pytest.fixture(autouse=True)
def _chart_language_scan(request, _close_figures):  # torn down before the figures close
    """With CRM_SCAN_LANG=zh set, draw every chart in Chinese and record its words.

    ``tests/plotting/test_plotting_zh.py`` runs the plot tests this way in a subprocess
    and reads the record (CRM_SCAN_OUT, one JSON line per figure text) to find labels the
    translation table misses; in an ordinary run this fixture does nothing.
    """
    lang = os.environ.get("CRM_SCAN_LANG")
    if not lang:
        yield
        return
    import json

    from crm_analysis.plotting import set_style

    set_style(lang=lang)
    yield
    texts = []
    for num in plt.get_fignums():
        fig = plt.figure(num)
        texts += [t.get_text() for t in fig.texts]
        if fig._suptitle is not None:
            texts.append(fig._suptitle.get_text())
        for ax in fig.axes:
            texts += [ax.get_title(loc) for loc in ("left", "center", "right")]
            texts += [ax.get_xlabel(), ax.get_ylabel()] + [t.get_text() for t in ax.texts]
            legend = ax.get_legend()
            if legend is not None:
                texts += [t.get_text() for t in legend.get_texts()] + [legend.get_title().get_text()]
            for axis in (ax.xaxis, ax.yaxis):  # fixed tick labels (categories the package names)
                if type(axis.get_major_locator()).__name__ == "FixedLocator":
                    texts += [t.get_text() for t in axis.get_majorticklabels()]
    with open(os.environ["CRM_SCAN_OUT"], "a", encoding="utf-8") as out:
        for text in dict.fromkeys(t for t in texts if t and t.strip()):
            out.write(json.dumps({"test": request.node.nodeid, "text": text}, ensure_ascii=False) + "\n")
    set_style()
