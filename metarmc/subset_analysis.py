"""GOSH: the analysis redone on every subset of the studies (beyond RevMan).

A "graphical display of study heterogeneity" (Olkin et al. 2012) plots the pooled estimate
against I² for all :math:`2^k - 1` non-empty subsets of the studies; clusters and outlying
clouds point at the studies behind heterogeneity. Every subset is pooled in one call of the
batch core :func:`metarmc.pooling.pool_effects` with an inclusion mask.

References
----------
Olkin I, Dahabreh IJ, Trikalinos TA (2012). GOSH - a graphical display of study heterogeneity.
Res Synth Methods 3:214-223.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .pooling import pool_effects
from .regression import model_inputs
from .wls import study_sum

#: The statistics of :func:`gosh`, one column each, before the membership columns.
GOSH_COLUMNS = ("estimate", "i2", "tau2", "q", "k")


def gosh(result, max_subsets: int = 1_000_000, *, seed: int = 0) -> pd.DataFrame:
    """Pool every non-empty subset of the studies of an inverse-variance ``result``.

    Parameters
    ----------
    result : MetaResult
        ``meta_binary(..., method="IV")`` or ``meta_continuous``, fixed or random effects.
    max_subsets : int
        With more than this many subsets (:math:`2^k - 1`), that many are drawn at random
        instead: each study is in a drawn subset with probability 1/2, empty draws are redrawn
        (metafor draws the size from Binomial(k, 1/2), then the studies: the same distribution).
    seed : int
        Seed of the random draw.

    Returns
    -------
    DataFrame
        One row per subset: ``estimate`` (natural scale: a ratio for OR/RR), ``i2`` (percent),
        ``tau2``, ``q`` (Cochran's Q), ``k``, then one boolean column per study (named by the
        study) saying whether it is in the subset. Enumerated subsets come in metafor's
        order: by size, and within a size with the first study changing fastest.

    Notes
    -----
    ``i2`` follows metafor's ``gosh()``: :math:`100\\,(Q - (k-1))/Q` for fixed-effect and
    DerSimonian-Laird models, and :math:`100\\,\\hat\\tau^2/(\\hat\\tau^2 + \\tilde v)` with
    :math:`\\tilde v = (k-1)\\sum w_i / ((\\sum w_i)^2 - \\sum w_i^2)`, :math:`w_i = 1/v_i`, for
    REML and Paule-Mandel (for DL the two are equal). A single-study subset has Q = I² = τ² = 0.

    References
    ----------
    Olkin I, Dahabreh IJ, Trikalinos TA (2012). Res Synth Methods 3:214-223.

    Examples
    --------
    >>> import pandas as pd
    >>> from metarmc import meta_continuous
    >>> df = pd.DataFrame({"study": ["A", "B", "C"], "mean_t": [1.0, 2.0, 0.5], "sd_t": [1.0, 1.0, 1.0],
    ...                    "n_t": [20, 30, 25], "mean_c": [0.0, 0.0, 0.0], "sd_c": [1.0, 1.0, 1.0],
    ...                    "n_c": [20, 30, 25]})
    >>> table = gosh(meta_continuous(df))
    >>> table["k"].tolist()
    [1, 1, 1, 2, 2, 2, 3]
    """
    if not isinstance(max_subsets, (int, np.integer)) or max_subsets < 1:
        raise ValueError(f"max_subsets must be a positive integer; got {max_subsets!r}")
    model = model_inputs(result)
    if model.X.shape[1] != 1:
        raise ValueError("gosh takes an analysis without moderators (a MetaResult)")
    labels = [str(s) for s in model.labels]
    for label in labels:
        if label in GOSH_COLUMNS:
            raise ValueError(f"study {label!r} has the name of a GOSH column ({', '.join(GOSH_COLUMNS)}): rename it")
    include = subsets(len(labels), max_subsets, seed)
    shape = include.shape
    random = model.tau2 != "FE"
    pooled = pool_effects(np.broadcast_to(model.yi, shape), np.broadcast_to(model.vi, shape),
                          model="random" if random else "fixed", tau2=model.tau2 if random else "DL",
                          include=include)
    i2 = pooled.i2
    if model.tau2 in ("REML", "PM"):
        i2 = _i2_from_tau2(pooled.tau2, model.vi, include)
    estimate = np.exp(pooled.estimate) if model.is_ratio else pooled.estimate
    table = pd.DataFrame({"estimate": estimate, "i2": i2, "tau2": pooled.tau2, "q": pooled.q, "k": pooled.k})
    return pd.concat([table, pd.DataFrame(include, columns=labels)], axis=1)


def subsets(k: int, max_subsets: int, seed: int) -> np.ndarray:
    """Boolean (n, k) membership of every non-empty subset, or of ``max_subsets`` random ones."""
    if 2**k - 1 <= max_subsets:
        codes = np.arange(1, 2**k)
        members = ((codes[:, None] >> np.arange(k)) & 1).astype(bool)
        return members[np.argsort(members.sum(axis=1), kind="stable")]
    rng = np.random.default_rng(seed)
    members = rng.random((max_subsets, k)) < 0.5
    empty = ~members.any(axis=1)
    while empty.any():
        members[empty] = rng.random((int(empty.sum()), k)) < 0.5
        empty = ~members.any(axis=1)
    return members


def _i2_from_tau2(tau2, vi, include) -> np.ndarray:
    """metafor's τ²-based I² (percent) of each subset; 0 for a single study."""
    w = include / vi
    sum_w = study_sum(w)
    df = study_sum(include) - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        vt = df * sum_w / (sum_w**2 - study_sum(w**2))
        return np.where(df > 0, 100 * tau2 / (tau2 + vt), 0.0)
