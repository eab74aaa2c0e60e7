"""Chapter 8: the experiment drivers and explorers that only this chapter uses.

It imports the library, never another chapter: deep plain and residual CNNs on the digits,
a small Inception network, and the kernel-gradient norms by depth with their explorer.
"""

from __future__ import annotations

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
from companion.nn.model import Sequential


def deep_cnn(blocks: int, residual: bool, width: int = 8, seed: int = 0,
             kernel_initializer="glorot_uniform", zero_last: bool = False) -> Sequential:
    """A stem conv, ``blocks`` two-conv blocks (residual or plain), flatten, dense softmax.

    Depth: 2 * blocks + 1 convolutions + 1 dense layer. Same parameters either way (all
    shortcuts are identities), so only the skip connections differ. ``zero_last`` starts the
    second convolution of every block at zero, so that a residual block starts as the
    identity (Goyal et al., 2017; Fixup), instead of adding its branch's variance.
    """
    block = ResidualBlock if residual else PlainBlock
    layers = [Conv2D(width, 3, padding="same", activation="relu",
                     kernel_initializer=kernel_initializer)]
    layers += [block(width, kernel_initializer=kernel_initializer) for _ in range(blocks)]
    model = Sequential(layers + [Flatten(), Dense(10, "softmax")], input_shape=(8, 8, 1),
                       seed=seed)
    if zero_last:
        for layer in model.layers[1:1 + blocks]:
            layer.conv2.params["kernel"][...] = 0.0
    return model


def small_inception(seed: int = 0) -> Sequential:
    """conv3x3 (8), Inception(4, (4, 8), (2, 4), 4) -> 20 channels, maxpool, dense softmax."""
    return Sequential([Conv2D(8, 3, padding="same", activation="relu"),
                       InceptionModule(4, (4, 8), (2, 4), 4), MaxPooling2D(2), Flatten(),
                       Dense(10, "softmax")], input_shape=(8, 8, 1), seed=seed)


def kernel_gradient_norms(model, x, y, loss="sparse_categorical_crossentropy") -> list:
    """||dL/dW|| of every convolution / dense kernel, input side first: [(name, norm)]."""
    model.loss_and_grads(x, y, loss, training=False)
    return [(name, float(np.linalg.norm(g))) for name, g in
            model.grads.items() if name.endswith("kernel")]


def depth_explorer(x, y):
    """Explorer: per-layer gradient norms at initialisation for a plain / residual network."""
    import ipywidgets as w

    from companion.lab.explorer import Explorer

    def compute(blocks, initializer):
        norms = {kind: kernel_gradient_norms(deep_cnn(blocks, kind == "residual", seed=0,
                                                      kernel_initializer=initializer), x, y)
                 for kind in ("plain", "residual")}
        med = {k: float(np.median([n for _, n in v])) for k, v in norms.items()}
        return {"norms": norms, "median": med, "summary": (
            f"{2 * blocks + 1} conv layers, {initializer}: median kernel gradient norm "
            f"plain {med['plain']:.1e}, residual {med['residual']:.1e}")}

    def draw(r):
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6, 3.2))
        for kind, vals in r["norms"].items():
            ax.semilogy(range(1, len(vals) + 1), [v for _, v in vals], ".-", label=kind)
        ax.set_xlabel("layer (input side first)")
        ax.set_ylabel("||dL/dW|| at initialisation")
        ax.legend()
        fig.tight_layout()
        return fig

    controls = {"blocks": w.IntSlider(value=8, min=1, max=24, description="blocks"),
                "initializer": w.Dropdown(options=["glorot_uniform", "he_normal",
                                                   "lecun_normal"], description="init")}
    return Explorer(compute, draw, controls, title="Gradient norms through depth")
