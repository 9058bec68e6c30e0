"""Sensitivity analyses: which study moves the result, and what other defensible choices give.

:func:`influence` re-pools leaving out each study in turn (through the batch core, via
:func:`metarmc.leave_one_out`); :func:`scenarios` runs a list of named :class:`Scenario`
(a subset of studies or another table, and pooling options) and returns one tidy row each;
:func:`standard_scenarios` builds the usual list for an outcome from the data: study design,
denominators, model, measure and zero-cell handling.

References
----------
Higgins JPT, Thomas J, et al. (eds) (2023). Cochrane Handbook for Systematic Reviews of
Interventions 6.4, §10.14 (sensitivity analyses).
Deeks JJ, Higgins JPT (2010). Statistical algorithms in Review Manager 5.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import data
from .api import BINARY_COLUMNS, CONTINUOUS_COLUMNS, leave_one_out, meta_binary, meta_continuous
from .results import MetaResult
from .review import ANALYSES, as_the_paper_did

#: Significance level used to say whether leaving a study out changes the conclusion.
ALPHA = 0.05
#: The columns of :func:`scenarios`, in order.
SCENARIO_COLUMNS = ("scenario", "description", "k", "measure", "model", "estimate", "ci_low", "ci_high",
                    "p", "i2", "tau2", "pi_low", "pi_high", "studies")
#: The :class:`~metarmc.results.MetaResult` attributes a scenario row carries.
RESULT_COLUMNS = ("estimate", "ci_low", "ci_high", "p", "i2", "tau2", "pi_low", "pi_high")
#: Design subsets of :func:`standard_scenarios`: name, the rows kept (column -> allowed values), description.
DESIGN_SUBSETS = (
    ("design: randomised", {"randomised": "yes"}, "studies whose report calls them randomised"),
    ("design: placebo-controlled", {"placebo_controlled": "yes"}, "studies with a placebo control arm"),
    ("design: randomised placebo-controlled", {"randomised": "yes", "placebo_controlled": "yes"},
     "the paper's own inclusion criteria: randomised and placebo-controlled"),
    ("design: recurrent miscarriage only", {"rm_type": tuple(t for t in data.RM_TYPES if t != "RIF")},
     "without studies of recurrent implantation failure"),
)


@dataclass(frozen=True)
class Scenario:
    """One sensitivity analysis: which rows to pool and how.

    Parameters
    ----------
    name : str
        Short label (the ``scenario`` column of :func:`scenarios`).
    options : mapping
        Keyword arguments of :func:`~metarmc.meta_binary` or :func:`~metarmc.meta_continuous`
        (``measure``, ``method``, ``model``, ``tau2``, ``hksj``, ``prediction``).
    where : mapping, optional
        Keep the rows whose column holds the given value (or one of a tuple of values),
        e.g. ``{"randomised": "yes"}``; every condition must hold.
    table : DataFrame, optional
        Pool this table instead of the one passed to :func:`scenarios` (e.g. other
        denominators); ``where`` then applies to it.
    description : str
        One line for a reader.
    """

    name: str
    options: Mapping = field(default_factory=dict)
    where: Mapping | None = None
    table: pd.DataFrame | None = field(default=None, compare=False)
    description: str = ""

    def rows(self, table: pd.DataFrame) -> pd.DataFrame:
        """The study rows this scenario pools, from ``table`` (or its own table)."""
        rows = select(self.table if self.table is not None else table, self.where or {}, self.name)
        if rows.empty:
            raise ValueError(f"scenario {self.name!r} keeps no study")
        return rows


def select(table: pd.DataFrame, where: Mapping, name: str = "") -> pd.DataFrame:
    """The rows of ``table`` whose columns hold the values ``where`` allows (a value or a tuple of values)."""
    keep = np.ones(len(table), bool)
    for column, allowed in where.items():
        if column not in table.columns:
            raise ValueError(f"scenario {name!r}: no column {column!r} to select on; "
                             f"columns are {', '.join(table.columns)}")
        keep &= table[column].isin(allowed if isinstance(allowed, tuple) else (allowed,)).to_numpy()
    return table[keep].reset_index(drop=True)


def table_kind(table: pd.DataFrame) -> str:
    """``"binary"`` or ``"continuous"``, from the columns a study table has."""
    for kind, columns in (("binary", BINARY_COLUMNS), ("continuous", CONTINUOUS_COLUMNS)):
        if set(columns) <= set(table.columns):
            return kind
    raise ValueError(f"a study table needs the columns {', '.join(BINARY_COLUMNS)} (binary) or "
                     f"{', '.join(CONTINUOUS_COLUMNS)} (continuous); got {', '.join(table.columns)}")


def pool_table(table: pd.DataFrame, **options) -> MetaResult:
    """:func:`~metarmc.meta_binary` or :func:`~metarmc.meta_continuous`, as the columns say."""
    meta = meta_binary if table_kind(table) == "binary" else meta_continuous
    return meta(table, **options)


def influence(table: pd.DataFrame, **options) -> pd.DataFrame:
    """Leave-one-out: re-pool without each study in turn, and say which one moves the result most.

    Parameters
    ----------
    table : DataFrame
        A study table (binary or continuous columns, as :func:`~metarmc.meta_binary` or
        :func:`~metarmc.meta_continuous` take it), at least two studies.
    **options
        Pooling options, as for those functions.

    Returns
    -------
    DataFrame
        One row per omitted study: the columns of :func:`metarmc.leave_one_out` (``omitted,
        k, estimate, ci_low, ci_high, p, i2, tau2``), then ``change`` (estimate without the
        study minus the estimate with all, natural scale), ``significant`` (p < 0.05 without
        the study), ``changes_significance`` (differs from the full analysis) and
        ``most_influential`` (true for the study whose omission moves the estimate most on the
        analysis scale, :math:`|\\ln \\widehat{OR}_{(-i)} - \\ln \\widehat{OR}|` for ratios).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"study": ["A", "B", "C"], "events_t": [12, 5, 9], "total_t": [20, 18, 17],
    ...                    "events_c": [8, 4, 5], "total_c": [21, 17, 17]})
    >>> influence(df).set_index("omitted")["most_influential"].idxmax()  # B has the lowest OR, 1.25
    'B'
    """
    if len(table) < 2:
        raise ValueError(f"leave-one-out needs at least 2 studies; got {len(table)}")
    kind = table_kind(table)
    full = pool_table(table, **options)
    rows = leave_one_out(table.reset_index(drop=True), kind=kind, **options)
    to_scale = np.log if full.is_ratio else (lambda x: x)
    shift = np.abs(to_scale(rows["estimate"].to_numpy()) - to_scale(full.estimate))
    significant = rows["p"] < ALPHA
    return rows.assign(change=rows["estimate"] - full.estimate, significant=significant,
                       changes_significance=significant != (full.p < ALPHA),
                       most_influential=np.arange(len(rows)) == np.nanargmax(shift))


def scenarios(table: pd.DataFrame, scenario_specs: Sequence[Scenario]) -> pd.DataFrame:
    """Run named scenarios and return one tidy row each.

    Parameters
    ----------
    table : DataFrame
        The study table the scenarios select from (those with their own ``table`` ignore it).
    scenario_specs : sequence of Scenario

    Returns
    -------
    DataFrame
        Columns :data:`SCENARIO_COLUMNS`: ``model`` is Review Manager's label of the method
        (e.g. ``M-H, Random, REML, HKSJ, 95% CI``), ``studies`` the pooled study labels;
        ``tau2`` is 0 for fixed effect; ``pi_low``/``pi_high`` are NaN unless a prediction
        interval was asked for (and k ≥ 3).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"study": ["A", "B"], "events_t": [12, 5], "total_t": [20, 18],
    ...                    "events_c": [8, 4], "total_c": [21, 17], "randomised": ["yes", "no"]})
    >>> out = scenarios(df, [Scenario("all"), Scenario("randomised", where={"randomised": "yes"})])
    >>> out[["scenario", "k"]].values.tolist()
    [['all', 2], ['randomised', 1]]
    """
    names = [spec.name for spec in scenario_specs]
    if len(set(names)) < len(names):
        raise ValueError(f"scenario names must be unique; got {names}")
    return pd.DataFrame([_scenario_row(spec, table) for spec in scenario_specs], columns=list(SCENARIO_COLUMNS))


def _scenario_row(spec: Scenario, table: pd.DataFrame) -> dict:
    rows = spec.rows(table)
    result = pool_table(rows, **spec.options)
    estimable = result.studies.loc[result.studies["estimable"], "study"]
    return {"scenario": spec.name, "description": spec.description, "k": result.k, "measure": result.measure,
            "model": result.label, **{c: getattr(result, c) for c in RESULT_COLUMNS},
            "studies": "; ".join(map(str, estimable))}


def standard_scenarios(review, outcome: str) -> list[Scenario]:
    """The usual sensitivity analyses of one outcome, built from the data.

    Parameters
    ----------
    review : metarmc.data.Review
    outcome : str
        An analysis of :data:`metarmc.review.ANALYSES` with extracted study rows.

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
        * ``studies: with sensitivity-only rows``: the main table plus the studies whose only
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
    analysis = ANALYSES[outcome]
    main = _main_table(review, outcome)
    specs = [Scenario("paper's rule", _paper_options(main, analysis),
                      description="main rows; fixed effect, random effects if I² ≥ 50% (the paper's rule)")]
    for name, where, description in DESIGN_SUBSETS:
        kept = select(main, where, name)
        if 0 < len(kept) < len(main):
            specs.append(Scenario(name, _paper_options(kept, analysis), where=where, description=description))
    for denominator, table in _denominator_tables(review, outcome, main).items():
        specs.append(Scenario(f"denominator: {denominator} where reported", _paper_options(table, analysis),
                              table=table, description=f"{denominator} counts where a study reports them, "
                                                       "else the main row"))
    if (table := _with_sensitivity_only_studies(review, outcome, main)) is not None:
        specs.append(Scenario("studies: with sensitivity-only rows", _paper_options(table, analysis), table=table,
                              description="adds studies whose only extracted rows are main=no"))
    return specs + _model_scenarios(analysis, len(main))


def _main_table(review, outcome: str) -> pd.DataFrame:
    main = _getter(review, outcome)(outcome)
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
    every = _every_row(review, outcome)
    extra = every[~every["study_id"].isin(main["study_id"])]
    return _by_label(pd.concat([main, _one_row_per_study(extra)])) if len(extra) else None


def _every_row(review, outcome: str) -> pd.DataFrame:
    return _getter(review, outcome)(outcome, main_only=False)


def _getter(review, outcome: str):
    """``review.binary`` or ``review.continuous``, as the outcome's type says."""
    return review.binary if data.OUTCOMES[outcome] == "binary" else review.continuous


def _by_label(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per study (the first given wins), ordered by label as Review Manager orders studies."""
    rows = rows.drop_duplicates("study_id")
    return rows.sort_values("study", key=lambda s: s.str.casefold(), kind="stable").reset_index(drop=True)


def _one_row_per_study(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per study: the main one if any, else the most direct derivation (reported first)."""
    rank = rows.assign(_not_main=rows["main"] != "yes",
                       _derivation=rows["derivation"].map({d: i for i, d in enumerate(data.DERIVATIONS)}))
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
