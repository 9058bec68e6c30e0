"""Tests of metarmc.data: the schema checks, the typed loading and the ``validate`` command.

Each problem test copies the valid fictitious fixture, breaks one thing and checks that
exactly that cell (``file:row:column``, header = row 1) is reported.
"""

import csv
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from metarmc import data
from metarmc.schema import BINARY_COLUMNS, CONTINUOUS_COLUMNS

VALID = Path(__file__).parent / "fixtures" / "data_valid"
REPO_DATA = Path(__file__).resolve().parent.parent / "data"


# --------------------------------------------------------------------------- helpers


def read_rows(path: Path) -> list[list[str]]:
    """All records of a CSV file, header first."""
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    """Write records to a CSV file."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def set_cell(folder: Path, file: str, row: int, column: str, value: str) -> None:
    """Set the cell at spreadsheet ``row`` (header = 1) and ``column`` of ``file``."""
    rows = read_rows(folder / file)
    rows[row - 1][rows[0].index(column)] = value
    write_rows(folder / file, rows)


def append_copy(folder: Path, file: str, row: int, **changes: str) -> None:
    """Append a copy of spreadsheet ``row`` of ``file``, with some cells changed."""
    rows = read_rows(folder / file)
    copy = list(rows[row - 1])
    for column, value in changes.items():
        copy[rows[0].index(column)] = value
    write_rows(folder / file, [*rows, copy])


def drop_row(folder: Path, file: str, row: int) -> None:
    """Delete spreadsheet ``row`` of ``file``."""
    rows = read_rows(folder / file)
    write_rows(folder / file, rows[: row - 1] + rows[row:])


def drop_column(folder: Path, file: str, column: str) -> None:
    """Delete ``column`` from ``file``."""
    rows = read_rows(folder / file)
    index = rows[0].index(column)
    write_rows(folder / file, [row[:index] + row[index + 1 :] for row in rows])


def add_column(folder: Path, file: str, column: str) -> None:
    """Add an empty ``column`` to ``file``."""
    rows = read_rows(folder / file)
    write_rows(folder / file, [rows[0] + [column]] + [row + [""] for row in rows[1:]])


def locations(problems: list[data.Problem]) -> list[str]:
    """``file:row:column`` of each problem."""
    return [f"{problem.file}:{problem.row}:{problem.column}" for problem in problems]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """Run ``python -m metarmc`` with ``args``."""
    command = [sys.executable, "-m", "metarmc", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A fresh copy of the valid fixture."""
    return Path(shutil.copytree(VALID, tmp_path / "data"))


# Rows of the fixture's outcomes.csv (header = 1) used below.
GAMMA_LIVE_BIRTH_ITT, GAMMA_LIVE_BIRTH_PREGNANT, ALPHA_LIVE_BIRTH = 2, 3, 4
GAMMA_PRIMARY = 8
ALPHA_BIRTH_WEIGHT = 13
ALPHA_ADVERSE, BETA_ADVERSE = 16, 17


# --------------------------------------------------------------------------- the valid fixture


def test_valid_fixture_has_no_problems():
    assert data.validate(VALID) == []


def test_valid_fixture_loads_typed_tables():
    review = data.load(VALID)
    assert review.data_dir == VALID
    assert len(review.studies) == 3
    assert len(review.risk_of_bias) == 3 * len(data.ROB_DOMAINS)
    assert str(review.outcomes["events_t"].dtype) == "Int64"
    assert str(review.outcomes["sd_t"].dtype) == "float64"
    assert list(review.outcomes.columns) == list(data.FILES["outcomes"].columns)


def test_repository_data_files_present_are_valid():
    present = {path.name for path in REPO_DATA.glob("*.csv")}
    problems = [problem for problem in data.validate(REPO_DATA) if problem.file in present]
    assert problems == []


#: Words in a row's own source text, and the document kinds of which its source_type must hold one.
SOURCE_WORDS = {"Yang & Meng": {"other_review"}, "blog": {"lay_summary"}, "Shimbun": {"lay_summary"},
                "ompanion report": {"companion_report"}, "ClinicalTrials.gov": {"registry"},
                "abstract": {"abstract", "conference_abstract", "companion_report"}}


def test_repository_source_types_follow_each_rows_source_text():
    review = data.load(REPO_DATA)
    rows = review.outcomes[review.outcomes["status"] == "extracted"]
    assert rows["source_type"].notna().all()
    for row in rows.itertuples():
        kinds = set(data.source_kinds(row.source_type))
        for word, allowed in SOURCE_WORDS.items():
            if word in row.source:
                assert kinds & allowed, (row.study_id, row.outcome, row.denominator, word, row.source_type)


