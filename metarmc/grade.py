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
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .formatting import effect, null_relation, studies_text
from .measures import NumberNeededToTreat, corresponding_risk, number_needed_to_treat

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

#: Publication bias: fewest studies for Egger's test, and its significance level.
MIN_STUDIES_EGGER = 10
EGGER_ALPHA = 0.10
#: Publication bias (missing evidence): the default threshold of :func:`rate_publication_bias`, -1 when
#: studies that meet, or may meet, the inclusion criteria but have no usable data for the outcome hold at
#: least this share (%) of the participants. GRADE gives no number; this is the review's stated rule.
MISSING_SHARE = 20.0

#: RoB 1's judgments, and ``not_obtained``: no text read reports on the domain (the report was not obtained).
_JUDGMENTS = ("low", "unclear", "high", "not_obtained")
#: The judgments that count as unclear in the shares of :func:`rate_risk_of_bias`.
UNCLEAR_JUDGMENTS = ("unclear", "not_obtained")
_PEOPLE = 1000


@dataclass(frozen=True)
class Rating:
    """One GRADE domain: ``downgrade`` is 0, -1 or -2; ``reason`` names the numbers used, ``footnote``
    says in plain words why certainty was lowered (empty when it was not)."""

    domain: str
    downgrade: int
    reason: str
    footnote: str = ""


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
    footnote = ("" if not downgrade else "Most of the weight is from trials at high risk of bias in how they were "
                "randomised or concealed allocation." if downgrade == -2 else
                "Most of the weight is from trials whose randomisation and allocation concealment are at high or "
                "unclear risk of bias" + (", some only because their full reports were not obtained."
                                          if not_obtained.any() else "."))
    return Rating("risk_of_bias", downgrade, f"{reason}. {_verdict(downgrade)}: {verdict}", footnote)


