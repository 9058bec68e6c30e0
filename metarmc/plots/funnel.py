"""Funnel plot, as Review Manager 5 draws it: effect against its standard error.

References
----------
Sterne JAC, Egger M (2001). Funnel plots for detecting bias in meta-analysis: guidelines on
choice of axis. J Clin Epidemiol 54:1046-1055.
Higgins JPT et al. (eds). Cochrane Handbook for Systematic Reviews of Interventions 6.4,
§13.3.5.2 (funnel plots with pseudo 95% confidence limits).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..distributions import Z_95
from ..pooling import pool_effects
from ..results import MetaResult
from .forest import MEASURE_NAMES
from .style import (
    LINE_COLOUR,
    POOLED_COLOUR,
    SMALL_FONT_SIZE,
    STUDY_COLOUR,
    ReviewFigure,
    nice_ticks,
    padded_limits,
    style_effect_axis,
)


def funnel_points(result: MetaResult) -> pd.DataFrame:
    """The estimable studies' effects and standard errors: columns ``study, estimate, se``.

    ``estimate`` is on the natural scale; ``se`` on the analysis scale (log for ratios).
    """
    studies = result.studies[result.studies["estimable"]]
    return pd.DataFrame({"study": studies["study"].to_numpy(),
                         "estimate": studies["estimate"].to_numpy(float),
                         "se": studies["se"].to_numpy(float)})


def fixed_estimate(result: MetaResult, points: pd.DataFrame) -> float:
    """The pooled fixed-effect estimate (natural scale) the funnel is centred on.

    ``result``'s own estimate when it is a fixed-effect analysis; otherwise the
    inverse-variance fixed-effect estimate of the same studies (:func:`~metarmc.pool_effects`).
    """
    if result.model == "fixed":
        return result.estimate
    theta = np.log(points["estimate"]) if result.is_ratio else points["estimate"]
    pooled = pool_effects(theta.to_numpy(float), points["se"].to_numpy(float) ** 2, model="fixed")
    return float(np.exp(pooled.estimate) if result.is_ratio else pooled.estimate)


def _pseudo_limits(centre: float, se_max: float, ratio: bool):
    """The pseudo 95% limits, centre ± 1.96 SE, as the x and y of a triangle open at the bottom."""
    theta = np.log(centre) if ratio else centre
    x = np.array([theta - Z_95 * se_max, theta, theta + Z_95 * se_max])
    return (np.exp(x) if ratio else x), np.array([se_max, 0.0, se_max])


def _check_filled(filled: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("estimate", "se") if c not in filled.columns]
    if missing:
        raise ValueError(f"filled is missing column(s) {', '.join(missing)}; expected estimate "
                         "(natural scale) and se (log scale for ratios), one row per imputed study")
    return filled


def funnel_plot(result: MetaResult, ax=None, *, labels: bool = False,
                filled: pd.DataFrame | None = None) -> Figure:
    """A RevMan-style funnel plot: study effects against their standard errors.

    Parameters
    ----------
    result : MetaResult
        Non-estimable studies are left out.
    ax : Axes, optional
        Draw into this axes; by default a new 5 x 4 inch figure.
    labels : bool
        Write each study's name beside its point.
    filled : DataFrame, optional
        Imputed studies from trim and fill, columns ``estimate`` (natural scale) and ``se``
        (log scale for ratios), drawn as open circles.

    Returns
    -------
    Figure

    Notes
    -----
    The y axis is the SE (log SE for ratios), inverted so that the largest studies are at
    the top; the x axis is log for ratios, labelled on the natural scale. The vertical
    line is the fixed-effect estimate :math:`\\hat\\theta_F` (:func:`fixed_estimate`) and the
    dashed lines the pseudo 95% confidence limits :math:`\\hat\\theta_F \\pm 1.96\\,SE`.

    Examples
    --------
    >>> import pandas as pd
    >>> from metarmc import meta_binary
    >>> df = pd.DataFrame({"study": ["A", "B", "C"], "events_t": [12, 5, 30], "total_t": [20, 18, 60],
    ...                    "events_c": [8, 4, 22], "total_c": [21, 17, 61]})
    >>> fig = funnel_plot(meta_binary(df), labels=True)
    """
    points = funnel_points(result)
    extra = _check_filled(filled) if filled is not None else points.iloc[:0]
    ax = ax if ax is not None else ReviewFigure(figsize=(5, 4), layout="constrained").add_subplot()
    centre = fixed_estimate(result, points)
    se_max = 1.1 * max(points["se"].max(), extra["se"].max() if len(extra) else 0.0)
    x, y = _pseudo_limits(centre, se_max, result.is_ratio)

    ax.plot(x, y, ls="--", color=LINE_COLOUR, lw=1, gid="pseudo 95% limits")
    ax.axvline(centre, color=POOLED_COLOUR, lw=1, gid="fixed-effect estimate")
    ax.scatter(points["estimate"], points["se"], s=36, marker="s", color=STUDY_COLOUR, zorder=3,
               gid="studies")
    if len(extra):
        ax.scatter(extra["estimate"], extra["se"], s=36, marker="o", facecolors="white",
                   edgecolors=STUDY_COLOUR, zorder=3, gid="filled studies")
    if labels:
        for _, point in points.iterrows():
            ax.annotate(point["study"], (point["estimate"], point["se"]), xytext=(5, 3),
                        textcoords="offset points", fontsize=SMALL_FONT_SIZE)
    _style_axes(ax, result, [*x, *points["estimate"], *extra["estimate"]], se_max)
    return ax.figure


def _style_axes(ax, result: MetaResult, xs, se_max: float):
    limits = padded_limits(xs, result.is_ratio, pad=0.05)
    style_effect_axis(ax, limits, nice_ticks(*limits, log=result.is_ratio), result.is_ratio)
    ax.set_ylim(se_max, 0)
    ax.tick_params(axis="y", labelsize=SMALL_FONT_SIZE)
    scale = f"log[{result.measure}]" if result.is_ratio else result.measure
    ax.set_ylabel(f"SE({scale})")
    ax.set_xlabel(MEASURE_NAMES[result.measure] + (" (log scale)" if result.is_ratio else ""))
    for side in ("right", "top"):
        ax.spines[side].set_visible(False)
