"""The shared machinery of the exercise checkers: run the learner's function, compare, teach.

A chapter's checker (``companion.exercises.chNN``) holds only its cases, the reference call and
the planted mistakes; :func:`check` does the rest and prints exactly one line::

    ✓ shallow backward (4 cases)
    ✗ shallow backward: you forgot to multiply dA1 by tanh'(Z1) = 1 - A1^2 (case: N=1)
    ✗ shallow backward: `backward` returned None: return the dict {"W1": dW1, ...}
    ✗ shallow backward: dW1 differs at index (2, 0): expected 0.1234, got 0.5678 (case: N=7)

It never raises and never prints a traceback: the learner's exceptions (``NotImplementedError``
included), ``None``, wrong types, wrong shapes and NaN each become one plain sentence.

Checks that are not "compare with a reference" (a sampler's statistics, a training loop's
accuracy) use :func:`run_check` with a body that raises :class:`Fail` and :func:`call`, which
turns the learner's misbehaviour into a :class:`Fail` with the same sentences.
"""
from __future__ import annotations

import copy
import inspect
import traceback
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

NOT_IMPLEMENTED = "not implemented yet (replace the `raise NotImplementedError`)"


@dataclass
class Case:
    """One call of the learner's function: ``fn(*args, **kwargs)``; ``label`` names it in a failure."""
    args: tuple
    kwargs: dict = field(default_factory=dict)
    label: str = ""


@dataclass
class Mistake:
    """A planted-bug variant of the reference (same signature); its ``hint`` is printed when the
    learner's output matches it."""
    fn: Callable
    hint: str


class Fail(Exception):
    """Raised inside a check's body: its message is the one-sentence reason printed after ✗."""


def feedback(ok: bool, what: str, detail: str = "") -> bool:
    """Print ``✓ what`` or ``✗ what: detail`` (one line) and return ``ok``."""
    detail = " ".join(str(detail).split())
    print(f"✓ {what}" if ok else f"✗ {what}: {detail}")
    return ok


def _one_line(exc: BaseException) -> str:
    """``TypeError: message (line 7: `x = a @ b`)``: the learner's deepest frame, no traceback."""
    msg = " ".join(str(exc).split())
    msg = msg if len(msg) <= 160 else msg[:157] + "..."
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if "site-packages" not in f.filename and "/companion/" not in f.filename]
    where = f" (line {frames[-1].lineno}: `{frames[-1].line.strip()}`)" \
        if frames and frames[-1].line else ""
    return f"{type(exc).__name__}: {msg}{where}" if msg else f"{type(exc).__name__}{where}"


def run_check(what: str, body: Callable, *args) -> bool:
    """Call ``body(*args)``, which prints its own verdict and returns a bool, or raises
    :class:`Fail`; whatever else goes wrong becomes one line of feedback, never a traceback."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return bool(body(*args))
    except Fail as exc:
        return feedback(False, what, str(exc))
    except NotImplementedError:
        return feedback(False, what, NOT_IMPLEMENTED)
    except Exception as exc:  # noqa: BLE001 - the learner's code may fail in any way
        return feedback(False, what, f"your code raised {_one_line(exc)}")


def _name(fn: Callable) -> str:
    return getattr(fn, "__name__", None) or "your function"


def call(fn: Callable, *args, returns: str = "an array", **kwargs) -> Any:
    """``fn(*args, **kwargs)`` on deep copies of the inputs; ``None`` or an exception becomes a
    :class:`Fail` whose message is the sentence the learner reads."""
    return _call_on(fn, copy.deepcopy(args), kwargs, returns)


def _a(value: Any) -> str:
    """'a list', 'an ndarray': the type of ``value`` with its article."""
    name = type(value).__name__
    return f"{'an' if name[0] in 'aeiou' or name == 'ndarray' else 'a'} {name}"


def _output_names(want: Any, names: Sequence[str] | None) -> list:
    if isinstance(want, Mapping):
        return list(want)
    if isinstance(want, (tuple, list)):
        return list(names) if names else [f"output {i + 1}" for i in range(len(want))]
    return [names[0] if names else "the result"]


def _as_array(value: Any, name: str) -> np.ndarray:
    if value is None:
        raise Fail(f"{name} is None")
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise Fail(f"{name} is {_a(value)}, not an array of numbers") from None


def _conform(got: np.ndarray, want: np.ndarray, name: str) -> np.ndarray:
    """``got`` reshaped to ``want``'s shape when that is unambiguous ((1, n) for (n,)...)."""
    if got.shape == want.shape:
        return got
    if got.size == want.size and np.squeeze(got).shape == np.squeeze(want).shape:
        return got.reshape(want.shape)
    hint = " (transposed?)" if got.ndim == 2 and got.shape == want.shape[::-1] else ""
    raise Fail(f"{name} has shape {got.shape}, expected {want.shape}{hint}")


