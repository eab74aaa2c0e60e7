"""Shapes checked against each other: an array's shape, masks in the forms Keras accepts,
``backward``'s ``dout`` against the last forward's output, several arrays whose sizes must agree
(``check_dims``), and the caches of the pure ``*_forward`` / ``*_backward`` functions.

Cheap enough for a function called once per time step or per chunk: O(1) work on an ndarray of
a real dtype (no copy, no scan); anything else goes through ``validation.as_array``, whose
message names what was wrong. (Scalars, flags, strings and whole-array checks are in
``companion.nn.validation``.)
"""
from __future__ import annotations

import numpy as np

from companion.nn.validation import abbreviate, as_array


def check_same_length(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if len(a) != len(b):
        raise ValueError(f"{name_a} has {len(a)} rows but {name_b} has {len(b)}: "
                         "they must describe the same examples")


def _shape_text(shape: tuple) -> str:
    return "(" + ", ".join("N" if s is None else str(s) for s in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def _shape_ok(shape: tuple, expected: tuple) -> bool:
    return len(shape) == len(expected) and all(e is None or e == s
                                               for e, s in zip(expected, shape))


def check_mask(mask, name: str, shape) -> np.ndarray | None:
    """A mask in the forms Keras accepts, returned as a boolean array (True = keep/attend).

    Accepted: booleans, or integers that are all 0 or 1 (None passes through as None).
    ``shape`` is the expected shape (``None`` entries match any size) or a list of such shapes
    when several are allowed (e.g. ``[(N, Tv), (N, Tq, Tv)]``); no broadcasting is guessed at.
    ``shape=None`` checks the values only (for a caller with its own shape rule).
    Refused with a sentence: floats (an additive 0 / -inf mask, as PyTorch writes it, is named
    as such: cast to bool it would be inverted), other integers, strings, objects.

    >>> check_mask([[1, 0, 1]], "mask", (None, 3))
    array([[ True, False,  True]])
    >>> check_mask(np.array([[0.0, -np.inf]]), "mask", (None, 2))
    Traceback (most recent call last):
    TypeError: mask: got an additive float mask (0 = attend, -inf = hide, as PyTorch writes it); masks here are boolean, True = attend, as in Keras: pass mask == 0
    """
    if mask is None:
        return None
    try:
        arr = np.asarray(mask)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name}: expected a boolean mask, got {type(mask).__name__} "
                        f"({exc})") from None
    if arr.dtype.kind == "f":
        finite = arr[np.isfinite(arr)]
        if arr.size and np.all(arr <= 0) and (np.any(np.isneginf(arr)) or
                                              (finite.size and finite.min() <= -1e4)):
            raise TypeError(f"{name}: got an additive float mask (0 = attend, -inf = hide, as "
                            "PyTorch writes it); masks here are boolean, True = attend, as in "
                            f"Keras: pass {name} == 0")
        raise TypeError(f"{name}: expected a boolean mask (True = attend) or 0/1 integers, "
                        f"got dtype {arr.dtype}; pass {name}.astype(bool) if it holds 0 and 1 "
                        "(a float mask is never cast: an additive float mask, 0 = attend, "
                        "would be read upside down)")
    if arr.dtype.kind in "iu":
        if arr.size and not np.all((arr == 0) | (arr == 1)):
            raise ValueError(f"{name}: an integer mask must hold only 0 and 1, got values from "
                             f"{arr.min()} to {arr.max()}")
    elif arr.dtype.kind != "b":
        raise TypeError(f"{name}: expected a boolean mask (True = attend) or 0/1 integers, "
                        f"got {type(mask).__name__} of dtype {arr.dtype}")
    if shape is None:                   # the caller checks the shape (e.g. broadcasting)
        return arr.astype(bool)
    shapes = [tuple(shape)] if not shape or not isinstance(
        shape[0], (tuple, list)) else [tuple(s) for s in shape]
    if not any(_shape_ok(arr.shape, s) for s in shapes):
        want = " or ".join(_shape_text(s) for s in shapes)
        raise ValueError(f"{name}: expected shape {want}, got {arr.shape}")
    return arr.astype(bool)


