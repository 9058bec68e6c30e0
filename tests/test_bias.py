"""Small-study effects against metafor (validation/metafor/bias_reference.json, written by
make_bias_reference.R): Egger's test and trim-and-fill (regtest(model = "lm"), trimfill(rma(...)));
Peters' and Harbord's tests from 2x2 counts (the regtest calls stored with each count case);
hand-worked examples; and the direction of small-study effects on constructed funnels.

Tolerances: the JSON holds 15 significant digits and metafor solves the regressions by QR,
metarmc in closed form; the two agree to about 1e-14, so rel=1e-10 leaves room and still
fails on any real difference.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metarmc import egger_test, harbord_test, meta_binary, peters_test, small_study_direction, trim_and_fill
from metarmc.bias import (
    AsymmetryTest,
    asymmetry_regression,
    egger_regression,
    harbord_regression,
    peters_regression,
    trim_and_fill_effects,
)

REFERENCE = json.loads((Path(__file__).parents[1] / "validation/metafor/bias_reference.json").read_text())
EFFECT_CASES = [case for case in REFERENCE["cases"] if case["kind"] == "effects"]
COUNT_CASES = [case for case in REFERENCE["cases"] if case["kind"] == "counts"]


@pytest.mark.parametrize("case", EFFECT_CASES, ids=lambda c: c["id"])
def test_egger_and_trim_and_fill_match_metafor(case):
    yi, vi = (np.array(case["input"][k]) for k in ("yi", "vi"))
    want = case["expected"]
    egger = AsymmetryTest.from_regression("Egger", egger_regression(yi, vi))
    assert egger.bias == pytest.approx(want["egger_intercept"], rel=1e-10)
    assert egger.se == pytest.approx(want["egger_se"], rel=1e-10)
    assert egger.t == pytest.approx(want["egger_t"], rel=1e-10)
    assert egger.df == want["egger_df"]
    assert egger.p == pytest.approx(want["egger_p"], rel=1e-10)
    # the earlier cases name their model in the id (random = DerSimonian-Laird); later ones store options
    options = case.get("options", {"model": "random" if "random" in case["id"] else "fixed"})
    fill = trim_and_fill_effects(yi, vi, **options)
    assert (fill.k0, fill.side) == (want["trimfill_k0"], want["trimfill_side"])
    for ours, theirs in (("estimate", "trimfill_estimate"), ("se", "trimfill_se"),
                         ("ci_low", "trimfill_ci_low"), ("ci_high", "trimfill_ci_high")):
        assert float(getattr(fill.adjusted, ours)) == pytest.approx(want[theirs], rel=1e-10)
    assert float(fill.adjusted.tau2) == pytest.approx(want["trimfill_tau2"], rel=1e-10, abs=1e-14)  # 0 when fixed
    np.testing.assert_allclose(np.sort(fill.filled["yi"]), np.sort(np.atleast_1d(want["filled_yi"] or [])), rtol=1e-10)


def test_symmetric_funnel_needs_no_filling():
    # Mirror-image studies around 0.2: nothing is missing on either side.
    yi = np.array([0.2 - 0.5, 0.2 + 0.5, 0.2 - 0.1, 0.2 + 0.1, 0.2])
    vi = np.array([0.3, 0.3, 0.05, 0.05, 0.1])
    assert trim_and_fill_effects(yi, vi).k0 == 0


def test_egger_needs_three_studies():
    two = meta_binary(pd.DataFrame({"study": ["A", "B"], "events_t": [3, 5], "total_t": [10, 12],
                                    "events_c": [2, 6], "total_c": [10, 12]}))
    with pytest.raises(ValueError, match="Egger's test needs at least 3 studies; got 2"):
        egger_test(two)
    assert np.isnan(egger_regression([0.1, 0.2], [0.1, 0.1]).p)  # the array core says NaN instead


def test_a_fit_gives_the_same_tests_on_its_study_effects_and_natural_scale_results():
    # four trials with a small-study pattern; the fit's study effects are ln OR and its variance
    table = pd.DataFrame({"study": ["A", "B", "C", "D"], "events_t": [30, 12, 8, 9], "total_t": [100, 30, 15, 12],
                          "events_c": [25, 8, 4, 3], "total_c": [100, 30, 15, 12]})
    result = meta_binary(table, method="IV")
    yi, vi = result.study_effects()
    assert egger_test(result) == AsymmetryTest.from_regression("Egger", egger_regression(yi, vi))
    fill, core = trim_and_fill(result), trim_and_fill_effects(yi, vi)
    assert (fill.k0, fill.side) == (core.k0, core.side)
    assert fill.estimate == pytest.approx(np.exp(float(core.adjusted.estimate)), rel=1e-15)
    assert (fill.ci_low, fill.ci_high) == pytest.approx(np.exp([float(core.adjusted.ci_low),
                                                                float(core.adjusted.ci_high)]), rel=1e-15)
    np.testing.assert_allclose(fill.filled["estimate"], np.exp(core.filled["yi"]), rtol=1e-15)
    np.testing.assert_allclose(fill.filled["se"], np.sqrt(core.filled["vi"]), rtol=1e-15)


# --- Peters and Harbord ------------------------------------------------------------------------

def _counts(case):
    return [np.array(case["input"][c], dtype=float) for c in ("events_t", "total_t", "events_c", "total_c")]


@pytest.mark.parametrize("case", COUNT_CASES, ids=lambda c: c["id"])
@pytest.mark.parametrize("test, core", [("peters", peters_regression), ("harbord", harbord_regression)])
def test_peters_and_harbord_match_metafor(case, test, core):
    want = {name.removeprefix(f"{test}_"): value for name, value in case["expected"].items()
            if name.startswith(f"{test}_")}
    got = AsymmetryTest.from_regression(test, core(*_counts(case)))
    assert (got.k, got.df) == (want["k"], want["df"])  # double-zero studies are left out, as metafor omits them
    for name in ("bias", "se", "t", "p", "intercept"):
        assert getattr(got, name) == pytest.approx(want[name], rel=1e-10), name


def test_peters_weights_are_not_metafors_default_weights():
    # metafor's regtest(..., predictor = "ninv") with its own defaults is another test (see the R script)
    case = COUNT_CASES[0]
    ours = float(peters_regression(*_counts(case)).p)
    for variant in case["variants"].values():
        assert abs(ours - variant["p"]) > 0.005, variant["call"]


def test_harbord_by_hand_is_the_published_regression_of_z_over_root_v_on_root_v():
    # Harbord et al. (2006): Z = a - n1 (a + c) / N, V = n1 n2 (a + c)(b + d) / (N^2 (N - 1)),
    # then ordinary least squares of Z / sqrt(V) on sqrt(V); the intercept is the bias.
    #   study 1: 2/4 vs 1/4   -> Z = 2 - 4*3/8 = 0.5,    V = 4*4*3*5 / (64*7)      = 15/28
    #   study 2: 3/6 vs 1/6   -> Z = 3 - 6*4/12 = 1,     V = 6*6*4*8 / (144*11)    = 8/11
    #   study 3: 5/10 vs 4/10 -> Z = 5 - 10*9/20 = 0.5,  V = 10*10*9*11 / (400*19) = 99/76
    z = np.array([0.5, 1.0, 0.5])
    v = np.array([15 / 28, 8 / 11, 99 / 76])
    x, y = np.sqrt(v), z / np.sqrt(v)
    slope = ((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum()
    intercept = y.mean() - slope * x.mean()
    residual = y - intercept - slope * x
    se_intercept = np.sqrt((residual ** 2).sum() / (3 - 2) * (1 / 3 + x.mean() ** 2 / ((x - x.mean()) ** 2).sum()))
    got = harbord_regression([2, 3, 5], [4, 6, 10], [1, 1, 4], [4, 6, 10])
    assert float(got.bias) == pytest.approx(intercept, rel=1e-12)
    assert float(got.se) == pytest.approx(se_intercept, rel=1e-12)
    assert float(got.intercept) == pytest.approx(slope, rel=1e-12)


def test_peters_by_hand():
    # ln OR on 1/N with weights S F / N:
    #   A: 10/20 vs 5/20   ln OR = ln(10*15 / (10*5)) = ln 3,  N = 40, S = 15, F = 25, w = 15*25/40
    #   B: 6/10 vs 5/10    ln OR = ln(6*5 / (4*5))    = ln 1.5, N = 20, S = 11, F = 9,  w = 11*9/20
    #   C: 30/100 vs 25/100 ln OR = ln(30*75/(70*25)) = ln(9/7), N = 200, S = 55, F = 145, w = 55*145/200
    y = np.log([3, 1.5, 9 / 7])
    x = 1 / np.array([40, 20, 200])
    w = np.array([15 * 25 / 40, 11 * 9 / 20, 55 * 145 / 200])
    xb, yb = (w * x).sum() / w.sum(), (w * y).sum() / w.sum()
    slope = (w * (x - xb) * (y - yb)).sum() / (w * (x - xb) ** 2).sum()
    got = peters_regression([10, 6, 30], [20, 10, 100], [5, 5, 25], [20, 10, 100])
    assert float(got.bias) == pytest.approx(slope, rel=1e-12)
    assert float(got.intercept) == pytest.approx(yb - slope * xb, rel=1e-12)


def test_tests_of_a_fit_use_its_counts_and_continuity_correction():
    case = next(c for c in COUNT_CASES if c["id"] == "zeros_counts")
    table = pd.DataFrame({k: case["input"][k] for k in ("study", "events_t", "total_t", "events_c", "total_c")})
    for correction in ("revman", "all"):
        result = meta_binary(table, method="IV", correction=correction)
        assert peters_test(result) == AsymmetryTest.from_regression(
            "Peters", peters_regression(*_counts(case), correction=correction))
    assert peters_test(meta_binary(table, correction="all")) != peters_test(meta_binary(table))
    assert harbord_test(meta_binary(table)).bias == pytest.approx(case["expected"]["harbord_bias"], rel=1e-10)
    with pytest.raises(ValueError, match="Peters' test is for odds ratios from 2x2 counts; the fit is a RR"):
        peters_test(meta_binary(table, measure="RR"))


def test_batch_core_equals_one_call_per_meta_analysis_and_ignores_padding():
    cases = [_counts(c) for c in COUNT_CASES]
    width = max(len(c[0]) for c in cases)
    padded = [np.stack([np.pad(c[j], (0, width - len(c[j])), constant_values=7) for c in cases]) for j in range(4)]
    include = np.stack([np.arange(width) < len(c[0]) for c in cases])
    for core in (peters_regression, harbord_regression):
        batch = core(*padded, include=include)
        for row, counts in enumerate(cases):
            alone = core(*counts)
            for field in ("bias", "se", "p", "intercept"):
                assert getattr(batch, field)[row] == pytest.approx(float(getattr(alone, field)), rel=1e-12)


def test_not_computable_when_the_predictor_does_not_vary():
    with pytest.raises(ValueError, match="same value of its predictor"):
        AsymmetryTest.from_regression("Peters", peters_regression([3, 5, 7], [20, 20, 20], [2, 4, 6], [20, 20, 20]))
    assert np.isnan(asymmetry_regression([1.0, 2.0, 3.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]).p)


def test_repr_and_frame():
    case = COUNT_CASES[0]
    got = AsymmetryTest.from_regression("Peters", peters_regression(*_counts(case)))
    assert repr(got).startswith("AsymmetryTest(Peters: bias=-563.7, se=413.7, t=-1.362, df=11, p=0.2003; k=13)")
    assert got.to_frame().columns.tolist() == ["test", "bias", "se", "t", "df", "p", "intercept", "k"]


# --- direction of small-study effects ---------------------------------------------------------

def _funnel(large_events, small_events):
    """Two large trials (``large_events`` of 100 vs 50 of 100), four small (``small_events`` of 12 vs 6 or 5 of 12)."""
    rows = [(f"L{i}", e, 100, 50, 100) for i, e in enumerate(large_events)]
    rows += [(f"S{i}", small_events + i % 2, 12, 6 - i % 2, 12) for i in range(4)]
    return pd.DataFrame(rows, columns=["study", "events_t", "total_t", "events_c", "total_c"])


def test_classic_pattern_small_studies_exaggerate_the_effect():
    # large trials OR 1.5 and 1.38; small trials 9 or 10 of 12 vs 6 or 5: OR 3 and 7 -> filled on the left, OR falls
    table = _funnel((60, 58), 9)
    result = meta_binary(table, method="IV")
    got = small_study_direction(result)
    assert (got.side, got.small_studies, got.classic) == ("left", "larger", True)
    assert got.adjusted < got.estimate and got.k0 == trim_and_fill(result).k0 > 0
    assert str(got) == (f"trim-and-fill imputes {got.k0} studies on the left and the pooled OR falls from "
                        f"{got.estimate:.2f} to {got.adjusted:.2f}: the small studies show larger effects than the "
                        "large ones, the pattern classic publication bias leaves")


def test_opposite_pattern_small_studies_show_smaller_effects():
    # large trials OR 4 and 3.5; small trials 6 or 7 of 12 vs 6 or 5: OR 1 and 1.96 -> filled on the right, OR rises
    table = _funnel((80, 78), 6)
    got = small_study_direction(meta_binary(table, method="IV"))
    assert (got.side, got.small_studies, got.classic) == ("right", "smaller", False)
    assert got.adjusted > got.estimate
    assert got.sentence.endswith("the small studies show smaller effects than the large ones, "
                                 "the opposite of classic publication bias")


def test_classic_pattern_for_a_protective_effect_moves_towards_1_from_below():
    # the mirror image (arms swapped): pooled OR < 1, small studies far below 1 -> filled on the right, OR rises
    table = _funnel((60, 58), 9).rename(columns={"events_t": "events_c", "events_c": "events_t"})
    got = small_study_direction(meta_binary(table, method="IV"))
    assert got.estimate < 1 and (got.side, got.classic) == ("right", True) and got.adjusted > got.estimate


def test_symmetric_funnel_has_no_direction():
    # small trials on both sides of the large ones (ORs 4.2, 1.4 and 0.71 around 1.49 and 1): nothing to impute
    table = pd.DataFrame({"study": list("ABCDE"), "events_t": [55, 45, 9, 5, 7], "total_t": [100, 100, 12, 12, 12],
                          "events_c": [45, 45, 5, 6, 6], "total_c": [100, 100, 12, 12, 12]})
    got = small_study_direction(meta_binary(table, method="IV"))
    assert got.k0 == 0 and got.classic is None and got.small_studies == ""
    assert got.sentence == "trim-and-fill imputes no study: it finds no funnel-plot asymmetry to adjust for"