def test_repository_yamada_miscarriage_is_itt_minus_ongoing_pregnancy_at_22_weeks():
    outcomes = data.load(REPO_DATA).outcomes
    row = outcomes[(outcomes["study_id"] == "yamada2022") & (outcomes["outcome"] == "miscarriage")].iloc[0]
    ongoing = re.search(r"\((\d+)/(\d+) \[62·0%\] vs\. (\d+)/(\d+) \[34·7%\]", row["quote"])
    on_t, n_t, on_c, n_c = map(int, ongoing.groups())
    assert (row["total_t"], row["total_c"]) == (n_t, n_c) == (50, 49)
    assert (row["events_t"], row["events_c"]) == (n_t - on_t, n_c - on_c) == (19, 32)
    assert (row["status"], row["derivation"], row["main"]) == ("extracted", "derived_from_arms", "yes")
    assert "chromosomally abnormal" in row["notes"]


def test_repository_peero_subgroups_are_not_applicable():
    outcomes = data.load(REPO_DATA).outcomes
    peero = outcomes[outcomes["study_id"] == "peero2024"].set_index("outcome")["status"]
    assert peero[["live_birth_primary", "live_birth_secondary"]].tolist() == ["not_applicable"] * 2


def test_problem_str_is_file_row_column_message():
    problem = data.Problem("outcomes.csv", 4, "events_t", "events_t must be ...")
    assert str(problem) == "outcomes.csv:4:events_t: events_t must be ..."


# --------------------------------------------------------------------------- one problem each

