"""The review's data: the one place that knows the columns of ``data/*.csv``.

The schema is ``data/README.md``; this module writes it down as constants (:data:`FILES`),
checks a data folder against it (:func:`validate`) and loads it as typed tables
(:func:`load`, :class:`Review`). Every problem found is reported at once, as
``file:row:column: message`` with rows numbered like a spreadsheet (header = row 1).
"""

from __future__ import annotations

import csv
import math
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from .review.registry import OUTCOMES as REGISTRY
from .schema import MEASURES, MODELS, RATIO_MEASURES, VALUE_COLUMNS

__all__ = [
    "DENOMINATORS",
    "DENOMINATOR_WORDS",
    "ENROLLED_WORDS",
    "DERIVATIONS",
    "DERIVATION_WORDS",
    "DESIGN_COLUMNS",
    "FILES",
    "FLOW_STEPS",
    "HARM_UNITS",
    "JUDGMENTS",
    "LAY_SOURCE_TYPES",
    "OUTCOMES",
    "OVERLAP_CERTAINTIES",
    "OWN_REPORT_TYPES",
    "ROB_DOMAINS",
    "SECONDARY_SOURCE_TYPES",
    "SOURCE_TYPES",
    "SOURCE_WORDS",
    "STATUSES",
    "STATUS_REASONS",
    "STUDY_FACT_QUANTITIES",
    "Column",
    "DataError",
    "DATE",
    "DECISIONS",
    "REGISTERS",
    "SCREENING_STAGES",
    "SOURCES",
    "FileSpec",
    "Kind",
    "Problem",
    "Review",
    "find_data_dir",
    "load",
    "not_all_randomised",
    "provenance_flags",
    "source_kinds",
    "source_words",
    "validate",
    "women_counted",
]

# --------------------------------------------------------------------------- value kinds

_INTEGER = re.compile(r"[+-]?\d+")


def _integer(raw: str) -> int | None:
    """Parse ``raw`` as an integer literal (``"12.0"`` and ``"12.5"`` are not), else None."""
    return int(raw) if _INTEGER.fullmatch(raw) else None


def _number(raw: str) -> float | None:
    """Parse ``raw`` as a finite number, else None."""
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Kind:
    """What a column's non-empty cells must hold.

    Parameters
    ----------
    description : str
        The expectation as a message states it (``"an integer >= 0"``).
    dtype : str
        The pandas dtype of the loaded column.
    parse : callable
        ``str -> value``, returning None when the text is not of this kind.
    minimum, maximum : float
        Bounds on numeric values (inclusive unless ``strict``).
    strict : bool
        Whether ``minimum`` itself is excluded.
    """

    description: str
    dtype: str
    parse: Callable[[str], object]
    minimum: float = -math.inf
    maximum: float = math.inf
    strict: bool = False

    def value(self, raw: str) -> object:
        """Return the parsed value of a non-empty cell, or None if it is not of this kind."""
        value = self.parse(raw)
        if value is None or isinstance(value, str):
            return value
        above = value > self.minimum if self.strict else value >= self.minimum
        return value if above and value <= self.maximum else None


_STUDY_ID = re.compile(r"[a-z]+\d{4}[a-z]?")

TEXT = Kind("text", "str", str)
STUDY_ID = Kind(
    "a key firstauthorYEAR in lowercase (e.g. jafarzadeh2019)",
    "str",
    lambda raw: raw if _STUDY_ID.fullmatch(raw) else None,
)
COUNT = Kind("an integer >= 0", "Int64", _integer, minimum=0)
SIZE = Kind("an integer > 0", "Int64", _integer, minimum=0, strict=True)
YEAR = Kind("a year between 1900 and 2100", "Int64", _integer, minimum=1900, maximum=2100)
NUMBER = Kind("a number", "float64", _number)
POSITIVE = Kind("a number > 0", "float64", _number, minimum=0, strict=True)
PERCENT = Kind("a number between 0 and 100", "float64", _number, minimum=0, maximum=100)

# --------------------------------------------------------------------------- vocabularies

OUTCOMES: Mapping[str, str] = {name: outcome.kind for name, outcome in REGISTRY.items()}
"""Each outcome (and ``reported.csv`` analysis) and its type, from :mod:`metarmc.review.registry`."""

ALL_VALUES = tuple(column for columns in VALUE_COLUMNS.values() for column in columns)
"""Every value column of ``outcomes.csv`` (:data:`metarmc.schema.VALUE_COLUMNS`)."""

DENOMINATORS = ("itt", "treated", "pregnant", "clinical_pregnancy", "per_protocol", "liveborn")
STATUSES = ("extracted", "not_reported", "not_found", "not_applicable")
STATUS_REASONS: Mapping[str, str] = {
    "not_reported": "the report does not give it",
    "not_found": "no report giving it could be reached or read in full",
    "not_applicable": "the outcome does not apply to the study's population",
}
"""Why a row of ``outcomes.csv`` has no values, in a reader's words, for each status but ``extracted``."""
DENOMINATOR_WORDS = {
    "itt": "all randomised women",
    "treated": "randomised women who received the study drug",
    "pregnant": "women who became pregnant",
    "clinical_pregnancy": "clinical pregnancies (fetal heart seen)",
    "per_protocol": "women treated as planned (per protocol)",
    "liveborn": "liveborn babies",
}
"""Who the counts are out of (:data:`DENOMINATORS`) in a reader's words."""
#: What ``itt`` means in a study that did not randomise: everyone it enrolled in the comparison.
ENROLLED_WORDS = "all women enrolled"


def women_counted(table: pd.DataFrame) -> list[str]:
    """Who each row's counts are out of, in a reader's words (:data:`DENOMINATOR_WORDS`), saying
    "enrolled" rather than "randomised" for the ``itt`` rows of studies that did not randomise.

    Parameters
    ----------
    table : DataFrame
        Rows with ``denominator`` and ``randomised`` (``yes``/``no``/``unclear``).

    Examples
    --------
    >>> women_counted(pd.DataFrame({"denominator": ["itt", "itt", "pregnant"], "randomised": ["yes", "no", "no"]}))
    ['all randomised women', 'all women enrolled', 'women who became pregnant']
    """
    return [ENROLLED_WORDS if denominator == "itt" and randomised == "no" else DENOMINATOR_WORDS[denominator]
            for denominator, randomised in zip(table["denominator"], table["randomised"])]
DERIVATIONS = ("reported", "derived_from_percent", "derived_from_arms", "secondary_source")
SOURCE_TYPES = ("full_text", "abstract", "conference_abstract", "registry", "companion_report", "other_review",
                "lay_summary")
"""The kinds of document a number can be read from (``source_type``; several are joined by ``;``)."""
OWN_REPORT_TYPES = ("full_text", "abstract", "conference_abstract", "registry")
"""The study's own report or its registry record."""
SECONDARY_SOURCE_TYPES = ("companion_report", "other_review")
"""Another report of the same participants, or another review's table."""
LAY_SOURCE_TYPES = ("lay_summary",)
"""A summary for the public (press release, newspaper, clinic web page)."""
SOURCE_WORDS = {
    "full_text": "full text",
    "abstract": "abstract",
    "conference_abstract": "conference abstract",
    "registry": "trial registry",
    "companion_report": "another report of the same trial",
    "other_review": "another review",
    "lay_summary": "lay summary (press or clinic web page)",
}
"""Each kind of document of :data:`SOURCE_TYPES` in a reader's words."""
DERIVATION_WORDS = {
    "reported": "as printed",
    "derived_from_percent": "derived from percentages",
    "derived_from_arms": "derived from other numbers of the arms",
    "secondary_source": "taken from another review",
}
"""How the numbers were obtained (:data:`DERIVATIONS`) in a reader's words."""
ROB_DOMAINS = (
    "random_sequence",
    "allocation_concealment",
    "blinding_participants",
    "blinding_outcome",
    "incomplete_outcome",
    "selective_reporting",
    "other_bias",
)
JUDGMENTS = ("low", "unclear", "high", "not_obtained")
"""RoB 1's three judgments, and ``not_obtained``: no text we read reports on the domain."""
FLOW_STEPS = ("identified", "excluded_screening", "full_text", "excluded_full_text", "included")
PRISMA_STEPS = (*FLOW_STEPS, "reason_full_text", "database")
YES_NO = ("yes", "no")
YES_NO_UNCLEAR = ("yes", "no", "unclear")
RM_TYPES = ("primary", "secondary", "mixed", "RIF", "unclear")
HARM_UNITS = ("women", "neonates")
OVERLAP_CERTAINTIES = ("stated", "probable", "possible")

DESIGN_COLUMNS = ("design", "randomised", "placebo_controlled", "control_infusion", "rm_type")
"""Study columns that :meth:`Review.binary` and :meth:`Review.continuous` carry along."""


