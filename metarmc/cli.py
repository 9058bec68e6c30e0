"""Command line: ``python -m metarmc <command> [...]`` (or ``metarmc <command>`` once installed).

A command is one function ``name(args) -> exit status`` decorated with :func:`command`,
which names the subcommand after the function (``_`` becomes ``-``), takes its help from the
docstring's first line and its arguments from :func:`argument` specs. Parsing and text
output live here; the work is done by the package.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

from . import data
from .review.registry import OUTCOMES

Handler = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, tuple[Handler, tuple[tuple[tuple, dict], ...]]] = {}


def argument(*names: str, **options) -> tuple[tuple, dict]:
    """Spec of one command-line argument, as :meth:`argparse.ArgumentParser.add_argument` takes it."""
    return names, options


def command(*arguments: tuple[tuple, dict]) -> Callable[[Handler], Handler]:
    """Register the decorated function as the subcommand of the same name."""

    def register(handler: Handler) -> Handler:
        COMMANDS[handler.__name__.replace("_", "-")] = (handler, arguments)
        return handler

    return register


DATA_DIR = argument(
    "data_dir", nargs="?", type=Path, help="the data folder (default: found by metarmc.data.find_data_dir)"
)


@command(DATA_DIR)
def validate(args: argparse.Namespace) -> int:
    """Check every file of the data folder; print one line per problem."""
    data_dir = args.data_dir or data.find_data_dir()
    try:
        review = data.load(data_dir)
    except data.DataError as error:
        print("\n".join(map(str, error.problems)))
        print(f"{len(error.problems)} problem(s) in {data_dir}", file=sys.stderr)
        return 1
    name = Path(data_dir).resolve().name
    print(f"{name}/ is valid: {len(review.studies)} studies, {len(review.outcomes)} outcome rows")
    return 0


@command(DATA_DIR, argument("--json", action="store_true", help="print a JSON list instead of the text table"))
def audit(args: argparse.Namespace) -> int:
    """Print the paper's reported results beside ours, with every consistency flag (flags are findings: exit 0)."""
    from .audit import comparison_json, comparison_text
    from .review.audit import reproduced_vs_reported

    try:
        review = data.load(args.data_dir or data.find_data_dir())
    except data.DataError as error:
        print("\n".join(map(str, error.problems)), file=sys.stderr)
        return 1
    rows = reproduced_vs_reported(review)
    print(comparison_json(rows) if args.json else comparison_text(rows))
    return 0


@command(
    argument("analysis", choices=tuple(name for name, outcome in OUTCOMES.items() if outcome.measure == "OR")),
    DATA_DIR,
    argument("--json", action="store_true", help="print the surviving tables as a JSON list"),
    argument("--model", choices=("fixed", "random"), help="pool with this model (default: the printed one)"),
    argument("--max-candidates", type=int,
             help="candidates to test for the analysis, shared by its sets (exhaustive where they fit, else sampled)"),
    argument("--set", type=int, help="reconstruct only the set of this rank (default: the --top most plausible)"),
    argument("--top", type=int, default=3, help="how many of the most plausible sets to reconstruct"),
    argument("--relax", action="store_true", help="let studies with unknown counts have fewer patients than Table 1 n"),
    argument("--statistics", help="printed statistics to impose, e.g. estimate,ci (default: all printed)"),
    argument("--event-totals", help="printed total events IVIG/control, e.g. 26/10, imposed too"),
    argument("--limit", type=int, default=100, help="surviving tables to print (JSON) per set"),
    argument("--workers", type=int, help="processes (default: the CPUs available)"),
    argument("--seed", type=int, default=0, help="seed of a sampled search"),
)
def reconstruct(args: argparse.Namespace) -> int:
    """Which unreported per-study tables are compatible with what the paper printed (study sets, then tables)."""
    from . import forensics
    from .printed import PrintedResult

    try:
        review = data.load(args.data_dir or data.find_data_dir())
        sets = forensics.study_sets_for(review, args.analysis, args.relax)
        ranks = [args.set] if args.set else range(1, min(args.top, len(sets)) + 1)
        options = dict(model=args.model, max_candidates=args.max_candidates or forensics.ANALYSIS_BUDGET,
                       workers=args.workers, seed=args.seed,
                       statistics=statistics_arg(args.statistics) if args.statistics else None,
                       event_totals=event_totals_arg(args.event_totals) if args.event_totals else None)
        results = forensics.reconstruct_sets(review, args.analysis, sets, ranks, **options)
    except (data.DataError, ValueError) as error:
        print(error, file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([dict(set=rank, **record) for rank, result in results
                          for record in result.records(args.limit)], ensure_ascii=False, indent=1))
        for rank, result in results:
            search = "exhaustive" if result.exhaustive else "sampled"
            print(f"set {rank}: {result.n_survivors} surviving tables ({search}), "
                  f"{min(args.limit, len(result.survivors))} printed", file=sys.stderr)
        return 0
    print(f"{args.analysis}: printed {PrintedResult.from_row(review.reported_row(args.analysis))}")
    print(forensics.format_sets(sets))
    print("\n".join(forensics.format_reconstruction(rank, result) for rank, result in results))
    return 0


