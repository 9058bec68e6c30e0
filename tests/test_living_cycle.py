"""One update cycle of the living review, end to end, in a temporary copy of the repository's data.

import the exports -> screen (decisions written to the log) -> add the new trial's data (a
FICTITIOUS trial, labelled as such everywhere) -> recompute -> the PRISMA update counts, the
"What changed" text and the version identifier all show the new trial; release it; a second
import of the same files changes nothing. Every step goes through the maintainer's commands
(``python -m metarmc ...``, run in-process).
"""

import csv
import shutil
from datetime import date
from pathlib import Path

import pytest

from metarmc import data
from metarmc.cli import main
from metarmc.living.releases import next_version
from metarmc.review import release as rn

ROOT = Path(__file__).resolve().parent.parent
SEARCH = Path(__file__).parent / "fixtures" / "search"
EXPORTS = [str(SEARCH / name) for name in ("pubmed-2026-12.nbib", "embase-2026-12.ris", "central-2026-12.ris",
                                           "ctgov-2026-12.csv")]
NEW = "fictitious2025"
#: The repository's releases: the cycle below releases the version after the latest one.
RELEASED = [path.stem for path in (ROOT / "data" / "releases").glob("*.json")]
LATEST = max(RELEASED, key=lambda version: tuple(map(int, version.split("."))))
NEXT = next_version(RELEASED, date(2026, 12, 9))
AFTER = next_version([*RELEASED, NEXT], date(2026, 12, 10))
SOURCE = "FICTITIOUS TEST TRIAL (tests/fixtures/search), not a real study"


def append_rows(path: Path, rows: list[dict]) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    with path.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writerows({name: row.get(name, "") for name in header} for row in rows)


def add_the_new_trial(data_dir: Path) -> None:
    """What a maintainer types into studies.csv, outcomes.csv, risk_of_bias.csv and the changelog."""
    append_rows(data_dir / "studies.csv", [dict(
        study_id=NEW, label="Fictitious 2025", first_author="Fictitious A", year="2025", citation=SOURCE,
        doi="10.5555/fictitious.ivig.2025", pmid="99999901", randomised="yes", placebo_controlled="yes",
        control_infusion="yes", control_infusion_support=SOURCE, rm_type="mixed", source=SOURCE)])
    append_rows(data_dir / "outcomes.csv", [dict(
        study_id=NEW, outcome="live_birth", denominator="itt", main="yes", events_t="60", total_t="100",
        events_c="45", total_c="100", status="extracted", derivation="reported", source_type="full_text",
        source=SOURCE)])
    append_rows(data_dir / "risk_of_bias.csv", [dict(study_id=NEW, domain=domain, judgment="low", support=SOURCE,
                                                     source=SOURCE) for domain in data.ROB_DOMAINS])
    changelog = data_dir / "CHANGELOG.md"
    text = changelog.read_text()
    entry = "## 2026-12-09: FICTITIOUS test trial added from the December search update\n- studies, outcomes, RoB.\n\n"
    changelog.write_text(text.replace("## ", entry + "## ", 1))


def run(*argv: str) -> int:
    return main(list(argv))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return Path(shutil.copytree(ROOT / "data", tmp_path / "data"))


