"""Which imported records are already known: identifiers first, then title, year and first author.

A record is a duplicate of something already known (a row of the screening log, or an
included study of ``studies.csv``) when, in this order:

1. its DOI (normalised, :func:`~metarmc.living.records.normal_doi`) or its PMID is the same;
2. it is a registry record with the same registry id as a registry record already logged, or
   it names (in a registry id) the trial registration of an included study;
3. its normalised title, year and first author's family name are all the same; for an included
   study, whose title is inside its citation, the title must appear in the citation, and the
   year and first author must be the study's.

A journal article and a registry record of the same trial are *not* duplicates of each other
(they are two reports of one study, and the article may carry the results): both are screened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from ..data import REGISTERS
from .records import REGISTRY_ID, Record, normal_doi, normal_title, surname

__all__ = ["KnownRecords"]

#: Titles shorter than this (normalised characters) are not matched inside a citation.
MIN_TITLE = 20


def _text(value) -> str:
    return "" if pd.isna(value) else str(value)


def _year(value) -> int | None:
    return None if pd.isna(value) else int(value)


@dataclass
class KnownRecords:
    """An index of what is already known, by identifier and by title, year and first author.

    Build it with :meth:`from_review`, look a record up with :meth:`match`, and :meth:`add`
    each new record so that later records of the same import are checked against it too.
    """

    by_id: dict[str, str] = field(default_factory=dict)
    by_title: dict[tuple[str, int | None, str], str] = field(default_factory=dict)
    citations: list[tuple[str, str, int, str]] = field(default_factory=list)
    logged: set[str] = field(default_factory=set)

    @classmethod
    def from_review(cls, review) -> KnownRecords:
        """Index the included studies (``studies.csv``) and every row of the screening log."""
        known = cls()
        for study in review.studies.itertuples():
            key = study.study_id
            known._ids(key, doi=normal_doi(_text(study.doi)), pmid=_text(study.pmid))
            for registry_id in REGISTRY_ID.findall(_text(study.source)):
                known.by_id.setdefault(f"registry:{registry_id}", key)
            known.citations.append((normal_title(_text(study.citation)), surname(_text(study.first_author)),
                                    int(study.year), key))
        for row in review.screening.itertuples():
            key = _text(row.duplicate_of) or row.record_id
            known.logged.add(row.record_id)
            known._ids(key, doi=_text(row.doi), pmid=_text(row.pmid))
            if row.source in REGISTERS:
                known._registry(key, _text(row.registry_id))
            known.by_title.setdefault((normal_title(row.title), _year(row.year), surname(_text(row.first_author))), key)
        return known

    def _ids(self, key: str, *, doi: str, pmid: str) -> None:
        if doi:
            self.by_id.setdefault(f"doi:{doi}", key)
        if pmid:
            self.by_id.setdefault(f"pmid:{pmid}", key)

    def _registry(self, key: str, registry_ids: str) -> None:
        for registry_id in filter(None, re.split(r";\s*", registry_ids)):
            self.by_id.setdefault(f"registry-record:{registry_id}", key)

    def match(self, record: Record) -> str | None:
        """The record id or study id ``record`` duplicates, or None if it is new."""
        registry_ids = [i for i in re.split(r";\s*", record.registry_id) if i]
        keys = [f"doi:{record.doi}" if record.doi else "", f"pmid:{record.pmid}" if record.pmid else "",
                *(f"registry:{i}" for i in registry_ids),
                *(f"registry-record:{i}" for i in registry_ids if record.source in REGISTERS)]
        for key in filter(None, keys):
            if key in self.by_id:
                return self.by_id[key]
        title = normal_title(record.title)
        found = self.by_title.get((title, record.year, record.first_author))
        if found:
            return found
        if len(title) >= MIN_TITLE:
            for citation, author, year, study in self.citations:
                if title in citation and year == record.year and author == record.first_author:
                    return study
        return None

    def add(self, record: Record, key: str) -> None:
        """Know ``record`` from now on, as ``key`` (its record id, or what it duplicates)."""
        self.logged.add(record.record_id)
        self._ids(key, doi=record.doi, pmid=record.pmid)
        if record.source in REGISTERS:
            self._registry(key, record.registry_id)
        self.by_title.setdefault((normal_title(record.title), record.year, record.first_author), key)