def rate_inconsistency(i2: float, ci, pi, k: int, null: float = 1.0, model: str = "random effects") -> Rating:
    """Inconsistency from I² and the 95% prediction interval.

    Rule: -2 when :math:`I^2 \\ge` :data:`I2_VERY_SERIOUS`; -1 when :math:`I^2 \\ge`
    :data:`I2_SERIOUS` or when the prediction interval crosses the null (contains both
    benefit and harm) while the confidence interval does not; else 0. With one study there
    is nothing to be inconsistent with (0). The prediction interval needs k ≥ 3; below that
    only I² decides.

    Why these thresholds: GRADE guidelines 7 asks whether the results differ in ways that
    matter for a decision, with I² as one aid among overlap of the intervals and the test for
    heterogeneity; the Cochrane Handbook (§10.10.2) calls 50-90% "substantial" and 75-100%
    "considerable" heterogeneity. A prediction interval that spans both benefit and harm while
    the CI does not is the direct form of the question "would a new setting see the opposite
    effect?" (§10.10.4.3), so it lowers certainty even when I² is small.

    Parameters
    ----------
    i2 : float
        I² in percent.
    ci, pi : (low, high)
        The 95% confidence and prediction intervals of the same random-effects fit, natural
        scale; ``pi`` is NaN when k < 3.
    k : int
        Number of studies.
    null : float
        1 for a ratio, 0 for a difference.
    model : str
        How the fit is named in the reason (e.g. ``"random effects (REML, HKSJ)"``).
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
        pi_text = (f"{model}: 95% prediction interval {pi_low:.2f} to {pi_high:.2f} "
                   f"{null_relation(pi_low, pi_high, null)}, 95% CI {ci_low:.2f} to {ci_high:.2f} "
                   f"{null_relation(ci_low, ci_high, null)}")
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
    footnote = ("" if not downgrade else "The trials' results differ more than chance would explain."
                if not pi_crosses or i2 >= I2_SERIOUS else
                "The range of effects to expect in a new setting includes no benefit.")
    return Rating("inconsistency", downgrade, reason, footnote)


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
    footnote = "Much of the weight is from studies of another population or comparison." if downgrade else ""
    return Rating("indirectness", downgrade, reason, footnote)


def rate_imprecision(measure: str, ci, control_risk: float, participants: int, ois: int | None,
                     ois_basis: str = "") -> Rating:
    """Imprecision: does the CI cross the null, and is the optimal information size met?

    Rule: one count for a 95% CI that crosses 1, one for fewer participants than the
    optimal information size (OIS); -1 for one count, -2 for two. A CI so wide that it
    contains both appreciable benefit and appreciable harm (as risk ratios at the control
    risk, below and above :data:`APPRECIABLE_RR`) is -2 by itself (GRADE guidelines 6;
    GRADE Handbook §5.2.4). The OIS is the caller's: the size of one trial able to detect the
    effect worth detecting (:func:`metarmc.required_information_size`), the same number a
    trial sequential analysis of the outcome uses as its required information size; None
    (not computable) counts as not met (GRADE guidelines 6).

    Parameters
    ----------
    measure : {"OR", "RR"}
    ci : (low, high)
        The 95% CI of the pooled ratio.
    control_risk : float
        Assumed control risk of the outcome's event.
    participants : int
        Participants in the analysis (both arms).
    ois : int or None
        The optimal information size, in participants.
    ois_basis : str
        The assumptions behind ``ois``, named in the reason.

    Examples
    --------
    >>> rate_imprecision("OR", (1.05, 2.35), 0.4, 486, 539).downgrade   # CI excludes 1; 486 < 539
    -1
    """
    if measure not in ("OR", "RR"):
        raise ValueError(f"measure must be OR or RR (a ratio); got {measure!r}")
    low, high = _interval(ci, "ci")
    if participants < 0 or participants != int(participants):
        raise ValueError(f"participants must be a non-negative integer; got {participants!r}")
    crosses = low < 1 < high
    appreciable_text, both_appreciable = _appreciable(measure, (low, high), control_risk)
    ois_met = ois is not None and participants >= ois
    basis = f" ({ois_basis})" if ois_basis else ""
    ois_text = (f"{participants} participants; OIS not computable{basis}: counted as not met" if ois is None else
                f"{participants} participants {'>=' if ois_met else '<'} OIS {ois}{basis}")
    counts = int(crosses) + int(not ois_met)
    downgrade = -2 if both_appreciable else -counts
    verdict = ("the CI contains both appreciable benefit and appreciable harm" if both_appreciable else
               f"{counts} of 2 criteria (CI crosses 1; participants below the OIS) met")
    reason = (f"95% CI of the {measure} {low:.2f} to {high:.2f} {null_relation(low, high)}{appreciable_text}; "
              f"{ois_text}. {_verdict(downgrade)}: {verdict}")
    reasons = ([] if not crosses else ["the confidence interval includes no effect"]) + \
              ([] if ois_met else ["fewer women took part than a single adequately powered trial would need"])
    footnote = ("The confidence interval includes both a worthwhile benefit and a worthwhile harm."
                if both_appreciable else (" and ".join(reasons).capitalize() + ".") if reasons else "")
    return Rating("imprecision", downgrade, reason, footnote)


def rate_publication_bias(k: int, egger_p: float | None = None, missing_share: float | None = None,
                          missing_studies: str = "", *, missing_threshold: float = MISSING_SHARE) -> Rating:
    """Publication bias and missing evidence: Egger's test when there are enough studies, and the
    share of participants in eligible studies whose data for the outcome are missing.

    Rule: -1 when studies that meet, or may meet, the inclusion criteria but have no usable data
    for the outcome hold at least ``missing_threshold`` % of their participants (default
    :data:`MISSING_SHARE`, 20%; GRADE guidelines 5: evidence missing from the analysis, for
    whatever reason, biases it as unpublished studies do, but GRADE sets no threshold, so the
    number is this review's stated rule and the footnote names it); otherwise, with at least
    :data:`MIN_STUDIES_EGGER` studies, -1 when Egger's test gives :math:`P <`
    :data:`EGGER_ALPHA`; with fewer, a funnel-plot test is not assessable (Cochrane Handbook
    §13.3.5.4) and does not lower certainty on its own.

    Parameters
    ----------
    k : int
        Number of studies in the analysis.
    egger_p : float, optional
        P value of :func:`metarmc.egger_test`; required when k ≥ :data:`MIN_STUDIES_EGGER`.
    missing_share : float, optional
        Percent of the eligible (or possibly eligible) studies' participants without usable data.
    missing_studies : str
        Their names, for the reason.
    missing_threshold : float
        The share (%) of participants from which missing evidence lowers certainty.

    Examples
    --------
    >>> rate_publication_bias(7, missing_share=28.0, missing_studies="Carp 2001").downgrade
    -1
    >>> rate_publication_bias(7, missing_share=28.0, missing_threshold=30.0).downgrade
    0
    """
    if k < 1:
        raise ValueError(f"k must be at least 1; got {k!r}")
    for name, share in (("missing_share", missing_share), ("missing_threshold", missing_threshold)):
        if share is not None and not 0 <= share <= 100:
            raise ValueError(f"{name} must be a percentage in [0, 100]; got {share!r}")
    missing = missing_share is not None and missing_share >= missing_threshold
    parts, downgrade = [], 0
    if missing_share is not None:
        names = f" ({missing_studies})" if missing_studies else ""
        parts.append(f"{missing_share:.1f}% of the participants of eligible or possibly eligible studies have no "
                     f"usable data for this outcome{names}")
        downgrade = -1 if missing else 0
    if k < MIN_STUDIES_EGGER:
        parts.append(f"a funnel-plot test is not assessable (k = {k} < {MIN_STUDIES_EGGER})")
    else:
        if egger_p is None or not 0 <= egger_p <= 1:
            raise ValueError(f"with k = {k} >= {MIN_STUDIES_EGGER} an Egger P value in [0, 1] is needed; "
                             f"got {egger_p!r}")
        parts.append(f"Egger's test P = {egger_p:.3f} {'<' if egger_p < EGGER_ALPHA else '>='} {EGGER_ALPHA:g} "
                     f"(k = {k})")
        downgrade = -1 if egger_p < EGGER_ALPHA else downgrade
    rule = (f"at least {missing_threshold:g}% of the participants missing" if missing else
            "small-study asymmetry" if downgrade else "")
    reason = "; ".join(parts) + f". {_verdict(downgrade)}" + (f": {rule}" if rule else "")
    footnote = ("" if not downgrade else
                f"Trials that may answer the question but have no usable data for it hold {missing_threshold:g}% or "
                "more of the participants of such trials (this review's rule for missing evidence)." if missing else
                "Small trials show larger effects than large ones (funnel-plot asymmetry).")
    return Rating("publication_bias", downgrade, reason, footnote)


#: GRADE's informative statements of an effect by certainty (Santesso et al. 2020); ``{verb}`` is the effect
#: phrased as a verb ("increase live births"), ``{subject}`` the intervention.
STATEMENTS = {"high": "{subject} {verb}", "moderate": "{subject} probably {verb}s",
              "low": "{subject} may {verb}",
              "very low": "the evidence is very uncertain about whether {subject} {verb}s"}


def statement(certainty_level: str, verb: str, subject: str) -> str:
    """An effect in GRADE's words for its certainty (Santesso et al. 2020, J Clin Epidemiol 119:126-35).

    Examples
    --------
    >>> statement("low", "increase live births", "IVIG")
    'IVIG may increase live births'
    >>> statement("very low", "increase live births", "IVIG")
    'the evidence is very uncertain about whether IVIG increases live births'
    """
    if certainty_level not in STATEMENTS:
        raise ValueError(f"certainty must be one of {', '.join(STATEMENTS)}; got {certainty_level!r}")
    template = STATEMENTS[certainty_level]
    if "{verb}s" in template:  # third person: "increase live births" -> "increases live births"
        head, _, rest = verb.partition(" ")
        return template.replace("{verb}s", f"{head}s {rest}".strip()).format(subject=subject)
    return template.format(subject=subject, verb=verb)


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
    ``benefit`` says whether more events are the benefit (``"higher"``, e.g. live birth);
    ``population`` names who the absolute effects are per 1,000 of; ``assumed_risks`` holds
    further control risks (e.g. a lower- and a higher-risk population) for
    :meth:`absolute_effects`.
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
    benefit: str = "higher"
    population: str = "people"
    assumed_risks: Mapping[str, float] = field(default_factory=dict)

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
        return self.absolute_text()

    def absolute_text(self, events: str = "", *, population: bool = False) -> str:
        """:attr:`absolute_effect`, naming the ``events`` and the :attr:`population` when ``events`` is given
        (``112 more live births per 1,000 women (from 13 more to 210 more)``), or the population alone
        with ``population=True`` (``232 fewer per 1,000 pregnant women (from 424 fewer to 18 more)``)."""
        risks = self.risks()
        if risks is None:
            return ""
        estimate, low, high = (_more_or_fewer(x) for x in risks[4:])
        per = f"{events} per 1,000 {self.population}" if events or population else "per 1,000"
        return f"{estimate} {per} (from {low} to {high})".replace("  ", " ")

    def nnt(self, control_risk: float | None = None) -> NumberNeededToTreat | None:
        """The number needed to treat at ``control_risk`` (default the row's), from the ratio and its CI."""
        p = self.control_risk if control_risk is None else control_risk
        if p is None or self.estimate is None:
            return None
        treated = corresponding_risk(p, [self.estimate, self.ci_low, self.ci_high], self.measure) - p
        low, high = sorted(treated[1:])
        return number_needed_to_treat(float(treated[0]), float(low), float(high), self.benefit)

    def absolute_effects(self) -> pd.DataFrame:
        """Per 1,000 at the row's control risk and at each of :attr:`assumed_risks`: one row per
        population, with the risk with the comparator, with the intervention (95% CI), the
        difference (95% CI) and the number needed to treat (Altman 1998)."""
        populations = {"control arms": self.control_risk, **self.assumed_risks}
        rows = []
        for name, p in populations.items():
            if p is None or self.estimate is None:
                continue
            risk = _PEOPLE * corresponding_risk(p, [self.estimate, self.ci_low, self.ci_high], self.measure)
            estimate, low, high = (_more_or_fewer(x) for x in risk - _PEOPLE * p)
            rows.append({"population": name, "control_per_1000": _PEOPLE * p, "intervention_per_1000": risk[0],
                         "intervention_per_1000_low": risk[1], "intervention_per_1000_high": risk[2],
                         "difference": f"{estimate} per 1,000 (from {low} to {high})",
                         "nnt": self.nnt(p).text()})
        return pd.DataFrame(rows, columns=ABSOLUTE_COLUMNS)

    @property
    def footnotes(self) -> tuple[str, ...]:
        """The plain-words reasons for each downgrade, in GRADE's order."""
        return tuple(r.footnote for r in self.ratings if r.downgrade and r.footnote)

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


#: The columns of :meth:`OutcomeFindings.absolute_effects`.
ABSOLUTE_COLUMNS = ("population", "control_per_1000", "intervention_per_1000", "intervention_per_1000_low",
                    "intervention_per_1000_high", "difference", "nnt")
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


def footnote_letters(sof: SummaryOfFindings) -> dict[str, str]:
    """Each distinct footnote of the table and its letter (a, b, c, ...) in order of first use."""
    letters: dict[str, str] = {}
    for row in sof.findings:
        for text in row.footnotes:
            letters.setdefault(text, chr(ord("a") + len(letters)))
    return letters


def grade_table(sof: SummaryOfFindings) -> pd.DataFrame:
    """A GRADEpro-style summary-of-findings table (display text; the book renders it).

    Columns: outcome, participants (studies), relative effect (95% CI), risk with the
    comparator, risk with the intervention, risk difference (each per 1,000 of the row's
    :attr:`~OutcomeFindings.population`, e.g. pregnant women), number needed to treat,
    certainty (GRADE symbols, with the letters of the footnotes that explain each
    downgrade, :func:`footnote_letters`), what lowered it, and the rows' comments.
    """
    letters = footnote_letters(sof)
    rows = []
    for row in sof.findings:
        risks = row.risks()
        lowered = [f"{r.domain.replace('_', ' ')} ({r.downgrade:+d})".replace("-", "−")
                   for r in row.ratings if r.downgrade]
        marks = ",".join(letters[text] for text in row.footnotes)
        nnt = row.nnt()
        rows.append({
            "Outcome": row.title,
            "Participants (studies)": f"{row.participants} ({row.studies})",
            "Relative effect (95% CI)": row.relative_effect,
            f"Risk with {sof.comparator}": f"{risks[0]:.0f} per 1,000 {row.population}" if risks else "",
            f"Risk with {sof.intervention}": (f"{risks[1]:.0f} per 1,000 {row.population} ({risks[2]:.0f} to "
                                              f"{risks[3]:.0f})" if risks else ""),
            f"Risk difference with {sof.intervention}": row.absolute_text(population=True),
            "Number needed to treat": nnt.text() if nnt is not None else "",
            "Certainty": (f"{SYMBOLS[row.certainty]} {row.certainty.capitalize()}" + (f" ({marks})" if marks else "")
                          if row.certainty in SYMBOLS else f"{NOT_ASSESSED.capitalize()} ({row.note})"),
            "Lowered for": (", ".join(lowered) or "none") if row.ratings else "",
            sof.comment_title: row.comment,
        })
    return pd.DataFrame(rows)


def footnotes(sof: SummaryOfFindings) -> list[str]:
    """The table's footnotes in words, ``"a. ..."``, in the order of their letters."""
    return [f"{letter}. {text}" for text, letter in footnote_letters(sof).items()]


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


def _more_or_fewer(per_1000: float) -> str:
    """``91 more`` / ``342 fewer`` (GRADEpro's wording; the sign of the unrounded value decides)."""
    return f"{abs(round(per_1000))} {'fewer' if per_1000 < 0 else 'more'}"
