"""Cumulative meta-analysis and trial sequential analysis (metarmc.cumulative, metarmc.sequential).

External references: Egerup et al. 2015 (PLoS One 10:e0141588) for the required information
size; R/rpact 3.3.4 for the boundaries (validation/tsa/make_reference.R -> reference.json,
each case's exact rpact call stored with it); closed forms and hand-worked values elsewhere.

Tolerances: against rpact, as each test's comments say (rpact solves its boundaries to about 1e-8 in
the spent alpha and 1e-6 in z); rel=1e-14 for identities that are exact in floating point but for
one rounding (a fraction, a sign flip), rel=1e-12 for closed forms worked by hand, rel=1e-9 where a
boundary is found again by the root finder.
"""

import csv
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import special

import metarmc.cumulative as cumulative_module
from metarmc import meta_binary, meta_continuous, pool_effects
from metarmc.cumulative import cumulative_meta_analysis
from metarmc.data import load
from metarmc.sequential import (
    boundary_curve,
    diversity,
    obrien_fleming_spending,
    required_information_size,
    sequential_boundaries,
    tsa,
)

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = json.loads((ROOT / "validation" / "tsa" / "reference.json").read_text())
CASES = {case["id"]: case for case in REFERENCE["cases"]}
Z_95 = 1.959963984540054

#: Five trials in publication order (the table order is deliberately not the year order).
TRIALS = pd.DataFrame({
    "study": ["Eve 2011", "Ada 1998", "Bea 2004", "Cid 2004", "Dot 2008"],
    "year": [2011, 1998, 2004, 2004, 2008],
    "events_t": [30, 12, 20, 9, 25],
    "total_t": [80, 40, 60, 30, 70],
    "events_c": [42, 15, 27, 14, 35],
    "total_c": [80, 40, 60, 30, 70],
})


# --- required information size (Egerup et al. 2015) ------------------------------------------

def test_ris_reproduces_egerup_2015_all_trials():
    # Egerup 2015 PLoS One, Fig 2 legend (B): "The diversity-adjusted required information size
    # (DARIS) of 1,008 patients was calculated on the basis of type I error of 5%, type II error
    # of 20%, the control group event proportion (PC) of 43%, a relative risk reduction (RRR) of
    # 20%, and the diversity (D2) 0%" (data/extraction/egerup2015-tsa.md).
    # p_e = 0.344, delta = 0.086, p_bar = 0.387; 4 (1.959964 + 0.841621)^2 0.387 0.613 / 0.086^2
    # = 1007.03 -> 1,008.
    assert required_information_size(0.43, 0.20, alpha=0.05, power=0.80, d2=0.0) == 1008


def test_ris_reproduces_egerup_2015_secondary_rm():
    # Egerup 2015, Fig 3 legend (B): "DARIS of 698 patients ... type I error of 5%, type II error
    # of 20%, the control group event proportion (PC) of 53%, a relative risk reduction (RRR) of
    # 20%, and the diversity (D2) 0%". p_e = 0.424, delta = 0.106, p_bar = 0.477 -> 697.07 -> 698.
    assert required_information_size(0.53, 0.20, alpha=0.05, power=0.80, d2=0.0) == 698


def test_ris_diversity_adjustment_divides_by_one_minus_d2():
    # 1007.03 / (1 - 0.25) = 1342.7 -> 1343; and 90% power: (1.959964 + 1.281552)^2 = 10.5074
    # -> 4 * 10.5074 * 0.237231 / 0.007396 = 1348.1 -> 1349.
    assert required_information_size(0.43, 0.20, d2=0.25) == 1343
    assert required_information_size(0.43, 0.20, power=0.90) == 1349


@pytest.mark.parametrize("kwargs, message", [
    (dict(p_control=43, rrr=0.2), "p_control"),
    (dict(p_control=0.43, rrr=0.0), "rrr"),
    (dict(p_control=0.43, rrr=0.2, d2=25), "diversity"),
    (dict(p_control=0.43, rrr=0.2, alpha=5), "alpha"),
])
def test_ris_rejects_out_of_range_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        required_information_size(**kwargs)


