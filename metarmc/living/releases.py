"""Versions of a living review: snapshots of its numbers, what changed between two, how to cite one.

A release is ``<data>/releases/<version>.json``: every number (and rating or verdict text)
the book reports, as a flat mapping ``name -> number | text``, with the version identifier,
its date and the sha256 of the data files it was computed from (:func:`data_hash`). Release
files are written once and never overwritten (:func:`~metarmc.living.files.write_new`).

Version identifiers are ``YYYY.N``: the calendar year and the release's number within it
(``2026.1``, ``2026.2``, ``2027.1``), ordered by year then number (:func:`next_version`).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from ..formatting import counted
from .files import write_new

__all__ = ["Change", "Release", "ReleaseDiff", "VersionStatus", "changelog_entries", "data_hash", "diff",
           "how_to_cite", "load_release", "next_version", "releases", "version_status", "what_changed",
           "write_release"]

RELEASES = "releases"
VERSION = re.compile(r"(\d{4})\.([1-9]\d*)")
#: Relative tolerance under which two numbers of a release are the same (floating-point noise only).
RTOL = 1e-9

Value = float | int | str | None


def _version_key(version: str) -> tuple[int, int]:
    match = VERSION.fullmatch(version)
    if match is None:
        raise ValueError(f"a version must be YYYY.N (e.g. 2026.1); found {version!r}")
    return int(match.group(1)), int(match.group(2))


def next_version(existing: Iterable[str], on: date) -> str:
    """The version after ``existing`` released on ``on``: ``YYYY.N`` with N one more than this year's last.

    Examples
    --------
    >>> next_version([], date(2026, 12, 1)), next_version(["2026.1"], date(2026, 12, 9))
    ('2026.1', '2026.2')
    >>> next_version(["2026.1", "2026.2"], date(2027, 3, 1))
    '2027.1'
    """
    numbers = [n for year, n in map(_version_key, existing) if year == on.year]
    return f"{on.year}.{max(numbers, default=0) + 1}"


def data_hash(data_dir: str | Path) -> str:
    """sha256 over every file of ``data_dir`` except ``releases/``: relative path, NUL, bytes, NUL, in path order."""
    data_dir = Path(data_dir)
    digest = hashlib.sha256()
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        relative = path.relative_to(data_dir)
        if relative.parts[0] == RELEASES or any(part.startswith(".") for part in relative.parts):
            continue
        digest.update(relative.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _checked_numbers(numbers: Mapping[str, Value]) -> dict[str, Value]:
    checked = {}
    for name, value in numbers.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, str, type(None))):
            raise ValueError(f"release value {name!r} must be a number, a text or None; found {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            value = None  # JSON has no NaN: an unknown number is stored as null
        checked[str(name)] = value
    return dict(sorted(checked.items()))


@dataclass(frozen=True, repr=False)
class Release:
    """One version: identifier, date, data hash, date of the last search, and its numbers."""

    version: str
    date: str
    data_hash: str
    search_date: str | None
    numbers: Mapping[str, Value]

    def as_json(self) -> str:
        return json.dumps({"version": self.version, "date": self.date, "data_hash": self.data_hash,
                           "search_date": self.search_date, "numbers": dict(self.numbers)},
                          indent=1, ensure_ascii=False) + "\n"

    def __repr__(self) -> str:
        return f"Release({self.version}, {self.date}, {len(self.numbers)} numbers, data {self.data_hash[:12]})"


def write_release(data_dir: str | Path, version: str, numbers: Mapping[str, Value], *, on: date,
                  search_date: str | None = None) -> Path:
    """Write ``<data_dir>/releases/<version>.json``; an existing release is never overwritten.

    Parameters
    ----------
    data_dir : str or Path
        The data folder (its :func:`data_hash` is stored).
    version : str
        ``YYYY.N``.
    numbers : mapping of str to number, text or None
        Everything the version reports (NaN is stored as null).
    on : date
        The release date.
    search_date : str, optional
        The date of the last search the version includes (ISO, or ``YYYY-MM`` when only the
        month is known).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    FileExistsError
        If the release exists.
    """
    _version_key(version)
    folder = Path(data_dir) / RELEASES
    folder.mkdir(exist_ok=True)
    release = Release(version, on.isoformat(), data_hash(data_dir), search_date, _checked_numbers(numbers))
    path = folder / f"{version}.json"
    write_new(path, release.as_json())
    return path


def load_release(path: str | Path) -> Release:
    """Read one release file."""
    path = Path(path)
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
        release = Release(content["version"], content["date"], content["data_hash"], content.get("search_date"),
                          _checked_numbers(content["numbers"]))
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{path}: expected a release (version, date, data_hash, numbers); {error}") from error
    if f"{release.version}.json" != path.name:
        raise ValueError(f"{path}: holds version {release.version}, not the one its name says")
    return release


def releases(data_dir: str | Path) -> tuple[Release, ...]:
    """Every release of ``data_dir``, oldest first."""
    folder = Path(data_dir) / RELEASES
    found = [load_release(path) for path in folder.glob("*.json")] if folder.is_dir() else []
    return tuple(sorted(found, key=lambda release: _version_key(release.version)))


# --------------------------------------------------------------------------- differences


@dataclass(frozen=True)
class Change:
    """One value that differs between two releases (``old`` None when it is new)."""

    name: str
    old: Value
    new: Value

    @property
    def difference(self) -> float | None:
        """``new - old`` for two numbers, else None."""
        numeric = all(isinstance(v, (int, float)) for v in (self.old, self.new))
        return self.new - self.old if numeric else None


def _same(old: Value, new: Value, rtol: float) -> bool:
    if isinstance(old, (int, float)) and isinstance(new, (int, float)):
        return math.isclose(old, new, rel_tol=rtol, abs_tol=1e-12)
    return old == new


@dataclass(frozen=True, repr=False)
class ReleaseDiff:
    """What differs between two sets of release numbers: moved numbers, changed texts, new and removed names."""

    old_version: str | None
    new_version: str
    moved: tuple[Change, ...]
    changed_text: tuple[Change, ...]
    added: tuple[Change, ...]
    removed: tuple[Change, ...]
    unchanged: int

    @property
    def any(self) -> bool:
        return bool(self.moved or self.changed_text or self.added or self.removed)

    def to_frame(self) -> pd.DataFrame:
        """One row per change: ``name``, ``kind`` (moved, text, added, removed), ``old``, ``new``, ``difference``."""
        rows = [(c.name, kind, c.old, c.new, c.difference) for kind, changes in
                (("moved", self.moved), ("text", self.changed_text), ("added", self.added),
                 ("removed", self.removed)) for c in changes]
        return pd.DataFrame(rows, columns=["name", "kind", "old", "new", "difference"])

    def __repr__(self) -> str:
        return (f"ReleaseDiff({self.old_version} -> {self.new_version}: {len(self.moved)} moved, "
                f"{len(self.changed_text)} texts changed, {len(self.added)} added, {len(self.removed)} removed, "
                f"{self.unchanged} unchanged)")


def diff(old: Mapping[str, Value], new: Mapping[str, Value], *, old_version: str | None = None,
         new_version: str = "current", rtol: float = RTOL) -> ReleaseDiff:
    """Compare two sets of release numbers.

    Parameters
    ----------
    old, new : mapping of str to number, text or None
        ``Release.numbers`` (or freshly collected numbers).
    old_version, new_version : str
        How the two are named in the result.
    rtol : float
        Numbers within this relative tolerance are the same (:data:`RTOL`: floating-point noise).

    Returns
    -------
    ReleaseDiff

    Examples
    --------
    >>> d = diff({"lb.estimate": 1.90, "lb.certainty": "low", "k": 8}, {"lb.estimate": 2.10,
    ...          "lb.certainty": "moderate", "k": 8, "tsa.z": 2.5}, old_version="2026.1", new_version="2026.2")
    >>> d
    ReleaseDiff(2026.1 -> 2026.2: 1 moved, 1 texts changed, 1 added, 0 removed, 1 unchanged)
    >>> round(d.moved[0].difference, 2)
    0.2
    """
    old, new = _checked_numbers(old), _checked_numbers(new)
    moved, texts, unchanged = [], [], 0
    for name in sorted(old.keys() & new.keys()):
        if _same(old[name], new[name], rtol):
            unchanged += 1
        elif Change(name, old[name], new[name]).difference is not None:
            moved.append(Change(name, old[name], new[name]))
        else:
            texts.append(Change(name, old[name], new[name]))
    return ReleaseDiff(old_version, new_version, tuple(moved), tuple(texts),
                       tuple(Change(n, None, new[n]) for n in sorted(new.keys() - old.keys())),
                       tuple(Change(n, old[n], None) for n in sorted(old.keys() - new.keys())), unchanged)


def changelog_entries(text: str) -> list[tuple[str, str]]:
    """The ``## YYYY-MM-DD: title`` entries of a changelog, as (date, title), in file order."""
    return re.findall(r"^## (\d{4}-\d{2}-\d{2}):?\s*(.*)$", text, flags=re.M)


