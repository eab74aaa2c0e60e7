"""Root pytest set-up: applies to tests/ and to the notebooks nbval re-executes."""
import contextlib
import json
import os
import shutil
import time
from pathlib import Path

from tools import nbval_replay
from tools.execute_notebooks import ENV  # (pytest puts this folder on sys.path first)

# The environment the stored notebooks were executed in (quiet TensorFlow, deterministic
# hashing, no progress bars, one OpenBLAS thread and, on x86-64, the same arithmetic with and
# without AVX-512), before anything imports TensorFlow; kernels nbval starts inherit it. One
# BLAS thread: the course's matrices are small, and on 2 cores a second OpenBLAS thread costs
# more in synchronisation than it gains (measured: ~10x more CPU under load).
for _name, _value in ENV.items():
    os.environ.setdefault(_name, _value)
os.environ["COMPANION_PROGRESS"] = "0"

import pytest  # noqa: E402

_BROWSER_STARTED = pytest.StashKey[float]()


def _execute_like_jupyter():
    """Make nbval execute cells the way Jupyter's Restart & Run All does: with history.

    nbval sends every cell with ``store_history=False``. IPython then cannot see the cell's
    text when deciding whether a trailing ``;`` silences its value, so a line such as
    ``plt.plot(x, y);`` prints ``[<matplotlib.lines.Line2D ...>]`` under nbval but nothing in
    JupyterLab or in the stored notebook. Executing with history makes the test run see
    exactly what a learner sees, instead of rewriting every notebook around the difference.
    """
    try:
        from nbval.kernel import RunningKernel
    except ImportError:        # nbval not installed: package tests only
        return

    def execute_cell_input(self, cell_input, allow_stdin=None):
        return self.kc.execute(cell_input, store_history=True, allow_stdin=allow_stdin,
                               stop_on_error=False)

    RunningKernel.execute_cell_input = execute_cell_input


_execute_like_jupyter()


def pytest_collectstart(collector):
    """nbval: compare text outputs strictly, but not stderr or widget/HTML payloads."""
    if getattr(collector, "path", None) is not None and collector.path.suffix == ".ipynb":
        collector.skip_compare += ("stderr", "text/html", "application/javascript",
                                   "application/vnd.jupyter.widget-view+json",
                                   "application/vnd.jupyter.widget-state+json")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "keras" in item.keywords or "test_keras" in item.nodeid:
            item.add_marker(pytest.mark.keras)
    _longest_notebooks_first(items)


def _longest_notebooks_first(items):
    """The notebooks before the package tests, the longest first (as `make bench` last timed
    them in benchmarks/notebook_times.json), each notebook's cells kept in order.

    With pytest-xdist's ``--dist loadfile --no-loadscope-reorder`` (`make test`) a free worker
    takes the next file in this order, so the long notebooks start at once and the many short
    test files fill the gaps at the end, instead of a long notebook starting last.
    """
    try:
        bench = json.loads((Path(__file__).resolve().parent / "benchmarks"
                            / "notebook_times.json").read_text())
        seconds = {n["notebook"]: float(n["seconds"]) for n in bench["notebooks"]}
    except (OSError, ValueError, KeyError, TypeError):
        seconds = {}

    unknown = max(seconds.values(), default=0.0)      # a new notebook: as long as the longest

    def key(item):
        if item.path.suffix != ".ipynb":
            return (1, 0.0)
        return (0, -seconds.get(item.path.name, unknown))

    items.sort(key=key)                  # stable: cells and test files keep their order




# a learner's own copies of the chapters are theirs to grade (make grade), not nbval's to test
collect_ignore_glob = ["notebooks/mine/*"]


# The browser suite (tests/browser) writes its findings in parts, one per test process (one per
# pytest-xdist worker), in a folder of its own run (named in $COMPANION_BROWSER_REPORT_RUN, which
# the workers inherit); the process that ran pytest joins them into artifacts/browser-report.json
# once every worker is done. Another pytest run at the same time (a package run beside it)
# has its own folder, so neither touches the other's parts.
BROWSER_REPORT = Path(__file__).resolve().parent / "artifacts" / "browser-report.json"
BROWSER_REPORT_PARTS = BROWSER_REPORT.parent / ".browser-report-parts"


def _is_xdist_worker(config) -> bool:
    return hasattr(config, "workerinput")


def pytest_addoption(parser):
    nbval_replay.add_option(parser)


def pytest_configure(config):
    nbval_replay.install(config)      # --nbval-replay DIR: nbval on the browser suite's run
    if not _is_xdist_worker(config):
        os.environ["COMPANION_BROWSER_REPORT_RUN"] = f"{os.getpid()}-{time.time_ns()}"
        config.stash[_BROWSER_STARTED] = time.time()


@pytest.hookimpl(trylast=True)          # after the session fixtures' teardown wrote the parts
def pytest_sessionfinish(session):
    run = BROWSER_REPORT_PARTS / os.environ.get("COMPANION_BROWSER_REPORT_RUN", "-")
    if _is_xdist_worker(session.config) or not run.is_dir():
        return
    parts = [json.loads(p.read_text()) for p in sorted(run.glob("*.json"))]
    shutil.rmtree(run, ignore_errors=True)
    with contextlib.suppress(OSError):
        BROWSER_REPORT_PARTS.rmdir()                     # if no other run left parts there
    if not parts:
        return
    notebooks = {}
    for part in parts:
        notebooks.update(part["notebooks"])
    started = session.config.stash.get(_BROWSER_STARTED, time.time())
    report = {"notebooks": dict(sorted(notebooks.items())),
              "seconds": round(time.time() - started, 1),
              "seconds_per_process": [part["seconds"] for part in parts],   # that ran chapters
              "widgets_exercised": sum(r.get("explorers_moved", 0) for r in notebooks.values())}
    BROWSER_REPORT.write_text(json.dumps(report, indent=1))
