"""Input validation shared by the whole package: clear messages naming what was wrong.

Every public function that takes arrays checks them here, so a learner who passes the wrong
shape reads ``x: expected shape (N, 2), got (2, 5)`` instead of a broadcasting error three
calls deeper.
"""

from __future__ import annotations

import numpy as np


class DivergenceError(FloatingPointError):
    """Raised when a training run produces a NaN or infinite loss (or leaves a bounded region).

    Its data travels as attributes, never inside the message only: ``step`` (the step at which
    it happened), ``loss`` (the offending value) and ``history`` (what was recorded so far); each
    is None when the raiser has no such thing.
    """

    def __init__(self, message: str, step: int | None = None, loss: float | None = None,
                 history: dict | None = None):
        super().__init__(message)
        self.step, self.loss, self.history = step, loss, history


def as_array(x, name: str, ndim: int | tuple[int, ...] | None = None,
             dtype=None) -> np.ndarray:
    """Return ``x`` as a floating (or given dtype) array, checking its number of dimensions."""
    try:
        arr = np.asarray(x, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name}: expected a numeric array, got {type(x).__name__} ({exc})") from None
    if dtype is None and not np.issubdtype(arr.dtype, np.number) and arr.dtype != bool:
        got = f"dtype {arr.dtype}" if arr.dtype != object or isinstance(x, np.ndarray) else \
            f"{type(x).__name__} {_short(x)}"
        raise TypeError(f"{name}: expected a numeric array, got {got}")
    if dtype is None and arr.dtype.kind == "c":        # a float cast would drop the imaginary part
        raise TypeError(f"{name}: expected real numbers, got dtype {arr.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name}: expected a {want} array, got shape {arr.shape}")
    return arr


def _short(x, width: int = 40) -> str:
    text = repr(x)
    return text if len(text) <= width else text[:width - 3] + "..."


def check_shape(x: np.ndarray, expected: tuple, name: str) -> None:
    """Check ``x.shape`` against ``expected``; ``None`` in ``expected`` matches any size."""
    ok = x.ndim == len(expected) and all(e is None or e == s for e, s in zip(expected, x.shape))
    if not ok:
        shown = "(" + ", ".join("N" if e is None else str(e) for e in expected) + \
            ("," if len(expected) == 1 else "") + ")"
        raise ValueError(f"{name}: expected shape {shown}, got {x.shape}")


