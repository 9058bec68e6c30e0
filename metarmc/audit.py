"""Consistency checks of a paper's printed meta-analysis results, in the spirit of statcheck and GRIM.

A pooled result is printed as an estimate, its 95% CI, Z and P (and I², k and patient
counts). These numbers are not independent: the CI fixes the standard error, the estimate
and the SE fix Z, Z fixes P, and a Review Manager CI is symmetric around the estimate on
the analysis scale (log for ratios). Each *rule* below recomputes what one printed number
implies from the others and raises a :class:`Flag` when no set of unrounded values could
give everything that was printed: every printed number is taken as an interval (the value
plus or minus half a unit of its last printed decimal) and a flag needs the intervals to be
incompatible, so rounding alone never raises one.

Two rules also read the paper's other statements (``data/reported_facts.csv``, see
:func:`read_facts`): counts against the text and Table 1, GRIM for printed percentages, and
the wording ("significant", "no significant heterogeneity") against the numbers.

``reported`` is any table shaped like ``data/reported.csv``: columns ``analysis, k, n_total,
n_t, n_c, measure, model, estimate, ci_low, ci_high, z, p, i2`` (``p`` as printed, e.g.
``"<0.00001"`` or ``"0.04"``). Numbers may be strings as printed (their decimals are then
counted) or floats (then at least :data:`EFFECT_DECIMALS` decimals are assumed, Review
Manager's convention).

References
----------
Nuijten MB, Hartgerink CHJ, van Assen MALM, Epskamp S, Wicherts JM (2016). The prevalence
of statistical reporting errors in psychology (1985-2013). Behav Res Methods 48:1205-1226.
Brown NJL, Heathers JAJ (2017). The GRIM test: a simple technique detects numerous anomalies
in the reporting of results in psychology. Soc Psychol Personal Sci 8:363-369.
Altman DG, Bland JM (2011). How to obtain the P value from a confidence interval. BMJ 343:d2304.
Deeks JJ, Higgins JPT (2010). Statistical algorithms in Review Manager 5.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from .distributions import Z_95, normal_p
from .results import RATIO_MEASURES
from .review import ANALYSES, I2_THRESHOLD, paper_model, reproduce

#: Significance level the paper states ("α = 0.05"), matching its 95% CIs.
ALPHA = 0.05
#: Decimals Review Manager prints for estimates, CIs and Z (floats are read as at least this).
EFFECT_DECIMALS = 2
#: Decimals of a printed I² (Review Manager prints whole percents).
I2_DECIMALS = 0
#: Measures on a difference scale (no effect = 0); :data:`~metarmc.results.RATIO_MEASURES` have no effect = 1.
DIFFERENCE_MEASURES = ("RD", "MD", "SMD")
#: The columns of ``reported`` that the rules read.
REPORTED_COLUMNS = ("analysis", "k", "n_total", "n_t", "n_c", "measure", "model", "estimate",
                    "ci_low", "ci_high", "z", "p", "i2")
#: The columns of :func:`audit_frame`, in order.
FLAG_COLUMNS = ("analysis", "rule", "message", "expected", "printed", "difference")


# --------------------------------------------------------------------------- the result


@dataclass(frozen=True, repr=False)
class Flag:
    """One contradiction between printed numbers.

    Parameters
    ----------
    analysis : str
        The ``reported`` row it concerns.
    rule : str
        The rule that raised it (``"z_from_ci"``, ...).
    message : str
        What was expected, what was printed and how large the difference is.
    expected : float or str
        What the other printed numbers imply (a number, or a word such as ``"random"``).
    printed : float or str
        What the paper printed (a ``"<0.00001"`` P is its bound, 0.00001).
    difference : float
        ``printed - expected`` for numbers; for words, the margin the rule's message names
        (e.g. I² minus the 50% threshold).
    """

    analysis: str
    rule: str
    message: str
    expected: float | str
    printed: float | str
    difference: float

    def as_dict(self) -> dict:
        """The flag as a plain dict (JSON-ready)."""
        return asdict(self)

    def __repr__(self) -> str:
        return f"Flag({self.analysis}, {self.rule}: {self.message})"


# --------------------------------------------------------------------------- printed numbers


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
    def text(self) -> str:
        """The number as printed (with its decimals)."""
        return f"{self.value:.{max(0, round(-math.log10(2 * self.half)))}f}"

    @classmethod
    def parse(cls, raw, minimum_decimals: int, what: str) -> "Rounded":
        """Read a printed number; a string's decimals are counted, a float gets at least ``minimum_decimals``."""
        value = _number(raw, what)
        return cls(value, 0.5 * 10.0 ** -printed_decimals(raw, minimum_decimals))


