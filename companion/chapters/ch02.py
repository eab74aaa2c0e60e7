"""Chapter 2: the experiment drivers and explorers that only this chapter uses.

It imports the library (``companion.nn``, ``data``, ``models``, ``lab``), never another
chapter. Its sections:

- Gradient descent (notes, "Gradient Descent"): a_{n+1} = a_n - gamma grad F(a_n).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from companion.nn.activations import sigmoid
from companion.nn.threads import blas_threads
from companion.nn.shape_checks import check_same_length
from companion.nn.validation import DivergenceError, as_array, check_positive


class Function2D(NamedTuple):
    """A test function: ``f(x, y)`` works element-wise on grids, ``grad(p)`` takes p (2,)."""
    name: str
    f: Callable
    grad: Callable
    minimum: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]


def _bowl(x, y):
    return 0.5 * ((x - 1) ** 2 + 10 * (y - 0.5) ** 2)


def _rosenbrock(x, y):
    return (1 - x) ** 2 + 10 * (y - x ** 2) ** 2


FUNCTIONS = {
    "round": Function2D("round", lambda x, y: x ** 2 + y ** 2, lambda p: 2 * np.asarray(p),
                        (0.0, 0.0), (-2, 2), (-2, 2)),
    "bowl": Function2D("bowl", _bowl,
                       lambda p: np.array([p[0] - 1, 10 * (p[1] - 0.5)]),
                       (1.0, 0.5), (-2, 3), (-1.5, 2.5)),
    "rosenbrock": Function2D("rosenbrock", _rosenbrock,
                             lambda p: np.array([-2 * (1 - p[0]) - 40 * p[0] * (p[1] - p[0] ** 2),
                                                 20 * (p[1] - p[0] ** 2)]),
                             (1.0, 1.0), (-2, 2), (-1, 3)),
}


def get_function(name: str) -> Function2D:
    if name not in FUNCTIONS:
        raise ValueError(f"unknown function {name!r}; choose one of {sorted(FUNCTIONS)}")
    return FUNCTIONS[name]


def descend(grad: Callable, start, learning_rate: float, steps: int,
            blowup: float = 1e6) -> np.ndarray:
    """Run ``steps`` steps of a <- a - learning_rate * grad(a) from ``start``.

    start: (D,). Returns the path, shape (steps + 1, D), start included. If an iterate becomes
    non-finite or larger than ``blowup`` in norm, raises ``DivergenceError`` naming the step;
    the path up to there is attached to the exception as ``exc.path``.
    """
    a = as_array(start, "start", ndim=1).astype(np.float64)
    lr = check_positive(learning_rate, "learning_rate")
    if int(steps) != steps or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    path = np.empty((int(steps) + 1, a.size))
    path[0] = a
    with np.errstate(over="ignore", invalid="ignore"):
        for n in range(1, int(steps) + 1):
            a = a - lr * np.asarray(grad(a), dtype=np.float64)
            path[n] = a
            size = np.linalg.norm(a)
            if not np.isfinite(size) or size > blowup:
                exc = DivergenceError(
                    f"gradient descent diverged at step {n}: |a| = {size:.3g} > {blowup:g} "
                    f"(learning_rate={lr:g} is too large for this function; try a smaller one)",
                    step=n)
                exc.path = path[:n + 1]
                raise exc
    return path


def directional_derivatives(f: Callable, point, angles, h: float = 1e-6) -> np.ndarray:
    """Numerical slope of f at ``point`` (2,) along unit vectors at ``angles`` (K,) radians.

    Central differences (f(p + h u) - f(p - h u)) / 2h, with no use of the gradient: the
    largest one lies along grad f and equals |grad f| (steepest ascent).
    """
    p = as_array(point, "point", ndim=1)
    u = np.c_[np.cos(angles), np.sin(angles)]                       # (K, 2)
    fp = f(p[0] + h * u[:, 0], p[1] + h * u[:, 1])
    fm = f(p[0] - h * u[:, 0], p[1] - h * u[:, 1])
    return (fp - fm) / (2 * h)


# --- logistic regression by gradient descent -----------------------------------------------
def _check_logistic(X, y):
    X = as_array(X, "X", ndim=2).astype(np.float64, copy=False)
    y = as_array(y, "y", ndim=1).astype(np.float64)
    check_same_length(X, y, "X", "y")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError(f"y: logistic regression needs 0/1 labels, got {np.unique(y)[:5]}")
    return X, y


def logistic_loss(w, b: float, X, y) -> tuple[float, np.ndarray, float]:
    """Mean binary cross-entropy of p = sigmoid(X w + b) and its gradients.

    X: (N, D), y: (N,) in {0, 1}, w: (D,). Returns (loss, dw (D,), db). The loss is computed
    from the logits z as mean(log(1 + e^z) - y z) (no overflow); dz = (p - y) / N.
    """
    z = X @ w + b
    loss = float(np.mean(np.logaddexp(0.0, z) - y * z))
    dz = (sigmoid(z) - y) / len(y)
    return loss, X.T @ dz, float(dz.sum())


class LogisticRun(NamedTuple):
    w: np.ndarray            # (D,) final weights
    b: float
    losses: np.ndarray       # (steps + 1,) loss before each step and after the last
    path: np.ndarray         # (steps + 1, D + 1): [w, b] before each step and after the last


def logistic_gd(X, y, learning_rate: float, steps: int, w0=None, b0: float = 0.0) -> LogisticRun:
    """Full-batch gradient descent on the logistic loss; raises DivergenceError on NaN/inf."""
    X, y = _check_logistic(X, y)
    lr = check_positive(learning_rate, "learning_rate")
    w = np.zeros(X.shape[1]) if w0 is None else as_array(w0, "w0", ndim=1).astype(float).copy()
    b = float(b0)
    losses, path = [], [np.r_[w, b]]
    with blas_threads(1):          # small matrices: extra BLAS threads only wait (busy CPUs)
        for n in range(int(steps) + 1):
            with np.errstate(over="ignore", invalid="ignore"):
                loss, dw, db = logistic_loss(w, b, X, y)
            if not np.isfinite(loss):
                raise DivergenceError(f"loss became {loss} at step {n}: gradient descent "
                                      f"diverged (learning_rate={lr:g} is too large; "
                                      "standardise the inputs)", step=n, loss=loss,
                                      history={"loss": losses})
            losses.append(loss)
            if n == steps:
                break
            w, b = w - lr * dw, b - lr * db
            path.append(np.r_[w, b])
    return LogisticRun(w, b, np.array(losses), np.array(path))


def steps_to_reach(losses, target: float) -> int | None:
    """First step at which the loss is <= target (None if never)."""
    hit = np.flatnonzero(np.asarray(losses) <= target)
    return int(hit[0]) if hit.size else None


def logistic_hessian(w, b: float, X) -> np.ndarray:
    """Hessian of the mean logistic loss in (w, b): X1^T diag(p(1-p)) X1 / N, X1 = [X, 1]."""
    X1 = np.c_[X, np.ones(len(X))]
    p = sigmoid(X @ w + b)
    return (X1 * (p * (1 - p))[:, None]).T @ X1 / len(X)


def condition_number(H) -> float:
    """Largest over smallest eigenvalue of a symmetric positive definite matrix."""
    ev = np.linalg.eigvalsh(H)
    return float(ev[-1] / ev[0])


def loss_grid(X, y, W1, W2) -> np.ndarray:
    """Logistic loss (no bias) of a 2-feature model over a grid of weights W1, W2 (same shape)."""
    Z = X[:, 0, None] * W1.ravel()[None] + X[:, 1, None] * W2.ravel()[None]   # (N, G)
    L = np.mean(np.logaddexp(0.0, Z) - y[:, None] * Z, axis=0)
    return L.reshape(W1.shape)


def keras_logistic_gd(X, y, learning_rate: float, steps: int, w0=None, b0: float = 0.0):
    """The Keras twin: Dense(1, sigmoid) + binary cross-entropy + SGD, full batch, float32.

    Returns the path (steps + 1, D + 1) of [w, b] in the same layout as ``logistic_gd``.
    """
    from companion import keras_twin as reference
    from companion.nn.layers import Dense
    from companion.nn.model import Sequential
    keras = reference.import_keras()
    X, y = _check_logistic(X, y)
    model = Sequential([Dense(1, "sigmoid")], input_shape=(X.shape[1],), seed=0)
    w = np.zeros(X.shape[1]) if w0 is None else np.asarray(w0, float)
    model.set_weights([w[:, None], np.array([b0])])
    kmodel = reference.twin(model)
    opt = keras.optimizers.SGD(learning_rate=learning_rate)
    path = [np.r_[w, b0]]
    for _ in range(int(steps)):
        _, _, _, grads = reference.loss_gradients(kmodel, X, y[:, None], "binary_crossentropy")
        reference.apply_gradients(opt, kmodel, grads)
        kw, kb = kmodel.get_weights()
        path.append(np.r_[kw.ravel(), kb])
    return np.array(path)


# --- the chapter's explorer -----------------------------------------------------------------
def explore(learning_rate: float = 0.1, steps: int = 30, start_x: float = -1.5,
            start_y: float = 2.0, function: str = "bowl") -> dict:
    """Run GD on one of ``FUNCTIONS``; a divergence is reported in the summary, not raised."""
    fn = get_function(function)
    try:
        path, error = descend(fn.grad, [start_x, start_y], learning_rate, steps), None
    except DivergenceError as exc:
        path, error = exc.path, str(exc)
    values = fn.f(path[:, 0], path[:, 1])
    summary = error or (f"{function}: F went from {values[0]:.4g} to {values[-1]:.4g} in "
                        f"{steps} steps (minimum at {fn.minimum})")
    return {"path": path, "values": values, "function": fn, "diverged": error is not None,
            "summary": summary}


def draw(result):
    """Contours with the path, and F(a_n) against n (log scale)."""
    import matplotlib.pyplot as plt

    from companion.lab.plots import contour_path
    fn = result["function"]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    contour_path(fn.f, {"GD": result["path"]}, fn.xlim, fn.ylim, ax=ax, log_levels=True,
                 title=fn.name, steps=100)
    ax.set(xlabel="x", ylabel="y")
    ax2.semilogy(np.maximum(result["values"], 1e-16), "o-", ms=3)
    ax2.set(xlabel="step n", ylabel="F(a_n)", title="value along the path")
    fig.tight_layout()
    return fig


def explorer():
    """Sliders over learning rate, steps and the start point; a dropdown over the functions."""
    import ipywidgets as w

    from companion.lab.explorer import Explorer
    controls = {"learning_rate": w.FloatLogSlider(value=0.1, base=10, min=-3, max=0,
                                                  description="learning rate"),
                "steps": w.IntSlider(value=30, min=1, max=300, description="steps"),
                "start_x": w.FloatSlider(value=-1.5, min=-2, max=2, step=0.1, description="start x"),
                "start_y": w.FloatSlider(value=2.0, min=-1, max=2.5, step=0.1, description="start y"),
                "function": w.Dropdown(options=sorted(FUNCTIONS), value="bowl",
                                       description="function")}
    return Explorer(explore, draw, controls, title="Gradient descent explorer")
