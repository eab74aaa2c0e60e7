"""One JupyterLab server and one headless Chromium per test process: the whole browser suite in
one process, or one pair per pytest-xdist worker when it runs in parallel (`make test` runs it
on one worker more than there are cores, at most 4, each chapter on whichever is free, longest
chapters first). Each process keeps one JupyterLab page (the ``lab`` fixture,
labtools.LabPage) and opens notebook after notebook in it, as a learner would.

The server runs from this environment (``sys.executable -m jupyter lab``) on a free loopback
port with authentication off (for the test only), over a temporary copy of ``notebooks/``
(so nothing the suite does can modify the committed notebooks), with autosave off, no news
or update checks, and the notebook rendered without virtual scrolling (every cell in the
DOM). Kernels get the environment the notebooks were stored in (tools/execute_notebooks.ENV:
no progress bars, pinned arithmetic), so that Run All computes what nbval checks; test_lab
switches the bars on afterwards, for the explorers.

The browser is the SYSTEM Chromium (``/usr/bin/chromium``, or $COMPANION_CHROMIUM), driven
by Playwright; Playwright's own downloaded browsers are never used. No Chromium: skipped.

Findings go to artifacts/browser-report.json: each process writes its part, and the process
that ran pytest (xdist's controller, or the only one) joins them at the end (root conftest.py).

Environment knobs: COMPANION_BROWSER_NOTEBOOKS=<folder> tests another folder of NN_*.ipynb;
COMPANION_CHROMIUM=<path> picks the browser (COMPANION_CHROMIUM=none skips the suite).
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from labtools import REPORT_PARTS, ROOT, LabPage, notebook_seconds, notebooks_dir

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic", "--disable-dev-shm-usage"]

# JupyterLab user settings for the test server (JUPYTERLAB_SETTINGS_DIR)
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                    "checkForUpdates": False},
    "@jupyterlab/extensionmanager-extension/plugin": {"enabled": False},
}


def find_chromium() -> str | None:
    """$COMPANION_CHROMIUM if set (any non-executable value, e.g. 'none', disables the suite),
    else the system Chromium."""
    chosen = os.environ.get("COMPANION_CHROMIUM")
    cands = [chosen] if chosen else ["/usr/bin/chromium", shutil.which("chromium"),
                                     shutil.which("chromium-browser")]
    for cand in cands:
        if cand and Path(cand).is_file() and os.access(cand, os.X_OK):
            return cand
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_server(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {proc.returncode}:\n"
                               f"{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/api/status", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n"
                       f"{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        where = os.environ.get("COMPANION_CHROMIUM") or "/usr/bin/chromium or chromium on PATH"
        pytest.skip(f"no system Chromium found ({where}; `apt-get install chromium` or set "
                    "COMPANION_CHROMIUM=/path/to/chromium): browser tests skipped")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("the playwright package is not installed: browser tests skipped")
    return path


@pytest.fixture(scope="session")
def lab_server(chromium_path, tmp_path_factory):
    """Start JupyterLab on a copy of the notebooks; yield (base_url, root_dir)."""
    home = tmp_path_factory.mktemp("lab")
    root = home / "course"
    shutil.copytree(notebooks_dir(), root / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    for name in ("assets",):            # relative links such as ../assets/x.png still resolve
        if (ROOT / name).exists():
            (root / name).symlink_to(ROOT / name)
    settings = home / "settings"
    for plugin, values in LAB_SETTINGS.items():
        f = settings / (plugin + ".jupyterlab-settings")
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(values))
    port = _free_port()
    # the kernels' environment is nbval's (tools/execute_notebooks.ENV, which the root
    # conftest.py put in os.environ): Run All computes what nbval compares with the stored ones
    env = dict(os.environ, COMPANION_PROGRESS="0", JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"))
    env.setdefault("KERAS_BACKEND", "tensorflow")
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
           f"--port={port}", "--port-retries=0", f"--ServerApp.root_dir={root}",
           "--IdentityProvider.token=", "--ServerApp.password=",
           "--ServerApp.disable_check_xsrf=True", "--LabApp.expose_app_in_browser=True",
           "--LabApp.news_url=", "--ServerApp.open_browser=False",
           # trust signatures in memory, not in the user's nbsignatures.db: the copies open
           # untrusted, as on a fresh clone, whatever this machine trusted before, and saving
           # one (labtools.check_opened) trusts nothing outside the test
           "--NotebookNotary.db_file=:memory:"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = home / "jupyterlab.log"
    with open(log, "wb") as logf:
        proc = subprocess.Popen(cmd, env=env, stdout=logf, stderr=subprocess.STDOUT,
                                cwd=root, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_server(url, proc, log)
        yield url, root
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def lab(lab_server, browser):
    """This process's JupyterLab page (labtools.LabPage), reused from notebook to notebook."""
    page = LabPage(browser, lab_server[0])
    try:
        yield page
    finally:
        page.discard()


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def suite_report(request):
    """Per-notebook findings of this process, written at its end as one part of
    artifacts/browser-report.json (the root conftest.py joins the parts)."""
    report: dict = {"started": time.time(), "notebooks": {}}
    yield report
    report["seconds"] = round(time.time() - report.pop("started"), 1)
    worker = getattr(request.config, "workerinput", {}).get("workerid", "main")
    run = REPORT_PARTS / os.environ.get("COMPANION_BROWSER_REPORT_RUN", "-")
    run.mkdir(parents=True, exist_ok=True)
    (run / f"{worker}.json").write_text(json.dumps(report, indent=1))


# The order in which a free pytest-xdist worker (--dist load --maxschedchunk=1) takes the next
# test: the offline HTML edition's two tests first (xdist hands each worker its first two tests
# together, so they share one built site), then the chapters' Run All + explorers, longest
# first (each also checks its chapter as opened and saved, before running it), then the
# draw-a-digit test, then the short progress-bar test.
def pytest_collection_modifyitems(config, items):
    seconds = notebook_seconds()
    longest = max(seconds.values(), default=60.0)

    def cost(item) -> float:
        if item.path.name == "test_html_offline.py":
            return 1e9
        if item.path.name == "test_lab.py" and hasattr(item, "callspec"):
            name = item.callspec.params.get("name", "")
            return 100 + seconds.get(name, longest)      # a new chapter: as the longest
        return 50 if item.path.name == "test_draw.py" else 0

    here = Path(__file__).parent
    slots = [i for i, item in enumerate(items) if item.path.parent == here]
    ordered = sorted((items[i] for i in slots), key=cost, reverse=True)   # stable for ties
    for i, item in zip(slots, ordered):
        items[i] = item
