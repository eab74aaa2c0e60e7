"""Chapter 1 exercises: the perceptron's prediction, criterion, update step and training loop.

Each ``check_*`` compares the learner's function with the package (``chapters.ch01``) on
several cases and names the likely mistake (a strict ``<`` test, a sign, a missing bias...).
"""

from __future__ import annotations

import numpy as np

from companion.exercises.checker import Case, check, hints, planted

HINTS = hints("ch01")


def _points(seed: int, n: int, d: int = 2):
    rng = np.random.default_rng(seed)
    X = np.round(rng.normal(0, 2, (n, d)), 1)
    y = np.where(X @ rng.normal(size=d) + 0.3 > 0, 1.0, -1.0)
    return X, y


# --- prediction -----------------------------------------------------------------------------
def _predict(X, w, b):
    from companion.chapters.ch01 import predict
    return predict(X, w, b).astype(float)      # the scaffold asks for -1.0/+1.0 (ints pass too)


def check_predict(predict) -> bool:
    """``predict(X (N, D), w (D,), b) -> (N,)`` in {-1, +1}; a score of exactly 0 gives +1."""
    X, _ = _points(0, 6)
    cases = [Case((X, np.array([1.0, -0.5]), 0.2), label="N=6"),
             Case((X, np.zeros(2), 0.0), label="w = 0, b = 0: every score is 0"),
             Case((X[:1], np.array([0.0, 1.0]), -X[0, 1]), label="N=1, on the boundary")]
    return check("perceptron predict", predict, _predict, cases, PREDICT_MISTAKES,
                 returns="the array of N labels in {-1, +1}")


PREDICT_MISTAKES = planted({
    "np.sign": lambda X, w, b: np.sign(X @ w + b),
    "strict >": lambda X, w, b: np.where(X @ w + b > 0, 1.0, -1.0),
    "0/1 labels": lambda X, w, b: np.where(X @ w + b >= 0, 1.0, 0.0),
}, HINTS["predict"])


# --- criterion and its gradients ------------------------------------------------------------
def _criterion(X, y, w, b):
    from companion.chapters.ch01 import criterion
    return criterion(X, y, w, b)


def _criterion_bug(select: str, sign: float = 1.0, bias: bool = True):
    def crit(X, y, w, b):
        s = y * (X @ w + b)
        M = {"le": s <= 0, "lt": s < 0, "all": np.ones_like(s, dtype=bool)}[select]
        return (-sign * float(np.sum(s[M])), -sign * (X[M].T @ y[M]),
                -sign * float(np.sum(y[M])) if bias else 0.0)
    return crit


CRITERION_MISTAKES = planted({
    "all points": _criterion_bug("all"),
    "strict <": _criterion_bug("lt"),
    "sign": _criterion_bug("le", sign=-1.0),
    "no db": _criterion_bug("le", bias=False),
}, HINTS["criterion"])


def check_criterion(perceptron_criterion) -> bool:
    """``perceptron_criterion(X, y, w, b) -> (L, dw (D,), db)``: L = -sum over misclassified
    points (y (w.x + b) <= 0) of y (w.x + b), dw = -sum y x, db = -sum y over the same points."""
    X, y = _points(1, 8)
    cases = [Case((X, y, np.array([0.3, -0.8]), 0.2), label="N=8"),
             Case((X, y, np.array([0.5, 1.0]), 0.0), label="N=8, other w"),
             Case((X, y, np.array([-0.4, 0.6]), -0.7),
                  label="N=8, b = -0.7: misclassified points of both labels"),
             Case((X[:1], y[:1], np.array([-1.0, 0.5]), 0.0), label="N=1"),
             Case((X, y, np.zeros(2), 0.0), label="w = 0, b = 0: every point on the boundary")]
    return check("perceptron criterion", perceptron_criterion, _criterion, cases, CRITERION_MISTAKES,
                 returns="the tuple (L, dw, db)", names=("L", "dw", "db"))


# --- one update step ------------------------------------------------------------------------
def _step(w, b, x, y, learning_rate):
    from companion.chapters.ch01 import train
    w2, b2, _ = train(x[None, :], np.array([y]), learning_rate, 1, w0=w, b0=b)
    return w2, b2


