"""metarmc: a RevMan-faithful meta-analysis engine for the IVIG living review.

Public names only; each lives in a module with one job (see DESIGN notes in the README).
"""

from .api import leave_one_out, meta_binary, meta_continuous
from .audit import Flag, audit_frame
from .bias import egger_test, trim_and_fill
from .data import load, validate
from .forensics import fitting_study_sets, reconstruct
from .grade import grade_table, summary_of_findings
from .pooling import Pooled, pool_binary, pool_effects
from .results import MetaResult
from .sensitivity import Scenario, influence, scenarios, standard_scenarios

__all__ = ["meta_binary", "meta_continuous", "leave_one_out", "pool_binary", "pool_effects",
           "Pooled", "MetaResult", "load", "validate", "egger_test", "trim_and_fill",
           "audit_frame", "Flag", "summary_of_findings", "grade_table",
           "fitting_study_sets", "reconstruct", "influence", "scenarios", "Scenario", "standard_scenarios"]
