"""Pooling: Mantel-Haenszel, Peto and inverse variance; the array-first core.

Every function takes arrays whose last axis is the studies and any leading batch axes, so
the same code pools one meta-analysis or a million. ``include`` masks out non-estimable
studies or padding. :func:`pool_binary` and :func:`pool_effects` run a whole analysis
(fixed or random, Q, I², τ², optional HKSJ and prediction interval) and return a
:class:`Pooled` of arrays; :mod:`metarmc.api` wraps them for DataFrames.

References
----------
Deeks JJ, Higgins JPT (2010). Statistical algorithms in Review Manager 5.
Mantel N, Haenszel W (1959). J Natl Cancer Inst 22:719-748.
Robins J, Breslow N, Greenland S (1986). Estimators of the Mantel-Haenszel variance
consistent in both sparse data and large-strata limiting models. Biometrics 42:311-323.
Greenland S, Robins JM (1985). Estimation of a common effect parameter from sparse
follow-up data. Biometrics 41:55-68.
Yusuf S, Peto R, Lewis J, Collins R, Sleight P (1985). Beta blockade during and after
myocardial infarction. Prog Cardiovasc Dis 27:335-371.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import heterogeneity as het
from .distributions import Z_95, normal_p, t_975, t_p
from .effects import BINARY_EFFECTS, Cells, continuity_corrected, estimable, peto_statistics
from .schema import BINARY_MEASURES, HKSJ_OPTIONS, METHODS, MODELS, TAU2_METHODS
from .wls import study_sum


class Pooled(NamedTuple):
    """Arrays of one or many pooled analyses (batch shape ``B``, studies ``k``).

    Ratio measures are on the log scale here. ``z`` and ``p`` are the t statistic and its
    p value (df = k - 1) when HKSJ was used. ``weight`` is in percent of the analysis's
    total weight; ``yi``/``vi`` are the per-study effects and variances used for Q.
    ``converged`` is False where an iterative τ² estimator (REML) hit its iteration cap.
    """

    estimate: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    z: np.ndarray
    p: np.ndarray
    q: np.ndarray
    q_df: np.ndarray
    q_p: np.ndarray
    i2: np.ndarray
    tau2: np.ndarray
    pi_low: np.ndarray
    pi_high: np.ndarray
    k: np.ndarray
    yi: np.ndarray
    vi: np.ndarray
    weight: np.ndarray
    include: np.ndarray
    converged: np.ndarray


def masked(values: np.ndarray, include: np.ndarray, fill: float) -> np.ndarray:
    """``values`` with excluded entries replaced by a harmless finite ``fill``."""
    return values if include.all() else np.where(include, values, fill)


class PreparedBinary(NamedTuple):
    """2x2 tables made ready for pooling by RevMan's rules (:func:`prepare_binary`).

    ``raw`` are the tables as given and ``cells`` the zero-cell-corrected ones, both with the
    excluded studies' cells replaced by 1 (finite, and carrying no weight); ``include`` says
    which studies take part. All arrays have the shape of the counts, ``(..., k)``.
    """

    raw: Cells
    cells: Cells
    include: np.ndarray
    measure: str

    def effects(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-study effects ``yi`` (log scale for OR/RR) and variances ``vi``, shape ``(..., k)``.

        From the corrected cells; a risk difference itself needs no correction, so its
        ``yi`` comes from the raw tables (only its variance uses the corrected ones).
        """
        yi, vi = BINARY_EFFECTS[self.measure](self.cells)
        if self.measure == "RD":
            yi = BINARY_EFFECTS["RD"](self.raw)[0]
        return yi, vi


