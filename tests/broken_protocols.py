"""Helpers of ``test_properties_nn_data.py`` for ``companion.nn``: Trainables, callbacks and
subclasses of the abstract bases (``Loss``, ``Optimizer``, ``LearningRateSchedule``,
``Regularizer``) that break their protocol one way each (or keep it, for the oracle), the
wrong gradient lists, and the oracles that recompute a result by hand.
"""
from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st
from property_checks import Odd
from test_properties_training import XY, Params, model

from companion.nn import Dense, Sequential, losses, optim, regularizers, validation
from companion.nn.callbacks import Callback, EpochMeanLoss, GradientStats
from companion.nn.train import fit, train_loop

G = np.array([3.0, 4.0])
GRAD_LISTS = st.one_of(st.just([G]), st.just((G, np.ones((2, 2)))), st.just("ab"), st.none(),
                       st.just(G), st.just({"w": G}), st.just([None]), st.just([1.0, 2.0]),
                       st.just([np.array(["a"])]), st.just([np.array([np.nan, 1.0])]),
                       st.just([G, np.array([np.inf])]), st.just([np.array([1 + 2j])]))


def stats_history(grads) -> dict:
    history: dict = {}
    GradientStats().on_step(0, 1.0, grads, grads, history)
    return history


def mean_loss_answer(history):
    return EpochMeanLoss().on_epoch_end(0, history), history


def norm_by_hand(grads) -> float:
    """The global norm in plain Python, entry by entry (NaN and inf propagate)."""
    return math.sqrt(sum(float(x) ** 2 for g in grads for x in np.ravel(g)))


def same_number(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b or math.isclose(a, b, rel_tol=1e-12)


class Broken(Params):
    """A Trainable that breaks the protocol one way (``how``); ``"ok"`` keeps it."""

    def __init__(self, how: str):
        super().__init__()
        self.how = how

    def __repr__(self):
        return f"Broken({self.how!r})"

    @property
    def params(self):
        return {"copies": {"w": self.w.copy()}, "int": {"w": np.ones(2, int)},
                "list": [self.w], "python list": {"w": [1.0, 2.0]}}.get(self.how, {"w": self.w})

    def loss_and_grads(self, batch):
        loss, grads = super().loss_and_grads(batch)
        return {"none": None, "loss only": loss, "triple": (loss, grads, 0),
                "per-example loss": (np.ones(4), grads), "string loss": ("0.5", grads),
                "grad strings": (loss, ["ab"]), "grads a string": (loss, "w"),
                "missing grad": (loss, {}), "extra grad": (loss, {"w": grads["w"], "b": G}),
                "wrong-shaped grad": (loss, {"w": np.ones(3)})}.get(self.how, (loss, grads))


class NoLoss:
    def __init__(self):
        self.params = {"w": np.ones(2)}


BROKEN = st.one_of(
    st.builds(Broken, st.just("ok")),
    st.sampled_from(["copies", "int", "list", "python list", "none", "loss only", "triple",
                     "per-example loss", "string loss", "grad strings", "grads a string",
                     "missing grad", "extra grad", "wrong-shaped grad"]).map(Broken),
    st.none(), st.just(Odd()), st.just(NoLoss()), st.just(model()))


class Answer(Callback):
    """A callback whose on_epoch_end answers ``value``."""

    def __init__(self, value):
        self.value = value

    def on_epoch_end(self, epoch, history):
        return self.value


def two_epochs(callback, batches=lambda e: [None], trainable=None, optimizer="sgd"):
    return train_loop(trainable or Params(), batches, optimizer, 2, callbacks=[callback])


def mean_loss_run(how):
    """EpochMeanLoss over 2 epochs of ``how`` batches each (an int), or of one generator
    shared by both epochs (the second gets nothing)."""
    shared = iter([None, None])
    batches = (lambda e: shared) if how == "shared generator" else (lambda e: [None] * how)
    return two_epochs(EpochMeanLoss(), batches)


def epoch_means(how, h) -> bool:
    b = h["batch_loss"]
    return how in (1, 3) and len(b) == 2 * how and all(
        math.isclose(m, sum(part) / how) for m, part in zip(h["loss"], (b[:how], b[how:])))


# --- subclasses that break (or keep) an abstract base's protocol --------------------------
class NoCallLoss(losses.Loss):
    name = "no_call"


class NoDlogits(losses.Loss):
    fused_activation = "sigmoid"

    def __call__(self, y_true, y_pred):
        return losses.BinaryCrossentropy()(y_true, y_pred)


class BareLoss(losses.Loss):
    """``__call__`` answers ``self.answer(y, p)`` instead of (loss, dloss/dp)."""

    def __init__(self, answer):
        self.answer = answer

    def __call__(self, y_true, y_pred):
        return self.answer(np.asarray(y_true), y_pred)


MSE = losses.MeanSquaredError()
BAD_LOSSES = st.one_of(st.sampled_from([
    NoCallLoss(), NoDlogits(), losses.Loss(), losses.BinaryCrossentropy,
    BareLoss(lambda y, p: 0.5), BareLoss(lambda y, p: (np.nan, 0 * p)),
    BareLoss(lambda y, p: (0.5, p[:, :0])), BareLoss(lambda y, p: (np.ones(len(p)), p)),
    BareLoss(lambda y, p: MSE(y, p))]))          # the last keeps the protocol


class NoUpdate(optim.Optimizer):
    pass


class Constant(optim.Optimizer):
    def __init__(self, update):
        super().__init__(0.1)
        self.update_value = update

    def _update_one(self, g, slots, lr, t):
        return self.update_value, slots


class Schedule(optim.LearningRateSchedule):
    def __init__(self, value):
        self.value = value

    def __call__(self, step):
        return self.value


class NoCallSchedule(optim.LearningRateSchedule):
    pass


class Quadratic(regularizers.Regularizer):
    """0.01 * sum(w^2), written as a user would: the same penalty as L2(0.01)."""

    def __call__(self, w):
        return float(0.01 * np.sum(w * w))

    def gradient(self, w):
        return 0.02 * w


class PenaltyOnly(regularizers.Regularizer):
    def __call__(self, w):
        return 0.0


class GradientOnly(regularizers.Regularizer):
    def gradient(self, w):
        return 0 * w


def regularised_fit(reg):
    net = Sequential([Dense(1, "sigmoid", kernel_regularizer=reg)], input_shape=(2,), seed=0)
    return fit(net, *XY, "binary_crossentropy", "sgd", epochs=2, seed=0)["loss"]


def same_as_l2(v, out) -> bool:
    return isinstance(v, Quadratic) and np.allclose(out, regularised_fit(regularizers.L2(0.01)))


def params_for(how: str):
    t = Params()
    return t, {"own": [t.w], "copies": [t.w.copy()], "none": None, "fewer": [],
               "more": [t.w, t.w], "string": "w", "array": t.w}[how]


def caught(call, error):
    """The error ``call()`` raises (so an oracle can read its attributes), else the result."""
    try:
        return call()
    except error as exc:
        return exc


def divergence(v, exc) -> bool:
    return isinstance(exc, validation.DivergenceError) and exc.step == 7 and \
        exc.history == {"batch_loss": [0.5]} and same_number(exc.loss, float(v)) and \
        "step 7" in str(exc)


def supervised_loss(v, out) -> bool:
    value, grads = out
    net = model()
    return value == net.loss_and_grads(*XY, "binary_crossentropy") and \
        all(np.array_equal(grads[k], net.grads[k]) for k in net.grads)

