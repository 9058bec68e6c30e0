"""What a study table is: its columns, its kind (binary or continuous), and the measures.

Every function of the engine that takes a DataFrame takes a *study table*: one row per study,
a ``study`` label, and the value columns of its kind (``t`` = experimental arm, ``c`` =
control arm). This module is the one home of those names, of the effect measures and
methods, and of the significance level, so a newcomer looks them up in one place.

Examples
--------
>>> import pandas as pd
>>> table_kind(pd.DataFrame(columns=["study", *BINARY_COLUMNS]))
'binary'
>>> participants(pd.DataFrame({"study": ["A", "B"], "events_t": [12, 5], "total_t": [20, 18],
...                            "events_c": [8, 4], "total_c": [21, 17]}))
76
"""

from __future__ import annotations

import pandas as pd

#: Value columns of a binary study table: events and totals per arm.
BINARY_COLUMNS = ("events_t", "total_t", "events_c", "total_c")
#: Value columns of a continuous study table: mean, SD and size per arm.
CONTINUOUS_COLUMNS = ("mean_t", "sd_t", "n_t", "mean_c", "sd_c", "n_c")
#: Value columns of a generic inverse-variance study table (RevMan's "O-E and variance" aside):
#: each study's own estimate on the analysis scale (log for ratios) and its standard error.
GENERIC_COLUMNS = ("yi", "se")
#: The value columns of each kind of study table.
VALUE_COLUMNS = {"binary": BINARY_COLUMNS, "continuous": CONTINUOUS_COLUMNS, "generic": GENERIC_COLUMNS}
#: Arm sizes of each kind of study table (experimental, control); a generic table has none.
SIZE_COLUMNS = {"binary": ("total_t", "total_c"), "continuous": ("n_t", "n_c")}
KINDS = tuple(VALUE_COLUMNS)

#: Measures of a binary outcome: odds ratio, risk ratio, risk difference.
BINARY_MEASURES = ("OR", "RR", "RD")
#: Measures of a continuous outcome: mean difference, standardised mean difference.
CONTINUOUS_MEASURES = ("MD", "SMD")
MEASURES = (*BINARY_MEASURES, *CONTINUOUS_MEASURES)
#: Measures pooled on the log scale; no effect = 1.
RATIO_MEASURES = ("OR", "RR")
#: Measures on a difference scale; no effect = 0.
DIFFERENCE_MEASURES = ("RD", "MD", "SMD")

#: Pooling methods: Mantel-Haenszel, inverse variance, Peto.
METHODS = ("MH", "IV", "Peto")
#: How RevMan names each method in its analysis labels.
METHOD_LABELS = {"MH": "M-H", "IV": "IV", "Peto": "Peto"}
MODELS = ("fixed", "random")
#: Between-study variance estimators: DerSimonian-Laird (RevMan), REML and Paule-Mandel.
TAU2_METHODS = ("DL", "REML", "PM")
#: Hartung-Knapp-Sidik-Jonkman: not used, used (metafor's ``test="knha"``), or with the ad hoc
#: variance correction that keeps its SE at least the conventional one (``test="adhoc"``).
HKSJ_OPTIONS = (False, True, "adhoc")

#: Two-sided significance level, matching the 95% intervals everywhere.
ALPHA = 0.05


def is_ratio(measure: str) -> bool:
    """Whether ``measure`` is pooled on the log scale (OR, RR)."""
    return measure in RATIO_MEASURES


def null_value(measure: str) -> float:
    """The value of no effect: 1 for a ratio, 0 for a difference."""
    return 1.0 if is_ratio(measure) else 0.0


def table_kind(table: pd.DataFrame) -> str:
    """``"binary"`` or ``"continuous"``, from the value columns a study table has.

    Raises
    ------
    ValueError
        If the table has neither kind's columns, naming both sets.
    """
    for kind, columns in VALUE_COLUMNS.items():
        if set(columns) <= set(table.columns):
            return kind
    raise ValueError(f"a study table needs the columns {', '.join(BINARY_COLUMNS)} (binary) or "
                     f"{', '.join(CONTINUOUS_COLUMNS)} (continuous); got {', '.join(map(str, table.columns))}")


def participants(table: pd.DataFrame) -> int:
    """Participants in a study table: both arms of every row, :math:`\\sum (n_{ti} + n_{ci})`."""
    return int(table[list(SIZE_COLUMNS[table_kind(table)])].to_numpy().sum())
