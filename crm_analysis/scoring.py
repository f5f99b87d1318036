"""Scoring a large customer base: chunk by chunk, or partition by partition on Dask.

:func:`score_in_chunks` and :func:`score_dask` compute P(alive), expected
purchases and customer lifetime value from an already fitted transaction
model, chunk by chunk or partition by partition, so scoring never needs the
whole customer base in one array.  The scores are the fitted model's own; this
module sits above :mod:`crm_analysis.clv` (whose models and CLV it uses) and
next to :mod:`crm_analysis.largedata` (which builds the summaries it scores).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .clv import customer_lifetime_value
from .errors import CRMDataError

__all__ = ["score_in_chunks", "score_dask"]


def score_in_chunks(
    model,
    summary: pd.DataFrame,
    *,
    t: float = 52.0,
    spend=None,
    horizon: int | None = None,
    discount_rate: float = 0.0,
    margin: float = 1.0,
    period: str | float | None = None,
    chunk_size: int = 250_000,
    progress: bool = True,
) -> pd.DataFrame:
    """P(alive), expected purchases and CLV for a large summary, chunk by chunk.

    Each customer's score depends only on the fitted parameters and the
    customer's own (frequency, recency, T), so the summary can be cut into
    chunks of ``chunk_size`` rows and scored one chunk at a time; the
    temporaries of the hypergeometric and likelihood terms then stay bounded
    by the chunk, not the customer base.  The scores are the fitted model's
    own (:meth:`crm_analysis.clv.BTYDModel.p_alive`,
    :meth:`~crm_analysis.clv.BTYDModel.expected_purchases` and
    :func:`crm_analysis.customer_lifetime_value`).

    Parameters
    ----------
    model : BTYDModel or BGBBModel
        A fitted transaction model (:func:`crm_analysis.fit_btyd`), or one
        built from known parameters with ``BTYDModel.from_params``.
    summary : DataFrame
        Customer summary in the model's time unit (``*_cal`` columns are
        found by the model).
    t : float, default 52
        Horizon of ``expected_purchases`` in model time units.
    spend : SpendModel, float or Series, optional
        Expected spend per transaction; with ``horizon`` adds a ``clv`` column
        (see :func:`crm_analysis.customer_lifetime_value`).
    horizon : int, optional
        Number of discount periods for the CLV.
    discount_rate, margin, period
        Passed to :func:`crm_analysis.customer_lifetime_value` (``period`` is
        its ``freq``).
    chunk_size : int, default 250,000
        Customers per chunk.
    progress : bool, default True
        Show a progress bar over the chunks.

    Returns
    -------
    DataFrame
        ``p_alive``, ``expected_purchases`` (and ``clv``), indexed like
        ``summary``.

    Raises
    ------
    CRMDataError
        ``chunk_size`` not positive, CLV asked without both ``spend`` and
        ``horizon``, or the model's own checks on the summary.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your
    customers" the easy way: An alternative to the Pareto/NBD model.
    *Marketing Science*, 24(2), 275-284.

    Examples
    --------
    >>> from crm_analysis.clv import BTYDModel
    >>> bg = BTYDModel.from_params("bgnbd", [0.243, 4.414, 0.793, 2.426])
    >>> one = pd.DataFrame({"frequency": [2.0], "recency": [30.43], "T": [38.86]})
    >>> round(float(score_in_chunks(bg, one, t=39, progress=False)["expected_purchases"].iloc[0]), 3)
    1.226
    """
    if not isinstance(chunk_size, (int, np.integer)) or chunk_size <= 0:
        raise CRMDataError(f"score_in_chunks: chunk_size must be a positive whole number, got {chunk_size!r}.")
    if (spend is None) != (horizon is None):
        raise CRMDataError("score_in_chunks: CLV needs both spend and horizon (or neither).")
    pieces = []
    starts = range(0, len(summary), chunk_size)
    for start in tqdm(starts, desc="scoring chunks", disable=not progress):
        chunk = summary.iloc[start:start + chunk_size]
        out = pd.DataFrame(index=chunk.index)
        out["p_alive"] = model.p_alive(chunk).to_numpy()
        out["expected_purchases"] = model.expected_purchases(t, chunk).to_numpy()
        if spend is not None:
            piece = spend.reindex(chunk.index) if isinstance(spend, pd.Series) else spend
            out["clv"] = customer_lifetime_value(
                model, piece, chunk, horizon=horizon, discount_rate=discount_rate,
                margin=margin, freq=period,
            ).to_numpy()
        pieces.append(out)
    if not pieces:
        return pd.DataFrame(columns=["p_alive", "expected_purchases"]
                            + (["clv"] if spend is not None else []),
                            index=summary.index, dtype=float)
    return pd.concat(pieces)


def score_dask(model, summary, *, chunk_size: int = 250_000, **kwargs):
    """Score a Dask customer summary with ``map_partitions``.

    Every partition is scored by :func:`score_in_chunks` on the worker that
    holds it, so the scores never pass through the client.  ``summary`` is
    typically ``rfm_summary_dask(..., compute=False)``.

    Parameters
    ----------
    model : BTYDModel or BGBBModel
        Fitted transaction model (shipped to the workers).
    summary : dask.dataframe.DataFrame
        Customer summary.
    chunk_size : int
        Chunk size within a partition.
    **kwargs
        ``t``, ``spend`` (a SpendModel or a number; not a Series), ``horizon``,
        ``discount_rate``, ``margin``, ``period`` as in :func:`score_in_chunks`.

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy scores (``p_alive``, ``expected_purchases`` and maybe ``clv``),
        partitioned like ``summary``; call ``.compute()`` or write them out.
    """
    if isinstance(kwargs.get("spend"), pd.Series):
        raise CRMDataError("score_dask: pass spend as a SpendModel or a number, not a Series.")
    columns = ["p_alive", "expected_purchases"] + (["clv"] if kwargs.get("spend") is not None else [])
    meta = pd.DataFrame({c: pd.Series(dtype=float) for c in columns},
                        index=summary._meta.index)
    return summary.map_partitions(_score_partition, model, meta=meta, chunk_size=chunk_size,
                                  **kwargs)


def _score_partition(part: pd.DataFrame, model, **kwargs) -> pd.DataFrame:
    return score_in_chunks(model, part, progress=False, **kwargs)
