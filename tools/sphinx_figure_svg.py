"""Sphinx extension: every figure of the book can be downloaded as SVG.

A figure a chapter shows is a :class:`metarmc.plots.style.ReviewFigure`, which a notebook keeps
twice: as PNG (``_repr_png_``) and as SVG (``_repr_svg_``, deterministic). The page shows the
PNG (``nb_mime_priority_overrides`` in ``_config.yml`` ranks SVG after PNG); this extension takes
the SVG out of each such output, copies it under a reader's file name (the figure's name, e.g.
``fig-live-birth-forest.svg``, or ``<chapter>-figure-<n>.svg``) and puts a "Download this figure
(SVG)" link under the figure (in its caption, when it has one), a Sphinx download
(``_downloads/``), so a reader on a phone can open the figure at any zoom.

An image output without an SVG is a build warning (an error under ``make book``): every figure
of the book has its vector copy. Enabled in ``_config.yml`` (``sphinx.local_extensions``).
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)

SVG, PNG = "image/svg+xml", "image/png"
LINK_TEXT = "Download this figure (SVG)"
#: The class of the paragraph that holds the link (tools/site_check.py finds the links by it).
LINK_CLASS = "figure-svg-download"
#: Where the renamed copies go, inside myst-nb's output folder.
FOLDER = "figures-svg"


def mime_bundles(doctree: nodes.document) -> list[nodes.container]:
    """The outputs with several renderings (myst-nb's ``mime_bundle`` containers), in page order."""
    return [node for node in doctree.findall(nodes.container) if node.get("nb_element") == "mime_bundle"]


def renderings(bundle: nodes.container) -> dict[str, nodes.container]:
    """A bundle's renderings by MIME type."""
    return {child["mime_type"]: child for child in bundle.children if "mime_type" in child}


def file_name(figure: nodes.figure | None, chapter: str, number: int) -> str:
    """The SVG's file name: the figure's name (``fig-live-birth-forest.svg``), else ``<chapter>-figure-<n>.svg``.

    ``file_name(None, "05-live-birth", 2)`` is ``"05-live-birth-figure-2.svg"``.
    """
    names = figure["names"] if figure is not None else []
    return f"{names[0]}.svg" if names else f"{chapter}-figure-{number}.svg"


def download_link(target: str, docname: str) -> nodes.paragraph:
    """A paragraph with the download link to ``target`` (a path relative to the source folder, with a leading /)."""
    link = addnodes.download_reference("", "", nodes.inline("", LINK_TEXT), reftarget=target, refdoc=docname,
                                       refdomain="", reftype="download", refexplicit=True, refwarn=True)
    return nodes.paragraph("", "", link, classes=[LINK_CLASS])


def place(bundle: nodes.container, paragraph: nodes.paragraph) -> None:
    """Put ``paragraph`` in the figure's caption (as its legend) when it has one, else right after the image."""
    figure = bundle.parent if isinstance(bundle.parent, nodes.figure) else None
    captioned = figure is not None and any(isinstance(child, nodes.caption) for child in figure.children)
    if captioned:
        legend = next((child for child in figure.children if isinstance(child, nodes.legend)), None)
        if legend is None:
            figure += nodes.legend("", paragraph)
        else:
            legend += paragraph
        return
    anchor = figure if figure is not None else bundle
    anchor.parent.insert(anchor.parent.index(anchor) + 1, paragraph)


def add_svg_downloads(app, doctree: nodes.document) -> None:
    """Each image output's SVG rendering out of the page, and a link to it under the figure."""
    docname = app.env.docname
    srcdir = Path(app.srcdir)
    folder = Path(app.env.mystnb_config.output_folder) / FOLDER
    chapter = Path(docname).name
    number = 0
    for bundle in mime_bundles(doctree):
        kinds = renderings(bundle)
        if PNG not in kinds:
            continue
        number += 1
        svg = kinds.get(SVG)
        image = next(iter(svg.findall(nodes.image)), None) if svg is not None else None
        if image is None:
            LOGGER.warning(f"figure {number} of {docname} has no SVG rendering: is it a metarmc.plots "
                           "ReviewFigure (whose _repr_svg_ gives one)?", location=bundle)
            continue
        bundle.remove(svg)  # never shown: the page shows the PNG
        figure = bundle.parent if isinstance(bundle.parent, nodes.figure) else None
        copy = folder / file_name(figure, chapter, number)
        copy.parent.mkdir(parents=True, exist_ok=True)
        content = (srcdir / image["uri"].lstrip("/")).read_bytes()
        if not copy.is_file() or copy.read_bytes() != content:
            copy.write_bytes(content)
        place(bundle, download_link("/" + copy.resolve().relative_to(srcdir.resolve()).as_posix(), docname))


def setup(app):
    # Before Sphinx's own doctree-read handlers (priority 500): its download collector must see
    # the new links, and its image collector must not see the SVG images taken out.
    app.connect("doctree-read", add_svg_downloads, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
