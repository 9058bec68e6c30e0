"""Mixed-effects meta-regression (beyond RevMan): moderators, τ² by REML, DL or PM, z or Knapp-Hartung tests.

The array core :func:`fit_arrays` takes effects ``yi`` and variances ``vi`` with any leading
batch axes (last axis = studies), a design matrix ``X`` of shape (k, p) shared by the batch
(or with the same leading axes) and an ``include`` mask, as :mod:`metarmc.pooling` does: the
weighted least-squares step and every τ² estimator run for all analyses of a batch at once
(the k leave-one-out fits of :mod:`metarmc.influence` are one call). :func:`meta_regression`
is the DataFrame layer: it builds the design matrix from moderator columns, checks the input
and returns a frozen :class:`MetaRegression`.

The model is :math:`y_i = x_i^\\top\\beta + u_i + e_i`, :math:`u_i \\sim N(0, \\tau^2)`,
:math:`e_i \\sim N(0, v_i)`; with ``tau2="FE"`` it is the fixed-effect model (:math:`\\tau^2 = 0`).
The numbers are those of R's metafor, ``rma(yi, vi, mods = ~ ..., method = ..., test = "z" | "knha")``.

References
----------
Thompson SG, Higgins JPT (2002). How should meta-regression analyses be undertaken and
interpreted? Stat Med 21:1559-1573.
Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. J Stat Softw 36(3):1-48.
Knapp G, Hartung J (2003). Improved tests for a random effects meta-regression with a single
covariate. Stat Med 22:2693-2710.
Raudenbush SW (2009). Analyzing effect sizes: random-effects models. In Cooper H, Hedges LV,
Valentine JC (eds), The Handbook of Research Synthesis and Meta-Analysis, 2nd ed., 295-315.
Higgins JPT, Thompson SG (2002). Quantifying heterogeneity in a meta-analysis. Stat Med
21:1539-1558 (I² and H² from τ² and a typical within-study variance).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from .distributions import Z_95, chi2_sf, f_sf, normal_p, t_975, t_p
from .pooling import masked
from .results import MetaResult
from .wls import study_count, study_sum, tau2_paule_mandel, tau2_reml, trace_p, weighted_fit

#: τ² estimators; "FE" is the fixed-effect model (τ² = 0).
TAU2_METHODS = ("REML", "DL", "PM", "FE")
#: Name of the intercept row of :attr:`MetaRegression.coefficients`.
INTERCEPT = "intercept"


class RegressionFit(NamedTuple):
    """A fitted meta-regression of one or many analyses (batch shape ``B``)."""

    beta: np.ndarray  # (B, p)
    vb: np.ndarray  # (B, p, p), scaled by s2w under Knapp-Hartung
    tau2: np.ndarray  # (B,)
    s2w: np.ndarray  # (B,): Knapp-Hartung scale factor (1 for z tests)
    qe: np.ndarray  # (B,): residual heterogeneity Q (fixed-effect weights)
    vt: np.ndarray  # (B,): typical within-study variance (k - p) / tr(P)
    k: np.ndarray  # (B,)
    df: np.ndarray  # (B,): k - p
    weight: np.ndarray  # (B, k): fractions of the total weight
    hat: np.ndarray  # (B, k)
    resid: np.ndarray  # (B, k): y_i - x_i'beta


def tau2_dersimonian_laird(yi, vi, X, include) -> np.ndarray:
    """DerSimonian-Laird τ² for meta-regression (Raudenbush 2009).

    .. math:: \\hat\\tau^2 = \\max\\left(0, \\frac{Q_E - (k - p)}{\\operatorname{tr} P}\\right)

    with :math:`Q_E` and :math:`P` from the fixed-effect weights :math:`1/v_i`. Without
    moderators it is the DerSimonian-Laird estimate from the inverse-variance Q; pooling's
    :func:`metarmc.heterogeneity.tau2_dersimonian_laird` takes the Q of the pooling method
    instead (RevMan's "M-H, random" uses the M-H one).

    Its arguments are those of :func:`metarmc.wls.tau2_reml`; it returns τ² of shape (...), 0
    where there are no more studies than coefficients.

    Examples
    --------
    >>> # y = 0, 2, 2 on x = 0, 1, 2, v = 0.5: residuals -1/3, 2/3, -1/3, so Q_E = 2 * 2/3 = 4/3;
    >>> # equal weights 2: tr P = 2 (k - p) = 2, and tau2 = (4/3 - 1) / 2
    >>> X = np.column_stack([np.ones(3), [0.0, 1.0, 2.0]])
    >>> round(float(tau2_dersimonian_laird(np.array([0.0, 2.0, 2.0]), np.full(3, 0.5), X, np.ones(3, bool))), 6)
    0.166667
    """
    fit = weighted_fit(yi, vi, X, include, np.zeros(np.shape(yi)[:-1]))
    df = study_count(include) - X.shape[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(df > 0, np.maximum(0.0, (fit.rss - df) / trace_p(fit)), 0.0)


def between_study_variance(yi, vi, X, include, method) -> np.ndarray:
    """τ² by ``method`` ("REML", "DL", "PM"; "FE" gives 0) for every analysis of the batch."""
    if method == "FE":
        return np.zeros(np.shape(yi)[:-1])
    if method == "REML":
        return tau2_reml(yi, vi, X, include)[0]
    return {"DL": tau2_dersimonian_laird, "PM": tau2_paule_mandel}[method](yi, vi, X, include)


def fit_arrays(yi, vi, X, *, tau2="REML", hksj=False, include=None) -> RegressionFit:
    """Fit the meta-regression of ``yi`` (variances ``vi``) on the design ``X`` (with its intercept column).

    Parameters
    ----------
    yi, vi : array_like, shape (..., k)
    X : array_like, shape (k, p) or (..., k, p)
    tau2 : {"REML", "DL", "PM", "FE"}
    hksj : bool
        Knapp-Hartung: the covariance of :math:`\\hat\\beta` is scaled by
        :math:`s^2 = Q(\\hat\\tau^2)/(k - p)` (untruncated, metafor's ``test = "knha"``).
    include : array_like of bool, shape (..., k), optional

    Returns
    -------
    RegressionFit

    Notes
    -----
    :math:`Q_E` is the residual heterogeneity with fixed-effect weights, and the typical
    within-study variance is :math:`\\tilde v = (k - p)/\\operatorname{tr} P` with those weights.
    """
    if tau2 not in TAU2_METHODS:
        raise ValueError(f"tau2 must be one of {', '.join(TAU2_METHODS)}; got {tau2!r}")
    if hksj not in (False, True):
        raise ValueError(f"hksj must be True or False here: meta-regression and influence diagnostics do not "
                         f"implement the ad hoc correction; got {hksj!r}")
    yi, vi, X = (np.asarray(a, dtype=float) for a in (yi, vi, X))
    include = np.ones(yi.shape, bool) if include is None else np.asarray(include, bool)
    yi, vi = masked(yi, include, 0.0), masked(vi, include, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t2 = between_study_variance(yi, vi, X, include, tau2)
        fit = weighted_fit(yi, vi, X, include, t2)
        fixed = weighted_fit(yi, vi, X, include, np.zeros_like(t2))
        k = study_count(include)
        df = k - X.shape[-1]
        s2w = np.where(fit.rss <= np.finfo(float).eps, 0.0, fit.rss / df) if hksj else np.ones_like(t2)
        vt = df / trace_p(fixed)
        weight = fit.weight / study_sum(fit.weight)[..., None]
    return RegressionFit(beta=fit.beta, vb=fit.cov * s2w[..., None, None], tau2=t2, s2w=s2w,
                         qe=np.maximum(0.0, fixed.rss), vt=vt, k=k, df=df, weight=weight, hat=fit.hat,
                         resid=fit.resid)


# --- the DataFrame layer ------------------------------------------------------------------------

def design_matrix(data: pd.DataFrame, mods) -> pd.DataFrame:
    """The design matrix: an ``intercept`` column, then one column per numeric moderator and
    one dummy column per non-reference level of a categorical one (as R's ``model.matrix``).

    A moderator is categorical when its column holds strings, booleans or a pandas
    ``Categorical``. Its levels are the categories of a ``Categorical`` (in their order) or
    else the sorted distinct values; the first level is the reference, and the dummy of level
    ``b`` of column ``g`` is named ``g[b]`` (R names it ``gb``).

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"dose": [1.0, 2.0, 4.0], "arm": ["b", "a", "b"]})
    >>> design_matrix(data, ["dose", "arm"]).columns.tolist()
    ['intercept', 'dose', 'arm[b]']
    """
    columns = {INTERCEPT: np.ones(len(data))}
    for name in mods:
        column = data[name]
        if _is_categorical(column):
            levels = _levels(column)
            if len(levels) < 2:
                raise ValueError(f"moderator {name!r} has a single level ({levels[0]!r}): it cannot "
                                 "explain differences between studies")
            for level in levels[1:]:
                columns[f"{name}[{level}]"] = (column == level).to_numpy(float)
        else:
            columns[name] = column.to_numpy(float)
    return pd.DataFrame(columns, index=data.index)


def _is_categorical(column: pd.Series) -> bool:
    return (isinstance(column.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(column)
            or not pd.api.types.is_numeric_dtype(column))


def _levels(column: pd.Series) -> list:
    if isinstance(column.dtype, pd.CategoricalDtype):
        return [level for level in column.cat.categories if (column == level).any()]
    return sorted(column.unique())


@dataclass(frozen=True, repr=False)
class MetaRegression:
    """A fitted (mixed-effects) meta-regression.

    ``coefficients`` is indexed by ``intercept`` and the moderator (dummy) names, with columns
    ``estimate, se, statistic, p, ci_low, ci_high`` (95% intervals; ``statistic`` is z, or t
    with ``df`` degrees of freedom under Knapp-Hartung). ``tau2`` is the residual between-study
    variance; ``i2``, ``h2`` and ``r2`` are in percent (``h2`` a ratio); ``qe`` tests residual
    heterogeneity (``qe_df = k - p``); ``qm`` tests the moderators (all coefficients but the
    intercept; the intercept when there is no moderator): chi-squared with ``qm_df`` df, or an
    F statistic on ``(qm_df, df)`` under Knapp-Hartung. ``studies`` has one row per study
    (``study``, ``yi``, ``vi``, ``weight`` in percent, ``hat``) and ``design`` the design matrix.
    """

    coefficients: pd.DataFrame
    tau2: float
    i2: float
    h2: float
    r2: float
    qe: float
    qe_df: int
    qe_p: float
    qm: float
    qm_df: int
    qm_p: float
    k: int
    p: int
    df: int
    tau2_method: str
    hksj: bool
    studies: pd.DataFrame = field(compare=False)
    design: pd.DataFrame = field(compare=False)

    def to_frame(self) -> pd.DataFrame:
        """A tidy one-row summary of the model (the coefficients are in :attr:`coefficients`)."""
        names = ("tau2_method", "hksj", "k", "p", "tau2", "i2", "h2", "r2", "qe", "qe_df", "qe_p",
                 "qm", "qm_df", "qm_p")
        return pd.DataFrame([{name: getattr(self, name) for name in names}])

    def __repr__(self) -> str:
        test = "t" if self.hksj else "z"
        lines = [f"MetaRegression({self.tau2_method}{', Knapp-Hartung' if self.hksj else ''}, "
                 f"k={self.k}, p={self.p})"]
        for name, row in self.coefficients.iterrows():
            lines.append(f"  {name}: {row.estimate:.4g} (se {row.se:.4g}, {test}={row.statistic:.3f}, "
                         f"p={row.p:.4g})")
        lines.append(f"  residual heterogeneity: QE={self.qe:.4g} (df={self.qe_df}, p={self.qe_p:.4g}), "
                     f"tau²={self.tau2:.4g}, I²={self.i2:.1f}%, R²={_percent(self.r2)}")
        df = f"{self.qm_df}, {self.df}" if self.hksj else f"{self.qm_df}"
        lines.append(f"  moderators: {'F' if self.hksj else 'QM'}={self.qm:.4g} (df={df}, p={self.qm_p:.4g})")
        return "\n".join(lines)


def _percent(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x:.1f}%"


def meta_regression(data: pd.DataFrame, mods, *, yi="yi", vi="vi", tau2="REML", hksj=False) -> MetaRegression:
    """Mixed-effects meta-regression of the effects ``data[yi]`` on moderator columns (beyond RevMan).

    Parameters
    ----------
    data : DataFrame
        One row per study: the effects (log scale for ratios), their variances and the
        moderators; a ``study`` column, if present, labels the rows.
    mods : list of str
        Moderator columns (an intercept is added; ``[]`` fits the intercept only). Numeric
        columns enter as they are, categorical ones as dummies (see :func:`design_matrix`).
    yi, vi : str
        Column names of the effects and their variances.
    tau2 : {"REML", "DL", "PM", "FE"}
        Residual between-study variance estimator; "FE" fits the fixed-effect model.
    hksj : bool
        Knapp-Hartung tests (t and F with k - p denominator degrees of freedom), random effects only.

    Returns
    -------
    MetaRegression

    Notes
    -----
    With :math:`W = \\operatorname{diag}(1/(v_i + \\hat\\tau^2))`:
    :math:`\\hat\\beta = (X^\\top W X)^{-1} X^\\top W y`, :math:`\\operatorname{Var}\\hat\\beta =
    (X^\\top W X)^{-1}` (times :math:`s^2 = Q(\\hat\\tau^2)/(k - p)` under Knapp-Hartung).
    :math:`Q_M = \\hat\\beta_m^\\top \\operatorname{Var}(\\hat\\beta_m)^{-1} \\hat\\beta_m` over the
    moderators' coefficients (divided by their number under Knapp-Hartung, an F statistic).
    :math:`Q_E = y^\\top P y` with fixed-effect weights, on k - p df.
    :math:`I^2 = 100\\,\\hat\\tau^2/(\\hat\\tau^2 + \\tilde v)` and :math:`H^2 = \\hat\\tau^2/\\tilde v + 1`
    with :math:`\\tilde v = (k - p)/\\operatorname{tr} P` (metafor's residual I² and H²; for
    ``tau2="FE"``, :math:`I^2 = 100 (Q_E - (k-p))/Q_E` and :math:`H^2 = Q_E/(k-p)`).
    :math:`R^2 = 100 \\max(0, (\\hat\\tau^2_0 - \\hat\\tau^2)/\\hat\\tau^2_0)`, with :math:`\\hat\\tau^2_0`
    from the model without moderators (the fixed-effect model: the weighted regression's
    adjusted R²). A categorical moderator generalises the test for subgroup differences: under
    the fixed-effect model its :math:`Q_M` is that test's Q.

    References
    ----------
    Thompson SG, Higgins JPT (2002). Stat Med 21:1559-1573. Viechtbauer W (2010). J Stat Softw 36(3).

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"yi": [0.1, 0.3, 0.35, 0.6], "vi": [0.04, 0.02, 0.05, 0.03],
    ...                      "dose": [1.0, 2.0, 3.0, 4.0]})
    >>> fit = meta_regression(data, ["dose"], tau2="FE")
    >>> # weighted least squares: sum w (x - xw)(y - yw) / sum w (x - xw)^2 with w = 1/vi
    >>> round(float(fit.coefficients.loc["dose", "estimate"]), 4)
    0.1555
    """
    if hksj and tau2 == "FE":
        raise ValueError("hksj needs a random-effects model (tau2 = 'REML', 'DL' or 'PM'), not 'FE'")
    if tau2 not in TAU2_METHODS:
        raise ValueError(f"tau2 must be one of {', '.join(TAU2_METHODS)}; got {tau2!r}")
    mods = _check_mods(mods)
    labels = _check_frame(data, yi, vi, mods)
    design = design_matrix(data, mods)
    design.index = labels
    effects, variances = data[yi].to_numpy(float), data[vi].to_numpy(float)
    _check_rank(design)
    return regression_result(effects, variances, design, labels, tau2=tau2, hksj=hksj)


def regression_result(yi, vi, design: pd.DataFrame, labels, *, tau2, hksj) -> MetaRegression:
    """Fit and summarise one meta-regression (arrays already checked)."""
    fit = fit_arrays(yi, vi, design.to_numpy(float), tau2=tau2, hksj=hksj)
    k, p = len(yi), design.shape[1]
    df = k - p
    beta, vb = fit.beta, fit.vb
    se = np.sqrt(np.diag(vb))
    with np.errstate(divide="ignore", invalid="ignore"):  # identical effects under Knapp-Hartung: SE 0
        statistic = beta / se
    crit = t_975(df) if hksj else Z_95
    coefficients = pd.DataFrame({"estimate": beta, "se": se, "statistic": statistic,
                                 "p": t_p(statistic, df) if hksj else normal_p(statistic),
                                 "ci_low": beta - crit * se, "ci_high": beta + crit * se},
                                index=pd.Index(design.columns, name="term"))
    tested = slice(1, p) if p > 1 else slice(0, 1)
    m = len(range(p)[tested])
    qm = _wald(beta[tested], vb[tested, tested])
    qm_p = float(f_sf(qm / m, m, df)) if hksj else float(chi2_sf(qm, m))
    tau2_value, qe = float(fit.tau2), float(fit.qe)
    i2, h2 = _i2_h2(tau2, tau2_value, qe, df, float(fit.vt))
    studies = pd.DataFrame({"study": labels, "yi": yi, "vi": vi, "weight": fit.weight * 100, "hat": fit.hat})
    return MetaRegression(
        coefficients=coefficients, tau2=tau2_value, i2=i2, h2=h2,
        r2=_r2(yi, vi, design.to_numpy(float), fit, tau2), qe=qe, qe_df=df, qe_p=float(chi2_sf(qe, df)),
        qm=qm / m if hksj else qm, qm_df=m, qm_p=qm_p, k=k, p=p, df=df, tau2_method=tau2, hksj=hksj,
        studies=studies, design=design)


def _wald(beta: np.ndarray, vb: np.ndarray) -> float:
    """:math:`\\beta^\\top V^{-1} \\beta`; NaN when V is singular (e.g. a Knapp-Hartung SE of 0 when
    every effect is fitted exactly), where the test is undefined."""
    try:
        return float(beta @ np.linalg.solve(vb, beta))
    except np.linalg.LinAlgError:
        return float("nan")


def _i2_h2(method, tau2, qe, df, vt) -> tuple[float, float]:
    if method == "FE":
        return (max(0.0, 100 * (qe - df) / qe) if qe > 0 else 0.0), qe / df
    return 100 * tau2 / (vt + tau2), tau2 / vt + 1


def _r2(yi, vi, X, fit: RegressionFit, method) -> float:
    """Pseudo R² (percent): the share of τ² the moderators account for (metafor's default)."""
    if X.shape[1] == 1:
        return float("nan")
    if method == "FE":
        w = 1 / vi
        total = float(study_sum(w * (yi - study_sum(w * yi) / study_sum(w)) ** 2))
        if total == 0:
            return 0.0
        adjusted = 1 - (float(study_sum(w * fit.resid**2)) / total) * (len(yi) - 1) / (len(yi) - X.shape[1])
        return max(0.0, 100 * adjusted)
    tau2_0 = float(between_study_variance(yi, vi, X[:, :1], np.ones(len(yi), bool), method))
    if tau2_0 == 0:
        return 0.0
    return max(0.0, 100 * (tau2_0 - float(fit.tau2)) / tau2_0)


# --- input checks -------------------------------------------------------------------------------

def _check_mods(mods) -> list[str]:
    if isinstance(mods, str) or not all(isinstance(m, str) for m in mods):
        raise ValueError(f"mods must be a list of column names, e.g. ['year']; got {mods!r}")
    duplicated = sorted({m for m in mods if list(mods).count(m) > 1})
    if duplicated:
        raise ValueError(f"moderator {duplicated[0]!r} is listed twice")
    return list(mods)


def _check_frame(data: pd.DataFrame, yi, vi, mods):
    needed = [yi, vi, *mods]
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise ValueError(f"missing column(s) {', '.join(missing)}; expected the effects {yi!r}, "
                         f"their variances {vi!r} and the moderators")
    labels = (data["study"] if "study" in data.columns else pd.Series(data.index, index=data.index)).astype(str)
    for name in needed:
        for label in labels[data[name].isna().to_numpy()]:
            raise ValueError(f"study {label!r}: {name} is missing")
    for name, positive in ((yi, False), (vi, True)):
        values = pd.to_numeric(data[name], errors="coerce").to_numpy(float)
        bad = ~np.isfinite(values) | ((values <= 0) if positive else False)
        if bad.any():
            i = int(bad.argmax())
            kind = "a positive number" if positive else "a number"
            raise ValueError(f"study {labels.iloc[i]!r}: {name} must be {kind}; got {data[name].iloc[i]!r}")
    for name in mods:
        if not _is_categorical(data[name]):
            bad = ~np.isfinite(data[name].to_numpy(float))
            if bad.any():
                raise ValueError(f"study {labels.iloc[int(bad.argmax())]!r}: moderator {name} must be a "
                                 f"finite number; got {data[name].iloc[int(bad.argmax())]!r}")
    return labels.to_numpy()


def _check_rank(design: pd.DataFrame):
    k, p = design.shape
    if k <= p:
        raise ValueError(f"a meta-regression with {p} coefficient(s) ({', '.join(design.columns)}) needs "
                         f"at least {p + 1} studies; got {k}")
    rank = np.linalg.matrix_rank(design.to_numpy(float))
    if rank < p:
        raise ValueError(f"the moderators are collinear: the design matrix ({', '.join(design.columns)}) "
                         f"has rank {rank} < {p} columns; drop a moderator")


# --- inverse-variance models of MetaResult and MetaRegression -----------------------------------

class ModelInputs(NamedTuple):
    """What a refit of an inverse-variance model needs: its data, design, τ² method and test."""

    yi: np.ndarray
    vi: np.ndarray
    X: np.ndarray
    labels: np.ndarray
    tau2: str
    hksj: bool
    is_ratio: bool


def model_inputs(result) -> ModelInputs:
    """The inputs of an inverse-variance ``MetaResult`` (intercept only) or a ``MetaRegression``.

    A ``MetaResult`` must be inverse variance (``meta_binary(..., method="IV")`` or
    ``meta_continuous``): Mantel-Haenszel and Peto weights are not inverse-variance weights.
    """
    if isinstance(result, MetaRegression):
        return ModelInputs(result.studies["yi"].to_numpy(float), result.studies["vi"].to_numpy(float),
                           result.design.to_numpy(float), result.studies["study"].to_numpy(),
                           result.tau2_method, result.hksj, False)
    if not isinstance(result, MetaResult):
        raise TypeError(f"expected a MetaResult or MetaRegression; got {type(result).__name__}")
    if result.method != "IV":
        raise ValueError(f"needs an inverse-variance analysis (method='IV' or meta_continuous); "
                         f"got method={result.method!r}")
    yi, vi = result.study_effects()
    labels = result.studies.loc[result.studies["estimable"], "study"].to_numpy()
    tau2 = result.tau2_method if result.model == "random" else "FE"
    return ModelInputs(yi, vi, np.ones((len(yi), 1)), labels, tau2, result.hksj, result.is_ratio)
