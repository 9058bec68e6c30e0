#!/usr/bin/env python3
"""Check a built HTML site without a browser: local links, images, alt text, offline assets.

    python tools/site_check.py [SITE]      # SITE defaults to _build/html

prints one problem a line (``page: message``) and exits 1 if there is any, 0 if none.
On every page (every ``*.html`` but ``search.html``, ``genindex.html`` and the copies under
``_static/``, ``_sources/``, ``_downloads/``, ``_images/``) it checks that

* every local ``<a href>``, ``<link href>``, ``<script src>`` and the target of a
  ``<meta http-equiv="refresh">`` is a file of the site, and a ``#fragment`` is the ``id``
  (or ``<a name>``) of an element of the page it points to;
* nothing the page loads (``<script>``, a stylesheet, icon or preload ``<link>``, ``<img>``,
  ``<iframe>``, media) comes from another host, so the site works offline;
* every ``<img>`` is a whole PNG, JPEG, GIF or SVG file and has alt text that says something:
  not empty, and not just the image's file name (what myst-nb writes when a cell gives none);

and that no stylesheet under ``_static/`` pulls a font or image from another host.

``check_svg_downloads`` checks that every figure (an ``<img>`` a notebook cell output shows) has a
"Download this figure (SVG)" link (``tools/sphinx_figure_svg.py``) to a well-formed SVG file of the
site; ``main`` runs it with the checks above.

Two checks read the text a reader sees (``reader_blocks``: the article's text, without code
blocks, code cells and outputs shown as code; on the methods course, ``m01``-``m15``, only
the prose); ``main`` runs them after the checks above:

* ``check_reader_text``: no maintainer vocabulary (``maintainer_tokens``, derived from
  ``metarmc`` and ``data/``: column names, outcome keys, status, rule and domain codes, ``nan``,
  reprs, "(s)" plurals), no extractor shorthand ("Gao Table 1", "see notes") and no quote in
  another script without our English translation, except on the pages for maintainers
  (``MAINTAINER_PAGES``);
* ``check_prose_links``: every chapter named in the text ("chapter 13", "the audit chapter",
  "see the conclusion") is inside a link, and every ``data/*.csv`` named is a download link.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup, NavigableString

SKIP_PAGES = {"search.html", "genindex.html"}
SKIP_DIRS = {"_static", "_sources", "_downloads", "_images"}
# <link rel=...> values whose href the browser fetches while loading the page
LOADED_LINK_RELS = {"stylesheet", "icon", "shortcut", "preload", "modulepreload",
                    "apple-touch-icon", "manifest"}
LOADED_TAGS = {"script": "src", "img": "src", "iframe": "src", "video": "src",
               "audio": "src", "source": "src", "embed": "src", "object": "data"}
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")
REMOTE_CSS = re.compile(r"""(?:url\(\s*|@import\s+)['"]?(?:https?:)?//""", re.IGNORECASE)


def built_docnames(site: Path) -> set[str] | None:
    """The documents of the last build, from Sphinx's ``searchindex.js`` (None if absent).

    Sphinx never deletes the page of a chapter taken out of the table of contents; this
    tells the pages of the current book from such leftovers.
    """
    index = site / "searchindex.js"
    if not index.is_file():
        return None
    text = index.read_text(encoding="utf8")
    payload = text[text.index("(") + 1:text.rindex(")")]
    return set(json.loads(payload)["docnames"])


def site_pages(site: Path) -> list[Path]:
    """The pages to check: every ``*.html`` of the site but search, genindex, copied files
    and the leftovers of earlier builds; the root ``index.html`` (a redirect) is kept."""
    docnames = built_docnames(site)
    pages = []
    for page in sorted(site.rglob("*.html")):
        rel = page.relative_to(site)
        docname = rel.with_suffix("").as_posix()
        if page.name in SKIP_PAGES or SKIP_DIRS.intersection(rel.parts[:-1]):
            continue
        if docnames is None or docname in docnames or docname == "index":
            pages.append(page)
    return pages


def parse(path: Path) -> BeautifulSoup:
    """The page at ``path``, parsed once per version of the file: shared, so never modify it."""
    path = Path(path).resolve()
    stat = path.stat()
    return _parse(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _parse(path: Path, mtime_ns: int, size: int) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf8", errors="replace"), "html.parser")


@cache
def anchors(path: Path) -> frozenset[str]:
    """Every ``id`` in the page at ``path``, and every ``<a name>``."""
    soup = parse(path)
    ids = {tag["id"] for tag in soup.find_all(id=True)}
    names = {tag["name"] for tag in soup.find_all("a", attrs={"name": True})}
    return frozenset(ids | names)


def is_site_path(url: str) -> bool:
    """True for a URL that names a file of the site: a relative path and/or a #fragment."""
    parts = urlsplit(url)
    return bool(url.strip()) and not parts.scheme and not parts.netloc


def resolve(site: Path, page: Path, url: str) -> tuple[Path | None, str, str]:
    """The file a local ``url`` on ``page`` points to, its fragment, and a problem (or '')."""
    parts = urlsplit(url)
    if not parts.path:
        return page.resolve(), unquote(parts.fragment), ""
    target = (page.parent / unquote(parts.path)).resolve()
    if not target.is_relative_to(site.resolve()):
        return None, "", f"{url} points outside the site"
    if target.is_dir():
        target = target / "index.html"
    if not target.is_file():
        return None, "", f"{url} points to a file that does not exist"
    return target, unquote(parts.fragment), ""


def link_problem(site: Path, page: Path, url: str) -> str:
    """'' if the local ``url`` on ``page`` reaches an existing file (and anchor)."""
    target, fragment, problem = resolve(site, page, url)
    if problem or not fragment or target.suffix != ".html":
        return problem
    if fragment not in anchors(target):
        return f"{url}: no element with id {fragment!r} in {target.relative_to(site.resolve())}"
    return ""


def refresh_target(soup: BeautifulSoup) -> str | None:
    """The URL of a ``<meta http-equiv="refresh" content="0; url=...">``, if the page has one."""
    meta = soup.find("meta", attrs={"http-equiv": re.compile("^refresh$", re.IGNORECASE)})
    if meta is None:
        return None
    match = re.search(r"url\s*=\s*['\"]?([^'\";]+)", meta.get("content", ""), re.IGNORECASE)
    return match.group(1).strip() if match else ""


def local_urls(soup: BeautifulSoup) -> list[tuple[str, str]]:
    """(tag, url) of every link, stylesheet, script and redirect on the page that stays local."""
    found = [("a", tag["href"]) for tag in soup.find_all("a", href=True)]
    found += [("link", tag["href"]) for tag in soup.find_all("link", href=True)]
    found += [("script", tag["src"]) for tag in soup.find_all("script", src=True)]
    refresh = refresh_target(soup)
    if refresh is not None:
        found.append(("meta refresh", refresh))
    return [(tag, url) for tag, url in found if is_site_path(url)]


def check_links(site: Path, page: Path, soup: BeautifulSoup) -> list[str]:
    problems = []
    for tag, url in local_urls(soup):
        problem = link_problem(site, page, url)
        if problem:
            problems.append(f"<{tag}> {problem}")
    return problems


def check_offline(soup: BeautifulSoup) -> list[str]:
    """Everything the page loads from another host (it would not load offline)."""
    problems = []
    for name, attr in LOADED_TAGS.items():
        for tag in soup.find_all(name, attrs={attr: True}):
            if urlsplit(tag[attr]).netloc:
                problems.append(f"<{name}> loads {tag[attr]} from another host")
    for tag in soup.find_all("link", href=True):
        rels = {rel.lower() for rel in tag.get("rel", [])}
        if rels & LOADED_LINK_RELS and urlsplit(tag["href"]).netloc:
            rel = " ".join(sorted(rels))
            problems.append(f"<link rel={rel}> loads {tag['href']} from another host")
    return problems


def image_format_problem(data: bytes) -> str:
    """'' if ``data`` is a whole PNG, JPEG, GIF or SVG image, else what is wrong with it."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "" if data[-12:].find(b"IEND") >= 0 else "is a truncated PNG (no IEND chunk)"
    if data.startswith(b"\xff\xd8\xff"):
        return "" if data.rstrip(b"\0").endswith(b"\xff\xd9") else "is a truncated JPEG"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return ""
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        return "is neither a PNG, JPEG, GIF nor well-formed SVG"
    return "" if root.tag.rpartition("}")[2] == "svg" else "is XML but not SVG"


def image_bytes(site: Path, page: Path, src: str) -> tuple[bytes | None, str]:
    """The bytes of the image at ``src`` (a local path or a base64 data: URI), or a problem."""
    if src.startswith("data:"):
        header, _, payload = src.partition(",")
        if ";base64" not in header:
            return unquote(payload).encode("utf8"), ""
        try:
            return base64.b64decode(payload, validate=True), ""
        except ValueError:
            return None, "is a data: URI whose base64 does not decode"
    target, _, problem = resolve(site, page, src)
    return (None, problem) if problem else (target.read_bytes(), "")


def alt_problem(img) -> str:
    """'' if the ``<img>`` has alt text that describes it."""
    alt = (img.get("alt") or "").strip()
    if not alt:
        return "has no alt text"
    name = PurePosixPath(urlsplit(img.get("src", "")).path).name
    if alt.lower().endswith(IMAGE_SUFFIXES) or (name and PurePosixPath(alt).name == name):
        return f"has its file name for alt text ({alt!r}): describe the figure instead"
    return ""


def check_images(site: Path, page: Path, soup: BeautifulSoup) -> list[str]:
    problems = []
    for img in soup.find_all("img"):
        src = img.get("src", "")
        label = f"<img src={src[:60]!r}>"
        alt = alt_problem(img)
        if alt:
            problems.append(f"{label} {alt}")
        if not src or urlsplit(src).netloc:
            continue  # no source at all, or remote (reported by check_offline)
        data, problem = image_bytes(site, page, src)
        problem = problem or image_format_problem(data)
        if problem:
            problems.append(f"{label} {problem}")
    return problems


#: The link under each figure (tools/sphinx_figure_svg.py); a figure is an <img> of a cell's output.
SVG_LINK_TEXT = "Download this figure (SVG)"
FIGURE_IMAGES = ".cell_output img"


def svg_link(img):
    """The "Download this figure (SVG)" ``<a>`` of a figure: in its ``<figure>``, else in the paragraph after it."""
    figure = img.find_parent("figure")
    where = figure if figure is not None else img.find_next_sibling("p")
    links = where.find_all("a", href=True) if where is not None else []
    return next((a for a in links if " ".join(a.get_text().split()) == SVG_LINK_TEXT), None)


def check_svg_downloads(site: Path) -> list[str]:
    """Figures without a working SVG download: ``page: <img src=...> message``."""
    site = Path(site)
    problems = []
    for page in site_pages(site):
        name = page.relative_to(site).as_posix()
        for img in parse(page).select(FIGURE_IMAGES):
            label = f"<img src={img.get('src', '')[:60]!r}>"
            link = svg_link(img)
            if link is None:
                problems.append(f"{name}: {label} has no {SVG_LINK_TEXT!r} link")
                continue
            target, _, problem = resolve(site, page, link["href"])
            if not problem and not link["href"].lower().endswith(".svg"):
                problem = f"links {link['href']}, not an .svg file"
            problem = problem or image_format_problem(target.read_bytes())
            if problem:
                problems.append(f"{name}: {label} SVG download {problem}")
    return problems


def check_page(site: Path, page: Path) -> list[str]:
    """Every problem of one page, each as ``relative/path.html: message``."""
    soup = parse(page)
    name = page.relative_to(site).as_posix()
    found = check_links(site, page, soup) + check_offline(soup) + check_images(site, page, soup)
    return [f"{name}: {problem}" for problem in found]


def check_stylesheets(site: Path) -> list[str]:
    """Stylesheets under ``_static/`` that fetch something (a font, an image) from another host."""
    return [
        f"{css.relative_to(site).as_posix()}: loads a font or image from another host"
        for css in sorted((site / "_static").rglob("*.css"))
        if REMOTE_CSS.search(css.read_text(encoding="utf8", errors="replace"))
    ]


def check_site(site: Path) -> list[str]:
    """Every problem found in the built site at ``site``, pages first, then stylesheets."""
    site = Path(site)
    if not (site / "index.html").is_file():
        raise ValueError(f"expected a built site with an index.html in {site}")
    anchors.cache_clear()
    problems = [p for page in site_pages(site) for p in check_page(site, page)]
    return problems + check_stylesheets(site)

# --- the text a reader sees ---------------------------------------------------------------

REPOSITORY = Path(__file__).resolve().parents[1]
#: Pages written for the people who maintain the review: commands and code names belong there.
MAINTAINER_PAGES = {"book/17-add-a-trial.html", "book/92-maintainers-update.html",
                    "book/93-validation.html", "book/94-benchmarks.html"}
#: The methods course shows its code, and its outputs, to students: only its prose is read.
PROSE_ONLY = re.compile(r"book/m\d\d-[^/]*\.html")
#: What a reader never sees as text: code blocks (code cells, outputs shown as code), maths, scripts.
NOT_TEXT = {"script", "style", "pre", "textarea", "mjx-container", "mjx-assistive-mml", "math", "svg", "button"}
BLOCK_TAGS = {"p", "li", "td", "th", "dd", "dt", "div", "caption", "h1", "h2", "h3", "h4", "h5", "h6",
              "figcaption", "blockquote", "section", "table", "tr", "ul", "ol", "dl", "figure", "aside", "br"}
CODE_CELL = ".cell_input, a.headerlink"
#: Parts of a reader page the text checks leave out, each with why (page -> CSS selector).
NOT_READER_TEXT = {
    # the bibliography: "Chapter 10" there is a chapter of the Cochrane Handbook, not of this book
    "book/99-references.html": ".citation",
}
# A repr that pandas or Python prints, never a sentence: dtype lines, <metarmc.x object at ...>, <NA>.
REPR_MARKERS = ("<metarmc", "dtype:", " object at 0x", "<NA>")
#: An extractor's shorthand in data text shown to readers, kind -> pattern (the data say it in words).
SHORTHAND = {
    # "Gao Table 1": to a reader the paper is "the paper" ("the paper's Table 1"); "Gao 2025, Table 1"
    # is a citation, and stays
    "source": re.compile(r"\bGao (?:Table|Fig(?:ure|\.)?) ?\d+"),
    # a pointer into the notes columns of data/, which a reader never sees
    "note": re.compile(r"\bsee (?:the )?notes\b", re.IGNORECASE),
}
#: A run of a script a reader of this English review may not read (Cyrillic, Hebrew, Arabic,
#: Devanagari, Thai, Hangul, Japanese kana, Chinese characters); Greek is maths here (τ², χ²).
FOREIGN_SCRIPT = re.compile("[\u0400-\u04ff\u0590-\u06ff\u0900-\u097f\u0e00-\u0e7f\u1100-\u11ff"
                            "\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+")
#: What a block holding such a quote must say: that it gives the quote in English, as ours.
TRANSLATED = re.compile(r"\bour translation\b", re.IGNORECASE)


@dataclass(frozen=True)
class Block:
    """The text of one block (paragraph, list item, table cell...) and where links are in it.

    ``links`` holds ``(start, end, href)`` of each ``<a href>`` in ``text``.
    """

    text: str
    links: tuple[tuple[int, int, str], ...]

    def link_at(self, start: int, end: int) -> str | None:
        """The href of a link overlapping ``text[start:end]``, or None."""
        return next((href for a, b, href in self.links if a < end and start < b), None)

    def linked(self, start: int, end: int) -> bool:
        """True if ``text[start:end]`` is in a link, or a link follows it at once (``LINK_AFTER``)."""
        return self.link_at(start, end) is not None or any(
            end <= a and LINK_AFTER.fullmatch(self.text[end:a]) for a, _, _ in self.links)


def reader_blocks(soup: BeautifulSoup, *, prose_only: bool = False, inline_code: bool = True,
                  leave_out: str = "") -> list[Block]:
    """The blocks of text of the page's article as a reader sees them (``soup`` is not changed).

    Code blocks, code cells and outputs shown as code are left out; ``prose_only`` also leaves
    out every cell (its outputs too), ``inline_code=False`` the ``<code>`` spans of the prose,
    ``leave_out`` the elements matching that CSS selector.
    """
    root = soup.find("article") or soup.find("main") or soup.body or soup
    selector = ", ".join(filter(None, (CODE_CELL, ".cell" if prose_only else "", leave_out)))
    skip = {id(tag) for tag in root.select(selector)}
    blocks: list[Block] = []
    text: list[str] = []
    links: list[tuple[int, int, str]] = []

    def close() -> None:
        joined = "".join(text)
        if joined.strip():
            blocks.append(Block(joined, tuple(links)))
        text.clear()
        links.clear()

    def walk(node, href: str | None) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if type(child) is NavigableString:  # not a comment, CDATA or doctype
                    text.append(str(child))
                continue
            if child.name in NOT_TEXT or id(child) in skip or (child.name == "code" and not inline_code):
                continue
            block = child.name in BLOCK_TAGS
            if block:
                close()
            start = sum(map(len, text))
            walk(child, href or (child.get("href") if child.name == "a" else None))
            if child.name == "a" and child.get("href") and not href:
                links.append((start, sum(map(len, text)), child["href"]))
            if block:
                close()

    walk(root, None)
    close()
    return blocks


def page_blocks(site: Path, page: Path, *, inline_code: bool) -> tuple[str, list[Block]]:
    """The page's name and its reader text (``reader_blocks``, with its ``NOT_READER_TEXT``)."""
    name = page.relative_to(site).as_posix()
    return name, reader_blocks(parse(page), prose_only=bool(PROSE_ONLY.fullmatch(name)), inline_code=inline_code,
                               leave_out=NOT_READER_TEXT.get(name, ""))


def snippet(text: str, start: int, end: int, around: int = 40) -> str:
    """``text[start:end]`` with up to ``around`` characters each side, on one line."""
    left, right = max(0, start - around), min(len(text), end + around)
    piece = " ".join(text[left:right].split())
    return ("…" if left else "") + piece + ("…" if right < len(text) else "")


def _words(mapping) -> dict[str, str]:
    return {str(code): str(getattr(words, "name", words)) for code, words in mapping.items()}


def _coded(code: str, words: str) -> bool:
    """True if ``code`` is a code, never reader English: it has an underscore, or it is a short
    lower-case abbreviation its own reader words do not use (``itt``: "all randomised women")."""
    if "_" in code:
        return True
    return code.islower() and len(code) <= 4 and re.search(rf"\b{re.escape(code)}\b", words.lower()) is None


def _classes(package) -> set[str]:
    """The names of the classes defined in ``package`` and its modules."""
    import importlib
    import inspect
    import pkgutil

    names = set()
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        names |= {name for name, obj in vars(module).items()
                  if inspect.isclass(obj) and obj.__module__ == module.__name__}
    return names


@cache
def maintainer_tokens(root: Path = REPOSITORY) -> dict[str, re.Pattern]:
    """What a reader must never read, derived from the code and the data: kind -> pattern.

    * ``column``: every column name with an underscore (``metarmc.data.FILES`` and the headers of
      ``data/**/*.csv``), and any column written as ``name=value`` (``main=no``);
    * ``code``: the coded values of outcomes (``metarmc.review.registry.OUTCOMES``), statuses,
      denominators, derivations, source kinds, risk-of-bias domains and judgements, audit rules
      (``metarmc.audit.RULE_TITLES``) that are codes, not words (``_coded``);
    * ``nan``, ``repr`` (``ClassName(`` of every class of ``metarmc``, pandas' and Python's
      reprs) and ``plural`` ("flag(s)").
    """
    import metarmc
    from metarmc import data
    from metarmc.audit import RULE_TITLES
    from metarmc.plots.rob import ROB_DOMAIN_NAMES
    from metarmc.plots.style import JUDGMENT_STYLE
    from metarmc.review.registry import OUTCOMES

    columns = {column for spec in data.FILES.values() for column in spec.columns}
    for csv in sorted((root / "data").rglob("*.csv")):
        with csv.open(encoding="utf8") as handle:
            columns |= {c.strip() for c in handle.readline().split(",") if c.strip()}
    vocabularies = [{name: o.title for name, o in OUTCOMES.items()}, data.STATUS_REASONS,
                    data.DENOMINATOR_WORDS, data.DERIVATION_WORDS, data.SOURCE_WORDS, ROB_DOMAIN_NAMES,
                    JUDGMENT_STYLE, RULE_TITLES]
    codes = {code for mapping in vocabularies for code, words in _words(mapping).items() if _coded(code, words)}
    codes |= {status for status in data.STATUSES if "_" in status}

    def alternatives(words) -> str:
        return "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))

    bare = r"(?<![\w/.-])(?:{})(?![\w/-]|\.\w)"
    return {
        "column": re.compile(bare.format(alternatives(c for c in columns if "_" in c))
                             + rf"|\b(?:{alternatives(columns)})="),
        "code": re.compile(bare.format(alternatives(codes - columns))),
        "nan": re.compile(r"\b(?:nan|NaN)\b"),
        "repr": re.compile(rf"\b(?:{alternatives(_classes(metarmc))})\(|{alternatives(REPR_MARKERS)}"),
        "plural": re.compile(r"\w\(s\)"),
    }


def check_reader_text(site: Path, pages: list[Path] | None = None) -> list[str]:
    """Maintainer vocabulary in the text of the reader pages: ``page: kind 'token' in "snippet"``.

    The kinds of :func:`maintainer_tokens`, an extractor's shorthand (:data:`SHORTHAND`: ``source``,
    ``note``), and ``untranslated``: text in another script (:data:`FOREIGN_SCRIPT`) in a block
    that does not say it gives "our translation". Code, inline code included, is code: only the
    text around it is read.
    """
    site = Path(site)
    tokens = maintainer_tokens() | SHORTHAND
    problems = []
    for page in site_pages(site) if pages is None else pages:
        name, blocks = page_blocks(site, page, inline_code=False)
        if name in MAINTAINER_PAGES:
            continue
        for block in blocks:
            found = [(kind, match) for kind, pattern in tokens.items() for match in pattern.finditer(block.text)]
            if not TRANSLATED.search(block.text):
                found += [("untranslated", match) for match in FOREIGN_SCRIPT.finditer(block.text)][:1]
            problems += [f"{name}: {kind} {match.group()!r} in \"{snippet(block.text, match.start(), match.end())}\""
                         for kind, match in found]
    return problems


# Words that make "the ... page" a place on a page or a page in general, not a page's name.
_NOT_A_NAME = ("this|that|these|same|next|previous|following|current|each|every|whole|one|first|last|top|bottom|"
               "end|and|or|of|in|on|at|a|an|to|for|with|its|our|your|their")
#: A chapter named in prose: "chapter 13" (not "Chapter 24 of the Handbook"), "the audit
#: chapter", "the data page"; a general "the outcome chapters" is not a name.
CHAPTER_NAMED = re.compile(
    r"\b[Cc]hapter \d+\b(?!\s*(?:of\b|:))"
    rf"|\b[Tt]he\s+(?:(?!(?:{_NOT_A_NAME})\b)[A-Za-z][\w'-]*\s+){{1,2}}(?:chapter|page)\b(?!s)")
LINK_AFTER = re.compile(r"[\s,:(]{0,3}$")  # "the course chapter <a>Publication bias</a>": named by its link
NOT_A_CHAPTER_TITLE = {"references", "glossary"}


def chapter_titles(site: Path) -> dict[str, str]:
    """``docname -> title`` (lower case, before any colon or dash) of each chapter, from the pages."""
    titles = {}
    for page in site_pages(site):
        name = page.relative_to(site).with_suffix("").as_posix()
        heading = parse(page).find("h1")
        if name.startswith("book/") and heading is not None:
            title = re.split(r"[:—–(]", heading.get_text(" ", strip=True).rstrip("#").strip())[0]
            titles[name] = " ".join(title.split()).lower()
    return titles


def _see_title(titles: dict[str, str]) -> re.Pattern:
    """"see the conclusion", "(see Summary of findings)", "the chapter *Conclusion*": ``see`` or
    ``the chapter`` then a chapter's title."""
    words = sorted({t for t in titles.values() if t and t not in NOT_A_CHAPTER_TITLE}, key=len, reverse=True)
    alternatives = "|".join(re.escape(t).replace(r"\ ", r"\s+") for t in words)
    return re.compile(rf"\b(?:see|the\s+chapter)\s+(?:the\s+)?(?:{alternatives})s?\b(?![/.-]\w)", re.IGNORECASE)


def data_files(root: Path = REPOSITORY) -> set[str]:
    return {csv.name for csv in (root / "data").glob("*.csv")}


def check_prose_links(site: Path, pages: list[Path] | None = None, csv_names: set[str] | None = None) -> list[str]:
    """Chapters named in the text without a link, and ``data/*.csv`` names that are not downloads."""
    site = Path(site)
    csv_names = data_files() if csv_names is None else csv_names
    csv = re.compile(r"(?<![\w/.-])(?:data/)?(?:{})(?![\w-])".format("|".join(map(re.escape, sorted(csv_names)))))
    named = [CHAPTER_NAMED, _see_title(chapter_titles(site))]
    problems = []
    for page in site_pages(site) if pages is None else pages:
        name, blocks = page_blocks(site, page, inline_code=True)
        for block in blocks:
            seen = set()
            for pattern in named:
                for match in pattern.finditer(block.text):
                    if not block.linked(match.start(), match.end()) and match.span() not in seen:
                        seen.add(match.span())
                        problems.append(f"{name}: chapter named without a link: "
                                        f"\"{snippet(block.text, match.start(), match.end())}\"")
            # a maintainer page names the repository's files, to edit: not downloads
            for match in csv.finditer(block.text) if csv_names and name not in MAINTAINER_PAGES else ():
                href = block.link_at(match.start(), match.end()) or ""
                file = match.group().rpartition("/")[2]
                if "_downloads/" not in href or not unquote(href).endswith(file):
                    problems.append(f"{name}: {file} named without a download link: "
                                    f"\"{snippet(block.text, match.start(), match.end())}\"")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", default="_build/html", type=Path)
    args = parser.parse_args(argv)
    problems = (check_site(args.site) + check_svg_downloads(args.site) + check_reader_text(args.site)
                + check_prose_links(args.site))
    print("\n".join(problems) or f"site_check: {len(site_pages(args.site))} pages, no problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
