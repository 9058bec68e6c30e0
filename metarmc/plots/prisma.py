"""PRISMA flow diagram of the search, drawn from ``data/prisma.csv``.

Every number comes from the frame; the diagram only lays out the boxes: one row per phase
(identification, screening, eligibility, included), records going down the main column and
exclusions branching to the right.

References
----------
Page MJ, McKenzie JE, Bossuyt PM et al. (2021). The PRISMA 2020 statement: an updated
guideline for reporting systematic reviews. BMJ 372:n71.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from ..data import FLOW_STEPS
from .style import FILL_COLOUR, FONT_SIZE, LINE_COLOUR, OKABE_ITO, ReviewFigure, text_width

#: Geometry in inches: the phase band, the main and the side column, a line of text.
PHASE_WIDTH = 0.35
MAIN_LEFT, MAIN_WIDTH = 0.6, 3.2
SIDE_LEFT, SIDE_WIDTH = 4.3, 3.5
LINESPACING = 1.35
LINE_HEIGHT = LINESPACING * FONT_SIZE / 72
BOX_PADDING = 0.22
TEXT_INSET = 0.12
ROW_GAP = 0.4
MARGIN = 0.15
ROUNDED = "round,pad=0,rounding_size=0.06"
#: Joins the words of a count, "(n = 585)", so that wrapping never splits them.
KEEP = "\u00a0"


@dataclass(frozen=True)
class Phase:
    """One row of the diagram: its name, the main box's text, and the side box's (or None)."""

    name: str
    main: str
    side: str | None = None
    side_align: str = "center"


def flow_counts(prisma: pd.DataFrame) -> dict[str, tuple[int, str]]:
    """``step -> (count, label)`` for each of :data:`metarmc.data.FLOW_STEPS`.

    Raises ValueError when a step is missing or has no count.
    """
    missing = [c for c in ("step", "count", "label") if c not in prisma.columns]
    if missing:
        raise ValueError(f"prisma is missing column(s) {', '.join(missing)}; expected step, count, label")
    counts = {}
    for step in FLOW_STEPS:
        rows = prisma[prisma["step"] == step]
        if len(rows) != 1 or pd.isna(rows["count"].iloc[0]):
            raise ValueError(f"prisma needs exactly one {step!r} row with a count; found {len(rows)} row(s)"
                             + (" without a count" if len(rows) == 1 else ""))
        counts[step] = (int(rows["count"].iloc[0]), str(rows["label"].iloc[0]))
    return counts


def _reasons(prisma: pd.DataFrame) -> list[str]:
    """The full-text exclusion reasons, each with its count or "n not reported"."""
    rows = prisma[prisma["step"] == "reason_full_text"]
    return [f"{label} {_count(count)}" for label, count in zip(rows["label"], rows["count"])]


def _count(count) -> str:
    """``(n = 585)``, or ``(n not reported)`` for an empty count, as one unbreakable word."""
    text = f"(n = {int(count)})" if pd.notna(count) else "(n not reported)"
    return text.replace(" ", KEEP)


def _wrap(text: str, width: float) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` inches (a word longer than that keeps its line)."""
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            longer = f"{line} {word}".strip()
            if line and text_width(longer.replace(KEEP, " ")) > width:
                lines.append(line)
                longer = word
            line = longer
        lines.append(line)
    return [line.replace(KEEP, " ") for line in lines]


def _box_text(text: str, width: float) -> str:
    return "\n".join(_wrap(text, width - 2 * TEXT_INSET))


def _bullets(items: list[str], width: float) -> str:
    """Items as a bulleted list, wrapped lines indented under the first."""
    indent = text_width("\u2022 ")
    lines = []
    for item in items:
        first, *rest = _wrap(item, width - 2 * TEXT_INSET - indent)
        lines += ["\u2022 " + first, *("    " + line for line in rest)]
    return "\n".join(lines)


def phases(prisma: pd.DataFrame) -> list[Phase]:
    """The diagram's text, phase by phase, from the frame."""
    counts = flow_counts(prisma)
    databases = ", ".join(prisma.loc[prisma["step"] == "database", "label"])
    identified, identified_label = counts["identified"]
    excluded, excluded_label = counts["excluded_screening"]
    full_text, full_text_label = counts["full_text"]
    dropped, dropped_label = counts["excluded_full_text"]
    included, included_label = counts["included"]
    side = (_box_text(f"{dropped_label} {_count(dropped)}:", SIDE_WIDTH) + "\n"
            + _bullets(_reasons(prisma), SIDE_WIDTH))
    return [
        Phase("Identification", _box_text(f"{identified_label} {_count(identified)}"
                                          + (f"\n{databases}" if databases else ""), MAIN_WIDTH)),
        Phase("Screening", _box_text(f"Records screened {_count(identified)}", MAIN_WIDTH),
              _box_text(f"{excluded_label} {_count(excluded)}", SIDE_WIDTH)),
        Phase("Eligibility", _box_text(f"{full_text_label} {_count(full_text)}", MAIN_WIDTH), side, "left"),
        Phase("Included", _box_text(f"{included_label} {_count(included)}", MAIN_WIDTH)),
    ]


