"""Plots: what is drawn is what the result says (positions, sizes, texts), and nothing overlaps.

Expected texts are hand-formatted from values checked elsewhere: the Fleiss 1993 numbers are
Review Manager 5's own (tests/test_revman_output.py), formatted with RevMan's rules.

Tolerances: rtol=1e-12: positions are the result's numbers handed to matplotlib untouched; rel=1e-10
for a mean recomputed here from the drawn points.
"""

import itertools
import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from metarmc import meta_binary, meta_continuous  # noqa: E402
from metarmc.data import ROB_DOMAINS  # noqa: E402
from metarmc.formatting import p_value as format_p  # noqa: E402
from metarmc.plots import forest_plot, funnel_plot, prisma_flow, rob_summary, rob_traffic_light, summary_forest  # noqa: E402
from metarmc.plots.forest import ratio_scale  # noqa: E402
from metarmc.plots.rob import ROB_DOMAIN_NAMES, judgment_shares  # noqa: E402

from datasets import FLEISS1993  # noqa: E402

Z = 1.959963984540054

CONTINUOUS = pd.DataFrame({
    "study": ["Alpha 2001", "Beta 2005", "Gamma 2010"],
    "mean_t": [3300.0, 3150.0, 3050.0], "sd_t": [450.0, 500.0, 420.0], "n_t": [30, 25, 40],
    "mean_c": [3200.0, 3250.0, 2900.0], "sd_c": [480.0, 520.0, 400.0], "n_c": [28, 27, 41],
})


# --- helpers --------------------------------------------------------------------------------

def texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def by_gid(fig, gid) -> list:
    return fig.findobj(lambda artist: artist.get_gid() == gid)


def graph(fig):
    return by_gid(fig, "forest graph")[0]


def squares(fig):
    (collection,) = by_gid(fig, "study squares")
    return collection.get_offsets(), collection.get_sizes()


def diamonds(fig) -> list[np.ndarray]:
    return [patch.get_xy() for patch in by_gid(fig, "diamond")]


def text_boxes(fig):
    fig.draw_without_rendering()
    shown = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    return [(t.get_text(), t.get_window_extent()) for t in shown]


def assert_no_overlap_or_clipping(fig):
    """Every text inside the figure; texts side by side at least 2 points apart (at 72 and 110 dpi)."""
    for dpi in (72, 110):
        fig.set_dpi(dpi)
        gap = 2 * dpi / 72
        boxes = text_boxes(fig)
        for text, box in boxes:
            assert fig.bbox.x0 - 1 <= box.x0 and box.x1 <= fig.bbox.x1 + 1, f"{text!r} runs off the figure"
            assert fig.bbox.y0 - 1 <= box.y0 and box.y1 <= fig.bbox.y1 + 1, f"{text!r} runs off the figure"
        for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
            overlap_x = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
            overlap_y = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
            assert overlap_x <= -gap or overlap_y <= 0.5, f"{a!r} overlaps or touches {b!r} at {dpi} dpi"


@pytest.fixture(scope="module")
def fleiss():
    return meta_binary(FLEISS1993)


@pytest.fixture(scope="module")
def fleiss_forest(fleiss):
    return forest_plot(fleiss, labels=("Aspirin", "Placebo"), favours=("Favours aspirin", "Favours placebo"))


@pytest.fixture(scope="module")
def subgrouped():
    df = FLEISS1993.assign(era=["Early"] * 3 + ["Late"] * 4)
    return meta_binary(df, subgroup="era")


# --- RevMan's number formats ----------------------------------------------------------------

@pytest.mark.parametrize("p, text", [
    (0.2431, "P = 0.24"),           # two decimals from 0.01 up
    (0.04964, "P = 0.05"),
    (0.0101, "P = 0.01"),
    (0.00996, "P = 0.01"),          # one significant digit below 0.01 (rounds up to 0.01)
    (0.001011, "P = 0.001"),
    (0.000667, "P = 0.0007"),
    (0.0001, "P = 0.0001"),
    (0.0000951, "P < 0.0001"),       # below 0.0001 only the bounds are printed
    (0.0000123, "P < 0.0001"),
    (0.0000049, "P < 0.00001"),
])
def test_p_values_are_formatted_as_revman_prints_them(p, text):
    assert format_p(p) == text


def test_a_nan_p_value_is_an_error():
    with pytest.raises(ValueError, match="p must be a number"):
        format_p(float("nan"))


# --- forest plot ----------------------------------------------------------------------------