BREAKS = {
    "file missing": (lambda d: (d / "risk_of_bias.csv").unlink(), "risk_of_bias.csv:1:-"),
    "studies.csv missing": (lambda d: (d / "studies.csv").unlink(), "studies.csv:1:-"),
    "unknown column": (lambda d: add_column(d, "studies.csv", "extra"), "studies.csv:1:extra"),
    "missing column": (lambda d: drop_column(d, "outcomes.csv", "quote"), "outcomes.csv:1:quote"),
    "repeated column": (lambda d: add_column(d, "search.csv", "value"), "search.csv:1:value"),
    "not UTF-8": (
        lambda d: (d / "search.csv").write_bytes(b"field,value,source\nname,caf\xe9,x\n"),
        "search.csv:1:-",
    ),
    "ragged row": (lambda d: (d / "search.csv").open("a").write("extra,row\n"), "search.csv:6:-"),
    "count 12.5": (lambda d: set_cell(d, "outcomes.csv", 4, "events_t", "12.5"), "outcomes.csv:4:events_t"),
    "count abc": (lambda d: set_cell(d, "outcomes.csv", 4, "total_c", "abc"), "outcomes.csv:4:total_c"),
    "year not integer": (lambda d: set_cell(d, "studies.csv", 3, "year", "2001a"), "studies.csv:3:year"),
    "mean not numeric": (
        lambda d: set_cell(d, "outcomes.csv", ALPHA_BIRTH_WEIGHT, "mean_t", "about 3000"),
        f"outcomes.csv:{ALPHA_BIRTH_WEIGHT}:mean_t",
    ),
    "negative count": (lambda d: set_cell(d, "outcomes.csv", 4, "events_c", "-1"), "outcomes.csv:4:events_c"),
    "negative prisma count": (lambda d: set_cell(d, "prisma.csv", 8, "count", "-1"), "prisma.csv:8:count"),
    "events > total": (lambda d: set_cell(d, "outcomes.csv", 4, "events_t", "25"), "outcomes.csv:4:events_t"),
    "sd = 0": (
        lambda d: set_cell(d, "outcomes.csv", ALPHA_BIRTH_WEIGHT, "sd_c", "0"),
        f"outcomes.csv:{ALPHA_BIRTH_WEIGHT}:sd_c",
    ),
    "sd < 0": (
        lambda d: set_cell(d, "outcomes.csv", ALPHA_BIRTH_WEIGHT, "sd_t", "-450"),
        f"outcomes.csv:{ALPHA_BIRTH_WEIGHT}:sd_t",
    ),
    "n = 0": (
        lambda d: set_cell(d, "outcomes.csv", ALPHA_BIRTH_WEIGHT, "n_t", "0"),
        f"outcomes.csv:{ALPHA_BIRTH_WEIGHT}:n_t",
    ),
    "duplicate study id": (lambda d: append_copy(d, "studies.csv", 3), "studies.csv:5:study_id"),
    "duplicate outcome row": (
        lambda d: append_copy(d, "outcomes.csv", GAMMA_LIVE_BIRTH_PREGNANT),
        "outcomes.csv:19:derivation",
    ),
    "two main rows": (
        lambda d: set_cell(d, "outcomes.csv", GAMMA_LIVE_BIRTH_PREGNANT, "main", "yes"),
        f"outcomes.csv:{GAMMA_LIVE_BIRTH_PREGNANT}:main",
    ),
    "no main row": (
        lambda d: set_cell(d, "outcomes.csv", ALPHA_LIVE_BIRTH, "main", "no"),
        f"outcomes.csv:{ALPHA_LIVE_BIRTH}:main",
    ),
    "unknown study in outcomes": (
        lambda d: set_cell(d, "outcomes.csv", ALPHA_ADVERSE, "study_id", "delta2020"),
        f"outcomes.csv:{ALPHA_ADVERSE}:study_id",
    ),
    "unknown study in risk_of_bias": (
        lambda d: append_copy(d, "risk_of_bias.csv", 2, study_id="delta2020"),
        "risk_of_bias.csv:23:study_id",
    ),
    "unknown outcome": (
        lambda d: set_cell(d, "outcomes.csv", ALPHA_ADVERSE, "outcome", "adverse_events"),
        f"outcomes.csv:{ALPHA_ADVERSE}:outcome",
    ),
    "unknown status": (
        lambda d: set_cell(d, "outcomes.csv", BETA_ADVERSE, "status", "missing"),
        f"outcomes.csv:{BETA_ADVERSE}:status",
    ),
    "unknown derivation": (
        lambda d: set_cell(d, "outcomes.csv", ALPHA_ADVERSE, "derivation", "guessed"),
        f"outcomes.csv:{ALPHA_ADVERSE}:derivation",
    ),
    "unknown denominator": (
        lambda d: set_cell(d, "outcomes.csv", ALPHA_ADVERSE, "denominator", "women"),
        f"outcomes.csv:{ALPHA_ADVERSE}:denominator",
    ),
    "unknown main": (
        lambda d: set_cell(d, "outcomes.csv", BETA_ADVERSE, "main", "maybe"),
        f"outcomes.csv:{BETA_ADVERSE}:main",
    ),
    "unknown rob domain": (
        lambda d: append_copy(d, "risk_of_bias.csv", 2, domain="blinding"),
        "risk_of_bias.csv:23:domain",
    ),
    "unknown rob judgment": (
        lambda d: set_cell(d, "risk_of_bias.csv", 5, "judgment", "moderate"),
        "risk_of_bias.csv:5:judgment",
    ),
    "unknown study label": (
        lambda d: set_cell(d, "studies.csv", 2, "rm_type", "tertiary"),
        "studies.csv:2:rm_type",
    ),
    "value without source": (
        lambda d: set_cell(d, "outcomes.csv", ALPHA_ADVERSE, "source", ""),
        f"outcomes.csv:{ALPHA_ADVERSE}:source",
    ),
    "extracted binary without a count": (
        lambda d: set_cell(d, "outcomes.csv", ALPHA_ADVERSE, "total_c", ""),
        f"outcomes.csv:{ALPHA_ADVERSE}:total_c",
    ),
    "extracted birth weight without an sd": (
        lambda d: set_cell(d, "outcomes.csv", ALPHA_BIRTH_WEIGHT, "sd_t", ""),
        f"outcomes.csv:{ALPHA_BIRTH_WEIGHT}:sd_t",
    ),
    "extracted without derivation": (
        lambda d: set_cell(d, "outcomes.csv", ALPHA_ADVERSE, "derivation", ""),
        f"outcomes.csv:{ALPHA_ADVERSE}:derivation",
    ),
    "binary outcome with a mean": (
        lambda d: set_cell(d, "outcomes.csv", ALPHA_ADVERSE, "mean_t", "3"),
        f"outcomes.csv:{ALPHA_ADVERSE}:mean_t",
    ),
    "not_reported with a value": (
        lambda d: set_cell(d, "outcomes.csv", BETA_ADVERSE, "events_t", "3"),
        f"outcomes.csv:{BETA_ADVERSE}:events_t",
    ),
    "not_found with a value": (
        lambda d: set_cell(d, "outcomes.csv", 11, "total_c", "16"),
        "outcomes.csv:11:total_c",
    ),
    "prisma screening does not add up": (
        lambda d: set_cell(d, "prisma.csv", 5, "count", "99"),
        "prisma.csv:6:count",
    ),
    "prisma full text does not add up": (
        lambda d: set_cell(d, "prisma.csv", 9, "count", "4"),
        "prisma.csv:9:count",
    ),
    "prisma step missing": (lambda d: drop_row(d, "prisma.csv", 4), "prisma.csv:1:-"),
    "prisma step without count": (lambda d: set_cell(d, "prisma.csv", 9, "count", ""), "prisma.csv:9:count"),
    "reported unknown analysis": (
        lambda d: set_cell(d, "reported.csv", 2, "analysis", "live_births"),
        "reported.csv:2:analysis",
    ),
    "reported unknown measure": (
        lambda d: set_cell(d, "reported.csv", 2, "measure", "HR"),
        "reported.csv:2:measure",
    ),
    "reported unknown model": (
        lambda d: set_cell(d, "reported.csv", 2, "model", "mixed"),
        "reported.csv:2:model",
    ),
    "reported i2 over 100": (lambda d: set_cell(d, "reported.csv", 2, "i2", "143"), "reported.csv:2:i2"),
    "rob study x domain repeated": (
        lambda d: append_copy(d, "risk_of_bias.csv", 2),
        "risk_of_bias.csv:23:domain",
    ),
    "rob study missing a domain": (lambda d: drop_row(d, "risk_of_bias.csv", 4), "risk_of_bias.csv:1:-"),
    "rob paper totals domain repeated": (
        lambda d: append_copy(d, "rob_paper_totals.csv", 2),
        "rob_paper_totals.csv:9:domain",
    ),
    "search field repeated": (lambda d: append_copy(d, "search.csv", 2), "search.csv:6:field"),
    "required cell empty": (lambda d: set_cell(d, "studies.csv", 2, "label", ""), "studies.csv:2:label"),
    # provenance, statuses, judgments
    "extracted without source_type": (
        lambda d: set_cell(d, "outcomes.csv", ALPHA_ADVERSE, "source_type", ""),
        f"outcomes.csv:{ALPHA_ADVERSE}:source_type",
    ),
    "unknown source_type": (
        lambda d: set_cell(d, "outcomes.csv", ALPHA_ADVERSE, "source_type", "newspaper"),
        f"outcomes.csv:{ALPHA_ADVERSE}:source_type",
    ),
    "source_type kind repeated": (
        lambda d: set_cell(d, "outcomes.csv", ALPHA_ADVERSE, "source_type", "abstract;abstract"),
        f"outcomes.csv:{ALPHA_ADVERSE}:source_type",
    ),
    "source_type with a space": (
        lambda d: set_cell(d, "outcomes.csv", ALPHA_ADVERSE, "source_type", "abstract; registry"),
        f"outcomes.csv:{ALPHA_ADVERSE}:source_type",
    ),
    "not_applicable with a value": (
        lambda d: (set_cell(d, "outcomes.csv", BETA_ADVERSE, "status", "not_applicable"),
                   set_cell(d, "outcomes.csv", BETA_ADVERSE, "total_c", "16")),
        f"outcomes.csv:{BETA_ADVERSE}:total_c",
    ),
    "unknown control_infusion": (
        lambda d: set_cell(d, "studies.csv", 2, "control_infusion", "saline"),
        "studies.csv:2:control_infusion",
    ),
    "control_infusion without support": (
        lambda d: set_cell(d, "studies.csv", 4, "control_infusion_support", ""),
        "studies.csv:4:control_infusion_support",
    ),
    # study_facts.csv
    "study fact unknown quantity": (
        lambda d: set_cell(d, "study_facts.csv", 4, "quantity", "n_total"),
        "study_facts.csv:4:quantity",
    ),
    "study fact percent over 100": (
        lambda d: set_cell(d, "study_facts.csv", 2, "value", "160"),
        "study_facts.csv:2:value",
    ),
    "study fact n not an integer": (
        lambda d: set_cell(d, "study_facts.csv", 4, "value", "40.5"),
        "study_facts.csv:4:value",
    ),
    "study fact one arm's percentage alone": (
        lambda d: drop_row(d, "study_facts.csv", 6),
        "study_facts.csv:5:quantity",
    ),
    "study fact unknown study": (
        lambda d: set_cell(d, "study_facts.csv", 4, "study_id", "delta2020"),
        "study_facts.csv:4:study_id",
    ),
    "study fact without source_type": (
        lambda d: set_cell(d, "study_facts.csv", 5, "source_type", ""),
        "study_facts.csv:5:source_type",
    ),
    "study fact repeated": (
        lambda d: append_copy(d, "study_facts.csv", 4),
        "study_facts.csv:7:quantity",
    ),
    # harms.csv
    "harm events > total": (lambda d: set_cell(d, "harms.csv", 2, "events_c", "21"), "harms.csv:2:events_c"),
    "harm total without events": (
        lambda d: set_cell(d, "harms.csv", 4, "total_c", "40"),
        "harms.csv:4:events_c",
    ),
    "harm unknown unit": (lambda d: set_cell(d, "harms.csv", 3, "unit", "babies"), "harms.csv:3:unit"),
    "harm unknown study": (lambda d: set_cell(d, "harms.csv", 4, "study_id", "delta2020"), "harms.csv:4:study_id"),
    "harm without quote": (lambda d: set_cell(d, "harms.csv", 4, "quote", ""), "harms.csv:4:quote"),
    "harm count not an integer": (lambda d: set_cell(d, "harms.csv", 3, "events_t", "two"), "harms.csv:3:events_t"),
    # overlaps.csv
    "overlap of a study with itself": (
        lambda d: set_cell(d, "overlaps.csv", 2, "other_study_id", "gamma2010"),
        "overlaps.csv:2:other_study_id",
    ),
    "overlap pair again in the other order": (
        lambda d: append_copy(d, "overlaps.csv", 2, study_id="alpha2001", other_study_id="gamma2010"),
        "overlaps.csv:3:other_study_id",
    ),
    "overlap pair repeated": (lambda d: append_copy(d, "overlaps.csv", 2), "overlaps.csv:3:other_study_id"),
    "overlap unknown other study": (
        lambda d: set_cell(d, "overlaps.csv", 2, "other_study_id", "delta2020"),
        "overlaps.csv:2:other_study_id",
    ),
    "overlap unknown certainty": (
        lambda d: set_cell(d, "overlaps.csv", 2, "certainty", "likely"),
        "overlaps.csv:2:certainty",
    ),
    "estimate outside its CI": (lambda d: set_cell(d, "estimates.csv", 2, "estimate", "4.0"),
                                "estimates.csv:2:estimate"),
    "ratio CI not positive": (
        lambda d: (set_cell(d, "estimates.csv", 2, "ci_low", "-0.1"),
                   set_cell(d, "estimates.csv", 2, "estimate", "0.5")),
        "estimates.csv:2:ci_low",
    ),
    "estimate of an unknown study": (
        lambda d: set_cell(d, "estimates.csv", 2, "study_id", "omega2020"), "estimates.csv:2:study_id"),
    "estimate without a quote": (lambda d: set_cell(d, "estimates.csv", 2, "quote", ""), "estimates.csv:2:quote"),
    "estimate without source_type": (
        lambda d: set_cell(d, "estimates.csv", 2, "source_type", ""), "estimates.csv:2:source_type"),
}


