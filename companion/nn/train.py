"""The one training loop, and ``fit``, its front end for a model and a labelled data set.

Anything that follows the ``Trainable`` protocol can be trained:

    params -> {name: array}                     the trainable arrays (updated in place)
    loss_and_grads(batch) -> (loss, grads)      one batch: the loss and {name: d loss/d param}

(the same ``params`` dict every layer, block and ``Sequential`` has; a model with weights that
get no gradient keeps them elsewhere, e.g. a layer's ``state``).

``train_loop(trainable, batches, optimizer, epochs, callbacks)`` draws each epoch's batches
from ``batches(epoch)``, computes loss and gradients, guards against divergence (a NaN or
infinite loss raises ``DivergenceError`` carrying ``step``, ``loss`` and ``history``),
clips, updates the parameters with the optimiser, and calls the callbacks: per step
(``on_step``) and per epoch (``on_epoch_end``, which may stop training). The history holds
per-step ``batch_loss`` and whatever the callbacks record. Callbacks are handed the model
before training (``set_model``, as in Keras), so ``EarlyStopping`` can keep and put back its
best weights. ``fit(model, x, y, loss, optimizer, ...)`` wraps a ``Sequential`` and a loss into a ``Supervised`` trainable, with
shuffled mini-batches and callbacks for the per-epoch loss/accuracy, validation, early
stopping and the progress bar. The character language model, skip-gram and the chapters'
experiments all train through ``train_loop``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from companion.nn import losses as losses_mod
from companion.nn import optim
from companion.nn.metrics import accuracy
from companion.nn.validation import (
    DivergenceError,
    as_array,
    check_bool,
    check_finite,
    check_int,
    check_nonempty,
    check_number,
    check_positive,
    check_same_length,
    rng_from,
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
    order of ``names``; a missing or extra name is an error, not a silent misalignment."""
    if isinstance(grads, dict):
        if list(grads) != names and set(grads) != set(names):
            raise ValueError(f"{owner}.loss_and_grads returned gradients for "
                             f"{sorted(set(grads) ^ set(names))} that do not match its params")
        return [grads[n] for n in names]
    grads = list(grads)
    if len(grads) != len(names):
        raise ValueError(f"{owner}.loss_and_grads returned {len(grads)} gradients for "
                         f"{len(names)} parameters")
    return grads


# --- helpers -------------------------------------------------------------------------------
def progress_enabled(progress) -> bool:
    """``progress=None`` means: on, unless the environment sets COMPANION_PROGRESS=0."""
    if progress is None:
        return os.environ.get("COMPANION_PROGRESS", "1") not in ("0", "false", "no")
    return bool(progress)


def progress_bar(total: int, progress, desc: str = "epochs"):
    """A tqdm bar over ``total`` epochs, or None when ``progress`` is off."""
    if not progress_enabled(progress):
        return None
    from tqdm.auto import tqdm  # imported only when a bar is wanted
    return tqdm(total=total, desc=desc, leave=False)


def check_batch_size(batch_size) -> int | None:
    """A positive integer, or None (the whole set in one batch)."""
    return None if batch_size is None else check_int(batch_size, "batch_size")


def seeded(seed=None, rng=None) -> np.random.Generator:
    """The generator of a trainer's ``seed=`` or ``rng=`` argument: one of them, not both."""
    if seed is not None and rng is not None:
        raise ValueError("pass seed= or rng=, not both: the run would follow only one of them")
    return rng_from(rng if rng is not None else seed)


def minibatches(n: int, batch_size: int | None, rng=None, shuffle: bool = True):
    """Yield index arrays covering range(n) once (one epoch), shuffled when ``shuffle``."""
    size = check_batch_size(batch_size)
    order = rng_from(rng).permutation(n) if shuffle else np.arange(n)
    size = n if size is None else size
    for start in range(0, n, size):
        yield order[start:start + size]


def global_norm(grads: Sequence[np.ndarray]) -> float:
    """sqrt(sum of every squared gradient entry): the length of the whole gradient vector."""
    return float(np.sqrt(sum(np.sum(g * g) for g in grads)))


def clip_by_global_norm(grads: list[np.ndarray], max_norm: float) -> list[np.ndarray]:
    """Scale all gradients together so their joint L2 norm is at most ``max_norm``."""
    norm = global_norm(grads)
    if norm <= max_norm or norm == 0:
        return grads
    return [g * (max_norm / norm) for g in grads]


def clip_by_value(grads: Sequence[np.ndarray], clipvalue: float) -> list[np.ndarray]:
    """Clip every entry to [-clipvalue, clipvalue] (Keras' ``clipvalue``). Changes direction."""
    check_positive(clipvalue, "clipvalue")
    return [np.clip(g, -clipvalue, clipvalue) for g in grads]


