"""Read a Review Manager 5 file (``.rm5``): its analyses, their data and the results RevMan stored.

A ``.rm5`` file is RevMan 5's XML. Under ``ANALYSES_AND_DATA`` each ``COMPARISON`` holds
outcomes: ``DICH_OUTCOME`` (binary: ``DICH_DATA`` per study with ``EVENTS_1, TOTAL_1,
EVENTS_2, TOTAL_2``) and ``CONT_OUTCOME`` (continuous: ``CONT_DATA`` with ``MEAN_1, SD_1,
TOTAL_1, MEAN_2, SD_2, TOTAL_2``), with the data directly inside or grouped in
``DICH_SUBGROUP`` / ``CONT_SUBGROUP`` elements. Group 1 is the experimental arm, group 2 the
control. An outcome's attributes hold its options (``EFFECT_MEASURE``, ``METHOD``,
``RANDOM``, ``CI_TOTAL``) and, once RevMan has calculated them, its results (``EFFECT_SIZE``,
``CI_START``, ``CI_END``, ``Z``, ``P_Z``, ``CHI2``, ``DF``, ``P_CHI2``, ``I2``, ``TAU2``, and
for subgroups the test for differences ``Q``, ``P_Q``, ``I2_Q``); each study's ``*_DATA``
element holds its ``EFFECT_SIZE``, ``CI_START``, ``CI_END``, ``SE`` (log scale for ratios)
and ``WEIGHT`` (percent). Effects are on the natural scale; RevMan's ``LOG_*`` attributes are
log10 values and are not needed. Study names come from the ``STUDY`` elements (``ID`` ->
``NAME``). Generic inverse-variance, O-E and other outcome types are listed in
:attr:`Rm5Review.skipped`, not read.

The layout follows the files RevMan 5 writes, e.g. ``inst/extdata/Fleiss1993.rm5`` of R's meta
package (RevMan 5.0.23), and meta's ``read.rm5``.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .api import meta_binary, meta_continuous
from .heterogeneity import i_squared
from .results import MetaResult
from .schema import BINARY_COLUMNS, CONTINUOUS_COLUMNS

#: RevMan's EFFECT_MEASURE per outcome type -> (measure, method or None for METHOD's).
_MEASURES = {"DICH": {"OR": ("OR", None), "RR": ("RR", None), "RD": ("RD", None), "PETO_OR": ("OR", "Peto")},
             "CONT": {"MD": ("MD", "IV"), "SMD": ("SMD", "IV")}}
_METHODS = {"MH": "MH", "IV": "IV", "PETO": "Peto"}
#: The study-table columns and the RevMan attributes they come from.
_DATA_ATTRIBUTES = {"DICH": dict(zip(BINARY_COLUMNS, ("EVENTS_1", "TOTAL_1", "EVENTS_2", "TOTAL_2"))),
                    "CONT": dict(zip(CONTINUOUS_COLUMNS, ("MEAN_1", "SD_1", "TOTAL_1", "MEAN_2", "SD_2", "TOTAL_2")))}
#: Stored results: our name -> RevMan's attribute.
_RESULTS = {"estimate": "EFFECT_SIZE", "ci_low": "CI_START", "ci_high": "CI_END", "z": "Z", "p": "P_Z",
            "q": "CHI2", "q_df": "DF", "q_p": "P_CHI2", "i2": "I2", "tau2": "TAU2", "k": "STUDIES"}
_SUBGROUP_TEST = {"subgroup_q": "Q", "subgroup_p": "P_Q", "subgroup_i2": "I2_Q"}
_STUDY_RESULTS = {"estimate": "EFFECT_SIZE", "ci_low": "CI_START", "ci_high": "CI_END", "se": "SE",
                  "weight": "WEIGHT"}


@dataclass(frozen=True, repr=False)
class Rm5Outcome:
    """One outcome of a RevMan 5 file: its study table, RevMan's options and RevMan's stored results.

    ``data`` is a study table in this package's columns (``study, events_t, total_t,
    events_c, total_c`` or ``study, mean_t, sd_t, n_t, mean_c, sd_c, n_c``, plus ``subgroup``
    when the outcome has subgroups), ready for :func:`~metarmc.meta_binary` /
    :func:`~metarmc.meta_continuous` with :attr:`options`. ``revman`` holds the pooled results
    RevMan stored (NaN where it stored none; ``z`` is RevMan's \\|Z\\|), ``revman_subgroups``
    those of each subgroup, ``revman_studies`` each study's effect, CI, SE and weight.
    """

    id: str
    comparison: str
    name: str
    kind: str  # "binary" or "continuous"
    measure: str
    method: str
    model: str
    ci_level: float
    swap_events: bool
    data: pd.DataFrame = field(compare=False)
    revman: dict = field(compare=False)
    revman_subgroups: dict = field(compare=False)
    revman_studies: pd.DataFrame = field(compare=False)

    @property
    def subgroup(self) -> str | None:
        return "subgroup" if "subgroup" in self.data.columns else None

    @property
    def options(self) -> dict:
        """Keyword arguments that redo RevMan's analysis with meta_binary / meta_continuous."""
        options = {"measure": self.measure, "model": self.model, "subgroup": self.subgroup}
        if self.kind == "binary":
            options["method"] = self.method
        return options

    def rerun(self) -> MetaResult:
        """The analysis redone here, with RevMan's options."""
        if not math.isclose(self.ci_level, 0.95):
            raise ValueError(f"outcome {self.id}: RevMan used {self.ci_level:.0%} intervals; metarmc computes 95% only")
        if self.swap_events:
            raise ValueError(f"outcome {self.id}: SWAP_EVENTS='YES' (non-event odds ratio) is not supported")
        pool = meta_binary if self.kind == "binary" else meta_continuous
        return pool(self.data, **self.options)

    def compare(self) -> pd.DataFrame:
        """RevMan's stored numbers beside ours: columns ``analysis, quantity, revman, metarmc``.

        Rows: the total (``analysis`` "Total"), each subgroup, and each study (effect, CI and
        weight, the weight as a percentage of the total analysis). RevMan's Z is \\|Z\\|, so
        ours is compared as \\|z\\| too.
        """
        result = self.rerun()
        rows = _compare_pooled("Total", self.revman, result, subgroup_test=True)
        for name, stored in self.revman_subgroups.items():
            if result.subgroups and name in result.subgroups:
                rows += _compare_pooled(name, stored, result.subgroups[name])
        ours = result.studies.set_index(["subgroup", "study"] if self.subgroup else "study")
        for _, study in self.revman_studies.iterrows():
            key = (study["subgroup"], study["study"]) if self.subgroup else study["study"]
            for quantity in ("estimate", "ci_low", "ci_high", "se", "weight"):
                rows.append((study["study"], quantity, study[quantity], float(ours.loc[key, quantity])))
        return pd.DataFrame(rows, columns=["analysis", "quantity", "revman", "metarmc"])

    def __repr__(self) -> str:
        sub = f", {self.data['subgroup'].nunique()} subgroups" if self.subgroup else ""
        return (f"Rm5Outcome({self.id} {self.name!r}: {self.kind}, {self.measure}, {self.method}, {self.model}, "
                f"k={len(self.data)}{sub})")


def _compare_pooled(analysis, stored, result: MetaResult, subgroup_test=False):
    ours = {"estimate": result.estimate, "ci_low": result.ci_low, "ci_high": result.ci_high, "z": abs(result.z),
            "p": result.p, "q": result.q, "q_df": result.q_df, "q_p": result.q_p, "i2": result.i2,
            "tau2": result.tau2, "k": result.k}
    if subgroup_test and result.subgroups:
        ours.update(subgroup_q=result.subgroup_q, subgroup_p=result.subgroup_p,
                    subgroup_i2=float(i_squared(result.subgroup_q, result.subgroup_df)))
    return [(analysis, name, stored[name], float(value)) for name, value in ours.items()
            if name in stored and not math.isnan(stored[name])]


@dataclass(frozen=True, repr=False)
class Rm5Review:
    """The analyses of a RevMan 5 file: ``outcomes`` in file order, ``skipped`` (id, element)."""

    title: str
    outcomes: tuple[Rm5Outcome, ...]
    skipped: tuple[tuple[str, str], ...] = ()

    def outcome(self, id: str) -> Rm5Outcome:
        """The outcome with RevMan's ``id`` (e.g. ``"CMP-001.01"``)."""
        for outcome in self.outcomes:
            if outcome.id == id:
                return outcome
        raise KeyError(f"no outcome {id!r}; the file has {', '.join(o.id for o in self.outcomes)}")

    def to_frame(self) -> pd.DataFrame:
        """One row per outcome: id, comparison, name, kind, measure, method, model, k, subgroups."""
        return pd.DataFrame([{"id": o.id, "comparison": o.comparison, "name": o.name, "kind": o.kind,
                              "measure": o.measure, "method": o.method, "model": o.model, "k": len(o.data),
                              "subgroups": o.data["subgroup"].nunique() if o.subgroup else 0}
                             for o in self.outcomes])

    def __repr__(self) -> str:
        lines = [f"Rm5Review({self.title!r}, {len(self.outcomes)} outcomes)"]
        lines += [f"  {outcome!r}" for outcome in self.outcomes]
        return "\n".join(lines)


def read_rm5(path) -> Rm5Review:
    """Read the comparisons and outcomes of a RevMan 5 ``.rm5`` file.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    Rm5Review
        Its ``outcomes`` (binary and continuous), each with a study table, RevMan's options
        and the results RevMan stored; :meth:`Rm5Outcome.rerun` and :meth:`Rm5Outcome.compare`
        redo an analysis here and put RevMan's numbers beside ours.

    Raises
    ------
    ValueError
        For a file that is not RevMan 5 XML, or an element that lacks what an analysis needs,
        naming it, e.g. ``DICH_DATA of study 'X' in outcome CMP-001.01: EVENTS_1 is missing``.

    Examples
    --------
    >>> review = read_rm5("tests/fixtures/fleiss1993.rm5")  # run from the repository root
    >>> review.to_frame()[["id", "kind", "measure", "method", "model", "k", "subgroups"]]
               id        kind measure method   model  k  subgroups
    0  CMP-001.01      binary      OR     MH   fixed  7          0
    1  CMP-001.02      binary      OR     MH  random  7          2
    2  CMP-002.01  continuous      MD     IV  random  9          0
    """
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as error:
        raise ValueError(f"{path}: not well-formed XML ({error})") from None
    if root.tag != "COCHRANE_REVIEW":
        raise ValueError(f"{path}: not a RevMan 5 file (root element {root.tag}, expected COCHRANE_REVIEW)")
    studies = {s.get("ID"): s.get("NAME") for s in root.iter("STUDY") if s.get("ID")}
    analyses = root.find("ANALYSES_AND_DATA")
    if analyses is None:
        raise ValueError(f"{path}: no ANALYSES_AND_DATA element (the review has no analyses)")
    outcomes, skipped = [], []
    for comparison in analyses.findall("COMPARISON"):
        comparison_name = _text(comparison, "NAME")
        for element in comparison:
            kind = element.tag.removesuffix("_OUTCOME")
            if kind in _DATA_ATTRIBUTES:
                outcomes.append(_outcome(element, kind, comparison_name, studies))
            elif element.tag.endswith("_OUTCOME"):
                skipped.append((element.get("ID", "?"), element.tag))
    return Rm5Review(title=_text(root.find("COVER_SHEET"), "TITLE") if root.find("COVER_SHEET") is not None else "",
                     outcomes=tuple(outcomes), skipped=tuple(skipped))


def _text(element, child) -> str:
    found = element.find(child) if element is not None else None
    return (found.text or "").strip() if found is not None else ""


def _outcome(element, kind, comparison, studies) -> Rm5Outcome:
    outcome_id = element.get("ID") or "?"
    where = f"{element.tag} {outcome_id}"
    stored_measure = _required(element, "EFFECT_MEASURE", where)
    if stored_measure not in _MEASURES[kind]:
        raise ValueError(f"{where}: EFFECT_MEASURE {stored_measure!r} is not one of {', '.join(_MEASURES[kind])}")
    measure, method = _MEASURES[kind][stored_measure]
    if method is None:
        stored_method = _required(element, "METHOD", where)
        if stored_method not in _METHODS:
            raise ValueError(f"{where}: METHOD {stored_method!r} is not one of {', '.join(_METHODS)}")
        method = _METHODS[stored_method]
    groups = element.findall(f"{kind}_SUBGROUP") if element.get("SUBGROUPS") == "YES" else [None]
    rows, results, subgroups = [], [], {}
    for group in groups:
        name = _text(group, "NAME") if group is not None else None
        if group is not None:
            subgroups[name] = _results(group, _RESULTS, f"{group.tag} {name!r} in outcome {outcome_id}")
        for data in (group if group is not None else element).findall(f"{kind}_DATA"):
            row, stored = _study(data, kind, outcome_id, studies)
            if name is not None:
                row["subgroup"] = stored["subgroup"] = name
            rows.append(row)
            results.append(stored)
    if not rows:
        raise ValueError(f"{where}: no {kind}_DATA element (the outcome has no studies)")
    model = "random" if element.get("RANDOM") == "YES" else "fixed"
    ci = _number(element.get("CI_TOTAL", "95"), "CI_TOTAL", where)
    return Rm5Outcome(id=outcome_id, comparison=comparison, name=_text(element, "NAME"),
                      kind="binary" if kind == "DICH" else "continuous", measure=measure, method=method,
                      model=model, ci_level=ci / 100, swap_events=element.get("SWAP_EVENTS") == "YES",
                      data=pd.DataFrame(rows), revman=_results(element, {**_RESULTS, **_SUBGROUP_TEST}, where),
                      revman_subgroups=subgroups, revman_studies=pd.DataFrame(results))


def _study(data, kind, outcome_id, studies):
    study_id = data.get("STUDY_ID")
    if not study_id:
        raise ValueError(f"{data.tag} in outcome {outcome_id}: STUDY_ID is missing")
    if study_id not in studies:
        raise ValueError(f"{data.tag} in outcome {outcome_id}: STUDY_ID {study_id!r} is not a STUDY of the file")
    name = studies[study_id]
    where = f"{data.tag} of study {name!r} in outcome {outcome_id}"
    row = {"study": name}
    for column, attribute in _DATA_ATTRIBUTES[kind].items():
        row[column] = _number(_required(data, attribute, where), attribute, where)
    return row, {"study": name, **_results(data, _STUDY_RESULTS, where)}


def _required(element, attribute, where) -> str:
    value = element.get(attribute)
    if value is None or value.strip() == "":
        raise ValueError(f"{where}: {attribute} is missing")
    return value


def _number(value: str, attribute, where) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{where}: {attribute} must be a number; got {value!r}") from None
    if not np.isfinite(number):
        raise ValueError(f"{where}: {attribute} must be a finite number; got {value!r}")
    return number


def _results(element, names, where) -> dict:
    """RevMan's stored results (NaN where an attribute is absent or empty, as before RevMan calculates)."""
    out = {}
    for name, attribute in names.items():
        value = element.get(attribute, "")
        try:
            out[name] = float(value) if value.strip() else math.nan
        except ValueError:
            raise ValueError(f"{where}: {attribute} must be a number; got {value!r}") from None
    return out
