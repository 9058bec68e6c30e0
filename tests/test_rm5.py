"""read_rm5 on tests/fixtures/fleiss1993.rm5: the study tables, RevMan's options, and RevMan's
stored results beside ours; malformed files are errors naming the element.

Outcome CMP-001.01 of the fixture holds what RevMan 5.0.23 itself stored for Fleiss 1993 (copied
from Fleiss1993.rm5 of R's meta package); CMP-001.02 (subgroups) and CMP-002.01 (continuous,
dat.normand1999) hold results written by metarmc's engine (see the fixture's comment), so they
test the reader's mapping of every attribute, not the engine.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metarmc.rm5 import read_rm5

from datasets import FLEISS1993

FIXTURE = Path(__file__).parent / "fixtures" / "fleiss1993.rm5"
REFERENCE = json.loads((Path(__file__).parents[1] / "validation/metafor/reference.json").read_text())
NORMAND = pd.DataFrame(next(c for c in REFERENCE["cases"] if c["id"] == "normand_MD_IV_random_DL")["input"])
#: validation/metafor/README.md: RevMan's stored values are reproduced to ~1e-14 except its P(Chi²),
#: which RevMan computes to ~6e-7 relative (0.1269422521561745 vs pchisq's 0.1269421779063).
RTOL, RTOL_Q_P = 1e-10, 1e-6


@pytest.fixture(scope="module")
def review():
    return read_rm5(FIXTURE)


def test_outcomes_and_options(review):
    frame = review.to_frame()
    assert frame["id"].tolist() == ["CMP-001.01", "CMP-001.02", "CMP-002.01"]
    assert frame[["kind", "measure", "method", "model", "k", "subgroups"]].values.tolist() == [
        ["binary", "OR", "MH", "fixed", 7, 0], ["binary", "OR", "MH", "random", 7, 2],
        ["continuous", "MD", "IV", "random", 9, 0]]
    first = review.outcome("CMP-001.01")
    assert first.comparison == "Examples from Fleiss (1993)"
    assert first.name == "Aspirin for Preventing Death after Myocardial Infarction"
    assert first.options == {"measure": "OR", "model": "fixed", "subgroup": None, "method": "MH"}
    assert first.ci_level == 0.95 and review.skipped == ()


def test_study_tables_are_in_this_packages_columns(review):
    counts = FLEISS1993.astype({c: float for c in FLEISS1993.columns[1:]})
    pd.testing.assert_frame_equal(review.outcome("CMP-001.01").data, counts)
    subgroups = review.outcome("CMP-001.02").data
    assert subgroups["subgroup"].tolist() == ["1974-1979"] * 4 + ["1980-1988"] * 3
    pd.testing.assert_frame_equal(subgroups.drop(columns="subgroup"), review.outcome("CMP-001.01").data)
    continuous = review.outcome("CMP-002.01").data
    pd.testing.assert_frame_equal(continuous, NORMAND.astype({c: float for c in NORMAND.columns[1:]}))


def test_revman_5_0_23_stored_results_are_those_in_reference_json(review):
    stored = next(c for c in REFERENCE["cases"] if c["id"] == "fleiss1993_OR_MH_fixed")["expected"]["revman"]
    outcome = review.outcome("CMP-001.01")
    same = dict(rtol=1e-14)  # reference.json keeps 15 significant digits (jsonlite digits = NA)
    for name in ("estimate", "ci_low", "ci_high", "z", "p", "q", "q_df", "q_p", "i2"):
        assert outcome.revman[name] == pytest.approx(stored[name], rel=1e-14), name
    np.testing.assert_allclose(outcome.revman_studies["weight"], stored["weight"], **same)
    np.testing.assert_allclose(outcome.revman_studies["se"], stored["study_se"], **same)
    np.testing.assert_allclose(outcome.revman_studies["estimate"], stored["study_estimate"], **same)


@pytest.mark.parametrize("outcome_id", ["CMP-001.01", "CMP-001.02", "CMP-002.01"])
def test_rerun_reproduces_the_stored_results(review, outcome_id):
    table = review.outcome(outcome_id).compare()
    expected_rows = {"CMP-001.01": 11 + 7 * 5, "CMP-001.02": 14 + 2 * 11 + 7 * 5, "CMP-002.01": 11 + 9 * 5}
    assert len(table) == expected_rows[outcome_id]  # every stored number was compared
    for row in table.itertuples():
        rtol = RTOL_Q_P if row.quantity in ("q_p", "subgroup_p") else RTOL
        assert row.metarmc == pytest.approx(row.revman, rel=rtol, abs=1e-300), (row.analysis, row.quantity)


def test_subgroup_results_and_the_test_for_differences(review):
    outcome = review.outcome("CMP-001.02")
    assert list(outcome.revman_subgroups) == ["1974-1979", "1980-1988"]
    result = outcome.rerun()
    assert result.subgroup_q == pytest.approx(outcome.revman["subgroup_q"], rel=RTOL)
    assert outcome.revman_subgroups["1974-1979"]["k"] == 4


# --- malformed files ---------------------------------------------------------------------------

def write(tmp_path, change):
    path = tmp_path / "review.rm5"
    path.write_text(change(FIXTURE.read_text(encoding="latin-1")), encoding="latin-1")
    return path


def drop_attribute(text, attribute, after):
    """Remove the first ``attribute="..."`` that follows ``after``."""
    start = text.index(after)
    at = text.index(f' {attribute}="', start)
    end = text.index('"', at + len(attribute) + 3) + 1
    return text[:at] + text[end:]


@pytest.mark.parametrize("change, message", [
    (lambda t: drop_attribute(t, "EVENTS_1", '<DICH_DATA CI_END="1.0593362817898602"'),
     "DICH_DATA of study 'MRC-1' in outcome CMP-001.01: EVENTS_1 is missing"),
    (lambda t: t.replace('MEAN_1="55.0"', 'MEAN_1="n/a"'),
     "CONT_DATA of study 'Edinburgh' in outcome CMP-002.01: MEAN_1 must be a number; got 'n/a'"),
    (lambda t: t.replace('STUDY_ID="STD-CDP"', 'STUDY_ID="STD-Nobody"', 1),
     "DICH_DATA in outcome CMP-001.01: STUDY_ID 'STD-Nobody' is not a STUDY of the file"),
    (lambda t: t.replace('EFFECT_MEASURE="OR"', 'EFFECT_MEASURE="HR"', 1),
     "DICH_OUTCOME CMP-001.01: EFFECT_MEASURE 'HR' is not one of OR, RR, RD, PETO_OR"),
    (lambda t: t.replace('METHOD="MH"', 'METHOD=""', 1), "DICH_OUTCOME CMP-001.01: METHOD is missing"),
    (lambda t: t.replace("</COCHRANE_REVIEW>", ""), "not well-formed XML"),
    (lambda t: t.replace("COCHRANE_REVIEW", "REVIEW"), "not a RevMan 5 file (root element REVIEW"),
    (lambda t: t.replace('WEIGHT="3.176490004091248"', 'WEIGHT="heavy"'),
     "DICH_DATA of study 'MRC-1' in outcome CMP-001.01: WEIGHT must be a number; got 'heavy'"),
])
def test_malformed_files_name_the_element(tmp_path, change, message):
    with pytest.raises(ValueError) as error:
        read_rm5(write(tmp_path, change))
    assert message in str(error.value)


def test_other_outcome_types_are_listed_and_other_ci_levels_refused(tmp_path):
    generic = ('<IV_OUTCOME ID="CMP-002.02" NO="2"><NAME>Generic</NAME></IV_OUTCOME>\n'
               "</COMPARISON>\n</ANALYSES_AND_DATA>")
    review = read_rm5(write(tmp_path, lambda t: t.replace("</COMPARISON>\n</ANALYSES_AND_DATA>", generic)))
    assert review.skipped == (("CMP-002.02", "IV_OUTCOME"),)
    review = read_rm5(write(tmp_path, lambda t: t.replace('CI_TOTAL="95"', 'CI_TOTAL="90"', 1)))
    with pytest.raises(ValueError, match="CMP-001.01: RevMan used 90% intervals; metarmc computes 95% only"):
        review.outcome("CMP-001.01").rerun()
    with pytest.raises(KeyError, match="no outcome 'CMP-009.01'"):
        review.outcome("CMP-009.01")
