"""GOSH plot: the pooled estimate against I² for every subset of the studies.

References
----------
Olkin I, Dahabreh IJ, Trikalinos TA (2012). GOSH - a graphical display of study heterogeneity.
Res Synth Methods 3:214-223.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from ..results import MetaResult
from ..subset_analysis import gosh
from .forest import MEASURE_NAMES
from .style import (
    POOLED_COLOUR,
    SMALL_FONT_SIZE,
    STUDY_COLOUR,
    ReviewFigure,
    nice_ticks,
    padded_limits,
    style_effect_axis,
)


def gosh_plot(result: MetaResult, ax=None, *, subsets: pd.DataFrame | None = None) -> Figure:
    """Draw the GOSH plot of an inverse-variance ``result``: one point per subset of its studies.

    Parameters
    ----------
    result : MetaResult
        ``meta_binary(..., method="IV")`` or ``meta_continuous``.
    ax : Axes, optional
        Draw into this axes; by default a new 5 x 4 inch figure.
    subsets : DataFrame, optional
        The output of :func:`metarmc.subset_analysis.gosh` for ``result`` (computed if not given).

    Returns
    -------
    Figure

    Notes
    -----
    x: the pooled estimate of the subset (log axis for ratios, labelled on the natural
    scale); y: its I² in percent. The analysis of all studies is the black point. Points are
    small and translucent so that dense clouds show; the points are rasterised so that a
    million subsets still make a small vector file.

    Examples
    --------
    >>> import pandas as pd
    >>> from metarmc import meta_binary
    >>> df = pd.DataFrame({"study": ["A", "B", "C"], "events_t": [12, 5, 30], "total_t": [20, 18, 60],
    ...                    "events_c": [8, 4, 22], "total_c": [21, 17, 61]})
    >>> fig = gosh_plot(meta_binary(df, method="IV"))
    """
    table = gosh(result) if subsets is None else subsets
    ax = ax if ax is not None else ReviewFigure(figsize=(5, 4), layout="constrained").add_subplot()
    ax.plot(table["estimate"], table["i2"], ls="none", marker="o", ms=2.5, alpha=0.35, mec="none",
            color=STUDY_COLOUR, rasterized=True, gid="subsets")
    full = table[table["k"] == result.k]
    ax.plot(full["estimate"], full["i2"], ls="none", marker="o", ms=5, color=POOLED_COLOUR, zorder=3,
            gid="all studies")
    limits = padded_limits(table["estimate"], result.is_ratio, pad=0.05)
    style_effect_axis(ax, limits, nice_ticks(*limits, log=result.is_ratio), result.is_ratio)
    ax.set_xlabel(MEASURE_NAMES[result.measure] + (" (log scale)" if result.is_ratio else ""))
    ax.set_ylabel("I² (%)")
    ax.set_ylim(-2, 102)
    ax.tick_params(axis="y", labelsize=SMALL_FONT_SIZE)
    for side in ("right", "top"):
        ax.spines[side].set_visible(False)
    return ax.figure
