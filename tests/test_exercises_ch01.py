"""Chapter 1's exercise checkers: the solution passes, each planted mistake gets its own hint,
garbage gets one sentence and no traceback."""

import numpy as np
from exercise_garbage import checker_tests

from companion.exercises import ch01
from companion.exercises.checker import verdict


def predict(X, w, b):
    return np.where(X @ w + b >= 0, 1.0, -1.0)


def perceptron_criterion(X, y, w, b):
    s = y * (X @ w + b)
    M = s <= 0
    return -s[M].sum(), -(X[M].T @ y[M]), -y[M].sum()


def perceptron_step(w, b, x, y, learning_rate):
    if y * (w @ x + b) <= 0:
        return w + learning_rate * y * x, b + learning_rate * y
    return w, b


def train_perceptron(X, y, learning_rate, max_epochs):
    w, b = np.zeros(X.shape[1]), 0.0
    for epoch in range(1, max_epochs + 1):
        updates = 0
        for xi, yi in zip(X, y):
            if yi * (xi @ w + b) <= 0:
                w, b = w + learning_rate * yi * xi, b + learning_rate * yi
                updates += 1
        if updates == 0:
            break
    return w, b, epoch


EXERCISES = [(ch01.check_predict, predict, ch01.PREDICT_MISTAKES),
             (ch01.check_criterion, perceptron_criterion, ch01.CRITERION_MISTAKES),
             (ch01.check_step, perceptron_step, ch01.STEP_MISTAKES),
             (ch01.check_train, train_perceptron, ch01.TRAIN_MISTAKES)]
(test_solution_passes, test_each_planted_mistake_gets_its_hint,
 test_garbage_gets_one_sentence) = checker_tests(EXERCISES)


def test_an_unknown_error_says_where():
    def off(X, y, w, b):
        L, dw, db = perceptron_criterion(X, y, w, b)
        return L, dw + np.array([0.0, 0.25]), db
    ok, out = verdict(ch01.check_criterion, off)
    assert not ok and "dw differs at index (1,)" in out


def test_a_step_that_changes_w_in_place_is_caught():
    def in_place(w, b, x, y, learning_rate):
        if y * (w @ x + b) <= 0:
            w += learning_rate * y * x
            b += learning_rate * y
        return w, b
    ok, out = verdict(ch01.check_step, in_place)
    assert not ok and "changed its argument `w` in place" in out
