"""A living review's machinery: search updates, the screening log, the update flow, releases.

Generic (nothing here knows this review): read database exports
(:mod:`~metarmc.living.records`), remove duplicates (:mod:`~metarmc.living.dedup`), keep the
screening log (:mod:`~metarmc.living.screening`), count the PRISMA 2020 update flow
(:mod:`~metarmc.living.flow`), render the search for re-running (:mod:`~metarmc.living.queries`)
and store, compare and cite versions (:mod:`~metarmc.living.releases`). This review's own
numbers for a release are collected by this review's :mod:`metarmc.review.release`.
"""

from .flow import UpdateFlow, update_flow
from .queries import Queries, last_search, search_queries
from .records import Imported, ImportProblem, Record, read_export
from .releases import Release, ReleaseDiff, diff, load_release, version_status, what_changed, write_release
from .screening import ImportReport, LogError, import_exports, record_decision

__all__ = ["ImportProblem", "ImportReport", "Imported", "LogError", "Queries", "Record", "Release", "ReleaseDiff",
           "UpdateFlow", "diff", "import_exports", "last_search", "load_release", "read_export", "record_decision",
           "search_queries", "update_flow", "version_status", "what_changed", "write_release"]
