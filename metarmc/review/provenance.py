"""Where each study's numbers come from, in a reader's words, for forest plots and study tables.

Every extracted row of ``outcomes.csv`` says how its numbers were obtained (``derivation``) and
from which kinds of document (``source_type``); :func:`source_note` turns the two into one
sentence (a forest plot's footnote, :func:`source_notes`) and :func:`source_table` shows them
beside each study's counts. :func:`overlaps_pooled` says which analyses pool both studies of a
pair that may share participants (``overlaps.csv``).
"""

from __future__ import annotations

import pandas as pd

from ..data import DERIVATION_WORDS, source_words, women_counted
from .paper import reproduce
from .plan import primary_table
from .registry import INTERVENTION, OUTCOMES


def source_note(derivation: str, source_type: str) -> str:
    """How a row's numbers were obtained and where they were read, in a reader's words.

    Examples
    --------
    >>> source_note("derived_from_percent", "abstract;other_review")
    'Derived from percentages. Source: abstract and another review.'
    >>> source_note("reported", "abstract")
    'As printed. Source: abstract.'
    """
    return f"{DERIVATION_WORDS[derivation].capitalize()}. Source: {source_words(source_type)}."


def source_notes(studies: pd.DataFrame) -> list[str]:
    """One :func:`source_note` per study row (e.g. ``result.studies``), for ``forest_plot(..., footnotes=)``."""
    return [source_note(row.derivation, row.source_type) for row in studies.itertuples()]


def source_table(table: pd.DataFrame) -> pd.DataFrame:
    """A study table of a binary analysis for readers: counts, who they are out of, and their source.

    Returns
    -------
    DataFrame
        Columns ``Study``, ``Women counted`` (:func:`~metarmc.data.women_counted`),
        ``IVIG`` and ``Control`` (events/total), ``How obtained``
        (:data:`~metarmc.data.DERIVATION_WORDS`) and ``Source``
        (:func:`~metarmc.data.source_words`), one row per study in the table's order.
    """
    return pd.DataFrame({
        "Study": table["study"].to_numpy(),
        "Women counted": women_counted(table),
        INTERVENTION: [f"{r.events_t}/{r.total_t}" for r in table.itertuples()],
        "Control": [f"{r.events_c}/{r.total_c}" for r in table.itertuples()],
        "How obtained": table["derivation"].map(DERIVATION_WORDS).str.capitalize().to_numpy(),
        "Source": table["source_type"].map(source_words).str.capitalize().to_numpy(),
    })


def analyses(review) -> dict[str, pd.DataFrame]:
    """Every pooled analysis of the book by name: each outcome as the paper did it and by the plan.

    Keys are ``"<outcome title>, as the paper did it"`` and ``"<outcome title>, by the analysis
    plan"``; values the study tables pooled (analyses without study data are left out).
    """
    tables = {}
    for name, outcome in OUTCOMES.items():
        tables[f"{outcome.title}, as the paper did it"] = reproduce(review, name).table
        if outcome.kind == "binary":
            tables[f"{outcome.title}, by the analysis plan"] = primary_table(review, name)
    return {name: table for name, table in tables.items() if len(table)}


def overlaps_pooled(review) -> pd.DataFrame:
    """Each pair of ``overlaps.csv`` with the analyses of :func:`analyses` that pool both of its studies.

    Returns
    -------
    DataFrame
        :meth:`~metarmc.data.Review.overlapping`'s columns (``study``, ``other_study``,
        ``overlap``, ``certainty``, ``source``, ...), then ``pooled_in``: the names of the
        analyses containing both studies, ``"; "``-joined (empty when none does), and
        ``in_every_study_analysis``: the paper's printed analyses (``reported.csv``) whose number
        of studies is the number of included studies, so that they must contain both.
    """
    pairs = review.overlapping()
    found = {name: set(table["study_id"]) for name, table in analyses(review).items()}
    every = review.reported.loc[review.reported["k"] == len(review.studies), "analysis"]
    paper = "; ".join(OUTCOMES[name].title for name in every)
    return pairs.assign(
        pooled_in=["; ".join(name for name, ids in found.items() if {a, b} <= ids)
                   for a, b in zip(pairs["study_id"], pairs["other_study_id"])],
        in_every_study_analysis=paper)


def overlap_sentences(review) -> list[str]:
    """One sentence per pair of :func:`overlaps_pooled`: what may overlap, how sure, and where both are pooled."""
    lines, n = [], len(review.studies)
    for row in overlaps_pooled(review).itertuples():
        where = (f"both are pooled in {row.pooled_in.lower()}" if row.pooled_in
                 else "no analysis of this review pools both")
        paper = (f"; the paper's analysis of {row.in_every_study_analysis.lower()} pooled all {n} included "
                 "studies, so it counted both" if row.in_every_study_analysis else "")
        lines.append(f"**{row.study} and {row.other_study}** may include some of the same women "
                     f"({row.certainty} overlap; source: {row.source}): {where}{paper}.")
    return lines
