"""Ours and Keras, trained one step at a time on the same batches: the lock-step check.

    train_in_lockstep(model, optimizer, batches, loss, tol)

Each step feeds the same batch to our model (float64 computation, our optimiser) and to its Keras
twin (float32, the Keras optimiser built from ours by ``keras_optimizer``), then compares every
weight, moving statistics included, at the end. Tests and notebooks call it instead of writing
the loop again.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from companion.keras_twin.core import import_keras
from companion.keras_twin.grads import apply_gradients, compare, loss_gradients
from companion.keras_twin.optimizers import keras_optimizer
from companion.keras_twin.registry import twin
from companion.nn import optim as optim_mod
from companion.nn.validation import check_positive


def train_in_lockstep(model, optimizer, batches: Iterable, loss: str, tol: float,
                      training: bool = False, label: str = "weights", quiet: bool = True,
                      keras_opt=None):
    """Train ``model`` and its Keras twin side by side on ``batches`` ((x, y) pairs) with
    ``optimizer`` (ours; Keras gets the same one through ``keras_optimizer``); raise if any
    weight differs by more than ``tol`` (relative, see ``compare``) at the end. Returns the
    Keras model. ``training`` is passed to Keras' forward pass (batch normalisation, dropout).
    ``keras_opt`` replaces the Keras optimiser built from ours (to test that mapping itself).
    """
    keras = import_keras()
    optimizer, tol = optim_mod.get(optimizer), check_positive(tol, "tol")
    try:
        batches = list(batches)
    except TypeError:
        batches = None
    if not batches or not all(isinstance(b, (tuple, list)) and len(b) == 2 for b in batches):
        raise TypeError("batches: expected a non-empty list of (x, y) pairs (a single pair "
                        "goes in a list: [(x, y)])")
    kmodel = twin(model)
    kopt = keras_optimizer(optimizer, keras) if keras_opt is None else keras_opt
    ours = optim_mod.Stateful(optimizer)
    for x, y in batches:
        model.loss_and_grads(np.asarray(x, dtype=np.float64), y, loss)
        ours.step(list(model.params.values()), list(model.grads.values()))
        *_, grads = loss_gradients(kmodel, np.asarray(x, dtype=np.float32), y, loss,
                                   training=training)
        apply_gradients(kopt, kmodel, grads)
    for ours_w, theirs_w in zip(model.get_weights(), kmodel.get_weights()):
        compare(label, ours_w, theirs_w, tol, quiet=quiet)
    return kmodel
