"""metarmc.grade: GRADE domains at and around their thresholds, absolute effects by hand (the
summary of findings on the real data is tested in test_findings.py).

Hand-worked information sizes (metarmc.sequential.required_information_size, z = 1.959964 + 0.841621
= 2.801585, z² = 7.848879):
  p_c = 0.5, RRR 25%: p_e = 0.375, p̄ = 0.4375, δ = 0.125 → 4·7.848879·0.246094 / 0.015625 = 494.48 → 495
  p_c = 0.4, RRR 25%: p_e = 0.300, p̄ = 0.35,   δ = 0.1   → 4·7.848879·0.2275   / 0.01     = 714.25 → 715

Tolerances: rel=1e-12 (or abs=1e-12 near 0) compares closed forms worked by hand with the engine's:
only floating-point rounding separates them.
"""

import numpy as np
import pandas as pd
import pytest

from metarmc import control_risk, corresponding_risk, grade
from metarmc.grade import (
    MISSING_SHARE,
    rate_imprecision,
    rate_inconsistency,
    rate_indirectness,
    rate_publication_bias,
    rate_risk_of_bias,
    starting_level,
)
from metarmc.sequential import required_information_size

# --- absolute effects -------------------------------------------------------------------------------

def test_corresponding_risk_by_hand():
    # OR 2 at p_c = 0.4: 2·0.4 / (0.6 + 0.8) = 0.8 / 1.4 = 0.571429; + 171 per 1,000
    assert corresponding_risk(0.4, 2.0) == pytest.approx(0.8 / 1.4, abs=1e-12)
    assert round(1000 * (corresponding_risk(0.4, 2.0) - 0.4)) == 171
    # Cochrane Handbook 5.1 §12.5.4.3: OR 0.73, ACR 0.3 → 0.219 / 0.919 = 0.2383, 62 fewer per 1,000
    assert round(1000 * (corresponding_risk(0.3, 0.73) - 0.3)) == -62
    # RR: p_t = RR·p_c
    assert corresponding_risk(0.4, 0.5, "RR") == pytest.approx(0.2, abs=1e-12)


def test_corresponding_risk_broadcasts_over_estimate_and_limits():
    out = corresponding_risk(0.5, [1.0, 2.0, 3.0])  # OR/(1 + OR) at p_c = 0.5
    np.testing.assert_allclose(out, [0.5, 2 / 3, 0.75], rtol=1e-12)
    assert corresponding_risk([0.1, 0.2, 0.3], np.ones((2, 3))).shape == (2, 3)


@pytest.mark.parametrize("args, message", [((0.4, 2.0, "RD"), "OR or RR"), ((0.4, -1.0), "ratio"),
                                           ((1.2, 2.0), "assumed_risk"), ((0.4, np.nan), "ratio")])
def test_corresponding_risk_rejects_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        corresponding_risk(*args)


def test_control_risk_pools_the_control_arms():
    table = pd.DataFrame({"events_c": [3, 5], "total_c": [10, 30]})
    assert control_risk(table) == pytest.approx(8 / 40)
    with pytest.raises(ValueError, match="control"):
        control_risk(pd.DataFrame({"events_c": [0], "total_c": [0]}))


# --- starting level ---------------------------------------------------------------------------------

def test_starting_level_at_the_majority_threshold():
    level, reason = starting_level([50, 50], ["yes", "no"], ["A", "B"])
    assert level == "high" and "50.0%" in reason and "(B)" in reason  # exactly half: not "most"
    level, reason = starting_level([49, 51], ["yes", "unclear"], ["A", "B"])  # unclear counts as not randomised
    assert level == "low" and "51.0%" in reason


# --- risk of bias -----------------------------------------------------------------------------------

