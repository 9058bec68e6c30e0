"""metarmc.sensitivity: leave-one-out influence, named scenarios and the standard list.

Hand-worked values use the Mantel-Haenszel OR (Deeks & Higgins 2010), the RevMan 0.5
zero-cell correction and Peto's O - E / V; the fictitious fixture tests/fixtures/data_valid
keeps them small.

Tolerances: rel=1e-12 (or abs=1e-12 near 0) compares closed forms worked by hand with the engine's:
only floating-point rounding separates them; abs=1e-9 for mean differences near 150 g written as
exact decimals; rel=1e-9 for REML fits, whose tau2 is iterated to the solver's tolerance.
"""

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from metarmc import OUTCOMES, as_the_paper_did, data, meta_binary, meta_continuous, reproduce, standard_scenarios
from metarmc import sensitivity as sens

TWO = pd.DataFrame({"study": ["A", "B"], "events_t": [12, 5], "total_t": [20, 18],
                    "events_c": [8, 4], "total_c": [21, 17]})


def test_influence_two_studies_by_hand():
    # A: a d / N = 12*13/41, b c / N = 8*8/41; B: 5*13/35, 13*4/35
    full = (156 / 41 + 65 / 35) / (64 / 41 + 52 / 35)  # 1.858417
    out = sens.leave_one_out_summary(TWO).set_index("omitted")
    assert out.loc["A", "estimate"] == pytest.approx(5 * 13 / (13 * 4), rel=1e-12)  # B alone: 1.25
    assert out.loc["B", "estimate"] == pytest.approx(12 * 13 / (8 * 8), rel=1e-12)  # A alone: 2.4375
    assert out["change"].tolist() == pytest.approx([1.25 - full, 2.4375 - full], rel=1e-12)
    # |ln 1.25 - ln 1.858417| = 0.3966 > |ln 2.4375 - ln 1.858417| = 0.2713: omitting A moves it most
    assert out["most_influential"].tolist() == [True, False]
    assert out["k"].tolist() == [1, 1]


def test_influence_rows_equal_meta_binary_without_the_study(fixture_review):
    table = fixture_review.binary("live_birth")
    out = sens.leave_one_out_summary(table, model="random", tau2="REML")
    full = meta_binary(table, model="random", tau2="REML")
    for row in out.itertuples():
        alone = meta_binary(table[table["study"] != row.omitted], model="random", tau2="REML")
        assert (row.estimate, row.ci_low, row.ci_high, row.p, row.i2) == pytest.approx(
            (alone.estimate, alone.ci_low, alone.ci_high, alone.p, alone.i2), rel=1e-9)
        assert row.changes_significance == ((alone.p < 0.05) != (full.p < 0.05))
    moves = np.abs(np.log(out["estimate"]) - math.log(full.estimate))
    assert out["most_influential"].tolist() == (moves == moves.max()).tolist()


def test_influence_continuous_by_hand(fixture_review):
    # fixture birth weight: Alpha 3250 - 3100 = 150, Gamma 3300.5 - 3150 = 150.5
    out = sens.leave_one_out_summary(fixture_review.continuous("birth_weight")).set_index("omitted")
    assert out.loc["Alpha 2001", "estimate"] == pytest.approx(150.5, abs=1e-9)
    assert out.loc["Gamma 2009", "estimate"] == pytest.approx(150.0, abs=1e-9)
    full = meta_continuous(fixture_review.continuous("birth_weight")).estimate
    assert out["change"].tolist() == pytest.approx([150.5 - full, 150.0 - full], abs=1e-9)


def test_influence_needs_two_studies_and_a_known_table():
    with pytest.raises(ValueError, match="at least 2 studies; got 1"):
        sens.leave_one_out_summary(TWO.iloc[:1])
    with pytest.raises(ValueError, match="a study table needs the columns events_t"):
        sens.leave_one_out_summary(TWO.drop(columns="total_c"))


# --------------------------------------------------------------------------- scenarios

