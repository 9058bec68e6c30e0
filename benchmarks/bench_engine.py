"""Benchmark: the batch core against a bare-numpy floor, statsmodels and metafor, in one run.

Pools N random meta-analyses of k = 11 studies twice each: M-H OR fixed effect, and
DerSimonian-Laird random effects (from the M-H Q) with HKSJ. The same work is done by

* ``metarmc.pool_binary`` (the engine, with its checks and its ``Pooled`` result),
* a *floor*: the same formulas written as bare vectorised numpy (no option checks, no
  estimability mask, no result object), chunk by chunk interleaved with the engine's runs
  (the order alternates, so neither gets the warmer cache), and checked to give the engine's
  numbers on the first chunk, so that it is the same work;
* statsmodels and metafor (when Rscript has it), one analysis at a time, on fewer analyses.

Prints per-analysis times and, as its last line,
``ratio_vs_floor=<x> ratio_vs_statsmodels=<y> seconds_per_million=<s>``.

    python benchmarks/bench_engine.py [--n 1000000] [--n-peer 300] [--repeat 3]

Targets on a 2-core machine: >= 100x statsmodels per analysis, <= 3 s per million analyses,
at most 2x the floor. ``--repeat`` runs the engine/floor comparison that many times and
prints each ratio: this machine is shared and noisy, so look at the spread, not one number.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time

import numpy as np
from scipy import special

from metarmc import pool_binary

K = 11
CHUNK = 20_000
Z_95 = float(special.ndtri(0.975))
T_975 = float(special.stdtrit(K - 1, 0.975))  # every analysis here has k = 11, df = 10


def random_counts(n, rng):
    """Event counts like this review's trials: arms of 15-80, risks 0.3-0.7."""
    total_t = rng.integers(15, 80, (n, K)).astype(float)
    total_c = rng.integers(15, 80, (n, K)).astype(float)
    events_t = rng.binomial(total_t.astype(int), rng.uniform(0.3, 0.7, (n, K))).astype(float)
    events_c = rng.binomial(total_c.astype(int), rng.uniform(0.3, 0.7, (n, K))).astype(float)
    return events_t, total_t, events_c, total_c


# --------------------------------------------------------------------------- the engine
def engine(counts):
    fixed = pool_binary(*counts, measure="OR", method="MH", model="fixed")
    random = pool_binary(*counts, measure="OR", method="MH", model="random", hksj=True)
    return fixed, random


# --------------------------------------------------------------------------- the floor
def _mh_fixed(events_t, total_t, events_c, total_c):
    """M-H OR (Robins-Breslow-Greenland variance), Q around it, I²: RevMan's formulas, bare."""
    ones = np.ones(K)
    a, c = events_t, events_c
    b, d = total_t - a, total_c - c
    shift = 0.5 * (a * b * c * d == 0)  # RevMan's zero-cell rule
    a, b, c, d = a + shift, b + shift, c + shift, d + shift
    n = a + b + c + d
    r_, s_ = a * d / n, b * c / n
    p_ = (a + d) / n
    r, s = r_ @ ones, s_ @ ones
    pr, ps = (p_ * r_) @ ones, (p_ * s_) @ ones
    estimate = np.log(r / s)
    se = np.sqrt(0.5 * (pr / r**2 + (ps + r - pr) / (r * s) + (s - ps) / s**2))
    yi, vi = np.log(a * d / (b * c)), 1 / a + 1 / b + 1 / c + 1 / d
    w = 1 / vi
    q = (w * (yi - estimate[:, None]) ** 2) @ ones
    return estimate, se, s_ / s[:, None], yi, vi, w, q


def _heterogeneity(q):
    df = K - 1
    return special.chdtrc(df, q), np.where(q > df, (q - df) / q * 100, 0.0)


def floor(counts):
    """Both analyses of ``engine``, as bare numpy; returns the main numbers of each."""
    ones = np.ones(K)
    estimate, se, weight, yi, vi, w, q = _mh_fixed(*counts)
    q_p, i2 = _heterogeneity(q)
    z = estimate / se
    fixed = dict(estimate=estimate, se=se, ci_low=estimate - Z_95 * se, ci_high=estimate + Z_95 * se,
                 z=z, p=2 * special.ndtr(-np.abs(z)), q=q, q_p=q_p, i2=i2, weight=100 * weight)

    mh, _, _, yi, vi, w, q = _mh_fixed(*counts)  # the random analysis starts again, as the engine's call
    q_p, i2 = _heterogeneity(q)
    sw = w @ ones
    tau2 = np.maximum(0.0, (q - (K - 1)) / (sw - (w**2) @ ones / sw))
    wr = 1 / (vi + tau2[:, None])
    swr = wr @ ones
    estimate = (wr * yi) @ ones / swr
    se = np.sqrt((wr * (yi - estimate[:, None]) ** 2) @ ones / ((K - 1) * swr))  # HKSJ
    t = estimate / se
    random = dict(estimate=estimate, se=se, ci_low=estimate - T_975 * se, ci_high=estimate + T_975 * se,
                  z=t, p=2 * special.stdtr(K - 1, -np.abs(t)), q=q, q_p=q_p, i2=i2, tau2=tau2,
                  weight=100 * wr / swr[:, None])
    return fixed, random


