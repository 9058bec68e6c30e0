"""GRADE certainty of the evidence and a summary-of-findings table, every judgment computed.

Nothing here is typed in by hand: each of the five GRADE domains is one function ``rate_*``
that applies an explicit rule (thresholds are the module constants below) to numbers
computed from the data, and returns a :class:`Rating` (the downgrade 0, -1 or -2 and a
reason that names the numbers it used). :class:`OutcomeFindings` is one row of a summary of
findings and :class:`SummaryOfFindings` the table; :func:`grade_table` renders it as
GRADEpro does. Which analysis feeds which rule is the review's choice
(:func:`metarmc.review.findings.summary_of_findings`).

Certainty starts at *high* when randomised trials carry most of the weight, at *low*
otherwise, and goes down by the sum of the five downgrades (never below *very low*).
Absolute effects are per 1,000 at an assumed control-arm risk
(:func:`metarmc.measures.corresponding_risk`).

References
----------
Schünemann H, Brożek J, Guyatt G, Oxman A (eds) (2013). GRADE Handbook for grading quality
of evidence and strength of recommendations, §5 (quality of evidence).
Guyatt GH, Oxman AD, Vist G, et al. (2011). GRADE guidelines: 4. Rating the quality of
evidence - study limitations (risk of bias). J Clin Epidemiol 64:407-415.
Guyatt GH, Oxman AD, Montori V, et al. (2011). GRADE guidelines: 5. Rating the quality of
evidence - publication bias. J Clin Epidemiol 64:1277-1282.
Guyatt GH, Oxman AD, Kunz R, et al. (2011). GRADE guidelines 6. Rating the quality of
evidence - imprecision. J Clin Epidemiol 64:1283-1293.
Guyatt GH, Oxman AD, Kunz R, et al. (2011). GRADE guidelines: 7. Rating the quality of
evidence - inconsistency. J Clin Epidemiol 64:1294-1302.
Guyatt GH, Oxman AD, Kunz R, et al. (2011). GRADE guidelines: 8. Rating the quality of
evidence - indirectness. J Clin Epidemiol 64:1303-1310.
Higgins JPT, Thomas J, et al. (eds) (2023). Cochrane Handbook for Systematic Reviews of
Interventions 6.4, ch. 14 (Summary of findings tables) and ch. 15.4 (absolute effects).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .formatting import effect, studies_text
from .measures import corresponding_risk
from .sequential import required_information_size

#: Certainty levels, lowest first.
LEVELS = ("very low", "low", "moderate", "high")
#: GRADEpro's symbols for each level.
SYMBOLS = {"high": "⊕⊕⊕⊕", "moderate": "⊕⊕⊕◯", "low": "⊕⊕◯◯", "very low": "⊕◯◯◯"}
#: What the certainty column says when the outcome has no traceable data (or no rule fits).
NOT_ASSESSED = "not assessed"
#: The five domains, in GRADE's order.
DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")

#: Starting level: low when more than this share (%) of the weight is from studies not known
#: to be randomised (``randomised`` other than "yes").
NON_RANDOMISED_SHARE = 50.0

#: Risk of bias: the RoB 1 domains that decide it (sequence generation, allocation concealment).
ROB_DOMAINS = ("random_sequence", "allocation_concealment")
#: -1 when at least this share (%) of the weight is at high risk, or unclear in both domains.
ROB_SERIOUS_SHARE = 50.0
#: -2 when at least this share (%) of the weight is at high risk in either domain.
ROB_VERY_SERIOUS_SHARE = 50.0

#: Inconsistency: -1 from this I² (%), or when the prediction interval crosses the null and the CI does not.
I2_SERIOUS = 50.0
#: Inconsistency: -2 from this I² (%).
I2_VERY_SERIOUS = 75.0

#: Indirectness: -1 when at least this share (%) of the weight is from studies whose population,
#: intervention or comparison is not the question.
INDIRECT_SHARE = 25.0

#: Imprecision: risk ratios beyond which an effect is appreciable harm or benefit (GRADE's 25%).
APPRECIABLE_RR = (0.75, 1.25)
#: The optimal information size: relative risk reduction, two-sided α and power.
OIS_RRR, OIS_ALPHA, OIS_POWER = 0.25, 0.05, 0.80

#: Publication bias: fewest studies for Egger's test, and its significance level.
MIN_STUDIES_EGGER = 10
EGGER_ALPHA = 0.10

#: RoB 1's judgments, and ``not_obtained``: no text read reports on the domain (the report was not obtained).
_JUDGMENTS = ("low", "unclear", "high", "not_obtained")
#: The judgments that count as unclear in the shares of :func:`rate_risk_of_bias`.
UNCLEAR_JUDGMENTS = ("unclear", "not_obtained")
_PEOPLE = 1000


@dataclass(frozen=True)
class Rating:
    """One GRADE domain: ``downgrade`` is 0, -1 or -2; ``reason`` names the numbers used."""

    domain: str
    downgrade: int
    reason: str


# --- starting level and the five domains ---------------------------------------------------------

def starting_level(weight, randomised, study=None) -> tuple[str, str]:
    """GRADE's starting level from the design of the studies that carry the weight.

    Rule: start at *high* unless more than :data:`NON_RANDOMISED_SHARE` % of the analysis
    weight is from studies not known to be randomised (``randomised`` other than "yes"),
    then at *low* (GRADE Handbook §5: randomised trials start high, observational studies low).

    Returns
    -------
    (level, reason)
    """
    weight = _weights(weight)
    other = ~_isin(randomised, ("yes",), weight, "randomised")
    share = _share(weight, other)
    level = "low" if share > NON_RANDOMISED_SHARE else "high"
    rule = "more than" if level == "low" else "not more than"
    reason = (f"{share:.1f}% of the weight is from studies not known to be randomised"
              f"{_names(study, other)}: {rule} {NON_RANDOMISED_SHARE:g}%, start {level}")
    return level, reason


def rate_risk_of_bias(weight, sequence, allocation, study=None) -> Rating:
    """Risk of bias from sequence generation and allocation concealment, by share of weight.

    Rule: a study is at *high* risk when either domain is judged high, and *of concern* when
    it is at high risk or unclear in both. -2 when at least :data:`ROB_VERY_SERIOUS_SHARE` %
    of the weight is at high risk; else -1 when at least :data:`ROB_SERIOUS_SHARE` % is of
    concern; else 0 (GRADE guidelines 4: rate down when most of the information is from
    studies at high or unclear risk of bias).

    A domain judged ``not_obtained`` (its report was not obtained, so nothing read reports on
    it) counts as unclear (:data:`UNCLEAR_JUDGMENTS`) in these shares; the reason then gives,
    separately, the share of weight of concern that has a domain not obtained, so a reader can
    tell access to reports from trial conduct. (Provisional: the analysis plan states the rule.)

    Parameters
    ----------
    weight : array_like
        The studies' weights in the analysis (any scale; shares are of their sum).
    sequence, allocation : array_like of {"low", "unclear", "high", "not_obtained"}
        RoB 1 judgments for random sequence generation and allocation concealment.
    study : array_like of str, optional
        Labels, named in the reason.

    Examples
    --------
    >>> rating = rate_risk_of_bias([60, 40], ["not_obtained", "low"], ["unclear", "low"], ["A", "B"])
    >>> rating.downgrade
    -1
    >>> rating.reason.split("; ")[-1].split(". ")[0]
    '60.0% with a domain whose report was not obtained, counted as unclear (A)'
    """
    weight = _weights(weight)
    sequence, allocation = (_judgments(j, weight, name) for j, name in
                            ((sequence, "sequence"), (allocation, "allocation")))
    high = (sequence == "high") | (allocation == "high")
    concern = high | (np.isin(sequence, UNCLEAR_JUDGMENTS) & np.isin(allocation, UNCLEAR_JUDGMENTS))
    not_obtained = concern & ~high & ((sequence == "not_obtained") | (allocation == "not_obtained"))
    high_share, concern_share = _share(weight, high), _share(weight, concern)
    if high_share >= ROB_VERY_SERIOUS_SHARE:
        downgrade, verdict = -2, f"at least {ROB_VERY_SERIOUS_SHARE:g}% at high risk"
    elif concern_share >= ROB_SERIOUS_SHARE:
        downgrade, verdict = -1, f"at least {ROB_SERIOUS_SHARE:g}% at high or unclear risk"
    else:
        downgrade, verdict = 0, f"less than {ROB_SERIOUS_SHARE:g}% at high or unclear risk"
    reason = (f"{concern_share:.1f}% of the weight is from studies at high risk for sequence generation "
              f"or allocation concealment, or unclear in both{_names(study, concern)}; "
              f"{high_share:.1f}% at high risk{_names(study, high)}")
    if not_obtained.any():
        reason += (f"; {_share(weight, not_obtained):.1f}% with a domain whose report was not obtained, "
                   f"counted as unclear{_names(study, not_obtained)}")
    return Rating("risk_of_bias", downgrade, f"{reason}. {_verdict(downgrade)}: {verdict}")


def rate_inconsistency(i2: float, ci, pi, k: int, null: float = 1.0) -> Rating:
    """Inconsistency from I² and the 95% prediction interval.

    Rule: -2 when :math:`I^2 \\ge` :data:`I2_VERY_SERIOUS`; -1 when :math:`I^2 \\ge`
    :data:`I2_SERIOUS` or when the prediction interval crosses the null (contains both
    benefit and harm) while the confidence interval does not; else 0. With one study there
    is nothing to be inconsistent with (0). The prediction interval needs k ≥ 3; below that
    only I² decides (GRADE guidelines 7; Cochrane Handbook §10.10.4.3).

    Parameters
    ----------
    i2 : float
        I² in percent.
    ci, pi : (low, high)
        The 95% confidence and prediction intervals of the same random-effects (DerSimonian-
        Laird) fit, natural scale; ``pi`` is NaN when k < 3.
    k : int
        Number of studies.
    null : float
        1 for a ratio, 0 for a difference.
    """
    if not 0 <= i2 <= 100:
        raise ValueError(f"i2 must be a percentage in [0, 100]; got {i2!r}")
    if k < 1:
        raise ValueError(f"k must be at least 1; got {k!r}")
    if k == 1:
        return Rating("inconsistency", 0, "one study (k = 1): no inconsistency to assess. No downgrade")
    ci_low, ci_high = _interval(ci, "ci")
    if k < 3:
        pi_text, pi_crosses = f"prediction interval not computable (k = {k} < 3)", False
    else:
        pi_low, pi_high = _interval(pi, "pi")
        pi_crosses = pi_low < null < pi_high
        ci_crosses = ci_low < null < ci_high
        pi_text = (f"random effects (DerSimonian-Laird): 95% prediction interval {pi_low:.2f} to {pi_high:.2f} "
                   f"{_crosses(pi_crosses, null)}, 95% CI {ci_low:.2f} to {ci_high:.2f} {_crosses(ci_crosses, null)}")
        pi_crosses = pi_crosses and not ci_crosses
    if i2 >= I2_VERY_SERIOUS:
        downgrade, verdict = -2, f"I² at least {I2_VERY_SERIOUS:g}%"
    elif i2 >= I2_SERIOUS:
        downgrade, verdict = -1, f"I² at least {I2_SERIOUS:g}%"
    elif pi_crosses:
        downgrade, verdict = -1, "the prediction interval crosses the null and the CI does not"
    else:
        downgrade, verdict = 0, f"I² below {I2_SERIOUS:g}% and no prediction interval crossing the null alone"
    reason = f"I² = {i2:.1f}% (k = {k}); {pi_text}. {_verdict(downgrade)}: {verdict}"
    return Rating("inconsistency", downgrade, reason)


def rate_indirectness(weight, indirect, study=None) -> Rating:
    """Indirectness: the share of weight from studies whose population or comparison is not the question.

    Rule: -1 when the studies flagged indirect on any ground carry at least
    :data:`INDIRECT_SHARE` % of the weight, else 0 (GRADE guidelines 8: differences in
    population, intervention and comparator).

    Parameters
    ----------
    weight : array_like
        The studies' weights in the analysis.
    indirect : mapping of str to array_like of bool
        Each ground (e.g. ``"population RIF"``, ``"no placebo control"``) and which studies
        it applies to; the reason names the studies under each.
    study : array_like of str, optional
        Labels, named in the reason.

    Examples
    --------
    >>> rate_indirectness([60, 40], {"other population": [False, True]}).downgrade
    -1
    """
    weight = _weights(weight)
    grounds = {name: _per_study(mask, weight, name).astype(bool).to_numpy() for name, mask in indirect.items()}
    share = _share(weight, np.any([np.zeros(len(weight), bool), *grounds.values()], axis=0))
    downgrade = -1 if share >= INDIRECT_SHARE else 0
    bound = "at least" if downgrade else "less than"
    listed = "; ".join(f"{name}: {_listed(study, mask)}" for name, mask in grounds.items())
    reason = (f"{share:.1f}% of the weight is from studies whose population or comparison is not the question "
              f"({listed}). {_verdict(downgrade)}: {bound} {INDIRECT_SHARE:g}%")
    return Rating("indirectness", downgrade, reason)


def rate_imprecision(measure: str, ci, control_risk: float, participants: int, benefit: str = "lower") -> Rating:
    """Imprecision: does the CI cross the null, and is the optimal information size met?

    Rule: one count for a 95% CI that crosses 1, one for fewer participants than the
    optimal information size (OIS); -1 for one count, -2 for two. A CI so wide that it
    contains both appreciable benefit and appreciable harm (as risk ratios at the control
    risk, below and above :data:`APPRECIABLE_RR`) is -2 by itself (GRADE guidelines 6;
    GRADE Handbook §5.2.4). The OIS is the size of one trial able to detect a relative risk reduction of
    :data:`OIS_RRR` in the undesirable event (for ``benefit="higher"`` the complementary
    event, e.g. no live birth, as Egerup et al. 2015 did) at two-sided :data:`OIS_ALPHA` and
    power :data:`OIS_POWER` (:func:`metarmc.sequential.required_information_size`); when that event
    has risk 0 or 1 the OIS is not computable and counts as not met (GRADE guidelines 6).

    Parameters
    ----------
    measure : {"OR", "RR"}
    ci : (low, high)
        The 95% CI of the pooled ratio.
    control_risk : float
        Assumed control risk of the outcome's event.
    participants : int
        Participants in the analysis (both arms).
    benefit : {"lower", "higher"}
        Whether fewer or more events is the benefit.
    """
    if measure not in ("OR", "RR"):
        raise ValueError(f"measure must be OR or RR (a ratio); got {measure!r}")
    low, high = _interval(ci, "ci")
    if benefit not in ("lower", "higher"):
        raise ValueError(f"benefit must be lower or higher; got {benefit!r}")
    if participants < 0 or participants != int(participants):
        raise ValueError(f"participants must be a non-negative integer; got {participants!r}")
    crosses = low < 1 < high
    appreciable_text, both_appreciable = _appreciable(measure, (low, high), control_risk)
    ois_text, ois_met = _information_size(control_risk, participants, benefit)
    counts = int(crosses) + int(not ois_met)
    downgrade = -2 if both_appreciable else -counts
    verdict = ("the CI contains both appreciable benefit and appreciable harm" if both_appreciable else
               f"{counts} of 2 criteria (CI crosses 1; participants below the OIS) met")
    reason = (f"95% CI of the {measure} {low:.2f} to {high:.2f} {_crosses(crosses, 1)}{appreciable_text}; "
              f"{ois_text}. {_verdict(downgrade)}: {verdict}")
    return Rating("imprecision", downgrade, reason)


def rate_publication_bias(k: int, egger_p: float | None = None) -> Rating:
    """Publication bias from Egger's test, when there are enough studies for it.

    Rule: with fewer than :data:`MIN_STUDIES_EGGER` studies, "not assessable" and no
    downgrade on that ground alone (Cochrane Handbook §13.3.5.4); otherwise -1 when Egger's
    test gives :math:`P <` :data:`EGGER_ALPHA`, else 0 (GRADE guidelines 5).

    Parameters
    ----------
    k : int
        Number of studies in the analysis.
    egger_p : float, optional
        P value of :func:`metarmc.egger_test`; required when k ≥ :data:`MIN_STUDIES_EGGER`.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1; got {k!r}")
    if k < MIN_STUDIES_EGGER:
        return Rating("publication_bias", 0, f"not assessable (k = {k} < {MIN_STUDIES_EGGER}): "
                                             "too few studies for a funnel-plot test. No downgrade")
    if egger_p is None or not 0 <= egger_p <= 1:
        raise ValueError(f"with k = {k} >= {MIN_STUDIES_EGGER} an Egger P value in [0, 1] is needed; "
                         f"got {egger_p!r}")
    downgrade = -1 if egger_p < EGGER_ALPHA else 0
    relation = "<" if downgrade else ">="
    return Rating("publication_bias", downgrade, f"Egger's test P = {egger_p:.3f} {relation} {EGGER_ALPHA:g} "
                                                 f"(k = {k}). {_verdict(downgrade)}")