def test_one_square_per_study_with_area_proportional_to_weight(fleiss, fleiss_forest):
    offsets, sizes = squares(fleiss_forest)
    studies = fleiss.studies
    assert len(sizes) == 7
    np.testing.assert_allclose(offsets[:, 0], studies["estimate"], rtol=1e-12)
    # marker size is the area in points²: the ratios of areas are the ratios of weights
    np.testing.assert_allclose(sizes / sizes.max(), studies["weight"] / studies["weight"].max(), rtol=1e-12)
    assert list(np.argsort(-offsets[:, 1])) == list(range(7))  # first study on top


def test_the_diamond_spans_the_pooled_ci(fleiss, fleiss_forest):
    (corners,) = diamonds(fleiss_forest)
    assert corners[:, 0].min() == pytest.approx(fleiss.ci_low, rel=1e-12)
    assert corners[:, 0].max() == pytest.approx(fleiss.ci_high, rel=1e-12)
    apex = corners[np.argmax(corners[:, 1]), 0]
    assert apex == pytest.approx(fleiss.estimate, rel=1e-12)


def test_forest_texts_carry_revman_numbers(fleiss_forest):
    shown = texts(fleiss_forest)
    # RevMan 5: OR 0.8969 [0.8405, 0.9570], Q = 9.946 (df 6, p = 0.1268), I² = 39.67%,
    # z = 3.2876 (p = 0.00101); ISIS-2 weight 72.8798%
    for expected in ["Odds Ratio", "M-H, Fixed, 95% CI", "Study or Subgroup", "Aspirin", "Placebo",
                     "0.90 [0.84, 0.96]", "100.0%", "72.9%", "Total (95% CI)",
                     "Heterogeneity: Chi\u00b2 = 9.95, df = 6 (P = 0.13); I\u00b2 = 40%",
                     "Test for overall effect: Z = 3.29 (P = 0.001)",
                     "Favours aspirin", "Favours placebo"]:
        assert expected in shown, expected
    # Total row: participants per arm, and the total events row
    assert str(FLEISS1993["total_t"].sum()) in shown and str(FLEISS1993["total_c"].sum()) in shown
    assert str(FLEISS1993["events_t"].sum()) in shown and str(FLEISS1993["events_c"].sum()) in shown
    assert not any("Tau" in text for text in shown)  # RevMan shows Tau² for random effects only


def test_random_effects_show_tau2_and_the_prediction_interval():
    res = meta_binary(FLEISS1993, model="random", prediction=True)
    fig = forest_plot(res)
    expected = f"Heterogeneity: Tau\u00b2 = {res.tau2:.2f}; Chi\u00b2 = 9.95, df = 6 (P = 0.13); I\u00b2 = 40%"
    assert expected in texts(fig)
    assert "M-H, Random, 95% CI" in texts(fig)
    (line,) = by_gid(fig, "prediction interval")
    (segment,) = line.get_segments()
    np.testing.assert_allclose(segment[:, 0], [res.pi_low, res.pi_high], rtol=1e-12)


def test_a_non_estimable_study_says_so_and_has_no_square():
    df = pd.concat([FLEISS1993, pd.DataFrame({"study": ["Zero"], "events_t": [0], "total_t": [10],
                                              "events_c": [0], "total_c": [12]})], ignore_index=True)
    fig = forest_plot(meta_binary(df))
    assert texts(fig).count("Not estimable") == 1
    assert len(squares(fig)[1]) == 7


def test_favours_labels_sit_on_their_side_of_the_null_line(fleiss_forest):
    fleiss_forest.draw_without_rendering()
    null_x = graph(fleiss_forest).transData.transform((1.0, 0))[0]
    extents = {t.get_text(): t.get_window_extent() for t in fleiss_forest.findobj(Text)}
    assert extents["Favours aspirin"].x1 < null_x < extents["Favours placebo"].x0


def test_ratio_axis_is_log_with_revman_ticks(fleiss, fleiss_forest):
    axis = graph(fleiss_forest)
    assert axis.get_xscale() == "log"
    # furthest CI limit from 1: CDP's 0.457 (1/0.457 = 2.19 > 2), so 0.2 to 5 rather than 0.5 to 2
    assert axis.get_xlim() == pytest.approx((0.2, 5.0))
    assert list(axis.get_xticks()) == [0.2, 0.5, 1, 2, 5]
    assert [t.get_text() for t in axis.get_xticklabels()] == ["0.2", "0.5", "1", "2", "5"]


def test_ratio_scale_grows_to_hold_the_widest_interval_and_stops_at_100():
    assert ratio_scale([0.3, 4.9])[0] == (0.2, 5)
    assert ratio_scale([0.09, 1.2])[0] == (0.05, 20)  # 1/0.09 = 11.1 > 10
    assert ratio_scale([0.001, 3])[0] == (0.01, 100)


