"""The review's own verdict: the analysis plan, the information size, and the summary of findings built on them.

Every expected value is recomputed here from the data with the engine's primitives (or worked
by hand in a comment), so a change to the data moves both sides; what the tests pin is that
every page reads the same plan.
"""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from metarmc import (
    control_risk,
    corresponding_risk,
    data,
    grade,
    grade_table,
    meta_binary,
    required_information_size,
    summary_of_findings,
    tsa,
)
from metarmc.review import findings, information, plan
from metarmc.review.abstract import compact_sof
from metarmc.review.information import PLAN_TSA
from metarmc.review.registry import SUMMARY_ORDER

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def review():
    return data.load(ROOT / "data")


@pytest.fixture(scope="module")
def sof(review):
    return summary_of_findings(review)


# --------------------------------------------------------------------------- the plan

def test_the_body_is_the_randomised_placebo_controlled_trials_in_recurrent_miscarriage(review):
    table = plan.primary_table(review, "live_birth")
    studies = review.studies.set_index("label").loc[table["study"]]
    assert (studies["randomised"] == "yes").all() and (studies["placebo_controlled"] == "yes").all()
    assert "RIF" not in set(studies["rm_type"])
    outside = plan.other_body_table(review, "live_birth")
    assert set(outside["study"]).isdisjoint(table["study"]) and len(outside) > 0
    every = review.binary("live_birth", main_only=False)
    in_body = every[plan.PLAN.body_mask(every)]
    assert set(table["study_id"]) == set(in_body["study_id"])      # no trial of the body is dropped


def test_each_trial_enters_with_its_itt_denominator_where_it_reports_one(review):
    table = plan.primary_table(review, "live_birth")
    every = review.binary("live_birth", main_only=False)
    for row in table.itertuples():
        has_itt = ((every["study_id"] == row.study_id) & (every["denominator"] == "itt")).any()
        assert (row.denominator == "itt") == has_itt, row.study


def test_yamadas_denominator_is_the_treated_women_not_all_randomised(review):
    # studies.csv: 102 randomised, 53 IVIG and 49 placebo; the counts are out of the trial's "ITT population"
    # 50 + 49 ("Three women were excluded"): labelled treated, and the plan says so with the exclusions
    yamada = plan.primary_table(review, "live_birth").set_index("study").loc["Yamada 2022"]
    assert (yamada["denominator"], yamada["total_t"], yamada["total_c"]) == ("treated", 50, 49)
    short = plan.fewer_than_randomised(review, plan.primary_table(review, "live_birth"))
    assert short[["study", "excluded_t", "randomised_t", "excluded_c"]].values.tolist() == [["Yamada 2022", 3, 53, 0]]
    sentences = plan.denominator_sentences(review, plan.primary_table(review, "live_birth"))
    assert sentences == ("Not every trial counts all the women it randomised. For Jablonowska 1999 the counts are "
                         "among women who became pregnant. For Yamada 2022 they are among randomised women who "
                         "received the study drug: 3 of the 53 women randomised to IVIG and 0 of the 49 randomised "
                         "to control were excluded.")
    # a trial counted out of treated women is not a count of pregnancies: live birth stays per 1,000 women
    assert findings.rate_outcome(review, "live_birth_primary").population == "women"


def test_the_primary_result_is_reml_hksj_with_a_prediction_interval(review):
    result = plan.primary_result(review, "live_birth")
    again = meta_binary(plan.primary_table(review, "live_birth"), measure="OR", method="IV", model="random",
                        tau2="REML", hksj=True, prediction=True)
    assert (result.estimate, result.ci_low, result.ci_high, result.pi_low) == \
        (again.estimate, again.ci_low, again.ci_high, again.pi_low)
    assert result.label == "IV, Random, REML, HKSJ, 95% CI"


