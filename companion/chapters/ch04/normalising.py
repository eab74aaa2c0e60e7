"""Chapter 4, section 7: why normalising inputs speeds up gradient descent, on a linear
least-squares problem small enough to see whole (its Hessian, condition number and path).
"""

from __future__ import annotations

import numpy as np

from companion.nn.validation import as_array


SCALINGS = ("raw", "divide by variance", "standardised")


def scale(X, how: str, stats_from=None):
    """Centre X and divide by nothing ("raw", centring only), the variance, or the std.

    The mean and std are taken from ``stats_from`` (the training set) when given.
    """
    X = as_array(X, "X", ndim=2)
    ref = X if stats_from is None else as_array(stats_from, "stats_from", ndim=2)
    mu, sd = ref.mean(axis=0), ref.std(axis=0)
    if how == "raw":
        return X - mu
    if how == "divide by variance":
        return (X - mu) / sd ** 2
    if how == "standardised":
        return (X - mu) / sd
    raise ValueError(f"how must be one of {SCALINGS}, got {how!r}")


def hessian(X) -> np.ndarray:
    """Hessian of the MSE of a linear model in its weights: 2 X_c^T X_c / m. Shape (d, d)."""
    Xc = X - X.mean(axis=0)
    return 2.0 * Xc.T @ Xc / len(X)


def conditioning(X) -> dict:
    """lambda_max, lambda_min, condition number and the largest stable learning rate 2/lambda_max."""
    eig = np.linalg.eigvalsh(hessian(X))
    return {"lambda_max": float(eig[-1]), "lambda_min": float(eig[0]),
            "condition": float(eig[-1] / eig[0]), "max_learning_rate": float(2.0 / eig[-1])}


def mse(X, y, W):
    """J at many weight vectors: W (K, d) -> (K,), with the bias at its optimum (centred data)."""
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    r = Xc @ W.T - yc[:, None]                                   # (m, K)
    return np.mean(r * r, axis=0)


def gradient_descent(X, y, learning_rate: float, steps: int, w0=None) -> np.ndarray:
    """Full-batch gradient descent on J from w0 (zeros); returns the path (steps + 1, d)."""
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    w = np.zeros(X.shape[1]) if w0 is None else np.asarray(w0, dtype=float).copy()
    path = [w.copy()]
    for _ in range(int(steps)):
        w = w - learning_rate * 2.0 * Xc.T @ (Xc @ w - yc) / len(X)
        path.append(w.copy())
    return np.array(path)


def steps_to_converge(X, y, learning_rate: float, rel_tol: float = 1e-3,
                      max_steps: int = 100_000) -> int:
    """Gradient-descent steps until J - J* <= rel_tol * (J(0) - J*); max_steps if never."""
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    w_star = np.linalg.lstsq(Xc, yc, rcond=None)[0]
    j_star = np.mean((Xc @ w_star - yc) ** 2)
    w = np.zeros(X.shape[1])
    gap0 = np.mean(yc ** 2) - j_star
    for step in range(1, max_steps + 1):
        w = w - learning_rate * 2.0 * Xc.T @ (Xc @ w - yc) / len(X)
        with np.errstate(over="ignore", invalid="ignore"):
            gap = np.mean((Xc @ w - yc) ** 2) - j_star
        if not np.isfinite(gap) or gap > 1e12 * gap0:             # diverged
            return max_steps
        if gap <= rel_tol * gap0:
            return step
    return max_steps