@pytest.mark.parametrize("weights, expected, concern, high", [
    # A: high sequence; B: unclear in both; C: low sequence, unclear concealment (no concern)
    ([50.0, 0.0, 50.0], -2, "50.0%", "50.0%"),   # high risk exactly 50%
    ([49.9, 0.1, 50.0], -1, "50.0%", "49.9%"),   # high 49.9%, high + unclear-both 50%
    ([20.0, 30.0, 50.0], -1, "50.0%", "20.0%"),  # concern exactly 50%
    ([20.0, 29.9, 50.1], 0, "49.9%", "20.0%"),   # concern just under 50%
])
def test_risk_of_bias_thresholds(weights, expected, concern, high):
    rating = rate_risk_of_bias(weights, ["high", "unclear", "low"], ["low", "unclear", "unclear"], ["A", "B", "C"])
    assert rating.domain == "risk_of_bias"
    assert rating.downgrade == expected
    assert rating.reason.startswith(f"{concern} of the weight")
    assert f"; {high} at high risk" in rating.reason


def test_risk_of_bias_counts_not_obtained_as_unclear_and_names_it_apart():
    # A: sequence not obtained, concealment unclear (concern); B: both not obtained (concern);
    # C: not obtained but low concealment (no concern); D: high (not listed as not obtained)
    weights = [30.0, 25.0, 40.0, 5.0]
    rating = rate_risk_of_bias(weights, ["not_obtained", "not_obtained", "not_obtained", "high"],
                               ["unclear", "not_obtained", "low", "not_obtained"], ["A", "B", "C", "D"])
    same = rate_risk_of_bias(weights, ["unclear", "unclear", "unclear", "high"],
                             ["unclear", "unclear", "low", "unclear"], ["A", "B", "C", "D"])
    assert rating.downgrade == same.downgrade == -1  # concern 30 + 25 + 5 = 60% >= 50%
    assert rating.reason.startswith("60.0% of the weight")
    assert "; 55.0% with a domain whose report was not obtained, counted as unclear (A, B)" in rating.reason
    assert "not obtained" not in same.reason


def test_risk_of_bias_high_in_concealment_alone_counts_as_high():
    rating = rate_risk_of_bias([1, 1], ["low", "low"], ["high", "low"], ["A", "B"])
    assert rating.downgrade == -2 and "50.0% at high risk (A)" in rating.reason


@pytest.mark.parametrize("sequence, message", [(["low", "maybe"], "sequence judgments"),
                                               (["low"], "one value per study"),
                                               ([None, "low"], "sequence judgments")])
def test_risk_of_bias_rejects_bad_judgments(sequence, message):
    with pytest.raises(ValueError, match=message):
        rate_risk_of_bias([1, 1], sequence, ["low", "low"])


@pytest.mark.parametrize("weights", [[], [0, 0], [1, -1], [1, np.nan]])
def test_weights_must_be_usable(weights):
    with pytest.raises(ValueError, match="weight"):
        rate_risk_of_bias(weights, ["low"] * len(weights), ["low"] * len(weights))


# --- inconsistency ----------------------------------------------------------------------------------

NARROW = (0.5, 0.9)  # a PI that does not cross 1


@pytest.mark.parametrize("i2, expected", [(49.9, 0), (50.0, -1), (74.9, -1), (75.0, -2), (100.0, -2)])
def test_inconsistency_i2_thresholds(i2, expected):
    rating = rate_inconsistency(i2, (0.6, 0.8), NARROW, k=5)
    assert rating.downgrade == expected
    assert f"I² = {i2:.1f}% (k = 5)" in rating.reason and "0.50 to 0.90" in rating.reason


def test_inconsistency_prediction_interval_crossing_alone():
    crossing = rate_inconsistency(10.0, (0.6, 0.8), (0.4, 1.3), k=4)
    assert crossing.downgrade == -1
    assert "prediction interval 0.40 to 1.30 crosses 1, 95% CI 0.60 to 0.80 excludes 1" in crossing.reason
    both = rate_inconsistency(10.0, (0.6, 1.1), (0.4, 1.3), k=4)  # the CI crosses too: imprecision's business
    assert both.downgrade == 0
    difference = rate_inconsistency(10.0, (1.0, 3.0), (-1.0, 5.0), k=4, null=0.0)
    assert difference.downgrade == -1 and "crosses 0" in difference.reason


