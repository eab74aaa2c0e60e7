"""Chapter 5: exponentially weighted (moving) averages, with and without bias correction."""

from __future__ import annotations

import numpy as np

from companion.nn.validation import as_array, rng_from


def _check_beta(beta: float) -> float:
    if not 0 <= beta < 1:
        raise ValueError(f"beta must lie in [0, 1), got {beta!r}")
    return float(beta)


def ewa(theta, beta: float, bias_correction: bool = False) -> np.ndarray:
    """Moving average of ``theta`` (T, ...) along axis 0; returns v_1..v_T, same shape."""
    theta, beta = as_array(theta, "theta"), _check_beta(beta)
    v, out = np.zeros(theta.shape[1:]), np.empty_like(theta)
    for t in range(len(theta)):
        v = beta * v + (1 - beta) * theta[t]
        out[t] = v / (1 - beta ** (t + 1)) if bias_correction else v
    return out


def notes_ewa(theta, beta: float) -> np.ndarray:
    """The notes' formula taken literally: the corrected value is what the next step averages."""
    theta, beta = as_array(theta, "theta"), _check_beta(beta)
    v, out = np.zeros(theta.shape[1:]), np.empty_like(theta)
    for t in range(len(theta)):
        v = (beta * v + (1 - beta) * theta[t]) / (1 - beta ** (t + 1))
        out[t] = v
    return out


def weights(beta: float, t: int) -> np.ndarray:
    """The weight v_t gives to theta_t, theta_{t-1}, ..., theta_1: (1 - beta) beta^k (newest first)."""
    beta = _check_beta(beta)
    return (1 - beta) * beta ** np.arange(t)


def effective_window(beta: float) -> float:
    """1 / (1 - beta): about how many recent values the average spans (weights above 1/e)."""
    return 1.0 / (1.0 - _check_beta(beta))


def noisy_series(n: int = 200, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """A seasonal 'daily temperature' series: (t (n,), values (n,)), mean around 10-25."""
    rng = rng_from(seed)
    t = np.arange(1, n + 1)
    clean = 15 - 10 * np.cos(2 * np.pi * t / n)          # one 'year' over the n days
    return t, clean + rng.normal(0, 3, n)
