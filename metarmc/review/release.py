"""This review's releases: the numbers a version reports, its citation and its living protocol.

Everything the book reports, collected as the flat ``name -> number | text`` mapping that
:mod:`metarmc.living.releases` stores and compares: each analysis redone as the paper did it
(:func:`~metarmc.review.paper.reproduce`), the analysis plan's primary results
(:func:`~metarmc.review.plan.primary_result`), the GRADE summary of findings built on the plan
(:func:`~metarmc.review.findings.summary_of_findings`), the audit's flags
(:func:`~metarmc.review.audit.reproduced_vs_reported`), the plan's trial sequential analysis of
live birth and the verdict over its assumptions (:mod:`~metarmc.review.information`), and the
conclusion's deciding text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NamedTuple

from ..audit import RULE_TITLES
from ..data import find_data_dir, load
from ..grade import DOMAINS, STATEMENTS, statement
from ..living.flow import UpdateFlow, update_flow
from ..living.queries import last_search_label
from ..living.releases import (
    Release,
    Value,
    VersionStatus,
    changelog_entries,
    current_version,
    how_to_cite,
    version_status,
    write_release,
)
from .audit import reproduced_vs_reported
from .findings import summary_of_findings
from .information import plan_tsa, tsa_grid, tsa_verdict
from .paper import reproduce
from .plan import primary_result, primary_table
from .registry import INTERVENTION, OUTCOMES

__all__ = ["CITATION", "PROTOCOL", "ThisVersion", "citation", "collect", "conclusion", "labels", "make_release",
           "status", "this_update", "this_version"]

#: How to cite the review (the version and date are added per release).
CITATION = dict(authors="The IVIG living review contributors",
                title="IVIG for recurrent miscarriage: a living review",
                url="https://github.com/ivig-living-review/ivig-living-review")

#: The living protocol, as the book states it.
PROTOCOL = dict(
    sources=("PubMed/MEDLINE", "Embase", "Web of Science", "CENTRAL", "ClinicalTrials.gov"),
    frequency="every 6 months, and whenever a report of a new trial becomes known",
    trigger=("a new version is released when a new study is included, when a number the book reports moves "
             "(new or corrected data, or a corrected method), or when a certainty rating or the conclusion changes"),
    screeners="two reviewers, independently, at title-abstract and at full text (as the paper says it did)",
    disagreements=("resolved by discussion, or by a third reviewer; the log keeps the earlier decision "
                   "(`screen ... --resolve`)"),
)

_RESULT = ("k", "estimate", "ci_low", "ci_high", "z", "p", "i2", "tau2", "q")
_SOF = ("studies", "participants", "estimate", "ci_low", "ci_high", "control_per_1000", "difference_per_1000",
        "difference_per_1000_low", "difference_per_1000_high")
_TSA = ("ris", "information_fraction", "z", "critical_value", "tsa_ci_low", "tsa_ci_high")
#: Reader-facing names of the statistics in :func:`labels`.
_STATISTICS = {"k": "studies", "estimate": "pooled estimate", "ci_low": "95% CI lower limit",
               "ci_high": "95% CI upper limit", "z": "Z", "p": "P", "i2": "I² (%)", "tau2": "τ²", "q": "Q",
               "model": "model", "match": "reproduction of the printed result", "studies": "studies",
               "participants": "participants", "certainty": "GRADE certainty",
               "control_per_1000": "control risk per 1,000", "difference_per_1000": "risk difference per 1,000",
               "difference_per_1000_low": "risk difference per 1,000, lower limit",
               "difference_per_1000_high": "risk difference per 1,000, upper limit",
               "ris": "required information size", "information_fraction": "information fraction",
               "critical_value": "monitoring boundary", "tsa_ci_low": "TSA-adjusted CI lower limit",
               "tsa_ci_high": "TSA-adjusted CI upper limit", "crossed": "boundary crossed", "flags": "audit flags",
               "rules": "audit rules raised"}


def collect(review) -> dict[str, Value]:
    """Every number and rating text the book reports, by name (see the module docstring).

    Parameters
    ----------
    review : metarmc.data.Review
        From :func:`metarmc.load`.

    Returns
    -------
    dict
        ``review.*`` (studies), ``screening.records``, ``analysis.<name>.*`` (the paper's method),
        ``plan.<name>.*`` (the analysis plan), ``sof.<outcome>.*``, ``audit.*``, ``tsa.plan.*``,
        ``tsa.verdict`` and ``conclusion.*``.
    """
    numbers: dict[str, Value] = {"review.studies": len(review.studies),
                                 "review.study_ids": "; ".join(sorted(review.studies["study_id"])),
                                 "screening.records": len(review.screening)}
    for name in OUTCOMES:
        rep = reproduce(review, name)
        numbers[f"analysis.{name}.match"] = rep.match
        if rep.result is not None:
            numbers |= {f"analysis.{name}.{s}": float(getattr(rep.result, s)) for s in _RESULT if s != "k"}
            numbers[f"analysis.{name}.k"] = int(rep.result.k)
            numbers[f"analysis.{name}.model"] = rep.result.model
        if OUTCOMES[name].kind == "binary" and len(primary_table(review, name)):
            result = primary_result(review, name)
            numbers |= {f"plan.{name}.{s}": float(getattr(result, s)) for s in _RESULT if s != "k"}
            numbers[f"plan.{name}.k"] = int(result.k)
    sof = summary_of_findings(review)
    for row in sof.to_frame().to_dict("records"):
        prefix = f"sof.{row['outcome']}"
        numbers[f"{prefix}.certainty"] = row["certainty"]
        numbers |= {f"{prefix}.{c}": int(row[c]) for c in _SOF[:2]}
        numbers |= {f"{prefix}.{c}": None if row[c] is None else float(row[c]) for c in _SOF[2:]}
        numbers |= {f"{prefix}.{d}": None if row[d] is None or str(row[d]) == "<NA>" else int(row[d])
                    for d in DOMAINS}
    audit = reproduced_vs_reported(review)
    numbers["audit.flags"] = sum(len(row["flags"]) for row in audit)
    for row in audit:
        numbers[f"audit.{row['analysis']}.flags"] = len(row["flags"])
        numbers[f"audit.{row['analysis']}.rules"] = "; ".join(sorted({f["rule"] for f in row["flags"]})) or "none"
    run = plan_tsa(review, "live_birth")
    numbers["tsa.plan.ris"] = int(run.ris)
    numbers |= {f"tsa.plan.{s}": float(getattr(run, s)) for s in _TSA[1:]}
    numbers["tsa.plan.crossed"] = "benefit" if run.benefit_crossed_at else "none"
    numbers["tsa.verdict"] = verdict = tsa_verdict(tsa_grid(review, "live_birth"))
    numbers["conclusion.live_birth"] = conclusion(sof["live_birth"], verdict=verdict)
    return numbers


def conclusion(row, *, verdict: str) -> str:
    """The live-birth conclusion in GRADE's words for its certainty, with the trial sequential analysis's verdict.

    The direction is the 95% CI's (above 1: increase, below 1: reduce, across 1: little or no
    difference); the verb is GRADE's for the certainty level.
    """
    if row.estimate is None:
        return f"not estimable; certainty {row.certainty}"
    wording = statement(row.certainty, effect_verb(row), INTERVENTION) if row.certainty in STATEMENTS else \
        f"{INTERVENTION} {effect_verb(row)}"
    return f"{wording} ({row.certainty} certainty); by trial sequential analysis the randomised evidence is {verdict}"


def effect_verb(row) -> str:
    """The effect's direction by its 95% CI, as a verb phrase: above 1 increase, below 1 reduce, across 1 neither."""
    noun = row.title.lower() if row.title.lower().endswith("s") else f"{row.title.lower()}s"
    return (f"increase {noun}" if row.ci_low > 1 else f"reduce {noun}" if row.ci_high < 1
            else f"make little or no difference to {noun}")


