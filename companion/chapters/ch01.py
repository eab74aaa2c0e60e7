"""Chapter 1: the experiment drivers and explorers that only this chapter uses.

It imports the library (``companion.nn``, ``data``, ``models``, ``lab``), never another
chapter. Its sections:

- The perceptron (notes, "Perceptron"): y(x) = sign(w . x + b), trained by its update rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from companion.nn.activations import sign
from companion.nn.losses import PerceptronLoss
from companion.nn.shape_checks import check_same_length
from companion.nn.validation import as_array, check_positive


def check_pm1(y, name: str = "y") -> np.ndarray:
    """Labels must be -1 or +1 (the perceptron's sign convention); returns them as float64."""
    y = as_array(y, name, ndim=1)
    bad = ~np.isin(y, (-1, 1))
    if bad.any():
        raise ValueError(f"{name}: perceptron labels must be -1 or +1, got "
                         f"{np.unique(y[bad])[:5].tolist()} (map 0/1 labels with 2*y - 1)")
    return y.astype(np.float64)


def _check_xy(X, y):
    X = as_array(X, "X", ndim=2).astype(np.float64, copy=False)
    y = check_pm1(y)
    check_same_length(X, y, "X", "y")
    return X, y


def predict(X, w, b) -> np.ndarray:
    """sign(X w + b). X: (N, D), w: (D,), b: scalar. Returns (N,) in {-1, +1}."""
    return sign(as_array(X, "X", ndim=2) @ w + b)


def criterion(X, y, w, b) -> tuple[float, np.ndarray, float]:
    """The notes' perceptron loss and its gradients: (L, dL/dw (D,), dL/db).

    Uses ``losses.PerceptronLoss`` on the scores s = X w + b; by the chain rule
    dL/dw = X^T dL/ds and dL/db = sum(dL/ds), with dL/ds_i = -y_i on misclassified points.
    """
    X, y = _check_xy(X, y)
    value, ds = PerceptronLoss()(y, X @ w + b)
    return value, X.T @ ds, float(ds.sum())


def errors(X, y, w, b) -> int:
    """Number of points with y_i (w . x_i + b) <= 0 (the boundary itself counts as wrong)."""
    X, y = _check_xy(X, y)
    return int(np.sum(y * (X @ w + b) <= 0))


@dataclass
class PerceptronHistory:
    """What happened during training: one entry per epoch (snapshots after each epoch)."""
    errors: list[int] = field(default_factory=list)       # misclassified after the epoch
    updates: list[int] = field(default_factory=list)      # updates made during the epoch
    weights: list[np.ndarray] = field(default_factory=list)   # w after each epoch, (D,)
    biases: list[float] = field(default_factory=list)
    converged_epoch: int | None = None                    # first epoch with 0 updates (1-based)
    steps: list[tuple[np.ndarray, float]] = field(default_factory=list)  # (w, b) after each update


def train(X, y, learning_rate: float = 1.0, epochs: int = 10, w0=None, b0: float = 0.0,
          stop_when_converged: bool = False) -> tuple[np.ndarray, float, PerceptronHistory]:
    """Online perceptron: for i = 1..N in order, if y_i (w . x_i + b) <= 0 then
    w += a y_i x_i and b += a y_i. Repeats for ``epochs`` passes; starts from w0 (zeros).

    X: (N, D), y: (N,) in {-1, +1}. Returns (w (D,), b, history). With
    ``stop_when_converged`` it stops after the first epoch without an update.
    """
    X, y = _check_xy(X, y)
    lr = check_positive(learning_rate, "learning_rate")
    if int(epochs) != epochs or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    w = np.zeros(X.shape[1]) if w0 is None else as_array(w0, "w0", ndim=1).astype(float).copy()
    if w.shape != (X.shape[1],):
        raise ValueError(f"w0: expected shape ({X.shape[1]},), got {w.shape}")
    b = float(b0)
    hist = PerceptronHistory()
    for epoch in range(int(epochs)):
        n_updates = 0
        for xi, yi in zip(X, y):
            if yi * (xi @ w + b) <= 0:
                w += (lr * yi) * xi          # same operation order as scikit-learn
                b += lr * yi
                n_updates += 1
                hist.steps.append((w.copy(), b))
        hist.updates.append(n_updates)
        hist.errors.append(errors(X, y, w, b))
        hist.weights.append(w.copy())
        hist.biases.append(b)
        if n_updates == 0 and hist.converged_epoch is None:
            hist.converged_epoch = epoch + 1
            if stop_when_converged:
                break
    return w, b, hist


def train_keras(X, y, learning_rate: float = 1.0, epochs: int = 10):
    """The same online rule written with ``keras.ops`` (runs on Keras' backend and device).

    Returns (w (D,), b) as NumPy float64 arrays. Used as a cross-check of ``train``.
    """
    from companion.keras_twin import import_keras
    X, y = _check_xy(X, y)
    lr = check_positive(learning_rate, "learning_rate")
    ops = import_keras().ops
    Xk, yk = ops.convert_to_tensor(X, "float64"), ops.convert_to_tensor(y, "float64")
    w, b = ops.zeros((X.shape[1],), "float64"), ops.convert_to_tensor(0.0, "float64")
    for _ in range(int(epochs)):
        for i in range(len(X)):
            xi, yi = Xk[i], yk[i]
            wrong = ops.cast(yi * (ops.sum(xi * w) + b) <= 0, "float64")   # 1 or 0
            w = w + wrong * (lr * yi) * xi
            b = b + wrong * lr * yi
    return np.asarray(ops.convert_to_numpy(w)), float(ops.convert_to_numpy(b))


def sklearn_perceptron(X, y, learning_rate: float = 1.0, epochs: int = 10):
    """scikit-learn's Perceptron with settings that make it the notes' online rule.

    eta0 = learning rate, max_iter = epochs, no shuffling, no penalty, tol=None (run every
    epoch), weights start at 0. Returns (w (D,), b).
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import Perceptron
    X, y = _check_xy(X, y)
    clf = Perceptron(eta0=learning_rate, max_iter=int(epochs), tol=None, shuffle=False,
                     penalty=None, fit_intercept=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    # sklearn's positive class is classes_[1] = +1, so coef_ is already w for our labels
    return clf.coef_.ravel().copy(), float(clf.intercept_[0])


# --- datasets of the chapter -------------------------------------------------------------
def dataset(name: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Two-feature, +-1 labelled sets: X (N, 2), y (N,), feature names.

    ``setosa-versicolor`` (iris sepal length and petal width: separable),
    ``versicolor-virginica`` (iris petal length and width: overlapping), ``xor`` (not
    separable), ``blobs`` (separable). The iris rows are put in a fixed random order (the
    file lists one species after the other, which makes the online rule oscillate).
    """
    from companion.data import datasets as data
    if name in ("setosa-versicolor", "versicolor-virginica"):
        X, t, feats, _ = data.iris()
        a, b = (0, 1) if name == "setosa-versicolor" else (1, 2)
        cols = [0, 3] if name == "setosa-versicolor" else [2, 3]
        keep = np.flatnonzero((t == a) | (t == b))
        keep = keep[np.random.default_rng(seed).permutation(len(keep))]
        return X[keep][:, cols], np.where(t[keep] == b, 1.0, -1.0), [feats[c] for c in cols]
    if name == "xor":
        X, t = data.xor(100, seed=seed)
    elif name == "blobs":
        X, t = data.blobs(100, centers=((-1.5, -1.5), (1.5, 1.5)), std=0.7, seed=seed)
    else:
        raise ValueError(f"unknown dataset {name!r}; choose one of {DATASETS}")
    return X, 2.0 * t - 1.0, ["x1", "x2"]


DATASETS = ("setosa-versicolor", "versicolor-virginica", "xor", "blobs")


def draw_line(ax, w, b, xlim, **kw):
    """Draw the boundary w1 x1 + w2 x2 + b = 0 across ``xlim`` on ``ax``."""
    xs = np.linspace(*xlim, 2)
    if abs(w[1]) > 1e-12:
        ax.plot(xs, -(w[0] * xs + b) / w[1], **kw)
    elif abs(w[0]) > 1e-12:
        ax.axvline(-b / w[0], **kw)
    return ax


# --- the chapter's explorer -----------------------------------------------------------------
def explore(learning_rate: float = 1.0, epochs: int = 20, dataset_name: str = "setosa-versicolor"):
    """Train on a dataset and report: the explorer's pure compute function."""
    X, y, feats = dataset(dataset_name)
    w, b, hist = train(X, y, learning_rate, epochs)
    conv = (f"converged in epoch {hist.converged_epoch}" if hist.converged_epoch
            else f"not converged: {hist.errors[-1]} errors after {epochs} epochs")
    return {"X": X, "y": y, "features": feats, "w": w, "b": b, "history": hist,
            "summary": f"{dataset_name}, learning rate {learning_rate:g}: {conv}"}


def draw(result):
    """Left: data and the boundary after every epoch (light to dark). Right: errors per epoch."""
    import matplotlib.pyplot as plt

    from companion.lab.plots import scatter_classes
    X, y, hist = result["X"], result["y"], result["history"]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    scatter_classes(X, (y > 0).astype(int), ax, labels=["-1", "+1"])
    xlim = (X[:, 0].min() - 0.5, X[:, 0].max() + 0.5)
    n = len(hist.weights)
    for k, (w, b) in enumerate(zip(hist.weights, hist.biases)):
        draw_line(ax, w, b, xlim, color=plt.cm.Greys(0.25 + 0.75 * (k + 1) / n), lw=1)
    ax.set(xlim=xlim, ylim=(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5),
           xlabel=result["features"][0], ylabel=result["features"][1],
           title="boundary after each epoch (darker = later)")
    ax.legend(loc="best", fontsize=8)
    ax2.plot(np.arange(1, n + 1), hist.errors, "o-", ms=3)
    ax2.set(xlabel="epoch", ylabel="misclassified points", title="errors per epoch")
    fig.tight_layout()
    return fig


def explorer():
    """A dropdown over the datasets first (from w = 0 the learning rate alone changes nothing
    visible), then sliders over epochs and learning rate."""
    import ipywidgets as w

    from companion.lab.explorer import Explorer
    controls = {"dataset_name": w.Dropdown(options=DATASETS, value="setosa-versicolor",
                                           description="dataset"),
                "epochs": w.IntSlider(value=20, min=1, max=100, description="epochs"),
                "learning_rate": w.FloatLogSlider(value=1.0, base=10, min=-3, max=1,
                                                  description="learning rate")}
    return Explorer(explore, draw, controls, title="Perceptron explorer")