def source_kinds(source_type: str) -> tuple[str, ...]:
    """The kinds of document of a ``source_type`` cell (``"abstract;other_review"`` -> two kinds).

    Examples
    --------
    >>> source_kinds("abstract;other_review")
    ('abstract', 'other_review')
    """
    return tuple(source_type.split(";")) if source_type else ()


def source_words(source_type: str) -> str:
    """The kinds of document of a ``source_type`` cell in a reader's words (:data:`SOURCE_WORDS`).

    Examples
    --------
    >>> source_words("abstract;other_review")
    'abstract and another review'
    >>> source_words("lay_summary;abstract;registry")
    'lay summary (press or clinic web page), abstract and trial registry'
    """
    words = [SOURCE_WORDS[kind] for kind in source_kinds(source_type)]
    return " and ".join([", ".join(words[:-1]), words[-1]]) if len(words) > 1 else "".join(words)


def not_all_randomised(rows: pd.DataFrame) -> list[tuple[str, str]]:
    """The studies of ``rows`` counted out of fewer than all randomised women, by denominator in a reader's words.

    Returns
    -------
    list of (studies, words)
        ``studies`` joined by commas, ``words`` from :data:`DENOMINATOR_WORDS`; one pair per
        denominator other than ``itt``, in order of first appearance; empty when every row is ``itt``.

    Examples
    --------
    >>> rows = pd.DataFrame({"study": ["A", "B", "C"], "denominator": ["pregnant", "itt", "treated"]})
    >>> not_all_randomised(rows)
    [('A', 'women who became pregnant'), ('C', 'randomised women who received the study drug')]
    """
    other = rows[rows["denominator"] != "itt"]
    return [(", ".join(group["study"]), DENOMINATOR_WORDS[denominator])
            for denominator, group in other.groupby("denominator", sort=False)]


def provenance_flags(rows: pd.DataFrame) -> pd.DataFrame:
    """How directly each row's numbers were obtained, from its ``derivation`` and ``source_type``.

    Parameters
    ----------
    rows : DataFrame
        Rows with ``derivation`` and ``source_type`` columns (``outcomes.csv`` rows, or a study
        table of :meth:`Review.binary`).

    Returns
    -------
    DataFrame
        Booleans, on the index of ``rows``: ``derived`` (``derivation`` is not ``reported``:
        counts computed from percentages or other numbers, or taken from another review),
        ``secondary_source`` (read at least in part from a :data:`SECONDARY_SOURCE_TYPES`
        document), ``lay_source`` (at least in part from a :data:`LAY_SOURCE_TYPES` one),
        ``own_report_only`` (every number from :data:`OWN_REPORT_TYPES`) and ``direct``
        (neither derived nor from a lay source: a count as printed in a report for professionals).

    Examples
    --------
    >>> rows = pd.DataFrame({"derivation": ["reported", "reported", "derived_from_percent"],
    ...                      "source_type": ["abstract", "lay_summary", "abstract"]})
    >>> provenance_flags(rows)["direct"].tolist()
    [True, False, False]
    """
    kinds = rows["source_type"].fillna("").map(source_kinds)
    flags = pd.DataFrame({
        "derived": (rows["derivation"] != "reported").to_numpy(bool),
        "secondary_source": kinds.map(lambda k: bool(set(k) & set(SECONDARY_SOURCE_TYPES))).to_numpy(bool),
        "lay_source": kinds.map(lambda k: bool(set(k) & set(LAY_SOURCE_TYPES))).to_numpy(bool),
        "own_report_only": kinds.map(lambda k: set(k) <= set(OWN_REPORT_TYPES)).to_numpy(bool),
    }, index=rows.index)
    return flags.assign(direct=~flags["derived"] & ~flags["lay_source"])


def _source_type_list(raw: str) -> str | None:
    kinds = source_kinds(raw)
    return raw if all(kind in SOURCE_TYPES for kind in kinds) and len(set(kinds)) == len(kinds) else None


def _percent_text(raw: str) -> str | None:
    value = _number(raw)
    return raw if value is not None and 0 <= value <= 100 else None


SOURCE_TYPE_LIST = Kind(f"one or more of {', '.join(SOURCE_TYPES)}, each once, joined by ';' (no spaces)",
                        "str", _source_type_list)
PERCENT_TEXT = Kind("a percentage between 0 and 100, as printed", "str", _percent_text)
STUDY_FACT_QUANTITIES: Mapping[str, Kind] = {"percent_t": PERCENT_TEXT, "percent_c": PERCENT_TEXT, "n": SIZE}
"""What a ``study_facts.csv`` row may state (arm percentages, the participants they are of) and its kind."""
ARM_PERCENTS = ("percent_t", "percent_c")

# --------------------------------------------------------------------------- file specs


@dataclass(frozen=True)
class Column:
    """One column of a data file.

    Parameters
    ----------
    kind : Kind
        What non-empty cells must hold.
    required : bool
        Whether an empty cell is a problem.
    choices : tuple of str
        The allowed values, if the column is a closed vocabulary.
    """

    kind: Kind = TEXT
    required: bool = False
    choices: tuple[str, ...] = ()

    @property
    def expected(self) -> str:
        """The expectation as a message states it."""
        return f"one of {', '.join(self.choices)}" if self.choices else self.kind.description

    def problem(self, name: str, raw: str) -> str | None:
        """Return what is wrong with cell ``raw`` of column ``name``, or None."""
        if not raw:
            return f"{name} is required ({self.expected}); found an empty cell" if self.required else None
        valid = raw in self.choices if self.choices else self.kind.value(raw) is not None
        return None if valid else f"{name} must be {self.expected}; found {raw!r}"


@dataclass(frozen=True)
class FileSpec:
    """The columns of one data file and the columns that identify a row.

    Parameters
    ----------
    columns : mapping of str to Column
        Every column, in the README's order.
    key : tuple of str
        Columns whose combined value must not repeat (empty = no such rule).
    """

    columns: Mapping[str, Column]
    key: tuple[str, ...] = ()


_REQUIRED = Column(required=True)
_COUNT = Column(COUNT)

# --------------------------------------------------------------------------- other_reviews.csv: its spec

_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


def split_keys(raw: str) -> tuple[str, ...]:
    """The keys of a semicolon list such as ``"perino1997; stephenson1998"`` (empty cell: none).

    Examples
    --------
    >>> split_keys("perino1997; stephenson1998"), split_keys("")
    (('perino1997', 'stephenson1998'), ())
    """
    return tuple(part.strip() for part in raw.split(";")) if raw.strip() else ()


DATE = Kind("a date YYYY, YYYY-MM or YYYY-MM-DD", "str", lambda raw: raw if _DATE.fullmatch(raw) else None)
STUDY_KEYS = Kind(
    "keys firstauthorYEAR in lowercase separated by semicolons (e.g. perino1997;stephenson1998)",
    "str",
    lambda raw: raw if all(_STUDY_ID.fullmatch(key) for key in split_keys(raw)) else None,
)

REVIEW_DESIGNS = ("aggregate", "aggregate_and_ipd", "narrative", "unclear")
EVIDENCE = ("randomised", "non_randomised", "mixed", "unclear")
TRIAL_LISTS = ("complete", "partial", "none")
REVIEW_OUTCOMES = ("live_birth", "no_live_birth")
SUBGROUPS = ("all", "primary", "secondary")
REVIEW_SOURCE_TYPES = ("full_text", "abstract", "table", "figure_legends", "reference_list", "bibliographic_record")
"""What kind of document a value of ``other_reviews.csv`` was read in."""

OTHER_REVIEWS = FileSpec(
    {
        "review_id": Column(STUDY_ID, required=True),
        "label": _REQUIRED,
        "year": Column(YEAR, required=True),
        "citation": _REQUIRED,
        "doi": Column(),
        "pmid": Column(),
        "paper_ref": Column(SIZE),
        "design": Column(required=True, choices=REVIEW_DESIGNS),
        "evidence": Column(required=True, choices=EVIDENCE),
        "search_end": Column(DATE),
        "n_studies": _COUNT,
        "n_rcts": _COUNT,
        "n_participants": _COUNT,
        "trials_listed": Column(required=True, choices=TRIAL_LISTS),
        "trials_in_paper": Column(STUDY_KEYS),
        "trials_other": Column(STUDY_KEYS),
        "trials_source": Column(),
        "trials_source_type": Column(choices=REVIEW_SOURCE_TYPES),
        "trials_quote": Column(),
        "outcome": Column(required=True, choices=REVIEW_OUTCOMES),
        "subgroup": Column(required=True, choices=SUBGROUPS),
        "measure": Column(choices=RATIO_MEASURES),
        "model": Column(choices=MODELS),
        "estimate": Column(POSITIVE),
        "ci_low": Column(POSITIVE),
        "ci_high": Column(POSITIVE),
        "p": Column(),  # as printed: ".02", "< 0.0001"
        "status": Column(required=True, choices=STATUSES),
        "source": _REQUIRED,
        "source_type": Column(required=True, choices=REVIEW_SOURCE_TYPES),
        "quote": Column(),
        "notes": Column(),
    },
    key=("review_id", "outcome", "subgroup"),
)
"""``other_reviews.csv``: other reviews of IVIG for recurrent miscarriage, one row per (review, result)."""

