"""metarmc.grade: GRADE domains at and around their thresholds, absolute effects by hand, and
the summary of findings on the real data (numbers recomputed here from metarmc, not typed).

Hand-worked information sizes (metarmc.sequential.required_information_size, z = 1.959964 + 0.841621
= 2.801585, z² = 7.848879):
  p_c = 0.5, RRR 25%: p_e = 0.375, p̄ = 0.4375, δ = 0.125 → 4·7.848879·0.246094 / 0.015625 = 494.48 → 495
  p_c = 0.4, RRR 25%: p_e = 0.300, p̄ = 0.35,   δ = 0.1   → 4·7.848879·0.2275   / 0.01     = 714.25 → 715
"""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metarmc import data, grade
from metarmc import OUTCOMES, control_risk, corresponding_risk, egger_test, reproduce, summary_of_findings
from metarmc.grade import (rate_imprecision, rate_inconsistency, rate_indirectness, rate_publication_bias,
                           rate_risk_of_bias, starting_level)
from metarmc.review.findings import rate_outcome
from metarmc.review.paper import pool
from metarmc.review.registry import SUMMARY_ORDER
from metarmc.sequential import required_information_size

ROOT = Path(__file__).resolve().parent.parent
REVIEW = data.load(ROOT / "data")
FIXTURE = data.load(ROOT / "tests" / "fixtures" / "data_valid")
SOF = summary_of_findings(REVIEW)


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

@pytest.mark.parametrize("ci, participants, expected", [
    ((1.2, 2.0), 495, 0),    # excludes 1, OIS 495 met exactly
    ((1.2, 2.0), 494, -1),   # one short of the OIS
    ((0.8, 1.5), 495, -1),   # crosses 1
    ((0.8, 1.5), 494, -2),   # both
])
def test_imprecision_counts_its_two_criteria(ci, participants, expected):
    rating = rate_imprecision("OR", ci, 0.5, participants)  # p_c = 0.5: OIS 495 (module docstring)
    assert rating.downgrade == expected
    assert f"{ci[0]:.2f} to {ci[1]:.2f}" in rating.reason
    assert f"{participants} participants" in rating.reason and "OIS 495" in rating.reason


def test_imprecision_ois_uses_the_complementary_event_when_more_events_is_benefit():
    # live birth in 60% of controls: the OIS is for "no live birth", p = 0.4 → 715
    rating = rate_imprecision("OR", (1.2, 2.0), 0.6, 715, benefit="higher")
    assert rating.downgrade == 0 and "OIS 715" in rating.reason and "1 − 60.0% = 40.0%" in rating.reason
    assert rate_imprecision("OR", (1.2, 2.0), 0.6, 714, benefit="higher").downgrade == -1


def test_imprecision_very_wide_ci_is_two_levels_even_when_the_ois_is_met():
    # OR 0.3 and 4.0 at p_c = 0.5: p_t = 0.3/1.3 = 0.2308 → RR 0.46; 4/5 = 0.8 → RR 1.60
    rating = rate_imprecision("OR", (0.3, 4.0), 0.5, 10_000)
    assert rating.downgrade == -2 and "RR 0.46 to 1.60" in rating.reason
    # RR 0.76 to 1.30 crosses 1 but not both thresholds: one level
    assert rate_imprecision("RR", (0.76, 1.30), 0.5, 10_000).downgrade == -1


def test_imprecision_without_control_events():
    rating = rate_imprecision("OR", (1.5, 9.0), 0.0, 10_000)
    assert rating.downgrade == -1 and "OIS not computable" in rating.reason and "control risk 0" in rating.reason


@pytest.mark.parametrize("kwargs, message", [(dict(benefit="more"), "benefit"), (dict(participants=-1), "participants"),
                                             (dict(measure="MD"), "OR or RR"),
                                             (dict(ci=(np.nan, 2.0)), "ci must")])
def test_imprecision_rejects_bad_input(kwargs, message):
    args = dict(measure="OR", ci=(1.2, 2.0), control_risk=0.5, participants=100) | kwargs
    with pytest.raises(ValueError, match=message):
        rate_imprecision(**args)


# --- publication bias -------------------------------------------------------------------------------

