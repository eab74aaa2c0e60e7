"""An L-layer network from the notes' layer sizes n[0], n[1], ..., n[L] (later chapters reuse it).

    model = deep_network([2, 64, 64, 1], activations="relu", output_activation="sigmoid",
                         initializer="he_normal", regularizer=L2(1e-3), keep_probs=0.8, seed=0)

builds ``Dense(n[l], g[l])`` for l = 1..L, with a ``Dropout(rate = 1 - keep_prob[l])`` after
each hidden layer whose keep probability is below 1 (never after the output layer).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import losses as losses_mod
from .layers.dense import Dense
from .layers.dropout import Dropout
from .metrics import accuracy
from .model import Sequential
from .regularizers import Regularizer
from .train import fit


def _per_layer(value, n: int, name: str) -> list:
    """A scalar (or None) repeated n times, or a list of exactly n values."""
    if value is None or isinstance(value, (str, int, float, Regularizer)) or callable(value):
        return [value] * n
    value = list(value)
    if len(value) != n:
        raise ValueError(f"{name}: expected one value per hidden layer ({n}), got {len(value)}")
    return value


def deep_network(layer_sizes: Sequence[int], activations="relu", output_activation="sigmoid",
                 initializer="he_normal", regularizer: Regularizer | None = None,
                 keep_probs=None, seed=0) -> Sequential:
    """A built ``Sequential`` with L = len(layer_sizes) - 1 Dense layers.

    layer_sizes: [n_x, n_1, ..., n_L] (n_x = input features, n_L = output units).
    activations: one name for every hidden layer, or one per hidden layer (L - 1 values).
    initializer: a name from ``companion.initializers`` (or a callable), for every kernel.
    regularizer: one penalty for every kernel (``L2(...)``, ``L1(...)``...), or one per layer.
    keep_probs: None (no dropout), one keep probability for every hidden layer, or one per
        hidden layer; dropout acts on the hidden activations, never on the inputs or output.
    Input shape: (N, n_x). Output shape: (N, n_L).
    """
    sizes = [int(s) for s in layer_sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"layer_sizes must list at least two positive sizes [n_x, ..., n_L], "
                         f"got {list(layer_sizes)}")
    n_hidden = len(sizes) - 2
    acts = _per_layer(activations, n_hidden, "activations")
    keeps = _per_layer(1.0 if keep_probs is None else keep_probs, n_hidden, "keep_probs")
    regs = _per_layer(regularizer, len(sizes) - 1, "regularizer")
    layers = []
    for i, units in enumerate(sizes[1:]):
        last = i == len(sizes) - 2
        layers.append(Dense(units, output_activation if last else acts[i],
                            kernel_initializer=initializer, kernel_regularizer=regs[i]))
        if not last:
            keep = float(keeps[i])
            if not 0.0 < keep <= 1.0:
                raise ValueError(f"keep_probs: each keep probability must lie in (0, 1], "
                                 f"got {keep!r} for hidden layer {i + 1}")
            if keep < 1.0:
                layers.append(Dropout(1.0 - keep))
    return Sequential(layers, input_shape=(sizes[0],), seed=seed)


def train_and_score(model: Sequential, train: tuple, dev: tuple, loss="binary_crossentropy",
                    optimizer="adam", epochs: int = 200, batch_size: int | None = None,
                    seed=0, validate: bool = True, **fit_kwargs) -> dict:
    """Fit ``model`` on ``train`` and return its history with final train/dev accuracies.

    ``train`` and ``dev`` are (X, y) pairs; accuracies are measured in inference mode (no
    dropout). ``validate=False`` skips the per-epoch dev evaluation (faster; the history then
    has no val_* curves). Returns ``{"history", "train_acc", "dev_acc", "model"}``.
    """
    x, y = train
    history = fit(model, x, y, loss, optimizer, epochs=epochs, batch_size=batch_size,
                  validation_data=dev if validate else None, seed=seed, **fit_kwargs)
    return {"history": history, "model": model,
            "train_acc": accuracy(y, model.predict(x)),
            "dev_acc": accuracy(dev[1], model.predict(dev[0]))}


def kernel_norms(model: Sequential) -> np.ndarray:
    """sqrt(sum w^2) of every Dense kernel, first layer first (how L2 shrinks the weights)."""
    return np.array([np.linalg.norm(layer.params["kernel"]) for layer in model.layers
                     if isinstance(layer, Dense)])


def data_loss(model: Sequential, x, y, loss) -> float:
    """The loss without penalties, in inference mode."""
    value, _ = losses_mod.get(loss)(y, model.predict(x))
    return float(value)
