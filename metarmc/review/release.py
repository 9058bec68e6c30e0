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

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NamedTuple

from .. import formatting as fmt
from ..audit import RULE_TITLES
from ..data import find_data_dir, load
from ..grade import DOMAINS, STATEMENTS, statement
from ..living.flow import UpdateFlow, update_flow
from ..living.queries import last_search_label
from ..living.releases import (
    Release,
    ReleaseDiff,
    Value,
    VersionStatus,
    changelog_entries,
    current_version,
    diff,
    how_to_cite,
    releases,
    version_status,
    write_release,
)
from .audit import reproduced_vs_reported
from .findings import summary_of_findings
from .information import plan_tsa, tsa_grid, tsa_verdict
from .paper import reproduce
from .plan import primary_result, primary_table
from .registry import INTERVENTION, OUTCOMES

__all__ = ["CITATION", "PROTOCOL", "ThisVersion", "citation", "collect", "conclusion", "history", "labels",
           "make_release", "reader_changes", "status", "this_update", "this_version"]

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
    numbers: Mapping[str, Value]

    def __repr__(self) -> str:
        return f"ThisVersion({self.version}, {'released' if self.released else 'not released'} {self.date})"


def this_version(review, *, on: date) -> ThisVersion:
    """The current version of the review, its "What changed" text, its citation and its PRISMA update flow.

    A released version (the data hash of a release file) is cited by that release's date and
    search date; unreleased data by the version they would get and "not yet released".
    """
    numbers = collect(review)
    current = version_status(review.data_dir, numbers, on=on)
    entries = changelog_entries((Path(review.data_dir) / "CHANGELOG.md").read_text(encoding="utf-8"))
    text = current.what_changed(entries, labels(current.changes.to_frame()["name"]), words=RULE_TITLES)
    cited = cite(review, on=on)
    return ThisVersion(current.version, current.released, cited.date, cited.search_date, text, cited.text,
                       this_update(review, current.previous), current, numbers)


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


# --------------------------------------------------------------------------- the history, for readers

#: The results a reader is told about when they move, in this order: key prefix -> what they are.
_READER_RESULTS = {"sof": "this review's answer (summary of findings)", "analysis": "redone as the paper did it"}


def _result(numbers: Mapping[str, Value], prefix: str, measure: str) -> str:
    """One stored result in words: ``OR 0.39 (95% CI 0.14 to 1.08), 3 studies, 207 women``."""
    estimate, low, high = (numbers.get(f"{prefix}.{s}") for s in ("estimate", "ci_low", "ci_high"))
    if None in (estimate, low, high):
        return "not estimable" if any(key.startswith(prefix + ".") for key in numbers) else "not reported"
    text = f"{measure} {fmt.estimate_ci(estimate, low, high)}"
    k = numbers.get(f"{prefix}.studies", numbers.get(f"{prefix}.k"))
    women = numbers.get(f"{prefix}.participants")
    return text + (f", {fmt.studies_text(int(k))}" if k is not None else "") + (
        f", {women:,} women" if women is not None else "")


