"""The look shared by every plot: a colour-blind-safe palette, font sizes, effect-axis ticks.

Colours come from the Okabe-Ito palette, designed to stay distinct under the common forms
of colour-vision deficiency; wherever colour carries meaning (risk-of-bias judgments) a
symbol carries it too, so the plots also read in greyscale.

References
----------
Okabe M, Ito K (2008). Color Universal Design (CUD): how to make figures and presentations
that are friendly to colorblind people. https://jfly.uni-koeln.de/color/
McGuinness LA, Higgins JPT (2021). Risk-of-bias VISualization (robvis). Res Synth Methods 12:55-61.
"""

from __future__ import annotations

import io
import math
from typing import NamedTuple

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

#: The salt of the element ids of every SVG the plots write (matplotlib's ``svg.hashsalt``).
SVG_SALT = "metarmc"


class ReviewFigure(Figure):
    """A matplotlib Figure that shows itself in a notebook as a PNG and an SVG, without pyplot.

    The plots are made without pyplot (nothing to close, nothing shown twice); IPython then
    needs ``_repr_png_`` to display the figure when a cell ends with it. ``_repr_svg_`` gives
    the same figure as a vector drawing (the book offers it for download under each figure).
    The SVG is deterministic: its element ids come from a fixed salt (:data:`SVG_SALT`) and it
    has no creation date, so the same figure always gives the same bytes.

    Examples
    --------
    >>> fig = ReviewFigure(figsize=(2, 1))
    >>> _ = fig.add_subplot().plot([0, 1], [0, 1])
    >>> svg = fig._repr_svg_()
    >>> svg.startswith("<?xml") and "<svg" in svg and svg == fig._repr_svg_()
    True
    """

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=150, bbox_inches="tight")
        return buffer.getvalue()

    def _repr_svg_(self) -> str:
        buffer = io.BytesIO()
        with mpl.rc_context({"svg.hashsalt": SVG_SALT}):
            self.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
        return buffer.getvalue().decode("utf-8")


#: The Okabe-Ito palette.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

#: Font sizes in points: body text, and notes / tick labels (never below 8 pt).
FONT_SIZE = 9
SMALL_FONT_SIZE = 8

#: Forest and funnel plots: study squares and points, pooled diamonds, prediction intervals,
#: reference bands (e.g. the main result behind a sensitivity analysis), light fills.
STUDY_COLOUR = OKABE_ITO["blue"]
POOLED_COLOUR = OKABE_ITO["black"]
PREDICTION_COLOUR = OKABE_ITO["vermillion"]
REFERENCE_COLOUR = OKABE_ITO["sky_blue"]
LINE_COLOUR = "#444444"
FILL_COLOUR = "#F2F2F2"


class Judgment(NamedTuple):
    """How a risk-of-bias judgment is drawn: name, symbol and fill colour."""

    name: str
    symbol: str
    colour: str


#: Risk-of-bias judgments (the keys of :data:`metarmc.data.JUDGMENTS`): symbol AND colour.
JUDGMENT_STYLE = {
    "low": Judgment("Low risk of bias", "+", OKABE_ITO["bluish_green"]),
    "unclear": Judgment("Unclear risk of bias", "?", OKABE_ITO["yellow"]),
    "high": Judgment("High risk of bias", "\u2212", OKABE_ITO["vermillion"]),
    "not_obtained": Judgment("Report not obtained", "\u2205", OKABE_ITO["sky_blue"]),
}
#: Symbols are black: contrast of at least 5:1 on each of the four fills.
SYMBOL_COLOUR = OKABE_ITO["black"]


#: Measures text without a figure, at 100 dpi.
_MEASURE_DPI = 100
_MEASURE = RendererAgg(1, 1, _MEASURE_DPI)
#: Hinted glyph widths vary by a few percent with the output dpi (72 to 600): allow 5%.
_MEASURE_SLACK = 1.05


def text_width(text: str, size: float = FONT_SIZE, bold: bool = False) -> float:
    """Width of ``text`` in inches, as matplotlib will draw it at any usual dpi (widest line)."""
    font = FontProperties(size=size, weight="bold" if bold else "normal")
    widest = max(_MEASURE.get_text_width_height_descent(line, font, ismath=False)[0]
                 for line in text.split("\n"))
    return widest / _MEASURE_DPI * _MEASURE_SLACK


def nice_ticks(low: float, high: float, log: bool) -> list[float]:
    """Between 3 and 7 round tick values inside ``[low, high]``.

    On a log axis the ticks are ``m x 10^e`` with mantissas from the finest of
    (1, 1.5, 2, 3, 5, 7), (1, 2, 5) and (1,) that gives at most seven ticks; on a linear
    axis, multiples of 1, 2, 2.5 or 5 times a power of ten (matplotlib's ``MaxNLocator``).
    """
    if not low < high:
        raise ValueError(f"axis limits must satisfy low < high; got {low!r}, {high!r}")
    if not log:
        from matplotlib.ticker import MaxNLocator

        values = MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high)
        return [float(v) for v in values if low - 1e-9 * (high - low) <= v <= high + 1e-9 * (high - low)]
    decades = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
    ticks: list[float] = []
    for mantissas in ((1, 1.5, 2, 3, 5, 7), (1, 2, 5), (1,)):
        ticks = [float(f"{m * 10.0**e:.12g}") for e in decades for m in mantissas]
        ticks = [t for t in ticks if low * (1 - 1e-9) <= t <= high * (1 + 1e-9)]
        if len(ticks) <= 7:
            break
    return ticks


def style_effect_axis(ax, limits: tuple[float, float], ticks, log: bool) -> None:
    """Set an effect axis: log scale for ratios (labelled on the natural scale), ticks, limits."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    ax.set_xscale("log" if log else "linear")
    ax.set_xlim(*limits)
    ax.xaxis.set_major_locator(FixedLocator(list(ticks)))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.tick_params(axis="x", labelsize=SMALL_FONT_SIZE)


def padded_limits(values, log: bool, pad: float = 0.08) -> tuple[float, float]:
    """The range of ``values`` widened by ``pad`` of its span (on the log scale if ``log``)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    scaled = np.log(values) if log else values
    low, high = scaled.min(), scaled.max()
    span = (high - low) or (abs(high) or 1.0)
    low, high = low - pad * span, high + pad * span
    return (float(np.exp(low)), float(np.exp(high))) if log else (float(low), float(high))
