"""Influence diagnostics, Baujat coordinates and GOSH against metafor's influence(), baujat() and
gosh() (methods_reference.json), their invariances and input errors."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from methods_reference import cases, meta_result, regression_data, values

from metarmc import gosh, leave_one_out, meta_binary, meta_continuous
from metarmc.influence import INFLUENCE_COLUMNS, baujat, influence_diagnostics
from metarmc.regression import meta_regression

from datasets import FLEISS1993

INFLUENCE = cases("influence")
GOSH = cases("gosh")
#: metafor's refits use REML/PM converged to 1e-12 (see the R script); the diagnostics are
#: ratios and differences of such fits, so 1e-8 relative is what both sides guarantee.
RTOL = 1e-8


def fitted(case):
    if case["kind"] == "influence_regression":
        return meta_regression(regression_data(case), case["options"]["mods"], tau2=case["options"]["tau2"])
    return meta_result(case)


ALL = {**INFLUENCE, **{f"{k} (regression)": v for k, v in cases("influence_regression").items()}}


@pytest.mark.parametrize("case", ALL.values(), ids=ALL.keys())
def test_influence_matches_metafor(case):
    table = influence_diagnostics(fitted(case))
    assert table["study"].tolist() == case["input"]["study"]
    for column in INFLUENCE_COLUMNS:
        # tau2_del is 0 in fixed-effect models and where a deletion removes all heterogeneity
        np.testing.assert_allclose(table[column], values(case["expected"][column]), rtol=RTOL, atol=1e-13,
                                   err_msg=column)


@pytest.mark.parametrize("case", ALL.values(), ids=ALL.keys())
def test_baujat_matches_metafor(case):
    points = baujat(fitted(case))
    np.testing.assert_allclose(points["x"], values(case["expected"]["baujat_x"]), rtol=RTOL)
    np.testing.assert_allclose(points["y"], values(case["expected"]["baujat_y"]), rtol=RTOL)


def test_fixed_effect_hat_values_are_the_weights_and_baujat_x_sums_to_q():
    result = meta_binary(FLEISS1993, method="IV")
    table = influence_diagnostics(result)
    np.testing.assert_allclose(table["hat"], result.studies["weight"] / 100, rtol=1e-12)
    assert table["hat"].sum() == pytest.approx(1.0, rel=1e-12)
    assert baujat(result)["x"].sum() == pytest.approx(result.q, rel=1e-12)


studies = st.integers(3, 8).flatmap(lambda k: st.tuples(
    st.lists(st.floats(-3, 3), min_size=k, max_size=k),
    st.lists(st.floats(0.2, 3), min_size=k, max_size=k),
    st.lists(st.integers(5, 300), min_size=k, max_size=k)))


def continuous_table(data):
    diff, sd, n = data
    k = len(diff)
    return pd.DataFrame({"study": [f"S{i}" for i in range(k)], "mean_t": diff, "sd_t": sd, "n_t": n,
                         "mean_c": [0.0] * k, "sd_c": sd, "n_c": n})


@settings(max_examples=40, deadline=None)
@given(studies, st.sampled_from([("fixed", "DL"), ("random", "DL"), ("random", "REML"), ("random", "PM")]))
def test_hat_values_sum_to_one_and_deletions_are_leave_one_out(data, model):
    df = continuous_table(data)
    table = influence_diagnostics(meta_continuous(df, model=model[0], tau2=model[1]))
    assert table["hat"].sum() == pytest.approx(1.0, rel=1e-10)
    assert table["weight"].sum() == pytest.approx(100.0, rel=1e-10)
    loo = leave_one_out(df, kind="continuous", model=model[0], tau2=model[1])
    # pooling's REML (fixed-point) and PM (bisection) converge to the same roots to ~1e-10
    np.testing.assert_allclose(table["tau2_del"], loo["tau2"], rtol=1e-7, atol=1e-10)


def test_influence_needs_inverse_variance_weights():
    with pytest.raises(ValueError, match="needs an inverse-variance analysis .* got method='MH'"):
        influence_diagnostics(meta_binary(FLEISS1993))
    with pytest.raises(ValueError, match="at least 2 studies"):
        influence_diagnostics(meta_binary(FLEISS1993.head(1), method="IV"))
    with pytest.raises(TypeError, match="expected a MetaResult or MetaRegression"):
        influence_diagnostics(FLEISS1993)


# --- GOSH -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", GOSH.values(), ids=GOSH.keys())
def test_gosh_matches_metafor(case):
    result = meta_result(case)
    table = gosh(result)
    expected = case["expected"]
    k = len(case["input"]["study"])
    assert len(table) == expected["n_subsets"] == 2**k - 1
    membership = table[case["input"]["study"]].to_numpy()
    codes = membership @ (2 ** np.arange(k))
    np.testing.assert_array_equal(codes, expected["subset"])  # same subsets in metafor's order
    np.testing.assert_array_equal(table["k"], values(expected["k"]))
    estimate = np.log(table["estimate"]) if result.is_ratio else table["estimate"]
    np.testing.assert_allclose(estimate, values(expected["estimate"]), rtol=RTOL, atol=1e-13)
    # zero for single-study subsets; where REML's maximum is at tau2 = 0 metafor's Fisher scoring
    # stops within its 1e-12 threshold of 0 (I2 ~ 2e-12 %), ours at 0 exactly: an absolute 1e-10
    for column in ("q", "i2", "tau2"):
        np.testing.assert_allclose(table[column], values(expected[column]), rtol=RTOL, atol=1e-10, err_msg=column)


@settings(max_examples=30, deadline=None)
@given(studies, st.sampled_from([("fixed", "DL"), ("random", "DL"), ("random", "REML"), ("random", "PM")]))
def test_gosh_full_set_is_the_full_analysis(data, model):
    result = meta_continuous(continuous_table(data), model=model[0], tau2=model[1])
    table = gosh(result)
    full = table[table["k"] == result.k].iloc[0]
    assert full["estimate"] == pytest.approx(result.estimate, rel=1e-12, abs=1e-14)
    assert full["q"] == pytest.approx(result.q, rel=1e-12, abs=1e-14)
    assert full["tau2"] == pytest.approx(result.tau2, rel=1e-12, abs=1e-14)


def test_gosh_samples_beyond_the_cap_reproducibly():
    result = meta_binary(FLEISS1993, method="IV")
    first, again = gosh(result, max_subsets=50, seed=3), gosh(result, max_subsets=50, seed=3)
    assert len(first) == 50 and first.equals(again)
    assert (first["k"] >= 1).all() and (first["k"] == first[FLEISS1993["study"]].sum(axis=1)).all()
    assert not first.equals(gosh(result, max_subsets=50, seed=4))


def test_gosh_input_errors():
    result = meta_binary(FLEISS1993, method="IV")
    with pytest.raises(ValueError, match="max_subsets must be a positive integer"):
        gosh(result, max_subsets=0)
    with pytest.raises(ValueError, match="needs an inverse-variance analysis"):
        gosh(meta_binary(FLEISS1993))
    clash = FLEISS1993.assign(study=["k", *FLEISS1993["study"][1:]])
    with pytest.raises(ValueError, match="study 'k' has the name of a GOSH column"):
        gosh(meta_binary(clash, method="IV"))


# --- plots ----------------------------------------------------------------------------------------

def test_baujat_plot_draws_each_study_at_its_coordinates_with_its_name():
    from metarmc.plots.baujat import baujat_plot

    result = meta_binary(FLEISS1993, method="IV", model="random")
    fig = baujat_plot(result)
    points = fig.axes[0].collections[0].get_offsets()
    expected = baujat(result)
    np.testing.assert_allclose(points, expected[["x", "y"]].to_numpy(), rtol=1e-12)
    assert sorted(t.get_text() for t in fig.axes[0].texts) == sorted(FLEISS1993["study"])


def test_gosh_plot_has_one_point_per_subset_and_marks_the_full_analysis():
    from matplotlib.figure import Figure

    from metarmc.plots.gosh import gosh_plot

    result = meta_binary(FLEISS1993, method="IV")
    fig = Figure()
    ax = fig.add_subplot()
    assert gosh_plot(result, ax=ax) is fig
    lines = {line.get_gid(): line for line in ax.lines}
    assert len(lines["subsets"].get_xdata()) == 2**7 - 1
    assert lines["all studies"].get_xdata()[0] == pytest.approx(result.estimate, rel=1e-12)
    assert lines["all studies"].get_ydata()[0] == pytest.approx(result.i2, rel=1e-12)
    assert ax.get_xscale() == "log"
