"""The screening log: duplicates found, appends atomic, decisions never overwritten, rows validated."""

import os
import shutil
from pathlib import Path

import pytest

from metarmc import data
from metarmc.living import files
from metarmc.living.screening import LOG_FILE, LogError, import_exports, record_decision

ROOT = Path(__file__).resolve().parent.parent
SEARCH = Path(__file__).parent / "fixtures" / "search"
EXPORTS = [SEARCH / name for name in ("pubmed-2026-12.nbib", "embase-2026-12.ris", "central-2026-12.ris",
                                      "ctgov-2026-12.csv")]
DAY = dict(searched="2026-12-02", today="2026-12-02")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A copy of the repository's data/ (with its empty screening log)."""
    return Path(shutil.copytree(ROOT / "data", tmp_path / "data"))


@pytest.fixture
def imported(data_dir: Path) -> Path:
    import_exports(EXPORTS, data_dir=data_dir, **DAY)
    return data_dir


def log(data_dir: Path):
    return data.load(data_dir).screening.set_index("record_id")


def test_duplicates_across_sources_and_against_included_studies(imported: Path):
    rows = log(imported)
    duplicate_of = rows["duplicate_of"].fillna("").to_dict()
    assert duplicate_of == {
        "pubmed:25412569": "christiansen2015",  # its DOI and PMID are in studies.csv
        "pubmed:99999901": "",  # the new trial, first seen here
        "pubmed:99999902": "",
        "embase:L2099999901": "pubmed:99999901",  # same DOI (Embase prints it as a dx.doi.org URL, upper case)
        "embase:L2099999902": "",  # the conference abstract
        "embase:L34226589": "christiansen2002",  # DOI of an included study
        "embase:L33109990": "carp2001",  # no DOI or PMID: title inside the citation, year, first author
        "central:CN-99999901": "pubmed:99999901",  # no DOI: same title, year and first author
        "ctgov:NCT00722475": "christiansen2015",  # the registration named in studies.csv's source
        "ctgov:NCT99999901": "",  # registered, no publication
    }
    assert (rows["searched"] == "2026-12-02").all() and (rows["imported"] == "2026-12-02").all()
    assert rows.loc["embase:L33109990", "file"] == "embase-2026-12.ris"


def test_report_counts_per_file_and_unreadable_records(data_dir: Path):
    report = import_exports(EXPORTS, data_dir=data_dir, **DAY)
    counts = [(f.file, f.read, f.new, f.duplicates, f.already, len(f.problems)) for f in report.files]
    assert counts == [("pubmed-2026-12.nbib", 3, 2, 1, 0, 2), ("embase-2026-12.ris", 4, 1, 3, 0, 2),
                      ("central-2026-12.ris", 1, 0, 1, 0, 0), ("ctgov-2026-12.csv", 2, 1, 1, 0, 1)]
    assert report.added == 10
    assert str(report).splitlines()[0] == ("pubmed-2026-12.nbib:69: expected a TI- (title) line in record PMID "
                                           "99999903; found none")


def test_reimporting_the_same_files_changes_nothing(imported: Path):
    before = (imported / LOG_FILE).read_bytes()
    report = import_exports(EXPORTS, data_dir=imported, searched="2026-12-09", today="2026-12-09")
    assert report.added == 0 and [f.already for f in report.files] == [3, 4, 1, 2]
    assert (imported / LOG_FILE).read_bytes() == before


def test_the_log_stays_valid_and_is_read_by_load(imported: Path):
    assert data.validate(imported) == []
    assert len(data.load(imported).screening) == 10


def test_decision_recorded_then_identical_again_is_a_no_op(imported: Path):
    done = record_decision("pubmed:99999902", "title_abstract", "exclude", reviewers="AB,CD", on="2026-12-03",
                           data_dir=imported)
    assert done == "pubmed:99999902: title_abstract recorded as exclude"
    before = (imported / LOG_FILE).read_bytes()
    again = record_decision("pubmed:99999902", "title_abstract", "exclude", reviewers="AB,CD", on="2026-12-04",
                            data_dir=imported)
    assert again.endswith("already recorded; nothing changed")
    assert (imported / LOG_FILE).read_bytes() == before
    row = log(imported).loc["pubmed:99999902"]
    assert (row["title_abstract"], row["title_abstract_reviewers"], row["title_abstract_date"]) == (
        "exclude", "AB,CD", "2026-12-03")


