"""The GRADE summary of findings of IVIG against control, built from the data by the analysis plan.

For each outcome, the analysis is the plan's (:mod:`metarmc.review.plan`: randomised,
placebo-controlled trials, all randomised women where reported, REML random effects with the
Hartung-Knapp-Sidik-Jonkman CI), and each GRADE rule of :mod:`metarmc.grade` is fed the numbers
it needs: the study weights feed the starting level, risk of bias and indirectness; I² and the
prediction interval feed inconsistency; the CI, the trials' control risk, the participants and
the plan's information size (:func:`~metarmc.review.information.planned_information_size`, the
required information size of the trial sequential analysis) feed imprecision; the studies that
may answer the question but have no usable data feed publication bias (missing evidence).

Two outcomes need more than a rule: miscarriage, which the traceable trials count among the same
pregnant women as live birth, in most of them as its exact complement (:func:`complement_table`,
:func:`complement_of`, :func:`complement_clause`), and harms, whose only result is the paper's
printed one (:func:`rate_printed_only`), with every safety signal of the sources beside it
(:func:`safety_table`, :func:`safety_clause`) and the trials whose control arm had no infusion
(:func:`no_infusion_controls`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..api import meta_binary
from ..bias import egger_test
from ..data import source_words
from ..formatting import effect, studies_text
from ..grade import (
    I2_SERIOUS,
    I2_VERY_SERIOUS,
    MIN_STUDIES_EGGER,
    NOT_ASSESSED,
    ROB_DOMAINS,
    OutcomeFindings,
    Rating,
    SummaryOfFindings,
    certainty,
    rate_imprecision,
    rate_inconsistency,
    rate_indirectness,
    rate_publication_bias,
    rate_risk_of_bias,
    starting_level,
)
from ..measures import control_risk
from ..results import MetaResult
from ..schema import participants
from .information import PLAN_TSA, planned_information_size, undesirable_control_risk
from .paper import reproduce
from .plan import PLAN, assumed_risks, primary_result, primary_table
from .registry import CONTROL, INTERVENTION, SUMMARY_ORDER
from .registry import outcome as registry_outcome

#: Denominators that count pregnancies: absolute effects are then per 1,000 pregnant women.
PREGNANCIES = ("pregnant", "clinical_pregnancy")
#: Indirectness: each ground, the study column it reads and the values that make a study indirect.
INDIRECT = {"women with recurrent implantation failure, not miscarriage": ("rm_type", ("RIF",)),
            "no placebo control": ("placebo_controlled", ("no",))}
#: A study "may meet" the plan's criteria when none of its design columns says it does not.
POSSIBLY = {"randomised": ("yes", "unclear"), "placebo_controlled": ("yes", "unclear")}


def rate_outcome(review, outcome: str) -> OutcomeFindings:
    """Rate one outcome from the data, by the analysis plan.

    Participants and the control risk count every trial of the plan with data; the comment
    says what the paper printed, and for miscarriage whether it is the same information as
    live birth.
    """
    analysis = registry_outcome(outcome)
    printed = review.reported_row(outcome)
    common = dict(outcome=outcome, title=analysis.title, measure=analysis.measure, benefit=analysis.benefit,
                  comment=f"Paper printed {_printed(printed)}")
    if analysis.kind != "binary":
        rep = reproduce(review, outcome)
        size = _size(rep.table, rep.result)
        return _not_assessed(common, size, "a continuous outcome needs a minimal important difference, "
                                           "which data/ does not hold" if rep.result else
                             "not estimable from traceable data")
    table = primary_table(review, outcome)
    if table.empty:
        return rate_printed_only(review, outcome)
    result = primary_result(review, outcome)
    same_as, shared = complement_of(review, outcome), complement_clause(review, outcome)
    population = "pregnant women" if table["denominator"].isin(PREGNANCIES).all() else "women"
    if same_as:
        common["comment"] = (f"The same women and pregnancies as {registry_outcome(same_as).title.lower()} "
                             f"(every loss is a pregnancy without a live birth): not separate evidence. "
                             + common["comment"])
    elif shared:
        common["comment"] = f"The same women as live birth ({shared}): not separate evidence. " + common["comment"]
    studies = result.studies[result.studies["estimable"]]
    weight, label = studies["weight"].to_numpy(float), studies["study"].to_numpy()
    p_c = control_risk(table)
    start, start_reason = starting_level(weight, studies["randomised"], label)
    rob = review.judgment_grid(studies["study_id"], ROB_DOMAINS)
    indirect = {name: studies[column].isin(values).to_numpy() for name, (column, values) in INDIRECT.items()}
    missing_share, missing = missing_evidence(review, outcome)
    ratings = (
        rate_risk_of_bias(weight, rob[ROB_DOMAINS[0]], rob[ROB_DOMAINS[1]], label),
        rate_inconsistency(result.i2, (result.ci_low, result.ci_high), (result.pi_low, result.pi_high), result.k,
                           model="random effects (REML, HKSJ)"),
        rate_indirectness(weight, indirect, label),
        rate_imprecision(analysis.measure, (result.ci_low, result.ci_high), p_c, participants(table),
                         planned_information_size(review, outcome), _ois_basis(table, outcome)),
        rate_publication_bias(result.k, egger_test(result).p if result.k >= MIN_STUDIES_EGGER else None,
                              missing_share, missing),
    )
    risks = assumed_risks(table)
    del risks["trials' control arms"]
    return OutcomeFindings(**common, studies=result.k, participants=participants(table), estimate=result.estimate,
                           ci_low=result.ci_low, ci_high=result.ci_high, control_risk=p_c, start=start,
                           start_reason=start_reason, ratings=ratings,
                           certainty=certainty(start, (r.downgrade for r in ratings)), note="",
                           population=population, assumed_risks=risks)


def summary_of_findings(review, outcomes=SUMMARY_ORDER) -> SummaryOfFindings:
    """GRADE summary of findings of IVIG against control, one row per outcome, by the analysis plan.

    Parameters
    ----------
    review : metarmc.data.Review
        From :func:`metarmc.load`.
    outcomes : sequence of str
        Outcomes of the registry, in the order of the table.

    Returns
    -------
    SummaryOfFindings
        See :func:`rate_outcome` for how each row is computed; its last column says what the
        paper printed and what else a reader must know.
    """
    return SummaryOfFindings(tuple(rate_outcome(review, name) for name in outcomes), intervention=INTERVENTION,
                             comparator=CONTROL.lower(), comment_title="Comments")


def with_usual_prediction_interval(review, outcome: str) -> tuple[MetaResult, Rating, str]:
    """The inconsistency rating and certainty of ``outcome`` had the plan used the usual prediction interval.

    The plan's prediction interval takes the variance of the pooled estimate from the
    Hartung-Knapp-Sidik-Jonkman fit; the usual one (Higgins et al. 2009; Riley et al. 2011) from
    the same REML fit with the conventional standard error (:data:`~metarmc.review.plan.CONVENTIONAL`).
    The rating applies :func:`~metarmc.grade.rate_inconsistency` to the usual prediction interval
    and the plan's CI; the certainty is the row's with that rating in place of its own.

    Returns
    -------
    (MetaResult, Rating, str)
        The REML fit without HKSJ, its inconsistency rating, and the certainty with it.
    """
    row = rate_outcome(review, outcome)
    plan_fit = primary_result(review, outcome)
    usual = meta_binary(primary_table(review, outcome), **{**PLAN.options, "hksj": False})
    rating = rate_inconsistency(plan_fit.i2, (row.ci_low, row.ci_high), (usual.pi_low, usual.pi_high), usual.k,
                                model="random effects (REML), usual standard error")
    downgrades = [rating.downgrade if r.domain == rating.domain else r.downgrade for r in row.ratings]
    return usual, rating, certainty(row.start, downgrades)


#: The columns of :func:`complement_table`.
COMPLEMENT_COLUMNS = ("study", "study_id", "events_t", "total_t", "events_c", "total_c", "events_t_of",
                      "events_c_of", "neither_t", "neither_c")


def complement_table(review, outcome: str, of: str = "live_birth") -> pd.DataFrame:
    """Each trial of the plan with ``outcome`` data beside its row of ``of`` out of the same women.

    A trial's row of ``of`` is one with the same arm totals (the same women, whatever its
    denominator is called); of several, the one closest to a complement. ``neither_t`` and
    ``neither_c`` count the women of each arm in neither outcome, :math:`n - e - e_{of}`: 0 in
    both arms means ``outcome`` is exactly the complement of ``of`` in that trial (e.g. every
    pregnancy without a live birth ended in a miscarriage). Trials without such a row are left out.

    Returns
    -------
    DataFrame
        Columns :data:`COMPLEMENT_COLUMNS`, in the plan's order of trials.
    """
    table = primary_table(review, outcome)
    other = review.binary(of, main_only=False)[["study_id", "events_t", "total_t", "events_c", "total_c"]]
    pairs = table.merge(other, on=["study_id", "total_t", "total_c"], suffixes=("", "_of"))
    pairs = pairs.assign(neither_t=pairs["total_t"] - pairs["events_t"] - pairs["events_t_of"],
                         neither_c=pairs["total_c"] - pairs["events_c"] - pairs["events_c_of"])
    closest = (pairs["neither_t"].abs() + pairs["neither_c"].abs()).to_numpy()
    pairs = pairs.iloc[np.argsort(closest, kind="stable")].drop_duplicates("study_id")
    order = {study: i for i, study in enumerate(table["study_id"])}
    return pairs.sort_values("study_id", key=lambda s: s.map(order))[list(COMPLEMENT_COLUMNS)].reset_index(drop=True)


def complement_clause(review, outcome: str, of: str = "live_birth") -> str | None:
    """How ``outcome`` and ``of`` share the plan's trials, in words.

    None unless every trial counts both among the same women.

    Examples: ``"in Coulam 1995, Stephenson 2010 every pregnancy without a live birth ended in a
    miscarriage, so there the two odds ratios are reciprocals; in Yamada 2022, 2 of 50 (IVIG) and
    0 of 49 (control) pregnancies ended in neither"``.
    """
    if outcome == of or primary_table(review, outcome).empty:
        return None
    pairs = complement_table(review, outcome, of)
    if len(pairs) < len(primary_table(review, outcome)) or (pairs[["neither_t", "neither_c"]] < 0).any(axis=None):
        return None
    exact = (pairs["neither_t"] == 0) & (pairs["neither_c"] == 0)
    titles = [registry_outcome(name).title.lower() for name in (of, outcome)]
    parts = [f"in {', '.join(pairs.loc[exact, 'study'])} every pregnancy without a {titles[0]} ended in a {titles[1]}, "
             "so there the two odds ratios are reciprocals"] if exact.any() else []
    parts += [f"in {r.study}, {r.neither_t} of {r.total_t} ({INTERVENTION}) and {r.neither_c} of {r.total_c} "
              f"({CONTROL.lower()}) pregnancies ended in neither" for r in pairs[~exact].itertuples()]
    return "; ".join(parts)


def complement_of(review, outcome: str, of: str = "live_birth") -> str | None:
    """``of`` when, in every trial of the plan, ``outcome``'s events are exactly the pregnancies without ``of``.

    A trial's outcome row (e.g. miscarriage, 11/29 vs 21/32) is the complement of its row of
    ``of`` out of the same women (live birth, 18/29 vs 11/32) when the events add up to the
    totals in both arms (:func:`complement_table`). Then the two outcomes carry the same
    information and their odds ratios are reciprocals. None otherwise (or when the outcome has
    no trial data, or is ``of`` itself).
    """
    if outcome == of or primary_table(review, outcome).empty:
        return None
    pairs = complement_table(review, outcome, of)
    exact = (pairs["neither_t"] == 0) & (pairs["neither_c"] == 0)
    return of if len(pairs) == len(primary_table(review, outcome)) and exact.all() else None


def missing_evidence(review, outcome: str) -> tuple[float, str]:
    """The share (%) of participants, by the paper's Table 1 sizes, in studies that meet or may meet the
    plan's criteria but have no usable data for ``outcome``, and their names."""
    studies = review.studies
    possible = np.ones(len(studies), bool)
    for column, allowed in POSSIBLY.items():
        possible &= studies[column].isin(allowed).to_numpy()
    possible &= studies["rm_type"].isin(PLAN.body["rm_type"]).to_numpy()
    traced = set(primary_table(review, outcome)["study_id"])
    candidates = studies[possible]
    missing = candidates[~candidates["study_id"].isin(traced)]
    total = candidates["n_table1"].sum()
    share = float(100 * missing["n_table1"].sum() / total) if total else 0.0
    return share, ", ".join(missing["label"])


