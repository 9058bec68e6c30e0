"""Baujat plot: each study's contribution to heterogeneity against its influence on the result.

References
----------
Baujat B, Mahé C, Pignon JP, Hill C (2002). A graphical method for exploring heterogeneity in
meta-analyses: application to a meta-analysis of 65 trials. Stat Med 21:2641-2652.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from ..influence import baujat
from .labels import MARKER_SIZE, place_labels
from .style import SMALL_FONT_SIZE, STUDY_COLOUR, ReviewFigure


def baujat_plot(result, ax=None) -> Figure:
    """Draw the Baujat plot of an inverse-variance ``result`` (see :func:`metarmc.influence.baujat`).

    Parameters
    ----------
    result : MetaResult or MetaRegression
        ``meta_binary(..., method="IV")``, ``meta_continuous`` or a meta-regression.
    ax : Axes, optional
        Draw into this axes; by default a new 5 x 4 inch figure.

    Returns
    -------
    Figure

    Notes
    -----
    x: the study's term of Cochran's Q (of the residual Q for a meta-regression), with the
    model's weights :math:`1/(v_i + \\hat\\tau^2)`; y: the squared standardised change of the
    fitted value when the study is left out. Studies far right drive heterogeneity; studies
    high up move the result. Each point is labelled with its study, beside it where the label
    overlaps no other label or point (:func:`place_labels`).

    Examples
    --------
    >>> import pandas as pd
    >>> from metarmc import meta_binary
    >>> df = pd.DataFrame({"study": ["A", "B", "C"], "events_t": [12, 5, 30], "total_t": [20, 18, 60],
    ...                    "events_c": [8, 4, 22], "total_c": [21, 17, 61]})
    >>> fig = baujat_plot(meta_binary(df, method="IV"))
    """
    points = baujat(result)
    ax = ax if ax is not None else ReviewFigure(figsize=(5, 4), layout="constrained").add_subplot()
    ax.scatter(points["x"], points["y"], s=MARKER_SIZE, color=STUDY_COLOUR, zorder=3, gid="studies")
    ax.set_xlabel("Contribution to heterogeneity (Q)")
    ax.set_ylabel("Influence on the pooled result")
    ax.margins(0.12)
    ax.tick_params(labelsize=SMALL_FONT_SIZE)
    for side in ("right", "top"):
        ax.spines[side].set_visible(False)
    place_labels(ax, points["x"].to_numpy(), points["y"].to_numpy(), [str(study) for study in points["study"]])
    return ax.figure
