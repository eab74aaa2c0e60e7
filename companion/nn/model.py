"""Sequential: a stack of layers with one forward and one backward pass through all of them."""

from __future__ import annotations

import numpy as np

from companion.nn import losses as losses_mod
from companion.nn.layers.base import Layer
from companion.nn.layers.composite import Block
from companion.nn.validation import (
    as_array,
    check_exclusive,
    check_finite,
    check_int,
    check_nonempty,
    check_pair,
    rng_from,
)


class Sequential(Block):
    """A stack of layers, built for a given input shape (without the batch axis).

    >>> import numpy as np
    >>> from companion.nn import Dense
    >>> X, y = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([[1.0], [0.0]])
    >>> model = Sequential([Dense(4, "tanh"), Dense(1, "sigmoid")], input_shape=(2,), seed=0)
    >>> loss = model.loss_and_grads(X, y, "binary_crossentropy")   # fills model.grads
    >>> sorted(model.grads) == sorted(model.params) == ["dense.bias", "dense.kernel",
    ...                                                 "dense_1.bias", "dense_1.kernel"]
    True

    A model is a layer too: a ``Sequential`` can sit inside another one (or be a branch of a
    block), as Keras models nest; ``build``, ``forward``, ``backward``, ``get_weights`` and
    ``set_weights`` work the same at every depth. ``params`` and ``grads`` are dicts of the
    trainable arrays by ``"<layer>.<name>"`` (the training protocol of ``companion.nn.train``),
    in Keras' ``get_weights()`` order, so an optimiser walks them in lockstep and
    ``set_weights`` copies to a Keras twin unchanged; ``state`` holds the moving statistics.
    ``dtype="float32"`` sets every layer's dtype (otherwise each keeps its own, float64 by
    default).
    Input shape: (N, *input_shape). Output shape: (N, *output_shape) of the last layer.
    """

    def __init__(self, layers: list[Layer], input_shape: tuple | None = None,
                 seed: int | None = None, rng: np.random.Generator | None = None,
                 name: str | None = None, dtype=None):
        if isinstance(layers, (Layer, str)) or not layers:
            raise ValueError("Sequential needs a non-empty list of layers, got "
                             f"{layers!r}")
        check_exclusive(seed=seed, rng=rng)
        seen: dict[int, int] = {}
        for i, layer in enumerate(layers):
            if id(layer) in seen:
                raise ValueError(f"layer {i} is the same object as layer {seen[id(layer)]} "
                                 f"({layer!r}): a layer keeps one cache and one set of "
                                 "gradients, so using it twice gives wrong gradients; create "
                                 "a second layer")
            seen[id(layer)] = i
            if not isinstance(layer, Layer):
                raise TypeError(f"layers: layer {i} is a {type(layer).__name__}, not a companion "
                                "Layer")
        self._setup(name, dtype if dtype is not None else layers[0].dtype)
        self.layers = list(layers)
        self._name_layers()
        self.sublayers = {layer.name: layer for layer in self.layers}
        if dtype is not None:
            self._set_dtype(dtype)
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

    def build(self, input_shape, rng) -> tuple:
        """Build every layer in turn (one ``rng`` for all); return the output shape."""
        rng = rng_from(rng)
        shape = tuple(input_shape) if np.iterable(input_shape) else (int(input_shape),)
        self.input_shape = shape
        for layer in self.layers:
            shape = layer.build(shape, rng)
        self.output_shape = shape
        self.built = True
        return shape

    # -- passes -----------------------------------------------------------------------
    def forward(self, x, training: bool = False):
        if not self.built:
            raise RuntimeError(f"{self.name}: call build(input_shape, seed) (or pass "
                               "input_shape=) first")
        out = as_array(x, "x")
        for layer in self.layers:
            out = layer.forward(out, training=training)
        return out

    def predict(self, x, batch_size: int = 4096):
        """The forward pass in inference mode, ``batch_size`` examples at a time."""
        batch_size = check_int(batch_size, "batch_size")
        x = check_finite(check_nonempty(as_array(x, "x"), "x"), "x")
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

    def backward_from_logits(self, dz):
        """Backward from dL/dz of the last layer (when the loss fuses with its activation)."""
        return self.backward(dz, from_logits=True)

    @property
    def activation(self) -> str | None:
        """The last layer's activation (what a loss may fuse with)."""
        return getattr(self.layers[-1], "activation", None)

    def loss_and_grads(self, x, y, loss, training: bool = True) -> float:
        """Forward, loss (plus penalties), backward. Returns the loss; gradients in ``grads()``.

        When the last layer's activation is the one the loss pairs with (sigmoid with binary
        cross-entropy, softmax with categorical), the backward pass starts from dz = (p - y)/m.
        """
        loss = losses_mod.get(loss)
        out = self.forward(x, training=training)
        value, dout = check_pair(loss(y, out), f"the loss {type(loss).__name__}(y_true, y_pred) "
                                 "-> (loss, dloss/dy_pred)")
        last = self.layers[-1]
        fused = loss.fused_activation is not None and \
            getattr(last, "activation", None) == loss.fused_activation and \
            hasattr(last, "backward_from_logits")
        if fused:
            self.backward(loss.dlogits(y, out), from_logits=True)
        else:
            self.backward(dout)
        return value + self.regularization_loss()

    def summary(self) -> str:
        rows = [f"{'layer':28} {'output shape':>18} {'params':>8}"]
        for layer in self.layers:
            rows.append(f"{repr(layer)[:28]:28} {(None,) + tuple(layer.output_shape)!s:>18} "
                        f"{layer.count_params():>8}")
        rows.append(f"{'total':28} {'':>18} {self.count_params():>8}")
        return "\n".join(rows)

    def __repr__(self):
        return "Sequential([" + ", ".join(map(repr, self.layers)) + "])"
