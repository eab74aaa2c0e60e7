"""Keras twins of our optimisers and learning-rate schedules: the same formula, the same
hyper-parameters (Keras' names and defaults on both sides)."""

from __future__ import annotations

from companion.nn.optim import (
    SGD,
    Adagrad,
    Adam,
    LearningRateSchedule,
    Optimizer,
    RMSprop,
)
from companion.nn.optim import get as get_optimizer


def keras_schedule(schedule: LearningRateSchedule, keras):
    """The ``keras.optimizers.schedules`` object with the same numbers as ``schedule``."""
    if not isinstance(schedule, LearningRateSchedule) or not schedule.keras_name:
        raise TypeError(f"keras_schedule: {type(schedule).__name__} has no Keras counterpart; "
                        "expected one of ExponentialDecay, InverseTimeDecay, "
                        "PiecewiseConstantDecay")
    return getattr(keras.optimizers.schedules, schedule.keras_name)(**vars(schedule))


def keras_optimizer(opt: Optimizer, keras):
    """The Keras optimiser with the same formula and hyper-parameters as ``opt`` (an optimiser
    of ours, or its name as ``fit`` accepts it: "sgd", "adam", ...)."""
    opt = get_optimizer(opt)
    lr = opt.learning_rate
    if isinstance(lr, LearningRateSchedule):
        lr = keras_schedule(lr, keras)
    elif callable(lr):
        raise TypeError("keras_optimizer: only LearningRateSchedule objects map to Keras")
    if isinstance(opt, SGD):
        return keras.optimizers.SGD(lr, momentum=opt.momentum, nesterov=opt.nesterov)
    if isinstance(opt, Adagrad):
        return keras.optimizers.Adagrad(lr, initial_accumulator_value=opt.initial_accumulator_value,
                                        epsilon=opt.epsilon)
    if isinstance(opt, RMSprop):
        return keras.optimizers.RMSprop(lr, rho=opt.rho, epsilon=opt.epsilon)
    if type(opt) is Adam:
        return keras.optimizers.Adam(lr, beta_1=opt.beta_1, beta_2=opt.beta_2, epsilon=opt.epsilon)
    raise TypeError(f"opt: {type(opt).__name__} has no Keras counterpart")
