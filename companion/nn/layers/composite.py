"""Composite layers: a layer made of sub-layers (Sequential, residual blocks, Inception).

A ``Block`` keeps its sub-layers in ``self.sublayers`` (name -> Layer) in the order Keras'
twin lists their weights, so ``get_weights``/``set_weights`` copy to Keras unchanged, and it
names their parameters ``"<sublayer>.<param>"``. Sub-layers may themselves be blocks (a
``Sequential`` inside a ``Sequential``, an Inception branch), to any depth: the weights,
gradients and penalties are collected recursively, and the arrays are the sub-layers' own
(an optimiser's in-place update or a gradient check's perturbation reaches them).

Its Keras twin (built in ``companion.keras_twin``'s registry) is a small functional
``keras.Model`` with ``Add`` and ``Concatenate`` where the block joins paths; a Keras model is
itself a layer, so it drops into a ``keras.Sequential`` like any other layer.
"""

from __future__ import annotations

import numpy as np

from companion.nn.layers.base import Layer
from companion.nn.shape_checks import check_weight_list


class Block(Layer):
    """Base of composite layers. Subclasses set ``self.sublayers`` (name -> Layer, in Keras'
    weight order) in ``__init__`` or ``build`` and implement forward/backward.

    ``params``, ``grads`` and ``state`` are views computed from the sub-layers on each access:
    the arrays are the sub-layers' own, under ``"<sublayer>.<name>"`` keys."""

    sublayers: dict

    def _setup(self, name, dtype) -> None:
        super()._setup(name, dtype)
        self.sublayers = getattr(self, "sublayers", {})

    def _gather(self, attr: str) -> dict[str, np.ndarray]:
        return {f"{n}.{k}": p for n, layer in self.sublayers.items()
                for k, p in getattr(layer, attr).items()}

    params = property(lambda self: self._gather("params"), lambda self, v: _read_only(self, v),
                      doc="The sub-layers' trainable arrays by ``<sublayer>.<name>``.")
    grads = property(lambda self: self._gather("grads"), lambda self, v: _read_only(self, v),
                     doc="Their gradients after ``backward``, same names.")
    state = property(lambda self: self._gather("state"), lambda self, v: _read_only(self, v),
                     doc="The sub-layers' weights without a gradient (moving statistics).")

    def get_weights(self) -> list[np.ndarray]:
        return [w for layer in self.sublayers.values() for w in layer.get_weights()]

    def weights(self) -> dict[str, np.ndarray]:
        """Every weight by name, in ``get_weights()`` order (each sub-layer's in turn)."""
        return {f"{n}.{k}": p for n, layer in self.sublayers.items()
                for k, p in layer.weights().items()}

    def set_weights(self, weights) -> None:
        """Split ``weights`` (Keras order) among the sub-layers; each checks its own."""
        weights = check_weight_list(weights, f"{self.name}.set_weights: weights")
        counts = [len(layer.weights()) for layer in self.sublayers.values()]
        if len(weights) != sum(counts):
            names = ", ".join(self.weights())
            raise ValueError(f"{self.name}: set_weights expected {sum(counts)} arrays "
                             f"({names}), got {len(weights)}")
        i = 0
        for layer, n in zip(self.sublayers.values(), counts):
            layer.set_weights(weights[i:i + n])
            i += n

    def regularization_loss(self) -> float:
        return float(sum(layer.regularization_loss() for layer in self.sublayers.values()))

    def count_params(self) -> int:
        return int(sum(layer.count_params() for layer in self.sublayers.values()))

    def _set_dtype(self, dtype) -> None:
        super()._set_dtype(dtype)
        for layer in getattr(self, "sublayers", {}).values():
            layer._set_dtype(dtype)


def _read_only(block: Block, value) -> None:
    """``Layer.__init__`` assigns empty dicts; anything else would not reach the sub-layers."""
    if value:
        raise AttributeError(f"{type(block).__name__}: params, grads and state are the "
                             "sub-layers' own arrays; change them with set_weights")


def leaves(layer: Layer):
    """The layers inside ``layer`` (itself when it is not a block), depth first."""
    if not isinstance(layer, Layer):
        raise TypeError(f"leaves: layer: expected a Layer (a layer, block or model), got "
                        f"{type(layer).__name__} {layer!r:.40}")
    return _leaves(layer)


def _leaves(layer: Layer):
    if isinstance(layer, Block):
        for sub in layer.sublayers.values():
            yield from _leaves(sub)
    else:
        yield layer
