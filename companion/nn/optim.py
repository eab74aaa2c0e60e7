"""Optimisers as pairs of pure functions (optax style), with Keras' formulas and defaults.

    opt = Adam(learning_rate=1e-3)
    state = opt.init(params)                        # params: a list of arrays
    updates, state = opt.update(grads, state)       # updates to *add* to the parameters
    apply_updates(params, updates)                  # in place

``learning_rate`` may be a number or a schedule ``f(step) -> lr`` (step counts from 0, as
Keras' ``optimizer.iterations``). State is a dict of named lists, one entry per parameter,
plus ``"step"``. Every formula below is the one in Keras 3's ``update_step`` so the same
gradients give the same parameters; where the notes write something else, chapter 5 shows it
(the notes' forms are in ``companion.chapters.ch05``).

Learning-rate schedules (``ExponentialDecay``, ``InverseTimeDecay``, ``PiecewiseConstantDecay``,
and the notes' per-epoch decay ``per_epoch_decay``) match ``keras.optimizers.schedules``;
``companion.keras_twin.keras_optimizer(opt, keras)`` builds the Keras twin of an optimiser
(schedule included).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from companion.nn.validation import (
    check_bool,
    check_gradients,
    check_int,
    check_interval,
    check_non_negative,
    check_positive,
)

Schedule = Callable[[int], float]


def _lr_value(learning_rate, step: int) -> float:
    """The learning rate at ``step``; a schedule's value is checked (a finite number >= 0)."""
    if not callable(learning_rate):
        return float(learning_rate)
    lr = learning_rate(step)
    name = learning_rate if isinstance(learning_rate, LearningRateSchedule) else \
        getattr(learning_rate, "__qualname__", type(learning_rate).__name__)
    arr = np.asarray(lr) if not isinstance(lr, str) else None
    if arr is None or arr.dtype.kind not in "iuf" or arr.size != 1:
        raise TypeError(f"the learning-rate schedule {name} returned {type(lr).__name__} "
                        f"{lr!r} at step {step}; expected a number")
    value = float(arr.item())
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"the learning-rate schedule {name} returned {value!r} at step {step}; "
                         "expected a finite learning rate >= 0")
    return value


class Optimizer:
    """Base class: subclasses implement ``_update_one`` for one parameter."""
    slots: tuple[str, ...] = ()

    def __init__(self, learning_rate: float | Schedule = 0.01):
        if isinstance(learning_rate, type) or not callable(learning_rate):   # a class: named
            check_positive(learning_rate, "learning_rate")
        self.learning_rate = learning_rate

    def init(self, params: list[np.ndarray]) -> dict:
        state: dict = {"step": 0}
        for slot in self.slots:
            state[slot] = [np.full_like(p, self._slot_init(slot), dtype=p.dtype) for p in params]
        return state

    def _slot_init(self, slot: str) -> float:
        return 0.0

    def update(self, grads: list[np.ndarray], state: dict, params=None):
        """Return (updates, new_state); the inputs are not modified."""
        self._check_grads(grads, state)
        step = state["step"]
        lr = _lr_value(self.learning_rate, step)
        new = {"step": step + 1, **{s: [] for s in self.slots}}
        updates = []
        for i, g in enumerate(grads):
            slots = {s: state[s][i] for s in self.slots}
            upd, slots = self._update_one(g, slots, lr, step + 1)
            updates.append(upd)
            for s in self.slots:
                new[s].append(slots[s])
        return updates, new

    def _check_grads(self, grads, state: dict) -> None:
        """One finite gradient per parameter, of its shape (``validation.check_gradients``)."""
        shapes = [h.shape for h in state[self.slots[0]]] if self.slots else None
        check_gradients(grads, shapes, f"{type(self).__name__}.update", state["step"])

    def _update_one(self, g, slots, lr, t):
        raise NotImplementedError(f"{type(self).__name__} is an Optimizer without "
                                  "_update_one(g, slots, lr, t) -> (update, slots)")

    def __repr__(self):
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({fields})"


def _epsilon(epsilon):
    """epsilon >= 0 (0 is allowed: chapter 5 shows what it guards against)."""
    check_non_negative(epsilon, "epsilon")
    return epsilon


