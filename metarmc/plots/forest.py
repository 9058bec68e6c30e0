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
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Polygon
from matplotlib.transforms import offset_copy

from .. import formatting as fmt
from ..results import MetaResult
from ..schema import VALUE_COLUMNS, table_kind
from .style import (
    FONT_SIZE,
    LINE_COLOUR,
    POOLED_COLOUR,
    PREDICTION_COLOUR,
    REFERENCE_COLOUR,
    SMALL_FONT_SIZE,
    STUDY_COLOUR,
    ReviewFigure,
    nice_ticks,
    padded_limits,
    style_effect_axis,
    text_width,
)

#: Height of one text row, in inches.
ROW_HEIGHT = 0.22
#: Width of the graph column, the gap between columns, the margin around the table and the
#: one right of the graph (room for half of the last tick label), in inches.
GRAPH_WIDTH = 2.6
COLUMN_GAP = 0.15
MARGIN = 0.1
GRAPH_MARGIN = 0.3
#: Blank space above and below the table, in rows.
PAD_ROWS = 0.4
#: Rows kept free under the graph for its tick labels and the "Favours" / axis labels.
AXIS_ROWS = 3
#: Side of the largest study square, in points (it must fit in a row).
MAX_SQUARE_SIDE = 0.7 * ROW_HEIGHT * 72

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


def _arm_columns(kind: str, arm: str) -> list[Column]:
    if kind == "binary":
        return [Column(f"events_{arm}", "Events"), Column(f"total_{arm}", "Total")]
    return [Column(f"mean_{arm}", "Mean"), Column(f"sd_{arm}", "SD"), Column(f"n_{arm}", "Total")]


def _number(value) -> str:
    value = float(value)
    return f"{value:.0f}" if value.is_integer() else f"{value:g}"


def _study_rows(studies: pd.DataFrame, kind: str) -> list[Row]:
    value_columns = VALUE_COLUMNS[kind]
    rows = []
    for _, study in studies.iterrows():
        cells = {"study": str(study["study"]), **{c: _number(study[c]) for c in value_columns}}
        if not study["estimable"]:
            rows.append(Row({**cells, "effect": "Not estimable"}))
            continue
        effect = (study["estimate"], study["ci_low"], study["ci_high"])
        cells.update(weight=f"{study['weight']:.1f}%", effect=fmt.interval(*effect))
        rows.append(Row(cells, effect=effect, weight=float(study["weight"])))
    return rows


def _pooled_rows(title: str, pooled: MetaResult, studies: pd.DataFrame, kind: str) -> list[Row]:
    """The (Sub)total row with its diamond, then total events and the two test lines."""
    totals = ("total_t", "total_c") if kind == "binary" else ("n_t", "n_c")
    cells = {"study": title, **{c: _number(studies[c].sum()) for c in totals},
             "weight": f"{studies['weight'].sum():.1f}%",
             "effect": fmt.interval(pooled.estimate, pooled.ci_low, pooled.ci_high)}
    rows = [Row(cells, bold=True, pooled=pooled)]
    if kind == "binary":
        rows.append(Row({"study": "Total events", "events_t": _number(studies["events_t"].sum()),
                         "events_c": _number(studies["events_c"].sum())}))
    rows += [Row({"note": fmt.heterogeneity(pooled)}), Row({"note": fmt.overall_effect(pooled)})]
    if not math.isnan(pooled.pi_low):
        rows.append(Row({"note": f"95% prediction interval: [{pooled.pi_low:.2f}, {pooled.pi_high:.2f}]"}))
    return rows


def _rows(result: MetaResult, kind: str, studies: pd.DataFrame) -> list[Row]:
    if not result.subgroups:
        return _study_rows(studies, kind) + _pooled_rows("Total (95% CI)", result, studies, kind)
    rows = []
    for name, part in studies.groupby(result.subgroup_column, sort=False):
        rows += [Row({"heading": str(name)}, bold=True), *_study_rows(part, kind)]
        sub = result.subgroups.get(str(name))
        rows += (_pooled_rows("Subtotal (95% CI)", sub, part, kind) if sub is not None
                 else [Row({"study": "Subtotal (95% CI)", "effect": "Not estimable"}, bold=True)])
        rows.append(Row())
    rows += _pooled_rows("Total (95% CI)", result, studies, kind)
    return rows + [Row({"note": fmt.subgroup_differences(result)})]


