"""I² against trial size at a fixed true τ²: what :func:`metarmc.simulate.heterogeneity_by_arm_size` shows.

References
----------
Rücker G, Schwarzer G, Carpenter JR, Schumacher M (2008). Undue reliance on I² in assessing
heterogeneity may mislead. BMC Med Res Methodol 8:79.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from .style import POOLED_COLOUR, SMALL_FONT_SIZE, STUDY_COLOUR, ReviewFigure


def heterogeneity_by_size_plot(by_size: pd.DataFrame, ax=None) -> Figure:
    """Draw the median I² and the share of I² = 0 against the median arm size, τ² held fixed.

    Parameters
    ----------
    by_size : DataFrame
        The output of :func:`metarmc.simulate.heterogeneity_by_arm_size` (columns
        ``median_arm``, ``tau2``, ``median_i2``, ``share_i2_zero``), one row per arm size.
    ax : Axes, optional
        Draw into this axes; by default a new 5.5 x 3.6 inch figure.

    Returns
    -------
    Figure

    Notes
    -----
    Both curves are percentages of the simulated meta-analyses, on a log axis of arm size
    labelled with the sizes simulated. With τ² fixed, I² grows with the trials' size
    (:math:`I^2 \\approx \\tau^2 / (\\tau^2 + s^2)`, :math:`s^2` a typical within-trial
    variance), while the share of meta-analyses showing I² = 0 falls.

    Examples
    --------
    >>> import pandas as pd
    >>> by_size = pd.DataFrame({"median_arm": [25.0, 100.0], "tau2": [0.1, 0.1],
    ...                         "median_i2": [10.0, 45.0], "share_i2_zero": [0.4, 0.05]})
    >>> fig = heterogeneity_by_size_plot(by_size)
    """
    tau2 = by_size["tau2"].unique()
    if len(tau2) != 1:
        raise ValueError(f"by_size must hold one true tau2; got {len(tau2)}")
    ax = ax if ax is not None else ReviewFigure(figsize=(5.5, 3.6), layout="constrained").add_subplot()
    arm, i2, zero = by_size["median_arm"], by_size["median_i2"], 100 * by_size["share_i2_zero"]
    ax.plot(arm, i2, "o-", color=STUDY_COLOUR, lw=2, gid="median I2")
    ax.plot(arm, zero, "s--", color=POOLED_COLOUR, lw=1.2, ms=4, gid="share I2 zero")
    ax.annotate("median I²", (arm.iloc[-1], i2.iloc[-1]), xytext=(-4, 6), textcoords="offset points",
                ha="right", va="bottom", fontsize=SMALL_FONT_SIZE, color=STUDY_COLOUR)
    ax.annotate("meta-analyses with I² = 0", (arm.iloc[0], zero.iloc[0]), xytext=(6, 4), textcoords="offset points",
                ha="left", va="bottom", fontsize=SMALL_FONT_SIZE)
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(list(arm)))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.0f}"))
    ax.set_ylim(0, 105)
    ax.yaxis.set_major_locator(FixedLocator([0, 20, 40, 60, 80, 100]))
    ax.set_xlabel(f"Median arm size (true τ² = {float(tau2[0]):.3g} throughout)")
    ax.set_ylabel("Percent")
    ax.tick_params(labelsize=SMALL_FONT_SIZE)
    for side in ("right", "top"):
        ax.spines[side].set_visible(False)
    return ax.figure
