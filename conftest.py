"""pytest wiring: nbval over the MyST Markdown chapters in ``book/`` and the data fixtures the tests share
(``review``, ``fixture_review``, ``live_birth``) and the hypothesis profiles.

nbval only reads ``.ipynb`` files, but the chapters are MyST Markdown notebooks
(``book/NAME.md``, front matter with ``jupytext``/``kernelspec``). With ``--nbval``
(or ``--nbval-lax``) every such chapter is collected as an nbval notebook whose

* code cells come from the ``.md`` itself (parsed by myst-nb, exactly as jupyter-book
  reads it), and whose
* expected outputs come from the committed, executed copy ``tests/golden/NAME.ipynb``
  (written by ``make golden``, i.e. ``tools/regen_golden.py``).

The kernel is the Python of the environment running pytest, started with ``book/`` as its
working directory, as jupyter-book runs the chapters. A golden copy that is missing, was
never executed, or whose code cells differ from the ``.md`` gives one failing test with a
"regenerate with `make golden`" message instead of a cell-by-cell comparison.

Comparison is nbval's: ``text/plain``, ``text/html``, streams and glued values
(``application/papermill.record/text/plain``) are compared after the regexes of
``tests/golden/sanitize.cfg`` (used by default; ``--nbval-sanitize-with`` overrides);
images are never compared.

Written against nbval 0.11.0 (pinned in requirements.txt): ``_collect_cells`` mirrors
``nbval.plugin.IPyNbFile.collect``.
"""

from __future__ import annotations

import difflib
import functools
import os
import warnings
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest
from nbval.kernel import CURRENT_ENV_KERNEL_NAME, RunningKernel
from nbval.plugin import (
    IPyNbCell,
    IPyNbFile,
    coalesce_streams,
    find_comment_markers,
    find_metadata_tags,
)

ROOT = Path(__file__).resolve().parent
REGENERATE = "regenerate with `make golden`"

# nbval would otherwise collect the golden copies themselves (with --nbval, any .ipynb).
collect_ignore_glob = ["tests/golden/*", ".venv/*", "_build/*"]

# Output MIME types never compared (pixels differ across machines/library versions) and
# dropped from the golden copies. Glued values carry myst-nb's prefix.
GLUE_PREFIX = "application/papermill.record/"
_IMAGE_MIMES = ("image/png", "image/jpeg", "image/gif", "image/svg+xml", "application/pdf")
IMAGE_KEYS = _IMAGE_MIMES + tuple(GLUE_PREFIX + m for m in _IMAGE_MIMES)



HYPOTHESIS_PROFILES = {"ci": 25, "deep": 1000}  # examples per property test


