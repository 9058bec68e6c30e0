"""metarmc.measures: OR, RR and RD of the same trials, and what an odds ratio means as risks.

Hand-worked from p1 = p0 OR / (1 - p0 + p0 OR) (Zhang & Yu 1998) and the live-birth data.

Tolerances: rel=1e-12 (or abs=1e-12 near 0) compares closed forms worked by hand with the engine's:
only floating-point rounding separates them.
"""

import numpy as np
import pandas as pd
import pytest

from metarmc import measures as ms
from metarmc import meta_binary
from metarmc.schema import BINARY_MEASURES


def test_corresponding_risk_on_the_logit_scale_by_hand():
    # odds 0.5/0.5 = 1 -> 3 -> risk 0.75; odds 0.2/0.8 = 0.25 -> 0.5 -> risk 1/3
    assert ms.corresponding_risk([0.5, 0.2], [3.0, 2.0]) == pytest.approx([0.75, 1 / 3], rel=1e-12)
    assert ms.corresponding_risk([0.0, 1.0], 5.0).tolist() == [0.0, 1.0]


def test_odds_ratio_exaggerates_the_risk_ratio_when_events_are_common():
    # RR = OR / (1 - p0 + p0 OR): OR 2 at p0 0.001 -> 2/1.001 = 1.998; at p0 0.5 -> 2/1.5 = 1.333
    out = ms.implied_effects(2.0, [0.001, 0.5])
    assert out["risk_ratio"].tolist() == pytest.approx([2 / 1.001, 2 / 1.5], rel=1e-12)
    assert out["risk_difference"].tolist() == pytest.approx([2 / 1.001 * 0.001 - 0.001, 1 / 6], rel=1e-12)
    assert out["odds_ratio"].tolist() == [2.0, 2.0]


def test_compare_measures_lines_up_each_measure_with_meta_binary(live_birth):
    out = ms.compare_measures(live_birth)
    assert list(out.columns) == list(ms.COMPARISON_COLUMNS)
    for measure in BINARY_MEASURES:
        part = out[out["measure"] == measure]
        result = meta_binary(live_birth, measure=measure)
        assert part["study"].tolist() == [*live_birth["study"], ms.POOLED]
        assert part["estimate"].iloc[-1] == pytest.approx(result.estimate, rel=1e-12)
        assert part["weight"].iloc[:-1].sum() == pytest.approx(100.0)


def test_every_study_and_the_pool_have_rr_closer_to_one_than_or(live_birth):
    # OR = RR (1 - p0)/(1 - p1): the OR lies further from 1 than the RR, on the same side.
    out = ms.compare_measures(live_birth, measures=("OR", "RR"))
    log_or = np.log(out.loc[out["measure"] == "OR", "estimate"].to_numpy())
    log_rr = np.log(out.loc[out["measure"] == "RR", "estimate"].to_numpy())
    assert (np.abs(log_rr) <= np.abs(log_or) + 1e-12).all()
    assert (np.sign(log_rr) == np.sign(log_or)).all()


@pytest.mark.parametrize("call, message", [
    (lambda table: ms.corresponding_risk(1.2, 2.0), "assumed_risk must be a risk"),
    (lambda table: ms.corresponding_risk(0.5, 0.0), "a ratio must be a positive"),
    (lambda table: ms.implied_effects(2.0, [0.0, 0.5]), "above 0"),
    (lambda table: ms.compare_measures(table, measures=("OR", "MD")), "measures must be among"),
    (lambda table: ms.compare_measures(pd.DataFrame({"study": ["A"]})), "missing column"),
])
def test_bad_input_names_what_was_expected(call, message, live_birth):
    with pytest.raises(ValueError, match=message):
        call(live_birth)


