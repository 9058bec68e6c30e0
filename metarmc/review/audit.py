"""The audit of Gao et al.'s printed results: the rules with the paper's own I² rule, beside our redo.

:func:`audit_flags` runs every rule of :mod:`metarmc.audit` on ``data/reported.csv`` and the
paper's other statements (``data/reported_facts.csv``) with the paper's I² rule
(:data:`~metarmc.review.paper.I2_RULE`), and checks each study's Table 1 n against the arm
percentages the study's own report prints (``data/study_facts.csv``, :func:`table1_split_flags`);
:func:`reproduced_vs_reported` lines each printed result up with its reproduction
(:func:`~metarmc.review.paper.reproduce`) and its flags, the rows
:func:`metarmc.audit.comparison_text` and :func:`~metarmc.audit.comparison_json` lay out.
"""

from __future__ import annotations

import pandas as pd

from ..audit import FLAG_COLUMNS, Flag, audit, check_split
from ..audit.report import plain
from ..printed import Rounded
from .paper import I2_RULE, reproduce
from .registry import OUTCOMES

#: The printed values a comparison row carries.
PRINTED_VALUES = ("k", "n_total", "n_t", "n_c", "measure", "model", "estimate", "ci_low", "ci_high", "z", "p", "i2")


def paper_flags(review) -> list[Flag]:
    """Every flag the audit raises on the paper: :func:`metarmc.audit.audit`, then :func:`table1_split_flags`.

    Ordered by analysis (as in ``reported.csv``), the paper's own rules before the check
    against the studies' reports.
    """
    flags = audit(review.reported, review.reported_facts, i2_rule=I2_RULE) + table1_split_flags(review)
    order = {name: i for i, name in enumerate(review.reported["analysis"])}
    return sorted(flags, key=lambda flag: order[flag.analysis])


def audit_flags(review) -> pd.DataFrame:
    """:func:`paper_flags` as a tidy table, one row per flag, columns :data:`~metarmc.audit.FLAG_COLUMNS`."""
    return pd.DataFrame([flag.as_dict() for flag in paper_flags(review)], columns=list(FLAG_COLUMNS))


def table1_split_flags(review) -> list[Flag]:
    """Each study's Table 1 n against the two arm percentages its own report prints (two-arm GRIM).

    For every ``study_n`` fact of ``reported_facts.csv`` (the paper's Table 1, matched to a
    study by the name the paper gives it: ``paper_label``, or ``label`` where the two agree)
    and every study x denominator of ``study_facts.csv`` with a
    ``percent_t`` and a ``percent_c`` for the same outcome as the fact's analysis,
    :func:`metarmc.audit.check_split` asks whether some split of the Table 1 n gives both
    percentages; the report's own ``n``, when recorded, is named beside it.

    Raises
    ------
    ValueError
        If a ``study_n`` quote does not start with the paper's name of a study of ``studies.csv``.
    """
    studies = review.studies
    labels = dict(zip(studies["paper_label"].fillna(studies["label"]), studies["study_id"]))
    facts = review.study_facts
    flags = []
    for fact in review.reported_facts[review.reported_facts["quantity"] == "study_n"].itertuples():
        label = fact.quote.split(" | ")[0]
        if label not in labels:
            raise ValueError(f"reported_facts.csv: study_n quote {fact.quote!r} names no study of studies.csv "
                             "(its paper_label, or its label)")
        rows = facts[(facts["study_id"] == labels[label]) & (facts["outcome"] == fact.analysis)]
        for denominator, stated in rows.groupby("denominator", sort=False):
            values = dict(zip(stated["quantity"], stated["value"]))
            if not {"percent_t", "percent_c"} <= values.keys():
                continue
            pt, pc = (Rounded.parse(values[q], 0, f"{label} {q}") for q in ("percent_t", "percent_c"))
            percents = stated[stated["quantity"].isin(("percent_t", "percent_c"))].iloc[0]
            what = (f"{fact.location.split(',')[0]} gives {label} n = {int(fact.value)}; its report "
                    f"({percents['source'].split(',')[0]}, {percents['source_type'].replace(';', ' and ')}) prints "
                    f"{pt.text}% vs {pc.text}% (denominator: {denominator})")
            source_n = int(values["n"]) if "n" in values else None
            if (flag := check_split(fact.analysis, what, int(fact.value), pt, pc, source_n=source_n)) is not None:
                flags.append(flag)
    return flags


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
    flags = paper_flags(review)
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
