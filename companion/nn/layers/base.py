"""The layer protocol every layer of the package follows.

A layer owns its parameters in ``self.params`` (an ordered dict, in the order Keras'
``get_weights()`` returns them, so ``set_weights`` copies straight across) and, after
``backward``, their gradients in ``self.grads`` under the same names.

    layer.build(input_shape, rng) -> output_shape      (input_shape without the batch axis)
    layer.forward(x, training=False) -> out           (keeps what backward needs in a cache)
    layer.backward(dout) -> dx                        (fills layer.grads)

The pure maths sits in module-level ``*_forward`` / ``*_backward`` functions beside each
layer class (cs231n style); the classes only hold parameters and caches.
"""

from __future__ import annotations

import numpy as np

from companion.nn.validation import as_array


class Layer:
    """Base class. Subclasses set ``self.params`` in ``build`` and implement forward/backward.

    ``non_trainable`` names entries of ``params`` that are weights but get no gradient (batch
    norm's moving statistics): they travel with ``get_weights``/``set_weights`` (Keras order)
    but ``trainable_params()``, ``Sequential.params()``/``grads()`` and optimisers skip them.
    """
    non_trainable: tuple[str, ...] = ()

    def __init__(self, name: str | None = None):
        self.name = name or type(self).__name__.lower()
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.input_shape: tuple | None = None
        self.output_shape: tuple | None = None
        self.built = False
        self._cache = None

    # -- construction -------------------------------------------------------------------
    def build(self, input_shape: tuple, rng=None) -> tuple:
        """Create parameters for inputs of shape ``(N, *input_shape)``; return the output shape."""
        self.input_shape = tuple(input_shape)
        self.output_shape = self.compute_output_shape(self.input_shape)
        self.built = True
        return self.output_shape

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    # -- computation --------------------------------------------------------------------
    def forward(self, x, training: bool = False):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError

    def __call__(self, x, training: bool = False):
        return self.forward(x, training=training)

    # -- weights ------------------------------------------------------------------------
    def trainable_params(self) -> dict[str, np.ndarray]:
        """The entries of ``params`` that have gradients (all of them unless ``non_trainable``)."""
        return {k: p for k, p in self.params.items() if k not in self.non_trainable}

    def get_weights(self) -> list[np.ndarray]:
        return [w.copy() for w in self.params.values()]

    def set_weights(self, weights) -> None:
        weights = list(weights)
        if len(weights) != len(self.params):
            raise ValueError(f"{self.name}: expected {len(self.params)} arrays "
                             f"({', '.join(self.params)}), got {len(weights)}")
        for (key, old), new in zip(self.params.items(), weights):
            new = np.asarray(new)
            if new.shape != old.shape:
                raise ValueError(f"{self.name}.{key}: expected shape {old.shape}, got {new.shape}")
            self.params[key] = new.astype(old.dtype, copy=True)

    def regularization_loss(self) -> float:
        """Penalty this layer adds to the loss (0 unless it has a ``kernel_regularizer``)."""
        reg = getattr(self, "kernel_regularizer", None)
        return 0.0 if reg is None else reg(self.params["kernel"])

    def _set_kernel_grads(self, dW, db) -> None:
        """Store kernel/bias gradients, adding the kernel regulariser's gradient if any."""
        reg = getattr(self, "kernel_regularizer", None)
        if reg is not None:
            dW = dW + reg.gradient(self.params["kernel"])
        self.grads = {"kernel": dW}
        if getattr(self, "use_bias", False):
            self.grads["bias"] = db

    def count_params(self) -> int:
        return int(sum(p.size for p in self.params.values()))

    def _check_input(self, x, name: str = "x"):
        x = as_array(x, f"{self.name}: {name}")
        want = self.input_shape
        if want is not None and (x.ndim != len(want) + 1 or any(
                w is not None and w != s for w, s in zip(want, x.shape[1:]))):
            raise ValueError(f"{self.name}: {name} has shape {x.shape}, expected "
                             f"(N, {', '.join('T' if w is None else str(w) for w in want)})")
        return x

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"
