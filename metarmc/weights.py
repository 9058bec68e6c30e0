"""Each study's weight before it becomes a percentage: Mantel-Haenszel, inverse variance, Peto.

:func:`~metarmc.pooling.pool_binary` reports weights in percent of the analysis's total;
:func:`study_weights` gives the numbers they are the percentages of, as the formulas write
them, so a reader can redo one study's weight by hand:

- Mantel-Haenszel: :math:`b_i c_i / N_i` for the odds ratio, :math:`c_i n_{1i} / N_i` for
  the risk ratio, :math:`n_{1i} n_{2i} / N_i` for the risk difference;
- inverse variance: :math:`1 / v_i`, with :math:`v_i` the variance of the study's log OR,
  log RR or RD (:mod:`metarmc.effects`); :math:`1/(v_i + \\tau^2)` under random effects;
- Peto: :math:`V_i`, the hypergeometric variance of the treated arm's events;

with RevMan's rules: 0.5 added to every cell of a study with a zero cell (not for Peto, nor
for the M-H RD weight), and weight 0 for a study that is not estimable.

References
----------
Deeks JJ, Higgins JPT (2010). Statistical algorithms in Review Manager 5.
Higgins JPT, Thomas J, et al. (eds) (2023). Cochrane Handbook for Systematic Reviews of
Interventions 6.4, §10.3 and §10.4.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .api import meta_binary
from .effects import peto_statistics
from .pooling import mantel_haenszel, prepare_binary
from .schema import BINARY_COLUMNS, BINARY_MEASURES, METHODS

#: The methods of :func:`weight_table`, in order, and the column-name suffix of each.
TABLE_METHODS = {"MH": "mh", "IV": "iv", "Peto": "peto"}


def study_weights(events_t, total_t, events_c, total_c, measure="OR", method="MH", tau2=None) -> np.ndarray:
    """Each study's weight as the formula writes it (not yet a percentage).

    Parameters
    ----------
    events_t, total_t, events_c, total_c : array_like
        Counts per study (last axis), with any leading batch axes.
    measure : {"OR", "RR", "RD"}
    method : {"MH", "IV", "Peto"}
    tau2 : float or array, optional
        A between-study variance: random-effects weights :math:`1/(v_i + \\tau^2)`, which
        RevMan uses whatever the fixed-effect method (not with Peto).

    Returns
    -------
    ndarray
        Weights of the shape of the counts; dividing by their sum over the studies gives
        ``pool_binary(...).weight / 100``.

    Examples
    --------
    >>> # M-H OR: b c / N = (20 - 12) * 8 / 41 and (18 - 5) * 4 / 35
    >>> study_weights([12, 5], [20, 18], [8, 4], [21, 17]).round(4)
    array([1.561 , 1.4857])
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if measure not in BINARY_MEASURES:
        raise ValueError(f"measure must be one of {', '.join(BINARY_MEASURES)}; got {measure!r}")
    if method == "Peto" and (measure != "OR" or tau2 is not None):
        raise ValueError("Peto weights are for fixed-effect odds ratios only (measure='OR', no tau2)")
    if tau2 is not None and np.any(np.asarray(tau2) < 0):
        raise ValueError(f"tau2 must be >= 0; got {tau2!r}")
    prepared = prepare_binary(events_t, total_t, events_c, total_c, measure)
    include = prepared.include
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "Peto":
            return np.where(include, peto_statistics(prepared.raw)[1], 0.0)
        if method == "MH" and tau2 is None:
            return include * mantel_haenszel(prepared)[2]
        variance = prepared.effects()[1]
        tau2 = 0.0 if tau2 is None else np.asarray(tau2, dtype=float)[..., None]
        return include / (variance + tau2)


def weight_table(df: pd.DataFrame, measure="OR") -> pd.DataFrame:
    """Every study's weight under each fixed-effect method: the formula's number and the percentage.

    Parameters
    ----------
    df : DataFrame
        As for :func:`~metarmc.meta_binary`.
    measure : {"OR", "RR", "RD"}
        Peto's columns are there for the odds ratio only.

    Returns
    -------
    DataFrame
        ``study``, then for each method ``weight_mh`` (:func:`study_weights`) and
        ``percent_mh`` (the weight :func:`~metarmc.meta_binary` reports), and the same for
        ``iv`` and ``peto``.
    """
    methods = [m for m in TABLE_METHODS if measure == "OR" or m != "Peto"]
    table = pd.DataFrame({"study": df["study"].to_numpy()})
    for method in methods:
        suffix = TABLE_METHODS[method]
        result = meta_binary(df, measure=measure, method=method)  # checks the table
        table[f"weight_{suffix}"] = study_weights(*(df[c].to_numpy(float) for c in BINARY_COLUMNS),
                                                  measure=measure, method=method)
        table[f"percent_{suffix}"] = result.studies["weight"].to_numpy()
    return table