@pytest.mark.parametrize("name", BREAKS)
def test_each_problem_is_reported_at_its_cell(copy: Path, name: str):
    breaking, expected = BREAKS[name]
    breaking(copy)
    assert locations(data.validate(copy)) == [expected]


# --------------------------------------------------------------------------- other_reviews.csv, one problem each

# Rows of the fixture's other_reviews.csv (header = 1): Omega 2008 (2, 3), Sigma 2012 (4, 5), Tau 2003 (6).
OMEGA, SIGMA, TAU = (2, 3), (4, 5), (6,)
OTHER = "other_reviews.csv"


def set_review(folder: Path, rows: tuple[int, ...], column: str, value: str) -> None:
    """Set a review-level cell on every row of one review (they must stay identical)."""
    for row in rows:
        set_cell(folder, OTHER, row, column, value)


def at(rows: tuple[int, ...], column: str) -> list[str]:
    """The locations ``other_reviews.csv:ROW:column`` of ``rows``."""
    return [f"{OTHER}:{row}:{column}" for row in rows]


OTHER_BREAKS = {
    "paper trial not in studies.csv": (
        lambda d: set_review(d, OMEGA, "trials_in_paper", "delta2020"), at(OMEGA, "trials_in_paper")),
    "a paper study among the other trials": (
        lambda d: set_review(d, OMEGA, "trials_other", "gamma2010"), at(OMEGA, "trials_other")),
    "a trial listed twice": (
        lambda d: set_review(d, SIGMA, "trials_other", "eta2007;eta2007"), at(SIGMA, "trials_other")),
    "a trial in both lists": (  # listed twice, and a paper study among the other trials
        lambda d: set_review(d, SIGMA, "trials_other", "beta2005"), sorted(at(SIGMA, "trials_other") * 2)),
    "complete list shorter than n_studies": (
        lambda d: set_review(d, OMEGA, "n_studies", "3"), at(OMEGA, "trials_listed")),
    "more RCTs than studies": (lambda d: set_review(d, SIGMA, "n_rcts", "4"), at(SIGMA, "n_rcts")),
    "trials although none listed": (
        lambda d: set_cell(d, OTHER, 6, "trials_in_paper", "alpha2001"), at(TAU, "trials_in_paper")),
    "partial list without its source": (
        lambda d: set_review(d, SIGMA, "trials_source", ""), at(SIGMA, "trials_source")),
    "partial list without a trial": (
        lambda d: [set_review(d, SIGMA, name, "") for name in ("trials_in_paper", "trials_other")],
        at(SIGMA, "trials_listed")),
    "bad trial key": (lambda d: set_review(d, OMEGA, "trials_other", "Zeta 1999"), at(OMEGA, "trials_other")),
    "review-level cell differs between rows": (
        lambda d: set_cell(d, OTHER, 3, "label", "Omega 2009"), at((3,), "label")),
    "estimate outside its CI": (lambda d: set_cell(d, OTHER, 2, "estimate", "3.10"), at((2,), "estimate")),
    "negative ratio": (lambda d: set_cell(d, OTHER, 4, "estimate", "-0.8"), at((4,), "estimate")),
    "extracted without a quote": (lambda d: set_cell(d, OTHER, 4, "quote", ""), at((4,), "quote")),
    "extracted without a CI limit": (lambda d: set_cell(d, OTHER, 2, "ci_low", ""), at((2,), "ci_low")),
    "not_found with an estimate": (lambda d: set_cell(d, OTHER, 6, "estimate", "1.2"), at(TAU, "estimate")),
    "not_found without notes": (lambda d: set_cell(d, OTHER, 6, "notes", ""), at(TAU, "notes")),
    "unknown evidence": (lambda d: set_review(d, TAU, "evidence", "cohort"), at(TAU, "evidence")),
    "unknown review outcome": (lambda d: set_cell(d, OTHER, 2, "outcome", "miscarriage"), at((2,), "outcome")),
    "unknown review measure": (lambda d: set_cell(d, OTHER, 2, "measure", "HR"), at((2,), "measure")),
    "unknown source type": (lambda d: set_cell(d, OTHER, 2, "source_type", "website"), at((2,), "source_type")),
    "search date not a date": (lambda d: set_review(d, OMEGA, "search_end", "May 2008"), at(OMEGA, "search_end")),
    "result row repeated": (lambda d: append_copy(d, OTHER, 2), at((7,), "subgroup")),
    "other_reviews.csv missing": (lambda d: (d / OTHER).unlink(), [f"{OTHER}:1:-"]),
}


