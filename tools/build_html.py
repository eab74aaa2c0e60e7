#!/usr/bin/env python3
"""Build the static HTML edition of the course: one page per executed chapter and an index.

    .venv/bin/python tools/build_html.py              # -> _site/index.html, _site/NN_*.html
    .venv/bin/python tools/build_html.py --out /tmp/site

Offline: nbconvert's JupyterLab template with its CSS inlined, figures embedded as data URIs
(markdown images too), no require.js or widget manager fetched from a CDN, and formulas typeset
by the MathJax 2.7 that the ``jupyter-server-mathjax`` package ships, copied into the site
(``_site/mathjax/``): nothing is loaded from the network.
Explorer widgets become their stored snapshot (the control values and the output the
explorer drew when the chapter was executed) with a note that moving the controls needs a
live kernel. Links between chapters (NN_x.ipynb) point to the .html pages; each page has a
previous / index / next bar. Chapters are read from notebooks/ as committed (executed).
"""
from __future__ import annotations

import argparse
import html
import re
import shutil
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from companion.lab.course import CHAPTERS, INDEX_FILE, run_times

TEMPLATE_DIR = Path(__file__).resolve().parent / "html_template"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# a relative link to a notebook, in markdown "](x.ipynb#a)" or HTML href="x.ipynb#a"
NB_LINK = re.compile(r"""(\]\(\s*|href=["'])(?!https?:|mailto:|#)([^)"'\s]*?)\.ipynb(?=[#)"'\s])""")
SNAPSHOT_NOTE = ("Snapshot of an interactive explorer, as drawn when the chapter was executed. "
                 "Moving its controls needs a live kernel: open the chapter in JupyterLab "
                 "(<code>make lab</code>).")
MATHJAX_DIR = "mathjax"                  # in the site: a copy of jupyter_server_mathjax/static
MATHJAX_URL = f"{MATHJAX_DIR}/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
CONTAINERS = {"VBoxModel", "HBoxModel", "BoxModel", "GridBoxModel", "TabModel",
              "AccordionModel", "StackModel"}


def rewrite_links(text: str) -> str:
    """Point links between notebooks at the rendered pages (x.ipynb -> x.html)."""
    return NB_LINK.sub(lambda m: f"{m.group(1)}{m.group(2)}.html", text)


