"""Values worked by hand from the formulas in Deeks & Higgins (2010), where RevMan and
metafor differ on purpose or where no external reference exists.

Tolerances: rel=1e-12 (or abs=1e-12 near 0) compares closed forms worked by hand with the engine's:
only floating-point rounding separates them.
"""

import math

import numpy as np
import pandas as pd
import pytest

from metarmc import meta_binary, meta_continuous, meta_generic

TWO_STUDIES = pd.DataFrame({"study": ["S1", "S2"], "events_t": [10, 3], "total_t": [20, 10],
                            "events_c": [5, 6], "total_c": [20, 10]})


def test_mh_risk_difference_uses_greenland_robins_variance():
    # w = n1 n2 / N: S1 20*20/40 = 10, S2 10*10/20 = 5; RD: S1 0.50-0.25 = 0.25, S2 0.3-0.6 = -0.3
    # RD_MH = (10*0.25 + 5*(-0.3)) / 15 = 1/15
    # J = (a b n2^3 + c d n1^3) / (n1 n2 N^2): S1 (800000 + 600000)/640000 = 2.1875,
    #                                          S2 (21000 + 24000)/40000 = 1.125
    # Var = (2.1875 + 1.125) / 15^2 = 3.3125 / 225
    res = meta_binary(TWO_STUDIES, measure="RD", method="MH")
    assert res.estimate == pytest.approx(1 / 15, rel=1e-12)
    assert res.se == pytest.approx(math.sqrt(3.3125 / 225), rel=1e-12)
    assert res.studies["weight"].tolist() == pytest.approx([200 / 3, 100 / 3], rel=1e-12)


def test_revman_hedges_g_and_its_variance():
    # s = sqrt((9*2^2 + 11*3^2) / 20) = sqrt(6.75); g = 2/s * (1 - 3/(4*22 - 9))
    # Var = 22/(10*12) + g^2 / (2*(22 - 3.94))
    df = pd.DataFrame({"study": ["A"], "mean_t": [10.0], "sd_t": [2.0], "n_t": [10],
                       "mean_c": [8.0], "sd_c": [3.0], "n_c": [12]})
    g = 2 / math.sqrt(6.75) * (1 - 3 / 79)
    res = meta_continuous(df, measure="SMD")
    assert res.estimate == pytest.approx(g, rel=1e-12)
    assert res.se == pytest.approx(math.sqrt(22 / 120 + g**2 / (2 * 18.06)), rel=1e-12)


def test_zero_cell_adds_half_to_every_cell_including_inside_mh_sums():
    # Study Z has a zero cell -> cells 0.5, 10.5, 3.5, 7.5 (n1 = n2 = 11, N = 22) inside the
    # M-H sums too. Study Y is untouched: 4, 6, 2, 8 (N = 20).
    # OR_MH = (0.5*7.5/22 + 4*8/20) / (10.5*3.5/22 + 6*2/20)
    df = pd.DataFrame({"study": ["Z", "Y"], "events_t": [0, 4], "total_t": [10, 10],
                       "events_c": [3, 2], "total_c": [10, 10]})
    expected = (0.5 * 7.5 / 22 + 4 * 8 / 20) / (10.5 * 3.5 / 22 + 6 * 2 / 20)
    assert meta_binary(df).estimate == pytest.approx(expected, rel=1e-12)
    z_row = meta_binary(df).studies.iloc[0]
    assert z_row["estimate"] == pytest.approx(0.5 * 7.5 / (10.5 * 3.5), rel=1e-12)


def test_double_zero_study_is_not_estimable_for_or_but_counts_for_rd():
    df = pd.DataFrame({"study": ["none", "some"], "events_t": [0, 4], "total_t": [10, 10],
                       "events_c": [0, 2], "total_c": [10, 10]})
    odds = meta_binary(df)
    assert odds.k == 1
    assert not odds.studies["estimable"].iloc[0] and odds.studies["weight"].iloc[0] == 0
    assert odds.estimate == pytest.approx(4 * 8 / (6 * 2), rel=1e-12)
    assert meta_binary(df, measure="RD").k == 2


def test_peto_single_study_from_observed_minus_expected():
    # a=4, n1=10, c=2, n2=10, N=20: E = 10*6/20 = 3, O-E = 1, V = 10*10*6*14/(400*19) = 8400/7600
    df = pd.DataFrame({"study": ["P"], "events_t": [4], "total_t": [10], "events_c": [2], "total_c": [10]})
    res = meta_binary(df, method="Peto")
    v = 8400 / 7600
    assert math.log(res.estimate) == pytest.approx(1 / v, rel=1e-12)
    assert res.se == pytest.approx(1 / math.sqrt(v), rel=1e-12)


