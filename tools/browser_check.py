#!/usr/bin/env python3
"""Open every page of the built site in headless Chromium, offline, and check what a reader sees.

    python tools/browser_check.py [--site _build/html] [--screenshots _build/screenshots]

runs the static checks of ``site_check.py`` (links, images, alt text, assets from other hosts),
then serves SITE on 127.0.0.1 (a free port, a thread of this process) and has Chromium render
each page ``site_check`` lists, but redirects, with every request to another host refused.
In the rendered DOM it checks that the page has a title, an ``<h1>`` and a language; that
MathJax typeset every piece of maths (an ``mjx-container`` in each ``.math``, no
``mjx-merror``, no raw ``\\(``, ``\\[`` or ``$$`` left in the text); and that no cell output
is a traceback, an error, text on stderr or a figure printed as ``<Figure size ...>``.
Screenshots of a few pages (the first, the first with maths, the first with a figure) go to
``--screenshots`` for a person to look at. Prints one problem a line; exits 1 if there is
any, 2 if Chromium is missing (``$CHROMIUM`` names another browser binary).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from bs4 import BeautifulSoup

sys.path.insert(0, str(Path(__file__).resolve().parent))
import site_check  # noqa: E402  (a sibling script, not a package)

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
# Headless, no first-run or background traffic; every request that is not to loopback goes
# to a proxy on a closed loopback port (Chromium never proxies loopback), and every host
# name but 127.0.0.1 fails to resolve: a page that needs the network shows it here.
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
    "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)
TIME_BUDGET_MS = 10_000   # virtual time: enough for MathJax to load its fonts and typeset
TIMEOUT_S = 60            # wall clock, per Chromium run
WINDOW = "1280,2000"
RAW_TEX = ("\\(", "\\[", "$$")
INVISIBLE = ["script", "style", "pre", "code", "textarea", "mjx-container", "mjx-assistive-mml"]
ERROR_OUTPUTS = ".output.traceback, .output.error, .cell_output .traceback"
ERROR_TEXT = ("Traceback (most recent call last)", "CellExecutionError")
# what IPython prints for a matplotlib figure it could not show as an image
FIGURE_AS_TEXT = re.compile(r"<\w*Figure size [\d.]+x[\d.]+ with \d+ Axes>")


def find_chromium() -> str | None:
    """Chromium's path: ``$CHROMIUM`` if set, else the first of CHROMIUM_NAMES on PATH."""
    if os.environ.get("CHROMIUM"):
        return shutil.which(os.environ["CHROMIUM"])
    return next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


@contextmanager
def serve(site: Path):
    """Serve ``site`` over HTTP on 127.0.0.1 at a free port; yields the base URL."""
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def run_chromium(chromium: str, url: str, *args: str) -> str:
    """Run headless Chromium on ``url`` with ``args``; its stdout. Killed whole on timeout."""
    with tempfile.TemporaryDirectory(prefix="chromium-", ignore_cleanup_errors=True) as profile:
        command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                   f"--virtual-time-budget={TIME_BUDGET_MS}", *args, url]
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise RuntimeError(f"Chromium did not finish {url} within {TIMEOUT_S} s") from None
    if proc.returncode != 0:
        tail = err.decode("utf8", "replace").strip().splitlines()[-3:]
        raise RuntimeError(f"Chromium exited {proc.returncode} on {url}: {' | '.join(tail)}")
    return out.decode("utf8", "replace")


def visible_text(dom: str) -> str:
    """The page's text as a reader sees it: no scripts, styles, code or typeset maths."""
    soup = BeautifulSoup(dom, "html.parser")
    for tag in soup.find_all(INVISIBLE):
        tag.decompose()
    for tag in soup.select(".tex2jax_ignore, .mathjax_ignore"):
        tag.decompose()
    return soup.get_text(" ")


def maths_problems(soup: BeautifulSoup) -> list[str]:
    """Maths MathJax left untypeset, or typeset as an error."""
    problems = []
    untypeset = [m for m in soup.select(".math") if m.find("mjx-container") is None]
    if untypeset:
        problems.append(f"{len(untypeset)} maths not typeset by MathJax, first: "
                        f"{untypeset[0].get_text()[:60]!r}")
    for error in soup.find_all("mjx-merror"):
        problems.append(f"MathJax error: {(error.get('data-mjx-error') or error.get_text())[:80]}")
    return problems


