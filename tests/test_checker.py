"""The shared exercise-checking machinery: one line per check, a sentence for every kind of
garbage, the planted mistake's hint when it matches, never a traceback."""
import numpy as np
import pytest

from companion.exercises import Case, Fail, Mistake, call, check, feedback, run_check
from companion.exercises.checker import ROW


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


def test_an_unknown_error_says_which_output_how_and_where(capsys):
    def off(a, b):
        p = a @ b
        if len(p) > 1:
            p[1, 2] += 0.5
        return p, a.sum(axis=0)
    ok, out = run(capsys, off, mistakes=[Mistake(transposed, "b is transposed")])
    want = (CASES[0].args[0] @ CASES[0].args[1])[1, 2]
    assert not ok
    assert out == (f"✗ product: p is wrong (s agrees): only row 1 (the last) differs (of 2); "
                   f"p differs at index (1, 2): expected {want:.6g}, got {want + 0.5:.6g}; "
                   f"correct for N=1, wrong for N=2")


@pytest.mark.parametrize("fn, sentence", [
    (lambda a, b: (-(a @ b), a.sum(axis=0)), "p is wrong (s agrees): it has the wrong sign"),
    (lambda a, b: (a @ b, 2 * a.sum(axis=0)), "s is wrong (p agrees): it is 2 times the expected"),
    (lambda a, b: (a @ b + 1, a.sum(axis=0)), "it is off by the constant 1 everywhere"),
    (lambda a, b: (a @ b if len(a) == 1 else a @ b * 3, a.sum(axis=0)),
     "correct for N=1, wrong for N=2"),
])
def test_a_wrong_answer_is_located_by_output_relation_and_case(capsys, fn, sentence):
    ok, out = run(capsys, fn)
    assert not ok and sentence in out, out


def test_shapes_are_never_silently_converted(capsys):
    ok, out = run(capsys, lambda a, b: (a @ b, a.sum(axis=0)[None, :]))
    assert not ok and "s has shape (1, 3), expected (3,): an extra leading axis" in out
    ok, out = run(capsys, lambda a, b: (a @ b, a.sum(axis=0)[:, None]))
    assert not ok and "s has shape (3, 1), expected (3,): a column where a 1-D array" in out


def test_only_the_documented_alternative_shapes_pass(capsys):
    ok, _ = run(capsys, lambda a, b: (a @ b, a.sum(axis=0)[None, :]), accept={"s": [(1, 3)]})
    assert ok
    ok, out = run(capsys, lambda a, b: (a @ b, a.sum(axis=0)[:, None]), accept={"s": [(1, 3)]})
    assert not ok and "s has shape (3, 1)" in out
    ok, _ = run(capsys, lambda a, b: (a @ b, a.sum(axis=0)[None, :]), accept={"s": ROW})
    assert ok


@pytest.mark.parametrize("fn, sentence", [
    (lambda a, b: ((a @ b).tolist(), a.sum(axis=0)),
     "p is a list: return a NumPy array of shape (2, 3)"),
    (lambda a, b: (a @ b, a.sum(axis=0) > 0), "s holds booleans: return floats"),
    (lambda a, b: (a @ b, float(a.sum())), "s is a float: return a NumPy array of shape (3,)"),
])
def test_types_are_never_silently_converted(capsys, fn, sentence):
    ok, out = run(capsys, fn)
    assert not ok and sentence in out, out


def test_an_int_is_an_int_and_a_number_is_a_number(capsys):
    def ref(x):
        return len(x), float(x.sum())
    cases = [Case((np.arange(3.0),))]
    assert check("count", lambda x: (3, 3), ref, cases, names=("n", "total"))
    assert check("count", lambda x: (np.int64(3), np.float64(3)), ref, cases, names=("n", "t"))
    assert not check("count", lambda x: (3.0, 3.0), ref, cases, names=("n", "total"))
    assert not check("count", lambda x: (3, np.array([3.0])), ref, cases, names=("n", "total"))
    out = capsys.readouterr().out.splitlines()
    assert out[2].startswith("✗ count: n is a float (3.0): return an int (// divides")
    assert out[3] == "✗ count: total is an ndarray of shape (1,): return a number"


