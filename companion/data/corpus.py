"""Chapter 12's skip-gram corpus: CPython's own help pages, frozen so that every Python reads
the same words.

    from companion.data import corpus
    tokens = corpus.load_corpus()       # 64,262 lower-cased words, identical on every Python

The text behind ``help("if")`` ships with the standard library as ``pydoc_data.topics``, but
each Python release rewrites it (63,167 tokens on 3.10, 64,262 on 3.11, 66,993 on 3.12, 68,572
on 3.13), so a skip-gram trained on the running interpreter's copy gives different numbers on
every Python. ``assets/corpus/pydoc_topics_3.11.7.json`` is the copy from Python 3.11.7 (the
one the stored notebooks were executed with), unchanged: notebook 12 reads it through
``load_corpus()`` instead of the interpreter's ``pydoc_data``. Source, licence (PSF License
Version 2) and the command that made the file: ``assets/corpus/README.md``.
"""

from __future__ import annotations

import json
import re

from companion.data.datasets import ASSETS

CORPUS_FILE = ASSETS / "corpus" / "pydoc_topics_3.11.7.json"

_LETTER_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def letter_words(text: str) -> list[str]:
    """Lower-cased words of letters, an inner apostrophe kept ("don't"); digits and punctuation
    dropped. ``letter_words("Don't use 2 x_y!") == ["don't", "use", "x", "y"]``."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return _LETTER_WORD.findall(text.lower())


def load_topics() -> dict[str, str]:
    """The 79 help topics of Python 3.11.7 (``pydoc_data.topics.topics``): name -> text."""
    with open(CORPUS_FILE, encoding="utf-8") as f:
        return json.load(f)


def load_corpus() -> list[str]:
    """The corpus as tokens (``letter_words`` of each topic, topics in sorted order): 64,262
    words, the same list on every Python."""
    topics = load_topics()
    return [t for key in sorted(topics) for t in letter_words(topics[key])]
