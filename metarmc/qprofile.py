"""Q-profile confidence intervals for τ², τ, I² and H² (Viechtbauer 2007; beyond RevMan).

The generalised Q statistic :math:`Q(\\tau^2) = \\sum_i w_i (y_i - x_i^\\top\\hat\\beta(\\tau^2))^2`,
:math:`w_i = 1/(v_i + \\tau^2)`, follows a chi-squared distribution with k - p degrees of
freedom at the true τ² and decreases in τ²; the interval collects the τ² at which it is not
rejected. The intervals for I² and H² are the τ² interval mapped through metafor's
:math:`I^2 = 100\\,\\tau^2/(\\tau^2 + \\tilde v)` and :math:`H^2 = \\tau^2/\\tilde v + 1`.

References
----------
Viechtbauer W (2007). Confidence intervals for the amount of heterogeneity in meta-analysis.
Stat Med 26:37-52.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .distributions import chi2_isf
from .regression import fit_arrays, model_inputs
from .wls import tau2_where_q_is

#: The rows of :func:`heterogeneity_ci`.
ROWS = ("tau2", "tau", "i2", "h2")


def heterogeneity_ci(result, level: float = 0.95) -> pd.DataFrame:
    """Q-profile confidence intervals for the heterogeneity, as metafor's ``confint(rma(...))``.

    Parameters
    ----------
    result : MetaResult or MetaRegression
        A random-effects inverse-variance analysis (``meta_binary(..., method="IV",
        model="random")`` or ``meta_continuous(..., model="random")``, any τ² estimator) or a
        random-effects meta-regression (residual heterogeneity).
    level : float
        Confidence level, between 0 and 1.

    Returns
    -------
    DataFrame
        Indexed ``tau2, tau, i2, h2``, columns ``estimate, ci_low, ci_high``. ``estimate`` is
        the analysis's τ²; its ``i2`` and ``h2`` are metafor's τ²-based ones (see Notes), which
        for REML and PM differ from RevMan's :math:`(Q - df)/Q` that ``result.i2`` holds.

    Notes
    -----
    The bounds solve :math:`Q(\\tau^2_{low}) = \\chi^2_{k-p,\\,1-\\alpha/2}` and
    :math:`Q(\\tau^2_{high}) = \\chi^2_{k-p,\\,\\alpha/2}` (upper-tail quantiles); a bound whose
    equation has no root in :math:`[0, \\infty)` because :math:`Q(0)` is already below the
    quantile is 0 (both are 0 when the data are more homogeneous than expected). I² and H²
    use the typical within-study variance :math:`\\tilde v = (k - p)/\\operatorname{tr} P`,
    :math:`P = W - W X (X^\\top W X)^{-1} X^\\top W` with :math:`W = \\operatorname{diag}(1/v_i)`
    (for no moderators, :math:`\\tilde v = (k-1)\\sum w_i / ((\\sum w_i)^2 - \\sum w_i^2)`, Higgins &
    Thompson's). metafor searches for roots only up to ``max(100, 10 tau2)``; here the search
    is not capped (the same bounds whenever metafor finds them).

    References
    ----------
    Viechtbauer W (2007). Stat Med 26:37-52.

    Examples
    --------
    >>> import pandas as pd
    >>> from metarmc import meta_continuous
    >>> df = pd.DataFrame({"study": list("ABCD"), "mean_t": [1.0, 2.0, 0.2, 1.5], "sd_t": [1.0] * 4,
    ...                    "n_t": [20, 30, 25, 40], "mean_c": [0.0] * 4, "sd_c": [1.0] * 4, "n_c": [20, 30, 25, 40]})
    >>> ci = heterogeneity_ci(meta_continuous(df, model="random", tau2="REML"))
    >>> bool(ci.loc["tau2", "ci_low"] <= ci.loc["tau2", "estimate"] <= ci.loc["tau2", "ci_high"])
    True
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95); got {level!r}")
    model = model_inputs(result)
    if model.tau2 == "FE":
        raise ValueError("heterogeneity_ci needs a random-effects analysis (model='random'): "
                         "a fixed-effect model has no tau2 to bound")
    fit = fit_arrays(model.yi, model.vi, model.X, tau2=model.tau2)
    df = len(model.yi) - model.X.shape[1]
    if df < 1:
        raise ValueError(f"heterogeneity_ci needs more studies than coefficients; got k = {len(model.yi)}")
    alpha = 1 - level
    critical = np.array([chi2_isf(alpha / 2, df), chi2_isf(1 - alpha / 2, df)])
    bounds = tau2_where_q_is(critical, model.yi, model.vi, model.X, np.ones(len(model.yi), bool))
    tau2 = np.array([float(fit.tau2), *bounds])
    vt = float(fit.vt)
    table = np.vstack([tau2, np.sqrt(tau2), 100 * tau2 / (vt + tau2), tau2 / vt + 1])
    return pd.DataFrame(table, index=pd.Index(ROWS), columns=["estimate", "ci_low", "ci_high"])
