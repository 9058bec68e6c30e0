"""The GRADE summary of findings of IVIG against control, built from the data.

For each outcome of the registry, the analysis is the paper's, redone as the paper did it
(:func:`~metarmc.review.paper.reproduce`), and each GRADE rule of :mod:`metarmc.grade` is fed
the numbers it needs: the study weights feed the starting level, risk of bias and
indirectness; I² and the DerSimonian-Laird prediction interval of the same studies feed
inconsistency; the CI, the pooled control risk and the participants feed imprecision; the
study effects feed Egger's test.
"""

from __future__ import annotations

import pandas as pd

from ..bias import egger_test
from ..formatting import effect, studies_text
from ..grade import (MIN_STUDIES_EGGER, NOT_ASSESSED, ROB_DOMAINS, OutcomeFindings, SummaryOfFindings,
                     certainty, rate_imprecision, rate_inconsistency, rate_indirectness, rate_publication_bias,
                     rate_risk_of_bias, starting_level)
from ..measures import control_risk
from ..schema import participants
from .paper import pool, reproduce
from .registry import CONTROL, INTERVENTION, SUMMARY_ORDER, outcome as registry_outcome

#: Indirectness: each ground, the study column it reads and the values that make a study indirect.
INDIRECT = {"population RIF": ("rm_type", ("RIF",)), "no placebo control": ("placebo_controlled", ("no",))}


def rate_outcome(review, outcome: str) -> OutcomeFindings:
    """Rate one outcome of :data:`metarmc.review.registry.OUTCOMES` from the data.

    Participants and the control risk count every study with data.
    """
    registry_outcome(outcome)
    rep = reproduce(review, outcome)
    analysis, result, table = rep.analysis, rep.result, rep.table
    common = dict(outcome=outcome, title=analysis.title, measure=analysis.measure, comment=_printed(rep.reported))
    if result is None:
        return _not_assessed(common, dict(studies=0, participants=0, estimate=None, ci_low=None, ci_high=None),
                             "not estimable from traceable data")
    size = dict(studies=len(table), participants=participants(table),
                estimate=result.estimate, ci_low=result.ci_low, ci_high=result.ci_high)
    if analysis.kind != "binary":
        return _not_assessed(common, size, "a continuous outcome needs a minimal important difference, "
                                           "which data/ does not hold")
    studies = result.studies[result.studies["estimable"]]
    weight, label = studies["weight"].to_numpy(float), studies["study"].to_numpy()
    p_c = control_risk(table)
    start, start_reason = starting_level(weight, studies["randomised"], label)
    rob = review.judgment_grid(studies["study_id"], ROB_DOMAINS)
    spread = pool(table, analysis, "random", prediction=True)
    egger_p = egger_test(result).p if result.k >= MIN_STUDIES_EGGER else None
    indirect = {name: studies[column].isin(values).to_numpy() for name, (column, values) in INDIRECT.items()}
    ratings = (
        rate_risk_of_bias(weight, rob[ROB_DOMAINS[0]], rob[ROB_DOMAINS[1]], label),
        rate_inconsistency(result.i2, (spread.ci_low, spread.ci_high), (spread.pi_low, spread.pi_high), result.k),
        rate_indirectness(weight, indirect, label),
        rate_imprecision(analysis.measure, (result.ci_low, result.ci_high), p_c, size["participants"],
                         analysis.benefit),
        rate_publication_bias(result.k, egger_p),
    )
    return OutcomeFindings(**common, **size, control_risk=p_c, start=start, start_reason=start_reason,
                           ratings=ratings, certainty=certainty(start, (r.downgrade for r in ratings)), note="")


def summary_of_findings(review, outcomes=SUMMARY_ORDER) -> SummaryOfFindings:
    """GRADE summary of findings of IVIG against control, one row per outcome.

    Parameters
    ----------
    review : metarmc.data.Review
        From :func:`metarmc.load`.
    outcomes : sequence of str
        Outcomes of the registry, in the order of the table.

    Returns
    -------
    SummaryOfFindings
        See :func:`rate_outcome` for how each row is computed; its last column is the
        paper's printed result.
    """
    return SummaryOfFindings(tuple(rate_outcome(review, name) for name in outcomes), intervention=INTERVENTION,
                             comparator=CONTROL.lower(), comment_title="Paper (as printed)")


def _not_assessed(common: dict, size: dict, note: str) -> OutcomeFindings:
    return OutcomeFindings(**common, **size, control_risk=None, start=None, start_reason=f"{NOT_ASSESSED}: {note}",
                           ratings=(), certainty=NOT_ASSESSED, note=note)


def _printed(reported: pd.Series) -> str:
    """``OR 2.24 (1.68 to 2.98); 11 studies, 842 participants``: what the paper printed."""
    return (f"{effect(reported, label='')}; {studies_text(int(reported['k']))}, "
            f"{int(reported['n_total'])} participants")