def test_cis_beyond_the_axis_end_in_arrows(fleiss):
    fig = forest_plot(fleiss, xlim=(0.8, 1.25))
    low, high = fleiss.studies["ci_low"], fleiss.studies["ci_high"]
    arrows = sum(len(c.get_offsets()) for c in by_gid(fig, "clipped CI arrows"))
    assert arrows == (low < 0.8).sum() + (high > 1.25).sum() > 0


def test_continuous_forest_is_linear_with_mean_sd_columns():
    res = meta_continuous(CONTINUOUS)
    fig = forest_plot(res)
    axis = graph(fig)
    assert axis.get_xscale() == "linear"
    low, high = axis.get_xlim()
    assert low == -high and high >= max(abs(res.studies["ci_low"]).max(), res.studies["ci_high"].max())
    shown = texts(fig)
    assert {"Mean", "SD", "Mean Difference", "IV, Fixed, 95% CI", "3300", "450"} <= set(shown)
    assert f"{res.estimate:.2f} [{res.ci_low:.2f}, {res.ci_high:.2f}]" in shown
    assert "Total events" not in shown


def test_subgroup_forest_has_subtotals_and_the_test_for_differences(subgrouped):
    fig = forest_plot(subgrouped, title="Aspirin by era")
    shown = texts(fig)
    assert {"Early", "Late", "Aspirin by era"} <= set(shown)
    assert shown.count("Subtotal (95% CI)") == 2
    early, late = subgrouped.subgroups["Early"], subgrouped.subgroups["Late"]
    for sub in (early, late):
        assert f"{sub.estimate:.2f} [{sub.ci_low:.2f}, {sub.ci_high:.2f}]" in shown
        assert f"Test for overall effect: Z = {abs(sub.z):.2f} ({format_p(sub.p)})" in shown
    # subtotal weights are shares of the total analysis: MRC-1 + CDP + MRC-2 overall weights
    weights = subgrouped.studies["weight"]
    assert f"{weights[:3].sum():.1f}%" in shown and f"{weights[3:].sum():.1f}%" in shown
    # I² for subgroup differences = max(0, (Q - df) / Q) x 100, df = 1
    q = subgrouped.subgroup_q
    i2 = max(0.0, (q - 1) / q) * 100
    assert (f"Test for subgroup differences: Chi\u00b2 = {q:.2f}, df = 1 "
            f"({format_p(subgrouped.subgroup_p)}), I\u00b2 = {i2:.0f}%") in shown
    assert len(diamonds(fig)) == 3
    assert len(squares(fig)[1]) == 7


def test_footnotes_are_numbered_as_revman_numbers_them(fleiss):
    notes = ["From the abstract", "", "From the abstract", "Derived from percentages in a long report " * 6,
             "", "", ""]
    shown = texts(forest_plot(fleiss, footnotes=notes))
    first, second, third = fleiss.studies["study"][:3]
    # the same text shares its number; a row without a footnote keeps its bare name
    assert {f"{first} (1)", second, f"{third} (1)", "Footnotes", "(1) From the abstract"} <= set(shown)
    # a long footnote is wrapped: its words all appear, over more than one line
    lines = [text for text in shown if text.startswith("(2)") or text.startswith("    ")]
    assert len(lines) > 1 and " ".join(" ".join(lines).split()) == "(2) " + " ".join(notes[3].split())
    with pytest.raises(ValueError, match="one per study row"):
        forest_plot(fleiss, footnotes=["too few"])


@pytest.mark.parametrize("make", [
    lambda sub: forest_plot(sub, title="Aspirin by era"),
    lambda sub: forest_plot(meta_continuous(CONTINUOUS, model="random", prediction=True)),
    lambda sub: forest_plot(meta_binary(FLEISS1993.assign(study=FLEISS1993["study"] + " et al. 1976-1988"))),
    lambda sub: forest_plot(meta_binary(FLEISS1993)),
    lambda sub: forest_plot(sub, footnotes=["Counts derived from percentages printed in a press release " * 3] * 7),
], ids=["subgroups", "continuous-random", "long-names", "plain", "footnotes"])
def test_forest_text_never_overlaps_or_runs_off(subgrouped, make):
    assert_no_overlap_or_clipping(make(subgrouped))


