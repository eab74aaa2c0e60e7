"""Weight initialisers, named as in Keras. Each is ``init(shape, rng) -> array``.

fan_in/fan_out follow Keras: for a Dense kernel (in, out) they are in and out; for a
convolution kernel (kh, kw, in, out) they are kh*kw*in and kh*kw*out.

Keras' ``*Normal`` initialisers draw from a *truncated* normal (cut at 2 standard deviations)
and rescale the standard deviation by 1/0.87962566 so the variance stays as asked; ours do the
same, so the statistics are comparable. ``*_untruncated`` variants draw a plain normal.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from companion.nn.validation import check_non_negative, check_number, rng_from

TRUNC_STD = 0.87962566103423978   # std of a standard normal truncated to [-2, 2]


def fans(shape) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shape; every dimension must be a positive integer."""
    shape = _check_shape(shape)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * receptive, shape[-1] * receptive


def _check_shape(shape) -> tuple[int, ...]:
    """A weight shape as a tuple of positive integers (an int n means (n,), as in NumPy)."""
    try:
        if isinstance(shape, (str, bytes)):
            raise TypeError
        dims = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    except TypeError:
        raise TypeError(f"shape: expected a tuple of positive integers, got "
                        f"{type(shape).__name__} {shape!r}") from None
    if not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d > 0
               for d in dims):
        raise ValueError(f"shape: expected a tuple of positive integers, got {shape!r}")
    return dims


def truncated_normal(shape, std: float, rng) -> np.ndarray:
    """Normal(0, std^2) restricted to [-2 std, 2 std] (redrawing what falls outside)."""
    shape, std = _check_shape(shape), check_non_negative(std, "std")
    rng = rng_from(rng)
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2
    while bad.any():
        out[bad] = rng.standard_normal(bad.sum())
        bad = np.abs(out) > 2
    return out * std


def zeros(shape, rng=None):
    return np.zeros(_check_shape(shape))


def ones(shape, rng=None):
    return np.ones(_check_shape(shape))


def random_normal(shape, rng, stddev: float = 0.05):
    """Keras' RandomNormal default: N(0, 0.05^2)."""
    return rng_from(rng).normal(0.0, check_non_negative(stddev, "stddev"), _check_shape(shape))


def small_random(shape, rng, scale: float = 0.01):
    """The classic 'small random' start: N(0, 1) * 0.01."""
    return rng_from(rng).standard_normal(_check_shape(shape)) * check_non_negative(scale, "scale")


def standard_normal(shape, rng):
    """N(0, 1): the 'variance of 1' that the notes mistake for He initialisation."""
    return rng_from(rng).standard_normal(_check_shape(shape))


def glorot_uniform(shape, rng):
    """U(-l, l) with l = sqrt(6 / (fan_in + fan_out)): variance 2 / (fan_in + fan_out)."""
    fi, fo = fans(shape)
    limit = np.sqrt(6.0 / (fi + fo))
    return rng_from(rng).uniform(-limit, limit, shape)


def glorot_normal(shape, rng):
    fi, fo = fans(shape)
    return truncated_normal(shape, np.sqrt(2.0 / (fi + fo)) / TRUNC_STD, rng)


def he_normal(shape, rng):
    """Variance 2 / fan_in (He et al. 2015), truncated normal as in Keras."""
    fi, _ = fans(shape)
    return truncated_normal(shape, np.sqrt(2.0 / fi) / TRUNC_STD, rng)


def he_normal_untruncated(shape, rng):
    fi, _ = fans(shape)
    return rng_from(rng).normal(0.0, np.sqrt(2.0 / fi), shape)


def he_uniform(shape, rng):
    fi, _ = fans(shape)
    limit = np.sqrt(6.0 / fi)
    return rng_from(rng).uniform(-limit, limit, shape)


def lecun_normal(shape, rng):
    fi, _ = fans(shape)
    return truncated_normal(shape, np.sqrt(1.0 / fi) / TRUNC_STD, rng)


def orthogonal(shape, rng, gain: float = 1.0):
    """A (semi-)orthogonal matrix, Keras' default for recurrent kernels."""
    shape = _check_shape(shape)
    if len(shape) < 2:
        raise ValueError(f"shape: an orthogonal matrix needs at least 2 dimensions, got {shape}")
    gain = check_number(gain, "gain")
    rows, cols = int(np.prod(shape[:-1])), shape[-1]
    a = rng_from(rng).standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return gain * q[:rows, :cols].reshape(shape)


INITIALIZERS: dict[str, Callable] = {
    f.__name__: f for f in (zeros, ones, random_normal, small_random, standard_normal,
                            glorot_uniform, glorot_normal, he_normal, he_normal_untruncated,
                            he_uniform, lecun_normal, orthogonal)
}


def get(name_or_fn, argument: str | None = None) -> Callable:
    """An initialiser from its Keras name (or a callable, returned as it is); ``argument``
    names the caller's argument in the error message."""
    if callable(name_or_fn):
        return name_or_fn
    if not isinstance(name_or_fn, str) or name_or_fn not in INITIALIZERS:
        where = f"{argument}: " if argument else ""
        raise ValueError(f"{where}unknown initializer {name_or_fn!r}; choose one of "
                         f"{sorted(INITIALIZERS)}")
    return INITIALIZERS[name_or_fn]