#: The note of a row whose only result is the paper's printed one.
PRINTED_ONLY = "the paper's printed result only; no trial's data could be traced"


def rate_printed_only(review, outcome: str) -> OutcomeFindings:
    """A row for an outcome whose only result is the paper's printed one (no trial has traceable data).

    Rule: the studies behind the printed result are not named, so it cannot be shown to be
    randomised evidence: it starts *low*; it is lowered once for risk of bias (the studies'
    conduct cannot be assessed), for inconsistency by the printed I² (:func:`~metarmc.grade.rate_inconsistency`),
    and for imprecision by the printed CI (one count when it crosses 1 or ends within a 1%
    hair's breadth of it, one because the information size cannot be checked). The comment names
    the studies' control arms that received no infusion, where infusion reactions cannot occur
    (a structural zero, :func:`no_infusion_controls`), and every safety signal of the sources
    (:func:`safety_clause`).
    """
    analysis = registry_outcome(outcome)
    printed = review.reported_row(outcome)
    low, high = float(printed["ci_low"]), float(printed["ci_high"])
    ratings = (
        Rating("risk_of_bias", -1, "the studies pooled are not named; their conduct cannot be assessed. Downgrade −1",
               "The paper does not say which studies it pooled, so their conduct cannot be assessed."),
        _printed_inconsistency(float(printed["i2"])),
        Rating("indirectness", 0, "not assessable without the studies. No downgrade"),
        Rating("imprecision", -1, f"printed 95% CI {low:.2f} to {high:.2f}, from almost no effect to a very large "
               "one; the information size cannot be checked. Downgrade −1",
               "The confidence interval is very wide and cannot be checked against the studies."),
        Rating("publication_bias", 0, "not assessable without the studies. No downgrade"),
    )
    untreated = no_infusion_controls(review)
    zero = (f" Controls of {', '.join(untreated)} received no infusion, so infusion reactions could not occur in "
            "that arm (a structural zero)." if untreated else "")
    signals = safety_clause(review)
    zero += f" Safety signals in the sources, not pooled: {signals}." if signals else ""
    return OutcomeFindings(
        outcome=outcome, title=analysis.title, measure=analysis.measure, benefit=analysis.benefit,
        studies=int(printed["k"]), participants=int(printed["n_total"]), estimate=float(printed["estimate"]),
        ci_low=low, ci_high=high, control_risk=None, start="low",
        start_reason="the studies pooled are not named, so the result cannot be shown to be randomised evidence: "
                     "start low", ratings=ratings, certainty=certainty("low", (r.downgrade for r in ratings)),
        note=PRINTED_ONLY,
        comment=f"As printed by the paper; not reproducible from traceable data.{zero}")


