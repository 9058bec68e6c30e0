"""Study labels beside their points that overlap no other label or point (Baujat and funnel plots)."""

from __future__ import annotations

from matplotlib.text import Text
from matplotlib.transforms import Bbox

from .style import LINE_COLOUR, SMALL_FONT_SIZE

#: Area of a study's point, in points squared (matplotlib's ``s``).
MARKER_SIZE = 30
#: Where a label may go, in order of preference: offset from its point (points) and alignment.
LABEL_POSITIONS = tuple((dx, dy, "left" if dx > 0 else "right", "bottom" if dy > 0 else "top")
                        for dy in (3, -3, 11, -11, 19, -19) for dx in (4, -4))
#: Room kept between a label and any other label or point, in points.
LABEL_GAP = 2.5


def place_labels(ax, x, y, names, *, marker_size: float = MARKER_SIZE) -> list:
    """Label each point ``(x, y)`` of ``ax`` with its name, beside it where it clashes with nothing.

    Each label takes the first of :data:`LABEL_POSITIONS` that stays inside the axes and keeps
    :data:`LABEL_GAP` from the labels already placed and from every other point, or else the one
    that clashes least (area of overlap, ten times the area outside the axes). The labels are
    placed in four orders (by x, then by y, each way) and the arrangement that clashes least is
    kept. The axes are laid out first, so the positions hold in the figure as drawn.

    Parameters
    ----------
    ax : Axes
        Where the points are drawn (their limits are final).
    x, y : array-like
        The points, in data coordinates.
    names : list of str
        One label per point.
    marker_size : float
        The points' area in points squared (matplotlib's ``s``), kept clear of labels.

    Returns
    -------
    list of Annotation
        In the order of ``names``.
    """
    fig = ax.figure
    fig.draw_without_rendering()
    scale = fig.dpi / 72
    radius = (marker_size ** 0.5 / 2 + LABEL_GAP) * scale
    points = list(zip(x, y))
    centres = ax.transData.transform(points)
    markers = [Bbox.from_extents(cx - radius, cy - radius, cx + radius, cy + radius) for cx, cy in centres]
    best = None
    for axis in (0, 1):
        for sign in (-1, 1):
            order = sorted(range(len(names)), key=lambda i: sign * centres[i][axis])
            clash, labels = _place(ax, points, names, order, markers, LABEL_GAP * scale)
            if best is None or clash < best[0]:
                for label in best[1] if best else ():
                    label.remove()
                best = (clash, labels)
            else:
                for label in labels:
                    label.remove()
    return best[1]


def _place(ax, points, names, order, markers, gap) -> tuple[float, list]:
    """Place the labels one by one in ``order``: (total clash, labels in the order of ``names``)."""
    taken = list(markers)
    labels, total = [None] * len(names), 0.0
    for i in order:
        others = [box for j, box in enumerate(taken) if j != i]  # not its own point
        chosen = None
        for position in LABEL_POSITIONS:
            label = _label(ax, names[i], points[i], position)
            box = text_box(label).padded(gap)
            clash = sum(_overlap(box, other) for other in others) + 10 * _outside(box, ax.bbox)
            if chosen is None or clash < chosen[0]:
                if chosen is not None:
                    chosen[1].remove()
                chosen = (clash, label, box)
            else:
                label.remove()
            if clash == 0:
                break
        total += chosen[0]
        taken.append(chosen[2])
        labels[i] = chosen[1]
    return total, labels


def text_box(label) -> Bbox:
    """The box of an annotation's text in display units, without its leader line."""
    label.get_window_extent()  # places the text (and its line) for the current layout
    return Text.get_window_extent(label)


def _overlap(a: Bbox, b: Bbox) -> float:
    """The area two boxes share (0 if none)."""
    return max(0.0, min(a.x1, b.x1) - max(a.x0, b.x0)) * max(0.0, min(a.y1, b.y1) - max(a.y0, b.y0))


def _outside(box: Bbox, frame: Bbox) -> float:
    """The area of ``box`` outside ``frame``."""
    return box.width * box.height - _overlap(box, frame)


def _label(ax, name: str, point, position):
    """One label; one placed away from its point gets a thin line to it, so it is not read as another's."""
    dx, dy, ha, va = position
    leader = dict(arrowstyle="-", color=LINE_COLOUR, lw=0.5, shrinkA=1, shrinkB=3) if abs(dy) > 3 else None
    label = ax.annotate(name, point, xytext=(dx, dy), textcoords="offset points", ha=ha, va=va,
                        fontsize=SMALL_FONT_SIZE, arrowprops=leader)
    label.set_in_layout(False)  # the labels sit inside the axes: they must not move them
    return label
