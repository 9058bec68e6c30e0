"""Tables people can read: a DataFrame shown as an HTML table that wraps, never truncates, and stacks on a phone.

pandas' own HTML truncates long cells, repeats the index name as an empty header row and is
wider than a page. :func:`table` renders the frame's cells in full as a plain ``<table>`` with
the ``review-table`` class (styled by the book's ``_static/review.css``: wrapping text, the
text column's width, and below 600 px one card per row with each cell labelled by its column,
so no column is lost on a phone). Numeric columns are right-aligned; ``formats`` (column ->
format string or function) turns their values into text, else floats show six decimals. The
text representation, what a notebook's plain-text output and the golden copies hold, is the
frame itself, one cell per line, so a diff reads naturally.

Examples
--------
>>> import pandas as pd
>>> t = table(pd.DataFrame({"Outcome": ["Live birth"], "Certainty": ["Low"]}), key=("Outcome",))
>>> print(repr(t))
Outcome: Live birth
Certainty: Low
>>> 'data-label="Certainty"' in t._repr_html_()
True
>>> print(repr(table(pd.DataFrame({"study": ["A"], "OR": [1.234]}), formats={"OR": "{:.2f}"})))
study: A
OR: 1.23
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping

import pandas as pd

Format = str | Callable[[object], str]


class Table:
    """A frame to show: HTML for the book, plain text for the notebook and its golden copy."""

    def __init__(self, frame: pd.DataFrame, *, key: tuple[str, ...] = (), caption: str = "", compact: bool = False,
                 formats: Mapping[str, Format] | None = None):
        formats = dict(formats or {})
        missing = [c for c in (*key, *formats) if c not in frame.columns]
        if missing:
            raise ValueError(f"column(s) {', '.join(map(str, missing))} named in key or formats are not in the "
                             f"table; it has {', '.join(map(str, frame.columns))}")
        self.frame, self.key, self.caption, self.compact = frame.reset_index(drop=True), key, caption, compact
        self.formats = formats
        self.numeric = {c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])}

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
        tag = "th" if column in self.key else "td"
        attributes = (' scope="row"' if tag == "th" else "") + (' class="num"' if column in self.numeric else "")
        text = html.escape(self._text(column, value))
        return f'<{tag}{attributes} data-label="{html.escape(str(column))}">{text}</{tag}>'

    def _text(self, column, value) -> str:
        """A cell as text: empty when missing, else by its column's format (floats: six decimals)."""
        if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
            return ""
        shown = self.formats.get(column)
        if shown is None:
            return f"{value:.6f}" if isinstance(value, float) else str(value)
        return shown.format(value) if isinstance(shown, str) else str(shown(value))

    def __repr__(self) -> str:
        blocks = []
        for _, row in self.frame.iterrows():
            blocks.append("\n".join(f"{column}: {self._text(column, value)}" for column, value in row.items()))
        return (f"{self.caption}\n" if self.caption else "") + "\n\n".join(blocks)


def table(frame: pd.DataFrame, *, key: tuple[str, ...] = (), caption: str = "", compact: bool = False,
          formats: Mapping[str, Format] | None = None) -> Table:
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
    formats : mapping, optional
        Column -> format string (``"{:.2f}"``) or function giving a cell's text.
    """
    return Table(frame, key=key, caption=caption, compact=compact, formats=formats)
