"""Forensics: which unreported per-study data are compatible with what the paper printed?

Gao et al. (2025) print, for each pooled analysis, the number of studies and patients
(k, n, n per arm) and the pooled result at RevMan 5's precision (OR and CI to 2 decimals,
Z to 2 decimals, P as printed, I² as an integer percent). For several trials we could not
source the 2x2 table. This module asks which tables the paper could have used.

* :func:`fitting_study_sets`: which studies, with which arm sizes, add up to the printed k,
  n_t and n_c of an analysis (an exact subset-sum search over the 11 included studies).
* :func:`reconstruct`: for one such set, which integer event counts of the studies whose
  counts are unknown give, pooled as the paper pooled them (RevMan 5 Mantel-Haenszel odds
  ratio, fixed effect or DerSimonian-Laird random effects from the M-H based Q), values that
  round to the printed ones. :func:`reconstruct_tables` is the same search on plain arrays.

Compatibility ("rounds to")
---------------------------
A pooled value :math:`x` is compatible with a value :math:`v` printed with :math:`d`
decimals when

.. math:: |x - v| \\le \\tfrac12 10^{-d} + \\varepsilon, \\qquad \\varepsilon = 10^{-9},

so that a value lying on a rounding boundary counts either way (floating-point noise never
decides). OR and CI are compared on the natural scale with :math:`d = 2`; Z as
:math:`|z|` with :math:`d = 2`; I² in percent with :math:`d = 0`; P with the decimals of its
printed text, and ``"<0.00001"`` means :math:`p < 10^{-5}`. Every survivor is confirmed by
:func:`metarmc.pooling.pool_binary`, the engine behind :func:`metarmc.meta_binary`.

Search
------
The candidates are all integer tables: for each study whose counts are unknown, every arm
size the study set allows and every ``0 <= events_t <= total_t``, ``0 <= events_c <=
total_c``, with the arm sizes of the unknown studies adding up to what the printed totals
leave for them (and, if given, the event totals too). When there are at most
``max_candidates`` of them the search is **exhaustive**: every candidate is pooled and
tested, and the survivor set, its count and the per-study ranges are exact. Otherwise it is
**sampled** (not exhaustive): random configurations of all unknown studies but one are each
completed by *every* table of the last one; survivors found are genuine, but counts and
ranges are only lower bounds (the result says which).

What is never enumerated, because it provably cannot survive: arm sizes that do not add up
to the printed totals (each study's sizes are narrowed by :func:`fitted`, and configurations
are built only from partial choices the other studies can complete), events that do not add
up to printed event totals, and everything when the imposed printed values contradict each
other whatever the data (:meth:`Printed.contradiction`). Bounds on the pooled estimate are
not used: sound ones need the per-study Mantel-Haenszel summands, which
:mod:`metarmc.pooling` keeps inside :func:`~metarmc.pooling._mh_odds_ratio`.

Speed: a cheap first pass (the M-H fixed estimate, its CI, Z and P from
:func:`metarmc.pooling._mh_odds_ratio`, and I² from Cochran's Q, computed with the engine's
own functions; the sourced studies' corrected cells computed once) discards candidates that
cannot match, with a tolerance wider than the final test's; the few that remain are pooled
in full by :func:`~metarmc.pooling.pool_binary`. Candidates are processed in chunks (bounded
memory) on several processes.

References
----------
Deeks JJ, Higgins JPT (2010). Statistical algorithms in Review Manager 5.
Brown NJL, Heathers JAJ (2017). The GRIM test: a simple technique detects numerous anomalies
in the reporting of results in psychology. Soc Psychol Personal Sci 8:363-369 (the idea of
testing printed summaries for integer data that could have produced them).
"""

from __future__ import annotations

import itertools
import math
import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import signal, special

from .distributions import Z_95, normal_p
from .effects import Cells, estimable, log_odds_ratio, zero_cell_corrected
from .formatting import p_printed
from .heterogeneity import cochran_q, i_squared, study_count, tau2_dersimonian_laird
from .pooling import MODELS, _mh_odds_ratio, inverse_variance, masked, pool_binary

#: The printed statistics one can impose, in the order they are printed.
STATISTICS = ("estimate", "ci", "z", "p", "i2")
#: Tolerance added to every half-unit of rounding (see the module docstring).
ROUNDING_SLACK = 1e-9
#: The first pass is looser than the final test, so it can never drop a survivor.
SCREEN_SLACK = 1e-7
#: Decimals the paper (RevMan 5) prints OR, CI and Z with; I² is an integer percent.
DECIMALS = {"estimate": 2, "ci": 2, "z": 2, "i2": 0}
#: Subgroup analyses and the ``rm_type`` of the studies that belong to them whole.
SUBGROUP_TYPE = {"live_birth_primary": "primary", "live_birth_secondary": "secondary"}
#: Default cap on the candidates tested (exhaustive below it, sampled above it): about half a
#: minute for k = 11 on two cores.
MAX_CANDIDATES = 150_000_000
#: Default budget of candidates for the few sets of one analysis (:func:`reconstruct_sets`):
#: about a minute for k = 11 on two cores.
ANALYSIS_BUDGET = 500_000_000
#: Default number of candidates pooled at once: small enough for the arrays to stay in cache
#: (fastest on the benchmark), a few MB per process.
CHUNK = 2_048

_P_TEXT = re.compile(r"\s*([<>]?)\s*(\d*\.?\d+)\s*")


# ----------------------------------------------------------------------------- printed values

