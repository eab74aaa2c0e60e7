"""Callbacks of the training loop, and the ``Trainable`` protocol they and the loop share.

    params -> {name: array}                     the trainable arrays (updated in place)
    loss_and_grads(batch) -> (loss, grads)      one batch: the loss and {name: d loss/d param}

A callback is handed the model before training (``set_model``, then ``on_train_begin``, as in
Keras), sees every step (``on_step``) and every epoch (``on_epoch_end``, which may stop
training), and is told when training ends (``on_train_end``). ``EarlyStopping`` keeps and puts
back the best weights of *this* run: ``fit(..., callbacks=[EarlyStopping(patience=2)])``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from companion.nn.validation import (
    check_array_list,
    check_bool,
    check_int,
    check_number,
    check_string,
)


@runtime_checkable
class Trainable(Protocol):
    """What ``train_loop`` trains (see the module docstring)."""

    params: dict[str, np.ndarray]

    def loss_and_grads(self, batch) -> tuple[float, dict[str, np.ndarray]]: ...


def trainable_arrays(trainable) -> tuple[list[str], list[np.ndarray]]:
    """The names and arrays of ``trainable.params`` (a dict name -> array), checked: each must be
    a floating-point array (an integer array cannot take a fractional update)."""
    params = getattr(trainable, "params", None)
    if not isinstance(params, dict):
        raise TypeError(f"{type(trainable).__name__}.params must be a dict name -> array (the "
                        f"Trainable protocol of companion.nn.train), got {type(params).__name__}")
    for name, p in params.items():
        if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
            raise TypeError(f"{type(trainable).__name__}.params[{name!r}] must be a floating-"
                            f"point numpy array (updated in place), got "
                            f"{getattr(p, 'dtype', type(p).__name__)}")
    return list(params), list(params.values())


def ordered_grads(grads, names: list[str], owner: str) -> list[np.ndarray]:
    """``grads`` (a dict name -> array, or a sequence in ``params`` order) as a list in the
    order of ``names``; a missing or extra name is an error, not a silent misalignment, and
    each gradient must be a numeric array (a string or None is named here, not in NumPy)."""
    what = f"{owner}.loss_and_grads's grads"
    if isinstance(grads, dict):
        if list(grads) != names and set(grads) != set(names):
            raise ValueError(f"{owner}.loss_and_grads returned gradients for "
                             f"{sorted(set(grads) ^ set(names))} that do not match its params")
        return check_array_list([grads[n] for n in names], what)
    grads = check_array_list(grads, what)
    if len(grads) != len(names):
        raise ValueError(f"{owner}.loss_and_grads returned {len(grads)} gradients for "
                         f"{len(names)} parameters")
    return grads


def global_norm(grads: Sequence[np.ndarray]) -> float:
    """sqrt(sum of every squared gradient entry): the length of the whole gradient vector.
    ``grads`` is a list of arrays (a single array or a string is refused by name)."""
    grads = check_array_list(grads, "grads")
    return float(np.sqrt(sum(np.sum(g * g) for g in grads)))


def progress_enabled(progress) -> bool:
    """``progress=None`` means: on, unless the environment sets COMPANION_PROGRESS=0; else a
    bool (a string such as "no" would count as True)."""
    if progress is None:
        return os.environ.get("COMPANION_PROGRESS", "1") not in ("0", "false", "no")
    return check_bool(progress, "progress")


def progress_bar(total: int, progress, desc: str = "epochs"):
    """A tqdm bar over ``total`` epochs (a positive integer), or None when ``progress`` is off."""
    total, desc = check_int(total, "total"), check_string(desc, "desc")
    if not progress_enabled(progress):
        return None
    from tqdm.auto import tqdm  # imported only when a bar is wanted
    return tqdm(total=total, desc=desc, leave=False)


# --- callbacks -----------------------------------------------------------------------------
class Callback:
    """Hooks of ``train_loop``; each may add lists to the history it is handed.

    ``model`` is the model being trained, set by ``set_model`` before training starts (Keras'
    convention): ``fit`` hands over the ``Sequential``, ``train_loop`` the trainable (or the
    ``model=`` it is given)."""

    model = None

    def set_model(self, model) -> None:
        self.model = model

    def on_train_begin(self, history: dict) -> None:
        """Once, before the first step (reset any state of an earlier run here)."""

    def on_step(self, step: int, loss: float, grads: list, clipped: list, history: dict) -> None:
        """After the loss and gradients of a step (``clipped``: what the optimiser gets)."""

    def on_epoch_end(self, epoch: int, history: dict) -> bool:
        """After an epoch; return True to stop training."""
        return False

    def on_train_end(self, history: dict) -> None:
        """Once, when training ends (normally, early, or by an exception)."""


class EpochMeanLoss(Callback):
    """history["loss"]: the mean of each epoch's batch losses."""

    def __init__(self):
        self.start = 0

    def on_epoch_end(self, epoch, history):
        if not isinstance(history, dict) or not isinstance(history.get("batch_loss"), list):
            raise TypeError("EpochMeanLoss: history must be the dict train_loop keeps, with a "
                            f"'batch_loss' list, got {type(history).__name__} {history!r:.40}")
        losses = history["batch_loss"][self.start:]
        if not losses:
            raise ValueError(f"EpochMeanLoss: epoch {epoch} recorded no batch_loss (its mean "
                             "would be NaN): did batches(epoch) yield no batch?")
        history.setdefault("loss", []).append(float(np.mean(losses)))
        self.start += len(losses)
        return False


