"""Frozen result objects with a readable ``repr`` and tidy ``to_frame()`` summaries."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from .effects import CORRECTIONS
from .formatting import short
from .schema import METHOD_LABELS, is_ratio

#: The columns of :meth:`MetaResult.to_frame`, in order.
SUMMARY_COLUMNS = ("analysis", "measure", "method", "model", "tau2_method", "hksj", "k",
                   "estimate", "ci_low", "ci_high", "se", "z", "p", "q", "q_df", "q_p", "i2",
                   "tau2", "pi_low", "pi_high")


class ConfidenceInterval(NamedTuple):
    low: float
    high: float


@dataclass(frozen=True, repr=False)
class MetaResult:
    """One pooled meta-analysis.

    ``estimate``, ``ci_low``, ``ci_high``, ``pi_low``, ``pi_high`` are on the natural scale
    (ratios for OR/RR); ``se`` is on the log scale for ratios. ``i2`` is in percent.
    ``studies`` has one row per study (estimable or not) with its effect, 95% CI and weight
    in percent. Subgroup analyses fill ``subgroups`` (name -> result) and the test for
    subgroup differences ``subgroup_q``, ``subgroup_df``, ``subgroup_p``. Quantities that are
    not applicable (Q's p value for one study, a prediction interval for k < 3 or when not
    asked for) are NaN. ``converged`` is False when REML's τ² hit its iteration cap (a
    :class:`~metarmc.wls.ConvergenceWarning` was issued too). ``hksj`` is False,
    True or ``"adhoc"`` (:data:`metarmc.schema.HKSJ_OPTIONS`).
    """

    measure: str
    method: str
    model: str
    tau2_method: str | None
    hksj: bool | str
    k: int
    estimate: float
    ci_low: float
    ci_high: float
    se: float
    z: float
    p: float
    q: float
    q_df: int
    q_p: float
    i2: float
    tau2: float
    pi_low: float
    pi_high: float
    studies: pd.DataFrame = field(compare=False)
    subgroups: Mapping[str, MetaResult] | None = field(default=None, compare=False)
    subgroup_column: str | None = None
    subgroup_q: float | None = None
    subgroup_df: int | None = None
    subgroup_p: float | None = None
    converged: bool = True
    correction: str = "revman"

    @property
    def is_ratio(self) -> bool:
        return is_ratio(self.measure)

    def study_effects(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-study effects ``yi`` (log scale for ratios) and variances ``vi`` of the estimable studies."""
        studies = self.studies[self.studies["estimable"]]
        yi = np.log(studies["estimate"]) if self.is_ratio else studies["estimate"]
        return yi.to_numpy(float), studies["se"].to_numpy(float) ** 2

    def confidence_interval(self) -> ConfidenceInterval:
        """The 95% confidence interval as a named ``(low, high)`` pair."""
        return ConfidenceInterval(self.ci_low, self.ci_high)

    @property
    def label(self) -> str:
        """How RevMan names the analysis, e.g. ``M-H, Fixed, 95% CI``."""
        method = METHOD_LABELS[self.method]
        model = "Random" if self.model == "random" else "Fixed"
        extra = f", {self.tau2_method}" if self.model == "random" and self.tau2_method != "DL" else ""
        extra += ", HKSJ ad hoc" if self.hksj == "adhoc" else ", HKSJ" if self.hksj else ""
        if self.correction != "revman" and self.method != "Peto":
            extra += f", {CORRECTIONS[self.correction]}"
        return f"{method}, {model}{extra}, 95% CI"

    def to_frame(self, analysis: str = "") -> pd.DataFrame:
        """A tidy one-row summary (one row per subgroup, then the total, for subgroup analyses)."""
        row = {name: getattr(self, name) for name in SUMMARY_COLUMNS if name != "analysis"}
        total = pd.DataFrame([{"analysis": analysis, **row}], columns=list(SUMMARY_COLUMNS))
        if not self.subgroups:
            return total
        parts = [sub.to_frame(name) for name, sub in self.subgroups.items()]
        total["analysis"] = analysis or "Total"
        return pd.concat([*parts, total], ignore_index=True)

    def _statistic_text(self) -> str:
        """The test statistic as the repr names it: ``z`` (normal), or ``t`` on k - 1 df with HKSJ."""
        return f"t={short(self.z)} (df={self.q_df})" if self.hksj else f"z={short(self.z)}"

    def __repr__(self) -> str:
        ci = f"[{short(self.ci_low)}, {short(self.ci_high)}]"
        lines = [
            f"MetaResult({self.measure}, {self.label}, k={self.k})",
            f"  estimate {short(self.estimate)} {ci}, {self._statistic_text()}, p={short(self.p)}",
            f"  heterogeneity: Q={short(self.q)} (df={self.q_df}, p={short(self.q_p)}), "
            f"I²={self.i2:.1f}%, tau²={short(self.tau2)}",
        ]
        if not self.converged:
            lines.append(f"  warning: {self.tau2_method} tau² did not converge")
        if not math.isnan(self.pi_low):
            lines.append(f"  95% prediction interval [{short(self.pi_low)}, {short(self.pi_high)}]")
        if self.subgroups:
            lines.append(f"  subgroups: {', '.join(self.subgroups)}; test for differences "
                         f"Q={short(self.subgroup_q)} (df={self.subgroup_df}, p={short(self.subgroup_p)})")
        return "\n".join(lines)

