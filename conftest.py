"""Root pytest set-up: applies to tests/ and to the notebooks nbval re-executes."""
import os

# Before anything imports TensorFlow: quiet logs, deterministic hashing,
# and no progress bars in notebooks re-executed under test (kernels inherit this environment).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("PYTHONHASHSEED", "0")
os.environ["COMPANION_PROGRESS"] = "0"

import pytest  # noqa: E402


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


