"""Sphinx extension: one download that lets a reader rerun any chapter on their own machine.

At the end of an HTML build this writes ``_static/ivig-living-review.zip`` into the site: the
data (``data/``), the package (``metarmc/`` with ``pyproject.toml`` and the pinned
``requirements.txt``), the R references the methods course shows (``validation/``), each
chapter as its MyST source and as the executed notebook the site offers (``book/``), the
licences, and a ``RUN-ME.txt`` saying how to install and open a chapter. A chapter run from the
unpacked ``book/`` folder finds ``../data`` by itself (:func:`metarmc.data.find_data_dir`).

The archive is deterministic (sorted entries, a fixed timestamp), so an unchanged book gives
a byte-identical file. Enabled in ``_config.yml`` (``sphinx.local_extensions``).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from sphinx.util import logging

LOGGER = logging.getLogger(__name__)

BUNDLE = "ivig-living-review.zip"
#: Inside the archive everything sits under this folder.
TOP = "ivig-living-review"
#: Files and folders of the repository the bundle carries, besides the executed notebooks.
CONTENTS = ("README.md", "LICENSE", "pyproject.toml", "requirements.txt", "data", "metarmc", "validation",
            "book")
SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints"}
FIXED_TIME = (2020, 1, 1, 0, 0, 0)

RUN_ME = """\
The IVIG living review: data, code and chapters to rerun on your own machine.

1. Install (Python 3.11 or later):
       python3 -m venv .venv
       .venv/bin/pip install -r requirements.txt -e .
2. Open a chapter: the executed notebooks are in book/ (book/*.ipynb, with the outputs the
   website shows; book/*.md are the same chapters as MyST Markdown):
       cd book && ../.venv/bin/jupyter lab
   Run all cells: the chapter reads ../data and recomputes every number.
3. Change a data row in data/*.csv or a method in a chapter and rerun it. Check the data first:
       .venv/bin/python -m metarmc validate

The data are CC BY 4.0 (data/LICENSE), the code MIT (LICENSE).
"""


def repository_files(root: Path) -> list[tuple[Path, str]]:
    """(file, name in the archive) for everything in :data:`CONTENTS`, sorted."""
    files = []
    for entry in CONTENTS:
        path = root / entry
        found = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        files += [(p, f"{TOP}/{p.relative_to(root).as_posix()}") for p in found
                  if not SKIPPED_PARTS & set(p.parts) and p.suffix != ".pyc"]
    return files


def executed_notebooks(executed: Path) -> list[tuple[Path, str]]:
    """(notebook, name in the archive) for each chapter executed by the build."""
    return [(p, f"{TOP}/book/{p.name}") for p in sorted((executed / "book").glob("*.ipynb"))]


def write_bundle(target: Path, members: list[tuple[Path, str]]) -> None:
    """Write the archive, entries sorted and timestamped alike, plus ``RUN-ME.txt``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    entries = sorted([(name, path.read_bytes()) for path, name in members] + [(f"{TOP}/RUN-ME.txt", RUN_ME.encode())])
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)


def build_bundle(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    root = Path(app.srcdir)
    executed = Path(app.env.mystnb_config.output_folder)
    target = Path(app.outdir) / "_static" / BUNDLE
    members = repository_files(root) + executed_notebooks(executed)
    write_bundle(target, members)
    LOGGER.info(f"download bundle: {len(members) + 1} files in {target}")


def setup(app):
    app.connect("build-finished", build_bundle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
