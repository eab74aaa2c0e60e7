"""The mini-batch training loop: shuffling, history, early stopping and a divergence guard."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from companion.nn import losses as losses_mod
from companion.nn import optim
from companion.nn.metrics import accuracy
from companion.nn.validation import DivergenceError, as_array, check_same_length, rng_from


def progress_enabled(progress) -> bool:
    """``progress=None`` means: on, unless the environment sets COMPANION_PROGRESS=0."""
    if progress is None:
        return os.environ.get("COMPANION_PROGRESS", "1") not in ("0", "false", "no")
    return bool(progress)


def minibatches(n: int, batch_size: int | None, rng=None, shuffle: bool = True):
    """Yield index arrays covering range(n) once (one epoch), shuffled when ``shuffle``."""
    order = rng_from(rng).permutation(n) if shuffle else np.arange(n)
    size = n if batch_size is None else int(batch_size)
    if size < 1:
        raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}")
    for start in range(0, n, size):
        yield order[start:start + size]


@dataclass
class EarlyStopping:
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs;
    optionally put back the weights of the best epoch (as Keras' callback of that name)."""
    monitor: str = "val_loss"
    patience: int = 5
    min_delta: float = 0.0
    restore_best_weights: bool = True
    best: float = field(default=np.inf, init=False)
    best_epoch: int = field(default=-1, init=False)
    stopped_epoch: int | None = field(default=None, init=False)
    _best_weights: list | None = field(default=None, init=False, repr=False)

    def should_stop(self, epoch: int, history: dict, model) -> bool:
        if self.monitor not in history:
            raise KeyError(f"EarlyStopping monitors {self.monitor!r}, which the history lacks; "
                           f"pass validation_data to fit() or monitor one of {sorted(history)}")
        value = history[self.monitor][-1]
        sign = -1 if "acc" in self.monitor else 1          # accuracies improve upwards
        if sign * value < sign * self.best - self.min_delta or self.best_epoch < 0:
            self.best, self.best_epoch = value, epoch
            self._best_weights = model.get_weights()
            return False
        if epoch - self.best_epoch >= self.patience:
            self.stopped_epoch = epoch
            if self.restore_best_weights and self._best_weights is not None:
                model.set_weights(self._best_weights)
            return True
        return False


def check_finite(value: float, step: int, learning_rate=None) -> None:
    """Raise a DivergenceError with the step and a hint instead of continuing with NaN."""
    if not np.isfinite(value):
        hint = "try a smaller learning_rate" + (f" than {learning_rate}" if learning_rate else "")
        raise DivergenceError(f"loss became {value} at step {step}: training diverged ({hint}, "
                              "normalise the inputs, or clip the gradients)")


def evaluate(model, x, y, loss) -> tuple[float, float]:
    """(loss without penalties, accuracy) on a whole set, in inference mode."""
    out = model.predict(x)
    value, _ = losses_mod.get(loss)(y, out)
    acc = accuracy(y, out) if losses_mod.get(loss).fused_activation else float("nan")
    return value, acc


def fit(model, x, y, loss, optimizer, epochs: int = 10, batch_size: int | None = 32,
        validation_data: tuple | None = None, seed=None, rng=None, shuffle: bool = True,
        early_stopping: EarlyStopping | None = None, progress=False,
        clipnorm: float | None = None) -> dict:
    """Train ``model`` in place and return its history.

    ``history`` holds per-epoch lists ``loss``, ``accuracy`` (on the training set, measured in
    inference mode at the end of each epoch), ``val_loss``/``val_accuracy`` when
    ``validation_data`` is given, and per-step ``batch_loss``. The loss is checked after every
    step: a NaN or infinite loss raises ``DivergenceError`` naming the step.
    ``batch_size=None`` is full-batch gradient descent.
    """
    x = as_array(x, "x")
    y = np.asarray(y)
    check_same_length(x, y, "x", "y")
    if int(epochs) != epochs or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    loss = losses_mod.get(loss)
    optimizer = optim.get(optimizer)
    rng = rng_from(rng if rng is not None else seed)
    params = model.params()
    state = optimizer.init(params)
    history: dict[str, list] = {"loss": [], "accuracy": [], "batch_loss": []}
    if validation_data is not None:
        history.update(val_loss=[], val_accuracy=[])
    bar = _progress_bar(epochs, progress)
    step = 0
    for epoch in range(int(epochs)):
        for idx in minibatches(len(x), batch_size, rng, shuffle):
            with np.errstate(over="ignore", invalid="ignore"):    # checked just below
                value = model.loss_and_grads(x[idx], y[idx], loss, training=True)
            check_finite(value, step, optimizer.learning_rate)
            grads = model.grads()
            if clipnorm is not None:
                grads = clip_by_global_norm(grads, clipnorm)
            updates, state = optimizer.update(grads, state, params)
            optim.apply_updates(params, updates)
            history["batch_loss"].append(value)
            step += 1
        with np.errstate(over="ignore", invalid="ignore"):    # checked just below
            tr_loss, tr_acc = evaluate(model, x, y, loss)
        check_finite(tr_loss, step, optimizer.learning_rate)
        history["loss"].append(tr_loss + model.regularization_loss())
        history["accuracy"].append(tr_acc)
        if validation_data is not None:
            v_loss, v_acc = evaluate(model, *validation_data, loss)
            history["val_loss"].append(v_loss)
            history["val_accuracy"].append(v_acc)
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{history['loss'][-1]:.4f}")
        if early_stopping is not None and early_stopping.should_stop(epoch, history, model):
            break
    if bar is not None:
        bar.close()
    return history


def clip_by_global_norm(grads: list[np.ndarray], max_norm: float) -> list[np.ndarray]:
    """Scale all gradients together so their joint L2 norm is at most ``max_norm``."""
    norm = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
    if norm <= max_norm or norm == 0:
        return grads
    return [g * (max_norm / norm) for g in grads]


def _progress_bar(total: int, progress):
    if not progress_enabled(progress):
        return None
    from tqdm.auto import tqdm  # imported only when a bar is wanted
    return tqdm(total=total, desc="epochs", leave=False)
