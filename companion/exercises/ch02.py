"""Chapter 2 exercise: the gradient of the logistic loss, then gradient descent with it."""

from __future__ import annotations

import numpy as np

from companion.exercises import feedback, run_check


def _case(seed=0, n=12, d=3):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(d), float(rng.standard_normal()), \
        rng.standard_normal((n, d)) * [1, 10, 100], rng.integers(0, 2, n).astype(float)


def check_gradients(logistic_gradients) -> bool:
    """``logistic_gradients(w, b, X, y) -> (dw, db)`` for the mean binary cross-entropy."""
    from companion.chapters.ch02 import logistic_loss

    def run(*_):
        for seed in range(3):
            w, b, X, y = _case(seed)
            _, want_w, want_b = logistic_loss(w, b, X, y)
            got_w, got_b = logistic_gradients(w, b, X, y)
            got_w = np.asarray(got_w, dtype=float)
            if got_w.shape != want_w.shape:
                return feedback(False, "logistic gradients", f"dw has shape {got_w.shape}, "
                                f"expected {want_w.shape} (one entry per feature)")
            if np.allclose(got_w, want_w * len(y)):
                return feedback(False, "logistic gradients", "dw is N times too large: the loss "
                                "is a mean, divide by the number of examples")
            if np.allclose(got_w, -want_w):
                return feedback(False, "logistic gradients", "dw has the wrong sign: it is "
                                "X^T (p - y) / N, with p = sigmoid(X w + b)")
            if not np.allclose(got_w, want_w) or not np.isclose(got_b, want_b):
                return feedback(False, "logistic gradients", f"for seed {seed} expected "
                                f"dw={np.round(want_w, 4)}, db={want_b:.4f}; got "
                                f"dw={np.round(got_w, 4)}, db={float(got_b):.4f}")
        return feedback(True, "logistic gradients match the package on 3 random problems")
    return run_check("logistic gradients", run)
