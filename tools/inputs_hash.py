#!/usr/bin/env python3
"""Fingerprint the inputs of the book's outputs that jupyter-cache cannot see.

jupyter-cache re-executes a chapter only when its code (or kernel) changes; a chapter's outputs
also depend on the data in ``data/``, on the ``metarmc`` package, on the pinned R reference
values the methods course shows (``validation/metafor/``), on the pinned libraries
(``requirements.txt``), on the execution settings (``_config.yml``), on how the chapters are executed
(``tools/execute_book.py``, ``tools/warm_kernel.py``) and on any other file under
``book/`` a chapter might read. This prints one SHA-256 over every file under those paths
(relative path and content; ``__pycache__`` and ``*.pyc`` left out), so the Makefile can clear
the execution cache, and every chapter is run again, when one of them changes.

The chapters themselves (``book/*.md``) are left out: jupyter-cache keys on their code, so a
prose-only edit re-reads the chapter from the cache and a code edit re-executes that chapter
alone. (myst-nb 1.4 writes a chapter served from the cache as a download notebook without
outputs; ``tools/sphinx_executed_notebooks.py`` puts them back.)

    python tools/inputs_hash.py                    # print the hash
    python tools/inputs_hash.py --check FILE       # exit 0 if FILE holds the current hash, 1 if not
    python tools/inputs_hash.py --write FILE       # store the current hash in FILE
    python tools/inputs_hash.py --root DIR [PATH ...]   # other root / folders (default: see DEFAULT_PATHS)
    python tools/inputs_hash.py --everything --check FILE   # every file the site is built from, chapters too

``--everything`` lets ``make book`` skip the whole build when no file has changed since the last
successful one (Sphinx alone takes a few seconds to find that out).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

DEFAULT_PATHS = ("data", "metarmc", "book", "validation/metafor", "_config.yml", "requirements.txt",
                 "tools/execute_book.py", "tools/warm_kernel.py")
SKIP_DIRS = {"__pycache__"}
SKIP_SUFFIXES = {".pyc", ".pyo"}
SKIP_GLOBS = ("book/*.md",)  # the chapters: jupyter-cache sees their code
#: What ``--everything`` leaves out: version control, environments, build output and caches.
NOT_SOURCES = {".git", ".venv", "_build", ".pytest_cache", ".hypothesis", ".ruff_cache", "__pycache__"}


def iter_files(root: Path, paths, skip_globs=SKIP_GLOBS) -> list[Path]:
    files = []
    for rel in paths:
        base = root / rel
        if base.is_file():
            files.append(base)
            continue
        for p in base.rglob("*"):
            rel = p.relative_to(root)
            if p.is_file() and not (SKIP_DIRS & set(rel.parts)) and p.suffix not in SKIP_SUFFIXES \
                    and not any(rel.match(glob) for glob in skip_globs):
                files.append(p)
    return sorted(set(files), key=lambda p: p.relative_to(root).as_posix())


def every_source(root: Path) -> list[str]:
    """Every top-level file and folder of the repository but :data:`NOT_SOURCES` and ``*.egg-info``."""
    return sorted(p.name for p in Path(root).iterdir()
                  if p.name not in NOT_SOURCES and not p.name.endswith(".egg-info"))


def inputs_hash(root: Path | str = ".", paths=DEFAULT_PATHS, skip_globs=SKIP_GLOBS) -> str:
    root = Path(root)
    total = hashlib.sha256()
    for p in iter_files(root, paths, skip_globs):
        data = p.read_bytes()
        total.update(p.relative_to(root).as_posix().encode("utf8") + b"\0")
        total.update(str(len(data)).encode() + b"\0")
        total.update(hashlib.sha256(data).digest())
    # A folder that does not exist counts as empty, but by name, so creating it changes the hash.
    for rel in paths:
        total.update(b"%s:%d\n" % (str(rel).encode("utf8"), (root / rel).exists()))
    return total.hexdigest()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="*", default=list(DEFAULT_PATHS),
                    help="folders or files, relative to --root (default: DEFAULT_PATHS)")
    ap.add_argument("--root", default=Path(__file__).resolve().parents[1], type=Path,
                    help="repository root (default: this script's parent's parent)")
    ap.add_argument("--everything", action="store_true",
                    help="every file of the repository, chapters included (what the whole site is built from)")
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--check", metavar="FILE", type=Path,
                       help="exit 1 if FILE is missing or holds another hash")
    group.add_argument("--write", metavar="FILE", type=Path, help="write the hash to FILE")
    args = ap.parse_args(argv)

    current = (inputs_hash(args.root, every_source(args.root), skip_globs=()) if args.everything
               else inputs_hash(args.root, args.paths))
    if args.check is not None:
        try:
            recorded = args.check.read_text().strip()
        except FileNotFoundError:
            print(f"inputs_hash: no recorded hash in {args.check}", file=sys.stderr)
            return 1
        if recorded != current:
            print(f"inputs_hash: {' '.join(map(str, args.paths))} changed since {args.check} "
                  "was written", file=sys.stderr)
            return 1
        return 0
    if args.write is not None:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.write.with_name(args.write.name + ".tmp")
        tmp.write_text(current + "\n")
        tmp.replace(args.write)
        return 0
    print(current)
    return 0


if __name__ == "__main__":
    sys.exit(main())
