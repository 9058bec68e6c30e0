"""Consistency audit of a paper's printed meta-analysis results.

- :mod:`~metarmc.audit.rules`: the rules (statcheck/GRIM style), :func:`audit` and :func:`audit_frame`;
- :mod:`~metarmc.audit.splits`: GRIM for two arms: which splits of a total give two printed percentages;
- :mod:`~metarmc.audit.report`: each printed result beside its reproduction, as text or JSON.
"""

from .report import comparison_json, comparison_text
from .rules import (
                    FACT_COLUMNS,
                    FACT_QUANTITIES,
                    FLAG_COLUMNS,
                    RULE_TITLES,
                    RULES,
                    Flag,
                    I2Rule,
                    audit,
                    audit_frame,
                    check_ci_symmetry,
                    check_ci_vs_p,
                    check_counts,
                    check_estimate_in_ci,
                    check_grim_percent,
                    check_model_rule,
                    check_p_from_z,
                    check_wording,
                    check_z_from_ci,
                    checked_facts,
)
from .splits import SPLIT_COLUMNS, SplitSearch, check_split, nearest_compatible_total, split_search

__all__ = ["FACT_COLUMNS", "FACT_QUANTITIES", "FLAG_COLUMNS", "RULES", "RULE_TITLES", "Flag", "I2Rule", "audit",
           "audit_frame",
           "check_ci_symmetry", "check_ci_vs_p", "check_counts", "check_estimate_in_ci", "check_grim_percent",
           "check_model_rule", "check_p_from_z", "check_wording", "check_z_from_ci", "checked_facts",
           "comparison_json", "comparison_text", "SPLIT_COLUMNS", "SplitSearch", "check_split",
           "nearest_compatible_total", "split_search"]
