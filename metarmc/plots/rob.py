"""Risk-of-bias plots in the style of robvis: a traffic-light grid and summary bars.

Both take the long table of Cochrane RoB 1 judgments, one row per study x domain, with
columns ``study`` (the label to show), ``domain`` (:data:`metarmc.data.ROB_DOMAINS`) and
``judgment`` (:data:`metarmc.data.JUDGMENTS`). Each judgment is drawn with a symbol and a
colour (:data:`~metarmc.plots.style.JUDGMENT_STYLE`), so the plots read without colour. Besides
RoB 1's low, unclear and high, a domain whose report was not obtained (``not_obtained``: nothing
read reports on it) is its own category, like robvis's "No information", with its own legend entry.

References
----------
Higgins JPT, Altman DG, Gøtzsche PC et al. (2011). The Cochrane Collaboration's tool for
assessing risk of bias in randomised trials. BMJ 343:d5928.
McGuinness LA, Higgins JPT (2021). Risk-of-bias VISualization (robvis). Res Synth Methods 12:55-61.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D

from ..data import JUDGMENTS, ROB_DOMAINS
from .style import FONT_SIZE, JUDGMENT_STYLE, LINE_COLOUR, SMALL_FONT_SIZE, SYMBOL_COLOUR, ReviewFigure, text_width

#: The RoB 1 domains' names (Higgins et al. 2011), keyed and ordered as ROB_DOMAINS.
ROB_DOMAIN_NAMES = {
    "random_sequence": "Random sequence generation (selection bias)",
    "allocation_concealment": "Allocation concealment (selection bias)",
    "blinding_participants": "Blinding of participants and personnel (performance bias)",
    "blinding_outcome": "Blinding of outcome assessment (detection bias)",
    "incomplete_outcome": "Incomplete outcome data (attrition bias)",
    "selective_reporting": "Selective reporting (reporting bias)",
    "other_bias": "Other bias",
}
#: Traffic-light cell size (inches) and circle area (points²).
CELL = 0.4
CIRCLE_AREA = (0.75 * CELL * 72) ** 2
#: Room for the key right of the grid, for the domain labels above it and a margin below (inches).
LEGEND_WIDTH, LEGEND_HEIGHT = 3.0, 2.0
TOP, BOTTOM = 0.45, 0.1


def judgment_grid(rob: pd.DataFrame) -> pd.DataFrame:
    """The judgments as a study x domain table (studies in order of appearance, NaN if not judged).

    Raises ValueError for missing columns, unknown domains or judgments, or a study judged
    twice on one domain.
    """
    missing = [c for c in ("study", "domain", "judgment") if c not in rob.columns]
    if missing:
        raise ValueError(f"rob is missing column(s) {', '.join(missing)}; expected study, domain, judgment")
    if rob.empty:
        raise ValueError("rob has no rows; expected one row per study x domain")
    for column, allowed in (("domain", ROB_DOMAINS), ("judgment", JUDGMENTS)):
        unknown = sorted(set(rob[column].astype(str)) - set(allowed))
        if unknown:
            raise ValueError(f"{column} must be one of {', '.join(allowed)}; found {', '.join(unknown)}")
    repeated = rob.duplicated(["study", "domain"])
    if repeated.any():
        study, domain = rob.loc[repeated, ["study", "domain"]].iloc[0]
        raise ValueError(f"study {study!r} has more than one judgment for domain {domain!r}")
    grid = rob.pivot(index="study", columns="domain", values="judgment")
    return grid.reindex(index=pd.unique(rob["study"]), columns=list(ROB_DOMAINS))


def judgment_shares(rob: pd.DataFrame, weights: Mapping | pd.Series | None = None) -> pd.DataFrame:
    """Percentage of studies (or of weight) with each judgment, per domain.

    .. math:: \\text{share}_{dj} = 100\\,
              \\frac{\\sum_{i: J_{id} = j} w_i}{\\sum_{i: J_{id}\\ \\text{given}} w_i}

    with :math:`w_i = 1` unweighted. Returns a domain x judgment table (ROB_DOMAINS x
    JUDGMENTS); each judged domain's row sums to 100.
    """
    grid = judgment_grid(rob)
    w = _weights(grid.index, weights)
    shares = pd.DataFrame({j: ((grid == j).mul(w, axis=0)).sum() for j in JUDGMENTS})
    total = shares.sum(axis=1)
    return shares.div(total.where(total > 0), axis=0).mul(100).fillna(0.0)


def _weights(studies: pd.Index, weights) -> pd.Series:
    if weights is None:
        return pd.Series(1.0, index=studies)
    weights = pd.Series(weights, dtype=float)
    missing = [s for s in studies if s not in weights.index]
    if missing:
        raise ValueError(f"weights has no entry for study {missing[0]!r}; "
                         "give a weight for every study in rob")
    weights = weights.reindex(studies)
    if not (np.isfinite(weights) & (weights >= 0)).all():
        bad = weights[~(np.isfinite(weights) & (weights >= 0))].index[0]
        raise ValueError(f"weights must be finite and >= 0; study {bad!r} has {weights[bad]!r}")
    return weights


#: Legend markers are mathtext: the symbols it writes differently.
_MATHTEXT = {"high": "-", "not_obtained": r"\emptyset"}


def _judgment_handles():
    """Legend entries drawn like the grid's cells: the symbol on its coloured circle."""
    handles = [(Line2D([], [], ls="none", marker="o", markersize=13, markerfacecolor=s.colour,
                       markeredgecolor=LINE_COLOUR),
                Line2D([], [], ls="none", marker=f"${_MATHTEXT.get(key, s.symbol)}$",
                       markersize=6, color=SYMBOL_COLOUR))
               for key, s in JUDGMENT_STYLE.items()]
    return handles, [s.name for s in JUDGMENT_STYLE.values()]


