"""Ensembles: train several networks that differ only in their random start (and the order of
their mini-batches), then average their predicted probabilities.

Their errors are partly independent, so the average varies less than any one member: the
ensemble's dev error is usually below the members' average dev error (and often below the best).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .errors import rng_from
from .metrics import accuracy


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