def certainty(start: str, downgrades) -> str:
    """The certainty: the starting level lowered by the sum of the downgrades, at least *very low*."""
    if start not in ("high", "low"):
        raise ValueError(f"start must be high or low; got {start!r}")
    downgrades = list(downgrades)
    if any(d not in (0, -1, -2) for d in downgrades):
        raise ValueError(f"downgrades must be 0, -1 or -2; got {downgrades}")
    return LEVELS[max(LEVELS.index(start) + sum(downgrades), 0)]


# --- one outcome and the table -------------------------------------------------------------------

@dataclass(frozen=True, repr=False)
class OutcomeFindings:
    """One row of the summary of findings.

    ``estimate``, ``ci_low``, ``ci_high`` are the pooled effect (natural scale) and
    ``control_risk`` the pooled control-arm risk, all None without traceable data.
    ``ratings`` has the five domains in :data:`DOMAINS` order (empty when not assessed);
    ``certainty`` is a level of :data:`LEVELS` or :data:`NOT_ASSESSED`, with ``note`` saying why.
    ``comment`` is shown in the table's last column (e.g. the result a paper printed).
    """

    outcome: str
    title: str
    measure: str
    studies: int
    participants: int
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    control_risk: float | None
    start: str | None
    start_reason: str
    ratings: tuple[Rating, ...]
    certainty: str
    note: str
    comment: str = ""

    @property
    def relative_effect(self) -> str:
        """``OR 2.04 (1.44 to 2.87)``, or why there is none."""
        if self.estimate is None:
            return "not estimable from traceable data"
        return effect(self, label="")

    def risks(self) -> tuple[float, ...] | None:
        """Per 1,000: control risk, then the intervention's risk and the risk difference, each estimate, low, high."""
        if self.control_risk is None:
            return None
        p = self.control_risk
        treated = _PEOPLE * corresponding_risk(p, [self.estimate, self.ci_low, self.ci_high], self.measure)
        return (_PEOPLE * p, *treated, *(treated - _PEOPLE * p))

    @property
    def absolute_effect(self) -> str:
        """``176 more per 1,000 (from 91 more to 255 more)``, or ``""`` without one."""
        risks = self.risks()
        if risks is None:
            return ""
        estimate, low, high = (_more_or_fewer(x) for x in risks[4:])
        return f"{estimate} per 1,000 (from {low} to {high})"

    def to_row(self) -> dict:
        """The row of :meth:`SummaryOfFindings.to_frame`."""
        risks = self.risks() or (None,) * 7
        ratings = {r.domain: r for r in self.ratings}
        domains = {}
        for name in DOMAINS:
            rating = ratings.get(name)
            domains[name] = rating.downgrade if rating else pd.NA
            domains[f"{name}_reason"] = rating.reason if rating else f"{NOT_ASSESSED}: {self.note}"
        return {"outcome": self.outcome, "title": self.title, "studies": self.studies,
                "participants": self.participants, "measure": self.measure, "estimate": self.estimate,
                "ci_low": self.ci_low, "ci_high": self.ci_high, "relative_effect": self.relative_effect,
                **dict(zip(RISK_COLUMNS, risks)), "absolute_effect": self.absolute_effect,
                "start": self.start, "start_reason": self.start_reason, **domains,
                "certainty": self.certainty, "note": self.note, "comment": self.comment}

    def __repr__(self) -> str:
        lowered = ", ".join(f"{r.domain.replace('_', ' ')} {r.downgrade}" for r in self.ratings if r.downgrade)
        detail = f" ({lowered})" if lowered else ""
        line = (f"{self.outcome}: {studies_text(self.studies)}, {self.participants} participants, "
                f"{self.relative_effect}")
        if self.absolute_effect:
            line += f", {self.absolute_effect}"
        return f"{line}; certainty {self.certainty}{detail}"


