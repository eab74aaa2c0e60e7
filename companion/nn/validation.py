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
            f"{type(x).__name__} {abbreviate(x)}"
        raise TypeError(f"{name}: expected a numeric array, got {got}")
    if dtype is None and arr.dtype.kind == "c":        # a float cast would drop the imaginary part
        raise TypeError(f"{name}: expected real numbers, got dtype {arr.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name}: expected a {want} array, got shape {arr.shape}")
    return arr


def abbreviate(x, width: int = 40) -> str:
    """``repr(x)`` cut to ``width`` characters (at least 4), for the messages of these checks.

    >>> abbreviate(list(range(20)), 12)
    '[0, 1, 2,...'
    """
    if type(width) is not int or width < 4:
        raise ValueError(f"width must be an integer >= 4, got {width!r}")
    text = repr(x)
    return text if len(text) <= width else text[:width - 3] + "..."


def check_shape(x: np.ndarray, expected: tuple, name: str) -> None:
    """Check ``x.shape`` against ``expected``; ``None`` in ``expected`` matches any size."""
    ok = x.ndim == len(expected) and all(e is None or e == s for e, s in zip(expected, x.shape))
    if not ok:
        shown = "(" + ", ".join("N" if e is None else str(e) for e in expected) + \
            ("," if len(expected) == 1 else "") + ")"
        raise ValueError(f"{name}: expected shape {shown}, got {x.shape}")


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
                        f"{abbreviate(str(value))}; pass [{abbreviate(str(value))}] for one item")
    if isinstance(value, np.ndarray):
        if value.ndim != 1:
            raise ValueError(f"{name}: expected a list of strings, got an array of shape "
                             f"{value.shape}")
        value = value.tolist()
    if value is None or isinstance(value, (dict, set, frozenset)) or \
            not hasattr(value, "__iter__"):
        raise TypeError(f"{name}: expected a list of strings, got {type(value).__name__} "
                        f"{abbreviate(value)}")
    items = list(value)
    for i, item in enumerate(items):
        if not isinstance(item, (str, np.str_)):
            raise TypeError(f"{name}: expected a list of strings, but item {i} is "
                            f"{type(item).__name__} {abbreviate(item)}")
    if not allow_empty and not items:
        raise ValueError(f"{name} is empty: expected at least one string")
    return [str(item) for item in items]


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
        shown = ", ".join(f"{k}={abbreviate(kwargs[k])}" for k in given)
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
        raise ValueError(f"{name} must be one of {choices}, got {abbreviate(value)}")
    return value


def check_string(value, name: str) -> str:
    """One string (not a list of them, None or a number).

    >>> check_string(["ann"], "name")
    Traceback (most recent call last):
    TypeError: name: expected a string, got list ['ann']
    """
    if not isinstance(value, (str, np.str_)):
        raise TypeError(f"{name}: expected a string, got {type(value).__name__} {abbreviate(value)}")
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
                        f"{type(value).__name__} {abbreviate(value)}")
    for i, item in enumerate(value):
        if not isinstance(item, (np.ndarray, np.number)) or item.dtype.kind not in "iuf":
            got = f"dtype {item.dtype}" if isinstance(item, np.ndarray) else \
                f"{type(item).__name__} {abbreviate(item)}"
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
        raise TypeError(f"{name} must be {what}, got {type(value).__name__} {abbreviate(value)}")
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
            if isinstance(value, (tuple, list)) else f"{type(value).__name__} {abbreviate(value)}"
        raise TypeError(f"{name}: expected a pair, got {got}")
    return tuple(value)
