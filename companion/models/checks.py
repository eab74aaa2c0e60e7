"""The translators' argument checks, shared by ``seq2seq`` and ``transformer``: written dates,
(written, ISO) pairs, id arrays and the translator itself, each refused with a sentence that
names the argument.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def check_texts(texts, name: str) -> list[str]:
    """A non-empty list of strings (a single string is refused: it is not a list of dates)."""
    if isinstance(texts, str):
        raise TypeError(f"{name}: expected a list of strings, got the single string {texts!r} "
                        f"(write [{texts!r}])")
    try:
        texts = list(texts)
    except TypeError:
        raise TypeError(f"{name}: expected a list of strings, got {type(texts).__name__}") from None
    if not texts:
        raise ValueError(f"{name} is empty: expected at least one string")
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        raise TypeError(f"{name}[{bad[0]}]: expected a string, got "
                        f"{type(texts[bad[0]]).__name__}")
    return texts


def check_translator(model, name: str = "model",
                     methods: tuple[str, ...] = ("start", "decoder_step", "translate")):
    """A translator: a ``Seq2Seq`` or ``TransformerTranslator`` (or any object with the
    ``methods`` a caller uses)."""
    if isinstance(model, str) or not all(callable(getattr(model, a, None)) for a in methods):
        raise TypeError(f"{name}: expected a Seq2Seq or TransformerTranslator, got "
                        f"{type(model).__name__} {model!r:.40}")
    return model


def check_ids(ids, name: str, n: int) -> np.ndarray:
    """(N, T) integer ids in 0..n-1."""
    ids = np.asarray(ids)
    if ids.ndim != 2 or ids.dtype.kind not in "iu" or (ids.size and not 0 <= ids.min() <=
                                                        ids.max() < n):
        raise ValueError(f"{name}: expected (N, T) integer ids in 0..{n - 1}, got "
                         f"{ids.dtype} of shape {ids.shape}")
    return ids


def check_pairs(pairs, name: str) -> list[tuple[str, str]]:
    """A non-empty list of (written date, ISO date) string pairs."""
    if isinstance(pairs, (str, bytes)) or not isinstance(pairs, Sequence):
        raise TypeError(f"{name}: expected a list of (written date, ISO date) pairs, got "
                        f"{type(pairs).__name__}")
    if len(pairs) == 0:
        raise ValueError(f"{name} is empty: expected at least one (written date, ISO date) pair")
    for i, p in enumerate(pairs):
        if not (isinstance(p, (tuple, list)) and len(p) == 2 and all(isinstance(x, str) for x in p)):
            raise TypeError(f"{name}[{i}]: expected a (written date, ISO date) pair of strings, "
                            f"got {p!r}")
    return list(pairs)
