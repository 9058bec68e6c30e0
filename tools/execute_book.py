#!/usr/bin/env python3
"""Execute the book's chapters in parallel into the jupyter-cache, before ``jupyter-book build``.

jupyter-book (myst-nb, ``execute_notebooks: cache``) runs the chapters one after another while
Sphinx reads them. This runs every chapter of ``_toc.yml`` whose code is not in the cache yet,
``--jobs`` at a time, each in a fresh kernel of this Python with ``book/`` as its working
directory (forked from ``tools/warm_kernel.py``'s server, which has imported the libraries once),
and stores the executed notebooks in the cache exactly as myst-nb would (jupyter-cache's
own worker, the notebook read by myst-nb's jupyter-cache reader, the timeout and ``allow_errors``
of ``_config.yml``). Sphinx then finds every chapter in the cache and only renders it.

A chapter whose code is unchanged is not run again: jupyter-cache keys on the code cells and the
kernel. What it cannot see (``data/``, ``metarmc/``, the pins) is ``tools/inputs_hash.py``'s job:
the Makefile clears the cache when those change. Exits 1, with the traceback, if a chapter fails.

    python tools/execute_book.py [--cache _build/.jupyter_cache] [--jobs N]
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import yaml
from jupyter_cache.cache.main import JupyterCacheBase
from jupyter_cache.executors.basic import ExecutionWorkerLocalMProc, ProcessData
from jupyter_cache.executors.utils import single_nb_execution
from jupyter_client.manager import AsyncKernelManager
from myst_nb.core.read import myst_nb_reader_plugin
from traitlets import default

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE))

from conftest import is_chapter  # noqa: E402  (the repository's conftest: what a chapter is)

# myst-nb's jupyter-cache reader for MyST .md notebooks (entry point ``jcache.readers``)
READER = {"name": "myst_nb_md", "type": "plugin"}


def toc_chapters(root: Path) -> list[Path]:
    """The executable chapters that ``_toc.yml`` lists, in its order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf8"))
    files = []

    def walk(node):
        if isinstance(node, dict):
            for key in ("root", "file"):
                if key in node:
                    files.append(node[key])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    paths = [root / (f if f.endswith(".md") else f + ".md") for f in dict.fromkeys(files)]
    return [p for p in paths if p.is_file() and is_chapter(p)]


def execution_options(root: Path) -> dict:
    """``timeout`` and ``allow_errors`` as ``_config.yml`` sets them for jupyter-book."""
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf8")) or {}
    execute = config.get("execute") or {}
    return {"timeout": execute.get("timeout", 30), "allow_errors": execute.get("allow_errors", False)}


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


WARM_KERNEL = HERE / "tools" / "warm_kernel.py"
#: Held while a worker stores an executed chapter; the forked workers inherit it.
_CACHE_WRITE = multiprocessing.get_context("fork").Lock()


class SerialWriteCache(JupyterCacheBase):
    """jupyter-cache's cache, into which the parallel workers store their chapters one at a time.

    Storing a notebook ends with jupyter-cache's truncation, which lists the records to keep and
    then those to delete in two queries: a record another worker creates in between is deleted
    while its notebook is still being written ("Notebook file does not exist for cache record").
    """

    def cache_notebook_bundle(self, *args, **kwargs):
        with _CACHE_WRITE:
            return super().cache_notebook_bundle(*args, **kwargs)



class WarmKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels are forked by ``tools/warm_kernel.py``'s server at ``socket``.

    They talk to it over Unix sockets (``ipc``) rather than local TCP ports, named after the kernel
    and kept beside the server's socket, since a kernel runs in its chapter's folder.
    """

    socket: str = ""

    @default("transport")
    def _transport_default(self) -> str:
        return "ipc"

    @default("ip")
    def _ip_default(self) -> str:
        return os.path.join(os.path.dirname(self.socket), f"kernel-{uuid.uuid4().hex}")

    def format_kernel_cmd(self, extra_arguments=None) -> list[str]:
        command = super().format_kernel_cmd(extra_arguments)  # [python, -m, ipykernel_launcher, -f, file]
        arguments = command[command.index("ipykernel_launcher") + 1:]
        return [sys.executable, str(WARM_KERNEL), "client", self.socket, *arguments]


class WarmKernelWorker(ExecutionWorkerLocalMProc):
    """jupyter-cache's worker (local folder, one process per chapter), its kernel from the warm server."""

    def execute(self, project_nb, data: ProcessData):
        return single_nb_execution(project_nb.nb, cwd=str(Path(project_nb.uri).parent), timeout=data.timeout,
                                   allow_errors=data.allow_errors, kernel_manager_class=WarmKernelManager)


