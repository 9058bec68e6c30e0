"""metarmc.weights: per-study weights as the formulas write them (Deeks & Higgins 2010).

Hand-worked on two small tables, and checked against the percentages pool_binary reports.

Tolerances: rel=1e-12 (or abs=1e-12 near 0) compares closed forms worked by hand with the engine's:
only floating-point rounding separates them.
"""

import itertools

import numpy as np
import pandas as pd
import pytest

from metarmc import meta_binary
from metarmc import weights as wt
from metarmc.api import BINARY_COLUMNS

TWO = pd.DataFrame({"study": ["A", "B"], "events_t": [12, 5], "total_t": [20, 18],
                    "events_c": [8, 4], "total_c": [21, 17]})
# "zero": a zero cell (0.5 added to each cell); "none": no events in either arm (not estimable
# for OR/RR; an RD of 0 that still counts)
AWKWARD = pd.DataFrame({"study": ["zero", "none", "plain"], "events_t": [0, 0, 4], "total_t": [10, 8, 10],
                        "events_c": [3, 0, 2], "total_c": [10, 9, 10]})


def counts(df):
    return [df[c].to_numpy(float) for c in BINARY_COLUMNS]


def test_weights_of_two_studies_by_hand():
    # A: a b c d = 12 8 8 13, N = 41; B: 5 13 4 13, N = 35
    mh = [8 * 8 / 41, 13 * 4 / 35]
    iv = [1 / (1 / 12 + 1 / 8 + 1 / 8 + 1 / 13), 1 / (1 / 5 + 1 / 13 + 1 / 4 + 1 / 13)]
    # V = n1 n2 (a + c)(b + d) / (N^2 (N - 1))
    peto = [20 * 21 * 20 * 21 / (41**2 * 40), 18 * 17 * 9 * 26 / (35**2 * 34)]
    assert wt.study_weights(*counts(TWO)) == pytest.approx(mh, rel=1e-12)
    assert wt.study_weights(*counts(TWO), method="IV") == pytest.approx(iv, rel=1e-12)
    assert wt.study_weights(*counts(TWO), method="Peto") == pytest.approx(peto, rel=1e-12)
    # M-H RR: c n1 / N = 8*20/41, 4*18/35; M-H RD: n1 n2 / N = 20*21/41, 18*17/35
    assert wt.study_weights(*counts(TWO), measure="RR") == pytest.approx([160 / 41, 72 / 35], rel=1e-12)
    assert wt.study_weights(*counts(TWO), measure="RD") == pytest.approx([420 / 41, 306 / 35], rel=1e-12)
    # random effects: 1 / (v + tau2)
    v = [1 / w for w in iv]
    assert wt.study_weights(*counts(TWO), method="IV", tau2=0.3) == pytest.approx(
        [1 / (v[0] + 0.3), 1 / (v[1] + 0.3)], rel=1e-12)


@pytest.mark.parametrize("table", ["live_birth", "zero_cells"])
@pytest.mark.parametrize("method, measure", [*itertools.product(("MH", "IV"), ("OR", "RR", "RD")),
                                             ("Peto", "OR")])
def test_normalised_weights_are_the_percentages_meta_binary_reports(table, method, measure, live_birth):
    table = {"live_birth": live_birth, "zero_cells": AWKWARD}[table]
    raw = wt.study_weights(*counts(table), method=method, measure=measure)
    reported = meta_binary(table, measure=measure, method=method).studies["weight"].to_numpy()
    np.testing.assert_allclose(100 * raw / raw.sum(), reported, rtol=1e-12, atol=1e-12)


def test_random_effects_weights_match_meta_binary(live_birth):
    result = meta_binary(live_birth, model="random")
    raw = wt.study_weights(*counts(live_birth), tau2=result.tau2)
    np.testing.assert_allclose(100 * raw / raw.sum(), result.studies["weight"], rtol=1e-12)


def test_not_estimable_study_weighs_nothing():
    assert wt.study_weights(*counts(AWKWARD))[1] == 0.0
    assert wt.study_weights(*counts(AWKWARD), measure="RD")[1] == pytest.approx(8 * 9 / 17)


def test_weight_table_has_formula_weights_beside_the_percentages(live_birth):
    table = wt.weight_table(live_birth).set_index("study")
    assert list(table.columns) == ["weight_mh", "percent_mh", "weight_iv", "percent_iv",
                                   "weight_peto", "percent_peto"]
    # Christiansen 2015: 23/42 vs 20/40, b c / N = 19 * 20 / 82
    assert table.loc["Christiansen 2015", "weight_mh"] == pytest.approx(19 * 20 / 82, rel=1e-12)
    for suffix in ("mh", "iv", "peto"):
        np.testing.assert_allclose(100 * table[f"weight_{suffix}"] / table[f"weight_{suffix}"].sum(),
                                   table[f"percent_{suffix}"], rtol=1e-12)
    assert "weight_peto" not in wt.weight_table(live_birth, measure="RR").columns


@pytest.mark.parametrize("options, message", [
    ({"method": "Bayes"}, "method must be one of"),
    ({"measure": "HR"}, "measure must be one of"),
    ({"method": "Peto", "measure": "RR"}, "Peto weights are for fixed-effect odds ratios"),
    ({"method": "Peto", "tau2": 0.1}, "Peto weights are for fixed-effect odds ratios"),
    ({"tau2": -1.0}, "tau2 must be >= 0"),
])
def test_bad_input_names_what_was_expected(options, message):
    with pytest.raises(ValueError, match=message):
        wt.study_weights(*counts(TWO), **options)
