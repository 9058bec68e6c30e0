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
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
import xml.etree.ElementTree as ET
from functools import cache, lru_cache
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", default="_build/html", type=Path)
    args = parser.parse_args(argv)
    problems = check_site(args.site)
    print("\n".join(problems) or f"site_check: {len(site_pages(args.site))} pages, no problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