def rob_traffic_light(rob: pd.DataFrame, ax=None) -> Figure:
    """Traffic-light plot: one circle per study x domain, with the judgment's symbol and colour.

    Parameters
    ----------
    rob : DataFrame
        Columns ``study, domain, judgment`` (see the module docstring).
    ax : Axes, optional
        Draw into this axes; the two legends go to its right. By default a new figure sized
        to the number of studies.

    Returns
    -------
    Figure

    Examples
    --------
    >>> import pandas as pd
    >>> rob = pd.DataFrame({"study": ["A 2001", "A 2001"], "domain": ["random_sequence", "other_bias"],
    ...                     "judgment": ["low", "high"]})
    >>> fig = rob_traffic_light(rob)
    """
    grid = judgment_grid(rob)
    ax = ax if ax is not None else _traffic_light_axes(grid)
    cells = grid.stack()  # (study, domain) -> judgment, judged cells only
    rows = {study: i for i, study in enumerate(grid.index)}
    for key, style in JUDGMENT_STYLE.items():
        chosen = cells[cells == key].index
        x = [ROB_DOMAINS.index(domain) for _, domain in chosen]
        y = [rows[study] for study, _ in chosen]
        ax.scatter(x, y, s=CIRCLE_AREA, color=style.colour, edgecolors=LINE_COLOUR, linewidths=0.6,
                   zorder=2, gid=f"rob {key}")
        for xi, yi in zip(x, y):
            ax.text(xi, yi, style.symbol, ha="center", va="center_baseline", fontsize=FONT_SIZE + 3,
                    fontweight="bold", color=SYMBOL_COLOUR, zorder=3, gid="rob symbol")
    _style_grid(ax, grid)
    return ax.figure


def _traffic_light_axes(grid: pd.DataFrame):
    """A figure with room for the study labels on the left and the legends on the right."""
    label_width = 0.2 + max(text_width(str(s)) for s in grid.index)
    grid_width, grid_height = CELL * len(ROB_DOMAINS), CELL * len(grid)
    width = label_width + grid_width + LEGEND_WIDTH
    height = TOP + max(grid_height, LEGEND_HEIGHT) + BOTTOM
    rect = (label_width / width, 1 - (TOP + grid_height) / height, grid_width / width, grid_height / height)
    return ReviewFigure(figsize=(width, height)).add_axes(rect)