@dataclass(frozen=True)
class Printed:
    """A pooled result as printed: OR and 95% CI (natural scale), |Z|, P (text) and I² (%).

    ``z``, ``p`` and ``i2`` may be None when the paper did not print them.
    """

    estimate: float
    ci_low: float
    ci_high: float
    z: float | None = None
    p: str | None = None
    i2: float | None = None

    def __post_init__(self):
        for name in ("estimate", "ci_low", "ci_high"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and value > 0 and math.isfinite(value)):
                raise ValueError(f"printed {name} must be a positive odds ratio; got {value!r}")
        if self.p is not None:
            _parse_p(self.p)

    @classmethod
    def from_reported(cls, row) -> "Printed":
        """From a row of ``reported.csv`` (:meth:`metarmc.data.Review.reported_row`)."""
        def value(name):
            v = row[name]
            return None if pd.isna(v) else v
        return cls(float(row["estimate"]), float(row["ci_low"]), float(row["ci_high"]),
                   value("z"), value("p"), value("i2"))

    @classmethod
    def from_result(cls, result) -> "Printed":
        """A :class:`~metarmc.results.MetaResult` printed as RevMan 5 prints it."""
        return cls(round(result.estimate, 2), round(result.ci_low, 2), round(result.ci_high, 2),
                   round(abs(result.z), 2), p_printed(result.p), float(round(result.i2)))

    @property
    def available(self) -> tuple[str, ...]:
        """The statistics that were printed (all of :data:`STATISTICS` the paper gave)."""
        given = {"estimate": True, "ci": True, "z": self.z is not None, "p": self.p is not None,
                 "i2": self.i2 is not None}
        return tuple(name for name in STATISTICS if given[name])

    def check_statistics(self, statistics) -> tuple[str, ...]:
        """``statistics`` as a tuple in print order; ValueError for unknown or unprinted ones."""
        statistics = self.available if statistics is None else tuple(statistics)
        for name in statistics:
            if name not in STATISTICS:
                raise ValueError(f"statistics must be among {', '.join(STATISTICS)}; got {name!r}")
            if name not in self.available:
                raise ValueError(f"{name!r} was not printed for this analysis")
        return tuple(name for name in STATISTICS if name in statistics)

    def compatible(self, estimate, ci_low, ci_high, z, p, i2, statistics=None,
                   slack=ROUNDING_SLACK) -> np.ndarray:
        """Which pooled values round to the printed ones (estimate and CI on the log scale).

        Parameters
        ----------
        estimate, ci_low, ci_high : array
            Pooled log odds ratio and its 95% CI bounds.
        z, p, i2 : array
            Test statistic, its two-sided P value, I² in percent.
        statistics : iterable of str, optional
            Which of :data:`STATISTICS` to impose (default: every printed one).
        slack : float
            The :math:`\\varepsilon` of the module docstring.
        """
        statistics = self.check_statistics(statistics)
        shape = next(np.shape(x) for x in (estimate, i2, p, z) if x is not None)
        with np.errstate(invalid="ignore", over="ignore"):
            keep = np.ones(shape, dtype=bool)
            if "estimate" in statistics:
                keep &= _rounds_to(np.exp(estimate), self.estimate, DECIMALS["estimate"], slack)
            if "ci" in statistics:
                keep &= _rounds_to(np.exp(ci_low), self.ci_low, DECIMALS["ci"], slack)
                keep &= _rounds_to(np.exp(ci_high), self.ci_high, DECIMALS["ci"], slack)
            if "z" in statistics:
                keep &= _rounds_to(np.abs(z), self.z, DECIMALS["z"], slack)
            if "p" in statistics:
                keep &= _p_matches(p, self.p, slack)
            if "i2" in statistics:
                keep &= _rounds_to(i2, self.i2, DECIMALS["i2"], slack)
        return keep

    def compatible_pooled(self, pooled, statistics=None, slack=ROUNDING_SLACK) -> np.ndarray:
        """:meth:`compatible` applied to a :class:`~metarmc.pooling.Pooled`."""
        return self.compatible(pooled.estimate, pooled.ci_low, pooled.ci_high, pooled.z, pooled.p,
                               pooled.i2, statistics, slack)

    def contradiction(self, statistics=None) -> str:
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
        statistics = self.check_statistics(statistics)
        z_range = (0.0, math.inf)
        if "z" in statistics:
            z_range = _meet(z_range, _interval(self.z, DECIMALS["z"]))
        if "p" in statistics:
            z_range = _meet(z_range, _z_from_p(self.p))
        if z_range[0] > z_range[1]:
            return f"Z={self.z:.2f} gives P between {normal_p(_z_interval(self.z)[1]):.4f} and " \
                   f"{normal_p(_z_interval(self.z)[0]):.4f}, which does not round to P={self.p}"
        if "ci" not in statistics:
            return ""
        box = [(l, h) for l in _log_interval(self.ci_low) for h in _log_interval(self.ci_high)]
        polygon = [box[0], box[1], box[3], box[2]]
        if "estimate" in statistics:
            e_low, e_high = _log_interval(self.estimate)
            polygon = _clip(_clip(polygon, lambda v: (v[0] + v[1]) / 2 - e_low),
                            lambda v: e_high - (v[0] + v[1]) / 2)
            if not polygon:
                return f"OR={self.estimate:.2f} is not the centre (on the log scale) of the CI " \
                       f"{self.ci_low:.2f}~{self.ci_high:.2f}"
        z = [Z_95 * (l + h) / (h - l) for l, h in polygon]
        low = 0.0 if min(z) <= 0 <= max(z) else min(abs(min(z)), abs(max(z)))
        implied = (low, max(abs(min(z)), abs(max(z))))
        if _meet(implied, z_range)[0] > _meet(implied, z_range)[1]:
            shown = "Z" if "z" in statistics else "P"
            return f"the CI {self.ci_low:.2f}~{self.ci_high:.2f} (with OR={self.estimate:.2f}) implies |Z| between " \
                   f"{implied[0]:.3f} and {implied[1]:.3f}, which does not fit the printed {shown}"
        return ""

    def __str__(self) -> str:
        parts = [f"OR={self.estimate:.2f}", f"95% CI={self.ci_low:.2f}~{self.ci_high:.2f}"]
        parts += [f"Z={self.z:.2f}"] if self.z is not None else []
        parts += [f"P{'' if self.p.startswith('<') else '='}{self.p}"] if self.p is not None else []
        parts += [f"I²={self.i2:.0f}%"] if self.i2 is not None else []
        return ", ".join(parts)


def _interval(value, decimals, slack=ROUNDING_SLACK) -> tuple[float, float]:
    half = 0.5 * 10.0 ** -decimals + slack
    return value - half, value + half


def _z_interval(z: float) -> tuple[float, float]:
    """The |z| values that round to a printed Z."""
    return _interval(z, DECIMALS["z"])


def _log_interval(value) -> tuple[float, float]:
    low, high = _interval(value, 2)
    return math.log(max(low, 1e-300)), math.log(high)


def _z_from_p(text) -> tuple[float, float]:
    """The |z| whose two-sided normal p rounds to the printed ``text`` (p decreases in |z|)."""
    sign, value, decimals = _parse_p(text)
    def z_of(p):
        return math.inf if p <= 0 else (0.0 if p >= 1 else float(special.ndtri(1 - p / 2)))
    if sign == "<":
        return z_of(value + ROUNDING_SLACK), math.inf
    if sign == ">":
        return 0.0, z_of(value - ROUNDING_SLACK)
    low, high = _interval(value, decimals)
    return z_of(high), z_of(low)


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


def _rounds_to(x, printed, decimals, slack):
    return np.abs(np.asarray(x, dtype=float) - printed) <= 0.5 * 10.0 ** -decimals + slack


def _parse_p(text: str) -> tuple[str, float, int]:
    match = _P_TEXT.fullmatch(str(text))
    if not match:
        raise ValueError(f"printed p must look like '0.04' or '<0.00001'; got {text!r}")
    sign, number = match.groups()
    decimals = len(number.split(".")[1]) if "." in number else 0
    return sign, float(number), decimals


def _p_matches(p, text, slack):
    sign, value, decimals = _parse_p(text)
    p = np.asarray(p, dtype=float)
    if sign == "<":
        return p < value + slack
    if sign == ">":
        return p > value - slack
    return _rounds_to(p, value, decimals, slack)


# ----------------------------------------------------------------------------- arm sizes

@dataclass(frozen=True)
class Arms:
    """The arm sizes (and, if sourced, the events) one study may have in a candidate set.

    ``total_t``, ``total_c`` and ``total`` are inclusive ranges; a study whose sizes are
    sourced has one-point ranges, a study known only by its Table 1 n has ``total = (n, n)``
    and a free split. ``events_t``/``events_c`` are set when the counts are sourced.
    ``departure`` says why this reading is not the default one (empty if it is).
    """

    study: str
    study_id: str
    total_t: tuple[int, int]
    total_c: tuple[int, int]
    total: tuple[int, int]
    events_t: int | None = None
    events_c: int | None = None
    source: str = ""
    departure: str = ""

    @classmethod
    def fixed(cls, study, study_id, total_t, total_c, source, departure="", events_t=None, events_c=None):
        """Sourced arm sizes (and events, if sourced)."""
        return cls(study, study_id, (total_t, total_t), (total_c, total_c),
                   (total_t + total_c, total_t + total_c), events_t, events_c, source, departure)

    @classmethod
    def split(cls, study, study_id, n, source, departure="", upto=False):
        """Total ``n`` (or, with ``upto``, any total up to ``n``) with an unknown split, each arm >= 1."""
        return cls(study, study_id, (1, n - 1), (1, n - 1), (2 if upto else n, n), source=source,
                   departure=departure)

    @property
    def known(self) -> bool:
        """Whether the events are sourced (the table is fixed)."""
        return self.events_t is not None

    @property
    def is_fixed(self) -> bool:
        """Whether both arm sizes are fixed."""
        return self.total_t[0] == self.total_t[1] and self.total_c[0] == self.total_c[1]

    def tightened(self) -> "Arms | None":
        """The same set with every bound attained, or None if the set is empty."""
        (t0, t1), (c0, c1), (n0, n1) = self.total_t, self.total_c, self.total
        for _ in range(3):
            t0, t1 = max(t0, n0 - c1), min(t1, n1 - c0)
            c0, c1 = max(c0, n0 - t1), min(c1, n1 - t0)
            n0, n1 = max(n0, t0 + c0), min(n1, t1 + c1)
        if t0 > t1 or c0 > c1 or n0 > n1:
            return None
        return replace(self, total_t=(t0, t1), total_c=(c0, c1), total=(n0, n1))

    def within(self, total_t, total_c, total) -> "Arms | None":
        """The intersection with the given ranges, tightened (None if empty)."""
        def meet(a, b):
            return max(a[0], b[0]), min(a[1], b[1])
        return replace(self, total_t=meet(self.total_t, total_t), total_c=meet(self.total_c, total_c),
                       total=meet(self.total, total)).tightened()

    def pairs(self) -> np.ndarray:
        """Every allowed ``(total_t, total_c)``, shape ``(n, 2)``."""
        t = np.arange(self.total_t[0], self.total_t[1] + 1)
        c = np.arange(self.total_c[0], self.total_c[1] + 1)
        tt, cc = (x.ravel() for x in np.meshgrid(t, c, indexing="ij"))
        keep = (tt + cc >= self.total[0]) & (tt + cc <= self.total[1])
        return np.stack([tt[keep], cc[keep]], axis=1)

    def describe(self) -> str:
        """E.g. ``17/17 (events 9/5)``, ``n=39, IVIG arm 17`` or ``n=151, IVIG arm 1..150``."""
        if self.is_fixed:
            events = f" (events {self.events_t}/{self.events_c})" if self.known else ""
            return f"{self.total_t[0]}/{self.total_c[0]}{events}"
        t = _span(self.total_t)
        n = _span(self.total)
        return f"n={n}, IVIG arm {t}, control {_span(self.total_c)}"


