#!/usr/bin/env python3
"""Execute notebooks in place, each in a fresh kernel, top to bottom (Restart & Run All), and
store them exactly as JupyterLab 4 saves them.

    .venv/bin/python tools/execute_notebooks.py notebooks/03_shallow_networks.ipynb [...]
    .venv/bin/python tools/execute_notebooks.py            # every notebooks/NN_*.ipynb
    .venv/bin/python tools/execute_notebooks.py --format-only notebooks/*.ipynb   # no kernel
    .venv/bin/python tools/execute_notebooks.py --check    # exit 1 if one is not in that form

This is how the committed, executed notebooks are produced. The kernel gets the same
environment as under nbval (see conftest.py), so the stored outputs are what nbval expects.
Widget state is stored, so the static HTML edition and GitHub show the explorers' snapshot.

JupyterLab's form (``jupyterlab_text``), so that opening a chapter and saving it unchanged
rewrites nothing: the kernelspec of the kernel JupyterLab starts (display name "Python 3
(ipykernel)"), every number as JavaScript's JSON.stringify writes it (the notebook passes
through the browser: ``2.0`` becomes ``2``, ``1e-05`` becomes ``0.00001``), then the server's
writer (``nbformat.writes``: keys sorted, indent 1, non-ASCII kept, lines split) and a final
newline. tests/test_notebook_format.py checks every stored notebook against it.
"""
from __future__ import annotations

import argparse
import copy
import math
import os
import platform
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow", "PYTHONHASHSEED": "0",
       "COMPANION_PROGRESS": "0", "OPENBLAS_NUM_THREADS": "1"}
# The same arithmetic on every x86-64 CPU with AVX2, with or without AVX-512: NumPy's AVX-512
# loops, OpenBLAS's AVX-512 kernels and TensorFlow's oneDNN (on by default only where AVX-512
# VNNI exists) each round differently in the last bit, and a few of the course's experiments
# (a zero-initialised network, attention trained from a seed) carry that bit to the printed
# digits (they did: 14 cells of 03, 04, 06, 11, 13 and 14 stored on an AVX-512 machine differed
# on an AVX2 AMD EPYC). Pinned, both kinds of CPU run the AVX2 paths; the stored outputs were
# produced so on the AMD EPYC (an AVX-512 machine was not at hand to confirm the match there).
if platform.machine().lower() in ("x86_64", "amd64"):
    ENV.update({"NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
                "OPENBLAS_CORETYPE": "Haswell", "TF_ENABLE_ONEDNN_OPTS": "0"})
KERNEL = "python3"


def kernelspec(name: str = KERNEL) -> dict:
    """The notebook metadata JupyterLab writes for kernel ``name`` (from its installed spec)."""
    from jupyter_client.kernelspec import KernelSpecManager
    spec = KernelSpecManager().get_kernel_spec(name)
    return {"display_name": spec.display_name, "language": spec.language, "name": name}


def js_number(x: float) -> int | float | str:
    """``x`` as JavaScript's Number#toString writes it: an int for a whole number (``2.0`` ->
    ``2``), else a float whose repr is JS's, else (exponents) the JS text as a ``str``."""
    if not math.isfinite(x):
        raise ValueError(f"a notebook cannot hold the number {x!r} (JSON has no NaN/Infinity)")
    if x == int(x) and abs(x) < 1e21:
        return int(x)
    text = repr(x)
    if "e" not in text:
        return x                                      # same digits, same form in both
    mantissa, exp = text.split("e")
    sign = "-" if mantissa.startswith("-") else ""
    digits = mantissa.lstrip("-").replace(".", "")
    point = int(exp) + 1 if "." not in mantissa else int(exp) + mantissa.lstrip("-").index(".")
    digits = digits.rstrip("0") or "0"
    if -6 < point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if len(digits) <= point <= 21:
        return f"{sign}{digits}{'0' * (point - len(digits))}"
    rest = f".{digits[1:]}" if len(digits) > 1 else ""
    return f"{sign}{digits[0]}{rest}e{'+' if point - 1 >= 0 else '-'}{abs(point - 1)}"


_MARK = "\x00js-number:"


def _js_numbers(obj, marks: dict):
    """A copy of ``obj`` with every float replaced by ``js_number``; numbers whose JS text is
    not a Python float's get a marker string, recorded in ``marks`` (marker -> text)."""
    if isinstance(obj, dict):
        return {k: _js_numbers(v, marks) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_js_numbers(v, marks) for v in obj]
    if isinstance(obj, float):
        value = js_number(obj)
        if isinstance(value, str):
            marker = f"{_MARK}{len(marks)}"
            marks[f'"{marker}"'.replace("\x00", "\\u0000")] = value
            return marker
        return value
    return obj


def jupyterlab_text(nb: nbformat.NotebookNode, spec: dict | None = None) -> str:
    """The file JupyterLab 4 writes when it saves ``nb`` (a version-4 notebook) unchanged."""
    nb = copy.deepcopy(nb)
    nb.metadata["kernelspec"] = spec or kernelspec()
    marks: dict[str, str] = {}
    nb = nbformat.from_dict(_js_numbers(nb, marks))
    text = nbformat.writes(nb, version=nbformat.NO_CONVERT)
    for marker, value in marks.items():
        text = text.replace(marker, value)
    return text if text.endswith("\n") else text + "\n"


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(jupyterlab_text(nb))


def run(path: Path, timeout: int = 600) -> tuple[nbformat.NotebookNode, float]:
    """Restart & Run All of ``path`` in a fresh kernel, in memory: (executed notebook, seconds).
    Raises nbclient's CellExecutionError when a cell fails."""
    from nbclient import NotebookClient
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)      # timestamps of an earlier run
    nb.metadata["kernelspec"] = kernelspec()
    os.environ.update(ENV)
    # no per-cell timestamps in the metadata: a re-execution changes only what it computes
    client = NotebookClient(nb, timeout=timeout, kernel_name=KERNEL, store_widget_state=True,
                            record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - start


def execute(path: Path, timeout: int = 600) -> float:
    """Re-execute ``path`` in place (stored as JupyterLab writes it); return the seconds."""
    nb, seconds = run(path, timeout)
    write(nb, path)
    return seconds


def stored_form_ok(path: Path) -> bool:
    """Whether the file is byte for byte what JupyterLab would save."""
    text = path.read_text(encoding="utf-8")
    return text == jupyterlab_text(nbformat.reads(text, as_version=nbformat.NO_CONVERT))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--format-only", action="store_true",
                      help="rewrite in JupyterLab's form without executing")
    mode.add_argument("--check", action="store_true",
                      help="exit 1 if a notebook is not stored in JupyterLab's form")
    args = parser.parse_args(argv)
    paths = args.paths or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if args.check:
        bad = [p for p in paths if not stored_form_ok(p)]
        for p in bad:
            print(f"{p}: not stored as JupyterLab saves it "
                  "(run tools/execute_notebooks.py --format-only on it)")
        return 1 if bad else 0
    for p in paths:
        if args.format_only:
            write(nbformat.read(p, as_version=nbformat.NO_CONVERT), p)
            print(f"{p.name:40} formatted", flush=True)
        else:
            print(f"{p.name:40} {execute(p):6.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