def test_one_update_cycle(data_dir: Path, capsys):
    d = ["--data-dir", str(data_dir)]
    # 1. import: the unreadable records are listed (exit 1), the readable ones are imported
    assert run("search-update", *EXPORTS, "--searched", "2026-12-02", *d) == 1
    out = capsys.readouterr().out
    assert "10 row(s) appended" in out and "pubmed-2026-12.nbib:69: expected a TI- (title) line" in out

    # 2. screen, two reviewers, both stages
    screen = [("pubmed:99999901", "--title-abstract", "include"),
              ("pubmed:99999902", "--title-abstract", "exclude"),
              ("embase:L2099999902", "--title-abstract", "include"),
              ("ctgov:NCT99999901", "--title-abstract", "include"),
              ("pubmed:99999901", "--full-text", "include"),
              ("embase:L2099999902", "--full-text", "exclude", "--reason", "conference abstract, no full report"),
              ("ctgov:NCT99999901", "--full-text", "exclude", "--reason", "ongoing trial, no results")]
    for record, *decision in screen:
        assert run("screen", record, *decision, "--reviewers", "AB,CD", "--date", "2026-12-05", *d) == 0
    log = data.load(data_dir).screening.set_index("record_id")
    assert log.loc["pubmed:99999901", "full_text"] == "include"
    assert log.loc["embase:L2099999902", "full_text_reason"] == "conference abstract, no full report"

    # 3. the new trial's data, then link its record to it (filling the empty study_id is not an overwrite)
    add_the_new_trial(data_dir)
    assert run("screen", "pubmed:99999901", "--full-text", "include", "--study-id", NEW, "--reviewers", "AB,CD",
               "--date", "2026-12-09", *d) == 0
    assert run("validate", str(data_dir)) == 0
    assert data.load(data_dir).screening.set_index("record_id").loc["pubmed:99999901", "study_id"] == NEW
    capsys.readouterr()

    # 4. recompute: the version the book would show now
    review = data.load(data_dir)
    now = rn.this_version(review, on=date(2026, 12, 9))
    assert (now.version, now.released, now.date) == (NEXT, False, "not yet released")
    flow = now.flow
    assert flow.previous_studies == 11 and flow.total_studies == 12
    assert flow.identified == {"pubmed": 3, "embase": 4, "central": 1, "ctgov": 2}
    assert (flow.duplicates, flow.screened, flow.excluded, flow.sought) == (6, 4, 1, 3)
    assert (flow.assessed, flow.new_studies, flow.new_reports, flow.awaiting) == (3, 1, 1, 0)
    assert flow.reasons == {"conference abstract, no full report": 1, "ongoing trial, no results": 1}

    changes = {c.name: c for c in now.status.changes.moved}
    assert changes["review.studies"].difference == 1
    assert changes["analysis.live_birth.k"].difference == 1
    # the new trial's OR is (60/40)/(45/55) = 1.83, below the pooled 2.04: the pooled OR moves down
    assert changes["analysis.live_birth.estimate"].difference < 0
    assert "tsa.plan.z" in changes
    assert now.what_changed.startswith(f"**Version {NEXT}** against version {LATEST}:")
    assert "The review: studies: 11 → 12 (+1)" in now.what_changed
    assert "- 2026-12-09: FICTITIOUS test trial added from the December search update" in now.what_changed
    assert "2026-11-24" not in now.what_changed  # only the entries since the previous release
    assert f"Version {NEXT}, not yet released (search up to 2026-12-02)" in now.citation

    # 5. release it: the version is now citable, and a release is never written twice
    assert run("release", "--date", "2026-12-09", *d) == 0
    assert (data_dir / "releases" / f"{NEXT}.json").is_file()
    released = rn.this_version(data.load(data_dir), on=date(2026, 12, 10))
    assert (released.version, released.released, released.date) == (NEXT, True, "2026-12-09")
    assert f"Version {NEXT}, 2026-12-09 (search up to 2026-12-02)" in released.citation
    assert released.status.changes.moved  # still compared with LATEST, the release before it
    assert run("release", AFTER, "--date", "2026-12-10", *d) == 1
    assert f"already released as {NEXT}" in capsys.readouterr().err

    # 6. a second import of the same files changes nothing
    before = {path.name: path.read_bytes() for path in data_dir.rglob("*") if path.is_file()}
    assert run("search-update", *EXPORTS, "--searched", "2026-12-10", *d) == 1  # same unreadable records listed
    assert "unchanged" in capsys.readouterr().out
    assert {path.name: path.read_bytes() for path in data_dir.rglob("*") if path.is_file()} == before


def test_search_update_queries_command(capsys):
    assert run("search-update", "--queries", "--data-dir", str(ROOT / "data")) == 0
    out = capsys.readouterr().out
    assert out.startswith("PubMed (records since 2024-02-01):\n")
    assert '("2024/02/01"[Date - Entry] : "3000"[Date - Entry])' in out
    assert "ClinicalTrials.gov (records since 2024-02-01):\nhttps://clinicaltrials.gov/api/v2/studies?" in out


def test_screen_command_refuses_an_overwrite(data_dir: Path, capsys):
    d = ["--data-dir", str(data_dir)]
    run("search-update", EXPORTS[0], "--searched", "2026-12-02", *d)
    assert run("screen", "pubmed:99999902", "--title-abstract", "exclude", "--reviewers", "AB,CD", *d) == 0
    assert run("screen", "pubmed:99999902", "--title-abstract", "include", "--reviewers", "AB,CD", *d) == 1
    assert "a decision is never overwritten" in capsys.readouterr().err


def test_the_current_repository_version(capsys):
    # release 2026.2 (2026-12-02) holds the data changes of issues 16 and 12 (Yamada 2022 miscarriage, new
    # columns and files); the relabelling of Yamada 2022's denominator, the study descriptions reworded for
    # readers and Jafarzadeh's label after it (data/CHANGELOG.md, same day, no number moved) make the
    # repository 2026.3, not released yet
    review = data.load(ROOT / "data")
    now = rn.this_version(review, on=date(2026, 12, 2))
    assert (now.version, now.released, now.date, now.search_date) == ("2026.3", False, "not yet released", "2024-02")
    assert now.what_changed.startswith("**Version 2026.3**: no reported number, rating or conclusion differs from "
                                       "version 2026.2.")
    assert now.flow.total_studies == 11 and sum(now.flow.identified.values()) == 0
    history = rn.history(review, now)
    assert history.startswith("**Version 2026.3** (not yet released): no result, certainty rating or conclusion "
                              "the book reports differs from version 2026.2.")
    # 2026.2 against 2026.1: Yamada 2022's miscarriage counts entered (data/CHANGELOG.md), 2 -> 3 studies
    assert ("- Miscarriage, redone as the paper did it: OR 0.46 (95% CI 0.21 to 1.00), 2 studies → "
            "OR 0.39 (95% CI 0.22 to 0.68), 3 studies.") in history
    assert "- The audit of the paper finds 12 problems (it found 11)." in history
    assert "- New audit finding on live birth: no split of the women gives both printed percentages." in history
    assert history.endswith("**Version 2026.1** (released 2026-12-01, search up to 2024-02): the first release of "
                            "the review, with every result as the book then reported it.")