REVIEW_LEVEL_COLUMNS = tuple(OTHER_REVIEWS.columns)[: tuple(OTHER_REVIEWS.columns).index("outcome")]
"""The columns that describe a review as a whole: the same on every row of that review."""

FILES: Mapping[str, FileSpec] = {
    "studies": FileSpec(
        {
            "study_id": Column(STUDY_ID, required=True),
            "label": _REQUIRED,
            "paper_label": Column(),
            "first_author": _REQUIRED,
            "year": Column(YEAR, required=True),
            "citation": _REQUIRED,
            "doi": Column(),
            "pmid": Column(),
            "country": Column(),
            "design": Column(),
            "randomised": Column(required=True, choices=YES_NO_UNCLEAR),
            "control": Column(),
            "placebo_controlled": Column(required=True, choices=YES_NO_UNCLEAR),
            "control_infusion": Column(required=True, choices=YES_NO_UNCLEAR),
            "control_infusion_support": _REQUIRED,
            "population": Column(),
            "rm_type": Column(required=True, choices=RM_TYPES),
            "ivig_regimen": Column(),
            "n_table1": _COUNT,
            "n_randomised": _COUNT,
            "n_randomised_t": _COUNT,
            "n_randomised_c": _COUNT,
            "n_analysed": _COUNT,
            "n_analysed_t": _COUNT,
            "n_analysed_c": _COUNT,
            "source": _REQUIRED,
            "notes": Column(),
        },
        key=("study_id",),
    ),
    "outcomes": FileSpec(
        {
            "study_id": _REQUIRED,
            "outcome": Column(required=True, choices=tuple(OUTCOMES)),
            "denominator": Column(required=True, choices=DENOMINATORS),
            "main": Column(required=True, choices=YES_NO),
            "events_t": _COUNT,
            "total_t": _COUNT,
            "events_c": _COUNT,
            "total_c": _COUNT,
            "mean_t": Column(NUMBER),
            "sd_t": Column(POSITIVE),
            "n_t": Column(SIZE),
            "mean_c": Column(NUMBER),
            "sd_c": Column(POSITIVE),
            "n_c": Column(SIZE),
            "status": Column(required=True, choices=STATUSES),
            "derivation": Column(choices=DERIVATIONS),
            "source_type": Column(SOURCE_TYPE_LIST),
            "source": Column(),
            "quote": Column(),
            "notes": Column(),
        },
        key=("study_id", "outcome", "denominator", "derivation"),
    ),
    "risk_of_bias": FileSpec(
        {
            "study_id": _REQUIRED,
            "domain": Column(required=True, choices=ROB_DOMAINS),
            "judgment": Column(required=True, choices=JUDGMENTS),
            "support": _REQUIRED,
            "source": _REQUIRED,
        },
        key=("study_id", "domain"),
    ),
    "rob_paper_totals": FileSpec(
        {
            "domain": Column(required=True, choices=ROB_DOMAINS),
            "high": _COUNT,
            "unclear": _COUNT,
            "location": _REQUIRED,
            "quote": Column(),
        },
        key=("domain",),
    ),
    "prisma": FileSpec(
        {
            "step": Column(required=True, choices=PRISMA_STEPS),
            "count": _COUNT,
            "label": _REQUIRED,
            "source": _REQUIRED,
        }
    ),
    "search": FileSpec(
        {"field": _REQUIRED, "value": _REQUIRED, "source": _REQUIRED},
        key=("field",),
    ),
    "reported": FileSpec(
        {
            "analysis": Column(required=True, choices=tuple(OUTCOMES)),
            "k": _COUNT,
            "n_total": _COUNT,
            "n_t": _COUNT,
            "n_c": _COUNT,
            "measure": Column(required=True, choices=MEASURES),
            "model": Column(required=True, choices=MODELS),
            "estimate": Column(NUMBER, required=True),
            "ci_low": Column(NUMBER, required=True),
            "ci_high": Column(NUMBER, required=True),
            "z": Column(NUMBER),
            "p": Column(),
            "i2": Column(PERCENT),
            "location": _REQUIRED,
            "quote": Column(),
        },
        key=("analysis",),
    ),
    "reported_facts": FileSpec(
        {
            "analysis": Column(required=True, choices=tuple(OUTCOMES)),
            "quantity": Column(required=True),
            "value": Column(required=True),  # kept as printed text: its decimals matter
            "location": _REQUIRED,
            "quote": _REQUIRED,
        },
        key=("analysis", "quantity", "location", "quote"),
    ),
    "other_reviews": OTHER_REVIEWS,
    "estimates": FileSpec(
        {
            "study_id": _REQUIRED,
            "outcome": Column(required=True, choices=tuple(OUTCOMES)),
            "measure": Column(required=True, choices=MEASURES),
            "estimate": Column(NUMBER, required=True),
            "ci_low": Column(NUMBER, required=True),
            "ci_high": Column(NUMBER, required=True),
            "adjusted_for": _REQUIRED,
            "source": _REQUIRED,
            "source_type": Column(SOURCE_TYPE_LIST, required=True),
            "quote": _REQUIRED,
            "notes": Column(),
        },
        key=("study_id", "outcome", "measure"),
    ),
    "study_facts": FileSpec(
        {
            "study_id": Column(STUDY_ID, required=True),
            "outcome": Column(required=True, choices=tuple(OUTCOMES)),
            "denominator": Column(required=True, choices=DENOMINATORS),
            "quantity": Column(required=True, choices=tuple(STUDY_FACT_QUANTITIES)),
            "value": _REQUIRED,  # kept as printed text (its decimals matter), checked by quantity
            "source": _REQUIRED,
            "source_type": Column(SOURCE_TYPE_LIST, required=True),
            "quote": _REQUIRED,
        },
        key=("study_id", "outcome", "denominator", "quantity"),
    ),
    "harms": FileSpec(
        {
            "study_id": Column(STUDY_ID, required=True),
            "event": _REQUIRED,
            "unit": Column(required=True, choices=HARM_UNITS),
            "events_t": _COUNT,
            "total_t": _COUNT,
            "events_c": _COUNT,
            "total_c": _COUNT,
            "description": _REQUIRED,
            "source": _REQUIRED,
            "source_type": Column(SOURCE_TYPE_LIST, required=True),
            "quote": _REQUIRED,
        },
        key=("study_id", "event"),
    ),
    "overlaps": FileSpec(
        {
            "study_id": Column(STUDY_ID, required=True),
            "other_study_id": Column(STUDY_ID, required=True),
            "overlap": _REQUIRED,
            "certainty": Column(required=True, choices=OVERLAP_CERTAINTIES),
            "source": _REQUIRED,
            "quote": _REQUIRED,
        },
        key=("study_id", "other_study_id"),
    ),
}
"""Every data file (``<name>.csv``) and its columns, as ``data/README.md`` defines them."""


# --------------------------------------------------------------------------- living review: the screening log
# (issue 15) data/screening.csv: one row per record imported from a search-update export
# (metarmc.living writes it); its columns and rules live here like every other file's.

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_RECORD_ID = re.compile(r"[a-z]+:[A-Za-z0-9._-]+")
_REVIEWERS = re.compile(r"[A-Z]{2,4}(,[A-Z]{2,4})+")


def _iso_date(raw: str) -> str | None:
    """``raw`` if it is a real calendar date written YYYY-MM-DD, else None."""
    if not _ISO_DATE.fullmatch(raw):
        return None
    try:
        date.fromisoformat(raw)
    except ValueError:
        return None
    return raw


DATE = Kind("an ISO date YYYY-MM-DD", "str", _iso_date)
RECORD_ID = Kind("source:accession (e.g. pubmed:25412569)", "str",
                 lambda raw: raw if _RECORD_ID.fullmatch(raw) else None)
REVIEWERS = Kind("two or more reviewers' initials, comma-separated (e.g. AB,CD): screening is done in duplicate",
                 "str", lambda raw: raw if _REVIEWERS.fullmatch(raw) else None)

