"""Printed numbers: what a paper's rounded results allow, and what a 95% CI implies.

A pooled result is printed as an estimate, its 95% CI, Z and P (and I², k and patient counts),
each rounded. A printed number stands for an interval of true values: the value plus or
minus half a unit of its last printed decimal (:class:`Rounded`); a printed P such as
``0.04`` or ``<0.00001`` likewise (:class:`PValue`). :class:`PrintedResult` reads one
printed pooled result (a row shaped like ``data/reported.csv``) that way. The consistency
audit (:mod:`metarmc.audit`) and the reconstruction of unreported tables
(:mod:`metarmc.forensics`) both read printed numbers through this module, and the CI
arithmetic (:func:`se_from_ci`, :func:`z_from_ci`, :func:`p_from_ci`) lives here.

References
----------
Altman DG, Bland JM (2011). How to obtain the P value from a confidence interval. BMJ 343:d2304.
Deeks JJ, Higgins JPT (2010). Statistical algorithms in Review Manager 5.

Examples
--------
>>> row = PrintedResult.from_row(dict(measure="OR", estimate=1.50, ci_low=0.98, ci_high=2.30, z=1.96, p="0.04"))
>>> round(float(z_from_ci(*(row.to_scale(x.value) for x in (row.estimate, row.ci_low, row.ci_high)))), 2)
1.86
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import special

from .distributions import Z_95, normal_p
from .formatting import concise, p_as_printed, p_printed
from .schema import DIFFERENCE_MEASURES, RATIO_MEASURES, is_ratio

#: Decimals Review Manager prints for estimates, CIs and Z (floats are read as at least this).
EFFECT_DECIMALS = 2
#: Decimals of a printed I² (Review Manager prints whole percents).
I2_DECIMALS = 0
#: The columns of a printed result that :meth:`PrintedResult.from_row` reads.
PRINTED_COLUMNS = ("analysis", "k", "n_total", "n_t", "n_c", "measure", "model", "estimate",
                   "ci_low", "ci_high", "z", "p", "i2")

_P_TEXT = re.compile(r"(<=|>=|[<>=≤≥]?)(\d*\.?\d+)")


def printed_decimals(raw, minimum: int) -> int:
    """Decimals a number was printed with.

    A string's are counted (``"1.50"`` has 2). A float does not remember them, so it is
    taken to have the fewest decimals, at least ``minimum``, that reproduce it (1.5 -> 2
    with ``minimum=2``; 0.125 -> 3).

    Examples
    --------
    >>> printed_decimals("1.50", 2), printed_decimals(1.5, 2), printed_decimals(0.125, 2)
    (2, 2, 3)
    """
    if isinstance(raw, str):
        digits = raw.strip().split(".")
        return len(digits[1]) if len(digits) == 2 else 0
    return next((d for d in range(minimum, 17) if round(float(raw), d) == float(raw)), 17)


class Rounded(NamedTuple):
    """A printed number and half a unit of its last decimal: the true value lies in ``[low, high]``."""

    value: float
    half: float

    @property
    def low(self) -> float:
        return self.value - self.half

    @property
    def high(self) -> float:
        return self.value + self.half

    @property
    def decimals(self) -> int:
        return max(0, round(-math.log10(2 * self.half)))

    @property
    def text(self) -> str:
        """The number as printed (with its decimals)."""
        return f"{self.value:.{self.decimals}f}"

    def bounds(self, slack: float = 0.0) -> tuple[float, float]:
        """``[low, high]`` widened by ``slack`` on each side."""
        return self.low - slack, self.high + slack

    def contains(self, x, slack: float = 0.0) -> np.ndarray:
        """Which values ``x`` round to the printed one: :math:`|x - v| \\le h + \\text{slack}` (vectorised)."""
        return np.abs(np.asarray(x, dtype=float) - self.value) <= self.half + slack

    @classmethod
    def parse(cls, raw, minimum_decimals: int, what: str) -> Rounded:
        """Read a printed number; a string's decimals are counted, a float gets at least ``minimum_decimals``."""
        value = _number(raw, what)
        return cls(value, 0.5 * 10.0 ** -printed_decimals(raw, minimum_decimals))


#: Float noise allowed in :math:`100\,e/n` when testing a count against a printed percentage.
COUNT_TOLERANCE = 1e-9