def _box_height(text: str | None) -> float:
    return 0.0 if text is None else text.count("\n") * LINE_HEIGHT + LINE_HEIGHT + BOX_PADDING


def _phase_name_height(name: str) -> float:
    """Height the rotated phase name needs."""
    return text_width(name, bold=True) + BOX_PADDING


def _box(ax, left: float, width: float, top: float, height: float, text: str, align: str = "center"):
    """A rounded box with its text; returns its (left, right, top, bottom)."""
    ax.add_patch(FancyBboxPatch((left, top - height), width, height, boxstyle=ROUNDED,
                                facecolor="white", edgecolor=LINE_COLOUR, lw=1, gid="prisma box"))
    x = left + width / 2 if align == "center" else left + TEXT_INSET
    ax.text(x, top - height / 2, text, ha=align, va="center", fontsize=FONT_SIZE, linespacing=LINESPACING,
            gid="prisma text")
    return left, left + width, top, top - height


def _arrow(ax, start, end):
    ax.annotate("", xy=end, xytext=start, arrowprops=dict(arrowstyle="-|>", color=LINE_COLOUR, lw=1,
                                                          shrinkA=0, shrinkB=0))


def _phase_band(ax, name: str, top: float, bottom: float):
    ax.add_patch(FancyBboxPatch((MARGIN, bottom), PHASE_WIDTH, top - bottom, boxstyle=ROUNDED,
                                facecolor=FILL_COLOUR, edgecolor=OKABE_ITO["blue"], lw=1))
    ax.text(MARGIN + PHASE_WIDTH / 2, (top + bottom) / 2, name, rotation=90, ha="center", va="center",
            fontsize=FONT_SIZE, fontweight="bold", color=OKABE_ITO["blue"])


def prisma_flow(prisma: pd.DataFrame, ax=None) -> Figure:
    """A PRISMA flow diagram: identification, screening, eligibility, included.

    Parameters
    ----------
    prisma : DataFrame
        ``data/prisma.csv`` as loaded (``load().prisma``): columns ``step, count, label``,
        one row for each of ``identified, excluded_screening, full_text, excluded_full_text,
        included``, plus ``database`` rows (listed in the identification box) and
        ``reason_full_text`` rows (listed under the full-text exclusions, "n not reported"
        when the count is empty).
    ax : Axes, optional
        Draw into this axes (x and y in inches); by default a new figure of the right height.

    Returns
    -------
    Figure

    Notes
    -----
    Records screened is the number identified: the paper reports no removal of duplicates
    before screening (its 534 exclusions include duplicate reports).
    """
    rows = phases(prisma)
    heights = [max(_box_height(p.main), _box_height(p.side), _phase_name_height(p.name)) for p in rows]
    width = SIDE_LEFT + SIDE_WIDTH + MARGIN
    height = sum(heights) + ROW_GAP * (len(rows) - 1) + 2 * MARGIN
    if ax is None:
        ax = ReviewFigure(figsize=(width, height)).add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_axis_off()
    top, previous = height - MARGIN, None
    for phase, row_height in zip(rows, heights):
        _phase_band(ax, phase.name, top, top - row_height)
        middle = top - row_height / 2
        main = _box(ax, MAIN_LEFT, MAIN_WIDTH, middle + _box_height(phase.main) / 2,
                    _box_height(phase.main), phase.main)
        if previous is not None:
            _arrow(ax, (MAIN_LEFT + MAIN_WIDTH / 2, previous[3]), (MAIN_LEFT + MAIN_WIDTH / 2, main[2]))
        if phase.side is not None:
            _box(ax, SIDE_LEFT, SIDE_WIDTH, middle + _box_height(phase.side) / 2, _box_height(phase.side),
                 phase.side, phase.side_align)
            _arrow(ax, (main[1], middle), (SIDE_LEFT, middle))
        previous, top = main, top - row_height - ROW_GAP
    return ax.figure


# ------------------------------------------------------------------------- living review: the update layout (issue 15)

#: Geometry of the update layout (inches): previous-version column, then main and side columns.
PREVIOUS_LEFT, PREVIOUS_WIDTH = 0.6, 2.5
UPDATE_MAIN_LEFT, UPDATE_MAIN_WIDTH = 3.5, 3.0
UPDATE_SIDE_LEFT, UPDATE_SIDE_WIDTH = 7.0, 3.2


def _n(label: str, count: int) -> str:
    return f"{label} {_count(count)}"


