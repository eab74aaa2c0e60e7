"""Chapter 6 exercises: sample learning rates on a log scale; the batch-norm forward pass."""

from __future__ import annotations

import numpy as np

from companion.exercises import feedback, run_check


def check_log_sampling(sample_learning_rates) -> bool:
    """``sample_learning_rates(rng, n, low, high) -> (n,)`` with log10 of the values uniform."""
    from companion.chapters.ch06 import decade_shares

    def run(*_):
        low, high = 1e-5, 1e-1
        got = np.asarray(sample_learning_rates(np.random.default_rng(0), 20_000, low, high),
                         dtype=float)
        if got.shape != (20_000,):
            return feedback(False, "log-scale sampling", f"returned shape {got.shape}, "
                            "expected (20000,)")
        if got.min() < low or got.max() > high:
            return feedback(False, "log-scale sampling", f"values span [{got.min():.2g}, "
                            f"{got.max():.2g}], outside [{low:g}, {high:g}]")
        shares = decade_shares(got, low, high)
        if np.allclose(shares, 0.25, atol=0.02):
            return feedback(True, "log-scale sampling: each decade gets a quarter of the draws")
        msg = ", ".join(f"{s:.0%}" for s in shares)
        hint = (" (that is uniform on a linear scale: draw the exponent r uniformly in "
                "[log10 low, log10 high] and return 10**r)" if shares[-1] > 0.8 else "")
        return feedback(False, "log-scale sampling", f"shares per decade 1e-5..1e-1 are {msg}, "
                        f"expected 25% each{hint}")
    return run_check("log-scale sampling", run)


def check_batchnorm_forward(bn_forward) -> bool:
    """``bn_forward(x, gamma, beta, epsilon) -> out`` in training mode (batch statistics)."""
    from companion.nn.layers.batchnorm import batchnorm_forward

    def run(*_):
        rng = np.random.default_rng(3)
        x = rng.normal(3.0, 2.0, (6, 4))
        gamma, beta = rng.uniform(0.5, 2, 4), rng.standard_normal(4)
        got = np.asarray(bn_forward(x.copy(), gamma, beta, 1e-3), dtype=float)
        want = batchnorm_forward(x, gamma, beta, 1e-3)[0]
        if got.shape != want.shape:
            return feedback(False, "batch-norm forward", f"shape {got.shape}, expected {want.shape}")
        if np.allclose(got, want):
            return feedback(True, "batch-norm forward matches (mean/variance over the batch axis)")
        wrong_axis = gamma * (x - x.mean(1, keepdims=True)) / np.sqrt(
            x.var(1, keepdims=True) + 1e-3) + beta
        ddof1 = gamma * (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + 1e-3) + beta
        no_eps_in = gamma * (x - x.mean(0)) / (x.std(0) + 1e-3) + beta
        if np.allclose(got, wrong_axis):
            hint = "you normalised each example over its features; use the batch axis (axis=0)"
        elif np.allclose(got, ddof1):
            hint = "use the biased variance (divide by m, ddof=0), as Keras and the paper do"
        elif np.allclose(got, no_eps_in):
            hint = "epsilon goes inside the square root: sqrt(var + epsilon)"
        else:
            hint = "x_hat = (x - mean) / sqrt(var + epsilon) over axis 0, then gamma * x_hat + beta"
        return feedback(False, "batch-norm forward", hint)
    return run_check("batch-norm forward", run)
