"""2-D convolution (cross-correlation, as Keras computes it) on NHWC images.

    out[n, i, j, f] = b[f] + sum_{u, v, c} xp[n, i*s + u, j*s + v, c] * W[u, v, c, f]

where ``xp`` is the zero-padded input and W has Keras' layout (kh, kw, in, out). The kernel is
*not* flipped: this is cross-correlation, which every deep-learning library calls convolution.

Two implementations of the same maths:
- ``conv2d_forward_naive`` / ``conv2d_backward_naive``: four loops, one output number at a
  time, to read;
- ``conv2d_forward`` / ``conv2d_backward``: im2col (every receptive field copied into one row
  of a matrix through a strided view) and matrix products, done one chunk of images at a time
  so the columns stay in the CPU cache (the whole column matrix of a batch is hundreds of MiB
  and runs the products at a third of their in-cache speed). Backward: the kernel gradient is
  columns.T @ dout summed over the chunks; the input gradient is a full correlation of the
  padded upstream gradient with the 180-degree-rotated kernel (``input_gradient``). A
  single-channel input (greyscale images, the first layer) is laid out plane by plane instead
  (``plane_chunks``), where the copies run along whole image rows.

Both have the calling convention of every layer: ``forward(x, W, b, ...) -> (out, cache)`` and
``backward(dout, cache) -> (dx, (dW, db))``.

Output size per spatial axis: floor((n + p_total - f) / s) + 1, with Keras' padding rules
(``companion.nn.layers.padding``, shared with pooling: ``same_padding``, ``output_hw``, the
strided views ``windows`` and ``offsets``): 'valid' adds nothing; 'same' adds
max((ceil(n/s) - 1) s + f - n, 0) zeros, half (rounded down) before and the rest after, so the
output has ceil(n/s) positions.
"""

from __future__ import annotations

import numpy as np

from companion.nn.layers.activation import activation_backward, activation_forward
from companion.nn.layers.base import Layer
from companion.nn.layers.padding import (
    cached_output_shape,
    check_conv_arguments,
    check_geometry,
    check_gradient_arguments,
    check_padding,
    offsets,
    output_hw,
    pad_explicit,
    pad_input,
    pair,
    unpad,
    windows,
)
from companion.nn.regularizers import Regularizer
from companion.nn.threads import blas_threads
from companion.nn.shape_checks import check_cache, check_dims, check_dout
from companion.nn.validation import as_array, check_choice, check_int

# --- the vectorised implementation ---------------------------------------------------------
CHUNK_BYTES = 1 << 21          # im2col columns of this many bytes at most: they stay in cache
WHOLE_BYTES = 1 << 23          # a batch whose columns are smaller is done in one piece


