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
# The same closed forms in double precision agree to ~1e-12; 1e-8 leaves room for tau2 found by two
# different solvers (REML, PM: the R script converges metafor to 1e-12) and for p-values in the tails.
RTOL = 1e-8
# Every pooled case of make_reference.R holds these: a key missing from the reference fails the test
# (skipping it would compare nothing). Prediction limits exist only where the case asks for them.
SCALARS = ("estimate", "ci_low", "ci_high", "se", "z", "p", "q", "q_p", "i2", "tau2")
PREDICTION = ("pi_low", "pi_high")
PER_STUDY = ("yi", "vi", "weight")
Z975 = 1.959963984540054  # qnorm(0.975)


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


def require(expected, names, where):
    missing = [name for name in names if name not in expected]
    assert not missing, f"{where}: the reference has no {missing}; regenerate it with make_reference.R"


def assert_scalars(result, expected, names=SCALARS, *, where, q_df=True):
    require(expected, names + (("q_df",) if q_df else ()), where)
    for name in names:
        want, got = expected[name], getattr(result, name)
        if want is None:  # not applicable in metafor: k = 1 heterogeneity, fixed-effect tau2
            assert got == 0 or math.isnan(got), f"{where}: {name}"
        else:
            # abs=1e-300: a zero (tau2 = 0, I² = 0) must be zero, not within approx's default 1e-12
            assert got == pytest.approx(want, rel=RTOL, abs=1e-300), f"{where}: {name}"
    if q_df:
        assert result.q_df == expected["q_df"], where


def pooled_names(case):
    return SCALARS + (PREDICTION if case["options"]["prediction"] else ())


def assert_per_study(result, expected, *, where):
    require(expected, PER_STUDY, where)
    studies = result.studies
    ci = (np.log(studies["ci_high"]) - np.log(studies["ci_low"])) if result.is_ratio \
        else (studies["ci_high"] - studies["ci_low"])
    got = {"yi": np.log(studies["estimate"]) if result.is_ratio else studies["estimate"],
           "vi": (ci / (2 * Z975)) ** 2,
           "weight": studies["weight"].where(studies["estimable"])}
    for name in PER_STUDY:
        want = np.array([np.nan if v is None else v for v in expected[name]], dtype=float)
        # vi is recovered from the CI limits (a difference of two logs, squared), which loses a few
        # digits to cancellation on narrow intervals: 1e-7 instead of RTOL
        np.testing.assert_allclose(got[name].to_numpy(float), want, rtol=1e-7 if name == "vi" else RTOL,
                                   equal_nan=True, err_msg=f"{where}: {name}")


WHOLE = [c for c in CASES.values() if c["kind"] in ("binary", "continuous")
         and "subgroup" not in c and c["options"]["measure"] != "SMD"]


@pytest.mark.parametrize("case", WHOLE, ids=lambda c: c["id"])
def test_pooled_result_matches_metafor(case):
    result, expected, where = run(case), case["expected"], case["id"]
    if case["options"]["measure"] == "RD" and case["options"]["method"] == "MH":
        # metafor's M-H RD variance is Sato-Greenland-Robins; RevMan's (ours) is
        # Greenland-Robins, which the R script also computes as expected["revman_variance"].
        variance = ("se", "ci_low", "ci_high", "z", "p")
        assert_scalars(result, expected, tuple(n for n in pooled_names(case) if n not in variance), where=where)
        require(expected, ("revman_variance",), where)
        assert_scalars(result, expected["revman_variance"], variance, where=f"{where} revman_variance",
                       q_df=False)
    else:
        assert_scalars(result, expected, pooled_names(case), where=where)
    assert_per_study(result, expected, where=where)


SUBGROUP = [c for c in CASES.values() if "subgroup" in c]


@pytest.mark.parametrize("case", SUBGROUP, ids=lambda c: c["id"])
def test_subgroups_and_test_for_differences_match_metafor(case):
    result = run(case, subgroup=case["subgroup"])
    expected, where = case["expected"], case["id"]
    assert_scalars(result, expected, pooled_names(case), where=where)
    require(expected, ("subgroup_q", "subgroup_df", "subgroup_p", "subgroups"), where)
    assert result.subgroup_q == pytest.approx(expected["subgroup_q"], rel=RTOL)
    assert result.subgroup_df == expected["subgroup_df"]
    assert result.subgroup_p == pytest.approx(expected["subgroup_p"], rel=RTOL)
    assert set(result.subgroups) == set(expected["subgroups"])
    within = tuple(n for n in SCALARS if n not in ("z", "p", "q_p", "se"))
    for name, sub in expected["subgroups"].items():
        assert_scalars(result.subgroups[name], sub, within, where=f"{where} subgroup {name}")


