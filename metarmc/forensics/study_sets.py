"""Which studies, with which arm sizes, add up to an analysis's printed k, n_t and n_c.

:func:`fitting_study_sets` is an exact subset-sum search over the included studies: each
study's possible arm sizes (:class:`Arms`: sourced, or its Table 1 n with a free split) and
every subset of size k, kept when the printed totals lie in the Minkowski sum of the studies'
allowed sizes (:func:`hull`, :func:`fitted`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..review.registry import INTERVENTION, OUTCOMES

#: Subgroup analyses and the ``rm_type`` of the studies that belong to them whole.
SUBGROUP_TYPE = {name: outcome.subgroup for name, outcome in OUTCOMES.items() if outcome.subgroup}


# --- arm sizes

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

    def tightened(self) -> Arms | None:
        """The same set with every bound attained, or None if the set is empty."""
        (t0, t1), (c0, c1), (n0, n1) = self.total_t, self.total_c, self.total
        for _ in range(3):
            t0, t1 = max(t0, n0 - c1), min(t1, n1 - c0)
            c0, c1 = max(c0, n0 - t1), min(c1, n1 - t0)
            n0, n1 = max(n0, t0 + c0), min(n1, t1 + c1)
        if t0 > t1 or c0 > c1 or n0 > n1:
            return None
        return replace(self, total_t=(t0, t1), total_c=(c0, c1), total=(n0, n1))

    def within(self, total_t, total_c, total) -> Arms | None:
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
        return f"n={n}, {INTERVENTION} arm {t}, control {_span(self.total_c)}"


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


# --- study sets

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

    @property
    def signature(self) -> tuple:
        """What the reconstruction sees of the set: each study's counts and arm sizes, not its name.

        Two sets with the same signature give the same candidate tables: the counts they imply
        are identified, but not which study they belong to.
        """
        return tuple((a.known, a.events_t, a.events_c, a.total_t, a.total_c, a.total) for a in self.arms)

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

    def alike(self) -> list[tuple[int, ...]]:
        """Ranks (1 = most plausible) of the sets that share a :attr:`StudySet.signature`, groups of two or more.

        Within a group the printed totals cannot tell the studies apart: the same tables fit
        whichever of them the paper pooled.
        """
        groups: dict[tuple, list[int]] = {}
        for rank, study_set in enumerate(self.sets, start=1):
            groups.setdefault(study_set.signature, []).append(rank)
        return [tuple(ranks) for ranks in groups.values() if len(ranks) > 1]

    def interchangeable(self) -> list[tuple[str, ...]]:
        """For each group of :meth:`alike` sets, the studies that take each other's place in it."""
        out = []
        for ranks in self.alike():
            members = [set(self.sets[rank - 1].studies) for rank in ranks]
            out.append(tuple(sorted(set.union(*members) - set.intersection(*members))))
        return out

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
    whose rows for the outcome are all ``not_reported`` and, in a subgroup analysis, those of
    the other recurrent-miscarriage type without counts for it; a ``not_applicable`` study stays
    a candidate, since the paper may have pooled it anyway), times every combination of each
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
    outcome_rows = review.rows(analysis)
    readings = {}
    for _, study in review.studies_by_label().iterrows():
        rows = outcome_rows[outcome_rows["study_id"] == study["study_id"]]
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
    whole = review.sourced_arm_sizes(sid)
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
