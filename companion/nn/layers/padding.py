"""Window geometry shared by convolution and pooling (NHWC): Keras' padding rules, output
sizes, padding and un-padding, and strided views of every receptive field.

Output size per spatial axis: floor((n + p_total - f) / s) + 1. 'valid' adds nothing; 'same'
adds max((ceil(n/s) - 1) s + f - n, 0) zeros, half (rounded down) before and the rest after,
so the output has ceil(n/s) positions (``same_padding``).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from companion.nn.shape_checks import check_dims
from companion.nn.validation import as_array, check_int

PADDINGS = ("valid", "same")


def pair(value, name: str) -> tuple[int, int]:
    """An int or a pair of ints -> (a, b), checked positive."""
    if type(value) is tuple and len(value) == 2 and type(value[0]) is int is type(value[1]) \
            and value[0] > 0 and value[1] > 0:
        return value                                # the usual case, called per chunk: fast
    v = (value, value) if np.isscalar(value) or value is None else value
    if isinstance(v, (str, bytes)) or not hasattr(v, "__len__") or len(v) != 2:
        raise ValueError(f"{name} must be a positive integer or a pair of them, got {value!r}")
    a, b = (check_int(k, f"{name} must be a positive integer or a pair of them; {name}")
            for k in v)
    return a, b


def check_padding(padding: str) -> str:
    """'valid' or 'same' (any case, as Keras accepts), returned lower-case."""
    p = padding.lower() if isinstance(padding, str) else None
    if p not in PADDINGS:
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    return p


def same_padding(n: int, f: int, s: int) -> tuple[int, int]:
    """Keras/TensorFlow 'same' padding (before, after) for one axis of size n."""
    n, f, s = check_int(n, "n"), check_int(f, "f"), check_int(s, "s")
    total = max((-(-n // s) - 1) * s + f - n, 0)
    return total // 2, total - total // 2


def pad_amounts(n: int, f: int, s: int, padding: str) -> tuple[int, int]:
    """(before, after) padding of one axis of size n for a window f, stride s."""
    if check_padding(padding) == "same":
        return same_padding(n, f, s)
    check_int(n, "n"), check_int(f, "f"), check_int(s, "s")
    return (0, 0)


def conv_output_size(n: int, f: int, s: int = 1, p: int = 0) -> int:
    """floor((n + 2p - f) / s) + 1: the output length for symmetric padding p on each side."""
    n, f, s, p = check_int(n, "n"), check_int(f, "f"), check_int(s, "s"), check_int(p, "p", 0)
    if n + 2 * p < f:
        raise ValueError(f"f: a window of {f} does not fit an input of size n={n} with "
                         f"padding p={p} on each side")
    return (n + 2 * p - f) // s + 1


def output_hw(hw, kernel, strides, padding) -> tuple[int, int]:
    """Output (height, width) of a kh x kw window sliding with ``strides`` and ``padding``."""
    hw, kernel, strides = pair(hw, "hw"), pair(kernel, "kernel"), pair(strides, "strides")
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
    x = as_array(x, "x", ndim=4)
    kernel, strides = pair(kernel, "kernel"), pair(strides, "strides")
    pads = tuple(pad_amounts(n, f, s, padding) for n, f, s in zip(x.shape[1:3], kernel, strides))
    return pad_explicit(x, pads, value), pads


def pad_explicit(x, pads, value=0.0):
    """(N, H, W, C) with ((top, bottom), (left, right)) rows/columns of ``value`` around it."""
    x, pads = as_array(x, "x", ndim=4), check_pads(pads)
    if isinstance(value, (bool, np.bool_)) or as_array(value, "value").ndim != 0:
        raise TypeError(f"value must be one number (the padding's fill), got {value!r}")
    if pads == ((0, 0), (0, 0)):
        return x
    (t, b), (l, r) = pads
    n, h, w, c = x.shape
    xp = np.full((n, h + t + b, w + l + r, c), value, dtype=np.result_type(x, np.float16))
    xp[:, t:t + h, l:l + w, :] = x                        # (np.pad does the same, slower)
    return xp


def windows(xp, kernel, strides, out_hw):
    """Strided *view* (N, Ho, Wo, kh, kw, C) of every receptive field of a padded input."""
    xp, kernel, strides, out_hw = check_geometry(xp, kernel, strides, out_hw)
    n, _, _, c = xp.shape
    sn, sh, sw, sc = xp.strides
    return as_strided(xp, shape=(n, out_hw[0], out_hw[1], kernel[0], kernel[1], c),
                      strides=(sn, sh * strides[0], sw * strides[1], sh, sw, sc), writeable=False)


def offsets(xp, kernel, strides, out_hw):
    """Yield (u, v, view (N, Ho, Wo, C)): what window position (u, v) sees at every output,
    a strided view of the padded input xp (N, Hp, Wp, C), never a copy."""
    xp, kernel, strides, out_hw = check_geometry(xp, kernel, strides, out_hw)
    (sh, sw), (ho, wo) = strides, out_hw
    for u in range(kernel[0]):
        for v in range(kernel[1]):
            yield u, v, xp[:, u:u + sh * (ho - 1) + 1:sh, v:v + sw * (wo - 1) + 1:sw, :]


def unpad(dxp, pads):
    """The inside of a padded (N, Hp, Wp, C) array: ``pad_explicit`` undone (a view)."""
    dxp, pads = as_array(dxp, "dxp", ndim=4), check_pads(pads)
    (t, b), (l, r) = pads
    if t + b >= dxp.shape[1] or l + r >= dxp.shape[2]:
        raise ValueError(f"pads: {pads} leaves nothing of dxp of shape {dxp.shape}")
    return dxp[:, t:dxp.shape[1] - b, l:dxp.shape[2] - r, :]


def check_pads(pads) -> tuple[tuple[int, int], tuple[int, int]]:
    """((top, bottom), (left, right)) of integers >= 0, as ``pad_input`` returns them."""
    try:
        (t, b), (l, r) = pads
    except (TypeError, ValueError):
        raise TypeError(f"pads must be ((top, bottom), (left, right)), got {pads!r}") from None
    if type(t) is int is type(b) is type(l) is type(r) and min(t, b, l, r) >= 0:
        return (t, b), (l, r)
    return tuple(tuple(check_int(k, "pads entries", 0) for k in side) for side in ((t, b), (l, r)))


def check_geometry(xp, kernel, strides, out_hw):
    """xp (N, Hp, Wp, C) and the window geometry that views it: kernel, strides and out_hw
    pairs whose last window, (out - 1) * stride + kernel, still lies inside xp (a strided view
    past its end would read other memory). O(1). Returns them checked."""
    if type(xp) is not np.ndarray or xp.ndim != 4 or xp.dtype.kind not in "fiub":
        xp = as_array(xp, "xp", ndim=4)
    if xp.size == 0:
        raise ValueError(f"xp is empty (shape {xp.shape}); expected at least one image")
    kernel, strides = pair(kernel, "kernel"), pair(strides, "strides")
    out_hw = pair(out_hw, "out_hw")
    for axis, n, f, s, o in zip(("height", "width"), xp.shape[1:3], kernel, strides, out_hw):
        if (o - 1) * s + f > n:
            raise ValueError(f"out_hw: {tuple(out_hw)} windows of {tuple(kernel)} with strides "
                             f"{tuple(strides)} do not fit xp's {axis} {n} (xp has shape "
                             f"{xp.shape})")
    return xp, kernel, strides, out_hw


def check_conv_arguments(owner: str, x, W, b):
    """x (N, H, W, C), W (kh, kw, C, F) and b (F,) or None of a convolution, as arrays whose
    sizes agree (O(1): shapes and dtypes only; NaN flows through to the outputs it reaches)."""
    specs = {"x": (x, "N H W C"), "W": (W, "kh kw C F")}
    if b is not None:
        specs["b"] = (b, "F")
    arrays, _ = check_dims(owner, **specs)
    return arrays[0], arrays[1], (arrays[2] if b is not None else None)


def cached_output_shape(xp, W, strides) -> tuple:
    """The output shape of a forward whose cache holds xp (padded), W and strides."""
    (xp, W), _ = check_dims("cached_output_shape", xp=(xp, "N Hp Wp C"), W=(W, "kh kw C F"))
    (n, hp, wp, _), (kh, kw, _, f), strides = xp.shape, W.shape, pair(strides, "strides")
    if kh > hp or kw > wp:
        raise ValueError(f"W: a {kh}x{kw} window does not fit xp of shape {xp.shape}")
    return (n, (hp - kh) // strides[0] + 1, (wp - kw) // strides[1] + 1, f)


def check_gradient_arguments(dout, W, strides, pads, xp_shape):
    """``input_gradient``'s arguments: dout (N, Ho, Wo, F) the output of a window W
    (kh, kw, C, F) with strides over a padded input of xp_shape (N, Hp, Wp, C), pads its
    padding."""
    (dout, W), _ = check_dims("input_gradient", dout=(dout, "N Ho Wo F"), W=(W, "kh kw C F"))
    strides, pads = pair(strides, "strides"), check_pads(pads)
    if not isinstance(xp_shape, tuple) or len(xp_shape) != 4 or \
            not all(isinstance(k, (int, np.integer)) for k in xp_shape):
        raise TypeError(f"xp_shape: expected the padded input's shape (N, Hp, Wp, C), got "
                        f"{xp_shape!r}")
    (n, hp, wp, c), (kh, kw, _, f) = xp_shape, W.shape
    want = (n, (hp - kh) // strides[0] + 1, (wp - kw) // strides[1] + 1, f)
    if c != W.shape[2] or kh > hp or kw > wp or dout.shape != want:
        raise ValueError(f"dout has shape {dout.shape}, expected {want} (the output of W "
                         f"{W.shape} with strides {strides} on xp_shape {xp_shape})")
    (t, b), (l, r) = pads
    if t + b >= xp_shape[1] or l + r >= xp_shape[2]:
        raise ValueError(f"pads: {pads} leaves nothing of xp_shape {xp_shape}")
    return dout, W, strides, pads
