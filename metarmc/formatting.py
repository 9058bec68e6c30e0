"""Numbers as text: the one place that turns results into what prose, tables, plots and reports print.

Every function here takes numbers (or an object with ``measure``, ``estimate``, ``ci_low``
and ``ci_high`` attributes: a :class:`~metarmc.results.MetaResult`, a row of the paper's
printed results, a :class:`~metarmc.printed.PrintedResult`) and returns a string, with
Review Manager 5's conventions: two decimals for effects, intervals and test statistics,
whole percents for I², and P values by :func:`p_value`.

Examples
--------
>>> estimate_ci(2.0412, 1.4437, 2.8699)
'2.04 (95% CI 1.44 to 2.87)'
>>> interval(2.0412, 1.4437, 2.8699)
'2.04 [1.44, 2.87]'
"""

from __future__ import annotations

import math

import numpy as np

from .heterogeneity import i_squared

#: What :func:`short` prints for a missing or not-applicable number.
NOT_APPLICABLE = "n/a"


def number(x: float, decimals: int = 2) -> str:
    """``x`` with ``decimals`` decimals (RevMan prints effects, CIs and Z with 2); ``n/a`` if missing."""
    return NOT_APPLICABLE if _missing(x) else f"{x:.{decimals}f}"


def short(x) -> str:
    """Four significant digits, for a ``repr``: ``1.858``, ``0.0001235``; ``n/a`` if missing."""
    return NOT_APPLICABLE if _missing(x) else f"{x:.4g}"


def concise(x: float, sign: bool = False) -> str:
    """Up to five significant digits without trailing zeros, for messages (``+0.25`` with ``sign``)."""
    return f"{x:+.5g}" if sign else f"{x:.5g}"


def percent(x: float, decimals: int = 0) -> str:
    """``43%``: a percentage such as I² (whole percents, as RevMan prints them)."""
    return f"{x:.{decimals}f}%"


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


def p_as_printed(text: str) -> str:
    """A P value printed by a paper (text such as ``0.04`` or ``<0.00001``) with its ``P``.

    Examples
    --------
    >>> p_as_printed("0.04"), p_as_printed("<0.00001")
    ('P = 0.04', 'P < 0.00001')
    """
    text = str(text).strip()
    return f"P {text[0]} {text[1:]}" if text[:1] in "<>" else f"P = {text}"


def ci_range(low: float, high: float, decimals: int = 2) -> str:
    """``1.44 to 2.87``: the limits of an interval."""
    return f"{low:.{decimals}f} to {high:.{decimals}f}"


def null_relation(low: float, high: float, null: float = 1.0) -> str:
    """``crosses 1`` when the null lies strictly inside the interval, else ``excludes 1``.

    Examples
    --------
    >>> null_relation(0.96, 2.57), null_relation(1.03, 2.40), null_relation(-0.2, 0.1, null=0)
    ('crosses 1', 'excludes 1', 'crosses 0')
    """
    return f"{'crosses' if low < null < high else 'excludes'} {null:g}"


def estimate_ci(estimate: float, low: float, high: float, *, unit: str = "", label: str = "95% CI",
                decimals: int = 2) -> str:
    """``2.04 (95% CI 1.44 to 2.87)``: an estimate and its interval for prose.

    ``unit`` follows the estimate (``220.74 g (95% CI ...)``); ``label=""`` gives the
    summary-of-findings style ``2.04 (1.44 to 2.87)``.
    """
    inside = f"{label} {ci_range(low, high, decimals)}" if label else ci_range(low, high, decimals)
    return f"{estimate:.{decimals}f}{' ' + unit if unit else ''} ({inside})"


def effect(result, *, measure: str | None = None, unit: str = "", label: str = "95% CI") -> str:
    """``OR 2.04 (95% CI 1.44 to 2.87)``: a pooled (or printed) effect for prose.

    Parameters
    ----------
    result
        Anything with ``estimate``, ``ci_low``, ``ci_high`` (natural scale) and, unless
        ``measure`` is given, ``measure`` attributes.
    measure : str, optional
        Overrides ``result.measure``.
    unit, label
        As in :func:`estimate_ci`.
    """
    name = result.measure if measure is None else measure
    return f"{name} {estimate_ci(result.estimate, result.ci_low, result.ci_high, unit=unit, label=label)}"


def interval(estimate: float, low: float, high: float) -> str:
    """``"1.93 [1.32, 2.82]"``: an estimate and its interval as RevMan's tables print it."""
    return f"{estimate:.2f} [{low:.2f}, {high:.2f}]"


def listing(items) -> str:
    """``A, B and C``: words for prose, joined as a sentence lists them (``none`` if there are none).

    Examples
    --------
    >>> listing(["Shi 2022"]), listing(["Shi 2022", "Habets 2022", "Hutton 2007"]), listing([])
    ('Shi 2022', 'Shi 2022, Habets 2022 and Hutton 2007', 'none')
    """
    items = list(items)
    if not items:
        return "none"
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def first_upper(text: str) -> str:
    """``text`` with its first letter in upper case and the rest as it is, to start a sentence or a cell.

    Unlike :meth:`str.capitalize`, which lowercases the rest ("M-h fixed effect").

    Examples
    --------
    >>> first_upper("the evidence is very uncertain"), first_upper("M-H fixed effect"), first_upper("")
    ('The evidence is very uncertain', 'M-H fixed effect', '')
    """
    return text[:1].upper() + text[1:]


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """``n`` and the noun in the number it takes (``plural`` defaults to ``singular + "s"``).

    Examples
    --------
    >>> counted(1, "number"), counted(28, "number"), counted(2, "study", "studies"), counted(0, "flag")
    ('1 number', '28 numbers', '2 studies', '0 flags')
    """
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def studies_text(k: int) -> str:
    """``1 study``, ``8 studies``."""
    return counted(k, "study", "studies")


def heterogeneity(result) -> str:
    """``Heterogeneity: Tau² = …; Chi² = …, df = … (P = …); I² = …%`` (Tau² if random effects)."""
    if result.q_df == 0:
        return "Heterogeneity: Not applicable"
    tau2 = f"Tau\u00b2 = {result.tau2:.2f}; " if result.model == "random" else ""
    return (f"Heterogeneity: {tau2}Chi\u00b2 = {result.q:.2f}, df = {result.q_df} "
            f"({p_value(result.q_p)}); I\u00b2 = {result.i2:.0f}%")


def overall_effect(result) -> str:
    """``Test for overall effect: Z = … (P = …)`` (t with the Hartung-Knapp correction)."""
    statistic = "t" if result.hksj else "Z"
    return f"Test for overall effect: {statistic} = {abs(result.z):.2f} ({p_value(result.p)})"


def subgroup_test(result) -> str:
    """``Chi² = 0.44, df = 1 (P = 0.51)``: the test for subgroup differences, for prose."""
    return f"Chi\u00b2 = {result.subgroup_q:.2f}, df = {result.subgroup_df} ({p_value(result.subgroup_p)})"


def subgroup_differences(result) -> str:
    """``Test for subgroup differences: Chi² = …, df = … (P = …), I² = …%``.

    .. math:: I^2 = \\max\\left(0, \\frac{Q - df}{Q}\\right) \\times 100

    with Q the between-subgroup statistic (:func:`metarmc.heterogeneity.i_squared`).
    """
    if not result.subgroup_df:
        return "Test for subgroup differences: Not applicable"
    i2 = float(i_squared(result.subgroup_q, result.subgroup_df))
    return f"Test for subgroup differences: {subgroup_test(result)}, I\u00b2 = {i2:.0f}%"


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))
