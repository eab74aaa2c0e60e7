"""Sequential: a stack of layers with one forward and one backward pass through all of them."""

from __future__ import annotations

import numpy as np

from companion.nn import losses as losses_mod
from companion.nn.layers.base import Layer
from companion.nn.validation import as_array, rng_from


class Sequential:
    """A stack of layers, built for a given input shape (without the batch axis).

    >>> model = Sequential([Dense(4, "tanh"), Dense(1, "sigmoid")], input_shape=(2,), seed=0)
    >>> loss = model.loss_and_grads(X, y, "binary_crossentropy")   # fills every layer.grads

    ``params()`` and ``grads()`` list the arrays in Keras' ``get_weights()`` order, so an
    optimiser can walk them in lockstep and ``set_weights`` copies to a Keras twin unchanged.
    """

    def __init__(self, layers: list[Layer], input_shape: tuple | None = None,
                 seed: int | None = None, rng: np.random.Generator | None = None):
        if not layers:
            raise ValueError("Sequential needs at least one layer")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layer {i} is a {type(layer).__name__}, not a companion Layer")
        self.layers = list(layers)
        self._name_layers()
        self.input_shape = None
        if input_shape is not None:
            self.build(input_shape, rng if rng is not None else seed)

    def _name_layers(self):
        seen: dict[str, int] = {}
        for layer in self.layers:
            base = layer.name
            if base in seen:
                seen[base] += 1
                layer.name = f"{base}_{seen[base]}"
            else:
                seen[base] = 0

    def build(self, input_shape, rng) -> "Sequential":
        rng = rng_from(rng)
        shape = tuple(input_shape) if np.iterable(input_shape) else (int(input_shape),)
        self.input_shape = shape
        for layer in self.layers:
            shape = layer.build(shape, rng)
        self.output_shape = shape
        return self

    # -- passes -----------------------------------------------------------------------
    def forward(self, x, training: bool = False):
        if self.input_shape is None:
            raise RuntimeError("call model.build(input_shape, seed) (or pass input_shape=) first")
        out = as_array(x, "x")
        for layer in self.layers:
            out = layer.forward(out, training=training)
        return out

    __call__ = forward

    def predict(self, x, batch_size: int = 4096):
        x = as_array(x, "x")
        return np.concatenate([self.forward(x[i:i + batch_size]) for i in
                               range(0, len(x), batch_size)] or [self.forward(x[:0])])

    def backward(self, dout, from_logits: bool = False):
        """Backpropagate dL/d(output) (or dL/dz of the last layer when ``from_logits``)."""
        layers = self.layers
        if from_logits:
            dout = layers[-1].backward_from_logits(dout)
            layers = layers[:-1]
        for layer in reversed(layers):
            dout = layer.backward(dout)
        return dout

    def regularization_loss(self) -> float:
        return float(sum(layer.regularization_loss() for layer in self.layers))

    def loss_and_grads(self, x, y, loss, training: bool = True) -> float:
        """Forward, loss (plus penalties), backward. Returns the loss; gradients in ``grads()``.

        When the last layer's activation is the one the loss pairs with (sigmoid with binary
        cross-entropy, softmax with categorical), the backward pass starts from dz = (p - y)/m.
        """
        loss = losses_mod.get(loss)
        out = self.forward(x, training=training)
        value, dout = loss(y, out)
        last = self.layers[-1]
        fused = loss.fused_activation is not None and \
            getattr(last, "activation", None) == loss.fused_activation and \
            hasattr(last, "backward_from_logits")
        if fused:
            self.backward(loss.dlogits(y, out), from_logits=True)
        else:
            self.backward(dout)
        return value + self.regularization_loss()

    # -- parameters --------------------------------------------------------------------
    def params(self) -> list[np.ndarray]:
        """Trainable parameters (layers' ``non_trainable`` weights, e.g. moving statistics,
        are left out: they have no gradient; ``get_weights`` still includes them)."""
        return [p for layer in self.layers for p in layer.trainable_params().values()]

    def grads(self) -> list[np.ndarray]:
        return [layer.grads[k] for layer in self.layers for k in layer.trainable_params()]

    def named_params(self) -> list[tuple[str, np.ndarray]]:
        return [(f"{layer.name}.{k}", p) for layer in self.layers
                for k, p in layer.trainable_params().items()]

    def get_weights(self) -> list[np.ndarray]:
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights) -> None:
        weights = list(weights)
        expected = sum(len(layer.params) for layer in self.layers)
        if len(weights) != expected:
            raise ValueError(f"set_weights: expected {expected} arrays, got {len(weights)}")
        i = 0
        for layer in self.layers:
            n = len(layer.params)
            layer.set_weights(weights[i:i + n])
            i += n

    def count_params(self) -> int:
        return sum(layer.count_params() for layer in self.layers)

    def summary(self) -> str:
        rows = [f"{'layer':28} {'output shape':>18} {'params':>8}"]
        for layer in self.layers:
            rows.append(f"{repr(layer)[:28]:28} {str((None,) + tuple(layer.output_shape)):>18} "
                        f"{layer.count_params():>8}")
        rows.append(f"{'total':28} {'':>18} {self.count_params():>8}")
        return "\n".join(rows)

    def __repr__(self):
        return "Sequential([" + ", ".join(map(repr, self.layers)) + "])"
