"""Reading database exports: MEDLINE, RIS (Embase, CENTRAL) and ClinicalTrials.gov CSV.

The fixtures in tests/fixtures/search/ are laid out as the databases export them. Records of
included trials carry those trials' real identifiers (PMID, DOI, NCT number, as in
data/studies.csv); every record titled "FICTITIOUS TEST RECORD" is invented for the tests.
"""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from metarmc.living.records import detect_format, normal_doi, normal_title, read_export, surname

SEARCH = Path(__file__).parent / "fixtures" / "search"


def by_id(imported):
    return {record.record_id: record for record in imported.records}


def test_medline_fields_of_a_real_record_layout():
    records = by_id(read_export(SEARCH / "pubmed-2026-12.nbib"))
    bjog = records["pubmed:25412569"]  # Christiansen 2015 BJOG, as data/studies.csv cites it
    assert bjog.title == ("Intravenous immunoglobulin treatment for secondary recurrent miscarriage: a randomised, "
                          "double-blind, placebo-controlled trial")  # continuation line joined, final period dropped
    assert bjog.year == 2015 and bjog.doi == "10.1111/1471-0528.13192" and bjog.pmid == "25412569"
    assert bjog.authors[:2] == ("Christiansen, O B", "Larsen, E C")  # FAU preferred to AU
    assert bjog.first_author == "christiansen"
    assert bjog.registry_id == "NCT00722475"  # from SI- ClinicalTrials.gov/NCT00722475
    assert bjog.journal == "BJOG : an international journal of obstetrics and gynaecology"
    assert bjog.publication_type == "journal article; randomized controlled trial"
    assert (bjog.file, bjog.line) == ("pubmed-2026-12.nbib", 1)


def test_medline_malformed_records_are_reported_and_the_rest_imports():
    imported = read_export(SEARCH / "pubmed-2026-12.nbib")
    assert sorted(by_id(imported)) == ["pubmed:25412569", "pubmed:99999901", "pubmed:99999902"]
    assert [str(p) for p in imported.problems] == [
        "pubmed-2026-12.nbib:69: expected a TI- (title) line in record PMID 99999903; found none",
        "pubmed-2026-12.nbib:79: expected a MEDLINE line 'TAG - value' (tag padded to four characters) or a "
        "continuation indented six spaces; found 'this line has no tag'",
    ]


def test_embase_ris_records_doi_url_and_conference_abstract():
    records = by_id(read_export(SEARCH / "embase-2026-12.ris"))
    trial = records["embase:L2099999901"]
    assert trial.source == "embase"  # from DB  - Embase
    assert trial.doi == "10.5555/fictitious.ivig.2025"  # http://dx.doi.org/ prefix dropped, case folded
    assert trial.year == 2025 and trial.first_author == "fictitious"  # "Y1  - 2025//", "Fictitious A."
    assert "conference abstract" in records["embase:L2099999902"].publication_type
    assert records["embase:L33109990"].first_author == "carp"  # "Carp H.J.A."


def test_ris_malformed_records_name_their_line():
    imported = read_export(SEARCH / "embase-2026-12.ris")
    assert len(imported.records) == 4
    assert [str(p) for p in imported.problems] == [
        "embase-2026-12.ris:61: expected 'ER  - ' to end the record starting here; found the next 'TY  - ' on line 67",
        "embase-2026-12.ris:71: expected an RIS line 'TG  - value' (two characters, two spaces, a hyphen, a space); "
        "found 'A1 - Malformed M.'",
    ]


def test_central_ris_source_from_the_cn_accession():
    (record,) = read_export(SEARCH / "central-2026-12.ris").records
    assert record.record_id == "central:CN-99999901"
    assert (record.doi, record.year, record.first_author) == ("", 2025, "fictitious")


def test_ctgov_csv_registry_records():
    imported = read_export(SEARCH / "ctgov-2026-12.csv")
    records = by_id(imported)
    assert sorted(records) == ["ctgov:NCT00722475", "ctgov:NCT99999901"]
    ongoing = records["ctgov:NCT99999901"]
    assert ongoing.registry_id == "NCT99999901" and ongoing.year == 2024  # the First Posted year
    assert ongoing.publication_type == "registry record; interventional; recruiting; no results posted"
    assert [str(p) for p in imported.problems] == [
        "ctgov-2026-12.csv:4: expected an NCT Number (NCT and 8 digits); found 'NCT12'"]


def test_ctgov_csv_without_its_columns_is_one_problem(tmp_path):
    export = tmp_path / "ctg.csv"
    export.write_text("NCT Number,Title\nNCT00000001,x\n")
    (problem,) = read_export(export).problems
    assert str(problem) == "ctg.csv:1: expected the column(s) Study Title in the header; found none"


def test_ctgov_csv_row_with_the_wrong_number_of_fields(tmp_path):
    export = tmp_path / "ctg.csv"
    export.write_text('NCT Number,Study Title\nNCT00000001,"a, quoted title"\nNCT00000002,b,extra\n')
    imported = read_export(export)
    assert [r.title for r in imported.records] == ["a, quoted title"]
    assert [str(p) for p in imported.problems] == ["ctg.csv:3: expected 2 fields, as in the header; found 3"]


def test_an_unknown_format_is_refused_at_line_1(tmp_path):
    export = tmp_path / "scopus.bib"
    export.write_text("@article{x, title={y}}\n")
    assert detect_format(export.read_text()) is None
    (problem,) = read_export(export).problems
    assert str(problem).startswith("scopus.bib:1: expected a PubMed/MEDLINE ('PMID- '), RIS ('TY  - ') or "
                                   "ClinicalTrials.gov CSV ('NCT Number' header) export; found '@article")


def test_ris_record_without_accession_gets_a_stable_digest(tmp_path):
    export = tmp_path / "wos.ris"
    export.write_text("TY  - JOUR\nDB  - Web of Science\nTI  - A title\nAU  - Doe, J\nPY  - 2025\nER  - \n")
    first, again = read_export(export).records[0], read_export(export).records[0]
    assert first.record_id == again.record_id and first.record_id.startswith("wos:h")


@pytest.mark.parametrize("raw, doi", [
    ("10.1093/humrep/17.3.809", "10.1093/humrep/17.3.809"),
    ("https://doi.org/10.1093/HUMREP/17.3.809.", "10.1093/humrep/17.3.809"),
    ("doi: 10.1016/j.eclinm.2022.101527 [doi]", "10.1016/j.eclinm.2022.101527"),
    ("", ""),
])
def test_normal_doi(raw, doi):
    assert normal_doi(raw) == doi


@given(st.text(max_size=80))
def test_normal_title_is_idempotent_and_ignores_case(title):
    once = normal_title(title)
    assert normal_title(once) == once
    assert normal_title(title.upper()) == normal_title(title.lower())


@given(st.sampled_from(["Jørgensen", "Christiansen", "Carp", "Ståhlberg"]), st.sampled_from(["MM", "O.B.", ", Ole"]))
def test_surname_ignores_the_initials_however_written(name, initials):
    written = f"{name}{initials}" if initials.startswith(",") else f"{name} {initials}"
    assert surname(written) == normal_title(name.replace("ø", "o"))
