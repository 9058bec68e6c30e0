"""meta_regression against metafor's rma(yi, vi, mods = ~ ..., method, test) (methods_reference.json),
its invariances, and its input errors."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from methods_reference import cases, regression_data, values

from metarmc import meta_continuous, pool_effects
from metarmc.regression import fit_arrays, meta_regression

CASES = cases("regression")
#: metafor's iterative estimators were run to 1e-12 (see the R script), and both sides are exact
#: linear algebra otherwise: agreement to 1e-8 leaves room for the conditioning of an uncentred year.
RTOL = 1e-8
COLUMNS = ("estimate", "se", "statistic", "p", "ci_low", "ci_high")


def fit(case):
    opts = case["options"]
    return meta_regression(regression_data(case), opts["mods"], tau2=opts["tau2"], hksj=opts["hksj"])


def r_term(name: str, mods) -> str:
    """Our coefficient name as R's model.matrix spells it (``alloc[random]`` -> ``allocrandom``)."""
    if name == "intercept":
        return "intrcpt"
    for mod in mods:
        if name.startswith(f"{mod}["):
            return mod + name[len(mod) + 1:-1]
    return name


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_coefficients_match_metafor(case):
    result, expected = fit(case), case["expected"]
    assert [r_term(t, case["options"]["mods"]) for t in result.coefficients.index] == expected["terms"]
    for column in COLUMNS:
        want = values(expected["pval" if column == "p" else column])
        np.testing.assert_allclose(result.coefficients[column], want, rtol=RTOL, err_msg=column)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_model_statistics_match_metafor(case):
    result, expected = fit(case), case["expected"]
    assert (result.k, result.p, result.qe_df, result.qm_df) == (expected["k"], expected["p"], expected["qe_df"],
                                                                 expected["qm_df"])
    for name in ("tau2", "i2", "h2", "r2", "qe", "qe_p", "qm", "qm_p"):
        want = values(expected[name])[0]
        if math.isnan(want):  # R2 of a model without moderators
            assert math.isnan(getattr(result, name)), name
        else:  # tau2 = 0 (FE) and R2 = 0 need an absolute tolerance
            assert getattr(result, name) == pytest.approx(want, rel=RTOL, abs=1e-12), name


def test_categorical_levels_follow_a_categorical_column_order():
    data = regression_data(CASES["bcg_RR_alloc_REML"])
    data["alloc"] = pd.Categorical(data["alloc"], categories=["random", "alternate", "systematic"])
    result = meta_regression(data, ["alloc"])
    assert list(result.coefficients.index) == ["intercept", "alloc[alternate]", "alloc[systematic]"]
    reference = fit(CASES["bcg_RR_alloc_REML"])  # same model, other reference level
    assert result.tau2 == pytest.approx(reference.tau2, rel=1e-10)
    assert result.qm == pytest.approx(reference.qm, rel=1e-8)


def test_summary_frame_and_repr():
    result = fit(CASES["bcg_RR_ablat_REML_knha"])
    frame = result.to_frame()
    assert frame.shape[0] == 1 and frame.loc[0, "qm"] == result.qm and bool(frame.loc[0, "hksj"])
    text = repr(result)
    assert "Knapp-Hartung" in text and "F=12.59 (df=1, 11" in text and len(text.splitlines()) == 5


# --- invariances ---------------------------------------------------------------------------------

studies = st.integers(3, 9).flatmap(lambda k: st.tuples(
    st.lists(st.floats(-2, 2), min_size=k, max_size=k),
    st.lists(st.floats(0.01, 1), min_size=k, max_size=k)))


@settings(max_examples=40, deadline=None)
@given(studies, st.sampled_from(["REML", "DL", "PM", "FE"]), st.booleans())
def test_no_moderators_is_the_pooled_analysis(data, method, hksj):
    yi, vi = map(np.array, data)
    hksj = hksj and method != "FE"
    result = meta_regression(pd.DataFrame({"yi": yi, "vi": vi}), [], tau2=method, hksj=hksj)
    fixed = method == "FE"
    pooled = pool_effects(yi, vi, model="fixed" if fixed else "random", tau2="DL" if fixed else method, hksj=hksj)
    row = result.coefficients.loc["intercept"]
    # pooling's REML is Viechtbauer's fixed-point iteration and its PM a bisection on another
    # bracket: both converge to the same root to about 1e-10.
    assert row.estimate == pytest.approx(float(pooled.estimate), rel=1e-7, abs=1e-9)
    assert row.se == pytest.approx(float(pooled.se), rel=1e-7)
    assert result.tau2 == pytest.approx(float(pooled.tau2), rel=1e-7, abs=1e-10)
    assert result.qe == pytest.approx(float(pooled.q), rel=1e-10, abs=1e-12)
    # identical effects under Knapp-Hartung have SE 0: both tests are undefined (NaN)
    assert row.p == pytest.approx(float(pooled.p), rel=1e-6, abs=1e-12, nan_ok=True)


subgroup_tables = st.integers(4, 10).flatmap(lambda k: st.tuples(
    st.lists(st.floats(-5, 5), min_size=k, max_size=k),
    st.lists(st.floats(0.5, 3), min_size=k, max_size=k),
    st.lists(st.integers(10, 200), min_size=k, max_size=k),
    st.lists(st.sampled_from("ab"), min_size=k, max_size=k).filter(lambda g: 2 <= g.count("a") <= len(g) - 2)))


