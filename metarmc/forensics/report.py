"""The reconstruction as text, for the command line: the fitting study sets and each search."""

from __future__ import annotations

import numpy as np

from ..formatting import counted
from ..review.registry import INTERVENTION
from .reconstruct import Reconstruction, describe_count
from .study_sets import StudySets


def format_sets(sets: StudySets, limit: int = 10) -> str:
    """The fitting study sets as text: how the search went, then one line per set."""
    mode = ("relaxed: studies with unknown counts may have fewer patients than Table 1 n" if sets.relaxed
            else "sourced arm sizes, or Table 1 n with a free split")
    lines = [f"Study sets adding up to k={sets.k}, {INTERVENTION} {sets.n_t}, control {sets.n_c} ({mode}):",
             f"  exhaustive search of {sets.n_subsets:,} subsets of {sets.n_candidate_studies} candidate studies, "
             f"{sets.n_readings:,} readings of their arm sizes: {len(sets)} fit"]
    lines += [f"  note: {sets.note}"] if sets.note else []
    for i, s in enumerate(sets.sets[:limit]):
        lines.append(f"  {i + 1}. [{counted(len(s.departures), 'departure')}] {s}")
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
             f"  candidates {describe_count(result.n_candidates)}, tested {result.n_tested:,}, "
             f"surviving tables {result.n_survivors:,}"]
    lines += [f"  {line}" for line in result.describe_ranges()]
    shown = np.unique(np.linspace(0, len(result.survivors) - 1, min(samples, len(result.survivors))).astype(int))
    for i in shown:
        cells = "; ".join(f"{a.study} {s[0]}/{s[1]} vs {s[2]}/{s[3]}"
                          for a, s in zip(result.unknown, result.survivors[i]))
        lines.append(f"  table {i + 1}: {cells}")
    return "\n".join(lines)