def test_inconsistency_with_one_or_two_studies():
    assert rate_inconsistency(0.0, (1.2, 2.0), (np.nan, np.nan), k=1).downgrade == 0
    two = rate_inconsistency(60.0, (1.2, 2.0), (np.nan, np.nan), k=2)
    assert two.downgrade == -1 and "not computable (k = 2 < 3)" in two.reason


@pytest.mark.parametrize("kwargs, message", [(dict(i2=120.0), "i2"), (dict(k=0), "k must"),
                                             (dict(pi=(np.nan, np.nan)), "pi must"),
                                             (dict(ci=(2.0, 1.0)), "ci must")])
def test_inconsistency_rejects_bad_input(kwargs, message):
    args = dict(i2=10.0, ci=(1.2, 2.0), pi=(1.0, 3.0), k=4) | kwargs
    with pytest.raises(ValueError, match=message):
        rate_inconsistency(**args)


# --- indirectness -----------------------------------------------------------------------------------

def indirect(rm_type, placebo_controlled) -> dict:
    """The review's two grounds of indirectness, as masks."""
    return {"population RIF": np.array(rm_type) == "RIF", "no placebo control": np.array(placebo_controlled) == "no"}


@pytest.mark.parametrize("weights, expected, share", [([25.0, 75.0], -1, "25.0%"), ([24.9, 75.1], 0, "24.9%")])
def test_indirectness_threshold(weights, expected, share):
    rating = rate_indirectness(weights, indirect(["RIF", "mixed"], ["yes", "yes"]), ["A", "B"])
    assert rating.downgrade == expected
    assert rating.reason.startswith(f"{share} of the weight") and "population RIF: A" in rating.reason


def test_indirectness_counts_a_study_once_and_ignores_unclear():
    # A is both RIF and without placebo (counted once: 30%); B's unclear comparison is not "no"
    rating = rate_indirectness([30, 40, 30], indirect(["RIF", "unclear", "primary"], ["no", "unclear", "yes"]),
                               ["A", "B", "C"])
    assert rating.downgrade == -1
    assert rating.reason.startswith("30.0% of the weight") and "no placebo control: A)" in rating.reason
    only_comparison = rate_indirectness([30, 70], indirect(["primary", "mixed"], ["no", "yes"]), ["A", "B"])
    assert only_comparison.downgrade == -1 and "population RIF: none" in only_comparison.reason


# --- imprecision ------------------------------------------------------------------------------------

# The OIS of these tests: p_c = 0.5, RRR 25%: required_information_size(0.5, 0.25) = 495 (module docstring).
OIS = 495


@pytest.mark.parametrize("ci, participants, expected", [
    ((1.2, 2.0), 495, 0),    # excludes 1, OIS 495 met exactly
    ((1.2, 2.0), 494, -1),   # one short of the OIS
    ((0.8, 1.5), 495, -1),   # crosses 1
    ((0.8, 1.5), 494, -2),   # both
])
def test_imprecision_counts_its_two_criteria(ci, participants, expected):
    assert required_information_size(0.5, 0.25) == OIS
    rating = rate_imprecision("OR", ci, 0.5, participants, OIS, "p_c 50%, RRR 25%")
    assert rating.downgrade == expected
    assert f"{ci[0]:.2f} to {ci[1]:.2f}" in rating.reason
    assert f"{participants} participants" in rating.reason and "OIS 495 (p_c 50%, RRR 25%)" in rating.reason
    assert bool(rating.footnote) == (expected != 0)


def test_imprecision_very_wide_ci_is_two_levels_even_when_the_ois_is_met():
    # OR 0.3 and 4.0 at p_c = 0.5: p_t = 0.3/1.3 = 0.2308 → RR 0.46; 4/5 = 0.8 → RR 1.60
    rating = rate_imprecision("OR", (0.3, 4.0), 0.5, 10_000, OIS)
    assert rating.downgrade == -2 and "RR 0.46 to 1.60" in rating.reason
    assert rating.footnote == "The confidence interval includes both a worthwhile benefit and a worthwhile harm."
    # RR 0.76 to 1.30 crosses 1 but not both thresholds: one level
    assert rate_imprecision("RR", (0.76, 1.30), 0.5, 10_000, OIS).downgrade == -1


