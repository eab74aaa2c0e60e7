"""2-D convolution (cross-correlation, as Keras computes it) on NHWC images.

    out[n, i, j, f] = b[f] + sum_{u, v, c} xp[n, i*s + u, j*s + v, c] * W[u, v, c, f]

where ``xp`` is the zero-padded input and W has Keras' layout (kh, kw, in, out). The kernel is
*not* flipped: this is cross-correlation, which every deep-learning library calls convolution.

Two implementations of the same maths:
- ``conv2d_forward_naive`` / ``conv2d_backward_naive``: four loops, one output number at a
  time, to read;
- ``conv2d_forward`` / ``conv2d_backward``: im2col (every receptive field copied into one row
  of a matrix through a strided view) and **one** matrix product; the backward pass is one
  matrix product for the kernel and, for the input, a col2im done per kernel offset (kh*kw
  small products, each added back into a strided slice).

Output size per spatial axis: floor((n + p_total - f) / s) + 1, with Keras' padding rules
(``same_padding``): 'valid' adds nothing; 'same' adds max((ceil(n/s) - 1) s + f - n, 0) zeros,
half (rounded down) before and the rest after, so the output has ceil(n/s) positions.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from companion.nn import activations, initializers
from companion.nn.layers.base import Layer
from companion.nn.regularizers import Regularizer

PADDINGS = ("valid", "same")


def pair(value, name: str) -> tuple[int, int]:
    """An int or a pair of ints -> (a, b), checked positive."""
    v = (value, value) if np.isscalar(value) else tuple(value)
    if len(v) != 2 or any(int(k) != k or k < 1 for k in v):
        raise ValueError(f"{name} must be a positive integer or a pair of them, got {value!r}")
    return int(v[0]), int(v[1])


def check_padding(padding: str) -> str:
    p = str(padding).lower()
    if p not in PADDINGS:
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    return p


def same_padding(n: int, f: int, s: int) -> tuple[int, int]:
    """Keras/TensorFlow 'same' padding (before, after) for one axis of size n."""
    total = max((-(-n // s) - 1) * s + f - n, 0)
    return total // 2, total - total // 2


def pad_amounts(n: int, f: int, s: int, padding: str) -> tuple[int, int]:
    return same_padding(n, f, s) if check_padding(padding) == "same" else (0, 0)


def conv_output_size(n: int, f: int, s: int = 1, p: int = 0) -> int:
    """floor((n + 2p - f) / s) + 1: the output length for symmetric padding p on each side."""
    return (n + 2 * p - f) // s + 1


def output_hw(hw, kernel, strides, padding) -> tuple[int, int]:
    """Output (height, width) of a kh x kw window sliding with ``strides`` and ``padding``."""
    out = []
    for n, f, s in zip(hw, kernel, strides):
        lo, hi = pad_amounts(n, f, s, padding)
        if n + lo + hi < f:
            raise ValueError(f"a window of {f} does not fit an input of size {n} "
                             f"with padding {padding!r}")
        out.append((n + lo + hi - f) // s + 1)
    return tuple(out)


def pad_input(x, kernel, strides, padding, value=0.0):
    """Pad (N, H, W, C) as Keras does; returns (xp, ((top, bottom), (left, right)))."""
    pads = tuple(pad_amounts(n, f, s, padding) for n, f, s in zip(x.shape[1:3], kernel, strides))
    if pads == ((0, 0), (0, 0)):
        return x, pads
    (t, b), (l, r) = pads
    n, h, w, c = x.shape
    xp = np.full((n, h + t + b, w + l + r, c), value, dtype=np.result_type(x, np.float16))
    xp[:, t:t + h, l:l + w, :] = x                        # (np.pad does the same, slower)
    return xp, pads


def windows(xp, kernel, strides, out_hw):
    """Strided *view* (N, Ho, Wo, kh, kw, C) of every receptive field of a padded input."""
    n, _, _, c = xp.shape
    sn, sh, sw, sc = xp.strides
    return as_strided(xp, shape=(n, out_hw[0], out_hw[1], kernel[0], kernel[1], c),
                      strides=(sn, sh * strides[0], sw * strides[1], sh, sw, sc), writeable=False)


def col2im(dwin, xp_shape, strides, dtype):
    """Adjoint of ``windows``: add each (N, Ho, Wo, kh, kw, C) slice back where it came from."""
    _, ho, wo, kh, kw, _ = dwin.shape
    dxp = np.zeros(xp_shape, dtype=dtype)
    sh, sw = strides
    for u in range(kh):
        for v in range(kw):
            dxp[:, u:u + sh * (ho - 1) + 1:sh, v:v + sw * (wo - 1) + 1:sw, :] += dwin[:, :, :, u, v, :]
    return dxp


def unpad(dxp, pads):
    (t, b), (l, r) = pads
    return dxp[:, t:dxp.shape[1] - b, l:dxp.shape[2] - r, :]


# --- the vectorised implementation ---------------------------------------------------------
def conv2d_forward(x, W, b=None, strides=(1, 1), padding="valid"):
    """Convolution by im2col + one matrix product.

    x: (N, H, W, C); W: (kh, kw, C, F); b: (F,) or None.
    Returns (out (N, Ho, Wo, F), cache).
    """
    kh, kw, c, f = W.shape
    strides = pair(strides, "strides")
    xp, pads = pad_input(x, (kh, kw), strides, padding)
    ho, wo = output_hw(x.shape[1:3], (kh, kw), strides, padding)
    cols = windows(xp, (kh, kw), strides, (ho, wo)).reshape(-1, kh * kw * c)  # copy: im2col
    out = cols @ W.reshape(-1, f)                                            # (N*Ho*Wo, F)
    if b is not None:
        out += b
    return out.reshape(x.shape[0], ho, wo, f), (cols, xp.shape, pads, W, strides)


def conv2d_backward(dout, cache):
    """Gradients of ``conv2d_forward``. dout: (N, Ho, Wo, F). Returns (dx, dW, db).

    dW is one matrix product with the cached columns. dx is col2im done one kernel offset at a
    time: offset (u, v) sent x[.., i*s + u, j*s + v, :] into every output (i, j) with weight
    W[u, v], so it gets back dout @ W[u, v].T there (kh*kw contiguous products and strided adds,
    never a scattered np.add.at).
    """
    cols, xp_shape, pads, W, (sh, sw) = cache
    kh, kw, c, f = W.shape
    n, ho, wo, _ = dout.shape
    d2 = dout.reshape(-1, f)                                                 # (N*Ho*Wo, F)
    dW = (cols.T @ d2).reshape(W.shape)
    db = d2.sum(axis=0)
    dxp = np.zeros(xp_shape, dtype=np.result_type(dout, W))
    for u in range(kh):
        for v in range(kw):
            dxp[:, u:u + sh * (ho - 1) + 1:sh, v:v + sw * (wo - 1) + 1:sw, :] += \
                (d2 @ W[u, v].T).reshape(n, ho, wo, c)
    return unpad(dxp, pads), dW, db


# --- the naive implementation, for reading ---------------------------------------------------
def conv2d_forward_naive(x, W, b=None, strides=(1, 1), padding="valid"):
    """One output number at a time: multiply the window by the kernel element-wise and sum."""
    kh, kw, _, f = W.shape
    sh, sw = pair(strides, "strides")
    xp, _ = pad_input(x, (kh, kw), (sh, sw), padding)
    ho, wo = output_hw(x.shape[1:3], (kh, kw), (sh, sw), padding)
    out = np.zeros((x.shape[0], ho, wo, f), dtype=np.result_type(x, W))
    for n in range(x.shape[0]):
        for i in range(ho):
            for j in range(wo):
                window = xp[n, i * sh:i * sh + kh, j * sw:j * sw + kw, :]     # (kh, kw, C)
                for k in range(f):
                    out[n, i, j, k] = np.sum(window * W[:, :, :, k]) + (0 if b is None else b[k])
    return out


def conv2d_backward_naive(dout, x, W, strides=(1, 1), padding="valid"):
    """The same loops run backwards: each output's gradient flows to its window and kernel."""
    kh, kw, _, f = W.shape
    sh, sw = pair(strides, "strides")
    xp, pads = pad_input(x, (kh, kw), (sh, sw), padding)
    dxp, dW = np.zeros(xp.shape, dtype=np.result_type(x, W)), np.zeros_like(W)
    for n in range(dout.shape[0]):
        for i in range(dout.shape[1]):
            for j in range(dout.shape[2]):
                window = xp[n, i * sh:i * sh + kh, j * sw:j * sw + kw, :]
                for k in range(f):
                    g = dout[n, i, j, k]
                    dW[:, :, :, k] += g * window
                    dxp[n, i * sh:i * sh + kh, j * sw:j * sw + kw, :] += g * W[:, :, :, k]
    return unpad(dxp, pads), dW, dout.sum(axis=(0, 1, 2))