def test_scenario_equals_meta_binary_on_the_filtered_table(fixture_review):
    table = fixture_review.binary("live_birth")
    specs = [sens.Scenario("all, random", {"model": "random"}),
             sens.Scenario("placebo RR", {"measure": "RR"}, where={"placebo_controlled": "yes"})]
    out = sens.scenarios(table, specs).set_index("scenario")
    assert list(out.reset_index().columns) == list(sens.SCENARIO_COLUMNS)
    random = meta_binary(table, model="random")
    assert out.loc["all, random", ["estimate", "ci_low", "ci_high", "p", "tau2"]].tolist() == pytest.approx(
        [random.estimate, random.ci_low, random.ci_high, random.p, random.tau2], rel=1e-12)
    placebo = meta_binary(table[table["placebo_controlled"] == "yes"], measure="RR")
    assert out.loc["placebo RR", "estimate"] == pytest.approx(placebo.estimate, rel=1e-12)
    assert out.loc["placebo RR", "studies"] == "Alpha 2001; Gamma 2009"
    assert out.loc["placebo RR", "model"] == "M-H, Fixed, 95% CI"
    assert out.loc["all, random", "model"] == "M-H, Random, 95% CI"


def test_scenario_with_its_own_table_and_a_prediction_interval(fixture_review):
    own = TWO.assign(study=["X", "Y"])
    out = sens.scenarios(fixture_review.binary("live_birth"), [
        sens.Scenario("own", table=own),
        sens.Scenario("pi", {"model": "random", "tau2": "REML", "prediction": True})]).set_index("scenario")
    assert out.loc["own", "estimate"] == pytest.approx((156 / 41 + 65 / 35) / (64 / 41 + 52 / 35), rel=1e-12)
    assert out.loc["own", "studies"] == "X; Y"
    assert np.isnan(out.loc["own", "pi_low"])  # not asked for
    expected = meta_binary(fixture_review.binary("live_birth"), model="random", tau2="REML", prediction=True)
    assert out.loc["pi", ["pi_low", "pi_high"]].tolist() == pytest.approx([expected.pi_low, expected.pi_high])


@pytest.mark.parametrize("specs, message", [
    ([sens.Scenario("none", where={"randomised": "maybe"})], "scenario 'none' keeps no study"),
    ([sens.Scenario("bad", where={"colour": "red"})], "scenario 'bad': no column 'colour' to select on"),
    ([sens.Scenario("x"), sens.Scenario("x")], "scenario names must be unique"),
])
def test_bad_scenarios(specs, message, fixture_review):
    with pytest.raises(ValueError, match=message):
        sens.scenarios(fixture_review.binary("live_birth"), specs)


# --------------------------------------------------------------------------- the standard list

def test_standard_scenarios_for_the_fixture_live_birth(fixture_review):
    specs = standard_scenarios(fixture_review, "live_birth")
    assert [spec.name for spec in specs] == [
        "paper's rule", "design: randomised", "design: placebo-controlled",
        "design: randomised placebo-controlled", "denominator: women who became pregnant where reported",
        "model: fixed effect", "model: random DL", "model: random REML", "model: random PM",
        "model: random DL, HKSJ", "model: random REML, prediction interval",
        "weights: inverse variance OR", "measure: RR", "measure: RD",
        "zero cells: Peto OR"]  # no RIF study, so "recurrent miscarriage only" would change nothing
    out = sens.scenarios(fixture_review.binary("live_birth"), specs).set_index("scenario")
    assert out.loc["paper's rule", "estimate"] == pytest.approx(
        as_the_paper_did(fixture_review.binary("live_birth"), OUTCOMES["live_birth"]).estimate, rel=1e-12)
    # randomised = Alpha 2001 only: 12/20 vs 8/20, OR = 12*12 / (8*8) = 2.25
    assert out.loc["design: randomised", "estimate"] == pytest.approx(2.25, rel=1e-12)
    # pregnant denominator: Gamma's 14/20 vs 10/21 becomes 14/17 vs 10/18
    swapped = pd.DataFrame({"study": ["Alpha 2001", "Beta 2005", "Gamma 2009"], "events_t": [12, 9, 14],
                            "total_t": [20, 15, 17], "events_c": [8, 7, 10], "total_c": [20, 16, 18]})
    assert out.loc["denominator: women who became pregnant where reported", "estimate"] == pytest.approx(
        meta_binary(swapped).estimate, rel=1e-12)


