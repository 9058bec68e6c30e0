"""Tables people can read: a DataFrame shown as an HTML table that wraps, never truncates, and stacks on a phone.

pandas' own HTML truncates long cells, repeats the index name as an empty header row and is
wider than a page. :func:`table` renders the frame's cells in full as a plain ``<table>`` with
the ``review-table`` class (styled by the book's ``_static/review.css``: wrapping text, the
text column's width, and below 600 px one card per row with each cell labelled by its column,
so no column is lost on a phone). The text representation, what a notebook's plain-text output
and the golden copies hold, is the frame itself, one cell per line, so a diff reads naturally.

Examples
--------
>>> import pandas as pd
>>> t = table(pd.DataFrame({"Outcome": ["Live birth"], "Certainty": ["Low"]}), key=("Outcome",))
>>> print(repr(t))
Outcome: Live birth
Certainty: Low
>>> 'data-label="Certainty"' in t._repr_html_()
True
"""

from __future__ import annotations

import html

import pandas as pd


class Table:
    """A frame to show: HTML for the book, plain text for the notebook and its golden copy."""

    def __init__(self, frame: pd.DataFrame, *, key: tuple[str, ...] = (), caption: str = "", compact: bool = False):
        missing = [c for c in key if c not in frame.columns]
        if missing:
            raise ValueError(f"key column(s) {', '.join(missing)} not in the table; it has {', '.join(frame.columns)}")
        self.frame, self.key, self.caption, self.compact = frame.reset_index(drop=True), key, caption, compact

    def _repr_html_(self) -> str:
        classes = "review-table" + (" compact" if self.compact else "")
        head = "".join(f'<th scope="col">{html.escape(str(c))}</th>' for c in self.frame.columns)
        rows = []
        for _, row in self.frame.iterrows():
            cells = "".join(self._cell(column, value) for column, value in row.items())
            rows.append(f"<tr>{cells}</tr>")
        caption = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        return (f'<div class="review-table-wrap"><table class="{classes}">{caption}<thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(rows)}</tbody></table></div>")

    def _cell(self, column, value) -> str:
        text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
        tag = "th" if column in self.key else "td"
        scope = ' scope="row"' if tag == "th" else ""
        return f'<{tag}{scope} data-label="{html.escape(str(column))}">{html.escape(text)}</{tag}>'

    def __repr__(self) -> str:
        blocks = []
        for _, row in self.frame.iterrows():
            blocks.append("\n".join(f"{column}: {'' if pd.isna(value) else value}" for column, value in row.items()))
        return (f"{self.caption}\n" if self.caption else "") + "\n\n".join(blocks)


def table(frame: pd.DataFrame, *, key: tuple[str, ...] = (), caption: str = "", compact: bool = False) -> Table:
    """Show ``frame`` as a readable table (see the module docstring).

    Parameters
    ----------
    frame : DataFrame
        What to show, with the column names a reader sees (the index is not shown).
    key : tuple of str
        Columns that name a row (row headers; on a phone, the card's title).
    caption : str
        A caption above the table.
    compact : bool
        Smaller type, for wide reference tables.
    """
    return Table(frame, key=key, caption=caption, compact=compact)