def test_sensitivity_analyses_include_the_papers_method_and_pregnant_denominators(review):
    runs = plan.sensitivity_analyses(review, "live_birth").set_index("scenario")
    main = plan.primary_result(review, "live_birth")
    assert runs.loc["plan: primary analysis", "estimate"] == pytest.approx(main.estimate, rel=1e-12)
    fixed = meta_binary(plan.primary_table(review, "live_birth"), measure="OR", method="MH")
    assert runs.loc["model: M-H fixed effect", "estimate"] == pytest.approx(fixed.estimate, rel=1e-12)
    assert runs.loc["body: with the non-randomised studies", "k"] > runs.loc["plan: primary analysis", "k"]
    pregnant = runs.loc["denominator: pregnant women"]
    assert pregnant["k"] == main.k and pregnant["estimate"] != pytest.approx(main.estimate)


def test_the_hksj_choice_has_its_two_sensitivity_analyses_by_hand(review):
    # Knapp & Hartung's factor q = sum w*(y - mu)^2 / (k - 1), w* = 1/(v + tau2), on the plan's REML fit; the ad hoc
    # CI is mu +- t(k-1) sqrt(max(1, q) / sum w*), the usual one mu +- 1.96 / sqrt(sum w*), its PI mu +- t(k-2)
    # sqrt(tau2 + 1/sum w*) (Higgins et al. 2009)
    result = plan.primary_result(review, "live_birth")
    yi, vi = result.study_effects()
    w, mu, k = 1 / (vi + result.tau2), np.log(result.estimate), result.k
    q = float((w * (yi - mu) ** 2).sum() / (k - 1))
    assert plan.hksj_factor(review, "live_birth") == pytest.approx(q, rel=1e-12)
    runs = plan.sensitivity_analyses(review, "live_birth").set_index("scenario")
    adhoc, usual = runs.loc[plan.ADHOC], runs.loc[plan.CONVENTIONAL]
    half = stats.t.ppf(0.975, k - 1) * np.sqrt(max(1.0, q) / w.sum())
    assert (adhoc["ci_low"], adhoc["ci_high"]) == pytest.approx((np.exp(mu - half), np.exp(mu + half)), rel=1e-12)
    assert usual["ci_high"] == pytest.approx(np.exp(mu + 1.959963984540054 / np.sqrt(w.sum())), rel=1e-12)
    pi_half = stats.t.ppf(0.975, k - 2) * np.sqrt(result.tau2 + 1 / w.sum())
    assert (usual["pi_low"], usual["pi_high"]) == pytest.approx((np.exp(mu - pi_half), np.exp(mu + pi_half)),
                                                                rel=1e-12)
    # here q < 1: the ad hoc interval is the wider one (and crosses 1, the plan's does not)
    assert q < 1 and adhoc["ci_low"] < result.ci_low and adhoc["ci_high"] > result.ci_high
    fit, rating, level = findings.with_usual_prediction_interval(review, "live_birth")
    assert (fit.pi_low, fit.pi_high) == (usual["pi_low"], usual["pi_high"]) and fit.hksj is False
    assert f"95% prediction interval {usual['pi_low']:.2f} to {usual['pi_high']:.2f}" in rating.reason
    # 0.96 to 2.57 crosses 1 while the plan's CI does not: the rule would lower certainty once more, already very low
    assert (rating.downgrade, level) == (-1, "very low")