# --- boundaries against R/rpact ---------------------------------------------------------------

def _reference_values(values):
    return np.array([np.inf if v is None else v for v in values], dtype=float)


def _z_tolerance(z, mean=0.0):
    """1e-6, or rpact's probability accuracy (~1e-9 absolute, README) carried to the Z scale
    where the density of the statistic at the boundary is small (tiny early spends)."""
    density = np.exp(-((z - mean) ** 2) / 2) / np.sqrt(2 * np.pi)
    return np.maximum(1e-6, 2e-9 / density)


@pytest.mark.parametrize("case_id", [c for c in CASES if CASES[c]["kind"] == "efficacy"])
def test_efficacy_boundaries_match_rpact(case_id):
    case = CASES[case_id]
    ours = sequential_boundaries(case["information_rates"], alpha=case["alpha"], power=None,
                                 sides=case["sided"])
    expected = _reference_values(case["expected"]["critical_values"])
    # rpact's alphaSpent is what its boundaries achieve (the last one alpha - 1e-8 by design)
    np.testing.assert_allclose(ours.alpha_spent, case["expected"]["alpha_spent"], rtol=0, atol=2e-8)
    finite = np.isfinite(expected)
    assert np.all(np.abs(ours.upper - expected)[finite] <= _z_tolerance(expected[finite]))
    assert np.all(ours.upper[~finite] > 5.5)  # rpact shows looks it cannot resolve as Inf
    standard = finite & (expected < 3.3)  # nominal p > 1e-3: the plain 1e-6 applies
    assert standard.any()
    np.testing.assert_allclose(ours.upper[standard], expected[standard], rtol=0, atol=1e-6)


@pytest.mark.parametrize("case_id", [c for c in CASES if CASES[c]["kind"] == "futility"])
def test_futility_boundaries_match_rpact(case_id):
    case = CASES[case_id]
    t = np.array(case["information_rates"])
    ours = sequential_boundaries(t, alpha=case["alpha"], power=1 - case["beta"], sides=1)
    expected = np.array(case["expected"]["futility_bounds"])
    floored = expected <= -6  # rpact floors futility bounds at -6
    mean = ours.drift * np.sqrt(t[:-1])  # the futility bounds are quantiles under the alternative
    gap = np.abs(ours.futility[:-1] - expected)
    assert np.all(gap[~floored] <= _z_tolerance(expected, mean)[~floored])
    assert np.all(ours.futility[:-1][floored] <= -6)
    assert ours.futility[-1] == ours.upper[-1]  # the wedge closes at the last look
    assert ours.drift**2 == pytest.approx(case["expected"]["shift"], rel=1e-7)
    assert ours.inflation == pytest.approx(case["expected"]["inflation"], rel=1e-7)


def test_two_sided_tsa_futility_is_the_one_sided_design_mirrored():
    # RTSA's convention: the inner wedge is the one-sided (alpha/2) beta-spending design of the
    # benefit side, mirrored. The two-sided efficacy bounds differ from the one-sided ones only by
    # the (negligible) crossings of the lower boundary.
    case = CASES["futility_beta20_meta_looks"]
    ours = sequential_boundaries(case["information_rates"], alpha=0.05, power=0.80, sides=2)
    expected = np.array(case["expected"]["futility_bounds"])
    tolerance = _z_tolerance(expected, ours.drift * np.sqrt(case["information_rates"][:-1]))
    assert np.all(np.abs(ours.futility[:-1] - expected)[expected > -6] <= tolerance[expected > -6])
    np.testing.assert_array_equal(ours.futility_lower, -ours.futility_upper)
    open_ = ours.futility > 0
    np.testing.assert_array_equal(np.isnan(ours.futility_upper), ~open_)


# --- boundaries: published tables and closed forms ----------------------------------------------