# --- summary forest -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def scenarios():
    return pd.DataFrame({"scenario": ["Main", "ITT only", "Low risk only"],
                         "estimate": [1.93, 1.62, np.nan], "ci_low": [1.32, 1.05, np.nan],
                         "ci_high": [2.82, 2.49, np.nan]})


def test_summary_forest_draws_each_row_and_its_text(scenarios, fleiss):
    fig = summary_forest(scenarios, label="scenario", reference=fleiss, xlabel="Odds ratio")
    offsets, sizes = squares(fig)
    np.testing.assert_allclose(offsets[:, 0], [1.93, 1.62])
    shown = texts(fig)
    assert {"1.93 [1.32, 2.82]", "1.62 [1.05, 2.49]", "Not estimable", "Scenario", "Odds ratio"} <= set(shown)
    assert graph(fig).get_xscale() == "log"
    (band,) = by_gid(fig, "reference band")
    assert (band.get_x(), band.get_x() + band.get_width()) == pytest.approx((fleiss.ci_low, fleiss.ci_high))
    assert_no_overlap_or_clipping(fig)


def test_summary_forest_headers_say_what_the_rows_are():
    loo = pd.DataFrame({"omitted": ["A 2001", "B 2002"], "estimate": [1.5, 2.1], "ci_low": [0.9, 1.2],
                        "ci_high": [2.5, 3.7]})
    shown = set(texts(summary_forest(loo, label="omitted", label_header="Study omitted",
                                     effect_header="Odds ratio [95% CI]")))
    assert {"Study omitted", "Odds ratio [95% CI]", "A 2001"} <= shown and "Omitted" not in shown
    assert {"Omitted", "Estimate [95% CI]"} <= set(texts(summary_forest(loo, label="omitted")))


def test_summary_forest_linear_axis_and_bad_input(scenarios):
    diffs = pd.DataFrame({"label": ["a", "b"], "estimate": [-10.0, 5.0], "ci_low": [-30.0, -8.0],
                          "ci_high": [10.0, 18.0]})
    fig = summary_forest(diffs, log=False, null=0.0, reference=-2.0)
    assert graph(fig).get_xscale() == "linear"
    low, high = graph(fig).get_xlim()
    assert low < -30 and high > 18
    with pytest.raises(ValueError, match="log=True needs positive"):
        summary_forest(diffs)
    with pytest.raises(ValueError, match="missing column"):
        summary_forest(scenarios)  # no "label" column


# --- funnel plot ----------------------------------------------------------------------------

def test_funnel_points_are_study_effects_and_standard_errors(fleiss):
    fig = funnel_plot(fleiss)
    (points,) = by_gid(fig, "studies")
    a, c = FLEISS1993["events_t"], FLEISS1993["events_c"]
    b, d = FLEISS1993["total_t"] - a, FLEISS1993["total_c"] - c
    woolf_se = np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)  # SE of log OR (no zero cells here)
    np.testing.assert_allclose(points.get_offsets()[:, 0], a * d / (b * c), rtol=1e-12)
    np.testing.assert_allclose(points.get_offsets()[:, 1], woolf_se, rtol=1e-12)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_ylim()[0] > ax.get_ylim()[1] == 0  # SE 0 at the top


def test_funnel_limits_are_fixed_estimate_plus_minus_1_96_se(fleiss):
    fig = funnel_plot(fleiss)
    (limits,) = by_gid(fig, "pseudo 95% limits")
    x, y = limits.get_data()
    se_max = y.max()
    centre = math.log(fleiss.estimate)
    np.testing.assert_allclose(np.log(x), [centre - Z * se_max, centre, centre + Z * se_max], rtol=1e-12)
    np.testing.assert_allclose(y, [se_max, 0, se_max])
    (vertical,) = by_gid(fig, "fixed-effect estimate")
    assert vertical.get_xdata()[0] == pytest.approx(fleiss.estimate)


def test_funnel_of_a_random_effects_result_is_centred_on_the_fixed_effect_estimate():
    res = meta_continuous(CONTINUOUS, model="random")
    fig = funnel_plot(res)
    se = np.sqrt(CONTINUOUS["sd_t"] ** 2 / CONTINUOUS["n_t"] + CONTINUOUS["sd_c"] ** 2 / CONTINUOUS["n_c"])
    md = CONTINUOUS["mean_t"] - CONTINUOUS["mean_c"]
    inverse_variance_mean = (md / se**2).sum() / (1 / se**2).sum()
    (vertical,) = by_gid(fig, "fixed-effect estimate")
    assert vertical.get_xdata()[0] == pytest.approx(inverse_variance_mean, rel=1e-10)
    assert fig.axes[0].get_xscale() == "linear"


