"""Shared pieces of the property-based wrong-call tests (issue 23): what wrong values look
like (hypothesis strategies), what a clear error is, and the ``Target`` table row.

A target calls one public function or class with one drawn value; it must raise a clear error
(TypeError, ValueError, RuntimeError or KeyError whose message names the argument, never an
error from deep inside NumPy) or return a result its own oracle accepts: never a silently
wrong one. Used by ``test_properties.py`` (nn) and ``test_properties_data.py`` (data, models).
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from companion.nn import activations
from companion.nn.validation import DivergenceError

CLEAR = (TypeError, ValueError, RuntimeError, KeyError, DivergenceError)
SETTINGS = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


# --- what wrong values look like -------------------------------------------------------------
class Odd:
    """An object of no expected type."""
    def __repr__(self):
        return "Odd()"


SCALAR_JUNK = st.one_of(st.none(), st.text(max_size=4), st.booleans(), st.just(Odd()),
                        st.just([1, 2]), st.just({"a": 1}), st.complex_numbers(max_magnitude=3))
BAD_NUMBER = st.one_of(SCALAR_JUNK, st.sampled_from([float("nan"), float("inf"), -float("inf")]))
BAD_COUNT = st.one_of(SCALAR_JUNK, st.integers(-5, 0), st.sampled_from([2.5, -1.5, float("nan")]))
BAD_FLAG = st.one_of(st.none(), st.sampled_from(["no", "yes", "False", "", 0, 1, 1.0, [True]]),
                     st.just(Odd()))
BAD_RATE = st.one_of(SCALAR_JUNK, st.sampled_from([-0.1, 1.0, 1.5, float("nan"), float("inf")]))
BAD_NAME = st.one_of(st.text(min_size=1, max_size=4).filter(
    lambda s: s not in activations.ACTIVATIONS), st.integers(), st.booleans(), st.just(Odd()),
    st.just(["relu"]))
BAD_PAIR = st.one_of(st.none(), st.text(max_size=4), st.booleans(), st.just(Odd()),
                     st.just([1, 2, 3]), st.just([0, 2]), st.integers(-5, 0),
                     st.sampled_from([2.5, float("nan")]))
BAD_STRINGS = st.one_of(st.text(min_size=1, max_size=8), st.none(), st.integers(),
                        st.lists(st.integers(), min_size=1, max_size=3),
                        st.lists(st.none(), min_size=1, max_size=2), st.just(Odd()))


def bad_arrays(shape: tuple) -> st.SearchStrategy:
    """Arrays that are wrong for a given good ``shape``: another rank or size, empty, NaN or
    inf inside, strings, objects, None."""
    n = int(np.prod(shape))
    other = [s for s in {shape[:-1] + (shape[-1] + 1,), shape + (1,), shape[1:] or (2, 2),
                         (shape[0] + 1,) + shape[1:]} if s != shape]

    def with_value(v):
        a = np.ones(shape)
        a.flat[n // 2] = v
        return a
    return st.one_of(
        st.none(), st.just(Odd()), st.text(max_size=3),
        st.sampled_from(other).map(np.ones),
        st.just(np.zeros((0,) + shape[1:])),
        st.sampled_from([np.nan, np.inf, -np.inf]).map(with_value),
        st.just(np.full(shape, "a")),
        st.just(np.empty(shape, dtype=object)),
        st.just(np.full(shape, 1 + 2j)),
    )


def _names(message: str, names: tuple[str, ...]) -> bool:
    return any(re.search(rf"\b{re.escape(n)}\b", message, re.IGNORECASE) for n in names)


def assert_clear_or_correct(call: Callable[[], object], names: tuple[str, ...],
                            correct: Callable[[object], bool] | None = None) -> None:
    """``call()`` raises a clear error naming one of ``names``, or its result passes
    ``correct`` (no oracle: it must raise)."""
    try:
        with np.errstate(all="ignore"):          # NaN that a target passes on is checked below
            result = call()
    except CLEAR as exc:
        message = str(exc)
        assert _names(message, names), f"message does not name {names}: {message!r}"
        assert "did not contain a loop" not in message and "broadcast" not in message, message
        return
    assert correct is not None, f"no error: returned {result!r:.120}"
    assert correct(result), f"silently wrong result: {result!r:.200}"


class Target(NamedTuple):
    id: str
    call: Callable[[object], object]     # value -> result
    names: tuple[str, ...]               # what the message must name
    values: st.SearchStrategy
    correct: Callable[[object, object], bool] | None = None   # (value, result) -> ok


def rng():
    return np.random.default_rng(0)


def built(layer, shape):
    layer.build(shape, rng())
    return layer


def forward_then_backward(layer, shape, x, dout):
    layer = built(layer, shape)
    layer.forward(x)
    return layer.backward(dout)


def finite_or_nan_input(value, result) -> bool:
    """An element-wise result is right when it has the input's shape and NaN exactly where
    the input has NaN."""
    arr = np.asarray(value, dtype=float)
    out = np.asarray(result)
    return out.shape == arr.shape and bool(np.all(np.isnan(out) == np.isnan(arr)))



def same_accuracy(out: float, y, p) -> bool:
    """The accuracy by hand: NaN if any prediction is NaN, else argmax (several columns) or
    threshold 0.5 (one column) against the labels."""
    p = np.asarray(p, dtype=float)
    if np.isnan(p).any():
        return bool(np.isnan(out))
    pred = p.argmax(-1) if p.shape[-1] > 1 else (p[..., 0] > 0.5)
    return pred.size == len(y) and out == np.mean(pred.ravel() == np.asarray(y))


def public_names(package) -> list[str]:
    """'module.Name' for every public function and class defined in the package's modules
    (what a coverage test checks each target list against)."""
    out = []
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        module = importlib.import_module(info.name)
        short = info.name.rsplit(".", 1)[1]
        out += [f"{short}.{n}" for n, o in vars(module).items()
                if not n.startswith("_") and (inspect.isfunction(o) or inspect.isclass(o))
                and o.__module__ == module.__name__]
    return out


def target_tests(targets: list[Target]):
    """The two tests every property file runs over its ``targets``, written once:
    ``(test_target_ids_are_distinct, test_wrong_value_gets_a_clear_error_or_a_correct_result)``;
    a file binds them to those names at module level so pytest collects them."""
    import pytest
    from hypothesis import given

    def test_target_ids_are_distinct():
        ids = [t.id for t in targets]
        assert len(ids) == len(set(ids))

    @pytest.mark.parametrize("target", targets, ids=[t.id for t in targets])
    @SETTINGS
    @given(data=st.data())
    def test_wrong_value_gets_a_clear_error_or_a_correct_result(target: Target, data):
        value = data.draw(target.values, label=target.id)
        correct = None if target.correct is None else (lambda out: target.correct(value, out))
        assert_clear_or_correct(lambda: target.call(value), target.names, correct)

    return test_target_ids_are_distinct, test_wrong_value_gets_a_clear_error_or_a_correct_result
