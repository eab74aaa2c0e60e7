"""Helpers shared by the browser suite's conftest and tests (no pytest fixtures here)."""
from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def notebooks_dir() -> Path:
    return Path(os.environ.get("COMPANION_BROWSER_NOTEBOOKS", ROOT / "notebooks")).resolve()


def chapter_notebooks() -> list[str]:
    """The NN_*.ipynb present now (chapters are discovered at run time, not listed)."""
    return sorted(p.name for p in notebooks_dir().glob("[0-9][0-9]_*.ipynb"))



def shutdown_kernels(url: str) -> None:
    """Shut down every kernel on the test server (frees memory between notebooks)."""
    try:
        with urllib.request.urlopen(url + "/api/kernels", timeout=10) as r:
            kernels = json.load(r)
        for k in kernels:
            req = urllib.request.Request(f"{url}/api/kernels/{k['id']}", method="DELETE")
            urllib.request.urlopen(req, timeout=30).close()
    except OSError:
        pass

