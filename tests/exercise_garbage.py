"""Garbage answers every exercise checker must meet with one sentence (shared by the
tests/test_exercises_chNN.py files)."""
import numpy as np


def one_line(text: str) -> str:
    """The checker's single printed line (asserting there is exactly one, and no traceback)."""
    assert text.count("\n") == 1 and "Traceback" not in text, text
    return text.strip()


def _none(*a, **k):
    return None


def _raises(*a, **k):
    raise ValueError("boom")


def _todo(*a, **k):
    raise NotImplementedError


def _nan(*a, **k):
    return np.full(3, np.nan)


def _text(*a, **k):
    return "w"


# (learner's function, regular expression the checker's line must contain)
GARBAGE = [(_none, "returned None: return"), (_raises, "your code raised ValueError: boom"),
           (_todo, "not implemented yet"), (_nan, "NaN|return|shape"),
           (_text, "not an array|return")]
