"""The shared machinery of the exercise checkers: run the learner's function, compare, teach.

A chapter's checker (``companion.exercises.chNN``) holds only its cases, the reference call and
the planted mistakes; :func:`check` does the rest and prints exactly one line::

    ✓ shallow backward (4/4 cases agree)
    ✗ shallow backward: you forgot to multiply dA1 by tanh'(Z1) = 1 - A1^2 (case: N=1)
    ✗ shallow backward: `backward` returned None: return the dict {"W1": dW1, ...}
    ✗ product: p is wrong (s agrees): it is -1 times the expected value; correct for N=1,
      wrong for N=2

It never raises and never prints a traceback: the learner's exceptions (``NotImplementedError``
included), ``None``, wrong types, wrong shapes and NaN each become one plain sentence. The rules
every check applies (``rules``):

- types and shapes exactly as documented: an array where the reference returns an array (not a
  list), an int where it returns an int, the reference's shape (an (N, 1) column is not (N,));
  only the alternatives a checker lists in ``accept`` pass;
- purity: changing any argument in place (arrays inside dicts, lists and tuples included) fails,
  naming the argument (``pure=False`` for the rare exercise that must update in place);
- randomness: a case that passes an ``np.random.Generator`` also checks that the function uses
  it: the same seed gives the same answer, another seed another answer, and the global
  ``np.random`` state changes nothing;
- localisation: when no planted mistake matches, the sentence says which outputs are wrong and
  which agree, how the wrong one relates to the right one (sign, factor, offset, transpose,
  which rows or columns), and for which cases the function is right and for which wrong;
- an error inside the checker itself is reported as the checker's, never as "your code raised".

Checks that are not "compare with a reference" (a sampler's statistics, a training loop's
accuracy) use :func:`run_check` with a body that raises :class:`Fail` and :func:`call`, which
turns the learner's misbehaviour into a :class:`Fail` with the same sentences.
"""
from __future__ import annotations

import copy
import tomllib
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from companion.exercises.rules import (
    NOT_IMPLEMENTED,
    ROW,
    Fail,
    a_type,
    as_output,
    call,
    call_on,
    describe,
    fn_name,
    from_learner,
    mutated,
    one_line,
    order_sentence,
    param_names,
    recorder,
    rng_rule,
    uses_rng,
)

__all__ = ["NOT_IMPLEMENTED", "ROW", "Case", "Fail", "Mistake", "call", "check", "feedback",
           "hints", "order_sentence", "planted", "recorder", "rng_rule", "run_check", "verdict"]


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


def hints(chapter: str) -> dict[str, dict[str, str]]:
    """A chapter's hint tables, ``exercises/hints/<chapter>.toml``: ``{exercise: {bug: hint}}``,
    each in the file's order. The hints are prose a teacher edits; the checkers name bugs."""
    with (Path(__file__).parent / "hints" / f"{chapter}.toml").open("rb") as f:
        return tomllib.load(f)


def planted(bug: Callable[[str], Callable] | Mapping[str, Callable],
            table: Mapping[str, str]) -> list[Mistake]:
    """One exercise's planted mistakes: for each ``bug: hint`` of ``table`` (in its order, the
    order in which they are tried), the variant ``bug(key)`` of a bug factory, or ``bug[key]``
    of a dict of variants, with that hint; a key may stand for a list of variants that share
    one hint (e.g. every epsilon a learner might add)."""
    variant = bug.__getitem__ if isinstance(bug, Mapping) else bug
    variants = {key: variant(key) for key in table}
    return [Mistake(fn, table[key]) for key, v in variants.items()
            for fn in (v if isinstance(v, list) else [v])]


class Hinted(Fail):
    """A failure whose message is a planted mistake's hint."""


def feedback(ok: bool, what: str, detail: str = "") -> bool:
    """Print ``✓ what`` or ``✗ what: detail`` (one line) and return ``ok``."""
    detail = " ".join(str(detail).split())
    print(f"✓ {what}" if ok else f"✗ {what}: {detail}")
    return ok


