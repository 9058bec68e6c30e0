"""Sensitivity analyses: which study moves the result, and what other defensible choices give.

:func:`leave_one_out_summary` re-pools leaving out each study in turn (through the batch core,
via :func:`metarmc.leave_one_out`) and says which study moves the result most;
:func:`scenarios` runs a list of named :class:`Scenario` (a subset of studies or another table,
and pooling options) and returns one tidy row each. The usual list for one of this review's
outcomes is built by :func:`metarmc.review.scenarios.standard_scenarios`.

References
----------
Higgins JPT, Thomas J, et al. (eds) (2023). Cochrane Handbook for Systematic Reviews of
Interventions 6.4, §10.14 (sensitivity analyses).
Deeks JJ, Higgins JPT (2010). Statistical algorithms in Review Manager 5.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .api import leave_one_out, meta_binary, meta_continuous
from .results import MetaResult
from .schema import ALPHA, table_kind

#: The columns of :func:`scenarios`, in order.
SCENARIO_COLUMNS = ("scenario", "description", "k", "measure", "model", "estimate", "ci_low", "ci_high",
                    "p", "i2", "tau2", "pi_low", "pi_high", "studies")
#: The :class:`~metarmc.results.MetaResult` attributes a scenario row carries.
RESULT_COLUMNS = ("estimate", "ci_low", "ci_high", "p", "i2", "tau2", "pi_low", "pi_high")
@dataclass(frozen=True)
class Scenario:
    """One sensitivity analysis: which rows to pool and how.

    Parameters
    ----------
    name : str
        Short label (the ``scenario`` column of :func:`scenarios`).
    options : mapping
        Keyword arguments of :func:`~metarmc.meta_binary` or :func:`~metarmc.meta_continuous`
        (``measure``, ``method``, ``model``, ``tau2``, ``hksj``, ``prediction``).
    where : mapping, optional
        Keep the rows whose column holds the given value (or one of a tuple of values),
        e.g. ``{"randomised": "yes"}``; every condition must hold.
    table : DataFrame, optional
        Pool this table instead of the one passed to :func:`scenarios` (e.g. other
        denominators); ``where`` then applies to it.
    description : str
        One line for a reader.
    """

    name: str
    options: Mapping = field(default_factory=dict)
    where: Mapping | None = None
    table: pd.DataFrame | None = field(default=None, compare=False)
    description: str = ""

    def kept(self, table: pd.DataFrame) -> pd.DataFrame:
        """The study rows this scenario keeps from ``table`` (or its own table); possibly none."""
        return select(self.table if self.table is not None else table, self.where or {}, self.name)

    def rows(self, table: pd.DataFrame) -> pd.DataFrame:
        """The study rows this scenario pools (:meth:`kept`); ValueError if it keeps none."""
        rows = self.kept(table)
        if rows.empty:
            raise ValueError(f"scenario {self.name!r} keeps no study")
        return rows


def select(table: pd.DataFrame, where: Mapping, name: str = "") -> pd.DataFrame:
    """The rows of ``table`` whose columns hold the values ``where`` allows (a value or a tuple of values)."""
    keep = np.ones(len(table), bool)
    for column, allowed in where.items():
        if column not in table.columns:
            raise ValueError(f"scenario {name!r}: no column {column!r} to select on; "
                             f"columns are {', '.join(table.columns)}")
        keep &= table[column].isin(allowed if isinstance(allowed, tuple) else (allowed,)).to_numpy()
    return table[keep].reset_index(drop=True)


def pool_table(table: pd.DataFrame, **options) -> MetaResult:
    """:func:`~metarmc.meta_binary` or :func:`~metarmc.meta_continuous`, as the columns say."""
    meta = meta_binary if table_kind(table) == "binary" else meta_continuous
    return meta(table, **options)


def leave_one_out_summary(table: pd.DataFrame, **options) -> pd.DataFrame:
    """Leave-one-out: re-pool without each study in turn, and say which one moves the result most.

    Parameters
    ----------
    table : DataFrame
        A study table (binary or continuous columns, as :func:`~metarmc.meta_binary` or
        :func:`~metarmc.meta_continuous` take it), at least two studies.
    **options
        Pooling options, as for those functions.

    Returns
    -------
    DataFrame
        One row per omitted study: the columns of :func:`metarmc.leave_one_out` (``omitted,
        k, estimate, ci_low, ci_high, p, i2, tau2``), then ``change`` (estimate without the
        study minus the estimate with all, natural scale), ``significant`` (p < 0.05 without
        the study), ``changes_significance`` (differs from the full analysis) and
        ``most_influential`` (true for the study whose omission moves the estimate most on the
        analysis scale, :math:`|\\ln \\widehat{OR}_{(-i)} - \\ln \\widehat{OR}|` for ratios).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"study": ["A", "B", "C"], "events_t": [12, 5, 9], "total_t": [20, 18, 17],
    ...                    "events_c": [8, 4, 5], "total_c": [21, 17, 17]})
    >>> leave_one_out_summary(df).set_index("omitted")["most_influential"].idxmax()  # B has the lowest OR, 1.25
    'B'
    """
    if len(table) < 2:
        raise ValueError(f"leave-one-out needs at least 2 studies; got {len(table)}")
    kind = table_kind(table)
    full = pool_table(table, **options)
    rows = leave_one_out(table.reset_index(drop=True), kind=kind, **options)
    to_scale = np.log if full.is_ratio else (lambda x: x)
    shift = np.abs(to_scale(rows["estimate"].to_numpy()) - to_scale(full.estimate))
    significant = rows["p"] < ALPHA
    return rows.assign(change=rows["estimate"] - full.estimate, significant=significant,
                       changes_significance=significant != (full.p < ALPHA),
                       most_influential=np.arange(len(rows)) == np.nanargmax(shift))


def scenarios(table: pd.DataFrame, scenario_specs: Sequence[Scenario]) -> pd.DataFrame:
    """Run named scenarios and return one tidy row each.

    Parameters
    ----------
    table : DataFrame
        The study table the scenarios select from (those with their own ``table`` ignore it).
    scenario_specs : sequence of Scenario

    Returns
    -------
    DataFrame
        Columns :data:`SCENARIO_COLUMNS`: ``model`` is Review Manager's label of the method
        (e.g. ``M-H, Random, REML, HKSJ, 95% CI``), ``studies`` the pooled study labels;
        ``tau2`` is 0 for fixed effect; ``pi_low``/``pi_high`` are NaN unless a prediction
        interval was asked for (and k ≥ 3).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"study": ["A", "B"], "events_t": [12, 5], "total_t": [20, 18],
    ...                    "events_c": [8, 4], "total_c": [21, 17], "randomised": ["yes", "no"]})
    >>> out = scenarios(df, [Scenario("all"), Scenario("randomised", where={"randomised": "yes"})])
    >>> out[["scenario", "k"]].values.tolist()
    [['all', 2], ['randomised', 1]]
    """
    names = [spec.name for spec in scenario_specs]
    if len(set(names)) < len(names):
        raise ValueError(f"scenario names must be unique; got {names}")
    return pd.DataFrame([_scenario_row(spec, table) for spec in scenario_specs], columns=list(SCENARIO_COLUMNS))


def _scenario_row(spec: Scenario, table: pd.DataFrame) -> dict:
    rows = spec.rows(table)
    result = pool_table(rows, **spec.options)
    estimable = result.studies.loc[result.studies["estimable"], "study"]
    return {"scenario": spec.name, "description": spec.description, "k": result.k, "measure": result.measure,
            "model": result.label, **{c: getattr(result, c) for c in RESULT_COLUMNS},
            "studies": "; ".join(map(str, estimable))}
