"""Chapter 1 exercise: write one step of the perceptron's online update rule."""

from __future__ import annotations

import numpy as np

from companion.exercises import feedback, run_check

# (w, b, x, y, learning_rate): misclassified, correct, on the boundary, a negative label
CASES = [
    (np.array([1.0, -1.0]), 0.5, np.array([0.0, 2.0]), 1.0, 0.1),
    (np.array([1.0, -1.0]), 0.5, np.array([2.0, 0.0]), 1.0, 0.1),
    (np.array([0.0, 0.0]), 0.0, np.array([1.0, 3.0]), -1.0, 1.0),
    (np.array([2.0, 1.0]), -0.5, np.array([1.0, 1.0]), -1.0, 0.5),
]


def reference_step(w, b, x, y, learning_rate):
    """The package's answer: one online pass over a single point."""
    from companion.chapters.ch01 import train
    w2, b2, _ = train(x[None, :], np.array([y]), learning_rate, 1, w0=w, b0=b)
    return w2, b2


def check_step(perceptron_step) -> bool:
    """``perceptron_step(w, b, x, y, learning_rate) -> (w, b)`` must update only a
    misclassified point (y (w.x + b) <= 0, the boundary included) and leave inputs unchanged."""
    def run(*_):
        for w, b, x, y, lr in CASES:
            w_in = w.copy()
            got_w, got_b = perceptron_step(w_in, b, x, y, lr)
            want_w, want_b = reference_step(w, b, x, y, lr)
            score = float(y * (w @ x + b)) + 0.0      # no "-0" in the message
            where = f"w={w}, b={b}, x={x}, y={y:+.0f} (y*(w.x+b) = {score:g})"
            if np.shape(got_w) != want_w.shape:
                return feedback(False, "perceptron step", f"w has shape {np.shape(got_w)}, "
                                f"expected {want_w.shape}")
            if not np.allclose(got_w, want_w) or not np.isclose(got_b, want_b):
                hint = ("this point is misclassified (<= 0), so it must move the boundary"
                        if score <= 0 else "this point is already correct: leave w and b alone")
                return feedback(False, "perceptron step", f"for {where} expected "
                                f"w={want_w}, b={want_b:g}, got w={got_w}, b={got_b}: {hint}")
            if not np.array_equal(w_in, w):
                return feedback(False, "perceptron step", "you modified the w passed in; "
                                "return a new array (w = w + ..., not w += ...)")
        return feedback(True, "perceptron step: all cases agree with the update rule")
    return run_check("perceptron step", run)
