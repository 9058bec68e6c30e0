"""Command line: ``python -m metarmc <command> [...]``.

A command is one function ``name(args) -> exit status`` decorated with :func:`command`,
which names the subcommand after the function, takes its help from the docstring's first
line and its arguments from :func:`argument` specs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from metarmc import data

Handler = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, tuple[Handler, tuple[tuple[tuple, dict], ...]]] = {}


def argument(*names: str, **options) -> tuple[tuple, dict]:
    """Spec of one command-line argument, as :meth:`argparse.ArgumentParser.add_argument` takes it."""
    return names, options


def command(*arguments: tuple[tuple, dict]) -> Callable[[Handler], Handler]:
    """Register the decorated function as the subcommand of the same name."""

    def register(handler: Handler) -> Handler:
        COMMANDS[handler.__name__] = (handler, arguments)
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
    from metarmc.audit import comparison_json, comparison_text, reproduced_vs_reported

    try:
        review = data.load(args.data_dir or data.find_data_dir())
    except data.DataError as error:
        print("\n".join(map(str, error.problems)), file=sys.stderr)
        return 1
    rows = reproduced_vs_reported(review)
    print(comparison_json(rows) if args.json else comparison_text(rows))
    return 0


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


if __name__ == "__main__":
    sys.exit(main())
