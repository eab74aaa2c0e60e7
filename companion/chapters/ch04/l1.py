"""Chapter 4, section 3: L1's sparsity, shown honestly. Subgradient steps (``SGD`` with an
``L1`` penalty on every kernel) against proximal steps (the ``ProximalL1`` optimiser's soft
threshold), both trained full-batch by ``fit``.
"""

from __future__ import annotations

import numpy as np

from companion.nn import optim
from companion.nn.layers.dense import Dense
from companion.nn.regularizers import L1
from companion.nn.train import EpochMetric, fit


def fit_l1(model, x, y, loss, l1: float, learning_rate: float = 0.1, epochs: int = 200,
           method: str = "proximal") -> list[float]:
    """Full-batch gradient descent on data loss + l1 * sum|kernel| for every Dense kernel.

    ``method`` is "subgradient" (``SGD`` on the loss with an ``L1(l1)`` penalty, whose
    gradient is l1 * sign(w)) or "proximal" (``ProximalL1``: a step on the data loss, then
    the soft threshold). Biases are not penalised. Trains ``model`` in place with ``fit``
    (one unshuffled batch per epoch: nothing random); returns the objective (data loss + penalty, in
    inference mode) at the end of each epoch.
    """
    if method not in ("subgradient", "proximal"):
        raise ValueError(f"method must be 'subgradient' or 'proximal', got {method!r}")
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]

    def penalty() -> float:
        return l1 * float(sum(np.abs(layer.params["kernel"]).sum() for layer in dense))

    for layer in dense:
        layer.kernel_regularizer = L1(l1) if method == "subgradient" else None
    optimizer = optim.SGD(learning_rate) if method == "subgradient" else \
        optim.ProximalL1(learning_rate, l1, penalize=lambda p: any(
            p is layer.params["kernel"] for layer in dense))
    try:
        history = fit(model, x, y, loss, optimizer, epochs=epochs, batch_size=None,
                      shuffle=False, seed=0, callbacks=[EpochMetric("penalty", penalty)])
    finally:
        for layer in dense:
            layer.kernel_regularizer = None
    if method == "subgradient":                       # fit's loss already holds the penalty
        return list(history["loss"])
    return [data + pen for data, pen in zip(history["loss"], history["penalty"])]


def sparsity_report(weights: np.ndarray, small: float = 1e-3) -> dict:
    """How many weights are exactly 0 and how many are merely small (|w| < ``small``)."""
    w = np.asarray(weights)
    return {"size": int(w.size), "exact_zeros": int(np.sum(w == 0.0)),
            "near_zero": int(np.sum(np.abs(w) < small)), "max_abs": float(np.max(np.abs(w)))}
