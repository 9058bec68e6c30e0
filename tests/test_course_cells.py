"""A student can run what a methods-course chapter shows.

The course chapters (``book/m*.md``) show their lesson code (``hide-input`` cells fold it, they
do not remove it) and remove the cells that only glue numbers into the prose. A shown cell that
uses a name only a removed cell defines cannot be run by someone who copies what the page shows,
and a loop variable that leaks into a later shown cell silently changes what that cell computes.
The first is checked here for every chapter; reading names from the code, not running it.
"""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import pytest

from conftest import read_chapter

ROOT = Path(__file__).resolve().parents[1]
COURSE = sorted((ROOT / "book").glob("m*.md"))
HIDDEN = {"remove-cell", "remove-input"}


def defined_and_used(source: str) -> tuple[set[str], set[str]]:
    """Names a cell binds (assignments, imports, functions, arguments) and names it reads.

    >>> sorted(map(sorted, defined_and_used("import numpy as np\\nx = np.log(y)")))
    [['np', 'x'], ['np', 'y']]
    """
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    defined, used = set(), set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Name):
            (defined if isinstance(node.ctx, ast.Store) else used).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
    return defined, used


def names_from_removed_cells(md_path: Path) -> list[tuple[int, list[str]]]:
    """(cell number, names) for each shown cell that reads a name only removed cells define."""
    shown, removed, found = set(dir(builtins)), set(), []
    cells = [cell for cell in read_chapter(md_path).cells if cell.cell_type == "code"]
    for number, cell in enumerate(cells, start=1):
        defined, used = defined_and_used(cell.source)
        if HIDDEN & set(cell.metadata.get("tags", [])):
            removed |= defined
            continue
        missing = sorted((used - defined - shown) & removed)
        if missing:
            found.append((number, missing))
        shown |= defined
    return found


def test_the_course_has_chapters():
    assert len(COURSE) >= 15, [path.name for path in COURSE]


@pytest.mark.parametrize("md_path", COURSE, ids=lambda path: path.stem)
def test_shown_cells_need_no_removed_cell(md_path):
    assert names_from_removed_cells(md_path) == [], (
        f"{md_path.name}: these shown code cells (numbered among the code cells) read names that only a removed "
        "cell defines; define them in a shown cell so the page runs as shown")


def test_a_name_from_a_removed_cell_is_found(tmp_path):
    chapter = tmp_path / "m99-example.md"
    chapter.write_text("# Example\n\n```{code-cell} ipython3\n:tags: [remove-cell]\n\nk = 3\n```\n\n"
                       "```{code-cell} ipython3\nprint(k + 1)\n```\n", encoding="utf8")
    assert names_from_removed_cells(chapter) == [(2, ["k"])]