def update_phases(flow) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """The update diagram's text: per phase, its rows of (main box, side box or None)."""
    sources = [f"{name} {_count(n)}" for name, n in flow.named().items()]
    identified = (_box_text(_n("Records identified from databases", sum(flow.databases.values())) + "; "
                            + _n("registers", sum(flow.registers.values())) + ":", UPDATE_MAIN_WIDTH)
                  + ("\n" + _bullets(sources, UPDATE_MAIN_WIDTH) if sources else ""))
    screened_side = _n("Records excluded", flow.excluded)
    if flow.awaiting:
        screened_side += "\n" + _n("Records awaiting a decision", flow.awaiting)
    reasons = [f"{reason} {_count(n)}" for reason, n in flow.reasons.items()]
    excluded_reports = _box_text(_n("Reports excluded", sum(flow.reasons.values())) + (":" if reasons else ""),
                                 UPDATE_SIDE_WIDTH) + ("\n" + _bullets(reasons, UPDATE_SIDE_WIDTH) if reasons else "")
    return [
        ("Identification", [(identified, _box_text(_n("Duplicate records removed before screening",
                                                        flow.duplicates), UPDATE_SIDE_WIDTH))]),
        ("Screening", [
            (_box_text(_n("Records screened", flow.screened), UPDATE_MAIN_WIDTH),
             "\n".join(_box_text(line, UPDATE_SIDE_WIDTH) for line in screened_side.split("\n"))),
            (_box_text(_n("Reports sought for retrieval", flow.sought), UPDATE_MAIN_WIDTH),
             _box_text(_n("Reports not retrieved", flow.not_retrieved), UPDATE_SIDE_WIDTH)),
            (_box_text(_n("Reports assessed for eligibility", flow.assessed), UPDATE_MAIN_WIDTH), excluded_reports),
        ]),
        ("Included", [
            (_box_text(_n("New studies included in review", flow.new_studies) + "\n"
                       + _n("Reports of new included studies", flow.new_reports), UPDATE_MAIN_WIDTH), None),
            (_box_text(_n("Total studies included in review", flow.total_studies), UPDATE_MAIN_WIDTH), None),
        ]),
    ]


def prisma_update_flow(flow, ax=None) -> Figure:
    """The PRISMA 2020 flow diagram of an updated review (previous studies, new records, total).

    Parameters
    ----------
    flow : metarmc.living.UpdateFlow
        The update's counts (:func:`metarmc.living.update_flow`, from the screening log).
    ax : Axes, optional
        Draw into this axes (x and y in inches); by default a new figure of the right height.

    Returns
    -------
    Figure

    Notes
    -----
    The layout of Figure 1's template "for updated systematic reviews which included searches
    of databases and registers only" (Page et al. 2021): the previous version's studies on the
    left, joining the new studies in the total; records awaiting a decision, which the template
    leaves out, are shown under the exclusions so that every record is accounted for.
    """
    phases_ = update_phases(flow)
    rows = [(name, main, side) for name, items in phases_ for main, side in items]
    heights = [max(_box_height(main), _box_height(side)) for _, main, side in rows]
    previous_text = _box_text(_n("Studies included in previous version of review", flow.previous_studies),
                              PREVIOUS_WIDTH)
    width = UPDATE_SIDE_LEFT + UPDATE_SIDE_WIDTH + MARGIN
    height = sum(heights) + ROW_GAP * (len(rows) - 1) + 2 * MARGIN
    if ax is None:
        ax = ReviewFigure(figsize=(width, height)).add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_axis_off()
    top, previous_main, middles, previous_box = height - MARGIN, None, [], None
    centre = UPDATE_MAIN_LEFT + UPDATE_MAIN_WIDTH / 2
    for (name, main, side), row_height in zip(rows, heights):
        middle = top - row_height / 2
        box = _box(ax, UPDATE_MAIN_LEFT, UPDATE_MAIN_WIDTH, middle + _box_height(main) / 2, _box_height(main), main,
                   "left" if "\u2022" in main else "center")
        if previous_main is not None:
            _arrow(ax, (centre, previous_main[3]), (centre, box[2]))
        if side is not None:
            _box(ax, UPDATE_SIDE_LEFT, UPDATE_SIDE_WIDTH, middle + _box_height(side) / 2, _box_height(side), side,
                 "left")
            _arrow(ax, (box[1], middle), (UPDATE_SIDE_LEFT, middle))
        if previous_box is None:
            previous_box = _box(ax, PREVIOUS_LEFT, PREVIOUS_WIDTH, middle + _box_height(previous_text) / 2,
                                _box_height(previous_text), previous_text)
        middles.append((name, top, top - row_height, middle))
        previous_main, top = box, top - row_height - ROW_GAP
    for name in dict.fromkeys(n for n, *_ in middles):
        spans = [(t, b) for n, t, b, _ in middles if n == name]
        _phase_band(ax, name, spans[0][0], spans[-1][1])
    total_middle = middles[-1][3]
    x = PREVIOUS_LEFT + PREVIOUS_WIDTH / 2
    ax.plot([x, x], [previous_box[3], total_middle], color=LINE_COLOUR, lw=1)
    _arrow(ax, (x, total_middle), (UPDATE_MAIN_LEFT, total_middle))
    return ax.figure
