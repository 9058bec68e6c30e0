"""Reconstruction of unreported tables: which integer counts pool to what the paper printed.

For one study set (:mod:`~metarmc.forensics.study_sets`), every candidate table of the studies
whose counts are unknown (:mod:`~metarmc.forensics.space`) is pooled as the paper pooled it
(RevMan 5 Mantel-Haenszel odds ratio, fixed effect or DerSimonian-Laird random effects from
the M-H based Q) and kept when its pooled values round to the printed ones
(:mod:`~metarmc.forensics.matching`). When there are at most ``max_candidates`` candidates the
search is **exhaustive**: every candidate is pooled and tested, and the survivor set, its
count and the per-study ranges are exact. Otherwise it is **sampled** (not exhaustive):
random configurations of all unknown studies but one are each completed by *every* table of
the last one; survivors found are genuine, but counts and ranges are only lower bounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..printed import PrintedResult
from ..review.registry import INTERVENTION
from ..schema import MODELS
from .matching import check_statistics, checked, contradiction
from .search import CHUNK, SearchProblem, default_workers, exhaustive_task, run, sampled_task
from .space import Sampler, Space, count_candidates, pieces
from .study_sets import Arms, StudySet, StudySets, fitted, fitting_study_sets

#: Default cap on the candidates tested (exhaustive below it, sampled above it): about half a
#: minute for k = 11 on two cores.
MAX_CANDIDATES = 150_000_000
#: Default budget of candidates for the few sets of one analysis (:func:`reconstruct_sets`):
#: about a minute for k = 11 on two cores.
ANALYSIS_BUDGET = 500_000_000


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
    printed: PrintedResult
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
            lines.append(f"{arm.study} must have had {_dash(et0, et1)} events of {_dash(nt0, nt1)} "
                         f"in the {INTERVENTION} arm and {_dash(ec0, ec1)} of {_dash(nc0, nc1)} "
                         f"in the control arm{hedge}")
        return lines

    def __repr__(self) -> str:
        kind = "exhaustive" if self.exhaustive else "sampled, NOT exhaustive"
        lines = [f"Reconstruction({self.analysis or 'analysis'}, {self.model} effect; printed {self.printed}; "
                 f"imposed: {', '.join(self.statistics)})",
                 f"  search: {kind}; {self.search}",
                 f"  candidates {describe_count(self.n_candidates)}, tested {self.n_tested:,}, "
                 f"survivors {self.n_survivors:,}" + (" (kept first)" if self.truncated else "")]
        lines += [f"  {line}" for line in self.describe_ranges()]
        return "\n".join(lines)


def _dash(a, b) -> str:
    return f"{a}" if a == b else f"{a}-{b}"


def describe_count(n) -> str:
    """A candidate count for text: exact with thousands separators, ``about 4.2e+09``, or ``unknown``."""
    if n is None:
        return "unknown"
    return f"{n:,}" if isinstance(n, int) else f"about {n:.2g}"



def reconstruct_tables(study_set: StudySet, printed: PrintedResult, statistics=None, model: str = "fixed",
                       event_totals: tuple[int, int] | None = None, chunk: int = CHUNK,
                       max_candidates: int = MAX_CANDIDATES, workers: int | None = None, seed: int = 0,
                       max_survivors: int = 1_000_000, analysis: str = "") -> Reconstruction:
    """Every table of the set's unknown studies that pools to the printed values.

    Parameters
    ----------
    study_set : StudySet
        The studies: sourced tables (kept fixed) and unknown ones with their allowed arm
        sizes; ``study_set.n_t``/``n_c`` are the printed arm totals of the whole set.
    printed : PrintedResult
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
    When the imposed printed values contradict each other (:func:`~metarmc.forensics.matching.contradiction`)
    nothing is tested and the empty answer is exact. Otherwise each candidate passes
    :func:`_screen` and then :func:`~metarmc.pooling.pool_binary` with ``measure="OR",
    method="MH"`` and the model, and survives if
    :func:`~metarmc.forensics.matching.compatible_pooled`.
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}; got {model!r}")
    if chunk < 1 or max_candidates < 1:
        raise ValueError(f"chunk and max_candidates must be positive; got {chunk}, {max_candidates}")
    statistics = check_statistics(checked(printed), statistics)
    workers = default_workers() if workers is None else workers
    space = Space.of(study_set, event_totals)
    study_set, unknown, n_candidates, grids = space.study_set, space.unknown, space.n_candidates, space.grids
    known = np.array([[a.events_t, a.total_t[0], a.events_c, a.total_c[0]] for a in study_set.known], dtype=float)
    problem = SearchProblem(known.reshape(-1, 4), printed, statistics, model, chunk, max_survivors)
    reason = contradiction(printed, statistics)
    if reason:
        empty = np.zeros((0, len(unknown), 4), dtype=np.int32)
        return Reconstruction(analysis, study_set, printed, statistics, model, event_totals, n_candidates, 0, 0,
                              True, empty, search=f"none tested: no table can match, whatever the data ({reason})")
    if grids is not None and n_candidates <= max_candidates:
        jobs = [(grids, parts) for parts in pieces(grids, 4 * workers)] if n_candidates else []
        found = run(problem, exhaustive_task, jobs, workers if n_candidates > 4 * chunk else 1)
        search = f"every arm-size configuration that adds up ({len(grids):,}) x every event count" + \
            (" adding up to the event totals" if space.events is not None else "")
        exhaustive = True
    else:
        budget = -(-max_candidates // workers)
        sampler = Sampler(unknown, space.n_t, space.n_c, space.events)
        jobs = [(sampler, budget, seed + i) for i in range(workers)]
        found = run(problem, sampled_task, jobs, workers)
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


def reconstruct(review, analysis: str, study_set: StudySet | None = None, printed: PrintedResult | None = None,
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
    printed : PrintedResult, optional
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
    >>> from metarmc import load
    >>> result = reconstruct(load(), "adverse_reaction", event_totals=(26, 10))  # doctest: +SKIP
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
    printed = PrintedResult.from_row(row) if printed is None else printed
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
        chosen.setdefault(study_set.signature, []).append((rank, study_set))
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