def no_infusion_controls(review) -> list[str]:
    """The studies whose control arm received no infusion (``control_infusion`` is ``no``), by label.

    In such an arm an infusion reaction cannot happen: a structural zero, not evidence of safety.
    """
    studies = review.studies
    return studies.loc[studies["control_infusion"] == "no", "label"].tolist()


#: How a study's control arm was treated (``control_infusion``), in a reader's words.
CONTROL_INFUSION_WORDS = {"yes": "placebo infusion", "no": "no infusion (untreated)", "unclear": "not reported"}


def _arm_count(events, total, unit: str) -> str:
    """``0 of 49 women``, ``4 neonates`` (size of the arm not given) or ``not given``."""
    if events is None or events is pd.NA or pd.isna(events):
        return "not given"
    return f"{int(events)} of {int(total)} {unit}" if pd.notna(total) else f"{int(events)} {unit}"


def safety_table(review) -> pd.DataFrame:
    """Every safety signal of ``harms.csv`` for readers, with its source and the control arm's treatment.

    Returns
    -------
    DataFrame
        Columns ``Study``, ``Safety signal``, the two arms' counts (``4 neonates``, ``0 of 49
        women``, ``not given``), ``What the source says`` (the signal in words), ``Source`` (its
        kind, :func:`~metarmc.data.source_words`, and citation) and ``Control arm``
        (:data:`CONTROL_INFUSION_WORDS`), in file order.
    """
    signals = review.safety_signals()
    arms = {arm: [_arm_count(r[f"events_{arm}"], r[f"total_{arm}"], r["unit"]) for _, r in signals.iterrows()]
            for arm in "tc"}
    return pd.DataFrame({
        "Study": signals["study"], "Safety signal": signals["event"].str.capitalize(),
        INTERVENTION: arms["t"], CONTROL: arms["c"], "What the source says": signals["description"],
        "Source": signals["source_type"].map(source_words).str.capitalize() + ": " + signals["source"],
        "Control arm": signals["control_infusion"].map(CONTROL_INFUSION_WORDS),
    }).reset_index(drop=True)


