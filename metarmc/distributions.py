"""The few reference distributions the engine needs, as fast vectorised ufuncs.

``scipy.special`` ufuncs rather than ``scipy.stats`` objects: the same numbers (the stats
objects call them) without per-call overhead, which matters for a million analyses.
"""

from __future__ import annotations

import numpy as np
from scipy import special

#: Two-sided 95% normal quantile, as RevMan prints it (1.959964).
Z_95 = float(special.ndtri(0.975))


def normal_p(z):
    """Two-sided p value of a standard normal statistic: :math:`2\\,\\Phi(-|z|)`."""
    return 2 * special.ndtr(-np.abs(z))


def t_p(t, df):
    """Two-sided p value of a t statistic with ``df`` degrees of freedom."""
    return 2 * special.stdtr(df, -np.abs(t))


def t_975(df):
    """97.5% quantile of t with ``df`` degrees of freedom (computed once per distinct df)."""
    df = np.asarray(df, dtype=float)
    distinct, index = np.unique(df, return_inverse=True)
    return special.stdtrit(distinct, 0.975)[index].reshape(df.shape)


def chi2_sf(q, df):
    """Upper tail of chi-squared with ``df`` degrees of freedom."""
    return special.chdtrc(df, q)


def f_sf(f, dfn, dfd):
    """Upper tail of the F distribution with ``dfn`` and ``dfd`` degrees of freedom."""
    return special.fdtrc(dfn, dfd, f)


def chi2_isf(p, df):
    """The chi-squared value with upper-tail probability ``p`` (``df`` degrees of freedom)."""
    return special.chdtri(df, p)