@pytest.mark.parametrize("name", OTHER_BREAKS)
def test_each_other_review_problem_is_reported_at_its_cells(copy: Path, name: str):
    breaking, expected = OTHER_BREAKS[name]
    breaking(copy)
    assert locations(data.validate(copy)) == expected


def test_other_review_messages_say_expected_and_found(copy: Path):
    set_review(copy, OMEGA, "trials_in_paper", "delta2020")
    set_cell(copy, OTHER, 3, "label", "Omega 2009")
    assert [str(problem) for problem in data.validate(copy)] == [
        "other_reviews.csv:2:trials_in_paper: trials_in_paper must hold study_ids of studies.csv; found delta2020",
        "other_reviews.csv:3:trials_in_paper: trials_in_paper must hold study_ids of studies.csv; found delta2020",
        "other_reviews.csv:3:label: label must be the same on every row of review omega2008 (as on row 2: "
        "'Omega 2008'); found 'Omega 2009'",
    ]


def test_other_review_list_is_one_typed_row_per_review():
    reviews = data.load(VALID).other_review_list()
    assert reviews["review_id"].tolist() == ["omega2008", "sigma2012", "tau2003"]
    assert list(reviews.columns) == [*data.REVIEW_LEVEL_COLUMNS, "studies_in_paper"]
    assert reviews["trials_in_paper"].tolist() == [("alpha2001",), ("beta2005",), ()]
    assert reviews["trials_other"].tolist() == [("zeta1999",), ("eta2007",), ()]
    assert reviews["studies_in_paper"].tolist() == [("Alpha 2001",), ("Beta 2005",), ()]
    assert str(reviews["n_rcts"].dtype) == "Int64" and reviews["n_participants"].isna().tolist() == [False, True, True]


