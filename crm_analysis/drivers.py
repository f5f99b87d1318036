"""Key-driver analysis of satisfaction surveys (C7, C11, service-profit chain).

Which attributes drive overall satisfaction, and does the answer depend on the
context (C7: speed at lunch, ambience at dinner)?  How much do the value,
systems and people orientations (C11) explain as groups?  Where should a
manager act (importance-performance map), which attributes only avoid
complaints and which delight (asymmetric effects), and do satisfied employees
make satisfied, loyal customers (service-profit chain)?

All importance measures are computed from the correlation matrix of the
outcome and the drivers, so that the exact Shapley decomposition of R² (LMG)
over all ``2^k`` subsets stays fast for up to ~15 drivers: the R² of every
subset is computed once, in vectorised batches by subset size.

Methods of :func:`driver_importance`
------------------------------------
``"shapley"`` (alias ``"lmg"``)
    Average gain in R² when the driver joins, over all orders of entry
    (Lindeman, Merenda & Gold 1980; Grömping 2006).  Sums to R².
``"relative_weights"`` (alias ``"johnson"``)
    Johnson's (2000) relative weights via the orthogonal counterpart of the
    drivers.  Sums to R².
``"beta"``
    Standardised regression coefficients (share = beta² / sum beta²).
``"pratt"``
    Pratt's measure beta_j * r_j (Thomas, Hughes & Zumbo 1998).  Sums to R²
    but may be negative.
``"first"``
    Zero-order r² of each driver alone.
``"last"``
    Usefulness: the R² lost when the driver is dropped from the full model.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from math import factorial

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ._checks import require_columns, require_frame
from ._deprecation import renamed_kwargs
from .errors import CRMDataError, describe_rows, rows_dropped_note
from .fitted import FittedModel
from .messages import Message

__all__ = [
    "IMPORTANCE_METHODS",
    "ContextComparison",
    "OrderedSatisfactionModel",
    "ServiceProfitChain",
    "SurveyScaleWarning",
    "asymmetric_effects",
    "compare_contexts",
    "driver_importance",
    "group_importance",
    "importance_performance",
    "nps",
    "ordered_satisfaction_model",
    "rating_columns",
    "service_profit_chain",
]

#: Methods accepted by :func:`driver_importance` (aliases map to these).
IMPORTANCE_METHODS = ("shapley", "relative_weights", "beta", "pratt", "first", "last")
_ALIASES = {"lmg": "shapley", "johnson": "relative_weights", "rwa": "relative_weights"}

#: Martilla & James (1977) quadrant names.
QUADRANTS = {
    (True, False): "Concentrate here",
    (True, True): "Keep up the good work",
    (False, False): "Low priority",
    (False, True): "Possible overkill",
}


# --------------------------------------------------------------------------- validation


class SurveyScaleWarning(UserWarning):
    """A rating column holds a value that looks like a "not applicable" code.

    Raised as a warning (not an error) when no ``scale`` was declared and a
    column rated 1..k (k from 3 to 7) also holds 0: a 0 may be a real answer on a 0..k scale,
    or a code for "not applicable" that would be analysed as the worst rating.
    Declare one or the other (``scale=(0, k)`` or ``missing_codes=[0]``).
    ``note``: the same finding for a client report, with the command line's
    options (a :class:`crm_analysis.messages.Message`, so it can be said in Chinese).
    """

    def __init__(self, text: str, note: str | None = None):
        super().__init__(text)
        self.note = note


def _missing_codes(missing_codes, where: str) -> list:
    """The codes as a list; a single code may be given bare (``missing_codes=0``)."""
    if missing_codes is None:
        return []
    if isinstance(missing_codes, str | int | float):
        return [missing_codes]
    codes = list(missing_codes)
    bad = [c for c in codes if not isinstance(c, str | int | float) or isinstance(c, bool)]
    if bad:
        raise CRMDataError(f"{where}: missing_codes must be numbers or strings, got {bad!r}.")
    return codes


def _as_rating(df: pd.DataFrame, c: str, where: str) -> pd.Series:
    """Column ``c`` as numbers; text that is not a number raises with the rows shown."""
    col = df[c]
    if pd.api.types.is_bool_dtype(col):
        raise CRMDataError(
            f"{where}: column {c!r} is True/False, not a rating; code it as numbers first."
        )
    if pd.api.types.is_numeric_dtype(col):
        return col  # kept as is: whole-number ratings stay whole numbers (ordered categories)
    # Ratings read as text: "4" is a number stored as text and is converted;
    # "5 stars" or "n/a" is not, and dropping it would lose answers silently.
    text = col.astype("string").str.strip()
    values = pd.to_numeric(text, errors="coerce").astype(float)
    bad = col.notna() & values.isna()
    if bad.any():
        labels = list(dict.fromkeys(col[bad].astype(str)))[:5]
        raise CRMDataError(
            f"{where}: column {c!r} holds text that is not a number ({int(bad.sum()):,} answers, "
            f"e.g. {labels}); ratings must be numbers: map the labels to scale points, or pass "
            f"missing_codes=[...] (CLI: --survey-missing) for labels that mean 'not applicable'. "
            + describe_rows(df, bad.to_numpy(), [c])
        )
    return values


def _warn_code_like_zeros(df: pd.DataFrame, columns: list[str], where: str) -> None:
    """Warn when a column rated 1..k (3 <= k <= 7) also holds 0, and no scale was declared."""
    for c in columns:
        v = df[c].dropna()
        zero = v == 0
        if not zero.any() or (v % 1 != 0).any() or (v < 0).any():
            continue
        rest = v[~zero]
        # Short agreement scales (1-5, 1-7) are where 0 is a "not applicable" code; a 0-10
        # scale (likelihood to recommend) is common and its 0 is a real answer.
        if rest.empty or rest.min() != 1 or not 3 <= rest.max() <= 7:
            continue
        k = int(rest.max())
        warnings.warn(SurveyScaleWarning(
            f"{where}: column {c!r} holds 0 in {int(zero.sum()):,} of {len(v):,} rows while its "
            f"other answers run 1-{k}; if 0 means 'not applicable', pass missing_codes=[0] "
            f"(CLI: --survey-missing 0) and dropna=True, else declare scale=(0, {k}).",
            note=Message("note.zero_code", column=str(c), n=f"{int(zero.sum()):,}",
                         total=f"{len(v):,}", k=k)), stacklevel=4)


def _prepare(
    data: pd.DataFrame,
    columns: list[str],
    *,
    scale: tuple[float, float] | None = None,
    scale_columns: list[str] | None = None,
    dropna: bool = False,
    missing_codes=None,
    extra: list[str] | None = None,
    analysis: bool = True,
    warn_codes: bool = True,
    where: str,
) -> tuple[pd.DataFrame, int]:
    """Check columns are present, numeric, on the scale and complete; return a clean copy.

    Values listed in ``missing_codes`` become missing first.  Rows with a
    missing value are dropped only with ``dropna=True``; the count is
    returned, and ``df.attrs["dropped"]`` breaks it down by reason
    ("missing value" before "missing code": each row is counted once).
    """
    extra = [c for c in (extra or []) if c not in columns]
    # An empty frame is reported below as "too few complete rows".
    require_frame(data, where, allow_empty=True)
    require_columns(data, columns + extra, where)
    codes = _missing_codes(missing_codes, where)
    df = data[columns + extra].copy()
    coded = pd.DataFrame(False, index=df.index, columns=columns)
    blank = df[columns].isna()
    for c in columns:
        if codes:
            # Compare the raw values, so that text codes ("n/a") and numeric codes both work.
            coded[c] = df[c].isin(codes)
            df[c] = df[c].mask(coded[c])
        df[c] = _as_rating(df, c, where)
    na = df[columns].isna().any(axis=1)
    n_na = int(na.sum())
    by_blank = blank.any(axis=1)
    dropped = {"missing value": int(by_blank.sum()), "missing code": int((na & ~by_blank).sum())}
    if n_na:
        if not dropna:
            cols = [c for c in columns if df[c].isna().any()]
            what = (f"missing values in {n_na} rows" if not coded.to_numpy().any() else
                    f"missing values in {n_na} rows ({dropped['missing code']} of them only "
                    f"through missing_codes={codes})")
            raise CRMDataError(
                f"{where}: column(s) {cols}: {what}; pass dropna=True to drop them "
                f"(they will be counted in the result). " + describe_rows(data, na.to_numpy(), cols)
            )
        df = df.loc[~na]
    if scale is not None:
        lo, hi = scale
        for c in scale_columns if scale_columns is not None else columns:
            bad = ~df[c].between(lo, hi)
            if bad.any():
                # Plain numbers in the message: 0, not np.float64(0.0).
                values = [int(v) if float(v).is_integer() else float(v)
                          for v in sorted(df.loc[bad, c].unique())[:5]]
                raise CRMDataError(
                    f"{where}: column {c!r}: ratings off the {lo}-{hi} scale (values {values}); "
                    f"if a value codes 'not applicable', pass missing_codes={values[:1]} and "
                    f"dropna=True. " + describe_rows(df, bad, [c])
                )
    elif analysis and warn_codes and not codes:
        _warn_code_like_zeros(df, scale_columns if scale_columns is not None else columns, where)
    df.attrs = {"dropped": dropped if n_na else {}, "missing_codes": codes}
    if not analysis:
        return df, n_na
    if len(df) < len(columns) + 2:
        raise CRMDataError(
            f"{where}: {len(df)} complete rows is too few for {len(columns)} variables"
        )
    for c in columns:
        if df[c].std() == 0 or df[c].nunique() < 2:
            raise CRMDataError(
                f"{where}: column {c!r}: is constant ({df[c].iloc[0]!r}); it cannot drive anything"
            )
    return df, n_na


def _report_drops(target: dict, df: pd.DataFrame, n_na: int) -> None:
    """Record the rows dropped (total and by reason) and the codes used in ``attrs``."""
    target["n_dropped"] = n_na
    target["dropped"] = dict(df.attrs.get("dropped", {}))
    target["missing_codes"] = list(df.attrs.get("missing_codes", []))


def _check_collinear(R: np.ndarray, names: list[str], where: str, tol: float = 1e-10) -> None:
    """Raise if the driver correlation matrix is singular, naming the collinear drivers."""
    vals, vecs = np.linalg.eigh(R)
    small = vals < tol * max(1.0, vals.max())
    if small.any():
        v = vecs[:, small]
        involved = [names[i] for i in np.nonzero((np.abs(v) > 1e-6).any(axis=1))[0]]
        raise CRMDataError(
            f"{where}: columns {involved}: perfectly collinear drivers (one is a linear combination of the "
            f"others); drop or combine them before estimating importance"
        )


def rating_columns(data: pd.DataFrame, *, exclude=()) -> list[str]:
    """The columns of a survey that hold ratings, text-coded ratings included.

    Numeric columns are ratings; so is a text column in which most answers
    start with a number ("5 stars", "4 - good"), so that passing the list to
    :func:`driver_importance` reports such a column as an error instead of
    leaving it out without a word.  Text columns of labels (a branch id
    "B26", a context "lunch") and True/False columns are not ratings.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    exclude : iterable of str, default ()
        Columns that are not drivers (the id, the outcome, loyalty items).

    Returns
    -------
    list of str
        In the order of the frame.

    Examples
    --------
    >>> df = pd.DataFrame({"id": ["B1", "B2"], "speed": [4, 5], "food": ["5 stars", "4 stars"]})
    >>> rating_columns(df, exclude=["id"])
    ['speed', 'food']
    """
    require_frame(data, "rating_columns", allow_empty=True)
    skip = set(exclude)
    out = []
    for c in data.columns:
        if c in skip or pd.api.types.is_bool_dtype(data[c]):
            continue
        if pd.api.types.is_numeric_dtype(data[c]):
            out.append(c)
            continue
        text = data[c].dropna().astype(str).str.strip()
        if len(text) and text.str.match(r"^[+-]?\d").mean() > 0.5:
            out.append(c)
    return out


# --------------------------------------------------------------------------- core algebra


def _corr(df: pd.DataFrame, outcome: str, drivers: list[str]) -> tuple[np.ndarray, np.ndarray]:
    X = df[[outcome, *drivers]].to_numpy(dtype=float)
    C = np.corrcoef(X, rowvar=False)
    return C[1:, 1:], C[1:, 0]


def _subset_bits(k: int) -> tuple[np.ndarray, np.ndarray]:
    masks = np.arange(1 << k)
    bits = ((masks[:, None] >> np.arange(k)) & 1).astype(bool)
    return bits, bits.sum(axis=1)


def _all_subset_r2(Rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """R² of the regression on every subset of drivers; index = bitmask of the subset.

    One batched linear solve per subset size instead of 2^k separate fits.
    """
    k = len(rxy)
    bits, sizes = _subset_bits(k)
    out = np.zeros(1 << k)
    masks = np.arange(1 << k)
    for m in range(1, k + 1):
        sel = masks[sizes == m]
        idx = np.nonzero(bits[sel])[1].reshape(len(sel), m)
        A = Rxx[idx[:, :, None], idx[:, None, :]]
        b = rxy[idx]
        sol = np.linalg.solve(A, b[..., None])[..., 0]
        out[sel] = (b * sol).sum(axis=1)
    return out


def _shapley_from_values(v: np.ndarray, k: int) -> np.ndarray:
    """Shapley values of a k-player game given its value for every coalition bitmask."""
    _, sizes = _subset_bits(k)
    w = np.array([factorial(s) * factorial(k - s - 1) / factorial(k) for s in range(k)])
    masks = np.arange(1 << k)
    phi = np.empty(k)
    for j in range(k):
        without = masks[(masks >> j) & 1 == 0]
        phi[j] = (w[sizes[without]] * (v[without | (1 << j)] - v[without])).sum()
    return phi


def _importance(Rxx: np.ndarray, rxy: np.ndarray, method: str) -> tuple[np.ndarray, float]:
    """Importance vector and full-model R² for one correlation matrix."""
    k = len(rxy)
    beta = np.linalg.solve(Rxx, rxy)
    r2 = float(rxy @ beta)
    if method == "shapley":
        return _shapley_from_values(_all_subset_r2(Rxx, rxy), k), r2
    if method == "relative_weights":
        vals, vecs = np.linalg.eigh(Rxx)
        lam = vecs @ np.diag(np.sqrt(np.clip(vals, 0, None))) @ vecs.T  # corr(X, Z)
        b_z = np.linalg.solve(lam, rxy)  # regression of y on the orthogonal Z
        return (lam**2) @ (b_z**2), r2
    if method == "beta":
        return beta, r2
    if method == "pratt":
        return beta * rxy, r2
    if method == "first":
        return rxy**2, r2
    if method == "last":
        # R² drop when j is removed = beta_j² / (R^-1)_jj
        inv = np.linalg.inv(Rxx)
        return beta**2 / np.diag(inv), r2
    # Unreachable from the public functions: _method() checks the name first.
    raise CRMDataError(f"driver_importance: method {method!r}: must be one of {IMPORTANCE_METHODS}")


def _shares(imp: np.ndarray, method: str) -> np.ndarray:
    base = imp**2 if method == "beta" else imp
    total = base.sum()
    return base / total if total != 0 else np.full_like(imp, np.nan)


def _ranks(imp: np.ndarray, method: str) -> np.ndarray:
    key = np.abs(imp) if method == "beta" else imp
    return pd.Series(-key).rank(method="min").to_numpy()


def _method(method: str, where: str) -> str:
    m = _ALIASES.get(method, method)
    if m not in IMPORTANCE_METHODS:
        raise CRMDataError(
            f"{where}: method {method!r}: must be one of {IMPORTANCE_METHODS} or {list(_ALIASES)}"
        )
    return m


def _rng(seed):
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _bootstrap_importance(
    X: np.ndarray, method: str, n_boot: int, rng, progress: bool, desc: str
) -> tuple[np.ndarray, np.ndarray]:
    n = len(X)
    imps, r2s = [], []
    for _ in tqdm(range(n_boot), disable=not progress, desc=desc, leave=False):
        Xb = X[rng.integers(0, n, n)]
        C = np.corrcoef(Xb, rowvar=False)
        if not np.isfinite(C).all():
            continue  # a resample with a constant column; skip it
        try:
            imp, r2 = _importance(C[1:, 1:], C[1:, 0], method)
        except np.linalg.LinAlgError:
            continue
        imps.append(imp)
        r2s.append(r2)
    return np.array(imps), np.array(r2s)


# --------------------------------------------------------------------------- driver_importance


@renamed_kwargs(ci="level")
def driver_importance(
    data: pd.DataFrame,
    outcome: str,
    drivers: list[str],
    *,
    method: str = "shapley",
    by: str | None = None,
    n_boot: int = 0,
    level: float = 0.95,
    seed: int | np.random.Generator | None = 0,
    scale: tuple[float, float] | None = None,
    dropna: bool = False,
    missing_codes=None,
    progress: bool = True,
) -> pd.DataFrame:
    """Importance of each driver for the outcome, with bootstrap and rank intervals.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    outcome : str
        Column of the outcome (e.g. overall satisfaction).
    drivers : list of str
        Columns of the candidate drivers (attribute ratings).
    method : str, default "shapley"
        One of :data:`IMPORTANCE_METHODS` (see the module docstring); aliases
        ``"lmg"`` and ``"johnson"``.
    by : str, optional
        Column to split on (e.g. ``"context"``); one block of rows per group.
    n_boot : int, default 0
        Bootstrap resamples of respondents (within each group) for the
        percentile intervals of importance and rank; 0 = no intervals.
    level : float, default 0.95
        Coverage of the intervals.
    seed : int or Generator, default 0
        Seed of the bootstrap.
    scale : (low, high), optional
        Allowed range of the driver ratings, e.g. ``(1, 10)``; values outside
        raise.  Without it, a driver rated 1..k that also holds 0 gets a
        :class:`SurveyScaleWarning` (is 0 an answer or "not applicable"?).
    dropna : bool, default False
        Drop rows with a missing value (counted in ``attrs["n_dropped"]``)
        instead of raising.
    missing_codes : list of numbers or strings, optional
        Answers that mean "not applicable" or "don't know", e.g. ``[0]`` on a
        1-5 survey: they are treated as missing (so they need
        ``dropna=True``) instead of as ratings.
    progress : bool, default True
        Show a tqdm bar over bootstrap resamples.

    Returns
    -------
    DataFrame
        Columns ``[by,] driver, method, importance, share, rank, r2, n``, and
        with ``n_boot > 0`` also ``ci_low, ci_high, rank_ci_low, rank_ci_high``.
        ``share`` is the importance as a share of the total (of R² for Shapley,
        relative weights, Pratt); rank 1 is the most important driver.
        ``attrs["n_dropped"]`` counts rows dropped for missing values,
        ``attrs["dropped"]`` splits it into ``"missing value"`` (blank) and
        ``"missing code"`` (a value of ``missing_codes``), each row counted
        once; ``attrs["missing_codes"]`` lists the codes used.

    Raises
    ------
    CRMDataError
        Missing column, constant driver, a rating that is text and not a
        number (e.g. "5 stars"), perfectly collinear drivers, rating off the
        scale, or missing values without ``dropna``.

    Examples
    --------
    >>> import crm_analysis as crm
    >>> sim = crm.simulate_restaurant_survey(800, 10, seed=1)
    >>> t = driver_importance(sim.data, "overall_satisfaction", sim.attribute_names, progress=False)
    >>> float(round(t["share"].sum(), 6))
    1.0

    References
    ----------
    Lindeman, R. H., Merenda, P. F. & Gold, R. Z. (1980). *Introduction to Bivariate and
    Multivariate Analysis*. Scott, Foresman.
    Grömping, U. (2006). Relative importance for linear regression in R: the package relaimpo.
    *Journal of Statistical Software* 17(1).
    Johnson, J. W. (2000). A heuristic method for estimating the relative weight of predictor
    variables in multiple regression. *Multivariate Behavioral Research* 35(1), 1-19.
    """
    m = _method(method, "driver_importance")
    drivers = list(drivers)
    if len(drivers) < 1 or len(set(drivers)) != len(drivers) or outcome in drivers:
        raise CRMDataError(
            f"driver_importance: drivers {drivers}: need distinct driver columns, not including the outcome"
        )
    if len(drivers) > 20 and m == "shapley":
        raise CRMDataError(
            f"drivers: exact Shapley over {len(drivers)} drivers needs 2^{len(drivers)} fits; use <= 20"
        )
    df, n_na = _prepare(
        data,
        [outcome, *drivers],
        scale=scale,
        scale_columns=drivers,
        dropna=dropna,
        missing_codes=missing_codes,
        extra=[by] if by else None,
        where="driver_importance",
    )
    rng = _rng(seed)
    alpha = (1 - level) / 2
    groups = [(None, df)] if by is None else list(df.groupby(by, sort=True, observed=True))
    blocks = []
    for g, part in groups:
        if by is not None:
            # constant within a group is also fatal
            _prepare(part, [outcome, *drivers], warn_codes=False, where="driver_importance")
        Rxx, rxy = _corr(part, outcome, drivers)
        _check_collinear(Rxx, drivers, "driver_importance")
        imp, r2 = _importance(Rxx, rxy, m)
        out = pd.DataFrame(
            {
                "driver": drivers,
                "method": m,
                "importance": imp,
                "share": _shares(imp, m),
                "rank": _ranks(imp, m),
                "r2": r2,
                "n": len(part),
            }
        )
        if n_boot:
            X = part[[outcome, *drivers]].to_numpy(dtype=float)
            desc = f"bootstrap {m}" + (f" [{g}]" if by is not None else "")
            boots, _ = _bootstrap_importance(X, m, n_boot, rng, progress, desc)
            ranks = np.array([_ranks(b, m) for b in boots])
            out["ci_low"], out["ci_high"] = np.quantile(boots, [alpha, 1 - alpha], axis=0)
            out["rank_ci_low"], out["rank_ci_high"] = np.quantile(ranks, [alpha, 1 - alpha], axis=0)
        if by is not None:
            out.insert(0, by, g)
        blocks.append(out)
    res = pd.concat(blocks, ignore_index=True)
    _report_drops(res.attrs, df, n_na)
    return res


# --------------------------------------------------------------------------- contexts


@dataclass
class ContextComparison:
    """Result of :func:`compare_contexts`.

    Attributes
    ----------
    table : DataFrame
        Per driver: importance in each group, ``difference`` (first minus
        second group), its bootstrap ``ci_low``/``ci_high`` and the
        permutation ``p_value``.
    statistic : float
        Sum of squared differences over drivers (the global test statistic).
    p_value : float
        Permutation p-value of the global test "the drivers are the same in both groups".
    groups : tuple of str
        The two groups compared, in the order of the difference.
    n_dropped, dropped : int, dict
        Rows dropped with ``dropna=True``, in total and by reason (as in
        :func:`driver_importance`).
    """

    table: pd.DataFrame
    statistic: float
    p_value: float
    groups: tuple
    method: str = "shapley"
    n_perm: int = 0
    n_boot: int = 0
    n_dropped: int = 0
    dropped: dict = field(default_factory=dict)

    @property
    def rows_dropped_(self) -> dict:
        """Rows dropped by reason (``dropped``; the package's one rows-dropped mapping)."""
        return {k: v for k, v in self.dropped.items() if v}

    def summary(self) -> pd.DataFrame:
        """The per-driver table."""
        return self.table


@renamed_kwargs(ci="level")
def compare_contexts(
    data: pd.DataFrame,
    outcome: str,
    drivers: list[str],
    *,
    by: str = "context",
    groups: tuple | None = None,
    method: str = "shapley",
    n_boot: int = 500,
    n_perm: int = 500,
    level: float = 0.95,
    seed: int | np.random.Generator | None = 0,
    scale: tuple[float, float] | None = None,
    dropna: bool = False,
    missing_codes=None,
    progress: bool = True,
) -> ContextComparison:
    """Do the drivers differ between two contexts (C7)?

    Importance is computed separately in each group; the difference gets a
    percentile bootstrap interval (respondents resampled within each group)
    and a permutation p-value (group labels shuffled, which is the null of no
    difference).  A global permutation test uses the sum of squared
    differences over all drivers.

    Parameters
    ----------
    data, outcome, drivers, method, level, seed, scale, dropna, missing_codes, progress
        As in :func:`driver_importance`.
    by : str, default "context"
        Column holding the groups.
    groups : (str, str), optional
        The two groups to compare (difference = first - second); default: the
        two sorted levels of ``by`` (there must be exactly two then).
    n_boot, n_perm : int, default 500
        Bootstrap resamples and permutations.

    Returns
    -------
    ContextComparison

    Raises
    ------
    CRMDataError
        As :func:`driver_importance`; also when ``by`` does not give two groups.

    Examples
    --------
    >>> import crm_analysis as crm
    >>> sim = crm.simulate_restaurant_survey(1000, 10, seed=1)
    >>> cmp = compare_contexts(sim.data, "overall_satisfaction", sim.attribute_names,
    ...                        n_boot=20, n_perm=20, progress=False)
    >>> cmp.groups
    ('dinner', 'lunch')

    References
    ----------
    Good, P. (2005). *Permutation, Parametric and Bootstrap Tests of Hypotheses*. Springer.
    """
    m = _method(method, "compare_contexts")
    drivers = list(drivers)
    df, n_na = _prepare(data, [outcome, *drivers], scale=scale, scale_columns=drivers,
                        dropna=dropna, missing_codes=missing_codes, extra=[by],
                        where="compare_contexts")
    levels = sorted(df[by].dropna().unique()) if groups is None else list(groups)
    if len(levels) != 2:
        raise CRMDataError(f"compare_contexts: column {by!r}: need exactly two groups to compare, found {levels}")
    parts = []
    for g in levels:
        part = df.loc[df[by] == g]
        if part.empty:
            raise CRMDataError(f"compare_contexts: column {by!r}: no rows in group {g!r}")
        _prepare(part, [outcome, *drivers], warn_codes=False, where="compare_contexts")
        parts.append(part[[outcome, *drivers]].to_numpy(dtype=float))
    imps = []
    for X in parts:
        C = np.corrcoef(X, rowvar=False)
        _check_collinear(C[1:, 1:], drivers, "compare_contexts")
        imps.append(_importance(C[1:, 1:], C[1:, 0], m)[0])
    diff = imps[0] - imps[1]
    stat = float((diff**2).sum())
    rng = _rng(seed)
    alpha = (1 - level) / 2
    table = pd.DataFrame(
        {
            "driver": drivers,
            f"importance_{levels[0]}": imps[0],
            f"importance_{levels[1]}": imps[1],
            "difference": diff,
        }
    )
    if n_boot:
        b0, _ = _bootstrap_importance(parts[0], m, n_boot, rng, progress, f"bootstrap {levels[0]}")
        b1, _ = _bootstrap_importance(parts[1], m, n_boot, rng, progress, f"bootstrap {levels[1]}")
        nb = min(len(b0), len(b1))
        d = b0[:nb] - b1[:nb]
        table["ci_low"], table["ci_high"] = np.quantile(d, [alpha, 1 - alpha], axis=0)
    p_glob = np.nan
    if n_perm:
        pooled = np.vstack(parts)
        n0 = len(parts[0])
        exceed = np.zeros(len(drivers))
        exceed_glob = 0
        done = 0
        for _ in tqdm(range(n_perm), disable=not progress, desc="permutations", leave=False):
            perm = rng.permutation(len(pooled))
            a, b = pooled[perm[:n0]], pooled[perm[n0:]]
            try:
                Ca, Cb = np.corrcoef(a, rowvar=False), np.corrcoef(b, rowvar=False)
                dp = (
                    _importance(Ca[1:, 1:], Ca[1:, 0], m)[0]
                    - _importance(Cb[1:, 1:], Cb[1:, 0], m)[0]
                )
            except np.linalg.LinAlgError:
                continue
            done += 1
            exceed += np.abs(dp) >= np.abs(diff) - 1e-12
            exceed_glob += (dp**2).sum() >= stat - 1e-12
        table["p_value"] = (1 + exceed) / (1 + done)
        p_glob = (1 + exceed_glob) / (1 + done)
    _report_drops(table.attrs, df, n_na)
    return ContextComparison(
        table=table,
        statistic=stat,
        p_value=float(p_glob),
        groups=tuple(levels),
        method=m,
        n_perm=n_perm,
        n_boot=n_boot,
        n_dropped=n_na,
        dropped=dict(table.attrs["dropped"]),
    )


# --------------------------------------------------------------------------- groups (C11)


@renamed_kwargs(ci="level")
def group_importance(
    data: pd.DataFrame,
    outcome: str,
    groups: dict,
    *,
    n_boot: int = 0,
    level: float = 0.95,
    seed: int | np.random.Generator | None = 0,
    scale: tuple[float, float] | None = None,
    dropna: bool = False,
    missing_codes=None,
    progress: bool = True,
) -> pd.DataFrame:
    """Shapley importance of groups of drivers (e.g. value / systems / people, C11).

    The players of the Shapley game are the groups: a coalition's value is
    the R² of the regression on all drivers of its groups.  The group values
    sum to the full-model R².

    Parameters
    ----------
    data, outcome
        As in :func:`driver_importance`.
    groups : dict
        Either ``{group: [driver, ...]}`` or ``{driver: group}``.
    n_boot, level, seed, scale, dropna, missing_codes, progress
        As in :func:`driver_importance`.

    Returns
    -------
    DataFrame
        ``group, n_drivers, importance, share, r2`` (+ ``ci_low, ci_high`` with ``n_boot``).

    Raises
    ------
    CRMDataError
        As :func:`driver_importance`, or a driver listed in two groups.

    Examples
    --------
    >>> import crm_analysis as crm
    >>> sim = crm.simulate_restaurant_survey(800, 10, seed=1)
    >>> g = group_importance(sim.data, "overall_satisfaction", sim.groups, progress=False)
    >>> sorted(g["group"])
    ['people', 'systems', 'value']

    References
    ----------
    Grömping, U. (2006). Relative importance for linear regression in R: the package relaimpo.
    *Journal of Statistical Software* 17(1) (the ``groups`` option of ``calc.relimp``).
    """
    if not isinstance(groups, dict) or not groups:
        raise CRMDataError("groups: must be a non-empty dict {group: [drivers]} or {driver: group}")
    if all(isinstance(v, str) for v in groups.values()):
        inv: dict[str, list[str]] = {}
        for d, g in groups.items():
            inv.setdefault(g, []).append(d)
        groups = inv
    names = list(groups)
    drivers = [d for g in names for d in groups[g]]
    if len(set(drivers)) != len(drivers):
        dup = sorted({d for d in drivers if drivers.count(d) > 1})
        raise CRMDataError(f"groups: driver(s) {dup} listed in more than one group")
    df, n_na = _prepare(data, [outcome, *drivers], scale=scale, scale_columns=drivers,
                        dropna=dropna, missing_codes=missing_codes, where="group_importance")
    member = np.array([names.index(g) for g in names for _ in groups[g]])
    G = len(names)

    def _grp(C):
        Rxx, rxy = C[1:, 1:], C[1:, 0]
        r2 = _all_subset_r2(Rxx, rxy)
        k = len(drivers)
        # driver-level bitmask of each group coalition
        gbits, _ = _subset_bits(G)
        dmask = (gbits[:, member] * (1 << np.arange(k))[None, :]).sum(axis=1)
        v = r2[dmask]
        return _shapley_from_values(v, G), r2[-1]

    X = df[[outcome, *drivers]].to_numpy(dtype=float)
    C = np.corrcoef(X, rowvar=False)
    _check_collinear(C[1:, 1:], drivers, "group_importance")
    imp, r2 = _grp(C)
    out = pd.DataFrame(
        {
            "group": names,
            "n_drivers": [len(groups[g]) for g in names],
            "importance": imp,
            "share": imp / imp.sum(),
            "r2": r2,
        }
    )
    if n_boot:
        rng = _rng(seed)
        boots = []
        for _ in tqdm(range(n_boot), disable=not progress, desc="bootstrap groups", leave=False):
            Cb = np.corrcoef(X[rng.integers(0, len(X), len(X))], rowvar=False)
            if np.isfinite(Cb).all():
                boots.append(_grp(Cb)[0])
        alpha = (1 - level) / 2
        out["ci_low"], out["ci_high"] = np.quantile(np.array(boots), [alpha, 1 - alpha], axis=0)
    _report_drops(out.attrs, df, n_na)
    return out


# --------------------------------------------------------------------------- IPA


def importance_performance(
    data: pd.DataFrame,
    outcome: str,
    drivers: list[str],
    *,
    method: str = "shapley",
    cross: str = "mean",
    scale: tuple[float, float] | None = None,
    dropna: bool = False,
    missing_codes=None,
) -> pd.DataFrame:
    """Importance-performance analysis (Martilla & James 1977) with quadrants and actions.

    Importance is the derived importance (share of R² by ``method``);
    performance is the mean rating.  The cross-hairs sit at the mean (or
    median) importance and performance over the drivers.  Quadrants:
    *Concentrate here* (important, under-performing), *Keep up the good work*
    (important, performing), *Low priority* (neither) and *Possible overkill*
    (performing on something that matters little).

    Parameters
    ----------
    data, outcome, drivers, method, scale, dropna, missing_codes
        As in :func:`driver_importance`; performance is the mean of the
        answers that are not missing codes.
    cross : {"mean", "median"}, default "mean"
        Where the quadrant lines cross.

    Returns
    -------
    DataFrame
        ``driver, importance, performance, quadrant, priority`` sorted by
        priority (1 = act first: *Concentrate here* by importance, then the
        rest); ``attrs`` hold the cross-hair values ``importance_cut`` and
        ``performance_cut``.

    Examples
    --------
    >>> import crm_analysis as crm
    >>> sim = crm.simulate_restaurant_survey(800, 10, seed=1)
    >>> ipa = importance_performance(sim.data, "overall_satisfaction", sim.attribute_names)
    >>> set(ipa["quadrant"]) <= {"Concentrate here", "Keep up the good work", "Low priority",
    ...                          "Possible overkill"}
    True

    References
    ----------
    Martilla, J. A. & James, J. C. (1977). Importance-performance analysis.
    *Journal of Marketing* 41(1), 77-79.
    """
    if cross not in ("mean", "median"):
        raise CRMDataError(f"importance_performance: cross {cross!r}: must be 'mean' or 'median'")
    # Checked here first, so that bad input is reported under this function's name.
    df, n_na = _prepare(data, [outcome, *drivers], scale=scale, scale_columns=drivers,
                        dropna=dropna, missing_codes=missing_codes, warn_codes=False,
                        where="importance_performance")
    imp = driver_importance(
        data, outcome, drivers, method=method, scale=scale, dropna=dropna,
        missing_codes=missing_codes, progress=False,
    )
    perf = df[drivers].mean().to_numpy()
    out = pd.DataFrame(
        {"driver": drivers, "importance": imp["share"].to_numpy(), "performance": perf}
    )
    agg = np.mean if cross == "mean" else np.median
    icut, pcut = float(agg(out["importance"])), float(agg(out["performance"]))
    out["quadrant"] = [
        QUADRANTS[(i >= icut, p >= pcut)]
        for i, p in zip(out["importance"], out["performance"], strict=True)
    ]
    order = {
        "Concentrate here": 0,
        "Keep up the good work": 1,
        "Low priority": 2,
        "Possible overkill": 3,
    }
    out = out.assign(_o=out["quadrant"].map(order)).sort_values(
        ["_o", "importance"], ascending=[True, False]
    )
    out = out.drop(columns="_o").reset_index(drop=True)
    out["priority"] = np.arange(1, len(out) + 1)
    method_used = _method(method, "importance_performance")
    out.attrs.update(importance_cut=icut, performance_cut=pcut, method=method_used)
    _report_drops(out.attrs, df, n_na)
    return out


# --------------------------------------------------------------------------- asymmetric effects


def asymmetric_effects(
    data: pd.DataFrame,
    outcome: str,
    drivers: list[str],
    *,
    low: float = 5,
    high: float = 9,
    alpha: float = 0.05,
    scale: tuple[float, float] | None = None,
    dropna: bool = False,
    missing_codes=None,
) -> pd.DataFrame:
    """Penalty-reward contrast analysis: basic, performance and excitement attributes.

    Dummy coding (per attribute, the middle of the scale is the reference):
    ``low_j = 1`` if the rating is ``<= low``, ``high_j = 1`` if it is
    ``>= high``, both 0 in between.  One OLS regression of the outcome on a
    constant and all ``2k`` dummies gives, per attribute, the **penalty**
    (coefficient of ``low_j``: the drop in satisfaction when the attribute is
    rated poorly rather than middling) and the **reward** (coefficient of
    ``high_j``: the gain when it is rated outstanding).

    Classification (``p`` = two-sided p-value of each coefficient):
    neither significant -> ``"no effect"``; only the penalty -> ``"basic"``
    (must-be: only hurts); only the reward -> ``"excitement"`` (delighter: only
    helps); both -> asymmetry index ``(reward - |penalty|) / (reward + |penalty|)``
    above 1/3 -> ``"excitement"``, below -1/3 -> ``"basic"``, else ``"performance"``.

    Parameters
    ----------
    data, outcome, drivers, scale, dropna, missing_codes
        As in :func:`driver_importance`.
    low, high : float, default 5 and 9
        Upper bound of the "low" band and lower bound of the "high" band (on a
        1-10 scale: 1-5 low, 6-8 middle, 9-10 high).
    alpha : float, default 0.05
        Significance level of the classification.

    Returns
    -------
    DataFrame
        ``driver, penalty, penalty_p, reward, reward_p, n_low, n_high,
        asymmetry, kind``.

    Raises
    ------
    CRMDataError
        As :func:`driver_importance`; also when a band is empty for an attribute.

    Examples
    --------
    >>> import crm_analysis as crm
    >>> sim = crm.simulate_restaurant_survey(3000, 20, seed=1)
    >>> a = asymmetric_effects(sim.data, "overall_satisfaction", sim.attribute_names)
    >>> a.set_index("driver").loc["cleanliness", "kind"]
    'basic'

    References
    ----------
    Brandt, D. R. (1987). A procedure for identifying value-enhancing service components using
    customer satisfaction survey data. In *Add Value to Your Service*, AMA, 61-65.
    Mittal, V., Ross, W. T. & Baldasare, P. M. (1998). The asymmetric impact of negative and
    positive attribute-level performance on overall satisfaction and repurchase intentions.
    *Journal of Marketing* 62(1), 33-47.
    """
    import statsmodels.api as sm

    if not low < high:
        raise CRMDataError(f"asymmetric_effects: low={low}, high={high}: the low band must lie below the high band")
    drivers = list(drivers)
    df, n_na = _prepare(
        data, [outcome, *drivers], scale=scale, scale_columns=drivers, dropna=dropna,
        missing_codes=missing_codes, where="asymmetric_effects",
    )
    X = {}
    for d in drivers:
        lo, hi = (df[d] <= low).astype(float), (df[d] >= high).astype(float)
        for band, col in (("low", lo), ("high", hi)):
            if col.sum() == 0 or col.sum() == len(df):
                raise CRMDataError(
                    f"asymmetric_effects: column {d!r}: no variation in the {band} band (low <= {low}, high >= {high}); "
                    f"adjust low/high to the scale"
                )
        X[f"{d}__low"], X[f"{d}__high"] = lo, hi
    Xd = sm.add_constant(pd.DataFrame(X, index=df.index))
    fit = sm.OLS(df[outcome].astype(float), Xd).fit()
    rows = []
    for d in drivers:
        pen, rew = fit.params[f"{d}__low"], fit.params[f"{d}__high"]
        pp, pr = fit.pvalues[f"{d}__low"], fit.pvalues[f"{d}__high"]
        sig_p, sig_r = (pp < alpha) and pen < 0, (pr < alpha) and rew > 0
        asym = (rew - abs(pen)) / (abs(rew) + abs(pen)) if (rew or pen) else 0.0
        if not sig_p and not sig_r:
            kind = "no effect"
        elif sig_p and not sig_r:
            kind = "basic"
        elif sig_r and not sig_p:
            kind = "excitement"
        else:
            kind = "excitement" if asym > 1 / 3 else "basic" if asym < -1 / 3 else "performance"
        rows.append(
            (d, pen, pp, rew, pr, int(X[f"{d}__low"].sum()), int(X[f"{d}__high"].sum()), asym, kind)
        )
    out = pd.DataFrame(
        rows,
        columns=[
            "driver",
            "penalty",
            "penalty_p",
            "reward",
            "reward_p",
            "n_low",
            "n_high",
            "asymmetry",
            "kind",
        ],
    )
    out.attrs.update(r2=float(fit.rsquared), low=low, high=high)
    _report_drops(out.attrs, df, n_na)
    return out


# --------------------------------------------------------------------------- ordered logit


@dataclass
class OrderedSatisfactionModel(FittedModel):
    """Fitted ordered logit of a rating on drivers (:func:`ordered_satisfaction_model`).

    Attributes
    ----------
    result_ : statsmodels OrderedResults or None
        The fitted statsmodels result (None for a model rebuilt by :meth:`from_dict`).
    params_ : DataFrame
        Per driver: ``coef`` (log odds of a higher rating per scale point),
        ``se``, ``p_value``, ``odds_ratio``.  (Unlike the other fitted models,
        a table: kept for the code that reads ``params_.loc[driver, "coef"]``;
        ``coef_`` is the Series of estimates.)
    thresholds_ : Series
        The cut points between adjacent categories (on the latent scale).
    categories_ : list
        The outcome categories, lowest first.
    drivers : list of str
    standard_errors_, covariance_ : Series, DataFrame
        Of the driver coefficients (statsmodels' observed information).
    log_likelihood_, aic_, bic_ : float
        ``aic_`` and ``bic_`` count the thresholds as parameters too.
    n_obs_ : int
        Respondents fitted.
    distr : str
        ``"logit"`` or ``"probit"``.
    notes_, rows_dropped_ : list, dict
        Rows dropped with ``dropna=True``, by reason (``"missing value"``,
        ``"missing code"``), and the line that reports them.
    """

    result_: object
    params_: pd.DataFrame
    thresholds_: pd.Series
    categories_: list
    drivers: list[str]
    _X: pd.DataFrame = field(repr=False, default=None)
    standard_errors_: pd.Series = field(repr=False, default=None)
    covariance_: pd.DataFrame = field(repr=False, default=None)
    log_likelihood_: float = np.nan
    n_obs_: int = 0
    distr: str = "logit"
    notes_: list = field(default_factory=list)
    rows_dropped_: dict = field(default_factory=dict)

    _UNSAVED = ("result_",)

    @classmethod
    def _from_state(cls, state: dict) -> OrderedSatisfactionModel:
        return cls(result_=None, **state)

    @property
    def coef_(self) -> pd.Series:
        """The driver coefficients (log odds of a higher rating per scale point)."""
        return self.params_["coef"]

    # The base's table and criteria work on the estimates as a Series; here those are
    # the driver coefficients, and the thresholds count as parameters of the fit.
    def _estimates(self) -> pd.Series:
        return self.params_["coef"]

    def _n_params(self) -> int:
        return len(self.params_) + len(self.thresholds_)

    def _positive(self) -> np.ndarray:
        return np.zeros(len(self.params_), bool)  # coefficients: Wald intervals

    def _summary_extra(self, table: pd.DataFrame, z: float) -> pd.DataFrame:
        table["p_value"] = self.params_["p_value"]
        table["odds_ratio"] = self.params_["odds_ratio"]
        return table

    def summary(self, alpha: float = 0.05) -> pd.DataFrame:
        """The coefficient table: ``coef``, ``se``, the ``100 (1 - alpha)`` % Wald interval,
        ``p_value`` and ``odds_ratio``, one row per driver."""
        return super().summary(alpha)

    def predict_proba(self, X: pd.DataFrame | None = None) -> pd.DataFrame:
        """Predicted probability of each category (rows: respondents).

        ``P(y = j) = F(c_j - x b) - F(c_{j-1} - x b)`` with F the logistic
        (or normal) distribution function and ``c`` the thresholds, computed
        as statsmodels' ``OrderedModel.predict`` does.
        """
        from scipy import stats

        X = self._X if X is None else X[self.drivers]
        cdf = stats.logistic.cdf if self.distr == "logit" else stats.norm.cdf
        thresh = np.concatenate(([-np.inf], self.thresholds_.to_numpy(float), [np.inf]))
        xb = X.to_numpy(dtype=float).dot(self.params_["coef"].to_numpy(float))[:, None]
        p = np.maximum(cdf(thresh[1:] - xb) - cdf(thresh[:-1] - xb), 0)
        return pd.DataFrame(p, columns=self.categories_, index=X.index)

    def probability_shift(self, delta: float = 1.0, top: int = 2) -> pd.DataFrame:
        """Average change when each driver is raised by ``delta`` points for everyone.

        Returns, per driver, the change in the expected rating and in the
        probability of a top-``top`` box rating (e.g. 9-10 on a 1-10 scale),
        averaged over the respondents (an average marginal effect of a
        discrete change).
        """
        cats = np.asarray(self.categories_, dtype=float)
        base = self.predict_proba().to_numpy()
        e0, t0 = base @ cats, base[:, -top:].sum(axis=1)
        rows = []
        for d in self.drivers:
            X1 = self._X.copy()
            X1[d] = X1[d] + delta
            p1 = self.predict_proba(X1).to_numpy()
            rows.append(
                (d, float((p1 @ cats - e0).mean()), float((p1[:, -top:].sum(axis=1) - t0).mean()))
            )
        return pd.DataFrame(rows, columns=["driver", "expected_change", f"top{top}_change"])


def ordered_satisfaction_model(
    data: pd.DataFrame,
    outcome: str,
    drivers: list[str],
    *,
    distr: str = "logit",
    scale: tuple[float, float] | None = None,
    dropna: bool = False,
    missing_codes=None,
) -> OrderedSatisfactionModel:
    """Ordered logit (proportional odds) of an ordinal rating on the drivers.

    statsmodels' ``OrderedModel`` identifies the location through its
    thresholds and rejects a constant column, so none is added (and a
    constant driver raises :class:`CRMDataError` before fitting).

    Parameters
    ----------
    data, outcome, drivers, scale, dropna, missing_codes
        As in :func:`driver_importance` (here ``scale`` covers the outcome too);
        the outcome must take at least three values.
    distr : {"logit", "probit"}, default "logit"

    Returns
    -------
    OrderedSatisfactionModel
        With ``params_``, ``thresholds_`` and ``probability_shift()``.

    Examples
    --------
    >>> import crm_analysis as crm
    >>> sim = crm.simulate_restaurant_survey(600, 10, seed=1)
    >>> fit = ordered_satisfaction_model(sim.data, "overall_satisfaction", ["speed", "ambience"])
    >>> list(fit.params_.index)
    ['speed', 'ambience']

    References
    ----------
    McCullagh, P. (1980). Regression models for ordinal data. *Journal of the Royal Statistical
    Society B* 42(2), 109-142.
    """
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    if distr not in ("logit", "probit"):
        raise CRMDataError(f"ordered_satisfaction_model: distr {distr!r}: must be 'logit' or 'probit'")
    drivers = list(drivers)
    df, n_na = _prepare(data, [outcome, *drivers], scale=scale, dropna=dropna,
                        missing_codes=missing_codes, where="ordered_satisfaction_model")
    Rxx, _ = _corr(df, outcome, drivers)
    _check_collinear(Rxx, drivers, "ordered_satisfaction_model")
    cats = sorted(df[outcome].unique())
    if len(cats) < 3:
        raise CRMDataError(
            f"ordered_satisfaction_model: column {outcome!r}: an ordered model needs >= 3 categories, found {cats}"
        )
    y = pd.Series(pd.Categorical(df[outcome], categories=cats, ordered=True), index=df.index)
    X = df[drivers].astype(float)
    res = OrderedModel(y, X, distr=distr).fit(method="bfgs", disp=False, maxiter=2000)
    k = len(drivers)
    params = pd.DataFrame(
        {
            "coef": res.params.iloc[:k].to_numpy(),
            "se": res.bse.iloc[:k].to_numpy(),
            "p_value": res.pvalues.iloc[:k].to_numpy(),
        },
        index=pd.Index(drivers, name="driver"),
    )
    params["odds_ratio"] = np.exp(params["coef"])
    cuts = res.model.transform_threshold_params(res.params.to_numpy())[1:-1]
    thresholds = pd.Series(
        cuts, index=[f"{a}|{b}" for a, b in zip(cats[:-1], cats[1:], strict=True)], name="threshold"
    )
    names = pd.Index(drivers, name="driver")
    dropped = {k: v for k, v in df.attrs.get("dropped", {}).items() if v}
    _report_drops(params.attrs, df, n_na)
    return OrderedSatisfactionModel(
        result_=res, params_=params, thresholds_=thresholds, categories_=cats, drivers=drivers, _X=X,
        standard_errors_=pd.Series(res.bse.iloc[:k].to_numpy(), index=names, name="se"),
        covariance_=pd.DataFrame(np.asarray(res.cov_params())[:k, :k], index=names, columns=names),
        log_likelihood_=float(res.llf), n_obs_=int(res.nobs), distr=distr,
        notes_=[rows_dropped_note("ordered_satisfaction_model", dropped)] if dropped else [],
        rows_dropped_=dropped,
    )


# --------------------------------------------------------------------------- service-profit chain


@dataclass
class ServiceProfitChain:
    """Branch-level mediation employee -> customer satisfaction -> loyalty.

    Attributes
    ----------
    branches_ : DataFrame
        One row per branch: ``employee``, ``satisfaction``, ``loyalty`` (branch means), ``n``.
    paths_ : DataFrame
        ``path`` (a: employee -> satisfaction; b: satisfaction -> loyalty given
        employee; c_prime: direct employee -> loyalty; c: total; indirect: a*b),
        ``estimate``, ``ci_low``, ``ci_high``.
    indirect_ : float
        The indirect effect a*b.
    proportion_mediated_ : float
        indirect / total.
    """

    branches_: pd.DataFrame
    paths_: pd.DataFrame
    indirect_: float
    proportion_mediated_: float
    n_boot: int = 0

    def summary(self) -> pd.DataFrame:
        """The path table."""
        return self.paths_


def _paths(x: np.ndarray, m: np.ndarray, y: np.ndarray) -> np.ndarray:
    """OLS paths a, b, c', c and a*b of the simple mediation model."""
    one = np.ones_like(x)
    a = np.linalg.lstsq(np.column_stack([one, x]), m, rcond=None)[0][1]
    _, b, cp = np.linalg.lstsq(np.column_stack([one, m, x]), y, rcond=None)[0]
    c = np.linalg.lstsq(np.column_stack([one, x]), y, rcond=None)[0][1]
    return np.array([a, b, cp, c, a * b])


@renamed_kwargs(ci="level")
def service_profit_chain(
    data: pd.DataFrame,
    *,
    branch: str = "branch_id",
    employee: str = "employee_satisfaction",
    satisfaction: str = "overall_satisfaction",
    loyalty: str | list[str] = "repurchase_intent",
    standardize: bool = False,
    min_responses: int = 5,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int | np.random.Generator | None = 0,
    dropna: bool = False,
    missing_codes=None,
    progress: bool = True,
) -> ServiceProfitChain:
    """Service-profit chain across branches: does employee satisfaction reach loyalty through customers?

    Responses are averaged per branch (a list of loyalty items is averaged
    per respondent first); then the simple mediation model
    ``satisfaction = i1 + a employee`` and
    ``loyalty = i2 + c' employee + b satisfaction`` is fitted by OLS across
    branches.  The indirect effect ``a b`` gets a percentile bootstrap
    interval, resampling branches (Preacher & Hayes 2008).

    Parameters
    ----------
    data : DataFrame
        One row per response with the branch id and the three measures.
    branch, employee, satisfaction : str
        Columns.
    loyalty : str or list of str, default "repurchase_intent"
        Loyalty column, or several items to average.
    standardize : bool, default False
        Standardise the three branch means first (paths in sd units).
    min_responses : int, default 5
        Branches with fewer responses are dropped (counted in ``branches_.attrs``).
    n_boot, level, seed, dropna, missing_codes, progress
        Bootstrap and missing-value settings as in :func:`driver_importance`.

    Returns
    -------
    ServiceProfitChain

    Raises
    ------
    CRMDataError
        Missing columns, missing values without ``dropna``, employee
        satisfaction varying within a branch, fewer than 5 usable branches.

    Examples
    --------
    >>> import crm_analysis as crm
    >>> sim = crm.simulate_restaurant_survey(2000, 30, seed=1)
    >>> spc = service_profit_chain(sim.data, n_boot=50, progress=False)
    >>> list(spc.paths_["path"])
    ['a', 'b', 'c_prime', 'c', 'indirect']

    References
    ----------
    Heskett, J. L., Jones, T. O., Loveman, G. W., Sasser, W. E. & Schlesinger, L. A. (1994).
    Putting the service-profit chain to work. *Harvard Business Review* 72(2), 164-174.
    Preacher, K. J. & Hayes, A. F. (2008). Asymptotic and resampling strategies for assessing and
    comparing indirect effects in multiple mediator models. *Behavior Research Methods* 40, 879-891.
    """
    items = [loyalty] if isinstance(loyalty, str) else list(loyalty)
    cols = [employee, satisfaction, *items]
    df, n_na = _prepare(data, cols, dropna=dropna, missing_codes=missing_codes, extra=[branch],
                        where="service_profit_chain")
    df["_loyalty"] = df[items].mean(axis=1)
    varying = df.groupby(branch)[employee].nunique() > 1
    if varying.any():
        bad = df[branch].isin(varying[varying].index)
        raise CRMDataError(
            f"service_profit_chain: column {employee!r}: must be one branch-level value per {branch!r}; varies within "
            f"{int(varying.sum())} branches. " + describe_rows(df, bad, [branch, employee])
        )
    br = df.groupby(branch).agg(
        employee=(employee, "first"),
        satisfaction=(satisfaction, "mean"),
        loyalty=("_loyalty", "mean"),
        n=(satisfaction, "size"),
    )
    small = br["n"] < min_responses
    br = br.loc[~small]
    if len(br) < 5:
        raise CRMDataError(
            f"service_profit_chain: column {branch!r}: {len(br)} branches with >= {min_responses} responses; need >= 5"
        )
    V = br[["employee", "satisfaction", "loyalty"]].to_numpy(dtype=float)
    if standardize:
        V = (V - V.mean(axis=0)) / V.std(axis=0, ddof=1)
    est = _paths(*V.T)
    rng = _rng(seed)
    alpha = (1 - level) / 2
    boots = []
    for _ in tqdm(range(n_boot), disable=not progress, desc="bootstrap branches", leave=False):
        Vb = V[rng.integers(0, len(V), len(V))]
        if (
            np.ptp(Vb[:, 0]) > 0
            and np.linalg.matrix_rank(np.column_stack([np.ones(len(Vb)), Vb[:, :2]])) == 3
        ):
            boots.append(_paths(*Vb.T))
    boots = np.array(boots)
    lo, hi = (
        np.quantile(boots, [alpha, 1 - alpha], axis=0) if len(boots) else (np.full(5, np.nan),) * 2
    )
    paths = pd.DataFrame(
        {
            "path": ["a", "b", "c_prime", "c", "indirect"],
            "estimate": est,
            "ci_low": lo,
            "ci_high": hi,
        }
    )
    br = br.reset_index()
    br.attrs.update(n_dropped_rows=n_na, n_small_branches=int(small.sum()),
                    dropped=dict(df.attrs.get("dropped", {})),
                    missing_codes=list(df.attrs.get("missing_codes", [])))
    return ServiceProfitChain(
        branches_=br,
        paths_=paths,
        indirect_=float(est[4]),
        proportion_mediated_=float(est[4] / est[3]) if est[3] else np.nan,
        n_boot=len(boots),
    )


# --------------------------------------------------------------------------- NPS


@renamed_kwargs(ci="level")
def nps(
    data: pd.DataFrame,
    *,
    recommend: str = "recommend",
    by: str | list[str] | None = None,
    level: float = 0.95,
    dropna: bool = False,
    missing_codes=None,
) -> pd.DataFrame:
    """Net Promoter Score with a confidence interval, overall or per group.

    Promoters rate 9-10, passives 7-8, detractors 0-6 on the 0-10
    likelihood-to-recommend scale; NPS = % promoters - % detractors (points,
    -100 to 100).  The interval is the normal approximation with the
    multinomial variance ``(p_P + p_D - (p_P - p_D)^2) / n``.

    Parameters
    ----------
    data : DataFrame
    recommend : str, default "recommend"
        The 0-10 rating column (integers).
    by : str or list of str, optional
        Group columns.
    level : float, default 0.95
    dropna : bool, default False
        Drop missing ratings (counted in ``attrs["n_dropped"]``) instead of raising.
    missing_codes : list of numbers or strings, optional
        Answers that mean "no answer" (e.g. ``[99]``), treated as missing.

    Returns
    -------
    DataFrame
        ``[by...,] n, promoters, passives, detractors`` (shares), ``nps``, ``se``,
        ``ci_low``, ``ci_high`` (points).

    Raises
    ------
    CRMDataError
        Ratings not integers in 0-10, or missing without ``dropna``.

    Examples
    --------
    >>> df = pd.DataFrame({"recommend": [10, 9, 8, 6]})
    >>> float(nps(df)["nps"].iloc[0])
    25.0

    References
    ----------
    Reichheld, F. F. (2003). The one number you need to grow. *Harvard Business Review* 81(12), 46-54.
    """
    keys = [] if by is None else ([by] if isinstance(by, str) else list(by))
    df, n_na = _prepare(data, [recommend], scale=(0, 10), dropna=dropna, extra=keys,
                        missing_codes=missing_codes, analysis=False, where="nps")
    if df.empty:
        raise CRMDataError(f"nps: column {recommend!r}: no ratings to score")
    frac = df[recommend] % 1 != 0
    if frac.any():
        raise CRMDataError(
            f"nps: column {recommend!r}: ratings must be whole numbers 0-10. "
            + describe_rows(df, frac, [recommend])
        )
    from scipy.stats import norm

    z = norm.ppf(1 - (1 - level) / 2)
    r = df[recommend]
    tmp = df[keys].copy() if keys else pd.DataFrame(index=df.index)
    tmp["_p"], tmp["_d"], tmp["_m"] = (
        (r >= 9).astype(float),
        (r <= 6).astype(float),
        r.between(7, 8).astype(float),
    )
    agg = tmp.groupby(keys, observed=True) if keys else tmp.assign(_all=0).groupby("_all")
    out = agg.agg(
        n=("_p", "size"),
        promoters=("_p", "mean"),
        passives=("_m", "mean"),
        detractors=("_d", "mean"),
    )
    out["nps"] = 100 * (out["promoters"] - out["detractors"])
    var = (
        out["promoters"] + out["detractors"] - (out["promoters"] - out["detractors"]) ** 2
    ) / out["n"]
    out["se"] = 100 * np.sqrt(var)
    out["ci_low"], out["ci_high"] = out["nps"] - z * out["se"], out["nps"] + z * out["se"]
    out = out.reset_index(drop=not keys)
    _report_drops(out.attrs, df, n_na)
    return out
