"""The Inception module (Szegedy et al., 2015): several filter sizes side by side.

Instead of choosing one kernel size, run them all on the same input and let training decide
which to use. Four branches, every one keeping the image size ('same' padding, stride 1):

    b1 = relu(conv1x1(x))
    b3 = relu(conv3x3(relu(conv1x1(x))))      the 1x1 "bottleneck" first shrinks the channels,
    b5 = relu(conv5x5(relu(conv1x1(x))))      so the expensive kxk convolution is cheaper
    bp = relu(conv1x1(maxpool3x3(x)))
    out = concatenate([b1, b3, b5, bp], axis=channels)

Backward: the output gradient is split along the channels, each piece goes back through its
branch, and the four input gradients are added (x fed all four).
``conv_multiplications`` counts what the bottleneck saves.
"""

from __future__ import annotations

import numpy as np

from companion.nn import activations
from companion.nn.layers.composite import Block
from companion.nn.layers.conv import Conv2D
from companion.nn.layers.padding import pair
from companion.nn.layers.pool import MaxPooling2D
from companion.nn.model import Sequential
from companion.nn.validation import check_int


def conv_multiplications(out_hw, kernel: int, in_channels: int, filters: int) -> int:
    """Multiplications of a 'same' convolution: one kxkxC dot product per output number."""
    out_hw, kernel = pair(out_hw, "out_hw"), check_int(kernel, "kernel")
    in_channels, filters = check_int(in_channels, "in_channels"), check_int(filters, "filters")
    return int(np.prod(out_hw)) * filters * kernel * kernel * in_channels


def bottleneck_savings(hw=(28, 28), in_channels=192, filters=32, kernel=5,
                       bottleneck=16) -> dict:
    """Multiplications of a kxk conv straight on the input vs. after a 1x1 bottleneck.

    Defaults: 28x28x192 -> 32 filters 5x5, with/without a 16-channel 1x1 conv first.
    """
    hw, kernel, bottleneck = pair(hw, "hw"), check_int(kernel, "kernel"), \
        check_int(bottleneck, "bottleneck")
    in_channels, filters = check_int(in_channels, "in_channels"), check_int(filters, "filters")
    direct = conv_multiplications(hw, kernel, in_channels, filters)
    squeeze = conv_multiplications(hw, 1, in_channels, bottleneck)
    expand = conv_multiplications(hw, kernel, bottleneck, filters)
    return {"direct": direct, "bottleneck_1x1": squeeze, "bottleneck_kxk": expand,
            "with_bottleneck": squeeze + expand, "ratio": direct / (squeeze + expand)}


class InceptionModule(Block):
    """InceptionModule(f1, (r3, f3), (r5, f5), fp): branch widths as in GoogLeNet's table.

    f1: 1x1 filters; r3/r5: bottleneck widths before the 3x3/5x5 convolutions (f3/f5 filters);
    fp: 1x1 filters after the 3x3 max pooling. Input (N, H, W, C); output
    (N, H, W, f1 + f3 + f5 + fp).
    """

    def __init__(self, f1: int, b3: tuple[int, int], b5: tuple[int, int], fp: int,
                 activation: str = "relu", name: str | None = None, dtype="float64"):
        super().__init__(name, dtype)
        for what, v in (("b3", b3), ("b5", b5)):
            if not isinstance(v, (tuple, list)) or len(v) != 2:
                raise ValueError(f"InceptionModule: {what} must be a pair (reduce, filters) of "
                                 f"positive integers, got {v!r}")
        f1, fp = check_int(f1, "InceptionModule: f1"), check_int(fp, "InceptionModule: fp")
        b3 = tuple(check_int(k, "InceptionModule: b3 entries") for k in b3)
        b5 = tuple(check_int(k, "InceptionModule: b5 entries") for k in b5)
        self.widths = (f1, b3, b5, fp)
        activations.get(activation)                       # an unknown name fails here
        self.activation = activation

    def build(self, input_shape, rng=None):
        (f1, (r3, f3), (r5, f5), fp), g = self.widths, self.activation
        self.branches = [Sequential(layers, name=f"branch{i}", dtype=self.dtype) for i, layers in
                         enumerate([
                             [Conv2D(f1, 1, padding="same", activation=g, name="b1_1x1")],
                             [Conv2D(r3, 1, padding="same", activation=g, name="b3_reduce"),
                              Conv2D(f3, 3, padding="same", activation=g, name="b3_3x3")],
                             [Conv2D(r5, 1, padding="same", activation=g, name="b5_reduce"),
                              Conv2D(f5, 5, padding="same", activation=g, name="b5_5x5")],
                             [MaxPooling2D(3, 1, "same", name="pool"),
                              Conv2D(fp, 1, padding="same", activation=g, name="pool_1x1")]])]
        shapes = [branch.build(input_shape, rng) for branch in self.branches]
        # Keras' functional model lists weights by depth in the graph (the bottlenecks, then
        # the layers producing the outputs, each level in branch order): we list ours the same
        by_name = {layer.name: layer for branch in self.branches for layer in branch.layers}
        self.sublayers = {n: by_name[n] for n in ("b3_reduce", "b5_reduce", "b1_1x1", "b3_3x3",
                                                   "b5_5x5", "pool_1x1")}
        self.splits = np.cumsum([s[-1] for s in shapes])[:-1]
        self.output_shape = tuple(input_shape[:2]) + (int(sum(s[-1] for s in shapes)),)
        return super().build(input_shape, rng)

    def compute_output_shape(self, input_shape):
        return self.output_shape

    def forward(self, x, training=False):
        x = self._check_input(x)
        return np.concatenate([b.forward(x, training) for b in self.branches], axis=-1)

    def backward(self, dout):
        parts = np.split(dout, self.splits, axis=-1)
        dx = sum(b.backward(d) for b, d in zip(self.branches, parts))
        return dx

    def __repr__(self):
        return f"Inception{self.widths}"