def test_classic_lan_demets_obrien_fleming_table():
    # Two-sided alpha = 0.05, five equally spaced looks: 4.877, 3.357, 2.680, 2.290, 2.031 -- the
    # table RTSA's manual/vignette and gsDesign's sfLDOF (0.025 per side) reproduce, and rpact's
    # asOF design (validation/tsa/reference.json, efficacy_2sided_k5). (The last value is 2.031;
    # 2.040 is the original, non-spending O'Brien-Fleming constant.)
    ours = sequential_boundaries([0.2, 0.4, 0.6, 0.8, 1.0], alpha=0.05, power=None)
    assert np.round(ours.upper, 3).tolist() == [4.877, 3.357, 2.680, 2.290, 2.031]
    np.testing.assert_array_equal(ours.lower, -ours.upper)


def test_seqbounds_one_sided_table():
    # PharmCat/SeqBounds.jl README: bounds([0.25, 0.5, 0.75, 1.0], 0.05), one-sided O'Brien-Fleming
    # spending: Z = 3.74955, 2.53993, 2.01604, 1.72014 (computed on a coarse grid, h = 0.05, hence
    # the 5e-5 tolerance).
    ours = sequential_boundaries([0.25, 0.5, 0.75, 1.0], alpha=0.05, power=None, sides=1)
    np.testing.assert_allclose(ours.upper, [3.74955, 2.53993, 2.01604, 1.72014], atol=5e-5)


def test_single_look_is_the_fixed_design_test():
    ours = sequential_boundaries([1.0], alpha=0.05, power=0.80)
    assert ours.upper[0] == pytest.approx(Z_95, abs=1e-10)
    # one look: the drift is the fixed design's z_{0.975} + z_{0.80}, no inflation
    assert ours.drift == pytest.approx(Z_95 + special.ndtri(0.8), abs=1e-12)
    assert ours.inflation == pytest.approx(1.0, abs=1e-12)


def test_looks_after_negligible_spending_are_closed_form():
    # Where everything spent before look k is negligible next to look k's own spend, c_k is the
    # fixed-sample quantile of that spend: c_1 = -ndtri(a*(t_1)/2) exactly, and for t_2 = 95/1008
    # a*(t_1) ~ 6e-34 against a*(t_2) - a*(t_1) ~ 6e-13 (these are the looks rpact shows as Inf).
    t = CASES["efficacy_2sided_meta_looks"]["information_rates"]
    ours = sequential_boundaries(t, alpha=0.05, power=None)
    spent = 2 * obrien_fleming_spending(np.array(t[:2]), 0.025)
    assert spent[0] < 1e-20 * spent[1]
    np.testing.assert_allclose(ours.upper[:2], -special.ndtri(np.diff(spent, prepend=0) / 2), rtol=1e-10)


def test_spending_function_is_lan_demets_obrien_fleming():
    # alpha*(t) = 2 - 2 Phi(z_{1-alpha/2} / sqrt t); at t = 1 it is alpha; at t = 0.25 with
    # alpha = 0.025: 2 - 2 Phi(2.241403 / 0.5) = 2 Phi(-4.482807) = 7.3686e-6.
    assert obrien_fleming_spending(1.0, 0.025) == pytest.approx(0.025, rel=1e-14)
    assert obrien_fleming_spending(0.25, 0.025) == pytest.approx(2 * special.ndtr(-2 * special.ndtri(0.9875)),
                                                                 rel=1e-14)


def test_boundaries_decrease_and_spend_all_alpha():
    t = np.linspace(0.05, 1, 20)
    ours = sequential_boundaries(t, alpha=0.05, power=0.80)
    assert np.all(np.diff(ours.upper) < 0)
    assert ours.alpha_spent[-1] == pytest.approx(0.05, rel=1e-14)
    assert Z_95 < ours.upper[-1] < 2.3  # multiple looks cost a little at the end
    finite = np.isfinite(ours.futility)
    assert np.all(np.diff(ours.futility[finite]) > 0)  # the wedge widens until it closes
    assert ours.inflation > 1


