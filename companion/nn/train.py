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
per-step ``batch_loss`` and whatever the callbacks record (``companion.nn.callbacks``: they
are handed the model before training, as in Keras, so ``EarlyStopping`` can keep and put back
its best weights). ``fit(model, x, y, loss, optimizer, ...)`` wraps a ``Sequential`` and a
loss into a ``Supervised`` trainable, with shuffled mini-batches and callbacks for the
per-epoch loss/accuracy, validation, early stopping and the progress bar. The character language model, skip-gram and the chapters'
experiments all train through ``train_loop``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from companion.nn import losses as losses_mod
from companion.nn import optim
from companion.nn.callbacks import (  # noqa: F401  (the callbacks are importable from here too)
    Callback,
    EarlyStopping,
    EpochMeanLoss,
    EpochMetric,
    GradientStats,
    ProgressBar,
    Trainable,
    check_callbacks,
    global_norm,
    ordered_grads,
    trainable_arrays,
)
from companion.nn.metrics import accuracy
from companion.nn.shape_checks import check_same_length
from companion.nn.validation import (
    DivergenceError,
    abbreviate,
    as_array,
    check_array_list,
    check_bool,
    check_finite,
    check_int,
    check_nonempty,
    check_pair,
    check_positive,
    check_real,
    rng_from,
)


# --- helpers -------------------------------------------------------------------------------
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
    n = check_int(n, "n (the number of examples)")
    shuffle = check_bool(shuffle, "shuffle")
    size = check_batch_size(batch_size)
    order = rng_from(rng).permutation(n) if shuffle else np.arange(n)
    size = n if size is None else size
    for start in range(0, n, size):
        yield order[start:start + size]


