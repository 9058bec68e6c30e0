"""The screening log, ``data/screening.csv``: new records appended, decisions recorded, nothing lost.

- :func:`import_exports` reads export files (:func:`~metarmc.living.records.read_export`), marks
  the duplicates (:class:`~metarmc.living.dedup.KnownRecords`) and appends one row per record
  not logged before. Importing the same files again changes nothing (a record's id is its
  database's own accession, so it is recognised).
- :func:`record_decision` records the title-abstract or full-text decision of one record.

Every write replaces the whole log atomically (:func:`~metarmc.living.files.replace_atomic`)
after checking that it did not change since it was read. The log is read through
:func:`metarmc.data.load`, so it is validated like every other data file first.

The screening rule (the protocol's): two reviewers screen each record independently and
record their agreed decision with both their initials. A decision in the log is never
overwritten: recording a *different* decision for the same stage is refused unless
``resolve=True`` (``--resolve``), which is for a disagreement resolved by discussion or by a
third reviewer, needs a reason, and keeps the earlier decision in the row's ``history``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from ..data import DECISIONS, FILES, SCREENING_STAGES, find_data_dir, load
from .dedup import KnownRecords
from .files import digest, replace_atomic
from .records import ImportProblem, Record, read_export

__all__ = ["ImportReport", "LogError", "import_exports", "log_text", "record_decision"]

LOG_FILE = "screening.csv"
COLUMNS = tuple(FILES["screening"].columns)


class LogError(ValueError):
    """A screening-log change that is refused (the message says why and what would be accepted)."""


def _cell(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(int(value)) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def log_text(rows: Iterable[dict]) -> str:
    """The screening log as CSV text: the header of :data:`COLUMNS`, then one line per row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in COLUMNS])
    return out.getvalue()


def _rows(review) -> list[dict]:
    """The loaded log as a list of {column: value} (values as loaded; NA for empty cells)."""
    return review.screening.to_dict("records")


def _record_row(record: Record, *, searched: str, imported: str, duplicate_of: str | None) -> dict:
    return {"record_id": record.record_id, "source": record.source, "searched": searched,
            "imported": imported, "file": record.file, "title": " ".join(record.title.split()),
            "first_author": record.authors[0] if record.authors else "", "authors": "; ".join(record.authors),
            "year": record.year, "journal": record.journal, "doi": record.doi, "pmid": record.pmid,
            "registry_id": record.registry_id, "publication_type": record.publication_type,
            "duplicate_of": duplicate_of or ""}


@dataclass(frozen=True)
class FileReport:
    """What importing one export file did: records read, new, duplicates, already in the log."""

    file: str
    format: str
    read: int
    new: int
    duplicates: int
    already: int
    problems: tuple[ImportProblem, ...]

    def __str__(self) -> str:
        return (f"{self.file} ({self.format}): {self.read} records read, {self.new} new, "
                f"{self.duplicates} duplicates, {self.already} already in the log, "
                f"{len(self.problems)} not readable")


@dataclass(frozen=True)
class ImportReport:
    """The outcome of :func:`import_exports`: one :class:`FileReport` per file and the rows appended."""

    files: tuple[FileReport, ...]
    added: int
    log: Path

    @property
    def problems(self) -> tuple[ImportProblem, ...]:
        return tuple(problem for report in self.files for problem in report.problems)

    def __str__(self) -> str:
        lines = [*map(str, self.problems), *map(str, self.files)]
        lines.append(f"{self.added} row(s) appended to {self.log}" if self.added else f"{self.log} unchanged")
        return "\n".join(lines)


