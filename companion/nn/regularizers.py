"""Weight penalties, with Keras' conventions: ``L2(l2)`` adds ``l2 * sum(w**2)`` to the loss.

The notes (and many courses) write the L2 term as ``(lambda / 2m) * sum(w**2)`` with m the
number of training examples; that is ``L2(l2=lambda / (2 * m))`` here and in Keras.
"""

from __future__ import annotations

import numpy as np

from companion.nn.validation import as_array, check_int, check_non_negative, check_number


class Regularizer:
    """Base class: ``reg(w)`` is the penalty added to the loss, ``reg.gradient(w)`` its
    gradient (w's shape); a subclass defines both."""

    def __call__(self, w: np.ndarray) -> float:
        raise NotImplementedError(f"{type(self).__name__} is a Regularizer without "
                                  "__call__(w) -> penalty: define it")

    def gradient(self, w: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} is a Regularizer without "
                                  "gradient(w) -> d penalty / dw: define it")


class L1L2(Regularizer):
    """l1 * sum|w| + l2 * sum(w^2). The L1 gradient is the subgradient sign(w) (0 at w = 0)."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1, self.l2 = check_non_negative(l1, "l1"), check_non_negative(l2, "l2")

    def __call__(self, w):
        w = as_array(w, "w")
        return float(self.l1 * np.sum(np.abs(w)) + self.l2 * np.sum(w * w))

    def gradient(self, w):
        w = as_array(w, "w")
        return self.l1 * np.sign(w) + 2.0 * self.l2 * w

    def __repr__(self):
        return f"L1L2(l1={self.l1:g}, l2={self.l2:g})"


class L1(L1L2):
    def __init__(self, l1: float = 0.01):
        super().__init__(l1=l1)

    def __repr__(self):
        return f"L1(l1={self.l1:g})"


class L2(L1L2):
    def __init__(self, l2: float = 0.01):
        super().__init__(l2=l2)

    def __repr__(self):
        return f"L2(l2={self.l2:g})"


def from_notes_lambda(lam: float, m: int) -> L2:
    """The notes' (lambda / 2m) * sum(w^2) as a Keras-style L2 strength."""
    lam, m = check_non_negative(lam, "lam"), check_int(m, "m")
    return L2(lam / (2.0 * m))


def soft_threshold(w: np.ndarray, threshold: float) -> np.ndarray:
    """The proximal step of ``threshold * sum|w|``: sign(w) * max(|w| - threshold, 0).

    After a gradient step on the *smooth* part of the loss, ``w <- soft_threshold(w, lr * l1)``
    (proximal gradient descent, ISTA) sets every weight whose magnitude is below ``lr * l1``
    to exactly 0. Plain (sub)gradient steps with ``l1 * sign(w)`` only make weights oscillate
    around 0 with amplitude about ``lr * l1``: near zero, never exactly zero.
    """
    w, threshold = as_array(w, "w"), check_number(threshold, "soft_threshold: threshold")
    if threshold < 0:
        raise ValueError(f"soft_threshold: threshold must be >= 0, got {threshold!r}")
    return np.sign(w) * np.maximum(np.abs(w) - threshold, 0.0)