def test_other_reviews_loads_every_row_typed():
    table = data.load(VALID).other_reviews
    assert list(table.columns) == list(data.FILES["other_reviews"].columns)
    assert len(table) == 5 and str(table["estimate"].dtype) == "float64"
    assert table["estimate"].isna().tolist() == [False, False, False, False, True]


def test_malformed_study_id(copy: Path):
    append_copy(copy, "studies.csv", 3, study_id="Delta 2020")
    problems = data.validate(copy)
    assert locations(problems)[0] == "studies.csv:5:study_id"
    assert problems[0].message.startswith("study_id must be a key firstauthorYEAR")


def test_message_says_expected_and_found(copy: Path):
    set_cell(copy, "outcomes.csv", ALPHA_LIVE_BIRTH, "events_t", "45")
    assert [str(problem) for problem in data.validate(copy)] == [
        "outcomes.csv:4:events_t: events_t must be an integer between 0 and total_t (20); found 45"
    ]


def test_an_itt_row_must_count_every_randomised_woman(copy: Path):
    # Alpha 2001 randomised 20 + 20 (studies.csv); an itt row of 18/20 says "all randomised women" falsely
    set_cell(copy, "outcomes.csv", ALPHA_LIVE_BIRTH, "total_t", "18")
    assert [str(problem) for problem in data.validate(copy)] == [
        "outcomes.csv:4:denominator: itt means all randomised women, but the totals 18/20 differ from the randomised "
        "arms 20/20 of studies.csv (n_randomised_t/n_randomised_c); expected another denominator, e.g. treated: "
        "randomised women who received the study drug"]
    set_cell(copy, "outcomes.csv", ALPHA_LIVE_BIRTH, "denominator", "treated")
    assert data.validate(copy) == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("12.5", "events_t must be an integer >= 0; found '12.5'"),
        ("abc", "events_t must be an integer >= 0; found 'abc'"),
    ],
)
def test_type_messages(copy: Path, raw: str, message: str):
    set_cell(copy, "outcomes.csv", ALPHA_LIVE_BIRTH, "events_t", raw)
    assert [problem.message for problem in data.validate(copy)] == [message]


def test_prisma_message_shows_the_sum(copy: Path):
    set_cell(copy, "prisma.csv", 9, "count", "4")
    (problem,) = data.validate(copy)
    assert problem.message == (
        "count of included must equal full_text - excluded_full_text = 20 - 17 = 3; found 4"
    )


