"""The static HTML edition (`make html`) works with no network: opened from the disk in
Chromium with every non-local request aborted, the formulas are typeset by the MathJax copied
into the site, no request is even attempted off the machine, and the pages link up."""
from __future__ import annotations

import importlib.util
import shutil

import pytest
from labtools import ROOT, notebooks_dir

pytestmark = pytest.mark.browser

# a chapter full of formulas, and the last two pages (the "next" link of the last one)
FORMULAS = "02_gradient_descent.ipynb"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    chapters = sorted(notebooks_dir().glob("[0-9][0-9]_*.ipynb"))
    picked = {notebooks_dir() / FORMULAS, *chapters[-2:]}
    src = tmp_path_factory.mktemp("chapters")
    for p in picked:
        shutil.copy(p, src / p.name)
    spec = importlib.util.spec_from_file_location("build_html", ROOT / "tools" / "build_html.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    out = tmp_path_factory.mktemp("site")
    builder.build(out, src, verbose=False)
    return out, sorted(p.stem for p in picked)


def _offline_page(browser, attempts: list[str]):
    """A page whose requests off the disk are recorded and aborted (no network)."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})

    def route(r):
        url = r.request.url
        if url.startswith(("file://", "data:", "about:")):
            r.continue_()
        else:
            attempts.append(url)
            r.abort()
    page.route("**/*", route)
    return page


def test_formulas_render_with_the_network_blocked(site, browser, screenshots_dir):
    out, _ = site
    attempts: list[str] = []
    page = _offline_page(browser, attempts)
    try:
        page.goto((out / FORMULAS.replace(".ipynb", ".html")).as_uri())
        page.wait_for_function(
            "() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0"
            " && document.querySelectorAll('.MathJax_Display').length > 0", timeout=90_000)
        # every formula MathJax found became a rendered element, none an error
        found = page.evaluate("() => document.querySelectorAll('script[type^=\"math/tex\"]')"
                              ".length")
        typeset = page.evaluate("() => MathJax.Hub.getAllJax().length")
        rendered = page.evaluate("() => document.querySelectorAll('span.MathJax').length")
        errors = page.evaluate("() => document.querySelectorAll('.MathJax_Error, .merror')"
                               ".length")
        display = page.evaluate("() => document.querySelectorAll('.MathJax_Display').length")
        raw = page.evaluate(r"""() => Array.from(document.querySelectorAll('.jp-MarkdownOutput'))
            .map(e => e.innerText).join('\n').match(/\$\$|\\frac|\\nabla|\\sum/g) || []""")
        font = page.evaluate("() => MathJax.OutputJax['HTML-CSS'].fontInUse")
        page.locator(".MathJax_Display").first.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots_dir / "html-offline-formulas.png"))
    finally:
        page.close()
    assert attempts == [], f"the page tried the network: {attempts[:5]}"
    assert found >= 20 and typeset == found == rendered, (found, typeset, rendered)
    assert errors == 0 and display >= 1, (errors, display)
    assert raw == [], f"LaTeX source left on the page: {raw[:5]}"
    assert font == "STIX-Web"


def test_the_last_page_ends_the_course_and_links_back(site, browser):
    out, stems = site
    attempts: list[str] = []
    page = _offline_page(browser, attempts)
    try:
        page.goto((out / f"{stems[-1]}.html").as_uri())
        nav = page.locator("nav.course-nav").first
        texts = [t.strip() for t in nav.locator("a, span").all_inner_texts()]
        page.locator("nav.course-nav a", has_text="Course index").first.click()
        page.wait_for_load_state()
        landed = page.url
    finally:
        page.close()
    assert texts[-1] == "Last chapter: the end of the course", texts
    assert texts[0] == f"\u2190 {stems[-2]}" and texts[1] == "Course index", texts
    assert landed.endswith("/index.html")
    assert attempts == [], f"the page tried the network: {attempts[:5]}"
