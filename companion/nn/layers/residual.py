"""The residual block of ResNets, and the plain block it is compared with.

Two convolutions; the block's input a[l] skips over them and is added *before* the second
activation (He et al., 2016):

    z[l+1] = W[l+1] * a[l] + b[l+1],      a[l+1] = g(z[l+1])
    z[l+2] = W[l+2] * a[l+1] + b[l+2],    a[l+2] = g(z[l+2] + shortcut(a[l]))

``shortcut`` is the identity when shapes agree, or a projection: a 1x1 convolution W_s a[l]
(with the block's stride) when the block changes the number of channels or the image size.
Backward: the gradient reaching z[l+2] + shortcut flows both ways, so
dL/da[l] = (gradient through the two convolutions) + (gradient through the shortcut); on the
identity path it arrives untouched, whatever the convolutions do: that is why very deep
residual networks keep training where plain ones stall.

``PlainBlock`` is the same two convolutions without the shortcut: a[l+2] = g(z[l+2]).
"""

from __future__ import annotations

import numpy as np

from companion.nn import activations
from companion.nn.layers.activation import activation_backward, activation_forward
from companion.nn.layers.composite import Block
from companion.nn.layers.conv import Conv2D
from companion.nn.layers.padding import pair
from companion.nn.model import Sequential
from companion.nn.validation import check_int


class ResidualBlock(Block):
    """ResidualBlock(filters, kernel_size=3, strides=1, shortcut='auto', activation='relu').

    Sub-layers: ``conv1`` (k x k, strides, 'same', activation g), ``conv2`` (k x k, 'same',
    linear) and, for ``shortcut='projection'`` (or 'auto' when the shape changes), ``proj``
    (1x1, strides). Input (N, H, W, C); output (N, ceil(H/s), ceil(W/s), filters).
    """
    residual = True

    def __init__(self, filters: int, kernel_size=3, strides=1, shortcut: str = "auto",
                 activation: str = "relu", kernel_initializer="glorot_uniform",
                 name: str | None = None, dtype="float64"):
        super().__init__(name, dtype)
        if not isinstance(shortcut, str) or shortcut not in ("auto", "identity", "projection"):
            raise ValueError(f"shortcut must be 'auto', 'identity' or 'projection', "
                             f"got {shortcut!r}")
        self.filters = check_int(filters, f"{type(self).__name__}: filters")
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.strides, self.shortcut = pair(strides, "strides"), shortcut
        self.activation = activations.get(activation).name
        self.kernel_initializer = kernel_initializer

    def build(self, input_shape, rng=None):
        init = self.kernel_initializer
        self.conv1 = Conv2D(self.filters, self.kernel_size, self.strides, "same",
                            self.activation, kernel_initializer=init, name="conv1")
        self.conv2 = Conv2D(self.filters, self.kernel_size, 1, "same", None,
                            kernel_initializer=init, name="conv2")
        self.main = Sequential([self.conv1, self.conv2], name="main", dtype=self.dtype)
        self.sublayers = {"conv1": self.conv1, "conv2": self.conv2}
        self.proj = None
        if self.residual:
            same_shape = input_shape[-1] == self.filters and self.strides == (1, 1)
            if self.shortcut == "identity" and not same_shape:
                raise ValueError(f"{self.name}: an identity shortcut needs strides 1 and "
                                 f"{self.filters} input channels, got input shape "
                                 f"{tuple(input_shape)} with strides {self.strides}; use "
                                 "shortcut='projection'")
            if self.shortcut == "projection" or (self.shortcut == "auto" and not same_shape):
                self.proj = Conv2D(self.filters, 1, self.strides, "same",
                                   kernel_initializer=init, name="proj")
                self.proj._set_dtype(self.dtype)
                self.sublayers["proj"] = self.proj
        shape = self.main.build(input_shape, rng)
        if self.proj is not None:
            self.proj.build(input_shape, rng)
        self.output_shape = shape
        return super().build(input_shape, rng)

    def compute_output_shape(self, input_shape):
        return self.output_shape

    def forward(self, x, training=False):
        x = self._check_input(x)
        z = self.main.forward(x, training)                                     # z[l+2]
        if self.residual:
            z = z + (x if self.proj is None else self.proj.forward(x, training))
        a, self._cache = activation_forward(z, self.activation)
        return a

    def backward(self, dout):
        dz, _ = activation_backward(np.asarray(dout, dtype=self.dtype), self._cache)
        dx = self.main.backward(dz)
        if self.residual:
            dx = dx + (dz if self.proj is None else self.proj.backward(dz))   # the skip path
        return dx

    def __repr__(self):
        kind = ("projection" if self.proj is not None else "identity") if self.built else \
            self.shortcut
        return f"{type(self).__name__}({self.filters}, s={self.strides[0]}, {kind})"


class PlainBlock(ResidualBlock):
    """The same two convolutions without the shortcut: a[l+2] = g(z[l+2])."""
    residual = False

    def __repr__(self):
        return f"PlainBlock({self.filters}, s={self.strides[0]})"
