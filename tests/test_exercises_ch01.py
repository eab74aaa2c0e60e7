"""Chapter 1's exercise checkers: the notebook's solutions pass, each planted mistake gets its
own hint, garbage gets one sentence and no traceback, and realistic mistakes nobody planted are
rejected, named or located."""

import numpy as np
import pytest
from exercise_garbage import checker_tests, notebook_solutions, rejected

from companion.exercises import ch01

S = notebook_solutions("01_perceptron.ipynb")
predict, criterion, step, train = (S["predict"], S["perceptron_criterion"],
                                   S["perceptron_step"], S["train_perceptron"])

EXERCISES = [(ch01.check_predict, predict, ch01.PREDICT_MISTAKES),
             (ch01.check_criterion, criterion, ch01.CRITERION_MISTAKES),
             (ch01.check_step, step, ch01.STEP_MISTAKES),
             (ch01.check_train, train, ch01.TRAIN_MISTAKES)]
(test_solution_passes, test_each_planted_mistake_gets_its_hint,
 test_garbage_gets_one_sentence) = checker_tests(EXERCISES)


def _in_place_step(w, b, x, y, learning_rate):
    if y * (w @ x + b) <= 0:
        w += learning_rate * y * x
        b += learning_rate * y
    return w, b


def _precedence_criterion(X, y, w, b):
    s = y * (X @ w) + b                      # b outside the product with y
    M = s <= 0
    return -s[M].sum(), -(X[M].T @ y[M]), -y[M].sum()


def _cumulative_train(X, y, learning_rate, max_epochs):
    w, b, updates = np.zeros(X.shape[1]), 0.0, 0          # updates never reset per epoch
    for epoch in range(1, max_epochs + 1):
        for xi, yi in zip(X, y):
            if yi * (xi @ w + b) <= 0:
                w, b, updates = w + learning_rate * yi * xi, b + learning_rate * yi, updates + 1
        if updates == 0:
            break
    return w, b, epoch


# (checker, a realistic mistake nobody planted, what the sentence must say)
REALISTIC = [
    (ch01.check_predict, lambda X, w, b: np.where(X @ w + b >= 0, 1.0, -1.0)[:, None],
     "a column where a 1-D array is asked"),
    (ch01.check_predict, lambda X, w, b: np.where(X @ w + b >= 0, 1.0, -1.0).tolist(),
     "is a list: return a NumPy array"),
    (ch01.check_predict, lambda X, w, b: X @ w + b >= 0, "not 0 and 1"),
    (ch01.check_criterion, _precedence_criterion, "correct for"),
    (ch01.check_criterion, lambda X, y, w, b: (*criterion(X, y, w, b)[:2],
                                                np.array([criterion(X, y, w, b)[2]])),
     "db is an ndarray of shape (1,): return a number"),
    (ch01.check_criterion, lambda X, y, w, b: (criterion(X, y, w, b)[0],
                                                criterion(X, y, w, b)[1][None, :],
                                                criterion(X, y, w, b)[2]), "dw has shape (1, 2)"),
    (ch01.check_step, _in_place_step, "changed its argument `w` in place"),
    (ch01.check_train, lambda X, y, lr, e: (*train(X, y, lr, e)[:2], float(train(X, y, lr, e)[2])),
     "epochs is a float"),
    (ch01.check_train, _cumulative_train, "the loop ran all max_epochs"),
]


@pytest.mark.parametrize("check, fn, words", REALISTIC,
                         ids=[f"{c.__name__}-{i}" for i, (c, _, _) in enumerate(REALISTIC)])
def test_realistic_mistakes_are_rejected_and_named(check, fn, words):
    no, out = rejected(check, fn)
    assert no and words in out, out
