#!/usr/bin/env python3
"""Execute notebooks in place, each in a fresh kernel, top to bottom (Restart & Run All).

    .venv/bin/python tools/execute_notebooks.py notebooks/03_shallow_networks.ipynb [...]
    .venv/bin/python tools/execute_notebooks.py            # every notebooks/NN_*.ipynb

This is how the committed, executed notebooks are produced. The kernel gets the same
environment as under nbval (see conftest.py), so the stored outputs are what nbval expects.
Widget state is stored, so the static HTML edition and GitHub show the explorers' snapshot.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow", "PYTHONHASHSEED": "0",
       "COMPANION_PROGRESS": "0", "OPENBLAS_NUM_THREADS": "1"}


def execute(path: Path, timeout: int = 600) -> float:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    os.environ.update(ENV)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for p in paths:
        seconds = execute(p)
        print(f"{p.name:40} {seconds:6.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