def safety_clause(review) -> str:
    """The safety signals of ``harms.csv`` in one clause, each with its counts and kind of source.

    Example: ``"Yamada 2022: congenital anomaly in 4 vs 0 neonates, from a lay summary (press or
    clinic web page); ...; Peero 2024: serious adverse event in 0 of 49 women with IVIG (no count for
    the other arm), from an abstract"``; empty when ``harms.csv`` has none.
    """
    parts = []
    for _, row in review.safety_signals().iterrows():
        kind = source_words(row["source_type"])
        article = "an" if kind[0] in "aeiou" else "a"
        parts.append(f"{row['study']}: {row['event']} {_counts(row)}, from {article} {kind}")
    return "; ".join(parts)


def _counts(signal: pd.Series) -> str:
    """``in 4 vs 0 neonates``, ``in 3/20 vs 1/21 women``, ``in 0 of 49 women with IVIG (no control count)``."""
    given = {arm: pd.notna(signal[f"events_{arm}"]) for arm in "tc"}
    if not any(given.values()):
        return "(no numbers given)"
    arm = {a: f"{int(signal[f'events_{a}'])}" + (f"/{int(signal[f'total_{a}'])}" if pd.notna(signal[f"total_{a}"])
                                                   else "") for a in "tc" if given[a]}
    if all(given.values()):
        return f"in {arm['t']} vs {arm['c']} {signal['unit']}"
    only = "t" if given["t"] else "c"
    name = INTERVENTION if only == "t" else CONTROL.lower()
    return f"in {arm[only].replace('/', ' of ')} {signal['unit']} with {name} (no count for the other arm)"


