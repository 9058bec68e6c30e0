"""Small-study effects: regression tests for funnel-plot asymmetry, and trim-and-fill.

All of this is **beyond RevMan** (RevMan 5 draws the funnel plot only) and all of it is weak
with few studies: the Cochrane Handbook (§13.3.5.4) advises against the tests with fewer than
10. Three regression tests share one weighted least-squares core,
:func:`asymmetry_regression` (a leading batch axis, so a simulation tests many meta-analyses in
one call):

- :func:`egger_test`: Egger et al. (1997), the effect on its standard error;
- :func:`peters_test`: Peters et al. (2006), the log odds ratio on 1/N, for odds ratios;
- :func:`harbord_test`: Harbord et al. (2006), Egger's test on the score statistic, for odds ratios.

For log odds ratios the Handbook (§13.3.5.4, following Sterne et al. 2011) prefers Peters' or
Harbord's test: a study's log odds ratio and its usual standard error are correlated even
without bias, which inflates Egger's false-positive rate. :func:`trim_and_fill` imputes the
studies a symmetric funnel would have and :func:`small_study_direction` says in words which
way the small studies lean. Functions named ``*_test`` take a fit (:class:`~metarmc.MetaResult`),
as metafor's ``regtest(res)`` and ``trimfill(res)`` do; their array cores work on per-study
effects ``yi`` (log scale for ratios) and variances ``vi``, or on 2x2 counts.

References
----------
Egger M, Davey Smith G, Schneider M, Minder C (1997). Bias in meta-analysis detected by a
simple, graphical test. BMJ 315:629-634.
Peters JL, Sutton AJ, Jones DR, Abrams KR, Rushton L (2006). Comparison of two methods to
detect publication bias in meta-analysis. JAMA 295:676-680.
Harbord RM, Egger M, Sterne JAC (2006). A modified test for small-study effects in
meta-analyses of controlled trials with binary endpoints. Stat Med 25:3443-3457.
Sterne JAC, Sutton AJ, Ioannidis JPA, et al. (2011). Recommendations for examining and
interpreting funnel plot asymmetry in meta-analyses of randomised controlled trials. BMJ 343:d4002.
Duval S, Tweedie R (2000). Trim and fill: a simple funnel-plot-based method of testing and
adjusting for publication bias in meta-analysis. Biometrics 56:455-463.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
import pandas as pd

from .distributions import t_p
from .effects import log_odds_ratio, peto_statistics
from .formatting import number, short
from .pooling import Pooled, masked, pool_effects, prepare_binary
from .regression import fit_arrays
from .results import MetaResult
from .schema import BINARY_COLUMNS, is_ratio, null_value
from .wls import study_sum

#: The tests of :class:`AsymmetryTest`, and what each regresses.
ASYMMETRY_TESTS = {
    "Egger": "the effect on its standard error, weights 1/SE²",
    "Peters": "the log odds ratio on 1/N, weights S·F/N (S events, F non-events, N participants)",
    "Harbord": "the score Z/V on 1/√V, weights V (Z = O − E, V its variance): Egger's test on Peto's log OR",
}


class Regression(NamedTuple):
    """Arrays of a regression test for funnel-plot asymmetry (batch shape ``B``).

    ``bias`` is the coefficient whose t test is the test of asymmetry, ``se`` its standard
    error, ``t`` its t statistic on ``df = k - 2`` degrees of freedom and ``p`` the two-sided
    p value; ``intercept`` is the other coefficient (for Egger and Peters the "limit" effect of
    a study of infinite size); ``k`` the studies used. NaN where a test is not computable
    (fewer than 3 studies, or all studies with the same value of the predictor).
    """

    bias: np.ndarray
    se: np.ndarray
    t: np.ndarray
    df: np.ndarray
    p: np.ndarray
    intercept: np.ndarray
    k: np.ndarray


def asymmetry_regression(y, x, w, include=None) -> Regression:
    """Weighted least squares of ``y`` on ``x`` with a multiplicative dispersion, and a t test of the slope.

    The core of Egger's, Peters' and Harbord's tests (R's ``lm(y ~ x, weights = w)``):

    .. math:: \\hat\\beta_1 = \\frac{\\sum w_i (x_i - \\bar x)(y_i - \\bar y)}{\\sum w_i (x_i - \\bar x)^2},
              \\qquad \\hat\\beta_0 = \\bar y - \\hat\\beta_1 \\bar x,

    with weighted means :math:`\\bar x, \\bar y`; the residual variance
    :math:`\\hat\\phi = \\sum w_i (y_i - \\hat\\beta_0 - \\hat\\beta_1 x_i)^2 / (k - 2)` scales the
    standard error :math:`SE(\\hat\\beta_1) = \\sqrt{\\hat\\phi / \\sum w_i (x_i - \\bar x)^2}`, and
    :math:`t = \\hat\\beta_1 / SE(\\hat\\beta_1)` is tested on :math:`k - 2` degrees of freedom.

    Parameters
    ----------
    y, x, w : array_like, shape (..., k)
        Response, predictor and weights of each study (last axis), any leading batch axes.
    include : array_like of bool, shape (..., k), optional
        The studies that take part (the others carry no weight).

    Returns
    -------
    Regression
        ``bias`` is the slope :math:`\\hat\\beta_1`, ``intercept`` :math:`\\hat\\beta_0`.

    Examples
    --------
    >>> # y = 1 + 2x but for the last point, 0.3 above the line: slope 10.45 / 5, intercept 4.075 - 1.5 * 2.09
    >>> reg = asymmetry_regression([1.0, 3.0, 5.0, 7.3], [0, 1, 2, 3], [1, 1, 1, 1])
    >>> round(float(reg.bias), 10), round(float(reg.intercept), 10), int(reg.df)
    (2.09, 0.94, 2)
    """
    y, x, w = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (y, x, w)))
    include = np.ones(y.shape, bool) if include is None else np.broadcast_to(np.asarray(include, bool), y.shape)
    y, x, w = masked(y, include, 0.0), masked(x, include, 0.0), np.where(include, w, 0.0)
    k = study_sum(include.astype(float))
    with np.errstate(divide="ignore", invalid="ignore"):
        total = study_sum(w)
        x_bar, y_bar = study_sum(w * x) / total, study_sum(w * y) / total
        dx, dy = x - x_bar[..., None], y - y_bar[..., None]
        sxx = study_sum(w * dx * dx)
        slope = study_sum(w * dx * dy) / sxx
        df = k - 2
        dispersion = study_sum(w * (dy - slope[..., None] * dx) ** 2) / df
        se = np.sqrt(dispersion / sxx)
        t = slope / se
    bad = (df < 1) | ~(sxx > 0)
    nan = np.where(bad, np.nan, 1.0)
    return Regression(slope * nan, se * nan, t * nan, df, t_p(t, df) * nan, (y_bar - slope * x_bar) * nan,
                      k.astype(int))


def egger_regression(yi, vi, include=None) -> Regression:
    """Egger's test on effects ``yi`` and variances ``vi``: the regression of :math:`y_i/s_i` on :math:`1/s_i`.

    .. math:: \\frac{y_i}{s_i} = \\beta_0 + \\beta_1 \\frac{1}{s_i} + \\varepsilon_i

    by ordinary least squares, and a t test of :math:`\\beta_0 = 0` (``bias``) on :math:`k - 2`
    df. This is the weighted regression of :math:`y_i` on :math:`s_i` with weights
    :math:`1/s_i^2`, whose slope is :math:`\\beta_0` (:func:`asymmetry_regression`; metafor's
    ``regtest(yi, vi, model = "lm")``); ``intercept`` is :math:`\\beta_1`, the limit effect.
    """
    vi = np.asarray(vi, dtype=float)
    return asymmetry_regression(yi, np.sqrt(vi), 1 / vi, include)


def peters_regression(events_t, total_t, events_c, total_c, include=None, correction="revman") -> Regression:
    """Peters' test on 2x2 counts: the log odds ratio regressed on the inverse of the study size.

    .. math:: \\ln OR_i = \\beta_0 + \\beta_1 \\frac{1}{N_i} + \\varepsilon_i, \\qquad
              w_i = \\Bigl(\\frac{1}{S_i} + \\frac{1}{F_i}\\Bigr)^{-1} = \\frac{S_i F_i}{N_i},

    with :math:`S_i = a_i + c_i` events, :math:`F_i = b_i + d_i` non-events and :math:`N_i`
    participants; weighted least squares with a multiplicative dispersion and a t test of
    :math:`\\beta_1 = 0` (``bias``) on :math:`k - 2` df; ``intercept`` is :math:`\\beta_0`. The
    log odds ratios take RevMan's zero-cell rule (or ``correction``) through
    :func:`~metarmc.prepare_binary`, which also leaves out the studies with no events or only
    events in both arms (:math:`S_i F_i = 0`).

    Notes
    -----
    In metafor 3.8 this is ``regtest(yi, vi = 1/(ai+ci) + 1/(bi+di), ni = ni, model = "lm",
    predictor = "ninv")`` (passing Peters' weights as ``1/vi``), as R's ``meta::metabias(...,
    method.bias = "Peters")`` computes it. metafor's default ``regtest(res, predictor = "ninv")``
    is another test: a REML mixed-effects meta-regression on :math:`1/N_i` with weights
    :math:`1/(v_i + \\tau^2)` and a z test (``model = "rma"``), and with ``model = "lm"`` it
    weighs by :math:`1/v_i`, not :math:`S_i F_i / N_i`.
    """
    prepared = prepare_binary(events_t, total_t, events_c, total_c, "OR", include, correction)
    raw = prepared.raw
    yi = log_odds_ratio(prepared.cells)[0]
    weight = 1 / (1 / (raw.a + raw.c) + 1 / (raw.b + raw.d))
    return asymmetry_regression(yi, 1 / raw.n, weight, prepared.include)


def harbord_regression(events_t, total_t, events_c, total_c, include=None) -> Regression:
    """Harbord's modified test on 2x2 counts: Egger's regression on the efficient score.

    With :math:`Z_i = O_i - E_i` and its variance :math:`V_i`
    (:func:`~metarmc.effects.peto_statistics`, no continuity correction needed),

    .. math:: \\frac{Z_i}{\\sqrt{V_i}} = \\beta_0 + \\beta_1 \\sqrt{V_i} + \\varepsilon_i

    by ordinary least squares, and a t test of :math:`\\beta_0 = 0` (``bias``) on :math:`k - 2`
    df; ``intercept`` is :math:`\\beta_1`. Since :math:`Z_i/V_i` is Peto's log odds ratio with
    variance :math:`1/V_i`, this is :func:`egger_regression` on Peto's effects (in metafor:
    ``regtest(escalc("PETO", ..., add = 0), model = "lm")``). Unlike the usual log odds ratio,
    :math:`Z_i/\\sqrt{V_i}` and :math:`\\sqrt{V_i}` are nearly uncorrelated when there is no bias.
    """
    prepared = prepare_binary(events_t, total_t, events_c, total_c, "OR", include)
    score, variance = peto_statistics(prepared.raw)
    return egger_regression(score / variance, 1 / variance, prepared.include)


@dataclass(frozen=True, repr=False)
class AsymmetryTest:
    """A regression test for funnel-plot asymmetry of one meta-analysis (see :data:`ASYMMETRY_TESTS`).

    ``bias`` is the tested coefficient (Egger's and Harbord's intercept, Peters' slope on 1/N),
    with its ``se``, ``t`` on ``df`` degrees of freedom and two-sided ``p``; ``intercept`` the
    other coefficient; ``k`` the studies used.
    """

    test: str
    bias: float
    se: float
    t: float
    df: int
    p: float
    intercept: float
    k: int

    @classmethod
    def from_regression(cls, test: str, reg: Regression) -> AsymmetryTest:
        """The result of one (unbatched) :class:`Regression`; ValueError when it is not computable."""
        k = int(reg.k)
        if k < 3:
            raise ValueError(f"{_possessive(test)} test needs at least 3 studies; got {k}")
        if np.isnan(reg.bias):
            raise ValueError(f"{_possessive(test)} test is not computable: every study has the same value "
                             "of its predictor")
        return cls(test, float(reg.bias), float(reg.se), float(reg.t), int(reg.df), float(reg.p),
                   float(reg.intercept), k)

    def to_frame(self) -> pd.DataFrame:
        """One row: ``test, bias, se, t, df, p, intercept, k``."""
        return pd.DataFrame([{name: getattr(self, name) for name in
                              ("test", "bias", "se", "t", "df", "p", "intercept", "k")}])

    def __repr__(self) -> str:
        return (f"AsymmetryTest({self.test}: bias={short(self.bias)}, se={short(self.se)}, t={self.t:.3f}, "
                f"df={self.df}, p={short(self.p)}; k={self.k})")


def egger_test(result: MetaResult) -> AsymmetryTest:
    """Egger's regression test for funnel-plot asymmetry of a fit (metafor's ``regtest(res, model = "lm")``).

    :func:`egger_regression` on the estimable studies' effects (:meth:`MetaResult.study_effects`).

    Examples
    --------
    >>> import pandas as pd
    >>> from metarmc import meta_binary
    >>> table = pd.DataFrame({"study": list("ABCD"), "events_t": [30, 12, 8, 9], "total_t": [100, 30, 15, 12],
    ...                       "events_c": [25, 8, 4, 3], "total_c": [100, 30, 15, 12]})
    >>> egger_test(meta_binary(table)).df
    2
    """
    return AsymmetryTest.from_regression("Egger", egger_regression(*result.study_effects()))


def peters_test(result: MetaResult) -> AsymmetryTest:
    """Peters' test for small-study effects of an odds-ratio fit (:func:`peters_regression` on its counts).

    The fit's continuity correction is used for the log odds ratios. Raises ValueError for a
    fit that is not an odds ratio from 2x2 counts.
    """
    counts = _counts(result, "Peters")
    return AsymmetryTest.from_regression("Peters", peters_regression(*counts, correction=result.correction))


def harbord_test(result: MetaResult) -> AsymmetryTest:
    """Harbord's modified test for small-study effects of an odds-ratio fit (:func:`harbord_regression`).

    Raises ValueError for a fit that is not an odds ratio from 2x2 counts.
    """
    return AsymmetryTest.from_regression("Harbord", harbord_regression(*_counts(result, "Harbord")))


def _possessive(test: str) -> str:
    """``Egger's``, ``Peters'``."""
    return f"{test}'" if test.endswith("s") else f"{test}'s"


def _counts(result: MetaResult, test: str) -> list[np.ndarray]:
    """The 2x2 counts of a fit's studies, for a test that is defined for odds ratios only."""
    if result.measure != "OR" or not set(BINARY_COLUMNS) <= set(result.studies.columns):
        raise ValueError(f"{_possessive(test)} test is for odds ratios from 2x2 counts; the fit is a {result.measure} "
                         f"analysis{'' if 'events_t' in result.studies else ' without counts'}")
    return [result.studies[column].to_numpy(float) for column in BINARY_COLUMNS]


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