def run_check(what: str, body: Callable, *args) -> bool:
    """Call ``body(*args)``, which prints its own verdict and returns a bool, or raises
    :class:`Fail`; whatever else goes wrong becomes one line of feedback, never a traceback.
    An exception raised in the learner's code is reported as theirs; one raised in the
    checker's own code (e.g. converting a result of an undocumented type) as the checker's."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return bool(body(*args))
    except Fail as exc:
        return feedback(False, what, str(exc))
    except NotImplementedError:
        return feedback(False, what, NOT_IMPLEMENTED)
    except Exception as exc:  # noqa: BLE001 - the learner's code may fail in any way
        if from_learner(exc, getattr(body, "__code__", None)):
            return feedback(False, what, f"your code raised {one_line(exc)}")
        return feedback(False, what, f"the checker could not use your result ({one_line(exc)});"
                        " check that you return what the docstring asks for (if you do, this "
                        "is a bug in the course's checker)")


def _output_names(want: Any, names: Sequence[str] | None) -> list:
    if isinstance(want, Mapping):
        return list(want)
    if isinstance(want, (tuple, list)):
        return list(names) if names else [f"output {i + 1}" for i in range(len(want))]
    return [names[0] if names else "the result"]


def normalise(got: Any, want: Any, fn_name: str, returns: str,
              names: Sequence[str] | None = None, accept: Mapping | None = None) -> dict:
    """``{output name: array}`` from the learner's ``got``, each output of ``want``'s type and
    shape (or one of the shapes ``accept[name]`` lists), or :class:`Fail` with the reason."""
    keys = _output_names(want, names)
    if isinstance(want, Mapping):
        if not isinstance(got, Mapping):
            raise Fail(f"`{fn_name}` returned {a_type(got)}: return {returns}")
        missing = [k for k in want if k not in got]
        if missing:
            raise Fail(f"`{fn_name}` returned no {missing[0]!r}: return {returns}")
        pairs = [(k, got[k], want[k]) for k in keys]
    elif isinstance(want, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            what = f"{len(got)} values" if isinstance(got, (tuple, list)) else a_type(got)
            raise Fail(f"`{fn_name}` returned {what}: return {returns}")
        pairs = list(zip(keys, got, want))
    else:
        if isinstance(got, (tuple, list, Mapping)) and not isinstance(want, np.ndarray):
            raise Fail(f"`{fn_name}` returned {a_type(got)}: return {returns}")
        pairs = [(keys[0], got, want)]
    accept = accept or {}
    return {key: as_output(g, w, key, accept.get(key, ())) for key, g, w in pairs}


def _same(a: dict, b: dict, rtol: float, atol: float) -> bool:
    return all(a[k].shape == b[k].shape and np.allclose(a[k], b[k], rtol=rtol, atol=atol,
                                                        equal_nan=True) for k in b)


def _matching_mistake(case: Case, raw: Any, want: Any, mistakes: Sequence[Mistake], names,
                      rtol: float, atol: float) -> str | None:
    """The hint of the first mistake whose output equals the learner's ``raw`` output (also
    when that output has the wrong shape or type for the reference: an off-by-one size, a
    dropped batch), among the mistakes that are wrong on this case."""
    if raw is None:
        return None
    for m in mistakes:
        try:
            out = call(m.fn, *case.args, **case.kwargs)
            target = _loose(out, names)
            if want is not None and _same(_loose(want, names, like=out), target, rtol, atol):
                continue                       # this mistake is right on this case
            if _same(_loose(raw, names, like=out), target, rtol, atol):
                return m.hint
        except Exception:  # noqa: BLE001, S112 - a mistake that cannot be compared does not match
            continue
    return None


def _loose(value: Any, names, like: Any = None) -> dict:
    """``value`` as ``{name: float array}`` with no type rule (to compare with a mistake)."""
    like = value if like is None else like
    keys = _output_names(like, names)
    if isinstance(like, Mapping):
        items = [value[k] for k in keys]
    elif isinstance(like, (tuple, list)):
        if not isinstance(value, (tuple, list)) or len(value) != len(like):
            raise Fail("shape")
        items = list(value)
    else:
        items = [value]
    return {k: np.asarray(v, dtype=float) for k, v in zip(keys, items)}


def _reference(reference: Callable, case: Case) -> tuple[bool, Any]:
    """(True, output) or (False, the exception the reference raised on this case)."""
    try:
        return True, reference(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
    except Exception as exc:  # noqa: BLE001 - the reference raising is the expected answer
        return False, exc


def _run_case(fn, reference, case: Case, opts: dict) -> dict | None:
    """Run one case: raise :class:`Fail` for garbage, a raise, an in-place change or a misuse
    of the rng; return None when it agrees, else ``{"got", "want", "raw"}`` for the verdict."""
    suffix = f" (case: {case.label})" if case.label else ""
    ok, want = _reference(reference, case)
    if not ok:
        _expect_raise(fn, case, want, suffix)
        return None
    args, kwargs, raw = copy.deepcopy(case.args), copy.deepcopy(case.kwargs), None
    try:
        raw = call_on(fn, args, kwargs, opts["returns"])
        got = normalise(raw, want, fn_name(fn), opts["returns"], opts["names"], opts["accept"])
    except Fail as exc:
        if str(exc) == NOT_IMPLEMENTED:
            raise
        hint = _matching_mistake(case, raw, want, opts["mistakes"], opts["names"],
                                 opts["rtol"], opts["atol"])
        raise (Hinted(f"{hint}{suffix}") if hint else Fail(f"{exc}{suffix}")) from None
    if uses_rng(case.args, case.kwargs):
        try:
            rng_rule(fn, case.args, case.kwargs, opts["returns"], suffix, reference)
        except Fail as exc:
            if str(exc) == NOT_IMPLEMENTED:
                raise
            raw = _raw_or_none(fn, case)
            hint = _matching_mistake(case, raw, want, opts["mistakes"], opts["names"],
                                     opts["rtol"], opts["atol"])
            raise (Hinted(f"{hint}{suffix}") if hint else exc) from None
    if opts["pure"]:
        changed = mutated((args, kwargs), (case.args, case.kwargs),
                          param_names(fn) or param_names(reference))
        if changed:
            raise Fail(f"`{fn_name(fn)}` changed its argument `{changed}` in place: work on new "
                       f"arrays (x = x - ..., not x -= ...; copy a dict before changing it)"
                       f"{suffix}")
    want_n = normalise(want, want, "reference", opts["returns"], opts["names"])
    if _same(got, want_n, opts["rtol"], opts["atol"]):
        return None
    return {"got": got, "want": want_n, "raw": raw, "raw_want": want}


def _raw_or_none(fn: Callable, case: Case) -> Any:
    try:
        return call(fn, *case.args, **case.kwargs)
    except Fail:
        return None


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
                   f"{one_line(exc)}{suffix}") from None
    raise Fail(f"expected your function to raise {kind} ({expected}), but it returned "
               f"normally{suffix}")


def _label(case: Case, i: int) -> str:
    return case.label or f"case {i + 1}"


def _verdict_sentence(case: Case, label: str, diff: dict, passed: list, opts: dict) -> str:
    """The sentence for a wrong answer no planted mistake matches: which outputs, how, where."""
    text = describe(diff["got"], diff["want"], opts["rtol"], opts["atol"])
    if passed:
        return text + f"; correct for {'; '.join(passed)}, wrong for {label}"
    return text + (f" (case: {case.label})" if case.label else "")


def check(title: str, fn: Callable, reference: Callable, cases: list[Case],
          mistakes: Sequence[Mistake] = (), returns: str = "an array",
          rtol: float = 1e-6, atol: float = 1e-8, names: Sequence[str] | None = None,
          pure: bool = True, accept: Mapping[str, Sequence[tuple]] | None = None,
          diagnose: Callable[[Callable], str | None] | None = None) -> bool:
    """Compare ``fn`` with ``reference`` on every case; print one line, return True/False.

    ``returns`` completes "return ..." in the sentences (e.g. "the tuple (dx, dW, db)");
    ``names`` names a tuple's outputs in the messages; ``pure`` (the default) fails a function
    that changes any argument in place; ``accept`` maps an output's name to the other shapes the
    exercise's docstring allows (e.g. ``{"db": [(1, 3)]}``, or ``{"db": ROW}``: a (1, n) row for
    (n,) in every case); ``diagnose(fn)`` may return a
    sentence locating a wrong answer (by running ``fn`` on inputs the checker varies) when no
    planted mistake matches. Failing cases are reported with the planted mistake's hint when
    one matches, else with :func:`rules.describe`'s localisation.
    """
    opts = {"mistakes": mistakes, "returns": returns, "rtol": rtol, "atol": atol,
            "names": names, "pure": pure, "accept": accept}

    def body():
        wrong, passed = None, []
        for i, case in enumerate(cases):
            try:
                diff = _run_case(fn, reference, case, opts)
            except Fail as exc:
                if wrong is None:
                    raise (None if isinstance(exc, Hinted) else
                           _hint_elsewhere(fn, reference, cases[i + 1:], opts)) or exc
                continue                     # report the earlier wrong answer, located
            if diff is None:
                passed.append(_label(case, i))
                continue
            if wrong is None:
                hint = _matching_mistake(case, diff["raw"], diff["raw_want"], mistakes, names,
                                         rtol, atol)
                if hint:
                    raise Fail(f"{hint}{f' (case: {case.label})' if case.label else ''}")
                wrong = (case, _label(case, i), diff)
        if wrong is None:
            return feedback(True, f"{title} ({len(cases)}/{len(cases)} cases agree)")
        case, label, diff = wrong
        located = _diagnosed(diagnose, fn)
        sentence = _verdict_sentence(case, label, diff, passed, opts)
        raise Fail(f"{sentence}{'; ' + located if located else ''}")
    return run_check(title, body)


def _hint_elsewhere(fn, reference, cases: list[Case], opts: dict) -> Fail | None:
    """A planted mistake's hint from a later case, when the first failure (a type or shape)
    matched none: e.g. ``/`` instead of ``//`` shows as the planted mistake where stride 2
    leaves a fraction."""
    if not opts["mistakes"]:
        return None
    for case in cases:
        ok, want = _reference(reference, case)
        raw = _raw_or_none(fn, case) if ok else None
        hint = _matching_mistake(case, raw, want, opts["mistakes"], opts["names"],
                                 opts["rtol"], opts["atol"]) if ok else None
        if hint:
            return Fail(f"{hint}{f' (case: {case.label})' if case.label else ''}")
    return None


def _diagnosed(diagnose, fn) -> str | None:
    if diagnose is None:
        return None
    try:
        return diagnose(fn)
    except Fail:
        return None


def verdict(checker: Callable[[Callable], bool], fn: Callable) -> tuple[bool, str]:
    """``checker(fn)``'s result and the text it printed (for tests of the checkers)."""
    import contextlib
    import io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        ok = checker(fn)
    return ok, buf.getvalue()
