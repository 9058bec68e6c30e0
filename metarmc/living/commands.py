"""What the living-review commands do (``search-update``, ``screen``, ``release``); the parser is metarmc's CLI.

Each function prints its report and returns the exit status: 0 done, 1 refused or (for an
import) done with records that could not be read, which are listed as ``file:line: message``.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from ..data import DataError, find_data_dir, load
from .files import ConcurrentChange
from .queries import last_search, search_queries
from .screening import LogError, import_exports, record_decision


def _failed(error: Exception) -> int:
    problems = getattr(error, "problems", None)
    print("\n".join(map(str, problems)) if problems else error, file=sys.stderr)
    return 1


def search_update(files, *, data_dir=None, queries=False, searched=None, source=None) -> int:
    """Print the update queries, or import export files into the screening log."""
    try:
        if queries or not files:
            review = load(data_dir or find_data_dir())
            print(search_queries(review.search, since=last_search(review.search, review.screening)))
            return 0
        report = import_exports(files, data_dir=data_dir, searched=searched, source=source)
    except (DataError, LogError, ConcurrentChange, ValueError) as error:
        return _failed(error)
    print(report)
    return 1 if report.problems else 0


def screen(record_id, *, title_abstract, full_text, reviewers, reason, on, study_id, resolve, data_dir) -> int:
    """Record the title-abstract and/or full-text decision of one record."""
    stages = [(stage, decision) for stage, decision in (("title_abstract", title_abstract),
                                                         ("full_text", full_text)) if decision]
    if not stages:
        print("give a decision: --title-abstract and/or --full-text", file=sys.stderr)
        return 1
    try:
        for stage, decision in stages:
            print(record_decision(record_id, stage, decision, reviewers=reviewers, on=on, reason=reason,
                                  study_id=study_id if stage == "full_text" else "", resolve=resolve,
                                  data_dir=data_dir))
    except (DataError, LogError, ConcurrentChange) as error:
        return _failed(error)
    return 0


def release(version, *, data_dir=None, on=None, what_changed=False) -> int:
    """Write the release of the current data, or print what changed since the last release."""
    from ..review import release as review_release

    data_dir = Path(data_dir or find_data_dir())
    try:
        today = date.fromisoformat(on) if on else date.today()
        review = load(data_dir)
        if what_changed:
            print(review_release.this_version(review, on=today).what_changed)
            return 0
        path = review_release.make_release(data_dir, version=version, on=today)
    except (DataError, FileExistsError, ValueError) as error:
        return _failed(error)
    print(f"released {path.stem}: {path}")
    return 0