def test_boundary_curve_tends_to_continuous_monitoring_from_below():
    # OBF-type spending is the crossing probability of a Brownian motion over the constant score
    # boundary z_{1-alpha/4}, so the continuous-monitoring boundary is z_{1-alpha/4} / sqrt(t); a
    # finer grid of looks comes closer to it, from below.
    continuous = special.ndtri(1 - 0.05 / 4) / math.sqrt(0.5)
    coarse = boundary_curve(1000, grid=np.arange(1, 11) * 100, power=None)
    fine = boundary_curve(1000, grid=np.arange(1, 41) * 25, power=None)
    at_half = [frame.loc[frame["n"] == 500, "boundary_upper"].item() for frame in (coarse, fine)]
    assert at_half[0] < at_half[1] < continuous
    assert list(fine.columns) == ["n", "information_fraction", "boundary_upper", "boundary_lower",
                                  "futility_upper", "futility_lower", "alpha_spent"]


def test_boundary_curve_past_the_ris_keeps_the_final_boundary():
    curve = boundary_curve(1000, grid=[250, 500, 1000, 1200], power=None)
    final = sequential_boundaries([0.25, 0.5, 1.0], power=None).upper[-1]
    assert curve["boundary_upper"].tolist()[2:] == [final, final]
    assert curve["alpha_spent"].tolist()[2:] == pytest.approx([0.05, 0.05], rel=1e-14)


def test_looks_that_spend_nothing_change_nothing():
    # At t = 0.001 and 0.002 the O'Brien-Fleming-type spend underflows to 0 (z / sqrt(t) > 70):
    # no boundary (inf), no futility bound (-inf), and the later looks are the 2-look design's.
    both = sequential_boundaries([0.001, 0.002, 0.5, 1.0], power=0.80)
    two = sequential_boundaries([0.5, 1.0], power=0.80)
    assert both.upper[:2].tolist() == [np.inf, np.inf] and both.futility[0] == -np.inf
    np.testing.assert_allclose(both.upper[2:], two.upper, rtol=1e-12)
    np.testing.assert_allclose(both.futility[2:], two.futility, rtol=1e-9)
    assert both.drift == pytest.approx(two.drift, rel=1e-9)


def test_looks_too_close_together_are_refused():
    with pytest.raises(ValueError, match="too close together"):
        sequential_boundaries([0.5, 0.5001, 1.0])


@pytest.mark.parametrize("t", [[0.5, 0.4], [0.0, 1.0], [0.5, 1.2], []])
def test_boundaries_reject_bad_information_fractions(t):
    with pytest.raises(ValueError, match="information fractions"):
        sequential_boundaries(t)


# --- diversity --------------------------------------------------------------------------------

def test_diversity_hand_worked():
    # y = (0, 1), v = (0.1, 0.1): w = 10 each, Q = 10 * 0.25 * 2 = 5, C = 20 - 200/20 = 10,
    # tau2 = (5 - 1)/10 = 0.4; V_F = 1/20 = 0.05, V_R = 1/(2/0.5) = 0.25, D2 = 0.2/0.25 = 0.8
    # (= I2 = (5 - 1)/5, as it must be when all v_i are equal).
    equal = pool_effects([0.0, 1.0], [0.1, 0.1])
    assert diversity(equal) == pytest.approx(0.8, rel=1e-12)
    # v = (0.1, 0.4): w = 10, 2.5; mean = 0.2, Q = 10*0.04 + 2.5*0.64 = 2, C = 12.5 - 106.25/12.5
    # = 4, tau2 = 0.25; V_F = 0.08, V_R = 1/(1/0.35 + 1/0.65) = 0.2275, D2 = 0.1475/0.2275
    # = 0.648352 > I2 = 0.5.
    unequal = pool_effects([0.0, 1.0], [0.1, 0.4])
    assert diversity(unequal) == pytest.approx(0.1475 / 0.2275, rel=1e-12)
    assert float(unequal.i2) == pytest.approx(50.0, rel=1e-12)


def test_diversity_is_zero_without_heterogeneity_and_works_on_a_batch():
    batch = pool_effects([[0.2, 0.2, 0.2], [0.0, 1.0, 0.5]], [[0.1, 0.2, 0.3]] * 2)
    d2 = diversity(batch)
    assert d2[0] == 0.0 and d2[1] > float(batch.i2[1]) / 100


