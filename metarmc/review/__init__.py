"""This review only: what is specific to Gao et al. (2025) and to IVIG for recurrent miscarriage.

The reusable, metafor-validated engine lives in the other modules of :mod:`metarmc` and never
imports this package. Here:

- :mod:`~metarmc.review.registry`: the outcomes (title, kind, measure, method, benefit, subgroup);
- :mod:`~metarmc.review.paper`: the paper's analyses redone its way (its I² rule), beside what it printed;
- :mod:`~metarmc.review.audit`: the audit of the paper's printed results, with its own I² rule;
- :mod:`~metarmc.review.scenarios`: the standard sensitivity analyses of an outcome;
- :mod:`~metarmc.review.findings`: the GRADE summary of findings built from the data;
- :mod:`~metarmc.review.provenance`: where each study's numbers come from, in reader words, and
  which analyses pool both studies of a possibly overlapping pair;
- :mod:`~metarmc.review.characteristics`: the characteristics of each included study, for readers;
- :mod:`~metarmc.review.assumptions`: the trial sequential analysis assumptions of Egerup et al. (2015);
- :mod:`~metarmc.review.other_reviews`: the other reviews of IVIG for recurrent miscarriage beside the paper.

Import their public names from :mod:`metarmc` (``from metarmc import reproduce``); this package's
``__init__`` imports nothing, so that :mod:`metarmc.data` can read the registry without a cycle.
"""