class GradientStats(Callback):
    """Per step ``grad_norm`` (the global norm before clipping) and ``clipped`` (whether
    clipping changed the gradient)."""

    def on_step(self, step, loss, grads, clipped, history):
        with np.errstate(over="ignore", invalid="ignore"):
            history.setdefault("grad_norm", []).append(global_norm(grads))
        history.setdefault("clipped", []).append(any(
            c is not g and not np.array_equal(c, g) for c, g in zip(clipped, grads)))


class EpochMetric(Callback):
    """history[name]: ``compute()`` at the end of each epoch (a validation loss, say)."""

    def __init__(self, name: str, compute: Callable[[], float]):
        if not isinstance(name, str) or not callable(compute):
            raise TypeError(f"EpochMetric(name, compute): expected a history name (str) and a "
                            f"function () -> float, got {name!r:.30} and {compute!r:.30}")
        self.name, self.compute = name, compute

    def on_epoch_end(self, epoch, history):
        history.setdefault(self.name, []).append(self.compute())
        return False


class ProgressBar(Callback):
    """A tqdm bar over the epochs, showing the last epoch ``loss`` when there is one."""

    def __init__(self, epochs: int, progress=None):
        self.bar = progress_bar(epochs, progress)

    def on_epoch_end(self, epoch, history):
        if self.bar is not None:
            self.bar.update(1)
            if history.get("loss"):
                self.bar.set_postfix(loss=f"{history['loss'][-1]:.4f}")
        return False

    def on_train_end(self, history):
        if self.bar is not None:
            self.bar.close()


def check_callbacks(callbacks) -> list[Callback]:
    """A list of ``Callback`` objects (a single one, or a class instead of an instance, named)."""
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        raise TypeError("callbacks must be a list of Callback objects, e.g. "
                        f"callbacks=[{type(callbacks).__name__}(...)], got one callback")
    callbacks = list(callbacks)
    for i, cb in enumerate(callbacks):
        if not isinstance(cb, Callback):
            what = f"the class {cb.__name__} (call it: {cb.__name__}())" \
                if isinstance(cb, type) else f"{type(cb).__name__} {cb!r:.40}"
            raise TypeError(f"callbacks[{i}] must be a Callback object, got {what}")
    return callbacks


def snapshot(model) -> list[np.ndarray]:
    """A copy of every weight of ``model``: ``get_weights()`` where it has one, else its
    ``params`` arrays."""
    if hasattr(model, "get_weights"):
        return model.get_weights()
    return [p.copy() for p in trainable_arrays(model)[1]]


def restore(model, weights: list[np.ndarray]) -> None:
    """Put ``snapshot(model)``'s copy back, into the model's own arrays."""
    if not isinstance(weights, (list, tuple)):
        raise TypeError(f"weights: expected the list snapshot(model) returns, got "
                        f"{type(weights).__name__}")
    if hasattr(model, "set_weights"):
        model.set_weights(weights)
        return
    for p, w in zip(trainable_arrays(model)[1], weights):
        p[...] = w


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs, and
    (``restore_best_weights``, on by default here, off in Keras) put back the weights of the best
    epoch, as Keras' callback of that name: ``callbacks=[EarlyStopping(patience=2)]``.

    Keras' semantics: ``min_delta`` is used as its absolute value; a quantity whose name holds
    "acc" improves upwards, any other downwards; the state (best value and weights, epochs
    waited) is reset when training begins, so one object can serve several runs.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 restore_best_weights: bool = True):
        if not isinstance(monitor, str):
            raise TypeError(f"EarlyStopping: monitor must be the name of a history entry such "
                            f"as 'val_loss', got {monitor!r}")
        self.monitor = monitor
        self.patience = check_int(patience, "patience", minimum=0)
        self.min_delta = abs(check_number(min_delta, "min_delta"))
        self.restore_best_weights = check_bool(restore_best_weights, "restore_best_weights")
        self.on_train_begin({})

    def on_train_begin(self, history):
        self.best, self.best_epoch, self.stopped_epoch = np.inf, -1, None
        self.best_weights: list | None = None

    def __repr__(self):
        return (f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, "
                f"min_delta={self.min_delta}, restore_best_weights={self.restore_best_weights})")

    def on_epoch_end(self, epoch, history):
        if self.model is None:
            raise RuntimeError("EarlyStopping has no model: pass it in callbacks=[...] to fit "
                               "or train_loop, which hand it the model")
        if self.monitor not in history or not history[self.monitor]:
            raise KeyError(f"EarlyStopping monitors {self.monitor!r}, which the history lacks; "
                           f"pass validation_data to fit() or monitor one of {sorted(history)}")
        value = history[self.monitor][-1]
        sign = -1 if "acc" in self.monitor else 1          # accuracies improve upwards
        if self.best_epoch < 0 or sign * value < sign * self.best - self.min_delta:
            self.best, self.best_epoch = value, epoch
            self.best_weights = snapshot(self.model)
            return False
        if epoch - self.best_epoch >= self.patience:
            self.stopped_epoch = epoch
            if self.restore_best_weights and self.best_weights is not None:
                restore(self.model, self.best_weights)
            return True
        return False
