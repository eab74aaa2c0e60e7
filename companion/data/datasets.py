"""Offline datasets, splits and input normalisation.

Generated 2-D sets (flower, moons, circles, blobs, XOR) are made here from an explicit seed.
Real sets come from files installed with scikit-learn (iris, breast cancer, digits: they ship
inside its wheel, nothing is downloaded) or from the course's ``assets/`` folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from companion.nn.shape_checks import check_same_length
from companion.nn.validation import (
    as_array,
    check_bool,
    check_finite,
    check_int,
    check_interval,
    check_non_negative,
    check_nonempty,
    check_positive,
    rng_from,
)

ASSETS = Path(__file__).resolve().parents[2] / "assets"


# --- generated 2-D sets: X (N, 2) float64, y (N,) int64 ------------------------------------
def _check_size(n, noise, noise_name: str = "noise") -> int:
    """Every generator's ``n`` (at least one point per class) and ``noise`` (>= 0)."""
    check_non_negative(noise, noise_name)
    return check_int(n, "n", minimum=2)


def flower(n: int = 400, petals: int = 4, noise: float = 0.2, seed=0):
    """The planar 'flower' of two interleaved classes (as in the classic shallow-net exercise)."""
    n, petals = _check_size(n, noise), check_positive(petals, "petals")
    rng = rng_from(seed)
    half = n // 2
    X, y = np.zeros((2 * half, 2)), np.repeat([0, 1], half)
    for j in range(2):
        t = np.linspace(j * 3.12, (j + 1) * 3.12, half) + rng.standard_normal(half) * noise
        r = petals * np.sin(4 * t) + rng.standard_normal(half) * noise
        X[j * half:(j + 1) * half] = np.c_[r * np.sin(t), r * np.cos(t)]
    return X, y


def moons(n: int = 400, noise: float = 0.2, seed=0):
    """Two interleaving half circles."""
    n = _check_size(n, noise)
    rng = rng_from(seed)
    n0 = n // 2
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n - n0)
    X = np.r_[np.c_[np.cos(t0), np.sin(t0)], np.c_[1 - np.cos(t1), 0.5 - np.sin(t1)]]
    X = X + rng.normal(0, noise, X.shape)
    y = np.r_[np.zeros(n0, np.int64), np.ones(n - n0, np.int64)]
    perm = rng.permutation(n)
    return X[perm], y[perm]


def circles(n: int = 400, noise: float = 0.1, factor: float = 0.5, seed=0):
    """A small circle (class 1) inside a large one (class 0)."""
    n = _check_size(n, noise)
    factor = check_interval(factor, "factor", 0, 1, "()")        # the inner circle's radius
    rng = rng_from(seed)
    n0 = n // 2
    t0, t1 = rng.uniform(0, 2 * np.pi, n0), rng.uniform(0, 2 * np.pi, n - n0)
    X = np.r_[np.c_[np.cos(t0), np.sin(t0)], factor * np.c_[np.cos(t1), np.sin(t1)]]
    X = X + rng.normal(0, noise, X.shape)
    y = np.r_[np.zeros(n0, np.int64), np.ones(n - n0, np.int64)]
    return X, y


def blobs(n: int = 400, centers=((-2, -2), (2, 2)), std: float = 1.0, seed=0):
    """Gaussian blobs around ``centers`` (class k around centers[k])."""
    n = _check_size(n, std, "std")
    centers = as_array(centers, "centers", ndim=2)
    check_finite(centers, "centers")
    rng = rng_from(seed)
    y = np.arange(n) % len(centers)
    X = centers[y] + rng.normal(0, std, (n, centers.shape[1]))
    return X, y.astype(np.int64)


