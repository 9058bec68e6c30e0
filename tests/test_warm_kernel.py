"""Kernels forked from a warm process (tools/warm_kernel.py) behave as freshly started ones.

``make book`` executes the chapters in such kernels; these tests hold them to what a fresh
``python -m ipykernel_launcher`` gives: the same environment, paths and outputs, interrupts on a
timeout, a dead kernel reported as dead, and no process left behind.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from execute_book import WarmKernelManager, warm_kernels  # noqa: E402

sys.path.remove(str(ROOT / "tools"))

pytestmark = pytest.mark.book

STATE = """import json, os, sys, matplotlib
print(json.dumps({"env": dict(os.environ), "path": sys.path, "launcher": sys.argv[0], "cwd": os.getcwd(),
                  "backend": matplotlib.get_backend(), "main": sys.modules["__main__"].__name__}))"""
FIGURE = "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()"


def execute(cells: list[str], *, warm: bool, **options) -> nbformat.NotebookNode:
    """Execute ``cells`` in the book's folder, in a warm kernel or a fresh one."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if warm:
        options["kernel_manager_class"] = WarmKernelManager
    options.setdefault("timeout", 60)
    NotebookClient(notebook, resources={"metadata": {"path": str(ROOT / "book")}}, **options).execute()
    return notebook


@pytest.fixture(scope="module")
def server():
    with warm_kernels() as process:
        yield process


def test_a_warm_kernel_has_the_state_of_a_fresh_one(server):
    fresh, warm = (execute([STATE, FIGURE], warm=w) for w in (False, True))
    fresh_state, warm_state = (json.loads(nb.cells[0].outputs[0]["text"]) for nb in (fresh, warm))
    assert warm_state == fresh_state  # environment, sys.path, sys.argv[0], folder, backend, __main__
    assert warm_state["cwd"] == str(ROOT / "book")
    figure = [(o["output_type"], sorted(o["data"])) for o in warm.cells[1].outputs]
    assert figure == [(o["output_type"], sorted(o["data"])) for o in fresh.cells[1].outputs]
    assert figure == [("display_data", ["image/png", "text/plain"])]


def test_a_warm_kernel_is_interrupted_on_a_timeout(server):
    notebook = execute(["import time\ntime.sleep(60)", "print('after')"], warm=True, timeout=2,
                       interrupt_on_timeout=True, allow_errors=True)
    assert notebook.cells[0].outputs[-1]["ename"] == "KeyboardInterrupt"
    assert notebook.cells[1].outputs[0]["text"] == "after\n"


def test_a_warm_kernel_that_dies_is_reported_dead(server):
    with pytest.raises(DeadKernelError):
        execute(["import os\nos._exit(3)", "print('never')"], warm=True)


def test_the_server_and_its_kernels_end_with_the_build():
    with warm_kernels() as process:
        execute(["import os\nprint(os.getpid())"], warm=True)
        assert process.poll() is None
    assert process.poll() is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)  # no process of its group is left
