"""Forensics: which unreported per-study data are compatible with what the paper printed?

The package, by job:

- :mod:`~metarmc.forensics.study_sets`: which studies, with which arm sizes, add up to the
  printed k and arm totals (:func:`fitting_study_sets`);
- :mod:`~metarmc.forensics.matching`: which pooled values round to the printed ones, and when no
  data at all could (the printed numbers themselves are read by :mod:`metarmc.printed`);
- :mod:`~metarmc.forensics.space`: the candidate tables of a study set;
- :mod:`~metarmc.forensics.search`: screening and pooling candidates, on several processes;
- :mod:`~metarmc.forensics.reconstruct`: the entry points (:func:`reconstruct`,
  :func:`reconstruct_tables`) and their result;
- :mod:`~metarmc.forensics.report`: the result as text for the command line.


Gao et al. (2025) print, for each pooled analysis, the number of studies and patients
(k, n, n per arm) and the pooled result at RevMan 5's precision (OR and CI to 2 decimals,
Z to 2 decimals, P as printed, I² as an integer percent). For several trials we could not
source the 2x2 table. This module asks which tables the paper could have used.

* :func:`fitting_study_sets`: which studies, with which arm sizes, add up to the printed k,
  n_t and n_c of an analysis (an exact subset-sum search over the 11 included studies).
* :func:`reconstruct`: for one such set, which integer event counts of the studies whose
  counts are unknown give, pooled as the paper pooled them (RevMan 5 Mantel-Haenszel odds
  ratio, fixed effect or DerSimonian-Laird random effects from the M-H based Q), values that
  round to the printed ones. :func:`reconstruct_tables` is the same search on plain arrays.

Compatibility ("rounds to")
---------------------------
A pooled value :math:`x` is compatible with a value :math:`v` printed with :math:`d`
decimals when

.. math:: |x - v| \\le \\tfrac12 10^{-d} + \\varepsilon, \\qquad \\varepsilon = 10^{-9},

so that a value lying on a rounding boundary counts either way (floating-point noise never
decides). OR and CI are compared on the natural scale with :math:`d = 2`; Z as
:math:`|z|` with :math:`d = 2`; I² in percent with :math:`d = 0`; P with the decimals of its
printed text, and ``"<0.00001"`` means :math:`p < 10^{-5}`. Every survivor is confirmed by
:func:`metarmc.pooling.pool_binary`, the engine behind :func:`metarmc.meta_binary`.

Search
------
The candidates are all integer tables: for each study whose counts are unknown, every arm
size the study set allows and every ``0 <= events_t <= total_t``, ``0 <= events_c <=
total_c``, with the arm sizes of the unknown studies adding up to what the printed totals
leave for them (and, if given, the event totals too). When there are at most
``max_candidates`` of them the search is **exhaustive**: every candidate is pooled and
tested, and the survivor set, its count and the per-study ranges are exact. Otherwise it is
**sampled** (not exhaustive): random configurations of all unknown studies but one are each
completed by *every* table of the last one; survivors found are genuine, but counts and
ranges are only lower bounds (the result says which).

What is never enumerated, because it provably cannot survive: arm sizes that do not add up
to the printed totals (each study's sizes are narrowed by :func:`fitted`, and configurations
are built only from partial choices the other studies can complete), events that do not add
up to printed event totals, and everything when the imposed printed values contradict each
other whatever the data (:func:`~metarmc.forensics.matching.contradiction`). Bounds on the
pooled estimate are not used: sound ones would need bounds on every study's Mantel-Haenszel
summands over its candidate tables.

Speed: see :mod:`~metarmc.forensics.search`.

References
----------
Deeks JJ, Higgins JPT (2010). Statistical algorithms in Review Manager 5.
Brown NJL, Heathers JAJ (2017). The GRIM test: a simple technique detects numerous anomalies
in the reporting of results in psychology. Soc Psychol Personal Sci 8:363-369 (the idea of
testing printed summaries for integer data that could have produced them).
"""

from .matching import STATISTICS, compatible, compatible_pooled, contradiction
from .reconstruct import (
                          ANALYSIS_BUDGET,
                          MAX_CANDIDATES,
                          Reconstruction,
                          hide,
                          reconstruct,
                          reconstruct_sets,
                          reconstruct_tables,
                          study_sets_for,
)
from .report import format_reconstruction, format_sets
from .space import count_candidates
from .study_sets import SUBGROUP_TYPE, Arms, StudySet, StudySets, fitted, fitting_study_sets

__all__ = ["ANALYSIS_BUDGET", "MAX_CANDIDATES", "STATISTICS", "SUBGROUP_TYPE", "Arms", "Reconstruction", "StudySet",
           "StudySets", "compatible", "compatible_pooled", "contradiction", "count_candidates", "fitted",
           "fitting_study_sets", "format_reconstruction", "format_sets", "hide", "reconstruct", "reconstruct_sets",
           "reconstruct_tables", "study_sets_for"]
