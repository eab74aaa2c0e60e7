"""Max and average pooling on NHWC images, and Flatten.

Pooling slides a window over each channel separately and keeps its maximum (max pooling) or
its mean (average pooling); it has no parameters. Backward:
- max: the gradient goes to the position that held the maximum (the "max mask"), nothing to
  the others; with ties the first maximum in the window (row-major order) takes it all;
- average: the gradient is spread evenly over the window, d/count to each position.

Padding follows Keras: 'same' pads as for a convolution (``same_padding``); padded positions
never win a max and are not counted in an average (an edge window averages fewer numbers).
"""

from __future__ import annotations

import numpy as np

from companion.nn.layers.base import Layer
from companion.nn.layers.padding import check_padding, offsets, output_hw, pad_input, pair, unpad
from companion.nn.shape_checks import check_cache, check_dout
from companion.nn.validation import as_array, check_finite, check_nonempty


def _prepare(x, pool_size, strides, padding, fill):
    x = check_nonempty(as_array(x, "x", ndim=4), "x")
    pool_size = pair(pool_size, "pool_size")
    strides = pool_size if strides is None else pair(strides, "strides")
    xp, pads = pad_input(x, pool_size, strides, padding, value=fill)
    out_hw = output_hw(x.shape[1:3], pool_size, strides, padding)
    return xp, pads, pool_size, strides, out_hw


def max_pool_forward(x, pool_size=2, strides=None, padding="valid"):
    """x: (N, H, W, C) -> (out (N, Ho, Wo, C), cache). Padding is -inf, so it never wins.

    A running maximum over the window offsets (``offsets``: strided views, no copy of the
    windows); the cache keeps the padded input, from which backward finds each maximum.
    """
    xp, pads, size, strides, out_hw = _prepare(x, pool_size, strides, padding, -np.inf)
    out = None
    for _, _, view in offsets(xp, size, strides, out_hw):
        out = view.copy() if out is None else np.maximum(out, view, out=out)
    return out, (xp, out, pads, size, strides)


def max_pool_backward(dout, cache):
    """dout (N, Ho, Wo, C) -> (dx (N, H, W, C), ()): each output gradient goes to the maximum
    of its window (the max mask), nothing to the other positions. With ties the first maximum
    in the window (row-major order) takes it all, as in Keras/TensorFlow."""
    xp, out, pads, size, strides = check_cache(cache, "cache", 5, "max_pool_forward")
    dout = check_finite(check_dout(dout, out.shape), "dout")   # NaN * 0 would reach non-maxima
    dxp = np.zeros(xp.shape, dtype=dout.dtype)
    taken = np.zeros(out.shape, dtype=bool)               # windows whose maximum is found
    mine = np.empty(out.shape, dtype=bool)
    overlap = strides[0] < size[0] or strides[1] < size[1]
    for (_, _, dview), (_, _, view) in zip(offsets(dxp, size, strides, out.shape[1:3]),
                                           offsets(xp, size, strides, out.shape[1:3])):
        np.equal(view, out, out=mine)
        np.greater(mine, taken, out=mine)                 # a maximum, and the first one
        taken |= mine
        if overlap:
            dview += dout * mine
        else:
            np.multiply(dout, mine, out=dview)            # each position in one window
    return unpad(dxp, pads), ()


def avg_pool_forward(x, pool_size=2, strides=None, padding="valid"):
    """x: (N, H, W, C) -> (out (N, Ho, Wo, C), cache): the mean over the window's non-padded
    positions (``count`` (1, Ho, Wo, 1) of them)."""
    xp, pads, size, strides, out_hw = _prepare(x, pool_size, strides, padding, 0.0)
    ones = np.zeros((1,) + xp.shape[1:3] + (1,), dtype=xp.dtype)
    (t, b), (l, r) = pads
    ones[:, t:ones.shape[1] - b, l:ones.shape[2] - r] = 1
    count = sum(view for _, _, view in offsets(ones, size, strides, out_hw))
    total = None
    for _, _, view in offsets(xp, size, strides, out_hw):
        total = view.copy() if total is None else np.add(total, view, out=total)
    return np.divide(total, count, out=total), (count, xp.shape, pads, size, strides)


def avg_pool_backward(dout, cache):
    """dout (N, Ho, Wo, C) -> (dx (N, H, W, C), ()): each output gradient spread evenly over
    its window, dout / count to every position."""
    count, xp_shape, pads, size, strides = check_cache(cache, "cache", 5, "avg_pool_forward")
    dout = check_dout(dout, (xp_shape[0],) + count.shape[1:3] + (xp_shape[3],))
    share = dout / count                                              # (N, Ho, Wo, C)
    dxp = np.zeros(xp_shape, dtype=share.dtype)
    for _, _, view in offsets(dxp, size, strides, dout.shape[1:3]):
        view += share
    return unpad(dxp, pads), ()


class _Pool2D(Layer):
    _forward = _backward = None

    def __init__(self, pool_size=2, strides=None, padding: str = "valid", name: str | None = None,
                 dtype="float64"):
        super().__init__(name, dtype)
        self.pool_size = pair(pool_size, "pool_size")
        self.strides = self.pool_size if strides is None else pair(strides, "strides")
        self.padding = check_padding(padding)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"{self.name}: expects images (H, W, C) per example, got input "
                             f"shape {tuple(input_shape)}")
        return output_hw(input_shape[:2], self.pool_size, self.strides, self.padding) + \
            (input_shape[2],)

    def forward(self, x, training=False):
        x = self._check_input(x)
        out, self._cache = self._forward(x, self.pool_size, self.strides, self.padding)
        return out

    def backward(self, dout):
        dx, _ = self._backward(np.asarray(dout, dtype=self.dtype), self._cache)
        self.grads = {}
        return dx

    def __repr__(self):
        return f"{type(self).__name__}({self.pool_size[0]}, s={self.strides[0]}, {self.padding})"


class MaxPooling2D(_Pool2D):
    """MaxPooling2D(pool_size=2, strides=None, padding='valid'): as in Keras (strides default
    to pool_size). Input (N, H, W, C); output (N, Ho, Wo, C)."""
    _forward, _backward = staticmethod(max_pool_forward), staticmethod(max_pool_backward)


class AveragePooling2D(_Pool2D):
    """AveragePooling2D(pool_size=2, strides=None, padding='valid'): as in Keras."""
    _forward, _backward = staticmethod(avg_pool_forward), staticmethod(avg_pool_backward)


class Flatten(Layer):
    """Flatten(): (N, d1, d2, ...) -> (N, d1*d2*...), in row-major (C) order as Keras does."""

    def compute_output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x, training=False):
        x = self._check_input(x)
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        return dout.reshape((dout.shape[0],) + self.input_shape)

    def __repr__(self):
        return "Flatten()"