def _span(r) -> str:
    return f"{r[0]}" if r[0] == r[1] else f"{r[0]}..{r[1]}"


def hull(arms) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """Ranges of the summed ``(total_t, total_c, total)`` over studies (each tightened).

    Each study's set is the integer points of a polygon bounded in the directions
    :math:`t`, :math:`c` and :math:`t + c`; the Minkowski sum of such sets is the set of the
    same kind with the bounds added (they are M-natural-convex sets; Murota 2003, *Discrete
    Convex Analysis*, SIAM, ch. 4), which makes the subset-sum test below exact.
    """
    return tuple((sum(getattr(a, name)[0] for a in arms), sum(getattr(a, name)[1] for a in arms))
                 for name in ("total_t", "total_c", "total"))


def _reaches(arms, n_t, n_c) -> bool:
    (t0, t1), (c0, c1), (n0, n1) = hull(arms)
    return t0 <= n_t <= t1 and c0 <= n_c <= c1 and n0 <= n_t + n_c <= n1


def fitted(arms, n_t: int, n_c: int) -> tuple[Arms, ...] | None:
    """Each study's arm sizes narrowed to those that let the set add up to ``(n_t, n_c)``.

    Returns None when no choice adds up. Study *i* keeps the sizes :math:`(t, c)` for which
    :math:`(n_t - t, n_c - c)` lies in the hull of the other studies (exact, see :func:`hull`).
    """
    arms = [a.tightened() for a in arms]
    if any(a is None for a in arms) or not _reaches(arms, n_t, n_c):
        return None
    narrowed = []
    for i, arm in enumerate(arms):
        (t0, t1), (c0, c1), (n0, n1) = hull(arms[:i] + arms[i + 1:])
        narrowed.append(arm.within((n_t - t1, n_t - t0), (n_c - c1, n_c - c0),
                                   (n_t + n_c - n1, n_t + n_c - n0)))
    return None if any(a is None for a in narrowed) else tuple(narrowed)


# ----------------------------------------------------------------------------- study sets

@dataclass(frozen=True)
class StudySet:
    """One set of studies, with arm sizes, that adds up to an analysis's printed totals."""

    arms: tuple[Arms, ...]
    n_t: int
    n_c: int
    departures: tuple[str, ...] = ()

    @property
    def studies(self) -> tuple[str, ...]:
        return tuple(a.study for a in self.arms)

    @property
    def unknown(self) -> tuple[Arms, ...]:
        """The studies whose counts are not sourced (their tables are reconstructed)."""
        return tuple(a for a in self.arms if not a.known)

    @property
    def known(self) -> tuple[Arms, ...]:
        return tuple(a for a in self.arms if a.known)

    def to_frame(self) -> pd.DataFrame:
        """One row per study: its arm sizes (ranges where free), events if sourced, and source."""
        return pd.DataFrame([{
            "study": a.study, "study_id": a.study_id,
            "total_t_min": a.total_t[0], "total_t_max": a.total_t[1],
            "total_c_min": a.total_c[0], "total_c_max": a.total_c[1],
            "total_min": a.total[0], "total_max": a.total[1],
            "events_t": a.events_t, "events_c": a.events_c,
            "source": a.source, "departure": a.departure} for a in self.arms])

    def __str__(self) -> str:
        return "; ".join(f"{a.study} {a.describe()}" for a in self.arms)


@dataclass(frozen=True, repr=False)
class StudySets:
    """The study sets that fit an analysis's printed k, n_t and n_c, most plausible first.

    Plausibility: fewest departures from the default reading of the data (a default is the
    main row of the outcome, else the sourced arm sizes that add up to the paper's Table 1 n,
    else Table 1 n with a free split; each alternative denominator, each Table 1 n overriding
    sourced arm sizes, each study with sourced counts left out is one departure), then fewest
    studies whose arm sizes are free, then by study labels.
    """

    analysis: str
    k: int
    n_t: int
    n_c: int
    sets: tuple[StudySet, ...]
    relaxed: bool
    n_candidate_studies: int
    n_subsets: int
    n_readings: int
    note: str = ""

    def __len__(self) -> int:
        return len(self.sets)

    def __getitem__(self, i) -> StudySet:
        return self.sets[i]

    def to_frame(self) -> pd.DataFrame:
        """One row per set and study (``set`` is the rank, 1 = most plausible)."""
        if not self.sets:
            return pd.DataFrame(columns=["set", "departures", *StudySet((), 0, 0).to_frame().columns])
        parts = [s.to_frame().assign(set=i + 1, departures=len(s.departures)) for i, s in enumerate(self.sets)]
        frame = pd.concat(parts, ignore_index=True)
        return frame[["set", "departures", *frame.columns[:-2]]]

    def __repr__(self) -> str:
        mode = "relaxed: studies with unknown counts may have fewer patients than Table 1 n" if self.relaxed else \
            "sourced arm sizes or Table 1 n"
        lines = [f"StudySets({self.analysis}: k={self.k}, n_t={self.n_t}, n_c={self.n_c}; {mode})",
                 f"  searched {self.n_subsets} subsets of {self.n_candidate_studies} studies, "
                 f"{self.n_readings} readings of their arm sizes; {len(self.sets)} fit"]
        lines += [f"  note: {self.note}"] if self.note else []
        lines += [f"  {i + 1}. [{len(s.departures)} departures] {s}" for i, s in enumerate(self.sets[:10])]
        if len(self.sets) > 10:
            lines.append(f"  ... {len(self.sets) - 10} more")
        return "\n".join(lines)


def fitting_study_sets(review, analysis: str, relax: bool = False) -> StudySets:
    """Every set of studies, with arm sizes, that adds up to an analysis's printed totals.

    Parameters
    ----------
    review : metarmc.data.Review
    analysis : str
        A binary analysis of ``reported.csv`` (``live_birth``, ``miscarriage``, ...).
    relax : bool
        If False, a study whose counts are unknown has its sourced arm sizes (any row, any
        denominator, ``studies.csv``'s randomised/analysed arms) or its Table 1 n with a
        free split. If True, such a study may have any arm sizes (each at least 1) adding up
        to at most its Table 1 n (or its largest sourced total, if larger): patients may be
        missing from it, and only the printed totals fix how many.

    Returns
    -------
    StudySets
        Ranked (see :class:`StudySets`); each set's arms narrowed to the sizes that fit.

    Notes
    -----
    The search is exhaustive: every subset of size k of the candidate studies (all but those
    whose rows for the outcome are all ``not_reported``, and, in a subgroup analysis, those of
    the other recurrent-miscarriage type without counts for it), times every combination of each
    study's readings of its arm sizes, is tested. A combination fits when the printed
    :math:`(n_t, n_c)` lies in the Minkowski sum of the studies' allowed
    :math:`(total_t, total_c)` sets, which are intervals in :math:`t`, :math:`c` and
    :math:`t + c`, so the sum is the same kind of set with the bounds added (:func:`hull`).
    With 11 studies this is at most :math:`\\binom{11}{k}` subsets times a few readings.

    In the subgroup analyses a study whose ``rm_type`` is not the subgroup's contributes
    only part of its patients: any arm sizes up to its whole-study ones.
    """
    reported = review.reported_row(analysis)
    if reported[["k", "n_t", "n_c"]].isna().any():
        raise ValueError(f"{analysis}: reported.csv must give k, n_t and n_c to fit study sets")
    k, n_t, n_c = (int(reported[c]) for c in ("k", "n_t", "n_c"))
    note = "" if pd.isna(reported["n_total"]) or int(reported["n_total"]) == n_t + n_c else \
        f"printed n={int(reported['n_total'])} is not n_t + n_c = {n_t + n_c}; fitted to n_t and n_c"
    options = {sid: readings for sid, readings in _readings(review, analysis, relax, n_t, n_c).items() if readings}
    sourced = {sid for sid, readings in options.items() if any(a.known and not a.departure for a in readings)}
    sets, n_subsets, n_readings = [], 0, 0
    for subset in itertools.combinations(options, k):
        n_subsets += 1
        left_out = tuple(f"{options[sid][0].study} left out (counts sourced)" for sid in sorted(sourced - set(subset)))
        for combo in itertools.product(*(options[sid] for sid in subset)):
            n_readings += 1
            narrowed = fitted(combo, n_t, n_c)
            if narrowed is not None:
                departures = left_out + tuple(f"{a.study}: {a.departure}" for a in combo if a.departure)
                sets.append(StudySet(narrowed, n_t, n_c, departures))
    sets.sort(key=lambda s: (len(s.departures), sum(not a.is_fixed for a in s.arms), s.studies,
                             [a.describe() for a in s.arms]))
    return StudySets(analysis, k, n_t, n_c, tuple(sets), relax, len(options), n_subsets, n_readings, note)


