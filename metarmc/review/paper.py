"""The paper's analyses, redone from ``data/`` the way the paper says it did them.

Gao et al. (2025) used Review Manager 5.3: Mantel-Haenszel odds ratios for binary outcomes,
inverse-variance mean differences for birth weight, and a switching rule: "I² < 50% meant
small heterogeneity among studies, and fixed-effects model (FEM) was chosen. When I² ≥ 50%
[...] random-effects model (REM) was selected." This module applies exactly that, and lines
our result up against the printed one (``data/reported.csv``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..api import meta_binary, meta_continuous
from ..audit import I2Rule
from ..data import STATUS_REASONS, not_all_randomised
from ..formatting import ci_range, interval, number, p_printed
from ..results import MetaResult
from ..schema import METHOD_LABELS, SIZE_COLUMNS
from .registry import INTERVENTION, OUTCOMES, Outcome

#: The paper's rule: "I² < 50% meant small heterogeneity among studies, and fixed-effects model
#: (FEM) was chosen. When I² ≥ 50% [...] random-effects model (REM) was selected."
I2_RULE = I2Rule(50.0)


def pool(table: pd.DataFrame, analysis: Outcome, model: str, **options) -> MetaResult:
    """Pool a study table with the analysis's measure and method."""
    if analysis.kind == "binary":
        return meta_binary(table, measure=analysis.measure, method=analysis.method, model=model, **options)
    return meta_continuous(table, measure=analysis.measure, model=model, **options)


def as_the_paper_did(table: pd.DataFrame, analysis: Outcome) -> MetaResult:
    """Pool fixed-effect first, then switch to random effects if the paper's I² rule says so."""
    fixed = pool(table, analysis, "fixed")
    model = I2_RULE.model(fixed.i2)
    return fixed if model == "fixed" else pool(table, analysis, model)


def study_table(review, analysis: Outcome, **selection) -> pd.DataFrame:
    """The study rows of an analysis, from the loaded :class:`~metarmc.data.Review`."""
    getter = review.binary if analysis.kind == "binary" else review.continuous
    return getter(analysis.name, **selection)


@dataclass(frozen=True)
class Reproduction:
    """Our redo of one analysis beside what the paper printed."""

    analysis: Outcome
    result: MetaResult | None  # None when no study has data
    reported: pd.Series
    table: pd.DataFrame
    missing: pd.DataFrame
    secondary: tuple[str, ...] = ()  # studies with figures only from another report (main=no rows)

    @property
    def match(self) -> str:
        """``reproduced`` (estimate and CI round to the printed values), ``differs`` or ``no data``."""
        if self.result is None:
            return "no data"
        printed = [self.reported[c] for c in ("estimate", "ci_low", "ci_high")]
        ours = [self.result.estimate, self.result.ci_low, self.result.ci_high]
        return "reproduced" if np.allclose(np.round(ours, 2), printed, atol=1e-9) else "differs"


def secondary_only_rows(review, analysis: Outcome, main: pd.DataFrame) -> pd.DataFrame:
    """The extracted rows of the studies absent from ``main``: their figures come only from other reports (main=no)."""
    every = study_table(review, analysis, main_only=False)
    return every[~every["study_id"].isin(main["study_id"])]


def reproduce(review, name: str) -> Reproduction:
    """Redo analysis ``name`` from the data, as the paper did it."""
    analysis = OUTCOMES[name]
    table = study_table(review, analysis)
    result = as_the_paper_did(table, analysis) if len(table) else None
    secondary = tuple(secondary_only_rows(review, analysis, table)["study"].unique())
    return Reproduction(analysis, result, review.reported_row(name), table, review.missing(name), secondary)


def subgroup_table(review) -> pd.DataFrame:
    """Primary and secondary RM live-birth rows stacked with a ``subgroup`` column (RevMan's layout)."""
    parts = [study_table(review, OUTCOMES[name]).assign(subgroup=OUTCOMES[name].title.split(", ")[1].capitalize())
             for name in ("live_birth_primary", "live_birth_secondary")]
    return pd.concat(parts, ignore_index=True)


