"""The solutions of a notebook's exercises, read from its collapsed markdown cells (tagged
``solution``) and executed, so that the tests check the very code a learner would copy."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
FENCE = re.compile(r"```python\n(.*?)```", re.S)


def solution_sources(notebook: str) -> list[str]:
    """The ```python block of every ``solution`` cell of ``notebooks/<notebook>``, in order."""
    cells = json.loads((NOTEBOOKS / notebook).read_text())["cells"]
    out = []
    for cell in cells:
        if "solution" in cell.get("metadata", {}).get("tags", []):
            assert cell["cell_type"] == "markdown", "a solution is a markdown cell"
            out.extend(FENCE.findall("".join(cell["source"])))
    return out


def solutions(notebook: str, **namespace) -> dict:
    """Every solution of ``notebook`` executed in one namespace (``np`` and ``namespace``
    given); returns that namespace, so ``solutions(nb)["rnn_forward"]`` is the function."""
    ns = {"np": np, **namespace}
    for source in solution_sources(notebook):
        exec(compile(source, f"<solution in {notebook}>", "exec"), ns)
    return ns
