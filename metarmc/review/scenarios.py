"""The standard sensitivity analyses of one of this review's outcomes, built from the data.

Study design (randomised, placebo-controlled, recurrent miscarriage only), denominators,
studies known only from secondary reports, model, measure and zero-cell handling: each a
:class:`~metarmc.sensitivity.Scenario` for :func:`metarmc.sensitivity.scenarios`, each pooled
by the paper's I² rule unless it is about the model.

References
----------
Higgins JPT, Thomas J, et al. (eds) (2023). Cochrane Handbook for Systematic Reviews of
Interventions 6.4, §10.14 (sensitivity analyses).
"""

from __future__ import annotations

import pandas as pd

from ..data import DENOMINATOR_WORDS, DERIVATIONS, RM_TYPES
from ..sensitivity import Scenario, select
from .paper import as_the_paper_did, secondary_only_rows, study_table
from .registry import OUTCOMES

#: Design subsets of :func:`standard_scenarios`: name, the rows kept (column -> allowed values), description.
DESIGN_SUBSETS = (
    ("design: randomised", {"randomised": "yes"}, "studies whose report calls them randomised"),
    ("design: placebo-controlled", {"placebo_controlled": "yes"}, "studies with a placebo control arm"),
    ("design: randomised placebo-controlled", {"randomised": "yes", "placebo_controlled": "yes"},
     "the paper's own inclusion criteria: randomised and placebo-controlled"),
    ("design: recurrent miscarriage only", {"rm_type": tuple(t for t in RM_TYPES if t != "RIF")},
     "without studies of recurrent implantation failure"),
)


def standard_scenarios(review, outcome: str) -> list[Scenario]:
    """The usual sensitivity analyses of one outcome, built from the data.

    Parameters
    ----------
    review : metarmc.data.Review
    outcome : str
        An outcome of :data:`metarmc.review.registry.OUTCOMES` with extracted study rows.

    Returns
    -------
    list of Scenario
        For :func:`scenarios` with ``table = review.binary(outcome)`` (or ``continuous``):

        * ``paper's rule``: the main rows, pooled as the paper says it did (fixed effect,
          random effects if I² ≥ 50%);
        * design subsets (:data:`DESIGN_SUBSETS`) that keep some but not all studies, each
          pooled by the paper's rule;
        * for every denominator in the data (``itt``, ``pregnant``, ...), that denominator
          where a study of the main table reports it and the main row otherwise, when this
          changes at least one study (paper's rule);
        * ``studies: with secondary reports``: the main table plus the studies whose only
          extracted rows are ``main=no`` (e.g. a companion report), if there are any;
        * model choices on the main rows: fixed effect; with k ≥ 2 random effects (DL, REML,
          PM) and HKSJ; with k ≥ 3 REML with a 95% prediction interval; inverse-variance weights,
          and the other measures; for binary outcomes the zero-cell alternatives available
          (RevMan's 0.5 correction in every OR/RR row, the Peto OR without correction, and
          the risk difference, which keeps studies with no events in either arm).

    Raises
    ------
    ValueError
        If the outcome has no extracted study rows.
    """
    analysis = OUTCOMES[outcome]
    main = _main_table(review, outcome)
    specs = [Scenario("paper's rule", _paper_options(main, analysis),
                      description="main rows; fixed effect, random effects if I² ≥ 50% (the paper's rule)")]
    for name, where, description in DESIGN_SUBSETS:
        kept = select(main, where, name)
        if 0 < len(kept) < len(main):
            specs.append(Scenario(name, _paper_options(kept, analysis), where=where, description=description))
    for denominator, table in _denominator_tables(review, outcome, main).items():
        words = DENOMINATOR_WORDS[denominator]
        specs.append(Scenario(f"denominator: {words} where reported", _paper_options(table, analysis),
                              table=table, description=f"counts out of {words} where a study reports them, "
                                                       "else the main row"))
    if (table := _with_sensitivity_only_studies(review, outcome, main)) is not None:
        specs.append(Scenario("studies: with secondary reports", _paper_options(table, analysis), table=table,
                              description="adds studies whose only numbers are kept for sensitivity analyses "
                                          "(e.g. from a companion report)"))
    return specs + _model_scenarios(analysis, len(main))


