"""A layer that only applies an activation, so something (batch norm) can sit before it, and
the pure activation pair every layer with an ``activation=`` argument calls."""

from __future__ import annotations

import numpy as np

from companion.nn import activations
from companion.nn.layers.base import Layer
from companion.nn.shape_checks import check_cache, check_dout
from companion.nn.validation import as_array


def activation_forward(z, activation: str | None):
    """a = g(z), element-wise (softmax: along the last axis).

    Input shape: (N, ...). Output: (a, cache), a of the same shape; cache = (z, a, name).
    """
    name = activations.get(activation).name
    if not (type(z) is np.ndarray and z.dtype.kind in "fiub"):
        z = as_array(z, "activation_forward: z")
    a = activations.forward(name, z)
    return a, (z, a, name)


def activation_backward(dout, cache):
    """dL/dz from dL/da = ``dout`` (N, ...). Returns (dz (N, ...), grads ()): no weights."""
    z, a, name = check_cache(cache, "activation_backward: cache", (np.ndarray, np.ndarray, str),
                             "activation_forward")
    dout = check_dout(dout, a.shape, "activation_backward: dout")
    return activations.backward(name, dout, z, a), ()


class Activation(Layer):
    """Activation("relu"): Keras' layer of that name; no weights.

    Input shape: (N, ...). Output shape: same.
    """

    def __init__(self, activation: str, name: str | None = None, dtype="float64"):
        super().__init__(name, dtype)
        self.activation = activations.get(activation).name

    def forward(self, x, training=False):
        x = self._check_input(x)
        a, self._cache = activation_forward(x, self.activation)
        return a

    def backward(self, dout):
        self.grads = {}
        dx, _ = activation_backward(np.asarray(dout, dtype=self.dtype), self._cached())
        return dx

    def backward_from_logits(self, dz):
        """When the loss supplies dL/dz (softmax/sigmoid fused with cross-entropy)."""
        self.grads = {}
        return dz

    def __repr__(self):
        return f"Activation({self.activation!r})"
