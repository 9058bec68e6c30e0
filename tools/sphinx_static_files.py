"""Sphinx extension: an edit of a static file (``_static/review.css``) reaches the built site.

Sphinx copies the static files, and writes each page's link to them with a checksum of their
content (``review.css?v=...``), only when it has at least one page to write: after an edit of
the style sheet alone it reports "no targets are out of date" and the site keeps the old one.
This extension stores a digest of every file of ``html_static_path`` (``tools/inputs_hash.py``)
in the build environment and, when it differs from the previous build's, asks for every page to
be written again (no page is read again), so that the pages carry the new checksum and the new
files are copied. Enabled in ``_config.yml`` (``sphinx.local_extensions``).
"""

from __future__ import annotations

from inputs_hash import inputs_hash  # beside this file in tools/, on the path Sphinx loads it from


def rewrite_when_static_files_change(app, env) -> list[str]:
    """``env-get-updated``: every page, when a static file changed since the last build."""
    digest = inputs_hash(app.confdir, app.config.html_static_path, skip_globs=())
    previous = getattr(env, "review_static_digest", None)
    env.review_static_digest = digest
    return sorted(env.found_docs) if previous not in (None, digest) else []


def setup(app):
    app.connect("env-get-updated", rewrite_when_static_files_change)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