def labels(numbers) -> dict[str, str]:
    """Reader-facing names of :func:`collect`'s keys (``Live birth: pooled estimate``), for the "What changed" text."""
    titles = {name: a.title for name, a in OUTCOMES.items()}
    parts = {"review": "The review", "screening": "Screening log", "audit": "Audit", "conclusion": "Conclusion",
             "tsa": "Trial sequential analysis of live birth", "plan": "Analysis plan"}
    named = {}
    for key in numbers:
        kind, *rest = key.split(".")
        if kind in ("analysis", "sof", "plan") and len(rest) == 2:
            where = titles.get(rest[0], rest[0]) + {"sof": " (summary of findings)", "plan": " (analysis plan)",
                                                    "analysis": " (the paper's method)"}[kind]
            named[key] = f"{where}: {_STATISTICS.get(rest[1], rest[1].replace('_', ' '))}"
        elif kind == "tsa" and len(rest) == 2:
            named[key] = f"{parts['tsa']}: {_STATISTICS.get(rest[1], rest[1])}"
        elif kind == "audit" and len(rest) == 2:
            named[key] = f"{parts['audit']}, {titles.get(rest[0], rest[0])}: {_STATISTICS.get(rest[1], rest[1])}"
        else:
            named[key] = f"{parts.get(kind, kind)}: {' '.join(rest).replace('_', ' ')}"
    return named