def test_imprecision_without_an_information_size():
    rating = rate_imprecision("OR", (1.5, 9.0), 0.0, 10_000, None)
    assert rating.downgrade == -1 and "OIS not computable" in rating.reason and "control risk 0" in rating.reason


@pytest.mark.parametrize("kwargs, message", [(dict(participants=-1), "participants"),
                                             (dict(measure="MD"), "OR or RR"),
                                             (dict(ci=(np.nan, 2.0)), "ci must")])
def test_imprecision_rejects_bad_input(kwargs, message):
    args = dict(measure="OR", ci=(1.2, 2.0), control_risk=0.5, participants=100, ois=OIS) | kwargs
    with pytest.raises(ValueError, match=message):
        rate_imprecision(**args)


# --- publication bias -------------------------------------------------------------------------------

def test_publication_bias_thresholds():
    few = rate_publication_bias(9, egger_p=0.001)
    assert few.downgrade == 0 and few.reason.startswith("a funnel-plot test is not assessable (k = 9 < 10)")
    assert rate_publication_bias(10, egger_p=0.0999).downgrade == -1
    at = rate_publication_bias(10, egger_p=0.10)
    assert at.downgrade == 0 and "P = 0.100 >= 0.1 (k = 10)" in at.reason
    with pytest.raises(ValueError, match="Egger P value"):
        rate_publication_bias(12)


def test_publication_bias_missing_evidence_rule():
    # 20% of the participants without usable data lowers certainty once, whatever the funnel
    assert rate_publication_bias(7, missing_share=19.9).downgrade == 0
    missing = rate_publication_bias(7, missing_share=20.0, missing_studies="Carp 2001")
    assert missing.downgrade == -1 and "20.0% of the participants" in missing.reason and "(Carp 2001)" in missing.reason
    assert missing.footnote == ("Trials that may answer the question but have no usable data for it hold 20% or more "
                                "of the participants of such trials (this review's rule for missing evidence).")
    with pytest.raises(ValueError, match="missing_share must be a percentage"):
        rate_publication_bias(7, missing_share=120.0)


def test_publication_bias_missing_evidence_threshold_is_a_parameter_named_in_the_footnote():
    # the same 31% missing: lowered at the default 20%, not at a 35% threshold; the footnote names the threshold used
    assert MISSING_SHARE == 20.0
    default, strict = rate_publication_bias(7, missing_share=31.1), rate_publication_bias(7, missing_share=31.1,
                                                                                          missing_threshold=35.0)
    assert (default.downgrade, strict.downgrade) == (-1, 0) and strict.footnote == ""
    lenient = rate_publication_bias(7, missing_share=31.1, missing_threshold=30.0)
    assert "hold 30% or more" in lenient.footnote and "at least 30% of the participants missing" in lenient.reason
    with pytest.raises(ValueError, match="missing_threshold must be a percentage"):
        rate_publication_bias(7, missing_share=10.0, missing_threshold=-5.0)


# --- certainty --------------------------------------------------------------------------------------

@pytest.mark.parametrize("start, downgrades, expected", [
    ("high", [0, 0, 0, 0, 0], "high"), ("high", [-1, 0, -1, 0, 0], "low"),
    ("high", [-2, -2, -1, 0, 0], "very low"), ("low", [-1], "very low"), ("low", [0], "low")])
def test_certainty_sums_and_floors(start, downgrades, expected):
    assert grade.certainty(start, downgrades) == expected


@pytest.mark.parametrize("start, downgrades", [("moderate", [0]), ("high", [-3]), ("high", [1])])
def test_certainty_rejects_bad_input(start, downgrades):
    with pytest.raises(ValueError):
        grade.certainty(start, downgrades)