def _shown(value: Value, words: Mapping[str, str]) -> str:
    """A stored value as the change list shows it; the ``; ``-separated parts of a text in ``words``."""
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, int):
        return str(value)
    return "“" + "; ".join(words.get(part, part) for part in value.split("; ")) + "”"


def _line(change: Change, labels: Mapping[str, str], words: Mapping[str, str]) -> str:
    label = labels.get(change.name, f"`{change.name}`")
    step = f"{_shown(change.old, words)} → {_shown(change.new, words)}"
    if change.difference is not None:
        step += f" ({change.difference:+.3g})"
    return f"- {label}: {step}"


def what_changed(changes: ReleaseDiff, entries: Iterable[tuple[str, str]], *, since: str | None,
                 labels: Mapping[str, str] | None = None, until: str | None = None,
                 words: Mapping[str, str] | None = None) -> str:
    """A Markdown "What changed in this version", written from a :class:`ReleaseDiff`.

    Parameters
    ----------
    changes : ReleaseDiff
        The numbers of this version against the previous one.
    entries : iterable of (date, title)
        The changelog's entries (:func:`changelog_entries`); those dated after ``since`` (and
        up to ``until``) are named as the explanation.
    since : str or None
        The previous version's date (None for a first version: every entry up to ``until``).
    labels : mapping, optional
        Reader-facing names of the values (default: the names, as code).
    until : str, optional
        This version's date.
    words : mapping, optional
        Reader words for codes inside stored texts (e.g. an audit rule's name -> its title).

    Returns
    -------
    str
        Markdown: a headline, texts that changed (ratings, verdicts, conclusions) first, then the
        numbers that moved with their differences, new and removed values, and the changelog
        entries that explain them.
    """
    labels, words = labels or {}, words or {}
    explained = [(d, t) for d, t in entries if (since is None or d > since) and (until is None or d <= until)]
    if changes.old_version is None:
        lines = [f"**Version {changes.new_version}** is the first release: there is no earlier version to "
                 "compare with."]
    elif not changes.any:
        lines = [f"**Version {changes.new_version}**: no reported number, rating or conclusion differs from "
                 f"version {changes.old_version}."]
    else:
        lines = [f"**Version {changes.new_version}** against version {changes.old_version}: "
                 f"{counted(len(changes.moved), 'number')} moved, "
                 f"{counted(len(changes.changed_text), 'rating or conclusion', 'ratings or conclusions')} "
                 f"changed, {len(changes.added)} new and {len(changes.removed)} removed; "
                 f"{changes.unchanged} unchanged."]
        if not changes.changed_text:
            lines.append("\nNo certainty rating, verdict or conclusion changed.")
        for heading, group in (("Ratings, verdicts and conclusions that changed", changes.changed_text),
                               ("Numbers that moved", changes.moved), ("New", changes.added),
                               ("No longer reported", changes.removed)):
            if group:
                lines += [f"\n{heading}:\n", *(_line(c, labels, words) for c in group)]
    if explained:
        intro = ("The data of this version, as recorded" if changes.old_version is None
                 else "The changes to the data since the previous version, as recorded")
        lines += [f"\n{intro} in `data/CHANGELOG.md`:\n",
                  *(f"- {d}: {t}" for d, t in explained)]
    elif changes.old_version is not None:
        lines.append("\nNo entry of `data/CHANGELOG.md` is dated after the previous version.")
    return "\n".join(lines)


