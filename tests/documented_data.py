"""Helpers of ``test_properties_nn_data.py`` for ``companion.data``: the oracles of the
argument-free loaders, which come from outside the loaders' code (the counts and ranges that
``assets/*/README.md`` states, the documentation text ``DESCR`` that scikit-learn ships with
its data sets, the ISO date format), and the records' builders.
"""
from __future__ import annotations

import re
from collections import Counter

import numpy as np
from hypothesis import strategies as st
from property_checks import SCALAR_JUNK, Target

from companion.data import dates, text, word_vectors


def small_vectors():
    return word_vectors.WordVectors(["king", "queen", "man", "woman"],
                                    np.random.default_rng(0).standard_normal((4, 3)))


QUESTION = ("king", "queen", "man", "woman")    # with a, b, c excluded, only "woman" is left


def unknown_word(v, exc) -> bool:
    wv = small_vectors()
    return isinstance(exc, word_vectors.UnknownWordError) and isinstance(exc, ValueError) \
        and exc.word == v and repr(v) in str(exc) and set(exc.suggestions) <= set(wv.words) \
        and (v.lower() not in wv or exc.suggestions == [v.lower()])


def report(**counts):
    base = {"total": {"a": 2}, "covered": {"a": 1}, "correct": {"a": 1}}
    return word_vectors.AnalogyReport(**{**base, **counts})


def load_dates(n_dev):
    return dates.load_dates(n_train=20, n_dev=n_dev, n_test=5, n_hard=5, seed=0)


def date_data(v, d) -> bool:
    held = set(d.held_out_years)
    return isinstance(d, dates.DateData) and v == 0 and (len(d.train), len(d.dev), len(
        d.test), len(d.hard_test)) == (20, 0, 5, 5) and all(
        int(iso[:4]) in held for _, iso in d.hard_test) and not any(
        int(iso[:4]) in held for _, iso in d.train)


def descr_table(descr: str) -> np.ndarray:
    """The (min, max) rows of a scikit-learn data set's documented summary statistics."""
    rows = re.findall(r"^[a-z][a-z ()]+:\s+(-?[\d.]+)\s+(-?[\d.]+)", descr, re.MULTILINE)
    return np.array(rows, dtype=float)


def iris_as_documented(out) -> bool:
    from sklearn.datasets import load_iris
    X, y, features, classes = out
    documented = descr_table(load_iris().DESCR)       # 4 rows: min, max in cm
    return X.shape == (150, 4) and "150 (50 in each of three classes)" in load_iris().DESCR \
        and np.bincount(y).tolist() == [50, 50, 50] and len(features) == 4 and \
        [c[:4] for c in classes] == ["seto", "vers", "virg"] and \
        np.allclose(np.c_[X.min(0), X.max(0)], documented, atol=1e-9)


def breast_cancer_as_documented(out) -> bool:
    from sklearn.datasets import load_breast_cancer
    X, y, features = out
    descr = load_breast_cancer().DESCR
    documented = descr_table(descr)                   # 30 rows, in the features' order
    return X.shape == (569, 30) and len(features) == 30 and documented.shape == (30, 2) and \
        "212 - Malignant, 357 - Benign" in descr and int((y == 1).sum()) == 357 and \
        np.allclose(np.c_[X.min(0), X.max(0)], documented, rtol=5e-3, atol=1e-3)


def topics_as_documented(t) -> bool:                  # assets/corpus/README.md
    return len(t) == 79 and list(t) == sorted(t) and {"assert", "if"} <= set(t) and \
        all(isinstance(v, str) and v for v in t.values())


def corpus_as_documented(tokens) -> bool:             # assets/corpus/README.md
    counts = Counter(tokens)
    return len(tokens) == 64262 and sum(c >= 5 for c in counts.values()) == 1304 and \
        all(re.fullmatch(r"[a-z]+('[a-z]+)?", w) for w in counts)


def source_vocabulary_covers(v) -> bool:
    days = [dates.FIRST + np.timedelta64(k, "D").astype(object) for k in range(0, 36524, 37)]
    written = {dates.write_date(d, f) for d in days for f in dates.FORMATS}
    return v.itos[:3] == [text.EOS, text.UNK, text.PAD] and \
        all(c in v for s in written for c in s)


def target_vocabulary_is_iso(v) -> bool:
    days = [dates.FIRST + np.timedelta64(k, "D").astype(object) for k in range(0, 36524, 101)]
    return v.itos[:3] == [text.EOS, text.UNK, text.PAD] and len(v) == 14 and \
        set(v.words) == set("0123456789-") and all(c in v for d in days for c in d.isoformat())


def gpl_as_documented(t) -> bool:                     # assets/text/README.md
    return "GNU GENERAL PUBLIC LICENSE" in t[:200] and "Version 3, 29 June 2007" in t[:200] \
        and round(len(t.split()), -2) == 5600


def census_as_documented(out) -> bool:                # assets/names/README.md
    names, labels, freq = out
    ix = {n: i for i, n in enumerate(names)}
    return len(names) == 1219 + 4275 - 331 and names == sorted(names) and \
        all(n.isalpha() and n.islower() for n in names) and labels.dtype == np.int64 and \
        1219 - 331 <= labels.sum() <= 1219 and labels[ix["james"]] == 1 and \
        freq[ix["james"]] == 3.318 and labels[ix["mary"]] == 0


def split_as_documented(out) -> bool:
    train, val, test, vocab = out
    everything = set(text.names_by_sex()[0])
    parts = [set(train), set(val), set(test)]
    return [len(p) for p in parts] == [4130, 516, 517] and sum(map(len, parts)) == \
        len(everything) == 1219 + 4275 - 331 and set().union(*parts) == everything and \
        all(c in vocab for n in train for c in n)


def loader_targets(name: str, loader, oracle) -> list[Target]:
    """An argument-free loader: what it returns, against an oracle; an extra argument."""
    return [Target(f"{name}() returns what its documentation states",
                   lambda v: loader(), (), st.just(None), lambda v, out: oracle(out)),
            Target(f"{name}(<an unexpected positional argument>)", lambda v: loader(v),
                   (name.split(".")[1],), st.one_of(SCALAR_JUNK, st.integers(0, 3)))]

