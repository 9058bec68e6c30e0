"""Benchmark: candidate meta-analyses of k = 11 pooled and tested per minute by the forensics search.

The eleven live-birth tables of the review (the eight sourced main rows, the Jafarzadeh group's
non-main row, and two made-up tables standing in for Carp 2001 and Jørgensen 2020) are pooled
(M-H fixed effect), printed at RevMan's precision, and the counts of two studies are hidden;
:func:`metarmc.forensics.reconstruct_tables` then searches every table of the hidden studies
exhaustively, in chunks, on all available CPUs. Prints the search and, as its last line,
``candidates_per_minute=<x> peak_mb=<m>`` (peak resident memory of this process or any worker,
from ``resource.getrusage``).

    python benchmarks/bench_reconstruct.py [--hide "Carp 2001,Yamada 2022"] [--chunk 32768] [--model fixed]

Target on a 2-core machine: >= 1e7 candidates per minute.
"""

from __future__ import annotations

import argparse
import resource
import time

import pandas as pd

from metarmc import PrintedResult, meta_binary
from metarmc.forensics import hide, reconstruct_tables
from metarmc.forensics.search import CHUNK, default_workers

TABLES = pd.DataFrame([
    ("Carp 2001 (made up)", 45, 75, 30, 76),
    ("Christiansen 1995", 9, 17, 5, 17),
    ("Christiansen 2002", 13, 29, 13, 29),
    ("Christiansen 2015", 23, 42, 20, 40),
    ("Coulam 1995", 18, 29, 11, 32),
    ("Jablonowska 1999", 17, 22, 15, 19),
    ("Jafarzadeh 2019", 38, 44, 21, 50),
    ("Jørgensen 2020 (made up)", 12, 19, 8, 20),
    ("Peero 2024", 32, 49, 32, 94),
    ("Stephenson 2010", 16, 23, 15, 24),
    ("Yamada 2022", 29, 50, 17, 49),
], columns=["study", "events_t", "total_t", "events_c", "total_c"])


def peak_mb() -> float:
    """Peak resident set size of this process or of its largest finished child, in MB (Linux: KB units)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hide", default="Carp 2001 (made up),Yamada 2022")
    parser.add_argument("--chunk", type=int, default=CHUNK)
    parser.add_argument("--model", choices=("fixed", "random"), default="fixed")
    parser.add_argument("--workers", type=int, default=default_workers())
    args = parser.parse_args()
    hidden = [name.strip() for name in args.hide.split(",")]
    printed = PrintedResult.from_result(meta_binary(TABLES, model=args.model))
    study_set = hide(TABLES, hidden)
    start = time.perf_counter()
    result = reconstruct_tables(study_set, printed, model=args.model, chunk=args.chunk,
                                max_candidates=10**12, workers=args.workers)
    seconds = time.perf_counter() - start
    print(f"k={len(TABLES)}, hidden: {', '.join(hidden)}; printed {printed} ({args.model} effect)")
    print(f"{result.n_tested:,} candidates tested in {seconds:.1f} s on {args.workers} process(es), "
          f"chunks of {args.chunk:,}; exhaustive={result.exhaustive}; {result.n_survivors:,} survive")
    print(f"candidates_per_minute={result.n_tested / seconds * 60:.3g} peak_mb={peak_mb():.0f}")


if __name__ == "__main__":
    main()