@pytest.mark.parametrize("fn, sentence", [
    (lambda a, b: None, "`<lambda>` returned None: return the tuple (p, s) (case: N=2)"),
    (lambda a, b: a @ b, "`<lambda>` returned an ndarray: return the tuple (p, s) (case: N=2)"),
    (lambda a, b: (a @ b,), "`<lambda>` returned 1 values: return the tuple (p, s) (case: N=2)"),
    (lambda a, b: (a @ b, a.sum(axis=1)), "s has shape (2,), expected (3,) (case: N=2)"),
    (lambda a, b: ((a @ b).T, a.sum(axis=0)), "p has shape (3, 2), expected (2, 3) (transposed?)"),
    (lambda a, b: (a @ b * np.nan, a.sum(axis=0)), "p contains NaN (case: N=2)"),
    (lambda a, b: ("p", a.sum(axis=0)), "p is a str: return a NumPy array of shape (2, 3)"),
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


def test_purity_names_the_argument_changed_in_place(capsys):
    def in_place(a, b):
        p, s = a @ b, a.sum(axis=0)
        b *= 2
        return p, s
    ok, out = run(capsys, in_place)
    assert not ok and "changed its argument `b` in place" in out
    assert run(capsys, in_place, pure=False)[0]     # an exercise that must update in place


@pytest.mark.parametrize("container, path", [
    (lambda W: {"W": W, "b": np.zeros(2)}, "params['W']"),
    (lambda W: [np.zeros(2), W], "params[1]"),
    (lambda W: (W,), "params[0]"),
    (lambda W: {"layer": [W]}, "params['layer'][0]"),
])
def test_purity_reaches_arrays_inside_dicts_lists_and_tuples(capsys, container, path):
    def ref(params):
        return 1.0

    def sneaky(params):
        leaves = [params]
        while not isinstance(leaves[-1], np.ndarray):
            c = leaves.pop()
            leaves.extend(c.values() if isinstance(c, dict) else c)
        for leaf in leaves:
            if isinstance(leaf, np.ndarray) and leaf.shape == (2, 2):
                leaf -= 0.1
        return 1.0
    assert not check("pure", sneaky, ref, [Case((container(np.ones((2, 2))),))])
    out = capsys.readouterr().out
    assert f"changed its argument `{path}` in place" in out, out


def draws(x, rng):
    """The reference of the randomness tests: x plus noise drawn from rng."""
    return x + rng.standard_normal(x.shape)


RNG_CASES = [Case((np.zeros(3), np.random.default_rng(0)), label="seed 0")]


@pytest.mark.parametrize("fn, sentence", [
    (lambda x, rng: x + np.random.standard_normal(x.shape), "it draws from NumPy's global state"),
    (lambda x, rng: x + np.random.default_rng(0).standard_normal(x.shape),
     "your function ignores its `rng` argument"),
    (lambda x, rng: x + np.linspace(-1, 1, len(x)), "your function ignores its `rng` argument"),
])
def test_a_function_given_an_rng_must_use_it_and_only_it(capsys, fn, sentence):
    assert check("noise", draws, draws, RNG_CASES)
    assert not check("noise", fn, draws, RNG_CASES)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "✓ noise (1/1 cases agree)" and sentence in out[1], out


def test_the_rng_rule_accepts_an_output_the_rng_cannot_change(capsys):
    def shuffle(x, rng):
        return x[rng.permutation(len(x))]
    assert check("one", shuffle, shuffle, [Case((np.ones(1), np.random.default_rng(0)))])


def test_the_checkers_own_failure_is_not_the_learners(capsys):
    def body(fn):
        value = float(fn(3))                 # the checker's own conversion fails on a list
        return feedback(value == 9, "square", "")
    assert not run_check("square", body, lambda x: [x * x])
    out = capsys.readouterr().out
    assert "your code raised" not in out
    assert out.startswith("✗ square: the checker could not use your result (TypeError")
    assert not run_check("square", body, lambda x: x / 0)
    assert "your code raised ZeroDivisionError" in capsys.readouterr().out


def test_dict_outputs(capsys):
    def ref(x):
        return {"W": 2 * x, "b": x.sum(keepdims=True)}
    cases = [Case((np.arange(3.0),))]
    assert check("dict", lambda x: {"W": 2 * x, "b": x.sum(keepdims=True), "extra": 1}, ref,
                 cases)
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


def test_a_diagnosis_by_varied_inputs_is_appended(capsys):
    def wrong(a, b):
        return a @ b * 2, a.sum(axis=0)

    def diagnose(fn):
        ones = np.ones((1, 3))
        same = np.allclose(fn(ones, np.eye(3))[0], ones)
        return "right for b = I" if same else "wrong even for b = I: look at the scale"
    ok, out = run(capsys, wrong, diagnose=diagnose)
    assert not ok and out.endswith("; wrong even for b = I: look at the scale"), out


def test_planted_pairs_each_bug_with_its_hint_in_the_tables_order():
    from companion.exercises.checker import planted
    mistakes = planted(lambda bug: [bug, bug * 2] if bug == "b" else bug, {"a": "A", "b": "B"})
    assert [(m.fn, m.hint) for m in mistakes] == [("a", "A"), ("b", "B"), ("bb", "B")]
    mistakes = planted({"y": 2, "x": 1}, {"x": "X", "y": "Y"})
    assert [(m.fn, m.hint) for m in mistakes] == [(1, "X"), (2, "Y")]


def test_every_hint_table_is_read_by_its_chapters_checkers():
    """Each chapter's tables load, and every table is read by its chapter's checkers."""
    import importlib
    import re
    from pathlib import Path

    from companion.exercises.checker import hints
    folder = Path(importlib.import_module("companion.exercises").__file__).parent
    for toml in sorted((folder / "hints").glob("ch*.toml")):
        chapter = toml.stem
        files = [*folder.glob(f"{chapter}.py"), *(folder / chapter).glob("*.py")]
        source = "".join(p.read_text() for p in files)
        for table in hints(chapter):
            assert re.search(rf'\["{re.escape(table)}"\]', source), (chapter, table)


def test_order_sentence_says_where_calls_depart():
    from companion.exercises.checker import order_sentence, recorder
    log = []
    f = recorder(log, "f", lambda v: v + 1)
    assert f(1) == 2 and log == ["f"]
    assert order_sentence(["a", "b"], ["a", "b"]) is None
    assert order_sentence(["b", "a"], ["a", "b"]) == "your function first called b; expected a"
    assert order_sentence(["a"], ["a", "b"]) == "after a your function stopped; expected b"
    assert order_sentence(["a", "b", "b"], ["a", "b"]) == "after b your function also called b"
