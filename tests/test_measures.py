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