def test_the_sensitivity_analysis_without_derived_and_lay_counts_drops_the_right_trials(review):
    # Hand-listed from data/outcomes.csv, the plan's live-birth row of each trial (ITT first):
    # dropped, derived from percentages: Christiansen 1995, Christiansen 2002, Jablonowska 1999,
    # Yamada 2022 (also from a lay summary); derived from other numbers of the arms: Stephenson 2010
    # (abstract numerators over registry arm sizes). Kept, printed counts in an abstract:
    # Christiansen 2015 23/42 vs 20/40 and Coulam 1995 18/47 vs 11/48 (its ITT row, main=no).
    run = plan.sensitivity_analyses(review, "live_birth").set_index("scenario").loc[
        "data: without derived and lay-source counts"]
    assert run["studies"] == "Christiansen 2015; Coulam 1995" and run["k"] == 2
    # Worked by hand: ln OR 0.191055 (var 1/23+1/19+1/20+1/20 = 0.196110) and 0.736099 (var
    # 1/18+1/29+1/11+1/37 = 0.207974); Q = 0.735 < df, so REML tau2 = 0 and the IV mean is 0.455575;
    # HKSJ SE = sqrt(Q/(k-1) / sum w) = 0.272404, t(1) = 12.7062: OR 1.57708 (0.049507 to 50.2393).
    # rel=1e-5: the hand values carry six significant digits.
    assert (run["estimate"], run["ci_low"], run["ci_high"]) == pytest.approx((1.57708, 0.049507, 50.2393), rel=1e-5)


def test_direct_counts_drop_lay_sources_even_when_printed_as_counts(review):
    table = plan.primary_table(review, "live_birth").assign(derivation="reported")
    kept = plan.direct_counts(table)["study"].tolist()
    # Yamada 2022 is the only trial of the plan read in part from a lay summary (a clinic blog, a newspaper)
    assert "Yamada 2022" not in kept and len(kept) == len(table) - 1


def test_adjusted_estimates_enter_by_generic_inverse_variance(review):
    result = plan.with_adjusted_estimates(review, "live_birth")
    adjusted = review.reported_estimates("live_birth").iloc[0]
    row = result.studies.set_index("study").loc[f"{adjusted['study']} (adjusted)"]
    # its SE from the reported CI: (ln 7.67 - ln 1.78) / 3.919928 = 0.37267
    assert row["se"] == pytest.approx((np.log(adjusted["ci_high"]) - np.log(adjusted["ci_low"])) / 3.919928, rel=1e-6)
    assert result.k == plan.primary_result(review, "live_birth").k + 1


def test_a_single_trial_is_its_own_result(review):
    table = plan.primary_table(review, "live_birth_primary")
    assert len(table) == 1
    result = plan.primary_result(review, "live_birth_primary")
    assert result.k == 1 and result.estimate == pytest.approx(meta_binary(table, method="IV").estimate)


# --------------------------------------------------------------------------- information size

def test_the_information_size_is_the_tsas_and_gradees(review, sof):
    table = plan.primary_table(review, "live_birth")
    no_live_birth = 1 - control_risk(table)
    d2 = information.plan_tsa(review, "live_birth").d2
    ris = required_information_size(no_live_birth, PLAN_TSA["rrr"], PLAN_TSA["alpha"], PLAN_TSA["power"], d2)
    assert information.planned_information_size(review, "live_birth") == ris
    reason = sof["live_birth"].ratings[3].reason
    assert f"OIS {ris} " in reason and f"{100 * no_live_birth:.1f}%" in reason


def test_grades_information_size_is_the_tsa_pages_with_the_same_assumptions(review, sof):
    # book/15 glues plan_tsa(review, "live_birth").ris as the required information size; GRADE's imprecision
    # names the same number, from the same function, control risk (the trials' own no live birth), RRR, α, power
    primary = information.plan_tsa(review, "live_birth")
    grid = information.tsa_grid(review, "live_birth").set_index(["control_risk_basis", "rrr", "model"])
    row = grid.loc[("the trials' own", PLAN_TSA["rrr"], "random")]
    assert row["ris"] == primary.ris == information.planned_information_size(review, "live_birth")
    assert (primary.p_control, primary.rrr, primary.alpha, primary.power) == (
        row["p_control"], PLAN_TSA["rrr"], PLAN_TSA["alpha"], PLAN_TSA["power"])
    reason = sof["live_birth"].ratings[3].reason
    assert f"OIS {primary.ris} (control risk of no live birth {100 * primary.p_control:.1f}%, RRR 20%, α 0.05, " \
           "power 0.80; the trial sequential analysis's required information size)" in reason