def prepare_binary(events_t, total_t, events_c, total_c, measure="OR", include=None,
                   correction="revman") -> PreparedBinary:
    """RevMan 5's preparation of binary data: which studies count, and the zero-cell rule.

    1. A study with no events in both arms, or only events in both arms, is not estimable
       for OR and RR (:func:`~metarmc.effects.estimable`) and is left out; ``include``
       (optional, same shape) leaves out more.
    2. 0.5 is added to all four cells of a study with a zero cell
       (:func:`~metarmc.effects.zero_cell_corrected`); RevMan uses the corrected cells
       everywhere, in the study's effect and variance *and* inside the Mantel-Haenszel sums.
       Beyond RevMan, ``correction`` picks another continuity correction
       (:func:`~metarmc.effects.continuity_corrected`), applied in the same places.

    Parameters
    ----------
    events_t, total_t, events_c, total_c : array_like, shape (..., k)
        Counts per study (last axis), with any leading batch axes.
    measure : {"OR", "RR", "RD"}
    include : array_like of bool, shape (..., k), optional
    correction : {"revman", "all", "tacc"}

    Returns
    -------
    PreparedBinary

    Examples
    --------
    >>> prepared = prepare_binary([0, 3, 0], [10, 10, 10], [2, 4, 0], [10, 10, 10])
    >>> prepared.include.tolist()          # the double-zero third study is not estimable
    [True, True, False]
    >>> prepared.cells.a.tolist()          # 0.5 added to the first study, which has a zero cell
    [0.5, 3.0, 1.0]
    """
    if measure not in BINARY_MEASURES:
        raise ValueError(f"measure must be one of {', '.join(BINARY_MEASURES)}; got {measure!r}")
    raw = Cells.from_counts(events_t, total_t, events_c, total_c)
    keep = estimable(raw, measure)
    if include is not None:
        keep = keep & np.asarray(include, bool)
    raw = Cells(*(masked(x, keep, 1.0) for x in raw))
    return PreparedBinary(raw, continuity_corrected(raw, correction), keep, measure)


