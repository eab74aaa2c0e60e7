"""Check functions for the chapters' exercises: one module per chapter (``ch03``, ``ch05``...).

A check never raises: it runs the learner's function on cases whose answers the package
computes, prints what is wrong (or a tick) in one line, and returns True/False. The shared
machinery (``check``, ``Case``, ``Mistake``, ``feedback``, ``run_check``) is in ``checker``.
"""
from __future__ import annotations

from companion.exercises.checker import Case, Fail, Mistake, call, check, feedback, run_check

__all__ = ["Case", "Fail", "Mistake", "call", "check", "feedback", "run_check"]
