"""The audit as a report: each printed result beside its reproduction, followed by its flags.

The rows are built by the review that knows how to reproduce each analysis
(:func:`metarmc.review.audit.reproduced_vs_reported`); this module only lays them out, as a
text table per analysis (:func:`comparison_text`) or as JSON (:func:`comparison_json`).
Numbers are written by :mod:`metarmc.formatting`, as everywhere else.

A row is ``{"analysis", "reported": {k, n_total, n_t, n_c, measure, model, estimate, ci_low,
ci_high, z, p, i2}, "reproduced": {estimate, ci_low, ci_high, z, p, i2, k, model} or None,
"flags": [Flag.as_dict(), ...]}``, with the reproduced Z as :math:`|Z|`, as printed.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from ..formatting import NOT_APPLICABLE, counted, number, p_printed

#: What the reproduced column says when no study of the analysis has data.
NO_DATA = "no per-study data"


def comparison_json(rows: list[dict]) -> str:
    """The rows as JSON (flags as objects with rule, message, expected, printed, difference)."""
    keep = ("rule", "message", "expected", "printed", "difference")
    slim = [{**row, "flags": [{key: flag[key] for key in keep} for flag in row["flags"]]} for row in rows]
    return json.dumps(slim, indent=2, ensure_ascii=False)


def comparison_text(rows: list[dict]) -> str:
    """The rows as a readable table per analysis, each followed by its flags."""
    blocks = [_comparison_block(row) for row in rows]
    total = sum(len(row["flags"]) for row in rows)
    return "\n\n".join(blocks) + f"\n\n{counted(total, 'flag')} in {counted(len(rows), 'analysis', 'analyses')}"


def _comparison_block(row: dict) -> str:
    printed, ours = row["reported"], row["reproduced"]
    lines = [f"{row['analysis']} ({printed['measure']})", f"  {'':<10}{'reported':<24}reproduced"]
    for label, text in (("k", lambda v: f"{v['k']}"), ("model", lambda v: f"{v['model']}"),
                        ("estimate", lambda v: number(v["estimate"])),
                        ("95% CI", lambda v: f"{number(v['ci_low'])} to {number(v['ci_high'])}"),
                        ("Z", lambda v: number(v["z"])), ("P", lambda v: _p_text(v["p"])),
                        ("I²", lambda v: NOT_APPLICABLE if v["i2"] is None else f"{v['i2']:.0f}%")):
        lines.append(f"  {label:<10}{text(printed):<24}{text(ours) if ours else NO_DATA}")
    lines.append(f"  flags ({len(row['flags'])}):" if row["flags"] else "  no flags")
    lines += [f"    - {flag['rule']}: {flag['message']}" for flag in row["flags"]]
    return "\n".join(lines)


def plain(value):
    """A table cell as a JSON-ready Python value (None for empty)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) or (
            isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value)
    return str(value)


def _p_text(p) -> str:
    """A P value as Review Manager prints it (a printed string is kept as is)."""
    if p is None or isinstance(p, str):
        return p or NOT_APPLICABLE
    return p_printed(p)