SOURCES = ("pubmed", "embase", "wos", "central", "ctgov", "other")
"""Where a screened record came from: bibliographic databases, then trial registers (``ctgov``)."""
REGISTERS = ("ctgov",)
"""The :data:`SOURCES` that are trial registers (PRISMA counts them apart from databases)."""
SCREENING_STAGES = ("title_abstract", "full_text")
DECISIONS: Mapping[str, tuple[str, ...]] = {
    "title_abstract": ("include", "exclude"),
    "full_text": ("include", "exclude", "not_retrieved"),
}
"""The decisions of each screening stage (``not_retrieved``: the full text was sought, not obtained)."""

FILES["screening"] = FileSpec(
    {
        "record_id": Column(RECORD_ID, required=True),
        "source": Column(required=True, choices=SOURCES),
        "searched": Column(DATE, required=True),
        "imported": Column(DATE, required=True),
        "file": _REQUIRED,
        "title": _REQUIRED,
        "first_author": Column(),
        "authors": Column(),
        "year": Column(YEAR),
        "journal": Column(),
        "doi": Column(),
        "pmid": Column(),
        "registry_id": Column(),
        "publication_type": Column(),
        "duplicate_of": Column(),
        **{name: column for stage in SCREENING_STAGES for name, column in (
            (stage, Column(choices=DECISIONS[stage])),
            (f"{stage}_reason", Column()),
            (f"{stage}_reviewers", Column(REVIEWERS)),
            (f"{stage}_date", Column(DATE)),
        )},
        "study_id": Column(),
        "history": Column(),
    },
    key=("record_id",),
)


def _screening_problems(table: _Table, studies: _Table | None) -> Iterator[Problem]:
    """Check each screening-log row: duplicates, decisions with reviewers and dates, stage order."""
    known_studies = set(studies.column("study_id")) if studies is not None and studies.has("study_id") else None
    seen: set[str] = set()
    for number, row in table.rows:
        for column, message in _screening_messages(row, seen, known_studies):
            yield Problem(table.file, number, column, message)
        seen.add(row.get("record_id", ""))


def _screening_messages(row: dict[str, str], seen: set[str], studies: set[str] | None) -> Iterator[tuple[str, str]]:
    """Yield (column, message) for each problem of one screening-log row."""
    duplicate = row.get("duplicate_of", "")
    if duplicate and duplicate not in seen and (studies is None or duplicate not in studies):
        yield "duplicate_of", ("duplicate_of must be the record_id of an earlier row or a study_id of studies.csv; "
                               f"found {duplicate!r}")
    for stage in SCREENING_STAGES:
        decision = row.get(stage, "")
        if decision and duplicate:
            yield stage, f"{stage} must be empty on a duplicate (duplicate_of {duplicate}); found {decision!r}"
        for detail in ("reviewers", "date"):
            name = f"{stage}_{detail}"
            if decision and not row.get(name, "") and name in row:
                yield name, f"{name} is required when {stage} is decided; found an empty cell"
            if row.get(name, "") and not decision:
                yield name, f"{name} must be empty while {stage} is undecided; found {row[name]!r}"
    if row.get("full_text", "") and row.get("title_abstract", "") != "include":
        yield "full_text", (f"full_text needs title_abstract include first; found title_abstract "
                            f"{row.get('title_abstract', '')!r}")
    if row.get("full_text", "") == "exclude" and "full_text_reason" in row and not row["full_text_reason"]:
        yield "full_text_reason", "full_text_reason is required when full_text is exclude; found an empty cell"
    study = row.get("study_id", "")
    if study and studies is not None and study not in studies:
        yield "study_id", f"study_id must be empty or a study_id of studies.csv; found {study!r}"

# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the data, located like a spreadsheet cell.

    Parameters
    ----------
    file : str
        File name, e.g. ``"outcomes.csv"``.
    row : int
        Row number with the header as row 1 (row 1 also for file-level problems).
    column : str
        Column name, or ``"-"`` for problems of a whole file or row.
    message : str
        What was expected and what was found.
    """

    file: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}:{self.column}: {self.message}"


class DataError(ValueError):
    """The data folder does not follow the schema; ``problems`` lists every problem."""

    def __init__(self, data_dir: Path, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(map(str, problems))
        super().__init__(f"{len(problems)} problem(s) in {data_dir}:\n{lines}")


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class _Table:
    """The raw text of one data file: its header and its well-formed rows by row number."""

    file: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]

    def has(self, *columns: str) -> bool:
        """Whether the header holds all of ``columns``."""
        return set(columns) <= set(self.header)

    def column(self, name: str) -> list[str]:
        """The cells of column ``name``, one per row."""
        return [row[name] for _, row in self.rows]


def _file_problem(file: str, message: str) -> Problem:
    """A problem of a whole file, reported at row 1, column ``-``."""
    return Problem(file, 1, "-", message)


def _read(path: Path, spec: FileSpec) -> tuple[_Table | None, list[Problem]]:
    """Read one CSV file as text; report a missing file, a bad header or ragged rows."""
    file = path.name
    if not path.is_file():
        columns = ", ".join(spec.columns)
        return None, [_file_problem(file, f"file missing; expected {path} with columns {columns}")]
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            records = [[cell.strip() for cell in record] for record in csv.reader(handle)]
    except (UnicodeDecodeError, csv.Error) as error:
        return None, [_file_problem(file, f"expected a UTF-8 CSV file; found an unreadable one ({error})")]
    if not records:
        return None, [_file_problem(file, "expected a header row; found an empty file")]
    header, body = tuple(records[0]), records[1:]
    problems = list(_header_problems(file, header, spec))
    rows = []
    for number, record in enumerate(body, start=2):
        if not any(record):
            continue
        if len(record) != len(header):
            message = f"expected {len(header)} fields, as in the header; found {len(record)}"
            problems.append(Problem(file, number, "-", message))
            continue
        rows.append((number, _cells(header, record)))
    return _Table(file, header, tuple(rows)), problems


def _cells(header: tuple[str, ...], record: list[str]) -> dict[str, str]:
    """A record as {column: cell}; a repeated column keeps its first cell."""
    cells: dict[str, str] = {}
    for name, cell in zip(header, record):
        cells.setdefault(name, cell)
    return cells


def _header_problems(file: str, header: tuple[str, ...], spec: FileSpec) -> Iterator[Problem]:
    """Report unknown, repeated and missing columns."""
    expected = ", ".join(spec.columns)
    for name in dict.fromkeys(header):
        if name not in spec.columns:
            yield Problem(file, 1, name or "-", f"unknown column {name!r}; expected only: {expected}")
        elif header.count(name) > 1:
            times = header.count(name)
            message = f"expected column {name!r} once in the header; found it {times} times"
            yield Problem(file, 1, name, message)
    for name in spec.columns:
        if name not in header:
            yield Problem(file, 1, name, f"column missing; expected a column {name!r} in the header")


def _read_all(data_dir: Path) -> tuple[dict[str, _Table | None], list[Problem]]:
    """Read every file of :data:`FILES` from ``data_dir``."""
    tables, problems = {}, []
    for name, spec in FILES.items():
        tables[name], found = _read(data_dir / f"{name}.csv", spec)
        problems += found
    return tables, problems


# --------------------------------------------------------------------------- checks of one file


def _cell_problems(table: _Table, spec: FileSpec) -> Iterator[Problem]:
    """Report empty required cells, values of the wrong type and unknown labels."""
    for number, row in table.rows:
        for name, column in spec.columns.items():
            message = column.problem(name, row[name]) if name in row else None
            if message:
                yield Problem(table.file, number, name, message)


def _key_problems(table: _Table, spec: FileSpec) -> Iterator[Problem]:
    """Report rows whose key (e.g. study_id, outcome, denominator) repeats an earlier row."""
    if not spec.key or not table.has(*spec.key):
        return
    first: dict[tuple[str, ...], int] = {}
    for number, row in table.rows:
        key = tuple(row[name] for name in spec.key)
        if not all(key):
            continue
        if key in first:
            yield Problem(
                table.file,
                number,
                spec.key[-1],
                f"expected each ({', '.join(spec.key)}) once; found ({', '.join(key)}) again, "
                f"first on row {first[key]}",
            )
        else:
            first[key] = number


def _value(file: str, column: str, raw: str) -> object:
    """The parsed value of a cell, or None if empty or invalid (reported elsewhere)."""
    return FILES[file].columns[column].kind.value(raw) if raw else None


# --------------------------------------------------------------------------- outcomes.csv


def _outcome_row_problems(table: _Table) -> Iterator[Problem]:
    """Check each outcome row's values against each other, its outcome type and its status."""
    for number, row in table.rows:
        for column, message in _outcome_messages(row):
            yield Problem(table.file, number, column, message)


