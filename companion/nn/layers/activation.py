"""A layer that only applies an activation, so something (batch norm) can sit before it."""

from __future__ import annotations

from companion.nn import activations
from companion.nn.layers.base import Layer


class Activation(Layer):
    """Activation("relu"): Keras' layer of that name; no weights.

    Input shape: (N, ...). Output shape: same.
    """

    def __init__(self, activation: str, name: str | None = None):
        super().__init__(name)
        self.activation = activations.get(activation).name

    def forward(self, x, training=False):
        x = self._check_input(x)
        a = activations.forward(self.activation, x)
        self._cache = (x, a)
        return a

    def backward(self, dout):
        z, a = self._cache
        self.grads = {}
        return activations.backward(self.activation, dout, z, a)

    def backward_from_logits(self, dz):
        """When the loss supplies dL/dz (softmax/sigmoid fused with cross-entropy)."""
        self.grads = {}
        return dz

    def keras_layer(self, keras):
        return keras.layers.Activation(self.activation)

    def __repr__(self):
        return f"Activation({self.activation!r})"
