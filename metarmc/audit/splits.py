"""Which two-arm splits of a total and which event counts reproduce two printed percentages (GRIM).

A report prints one percentage per arm (77% vs 79%) and a total of participants :math:`n`;
another document (a review's table of included studies) may print a different :math:`n` for
the same study. GRIM (Brown & Heathers 2017) asks whether a printed percentage is a possible
fraction of its denominator; with two arms whose sizes are not printed, the question is
whether *some* split :math:`n_t + n_c = n` and *some* counts give both percentages.
:func:`split_search` enumerates every such split; :func:`check_split` raises a
:class:`~metarmc.audit.rules.Flag` when there is none, naming the nearest total that has one.
The rounding intervals are those of :class:`metarmc.printed.Rounded` (half a unit of the last
printed decimal each side), so rounding alone never raises a flag.

References
----------
Brown NJL, Heathers JAJ (2017). The GRIM test: a simple technique detects numerous anomalies
in the reporting of results in psychology. Soc Psychol Personal Sci 8:363-369.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..printed import Rounded, percent_counts
from .rules import Flag

#: The columns of :attr:`SplitSearch.splits`.
SPLIT_COLUMNS = ("n_t", "n_c", "events_t", "events_c")


@dataclass(frozen=True, repr=False, eq=False)
class SplitSearch:
    """Every split of a total into two arms, and the counts, that reproduce two printed percentages.

    Attributes
    ----------
    n : int
        The total searched (:math:`n_t + n_c`).
    percent_t, percent_c : Rounded
        The printed percentages of the two arms.
    splits : DataFrame
        Columns :data:`SPLIT_COLUMNS`, one row per compatible (split, counts), by ``n_t``.
    """

    n: int
    percent_t: Rounded
    percent_c: Rounded
    splits: pd.DataFrame

    @property
    def compatible(self) -> bool:
        """Whether at least one split reproduces both percentages."""
        return not self.splits.empty

    def describe(self) -> str:
        """``10/13 vs 22/28 or 17/22 vs 15/19``: each compatible split (``none`` if there is none)."""
        pairs = [f"{r.events_t}/{r.n_t} vs {r.events_c}/{r.n_c}" for r in self.splits.itertuples()]
        return " or ".join(pairs) if pairs else "none"

    def to_frame(self) -> pd.DataFrame:
        """:attr:`splits`, a copy."""
        return self.splits.copy()

    def __repr__(self) -> str:
        return f"SplitSearch(n={self.n}, {self.percent_t.text}% vs {self.percent_c.text}%: {self.describe()})"


def split_search(n: int, percent_t: Rounded, percent_c: Rounded) -> SplitSearch:
    """Every split :math:`n_t + n_c = n` (each arm at least 1) and counts that give both printed percentages.

    Parameters
    ----------
    n : int
        The total number of participants.
    percent_t, percent_c : Rounded
        The printed percentages (e.g. ``Rounded.parse("77", 0, "percent_t")``).

    Returns
    -------
    SplitSearch

    Notes
    -----
    For each :math:`n_t = 1, \\dots, n - 1` and :math:`n_c = n - n_t`, the counts are those of
    :func:`metarmc.printed.percent_counts`:

    .. math:: \\lceil n_a (\\%_a - h_a)/100 \\rceil \\le e_a \\le \\lfloor n_a (\\%_a + h_a)/100 \\rfloor,
              \\quad a \\in \\{t, c\\}

    and every pair of such counts is listed. The search is vectorised over :math:`n_t`.

    References
    ----------
    Brown NJL, Heathers JAJ (2017). The GRIM test. Soc Psychol Personal Sci 8:363-369.

    Examples
    --------
    >>> pct = lambda text: Rounded.parse(text, 0, "percent")
    >>> split_search(41, pct("77"), pct("79"))
    SplitSearch(n=41, 77% vs 79%: 10/13 vs 22/28 or 17/22 vs 15/19)
    >>> split_search(39, pct("77"), pct("79")).compatible
    False
    """
    if int(n) != n or n < 2:
        raise ValueError(f"n must be an integer >= 2 (two arms of at least 1); got {n!r}")
    n_t = np.arange(1, int(n))
    n_c = int(n) - n_t
    (low_t, high_t), (low_c, high_c) = percent_counts(percent_t, n_t), percent_counts(percent_c, n_c)
    rows = [(t, c, e_t, e_c)
            for t, c, lt, ht, lc, hc in zip(n_t, n_c, low_t, high_t, low_c, high_c) if lt <= ht and lc <= hc
            for e_t in range(lt, ht + 1) for e_c in range(lc, hc + 1)]
    splits = pd.DataFrame(rows, columns=list(SPLIT_COLUMNS), dtype="int64")
    return SplitSearch(int(n), percent_t, percent_c, splits)


def nearest_compatible_total(n: int, percent_t: Rounded, percent_c: Rounded, *, within: int | None = None
                             ) -> SplitSearch | None:
    """The search at the total nearest to ``n`` that reproduces both percentages (the smaller on a tie).

    Parameters
    ----------
    n : int
        Where to start.
    percent_t, percent_c : Rounded
    within : int, optional
        Look at most this far from ``n``; default ``n`` (so totals from 2 to ``2 n``).

    Returns
    -------
    SplitSearch or None
        None when no total within reach is compatible.

    Examples
    --------
    >>> pct = lambda text: Rounded.parse(text, 0, "percent")
    >>> nearest_compatible_total(39, pct("77"), pct("79")).n  # 20/26 = 76.9% and 11/14 = 78.6%
    40
    """
    for distance in range(0, (n if within is None else within) + 1):
        for total in (n - distance, n + distance) if distance else (n,):
            if total >= 2 and (search := split_search(total, percent_t, percent_c)).compatible:
                return search
    return None


def check_split(analysis: str, what: str, n: int, percent_t: Rounded, percent_c: Rounded, *,
                source_n: int | None = None) -> Flag | None:
    """split_percent: a total no split of which gives both arms' printed percentages.

    Parameters
    ----------
    analysis : str
        The analysis the flag belongs to.
    what : str
        Where ``n`` and the percentages come from, for the message (e.g.
        ``"Table 1 gives Jablonowska 1999 n = 39; its report prints 77% vs 79%"``).
    n : int
        The total to check.
    percent_t, percent_c : Rounded
        The printed percentages of the two arms.
    source_n : int, optional
        The total printed beside the percentages, if any; its splits are named in the message.

    Returns
    -------
    Flag or None
        None when some split of ``n`` reproduces both percentages. Otherwise ``printed`` is
        ``n``, ``expected`` the total of the percentages' own source (``source_n``) or, without
        one, the nearest compatible total (:func:`nearest_compatible_total`; NaN if none),
        and ``difference`` is ``printed - expected``.

    Examples
    --------
    >>> pct = lambda text: Rounded.parse(text, 0, "percent")
    >>> check_split("a", "n = 41", 41, pct("77"), pct("79")) is None
    True
    >>> check_split("a", "n = 39", 39, pct("77"), pct("79"), source_n=41).expected
    41
    """
    if split_search(n, percent_t, percent_c).compatible:
        return None
    nearest = nearest_compatible_total(n, percent_t, percent_c)
    pt, pc = (f"{p.text}% ({p.low:g} to {p.high:g}%)" for p in (percent_t, percent_c))
    message = (f"{what}: no split of n = {n} into two arms (each 1 to {n - 1}) has counts giving both "
               f"{pt} and {pc}")
    if source_n is not None:
        source = split_search(source_n, percent_t, percent_c)
        message += f"; the report's n = {source_n} allows {source.describe()}"
    if nearest is not None:
        message += f"; the nearest total that allows both is {nearest.n} ({nearest.describe()})"
    expected = source_n if source_n is not None else (nearest.n if nearest is not None else None)
    if expected is None:
        return Flag(analysis, "split_percent", message, float("nan"), n, float("nan"))
    return Flag(analysis, "split_percent", f"{message}; a difference of {n - expected:+d}", expected, n,
                float(n - expected))
