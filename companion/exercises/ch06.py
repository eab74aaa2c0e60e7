"""Chapter 6 exercises: sample a hyper-parameter on a log scale; batch normalisation's forward
and backward passes in training mode, its moving statistics and its inference mode.

The batch-norm checkers compare with ``nn.layers.batchnorm`` (Keras' BatchNormalization, checked
against Keras in the package tests) and name the likely mistake.
"""

from __future__ import annotations

import numpy as np

from companion.exercises.checker import Case, Fail, Mistake, call, check, feedback, run_check


# --- log-scale sampling (a statistical check) ------------------------------------------------------
def check_log_sampling(sample_learning_rates) -> bool:
    """``sample_learning_rates(rng, n, low, high) -> (n,)`` with log10 of the values uniform."""
    from companion.chapters.ch06 import decade_shares

    def body():
        low, high = 1e-5, 1e-1
        got = call(sample_learning_rates, np.random.default_rng(0), 20_000, low, high,
                   returns="the array of n sampled values")
        try:
            got = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            raise Fail(f"returned {type(got).__name__}, not an array of numbers") from None
        if got.shape != (20_000,):
            raise Fail(f"returned shape {got.shape}, expected (20000,) (n values)")
        if not np.all(np.isfinite(got)):
            raise Fail("some values are NaN or infinite")
        if got.min() < low or got.max() > high:
            raise Fail(f"values span [{got.min():.2g}, {got.max():.2g}], outside "
                       f"[{low:g}, {high:g}]")
        shares = decade_shares(got, low, high)
        if np.allclose(shares, 0.25, atol=0.02):
            return feedback(True, "log-scale sampling: each decade gets a quarter of the draws")
        msg = ", ".join(f"{s:.0%}" for s in shares)
        hint = (" (that is uniform on a linear scale: draw the exponent r uniformly in "
                "[log10 low, log10 high] and return 10**r)" if shares[-1] > 0.8 else "")
        raise Fail(f"shares per decade 1e-5..1e-1 are {msg}, expected 25% each{hint}")
    return run_check("log-scale sampling", body)


# --- batch normalisation ------------------------------------------------------------------------------
def _bn_case(seed: int, shape=(6, 4)):
    rng = np.random.default_rng(seed)
    x = rng.normal(3.0, 2.0, shape)
    c = shape[-1]
    return x, rng.uniform(0.5, 2, c), rng.standard_normal(c)


def _bn_forward(x, gamma, beta, epsilon):
    from companion.nn.layers.batchnorm import batchnorm_forward
    return batchnorm_forward(x, gamma, beta, epsilon)[0]


def _bn_bug(kind: str):
    def bn(x, gamma, beta, epsilon):
        axis = 1 if kind == "axis" else 0
        mean = x.mean(axis, keepdims=True)
        var = x.var(axis, ddof=1 if kind == "ddof" else 0, keepdims=True)
        x_hat = (x - mean) / (np.sqrt(var) + epsilon if kind == "eps" else
                              np.sqrt(var + epsilon))
        return x_hat if kind == "no affine" else gamma * x_hat + beta
    return bn


BN_FORWARD_MISTAKES = [
    Mistake(_bn_bug("axis"), "you normalised each example over its features; use the batch "
            "axis (axis=0)"),
    Mistake(_bn_bug("ddof"), "use the biased variance (divide by m, ddof=0), as Keras and the "
            "paper do"),
    Mistake(_bn_bug("eps"), "epsilon goes inside the square root: sqrt(var + epsilon)"),
    Mistake(_bn_bug("no affine"), "after normalising, scale and shift: gamma * x_hat + beta")]


def check_batchnorm_forward(bn_forward) -> bool:
    """``bn_forward(x (m, C), gamma (C,), beta (C,), epsilon) -> out (m, C)`` in training mode:
    x_hat = (x - mean) / sqrt(var + epsilon) with the batch's mean and biased variance (axis 0),
    out = gamma * x_hat + beta."""
    cases = [Case(_bn_case(3) + (1e-3,), label="m=6, C=4"),
             Case(_bn_case(4, (2, 3)) + (1e-3,), label="m=2"),
             Case(_bn_case(5, (16, 1)) + (0.5,), label="one feature, epsilon 0.5")]
    return check("batch-norm forward", bn_forward, _bn_forward, cases, BN_FORWARD_MISTAKES,
                 returns="the normalised array out, shaped like x", names=("out",))


def _bn_backward(dout, x, gamma, epsilon):
    from companion.nn.layers.batchnorm import batchnorm_backward, batchnorm_forward
    _, cache = batchnorm_forward(x, gamma, np.zeros_like(gamma), epsilon)
    dx, (dgamma, dbeta) = batchnorm_backward(dout, cache)
    return dx, dgamma, dbeta


def _bn_backward_bug(kind: str):
    def backward(dout, x, gamma, epsilon):
        m = len(x)
        inv_std = 1 / np.sqrt(x.var(0) + epsilon)
        x_hat = (x - x.mean(0)) * inv_std
        dx_hat = dout if kind == "no gamma" else dout * gamma
        if kind == "constants":
            dx = dx_hat * inv_std
        else:
            dx = inv_std / m * (m * dx_hat - dx_hat.sum(0) - x_hat * (dx_hat * x_hat).sum(0))
        dgamma = dout.sum(0) if kind == "dgamma" else (dout * x_hat).sum(0)
        dbeta = dout.mean(0) if kind == "dbeta mean" else dout.sum(0)
        return dx, dgamma, dbeta
    return backward