def test_funnel_omits_non_estimable_studies_labels_and_draws_filled_points():
    df = pd.concat([FLEISS1993, pd.DataFrame({"study": ["Zero"], "events_t": [0], "total_t": [10],
                                              "events_c": [0], "total_c": [12]})], ignore_index=True)
    filled = pd.DataFrame({"estimate": [1.2, 1.5], "se": [0.2, 0.3]})
    fig = funnel_plot(meta_binary(df), labels=True, filled=filled)
    (points,) = by_gid(fig, "studies")
    assert len(points.get_offsets()) == 7
    assert set(FLEISS1993["study"]) <= set(texts(fig)) and "Zero" not in texts(fig)
    (imputed,) = by_gid(fig, "filled studies")
    np.testing.assert_allclose(imputed.get_offsets(), filled[["estimate", "se"]])
    assert (imputed.get_facecolors()[:, :3] == 1).all()  # open (white) markers
    with pytest.raises(ValueError, match="filled is missing column"):
        funnel_plot(meta_binary(df), filled=pd.DataFrame({"estimate": [1.0]}))


def test_contour_enhanced_funnel_shades_significance_around_the_null(fleiss):
    fig = funnel_plot(fleiss, contours=True)
    (limits,) = by_gid(fig, "pseudo 95% limits")
    se_max = limits.get_data()[1].max()
    # two-sided z for P = 0.10, 0.05, 0.01 (qnorm(0.95), qnorm(0.975), qnorm(0.995))
    for p, z in ((0.10, 1.6448536269514722), (0.05, Z), (0.01, 2.5758293035489004)):
        (region,) = by_gid(fig, f"P = {p:g} contour")
        x, y = region.get_xy()[:3].T
        np.testing.assert_allclose(np.log(x), [-z * se_max, 0.0, z * se_max], rtol=1e-12, atol=1e-15)  # around OR 1
        np.testing.assert_allclose(y, [se_max, 0, se_max])
    shown = texts(fig)
    assert {"P > 0.10", "0.05 < P < 0.10", "0.01 < P < 0.05", "P < 0.01"} <= set(shown)
    assert not any("imputed" in t for t in shown)
    low, high = fig.axes[0].get_xlim()
    assert low < 1 < high  # the null is on the plot


def test_contours_of_a_difference_are_around_0_and_the_legend_explains_imputed_studies():
    filled = pd.DataFrame({"estimate": [400.0], "se": [120.0]})
    fig = funnel_plot(meta_continuous(CONTINUOUS), contours=True, filled=filled)
    (region,) = by_gid(fig, "P = 0.05 contour")
    x = region.get_xy()[:3, 0]
    assert x[1] == 0 and x[0] == pytest.approx(-x[2])
    assert any(t.startswith("Study imputed by trim-and-fill") for t in texts(fig))
    ratio = funnel_plot(meta_binary(FLEISS1993), filled=filled.assign(estimate=1.5, se=0.2))
    assert "Study imputed by trim-and-fill\n(not observed)" in texts(ratio)


# --- risk of bias ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def rob():
    judgments = {"A 2001": ["low"] * 7, "B 2005": ["unclear"] * 6 + ["high"],
                 "C 2010": ["high", "low", "unclear", "low", "low", "high", "unclear"],
                 "D 2015": ["not_obtained"] * 3 + ["low"] * 3 + ["not_obtained"]}
    return pd.DataFrame([(study, domain, j) for study, js in judgments.items()
                         for domain, j in zip(ROB_DOMAINS, js)], columns=["study", "domain", "judgment"])


def test_domain_names_cover_the_data_domains_in_order():
    assert tuple(ROB_DOMAIN_NAMES) == ROB_DOMAINS


def test_traffic_light_has_one_marker_per_study_and_domain_with_its_symbol(rob):
    fig = rob_traffic_light(rob)
    ax = fig.axes[0]
    markers = {key: by_gid(fig, f"rob {key}")[0].get_offsets() for key in ("low", "unclear", "high", "not_obtained")}
    assert sum(len(m) for m in markers.values()) == 4 * 7
    symbols = {(round(t.get_position()[0]), round(t.get_position()[1])): t.get_text()
               for t in by_gid(fig, "rob symbol")}
    expected = {"low": "+", "unclear": "?", "high": "\u2212", "not_obtained": "\u2205"}
    studies = [t.get_text() for t in ax.get_yticklabels()]
    assert studies == ["A 2001", "B 2005", "C 2010", "D 2015"]
    for row in rob.itertuples():
        cell = (ROB_DOMAINS.index(row.domain), studies.index(row.study))
        assert symbols[cell] == expected[row.judgment]
        assert list(cell) in markers[row.judgment].tolist()
    assert [t.get_text() for t in ax.get_xticklabels()] == [f"D{j}" for j in range(1, 8)]
    assert "D1  Random sequence generation" in texts(fig)
    assert "Report not obtained" in texts(fig)  # its own legend entry
    assert_no_overlap_or_clipping(fig)


