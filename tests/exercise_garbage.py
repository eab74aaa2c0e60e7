"""Garbage answers every exercise checker must meet with one sentence (shared by the
tests/test_exercises_chNN.py files)."""
import numpy as np


def one_line(text: str) -> str:
    """The checker's single printed line (asserting there is exactly one, and no traceback)."""
    assert text.count("\n") == 1 and "Traceback" not in text, text
    return text.strip()


def _none(*a, **k):
    return None


def _raises(*a, **k):
    raise ValueError("boom")


def _todo(*a, **k):
    raise NotImplementedError


def _nan(*a, **k):
    return np.full(3, np.nan)


def _text(*a, **k):
    return "w"


# (learner's function, regular expression the checker's line must contain)
GARBAGE = [(_none, "returned None: return"), (_raises, "your code raised ValueError: boom"),
           (_todo, "not implemented yet"), (_nan, "NaN|return|shape"),
           (_text, "not an array|return")]


def run_check(check, fn, *extra):
    """Run an exercise checker on the learner's ``fn`` (with the checker's extra arguments);
    return (ok, the one line it printed), asserting it printed one line and no traceback."""
    from companion.exercises import checker
    ok, out = checker.verdict(lambda f: check(f, *extra), fn)
    return ok, one_line(out)


def checker_tests(exercises, wrapped=(), more_checks=()):
    """The three tests every chapter's list of (checker, solution, planted mistakes) must pass,
    to be bound to test names in the chapter's test module:

    - the solution passes (a line starting with a tick);
    - each planted mistake (at least two per checker) gets its own hint;
    - every answer in GARBAGE gets one sentence and no traceback (also from ``more_checks``,
      checkers without planted mistakes).

    ``wrapped``: checkers whose planted variants wrap the learner's function in a closure (the
    function the checker receives is its first cell)."""
    import re

    import pytest
    ids = [c.__name__ for c, _, _ in exercises]
    each = pytest.mark.parametrize("check, solution, mistakes", exercises, ids=ids)
    checks = [c for c, _, _ in exercises] + list(more_checks)

    @each
    def test_solution_passes(check, solution, mistakes):
        ok, out = run_check(check, solution)
        assert ok and out.startswith("✓ "), out

    @each
    def test_each_planted_mistake_gets_its_hint(check, solution, mistakes):
        assert len(mistakes) >= 2
        for m in mistakes:
            fn = m.fn.__closure__[0].cell_contents if check in wrapped else m.fn
            ok, out = run_check(check, fn)
            assert not ok and m.hint in out, (m.hint, out)

    @pytest.mark.parametrize("check", checks, ids=[c.__name__ for c in checks])
    @pytest.mark.parametrize("garbage, words", GARBAGE)
    def test_garbage_gets_one_sentence(check, garbage, words):
        ok, out = run_check(check, garbage)
        assert not ok and re.search(words, out), out

    return test_solution_passes, test_each_planted_mistake_gets_its_hint, \
        test_garbage_gets_one_sentence


def only_own_hint_test(exercises):
    """A stricter test than checker_tests' second one, for chapters whose hints could overlap:
    each planted mistake's message carries its own hint and no other of the same checker."""
    def test_each_planted_mistake_gets_only_its_own_hint():
        for check, _, mistakes in exercises:
            for m in mistakes:
                _, line = rejected(check, m.fn)
                assert [o.hint in line for o in mistakes].count(True) == 1, line
    return test_each_planted_mistake_gets_only_its_own_hint


def notebook_solutions(notebook: str) -> dict:
    """The functions of a chapter's solution cells, read from the notebook (one copy of each
    solution): the fenced code of every markdown cell tagged ``solution``, executed in order in
    one namespace after the chapter's first code cell (its imports, magics dropped)."""
    import json
    from pathlib import Path

    from companion.grade import FENCE
    path = Path(__file__).resolve().parents[1] / "notebooks" / notebook
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    first = next("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    namespace: dict = {}
    exec("\n".join(line for line in first.splitlines() if not line.startswith("%")),  # noqa: S102
         namespace)
    before = set(namespace)
    for cell in cells:
        if "solution" in cell.get("metadata", {}).get("tags", []):
            assert cell["cell_type"] == "markdown", "a solution is a markdown cell"
            assert cell["metadata"].get("jupyter", {}).get("source_hidden") is True
            exec(FENCE.search("".join(cell["source"])).group(1), namespace)  # noqa: S102
    return {k: v for k, v in namespace.items() if k not in before}


def rejected(check, fn) -> tuple[bool, str]:
    """(whether ``check`` rejects ``fn``, the line it printed)."""
    ok, out = run_check(check, fn)
    return not ok, out
