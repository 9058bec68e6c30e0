"""How much information the evidence holds: the plan's information size, and the trial sequential analysis.

The required information size (RIS) is computed once, by :func:`metarmc.required_information_size`
with the plan's assumptions (:data:`PLAN_TSA`), and read both by GRADE's imprecision rating (as its
optimal information size) and by the trial sequential analysis, so the two cannot disagree.
Because any single set of assumptions can be argued, :func:`tsa_grid` repeats the analysis over
the assumptions that matter (the control risk: Egerup et al.'s or the trials' own; the relative
risk reduction worth detecting: 20% or 25%; fixed or random, diversity-adjusted, effects) and
:func:`tsa_verdict` words the conclusion from the grid.
"""

from __future__ import annotations

import pandas as pd

from ..measures import control_risk
from ..sequential import TSAResult, tsa
from .assumptions import EGERUP_2015
from .plan import primary_table
from .registry import OUTCOMES

#: The plan's assumptions: Egerup et al.'s effect worth detecting for the same outcome (a 20% relative risk
#: reduction of no live birth), two-sided α 5% and power 80%, so that the two analyses can be set side by
#: side; the control risk is the plan's trials' own (:func:`undesirable_control_risk`), not Egerup's 43%.
PLAN_TSA = {name: EGERUP_2015[name] for name in ("rrr", "alpha", "power")}
#: The columns of :func:`tsa_grid`.
GRID_COLUMNS = ("control_risk_basis", "p_control", "rrr", "model", "d2", "ris", "n", "information_fraction",
                "z", "boundary", "benefit_crossed_at", "firm")


def undesirable_control_risk(table: pd.DataFrame, outcome: str) -> float:
    """The trials' control risk of the undesirable event (no live birth for live birth)."""
    risk = control_risk(table)
    return 1 - risk if OUTCOMES[outcome].benefit == "higher" else risk


def plan_tsa(review, outcome: str, *, p_control: float | None = None, rrr: float = PLAN_TSA["rrr"],
             model: str = "random") -> TSAResult:
    """The trial sequential analysis of the plan's trials (M-H fixed, or DerSimonian-Laird random effects
    with a diversity-adjusted RIS, as the TSA software does), by year of publication."""
    table = primary_table(review, outcome)
    p_control = undesirable_control_risk(table, outcome) if p_control is None else p_control
    return tsa(table, rrr=rrr, p_control=p_control, alpha=PLAN_TSA["alpha"], power=PLAN_TSA["power"],
               d2=0.0 if model == "fixed" else None, benefit=OUTCOMES[outcome].benefit, measure="OR", method="MH",
               model=model)


def planned_information_size(review, outcome: str) -> int:
    """The plan's required (optimal) information size, in participants: :func:`plan_tsa`'s RIS."""
    return plan_tsa(review, outcome).ris


def tsa_grid(review, outcome: str) -> pd.DataFrame:
    """The trial sequential analysis repeated over the assumptions that matter, one row each.

    Returns
    -------
    DataFrame
        :data:`GRID_COLUMNS`: where the control risk comes from, its value (of the undesirable
        event), the relative risk reduction, the model, the diversity D² used, the RIS, the
        participants so far, the information fraction, the final Z and boundary, the study at
        which the Z-curve crossed the benefit boundary (None if it did not) and whether it did.
    """
    table = primary_table(review, outcome)
    risks = {"Egerup et al. 2015": EGERUP_2015["p_control"],
             "the trials' own": undesirable_control_risk(table, outcome)}
    rows = []
    for basis, p_control in risks.items():
        for rrr in (0.20, 0.25):
            for model in ("fixed", "random"):
                result = plan_tsa(review, outcome, p_control=p_control, rrr=rrr, model=model)
                rows.append({"control_risk_basis": basis, "p_control": p_control, "rrr": rrr, "model": model,
                             "d2": result.d2, "ris": result.ris, "n": int(result.looks["n"].iloc[-1]),
                             "information_fraction": result.information_fraction, "z": result.z,
                             "boundary": result.critical_value, "benefit_crossed_at": result.benefit_crossed_at,
                             "firm": result.benefit_crossed_at is not None})
    return pd.DataFrame(rows, columns=list(GRID_COLUMNS))


def tsa_verdict(grid: pd.DataFrame) -> str:
    """``"firm under every assumption"``, ``"not firm under any assumption"`` or ``"sensitive to the
    assumptions"``: whether the Z-curve crossed the benefit boundary in every row of the grid, in none, or in some.

    Examples
    --------
    >>> tsa_verdict(pd.DataFrame({"firm": [True, False]}))
    'sensitive to the assumptions'
    """
    if grid["firm"].all():
        return "firm under every assumption"
    if not grid["firm"].any():
        return "not firm under any assumption"
    return "sensitive to the assumptions"


