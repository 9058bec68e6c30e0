"""Q-profile intervals for tau2, tau, I2 and H2 against metafor's confint(rma(...)) (methods_reference.json)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from methods_reference import cases, meta_result, regression_data, values

from metarmc import meta_binary, meta_continuous
from metarmc.distributions import chi2_isf
from metarmc.qprofile import heterogeneity_ci
from metarmc.regression import meta_regression

from datasets import FLEISS1993

CONFINT = cases("confint")
REGRESSION = cases("confint_regression")
#: metafor's roots were searched to uniroot tol 1e-12 (see the R script) and its REML to 1e-12.
RTOL = 1e-8


def check(table, expected):
    assert list(table.index) == expected["rows"]
    for column in ("estimate", "ci_low", "ci_high"):
        # bounds at 0 (fleiss lower, the homogeneous data) need an absolute tolerance
        np.testing.assert_allclose(table[column], values(expected[column]), rtol=RTOL, atol=1e-12, err_msg=column)


@pytest.mark.parametrize("case", CONFINT.values(), ids=CONFINT.keys())
def test_matches_metafor(case):
    check(heterogeneity_ci(meta_result(case), level=case["expected"]["level"]), case["expected"])


@pytest.mark.parametrize("case", REGRESSION.values(), ids=REGRESSION.keys())
def test_residual_heterogeneity_of_a_meta_regression_matches_metafor(case):
    fit = meta_regression(regression_data(case), case["options"]["mods"], tau2=case["options"]["tau2"])
    check(heterogeneity_ci(fit, level=case["expected"]["level"]), case["expected"])


def test_i2_estimate_is_metafors_not_revmans_for_reml():
    result = meta_result(CONFINT["bcg_RR_IV_random_REML"])
    table = heterogeneity_ci(result)
    assert table.loc["i2", "estimate"] != pytest.approx(result.i2, rel=1e-3)  # RevMan's (Q - df)/Q
    dl = meta_result(CONFINT["bcg_RR_IV_random_DL"])  # for DL the two definitions agree
    assert heterogeneity_ci(dl).loc["i2", "estimate"] == pytest.approx(dl.i2, rel=1e-10)


studies = st.integers(3, 10).flatmap(lambda k: st.tuples(
    st.lists(st.floats(-3, 3), min_size=k, max_size=k),
    st.lists(st.floats(0.2, 3), min_size=k, max_size=k),
    st.lists(st.integers(5, 300), min_size=k, max_size=k)))


@settings(max_examples=40, deadline=None)
@given(studies, st.sampled_from(["REML", "DL", "PM"]), st.floats(0.5, 0.99))
def test_bounds_solve_the_q_profile_equations(data, method, level):
    diff, sd, n = data
    k = len(diff)
    df = pd.DataFrame({"study": [f"S{i}" for i in range(k)], "mean_t": diff, "sd_t": sd, "n_t": n,
                       "mean_c": [0.0] * k, "sd_c": sd, "n_c": n})
    result = meta_continuous(df, model="random", tau2=method)
    table = heterogeneity_ci(result, level=level)
    yi, vi = result.studies["estimate"].to_numpy(), result.studies["se"].to_numpy() ** 2

    def q(tau2):
        w = 1 / (vi + tau2)
        return float((w * (yi - (w * yi).sum() / w.sum()) ** 2).sum())

    for bound, p in (("ci_low", (1 - level) / 2), ("ci_high", 1 - (1 - level) / 2)):
        tau2, critical = table.loc["tau2", bound], chi2_isf(p, k - 1)
        if tau2 == 0:
            assert q(0) <= critical
        else:
            assert q(tau2) == pytest.approx(critical, rel=1e-9)
    assert table.loc["tau2", "ci_low"] <= table.loc["tau2", "ci_high"]
    assert (np.diff(table.loc["i2", ["ci_low", "ci_high"]].to_numpy()) >= 0).all()


def test_input_errors():
    with pytest.raises(ValueError, match="needs a random-effects analysis"):
        heterogeneity_ci(meta_binary(FLEISS1993, method="IV"))
    with pytest.raises(ValueError, match="needs an inverse-variance analysis"):
        heterogeneity_ci(meta_binary(FLEISS1993, model="random"))
    with pytest.raises(ValueError, match="level must be between 0 and 1"):
        heterogeneity_ci(meta_binary(FLEISS1993, method="IV", model="random"), level=95)
