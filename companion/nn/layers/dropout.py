"""Inverted dropout: zero each *unit* (activation) with probability ``rate`` while training.

    keep_prob = 1 - rate                   (the notes' keep probability; Keras' Dropout(rate))
    mask ~ Bernoulli(keep_prob), shape of the activations a
    a_drop = a * mask / keep_prob          ("inverted": E[a_drop] = a, so inference needs no rescaling)
    da = da_drop * mask / keep_prob        (the *same* mask in the backward pass)

At inference (``training=False``) the layer is the identity. The notes say dropout "sets some
weights to zero": it zeroes activations (units); the weights are untouched.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from companion.nn.layers.base import Layer
from companion.nn.layers.composite import leaves
from companion.nn.shape_checks import check_cache, check_dout, check_operand, check_size
from companion.nn.validation import as_array, check_interval, check_probability, rng_from


def dropout_mask(shape, keep_prob: float, rng, dtype=np.float64) -> np.ndarray:
    """A 0/1 float mask with P(1) = keep_prob in (0, 1]. Shape: ``shape``."""
    shape = check_size(shape, "dropout_mask: shape")
    keep_prob = check_probability(keep_prob, "dropout_mask: keep_prob")
    return (rng_from(rng).random(shape) < keep_prob).astype(dtype)


def dropout_forward(x, mask, keep_prob: float):
    """Inverted dropout with a given mask: out = x * mask / keep_prob.

    Input shape: x, mask (N, ...), mask of 0s and 1s; keep_prob in (0, 1].
    Returns (out (N, ...), cache = (mask, keep_prob)).
    """
    x = as_array(x, "dropout_forward: x")
    mask = check_operand(mask, "dropout_forward: mask", x.shape)
    _check_zero_one(mask, "dropout_forward: mask")
    keep_prob = check_probability(keep_prob, "dropout_forward: keep_prob")
    return x * mask / keep_prob, (mask, keep_prob)


def _check_zero_one(mask: np.ndarray, name: str) -> None:
    """A dropout mask holds only 0 (drop) and 1 (keep): a mask already divided by keep_prob
    would scale twice."""
    if mask.dtype.kind != "b" and np.count_nonzero(mask) != np.count_nonzero(mask == 1):
        raise ValueError(f"{name} must hold only 0 and 1 (1 = keep), got values from "
                         f"{mask.min()} to {mask.max()}")


def dropout_backward(dout, cache):
    """dL/dx = dL/dout * mask / keep_prob with the forward pass' mask. dout: (N, ...).

    Returns (dx (N, ...), grads ()): dropout has no weights.
    """
    mask, keep_prob = check_cache(cache, "dropout_backward: cache", (np.ndarray, float),
                                  "dropout_forward")
    dout = check_dout(dout, mask.shape, "dropout_backward: dout")
    return dout * mask / keep_prob, ()


class Dropout(Layer):
    """Dropout(rate): Keras' layer of the same name, with ``keep_prob = 1 - rate`` shown.

    ``seed`` fixes the layer's own mask stream; without it the stream is spawned from the
    model's build rng (without drawing from it, so a model's weights are the same with and
    without dropout layers). ``fix_mask(mask)`` makes every training pass reuse one mask
    (for gradient checks); ``fix_mask(None)`` goes back to fresh masks.
    Input shape: (N, ...). Output shape: the same.
    """

    def __init__(self, rate: float, seed: int | None = None, name: str | None = None,
                 dtype="float64"):
        super().__init__(name, dtype)
        self.rate = check_interval(rate, "Dropout: rate", 0.0, 1.0, "[)")   # keep_prob > 0
        self.seed = seed
        self.rng = rng_from(seed) if seed is not None else None
        self.fixed_mask: np.ndarray | None = None
        self.last_mask: np.ndarray | None = None

    @property
    def keep_prob(self) -> float:
        return 1.0 - self.rate

    def build(self, input_shape, rng=None):
        if self.rng is None and rng is not None:
            # a child stream: the parent's draws (the other layers' weights) are untouched
            self.rng = rng_from(rng).spawn(1)[0]
        return super().build(input_shape, rng)

    def fix_mask(self, mask) -> None:
        """Reuse ``mask`` (0/1, the activations' shape) in every training pass; None to undo."""
        if mask is not None:
            mask = as_array(mask, f"{self.name}.fix_mask: mask")
            _check_zero_one(mask, f"{self.name}.fix_mask: mask")
        self.fixed_mask = None if mask is None else mask.astype(self.dtype)

    def forward(self, x, training=False):
        x = self._check_input(x)
        if not training or self.rate == 0.0:
            self._cache = None
            return x
        if self.fixed_mask is not None:
            if self.fixed_mask.shape != x.shape:
                raise ValueError(f"{self.name}: fixed mask has shape {self.fixed_mask.shape}, "
                                 f"x has shape {x.shape}")
            mask = self.fixed_mask
        else:
            if self.rng is None:
                raise RuntimeError(f"{self.name}: no random generator for the masks; pass "
                                   "seed= or build the layer with an rng before training")
            mask = dropout_mask(x.shape, self.keep_prob, self.rng, self.dtype)
        self.last_mask = mask
        out, self._cache = dropout_forward(x, mask, self.keep_prob)
        return out

    def backward(self, dout):
        dout = as_array(dout, f"{self.name}: dout").astype(self.dtype, copy=False)
        self.grads = {}
        if self._cache is None:                        # inference pass: identity
            return dout
        return dropout_backward(dout, self._cache)[0]

    def __repr__(self):
        return f"Dropout(rate={self.rate:g})"


def dropout_layers(model) -> list[Dropout]:
    """The Dropout layers of ``model``, nested models included (and the attention-dropout
    layer a MultiHeadAttention keeps as ``dropout_layer``)."""
    _check_model(model, "dropout_layers")
    found = []
    for layer in leaves(model):
        found += [d for d in (layer, getattr(layer, "dropout_layer", None))
                  if isinstance(d, Dropout)]
    return found


@contextmanager
def frozen_masks(model, x):
    """Inside the block every Dropout layer of ``model`` reuses the mask of one training pass
    on ``x``, so forward(x, training=True) is a deterministic function (for gradient checks)."""
    _check_model(model, "frozen_masks")
    model.forward(x, training=True)
    layers = dropout_layers(model)
    for layer in layers:
        layer.fix_mask(layer.last_mask if layer.rate > 0 else None)
    try:
        yield [layer.fixed_mask for layer in layers]
    finally:
        for layer in layers:
            layer.fix_mask(None)


def _check_model(model, where: str) -> None:
    if not isinstance(model, Layer):
        raise TypeError(f"{where}: model: expected a layer or model (a Layer such as "
                        f"Sequential), got {type(model).__name__} {model!r:.40}")