def test_a_different_decision_is_refused_without_resolve(imported: Path):
    record_decision("pubmed:99999902", "title_abstract", "exclude", reviewers="AB,CD", on="2026-12-03",
                    data_dir=imported)
    before = (imported / LOG_FILE).read_bytes()
    with pytest.raises(LogError, match=r"already 'exclude' \(AB,CD, 2026-12-03\); a decision is never overwritten"):
        record_decision("pubmed:99999902", "title_abstract", "include", reviewers="AB,CD", data_dir=imported)
    assert (imported / LOG_FILE).read_bytes() == before


def test_resolving_a_disagreement_keeps_the_earlier_decision(imported: Path):
    record_decision("pubmed:99999902", "title_abstract", "exclude", reviewers="AB,CD", on="2026-12-03",
                    data_dir=imported)
    with pytest.raises(LogError, match="needs a reason"):
        record_decision("pubmed:99999902", "title_abstract", "include", reviewers="AB,CD,EF", resolve=True,
                        data_dir=imported)
    record_decision("pubmed:99999902", "title_abstract", "include", reviewers="AB,CD,EF", on="2026-12-05",
                    reason="third reviewer: population may include RM", resolve=True, data_dir=imported)
    row = log(imported).loc["pubmed:99999902"]
    assert row["title_abstract"] == "include" and row["title_abstract_reviewers"] == "AB,CD,EF"
    assert row["history"] == ("2026-12-05: title_abstract exclude (AB,CD, 2026-12-03) resolved to include by "
                              "AB,CD,EF: third reviewer: population may include RM")
    assert data.validate(imported) == []


@pytest.mark.parametrize("record, stage, decision, options, message", [
    ("pubmed:00000000", "title_abstract", "include", {}, "no record 'pubmed:00000000'"),
    ("embase:L2099999901", "title_abstract", "include", {}, "is a duplicate of pubmed:99999901 and is not screened"),
    ("pubmed:99999901", "full_text", "include", {}, "full_text needs title_abstract include first"),
    ("pubmed:99999901", "title_abstract", "maybe", {}, "title_abstract must be one of include, exclude; found 'maybe'"),
    ("pubmed:99999901", "title_abstract", "include", {"reviewers": "AB"}, "two or more reviewers' initials"),
    ("pubmed:99999901", "title_abstract", "include", {"on": "2026-13-01"}, "must be an ISO date YYYY-MM-DD"),
])
def test_refused_decisions_say_why(imported: Path, record, stage, decision, options, message):
    options = {"reviewers": "AB,CD", **options}
    with pytest.raises(LogError, match=message.replace("(", r"\(").replace(")", r"\)")):
        record_decision(record, stage, decision, data_dir=imported, **options)


def test_a_full_text_exclusion_needs_a_reason(imported: Path):
    record_decision("embase:L2099999902", "title_abstract", "include", reviewers="AB,CD", data_dir=imported)
    with pytest.raises(LogError, match="a full-text exclusion needs a reason"):
        record_decision("embase:L2099999902", "full_text", "exclude", reviewers="AB,CD", data_dir=imported)


# --------------------------------------------------------------------------- the validator's rules


def write_log(data_dir: Path, rows: list[dict]) -> None:
    from metarmc.living.screening import log_text
    (data_dir / LOG_FILE).write_text(log_text(rows))


BASE = dict(record_id="pubmed:1", source="pubmed", searched="2026-12-01", imported="2026-12-01", file="x.nbib",
            title="A title")


