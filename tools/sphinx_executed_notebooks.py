"""Sphinx extension: a chapter served from the jupyter-cache gets its executed notebook to download.

myst-nb 1.4 (``execute_notebooks: cache``) writes each chapter's notebook to
``_build/jupyter_execute/<docname>.ipynb``, which sphinx-book-theme offers as "Download notebook
file". When the chapter is executed during the build that notebook has its outputs; when its
outputs come from the cache (``tools/execute_book.py`` ran it beforehand, or only its prose
changed) myst-nb writes the notebook it read, without outputs. After each chapter is read this
writes the notebook myst-nb would have written had it executed the chapter: the cached outputs
merged into the chapter (jupyter-cache's own merge), with glued values taken out as myst-nb does.

Enabled in ``_config.yml`` (``sphinx.local_extensions``). Written against myst-nb 1.4.0 and
jupyter-cache 1.0.1 (pinned in requirements.txt).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from jupyter_cache import get_cache
from myst_nb.ext.glue import extract_glue_data
from myst_nb.sphinx_ import NbMetadataCollector
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)


def served_from_cache(notebook: nbformat.NotebookNode) -> bool:
    """Code cells and none of them run: the notebook myst-nb wrote for a cache hit."""
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    return bool(code) and all(cell.get("execution_count") is None for cell in code)


def restore_outputs(app, doctree) -> None:
    env = app.env
    exec_data = NbMetadataCollector.get_exec_data(env, env.docname)
    if not exec_data or exec_data.get("method") != "cache":
        return
    config = env.mystnb_config
    path = Path(config.output_folder, *f"{env.docname}.ipynb".split("/"))
    if not path.is_file():
        return
    notebook = nbformat.read(path, as_version=4)
    if not served_from_cache(notebook):
        return
    try:
        _, merged = get_cache(config.execution_cache_path).merge_match_into_notebook(notebook)
    except KeyError:  # myst-nb found it in the cache a moment ago: say so if it is gone
        LOGGER.warning(f"{env.docname}: no executed notebook in the cache to offer for download",
                       location=env.docname)
        return
    source_map = merged.metadata.get("source_map") or list(range(len(merged.cells)))
    extract_glue_data(merged, source_map, LOGGER)  # glued outputs leave the cells, as in myst-nb
    path.write_bytes(nbformat.writes(merged).encode("utf-8"))


def setup(app):
    app.setup_extension("myst_nb")
    app.connect("doctree-read", restore_outputs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
