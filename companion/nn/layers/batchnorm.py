"""Batch normalisation (Ioffe & Szegedy 2015), as Keras' ``BatchNormalization``.

Training: normalise each feature with the *batch* mean and (biased) variance,
    x_hat = (x - mu_B) / sqrt(var_B + epsilon),   out = gamma * x_hat + beta,
and update the moving statistics  moving = momentum * moving + (1 - momentum) * batch value.
Inference: the same formula with moving_mean / moving_variance in place of mu_B / var_B, so a
single example is normalised by statistics estimated over the whole training run.

The statistics run over every axis but the last (features / channels), as Keras' ``axis=-1``.
"""

from __future__ import annotations

import numpy as np

from companion.nn.layers.base import Layer
from companion.nn.shape_checks import check_cache, check_dout, check_operand
from companion.nn.validation import (
    check_bool,
    check_finite,
    check_interval,
    check_non_negative,
    check_nonempty,
    check_positive,
)


def _checked_inputs(where: str, x, epsilon, **per_channel) -> tuple:
    """x (N, ..., C) and each per-channel array (C,), checked (shapes, dtypes: O(1));
    epsilon >= 0. Returns (x, epsilon, *per_channel values). The layer's own calls (real arrays
    of agreeing shapes) take a fast path."""
    if (type(x) is np.ndarray and x.ndim >= 2 and x.dtype.kind in "fiub"
            and type(epsilon) is float and 0 <= epsilon < np.inf
            and all(type(v) is np.ndarray and v.shape == x.shape[-1:] and v.dtype.kind in "fiub"
                    for v in per_channel.values())):
        return (x, epsilon, *per_channel.values())
    x = check_operand(x, f"{where}: x", (None, None), any_leading=True)
    c = x.shape[-1:]
    rest = [check_operand(v, f"{where}: {k}", c, why="(one per channel of x)")
            for k, v in per_channel.items()]
    return (x, check_non_negative(epsilon, f"{where}: epsilon"), *rest)


def batchnorm_forward(x, gamma, beta, epsilon: float = 1e-3):
    """Training-mode forward pass with the batch's statistics.

    Input shape: x (N, ..., C); gamma, beta: (C,). Returns (out (N, ..., C), cache) with
    cache = (x_hat (N, ..., C), inv_std (C,), gamma (C,), mean (C,), var (C,)): the batch
    mean and (biased, as Keras) variance are the last two, for the moving statistics.
    """
    x, epsilon, gamma, beta = _checked_inputs("batchnorm_forward", x, epsilon, gamma=gamma,
                                              beta=beta)
    check_nonempty(x, "batchnorm_forward: x")                 # the batch's statistics need one
    axes = tuple(range(x.ndim - 1))
    mean = x.mean(axis=axes)                                   # (C,)
    var = x.var(axis=axes)                                     # (C,) biased, as Keras
    inv_std = 1.0 / np.sqrt(var + epsilon)
    x_hat = (x - mean) * inv_std                               # (N, ..., C)
    return gamma * x_hat + beta, (x_hat, inv_std, gamma, mean, var)


def batchnorm_backward(dout, cache):
    """Backward of ``batchnorm_forward``: dout (N, ..., C).

    Returns (dx (N, ..., C), grads) with grads the tuple (dgamma (C,), dbeta (C,)).
    With m values per feature:  dx = inv_std / m * (m * dx_hat - sum(dx_hat) - x_hat *
    sum(dx_hat * x_hat)),  dx_hat = dout * gamma (the three paths through mu and var folded).
    """
    x_hat, inv_std, gamma = check_cache(cache, "batchnorm_backward: cache", (np.ndarray,) * 5,
                                        "batchnorm_forward")[:3]
    dout = check_dout(dout, x_hat.shape, "batchnorm_backward: dout")
    axes = tuple(range(dout.ndim - 1))
    m = dout.size // dout.shape[-1]
    dbeta = dout.sum(axis=axes)
    dgamma = (dout * x_hat).sum(axis=axes)
    dx_hat = dout * gamma
    dx = inv_std / m * (m * dx_hat - dx_hat.sum(axis=axes) - x_hat * (dx_hat * x_hat).sum(axis=axes))
    return dx, (dgamma, dbeta)