def test_summary_bars_reach_100_percent_per_domain(rob):
    fig = rob_summary(rob)
    bars = [bar for key in ("low", "unclear", "high", "not_obtained") for bar in by_gid(fig, f"rob summary {key}")]
    assert len(bars) == 4 * 7
    domain = [round(b.get_y() + b.get_height() / 2) for b in bars]
    totals = pd.Series([b.get_width() for b in bars]).groupby(domain).sum()
    np.testing.assert_allclose(totals, 100)
    # D1: low, unclear, high, not obtained for A, B, C, D -> a quarter each
    assert judgment_shares(rob).loc["random_sequence"].tolist() == pytest.approx([25.0] * 4)
    assert any("Report not obtained" in text for text in texts(fig))
    assert_no_overlap_or_clipping(fig)


def test_weighted_summary_uses_the_weights(rob):
    weights = {"A 2001": 50.0, "B 2005": 30.0, "C 2010": 10.0, "D 2015": 10.0}
    shares = judgment_shares(rob, weights)
    # D7 other bias: A low (50), B high (30), C unclear (10), D not obtained (10)
    assert shares.loc["other_bias"].tolist() == pytest.approx([50, 10, 30, 10])
    fig = rob_summary(rob, weights=weights)
    assert "Share of weight" in texts(fig)
    with pytest.raises(ValueError, match="no entry for study 'C 2010'"):
        judgment_shares(rob, {"A 2001": 1.0, "B 2005": 1.0, "D 2015": 1.0})


@pytest.mark.parametrize("change, message", [
    (lambda r: r.assign(judgment=r["judgment"].replace("unclear", "some")), "judgment must be one of"),
    (lambda r: r.assign(domain=r["domain"].replace("other_bias", "overall")), "domain must be one of"),
    (lambda r: pd.concat([r, r.iloc[:1]]), "more than one judgment"),
    (lambda r: r.drop(columns="study"), "missing column"),
])
def test_bad_risk_of_bias_tables_are_errors(rob, change, message):
    with pytest.raises(ValueError, match=message):
        rob_traffic_light(change(rob))


# --- PRISMA ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def prisma():
    return pd.DataFrame({
        "step": ["database", "database", "identified", "excluded_screening", "full_text",
                 "excluded_full_text", "reason_full_text", "reason_full_text", "included"],
        "count": [None, None, 585, 534, 51, 40, None, 7, 11],
        "label": ["PubMed", "Embase", "Records identified from databases", "Records excluded",
                  "Full-text articles assessed for eligibility", "Full-text articles excluded",
                  "Basic research", "Conference abstracts", "Studies included"],
    }).astype({"count": "Int64"})


def test_prisma_texts_carry_every_count_from_the_frame(prisma):
    joined = "\n".join(texts(prisma_flow(prisma)))
    for expected in ["(n = 585)", "(n = 534)", "(n = 51)", "(n = 40)", "(n = 11)", "PubMed, Embase",
                     "Basic research (n not reported)", "Conference abstracts (n = 7)",
                     "Identification", "Screening", "Eligibility", "Included"]:
        assert expected in joined, expected
    changed = prisma.assign(count=prisma["count"].where(prisma["step"] != "included", 12))
    joined = "\n".join(texts(prisma_flow(changed)))
    assert "(n = 12)" in joined and "(n = 11)" not in joined


def test_prisma_needs_every_flow_step(prisma):
    with pytest.raises(ValueError, match="one 'full_text' row"):
        prisma_flow(prisma[prisma["step"] != "full_text"])


def test_prisma_text_never_overlaps_or_leaves_its_box(prisma):
    long_labels = prisma.assign(label=prisma["label"] + " with a much longer WWWW label than the paper's")
    fig = prisma_flow(long_labels)
    assert_no_overlap_or_clipping(fig)
    boxes = [box.get_window_extent() for box in by_gid(fig, "prisma box")]
    for text in by_gid(fig, "prisma text"):
        extent = text.get_window_extent()
        (box,) = [b for b in boxes if b.contains(*extent.get_points().mean(axis=0))]
        inside = box.x0 < extent.x0 and extent.x1 < box.x1 and box.y0 < extent.y0 and extent.y1 < box.y1
        assert inside, text.get_text()


