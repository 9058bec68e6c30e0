"""Heterogeneity: Cochran's Q, I², between-study variance τ², HKSJ and prediction intervals.

All functions work on arrays whose last axis is the studies, with any leading batch axes.
``include`` is a boolean mask of the same shape: excluded entries (non-estimable studies, or
padding when a batch mixes meta-analyses of different sizes) carry no weight. Callers pass
``yi``/``vi`` already cleaned so that excluded entries are finite (see
:func:`metarmc.pooling.masked`).

DerSimonian-Laird, Q and I² follow Review Manager 5 (Deeks & Higgins 2010). REML and
Paule-Mandel (their one home is :mod:`metarmc.wls`, shared with meta-regression),
Hartung-Knapp-Sidik-Jonkman (with or without the ad hoc variance correction) and prediction
intervals are **beyond RevMan**.

References
----------
Deeks JJ, Higgins JPT (2010). Statistical algorithms in Review Manager 5.
DerSimonian R, Laird N (1986). Meta-analysis in clinical trials. Control Clin Trials 7:177-188.
Paule RC, Mandel J (1982). Consensus values and weighting factors. J Res Natl Bur Stand 87:377-385.
Viechtbauer W (2005). Bias and efficiency of meta-analytic variance estimators in the
random-effects model. J Educ Behav Stat 30:261-293.
Hartung J, Knapp G (2001). On tests of the overall treatment effect in meta-analysis with
normally distributed responses. Stat Med 20:1771-1782.
Knapp G, Hartung J (2003). Improved tests for a random effects meta-regression with a single
covariate. Stat Med 22:2693-2710 (the ad hoc variance correction, :func:`hksj_scale`).
Higgins JPT, Thompson SG, Spiegelhalter DJ (2009). A re-evaluation of random-effects
meta-analysis. J R Stat Soc A 172:137-159 (prediction interval, Cochrane Handbook 6 §10.10.4.3).
"""

from __future__ import annotations

import numpy as np

from .distributions import chi2_sf, t_975
from .wls import intercept, study_count, study_sum, tau2_paule_mandel, tau2_reml