def chunks(n: int, bytes_per_item: int):
    """Slices cutting range(n) into runs of whole items of at most ``CHUNK_BYTES`` bytes
    (at least one item each)."""
    n, bytes_per_item = check_int(n, "n"), check_int(bytes_per_item, "bytes_per_item")
    step = max(1, CHUNK_BYTES // max(bytes_per_item, 1))
    return [slice(lo, min(lo + step, n)) for lo in range(0, n, step)]


def batch_slices(n: int, bytes_per_item: int) -> list[slice]:
    """The whole batch in one piece when its columns fit ``WHOLE_BYTES``, else cache-sized runs.

    Few input channels make small columns, whose products are limited by memory, not
    arithmetic: there one copy and one product for the whole batch is faster.
    """
    n, bytes_per_item = check_int(n, "n"), check_int(bytes_per_item, "bytes_per_item")
    return [slice(0, n)] if n * bytes_per_item <= WHOLE_BYTES else chunks(n, bytes_per_item)


def im2col_chunks(xp, kernel, strides, out_hw):
    """Yield (images slice, columns (B*Ho*Wo, kh*kw*C)) per chunk of the padded batch xp.

    One buffer of at most ``CHUNK_BYTES`` is reused, so the columns stay in cache and the
    whole (N*Ho*Wo, kh*kw*C) matrix never exists. The columns are valid until the next step.
    Below ``WHOLE_BYTES`` the whole batch comes in one piece (``batch_slices``). A
    single-channel input goes to ``plane_chunks``.
    """
    xp, kernel, strides, out_hw = check_geometry(xp, kernel, strides, out_hw)
    n, c = xp.shape[0], xp.shape[3]
    if c == 1:
        yield from plane_chunks(xp, kernel, strides, out_hw)
        return
    k = kernel[0] * kernel[1] * c
    slices = batch_slices(n, out_hw[0] * out_hw[1] * k * xp.itemsize)
    if len(slices) == 1:
        yield slices[0], windows(xp, kernel, strides, out_hw).reshape(-1, k)
        return
    buf = np.empty((slices[0].stop,) + tuple(out_hw) + tuple(kernel) + (c,), dtype=xp.dtype)
    for sl in slices:
        cols = buf[:sl.stop - sl.start]
        np.copyto(cols, windows(xp[sl], kernel, strides, out_hw))          # im2col, in cache
        yield sl, cols.reshape(-1, k)


def plane_buffer(kernel, count, out_hw, dtype):
    """A flat buffer for ``plane_view``: kh*kw planes of ``count`` images' outputs."""
    kernel, out_hw = pair(kernel, "kernel"), pair(out_hw, "out_hw")
    count = check_int(count, "count")
    try:
        ok = dtype is not None and np.dtype(dtype).kind == "f"
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise TypeError(f"dtype: expected a floating dtype such as np.float32, got {dtype!r}")
    return np.empty(kernel[0] * kernel[1] * count * out_hw[0] * out_hw[1], dtype=dtype)


def plane_view(buf, kernel, count, out_hw):
    """The start of ``buf`` as contiguous (kh, kw, count, Ho, Wo) (a short last chunk too)."""
    kernel, out_hw = pair(kernel, "kernel"), pair(out_hw, "out_hw")
    count = check_int(count, "count")
    shape = kernel + (count,) + out_hw
    if not isinstance(buf, np.ndarray) or buf.ndim != 1 or not buf.flags.c_contiguous or \
            buf.dtype.kind != "f":
        raise TypeError(f"buf: expected the flat float array plane_buffer returned, got "
                        f"{type(buf).__name__} {getattr(buf, 'dtype', '')} {np.shape(buf)}")
    if buf.size < np.prod(shape):
        raise ValueError(f"buf: {buf.size} numbers cannot hold {shape}; plane_buffer(kernel, "
                         "count, out_hw, dtype) makes one large enough")
    return buf[:int(np.prod(shape))].reshape(shape)


def plane_chunks(xp, kernel, strides, out_hw):
    """im2col of a single-channel batch xp (N, Hp, Wp, 1), laid out plane by plane.

    Yields (images slice, columns (B*Ho*Wo, kh*kw)) as ``im2col_chunks`` does, but the
    columns are the transpose of a contiguous (kh*kw, B*Ho*Wo) array whose row (u, v) is the
    plane tap (u, v) sees: it is copied in runs of Wo numbers, where the NHWC layout copies
    runs of kw, five times slower on 28x28 digits. The products take the transpose as it is.
    """
    xp, kernel, strides, out_hw = check_geometry(xp, kernel, strides, out_hw)
    if xp.shape[3] != 1:
        raise ValueError(f"xp: plane_chunks takes a single-channel input, got shape {xp.shape}")
    n, k, rows = xp.shape[0], kernel[0] * kernel[1], out_hw[0] * out_hw[1]
    slices = batch_slices(n, rows * k * xp.itemsize)
    buf = plane_buffer(kernel, slices[0].stop, out_hw, xp.dtype)
    for sl in slices:
        cols = plane_view(buf, kernel, sl.stop - sl.start, out_hw)
        for u, v, view in offsets(xp[sl], kernel, strides, out_hw):
            cols[u, v] = view[..., 0]
        yield sl, cols.reshape(k, -1).T


def correlate(xp, Wm, kernel, strides, out_hw, out2, bias=None):
    """out2 (N*Ho*Wo, F) = im2col(xp) @ Wm (+ bias), chunk by chunk, written in place.

    xp: (N, Hp, Wp, C) padded input; Wm: (kh*kw*C, F) in xp's dtype. Returns the columns
    (N*Ho*Wo, kh*kw*C) when they were built in one piece (small, worth keeping), else None.
    """
    xp, kernel, strides, out_hw = check_geometry(xp, kernel, strides, out_hw)
    (Wm, out2), _ = check_dims("correlate", Wm=(Wm, f"{kernel[0] * kernel[1] * xp.shape[3]} F"),
                               out2=(out2, f"{xp.shape[0] * out_hw[0] * out_hw[1]} F"))
    if bias is not None:
        check_dims("correlate", Wm=(Wm, "K F"), bias=(bias, "F"))
    rows = out_hw[0] * out_hw[1]
    for sl, cols in im2col_chunks(xp, kernel, strides, out_hw):
        o = out2[sl.start * rows:sl.stop * rows]
        np.matmul(cols, Wm, out=o)
        if bias is not None:
            o += bias
    return cols if sl.stop - sl.start == xp.shape[0] else None


def conv2d_forward(x, W, b=None, strides=(1, 1), padding="valid"):
    """Convolution by im2col + matrix products, one chunk of images at a time.

    x: (N, H, W, C); W: (kh, kw, C, F); b: (F,) or None.
    Returns (out (N, Ho, Wo, F), cache). Computes in the dtype of x and W (float32 stays
    float32); the cache holds the padded input, not the (N*Ho*Wo, kh*kw*C) columns.
    """
    x, W, b = check_conv_arguments("conv2d_forward", x, W, b)
    kh, kw, _, f = W.shape
    strides = pair(strides, "strides")
    xp, pads = pad_input(x, (kh, kw), strides, padding)
    ho, wo = output_hw(x.shape[1:3], (kh, kw), strides, padding)
    dtype = np.result_type(x, W)
    xp = xp.astype(dtype, copy=False)
    out = np.empty((x.shape[0], ho, wo, f), dtype=dtype)
    cols = correlate(xp, W.reshape(-1, f).astype(dtype, copy=False), (kh, kw), strides,
                     (ho, wo), out.reshape(-1, f), b)
    return out, (xp, cols, pads, W, strides, b is not None)


def conv2d_backward(dout, cache):
    """Gradients of ``conv2d_forward``. dout: (N, Ho, Wo, F).

    Returns (dx (N, H, W, C), (dW (kh, kw, C, F), db (F,) or None)).
    dW sums im2col(x).T @ dout over chunks of images (the columns are rebuilt in cache, never
    stored, unless forward kept small ones). dx: ``input_gradient``.
    """
    xp, cols, pads, W, strides, has_bias = check_cache(cache, "cache", 6, "conv2d_forward")
    kh, kw, c, f = W.shape
    dout = check_dout(dout, cached_output_shape(xp, W, strides))
    ho, wo = dout.shape[1:3]
    d2 = dout.reshape(-1, f)                                                 # (N*Ho*Wo, F)
    if cols is not None:
        dW = cols.T @ d2
    else:
        dW = np.zeros((kh * kw * c, f), dtype=np.result_type(dout, W))
        rows = ho * wo
        for sl, chunk in im2col_chunks(xp, (kh, kw), strides, (ho, wo)):
            dW += chunk.T @ d2[sl.start * rows:sl.stop * rows]
    db = bias_gradient(d2) if has_bias else None
    return input_gradient(dout, W, strides, pads, xp.shape), (dW.reshape(W.shape), db)


def bias_gradient(d2):
    """Column sums of d2 (M, F) as one product with a vector of ones: twenty times faster than
    ``d2.sum(axis=0)``, which adds the M rows one by one, and more accurate in float32 (the
    BLAS adds in blocks)."""
    d2 = as_array(d2, "d2", ndim=2)
    return np.ones(d2.shape[0], dtype=d2.dtype) @ d2


def input_gradient(dout, W, strides, pads, xp_shape):
    """dL/dx (N, H, W, C) for dout (N, Ho, Wo, F).

    Stride 1: a full correlation of the padded upstream gradient with the kernel rotated by
    180 degrees and its channels swapped, W[::-1, ::-1].T (kh, kw, F, C): one 'valid'
    convolution, one matrix product per chunk, no scatter. Pad dout by kh-1-top above and
    kh-1-bottom below (likewise across) and it lands exactly on the unpadded input.
    Larger strides: per kernel offset (u, v), dout @ W[u, v].T added back where that offset
    read (kh*kw products and strided adds), which costs less than correlating a zero-dilated
    gradient (s*s times the products).
    """
    dout, W, strides, pads = check_gradient_arguments(dout, W, strides, pads, xp_shape)
    kh, kw, c, f = W.shape
    (t, b), (l, r) = pads
    n, ho, wo, _ = dout.shape
    dtype = np.result_type(dout, W)
    if c == 1:
        return plane_input_gradient(dout.astype(dtype, copy=False), W.astype(dtype, copy=False),
                                    strides, pads, xp_shape)
    if tuple(strides) == (1, 1):
        dpad = pad_explicit(dout.astype(dtype, copy=False),
                            ((kh - 1 - t, kh - 1 - b), (kw - 1 - l, kw - 1 - r)))
        h, w = xp_shape[1] - t - b, xp_shape[2] - l - r
        dx = np.empty((n, h, w, c), dtype=dtype)
        Wr = W[::-1, ::-1].transpose(0, 1, 3, 2).reshape(-1, c).astype(dtype)  # (kh kw F, C)
        correlate(dpad, Wr, (kh, kw), (1, 1), (h, w), dx.reshape(-1, c))
        return dx
    dxp = np.zeros(xp_shape, dtype=dtype)
    d2 = dout.reshape(-1, f)
    for u, v, view in offsets(dxp, (kh, kw), strides, (ho, wo)):
        view += (d2 @ W[u, v].T).reshape(n, ho, wo, c)       # what offset (u, v) contributed
    return unpad(dxp, pads)


def plane_input_gradient(dout, W, strides, pads, xp_shape):
    """dL/dx for a single-channel input: per chunk of images, the (kh*kw, B*Ho*Wo) planes
    W[u, v] . dout (one product), each added back where tap (u, v) read (in runs of Wo)."""
    dout, W, strides, pads = check_gradient_arguments(dout, W, strides, pads, xp_shape)
    if W.shape[2] != 1:
        raise ValueError(f"W: plane_input_gradient is for a single-channel input, got a kernel "
                         f"of shape {W.shape}")
    kh, kw, _, f = W.shape
    n, ho, wo, _ = dout.shape
    rows, Wm = ho * wo, W.reshape(-1, f)
    dxp = np.zeros(xp_shape, dtype=dout.dtype)
    d2 = dout.reshape(-1, f)
    slices = batch_slices(n, rows * kh * kw * dout.itemsize)
    buf = plane_buffer((kh, kw), slices[0].stop, (ho, wo), dout.dtype)
    for sl in slices:
        planes = plane_view(buf, (kh, kw), sl.stop - sl.start, (ho, wo))
        np.matmul(Wm, d2[sl.start * rows:sl.stop * rows].T, out=planes.reshape(kh * kw, -1))
        for u, v, view in offsets(dxp[sl], (kh, kw), strides, (ho, wo)):
            view[..., 0] += planes[u, v]
    return unpad(dxp, pads)


# --- the naive implementation, for reading ---------------------------------------------------
def conv2d_forward_naive(x, W, b=None, strides=(1, 1), padding="valid"):
    """One output number at a time: multiply the window by the kernel element-wise and sum.

    x: (N, H, W, C); W: (kh, kw, C, F); b: (F,) or None.
    Returns (out (N, Ho, Wo, F), cache), as ``conv2d_forward`` does.
    """
    x, W, b = check_conv_arguments("conv2d_forward_naive", x, W, b)
    kh, kw, _, f = W.shape
    sh, sw = pair(strides, "strides")
    xp, pads = pad_input(x, (kh, kw), (sh, sw), padding)
    ho, wo = output_hw(x.shape[1:3], (kh, kw), (sh, sw), padding)
    out = np.zeros((x.shape[0], ho, wo, f), dtype=np.result_type(x, W))
    for n in range(x.shape[0]):
        for i in range(ho):
            for j in range(wo):
                window = xp[n, i * sh:i * sh + kh, j * sw:j * sw + kw, :]     # (kh, kw, C)
                for k in range(f):
                    out[n, i, j, k] = np.sum(window * W[:, :, :, k]) + (0 if b is None else b[k])
    return out, (xp, pads, W, (sh, sw), b is not None)


def conv2d_backward_naive(dout, cache):
    """The same loops run backwards: each output's gradient flows to its window and kernel.

    dout: (N, Ho, Wo, F). Returns (dx (N, H, W, C), (dW (kh, kw, C, F), db (F,) or None)).
    """
    xp, pads, W, (sh, sw), has_bias = check_cache(cache, "cache", 5, "conv2d_forward_naive")
    kh, kw, _, f = W.shape
    dout = check_dout(dout, cached_output_shape(xp, W, (sh, sw)))
    dxp, dW = np.zeros(xp.shape, dtype=np.result_type(xp, W)), np.zeros_like(W)
    for n in range(dout.shape[0]):
        for i in range(dout.shape[1]):
            for j in range(dout.shape[2]):
                window = xp[n, i * sh:i * sh + kh, j * sw:j * sw + kw, :]
                for k in range(f):
                    g = dout[n, i, j, k]
                    dW[:, :, :, k] += g * window
                    dxp[n, i * sh:i * sh + kh, j * sw:j * sw + kw, :] += g * W[:, :, :, k]
    return unpad(dxp, pads), (dW, dout.sum(axis=(0, 1, 2)) if has_bias else None)


class Conv2D(Layer):
    """Conv2D(filters, kernel_size, strides=1, padding='valid', activation=None): as in Keras.

    Parameters: ``kernel`` (kh, kw, C, filters) and ``bias`` (filters,) when ``use_bias``.
    Input shape: (N, H, W, C). Output shape: (N, Ho, Wo, filters).
    ``implementation='naive'`` runs the loop version (slow; for comparison only).
    ``dtype``: float64 (gradient checks) or float32 (training, Keras comparisons); weights are
    built in it and the input is cast to it, so the whole computation runs in it.
    """

    def __init__(self, filters: int, kernel_size, strides=1, padding: str = "valid",
                 activation: str | None = None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer: Regularizer | None = None, implementation: str = "vectorised",
                 name: str | None = None, dtype="float64"):
        super().__init__(name, dtype)
        self.filters = check_int(filters, "Conv2D: filters")
        self.implementation = check_choice(implementation, "Conv2D: implementation",
                                           ("vectorised", "naive"))
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.strides = pair(strides, "strides")
        self.padding = check_padding(padding)
        self._kernel_options(activation, use_bias, kernel_initializer, bias_initializer,
                             kernel_regularizer)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"{self.name}: expects images (H, W, C) per example, got input "
                             f"shape {tuple(input_shape)}")
        return output_hw(input_shape[:2], self.kernel_size, self.strides, self.padding) + \
            (self.filters,)

    def build(self, input_shape, rng=None):
        shape = self.kernel_size + (input_shape[-1], self.filters)
        self.params = {}
        self.add_weight("kernel", self.kernel_initializer(shape, rng))
        if self.use_bias:
            self.add_weight("bias", self.bias_initializer((self.filters,), rng))
        return super().build(input_shape, rng)

    def _pure(self):
        return ((conv2d_forward_naive, conv2d_backward_naive) if self.implementation == "naive"
                else (conv2d_forward, conv2d_backward))

    def forward(self, x, training=False):
        self._require_built()
        x = self._check_input(x)
        with blas_threads(1):                  # chunk-sized products: see ``backward_from_logits``
            z, cache = self._pure()[0](x, self.params["kernel"], self.params.get("bias"),
                                       self.strides, self.padding)
        a, act_cache = activation_forward(z, self.activation)
        self._cache = (cache, act_cache)
        return a

    def backward(self, dout):
        dz, _ = activation_backward(np.asarray(dout, dtype=self.dtype), self._cache[1])
        return self.backward_from_logits(dz)

    def backward_from_logits(self, dz):
        """Backward pass from dL/dz (N, Ho, Wo, filters), the gradient before the activation.

        The layer runs its products on one BLAS thread, as the recurrent layers do: they are
        chunk-sized (columns of a few images), where a second thread gains little and, on a
        busy machine, costs several times the work in waits (benchmarks/conv.py --threads 0).
        """
        with blas_threads(1):
            dx, (dW, db) = self._pure()[1](np.asarray(dz, dtype=self.dtype), self._cache[0])
        self._set_kernel_grads(dW, db)
        return dx

    def __repr__(self):
        k = "x".join(map(str, self.kernel_size))
        return f"Conv2D({self.filters}, {k}, s={self.strides[0]}, {self.padding})"
