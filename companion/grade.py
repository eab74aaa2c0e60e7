"""Score your own copy of a chapter: ``python -m companion.grade NOTEBOOK...``.

Each notebook runs in a fresh kernel (the environment of ``tools/execute_notebooks.py``, as
nbval and the stored outputs use) with the same checker calls the notebook makes, so what
passes in JupyterLab passes here and the other way round. It prints one line per exercise (the
checker's own ✓/✗ sentence) and then ``NN_name: k/n exercises pass``::

    python -m companion.grade notebooks/01_perceptron.ipynb
    python -m companion.grade --solutions notebooks/01_perceptron.ipynb   # the model answers
    make grade NB=notebooks/01_perceptron.ipynb

What runs: the exercise cells (tagged ``exercise``, your code and the checker call below it),
in order, after only the other cells they need: the first code cell (the chapter's imports)
and each earlier cell that defines a name an exercise cell (or a needed cell) reads. A
solution (tagged ``solution``) is never run in place of your code; ``--solutions`` runs each
exercise with its solution's function (the fenced code of the collapsed ``solution`` cell that
follows it) in place of yours, and ``--all`` runs every non-solution cell instead of the
slice. An exercise cell that is not valid Python is answered in a sentence and scores 0.
"""
from __future__ import annotations

import argparse
import ast
import builtins
import importlib.util
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"```(?:python|py)?\s*\n(.*?)```", re.DOTALL)
CHECK_LINE = re.compile(r"^\s*(?:_\s*=\s*)?ch\d\d\.check_\w+\(.*$", re.MULTILINE)
VERDICT = re.compile(r"^[✓✗] .*$", re.MULTILINE)


