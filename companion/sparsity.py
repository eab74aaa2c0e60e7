"""L1's sparsity, shown honestly: subgradient steps versus proximal (soft-threshold) steps.

Both minimise  data_loss(W) + l1 * sum|W|  by full-batch gradient descent:

    subgradient:  W <- W - lr * (dL/dW + l1 * sign(W))      (what backprop with L1(l1) does)
    proximal:     W <- soft_threshold(W - lr * dL/dW, lr * l1)   (ISTA)

The subgradient step overshoots zero and back, so weights end up *near* zero (|w| about
lr * l1) but almost never exactly zero; the proximal step sets them to exactly 0.
"""
from __future__ import annotations

import numpy as np

from .layers.dense import Dense
from .regularizers import L1, soft_threshold


def fit_l1(model, x, y, loss, l1: float, learning_rate: float = 0.1, epochs: int = 200,
           method: str = "proximal") -> list[float]:
    """Full-batch gradient descent on data loss + l1 * sum|kernel| for every Dense kernel.

    ``method`` is "subgradient" or "proximal". Biases are not penalised. Trains ``model`` in
    place; returns the per-epoch objective (data loss + penalty).
    """
    if method not in ("subgradient", "proximal"):
        raise ValueError(f"method must be 'subgradient' or 'proximal', got {method!r}")
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    for layer in dense:
        layer.kernel_regularizer = L1(l1) if method == "subgradient" else None
    history = []
    for _ in range(int(epochs)):
        value = model.loss_and_grads(x, y, loss, training=True)
        for layer in model.layers:
            for k, g in layer.grads.items():
                layer.params[k] -= learning_rate * g
        if method == "proximal":
            for layer in dense:
                layer.params["kernel"] = soft_threshold(layer.params["kernel"], learning_rate * l1)
            value += l1 * sum(np.abs(layer.params["kernel"]).sum() for layer in dense)
        history.append(float(value))
    for layer in dense:
        layer.kernel_regularizer = None
    return history


def sparsity_report(weights: np.ndarray, small: float = 1e-3) -> dict:
    """How many weights are exactly 0 and how many are merely small (|w| < ``small``)."""
    w = np.asarray(weights)
    return {"size": int(w.size), "exact_zeros": int(np.sum(w == 0.0)),
            "near_zero": int(np.sum(np.abs(w) < small)), "max_abs": float(np.max(np.abs(w)))}