def inverse_variance(yi, vi, include, tau2=0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inverse-variance pooled estimate, its SE and the study weights (fractions).

    .. math:: w_i = \\frac1{v_i + \\tau^2}, \\quad \\hat\\theta = \\frac{\\sum w_i y_i}{\\sum w_i},
              \\quad SE(\\hat\\theta) = \\frac1{\\sqrt{\\sum w_i}}

    With ``tau2 = 0`` this is the fixed-effect model; with τ² > 0, DerSimonian-Laird style
    random effects.

    Parameters
    ----------
    yi, vi : ndarray, shape (..., k)
        Per-study effects and variances (excluded entries finite, see :func:`masked`).
    include : ndarray of bool, shape (..., k)
    tau2 : float or ndarray, shape (...)

    Returns
    -------
    estimate, se : ndarray, shape (...)
    weight : ndarray, shape (..., k)
        Fractions of the analysis's total weight.

    Examples
    --------
    >>> est, se, w = inverse_variance(np.array([0.0, 1.0]), np.array([1.0, 0.25]), np.array([True, True]))
    >>> float(est), float(se), w.tolist()   # weights 1 and 4: (0 + 4) / 5, 1 / sqrt(5)
    (0.8, 0.4472135954999579, [0.2, 0.8])
    """
    w = include / (vi + np.asarray(tau2)[..., None])
    total = study_sum(w)
    return study_sum(w * yi) / total, 1 / np.sqrt(total), w / total[..., None]


def mh_odds_ratio(cells: Cells, include):
    """M-H log odds ratio, its SE (Robins-Breslow-Greenland) and the study weights :math:`b_i c_i / N_i`.

    .. math::
        OR_{MH} = \\frac{\\sum a_i d_i / N_i}{\\sum b_i c_i / N_i}, \\qquad
        SE^2(\\ln OR_{MH}) = \\frac12\\left(\\frac{\\sum P_i R_i}{R^2}
            + \\frac{\\sum (P_i S_i + Q_i R_i)}{R S} + \\frac{\\sum Q_i S_i}{S^2}\\right)

    with :math:`P_i = (a_i+d_i)/N_i`, :math:`Q_i = (b_i+c_i)/N_i`, :math:`R_i = a_i d_i/N_i`,
    :math:`S_i = b_i c_i/N_i`, :math:`R = \\sum R_i`, :math:`S = \\sum S_i`.
    Since :math:`Q_i = 1 - P_i`, only :math:`\\sum P_i R_i` and :math:`\\sum P_i S_i` are summed.
    ``cells`` shape ``(..., k)``; the estimate and SE have shape ``(...)``.

    Examples
    --------
    >>> cells = Cells.from_counts([12, 5], [20, 18], [8, 4], [21, 17])
    >>> log_or, se, w = mh_odds_ratio(cells, np.array([True, True]))
    >>> round(float(np.exp(log_or)), 4)     # (12*13/41 + 5*13/35) / (8*8/41 + 13*4/35)
    1.8584
    """
    a, b, c, d = cells
    n = cells.n
    p_ = (a + d) / n
    r_, s_ = include * a * d / n, include * b * c / n
    r, s = study_sum(r_), study_sum(s_)
    pr, ps = study_sum(p_ * r_), study_sum(p_ * s_)
    var = 0.5 * (pr / r**2 + (ps + r - pr) / (r * s) + (s - ps) / s**2)
    return np.log(r / s), np.sqrt(var), s_


def mh_risk_ratio(cells: Cells, include):
    """M-H log risk ratio, its SE (Greenland-Robins) and the study weights :math:`c_i n_{1i} / N_i`.

    .. math::
        RR_{MH} = \\frac{\\sum a_i n_{2i}/N_i}{\\sum c_i n_{1i}/N_i}, \\qquad
        SE^2(\\ln RR_{MH}) = \\frac{\\sum (n_{1i} n_{2i}(a_i+c_i) - a_i c_i N_i)/N_i^2}
            {\\left(\\sum a_i n_{2i}/N_i\\right)\\left(\\sum c_i n_{1i}/N_i\\right)}

    Examples
    --------
    >>> cells = Cells.from_counts([12, 5], [20, 18], [8, 4], [21, 17])
    >>> # (12*21/41 + 5*17/35) / (8*20/41 + 4*18/35) = 8.57491 / 5.95958
    >>> round(float(np.exp(mh_risk_ratio(cells, np.array([True, True]))[0])), 4)
    1.4388
    """
    a, _, c, _ = cells
    n1, n2, n = cells.n1, cells.n2, cells.n
    r_, s_ = include * a * n2 / n, include * c * n1 / n
    r, s = study_sum(r_), study_sum(s_)
    var = study_sum(include * (n1 * n2 * (a + c) - a * c * n) / n**2) / (r * s)
    return np.log(r / s), np.sqrt(var), s_


def mh_risk_difference(raw: Cells, corrected: Cells, include):
    """M-H risk difference, its SE (Greenland-Robins) and the weights :math:`n_{1i} n_{2i}/N_i`.

    (metafor uses Sato's variance instead; the estimate and weights are the same.)

    .. math::
        RD_{MH} = \\frac{\\sum w_i RD_i}{\\sum w_i}, \\quad w_i = \\frac{n_{1i} n_{2i}}{N_i}, \\qquad
        SE^2(RD_{MH}) = \\frac{\\sum (a_i b_i n_{2i}^3 + c_i d_i n_{1i}^3)/(n_{1i} n_{2i} N_i^2)}
            {\\left(\\sum w_i\\right)^2}

    A risk difference needs no zero-cell correction, so the estimate uses the ``raw`` tables;
    only the variance uses the ``corrected`` ones (as R's meta documents for RevMan 5).

    Examples
    --------
    >>> raw = Cells.from_counts([12, 5], [20, 18], [8, 4], [21, 17])
    >>> # weights 20*21/41 = 10.2439 and 18*17/35 = 8.7429 on RDs 0.21905 and 0.04248
    >>> round(float(mh_risk_difference(raw, raw, np.array([True, True]))[0]), 4)
    0.1377
    """
    w = include * raw.n1 * raw.n2 / raw.n
    rd = study_sum(w * (raw.a / raw.n1 - raw.c / raw.n2)) / study_sum(w)
    a, b, c, d = corrected
    n1, n2, n = corrected.n1, corrected.n2, corrected.n
    w_corrected = include * n1 * n2 / n
    j = include * (a * b * n2**3 + c * d * n1**3) / (n1 * n2 * n**2)
    return rd, np.sqrt(study_sum(j)) / study_sum(w_corrected), w


def mantel_haenszel(prepared: PreparedBinary):
    """Mantel-Haenszel pooled estimate (log scale for OR/RR), its SE and the study weights.

    The weights are as the formulas write them, not yet fractions of their total:
    :math:`b_i c_i/N_i` (OR, :func:`mh_odds_ratio`), :math:`c_i n_{1i}/N_i` (RR,
    :func:`mh_risk_ratio`), :math:`n_{1i} n_{2i}/N_i` (RD, :func:`mh_risk_difference`), all
    from the zero-cell-corrected cells but the risk difference's estimate and weights.

    Parameters
    ----------
    prepared : PreparedBinary
        From :func:`prepare_binary` (its ``measure`` picks the formula).

    Returns
    -------
    estimate, se : ndarray, shape (...)
    weight : ndarray, shape (..., k)

    Examples
    --------
    >>> estimate, se, weight = mantel_haenszel(prepare_binary([12, 5], [20, 18], [8, 4], [21, 17]))
    >>> weight.round(4).tolist()            # b c / N = 8 * 8 / 41 and 13 * 4 / 35
    [1.561, 1.4857]
    """
    cells, include = prepared.cells, prepared.include
    if prepared.measure == "RD":
        return mh_risk_difference(prepared.raw, cells, include)
    return {"OR": mh_odds_ratio, "RR": mh_risk_ratio}[prepared.measure](cells, include)


def peto(cells: Cells, include):
    """Peto's pooled log odds ratio, SE, weights, per-study effects and Peto's own Q.

    .. math:: \\ln OR_{Peto} = \\frac{\\sum (O_i - E_i)}{\\sum V_i}, \\quad
              SE = \\frac1{\\sqrt{\\sum V_i}}, \\quad
              Q = \\sum \\frac{(O_i - E_i)^2}{V_i} - \\frac{\\left(\\sum (O_i - E_i)\\right)^2}{\\sum V_i}

    No zero-cell correction: pass the raw cells.

    Parameters
    ----------
    cells : Cells, shape (..., k)
    include : ndarray of bool, shape (..., k)

    Returns
    -------
    estimate, se : ndarray, shape (...)
    weight : ndarray, shape (..., k)
        Fractions of :math:`\\sum V_i`.
    yi, vi : ndarray, shape (..., k)
        Per-study Peto log odds ratios :math:`(O_i - E_i)/V_i` and variances :math:`1/V_i`.
    q : ndarray, shape (...)

    Examples
    --------
    >>> estimate, se, *_ = peto(Cells.from_counts([1], [2], [0], [2]), np.array([True]))
    >>> float(estimate)                     # O - E = 1 - 2*1/4 = 0.5, V = 2*2*1*3/(16*3) = 0.25
    2.0
    """
    o_e, v = peto_statistics(cells)
    o_e, v = masked(o_e, include, 0.0), masked(v, include, 1.0)
    sum_oe, sum_v = study_sum(include * o_e), study_sum(include * v)
    q = study_sum(include * o_e**2 / v) - sum_oe**2 / sum_v
    return sum_oe / sum_v, 1 / np.sqrt(sum_v), include * v / sum_v[..., None], o_e / v, 1 / v, q


def check_options(method, model, tau2_method, hksj, prediction):
    """ValueError for an unknown method, model, τ² estimator or HKSJ option, or a combination RevMan does not allow."""
    for name, value, allowed in (("method", method, METHODS), ("model", model, MODELS),
                                 ("tau2", tau2_method, TAU2_METHODS), ("hksj", hksj, HKSJ_OPTIONS)):
        if value not in allowed:
            raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed) if name == 'hksj' else allowed)}; "
                             f"got {value!r}")
    if model == "fixed" and (hksj or prediction):
        raise ValueError("hksj and prediction need model='random'")
    if method == "Peto" and model == "random":
        raise ValueError("Peto's method is fixed-effect only (as in RevMan)")


def pool_binary(events_t, total_t, events_c, total_c, measure="OR", method="MH", model="fixed",
                tau2="DL", hksj=False, prediction=False, include=None, correction="revman") -> Pooled:
    """Pool binary outcomes of one or many meta-analyses (last axis = studies).

    RevMan 5 rules (:func:`prepare_binary`): studies with no events or only events in both
    arms are dropped for OR/RR (not estimable); 0.5 is added to all four cells of a study
    with a zero cell, also inside the M-H sums (not for Peto). Q uses inverse-variance
    weights around the pooled fixed-effect estimate of the chosen method; "random" is
    DerSimonian-Laird from that Q (or REML/PM, beyond RevMan) with inverse-variance pooling.

    Parameters
    ----------
    events_t, total_t, events_c, total_c : array_like, shape (..., k)
        Counts per study; any leading batch axes pool many analyses at once.
    measure : {"OR", "RR", "RD"}
    method : {"MH", "IV", "Peto"}
    model : {"fixed", "random"}
    tau2 : {"DL", "REML", "PM"}
    hksj : {False, True, "adhoc"}
        Hartung-Knapp-Sidik-Jonkman test and CI (random effects); ``"adhoc"`` with the ad hoc
        variance correction, whose SE is never below the conventional one
        (:func:`metarmc.heterogeneity.hksj_scale`).
    prediction : bool
        95% prediction interval (random effects), with the SE of the chosen test.
    include : array_like of bool, shape (..., k), optional
        Studies to pool (e.g. a leave-one-out or cumulative mask); default all.
    correction : {"revman", "all", "tacc"}
        The continuity correction (:func:`prepare_binary`); Peto's method uses none.

    Returns
    -------
    Pooled
        Arrays of shape ``(...)`` per analysis (``yi``, ``vi``, ``weight``, ``include``:
        ``(..., k)``); log scale for OR/RR.

    Examples
    --------
    >>> pooled = pool_binary([[12, 5], [12, 5]], [[20, 18], [20, 18]], [[8, 4], [8, 4]], [[21, 17], [21, 17]],
    ...                      include=[[True, True], [True, False]])
    >>> np.exp(pooled.estimate).round(4).tolist()  # both studies; the first only: (12*13)/(8*8)
    [1.8584, 2.4375]
    """
    with np.errstate(divide="ignore", invalid="ignore"):  # k = 0 entries of a batch give NaN
        return _pool_binary(events_t, total_t, events_c, total_c, measure, method, model, tau2,
                            hksj, prediction, include, correction)


def _pool_binary(events_t, total_t, events_c, total_c, measure, method, model, tau2, hksj,
                 prediction, include, correction) -> Pooled:
    if method == "Peto" and measure != "OR":
        raise ValueError("Peto's method pools odds ratios only")
    check_options(method, model, tau2, hksj, prediction)
    prepared = prepare_binary(events_t, total_t, events_c, total_c, measure, include, correction)
    include = prepared.include
    if method == "Peto":
        estimate, se, weight, yi, vi, q = peto(prepared.raw, include)
        return _finish(estimate, se, weight, yi, vi, q, include, "fixed", tau2, hksj, prediction)
    yi, vi = prepared.effects()
    if method == "MH":
        estimate, se, weight = mantel_haenszel(prepared)
        weight = weight / study_sum(weight)[..., None]
    else:
        estimate, se, weight = inverse_variance(yi, vi, include)
    q = het.cochran_q(yi, vi, estimate, include)
    return _finish(estimate, se, weight, yi, vi, q, include, model, tau2, hksj, prediction)


def pool_effects(yi, vi, model="fixed", tau2="DL", hksj=False, prediction=False, include=None) -> Pooled:
    """Inverse-variance pooling of given effects ``yi`` with variances ``vi`` (last axis = studies).

    Parameters
    ----------
    yi, vi : array_like, shape (..., k)
        Per-study effects (log scale for ratios) and their variances.
    model, tau2, hksj, prediction, include
        As for :func:`pool_binary`.

    Returns
    -------
    Pooled

    Examples
    --------
    >>> float(pool_effects([0.0, 1.0], [1.0, 0.25]).estimate)   # weights 1 and 4
    0.8
    """
    check_options("IV", model, tau2, hksj, prediction)
    yi, vi = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    include = np.ones(yi.shape, bool) if include is None else np.asarray(include, bool)
    yi, vi = masked(yi, include, 0.0), masked(vi, include, 1.0)
    estimate, se, weight = inverse_variance(yi, vi, include)
    q = het.cochran_q(yi, vi, estimate, include)
    return _finish(estimate, se, weight, yi, vi, q, include, model, tau2, hksj, prediction)


def _finish(estimate, se, weight, yi, vi, q, include, model, tau2_method, hksj, prediction) -> Pooled:
    """Heterogeneity, the random-effects step, the test of the overall effect and the CIs."""
    k = het.study_count(include)
    df = k - 1
    q = np.where(df > 0, q, 0.0)  # one study: no heterogeneity (not rounding noise)
    tau2, converged = np.zeros_like(estimate), np.ones(np.shape(estimate), bool)
    if model == "random":
        tau2, converged = het.between_study_variance(tau2_method, q, yi, vi, include)
        estimate, se, weight = inverse_variance(yi, vi, include, tau2)
    crit, test_se = np.full_like(estimate, Z_95), se
    with np.errstate(divide="ignore", invalid="ignore"):
        if hksj:
            test_se = het.hksj_se(yi, vi, tau2, estimate, include, adhoc=hksj == "adhoc")
            crit = t_975(np.maximum(df, 1))
            z = estimate / test_se
            p = np.where(df > 0, t_p(z, np.maximum(df, 1)), np.nan)
        else:
            z = estimate / se
            p = normal_p(z)
    pi_low = pi_high = np.full_like(estimate, np.nan)
    if prediction:
        pi_low, pi_high = het.prediction_interval(estimate, test_se, tau2, k)
    return Pooled(estimate=estimate, se=test_se, ci_low=estimate - crit * test_se,
                  ci_high=estimate + crit * test_se, z=z, p=p, q=q, q_df=df,
                  q_p=het.q_p_value(q, df), i2=het.i_squared(q, df), tau2=tau2,
                  pi_low=pi_low, pi_high=pi_high, k=k, yi=yi, vi=vi, weight=weight * 100,
                  include=include, converged=converged)