# --- cumulative meta-analysis -----------------------------------------------------------------

@pytest.mark.parametrize("options", [
    dict(measure="OR", method="MH", model="fixed"),
    dict(measure="RR", method="MH", model="random"),
    dict(measure="RD", method="IV", model="random", tau2="REML"),
    dict(measure="OR", method="Peto", model="fixed"),
])
def test_cumulative_rows_equal_meta_binary_on_the_first_i_studies(options):
    rows = cumulative_meta_analysis(TRIALS, order_by="year", **options)
    ordered = TRIALS.sort_values("year", kind="stable").reset_index(drop=True)
    assert rows["study"].tolist() == ["Ada 1998", "Bea 2004", "Cid 2004", "Dot 2008", "Eve 2011"]
    assert rows["n"].tolist() == [80, 200, 260, 400, 560]
    for i in range(len(ordered)):
        result = meta_binary(ordered.iloc[: i + 1], **options)
        row = rows.iloc[i]
        assert row["k"] == result.k == i + 1
        for name in ("estimate", "ci_low", "ci_high", "se", "z", "p", "i2", "tau2"):
            assert row[name] == pytest.approx(getattr(result, name), rel=1e-12, abs=1e-14), name


def test_cumulative_continuous_rows_equal_meta_continuous():
    table = pd.DataFrame({"study": ["A", "B", "C"], "year": [2003, 2001, 2002],
                          "mean_t": [3300.0, 3150.0, 3400.0], "sd_t": [450.0, 500.0, 420.0],
                          "n_t": [30, 25, 40], "mean_c": [3200.0, 3250.0, 3210.0],
                          "sd_c": [480.0, 520.0, 400.0], "n_c": [28, 27, 41]})
    rows = cumulative_meta_analysis(table, kind="continuous", measure="SMD", model="random")
    ordered = table.sort_values("year").reset_index(drop=True)
    for i in range(3):
        result = meta_continuous(ordered.iloc[: i + 1], measure="SMD", model="random")
        assert rows["estimate"].iloc[i] == pytest.approx(result.estimate, rel=1e-12)
        assert rows["tau2"].iloc[i] == pytest.approx(result.tau2, rel=1e-12, abs=1e-15)


def test_cumulative_with_reml_and_hksj_equals_meta_binary_from_two_studies_on():
    # meta_binary's REML + HKSJ is checked against metafor in test_metafor_reference.py (case
    # collins_OR_IV_random_REML_hksj_pred); the batch must give the same numbers (rel 1e-10: REML is
    # solved iteratively, to 1e-12, in both). One study has no HKSJ interval (t on k - 1 = 0 df): NaN.
    options = dict(measure="OR", method="IV", model="random", tau2="REML", hksj=True)
    rows = cumulative_meta_analysis(TRIALS, order_by="year", **options)
    ordered = TRIALS.sort_values("year", kind="stable").reset_index(drop=True)
    assert np.isnan(rows[["ci_low", "ci_high", "se", "p"]].iloc[0]).all()
    for i in range(1, len(ordered)):
        result = meta_binary(ordered.iloc[: i + 1], **options)
        for name in ("estimate", "ci_low", "ci_high", "se", "z", "p", "tau2"):
            assert rows[name].iloc[i] == pytest.approx(getattr(result, name), rel=1e-10, abs=1e-14), name


