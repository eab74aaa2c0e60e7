"""Chapter 2 exercises: gradient descent with its divergence guard, a numerical gradient, the
logistic-regression loss and gradients, and logistic regression trained by gradient descent.

Each ``check_*`` compares the learner's function with the package (``chapters.ch02``,
``nn.gradcheck``) on several cases and names the likely mistake.
"""

from __future__ import annotations

import numpy as np

from companion.exercises.checker import Case, check, hints, planted
from companion.nn.validation import DivergenceError

HINTS = hints("ch02")


def _logistic_case(seed: int = 0, n: int = 12, d: int = 3, scale=(1, 10, 100)):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(d), float(rng.standard_normal()),
            rng.standard_normal((n, d)) * np.asarray(scale[:d]), rng.integers(0, 2, n).astype(float))


# --- gradient descent with a divergence guard ------------------------------------------------
def _descend(grad, start, learning_rate, steps):
    from companion.chapters.ch02 import descend
    return descend(grad, start, learning_rate, steps)


def _descend_bug(sign: float = -1.0, keep_start: bool = True, guard: bool = True):
    def gd(grad, start, learning_rate, steps):
        a, path = np.asarray(start, dtype=float), [np.asarray(start, dtype=float)]
        for n in range(1, steps + 1):
            a = a + sign * learning_rate * np.asarray(grad(a))
            path.append(a)
            if guard and not np.linalg.norm(a) <= 1e6:
                raise DivergenceError(f"diverged at step {n}", step=n)
        return np.array(path if keep_start else path[1:])
    return gd


DESCEND_MISTAKES = planted({
    "no start": _descend_bug(keep_start=False),
    "uphill": _descend_bug(sign=1.0),
}, HINTS["descend"])


def _nan_beyond(a):
    """The gradient of 1.5 |a|^2 while |a| < 100, NaN beyond (an overflow inside a model): a
    guard that only tests norm > 1e6 never sees NaN."""
    return 3.0 * a if np.linalg.norm(a) < 100 else np.full_like(a, np.nan)


def check_descend(gradient_descent) -> bool:
    """``gradient_descent(grad, start (D,), learning_rate, steps) -> path (steps + 1, D)``;
    raises ``DivergenceError`` as soon as an iterate is non-finite or has norm > 1e6."""
    from companion.chapters.ch02 import get_function
    bowl, rosen = get_function("bowl").grad, get_function("rosenbrock").grad
    cases = [Case((bowl, np.array([-1.5, 2.0]), 0.05, 20), label="bowl, learning rate 0.05"),
             Case((rosen, np.array([-1.0, 2.0]), 0.01, 30), label="Rosenbrock-like, 0.01"),
             Case((bowl, np.array([2.0, -1.0]), 0.1, 0), label="steps = 0: just the start"),
             Case((bowl, np.array([-1.5, 2.0]), 0.25, 200),
                  label="bowl, learning rate 0.25: diverges"),
             Case((_nan_beyond, np.array([1.0, -0.5]), 1.0, 30),
                  label="a gradient that turns NaN: the guard must catch NaN too")]
    return check("gradient descent with a divergence guard", gradient_descent, _descend, cases,
                 DESCEND_MISTAKES, returns="the path, an array of shape (steps + 1, D)")


# --- a numerical gradient ---------------------------------------------------------------------
def _numerical(f, x, h):
    from companion.nn.gradcheck import numerical_gradient
    x = np.array(x, dtype=np.float64)
    return numerical_gradient(lambda: f(x), x, h)


def _numerical_bug(kind: str):
    def grad(f, x, h):
        x, g = np.array(x, dtype=float), np.zeros(len(x))
        for i in range(len(x)):
            e = np.zeros_like(x)
            e[i] = h
            g[i] = ((f(x + e) - f(x)) / h if kind == "forward" else
                    (f(x + e) - f(x - e)) / h)
        return g
    return grad


NUMERICAL_MISTAKES = planted(_numerical_bug, HINTS["numerical"])