def normalise(got: Any, want: Any, fn_name: str, returns: str,
              names: Sequence[str] | None = None) -> dict:
    """``{output name: array shaped like want's}``, or :class:`Fail` with the reason."""
    keys = _output_names(want, names)
    if isinstance(want, Mapping):
        if not isinstance(got, Mapping):
            raise Fail(f"`{fn_name}` returned {_a(got)}: return {returns}")
        missing = [k for k in want if k not in got]
        if missing:
            raise Fail(f"`{fn_name}` returned no {missing[0]!r}: return {returns}")
        pairs = [(k, got[k], want[k]) for k in keys]
    elif isinstance(want, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            what = f"{len(got)} values" if isinstance(got, (tuple, list)) else _a(got)
            raise Fail(f"`{fn_name}` returned {what}: return {returns}")
        pairs = list(zip(keys, got, want))
    else:
        if isinstance(got, (tuple, Mapping)):
            raise Fail(f"`{fn_name}` returned {_a(got)}: return {returns}")
        pairs = [(keys[0], got, want)]
    out = {}
    for key, g, w in pairs:
        w = np.asarray(w, dtype=float)
        g = _conform(_as_array(g, key), w, key)
        if not np.all(np.isfinite(g)) and np.all(np.isfinite(w)):
            raise Fail(f"{key} contains {'NaN' if np.isnan(g).any() else 'inf'}")
        out[key] = g
    return out


def _same(a: dict, b: dict, rtol: float, atol: float) -> bool:
    return all(np.allclose(a[k], b[k], rtol=rtol, atol=atol, equal_nan=True) for k in a)


def _where(got: dict, want: dict, rtol: float, atol: float) -> str:
    """Which output differs first, where (index of the largest difference) and by how much."""
    for k, w in want.items():
        g = got[k]
        bad = ~np.isclose(g, w, rtol=rtol, atol=atol)
        if bad.any():
            i = np.unravel_index(int(np.argmax(np.abs(g - w) * bad)), w.shape)
            at = f" at index {tuple(int(j) for j in i)}" if w.ndim else ""
            count = f" ({int(bad.sum())} of {w.size} entries differ)" if w.size > 1 else ""
            return f"{k} differs{at}: expected {w[i]:.6g}, got {g[i]:.6g}{count}"
    return "outputs differ"


def _mutated(fn_args: tuple, originals: tuple, reference: Callable) -> str | None:
    """The name of the first array argument the learner's function changed in place."""
    try:
        params = list(inspect.signature(reference).parameters)
    except (TypeError, ValueError):
        params = []
    for i, (a, o) in enumerate(zip(fn_args, originals)):
        if isinstance(o, np.ndarray) and not np.array_equal(a, o, equal_nan=True):
            return params[i] if i < len(params) else f"argument {i + 1}"
    return None


def _matching_mistake(case: Case, raw: Any, want: Any, mistakes: Sequence[Mistake],
                      names, rtol: float, atol: float) -> str | None:
    """The hint of the first mistake whose output equals the learner's ``raw`` output (also
    when that output has the wrong shape for ``want``: an off-by-one size, a dropped batch)."""
    if raw is None:
        return None
    for m in mistakes:
        try:
            out = call(m.fn, *case.args, **case.kwargs)
            target = normalise(out, out, "mistake", "", names)
            if _same(normalise(raw, out, "", "", names), target, rtol, atol):
                return m.hint
        except Fail:
            continue
    return None


def _check_case(fn, reference, case: Case, mistakes, returns, rtol, atol, names, pure) -> None:
    """Raise :class:`Fail` with the reason when ``fn`` disagrees with ``reference`` on ``case``."""
    suffix = f" (case: {case.label})" if case.label else ""
    try:
        want = reference(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
    except Exception as exc:  # noqa: BLE001 - the reference raising is the expected answer
        _expect_raise(fn, case, exc, suffix)
        return
    args, raw = copy.deepcopy(case.args), None
    try:
        raw = _call_on(fn, args, case.kwargs, returns)
        got = normalise(raw, want, _name(fn), returns, names)
    except Fail as exc:
        if str(exc) == NOT_IMPLEMENTED:
            raise
        hint = _matching_mistake(case, raw, want, mistakes, names, rtol, atol)
        raise Fail(f"{hint or exc}{suffix}") from None
    want_n = normalise(want, want, "reference", returns, names)
    if not _same(got, want_n, rtol, atol):
        hint = _matching_mistake(case, raw, want, mistakes, names, rtol, atol)
        raise Fail(f"{hint or _where(got, want_n, rtol, atol)}{suffix}")
    changed = _mutated(args, case.args, reference) if pure else None
    if changed:
        raise Fail(f"`{_name(fn)}` changed its argument `{changed}` in place: work on a new "
                   f"array ({changed} = {changed} - ..., not {changed} -= ...){suffix}")


def _expect_raise(fn: Callable, case: Case, expected: Exception, suffix: str) -> None:
    """The reference raised: the learner's function must raise the same type of exception."""
    kind = type(expected).__name__
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            fn(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
    except NotImplementedError:
        raise Fail(NOT_IMPLEMENTED) from None
    except Exception as exc:  # noqa: BLE001 - compare the learner's exception with the expected
        if isinstance(exc, type(expected)):
            return
        raise Fail(f"expected {kind} ({expected}), but your code raised "
                   f"{_one_line(exc)}{suffix}") from None
    raise Fail(f"expected your function to raise {kind} ({expected}), but it returned "
               f"normally{suffix}")


def _call_on(fn: Callable, args: tuple, kwargs: dict, returns: str) -> Any:
    """:func:`call` without copying ``args`` (so that in-place changes can be detected)."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            out = fn(*args, **copy.deepcopy(kwargs))
    except Fail:
        raise
    except NotImplementedError:
        raise Fail(NOT_IMPLEMENTED) from None
    except Exception as exc:  # noqa: BLE001 - any learner error is reported in one line
        raise Fail(f"your code raised {_one_line(exc)}") from None
    if out is None:
        raise Fail(f"`{_name(fn)}` returned None: return {returns}")
    return out


def check(title: str, fn: Callable, reference: Callable, cases: list[Case],
          mistakes: Sequence[Mistake] = (), returns: str = "an array",
          rtol: float = 1e-6, atol: float = 1e-8, names: Sequence[str] | None = None,
          pure: bool = False) -> bool:
    """Compare ``fn`` with ``reference`` on every case; print one line, return True/False.

    ``returns`` completes "return ..." in the sentences (e.g. "the tuple (dx, dW, db)");
    ``names`` names a tuple's outputs in the messages; ``pure`` also fails a function that
    changes an array argument in place. On a mismatch the first matching ``Mistake`` gives the
    hint; otherwise the message names the output, the index and both values.
    """
    def body():
        for case in cases:
            _check_case(fn, reference, case, mistakes, returns, rtol, atol, names, pure)
        return feedback(True, f"{title} ({len(cases)}/{len(cases)} cases agree)")
    return run_check(title, body)


def verdict(checker: Callable[[Callable], bool], fn: Callable) -> tuple[bool, str]:
    """``checker(fn)``'s result and the text it printed (for tests of the checkers)."""
    import contextlib
    import io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        ok = checker(fn)
    return ok, buf.getvalue()