def footnote_numbers(footnotes: Sequence[str]) -> tuple[list[str], list[str]]:
    """RevMan's footnote markers: each distinct text a number, in order of first appearance.

    Returns the marker of each row (``"(1)"``, or ``""`` for a row without a footnote) and the
    footnotes in number order.

    Examples
    --------
    >>> footnote_numbers(["abstract", "", "registry", "abstract"])
    (['(1)', '', '(2)', '(1)'], ['abstract', 'registry'])
    """
    texts = list(dict.fromkeys(text for text in footnotes if text))
    return [f"({texts.index(text) + 1})" if text else "" for text in footnotes], texts


def _footnote_rows(texts: list[str], width: float) -> list[Row]:
    """A "Footnotes" heading, then each numbered footnote wrapped to ``width`` inches."""
    rows = [Row({"heading": "Footnotes"}, bold=True)]
    for number, text in enumerate(texts, start=1):
        line = f"({number})"
        for word in text.split():
            if text_width(f"{line} {word}", SMALL_FONT_SIZE) > width:
                rows.append(Row({"note": line}))
                line = "    "
            line = f"{line} {word}" if line.strip() else f"{line}{word}"
        rows.append(Row({"note": line}))
    return rows


def _marked(studies: pd.DataFrame, footnotes: Sequence[str] | None) -> tuple[pd.DataFrame, list[str]]:
    """The studies with each one's footnote marker after its name, and the footnotes in number order."""
    if footnotes is None:
        return studies, []
    if len(footnotes) != len(studies):
        raise ValueError(f"footnotes has {len(footnotes)} entries; expected one per study row of the result "
                         f"({len(studies)}, in the order of result.studies; '' for none)")
    markers, texts = footnote_numbers([str(text or "") for text in footnotes])
    labels = [f"{study} {marker}" if marker else str(study) for study, marker in zip(studies["study"], markers)]
    return studies.assign(study=labels), texts


# --- layout: a table axes in inches x rows, a graph axes inset over it ----------------------

def _column_edges(columns: list[Column], rows: list[Row], start: float = MARGIN):
    """(left, right) of each column in inches, sized to its widest text, and the next free x."""
    edges, x = [], start
    for column in columns:
        width = max(text_width(r.cells[column.key], bold=r.bold) for r in rows if column.key in r.cells)
        edges.append((x, x + width))
        x += width + COLUMN_GAP
    return edges, x


def _table_axes(ax, width: float, n_rows: int):
    """The axes that holds the text: x in inches, y in rows (see :func:`_row_y`)."""
    if ax is None:
        ax = ReviewFigure(figsize=(width, (n_rows + 2 * PAD_ROWS) * ROW_HEIGHT)).add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(-PAD_ROWS, n_rows + PAD_ROWS)
    ax.set_axis_off()
    return ax


def _row_y(n_rows: int, index: int) -> float:
    """The y of the centre of row ``index`` (0 = top) in a table of ``n_rows`` rows."""
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


def _draw_cells(table, columns: list[Column], edges, rows: list[Row], first: int, n_rows: int):
    """Write each row's cells: numbers right-aligned in their column, notes from the left edge."""
    for i, row in enumerate(rows, start=first):
        y, weight = _row_y(n_rows, i), "bold" if row.bold else "normal"
        for key, size in (("note", SMALL_FONT_SIZE), ("heading", FONT_SIZE)):
            if key in row.cells:
                table.text(MARGIN, y, row.cells[key], ha="left", va="center", fontsize=size,
                           fontweight=weight)
        for column, (left, right) in zip(columns, edges):
            if column.key in row.cells:
                x = left if column.align == "left" else right
                table.text(x, y, row.cells[column.key], ha=column.align, va="center",
                           fontsize=FONT_SIZE, fontweight=weight)


# --- the graph ------------------------------------------------------------------------------

def ratio_scale(values) -> tuple[tuple[float, float], tuple]:
    """RevMan's symmetric log scale: the smallest of :data:`RATIO_SCALES` that holds ``values``
    (the widest, 0.01 to 100, if none does: what lies beyond is cut, with an arrow)."""
    needed = np.nanmax(np.abs(np.log(np.asarray(values, dtype=float))))
    limit = next((L for L in RATIO_SCALES if math.log(L) >= needed * (1 - 1e-12)), max(RATIO_SCALES))
    return (1 / limit, limit), RATIO_SCALES[limit]


def difference_scale(values) -> tuple[tuple[float, float], tuple]:
    """A symmetric linear scale: ±L, with L the smallest 1, 2 or 5 x 10^k that holds ``values``."""
    needed = float(np.nanmax(np.abs(np.asarray(values, dtype=float)))) or 1.0
    exponent = math.floor(math.log10(needed))
    limit = next(m * 10.0**e for e in (exponent, exponent + 1) for m in (1, 2, 5) if m * 10.0**e >= needed)
    return (-limit, limit), (-limit, -limit / 2, 0.0, limit / 2, limit)