#: Per-1,000 columns of :meth:`SummaryOfFindings.to_frame`, in :meth:`OutcomeFindings.risks` order.
RISK_COLUMNS = ("control_per_1000", "intervention_per_1000", "intervention_per_1000_low", "intervention_per_1000_high",
                "difference_per_1000", "difference_per_1000_low", "difference_per_1000_high")
#: The columns of :meth:`SummaryOfFindings.to_frame`, in order.
SOF_COLUMNS = ("outcome", "title", "studies", "participants", "measure", "estimate", "ci_low", "ci_high",
               "relative_effect", *RISK_COLUMNS, "absolute_effect", "start", "start_reason",
               *(c for name in DOMAINS for c in (name, f"{name}_reason")), "certainty", "note", "comment")


@dataclass(frozen=True, repr=False)
class SummaryOfFindings:
    """A GRADE summary of findings: one :class:`OutcomeFindings` per outcome.

    ``intervention`` and ``comparator`` name the arms in the table's headers; ``comment_title``
    heads the column of the rows' ``comment``.
    """

    findings: tuple[OutcomeFindings, ...]
    intervention: str = "intervention"
    comparator: str = "control"
    comment_title: str = "Comments"

    def __getitem__(self, outcome: str) -> OutcomeFindings:
        for row in self.findings:
            if row.outcome == outcome:
                return row
        raise KeyError(f"no outcome {outcome!r}; the table has {', '.join(r.outcome for r in self.findings)}")

    def to_frame(self) -> pd.DataFrame:
        """One tidy row per outcome, columns :data:`SOF_COLUMNS` (per-1,000 risks unrounded)."""
        frame = pd.DataFrame([row.to_row() for row in self.findings], columns=list(SOF_COLUMNS))
        return frame.astype({name: "Int64" for name in DOMAINS})

    def __repr__(self) -> str:
        title = f"SummaryOfFindings({self.intervention} vs {self.comparator})"
        return "\n".join([title, *(f"  {row!r}" for row in self.findings)])


