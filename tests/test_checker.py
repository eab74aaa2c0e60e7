"""The shared exercise-checking machinery: one line per check, a sentence for every kind of
garbage, the planted mistake's hint when it matches, never a traceback."""
import numpy as np
import pytest

from companion.exercises import Case, Fail, Mistake, call, check, feedback, run_check


def reference(a, b):
    """(a @ b, column sums of a)."""
    return a @ b, a.sum(axis=0)


def transposed(a, b):
    return a @ b.T, a.sum(axis=0)


RNG = np.random.default_rng(0)
CASES = [Case((RNG.standard_normal((2, 3)), RNG.standard_normal((3, 3))), label="N=2"),
         Case((RNG.standard_normal((1, 3)), RNG.standard_normal((3, 3))), label="N=1")]


def run(capsys, fn, **kw):
    ok = check("product", fn, reference, CASES, names=("p", "s"),
               returns="the tuple (p, s)", **kw)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "Traceback" not in out, out
    return ok, out.strip()


def test_the_reference_passes(capsys):
    ok, out = run(capsys, reference)
    assert ok and out == "✓ product (2/2 cases agree)"


def test_a_planted_mistake_gets_its_hint(capsys):
    ok, out = run(capsys, transposed, mistakes=[Mistake(transposed, "b is transposed")])
    assert not ok and out == "✗ product: b is transposed (case: N=2)"


def test_an_unknown_error_says_which_output_where_and_by_how_much(capsys):
    def off(a, b):
        p = a @ b
        p[1, 2] += 0.5
        return p, a.sum(axis=0)
    ok, out = run(capsys, off, mistakes=[Mistake(transposed, "b is transposed")])
    want = (CASES[0].args[0] @ CASES[0].args[1])[1, 2]
    assert not ok
    assert out == (f"✗ product: p differs at index (1, 2): expected {want:.6g}, got "
                   f"{want + 0.5:.6g} (1 of 6 entries differ) (case: N=2)")


def test_unambiguous_shapes_are_accepted(capsys):
    ok, _ = run(capsys, lambda a, b: (a @ b, a.sum(axis=0)[None, :]))
    assert ok


@pytest.mark.parametrize("fn, sentence", [
    (lambda a, b: None, "`<lambda>` returned None: return the tuple (p, s) (case: N=2)"),
    (lambda a, b: a @ b, "`<lambda>` returned an ndarray: return the tuple (p, s) (case: N=2)"),
    (lambda a, b: (a @ b,), "`<lambda>` returned 1 values: return the tuple (p, s) (case: N=2)"),
    (lambda a, b: (a @ b, a.sum(axis=1)), "s has shape (2,), expected (3,) (case: N=2)"),
    (lambda a, b: ((a @ b).T, a.sum(axis=0)), "p has shape (3, 2), expected (2, 3) (transposed?)"),
    (lambda a, b: (a @ b * np.nan, a.sum(axis=0)), "p contains NaN (case: N=2)"),
    (lambda a, b: ("p", a.sum(axis=0)), "p is a str, not an array of numbers (case: N=2)"),
])
def test_garbage_gets_one_sentence(capsys, fn, sentence):
    ok, out = run(capsys, fn)
    assert not ok and sentence in out


def test_exceptions_become_one_line(capsys):
    def todo(a, b):
        raise NotImplementedError

    def broken(a, b):
        return a @ a, a.sum()
    ok, out = run(capsys, todo)
    assert not ok and out == "✗ product: not implemented yet (replace the `raise NotImplementedError`)"
    ok, out = run(capsys, broken)
    assert not ok and out.startswith("✗ product: your code raised ValueError: matmul")
    assert "return a @ a, a.sum()" in out          # the learner's line, not a traceback


def test_pure_catches_an_argument_changed_in_place(capsys):
    def in_place(a, b):
        p, s = a @ b, a.sum(axis=0)
        b *= 2
        return p, s
    assert run(capsys, in_place)[0]
    ok, out = run(capsys, in_place, pure=True)
    assert not ok and "changed its argument `b` in place" in out


def test_dict_outputs(capsys):
    def ref(x):
        return {"W": 2 * x, "b": x.sum(keepdims=True)}
    cases = [Case((np.arange(3.0),))]
    assert check("dict", lambda x: {"W": 2 * x, "b": x.sum(), "extra": 1}, ref, cases)
    assert not check("dict", lambda x: {"W": 2 * x}, ref, cases, returns="the dict {W, b}")
    out = capsys.readouterr().out.splitlines()
    assert out == ["✓ dict (1/1 cases agree)",
                   "✗ dict: `<lambda>` returned no 'b': return the dict {W, b}"]


def test_run_check_and_call_for_custom_checks(capsys):
    def body(fn):
        value = call(fn, 3, returns="a number")
        if value != 9:
            raise Fail(f"expected 9, got {value}")
        return feedback(True, "square")
    assert run_check("square", body, lambda x: x * x)
    assert not run_check("square", body, lambda x: x + x)
    assert not run_check("square", body, lambda x: None)
    assert not run_check("square", body, lambda x: 1 / 0)
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == ["✓ square", "✗ square: expected 9, got 6",
                       "✗ square: `<lambda>` returned None: return a number"]
    assert out[3].startswith("✗ square: your code raised ZeroDivisionError: division by zero "
                             "(line ")
    assert out[3].endswith(': `assert not run_check("square", body, lambda x: 1 / 0)`)')


def test_a_mistake_with_the_wrong_shape_is_still_recognised(capsys):
    def off_by_one(a, b):
        return a @ b, a.sum(axis=0)[:-1]
    ok, out = run(capsys, off_by_one, mistakes=[Mistake(off_by_one, "one column short")])
    assert not ok and out == "✗ product: one column short (case: N=2)"


def test_a_case_where_the_reference_raises_expects_the_same_exception(capsys):
    def ref(x):
        if x < 0:
            raise ValueError("x must be >= 0")
        return np.sqrt(x)
    cases = [Case((4.0,)), Case((-1.0,), label="negative")]
    assert check("root", ref, ref, cases)
    assert not check("root", lambda x: np.sqrt(abs(x)), ref, cases)
    assert not check("root", lambda x: 1 / 0 if x < 0 else np.sqrt(x), ref, cases)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "✓ root (2/2 cases agree)"
    assert out[1] == ("✗ root: expected your function to raise ValueError (x must be >= 0), "
                      "but it returned normally (case: negative)")
    assert out[2].startswith("✗ root: expected ValueError (x must be >= 0), but your code "
                             "raised ZeroDivisionError: division by zero")