def _main_table(review, outcome: str) -> pd.DataFrame:
    main = study_table(review, OUTCOMES[outcome])
    if main.empty:
        raise ValueError(f"outcome {outcome!r} has no extracted study rows: no sensitivity analysis to run")
    return main


def _paper_options(table: pd.DataFrame, analysis) -> dict:
    """Options that reproduce the paper's choice (its I² rule) on this table."""
    options = {"measure": analysis.measure, "model": as_the_paper_did(table, analysis).model}
    return {**options, "method": analysis.method} if analysis.kind == "binary" else options


def _denominator_tables(review, outcome: str, main: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """For each other denominator: the main table with that denominator's row where a study has one.

    Only the studies of the main table take part: a study with no main row is not added.
    """
    every = _every_row(review, outcome)
    every = every[every["study_id"].isin(main["study_id"])]
    tables = {}
    for denominator in dict.fromkeys(every["denominator"]):
        swapped = _by_label(pd.concat([_one_row_per_study(every[every["denominator"] == denominator]), main]))
        if not swapped.drop(columns="main").equals(main.drop(columns="main")):
            tables[denominator] = swapped
    return tables


def _with_sensitivity_only_studies(review, outcome: str, main: pd.DataFrame) -> pd.DataFrame | None:
    """The main table plus studies whose only extracted rows are ``main=no`` (None if there are none)."""
    extra = secondary_only_rows(review, OUTCOMES[outcome], main)
    return _by_label(pd.concat([main, _one_row_per_study(extra)])) if len(extra) else None


def _every_row(review, outcome: str) -> pd.DataFrame:
    return study_table(review, OUTCOMES[outcome], main_only=False)


def _by_label(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per study (the first given wins), ordered by label as Review Manager orders studies."""
    rows = rows.drop_duplicates("study_id")
    return rows.sort_values("study", key=lambda s: s.str.casefold(), kind="stable").reset_index(drop=True)


def _one_row_per_study(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per study: the main one if any, else the most direct derivation (reported first)."""
    rank = rows.assign(_not_main=rows["main"] != "yes",
                       _derivation=rows["derivation"].map({d: i for i, d in enumerate(DERIVATIONS)}))
    rank = rank.sort_values(["_not_main", "_derivation"], kind="stable")
    return rank.drop_duplicates("study_id").drop(columns=["_not_main", "_derivation"])


def _model_scenarios(analysis, k: int) -> list[Scenario]:
    base = {"measure": analysis.measure, **({"method": analysis.method} if analysis.kind == "binary" else {})}
    random = {**base, "model": "random"}
    specs = [Scenario("model: fixed effect", {**base, "model": "fixed"}, description="Review Manager's fixed effect")]
    if k >= 2:  # one study has no between-study variance to estimate
        specs += [Scenario("model: random DL", {**random, "tau2": "DL"}, description="DerSimonian-Laird (RevMan)"),
                  Scenario("model: random REML", {**random, "tau2": "REML"},
                           description="restricted maximum likelihood"),
                  Scenario("model: random PM", {**random, "tau2": "PM"}, description="Paule-Mandel"),
                  Scenario("model: random DL, HKSJ", {**random, "hksj": True},
                           description="Hartung-Knapp-Sidik-Jonkman CI (t, k - 1 df)")]
    if k >= 3:
        specs.append(Scenario("model: random REML, prediction interval",
                              {**random, "tau2": "REML", "prediction": True},
                              description="with a 95% prediction interval for a new study"))
    if analysis.kind == "binary":
        specs += [Scenario("weights: inverse variance OR", {"measure": "OR", "method": "IV"},
                           description="inverse-variance instead of Mantel-Haenszel weights"),
                  Scenario("measure: RR", {"measure": "RR", "method": "MH"}, description="M-H risk ratio"),
                  Scenario("measure: RD", {"measure": "RD", "method": "MH"},
                           description="M-H risk difference (keeps double-zero studies)"),
                  Scenario("zero cells: Peto OR", {"measure": "OR", "method": "Peto"},
                           description="Peto's one-step OR, no continuity correction")]
    else:
        specs.append(Scenario("measure: SMD, random DL", {"measure": "SMD", "model": "random"},
                              description="standardised mean difference (Hedges' g)"))
    return specs
