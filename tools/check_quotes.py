"""Check that every quote in data/reported_facts.csv is in the paper's text (a plain-text copy).

    python tools/check_quotes.py PAPER.txt

Exit status 1, naming each row, when a quote is not found.
"""

import argparse
import sys
from pathlib import Path

import pandas as pd

from metarmc.audit.quotes import missing_quotes

FACTS = Path(__file__).resolve().parent.parent / "data" / "reported_facts.csv"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paper", type=Path, help="the paper as plain text")
    args = parser.parse_args(argv)
    facts = pd.read_csv(FACTS, dtype=str, keep_default_na=False)
    missing = missing_quotes(facts, args.paper.read_text(encoding="utf-8"))
    for i in missing:
        row = facts.iloc[i]
        print(f"{FACTS.name}:{i + 2}:quote: not in {args.paper.name}: {row['quote']!r} ({row['location']})")
    print(f"check-quotes: {len(facts) - len(missing)} of {len(facts)} quotes found in {args.paper.name}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
