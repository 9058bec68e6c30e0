"""Releases: data hash, write once, load, diff, "what changed", versions; queries; the update flow counts."""

import json
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from metarmc import data
from metarmc.living import releases as rl
from metarmc.living.flow import update_flow
from metarmc.living.queries import last_search, search_queries

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return Path(shutil.copytree(ROOT / "data", tmp_path / "data"))


def test_the_repository_data_are_released_as_2026_1():
    (release,) = [r for r in rl.releases(ROOT / "data") if r.version == "2026.1"]
    assert release.date == "2026-12-01" and release.search_date == "2024-02"
    assert release.numbers["review.studies"] == 11
    assert release.numbers["analysis.live_birth.k"] == 8


def test_data_hash_covers_the_data_files_but_not_the_releases(data_dir: Path):
    before = rl.data_hash(data_dir)
    (data_dir / "releases" / "2099.1.json").write_text("{}")
    assert rl.data_hash(data_dir) == before
    with (data_dir / "search.csv").open("a") as handle:
        handle.write("\n")
    assert rl.data_hash(data_dir) != before


def test_write_load_round_trip_and_never_overwrite(tmp_path: Path):
    numbers = {"b.estimate": 2.5, "a.k": 3, "a.certainty": "low", "c.missing": float("nan")}
    path = rl.write_release(tmp_path, "2026.7", numbers, on=date(2026, 12, 1), search_date="2026-11-30")
    content = json.loads(path.read_text())
    assert list(content["numbers"]) == ["a.certainty", "a.k", "b.estimate", "c.missing"]  # sorted, stable diffs
    assert content["numbers"]["c.missing"] is None  # JSON has no NaN
    release = rl.load_release(path)
    assert (release.version, release.date, release.search_date) == ("2026.7", "2026-12-01", "2026-11-30")
    assert release.data_hash == rl.data_hash(tmp_path)
    with pytest.raises(FileExistsError, match="never overwritten"):
        rl.write_release(tmp_path, "2026.7", {"a.k": 4}, on=date(2026, 12, 2))
    assert rl.load_release(path).numbers["a.k"] == 3


@pytest.mark.parametrize("version", ["2026", "2026.0", "26.1", "2026.1.1", "v2026.1"])
def test_a_version_must_be_year_dot_number(tmp_path: Path, version):
    with pytest.raises(ValueError, match="a version must be YYYY.N"):
        rl.write_release(tmp_path, version, {}, on=date(2026, 12, 1))


def test_versions_order_by_year_then_number():
    assert rl.next_version(["2026.9", "2026.10"], date(2026, 12, 1)) == "2026.11"  # not string order


def test_diff_moved_texts_new_and_removed():
    old = {"lb.estimate": 2.0364, "lb.k": 8, "lb.certainty": "low", "gone": 1.0, "same": 0.1 + 0.2}
    new = {"lb.estimate": 2.1, "lb.k": 9, "lb.certainty": "moderate", "tsa.z": 3.0, "same": 0.3}
    changes = rl.diff(old, new, old_version="2026.1", new_version="2026.2")
    assert [(c.name, c.difference) for c in changes.moved] == [("lb.estimate", pytest.approx(0.0636, abs=1e-12)),
                                                                ("lb.k", 1)]
    assert [(c.name, c.old, c.new) for c in changes.changed_text] == [("lb.certainty", "low", "moderate")]
    assert [c.name for c in changes.added] == ["tsa.z"] and [c.name for c in changes.removed] == ["gone"]
    assert changes.unchanged == 1  # 0.1 + 0.2 vs 0.3: floating-point noise only
    assert list(changes.to_frame()["kind"]) == ["moved", "moved", "text", "added", "removed"]


@given(st.dictionaries(st.text(min_size=1, max_size=5),
                       st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False),
                                 st.text(max_size=5)), max_size=8))
def test_a_release_does_not_differ_from_itself(numbers):
    changes = rl.diff(numbers, numbers)
    assert not changes.any and changes.unchanged == len(numbers)


def test_what_changed_names_moves_ratings_and_changelog_entries():
    changes = rl.diff({"lb.estimate": 2.0, "lb.certainty": "low"}, {"lb.estimate": 2.25, "lb.certainty": "moderate"},
                      old_version="2026.1", new_version="2026.2")
    entries = rl.changelog_entries("# Log\n\n## 2026-12-05: new trial added\n- x\n\n## 2026-12-01: start\n")
    text = rl.what_changed(changes, entries, since="2026-12-01", labels={"lb.estimate": "Live birth: OR"})
    assert text.splitlines()[0] == ("**Version 2026.2** against version 2026.1: 1 number moved, 1 rating or "
                                    "conclusion changed, 0 new and 0 removed; 0 unchanged.")
    assert "- `lb.certainty`: “low” → “moderate”" in text
    assert "- Live birth: OR: 2 → 2.25 (+0.25)" in text
    assert "- 2026-12-05: new trial added" in text and "2026-12-01: start" not in text