def _outcome_messages(row: dict[str, str]) -> Iterator[tuple[str, str]]:
    """Yield (column, message) for each problem of one outcome row."""
    yield from _events_messages(row)
    yield from _source_messages(row)
    kind = OUTCOMES.get(row.get("outcome", ""))
    if kind is not None and "status" in row:
        yield from _kind_messages(row, kind)
        yield from _status_messages(row, kind)


def _kind_messages(row: dict[str, str], kind: str) -> Iterator[tuple[str, str]]:
    """Report values filled in the columns of the other outcome type."""
    for name in ALL_VALUES:
        if name not in VALUE_COLUMNS[kind] and row.get(name):
            yield name, f"{name} must be empty for {row['outcome']} ({kind} outcome); found {row[name]!r}"


def _status_messages(row: dict[str, str], kind: str) -> Iterator[tuple[str, str]]:
    """Require every value (and a derivation) when extracted, and no value otherwise."""
    status, own = row["status"], [name for name in VALUE_COLUMNS[kind] if name in row]
    if status == "extracted":
        needs = f"{row['outcome']} needs {', '.join(VALUE_COLUMNS[kind])}"
        for name in own:
            if not row[name]:
                yield name, f"{name} is required when status is extracted ({needs}); found an empty cell"
        for name in ("derivation", "source_type"):
            if row.get(name) == "":
                expected = FILES["outcomes"].columns[name].expected
                yield name, f"{name} is required when status is extracted ({expected}); found an empty cell"
    elif status in STATUSES:
        for name in own:
            if row[name]:
                yield name, f"{name} must be empty when status is {status}; found {row[name]!r}"


def _events_messages(row: dict[str, str], file: str = "outcomes") -> Iterator[tuple[str, str]]:
    """Report arms with more events than patients."""
    for arm in "tc":
        events_name, total_name = f"events_{arm}", f"total_{arm}"
        if not {events_name, total_name} <= row.keys():
            continue
        events = _value(file, events_name, row[events_name])
        total = _value(file, total_name, row[total_name])
        if events is not None and total is not None and events > total:
            yield events_name, (f"{events_name} must be an integer between 0 and {total_name} ({total}); "
                                f"found {events}")


def _source_messages(row: dict[str, str]) -> Iterator[tuple[str, str]]:
    """Report a row with values but no source."""
    filled = [name for name in ALL_VALUES if row.get(name)]
    if filled and row.get("source") == "":
        yield "source", (f"source is required when values are filled ({', '.join(filled)}); "
                         "found an empty cell")


def _main_problems(table: _Table) -> Iterator[Problem]:
    """Require exactly one ``main=yes`` row per study x outcome that has extracted values."""
    if not table.has("study_id", "outcome", "main", "status"):
        return
    groups: dict[tuple[str, str], list[tuple[int, dict[str, str]]]] = defaultdict(list)
    for number, row in table.rows:
        groups[row["study_id"], row["outcome"]].append((number, row))
    for (study, outcome), rows in groups.items():
        if not any(row["status"] == "extracted" for _, row in rows):
            continue
        mains = [number for number, row in rows if row["main"] == "yes"]
        if len(mains) != 1:
            yield Problem(
                table.file,
                mains[1] if mains else rows[0][0],
                "main",
                f"expected main=yes on exactly one row of {study} x {outcome} (it has extracted values); "
                f"found {len(mains)}",
            )


def _unknown_study_problems(table: _Table, studies: _Table | None, column: str = "study_id") -> Iterator[Problem]:
    """Report rows whose ``column`` (a study_id) is not a key of studies.csv."""
    if studies is None or not studies.has("study_id") or not table.has(column):
        return
    known = set(studies.column("study_id"))
    for number, row in table.rows:
        if row[column] and row[column] not in known:
            message = f"{column} must be a study_id of studies.csv; found {row[column]!r}"
            yield Problem(table.file, number, column, message)


def _itt_problems(table: _Table, studies: _Table | None) -> Iterator[Problem]:
    """Require an ``itt`` row's arm totals to be the study's randomised arms, where studies.csv gives them.

    ``itt`` reads "all randomised women"; a trial that analysed fewer (women excluded after
    randomisation) is ``treated`` or another denominator, never ``itt``.
    """
    if studies is None or not studies.has("study_id", "n_randomised_t", "n_randomised_c"):
        return
    arms = {row["study_id"]: (row["n_randomised_t"], row["n_randomised_c"]) for _, row in studies.rows}
    for number, row in table.rows:
        randomised = arms.get(row.get("study_id"), ("", ""))
        totals = (row.get("total_t", ""), row.get("total_c", ""))
        if row.get("denominator") != "itt" or "" in randomised or "" in totals:
            continue
        totals, randomised = tuple(map(_integer, totals)), tuple(map(_integer, randomised))
        if None not in totals + randomised and totals != randomised:
            yield Problem(table.file, number, "denominator",
                          f"itt means all randomised women, but the totals {totals[0]}/{totals[1]} differ from the "
                          f"randomised arms {randomised[0]}/{randomised[1]} of studies.csv "
                          f"(n_randomised_t/n_randomised_c); "
                          f"expected another denominator, e.g. treated: {DENOMINATOR_WORDS['treated']}")


# --------------------------------------------------------------------------- other files


def _interval_problems(table: _Table) -> Iterator[Problem]:
    """Require ci_low <= estimate <= ci_high (and positive values for a ratio)."""
    for number, row in table.rows:
        values = [_value(table.file.removesuffix(".csv"), c, row[c]) for c in ("ci_low", "estimate", "ci_high")]
        if None in values:
            continue
        if not values[0] <= values[1] <= values[2]:
            yield Problem(table.file, number, "estimate", f"expected ci_low <= estimate <= ci_high; found "
                          f"{values[0]:g}, {values[1]:g}, {values[2]:g}")
        elif row.get("measure") in ("OR", "RR") and values[0] <= 0:
            yield Problem(table.file, number, "ci_low", f"a ratio's CI must be positive; found {values[0]:g}")


def _missing_domain_problems(table: _Table, studies: _Table | None) -> Iterator[Problem]:
    """Require a judgment for every RoB domain of every study."""
    if studies is None or not studies.has("study_id") or not table.has("study_id", "domain"):
        return
    judged = defaultdict(set)
    for _, row in table.rows:
        judged[row["study_id"]].add(row["domain"])
    for study in dict.fromkeys(studies.column("study_id")):
        missing = [domain for domain in ROB_DOMAINS if domain not in judged[study]]
        if study and missing:
            yield _file_problem(
                table.file,
                f"expected a judgment for each of the {len(ROB_DOMAINS)} domains for {study}; "
                f"found none for {', '.join(missing)}",
            )


def _prisma_problems(table: _Table) -> Iterator[Problem]:
    """Require one counted row per flow step, and counts that add up."""
    if not table.has("step", "count"):
        return
    steps: dict[str, list[tuple[int, dict[str, str]]]] = defaultdict(list)
    for number, row in table.rows:
        steps[row["step"]].append((number, row))
    for step in FLOW_STEPS:
        yield from _flow_step_problems(table.file, step, steps.get(step, []))
    counted = {step: (rows[0][0], _value("prisma", "count", rows[0][1]["count"]))
               for step, rows in steps.items()}
    yield from _flow_sum_problem(table.file, counted, "identified", "excluded_screening", "full_text")
    yield from _flow_sum_problem(table.file, counted, "full_text", "excluded_full_text", "included")


def _flow_step_problems(file: str, step: str, rows: list[tuple[int, dict[str, str]]]) -> Iterator[Problem]:
    """Require exactly one row with a count for flow step ``step``."""
    if not rows:
        yield _file_problem(file, f"expected one row with step {step}; found none")
    for number, _ in rows[1:]:
        message = f"expected one row with step {step}; found another, first on row {rows[0][0]}"
        yield Problem(file, number, "step", message)
    if rows and not rows[0][1]["count"]:
        message = f"count is required for step {step} ({COUNT.description}); found an empty cell"
        yield Problem(file, rows[0][0], "count", message)


def _flow_sum_problem(
    file: str, counted: dict[str, tuple[int, object]], start: str, minus: str, result: str
) -> Iterator[Problem]:
    """Require count(start) - count(minus) == count(result), reported at the result's row."""
    values = [counted.get(step, (0, None))[1] for step in (start, minus, result)]
    if None in values:
        return
    expected = values[0] - values[1]
    if expected != values[2]:
        yield Problem(
            file,
            counted[result][0],
            "count",
            f"count of {result} must equal {start} - {minus} = {values[0]} - {values[1]} = {expected}; "
            f"found {values[2]}",
        )


