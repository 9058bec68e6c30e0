"""The book's build and test machinery: golden outputs, nbval over MyST chapters, cache keys.

These tests work on copies of the book in a temporary folder, never on the repository. Those
that run chapters (nbval, tools/regen_golden.py) are marked ``book``: `make check` leaves them out.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "05-live-birth"  # the chapter of the reproduction: it shows the pooled live-birth result
TIMEOUT = 600

IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "_build", ".ipynb_checkpoints")


def copy_book(dest: Path, *extra: str) -> Path:
    """Copy what `pytest book --nbval` needs (plus `extra` paths) into dest.

    The methods course (book/course.py) reads the pinned R references of validation/metafor.
    """
    for rel in ("book", "tests/golden", "data", "validation/metafor", *extra):
        shutil.copytree(ROOT / rel, dest / rel, ignore=IGNORE)
    shutil.copy2(ROOT / "conftest.py", dest / "conftest.py")
    return dest


def run(args, cwd: Path, timeout: int = TIMEOUT) -> subprocess.CompletedProcess:
    # METARMC_DATA would point metarmc.find_data_dir away from the copy's data/
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PYTEST_") and k != "METARMC_DATA"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def run_nbval(root: Path, target: str = f"book/{CHAPTER}.md", quiet: str = "-q") -> subprocess.CompletedProcess:
    """pytest --nbval on ``target`` of the copy at ``root`` (``quiet=""`` shows the report header)."""
    return run(
        [sys.executable, "-m", "pytest", str(root / target), "--nbval", "-p", "no:cacheprovider",
         "--rootdir", str(root), "--color=no", *filter(None, [quiet])],
        cwd=root,
    )


def output(proc: subprocess.CompletedProcess) -> str:
    return proc.stdout + proc.stderr


def golden_text(root: Path) -> str:
    nb = nbformat.read(str(root / "tests" / "golden" / f"{CHAPTER}.ipynb"), as_version=4)
    return nbformat.writes(nb)


def add_one_live_birth(data_dir: Path, study_id: str = "christiansen2015") -> None:
    """One more live birth in the IVIG arm of a study's main live-birth row in outcomes.csv."""
    path = data_dir / "outcomes.csv"
    rows = list(csv.DictReader(path.open(newline="", encoding="utf8")))
    (row,) = [r for r in rows if (r["study_id"], r["outcome"], r["main"]) == (study_id, "live_birth", "yes")]
    row["events_t"] = str(int(row["events_t"]) + 1)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf8")


def live_birth_text(data_dir: Path) -> str:
    """The pooled live-birth result as the introduction glues it, computed from data_dir."""
    from metarmc import formatting, load, reproduce

    return formatting.effect(reproduce(load(data_dir), "live_birth").result)


# --------------------------------------------------------------------------- (a) mutation proof
@pytest.mark.slow
@pytest.mark.book
def test_unchanged_copy_passes_nbval(tmp_path):
    """The chapter run in a new kernel passes; a build whose inputs changed since is not trusted."""
    root = copy_book(tmp_path, "tools")
    _fake_build(root, edit=lambda text: text.replace(live_birth_text(root / "data"), "9.99 [0.01, 99.99]"))
    (root / "book" / "notes.txt").write_text("an input of the chapters changed since the build\n")
    proc = run_nbval(root, quiet="")
    assert proc.returncode == 0, output(proc)
    assert re.search(r"\b\d+ passed\b", proc.stdout) and "compared from its execution" not in proc.stdout, \
        output(proc)


@pytest.mark.slow
@pytest.mark.book
def test_changed_data_value_fails_nbval(tmp_path):
    """One trial count changed in data/ must make the golden comparison fail, showing the new result."""
    root = copy_book(tmp_path)
    old = live_birth_text(root / "data")
    add_one_live_birth(root / "data")
    new = live_birth_text(root / "data")
    assert old != new and old in golden_text(root), (
        f"the golden copy of {CHAPTER} no longer shows the pooled live-birth result {old!r}: "
        "point this test at a value a chapter displays"
    )
    proc = run_nbval(root)
    assert proc.returncode == 1, output(proc)
    assert "Cell outputs differ" in proc.stdout, output(proc)
    assert new in proc.stdout, output(proc)


