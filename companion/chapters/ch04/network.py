"""Chapter 4: an L-layer network from the notes' layer sizes n[0], n[1], ..., n[L] (later
chapters reuse it), its training and scoring, and the same network written out by hand (the
reference of the build-it exercises).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from companion.nn.layers.dense import Dense
from companion.nn.layers.dropout import Dropout
from companion.nn.metrics import accuracy
from companion.nn.model import Sequential
from companion.nn.regularizers import Regularizer
from companion.nn.train import fit
from companion.nn.validation import rng_from


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
    initializer: a name from ``companion.nn.initializers`` (or a callable), for every kernel.
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


# --- an L-layer network written out by hand (the reference of the build-it exercises) -----------
def deep_params(layer_sizes: Sequence[int], seed=0) -> dict:
    """He-initialised {"W1": (n0, n1), "b1": (n1,), ..., "WL", "bL"} for layer_sizes n0..nL."""
    rng = rng_from(seed)
    params = {}
    for l, (n_in, n_out) in enumerate(itertools.pairwise(layer_sizes), start=1):
        params[f"W{l}"] = rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)
        params[f"b{l}"] = rng.standard_normal(n_out) * 0.1
    return params


def deep_forward(X, params: dict) -> tuple[np.ndarray, list]:
    """ReLU hidden layers, a sigmoid output: A_l = g(A_{l-1} W_l + b_l), A_0 = X (N, n0).

    Returns (AL (N, nL), caches) with caches[l-1] = (A_{l-1}, Z_l) for l = 1..L.
    """
    from companion.nn.activations import relu, sigmoid
    L = len(params) // 2
    A, caches = X, []
    for l in range(1, L + 1):
        Z = A @ params[f"W{l}"] + params[f"b{l}"]
        caches.append((A, Z))
        A = sigmoid(Z) if l == L else relu(Z)
    return A, caches


def deep_backward(AL, Y, params: dict, caches: list, lambd: float = 0.0) -> dict:
    """Gradients of the mean binary cross-entropy (plus (lambd / 2N) sum ||W_l||^2 when
    lambd > 0) for ``deep_forward``: dZ_L = (AL - Y) / N; dW_l = A_{l-1}^T dZ_l
    (+ lambd / N W_l); db_l = sum_i dZ_l; dA_{l-1} = dZ_l W_l^T; dZ = dA * (Z > 0) below L."""
    N, L = len(Y), len(caches)
    dZ, grads = (AL - Y) / N, {}
    for l in range(L, 0, -1):
        A_prev = caches[l - 1][0]
        grads[f"W{l}"] = A_prev.T @ dZ + (lambd / N) * params[f"W{l}"]
        grads[f"b{l}"] = dZ.sum(axis=0)
        if l > 1:                                    # dA_{l-1} times ReLU'(Z_{l-1})
            dZ = (dZ @ params[f"W{l}"].T) * (caches[l - 2][1] > 0)
    return grads


def deep_loss(AL, Y, params: dict, lambd: float = 0.0) -> float:
    """Mean binary cross-entropy of AL (N, 1) against Y, plus (lambd / 2N) sum_l ||W_l||^2."""
    N = len(Y)
    ce = -np.mean(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))
    return float(ce + lambd / (2 * N) * sum(np.sum(params[k] ** 2) for k in params
                                            if k.startswith("W")))
