"""Sphinx extension: alt text that states a figure's result, computed like the prose.

A chapter's figure metadata (``mystnb: image: alt:``) is static text, so it cannot use the
``{glue:text}`` role. This extension lets it name glued values instead: ``{glue:lb_ours}`` in an
image's alt text is replaced, when the page is read, by the value the chapter glued under that
name (its plain-text form, without quotes), e.g.

    alt: Forest plot of live birth; the pooled odds ratio is {glue:lb_ours}.

becomes "... the pooled odds ratio is OR 2.04 (95% CI 1.44 to 2.87)." The values come from the
``<docname>.glue.json`` file myst-nb writes beside each executed notebook. A name the chapter did
not glue is a build warning (an error under ``make book``), so an alt text never shows a
placeholder. Enabled in ``_config.yml`` (``sphinx.local_extensions``).
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from docutils import nodes
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)

PLACEHOLDER = re.compile(r"\{glue:([A-Za-z_][A-Za-z0-9_]*)\}")


def glued_values(path: Path) -> dict[str, str]:
    """name -> the glued value's plain text (a glued string without its quotes)."""
    if not path.is_file():
        return {}
    values = {}
    for name, output in json.loads(path.read_text(encoding="utf8")).items():
        text = output.get("data", {}).get("text/plain")
        if text is not None:
            try:
                value = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                value = text
            values[name] = str(value)
    return values


def fill(text: str, values: dict[str, str], missing: list[str]) -> str:
    """``text`` with every ``{glue:name}`` replaced; names not in ``values`` are added to ``missing``.

    ``fill("pooled {glue:or}", {"or": "OR 2.04"}, [])`` is ``"pooled OR 2.04"``.
    """
    def value(match: re.Match) -> str:
        if match[1] in values:
            return values[match[1]]
        missing.append(match[1])
        return match[0]

    return PLACEHOLDER.sub(value, text)


def fill_alt_texts(app, doctree: nodes.document) -> None:
    images = [image for image in doctree.findall(nodes.image) if PLACEHOLDER.search(image.get("alt", ""))]
    if not images:
        return
    docname = app.env.docname
    values = glued_values(Path(app.env.mystnb_config.output_folder) / f"{docname}.glue.json")
    for image in images:
        missing: list[str] = []
        image["alt"] = fill(image["alt"], values, missing)
        for name in missing:
            LOGGER.warning(f"alt text names {{glue:{name}}}, which {docname} does not glue", location=image)


def setup(app):
    app.connect("doctree-read", fill_alt_texts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