def _step_bug(test, sign: float = 1.0, bias: bool = True):
    def step(w, b, x, y, learning_rate):
        if test(y * (w @ x + b)):
            return w + sign * learning_rate * y * x, b + (sign * learning_rate * y if bias else 0)
        return w, b
    return step


# (w, b, x, y, learning_rate): misclassified, correct, on the boundary, a negative label
STEP_CASES = [Case((np.array([1.0, -1.0]), 0.5, np.array([0.0, 2.0]), 1.0, 0.1),
                   label="misclassified"),
              Case((np.array([1.0, -1.0]), 0.5, np.array([2.0, 0.0]), 1.0, 0.1),
                   label="already correct"),
              Case((np.array([0.0, 0.0]), 0.0, np.array([1.0, 3.0]), -1.0, 1.0),
                   label="on the boundary, y = -1"),
              Case((np.array([2.0, 1.0]), -0.5, np.array([1.0, 1.0]), -1.0, 0.5),
                   label="misclassified, y = -1")]


STEP_MISTAKES = planted({
    "strict <": _step_bug(lambda s: s < 0),
    "always update": _step_bug(lambda s: True),
    "sign": _step_bug(lambda s: s <= 0, sign=-1.0),
    "no bias": _step_bug(lambda s: s <= 0, bias=False),
}, HINTS["step"])


def check_step(perceptron_step) -> bool:
    """``perceptron_step(w, b, x, y, learning_rate) -> (w, b)``: update only a misclassified
    point (y (w.x + b) <= 0, the boundary included), without changing the w passed in."""
    return check("perceptron step", perceptron_step, _step, STEP_CASES, STEP_MISTAKES,
                 returns="the tuple (w, b)", names=("w", "b"), pure=True)


# --- the training loop with a convergence test ------------------------------------------------
def _train(X, y, learning_rate, max_epochs):
    from companion.chapters.ch01 import train
    w, b, hist = train(X, y, learning_rate, max_epochs, stop_when_converged=True)
    return w, b, len(hist.updates)


def _train_bug(stop: str = "no_update", test=lambda s: s <= 0):
    def loop(X, y, learning_rate, max_epochs):
        w, b = np.zeros(X.shape[1]), 0.0
        for epoch in range(1, max_epochs + 1):
            updates = 0
            for xi, yi in zip(X, y):
                if test(yi * (xi @ w + b)):
                    w, b, updates = w + learning_rate * yi * xi, b + learning_rate * yi, updates + 1
            if stop == "no_update" and updates == 0:
                return w, b, epoch
            if stop == "no_error" and np.all(y * (X @ w + b) > 0):
                return w, b, epoch
        return w, b, max_epochs
    return loop


TRAIN_MISTAKES = planted({
    "never stops": _train_bug(stop="never"),
    "stops on no error": _train_bug(stop="no_error"),
    "strict <": _train_bug(test=lambda s: s < 0),
}, HINTS["train"])


def check_train(train_perceptron) -> bool:
    """``train_perceptron(X, y, learning_rate, max_epochs) -> (w, b, epochs)``: from w = 0,
    b = 0, pass over the points in order, updating the misclassified ones; stop after the
    first epoch without any update (or after ``max_epochs``) and return how many epochs ran."""
    from companion.chapters.ch01 import dataset
    X, y, _ = dataset("setosa-versicolor")
    Xx, yx, _ = dataset("xor")
    Xb, yb = _points(2, 12)
    cases = [Case((X, y, 0.1, 10), label="setosa-versicolor"),
             Case((Xb, yb, 1.0, 50), label="12 separable points"),
             Case((Xx[:20], yx[:20], 1.0, 6), label="XOR: never converges, max_epochs=6"),
             Case((X[:1], y[:1], 0.5, 5), label="N=1")]
    return check("perceptron training loop", train_perceptron, _train, cases, TRAIN_MISTAKES,
                 returns="the tuple (w, b, epochs)", names=("w", "b", "epochs"))