def test_publication_bias_thresholds():
    few = rate_publication_bias(9, egger_p=0.001)
    assert few.downgrade == 0 and few.reason.startswith("not assessable (k = 9 < 10)")
    assert rate_publication_bias(10, egger_p=0.0999).downgrade == -1
    at = rate_publication_bias(10, egger_p=0.10)
    assert at.downgrade == 0 and "P = 0.100 >= 0.1 (k = 10)" in at.reason
    with pytest.raises(ValueError, match="Egger P value"):
        rate_publication_bias(12)


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


# --- the summary of findings on the real data --------------------------------------------------------

def test_table_structure():
    frame = SOF.to_frame()
    assert tuple(frame.columns) == grade.SOF_COLUMNS
    assert tuple(frame["outcome"]) == SUMMARY_ORDER
    assert all(str(frame[name].dtype) == "Int64" for name in grade.DOMAINS)
    shown = grade.grade_table(SOF)
    assert len(shown) == len(frame) and "Certainty" in shown.columns
    for row, text in zip(SOF.findings, shown["Certainty"]):
        assert text.lower().endswith(row.certainty) if row.certainty != grade.NOT_ASSESSED else "Not assessed" in text
    assert repr(SOF).count("\n") == len(frame)


def _recomputed(name):
    """What metarmc says about an outcome, recomputed here without metarmc.grade."""
    rep = reproduce(REVIEW, name)
    result, table = rep.result, rep.table
    studies = result.studies[result.studies["estimable"]].reset_index(drop=True)
    weight = 100 * studies["weight"].to_numpy() / studies["weight"].sum()
    rob = REVIEW.risk_of_bias.pivot(index="study_id", columns="domain", values="judgment").loc[studies["study_id"]]
    sequence, allocation = rob["random_sequence"].to_numpy(), rob["allocation_concealment"].to_numpy()
    high = (sequence == "high") | (allocation == "high")
    unclear = ("unclear", "not_obtained")  # a domain whose report was not obtained counts as unclear
    concern = high | (np.isin(sequence, unclear) & np.isin(allocation, unclear))
    indirect = (studies["rm_type"] == "RIF").to_numpy() | (studies["placebo_controlled"] == "no").to_numpy()
    p_c = table["events_c"].sum() / table["total_c"].sum()
    event = 1 - p_c if OUTCOMES[name].benefit == "higher" else p_c
    return dict(rep=rep, result=result, weight=weight, high=weight[high].sum(), concern=weight[concern].sum(),
                indirect=weight[indirect].sum(), nonrandom=weight[(studies["randomised"] != "yes").to_numpy()].sum(),
                p_c=p_c, participants=int(table[["total_t", "total_c"]].to_numpy().sum()),
                ois=required_information_size(event, 0.25, 0.05, 0.80),
                spread=pool(table, OUTCOMES[name], "random", prediction=True))


ESTIMABLE = [name for name in SUMMARY_ORDER if reproduce(REVIEW, name).result is not None]


def test_some_outcomes_are_estimable():
    assert "live_birth" in ESTIMABLE


