"""Chapter 2's exercise checkers: the solution passes, each planted mistake gets its own hint,
garbage gets one sentence and no traceback."""

import numpy as np
from exercise_garbage import checker_tests, one_line

from companion.exercises import ch02
from companion.exercises.checker import verdict
from companion.nn.validation import DivergenceError


def gradient_descent(grad, start, learning_rate, steps):
    a = np.array(start, dtype=float)
    path = [a]
    for n in range(1, steps + 1):
        a = a - learning_rate * grad(a)
        path.append(a)
        if not np.isfinite(a).all() or np.linalg.norm(a) > 1e6:
            raise DivergenceError(f"gradient descent diverged at step {n}")
    return np.array(path)


def numerical_gradient(f, x, h):
    g = np.zeros(len(x))
    for i in range(len(x)):
        e = np.zeros(len(x))
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def logistic_loss_and_gradients(w, b, X, y):
    z = X @ w + b
    p = 1 / (1 + np.exp(-z))
    dz = (p - y) / len(y)
    return np.mean(np.logaddexp(0, z) - y * z), X.T @ dz, dz.sum()


def logistic_regression(X, y, learning_rate, steps):
    w, b, losses = np.zeros(X.shape[1]), 0.0, []
    for _ in range(steps + 1):
        loss, dw, db = logistic_loss_and_gradients(w, b, X, y)
        losses.append(loss)
        w, b = w - learning_rate * dw, b - learning_rate * db
    return w + learning_rate * dw, b + learning_rate * db, np.array(losses)


EXERCISES = [(ch02.check_descend, gradient_descent, ch02.DESCEND_MISTAKES),
             (ch02.check_numerical_gradient, numerical_gradient, ch02.NUMERICAL_MISTAKES),
             (ch02.check_logistic, logistic_loss_and_gradients, ch02.LOGISTIC_MISTAKES),
             (ch02.check_logistic_gd, logistic_regression, ch02.LOGISTIC_GD_MISTAKES)]
(test_solution_passes, test_each_planted_mistake_gets_its_hint,
 test_garbage_gets_one_sentence) = checker_tests(EXERCISES)


def test_no_guard_is_told_to_raise():
    def no_guard(grad, start, learning_rate, steps):
        a, path = np.array(start, dtype=float), [np.array(start, dtype=float)]
        for _ in range(steps):
            a = a - learning_rate * grad(a)
            path.append(a)
        return np.array(path)
    ok, out = verdict(ch02.check_descend, no_guard)
    assert not ok and "expected your function to raise DivergenceError" in one_line(out)
    assert "(case: bowl, learning rate 0.25: diverges)" in out
