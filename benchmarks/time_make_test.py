#!/usr/bin/env python3
"""Where the time of `make test` goes: the book's build, then pytest by kind of test.

    python benchmarks/time_make_test.py [--jobs N] [--cold] [--skip-build] [PYTEST_ARGS ...]

Runs ``make book`` (after removing ``_build/`` with ``--cold``, i.e. a first build: every chapter
executed), then the pytest command of ``make test`` (``-n JOBS``) with this file as a plugin that
records how long each test took (setup, call and teardown: a chapter's kernel starts in the setup
of its first cell). Prints the build's wall time (and of it, the parallel execution of the
chapters), pytest's wall time, and for each kind of test (the chapters against their golden copies,
the unit tests, the book machinery, the built site, the docstring examples) how many ran and the
seconds they took summed over the workers (on N workers the wall time is about that sum / N).
The slowest tests close the report. Installs are not timed: run ``make install`` first.

On a busy machine the absolute times say little: compare the shares within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORD = "TEST_TIMES_RECORD"  # where the plugin half of this file writes the durations
KINDS = (  # (kind, does a nodeid belong to it), first match wins
    ("nbval: chapters vs golden", lambda nodeid: nodeid.startswith("book/")),
    ("site: built site, Chromium", lambda nodeid: nodeid.startswith("tests/test_site.py")),
    ("book machinery", lambda nodeid: nodeid.startswith("tests/test_book_infra.py")),
    ("doctests", lambda nodeid: nodeid.startswith("metarmc/")),
    ("unit: engine, data, review", lambda nodeid: True),
)


# --------------------------------------------------------------------------- the pytest plugin
_durations: dict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report):
    """Runs in the pytest process (with xdist, in the controller, which gets every worker's reports)."""
    _durations[report.nodeid] += report.duration


def pytest_sessionfinish(session):
    target = os.environ.get(RECORD)
    if target and not hasattr(session.config, "workerinput"):  # the controller, not a worker
        Path(target).write_text(json.dumps(_durations))


# --------------------------------------------------------------------------- the report
def kind_of(nodeid: str) -> str:
    return next(kind for kind, belongs in KINDS if belongs(nodeid))


def timed(command: list[str], env: dict | None = None) -> tuple[float, str]:
    start = time.monotonic()
    proc = subprocess.run(command, cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    seconds = time.monotonic() - start
    if proc.returncode not in (0, 1):  # 1: some test failed, still worth the report
        sys.stdout.write(proc.stdout[-3000:])
        raise SystemExit(f"time_make_test: {' '.join(command)} exited {proc.returncode}")
    return seconds, proc.stdout


def report(build: tuple[float, str] | None, pytest_wall: float, summary: str,
           durations: dict[str, float], jobs: int) -> str:
    lines = []
    if build is not None:
        seconds, output = build
        executed = re.search(r"execute_book: (\d+) executed, \d+ failed in ([\d.]+) s", output)
        detail = (f" (of which {executed.group(2)} s executing {executed.group(1)} chapters, "
                  f"{jobs} at a time)" if executed else " (every chapter from the cache)")
        lines.append(f"build (make book)        {seconds:7.1f} s wall{detail}")
    lines.append(f"pytest (-n {jobs})            {pytest_wall:7.1f} s wall: {summary}")
    total = sum(durations.values())
    by_kind: dict[str, list[float]] = defaultdict(list)
    for nodeid, seconds in durations.items():
        by_kind[kind_of(nodeid)].append(seconds)
    lines.append(f"  {'kind':28} {'tests':>6} {'seconds':>9} {'share':>6}   (seconds summed over workers)")
    for kind, _ in KINDS:
        times = by_kind.get(kind, [])
        share = 100 * sum(times) / total if total else 0
        lines.append(f"  {kind:28} {len(times):6d} {sum(times):9.1f} {share:5.0f}%")
    lines.append(f"  {'all':28} {len(durations):6d} {total:9.1f}")
    lines.append("slowest tests:")
    for nodeid, seconds in sorted(durations.items(), key=lambda item: -item[1])[:12]:
        lines.append(f"  {seconds:7.1f} s  {nodeid}")
    if build is not None:
        lines.append(f"make test ~ {build[0] + pytest_wall:.0f} s wall (build + pytest)")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)), help="as make's JOBS")
    ap.add_argument("--cold", action="store_true", help="remove _build/ first: a first build")
    ap.add_argument("--skip-build", action="store_true", help="time pytest only, on the site as built")
    ap.add_argument("pytest_args", nargs="*", help="more pytest arguments (after --)")
    args = ap.parse_args(argv)

    build = None
    if not args.skip_build:
        if args.cold:
            shutil.rmtree(ROOT / "_build", ignore_errors=True)
        build = timed(["make", "--no-print-directory", "book", f"JOBS={args.jobs}"])
    with tempfile.TemporaryDirectory() as tmp:
        record = Path(tmp) / "durations.json"
        env = dict(os.environ, **{RECORD: str(record)})
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).parent), env.get("PYTHONPATH")]))
        wall, output = timed([str(ROOT / ".venv" / "bin" / "python"), "-m", "pytest", "-n", str(args.jobs),
                              "-p", Path(__file__).stem, "-q", "-p", "no:cacheprovider", *args.pytest_args],
                             env=env)
        durations = json.loads(record.read_text()) if record.is_file() else {}
    summary = next((line.strip("= ") for line in reversed(output.splitlines())
                    if re.search(r"\d+ (passed|failed)", line)), "no summary line")
    print(report(build, wall, summary, durations, args.jobs))
    return 0 if " failed" not in summary and "error" not in summary else 1


if __name__ == "__main__":
    sys.exit(main())