def test_several_problems_are_all_reported(copy: Path):
    set_cell(copy, "studies.csv", 2, "randomised", "maybe")
    set_cell(copy, "outcomes.csv", ALPHA_LIVE_BIRTH, "events_t", "25")
    set_cell(copy, "outcomes.csv", BETA_ADVERSE, "events_t", "3")
    drop_row(copy, "risk_of_bias.csv", 4)
    set_cell(copy, "reported.csv", 3, "model", "mixed")
    assert locations(data.validate(copy)) == [
        "studies.csv:2:randomised",
        "outcomes.csv:4:events_t",
        f"outcomes.csv:{BETA_ADVERSE}:events_t",
        "risk_of_bias.csv:1:-",
        "reported.csv:3:model",
    ]


def test_empty_folder_reports_every_file_missing(tmp_path: Path):
    assert locations(data.validate(tmp_path)) == [f"{name}.csv:1:-" for name in data.FILES]


# --------------------------------------------------------------------------- load and Review


def test_load_raises_data_error_listing_every_problem(copy: Path):
    set_cell(copy, "outcomes.csv", ALPHA_LIVE_BIRTH, "events_t", "25")
    set_cell(copy, "reported.csv", 2, "measure", "HR")
    with pytest.raises(data.DataError) as raised:
        data.load(copy)
    assert isinstance(raised.value, ValueError)
    assert locations(raised.value.problems) == ["outcomes.csv:4:events_t", "reported.csv:2:measure"]
    assert "outcomes.csv:4:events_t: " in str(raised.value)
    assert "reported.csv:2:measure: " in str(raised.value)


def test_binary_columns_types_and_order():
    table = data.load(VALID).binary("live_birth")
    assert list(table.columns[:7]) == ["study", "study_id", "year", *BINARY_COLUMNS]
    assert BINARY_COLUMNS == ("events_t", "total_t", "events_c", "total_c")
    assert {*data.DESIGN_COLUMNS} <= set(table.columns)
    assert all(str(table[column].dtype) == "int64" for column in ["year", *BINARY_COLUMNS])
    assert table["study"].tolist() == ["Alpha 2001", "Beta 2005", "Gamma 2009"]
    assert table.loc[2, ["events_t", "total_t", "events_c", "total_c"]].tolist() == [14, 20, 10, 21]


def test_binary_skips_rows_not_extracted():
    review = data.load(VALID)
    assert review.binary("live_birth_primary")["study_id"].tolist() == ["beta2005"]
    assert review.binary("adverse_reaction")["study_id"].tolist() == ["alpha2001"]


def test_binary_alternative_rows_and_denominator():
    review = data.load(VALID)
    every = review.binary("live_birth", main_only=False)
    assert every["denominator"].tolist() == ["itt", "itt", "itt", "pregnant"]
    assert review.binary("live_birth", main_only=False, denominator="pregnant")["total_t"].tolist() == [17]


def test_continuous_columns_and_types():
    table = data.load(VALID).continuous("birth_weight")
    assert list(table.columns[3:9]) == list(CONTINUOUS_COLUMNS)
    assert str(table["n_t"].dtype) == "int64"
    assert str(table["sd_t"].dtype) == "float64"
    assert table["study"].tolist() == ["Alpha 2001", "Gamma 2009"]


def test_outcome_of_the_wrong_type_is_refused():
    review = data.load(VALID)
    with pytest.raises(ValueError, match="binary outcome"):
        review.binary("birth_weight")
    with pytest.raises(ValueError, match="continuous outcome"):
        review.continuous("live_birth")
    with pytest.raises(ValueError, match="outcome must be one of"):
        review.missing("live_births")


def test_missing_lists_studies_left_out_and_why():
    table = data.load(VALID).missing("adverse_reaction")
    assert table["study"].tolist() == ["Beta 2005", "Gamma 2009"]
    assert table["status"].tolist() == ["not_reported", "not_found"]
    assert data.load(VALID).missing("live_birth").empty


def test_not_applicable_row_is_valid_and_listed_as_missing(copy: Path):
    set_cell(copy, "outcomes.csv", BETA_ADVERSE, "status", "not_applicable")
    assert data.validate(copy) == []
    table = data.load(copy).missing("adverse_reaction")
    assert table["status"].tolist() == ["not_applicable", "not_found"]
    assert set(data.STATUS_REASONS) == set(data.STATUSES) - {"extracted"}


def test_not_obtained_is_a_judgment():
    assert "not_obtained" in data.JUDGMENTS
    rob = data.load(VALID).judgments()
    assert rob.loc[(rob["study_id"] == "gamma2010") & (rob["domain"] == "allocation_concealment"),
                   "judgment"].tolist() == ["not_obtained"]


def test_binary_and_continuous_carry_provenance_and_control_infusion():
    review = data.load(VALID)
    table = review.binary("live_birth")
    columns = list(table.columns)
    assert columns[columns.index("derivation") + 1] == "source_type"
    assert table["source_type"].tolist() == ["abstract", "other_review", "full_text"]
    assert table["control_infusion"].tolist() == ["yes", "no", "yes"]
    assert "source_type" in review.continuous("birth_weight").columns