def _scale(rows: list[Row], log: bool, xlim):
    if xlim is not None:
        return tuple(xlim), nice_ticks(*xlim, log=log)
    values = [v for r in rows if r.effect for v in r.effect]
    values += [v for r in rows if r.pooled
               for v in (r.pooled.ci_low, r.pooled.ci_high, r.pooled.pi_low, r.pooled.pi_high)]
    return ratio_scale(values) if log else difference_scale(values)


def _draw_studies(graph, rows: list[Row], ys, limits, max_side: float = MAX_SQUARE_SIDE):
    """Squares with area proportional to weight, whiskers for the CI, arrows where it is cut."""
    drawn = [(*row.effect, row.weight, y) for row, y in zip(rows, ys) if row.effect]
    if not drawn:
        return
    estimate, low, high, weight, y = np.array(drawn, dtype=float).T
    graph.hlines(y, np.clip(low, *limits), np.clip(high, *limits), color=LINE_COLOUR, lw=1, zorder=2)
    graph.scatter(estimate, y, s=weight / weight.max() * max_side**2, marker="s", color=STUDY_COLOUR,
                  zorder=3, gid="study squares")
    arrow_size = 6  # points; the arrowhead is moved inwards by half of it, its tip on the axis end
    ends = ((low < limits[0], limits[0], "<", 1), (high > limits[1], limits[1], ">", -1))
    for cut, at, marker, inwards in ends:
        if cut.any():
            tip_on_edge = offset_copy(graph.transData, graph.figure, x=inwards * arrow_size / 2, units="points")
            graph.scatter(np.full(cut.sum(), at), y[cut], marker=marker, s=arrow_size**2, color=LINE_COLOUR,
                          transform=tip_on_edge, clip_on=False, zorder=3, gid="clipped CI arrows")


def _draw_diamond(graph, pooled: MetaResult, y: float, half_height: float = 0.35):
    """The pooled estimate as a diamond spanning its CI; the prediction interval as a line through it."""
    corners = [(pooled.ci_low, y), (pooled.estimate, y + half_height), (pooled.ci_high, y),
               (pooled.estimate, y - half_height)]
    graph.add_patch(Polygon(corners, closed=True, color=POOLED_COLOUR, zorder=3, gid="diamond"))
    if not math.isnan(pooled.pi_low):
        graph.hlines(y, pooled.pi_low, pooled.pi_high, color=PREDICTION_COLOUR, lw=2, zorder=2,
                     gid="prediction interval")


def _label_below(graph, x: float, text: str, ha: str, dx: float = 0.0, xcoords: str = "data"):
    """Text under the tick labels, at ``x`` (data or axes fraction) and ``dx`` points across."""
    graph.annotate(text, xy=(x, 0), xycoords=(xcoords, "axes fraction"), xytext=(dx, -19),
                   textcoords="offset points", ha=ha, va="top", fontsize=FONT_SIZE)


def _finish_graph(graph, limits, ticks, log: bool, null: float):
    style_effect_axis(graph, limits, ticks, log)
    graph.axvline(null, color=LINE_COLOUR, lw=0.8, zorder=1)


# --- the two plots --------------------------------------------------------------------------