class SGD(Optimizer):
    """Keras SGD: v = momentum*v - lr*g; w += v (nesterov: w += momentum*v - lr*g)."""

    def __init__(self, learning_rate=0.01, momentum: float = 0.0, nesterov: bool = False):
        super().__init__(learning_rate)
        self.momentum = check_interval(momentum, "momentum", 0, 1, "[)")
        self.nesterov = check_bool(nesterov, "nesterov")
        self.slots = ("velocity",) if momentum else ()

    def _update_one(self, g, slots, lr, t):
        if not self.momentum:
            return -lr * g, slots
        v = self.momentum * slots["velocity"] - lr * g
        upd = self.momentum * v - lr * g if self.nesterov else v
        return upd, {"velocity": v}


class Adagrad(Optimizer):
    """Keras Adagrad: G += g^2 (G starts at 0.1); w -= lr * g / sqrt(G + epsilon)."""
    slots = ("accumulator",)

    def __init__(self, learning_rate=0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7):
        super().__init__(learning_rate)
        check_non_negative(initial_accumulator_value, "initial_accumulator_value")
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = _epsilon(epsilon)

    def _slot_init(self, slot):
        return self.initial_accumulator_value

    def _update_one(self, g, slots, lr, t):
        acc = slots["accumulator"] + g * g
        return -lr * g / np.sqrt(acc + self.epsilon), {"accumulator": acc}


class RMSprop(Optimizer):
    """Keras RMSprop: s = rho*s + (1-rho)*g^2; w -= lr * g / sqrt(s + epsilon)."""
    slots = ("velocity",)

    def __init__(self, learning_rate=0.001, rho: float = 0.9, epsilon: float = 1e-7):
        super().__init__(learning_rate)
        check_interval(rho, "rho", 0, 1, "[)")
        self.rho, self.epsilon = rho, _epsilon(epsilon)

    def _update_one(self, g, slots, lr, t):
        s = self.rho * slots["velocity"] + (1 - self.rho) * g * g
        return -lr * g / np.sqrt(s + self.epsilon), {"velocity": s}


class Adam(Optimizer):
    """Keras Adam: m, v moving averages of g and g^2; the bias correction is folded into the
    step size, alpha_t = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t); w -= alpha_t m / (sqrt(v) + eps).

    (This is the paper's "epsilon-hat" form: the same as dividing m and v by their corrections
    except that epsilon is scaled by sqrt(1 - beta_2^t).)
    """
    slots = ("m", "v")

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7):
        super().__init__(learning_rate)
        check_interval(beta_1, "beta_1", 0, 1, "[)")
        check_interval(beta_2, "beta_2", 0, 1, "[)")
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, _epsilon(epsilon)

    def _update_one(self, g, slots, lr, t):
        m = slots["m"] + (g - slots["m"]) * (1 - self.beta_1)
        v = slots["v"] + (g * g - slots["v"]) * (1 - self.beta_2)
        alpha = lr * np.sqrt(1 - self.beta_2 ** t) / (1 - self.beta_1 ** t)
        return -alpha * m / (np.sqrt(v) + self.epsilon), {"m": m, "v": v}


# -- learning-rate schedules: keras.optimizers.schedules, callable(step) -------------------
class LearningRateSchedule:
    """``schedule(step) -> learning rate``; ``step`` counts optimiser steps from 0 (Keras'
    ``optimizer.iterations``). ``keras_name`` names the Keras schedule with the same formula
    (``companion.keras_twin.keras_schedule`` builds it)."""
    keras_name = ""

    def __call__(self, step: int) -> float:
        raise NotImplementedError(f"{type(self).__name__} is a LearningRateSchedule without "
                                  "__call__(step) -> learning rate")

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"


class _DecaySchedule(LearningRateSchedule):
    """Shared by the two Keras decays: progress p = step / decay_steps, floor'ed if staircase."""

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False):
        check_positive(initial_learning_rate, "initial_learning_rate")
        check_positive(decay_steps, "decay_steps")
        check_non_negative(decay_rate, "decay_rate")
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.decay_rate, self.staircase = decay_rate, check_bool(staircase, "staircase")

    def _progress(self, step):
        p = np.asarray(step, dtype=np.float64) / self.decay_steps
        return np.floor(p) if self.staircase else p


class ExponentialDecay(_DecaySchedule):
    """lr = initial_learning_rate * decay_rate ** (step / decay_steps) (floor'ed if staircase)."""
    keras_name = "ExponentialDecay"

    def __call__(self, step):
        p = self._progress(step)
        return self.initial_learning_rate * self.decay_rate ** p


