"""Bubble plot of a meta-regression on one numeric moderator.

References
----------
Thompson SG, Higgins JPT (2002). How should meta-regression analyses be undertaken and
interpreted? Stat Med 21:1559-1573.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from ..regression import INTERCEPT, MetaRegression
from .style import LINE_COLOUR, POOLED_COLOUR, SMALL_FONT_SIZE, STUDY_COLOUR, ReviewFigure, nice_ticks, padded_limits

#: Marker area (points²) of a study with all the weight; a study's area is its share of it.
FULL_WEIGHT_AREA = 4000.0


def bubble_plot(fit: MetaRegression, ax=None, *, ratio: bool = False, null: float | None = None,
                xlabel: str | None = None, ylabel: str = "Effect") -> Figure:
    """Draw each study's effect against the moderator (area proportional to weight) and the fitted line.

    Parameters
    ----------
    fit : MetaRegression
        A meta-regression with an intercept and exactly one numeric moderator.
    ax : Axes, optional
        Draw into this axes; by default a new 5.5 x 3.6 inch figure.
    ratio : bool
        The effects are log ratios (OR, RR): draw them on a log axis, labelled on the natural scale.
    null : float, optional
        Where to draw the line of no effect (natural scale); by default 1 for ratios, 0 otherwise.
    xlabel, ylabel : str, optional
        Axis labels (the moderator's name by default).

    Returns
    -------
    Figure

    Notes
    -----
    The line is :math:`\\hat\\beta_0 + \\hat\\beta_1 x` over the range of the moderator. A
    study's area is proportional to its weight in the model, :math:`1/(v_i + \\hat\\tau^2)`.

    Examples
    --------
    >>> import pandas as pd
    >>> from metarmc import meta_regression
    >>> data = pd.DataFrame({"yi": [0.1, 0.3, 0.35, 0.6], "vi": [0.04, 0.02, 0.05, 0.03], "dose": [1.0, 2.0, 3.0, 4.0]})
    >>> fig = bubble_plot(meta_regression(data, ["dose"], tau2="FE"), xlabel="Dose")
    """
    moderators = [name for name in fit.design.columns if name != INTERCEPT]
    if len(moderators) != 1 or INTERCEPT not in fit.design.columns:
        raise ValueError(f"bubble_plot needs an intercept and one moderator; the model has {', '.join(moderators)}")
    (moderator,) = moderators
    x = fit.design[moderator].to_numpy(float)
    if set(np.unique(x)) <= {0.0, 1.0}:
        raise ValueError(f"moderator {moderator!r} is a dummy (a categorical level): a bubble plot needs a number")
    back = np.exp if ratio else (lambda values: values)
    ax = ax if ax is not None else ReviewFigure(figsize=(5.5, 3.6), layout="constrained").add_subplot()
    studies = fit.studies
    ax.scatter(x, back(studies["yi"]), s=FULL_WEIGHT_AREA * studies["weight"] / 100, color=STUDY_COLOUR,
               alpha=0.55, edgecolors=POOLED_COLOUR, linewidths=0.5, zorder=3, gid="studies")
    grid = np.linspace(x.min(), x.max(), 50)
    beta = fit.coefficients["estimate"]
    fitted = back(beta[INTERCEPT] + beta[moderator] * grid)
    ax.plot(grid, fitted, color=POOLED_COLOUR, lw=1.5, gid="fitted line")
    if ratio:
        ax.set_yscale("log")
    null = null if null is not None else (1.0 if ratio else 0.0)
    ax.axhline(null, color=LINE_COLOUR, lw=0.8, ls="--")
    _fix_axis(ax.yaxis, ax.set_ylim, [*back(studies["yi"]), *fitted, null], log=ratio)
    _fix_axis(ax.xaxis, ax.set_xlim, x, log=False)
    ax.set_xlabel(xlabel or moderator)
    ax.set_ylabel(ylabel + (" (log scale)" if ratio else ""))
    ax.tick_params(labelsize=SMALL_FONT_SIZE)
    for side in ("right", "top"):
        ax.spines[side].set_visible(False)
    return ax.figure


def _fix_axis(axis, set_limits, values, log: bool) -> None:
    """Padded limits holding ``values`` and round ticks inside them, labelled as plain numbers."""
    limits = padded_limits(values, log, pad=0.12)
    set_limits(*limits)
    axis.set_major_locator(FixedLocator(nice_ticks(*limits, log=log)))
    axis.set_minor_locator(NullLocator())
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