@settings(max_examples=40, deadline=None)
@given(subgroup_tables)
def test_fixed_effect_qm_of_a_category_is_the_subgroup_test(table):
    diff, sd, n, group = table
    k = len(diff)
    df = pd.DataFrame({"study": [f"S{i}" for i in range(k)], "mean_t": diff, "sd_t": sd, "n_t": n,
                       "mean_c": [0.0] * k, "sd_c": sd, "n_c": n, "group": group})
    subgroups = meta_continuous(df, subgroup="group")
    studies = subgroups.studies
    data = pd.DataFrame({"yi": studies["estimate"], "vi": studies["se"] ** 2, "group": studies["group"]})
    result = meta_regression(data, ["group"], tau2="FE")
    assert result.qm == pytest.approx(subgroups.subgroup_q, rel=1e-9, abs=1e-12)
    assert result.qm_p == pytest.approx(subgroups.subgroup_p, rel=1e-7, abs=1e-14)


@settings(max_examples=30, deadline=None)
@given(studies, st.floats(-50, 50), st.sampled_from(["REML", "DL", "PM"]))
def test_shifting_a_moderator_changes_only_the_intercept(data, shift, method):
    yi, vi = map(np.array, data)
    x = np.arange(len(yi), dtype=float)
    base = meta_regression(pd.DataFrame({"yi": yi, "vi": vi, "x": x}), ["x"], tau2=method)
    moved = meta_regression(pd.DataFrame({"yi": yi, "vi": vi, "x": x + shift}), ["x"], tau2=method)
    assert moved.coefficients.loc["x", "estimate"] == pytest.approx(base.coefficients.loc["x", "estimate"],
                                                                    rel=1e-7, abs=1e-9)
    assert moved.tau2 == pytest.approx(base.tau2, rel=1e-7, abs=1e-10)
    assert moved.qm == pytest.approx(base.qm, rel=1e-6, abs=1e-9)


def test_a_batch_is_the_analyses_one_by_one():
    data = regression_data(CASES["bcg_RR_ablat_REML"])
    yi, vi = data["yi"].to_numpy(), data["vi"].to_numpy()
    X = np.column_stack([np.ones(len(yi)), data["ablat"]])
    include = ~np.eye(len(yi), dtype=bool)
    for method in ("REML", "DL", "PM"):
        batch = fit_arrays(np.broadcast_to(yi, include.shape), np.broadcast_to(vi, include.shape), X,
                           tau2=method, hksj=True, include=include)
        for i in range(len(yi)):
            one = fit_arrays(np.delete(yi, i), np.delete(vi, i), np.delete(X, i, axis=0), tau2=method, hksj=True)
            np.testing.assert_allclose(batch.beta[i], one.beta, rtol=1e-9)
            np.testing.assert_allclose(batch.vb[i], one.vb, rtol=1e-9)
            assert batch.tau2[i] == pytest.approx(float(one.tau2), rel=1e-9, abs=1e-14)


# --- input errors ---------------------------------------------------------------------------------

def bcg():
    return regression_data(CASES["bcg_RR_ablat_REML"])


@pytest.mark.parametrize("change, mods, options, message", [
    (lambda d: d.drop(columns="vi"), ["ablat"], {}, "missing column(s) vi"),
    (lambda d: d.assign(vi=d["vi"].where(d.index != 2, -0.1)), ["ablat"], {},
     "'Rosenthal et al 1960': vi must be a positive number"),
    (lambda d: d.assign(yi=d["yi"].astype(object).where(d.index != 0, "n/a")), ["ablat"], {},
     "'Aronson 1948': yi must be a number"),
    (lambda d: d.assign(ablat=d["ablat"].where(d.index != 4)), ["ablat"], {},
     "'Frimodt-Moller et al 1973': ablat is missing"),
    (lambda d: d.assign(alloc="random"), ["alloc"], {}, "moderator 'alloc' has a single level"),
    (lambda d: d.assign(lat2=2 * d["ablat"]), ["ablat", "lat2"], {}, "the moderators are collinear"),
    (lambda d: d.head(2), ["ablat"], {}, "needs at least 3 studies; got 2"),
    (lambda d: d, ["ablat"], {"tau2": "FE", "hksj": True}, "hksj needs a random-effects model"),
    (lambda d: d, ["ablat"], {"tau2": "ML"}, "tau2 must be one of REML, DL, PM, FE"),
    (lambda d: d, "ablat", {}, "mods must be a list of column names"),
    (lambda d: d, ["ablat", "ablat"], {}, "moderator 'ablat' is listed twice"),
])
def test_input_errors(change, mods, options, message):
    with pytest.raises(ValueError) as error:
        meta_regression(change(bcg()), mods, **options)
    assert message in str(error.value)


def test_reml_converges_where_plain_fisher_scoring_cycles():
    # Found by the shift-invariance property test: one very precise outlying study makes plain
    # Fisher scoring cycle between about 0.01 and 0.37 (it stopped at its cap, silently, wherever it
    # was). The fixed-point iteration (metarmc.wls.tau2_reml) finds the maximum, the same whatever
    # the moderator's origin, without a warning.
    yi = np.array([0.0, 0.0, 0.8310388085098833, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    vi = np.array([0.5744950736012326, 0.07892896064567002, 0.01, 0.6532936850201316, 0.9625708560304759,
                   0.28614748976906745, 0.3019095428777369, 0.12172575077900816, 0.5744950736012326])
    x = np.arange(9.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fits = [meta_regression(pd.DataFrame({"yi": yi, "vi": vi, "x": x + shift}), ["x"]) for shift in (0, -50)]
    assert fits[0].tau2 == pytest.approx(fits[1].tau2, rel=1e-9)
    # the estimate maximises the restricted likelihood
    from metarmc.wls import reml_log_likelihood
    design, every = np.column_stack([np.ones(9), x]), np.ones(9, bool)
    likelihood = [float(reml_log_likelihood(np.array(fits[0].tau2 + d), yi, vi, design, every))
                  for d in (-1e-4, 0, 1e-4)]
    assert likelihood[1] > max(likelihood[0], likelihood[2])