def test_provenance_says_which_rows_are_derived_secondary_or_lay(copy: Path):
    set_cell(copy, "outcomes.csv", GAMMA_LIVE_BIRTH_PREGNANT, "source_type", "lay_summary;full_text")
    table = data.load(copy).provenance("live_birth").set_index(["study_id", "denominator"])
    flags = table[["derived", "secondary_source", "lay_source", "own_report_only"]].astype(bool)
    assert flags.loc[("gamma2010", "itt")].tolist() == [False, False, False, True]  # reported, full text
    assert flags.loc[("gamma2010", "pregnant")].tolist() == [True, False, True, False]
    assert flags.loc[("alpha2001", "itt")].tolist() == [True, False, False, True]  # from percentages, abstract
    assert flags.loc[("beta2005", "itt")].tolist() == [True, True, False, False]  # another review's table
    every = data.load(copy).provenance()
    assert len(every) == (data.load(copy).outcomes["status"] == "extracted").sum()
    with pytest.raises(ValueError, match="outcome must be one of"):
        data.load(copy).provenance("live_births")


def test_source_kinds_splits_a_cell():
    assert data.source_kinds("lay_summary;abstract") == ("lay_summary", "abstract")
    assert data.source_kinds("") == ()


def test_safety_signals_carry_the_control_arm():
    signals = data.load(VALID).safety_signals()
    assert signals["study"].tolist() == ["Alpha 2001", "Gamma 2009", "Beta 2005"]
    assert signals["control_infusion"].tolist() == ["yes", "yes", "no"]
    assert signals.loc[0, ["events_t", "total_t", "events_c", "total_c"]].tolist() == [3, 20, 0, 20]
    assert signals.loc[1, ["total_t", "total_c"]].isna().all()  # neonates per arm not given


def test_overlapping_pairs_among_the_studies_of_an_analysis():
    review = data.load(VALID)
    assert review.overlapping()[["study", "other_study", "certainty"]].values.tolist() == [
        ["Gamma 2009", "Alpha 2001", "possible"]]
    assert len(review.overlapping(["alpha2001", "gamma2010", "beta2005"])) == 1
    assert review.overlapping(["alpha2001", "beta2005"]).empty


def test_study_facts_keep_the_printed_decimals():
    facts = data.load(VALID).study_facts
    assert facts.loc[facts["quantity"] == "percent_t", "value"].tolist() == ["60", "70.0"]


def test_reported_row():
    review = data.load(VALID)
    row = review.reported_row("birth_weight")
    assert (row["measure"], row["model"], row["estimate"], row["k"]) == ("MD", "random", 152.10, 2)
    with pytest.raises(KeyError):
        review.reported_row("no_such_analysis")


# --------------------------------------------------------------------------- find_data_dir


def test_find_data_dir_walks_up_from_a_subfolder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    shutil.copytree(VALID, tmp_path / "data")
    (tmp_path / "book" / "chapters").mkdir(parents=True)
    monkeypatch.delenv("METARMC_DATA", raising=False)
    monkeypatch.chdir(tmp_path / "book" / "chapters")
    assert data.find_data_dir() == tmp_path.resolve() / "data"
    assert len(data.load().studies) == 3


def test_find_data_dir_env_var_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("METARMC_DATA", str(VALID))
    monkeypatch.chdir(tmp_path)
    assert data.find_data_dir() == VALID


def test_find_data_dir_falls_back_to_the_package_parent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("METARMC_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    assert data.find_data_dir() == Path(data.__file__).resolve().parent.parent / "data"


# --------------------------------------------------------------------------- command line


def test_cli_validate_valid_folder():
    result = run_cli("validate", str(VALID))
    assert result.returncode == 0
    assert result.stdout == "data_valid/ is valid: 3 studies, 17 outcome rows\n"


def test_cli_validate_prints_each_problem_and_exits_1(copy: Path):
    set_cell(copy, "outcomes.csv", ALPHA_LIVE_BIRTH, "events_t", "25")
    drop_row(copy, "risk_of_bias.csv", 4)
    result = run_cli("validate", str(copy))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "outcomes.csv:4:events_t: events_t must be an integer between 0 and total_t (20); found 25"
    )
    assert lines[1].startswith("risk_of_bias.csv:1:-: ")
    assert len(lines) == 2


def test_changelog_dates_are_the_newest_heading_and_search_line(tmp_path):
    (tmp_path / "CHANGELOG.md").write_text(
        "# Data changelog\n\n## 2027-03-01: a new trial\n- Last search for trial reports: 2027-02-20\n\n"
        "## 2026-11-24: first release\n- Last search for trial reports: 2026-11-24\n", encoding="utf8")
    assert data.changelog_dates(tmp_path) == {"last_change": "2027-03-01", "last_search": "2027-02-20"}


def test_changelog_without_a_search_date_is_an_error(tmp_path):
    (tmp_path / "CHANGELOG.md").write_text("## 2027-03-01: a change\n", encoding="utf8")
    with pytest.raises(ValueError, match="no last_search date"):
        data.changelog_dates(tmp_path)
