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


@pytest.fixture(scope="session")
def mixed_log():
    """A seeded line-level log (artificial) with the cases the DuckDB file paths must match.

    Several lines on one day, lines of negative amount (cancellations), a month holding
    only a cancellation (customer 1001), a customer with a single purchase day (1000),
    one with cancellations only (1002), times of day, and categories with gaps.
    """
    import pandas as pd

    gen = np.random.default_rng(160516)
    n = 900
    log = pd.DataFrame({
        "customer_id": gen.integers(0, 120, n),
        "date": pd.Timestamp("2020-01-01") + pd.to_timedelta(gen.integers(0, 545 * 24, n), "h"),
        "amount": np.round(gen.gamma(2.0, 15.0, n), 2),
        "category": gen.choice(["books", "music", "film", None], n),
    })
    # the same day again, later in the day: one purchase occasion
    again = log.sample(120, random_state=1).assign(date=lambda d: d["date"].dt.normalize()
                                                   + pd.Timedelta(hours=23))
    cancel = gen.random(n + len(again)) < 0.1
    log = pd.concat([log, again], ignore_index=True)
    log.loc[cancel, "amount"] *= -1
    extra = pd.DataFrame({
        "customer_id": [1000, 1000, 1000, 1001, 1001, 1001, 1002, 1002],
        "date": pd.to_datetime(["2020-06-03 09:00", "2020-06-03 12:00", "2020-06-03 18:00",
                                "2020-03-05 10:00", "2020-05-11 10:00", "2020-07-20 10:00",
                                "2020-04-01 10:00",
                                "2020-08-01 10:00"]),
        "amount": [10.0, 12.5, -3.0, 20.0, -20.0, 15.0, -5.0, -7.0],
        "category": ["books", None, "books", "film", "film", None, "music", "music"],
    })
    return pd.concat([log, extra], ignore_index=True)
