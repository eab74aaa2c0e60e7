"""Check functions for the chapters' exercises: one module per chapter (``ch03``, ``ch05``...).

A check never raises: it runs the learner's function on cases whose answers the package
computes, prints what is wrong (or a tick), and returns True/False.
"""
from __future__ import annotations


def feedback(ok: bool, what: str, detail: str = "") -> bool:
    """Print ``✓ what`` or ``✗ what: detail`` and return ``ok``."""
    print(f"✓ {what}" if ok else f"✗ {what}: {detail}")
    return ok


def run_check(what: str, fn, *cases) -> bool:
    """Call ``fn()``; an exception from the learner's code becomes feedback, not a traceback."""
    try:
        return fn(*cases)
    except NotImplementedError:
        return feedback(False, what, "not implemented yet (replace the `raise NotImplementedError`)")
    except Exception as exc:  # the learner's code may fail in any way; report it, don't crash
        return feedback(False, what, f"your code raised {type(exc).__name__}: {exc}")
