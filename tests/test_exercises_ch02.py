"""Chapter 2's exercise checkers: the notebook's solutions pass, each planted mistake gets its
own hint, garbage gets one sentence and no traceback, and realistic mistakes nobody planted are
rejected, named or located."""

import numpy as np
import pytest
from exercise_garbage import checker_tests, notebook_solutions, rejected

from companion.exercises import ch02
from companion.nn.validation import DivergenceError

S = notebook_solutions("02_gradient_descent.ipynb")
descend, numerical, logistic, logistic_gd = (S["gradient_descent"], S["numerical_gradient"],
                                             S["logistic_loss_and_gradients"],
                                             S["logistic_regression"])
EXERCISES = [(ch02.check_descend, descend, ch02.DESCEND_MISTAKES),
             (ch02.check_numerical_gradient, numerical, ch02.NUMERICAL_MISTAKES),
             (ch02.check_logistic, logistic, ch02.LOGISTIC_MISTAKES),
             (ch02.check_logistic_gd, logistic_gd, ch02.LOGISTIC_GD_MISTAKES)]
(test_solution_passes, test_each_planted_mistake_gets_its_hint,
 test_garbage_gets_one_sentence) = checker_tests(EXERCISES)


def _in_place_descent(grad, start, learning_rate, steps):
    a, path = np.asarray(start, dtype=float), []          # no copy: a is the caller's start
    path.append(a.copy())
    for n in range(1, steps + 1):
        a -= learning_rate * grad(a)
        path.append(a.copy())
        if not np.linalg.norm(a) <= 1e6:
            raise DivergenceError(f"diverged at step {n}")
    return np.array(path)


def _no_guard(grad, start, learning_rate, steps):
    a, path = np.array(start, dtype=float), [np.array(start, dtype=float)]
    for _ in range(steps):
        a = a - learning_rate * grad(a)
        path.append(a)
    return np.array(path)


def _nudging_x(f, x, h):
    grad = np.zeros(len(x))
    for i in range(len(x)):                  # nudges the caller's x and "puts it back"
        x[i] += h
        up = f(x)
        x[i] -= 2 * h
        grad[i] = (up - f(x)) / (2 * h)
        x[i] += h
    return grad


def _sum_loss(w, b, X, y):
    loss, dw, db = logistic(w, b, X, y)
    return loss * len(y), dw, db


def _losses_after(X, y, learning_rate, steps):
    w, b, losses = logistic_gd(X, y, learning_rate, steps)
    return w, b, losses[1:]


def _nan_blind(grad, start, learning_rate, steps):
    a, path = np.array(start, dtype=float), [np.array(start, dtype=float)]
    for n in range(1, steps + 1):
        a = a - learning_rate * grad(a)
        path.append(a)
        if np.linalg.norm(a) > 1e6:                  # NaN > 1e6 is False: NaN slips through
            raise DivergenceError(f"diverged at step {n}")
    return np.array(path)


REALISTIC = [
    (ch02.check_descend, _nan_blind, "the guard must catch NaN too"),
    (ch02.check_descend, _in_place_descent, "changed its argument `start` in place"),
    (ch02.check_descend, lambda g, s, lr, n: list(_no_guard(g, s, lr, min(n, 40))),
     "is a list"),
    (ch02.check_descend, _no_guard, "expected your function to raise DivergenceError"),
    (ch02.check_numerical_gradient, _nudging_x, "changed its argument `x` in place"),
    (ch02.check_numerical_gradient, lambda f, x, h: list(numerical(f, x, h)), "is a list"),
    (ch02.check_logistic, lambda w, b, X, y: (logistic(w, b, X, y)[0],
                                               logistic(w, b, X, y)[1][:, None],
                                               logistic(w, b, X, y)[2]),
     "a column where a 1-D array is asked"),
    (ch02.check_logistic, _sum_loss, "loss is wrong (dw and db agree)"),
    (ch02.check_logistic_gd, _losses_after, "record the loss before every step AND after"),
    (ch02.check_logistic_gd, lambda X, y, lr, n: (*logistic_gd(X, y, lr, n)[:2],
                                                  list(logistic_gd(X, y, lr, n)[2])),
     "losses is a list"),
]


@pytest.mark.parametrize("check, fn, words", REALISTIC,
                         ids=[f"{c.__name__}-{i}" for i, (c, _, _) in enumerate(REALISTIC)])
def test_realistic_mistakes_are_rejected_and_named(check, fn, words):
    no, out = rejected(check, fn)
    assert no and words in out, out