def summary(review) -> pd.DataFrame:
    """One row per analysis: the paper's printed result, ours, and whether they match."""
    rows = []
    for name in OUTCOMES:
        rep = reproduce(review, name)
        ours = rep.result
        rows.append({
            "analysis": rep.analysis.title, "measure": rep.analysis.measure,
            "k_paper": int(rep.reported["k"]), "k_ours": ours.k if ours else 0,
            "paper": interval(rep.reported["estimate"], rep.reported["ci_low"], rep.reported["ci_high"]),
            "paper_model": rep.reported["model"],
            "ours": interval(ours.estimate, ours.ci_low, ours.ci_high) if ours else "no per-study data",
            "our_model": ours.model if ours else "",
            "match": rep.match,
        })
    return pd.DataFrame(rows)


#: The paper's own inclusion criteria (Methods, "Criteria"), as checks on studies.csv columns.
CRITERIA = {
    "randomised": ("randomised", {"yes": "meets", "no": "breaks"}),
    "placebo-controlled": ("placebo_controlled", {"yes": "meets", "no": "breaks"}),
    # Every study but one describes (or the paper's Table 1 describes) a recurrent-miscarriage
    # population; rm_type "unclear" is about the primary/secondary mix, not the condition.
    "recurrent miscarriage": ("rm_type", {"primary": "meets", "secondary": "meets", "mixed": "meets",
                                          "unclear": "meets", "RIF": "breaks"}),
}


def inclusion_check(studies: pd.DataFrame) -> pd.DataFrame:
    """Each study against the paper's inclusion criteria: ``meets``, ``breaks`` or ``unclear``.

    The paper required randomised controlled trials of IVIG against placebo in women with
    recurrent miscarriage. A value the reports do not settle is ``unclear``, never assumed.
    """
    checks = {name: studies[column].map(verdicts).fillna("unclear")
              for name, (column, verdicts) in CRITERIA.items()}
    table = pd.DataFrame({"study": studies["label"], **checks})
    table["breaks"] = (table[list(CRITERIA)] == "breaks").sum(axis=1)
    return table


def side_by_side(rep: Reproduction) -> pd.DataFrame:
    """The paper's printed result and ours, one row per statistic (text, as printed/RevMan style)."""
    printed, ours = rep.reported, rep.result
    n_t, n_c = (int(rep.table[column].sum()) if len(rep.table) else 0 for column in SIZE_COLUMNS[rep.analysis.kind])
    rows = {
        "Studies": (f"{int(printed['k'])}", f"{ours.k}" if ours else "0"),
        f"Women, {INTERVENTION}": (f"{int(printed['n_t'])}", f"{n_t}"),
        "Women, control": (f"{int(printed['n_c'])}", f"{n_c}"),
        "Model": (printed["model"], ours.model if ours else ""),
        analysis_measure(rep.analysis): (number(printed["estimate"]), number(ours.estimate) if ours else ""),
        "95% CI": (ci_range(printed["ci_low"], printed["ci_high"]),
                   ci_range(ours.ci_low, ours.ci_high) if ours else ""),
        "Z": (number(printed["z"]), number(abs(ours.z)) if ours else ""),
        "P": (f"{printed['p']}", p_printed(ours.p) if ours else ""),
        "I² (%)": (number(printed["i2"], 0), number(ours.i2, 0) if ours else ""),
    }
    return pd.DataFrame(rows, index=["Paper", "Ours"]).T


def analysis_measure(analysis: Outcome) -> str:
    """``OR (M-H)`` or ``MD (IV)``: the measure and method the paper names."""
    return f"{analysis.measure} ({METHOD_LABELS[analysis.method]})"


