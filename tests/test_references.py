"""references.bib: every work the book cites, the included studies as data/studies.csv names them."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from pybtex.database import parse_file

ROOT = Path(__file__).resolve().parents[1]
BIB = parse_file(str(ROOT / "references.bib")).entries
STUDIES = pd.read_csv(ROOT / "data" / "studies.csv", dtype=str, keep_default_na=False)
CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")


def plain(title: str) -> str:
    return title.replace("{", "").replace("}", "")


def test_every_included_study_has_its_entry_as_studies_csv_cites_it():
    for study in STUDIES.itertuples():
        assert study.study_id in BIB, f"references.bib has no entry {study.study_id} (studies.csv)"
        entry = BIB[study.study_id].fields
        assert entry["year"] == study.year, study.study_id
        assert plain(entry["title"]) in study.citation, study.study_id
        assert entry.get("doi", "") == study.doi, study.study_id


def test_every_cited_key_has_an_entry_and_every_doi_one_entry():
    cited = {key.strip() for page in (ROOT / "book").glob("*.md")
             for keys in CITE.findall(page.read_text(encoding="utf8")) for key in keys.split(",")}
    assert cited, "no citation found: the pattern no longer matches the chapters"
    assert not cited - set(BIB), f"cited without an entry: {sorted(cited - set(BIB))}"
    dois = [entry.fields["doi"].lower() for entry in BIB.values() if "doi" in entry.fields]
    assert len(dois) == len(set(dois)), "two entries with the same DOI"


def test_the_included_studies_chapter_cites_every_included_study():
    text = (ROOT / "book" / "03-included-studies.md").read_text(encoding="utf8")
    cited = {key.strip() for keys in CITE.findall(text) for key in keys.split(",")}
    assert set(STUDIES["study_id"]) <= cited, sorted(set(STUDIES["study_id"]) - cited)


def test_every_study_label_names_its_first_author_and_the_year_its_report_was_published():
    """A study's label is "<first author's surname> <year>", the year of the report it cites (its
    study_id, studies.csv's year, the year in its citation and in references.bib); where the paper
    names it otherwise, the paper's name is kept apart, in ``paper_label`` (the paper's Table 1
    calls Jafarzadeh 2019 "Jafarzadeh 2018", while its own reference list gives 2019)."""
    for study in STUDIES.itertuples():
        surname = study.first_author.split()[0]
        assert study.label == f"{surname} {study.year}", (study.study_id, study.label)
        assert study.study_id == f"{surname.lower().replace('ø', 'o')}{study.year}", study.study_id
        assert re.search(rf"\b{study.year}\b", study.citation), (study.study_id, study.citation)
        assert BIB[study.study_id].fields["year"] == study.year, study.study_id
        assert study.paper_label != study.label, f"{study.study_id}: paper_label repeats the label; leave it empty"
    assert STUDIES.set_index("study_id").loc["jafarzadeh2019", "paper_label"] == "Jafarzadeh 2018"