def check_dout(dout, expected_shape: tuple, name: str = "dout", dtype=None) -> np.ndarray:
    """``backward``'s upstream gradient: exactly the shape of the last forward's output.

    A ``dout`` whose batch or feature size differs would broadcast (or sum) into gradients of
    the wrong meaning, so it raises. Returns ``dout`` as an array (of ``dtype`` if given).
    """
    if dtype is None and type(dout) is np.ndarray and dout.shape == tuple(expected_shape) \
            and dout.dtype.kind in "fiu":
        return dout                   # the usual case, O(1): called once per step or chunk
    arr = as_array(dout, name)
    if arr.shape != tuple(expected_shape):
        raise ValueError(f"{name} has shape {arr.shape}, expected {tuple(expected_shape)} (the "
                         "shape of the last forward's output)")
    return arr if dtype is None else arr.astype(dtype, copy=False)


_DIM_CACHE: dict[str, tuple] = {}


_DIMS_SEEN: dict[tuple, dict[str, int]] = {}        # (dims, shape) per array -> sizes: passed


def _parse_dims(dims: str) -> tuple:
    """'N 3u' -> ((1, 'N'), (3, 'u')); '5' -> ((5, None),): parsed once, then cached."""
    parsed = _DIM_CACHE.get(dims)
    if parsed is None:
        parsed = []
        for token in dims.split():
            digits = len(token) - len(token.lstrip("0123456789"))
            parsed.append((int(token[:digits] or 1), token[digits:] or None))
        if len(_DIM_CACHE) > 4096:
            _DIM_CACHE.clear()
        parsed = _DIM_CACHE[dims] = tuple(parsed)
    return parsed


def check_dims(owner: str, **specs) -> tuple[list[np.ndarray], dict[str, int]]:
    """Several arrays whose sizes must agree, each given as ``name=(array, "N T D")``.

    A symbol ('N', 'u') takes its size where it first appears and must match everywhere
    after; '3u' means three times u (a symbol first seen as '3u' must divide by 3); a number
    is a fixed size. Each array is checked numeric (``as_array``) with the rank its spec has.
    O(1): shapes only, no scan of the values. Returns ([arrays], {symbol: size}).

    >>> _, sizes = check_dims("step", x=(np.ones((2, 3)), "N D"), w=(np.ones((3, 8)), "D 4u"))
    >>> sizes
    {'N': 2, 'D': 3, 'u': 2}
    >>> check_dims("step", x=(np.ones((2, 3)), "N D"), h=(np.ones((1, 4)), "N H"))
    Traceback (most recent call last):
    ValueError: step: h has shape (1, 4), expected (N, H) with N=2 (from x)
    """
    key = []
    for value, dims in specs.values():                 # fast path: shapes seen before
        if type(value) is not np.ndarray or value.dtype.kind not in "fiub":
            break
        key.append((dims, value.shape))
    else:
        key = tuple(key)
        sizes = _DIMS_SEEN.get(key)
        if sizes is not None:
            return [v for v, _ in specs.values()], sizes
    sizes = {}
    arrays = []
    for name, (value, dims) in specs.items():
        parsed = _parse_dims(dims)
        arr = value if type(value) is np.ndarray and value.dtype.kind in "fiub" else \
            as_array(value, f"{owner}: {name}")
        if arr.ndim != len(parsed):
            raise ValueError(f"{owner}: {name} has shape {arr.shape}, expected a "
                             f"{len(parsed)}-D array ({', '.join(dims.split())})")
        for size, (mult, sym) in zip(arr.shape, parsed):
            if sym is None:
                ok = size == mult
            elif sym in sizes:
                ok = size == mult * sizes[sym]
            else:
                ok = size > 0 and size % mult == 0
                sizes[sym] = size // mult
            if not ok:
                _dims_error(owner, name, arr.shape, dims, mult, sym, sizes, specs)
        arrays.append(arr)
    if isinstance(key, tuple):
        if len(_DIMS_SEEN) > 4096:
            _DIMS_SEEN.clear()
        _DIMS_SEEN[key] = sizes
    return arrays, sizes