def percent_counts(percent: Rounded, n) -> tuple[np.ndarray, np.ndarray]:
    """The fewest and most events out of ``n`` whose percentage rounds to a printed one (GRIM).

    Parameters
    ----------
    percent : Rounded
        A printed percentage (e.g. ``Rounded.parse("77", 0, "percent")``: 76.5 to 77.5).
    n : int or array_like of int
        Denominators (vectorised).

    Returns
    -------
    (low, high) : arrays of int
        The counts :math:`e` with :math:`0 \\le e \\le n` and
        :math:`100\\,e/n \\in [\\%_{printed} - h,\\ \\%_{printed} + h]` are ``low`` to ``high``;
        none when ``low > high``.

    Notes
    -----
    .. math:: e_{low} = \\lceil n\\,(\\% - h)/100 \\rceil, \\quad e_{high} = \\lfloor n\\,(\\% + h)/100 \\rfloor

    each within :data:`COUNT_TOLERANCE` and clipped to :math:`[0, n]`.

    References
    ----------
    Brown NJL, Heathers JAJ (2017). The GRIM test: a simple technique detects numerous anomalies
    in the reporting of results in psychology. Soc Psychol Personal Sci 8:363-369.

    Examples
    --------
    >>> low, high = percent_counts(Rounded.parse("77", 0, "percent"), np.array([22, 9]))
    >>> low.tolist(), high.tolist()  # 17/22 = 77.3%; no count out of 9 gives 77% (7/9 = 77.8%)
    ([17, 7], [17, 6])
    """
    n = np.asarray(n)
    low = np.maximum(np.ceil(percent.low * n / 100 - COUNT_TOLERANCE), 0).astype(int)
    high = np.minimum(np.floor(percent.high * n / 100 + COUNT_TOLERANCE), n).astype(int)
    return low, high


class PValue(NamedTuple):
    """A printed P value: its text and the interval ``[low, high]`` of true values it allows."""

    text: str
    value: float
    low: float
    high: float

    @classmethod
    def parse(cls, raw, what: str = "p") -> PValue:
        """Read ``"0.04"`` (0.035 to 0.045), ``"<0.00001"`` (0 to 0.00001), ``">0.05"``, ``"=0.2"``.

        Examples
        --------
        >>> PValue.parse("0.04").low, PValue.parse("<0.00001").high
        (0.035, 1e-05)
        """
        text = str(raw).strip().replace(" ", "")
        match = _P_TEXT.fullmatch(text)
        if match is None:
            raise ValueError(f"{what} must be a P value as printed (e.g. 0.04 or <0.00001); got {raw!r}")
        sign, number = match.groups()
        value = float(number)
        if value > 1:
            raise ValueError(f"{what} must be a P value between 0 and 1; got {raw!r}")
        if sign in ("<", "<=", "≤"):
            return cls(str(raw), value, 0.0, value)
        if sign in (">", ">=", "≥"):
            return cls(str(raw), value, value, 1.0)
        half = 0.5 * 10.0 ** -printed_decimals(number, 0)
        return cls(str(raw), value, max(value - half, 0.0), min(value + half, 1.0))

    def contains(self, p, slack: float = 0.0) -> np.ndarray:
        """Which P values ``p`` the printed text allows, each side widened by ``slack`` (vectorised)."""
        p = np.asarray(p, dtype=float)
        return (p >= self.low - slack) & (p <= self.high + slack)

    def z_range(self, slack: float = 0.0) -> tuple[float, float]:
        """The |Z| whose two-sided normal P the printed text allows (P decreases in |Z|)."""
        def z_of(p):
            return math.inf if p <= 0 else (0.0 if p >= 1 else float(special.ndtri(1 - p / 2)))
        return z_of(self.high + slack), (z_of(self.low - slack) if self.low > 0 else math.inf)


