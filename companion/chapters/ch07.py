"""Chapter 7: the experiment drivers and explorers that only this chapter uses.

It imports the library (``companion.nn``, ``data``, ``models``, ``lab``), never another
chapter. Its sections:

- A kernel on a photograph: the classic 3x3 kernels, applied with the package convolution.
- The 8x8-digits CNN of the training explorer.
- MNIST: the CNN and the MLPs, their training (ours and the Keras twin's on the same batches),
  the confusion matrix, the figures and the draw-a-digit explorer.
- The exercises' capstone: a CNN trained with given convolution and pooling functions.
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


# --- MNIST: the CNN against the MLP, trained with the same data, batches and schedule ----------
MNIST_SHAPE = (28, 28, 1)


def mnist_float(x) -> np.ndarray:
    """uint8 images (N, 28, 28) -> float32 (N, 28, 28, 1) in [0, 1] (x / 255, nothing else)."""
    return (np.asarray(x, np.float32) / np.float32(255))[..., None]


def mnist_cnn(seed: int = 0) -> Sequential:
    """conv 5x5 (8, valid, relu), max pool 2, conv 3x3 (16, valid, relu), max pool 2, dense
    softmax: (N, 28, 28, 1) -> 24x24x8 -> 12x12x8 -> 10x10x16 -> 5x5x16 -> (N, 10); float32."""
    return Sequential([Conv2D(8, 5, activation="relu"), MaxPooling2D(2),
                       Conv2D(16, 3, activation="relu"), MaxPooling2D(2), Flatten(),
                       Dense(10, "softmax")], input_shape=MNIST_SHAPE, seed=seed,
                      dtype="float32")


def mnist_mlp(hidden: int, seed: int = 0) -> Sequential:
    """The fully connected network on the 784 pixels: dense relu (hidden), dense softmax."""
    return Sequential([Flatten(), Dense(hidden, "relu"), Dense(10, "softmax")],
                      input_shape=MNIST_SHAPE, seed=seed, dtype="float32")


def mnist_optimizer(steps: int, learning_rate: float = 0.01, final_fraction: float = 0.05):
    """Adam whose rate decays exponentially from ``learning_rate`` to ``final_fraction`` of it
    over ``steps`` steps (the same object drives our run and, through keras_optimizer, Keras')."""
    from companion.nn.optim import Adam, ExponentialDecay
    return Adam(ExponentialDecay(learning_rate, steps, final_fraction))


def steps_for(n: int, batch_size: int, epochs: int) -> int:
    return -(-n // batch_size) * epochs


def train(model, x, y, epochs: int, batch_size: int, seed: int) -> dict:
    """Train ``model`` in place with mini-batch Adam (``mnist_optimizer``), the batches drawn
    from ``seed``; no per-epoch evaluation. Returns the history plus ``cpu_s`` (CPU seconds)."""
    import time

    from companion.nn.train import Supervised, minibatches, train_loop
    rng = np.random.default_rng(seed)
    start = time.process_time()
    hist = train_loop(Supervised(model, "sparse_categorical_crossentropy"),
                      lambda epoch: ((x[i], y[i]) for i in minibatches(len(x), batch_size, rng)),
                      mnist_optimizer(steps_for(len(x), batch_size, epochs)), epochs)
    hist["cpu_s"] = time.process_time() - start
    return hist


def keras_train(model, x, y, epochs: int, batch_size: int, seed: int):
    """The Keras twin of an untrained ``model`` (same initial weights), trained by Keras' own
    ``fit`` on the same batches in the same order (one permutation per epoch from ``seed``, as
    ``train`` draws them) with the same Adam and schedule. Returns (kmodel, CPU seconds)."""
    import time

    from companion.keras_twin import import_keras, keras_optimizer, twin
    keras = import_keras()
    start = time.process_time()
    kmodel = twin(model)
    kmodel.compile(optimizer=keras_optimizer(
        mnist_optimizer(steps_for(len(x), batch_size, epochs)), keras),
        loss="sparse_categorical_crossentropy", jit_compile=False)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(x))
        kmodel.fit(x[order], y[order], batch_size=batch_size, epochs=1, shuffle=False,
                   verbose=0)
    return kmodel, time.process_time() - start


def confusion_matrix(y_true, y_pred, n_classes: int = 10) -> np.ndarray:
    """counts[i, j] = how many examples of class i were predicted as j: (n_classes, n_classes)."""
    counts = np.zeros((n_classes, n_classes), np.int64)
    np.add.at(counts, (np.asarray(y_true, np.int64), np.asarray(y_pred, np.int64)), 1)
    return counts


def confusion_figure(counts: np.ndarray, title: str):
    """The confusion matrix on a log colour scale (the diagonal dwarfs the errors), counts
    written in the cells."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm
    fig, ax = plt.subplots(figsize=(6.2, 5.2))
    im = ax.imshow(np.maximum(counts, 0.5), cmap="Blues", norm=LogNorm(0.5, counts.max()))
    for (i, j), c in np.ndenumerate(counts):
        if c:
            ax.text(j, i, str(c), ha="center", va="center", fontsize=7,
                    color="white" if c > counts.max() / 4 else "black")
    ax.set(xticks=range(10), yticks=range(10), xlabel="predicted digit", ylabel="true digit",
           title=title)
    fig.colorbar(im, ax=ax, label="test images (log scale; 0 drawn as 0.5)")
    fig.tight_layout()
    return fig


def misclassified_figure(images, y_true, probs, n: int = 16):
    """The first ``n`` misclassified images (N, 28, 28[, 1]) with true label, prediction and
    the prediction's probability."""
    import matplotlib.pyplot as plt
    pred = probs.argmax(axis=1)
    wrong = np.flatnonzero(pred != y_true)[:n]
    fig, axes = plt.subplots(2, (n + 1) // 2, figsize=(1.25 * ((n + 1) // 2), 3.2))
    for ax, i in zip(axes.ravel(), wrong):
        ax.imshow(np.squeeze(images[i]), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"{y_true[i]} -> {pred[i]} ({probs[i, pred[i]]:.0%})", fontsize=8)
    for ax in axes.ravel():
        ax.axis("off")
    fig.suptitle(f"the first {len(wrong)} misclassified test digits: true -> predicted "
                 "(probability)", fontsize=10)
    fig.tight_layout()
    return fig


def filters_figure(model, image, label):
    """The first layer's kernels (kh, kw, 1, F) and their feature maps (after ReLU) on one
    image (28, 28, 1), one colour scale for all kernels, with colour bars."""
    import matplotlib.pyplot as plt
    layer = model.layers[0]
    kernels = layer.params["kernel"][:, :, 0, :]
    maps = layer.forward(image[None])[0]
    F = kernels.shape[-1]
    fig, axes = plt.subplots(2, F + 1, figsize=(1.5 * (F + 1) + 1, 3.6),
                             gridspec_kw={"width_ratios": [1.4] + [1] * F})
    axes[0, 0].imshow(image[:, :, 0], cmap="gray_r")
    axes[0, 0].set_title(f"input: a {label}", fontsize=9)
    lim = np.abs(kernels).max()
    top = mid = None
    for k in range(F):
        top = axes[0, k + 1].imshow(kernels[:, :, k], cmap="RdBu_r", vmin=-lim, vmax=lim)
        axes[0, k + 1].set_title(f"kernel {k}", fontsize=9)
        mid = axes[1, k + 1].imshow(maps[:, :, k], cmap="magma", vmin=0, vmax=maps.max())
        axes[1, k + 1].set_title(f"map {k}", fontsize=9)
    for ax in axes.ravel():
        ax.axis("off")
    fig.colorbar(top, ax=axes[0, :].tolist(), label="weight", shrink=0.9)
    fig.colorbar(mid, ax=axes[1, :].tolist(), label="activation", shrink=0.9)
    fig.suptitle("first layer: 5x5 kernels (red +, blue -) and their 24x24 feature maps "
                 "after ReLU", fontsize=10)
    return fig


def draw_explorer(model, examples, labels):
    """Explorer: draw a digit with the mouse (or start from one of ``examples`` (k, 28, 28),
    uint8, labelled ``labels``); shows what the trained ``model`` sees (the drawing prepared
    as MNIST's digits were), its class probabilities and its first layer's feature maps."""
    import ipywidgets as w

    from companion.lab.draw import draw_canvas, prepare, upscale
    from companion.lab.explorer import Explorer
    starts = {f"test image {i} (a {y})": upscale(img) for i, (img, y) in
              enumerate(zip(examples, labels))}
    starts["blank"] = np.zeros_like(next(iter(starts.values())))
    canvas = draw_canvas(next(iter(starts.values())))
    start = w.Dropdown(options=list(starts), description="start from")

    def load(change):                                 # runs before the Explorer's observers
        canvas.value = np.round(starts[change["new"]], 3).ravel().tolist()
    start.observe(load, names="value")

    def compute(start, drawing):
        x = prepare(drawing)[None]
        probs, maps = model.forward(x)[0], model.layers[0].forward(x)[0]
        k = int(probs.argmax())
        summary = ("blank: draw a digit with the mouse" if not x.any() else
                   f"the CNN reads a {k} (probability {probs[k]:.1%}); runner-up "
                   f"{int(np.argsort(probs)[-2])} ({np.sort(probs)[-2]:.1%})")
        return {"image": x[0, :, :, 0], "probs": probs, "maps": maps, "digit": k,
                "summary": summary}

    def draw(r):
        import matplotlib.pyplot as plt
        F = r["maps"].shape[-1]
        fig = plt.figure(figsize=(12, 3.3))
        cols = (F + 1) // 2
        grid = fig.add_gridspec(2, 3 + cols, width_ratios=[2.2, 2.8] + [1] * cols + [0.12])
        ax = fig.add_subplot(grid[:, 0])
        ax.imshow(r["image"], cmap="gray_r", vmin=0, vmax=1)
        ax.set_title("what the CNN sees (28x28)", fontsize=9)
        ax.axis("off")
        ax = fig.add_subplot(grid[:, 1])
        ax.bar(range(10), r["probs"], color=["C3" if d == r["digit"] else "C0"
                                              for d in range(10)])
        ax.set(xticks=range(10), ylim=(0, 1), xlabel="digit", ylabel="probability",
               title=f"class probabilities: {r['digit']}")
        vmax = max(float(r["maps"].max()), 1e-6)
        for k in range(F):
            ax = fig.add_subplot(grid[k % 2, 2 + k // 2])
            im = ax.imshow(r["maps"][:, :, k], cmap="magma", vmin=0, vmax=vmax)
            ax.set_title(f"map {k}", fontsize=8)
            ax.axis("off")
        fig.colorbar(im, cax=fig.add_subplot(grid[:, -1]), label="first-layer activation")
        fig.subplots_adjust(wspace=0.3, left=0.02, right=0.94)
        return fig

    return Explorer(compute, draw, {"start": start, "drawing": canvas},
                    title="Draw a digit: the CNN's probabilities and first-layer feature maps")


# --- the exercises' capstone: a CNN trained with given convolution and pooling functions ------
def capstone_forward(f: dict, params: list, x):
    """conv 3x3 'same' (pad 1) + ReLU, max pool 2, dense softmax: x (N, 8, 8, 1) -> (N, 10)."""
    z = np.asarray(f["conv_forward"](x, params[0], params[1], 1, 1), float)
    a = np.maximum(z, 0)
    h = np.asarray(f["max_pool_forward"](a, 2, 2), float)
    s = h.reshape(len(x), -1) @ params[2] + params[3]
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True), (z, a, h)


def capstone_grads(f: dict, params: list, x, y) -> tuple[float, list]:
    """Cross-entropy loss and its gradients for the four parameters (through the learner's
    backward functions)."""
    probs, (z, a, h) = capstone_forward(f, params, x)
    n = len(x)
    loss = float(-np.mean(np.log(probs[np.arange(n), y] + 1e-12)))
    ds = probs.copy()
    ds[np.arange(n), y] -= 1
    ds /= n
    dWd, dbd = h.reshape(n, -1).T @ ds, ds.sum(axis=0)
    dh = (ds @ params[2].T).reshape(h.shape)
    da = np.asarray(f["max_pool_backward"](dh, a, 2, 2), float)
    _, dW, db = f["conv_backward"](da * (z > 0), x, params[0], 1, 1)
    return loss, [np.asarray(dW, float), np.asarray(db, float), dWd, dbd]


def capstone_train(f: dict, epochs: int = 2, seed: int = 0) -> dict:
    """Train conv 3x3 (8 filters, pad 1, ReLU) -> max pool 2 -> dense softmax on the 8x8
    digits with Adam(0.01), batches of 32, computing the convolution and pooling with
    ``f["conv_forward"](x, W, b, stride, pad)``, ``f["conv_backward"](dout, x, W, stride, pad)``,
    ``f["max_pool_forward"](x, f, stride)`` and ``f["max_pool_backward"](dout, x, f, stride)``.
    Returns {"losses" (mean per epoch), "accuracy" (test), "n_test"}."""
    from companion.data import digits_images
    from companion.nn import optim
    from companion.nn.train import minibatches
    (X, y), _, (Xt, yt) = digits_images(seed=0)
    rng = np.random.default_rng(seed)
    params = [rng.normal(0, np.sqrt(2 / 9), (3, 3, 1, 8)), np.zeros(8),
              rng.normal(0, np.sqrt(1 / 128), (128, 10)), np.zeros(10)]
    opt = optim.Adam(0.01)
    state, losses = opt.init(params), []
    for _ in range(epochs):
        batch_losses = []
        for idx in minibatches(len(X), 32, rng):
            loss, grads = capstone_grads(f, params, X[idx], y[idx])
            updates, state = opt.update(grads, state, params)
            optim.apply_updates(params, updates)
            batch_losses.append(loss)
        losses.append(float(np.mean(batch_losses)))
    acc = float(np.mean(capstone_forward(f, params, Xt)[0].argmax(axis=1) == yt))
    return {"losses": losses, "accuracy": acc, "n_test": len(yt)}
