"""The layer protocol every layer of the package follows.

A layer owns its trainable parameters in ``self.params`` (an ordered dict, in the order Keras'
``get_weights()`` returns them, so ``set_weights`` copies straight across) and, after
``backward``, their gradients in ``self.grads`` under the same names. Weights without a
gradient (batch normalisation's moving statistics) live beside them in ``self.state``; they
travel with ``get_weights``/``set_weights`` (after the trainable ones, Keras' order) but no
optimiser sees them. The same three dicts exist on every block and model (``"<sub>.<name>"``
keys), so a model is a layer too.

    layer = Dense(4, dtype="float32")                 (float64 unless told: gradient checks)
    layer.build(input_shape, rng) -> output_shape      (input_shape without the batch axis)
    layer.forward(x, training=False) -> out           (keeps what backward needs in a cache)
    layer.backward(dout) -> dx                        (fills layer.grads)
    layer.get_weights() / layer.set_weights(weights)  (Keras order and layouts)

The pure maths sits in module-level ``name_forward(x, params..., ...) -> (out, cache)`` and
``name_backward(dout, cache) -> (dx, grads)`` functions beside each layer class (cs231n
style); the classes call them and only hold parameters and caches. A layer computes in its
``dtype`` end to end: its weights are built in it and its input is cast to it (as Keras'
layers cast their inputs to their compute dtype), so a float32 layer never silently upcasts.
"""

from __future__ import annotations

import numpy as np

from companion.nn.validation import as_array

FLOAT_DTYPES = ("float32", "float64")


def float_dtype(dtype, owner: str = "layer") -> np.dtype:
    """``"float32"`` or ``"float64"`` (or the numpy types) as a ``numpy.dtype``."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.name not in FLOAT_DTYPES:
        raise ValueError(f"{owner}: dtype must be one of {FLOAT_DTYPES}, got {dtype!r}")
    return dt


class Layer:
    """Base class. Subclasses create their weights in ``build`` with ``add_weight`` and
    implement forward/backward.

    ``params``: trainable weights by name; ``grads``: their gradients after ``backward``;
    ``state``: weights without a gradient (moving statistics), by name.
    """

    def __init__(self, name: str | None = None, dtype="float64"):
        self._setup(name, dtype)
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.state: dict[str, np.ndarray] = {}

    def _setup(self, name: str | None, dtype) -> None:
        self.name = name or type(self).__name__.lower()
        self.dtype = float_dtype(dtype, type(self).__name__)
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

    def _set_dtype(self, dtype) -> None:
        """Change the dtype before ``build`` (a model passes its own ``dtype=`` down)."""
        if self.built:
            raise RuntimeError(f"{self.name}: set the dtype before build, not after")
        self.dtype = float_dtype(dtype, type(self).__name__)

    def add_weight(self, name: str, value, trainable: bool = True) -> np.ndarray:
        """Store ``value`` as the weight ``name``, in the layer's dtype: in ``params`` when
        ``trainable``, else in ``state``."""
        store = self.params if trainable else self.state
        store[name] = np.asarray(value, dtype=self.dtype)
        return store[name]

    # -- computation --------------------------------------------------------------------
    def forward(self, x, training: bool = False):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError

    def __call__(self, x, training: bool = False):
        return self.forward(x, training=training)

    # -- weights ------------------------------------------------------------------------
    def weights(self) -> dict[str, np.ndarray]:
        """Every weight by name in Keras' ``get_weights()`` order: ``params`` then ``state``."""
        return {**self.params, **self.state}

    def get_weights(self) -> list[np.ndarray]:
        return [w.copy() for w in self.weights().values()]

    def set_weights(self, weights) -> None:
        """Copy ``weights`` (Keras order) into the layer's own arrays, in place (an optimiser
        holding them sees the new values), after checking count, shapes and values."""
        weights = list(weights)
        if not self.built:
            raise RuntimeError(f"{self.name}: set_weights before build: build(input_shape, "
                               "rng) the layer (or its model) first")
        mine = self.weights()
        if len(weights) != len(mine):
            raise ValueError(f"{self.name}: set_weights expected {len(mine)} arrays "
                             f"({', '.join(mine)}), got {len(weights)}")
        checked = [self._checked_weight(key, old, new)
                   for (key, old), new in zip(mine.items(), weights)]
        for old, new in zip(mine.values(), checked):
            old[...] = new

    def _checked_weight(self, key: str, old: np.ndarray, new) -> np.ndarray:
        new = as_array(new, f"{self.name}.set_weights: weight '{key}'")
        if new.shape != old.shape:
            raise ValueError(f"{self.name}.set_weights: weight '{key}' has shape {new.shape}, "
                             f"expected {old.shape}")
        if not np.all(np.isfinite(new)):
            raise ValueError(f"{self.name}.set_weights: weight '{key}' contains "
                             f"{int(np.sum(~np.isfinite(new)))} NaN or infinite value(s); "
                             "expected finite numbers")
        return new.astype(old.dtype, copy=True)

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
        """Every weight's size, moving statistics included (as Keras' ``count_params``)."""
        return int(sum(p.size for p in self.weights().values()))

    # -- checks ---------------------------------------------------------------------------
    def _require_built(self) -> None:
        if not self.built:
            raise RuntimeError(f"{self.name}: the layer has no weights yet: call "
                               f"{self.name}.build(input_shape, rng) first, or put it in a "
                               "Sequential with input_shape=")

    def _cached(self):
        """What the last ``forward`` kept for ``backward`` (a clear error if there was none)."""
        if self._cache is None:
            raise RuntimeError(f"{self.name}: backward needs the cache of a forward pass: call "
                               f"{self.name}.forward(x) first")
        return self._cache

    def _check_input(self, x, name: str = "x"):
        """``x`` as an array of the layer's dtype, its shape checked against the build shape."""
        x = as_array(x, f"{self.name}: {name}")
        want = self.input_shape
        if want is not None and (x.ndim != len(want) + 1 or any(
                w is not None and w != s for w, s in zip(want, x.shape[1:]))):
            raise ValueError(f"{self.name}: {name} has shape {x.shape}, expected "
                             f"(N, {', '.join('T' if w is None else str(w) for w in want)})")
        return x.astype(self.dtype, copy=False)

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"