def kernel_env() -> dict:
    """The kernel environment the stored notebooks are executed in (tools/execute_notebooks.py)."""
    path = ROOT / "tools" / "execute_notebooks.py"
    spec = importlib.util.spec_from_file_location("_course_execute_notebooks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.ENV)


@dataclass
class Exercise:
    index: int                 # the cell's position in the notebook
    source: str                # what runs (the learner's cell, or the solution put in its place)
    name: str                  # the function the scaffold defines
    problem: str = ""          # a sentence when the cell cannot run (a syntax error)


def _tags(cell) -> list:
    return cell.get("metadata", {}).get("tags", [])


def _python(source: str) -> str:
    """The cell as plain Python (IPython's magics and shell escapes transformed)."""
    from IPython.core.inputtransformer2 import TransformerManager
    return TransformerManager().transform_cell(source)


def _defined_function(source: str) -> str:
    match = re.search(r"^def (\w+)", source, re.MULTILINE)
    return match.group(1) if match else "the exercise"


def solution_code(cells: list, after: int) -> str | None:
    """The solution of the exercise at cell ``after``: the fenced code of the next cell tagged
    ``solution`` (markdown), or its source (a code cell), before the next exercise."""
    for cell in cells[after + 1:]:
        if "exercise" in _tags(cell):
            return None
        if "solution" in _tags(cell):
            if cell["cell_type"] == "code":
                return CHECK_LINE.sub("", cell["source"]).rstrip()
            match = FENCE.search(cell["source"])
            return match.group(1).rstrip() if match else None
    return None


def exercises(cells: list, solutions: bool = False) -> list[Exercise]:
    """The notebook's exercises, each with the code that runs for it."""
    found = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "code" or "exercise" not in _tags(cell):
            continue
        source, name = cell["source"], _defined_function(cell["source"])
        if solutions:
            code = solution_code(cells, i)
            checks = "\n".join(CHECK_LINE.findall(source))
            source = f"{code}\n\n\n{checks}\n" if code else source
        found.append(Exercise(i, source, name, _syntax_problem(source, name)))
    return found


def _syntax_problem(source: str, name: str) -> str:
    try:
        ast.parse(_python(source))
    except SyntaxError as exc:
        line = (exc.text or "").strip()
        return (f"✗ {name}: the cell is not valid Python ({exc.msg}, line {exc.lineno}"
                f"{': `' + line + '`' if line else ''}); fix it and grade again")
    return ""


def _names(source: str) -> tuple[set, set]:
    """(names the code defines at top level, names it reads) for a code cell."""
    try:
        tree = ast.parse(_python(source))
    except SyntaxError:
        return set(), set()
    defined, read = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (defined if isinstance(node.ctx, ast.Store) else read).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return defined, read - set(dir(builtins))


def needed_cells(cells: list, targets: list[int]) -> list[int]:
    """The code cells the ``targets`` need: the first code cell, and every earlier
    non-exercise, non-solution code cell that defines a name a needed cell reads."""
    code = [i for i, c in enumerate(cells) if c["cell_type"] == "code"]
    keep = set(targets) | ({code[0]} if code else set())
    wanted = set()
    for i in keep:
        wanted |= _names(cells[i]["source"])[1]
    for i in reversed(code):
        if i in keep or {"exercise", "solution"} & set(_tags(cells[i])):
            continue
        if i > max(targets, default=-1):
            continue
        defined, read = _names(cells[i]["source"])
        if defined & wanted:
            keep.add(i)
            wanted |= read
    return sorted(keep)


def _cell_text(outputs: list) -> tuple[str, str]:
    """(stdout text, the error's one-line summary) of an executed cell."""
    text, error = "", ""
    for out in outputs:
        if out.get("output_type") == "stream" and out.get("name") == "stdout":
            text += out.get("text", "")
        elif out.get("output_type") == "error":
            error = f"{out.get('ename')}: {out.get('evalue')}"
    return text, error


def grade(path: Path, solutions: bool = False, everything: bool = False,
          timeout: int = 600) -> tuple[int, int, list[str]]:
    """(passed, total, one line per exercise) for the notebook at ``path``."""
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(path, as_version=4)
    cells, tasks = nb.cells, exercises(nb.cells, solutions)
    runnable = [t for t in tasks if not t.problem]
    if everything:
        order = [i for i, c in enumerate(cells)
                 if c["cell_type"] == "code" and "solution" not in _tags(c)]
    else:
        order = needed_cells(cells, [t.index for t in runnable])
    by_index = {t.index: t for t in tasks}
    run = nbformat.v4.new_notebook(metadata=nb.metadata)
    for i in order:
        if i in by_index and by_index[i].problem:
            continue
        source = by_index[i].source if i in by_index else cells[i]["source"]
        run.cells.append(nbformat.v4.new_code_cell(source, metadata={"grade_index": i}))
    os.environ.update(kernel_env())
    client = NotebookClient(run, timeout=timeout, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    client.execute(stderr=subprocess.DEVNULL)       # the kernel's own log, not the cells'
    outputs = {c.metadata["grade_index"]: c.outputs for c in run.cells}
    lines, passed = [], 0
    for t in tasks:
        line = t.problem or _verdict(t, *_cell_text(outputs.get(t.index, [])))
        passed += line.startswith("✓")
        lines.append(line)
    return passed, len(tasks), lines


def _verdict(task: Exercise, text: str, error: str) -> str:
    found = VERDICT.findall(text)
    if found:
        return found[-1]
    if error:
        return f"✗ {task.name}: the cell raised {error} before its check ran"
    return (f"✗ {task.name}: the cell printed no verdict (put back its last line, the "
            f"checker call `_ = chNN.check_...({task.name})`)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m companion.grade",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--solutions", action="store_true",
                        help="grade the solutions in place of your functions (shows n/n)")
    parser.add_argument("--all", action="store_true", dest="everything",
                        help="run every cell (except solutions), not only those needed")
    args = parser.parse_args(argv)
    status = 0
    for path in args.notebooks:
        if not path.is_file():
            print(f"{path}: no such notebook")
            status = 2
            continue
        try:
            passed, total, lines = grade(path, args.solutions, args.everything)
        except Exception as exc:  # noqa: BLE001 - an unreadable file is answered in a sentence
            print(f"{path}: could not be graded ({type(exc).__name__}: {exc})")
            status = 2
            continue
        print(*lines, sep="\n")
        print(f"{path.stem}: {passed}/{total} exercises pass", flush=True)
        status = status or int(passed < total)
    return status


if __name__ == "__main__":
    sys.exit(main())
