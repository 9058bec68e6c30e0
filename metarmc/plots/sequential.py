"""Trial sequential analysis plot: the cumulative Z-curve against monitoring boundaries."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..distributions import Z_95
from ..sequential import TSAResult, boundary_curve
from .style import FONT_SIZE, LINE_COLOUR, OKABE_ITO, SMALL_FONT_SIZE, STUDY_COLOUR, ReviewFigure

BOUNDARY_COLOUR = OKABE_ITO["vermillion"]
FUTILITY_COLOUR = OKABE_ITO["bluish_green"]
#: The plot stops the boundary curves here, however large they are at small information.
Z_LIMIT = 8.0


def tsa_plot(result: TSAResult, ax=None, *, favours=("Favours experimental", "Favours control")) -> Figure:
    """Cumulative Z against cumulative patients, with the α-spending boundaries (benefit above,
    harm below), the β-spending futility wedge, the conventional ±1.96 and the required
    information size. ``favours`` labels the upper (benefit) and lower half. Returns the Figure.

    The curves are drawn for 40 equally spaced looks up to the required information size; the
    boundary each cumulative Z is tested against, computed at the looks actually taken, is
    marked at every look.
    """
    if ax is None:
        ax = ReviewFigure(figsize=(7.5, 4.6), layout="constrained").subplots()
    looks = result.looks
    horizon = max(result.ris, float(looks["n"].max())) * 1.05
    grid = np.linspace(result.ris / 40, result.ris, 40)  # boundary_curve's default looks ...
    grid = np.append(grid, horizon) if horizon > result.ris else grid  # ... carried on past the RIS
    curve = boundary_curve(result.ris, result.alpha, grid=grid, power=result.power)
    _draw_boundaries(ax, curve)
    for z in (Z_95, -Z_95):
        ax.axhline(z, color=LINE_COLOUR, linestyle=":", linewidth=0.9)
    ax.axhline(0, color=LINE_COLOUR, linewidth=0.6)
    ax.axvline(result.ris, color=LINE_COLOUR, linestyle="--", linewidth=0.9)
    ax.annotate(f"Required information size {result.ris}", (result.ris, Z_LIMIT * 0.92), ha="right",
                va="top", fontsize=SMALL_FONT_SIZE, xytext=(-4, 0), textcoords="offset points")
    _draw_z_curve(ax, looks)
    ax.set(xlim=(0, horizon), ylim=(-Z_LIMIT, Z_LIMIT), xlabel="Cumulative number of patients",
           ylabel="Cumulative Z")
    ax.text(0.01, 0.99, favours[0], transform=ax.transAxes, va="top", fontsize=SMALL_FONT_SIZE)
    ax.text(0.01, 0.01, favours[1], transform=ax.transAxes, va="bottom", fontsize=SMALL_FONT_SIZE)
    ax.legend(loc="lower right", fontsize=SMALL_FONT_SIZE, frameon=False)
    ax.tick_params(labelsize=SMALL_FONT_SIZE)
    return ax.figure


def _draw_boundaries(ax, curve):
    clipped = curve.assign(upper=curve["boundary_upper"].clip(upper=Z_LIMIT),
                           lower=curve["boundary_lower"].clip(lower=-Z_LIMIT))
    ax.plot(clipped["n"], clipped["upper"], color=BOUNDARY_COLOUR, label="Monitoring boundaries (α-spending)")
    ax.plot(clipped["n"], clipped["lower"], color=BOUNDARY_COLOUR)
    wedge = curve.dropna(subset=["futility_upper"])
    ax.plot(wedge["n"], wedge["futility_upper"], color=FUTILITY_COLOUR, linestyle="-.",
            label="Futility boundaries (β-spending)")
    ax.plot(wedge["n"], wedge["futility_lower"], color=FUTILITY_COLOUR, linestyle="-.")


def _draw_z_curve(ax, looks):
    at_looks = looks["boundary_upper"].clip(upper=Z_LIMIT)
    ax.plot(looks["n"], at_looks, linestyle="none", marker="_", markersize=9, color=BOUNDARY_COLOUR,
            label="Boundary at each look (the one tested)")
    ax.plot(np.r_[0, looks["n"]], np.r_[0, looks["z"]], color=STUDY_COLOUR, marker="s", markersize=4,
            label="Cumulative Z-curve", zorder=3)
    for row in looks.itertuples():
        ax.annotate(row.study, (row.n, row.z), fontsize=SMALL_FONT_SIZE - 1, rotation=60,
                    xytext=(2, 4), textcoords="offset points", color=LINE_COLOUR)
    ax.title.set_fontsize(FONT_SIZE)
