"""Layer normalisation (Ba et al. 2016), Keras' ``LayerNormalization`` over the last axis.

    mu, var = mean and variance of x over its last axis (each position's own features)
    out     = (x - mu) / sqrt(var + epsilon) * gamma + beta          epsilon 1e-3, as Keras

Backward, with xhat = (x - mu) / sqrt(var + epsilon) and g = dout * gamma (D features):

    dx     = (g - mean(g) - xhat * mean(g * xhat)) / sqrt(var + epsilon)
    dgamma = sum over every axis but the last of dout * xhat,   dbeta = sum of dout
"""

from __future__ import annotations

import numpy as np

from companion.nn.layers.base import Layer
from companion.nn.shape_checks import check_cache, check_dout, check_operand
from companion.nn.validation import as_array, check_finite, check_non_negative, check_positive


def layer_norm_forward(x, gamma, beta, epsilon: float = 1e-3):
    """(x - mean) / sqrt(var + epsilon) * gamma + beta over the last axis.

    x (..., D), gamma (D,), beta (D,). Returns (out (..., D), cache).
    """
    x = check_operand(x, "layer_norm_forward: x", (None,), any_leading=True)
    gamma = check_operand(gamma, "layer_norm_forward: gamma", x.shape[-1:], why="(x's features)")
    beta = check_operand(beta, "layer_norm_forward: beta", x.shape[-1:], why="(x's features)")
    epsilon = check_non_negative(epsilon, "layer_norm_forward: epsilon")
    mu = x.mean(axis=-1, keepdims=True)
    inv = 1.0 / np.sqrt(x.var(axis=-1, keepdims=True) + epsilon)
    xhat = (x - mu) * inv
    return xhat * gamma + beta, (xhat, inv, gamma)


def layer_norm_backward(dout, cache):
    """dout (..., D) -> (dx (..., D), (dgamma (D,), dbeta (D,)))."""
    xhat, inv, gamma = check_cache(cache, "layer_norm_backward: cache", (np.ndarray,) * 3,
                                   "layer_norm_forward")
    dout = check_dout(dout, xhat.shape, "layer_norm_backward: dout")
    axes = tuple(range(dout.ndim - 1))
    dxhat = dout * gamma
    dx = inv * (dxhat - dxhat.mean(-1, keepdims=True)
                - xhat * (dxhat * xhat).mean(-1, keepdims=True))
    return dx, (np.sum(dout * xhat, axis=axes), dout.sum(axis=axes))


class LayerNormalization(Layer):
    """LayerNormalization(epsilon=1e-3): Keras' layer over the last axis; ``gamma``, ``beta``.

    Input and output (N, ..., D); the statistics are each position's own, the same in training
    and at test time.
    """

    def __init__(self, epsilon: float = 1e-3, name: str | None = None, dtype="float64"):
        super().__init__(name, dtype)
        self.epsilon = check_positive(epsilon, "LayerNormalization: epsilon")

    def build(self, input_shape, rng=None):
        d = int(input_shape[-1])
        self.add_weight("gamma", np.ones(d))
        self.add_weight("beta", np.zeros(d))
        return super().build(input_shape, rng)

    def forward(self, x, training=False):
        self._require_built()
        x = as_array(x, f"{self.name}: x").astype(self.dtype, copy=False)
        if x.ndim < 2 or x.shape[-1] != self.params["gamma"].shape[0]:
            raise ValueError(f"{self.name}: x has shape {x.shape}, expected (N, ..., "
                             f"{self.params['gamma'].shape[0]})")
        if x.size == 0:
            raise ValueError(f"{self.name}: x is empty (shape {x.shape}); expected at least one "
                             "example")
        check_finite(x, f"{self.name}: x")
        out, self._cache = layer_norm_forward(x, self.params["gamma"], self.params["beta"],
                                              self.epsilon)
        return out

    def backward(self, dout):
        dx, (dg, db) = layer_norm_backward(as_array(dout, f"{self.name}: dout"), self._cached())
        self.grads = {"gamma": dg, "beta": db}
        return dx
