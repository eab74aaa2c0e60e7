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


# --- the notebook's own solutions, softmax + cross-entropy, and the capstone -----------------
from notebook_solutions import solutions  # noqa: E402

NB = solutions("04_improving_deep_networks")
SOFTMAX = [(ch04.check_softmax_cross_entropy, NB["softmax_cross_entropy"], ch04.SOFTMAX_MISTAKES)]
(test_softmax_solution_passes, test_softmax_mistakes_get_their_hints,
 test_softmax_garbage_gets_one_sentence) = checker_tests(SOFTMAX)


@pytest.mark.parametrize("name, check", [
    ("deep_forward", ch04.check_deep_forward), ("deep_backward", ch04.check_deep_backward),
    ("l2_gradients", ch04.check_l2_gradients), ("dropout", ch04.check_dropout),
    ("early_stopping", ch04.check_early_stopping),
    ("softmax_cross_entropy", ch04.check_softmax_cross_entropy)])
def test_the_notebooks_solutions_pass(name, check):
    ok, out = verdict(check, NB[name])
    assert ok and one_line(out).startswith("✓"), out


def _sm(body):
    """A learner's softmax_cross_entropy with one realistic slip (none of them planted)."""
    def softmax_cross_entropy(Z, Y):
        return body(Z, Y, len(Z))
    return softmax_cross_entropy


def _in_place(Z, Y, N):
    Z -= Z.max(axis=1, keepdims=True)
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    return -np.sum(Y * np.log(P)) / N, (P - Y) / N


def _stable(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


REALISTIC = {   # name: (learner's function, words the checker's line must contain)
    "changes Z in place": (_in_place, "changed the argument Z in place"),
    "dZ as a list": (lambda Z, Y, N: (-np.sum(Y * np.log(_stable(Z))) / N,
                                      ((_stable(Z) - Y) / N).tolist()), "dZ is a list"),
    "loss as an (N, 1) column": (lambda Z, Y, N: (-np.sum(Y * np.log(_stable(Z)), axis=1,
                                                          keepdims=True),
                                                  (_stable(Z) - Y) / N), "one number"),
    "loss as a (1,) array": (lambda Z, Y, N: (np.array([-np.sum(Y * np.log(_stable(Z))) / N]),
                                              (_stable(Z) - Y) / N), "one number"),
    "dZ transposed": (lambda Z, Y, N: (-np.sum(Y * np.log(_stable(Z))) / N,
                                       ((_stable(Z) - Y) / N).T), "shape"),
    "shift by the global max": (lambda Z, Y, N: (-np.sum(Y * np.log(
        np.exp(Z - Z.max()) / np.exp(Z - Z.max()).sum(axis=1, keepdims=True))) / N,
        (np.exp(Z - Z.max()) / np.exp(Z - Z.max()).sum(axis=1, keepdims=True) - Y) / N),
        "each row's maximum"),
    "the mean over every entry": (lambda Z, Y, N: (-np.mean(Y * np.log(_stable(Z))),
                                                   (_stable(Z) - Y) / N), "loss"),
    "dZ divided by N twice": (lambda Z, Y, N: (-np.sum(Y * np.log(_stable(Z))) / N,
                                               (_stable(Z) - Y) / N / N), "dZ"),
    "np.max without keepdims, square batch only": (
        lambda Z, Y, N: (lambda P: (-np.sum(Y * np.log(P)) / N, (P - Y) / N))(
            np.exp(Z - Z.max(axis=1)) / np.exp(Z - Z.max(axis=1)).sum(axis=1, keepdims=True)),
        "keepdims"),
}


@pytest.mark.parametrize("name", sorted(REALISTIC))
def test_realistic_unplanted_softmax_mistakes_are_rejected(name):
    body, words = REALISTIC[name]
    ok, out = verdict(ch04.check_softmax_cross_entropy, _sm(body))
    assert not ok and words in one_line(out), (name, out)


def test_the_capstone_borrows_what_is_missing_and_uses_what_passes(capsys):
    borrowed = ch04.capstone({})
    out = capsys.readouterr().out
    assert borrowed["borrowed"] == ["deep_forward", "deep_backward", "l2_gradients",
                                    "early_stopping"]
    assert out.count("borrowed the package's (yours is not defined)") == 4
    half = {k: NB[k] for k in ("deep_forward", "l2_gradients")}
    half["deep_backward"] = ch04.BACKWARD_MISTAKES[1].fn               # a wrong one: borrowed
    r_half = ch04.capstone(half)
    out = capsys.readouterr().out
    assert r_half["borrowed"] == ["deep_backward", "early_stopping"]
    assert "deep_forward    yours" in out and "divide dZ_L = AL - Y by N" in out
    mine = ch04.capstone(NB)
    assert mine["borrowed"] == [] and mine["test"] == borrowed["test"] > 0.9


def _l2_in_place(grads, params, lambd, m):
    for k in grads:
        if k.startswith("W"):
            grads[k] += lambd / m * params[k]
    return grads


def _dropout_global_rng(a, keep_prob, rng):
    mask = np.random.random(a.shape) < keep_prob                  # ignores rng
    return a * mask / keep_prob, lambda dout: dout * mask / keep_prob


def _forward_flat(X, params):
    return NB["deep_forward"](X, params).ravel()                  # (N,) for (N, 1)


def _es_ties_improve(train_epoch, val_loss, params, patience, max_epochs):
    best, best_epoch, best_params = np.inf, 0, params
    for epoch in range(1, max_epochs + 1):
        params = train_epoch(params)
        loss = val_loss(params)
        if loss <= best:
            best, best_epoch, best_params = loss, epoch, params
        elif epoch - best_epoch >= patience:
            break
    return best_params, best_epoch, epoch


NETWORK_REALISTIC = [   # (checker, learner's function, words its one line must contain)
    (ch04.check_l2_gradients, _l2_in_place, "in place"),
    (ch04.check_dropout, _dropout_global_rng, "the rng you are given"),
    (ch04.check_deep_forward, _forward_flat, "expected (7, 1)"),
    (ch04.check_early_stopping, _es_ties_improve, "equal loss is not an improvement")]


@pytest.mark.parametrize("check, fn, words", NETWORK_REALISTIC,
                         ids=[f.__name__ for _, f, _ in NETWORK_REALISTIC])
def test_realistic_unplanted_network_mistakes_are_rejected(check, fn, words):
    ok, out = verdict(check, fn)
    assert not ok and words in one_line(out), out