def check_same_length(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if len(a) != len(b):
        raise ValueError(f"{name_a} has {len(a)} rows but {name_b} has {len(b)}: "
                         "they must describe the same examples")


def _is_real(value) -> bool:
    """A Python or NumPy int/float, or a 0-d numeric array (not a bool, string or None)."""
    if isinstance(value, np.ndarray):
        return value.ndim == 0 and value.dtype.kind in "iuf"
    return (isinstance(value, (int, float, np.integer, np.floating))
            and not isinstance(value, (bool, np.bool_)))


def check_number(value, name: str, what: str = "a finite number") -> float:
    """A real, finite number (not a string, None, bool, array or NaN); ``what`` describes
    the number expected in the message."""
    if not _is_real(value):
        raise TypeError(f"{name} must be {what}, got {type(value).__name__} {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return float(value)


def check_positive(value, name: str) -> float:
    """A finite number > 0."""
    if check_number(value, name, "a positive number") <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def check_non_negative(value, name: str) -> float:
    """A finite number >= 0."""
    if check_number(value, name, "a number >= 0") < 0:
        raise ValueError(f"{name} must be a number >= 0, got {value!r}")
    return float(value)


def check_interval(value, name: str, low: float, high: float, closed: str = "[)") -> float:
    """A number in the interval from ``low`` to ``high``, ends open or closed as ``closed``
    says (``"[)"``, ``"(]"``, ``"[]"`` or ``"()"``)."""
    interval = f"{closed[0]}{low:g}, {high:g}{closed[1]}"
    v = check_number(value, name, f"a number in {interval}")
    ok_low = v >= low if closed[0] == "[" else v > low
    ok_high = v <= high if closed[1] == "]" else v < high
    if not (ok_low and ok_high):
        raise ValueError(f"{name} must lie in {interval}, got {value!r}")
    return v


def check_probability(value, name: str, low_open: bool = True) -> float:
    """Check ``value`` lies in (0, 1] (or [0, 1] when ``low_open`` is False)."""
    return check_interval(value, name, 0, 1, "(]" if low_open else "[]")


def check_int(value, name: str, minimum: int | None = 1) -> int:
    """An integer (an integral float such as 32.0 is accepted) >= ``minimum``.

    ``2.7`` raises rather than silently becoming 2.
    """
    what = ("an integer" if minimum is None else
            "a positive integer" if minimum == 1 else f"an integer >= {minimum}")
    if isinstance(value, (bool, np.bool_)) or not _is_real(value):
        raise TypeError(f"{name} must be {what}, got {type(value).__name__} {value!r}")
    if not np.isfinite(value) or int(value) != value:
        raise ValueError(f"{name} must be {what}, got {value!r} (not a whole number)")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return int(value)


def check_bool(value, name: str) -> bool:
    """True or False (not a string such as "no", which Python would count as True)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def check_finite(x: np.ndarray, name: str) -> np.ndarray:
    """Raise if ``x`` holds NaN or inf, naming how many and where the first one is."""
    x = np.asarray(x)
    if x.dtype.kind in "fc":
        bad = ~np.isfinite(x)
        if bad.any():
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(f"{name} contains {int(bad.sum())} NaN or infinite value(s) "
                             f"(the first at index {first}); expected finite numbers: "
                             "clean or drop those entries first")
    return x


def check_nonempty(x: np.ndarray, name: str) -> np.ndarray:
    """Raise if ``x`` has no rows (or no elements)."""
    x = np.asarray(x)
    if x.size == 0 or (x.ndim and len(x) == 0):
        raise ValueError(f"{name} is empty (shape {x.shape}); expected at least one example")
    return x


def check_labels(y, n_classes: int | None, name: str = "y") -> np.ndarray:
    """Integer class labels in ``range(n_classes)`` (any labels >= 0 when ``n_classes`` is None)."""
    y = np.asarray(y)
    if y.dtype.kind not in "iub":
        if y.dtype.kind == "f" and np.all(np.mod(y, 1) == 0):
            y = y.astype(np.int64)
        else:
            raise TypeError(f"{name}: expected integer class labels, got dtype {y.dtype}")
    if n_classes is None and y.size and y.min() < 0:
        raise ValueError(f"{name}: labels must be integers >= 0, got a minimum of {y.min()}")
    if n_classes is not None and y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"{name}: labels must lie in 0..{n_classes - 1}, "
                         f"got values from {y.min()} to {y.max()}")
    return y.astype(np.int64)


def rng_from(seed_or_rng) -> np.random.Generator:
    """Accept a ``numpy.random.Generator`` or an int seed (never touches the global state)."""
    if isinstance(seed_or_rng, np.random.Generator):
        return seed_or_rng
    if seed_or_rng is None:
        raise ValueError("pass rng=np.random.default_rng(seed) or seed=<int>: "
                         "the package never uses hidden global randomness")
    if isinstance(seed_or_rng, (float, np.floating, str, bool, np.bool_)):
        raise TypeError(f"seed must be an integer >= 0 or a numpy.random.Generator, "
                        f"got {type(seed_or_rng).__name__} {seed_or_rng!r}")
    try:
        return np.random.default_rng(seed_or_rng)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"seed must be an integer >= 0 or a numpy.random.Generator, "
                        f"got {type(seed_or_rng).__name__} {seed_or_rng!r}") from None


# --- shared helpers for issue 23: strings, flags, masks, backward's dout, exclusive arguments ---
# A flag is checked with ``check_bool`` above: only True/False (Python or NumPy bools) pass.
# Keras documents its flags as Python bools; 0/1 and strings such as "no" (which Python counts
# as True) are refused rather than guessed at.

def check_strings(value, name: str, allow_empty: bool = True) -> list[str]:
    """A sequence of strings as a ``list[str]``; a bare string is refused (never iterated).

    ``check_strings("ann", "names")`` raises ``TypeError: names: expected a list of strings,
    got the single string 'ann'; pass ['ann'] ...``; a list, tuple or 1-D array of str passes.

    >>> check_strings(("ann", "bob"), "names")
    ['ann', 'bob']
    >>> check_strings("ann", "names")
    Traceback (most recent call last):
    TypeError: names: expected a list of strings, got the single string 'ann'; pass ['ann'] for one item
    """
    if isinstance(value, (str, bytes, np.str_)):
        raise TypeError(f"{name}: expected a list of strings, got the single string "
                        f"{_short(str(value))}; pass [{_short(str(value))}] for one item")
    if isinstance(value, np.ndarray):
        if value.ndim != 1:
            raise ValueError(f"{name}: expected a list of strings, got an array of shape "
                             f"{value.shape}")
        value = value.tolist()
    if value is None or isinstance(value, (dict, set, frozenset)) or \
            not hasattr(value, "__iter__"):
        raise TypeError(f"{name}: expected a list of strings, got {type(value).__name__} "
                        f"{_short(value)}")
    items = list(value)
    for i, item in enumerate(items):
        if not isinstance(item, (str, np.str_)):
            raise TypeError(f"{name}: expected a list of strings, but item {i} is "
                            f"{type(item).__name__} {_short(item)}")
    if not allow_empty and not items:
        raise ValueError(f"{name} is empty: expected at least one string")
    return [str(item) for item in items]


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
    arr = as_array(dout, name)
    if arr.shape != tuple(expected_shape):
        raise ValueError(f"{name} has shape {arr.shape}, expected {tuple(expected_shape)} (the "
                         "shape of the last forward's output)")
    return arr if dtype is None else arr.astype(dtype, copy=False)


def check_exclusive(**kwargs) -> None:
    """Raise if more than one of the keyword arguments is not None (e.g. seed and rng).

    ``check_exclusive(seed=seed, rng=rng)``: giving both would silently drop one.

    >>> check_exclusive(seed=0, rng=None)
    >>> check_exclusive(seed=0, rng=1)
    Traceback (most recent call last):
    ValueError: pass seed or rng, not both: got seed=0, rng=1; one of them would be ignored
    """
    given = [k for k, v in kwargs.items() if v is not None]
    if len(given) > 1:
        shown = ", ".join(f"{k}={_short(kwargs[k])}" for k in given)
        names = " or ".join(kwargs)
        raise ValueError(f"pass {names}, not both: got {shown}; one of them would be ignored")


def check_array(x, name: str, shape: tuple | None = None, finite: bool = True,
                nonempty: bool = True, dtype=None) -> np.ndarray:
    """``as_array`` plus the usual checks: shape (``None`` = any size), no NaN/inf, not empty."""
    arr = as_array(x, name, dtype=dtype)
    if shape is not None:
        check_shape(arr, tuple(shape), name)
    if nonempty:
        check_nonempty(arr, name)
    if finite:
        check_finite(arr, name)
    return arr


def check_choice(value, name: str, choices) -> object:
    """``value`` must be one of ``choices`` (compared with ==; a message lists them)."""
    choices = tuple(choices)
    if isinstance(value, np.ndarray) or not any(
            type(value) is type(c) and value == c for c in choices):
        raise ValueError(f"{name} must be one of {choices}, got {_short(value)}")
    return value


def check_string(value, name: str) -> str:
    """One string (not a list of them, None or a number).

    >>> check_string(["ann"], "name")
    Traceback (most recent call last):
    TypeError: name: expected a string, got list ['ann']
    """
    if not isinstance(value, (str, np.str_)):
        raise TypeError(f"{name}: expected a string, got {type(value).__name__} {_short(value)}")
    return str(value)


def check_gradients(grads, shapes, owner: str, step: int) -> None:
    """An optimiser's gradients: numeric, one per parameter of its shape (``shapes``; None
    skips that check) and finite: a NaN or inf raises ``DivergenceError`` (with ``step``)
    before it reaches a parameter or an optimiser's state (Adam's m and v would keep it)."""
    if shapes is not None and len(grads) != len(shapes):
        raise ValueError(f"{owner}: got {len(grads)} gradients for a state made for "
                         f"{len(shapes)} parameters (init(params) with the same list)")
    for i, g in enumerate(grads):
        arr = np.asarray(g)
        if arr.dtype.kind not in "iuf":
            raise TypeError(f"{owner}: gradient {i} must be a numeric array, got "
                            f"{type(g).__name__} of dtype {arr.dtype}")
        if shapes is not None and arr.shape != tuple(shapes[i]):
            raise ValueError(f"{owner}: gradient {i} has shape {arr.shape}, expected "
                             f"{tuple(shapes[i])} (its parameter's shape)")
        if not np.isfinite(arr).all():
            raise DivergenceError(
                f"{owner}: gradient {i} holds {int((~np.isfinite(arr)).sum())} NaN or infinite "
                f"value(s) at step {step}: training diverged (try a smaller learning_rate, clip "
                "the gradients with clipnorm=, or normalise the inputs)", step=step)


def check_array_list(value, name: str) -> list:
    """A list or tuple of numeric arrays (one per parameter, e.g. gradients), as a list holding
    the same objects (nothing is copied). A string, dict, None, a number or a single array is
    refused by name (iterating it would give characters, keys or rows); NaN passes (the
    divergence guard reports it with its step).

    >>> check_array_list((np.ones(2),), "grads")
    [array([1., 1.])]
    >>> check_array_list(np.ones(2), "grads")
    Traceback (most recent call last):
    TypeError: grads: expected a list of arrays (one per parameter), got a single ndarray of shape (2,); pass [grads] for one
    """
    if type(value) in (list, tuple):            # the common case, checked cheaply per step
        for g in value:
            if type(g) is not np.ndarray or g.dtype.kind not in "iuf":
                break
        else:
            return list(value)
    if isinstance(value, np.ndarray):
        raise TypeError(f"{name}: expected a list of arrays (one per parameter), got a single "
                        f"ndarray of shape {value.shape}; pass [{name}] for one")
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{name}: expected a list of arrays (one per parameter), got "
                        f"{type(value).__name__} {_short(value)}")
    for i, item in enumerate(value):
        if not isinstance(item, (np.ndarray, np.number)) or item.dtype.kind not in "iuf":
            got = f"dtype {item.dtype}" if isinstance(item, np.ndarray) else \
                f"{type(item).__name__} {_short(item)}"
            raise TypeError(f"{name}: item {i} must be a numeric numpy array, got {got}")
    return list(value)


def check_real(value, name: str, what: str = "a number") -> float:
    """A real number (Python or NumPy int/float, or a 0-d numeric array), NaN and inf
    included (unlike ``check_number``: a caller that must report NaN, e.g. the divergence
    guard, checks the type here and the value itself); returned as a float.

    >>> check_real(float("nan"), "loss")
    nan
    >>> check_real(np.ones(3), "loss")
    Traceback (most recent call last):
    TypeError: loss must be a number, got an array of shape (3,)
    """
    if type(value) is float:                     # the common case, per training step
        return value
    if isinstance(value, np.ndarray) and value.ndim:
        raise TypeError(f"{name} must be {what}, got an array of shape {value.shape}")
    if not _is_real(value):
        raise TypeError(f"{name} must be {what}, got {type(value).__name__} {_short(value)}")
    return float(value)


def check_pair(value, name: str) -> tuple:
    """A pair (a tuple or list of exactly two items), e.g. ``(loss, grads)`` or ``(x, y)``.

    >>> check_pair([1, 2], "batch")
    (1, 2)
    >>> check_pair(3.0, "batch")
    Traceback (most recent call last):
    TypeError: batch: expected a pair, got float 3.0
    """
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        got = f"a {type(value).__name__} of length {len(value)}" \
            if isinstance(value, (tuple, list)) else f"{type(value).__name__} {_short(value)}"
        raise TypeError(f"{name}: expected a pair, got {got}")
    return tuple(value)

# --- shapes of several arrays at once, and the caches of the pure forward/backward functions ---
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


def check_forward_cache(cache, length: int, producer: str, name: str = "cache") -> tuple:
    """A ``*_backward``'s cache: the tuple of ``length`` entries that ``producer`` returned
    (not junk, not another function's cache). O(1)."""
    if not isinstance(cache, tuple) or len(cache) != length:
        got = (f"a tuple of {len(cache)} entries" if isinstance(cache, tuple)
               else f"{type(cache).__name__} {_short(cache)}")
        raise TypeError(f"{name}: expected the cache that {producer} returned (a tuple of "
                        f"{length} entries), got {got}")
    return cache


def fast_dout(dout, expected_shape: tuple, name: str = "dout") -> np.ndarray:
    """``check_dout`` for functions called once per time step or chunk: an ndarray of a real
    dtype and exactly ``expected_shape`` passes in well under a microsecond; anything else
    goes through ``check_dout`` (which explains the refusal, or converts a list)."""
    if type(dout) is np.ndarray and dout.shape == expected_shape and dout.dtype.kind in "fiu":
        return dout
    return check_dout(dout, expected_shape, name)
