"""The review's own analysis plan: which evidence, which denominator, which model, stated once.

The paper's method on our data is the *reproduction* (:mod:`metarmc.review.paper`). The
review's own verdict follows this plan, and every page that draws a conclusion (the summary of
findings, GRADE, absolute effects, the number needed to treat, the trial sequential analysis,
the conclusion and the front page) reads :data:`PLAN` through the functions below.

- **Body of evidence**: randomised, placebo-controlled trials in recurrent miscarriage
  (:attr:`AnalysisPlan.body`). Non-randomised studies are a separate body, never pooled with
  the trials in a primary result; a study's own adjusted estimate may enter a generic
  inverse-variance sensitivity analysis.
- **Denominator**: all randomised women (intention to treat) where a trial reports them
  (:attr:`AnalysisPlan.denominators`, in order of preference), else the randomised women who
  received the study drug (a trial's own "ITT population" after exclusions). Where IVIG started
  before conception, counting only the women who became pregnant conditions on something that
  happened after randomisation; those denominators are a sensitivity analysis.
- **Model**: random effects with the REML estimate of τ², the Hartung-Knapp-Sidik-Jonkman CI
  and a 95% prediction interval (:math:`\\hat\\mu \\pm t_{k-2}\\sqrt{\\hat\\tau^2 + SE_{HK}^2}`, with the
  HKSJ standard error: metafor's ``predict(..., pi.type="riley")`` on a ``test="knha"`` fit).
  Sensitivity analyses: the HKSJ CI with the ad hoc variance correction
  (:func:`metarmc.heterogeneity.hksj_scale`), the conventional random-effects CI and prediction
  interval (Higgins et al. 2009), and the Mantel-Haenszel fixed-effect analysis (RevMan's default).

Examples
--------
>>> PLAN.options["tau2"], PLAN.options["hksj"]
('REML', True)
>>> PLAN.in_body({"randomised": "yes", "placebo_controlled": "yes", "rm_type": "RIF"})
False
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..api import meta_binary, meta_generic
from ..cumulative import cumulative_meta_analysis
from ..data import DERIVATIONS, RM_TYPES, not_all_randomised, provenance_flags
from ..distributions import Z_95
from ..results import MetaResult
from ..schema import METHOD_LABELS
from ..sensitivity import Scenario, scenarios
from .registry import INTERVENTION, OUTCOMES


@dataclass(frozen=True)
class AnalysisPlan:
    """A stated analysis plan (the review's protocol).

    Parameters
    ----------
    body : mapping of str to tuple of str
        Study columns and the values a study must have to be in the primary body of evidence.
    denominators : tuple of str
        Denominators in order of preference (a study's first available one is used).
    options : mapping
        Keyword arguments of :func:`~metarmc.meta_binary` for the primary analysis.
    fixed_effect : mapping
        The fixed-effect sensitivity analysis (RevMan's default).
    rationale : tuple of (str, tuple of str)
        Each decision in words, with the bibliography keys that support it.
    """

    body: Mapping[str, tuple[str, ...]]
    denominators: tuple[str, ...]
    options: Mapping
    fixed_effect: Mapping
    rationale: tuple[tuple[str, tuple[str, ...]], ...] = field(default=(), compare=False)

    def in_body(self, study: Mapping) -> bool:
        """Whether a study (a mapping with the :attr:`body` columns) belongs to the primary body."""
        return all(study.get(column) in allowed for column, allowed in self.body.items())

    @property
    def body_words(self) -> str:
        """The primary body in words, from :attr:`body` (e.g. ``randomised, placebo-controlled trials``).

        Each design column restricted to ``"yes"`` gives its adjective (:data:`DESIGN_WORDS`).
        """
        words = [DESIGN_WORDS[column] for column, allowed in self.body.items() if tuple(allowed) == ("yes",)]
        return f"{', '.join(words)} trials"

    def options_for(self, k: int) -> dict:
        """The :func:`~metarmc.meta_binary` options of an analysis of ``k`` trials.

        :attr:`options` from two trials on; a single trial is not pooled but shown as its own
        result (inverse variance, one study), since the HKSJ interval needs at least two.

        Examples
        --------
        >>> PLAN.options_for(1)
        {'measure': 'OR', 'method': 'IV', 'model': 'fixed'}
        """
        return dict(self.options) if k >= 2 else dict(measure=self.options["measure"], method="IV", model="fixed")

    @property
    def model_words(self) -> str:
        """The primary model in words, from :attr:`options` (e.g. ``REML random effects, HKSJ 95% CI``)."""
        if self.options["model"] == "fixed":
            return f"{METHOD_LABELS[self.options['method']]} fixed effect"
        return f"{self.options['tau2']} random effects" + (", HKSJ 95% CI" if self.options.get("hksj") else "")

    def body_mask(self, table: pd.DataFrame) -> np.ndarray:
        """Which rows of a study table belong to the primary body of evidence."""
        keep = np.ones(len(table), bool)
        for column, allowed in self.body.items():
            keep &= table[column].isin(allowed).to_numpy()
        return keep


#: The adjective of each design column, when the plan keeps only its "yes" studies.
DESIGN_WORDS = {"randomised": "randomised", "placebo_controlled": "placebo-controlled"}

PLAN = AnalysisPlan(
    body={"randomised": ("yes",), "placebo_controlled": ("yes",),
          "rm_type": tuple(t for t in RM_TYPES if t != "RIF")},
    denominators=("itt", "treated", "pregnant", "clinical_pregnancy", "per_protocol", "liveborn"),
    options=dict(measure="OR", method="IV", model="random", tau2="REML", hksj=True, prediction=True),
    fixed_effect=dict(measure="OR", method="MH", model="fixed"),
    rationale=(
        ("Only randomised, placebo-controlled trials in recurrent miscarriage answer the question without "
         "confounding; non-randomised studies are a separate body of evidence, never pooled with them in a "
         "primary result.", ("cochrane2023ch24",)),
        ("All randomised women are the denominator where a trial reports them (intention to treat), else the "
         "randomised women who received the study drug: counting only women who became pregnant conditions on an "
         "event after randomisation when IVIG started before conception.", ("cochrane2023ch10",)),
        ("Random effects, because the trials differ in dose, timing and population; REML for the between-trial "
         "variance, which performs better than DerSimonian-Laird.", ("langan2019",)),
        ("The Hartung-Knapp-Sidik-Jonkman confidence interval, because with few trials the usual interval is too "
         "narrow, and a prediction interval for the effect in a new setting.", ("inthout2014", "cochrane2023ch10")),
        ("When the trials agree more closely than their own variances imply, the Hartung-Knapp-Sidik-Jonkman "
         "standard error is smaller than the usual one. Two sensitivity analyses show what the choice does: the "
         "ad hoc correction, which never lets it be smaller (recommended when there are few trials of different "
         "sizes), and the usual random-effects analysis.", ("knapp2003improved", "roever2015", "jackson2017")),
        ("The prediction interval adds the between-trial variance to the variance of the pooled estimate, with a "
         "t distribution on k − 2 degrees of freedom; it uses the Hartung-Knapp-Sidik-Jonkman standard error. "
         "The usual form, with the conventional standard error, is a sensitivity analysis.",
         ("higgins2009re", "riley2011interpretation")),
        ("The Mantel-Haenszel fixed-effect analysis, RevMan's default and the paper's, as a sensitivity "
         "analysis.", ("deeks2010revman",)),
    ),
)
"""This review's plan."""


def primary_table(review, outcome: str, plan: AnalysisPlan = PLAN) -> pd.DataFrame:
    """The study rows of the primary analysis: the body's trials, each with its preferred denominator.

    Returns
    -------
    DataFrame
        As :meth:`metarmc.data.Review.binary`, one row per trial of the body with extracted
        counts: the row of the first denominator of :attr:`AnalysisPlan.denominators` the trial
        reports (whatever its ``main`` flag), ordered by study label.
    """
    rows = _every_row(review, outcome)
    return preferred_denominator(rows[plan.body_mask(rows)], plan.denominators)


def other_body_table(review, outcome: str, plan: AnalysisPlan = PLAN) -> pd.DataFrame:
    """The studies outside the body (non-randomised or not placebo-controlled or another population)."""
    rows = _every_row(review, outcome)
    return preferred_denominator(rows[~plan.body_mask(rows)], plan.denominators)


def preferred_denominator(rows: pd.DataFrame, order) -> pd.DataFrame:
    """One row per study: its first available denominator in ``order``, then the most direct derivation."""
    order = tuple(dict.fromkeys(order))  # a denominator named twice keeps its first place
    rank = rows.assign(_denominator=rows["denominator"].map({d: i for i, d in enumerate(order)}),
                       _derivation=rows["derivation"].map({d: i for i, d in enumerate(DERIVATIONS)}))
    rank = rank.sort_values(["_denominator", "_derivation"], kind="stable").drop_duplicates("study_id")
    rank = rank.drop(columns=["_denominator", "_derivation"])
    return rank.sort_values("study", key=lambda s: s.str.casefold(), kind="stable").reset_index(drop=True)


def primary_result(review, outcome: str, plan: AnalysisPlan = PLAN) -> MetaResult:
    """The plan's primary analysis of ``outcome`` (REML random effects, HKSJ, prediction interval).

    With a single trial there is nothing to pool: its own result (inverse variance, one study).
    """
    table = primary_table(review, outcome, plan)
    return meta_binary(table, **plan.options_for(len(table)))


def plan_cumulative(review, outcome: str, plan: AnalysisPlan = PLAN, *, order_by: str = "year") -> pd.DataFrame:
    """The plan's primary analysis as the trials appeared: a cumulative meta-analysis of :func:`primary_table`.

    Returns
    -------
    DataFrame
        :func:`metarmc.cumulative_meta_analysis` of the body's trials in the order of ``order_by``
        with the plan's model; a step that pools a single trial is that trial's own result, as
        :func:`primary_result` gives it (:meth:`AnalysisPlan.options_for`). The last row is
        :func:`primary_result`.
    """
    table = primary_table(review, outcome, plan)
    steps = cumulative_meta_analysis(table, order_by=order_by, **plan.options_for(len(table)))
    single = steps["k"].to_numpy() == 1
    if single.any():
        own = cumulative_meta_analysis(table, order_by=order_by, **plan.options_for(1))
        steps[single] = own[single]
    return steps


def sensitivity_analyses(review, outcome: str, plan: AnalysisPlan = PLAN) -> pd.DataFrame:
    """The plan's sensitivity analyses of ``outcome``, one tidy row each (:func:`metarmc.scenarios`).

    1. the primary analysis; 2. HKSJ with the ad hoc variance correction (``hksj="adhoc"``, its
    SE never below the conventional one); 3. the same REML fit without HKSJ (the conventional
    z-based CI and the prediction interval of Higgins et al. 2009); 4. Mantel-Haenszel fixed
    effect; 5. DerSimonian-Laird random effects without HKSJ (RevMan's random effects); 6.
    pregnant women as the denominator where a trial reports them; 7. without derived and
    lay-source counts (:func:`direct_counts`); 8. adding the non-randomised studies, as the paper
    did (a different body of evidence: not an answer to the plan's question). The generic
    inverse-variance analysis with the studies' own adjusted estimates is
    :func:`with_adjusted_estimates`.
    """
    main = primary_table(review, outcome, plan)
    pregnant = preferred_denominator(_every_row(review, outcome)[lambda r: plan.body_mask(r)],
                                     ("pregnant", *plan.denominators))
    everything = pd.concat([main, other_body_table(review, outcome, plan)], ignore_index=True)
    specs = [Scenario("plan: primary analysis", plan.options, description="REML random effects, HKSJ CI"),
             Scenario(ADHOC, {**plan.options, "hksj": "adhoc"},
                      description="the HKSJ standard error never smaller than the usual one (ad hoc correction)"),
             Scenario(CONVENTIONAL, {**plan.options, "hksj": False},
                      description="REML random effects with the usual standard error: normal-based CI, prediction "
                                  "interval as Higgins et al."),
             Scenario("model: M-H fixed effect", plan.fixed_effect, description="RevMan's default, as the paper"),
             Scenario("model: DerSimonian-Laird random effects", {**plan.options, "tau2": "DL", "hksj": False},
                      description="RevMan's random effects (no HKSJ)"),
             Scenario("denominator: pregnant women", plan.options, table=pregnant,
                      description="women who became pregnant, where a trial reports them"),
             Scenario("data: without derived and lay-source counts", plan.options, table=direct_counts(main),
                      description="only counts printed as such in a study's report: none derived from percentages "
                                  "or other numbers, none from a press or clinic web page"),
             Scenario("body: with the non-randomised studies", plan.options, table=everything,
                      description="as the paper pooled them; a different body of evidence")]
    return scenarios(main, [spec for spec in specs if len(spec.kept(main))])


#: The names of the two sensitivity analyses of the HKSJ choice in :func:`sensitivity_analyses`.
ADHOC, CONVENTIONAL = "model: HKSJ with the ad hoc correction", "model: REML without HKSJ"


def hksj_factor(review, outcome: str, plan: AnalysisPlan = PLAN) -> float:
    """The Hartung-Knapp factor :math:`q` of the primary analysis of ``outcome``.

    :math:`q = SE_{HK}^2 / SE^2`: the HKSJ variance of the pooled estimate over the conventional
    one, from the same REML fit (:func:`metarmc.heterogeneity.hksj_scale`). Below 1 when the
    trials agree more closely than their variances imply; there the HKSJ standard error is the
    smaller and the ad hoc correction replaces it by the conventional one.
    """
    table = primary_table(review, outcome, plan)
    usual = meta_binary(table, **{**plan.options, "hksj": False})
    return float((meta_binary(table, **plan.options).se / usual.se) ** 2)


def direct_counts(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a study table whose counts are printed as such in a report for professionals.

    Drops every row whose ``derivation`` is not ``reported`` (counts derived from percentages or
    from other numbers of the arms, or taken from another review) and every row read at least in
    part from a lay summary (``source_type`` includes ``lay_summary``): the rows
    :func:`metarmc.data.provenance_flags` does not call ``direct``.

    Examples
    --------
    >>> rows = pd.DataFrame({"study": ["A", "B", "C"], "derivation": ["reported", "derived_from_percent", "reported"],
    ...                      "source_type": ["abstract", "abstract", "lay_summary;abstract"]})
    >>> direct_counts(rows)["study"].tolist()
    ['A']
    """
    return table[provenance_flags(table)["direct"].to_numpy()].reset_index(drop=True)


def with_adjusted_estimates(review, outcome: str, plan: AnalysisPlan = PLAN) -> MetaResult | None:
    """The trials of the plan plus the studies' own adjusted estimates (generic inverse variance).

    Each trial enters with its log odds ratio and SE from its counts; each study of
    ``estimates.csv`` outside the body with its reported estimate and the SE its 95% CI implies,
    :math:`(\\ln U - \\ln L) / 3.92` (Cochrane Handbook 6.5.2.2). None when no study reports one.
    """
    adjusted = review.reported_estimates(outcome)
    adjusted = adjusted[~plan.body_mask(adjusted) & (adjusted["measure"] == plan.options["measure"])]
    if adjusted.empty:
        return None
    trials = meta_binary(primary_table(review, outcome, plan), **plan.options).studies
    trials = trials[trials["estimable"]]
    rows = pd.concat([
        pd.DataFrame({"study": trials["study"], "yi": np.log(trials["estimate"]), "se": trials["se"]}),
        pd.DataFrame({"study": adjusted["study"] + " (adjusted)", "yi": np.log(adjusted["estimate"]),
                      "se": (np.log(adjusted["ci_high"]) - np.log(adjusted["ci_low"])) / (2 * Z_95)}),
    ], ignore_index=True)
    options = {name: value for name, value in plan.options.items() if name != "method"}
    return meta_generic(rows, **options)


def fewer_than_randomised(review, table: pd.DataFrame) -> pd.DataFrame:
    """The trials of a study table counted out of fewer women than they randomised (where studies.csv says how many).

    Returns
    -------
    DataFrame
        Columns ``study``, ``denominator``, ``randomised_t``, ``excluded_t``, ``randomised_c``,
        ``excluded_c``: one row per trial whose arm totals are below its randomised arms.
    """
    studies = review.studies.set_index("study_id")[["n_randomised_t", "n_randomised_c"]]
    rows = table.join(studies, on="study_id").dropna(subset=["n_randomised_t", "n_randomised_c"])
    rows = rows.assign(randomised_t=rows["n_randomised_t"].astype(int), randomised_c=rows["n_randomised_c"].astype(int),
                       excluded_t=(rows["n_randomised_t"] - rows["total_t"]).astype(int),
                       excluded_c=(rows["n_randomised_c"] - rows["total_c"]).astype(int))
    rows = rows[(rows["excluded_t"] > 0) | (rows["excluded_c"] > 0)]
    return rows[["study", "denominator", "randomised_t", "excluded_t", "randomised_c", "excluded_c"]].reset_index(
        drop=True)


def denominator_sentences(review, table: pd.DataFrame) -> str:
    """Which trials of a study table are not counted out of all the women they randomised, in sentences.

    One sentence per denominator (:func:`metarmc.data.not_all_randomised`); for randomised women
    who received the study drug, how many of each arm were excluded (:func:`fewer_than_randomised`).
    Empty when every trial counts all randomised women.

    Example: ``"Not every trial counts all the women it randomised. For Jablonowska 1999 the counts
    are among women who became pregnant. For Yamada 2022 they are among randomised women who
    received the study drug: 3 of the 53 women randomised to IVIG and 0 of the 49 randomised to
    control were excluded."``
    """
    groups = not_all_randomised(table)
    if not groups:
        return ""
    short = fewer_than_randomised(review, table).set_index("study")
    sentences = ["Not every trial counts all the women it randomised."]
    for i, (studies, words) in enumerate(groups):
        sentence = f"For {studies} {'the counts' if not i else 'they'} are among {words}"
        for study in (s for s in studies.split(", ") if s in short.index and short.loc[s, "denominator"] == "treated"):
            arms = short.loc[study]
            sentence += (f": {arms['excluded_t']} of the {arms['randomised_t']} women randomised to {INTERVENTION} and "
                         f"{arms['excluded_c']} of the {arms['randomised_c']} randomised to control were excluded")
        sentences.append(sentence + ".")
    return " ".join(sentences)


def assumed_risks(table: pd.DataFrame) -> dict[str, float]:
    """Assumed control-arm risks for absolute effects: the trials' pooled control arms, and their lowest and
    highest control-arm rates as two other populations (stated from the data, not chosen)."""
    risks = table["events_c"] / table["total_c"]
    return {"trials' control arms": float(table["events_c"].sum() / table["total_c"].sum()),
            "lowest control-arm rate": float(risks.min()), "highest control-arm rate": float(risks.max())}


def _every_row(review, outcome: str) -> pd.DataFrame:
    if OUTCOMES[outcome].kind != "binary":
        raise ValueError(f"the analysis plan pools binary outcomes; {outcome!r} is {OUTCOMES[outcome].kind}")
    return review.binary(outcome, main_only=False)
