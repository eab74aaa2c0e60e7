"""The rules every exercise check applies, one function each (used by ``checker``):

- :func:`as_output`: an output of the documented type and shape, never silently converted;
- :func:`mutated`: which argument (or array inside a dict, list or tuple) was changed in place;
- :func:`rng_rule`: a function given an ``np.random.Generator`` uses it, and only it;
- :func:`describe`: where a wrong answer is wrong (which output, how, which rows or columns);
- :func:`from_learner` / :func:`one_line`: whose exception it was, in one line.
"""
from __future__ import annotations

import copy
import inspect
import sysconfig
import traceback
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

NOT_IMPLEMENTED = "not implemented yet (replace the `raise NotImplementedError`)"
_STDLIB = sysconfig.get_paths()["stdlib"]


class Fail(Exception):
    """Raised inside a check's body: its message is the one-sentence reason printed after ✗."""


# --- whose exception, in one line -------------------------------------------------------------
def _learner_frame(filename: str) -> bool:
    return not ("site-packages" in filename or "/companion/" in filename
                or filename.startswith(_STDLIB))


def from_learner(exc: BaseException, checker_code=None) -> bool:
    """Whether any frame of ``exc``'s traceback is the learner's code (not the package's, not
    an installed library's, not the standard library's, not ``checker_code``: the body of a
    check, wherever it was written)."""
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code is not checker_code and _learner_frame(code.co_filename):
            return True
        tb = tb.tb_next
    return False


def one_line(exc: BaseException) -> str:
    """``TypeError: message (line 7: `x = a @ b`)``: the learner's deepest frame, no traceback."""
    msg = " ".join(str(exc).split())
    msg = msg if len(msg) <= 160 else msg[:157] + "..."
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if _learner_frame(f.filename)]
    where = f" (line {frames[-1].lineno}: `{frames[-1].line.strip()}`)" \
        if frames and frames[-1].line else ""
    return f"{type(exc).__name__}: {msg}{where}" if msg else f"{type(exc).__name__}{where}"


def a_type(value: Any) -> str:
    """'a list', 'an ndarray', 'a float': the type of ``value`` with its article."""
    name = type(value).__name__
    return f"{'an' if name[0] in 'aeiou' or name == 'ndarray' else 'a'} {name}"


# --- calling the learner's function --------------------------------------------------------------
def fn_name(fn: Callable) -> str:
    return getattr(fn, "__name__", None) or "your function"


def call(fn: Callable, *args, returns: str = "an array", **kwargs) -> Any:
    """``fn(*args, **kwargs)`` on deep copies of the inputs; ``None`` or an exception becomes a
    :class:`Fail` whose message is the sentence the learner reads."""
    return call_on(fn, copy.deepcopy(args), copy.deepcopy(kwargs), returns)