@pytest.mark.parametrize("changes, column, message", [
    ({"searched": "01/12/2026"}, "searched", "searched must be an ISO date YYYY-MM-DD; found '01/12/2026'"),
    ({"source": "scopus"}, "source", "source must be one of pubmed, embase, wos, central, ctgov, other"),
    ({"record_id": "25412569"}, "record_id", "record_id must be source:accession"),
    ({"title_abstract": "include", "title_abstract_date": "2026-12-02"}, "title_abstract_reviewers",
     "title_abstract_reviewers is required when title_abstract is decided"),
    ({"title_abstract_reviewers": "AB,CD"}, "title_abstract_reviewers",
     "title_abstract_reviewers must be empty while title_abstract is undecided"),
    ({"full_text": "include", "full_text_reviewers": "AB,CD", "full_text_date": "2026-12-02"}, "full_text",
     "full_text needs title_abstract include first"),
    ({"title_abstract": "include", "title_abstract_reviewers": "AB,CD", "title_abstract_date": "2026-12-02",
      "full_text": "exclude", "full_text_reviewers": "AB,CD", "full_text_date": "2026-12-02"}, "full_text_reason",
     "full_text_reason is required when full_text is exclude"),
    ({"duplicate_of": "pubmed:2"}, "duplicate_of", "duplicate_of must be the record_id of an earlier row"),
    ({"duplicate_of": "carp2001", "title_abstract": "exclude", "title_abstract_reviewers": "AB,CD",
      "title_abstract_date": "2026-12-02"}, "title_abstract", "title_abstract must be empty on a duplicate"),
    ({"study_id": "nobody2030"}, "study_id", "study_id must be empty or a study_id of studies.csv"),
])
def test_validate_reports_each_log_problem_at_its_cell(data_dir: Path, changes, column, message):
    write_log(data_dir, [{**BASE, **changes}])
    problems = [p for p in data.validate(data_dir) if p.file == LOG_FILE]
    assert [(p.row, p.column) for p in problems] == [(2, column)]
    assert message in problems[0].message


def test_validate_repeated_record_id(data_dir: Path):
    write_log(data_dir, [BASE, BASE])
    (problem,) = [p for p in data.validate(data_dir) if p.file == LOG_FILE]
    assert str(problem).startswith("screening.csv:3:record_id: expected each (record_id) once")


# --------------------------------------------------------------------------- atomic writes


def test_a_failed_rename_leaves_the_old_log_and_no_temporary_file(imported: Path, monkeypatch):
    before = (imported / LOG_FILE).read_bytes()

    def fail(*args):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="simulated"):
        record_decision("pubmed:99999902", "title_abstract", "exclude", reviewers="AB,CD", data_dir=imported)
    assert (imported / LOG_FILE).read_bytes() == before
    assert [p.name for p in imported.iterdir() if p.name.endswith(".tmp")] == []


def test_a_failure_mid_write_leaves_the_old_log(imported: Path, monkeypatch):
    before = (imported / LOG_FILE).read_bytes()
    real_fsync = os.fsync

    def crash(fd):
        raise OSError("power cut during fsync (simulated)")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="simulated"):
        record_decision("pubmed:99999902", "title_abstract", "exclude", reviewers="AB,CD", data_dir=imported)
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert (imported / LOG_FILE).read_bytes() == before
    assert [p.name for p in imported.iterdir() if p.name.endswith(".tmp")] == []


def test_a_log_changed_by_someone_else_is_not_overwritten(tmp_path: Path):
    target = tmp_path / "log.csv"
    target.write_text("old\n")
    seen = files.digest(target)
    target.write_text("someone else's row\n")
    with pytest.raises(files.ConcurrentChange):
        files.replace_atomic(target, "mine\n", expected=seen)
    assert target.read_text() == "someone else's row\n"


def test_write_new_never_overwrites(tmp_path: Path):
    target = tmp_path / "2026.1.json"
    files.write_new(target, "first\n")
    with pytest.raises(FileExistsError, match="never overwritten"):
        files.write_new(target, "second\n")
    assert target.read_text() == "first\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026.1.json"]