class PValue(NamedTuple):
    """A printed P value: its text and the interval ``[low, high]`` of true values it allows."""

    text: str
    value: float
    low: float
    high: float

    @classmethod
    def parse(cls, raw, what: str = "p") -> "PValue":
        """Read ``"0.04"`` (0.035 to 0.045), ``"<0.00001"`` (0 to 0.00001), ``">0.05"``, ``"=0.2"``."""
        text = str(raw).strip().replace(" ", "")
        match = re.fullmatch(r"(<=|>=|[<>=≤≥]?)(\d*\.?\d+)", text)
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


def printed_decimals(raw, minimum: int) -> int:
    """Decimals a number was printed with.

    A string's are counted (``"1.50"`` has 2). A float does not remember them, so it is
    taken to have the fewest decimals, at least ``minimum``, that reproduce it (1.5 -> 2
    with ``minimum=2``; 0.125 -> 3).
    """
    if isinstance(raw, str):
        digits = raw.strip().split(".")
        return len(digits[1]) if len(digits) == 2 else 0
    return next((d for d in range(minimum, 17) if round(float(raw), d) == float(raw)), 17)


@dataclass(frozen=True)
class Printed:
    """One row of ``reported``, each number read as the interval its rounding allows."""

    analysis: str
    measure: str
    model: str | None
    estimate: Rounded
    ci_low: Rounded
    ci_high: Rounded
    z: Rounded | None
    p: PValue | None
    i2: Rounded | None
    k: int | None
    n_total: int | None
    n_t: int | None
    n_c: int | None

    @property
    def is_ratio(self) -> bool:
        return self.measure in RATIO_MEASURES

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

    @property
    def ci_text(self) -> str:
        return f"{self.ci_low.text} to {self.ci_high.text}"


def printed_rows(reported: pd.DataFrame) -> list[Printed]:
    """Read every row of a ``reported.csv``-shaped table.

    Raises
    ------
    ValueError
        Naming the analysis and column, for a missing column, a missing or unreadable
        estimate or CI limit, an unknown measure, a CI whose lower limit exceeds its upper
        one, or a ratio that is not positive.
    """
    missing = [c for c in REPORTED_COLUMNS if c not in reported.columns]
    if missing:
        raise ValueError(f"reported is missing column(s) {', '.join(missing)}; expected {', '.join(REPORTED_COLUMNS)}")
    if reported["analysis"].duplicated().any():
        raise ValueError(f"analysis {reported['analysis'][reported['analysis'].duplicated()].iloc[0]!r} "
                         "appears twice in reported")
    return [_printed(row) for _, row in reported.iterrows()]


def _printed(row: pd.Series) -> Printed:
    name = str(row["analysis"])
    where = f"analysis {name!r}:"
    measure = str(row["measure"])
    if measure not in (*RATIO_MEASURES, *DIFFERENCE_MEASURES):
        raise ValueError(f"{where} measure must be one of {', '.join((*RATIO_MEASURES, *DIFFERENCE_MEASURES))}; "
                         f"got {measure!r}")
    effect = {c: Rounded.parse(row[c], EFFECT_DECIMALS, f"{where} {c}") for c in ("estimate", "ci_low", "ci_high")}
    if effect["ci_low"].value > effect["ci_high"].value:
        raise ValueError(f"{where} ci_low ({_fmt(effect['ci_low'].value)}) exceeds ci_high "
                         f"({_fmt(effect['ci_high'].value)})")
    if measure in RATIO_MEASURES and min(v.value for v in effect.values()) < 0:
        raise ValueError(f"{where} a {measure} and its CI cannot be negative; got "
                         f"{', '.join(_fmt(v.value) for v in effect.values())}")
    present = {c: not _blank(row[c]) for c in REPORTED_COLUMNS}
    return Printed(
        analysis=name, measure=measure, model=str(row["model"]) if present["model"] else None, **effect,
        z=Rounded.parse(row["z"], EFFECT_DECIMALS, f"{where} z") if present["z"] else None,
        p=PValue.parse(row["p"], f"{where} p") if present["p"] else None,
        i2=Rounded.parse(row["i2"], I2_DECIMALS, f"{where} i2") if present["i2"] else None,
        **{c: _count(row[c], f"{where} {c}") if present[c] else None for c in ("k", "n_total", "n_t", "n_c")},
    )


# --------------------------------------------------------------------------- what a CI implies


