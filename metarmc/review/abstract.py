"""The answer first: the review's bottom line and the paper's results beside the audit, for the front page.

:func:`bottom_line` words the three sentences a reader needs first (the effect in the
randomised trials, how certain it is, what is known of harms) from the summary of findings
built on the analysis plan, in GRADE's words for the certainty (:func:`metarmc.grade.statement`).
:func:`reproduction_table` lays the paper's printed results beside their reproduction, with a
marker on every printed result the audit contradicts.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from ..audit import RULE_TITLES
from ..formatting import counted, first_upper, listing, studies_text
from ..grade import SYMBOLS, SummaryOfFindings, statement
from .audit import audit_flags
from .findings import PRINTED_ONLY
from .paper import summary
from .plan import PLAN, sensitivity_analyses
from .registry import INTERVENTION
from .release import effect_verb

#: How a rating's domain reads in a sentence about why certainty is lowered.
DOMAIN_WORDS = {"risk_of_bias": "limitations in how the trials were run or reported",
                "inconsistency": "results that differ between trials",
                "indirectness": "trials in other populations or comparisons",
                "imprecision": "imprecision (too few women, wide confidence intervals)",
                "publication_bias": "missing evidence (trials without usable data)"}


class BottomLine(NamedTuple):
    """Three sentences: the effect in the randomised trials, its certainty, and what is known of harms."""

    effect: str
    certainty: str
    harms: str


def bottom_line(sof: SummaryOfFindings, safety: str = "") -> BottomLine:
    """The bottom line of the review, from its summary of findings (live birth and adverse reactions rows).

    ``safety`` is the other safety signals in words (:func:`~metarmc.review.findings.safety_clause`),
    added to the harms sentence when given.
    """
    live_birth, harms = sof["live_birth"], sof["adverse_reaction"]
    said = statement(live_birth.certainty, effect_verb(live_birth), INTERVENTION)
    effect = (f"In {studies_text(live_birth.studies).replace('studies', PLAN.body_words)} "
              f"({live_birth.participants:,} women with recurrent miscarriage), {said}: "
              f"{live_birth.absolute_text('live births')}, an odds ratio of "
              f"{live_birth.relative_effect.removeprefix('OR ')}.")
    lowered = [DOMAIN_WORDS[r.domain] for r in live_birth.ratings if r.downgrade]
    reasons = f", because of {listing(lowered)}" if lowered else ""
    certainty = f"The certainty of this evidence is {live_birth.certainty}{reasons}."
    if harms.control_risk is None:
        harm = (f"Harms are uncertain: no trial's adverse-reaction counts could be traced, and the paper's own pooled "
                f"result, an odds ratio of {harms.relative_effect.removeprefix('OR ')} from studies it does not name, "
                f"is of {harms.certainty} certainty.")
    else:
        harm = (f"For adverse reactions, {statement(harms.certainty, effect_verb(harms), INTERVENTION)}: "
                f"{harms.relative_effect} ({harms.certainty} certainty).")
    if safety:
        harm += f" Other safety signals come from weak sources with few numbers: {safety}."
    return BottomLine(first_upper(effect), certainty, first_upper(harm))


def robustness(review, outcome: str = "live_birth") -> str:
    """Whether the plan's confidence interval keeps excluding no effect (an odds ratio of 1) in
    the plan's sensitivity analyses of the same trials, in a sentence for the bottom line.

    The analysis that adds the non-randomised studies answers another question and is left out.
    """
    runs = sensitivity_analyses(review, outcome)
    primary, same_trials = runs.iloc[0], runs.iloc[1:][~runs["scenario"].iloc[1:].str.startswith("body:")]
    crossing = same_trials[(same_trials["ci_low"] < 1) & (same_trials["ci_high"] > 1)]
    if primary["ci_low"] < 1 < primary["ci_high"]:
        return "Its confidence interval includes an odds ratio of 1 (no effect)."
    if crossing.empty:
        return (f"Its confidence interval excludes an odds ratio of 1 (no effect) in all "
                f"{counted(len(same_trials), 'sensitivity analysis', 'sensitivity analyses')} of the same trials.")
    names = [name.split(": ", 1)[-1] for name in crossing["scenario"]]
    return (f"Its confidence interval excludes an odds ratio of 1 (no effect), but not in {len(crossing)} of the "
            f"{len(same_trials)} sensitivity analyses of the same trials ({listing(names)}): the result is fragile.")


def compact_sof(sof: SummaryOfFindings) -> pd.DataFrame:
    """The summary of findings in four columns, for a phone-width first screen.

    ``Outcome``, the absolute effect (difference per 1,000 women, or pregnant women, with its CI), the relative effect
    (a result only the paper printed is marked as such) and the certainty without footnotes.
    """
    return pd.DataFrame({
        "Outcome": [row.title for row in sof.findings],
        f"Difference with {INTERVENTION}": [row.absolute_text(population=True) or "not estimable"
                                           for row in sof.findings],
        "Relative effect (95% CI)": [row.relative_effect + (", as printed by the paper" if row.note == PRINTED_ONLY
                                                            else "") for row in sof.findings],
        "Certainty": [_certainty(row) for row in sof.findings],
    })


def _certainty(row) -> str:
    return f"{SYMBOLS[row.certainty]} {row.certainty.capitalize()}" if row.certainty in SYMBOLS else "Not assessed"


def reproduction_table(review) -> pd.DataFrame:
    """Each analysis: the paper's printed result, ours by the paper's method, whether they match, and the audit.

    Returns
    -------
    DataFrame
        ``Outcome``, ``Studies (paper / traced)``, ``Paper printed``, ``Redone by the paper's method``,
        ``Match`` (in words) and ``Audit`` (a ⚠ and what the audit found where it contradicts the
        printed result, else "no contradiction found").
    """
    redone = summary(review)
    flags = audit_flags(review)
    found = flags.groupby("analysis")["rule"].agg(lambda rules: sorted(set(rules)))
    names = dict(zip(review.reported["analysis"], redone["analysis"]))
    match_words = {"reproduced": "reproduced", "differs": "differs", "no data": "no per-study data traced"}
    rows = []
    for name, row in zip(review.reported["analysis"], redone.itertuples()):
        rules = found.get(name, [])
        rows.append({
            "Outcome": names[name],
            "Studies (paper / traced)": f"{row.k_paper} / {row.k_ours}",
            "Paper printed": f"{row.paper} ({row.paper_model} effect)",
            "Redone by the paper's method": row.ours if row.k_ours == 0 else f"{row.ours} ({row.our_model} effect)",
            "Match": match_words[row.match],
            "Audit": ("\u26a0 " + "; ".join(RULE_TITLES[r] for r in rules)) if rules else "no contradiction found",
        })
    return pd.DataFrame(rows)
