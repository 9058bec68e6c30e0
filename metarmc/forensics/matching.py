"""Which pooled values round to what a paper printed, and when no data at all could.

A pooled value :math:`x` is compatible with a value :math:`v` printed with :math:`d` decimals
when

.. math:: |x - v| \\le \\tfrac12 10^{-d} + \\varepsilon, \\qquad \\varepsilon = 10^{-9},

so that a value lying on a rounding boundary counts either way (floating-point noise never
decides). OR and CI are compared on the natural scale; Z as :math:`|z|`; I² in percent; P
with the decimals of its printed text, and ``"<0.00001"`` means :math:`p < 10^{-5}`. The
printed numbers are read by :mod:`metarmc.printed`.
"""

from __future__ import annotations

import math

import numpy as np

from ..distributions import Z_95, normal_p
from ..printed import PrintedResult

#: The printed statistics one can impose, in the order they are printed.
STATISTICS = ("estimate", "ci", "z", "p", "i2")
#: Tolerance added to every half-unit of rounding (see the module docstring).
ROUNDING_SLACK = 1e-9
#: The first pass of the search is looser than the final test, so it can never drop a survivor.
SCREEN_SLACK = 1e-7


def checked(printed: PrintedResult) -> PrintedResult:
    """``printed`` if it is an odds ratio with a positive estimate and CI (what can be reconstructed)."""
    if printed.measure != "OR":
        raise ValueError(f"only odds-ratio analyses can be reconstructed; got {printed.measure}")
    for name in ("estimate", "ci_low", "ci_high"):
        if not getattr(printed, name).value > 0:
            raise ValueError(f"printed {name} must be a positive odds ratio; got {getattr(printed, name).value!r}")
    return printed


def available(printed: PrintedResult) -> tuple[str, ...]:
    """The statistics that were printed (all of :data:`STATISTICS` the paper gave)."""
    given = {"estimate": True, "ci": True, "z": printed.z is not None, "p": printed.p is not None,
             "i2": printed.i2 is not None}
    return tuple(name for name in STATISTICS if given[name])


def check_statistics(printed: PrintedResult, statistics) -> tuple[str, ...]:
    """``statistics`` as a tuple in print order; ValueError for unknown or unprinted ones."""
    shown = available(printed)
    statistics = shown if statistics is None else tuple(statistics)
    for name in statistics:
        if name not in STATISTICS:
            raise ValueError(f"statistics must be among {', '.join(STATISTICS)}; got {name!r}")
        if name not in shown:
            raise ValueError(f"{name!r} was not printed for this analysis")
    return tuple(name for name in STATISTICS if name in statistics)


def compatible(printed: PrintedResult, estimate, ci_low, ci_high, z, p, i2, statistics=None,
               slack=ROUNDING_SLACK) -> np.ndarray:
    """Which pooled values round to the printed ones (estimate and CI on the log scale).

    Parameters
    ----------
    printed : PrintedResult
    estimate, ci_low, ci_high : array
        Pooled log odds ratio and its 95% CI bounds.
    z, p, i2 : array
        Test statistic, its two-sided P value, I² in percent.
    statistics : iterable of str, optional
        Which of :data:`STATISTICS` to impose (default: every printed one).
    slack : float
        The :math:`\\varepsilon` of the module docstring.
    """
    statistics = check_statistics(printed, statistics)
    shape = next(np.shape(x) for x in (estimate, i2, p, z) if x is not None)
    with np.errstate(invalid="ignore", over="ignore"):
        keep = np.ones(shape, dtype=bool)
        if "estimate" in statistics:
            keep &= printed.estimate.contains(np.exp(estimate), slack)
        if "ci" in statistics:
            keep &= printed.ci_low.contains(np.exp(ci_low), slack)
            keep &= printed.ci_high.contains(np.exp(ci_high), slack)
        if "z" in statistics:
            keep &= printed.z.contains(np.abs(z), slack)
        if "p" in statistics:
            keep &= printed.p.contains(p, slack)
        if "i2" in statistics:
            keep &= printed.i2.contains(i2, slack)
    return keep


def compatible_pooled(printed: PrintedResult, pooled, statistics=None, slack=ROUNDING_SLACK) -> np.ndarray:
    """:func:`compatible` applied to a :class:`~metarmc.pooling.Pooled`."""
    return compatible(printed, pooled.estimate, pooled.ci_low, pooled.ci_high, pooled.z, pooled.p, pooled.i2,
                      statistics, slack)