def clip_gradients(grads, clipvalue: float | None = None, clipnorm: float | None = None):
    """Clip by value, then rescale to a global norm of at most ``clipnorm`` (Keras'
    ``global_clipnorm``: keeps the direction). Either may be None."""
    if clipvalue is not None:
        grads = clip_by_value(grads, clipvalue)
    if clipnorm is not None:
        grads = clip_by_global_norm(list(grads), check_positive(clipnorm, "clipnorm"))
    return list(grads)


def check_loss(value: float, step: int, learning_rate=None, history: dict | None = None) -> None:
    """The divergence guard: raise ``DivergenceError`` (with ``step``, ``loss`` and the
    ``history`` so far as attributes, and a hint) instead of continuing with NaN."""
    if np.isfinite(value):
        return
    lr = "" if learning_rate is None or callable(learning_rate) else f" than {learning_rate}"
    exc = DivergenceError(f"loss became {value} at step {step}: training diverged (try a "
                          f"smaller learning_rate{lr}, normalise the inputs, or clip the "
                          "gradients)", step=step, loss=float(value), history=history)
    raise exc


def check_data(x, name: str) -> np.ndarray:
    """Training data must be non-empty and finite: named here, before any step, so a NaN in
    the data is not mistaken for a diverging run."""
    return check_finite(check_nonempty(as_array(x, name), name), name)


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
        losses = history["batch_loss"][self.start:]
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


# --- the loop ------------------------------------------------------------------------------
def train_loop(trainable: Trainable, batches: Callable[[int], Iterable], optimizer,
               epochs: int, callbacks: Sequence[Callback] = (), clipnorm: float | None = None,
               clipvalue: float | None = None, history: dict | None = None,
               model=None) -> dict:
    """Train ``trainable`` in place for ``epochs`` passes over ``batches(epoch)``; return the
    history (per step ``batch_loss``, plus what the callbacks add; pass ``history`` to start
    from given, e.g. empty, lists in a chosen order).

    Each step: ``loss, grads = trainable.loss_and_grads(batch)``; the divergence guard
    (``check_loss``); clipping (by value, then by global norm); ``on_step`` callbacks; the
    optimiser's update, applied in place to ``trainable.params``. A ``DivergenceError``
    carries the history so far as its ``history`` attribute. Every callback is handed
    ``model`` (default: ``trainable``) with ``set_model``, then ``on_train_begin``.
    """
    epochs = check_int(epochs, "epochs")
    for value, name in ((clipnorm, "clipnorm"), (clipvalue, "clipvalue")):
        if value is not None:
            check_positive(value, name)
    callbacks = check_callbacks(callbacks)
    optimizer = optim.get(optimizer)
    names, params = trainable_arrays(trainable)
    owner = type(trainable).__name__
    state = optimizer.init(params)
    history = {"batch_loss": []} if history is None else history
    history.setdefault("batch_loss", [])
    for cb in callbacks:
        cb.set_model(trainable if model is None else model)
        cb.on_train_begin(history)
    step = 0
    try:
        for epoch in range(epochs):
            for batch in batches(epoch):
                with np.errstate(over="ignore", invalid="ignore"):   # checked just below
                    value, grads = trainable.loss_and_grads(batch)
                grads = ordered_grads(grads, names, owner)
                check_loss(value, step, optimizer.learning_rate, history)
                clipped = clip_gradients(grads, clipvalue, clipnorm)
                for cb in callbacks:
                    cb.on_step(step, value, grads, clipped, history)
                updates, state = optimizer.update(clipped, state, params)
                optim.apply_updates(params, updates)
                history["batch_loss"].append(value)
                step += 1
            stops = [cb.on_epoch_end(epoch, history) for cb in callbacks]
            if any(stops):
                break
    finally:
        for cb in callbacks:
            cb.on_train_end(history)
    return history


# --- fit: a model and a labelled data set ---------------------------------------------------
def check_callbacks(callbacks) -> list[Callback]:
    """A list of ``Callback`` objects (a single one, or a class instead of an instance, named)."""
    if isinstance(callbacks, Callback):
        raise TypeError("callbacks must be a list of Callback objects, e.g. "
                        f"callbacks=[{type(callbacks).__name__}(...)], got one callback")
    callbacks = list(callbacks)
    for i, cb in enumerate(callbacks):
        if not isinstance(cb, Callback):
            what = f"the class {cb.__name__} (call it: {cb.__name__}())" \
                if isinstance(cb, type) else f"a {type(cb).__name__}"
            raise TypeError(f"callbacks[{i}] must be a Callback object, got {what}")
    return callbacks


