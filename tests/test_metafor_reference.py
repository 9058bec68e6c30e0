"""Every case of validation/metafor/reference.json (written by make_reference.R with R's
metafor; the exact R call is stored with each case) reproduced at rtol 1e-8."""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metarmc import leave_one_out, meta_binary, meta_continuous
from metarmc.effects import standardized_mean_difference

REFERENCE = json.loads((Path(__file__).parents[1] / "validation/metafor/reference.json").read_text())
CASES = {case["id"]: case for case in REFERENCE["cases"]}
RTOL = 1e-8
SCALARS = ("estimate", "ci_low", "ci_high", "se", "z", "p", "q", "q_p", "i2", "tau2", "pi_low", "pi_high")


def run(case, subgroup=None):
    opts = case["options"]
    df = pd.DataFrame(case["input"])
    if subgroup is not None:
        df["subgroup"] = subgroup
    options = dict(model=opts["model"], tau2=opts["tau2"] or "DL", hksj=opts["hksj"],
                   prediction=opts["prediction"], subgroup="subgroup" if subgroup is not None else None)
    if case["kind"] == "binary":
        return meta_binary(df, measure=opts["measure"], method=opts["method"], **options)
    return meta_continuous(df, measure=opts["measure"], **options)


def assert_scalars(result, expected, skip=()):
    for name in SCALARS:
        if name in skip or name not in expected:
            continue
        want, got = expected[name], getattr(result, name)
        if want is None:  # not applicable in metafor: k = 1 heterogeneity, fixed-effect tau2
            assert got == 0 or math.isnan(got), name
        else:
            assert got == pytest.approx(want, rel=RTOL, abs=1e-300), name
    if "q_df" in expected:
        assert result.q_df == expected["q_df"]


def assert_per_study(result, expected):
    studies = result.studies
    for name, column in (("yi", None), ("vi", None), ("weight", "weight")):
        if name not in expected:
            continue
        want = np.array([np.nan if v is None else v for v in expected[name]], dtype=float)
        got = {"yi": np.log(studies["estimate"]) if result.is_ratio else studies["estimate"],
               "vi": ((np.log(studies["ci_high"]) - np.log(studies["ci_low"])) if result.is_ratio
                      else (studies["ci_high"] - studies["ci_low"])) ** 2 / (2 * 1.959963984540054) ** 2,
               "weight": studies["weight"].where(studies["estimable"])}[name].to_numpy(float)
        np.testing.assert_allclose(got, want, rtol=1e-7 if name == "vi" else RTOL, equal_nan=True, err_msg=name)


WHOLE = [c for c in CASES.values() if c["kind"] in ("binary", "continuous")
         and "subgroup" not in c and c["options"]["measure"] != "SMD"]


@pytest.mark.parametrize("case", WHOLE, ids=lambda c: c["id"])
def test_pooled_result_matches_metafor(case):
    result = run(case)
    if case["options"]["measure"] == "RD" and case["options"]["method"] == "MH":
        # metafor's M-H RD variance is Sato-Greenland-Robins; RevMan's (ours) is
        # Greenland-Robins, which the R script also computes as expected["revman_variance"].
        assert_scalars(result, case["expected"], skip=("se", "ci_low", "ci_high", "z", "p"))
        assert_scalars(result, case["expected"]["revman_variance"])
    else:
        assert_scalars(result, case["expected"])
    assert_per_study(result, case["expected"])


SUBGROUP = [c for c in CASES.values() if "subgroup" in c]


@pytest.mark.parametrize("case", SUBGROUP, ids=lambda c: c["id"])
def test_subgroups_and_test_for_differences_match_metafor(case):
    result = run(case, subgroup=case["subgroup"])
    expected = case["expected"]
    assert_scalars(result, expected)
    assert result.subgroup_q == pytest.approx(expected["subgroup_q"], rel=RTOL)
    assert result.subgroup_df == expected["subgroup_df"]
    assert result.subgroup_p == pytest.approx(expected["subgroup_p"], rel=RTOL)
    assert set(result.subgroups) == set(expected["subgroups"])
    for name, sub in expected["subgroups"].items():
        assert_scalars(result.subgroups[name], sub, skip=("z", "p", "q_p", "se"))


LEAVE_ONE_OUT = [c for c in CASES.values() if "leave1out" in c["expected"]]


@pytest.mark.parametrize("case", LEAVE_ONE_OUT, ids=lambda c: c["id"])
def test_leave_one_out_matches_metafor(case):
    opts = case["options"]
    table = leave_one_out(pd.DataFrame(case["input"]), measure=opts["measure"], method=opts["method"],
                          model=opts["model"], tau2=opts["tau2"] or "DL")
    for name in ("estimate", "ci_low", "ci_high"):
        np.testing.assert_allclose(table[name], case["expected"]["leave1out"][name], rtol=RTOL)


def test_smd_matches_revman_approximate_correction_and_metafor_closely():
    case = CASES["normand_SMD_yi"]
    cols = ("mean_t", "sd_t", "n_t", "mean_c", "sd_c", "n_c")
    g, _ = standardized_mean_difference(*(np.array(case["input"][c], float) for c in cols))
    np.testing.assert_allclose(g, case["expected"]["yi_approxJ"], rtol=RTOL)
    np.testing.assert_allclose(g, case["expected"]["yi"], rtol=1e-4)  # metafor's exact J


def test_reference_file_records_its_provenance():
    assert REFERENCE["metafor_version"] and REFERENCE["r_version"]
    assert all(case["call"].startswith("library(metafor)") for case in REFERENCE["cases"])
