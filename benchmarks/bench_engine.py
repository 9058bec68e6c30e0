"""Benchmark: the batch core against statsmodels (and metafor when Rscript has it), same run.

Pools N random meta-analyses of k = 11 studies twice each: M-H OR fixed effect, and
DerSimonian-Laird random effects with HKSJ. Prints per-analysis times and, as its last line,
``ratio_vs_statsmodels=<x> seconds_per_million=<s>``.

    python benchmarks/bench_engine.py [--n 1000000] [--n-peer 300]

Targets on a 2-core machine: >= 100x statsmodels per analysis, <= 3 s per million analyses.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time

import numpy as np

from metarmc import pool_binary

K = 11
CHUNK = 20_000


def random_counts(n, rng):
    """Event counts like this review's trials: arms of 15-80, risks 0.3-0.7."""
    total_t = rng.integers(15, 80, (n, K)).astype(float)
    total_c = rng.integers(15, 80, (n, K)).astype(float)
    events_t = rng.binomial(total_t.astype(int), rng.uniform(0.3, 0.7, (n, K))).astype(float)
    events_c = rng.binomial(total_c.astype(int), rng.uniform(0.3, 0.7, (n, K))).astype(float)
    return events_t, total_t, events_c, total_c


def metarmc_seconds(counts) -> float:
    start = time.perf_counter()
    n = counts[0].shape[0]
    for lo in range(0, n, CHUNK):
        part = [c[lo:lo + CHUNK] for c in counts]
        pool_binary(*part, measure="OR", method="MH", model="fixed")
        pool_binary(*part, measure="OR", method="MH", model="random", hksj=True)
    return time.perf_counter() - start


def statsmodels_seconds(counts) -> float:
    from statsmodels.stats.contingency_tables import StratifiedTable
    from statsmodels.stats.meta_analysis import combine_effects

    et, nt, ec, nc = counts
    start = time.perf_counter()
    for i in range(et.shape[0]):
        tables = np.stack([np.stack([et[i], nt[i] - et[i]], -1), np.stack([ec[i], nc[i] - ec[i]], -1)], -2)
        st = StratifiedTable(np.moveaxis(tables, 0, -1))
        st.logodds_pooled, st.logodds_pooled_se
        a, b, c, d = et[i], nt[i] - et[i], ec[i], nc[i] - ec[i]
        yi, vi = np.log(a * d / (b * c)), 1 / a + 1 / b + 1 / c + 1 / d
        combine_effects(yi, vi, method_re="dl", use_t=True).conf_int()
    return time.perf_counter() - start


METAFOR_SCRIPT = """
suppressMessages(library(metafor)); library(jsonlite)
d <- fromJSON(commandArgs(TRUE)[1])
t0 <- proc.time()[["elapsed"]]
for (i in seq_len(nrow(d$et))) {
  ai <- d$et[i,]; ci <- d$ec[i,]
  rma.mh(ai=ai, n1i=d$nt[i,], ci=ci, n2i=d$nc[i,], measure="OR")
  rma(ai=ai, n1i=d$nt[i,], ci=ci, n2i=d$nc[i,], measure="OR", method="DL", test="knha")
}
cat(proc.time()[["elapsed"]] - t0)
"""


def metafor_seconds(counts) -> float | None:
    if not shutil.which("Rscript"):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        data, script = f"{tmp}/d.json", f"{tmp}/b.R"
        json.dump(dict(zip(("et", "nt", "ec", "nc"), (c.astype(int).tolist() for c in counts))), open(data, "w"))
        open(script, "w").write(METAFOR_SCRIPT)
        run = subprocess.run(["Rscript", script, data], capture_output=True, text=True)
    return float(run.stdout) if run.returncode == 0 else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="meta-analyses for metarmc")
    parser.add_argument("--n-peer", type=int, default=300, help="meta-analyses for statsmodels/metafor")
    args = parser.parse_args()
    rng = np.random.default_rng(2025)
    ours = metarmc_seconds(random_counts(args.n, rng)) / args.n
    peer_counts = random_counts(args.n_peer, rng)
    sm = statsmodels_seconds(peer_counts) / args.n_peer
    mf = metafor_seconds(peer_counts)
    print(f"metarmc      {ours * 1e6:10.3f} us per analysis (N={args.n}, fixed M-H + DL/HKSJ)")
    print(f"statsmodels  {sm * 1e6:10.3f} us per analysis (N={args.n_peer})")
    if mf is not None:
        print(f"metafor      {mf / args.n_peer * 1e6:10.3f} us per analysis (N={args.n_peer}); "
              f"ratio_vs_metafor={mf / args.n_peer / ours:.0f}")
    else:
        print("metafor      skipped (no Rscript with metafor)")
    print(f"ratio_vs_statsmodels={sm / ours:.0f} seconds_per_million={ours * 1e6:.2f}")


if __name__ == "__main__":
    main()
