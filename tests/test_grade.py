"""``python -m companion.grade``: scores a learner's copy in a fresh kernel with the notebook's
own checker calls. Chapter 1 (the smallest): its scaffolds score 0/4, its solutions 4/4, a
half-done copy with a syntax error in between, and the slice of cells grade runs gives the
same verdicts as running every cell."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from companion import grade

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "notebooks" / "01_perceptron.ipynb"


def cells() -> list:
    return nbformat.read(CHAPTER, as_version=4).cells


def run_grade(*args) -> tuple[int, list[str]]:
    done = subprocess.run([sys.executable, "-m", "companion.grade", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600, check=False)
    return done.returncode, done.stdout.splitlines()


def half_done(path: Path) -> Path:
    """A learner's copy: exercise 1 solved, exercise 2 with a syntax error, 3 and 4 untouched."""
    nb = nbformat.read(CHAPTER, as_version=4)
    exercise = [i for i, c in enumerate(nb.cells) if "exercise" in c.metadata.get("tags", [])]
    first, second = exercise[0], exercise[1]
    code = grade.solution_code(nb.cells, first)
    nb.cells[first].source = code + "\n\n\n_ = ch01.check_predict(predict)\n"
    nb.cells[second].source = nb.cells[second].source.replace(
        "raise NotImplementedError", "return (X @ w + b", 1)
    nbformat.write(nb, path)
    return path


def test_every_exercise_has_a_solution_and_the_slice_is_small():
    nb_cells = cells()
    tasks = grade.exercises(nb_cells)
    assert len(tasks) == 4 and all(grade.solution_code(nb_cells, t.index) for t in tasks)
    needed = grade.needed_cells(nb_cells, [t.index for t in tasks])
    code = [i for i, c in enumerate(nb_cells) if c["cell_type"] == "code"]
    assert needed[0] == code[0] and set(needed) - {code[0]} == {t.index for t in tasks}


def test_solutions_replace_only_the_function_and_keep_the_check():
    nb_cells = cells()
    learner, model = grade.exercises(nb_cells), grade.exercises(nb_cells, solutions=True)
    for a, b in zip(learner, model):
        assert "NotImplementedError" in a.source and "NotImplementedError" not in b.source
        assert b.source.rstrip().endswith(f"({a.name})") and "check_" in b.source


def test_scaffolds_score_zero_and_solutions_all(tmp_path):
    rc, lines = run_grade(CHAPTER)
    assert rc == 1 and lines[-1] == "01_perceptron: 0/4 exercises pass", lines
    assert all(line.startswith("✗ ") and "not implemented yet" in line for line in lines[:-1])
    rc, lines = run_grade("--solutions", CHAPTER)
    assert rc == 0 and lines[-1] == "01_perceptron: 4/4 exercises pass", lines
    assert all(line.startswith("✓ ") for line in lines[:-1])


@pytest.mark.parametrize("everything", [False, True], ids=["the slice", "every cell"])
def test_a_half_done_copy_scores_in_between_and_a_syntax_error_is_a_sentence(tmp_path,
                                                                            everything):
    copy = half_done(tmp_path / "01_perceptron.ipynb")
    rc, lines = run_grade(*(["--all"] if everything else []), copy)
    assert rc == 1 and lines[-1] == "01_perceptron: 1/4 exercises pass", lines
    assert lines[0] == "✓ perceptron predict (3/3 cases agree)"
    assert lines[1].startswith("✗ perceptron_criterion: the cell is not valid Python (")
    assert lines[1].endswith("fix it and grade again")
    assert "not implemented yet" in lines[2] and "not implemented yet" in lines[3]


def test_a_missing_file_is_a_sentence(tmp_path):
    rc, lines = run_grade(tmp_path / "nope.ipynb")
    assert rc == 2 and lines == [f"{tmp_path / 'nope.ipynb'}: no such notebook"]
