"""The fully connected layer: a = g(x W + b), applied to the last axis."""

from __future__ import annotations

import numpy as np

from companion.nn.layers.activation import activation_backward, activation_forward
from companion.nn.layers.base import Layer
from companion.nn.regularizers import Regularizer
from companion.nn.shape_checks import check_cache, check_dout, check_operand
from companion.nn.validation import check_int


def dense_forward(x, W, b=None):
    """z = x W + b (no bias term when ``b`` is None).

    Input shape: x (N, ..., n_in); W (n_in, n_out) (Keras layout); b (n_out,).
    Returns (z (N, ..., n_out), cache = (x, W)).
    """
    x, W, b = _checked(x, W, b)
    z = x @ W if b is None else x @ W + b
    return z, (x, W)


def _checked(x, W, b):
    """x (N, ..., n_in), W (n_in, n_out), b (n_out,) or None, real arrays; O(1), with a fast
    path for the common case (a decoder calls its readout once per step)."""
    if (type(x) is np.ndarray and type(W) is np.ndarray and x.ndim >= 2 and W.ndim == 2
            and x.shape[-1] == W.shape[0] and x.dtype.kind in "fiub" and W.dtype.kind in "fiub"
            and (b is None or (type(b) is np.ndarray and b.shape == W.shape[1:]
                               and b.dtype.kind in "fiub"))):
        return x, W, b
    x = check_operand(x, "dense_forward: x", (None, None), any_leading=True)
    W = check_operand(W, "dense_forward: W", (x.shape[-1], None), why="(one row per feature of x)")
    if b is not None:
        b = check_operand(b, "dense_forward: b", W.shape[1:], why="(one per column of W)")
    return x, W, b


def dense_backward(dz, cache):
    """Gradients of z = x W + b given dL/dz (N, ..., n_out) and the forward cache.

    Returns (dx (N, ..., n_in), grads) with grads the tuple (dW (n_in, n_out), db (n_out,)).
    """
    x, W = check_cache(cache, "dense_backward: cache", (np.ndarray, np.ndarray), "dense_forward")
    dz = check_dout(dz, x.shape[:-1] + W.shape[1:], "dense_backward: dz (dout)")
    dx = dz @ W.T                                              # (N, ..., n_in)
    x2 = x.reshape(-1, x.shape[-1])
    dz2 = dz.reshape(-1, dz.shape[-1])
    return dx, (x2.T @ dz2, dz2.sum(axis=0))                   # (n_in, n_out), (n_out,)


class Dense(Layer):
    """Dense(units, activation=None): the Keras layer of the same name.

    Parameters: ``kernel`` (n_in, units) and ``bias`` (units,) when ``use_bias``.
    Input shape: (N, ..., n_in). Output shape: (N, ..., units).
    """

    def __init__(self, units: int, activation: str | None = None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer: Regularizer | None = None, name: str | None = None,
                 dtype="float64"):
        super().__init__(name, dtype)
        self.units = check_int(units, "Dense: units")
        self._kernel_options(activation, use_bias, kernel_initializer, bias_initializer,
                             kernel_regularizer)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def build(self, input_shape, rng=None):
        n_in = input_shape[-1]
        self.params = {}
        self.add_weight("kernel", self.kernel_initializer((n_in, self.units), rng))
        if self.use_bias:
            self.add_weight("bias", self.bias_initializer((self.units,), rng))
        return super().build(input_shape, rng)

    def forward(self, x, training=False):
        self._require_built()
        x = self._check_input(x)
        z, cache = dense_forward(x, self.params["kernel"], self.params.get("bias"))
        a, act_cache = activation_forward(z, self.activation)
        self._cache = (cache, act_cache, a)
        return a

    def backward(self, dout):
        dz, _ = activation_backward(np.asarray(dout, dtype=self.dtype), self._cached()[1])
        return self.backward_from_logits(dz)

    def backward_from_logits(self, dz):
        """Backward pass starting from dL/dz (used when the loss supplies dz = (p - y)/m)."""
        dx, (dW, db) = dense_backward(np.asarray(dz, dtype=self.dtype), self._cached()[0])
        self._set_kernel_grads(dW, db)
        return dx

    def __repr__(self):
        return f"Dense({self.units}, activation={self.activation!r})"
