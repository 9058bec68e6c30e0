"""Trial sequential analysis (TSA): information size, α- and β-spending boundaries, Z-curve.

A cumulative meta-analysis looks at the evidence again each time a trial is added. TSA treats
those looks as the interim analyses of one group-sequential "trial" whose planned size is the
required information size (RIS) and controls the type I error with Lan-DeMets α-spending
(O'Brien-Fleming type), as the Copenhagen Trial Unit's TSA software does.

Conventions (those of ldbounds, rpact and RTSA, the R version of the TSA software): a two-sided
test at level α spends α/2 on each side with the one-sided spending function of level α/2, so
the classic two-sided 5% boundaries for five equal looks are 4.877, 3.357, 2.680, 2.290, 2.031.
The boundaries are exact (recursive numerical integration), not simulated.

References
----------
Lan KKG, DeMets DL (1983). Discrete sequential boundaries for clinical trials. Biometrika
70:659-663.
Armitage P, McPherson CK, Rowe BC (1969). Repeated significance tests on accumulating data.
J R Stat Soc A 132:235-244.
Reboussin DM, DeMets DL, Kim KM, Lan KKG (2000). Computations for group sequential boundaries
using the Lan-DeMets spending function method. Control Clin Trials 21:190-207.
Jennison C, Turnbull BW (2000). Group Sequential Methods with Applications to Clinical
Trials, ch. 7 (error spending) and ch. 19 (numerical computations).
Wetterslev J, Thorlund K, Brok J, Gluud C (2008). Trial sequential analysis may establish
when firm evidence is reached in cumulative meta-analysis. J Clin Epidemiol 61:64-75.
Wetterslev J, Thorlund K, Brok J, Gluud C (2009). Estimating required information size by
quantifying diversity in random-effects model meta-analyses. BMC Med Res Methodol 9:86.
Thorlund K, Engstrøm J, Wetterslev J, Brok J, Imberger G, Gluud C (2011). User manual for
trial sequential analysis (TSA). Copenhagen Trial Unit.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import special

from . import heterogeneity as het
from .cumulative import cumulative_pooled
from .formatting import short
from .measures import control_risk
from .pooling import Pooled, inverse_variance
from .wls import ConvergenceWarning

SIDES = (1, 2)
BENEFITS = ("lower", "higher")
#: The columns of :meth:`TSAResult.to_frame`.
TSA_COLUMNS = ("study", "n", "information_fraction", "z", "boundary_upper", "boundary_lower",
               "futility_upper", "futility_lower", "alpha_spent")

#: The integration grid spans the mean ± this many SDs of the score (mass outside < 1e-32).
_SD_RANGE = 12.0
#: Simpson nodes per SD of the narrowest Gaussian step the grid must resolve.
_NODES_PER_SD = 32
#: Most Simpson nodes on one look's grid (looks closer than ~0.1% of the information need more).
_MAX_NODES = 5001
#: Convergence of the root searches (boundaries on the Z scale, drift).
_TOL, _MAX_ITER = 1e-12, 200


# --- error spending ---------------------------------------------------------------------------

def obrien_fleming_spending(t, alpha):
    """Lan-DeMets O'Brien-Fleming-type spending function.

    .. math:: \\alpha^*(t) = 2 - 2\\,\\Phi\\!\\left(\\frac{z_{1-\\alpha/2}}{\\sqrt t}\\right),
              \\qquad \\alpha^*(1) = \\alpha

    Parameters
    ----------
    t : array_like
        Information fractions in (0, 1].
    alpha : float
        The error to spend by t = 1. For a two-sided test at level α each side uses α/2 (so
        the two sides together spend :math:`2\\alpha^*_{\\alpha/2}(t)`); for β-spending, β.

    References
    ----------
    Lan KKG, DeMets DL (1983). Biometrika 70:659-663, eq. (ii).
    """
    t = np.asarray(t, dtype=float)
    with np.errstate(divide="ignore"):
        return 2 * special.ndtr(-special.ndtri(1 - alpha / 2) / np.sqrt(t))


# --- exact recursive integration (Armitage-McPherson-Rowe) ------------------------------------

class _Mass(NamedTuple):
    """The paths still running after a look: Simpson nodes of the score ``S = Z sqrt(t)`` and
    density x Simpson weight at each (shape ``(B, N)``). Look 0 is a point mass at S = 0."""

    nodes: np.ndarray
    weights: np.ndarray

    @classmethod
    def start(cls, batch: int) -> _Mass:
        return cls(np.zeros((batch, 1)), np.ones((batch, 1)))

    def above(self, level, mean, sd):
        """:math:`P(S_k \\ge \\text{level}, \\text{still running})`, S_k = S_{k-1} + N(mean, sd²)."""
        x = (level[:, None] - self.nodes - mean[:, None]) / sd[:, None]
        return (self.weights * special.ndtr(-x)).sum(-1)

    def below(self, level, mean, sd):
        """:math:`P(S_k < \\text{level}, \\text{still running})`."""
        x = (level[:, None] - self.nodes - mean[:, None]) / sd[:, None]
        return (self.weights * special.ndtr(x)).sum(-1)

    def advance(self, low, high, mean, sd, points: int) -> _Mass:
        """The sub-density of S_k on the continuation interval ``[low, high]``.

        .. math:: f_k(s) = \\int f_{k-1}(u)\\,\\frac1{\\sigma_k}
                  \\varphi\\!\\left(\\frac{s - u - \\mu_k}{\\sigma_k}\\right) du

        on ``points`` equally spaced Simpson nodes (Jennison & Turnbull 2000, §19.2).
        """
        width = np.maximum(high - low, 0.0)
        nodes = low[:, None] + width[:, None] * np.linspace(0.0, 1.0, points)
        simpson = np.ones(points)
        simpson[1:-1:2], simpson[2:-1:2] = 4.0, 2.0
        step = width / (points - 1) / 3
        # the (B, N, M) kernel is the hot spot of every boundary search: built in place, one array
        x = np.subtract(nodes[:, :, None], self.nodes[:, None, :])
        x -= mean[:, None, None]
        x /= sd[:, None, None]
        np.square(x, out=x)
        x /= -2
        np.exp(x, out=x)
        density = (x @ self.weights[:, :, None])[..., 0]
        return _Mass(nodes, density / (math.sqrt(2 * math.pi) * sd[:, None]) * simpson * step[:, None])


def _grid_points(low, high, sd_here, sd_next) -> int:
    """Odd number of Simpson nodes resolving both Gaussian steps around a look."""
    spacing = np.minimum(sd_here, sd_next) / _NODES_PER_SD
    points = int(2 * max(np.ceil(np.max((high - low) / spacing) / 2), 1) + 1)
    if points > _MAX_NODES:
        raise ValueError(f"information fractions too close together (an increment of "
                         f"{np.min(np.minimum(sd_here, sd_next)) ** 2:.2g}): merge looks less than "
                         "about 0.1% of the information apart")
    return points


def _solve(fun: Callable, low, high):
    """Vectorised root of a monotone ``fun`` bracketed by ``[low, high]`` (Illinois regula falsi)."""
    a, b = np.array(low, dtype=float), np.array(high, dtype=float)
    fa, fb = fun(a), fun(b)
    for _ in range(_MAX_ITER):
        with np.errstate(invalid="ignore", divide="ignore"):
            c = b - fb * (b - a) / (fb - fa)
        c = np.where(np.isfinite(c), c, (a + b) / 2)
        fc = fun(c)
        root_between = np.sign(fc) != np.sign(fb)
        a, fa = np.where(root_between, b, a), np.where(root_between, fb, fa / 2)
        b, fb = c, fc
        if np.all((np.abs(b - a) <= _TOL) | (fc == 0)):
            return b
    warnings.warn(f"a boundary root search stopped after {_MAX_ITER} iterations with a bracket wider than "
                  f"{_TOL:g}", ConvergenceWarning, stacklevel=2)
    return b


def _log_gap(probability: Callable, target) -> Callable:
    """``x -> log P(x) - log target``: tiny early spends are solved on the log scale."""
    log_target = np.log(target)
    with np.errstate(divide="ignore"):
        return lambda x: np.log(np.maximum(probability(x), 1e-320)) - log_target


def _steps(t):
    """Increments of information, their SDs, and the SD of the next increment (1 after the last)."""
    dt = np.diff(t, prepend=0.0, axis=-1)
    sd = np.sqrt(dt)
    return dt, sd, np.concatenate([sd[:, 1:], np.ones_like(sd[:, :1])], axis=-1)


def _efficacy(t, alpha, sides):
    """α-spending boundaries (Z scale) at looks ``t`` (B, K) under H0, and the α spent (both sides).

    At look k the critical value :math:`c_k` solves
    :math:`P_0(|Z_k| \\ge c_k,\\ |Z_j| < c_j\\ \\forall j<k) = 2[\\alpha^*_{\\alpha/2}(t_k) -
    \\alpha^*_{\\alpha/2}(t_{k-1})]` (two-sided; the one-sided analogue for ``sides=1``).
    """
    batch, looks = t.shape
    spent = sides * obrien_fleming_spending(t, alpha / sides)
    increments = np.diff(spent, prepend=0.0, axis=-1)
    dt, sd, sd_next = _steps(t)
    zero = np.zeros(batch)
    mass, bounds = _Mass.start(batch), np.empty_like(t)
    for k in range(looks):
        root_t, target = np.sqrt(t[:, k]), increments[:, k]
        spends = target > 0  # an increment that underflows to 0 (tiny t) gives c = inf

        def exits(c, mass=mass, root_t=root_t, sd=sd[:, k]):
            upper = mass.above(c * root_t, zero, sd)
            return upper + mass.below(-c * root_t, zero, sd) if sides == 2 else upper

        safe = np.where(spends, target, 1.0)
        high = -special.ndtri(safe / sides)  # unconditionally P(|Z_k| >= high) = target
        c = _solve(_log_gap(exits, safe), zero, np.maximum(high, 0.0))
        bounds[:, k] = np.where(spends, c, np.inf)
        if k < looks - 1:
            low = np.maximum(-bounds[:, k] if sides == 2 else -np.inf, -_SD_RANGE) * root_t
            high = np.minimum(bounds[:, k], _SD_RANGE) * root_t
            points = _grid_points(low, high, sd[:, k], sd_next[:, k])
            mass = mass.advance(low, high, zero, sd[:, k], points)
    return bounds, spent


def _futility_pass(t, upper, beta, drift):
    """β-spending futility bounds for a given drift, and the gap the drift must close.

    Under H1 the score drifts by ``drift`` per unit of information. At look k < K the bound
    :math:`b_k` solves :math:`P_1(Z_k < b_k,\\ b_j < Z_j < c_j\\ \\forall j<k) =
    \\beta^*(t_k) - \\beta^*(t_{k-1})` (capped at :math:`c_k`); the returned gap is
    :math:`\\log P_1(Z_K < c_K, \\text{still running}) - \\log[\\beta - \\beta^*(t_{K-1})]`, zero when
    the last futility bound meets the last efficacy bound.
    """
    batch, looks = t.shape
    spent = obrien_fleming_spending(t, beta)
    increments = np.diff(spent, prepend=0.0, axis=-1)
    dt, sd, sd_next = _steps(t)
    mass, bounds = _Mass.start(batch), np.empty((batch, looks - 1))
    for k in range(looks):
        root_t, mean, target = np.sqrt(t[:, k]), drift * dt[:, k], increments[:, k]

        def falls(b, mass=mass, root_t=root_t, mean=mean, sd=sd[:, k]):
            return mass.below(b * root_t, mean, sd)

        if k == looks - 1:
            return bounds, _log_gap(falls, target)(upper[:, k])
        spends = target > 0
        safe = np.where(spends, target, 1.0)
        top = np.minimum(upper[:, k], drift * root_t + _SD_RANGE)
        reachable = spends & (falls(top) > safe)
        low = drift * root_t + special.ndtri(safe)  # unconditionally P(Z_k < low) = target
        b = _solve(_log_gap(falls, safe), np.minimum(low, top), top)
        bounds[:, k] = np.where(reachable, b, np.where(spends, upper[:, k], -np.inf))
        centre = drift * t[:, k]
        low = np.maximum(bounds[:, k] * root_t, centre - _SD_RANGE * root_t)
        high = np.minimum(upper[:, k] * root_t, centre + _SD_RANGE * root_t)
        mass = mass.advance(low, high, mean, sd[:, k], _grid_points(low, high, sd[:, k], sd_next[:, k]))


def _futility(t, upper, alpha_one_sided, beta):
    """Non-binding β-spending futility bounds and the drift at which they meet the last ``upper``.

    The drift :math:`\\theta` solves :math:`b_K(\\theta) = c_K` (the inner wedge closes at the last
    look), starting from the fixed-design drift :math:`z_{1-\\alpha} + z_{1-\\beta}`, below the root.
    """
    fixed = special.ndtri(1 - alpha_one_sided) + special.ndtri(1 - beta)
    start = np.full(len(t), fixed)
    if t.shape[1] == 1:
        return np.empty((len(t), 0)), start
    passes = {}  # by drift: the root search meets the same drift again (its bracket, its root)

    def run(drift):
        key = np.asarray(drift, dtype=float).tobytes()
        if key not in passes:
            passes[key] = _futility_pass(t, upper, beta, drift)
        return passes[key]

    gap = lambda drift: run(drift)[1]  # noqa: E731
    high = 1.25 * start
    while np.any(short := gap(high) > 0):
        high = np.where(short, 1.25 * high, high)
    drift = _solve(gap, start, high)
    return run(drift)[0], drift


# --- boundaries -------------------------------------------------------------------------------

@dataclass(frozen=True, repr=False)
class Boundaries:
    """Monitoring boundaries of one group-sequential design (Z scale), look by look.

    ``upper``/``lower`` are the α-spending (efficacy: benefit/harm) boundaries, ``lower =
    -upper`` for two-sided designs and ``-inf`` for one-sided ones. ``futility`` holds the
    one-sided β-spending bounds :math:`b_k` as computed (negative early on, ``-inf`` where no β
    is spent yet, NaN for ``power=None``); at the last look :math:`b_K` = ``upper``. The inner
    wedge :math:`|Z| < b_k` is :attr:`futility_upper` / :attr:`futility_lower`, NaN where it is
    not open (:math:`b_k \\le 0`). ``alpha_spent`` is cumulative (both sides). ``drift`` is the
    expected Z at t = 1 under the alternative the futility bounds are computed for, and
    ``inflation`` :math:`= (\\theta / (z_{1-\\alpha/s} + z_{1-\\beta}))^2` the factor by which
    the information would have to grow for the design to keep its power. ``converged`` is
    False when a root search stopped at its iteration cap (a
    :class:`~metarmc.wls.ConvergenceWarning` was issued too).
    """

    information_fraction: np.ndarray
    upper: np.ndarray
    lower: np.ndarray
    futility: np.ndarray
    alpha_spent: np.ndarray
    alpha: float
    power: float | None
    sides: int
    drift: float
    inflation: float
    converged: bool = True

    @property
    def futility_upper(self) -> np.ndarray:
        """Upper edge of the inner wedge (benefit side); NaN where the wedge is not open."""
        return np.where(self.futility > 0, self.futility, np.nan)

    @property
    def futility_lower(self) -> np.ndarray:
        """Lower edge of the inner wedge (harm side), the mirror image of :attr:`futility_upper`."""
        return -self.futility_upper

    def to_frame(self) -> pd.DataFrame:
        """One row per look: information fraction, boundaries and cumulative α spent."""
        return pd.DataFrame({"information_fraction": self.information_fraction,
                             "boundary_upper": self.upper, "boundary_lower": self.lower,
                             "futility_upper": self.futility_upper,
                             "futility_lower": self.futility_lower, "alpha_spent": self.alpha_spent})

    def __repr__(self) -> str:
        futility = "no futility" if self.power is None else f"β-spending futility for power {self.power:g}"
        lines = [f"Boundaries({self.sides}-sided α={self.alpha:g}, O'Brien-Fleming type, {futility}, "
                 f"{len(self.upper)} looks)"]
        lines += [f"  t={t:.4g}: ±{c:.4f}" if self.sides == 2 else f"  t={t:.4g}: {c:.4f}"
                  for t, c in zip(self.information_fraction, self.upper)]
        return "\n".join(lines)


def sequential_boundaries(t, alpha: float = 0.05, power: float | None = 0.80,
                          sides: int = 2) -> Boundaries:
    """Lan-DeMets O'Brien-Fleming-type boundaries at information fractions ``t``.

    Parameters
    ----------
    t : array_like
        Strictly increasing information fractions in (0, 1]; the last one need not be 1.
    alpha : float
        Overall type I error (two-sided for ``sides=2``: α/2 per side).
    power : float or None
        Power for the β-spending futility bounds (β = 1 - power); None for none.
    sides : {1, 2}

    Returns
    -------
    Boundaries

    Notes
    -----
    Efficacy: at look k, :math:`c_k` solves
    :math:`P_0(|Z_k| \\ge c_k, |Z_j| < c_j\\, \\forall j < k) = 2[\\alpha^*(t_k) - \\alpha^*(t_{k-1})]`
    with :math:`\\alpha^*` the O'Brien-Fleming-type function of level α/2
    (:func:`obrien_fleming_spending`). The joint law of :math:`Z_k = S_k / \\sqrt{t_k}`, with S
    a Brownian motion, is integrated exactly by the Armitage-McPherson-Rowe recursion on a
    Simpson grid (Reboussin et al. 2000; Jennison & Turnbull 2000, ch. 19).

    Futility (the inner wedge, as RTSA and the TSA software draw it): one-sided, non-binding
    β-spending with the O'Brien-Fleming-type function of level β, computed under the
    alternative on the benefit side and mirrored to the harm side. The bounds :math:`b_k`
    solve :math:`P_\\theta(Z_k < b_k, b_j < Z_j < c_j\\, \\forall j<k) = \\beta^*(t_k) -
    \\beta^*(t_{k-1})`, with the drift θ chosen so that the wedge closes at the last look
    (:math:`b_K = c_K`), which is rpact's ``typeBetaSpending = "bsOF"`` design. It assumes
    the last look is the final analysis (t = 1); ``inflation`` says by how much the
    information would have to grow for the design to keep the requested power.

    References
    ----------
    Reboussin DM, DeMets DL, Kim KM, Lan KKG (2000). Control Clin Trials 21:190-207.
    Thorlund K et al. (2011). User manual for trial sequential analysis (TSA), ch. 4.

    Examples
    --------
    >>> b = sequential_boundaries([0.2, 0.4, 0.6, 0.8, 1.0], power=None)
    >>> [round(float(c), 3) for c in b.upper]
    [4.877, 3.357, 2.68, 2.29, 2.031]
    """
    t = _check_fractions(t)
    _check_level("alpha", alpha)
    if sides not in SIDES:
        raise ValueError(f"sides must be 1 or 2; got {sides!r}")
    if power is not None:
        _check_level("power", power)
    upper, spent, futility, drift, inflation, caught = _design(tuple(t.tolist()), alpha, power, sides,
                                                               _numerics())
    for message, category in caught:  # pass them on (on every call), and record whether any root search failed
        warnings.warn(message, category, stacklevel=2)
    converged = not any(issubclass(category, ConvergenceWarning) for _, category in caught)
    lower = -upper if sides == 2 else np.full(len(t), -np.inf)
    return Boundaries(t, upper.copy(), lower, futility.copy(), spent.copy(), alpha, power, sides, drift, inflation,
                      converged)


def _numerics() -> tuple:
    """The integration grid and root-search settings in force (part of :func:`_design`'s key)."""
    return _SD_RANGE, _NODES_PER_SD, _MAX_NODES, _TOL, _MAX_ITER


@functools.lru_cache(maxsize=256)
def _design(t: tuple, alpha: float, power: float | None, sides: int, numerics: tuple) -> tuple:
    """:func:`sequential_boundaries`' numbers and the warnings raised computing them, once per design.

    The boundaries are a pure function of these arguments (``numerics``: :func:`_numerics`), and a
    review asks for the same design many times (each outcome's GRADE imprecision, its TSA, the TSA's
    sensitivity grid): the result is kept (read-only; callers get copies) and its warnings replayed.
    """
    t = np.array(t)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        upper, spent = _efficacy(t[None, :], alpha, sides)
        futility, drift = np.full((1, len(t)), np.nan), np.nan
        fixed = special.ndtri(1 - alpha / sides)
        if power is not None:
            wedge, drift = _futility(t[None, :], upper, alpha / sides, 1 - power)
            futility = np.concatenate([wedge, upper[:, -1:]], axis=-1)
            drift, fixed = float(drift[0]), fixed + special.ndtri(power)
    inflation = (drift / fixed) ** 2 if power is not None else np.nan
    for values in (upper, spent, futility):
        values.flags.writeable = False
    return upper[0], spent[0], futility[0], drift, inflation, tuple((w.message, w.category) for w in caught)


def _check_fractions(t) -> np.ndarray:
    t = np.atleast_1d(np.asarray(t, dtype=float))
    if t.ndim != 1 or len(t) == 0:
        raise ValueError("information fractions must be a non-empty 1-d sequence")
    if not np.all(np.isfinite(t)) or t[0] <= 0 or t[-1] > 1 or np.any(np.diff(t) <= 0):
        raise ValueError(f"information fractions must increase strictly within (0, 1]; got {t.tolist()}")
    return t


def _check_level(name, value):
    if not 0 < value < 1:
        raise ValueError(f"{name} must be between 0 and 1 (exclusive); got {value!r}")


def _design_at(fractions, alpha, power, sides) -> Boundaries:
    """Boundaries at any increasing fractions: the design's looks are those below 1, then 1.

    Looks at or beyond the required information size share the final boundary (all α spent)
    and the closed wedge (futility = efficacy bound).
    """
    fractions = np.asarray(fractions, dtype=float)
    before = fractions[fractions < 1]
    design = sequential_boundaries(np.append(before, 1.0), alpha, power, sides)
    index = np.minimum(np.arange(len(fractions)), len(before))
    pick = lambda values: values[index]  # noqa: E731
    return Boundaries(fractions, pick(design.upper), pick(design.lower), pick(design.futility),
                      pick(design.alpha_spent), alpha, power, sides, design.drift, design.inflation,
                      design.converged)


def boundary_curve(ris: float, alpha: float = 0.05, grid=None, power: float | None = 0.80,
                   sides: int = 2) -> pd.DataFrame:
    """Boundaries for drawing: looks at every point of ``grid`` (cumulative patients).

    Parameters
    ----------
    ris : float
        Required information size (patients).
    alpha, power, sides
        As in :func:`sequential_boundaries`.
    grid : array_like, optional
        Strictly increasing patient counts; default 40 equal steps up to ``ris``. Points
        beyond ``ris`` carry the final boundary.

    Returns
    -------
    DataFrame
        Columns ``n``, ``information_fraction``, ``boundary_upper``, ``boundary_lower``,
        ``futility_upper``, ``futility_lower``, ``alpha_spent``.

    Notes
    -----
    As the grid gets finer the boundary tends to the continuous-monitoring one,
    :math:`z_{1-\\alpha/4}/\\sqrt t` for the O'Brien-Fleming-type function (two-sided α;
    Lan & DeMets 1983), from below.
    """
    if not (isinstance(ris, (int, float, np.number)) and ris > 0):
        raise ValueError(f"ris must be a positive number of patients; got {ris!r}")
    grid = np.linspace(ris / 40, ris, 40) if grid is None else np.asarray(grid, dtype=float)
    if grid.ndim != 1 or len(grid) == 0 or grid[0] <= 0 or np.any(np.diff(grid) <= 0):
        raise ValueError("grid must be strictly increasing positive patient counts")
    frame = _design_at(grid / ris, alpha, power, sides).to_frame()
    frame.insert(0, "n", grid)
    return frame


# --- required information size and diversity ---------------------------------------------------

def required_information_size(p_control: float, rrr: float, alpha: float = 0.05, power: float = 0.80,
                              d2: float = 0.0) -> int:
    """Required (diversity-adjusted) information size for a binary outcome, in patients.

    Parameters
    ----------
    p_control : float
        Anticipated proportion of the (undesirable) event in the control arm.
    rrr : float
        Anticipated relative risk reduction: :math:`p_e = p_c (1 - RRR)`.
    alpha : float
        Two-sided type I error.
    power : float
        1 - β.
    d2 : float
        Diversity D² (or I², for the heterogeneity-corrected size) as a fraction in [0, 1).

    Returns
    -------
    int
        Total patients (both arms), rounded up.

    Notes
    -----
    .. math:: RIS = \\frac{4\\,(z_{1-\\alpha/2} + z_{1-\\beta})^2\\,\\bar p(1 - \\bar p)}{\\delta^2}
              \\cdot \\frac{1}{1 - D^2}, \\qquad \\delta = p_c - p_e, \\quad
              \\bar p = \\frac{p_c + p_e}2

    References
    ----------
    Wetterslev J et al. (2008). J Clin Epidemiol 61:64-75; (2009) BMC Med Res Methodol 9:86.

    Examples
    --------
    Egerup et al. (2015), PLoS One 10:e0141588, Fig 2B: "DARIS of 1,008 patients".

    >>> required_information_size(0.43, 0.20)
    1008
    """
    _check_level("p_control", p_control)
    _check_level("rrr", rrr)
    _check_level("alpha", alpha)
    _check_level("power", power)
    if not 0 <= d2 < 1:
        raise ValueError(f"d2 (diversity) must be in [0, 1) (a fraction, not a percent); got {d2!r}")
    p_e = p_control * (1 - rrr)
    delta, p_bar = p_control - p_e, (p_control + p_e) / 2
    z = special.ndtri(1 - alpha / 2) + special.ndtri(power)
    size = 4 * z**2 * p_bar * (1 - p_bar) / delta**2 / (1 - d2)
    return math.ceil(size - 1e-9)  # an exact integer stays itself despite rounding noise


def diversity(pooled: Pooled):
    """Diversity D² of a pooled analysis (Wetterslev et al. 2009), as a fraction.

    .. math:: D^2 = \\frac{V_R - V_F}{V_R}, \\qquad V_F = \\frac1{\\sum_i 1/v_i}, \\quad
              V_R = \\frac1{\\sum_i 1/(v_i + \\hat\\tau^2_{DL})}

    the relative variance reduction when going from the random-effects to the fixed-effect
    (inverse-variance) model, with the DerSimonian-Laird τ² from the analysis's own Q whatever
    model ``pooled`` was fitted with. D² ≥ I², with equality when all :math:`v_i` are equal.

    Parameters
    ----------
    pooled : Pooled
        From :func:`metarmc.pool_binary` or :func:`metarmc.pool_effects` (any batch shape).

    Returns
    -------
    float or ndarray
        D² in [0, 1), one per analysis of the batch.
    """
    if np.any(pooled.k == 0):
        raise ValueError("diversity needs at least one estimable study in every analysis")
    tau2 = het.tau2_dersimonian_laird(pooled.q, pooled.vi, pooled.include)
    _, se_fixed, _ = inverse_variance(pooled.yi, pooled.vi, pooled.include)
    _, se_random, _ = inverse_variance(pooled.yi, pooled.vi, pooled.include, tau2)
    d2 = 1 - se_fixed**2 / se_random**2
    return float(d2) if np.ndim(d2) == 0 else d2


# --- the analysis -----------------------------------------------------------------------------

@dataclass(frozen=True, repr=False)
class TSAResult:
    """A trial sequential analysis of a binary outcome.

    ``z`` is signed so that benefit is positive. ``crossed`` is the first boundary the
    Z-curve reached (``"benefit"``, ``"harm"``, ``"futility"``) or ``"none"``; ``crossed_at``
    the study whose addition reached it. ``estimate``/``ci_*`` are the final pooled effect
    and its conventional 95% CI; ``tsa_ci_*`` the TSA-adjusted CI, with the last look's
    efficacy boundary ``critical_value`` in place of 1.96. ``ris`` is the required
    information size for ``d2`` (the diversity D² used), ``ris_i2`` the one adjusted by the
    final I² instead; ``d2_observed`` and ``i2`` are the final analysis's own (fractions).
    """

    measure: str
    method: str
    model: str
    benefit: str
    alpha: float
    power: float
    rrr: float
    p_control: float
    d2: float
    d2_observed: float
    i2: float
    ris: int
    ris_i2: int
    information_fraction: float
    z: float
    estimate: float
    ci_low: float
    ci_high: float
    critical_value: float
    tsa_ci_low: float
    tsa_ci_high: float
    crossed: str
    crossed_at: str | None
    inflation: float
    looks: pd.DataFrame = field(compare=False)
    converged: bool = True

    def to_frame(self) -> pd.DataFrame:
        """One row per study added: the Z-curve and the boundaries at its information fraction."""
        return self.looks.copy()

    @property
    def benefit_crossed_at(self) -> str | None:
        """The study whose addition first took the Z-curve over the benefit boundary, or None.

        The futility bounds are non-binding, so a later crossing of the benefit boundary counts
        even after the curve entered the futility wedge (``crossed`` names the first boundary reached).
        """
        hit = self.looks["z"].to_numpy() >= self.looks["boundary_upper"].to_numpy()
        return str(self.looks["study"].iloc[int(np.argmax(hit))]) if hit.any() else None

    def __repr__(self) -> str:
        where = f" at {self.crossed_at}" if self.crossed_at else ""
        return "\n".join([
            f"TSAResult({self.measure}, {self.method}, {self.model}, benefit = {self.benefit} risk, "
            f"{len(self.looks)} looks)",
            f"  RIS {self.ris} (p_c={self.p_control:.3g}, RRR={self.rrr:g}, α={self.alpha:g}, "
            f"power={self.power:g}, D²={self.d2:.3g}); I²-adjusted {self.ris_i2}",
            f"  information {self.information_fraction:.1%} of RIS; Z={short(self.z)}, "
            f"boundary ±{short(self.critical_value)}; crossed: {self.crossed}{where}",
            f"  estimate {short(self.estimate)} [{short(self.ci_low)}, {short(self.ci_high)}], "
            f"TSA-adjusted [{short(self.tsa_ci_low)}, {short(self.tsa_ci_high)}]",
        ])


def tsa(table: pd.DataFrame, *, rrr: float, p_control: float | None = None, alpha: float = 0.05,
        power: float = 0.80, d2: float | None = None, order_by: str = "year",
        benefit: str = "lower", measure: str = "RR", method: str = "MH", model: str = "random",
        tau2: str = "DL") -> TSAResult:
    """Trial sequential analysis of a binary outcome (two-sided, O'Brien-Fleming type).

    Parameters
    ----------
    table : DataFrame
        ``study, events_t, total_t, events_c, total_c`` and the ``order_by`` column.
    rrr : float
        Anticipated relative risk reduction of the undesirable event.
    p_control : float, optional
        Control-arm proportion of the undesirable event; default the pooled control-arm
        risk of the data (:math:`\\sum c_i / \\sum n_{2i}`, or 1 minus it for
        ``benefit="higher"``).
    alpha, power : float
        Two-sided type I error and 1 - β of the RIS and of the boundaries.
    d2 : float, optional
        Diversity D² (fraction) for the RIS; default the final analysis's own (:func:`diversity`).
    order_by : str
        Column giving the order in which trials are added.
    benefit : {"lower", "higher"}
        Whether fewer events (the table's event is undesirable) or more events (e.g. live
        birth) is the benefit. With ``"higher"`` the RIS is for the complementary event (no
        live birth, as Egerup et al. 2015), so ``p_control`` and ``rrr`` refer to it.
    measure, method, model, tau2
        The cumulative meta-analysis (:func:`metarmc.cumulative.cumulative_meta_analysis`).

    Returns
    -------
    TSAResult

    Notes
    -----
    Information fraction :math:`t_i = n_i / RIS` (cumulative patients of all trials added).
    The boundaries are :func:`sequential_boundaries` at the looks :math:`t_i < 1` followed by
    a final look at :math:`t = 1`; looks past the RIS share the final boundary. The Z-curve
    is the cumulative meta-analysis's z, times -1 when ``benefit="lower"``. The TSA-adjusted
    CI is :math:`\\hat\\theta \\pm c_m\\,SE(\\hat\\theta)` with :math:`c_m` the efficacy boundary
    at the last look (Thorlund et al. 2011).
    """
    if benefit not in BENEFITS:
        raise ValueError(f"benefit must be one of {', '.join(BENEFITS)}; got {benefit!r}")
    run = cumulative_pooled(table, order_by, "binary", measure=measure, method=method, model=model,
                            tau2=tau2)
    pooled, ordered = run.pooled, run.table
    if np.any(pooled.k == 0):
        raise ValueError(f"study {ordered['study'].iloc[0]!r} is not estimable and comes first: "
                         "the Z-curve cannot start; reorder or drop it")
    observed = _last_diversity(pooled)
    p_c = _control_risk(ordered, benefit) if p_control is None else p_control
    used_d2 = observed if d2 is None else d2
    ris = required_information_size(p_c, rrr, alpha, power, used_d2)
    i2 = float(pooled.i2[-1]) / 100
    fractions = run.n / ris
    design = _design_at(fractions, alpha, power, 2)
    sign = 1.0 if benefit == "higher" else -1.0
    z = sign * pooled.z
    looks = design.to_frame()
    looks.insert(0, "study", ordered["study"].to_numpy())
    looks.insert(1, "n", run.n)
    looks.insert(3, "z", z)
    crossed, crossed_at = _first_crossing(looks)
    back = np.exp if run.ratio else (lambda x: x)
    estimate, se, critical = pooled.estimate[-1], pooled.se[-1], design.upper[-1]
    return TSAResult(
        measure=measure, method=method, model=model, benefit=benefit, alpha=alpha, power=power,
        rrr=rrr, p_control=float(p_c), d2=float(used_d2), d2_observed=observed, i2=i2, ris=ris,
        ris_i2=required_information_size(p_c, rrr, alpha, power, i2),
        information_fraction=float(fractions[-1]), z=float(z[-1]), estimate=float(back(estimate)),
        ci_low=float(back(pooled.ci_low[-1])), ci_high=float(back(pooled.ci_high[-1])),
        critical_value=float(critical), tsa_ci_low=float(back(estimate - critical * se)),
        tsa_ci_high=float(back(estimate + critical * se)), crossed=crossed, crossed_at=crossed_at,
        inflation=design.inflation, looks=looks[list(TSA_COLUMNS)], converged=design.converged)


def _last_diversity(pooled: Pooled) -> float:
    """D² of the last analysis of a cumulative batch (all studies)."""
    return float(np.atleast_1d(diversity(pooled))[-1])


def _control_risk(ordered: pd.DataFrame, benefit: str) -> float:
    """Pooled control-arm risk of the undesirable event (:func:`metarmc.measures.control_risk`)."""
    risk = control_risk(ordered)
    risk = 1 - risk if benefit == "higher" else risk
    if not 0 < risk < 1:
        raise ValueError(f"the pooled control-arm risk is {risk:g}; give p_control explicitly")
    return float(risk)


def _first_crossing(looks: pd.DataFrame) -> tuple[str, str | None]:
    """The first boundary the Z-curve reaches, and the study that took it there."""
    z = looks["z"].to_numpy()
    hits = {"benefit": z >= looks["boundary_upper"].to_numpy(),
            "harm": z <= looks["boundary_lower"].to_numpy(),
            "futility": np.abs(z) < np.nan_to_num(looks["futility_upper"].to_numpy(), nan=-np.inf)}
    first = {name: int(np.argmax(hit)) for name, hit in hits.items() if hit.any()}
    if not first:
        return "none", None
    name = min(first, key=first.get)
    return name, str(looks["study"].iloc[first[name]])
