"""Forest plots: Review Manager 5's layout for a :class:`~metarmc.results.MetaResult`, and a
simple one-row-per-line forest for tidy tables (leave-one-out, sensitivity, cumulative).

The figure is a table drawn on a grid of text rows of fixed height (:data:`ROW_HEIGHT`
inches): an invisible *table* axes whose data units are inches across and rows down, and
a *graph* axes for the effects, inset over the study rows so that squares and diamonds sit
on their text rows. The figure's size follows from the number of rows and the width of the
longest text in each column, so text never overlaps or runs off the figure.

References
----------
Deeks JJ, Higgins JPT (2010). Statistical algorithms in Review Manager 5 (what the text
rows report). Schwarzer G, Carpenter JR, Rücker G (2015). Meta-Analysis with R, ch. 2
(meta's ``forest(..., layout = "RevMan5")``, whose prediction interval we draw as well).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Polygon

from ..api import BINARY_COLUMNS, CONTINUOUS_COLUMNS
from ..heterogeneity import i_squared
from ..results import MetaResult
from .style import (FONT_SIZE, LINE_COLOUR, POOLED_COLOUR, PREDICTION_COLOUR, REFERENCE_COLOUR,
                    SMALL_FONT_SIZE, STUDY_COLOUR, nice_ticks, padded_limits, style_effect_axis)

#: Height of one text row, in inches.
ROW_HEIGHT = 0.22
#: Width of the graph column, the gap between columns and the margin around the table (inches).
GRAPH_WIDTH = 2.6
COLUMN_GAP = 0.15
MARGIN = 0.1
#: Rows kept free under the graph for its tick labels and the "Favours" / axis labels.
AXIS_ROWS = 3
#: Side of the largest study square, in points (it must fit in a row).
MAX_SQUARE_SIDE = 0.7 * ROW_HEIGHT * 72
#: Mean width of a character, in inches per point of font size (DejaVu Sans, about 0.6 em).
CHAR_WIDTH = 0.6 / 72

MEASURE_NAMES = {"OR": "Odds Ratio", "RR": "Risk Ratio", "RD": "Risk Difference",
                 "MD": "Mean Difference", "SMD": "Std. Mean Difference"}

#: RevMan's symmetric ratio scales: the upper limit L (the axis runs from 1/L to L) and its ticks.
RATIO_SCALES = {
    2: (0.5, 0.7, 1, 1.5, 2),
    5: (0.2, 0.5, 1, 2, 5),
    10: (0.1, 0.2, 0.5, 1, 2, 5, 10),
    20: (0.05, 0.2, 1, 5, 20),
    50: (0.02, 0.1, 1, 10, 50),
    100: (0.01, 0.1, 1, 10, 100),
}


# --- RevMan's text --------------------------------------------------------------------------

def format_p(p: float) -> str:
    """A P value as RevMan 5 prints it: ``P < 0.00001``, ``P = 0.0007``, ``P = 0.04``.

    Two decimals from 0.01 up, one significant digit below, and ``< 0.00001`` below that.
    """
    if not p >= 0:
        raise ValueError(f"p must be a number between 0 and 1; got {p!r}")
    if p < 0.00001:
        return "P < 0.00001"
    if p < 0.01:
        return f"P = {np.format_float_positional(p, precision=1, fractional=False)}"
    return f"P = {p:.2f}"


def format_effect(estimate: float, low: float, high: float) -> str:
    """``"1.93 [1.32, 2.82]"``: an estimate and its interval, two decimals as in RevMan."""
    return f"{estimate:.2f} [{low:.2f}, {high:.2f}]"


def heterogeneity_text(result: MetaResult) -> str:
    """``Heterogeneity: Tau² = …; Chi² = …, df = … (P = …); I² = …%`` (Tau² for random effects)."""
    if result.q_df == 0:
        return "Heterogeneity: Not applicable"
    tau2 = f"Tau\u00b2 = {result.tau2:.2f}; " if result.model == "random" else ""
    return (f"Heterogeneity: {tau2}Chi\u00b2 = {result.q:.2f}, df = {result.q_df} "
            f"({format_p(result.q_p)}); I\u00b2 = {result.i2:.0f}%")


def overall_effect_text(result: MetaResult) -> str:
    """``Test for overall effect: Z = … (P = …)`` (t with the Hartung-Knapp correction)."""
    statistic = "t" if result.hksj else "Z"
    return f"Test for overall effect: {statistic} = {abs(result.z):.2f} ({format_p(result.p)})"


def subgroup_differences_text(result: MetaResult) -> str:
    """``Test for subgroup differences: Chi² = …, df = … (P = …), I² = …%``.

    .. math:: I^2 = \\max\\left(0, \\frac{Q - df}{Q}\\right) \\times 100

    with Q the between-subgroup statistic (:func:`metarmc.heterogeneity.i_squared`).
    """
    if not result.subgroup_df:
        return "Test for subgroup differences: Not applicable"
    i2 = float(i_squared(result.subgroup_q, result.subgroup_df))
    return (f"Test for subgroup differences: Chi\u00b2 = {result.subgroup_q:.2f}, "
            f"df = {result.subgroup_df} ({format_p(result.subgroup_p)}), I\u00b2 = {i2:.0f}%")


# --- rows and columns -----------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    """One text row: cells by column key (``note`` and ``heading`` span from the left edge),
    and what the graph draws on it: a study (estimate, CI, weight) or a pooled diamond."""

    cells: dict = field(default_factory=dict)
    bold: bool = False
    effect: tuple | None = None
    weight: float = 0.0
    pooled: MetaResult | None = None


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    align: str = "right"


def _kind(studies: pd.DataFrame) -> str:
    if set(BINARY_COLUMNS) <= set(studies.columns):
        return "binary"
    if set(CONTINUOUS_COLUMNS) <= set(studies.columns):
        return "continuous"
    raise ValueError(f"result.studies must have the columns {', '.join(BINARY_COLUMNS)} or "
                     f"{', '.join(CONTINUOUS_COLUMNS)}; got {', '.join(studies.columns)}")


def _arm_columns(kind: str, arm: str) -> list[Column]:
    if kind == "binary":
        return [Column(f"events_{arm}", "Events"), Column(f"total_{arm}", "Total")]
    return [Column(f"mean_{arm}", "Mean"), Column(f"sd_{arm}", "SD"), Column(f"n_{arm}", "Total")]


def _number(value) -> str:
    value = float(value)
    return f"{value:.0f}" if value.is_integer() else f"{value:g}"


def _study_rows(studies: pd.DataFrame, kind: str) -> list[Row]:
    value_columns = BINARY_COLUMNS if kind == "binary" else CONTINUOUS_COLUMNS
    rows = []
    for _, study in studies.iterrows():
        cells = {"study": str(study["study"]), **{c: _number(study[c]) for c in value_columns}}
        if not study["estimable"]:
            rows.append(Row({**cells, "effect": "Not estimable"}))
            continue
        effect = (study["estimate"], study["ci_low"], study["ci_high"])
        cells.update(weight=f"{study['weight']:.1f}%", effect=format_effect(*effect))
        rows.append(Row(cells, effect=effect, weight=float(study["weight"])))
    return rows


def _pooled_rows(title: str, pooled: MetaResult, studies: pd.DataFrame, kind: str) -> list[Row]:
    """The (Sub)total row with its diamond, then total events and the two test lines."""
    totals = ("total_t", "total_c") if kind == "binary" else ("n_t", "n_c")
    cells = {"study": title, **{c: _number(studies[c].sum()) for c in totals},
             "weight": f"{studies['weight'].sum():.1f}%",
             "effect": format_effect(pooled.estimate, pooled.ci_low, pooled.ci_high)}
    rows = [Row(cells, bold=True, pooled=pooled)]
    if kind == "binary":
        rows.append(Row({"study": "Total events", "events_t": _number(studies["events_t"].sum()),
                         "events_c": _number(studies["events_c"].sum())}))
    rows += [Row({"note": heterogeneity_text(pooled)}), Row({"note": overall_effect_text(pooled)})]
    if not math.isnan(pooled.pi_low):
        rows.append(Row({"note": f"95% prediction interval: [{pooled.pi_low:.2f}, {pooled.pi_high:.2f}]"}))
    return rows


def _subgroup_column(result: MetaResult) -> str:
    """The column of ``result.studies`` that holds the subgroup names (the one pooled by)."""
    for column in result.studies.columns:
        if all((sub.studies[column].astype(str) == name).all() for name, sub in result.subgroups.items()):
            return column
    raise ValueError("result.studies has no column holding the subgroup names "
                     f"({', '.join(result.subgroups)})")


def _rows(result: MetaResult, kind: str) -> list[Row]:
    studies = result.studies
    if not result.subgroups:
        return _study_rows(studies, kind) + _pooled_rows("Total (95% CI)", result, studies, kind)
    rows = []
    for name, part in studies.groupby(_subgroup_column(result), sort=False):
        rows += [Row({"heading": str(name)}, bold=True), *_study_rows(part, kind)]
        sub = result.subgroups.get(str(name))
        rows += (_pooled_rows("Subtotal (95% CI)", sub, part, kind) if sub is not None
                 else [Row({"study": "Subtotal (95% CI)", "effect": "Not estimable"}, bold=True)])
        rows.append(Row())
    rows += _pooled_rows("Total (95% CI)", result, studies, kind)
    return rows + [Row({"note": subgroup_differences_text(result)})]


# --- layout: a table axes in inches x rows, a graph axes inset over it ----------------------

def _text_width(text: str, size: float = FONT_SIZE, bold: bool = False) -> float:
    """Estimated width of ``text`` in inches (bold type is about 8% wider)."""
    return len(text) * CHAR_WIDTH * size * (1.08 if bold else 1.0)


def _column_lefts(columns: list[Column], header: list[Row], rows: list[Row]) -> tuple[list[float], float]:
    """Left edge of each column (inches) and the right edge of the last, from the widest text."""
    lefts, x = [], MARGIN
    for column in columns:
        texts = [(r.cells[column.key], r.bold) for r in [*header, *rows] if column.key in r.cells]
        lefts.append(x)
        x += max(_text_width(text, bold=bold) for text, bold in texts) + COLUMN_GAP
    return lefts, x


def _table_axes(ax, width: float, n_rows: int):
    """The axes that holds the text: x in inches, y in rows (row i is centred at n - i - 0.5)."""
    if ax is None:
        ax = Figure(figsize=(width, n_rows * ROW_HEIGHT)).add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, n_rows)
    ax.set_axis_off()
    return ax


def _row_y(n_rows: int, index: int) -> float:
    return n_rows - index - 0.5


def _graph_axes(table, left: float, first: int, last: int, n_rows: int):
    """The effect axes, inset over text rows ``first``..``last`` of the table."""
    bottom, top = n_rows - last - 1, n_rows - first
    graph = table.inset_axes((left, bottom, GRAPH_WIDTH, top - bottom), transform=table.transData)
    graph.set_ylim(bottom, top)
    graph.set_gid("forest graph")
    graph.patch.set_visible(False)
    graph.set_yticks([])
    for side in ("left", "right", "top"):
        graph.spines[side].set_visible(False)
    return graph


def _draw_cells(table, columns: list[Column], lefts: list[float], rows: list[Row], first: int, n_rows: int):
    for i, row in enumerate(rows, start=first):
        y = _row_y(n_rows, i)
        weight = "bold" if row.bold else "normal"
        for key in ("note", "heading"):
            if key in row.cells:
                size = SMALL_FONT_SIZE if key == "note" else FONT_SIZE
                table.text(MARGIN, y, row.cells[key], ha="left", va="center", fontsize=size, fontweight=weight)
        for column, left in zip(columns, lefts):
            if column.key in row.cells:
                _cell(table, column, left, y, row.cells[column.key], weight)


def _cell(table, column: Column, left: float, y: float, text: str, weight: str = "normal"):
    x = left if column.align == "left" else left + _column_width(column, left, text)
    table.text(x, y, text, ha=column.align, va="center", fontsize=FONT_SIZE, fontweight=weight)


def _column_width(column: Column, left: float, text: str) -> float:
    return column.width_inches if hasattr(column, "width_inches") else 0.0


# --- the graph ------------------------------------------------------------------------------

def ratio_scale(values) -> tuple[tuple[float, float], tuple]:
    """RevMan's symmetric log scale: the smallest of :data:`RATIO_SCALES` that holds ``values``
    (the widest, 0.01 to 100, if none does: what lies beyond is clipped with an arrow)."""
    needed = np.nanmax(np.abs(np.log(np.asarray(values, dtype=float))))
    limit = next((L for L in RATIO_SCALES if math.log(L) >= needed * (1 - 1e-12)), max(RATIO_SCALES))
    return (1 / limit, limit), RATIO_SCALES[limit]


def difference_scale(values) -> tuple[tuple[float, float], tuple]:
    """A symmetric linear scale around 0: ±L with L the smallest 1, 2 or 5 x 10^k holding ``values``."""
    needed = float(np.nanmax(np.abs(np.asarray(values, dtype=float)))) or 1.0
    exponent = math.floor(math.log10(needed))
    limit = next(m * 10.0**e for e in (exponent, exponent + 1) for m in (1, 2, 5) if m * 10.0**e >= needed)
    return (-limit, limit), (-limit, -limit / 2, 0.0, limit / 2, limit)


def _scale(rows: list[Row], log: bool, xlim):
    if xlim is not None:
        return tuple(xlim), nice_ticks(*xlim, log=log)
    values = [v for r in rows if r.effect for v in r.effect[1:]]
    values += [v for r in rows if r.pooled for v in (r.pooled.ci_low, r.pooled.ci_high, r.pooled.pi_low, r.pooled.pi_high)]
    return ratio_scale(values) if log else difference_scale(values)


def _draw_studies(graph, rows: list[Row], ys: list[float], limits):
    """Squares with area proportional to weight, whiskers for the CI, arrows where it is cut."""
    drawn = [(r, y) for r, y in zip(rows, ys) if r.effect]
    if not drawn:
        return
    (estimate, low, high), y = np.array([r.effect for r, _ in drawn]).T, np.array([y for _, y in drawn])
    weight = np.array([r.weight for r, _ in drawn])
    graph.hlines(y, np.clip(low, *limits), np.clip(high, *limits), color=LINE_COLOUR, lw=1, zorder=2)
    graph.scatter(estimate, y, s=weight / weight.max() * MAX_SQUARE_SIDE**2, marker="s",
                  color=STUDY_COLOUR, zorder=3, gid="study squares")
    for cut, at, marker in ((low < limits[0], limits[0], "<"), (high > limits[1], limits[1], ">")):
        graph.scatter(np.full(cut.sum(), at), y[cut], marker=marker, s=30, color=LINE_COLOUR,
                      clip_on=False, zorder=3, gid="clipped CI arrows")


def _draw_diamond(graph, pooled: MetaResult, y: float):
    """The pooled estimate as a diamond spanning its CI; the prediction interval as a line through it."""
    half = 0.35
    graph.add_patch(Polygon([(pooled.ci_low, y), (pooled.estimate, y + half), (pooled.ci_high, y),
                             (pooled.estimate, y - half)], closed=True, color=POOLED_COLOUR, zorder=3,
                            gid="diamond"))
    if not math.isnan(pooled.pi_low):
        graph.hlines(y, pooled.pi_low, pooled.pi_high, color=PREDICTION_COLOUR, lw=2, zorder=2,
                     gid="prediction interval")


def _label_below(graph, x: float, text: str, ha: str, dx: float = 0.0):
    """Text under the tick labels at data x (``dx`` points across)."""
    graph.annotate(text, xy=(x, 0), xycoords=("data", "axes fraction"), xytext=(dx, -19),
                   textcoords="offset points", ha=ha, va="top", fontsize=FONT_SIZE)


def _finish_graph(graph, limits, ticks, log: bool, null: float):
    style_effect_axis(graph, limits, ticks, log)
    graph.axvline(null, color=LINE_COLOUR, lw=0.8, zorder=1)
