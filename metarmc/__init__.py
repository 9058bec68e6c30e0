"""metarmc: a RevMan-faithful meta-analysis engine, and the IVIG living review built on it.

The engine (reusable, validated against R's metafor and RevMan 5's own output):

- a study table and its measures: :mod:`~metarmc.schema`; per-study effects :mod:`~metarmc.effects`;
- the array core: :mod:`~metarmc.pooling` (M-H, Peto, inverse variance; a leading batch axis),
  :mod:`~metarmc.heterogeneity` (Q, I², τ², HKSJ, prediction intervals);
- the DataFrame layer: :mod:`~metarmc.api` (:func:`meta_binary`, :func:`meta_continuous`), results
  in :mod:`~metarmc.results`;
- analyses on the engine: :mod:`~metarmc.weights`, :mod:`~metarmc.measures`, :mod:`~metarmc.bias`,
  :mod:`~metarmc.cumulative`, :mod:`~metarmc.sequential` (trial sequential analysis),
  :mod:`~metarmc.sensitivity`, :mod:`~metarmc.grade`, :mod:`~metarmc.simulate`;
- beyond RevMan, checked against metafor or published values: :mod:`~metarmc.regression`,
  :mod:`~metarmc.influence`, :mod:`~metarmc.subset_analysis` (GOSH), :mod:`~metarmc.qprofile`
  (heterogeneity CIs), :mod:`~metarmc.bayes`; RevMan files in: :mod:`~metarmc.rm5`;
- printed numbers in (:mod:`~metarmc.printed`), numbers as text out (:mod:`~metarmc.formatting`);
  the audit of printed results (:mod:`~metarmc.audit`); plots (:mod:`metarmc.plots`).

This review (Gao et al. 2025, IVIG for recurrent miscarriage): its data files (:mod:`~metarmc.data`),
its knowledge (:mod:`metarmc.review`), the reconstruction of its unreported tables
(:mod:`metarmc.forensics`) and the command line (:mod:`~metarmc.cli`).

Every public name below can be imported as ``from metarmc import name``.
"""

from . import formatting
from .api import leave_one_out, meta_binary, meta_continuous, meta_generic
from .audit import Flag, I2Rule, audit_frame, comparison_text
from .bayes import BayesMeta, bayes_meta
from .bias import AsymmetryTest, egger_test, harbord_test, peters_test, small_study_direction, trim_and_fill
from .cumulative import cumulative_meta_analysis
from .data import changelog_dates, load, validate
from .forensics import fitting_study_sets, reconstruct
from .grade import grade_table
from .influence import baujat, influence_diagnostics
from .measures import (
                           NumberNeededToTreat,
                           compare_measures,
                           control_risk,
                           corresponding_risk,
                           implied_effects,
                           number_needed_to_treat,
                           risks_and_odds,
)
from .pooling import Pooled, pool_binary, pool_effects, prepare_binary
from .printed import PrintedResult
from .qprofile import heterogeneity_ci
from .regression import MetaRegression, meta_regression
from .results import MetaResult
from .review.assumptions import EGERUP_2015, EGERUP_2015_RIS, EGERUP_2015_TSA
from .review.audit import audit_flags, reproduced_vs_reported
from .review.findings import (
                           complement_clause,
                           complement_of,
                           complement_table,
                           no_infusion_controls,
                           safety_clause,
                           safety_table,
                           summary_of_findings,
)
from .review.information import plan_tsa, planned_information_size, tsa_grid, tsa_verdict
from .review.other_reviews import compare_reviews
from .review.paper import (
                           I2_RULE,
                           as_the_paper_did,
                           differences,
                           inclusion_check,
                           reproduce,
                           risk_of_bias,
                           risk_of_bias_totals,
                           side_by_side,
                           study_table,
                           subgroup_table,
                           summary,
)
from .review.plan import (
                           PLAN,
                           direct_counts,
                           other_body_table,
                           plan_cumulative,
                           primary_result,
                           primary_table,
                           sensitivity_analyses,
                           with_adjusted_estimates,
)
from .review.provenance import overlap_sentences, overlaps_pooled, source_notes, source_table
from .review.registry import CONTROL, INTERVENTION, OUTCOMES
from .review.scenarios import standard_scenarios
from .rm5 import Rm5Outcome, Rm5Review, read_rm5
from .sensitivity import Scenario, leave_one_out_summary, scenarios
from .sequential import required_information_size, tsa
from .subset_analysis import gosh
from .weights import study_weights, weight_table

__all__ = [
    # engine
    "meta_binary", "meta_continuous", "meta_generic", "leave_one_out", "pool_binary", "pool_effects", "prepare_binary",
    "Pooled", "MetaResult", "egger_test", "peters_test", "harbord_test", "AsymmetryTest",
    "small_study_direction", "trim_and_fill", "cumulative_meta_analysis", "tsa",
    "required_information_size",
    "Scenario", "scenarios", "leave_one_out_summary", "study_weights", "weight_table", "compare_measures",
    "control_risk", "corresponding_risk", "implied_effects", "risks_and_odds", "number_needed_to_treat",
    "NumberNeededToTreat", "grade_table",
    "audit_frame", "comparison_text", "Flag", "I2Rule", "PrintedResult", "formatting",
    "meta_regression", "MetaRegression", "influence_diagnostics", "baujat", "gosh", "heterogeneity_ci",
    "bayes_meta", "BayesMeta", "read_rm5", "Rm5Review", "Rm5Outcome",
    # this review
    "load", "validate", "changelog_dates", "OUTCOMES", "INTERVENTION", "CONTROL", "I2_RULE", "EGERUP_2015",
    "EGERUP_2015_TSA", "EGERUP_2015_RIS",
    "reproduce", "summary", "side_by_side", "differences", "inclusion_check", "study_table", "subgroup_table",
    "as_the_paper_did", "risk_of_bias", "risk_of_bias_totals", "audit_flags", "reproduced_vs_reported",
    "summary_of_findings", "standard_scenarios", "fitting_study_sets", "reconstruct",
    "PLAN", "primary_table", "other_body_table", "primary_result", "sensitivity_analyses", "with_adjusted_estimates",
    "plan_tsa", "plan_cumulative", "planned_information_size", "tsa_grid", "tsa_verdict", "complement_of",
    "complement_clause",
    "complement_table", "compare_reviews", "direct_counts", "source_notes", "source_table", "overlaps_pooled",
    "overlap_sentences", "safety_table", "safety_clause", "no_infusion_controls",
]