# --- every plot returns its figure and draws into a given axes ------------------------------

@pytest.mark.parametrize("draw", [
    lambda res, rob, prisma, ax: forest_plot(res, ax=ax),
    lambda res, rob, prisma, ax: summary_forest(res.studies, label="study", ax=ax),
    lambda res, rob, prisma, ax: funnel_plot(res, ax=ax),
    lambda res, rob, prisma, ax: rob_traffic_light(rob, ax=ax),
    lambda res, rob, prisma, ax: rob_summary(rob, ax=ax),
    lambda res, rob, prisma, ax: prisma_flow(prisma, ax=ax),
], ids=["forest", "summary_forest", "funnel", "traffic_light", "rob_summary", "prisma"])
def test_plots_return_a_figure_and_accept_an_axes(fleiss, rob, prisma, draw):
    made = draw(fleiss, rob, prisma, None)
    assert isinstance(made, Figure)
    fig = Figure(figsize=(9, 6))
    ax = fig.add_subplot()
    assert draw(fleiss, rob, prisma, ax) is fig
    assert ax.has_data() or ax.texts or ax.child_axes


def test_tsa_plot_marks_each_look_and_the_information_size():
    from metarmc.plots import tsa_plot
    from metarmc.sequential import tsa

    table = pd.DataFrame({"study": ["A", "B", "C"], "year": [2001, 2005, 2010],
                          "events_t": [12, 20, 30], "total_t": [30, 50, 60],
                          "events_c": [8, 15, 22], "total_c": [30, 50, 60]})
    result = tsa(table, rrr=0.2, p_control=0.4, measure="OR", method="MH", model="fixed", benefit="higher")
    ax = tsa_plot(result).axes[0]
    z_curve = next(line for line in ax.lines if line.get_label() == "Cumulative Z-curve")
    np.testing.assert_allclose(z_curve.get_ydata()[1:], result.looks["z"])
    assert any(np.allclose(line.get_xdata(), result.ris) for line in ax.lines)  # the RIS line
    assert f"Required information size {result.ris}" in [t.get_text() for t in ax.texts]


# --- the teaching plots: implied effects, I² by trial size, meta-regression bubbles ----------

def _line(fig, gid):
    (line,) = by_gid(fig, gid)
    return line


def test_implied_effects_plot_draws_the_odds_ratio_and_the_risk_ratio_it_implies():
    from metarmc import implied_effects
    from metarmc.plots import implied_effects_plot

    implied = implied_effects(2.5, np.linspace(0.01, 0.9, 30))
    fig = implied_effects_plot(implied, observed_risk=0.4)
    np.testing.assert_allclose(_line(fig, "odds ratio").get_ydata(), 2.5)
    # RR = OR / (1 - p0 + p0 OR), by hand at p0 = 0.4: 2.5 / 1.6
    x, y = _line(fig, "observed").get_data()
    assert x[0] == 0.4 and y[0] == pytest.approx(2.5 / 1.6, rel=1e-12)
    np.testing.assert_allclose(_line(fig, "risk ratio").get_ydata(), 2.5 / (1 - implied["control_risk"] * (1 - 2.5)))
    assert "control risk 40%: RR 1.56" in texts(fig) and "odds ratio 2.50" in texts(fig)
    assert_no_overlap_or_clipping(fig)


def test_implied_effects_plot_needs_one_odds_ratio():
    from metarmc import implied_effects
    from metarmc.plots import implied_effects_plot

    two = pd.concat([implied_effects(2.0, [0.1, 0.2]), implied_effects(3.0, [0.1, 0.2])])
    with pytest.raises(ValueError, match="one odds ratio; got 2"):
        implied_effects_plot(two)


def test_heterogeneity_by_size_plot_draws_both_percentages_against_arm_size():
    from metarmc.plots import heterogeneity_by_size_plot

    by_size = pd.DataFrame({"median_arm": [29.0, 116.0, 464.0], "tau2": [0.05] * 3,
                            "median_i2": [5.0, 36.0, 72.0], "share_i2_zero": [0.46, 0.23, 0.03]})
    fig = heterogeneity_by_size_plot(by_size)
    x, y = _line(fig, "median I2").get_data()
    np.testing.assert_array_equal(x, by_size["median_arm"])
    np.testing.assert_array_equal(y, by_size["median_i2"])
    np.testing.assert_allclose(_line(fig, "share I2 zero").get_ydata(), [46.0, 23.0, 3.0])  # percent
    assert fig.axes[0].get_xscale() == "log" and "true τ² = 0.05 throughout" in fig.axes[0].get_xlabel()
    assert_no_overlap_or_clipping(fig)
    with pytest.raises(ValueError, match="one true tau2; got 2"):
        heterogeneity_by_size_plot(by_size.assign(tau2=[0.05, 0.1, 0.1]))