def _readings(review, analysis, relax, n_t, n_c) -> dict[str, list[Arms]]:
    """Each candidate study's readings of its arm sizes, default first."""
    outcomes = review.outcomes
    readings = {}
    for _, study in review.studies.sort_values("label", key=lambda s: s.str.casefold()).iterrows():
        rows = outcomes[(outcomes["study_id"] == study["study_id"]) & (outcomes["outcome"] == analysis)]
        if len(rows) and (rows["status"] == "not_reported").all():
            continue
        subgroup, rm_type = SUBGROUP_TYPE.get(analysis), study["rm_type"]
        other_type = subgroup is not None and rm_type in SUBGROUP_TYPE.values() and rm_type != subgroup
        if other_type and not (rows["status"] == "extracted").any():
            continue
        readings[study["study_id"]] = _study_readings(review, analysis, study, rows, relax, n_t, n_c)
    return readings


def _study_readings(review, analysis, study, rows, relax, n_t, n_c) -> list[Arms]:
    """A study's readings: its extracted rows (counts known), then its arm sizes with counts unknown."""
    label, sid = study["label"], study["study_id"]
    table1 = None if pd.isna(study["n_table1"]) else int(study["n_table1"])
    extracted = rows[rows["status"] == "extracted"].sort_values("main", ascending=False)
    readings = [Arms.fixed(label, sid, int(r.total_t), int(r.total_c), f"{analysis} row ({r.denominator})",
                           "" if r.main == "yes" else f"non-main row ({r.denominator}) instead of unknown counts",
                           int(r.events_t), int(r.events_c)) for r in extracted.itertuples()]
    if (extracted["main"] == "yes").any():
        if table1 is not None and all(a.total[0] != table1 for a in readings):
            readings.append(Arms.split(label, sid, table1, "Table 1 n, split unknown",
                                       f"Table 1 n={table1} instead of the sourced arms"))
        return readings
    return _unknown_count_readings(review, analysis, study, relax, n_t, n_c) + readings


def _unknown_count_readings(review, analysis, study, relax, n_t, n_c) -> list[Arms]:
    """Arm sizes of a study whose counts are unknown: sourced sizes, Table 1 n, or (relaxed) any."""
    label, sid = study["label"], study["study_id"]
    table1 = None if pd.isna(study["n_table1"]) else int(study["n_table1"])
    whole = _whole_study_pairs(review, sid)
    if relax:
        largest = max([t + c for (t, c), _ in whole] + ([table1] if table1 is not None else []), default=None)
        if largest is None:
            return [Arms(label, sid, (1, n_t), (1, n_c), (2, n_t + n_c), source="any arm sizes (relaxed)")]
        return [Arms.split(label, sid, largest, f"any arm sizes up to n={largest} (relaxed)", upto=True)]
    subgroup = SUBGROUP_TYPE.get(analysis)
    if subgroup is not None and study["rm_type"] != subgroup:
        if whole:
            (t, c), source = whole[0]
            return [Arms(label, sid, (1, t), (1, c), (2, t + c), source=f"part of {t}/{c} ({source})")]
        return [] if table1 is None else [Arms.split(label, sid, table1, "part of Table 1 n", upto=True)]
    readings = [Arms.fixed(label, sid, t, c, source, "" if t + c == table1 else f"{t}/{c} ({source}), not Table 1 n")
                for (t, c), source in whole]
    if table1 is not None and all(t + c != table1 for (t, c), _ in whole):
        readings.append(Arms.split(label, sid, table1, "Table 1 n, split unknown",
                                   "Table 1 n instead of the sourced arms" if whole else ""))
    return sorted(readings, key=lambda a: bool(a.departure))


def _whole_study_pairs(review, study_id) -> list[tuple[tuple[int, int], str]]:
    """Distinct sourced arm sizes of a study: extracted rows of any outcome, then studies.csv."""
    found = {}
    rows = review.outcomes[(review.outcomes["study_id"] == study_id) & (review.outcomes["status"] == "extracted")
                           & review.outcomes["total_t"].notna()]
    for r in rows.itertuples():
        found.setdefault((int(r.total_t), int(r.total_c)), f"{r.outcome} row ({r.denominator})")
    study = review.studies[review.studies["study_id"] == study_id].iloc[0]
    for kind in ("analysed", "randomised"):
        t, c = study[f"n_{kind}_t"], study[f"n_{kind}_c"]
        if not (pd.isna(t) or pd.isna(c)):
            found.setdefault((int(t), int(c)), f"studies.csv n_{kind}")
    return list(found.items())


# ----------------------------------------------------------------------------- the search

@dataclass(frozen=True)
class _Problem:
    """What every worker needs: the sourced tables, the test, and the sizes of the work."""

    known: np.ndarray            # (k_known, 4): events_t, total_t, events_c, total_c
    printed: Printed
    statistics: tuple[str, ...]
    model: str
    chunk: int
    max_survivors: int

    def tables(self, candidates: np.ndarray) -> list[np.ndarray]:
        """``(B, k)`` events_t, total_t, events_c, total_c: sourced studies first, then the candidates ``(B, m, 4)``."""
        return [np.concatenate([np.broadcast_to(self.known[:, j], (len(candidates), len(self.known))),
                                candidates[:, :, j]], axis=1) for j in range(4)]

    def survives(self, candidates: np.ndarray) -> np.ndarray:
        """Which candidates pool to values that round to the printed ones.

        :func:`_screen` first; the rest pooled in full by :func:`~metarmc.pooling.pool_binary`
        and tested with :meth:`Printed.compatible_pooled`.
        """
        cells, include = _corrected(self.known.T, candidates)
        keep = np.flatnonzero(_screen(cells, include, self.printed, self.statistics, self.model))
        if len(keep):
            counts = self.tables(candidates[keep])
            pooled = pool_binary(*counts, measure="OR", method="MH", model=self.model)
            keep = keep[self.printed.compatible_pooled(pooled, self.statistics)]
        mask = np.zeros(len(candidates), dtype=bool)
        mask[keep] = True
        return mask


def _cells(counts) -> tuple[Cells, np.ndarray]:
    """Zero-cell-corrected, masked cells and the estimable mask, as :func:`~metarmc.pooling.pool_binary` builds them."""
    raw = Cells.from_counts(*counts)
    include = estimable(raw, "OR")
    return Cells(*(masked(x, include, 1.0) for x in zero_cell_corrected(raw))), include


def _corrected(known, candidates) -> tuple[Cells, np.ndarray]:
    """:func:`_cells` of every candidate: the sourced studies' part is computed once.

    The corrections are per study, so correcting the sourced and the candidate columns
    separately and joining them gives the same cells as correcting the joined table.
    """
    fixed, fixed_include = _cells(known)
    free, free_include = _cells([candidates[:, :, j] for j in range(4)])
    size = (len(candidates), len(fixed_include))
    cells = Cells(*(np.concatenate([np.broadcast_to(f, size), x], axis=1) for f, x in zip(fixed, free)))
    return cells, np.concatenate([np.broadcast_to(fixed_include, size), free_include], axis=1)


