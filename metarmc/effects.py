"""Per-study effect sizes and their variances, as Review Manager 5 computes them.

Every function takes NumPy arrays of any shape (a leading batch axis, then studies) and
works elementwise: each returns ``(yi, vi)``, the effects and their variances, of the shape of
its inputs. Ratio measures are returned on the log scale.

Notation (Deeks & Higgins 2010, Table 1): for study *i*, ``a`` events and ``b`` non-events
in the experimental arm (``n1 = a + b``), ``c`` events and ``d`` non-events in the control
arm (``n2 = c + d``), ``N = n1 + n2``.

References
----------
Deeks JJ, Higgins JPT. Statistical algorithms in Review Manager 5. The Cochrane
Collaboration, August 2010.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

#: What RevMan adds to every cell of a 2x2 table that has a zero cell.
ZERO_CELL_ADD = 0.5
#: The continuity corrections of :func:`continuity_corrected`: RevMan's rule (0.5 to every
#: cell of a study with a zero cell), 0.5 to every cell of every study, and the treatment-arm
#: correction of Sweeting et al. (2004) for the studies with a zero cell.
CORRECTIONS = {"revman": "0.5 to a study with a zero cell", "all": "0.5 to every study",
               "tacc": "treatment-arm correction"}


class Cells(NamedTuple):
    """A 2x2 table per study: events/non-events in the experimental (a, b) and control (c, d) arm."""

    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    d: np.ndarray

    @classmethod
    def from_counts(cls, events_t, total_t, events_c, total_c) -> Cells:
        """Build the table from events and totals per arm (as float arrays)."""
        events_t, total_t, events_c, total_c = (
            np.asarray(x, dtype=float) for x in (events_t, total_t, events_c, total_c)
        )
        return cls(events_t, total_t - events_t, events_c, total_c - events_c)

    @property
    def n1(self) -> np.ndarray:
        return self.a + self.b

    @property
    def n2(self) -> np.ndarray:
        return self.c + self.d

    @property
    def n(self) -> np.ndarray:
        return self.n1 + self.n2


def estimable(cells: Cells, measure: str) -> np.ndarray:
    """Which studies RevMan can estimate for ``measure``.

    For OR and RR a study with no events in both arms, or only events in both arms, has no
    information and is shown as "Not estimable"; for RD every study is estimable (RD = 0).

    Parameters
    ----------
    cells : Cells
        The 2x2 tables as given (no correction), arrays of shape ``(..., k)``.
    measure : {"OR", "RR", "RD"}

    Returns
    -------
    ndarray of bool, shape (..., k)

    Examples
    --------
    >>> cells = Cells.from_counts([0, 5, 0], [10, 5, 10], [0, 5, 2], [12, 5, 12])  # none; all; 0 vs 2
    >>> estimable(cells, "OR").tolist(), estimable(cells, "RD").tolist()
    ([False, False, True], [True, True, True])
    """
    if measure == "RD":
        return np.ones(np.shape(cells.a), dtype=bool)
    no_events = (cells.a == 0) & (cells.c == 0)
    all_events = (cells.b == 0) & (cells.d == 0)
    return ~(no_events | all_events)


def zero_cell_corrected(cells: Cells, add: float = ZERO_CELL_ADD) -> Cells:
    """Add ``add`` to all four cells of each study that has a zero cell (RevMan's rule).

    RevMan uses the corrected table everywhere: in the study's own estimate and variance
    *and* inside the Mantel-Haenszel sums.

    Parameters
    ----------
    cells : Cells
        Arrays of shape ``(..., k)``.
    add : float

    Returns
    -------
    Cells
        Of the same shape; the studies without a zero cell unchanged.

    Examples
    --------
    >>> corrected = zero_cell_corrected(Cells.from_counts([0, 3], [10, 10], [2, 4], [10, 10]))
    >>> [x.tolist() for x in corrected]   # only the first study has a zero cell (a = 0)
    [[0.5, 3.0], [10.5, 7.0], [2.5, 4.0], [8.5, 6.0]]
    """
    has_zero = cells.a * cells.b * cells.c * cells.d == 0  # counts are non-negative
    if not has_zero.any():
        return cells
    shift = np.where(has_zero, add, 0.0)
    return Cells(cells.a + shift, cells.b + shift, cells.c + shift, cells.d + shift)


def continuity_corrected(cells: Cells, correction: str = "revman") -> Cells:
    """The 2x2 tables with a continuity correction, for measures that cannot take a zero cell.

    ``"revman"``
        :func:`zero_cell_corrected`: 0.5 to all four cells of a study with a zero cell.
    ``"all"``
        0.5 to all four cells of every study (metafor's ``add=1/2, to="all"``).
    ``"tacc"``
        Sweeting, Sutton and Lambert's (2004) treatment-arm correction, for the studies with a
        zero cell: the experimental arm's cells get :math:`n_{1i}/N_i` and the control arm's
        :math:`n_{2i}/N_i` (each arm's correction in proportion to its own size, the reciprocal
        of the other arm's share; the two add to 1, as 0.5 + 0.5 do), so an unbalanced trial's
        correction pulls its odds ratio less towards 1 (R meta's ``incr = "TACC"``).

    Examples
    --------
    >>> cells = Cells.from_counts([0], [10], [3], [30])            # a zero cell; n1 = 10, n2 = 30
    >>> [float(x[0]) for x in continuity_corrected(cells, "tacc")]  # 0 + 1/4, 10 + 1/4, 3 + 3/4, 27 + 3/4
    [0.25, 10.25, 3.75, 27.75]

    References
    ----------
    Sweeting MJ, Sutton AJ, Lambert PC (2004). What to add to nothing? Use and avoidance of
    continuity corrections in meta-analysis of sparse data. Stat Med 23:1351-1375.
    """
    if correction == "revman":
        return zero_cell_corrected(cells)
    if correction == "all":
        return Cells(*(x + ZERO_CELL_ADD for x in cells))
    if correction == "tacc":
        has_zero = cells.a * cells.b * cells.c * cells.d == 0
        add_t = np.where(has_zero, cells.n1 / cells.n, 0.0)
        add_c = np.where(has_zero, cells.n2 / cells.n, 0.0)
        return Cells(cells.a + add_t, cells.b + add_t, cells.c + add_c, cells.d + add_c)
    raise ValueError(f"correction must be one of {', '.join(CORRECTIONS)}; got {correction!r}")


def log_odds_ratio(cells: Cells) -> tuple[np.ndarray, np.ndarray]:
    """Log odds ratio and its variance.

    .. math:: \\ln OR_i = \\ln\\frac{a_i d_i}{b_i c_i}, \\qquad
              \\operatorname{Var} = \\frac1{a_i}+\\frac1{b_i}+\\frac1{c_i}+\\frac1{d_i}

    Examples
    --------
    >>> yi, vi = log_odds_ratio(Cells.from_counts([12], [20], [8], [21]))
    >>> round(float(np.exp(yi[0])), 4), round(float(vi[0]), 4)   # 12*13 / (8*8); 1/12 + 1/8 + 1/8 + 1/13
    (2.4375, 0.4103)
    """
    a, b, c, d = cells
    return np.log(a * d / (b * c)), 1 / a + 1 / b + 1 / c + 1 / d


def log_risk_ratio(cells: Cells) -> tuple[np.ndarray, np.ndarray]:
    """Log risk ratio and its variance.

    .. math:: \\ln RR_i = \\ln\\frac{a_i / n_{1i}}{c_i / n_{2i}}, \\qquad
              \\operatorname{Var} = \\frac1{a_i}+\\frac1{c_i}-\\frac1{n_{1i}}-\\frac1{n_{2i}}

    Examples
    --------
    >>> yi, vi = log_risk_ratio(Cells.from_counts([12], [20], [8], [21]))
    >>> round(float(np.exp(yi[0])), 4), round(float(vi[0]), 4)   # (12/20) / (8/21); 1/12 + 1/8 - 1/20 - 1/21
    (1.575, 0.1107)
    """
    a, _, c, _ = cells
    n1, n2 = cells.n1, cells.n2
    return np.log((a / n1) / (c / n2)), 1 / a + 1 / c - 1 / n1 - 1 / n2


def risk_difference(cells: Cells) -> tuple[np.ndarray, np.ndarray]:
    """Risk difference and its variance.

    .. math:: RD_i = \\frac{a_i}{n_{1i}} - \\frac{c_i}{n_{2i}}, \\qquad
              \\operatorname{Var} = \\frac{a_i b_i}{n_{1i}^3} + \\frac{c_i d_i}{n_{2i}^3}

    Examples
    --------
    >>> yi, vi = risk_difference(Cells.from_counts([12], [20], [8], [21]))
    >>> round(float(yi[0]), 4), round(float(vi[0]), 5)   # 0.6 - 0.38095; 12*8/20^3 + 8*13/21^3
    (0.219, 0.02323)
    """
    a, b, c, d = cells
    n1, n2 = cells.n1, cells.n2
    return a / n1 - c / n2, a * b / n1**3 + c * d / n2**3


BINARY_EFFECTS = {"OR": log_odds_ratio, "RR": log_risk_ratio, "RD": risk_difference}


def peto_statistics(cells: Cells) -> tuple[np.ndarray, np.ndarray]:
    """Peto's observed-minus-expected statistic and its hypergeometric variance.

    .. math:: O_i - E_i = a_i - \\frac{n_{1i}(a_i + c_i)}{N_i}, \\qquad
              V_i = \\frac{n_{1i} n_{2i} (a_i + c_i)(b_i + d_i)}{N_i^2 (N_i - 1)}

    The study's Peto log odds ratio is :math:`(O_i - E_i)/V_i` with variance :math:`1/V_i`.
    No zero-cell correction is needed.

    Examples
    --------
    >>> o_e, v = peto_statistics(Cells.from_counts([1], [2], [0], [2]))
    >>> float(o_e[0]), float(v[0])   # 1 - 2*1/4; 2*2*1*3 / (16*3)
    (0.5, 0.25)
    """
    a, b, c, d = cells
    n1, n2, n = cells.n1, cells.n2, cells.n
    o_minus_e = a - n1 * (a + c) / n
    variance = n1 * n2 * (a + c) * (b + d) / (n**2 * (n - 1))
    return o_minus_e, variance


def mean_difference(mean_t, sd_t, n_t, mean_c, sd_c, n_c) -> tuple[np.ndarray, np.ndarray]:
    """Mean difference with RevMan's unpooled variance.

    .. math:: MD_i = m_{1i} - m_{2i}, \\qquad
              \\operatorname{Var} = \\frac{sd_{1i}^2}{n_{1i}} + \\frac{sd_{2i}^2}{n_{2i}}

    Examples
    --------
    >>> md, var = mean_difference(3300.0, 450.0, 30, 3200.0, 480.0, 28)
    >>> float(md), round(float(var), 4)   # 100; 450^2/30 + 480^2/28
    (100.0, 14978.5714)
    """
    return np.subtract(mean_t, mean_c), np.square(sd_t) / n_t + np.square(sd_c) / n_c


def standardized_mean_difference(mean_t, sd_t, n_t, mean_c, sd_c, n_c) -> tuple[np.ndarray, np.ndarray]:
    """Hedges' adjusted g as RevMan 5 computes it, and its variance.

    .. math::
        s_i = \\sqrt{\\frac{(n_{1i}-1) sd_{1i}^2 + (n_{2i}-1) sd_{2i}^2}{N_i - 2}}, \\quad
        g_i = \\frac{m_{1i} - m_{2i}}{s_i}\\left(1 - \\frac{3}{4N_i - 9}\\right), \\quad
        \\operatorname{Var} = \\frac{N_i}{n_{1i} n_{2i}} + \\frac{g_i^2}{2(N_i - 3.94)}

    Examples
    --------
    >>> g, v = standardized_mean_difference(1.0, 1.0, 10, 0.0, 1.0, 10)   # s = 1, J = 1 - 3/71
    >>> round(float(g), 5), round(float(v), 5)                          # 20/100 + g^2 / (2 * 16.06)
    (0.95775, 0.22856)
    """
    n_t, n_c = np.asarray(n_t, dtype=float), np.asarray(n_c, dtype=float)
    n = n_t + n_c
    pooled_sd = np.sqrt(((n_t - 1) * np.square(sd_t) + (n_c - 1) * np.square(sd_c)) / (n - 2))
    g = np.subtract(mean_t, mean_c) / pooled_sd * (1 - 3 / (4 * n - 9))
    return g, n / (n_t * n_c) + g**2 / (2 * (n - 3.94))


CONTINUOUS_EFFECTS = {"MD": mean_difference, "SMD": standardized_mean_difference}