@functools.cache
def hypothesis_profiles() -> None:
    """Hypothesis profiles: ``ci`` (the default, what ``make check`` and ``make test`` run) and ``deep``, a long
    search on demand (``HYPOTHESIS_PROFILE=deep make check``, e.g. after an engine change). A failing example
    is kept in ``.hypothesis/`` and tried first on the next run either way.

    Loaded when the first test module is collected, before it is imported (its ``@settings`` start from the
    profile): a run of the chapters alone (``pytest book``, tests/test_book_infra.py's copies) never imports
    hypothesis, which takes seconds."""
    from hypothesis import HealthCheck, settings

    for name, examples in HYPOTHESIS_PROFILES.items():
        settings.register_profile(name, max_examples=examples, deadline=None,
                                  suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_addoption(parser):
    parser.addoption("--nbval-execute", action="store_true",
                     help="run every chapter in a new kernel, even when `make book` has just executed it "
                          "(default: compare the build's execution when it is current, see built_notebook)")


# --------------------------------------------------------------------------- pytest-xdist
# Files whose tests must share one worker: a chapter's cells run in order in one kernel, and the
# site tests share one Chromium (tests/test_site.py). Every other test goes to whichever worker is
# free. (xdist's own --dist loadgroup does not group under pytest 9.2: pytest-xdist issue 1386.)
ONE_WORKER_FILES = ("tests/test_site.py",)


def one_worker_scope(nodeid: str) -> str:
    """The unit of work pytest-xdist hands to one worker: a chapter or ONE_WORKER_FILES, else one test."""
    path = nodeid.split("::", 1)[0]
    return path if path.startswith("book/") or path in ONE_WORKER_FILES else nodeid


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class ChapterScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return one_worker_scope(nodeid)

    return ChapterScheduling(config, log)


# --------------------------------------------------------------------------- data fixtures
# Data are loaded here, when a test asks for them, never at import: collecting the tests reads
# no data, and a broken data file fails the tests that use it, each saying why.
@pytest.fixture(scope="session")
def review():
    """The repository's ``data/``, validated and typed."""
    from metarmc import load

    return load(ROOT / "data")


@pytest.fixture(scope="session")
def fixture_review():
    """``tests/fixtures/data_valid``: a small made-up review whose numbers the tests work by hand."""
    from metarmc import load

    return load(ROOT / "tests" / "fixtures" / "data_valid")


@pytest.fixture(scope="session")
def live_birth(review):
    """The live-birth study table of ``data/`` (``Review.binary("live_birth")``)."""
    return review.binary("live_birth")


# --------------------------------------------------------------------------- chapters
def _front_matter(text: str) -> dict:
    import yaml

    lines = text.splitlines()
    if not lines or not lines[0].startswith("---"):
        return {}
    body = []
    for line in lines[1:]:
        if line.startswith("---") or line.startswith("..."):
            break
        body.append(line)
    else:
        return {}
    try:
        meta = yaml.safe_load("\n".join(body))
    except yaml.YAMLError:
        return {}
    return meta if isinstance(meta, dict) else {}


def is_chapter(path: Path) -> bool:
    """A ``book/*.md`` file that is an executable notebook (jupyter-book would run it)."""
    path = Path(path)
    if path.suffix != ".md" or path.parent.name != "book":
        return False
    from myst_nb.core.read import is_myst_markdown_notebook

    text = path.read_text(encoding="utf8")
    return "kernelspec" in _front_matter(text) or is_myst_markdown_notebook(text)


def chapters(root: Path = ROOT) -> list[Path]:
    return sorted(p for p in (Path(root) / "book").glob("*.md") if is_chapter(p))


def golden_path(md_path: Path) -> Path:
    """``<root>/book/NAME.md`` -> ``<root>/tests/golden/NAME.ipynb``."""
    md_path = Path(md_path)
    return md_path.parent.parent / "tests" / "golden" / (md_path.stem + ".ipynb")


def read_chapter(md_path: Path) -> nbformat.NotebookNode:
    """The chapter as myst-nb (and so jupyter-book) reads it: a v4 notebook, no outputs."""
    from myst_nb.core.read import read_myst_markdown_notebook

    md_path = Path(md_path)
    return read_myst_markdown_notebook(md_path.read_text(encoding="utf8"), path=str(md_path))


def _code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def _norm(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip("\n").splitlines())


def merge_golden(md_path: Path):
    """Return ``(notebook, problem)``: the chapter's cells with the golden copy's outputs,
    or ``(None, message)`` when the golden copy cannot be trusted."""
    md_path = Path(md_path)
    gpath = golden_path(md_path)
    rel = f"tests/golden/{gpath.name}"
    try:
        nb = read_chapter(md_path)
    except Exception as exc:  # a MyST syntax error is the chapter's fault, say so
        return None, f"{md_path.name}: could not be read as a MyST notebook: {exc}"
    if not gpath.exists():
        return None, (
            f"golden copy missing: {rel} does not exist for book/{md_path.name}; "
            f"{REGENERATE} and commit it"
        )
    try:
        golden = nbformat.read(str(gpath), as_version=4)
    except Exception as exc:
        return None, f"golden copy unreadable: {rel}: {exc}; {REGENERATE}"

    md_cells, gold_cells = _code_cells(nb), _code_cells(golden)
    for i, (m, g) in enumerate(zip(md_cells, gold_cells)):
        if _norm(m.source) != _norm(g.source):
            diff = "\n".join(
                difflib.unified_diff(
                    _norm(g.source).splitlines(),
                    _norm(m.source).splitlines(),
                    f"{rel} (code cell {i})",
                    f"book/{md_path.name} (code cell {i})",
                    lineterm="",
                )
            )
            return None, (
                f"golden copy stale: code cell {i} of book/{md_path.name} differs from "
                f"{rel}; {REGENERATE}, then read the diff\n{diff}"
            )
    if len(md_cells) != len(gold_cells):
        return None, (
            f"golden copy stale: book/{md_path.name} has {len(md_cells)} code cells, "
            f"{rel} has {len(gold_cells)}; {REGENERATE}, then read the diff"
        )
    if md_cells and (
        any(g.get("execution_count") is None for g in gold_cells)
        or not any(g.get("outputs") for g in gold_cells)
    ):
        return None, (
            f"golden copy unexecuted: {rel} has code cells that were never run "
            f"or no outputs at all; {REGENERATE}"
        )
    for m, g in zip(md_cells, gold_cells):
        m.outputs = g.get("outputs", [])
        m.execution_count = g.get("execution_count")
    return nb, None


# --------------------------------------------------------------------------- the build's execution
def _load_tool(name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"_tools_{name}", ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def _build_is_current(root: Path) -> bool:
    """``_build/.inputs.sha256`` names the inputs as they are now (``make book`` wrote it, tools/inputs_hash.py)."""
    recorded = root / "_build" / ".inputs.sha256"
    if not (root / "_build" / ".jupyter_cache").is_dir() or not recorded.is_file():
        return False
    return recorded.read_text().strip() == _load_tool("inputs_hash").inputs_hash(root)


def built_notebook(md_path: Path) -> nbformat.NotebookNode | None:
    """The chapter as ``make book`` executed it, when that execution is the chapter's as it is now; else None.

    ``make book`` (tools/execute_book.py) runs each chapter in a new kernel of this environment with
    ``book/`` as its working directory, as nbval would, and keeps the executed notebook in
    ``_build/.jupyter_cache``, keyed on the chapter's code. It is current when the key matches the
    chapter's code now and every other input (``data/``, ``metarmc/``, the pins, ``_config.yml``, the
    rest of ``book/``: tools/inputs_hash.py) has the hash the build recorded. Then comparing its
    outputs with the golden copy tests exactly what running the chapter again would, without running
    it a second time in ``make test``; ``--nbval-execute`` runs it anyway.
    """
    root = Path(md_path).parent.parent
    if not _build_is_current(root):
        return None
    from jupyter_cache import get_cache

    try:
        cache = get_cache(root / "_build" / ".jupyter_cache")
        record = cache.match_cache_notebook(read_chapter(md_path))
        return cache.get_cache_bundle(record.pk).nb
    except Exception:  # no record for this code, or an unreadable cache: run the chapter
        return None


# --------------------------------------------------------------------------- pytest items
class GoldenProblem(Exception):
    pass


class GoldenCheckItem(pytest.Item):
    """Stands in for a chapter's cells when its golden copy cannot be used."""

    def __init__(self, *, message: str, **kwargs):
        super().__init__(**kwargs)
        self.message = message

    def runtest(self):
        raise GoldenProblem(self.message)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, GoldenProblem):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"{self.path.name}::golden copy"


class MystChapterFile(IPyNbFile):
    """nbval's notebook collector, fed from ``book/NAME.md`` + ``tests/golden/NAME.ipynb``."""

    golden_problem: str | None = None
    #: the code cells of :func:`built_notebook`, when the chapter's outputs come from the build
    built_cells: list | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # nbval skips png/jpeg only without --nbdime; never compare any image here.
        self.skip_compare = tuple(dict.fromkeys(self.skip_compare + IMAGE_KEYS))

    def setup(self):
        if self.golden_problem is not None:
            return  # nothing to run: no kernel
        opt = self.config.option
        built = None if opt.nbval_execute else built_notebook(self.path)
        if built is not None:
            cells = _code_cells(built)
            if [_norm(c.source) for c in cells] == [_norm(c.source) for c in _code_cells(self.nb)]:
                self.built_cells = cells
                self.setup_sanitize_files()
                return  # the build's execution is this chapter's: no kernel
        kernel_name = opt.nbval_kernel_name or CURRENT_ENV_KERNEL_NAME
        self.kernel = RunningKernel(
            kernel_name,
            cwd=str(self.path.parent),  # book/, like jupyter-book
            startup_timeout=opt.nbval_kernel_startup_timeout,
        )
        self.setup_sanitize_files()
        if getattr(opt, "cov_source", None):
            from nbval.cover import setup_coverage

            setup_coverage(self.config, self.kernel, getattr(self, "fspath", None))

    def get_sanitize_files(self):
        given = self.config.option.nbval_sanitize_with
        if given is not None:
            return [given]
        default = golden_path(self.path).parent / "sanitize.cfg"
        return [str(default)] if default.exists() else []

    def collect(self):
        nb, problem = merge_golden(self.path)
        if problem is not None:
            self.golden_problem = problem
            yield GoldenCheckItem.from_parent(self, name="golden copy", message=problem)
            return
        self.nb = nb
        yield from self._collect_cells()

    def _collect_cells(self):
        # Same as nbval.plugin.IPyNbFile.collect (0.11.0) after the notebook is read.
        cell_num = 0
        for cell in self.nb.cells:
            if cell.cell_type != "code":
                continue
            with warnings.catch_warnings(record=True) as ws:
                options = defaultdict(bool, find_metadata_tags(cell.metadata))
                comment_opts = dict(find_comment_markers(cell.source))
            loc = f"{self.path}:Cell {cell_num}"
            if set(comment_opts) & set(options):
                warnings.warn_explicit(
                    "Overlapping options from comments and metadata, using options "
                    f"from comments: {set(comment_opts) & set(options)}",
                    category=UserWarning,
                    filename=loc,
                    lineno=0,
                )
            for w in ws:
                warnings.warn_explicit(str(w.message), category=UserWarning, filename=loc, lineno=0)
            options.update(comment_opts)
            options.setdefault("check", self.compare_outputs)
            yield ChapterCell.from_parent(
                self, name=f"Cell {cell_num}", cell_num=cell_num, cell=cell, options=options
            )
            cell_num += 1


class ChapterCell(IPyNbCell):
    """nbval's cell check; when the chapter's build is current, on the outputs the build's execution stored."""

    def runtest(self):
        built = self.parent.built_cells
        if built is None:
            return super().runtest()
        if self.options["skip"]:
            pytest.skip()
        # As IPyNbCell.runtest (nbval 0.11.0) once it has the outputs.
        outs = coalesce_streams([nbformat.from_dict(out) for out in built[self.cell_num].get("outputs", [])])
        self.test_outputs = outs
        errors = [out for out in outs if out.get("output_type") == "error"]
        if errors and not self.options["check_exception"]:
            self.raise_cell_error("Cell execution caused an exception", "\n" + "\n".join(errors[0]["traceback"]))
        unrun = self.cell.execution_count is None
        if unrun and self.cell.outputs:
            self.raise_cell_error("Unrun reference cell has outputs")
        if self.options["check"] and not unrun and not self.compare_outputs(outs, coalesce_streams(self.cell.outputs)):
            self.raise_cell_error("Cell outputs differ", "\n".join(self.comparison_traceback))


def pytest_report_header(config):
    if getattr(config.option, "nbval", False) and not config.option.nbval_execute and _build_is_current(ROOT):
        return ("nbval: chapters that `make book` executed with the current inputs are compared from its "
                "execution (_build/.jupyter_cache); --nbval-execute runs them again")
    return None


def pytest_collect_file(file_path, parent):
    if file_path.suffix == ".py" and file_path.name.startswith("test_"):
        hypothesis_profiles()
    opt = parent.config.option
    if not (getattr(opt, "nbval", False) or getattr(opt, "nbval_lax", False)):
        return None
    if is_chapter(file_path):
        chapter = MystChapterFile.from_parent(parent, path=file_path)
        chapter.add_marker(pytest.mark.book)  # `make check` (-m "not book") leaves the chapters out
        return chapter
    return None
