"""Chapter 4, section 6: ensembles. Train several networks that differ only in their random
start (and, with ``bootstrap``, in their training resample), and average their predictions.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from companion.nn.metrics import accuracy
from companion.nn.validation import rng_from


def train_ensemble(make_model: Callable[[int], object], train_fn: Callable, seeds) -> list:
    """Build ``make_model(seed)`` for each seed and train it with ``train_fn(model, seed)``."""
    models = []
    for seed in seeds:
        model = make_model(int(seed))
        train_fn(model, int(seed))
        models.append(model)
    return models


def bootstrap(x, y, seed) -> tuple:
    """A bootstrap resample of (x, y): len(x) examples drawn with replacement (bagging).

    Training each member on its own resample makes the members' errors less alike, so
    averaging them removes more variance than different initialisations alone.
    """
    idx = rng_from(seed).integers(0, len(x), len(x))
    return x[idx], np.asarray(y)[idx]


def ensemble_predict(models, x) -> np.ndarray:
    """The members' predicted probabilities, averaged. Shape: that of one member's output."""
    if not models:
        raise ValueError("ensemble_predict needs at least one model")
    return np.mean([m.predict(x) for m in models], axis=0)


def ensemble_report(models, x, y) -> dict:
    """Accuracy of each member and of the averaged ensemble on (x, y)."""
    members = [accuracy(y, m.predict(x)) for m in models]
    return {"members": members, "mean_member": float(np.mean(members)),
            "best_member": float(np.max(members)),
            "ensemble": accuracy(y, ensemble_predict(models, x))}