def test_the_tsa_grid_covers_the_assumptions_and_its_verdict_follows_it(review):
    grid = information.tsa_grid(review, "live_birth")
    assert len(grid) == 8 and set(grid["rrr"]) == {0.20, 0.25} and set(grid["model"]) == {"fixed", "random"}
    table = plan.primary_table(review, "live_birth")
    row = grid.iloc[0]   # Egerup's 43%, RRR 20%, fixed effect
    again = tsa(table, rrr=0.20, p_control=0.43, d2=0.0, benefit="higher", measure="OR", method="MH", model="fixed")
    assert (row["ris"], row["z"], row["firm"]) == (again.ris, again.z, again.benefit_crossed_at is not None)
    assert information.tsa_verdict(grid) == ("firm under every assumption" if grid["firm"].all() else
                                             "not firm under any assumption" if not grid["firm"].any() else
                                             "sensitive to the assumptions")


# --------------------------------------------------------------------------- the summary of findings

def test_the_sofs_relative_effect_is_the_plans_pooled_result(review, sof):
    for name in SUMMARY_ORDER:
        row = sof[name]
        if plan.OUTCOMES[name].kind != "binary" or plan.primary_table(review, name).empty:
            continue
        result = plan.primary_result(review, name)
        assert (row.estimate, row.ci_low, row.ci_high) == (result.estimate, result.ci_low, result.ci_high), name
        assert row.studies == result.k


def test_absolute_effects_and_nnt_by_hand(review, sof):
    row = sof["live_birth"]
    p = control_risk(plan.primary_table(review, "live_birth"))
    effects = row.absolute_effects().set_index("population")
    for name, odds in (("intervention_per_1000", row.estimate), ("intervention_per_1000_low", row.ci_low)):
        # p_t = OR p / (1 - p + OR p)
        assert effects.loc["control arms", name] == pytest.approx(1000 * odds * p / (1 - p + odds * p), rel=1e-12)
    rd = corresponding_risk(p, row.estimate) - p
    assert row.nnt().estimate == pytest.approx(1 / rd, rel=1e-12)
    risks = plan.assumed_risks(plan.primary_table(review, "live_birth"))
    lowest = "lowest control-arm rate"
    assert effects.loc[lowest, "control_per_1000"] == pytest.approx(1000 * risks[lowest])
    shown = grade_table(sof).set_index("Outcome")
    assert shown.loc["Live birth", "Number needed to treat"] == row.nnt().text()


def test_every_downgrade_has_a_footnote_in_words(sof):
    for row in sof.findings:
        for rating in row.ratings:
            assert bool(rating.footnote) == bool(rating.downgrade), (row.outcome, rating.domain)
    letters = grade.footnote_letters(sof)
    shown = grade_table(sof)
    for row, cell in zip(sof.findings, shown["Certainty"]):
        marks = ",".join(letters[text] for text in row.footnotes)
        assert (f"({marks})" in cell) if marks else ("(" not in cell or row.certainty == "not assessed")
    assert [line[0] for line in grade.footnotes(sof)] == sorted(letters.values())


def test_miscarriage_is_counted_among_the_same_women_as_live_birth(review, sof):
    # Coulam 11/29 vs 21/32 beside live births 18/29 vs 11/32 and Stephenson 7/23 vs 9/24 beside 16/23 vs 15/24
    # add up to their pregnancies; Yamada's losses before 22 weeks, 19/50 vs 32/49, beside 29/50 vs 17/49
    # leave 50 - 19 - 29 = 2 IVIG pregnancies (ongoing at 22 weeks, no live birth) and 49 - 32 - 17 = 0.
    pairs = findings.complement_table(review, "miscarriage")
    assert list(pairs.columns) == list(findings.COMPLEMENT_COLUMNS)
    assert pairs["study"].tolist() == ["Coulam 1995", "Stephenson 2010", "Yamada 2022"]
    assert pairs[["neither_t", "neither_c"]].values.tolist() == [[0, 0], [0, 0], [2, 0]]
    assert findings.complement_of(review, "miscarriage") is None  # not exact in Yamada 2022
    shared = findings.complement_clause(review, "miscarriage")
    assert shared == ("in Coulam 1995, Stephenson 2010 every pregnancy without a live birth ended in a miscarriage, "
                      "so there the two odds ratios are reciprocals; in Yamada 2022, 2 of 50 (IVIG) and 0 of 49 "
                      "(control) pregnancies ended in neither")
    assert sof["miscarriage"].comment.startswith(f"The same women as live birth ({shared}): not separate evidence.")
    assert sof["miscarriage"].population == "pregnant women"