def _dims_error(owner, name, shape, dims, mult, sym, sizes, specs):
    """The message of ``check_dims``, built only when a check fails."""
    want = "(" + ", ".join(dims.split()) + ")"
    source = next((n for n, (_, d) in specs.items()
                   if sym is not None and any(s == sym for _, s in _parse_dims(d))), name)
    if sym is None:
        known = ""
    elif source != name:
        known = f" with {sym}={sizes[sym]} (from {source})"
    else:
        known = f" with {mult}{sym} a positive multiple of {mult}" if mult > 1 else \
            f" with {sym} > 0"
    raise ValueError(f"{owner}: {name} has shape {shape}, expected {want}{known}")


def check_operand(x, name: str, shape: tuple, any_leading: bool = False,
                  why: str = "") -> np.ndarray:
    """A real (or bool) array of ``shape`` (None entries match any size); with
    ``any_leading`` the shape is that of the last axes, after at least zero more. ``why``
    (e.g. "to match x's 3 features") follows the expected shape in the message.

    >>> check_operand(np.ones((2, 3)), "x", (None, 4))
    Traceback (most recent call last):
    ValueError: x: expected shape (N, 4), got (2, 3)
    """
    if not (isinstance(x, np.ndarray) and x.dtype.kind in "fiub"):
        x = as_array(x, name)
    s = x.shape
    ok = (len(s) >= len(shape) if any_leading else len(s) == len(shape)) and all(
        e is None or e == g for e, g in zip(shape[::-1], s[::-1]))
    if not ok:
        want = _shape_text(tuple(shape))
        raise ValueError(f"{name}: expected shape {'(..., ' + want[1:] if any_leading else want}"
                         f"{' ' + why if why else ''}, got {s}")
    return x


def check_cache(cache, name: str, kinds: tuple | int, source: str,
                record: type = tuple) -> tuple:
    """A ``*_backward``'s cache: the tuple that ``source`` returned, item by item of ``kinds``
    (a type, a tuple of types, or None for anything; an int n: n items of any kind), an
    instance of ``record`` when it is a NamedTuple of its own. O(1).

    >>> check_cache([1, 2], "dense_backward: cache", (np.ndarray, np.ndarray), "dense_forward")
    Traceback (most recent call last):
    TypeError: dense_backward: cache: expected the cache that dense_forward returned (a tuple of 2), got list [1, 2]
    """
    if isinstance(kinds, int):
        kinds = (None,) * kinds
    if (type(cache) is tuple if record is tuple else isinstance(cache, record)) and \
            len(cache) == len(kinds) and all(k is None or isinstance(c, k)
                                              for c, k in zip(cache, kinds)):
        return cache
    got = (f"a tuple of {len(cache)} ({', '.join(type(c).__name__ for c in cache[:8])})"
           if isinstance(cache, tuple) else f"{type(cache).__name__} {abbreviate(cache)}")
    what = f"a tuple of {len(kinds)}" if record is tuple else f"a {record.__name__}"
    raise TypeError(f"{name}: expected the cache that {source} returned ({what}), got {got}")


def check_size(shape, name: str) -> tuple:
    """The shape of an array to create: an integer >= 0 or a tuple/list of them.

    >>> check_size((2, -1), "shape")
    Traceback (most recent call last):
    ValueError: shape: expected a tuple of integers >= 0, got (2, -1)
    """
    items = (shape,) if isinstance(shape, (int, np.integer)) else shape
    if not isinstance(items, (tuple, list)) or not all(
            isinstance(d, (int, np.integer)) and not isinstance(d, (bool, np.bool_))
            for d in items):
        raise TypeError(f"{name}: expected a tuple of integers >= 0, got "
                        f"{type(shape).__name__} {abbreviate(shape)}")
    if any(d < 0 for d in items):
        raise ValueError(f"{name}: expected a tuple of integers >= 0, got {abbreviate(shape)}")
    return tuple(int(d) for d in items)


def check_weight_list(weights, name: str) -> list:
    """``set_weights``' argument: a list or tuple of arrays (as ``get_weights()`` returns)."""
    if not isinstance(weights, (list, tuple)):
        raise TypeError(f"{name}: expected a list of arrays (as get_weights() returns), got "
                        f"{type(weights).__name__} {abbreviate(weights)}")
    return list(weights)
