"""Chapter 3's exercise checkers: the solution passes, each planted mistake gets its own hint,
garbage gets one sentence and no traceback."""

import numpy as np
from exercise_garbage import checker_tests

from companion.exercises import ch03
from companion.exercises.checker import verdict


def shallow_forward(X, params):
    Z1 = X @ params["W1"] + params["b1"]
    A1 = np.tanh(Z1)
    Z2 = A1 @ params["W2"] + params["b2"]
    return Z1, A1, Z2, 1 / (1 + np.exp(-Z2))


def cross_entropy(A2, Y):
    return -np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))


def shallow_backward(X, Y, params):
    _, A1, _, A2 = shallow_forward(X, params)
    dZ2 = (A2 - Y) / len(X)
    dZ1 = dZ2 @ params["W2"].T * (1 - A1 ** 2)
    return {"W1": X.T @ dZ1, "b1": dZ1.sum(axis=0, keepdims=True),   # (1, n) accepted
            "W2": A1.T @ dZ2, "b2": dZ2.sum(axis=0)}


def train_shallow(X, Y, params, learning_rate, iterations):
    for _ in range(iterations):
        grads = shallow_backward(X, Y, params)
        params = {k: params[k] - learning_rate * grads[k].reshape(params[k].shape)
                  for k in params}
    return params


EXERCISES = [(ch03.check_forward, shallow_forward, ch03.FORWARD_MISTAKES),
             (ch03.check_cross_entropy, cross_entropy, ch03.CE_MISTAKES),
             (ch03.check_backward, shallow_backward, ch03.BACKWARD_MISTAKES),
             (ch03.check_train, train_shallow, ch03.TRAIN_MISTAKES)]
(test_solution_passes, test_each_planted_mistake_gets_its_hint,
 test_garbage_gets_one_sentence) = checker_tests(EXERCISES)


def test_a_learner_bug_is_named():
    def no_tanh_grad(X, Y, params):
        _, A1, _, A2 = shallow_forward(X, params)
        dZ2 = (A2 - Y) / len(X)
        dZ1 = dZ2 @ params["W2"].T
        return {"W1": X.T @ dZ1, "b1": dZ1.sum(0), "W2": A1.T @ dZ2, "b2": dZ2.sum(0)}

    def missing_key(X, Y, params):
        g = shallow_backward(X, Y, params)
        del g["b2"]
        return g
    assert "tanh'(Z1) = 1 - A1^2" in verdict(ch03.check_backward, no_tanh_grad)[1]
    assert "returned no 'b2'" in verdict(ch03.check_backward, missing_key)[1]


def test_the_flower_case_reaches_the_chapters_accuracy():
    from companion import data
    from companion.chapters import ch03 as chapter
    X, y = data.flower(seed=0)
    (X_tr, y_tr), _, _ = data.train_dev_test_split(X, y, (0.8, 0.0, 0.2), seed=0)
    params = train_shallow(X_tr, y_tr[:, None].astype(float),
                           chapter.init_params(2, 5, 1, 1), 1.2, 2000)
    assert np.mean(chapter.predict(X_tr, params) == y_tr) > 0.94


# --- the notebook's own solutions, and realistic mistakes nobody planted ------------------------
import pytest  # noqa: E402
from notebook_solutions import solutions  # noqa: E402

NB = solutions("03_shallow_networks")


@pytest.mark.parametrize("name, check", [
    ("shallow_forward", ch03.check_forward), ("cross_entropy", ch03.check_cross_entropy),
    ("shallow_backward", ch03.check_backward), ("train_shallow", ch03.check_train)])
def test_the_notebooks_solutions_pass(name, check):
    ok, out = verdict(check, NB[name])
    assert ok and out.startswith("✓"), out


def _in_place_train(X, Y, params, learning_rate, iterations):
    for _ in range(iterations):
        grads = shallow_backward(X, Y, params)
        for k in params:
            params[k] -= learning_rate * grads[k].reshape(params[k].shape)
    return params


def _sum_loss(A2, Y):
    return -np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))


def _relu_forward(X, params):
    Z1 = X @ params["W1"] + params["b1"]
    A1 = np.maximum(Z1, 0)
    Z2 = A1 @ params["W2"] + params["b2"]
    return Z1, A1, Z2, 1 / (1 + np.exp(-Z2))


def _one_step_only(X, Y, params, learning_rate, iterations):
    grads = shallow_backward(X, Y, params)
    return {k: params[k] - learning_rate * grads[k].reshape(params[k].shape) for k in params}


REALISTIC = [(ch03.check_train, _in_place_train), (ch03.check_cross_entropy, _sum_loss),
             (ch03.check_forward, _relu_forward), (ch03.check_train, _one_step_only)]


@pytest.mark.parametrize("check, fn", REALISTIC, ids=[f.__name__ for _, f in REALISTIC])
def test_realistic_unplanted_mistakes_are_rejected(check, fn):
    ok, out = verdict(check, fn)
    assert not ok and out.startswith("✗"), out
