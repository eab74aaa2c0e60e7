"""Exact types and shapes for an exercise checker, after its comparison.

``checker.check`` compares through ``normalise``, which accepts what converts cleanly (a list
for an array, an (n, 1) column for (n,)). ``strict`` runs a checker's comparison first (so its
planted hints keep priority) and, when that passes, calls the learner's function once more on
one case and fails on what was converted silently: a list for an array, an array for a
number, a float for an int, the right numbers in another shape.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from companion.exercises.checker import Case, Fail, call, run_check, verdict


def exact(got, want, name: str) -> None:
    """Fail on what the comparison would silently convert: a list for an array, an array for
    a number, a float for an int, or the right numbers in another shape ((1, 1, 1, F) for
    (F,))."""
    if isinstance(want, tuple):
        for g, w, n in zip(got, want, name.split(", ")):
            exact(g, w, n)
    elif isinstance(want, np.ndarray):
        if not isinstance(got, np.ndarray):
            raise Fail(f"{name} is {type(got).__name__}: return a NumPy array")
        if got.shape != want.shape and got.size == want.size:
            raise Fail(f"{name} has shape {got.shape}, expected {want.shape}")
    elif isinstance(want, (int, np.integer)) and not isinstance(got, (int, np.integer)):
        raise Fail(f"{name} is {type(got).__name__} {got!r}: return an int (// keeps integers)")
    elif isinstance(want, float) and isinstance(got, np.ndarray):
        raise Fail(f"{name} is an array of shape {got.shape}: return a float, e.g. float(...)")


def strict(title: str, fn: Callable, reference: Callable, case: Case, names: str,
            then: Callable[[], bool]) -> bool:
    """``then()`` (the comparison, whose planted hints come first); when it passes, exact
    types and shapes on ``case``, which the comparison would have converted silently."""
    ok, line = verdict(lambda _: then(), fn)
    if not ok:
        print(line, end="")
        return False

    def body():
        exact(call(fn, *case.args, returns=names), reference(*case.args), names)
        print(line, end="")
        return True
    return run_check(title, body)
