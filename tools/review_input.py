"""The review's own study tables, for R: what the metafor cases on this review's data are run on.

The methods course shows, beside each ``metarmc`` call on the live-birth studies, the metafor
call that computes the same on the same studies. Those R results are pinned in
``validation/metafor/reference.json`` (cases ``livebirth_*``) like every other reference case, so
R's input must be exactly what ``data/`` gives today. This module is that one definition:
``make_reference.R`` reads the JSON it writes, and ``tests/test_metafor_reference.py`` checks that
the pinned input still equals :func:`review_tables` (a data change then says to regenerate).

Run from the repository root, before ``Rscript validation/metafor/make_reference.R``::

    .venv/bin/python tools/review_input.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "validation" / "metafor" / "review_input.json"
COLUMNS = ("study", "events_t", "total_t", "events_c", "total_c")


def review_tables() -> dict[str, dict]:
    """Each table R is given: a description, and its columns as lists (one entry per study).

    ``livebirth_paper`` is the paper's pool of live-birth studies as the data give it (the
    reproduction); ``livebirth_trials`` the analysis plan's randomised, placebo-controlled trials
    with the plan's denominators.
    """
    sys.path.insert(0, str(ROOT))
    from metarmc import load, primary_table

    review = load(ROOT / "data")
    tables = {
        "livebirth_paper": ("the paper's live-birth studies as data/ gives them",
                            review.binary("live_birth")),
        "livebirth_trials": ("the analysis plan's randomised, placebo-controlled trials of live birth in data/",
                             primary_table(review, "live_birth")),
    }
    return {name: {"dataset": dataset,
                   "input": {column: [value if column == "study" else int(value) for value in table[column]]
                             for column in COLUMNS}}
            for name, (dataset, table) in tables.items()}


def main() -> int:
    OUTPUT.write_text(json.dumps(review_tables(), indent=1, ensure_ascii=False) + "\n", encoding="utf8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