BN_BACKWARD_MISTAKES = [
    Mistake(_bn_backward_bug("constants"), "dx = dout * gamma / sqrt(var + eps) treats the "
            "batch mean and variance as constants; in training mode they depend on x: "
            "dx = inv_std / m (m dx_hat - sum dx_hat - x_hat sum(dx_hat x_hat))"),
    Mistake(_bn_backward_bug("no gamma"), "dx_hat = dout * gamma: the gradient flows back "
            "through the scale gamma"),
    Mistake(_bn_backward_bug("dgamma"), "dgamma = sum over the batch of dout * x_hat "
            "(out = gamma x_hat + beta)"),
    Mistake(_bn_backward_bug("dbeta mean"), "dbeta is the SUM of dout over the batch, not the "
            "mean")]


def check_batchnorm_backward(bn_backward) -> bool:
    """``bn_backward(dout (m, C), x (m, C), gamma (C,), epsilon) -> (dx (m, C), dgamma (C,),
    dbeta (C,))`` for the training-mode forward pass (recompute x_hat from x)."""
    cases = []
    for seed, shape, eps, label in ((6, (6, 4), 1e-3, "m=6, C=4"), (7, (2, 3), 1e-3, "m=2"),
                                    (8, (10, 1), 0.1, "one feature, epsilon 0.1")):
        x, gamma, _ = _bn_case(seed, shape)
        dout = np.random.default_rng(seed + 10).standard_normal(shape)
        cases.append(Case((dout, x, gamma, eps), label=label))
    return check("batch-norm backward", bn_backward, _bn_backward, cases, BN_BACKWARD_MISTAKES,
                 returns="the tuple (dx, dgamma, dbeta)", names=("dx", "dgamma", "dbeta"))


# --- moving statistics and inference -------------------------------------------------------------
def _moving(moving_mean, moving_var, x, momentum):
    from companion.nn.layers.batchnorm import BatchNormalization
    layer = BatchNormalization(momentum=momentum)
    layer.build(x.shape[1:])
    layer.state["moving_mean"][...] = moving_mean
    layer.state["moving_variance"][...] = moving_var
    layer.forward(x, training=True)
    return layer.state["moving_mean"].copy(), layer.state["moving_variance"].copy()


def _moving_bug(kind: str):
    def update(moving_mean, moving_var, x, momentum):
        mean, var = x.mean(0), x.var(0, ddof=1 if kind == "ddof" else 0)
        if kind == "swapped":
            return momentum * mean + (1 - momentum) * moving_mean, \
                momentum * var + (1 - momentum) * moving_var
        new_var = moving_var if kind == "no var" else momentum * moving_var + (1 - momentum) * var
        return momentum * moving_mean + (1 - momentum) * mean, new_var
    return update


MOVING_MISTAKES = [
    Mistake(_moving_bug("swapped"), "momentum weighs the OLD value: moving = momentum * moving "
            "+ (1 - momentum) * batch (Keras' momentum=0.99 changes it slowly)"),
    Mistake(_moving_bug("ddof"), "the moving variance averages the batch's biased variance "
            "(ddof=0), as Keras does"),
    Mistake(_moving_bug("no var"), "update the moving variance too")]


def check_moving_statistics(update_moving) -> bool:
    """``update_moving(moving_mean (C,), moving_var (C,), x (m, C), momentum) -> (moving_mean,
    moving_var)``: moving = momentum * moving + (1 - momentum) * batch statistic."""
    cases = []
    for seed, shape, mom in ((9, (8, 3), 0.9), (10, (5, 2), 0.99), (11, (1, 4), 0.5)):
        x, _, _ = _bn_case(seed, shape)
        rng = np.random.default_rng(seed)
        cases.append(Case((rng.standard_normal(shape[1]), rng.uniform(0.5, 2, shape[1]), x, mom),
                          label=f"m={shape[0]}, momentum {mom}"))
    return check("moving statistics", update_moving, _moving, cases, MOVING_MISTAKES,
                 returns="the tuple (moving_mean, moving_var)",
                 names=("moving_mean", "moving_var"))


def _bn_inference(x, gamma, beta, moving_mean, moving_var, epsilon):
    from companion.nn.layers.batchnorm import batchnorm_inference
    return batchnorm_inference(x, gamma, beta, moving_mean, moving_var, epsilon)[0]


def _inference_bug(kind: str):
    def bn(x, gamma, beta, moving_mean, moving_var, epsilon):
        if kind == "batch":
            return _bn_forward(x, gamma, beta, epsilon)
        scale = moving_var + epsilon if kind == "no root" else np.sqrt(moving_var + epsilon)
        return gamma * (x - moving_mean) / scale + beta
    return bn


INFERENCE_MISTAKES = [
    Mistake(_inference_bug("batch"), "at inference use the MOVING mean and variance, not the "
            "batch's: a single example would otherwise always map to beta"),
    Mistake(_inference_bug("no root"), "divide by the standard deviation sqrt(moving_var + "
            "epsilon), not by the variance")]


def check_batchnorm_inference(bn_inference) -> bool:
    """``bn_inference(x (m, C), gamma, beta, moving_mean, moving_var, epsilon) -> out``:
    gamma * (x - moving_mean) / sqrt(moving_var + epsilon) + beta."""
    cases = []
    for seed, shape in ((12, (6, 4)), (13, (1, 3)), (14, (3, 2))):
        x, gamma, beta = _bn_case(seed, shape)
        rng = np.random.default_rng(seed)
        cases.append(Case((x, gamma, beta, rng.normal(3, 1, shape[1]),
                           rng.uniform(2, 6, shape[1]), 1e-3), label=f"m={shape[0]}"))
    return check("batch-norm inference", bn_inference, _bn_inference, cases,
                 INFERENCE_MISTAKES, returns="the array out, shaped like x", names=("out",))