def test_the_plans_cumulative_meta_analysis_follows_its_model_and_ends_at_its_primary_result():
    from metarmc.review.plan import PLAN, plan_cumulative, primary_result, primary_table

    review = load(ROOT / "data")
    steps = plan_cumulative(review, "live_birth")
    trials = primary_table(review, "live_birth").sort_values("year", kind="stable").reset_index(drop=True)
    assert steps["study"].tolist() == trials["study"].tolist()
    final, result = steps.iloc[-1], primary_result(review, "live_birth")
    assert (result.model, result.tau2_method, result.hksj) == (PLAN.options["model"], PLAN.options["tau2"], True)
    for name in ("estimate", "ci_low", "ci_high", "p", "tau2"):
        assert final[name] == pytest.approx(getattr(result, name), rel=1e-10, abs=1e-14), name
    # one trial is not pooled: its own odds ratio and Wald interval, as primary_result gives a lone trial
    alone = meta_binary(trials.iloc[:1], measure="OR", method="IV", model="fixed")
    for name in ("estimate", "ci_low", "ci_high"):
        assert steps[name].iloc[0] == pytest.approx(getattr(alone, name), rel=1e-12), name


def test_cumulative_pools_all_steps_in_one_batch_call(monkeypatch):
    calls = []
    real = cumulative_module.pooling.pool_binary

    def counting(*args, **kwargs):
        calls.append(kwargs["include"].shape)
        return real(*args, **kwargs)

    monkeypatch.setattr(cumulative_module.pooling, "pool_binary", counting)
    cumulative_meta_analysis(TRIALS)
    assert calls == [(5, 5)]


def test_cumulative_rejects_an_unknown_order_column():
    with pytest.raises(ValueError, match="order_by must be a column"):
        cumulative_meta_analysis(TRIALS, order_by="published")


# --- trial sequential analysis ----------------------------------------------------------------

def test_tsa_on_a_hand_checked_table():
    result = tsa(TRIALS, rrr=0.25, p_control=0.5, d2=0.0, measure="RR", model="fixed")
    # RIS: p_e = 0.375, delta = 0.125, p_bar = 0.4375 -> 4 * 7.848879 * 0.246094 / 0.015625
    # = 494.5 -> 495
    assert result.ris == 495
    frame = result.to_frame()
    assert list(frame.columns) == ["study", "n", "information_fraction", "z", "boundary_upper",
                                   "boundary_lower", "futility_upper", "futility_lower", "alpha_spent"]
    np.testing.assert_allclose(frame["information_fraction"], np.array([80, 200, 260, 400, 560]) / 495)
    # fewer events is the benefit: the Z-curve is -z of the cumulative RR
    rows = cumulative_meta_analysis(TRIALS, measure="RR", model="fixed")
    np.testing.assert_allclose(frame["z"], -rows["z"], rtol=1e-14)
    # looks 80/495 ... 400/495, then a final look at the RIS; the last look (560 > 495) gets
    # the final boundary
    design = sequential_boundaries(np.append(np.array([80, 200, 260, 400]) / 495, 1.0))
    np.testing.assert_allclose(frame["boundary_upper"], design.upper, rtol=1e-14)
    # TSA-adjusted CI: log RR -/+ c * SE with c the last look's boundary instead of 1.96
    final = meta_binary(TRIALS, measure="RR", model="fixed")
    c = design.upper[-1]
    assert result.critical_value == c
    assert result.tsa_ci_low == pytest.approx(math.exp(math.log(final.estimate) - c * final.se), rel=1e-12)
    assert result.tsa_ci_high == pytest.approx(math.exp(math.log(final.estimate) + c * final.se), rel=1e-12)
    assert result.tsa_ci_low < result.ci_low and result.tsa_ci_high > result.ci_high


def test_tsa_control_risk_and_sign_follow_the_benefit_direction():
    # pooled control risk = (15 + 27 + 14 + 35 + 42) / 280 = 133/280 = 0.475
    lower = tsa(TRIALS, rrr=0.2, measure="OR", model="fixed")
    higher = tsa(TRIALS, rrr=0.2, measure="OR", model="fixed", benefit="higher")
    assert lower.p_control == pytest.approx(133 / 280, rel=1e-14)
    assert higher.p_control == pytest.approx(147 / 280, rel=1e-14)
    np.testing.assert_allclose(higher.to_frame()["z"], -lower.to_frame()["z"], rtol=1e-14)
    assert lower.z > 0  # fewer events with the intervention in TRIALS: benefit