def grade_table(sof: SummaryOfFindings) -> pd.DataFrame:
    """A GRADEpro-style summary-of-findings table (display text; the book renders it).

    Columns: outcome, participants (studies), relative effect (95% CI), risk with the
    comparator, risk with the intervention, risk difference, certainty (GRADE symbols), what
    lowered it, and the rows' comments.
    """
    rows = []
    for row in sof.findings:
        risks = row.risks()
        lowered = [f"{r.domain.replace('_', ' ')} ({r.downgrade:+d})".replace("-", "−")
                   for r in row.ratings if r.downgrade]
        rows.append({
            "Outcome": row.title,
            "Participants (studies)": f"{row.participants} ({row.studies})",
            "Relative effect (95% CI)": row.relative_effect,
            f"Risk with {sof.comparator}": f"{risks[0]:.0f} per 1,000" if risks else "",
            f"Risk with {sof.intervention}": (f"{risks[1]:.0f} per 1,000 ({risks[2]:.0f} to {risks[3]:.0f})"
                                              if risks else ""),
            f"Risk difference with {sof.intervention}": row.absolute_effect,
            "Certainty": (f"{SYMBOLS[row.certainty]} {row.certainty.capitalize()}" if row.certainty in SYMBOLS
                          else f"{NOT_ASSESSED.capitalize()} ({row.note})"),
            "Lowered for": (", ".join(lowered) or "none") if row.ratings else "",
            sof.comment_title: row.comment,
        })
    return pd.DataFrame(rows)


