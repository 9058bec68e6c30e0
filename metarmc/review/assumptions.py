"""Assumptions this review takes from elsewhere, each with its source.

The trial sequential analysis of live birth uses those of Egerup et al. (2015, PLoS One
10:e0141588, Fig 2B) for the outcome "no live birth": control event proportion 43%, relative
risk reduction 20%, two-sided α 5%, power 80%, diversity 0% (their required information size:
1,008 patients; ``data/extraction/egerup2015-tsa.md``).

Examples
--------
>>> from metarmc.sequential import required_information_size
>>> required_information_size(**EGERUP_2015)
1008
"""

#: Keyword arguments of :func:`metarmc.sequential.tsa` and :func:`metarmc.sequential.required_information_size`.
EGERUP_2015 = dict(p_control=0.43, rrr=0.20, alpha=0.05, power=0.80, d2=0.0)