def check_numerical_gradient(numerical_gradient) -> bool:
    """``numerical_gradient(f, x (D,), h) -> (D,)``: (f(x + h e_i) - f(x - h e_i)) / (2h)."""
    w, b, X, y = _logistic_case(1, d=2, scale=(1, 1))
    from companion.chapters.ch02 import logistic_loss
    cases = [Case((lambda x: float(np.sum(x ** 3) + x[0] * x[1]), np.array([1.0, -2.0, 0.5]),
                   1e-3), label="sum(x^3) + x0 x1"),
             Case((lambda x: float(np.exp(x[0])), np.array([0.3]), 1e-2), label="exp, D = 1"),
             Case((lambda x: logistic_loss(x[:2], x[2], X, y)[0], np.r_[w, b], 1e-4),
                  label="the logistic loss in (w, b)")]
    return check("numerical gradient", numerical_gradient, _numerical, cases, NUMERICAL_MISTAKES,
                 returns="the array of D partial derivatives", rtol=1e-5, atol=1e-9)


# --- the logistic loss and its gradients ------------------------------------------------------
def _logistic(w, b, X, y):
    from companion.chapters.ch02 import logistic_loss
    return logistic_loss(w, b, X, y)


def _logistic_bug(kind: str):
    def loss_grads(w, b, X, y):
        z = X @ w + b
        p = 1 / (1 + np.exp(-z))
        loss = float(np.mean(np.logaddexp(0.0, z) - y * z))
        if kind == "naive log":
            loss = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
        dz = {"sum": p - y, "sign": (y - p) / len(y), "no sigmoid": (z - y) / len(y)}.get(
            kind, (p - y) / len(y))
        return loss, X.T @ dz, float(dz.sum())
    return loss_grads


LOGISTIC_MISTAKES = planted(_logistic_bug, HINTS["logistic"])


def check_logistic(logistic_loss_and_gradients) -> bool:
    """``logistic_loss_and_gradients(w (D,), b, X (N, D), y (N,)) -> (loss, dw (D,), db)``
    for the mean binary cross-entropy of p = sigmoid(X w + b)."""
    cases = [Case(_logistic_case(0), label="N=12, features of scale 1, 10, 100"),
             Case(_logistic_case(1, n=1), label="N=1"),
             Case(_logistic_case(2, n=20, scale=(1, 1, 1)), label="N=20"),
             Case(_logistic_case(3, n=8, scale=(300, 300, 300)), label="large logits, |z| ~ 1000")]
    return check("logistic loss and gradients", logistic_loss_and_gradients, _logistic, cases,
                 LOGISTIC_MISTAKES, returns="the tuple (loss, dw, db)",
                 names=("loss", "dw", "db"))


# --- logistic regression by gradient descent ---------------------------------------------------
def _logistic_gd(X, y, learning_rate, steps):
    from companion.chapters.ch02 import logistic_gd
    run = logistic_gd(X, y, learning_rate, steps)
    return run.w, run.b, run.losses


def _logistic_gd_bug(kind: str):
    def gd(X, y, learning_rate, steps):
        w, b, losses = np.zeros(X.shape[1]), 0.0, []
        for _ in range(steps):
            z = X @ w + b
            dz = (1 / (1 + np.exp(-z)) - y) / len(y)
            losses.append(float(np.mean(np.logaddexp(0.0, z) - y * z)))
            sign = 1.0 if kind == "ascent" else -1.0
            w, b = w + sign * learning_rate * (X.T @ dz), b + sign * learning_rate * dz.sum()
        if kind != "no final loss":
            z = X @ w + b
            losses.append(float(np.mean(np.logaddexp(0.0, z) - y * z)))
        return w, b, np.array(losses)
    return gd


LOGISTIC_GD_MISTAKES = planted(_logistic_gd_bug, HINTS["logistic_gd"])


def check_logistic_gd(logistic_regression) -> bool:
    """``logistic_regression(X (N, D), y (N,), learning_rate, steps) -> (w (D,), b, losses
    (steps + 1,))``: full-batch gradient descent from w = 0, b = 0; losses[k] is the loss
    before step k + 1, the last one the loss after the last step."""
    _, _, X, y = _logistic_case(4, n=30, scale=(1, 1, 1))
    _, _, X2, y2 = _logistic_case(5, n=1)
    cases = [Case((X, y, 0.5, 25), label="N=30, 25 steps"),
             Case((X2, y2, 0.1, 3), label="N=1, 3 steps"),
             Case((X, y, 1.0, 0), label="steps = 0")]
    return check("logistic regression by gradient descent", logistic_regression, _logistic_gd,
                 cases, LOGISTIC_GD_MISTAKES, returns="the tuple (w, b, losses)",
                 names=("w", "b", "losses"))
