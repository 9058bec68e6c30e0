"""Numbers as text, the way RevMan prints them: for prose, tables and plot labels."""

from __future__ import annotations

import numpy as np

from .heterogeneity import i_squared
from .results import MetaResult


def p_value(p: float) -> str:
    """A P value as RevMan 5 prints it: ``P < 0.00001``, ``P < 0.0001``, ``P = 0.0007``, ``P = 0.04``.

    Two decimals from 0.01 up, one significant digit from 0.0001 to 0.01, and below that
    only the bounds ``< 0.0001`` and ``< 0.00001``.

    Examples
    --------
    >>> p_value(0.2431), p_value(0.000667), p_value(0.0000049)
    ('P = 0.24', 'P = 0.0007', 'P < 0.00001')
    """
    if not p >= 0:
        raise ValueError(f"p must be a number between 0 and 1; got {p!r}")
    for bound in ("0.00001", "0.0001"):
        if p < float(bound):
            return f"P < {bound}"
    if p < 0.01:
        return f"P = {np.format_float_positional(p, precision=1, fractional=False)}"
    return f"P = {p:.2f}"


def p_printed(p: float) -> str:
    """A P value as a table prints it, without the ``P``: ``<0.00001``, ``0.0007``, ``0.04``.

    Examples
    --------
    >>> p_printed(0.0371), p_printed(0.0000049)
    ('0.04', '<0.00001')
    """
    return p_value(p).removeprefix("P = ").replace("P < ", "<")


def interval(estimate: float, low: float, high: float) -> str:
    """``"1.93 [1.32, 2.82]"``: an estimate and its interval, two decimals as in RevMan."""
    return f"{estimate:.2f} [{low:.2f}, {high:.2f}]"


def effect(result: MetaResult) -> str:
    """``OR 1.93 (95% CI 1.32 to 2.82)``: a pooled result for prose."""
    return f"{result.measure} {result.estimate:.2f} (95% CI {result.ci_low:.2f} to {result.ci_high:.2f})"


def heterogeneity(result: MetaResult) -> str:
    """``Heterogeneity: Tau² = …; Chi² = …, df = … (P = …); I² = …%`` (Tau² if random effects)."""
    if result.q_df == 0:
        return "Heterogeneity: Not applicable"
    tau2 = f"Tau\u00b2 = {result.tau2:.2f}; " if result.model == "random" else ""
    return (f"Heterogeneity: {tau2}Chi\u00b2 = {result.q:.2f}, df = {result.q_df} "
            f"({p_value(result.q_p)}); I\u00b2 = {result.i2:.0f}%")


def overall_effect(result: MetaResult) -> str:
    """``Test for overall effect: Z = … (P = …)`` (t with the Hartung-Knapp correction)."""
    statistic = "t" if result.hksj else "Z"
    return f"Test for overall effect: {statistic} = {abs(result.z):.2f} ({p_value(result.p)})"


def subgroup_differences(result: MetaResult) -> str:
    """``Test for subgroup differences: Chi² = …, df = … (P = …), I² = …%``.

    .. math:: I^2 = \\max\\left(0, \\frac{Q - df}{Q}\\right) \\times 100

    with Q the between-subgroup statistic (:func:`metarmc.heterogeneity.i_squared`).
    """
    if not result.subgroup_df:
        return "Test for subgroup differences: Not applicable"
    i2 = float(i_squared(result.subgroup_q, result.subgroup_df))
    return (f"Test for subgroup differences: Chi\u00b2 = {result.subgroup_q:.2f}, "
            f"df = {result.subgroup_df} ({p_value(result.subgroup_p)}), I\u00b2 = {i2:.0f}%")