def test_standard_scenarios_zero_cell_alternatives_by_hand(fixture_review):
    # fixture adverse reactions, one study 3/20 vs 0/20 (k = 1: no random-effects scenarios)
    specs = standard_scenarios(fixture_review, "adverse_reaction")
    assert not any(spec.name.startswith("model: random") for spec in specs)
    out = sens.scenarios(fixture_review.binary("adverse_reaction"), specs).set_index("scenario")
    # RevMan adds 0.5 to every cell: (3.5 * 20.5) / (17.5 * 0.5) = 8.2
    assert out.loc["paper's rule", "estimate"] == pytest.approx(8.2, rel=1e-12)
    # Peto: O - E = 3 - 20*3/40 = 1.5, V = 20*20*3*37 / (40^2 * 39) = 0.711538; OR = exp(1.5 / V)
    assert out.loc["zero cells: Peto OR", "estimate"] == pytest.approx(math.exp(1.5 / (44400 / 62400)), rel=1e-12)
    assert out.loc["measure: RD", "estimate"] == pytest.approx(
        meta_binary(fixture_review.binary("adverse_reaction"), measure="RD").estimate, rel=1e-12)


def test_standard_scenarios_for_a_continuous_outcome(fixture_review):
    specs = standard_scenarios(fixture_review, "birth_weight")
    assert specs[-1].name == "measure: SMD, random DL"
    out = sens.scenarios(fixture_review.continuous("birth_weight"), specs).set_index("scenario")
    assert out.loc["design: randomised", "estimate"] == pytest.approx(150.0, abs=1e-9)  # Alpha alone


def test_standard_scenarios_need_data(fixture_review):
    outcomes = fixture_review.outcomes[fixture_review.outcomes["outcome"] != "miscarriage"]
    with pytest.raises(ValueError, match="outcome 'miscarriage' has no extracted study rows"):
        standard_scenarios(replace(fixture_review, outcomes=outcomes), "miscarriage")


def test_standard_scenarios_on_the_review_data(review):
    main = review.binary("live_birth")
    specs = standard_scenarios(review, "live_birth")
    out = sens.scenarios(main, specs).set_index("scenario")
    assert out.loc["paper's rule", "estimate"] == pytest.approx(reproduce(review, "live_birth").result.estimate)
    for spec in specs:
        if spec.where:  # a design subset is meta_binary on the filtered main table
            kept = sens.select(main, spec.where)
            assert out.loc[spec.name, "estimate"] == pytest.approx(
                meta_binary(kept, **spec.options).estimate, rel=1e-12)
    itt = next(spec for spec in specs if spec.name == "denominator: all randomised women where reported").table
    every = review.binary("live_birth", main_only=False)
    has_itt = set(every.loc[every["denominator"] == "itt", "study_id"])
    assert set(itt["study_id"]) == set(main["study_id"])
    assert all(row.denominator == "itt" for row in itt.itertuples() if row.study_id in has_itt)


def test_a_study_with_figures_only_in_another_report_is_listed_as_such(review):
    from metarmc.review.paper import SECONDARY_ONLY, missing_list

    rep = reproduce(review, "live_birth")
    lines = dict(line[4:].split("**: ") for line in missing_list(rep).splitlines())
    assert rep.secondary == ("Jafarzadeh 2019",)  # the companion report's 38/44 vs 21/50 (outcomes.csv)
    assert lines["Jafarzadeh 2019"] == SECONDARY_ONLY
    assert lines["Carp 2001"] == data.STATUS_REASONS["not_found"]
