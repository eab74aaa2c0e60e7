"""Numerical gradients (two-sided differences) and the relative error used everywhere.

    rel_error(a, b) = ||a - b|| / max(||a|| + ||b||, tiny)

A correct backward pass in float64 gives about 1e-9 to 1e-11; a bug gives 1e-2 or worse.
``check`` prints one line in a fixed format (the number is replaced by nbval's sanitiser, so a
notebook's stored output does not depend on the last digit) and raises if the tolerance fails.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from companion.nn.validation import (
    as_array,
    check_finite,
    check_nonempty,
    check_number,
    check_positive,
)


def rel_error(a, b) -> float:
    """||a - b|| / (||a|| + ||b||) for two arrays of the same shape."""
    a = as_array(a, "rel_error: a").astype(np.float64)
    b = as_array(b, "rel_error: b").astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: shapes differ, {a.shape} vs {b.shape}")
    if a.size == 0:
        raise ValueError("rel_error: a and b are empty; expected at least one value to compare")
    denom = max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300)
    return float(np.linalg.norm(a - b) / denom)


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """dF/dx by central differences, perturbing ``x`` **in place** one entry at a time.

    ``f`` takes no argument and reads ``x`` (and anything sharing its memory), so it works for
    a layer's parameter array as well as for an input.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"numerical_gradient: x must be a float64 NumPy array (it is perturbed "
                        f"in place), got {type(x).__name__}")
    if x.dtype != np.float64:
        raise TypeError(f"numerical_gradient needs float64 arrays for accuracy, got {x.dtype}")
    if not callable(f):
        raise TypeError(f"numerical_gradient: f must be a function of no arguments returning "
                        f"a scalar, got {type(f).__name__}")
    h = check_positive(h, "h")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        try:
            x[i] = old + h
            fp = _scalar(f())
            x[i] = old - h
            fm = _scalar(f())
        finally:
            x[i] = old                      # x is left as it was, even if f raises
        grad[i] = (fp - fm) / (2 * h)
    return grad


def _scalar(value) -> float:
    """``f()``'s value as a float, or a clear error if it is not a single number."""
    arr = np.asarray(value) if not isinstance(value, str) else None
    if arr is None or arr.dtype.kind not in "iuf" or arr.ndim != 0:
        got = f"an array of shape {arr.shape}" if arr is not None and arr.ndim else \
            f"{type(value).__name__} {value!r}"
        raise TypeError(f"numerical_gradient: f must return a scalar (e.g. the loss value, or "
                        f"np.sum(out * dout) for a layer), got {got}")
    return float(arr)


def check(name: str, value: float, tol: float, quiet: bool = False) -> float:
    """Print ``name: rel. error 3.1e-10 < 1e-07 ✓`` and raise AssertionError if value >= tol.

    A NaN ``value`` (a gradient that overflowed) fails the check.
    """
    value = float(check_number(value, "check: value", "a relative error (a number)")) \
        if not (isinstance(value, float) and np.isnan(value)) else value
    tol = check_positive(tol, "check: tol")
    ok = value < tol
    if not quiet:
        print(f"{name}: rel. error {value:.1e} {'<' if ok else '>='} {tol:.0e} {'✓' if ok else '✗'}")
    if not ok:
        raise AssertionError(f"{name}: relative error {value:.3e} exceeds the tolerance {tol:.0e}")
    return value


def model_gradient_errors(model, x, y, loss, h: float = 1e-6,
                          training: bool = False) -> dict[str, float]:
    """Relative error between backprop and numerical gradients for every parameter of a model.

    By default the model is run with ``training=False`` so that stochastic layers (dropout) do
    not draw a new mask between evaluations; ``training=True`` is meant for a model whose
    dropout masks are fixed (``companion.nn.layers.dropout.frozen_masks``).
    """
    from companion.nn import losses as losses_mod
    loss = losses_mod.get(loss)
    x = check_finite(check_nonempty(as_array(x, "x"), "x"), "x")
    if len(np.asarray(y)) != len(x):
        raise ValueError(f"x has {len(x)} rows but y has {len(np.asarray(y))}: they must "
                         "describe the same examples")

    def total():
        value, _ = loss(y, model.forward(x, training=training))
        return value + model.regularization_loss()

    model.forward(x, training=training)
    model.loss_and_grads(x, y, loss, training=training)
    analytic = {k: g.copy() for k, g in model.grads.items()}
    return {name: rel_error(analytic[name], numerical_gradient(total, p, h))
            for name, p in model.params.items()}


def layer_gradient_errors(layer, x: np.ndarray, dout: np.ndarray | None = None, seed: int = 0,
                          h: float = 1e-6, training: bool = False) -> dict[str, float]:
    """Check a layer's backward against numerical gradients of sum(forward(x) * dout).

    Returns relative errors for the input (``"x"``, unless it holds integer ids) and every
    parameter.
    """
    if not all(hasattr(layer, a) for a in ("forward", "backward", "params", "grads")):
        raise TypeError(f"layer: expected a built companion layer, got {type(layer).__name__} "
                        f"{layer!r:.40}")
    out = layer.forward(x, training=training)
    if dout is None:
        dout = np.random.default_rng(seed).standard_normal(out.shape)
    dx = layer.backward(dout)
    analytic = {"x": dx, **{k: g.copy() for k, g in layer.grads.items()}}

    def f():
        return float(np.sum(layer.forward(x, training=training) * dout))

    errors = {}
    if np.asarray(x).dtype.kind == "f":                 # integer ids (Embedding) have none
        errors["x"] = rel_error(analytic["x"], numerical_gradient(f, x, h))
    for k, p in layer.params.items():
        errors[k] = rel_error(analytic[k], numerical_gradient(f, p, h))
    return errors