def _study_fact_problems(table: _Table) -> Iterator[Problem]:
    """Check each value against its quantity; require both arms' percentages, never one alone."""
    if not table.has("study_id", "outcome", "denominator", "quantity", "value"):
        return
    groups: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)
    for number, row in table.rows:
        kind = STUDY_FACT_QUANTITIES.get(row["quantity"])
        if kind is not None and row["value"] and kind.value(row["value"]) is None:
            message = f"value of a {row['quantity']} must be {kind.description}; found {row['value']!r}"
            yield Problem(table.file, number, "value", message)
        groups[row["study_id"], row["outcome"], row["denominator"]].setdefault(row["quantity"], number)
    for (study, outcome, denominator), quantities in groups.items():
        given = [q for q in ARM_PERCENTS if q in quantities]
        if len(given) == 1:
            other = next(q for q in ARM_PERCENTS if q not in quantities)
            message = (f"expected {other} beside {given[0]} for {study} x {outcome} x {denominator} "
                       "(a percentage is checked with the other arm's); found none")
            yield Problem(table.file, quantities[given[0]], "quantity", message)


def _harm_problems(table: _Table) -> Iterator[Problem]:
    """Report arms with more events than patients, and a total given without its events."""
    for number, row in table.rows:
        for column, message in _events_messages(row, "harms"):
            yield Problem(table.file, number, column, message)
        for arm in "tc":
            if row.get(f"total_{arm}") and row.get(f"events_{arm}") == "":
                message = (f"events_{arm} is required when total_{arm} is given ({COUNT.description}); "
                           "found an empty cell")
                yield Problem(table.file, number, f"events_{arm}", message)


def _overlap_problems(table: _Table) -> Iterator[Problem]:
    """Report a study paired with itself, and a pair listed again in the other order."""
    if not table.has("study_id", "other_study_id"):
        return
    first: dict[frozenset[str], tuple[int, str]] = {}
    for number, row in table.rows:
        study, other = row["study_id"], row["other_study_id"]
        pair = frozenset((study, other))
        if not (study and other):
            continue
        if study == other:
            message = f"other_study_id must be another study than study_id; found {other!r} in both"
            yield Problem(table.file, number, "other_study_id", message)
        elif pair not in first:
            first[pair] = (number, study)
        elif first[pair][1] != study:  # the same order repeated is the key rule's problem
            message = (f"expected each pair of studies once, in either order; found ({study}, {other}) again, "
                       f"first on row {first[pair][0]}")
            yield Problem(table.file, number, "other_study_id", message)


# --------------------------------------------------------------------------- other_reviews.csv: its checks

_RESULT_VALUES = ("measure", "model", "estimate", "ci_low", "ci_high", "p")


def _other_review_problems(table: _Table, studies: _Table | None) -> Iterator[Problem]:
    """Check each row of ``other_reviews.csv``, its trial lists against studies.csv, and each review's rows."""
    for number, row in table.rows:
        for column, message in (*_review_result_messages(row), *_trial_list_messages(row)):
            yield Problem(table.file, number, column, message)
    yield from _trials_in_paper_problems(table, studies)
    yield from _review_level_problems(table)


def _review_result_messages(row: dict[str, str]) -> Iterator[tuple[str, str]]:
    """A result needs its measure, estimate, CI and quote when extracted, no value otherwise, and a sane CI."""
    status = row.get("status")
    if status == "extracted":
        for name in ("measure", "estimate", "ci_low", "ci_high", "quote"):
            if row.get(name) == "":
                yield name, f"{name} is required when status is extracted; found an empty cell"
    elif status in STATUSES:
        for name in _RESULT_VALUES:
            if row.get(name):
                yield name, f"{name} must be empty when status is {status}; found {row[name]!r}"
        if row.get("notes") == "":
            yield "notes", f"notes is required when status is {status} (say what was reached); found an empty cell"
    low, estimate, high = (_value("other_reviews", name, row.get(name, ""))
                           for name in ("ci_low", "estimate", "ci_high"))
    if None not in (low, estimate, high) and not low <= estimate <= high:
        yield "estimate", f"estimate must lie within ci_low to ci_high ({low} to {high}); found {estimate}"
    studies, rcts = (_value("other_reviews", name, row.get(name, "")) for name in ("n_studies", "n_rcts"))
    if None not in (studies, rcts) and rcts > studies:
        yield "n_rcts", f"n_rcts must be at most n_studies ({studies}); found {rcts}"


def _trial_list_messages(row: dict[str, str]) -> Iterator[tuple[str, str]]:
    """A trial list goes with its source, holds each trial once, and a complete one counts n_studies trials."""
    listed = row.get("trials_listed")
    keys = [key for name in ("trials_in_paper", "trials_other") for key in split_keys(row.get(name, ""))]
    if listed == "none":
        for name in ("trials_in_paper", "trials_other"):
            if row.get(name):
                yield name, f"{name} must be empty when trials_listed is none; found {row[name]!r}"
    elif listed in TRIAL_LISTS:
        if not keys:
            yield "trials_listed", (f"trials_listed {listed} needs at least one key in trials_in_paper or "
                                    "trials_other; found none")
        for name in ("trials_source", "trials_source_type", "trials_quote"):
            if row.get(name) == "":
                yield name, f"{name} is required when trials_listed is {listed}; found an empty cell"
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        yield "trials_other", (f"expected each trial once in trials_in_paper and trials_other; "
                               f"found {', '.join(repeated)} again")
    n_studies = _value("other_reviews", "n_studies", row.get("n_studies", ""))
    if listed == "complete" and n_studies is not None and len(keys) != n_studies:
        yield "trials_listed", (f"a complete trial list must name n_studies ({n_studies}) trials; "
                                f"found {len(keys)}")


def _trials_in_paper_problems(table: _Table, studies: _Table | None) -> Iterator[Problem]:
    """trials_in_paper holds only study_ids of studies.csv, and trials_other none of them."""
    if studies is None or not studies.has("study_id") or not table.has("trials_in_paper", "trials_other"):
        return
    known = set(studies.column("study_id"))
    for number, row in table.rows:
        unknown = [key for key in split_keys(row["trials_in_paper"]) if key not in known]
        if unknown:
            message = f"trials_in_paper must hold study_ids of studies.csv; found {', '.join(unknown)}"
            yield Problem(table.file, number, "trials_in_paper", message)
        paper = [key for key in split_keys(row["trials_other"]) if key in known]
        if paper:
            message = (f"trials_other must hold only trials the paper did not include; found {', '.join(paper)}, "
                       "a study_id of studies.csv (it belongs in trials_in_paper)")
            yield Problem(table.file, number, "trials_other", message)


def _review_level_problems(table: _Table) -> Iterator[Problem]:
    """Every row of one review repeats the same review-level cells (:data:`REVIEW_LEVEL_COLUMNS`)."""
    first: dict[str, tuple[int, dict[str, str]]] = {}
    for number, row in table.rows:
        review = row.get("review_id", "")
        if review not in first:
            first[review] = (number, row)
            continue
        where, earlier = first[review]
        for name in REVIEW_LEVEL_COLUMNS:
            if name in row and row[name] != earlier[name]:
                yield Problem(table.file, number, name,
                              f"{name} must be the same on every row of review {review} (as on row {where}: "
                              f"{earlier[name]!r}); found {row[name]!r}")


# --------------------------------------------------------------------------- validate


def _problems(tables: Mapping[str, _Table | None]) -> list[Problem]:
    """Every problem of the content of tables already read (cells, keys, cross-file rules)."""
    problems: list[Problem] = []
    for name, table in tables.items():
        if table is not None:
            problems += _cell_problems(table, FILES[name])
            problems += _key_problems(table, FILES[name])
    studies = tables["studies"]

    def known(column: str = "study_id") -> Callable[[_Table], Iterator[Problem]]:
        return lambda table: _unknown_study_problems(table, studies, column)

    checks: dict[str, tuple[Callable[[_Table], Iterator[Problem]], ...]] = {
        "outcomes": (_outcome_row_problems, _main_problems, known(), lambda rows: _itt_problems(rows, studies)),
        "risk_of_bias": (known(), lambda rob: _missing_domain_problems(rob, studies)),
        "prisma": (_prisma_problems,),
        "estimates": (known(), _interval_problems),
        "study_facts": (known(), _study_fact_problems),
        "harms": (known(), _harm_problems),
        "overlaps": (known(), known("other_study_id"), _overlap_problems),
        "other_reviews": (lambda reviews: _other_review_problems(reviews, studies),),
        "screening": (lambda log: _screening_problems(log, studies),),  # living review (issue 15)
    }
    for name, table_checks in checks.items():
        if tables.get(name) is not None:
            for check in table_checks:
                problems += check(tables[name])
    return problems


def _checked(data_dir: Path) -> tuple[dict[str, _Table | None], list[Problem]]:
    """Read every file of ``data_dir``; return the tables and all problems, by file then row."""
    tables, problems = _read_all(data_dir)
    order = {f"{name}.csv": index for index, name in enumerate(FILES)}
    problems = sorted(problems + _problems(tables), key=lambda problem: (order[problem.file], problem.row))
    return tables, problems


