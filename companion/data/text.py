"""Text as sequences of integers: tokenising, a vocabulary with <UNK>/<EOS>, one-hot vectors,
and the names data set shipped in ``assets/names``.

    vocab = Vocabulary.build(words(text), max_size=1000)    # the 1000 most frequent words
    ids = vocab.encode(words("the cat sat"), add_eos=True)   # rare words -> <UNK>, then <EOS>
    X = vocab.one_hot(ids)                                    # (T, len(vocab))

Index 0 is always <EOS>, index 1 <UNK> (index 2 <PAD> when asked for); then the tokens from
the most to the least frequent (ties alphabetical), or alphabetical with ``order="alphabetical"``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from companion.data.datasets import ASSETS
from companion.nn.validation import check_bool, check_int, check_strings


# --- word- vs. character-level ---------------------------------------------------------------
def load_text() -> str:
    """The GNU GPL v3 text shipped in assets/text (real English, 5,600 words)."""
    return (ASSETS / "text" / "gpl-3.0.txt").read_text()

EOS, UNK, PAD = "<EOS>", "<UNK>", "<PAD>"
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[.,;:!?]")


def _text(text, name: str = "text") -> str:
    if not isinstance(text, str):
        raise TypeError(f"{name}: expected a string, got {type(text).__name__} "
                        f"{str(text)[:40]!r}" + ("; for a list of texts use [words(t) for t in "
                                                 "texts]" if isinstance(text, list) else ""))
    return text


def words(text: str) -> list[str]:
    """Lower-cased word tokens; punctuation marks . , ; : ! ? are tokens of their own.

    >>> words("The cat sat.")
    ['the', 'cat', 'sat', '.']
    """
    return _WORD.findall(_text(text).lower())


def chars(text: str) -> list[str]:
    """Character tokens (the text as a list of its characters)."""
    return list(_text(text))


class Vocabulary:
    """A fixed token <-> index map with an <UNK> token for everything not in it.

    With ``specials=False`` (word2vec's vocabulary) there is no <EOS>, <UNK> or <PAD>: ids
    start at the first token and ``encode`` drops the tokens it does not know.
    """

    def __init__(self, tokens: Sequence[str], pad: bool = False, specials: bool = True):
        tokens = check_strings(tokens, "tokens") if isinstance(tokens, str) else tokens
        check_bool(specials, "specials")
        if pad and not specials:
            raise ValueError("pad=True needs specials=True (<PAD> is a special token)")
        reserved = [EOS, UNK] + ([PAD] if pad else [])
        clash = [t for t in tokens if t in reserved]
        if clash:
            raise ValueError(f"tokens must not contain the special tokens {reserved}, got {clash}")
        self._specials = specials = reserved if specials else []
        self.itos: list[str] = specials + list(dict.fromkeys(tokens))
        self.stoi: dict[str, int] = {t: i for i, t in enumerate(self.itos)}
        self.eos, self.unk, self.pad = (self.stoi.get(t) for t in (EOS, UNK, PAD))
        self.counts: np.ndarray | None = None     # set by build: occurrences per id (0: specials)

    @property
    def words(self) -> list[str]:
        """The ordinary tokens, in id order (without <EOS>, <UNK>, <PAD>)."""
        return self.itos[len(self._specials):]

    @classmethod
    def build(cls, tokens: Iterable[str], max_size: int | None = None, min_count: int = 1,
              order: str = "frequency", pad: bool = False, specials: bool = True) -> Vocabulary:
        """The vocabulary of a training text: its ``max_size`` most frequent tokens (those seen
        at least ``min_count`` times); everything else will be encoded as <UNK>.
        ``max_size`` counts the ordinary tokens only (not <EOS>, <UNK>, <PAD>). ``counts``
        holds each id's number of occurrences (0 for the special tokens)."""
        if order not in ("frequency", "alphabetical"):
            raise ValueError(f"order must be 'frequency' or 'alphabetical', got {order!r}")
        if max_size is not None:
            max_size = check_int(max_size, "max_size")
        min_count = check_int(min_count, "min_count")
        check_bool(pad, "pad")
        if isinstance(tokens, str):
            raise TypeError(f"tokens: expected a list of string tokens, got the single string "
                            f"{tokens[:40]!r}: pass words(text) for words or chars(text) for "
                            "characters")
        counts = Counter(check_strings(_tokens(tokens, "tokens"), "tokens"))
        for special in (EOS, UNK, PAD):
            counts.pop(special, None)
        ranked = sorted((t for t, c in counts.items() if c >= min_count),
                        key=lambda t: (-counts[t], t))[:max_size]
        vocab = cls(sorted(ranked) if order == "alphabetical" else ranked, pad=pad,
                    specials=specials)
        vocab.counts = np.array([counts.get(t, 0) for t in vocab.itos], dtype=np.int64)
        return vocab

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def index(self, token: str) -> int:
        if not isinstance(token, str):
            raise TypeError(f"token: expected a string, got {type(token).__name__} {token!r}")
        if self.unk is None and token not in self.stoi:
            raise KeyError(f"token {token!r} is not in this vocabulary (it has no <UNK>)")
        return self.stoi.get(token, self.unk)

    def encode(self, tokens: Iterable[str], add_eos: bool = False) -> np.ndarray:
        """Token list -> int64 ids (unknown tokens -> <UNK>, or dropped when the vocabulary
        has no <UNK>), with a final <EOS> if asked.
        A string is a sequence of character tokens for a character vocabulary; a word
        vocabulary (or one without <UNK>) refuses it: pass words(text)."""
        if isinstance(tokens, str) and (self.unk is None or any(len(t) > 1 for t in self.words)):
            raise TypeError(f"tokens: got the single string {tokens[:40]!r}, but this vocabulary "
                            "holds words, not characters: pass words(text) (or [token])")
        check_bool(add_eos, "add_eos")
        if add_eos and self.eos is None:
            raise ValueError("add_eos=True, but this vocabulary has no <EOS> (specials=False)")
        tokens = list(tokens) if isinstance(tokens, str) else check_strings(
            _tokens(tokens, "tokens"), "tokens")
        ids = [self.stoi.get(t, self.unk) for t in tokens]
        ids = [i for i in ids if i is not None] + ([self.eos] if add_eos else [])
        return np.asarray(ids, dtype=np.int64)

    def decode(self, ids: Iterable[int], stop_at_eos: bool = False) -> list[str]:
        """Ids -> tokens (stopping before the first <EOS> when ``stop_at_eos``)."""
        arr = np.asarray(list(ids) if not isinstance(ids, np.ndarray) else ids)
        if arr.size and arr.dtype.kind not in "iu":
            raise TypeError(f"decode: expected integer ids, got dtype {arr.dtype}")
        out = []
        for i in arr.astype(np.int64).ravel():
            if not 0 <= i < len(self):
                raise ValueError(f"decode: id {i} is outside the vocabulary 0..{len(self) - 1}")
            if stop_at_eos and i == self.eos:
                break
            out.append(self.itos[i])
        return out

    def one_hot(self, ids) -> np.ndarray:
        """Integer ids of any shape (...) -> one-hot vectors (..., len(vocab)), float64."""
        ids = np.asarray(ids)
        if ids.dtype.kind not in "iu":
            raise TypeError(f"one_hot: expected integer ids, got dtype {ids.dtype}")
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(f"one_hot: ids must lie in 0..{len(self) - 1}, "
                             f"got {ids.min()}..{ids.max()}")
        return np.eye(len(self))[ids]

    def __repr__(self):
        shown = ", ".join(self.itos[:8]) + (", ..." if len(self) > 8 else "")
        return f"Vocabulary({len(self)} tokens: {shown})"


def _tokens(tokens, name: str):
    """``tokens`` as an iterable of strings, or a clear error (None, a number...)."""
    if tokens is None or not isinstance(tokens, Iterable):
        raise TypeError(f"{name}: expected a list of string tokens (e.g. words(text) or "
                        f"chars(text)), got {type(tokens).__name__} {tokens!r}")
    return tokens


def char_vocabulary(texts: Iterable[str]) -> Vocabulary:
    """The alphabetical character vocabulary of a list of strings (plus <EOS>, <UNK>).

    >>> char_vocabulary(["ann", "bob"]).itos
    ['<EOS>', '<UNK>', 'a', 'b', 'n', 'o']
    """
    texts = [texts] if isinstance(texts, str) else check_strings(texts, "texts")
    return Vocabulary.build([c for s in texts for c in s], order="alphabetical")


def encode_padded(vocab: Vocabulary, texts: Sequence[str], add_eos: bool = True,
                  pad_id: int | None = None):
    """Encode strings (as characters) into a right-padded (N, T_max) id array and a mask.

    Returns ``(ids, mask)``, both (N, T_max); ``mask`` is True on real tokens. Padding uses
    ``pad_id`` (default: the vocabulary's <PAD> if it has one, else <EOS>): masked positions
    never count, whatever they hold.
    """
    if isinstance(texts, str):
        raise TypeError(f"texts: expected a list of strings, got the single string {texts!r}; "
                        "wrap it in a list")
    seqs = [vocab.encode(chars(s), add_eos=add_eos) for s in check_strings(texts, "texts")]
    if not seqs:
        raise ValueError("encode_padded: no texts given")
    T = max(len(s) for s in seqs)
    fill = pad_id if pad_id is not None else (vocab.pad if vocab.pad is not None else vocab.eos)
    ids = np.full((len(seqs), T), fill, dtype=np.int64)
    mask = np.zeros((len(seqs), T), dtype=bool)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = s
        mask[i, :len(s)] = True
    return ids, mask


# --- the 1990 US Census first names (assets/names, public domain) --------------------------
def _read_census(sex: str) -> dict[str, float]:
    path = ASSETS / "names" / f"dist.{sex}.first"
    out = {}
    for line in path.read_text().splitlines():
        if line.strip():
            name, pct = line.split()[:2]
            out[name.lower()] = float(pct)
    return out


def load_names(sex: str | None = None) -> list[str]:
    """Lower-case first names from the 1990 US Census, most frequent first.

    ``sex``: "female" (4275 names), "male" (1219) or None for the union (5163 distinct names:
    331 appear in both lists; each appears once, the lists interleaved by frequency).
    """
    if sex in ("female", "male"):
        return list(_read_census(sex))
    if sex is not None:
        raise ValueError(f"sex must be 'female', 'male' or None, got {sex!r}")
    names, _, freq = names_by_sex()
    return [names[i] for i in np.argsort(-freq, kind="stable")]


def names_by_sex():
    """Every distinct census first name with a label and its frequency.

    Returns ``(names, labels, freq)``: ``labels`` int64, 1 = male, 0 = female; a name in both
    lists gets the sex in which it is more frequent (percent of that sex); ``freq`` is that
    percentage. Names are in alphabetical order.
    """
    female, male = _read_census("female"), _read_census("male")
    names = sorted(set(female) | set(male))
    labels = np.array([int(male.get(n, 0.0) > female.get(n, 0.0)) for n in names], np.int64)
    freq = np.array([max(male.get(n, 0.0), female.get(n, 0.0)) for n in names])
    return names, labels, freq

def sentences(text: str) -> list[str]:
    """Split running text into sentences at . ! ? followed by a space (line breaks joined)."""
    flat = re.sub(r"\s+", " ", _text(text))
    return [s.strip() for s in re.split(r"(?<=[.!?])\s", flat) if len(s.split()) >= 3]


def names_split():
    """The census first names split as chapter 10 splits them (seed 0): (train 4130, validation
    516, test 517, the training names' character vocabulary). Chapters 14-16 compare their
    language models on it."""
    names = load_names()
    order = np.random.default_rng(0).permutation(len(names))
    train = [names[i] for i in order[:4130]]
    val = [names[i] for i in order[4130:4646]]
    test = [names[i] for i in order[4646:]]
    return train, val, test, char_vocabulary(train)


def check_vocabulary(vocab, name: str = "vocab") -> Vocabulary:
    """``vocab`` must be a ``Vocabulary`` (a list of tokens is not one: build it with
    ``char_vocabulary(texts)`` or ``Vocabulary.build(tokens)``)."""
    if not isinstance(vocab, Vocabulary):
        raise TypeError(f"{name}: expected a Vocabulary (char_vocabulary(texts) or "
                        f"Vocabulary.build(tokens)), got {type(vocab).__name__} {vocab!r:.40}")
    return vocab
