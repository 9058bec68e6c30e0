"""Assumptions this review takes from elsewhere, each with its source.

The trial sequential analysis of live birth uses those of Egerup et al. (2015, PLoS One
10:e0141588, Fig 2B) for the outcome "no live birth": control event proportion 43%, relative
risk reduction 20%, two-sided α 5%, power 80%, diversity 0% (their required information size:
1,008 patients; ``data/extraction/egerup2015-tsa.md``). Their analysis of women with secondary
recurrent miscarriage (Fig 3B) assumed a control event proportion of 53% with the same other
assumptions (required information size: 698 patients); this review uses it only to check
:func:`metarmc.sequential.required_information_size` against a second published value.

Examples
--------
>>> from metarmc.sequential import required_information_size
>>> required_information_size(**EGERUP_2015)
1008
>>> {name: required_information_size(**assumed) for name, assumed in EGERUP_2015_TSA.items()} == EGERUP_2015_RIS
True
"""

#: Keyword arguments of :func:`metarmc.sequential.tsa` and :func:`metarmc.sequential.required_information_size`.
EGERUP_2015 = dict(p_control=0.43, rrr=0.20, alpha=0.05, power=0.80, d2=0.0)

#: Egerup et al.'s two trial sequential analyses of no live birth, by population: Fig 2B ("all trials": "the control
#: group event proportion (PC) of 43%") and Fig 3B ("secondary recurrent miscarriage": "PC of 53%"), each with "type I
#: error of 5%, type II error of 20%, ... a relative risk reduction (RRR) of 20%, and the diversity (D2) 0%".
EGERUP_2015_TSA = {"all trials": EGERUP_2015,
                   "secondary recurrent miscarriage": dict(EGERUP_2015, p_control=0.53)}

#: The required information sizes Egerup et al. print for :data:`EGERUP_2015_TSA`: "The diversity-adjusted required
#: information size (DARIS) of 1,008 patients" (Fig 2B legend) and "of 698 patients" (Fig 3B legend).
EGERUP_2015_RIS = {"all trials": 1008, "secondary recurrent miscarriage": 698}
