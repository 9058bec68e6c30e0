"""metarmc.simulate: simulated meta-analyses through the batch engine, and coverage.

Expected values come from the data-generating model itself (a known treated-arm risk, a
known τ², the nominal 95% of an interval that is exact in large samples), with tolerances of
a few Monte Carlo standard errors, worked out in the comments.

Tolerances: rel=1e-12 where the batch engine is compared with single calls on the same numbers
(chunking changes nothing but rounding).
"""

import math

import numpy as np
import pandas as pd
import pytest

from metarmc import meta_binary, pool_binary
from metarmc import simulate as sim

ONE_TRIAL = pd.DataFrame({"total_t": [1000], "total_c": [1000], "events_c": [500]})


def test_same_seed_same_meta_analyses_and_another_seed_others(live_birth):
    first = sim.simulate_binary_meta(200, (8, 11), live_birth, 0.7, 0.05, seed=7)
    again = sim.simulate_binary_meta(200, (8, 11), live_birth, 0.7, 0.05, seed=7)
    other = sim.simulate_binary_meta(200, (8, 11), live_birth, 0.7, 0.05, seed=8)
    for a, b in zip(first.counts(), again.counts()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(first.include, again.include)
    assert not np.array_equal(first.events_t, other.events_t)


def test_shapes_study_counts_and_arms_come_from_the_design(live_birth):
    meta = sim.simulate_binary_meta(3000, (8, 11), live_birth, seed=1)
    assert meta.events_t.shape == meta.total_c.shape == meta.include.shape == (3000, 11)
    assert meta.log_or.shape == meta.tau2.shape == (3000,)
    assert set(np.unique(meta.k)) == {8, 9, 10, 11}  # 3000 draws reach both ends
    arms = set(zip(meta.total_t[meta.include], meta.total_c[meta.include]))
    assert arms <= set(zip(live_birth["total_t"], live_birth["total_c"]))
    assert (meta.events_t <= meta.total_t).all() and (meta.events_c <= meta.total_c).all()
    bigger = sim.simulate_binary_meta(50, 3, live_birth, arm_scale=2.5, seed=1)
    assert set(bigger.total_c.ravel()) <= {round(2.5 * n) for n in live_birth["total_c"]}
    assert "50 meta-analyses of 3 studies" in repr(bigger)


def test_events_follow_the_control_risk_and_the_odds_ratio():
    # p0 = 500/1000 = 0.5, OR = 3, tau2 = 0: treated risk 0.5*3 / (0.5 + 0.5*3) = 0.75.
    # 500 meta-analyses x 2 studies x 1000 women: SE of the mean risk sqrt(.75*.25/1e6) = 0.0004
    meta = sim.simulate_binary_meta(500, 2, ONE_TRIAL, log_or=math.log(3), seed=1)
    assert (meta.events_t / meta.total_t).mean() == pytest.approx(0.75, abs=0.002)
    assert (meta.events_c / meta.total_c).mean() == pytest.approx(0.5, abs=0.002)


def test_estimated_tau2_recovers_the_true_one_with_big_trials(live_birth):
    # Arms 50x the live-birth ones: within-study variances ~0.003, far below tau2 = 0.1, so
    # REML is nearly unbiased. SD of one estimate ~ 0.1*sqrt(2/10) = 0.045; mean of 2000: 0.001.
    meta = sim.simulate_binary_meta(2000, 11, live_birth, 0.5, 0.1, arm_scale=50, seed=3)
    assert sim.pool(meta, model="random", tau2="REML").tau2.mean() == pytest.approx(0.1, abs=0.005)


def test_fixed_effect_interval_covers_95_percent_without_heterogeneity_and_large_trials(live_birth):
    # tau2 = 0 and arms 20x the live-birth ones: the M-H Wald interval is nearly exact.
    # MC SE sqrt(.95*.05/4000) = 0.0034; allow 3.5 SE.
    meta = sim.simulate_binary_meta(4000, 10, live_birth, 0.5, 0.0, arm_scale=20, seed=1)
    row = sim.coverage(meta, {"fixed": {"model": "fixed"}}).iloc[0]
    assert row["n_meta"] == 4000 and row["n_failed"] == 0
    assert row["coverage"] == pytest.approx(0.95, abs=0.012)
    assert row["mc_se"] == pytest.approx(math.sqrt(row["coverage"] * (1 - row["coverage"]) / 4000))


def test_fixed_effect_interval_undercovers_when_effects_vary_and_hksj_does_not(live_birth):
    # tau2 = 0.5 with trials this size: the fixed-effect interval ignores the spread of the
    # true effects (coverage ~0.75); HKSJ's t interval stays near 0.95 (IntHout et al. 2014).
    grid = sim.scenario_grid([0.0], [0.5], 3000)
    meta = sim.simulate_binary_meta(len(grid), (8, 11), live_birth, grid["log_or"], grid["tau2"], seed=2)
    out = sim.coverage(meta, {"fixed": {"model": "fixed"},
                              "hksj": {"model": "random", "hksj": True}}).set_index("interval")
    assert out.loc["fixed", "coverage"] < 0.82
    assert out.loc["hksj", "coverage"] == pytest.approx(0.95, abs=0.015)
    assert out.loc["hksj", "mean_width"] > out.loc["fixed", "mean_width"]


def test_coverage_has_one_row_per_scenario_and_interval(live_birth):
    grid = sim.scenario_grid([0.0, 0.7], [0.0, 0.05, 0.2], 40)
    meta = sim.simulate_binary_meta(len(grid), (8, 11), live_birth, grid["log_or"], grid["tau2"], seed=4)
    out = sim.coverage(meta)
    assert list(out.columns) == list(sim.COVERAGE_COLUMNS)
    assert len(out) == 2 * 3 * len(sim.INTERVALS)
    assert (out["n_meta"] == 40).all()
    assert meta.scenarios()["n_meta"].tolist() == [40] * 6
    assert ((out["mc_low"] <= out["coverage"]) & (out["coverage"] <= out["mc_high"])).all()


def test_scenario_grid_cycles_the_pairs_fastest():
    grid = sim.scenario_grid([0.0, 1.0], [0.0, 0.3], 2)
    assert list(zip(grid["log_or"], grid["tau2"])) == [(0, 0), (0, 0.3), (1, 0), (1, 0.3)] * 2


def test_pooling_in_chunks_equals_one_batch_call_and_meta_binary(live_birth):
    meta = sim.simulate_binary_meta(300, (8, 11), live_birth, 0.7, 0.2, seed=5)
    chunked = sim.pool(meta, chunk=7, model="random", tau2="DL", hksj=True)
    whole = pool_binary(*meta.counts(), include=meta.include, model="random", tau2="DL", hksj=True)
    for name in ("estimate", "ci_low", "ci_high", "tau2", "i2"):
        np.testing.assert_allclose(getattr(chunked, name), getattr(whole, name), rtol=1e-12)
    first = meta.to_frame().query("meta == 0").assign(study=lambda f: f["study"].astype(str))
    single = meta_binary(first, model="random", hksj=True)
    assert math.log(single.estimate) == pytest.approx(chunked.estimate[0], rel=1e-12)
    assert single.tau2 == pytest.approx(chunked.tau2[0], rel=1e-12)


def test_same_tau2_gives_higher_i2_with_bigger_trials(live_birth):
    # I2 ~ tau2 / (tau2 + s2): multiplying the arms by 16 divides s2 by ~16.
    out = sim.heterogeneity_by_arm_size(live_birth, 0.05, [1, 4, 16], 2000, 8, seed=1)
    assert list(out.columns) == list(sim.HETEROGENEITY_COLUMNS)
    assert out["median_i2"].is_monotonic_increasing and out["median_i2"].iloc[-1] > 50
    assert out["share_i2_zero"].is_monotonic_decreasing
    assert out["median_arm"].tolist() == [29.0, 116.0, 464.0]  # median live-birth arm is 29
    assert (out["tau2"] == 0.05).all()


@pytest.mark.parametrize("call, message", [
    (lambda table: sim.simulate_binary_meta(0, 8, table), "n_meta must be a positive integer"),
    (lambda table: sim.simulate_binary_meta(10, 1, table), "k must be at least 2"),
    (lambda table: sim.simulate_binary_meta(10, (9, 8), table), "smallest <= largest"),
    (lambda table: sim.simulate_binary_meta(10, (2, 3, 4), table), "k must be an integer or a"),
    (lambda table: sim.simulate_binary_meta(10, 8, table.drop(columns="events_c")), "missing column"),
    (lambda table: sim.simulate_binary_meta(10, 8, table, tau2=-0.1), "tau2 must be >= 0"),
    (lambda table: sim.simulate_binary_meta(10, 8, table, log_or=[0.0, 1.0]), "array of n_meta"),
    (lambda table: sim.simulate_binary_meta(10, 8, table, arm_scale=0), "arm_scale must be"),
    (lambda table: sim.simulate_binary_meta(10, 8, table.assign(events_c=99)), "between 0 and total_c"),
    (lambda table: sim.coverage(sim.simulate_binary_meta(5, 3, table, seed=1), {}), "intervals is empty"),
    (lambda table: sim.coverage(sim.simulate_binary_meta(5, 3, table, seed=1), method="Peto"), "method must be"),
    (lambda table: sim.scenario_grid([0.0], [0.0], 0), "n_each must be"),
])
def test_bad_input_names_what_was_expected(call, message, live_birth):
    with pytest.raises(ValueError, match=message):
        call(live_birth)


def test_publication_selection_keeps_significant_favourable_trials_and_the_first_k():
    design = pd.DataFrame({"total_t": [50, 30], "total_c": [50, 30], "events_c": [20, 12]})
    ran = sim.simulate_binary_meta(400, 40, design, log_or=0.0, seed=5)
    everything = sim.publication_selection(ran, keep=1.0, k=8, seed=1)
    assert everything.include.all() and (everything.events_t == ran.events_t[:, :8]).all()  # the first 8 trials
    a, b, c, d = ran.events_t, ran.total_t - ran.events_t, ran.events_c, ran.total_c - ran.events_c
    cells = np.array([a, b, c, d], dtype=float)   # Woolf's log OR, 0.5 added to a trial with a zero cell
    corrected = np.where((cells == 0).any(axis=0), cells + 0.5, cells)
    yi = np.log(corrected[0] * corrected[3] / (corrected[1] * corrected[2]))
    z = yi / np.sqrt((1 / corrected).sum(axis=0))
    for favoured, significant in (("higher", z > 1.959963984540054), ("lower", z < -1.959963984540054)):
        only = sim.publication_selection(ran, keep=0.0, k=40, favoured=favoured, seed=1)  # favourable P < 0.05 only
        assert (only.k == significant.sum(axis=1)).all()
        row = int(np.argmax(significant.sum(axis=1)))
        assert (only.events_t[row, :only.k[row]] == ran.events_t[row, significant[row]]).all()
    again = sim.publication_selection(ran, keep=0.3, k=8, seed=7)
    assert (again.include == sim.publication_selection(ran, keep=0.3, k=8, seed=7).include).all()
    assert again.events_t.shape == (400, 8) and again.k.max() == 8
    with pytest.raises(ValueError, match="keep must be a probability"):
        sim.publication_selection(ran, keep=1.5, k=8)
