"""The audit of Gao et al.'s printed results: the rules with the paper's own I² rule, beside our redo.

:func:`audit_flags` runs every rule of :mod:`metarmc.audit` on ``data/reported.csv`` and the
paper's other statements (``data/reported_facts.csv``) with the paper's I² rule
(:data:`~metarmc.review.paper.I2_RULE`); :func:`reproduced_vs_reported` lines each printed
result up with its reproduction (:func:`~metarmc.review.paper.reproduce`) and its flags, the
rows :func:`metarmc.audit.comparison_text` and :func:`~metarmc.audit.comparison_json` lay out.
"""

from __future__ import annotations

import pandas as pd

from ..audit import Flag, audit, audit_frame
from ..audit.report import plain
from .paper import I2_RULE, reproduce
from .registry import OUTCOMES

#: The printed values a comparison row carries.
PRINTED_VALUES = ("k", "n_total", "n_t", "n_c", "measure", "model", "estimate", "ci_low", "ci_high", "z", "p", "i2")


def audit_flags(review) -> pd.DataFrame:
    """Every flag the audit raises on the paper, one row each (:func:`metarmc.audit.audit_frame`)."""
    return audit_frame(review.reported, review.reported_facts, i2_rule=I2_RULE)


def reproduced_vs_reported(review) -> list[dict]:
    """For every analysis in ``reported.csv``: what was printed, our redo, and the flags.

    Parameters
    ----------
    review : metarmc.data.Review

    Returns
    -------
    list of dict
        ``{"analysis", "reported": {...printed values...}, "reproduced": {estimate, ci_low,
        ci_high, z, p, i2, k, model} or None when no study has data, "flags": [flag dicts]}``.
        The reproduced Z is :math:`|Z|`, as printed.
    """
    flags: list[Flag] = audit(review.reported, review.reported_facts, i2_rule=I2_RULE)
    return [{"analysis": row["analysis"], "reported": {c: plain(row[c]) for c in PRINTED_VALUES},
             "reproduced": _reproduced_values(review, row["analysis"]),
             "flags": [flag.as_dict() for flag in flags if flag.analysis == row["analysis"]]}
            for _, row in review.reported.iterrows()]


def _reproduced_values(review, analysis: str) -> dict | None:
    if analysis not in OUTCOMES:
        return None
    result = reproduce(review, analysis).result
    if result is None:
        return None
    values = {"estimate": result.estimate, "ci_low": result.ci_low, "ci_high": result.ci_high,
              "z": abs(result.z), "p": result.p, "i2": result.i2, "k": result.k, "model": result.model}
    return {name: plain(value) for name, value in values.items()}