def test_the_sof_counts_miscarriage_per_1000_pregnant_women(sof):
    # the miscarriage rows count pregnancies (Coulam 29/32, Stephenson 23/24, Yamada's treated women, all pregnant)
    shown = grade_table(sof).set_index("Outcome")
    row = sof["miscarriage"]
    assert shown.loc["Miscarriage", "Risk difference with IVIG"] == row.absolute_text(population=True)
    assert "per 1,000 pregnant women" in shown.loc["Miscarriage", "Risk difference with IVIG"]
    assert shown.loc["Miscarriage", "Risk with control"].endswith("per 1,000 pregnant women")
    assert "per 1,000 women (" in shown.loc["Live birth", "Risk difference with IVIG"]
    compact = compact_sof(sof).set_index("Outcome")
    assert compact.loc["Miscarriage", "Difference with IVIG"] == shown.loc["Miscarriage", "Risk difference with IVIG"]


def test_miscarriage_is_the_complement_of_live_birth_in_the_trials_where_it_adds_up(review):
    # without Yamada 2022's miscarriage row the two remaining trials are exact complements
    outcomes = review.outcomes
    keep = ~((outcomes["study_id"] == "yamada2022") & (outcomes["outcome"] == "miscarriage"))
    two = replace(review, outcomes=outcomes[keep].reset_index(drop=True))
    assert findings.complement_of(two, "miscarriage") == "live_birth"
    assert findings.summary_of_findings(two, ("miscarriage",))["miscarriage"].comment.startswith(
        "The same women and pregnancies as live birth")


def test_complement_check_fails_when_the_counts_do_not_add_up(review):
    outcomes = review.outcomes.copy()
    rows = (outcomes["outcome"] == "miscarriage") & (outcomes["status"] == "extracted")
    first = outcomes.index[rows][0]
    outcomes.loc[first, "events_t"] = outcomes.loc[first, "events_t"] - 1
    assert findings.complement_of(replace(review, outcomes=outcomes), "miscarriage") is None


def test_missing_evidence_by_the_papers_table1_sizes(review):
    share, names = findings.missing_evidence(review, "live_birth")
    studies = review.studies
    possible = studies[studies["randomised"].isin(("yes", "unclear")) & studies["placebo_controlled"].isin(
        ("yes", "unclear")) & (studies["rm_type"] != "RIF")]
    traced = set(plan.primary_table(review, "live_birth")["study_id"])
    missing = possible[~possible["study_id"].isin(traced)]
    assert share == pytest.approx(100 * missing["n_table1"].sum() / possible["n_table1"].sum())
    assert names == ", ".join(missing["label"])


def test_harms_are_rated_from_the_printed_result_with_the_structural_zero(review, sof):
    # no trial's adverse-reaction counts are traceable: the row is the paper's printed result
    assert plan.primary_table(review, "adverse_reaction").empty
    row = sof["adverse_reaction"]
    printed = review.reported_row("adverse_reaction")
    assert (row.estimate, row.ci_low, row.ci_high) == (printed["estimate"], printed["ci_low"], printed["ci_high"])
    assert row.certainty == "very low" and row.start == "low"
    # studies.csv control_infusion = no: the two studies with untreated controls
    assert findings.no_infusion_controls(review) == ["Jafarzadeh 2019", "Peero 2024"]
    assert "Controls of Jafarzadeh 2019, Peero 2024 received no infusion" in row.comment
    assert "structural zero" in row.comment