def import_exports(paths: Iterable[str | Path], *, data_dir: str | Path | None = None,
                   searched: str | None = None, today: str | None = None,
                   source: str | None = None) -> ImportReport:
    """Append the records of export files to the screening log, marking duplicates.

    Parameters
    ----------
    paths : iterable of str or Path
        Export files (MEDLINE, RIS or ClinicalTrials.gov CSV, told apart by their content).
    data_dir : str or Path, optional
        The data folder (default :func:`metarmc.data.find_data_dir`); it must be valid.
    searched : str, optional
        The date the databases were searched (ISO); default ``today``.
    today : str, optional
        The import date written to the log (ISO); default the current date.
    source : str, optional
        The database of RIS files whose records do not say (see :func:`read_export`).

    Returns
    -------
    ImportReport
        Per file: records read, new, duplicates, already logged, and the unreadable records as
        ``file:line: message``. Readable records are imported even when others are not.

    Notes
    -----
    A record already in the log (same ``record_id``) is skipped; a record matching something
    known (:mod:`metarmc.living.dedup`) gets a row with ``duplicate_of`` and is not screened;
    every other record gets a row awaiting its title-abstract decision.
    """
    data_dir = Path(data_dir) if data_dir is not None else find_data_dir()
    log = data_dir / LOG_FILE
    before = digest(log)
    review = load(data_dir)
    today = today or date.today().isoformat()
    searched = searched or today
    _check_dates(searched=searched, imported=today)
    known = KnownRecords.from_review(review)
    rows, reports = _rows(review), []
    added = 0
    for path in paths:
        imported = read_export(path, source=source)
        new = duplicates = already = 0
        for record in imported.records:
            if record.record_id in known.logged:
                already += 1
                continue
            duplicate_of = known.match(record)
            rows.append(_record_row(record, searched=searched, imported=today, duplicate_of=duplicate_of))
            known.add(record, duplicate_of or record.record_id)
            new, duplicates = new + (duplicate_of is None), duplicates + (duplicate_of is not None)
        added += new + duplicates
        reports.append(FileReport(imported.file, imported.format, len(imported.records), new, duplicates, already,
                                  imported.problems))
    if added:
        replace_atomic(log, log_text(rows), expected=before)
    return ImportReport(tuple(reports), added, log)


def _check_dates(**dates: str) -> None:
    for name, value in dates.items():
        problem = FILES["screening"].columns["searched"].problem(name, value)
        if problem:
            raise LogError(problem)


def _stage_problem(stage: str) -> str | None:
    if stage not in SCREENING_STAGES:
        return f"stage must be one of {', '.join(SCREENING_STAGES)}; found {stage!r}"
    return None


