"""Chapter 4's exercise checkers: the solution passes, each planted mistake gets its own hint,
garbage gets one sentence and no traceback; the L-layer reference passes a gradient check."""

import numpy as np
import pytest
from exercise_garbage import checker_tests, one_line

from companion.chapters import ch04 as chapter
from companion.exercises import ch04
from companion.exercises.checker import verdict
from companion.nn.gradcheck import numerical_gradient, rel_error


def _layers(X, params):
    A, cache = X, []
    L = len(params) // 2
    for l in range(1, L + 1):
        Z = A @ params[f"W{l}"] + params[f"b{l}"]
        cache.append((A, Z))
        A = 1 / (1 + np.exp(-Z)) if l == L else np.maximum(Z, 0)
    return A, cache


def deep_forward(X, params):
    return _layers(X, params)[0]


def deep_backward(X, Y, params):
    AL, cache = _layers(X, params)
    dZ, grads = (AL - Y) / len(X), {}
    for l in range(len(cache), 0, -1):
        A_prev, _ = cache[l - 1]
        grads[f"W{l}"], grads[f"b{l}"] = A_prev.T @ dZ, dZ.sum(axis=0, keepdims=True)
        if l > 1:
            dZ = (dZ @ params[f"W{l}"].T) * (cache[l - 2][1] > 0)
    return grads


def l2_gradients(grads, params, lambd, m):
    return {k: g + lambd / m * params[k] if k[0] == "W" else g for k, g in grads.items()}


def dropout(a, keep_prob, rng):
    mask = rng.random(a.shape) < keep_prob
    return a * mask / keep_prob, lambda dout: dout * mask / keep_prob


def early_stopping(train_epoch, val_loss, params, patience, max_epochs):
    best, best_epoch, best_params = np.inf, 0, params
    for epoch in range(1, max_epochs + 1):
        params = train_epoch(params)
        loss = val_loss(params)
        if loss < best:
            best, best_epoch, best_params = loss, epoch, params.copy()
        elif epoch - best_epoch >= patience:
            break
    return best_params, best_epoch, epoch


EXERCISES = [(ch04.check_deep_forward, deep_forward, ch04.FORWARD_MISTAKES),
             (ch04.check_deep_backward, deep_backward, ch04.BACKWARD_MISTAKES),
             (ch04.check_l2_gradients, l2_gradients, ch04.L2_MISTAKES),
             (ch04.check_dropout, dropout, ch04.DROPOUT_MISTAKES),
             (ch04.check_early_stopping, early_stopping, ch04.ES_MISTAKES)]
(test_solution_passes, test_each_planted_mistake_gets_its_hint,
 test_garbage_gets_one_sentence) = checker_tests(EXERCISES, wrapped=(ch04.check_dropout,))


def test_dropout_without_a_backward_function_is_told_what_to_return():
    ok, out = verdict(ch04.check_dropout, lambda a, keep_prob, rng: (a, a))
    assert not ok and "return the tuple (out, backward)" in one_line(out)


@pytest.mark.parametrize("lambd", [0.0, 0.7])
def test_the_l_layer_reference_passes_a_gradient_check(lambd):
    params = chapter.deep_params([3, 5, 4, 1], 0)
    rng = np.random.default_rng(1)
    X, Y = rng.standard_normal((6, 3)), (rng.random((6, 1)) < 0.5).astype(float)
    AL, caches = chapter.deep_forward(X, params)
    grads = chapter.deep_backward(AL, Y, params, caches, lambd)
    for k in params:
        num = numerical_gradient(
            lambda: chapter.deep_loss(chapter.deep_forward(X, params)[0], Y, params, lambd),
            params[k])
        assert rel_error(grads[k], num) < 1e-7, k


def test_the_l_layer_reference_is_the_packages_sequential():
    from companion.nn import Dense, Sequential
    params = chapter.deep_params([3, 5, 4, 1], 2)
    model = Sequential([Dense(5, "relu"), Dense(4, "relu"), Dense(1, "sigmoid")],
                       input_shape=(3,), seed=0)
    model.set_weights([params[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3")])
    X = np.random.default_rng(3).standard_normal((8, 3))
    np.testing.assert_allclose(chapter.deep_forward(X, params)[0], model.forward(X),
                               rtol=1e-12)