class Conv2D(Layer):
    """Conv2D(filters, kernel_size, strides=1, padding='valid', activation=None): as in Keras.

    Parameters: ``kernel`` (kh, kw, C, filters) and ``bias`` (filters,) when ``use_bias``.
    Input shape: (N, H, W, C). Output shape: (N, Ho, Wo, filters).
    ``implementation='naive'`` runs the loop version (slow; for comparison only).
    """

    def __init__(self, filters: int, kernel_size, strides=1, padding: str = "valid",
                 activation: str | None = None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer: Regularizer | None = None, implementation: str = "vectorised",
                 name: str | None = None):
        super().__init__(name)
        if int(filters) != filters or filters < 1:
            raise ValueError(f"Conv2D: filters must be a positive integer, got {filters!r}")
        if implementation not in ("vectorised", "naive"):
            raise ValueError(f"Conv2D: implementation must be 'vectorised' or 'naive', "
                             f"got {implementation!r}")
        self.filters, self.implementation = int(filters), implementation
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.strides = pair(strides, "strides")
        self.padding = check_padding(padding)
        self.activation = activations.get(activation).name
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = kernel_regularizer

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"{self.name}: expects images (H, W, C) per example, got input "
                             f"shape {tuple(input_shape)}")
        return output_hw(input_shape[:2], self.kernel_size, self.strides, self.padding) + \
            (self.filters,)

    def build(self, input_shape, rng=None):
        shape = self.kernel_size + (input_shape[-1], self.filters)
        self.params = {"kernel": self.kernel_initializer(shape, rng)}
        if self.use_bias:
            self.params["bias"] = self.bias_initializer((self.filters,), rng)
        return super().build(input_shape, rng)

    def forward(self, x, training=False):
        x = self._check_input(x)
        W, b = self.params["kernel"], self.params.get("bias")
        if self.implementation == "naive":
            z, cache = conv2d_forward_naive(x, W, b, self.strides, self.padding), x
        else:
            z, cache = conv2d_forward(x, W, b, self.strides, self.padding)
        a = activations.forward(self.activation, z)
        self._cache = (cache, z, a)
        return a

    def backward(self, dout):
        _, z, a = self._cache
        dz = activations.backward(self.activation, dout, z, a)
        return self.backward_from_logits(dz)

    def backward_from_logits(self, dz):
        cache = self._cache[0]
        if self.implementation == "naive":
            dx, dW, db = conv2d_backward_naive(dz, cache, self.params["kernel"], self.strides,
                                               self.padding)
        else:
            dx, dW, db = conv2d_backward(dz, cache)
        self._set_kernel_grads(dW, db)
        return dx

    def keras_layer(self, keras):
        reg = None
        if self.kernel_regularizer is not None:
            reg = keras.regularizers.L1L2(l1=self.kernel_regularizer.l1,
                                          l2=self.kernel_regularizer.l2)
        return keras.layers.Conv2D(self.filters, self.kernel_size, strides=self.strides,
                                   padding=self.padding, activation=self.activation,
                                   use_bias=self.use_bias, kernel_regularizer=reg)

    def __repr__(self):
        k = "x".join(map(str, self.kernel_size))
        return f"Conv2D({self.filters}, {k}, s={self.strides[0]}, {self.padding})"
