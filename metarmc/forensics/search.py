"""Running a reconstruction: screening candidates cheaply, pooling the rest, on several processes.

Speed: a cheap first pass (:func:`screen`: the M-H fixed estimate, its CI, Z and P, and I²
from Cochran's Q, computed with the engine's own functions on the zero-cell-corrected cells
of :func:`metarmc.pooling.prepare_binary`, the sourced studies' part computed once) discards
candidates that cannot match, with a tolerance wider than the final test's; the few that
remain are pooled in full by :func:`metarmc.pooling.pool_binary`. Candidates are processed in
chunks (bounded memory); each task gets the :class:`SearchProblem` it works on as an
argument, so the same task runs inline or on worker processes.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np

from ..effects import Cells, log_odds_ratio
from ..heterogeneity import cochran_q, i_squared, tau2_dersimonian_laird
from ..pooling import inverse_variance, mh_odds_ratio, pool_binary, prepare_binary
from ..printed import PrintedResult
from ..wls import study_count
from .matching import SCREEN_SLACK, compatible, compatible_effect, compatible_pooled
from .space import Grid, Sampler

#: Default number of candidates pooled at once: small enough for the arrays to stay in cache
#: (fastest on the benchmark), a few MB per process.
CHUNK = 2_048


@dataclass(frozen=True)
class SearchProblem:
    """What every task needs: the sourced tables, the test, and the sizes of the work."""

    known: np.ndarray            # (k_known, 4): events_t, total_t, events_c, total_c
    printed: PrintedResult
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

        :func:`screen` first; the rest pooled in full by :func:`~metarmc.pooling.pool_binary`
        and tested with :func:`~metarmc.forensics.matching.compatible_pooled`.
        """
        cells, include = corrected(self.known.T, candidates)
        keep = np.flatnonzero(screen(cells, include, self.printed, self.statistics, self.model))
        if len(keep):
            counts = self.tables(candidates[keep])
            pooled = pool_binary(*counts, measure="OR", method="MH", model=self.model)
            keep = keep[compatible_pooled(self.printed, pooled, self.statistics)]
        mask = np.zeros(len(candidates), dtype=bool)
        mask[keep] = True
        return mask


def corrected(known, candidates) -> tuple[Cells, np.ndarray]:
    """The zero-cell-corrected cells and estimable mask of every candidate (:func:`~metarmc.pooling.prepare_binary`).

    The corrections are per study, so preparing the sourced and the candidate columns
    separately and joining them gives the same cells as preparing the joined table; the
    sourced studies' part is computed once.
    """
    fixed = prepare_binary(*known, measure="OR")
    free = prepare_binary(*(candidates[:, :, j] for j in range(4)), measure="OR")
    size = (len(candidates), len(fixed.include))
    cells = Cells(*(np.concatenate([np.broadcast_to(f, size), x], axis=1) for f, x in zip(fixed.cells, free.cells)))
    return cells, np.concatenate([np.broadcast_to(fixed.include, size), free.include], axis=1)


def screen(cells: Cells, include, printed: PrintedResult, statistics, model: str) -> np.ndarray:
    """Cheap first pass: False only for candidates that cannot round to the printed values.

    The same steps as :func:`~metarmc.pooling.pool_binary`, with the engine's own functions
    (:func:`~metarmc.pooling.mh_odds_ratio`, :func:`~metarmc.effects.log_odds_ratio`,
    :func:`~metarmc.heterogeneity.cochran_q`, :func:`~metarmc.heterogeneity.tau2_dersimonian_laird`,
    :func:`~metarmc.pooling.inverse_variance`) on the same zero-cell-corrected cells, but only
    as far as the imposed statistics need and on the candidates still in the running, with the
    wider tolerance :data:`~metarmc.forensics.matching.SCREEN_SLACK`: the M-H estimate (fixed
    effect: its CI, Z and P are tested at once), then Q for I² and for the DerSimonian-Laird
    τ², then the random-effects estimate.
    """
    effect = tuple(s for s in statistics if s != "i2")
    with np.errstate(divide="ignore", invalid="ignore"):
        rows = np.arange(len(include))
        estimate, se, _ = mh_odds_ratio(cells, include)
        if model == "fixed" and effect:
            rows = rows[compatible_effect(printed, estimate, se, effect)]
        if "i2" in statistics or (model == "random" and effect):
            sub, inc = Cells(*(x[rows] for x in cells)), include[rows]
            yi, vi = log_odds_ratio(sub)
            df = study_count(inc) - 1
            q = np.where(df > 0, cochran_q(yi, vi, estimate[rows], inc), 0.0)
            ok = compatible(printed, None, None, None, None, None, i_squared(q, df), ("i2",), SCREEN_SLACK) \
                if "i2" in statistics else np.ones(len(rows), dtype=bool)
            if model == "random" and effect:
                yi, vi, inc, q, rows = yi[ok], vi[ok], inc[ok], q[ok], rows[ok]
                estimate, se, _ = inverse_variance(yi, vi, inc, tau2_dersimonian_laird(q, vi, inc))
                ok = compatible_effect(printed, estimate, se, effect)
            rows = rows[ok]
    keep = np.zeros(len(include), dtype=bool)
    keep[rows] = True
    return keep


@dataclass
class Found:
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

    def merge(self, other: Found) -> Found:
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


def exhaustive_task(problem: SearchProblem, grids: list[Grid], parts) -> Found:
    """Test every candidate of the ``(grid, lo, hi)`` index ranges ``parts``."""
    found = Found(problem.max_survivors)
    for g, lo, hi in parts:
        for start in range(lo, hi, problem.chunk):
            candidates = grids[g].decode(start, min(hi, start + problem.chunk))
            found.add(candidates, problem.survives(candidates))
    return found


def sampled_task(problem: SearchProblem, sampler: Sampler, budget: int, seed: int) -> Found:
    """Test about ``budget`` candidates drawn by ``sampler`` with the random ``seed``."""
    rng = np.random.default_rng(seed)
    found = Found(problem.max_survivors)
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


def run(problem: SearchProblem, task, jobs, workers: int) -> Found:
    """Run ``task(problem, *job)`` for every job, on ``workers`` processes when there are several."""
    found = Found(problem.max_survivors)
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            found.merge(task(problem, *job))
        return found
    with ProcessPoolExecutor(workers) as pool:
        for part in pool.map(task, repeat(problem), *zip(*jobs)):
            found.merge(part)
    return found


def default_workers() -> int:
    """The CPUs this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
