"""Activation functions and their derivatives (element-wise, any shape).

Each derivative is written in terms of the pre-activation ``z``; softmax, which is not
element-wise, has a Jacobian-vector product instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from companion.nn.validation import as_array, check_finite


def sigmoid(z, out=None):
    """1 / (1 + exp(-z)), without overflow and accurate in both tails.

    With e = exp(-|z|) in (0, 1]: 1 / (1 + e) for z >= 0 and e / (1 + e) for z < 0, so exp
    never sees a large positive argument (and sigmoid(-40) is 4.2e-18, not 0). No branches or
    masks, so it is fast enough for the recurrent cells. ``out``: an array to write into (it
    may be ``z`` itself). A float32 input stays float32; integers become float64.
    """
    z = as_array(z, "sigmoid: z")
    if z.dtype.kind != "f" or z.dtype.itemsize < 4:
        z = z.astype(np.result_type(z, np.float32))
    e = np.abs(z, out=np.empty_like(z))
    np.negative(e, out=e)
    np.exp(e, out=e)                                           # exp(-|z|) in (0, 1]
    num = np.maximum(e, z >= 0, out=np.empty_like(e) if out is None else out)  # 1 or e
    e += 1.0
    return np.divide(num, e, out=num)


def sigmoid_grad(z):
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z):
    return np.tanh(as_array(z, "tanh: z"))


def tanh_grad(z):
    return 1.0 - np.tanh(as_array(z, "tanh_grad: z")) ** 2


def relu(z):
    """max(0, z).

    >>> relu(np.array([-1.0, 0.0, 2.0])).tolist()
    [0.0, 0.0, 2.0]
    """
    return np.maximum(as_array(z, "relu: z"), 0)


def relu_grad(z):
    """1 for z > 0, else 0 (the value at exactly 0 is a convention; we use 0, like Keras);
    NaN where z is NaN (a NaN pre-activation has no slope: it must not turn into 0)."""
    z = as_array(z, "relu_grad: z")
    return np.where(np.isnan(z), np.nan, z > 0).astype(np.result_type(z, np.float32))


def linear(z):
    return as_array(z, "linear: z")


def linear_grad(z):
    """1 everywhere, NaN where z is NaN (as the other activations' gradients)."""
    z = as_array(z, "linear_grad: z")
    return np.where(np.isnan(z), np.nan, np.ones_like(z)).astype(z.dtype)


def sign(z):
    """The perceptron's activation: +1 for z >= 0, -1 otherwise (as in the notes)."""
    z = check_finite(as_array(z, "sign: z"), "sign: z")     # NaN >= 0 is False: not -1
    return np.where(z >= 0, 1, -1)


def softmax(z, axis: int = -1):
    """exp(z) / sum(exp(z)) along ``axis``, shifted by the max for stability.

    >>> softmax(np.array([[0.0, np.log(3.0)]])).round(3).tolist()
    [[0.25, 0.75]]
    """
    z = as_array(z, "softmax: z")
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(z, axis: int = -1):
    """log softmax(z) along ``axis``, computed stably (z - max - log sum exp(z - max))."""
    z = as_array(z, "log_softmax: z")
    z = z - np.max(z, axis=axis, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


def sample_from_logits(logits, temperature: float, rng) -> np.ndarray:
    """One index per row of ``logits`` (n, V), drawn from softmax(logits / temperature);
    ``temperature == 0`` is greedy (the argmax). A -inf logit is never drawn.

    The draw is by inverse CDF with one uniform number per row, so a given ``rng`` state
    gives the same indices on every machine."""
    if isinstance(temperature, (bool, np.bool_)) or not isinstance(
            temperature, (int, float, np.integer, np.floating)) or not temperature >= 0:
        raise ValueError(f"temperature must be a number >= 0, got {temperature!r} (a negative "
                         "temperature would favour the least likely tokens)")
    if temperature == 0:
        return np.argmax(logits, axis=1)
    q = softmax(logits / temperature, axis=1)
    u = rng.random((len(q), 1))
    return np.minimum((q.cumsum(axis=1) < u).sum(axis=1), q.shape[1] - 1)


def softmax_backward(dout, s, axis: int = -1):
    """Vector-Jacobian product of softmax: given dL/ds and s = softmax(z), return dL/dz."""
    dout, s = as_array(dout, "softmax_backward: dout"), as_array(s, "softmax_backward: s")
    _same_shape(dout, s, "softmax_backward", "s")
    return s * (dout - np.sum(dout * s, axis=axis, keepdims=True))


def _same_shape(dout, other, where: str, name: str) -> None:
    if dout.shape != other.shape:
        raise ValueError(f"{where}: dout has shape {dout.shape} but {name} has shape "
                         f"{other.shape}; they must match")


class Activation(NamedTuple):
    name: str
    fn: Callable
    grad: Callable | None   # element-wise derivative in terms of z; None for softmax


ACTIVATIONS = {
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_grad),
    "tanh": Activation("tanh", tanh, tanh_grad),
    "relu": Activation("relu", relu, relu_grad),
    "linear": Activation("linear", linear, linear_grad),
    "softmax": Activation("softmax", softmax, None),
}


def get(name: str | None) -> Activation:
    """Look up an activation by its Keras name (``None`` means linear)."""
    name = "linear" if name is None else name
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]


def forward(name: str | None, z):
    return get(name).fn(z)


def backward(name: str | None, dout, z, out):
    """dL/dz from dL/da for the activation ``name`` (``out`` = activation(z), reused for softmax)."""
    act = get(name)
    dout, out = as_array(dout, "dout"), as_array(out, "out")
    _same_shape(dout, out, f"activations.backward({act.name!r})", "out")
    if act.grad is None:
        return softmax_backward(dout, out)
    if act.name == "sigmoid":
        return dout * out * (1.0 - out)
    if act.name == "tanh":
        return dout * (1.0 - out ** 2)
    if act.name == "linear":
        return dout
    return dout * act.grad(z)
