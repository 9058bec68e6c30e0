"""Small-study effects: Egger's regression test and Duval & Tweedie's trim-and-fill.

Both are **beyond RevMan** (RevMan 5 draws the funnel plot only) and both are weak with
few studies: the Cochrane Handbook (§13.3.5.4) advises against tests with fewer than 10.
:func:`egger_test` and :func:`trim_and_fill` take a fit, as metafor's ``regtest(res)`` and
``trimfill(res)`` do; their array cores :func:`egger_regression` and
:func:`trim_and_fill_effects` work on per-study effects ``yi`` (log scale for ratios) and
variances ``vi``.

References
----------
Egger M, Davey Smith G, Schneider M, Minder C (1997). Bias in meta-analysis detected by a
simple, graphical test. BMJ 315:629-634.
Duval S, Tweedie R (2000). Trim and fill: a simple funnel-plot-based method of testing and
adjusting for publication bias in meta-analysis. Biometrics 56:455-463.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .distributions import t_p
from .formatting import short
from .pooling import Pooled, pool_effects
from .results import MetaResult
from .schema import is_ratio


@dataclass(frozen=True)
class EggerTest:
    """Egger's test: the intercept of the regression of :math:`y_i/s_i` on :math:`1/s_i`."""

    intercept: float
    se: float
    t: float
    df: int
    p: float

    def __repr__(self) -> str:
        return (f"EggerTest(intercept={self.intercept:.4g}, se={self.se:.4g}, "
                f"t={self.t:.3f}, df={self.df}, p={self.p:.4g})")


def egger_test(result: MetaResult) -> EggerTest:
    """Egger's regression test for funnel-plot asymmetry of a fit (metafor's ``regtest(res, model = "lm")``).

    :func:`egger_regression` on the estimable studies' effects (:meth:`MetaResult.study_effects`).
    """
    return egger_regression(*result.study_effects())


def egger_regression(yi, vi) -> EggerTest:
    """Egger's regression test for funnel-plot asymmetry, on effects ``yi`` and variances ``vi``.

    Ordinary least squares of the standardised effect on precision,

    .. math:: \\frac{y_i}{s_i} = \\beta_0 + \\beta_1 \\frac{1}{s_i} + \\varepsilon_i,

    and a t test of :math:`\\beta_0 = 0` with :math:`k - 2` degrees of freedom. (This equals
    metafor's ``regtest(..., model = "lm")``, whose slope on :math:`s_i` is :math:`\\beta_0`.)
    """
    yi, vi = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    k = len(yi)
    if k < 3:
        raise ValueError(f"Egger's test needs at least 3 studies; got {k}")
    se = np.sqrt(vi)
    design = np.column_stack([np.ones(k), 1 / se])
    coef, rss, *_ = np.linalg.lstsq(design, yi / se, rcond=None)
    sigma2 = float(rss[0]) / (k - 2) if rss.size else 0.0
    cov = sigma2 * np.linalg.inv(design.T @ design)
    intercept, intercept_se = coef[0], np.sqrt(cov[0, 0])
    t = intercept / intercept_se
    return EggerTest(float(intercept), float(intercept_se), float(t), k - 2, float(t_p(t, k - 2)))


@dataclass(frozen=True, repr=False)
class TrimAndFill:
    """Result of trim-and-fill: how many studies were imputed, on which side, and the adjusted pool.

    ``filled`` has one row per imputed study: ``yi``, ``vi`` (analysis scale), ``estimate``
    (natural scale) and ``se``, as :func:`metarmc.plots.funnel_plot` takes them. ``adjusted``
    is the pooled analysis of observed and imputed studies (arrays, analysis scale);
    ``estimate``, ``ci_low`` and ``ci_high`` are it on the natural scale of ``measure``.
    """

    k0: int
    side: str
    filled: pd.DataFrame
    adjusted: Pooled
    measure: str = ""

    def _natural(self, name: str) -> float:
        value = float(getattr(self.adjusted, name))
        return float(np.exp(value)) if is_ratio(self.measure) else value

    @property
    def estimate(self) -> float:
        return self._natural("estimate")

    @property
    def ci_low(self) -> float:
        return self._natural("ci_low")

    @property
    def ci_high(self) -> float:
        return self._natural("ci_high")

    def __repr__(self) -> str:
        return (f"TrimAndFill(k0={self.k0}, side={self.side!r}, adjusted {self.measure or 'estimate'} "
                f"{short(self.estimate)} [{short(self.ci_low)}, {short(self.ci_high)}])")


