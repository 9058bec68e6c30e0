"""The candidate space of a reconstruction: arm-size configurations, then event tables.

For each study whose counts are unknown, every arm size the study set allows and every
``0 <= events_t <= total_t``, ``0 <= events_c <= total_c``, with the arm sizes of the
unknown studies adding up to what the printed totals leave for them (and, if given, the
event totals too). :class:`Space` enumerates it (:class:`Grid` per arm-size configuration,
addressable by a linear index) when it is small enough, counts it (exactly or by FFT
convolution) otherwise, and :class:`Sampler` draws from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from .study_sets import Arms, StudySet, fitted, hull

#: Most arm-size configurations enumerated before the space counts as too big to enumerate.
CONFIG_LIMIT = 1_000_000


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
class Grid:
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


def _grids(configs, event_totals) -> list[Grid]:
    if event_totals is None:
        return [Grid(arms) for arms in configs]
    grids = []
    for arms in configs:
        rows = (_sums(arms[:, 0], event_totals[0]), _sums(arms[:, 1], event_totals[1]))
        if len(rows[0]) and len(rows[1]):
            grids.append(Grid(arms, rows))
    return grids


def approximate_count(unknown, n_t, n_c) -> float:
    """Number of candidate tables, by convolving each study's (arm sizes -> tables) counts (FFT)."""
    from scipy import signal  # imported here: scipy.signal takes seconds to import, and only this needs it

    state = np.zeros((n_t + 1, n_c + 1))
    state[0, 0] = 1.0
    for arm in unknown:
        pairs = arm.pairs()
        pairs = pairs[(pairs[:, 0] <= n_t) & (pairs[:, 1] <= n_c)]
        weights = np.zeros((n_t + 1, n_c + 1))
        weights[pairs[:, 0], pairs[:, 1]] = (pairs[:, 0] + 1.0) * (pairs[:, 1] + 1.0)
        state = np.maximum(signal.fftconvolve(state, weights)[:n_t + 1, :n_c + 1], 0.0)
    return float(state[n_t, n_c])


class Sampler:
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
            grid = Grid(np.array([[left_t, left_c]]))
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


def pieces(grids, n_tasks) -> list[list[tuple[int, int, int]]]:
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


@dataclass(frozen=True)
class Space:
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
    def of(cls, study_set: StudySet, event_totals=None) -> Space:
        arms = fitted(study_set.arms, study_set.n_t, study_set.n_c)
        if arms is None:
            raise ValueError(f"the study set's arm sizes cannot add up to {study_set.n_t}/{study_set.n_c}")
        study_set = replace(study_set, arms=arms)
        known = study_set.known
        n_t = study_set.n_t - sum(a.total_t[0] for a in known)
        n_c = study_set.n_c - sum(a.total_c[0] for a in known)
        events = None if event_totals is None else (event_totals[0] - sum(a.events_t for a in known),
                                                    event_totals[1] - sum(a.events_c for a in known))
        configs = _arm_configs(study_set.unknown, n_t, n_c, limit=CONFIG_LIMIT)
        grids = None if configs is None else _grids(configs, events)
        n_candidates = None if grids is None else _exact(sum(float(g.size) for g in grids))
        if grids is None and events is None:
            n_candidates = approximate_count(study_set.unknown, n_t, n_c)
        return cls(study_set, n_t, n_c, events, grids, n_candidates)


def count_candidates(study_set: StudySet, event_totals: tuple[int, int] | None = None) -> int | float | None:
    """How many candidate tables a study set has (an int when exact, a float when approximate)."""
    return Space.of(study_set, event_totals).n_candidates


def _exact(x: float) -> int | float:
    """An integer count when float arithmetic kept it exact, else the float (approximate)."""
    return int(x) if x < 2**53 else x
