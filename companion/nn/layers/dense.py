"""The fully connected layer: a = g(x W + b), applied to the last axis."""

from __future__ import annotations

from companion.nn import activations, initializers
from companion.nn.layers.base import Layer
from companion.nn.regularizers import Regularizer


def dense_forward(x, W, b):
    """z = x W + b.

    Input shape: (N, ..., n_in); W: (n_in, n_out) (Keras layout); b: (n_out,).
    Output shape: (N, ..., n_out).
    """
    return x @ W + b


def dense_backward(dz, x, W):
    """Gradients of z = x W + b given dL/dz. Returns (dx, dW, db)."""
    dx = dz @ W.T                                              # (N, ..., n_in)
    x2 = x.reshape(-1, x.shape[-1])
    dz2 = dz.reshape(-1, dz.shape[-1])
    return dx, x2.T @ dz2, dz2.sum(axis=0)                     # (n_in, n_out), (n_out,)


class Dense(Layer):
    """Dense(units, activation=None): the Keras layer of the same name.

    Parameters: ``kernel`` (n_in, units) and ``bias`` (units,) when ``use_bias``.
    Input shape: (N, ..., n_in). Output shape: (N, ..., units).
    """

    def __init__(self, units: int, activation: str | None = None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer: Regularizer | None = None, name: str | None = None):
        super().__init__(name)
        if int(units) != units or units < 1:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.activation = activations.get(activation).name
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = kernel_regularizer

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def build(self, input_shape, rng=None):
        n_in = input_shape[-1]
        self.params = {"kernel": self.kernel_initializer((n_in, self.units), rng)}
        if self.use_bias:
            self.params["bias"] = self.bias_initializer((self.units,), rng)
        return super().build(input_shape, rng)

    def forward(self, x, training=False):
        x = self._check_input(x)
        W = self.params["kernel"]
        z = x @ W + self.params["bias"] if self.use_bias else x @ W
        a = activations.forward(self.activation, z)
        self._cache = (x, z, a)
        return a

    def backward(self, dout):
        _, z, a = self._cache
        return self.backward_from_logits(activations.backward(self.activation, dout, z, a))

    def backward_from_logits(self, dz):
        """Backward pass starting from dL/dz (used when the loss supplies dz = (p - y)/m)."""
        x = self._cache[0]
        dx, dW, db = dense_backward(dz, x, self.params["kernel"])
        self._set_kernel_grads(dW, db)
        return dx

    def __repr__(self):
        return f"Dense({self.units}, activation={self.activation!r})"
