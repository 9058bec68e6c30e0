"""Continuity corrections beyond RevMan's rule, against metafor (validation/metafor/correction_reference.json,
written by make_correction_reference.R: escalc/rma.mh/rma on the corrected cells, the R call stored per case)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metarmc import meta_binary
from metarmc.effects import Cells, continuity_corrected

REFERENCE = json.loads((Path(__file__).parents[1] / "validation/metafor/correction_reference.json").read_text())


@pytest.mark.parametrize("case", REFERENCE["cases"], ids=lambda c: c["id"])
def test_corrections_match_metafor(case):
    options, want = case["options"], case["expected"]
    result = meta_binary(pd.DataFrame(case["input"]), measure=options["measure"], method=options["method"],
                         model=options["model"], tau2=options["tau2"] or "DL", correction=options["correction"])
    # metafor writes 15 significant digits (jsonlite digits = NA): compare at 1e-12
    for name in ("estimate", "ci_low", "ci_high", "se", "z", "p", "q", "tau2"):
        assert getattr(result, name) == pytest.approx(want[name], rel=1e-12, abs=1e-14), name
    kept = result.studies[result.studies["estimable"]]
    assert list(kept["study"]) == want["studies"]
    yi, vi = result.study_effects()
    np.testing.assert_allclose(yi, want["yi"], rtol=1e-12)
    np.testing.assert_allclose(vi, want["vi"], rtol=1e-12)


def test_treatment_arm_correction_by_hand():
    # n1 = 10, n2 = 30: the experimental arm's cells get 10/40, the control arm's 30/40
    cells = continuity_corrected(Cells.from_counts([0, 4], [10, 10], [3, 6], [30, 30]), "tacc")
    assert [float(x[0]) for x in cells] == [0.25, 10.25, 3.75, 27.75]
    assert [float(x[1]) for x in cells] == [4, 6, 6, 24]          # no zero cell: untouched
    # balanced arms: the same as RevMan's 0.5
    balanced = Cells.from_counts([0], [20], [3], [20])
    assert continuity_corrected(balanced, "tacc") == continuity_corrected(balanced, "revman")


def test_the_correction_is_named_in_the_label_and_peto_needs_none():
    table = pd.DataFrame(REFERENCE["cases"][0]["input"])
    assert meta_binary(table, correction="tacc").label == "M-H, Fixed, treatment-arm correction, 95% CI"
    assert meta_binary(table).label == "M-H, Fixed, 95% CI"
    peto = meta_binary(table, method="Peto", correction="all")
    assert peto.estimate == meta_binary(table, method="Peto").estimate


def test_an_unknown_correction_is_an_error():
    with pytest.raises(ValueError, match="correction must be one of revman, all, tacc; got 'half'"):
        meta_binary(pd.DataFrame(REFERENCE["cases"][0]["input"]), correction="half")
