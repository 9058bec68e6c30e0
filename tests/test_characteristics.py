"""The characteristics of included studies, studies awaiting classification and per-study RoB tables.

Expected values are read by hand from data/studies.csv, data/outcomes.csv, data/risk_of_bias.csv
and data/extraction/blind-live-birth.csv (and the reconciliation table of data/README.md).
"""

import re

import pandas as pd
import pytest

from metarmc import load
from metarmc.data import DENOMINATORS, DERIVATIONS, ROB_DOMAINS, SOURCE_TYPES, STATUSES
from metarmc.review.characteristics import (
    NOT_REPORTED,
    awaiting,
    awaiting_classification,
    characteristics,
    control_arm,
    extraction_check,
    extraction_summary,
    funding,
    registration,
    rob_table,
    support_text,
    treatment_timing,
    without_full_text,
)

BEFORE, AFTER = "before conception", "after conception (once pregnant)"


@pytest.fixture(scope="module")
def review():
    return load()


def test_timing_of_every_study(review):
    # Read by hand from each ivig_regimen: Carp (follicular phase), Coulam ("started before
    # conception") and Stephenson ("preconception infusion") start before conception; Jafarzadeh's
    # source says "initiation not further defined"; Peero has no regimen recorded.
    expected = {"carp2001": BEFORE, "christiansen1995": AFTER, "christiansen2002": AFTER, "christiansen2015": AFTER,
                "coulam1995": BEFORE, "jablonowska1999": AFTER, "jafarzadeh2019": NOT_REPORTED,
                "jorgensen2020": AFTER, "peero2024": NOT_REPORTED, "stephenson2010": BEFORE, "yamada2022": AFTER}
    regimens = review.studies.set_index("study_id")["ivig_regimen"]
    assert {s: treatment_timing(regimens[s]) for s in regimens.index} == expected


def test_control_is_placebo_only_with_an_infusion(review):
    studies = review.studies.set_index("study_id")
    words = {s: control_arm(studies.loc[s]) for s in studies.index}
    assert words["peero2024"].startswith("Control, untreated")
    assert words["jafarzadeh2019"].startswith("Control, untreated")
    assert words["carp2001"] == f"Control: {NOT_REPORTED}"
    assert words["stephenson2010"] == "Placebo infusion: saline (equivalent volume of normal saline)"
    untreated = set(studies.index[studies["control_infusion"] != "yes"])
    assert not any("Placebo" in words[s] for s in untreated)


def test_awaiting_classification(review):
    assert awaiting(review) == ["carp2001", "jorgensen2020"]
    carp, jorgensen = awaiting_classification(review)
    assert (carp.study, jorgensen.study) == ("Carp 2001", "Jørgensen 2020")
    # Both have no design, randomisation, control, country or arm sizes (studies.csv), every RoB
    # domain not_obtained, and six not_found outcome rows (one per outcome of the registry).
    assert len(carp.unknown) == len(jorgensen.unknown) == 7
    assert carp.domains_not_obtained == len(ROB_DOMAINS)
    assert carp.outcomes_not_found == jorgensen.outcomes_not_found == 6
    assert "report not obtained" in carp.reason()


def test_registration_and_funding(review):
    assert {s: registration(review, s) for s in ("christiansen2015", "jafarzadeh2019", "stephenson2010",
                                                  "yamada2022", "coulam1995")} == {
        "christiansen2015": "NCT00722475", "jafarzadeh2019": "NCT03174951", "stephenson2010": "NCT00606905",
        "yamada2022": "NCT02184741", "coulam1995": NOT_REPORTED}
    assert funding(review, "yamada2022").startswith("Funded by the Japan Blood Products Organization")
    assert "Grifols/Talecris" in funding(review, "stephenson2010")
    assert funding(review, "christiansen2015") == NOT_REPORTED


def test_extraction_check_matches_the_reconciliation(review):
    checks = extraction_check(review).set_index(["study_id", "outcome", "denominator"])["double"]
    # data/README.md: Jablonowska's counts agree, only the denominator label differs (pregnant vs itt).
    assert checks[("jablonowska1999", "live_birth", "pregnant")]
    # Stephenson's 16/17 vs 15/16 was extractor A's alone; Yamada's came from the single-extractor wave 2.
    assert not checks[("stephenson2010", "live_birth", "clinical_pregnancy")]
    assert not checks[("yamada2022", "live_birth", "treated")]
    summary = extraction_summary(review).set_index("Outcome")
    # Live birth main rows: 8 studies (11 minus Carp, Jørgensen, Jafarzadeh), all but Yamada confirmed.
    assert summary.loc["Live birth"].tolist() == [8, 7, 1]
    assert summary.loc["Miscarriage"].tolist() == [3, 0, 3]