def differences(rep: Reproduction, studies: pd.DataFrame) -> list[str]:
    """Reasons, computed from the data, why our result can differ from the printed one."""
    reasons = []
    if len(rep.missing):
        applies = rep.missing["status"] != "not_applicable"
        untraced = ", ".join(rep.missing.loc[applies, "study"].drop_duplicates())
        found = rep.result.k if rep.result else 0
        reasons.append(f"The paper pooled {int(rep.reported['k'])} studies without saying which; numbers for this "
                       f"outcome could be traced for {found} of the {len(studies)} included studies"
                       + (f" and not for {untraced}." if untraced else "."))
        if (~applies).any():
            names = ", ".join(rep.missing.loc[~applies, "study"].drop_duplicates())
            reasons.append(f"For {names} {STATUS_REASONS['not_applicable']}, "
                           "though the paper may have pooled it.")
    if len(rep.table):
        not_itt = not_all_randomised(rep.table)
        if not_itt:
            counted = "; for ".join(f"{studies} {'the counts are ' if not i else ''}out of {words}"
                                    for i, (studies, words) in enumerate(not_itt))
            reasons.append(f"For {counted}: not all women randomised (the paper does not say which it used).")
        derived = rep.table.loc[rep.table["derivation"] != "reported", "study"]
        if len(derived):
            reasons.append(f"For {', '.join(derived)} the counts are derived (from percentages or other "
                           "arms' numbers) or come from a secondary source.")
        checks = inclusion_check(studies.set_index("label").loc[rep.table["study"]].reset_index())
        breaking = checks.loc[checks["breaks"] > 0, "study"]
        if len(breaking):
            verb = "breaks" if len(breaking) == 1 else "break"
            reasons.append(f"{', '.join(breaking)} {verb} the paper's own inclusion criteria (randomised, "
                           "placebo-controlled, recurrent miscarriage) but is pooled here as in the paper.")
    if rep.result is not None and rep.result.model != rep.reported["model"]:
        reasons.append(f"The paper's I² rule picks a {rep.result.model}-effect model on our data "
                       f"(I² = {rep.result.i2:.0f}%); the paper printed I² = {rep.reported['i2']:.0f}% "
                       f"and used {rep.reported['model']} effects.")
    return reasons


def risk_of_bias(review) -> pd.DataFrame:
    """Our RoB 1 judgments with the studies' labels: study, domain, judgment, support."""
    return review.judgments()[["study", "domain", "judgment", "support"]]


def risk_of_bias_totals(review) -> pd.DataFrame:
    """Per domain: how many studies we judge high / unclear / not obtained / low, beside the paper's printed totals.

    The paper's RoB 1 has no "not obtained": a domain whose report we did not obtain would be
    "unclear" in its terms, so compare its unclear total with our unclear plus not obtained.
    """
    ours = (review.judgments().groupby("domain")["judgment"].value_counts().unstack(fill_value=0)
            .reindex(columns=["high", "unclear", "not_obtained", "low"], fill_value=0))
    paper = review.rob_paper_totals.set_index("domain")[["high", "unclear"]]
    table = ours.join(paper, rsuffix="_paper").reindex(paper.index)
    return table.rename(columns={"high": "high (ours)", "unclear": "unclear (ours)",
                                 "not_obtained": "not obtained (ours)", "low": "low (ours)",
                                 "high_paper": "high (paper)", "unclear_paper": "unclear (paper)"})


def missing_list(rep: Reproduction) -> str:
    """The included studies without numbers for ``rep``'s outcome, as a Markdown list with the reason in words.

    One line per study, ``- **Carp 2001**: no report giving it could be reached or read in full``
    (:data:`~metarmc.data.STATUS_REASONS`), or for a study whose figures come only from another
    report of it (``rep.secondary``) that they are kept for the sensitivity analyses
    (:data:`SECONDARY_ONLY`); empty when every study has numbers.
    """
    missing = rep.missing.drop_duplicates("study")
    reasons = [SECONDARY_ONLY if row.study in rep.secondary else STATUS_REASONS[row.status]
               for row in missing.itertuples()]
    return "\n".join(f"- **{study}**: {reason}" for study, reason in zip(missing["study"], reasons))


#: What :func:`missing_list` adds for a study whose only figures come from another report of it.
SECONDARY_ONLY = ("only another report of the same trial gives figures, which this review keeps for the "
                  "{doc}`sensitivity analyses <12-sensitivity>`")