def how_to_cite(*, authors: str, title: str, version: str, on: str, url: str, search_date: str | None) -> str:
    """A citation of one version: authors, title, version, date, search date and address.

    Examples
    --------
    >>> how_to_cite(authors="The review team", title="A living review", version="2026.1", on="2026-12-01",
    ...             url="https://example.org/review", search_date="2024-02-01")
    'The review team. A living review. Version 2026.1, 2026-12-01 (search up to 2024-02-01). https://example.org/review'
    """
    searched = f" (search up to {search_date})" if search_date else ""
    return f"{authors}. {title}. Version {version}, {on}{searched}. {url}"


@dataclass(frozen=True, repr=False)
class VersionStatus:
    """Where the current data stand among the releases (from :func:`version_status`).

    ``version`` is the release whose data hash is the current data's (``released``), or the
    version the current data would be released as. ``previous`` is the release compared with
    (None before the first); ``changes`` the current numbers against it.
    """

    version: str
    released: bool
    release: Release | None
    previous: Release | None
    changes: ReleaseDiff

    def what_changed(self, entries: Iterable[tuple[str, str]], labels: Mapping[str, str] | None = None,
                     words: Mapping[str, str] | None = None) -> str:
        """:func:`what_changed` of :attr:`changes`, naming the changelog entries since the previous release."""
        return what_changed(self.changes, entries, since=self.previous.date if self.previous else None,
                            until=self.release.date if self.release else None, labels=labels, words=words)

    def __repr__(self) -> str:
        state = "released" if self.released else "not released yet"
        return f"VersionStatus({self.version}, {state}; {self.changes!r})"