@pytest.mark.parametrize("name", ESTIMABLE)
def test_each_reason_names_the_numbers_metarmc_computes(name):
    want, row = _recomputed(name), SOF[name]
    frame = SOF.to_frame().set_index("outcome").loc[name]
    result = want["result"]
    assert (row.studies, row.participants) == (len(want["rep"].table), want["participants"])
    assert row.relative_effect == f"OR {result.estimate:.2f} ({result.ci_low:.2f} to {result.ci_high:.2f})"
    # start
    assert f"{want['nonrandom']:.1f}%" in row.start_reason
    assert row.start == ("low" if want["nonrandom"] > 50 else "high")
    # risk of bias
    assert f"{want['concern']:.1f}% of the weight" in frame["risk_of_bias_reason"]
    assert f"{want['high']:.1f}% at high risk" in frame["risk_of_bias_reason"]
    assert frame["risk_of_bias"] == (-2 if want["high"] >= 50 else -1 if want["concern"] >= 50 else 0)
    # inconsistency
    spread = want["spread"]
    if result.k > 1:
        assert f"I² = {result.i2:.1f}% (k = {result.k})" in frame["inconsistency_reason"]
    if result.k >= 3:
        assert f"prediction interval {spread.pi_low:.2f} to {spread.pi_high:.2f}" in frame["inconsistency_reason"]
        alone = spread.pi_low < 1 < spread.pi_high and not spread.ci_low < 1 < spread.ci_high
        assert frame["inconsistency"] == (-2 if result.i2 >= 75 else -1 if result.i2 >= 50 or alone else 0)
    # indirectness
    assert frame["indirectness_reason"].startswith(f"{want['indirect']:.1f}% of the weight")
    assert frame["indirectness"] == (-1 if want["indirect"] >= 25 else 0)
    # imprecision
    assert f"{want['participants']} participants" in frame["imprecision_reason"]
    assert f"OIS {want['ois']}" in frame["imprecision_reason"]
    assert f"{100 * want['p_c']:.1f}%" in frame["imprecision_reason"]
    # publication bias
    if result.k < 10:
        assert frame["publication_bias_reason"].startswith(f"not assessable (k = {result.k} < 10)")
    else:
        assert f"P = {egger_test(result).p:.3f}" in frame["publication_bias_reason"]
    # certainty follows from the start and the five downgrades
    assert row.certainty == grade.certainty(row.start, [r.downgrade for r in row.ratings])
    # absolute effect: p_t = OR p_c / (1 - p_c + OR p_c), by hand
    p = want["p_c"]
    for column, odds in (("difference_per_1000", result.estimate), ("difference_per_1000_low", result.ci_low),
                         ("difference_per_1000_high", result.ci_high)):
        assert frame[column] == pytest.approx(1000 * (odds * p / (1 - p + odds * p) - p), rel=1e-12)
    assert frame["control_per_1000"] == pytest.approx(1000 * p)
    assert frame["comment"].startswith(f"OR {want['rep'].reported['estimate']:.2f}")


def test_unknown_outcome_and_missing_judgment_are_errors():
    with pytest.raises(ValueError, match="outcome must be one of"):
        summary_of_findings(REVIEW, outcomes=("live_births",))
    name = ESTIMABLE[0]
    first = reproduce(REVIEW, name).result.studies["study_id"].iloc[0]
    rob = REVIEW.risk_of_bias
    without = replace(REVIEW, risk_of_bias=rob[~((rob["study_id"] == first) & (rob["domain"] == "random_sequence"))])
    with pytest.raises(ValueError, match=f"no random_sequence judgment for study '{first}'"):
        rate_outcome(without, name)


def test_outcome_without_traceable_data():
    outcomes = REVIEW.outcomes
    traced = (outcomes["outcome"] == "adverse_reaction") & (outcomes["status"] == "extracted")
    untraced = replace(REVIEW, outcomes=outcomes[~traced])  # whatever the data hold now: no traced rows
    row = rate_outcome(untraced, "adverse_reaction")
    printed = REVIEW.reported_row("adverse_reaction")
    assert (row.studies, row.participants, row.certainty) == (0, 0, "not assessed")
    assert row.relative_effect == "not estimable from traceable data" and row.ratings == ()
    assert row.comment.startswith(f"OR {printed['estimate']:.2f} ({printed['ci_low']:.2f} to {printed['ci_high']:.2f}); "
                                f"{int(printed['k'])} studies")
    frame = grade.SummaryOfFindings((row,)).to_frame()
    assert frame[list(grade.DOMAINS)].isna().all(axis=None)
    assert frame["imprecision_reason"].iloc[0] == "not assessed: not estimable from traceable data"
    shown = grade.grade_table(grade.SummaryOfFindings((row,), intervention="IVIG"))
    assert shown["Risk with IVIG"].iloc[0] == "" and "Comments" in shown.columns


def test_continuous_outcome_with_data_is_shown_but_not_rated():
    row = rate_outcome(FIXTURE, "birth_weight")  # fixture: Alpha 3250 vs 3100, Gamma 3300.5 vs 3150
    result = reproduce(FIXTURE, "birth_weight").result
    assert row.relative_effect == f"MD {result.estimate:.2f} ({result.ci_low:.2f} to {result.ci_high:.2f})"
    assert row.participants == 12 + 8 + 14 + 10 and row.certainty == "not assessed"
    assert "minimal important difference" in row.note and row.risks() is None


def test_fixture_start_low_when_most_weight_is_not_randomised():
    # fixture live birth: Beta 2005 is non-randomised, Gamma 2009 "unclear"; together most of the weight
    row = rate_outcome(FIXTURE, "live_birth")
    assert row.start == "low"
    assert row.certainty == grade.certainty("low", [r.downgrade for r in row.ratings])