class Supervised:
    """A model and a loss as a ``Trainable``: a batch is ``(x, y)``."""

    def __init__(self, model, loss):
        self.model, self.loss = model, losses_mod.get(loss)

    @property
    def params(self) -> dict[str, np.ndarray]:
        return self.model.params

    def loss_and_grads(self, batch) -> tuple[float, dict[str, np.ndarray]]:
        x, y = batch
        value = self.model.loss_and_grads(x, y, self.loss, training=True)
        return value, self.model.grads


def snapshot(model) -> list[np.ndarray]:
    """A copy of every weight of ``model``: ``get_weights()`` where it has one, else its
    ``params`` arrays."""
    if hasattr(model, "get_weights"):
        return model.get_weights()
    return [p.copy() for p in trainable_arrays(model)[1]]


def restore(model, weights: list[np.ndarray]) -> None:
    """Put ``snapshot(model)``'s copy back, into the model's own arrays."""
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


class Evaluation(Callback):
    """fit's per-epoch ``loss`` (plus penalties) and ``accuracy`` on the training set, and
    ``val_loss``/``val_accuracy`` on ``validation_data``, measured in inference mode."""

    def __init__(self, model, loss, x, y, validation_data=None, learning_rate=None):
        self.model, self.loss, self.x, self.y = model, loss, x, y
        self.validation_data, self.learning_rate = validation_data, learning_rate

    def on_epoch_end(self, epoch, history):
        with np.errstate(over="ignore", invalid="ignore"):    # checked just below
            tr_loss, tr_acc = evaluate(self.model, self.x, self.y, self.loss)
        check_loss(tr_loss, len(history["batch_loss"]), self.learning_rate, history)
        history["loss"].append(tr_loss + self.model.regularization_loss())
        history["accuracy"].append(tr_acc)
        if self.validation_data is not None:
            v_loss, v_acc = evaluate(self.model, *self.validation_data, self.loss)
            history["val_loss"].append(v_loss)
            history["val_accuracy"].append(v_acc)
        return False


def evaluate(model, x, y, loss) -> tuple[float, float]:
    """(loss without penalties, accuracy) on a whole set, in inference mode."""
    out = model.predict(x)
    value, _ = losses_mod.get(loss)(y, out)
    acc = accuracy(y, out) if losses_mod.get(loss).fused_activation else float("nan")
    return value, acc


def _check_labelled(x, y, name_x: str, name_y: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = check_data(x, name_x), check_data(y, name_y)
    check_same_length(x, y, name_x, name_y)
    return x, y


def fit(model, x, y, loss, optimizer, epochs: int = 10, batch_size: int | None = 32,
        validation_data: tuple | None = None, seed=None, rng=None, shuffle: bool = True,
        early_stopping: EarlyStopping | None = None, progress=False,
        clipnorm: float | None = None, callbacks: Sequence[Callback] = ()) -> dict:
    """Train ``model`` in place on (x, y) with ``train_loop`` and return its history.

    ``history`` holds per-epoch lists ``loss``, ``accuracy`` (on the training set, measured in
    inference mode at the end of each epoch), ``val_loss``/``val_accuracy`` when
    ``validation_data`` is given, and per-step ``batch_loss``. The data are checked first
    (non-empty, finite, as many labels as examples); then the loss is checked after every
    step: a NaN or infinite loss raises ``DivergenceError`` naming the step.
    ``batch_size=None`` is full-batch gradient descent. ``callbacks`` (a list, as in Keras:
    ``callbacks=[EarlyStopping(patience=2)]``) run after fit's own and are handed ``model``;
    ``early_stopping=`` is a shortcut that puts one in front of them.
    """
    shuffle = check_bool(shuffle, "shuffle")
    x, y = _check_labelled(x, y, "x", "y")
    if validation_data is not None:
        validation_data = _check_labelled(*validation_data, "validation x", "validation y")
    batch_size = check_batch_size(batch_size)
    loss, optimizer = losses_mod.get(loss), optim.get(optimizer)
    rng = seeded(seed, rng)
    callbacks = check_callbacks(callbacks)
    if early_stopping is not None:                  # the same path as callbacks=[...]
        callbacks = check_callbacks([early_stopping]) + callbacks
    cbs: list[Callback] = [Evaluation(model, loss, x, y, validation_data,
                                      optimizer.learning_rate),
                           ProgressBar(check_int(epochs, "epochs"), progress), *callbacks]

    def batches(epoch):
        return ((x[idx], y[idx]) for idx in minibatches(len(x), batch_size, rng, shuffle))
    history: dict[str, list] = {"loss": [], "accuracy": [], "batch_loss": []}
    if validation_data is not None:
        history.update(val_loss=[], val_accuracy=[])
    return train_loop(Supervised(model, loss), batches, optimizer, epochs, cbs,
                      clipnorm=clipnorm, history=history, model=model)