def validate(data_dir: str | Path | None = None) -> list[Problem]:
    """Check every file of a data folder against the schema.

    Parameters
    ----------
    data_dir : str or Path, optional
        The data folder; default :func:`find_data_dir`.

    Returns
    -------
    list of Problem
        Every problem found (empty if the data are valid), by file then row.
    """
    return _checked(Path(data_dir) if data_dir is not None else find_data_dir())[1]


def find_data_dir(start: str | Path | None = None) -> Path:
    """Locate the review's ``data/`` folder.

    Parameters
    ----------
    start : str or Path, optional
        Where to start looking upwards; default the current directory.

    Returns
    -------
    Path
        ``$METARMC_DATA`` if set; else the first ``data/`` holding ``studies.csv`` in ``start``
        or one of its parents; else ``data/`` next to the ``metarmc`` package.
    """
    if os.environ.get("METARMC_DATA"):
        return Path(os.environ["METARMC_DATA"])
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "data" / "studies.csv").is_file():
            return folder / "data"
    return Path(__file__).resolve().parent.parent / "data"


# --------------------------------------------------------------------------- load


def _frame(table: _Table, spec: FileSpec) -> pd.DataFrame:
    """A validated table as a DataFrame with one dtype per column kind (empty cell = NA)."""
    return pd.DataFrame(
        {
            name: pd.Series(
                [column.kind.value(raw) if raw else None for raw in table.column(name)],
                dtype=column.kind.dtype,
            )
            for name, column in spec.columns.items()
        }
    )


def load(data_dir: str | Path | None = None) -> Review:
    """Validate and load a data folder.

    Parameters
    ----------
    data_dir : str or Path, optional
        The data folder; default :func:`find_data_dir`.

    Returns
    -------
    Review
        Every file as a typed DataFrame.

    Raises
    ------
    DataError
        If :func:`validate` finds any problem; its message lists them all.
    """
    data_dir = Path(data_dir) if data_dir is not None else find_data_dir()
    tables, problems = _checked(data_dir)
    if problems:
        raise DataError(data_dir, problems)
    frames = {name: _frame(table, FILES[name]) for name, table in tables.items()}
    return Review(**frames, data_dir=data_dir)