# --- helpers ---------------------------------------------------------------------------------------

def _weights(weight) -> np.ndarray:
    weight = np.asarray(weight, dtype=float)
    if weight.ndim != 1 or len(weight) == 0:
        raise ValueError("weight must be a non-empty 1-d sequence of study weights")
    if np.any(~np.isfinite(weight) | (weight < 0)) or weight.sum() <= 0:
        raise ValueError(f"weights must be finite, >= 0 and not all 0; got {weight.tolist()}")
    return weight


def _per_study(values, weight: np.ndarray, name: str) -> pd.Series:
    values = pd.Series(np.asarray(values, dtype=object))
    if len(values) != len(weight):
        raise ValueError(f"{name} must have one value per study ({len(weight)}); got {len(values)}")
    return values


def _isin(values, allowed, weight: np.ndarray, name: str) -> np.ndarray:
    """Which studies' ``values`` are among ``allowed`` (a missing value is not)."""
    return _per_study(values, weight, name).isin(allowed).to_numpy()


def _judgments(values, weight: np.ndarray, name: str) -> np.ndarray:
    values = _per_study(values, weight, name)
    bad = values[~values.isin(_JUDGMENTS)]
    if len(bad):
        raise ValueError(f"{name} judgments must be {', '.join(_JUDGMENTS)}; got {bad.iloc[0]!r}")
    return values.to_numpy()