def weighted_mean(yi: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """:math:`\\sum w_i y_i / \\sum w_i` over the last axis."""
    return study_sum(weights * yi) / study_sum(weights)


def cochran_q(yi, vi, center, include) -> np.ndarray:
    """Cochran's Q around a pooled estimate, with inverse-variance weights.

    .. math:: Q = \\sum_i w_i (y_i - \\hat\\theta)^2, \\qquad w_i = 1/v_i

    RevMan uses this for every method, with :math:`\\hat\\theta` the pooled fixed-effect
    estimate of that method (Mantel-Haenszel or inverse variance), not necessarily the
    inverse-variance mean.

    Parameters
    ----------
    yi, vi : ndarray, shape (..., k)
    center : ndarray, shape (...)
        The pooled estimate Q is taken around.
    include : ndarray of bool, shape (..., k)

    Returns
    -------
    ndarray, shape (...)

    Examples
    --------
    >>> float(cochran_q(np.array([0.0, 1.0]), np.array([1.0, 0.25]), np.array(0.8), np.array([True, True])))
    0.8
    """
    w = include / vi
    return study_sum(w * (yi - center[..., None]) ** 2)


def i_squared(q, df) -> np.ndarray:
    """I² in percent: :math:`\\max(0, (Q - df)/Q) \\times 100`; 0 when Q ≤ df or k = 1.

    Examples
    --------
    >>> i_squared([8.0, 3.0], [4, 4]).tolist()   # (8 - 4) / 8; Q below its df
    [50.0, 0.0]
    """
    q, df = np.asarray(q, dtype=float), np.asarray(df, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # the branch np.where drops
        return np.where((q > df) & (df > 0), (q - df) / q * 100, 0.0)


def q_p_value(q, df) -> np.ndarray:
    """P value of the chi-squared test for heterogeneity; NaN where df = 0 (not applicable)."""
    df = np.asarray(df, dtype=float)
    return np.where(df > 0, chi2_sf(q, np.maximum(df, 1)), np.nan)


def tau2_dersimonian_laird(q, vi, include) -> np.ndarray:
    """DerSimonian-Laird moment estimator of τ², from the method's own Q.

    .. math:: \\hat\\tau^2 = \\max\\left(0, \\frac{Q - (k-1)}{\\sum w_i - \\sum w_i^2/\\sum w_i}\\right)

    In RevMan's "M-H, random" this Q is the one computed around the M-H estimate.

    Parameters
    ----------
    q : ndarray, shape (...)
        Cochran's Q of the pooling method.
    vi : ndarray, shape (..., k)
    include : ndarray of bool, shape (..., k)

    Returns
    -------
    ndarray, shape (...)

    Examples
    --------
    >>> # weights 1 and 4: scale 5 - 17/5 = 1.6; Q = 0.8 is below df = 1, so tau2 = 0
    >>> float(tau2_dersimonian_laird(np.array(0.8), np.array([1.0, 0.25]), np.array([True, True])))
    0.0
    >>> float(tau2_dersimonian_laird(np.array(2.6), np.array([1.0, 0.25]), np.array([True, True])))  # 1.6/1.6
    1.0
    """
    w = include / vi
    scale = study_sum(w) - study_sum(w**2) / study_sum(w)
    df = study_count(include) - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(df > 0, np.maximum(0.0, (q - df) / scale), 0.0)


def between_study_variance(method: str, q, yi, vi, include) -> tuple[np.ndarray, np.ndarray]:
    """τ² by ``method`` ("DL" from the pooling method's own ``q``, "REML", "PM"), and whether it converged.

    DerSimonian-Laird is closed-form and Paule-Mandel's bisection always narrows to its
    tolerance, so only REML can report ``converged=False``.
    """
    if method == "DL":
        tau2 = tau2_dersimonian_laird(q, vi, include)
    elif method == "PM":
        tau2 = tau2_paule_mandel(yi, vi, intercept(np.shape(yi)[-1]), include)
    else:
        return tau2_reml(yi, vi, intercept(np.shape(yi)[-1]), include)
    return tau2, np.ones(np.shape(tau2), bool)


def hksj_scale(q, *, adhoc: bool = False) -> np.ndarray:
    """The Hartung-Knapp variance factor :math:`q`, floored at 1 by the *ad hoc* correction.

    .. math:: q = \\frac{Q^*}{k - p}, \\qquad q_{\\text{ad hoc}} = \\max(1, q)

    :math:`Q^*` is the generalised Q, :math:`\\sum w_i^* (y_i - \\hat\\mu)^2` with
    :math:`w_i^* = 1/(v_i + \\hat\\tau^2)`, and :math:`k - p` its degrees of freedom (k - 1
    without moderators). The HKSJ variance of the pooled estimate is :math:`q` times the
    conventional random-effects variance :math:`1/\\sum w_i^*`. When the trials agree more
    than their variances imply, :math:`q < 1` and the HKSJ standard error is *smaller* than
    the conventional one; the ad hoc correction (Knapp & Hartung 2003, the "modified
    Knapp-Hartung" of Röver et al. 2015, the "constrained" convention of Jackson et al. 2017
    §4.3) never lets it be. This is metafor's ``rma(..., test="adhoc")``: ``s2w[s2w < 1] <- 1``
    (metafor 3.8-1, ``rma.uni``); ``test="knha"`` has no floor.

    Parameters
    ----------
    q : array_like
        :math:`Q^* / (k - p)`, the generalised Q per degree of freedom.
    adhoc : bool
        Floor the factor at 1.

    Returns
    -------
    ndarray

    References
    ----------
    Knapp G, Hartung J (2003). Improved tests for a random effects meta-regression with a single
    covariate. Stat Med 22:2693-2710.
    Röver C, Knapp G, Friede T (2015). Hartung-Knapp-Sidik-Jonkman approach and its modification
    for random-effects meta-analysis with few studies. BMC Med Res Methodol 15:99.
    Jackson D, Law M, Rücker G, Schwarzer G (2017). The Hartung-Knapp modification for
    random-effects meta-analysis: a useful refinement but are there any residual concerns?
    Stat Med 36:3923-3934.

    Examples
    --------
    >>> hksj_scale([0.74, 2.5]).tolist(), hksj_scale([0.74, 2.5], adhoc=True).tolist()
    ([0.74, 2.5], [1.0, 2.5])
    """
    q = np.asarray(q, dtype=float)
    return np.maximum(q, 1.0) if adhoc else q


def hksj_se(yi, vi, tau2, estimate, include, *, adhoc: bool = False) -> np.ndarray:
    """Hartung-Knapp-Sidik-Jonkman standard error (beyond RevMan), used with t(k-1).

    .. math:: SE_{HK} = \\sqrt{\\frac{q}{\\sum w_i^*}}, \\qquad
              q = \\frac{\\sum w_i^* (y_i - \\hat\\mu)^2}{k-1}, \\qquad
              w_i^* = \\frac1{v_i + \\tau^2}

    By default :math:`q` is not truncated (metafor's ``test="knha"``); with ``adhoc=True`` it
    is :math:`\\max(1, q)` (:func:`hksj_scale`, metafor's ``test="adhoc"``), so the standard
    error is never below the conventional :math:`1/\\sqrt{\\sum w_i^*}`.

    Examples
    --------
    >>> # tau2 0, weights 1 and 4 around 0.8: q = (0.64 + 4 * 0.04) / 1 = 0.8, sqrt(0.8 / 5)
    >>> args = (np.array([0.0, 1.0]), np.array([1.0, 0.25]), np.array(0.0), np.array(0.8), np.array([True, True]))
    >>> round(float(hksj_se(*args)), 6), round(float(hksj_se(*args, adhoc=True)), 6)  # ad hoc: sqrt(1 / 5)
    (0.4, 0.447214)
    """
    w = include / (vi + tau2[..., None])
    df = study_count(include) - 1
    spread = study_sum(w * (yi - estimate[..., None]) ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt(hksj_scale(spread / df, adhoc=adhoc) / study_sum(w))


def prediction_interval(estimate, se, tau2, k) -> tuple[np.ndarray, np.ndarray]:
    """95% prediction interval for the effect in a new study (beyond RevMan).

    .. math:: \\hat\\mu \\pm t_{k-2,\\,0.975} \\sqrt{\\hat\\tau^2 + SE(\\hat\\mu)^2}

    (Cochrane Handbook 6, §10.10.4.3), with the SE the model reports (the HKSJ one when HKSJ
    is used, as metafor's ``predict(..., pi.type="riley")`` does). Undefined (NaN) for k < 3.

    Examples
    --------
    >>> low, high = prediction_interval(np.array(0.0), np.array(0.3), np.array(0.16), np.array(3))
    >>> round(float(high), 4)   # t(1, 0.975) * sqrt(0.16 + 0.09) = 12.7062 * 0.5
    6.3531
    """
    df = np.asarray(k) - 2
    half = t_975(np.maximum(df, 1)) * np.sqrt(tau2 + se**2)
    half = np.where(df > 0, half, np.nan)
    return estimate - half, estimate + half
