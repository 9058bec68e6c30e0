"""Cumulative meta-analysis: pool the first 1, 2, ..., k studies in a chosen order.

All k analyses run through the batch core in one call: the studies, sorted, are broadcast to a
(k, k) batch and a lower-triangular ``include`` mask keeps studies 1..i in row i. The result of
row i is therefore exactly what :func:`metarmc.meta_binary` (or :func:`metarmc.meta_continuous`)
gives for the first i studies.

References
----------
Lau J, Antman EM, Jimenez-Silva J, Kupelnick B, Mosteller F, Chalmers TC (1992). Cumulative
meta-analysis of therapeutic trials for myocardial infarction. N Engl J Med 327:248-254.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from . import pooling
from .api import pool_masked

KINDS = ("binary", "continuous")
#: Patients per study, by kind of outcome.
_SIZE_COLUMNS = {"binary": ("total_t", "total_c"), "continuous": ("n_t", "n_c")}
#: The columns of :func:`cumulative_meta_analysis`, in order.
CUMULATIVE_COLUMNS = ("step", "study", "k", "n", "estimate", "ci_low", "ci_high", "se", "z", "p",
                      "i2", "tau2")


class CumulativePooled(NamedTuple):
    """The ordered studies and the (k, k) batch of pooled analyses, row i = first i + 1 studies.

    ``pooled`` is on the log scale for ratios (``ratio`` says which); ``n`` is the cumulative
    number of patients (both arms, estimable or not).
    """

    table: pd.DataFrame
    pooled: pooling.Pooled
    n: np.ndarray
    ratio: bool


def cumulative_meta_analysis(table: pd.DataFrame, order_by: str = "year", kind: str = "binary",
               **meta_options) -> pd.DataFrame:
    """Cumulative meta-analysis: one row per study added, in the order of ``order_by``.

    Parameters
    ----------
    table : DataFrame
        The study table of :func:`metarmc.meta_binary` (``study, events_t, total_t, events_c,
        total_c``) or :func:`metarmc.meta_continuous` (``kind="continuous"``), plus the
        ``order_by`` column.
    order_by : str
        Column to sort by (ascending; ties keep the table's order, i.e. RevMan's label order
        for :meth:`metarmc.data.Review.binary`).
    kind : {"binary", "continuous"}
    **meta_options
        Options of :func:`metarmc.meta_binary` / :func:`metarmc.meta_continuous` (``measure``,
        ``method``, ``model``, ``tau2``, ``hksj``), except ``subgroup``.

    Returns
    -------
    DataFrame
        Columns ``step`` (1..k), ``study`` (the study added), ``k`` (estimable studies pooled),
        ``n`` (cumulative patients, both arms, estimable or not), ``estimate``, ``ci_low``,
        ``ci_high`` (natural scale: ratios for OR/RR), ``se`` (log scale for ratios), ``z``,
        ``p``, ``i2`` (percent), ``tau2``. A step at which no study is estimable yet has
        ``k = 0`` and NaN estimates.

    Notes
    -----
    Row i pools studies :math:`1..i` of the sorted table; all rows come from one call of
    :func:`metarmc.pool_binary` (or :func:`metarmc.pool_effects`) with the mask
    :math:`\\text{include}_{ij} = [j \\le i]`.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"study": ["B", "A"], "year": [2001, 1999], "events_t": [5, 12],
    ...                    "total_t": [18, 20], "events_c": [4, 8], "total_c": [17, 21]})
    >>> cumulative_meta_analysis(df)[["study", "k", "n"]].values.tolist()
    [['A', 1, 41], ['B', 2, 76]]
    """
    result = cumulative_pooled(table, order_by, kind, **meta_options)
    pooled, back = result.pooled, (np.exp if result.ratio else (lambda x: x))
    k = len(result.table)
    return pd.DataFrame({
        "step": np.arange(1, k + 1), "study": result.table["study"].to_numpy(), "k": pooled.k,
        "n": result.n, "estimate": back(pooled.estimate), "ci_low": back(pooled.ci_low),
        "ci_high": back(pooled.ci_high), "se": pooled.se, "z": pooled.z, "p": pooled.p,
        "i2": pooled.i2, "tau2": pooled.tau2}, columns=list(CUMULATIVE_COLUMNS))


def cumulative_pooled(table: pd.DataFrame, order_by: str = "year", kind: str = "binary",
                      **meta_options) -> CumulativePooled:
    """The arrays behind :func:`cumulative_meta_analysis` (same parameters): sorted table, pooled batch, n."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    if "subgroup" in meta_options:
        raise ValueError("a cumulative meta-analysis has no subgroups; drop subgroup=")
    ordered = _ordered(table, order_by, kind)
    pooled, ratio = pool_masked(ordered, np.tri(len(ordered), dtype=bool), kind, **meta_options)
    n = np.cumsum(sum(ordered[c].to_numpy(int) for c in _SIZE_COLUMNS[kind]))
    return CumulativePooled(ordered, pooled, n, ratio)


def _ordered(table: pd.DataFrame, order_by: str, kind: str) -> pd.DataFrame:
    """The checked table sorted by ``order_by`` (stable), with a fresh index."""
    if "study" not in table.columns:
        raise ValueError("missing column(s) study")
    if order_by not in table.columns:
        raise ValueError(f"order_by must be a column of the table ({', '.join(map(str, table.columns))}); "
                         f"got {order_by!r}")
    missing = table[order_by].isna()
    if missing.any():
        raise ValueError(f"study {table.loc[missing, 'study'].iloc[0]!r}: {order_by} is missing")
    return table.sort_values(order_by, kind="stable").reset_index(drop=True)
