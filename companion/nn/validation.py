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


# --- issue 23, the layers' pure ``*_forward`` / ``*_backward`` functions ------------------------
# Cheap enough for a function called once per time step or per chunk: O(1) work on an ndarray
# of a real dtype (no copy, no scan); anything else goes through ``as_array``.

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


def check_cache(cache, name: str, kinds: tuple, source: str, record: type = tuple) -> tuple:
    """A ``*_backward``'s cache: the tuple that ``source`` returned, item by item of ``kinds``
    (a type, a tuple of types, or None for anything), an instance of ``record`` when it is a
    NamedTuple of its own. O(1).

    >>> check_cache([1, 2], "dense_backward: cache", (np.ndarray, np.ndarray), "dense_forward")
    Traceback (most recent call last):
    TypeError: dense_backward: cache: expected the cache that dense_forward returned (a tuple of 2), got list [1, 2]
    """
    if (type(cache) is tuple if record is tuple else isinstance(cache, record)) and len(cache) == len(kinds) and all(
            k is None or isinstance(c, k) for c, k in zip(cache, kinds)):
        return cache
    got = (f"a tuple of {len(cache)} ({', '.join(type(c).__name__ for c in cache[:8])})"
           if isinstance(cache, tuple) else f"{type(cache).__name__} {_short(cache)}")
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
                        f"{type(shape).__name__} {_short(shape)}")
    if any(d < 0 for d in items):
        raise ValueError(f"{name}: expected a tuple of integers >= 0, got {_short(shape)}")
    return tuple(int(d) for d in items)


def check_weight_list(weights, name: str) -> list:
    """``set_weights``' argument: a list or tuple of arrays (as ``get_weights()`` returns)."""
    if not isinstance(weights, (list, tuple)):
        raise TypeError(f"{name}: expected a list of arrays (as get_weights() returns), got "
                        f"{type(weights).__name__} {_short(weights)}")
    return list(weights)