class CurrentVersion(NamedTuple):
    """Which version the data of a folder are: a release (``released``) or the next one, and the release before."""

    version: str
    released: bool
    release: Release | None
    previous: Release | None


def current_version(data_dir: str | Path, *, on: date) -> CurrentVersion:
    """The version of ``data_dir``'s data, by their hash against the releases (cheap: no number is computed)."""
    known = releases(data_dir)
    current = data_hash(data_dir)
    matching = [i for i, release in enumerate(known) if release.data_hash == current]
    if matching:
        index = matching[-1]
        return CurrentVersion(known[index].version, True, known[index], known[index - 1] if index else None)
    return CurrentVersion(next_version([r.version for r in known], on), False, None, known[-1] if known else None)


def version_status(data_dir: str | Path, numbers: Mapping[str, Value], *, on: date) -> VersionStatus:
    """The current version of ``data_dir`` and its numbers against the release before it.

    Parameters
    ----------
    data_dir : str or Path
        The data folder and its ``releases/``.
    numbers : mapping
        The numbers computed now from the data (what the book shows).
    on : date
        Today, to name the next version when the current data are not released yet.
    """
    version, released, release, previous = current_version(data_dir, on=on)
    old = previous.numbers if previous else {}
    changes = diff(old, numbers, old_version=previous.version if previous else None, new_version=version)
    return VersionStatus(version, released, release, previous, changes)