def test_what_changed_when_nothing_moved():
    changes = rl.diff({"a": 1.0}, {"a": 1.0}, old_version="2026.1", new_version="2026.2")
    text = rl.what_changed(changes, [], since="2026-12-01")
    assert "no reported number, rating or conclusion differs from version 2026.1" in text
    assert "No entry of `data/CHANGELOG.md` is dated after the previous version." in text


def test_version_status_released_or_next(data_dir: Path):
    # a copy of the repository's data, changed after its latest release: the next version until released
    with (data_dir / "CHANGELOG.md").open("a") as handle:
        handle.write("\n")
    released = [path.stem for path in (data_dir / "releases").glob("*.json")]
    latest = max(released, key=lambda version: tuple(map(int, version.split("."))))
    upcoming = rl.next_version(released, date(2026, 12, 20))
    status = rl.version_status(data_dir, {"a": 1}, on=date(2026, 12, 20))
    assert (status.version, status.released, status.previous.version) == (upcoming, False, latest)
    rl.write_release(data_dir, upcoming, {"a": 1}, on=date(2026, 12, 20))
    status = rl.version_status(data_dir, {"a": 1}, on=date(2026, 12, 20))
    assert (status.version, status.released, status.previous.version) == (upcoming, True, latest)
    (data_dir / "screening.csv").write_bytes((data_dir / "screening.csv").read_bytes())  # same bytes: same hash
    assert rl.version_status(data_dir, {"a": 1}, on=date(2026, 12, 20)).released
    with (data_dir / "CHANGELOG.md").open("a") as handle:
        handle.write("\n")
    status = rl.version_status(data_dir, {"a": 1}, on=date(2026, 12, 21))
    assert (status.version, status.released, status.previous.version) == (rl.next_version([*released, upcoming],
                                                                                         date(2026, 12, 21)),
                                                                          False, upcoming)


# --------------------------------------------------------------------------- queries and last search


def test_queries_start_at_the_end_of_the_papers_search_before_any_update():
    review = data.load(ROOT / "data")
    since = last_search(review.search, review.screening)
    assert since == date(2024, 2, 1)  # search.csv date_to 2024-02, "to Feb 2024"
    queries = search_queries(review.search, since=since)
    assert queries.pubmed.startswith('("miscarriage"[tiab] OR "habitual miscarriage"[tiab]')
    assert queries.pubmed.endswith('AND ("2024/02/01"[Date - Entry] : "3000"[Date - Entry])')
    assert '"Gamimone N"[tiab]' in queries.pubmed  # every term of search.csv, none dropped
    assert "query.term=AREA%5BStudyFirstPostDate%5DRANGE%5B2024-02-01%2CMAX%5D" in queries.ctgov
    assert queries.ctgov.startswith("https://clinicaltrials.gov/api/v2/studies?format=csv&")


def test_last_search_is_the_newest_searched_date_of_the_log():
    search = pd.DataFrame({"field": ["date_to"], "value": ["2024-02"]})
    screening = pd.DataFrame({"searched": ["2026-06-01", "2026-12-02", None]})
    assert last_search(search, screening) == date(2026, 12, 2)


# --------------------------------------------------------------------------- the update flow, counted by hand


def test_update_flow_counts_a_hand_made_log():
    log = pd.DataFrame([
        dict(source="pubmed", duplicate_of="", title_abstract="include", full_text="include", study_id="new2025"),
        dict(source="pubmed", duplicate_of="", title_abstract="exclude"),
        dict(source="embase", duplicate_of="pubmed:1"),
        dict(source="embase", duplicate_of="", title_abstract="include", full_text="include", study_id="new2025"),
        dict(source="embase", duplicate_of="", title_abstract="include", full_text="exclude",
             full_text_reason="conference abstract"),
        dict(source="ctgov", duplicate_of="", title_abstract="include", full_text="not_retrieved"),
        dict(source="ctgov", duplicate_of="", title_abstract="include"),
        dict(source="ctgov", duplicate_of=""),
        dict(source="central", duplicate_of="", title_abstract="include", full_text="include", study_id="old2001"),
    ]).reindex(columns=["source", "duplicate_of", "title_abstract", "full_text", "full_text_reason", "study_id"])
    flow = update_flow(log, previous_studies=11, total_studies=12, previous_study_ids=["old2001"])
    assert flow.identified == {"pubmed": 2, "embase": 3, "central": 1, "ctgov": 3}  # data.SOURCES order
    assert (flow.duplicates, flow.screened, flow.excluded, flow.sought) == (1, 8, 1, 6)
    assert (flow.not_retrieved, flow.assessed, flow.reasons) == (1, 4, {"conference abstract": 1})
    assert (flow.new_reports, flow.new_studies) == (3, 1)  # two reports of new2025; old2001 is not new
    assert flow.awaiting == 2  # one without a title-abstract decision, one sought without a full-text decision
    assert flow.databases == {"pubmed": 2, "embase": 3, "central": 1} and flow.registers == {"ctgov": 3}
    frame = flow.to_frame().set_index("step")["count"]
    assert frame["identified:ctgov"] == 3 and frame["reason:conference abstract"] == 1