LEAVE_ONE_OUT = [c for c in CASES.values() if "leave1out" in c["expected"]]


@pytest.mark.parametrize("case", LEAVE_ONE_OUT, ids=lambda c: c["id"])
def test_leave_one_out_matches_metafor(case):
    opts = case["options"]
    table = leave_one_out(pd.DataFrame(case["input"]), measure=opts["measure"], method=opts["method"],
                          model=opts["model"], tau2=opts["tau2"] or "DL")
    require(case["expected"]["leave1out"], ("estimate", "ci_low", "ci_high"), case["id"])
    for name in ("estimate", "ci_low", "ci_high"):
        np.testing.assert_allclose(table[name], case["expected"]["leave1out"][name], rtol=RTOL)


def test_smd_matches_revman_approximate_correction_and_metafor_closely():
    case = CASES["normand_SMD_yi"]
    cols = ("mean_t", "sd_t", "n_t", "mean_c", "sd_c", "n_c")
    g, _ = standardized_mean_difference(*(np.array(case["input"][c], float) for c in cols))
    np.testing.assert_allclose(g, case["expected"]["yi_approxJ"], rtol=RTOL)
    # metafor uses the exact small-sample factor J, RevMan (and we) the approximation 1 - 3/(4 df - 1),
    # which differ by ~1e-4 relative at these sample sizes
    np.testing.assert_allclose(g, case["expected"]["yi"], rtol=1e-4)


def test_the_adhoc_correction_binds_only_where_q_is_below_one():
    # metafor's pinned values: on the homogeneous data (q < 1) test="adhoc" widens the HKSJ se to the
    # conventional one; on dat.bcg (q > 1) our adhoc fit equals our knha fit exactly
    knha, adhoc = CASES["homog_OR_IV_random_REML_hksj_pred"], CASES["homog_OR_IV_random_REML_adhoc_pred"]
    assert knha["expected"]["se"] < adhoc["expected"]["se"]
    assert run(adhoc).se == pytest.approx(adhoc["expected"]["se"], rel=RTOL)
    bcg = CASES["bcg_OR_IV_random_REML_adhoc"]
    as_knha = {**bcg, "options": {**bcg["options"], "hksj": True}}
    assert run(as_knha).se == run(bcg).se and run(bcg).label.endswith("HKSJ ad hoc, 95% CI")


def test_reference_file_records_its_provenance():
    assert REFERENCE["metafor_version"] and REFERENCE["r_version"]
    assert all(case["call"].startswith("library(metafor)") for case in REFERENCE["cases"])


REGENERATE = "regenerate: .venv/bin/python tools/review_input.py && Rscript validation/metafor/make_reference.R"


@pytest.fixture(scope="module")
def review_tables():
    from tools.review_input import OUTPUT, review_tables

    return review_tables(), json.loads(OUTPUT.read_text(encoding="utf8"))


def test_review_cases_are_run_on_todays_data(review_tables):
    """The cases on this review's own tables (shown in the methods course) ran on what data/ gives now."""
    today, pinned = review_tables
    assert pinned == today, f"validation/metafor/review_input.json is not what data/ gives; {REGENERATE}"
    for name, table in today.items():
        cases = [case for case in CASES.values() if case["id"].startswith(f"{name}_")]
        assert cases, f"reference.json has no case on {name}; {REGENERATE}"
        for case in cases:
            assert case["input"] == table["input"] and case["dataset"] == table["dataset"], \
                f"{case['id']} ran on other studies than data/ gives; {REGENERATE}"


def test_the_summary_names_the_statistic_metafor_reports():
    """metafor prints "t = ..., df = k - 1" for test = "knha" and "z = ..." otherwise; so does the repr."""
    hksj = CASES["livebirth_trials_OR_IV_random_REML_hksj_pred"]
    fixed = CASES["livebirth_paper_OR_MH_fixed"]
    t_line, z_line = (repr(run(case)).splitlines()[1] for case in (hksj, fixed))
    assert f"t={hksj['expected']['z']:.4g} (df={hksj['expected']['t_df']:.0f})" in t_line
    assert f"z={fixed['expected']['z']:.4g}," in z_line