def _screen(cells: Cells, include, printed: Printed, statistics, model: str) -> np.ndarray:
    """Cheap first pass: False only for candidates that cannot round to the printed values.

    The same steps as :func:`~metarmc.pooling.pool_binary`, with the engine's own functions
    (:func:`~metarmc.pooling._mh_odds_ratio`, :func:`~metarmc.effects.log_odds_ratio`,
    :func:`~metarmc.heterogeneity.cochran_q`, :func:`~metarmc.heterogeneity.tau2_dersimonian_laird`,
    :func:`~metarmc.pooling.inverse_variance`) on the same zero-cell-corrected cells, but only
    as far as the imposed statistics need and on the candidates still in the running, with the
    wider tolerance :data:`SCREEN_SLACK`: the M-H estimate (fixed effect: its CI, Z and P are
    tested at once), then Q for I² and for the DerSimonian-Laird τ², then the random-effects
    estimate.
    """
    effect = tuple(s for s in statistics if s != "i2")
    with np.errstate(divide="ignore", invalid="ignore"):
        rows = np.arange(len(include))
        estimate, se, _ = _mh_odds_ratio(cells, include)
        if model == "fixed" and effect:
            rows = rows[_compatible_effect(printed, estimate, se, effect)]
        if "i2" in statistics or (model == "random" and effect):
            sub, inc = Cells(*(x[rows] for x in cells)), include[rows]
            yi, vi = log_odds_ratio(sub)
            df = study_count(inc) - 1
            q = np.where(df > 0, cochran_q(yi, vi, estimate[rows], inc), 0.0)
            ok = printed.compatible(None, None, None, None, None, i_squared(q, df), ("i2",), SCREEN_SLACK) \
                if "i2" in statistics else np.ones(len(rows), dtype=bool)
            if model == "random" and effect:
                yi, vi, inc, q, rows = yi[ok], vi[ok], inc[ok], q[ok], rows[ok]
                estimate, se, _ = inverse_variance(yi, vi, inc, tau2_dersimonian_laird(q, vi, inc))
                ok = _compatible_effect(printed, estimate, se, effect)
            rows = rows[ok]
    keep = np.zeros(len(include), dtype=bool)
    keep[rows] = True
    return keep


def _compatible_effect(printed, estimate, se, statistics) -> np.ndarray:
    """:meth:`Printed.compatible` for a pooled log OR and its SE (95% CI, z and p as RevMan computes them)."""
    z = estimate / se
    return printed.compatible(estimate, estimate - Z_95 * se, estimate + Z_95 * se, z, normal_p(z), None,
                              statistics, SCREEN_SLACK)


@dataclass
class _Found:
    """Survivors found by one task (mutable while a task runs)."""

    cap: int
    tested: int = 0
    count: int = 0
    kept: list = field(default_factory=list)
    low: np.ndarray | None = None
    high: np.ndarray | None = None

    def add(self, candidates, mask):
        self.tested += len(candidates)
        hits = candidates[mask]
        if not len(hits):
            return
        self.count += len(hits)
        low, high = hits.min(axis=0), hits.max(axis=0)
        self.low = low if self.low is None else np.minimum(self.low, low)
        self.high = high if self.high is None else np.maximum(self.high, high)
        room = self.cap - sum(len(h) for h in self.kept)
        if room > 0:
            self.kept.append(hits[:room].astype(np.int32))

    def merge(self, other: "_Found") -> "_Found":
        self.tested += other.tested
        self.count += other.count
        if other.low is None:
            return self
        self.low = other.low if self.low is None else np.minimum(self.low, other.low)
        self.high = other.high if self.high is None else np.maximum(self.high, other.high)
        room = self.cap - sum(len(h) for h in self.kept)
        for hits in other.kept:
            if room > 0:
                self.kept.append(hits[:room])
                room -= len(hits[:room])
        return self


# --- the candidate space: arm-size configurations, then events

def _arm_configs(unknown, n_t, n_c, limit) -> np.ndarray | None:
    """Every ``(m, 2)`` choice of arm sizes of the unknown studies adding up to ``(n_t, n_c)``.

    Built study by study, keeping only partial choices the remaining studies can complete
    (their :func:`hull`); None when more than ``limit`` would be needed.
    """
    rows = np.zeros((1 if (n_t, n_c) == (0, 0) or unknown else 0, 0, 2), dtype=np.int64)
    for i, arm in enumerate(unknown):
        (t0, t1), (c0, c1), (n0, n1) = hull(unknown[i + 1:])
        pairs = arm.pairs()
        if len(rows) * len(pairs) > 4 * limit:
            return None
        done = rows.sum(axis=1)
        t = n_t - done[:, None, 0] - pairs[None, :, 0]
        c = n_c - done[:, None, 1] - pairs[None, :, 1]
        ok = (t >= t0) & (t <= t1) & (c >= c0) & (c <= c1) & (t + c >= n0) & (t + c <= n1)
        r, p = np.nonzero(ok)
        if len(r) > limit:
            return None
        rows = np.concatenate([rows[r], pairs[p][:, None, :]], axis=1)
    return rows


def _sums(upper, total) -> np.ndarray:
    """Every integer vector ``0 <= x_i <= upper_i`` with ``sum(x) == total``, shape ``(n, m)``."""
    rows = np.zeros((1, 0), dtype=np.int64)
    rest = np.concatenate([np.cumsum(np.asarray(upper)[::-1])[::-1][1:], [0]])
    for u, r in zip(upper, rest):
        x = np.arange(u + 1)
        s = rows.sum(axis=1)[:, None] + x[None, :]
        ok = (s <= total) & (s + r >= total)
        i, j = np.nonzero(ok)
        rows = np.concatenate([rows[i], x[j][:, None]], axis=1)
    return rows


