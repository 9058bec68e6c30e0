"""Numbers as text, the way RevMan prints them: for prose, tables and plot labels."""

from __future__ import annotations

import math

from .results import MetaResult


def p_value(p: float) -> str:
    """RevMan's style: ``P < 0.00001``, else ``P = 0.04`` (3 decimals below 0.01, 5 below 0.001)."""
    if math.isnan(p):
        return "P not applicable"
    if p < 0.00001:
        return "P < 0.00001"
    digits = 2 if p >= 0.01 else 3 if p >= 0.001 else 5
    return f"P = {p:.{digits}f}"


def number(x: float, digits: int = 2) -> str:
    """A number with fixed decimals, minus sign as a true minus."""
    return f"{x:.{digits}f}".replace("-", "\u2212")


def interval(low: float, high: float, digits: int = 2) -> str:
    """``[low, high]`` as in RevMan's forest plots."""
    return f"[{number(low, digits)}, {number(high, digits)}]"


def effect(result: MetaResult, digits: int = 2) -> str:
    """``OR 1.93 (95% CI 1.32 to 2.82)`` for a pooled result."""
    return (f"{result.measure} {number(result.estimate, digits)} "
            f"(95% CI {number(result.ci_low, digits)} to {number(result.ci_high, digits)})")


def heterogeneity(result: MetaResult) -> str:
    """RevMan's heterogeneity line: ``Tau² = …; Chi² = …, df = … (P = …); I² = …%``."""
    tau = f"Tau² = {result.tau2:.2f}; " if result.model == "random" else ""
    if result.q_df == 0:
        return "Heterogeneity: not applicable"
    return (f"Heterogeneity: {tau}Chi² = {result.q:.2f}, df = {result.q_df} "
            f"({p_value(result.q_p)}); I² = {result.i2:.0f}%")


def overall_effect(result: MetaResult) -> str:
    """RevMan's line for the test of the overall effect (a t test with HKSJ)."""
    statistic = "t" if result.hksj else "Z"
    return f"Test for overall effect: {statistic} = {abs(result.z):.2f} ({p_value(result.p)})"