def test_single_study_has_no_heterogeneity():
    res = meta_binary(TWO_STUDIES.iloc[[0]], model="random")
    assert (res.k, res.q, res.q_df, res.i2, res.tau2) == (1, 0.0, 0, 0.0, 0.0)
    assert math.isnan(res.q_p)
    assert res.estimate == pytest.approx(10 * 15 / (10 * 5), rel=1e-12)


def test_random_with_tau2_zero_is_inverse_variance_fixed():
    same = pd.DataFrame({"study": ["a", "b", "c"], "events_t": [10, 20, 5], "total_t": [40, 80, 20],
                         "events_c": [10, 20, 5], "total_c": [40, 80, 20]})
    rnd = meta_binary(same, model="random")
    iv = meta_binary(same, method="IV")
    assert rnd.tau2 == 0 and rnd.estimate == pytest.approx(iv.estimate, rel=1e-12)
    assert rnd.ci_low == pytest.approx(iv.ci_low, rel=1e-12)


def test_subgroup_difference_test_by_hand():
    # Two subgroups, one study each: Q_between = (y1 - y2)^2 / (v1 + v2) for two subgroups.
    df = TWO_STUDIES.assign(group=["g1", "g2"])
    res = meta_binary(df, method="IV", subgroup="group")
    y1, y2 = math.log(10 * 15 / (10 * 5)), math.log(3 * 4 / (7 * 6))
    v1, v2 = 1 / 10 + 1 / 10 + 1 / 5 + 1 / 15, 1 / 3 + 1 / 7 + 1 / 6 + 1 / 4
    assert res.subgroup_q == pytest.approx((y1 - y2) ** 2 / (v1 + v2), rel=1e-12)
    assert res.subgroup_df == 1
    assert list(res.subgroups) == ["g1", "g2"]


def test_subgroup_without_estimable_study_has_no_subtotal():
    df = pd.DataFrame({"study": ["a", "b", "c"], "events_t": [3, 5, 0], "total_t": [10, 10, 10],
                       "events_c": [1, 2, 0], "total_c": [10, 10, 10], "group": ["x", "x", "empty"]})
    res = meta_binary(df, subgroup="group")
    assert list(res.subgroups) == ["x"] and res.subgroup_df == 0 and math.isnan(res.subgroup_p)


def test_risk_difference_with_a_zero_cell_corrects_only_the_variance():
    # 3/20 vs 0/20: RD = 0.15 from the raw table. Variance from the corrected table
    # (3.5, 17.5, 0.5, 20.5; n1 = n2 = 21): 3.5*17.5/21^3 + 0.5*20.5/21^3 = 71.5/9261.
    df = pd.DataFrame({"study": ["Z"], "events_t": [3], "total_t": [20], "events_c": [0], "total_c": [20]})
    for method in ("MH", "IV"):
        res = meta_binary(df, measure="RD", method=method)
        assert res.estimate == pytest.approx(0.15, rel=1e-12)
        assert res.se == pytest.approx(math.sqrt(71.5 / 9261), rel=1e-12)


def test_generic_inverse_variance_is_the_inverse_variance_analysis_of_the_same_effects():
    # RevMan's generic inverse variance on each study's log OR and SE gives exactly the
    # inverse-variance OR analysis of the counts those came from, fixed and random.
    counts = pd.DataFrame({"study": ["A", "B", "C"], "events_t": [12, 5, 30], "total_t": [20, 18, 60],
                           "events_c": [8, 4, 22], "total_c": [21, 17, 61]})
    for options in (dict(model="fixed"), dict(model="random"), dict(model="random", tau2="REML", hksj=True)):
        from_counts = meta_binary(counts, method="IV", **options)
        yi, vi = from_counts.study_effects()
        generic = meta_generic(pd.DataFrame({"study": counts["study"], "yi": yi, "se": np.sqrt(vi)}), **options)
        for name in ("estimate", "ci_low", "ci_high", "z", "p", "q", "i2", "tau2"):
            assert getattr(generic, name) == pytest.approx(getattr(from_counts, name), rel=1e-12), name


def test_generic_inverse_variance_rejects_a_non_positive_se():
    with pytest.raises(ValueError, match="study 'B': se must be positive; got 0"):
        meta_generic(pd.DataFrame({"study": ["A", "B"], "yi": [0.1, 0.2], "se": [0.3, 0.0]}))
