"""The static HTML edition: `make html` builds a page per chapter and an index that link up."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from companion.lab.course import CHAPTERS, INDEX_FILE

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
HREF = re.compile(r"""href=["']([^"']+)["']""")
IMG = re.compile(r"""<img[^>]*\ssrc=["']([^"']+)["']""")
SCRIPT_SRC = re.compile(r"""<script[^>]*\ssrc=["']([^"']+)["']""")


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_html", ROOT / "tools" / "build_html.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    built = _load_builder().build(out, NOTEBOOKS, verbose=False)
    return out, built["pages"]


def _local(href: str) -> bool:
    return not re.match(r"^[a-z][a-z0-9+.-]*:", href) and not href.startswith("#")


def test_every_chapter_has_a_page_and_the_index_links_to_it(site):
    out, pages = site
    present = sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    assert sorted(pages) == present
    index = (out / "index.html").read_text(encoding="utf-8")
    links = set(HREF.findall(index))
    for name in present:
        page = out / (Path(name).stem + ".html")
        assert page.is_file(), f"no page for {name}"
        if name != INDEX_FILE:
            assert page.name in links, f"index.html does not link to {page.name}"
    for c in CHAPTERS:
        assert c.title in index and c.notes.split(":")[0] in index


def test_links_between_pages_resolve(site):
    out, _ = site
    problems = []
    for page in sorted(out.glob("*.html")):
        text = page.read_text(encoding="utf-8")
        hrefs = [h for h in HREF.findall(text) if _local(h)]
        for h in hrefs:
            target = h.split("#")[0]
            if target.endswith(".ipynb"):
                problems.append(f"{page.name}: link still points at a notebook: {h}")
            elif target.endswith(".html") and not (out / target).is_file():
                problems.append(f"{page.name}: broken link {h}")
        if page.name != "index.html":
            assert 'href="index.html"' in text, f"{page.name} has no link back to the index"
    assert not problems, "\n".join(problems)


def test_pages_are_offline_with_figures_embedded(site):
    out, pages = site
    for page in sorted(out.glob("[0-9][0-9]_*.html")):
        text = page.read_text(encoding="utf-8")
        for src in IMG.findall(text):
            assert src.startswith("data:"), f"{page.name}: image not embedded: {src[:80]}"
        for src in SCRIPT_SRC.findall(text):
            # every script is the site's own (MathJax included): nothing from the network
            assert _local(src), f"{page.name}: loads a script from {src}"
            assert (out / src.split("?")[0]).is_file(), f"{page.name}: no file for {src}"
        assert "application/vnd.jupyter.widget-view+json" not in text, \
            f"{page.name}: a widget view left for a widget manager to render"
        info = pages[page.stem + ".ipynb"]
        if info["executed"]:
            assert "<img" in text or info["widgets"] == 0, f"{page.name}: no figure"
        assert len(re.findall(r"class=[\"']companion-snapshot[\"']", text)) >= info["widgets"]


def test_links_are_rewritten_and_widgets_snapshotted():
    b = _load_builder()
    assert b.rewrite_links("[next](02_gradient_descent.ipynb)") == "[next](02_gradient_descent.html)"
    assert b.rewrite_links('<a href="03_x.ipynb#sec">') == '<a href="03_x.html#sec">'
    assert b.rewrite_links("[nb](https://host/a.ipynb)") == "[nb](https://host/a.ipynb)"
    state = {
        "box": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_s", "IPY_MODEL_o"]}},
        "s": {"model_name": "FloatSliderModel", "state": {"description": "lr", "value": 0.1}},
        "o": {"model_name": "OutputModel", "state": {"outputs": [
            {"output_type": "stream", "name": "stdout", "text": "loss 0.5\n"},
            {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo="},
             "metadata": {}}]}},
    }
    snap = b.snapshot_html({"model_id": "box"}, state)
    assert "<b>lr</b> = 0.1" in snap and "loss 0.5" in snap
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in snap
    assert "live kernel" in b.snapshot_html({"model_id": "gone"}, state)


def test_formulas_are_typeset_by_the_shipped_mathjax(site):
    out, _ = site
    assert (out / "mathjax" / "MathJax.js").is_file()
    assert (out / "mathjax" / "config" / "TeX-AMS-MML_HTMLorMML-full.js").is_file()
    assert any((out / "mathjax" / "fonts" / "HTML-CSS" / "STIX-Web").rglob("*.woff"))
    page = (out / "02_gradient_descent.html").read_text(encoding="utf-8")
    assert '<script src="mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe">' in page
    assert "MathJax.Hub.Config" in page
    for text in map(lambda p: p.read_text(encoding="utf-8"), out.glob("*.html")):
        assert not re.search(r"https?://[^\s\"'<>]*\.m?js\b", text), "a script URL on the web"


def test_first_and_last_pages_say_so_instead_of_an_empty_arrow(site):
    out, _ = site
    pages = sorted(out.glob("[0-9][0-9]_*.html"))
    nav = re.compile(r'<nav class="course-nav">(.*?)</nav>', re.S)
    first = nav.search(pages[0].read_text(encoding="utf-8")).group(1)
    last = nav.search(pages[-1].read_text(encoding="utf-8")).group(1)
    assert first.startswith('<span class="course-nav-none">First page</span>')
    assert last.endswith('<span class="course-nav-none">Last chapter: the end of the course</span>')
    for text in (first, last):
        assert not re.search(r">\s*(&[lr]arr;|[←→])\s*<", text), f"an empty arrow: {text}"
    middle = nav.search(pages[1].read_text(encoding="utf-8")).group(1)
    assert f'href="{pages[0].name}"' in middle and f'href="{pages[2].name}"' in middle