def title_of(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return "Untitled"


# ---------------------------------------------------------------- widget snapshots

def _output_html(out: dict) -> str:
    kind = out.get("output_type")
    if kind == "stream":
        return f"<pre>{html.escape(''.join(out.get('text', '')))}</pre>"
    if kind == "error":
        return f"<pre>{html.escape(out.get('ename', ''))}: {html.escape(out.get('evalue', ''))}</pre>"
    data = out.get("data", {})
    for mime in ("image/png", "image/jpeg"):
        if mime in data:
            src = "".join(data[mime]).replace("\n", "")
            return f'<img src="data:{mime};base64,{src}" alt="explorer figure">'
    if "image/svg+xml" in data:
        return "".join(data["image/svg+xml"])
    if "text/html" in data:
        return rewrite_links("".join(data["text/html"]))
    if "text/plain" in data:
        return f"<pre>{html.escape(''.join(data['text/plain']))}</pre>"
    return ""


def _control_value(name: str, s: dict) -> str | None:
    if "_options_labels" in s and "index" in s:
        idx = s["index"]
        labels = s["_options_labels"]
        if isinstance(idx, int) and 0 <= idx < len(labels):
            return labels[idx]
        return None
    if "value" in s and not isinstance(s["value"], (dict, list)):
        v = s["value"]
        return f"{v:g}" if isinstance(v, float) else str(v)
    if "value" in s and isinstance(s["value"], list):
        return " – ".join(str(v) for v in s["value"])
    return None


def render_widget(model_id: str, state: dict, seen: set | None = None) -> str:
    """Static HTML for one widget (and its children) from the stored widget state."""
    seen = set() if seen is None else seen
    if model_id in seen or model_id not in state:
        return ""
    seen.add(model_id)
    model = state[model_id]
    name, s = model.get("model_name", ""), model.get("state", {})
    if name in CONTAINERS:
        inner = "".join(render_widget(str(c).removeprefix("IPY_MODEL_"), state, seen)
                        for c in s.get("children", []))
        style = "display:flex;flex-wrap:wrap;gap:1.5em;" if name == "HBoxModel" else ""
        return f'<div style="{style}">{inner}</div>' if inner else ""
    if name == "OutputModel":
        return "".join(_output_html(o) for o in s.get("outputs", []))
    if name in ("HTMLModel", "HTMLMathModel"):
        return f"<div>{rewrite_links(str(s.get('value', '')))}</div>"
    if name == "LabelModel":
        return f"<div>{html.escape(str(s.get('value', '')))}</div>"
    if name in ("ButtonModel", "FloatProgressModel", "IntProgressModel") or \
            not name.endswith("Model"):
        return ""
    value = _control_value(name, s)
    if value is None:
        return ""
    label = html.escape(str(s.get("description", "")) or "value")
    return f"<span class='companion-control'><b>{label}</b> = {html.escape(value)}</span>"


def snapshot_html(view: dict, state: dict) -> str:
    body = render_widget(str(view.get("model_id", "")), state)
    if not body:
        return ("<div class='companion-snapshot'><p class='companion-snapshot-note'>"
                "Interactive widget: it needs a live kernel (open the chapter in JupyterLab, "
                "<code>make lab</code>).</p></div>")
    return (f"<div class='companion-snapshot'><p class='companion-snapshot-note'>{SNAPSHOT_NOTE}"
            f"</p>{body}</div>")


def prepare(nb) -> dict:
    """Rewrite links, replace widget views by their snapshots, drop the widget state."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    counts = {"widgets": 0, "snapshots": 0}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = rewrite_links(cell.source)
            continue
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            data = out.get("data")
            if not data:
                continue
            if WIDGET_VIEW in data:
                counts["widgets"] += 1
                snap = snapshot_html(data[WIDGET_VIEW], state)
                counts["snapshots"] += "companion-control" in snap or "<img" in snap
                out["data"] = {"text/html": snap}
            for mime in ("text/html", "text/markdown"):
                if mime in data:
                    data[mime] = rewrite_links("".join(data[mime]))
    nb.metadata.pop("widgets", None)
    return counts


# ---------------------------------------------------------------- pages

def nav_html(prev: Path | None, nxt: Path | None) -> str:
    """Previous / index / next bar; the first and last pages say so instead of a bare arrow."""
    left = (f'<a href="{prev.stem}.html">&larr; {html.escape(prev.stem)}</a>' if prev
            else '<span class="course-nav-none">First page</span>')
    right = (f'<a href="{nxt.stem}.html">{html.escape(nxt.stem)} &rarr;</a>' if nxt
             else '<span class="course-nav-none">Last chapter: the end of the course</span>')
    return (f'<nav class="course-nav">{left}<a href="index.html">Course index</a>{right}</nav>')


def copy_mathjax(out: Path) -> Path:
    """Copy the MathJax of the ``jupyter-server-mathjax`` package into ``out/mathjax``."""
    try:
        import jupyter_server_mathjax
    except ImportError as exc:
        raise SystemExit("the HTML edition needs the jupyter-server-mathjax package (MathJax "
                         "for offline formulas): pip install -e '.[all]'") from exc
    source = Path(jupyter_server_mathjax.__file__).parent / "static"
    target = out / MATHJAX_DIR
    if not (target / "MathJax.js").is_file():
        shutil.copytree(source, target, dirs_exist_ok=True)
    return target


def exporter():
    from nbconvert import HTMLExporter
    ex = HTMLExporter(template_name="lab", extra_template_paths=[str(TEMPLATE_DIR)])
    ex.template_file = "course.html.j2"
    ex.embed_images = True
    ex.exclude_anonymous = False
    ex.mathjax_url = MATHJAX_URL
    return ex


def index_html(pages: dict[str, dict], times: dict[str, float]) -> str:
    rows = []
    for c in CHAPTERS:
        page = pages.get(c.file)
        title = html.escape(c.title)
        link = f'<a href="{c.stem}.html">{c.number:02d} {title}</a>' if page else \
            f"{c.number:02d} {title} <em>(not yet written)</em>"
        builds = ", ".join(
            (f'<a href="{b.stem}.html">{b.number:02d}</a>' if b.file in pages else f"{b.number:02d}")
            for b in CHAPTERS if b.number in c.builds_on) or "&ndash;"
        t = times.get(c.file)
        rows.append(f"<tr><td>{link}</td><td>{html.escape(c.promise)}</td>"
                    f"<td>{html.escape(c.notes)}</td><td>{builds}</td>"
                    f"<td>{'' if t is None else f'{t:.0f} s'}</td></tr>")
    setup = (f'<p><a href="{Path(INDEX_FILE).stem}.html">Check your set-up</a>: the index '
             f"notebook (Python, Keras backend and device, a widget test).</p>"
             if INDEX_FILE in pages else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Deep learning, from the perceptron to the transformer</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 72em; margin: 2em auto; padding: 0 1em;
  line-height: 1.45; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border-bottom: 1px solid #dde; padding: 0.45em 0.6em; text-align: left;
  vertical-align: top; }}
th {{ background: #f3f6fa; }}
a {{ color: #1a5fb4; text-decoration: none; }}
</style></head>
<body>
<h1>Deep learning, from the perceptron to the transformer</h1>
<p>A course of Jupyter notebooks. In every chapter an algorithm is derived, implemented in
NumPy (the <code>companion</code> package), checked (a numerical gradient check and a Keras
twin computing the same numbers), trained on real data, plotted, and explored with widgets.</p>
<p>This is the static edition: figures and the explorers' stored snapshots are shown, but the
controls need a live kernel. To run the chapters and move the sliders, open them in
JupyterLab: <code>make lab</code>.</p>
{setup}
<table>
<thead><tr><th>Chapter</th><th>What you will be able to do</th><th>Notes section</th>
<th>Builds on</th><th>Run time</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
<p><small>Run time: Restart &amp; Run All in a fresh kernel, measured by
<code>benchmarks/notebooks.py</code>.</small></p>
</body></html>
"""


def build(out: Path = ROOT / "_site", notebooks: Path = ROOT / "notebooks",
          verbose: bool = True) -> dict:
    """Render every NN_*.ipynb under ``notebooks`` into ``out``; return what was built."""
    out.mkdir(parents=True, exist_ok=True)
    copy_mathjax(out)
    paths = sorted(notebooks.glob("[0-9][0-9]_*.ipynb"))
    ex = exporter()
    pages: dict[str, dict] = {}
    for i, path in enumerate(paths):
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
        executed = all(c.execution_count is not None for c in code)
        counts = prepare(nb)
        nb.metadata["title"] = title_of(nb)
        nav = nav_html(paths[i - 1] if i > 0 else None,
                       paths[i + 1] if i + 1 < len(paths) else None)
        body, _ = ex.from_notebook_node(nb, resources={"course_nav": nav,
                                                       "metadata": {"name": path.stem}})
        target = out / f"{path.stem}.html"
        target.write_text(body, encoding="utf-8")
        pages[path.name] = {"page": target.name, "title": nb.metadata["title"],
                            "executed": executed, **counts}
        if verbose:
            warn = "" if executed else "  (warning: not executed, outputs missing)"
            print(f"{path.name:40} -> {target.name:40} {counts['widgets']} widget(s){warn}",
                  flush=True)
    (out / "index.html").write_text(index_html(pages, run_times()), encoding="utf-8")
    if verbose:
        print(f"index.html: {len(pages)} page(s) in {out}")
    return {"out": out, "pages": pages}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "_site")
    ap.add_argument("--notebooks", type=Path, default=ROOT / "notebooks")
    args = ap.parse_args(argv)
    build(args.out, args.notebooks)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
