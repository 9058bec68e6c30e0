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

from .api import meta_binary, meta_continuous
from .results import MetaResult

#: The paper's I² threshold (percent) for switching from fixed to random effects.
I2_THRESHOLD = 50.0


@dataclass(frozen=True)
class Analysis:
    """One pooled analysis of the paper: its outcome, measure and how it is titled."""

    name: str
    title: str
    kind: str  # "binary" or "continuous"
    measure: str

    @property
    def method(self) -> str:
        return "MH" if self.kind == "binary" else "IV"


ANALYSES = {a.name: a for a in (
    Analysis("live_birth", "Live birth", "binary", "OR"),
    Analysis("live_birth_primary", "Live birth, primary recurrent miscarriage", "binary", "OR"),
    Analysis("live_birth_secondary", "Live birth, secondary recurrent miscarriage", "binary", "OR"),
    Analysis("miscarriage", "Miscarriage", "binary", "OR"),
    Analysis("birth_weight", "Birth weight (g)", "continuous", "MD"),
    Analysis("adverse_reaction", "Adverse reactions", "binary", "OR"),
)}


def paper_model(i2: float) -> str:
    """The paper's rule: fixed effect when I² < 50%, random effects otherwise."""
    return "random" if i2 >= I2_THRESHOLD else "fixed"


def pool(table: pd.DataFrame, analysis: Analysis, model: str, **options) -> MetaResult:
    """Pool a study table with the analysis's measure and method."""
    if analysis.kind == "binary":
        return meta_binary(table, measure=analysis.measure, method=analysis.method, model=model, **options)
    return meta_continuous(table, measure=analysis.measure, model=model, **options)


def as_the_paper_did(table: pd.DataFrame, analysis: Analysis) -> MetaResult:
    """Pool fixed-effect first, then switch to random effects if the paper's I² rule says so."""
    fixed = pool(table, analysis, "fixed")
    model = paper_model(fixed.i2)
    return fixed if model == "fixed" else pool(table, analysis, model)


def study_table(review, analysis: Analysis, **selection) -> pd.DataFrame:
    """The study rows of an analysis, from the loaded :class:`~metarmc.data.Review`."""
    getter = review.binary if analysis.kind == "binary" else review.continuous
    return getter(analysis.name, **selection)


@dataclass(frozen=True)
class Reproduction:
    """Our redo of one analysis beside what the paper printed."""

    analysis: Analysis
    result: MetaResult | None  # None when no study has data
    reported: pd.Series
    table: pd.DataFrame
    missing: pd.DataFrame

    @property
    def match(self) -> str:
        """``reproduced`` (estimate and CI round to the printed values), ``differs`` or ``no data``."""
        if self.result is None:
            return "no data"
        printed = [self.reported[c] for c in ("estimate", "ci_low", "ci_high")]
        ours = [self.result.estimate, self.result.ci_low, self.result.ci_high]
        return "reproduced" if np.allclose(np.round(ours, 2), printed, atol=1e-9) else "differs"


def reproduce(review, name: str) -> Reproduction:
    """Redo analysis ``name`` from the data, as the paper did it."""
    analysis = ANALYSES[name]
    table = study_table(review, analysis)
    result = as_the_paper_did(table, analysis) if len(table) else None
    return Reproduction(analysis, result, review.reported_row(name), table, review.missing(name))


def subgroup_table(review) -> pd.DataFrame:
    """Primary and secondary RM live-birth rows stacked with a ``subgroup`` column (RevMan's layout)."""
    parts = [study_table(review, ANALYSES[name]).assign(subgroup=ANALYSES[name].title.split(", ")[1].capitalize())
             for name in ("live_birth_primary", "live_birth_secondary")]
    return pd.concat(parts, ignore_index=True)


def summary(review) -> pd.DataFrame:
    """One row per analysis: the paper's printed result, ours, and whether they match."""
    rows = []
    for name in ANALYSES:
        rep = reproduce(review, name)
        ours = rep.result
        rows.append({
            "analysis": rep.analysis.title, "measure": rep.analysis.measure,
            "k_paper": int(rep.reported["k"]), "k_ours": ours.k if ours else 0,
            "paper": _effect_text(rep.reported["estimate"], rep.reported["ci_low"], rep.reported["ci_high"]),
            "paper_model": rep.reported["model"],
            "ours": _effect_text(ours.estimate, ours.ci_low, ours.ci_high) if ours else "no per-study data",
            "our_model": ours.model if ours else "",
            "match": rep.match,
        })
    return pd.DataFrame(rows)


def _effect_text(estimate, low, high) -> str:
    return f"{estimate:.2f} [{low:.2f}, {high:.2f}]"


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
