"""The built website (_build/html, from `make book`): offline, linked, accessible, as rendered.

The checks themselves are tools/site_check.py (static: links, images, alt text, assets from
other hosts) and tools/browser_check.py (each page rendered by headless Chromium, offline).
The site tests skip, saying why, when the site is not built or Chromium is absent; the tests
of the checkers run on small sites made here, so they show each check can fail.
"""

from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import sphinx_download_bundle as bundle  # noqa: E402

import browser_check  # noqa: E402
import site_check  # noqa: E402

# The checks of the built site need `make book` first (`make check` leaves them out: -m "not book");
# with pytest-xdist they all run on one worker, so that they share one Chromium (conftest.py).
SITE = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
MATHJAX = "_static/mathjax/tex-chtml.js"
PNG_1x1 = bytes.fromhex(  # a whole 1x1 PNG: signature, IHDR, IDAT, IEND
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


@pytest.fixture(scope="module")
def site() -> Path:
    if not (SITE / "index.html").is_file():
        pytest.skip("the site is not built: run `make book` first")
    return SITE


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for every browser test of this module (a tab per page)."""
    path = browser_check.find_chromium()
    if path is None:
        message = "Chromium is not installed (apt-get install chromium), or set CHROMIUM"
        if os.environ.get("CI"):  # .ci/run installs it: a skip there would hide a broken install
            pytest.fail(message)
        pytest.skip(message)
    with browser_check.Chromium(path) as session:
        yield session


def listing(problems: list[str]) -> str:
    return f"{len(problems)} problem(s):\n" + "\n".join(problems)


# --- the built site -----------------------------------------------------------------------

@pytest.mark.book
def test_site_links_images_and_assets(site):
    problems = site_check.check_site(site)
    assert not problems, listing(problems)


@pytest.mark.book
def test_site_renders_in_browser(site, browser):
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    problems = browser_check.check_in_browser(site, browser, screenshots=SCREENSHOTS)
    assert not problems, listing(problems)
    shots = sorted(SCREENSHOTS.glob("*.png"))
    wanted = [path for name in browser_check.SCREENSHOT_PAGES
              for path in browser_check.screenshot_paths(SCREENSHOTS, name).values()]
    assert shots == sorted(wanted)
    assert all(shot.read_bytes().startswith(b"\x89PNG") for shot in shots)


@pytest.mark.book
def test_every_figure_has_a_working_svg_download(site):
    """Each figure a chapter shows links its SVG copy (tools/sphinx_figure_svg.py), a well-formed SVG file."""
    figures = [img for page in site_check.site_pages(site) for img in site_check.parse(page).select(
        site_check.FIGURE_IMAGES)]
    assert len(figures) >= 30, f"only {len(figures)} figures found: has the page layout changed?"
    problems = site_check.check_svg_downloads(site)
    assert not problems, listing(problems)


# Reader-text problems tolerated for a while (e.g. while a page is being rewritten): each entry is
# one problem, exactly as reported, and why it waits. A problem not listed fails; an entry no
# longer found fails too, so the list only shrinks. Empty: every problem found has been fixed.
KNOWN_READER_PROBLEMS: dict[str, str] = {}


def known(problems: list[str]) -> tuple[list[str], list[str]]:
    """The ``problems`` not in KNOWN_READER_PROBLEMS, and its entries no problem matches (fixed)."""
    return ([p for p in problems if p not in KNOWN_READER_PROBLEMS],
            [k for k in KNOWN_READER_PROBLEMS if k not in problems])


@pytest.mark.book
def test_reader_text_has_no_maintainer_vocabulary_and_names_every_chapter_and_file_with_a_link(site):
    """No column name, outcome key, status or rule code, nan, repr or "(s)" in what a reader reads;
    every chapter named is a link, every data file named a download (tools/site_check.py)."""
    problems = site_check.check_reader_text(site) + site_check.check_prose_links(site)
    new, stale = known(problems)
    assert not new, listing(new)
    assert not stale, "fixed, so delete from KNOWN_READER_PROBLEMS:\n" + "\n".join(stale)


@pytest.mark.book
def test_maths_uses_the_mathjax_shipped_with_the_site(site):
    assert (site / MATHJAX).is_file(), f"{MATHJAX} missing: is sphinx-mathjax-offline installed?"
    for page in site_check.site_pages(site):
        soup = site_check.parse(page)
        scripts = [s["src"] for s in soup.find_all("script", src=True)
                   if "mathjax" in s["src"].lower()]
        if soup.select_one(".math"):
            assert scripts, f"{page.name} has maths but loads no MathJax"
        for src in scripts:
            assert src.split("?")[0].endswith(MATHJAX), f"{page.name} loads MathJax from {src}"


REPOSITORY = "https://github.com/ivig-living-review/ivig-living-review"


def built_chapters(site: Path) -> list[str]:
    """Docnames (``book/NAME``) of the chapters in the current build."""
    return sorted(d for d in site_check.built_docnames(site) if d.startswith("book/"))


def header_links(site: Path, docname: str) -> dict[str, str]:
    """The page's header buttons: each link's title (tooltip) -> its href."""
    soup = site_check.parse(site / f"{docname}.html")
    return {a.get("title", ""): a["href"] for a in soup.select(".article-header-buttons a[href]")}


@pytest.mark.book
def test_every_chapter_links_its_source_repository_and_edit_page(site):
    for docname in built_chapters(site):
        links = header_links(site, docname)
        assert links.get("Source repository") == REPOSITORY, docname
        assert links.get("Suggest edit") == f"{REPOSITORY}/edit/main/{docname}.md", docname
        assert links.get("Download source file") == f"../_sources/{docname}.md", docname


@pytest.mark.book
def test_every_notebook_chapter_offers_its_executed_notebook_and_binder(site):
    notebooks = [d for d in built_chapters(site)
                 if "kernelspec:" in (ROOT / f"{d}.md").read_text(encoding="utf8")]
    assert notebooks, "no notebook chapter in the build"
    for docname in notebooks:
        links = header_links(site, docname)
        assert links.get("Launch on Binder") == (
            f"https://mybinder.org/v2/gh/ivig-living-review/ivig-living-review/main"
            f"?urlpath=lab/tree/{docname}.md"), docname
        assert links.get("Download notebook file") == f"../_sources/{docname}.ipynb", docname
        notebook = nbformat.read(site / "_sources" / f"{docname}.ipynb", as_version=4)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        # Every code cell run, also for a chapter whose outputs came from the execution cache
        # (tools/sphinx_executed_notebooks.py); a chapter that only glues has counts, no outputs.
        assert code and all(cell.execution_count for cell in code), f"{docname}.ipynb not executed"


@pytest.mark.book
def test_every_data_file_is_downloadable_from_the_site(site):
    """Each data/*.csv (and the data dictionary) is linked from a page, as an exact copy."""
    downloads = {}
    for page in site_check.site_pages(site):
        for a in site_check.parse(page).find_all("a", href=True):
            if "_downloads/" in a["href"]:
                target = (page.parent / a["href"]).resolve()
                downloads.setdefault(target.name, target)
    wanted = sorted((ROOT / "data").glob("*.csv")) + [ROOT / "data" / "README.md"]
    missing = [f.name for f in wanted if f.name not in downloads]
    assert not missing, f"not downloadable from any page (add to book/90-data.md): {missing}"
    stale = [f.name for f in wanted if downloads[f.name].read_bytes() != f.read_bytes()]
    assert not stale, f"the site's copy differs from data/ (rebuild): {stale}"


@pytest.mark.book
def test_the_download_bundle_holds_data_code_and_every_executed_chapter(site):
    """The one-download copy (book/90-data.md) unpacks to a runnable review: data, package, chapters."""
    archive = site / "_static" / bundle.BUNDLE
    linked = site_check.parse(site / "book" / "90-data.html").find_all("a", href="../_static/" + bundle.BUNDLE)
    assert linked, "book/90-data.md no longer links the bundle"
    with zipfile.ZipFile(archive) as opened:
        names = set(opened.namelist())
        studies = opened.read(f"{bundle.TOP}/data/studies.csv")
    assert studies == (ROOT / "data" / "studies.csv").read_bytes()
    for wanted in ("RUN-ME.txt", "requirements.txt", "pyproject.toml", "metarmc/__init__.py", "data/README.md"):
        assert f"{bundle.TOP}/{wanted}" in names, wanted
    chapters = [d for d in built_chapters(site) if "kernelspec:" in (ROOT / f"{d}.md").read_text(encoding="utf8")]
    missing = [d for d in chapters if f"{bundle.TOP}/{d}.ipynb" not in names]
    assert not missing, f"executed notebooks missing from the bundle: {missing}"


def test_the_download_bundle_is_byte_identical_when_nothing_changed(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "b.csv").write_text("x\n1\n")
    (tmp_path / "a.txt").write_text("a")
    members = [(tmp_path / "data" / "b.csv", "top/data/b.csv"), (tmp_path / "a.txt", "top/a.txt")]
    bundle.write_bundle(tmp_path / "one.zip", members)
    bundle.write_bundle(tmp_path / "two.zip", members[::-1])
    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "one.zip") as opened:
        assert opened.namelist() == [f"{bundle.TOP}/RUN-ME.txt", "top/a.txt", "top/data/b.csv"]
        assert opened.read("top/data/b.csv") == b"x\n1\n"


# --- the checkers, on small sites made here ----------------------------------------------

PAGE = """<!DOCTYPE html><html lang="en"><head><title>{title}</title>{head}</head>
<body><main><h1 id="top">{title}</h1>{body}</main></body></html>"""


def make_site(root: Path, pages: dict[str, str], files: dict[str, bytes] | None = None) -> Path:
    """A site at ``root`` with the given pages (name -> body HTML) and files (name -> bytes)."""
    (root / "_static").mkdir(parents=True, exist_ok=True)
    for name, body in pages.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(PAGE.format(title=Path(name).stem, head="", body=body))
    for name, data in (files or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def test_site_check_passes_a_sound_site(tmp_path):
    site = make_site(tmp_path, {
        "index.html": '<a href="book/a.html#sec">A</a> <a href="https://example.org">out</a>',
        "book/a.html": '<h2 id="sec">S</h2><a href="../index.html#top">up</a> <a href="#">menu</a>'
                       '<img src="../_images/f.png" alt="A forest plot of live birth">'
                       '<img src="../_images/g.svg" alt="A funnel plot">',
    }, {"_images/f.png": PNG_1x1,
        "_images/g.svg": b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'})
    assert site_check.check_site(site) == []


def test_site_check_finds_each_kind_of_problem(tmp_path):
    site = make_site(tmp_path, {
        "index.html": '<a href="book/gone.html">x</a> <a href="book/a.html#nowhere">y</a>'
                      '<a href="#not-here">z</a> <a href="../../etc/passwd">w</a>'
                      '<script src="https://cdn.example.org/x.js"></script>'
                      '<link rel="stylesheet" href="//cdn.example.org/x.css">',
        "book/a.html": '<img src="../_images/f.png">'
                       '<img src="../_images/f.png" alt="f.png">'
                       '<img src="../_images/cut.png" alt="A cut image">'
                       '<img src="../_images/none.png" alt="A missing image">'
                       '<img src="../_images/bad.svg" alt="Not an image">',
    }, {"_images/f.png": PNG_1x1, "_images/cut.png": PNG_1x1[:40],
        "_images/bad.svg": b"<html>oops</html>",
        "_static/theme.css": b"@font-face { src: url('https://fonts.example.org/a.woff2') }"})
    problems = site_check.check_site(site)
    expected = [
        "index.html: <a> book/gone.html points to a file that does not exist",
        "index.html: <a> book/a.html#nowhere: no element with id 'nowhere' in book/a.html",
        "index.html: <a> #not-here: no element with id 'not-here' in index.html",
        "index.html: <a> ../../etc/passwd points outside the site",
        "index.html: <script> loads https://cdn.example.org/x.js from another host",
        "index.html: <link rel=stylesheet> loads //cdn.example.org/x.css from another host",
        "book/a.html: <img src='../_images/f.png'> has no alt text",
        "book/a.html: <img src='../_images/f.png'> has its file name for alt text",
        "book/a.html: <img src='../_images/cut.png'> is a truncated PNG",
        "book/a.html: <img src='../_images/none.png'> ../_images/none.png points to a file",
        "book/a.html: <img src='../_images/bad.svg'> is XML but not SVG",
        "_static/theme.css: loads a font or image from another host",
    ]
    for start in expected:
        assert sum(p.startswith(start) for p in problems) == 1, (start, problems)
    assert len(problems) == len(expected), listing(problems)


SVG_1x1 = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'


def test_svg_download_check_passes_figures_with_their_svg_and_finds_each_problem(tmp_path):
    def figure(png: str, link: str = "") -> str:
        return (f'<div class="cell_output"><figure><img src="../_images/{png}" alt="A plot">'
                f'<figcaption><p>Caption</p>{link}</figcaption></figure></div>')

    def download(href: str, text: str = site_check.SVG_LINK_TEXT) -> str:
        return f'<div class="legend"><p><a class="download" href="{href}">{text}</a></p></div>'

    site = make_site(tmp_path, {"index.html": "", "book/a.html": (
        figure("ok.png", download("../_downloads/1/ok.svg"))
        + '<div class="cell_output"><img src="../_images/bare.png" alt="A plot">'
          '<p><a href="../_downloads/2/bare.svg">Download this figure (SVG)</a></p></div>'
        + figure("none.png")
        + figure("wrong.png", download("../_downloads/3/wrong.svg", "Download"))
        + figure("gone.png", download("../_downloads/4/gone.svg"))
        + figure("png.png", download("../_downloads/5/ok.png"))
        + figure("bad.png", download("../_downloads/6/bad.svg"))
        + '<img src="../_images/logo.png" alt="Not a figure: outside any cell output">')},
        {"_downloads/1/ok.svg": SVG_1x1, "_downloads/2/bare.svg": SVG_1x1, "_downloads/3/wrong.svg": SVG_1x1,
         "_downloads/5/ok.png": PNG_1x1, "_downloads/6/bad.svg": b"<html>oops</html>"})
    assert site_check.check_svg_downloads(site) == [
        "book/a.html: <img src='../_images/none.png'> has no 'Download this figure (SVG)' link",
        "book/a.html: <img src='../_images/wrong.png'> has no 'Download this figure (SVG)' link",
        "book/a.html: <img src='../_images/gone.png'> SVG download ../_downloads/4/gone.svg points to a file "
        "that does not exist",
        "book/a.html: <img src='../_images/png.png'> SVG download links ../_downloads/5/ok.png, not an .svg file",
        "book/a.html: <img src='../_images/bad.png'> SVG download is XML but not SVG",
    ]


def test_review_figures_give_the_same_svg_every_time():
    """The SVG behind a figure's download is deterministic (fixed ids, no date), so builds reproduce."""
    from metarmc.plots.style import ReviewFigure

    def draw() -> str:
        fig = ReviewFigure(figsize=(3, 2))
        ax = fig.add_subplot()
        ax.plot([1, 2, 3], [2, 1, 3], clip_on=True)
        ax.fill_between([1, 2], [0, 1], alpha=0.3)
        return fig._repr_svg_()

    first, second = draw(), draw()
    assert first == second
    assert "<dc:date>" not in first and site_check.image_format_problem(first.encode()) == ""


def test_site_check_skips_pages_of_chapters_no_longer_built(tmp_path):
    site = make_site(tmp_path, {"index.html": "", "book/a.html": "", "book/old.html": "<img>"})
    (site / "searchindex.js").write_text('Search.setIndex({"docnames": ["book/a"], "x": [1]})')
    assert [p.name for p in site_check.site_pages(site)] == ["a.html", "index.html"]


def test_dom_check_finds_what_a_reader_should_not_see():
    dom = PAGE.format(title="", head="", body=(
        '<div class="cell_output"><div class="output traceback"><pre>ValueError: x</pre></div>'
        '<div class="output stderr"><pre>UserWarning: y</pre></div>'
        '<div class="output text_plain"><pre>&lt;Figure size 640x480 with 1 Axes&gt;</pre></div>'
        '</div>'
        '<p>inline <span class="math">\\(x^2\\)</span></p>'
        '<p><span class="math"><mjx-container><mjx-merror data-mjx-error="Undefined control '
        'sequence \\foo"></mjx-merror></mjx-container></span></p>'))
    problems = browser_check.dom_problems(dom.replace(' lang="en"', ""))
    expected = ["no <title>", "no <h1> heading",
                "no lang attribute on <html> (screen readers need it)",
                "1 maths not typeset by MathJax, first: '\\\\(x^2\\\\)'",
                "MathJax error: Undefined control sequence \\foo",
                "error output: 'ValueError: x'",
                "a cell printed to stderr: 'UserWarning: y'",
                "a figure shown as text, not as an image: '<Figure size 640x480 with 1 Axes>'",
                "raw TeX left in the text: \\("]
    assert problems == expected


PROBE_MATHS = ('<p>inverse-variance weight <span class="math notranslate nohighlight">'
               '\\(w_i = 1/\\hat\\sigma_i^2\\)</span></p><div class="math notranslate nohighlight">'
               '\\[I^2 = \\max\\left(0, \\frac{Q - (k - 1)}{Q}\\right)\\]</div>')
MATHJAX_HEAD = ('<script>window.MathJax = {"options": {"processHtmlClass": "math"}}</script>'
                f'<script defer src="{MATHJAX}"></script>')


@pytest.mark.book
def test_shipped_mathjax_typesets_offline_and_the_check_sees_when_it_does_not(
        site, browser, tmp_path):
    """The site's own MathJax, served from loopback with every other host refused, typesets
    inline and display maths; the same page without MathJax is caught untypeset."""
    (tmp_path / "_static").symlink_to(site / "_static", target_is_directory=True)
    for name, head in (("with.html", MATHJAX_HEAD), ("without.html", "")):
        (tmp_path / name).write_text(PAGE.format(title=name, head=head, body=PROBE_MATHS))
    problems = browser_check.check_in_browser(tmp_path, browser, ["with.html", "without.html"])
    assert problems == [
        "without.html: 2 maths not typeset by MathJax, first: "
        "'\\\\(w_i = 1/\\\\hat\\\\sigma_i^2\\\\)'",
        "without.html: raw TeX left in the text: \\(, \\[",
    ]


def test_glued_alt_texts_take_the_values_a_chapter_glued(tmp_path):
    import json

    import sphinx_glued_alt as alt

    glue = tmp_path / "05.glue.json"
    glue.write_text(json.dumps({"lb": {"data": {"text/plain": "'OR 2.04 (95% CI 1.44 to 2.87)'"}},
                                "k": {"data": {"text/plain": "8"}}}))
    values = alt.glued_values(glue)
    assert values == {"lb": "OR 2.04 (95% CI 1.44 to 2.87)", "k": "8"}
    missing: list[str] = []
    text = alt.fill("{glue:k} studies; pooled {glue:lb}; {glue:absent}", values, missing)
    assert text == "8 studies; pooled OR 2.04 (95% CI 1.44 to 2.87); {glue:absent}"
    assert missing == ["absent"]
    assert alt.glued_values(tmp_path / "none.glue.json") == {}


def test_an_edited_static_file_rewrites_every_page(tmp_path):
    from types import SimpleNamespace

    import sphinx_static_files as static

    (tmp_path / "_static").mkdir()
    css = tmp_path / "_static" / "review.css"
    css.write_text("td { color: black; }")
    app = SimpleNamespace(confdir=str(tmp_path), config=SimpleNamespace(html_static_path=["_static"]))
    env = SimpleNamespace(found_docs={"b", "a"})
    assert static.rewrite_when_static_files_change(app, env) == []  # the first build writes every page anyway
    assert static.rewrite_when_static_files_change(app, env) == []  # nothing changed
    css.write_text("td { color: navy; }")
    assert static.rewrite_when_static_files_change(app, env) == ["a", "b"]
    assert static.rewrite_when_static_files_change(app, env) == []
    (tmp_path / "_static" / "new.js").write_text("")
    assert static.rewrite_when_static_files_change(app, env) == ["a", "b"]  # a file added


@pytest.mark.book
def test_no_figure_alt_text_shows_a_glue_placeholder(site):
    leftovers = [f"{page.name}: {img['alt'][:80]}" for page in site_check.site_pages(site)
                 for img in site_check.parse(page).find_all("img", alt=True) if "{glue:" in img["alt"]]
    assert not leftovers, leftovers


READER_PAGE = """<article><p>printed n_total = 842; status not_found, rule ci_vs_p; denominator: itt;
Jablonowska 1999: nan; Reconstruction(live_birth, 3 sets); 2 flag(s); see the main=no row.</p>
<p>Fine: <code>study_id</code> in code, miscarriage counts, pregnant women, None of them.</p>
<pre>n_total = 842</pre>
<div class="cell"><div class="cell_input"><pre>review.binary("live_birth")</pre></div>
<div class="cell_output"><div class="output text_html"><table><tr><td>not_obtained</td></tr></table></div>
</div></div></article>"""


def test_reader_text_check_finds_maintainer_vocabulary_outside_code(tmp_path):
    site = make_site(tmp_path, {"index.html": "", "book/a.html": READER_PAGE,
                                "book/17-add-a-trial.html": READER_PAGE,  # a maintainer page: not read
                                "book/m01-course.html": READER_PAGE})     # the course: its prose only
    problems = site_check.check_reader_text(site)
    prose = ["column 'n_total'", "column 'main='", "code 'not_found'", "code 'ci_vs_p'", "code 'itt'",
             "code 'live_birth'", "nan 'nan'", "repr 'Reconstruction('", "plural 'g(s)'"]
    expected = [f"book/a.html: {p}" for p in prose + ["code 'not_obtained'"]] + [  # in an HTML output
        f"book/m01-course.html: {p}" for p in prose]
    assert [p.partition(" in ")[0] for p in problems] == expected, listing(problems)
    assert problems[0] == ('book/a.html: column \'n_total\' in "printed n_total = 842; status not_found, '
                           'rule ci_vs_p;…"')


def test_reader_text_check_finds_extractor_shorthand_and_untranslated_quotes(tmp_path):
    site = make_site(tmp_path, {"index.html": "", "book/a.html": (
        "<article><p>Gao Table 1: RMC, unexplained (see notes).</p>"
        "<p>A newspaper: '子供がおらず' (women without children).</p>"
        "<p>Fine: the paper's Table 1; Gao 2025, Table 1; τ² and χ²; in our translation, 'women without "
        "children' (original: '子供がおらず').</p></article>")})
    assert site_check.check_reader_text(site) == [
        "book/a.html: source 'Gao Table 1' in \"Gao Table 1: RMC, unexplained (see notes).\"",
        "book/a.html: note 'see notes' in \"Gao Table 1: RMC, unexplained (see notes).\"",
        "book/a.html: untranslated '子供がおらず' in \"A newspaper: '子供がおらず' (women without children).\"",
    ]


def test_maintainer_tokens_come_from_the_code_and_the_data():
    from metarmc.audit import RULE_TITLES
    from metarmc.data import FILES, ROB_DOMAINS, STATUSES

    tokens = site_check.maintainer_tokens()
    for word in (*RULE_TITLES.keys() - {"counts", "wording"}, *ROB_DOMAINS, "not_found", "live_birth_primary",
                 "n_total", "events_t", "itt"):
        assert tokens["code"].fullmatch(word) or tokens["column"].fullmatch(word), word
    assert "not_applicable" in STATUSES and "n_total" in FILES["reported"].columns
    for english in ("counts", "wording", "miscarriage", "low", "pregnant", "abstract", "extracted"):
        assert not any(pattern.search(english) for pattern in tokens.values()), english


LINK_PAGES = {
    "index.html": "",
    "book/11-audit.html": "",
    "book/14-conclusion.html": "",
    "book/a.html": """<article>
<p>The audit chapter checks it; <a href="11-audit.html">the audit chapter</a> is linked; see the conclusion.
The chapter <em>Conclusion</em> weighs it; the chapter <a href="14-conclusion.html">Conclusion</a> is linked.</p>
<p>As chapter 13 says; Chapter 24 of the Handbook; the course chapter <a href="11-audit.html">Audit</a>;
the outcome chapters; at the top of the page.</p>
<p>Counts in <code>data/outcomes.csv</code>; in <a href="../_downloads/0a/outcomes.csv"><code>outcomes.csv</code></a>;
in <a href="11-audit.html">outcomes.csv</a>; <code>data/other.csv</code> is not a data file.</p>
<div class="cell"><div class="cell_input"><pre>see the audit chapter, data/outcomes.csv</pre></div></div></article>""",
}


def test_prose_link_check_finds_chapters_and_data_files_named_without_a_link(tmp_path):
    site = make_site(tmp_path, LINK_PAGES)
    for name, title in (("book/11-audit.html", "Audit"), ("book/14-conclusion.html", "Conclusion: what it means")):
        (site / name).write_text(PAGE.format(title=title, head="", body=""))
    problems = site_check.check_prose_links(site, csv_names={"outcomes.csv"})
    assert [p.partition(': "')[0] for p in problems] == [
        "book/a.html: chapter named without a link",   # The audit chapter
        "book/a.html: chapter named without a link",   # see the conclusion (a chapter's title)
        "book/a.html: chapter named without a link",   # The chapter *Conclusion*
        "book/a.html: chapter named without a link",   # chapter 13
        "book/a.html: outcomes.csv named without a download link",
        "book/a.html: outcomes.csv named without a download link",  # linked, but not to the download
    ], listing(problems)
    assert "The audit chapter checks it" in problems[0] and "see the conclusion" in problems[1]
    assert "The chapter Conclusion weighs" in problems[2]


LAYOUT_PAGES = {
    "wide.html": '<table style="width: 1500px"><tr><td>a table wider than the window</td></tr></table>',
    "scrolls.html": '<div style="overflow-x: auto"><table style="width: 900px"><tr><td>x</td></tr></table></div>',
    "image.html": f'<img style="width: 1400px" alt="a wide figure" src="data:image/png;base64,'
                  f'{__import__("base64").b64encode(PNG_1x1).decode()}">',
    # the summary of findings: its certainty hidden on a phone; the front page's has no certainty
    "book/13-certainty.html": '<style>@media (max-width: 600px) { .c { display: none } }</style>'
                              '<table class="review-table"><thead><tr><th>Outcome</th><th>Relative effect</th>'
                              '<th>Certainty</th></tr></thead><tbody><tr><th data-label="Outcome">Live birth</th>'
                              '<td data-label="Relative effect">OR 1.57</td>'
                              '<td class="c" data-label="Certainty">Very low</td></tr></tbody></table>',
    "book/01-introduction.html": '<table class="review-table"><tbody><tr><td data-label="Outcome">Live birth</td>'
                                 '</tr></tbody></table>',
}


@pytest.mark.book
def test_layout_check_finds_overflow_and_a_summary_of_findings_a_phone_cannot_read(browser, tmp_path):
    site = make_site(tmp_path, LAYOUT_PAGES)
    problems = browser_check.check_in_browser(site, browser, list(LAYOUT_PAGES))
    starts = [
        "wide.html: at 1300 px the page scrolls sideways",
        "wide.html: at 1300 px the table 'a table wider than the window' is 15",
        "wide.html: at 400 px the page scrolls sideways",
        "wide.html: at 400 px the table 'a table wider than the window' is 15",  # ... and nothing lets it scroll
        "image.html: at 1300 px the page scrolls sideways",
        "image.html: at 1300 px the img 'a wide figure' is 1400 px wide",
        "image.html: at 400 px the page scrolls sideways",
        "image.html: at 400 px the img 'a wide figure' is 1400 px wide",
        "book/13-certainty.html: at 400 px row 1 of 'Outcome Relative effect Certainty Live birth OR 1.57' "
        "does not show its certainty ('Certainty')",
        "book/01-introduction.html: at 400 px no review table shows outcome, effect, certainty",
    ]
    for start in starts:
        assert sum(p.startswith(start) for p in problems) == 1, (start, listing(problems))
    assert len(problems) == len(starts), listing(problems)
    assert "nothing lets it scroll" in next(p for p in problems if p.startswith(starts[3]))