@dataclass(frozen=True)
class PrintedResult:
    """One printed pooled result, each number read as the interval its rounding allows.

    ``estimate``, ``ci_low``, ``ci_high`` are on the natural scale (ratios for OR/RR);
    ``z``, ``p``, ``i2`` and the counts are None when not printed.
    """

    analysis: str
    measure: str
    model: str | None
    estimate: Rounded
    ci_low: Rounded
    ci_high: Rounded
    z: Rounded | None = None
    p: PValue | None = None
    i2: Rounded | None = None
    k: int | None = None
    n_total: int | None = None
    n_t: int | None = None
    n_c: int | None = None

    @classmethod
    def from_row(cls, row: Mapping) -> PrintedResult:
        """Read a printed result from a mapping shaped like a row of ``data/reported.csv``.

        Missing keys and empty cells are "not printed" (only ``measure``, ``estimate``,
        ``ci_low``, ``ci_high`` are required).

        Raises
        ------
        ValueError
            Naming the analysis and column, for a missing or unreadable estimate or CI limit,
            an unknown measure, a CI whose lower limit exceeds its upper one, or a negative ratio.
        """
        cells = {c: row.get(c) for c in PRINTED_COLUMNS}
        name = "" if _blank(cells["analysis"]) else str(cells["analysis"])
        where = f"analysis {name!r}:"
        measure = str(cells["measure"])
        known = (*RATIO_MEASURES, *DIFFERENCE_MEASURES)
        if measure not in known:
            raise ValueError(f"{where} measure must be one of {', '.join(known)}; got {measure!r}")
        effect = {c: Rounded.parse(cells[c], EFFECT_DECIMALS, f"{where} {c}")
                  for c in ("estimate", "ci_low", "ci_high")}
        if effect["ci_low"].value > effect["ci_high"].value:
            raise ValueError(f"{where} ci_low ({concise(effect['ci_low'].value)}) exceeds ci_high "
                             f"({concise(effect['ci_high'].value)})")
        if is_ratio(measure) and min(v.value for v in effect.values()) < 0:
            raise ValueError(f"{where} a {measure} and its CI cannot be negative; got "
                             f"{', '.join(concise(v.value) for v in effect.values())}")
        given = {c: not _blank(value) for c, value in cells.items()}
        return cls(
            analysis=name, measure=measure, model=str(cells["model"]) if given["model"] else None, **effect,
            z=Rounded.parse(cells["z"], EFFECT_DECIMALS, f"{where} z") if given["z"] else None,
            p=PValue.parse(cells["p"], f"{where} p") if given["p"] else None,
            i2=Rounded.parse(cells["i2"], I2_DECIMALS, f"{where} i2") if given["i2"] else None,
            **{c: _count(cells[c], f"{where} {c}") if given[c] else None for c in ("k", "n_total", "n_t", "n_c")},
        )

    @classmethod
    def from_result(cls, result, analysis: str = "") -> PrintedResult:
        """A :class:`~metarmc.results.MetaResult` as Review Manager 5 would print it."""
        return cls.from_row(dict(analysis=analysis, measure=result.measure, model=result.model,
                                 estimate=round(result.estimate, 2), ci_low=round(result.ci_low, 2),
                                 ci_high=round(result.ci_high, 2), z=round(abs(result.z), 2),
                                 p=p_printed(result.p), i2=float(round(result.i2)), k=result.k))

    @property
    def is_ratio(self) -> bool:
        return is_ratio(self.measure)

    @property
    def null_text(self) -> str:
        """The no-effect value as printed: ``1`` for ratios, ``0`` for differences."""
        return "1" if self.is_ratio else "0"

    def on_scale(self, number: Rounded) -> tuple[float, float]:
        """``[low, high]`` of a printed estimate or CI limit on the analysis scale (log for ratios)."""
        return self.to_scale(number.low), self.to_scale(number.high)

    def to_scale(self, value: float) -> float:
        """Natural scale -> analysis scale (the log of a ratio; ``-inf`` for a ratio rounded to 0)."""
        if not self.is_ratio:
            return value
        return math.log(value) if value > 0 else -math.inf

    def from_scale(self, value: float) -> float:
        """Analysis scale -> natural scale."""
        return math.exp(value) if self.is_ratio else value

    def point(self, name: str) -> float:
        """A printed estimate or CI limit on the analysis scale (a ratio printed as 0 is read as half a unit)."""
        number = getattr(self, name)
        return self.to_scale(number.value if number.value > 0 or not self.is_ratio else number.half)

    @property
    def ci_text(self) -> str:
        return f"{self.ci_low.text} to {self.ci_high.text}"

    def __str__(self) -> str:
        """``OR 2.24 (95% CI 1.68 to 2.98), Z = 5.51, P < 0.00001, I² = 43%``: as printed."""
        parts = [f"{self.measure} {self.estimate.text} (95% CI {self.ci_text})"]
        parts += [f"Z = {self.z.text}"] if self.z is not None else []
        parts += [p_as_printed(self.p.text)] if self.p is not None else []
        parts += [f"I\u00b2 = {self.i2.text}%"] if self.i2 is not None else []
        return ", ".join(parts)