def _style_grid(ax, grid: pd.DataFrame):
    n = len(grid)
    ax.set_xlim(-0.5, len(ROB_DOMAINS) - 0.5)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xticks(range(len(ROB_DOMAINS)), [f"D{j}" for j in range(1, len(ROB_DOMAINS) + 1)],
                  fontsize=FONT_SIZE, fontweight="bold")
    ax.set_yticks(range(n), [str(s) for s in grid.index], fontsize=FONT_SIZE)
    ax.xaxis.tick_top()
    ax.tick_params(which="both", length=0)
    ax.set_xticks(np.arange(-0.5, len(ROB_DOMAINS)), minor=True)
    ax.set_yticks(np.arange(-0.5, n), minor=True)
    ax.grid(which="minor", color="#DDDDDD", lw=0.6)
    ax.set_axisbelow(True)
    for spine in ax.spines.values():
        spine.set_color("#DDDDDD")
    judgments, names = _judgment_handles()
    domains = [f"D{j}  {ROB_DOMAIN_NAMES[d].split(' (')[0]}" for j, d in enumerate(ROB_DOMAINS, 1)]
    ax.legend([*judgments, *[Line2D([], [], ls="none")] * len(domains)], [*names, *domains],
              loc="upper left", bbox_to_anchor=(1.04, 1.0), borderaxespad=0, frameon=False,
              handler_map={tuple: HandlerTuple(ndivide=1)}, fontsize=SMALL_FONT_SIZE)


def rob_summary(rob: pd.DataFrame, weights: Mapping | pd.Series | None = None, ax=None) -> Figure:
    """Summary plot: per domain, a bar of the share of studies (or weight) with each judgment.

    Parameters
    ----------
    rob : DataFrame
        Columns ``study, domain, judgment``.
    weights : mapping or Series, optional
        Weight per study label (e.g. ``result.studies.set_index("study")["weight"]`` of a
        meta-analysis); every study in ``rob`` needs one. Unweighted by default.
    ax : Axes, optional
        Draw into this axes; by default a new figure.

    Returns
    -------
    Figure

    Notes
    -----
    Bar lengths are :func:`judgment_shares`; each domain's bar reaches 100%.
    """
    shares = judgment_shares(rob, weights)
    ax = ax if ax is not None else ReviewFigure(figsize=(8.5, 3.4), layout="constrained").add_subplot()
    y = np.arange(len(ROB_DOMAINS))
    left = np.zeros(len(y))
    for key, style in JUDGMENT_STYLE.items():
        width = shares[key].to_numpy()
        ax.barh(y, width, left=left, height=0.7, color=style.colour, edgecolor="white",
                label=f"{style.symbol}  {style.name.removesuffix(' of bias')}", gid=f"rob summary {key}")
        for yi, xi, wi in zip(y, left, width):
            text = f"{style.symbol} {wi:.0f}%" if wi >= 10 else style.symbol if wi >= 3 else ""
            ax.text(xi + wi / 2, yi, text, ha="center", va="center", fontsize=SMALL_FONT_SIZE,
                    color=SYMBOL_COLOUR)
        left += width
    ax.set_yticks(y, [ROB_DOMAIN_NAMES[d] for d in ROB_DOMAINS], fontsize=FONT_SIZE)
    ax.set_ylim(len(y) - 0.5, -0.5)
    ax.set_xlim(0, 100)
    ax.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"], fontsize=SMALL_FONT_SIZE)
    ax.set_xlabel("Share of weight" if weights is not None else "Share of studies", fontsize=FONT_SIZE)
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=len(JUDGMENT_STYLE), frameon=False,
              fontsize=SMALL_FONT_SIZE)
    for side in ("right", "top"):
        ax.spines[side].set_visible(False)
    return ax.figure
