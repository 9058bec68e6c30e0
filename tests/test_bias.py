"""Egger's test and trim-and-fill against metafor (validation/metafor/bias_reference.json,
written by make_bias_reference.R: regtest(model = "lm") and trimfill(rma(...))).

Tolerances: rel=1e-10: metafor and metarmc evaluate the same least-squares and trim-and-fill
formulas in double precision (the R script prints 15 significant digits).
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metarmc import egger_test, meta_binary, trim_and_fill
from metarmc.bias import egger_regression, trim_and_fill_effects

REFERENCE = json.loads((Path(__file__).parents[1] / "validation/metafor/bias_reference.json").read_text())


@pytest.mark.parametrize("case", REFERENCE["cases"], ids=lambda c: c["id"])
def test_egger_and_trim_and_fill_match_metafor(case):
    yi, vi = (np.array(case["input"][k]) for k in ("yi", "vi"))
    want = case["expected"]
    egger = egger_regression(yi, vi)
    assert egger.intercept == pytest.approx(want["egger_intercept"], rel=1e-10)
    assert egger.se == pytest.approx(want["egger_se"], rel=1e-10)
    assert egger.t == pytest.approx(want["egger_t"], rel=1e-10)
    assert egger.df == want["egger_df"]
    assert egger.p == pytest.approx(want["egger_p"], rel=1e-10)
    fill = trim_and_fill_effects(yi, vi, model="random" if "random" in case["id"] else "fixed")
    assert (fill.k0, fill.side) == (want["trimfill_k0"], want["trimfill_side"])
    for ours, theirs in (("estimate", "trimfill_estimate"), ("se", "trimfill_se"),
                         ("ci_low", "trimfill_ci_low"), ("ci_high", "trimfill_ci_high")):
        assert float(getattr(fill.adjusted, ours)) == pytest.approx(want[theirs], rel=1e-10)
    np.testing.assert_allclose(np.sort(fill.filled["yi"]), np.sort(np.atleast_1d(want["filled_yi"] or [])), rtol=1e-10)


def test_symmetric_funnel_needs_no_filling():
    # Mirror-image studies around 0.2: nothing is missing on either side.
    yi = np.array([0.2 - 0.5, 0.2 + 0.5, 0.2 - 0.1, 0.2 + 0.1, 0.2])
    vi = np.array([0.3, 0.3, 0.05, 0.05, 0.1])
    assert trim_and_fill_effects(yi, vi).k0 == 0


def test_egger_needs_three_studies():
    with pytest.raises(ValueError, match="at least 3 studies; got 2"):
        egger_regression([0.1, 0.2], [0.1, 0.1])


def test_a_fit_gives_the_same_tests_on_its_study_effects_and_natural_scale_results():
    # four trials with a small-study pattern; the fit's study effects are ln OR and its variance
    table = pd.DataFrame({"study": ["A", "B", "C", "D"], "events_t": [30, 12, 8, 9], "total_t": [100, 30, 15, 12],
                          "events_c": [25, 8, 4, 3], "total_c": [100, 30, 15, 12]})
    result = meta_binary(table, method="IV")
    yi, vi = result.study_effects()
    assert egger_test(result) == egger_regression(yi, vi)
    fill, core = trim_and_fill(result), trim_and_fill_effects(yi, vi)
    assert (fill.k0, fill.side) == (core.k0, core.side)
    assert fill.estimate == pytest.approx(np.exp(float(core.adjusted.estimate)), rel=1e-15)
    assert (fill.ci_low, fill.ci_high) == pytest.approx(np.exp([float(core.adjusted.ci_low),
                                                                float(core.adjusted.ci_high)]), rel=1e-15)
    np.testing.assert_allclose(fill.filled["estimate"], np.exp(core.filled["yi"]), rtol=1e-15)
    np.testing.assert_allclose(fill.filled["se"], np.sqrt(core.filled["vi"]), rtol=1e-15)