def forest_plot(result: MetaResult, *, labels=("Experimental", "Control"),
                favours=("Favours control", "Favours experimental"), title: str | None = None, ax=None,
                xlim=None, footnotes: Sequence[str] | None = None) -> Figure:
    """A forest plot in Review Manager 5's layout.

    Parameters
    ----------
    result : MetaResult
        From :func:`~metarmc.meta_binary` or :func:`~metarmc.meta_continuous`, with or
        without subgroups.
    labels : (str, str)
        The experimental and the control arm, as column headings.
    favours : (str, str)
        The labels under the left and the right half of the axis (left of the null line
        favours the control when a higher value is better, e.g. live birth).
    title : str, optional
        A bold line above the table.
    ax : Axes, optional
        Draw into this axes (its whole area becomes the table); by default a new figure of
        the computed size (:data:`ROW_HEIGHT` inches per row, columns as wide as their text).
    xlim : (float, float), optional
        The effect axis range; by default RevMan's symmetric scale that holds every interval
        (ratios: at most 0.01 to 100, beyond which whiskers end in an arrow).
    footnotes : sequence of str, optional
        One text per row of ``result.studies`` (in its order; ``""`` for none), e.g. where the
        study's numbers come from. As in RevMan, each distinct text gets a number, shown after
        the study's name, and the numbered footnotes are listed under the plot, wrapped to its
        width.

    Returns
    -------
    Figure

    Notes
    -----
    Squares have area proportional to the study's weight (``result.studies["weight"]``),
    the diamond spans the pooled 95% CI and a prediction interval, when the result has one,
    is drawn as a line through it. Ratios are drawn on a log axis labelled on the natural
    scale. Subgroup results show a heading, the studies, a subtotal and its tests for each
    subgroup, then the total and RevMan's test for subgroup differences.

    Examples
    --------
    >>> import pandas as pd
    >>> from metarmc import meta_binary
    >>> df = pd.DataFrame({"study": ["A", "B"], "events_t": [12, 5], "total_t": [20, 18],
    ...                    "events_c": [8, 4], "total_c": [21, 17]})
    >>> fig = forest_plot(meta_binary(df), title="Live birth", footnotes=["Counts from the abstract", ""])
    >>> fig.savefig("forest.png", dpi=110)  # doctest: +SKIP
    """
    kind = table_kind(result.studies)
    if kind not in ("binary", "continuous"):
        raise ValueError(f"forest_plot draws binary and continuous analyses; this one is {kind} "
                         "(draw it with summary_forest)")
    columns = [Column("study", "Study or Subgroup", "left"), *_arm_columns(kind, "t"),
               *_arm_columns(kind, "c"), Column("weight", "Weight"), Column("effect", result.label)]
    measure = MEASURE_NAMES[result.measure]
    header = [Row({"effect": measure}, bold=True), Row({c.key: c.title for c in columns}, bold=True)]
    studies, notes = _marked(result.studies, footnotes)
    rows = _rows(result, kind, studies)
    edges, graph_left = _column_edges(columns, header + rows)
    width = graph_left + GRAPH_WIDTH + GRAPH_MARGIN
    first = len(header) + (title is not None)
    total = next(i for i, row in enumerate(rows) if row.pooled is result)
    if notes:  # below the axis and its labels, across the whole width
        rows += [Row()] * max(0, total + 1 + AXIS_ROWS - len(rows)) + _footnote_rows(notes, width - 2 * MARGIN)
    n_rows = first + max(len(rows), total + 1 + AXIS_ROWS)
    table = _table_axes(ax, width, n_rows)
    if title is not None:
        table.text(MARGIN, _row_y(n_rows, 0), title, va="center", fontsize=FONT_SIZE + 1, fontweight="bold")
    _draw_header(table, columns, edges, labels, (measure, result.label), graph_left, first, n_rows)
    _draw_cells(table, columns, edges, header + rows, first - len(header), n_rows)

    graph = _graph_axes(table, graph_left, first, first + total, n_rows)
    ys = [_row_y(n_rows, first + i) for i in range(len(rows))]
    limits, ticks = _scale(rows, result.is_ratio, xlim)
    _draw_studies(graph, rows, ys, limits)
    for row, y in zip(rows, ys):
        if row.pooled is not None:
            _draw_diamond(graph, row.pooled, y)
    null = 1.0 if result.is_ratio else 0.0
    _finish_graph(graph, limits, ticks, result.is_ratio, null)
    _label_below(graph, null, favours[0], "right", dx=-6)
    _label_below(graph, null, favours[1], "left", dx=6)
    return table.figure


def _draw_header(table, columns, edges, labels, graph_titles, graph_left, first, n_rows):
    """Arm names centred over their columns, the graph's titles, and a rule under the header."""
    top, bottom = _row_y(n_rows, first - 2), _row_y(n_rows, first - 1)
    for arm, name in zip("tc", labels):
        spans = [edge for column, edge in zip(columns, edges) if column.key.endswith(f"_{arm}")]
        table.text((spans[0][0] + spans[-1][1]) / 2, top, name, ha="center", va="center",
                   fontsize=FONT_SIZE, fontweight="bold")
    centre = graph_left + GRAPH_WIDTH / 2
    for y, text in zip((top, bottom), graph_titles):
        table.text(centre, y, text, ha="center", va="center", fontsize=FONT_SIZE, fontweight="bold")
    _rule(table, graph_left + GRAPH_WIDTH, n_rows - first)


def _rule(table, right: float, y: float):
    """A thin horizontal line across the table, from the left margin to ``right``."""
    table.plot([MARGIN, right], [y, y], color=LINE_COLOUR, lw=0.6)