def se_from_ci(ci_low, ci_high):
    """Standard error implied by a 95% CI (analysis scale: log for ratios).

    .. math:: SE = \\frac{U - L}{2 \\times 1.959964}

    References
    ----------
    Altman DG, Bland JM (2011). BMJ 343:d2304.
    """
    return (np.asarray(ci_high) - np.asarray(ci_low)) / (2 * Z_95)


def z_from_ci(estimate, ci_low, ci_high):
    """Z implied by an estimate and its 95% CI (analysis scale): :math:`Z = |\\hat\\theta| / SE`."""
    return np.abs(estimate) / se_from_ci(ci_low, ci_high)


def p_from_ci(ci_low, ci_high):
    """Two-sided P implied by a 95% CI alone, taking its midpoint as the estimate.

    .. math:: P = 2\\,\\Phi\\left(-\\frac{|L + U|/2}{SE}\\right)

    Below :data:`ALPHA` exactly when the CI excludes the null (Altman & Bland 2011).
    """
    return normal_p((np.asarray(ci_low) + np.asarray(ci_high)) / 2 / se_from_ci(ci_low, ci_high))


def _abs_range(low: float, high: float) -> tuple[float, float]:
    """Smallest and largest :math:`|x|` for ``x`` in ``[low, high]``."""
    if low <= 0 <= high:
        return 0.0, max(-low, high)
    return min(abs(low), abs(high)), max(abs(low), abs(high))


def z_interval(row: Printed) -> tuple[float, float]:
    """The range of Z the printed estimate and CI allow, over their rounding intervals.

    Z grows with :math:`|\\hat\\theta|` and shrinks with the CI width, so the extremes pair
    the smallest :math:`|\\hat\\theta|` with the widest CI and the reverse.
    """
    est, low, high = row.on_scale(row.estimate), row.on_scale(row.ci_low), row.on_scale(row.ci_high)
    smallest, largest = _abs_range(*est)
    widest, narrowest = high[1] - low[0], high[0] - low[1]
    return (float(smallest / se_from_ci(0.0, widest)),
            float(largest / se_from_ci(0.0, narrowest)) if narrowest > 0 else math.inf)