def _asymmetry_side(yi, vi, tau2: str = "FE") -> str:
    """metafor's default: the slope of ``yi`` on ``sqrt(vi)`` says which side lacks studies.

    The meta-regression is the fit's own model (metafor's ``rma.uni(yi, vi, mods = sqrt(vi),
    method = x$method)``): weights :math:`1/(v_i + \\hat\\tau^2_{res})` with the residual τ²
    estimated by ``tau2`` ("FE" for a fixed-effect fit: weights :math:`1/v_i`). A negative slope
    (small studies to the left) means studies are missing on the right.
    """
    yi, vi = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    slope = fit_arrays(yi, vi, np.column_stack([np.ones_like(vi), np.sqrt(vi)]), tau2=tau2).beta[1]
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
    (fixed effect, or random effects with its τ² estimator) for the inverse-variance pools and
    the fit's Hartung-Knapp-Sidik-Jonkman option for the analysis when nothing is imputed.
    """
    yi, vi = result.study_effects()
    fill = trim_and_fill_effects(yi, vi, model=result.model, tau2=result.tau2_method or "DL", side=side,
                                 hksj=result.hksj)
    back = np.exp if result.is_ratio else (lambda x: x)
    filled = fill.filled.assign(estimate=back(fill.filled["yi"]), se=np.sqrt(fill.filled["vi"]))
    return replace(fill, filled=filled, measure=result.measure)


def trim_and_fill_effects(yi, vi, model="fixed", tau2="DL", side=None, max_iter=100, *, hksj=False) -> TrimAndFill:
    """Duval & Tweedie's trim-and-fill with the :math:`L_0` estimator (as metafor's ``trimfill``).

    Studies are sorted so that the missing side is on the left; the :math:`k_0` most extreme
    studies on the other side are trimmed and the pool re-estimated until :math:`k_0` is
    stable; then the trimmed studies' mirror images :math:`2\\hat\\mu - y_i` are added and
    everything is pooled with inverse-variance weights (fixed or random effects).

    Parameters
    ----------
    yi, vi : array_like, shape (k,)
        Per-study effects (log scale for ratios) and variances.
    model : {"fixed", "random"}
    tau2 : {"DL", "REML", "PM"}
        The τ² estimator of a random-effects model: in the side's meta-regression, in every
        re-estimation and in the adjusted pool.
    side : {"left", "right"}, optional
        The side where studies are missing; by default the sign of the slope of ``yi`` on
        :math:`\\sqrt{v_i}` in the same model (:func:`_asymmetry_side`).
    max_iter : int
    hksj : bool
        Whether the analysis the adjustment starts from has the Hartung-Knapp-Sidik-Jonkman CI;
        it is kept only when nothing is imputed (see Notes).

    Returns
    -------
    TrimAndFill

    Notes
    -----
    As metafor 3.8-1's ``trimfill()``: when :math:`k_0 = 0` the adjusted analysis *is* the
    analysis of the observed studies (metafor returns the fit unchanged, with its HKSJ CI if it
    had one); when :math:`k_0 > 0` the observed and imputed studies are refitted with the same
    model and τ² estimator and a Wald (z) CI, since metafor's refit does not pass ``test =
    "knha"`` on.

    Examples
    --------
    >>> fill = trim_and_fill_effects([0.1, 0.3, 0.6, 0.9], [0.01, 0.04, 0.09, 0.16])
    >>> fill.k0, fill.side
    (2, 'left')
    """
    yi, vi = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    side = side or _asymmetry_side(yi, vi, "FE" if model == "fixed" else tau2)
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
                            model=model, tau2=tau2, hksj=hksj and k0 == 0)
    return TrimAndFill(k0=k0, side=side, filled=filled, adjusted=adjusted)


@dataclass(frozen=True, repr=False)
class SmallStudyDirection:
    """Which way the small studies lean, from trim-and-fill (see :func:`small_study_direction`).

    ``estimate`` and ``adjusted`` are trim-and-fill's pooled effect of the observed studies and
    of the observed and imputed ones (natural scale of ``measure``). ``small_studies`` is
    ``"larger"`` or ``"smaller"`` (the small studies' effects, compared with the large ones',
    measured away from the null in the direction of ``estimate``), or ``""`` when nothing was
    imputed or the estimate is at the null; ``classic`` says whether that is the pattern classic
    publication bias leaves (None when there is no pattern).
    """

    measure: str
    side: str
    k0: int
    estimate: float
    adjusted: float
    small_studies: str
    classic: bool | None

    @property
    def sentence(self) -> str:
        """The finding in words, e.g. ``trim-and-fill imputes 2 studies on the right and ...``."""
        if self.k0 == 0:
            return "trim-and-fill imputes no study: it finds no funnel-plot asymmetry to adjust for"
        studies = "1 study" if self.k0 == 1 else f"{self.k0} studies"
        moves = "rises" if self.adjusted > self.estimate else "falls"
        text = (f"trim-and-fill imputes {studies} on the {self.side} and the pooled {self.measure} {moves} "
                f"from {number(self.estimate)} to {number(self.adjusted)}")
        if self.classic is None:
            return text
        verdict = ("the pattern classic publication bias leaves" if self.classic
                   else "the opposite of classic publication bias")
        return f"{text}: the small studies show {self.small_studies} effects than the large ones, {verdict}"

    def __str__(self) -> str:
        return self.sentence

    def __repr__(self) -> str:
        return f"SmallStudyDirection({self.sentence})"


def small_study_direction(result: MetaResult, fill: TrimAndFill | None = None) -> SmallStudyDirection:
    """The direction of small-study effects in words: where trim-and-fill imputes, and what that means.

    Classic publication bias removes small studies with null or unfavourable results, so the
    published small studies show *larger* effects than the large ones, and trim-and-fill, by
    imputing their missing mirror images, moves the pooled effect *towards* the null. When the
    imputed studies move it *away* from the null, the small studies show *smaller* effects:
    the opposite of that pattern (and a reason to look for other explanations, such as
    differences between small and large studies).

    Parameters
    ----------
    result : MetaResult
    fill : TrimAndFill, optional
        :func:`trim_and_fill` of ``result`` (computed when not given).

    Returns
    -------
    SmallStudyDirection
        Its ``sentence`` (also ``str()``) is the finding in words.

    Notes
    -----
    With :math:`\\hat\\theta` the pooled effect of the observed studies and
    :math:`\\hat\\theta_{TF}` after filling (analysis scale), and :math:`\\theta_0` the null, the
    small studies show larger effects when
    :math:`\\operatorname{sign}(\\hat\\theta - \\theta_0)\\,(\\hat\\theta_{TF} - \\hat\\theta) < 0`.

    Examples
    --------
    >>> import pandas as pd
    >>> from metarmc import meta_binary
    >>> # the two small trials favour treatment far more than the two large ones
    >>> table = pd.DataFrame({"study": list("ABCD"), "events_t": [60, 55, 9, 8], "total_t": [100, 100, 12, 10],
    ...                       "events_c": [50, 48, 4, 3], "total_c": [100, 100, 12, 10]})
    >>> small_study_direction(meta_binary(table)).small_studies
    'larger'
    """
    fill = fill if fill is not None else trim_and_fill(result)
    yi, vi = result.study_effects()
    observed = float(pool_effects(yi, vi, model=result.model, tau2=result.tau2_method or "DL").estimate)
    adjusted = float(fill.adjusted.estimate)
    back = np.exp if result.is_ratio else float
    towards = np.sign(observed - (np.log(null_value(result.measure)) if result.is_ratio else 0.0))
    if fill.k0 == 0 or towards == 0:
        small, classic = "", None
    else:
        classic = bool(towards * (adjusted - observed) < 0)
        small = "larger" if classic else "smaller"
    return SmallStudyDirection(result.measure, fill.side, fill.k0, float(back(observed)), float(back(adjusted)),
                               small, classic)