def event_totals_arg(text: str) -> tuple[int, int]:
    """``"26/10"`` -> ``(26, 10)``: printed total events in the IVIG and control arms."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match:
        raise ValueError(f"event totals must look like 26/10 (IVIG/control); got {text!r}")
    return int(match.group(1)), int(match.group(2))


def statistics_arg(text: str) -> tuple[str, ...]:
    """``"estimate,ci"`` -> ``("estimate", "ci")``, checked against :data:`metarmc.forensics.STATISTICS`."""
    from .forensics import STATISTICS

    names = tuple(name.strip() for name in text.split(",") if name.strip())
    bad = [name for name in names if name not in STATISTICS]
    if bad or not names:
        raise ValueError(f"statistics must be a comma list of {', '.join(STATISTICS)}; got {text!r}")
    return names


# --------------------------------------------------------------------------- living review (issue 15)
# Thin wrappers: the work is in metarmc.living (search update, screening log, releases).

DATA_DIR_OPTION = argument("--data-dir", type=Path, help="the data folder (default: found by find_data_dir)")


@command(
    argument("files", nargs="*", type=Path,
             help="export files: PubMed/MEDLINE (.nbib/.txt), RIS, ClinicalTrials.gov CSV"),
    DATA_DIR_OPTION,
    argument("--queries", action="store_true", help="print the update search for PubMed and ClinicalTrials.gov"),
    argument("--searched", help="the date the databases were searched (YYYY-MM-DD; default today)"),
    argument("--source", choices=data.SOURCES, help="the database of RIS records that do not say"),
)
def search_update(args: argparse.Namespace) -> int:
    """Append the records of search exports to data/screening.csv (duplicates marked), or print the queries."""
    from metarmc.living import commands

    return commands.search_update(args.files, data_dir=args.data_dir, queries=args.queries, searched=args.searched,
                             source=args.source)


@command(
    argument("record_id", help="the screening-log record, e.g. pubmed:25412569"),
    DATA_DIR_OPTION,
    argument("--title-abstract", choices=data.DECISIONS["title_abstract"], help="the title-abstract decision"),
    argument("--full-text", choices=data.DECISIONS["full_text"], help="the full-text decision"),
    argument("--reviewers", required=True, help="initials of the reviewers who agreed, e.g. AB,CD"),
    argument("--reason", default="", help="why (required for a full-text exclusion and with --resolve)"),
    argument("--date", help="date of the decision (YYYY-MM-DD; default today)"),
    argument("--study-id", default="", help="with a full-text inclusion: the studies.csv study it reports"),
    argument("--resolve", action="store_true", help="replace a different decision (a resolved disagreement)"),
)
def screen(args: argparse.Namespace) -> int:
    """Record a screening decision; a different decision already recorded is kept unless --resolve."""
    from metarmc.living import commands

    return commands.screen(args.record_id, title_abstract=args.title_abstract, full_text=args.full_text,
                      reviewers=args.reviewers, reason=args.reason, on=args.date, study_id=args.study_id,
                      resolve=args.resolve, data_dir=args.data_dir)


@command(
    argument("version", nargs="?", help="YYYY.N (default: the next one)"),
    DATA_DIR_OPTION,
    argument("--date", help="the release date (YYYY-MM-DD; default today)"),
    argument("--what-changed", action="store_true", help="only print what changed since the last release"),
)
def release(args: argparse.Namespace) -> int:
    """Write data/releases/VERSION.json with every number the book reports (never overwrites one)."""
    from metarmc.living import commands

    return commands.release(args.version, data_dir=args.data_dir, on=args.date, what_changed=args.what_changed)


# --------------------------------------------------------------------------- end of living review commands


def parser() -> argparse.ArgumentParser:
    """The argument parser with one subparser per registered command."""
    main_parser = argparse.ArgumentParser(prog="python -m metarmc", description="The living review's commands.")
    subparsers = main_parser.add_subparsers(dest="command", required=True)
    for name, (handler, arguments) in COMMANDS.items():
        summary = (handler.__doc__ or "").strip().splitlines()[0]
        subparser = subparsers.add_parser(name, help=summary, description=summary)
        for names, options in arguments:
            subparser.add_argument(*names, **options)
        subparser.set_defaults(handler=handler)
    return main_parser


def main(argv: list[str] | None = None) -> int:
    """Run the command named in ``argv`` (default ``sys.argv[1:]``) and return its exit status."""
    args = parser().parse_args(argv)
    return args.handler(args)
