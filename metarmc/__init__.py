"""metarmc: a RevMan-faithful meta-analysis engine for the IVIG living review.

Public names only; each lives in a module with one job (see DESIGN notes in the README).
"""

from .api import leave_one_out, meta_binary, meta_continuous
from .audit import Flag, audit_frame
from .bayes import BayesMeta, bayes_meta
from .bias import egger_test, trim_and_fill
from .data import load, validate
from .forensics import fitting_study_sets, reconstruct
from .gosh import gosh
from .grade import grade_table, summary_of_findings
from .influence import baujat, influence_diagnostics
from .pooling import Pooled, pool_binary, pool_effects
from .qprofile import heterogeneity_ci
from .regression import MetaRegression, meta_regression
from .results import MetaResult
from .rm5 import Rm5Outcome, Rm5Review, read_rm5
from .sensitivity import Scenario, influence, scenarios, standard_scenarios

__all__ = ["meta_binary", "meta_continuous", "leave_one_out", "pool_binary", "pool_effects",
           "Pooled", "MetaResult", "load", "validate", "egger_test", "trim_and_fill",
           "audit_frame", "Flag", "summary_of_findings", "grade_table",
           "fitting_study_sets", "reconstruct", "influence", "scenarios", "Scenario", "standard_scenarios",
           "meta_regression", "MetaRegression", "influence_diagnostics", "baujat", "gosh", "heterogeneity_ci",
           "bayes_meta", "BayesMeta", "read_rm5", "Rm5Review", "Rm5Outcome"]