def _printed_inconsistency(i2: float) -> Rating:
    """Inconsistency from a printed I² alone, with :func:`~metarmc.grade.rate_inconsistency`'s thresholds."""
    downgrade = -2 if i2 >= I2_VERY_SERIOUS else -1 if i2 >= I2_SERIOUS else 0
    return Rating("inconsistency", downgrade, f"printed I² = {i2:.0f}%. "
                  + (f"Downgrade {downgrade}".replace("-", "−") if downgrade else "No downgrade"),
                  "The studies' results differ more than chance would explain." if downgrade else "")


def _not_assessed(common: dict, size: dict, note: str) -> OutcomeFindings:
    return OutcomeFindings(**common, **size, control_risk=None, start=None, start_reason=f"{NOT_ASSESSED}: {note}",
                           ratings=(), certainty=NOT_ASSESSED, note=note)


def _size(table: pd.DataFrame, result) -> dict:
    if result is None:
        return dict(studies=0, participants=0, estimate=None, ci_low=None, ci_high=None)
    return dict(studies=len(table), participants=participants(table), estimate=result.estimate,
                ci_low=result.ci_low, ci_high=result.ci_high)


def _ois_basis(table: pd.DataFrame, outcome: str) -> str:
    event = "no live birth" if registry_outcome(outcome).benefit == "higher" else "the event"
    return (f"control risk of {event} {100 * undesirable_control_risk(table, outcome):.1f}%, "
            f"RRR {PLAN_TSA['rrr']:.0%}, α {PLAN_TSA['alpha']:.2f}, power {PLAN_TSA['power']:.2f}; "
            "the trial sequential analysis's required information size")


def _printed(reported: pd.Series) -> str:
    """``OR 2.24 (1.68 to 2.98); 11 studies, 842 participants``: what the paper printed."""
    return (f"{effect(reported, label='')}; {studies_text(int(reported['k']))}, "
            f"{int(reported['n_total'])} participants")