def call_on(fn: Callable, args: tuple, kwargs: dict, returns: str) -> Any:
    """``fn(*args, **kwargs)`` on these very objects (so that in-place changes can be seen)."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            out = fn(*args, **kwargs)
    except Fail:
        raise
    except NotImplementedError:
        raise Fail(NOT_IMPLEMENTED) from None
    except Exception as exc:  # noqa: BLE001 - any learner error is reported in one line
        raise Fail(f"your code raised {one_line(exc)}") from None
    if out is None:
        raise Fail(f"`{fn_name(fn)}` returned None: return {returns}")
    return out


# --- types and shapes ---------------------------------------------------------------------------
def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) \
        and not isinstance(v, (bool, np.bool_))


def shape_sentence(name: str, got: tuple, want: tuple) -> str:
    """``name has shape (3, 1), expected (3,)`` and what the difference usually means."""
    text = f"{name} has shape {got}, expected {want}"
    if len(got) == 2 and got == want[::-1]:
        return text + " (transposed?)"
    if got == want + (1,):
        return text + ": a column where a 1-D array is asked (drop the last axis, e.g. [:, 0])"
    if want == got + (1,):
        return text + ": a 1-D array where a column is asked (reshape(-1, 1))"
    if got == (1,) + want:
        return text + ": an extra leading axis of length 1"
    return text


_KINDS = {"f": "iuf", "i": "iu", "u": "iu", "b": "biu"}
_KIND_NAMES = {"f": "floats", "i": "integers", "u": "integers", "b": "booleans", "c": "complex "
               "numbers", "O": "Python objects", "U": "strings", "S": "bytes"}


def _check_array(got: Any, want: np.ndarray, name: str, accept) -> np.ndarray:
    if not isinstance(got, np.ndarray):
        raise Fail(f"{name} is {a_type(got)}: return a NumPy array of shape {want.shape}")
    if got.dtype.kind not in _KINDS.get(want.dtype.kind, "biuf"):
        raise Fail(f"{name} holds {_KIND_NAMES.get(got.dtype.kind, got.dtype)}: return "
                   f"{_KIND_NAMES.get(want.dtype.kind, 'numbers')}")
    if got.shape != want.shape:
        shapes = accept(want.shape) if callable(accept) else accept
        if tuple(got.shape) not in {tuple(s) for s in shapes}:
            raise Fail(shape_sentence(name, got.shape, want.shape))
        got = got.reshape(want.shape)
    return got


def ROW(shape: tuple) -> list[tuple]:
    """``accept`` for an output whose docstring also allows a (1, n) row for (n,) (a bias)."""
    return [(1,) + tuple(shape)] if len(shape) == 1 else []


def as_output(got: Any, want: Any, name: str, accept=()) -> np.ndarray:
    """``got`` as a float array for comparison, when it has ``want``'s type and shape (or a
    shape ``accept`` allows: a list of shapes, or a function of the expected shape returning
    them, e.g. :func:`ROW`); otherwise :class:`Fail` saying what was expected."""
    if got is None:
        raise Fail(f"{name} is None")
    if isinstance(want, (bool, np.bool_)):
        if not isinstance(got, (bool, np.bool_)):
            raise Fail(f"{name} is {a_type(got)}: return a bool (True or False)")
    elif _is_int(want):
        if not _is_int(got):
            how = " (// divides to a whole number; int(...) converts)" if _is_number(got) else ""
            raise Fail(f"{name} is {a_type(got)} ({_short(got)}): return an int{how}")
    elif _is_number(want) or (isinstance(want, np.ndarray) and want.ndim == 0):
        zero_d = isinstance(got, np.ndarray) and got.ndim == 0 and got.dtype.kind in "iuf"
        if not (_is_number(got) or zero_d):
            shape = f" of shape {got.shape}" if isinstance(got, np.ndarray) else ""
            raise Fail(f"{name} is {a_type(got)}{shape}: return a number")
    elif isinstance(want, np.ndarray):
        got = _check_array(got, want, name, accept)
    else:                                   # a list of numbers: a list or an array of its shape
        want = np.asarray(want, dtype=float)
        try:
            got = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            raise Fail(f"{name} is {a_type(got)}, not a sequence of numbers") from None
        if got.shape != want.shape:
            raise Fail(shape_sentence(name, got.shape, want.shape))
    out = np.asarray(got, dtype=float)
    if not np.all(np.isfinite(out)) and np.all(np.isfinite(np.asarray(want, dtype=float))):
        raise Fail(f"{name} contains {'NaN' if np.isnan(out).any() else 'inf'}")
    return out


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# --- purity -------------------------------------------------------------------------------------
def _changed(after: Any, before: Any, path: str) -> str | None:
    if isinstance(before, np.ndarray):
        same = isinstance(after, np.ndarray) and after.shape == before.shape and \
            np.array_equal(after, before, equal_nan=before.dtype.kind in "fc")
        return None if same else path
    if isinstance(before, Mapping):
        if not isinstance(after, Mapping) or set(after) != set(before):
            return path
        return next((p for k in before if (p := _changed(after[k], before[k],
                                                         f"{path}[{k!r}]"))), None)
    if isinstance(before, (list, tuple)):
        if type(after) is not type(before) or len(after) != len(before):
            return path
        return next((p for i, (a, b) in enumerate(zip(after, before))
                     if (p := _changed(a, b, f"{path}[{i}]"))), None)
    return None


def param_names(fn: Callable) -> list[str]:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return []
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return []
    return [p.name for p in params]


def mutated(after: tuple, before: tuple, names: list[str]) -> str | None:
    """The argument (``W``, ``params['b1']``, ``caches[2]``...) whose arrays differ between
    ``before`` and ``after``, each an ``(args, kwargs)`` pair; None when nothing changed."""
    (args, kwargs), (args0, kwargs0) = after, before
    for i, (a, b) in enumerate(zip(args, args0)):
        hit = _changed(a, b, names[i] if i < len(names) else f"argument {i + 1}")
        if hit:
            return hit
    return next((p for k in kwargs0 if (p := _changed(kwargs[k], kwargs0[k], k))), None)


# --- randomness ---------------------------------------------------------------------------------
def uses_rng(args: tuple, kwargs: dict) -> bool:
    return any(isinstance(v, np.random.Generator) for v in (*args, *kwargs.values()))


def _flat(value: Any) -> list:
    if isinstance(value, Mapping):
        return [x for k in sorted(value, key=str) for x in _flat(value[k])]
    if isinstance(value, (list, tuple)) or inspect.isgenerator(value):
        return [x for v in value for x in _flat(v)]
    try:
        return [np.asarray(value, dtype=float)]
    except (TypeError, ValueError):
        return [repr(value)]


def _equal(a: list, b: list) -> bool:
    return len(a) == len(b) and all(
        (isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and x.shape == y.shape
         and np.array_equal(x, y, equal_nan=True)) or (isinstance(x, str) and x == y)
        for x, y in zip(a, b))


def _with_rng(args: tuple, kwargs: dict, seed: int) -> tuple[tuple, dict]:
    swap = (lambda v: np.random.default_rng(seed) if isinstance(v, np.random.Generator) else v)
    return tuple(swap(v) for v in args), {k: swap(v) for k, v in kwargs.items()}


def _run(fn: Callable, args: tuple, kwargs: dict, global_seed: int, call: Callable) -> list:
    state = np.random.get_state()
    try:
        np.random.seed(global_seed)
        return _flat(call(fn, copy.deepcopy(args), copy.deepcopy(kwargs)))
    finally:
        np.random.set_state(state)


def _plain_call(fn, args, kwargs):
    return call(fn, *args, **kwargs)


def rng_rule(fn: Callable, args: tuple, kwargs: dict | None = None, returns: str = "",
             suffix: str = "", reference: Callable | None = None) -> None:
    """Raise :class:`Fail` unless ``fn(*args, **kwargs)`` draws its randomness from the
    ``np.random.Generator`` it is given: the same generator state gives the same answer
    whatever the global ``np.random`` seed, and another seed gives another answer (where the
    ``reference``'s answers differ too; without a reference they must differ)."""
    kwargs = kwargs or {}
    first = _run(fn, args, kwargs, 1, _plain_call)
    if not _equal(first, _run(fn, args, kwargs, 2, _plain_call)):
        raise Fail("given the same `rng`, your function gave different answers: it draws from "
                   "NumPy's global state (np.random.rand, np.random.permutation...); draw every "
                   f"random number from the `rng` argument (rng.random, rng.permutation...){suffix}")
    a2, k2 = _with_rng(args, kwargs, 987_654)
    if _equal(first, _run(fn, a2, k2, 1, _plain_call)):
        if reference is not None:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                r1 = _flat(reference(*copy.deepcopy(args), **copy.deepcopy(kwargs)))
                r2 = _flat(reference(*copy.deepcopy(a2), **copy.deepcopy(k2)))
            if _equal(r1, r2):
                return
        raise Fail("two different `rng`s gave the same answer: your function ignores its `rng` "
                   "argument (a fixed seed, a new default_rng() or a fixed grid?); draw the "
                   f"random numbers from `rng`{suffix}")


# --- localisation -------------------------------------------------------------------------------
def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _lines(mask: np.ndarray, what: str) -> str | None:
    """'only row 3 differs (of 6)', 'the first 4 entries of 30 differ, the rest agree'... when
    some but not all rows (columns, entries) are wrong."""
    idx, n = np.flatnonzero(mask), len(mask)
    if not 0 < len(idx) < n:
        return None
    many = {"row": "rows", "column": "columns", "entry": "entries"}[what]
    run = bool(np.all(np.diff(idx) == 1))
    if len(idx) <= max(3, n // 2):
        shown = ", ".join(str(i) for i in idx[:3]) + (", ..." if len(idx) > 3 else "")
        last = " (the last)" if list(idx) == [n - 1] else ""
        return (f"only {what if len(idx) == 1 else many} {shown}{last} "
                f"{'differs' if len(idx) == 1 else 'differ'} (of {n})")
    if run and idx[0] == 0:
        return f"the first {len(idx)} {many} of {n} differ, the rest agree"
    if run and idx[-1] == n - 1:
        return f"the last {len(idx)} {many} of {n} differ, the earlier ones agree"
    return f"{len(idx)} of {n} {many} differ"


def relation(got: np.ndarray, want: np.ndarray, rtol: float, atol: float,
             name: str = "it") -> str:
    """How a wrong array relates to the right one: sign, factor, offset, transpose, which rows
    or columns, else the largest difference."""
    close = lambda a, b: np.allclose(a, b, rtol=max(rtol, 1e-6), atol=max(atol, 1e-9))
    if want.ndim == 0 or want.size == 1:
        return f"{'' if name == 'it' else name + ': '}expected {want.item():.6g}, got {got.item():.6g}"
    if np.any(want) and close(got, -want):
        return "it has the wrong sign"
    nz = np.abs(want) > 1e-12
    if nz.sum() > 1 and np.all(np.abs(got[~nz]) < 1e-12):
        ratio = got[nz] / want[nz]
        if close(ratio, np.median(ratio)) and abs(np.median(ratio)) > 1e-12:
            return f"it is {np.median(ratio):.4g} times the expected value"
    offset = got - want
    if close(offset, offset.flat[0]):
        return f"it is off by the constant {offset.flat[0]:.4g} everywhere"
    if want.ndim == 2 and want.shape[0] == want.shape[1] and close(got, want.T):
        return "it is the transpose of the expected value"
    bad = ~np.isclose(got, want, rtol=rtol, atol=atol)
    if want.ndim >= 2:
        part = _lines(bad.reshape(len(bad), -1).any(1), "row") or \
            _lines(bad.reshape(-1, bad.shape[-1]).any(0), "column")
    else:
        part = _lines(bad, "entry")
    i = np.unravel_index(int(np.argmax(np.abs(got - want) * bad)), want.shape)
    where = f"{name} differs at index {tuple(int(j) for j in i)}: expected {want[i]:.6g}, " \
            f"got {got[i]:.6g}"
    return f"{part}; {where}" if part else f"{int(bad.sum())} of {want.size} entries differ, " \
        f"{where}"


def describe(got: dict, want: dict, rtol: float, atol: float) -> str:
    """``dw is wrong (L and db agree): it has the wrong sign``: which outputs, and how."""
    bad = [k for k in want if not np.allclose(got[k], want[k], rtol=rtol, atol=atol,
                                              equal_nan=True)]
    good = [k for k in want if k not in bad]
    text = f"{_join(bad)} {'is' if len(bad) == 1 else 'are'} wrong"
    if good and len(want) > 1:
        text += f" ({_join(good)} {'agrees' if len(good) == 1 else 'agree'})"
    return f"{text}: {relation(got[bad[0]], want[bad[0]], rtol, atol, bad[0])}"


# --- the order of the calls a learner's function makes -------------------------------------------
def recorder(log: list, name: str, fn: Callable) -> Callable:
    """``fn`` that first appends ``name`` to ``log``: handed to a learner's function in place of
    a sublayer, it shows in which order that function calls the pieces it is given."""
    def recorded(*args, **kwargs):
        log.append(name)
        return fn(*args, **kwargs)
    return recorded


def order_sentence(got: list[str], want: list[str]) -> str | None:
    """Where the calls ``got`` first depart from ``want``: 'after attend of block 1 your function
    called norm1 of block 1; expected norm2 of block 1'; None when they agree."""
    for i, w in enumerate(want):
        g = got[i] if i < len(got) else None
        if g != w:
            before = f"after {got[i - 1]} your function" if i else "your function first"
            return f"{before} {'stopped' if g is None else 'called ' + g}; expected {w}"
    if len(got) > len(want):
        return f"after {want[-1]} your function also called {got[len(want)]}"
    return None