def test_the_harms_row_says_it_grades_the_printed_result_and_why_in_words(sof):
    row = sof["adverse_reaction"]
    shown = grade_table(sof).set_index("Outcome").loc[row.title]
    assert row.note == findings.PRINTED_ONLY and shown["Comments"].startswith("As printed by the paper")
    assert row.start == "low" and "cannot be shown to be randomised evidence" in row.start_reason
    assert row.certainty == "very low" and shown["Certainty"].startswith("⊕◯◯◯ Very low (")
    lowered = [r for r in row.ratings if r.downgrade]
    assert [r.domain for r in lowered] == ["risk_of_bias", "inconsistency", "imprecision"]
    assert all(r.footnote and not any(ch.isdigit() for ch in r.footnote) for r in lowered)  # words, not numbers


def test_every_safety_signal_is_collected_with_its_source(review, sof):
    # hand-listed from data/harms.csv: three signals, two from clinic/newspaper pages, one from an abstract
    clause = findings.safety_clause(review)
    assert clause == ("Yamada 2022: congenital anomaly in 4 vs 0 neonates, from a lay summary (press or clinic web "
                      "page); Yamada 2022: preterm or small birth (no numbers given), from a lay summary (press or "
                      "clinic web page); Peero 2024: serious adverse event in 0 of 49 women with IVIG (no count for "
                      "the other arm), from an abstract")
    assert clause in sof["adverse_reaction"].comment
    table = findings.safety_table(review)
    assert table[["IVIG", "Control", "Control arm"]].values.tolist() == [
        ["4 neonates", "0 neonates", "placebo infusion"], ["not given", "not given", "placebo infusion"],
        ["0 of 49 women", "not given", "no infusion (untreated)"]]
    assert table["Source"].str.startswith(("Lay summary", "Abstract")).all()


def test_overlapping_pairs_are_checked_against_every_analysis(review):
    from metarmc.review import provenance
    pairs = provenance.overlaps_pooled(review)
    # overlaps.csv: Jørgensen 2020 and Christiansen 2015; Jørgensen 2020 has no extracted row, so no
    # analysis of ours pools both, while the paper's live-birth analysis (k = 11 of 11 studies) must have
    assert pairs[["study", "other_study", "certainty", "pooled_in", "in_every_study_analysis"]].values.tolist() == [
        ["Jørgensen 2020", "Christiansen 2015", "possible", "", "Live birth"]]
    # a pair of two pooled trials: Christiansen 2015 and Coulam 1995 share only the live-birth analyses
    # (Coulam 1995 has no secondary-RM row, Christiansen 2015 no miscarriage row)
    pair = review.overlaps.assign(study_id="coulam1995")
    pooled = provenance.overlaps_pooled(replace(review, overlaps=pair))["pooled_in"].tolist()
    assert pooled == ["Live birth, as the paper did it; Live birth, by the analysis plan"]
    assert "both are pooled in live birth, as the paper did it" in provenance.overlap_sentences(
        replace(review, overlaps=pair))[0]


def test_the_bottom_line_says_which_sensitivity_analyses_cross_1(review):
    """On today's data the ad hoc HKSJ interval (0.99 to 2.51) and the analysis without derived and lay-source
    counts include an OR of 1 while the plan's primary interval (1.05 to 2.35) does not (book/20)."""
    from metarmc.review.abstract import robustness

    sentence = robustness(review)
    assert sentence.startswith("Its confidence interval excludes an odds ratio of 1")
    assert "but not in 2 of the 6 sensitivity analyses of the same trials (HKSJ with the ad hoc correction and " \
           "without derived and lay-source counts)" in sentence