def test_bubble_plot_sizes_follow_the_weights_and_the_line_the_coefficients():
    from metarmc import meta_regression
    from metarmc.plots import bubble_plot
    from metarmc.plots.regression import FULL_WEIGHT_AREA

    data = pd.DataFrame({"yi": [0.1, 0.3, 0.35, 0.6], "vi": [0.04, 0.02, 0.05, 0.03], "dose": [1.0, 2.0, 3.0, 4.0],
                         "arm": ["a", "b", "a", "b"]})
    fit = meta_regression(data, ["dose"], tau2="FE")
    fig = bubble_plot(fit, ratio=True)
    (points,) = by_gid(fig, "studies")
    np.testing.assert_allclose(points.get_offsets(), np.column_stack([data["dose"], np.exp(data["yi"])]))
    np.testing.assert_allclose(points.get_sizes(), FULL_WEIGHT_AREA * fit.studies["weight"] / 100)
    x, y = _line(fig, "fitted line").get_data()
    beta = fit.coefficients["estimate"]
    np.testing.assert_allclose(np.log(y), beta["intercept"] + beta["dose"] * x)
    assert fig.axes[0].get_yscale() == "log"
    assert_no_overlap_or_clipping(fig)
    with pytest.raises(ValueError, match="dummy"):
        bubble_plot(meta_regression(data, ["arm"], tau2="FE"))
    with pytest.raises(ValueError, match="one moderator"):
        bubble_plot(meta_regression(data, ["dose", "arm"], tau2="FE"))


@pytest.mark.parametrize("draw", ["implied", "by_size", "bubble"])
def test_teaching_plots_draw_into_a_given_axes(draw):
    from metarmc import implied_effects, meta_regression
    from metarmc.plots import bubble_plot, heterogeneity_by_size_plot, implied_effects_plot

    fig = Figure()
    ax = fig.add_subplot()
    if draw == "implied":
        made = implied_effects_plot(implied_effects(2.0, [0.1, 0.5]), ax=ax)
    elif draw == "by_size":
        made = heterogeneity_by_size_plot(pd.DataFrame({"median_arm": [20.0, 80.0], "tau2": [0.1, 0.1],
                                                        "median_i2": [10.0, 40.0], "share_i2_zero": [0.3, 0.1]}), ax=ax)
    else:
        data = pd.DataFrame({"yi": [0.1, 0.3, 0.5], "vi": [0.04, 0.02, 0.05], "x": [1.0, 2.0, 3.0]})
        made = bubble_plot(meta_regression(data, ["x"], tau2="FE"), ax=ax)
    assert made is fig and ax.has_data()


def crowded_labels(name, review):
    """The two plots whose study labels overlapped when all sat at one offset from their points: the
    course's Baujat plot (Stephenson 2010 and Christiansen 1995 0.13 apart on Q at the same influence)
    and chapter 10's funnel of the trials (Christiansen 2015, Stephenson 2010 and Coulam 1995 at nearly
    the same standard error)."""
    from metarmc import primary_result
    from metarmc.plots import funnel_plot
    from metarmc.plots.baujat import baujat_plot

    if name == "baujat":
        return baujat_plot(meta_binary(review.binary("live_birth"), measure="OR", method="IV", model="random",
                                       tau2="REML"))
    return funnel_plot(primary_result(review, "live_birth"), labels=True, contours=True)


@pytest.mark.parametrize("plot", ["baujat", "funnel"])
def test_study_labels_never_overlap_where_the_points_crowd(plot, review):
    from metarmc.plots.labels import text_box

    fig = crowded_labels(plot, review)
    ax = fig.axes[0]
    assert len(ax.texts) >= 7
    for dpi in (72, 110):  # a screen and a print resolution
        fig.set_dpi(dpi)
        fig.draw_without_rendering()
        boxes = {t.get_text(): text_box(t) for t in ax.texts}  # the text, not its leader line
        for name, box in boxes.items():
            assert ax.bbox.contains(box.x0, box.y0) and ax.bbox.contains(box.x1, box.y1), f"{name} leaves the axes"
        for (a, box_a), (b, box_b) in itertools.combinations(boxes.items(), 2):
            assert not box_a.overlaps(box_b), f"{a!r} overlaps {b!r} at {dpi} dpi"