class InverseTimeDecay(_DecaySchedule):
    """lr = initial_learning_rate / (1 + decay_rate * step / decay_steps) (floor'ed if staircase).

    The notes' 1 / (1 + decay_rate * epoch) is this with decay_steps = steps per epoch and
    staircase=True (``per_epoch_decay``)."""
    keras_name = "InverseTimeDecay"

    def __call__(self, step):
        p = self._progress(step)
        return self.initial_learning_rate / (1 + self.decay_rate * p)


class PiecewiseConstantDecay(LearningRateSchedule):
    """values[i] while boundaries[i-1] < step <= boundaries[i] (Keras' convention)."""
    keras_name = "PiecewiseConstantDecay"

    def __init__(self, boundaries: list[int], values: list[float]):
        for seq, name in ((boundaries, "boundaries"), (values, "values")):
            if not isinstance(seq, (list, tuple, np.ndarray)):
                raise TypeError(f"{name} must be a list of numbers, got {type(seq).__name__} "
                                f"{seq!r:.40}")
        if len(values) != len(boundaries) + 1:
            raise ValueError(f"values needs len(boundaries) + 1 = {len(boundaries) + 1} "
                             f"entries, got {len(values)}")
        for name, seq in (("values", values), ("boundaries", boundaries)):
            for i, v in enumerate(seq):
                check_non_negative(v, f"{name}[{i}]")
        if list(boundaries) != sorted(boundaries):
            raise ValueError(f"boundaries must be increasing step numbers, got {list(boundaries)}")
        self.boundaries, self.values = list(boundaries), list(values)

    def __call__(self, step):
        i = np.searchsorted(self.boundaries, np.asarray(step), side="left")
        return np.asarray(self.values, dtype=np.float64)[i]


def per_epoch_decay(learning_rate: float, decay_rate: float, steps_per_epoch: int):
    """The notes' decay, lr = learning_rate / (1 + decay_rate * epoch), as a step schedule."""
    steps_per_epoch = check_int(steps_per_epoch, "steps_per_epoch")
    return InverseTimeDecay(learning_rate, steps_per_epoch, decay_rate, staircase=True)


def apply_updates(params: list[np.ndarray], updates: list[np.ndarray]) -> None:
    """params[i] += updates[i], in place (so layers holding the arrays see the change)."""
    if len(params) != len(updates):
        raise ValueError(f"apply_updates: {len(params)} parameters but {len(updates)} updates; "
                         "expected one update per parameter")
    for i, p in enumerate(params):
        if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
            raise TypeError(f"apply_updates: parameter {i} must be a floating-point numpy array "
                            f"(updated in place), got {getattr(p, 'dtype', type(p).__name__)}: an "
                            "integer array would round every update away")
    for i, (p, u) in enumerate(zip(params, updates)):      # all checked before any is applied
        if np.shape(u) != p.shape:
            raise ValueError(f"apply_updates: update {i} has shape {np.shape(u)}, expected "
                             f"{p.shape} (its parameter's shape)")
    for p, u in zip(params, updates):
        p += u.astype(p.dtype, copy=False)


class Stateful:
    """Convenience wrapper keeping the state for you: ``opt.step(params, grads)``."""

    def __init__(self, optimizer: Optimizer):
        self.optimizer = optimizer
        self.state = None

    def step(self, params, grads):
        if self.state is None:
            self.state = self.optimizer.init(params)
        updates, self.state = self.optimizer.update(grads, self.state, params)
        apply_updates(params, updates)


def get(opt) -> Optimizer:
    if isinstance(opt, Optimizer):
        return opt
    table = {"sgd": SGD, "adagrad": Adagrad, "rmsprop": RMSprop, "adam": Adam}
    if not isinstance(opt, str) or opt not in table:
        raise ValueError(f"unknown optimizer {opt!r}; choose one of {sorted(table)}")
    return table[opt]()


