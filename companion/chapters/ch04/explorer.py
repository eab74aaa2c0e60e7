"""Chapter 4's explorer: the notes' lambda, the keep probability, the initialiser and the depth
of a ReLU network on a noisy 2-D set (moons with flipped labels).
"""

from __future__ import annotations

import numpy as np

from companion.nn import optim
from companion.nn.regularizers import from_notes_lambda
from companion.nn.validation import DivergenceError, rng_from

from .network import deep_network, train_and_score


EXPLORER_INITS = ("he_normal", "glorot_uniform", "small_random", "standard_normal", "zeros")


def noisy_moons(n: int = 1000, noise: float = 0.25, flip: float = 0.1, n_train: int = 150,
                n_dev: int = 500, seed=1):
    """Moons with Gaussian noise and a fraction ``flip`` of labels flipped.

    Returns ((X_train, y_train), (X_dev, y_dev)) with y of shape (N, 1).
    """
    from companion.data.datasets import moons
    X, y = moons(n, noise=noise, seed=seed)
    flipped = rng_from(seed + 4).random(n) < flip
    y = np.where(flipped, 1 - y, y)[:, None]
    if n_train + n_dev > n:
        raise ValueError(f"n_train + n_dev = {n_train + n_dev} exceeds n = {n}")
    return (X[:n_train], y[:n_train]), (X[n_train:n_train + n_dev], y[n_train:n_train + n_dev])


def run(train, dev, lam: float = 0.0, keep_prob: float = 1.0, initializer: str = "he_normal",
        depth: int = 2, width: int = 64, epochs: int = 200, learning_rate: float = 0.01,
        seed: int = 0) -> dict:
    """Train a ``depth``-hidden-layer ReLU network with the notes' L2 lambda (lam/2m sum w^2)
    and one keep probability for every hidden layer; return accuracies and the model."""
    m = len(train[0])
    reg = from_notes_lambda(lam, m) if lam > 0 else None
    model = deep_network([train[0].shape[1]] + [width] * int(depth) + [1], activations="relu",
                         initializer=initializer, regularizer=reg, keep_probs=keep_prob,
                         seed=seed)
    try:
        out = train_and_score(model, train, dev, optimizer=optim.Adam(learning_rate),
                              epochs=epochs, seed=seed, validate=False)
    except DivergenceError as exc:
        return {"model": None, "train_acc": float("nan"), "dev_acc": float("nan"),
                "summary": f"diverged: {exc}"}
    out["summary"] = (f"lambda={lam:g} (Keras l2={reg.l2 if reg else 0:.2g}), "
                      f"keep_prob={keep_prob:g}, {initializer}, depth {depth}: "
                      f"train {out['train_acc']:.3f}, dev {out['dev_acc']:.3f}, "
                      f"gap {out['train_acc'] - out['dev_acc']:+.3f}")
    return out


def explorer(train=None, dev=None, epochs: int = 200):
    """Sliders over lambda, keep_prob, initialiser and depth; redraws the boundary."""
    import ipywidgets as w

    from companion.lab.explorer import Explorer
    from companion.lab.plots import decision_boundary
    if train is None:
        train, dev = noisy_moons()

    def compute(lam, keep_prob, initializer, depth):
        return run(train, dev, lam=lam, keep_prob=keep_prob, initializer=initializer,
                   depth=depth, epochs=epochs)

    def draw(result):
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(5, 4))
        if result["model"] is not None:
            decision_boundary(result["model"].predict, train[0], train[1][:, 0], ax=ax,
                              steps=120)
            ax.set_title(f"train {result['train_acc']:.2f} / dev {result['dev_acc']:.2f}")
            ax.set(xlabel="x1", ylabel="x2")
        return fig

    controls = {
        "lam": w.FloatSlider(value=0.0, min=0.0, max=5.0, step=0.25, description="lambda"),
        "keep_prob": w.FloatSlider(value=1.0, min=0.2, max=1.0, step=0.1,
                                   description="keep_prob"),
        "initializer": w.Dropdown(options=EXPLORER_INITS, value="he_normal",
                                  description="init"),
        "depth": w.IntSlider(value=2, min=1, max=10, description="depth"),
    }
    return Explorer(compute, draw, controls, title="Regularisation and initialisation")
