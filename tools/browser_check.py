"""Open every page of the built site in headless Chromium, offline, and check what a reader sees.

    python tools/browser_check.py [--site _build/html] [--screenshots _build/screenshots]

runs the static checks of ``site_check.py`` (links, images, alt text, assets from other hosts),
then serves SITE on 127.0.0.1 (a free port, a thread of this process) and has one headless
Chromium render each page ``site_check`` lists, but redirects, ``--jobs`` pages at a time, with
every request to another host refused. Chromium is driven over the DevTools protocol on a pipe
(``--remote-debugging-pipe``): one browser for the whole site, a tab per page. A page is read
once it has loaded, MathJax has finished its first typesetting and the fonts are in. In the
rendered DOM it checks that the page has a title, an ``<h1>`` and a language; that MathJax
typeset every piece of maths (an ``mjx-container`` in each ``.math``, no ``mjx-merror``, no raw
``\\(``, ``\\[`` or ``$$`` left in the text); and that no cell output is a traceback, an error,
text on stderr or a figure printed as ``<Figure size ...>``. Screenshots of a few pages (the
first, the first with maths, the first with a figure) go to ``--screenshots`` for a person to
look at. Prints one problem a line; exits 1 if there is any, 2 if Chromium is missing
(``$CHROMIUM`` names another browser binary).
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import functools
import http.server
import itertools
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
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
    "--remote-debugging-pipe",
)
TIMEOUT_S = 60            # wall clock, per page (and per DevTools call)
WIDTHS = (1300, 400)      # a desktop reader's window and a phone, in CSS pixels
HEIGHT = 2000             # of the viewport (and so of the screenshots)
TOLERANCE_PX = 1          # sub-pixel rounding of widths: anything wider overflows
#: The pages a person looks at before calling the site done (the front page, the summary of
#: findings, an outcome chapter), screenshotted at each of WIDTHS by ``make site-check``.
SCREENSHOT_PAGES = ("book/01-introduction.html", "book/13-certainty.html", "book/05-live-birth.html")
#: Pages whose summary-of-findings table must show, on a phone, each row's outcome, effect and
#: certainty: a review table with a column matching each pattern (matched on its header).
KEY_TABLES = ("book/13-certainty.html", "book/01-introduction.html")
KEY_COLUMNS = {"outcome": re.compile(r"^outcome", re.IGNORECASE),
               "effect": re.compile(r"effect|odds ratio|mean difference|relative", re.IGNORECASE),
               "certainty": re.compile(r"certainty", re.IGNORECASE)}
# Run in the page at each width: the text column, every table and image in it with the box it
# may scroll in, the page's own width, and where each cell of the review's tables is drawn.
LAYOUT = """(() => {
  const column = document.querySelector('article.bd-article') || document.querySelector('main') || document.body;
  const columnBox = column.getBoundingClientRect();
  const say = el => ((el.querySelector && el.querySelector('caption') ? el.querySelector('caption').innerText : '')
    || el.getAttribute('alt') || el.innerText || '').trim().replace(/\\s+/g, ' ').slice(0, 60);
  const scroller = el => {
    for (let up = el.parentElement; up && up !== column; up = up.parentElement) {
      const overflow = getComputedStyle(up).overflowX;
      if (overflow !== 'visible') return {overflow, client: up.clientWidth, scroll: up.scrollWidth,
                                          classes: up.className};
    }
    return null;
  };
  const shown = el => { const box = el.getBoundingClientRect(); const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== 'hidden' && style.display !== 'none'; };
  const items = [];
  for (const el of column.querySelectorAll('table, img')) {
    if (el.closest('mjx-container') || !shown(el)) continue;
    const box = el.getBoundingClientRect();
    items.push({kind: el.tagName.toLowerCase(), label: say(el), width: box.width, left: box.left - columnBox.left,
                review: el.classList.contains('review-table'), scroller: scroller(el)});
  }
  const tables = [...column.querySelectorAll('table.review-table')].map(table => ({
    label: say(table),
    rows: [...table.querySelectorAll('tbody tr')].map(row => [...row.children].map(cell => {
      const box = cell.getBoundingClientRect();
      return {label: cell.dataset.label || '', shown: shown(cell) && cell.innerText.trim() !== '',
              left: box.left, right: box.right};
    }))}));
  return {column: column.clientWidth, page: document.documentElement.scrollWidth, viewport: window.innerWidth,
          items, tables};
})()"""
# Run after a resize: let the new layout happen and the theme's transitions (its sidebars slide)
# finish, at most 2 s, so that the layout measured and the screenshot are the settled page.
SETTLE_LAYOUT = """(async () => {
  const frame = () => new Promise(done => requestAnimationFrame(() => done()));
  await frame(); await frame();
  const running = document.getAnimations().map(animation => animation.finished.catch(() => null));
  await Promise.race([Promise.all(running), new Promise(done => setTimeout(done, 2000))]);
  await frame();
})()"""
# Run in the page once it has loaded: wait for MathJax's first typesetting and the fonts, then
# hand back the DOM as rendered (what ``chromium --dump-dom`` prints).
SETTLE = """(async () => {
  const mathjax = window.MathJax;
  if (mathjax && mathjax.startup && mathjax.startup.promise) await mathjax.startup.promise;
  if (document.fonts) await document.fonts.ready;
  return document.documentElement.outerHTML;
})()"""
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


class Chromium:
    """One headless Chromium, driven over the DevTools protocol on a pipe; a context manager.

    Chromium reads commands from its fd 3 and writes answers and events to its fd 4, each a
    JSON message ended by a NUL byte. ``render`` opens a tab per page, so several threads can
    render at once.
    """

    def __init__(self, path: str):
        self._profile = tempfile.mkdtemp(prefix="chromium-")
        self._log = Path(self._profile) / "stderr.log"  # a file: a full pipe would block Chromium
        to_chromium_r, to_chromium_w = os.pipe()
        from_chromium_r, from_chromium_w = os.pipe()

        def onto_3_and_4():  # in the child, before exec: the pipe ends where Chromium wants them
            ends = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_chromium_r, from_chromium_w)]
            os.dup2(ends[0], 3)
            os.dup2(ends[1], 4)

        with self._log.open("wb") as log:
            self.process = subprocess.Popen(
                [path, *CHROMIUM_FLAGS, f"--user-data-dir={self._profile}/profile", "about:blank"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                pass_fds=(3, 4), preexec_fn=onto_3_and_4, start_new_session=True)
        os.close(to_chromium_r)
        os.close(from_chromium_w)
        self._out = os.fdopen(to_chromium_w, "wb", buffering=0)
        self._in = os.fdopen(from_chromium_r, "rb", buffering=0)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._pending: dict[int, Future] = {}
        self._events: dict[str, queue.Queue] = {}
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _read(self) -> None:
        buffer = b""
        while chunk := self._in.read(1 << 16):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for message in map(json.loads, messages):
                if "id" in message:
                    future = self._pending.pop(message["id"], None)
                    if future is not None:
                        future.set_result(message)
                elif "sessionId" in message:
                    self._events.setdefault(message["sessionId"], queue.Queue()).put(message)
        self._closed = True
        for future in list(self._pending.values()):
            future.set_exception(RuntimeError(f"Chromium exited ({self._stderr_tail()})"))

    def _stderr_tail(self) -> str:
        if self.process.poll() is None:
            return "still running"
        log = self._log.read_bytes() if self._log.is_file() else b""
        tail = log.decode("utf8", "replace").strip().splitlines()[-3:]
        return f"exit {self.process.returncode}: {' | '.join(tail)}"

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send one DevTools command and wait for its result (RuntimeError on an error)."""
        if self._closed:
            raise RuntimeError(f"Chromium is not running ({self._stderr_tail()})")
        future: Future = Future()
        with self._lock:
            number = next(self._ids)
            self._pending[number] = future
            message = {"id": number, "method": method, "params": params or {}}
            if session is not None:
                message["sessionId"] = session
            self._out.write(json.dumps(message).encode("utf8") + b"\0")
        answer = future.result(timeout=TIMEOUT_S)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error'].get('message', answer['error'])}")
        return answer.get("result", {})

    def wait_for(self, session: str, event: str) -> dict:
        """The next ``event`` of the tab ``session`` (others are dropped)."""
        events = self._events.setdefault(session, queue.Queue())
        while True:
            try:
                message = events.get(timeout=TIMEOUT_S)
            except queue.Empty:
                raise RuntimeError(f"no {event} within {TIMEOUT_S} s") from None
            if message.get("method") == event:
                return message.get("params", {})

    def evaluate(self, session: str, expression: str, url: str):
        """The value of ``expression`` (awaited) in the tab ``session`` showing ``url``."""
        done = self.call("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                              "returnByValue": True}, session)
        if "exceptionDetails" in done:
            raise RuntimeError(f"{url}: {done['exceptionDetails'].get('text', 'script error')}")
        return done["result"].get("value")

    def render(self, url: str, widths: tuple[int, ...] = WIDTHS,
               screenshots: dict[int, Path] | None = None) -> tuple[str, dict[int, dict]]:
        """Load ``url`` in a new tab at ``widths[0]``; return its DOM once settled and its
        ``LAYOUT`` at each of ``widths`` (the window resized, no reload); optionally save a PNG
        per width (``screenshots``: width -> path)."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        try:
            session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            self.resize(session, widths[0])
            self.call("Page.enable", session=session)
            navigation = self.call("Page.navigate", {"url": url}, session)
            if navigation.get("errorText"):
                raise RuntimeError(f"{url} did not load: {navigation['errorText']}")
            self.wait_for(session, "Page.loadEventFired")
            dom = self.evaluate(session, SETTLE, url)
            layouts = {}
            for width in widths:
                self.resize(session, width)
                self.evaluate(session, SETTLE_LAYOUT, url)
                layouts[width] = self.evaluate(session, LAYOUT, url)
                if screenshots and width in screenshots:
                    png = self.call("Page.captureScreenshot", {"format": "png"}, session)["data"]
                    screenshots[width].write_bytes(base64.b64decode(png))
            return dom, layouts
        finally:
            self._events.pop(locals().get("session", ""), None)
            if not self._closed:
                self.call("Target.closeTarget", {"targetId": target})

    def resize(self, session: str, width: int) -> None:
        """Give the tab ``session`` a window ``width`` CSS pixels wide (and ``HEIGHT`` high)."""
        self.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": HEIGHT,
                  "deviceScaleFactor": 1, "mobile": False}, session)

    def close(self) -> None:
        """Ask Chromium to quit; kill its process group if it does not within 10 s."""
        try:
            if not self._closed:
                self.call("Browser.close")
            self.process.wait(timeout=10)
        except (RuntimeError, TimeoutError, subprocess.TimeoutExpired):
            pass
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            self._out.close()
            self._reader.join(timeout=10)
            self._in.close()
            shutil.rmtree(self._profile, ignore_errors=True)


def visible_text(soup: BeautifulSoup) -> str:
    """The page's text as a reader sees it: no scripts, styles, code or typeset maths.

    Takes those out of ``soup`` itself: call it last.
    """
    for tag in soup.find_all(INVISIBLE):
        tag.decompose()
    # myst-nb marks a notebook's whole page section so: only smaller marked parts are left out
    for tag in soup.select(":is(.tex2jax_ignore, .mathjax_ignore):not(section)"):
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
    text = visible_text(soup)
    raw = [marker for marker in RAW_TEX if marker in text]
    if raw:
        problems.append(f"raw TeX left in the text: {', '.join(raw)}")
    return problems


def _px(value: float) -> str:
    return f"{value:.0f} px"


def item_problems(item: dict, width: int, column: float) -> list[str]:
    """What is wrong with one table or image of ``LAYOUT`` at ``width``."""
    what = f"{'review table' if item['review'] else item['kind']} {item['label']!r}"
    box = item["scroller"]
    scrolls = box is not None and box["scroll"] > box["client"] + TOLERANCE_PX
    wider = item["width"] > column + TOLERANCE_PX
    if width == WIDTHS[0] or item["review"] or item["kind"] == "img":
        if wider:
            return [f"at {width} px the {what} is {_px(item['width'])} wide, the text column {_px(column)}"]
        if scrolls:
            return [f"at {width} px the {what} scrolls sideways in its box "
                    f"({_px(box['scroll'])} in {_px(box['client'])})"]
        return []
    on_purpose = box is not None and box["overflow"] in ("auto", "scroll")
    if (wider or scrolls) and not on_purpose:
        return [f"at {width} px the {what} is {_px(item['width'])} wide, the text column {_px(column)}, "
                f"and nothing lets it scroll"]
    return []


def key_column_problems(tables: list[dict], viewport: int) -> list[str]:
    """The summary of findings on a phone: a review table with a column of each ``KEY_COLUMNS``,
    every row of it showing them within the ``viewport``."""
    def column_of(row: list[dict], pattern) -> dict | None:
        return next((cell for cell in row if pattern.search(cell["label"])), None)

    keyed = [t for t in tables if t["rows"] and all(column_of(t["rows"][0], p) for p in KEY_COLUMNS.values())]
    if not keyed:
        return [f"at {viewport} px no review table shows {', '.join(KEY_COLUMNS)} "
                f"(headers matching {[p.pattern for p in KEY_COLUMNS.values()]})"]
    problems = []
    for table in keyed:
        for number, row in enumerate(table["rows"], 1):
            for key, pattern in KEY_COLUMNS.items():
                cell = column_of(row, pattern)
                if not cell["shown"] or cell["left"] < -TOLERANCE_PX or cell["right"] > viewport + TOLERANCE_PX:
                    problems.append(f"at {viewport} px row {number} of {table['label']!r} does not show its "
                                    f"{key} ({cell['label']!r}) within the screen "
                                    f"({_px(cell['left'])} to {_px(cell['right'])})")
    return problems


def layout_problems(name: str, layouts: dict[int, dict]) -> list[str]:
    """Everything wrong with the layout of page ``name`` at each width (``LAYOUT`` results)."""
    problems = []
    for width, layout in layouts.items():
        if layout["page"] > layout["viewport"] + TOLERANCE_PX:
            problems.append(f"at {width} px the page scrolls sideways ({_px(layout['page'])} wide)")
        for item in layout["items"]:
            problems += item_problems(item, width, layout["column"])
        if name in KEY_TABLES and width == min(WIDTHS):
            problems += key_column_problems(layout["tables"], layout["viewport"])
    return problems


def check_rendered(browser: Chromium, base_url: str, name: str,
                   screenshots: dict[int, Path] | None = None) -> list[str]:
    """Render page ``name`` (relative to the site) and list its problems as ``name: message``."""
    try:
        dom, layouts = browser.render(base_url + name, screenshots=screenshots)
    except (RuntimeError, TimeoutError) as error:
        return [f"{name}: {error or f'no answer from Chromium within {TIMEOUT_S} s'}"]
    return [f"{name}: {problem}" for problem in dom_problems(dom) + layout_problems(name, layouts)]


def browsable(site: Path) -> list[str]:
    """The pages to open in the browser: site_check's pages less redirects, relative names."""
    return [page.relative_to(site).as_posix() for page in site_check.site_pages(site)
            if site_check.refresh_target(site_check.parse(page)) is None]


def screenshot_paths(out: Path, name: str) -> dict[int, Path]:
    """Where the screenshots of page ``name`` go: width -> ``out/book_NAME-WIDTH.png``."""
    stem = name.removesuffix(".html").replace("/", "_")
    return {width: out / f"{stem}-{width}.png" for width in WIDTHS}


def check_in_browser(site: Path, browser: Chromium, names: list[str] | None = None,
                     screenshots: Path | None = None, jobs: int = 2) -> list[str]:
    """Render ``names`` (default: every browsable page of ``site``) in ``browser``, ``jobs`` tabs
    at a time, and list their problems.

    Also saves screenshots of the ``SCREENSHOT_PAGES`` among them, at each of ``WIDTHS``, into
    ``screenshots`` when given.
    """
    site = Path(site)
    names = browsable(site) if names is None else names
    shots = {}
    if screenshots is not None:
        screenshots.mkdir(parents=True, exist_ok=True)
        shots = {name: screenshot_paths(screenshots, name) for name in SCREENSHOT_PAGES if name in names}
        for path in (p for paths in shots.values() for p in paths.values()):
            path.unlink(missing_ok=True)
    with serve(site) as base_url, ThreadPoolExecutor(max_workers=jobs) as pool:
        found = pool.map(lambda name: check_rendered(browser, base_url, name, shots.get(name)), names)
        return [problem for page in found for problem in page]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", default="_build/html", type=Path)
    parser.add_argument("--screenshots", default="_build/screenshots", type=Path,
                        help="folder for the PNGs; '' for none")
    parser.add_argument("--jobs", default=2, type=int, help="pages rendered at once")
    args = parser.parse_args(argv)
    chromium = find_chromium()
    if chromium is None:
        print("browser_check: no Chromium found (apt-get install chromium, or set CHROMIUM)")
        return 2
    shots = args.screenshots if str(args.screenshots) not in ("", ".") else None
    problems = (site_check.check_site(args.site) + site_check.check_svg_downloads(args.site)
                + site_check.check_reader_text(args.site) + site_check.check_prose_links(args.site))
    with Chromium(chromium) as browser:
        problems += check_in_browser(args.site, browser, screenshots=shots, jobs=args.jobs)
    pages = len(browsable(args.site))
    print("\n".join(problems) or f"browser_check: {pages} pages rendered, no problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