def summary_forest(frame: pd.DataFrame, *, estimate="estimate", ci_low="ci_low", ci_high="ci_high",
                   label="label", label_header=None, effect_header="Estimate [95% CI]", log=True, null=1.0,
                   reference=None, ax=None, xlabel=None) -> Figure:
    """A forest of one row per line of a tidy table (leave-one-out, sensitivity, cumulative).

    Parameters
    ----------
    frame : DataFrame
        One row per line, with the columns named by ``label``, ``estimate``, ``ci_low`` and
        ``ci_high`` (natural scale; a row without an estimate says "Not estimable").
    label_header : str, optional
        The header over the row labels, saying what they are ("Study omitted" over a
        leave-one-out); by default the ``label`` column's name in words.
    effect_header : str
        The header over the estimates.
    log : bool
        Log axis (ratios), labelled on the natural scale.
    null : float
        Where the vertical line of no effect goes (1 for ratios, 0 for differences).
    reference : MetaResult or float, optional
        A result (anything with ``estimate``, ``ci_low``, ``ci_high``) drawn as a dashed line
        in a shaded band, e.g. the main analysis; or a number drawn as a dashed line.
    ax : Axes, optional
        Draw into this axes (its whole area becomes the table); by default a new figure.
    xlabel : str, optional
        A label under the axis.

    Returns
    -------
    Figure

    Examples
    --------
    >>> import pandas as pd
    >>> loo = pd.DataFrame({"omitted": ["A", "B"], "estimate": [1.5, 2.1],
    ...                     "ci_low": [0.9, 1.2], "ci_high": [2.5, 3.7]})
    >>> fig = summary_forest(loo, label="omitted", label_header="Study omitted", reference=1.9)
    """
    values = _summary_values(frame, label, (estimate, ci_low, ci_high), log)
    rows = [Row({"label": str(name), "effect": fmt.interval(*v)}, effect=tuple(v), weight=1.0)
            if np.isfinite(v).all() else Row({"label": str(name), "effect": "Not estimable"})
            for name, v in zip(frame[label], values)]
    header = Row({"label": label_header or label.replace("_", " ").capitalize(), "effect": effect_header}, bold=True)
    label_edges, graph_left = _column_edges([Column("label", "", "left")], [header, *rows])
    effect_edges, end = _column_edges([Column("effect", "")], [header, *rows],
                                      start=graph_left + GRAPH_WIDTH + COLUMN_GAP)
    n_rows = 1 + len(rows) + AXIS_ROWS - 1  # no Favours labels: one row less under the axis
    table = _table_axes(ax, end - COLUMN_GAP + MARGIN, n_rows)
    columns = [Column("label", "", "left"), Column("effect", "")]
    _draw_cells(table, columns, label_edges + effect_edges, [header, *rows], 0, n_rows)
    _rule(table, effect_edges[0][1], n_rows - 1)

    graph = _graph_axes(table, graph_left, 1, len(rows), n_rows)
    limits = padded_limits([*values.ravel(), null, *_reference_values(reference)], log)
    _draw_reference(graph, reference)
    _draw_studies(graph, rows, [_row_y(n_rows, 1 + i) for i in range(len(rows))], limits,
                  max_side=0.5 * MAX_SQUARE_SIDE)
    _finish_graph(graph, limits, nice_ticks(*limits, log=log), log, null)
    if xlabel:
        _label_below(graph, 0.5, xlabel, "center", xcoords="axes fraction")
    return table.figure


def _summary_values(frame: pd.DataFrame, label: str, columns, log: bool) -> np.ndarray:
    """The (estimate, low, high) array of a summary table, checked."""
    missing = [c for c in (label, *columns) if c not in frame.columns]
    if missing:
        raise ValueError(f"frame is missing column(s) {', '.join(missing)}; "
                         f"expected {label}, {', '.join(columns)}")
    if frame.empty:
        raise ValueError("frame has no rows; expected one row per line of the forest")
    values = frame[list(columns)].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    if not np.isfinite(values).any():
        raise ValueError(f"frame has no finite {', '.join(columns)} to plot")
    if log and (values[np.isfinite(values)] <= 0).any():
        raise ValueError("log=True needs positive estimates and limits (ratios); "
                         "use log=False for differences")
    return values


def _reference_values(reference) -> list[float]:
    if reference is None:
        return []
    if hasattr(reference, "ci_low"):
        return [reference.estimate, reference.ci_low, reference.ci_high]
    return [float(reference)]


def _draw_reference(graph, reference):
    """The reference result: a shaded band over its CI and a dashed line at its estimate."""
    values = _reference_values(reference)
    if len(values) == 3:
        graph.axvspan(values[1], values[2], color=REFERENCE_COLOUR, alpha=0.3, lw=0, zorder=0,
                      gid="reference band")
    if values:
        graph.axvline(values[0], color=STUDY_COLOUR, ls="--", lw=1, zorder=1, gid="reference line")
