"""The search strategy as runnable queries, limited to what appeared since the last search.

The strategy is ``data/search.csv`` (terms for the condition and for the intervention, each
``;``-separated); the start date is the last search: the newest ``searched`` date of the
screening log, or, before the first update, the end of the original search (``date_to``).

- PubMed: every term in title/abstract (``[tiab]``), the condition terms OR-ed, AND the
  intervention terms OR-ed, AND an Entrez-date range from the start date to ``"3000"``.
- ClinicalTrials.gov: the API v2 ``/studies`` URL that returns the CSV the importer reads
  (``query.cond``, ``query.intr``, and the Essie expression
  ``AREA[StudyFirstPostDate]RANGE[start,MAX]`` for records first posted since the start).

References
----------
PubMed User Guide, "Search Field Descriptions and Tags" ([tiab], [Date - Entry] / [edat]).
ClinicalTrials.gov API v2, ``GET /studies`` (``query.*``, ``format=csv``) and Essie search areas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

import pandas as pd

__all__ = ["Queries", "last_search", "last_search_label", "search_queries"]

CTGOV_API = "https://clinicaltrials.gov/api/v2/studies"


def _terms(value: str) -> list[str]:
    return [term.strip() for term in value.split(";") if term.strip()]


def _month_start(value: str) -> date:
    """``2024-02`` (a month, as search.csv holds it) or ``2024-02-15`` as a date (a month as its first day)."""
    if re.fullmatch(r"\d{4}-\d{2}", value):
        value += "-01"
    return date.fromisoformat(value)


def last_search(search: pd.DataFrame, screening: pd.DataFrame) -> date:
    """The date the last search was run: the newest ``searched`` in the log, else search.csv's ``date_to``.

    Parameters
    ----------
    search : DataFrame
        ``load().search`` (rows ``field, value``; ``date_to`` is the end of the original search).
    screening : DataFrame
        ``load().screening``.
    """
    searched = screening["searched"].dropna()
    if len(searched):
        return date.fromisoformat(max(searched))
    values = search.set_index("field")["value"]
    if "date_to" not in values:
        raise ValueError("search.csv has no date_to row and the screening log no searched date: "
                         "the last search date is unknown")
    return _month_start(values["date_to"])


def last_search_label(search: pd.DataFrame, screening: pd.DataFrame) -> str:
    """The last search as known: an ISO date from the log, or search.csv's ``date_to`` as printed (``2024-02``)."""
    searched = screening["searched"].dropna()
    return max(searched) if len(searched) else str(search.set_index("field")["value"].get("date_to", ""))


@dataclass(frozen=True)
class Queries:
    """The update search for each source, from :func:`search_queries`."""

    since: date
    pubmed: str
    ctgov: str

    def as_dict(self) -> dict[str, str]:
        """``{source name: query}`` in the order to run them."""
        return {"PubMed": self.pubmed, "ClinicalTrials.gov": self.ctgov}

    def __str__(self) -> str:
        return "\n\n".join(f"{name} (records since {self.since.isoformat()}):\n{query}"
                           for name, query in self.as_dict().items())


def _pubmed_block(terms: list[str]) -> str:
    return "(" + " OR ".join(f'"{term}"[tiab]' for term in terms) + ")"


def _essie_block(terms: list[str]) -> str:
    return " OR ".join(f'"{term}"' if " " in term else term for term in terms)


def search_queries(search: pd.DataFrame, *, since: date) -> Queries:
    """The search strategy of ``search.csv`` as a PubMed query and a ClinicalTrials.gov API URL.

    Parameters
    ----------
    search : DataFrame
        ``load().search``: rows ``terms_condition`` and ``terms_intervention`` (``;``-separated).
    since : date
        The first date to include (usually :func:`last_search`; overlap is harmless, the
        importer removes records already logged).

    Returns
    -------
    Queries

    Examples
    --------
    >>> search = pd.DataFrame({"field": ["terms_condition", "terms_intervention"],
    ...                        "value": ["recurrent miscarriage; RMC", "immunoglobulin; IVIG"]})
    >>> q = search_queries(search, since=date(2024, 2, 1))
    >>> print(q.pubmed.replace(") AND (", ")\\nAND ("))
    ("recurrent miscarriage"[tiab] OR "RMC"[tiab])
    AND ("immunoglobulin"[tiab] OR "IVIG"[tiab])
    AND ("2024/02/01"[Date - Entry] : "3000"[Date - Entry])
    >>> print(q.ctgov)
    https://clinicaltrials.gov/api/v2/studies?format=csv&query.cond=%22recurrent+miscarriage%22+OR+RMC&query.intr=immunoglobulin+OR+IVIG&query.term=AREA%5BStudyFirstPostDate%5DRANGE%5B2024-02-01%2CMAX%5D&pageSize=1000
    """
    values = search.set_index("field")["value"]
    missing = [name for name in ("terms_condition", "terms_intervention") if name not in values]
    if missing:
        raise ValueError(f"search.csv needs rows {', '.join(missing)} (';'-separated terms); found none")
    condition, intervention = _terms(values["terms_condition"]), _terms(values["terms_intervention"])
    pubmed = (f"{_pubmed_block(condition)} AND {_pubmed_block(intervention)} AND "
              f'("{since:%Y/%m/%d}"[Date - Entry] : "3000"[Date - Entry])')
    parameters = {"format": "csv", "query.cond": _essie_block(condition), "query.intr": _essie_block(intervention),
                  "query.term": f"AREA[StudyFirstPostDate]RANGE[{since.isoformat()},MAX]", "pageSize": 1000}
    return Queries(since, pubmed, f"{CTGOV_API}?{urlencode(parameters)}")