@dataclass(frozen=True, eq=False)
class Review:
    """The review's data, one typed DataFrame per file (columns as in :data:`FILES`).

    Counts are ``Int64``, means and SDs ``float64``, text ``str``; empty cells are NA.
    """

    studies: pd.DataFrame
    outcomes: pd.DataFrame
    risk_of_bias: pd.DataFrame
    rob_paper_totals: pd.DataFrame
    prisma: pd.DataFrame
    search: pd.DataFrame
    reported: pd.DataFrame
    reported_facts: pd.DataFrame
    other_reviews: pd.DataFrame
    estimates: pd.DataFrame
    study_facts: pd.DataFrame
    harms: pd.DataFrame
    overlaps: pd.DataFrame
    screening: pd.DataFrame  # living review (issue 15)
    data_dir: Path
    #: :meth:`_extracted`'s tables by their arguments: the frames above are read-only by contract, and the
    #: same outcome is asked for dozens of times per page (each caller gets its own copy).
    _tables: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def binary(self, outcome: str, main_only: bool = True, denominator: str | None = None) -> pd.DataFrame:
        """The extracted 2x2 counts of a binary outcome, one row per study (and denominator).

        Parameters
        ----------
        outcome : str
            A binary outcome of :data:`OUTCOMES` (e.g. ``"live_birth"``).
        main_only : bool
            Keep only the ``main=yes`` rows (the main analysis); else every extracted row.
        denominator : str, optional
            Keep only rows with this denominator (e.g. ``"pregnant"``).

        Returns
        -------
        DataFrame
            Columns ``study`` (the paper's label), ``study_id``, ``year``, ``events_t``,
            ``total_t``, ``events_c``, ``total_c`` (all ``int64``), then ``denominator``,
            ``main``, ``derivation`` (how the numbers were obtained), ``source_type`` (the kinds
            of document they were read from, :func:`source_kinds`) and the :data:`DESIGN_COLUMNS`;
            only rows with status ``extracted``; ordered by study label as RevMan orders studies.
            :meth:`provenance` says which rows are derived or come from a lay or secondary source.
        """
        return self._extracted(outcome, "binary", main_only, denominator)

    def continuous(
        self, outcome: str, main_only: bool = True, denominator: str | None = None
    ) -> pd.DataFrame:
        """The extracted means, SDs and sizes of a continuous outcome; see :meth:`binary`.

        Returns
        -------
        DataFrame
            As :meth:`binary`, with ``mean_t``, ``sd_t``, ``n_t``, ``mean_c``, ``sd_c``,
            ``n_c`` (means and SDs ``float64``, sizes ``int64``) instead of the counts.
        """
        return self._extracted(outcome, "continuous", main_only, denominator)

    def missing(self, outcome: str) -> pd.DataFrame:
        """The studies left out of the main analysis of ``outcome`` and why.

        Parameters
        ----------
        outcome : str
            An outcome of :data:`OUTCOMES`.

        Returns
        -------
        DataFrame
            The rows of ``outcome`` whose status is not ``extracted``, for every study with
            no ``main=yes`` extracted row: columns ``study``, ``study_id``, ``denominator``,
            ``main``, ``status`` (``not_reported``, ``not_found``, ``not_applicable``; in words
            :data:`STATUS_REASONS`), ``source``, ``notes``; ordered by study label.
        """
        rows = self.rows(outcome)
        used = rows.loc[(rows["status"] == "extracted") & (rows["main"] == "yes"), "study_id"]
        rows = rows[(rows["status"] != "extracted") & ~rows["study_id"].isin(used)]
        columns = ["study", "study_id", "denominator", "main", "status", "source", "notes"]
        return self._by_label(rows)[columns]

    def provenance(self, outcome: str | None = None) -> pd.DataFrame:
        """Where each extracted number comes from, and how directly.

        Parameters
        ----------
        outcome : str, optional
            Keep the rows of this outcome of :data:`OUTCOMES`; default every outcome.

        Returns
        -------
        DataFrame
            One row per extracted row of ``outcomes.csv`` (file order): ``study``, ``study_id``,
            ``outcome``, ``denominator``, ``main``, ``derivation``, ``source_type``, then booleans
            ``derived`` (``derivation`` is not ``reported``: counts computed from percentages or
            other arms, or taken from another review), ``secondary_source`` (read at least in part
            from a :data:`SECONDARY_SOURCE_TYPES` document), ``lay_source`` (at least in part from
            a :data:`LAY_SOURCE_TYPES` one) and ``own_report_only`` (every number read from the
            study's own report or registry record, :data:`OWN_REPORT_TYPES`).

        Examples
        --------
        >>> provenance = load().provenance("live_birth")
        >>> list(provenance.columns[-4:])
        ['derived', 'secondary_source', 'lay_source', 'own_report_only']
        >>> direct = provenance.query("not derived and own_report_only")  # numbers as the trial printed them
        """
        rows = self.outcomes[self.outcomes["status"] == "extracted"]
        if outcome is not None:
            rows = rows[rows["outcome"] == self._known(outcome)]
        labels = self.studies.set_index("study_id")["label"]
        table = rows.assign(study=rows["study_id"].map(labels))[
            ["study", "study_id", "outcome", "denominator", "main", "derivation", "source_type"]]
        flags = provenance_flags(rows).drop(columns="direct")
        return pd.concat([table, flags], axis=1).reset_index(drop=True)

    def safety_signals(self) -> pd.DataFrame:
        """Every safety signal of ``harms.csv`` with its study's label and whether its control arm had an infusion.

        Returns
        -------
        DataFrame
            ``study`` then the columns of ``harms.csv``, then ``control`` and
            ``control_infusion`` (``yes``: the control arm received a placebo infusion; ``no``:
            untreated controls, so infusion reactions are structurally absent there;
            ``unclear``), in file order.
        """
        studies = self.studies.set_index("study_id")
        signals = self.harms.assign(study=self.harms["study_id"].map(studies["label"]),
                                    control=self.harms["study_id"].map(studies["control"]),
                                    control_infusion=self.harms["study_id"].map(studies["control_infusion"]))
        return signals[["study", *FILES["harms"].columns, "control", "control_infusion"]]

    def overlapping(self, study_ids=None) -> pd.DataFrame:
        """Pairs of studies whose participants may overlap (``overlaps.csv``), with their labels.

        Parameters
        ----------
        study_ids : iterable of str, optional
            Keep only pairs with both studies among these (e.g. the studies of one pooled
            analysis, to flag it); default every pair.

        Returns
        -------
        DataFrame
            ``study``, ``other_study`` (labels), then the columns of ``overlaps.csv``, in file order.
        """
        labels = self.studies.set_index("study_id")["label"]
        pairs = self.overlaps
        if study_ids is not None:
            chosen = set(study_ids)
            pairs = pairs[pairs["study_id"].isin(chosen) & pairs["other_study_id"].isin(chosen)]
        pairs = pairs.assign(study=pairs["study_id"].map(labels), other_study=pairs["other_study_id"].map(labels))
        return pairs[["study", "other_study", *FILES["overlaps"].columns]].reset_index(drop=True)

    def reported_row(self, analysis: str) -> pd.Series:
        """The paper's printed pooled result for ``analysis`` (a row of ``reported.csv``).

        Raises
        ------
        KeyError
            If ``reported.csv`` has no row for ``analysis``.
        """
        rows = self.reported[self.reported["analysis"] == analysis]
        if rows.empty:
            known = ", ".join(self.reported["analysis"])
            raise KeyError(f"reported.csv has no analysis {analysis!r}; it has {known}")
        return rows.iloc[0]

    def rows(self, outcome: str) -> pd.DataFrame:
        """Every row of ``outcome`` (any status), joined with its study's label (``study``), year and design.

        Raises
        ------
        ValueError
            If ``outcome`` is not one of :data:`OUTCOMES`.
        """
        study = self.studies[["study_id", "label", "year", *DESIGN_COLUMNS]]
        study = study.rename(columns={"label": "study"})
        rows = self.outcomes[self.outcomes["outcome"] == self._known(outcome)]
        return rows.merge(study, on="study_id", how="left")

    @staticmethod
    def _known(outcome: str) -> str:
        """``outcome`` if it is one of :data:`OUTCOMES`; ValueError naming them otherwise."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}; found {outcome!r}")
        return outcome

    def studies_by_label(self) -> pd.DataFrame:
        """``studies.csv`` ordered by label as RevMan orders studies (case-insensitive)."""
        return self.studies.sort_values("label", key=lambda text: text.str.casefold(), kind="stable")

    def sourced_arm_sizes(self, study_id: str) -> list[tuple[tuple[int, int], str]]:
        """Distinct sourced arm sizes ``(total_t, total_c)`` of a study, each with where it comes from.

        Extracted rows of any outcome first (in file order), then ``studies.csv``'s analysed
        and randomised arms.
        """
        found = {}
        outcomes = self.outcomes
        rows = outcomes[(outcomes["study_id"] == study_id) & (outcomes["status"] == "extracted")
                        & outcomes["total_t"].notna()]
        for r in rows.itertuples():
            found.setdefault((int(r.total_t), int(r.total_c)), f"{r.outcome} row ({r.denominator})")
        study = self.studies[self.studies["study_id"] == study_id].iloc[0]
        for kind in ("analysed", "randomised"):
            t, c = study[f"n_{kind}_t"], study[f"n_{kind}_c"]
            if not (pd.isna(t) or pd.isna(c)):
                found.setdefault((int(t), int(c)), f"studies.csv n_{kind}")
        return list(found.items())

    def other_review_list(self) -> pd.DataFrame:
        """The other reviews of ``other_reviews.csv``, one row per review, with their trial lists split.

        Returns
        -------
        DataFrame
            The :data:`REVIEW_LEVEL_COLUMNS` of each review's first row, in file order, with
            ``trials_in_paper`` and ``trials_other`` as tuples of keys (empty tuple: none seen)
            and ``studies_in_paper``, the labels of ``trials_in_paper``.

        Examples
        --------
        >>> reviews = load().other_review_list().set_index("review_id")
        >>> reviews.loc["habets2022", ["trials_listed", "studies_in_paper"]].tolist()
        ['partial', ('Jafarzadeh 2019',)]
        """
        reviews = self.other_reviews.drop_duplicates("review_id")[list(REVIEW_LEVEL_COLUMNS)].reset_index(drop=True)
        labels = self.studies.set_index("study_id")["label"]
        for name in ("trials_in_paper", "trials_other"):
            reviews[name] = [split_keys(raw) if isinstance(raw, str) else () for raw in reviews[name]]
        reviews["studies_in_paper"] = [tuple(labels[key] for key in keys) for keys in reviews["trials_in_paper"]]
        return reviews
    def reported_estimates(self, outcome: str) -> pd.DataFrame:
        """The effect estimates studies themselves report for ``outcome`` (``estimates.csv``, e.g. an adjusted
        odds ratio), with the study's label (``study``) and design columns, ordered by label."""
        study = self.studies[["study_id", "label", "year", *DESIGN_COLUMNS]].rename(columns={"label": "study"})
        rows = self.estimates[self.estimates["outcome"] == self._known(outcome)].merge(study, on="study_id", how="left")
        return self._by_label(rows.assign(denominator=""))

    def judgments(self) -> pd.DataFrame:
        """The risk-of-bias judgments with the studies' labels: ``study``, ``study_id``, ``domain``,
        ``judgment``, ``support``, ``source``, in file order."""
        labels = self.studies.set_index("study_id")["label"]
        rob = self.risk_of_bias.assign(study=lambda d: d["study_id"].map(labels))
        return rob[["study", "study_id", "domain", "judgment", "support", "source"]]

    def judgment_grid(self, study_ids, domains) -> pd.DataFrame:
        """The judgments of ``domains`` (columns) for the studies ``study_ids`` (rows, in their order).

        Raises
        ------
        ValueError
            If a study has no judgment for one of the domains.
        """
        rob = self.risk_of_bias
        table = rob[rob["domain"].isin(domains)].pivot(index="study_id", columns="domain", values="judgment")
        missing = [(s, d) for s in study_ids for d in domains if s not in table.index or pd.isna(table.at[s, d])]
        if missing:
            raise ValueError(f"risk_of_bias.csv has no {missing[0][1]} judgment for study {missing[0][0]!r}")
        return table.loc[list(study_ids), list(domains)].reset_index(drop=True)

    def _extracted(self, outcome: str, kind: str, main_only: bool, denominator: str | None) -> pd.DataFrame:
        """The extracted rows of an outcome of type ``kind``, typed and ordered (a copy the caller owns)."""
        key = (outcome, kind, main_only, denominator)
        if key not in self._tables:
            self._tables[key] = self._extract(outcome, kind, main_only, denominator)
        return self._tables[key].copy()

    def _extract(self, outcome: str, kind: str, main_only: bool, denominator: str | None) -> pd.DataFrame:
        if OUTCOMES.get(outcome) != kind:
            kinds = [name for name, of in OUTCOMES.items() if of == kind]
            raise ValueError(f"outcome must be a {kind} outcome ({', '.join(kinds)}); found {outcome!r}")
        rows = self.rows(outcome)
        keep = rows["status"] == "extracted"
        if main_only:
            keep &= rows["main"] == "yes"
        if denominator is not None:
            keep &= rows["denominator"] == denominator
        values = list(VALUE_COLUMNS[kind])
        columns = ["study", "study_id", "year", *values, "denominator", "main", "derivation", "source_type",
                   *DESIGN_COLUMNS]
        outcome_columns = FILES["outcomes"].columns
        integers = ["year", *(name for name in values if outcome_columns[name].kind.dtype == "Int64")]
        return self._by_label(rows[keep])[columns].astype(dict.fromkeys(integers, "int64"))

    @staticmethod
    def _by_label(rows: pd.DataFrame) -> pd.DataFrame:
        """Rows ordered by study label (case-insensitive, as RevMan), then denominator."""
        by_label = rows.sort_values(
            ["study", "denominator"], key=lambda text: text.str.casefold(), kind="stable"
        )
        return by_label.reset_index(drop=True)


def changelog_dates(data_dir=None) -> dict[str, str]:
    """The date of the last data change and of the last search, read from ``CHANGELOG.md``.

    The last change is the newest ``## YYYY-MM-DD: ...`` heading; the last search is the newest
    ``Last search for trial reports: YYYY-MM-DD`` line. Raises ``ValueError`` if either is absent.
    """
    text = (Path(data_dir or find_data_dir()) / "CHANGELOG.md").read_text(encoding="utf8")
    dates = {"last_change": re.findall(r"^## (\d{4}-\d{2}-\d{2})", text, flags=re.M),
             "last_search": re.findall(r"Last search for trial reports: (\d{4}-\d{2}-\d{2})", text)}
    missing = [name for name, found in dates.items() if not found]
    if missing:
        raise ValueError(f"CHANGELOG.md: no {' or '.join(missing)} date found")
    return {name: max(found) for name, found in dates.items()}