def read_printed(reported: pd.DataFrame) -> list[PrintedResult]:
    """Read every row of a ``reported.csv``-shaped table (:meth:`PrintedResult.from_row`).

    Raises
    ------
    ValueError
        For a missing column, a repeated analysis, or any row :meth:`PrintedResult.from_row` rejects.
    """
    missing = [c for c in PRINTED_COLUMNS if c not in reported.columns]
    if missing:
        raise ValueError(f"reported is missing column(s) {', '.join(missing)}; expected {', '.join(PRINTED_COLUMNS)}")
    if reported["analysis"].duplicated().any():
        raise ValueError(f"analysis {reported['analysis'][reported['analysis'].duplicated()].iloc[0]!r} "
                         "appears twice in reported")
    return [PrintedResult.from_row(row) for _, row in reported.iterrows()]


# --------------------------------------------------------------------------- what a CI implies


def se_from_ci(ci_low, ci_high):
    """Standard error implied by a 95% CI (analysis scale: log for ratios).

    .. math:: SE = \\frac{U - L}{2 \\times 1.959964}

    Examples
    --------
    >>> round(float(se_from_ci(-1.96, 1.96)), 4)
    1.0
    """
    return (np.asarray(ci_high) - np.asarray(ci_low)) / (2 * Z_95)


def z_from_ci(estimate, ci_low, ci_high):
    """Z implied by an estimate and its 95% CI (analysis scale): :math:`Z = |\\hat\\theta| / SE`."""
    return np.abs(estimate) / se_from_ci(ci_low, ci_high)


def p_from_ci(ci_low, ci_high):
    """Two-sided P implied by a 95% CI alone, taking its midpoint as the estimate.

    .. math:: P = 2\\,\\Phi\\left(-\\frac{|L + U|/2}{SE}\\right)

    Below 0.05 exactly when the CI excludes the null (Altman & Bland 2011).
    """
    return normal_p((np.asarray(ci_low) + np.asarray(ci_high)) / 2 / se_from_ci(ci_low, ci_high))


def z_interval(row: PrintedResult) -> tuple[float, float]:
    """The range of Z the printed estimate and CI allow, over their rounding intervals.

    Z grows with :math:`|\\hat\\theta|` and shrinks with the CI width, so the extremes pair
    the smallest :math:`|\\hat\\theta|` with the widest CI and the reverse.
    """
    est, low, high = row.on_scale(row.estimate), row.on_scale(row.ci_low), row.on_scale(row.ci_high)
    smallest, largest = _abs_range(*est)
    widest, narrowest = high[1] - low[0], high[0] - low[1]
    return (float(smallest / se_from_ci(0.0, widest)),
            float(largest / se_from_ci(0.0, narrowest)) if narrowest > 0 else math.inf)


def ci_verdict(row: PrintedResult) -> str | None:
    """``"excludes"`` or ``"includes"`` the null for every unrounded CI; None if rounding leaves it open."""
    low, high = row.on_scale(row.ci_low), row.on_scale(row.ci_high)
    if low[0] > 0 or high[1] < 0:
        return "excludes"
    return "includes" if low[1] < 0 < high[0] else None


def _abs_range(low: float, high: float) -> tuple[float, float]:
    """Smallest and largest :math:`|x|` for ``x`` in ``[low, high]``."""
    if low <= 0 <= high:
        return 0.0, max(-low, high)
    return min(abs(low), abs(high)), max(abs(low), abs(high))


def _blank(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, str) and not value.strip())


def _number(raw, what: str) -> float:
    if _blank(raw):
        raise ValueError(f"{what} is missing")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number; got {raw!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number; got {raw!r}")
    return value


def _count(raw, what: str) -> int:
    value = _number(raw, what)
    if value < 0 or value != int(value):
        raise ValueError(f"{what} must be a non-negative integer; got {raw!r}")
    return int(value)
