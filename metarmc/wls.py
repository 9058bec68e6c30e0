"""Weighted least squares over a batch of meta-analyses, and the τ² estimators built on it.

The generalised Q (:func:`generalised_q`), the τ² at which it reaches a value
(:func:`tau2_where_q_is`: Paule-Mandel's estimate, the Q-profile bounds) and REML τ² are the
shared core of :mod:`metarmc.heterogeneity` (pooling: an intercept only),
:mod:`metarmc.regression` (moderators) and :mod:`metarmc.qprofile`. Arrays have any leading
batch axes and the studies on the last axis; ``include`` masks excluded entries (they carry no
weight), ``X`` is the design matrix, shape (k, p) or with the batch axes in front.

References
----------
Paule RC, Mandel J (1982). Consensus values and weighting factors. J Res Natl Bur Stand 87:377-385.
Viechtbauer W (2005). Bias and efficiency of meta-analytic variance estimators in the
random-effects model. J Educ Behav Stat 30:261-293.
Raudenbush SW (2009). Analyzing effect sizes: random-effects models. In Cooper H, Hedges LV,
Valentine JC (eds), The Handbook of Research Synthesis and Meta-Analysis, 2nd ed., 295-315.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

#: Convergence of the REML fixed-point iteration (absolute change in τ²) and its cap.
_REML_TOL, _REML_MAX_ITER = 1e-12, 10_000
#: Bisection steps of :func:`tau2_where_q_is` (the bracket shrinks by 2**-steps: to the last bit).
_BISECTION_STEPS = 100
#: A design column whose QR diagonal is below this fraction of the largest is collinear.
_RANK_TOL = 1e-10


class ConvergenceWarning(RuntimeWarning):
    """An iterative estimator stopped at its iteration cap without meeting its tolerance."""


def study_sum(values: np.ndarray) -> np.ndarray:
    """Sum over the studies (last) axis.

    Done as a product with a vector of ones: BLAS makes this several times faster than
    ``ndarray.sum`` over a short last axis, which matters for a million meta-analyses.
    """
    return values @ np.ones(values.shape[-1])


def study_count(include: np.ndarray) -> np.ndarray:
    """Number of included studies per meta-analysis."""
    return study_sum(include).astype(int)


def intercept(k: int) -> np.ndarray:
    """The design matrix of a meta-analysis without moderators: a column of k ones."""
    return np.ones((k, 1))


class WeightedFit(NamedTuple):
    """One weighted least-squares step (batch shape ``B``; k studies, p coefficients)."""

    beta: np.ndarray  # (B, p)
    cov: np.ndarray  # (B, p, p): (X'WX)^-1
    rss: np.ndarray  # (B,): sum of w_i (y_i - x_i'beta)^2, the generalised Q
    weight: np.ndarray  # (B, k): w_i = include / (v_i + tau2)
    resid: np.ndarray  # (B, k)
    hat: np.ndarray  # (B, k): diagonal of X (X'WX)^-1 X'W


def weighted_fit(yi, vi, X, include, tau2) -> WeightedFit:
    """Weighted least squares with weights :math:`w_i = 1/(v_i + \\tau^2)`, by QR decomposition.

    .. math:: \\hat\\beta = (X^\\top W X)^{-1} X^\\top W y, \\qquad
              Q(\\tau^2) = \\sum_i w_i (y_i - x_i^\\top \\hat\\beta)^2 = y^\\top P y,
              \\qquad P = W - W X (X^\\top W X)^{-1} X^\\top W

    The QR factors of :math:`W^{1/2} X` keep the accuracy of ill-conditioned designs (an
    uncentred year); a single column is solved in closed form, :math:`\\hat\\beta = \\sum w_i x_i
    y_i / \\sum w_i x_i^2`. Where the included studies leave the design rank-deficient the batch
    entry is NaN.

    Examples
    --------
    >>> fit = weighted_fit(np.array([0.0, 1.0, 3.0]), np.array([0.5, 0.5, 1.0]), intercept(3), np.ones(3, bool), 0.0)
    >>> float(fit.beta[0]), float(fit.rss)   # weights 2, 2, 1: mean 5/5; Q = 2*1 + 0 + 1*4
    (1.0, 6.0)
    """
    w = include / (vi + np.asarray(tau2)[..., None])
    if X.shape[-1] == 1:
        return _single_column_fit(yi, X[..., 0], w)
    root = np.sqrt(w)
    q, r = np.linalg.qr(root[..., None] * X)
    diag = np.abs(np.diagonal(r, axis1=-2, axis2=-1))
    deficient = diag.min(axis=-1) <= _RANK_TOL * diag.max(axis=-1)
    r = np.where(deficient[..., None, None], np.eye(r.shape[-1]), r)
    r_inv = np.linalg.inv(r)
    cov = r_inv @ np.swapaxes(r_inv, -1, -2)
    beta = np.einsum("...jk,...ik,...i->...j", cov, X, w * yi)
    nan = np.where(deficient, np.nan, 1.0)
    beta, cov = beta * nan[..., None], cov * nan[..., None, None]
    resid = yi - np.einsum("...ij,...j->...i", X, beta)
    hat = (q**2).sum(axis=-1)
    return WeightedFit(beta, cov, study_sum(w * resid**2), w, resid, hat * nan[..., None])


def _single_column_fit(yi, x, w) -> WeightedFit:
    """:func:`weighted_fit` for a design of one column ``x`` (the intercept: x = 1)."""
    information = study_sum(w * x**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = np.where(information > 0, 1 / information, np.nan)
    beta = cov * study_sum(w * x * yi)
    resid = yi - x * beta[..., None]
    return WeightedFit(beta[..., None], cov[..., None, None], study_sum(w * resid**2), w, resid,
                       w * x**2 * cov[..., None])


def trace_p(fit: WeightedFit) -> np.ndarray:
    """:math:`\\operatorname{tr} P = \\sum_i w_i (1 - h_i)`."""
    return study_sum(fit.weight * (1 - fit.hat))


def generalised_q(yi, vi, X, include, tau2) -> np.ndarray:
    """The generalised Q at ``tau2``, the weighted residual sum of squares.

    .. math:: Q(\\tau^2) = \\sum_i w_i (y_i - x_i^\\top\\hat\\beta(\\tau^2))^2, \\qquad w_i = \\frac1{v_i + \\tau^2}

    The residual sum of squares of :func:`weighted_fit`; at τ² = 0 it is Cochran's Q (the
    residual heterogeneity :math:`Q_E` with moderators). It decreases in τ² towards 0.

    Examples
    --------
    >>> float(generalised_q(np.array([0.0, 1.0, 3.0]), np.full(3, 0.5), intercept(3), np.ones(3, bool), 0.5))
    4.666666666666667

    (weights 1: :math:`\\sum (y_i - 4/3)^2 = 14/3`).
    """
    return weighted_fit(yi, vi, X, include, tau2).rss


def tau2_where_q_is(target, yi, vi, X, include) -> np.ndarray:
    """The τ² at which the generalised Q falls to ``target``; 0 where :math:`Q(0) \\le` ``target``.

    NaN where the included studies leave the design rank-deficient (as :func:`weighted_fit`).

    .. math:: Q(\\tau^2) = \\text{target}, \\qquad \\text{target} > 0

    Solved by bisection (100 halvings: to the last bit), vectorised over the batch, on
    :math:`[0, RSS_{OLS}/\\text{target}]`: since :math:`w_i \\le 1/\\tau^2`,
    :math:`Q(\\tau^2) \\le RSS_{OLS}/\\tau^2` with :math:`RSS_{OLS}` the residual sum of squares of
    the unweighted fit, so Q is at most ``target`` at the upper end. With ``target`` = k - p it is
    the Paule-Mandel estimate (:func:`tau2_paule_mandel`); with chi-squared quantiles, the bounds
    of the Q-profile interval (:func:`metarmc.qprofile.heterogeneity_ci`).

    Parameters
    ----------
    target : array_like
        Broadcast against the batch shape of ``yi``.
    yi, vi, X, include
        As in :func:`tau2_reml`.

    Returns
    -------
    ndarray
        Of the batch shape broadcast with that of ``target``.

    Examples
    --------
    >>> # equal variances 0.5: Q = (14/3) / (0.5 + tau2) = 2 at tau2 = 7/3 - 1/2
    >>> yi, vi = np.array([0.0, 1.0, 3.0]), np.full(3, 0.5)
    >>> round(float(tau2_where_q_is(2.0, yi, vi, intercept(3), np.ones(3, bool))), 12)
    1.833333333333
    """
    target = np.asarray(target, dtype=float)
    zeros = np.zeros(np.broadcast_shapes(np.shape(yi)[:-1], target.shape))
    ols = weighted_fit(yi, np.ones_like(vi), X, include, zeros)
    low, high = zeros, ols.rss / target
    for _ in range(_BISECTION_STEPS):
        mid = (low + high) / 2
        above = generalised_q(yi, vi, X, include, mid) > target
        low, high = np.where(above, mid, low), np.where(above, high, mid)
    at_zero = generalised_q(yi, vi, X, include, zeros)
    return np.where(at_zero > target, (low + high) / 2, np.where(np.isnan(at_zero), np.nan, 0.0))


def tau2_paule_mandel(yi, vi, X, include) -> np.ndarray:
    """Paule-Mandel τ² (beyond RevMan): the root of :math:`Q(\\tau^2) = k - p`, 0 if :math:`Q(0) \\le k - p`.

    .. math:: \\sum_i \\frac{(y_i - x_i^\\top\\hat\\beta(\\tau^2))^2}{v_i + \\tau^2} = k - p

    (:func:`tau2_where_q_is`); metafor's ``rma(method = "PM")``.

    The arguments are those of :func:`tau2_reml`; the estimate, of shape (...), is 0 wherever
    the studies are no more than the coefficients.

    Examples
    --------
    >>> # equal variances: the root of sum (y - mean)^2 / (v + tau2) = k - 1 is s_y^2 - v = 7/3 - 1/2
    >>> round(float(tau2_paule_mandel(np.array([0.0, 1.0, 3.0]), np.full(3, 0.5), intercept(3), np.ones(3, bool))), 6)
    1.833333
    """
    df = study_count(include) - X.shape[-1]
    return np.where(df > 0, tau2_where_q_is(np.maximum(df, 1), yi, vi, X, include), 0.0)


def tau2_hedges(yi, vi, X, include) -> np.ndarray:
    """Hedges' (HE) estimator, REML's start: :math:`\\max(0, (RSS_{OLS} - \\operatorname{tr}(P_{OLS} V))/(k - p))`.

    :math:`RSS_{OLS}` and :math:`P_{OLS}` are those of the unweighted fit and
    :math:`V = \\operatorname{diag}(v_i)`, so :math:`\\operatorname{tr}(P_{OLS} V) = \\sum_i v_i (1 - h_i)`.
    Without moderators, :math:`\\max(0, s_y^2 - \\bar v)`: the unweighted variance of the
    effects less their mean variance.

    Takes ``yi, vi, X, include`` as :func:`tau2_reml` does; returns τ² of shape (...), 0 where
    there are no more studies than coefficients.

    Examples
    --------
    >>> yi, vi = np.array([0.0, 1.0, 3.0]), np.array([0.5, 0.5, 1.0])
    >>> round(float(tau2_hedges(yi, vi, intercept(3), np.ones(3, bool))), 6)   # s_y^2 = 7/3 less mean(v) = 2/3
    1.666667
    """
    ols = weighted_fit(yi, np.ones_like(vi), X, include, np.zeros(np.shape(yi)[:-1]))
    df = study_count(include) - X.shape[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        he = (ols.rss - study_sum(include * vi * (1 - ols.hat))) / df
    return np.where(df > 0, np.maximum(0.0, he), 0.0)


def tau2_reml(yi, vi, X, include) -> tuple[np.ndarray, np.ndarray]:
    """Restricted maximum-likelihood τ², by Viechtbauer's fixed-point iteration of the REML equation.

    .. math:: \\tau^2 \\leftarrow \\max\\left(0, \\frac{\\sum_i w_i^2\\,[e_i^2 - v_i] + \\sum_i w_i h_i}
              {\\sum_i w_i^2}\\right), \\qquad w_i = \\frac1{v_i + \\tau^2}

    with :math:`e_i` the residuals and :math:`h_i` the hat values of the weighted fit
    (:func:`weighted_fit`); without moderators :math:`\\sum w_i h_i / \\sum w_i^2 = 1/\\sum w_i`.
    Its fixed points are the roots of the REML score, and τ² = 0 where the score is negative at
    0. Started at Hedges' estimator (:func:`tau2_hedges`), as metafor starts, and iterated until
    the change is below 1e-12; in a batch each analysis stops as soon as it has converged. The
    restricted likelihood can have a local maximum inside while its largest value is at τ² = 0:
    as metafor's ``rma()`` does, the root is kept only when its restricted log-likelihood
    (:func:`reml_log_likelihood`) is not below the one at 0.

    Parameters
    ----------
    yi, vi : ndarray, shape (..., k)
        Effects and variances (excluded entries finite).
    X : ndarray, shape (k, p) or (..., k, p)
        The design matrix (:func:`intercept` without moderators).
    include : ndarray of bool, shape (..., k)

    Returns
    -------
    tau2 : ndarray, shape (...)
        0 where there are no more studies than coefficients.
    converged : ndarray of bool, shape (...)
        False where the iteration hit its cap of 10,000 steps; a :class:`ConvergenceWarning`
        then says how many analyses did not converge.

    Examples
    --------
    >>> tau2, converged = tau2_reml(np.array([0.0, 1.0, 3.0]), np.full(3, 0.5), intercept(3), np.ones(3, bool))
    >>> round(float(tau2), 6), bool(converged)   # equal variances: tau2 = s_y^2 - v = 7/3 - 1/2
    (1.833333, True)

    Five precise null trials and one imprecise one at 2; metafor's rma(method = "REML") gives 0.3613.

    >>> yi, vi = np.array([0, 0, 0, 0, 0, 2.0]), np.array([0.025, 0.025, 0.025, 1 / 248, 1 / 1224, 2 / 11])
    >>> round(float(tau2_reml(yi, vi, intercept(6), np.ones(6, bool))[0]), 4)
    0.3613

    An inner root with a lower likelihood than τ² = 0 (about 0.184 here): metafor gives 0.

    >>> yi, vi = np.array([0, 0, 0.0599, -0.8223, -1.6673]), np.array([0.375, 0.01, 0.01, 1, 0.375])
    >>> float(tau2_reml(yi, vi, intercept(5), np.ones(5, bool))[0])
    0.0
    """
    shape, k, p = np.shape(yi)[:-1], np.shape(yi)[-1], X.shape[-1]
    y, v, inc = (np.broadcast_to(a, (*shape, k)).reshape(-1, k) for a in (yi, vi, include))
    x = X if X.ndim == 2 else np.broadcast_to(X, (*shape, k, p)).reshape(-1, k, p)
    tau2, done = _iterate(tau2_hedges(y, v, x, inc), y, v, x, inc)
    at_zero = reml_log_likelihood(np.zeros_like(tau2), y, v, x, inc) > reml_log_likelihood(tau2, y, v, x, inc)
    tau2 = np.where(at_zero, 0.0, tau2)
    enough = (study_count(inc) > p).reshape(shape)
    return np.where(enough, tau2.reshape(shape), 0.0), done.reshape(shape) | ~enough


def _iterate(tau2, yi, vi, X, include) -> tuple[np.ndarray, np.ndarray]:
    """The fixed-point iteration of :func:`tau2_reml` from ``tau2`` (batch flattened): (τ², converged)."""
    tau2 = tau2.astype(float)
    active = np.arange(tau2.size)
    for _ in range(_REML_MAX_ITER):
        x = X if X.ndim == 2 else X[active]
        updated = _reml_update(tau2[active], yi[active], vi[active], x, include[active])
        converged = ~(np.abs(updated - tau2[active]) >= _REML_TOL)  # NaN (a rank-deficient design) stops
        tau2[active] = updated
        active = active[~converged]
        if active.size == 0:
            break
    done = np.ones(tau2.size, bool)
    done[active] = False
    if active.size:
        warnings.warn(f"REML tau2 did not converge in {_REML_MAX_ITER:,} iterations for {active.size} of "
                      f"{tau2.size} analyses", ConvergenceWarning, stacklevel=3)
    return tau2, done


def _reml_update(tau2, yi, vi, X, include) -> np.ndarray:
    """One fixed-point step of the REML equation (see :func:`tau2_reml`)."""
    fit = weighted_fit(yi, vi, X, include, tau2)
    w2 = fit.weight**2
    with np.errstate(divide="ignore", invalid="ignore"):
        step = (study_sum(w2 * (include * (fit.resid**2 - vi))) + study_sum(fit.weight * fit.hat)) / study_sum(w2)
    return np.maximum(0.0, step)


def reml_log_likelihood(tau2, yi, vi, X, include) -> np.ndarray:
    """The restricted log-likelihood at ``tau2``, without its constant.

    .. math:: \\ell_R(\\tau^2) = -\\tfrac12 \\Big[\\sum_i \\log(v_i + \\tau^2)
              + \\log\\lvert X^\\top W X\\rvert + y^\\top P y\\Big]

    (Viechtbauer 2005, eq. 12; the constant :math:`-\\tfrac{k-p}{2}\\log 2\\pi` is left out,
    so only differences are meaningful).
    """
    fit = weighted_fit(yi, vi, X, include, tau2)
    log_det_information = -np.linalg.slogdet(fit.cov)[1]
    return -0.5 * (study_sum(include * np.log(vi + np.asarray(tau2)[..., None])) + log_det_information + fit.rss)
