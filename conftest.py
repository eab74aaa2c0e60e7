"""Root pytest set-up: applies to tests/ and to the notebooks nbval re-executes."""
import os

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




# a learner's own copies of the chapters are theirs to grade (make grade), not nbval's to test
collect_ignore_glob = ["notebooks/mine/*"]
