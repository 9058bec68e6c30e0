"""Is every quote of the paper's statements (``data/reported_facts.csv``) really in the paper?

The paper's text is not part of the repository (copyright), so this check runs where a copy is at
hand (``make check-quotes PAPER=...``; CI runs it when the paper sits beside the clone), while
its logic is tested on a made-up text.

A quote matches when it appears in the text once runs of whitespace are made single spaces,
either as printed or with words hyphenated across a line break joined again ("infe-\\n\\nrior"
-> "inferior"). A Table 1 row is quoted as ``"label | n"`` and must appear as the start of a
line of the table's tab-separated cells, ``label<TAB>n<TAB>``.

>>> import pandas as pd
>>> text = "Results were infe-\\n\\nrior.\\nCarp 2001\\t151\\t41\\n"
>>> facts = pd.DataFrame({"quantity": ["wording", "study_n", "wording"],
...                       "quote": ["were inferior", "Carp 2001 | 151", "were superior"]})
>>> missing_quotes(facts, text)
[2]
"""

import re

import pandas as pd

TABLE_QUANTITY = "study_n"
_LINE_END_HYPHEN = re.compile(r"(\w)-\s*\n\s*(\w)")


def _spaced(text: str) -> str:
    return " ".join(text.split())


def quote_in(quote: str, quantity: str, paper_text: str) -> bool:
    """Whether one quote is in the paper's text (see the module's matching rules)."""
    if quantity == TABLE_QUANTITY:
        label, n = quote.split(" | ")
        return f"\n{label}\t{n}\t" in f"\n{paper_text}"
    joined = _LINE_END_HYPHEN.sub(r"\1\2", paper_text)
    return quote in _spaced(paper_text) or quote in _spaced(joined)


def missing_quotes(facts: pd.DataFrame, paper_text: str) -> list[int]:
    """Rows of ``facts`` (counted from 0) whose ``quote`` is not in ``paper_text``."""
    return [i for i, row in enumerate(facts.itertuples())
            if not quote_in(row.quote, row.quantity, paper_text)]
