"""Chapter 7: the experiment drivers and explorers that only this chapter uses.

It imports the library (``companion.nn``, ``data``, ``models``, ``lab``), never another
chapter. Its sections:

- A kernel on a photograph: the classic 3x3 kernels, applied with the package convolution.
- The digits networks of the chapter (a small CNN and an MLP of similar size) and their explorer.
"""

from __future__ import annotations

import numpy as np

from companion.nn.layers import Conv2D, Dense, Flatten, MaxPooling2D
from companion.nn.layers.conv import conv2d_forward
from companion.nn.model import Sequential

# 3x3 kernels, in the layout the notes draw them (rows top to bottom)
KERNELS = {
    "vertical edge": np.array([[1.0, 0, -1], [1, 0, -1], [1, 0, -1]]),
    "horizontal edge": np.array([[1.0, 1, 1], [0, 0, 0], [-1, -1, -1]]),
    "Sobel vertical": np.array([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]]),
    "Sobel horizontal": np.array([[1.0, 2, 1], [0, 0, 0], [-1, -2, -1]]),
    "blur": np.full((3, 3), 1 / 9),
    "sharpen": np.array([[0.0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
    "identity": np.array([[0.0, 0, 0], [0, 1, 0], [0, 0, 0]]),
}


def photo(name: str = "china.jpg", gray: bool = True, scale: int = 2) -> np.ndarray:
    """One of scikit-learn's shipped sample photographs (offline), as floats in [0, 1].

    ``scale`` shrinks it by averaging scale x scale blocks. Returns (H, W) when ``gray``
    (ITU-R 601 luma), else (H, W, 3).
    """
    from sklearn.datasets import load_sample_image
    img = load_sample_image(name).astype(np.float64) / 255.0
    h, w = (img.shape[0] // scale) * scale, (img.shape[1] // scale) * scale
    img = img[:h, :w].reshape(h // scale, scale, w // scale, scale, 3).mean(axis=(1, 3))
    return img @ np.array([0.299, 0.587, 0.114]) if gray else img


def apply_kernel(image, kernel, stride: int = 1, padding: str = "valid") -> np.ndarray:
    """Cross-correlate a 2-D image with a 2-D kernel (Conv2D with one filter): (Ho, Wo)."""
    image, kernel = np.asarray(image, float), np.asarray(kernel, float)
    out, _ = conv2d_forward(image[None, :, :, None], kernel[:, :, None, None], None,
                            stride, padding)
    return out[0, :, :, 0]


def filter_explorer(image):
    """Explorer: kernel, stride and padding applied to ``image`` (2-D); shows the output."""
    import ipywidgets as w

    from companion.lab.explorer import Explorer

    def compute(kernel, stride, padding):
        out = apply_kernel(image, KERNELS[kernel], stride, padding)
        return {"out": out, "kernel": kernel, "summary": (
            f"{kernel}, stride {stride}, padding {padding!r}: {image.shape[0]}x{image.shape[1]}"
            f" -> {out.shape[0]}x{out.shape[1]}")}

    def draw(r):
        import matplotlib.pyplot as plt
        fig, axes = plt.subplots(1, 3, figsize=(10, 3.2), width_ratios=[4, 4, 1])
        axes[0].imshow(image, cmap="gray")
        axes[0].set_title(f"input {image.shape[0]}x{image.shape[1]}")
        lim = np.abs(r["out"]).max() or 1.0
        cmap, vmin = ("gray", None) if r["kernel"] in ("blur", "sharpen", "identity") else \
            ("RdBu_r", -lim)
        axes[1].imshow(r["out"], cmap=cmap, vmin=vmin, vmax=None if vmin is None else lim)
        axes[1].set_title(f"output {r['out'].shape[0]}x{r['out'].shape[1]}")
        axes[2].imshow(KERNELS[r["kernel"]], cmap="RdBu_r", vmin=-2, vmax=2)
        axes[2].set_title("kernel")
        for ax in axes:
            ax.axis("off")
        fig.tight_layout()
        return fig

    controls = {"kernel": w.Dropdown(options=list(KERNELS), value="vertical edge",
                                     description="kernel"),
                "stride": w.IntSlider(value=1, min=1, max=8, description="stride"),
                "padding": w.Dropdown(options=["valid", "same"], value="valid",
                                      description="padding")}
    return Explorer(compute, draw, controls, title="A kernel on the photograph")


def small_cnn(filters=(16, 32), seed: int = 0) -> Sequential:
    """conv3x3-relu, maxpool 2, conv3x3-relu, maxpool 2, flatten, dense softmax (8x8x1 input)."""
    f1, f2 = filters
    return Sequential([Conv2D(f1, 3, padding="same", activation="relu"), MaxPooling2D(2),
                       Conv2D(f2, 3, padding="same", activation="relu"), MaxPooling2D(2),
                       Flatten(), Dense(10, "softmax")], input_shape=(8, 8, 1), seed=seed)


def mlp(hidden: int = 64, seed: int = 0) -> Sequential:
    """The earlier chapters' network on the flattened 64 pixels: dense relu, dense softmax."""
    return Sequential([Flatten(), Dense(hidden, "relu"), Dense(10, "softmax")],
                      input_shape=(8, 8, 1), seed=seed)


def cnn_explorer(train, test, epochs: int = 3):
    """Explorer with a Run button: train ``small_cnn(filters)`` with Adam(learning_rate)."""
    import ipywidgets as w

    from companion.lab.explorer import Explorer
    from companion.nn.optim import Adam
    from companion.nn.train import fit

    def compute(filters, learning_rate):
        model = small_cnn((filters, 2 * filters), seed=0)
        hist = fit(model, *train, "sparse_categorical_crossentropy", Adam(learning_rate),
                   epochs=epochs, batch_size=32, validation_data=test, seed=0)
        return {"history": hist, "model": model, "summary": (
            f"{filters}/{2 * filters} filters, learning rate {learning_rate:g}: "
            f"{model.count_params()} parameters, test accuracy "
            f"{hist['val_accuracy'][-1]:.3f} after {epochs} epochs")}

    def draw(r):
        import matplotlib.pyplot as plt
        fig, axes = plt.subplots(1, 2, figsize=(9, 3))
        from companion.lab.plots import loss_curves
        loss_curves(r["history"], ax=axes[0], title="loss")
        loss_curves(r["history"], ax=axes[1], keys=("accuracy", "val_accuracy"),
                    title="accuracy (val = test set)")
        fig.tight_layout()
        return fig

    controls = {"filters": w.IntSlider(value=4, min=1, max=32, description="filters"),
                "learning_rate": w.FloatLogSlider(value=0.01, base=10, min=-4, max=0,
                                                  description="learning rate")}
    return Explorer(compute, draw, controls, title="Train a small CNN on digits",
                    run_button=True)