def record_decision(record_id: str, stage: str, decision: str, *, reviewers: str, on: str | None = None,
                    reason: str = "", study_id: str = "", resolve: bool = False,
                    data_dir: str | Path | None = None) -> str:
    """Record one screening decision in the log, refusing to overwrite a different one.

    Parameters
    ----------
    record_id : str
        The log row (``pubmed:25412569``).
    stage : {"title_abstract", "full_text"}
        The screening stage.
    decision : str
        One of :data:`metarmc.data.DECISIONS` for the stage.
    reviewers : str
        The initials of the (two or more) reviewers who agreed on it, ``AB,CD``.
    on : str, optional
        The date of the decision (ISO); default today.
    reason : str
        Why (required for a full-text exclusion, and for ``resolve``).
    study_id : str
        For a full-text inclusion: the ``studies.csv`` study the record reports (once added).
    resolve : bool
        Replace a different decision already recorded (a resolved disagreement); the earlier
        decision is kept in ``history``.
    data_dir : str or Path, optional
        The data folder (default :func:`metarmc.data.find_data_dir`).

    Returns
    -------
    str
        What was done (``recorded``, ``already recorded`` or ``resolved``), for the command line.

    Raises
    ------
    LogError
        Unknown record, a duplicate, a full-text decision before a title-abstract inclusion, a
        value the log's schema rejects, or a different decision already recorded without
        ``resolve``.
    """
    data_dir = Path(data_dir) if data_dir is not None else find_data_dir()
    log = data_dir / LOG_FILE
    before = digest(log)
    rows = _rows(load(data_dir))
    row = next((row for row in rows if row["record_id"] == record_id), None)
    if row is None:
        raise LogError(f"{LOG_FILE}: no record {record_id!r}; import it first (search-update FILE)")
    values = {stage: decision, f"{stage}_reason": reason, f"{stage}_reviewers": reviewers,
              f"{stage}_date": on or date.today().isoformat()}
    _check_decision(row, stage, values, study_id)
    current = _cell(row.get(stage))
    linked = _cell(row.get("study_id"))
    if study_id and linked and linked != study_id and not resolve:
        raise LogError(f"{record_id}: already linked to study {linked}; pass resolve (--resolve) to correct it")
    if current == decision and _cell(row.get(f"{stage}_reason")) == reason:
        if not study_id or study_id == linked:
            return f"{record_id}: {stage} {decision} already recorded; nothing changed"
        row["study_id"] = study_id  # filling an empty cell overwrites nothing
        replace_atomic(log, log_text(rows), expected=before)
        return f"{record_id}: {stage} {decision} already recorded; linked to study {study_id}"
    if current and not resolve:
        raise LogError(
            f"{record_id}: {stage} is already {current!r} ({_cell(row.get(f'{stage}_reviewers'))}, "
            f"{_cell(row.get(f'{stage}_date'))}); a decision is never overwritten: to record a resolved "
            "disagreement pass resolve (--resolve) with a reason, and the earlier decision is kept in history")
    if current:
        if not reason:
            raise LogError(f"{record_id}: resolving a disagreement needs a reason (how it was resolved)")
        if stage == "title_abstract" and _cell(row.get("full_text")):
            raise LogError(f"{record_id}: full_text is decided; resolve full_text before title_abstract")
        earlier = (f"{values[f'{stage}_date']}: {stage} {current} ({_cell(row.get(f'{stage}_reviewers'))}, "
                   f"{_cell(row.get(f'{stage}_date'))}"
                   + (f", {_cell(row.get(f'{stage}_reason'))}" if _cell(row.get(f"{stage}_reason")) else "")
                   + f") resolved to {decision} by {reviewers}: {reason}")
        values["history"] = " | ".join(filter(None, [_cell(row.get("history")), earlier]))
    row.update(values)
    if study_id:
        row["study_id"] = study_id
    replace_atomic(log, log_text(rows), expected=before)
    return f"{record_id}: {stage} {'resolved to' if current else 'recorded as'} {decision}"


def _check_decision(row: dict, stage: str, values: dict, study_id: str) -> None:
    """Refuse a decision the log's rules would reject, with the validator's own messages."""
    problem = _stage_problem(stage)
    if problem:
        raise LogError(problem)
    if _cell(row.get("duplicate_of")):
        raise LogError(f"{row['record_id']} is a duplicate of {row['duplicate_of']} and is not screened")
    if stage == "full_text" and _cell(row.get("title_abstract")) != "include":
        raise LogError(f"{row['record_id']}: full_text needs title_abstract include first; found "
                       f"{_cell(row.get('title_abstract')) or 'no decision'}")
    if not values[f"{stage}_reviewers"]:
        raise LogError(f"{row['record_id']}: a decision needs the initials of the reviewers who agreed on it (AB,CD)")
    columns = FILES["screening"].columns
    for name, value in values.items():
        problem = columns[name].problem(name, value)
        if problem:
            raise LogError(f"{row['record_id']}: {problem}")
    if not values[stage]:
        raise LogError(f"{row['record_id']}: {stage} needs a decision ({', '.join(DECISIONS[stage])})")
    if values[stage] == "exclude" and stage == "full_text" and not values[f"{stage}_reason"]:
        raise LogError(f"{row['record_id']}: a full-text exclusion needs a reason (PRISMA reports them)")
    if study_id and values[stage] != "include":
        raise LogError(f"{row['record_id']}: study_id is given only with an inclusion")