class ProximalL1(Optimizer):
    """Proximal gradient descent (ISTA) on loss + l1 * sum|w|: a plain gradient step on the
    smooth loss, then the soft threshold, w <- sign(v) max(|v| - lr * l1, 0) with v = w - lr * g.

    The penalty is not in the gradient (leave the layers' ``kernel_regularizer`` off): it is
    the threshold. It applies to the parameters ``penalize(p)`` selects, by default those with
    two or more axes (the kernels; biases are not penalised). Unlike the subgradient
    ``l1 * sign(w)``, the threshold sets weights exactly to 0. ``update`` needs ``params``.
    """

    def __init__(self, learning_rate=0.01, l1: float = 0.01,
                 penalize: Callable[[np.ndarray], bool] | None = None):
        super().__init__(learning_rate)
        self.l1 = check_non_negative(l1, "l1")
        if penalize is not None and not callable(penalize):
            raise TypeError(f"penalize must be a function of an array returning a bool, or None; "
                            f"got {type(penalize).__name__} {penalize!r}")
        self.penalize = penalize

    def update(self, grads: list[np.ndarray], state: dict, params=None):
        """Return (updates, new_state): soft_threshold(p - lr g, lr l1) - p for a penalised
        parameter p, -lr g for the others; the inputs are not modified."""
        if params is None or len(params) != len(grads):
            raise ValueError(f"ProximalL1.update needs the parameters (one per gradient) to "
                             f"threshold them; got {'none' if params is None else len(params)} "
                             f"for {len(grads)} gradients")
        self._check_grads(grads, state)
        from companion.nn.regularizers import soft_threshold  # the one copy of the formula
        lr = _lr_value(self.learning_rate, state["step"])
        updates = []
        for i, (g, p) in enumerate(zip(grads, params)):
            if np.shape(g) != np.shape(p):
                raise ValueError(f"ProximalL1.update: gradient {i} has shape {np.shape(g)}, "
                                 f"expected {np.shape(p)} (its parameter's shape)")
            v = p - lr * g
            if self.penalize(p) if self.penalize is not None else np.ndim(p) >= 2:
                v = soft_threshold(v, lr * self.l1)
            updates.append(v - p)
        return updates, {"step": state["step"] + 1}


# -- the transformer's schedules (chapter 14b) ----------------------------------------------------
class InverseSqrtSchedule(LearningRateSchedule):
    """The original transformer's schedule (Vaswani et al. 2017, eq. 3), with s = step + 1:

        lr = scale * d_model^-0.5 * min(s^-0.5, s * warmup_steps^-1.5)

    a linear warmup for ``warmup_steps`` steps to its peak scale / sqrt(d_model * warmup_steps),
    then a decay as 1/sqrt(s). No Keras counterpart."""

    def __init__(self, d_model: int, warmup_steps: int = 4000, scale: float = 1.0):
        check_positive(d_model, "d_model")
        check_positive(warmup_steps, "warmup_steps")
        check_positive(scale, "scale")
        self.d_model, self.warmup_steps, self.scale = d_model, warmup_steps, scale

    def __call__(self, step):
        s = np.asarray(step, dtype=np.float64) + 1.0
        return self.scale * self.d_model ** -0.5 * np.minimum(s ** -0.5,
                                                              s * self.warmup_steps ** -1.5)


class CosineDecay(LearningRateSchedule):
    """Keras' CosineDecay, with its optional linear warmup (Loshchilov & Hutter 2017):

        warmup (step < warmup_steps): lr = initial + (warmup_target - initial) * step / warmup_steps
        then, with p = min(step - warmup_steps, decay_steps) / decay_steps and peak = warmup_target
        (initial_learning_rate when there is no warmup):
            lr = peak * ((1 - alpha) * 0.5 * (1 + cos(pi p)) + alpha)
    """
    keras_name = "CosineDecay"

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0,
                 warmup_target: float | None = None, warmup_steps: int = 0):
        check_non_negative(initial_learning_rate, "initial_learning_rate")
        check_positive(decay_steps, "decay_steps")
        check_non_negative(alpha, "alpha")
        check_non_negative(warmup_steps, "warmup_steps")
        if warmup_target is not None:
            check_positive(warmup_target, "warmup_target")
        self.initial_learning_rate, self.decay_steps, self.alpha = \
            initial_learning_rate, decay_steps, alpha
        self.warmup_target, self.warmup_steps = warmup_target, warmup_steps

    def __call__(self, step):
        step = np.asarray(step, dtype=np.float64)
        peak = self.initial_learning_rate if self.warmup_target is None else self.warmup_target
        p = np.minimum(np.maximum(step - self.warmup_steps, 0.0), self.decay_steps) / \
            self.decay_steps
        decayed = peak * ((1 - self.alpha) * 0.5 * (1 + np.cos(np.pi * p)) + self.alpha)
        if self.warmup_target is None or self.warmup_steps == 0:
            return decayed
        warm = self.initial_learning_rate + (self.warmup_target - self.initial_learning_rate) * \
            step / self.warmup_steps
        return np.where(step < self.warmup_steps, warm, decayed)