@dataclass(frozen=True)
class _Grid:
    """The event tables of one arm-size configuration, addressable by a linear index."""

    arms: np.ndarray                      # (m, 2)
    events: tuple[np.ndarray, np.ndarray] | None = None   # constrained (events_t rows, events_c rows)

    @property
    def size(self) -> int:
        if self.events is not None:
            return len(self.events[0]) * len(self.events[1])
        return math.prod(int(t + 1) * int(c + 1) for t, c in self.arms)

    def decode(self, lo: int, hi: int) -> np.ndarray:
        """Candidates ``lo..hi-1`` as ``(B, m, 4)``: events_t, total_t, events_c, total_c."""
        index = np.arange(lo, hi, dtype=np.int64)
        m = len(self.arms)
        if m == 0:
            events_t = events_c = np.zeros((len(index), 0), dtype=np.int64)
        elif self.events is None:
            radices = np.column_stack([self.arms[:, 0] + 1, self.arms[:, 1] + 1]).ravel()
            digits = np.stack(np.unravel_index(index, tuple(radices)), axis=1).reshape(-1, m, 2)
            events_t, events_c = digits[:, :, 0], digits[:, :, 1]
        else:
            rows_t, rows_c = self.events
            events_t, events_c = rows_t[index // len(rows_c)], rows_c[index % len(rows_c)]
        out = np.empty((len(index), m, 4), dtype=np.int64)
        out[:, :, 0], out[:, :, 2] = events_t, events_c
        out[:, :, 1], out[:, :, 3] = self.arms[:, 0], self.arms[:, 1]
        return out


def _grids(configs, event_totals) -> list[_Grid]:
    if event_totals is None:
        return [_Grid(arms) for arms in configs]
    grids = []
    for arms in configs:
        rows = (_sums(arms[:, 0], event_totals[0]), _sums(arms[:, 1], event_totals[1]))
        if len(rows[0]) and len(rows[1]):
            grids.append(_Grid(arms, rows))
    return grids


def _approximate_count(unknown, n_t, n_c) -> float:
    """Number of candidate tables, by convolving each study's (arm sizes -> tables) counts (FFT)."""
    state = np.zeros((n_t + 1, n_c + 1))
    state[0, 0] = 1.0
    for arm in unknown:
        pairs = arm.pairs()
        pairs = pairs[(pairs[:, 0] <= n_t) & (pairs[:, 1] <= n_c)]
        weights = np.zeros((n_t + 1, n_c + 1))
        weights[pairs[:, 0], pairs[:, 1]] = (pairs[:, 0] + 1.0) * (pairs[:, 1] + 1.0)
        state = np.maximum(signal.fftconvolve(state, weights)[:n_t + 1, :n_c + 1], 0.0)
    return float(state[n_t, n_c])


# --- running tasks (inline or on worker processes)

_WORKER: _Problem | None = None


def _install(problem: _Problem):
    global _WORKER
    _WORKER = problem


def _exhaustive_task(grids, pieces) -> _Found:
    problem = _WORKER
    found = _Found(problem.max_survivors)
    for g, lo, hi in pieces:
        for start in range(lo, hi, problem.chunk):
            candidates = grids[g].decode(start, min(hi, start + problem.chunk))
            found.add(candidates, problem.survives(candidates))
    return found


def _sampled_task(sampler: "_Sampler", budget, seed) -> _Found:
    problem = _WORKER
    rng = np.random.default_rng(seed)
    found = _Found(problem.max_survivors)
    batch, size = [], 0
    for _ in range(budget):  # a draw can be empty (event totals out of reach): at most ``budget`` draws
        if found.tested + size >= budget:
            break
        batch.append(sampler.draw(rng))
        size += len(batch[-1])
        if size >= problem.chunk:
            _test(problem, found, batch)
            batch, size = [], 0
    _test(problem, found, batch)
    return found


def _test(problem, found, batch):
    """Pool and test a batch of candidate arrays, recording the survivors in ``found``."""
    candidates = np.concatenate(batch) if batch else np.zeros((0, 0, 4), dtype=np.int64)
    if len(candidates):
        found.add(candidates, problem.survives(candidates))


class _Sampler:
    """Random configurations of all unknown studies but one, each completed by every table of that one.

    The completing study is the one with the most tables. The others are drawn in turn: arm
    sizes uniformly among those the remaining studies can still complete (their
    :func:`hull`), then events uniformly; the completing study takes the arm sizes left over.
    """

    def __init__(self, unknown, n_t, n_c, event_totals):
        self.m, self.n_t, self.n_c, self.event_totals = len(unknown), n_t, n_c, event_totals
        self.last = _completion_study(unknown)
        self.order = [i for i in range(self.m) if i != self.last]
        self.steps = [(i, unknown[i].pairs(), hull([unknown[j] for j in self.order[n + 1:]] + [unknown[self.last]]))
                      for n, i in enumerate(self.order)]

    def draw(self, rng) -> np.ndarray:
        prefix = np.zeros((self.m, 4), dtype=np.int64)
        left_t, left_c = self.n_t, self.n_c
        for i, pairs, ((t0, t1), (c0, c1), (s0, s1)) in self.steps:
            t, c = left_t - pairs[:, 0], left_c - pairs[:, 1]
            ok = np.flatnonzero((t >= t0) & (t <= t1) & (c >= c0) & (c <= c1) & (t + c >= s0) & (t + c <= s1))
            prefix[i, 1], prefix[i, 3] = pairs[ok[rng.integers(len(ok))]]
            prefix[i, 0], prefix[i, 2] = rng.integers(prefix[i, 1] + 1), rng.integers(prefix[i, 3] + 1)
            left_t, left_c = left_t - prefix[i, 1], left_c - prefix[i, 3]
        if self.event_totals is None:
            grid = _Grid(np.array([[left_t, left_c]]))
            tail = grid.decode(0, grid.size)[:, 0]
        else:
            need_t = self.event_totals[0] - prefix[self.order, 0].sum()
            need_c = self.event_totals[1] - prefix[self.order, 2].sum()
            if not (0 <= need_t <= left_t and 0 <= need_c <= left_c):
                return np.zeros((0, self.m, 4), dtype=np.int64)
            tail = np.array([[need_t, left_t, need_c, left_c]])
        out = np.repeat(prefix[None], len(tail), axis=0)
        out[:, self.last] = tail
        return out


def _completion_study(unknown) -> int:
    """The unknown study with the most candidate tables."""
    return int(np.argmax([max((t + 1) * (c + 1) for t, c in a.pairs()) for a in unknown]))


def _pieces(grids, n_tasks) -> list[list[tuple[int, int, int]]]:
    """Split the grids' index ranges into ``n_tasks`` lists of ``(grid, lo, hi)`` of similar size."""
    total = sum(g.size for g in grids)
    share = max(1, -(-total // n_tasks))
    tasks, current, filled = [], [], 0
    for g, grid in enumerate(grids):
        lo = 0
        while lo < grid.size:
            hi = min(grid.size, lo + share - filled)
            current.append((g, lo, hi))
            filled += hi - lo
            lo = hi
            if filled >= share:
                tasks.append(current)
                current, filled = [], 0
    return tasks + ([current] if current else [])


def _run(problem, task, jobs, workers) -> _Found:
    """Run ``task(*job)`` for every job, on ``workers`` processes when there are several."""
    found = _Found(problem.max_survivors)
    if workers <= 1 or len(jobs) <= 1:
        _install(problem)
        for job in jobs:
            found.merge(task(*job))
        return found
    with ProcessPoolExecutor(workers, initializer=_install, initargs=(problem,)) as pool:
        for part in pool.map(task, *zip(*jobs)):
            found.merge(part)
    return found


def default_workers() -> int:
    """The CPUs this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


# ----------------------------------------------------------------------------- the result

@dataclass(frozen=True, repr=False)
class Reconstruction:
    """Which tables of the unknown studies pool to what the paper printed.

    ``survivors`` holds, per surviving candidate and unknown study (in the order of
    :attr:`unknown`), ``[events_t, total_t, events_c, total_c]``; at most ``max_survivors``
    are kept (``truncated``), but ``n_survivors`` and the ranges count them all. When
    ``exhaustive`` is False the search was sampled: every survivor is genuine, but
    ``n_survivors`` and the ranges are only what was found (the truth may be wider).
    """

    analysis: str
    study_set: StudySet
    printed: Printed
    statistics: tuple[str, ...]
    model: str
    event_totals: tuple[int, int] | None
    n_candidates: int | float | None
    n_tested: int
    n_survivors: int
    exhaustive: bool
    survivors: np.ndarray = field(compare=False)
    low: np.ndarray | None = field(compare=False, default=None)
    high: np.ndarray | None = field(compare=False, default=None)
    search: str = ""

    @property
    def unknown(self) -> tuple[Arms, ...]:
        return self.study_set.unknown

    @property
    def truncated(self) -> bool:
        return len(self.survivors) < self.n_survivors

    @property
    def ranges(self) -> pd.DataFrame:
        """Per unknown study: the smallest and largest events and arm sizes among the survivors."""
        rows = []
        for i, arm in enumerate(self.unknown):
            row = {"study": arm.study, "study_id": arm.study_id}
            for j, name in enumerate(("events_t", "total_t", "events_c", "total_c")):
                found = self.low is not None
                row[f"{name}_min"] = int(self.low[i, j]) if found else None
                row[f"{name}_max"] = int(self.high[i, j]) if found else None
            rows.append(row)
        return pd.DataFrame(rows)

    def table(self, i: int) -> pd.DataFrame:
        """Surviving candidate ``i`` as a full study table (``meta_binary`` input), known studies included."""
        unknown = iter(self.survivors[i])
        rows = []
        for arm in self.study_set.arms:
            if arm.known:
                values = (arm.events_t, arm.total_t[0], arm.events_c, arm.total_c[0])
            else:
                values = tuple(int(v) for v in next(unknown))
            rows.append(dict(study=arm.study, study_id=arm.study_id, known=arm.known,
                             **dict(zip(("events_t", "total_t", "events_c", "total_c"), values))))
        return pd.DataFrame(rows)

    def survivors_frame(self, limit: int | None = None) -> pd.DataFrame:
        """The kept survivors, long form: one row per survivor (``table``) and unknown study."""
        kept = self.survivors[:limit]
        n, m = len(kept), len(self.unknown)
        frame = pd.DataFrame({"table": np.repeat(np.arange(n), m),
                              "study": np.tile([a.study for a in self.unknown], n)})
        for j, name in enumerate(("events_t", "total_t", "events_c", "total_c")):
            frame[name] = kept[:, :, j].ravel() if m else np.zeros(0, dtype=int)
        return frame

    def records(self, limit: int | None = None) -> list[dict]:
        """One JSON-ready object per kept survivor: ``studies`` with their four counts."""
        return [{"analysis": self.analysis, "table": i, "n_survivors": self.n_survivors,
                 "exhaustive": self.exhaustive,
                 "studies": self.table(i).to_dict(orient="records")}
                for i in range(min(len(self.survivors), limit if limit is not None else len(self.survivors)))]

    def to_frame(self) -> pd.DataFrame:
        """The per-study ranges with the search's counts repeated on each row."""
        frame = self.ranges
        for name in ("analysis", "model", "exhaustive", "n_candidates", "n_tested", "n_survivors"):
            frame[name] = getattr(self, name)
        frame["statistics"] = ",".join(self.statistics)
        return frame

    def describe_ranges(self) -> list[str]:
        """Sentences like "Carp 2001 had 40-71 events in the IVIG arm (of 70-80)"."""
        if self.low is None:
            return []
        hedge = "" if self.exhaustive else " (in the survivors found)"
        lines = []
        for i, arm in enumerate(self.unknown):
            (et0, nt0, ec0, nc0), (et1, nt1, ec1, nc1) = self.low[i], self.high[i]
            lines.append(f"{arm.study} must have had {_dash(et0, et1)} events of {_dash(nt0, nt1)} in the IVIG arm "
                         f"and {_dash(ec0, ec1)} of {_dash(nc0, nc1)} in the control arm{hedge}")
        return lines

    def __repr__(self) -> str:
        kind = "exhaustive" if self.exhaustive else "sampled, NOT exhaustive"
        lines = [f"Reconstruction({self.analysis or 'analysis'}, {self.model} effect; printed {self.printed}; "
                 f"imposed: {', '.join(self.statistics)})",
                 f"  search: {kind}; {self.search}",
                 f"  candidates {_count(self.n_candidates)}, tested {self.n_tested:,}, "
                 f"survivors {self.n_survivors:,}" + (" (kept first)" if self.truncated else "")]
        lines += [f"  {line}" for line in self.describe_ranges()]
        return "\n".join(lines)


def _dash(a, b) -> str:
    return f"{a}" if a == b else f"{a}-{b}"


def _count(n) -> str:
    if n is None:
        return "unknown"
    return f"{n:,}" if isinstance(n, int) else f"about {n:.2g}"


# ----------------------------------------------------------------------------- entry points

def reconstruct_tables(study_set: StudySet, printed: Printed, statistics=None, model: str = "fixed",
                       event_totals: tuple[int, int] | None = None, chunk: int = CHUNK,
                       max_candidates: int = MAX_CANDIDATES, workers: int | None = None, seed: int = 0,
                       max_survivors: int = 1_000_000, analysis: str = "") -> Reconstruction:
    """Every table of the set's unknown studies that pools to the printed values.

    Parameters
    ----------
    study_set : StudySet
        The studies: sourced tables (kept fixed) and unknown ones with their allowed arm
        sizes; ``study_set.n_t``/``n_c`` are the printed arm totals of the whole set.
    printed : Printed
    statistics : iterable of str, optional
        Printed statistics to impose (default: all printed). Adding one can only remove survivors.
    model : {"fixed", "random"}
        M-H fixed effect, or DerSimonian-Laird random effects from the M-H based Q (RevMan 5).
    event_totals : (int, int), optional
        Printed total events per arm over the whole set (e.g. "26/108 vs 10/156"), imposed
        on the candidates.
    chunk : int
        Candidates pooled at once (memory bound).
    max_candidates : int
        Exhaustive search when the candidate space is at most this big; else a sampled
        search testing this many candidates.
    workers : int, optional
        Processes (default: the CPUs available).
    seed : int
        Seed of the sampled search.
    max_survivors : int
        Survivors kept (all are counted).

    Returns
    -------
    Reconstruction
        ``exhaustive`` says whether every candidate was tested (see the module docstring).

    Notes
    -----
    When the imposed printed values contradict each other (:meth:`Printed.contradiction`)
    nothing is tested and the empty answer is exact. Otherwise each candidate passes
    :func:`_screen` and then :func:`~metarmc.pooling.pool_binary` with ``measure="OR",
    method="MH"`` and the model, and survives if :meth:`Printed.compatible_pooled`.
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}; got {model!r}")
    if chunk < 1 or max_candidates < 1:
        raise ValueError(f"chunk and max_candidates must be positive; got {chunk}, {max_candidates}")
    statistics = printed.check_statistics(statistics)
    workers = default_workers() if workers is None else workers
    space = _Space.of(study_set, event_totals)
    study_set, unknown, n_candidates, grids = space.study_set, space.unknown, space.n_candidates, space.grids
    known = np.array([[a.events_t, a.total_t[0], a.events_c, a.total_c[0]] for a in study_set.known], dtype=float)
    problem = _Problem(known.reshape(-1, 4), printed, statistics, model, chunk, max_survivors)
    reason = printed.contradiction(statistics)
    if reason:
        empty = np.zeros((0, len(unknown), 4), dtype=np.int32)
        return Reconstruction(analysis, study_set, printed, statistics, model, event_totals, n_candidates, 0, 0,
                              True, empty, search=f"none tested: no table can match, whatever the data ({reason})")
    if grids is not None and n_candidates <= max_candidates:
        jobs = [(grids, pieces) for pieces in _pieces(grids, 4 * workers)] if n_candidates else []
        found = _run(problem, _exhaustive_task, jobs, workers if n_candidates > 4 * chunk else 1)
        search = f"every arm-size configuration that adds up ({len(grids):,}) x every event count" + \
            (" adding up to the event totals" if space.events is not None else "")
        exhaustive = True
    else:
        budget = -(-max_candidates // workers)
        sampler = _Sampler(unknown, space.n_t, space.n_c, space.events)
        jobs = [(sampler, budget, seed + i) for i in range(workers)]
        found = _run(problem, _sampled_task, jobs, workers)
        last = unknown[sampler.last]
        completion = f"every table of {last.study}" if space.events is None else \
            f"the table of {last.study} the event totals leave"
        search = (f"random arm sizes and events of the other unknown studies, each completed by {completion}; "
                  f"{max_candidates:,} candidates budgeted")
        exhaustive = False
    survivors = np.concatenate(found.kept) if found.kept else np.zeros((0, len(unknown), 4), dtype=np.int32)
    if not exhaustive and len(survivors):
        survivors = np.unique(survivors, axis=0)
    return Reconstruction(analysis, study_set, printed, statistics, model, event_totals, n_candidates,
                          found.tested, found.count if exhaustive else len(survivors), exhaustive, survivors,
                          found.low, found.high, search)


@dataclass(frozen=True)
class _Space:
    """The candidate space of a study set: what the unknown studies must add up to, and its size."""

    study_set: StudySet
    n_t: int
    n_c: int
    events: tuple[int, int] | None
    grids: list | None          # every arm-size configuration's event grid, when enumerable
    n_candidates: int | float | None

    @property
    def unknown(self) -> tuple[Arms, ...]:
        return self.study_set.unknown

    @classmethod
    def of(cls, study_set: StudySet, event_totals=None) -> "_Space":
        arms = fitted(study_set.arms, study_set.n_t, study_set.n_c)
        if arms is None:
            raise ValueError(f"the study set's arm sizes cannot add up to {study_set.n_t}/{study_set.n_c}")
        study_set = replace(study_set, arms=arms)
        known = study_set.known
        n_t = study_set.n_t - sum(a.total_t[0] for a in known)
        n_c = study_set.n_c - sum(a.total_c[0] for a in known)
        events = None if event_totals is None else (event_totals[0] - sum(a.events_t for a in known),
                                                    event_totals[1] - sum(a.events_c for a in known))
        configs = _arm_configs(study_set.unknown, n_t, n_c, limit=1_000_000)
        grids = None if configs is None else _grids(configs, events)
        n_candidates = None if grids is None else _exact(sum(float(g.size) for g in grids))
        if grids is None and events is None:
            n_candidates = _approximate_count(study_set.unknown, n_t, n_c)
        return cls(study_set, n_t, n_c, events, grids, n_candidates)


def count_candidates(study_set: StudySet, event_totals: tuple[int, int] | None = None) -> int | float | None:
    """How many candidate tables a study set has (an int when exact, a float when approximate)."""
    return _Space.of(study_set, event_totals).n_candidates


def _exact(x: float) -> int | float:
    """An integer count when float arithmetic kept it exact, else the float (approximate)."""
    return int(x) if x < 2**53 else x


def reconstruct(review, analysis: str, study_set: StudySet | None = None, printed: Printed | None = None,
                statistics=None, model: str | None = None, **options) -> Reconstruction:
    """Which tables of the unsourced studies of ``analysis`` pool to what the paper printed.

    Parameters
    ----------
    review : metarmc.data.Review
    analysis : str
        A binary analysis of ``reported.csv``.
    study_set : StudySet, optional
        Default: the most plausible of :func:`fitting_study_sets` (of the relaxed sets if
        none fits strictly).
    printed : Printed, optional
        Default: the analysis's row of ``reported.csv``.
    statistics : iterable of str, optional
        Printed statistics to impose (default: all printed).
    model : {"fixed", "random"}, optional
        Default: the model the paper printed.
    **options
        Passed to :func:`reconstruct_tables` (``chunk``, ``max_candidates``, ``event_totals``, ...).

    Returns
    -------
    Reconstruction

    Examples
    --------
    >>> from metarmc import data
    >>> result = reconstruct(data.load(), "adverse_reaction", event_totals=(26, 10))  # doctest: +SKIP
    """
    row = review.reported_row(analysis)
    if row["measure"] != "OR":
        raise ValueError(f"{analysis}: only odds-ratio analyses can be reconstructed; it is {row['measure']}")
    if study_set is None:
        sets = fitting_study_sets(review, analysis)
        sets = sets if len(sets) else fitting_study_sets(review, analysis, relax=True)
        if not len(sets):
            raise ValueError(f"{analysis}: no set of studies adds up to the printed totals")
        study_set = sets[0]
    printed = Printed.from_reported(row) if printed is None else printed
    return reconstruct_tables(study_set, printed, statistics, model or row["model"], analysis=analysis, **options)


def hide(table: pd.DataFrame, studies, free_split: bool = False) -> StudySet:
    """A :class:`StudySet` from a complete study table with the counts of ``studies`` hidden.

    Hidden studies keep their arm sizes, or with ``free_split`` only their total n.
    ``table`` has the :func:`~metarmc.meta_binary` columns.
    """
    missing = set(studies) - set(table["study"])
    if missing:
        raise ValueError(f"studies to hide not in the table: {', '.join(sorted(missing))}")
    arms = []
    for r in table.itertuples():
        t, c = int(r.total_t), int(r.total_c)
        if r.study not in studies:
            arms.append(Arms.fixed(r.study, r.study, t, c, "given", events_t=int(r.events_t), events_c=int(r.events_c)))
        elif free_split:
            arms.append(Arms.split(r.study, r.study, t + c, "hidden, total kept"))
        else:
            arms.append(Arms.fixed(r.study, r.study, t, c, "hidden, arms kept"))
    set_ = fitted(arms, int(table["total_t"].sum()), int(table["total_c"].sum()))
    return StudySet(set_, int(table["total_t"].sum()), int(table["total_c"].sum()))


# ----------------------------------------------------------------------------- reports

def study_sets_for(review, analysis: str, relax: bool = False) -> StudySets:
    """:func:`fitting_study_sets`, falling back to the relaxed sets when none fits strictly."""
    sets = fitting_study_sets(review, analysis, relax)
    return sets if len(sets) or relax else fitting_study_sets(review, analysis, relax=True)


def reconstruct_sets(review, analysis: str, sets: StudySets, ranks, max_candidates: int = ANALYSIS_BUDGET,
                     **options) -> list[tuple[int, Reconstruction]]:
    """:func:`reconstruct` for the sets of the given ranks (1 = most plausible), within one budget.

    ``max_candidates`` is shared by the sets, taken from the smallest candidate space up: a
    set is searched exhaustively when its candidates fit in what is left after keeping
    :math:`1/(4 n)` of the budget for each of the :math:`n` sets still to come; otherwise it
    gets an equal share of what is left, sampled. Sets that differ only in which study carries
    the same unknown arm sizes give the same tables; they are searched once.
    """
    chosen = {}
    for rank in ranks:
        if not 1 <= rank <= len(sets):
            raise ValueError(f"{analysis}: set must be between 1 and {len(sets)}; got {rank}")
        study_set = sets[rank - 1]
        key = tuple((a.known, a.events_t, a.events_c, a.total_t, a.total_c, a.total) for a in study_set.arms)
        chosen.setdefault(key, []).append((rank, study_set))
    sizes = {key: count_candidates(group[0][1], options.get("event_totals")) for key, group in chosen.items()}
    order = sorted(chosen, key=lambda key: math.inf if sizes[key] is None else sizes[key])
    left, reserve, out = max_candidates, max_candidates // (4 * len(order) or 1), []
    for n, key in enumerate(order):
        to_come = len(order) - n - 1
        if sizes[key] is not None and sizes[key] <= left - to_come * reserve:
            allowed = max(1, int(sizes[key]))
        else:
            allowed = max(1, left // (to_come + 1))
        rank, study_set = chosen[key][0]
        result = reconstruct(review, analysis, study_set, max_candidates=allowed, **options)
        left -= result.n_tested
        out += [(r, replace(result, study_set=s)) for r, s in chosen[key]]
    return sorted(out, key=lambda pair: pair[0])


def format_sets(sets: StudySets, limit: int = 10) -> str:
    """The fitting study sets as text: how the search went, then one line per set."""
    mode = ("relaxed: studies with unknown counts may have fewer patients than Table 1 n" if sets.relaxed
            else "sourced arm sizes, or Table 1 n with a free split")
    lines = [f"Study sets adding up to k={sets.k}, IVIG {sets.n_t}, control {sets.n_c} ({mode}):",
             f"  exhaustive search of {sets.n_subsets:,} subsets of {sets.n_candidate_studies} candidate studies, "
             f"{sets.n_readings:,} readings of their arm sizes: {len(sets)} fit"]
    lines += [f"  note: {sets.note}"] if sets.note else []
    for i, s in enumerate(sets.sets[:limit]):
        lines.append(f"  {i + 1}. [{len(s.departures)} departure(s)] {s}")
        lines += [f"       departure: {d}" for d in s.departures]
    if len(sets) > limit:
        lines.append(f"  ... and {len(sets) - limit} more (ranked by departures, then free arm sizes, then labels)")
    return "\n".join(lines)


def format_reconstruction(rank: int, result: Reconstruction, samples: int = 5) -> str:
    """One reconstructed set as text: the search, the counts, the ranges and a few surviving tables."""
    kind = "EXHAUSTIVE (every candidate tested; counts and ranges exact)" if result.exhaustive else \
        "SAMPLED, NOT EXHAUSTIVE (survivors are genuine; counts and ranges are only what was found)"
    unknown = ", ".join(f"{a.study} {a.describe()}" for a in result.unknown) or "none"
    lines = [f"Set {rank}: {result.model} effect; imposed {', '.join(result.statistics)}"
             + (f"; event totals {result.event_totals[0]}/{result.event_totals[1]}" if result.event_totals else ""),
             f"  unknown: {unknown}",
             f"  search: {kind}", f"          {result.search}",
             f"  candidates {_count(result.n_candidates)}, tested {result.n_tested:,}, "
             f"surviving tables {result.n_survivors:,}"]
    lines += [f"  {line}" for line in result.describe_ranges()]
    shown = np.unique(np.linspace(0, len(result.survivors) - 1, min(samples, len(result.survivors))).astype(int))
    for i in shown:
        cells = "; ".join(f"{a.study} {s[0]}/{s[1]} vs {s[2]}/{s[3]}"
                          for a, s in zip(result.unknown, result.survivors[i]))
        lines.append(f"  table {i + 1}: {cells}")
    return "\n".join(lines)


def event_totals_arg(text: str) -> tuple[int, int]:
    """``"26/10"`` -> ``(26, 10)``: printed total events in the IVIG and control arms."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match:
        raise ValueError(f"event totals must look like 26/10 (IVIG/control); got {text!r}")
    return int(match.group(1)), int(match.group(2))


def statistics_arg(text: str) -> tuple[str, ...]:
    """``"estimate,ci"`` -> ``("estimate", "ci")``, checked against :data:`STATISTICS`."""
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    bad = [name for name in names if name not in STATISTICS]
    if bad or not names:
        raise ValueError(f"statistics must be a comma list of {', '.join(STATISTICS)}; got {text!r}")
    return names