def _asymmetry_side(yi, vi) -> str:
    """metafor's default: the slope of ``yi`` on ``sqrt(vi)`` (weights 1/vi) says which side lacks studies."""
    se = np.sqrt(vi)
    w = 1 / vi
    design = np.column_stack([np.ones_like(se), se]) * np.sqrt(w)[:, None]
    slope = np.linalg.lstsq(design, yi * np.sqrt(w), rcond=None)[0][1]
    return "right" if slope < 0 else "left"


def _l0(centred: np.ndarray) -> int:
    """Duval & Tweedie's :math:`L_0 = (4 T_n - k(k+1)) / (2k - 1)`, rounded, at least 0.

    :math:`T_n` is the sum of the ranks of :math:`|y_i - \\hat\\mu|` over the studies above
    the pooled estimate (ties ranked by order of appearance).
    """
    k = len(centred)
    ranks = np.empty(k)
    ranks[np.argsort(np.abs(centred), kind="stable")] = np.arange(1, k + 1)
    t_n = ranks[centred > 0].sum()
    return max(0, int(np.round((4 * t_n - k * (k + 1)) / (2 * k - 1))))


def trim_and_fill(result: MetaResult, side: str | None = None) -> TrimAndFill:
    """Duval & Tweedie's trim-and-fill of a fit (metafor's ``trimfill(res)``).

    :func:`trim_and_fill_effects` on the estimable studies' effects, with the fit's model
    (fixed effect, or random effects with its τ² estimator) for the inverse-variance pools.
    """
    yi, vi = result.study_effects()
    fill = trim_and_fill_effects(yi, vi, model=result.model, tau2=result.tau2_method or "DL", side=side)
    back = np.exp if result.is_ratio else (lambda x: x)
    filled = fill.filled.assign(estimate=back(fill.filled["yi"]), se=np.sqrt(fill.filled["vi"]))
    return replace(fill, filled=filled, measure=result.measure)


def trim_and_fill_effects(yi, vi, model="fixed", tau2="DL", side=None, max_iter=100) -> TrimAndFill:
    """Duval & Tweedie's trim-and-fill with the :math:`L_0` estimator (as metafor's ``trimfill``).

    Studies are sorted so that the missing side is on the left; the :math:`k_0` most extreme
    studies on the other side are trimmed and the pool re-estimated until :math:`k_0` is
    stable; then the trimmed studies' mirror images :math:`2\\hat\\mu - y_i` are added and
    everything is pooled with inverse-variance weights (fixed or random effects).
    """
    yi, vi = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    side = side or _asymmetry_side(yi, vi)
    sign = -1.0 if side == "right" else 1.0
    order = np.argsort(sign * yi, kind="stable")
    flipped, v_sorted = sign * yi[order], vi[order]
    k, k0, previous = len(yi), 0, -1
    for _ in range(max_iter):
        if k0 == previous:
            break
        previous = k0
        mu = float(pool_effects(flipped[: k - k0], v_sorted[: k - k0], model=model, tau2=tau2).estimate)
        k0 = _l0(flipped - mu)
    mirrored = sign * (2 * mu - flipped[k - k0:])
    filled = pd.DataFrame({"yi": mirrored, "vi": v_sorted[k - k0:]})
    adjusted = pool_effects(np.concatenate([yi, mirrored]), np.concatenate([vi, filled["vi"]]),
                            model=model, tau2=tau2)
    return TrimAndFill(k0=k0, side=side, filled=filled, adjusted=adjusted)
