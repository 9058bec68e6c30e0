"""What an odds ratio means as a risk ratio, across control-arm risks.

References
----------
Zhang J, Yu KF (1998). What's the relative risk? A method of correcting the odds ratio in
cohort studies of common outcomes. JAMA 280:1690-1691.
Deeks JJ (2002). Issues in the selection of a summary statistic for meta-analysis of clinical
trials with binary outcomes. Stat Med 21:1575-1600.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, PercentFormatter

from ..measures import implied_effects
from .style import LINE_COLOUR, POOLED_COLOUR, SMALL_FONT_SIZE, STUDY_COLOUR, ReviewFigure, nice_ticks


def implied_effects_plot(implied: pd.DataFrame, ax=None, *, observed_risk: float | None = None) -> Figure:
    """Draw the risk ratio an odds ratio implies at each control-arm risk, beside the odds ratio.

    Parameters
    ----------
    implied : DataFrame
        The output of :func:`metarmc.measures.implied_effects` for one odds ratio over a grid of
        control risks (columns ``control_risk``, ``odds_ratio``, ``risk_ratio``).
    ax : Axes, optional
        Draw into this axes; by default a new 5.5 x 3.6 inch figure.
    observed_risk : float, optional
        A control risk to mark (e.g. that of the trials at hand), with the risk ratio there.

    Returns
    -------
    Figure

    Notes
    -----
    :math:`RR = OR / (1 - p_0 + p_0\\,OR)`: equal to the odds ratio when the control risk
    :math:`p_0` is near 0, and falling towards 1 as :math:`p_0` grows. The lines are
    labelled where they are drawn (no legend).

    Examples
    --------
    >>> import numpy as np
    >>> from metarmc import implied_effects
    >>> fig = implied_effects_plot(implied_effects(2.0, np.linspace(0.01, 0.95, 50)), observed_risk=0.4)
    """
    odds_ratios = implied["odds_ratio"].unique()
    if len(odds_ratios) != 1:
        raise ValueError(f"implied must hold one odds ratio; got {len(odds_ratios)}")
    odds_ratio = float(odds_ratios[0])
    ax = ax if ax is not None else ReviewFigure(figsize=(5.5, 3.6), layout="constrained").add_subplot()
    risk, ratio = implied["control_risk"], implied["risk_ratio"]
    ax.axhline(1.0, color=LINE_COLOUR, lw=0.8)
    ax.plot(risk, implied["odds_ratio"], color=POOLED_COLOUR, ls="--", lw=1.2, gid="odds ratio")
    ax.plot(risk, ratio, color=STUDY_COLOUR, lw=2, gid="risk ratio")
    ax.annotate(f"odds ratio {odds_ratio:.2f}", (risk.iloc[-1], odds_ratio), xytext=(0, 4),
                textcoords="offset points", ha="right", va="bottom", fontsize=SMALL_FONT_SIZE)
    at = len(implied) * 7 // 10  # label the curve where it has left the odds ratio's line
    ax.annotate("risk ratio it implies", (risk.iloc[at], ratio.iloc[at]), xytext=(6, 6), textcoords="offset points",
                ha="left", va="bottom", fontsize=SMALL_FONT_SIZE, color=STUDY_COLOUR)
    if observed_risk is not None:
        observed = float(implied_effects(odds_ratio, [observed_risk])["risk_ratio"].iloc[0])
        ax.plot([observed_risk], [observed], "o", color=STUDY_COLOUR, gid="observed")
        ax.annotate(f"control risk {observed_risk:.0%}: RR {observed:.2f}", (observed_risk, observed), xytext=(6, 6),
                    textcoords="offset points", fontsize=SMALL_FONT_SIZE)
    ax.set_xlim(0, 1)
    limits = (min(1.0, odds_ratio) * 0.9, max(1.0, odds_ratio) * 1.12)
    ax.set_ylim(*limits)
    ax.yaxis.set_major_locator(FixedLocator(nice_ticks(*limits, log=False)))
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
    ax.set_xlabel("Risk of the event in the control arm")
    ax.set_ylabel("Ratio (treatment vs control)")
    ax.tick_params(labelsize=SMALL_FONT_SIZE)
    for side in ("right", "top"):
        ax.spines[side].set_visible(False)
    return ax.figure