def check_same_work(counts) -> None:
    """The floor gives the engine's numbers (rtol 1e-12: the same formulas, summed the same way)."""
    for ours, bare in zip(engine(counts), floor(counts)):
        for name, values in bare.items():
            np.testing.assert_allclose(getattr(ours, name), values, rtol=1e-12, atol=1e-300, err_msg=name)


def engine_and_floor_seconds(counts) -> tuple[float, float]:
    """Seconds for all of ``counts``, chunk by chunk, the two interleaved (order alternating)."""
    spent = {engine: 0.0, floor: 0.0}
    n = counts[0].shape[0]
    for i, lo in enumerate(range(0, n, CHUNK)):
        part = [c[lo:lo + CHUNK] for c in counts]
        for run in ((engine, floor) if i % 2 == 0 else (floor, engine)):
            start = time.perf_counter()
            run(part)
            spent[run] += time.perf_counter() - start
    return spent[engine], spent[floor]


# --------------------------------------------------------------------------- the peers
def statsmodels_seconds(counts) -> float:
    from statsmodels.stats.contingency_tables import StratifiedTable
    from statsmodels.stats.meta_analysis import combine_effects

    et, nt, ec, nc = counts
    start = time.perf_counter()
    for i in range(et.shape[0]):
        tables = np.stack([np.stack([et[i], nt[i] - et[i]], -1), np.stack([ec[i], nc[i] - ec[i]], -1)], -2)
        st = StratifiedTable(np.moveaxis(tables, 0, -1))
        _ = st.logodds_pooled, st.logodds_pooled_se  # properties: computed when read
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
        with open(data, "w") as out:
            json.dump(dict(zip(("et", "nt", "ec", "nc"), (c.astype(int).tolist() for c in counts))), out)
        with open(script, "w") as out:
            out.write(METAFOR_SCRIPT)
        run = subprocess.run(["Rscript", script, data], capture_output=True, text=True)
    return float(run.stdout) if run.returncode == 0 else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="meta-analyses for metarmc and the floor")
    parser.add_argument("--n-peer", type=int, default=300, help="meta-analyses for statsmodels/metafor")
    parser.add_argument("--repeat", type=int, default=1, help="engine/floor comparisons to run")
    args = parser.parse_args()
    rng = np.random.default_rng(2025)
    counts = random_counts(args.n, rng)
    check_same_work([c[:CHUNK] for c in counts])
    ratios = []
    for _ in range(args.repeat):
        ours, bare = engine_and_floor_seconds(counts)
        ratios.append(ours / bare)
        ours, bare = ours / args.n, bare / args.n
        print(f"metarmc      {ours * 1e6:10.3f} us per analysis (N={args.n}, fixed M-H + DL/HKSJ)")
        print(f"numpy floor  {bare * 1e6:10.3f} us per analysis (same formulas, no checks or result objects); "
              f"ratio {ratios[-1]:.2f}")
    peer_counts = random_counts(args.n_peer, rng)
    sm = statsmodels_seconds(peer_counts) / args.n_peer
    mf = metafor_seconds(peer_counts)
    print(f"statsmodels  {sm * 1e6:10.3f} us per analysis (N={args.n_peer})")
    if mf is not None:
        print(f"metafor      {mf / args.n_peer * 1e6:10.3f} us per analysis (N={args.n_peer}); "
              f"ratio_vs_metafor={mf / args.n_peer / ours:.0f}")
    else:
        print("metafor      skipped (no Rscript with metafor)")
    if args.repeat > 1:
        print(f"ratio_vs_floor over {args.repeat} runs: " + ", ".join(f"{r:.2f}" for r in ratios))
    print(f"ratio_vs_floor={ratios[-1]:.2f} ratio_vs_statsmodels={sm / ours:.0f} "
          f"seconds_per_million={ours * 1e6:.2f}")


if __name__ == "__main__":
    main()