# --------------------------------------------------------------------------- (b) golden checks
def _edit_golden(root: Path, how: str) -> None:
    gpath = root / "tests" / "golden" / f"{CHAPTER}.ipynb"
    if how == "missing":
        gpath.unlink()
        return
    nb = nbformat.read(str(gpath), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    if how == "stale":
        code[-1].source += "\nprint('an edit the chapter does not have')"
    elif how == "extra-cell":
        nb.cells.append(nbformat.v4.new_code_cell("1 + 1", execution_count=99))
    elif how == "unexecuted":
        for c in code:
            c.outputs, c.execution_count = [], None
    nbformat.write(nb, str(gpath))


@pytest.mark.book
@pytest.mark.parametrize(
    "how, word",
    [("missing", "missing"), ("stale", "stale"), ("extra-cell", "stale"),
     ("unexecuted", "unexecuted")],
)
def test_unusable_golden_fails_with_regenerate_message(tmp_path, how, word):
    root = copy_book(tmp_path)
    _edit_golden(root, how)
    proc = run_nbval(root)
    assert proc.returncode == 1, output(proc)
    assert f"golden copy {word}" in proc.stdout, output(proc)
    assert "regenerate with `make golden`" in proc.stdout, output(proc)
    # one failing check stands in for the cells: no kernel, no cell items
    assert "1 failed" in proc.stdout and "Cell 0" not in proc.stdout, output(proc)
    if how == "stale":
        assert "an edit the chapter does not have" in proc.stdout  # the diff is shown


@pytest.mark.book
def test_plain_markdown_is_not_a_chapter(tmp_path):
    root = copy_book(tmp_path)
    (root / "book" / "notes.md").write_text("# Notes\n\nNo code here.\n")
    proc = run(
        [sys.executable, "-m", "pytest", str(root / "book"), "--nbval", "-p", "no:cacheprovider",
         "--rootdir", str(root), "--collect-only", "-q"],
        cwd=root,
    )
    assert proc.returncode == 0, output(proc)
    assert "notes.md" not in proc.stdout
    assert f"book/{CHAPTER}.md::Cell 0" in proc.stdout


@pytest.mark.slow
@pytest.mark.book
def test_regenerated_golden_passes_and_is_stable(tmp_path):
    """tools/regen_golden.py writes what is committed (so the nbval check accepts it, as it accepts the committed copy).

    Shown on one chapter: every chapter's golden copy is compared with a fresh execution by the
    nbval run of `make test` already, so regenerating them all here would only repeat that.
    """
    root = copy_book(tmp_path)
    gpath = root / "tests" / "golden" / f"{CHAPTER}.ipynb"
    committed = gpath.read_text()
    gpath.unlink()
    regen = [sys.executable, str(ROOT / "tools" / "regen_golden.py"), "--root", str(root),
             str(root / "book" / f"{CHAPTER}.md")]
    proc = run(regen, cwd=root)
    assert proc.returncode == 0, output(proc)
    first = gpath.read_text()

    def cells(text):  # what the tests compare; notebook metadata names the Python version
        nb = nbformat.reads(text, as_version=4)
        return [(c.source, c.outputs) for c in nb.cells if c.cell_type == "code"]

    assert cells(first) == cells(committed), (
        f"tests/golden/{CHAPTER}.ipynb is not what `make golden` writes now: regenerate it"
    )
    assert "image/png" not in first
    # nbval compares exactly these cells: they are the committed copy's, which test_unchanged_copy_passes_nbval
    # shows a new kernel reproduces (running the chapter once more here would repeat that)


def _fake_build(root: Path, edit=lambda text: text) -> None:
    """What `make book` leaves in _build/ for CHAPTER: its executed notebook in the execution cache (here the
    golden copy's outputs, passed through ``edit``, stand in for an execution) and the inputs' hash."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    sys.path.insert(0, str(root))
    try:
        import conftest as book_conftest
    finally:
        sys.path.remove(str(root))
    nb, problem = book_conftest.merge_golden(root / "book" / f"{CHAPTER}.md")
    assert problem is None, problem
    nb = nbformat.reads(edit(nbformat.writes(nb)), as_version=4)
    get_cache(root / "_build" / ".jupyter_cache").cache_notebook_bundle(
        CacheBundleIn(nb, str(root / "book" / f"{CHAPTER}.md")), check_validity=False)
    proc = run([*HASH, "--root", str(root), "--write", str(root / "_build" / ".inputs.sha256")], cwd=root)
    assert proc.returncode == 0, output(proc)


@pytest.mark.book
def test_nbval_compares_the_builds_execution_when_it_is_current(tmp_path):
    """After `make book`, nbval compares the outputs the build's execution stored instead of running the
    chapter again: an output changed there fails the comparison, showing it; --nbval-execute runs the chapter."""
    root = copy_book(tmp_path, "tools")
    shown = live_birth_text(root / "data")
    assert shown in golden_text(root), f"{CHAPTER}'s golden copy no longer shows {shown!r}: point this test elsewhere"
    _fake_build(root, edit=lambda text: text.replace(shown, "9.99 [0.01, 99.99]"))
    proc = run_nbval(root, quiet="")
    assert proc.returncode == 1, output(proc)
    assert "compared from its execution" in proc.stdout and "Cell outputs differ" in proc.stdout, output(proc)
    assert "9.99 [0.01, 99.99]" in proc.stdout, output(proc)


@pytest.mark.book
def test_a_current_build_that_matches_the_golden_copy_passes(tmp_path):
    root = copy_book(tmp_path, "tools")
    _fake_build(root)
    proc = run_nbval(root, quiet="")
    assert proc.returncode == 0 and "compared from its execution" in proc.stdout, output(proc)
    assert re.search(r"\b\d+ passed\b", proc.stdout), output(proc)


def test_images_are_not_compared_and_addresses_are_masked():
    sys.path.insert(0, str(ROOT))
    try:
        import conftest as book_conftest
    finally:
        sys.path.remove(str(ROOT))
    from nbval.plugin import get_sanitize_patterns

    for key in ("image/png", "image/svg+xml", "application/papermill.record/image/png"):
        assert key in book_conftest.IMAGE_KEYS
    patterns = get_sanitize_patterns((ROOT / "tests" / "golden" / "sanitize.cfg").read_text())
    def sanitize(text):
        for regex, replace in patterns:
            text = re.sub(regex, replace, text)
        return text

    assert sanitize("<matplotlib.lines.Line2D at 0x7f3a2b1c0d90>") == (
        "<matplotlib.lines.Line2D at 0xADDRESS>"
    )
    # a warning names the cell's file after the kernel's pid
    assert sanitize("/tmp/ipykernel_10882/2602298445.py:2: UserWarning: careful") == (
        sanitize("/tmp/ipykernel_4411/2602298445.py:2: UserWarning: careful")
    )
    assert sanitize("estimate 2.24") == "estimate 2.24"  # numbers are left alone


# --------------------------------------------------------------------------- (c) inputs hash
HASH = [sys.executable, str(ROOT / "tools" / "inputs_hash.py")]


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "data" / "sub").mkdir(parents=True)
    (tmp_path / "data" / "a.csv").write_text("x,y\n1,2\n")
    (tmp_path / "data" / "sub" / "b.csv").write_text("z\n3\n")
    (tmp_path / "metarmc").mkdir()
    (tmp_path / "metarmc" / "__init__.py").write_text("X = 1\n")
    return tmp_path


def _hash(root: Path) -> str:
    proc = run([*HASH, "--root", str(root)], cwd=root)
    assert proc.returncode == 0, output(proc)
    return proc.stdout.strip()


def test_inputs_hash_follows_data_and_code(tmp_path):
    root = _tree(tmp_path)
    h0 = _hash(root)
    assert re.fullmatch(r"[0-9a-f]{64}", h0)
    assert _hash(root) == h0  # deterministic

    (root / "metarmc" / "__pycache__").mkdir()
    (root / "metarmc" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0junk")
    assert _hash(root) == h0  # bytecode is not an input

    (root / "data" / "sub" / "b.csv").write_text("z\n4\n")
    h1 = _hash(root)
    assert h1 != h0  # a value in a nested data file
    (root / "data" / "new.csv").write_text("")
    h2 = _hash(root)
    assert h2 != h1  # a new (even empty) file
    (root / "data" / "new.csv").rename(root / "data" / "renamed.csv")
    assert _hash(root) != h2  # a rename
    (root / "metarmc" / "__init__.py").write_text("X = 2\n")
    h3 = _hash(root)
    assert h3 not in {h0, h1, h2}  # the package's code
    (root / "book").mkdir()
    h3 = _hash(root)
    (root / "book" / "01-intro.md").write_text("# Prose\n")
    assert _hash(root) == h3  # a chapter: jupyter-cache keys on its code (see tools/inputs_hash.py)
    (root / "book" / "table.csv").write_text("a\n1\n")
    h4 = _hash(root)
    assert h4 != h3  # any other file under book/ a chapter might read
    (root / "_config.yml").write_text("execute:\n  timeout: 30\n")
    h5 = _hash(root)
    assert h5 != h4  # the execution settings
    (root / "requirements.txt").write_text("numpy==2.4.6\n")
    assert _hash(root) != h5  # the pinned libraries


def test_inputs_hash_check_and_write(tmp_path):
    root = _tree(tmp_path)
    rec = root / "_build" / ".inputs.sha256"
    assert run([*HASH, "--root", str(root), "--check", str(rec)], cwd=root).returncode == 1
    assert run([*HASH, "--root", str(root), "--write", str(rec)], cwd=root).returncode == 0
    assert rec.read_text().strip() == _hash(root)
    assert run([*HASH, "--root", str(root), "--check", str(rec)], cwd=root).returncode == 0
    (root / "data" / "a.csv").write_text("x,y\n1,3\n")
    proc = run([*HASH, "--root", str(root), "--check", str(rec)], cwd=root)
    assert proc.returncode == 1 and "changed" in proc.stderr


def test_everything_hash_covers_every_source_and_no_build_output(tmp_path):
    root = _tree(tmp_path)
    (root / "book").mkdir()
    everything = [*HASH, "--root", str(root), "--everything"]
    h0 = run(everything, cwd=root).stdout.strip()
    for leftover in ("_build/html/index.html", ".venv/bin/python", ".git/HEAD", "metarmc.egg-info/PKG-INFO",
                     ".pytest_cache/v", "metarmc/__pycache__/x.pyc"):
        (root / leftover).parent.mkdir(parents=True, exist_ok=True)
        (root / leftover).write_text("built\n")
    assert run(everything, cwd=root).stdout.strip() == h0  # output, environments and caches are not sources
    (root / "book" / "01-intro.md").write_text("# Prose\n")
    h1 = run(everything, cwd=root).stdout.strip()
    assert h1 != h0  # a chapter (which the execution-inputs hash leaves to jupyter-cache)
    (root / "references.bib").write_text("@book{x}\n")
    assert run(everything, cwd=root).stdout.strip() != h1  # any other file of the repository


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_makefile_clears_execution_cache_when_inputs_change(tmp_path):
    """`make book` runs `make inputs-check` first: same inputs keep the cache, new ones drop it."""
    root = tmp_path
    shutil.copy2(ROOT / "Makefile", root / "Makefile")
    shutil.copytree(ROOT / "tools", root / "tools", ignore=IGNORE)
    _tree(root)
    cache = root / "_build" / ".jupyter_cache"
    doctrees = root / "_build" / ".doctrees"

    def fill():
        for d in (cache, doctrees):
            d.mkdir(parents=True, exist_ok=True)
            (d / "marker").write_text("executed earlier")

    def inputs_check():
        proc = run(["make", "--no-print-directory", "inputs-check", f"PY={sys.executable}"],
                   cwd=root)
        assert proc.returncode == 0, output(proc)
        return proc.stdout

    fill()
    assert "clearing" in inputs_check()  # no record yet: start clean
    assert not cache.exists() and not doctrees.exists()
    assert (root / "_build" / ".inputs.sha256").exists()

    fill()
    assert "clearing" not in inputs_check()  # nothing changed: keep the cache
    assert (cache / "marker").exists() and (doctrees / "marker").exists()

    (root / "data" / "a.csv").write_text("x,y\n1,999\n")  # a data edit
    assert "clearing" in inputs_check()
    assert not cache.exists() and not doctrees.exists()

    fill()
    (root / "metarmc" / "__init__.py").write_text("X = 3\n")  # a code edit
    assert "clearing" in inputs_check()
    assert not cache.exists()


# --------------------------------------------------------------------------- (d) parallel execution
def test_execute_book_takes_the_notebook_chapters_of_the_toc_in_its_order(tmp_path):
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import execute_book
    finally:
        sys.path.remove(str(ROOT / "tools"))
    (tmp_path / "book").mkdir()
    notebook = "---\nkernelspec:\n  name: python3\n  display_name: Python 3\n---\n# {}\n"
    for name in ("intro", "b", "a"):
        (tmp_path / "book" / f"{name}.md").write_text(notebook.format(name))
    (tmp_path / "book" / "notes.md").write_text("# Notes\n\nNo code here.\n")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nparts:\n"
        "  - caption: One\n    chapters:\n      - file: book/b\n      - file: book/notes\n"
        "  - caption: Two\n    chapters:\n      - file: book/a.md\n      - file: book/gone\n")
    found = execute_book.toc_chapters(tmp_path)
    assert [p.name for p in found] == ["intro.md", "b.md", "a.md"]  # toc order; no plain page, no missing file
    assert [p.stem for p in execute_book.toc_chapters(ROOT)][:1] == ["01-introduction"]


def _store_notebooks(args):
    """Store 40 one-cell notebooks into the cache at ``path`` (one parallel worker of the test below)."""
    from jupyter_cache.cache.main import CacheBundleIn

    cache_class, path, worker = args
    cache = cache_class(path)
    for i in range(40):
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"x = {worker * 1000 + i}")])
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        cache.cache_notebook_bundle(CacheBundleIn(notebook, f"/book/{worker}-{i}.md"), check_validity=False)


def test_parallel_workers_store_their_chapters_one_at_a_time(tmp_path):
    # jupyter-cache alone loses this race within a few notebooks (KeyError: "Notebook file does not
    # exist for cache record"), which failed a fresh clone's make book once
    import multiprocessing

    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from execute_book import SerialWriteCache
    finally:
        sys.path.remove(str(ROOT / "tools"))
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_store_notebooks, [(SerialWriteCache, str(tmp_path), worker) for worker in range(2)])
    assert len(SerialWriteCache(str(tmp_path)).list_cache_records()) == 80