def test_tsa_default_diversity_is_the_final_analysis_d2():
    result = tsa(TRIALS, rrr=0.2, p_control=0.5)
    ordered = TRIALS.sort_values("year", kind="stable")
    counts = [ordered[c].to_numpy(float) for c in ("events_t", "total_t", "events_c", "total_c")]
    from metarmc import pool_binary
    d2 = diversity(pool_binary(*counts, measure="RR", method="MH", model="random"))
    assert result.d2 == result.d2_observed == pytest.approx(d2, rel=1e-14)
    assert result.ris == required_information_size(0.5, 0.2, d2=d2)


def test_tsa_reports_a_benefit_crossing():
    # A large effect: the third trial takes Z past the boundary.
    strong = TRIALS.assign(events_t=[10, 3, 5, 2, 8])
    result = tsa(strong, rrr=0.2, p_control=0.5, d2=0.0, model="fixed")
    frame = result.to_frame()
    first = int(np.argmax(frame["z"] >= frame["boundary_upper"]))
    assert result.crossed == "benefit" and result.crossed_at == frame["study"].iloc[first]
    assert frame["z"].iloc[:first].lt(frame["boundary_upper"].iloc[:first]).all()


def test_tsa_rejects_bad_benefit():
    with pytest.raises(ValueError, match="benefit"):
        tsa(TRIALS, rrr=0.2, benefit="more")


# --- worked example: a fictitious new trial ----------------------------------------------------

def _append_rows(path: Path, rows):
    with path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    with path.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        for row in rows:
            writer.writerow({name: row.get(name, "") for name in header})


def _with_fictitious_trial(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    source = "fictitious, test only"
    _append_rows(data / "studies.csv", [dict(
        study_id="fictitious2099", label="Fictitious 2099", first_author="Fictitious", year="2099",
        citation=source, randomised="yes", placebo_controlled="yes", control_infusion="yes",
        control_infusion_support=source, rm_type="secondary", source=source)])
    _append_rows(data / "outcomes.csv", [dict(
        study_id="fictitious2099", outcome="live_birth", denominator="itt", main="yes",
        events_t="150", total_t="200", events_c="100", total_c="200", status="extracted",
        derivation="reported", source_type="full_text", source=source)])
    _append_rows(data / "risk_of_bias.csv", [dict(
        study_id="fictitious2099", domain=domain, judgment="unclear", support=source, source=source)
        for domain in ("random_sequence", "allocation_concealment", "blinding_participants",
                       "blinding_outcome", "incomplete_outcome", "selective_reporting", "other_bias")])
    return data


def test_a_new_trial_changes_only_the_last_cumulative_row_and_the_tsa(tmp_path):
    before = load(ROOT / "data").binary("live_birth")
    after = load(_with_fictitious_trial(tmp_path)).binary("live_birth")
    assert len(after) == len(before) + 1
    options = dict(measure="OR", method="MH", model="fixed")
    old, new = cumulative_meta_analysis(before, **options), cumulative_meta_analysis(after, **options)
    assert new["study"].iloc[-1] == "Fictitious 2099"
    pd.testing.assert_frame_equal(new.iloc[:-1], old)  # the earlier steps are untouched
    assert new["n"].iloc[-1] == old["n"].iloc[-1] + 400
    assert new["estimate"].iloc[-1] != old["estimate"].iloc[-1]

    settings = dict(rrr=0.20, p_control=0.43, d2=0.0, benefit="higher", **options)
    tsa_old, tsa_new = tsa(before, **settings), tsa(after, **settings)
    assert tsa_old.ris == tsa_new.ris == 1008  # Egerup's RIS: fixed by the settings
    assert tsa_new.z != tsa_old.z and tsa_new.z == pytest.approx(new["z"].iloc[-1], rel=1e-14)
    frame_old, frame_new = tsa_old.to_frame(), tsa_new.to_frame()
    pd.testing.assert_series_equal(frame_new["z"].iloc[:-1], frame_old["z"])
    assert tsa_new.information_fraction == pytest.approx((old["n"].iloc[-1] + 400) / 1008, rel=1e-14)