def output_problems(soup: BeautifulSoup) -> list[str]:
    """Cell outputs a reader should never see: tracebacks, errors, text on stderr."""
    problems = [f"error output: {tag.get_text(' ', strip=True)[:80]!r}"
                for tag in soup.select(ERROR_OUTPUTS)]
    problems += [f"a cell printed to stderr: {tag.get_text(' ', strip=True)[:80]!r}"
                 for tag in soup.select(".output.stderr")]
    text = soup.get_text(" ")
    problems += [f"{marker!r} in the page" for marker in ERROR_TEXT if marker in text]
    problems += [f"a figure shown as text, not as an image: {match!r}"
                 for match in FIGURE_AS_TEXT.findall(text)]
    return problems


def dom_problems(dom: str) -> list[str]:
    """Everything wrong with a page as Chromium rendered it (``dom`` from ``--dump-dom``)."""
    soup = BeautifulSoup(dom, "html.parser")
    problems = []
    if not (soup.title and soup.title.get_text(strip=True)):
        problems.append("no <title>")
    if not any(h.get_text(strip=True) for h in soup.find_all("h1")):
        problems.append("no <h1> heading")
    if not (soup.html and soup.html.get("lang")):
        problems.append("no lang attribute on <html> (screen readers need it)")
    problems += maths_problems(soup) + output_problems(soup)
    raw = [marker for marker in RAW_TEX if marker in visible_text(dom)]
    if raw:
        problems.append(f"raw TeX left in the text: {', '.join(raw)}")
    return problems


def check_rendered(chromium: str, base_url: str, name: str) -> list[str]:
    """Render page ``name`` (relative to the site) and list its problems as ``name: message``."""
    try:
        dom = run_chromium(chromium, base_url + name, "--dump-dom")
    except RuntimeError as error:
        return [f"{name}: {error}"]
    return [f"{name}: {problem}" for problem in dom_problems(dom)]


def browsable(site: Path) -> list[str]:
    """The pages to open in the browser: site_check's pages less redirects, relative names."""
    return [page.relative_to(site).as_posix() for page in site_check.site_pages(site)
            if site_check.refresh_target(site_check.parse(page)) is None]


def screenshot_pages(site: Path, names: list[str]) -> list[str]:
    """Up to three pages worth a look: the first, the first with maths, the first with a figure."""
    def first(selector: str) -> list[str]:
        hits = [n for n in names if site_check.parse(site / n).select_one(selector)]
        return hits[:1]

    picks = names[:1] + first(".math") + first("article img, figure img, .cell_output img")
    return list(dict.fromkeys(picks))


def take_screenshots(chromium: str, base_url: str, names: list[str], out: Path) -> list[Path]:
    """Save a ``WINDOW``-sized PNG of each page in ``names`` into ``out``; their paths."""
    out.mkdir(parents=True, exist_ok=True)
    shots = []
    for name in names:
        path = out / (name.removesuffix(".html").replace("/", "_") + ".png")
        path.unlink(missing_ok=True)
        run_chromium(chromium, base_url + name, f"--window-size={WINDOW}",
                     f"--screenshot={path.resolve()}")
        shots.append(path)
    return shots


def check_in_browser(site: Path, chromium: str, names: list[str] | None = None,
                     screenshots: Path | None = None, jobs: int = 2) -> list[str]:
    """Render ``names`` (default: every browsable page of ``site``) and list their problems.

    Also saves screenshots of a few of them into ``screenshots`` when given.
    """
    site = Path(site)
    names = browsable(site) if names is None else names
    with serve(site) as base_url, ThreadPoolExecutor(max_workers=jobs) as pool:
        found = pool.map(lambda name: check_rendered(chromium, base_url, name), names)
        problems = [problem for page in found for problem in page]
        if screenshots is not None:
            take_screenshots(chromium, base_url, screenshot_pages(site, names), screenshots)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", default="_build/html", type=Path)
    parser.add_argument("--screenshots", default="_build/screenshots", type=Path,
                        help="folder for the PNGs; '' for none")
    parser.add_argument("--jobs", default=2, type=int, help="Chromium runs at once")
    args = parser.parse_args(argv)
    chromium = find_chromium()
    if chromium is None:
        print("browser_check: no Chromium found (apt-get install chromium, or set CHROMIUM)")
        return 2
    shots = args.screenshots if str(args.screenshots) not in ("", ".") else None
    problems = site_check.check_site(args.site)
    problems += check_in_browser(args.site, chromium, screenshots=shots, jobs=args.jobs)
    pages = len(browsable(args.site))
    print("\n".join(problems) or f"browser_check: {pages} pages rendered, no problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
