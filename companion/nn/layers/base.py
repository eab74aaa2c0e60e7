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

Every subclass's ``build``, ``forward``, ``backward`` and ``backward_from_logits`` are checked
once, here (``Layer.__init_subclass__`` wraps them): ``build`` refuses an ``input_shape`` that
is not a tuple of positive sizes (None for any length); ``forward`` refuses a ``training``
that is not True or False (``training="no"`` would be truthy) and records the shape of what
it returned; ``backward`` refuses a ``dout`` of any other shape (a wrong batch or feature size would
broadcast into gradients of the wrong meaning). Only the outermost call of a layer checks, so
a subclass calling ``super().forward`` is not checked twice.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from companion.nn import activations, initializers
from companion.nn.regularizers import Regularizer
from companion.nn.shape_checks import check_dout, check_weight_list
from companion.nn.validation import as_array, check_bool

FLOAT_DTYPES = ("float32", "float64")


def float_dtype(dtype, owner: str = "layer") -> np.dtype:
    """``"float32"`` or ``"float64"`` (or the numpy types) as a ``numpy.dtype``."""
    try:
        dt = np.dtype(dtype)
    except (TypeError, ValueError, SyntaxError):
        dt = None
    if dt is None or dt.name not in FLOAT_DTYPES:
        raise ValueError(f"{owner}: dtype must be one of {FLOAT_DTYPES}, got {dtype!r}")
    return dt


def _output_shapes(out):
    """The shape of a forward's output (a tuple), or a list of them for a list of outputs."""
    if isinstance(out, np.ndarray):
        return out.shape
    if isinstance(out, (list, tuple)) and all(isinstance(o, np.ndarray) for o in out):
        return [o.shape for o in out]
    return None


def _checked_forward(forward):
    names = list(inspect.signature(forward).parameters)
    index = names.index("training") if "training" in names else None   # counts self

    @functools.wraps(forward)
    def checked(self, *args, **kwargs):
        if getattr(self, "_checking_forward", False):                    # a super() call
            return forward(self, *args, **kwargs)
        if "training" in kwargs:
            check_bool(kwargs["training"], f"{self.name}: training")
        elif index is not None and len(args) >= index:
            check_bool(args[index - 1], f"{self.name}: training")
        self._checking_forward = True
        try:
            out = forward(self, *args, **kwargs)
        finally:
            self._checking_forward = False
        self._output_shape_seen = _output_shapes(out)
        return out
    checked._checked = True
    return checked


def _checked_backward(backward):
    @functools.wraps(backward)
    def checked(self, dout, *args, **kwargs):
        if getattr(self, "_checking_backward", False):                   # a super() call
            return backward(self, dout, *args, **kwargs)
        dout = self._check_dout(dout, backward.__name__)
        self._checking_backward = True
        try:
            return backward(self, dout, *args, **kwargs)
        finally:
            self._checking_backward = False
    checked._checked = True
    return checked


def _is_shape(shape) -> bool:
    """A tuple (or list) of positive sizes, None standing for any size."""
    return isinstance(shape, (tuple, list)) and all(
        d is None or (isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d > 0)
        for d in shape)


def _checked_build(build):
    @functools.wraps(build)
    def checked(self, input_shape, *args, **kwargs):
        if isinstance(input_shape, (int, np.integer)) and not isinstance(input_shape, bool):
            input_shape = (int(input_shape),)                 # a bare size, as NumPy allows
        ok = _is_shape(input_shape) or (isinstance(input_shape, (tuple, list)) and all(
            _is_shape(s) for s in input_shape) and len(input_shape) > 0)   # several inputs
        if not ok:
            raise ValueError(f"{self.name}.build: input_shape must be a tuple of positive "
                             "integers (None for any length), without the batch axis, got "
                             f"{input_shape!r}")
        return build(self, input_shape, *args, **kwargs)
    checked._checked = True
    return checked


class Layer:
    """Base class. Subclasses create their weights in ``build`` with ``add_weight`` and
    implement forward/backward.

    ``params``: trainable weights by name; ``grads``: their gradients after ``backward``;
    ``state``: weights without a gradient (moving statistics), by name.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for method, wrap in (("build", _checked_build), ("forward", _checked_forward),
                             ("backward", _checked_backward),
                             ("backward_from_logits", _checked_backward)):
            fn = cls.__dict__.get(method)
            if fn is not None and not getattr(fn, "_checked", False):
                setattr(cls, method, wrap(fn))

    def __init__(self, name: str | None = None, dtype="float64"):
        self._setup(name, dtype)
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.state: dict[str, np.ndarray] = {}

    def _setup(self, name: str | None, dtype) -> None:
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: name must be a string or None, got "
                            f"{type(name).__name__} {name!r:.40}")
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
        raise NotImplementedError(f"{type(self).__name__}: a Layer subclass must implement "
                                  "forward(x, training=False)")

    def backward(self, dout):
        raise NotImplementedError(f"{type(self).__name__}: a Layer subclass must implement "
                                  "backward(dout) (the layer cannot be trained without it)")

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
        weights = check_weight_list(weights, f"{self.name}.set_weights: weights")
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

    def _kernel_options(self, activation, use_bias, kernel_initializer, bias_initializer,
                        kernel_regularizer) -> None:
        """The options every kernel layer (Dense, Conv2D) shares, checked, Keras' names."""
        owner = type(self).__name__
        self.activation = activations.get(activation).name
        self.use_bias = check_bool(use_bias, f"{owner}: use_bias")
        self.kernel_initializer = initializers.get(kernel_initializer, "kernel_initializer")
        self.bias_initializer = initializers.get(bias_initializer, "bias_initializer")
        if kernel_regularizer is not None and not isinstance(kernel_regularizer, Regularizer):
            raise TypeError(f"{owner}: kernel_regularizer: expected a Regularizer such as "
                            f"L2(0.01) or None, got {type(kernel_regularizer).__name__} "
                            f"{kernel_regularizer!r}")
        self.kernel_regularizer = kernel_regularizer

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

    def _check_dout(self, dout, method: str = "backward"):
        """``dout`` checked against the shape(s) the last ``forward`` returned (see the module
        docstring); an entry None in a list of gradients means "no gradient" and passes."""
        seen = getattr(self, "_output_shape_seen", None)
        where = f"{self.name}.{method}: dout"
        if isinstance(seen, tuple):
            return check_dout(dout, seen, where)
        if isinstance(seen, list) and isinstance(dout, (list, tuple)) and len(dout) == len(seen):
            return [d if d is None else check_dout(d, s, f"{where}[{i}]")
                    for i, (d, s) in enumerate(zip(dout, seen))]
        return dout

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