def clip_by_global_norm(grads: list[np.ndarray], max_norm: float) -> list[np.ndarray]:
    """Scale all gradients together so their joint L2 norm is at most ``max_norm``."""
    check_positive(max_norm, "max_norm")
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
    ``global_clipnorm``: keeps the direction). Either may be None; ``grads`` is a list of
    arrays, returned as they are when neither clips."""
    grads = check_array_list(grads, "grads")
    if clipvalue is not None:
        grads = clip_by_value(grads, clipvalue)
    if clipnorm is not None:
        grads = clip_by_global_norm(list(grads), check_positive(clipnorm, "clipnorm"))
    return list(grads)


def check_loss(value: float, step: int, learning_rate=None, history: dict | None = None) -> None:
    """The divergence guard: raise ``DivergenceError`` (with ``step``, ``loss`` and the
    ``history`` so far as attributes, and a hint) instead of continuing with NaN. ``value``
    must be one number (a Trainable's loss, not an array of per-example losses)."""
    value = check_real(value, "the loss", "a number (the mean over the batch)")
    if np.isfinite(value):
        return
    lr = "" if learning_rate is None or callable(learning_rate) else f" than {learning_rate}"
    exc = DivergenceError(f"loss became {value} at step {step}: training diverged (try a "
                          f"smaller learning_rate{lr}, normalise the inputs, or clip the "
                          "gradients)", step=step, loss=float(value), history=history)
    raise exc


def check_weights(names, params, step: int, history: dict | None = None) -> None:
    """After the last step: a loss is checked before each update, so only the last update
    can leave a NaN or infinite weight unseen; raise ``DivergenceError`` naming it.
    ``params`` is the list of arrays the optimiser updated, ``names`` their names."""
    params = check_array_list(params, "params")
    if isinstance(names, str) or len(names) != len(params):
        raise ValueError(f"params: {len(params)} arrays, but names is {abbreviate(names)}")
    for name, p in zip(names, params):
        if not np.isfinite(p).all():
            raise DivergenceError(f"the update of step {step} (the last) left a non-finite "
                                  f"value in params[{name!r}]: the optimiser's update was NaN "
                                  "or infinite (a learning rate or an update rule to check)",
                                  step=step, history=history)


def check_data(x, name: str) -> np.ndarray:
    """Training data must be non-empty and finite: named here, before any step, so a NaN in
    the data is not mistaken for a diverging run."""
    return check_finite(check_nonempty(as_array(x, name), name), name)


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
    optimiser's update, applied in place to ``trainable.params``; after the last step, a
    weight that update left NaN or infinite raises (``check_weights``). A ``DivergenceError``
    carries the history so far as its ``history`` attribute. Every callback is handed
    ``model`` (default: ``trainable``) with ``set_model``, then ``on_train_begin``; an
    ``on_epoch_end`` answers True (stop), False or None. An epoch without a batch raises.
    """
    epochs = check_int(epochs, "epochs")
    if not callable(batches):
        raise TypeError(f"batches must be a function epoch -> iterable of batches (called once "
                        f"per epoch), got {type(batches).__name__}; for a fixed list L pass "
                        "lambda epoch: L")
    for value, name in ((clipnorm, "clipnorm"), (clipvalue, "clipvalue")):
        if value is not None:
            check_positive(value, name)
    callbacks = check_callbacks(callbacks)
    optimizer = optim.get(optimizer)
    names, params = _check_trainable(trainable)
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
            first = step
            for batch in batches(epoch):
                with np.errstate(over="ignore", invalid="ignore"):   # checked just below
                    value, grads = check_pair(trainable.loss_and_grads(batch),
                                              f"{owner}.loss_and_grads(batch) -> (loss, grads)")
                grads = ordered_grads(grads, names, owner)
                check_loss(value, step, optimizer.learning_rate, history)
                clipped = clip_gradients(grads, clipvalue, clipnorm)
                for cb in callbacks:
                    cb.on_step(step, value, grads, clipped, history)
                updates, state = optimizer.update(clipped, state, params)
                optim.apply_updates(params, updates)
                if step == 0:
                    check_same_arrays(trainable, params)
                history["batch_loss"].append(value)
                step += 1
            _check_epoch(step - first, epoch)
            stops = [_stop(cb, cb.on_epoch_end(epoch, history)) for cb in callbacks]
            if any(stops):
                break
        if step:
            check_weights(names, params, step - 1, history)
    finally:
        for cb in callbacks:
            cb.on_train_end(history)
    return history


def _check_trainable(trainable) -> tuple[list[str], list[np.ndarray]]:
    """The Trainable protocol: ``loss_and_grads`` a method, ``params`` a dict of float arrays."""
    if not callable(getattr(trainable, "loss_and_grads", None)):
        raise TypeError(f"trainable must follow the Trainable protocol (params, and "
                        f"loss_and_grads(batch) -> (loss, grads)); {type(trainable).__name__} "
                        "has no loss_and_grads method")
    try:
        required = [p for p in inspect.signature(trainable.loss_and_grads).parameters.values()
                    if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY,
                                                           p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):        # a builtin or C callable: no signature to read
        required = []
    if len(required) > 1:
        raise TypeError(f"trainable: {type(trainable).__name__}.loss_and_grads takes "
                        f"({', '.join(p.name for p in required)}), but train_loop calls "
                        "loss_and_grads(batch) with one batch; train a model with x, y and a "
                        "loss through fit(...) or wrap it: Supervised(model, loss)")
    return trainable_arrays(trainable)


def _check_epoch(n_batches: int, epoch: int) -> None:
    if n_batches == 0:
        raise ValueError(f"batches({epoch}) yielded no batch: an epoch without a step (a "
                         "generator used up by an earlier epoch? batches must return a new "
                         "iterable on every call, e.g. lambda epoch: iter(batch_list))")


def _stop(callback, answer) -> bool:
    """on_epoch_end's answer: True stops, False or None (a hook that returns nothing) goes on."""
    if answer is not None and not isinstance(answer, (bool, np.bool_)):
        raise TypeError(f"{type(callback).__name__}.on_epoch_end must return True (stop "
                        f"training) or False/None, got {type(answer).__name__} {answer!r:.40}")
    return bool(answer)


# --- fit: a model and a labelled data set ---------------------------------------------------
def check_same_arrays(trainable, params: list[np.ndarray]) -> None:
    """After the first update: ``trainable.params`` must hand out the model's own arrays, or
    every update lands on copies and training changes nothing. ``params`` is the list of
    arrays the optimiser updated (from ``trainable_arrays`` before the step)."""
    params = check_array_list(params, "params")
    again = trainable_arrays(trainable)[1]
    if len(again) != len(params):
        raise ValueError(f"params: {len(params)} arrays, but {type(trainable).__name__}.params "
                         f"has {len(again)}")
    if any(a is not b for a, b in zip(again, params)):
        raise TypeError(f"{type(trainable).__name__}.params returns new arrays each time "
                        "(copies?): the optimiser's updates never reach the model; return the "
                        "arrays the model computes with, updated in place")


class Supervised:
    """A model and a loss as a ``Trainable``: a batch is ``(x, y)``."""

    def __init__(self, model, loss):
        if not isinstance(getattr(model, "params", None), dict) or not all(
                callable(getattr(model, m, None)) for m in ("forward", "loss_and_grads")):
            raise TypeError("Supervised: model must be a model with params (a dict), forward "
                            "and loss_and_grads(x, y, loss), such as a Sequential, got "
                            f"{type(model).__name__} {model!r:.40}")
        self.model, self.loss = model, losses_mod.get(loss)

    @property
    def params(self) -> dict[str, np.ndarray]:
        return self.model.params

    def loss_and_grads(self, batch) -> tuple[float, dict[str, np.ndarray]]:
        x, y = check_pair(batch, "Supervised.loss_and_grads: batch (x, y)")
        value = self.model.loss_and_grads(x, y, self.loss, training=True)
        return value, self.model.grads


class Evaluation(Callback):
    """fit's per-epoch ``loss`` (plus penalties) and ``accuracy`` on the training set, and
    ``val_loss``/``val_accuracy`` on ``validation_data``, measured in inference mode."""

    def __init__(self, model, loss, x, y, validation_data=None, learning_rate=None):
        if not callable(getattr(model, "predict", None)):
            raise TypeError(f"Evaluation: model must have predict(x) (a Sequential), got "
                            f"{type(model).__name__} {model!r:.40}")
        x, y = _check_labelled(x, y, "x", "y")
        _check_features(model, x, "x")
        self.model, self.loss, self.x, self.y = model, losses_mod.get(loss), x, y
        self.validation_data = _check_validation(model, validation_data)
        self.learning_rate = learning_rate

    def on_epoch_end(self, epoch, history):
        with np.errstate(over="ignore", invalid="ignore"):    # checked just below
            tr_loss, tr_acc = evaluate(self.model, self.x, self.y, self.loss)
        check_loss(tr_loss, len(history.get("batch_loss", [])), self.learning_rate, history)
        history.setdefault("loss", []).append(tr_loss + self.model.regularization_loss())
        history.setdefault("accuracy", []).append(tr_acc)
        if self.validation_data is not None:
            v_loss, v_acc = evaluate(self.model, *self.validation_data, self.loss)
            history.setdefault("val_loss", []).append(v_loss)
            history.setdefault("val_accuracy", []).append(v_acc)
        return False


def evaluate(model, x, y, loss) -> tuple[float, float]:
    """(loss without penalties, accuracy) on a whole set, in inference mode."""
    x, y = _check_labelled(x, y, "x", "y")
    out = model.predict(x)
    value, _ = losses_mod.get(loss)(y, out)
    acc = accuracy(y, out) if losses_mod.get(loss).fused_activation else float("nan")
    return value, acc


def _check_labelled(x, y, name_x: str, name_y: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = check_data(x, name_x), check_data(y, name_y)
    check_same_length(x, y, name_x, name_y)
    return x, y


def _check_features(model, x, name: str) -> None:
    """Before any training: x's example shape must be the model's built input shape."""
    want = getattr(model, "input_shape", None)
    if want is not None and tuple(x.shape[1:]) != tuple(want):
        raise ValueError(f"{name} has examples of shape {tuple(x.shape[1:])} but the model was "
                         f"built for {tuple(want)}: shape (N, {', '.join(map(str, want))}) "
                         "expected")


def _check_validation(model, validation_data) -> tuple | None:
    """``validation_data``: None, or the pair (x_val, y_val), checked as the training data."""
    if validation_data is None:
        return None
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
        raise TypeError("validation_data must be the pair (x_val, y_val), got a "
                        f"{type(validation_data).__name__}")
    validation_data = _check_labelled(*validation_data, "validation x", "validation y")
    _check_features(model, validation_data[0], "validation_data's x")
    return validation_data


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
    if progress is not None:
        check_bool(progress, "progress")
    x, y = _check_labelled(x, y, "x", "y")
    _check_features(model, x, "x")
    validation_data = _check_validation(model, validation_data)
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
