"""Bayesian random-effects meta-analysis by numerical integration over τ (beyond RevMan).

The normal-normal hierarchical model :math:`y_i \\mid \\mu, \\tau \\sim N(\\mu, v_i + \\tau^2)`
with known :math:`v_i`, a flat (improper uniform) or normal prior on :math:`\\mu` and a
half-normal or half-Cauchy prior on :math:`\\tau`. Given τ, the posterior of μ is normal, so
the joint posterior reduces to a one-dimensional integral over τ, computed here, as the R
package bayesmeta does (Röver 2020), by quadrature instead of Markov chain Monte Carlo: exact
to many digits in milliseconds, which suits the few-studies case where the choice of prior
for τ matters and should be varied.

References
----------
Röver C (2020). Bayesian random-effects meta-analysis using the bayesmeta R package.
J Stat Softw 93(6):1-51. doi:10.18637/jss.v093.i06
Friede T, Röver C, Wandel S, Neuenschwander B (2017). Meta-analysis of few small studies in
orphan diseases. Res Synth Methods 8:79-91.
Spiegelhalter DJ, Abrams KR, Myles JP (2004). Bayesian Approaches to Clinical Trials and
Health-Care Evaluation. Wiley (half-normal and half-Cauchy priors for τ).
Takahasi H, Mori M (1974). Double exponential formulas for numerical integration. Publ RIMS
Kyoto Univ 9:721-741 (the quadrature rule).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

TAU_PRIORS = ("half-normal", "half-Cauchy")
INTERVALS = ("shortest", "central")
#: The rows of :attr:`BayesMeta.summary`.
PARAMETERS = ("tau", "mu", "prediction")
#: Double-exponential quadrature: step and half-width in t (the nodes cover τ from about
#: scale·e^-70 to scale·e^70), chosen so that halving the step changes no summary beyond 1e-12.
_STEP, _HALF_WIDTH = 1 / 64, 4.5
#: Tolerance of the quantile and interval root searches.
_XTOL = 1e-13


def _de_nodes():
    """Nodes t and the factor :math:`(\\pi/2)\\cosh t` of the transform :math:`e^{(\\pi/2)\\sinh t}`."""
    t = np.arange(-_HALF_WIDTH, _HALF_WIDTH + _STEP / 2, _STEP)
    return np.exp(np.pi / 2 * np.sinh(t)), np.pi / 2 * np.cosh(t) * _STEP


class _Posterior:
    """The marginal posterior of τ on quadrature nodes, and the normal conditionals of μ given τ."""

    def __init__(self, yi, vi, tau_prior, tau_scale, mu_prior):
        self.yi, self.vi = yi, vi
        self.tau_prior, self.tau_scale, self.mu_prior = tau_prior, tau_scale, mu_prior
        unit, jacobian = _de_nodes()
        self.tau = tau_scale * unit
        log_density = self.log_density(self.tau)
        self.log_norm = float(np.max(log_density))
        weights = np.exp(log_density - self.log_norm) * self.tau * jacobian
        self.norm = float(weights.sum())
        self.weight = weights / self.norm  # posterior probability of each node's slice
        self.mean, self.var = self.conditional(self.tau)

    def log_prior(self, tau):
        z = tau / self.tau_scale
        return -z**2 / 2 if self.tau_prior == "half-normal" else -np.log1p(z**2)

    def conditional(self, tau):
        """Mean and variance of μ given τ (normal): precision-weighted, the prior as one more 'study'."""
        w = 1 / (self.vi + np.asarray(tau, dtype=float)[..., None] ** 2)
        precision, weighted = w.sum(axis=-1), (w * self.yi).sum(axis=-1)
        if self.mu_prior is not None:
            mean, sd = self.mu_prior
            precision, weighted = precision + 1 / sd**2, weighted + mean / sd**2
        return weighted / precision, 1 / precision

    def log_density(self, tau):
        """log p(τ | y) up to a constant: prior times the likelihood with μ integrated out."""
        tau = np.asarray(tau, dtype=float)
        s2 = self.vi + tau[..., None] ** 2
        mean, var = self.conditional(tau)
        rss = ((self.yi - mean[..., None]) ** 2 / s2).sum(axis=-1)
        if self.mu_prior is not None:
            rss = rss + (self.mu_prior[0] - mean) ** 2 / self.mu_prior[1] ** 2
        return self.log_prior(tau) - 0.5 * np.log(s2).sum(axis=-1) + 0.5 * np.log(var) - 0.5 * rss

    # --- τ --------------------------------------------------------------------------------------

    def tau_density(self, x):
        x = np.asarray(x, dtype=float)
        return np.where(x >= 0, np.exp(self.log_density(np.maximum(x, 0)) - self.log_norm) / self.norm, 0.0)

    def tau_cdf(self, x):
        """:math:`\\int_0^x p(\\tau \\mid y)\\,d\\tau` by a double-exponential rule on [0, x]."""
        if x <= 0:
            return 0.0
        if not np.isfinite(x):
            return 1.0
        t = np.arange(-_HALF_WIDTH, _HALF_WIDTH + _STEP / 2, _STEP)
        u = np.pi / 2 * np.sinh(t)
        nodes = x * special.expit(2 * u)  # x (1 + tanh u) / 2
        dnodes = x * np.pi * np.cosh(t) * special.expit(2 * u) * special.expit(-2 * u) * _STEP
        return float(min(1.0, (self.tau_density(nodes) * dnodes).sum()))

    # --- μ and the effect in a new study: normal mixtures over the τ nodes -----------------------

    def _spread(self, parameter):
        return np.sqrt(self.var + (self.tau**2 if parameter == "prediction" else 0.0))

    def mixture_density(self, parameter, x):
        x = np.asarray(x, dtype=float)
        sd = self._spread(parameter)
        z = (x[..., None] - self.mean) / sd
        return (self.weight * np.exp(-z**2 / 2) / (sd * math.sqrt(2 * math.pi))).sum(axis=-1)

    def mixture_cdf(self, parameter, x):
        x = np.asarray(x, dtype=float)
        return (self.weight * special.ndtr((x[..., None] - self.mean) / self._spread(parameter))).sum(axis=-1)

    # --- common ---------------------------------------------------------------------------------

    def density(self, parameter, x):
        return self.tau_density(x) if parameter == "tau" else self.mixture_density(parameter, x)

    def cdf(self, parameter, x):
        if parameter == "tau":
            return np.vectorize(self.tau_cdf, otypes=[float])(x)
        return self.mixture_cdf(parameter, x)

    def moments(self, parameter) -> tuple[float, float]:
        """Posterior mean and standard deviation (inf where the posterior's tail makes them infinite)."""
        if parameter == "tau":
            mean, second = (self.weight * self.tau).sum(), (self.weight * self.tau**2).sum()
            finite_mean, finite_var = self.tail_exponent() > 2, self.tail_exponent() > 3
        else:
            spread = self._spread(parameter) ** 2
            mean, second = (self.weight * self.mean).sum(), (self.weight * (spread + self.mean**2)).sum()
            scale_free = self.mu_prior is not None and parameter == "mu"  # Var(μ | τ) bounded by the prior's
            finite_mean = scale_free or self.tail_exponent() > 2
            finite_var = scale_free or self.tail_exponent() > 3
        sd = math.sqrt(max(0.0, second - mean**2))
        return (float(mean) if finite_mean else math.inf), (sd if finite_var else math.inf)

    def tail_exponent(self) -> float:
        """a in p(τ | y) ~ τ^-a for large τ (inf for the half-normal prior)."""
        if self.tau_prior == "half-normal":
            return math.inf
        return len(self.yi) - 1 + 2 + (1 if self.mu_prior is not None else 0)

    def quantile(self, parameter, p: float) -> float:
        if not 0 < p < 1:
            raise ValueError(f"a probability between 0 and 1 is needed; got {p!r}")
        low, high = self._bracket(parameter, p)
        from scipy.optimize import brentq  # here: importing scipy.optimize costs every importer of metarmc ~0.3 s
        return brentq(lambda x: float(self.cdf(parameter, x)) - p, low, high, xtol=_XTOL, rtol=1e-15, maxiter=500)

    def _bracket(self, parameter, p):
        if parameter == "tau":
            high = float(self.tau[np.searchsorted(np.cumsum(self.weight), p)]) * 2 + self.tau_scale
            while self.tau_cdf(high) < p:
                high *= 2
            return 0.0, high
        spread = self._spread(parameter)
        low, high = float((self.mean - 40 * spread).min()), float((self.mean + 40 * spread).max())
        return low, high

    def interval(self, parameter, level: float, kind: str) -> tuple[float, float]:
        tail = 1 - level
        if kind == "central":
            return self.quantile(parameter, tail / 2), self.quantile(parameter, 1 - tail / 2)
        return self._shortest(parameter, level)

    def _shortest(self, parameter, level):
        """The shortest interval of a unimodal posterior: equal density at both ends (or [0, q] for τ)."""
        def gap(p):
            return (float(self.density(parameter, self.quantile(parameter, p)))
                    - float(self.density(parameter, self.quantile(parameter, p + level))))

        if parameter == "tau" and float(self.tau_density(0.0)) >= float(self.tau_density(self.quantile("tau", level))):
            return 0.0, self.quantile("tau", level)
        edge = 1e-9
        from scipy.optimize import brentq  # here: importing scipy.optimize costs every importer of metarmc ~0.3 s
        p = brentq(gap, edge, 1 - level - edge, xtol=1e-14, rtol=1e-15, maxiter=500)
        return self.quantile(parameter, p), self.quantile(parameter, p + level)


@dataclass(frozen=True, repr=False)
class BayesMeta:
    """A Bayesian random-effects meta-analysis.

    ``summary`` is indexed ``tau, mu, prediction`` (the effect in a new study,
    :math:`\\theta_{k+1}`) with columns ``mean, median, sd, ci_low, ci_high`` (the credible or
    prediction interval of ``level``, of the ``interval`` kind), on the scale of ``yi`` (log
    scale for ratios). :meth:`density`, :meth:`cdf`, :meth:`quantile` and
    :meth:`credible_interval` evaluate the marginal posteriors.
    """

    k: int
    tau_prior: str
    tau_scale: float
    mu_prior: tuple[float, float] | None
    level: float
    interval: str
    summary: pd.DataFrame = field(compare=False)
    _posterior: _Posterior = field(compare=False)

    def density(self, parameter: str, x):
        """Posterior density of ``parameter`` ("tau", "mu" or "prediction") at ``x``."""
        return self._posterior.density(_check_parameter(parameter), x)

    def prior_density(self, x):
        """The prior density of τ at ``x`` (:func:`tau_prior_density` with this fit's prior)."""
        return tau_prior_density(x, self.tau_prior, self.tau_scale)

    def cdf(self, parameter: str, x):
        """Posterior probability that ``parameter`` is at most ``x``."""
        return self._posterior.cdf(_check_parameter(parameter), x)

    def quantile(self, parameter: str, p: float) -> float:
        """The posterior ``p`` quantile of ``parameter``."""
        return self._posterior.quantile(_check_parameter(parameter), p)

    def credible_interval(self, parameter: str, level: float | None = None, kind: str | None = None):
        """The ``level`` credible (for "prediction": prediction) interval of ``parameter``."""
        kind = kind or self.interval
        if kind not in INTERVALS:
            raise ValueError(f"kind must be one of {', '.join(INTERVALS)}; got {kind!r}")
        return self._posterior.interval(_check_parameter(parameter), _check_level(level or self.level), kind)

    def to_frame(self) -> pd.DataFrame:
        """The summary as a tidy frame: one row per parameter, its prior settings beside it."""
        frame = self.summary.reset_index(names="parameter")
        frame["level"], frame["interval"] = self.level, self.interval
        return frame

    def __repr__(self) -> str:
        mu = "flat" if self.mu_prior is None else f"normal({self.mu_prior[0]:g}, {self.mu_prior[1]:g})"
        lines = [f"BayesMeta(k={self.k}, tau ~ {self.tau_prior}({self.tau_scale:g}), mu ~ {mu}; "
                 f"{self.level:.0%} {self.interval} intervals)"]
        for name, row in self.summary.iterrows():
            lines.append(f"  {name}: median {row['median']:.4g}, mean {row['mean']:.4g}, sd {row['sd']:.4g}, "
                         f"[{row['ci_low']:.4g}, {row['ci_high']:.4g}]")
        return "\n".join(lines)


def tau_prior_density(x, tau_prior: str = "half-normal", tau_scale: float = 0.5):
    """The density of a half-normal or half-Cauchy prior for τ, normalised on :math:`[0, \\infty)`.

    .. math:: p(\\tau) = \\frac{2}{s\\sqrt{2\\pi}} e^{-\\tau^2 / (2 s^2)} \\quad \\text{(half-normal)},
              \\qquad p(\\tau) = \\frac{2}{\\pi s \\,(1 + \\tau^2 / s^2)} \\quad \\text{(half-Cauchy)},

    for :math:`\\tau \\ge 0` (0 below), with scale :math:`s` = ``tau_scale``.

    Examples
    --------
    >>> round(float(tau_prior_density(0.0, "half-Cauchy", 1.0)), 6)   # 2 / pi
    0.63662
    """
    if tau_prior not in TAU_PRIORS:
        raise ValueError(f"tau_prior must be one of {', '.join(TAU_PRIORS)}; got {tau_prior!r}")
    z = np.asarray(x, dtype=float) / tau_scale
    density = (np.exp(-z**2 / 2) * math.sqrt(2 / math.pi) if tau_prior == "half-normal"
               else 2 / (math.pi * (1 + z**2))) / tau_scale
    return np.where(z >= 0, density, 0.0)


def bayes_meta(yi, vi, *, tau_prior="half-normal", tau_scale=0.5, mu_prior=None, level=0.95,
               interval="shortest") -> BayesMeta:
    """Bayesian random-effects meta-analysis of effects ``yi`` with known variances ``vi``.

    Parameters
    ----------
    yi, vi : array_like
        Study effects (log scale for ratios) and their variances.
    tau_prior : {"half-normal", "half-Cauchy"}
        Prior for the between-study standard deviation τ.
    tau_scale : float
        Its scale: the half-normal's σ or the half-Cauchy's (its median). 0.5 on the log
        odds-ratio scale allows "fairly high" heterogeneity (Friede et al. 2017).
    mu_prior : (mean, sd), optional
        A normal prior for the mean effect μ; by default the flat (improper uniform) prior.
    level : float
        Credible and prediction interval level.
    interval : {"shortest", "central"}
        Shortest intervals (bayesmeta's default; for τ often [0, q]) or central ones
        (posterior quantiles (1 - level)/2 and (1 + level)/2).

    Returns
    -------
    BayesMeta

    Notes
    -----
    With :math:`w_i(\\tau) = 1/(v_i + \\tau^2)` and, for a normal prior :math:`N(m_0, s_0^2)`, the
    prior as one more observation :math:`m_0` of precision :math:`1/s_0^2`:

    .. math:: \\mu \\mid \\tau, y \\sim N\\!\\left(\\hat\\mu(\\tau), V(\\tau)\\right), \\quad
              V(\\tau)^{-1} = \\sum_i w_i + s_0^{-2}, \\quad
              \\hat\\mu(\\tau) = V(\\tau) \\left(\\sum_i w_i y_i + m_0 / s_0^2\\right)

    .. math:: p(\\tau \\mid y) \\propto p(\\tau)\\, V(\\tau)^{1/2} \\prod_i w_i^{1/2}
              \\,\\exp\\left\\{-\\tfrac12 \\left[\\sum_i w_i (y_i - \\hat\\mu)^2
              + (m_0 - \\hat\\mu)^2/s_0^2\\right]\\right\\}

    (drop the :math:`s_0` terms for the flat prior). The marginal posterior of μ is the
    mixture :math:`\\int N(\\hat\\mu(\\tau), V(\\tau))\\, p(\\tau \\mid y)\\, d\\tau` and that of the
    effect in a new study :math:`\\int N(\\hat\\mu(\\tau), V(\\tau) + \\tau^2)\\, p(\\tau \\mid y)\\,
    d\\tau`; the integrals over τ use the double-exponential rule
    :math:`\\tau = s\\,e^{(\\pi/2)\\sinh t}` (Takahasi & Mori 1974) on 577 nodes. Means and
    standard deviations that the half-Cauchy's tail makes infinite (few studies, flat prior)
    are reported as ``inf``.

    References
    ----------
    Röver C (2020). J Stat Softw 93(6):1-51. Friede T et al. (2017). Res Synth Methods 8:79-91.

    Examples
    --------
    >>> fit = bayes_meta([0.1, 0.3, -0.2], [0.04, 0.09, 0.05], tau_prior="half-normal", tau_scale=0.5)
    >>> fit.summary.loc["mu", "ci_low"] < fit.summary.loc["mu", "median"] < fit.summary.loc["mu", "ci_high"]
    np.True_
    """
    yi, vi = _check_effects(yi, vi)
    if tau_prior not in TAU_PRIORS:
        raise ValueError(f"tau_prior must be one of {', '.join(TAU_PRIORS)}; got {tau_prior!r}")
    if not (isinstance(tau_scale, (int, float)) and math.isfinite(tau_scale) and tau_scale > 0):
        raise ValueError(f"tau_scale must be a positive number; got {tau_scale!r}")
    mu_prior = _check_mu_prior(mu_prior)
    level = _check_level(level)
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {', '.join(INTERVALS)}; got {interval!r}")
    posterior = _Posterior(yi, vi, tau_prior, float(tau_scale), mu_prior)
    rows = []
    for parameter in PARAMETERS:
        mean, sd = posterior.moments(parameter)
        low, high = posterior.interval(parameter, level, interval)
        rows.append({"mean": mean, "median": posterior.quantile(parameter, 0.5), "sd": sd, "ci_low": low,
                     "ci_high": high})
    summary = pd.DataFrame(rows, index=pd.Index(PARAMETERS))
    return BayesMeta(k=len(yi), tau_prior=tau_prior, tau_scale=float(tau_scale), mu_prior=mu_prior, level=level,
                     interval=interval, summary=summary, _posterior=posterior)


def _check_effects(yi, vi):
    yi, vi = np.atleast_1d(np.asarray(yi, dtype=float)), np.atleast_1d(np.asarray(vi, dtype=float))
    if yi.ndim != 1 or yi.shape != vi.shape or len(yi) == 0:
        raise ValueError(f"yi and vi must be 1-D and of the same non-zero length; got {yi.shape} and {vi.shape}")
    for name, values, positive in (("yi", yi, False), ("vi", vi, True)):
        bad = ~np.isfinite(values) | ((values <= 0) if positive else False)
        if bad.any():
            kind = "a positive number" if positive else "a number"
            raise ValueError(f"study {int(bad.argmax()) + 1}: {name} must be {kind}; got {values[bad.argmax()]!r}")
    return yi, vi


def _check_mu_prior(mu_prior):
    if mu_prior is None:
        return None
    try:
        mean, sd = (float(x) for x in mu_prior)
    except (TypeError, ValueError):
        raise ValueError(f"mu_prior must be None (flat) or (mean, sd); got {mu_prior!r}") from None
    if not (math.isfinite(mean) and math.isfinite(sd) and sd > 0):
        raise ValueError(f"mu_prior must be (mean, sd) with a positive sd; got {mu_prior!r}")
    return mean, sd


def _check_level(level):
    if not (isinstance(level, (int, float)) and 0 < level < 1):
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95); got {level!r}")
    return float(level)


def _check_parameter(parameter):
    if parameter not in PARAMETERS:
        raise ValueError(f"parameter must be one of {', '.join(PARAMETERS)}; got {parameter!r}")
    return parameter
