"""Chapter 6's batch-norm experiments: a deeper network on the digits with and without batch
normalisation, learning-rate sweeps, the batch-size dependence of BN's noise, and the explorer.
"""
from __future__ import annotations

import numpy as np

from . import optim
from .errors import DivergenceError
from .layers import Activation, BatchNormalization, Dense
from .layers.batchnorm import batchnorm_forward
from .model import Sequential
from .train import fit


def deep_model(bn: bool, depth: int = 6, width: int = 64, n_in: int = 64, n_out: int = 10,
               seed: int = 0) -> Sequential:
    """``depth`` hidden layers Dense -> [BatchNormalization] -> ReLU, then a softmax layer.

    With BN the hidden Dense layers have no bias: BN subtracts the batch mean, so a bias
    before it would cancel out (beta plays its role)."""
    layers = []
    for _ in range(depth):
        layers.append(Dense(width, use_bias=not bn))
        if bn:
            layers.append(BatchNormalization())
        layers.append(Activation("relu"))
    layers.append(Dense(n_out, "softmax"))
    return Sequential(layers, input_shape=(n_in,), seed=seed)


def train_run(data, bn: bool, learning_rate: float, batch_size: int = 32, epochs: int = 8,
              momentum: float = 0.0, seed: int = 0, depth: int = 6, progress=False,
              threads: int | None = 1) -> dict:
    """Train ``deep_model(bn)`` with SGD; returns the history plus ``diverged_at`` (step or None)
    and ``dev_accuracy`` (last epoch; chance level if it diverged). ``threads=1`` runs NumPy's
    BLAS on one thread, faster for matrices this small (None: the library's default)."""
    if threads is not None:
        from .hyperparams import _blas_threads
        with _blas_threads(threads):
            return train_run(data, bn, learning_rate, batch_size, epochs, momentum, seed, depth,
                             progress, threads=None)
    (Xtr, ytr), dev = data[0], data[1]
    model = deep_model(bn, depth=depth, seed=seed)
    try:
        hist = fit(model, Xtr, ytr, "sparse_categorical_crossentropy",
                   optim.SGD(learning_rate, momentum=momentum), epochs=epochs,
                   batch_size=batch_size, validation_data=dev, seed=seed, progress=progress)
        hist.update(diverged_at=None, dev_accuracy=hist["val_accuracy"][-1], model=model)
    except DivergenceError as exc:
        step = int(str(exc).split("at step ")[1].split(":")[0])
        hist = {"diverged_at": step, "dev_accuracy": 0.1, "model": model}
    return hist


def lr_sweep(data, learning_rates, epochs: int = 8, batch_size: int = 32, seed: int = 0) -> dict:
    """{(bn, learning_rate): dev accuracy} for both variants."""
    return {(bn, lr): train_run(data, bn, lr, batch_size, epochs, seed=seed)["dev_accuracy"]
            for bn in (False, True) for lr in learning_rates}


def bn_noise(X, batch_sizes=(4, 16, 64, 256), draws: int = 200, example: int = 0, seed=0):
    """How much one example's normalised value moves when its mini-batch companions change.

    For each batch size m: put ``X[example]`` in ``draws`` random batches of m - 1 others,
    batch-normalise (gamma 1, beta 0) and return the standard deviation of its normalised
    features, averaged over features. Roughly ~ 1/sqrt(m): BN's noise fades with batch size."""
    rng = np.random.default_rng(seed)
    others = np.delete(np.arange(len(X)), example)
    out = {}
    c = X.shape[1]
    for m in batch_sizes:
        vals = np.empty((draws, c))
        for d in range(draws):
            idx = np.r_[example, rng.choice(others, m - 1, replace=False)]
            vals[d] = batchnorm_forward(X[idx], np.ones(c), np.zeros(c))[0][0]
        out[m] = float(vals.std(axis=0).mean())
    return out


def compute_training(data, batch_size: int = 32, learning_rate: float = 0.1,
                     batch_norm: bool = True, epochs: int = 6) -> dict:
    """Explorer callback: one run with the chosen settings (and the other BN setting beside it)."""
    runs = {bn: train_run(data, bn, learning_rate, batch_size, epochs) for bn in (batch_norm,
                                                                                 not batch_norm)}
    r = runs[batch_norm]
    tag = "with BN" if batch_norm else "without BN"
    status = (f"diverged at step {r['diverged_at']}" if r["diverged_at"] is not None else
              f"dev accuracy {r['dev_accuracy']:.3f}")
    other = runs[not batch_norm]
    other_s = (f"diverged at step {other['diverged_at']}" if other["diverged_at"] is not None
               else f"dev accuracy {other['dev_accuracy']:.3f}")
    return {"runs": runs, "batch_norm": batch_norm,
            "summary": f"{tag}: {status}   (the other setting: {other_s})"}


def draw_training(result: dict):
    import matplotlib.pyplot as plt
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.5))
    for bn, r in result["runs"].items():
        label = "BN" if bn else "no BN"
        style = "-" if bn == result["batch_norm"] else ":"
        if "batch_loss" in r:
            a1.plot(r["batch_loss"], style, lw=0.8, label=label)
            a2.plot(np.arange(1, len(r["val_accuracy"]) + 1), r["val_accuracy"], style + "o",
                    label=label)
    a1.set(xlabel="step", ylabel="mini-batch loss", yscale="log")
    a2.set(xlabel="epoch", ylabel="dev accuracy", ylim=(0, 1))
    a1.legend()
    a2.legend()
    fig.tight_layout()
    return fig


def explorer(data):
    import functools

    import ipywidgets as w

    from .widgets import Explorer
    controls = {
        "batch_size": w.Dropdown(options=[8, 16, 32, 64, 128, 256], value=32,
                                 description="batch size"),
        "learning_rate": w.FloatLogSlider(value=0.1, base=10, min=-3, max=0.5, step=0.25,
                                          description="learning rate"),
        "batch_norm": w.Checkbox(value=True, description="batch norm"),
    }
    return Explorer(functools.partial(compute_training, data), draw_training, controls,
                    title="A 6-hidden-layer ReLU network on the digits, plain SGD")