def reader_changes(changes: ReleaseDiff, old: Mapping[str, Value], new: Mapping[str, Value]) -> list[str]:
    """What one version changed, in a reader's words: one line per result that moved.

    Parameters
    ----------
    changes : ReleaseDiff
        ``diff(old, new)``.
    old, new : mapping
        The numbers of the two versions (:func:`collect`, ``Release.numbers``).

    Returns
    -------
    list of str
        Per outcome, the summary-of-findings result and certainty, then the result redone as the
        paper did it, before -> after, for each that moved; then the conclusion, the trial
        sequential analysis's verdict, the audit's count of problems and its findings raised or
        dropped, and the number of studies, when they changed. Empty when nothing the book reports changed.

    Examples
    --------
    >>> old = {"sof.miscarriage.estimate": 0.46, "sof.miscarriage.ci_low": 0.01, "sof.miscarriage.ci_high": 80.5,
    ...        "sof.miscarriage.studies": 2, "sof.miscarriage.participants": 108, "sof.miscarriage.certainty": "low"}
    >>> new = old | {"sof.miscarriage.estimate": 0.39, "sof.miscarriage.ci_low": 0.14,
    ...              "sof.miscarriage.ci_high": 1.08, "sof.miscarriage.studies": 3, "sof.miscarriage.participants": 207}
    >>> reader_changes(diff(old, new), old, new)  # doctest: +NORMALIZE_WHITESPACE
    ["Miscarriage, this review's answer (summary of findings): OR 0.46 (95% CI 0.01 to 80.50), 2 studies,
      108 women → OR 0.39 (95% CI 0.14 to 1.08), 3 studies, 207 women; certainty low, unchanged"]
    """
    changed = {c.name for group in (changes.moved, changes.changed_text, changes.added, changes.removed)
               for c in group}
    lines = []
    for name, outcome in OUTCOMES.items():
        for part, where in _READER_RESULTS.items():
            prefix = f"{part}.{name}"
            if not any(key.startswith(prefix + ".") for key in changed):
                continue
            line = (f"{outcome.title}, {where}: {_result(old, prefix, outcome.measure)} → "
                    f"{_result(new, prefix, outcome.measure)}")
            if part == "sof":
                before, after = old.get(f"{prefix}.certainty"), new.get(f"{prefix}.certainty")
                line += f"; certainty {after}" + (", unchanged" if before == after else f" (was {before})")
            lines.append(line)
    for key, what in (("conclusion.live_birth", "The conclusion on live birth"),
                      ("tsa.verdict", "The trial sequential analysis's verdict on live birth")):
        if key in changed:
            lines.append(f"{what} now reads “{new.get(key)}” (it read “{old.get(key)}”)")
    if "audit.flags" in changed:
        lines.append(f"The audit of the paper finds {fmt.counted(int(new.get('audit.flags') or 0), 'problem')} "
                     f"(it found {old.get('audit.flags')})")
    lines += _audit_findings(changed, old, new)
    if "review.studies" in changed:
        lines.append(f"Studies in the review: {old.get('review.studies')} → {new.get('review.studies')}")
    return lines


def _audit_findings(changed: set[str], old: Mapping[str, Value], new: Mapping[str, Value]) -> list[str]:
    """The audit's findings raised or no longer raised on each analysis, by their titles."""
    def rules(numbers, key) -> set[str]:
        return set(str(numbers.get(key) or "none").split("; ")) - {"none"}

    lines = []
    for key in sorted(k for k in changed if k.startswith("audit.") and k.endswith(".rules")):
        analysis = key.split(".")[1]
        title = OUTCOMES[analysis].title.lower() if analysis in OUTCOMES else analysis.replace("_", " ")
        for found, what in ((rules(new, key) - rules(old, key), "New audit finding"),
                            (rules(old, key) - rules(new, key), "Audit finding no longer raised")):
            if found:
                lines.append(f"{what} on {title}: {fmt.listing(sorted(RULE_TITLES.get(r, r) for r in found))}")
    return lines


def _version_text(title: str, old: Release | None, new: Mapping[str, Value]) -> str:
    if old is None:
        return f"{title}: the first release of the review, with every result as the book then reported it."
    lines = reader_changes(diff(old.numbers, new), old.numbers, new)
    if not lines:
        return (f"{title}: no result, certainty rating or conclusion the book reports differs from version "
                f"{old.version}.")
    return "\n".join([f"{title}, against version {old.version}:\n", *(f"- {line}." for line in lines)])


def history(review, this: ThisVersion) -> str:
    """Every version of the review, newest first, with what each changed in a reader's words (Markdown).

    The current data come first when they are not released yet; each release is compared with the
    one before it (:func:`reader_changes`).
    """
    known = releases(review.data_dir)
    parts = []
    if not this.released:
        parts.append(_version_text(f"**Version {this.version}** (not yet released)", known[-1] if known else None,
                                   this.numbers))
    for i in range(len(known) - 1, -1, -1):
        release = known[i]
        searched = f", search up to {release.search_date}" if release.search_date else ""
        parts.append(_version_text(f"**Version {release.version}** (released {release.date}{searched})",
                                   known[i - 1] if i else None, release.numbers))
    return "\n\n".join(parts)

