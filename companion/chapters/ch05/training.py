"""Chapter 5: mini-batch Adam on the logistic loss, through the package's ``train_loop`` (the
reference of the chapter's training-loop exercise)."""

from __future__ import annotations

import numpy as np

from companion.chapters.ch05.notes_forms import BiasCorrectedAdam
from companion.nn.train import minibatches, train_loop
from companion.nn.validation import as_array


class LogisticModel:
    """Logistic regression as a ``Trainable``: params [w (n,), b (1,)], a batch is (X (B, n),
    y (B,) of 0/1), the loss the mean binary cross-entropy mean(log(1 + e^z) - y z), z = X w + b."""

    def __init__(self, n_features: int):
        self.w, self.b = np.zeros(n_features), np.zeros(1)
        self._grads: list[np.ndarray] = []

    def loss_and_grads(self, batch) -> tuple[float, list[np.ndarray]]:
        X, y = batch
        z = X @ self.w + self.b[0]
        dz = (1 / (1 + np.exp(-z)) - y) / len(y)
        self._grads = [X.T @ dz, np.array([dz.sum()])]
        return float(np.mean(np.logaddexp(0.0, z) - y * z)), self._grads

    def params(self) -> list[np.ndarray]:
        return [self.w, self.b]

    def grads(self) -> list[np.ndarray]:
        return self._grads


def minibatch_logistic_adam(X, y, batch_size: int, epochs: int, learning_rate: float,
                            rng: np.random.Generator, beta_1: float = 0.9,
                            beta_2: float = 0.999, epsilon: float = 1e-8):
    """Train logistic regression from w = 0, b = 0 with the paper's Adam on mini-batches (a
    new permutation from ``rng`` every epoch, the last batch smaller; Adam's step t counts
    every batch from 1 across epochs). X: (m, n), y: (m,) of 0/1.

    Returns (w (n,), b (a float), losses (steps,)): the loss of each batch before its step."""
    X, y = as_array(X, "X", ndim=2), as_array(y, "y", ndim=1)
    model = LogisticModel(X.shape[1])

    def batches(epoch):
        return ((X[idx], y[idx]) for idx in minibatches(len(X), batch_size, rng))
    history = train_loop(model, batches, BiasCorrectedAdam(learning_rate, beta_1, beta_2,
                                                            epsilon), epochs)
    return model.w.copy(), float(model.b[0]), np.array(history["batch_loss"])
