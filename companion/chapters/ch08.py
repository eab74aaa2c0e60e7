"""Chapter 8: the experiment drivers and explorers that only this chapter uses.

It imports the library, never another chapter: deep plain and residual CNNs (on the 8x8 digits
or on MNIST, where a stride-2 stem takes 28x28 to 7x7 before the deep stack), a small
Inception network and its same-width 3x3 rival, their training with the CPU time measured,
and the kernel-gradient norms by depth with their explorer.
"""

from __future__ import annotations

import time

import numpy as np

from companion.nn.layers import (
    Conv2D,
    Dense,
    Flatten,
    InceptionModule,
    MaxPooling2D,
    PlainBlock,
    ResidualBlock,
)
from companion.nn.layers.inception import conv_multiplications
from companion.nn.model import Sequential
from companion.nn.validation import check_int

MNIST_SHAPE = (28, 28, 1)
MNIST_STEM = (2, 2)            # two stride-2 convolutions: 28x28 -> 14x14 -> 7x7


def deep_cnn(blocks: int, residual: bool, width: int = 8, seed: int = 0,
             kernel_initializer="glorot_uniform", zero_last: bool = False,
             input_shape=(8, 8, 1), stem_strides=(1,), dtype="float64") -> Sequential:
    """A stem of 3x3 convolutions (one per entry of ``stem_strides``, each with that stride),
    ``blocks`` two-conv blocks (residual or plain), flatten, dense softmax.

    (N, H, W, C) -> (N, 10). Depth: len(stem_strides) + 2 * blocks convolutions + 1 dense
    layer. Same parameters either way (all shortcuts are identities), so only the skip
    connections differ. ``zero_last`` starts the second convolution of every block at zero,
    so that a residual block starts as the identity (Goyal et al., 2017; Fixup), instead of
    adding its branch's variance.
    """
    blocks = check_int(blocks, "blocks", minimum=0)
    block = ResidualBlock if residual else PlainBlock
    layers = [Conv2D(width, 3, strides=s, padding="same", activation="relu",
                     kernel_initializer=kernel_initializer) for s in stem_strides]
    layers += [block(width, kernel_initializer=kernel_initializer) for _ in range(blocks)]
    model = Sequential(layers + [Flatten(), Dense(10, "softmax")], input_shape=input_shape,
                       seed=seed, dtype=dtype)
    if zero_last:
        for layer in model.layers[len(stem_strides):len(stem_strides) + blocks]:
            layer.conv2.params["kernel"][...] = 0.0
    return model


def mnist_deep_cnn(blocks: int, residual: bool, seed: int = 0,
                   kernel_initializer="he_normal", zero_last: bool = False) -> Sequential:
    """``deep_cnn`` for MNIST (N, 28, 28, 1) float32: conv 3x3 stride 2 (8, 28 -> 14), conv
    3x3 stride 2 (8, 14 -> 7), ``blocks`` blocks of two 3x3 convolutions (8) at 7x7, dense
    softmax: 2 + 2 * blocks convolutions, 5,762 + 1,168 * (blocks - 1) parameters."""
    return deep_cnn(blocks, residual, seed=seed, kernel_initializer=kernel_initializer,
                    zero_last=zero_last, input_shape=MNIST_SHAPE, stem_strides=MNIST_STEM,
                    dtype="float32")


def small_inception(seed: int = 0, input_shape=(8, 8, 1), stem_stride: int = 1,
                    dtype="float64") -> Sequential:
    """conv3x3 (8, ``stem_stride``), Inception(4, (4, 8), (2, 4), 4) -> 20 channels, maxpool,
    dense softmax. On MNIST (stride 2): 28x28 -> 14x14x8 -> 14x14x20 -> 7x7x20 -> 10."""
    return Sequential([Conv2D(8, 3, strides=stem_stride, padding="same", activation="relu"),
                       InceptionModule(4, (4, 8), (2, 4), 4), MaxPooling2D(2), Flatten(),
                       Dense(10, "softmax")], input_shape=input_shape, seed=seed, dtype=dtype)


