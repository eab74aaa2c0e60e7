"""The solutions as the notebooks store them (collapsed markdown cells tagged ``solution``), run
into one namespace, so that the tests check the very text a learner copies (one copy)."""
import json
import re
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
FENCE = re.compile(r"```python\n(.*?)```", re.S)


def solution_sources(notebook: str) -> list[str]:
    """The code of every solution cell of ``notebooks/<notebook>.ipynb``, in order."""
    cells = json.loads((NOTEBOOKS / f"{notebook}.ipynb").read_text(encoding="utf-8"))["cells"]
    found = []
    for cell in cells:
        if "solution" in cell["metadata"].get("tags", []):
            assert cell["cell_type"] == "markdown", "a solution is a markdown cell"
            assert cell["metadata"].get("jupyter", {}).get("source_hidden") is True
            text = "".join(cell["source"])
            assert text.startswith("**Solution** (try first; copy it into the cell above")
            found.append(FENCE.search(text).group(1))
    return found


def solutions(notebook: str, preamble: str = "import numpy as np\n") -> dict:
    """Execute the notebook's solutions (after ``preamble``) and return their namespace."""
    namespace: dict = {}
    exec(preamble, namespace)                                  # noqa: S102 - our own notebooks
    for code in solution_sources(notebook):
        exec(code, namespace)                                  # noqa: S102
    return namespace