def status(review, *, on: date) -> VersionStatus:
    """The current version of the review's data and its numbers against the previous release."""
    return version_status(review.data_dir, collect(review), on=on)


def citation(version: str, on: str, search_date: str | None) -> str:
    """"How to cite this version" for this review."""
    return how_to_cite(**CITATION, version=version, on=on, search_date=search_date)


def this_update(review, previous: Release | None) -> UpdateFlow:
    """The PRISMA 2020 update flow since ``previous``: the log rows imported after it, its studies before."""
    start = int(previous.numbers.get("screening.records") or 0) if previous else 0
    previous_ids = str(previous.numbers.get("review.study_ids") or "").split("; ") if previous else []
    previous_count = int(previous.numbers["review.studies"]) if previous else len(review.studies)
    return update_flow(review.screening.iloc[start:], previous_studies=previous_count,
                       total_studies=len(review.studies), previous_study_ids=[i for i in previous_ids if i])


def make_release(data_dir: str | Path | None = None, *, version: str | None = None,
                 on: date | None = None) -> Path:
    """Write the release of the current data (``data/releases/<version>.json``), never overwriting one.

    ``version`` defaults to the next ``YYYY.N`` of ``on`` (default today). Refused when the data
    are already released under another version (same data hash).
    """
    data_dir = Path(data_dir) if data_dir is not None else find_data_dir()
    on = on or date.today()
    review = load(data_dir)
    current = current_version(data_dir, on=on)  # from the data's hash alone: nothing is computed twice
    if current.released:
        raise FileExistsError(f"the current data are already released as {current.version}")
    return write_release(data_dir, version or current.version, collect(review), on=on,
                         search_date=last_search_label(review.search, review.screening))


@dataclass(frozen=True, repr=False)
class ThisVersion:
    """What the book says about its own version: identifier, citation, what changed, the update flow."""

    version: str
    released: bool
    date: str
    search_date: str
    what_changed: str
    citation: str
    flow: UpdateFlow
    status: VersionStatus

    def __repr__(self) -> str:
        return f"ThisVersion({self.version}, {'released' if self.released else 'not released'} {self.date})"


def this_version(review, *, on: date) -> ThisVersion:
    """The current version of the review, its "What changed" text, its citation and its PRISMA update flow.

    A released version (the data hash of a release file) is cited by that release's date and
    search date; unreleased data by the version they would get and "not yet released".
    """
    current = status(review, on=on)
    entries = changelog_entries((Path(review.data_dir) / "CHANGELOG.md").read_text(encoding="utf-8"))
    text = current.what_changed(entries, labels(current.changes.to_frame()["name"]), words=RULE_TITLES)
    cited = cite(review, on=on)
    return ThisVersion(current.version, current.released, cited.date, cited.search_date, text, cited.text,
                       this_update(review, current.previous), current)


class Cited(NamedTuple):
    """How to cite the current version: its identifier, date (or "not yet released"), search date and the text."""

    version: str
    released: bool
    date: str
    search_date: str
    text: str


def cite(review, *, on: date) -> Cited:
    """How to cite the current version of the review, from the data's hash alone (no number is recomputed)."""
    version, released, release, _ = current_version(review.data_dir, on=on)
    if released:
        when, searched = release.date, release.search_date or ""
    else:
        when, searched = "not yet released", last_search_label(review.search, review.screening)
    return Cited(version, released, when, searched, citation(version, when, searched))
