"""Effect measures of a binary outcome side by side: OR, RR and RD of the same trials, and
what an odds ratio means as risks.

An odds ratio is not a risk ratio. With a control-arm risk :math:`p_0` and an odds ratio
:math:`OR`, the risk in the treated arm is

.. math:: p_1 = \\frac{p_0\\,OR}{1 - p_0 + p_0\\,OR}, \\qquad
          RR = \\frac{p_1}{p_0} = \\frac{OR}{1 - p_0 + p_0\\,OR}, \\qquad RD = p_1 - p_0,

so the OR is close to the RR only when events are rare (:math:`p_0` and :math:`p_1` small);
when they are common, as live birth is, the OR lies further from 1 than the RR.

References
----------
Zhang J, Yu KF (1998). What's the relative risk? A method of correcting the odds ratio in
cohort studies of common outcomes. JAMA 280:1690-1691.
Deeks JJ (2002). Issues in the selection of a summary statistic for meta-analysis of
clinical trials with binary outcomes. Stat Med 21:1575-1600.
Higgins JPT, Thomas J, et al. (eds) (2023). Cochrane Handbook for Systematic Reviews of
Interventions 6.4, §6.4.1 and §15.4 (re-expressing an odds ratio as risks).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import special

from .api import meta_binary
from .effects import Cells
from .schema import BINARY_COLUMNS, BINARY_MEASURES

#: The columns of :func:`compare_measures`, in order.
COMPARISON_COLUMNS = ("measure", "study", "estimate", "ci_low", "ci_high", "weight")
#: The ``study`` label of the pooled rows of :func:`compare_measures`.
POOLED = "Pooled"


def corresponding_risk(assumed_risk, effect, measure: str = "OR") -> np.ndarray:
    """The risk with the intervention implied by an assumed control-arm risk :math:`p_0` and a ratio.

    .. math:: p_1 = \\frac{p_0\\,OR}{1 - p_0 + p_0\\,OR}
              = \\operatorname{expit}\\bigl(\\operatorname{logit} p_0 + \\ln OR\\bigr) \\quad (OR),
              \\qquad p_1 = RR\\,p_0 \\quad (RR)

    The odds ratio is applied on the logit scale, so any positive odds ratio and any risk in
    [0, 1] work (a risk of 0 or 1 stays 0 or 1). Applied to a pooled estimate and to each CI
    limit it gives the "corresponding risk" of a summary-of-findings table. Arrays broadcast.

    References
    ----------
    Cochrane Handbook 6.4, §15.4.4; GRADE Handbook §5 (summary of findings).

    Examples
    --------
    >>> # p0 = 0.5, OR = 3: odds 1 -> 3, risk 3 / (1 + 3) = 0.75
    >>> float(corresponding_risk(0.5, 3.0))
    0.75
    >>> # the Handbook's example: OR 0.73 at a control risk of 0.3 is 62 fewer per 1,000
    >>> round(1000 * (float(corresponding_risk(0.3, 0.73)) - 0.3))
    -62
    """
    assumed_risk = np.asarray(assumed_risk, dtype=float)
    effect = np.asarray(effect, dtype=float)
    if not np.all((assumed_risk >= 0) & (assumed_risk <= 1)):
        raise ValueError(f"assumed_risk must be a risk between 0 and 1; got {assumed_risk.tolist()}")
    if not np.all((effect > 0) & np.isfinite(effect)):
        raise ValueError(f"a ratio must be a positive finite number; got {effect.tolist()}")
    if measure == "OR":
        return special.expit(special.logit(assumed_risk) + np.log(effect))
    if measure == "RR":
        return effect * assumed_risk
    raise ValueError(f"measure must be OR or RR for a corresponding risk; got {measure!r}")


def control_risk(table: pd.DataFrame) -> float:
    """The assumed control-arm risk of a binary study table: the pooled control arms, :math:`\\sum c_i / \\sum n_{ci}`.

    Examples
    --------
    >>> control_risk(pd.DataFrame({"events_c": [8, 4], "total_c": [21, 19]}))
    0.3
    """
    total = int(table["total_c"].sum())
    if total == 0:
        raise ValueError("no control-arm participants: the control risk is undefined")
    return int(table["events_c"].sum()) / total


class NumberNeededToTreat(NamedTuple):
    """A number needed to treat with its 95% CI, in Altman's (1998) reading.

    ``estimate`` is :math:`1/|RD|`; ``benefit`` says whether the point estimate is a benefit
    (NNTB) or a harm (NNTH). When the CI of the risk difference excludes 0, ``low``/``high``
    are :math:`1/|RD|` at its limits (same side); when it includes 0 the CI runs from an NNTB
    through infinity to an NNTH, and ``low`` is the NNTB bound, ``high`` the NNTH bound.
    """

    estimate: float
    low: float
    high: float
    benefit: bool
    crosses_zero: bool

    def text(self) -> str:
        """``NNTB 8 (5 to 20)`` or ``NNTB 8 (NNTB 4 to ∞ to NNTH 50)``, rounded up as Altman advises."""
        kind = "NNTB" if self.benefit else "NNTH"
        point, low, high = (_rounded_up(x) for x in (self.estimate, self.low, self.high))
        if self.crosses_zero:  # a limit at exactly 0 leaves only one side
            benefit_side = f"NNTB {low} to " if low != "\u221e" else ""
            harm_side = f" to NNTH {high}" if high != "\u221e" else ""
            return f"{kind} {point} ({benefit_side}\u221e{harm_side})"
        return f"{kind} {point} ({low} to {high})"


def _rounded_up(x: float) -> str:
    """A whole number, rounded up; 1e-9 absorbs floating-point noise (1/(2/3 - 1/2) must stay 6); ∞ as such."""
    return "\u221e" if math.isinf(x) else str(math.ceil(x - 1e-9))


def number_needed_to_treat(risk_difference: float, ci_low: float, ci_high: float,
                           benefit: str = "higher") -> NumberNeededToTreat:
    """The number needed to treat from a risk difference and its 95% CI (Altman 1998).

    .. math:: NNT = \\frac{1}{|RD|}, \\qquad \\text{CI: } \\frac1{|RD_U|} \\text{ to } \\frac1{|RD_L|}

    Parameters
    ----------
    risk_difference, ci_low, ci_high : float
        Risk with the intervention minus risk with the control, and its CI (fractions).
    benefit : {"higher", "lower"}
        Whether a higher risk of the event (e.g. live birth) is the benefit.

    Examples
    --------
    >>> number_needed_to_treat(0.125, 0.05, 0.20).text()      # 1/0.125; 1/0.20 to 1/0.05
    'NNTB 8 (5 to 20)'
    >>> number_needed_to_treat(0.10, -0.02, 0.25).text()      # the CI of RD includes 0
    'NNTB 10 (NNTB 4 to ∞ to NNTH 50)'

    References
    ----------
    Altman DG (1998). Confidence intervals for the number needed to treat. BMJ 317:1309-1312.
    """
    if benefit not in ("higher", "lower"):
        raise ValueError(f"benefit must be higher or lower; got {benefit!r}")
    if not ci_low <= risk_difference <= ci_high:
        raise ValueError(f"the risk difference {risk_difference!r} must lie within its CI ({ci_low!r}, {ci_high!r})")
    sign = 1.0 if benefit == "higher" else -1.0
    # numpy floats: a CI limit (or the estimate) at exactly 0 gives an infinite NNT, not ZeroDivisionError
    rd, low, high = np.float64(sign * risk_difference), *np.sort(np.float64([sign * ci_low, sign * ci_high]))
    with np.errstate(divide="ignore"):
        if low <= 0 <= high:     # benefit bound from the largest benefit, harm bound from the largest harm
            return NumberNeededToTreat(1 / abs(rd), 1 / high, 1 / abs(low), rd > 0, True)
        return NumberNeededToTreat(1 / abs(rd), 1 / max(abs(low), abs(high)), 1 / min(abs(low), abs(high)),
                                   rd > 0, False)


def implied_effects(odds_ratio, assumed_risk) -> pd.DataFrame:
    """What an odds ratio means as risks, at each of some control-arm risks.

    Returns one row per control risk with the treated-arm risk (:func:`corresponding_risk`),
    the risk ratio :math:`p_1/p_0` and the risk difference :math:`p_1 - p_0`.

    Examples
    --------
    >>> implied_effects(3.0, [0.05, 0.5]).round(3)
       control_risk  odds_ratio  treatment_risk  risk_ratio  risk_difference
    0          0.05         3.0           0.136       2.727            0.086
    1          0.50         3.0           0.750       1.500            0.250
    """
    assumed_risk = np.atleast_1d(np.asarray(assumed_risk, dtype=float))
    if np.any(assumed_risk == 0):
        raise ValueError("assumed_risk must be above 0 for a risk ratio")
    odds_ratio = np.broadcast_to(np.asarray(odds_ratio, dtype=float), assumed_risk.shape)
    risk = corresponding_risk(assumed_risk, odds_ratio)
    return pd.DataFrame({"control_risk": assumed_risk, "odds_ratio": odds_ratio,
                         "treatment_risk": risk, "risk_ratio": risk / assumed_risk,
                         "risk_difference": risk - assumed_risk})


def risks_and_odds(df: pd.DataFrame) -> pd.DataFrame:
    """Each study's risk and odds of the event in each arm: what the OR, RR and RD compare.

    .. math:: \\text{risk}_1 = \\frac{a}{n_1}, \\quad \\text{odds}_1 = \\frac{a}{b}, \\qquad
              \\text{risk}_2 = \\frac{c}{n_2}, \\quad \\text{odds}_2 = \\frac{c}{d}

    so that :math:`OR = \\text{odds}_1/\\text{odds}_2`, :math:`RR = \\text{risk}_1/\\text{risk}_2`
    and :math:`RD = \\text{risk}_1 - \\text{risk}_2` (infinite odds when every woman of an arm
    has the event).

    Returns
    -------
    DataFrame
        ``study``, ``risk_t``, ``odds_t``, ``risk_c``, ``odds_c``.
    """
    _check_columns(df)
    cells = Cells.from_counts(*(df[c].to_numpy(float) for c in BINARY_COLUMNS))
    with np.errstate(divide="ignore"):
        return pd.DataFrame({"study": df["study"].to_numpy(), "risk_t": cells.a / cells.n1,
                             "odds_t": cells.a / cells.b, "risk_c": cells.c / cells.n2,
                             "odds_c": cells.c / cells.d})


def _check_columns(df: pd.DataFrame) -> None:
    missing = [c for c in ("study", *BINARY_COLUMNS) if c not in df.columns]
    if missing:
        raise ValueError(f"missing column(s) {', '.join(missing)}; expected study, {', '.join(BINARY_COLUMNS)}")
    totals = df[["total_t", "total_c"]].to_numpy(float)
    if (totals < 1).any():
        raise ValueError("total_t and total_c must be at least 1")


def compare_measures(df: pd.DataFrame, measures=BINARY_MEASURES, **options) -> pd.DataFrame:
    """The same trials as OR, RR and RD: each study's effect and weight, and the pooled one.

    Parameters
    ----------
    df : DataFrame
        As for :func:`~metarmc.meta_binary` (``study, events_t, total_t, events_c, total_c``).
    measures : sequence of {"OR", "RR", "RD"}
    **options
        Passed to :func:`~metarmc.meta_binary` (``method``, ``model``, ...) for every measure.

    Returns
    -------
    DataFrame
        :data:`COMPARISON_COLUMNS`: per measure, one row per study (natural scale, 95% CI,
        weight in percent; NaN when not estimable) and a last row whose ``study`` is
        :data:`POOLED` (weight 100).
    """
    unknown = [m for m in measures if m not in BINARY_MEASURES]
    if unknown:
        raise ValueError(f"measures must be among {', '.join(BINARY_MEASURES)}; got {', '.join(map(repr, unknown))}")
    parts = []
    for measure in measures:
        result = meta_binary(df, measure=measure, **options)
        studies = result.studies[["study", "estimate", "ci_low", "ci_high", "weight"]]
        pooled = pd.DataFrame([{"study": POOLED, "estimate": result.estimate, "ci_low": result.ci_low,
                                "ci_high": result.ci_high, "weight": 100.0}])
        parts.append(pd.concat([studies, pooled], ignore_index=True).assign(measure=measure))
    return pd.concat(parts, ignore_index=True)[list(COMPARISON_COLUMNS)]
