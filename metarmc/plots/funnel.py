"""Funnel plot, as Review Manager 5 draws it: effect against its standard error; optionally
contour-enhanced (Peters et al. 2008), with the studies trim-and-fill imputes.

References
----------
Sterne JAC, Egger M (2001). Funnel plots for detecting bias in meta-analysis: guidelines on
choice of axis. J Clin Epidemiol 54:1046-1055.
Peters JL, Sutton AJ, Jones DR, Abrams KR, Rushton L (2008). Contour-enhanced meta-analysis
funnel plots help distinguish publication bias from other causes of asymmetry. J Clin
Epidemiol 61:991-996.
Higgins JPT et al. (eds). Cochrane Handbook for Systematic Reviews of Interventions 6.4,
§13.3.5.2 (funnel plots with pseudo 95% confidence limits).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from scipy import special

from ..distributions import Z_95
from ..pooling import pool_effects
from ..results import MetaResult
from ..schema import null_value
from .forest import MEASURE_NAMES
from .labels import place_labels
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

#: The contours of a contour-enhanced funnel: two-sided P values of a study's own test of no
#: effect, and the grey of the region beyond each (white where P > 0.10).
CONTOURS = {0.10: "#EBEBEB", 0.05: "#D0D0D0", 0.01: "#ADADAD"}
#: Area of a study's marker, in points squared (matplotlib's ``s``).
STUDY_MARKER_SIZE = 36


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


def contour_limits(null: float, se_max: float, p: float, ratio: bool):
    """Where a study's two-sided P value of no effect equals ``p``: null ± z SE, as a triangle.

    Returns the x (natural scale) and y (SE) of the triangle with its apex at the null, open
    towards ``se_max``: inside it P > ``p``, outside P < ``p``.
    """
    z = float(special.ndtri(1 - p / 2))
    theta = np.log(null) if ratio else null
    x = np.array([theta - z * se_max, theta, theta + z * se_max])
    return (np.exp(x) if ratio else x), np.array([se_max, 0.0, se_max])


def funnel_plot(result: MetaResult, ax=None, *, labels: bool = False,
                filled: pd.DataFrame | None = None, contours: bool = False) -> Figure:
    """A RevMan-style funnel plot: study effects against their standard errors.

    Parameters
    ----------
    result : MetaResult
        Non-estimable studies are left out.
    ax : Axes, optional
        Draw into this axes; by default a new 5.5 x 4 inch figure (5.5 x 5.6 with a legend).
    labels : bool
        Write each study's name beside its point.
    filled : DataFrame, optional
        Imputed studies from trim and fill, columns ``estimate`` (natural scale) and ``se``
        (log scale for ratios), drawn as open circles.
    contours : bool
        Shade where a study's own test of no effect has P < 0.10, < 0.05 and < 0.01
        (:data:`CONTOURS`), a contour-enhanced funnel plot.

    Returns
    -------
    Figure

    Notes
    -----
    The y axis is the SE (log SE for ratios), inverted so that the largest studies are at
    the top; the x axis is log for ratios, labelled on the natural scale. The vertical
    line is the fixed-effect estimate :math:`\\hat\\theta_F` (:func:`fixed_estimate`) and the
    dashed lines the pseudo 95% confidence limits :math:`\\hat\\theta_F \\pm 1.96\\,SE`.
    The contours are centred on the null :math:`\\theta_0` (0, or 1 for ratios): a study at
    :math:`(\\theta, SE)` has :math:`P < p` when :math:`|\\theta - \\theta_0| > z_{1-p/2}\\,SE`
    (:func:`contour_limits`). If the studies missing from one side would have fallen in the
    white region (not significant), publication bias is a plausible cause of the asymmetry; if
    they would have fallen in the shaded regions, other causes are more likely (Peters et al.
    2008). With contours or imputed studies, a legend names each element.

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
    height = 5.6 if contours or len(extra) else 4  # room for the legend below the plot
    ax = ax if ax is not None else ReviewFigure(figsize=(5.5, height), layout="constrained").add_subplot()
    centre = fixed_estimate(result, points)
    se_max = 1.1 * max(points["se"].max(), extra["se"].max() if len(extra) else 0.0)
    x, y = _pseudo_limits(centre, se_max, result.is_ratio)

    if contours:
        _draw_contours(ax, null_value(result.measure), se_max, result.is_ratio)
    ax.plot(x, y, ls="--", color=LINE_COLOUR, lw=1, gid="pseudo 95% limits")
    ax.axvline(centre, color=POOLED_COLOUR, lw=1, gid="fixed-effect estimate")
    ax.scatter(points["estimate"], points["se"], s=STUDY_MARKER_SIZE, marker="s", color=STUDY_COLOUR, zorder=3,
               gid="studies")
    if len(extra):
        ax.scatter(extra["estimate"], extra["se"], s=STUDY_MARKER_SIZE, marker="o", facecolors="white",
                   edgecolors=STUDY_COLOUR, zorder=3, gid="filled studies")
    null = [null_value(result.measure)] if contours else []
    _style_axes(ax, result, [*x, *points["estimate"], *extra["estimate"], *null], se_max)
    if labels:
        place_labels(ax, points["estimate"].to_numpy(), points["se"].to_numpy(), list(points["study"]),
                     marker_size=STUDY_MARKER_SIZE)
    if contours or len(extra):
        _legend(ax, contours, bool(len(extra)))
    return ax.figure


def _draw_contours(ax, null: float, se_max: float, ratio: bool):
    """The significance regions, darkest (P < 0.01) behind, each narrower one on top of it."""
    levels = sorted(CONTOURS)  # 0.01, 0.05, 0.10: from the widest triangle to the narrowest
    ax.set_facecolor(CONTOURS[levels[0]])
    shades = [CONTOURS[p] for p in levels[1:]] + ["white"]
    for p, shade in zip(levels, shades):
        x, y = contour_limits(null, se_max, p, ratio)
        ax.fill(x, y, color=shade, lw=0, zorder=0, gid=f"P = {p:g} contour")


def _legend(ax, contours: bool, imputed: bool):
    """Below the plot: the points and lines in one column, the significance shades in the next."""
    marks = [Line2D([], [], ls="none", marker="s", color=STUDY_COLOUR, label="Study")]
    if imputed:
        marks.append(Line2D([], [], ls="none", marker="o", markerfacecolor="white", markeredgecolor=STUDY_COLOUR,
                            label="Study imputed by trim-and-fill\n(not observed)"))
    marks += [Line2D([], [], color=POOLED_COLOUR, lw=1, label="Fixed-effect estimate"),
              Line2D([], [], color=LINE_COLOUR, lw=1, ls="--", label="Pseudo 95% limits")]
    shades = []
    if contours:
        levels = sorted(CONTOURS, reverse=True)  # 0.10, 0.05, 0.01
        bands = [f"P > {levels[0]:.2f}", *(f"{low:.2f} < P < {high:.2f}" for high, low in zip(levels, levels[1:])),
                 f"P < {levels[-1]:.2f}"]
        colours = ["white", *(CONTOURS[p] for p in levels)]
        shades = [Patch(visible=False, label="Shading: P of a study's own test of no effect"),
                  *(Patch(facecolor=c, edgecolor=LINE_COLOUR, lw=0.5, label=band) for band, c in zip(bands, colours))]
        blank = Patch(visible=False, label=" ")
        marks += [blank] * (len(shades) - len(marks))  # legend columns fill top to bottom: equal lengths
    ax.legend(handles=marks + shades, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2 if shades else 1,
              frameon=False, fontsize=SMALL_FONT_SIZE)


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