def small_conv(seed: int = 0, input_shape=MNIST_SHAPE, stem_stride: int = 2,
               dtype="float32") -> Sequential:
    """``small_inception`` with the module replaced by one 3x3 convolution of the same output
    width (20 channels): the same stem, pooling and dense layer."""
    return Sequential([Conv2D(8, 3, strides=stem_stride, padding="same", activation="relu"),
                       Conv2D(20, 3, padding="same", activation="relu"), MaxPooling2D(2),
                       Flatten(), Dense(10, "softmax")], input_shape=input_shape, seed=seed,
                      dtype=dtype)


def inception_multiplications(hw, in_channels: int, widths) -> int:
    """Multiplications per image of ``InceptionModule(*widths)`` on an (h, w, in_channels)
    input, widths = (f1, (r3, f3), (r5, f5), fp): the 1x1 branch, each bottleneck and its
    kxk convolution, and the pooling branch's 1x1 (the max pooling multiplies nothing)."""
    f1, (r3, f3), (r5, f5), fp = widths
    return (conv_multiplications(hw, 1, in_channels, f1)
            + conv_multiplications(hw, 1, in_channels, r3) + conv_multiplications(hw, 3, r3, f3)
            + conv_multiplications(hw, 1, in_channels, r5) + conv_multiplications(hw, 5, r5, f5)
            + conv_multiplications(hw, 1, in_channels, fp))


def train(model, train_data, dev_data, optimizer, epochs: int, batch_size: int,
          seed: int) -> dict:
    """``fit`` ``model`` in place on ``train_data`` = (x, y) with ``dev_data`` for validation,
    batches drawn from ``seed``. Returns fit's history plus ``cpu_s``, the CPU seconds taken
    (training and the per-epoch evaluations)."""
    from companion.nn.train import fit
    start = time.process_time()
    hist = fit(model, *train_data, "sparse_categorical_crossentropy", optimizer, epochs=epochs,
               batch_size=batch_size, validation_data=dev_data, seed=seed, progress=None)
    hist["cpu_s"] = time.process_time() - start
    return hist


def kernel_gradient_norms(model, x, y, loss="sparse_categorical_crossentropy") -> list:
    """||dL/dW|| of every convolution / dense kernel, input side first: [(name, norm)]."""
    model.loss_and_grads(x, y, loss, training=False)
    return [(name, float(np.linalg.norm(g))) for name, g in
            model.grads.items() if name.endswith("kernel")]


def depth_explorer(x, y, make=deep_cnn):
    """Explorer: per-layer gradient norms at initialisation for a plain / residual network.

    x: (N, H, W, 1) images, y: (N,) labels; ``make(blocks, residual, seed=,
    kernel_initializer=)`` builds the networks (``deep_cnn`` for 8x8, ``mnist_deep_cnn``)."""
    import ipywidgets as w

    from companion.lab.explorer import Explorer

    def compute(blocks, initializer):
        norms = {kind: kernel_gradient_norms(make(blocks, kind == "residual", seed=0,
                                                  kernel_initializer=initializer), x, y)
                 for kind in ("plain", "residual")}
        med = {k: float(np.median([n for _, n in v])) for k, v in norms.items()}
        return {"norms": norms, "median": med, "summary": (
            f"{len(norms['plain']) - 1} conv layers, {initializer}: median kernel gradient norm "
            f"plain {med['plain']:.1e}, residual {med['residual']:.1e}")}

    def draw(r):
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6, 3.2))
        for kind, vals in r["norms"].items():
            ax.semilogy(range(1, len(vals) + 1), [v for _, v in vals], ".-", label=kind)
        ax.set_xlabel("layer (input side first)")
        ax.set_ylabel("||dL/dW|| at initialisation")
        ax.set_title(r["summary"].split(":")[0])
        ax.legend()
        fig.tight_layout()
        return fig

    controls = {"blocks": w.IntSlider(value=8, min=1, max=24, description="blocks"),
                "initializer": w.Dropdown(options=["glorot_uniform", "he_normal",
                                                   "lecun_normal"], description="init")}
    return Explorer(compute, draw, controls, title="Gradient norms through depth")
