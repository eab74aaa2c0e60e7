"""Window geometry shared by convolution and pooling (NHWC): Keras' padding rules, output
sizes, padding and un-padding, and strided views of every receptive field.

Output size per spatial axis: floor((n + p_total - f) / s) + 1. 'valid' adds nothing; 'same'
adds max((ceil(n/s) - 1) s + f - n, 0) zeros, half (rounded down) before and the rest after,
so the output has ceil(n/s) positions (``same_padding``).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from companion.nn.validation import check_int

PADDINGS = ("valid", "same")


def pair(value, name: str) -> tuple[int, int]:
    """An int or a pair of ints -> (a, b), checked positive."""
    v = (value, value) if np.isscalar(value) or value is None else value
    if isinstance(v, (str, bytes)) or not hasattr(v, "__len__") or len(v) != 2:
        raise ValueError(f"{name} must be a positive integer or a pair of them, got {value!r}")
    a, b = (check_int(k, f"{name} must be a positive integer or a pair of them; {name}")
            for k in v)
    return a, b


def check_padding(padding: str) -> str:
    p = str(padding).lower()
    if p not in PADDINGS:
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    return p


def same_padding(n: int, f: int, s: int) -> tuple[int, int]:
    """Keras/TensorFlow 'same' padding (before, after) for one axis of size n."""
    total = max((-(-n // s) - 1) * s + f - n, 0)
    return total // 2, total - total // 2


def pad_amounts(n: int, f: int, s: int, padding: str) -> tuple[int, int]:
    return same_padding(n, f, s) if check_padding(padding) == "same" else (0, 0)


def conv_output_size(n: int, f: int, s: int = 1, p: int = 0) -> int:
    """floor((n + 2p - f) / s) + 1: the output length for symmetric padding p on each side."""
    return (n + 2 * p - f) // s + 1


def output_hw(hw, kernel, strides, padding) -> tuple[int, int]:
    """Output (height, width) of a kh x kw window sliding with ``strides`` and ``padding``."""
    out = []
    for n, f, s in zip(hw, kernel, strides):
        lo, hi = pad_amounts(n, f, s, padding)
        if n + lo + hi < f:
            raise ValueError(f"a window of {f} does not fit an input of size {n} "
                             f"with padding {padding!r}")
        out.append((n + lo + hi - f) // s + 1)
    return tuple(out)


def pad_input(x, kernel, strides, padding, value=0.0):
    """Pad (N, H, W, C) as Keras does; returns (xp, ((top, bottom), (left, right)))."""
    pads = tuple(pad_amounts(n, f, s, padding) for n, f, s in zip(x.shape[1:3], kernel, strides))
    return pad_explicit(x, pads, value), pads


def pad_explicit(x, pads, value=0.0):
    """(N, H, W, C) with ((top, bottom), (left, right)) rows/columns of ``value`` around it."""
    if pads == ((0, 0), (0, 0)):
        return x
    (t, b), (l, r) = pads
    n, h, w, c = x.shape
    xp = np.full((n, h + t + b, w + l + r, c), value, dtype=np.result_type(x, np.float16))
    xp[:, t:t + h, l:l + w, :] = x                        # (np.pad does the same, slower)
    return xp


def windows(xp, kernel, strides, out_hw):
    """Strided *view* (N, Ho, Wo, kh, kw, C) of every receptive field of a padded input."""
    n, _, _, c = xp.shape
    sn, sh, sw, sc = xp.strides
    return as_strided(xp, shape=(n, out_hw[0], out_hw[1], kernel[0], kernel[1], c),
                      strides=(sn, sh * strides[0], sw * strides[1], sh, sw, sc), writeable=False)


def offsets(xp, kernel, strides, out_hw):
    """Yield (u, v, view (N, Ho, Wo, C)): what window position (u, v) sees at every output,
    a strided view of the padded input xp (N, Hp, Wp, C), never a copy."""
    (sh, sw), (ho, wo) = strides, out_hw
    for u in range(kernel[0]):
        for v in range(kernel[1]):
            yield u, v, xp[:, u:u + sh * (ho - 1) + 1:sh, v:v + sw * (wo - 1) + 1:sw, :]


def unpad(dxp, pads):
    (t, b), (l, r) = pads
    return dxp[:, t:dxp.shape[1] - b, l:dxp.shape[2] - r, :]