def xor(n: int = 400, noise: float = 0.0, seed=0):
    """Points in [-1, 1]^2 labelled by the sign of x1 * x2 (not linearly separable)."""
    n = _check_size(n, noise)
    rng = rng_from(seed)
    X = rng.uniform(-1, 1, (n, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    return X + rng.normal(0, noise, X.shape), y


TOY_SETS = {"flower": flower, "moons": moons, "circles": circles, "blobs": blobs, "xor": xor}


# --- real sets shipped with scikit-learn ---------------------------------------------------
def iris():
    """Iris: X (150, 4) in cm, y (150,) in {0 setosa, 1 versicolor, 2 virginica}; names."""
    from sklearn.datasets import load_iris
    d = load_iris()
    return d.data, d.target.astype(np.int64), list(d.feature_names), list(d.target_names)


def breast_cancer():
    """Wisconsin breast cancer: X (569, 30), features spanning 1e-3 to 1e3; y 1 = benign."""
    from sklearn.datasets import load_breast_cancer
    d = load_breast_cancer()
    return d.data, d.target.astype(np.int64), list(d.feature_names)


def digits(flat: bool = True):
    """8x8 handwritten digits: X (1797, 64) with values 0..16 (or (1797, 8, 8, 1)), y 0..9."""
    from sklearn.datasets import load_digits
    check_bool(flat, "flat")
    d = load_digits()
    X = d.data if flat else d.images[..., None]
    return X.astype(np.float64), d.target.astype(np.int64)


def digits_images(seed: int = 0):
    """8x8 digits as (N, 8, 8, 1) in [0, 1], split 60/20/20 (stratified):
    ``(X_train, y_train), (X_dev, y_dev), (X_test, y_test)``."""
    X, y = digits(flat=False)
    return train_dev_test_split(X / 16.0, y, seed=seed)


# --- splits and normalisation --------------------------------------------------------------
def train_dev_test_split(X, y, fractions=(0.6, 0.2, 0.2), seed=0, stratify: bool = True):
    """Shuffle and split into train/dev/test; with ``stratify`` each class keeps its share.

    Returns ``(X_train, y_train), (X_dev, y_dev), (X_test, y_test)``.
    """
    X, y = check_nonempty(as_array(X, "X"), "X"), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(f"X and y must be arrays with one row per example, got shapes "
                         f"{X.shape} and {y.shape}")
    check_same_length(X, y, "X", "y")
    fr = as_array(fractions, "fractions")
    if fr.shape != (3,) or np.any(~(fr >= 0)) or not np.isclose(fr.sum(), 1):
        raise ValueError(f"fractions must be three non-negative numbers summing to 1, got {fractions}")
    stratify = check_bool(stratify, "stratify")
    rng = rng_from(seed)
    groups = [np.flatnonzero(y == c) for c in np.unique(y)] if stratify else [np.arange(len(y))]
    parts: list[list[np.ndarray]] = [[], [], []]
    for idx in groups:
        idx = rng.permutation(idx)
        cuts = np.round(np.cumsum(fr)[:2] * len(idx)).astype(int)
        for k, piece in enumerate(np.split(idx, cuts)):
            parts[k].append(piece)
    out = []
    for p in parts:
        idx = rng.permutation(np.concatenate(p))
        out.append((X[idx], y[idx]))
    return tuple(out)


@dataclass
class Standardizer:
    """x -> (x - mean) / std, with the statistics taken from the data passed to ``fit`` only.

    (The notes say "divide by the variance": that leaves features on different scales unless
    the variance happens to be 1. Dividing by the standard deviation gives unit variance.)
    """
    mean: np.ndarray | None = None
    std: np.ndarray | None = None

    def fit(self, X) -> Standardizer:
        """Learn the mean and std of each feature. X: (N, features...), N >= 1, finite."""
        X = as_array(X, "X")
        if X.ndim < 2:
            raise ValueError(f"X: expected shape (N, features), got {X.shape}; for a single "
                             "feature use X.reshape(-1, 1)")
        check_finite(check_nonempty(X, "X"), "X")
        self.mean = X.mean(axis=0)
        std = X.std(axis=0)
        self.std = np.where(std > 0, std, 1.0)            # constant features stay as they are
        return self

    def _fitted(self, X, name: str, method: str):
        """``X`` checked against the fitted feature shape (fit must have run)."""
        if self.mean is None:
            raise RuntimeError(f"Standardizer: call fit(X_train) before {method}")
        X = as_array(X, name)
        if X.shape[1:] != self.mean.shape:
            raise ValueError(f"{name}: expected shape (N, "
                             f"{', '.join(map(str, self.mean.shape))}), got {X.shape}")
        return X

    def transform(self, X):
        X = self._fitted(X, "X", "transform")
        return (check_finite(X, "X") - self.mean) / self.std

    def fit_transform(self, X):
        return self.fit(X).transform(X)

    def inverse_transform(self, Z):
        return self._fitted(Z, "Z", "inverse_transform") * self.std + self.mean


def one_hot(y, n_classes: int | None = None) -> np.ndarray:
    """Integer labels (...,) -> one-hot rows (..., n_classes)."""
    from companion.nn.validation import check_labels
    y = check_nonempty(y, "y") if n_classes is None else np.asarray(y)
    n = int(check_labels(y, None).max()) + 1 if n_classes is None else \
        check_int(n_classes, "n_classes")
    return np.eye(n)[check_labels(y, n)]
