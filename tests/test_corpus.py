"""Chapter 12's corpus (companion.data.corpus): the same tokens on every Python."""
import hashlib
import json
import sys

import pytest

from companion.data import corpus

# sha256 of "\n".join(tokens), computed from Python 3.11.7's own pydoc_data.topics (the test
# below re-derives the tokens from that interpreter's copy whenever it runs on 3.11.7)
TOKENS_SHA256 = "58468487bdfc174f73919f223deade9962e08794339c0a837741c4273d63f178"


def test_corpus_is_the_frozen_copy_on_every_python():
    tokens = corpus.load_corpus()
    assert len(tokens) == 64262
    assert hashlib.sha256("\n".join(tokens).encode()).hexdigest() == TOKENS_SHA256
    assert tokens[:6] == ["the", "assert", "statement", "assert", "statements", "are"]
    assert all(t == t.lower() and t.replace("'", "").isalpha() for t in tokens)


@pytest.mark.skipif(sys.version_info[:3] != (3, 11, 7), reason="the copy is of Python 3.11.7")
def test_asset_equals_the_standard_library_copy_on_3_11_7():
    from pydoc_data.topics import topics
    assert corpus.load_topics() == topics
    expected = [t for key in sorted(topics) for t in corpus.letter_words(topics[key])]
    assert corpus.load_corpus() == expected


def test_asset_is_sorted_json_in_utf8():
    raw = corpus.CORPUS_FILE.read_bytes()
    topics = json.loads(raw.decode("utf-8"))
    assert len(topics) == 79 and list(topics) == sorted(topics)
    assert all(isinstance(v, str) and v for v in topics.values())


@pytest.mark.parametrize("text, expected", [
    ("Don't use 2 x_y!", ["don't", "use", "x", "y"]),
    ("", []),
    ("HELP('if')", ["help", "if"]),
    ("it's 'quoted'", ["it's", "quoted"]),
])
def test_letter_words(text, expected):
    assert corpus.letter_words(text) == expected


def test_letter_words_rejects_a_non_string():
    with pytest.raises(TypeError, match="text must be a str, got bytes"):
        corpus.letter_words(b"bytes")