def batchnorm_inference(x, gamma, beta, mean, var, epsilon: float = 1e-3):
    """Inference-mode forward pass with fixed statistics mean, var (C,).

    Input shape: x (N, ..., C). Returns (out (N, ..., C), cache = (x_hat, inv_std, gamma)).
    """
    x, epsilon, gamma, beta, mean, var = _checked_inputs(
        "batchnorm_inference", x, epsilon, gamma=gamma, beta=beta, mean=mean, var=var)
    if np.any(var < 0):
        raise ValueError(f"batchnorm_inference: var must be >= 0 (a variance), got a minimum "
                         f"of {var.min()}")
    inv_std = 1.0 / np.sqrt(var + epsilon)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)


def batchnorm_inference_backward(dout, cache):
    """Backward of ``batchnorm_inference`` (the statistics are constants): dout (N, ..., C).

    Returns (dx (N, ..., C), grads) with grads the tuple (dgamma (C,), dbeta (C,)).
    """
    x_hat, inv_std, gamma = check_cache(cache, "batchnorm_inference_backward: cache",
                                        (np.ndarray,) * 3, "batchnorm_inference")
    dout = check_dout(dout, x_hat.shape, "batchnorm_inference_backward: dout")
    axes = tuple(range(dout.ndim - 1))
    return dout * gamma * inv_std, ((dout * x_hat).sum(axis=axes), dout.sum(axis=axes))


class BatchNormalization(Layer):
    """BatchNormalization(momentum=0.99, epsilon=1e-3): Keras' layer and defaults.

    Weights, in Keras order: ``gamma`` (C,) and ``beta`` (C,) (trainable, present when
    ``scale`` / ``center``, in ``params``), ``moving_mean`` (C,) and ``moving_variance`` (C,) (in ``state``:
    no gradient; updated by every training-mode forward pass).
    Input shape: (N, ..., C). Output shape: same.
    """

    def __init__(self, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, name: str | None = None, dtype="float64"):
        super().__init__(name, dtype)
        self.momentum = check_interval(momentum, "BatchNormalization: momentum", 0, 1, "[]")
        self.epsilon = check_positive(epsilon, "BatchNormalization: epsilon")
        self.center = check_bool(center, "BatchNormalization: center")
        self.scale = check_bool(scale, "BatchNormalization: scale")

    def build(self, input_shape, rng=None):
        c = input_shape[-1]
        self.params, self.state = {}, {}
        if self.scale:
            self.add_weight("gamma", np.ones(c))
        if self.center:
            self.add_weight("beta", np.zeros(c))
        self.add_weight("moving_mean", np.zeros(c), trainable=False)
        self.add_weight("moving_variance", np.ones(c), trainable=False)
        return super().build(input_shape, rng)

    def _gamma_beta(self, c):
        return (self.params.get("gamma", np.ones(c, dtype=self.dtype)),
                self.params.get("beta", np.zeros(c, dtype=self.dtype)))

    def forward(self, x, training=False):
        self._require_built()
        x = self._check_input(x)
        gamma, beta = self._gamma_beta(x.shape[-1])
        if training:                         # a NaN or empty batch would spoil the moving stats
            check_finite(check_nonempty(x, f"{self.name}: x"), f"{self.name}: x")
            out, cache = batchnorm_forward(x, gamma, beta, self.epsilon)
            mean, var = cache[3:]
            mom, p = self.momentum, self.state
            p["moving_mean"][...] = p["moving_mean"] * mom + mean * (1 - mom)
            p["moving_variance"][...] = p["moving_variance"] * mom + var * (1 - mom)
        else:
            out, cache = batchnorm_inference(x, gamma, beta, self.state["moving_mean"],
                                             self.state["moving_variance"], self.epsilon)
        self._cache = (cache, training)
        return out

    def backward(self, dout):
        cache, training = self._cached()
        dout = np.asarray(dout, dtype=self.dtype)
        dx, (dgamma, dbeta) = (batchnorm_backward if training else
                               batchnorm_inference_backward)(dout, cache)
        self.grads = {}
        if self.scale:
            self.grads["gamma"] = dgamma
        if self.center:
            self.grads["beta"] = dbeta
        return dx

    def __repr__(self):
        return f"BatchNormalization(momentum={self.momentum:g}, epsilon={self.epsilon:g})"
