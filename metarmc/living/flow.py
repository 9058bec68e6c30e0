"""The PRISMA 2020 flow of an updated review, counted from the screening log.

References
----------
Page MJ, McKenzie JE, Bossuyt PM et al. (2021). The PRISMA 2020 statement: an updated
guideline for reporting systematic reviews. BMJ 372:n71 (Figure 1, the flow diagram
template for updated systematic reviews).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from ..data import REGISTERS, SOURCES

__all__ = ["UpdateFlow", "update_flow"]

#: How each source is named in the diagram.
SOURCE_NAMES = {"pubmed": "PubMed/MEDLINE", "embase": "Embase", "wos": "Web of Science", "central": "CENTRAL",
                "ctgov": "ClinicalTrials.gov", "other": "Other sources"}


@dataclass(frozen=True, repr=False)
class UpdateFlow:
    """The counts of the PRISMA 2020 flow diagram for an updated review.

    ``identified`` maps each source to its records (databases and registers apart in
    :attr:`databases` and :attr:`registers`); ``reasons`` maps each full-text exclusion reason
    to its count. ``awaiting`` counts records not yet decided at the stage they reached.
    """

    previous_studies: int
    identified: Mapping[str, int]
    duplicates: int
    screened: int
    excluded: int
    sought: int
    not_retrieved: int
    assessed: int
    reasons: Mapping[str, int]
    new_studies: int
    new_reports: int
    total_studies: int
    awaiting: int

    def named(self) -> dict[str, int]:
        """:attr:`identified` by the sources' names in a diagram (``PubMed/MEDLINE``, ``ClinicalTrials.gov``)."""
        return {SOURCE_NAMES[s]: n for s, n in self.identified.items()}

    @property
    def databases(self) -> dict[str, int]:
        return {s: n for s, n in self.identified.items() if s not in REGISTERS}

    @property
    def registers(self) -> dict[str, int]:
        return {s: n for s, n in self.identified.items() if s in REGISTERS}

    def to_frame(self) -> pd.DataFrame:
        """One row per box of the diagram: ``step``, ``label``, ``count``."""
        rows = [("previous_studies", "Studies included in previous version of review", self.previous_studies),
                *((f"identified:{s}", f"Records identified from {SOURCE_NAMES[s]}", n)
                  for s, n in self.identified.items()),
                ("duplicates", "Duplicate records removed", self.duplicates),
                ("screened", "Records screened", self.screened),
                ("excluded", "Records excluded", self.excluded),
                ("sought", "Reports sought for retrieval", self.sought),
                ("not_retrieved", "Reports not retrieved", self.not_retrieved),
                ("assessed", "Reports assessed for eligibility", self.assessed),
                *((f"reason:{r}", f"Reports excluded: {r}", n) for r, n in self.reasons.items()),
                ("new_studies", "New studies included in review", self.new_studies),
                ("new_reports", "Reports of new included studies", self.new_reports),
                ("total_studies", "Total studies included in review", self.total_studies),
                ("awaiting", "Records awaiting a decision", self.awaiting)]
        return pd.DataFrame(rows, columns=["step", "label", "count"])

    def __repr__(self) -> str:
        return (f"UpdateFlow(previous {self.previous_studies} studies; {sum(self.identified.values())} records, "
                f"{self.duplicates} duplicates, {self.screened} screened, {self.excluded} excluded, "
                f"{self.assessed} assessed, {self.new_studies} new studies; total {self.total_studies}; "
                f"{self.awaiting} awaiting)")


def _filled(column: pd.Series) -> pd.Series:
    return column.notna() & (column.astype("string").str.len() > 0)


def update_flow(screening: pd.DataFrame, *, previous_studies: int, total_studies: int,
                previous_study_ids=()) -> UpdateFlow:
    """Count the PRISMA 2020 update flow from rows of the screening log.

    Parameters
    ----------
    screening : DataFrame
        The rows of ``data/screening.csv`` (``load().screening``) that this update imported.
    previous_studies : int
        Studies included in the previous version of the review.
    total_studies : int
        Studies included now (``len(load().studies)``).
    previous_study_ids : iterable of str
        The study ids of the previous version: a full-text inclusion whose ``study_id`` is one
        of them is a new report of a known study, not a new study.

    Returns
    -------
    UpdateFlow

    Notes
    -----
    identified = all rows, per source; duplicates = rows with ``duplicate_of``; screened =
    identified - duplicates; excluded = title-abstract ``exclude``; sought = title-abstract
    ``include``; not retrieved = full-text ``not_retrieved``; assessed = full-text ``include``
    or ``exclude``; new reports = full-text ``include``; new studies = their distinct
    ``study_id`` not in ``previous_study_ids`` (a report without a ``study_id`` yet counts as
    one study); awaiting = screened rows without a title-abstract decision plus sought rows
    without a full-text decision.

    Examples
    --------
    >>> log = pd.DataFrame({"source": ["pubmed", "embase", "ctgov"], "duplicate_of": ["", "pubmed:1", ""],
    ...                     "title_abstract": ["include", "", "exclude"], "full_text": ["include", "", ""],
    ...                     "full_text_reason": ["", "", ""], "study_id": ["new2025", "", ""]})
    >>> flow = update_flow(log, previous_studies=11, total_studies=12)
    >>> flow.identified, flow.duplicates, flow.screened, flow.excluded, flow.assessed, flow.new_studies
    ({'pubmed': 1, 'embase': 1, 'ctgov': 1}, 1, 2, 1, 1, 1)
    """
    duplicate = _filled(screening["duplicate_of"])
    screened = screening[~duplicate]
    title_abstract, full_text = screened["title_abstract"], screened["full_text"]
    included = screened[full_text == "include"]
    study = included["study_id"].where(_filled(included["study_id"]))
    known = set(previous_study_ids)
    new_ids = {s for s in study.dropna() if s not in known}
    reasons = screened.loc[full_text == "exclude", "full_text_reason"].value_counts(sort=False)
    identified = screening["source"].value_counts()
    return UpdateFlow(
        previous_studies=int(previous_studies),
        identified={s: int(identified[s]) for s in SOURCES if s in identified},
        duplicates=int(duplicate.sum()), screened=len(screened),
        excluded=int((title_abstract == "exclude").sum()), sought=int((title_abstract == "include").sum()),
        not_retrieved=int((full_text == "not_retrieved").sum()),
        assessed=int(full_text.isin(["include", "exclude"]).sum()),
        reasons={str(r): int(n) for r, n in reasons.items()},
        new_studies=len(new_ids) + int(study.isna().sum()), new_reports=len(included),
        total_studies=int(total_studies),
        awaiting=int((~_filled(title_abstract)).sum() + ((title_abstract == "include") & ~_filled(full_text)).sum()),
    )
