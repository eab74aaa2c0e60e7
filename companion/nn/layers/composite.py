"""Composite layers: a block made of sub-layers (residual blocks, Inception modules).

A ``Block`` is a ``Layer`` whose parameters are those of its sub-layers, listed flat as
``"<sublayer>.<param>"`` in the order Keras' functional twin lists its weights, so a
``Sequential`` of blocks trains with any optimiser and copies to Keras unchanged. The
arrays in ``block.params`` *are* the sub-layers' arrays (an optimiser's in-place update or a
gradient check's perturbation reaches them).

Its Keras twin is a small functional ``keras.Model`` (built by ``keras_graph``, with ``Add`` and
``Concatenate`` where the block joins paths); a Keras model is itself a layer, so it drops into
``reference.twin``'s ``keras.Sequential`` like any other layer.
"""

from __future__ import annotations

from companion.nn.layers.base import Layer


def run(layers, x, training=False):
    """Forward through a chain of layers."""
    for layer in layers:
        x = layer.forward(x, training=training)
    return x


def run_backward(layers, dout):
    """Backward through a chain of layers (in reverse)."""
    for layer in reversed(layers):
        dout = layer.backward(dout)
    return dout


def build_chain(layers, shape, rng):
    for layer in layers:
        shape = layer.build(shape, rng)
    return shape


class Block(Layer):
    """Base of composite layers. Subclasses set ``self.sublayers`` (name -> Layer, in Keras'
    weight order) in ``build`` and implement forward/backward/keras_graph."""

    sublayers: dict

    def _collect(self):
        self.params = {f"{n}.{k}": p for n, layer in self.sublayers.items()
                       for k, p in layer.params.items()}

    def build(self, input_shape, rng=None):
        out = super().build(input_shape, rng)
        self._collect()
        return out

    def _collect_grads(self):
        self.grads = {f"{n}.{k}": g for n, layer in self.sublayers.items()
                      for k, g in layer.grads.items()}

    def set_weights(self, weights) -> None:
        weights = list(weights)
        if len(weights) != len(self.params):
            raise ValueError(f"{self.name}: expected {len(self.params)} arrays "
                             f"({', '.join(self.params)}), got {len(weights)}")
        i = 0
        for layer in self.sublayers.values():
            layer.set_weights(weights[i:i + len(layer.params)])
            i += len(layer.params)
        self._collect()

    def regularization_loss(self):
        return float(sum(layer.regularization_loss() for layer in self.sublayers.values()))

    def keras_graph(self, keras, x):
        """Apply the block's Keras layers to the symbolic tensor ``x``; return the output."""
        raise NotImplementedError

    def keras_layer(self, keras):
        """A functional ``keras.Model`` computing this block (weights not yet copied)."""
        inputs = keras.Input(shape=self.input_shape)
        return keras.Model(inputs, self.keras_graph(keras, inputs), name=self.name)