def compatible_effect(printed: PrintedResult, estimate, se, statistics) -> np.ndarray:
    """:func:`compatible` for a pooled log OR and its SE (95% CI, z and p as RevMan computes them)."""
    z = estimate / se
    return compatible(printed, estimate, estimate - Z_95 * se, estimate + Z_95 * se, z, normal_p(z), None,
                      statistics, SCREEN_SLACK)


def contradiction(printed: PrintedResult, statistics=None) -> str:
    """Why no data at all can give the imposed printed values together ("" if some could).

    Without HKSJ, both models print :math:`\\hat\\theta \\pm 1.96\\,SE` and
    :math:`z = \\hat\\theta / SE`, :math:`p = 2\\Phi(-|z|)`, whatever the tables. So

    .. math:: |z| = 1.96\\,\\frac{|l + h|}{h - l}, \\qquad \\hat\\theta = \\frac{l + h}2

    for the log CI bounds :math:`(l, h)`. The printed CI bounds and estimate confine
    :math:`(l, h)` to a polygon (a box cut by the strip of the estimate); :math:`z` is a
    ratio of linear functions, so its extremes over the polygon are at its vertices. P
    is monotone in :math:`|z|`. If the intervals for :math:`|z|` these give do not meet,
    no candidate can survive: the search is then exhaustive at no cost.
    """
    statistics = check_statistics(printed, statistics)
    z_range = (0.0, math.inf)
    if "z" in statistics:
        z_range = _meet(z_range, printed.z.bounds(ROUNDING_SLACK))
    if "p" in statistics:
        z_range = _meet(z_range, printed.p.z_range(ROUNDING_SLACK))
    if z_range[0] > z_range[1]:
        low, high = printed.z.bounds(ROUNDING_SLACK)
        return (f"Z = {printed.z.text} gives P between {normal_p(high):.4f} and {normal_p(low):.4f}, "
                f"which does not round to P = {printed.p.text}")
    if "ci" not in statistics:
        return ""
    box = [(low, high) for low in _log_bounds(printed.ci_low) for high in _log_bounds(printed.ci_high)]
    polygon = [box[0], box[1], box[3], box[2]]
    if "estimate" in statistics:
        e_low, e_high = _log_bounds(printed.estimate)
        polygon = _clip(_clip(polygon, lambda v: (v[0] + v[1]) / 2 - e_low),
                        lambda v: e_high - (v[0] + v[1]) / 2)
        if not polygon:
            return (f"OR {printed.estimate.text} is not the centre (on the log scale) of the 95% CI "
                    f"{printed.ci_text}")
    z = [Z_95 * (low + high) / (high - low) for low, high in polygon]
    smallest = 0.0 if min(z) <= 0 <= max(z) else min(abs(min(z)), abs(max(z)))
    implied = (smallest, max(abs(min(z)), abs(max(z))))
    if _meet(implied, z_range)[0] > _meet(implied, z_range)[1]:
        shown = "Z" if "z" in statistics else "P"
        return (f"the 95% CI {printed.ci_text} (with OR {printed.estimate.text}) implies |Z| between "
                f"{implied[0]:.3f} and {implied[1]:.3f}, which does not fit the printed {shown}")
    return ""


def _log_bounds(number) -> tuple[float, float]:
    """The log of a printed ratio's rounding bounds (widened by the slack)."""
    low, high = number.bounds(ROUNDING_SLACK)
    return math.log(max(low, 1e-300)), math.log(high)


def _meet(a, b) -> tuple[float, float]:
    return max(a[0], b[0]), min(a[1], b[1])


def _clip(polygon, inside) -> list[tuple[float, float]]:
    """Sutherland-Hodgman: the part of a convex polygon where the linear ``inside(v) >= 0``."""
    out = []
    for i, current in enumerate(polygon):
        previous = polygon[i - 1]
        a, b = inside(previous), inside(current)
        if (a >= 0) != (b >= 0):
            t = a / (a - b)
            out.append((previous[0] + t * (current[0] - previous[0]), previous[1] + t * (current[1] - previous[1])))
        if b >= 0:
            out.append(current)
    return out