def _share(weight: np.ndarray, mask: np.ndarray) -> float:
    """Percent of the total weight carried by the studies in ``mask``."""
    return float(100 * weight[mask].sum() / weight.sum())


def _names(study, mask: np.ndarray) -> str:
    """`` (A, B)``: the labels of the studies in ``mask``, or nothing."""
    return f" ({_listed(study, mask)})" if study is not None and mask.any() else ""


def _listed(study, mask: np.ndarray) -> str:
    if not mask.any():
        return "none"
    if study is None:
        return f"{int(mask.sum())} studies"
    return ", ".join(map(str, np.asarray(study, dtype=object)[mask]))


def _interval(pair, name: str) -> tuple[float, float]:
    low, high = (float(x) for x in pair)
    if not (math.isfinite(low) and math.isfinite(high) and low <= high):
        raise ValueError(f"{name} must be a finite (low, high) pair with low <= high; got {pair!r}")
    return low, high


def _crosses(crosses: bool, null: float) -> str:
    return f"crosses {null:g}" if crosses else f"excludes {null:g}"


def _verdict(downgrade: int) -> str:
    return f"Downgrade {downgrade}".replace("-", "−") if downgrade else "No downgrade"


def _appreciable(measure: str, ci: tuple[float, float], control_risk: float) -> tuple[str, bool]:
    """The CI as risk ratios at the control risk, and whether it spans both appreciable effects."""
    if measure == "RR":
        rr = np.array(ci)
    elif control_risk > 0:
        rr = corresponding_risk(control_risk, ci, measure) / control_risk
    else:
        return " (as a risk ratio not computable: control risk 0)", False
    below, above = APPRECIABLE_RR
    both = bool(rr[0] < below and rr[1] > above)
    relation = "contains both" if both else "does not contain both"
    return (f" (RR {rr[0]:.2f} to {rr[1]:.2f} at the control risk {100 * control_risk:.1f}%, {relation} "
            f"RR < {below:g} and RR > {above:g})"), both


def _information_size(control_risk: float, participants: int, benefit: str) -> tuple[str, bool]:
    """Text and verdict of the optimal-information-size criterion."""
    risk = control_risk if benefit == "lower" else 1 - control_risk
    event = (f"control risk {100 * risk:.1f}%" if benefit == "lower" else
             f"control risk of the complementary event 1 − {100 * control_risk:.1f}% = {100 * risk:.1f}%")
    basis = f"{event}, RRR {OIS_RRR:.0%}, α {OIS_ALPHA:.2f}, power {OIS_POWER:.2f}"
    if not 0 < risk < 1:
        return f"{participants} participants; OIS not computable ({basis}): counted as not met", False
    ois = required_information_size(risk, OIS_RRR, OIS_ALPHA, OIS_POWER)
    met = participants >= ois
    relation = ">=" if met else "<"
    return f"{participants} participants {relation} OIS {ois} ({basis})", met


def _more_or_fewer(per_1000: float) -> str:
    """``91 more`` / ``342 fewer`` (GRADEpro's wording; the sign of the unrounded value decides)."""
    return f"{abs(round(per_1000))} {'fewer' if per_1000 < 0 else 'more'}"