def _disjoint(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[1] < b[0] or b[1] < a[0]


def _point(row: Printed, name: str) -> float:
    """A printed estimate or CI limit on the analysis scale (a ratio printed as 0 is read as half a unit)."""
    number = getattr(row, name)
    return row.to_scale(number.value if number.value > 0 or not row.is_ratio else number.half)


def ci_verdict(row: Printed) -> str | None:
    """``"excludes"`` or ``"includes"`` the null for every unrounded CI; None if rounding leaves it open."""
    low, high = row.on_scale(row.ci_low), row.on_scale(row.ci_high)
    if low[0] > 0 or high[1] < 0:
        return "excludes"
    return "includes" if low[1] < 0 < high[0] else None


def rule_model(row: Printed) -> str | None:
    """The model the paper's I² rule picks for every unrounded I² (None if rounding leaves it open)."""
    if row.i2 is None:
        return None
    low, high = paper_model(row.i2.low), paper_model(row.i2.high)
    return low if low == high else None


def _threshold_text(row: Printed) -> str:
    margin = row.i2.value - I2_THRESHOLD
    return (f"I² = {row.i2.text}% is {abs(margin):g} points {'above' if margin >= 0 else 'below'} "
            f"the paper's {I2_THRESHOLD:g}% threshold")


# --------------------------------------------------------------------------- the rules

Rule = Callable[[pd.DataFrame, "pd.DataFrame | None"], list[Flag]]


def _each_row(check: Callable[[Printed], Flag | None]) -> Rule:
    """Turn a check of one printed row into a rule over a whole table (facts unused)."""

    def rule(reported: pd.DataFrame, facts: pd.DataFrame | None = None) -> list[Flag]:
        return [flag for row in printed_rows(reported) if (flag := check(row)) is not None]

    rule.__name__ = rule.__qualname__ = check.__name__
    rule.__doc__ = check.__doc__
    return rule


def _flag(row: Printed | str, rule: str, message: str, expected, printed, difference) -> Flag:
    analysis = row if isinstance(row, str) else row.analysis
    return Flag(analysis, rule, message, expected, printed, float(difference))


@_each_row
def check_ci_vs_p(row: Printed) -> Flag | None:
    """ci_vs_p: a 95% CI that excludes the null with P ≥ 0.05, or includes it with P < 0.05.

    The CI limits and P are taken as their rounding intervals; a flag needs the CI to
    exclude (or include) the null for every unrounded value and P to be on the other side
    of :data:`ALPHA` for every unrounded value. ``expected`` is the P the CI implies
    (:func:`p_from_ci`).
    """
    if row.p is None:
        return None
    verdict = ci_verdict(row)
    if not ((verdict == "excludes" and row.p.low >= ALPHA) or (verdict == "includes" and row.p.high < ALPHA)):
        return None
    implied = float(p_from_ci(_point(row, "ci_low"), _point(row, "ci_high")))
    side = "≥" if verdict == "includes" else "<"
    return _flag(row, "ci_vs_p", f"the 95% CI {row.ci_text} {verdict} {row.null_text}, so P {side} {ALPHA} "
                 f"(the CI implies P = {implied:.3f}); printed P = {row.p.text}, "
                 f"a difference of {row.p.value - implied:+.3f}", implied, row.p.value, row.p.value - implied)


@_each_row
def check_z_from_ci(row: Printed) -> Flag | None:
    """z_from_ci: printed Z outside the range the estimate and CI allow (:func:`z_interval`).

    ``expected`` is :func:`z_from_ci` at the printed values; the printed Z counts as
    contradictory only if its own rounding interval misses the allowed range.
    """
    if row.z is None:
        return None
    allowed = z_interval(row)
    if not _disjoint(allowed, (row.z.low, row.z.high)):
        return None
    implied = float(z_from_ci(_point(row, "estimate"), _point(row, "ci_low"), _point(row, "ci_high")))
    scale = " (log scale)" if row.is_ratio else ""
    return _flag(row, "z_from_ci", f"the estimate {row.estimate.text} and 95% CI {row.ci_text}{scale} "
                 f"imply Z = {implied:.2f} ({allowed[0]:.2f} to {allowed[1]:.2f} allowing for rounding); "
                 f"printed Z = {row.z.text}, a difference of {row.z.value - implied:+.2f}",
                 implied, row.z.value, row.z.value - implied)


@_each_row
def check_p_from_z(row: Printed) -> Flag | None:
    """p_from_z: printed P outside the two-sided P range the printed Z (± rounding) allows.

    .. math:: P = 2\\,\\Phi(-|Z|), \\quad Z \\in [Z_{printed} - h, Z_{printed} + h]
    """
    if row.z is None or row.p is None:
        return None
    allowed = (float(normal_p(row.z.high)), float(normal_p(max(row.z.low, 0.0))))
    if not _disjoint(allowed, (row.p.low, row.p.high)):
        return None
    implied = float(normal_p(row.z.value))
    return _flag(row, "p_from_z", f"Z = {row.z.text} implies P = {implied:.4f} ({allowed[0]:.4f} to "
                 f"{allowed[1]:.4f} allowing for rounding); printed P = {row.p.text}, "
                 f"a difference of {row.p.value - implied:+.4f}", implied, row.p.value, row.p.value - implied)


@_each_row
def check_estimate_in_ci(row: Printed) -> Flag | None:
    """estimate_in_ci: the estimate lies outside its own 95% CI.

    Rounding is monotone, so printed values suffice: if the printed estimate is below the
    printed lower limit, the unrounded one is below the unrounded limit too.
    ``expected`` is the limit crossed; ``difference`` how far beyond it the estimate lies.
    """
    estimate = row.estimate.value
    if row.ci_low.value <= estimate <= row.ci_high.value:
        return None
    limit, side = (row.ci_low.value, "below the lower") if estimate < row.ci_low.value else (row.ci_high.value,
                                                                                          "above the upper")
    return _flag(row, "estimate_in_ci", f"the estimate {row.estimate.text} lies outside its own 95% CI "
                 f"{row.ci_text}: {_fmt(abs(estimate - limit))} {side} limit", limit, estimate, estimate - limit)


@_each_row
def check_ci_symmetry(row: Printed) -> Flag | None:
    """ci_symmetry: the estimate is not at the centre of its CI (log scale for ratios).

    Review Manager's CIs are :math:`\\hat\\theta \\pm 1.959964\\,SE` on the analysis scale,
    so :math:`(L + U)/2 - \\hat\\theta` must be 0 up to rounding; its range over the
    rounding intervals is
    :math:`[(L_{lo} + U_{lo})/2 - \\hat\\theta_{hi},\\ (L_{hi} + U_{hi})/2 - \\hat\\theta_{lo}]`.
    A flag means that range excludes 0, e.g. a sign error. ``expected`` is the centre
    back on the natural scale (the geometric mean of the limits for ratios).
    """
    est, low, high = row.on_scale(row.estimate), row.on_scale(row.ci_low), row.on_scale(row.ci_high)
    asymmetry = ((low[0] + high[0]) / 2 - est[1], (low[1] + high[1]) / 2 - est[0])
    if asymmetry[0] <= 0 <= asymmetry[1]:
        return None
    centre = row.from_scale((_point(row, "ci_low") + _point(row, "ci_high")) / 2)
    how = "geometric mean of the limits" if row.is_ratio else "midpoint"
    difference = row.estimate.value - centre
    return _flag(row, "ci_symmetry", f"the 95% CI {row.ci_text} is centred on {_fmt(centre)} ({how}); "
                 f"printed estimate {row.estimate.text}, a difference of {_fmt(difference, sign=True)}",
                 centre, row.estimate.value, difference)


@_each_row
def check_model_rule(row: Printed) -> Flag | None:
    """model_rule: the printed model differs from the paper's rule (I² ≥ 50% -> random effects).

    Uses :func:`metarmc.review.paper_model`. A printed I² within rounding of the threshold
    (49.5 to 50.5 for a whole percent) could go either way and is not flagged.
    ``difference`` is I² minus the threshold, in percentage points.
    """
    expected = rule_model(row)
    if expected is None or row.model is None or expected == row.model:
        return None
    return _flag(row, "model_rule", f"{_threshold_text(row)}, so its rule chooses {expected} effects; "
                 f"printed model: {row.model} effects", expected, row.model, row.i2.value - I2_THRESHOLD)


def check_counts(reported: pd.DataFrame, facts: pd.DataFrame | None = None) -> list[Flag]:
    """counts: patients per arm against the total, and the paper's other statements of k and n.

    Checks, for every ``reported`` row: :math:`n_t + n_c = n_{total}`; every ``k``,
    ``n_total``, ``n_t``, ``n_c`` fact against the row; the sum of the ``study_n`` facts
    (e.g. Table 1's n per study) against ``n_total`` and their number against ``k``.
    ``expected`` is the other statement's value, ``printed`` the row's.
    """
    rows = {row.analysis: row for row in printed_rows(reported)}
    flags = [flag for row in rows.values() if (flag := _arms_vs_total(row))]
    if facts is None:
        return flags
    facts = checked_facts(facts, reported)
    for fact in facts[facts["quantity"].isin(("k", "n_total", "n_t", "n_c"))].itertuples():
        row = rows[fact.analysis]
        printed, stated = getattr(row, fact.quantity), int(float(fact.value))
        if printed is not None and printed != stated:
            flags.append(_flag(row, "counts", f"{fact.quantity} = {stated} in {fact.location} "
                               f"({_quote(fact.quote)}); printed {fact.quantity} = {printed}, "
                               f"a difference of {printed - stated:+d}", stated, printed, printed - stated))
    for analysis, studies in facts[facts["quantity"] == "study_n"].groupby("analysis", sort=False):
        flags += _study_sizes_vs_row(rows[analysis], studies)
    return flags


def _arms_vs_total(row: Printed) -> Flag | None:
    if None in (row.n_t, row.n_c, row.n_total) or row.n_t + row.n_c == row.n_total:
        return None
    arms = row.n_t + row.n_c
    return _flag(row, "counts", f"n_t + n_c = {row.n_t} + {row.n_c} = {arms}; printed n_total = {row.n_total}, "
                 f"a difference of {row.n_total - arms:+d}", arms, row.n_total, row.n_total - arms)


def _study_sizes_vs_row(row: Printed, studies: pd.DataFrame) -> list[Flag]:
    sizes = studies["value"].astype(float).astype(int)
    where = ", ".join(dict.fromkeys(loc.split(",")[0] for loc in studies["location"]))
    flags = []
    if row.n_total is not None and sizes.sum() != row.n_total:
        flags.append(_flag(row, "counts", f"the {len(sizes)} study sizes in {where} "
                           f"({' + '.join(map(str, sizes))}) sum to {sizes.sum()}; printed n_total = "
                           f"{row.n_total}, a difference of {row.n_total - sizes.sum():+d}",
                           int(sizes.sum()), row.n_total, row.n_total - int(sizes.sum())))
    if row.k is not None and len(sizes) != row.k:
        flags.append(_flag(row, "counts", f"{where} lists {len(sizes)} studies; printed k = {row.k}, "
                           f"a difference of {row.k - len(sizes):+d}", len(sizes), row.k, row.k - len(sizes)))
    return flags


def check_grim_percent(reported: pd.DataFrame, facts: pd.DataFrame | None = None) -> list[Flag]:
    """grim_percent: a printed percentage no integer count out of its printed denominator gives.

    A ``percent_t`` (``percent_c``) fact is paired with the ``n_t`` (``n_c``) fact of the
    same analysis and location, and with its ``events_t`` (``events_c``) fact if there is
    one. GRIM: with :math:`h` half a unit of the percentage's last decimal, some integer
    :math:`e` must satisfy

    .. math:: 100\\,e/n \\in [\\,\\%_{printed} - h,\\ \\%_{printed} + h\\,]

    and a printed count :math:`e` must itself satisfy it. ``expected`` is the nearest
    achievable percentage (or :math:`100\\,e/n` for a printed count).
    """
    if facts is None:
        return []
    facts = checked_facts(facts, reported)
    flags = []
    for (analysis, location), statement in facts.groupby(["analysis", "location"], sort=False):
        values = dict(zip(statement["quantity"], statement["value"]))
        quotes = dict(zip(statement["quantity"], statement["quote"]))
        for arm in ("t", "c"):
            if f"percent_{arm}" in values and f"n_{arm}" in values:
                percent = Rounded.parse(values[f"percent_{arm}"], 0, f"{analysis} percent_{arm}")
                events = values.get(f"events_{arm}")
                flags += _grim(analysis, location, quotes[f"percent_{arm}"], percent,
                               int(float(values[f"n_{arm}"])), None if events is None else int(float(events)))
    return flags


def _grim(analysis, location, quote, percent: Rounded, n: int, events: int | None) -> list[Flag]:
    tolerance = 1e-9  # float noise in 100 e / n
    possible = range(math.ceil(percent.low * n / 100 - tolerance), math.floor(percent.high * n / 100 + tolerance) + 1)
    where = f"{location} ({_quote(quote)})"
    if len(possible) == 0:
        nearest = 100 * round(percent.value * n / 100) / n
        return [_flag(analysis, "grim_percent", f"no count out of {n} gives {_fmt(percent.value)}% in {where}: "
                      f"the nearest is {nearest:.4f}%, a difference of {percent.value - nearest:+.4f} points",
                      nearest, percent.value, percent.value - nearest)]
    if events is not None and events not in possible:
        exact = 100 * events / n
        return [_flag(analysis, "grim_percent", f"{events}/{n} = {exact:.4f}%; printed {_fmt(percent.value)}% in "
                      f"{where}, a difference of {percent.value - exact:+.4f} points",
                      exact, percent.value, percent.value - exact)]
    return []


def check_wording(reported: pd.DataFrame, facts: pd.DataFrame | None = None) -> list[Flag]:
    """wording: the text's words against the numbers.

    An ``effect_claim`` fact (``significant`` / ``not_significant``) is checked against the
    95% CI: a CI that includes the null for every unrounded limit contradicts
    "significant", one that excludes it contradicts "not significant" (``difference``: the
    P the CI implies, :func:`p_from_ci`, minus :data:`ALPHA`). A ``heterogeneity_claim``
    (``high`` / ``low``) is checked against the paper's own I² threshold
    (``difference``: I² minus the threshold).
    """
    if facts is None:
        return []
    facts = checked_facts(facts, reported)
    rows = {row.analysis: row for row in printed_rows(reported)}
    flags = []
    for fact in facts[facts["quantity"].isin(("effect_claim", "heterogeneity_claim"))].itertuples():
        check = _effect_wording if fact.quantity == "effect_claim" else _heterogeneity_wording
        if (flag := check(rows[fact.analysis], fact)) is not None:
            flags.append(flag)
    return flags


def _effect_wording(row: Printed, fact) -> Flag | None:
    expected = {"includes": "not_significant", "excludes": "significant", None: fact.value}[ci_verdict(row)]
    if expected == fact.value:
        return None
    implied = float(p_from_ci(_point(row, "ci_low"), _point(row, "ci_high")))
    return _flag(row, "wording", f"{fact.location} words the effect as {fact.value.replace('_', ' ')} "
                 f"({_quote(fact.quote)}), but the 95% CI {row.ci_text} {ci_verdict(row)} "
                 f"{row.null_text} (the CI implies P = {implied:.3f}, {abs(implied - ALPHA):.3f} "
                 f"{'above' if implied >= ALPHA else 'below'} {ALPHA})",
                 expected, fact.value, implied - ALPHA)


def _heterogeneity_wording(row: Printed, fact) -> Flag | None:
    expected = {"random": "high", "fixed": "low", None: fact.value}[rule_model(row)]
    if expected == fact.value:
        return None
    return _flag(row, "wording", f"{fact.location} calls heterogeneity {fact.value} ({_quote(fact.quote)}), but "
                 f"{_threshold_text(row)}", expected, fact.value, row.i2.value - I2_THRESHOLD)


#: Every rule, in the order their flags are listed.
RULES: tuple[Rule, ...] = (check_ci_vs_p, check_z_from_ci, check_p_from_z, check_estimate_in_ci,
                           check_ci_symmetry, check_model_rule, check_counts, check_grim_percent, check_wording)


def audit(reported: pd.DataFrame, facts: pd.DataFrame | None = None,
          rules: Sequence[Rule] = RULES) -> list[Flag]:
    """Run every rule on a ``reported.csv``-shaped table (and the paper's other statements).

    Parameters
    ----------
    reported : DataFrame
        One row per pooled analysis; columns :data:`REPORTED_COLUMNS`.
    facts : DataFrame, optional
        The paper's other statements, shaped like ``data/reported_facts.csv``
        (:func:`read_facts`); without it the counts rule only checks the arms against the
        total, and GRIM and wording have nothing to check.
    rules : sequence of rules
        Default :data:`RULES`.

    Returns
    -------
    list of Flag
        By analysis (in ``reported``'s order), then by rule.

    Examples
    --------
    >>> import pandas as pd
    >>> row = dict(analysis="a", k=8, n_total=361, n_t=167, n_c=194, measure="OR", model="fixed",
    ...            estimate=1.50, ci_low=0.98, ci_high=2.30, z=1.96, p="0.04", i2=0)
    >>> [flag.rule for flag in audit(pd.DataFrame([row]))]
    ['ci_vs_p', 'z_from_ci', 'p_from_z']
    """
    order = {name: i for i, name in enumerate(reported["analysis"])}
    flags = [flag for rule in rules for flag in rule(reported, facts)]
    return sorted(flags, key=lambda flag: order[flag.analysis])


def audit_frame(reported: pd.DataFrame, facts: pd.DataFrame | None = None,
                rules: Sequence[Rule] = RULES) -> pd.DataFrame:
    """:func:`audit` as a tidy table, one row per flag, columns :data:`FLAG_COLUMNS`."""
    return pd.DataFrame([flag.as_dict() for flag in audit(reported, facts, rules)], columns=list(FLAG_COLUMNS))


# --------------------------------------------------------------------------- the paper's other statements

#: The columns of ``data/reported_facts.csv``.
FACT_COLUMNS = ("analysis", "quantity", "value", "location", "quote")
#: Each fact quantity and what its ``value`` holds.
FACT_QUANTITIES = {
    "k": "a count", "n_total": "a count", "n_t": "a count", "n_c": "a count", "study_n": "a count",
    "events_t": "a count", "events_c": "a count",
    "percent_t": "a number between 0 and 100", "percent_c": "a number between 0 and 100",
    "effect_claim": "significant or not_significant", "heterogeneity_claim": "high or low",
}
_CLAIMS = {"effect_claim": ("significant", "not_significant"), "heterogeneity_claim": ("high", "low")}


def read_facts(path: str | Path) -> pd.DataFrame:
    """Read a ``reported_facts.csv`` (values kept as printed text, so their decimals count)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def checked_facts(facts: pd.DataFrame, reported: pd.DataFrame) -> pd.DataFrame:
    """``facts`` after checking it: its columns, quantities, values and analyses.

    Raises
    ------
    ValueError
        Naming the row (counted from 0) and what was expected.
    """
    missing = [c for c in FACT_COLUMNS if c not in facts.columns]
    if missing:
        raise ValueError(f"facts is missing column(s) {', '.join(missing)}; expected {', '.join(FACT_COLUMNS)}")
    known = set(reported["analysis"])
    for i, fact in enumerate(facts.itertuples()):
        if fact.analysis not in known:
            raise ValueError(f"facts row {i}: analysis must be one of {', '.join(known)}; got {fact.analysis!r}")
        if fact.quantity not in FACT_QUANTITIES:
            raise ValueError(f"facts row {i}: quantity must be one of {', '.join(FACT_QUANTITIES)}; "
                             f"got {fact.quantity!r}")
        if not _valid_fact_value(fact.quantity, str(fact.value)):
            raise ValueError(f"facts row {i}: {fact.quantity} must be {FACT_QUANTITIES[fact.quantity]}; "
                             f"got {fact.value!r}")
    return facts


def _valid_fact_value(quantity: str, value: str) -> bool:
    if quantity in _CLAIMS:
        return value in _CLAIMS[quantity]
    try:
        number = float(value)
    except ValueError:
        return False
    if quantity.startswith("percent"):
        return 0 <= number <= 100
    return number >= 0 and number == int(number)


# --------------------------------------------------------------------------- reproduced beside reported

FACTS_FILE = "reported_facts.csv"


def reproduced_vs_reported(review) -> list[dict]:
    """For every analysis in ``reported.csv``: what was printed, our redo, and the flags.

    Parameters
    ----------
    review : metarmc.data.Review
        The loaded data; the facts are read from ``<data_dir>/reported_facts.csv`` if present.

    Returns
    -------
    list of dict
        ``{"analysis", "reported": {...printed values...}, "reproduced": {estimate, ci_low,
        ci_high, z, p, i2, k, model} or None when no study has data, "flags": [flag dicts]}``.
        The reproduced Z is :math:`|Z|`, as printed. Redone with
        :func:`metarmc.review.reproduce`.
    """
    path = Path(review.data_dir) / FACTS_FILE
    facts = read_facts(path) if path.is_file() else None
    flags = audit(review.reported, facts)
    return [{"analysis": row["analysis"], "reported": _printed_values(row),
             "reproduced": _reproduced_values(review, row["analysis"]),
             "flags": [flag.as_dict() for flag in flags if flag.analysis == row["analysis"]]}
            for _, row in review.reported.iterrows()]


def _printed_values(row: pd.Series) -> dict:
    columns = ("k", "n_total", "n_t", "n_c", "measure", "model", "estimate", "ci_low", "ci_high", "z", "p", "i2")
    return {c: _plain(row[c]) for c in columns}


def _reproduced_values(review, analysis: str) -> dict | None:
    if analysis not in ANALYSES:
        return None
    result = reproduce(review, analysis).result
    if result is None:
        return None
    values = {"estimate": result.estimate, "ci_low": result.ci_low, "ci_high": result.ci_high,
              "z": abs(result.z), "p": result.p, "i2": result.i2, "k": result.k, "model": result.model}
    return {name: _plain(value) for name, value in values.items()}


def comparison_json(rows: list[dict]) -> str:
    """:func:`reproduced_vs_reported` as JSON (flags as objects with rule, message, expected, printed, difference)."""
    keep = ("rule", "message", "expected", "printed", "difference")
    slim = [{**row, "flags": [{key: flag[key] for key in keep} for flag in row["flags"]]} for row in rows]
    return json.dumps(slim, indent=2, ensure_ascii=False)


def comparison_text(rows: list[dict]) -> str:
    """:func:`reproduced_vs_reported` as a readable table per analysis, each followed by its flags."""
    blocks = [_comparison_block(row) for row in rows]
    total = sum(len(row["flags"]) for row in rows)
    return "\n\n".join(blocks) + f"\n\n{total} flag(s) in {len(rows)} analyses"


def _comparison_block(row: dict) -> str:
    printed, ours = row["reported"], row["reproduced"]
    lines = [f"{row['analysis']} ({printed['measure']})", f"  {'':<10}{'reported':<24}reproduced"]
    for label, text in (("k", lambda v: f"{v['k']}"), ("model", lambda v: f"{v['model']}"),
                        ("estimate", lambda v: _fmt2(v["estimate"])),
                        ("95% CI", lambda v: f"{_fmt2(v['ci_low'])} to {_fmt2(v['ci_high'])}"),
                        ("Z", lambda v: _fmt2(v["z"])), ("P", lambda v: _p_text(v["p"])),
                        ("I²", lambda v: "n/a" if v["i2"] is None else f"{v['i2']:.0f}%")):
        lines.append(f"  {label:<10}{text(printed):<24}{text(ours) if ours else 'no per-study data'}")
    lines.append(f"  flags ({len(row['flags'])}):" if row["flags"] else "  no flags")
    lines += [f"    - {flag['rule']}: {flag['message']}" for flag in row["flags"]]
    return "\n".join(lines)


# --------------------------------------------------------------------------- small helpers


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


def _plain(value):
    """A cell as a JSON-ready Python value (None for empty)."""
    if _blank(value):
        return None
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value)
    return str(value)


def _quote(text: str) -> str:
    return f"“{text}”"


def _fmt(x: float, sign: bool = False) -> str:
    """A number for a message: up to 5 significant digits, no trailing zeros."""
    return f"{x:+.5g}" if sign else f"{x:.5g}"


def _fmt2(x) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def _p_text(p) -> str:
    """A P value as Review Manager prints it (a printed string is kept as is)."""
    if p is None or isinstance(p, str):
        return p or "n/a"
    if p < 1e-5:
        return "<0.00001"
    return f"{p:.2f}" if p >= 0.01 else f"{p:.{-math.floor(math.log10(p))}f}"