def test_studies_without_full_text(review):
    assert len(without_full_text(review)) == len(review.studies)


def test_support_text_for_readers(review):
    assert support_text("A. Not obtained: nothing we read reports on this domain (was 'unclear' until 2026-12-01).") \
        == "A."
    for study_id in review.studies["study_id"]:
        text = " ".join(rob_table(review, study_id)["Support for judgement"])
        assert "until 2026" not in text and not any(domain in text for domain in ROB_DOMAINS)


def test_rob_table(review):
    t = rob_table(review, "peero2024")
    assert t["Domain"].iloc[0] == "Random sequence generation (selection bias)"
    assert t["Judgement"].tolist() == ["High risk", "High risk", "High risk", "Low risk", "Report not obtained",
                                       "Unclear risk", "High risk"]
    with pytest.raises(ValueError, match="no judgements for study 'nobody2000'"):
        rob_table(review, "nobody2000")


def test_characteristics_have_no_codes(review):
    # Vocabulary codes (with an underscore, or "itt") must not reach a reader; plain words may.
    codes = [c for c in (*DENOMINATORS, *DERIVATIONS, *SOURCE_TYPES, *STATUSES) if "_" in c or c == "itt"]
    pattern = re.compile(r"\b(" + "|".join(codes) + r")\b")
    for study_id in review.studies["study_id"]:
        frame = characteristics(review, study_id).to_frame()
        assert not pattern.findall(" ".join(frame["Description"])), study_id
        assert not frame["Description"].map(lambda v: v == "" or pd.isna(v)).any()
    with pytest.raises(ValueError, match="no study 'nobody2000'"):
        characteristics(review, "nobody2000")


def test_characteristics_outcomes(review):
    entry = characteristics(review, "coulam1995")
    assert entry.outcomes.startswith("Live birth, out of women who became pregnant: 18/29 with IVIG vs 11/32 control "
                                     "(in the paper's analysis); as printed, from abstract; checked by a second")
    assert "Miscarriage, out of women who became pregnant: 11/29 with IVIG vs 21/32 control" in entry.outcomes
    assert "Birth weight (g): no report giving it could be reached or read in full" in entry.missing_outcomes


def test_the_entries_are_in_readers_words(review):
    """No extractor shorthand in what a reader sees of a study (tools/site_check.py SHORTHAND checks the
    site too); a quote in Japanese comes with our English translation; the paper's other name of a
    study is explained."""
    entries = {s: characteristics(review, s) for s in review.studies["study_id"]}
    text = {s: " ".join(e.to_frame()["Description"]) for s, e in entries.items()}
    shorthand = re.compile(r"\bGao (?:2025 )?Table|\b(?:RMC?|RSA|RPL|uRIF|GA|wk)\b|>=|i\.v\. Ig|IvIg|stored (?:Gao )?"
                           r"(?:copy|text)|see notes")
    found = {s: shorthand.findall(t.replace("RM [recurrent miscarriage]", "")) for s, t in text.items()}
    assert not any(found.values()), {s: f for s, f in found.items() if f}
    assert "the paper's Table 1" in text["jorgensen2020"]
    yamada = entries["yamada2022"].participants
    assert "in our translation from the Japanese: '99 pregnant women under 42" in yamada
    assert "(original: '子供がおらず原因不明の流産を4回以上経験した42歳未満の妊婦99人')" in yamada
    assert entries["jafarzadeh2019"].study == "Jafarzadeh 2019"
    assert entries["jafarzadeh2019"].notes == ("The paper calls this study Jafarzadeh 2018; this review names it by "
                                               "the year its report was published, 2019.")
    assert list(entries["jafarzadeh2019"].to_frame()["Characteristic"])[-1] == "Notes"
    assert "Notes" not in list(entries["yamada2022"].to_frame()["Characteristic"])  # no empty Notes row
    assert entries["coulam1995"].methods == ("prospective, randomized, double blinded, placebo-controlled trial; "
                                             "randomised; USA")