def test_risks_and_odds_of_coulam_1995_by_hand(live_birth):
    # 18/29 live births with IVIG, 11/32 with placebo: odds 18/11 and 11/21
    row = ms.risks_and_odds(live_birth).set_index("study").loc["Coulam 1995"]
    assert row.tolist() == pytest.approx([18 / 29, 18 / 11, 11 / 32, 11 / 21], rel=1e-12)
    ratios = ms.compare_measures(live_birth).set_index(["measure", "study"])["estimate"]
    assert ratios["OR", "Coulam 1995"] == pytest.approx((18 / 11) / (11 / 21), rel=1e-12)
    assert ratios["RR", "Coulam 1995"] == pytest.approx((18 / 29) / (11 / 32), rel=1e-12)
    assert ratios["RD", "Coulam 1995"] == pytest.approx(18 / 29 - 11 / 32, rel=1e-12)


def test_risks_and_odds_needs_the_counts(live_birth):
    with pytest.raises(ValueError, match="missing column"):
        ms.risks_and_odds(live_birth.drop(columns="events_t"))


# --- number needed to treat (Altman 1998) -----------------------------------------------------

def test_nnt_inverts_the_risk_difference_and_its_ci_by_hand():
    # RD 0.25 (0.125 to 0.5): NNTB 1/0.25 = 4, CI 1/0.5 = 2 to 1/0.125 = 8
    got = ms.number_needed_to_treat(0.25, 0.125, 0.5)
    assert (got.estimate, got.low, got.high, got.benefit, got.crosses_zero) == (4.0, 2.0, 8.0, True, False)
    assert got.text() == "NNTB 4 (2 to 8)"


def test_nnt_interval_through_infinity_when_the_rd_ci_contains_0():
    # RD -0.04 (-0.10 to 0.02) for a good outcome: NNTH 25, CI NNTB 1/0.02 to ∞ to NNTH 1/0.10 (Altman 1998)
    got = ms.number_needed_to_treat(-0.04, -0.10, 0.02)
    assert got.crosses_zero and not got.benefit
    assert got.text() == "NNTH 25 (NNTB 50 to ∞ to NNTH 10)"


def test_nnt_for_an_outcome_where_fewer_events_is_the_benefit():
    # miscarriage 0.30 -> 0.20: RD -0.10 (-0.20 to -0.04), fewer is better: NNTB 10 (5 to 25)
    assert ms.number_needed_to_treat(-0.10, -0.20, -0.04, benefit="lower").text() == "NNTB 10 (5 to 25)"
    assert ms.number_needed_to_treat(-0.10, -0.20, -0.04).text() == "NNTH 10 (5 to 25)"


def test_nnt_rounds_up_and_rejects_bad_input():
    assert ms.number_needed_to_treat(0.3, 0.15, 0.45).text() == "NNTB 4 (3 to 7)"  # 3.33, 2.22, 6.67
    with pytest.raises(ValueError, match="must lie within its CI"):
        ms.number_needed_to_treat(0.2, 0.3, 0.4)
    with pytest.raises(ValueError, match="benefit must be higher or lower"):
        ms.number_needed_to_treat(0.2, 0.1, 0.3, benefit="more")


def test_nnt_from_an_odds_ratio_and_an_assumed_risk():
    # OR 3 (2 to 5) at p0 0.5: p1 = 0.75, 2/3 and 5/6; RD 0.25 -> NNTB 4, CI 1/(1/3) = 3 to 1/(1/6) = 6
    rd = ms.corresponding_risk(0.5, [3.0, 2.0, 5.0]) - 0.5
    got = ms.number_needed_to_treat(*rd)
    assert (got.estimate, got.low, got.high) == pytest.approx((4.0, 3.0, 6.0), rel=1e-12)
    assert got.text() == "NNTB 4 (3 to 6)"  # 1/(2/3 - 1/2) is 6.000000000000002 in floating point: still 6
    assert ms.number_needed_to_treat(0.1, 0.0, 0.2).text() == "NNTB 10 (NNTB 5 to ∞)"  # a CI limit at exactly 0