@contextlib.contextmanager
def warm_kernels():
    """Run ``tools/warm_kernel.py``'s server (yielded) while the block runs; its kernels replace fresh ones."""
    with tempfile.TemporaryDirectory(prefix="warm-kernel-") as folder:
        WarmKernelManager.socket = os.path.join(folder, "socket")
        server = subprocess.Popen([sys.executable, str(WARM_KERNEL), "serve", WarmKernelManager.socket],
                                  stdout=subprocess.PIPE, text=True, start_new_session=True)
        try:
            if server.stdout.readline().strip() != "ready":
                raise RuntimeError(f"{WARM_KERNEL.name} did not start (exit status {server.wait()})")
            yield server
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, 9)  # the server and any kernel still running
            server.wait()


def _run(data: ProcessData) -> tuple[int, str, float]:
    """One chapter through jupyter-cache's worker: (status 0/1/2, uri, seconds)."""
    start = time.monotonic()
    status, uri = WarmKernelWorker()(data)
    return status, uri, time.monotonic() - start


def stale(cache, paths: list[Path]) -> list[Path]:
    """The chapters whose code (and kernel) the cache holds no executed notebook for."""
    todo = []
    for path in paths:
        try:
            cache.match_cache_notebook(myst_nb_reader_plugin(str(path)))
        except KeyError:
            todo.append(path)
    return todo


def execute(cache, paths: list[Path], *, jobs: int, timeout: int, allow_errors: bool) -> list[str]:
    """Execute ``paths`` into ``cache``, ``jobs`` at a time, longest file first; failures' messages."""
    work = []
    for path in sorted(paths, key=lambda p: p.stat().st_size, reverse=True):
        record = cache.add_nb_to_project(str(path), read_data=READER)
        work.append(ProcessData(record.pk, record.uri, cache, timeout, allow_errors))
    failures = []
    with warm_kernels(), multiprocessing.get_context("fork").Pool(min(jobs, len(work))) as pool:
        for status, uri, seconds in pool.imap_unordered(_run, work, chunksize=1):
            name = Path(uri).relative_to(HERE) if Path(uri).is_relative_to(HERE) else uri
            if status == 0:
                print(f"execute_book: {name} executed in {seconds:.1f} s", flush=True)
                continue
            traceback = cache.get_project_record(uri).traceback if status == 1 else None
            failures.append(f"{name} failed" + (f":\n{traceback}" if traceback else
                                                " (see the messages above)"))
    return failures


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=HERE, help="book root (default: this repository)")
    ap.add_argument("--cache", type=Path, default=None,
                    help="jupyter-cache folder (default: ROOT/_build/.jupyter_cache, as jupyter-book's)")
    ap.add_argument("--jobs", type=int, default=default_jobs(), help="chapters at once (default: cores)")
    args = ap.parse_args(argv)

    root = args.root.resolve()
    cache = SerialWriteCache(str(args.cache or root / "_build" / ".jupyter_cache"))
    chapters = toc_chapters(root)
    todo = stale(cache, chapters)
    if not todo:
        print(f"execute_book: all {len(chapters)} chapters are in the cache")
        return 0
    start = time.monotonic()
    print(f"execute_book: {len(todo)} of {len(chapters)} chapters to execute, {args.jobs} at a time",
          flush=True)
    failures = execute(cache, todo, jobs=max(1, args.jobs), **execution_options(root))
    for failure in failures:
        print(f"execute_book: {failure}", file=sys.stderr)
    print(f"execute_book: {len(todo) - len(failures)} executed, {len(failures)} failed "
          f"in {time.monotonic() - start:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
