"""The package's architecture, checked: imports point one way and form no cycle.

Roles, from the bottom up (see ARCHITECTURE.md):

    nn  <-  data  <-  models  <-  keras_twin, lab  <-  chapters  <-  exercises

A module may import its own role and the roles below it, never one above. A chapter imports
no other chapter, and an exercise module only its own chapter. Only ``companion.keras_twin``
imports Keras or TensorFlow. Imports inside functions count too: hiding one in a function does
not change the direction of the arrow.
"""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "companion"
RANK = {"nn": 0, "data": 1, "models": 2, "keras_twin": 3, "lab": 3, "chapters": 4,
        "exercises": 5, "grade": 6}
FRAMEWORKS = {"keras", "tensorflow", "tf_keras", "jax", "torch"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules=()) -> set[str]:
    """Every module named by an import statement anywhere in the file (absolute names).

    ``from pkg import name`` counts as importing ``pkg.name`` when that is a module (one of
    ``modules``), else as importing ``pkg``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            for a in node.names:
                full = f"{base}.{a.name}"
                found.add(full if full in modules else base)
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    edges = {}
    for name, path in modules.items():
        edges[name] = {m for m in imports_of(path, modules) if m in modules and m != name}
    return edges


def role(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


EDGES = graph()


def test_the_roles_are_known():
    roles = {role(m) for m in EDGES} - {None}
    assert roles <= set(RANK), f"modules outside the known roles: {sorted(roles - set(RANK))}"


@pytest.mark.parametrize("module", sorted(m for m in EDGES if role(m)))
def test_imports_point_down(module):
    mine = role(module)
    wrong = []
    for target in sorted(EDGES[module]):
        theirs = role(target)
        if theirs is None:                      # `companion` itself: only its __init__
            wrong.append(f"{target} (the package root re-exports; import the role instead)")
        elif RANK[theirs] > RANK[mine] or (RANK[theirs] == RANK[mine] and theirs != mine):
            wrong.append(f"{target} ({theirs} sits above or beside {mine})")
        elif mine == theirs == "chapters" and target != "companion.chapters" != module \
                and target.split(".")[2] != module.split(".")[2]:
            wrong.append(f"{target} (a chapter never imports another chapter)")
        elif (mine == "exercises" and theirs == "chapters" and target != "companion.chapters"
              and module != "companion.exercises"
              and target.split(".")[2] != module.split(".")[2]):
            wrong.append(f"{target} (an exercise module imports only its own chapter)")
    assert not wrong, f"{module} imports " + "; ".join(wrong)


@pytest.mark.parametrize("module", sorted(EDGES))
def test_only_the_twin_imports_frameworks(module):
    if module == "companion.keras_twin" or module.startswith("companion.keras_twin."):
        return
    path = next(p for p in PACKAGE.rglob("*.py") if module_name(p) == module)
    frameworks = {m.split(".")[0] for m in imports_of(path)} & FRAMEWORKS
    assert not frameworks, f"{module} imports {sorted(frameworks)}: only companion.keras_twin may"


def test_no_import_cycle():
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for t in EDGES[m]:
            if state.get(t) == 1:
                cycle = stack[stack.index(t):] + [t]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(EDGES):
        if m not in state:
            visit(m)


def test_no_private_name_imported_from_another_module():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("companion"):
                private = [a.name for a in node.names if a.name.startswith("_")]
                if private:
                    offenders.append(f"{module_name(path)}: {node.module} {private}")
    assert not offenders, "private names imported across modules: " + "; ".join(offenders)


def test_import_companion_is_light_and_fast():
    """The package's own import cost (NumPy already loaded) stays under 0.3 s of CPU time (the
    process's own CPU seconds, which other jobs on a busy machine do not inflate, unlike the
    wall clock), and no role below the chapters pulls in a heavy library at import time."""
    code = ("import sys, time, numpy; t = time.process_time(); import companion; "
            "dt = time.process_time() - t; "
            "import companion.nn, companion.data, companion.models, companion.lab; "
            "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
            "{'tensorflow', 'keras', 'matplotlib', 'ipywidgets', 'sklearn', 'scipy', 'torch', "
            "'jax'}); "
            "print(dt, heavy)")
    # best of three: the first run pays for cold file caches on a busy machine
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.split(" ", 1) for _ in range(3)]
    seconds = min(float(r[0]) for r in runs)
    assert runs[0][1].strip() == "[]", f"importing the library loaded {runs[0][1].strip()}"
    assert seconds < 0.3, f"import companion took {seconds:.2f} s of CPU after NumPy (limit 0.3 s)"


def test_public_faces():
    import companion.nn as nn
    for pkg in ("companion", "companion.nn", "companion.data", "companion.models",
                "companion.lab"):
        mod = __import__(pkg, fromlist=["__all__"])
        names = mod.__all__
        assert names == sorted(names), f"{pkg}.__all__ is not sorted"
        missing = [n for n in names if not hasattr(mod, n)]
        assert not missing, f"{pkg}.__all__ names missing attributes: {missing}"
    for name in ("Dense", "Conv2D", "LSTM", "GRU", "Sequential", "fit", "numerical_gradient"):
        assert hasattr(nn, name)


def test_architecture_md_names_every_module():
    """ARCHITECTURE.md's tree of the package names every module there is, and every file it
    names exists: a module added or renamed without the page fails here."""
    page = (PACKAGE.parent / "ARCHITECTURE.md").read_text()
    tree = page.split("## The package by role", 1)[1].split("```")[1]
    package = PACKAGE
    for folder in ("nn", "nn/layers", "data", "models", "keras_twin", "lab", "exercises"):
        for path in sorted((package / folder).glob("*.py")):
            if path.stem == "__init__" or re.fullmatch(r"ch\d\d", path.stem):
                continue
            assert re.search(rf"\b{path.stem}\b", tree), (
                f"ARCHITECTURE.md's package tree does not name companion/{folder}/{path.name}")
    for named in re.findall(r"\b([\w/]+\.py)\b", tree):
        if "chNN" in named:                          # the pattern chapters/chNN.py
            continue
        hits = list(package.rglob(Path(named).name)) + [p for p in [PACKAGE.parent / named]
                                                          if p.exists()]
        assert hits, f"ARCHITECTURE.md names {named}, which is not in the repository"
