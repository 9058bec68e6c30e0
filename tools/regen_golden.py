#!/usr/bin/env python3
"""Regenerate the golden outputs: execute each chapter and write ``tests/golden/NAME.ipynb``.

Each ``book/NAME.md`` chapter (a MyST notebook) is read as jupyter-book reads it, executed
top to bottom in a fresh kernel of this Python environment with ``book/`` as the working
directory (as jupyter-book and the nbval tests run it), and written to
``tests/golden/NAME.ipynb``. Image data is dropped from the copy: the tests never compare
images, and the diff of a golden copy should be readable. Run it on purpose (``make golden``)
and read ``git diff tests/golden`` before committing: every changed number is a changed result.

    python tools/regen_golden.py                 # all chapters
    python tools/regen_golden.py book/01-introduction.md
    python tools/regen_golden.py --root DIR      # another checkout / copy of the book
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE))

import nbformat  # noqa: E402
from jupyter_client.manager import KernelManager  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbval.kernel import CURRENT_ENV_KERNEL_NAME, NbvalKernelspecManager  # noqa: E402

from conftest import IMAGE_KEYS, chapters, golden_path, is_chapter, read_chapter  # noqa: E402


def execute(md_path: Path, timeout: int) -> nbformat.NotebookNode:
    nb = read_chapter(md_path)
    km = KernelManager(kernel_name=CURRENT_ENV_KERNEL_NAME,
                       kernel_spec_manager=NbvalKernelspecManager())
    client = NotebookClient(
        nb,
        km=km,
        timeout=timeout,
        allow_errors=False,
        record_timing=False,
        resources={"metadata": {"path": str(md_path.parent)}},  # cwd = book/
    )
    try:
        client.execute()
    finally:  # we own the kernel manager, so nbclient leaves the kernel running
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"  # stable ids: myst-nb makes random ones, which churn the diff
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            data = out.get("data")
            if data:
                for key in IMAGE_KEYS:
                    data.pop(key, None)
    nb.metadata.pop("source_map", None)
    return nb


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("chapters", nargs="*", type=Path, help="book/*.md files (default: all)")
    ap.add_argument("--root", type=Path, default=HERE, help="book root (default: this repo)")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per cell (default 300)")
    args = ap.parse_args(argv)

    todo = [p.resolve() for p in args.chapters] or chapters(args.root)
    bad = [p for p in todo if not is_chapter(p)]
    if bad:
        print("not a book/*.md notebook chapter: " + ", ".join(map(str, bad)), file=sys.stderr)
        return 2
    if not todo:
        print(f"no chapters found in {args.root / 'book'}", file=sys.stderr)
        return 1
    for md in todo:
        t0 = time.monotonic()
        nb = execute(md, args.timeout)
        out = golden_path(md)
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(out))
        print(f"{md.name} -> {out} ({time.monotonic() - t0:.1f} s)")

    # Golden copies whose chapter is gone would silently test nothing: name them.
    names = {p.stem for p in chapters(args.root)}
    for g in sorted((args.root / "tests" / "golden").glob("*.ipynb")):
        if g.stem not in names:
            print(f"warning: {g} has no chapter book/{g.stem}.md; delete it", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
