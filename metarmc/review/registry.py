"""The outcome registry: this review's outcomes and analyses, stated once.

Every other place that needs to know an outcome (the data schema's vocabulary, the paper's
analyses, the summary of findings, the reconstruction of subgroups, the command line) reads
this registry, so adding an outcome is adding one :class:`Outcome` here.

Examples
--------
>>> OUTCOMES["live_birth"].method, OUTCOMES["birth_weight"].method
('MH', 'IV')
>>> [name for name, outcome in OUTCOMES.items() if outcome.subgroup]
['live_birth_primary', 'live_birth_secondary']
"""

from __future__ import annotations

from dataclasses import dataclass

#: The intervention and control arms, as tables and plots label them.
INTERVENTION, CONTROL = "IVIG", "Control"


@dataclass(frozen=True)
class Outcome:
    """One outcome of the review, pooled as the paper pooled it.

    Parameters
    ----------
    name : str
        Key used in ``data/outcomes.csv`` and ``data/reported.csv``.
    title : str
        How a reader names it.
    kind : {"binary", "continuous"}
    measure : str
        The paper's effect measure (``OR``, ``MD``).
    benefit : {"higher", "lower"}
        Whether more events (or a larger mean) is the benefit.
    subgroup : str, optional
        For a subgroup analysis, the ``rm_type`` of the studies that belong to it whole.
    unit : str
        Unit of a continuous outcome's mean difference.
    """

    name: str
    title: str
    kind: str
    measure: str
    benefit: str
    subgroup: str | None = None
    unit: str = ""

    @property
    def method(self) -> str:
        """The paper's pooling method: Mantel-Haenszel for binary, inverse variance for continuous."""
        return "MH" if self.kind == "binary" else "IV"


OUTCOMES: dict[str, Outcome] = {o.name: o for o in (
    Outcome("live_birth", "Live birth", "binary", "OR", "higher"),
    Outcome("live_birth_primary", "Live birth, primary recurrent miscarriage", "binary", "OR", "higher", "primary"),
    Outcome("live_birth_secondary", "Live birth, secondary recurrent miscarriage", "binary", "OR", "higher",
            "secondary"),
    Outcome("miscarriage", "Miscarriage", "binary", "OR", "lower"),
    Outcome("birth_weight", "Birth weight (g)", "continuous", "MD", "higher", unit="g"),
    Outcome("adverse_reaction", "Adverse reactions", "binary", "OR", "lower"),
)}

#: The outcomes of the summary of findings, in the order of the table.
SUMMARY_ORDER = ("live_birth", "miscarriage", "live_birth_primary", "live_birth_secondary", "birth_weight",
                 "adverse_reaction")


def outcome(name: str) -> Outcome:
    """The registry entry of ``name``; ValueError naming the known outcomes otherwise."""
    if name not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}; got {name!r}")
    return OUTCOMES[name]
