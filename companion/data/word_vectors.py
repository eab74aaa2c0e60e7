"""Pretrained word vectors: cosine similarity, nearest neighbours, analogies and their benchmark.

    wv = load_glove()                          # 40,000 GloVe 6B 50-d vectors from assets/glove/
    wv.nearest("frog", k=5)                    # [(word, cosine), ...]
    wv.analogy("man", "woman", "king")         # man : woman :: king : ?  ->  [("queen", 0.86)]
    report = evaluate_analogies(wv)            # the Google analogy questions, vectorised
    print(report)                              # accuracy overall, semantic/syntactic, per section

Analogies use the vector difference and cosine (3CosAdd, Mikolov et al. 2013): the answer to
a : b :: c : ? is the word d, other than a, b and c, whose unit vector is closest in cosine to
u_b - u_a + u_c. Every vector is normalised once, so a whole batch of questions is one matrix
product against the (n_words, n_features) matrix.

An unknown word raises ``UnknownWordError`` (a ``ValueError``) naming the word and suggesting
close spellings from the vocabulary, never a bare ``KeyError``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from companion.data.datasets import ASSETS
from companion.nn.validation import as_array, check_bool, check_finite, check_int, check_strings

GLOVE_DIR = ASSETS / "glove"
ANALOGY_FILE = ASSETS / "analogy" / "questions-words.txt"
# the first five sections of questions-words.txt are semantic, the nine "gram" ones syntactic
SEMANTIC = ("capital-common-countries", "capital-world", "currency", "city-in-state", "family")


class UnknownWordError(ValueError):
    """A word that is not in the vocabulary (the message suggests close matches)."""

    def __init__(self, word: str, suggestions: list[str], vocab_size: int | None = None):
        self.word, self.suggestions = word, suggestions
        hint = (f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions
                else "; no close match")
        size = f" of {vocab_size:,} words" if vocab_size else ""
        super().__init__(f"{word!r} is not in the vocabulary{size}{hint}")


def cosine_similarity(u, v) -> np.ndarray:
    """cos(u, v) = u . v / (|u| |v|) along the last axis (broadcasts; 0 for a zero vector)."""
    u, v = check_finite(as_array(u, "u"), "u"), check_finite(as_array(v, "v"), "v")
    if u.ndim == 0 or v.ndim == 0:
        raise ValueError(f"cosine_similarity: u and v must be vectors, got shapes {u.shape} "
                         f"and {v.shape}")
    if u.shape[-1] != v.shape[-1]:
        raise ValueError(f"cosine_similarity: u has {u.shape[-1]} features, v has {v.shape[-1]}")
    norms = np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1)
    return np.sum(u * v, axis=-1) / np.where(norms == 0, 1.0, norms)


def normalize_rows(E) -> np.ndarray:
    """Each row divided by its Euclidean length (zero rows stay zero)."""
    E = check_finite(as_array(E, "E", ndim=2), "E")
    norms = np.linalg.norm(E, axis=1, keepdims=True)
    return E / np.where(norms == 0, 1.0, norms)


class WordVectors:
    """A vocabulary and its (n_words, n_features) matrix, with lookups by word.

    ``vectors`` keeps the stored values (float32); ``unit`` holds the normalised rows that
    every cosine computation uses.
    """

    def __init__(self, words, vectors):
        self.words = check_strings(words, "words")
        self.vectors = as_array(vectors, "vectors", ndim=2).astype(np.float32)
        check_finite(self.vectors, "vectors")
        if len(self.words) != len(self.vectors):
            raise ValueError(f"{len(self.words)} words but vectors has shape {self.vectors.shape}")
        self.index = {w: i for i, w in enumerate(self.words)}
        if len(self.index) != len(self.words):
            raise ValueError("the vocabulary has repeated words")
        self.unit = normalize_rows(self.vectors).astype(np.float32)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word) -> bool:
        return word in self.index

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    def suggest(self, word: str, n: int = 3) -> list[str]:
        """Close spellings of ``word`` in the vocabulary (difflib), for error messages."""
        w = str(word).strip().lower()
        if w in self.index and w != word:
            return [w]
        return difflib.get_close_matches(w, self.words, n=n, cutoff=0.75)

    def id(self, word: str) -> int:
        """Row of ``word``; raises UnknownWordError (with suggestions) if it is missing."""
        if not isinstance(word, str):
            raise TypeError(f"word: expected a string, got {type(word).__name__} {word!r}")
        try:
            return self.index[word]
        except KeyError:
            raise UnknownWordError(word, self.suggest(word), len(self)) from None

    def ids(self, words) -> np.ndarray:
        """Rows of a list of words (a single string is refused: pass [word])."""
        return np.array([self.id(w) for w in check_strings(words, "words")], dtype=np.int64)

    def __getitem__(self, word: str) -> np.ndarray:
        return self.vectors[self.id(word)]

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two words."""
        return float(self.unit[self.id(a)] @ self.unit[self.id(b)])

    def nearest(self, query, k: int = 10, exclude=()) -> list[tuple[str, float]]:
        """The ``k`` words closest in cosine to a word or a vector (the word itself excluded)."""
        k = check_int(k, "k")
        exclude = (exclude,) if isinstance(exclude, str) else tuple(check_strings(exclude,
                                                                                "exclude"))
        if isinstance(query, str):
            exclude = tuple(exclude) + (query,)
            v = self.unit[self.id(query)]
        else:
            v = self._query_vector(query)
        scores = self.unit @ (v / max(np.linalg.norm(v), 1e-12))
        scores[[self.id(w) for w in exclude]] = -np.inf
        top = top_k(scores, k)
        return [(self.words[i], float(scores[i])) for i in top if scores[i] > -np.inf]

    def _query_vector(self, query) -> np.ndarray:
        """A vector query: shape (dim,), finite, not zero (a zero vector has no direction)."""
        if query is None:
            raise TypeError("query: expected a word or a vector of shape "
                            f"({self.dim},), got None")
        v = check_finite(as_array(query, "query", ndim=1), "query")
        if v.shape != (self.dim,):
            raise ValueError(f"query: expected shape ({self.dim},), got {v.shape}")
        if not np.any(v):
            raise ValueError("query: the zero vector has no direction, so no word is nearer "
                             "to it than another; expected a non-zero vector")
        return v

    def analogy(self, a: str, b: str, c: str, k: int = 1) -> list[tuple[str, float]]:
        """a : b :: c : ?  -- words closest in cosine to u_b - u_a + u_c, excluding a, b, c."""
        ia, ib, ic = self.id(a), self.id(b), self.id(c)
        target = self.unit[ib] - self.unit[ia] + self.unit[ic]
        return self.nearest(target, k=k, exclude=(a, b, c))


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest scores, best first (argpartition, then a small sort)."""
    scores = as_array(scores, "scores", ndim=1)
    if np.isnan(scores).any():
        raise ValueError("scores contains NaN; expected numbers (-inf for excluded entries)")
    k = min(check_int(k, "k"), scores.shape[-1])
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.argsort(-scores[part], kind="stable")]


def load_glove(n_words: int | None = None, directory: Path | str = GLOVE_DIR) -> WordVectors:
    """The shipped GloVe 6B 50-d subset (most frequent words first); ``n_words`` keeps the top."""
    directory = Path(directory)
    if n_words is not None:
        check_int(n_words, "n_words")
    words = (directory / "vocab.txt").read_text(encoding="utf-8").split("\n")[:-1]
    vectors = np.load(directory / "glove.6B.50d.subset.npy")
    if n_words is not None:
        words, vectors = words[:n_words], vectors[:n_words]
    return WordVectors(words, vectors)


# --- the Google analogy benchmark ---------------------------------------------------------
def read_analogies(path: Path | str = ANALOGY_FILE, lower: bool = True) -> dict[str, list]:
    """questions-words.txt as {section: [(a, b, c, d), ...]} (lower-cased for GloVe)."""
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path: expected a file path, got {type(path).__name__} {path!r:.40}")
    lower = check_bool(lower, "lower")
    sections: dict[str, list] = {}
    current = None
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.startswith(":"):
            current = line[1:].strip()
            sections[current] = []
        elif line.strip():
            words = line.lower().split() if lower else line.split()
            if len(words) != 4 or current is None:
                raise ValueError(f"{path}: malformed line {line!r}")
            sections[current].append(tuple(words))
    return sections


@dataclass
class AnalogyReport:
    """Counts per section: questions in the file, covered (all four words known), correct."""
    total: dict[str, int]
    covered: dict[str, int]
    correct: dict[str, int]
    mistakes: list = field(default_factory=list, repr=False)

    def __post_init__(self):
        counts = (self.total, self.covered, self.correct)
        if not all(isinstance(c, dict) for c in counts) or \
                not set(self.total) == set(self.covered) == set(self.correct):
            raise TypeError("AnalogyReport: total, covered and correct must be dicts over the "
                            "same sections")
        if not sum(self.total.values()):
            raise ValueError(f"AnalogyReport: the sections {sorted(self.total)!r:.60} hold no "
                             "question: nothing to score (accuracy and coverage would be 0/0)")
        for s in self.total:
            if not 0 <= self.correct[s] <= self.covered[s] <= self.total[s]:
                raise ValueError(f"AnalogyReport: section {s!r} must have 0 <= correct <= "
                                 f"covered <= total, got {self.correct[s]}, {self.covered[s]}, "
                                 f"{self.total[s]}")

    def _acc(self, names) -> float:
        n = sum(self.covered[s] for s in names)
        return sum(self.correct[s] for s in names) / n if n else float("nan")

    @property
    def semantic_sections(self):
        return [s for s in self.total if s in SEMANTIC]

    @property
    def syntactic_sections(self):
        return [s for s in self.total if s not in SEMANTIC]

    @property
    def accuracy(self) -> float:
        return self._acc(self.total)

    @property
    def semantic(self) -> float:
        return self._acc(self.semantic_sections)

    @property
    def syntactic(self) -> float:
        return self._acc(self.syntactic_sections)

    @property
    def coverage(self) -> float:
        return sum(self.covered.values()) / sum(self.total.values())

    def section_accuracy(self, section: str) -> float:
        if not isinstance(section, str) or section not in self.total:
            raise KeyError(f"section {section!r:.40} is not in this report; its sections: "
                           f"{', '.join(self.total)}")
        return self._acc([section])

    def __str__(self) -> str:
        rows = [f"{'section':28} {'covered':>13} {'accuracy':>9}"]
        for s in self.total:
            rows.append(f"{s:28} {self.covered[s]:>6}/{self.total[s]:<6} "
                        f"{self.section_accuracy(s):>9.3f}")
        for name, secs, acc in [("semantic", self.semantic_sections, self.semantic),
                                ("syntactic", self.syntactic_sections, self.syntactic),
                                ("overall", list(self.total), self.accuracy)]:
            cov, tot = sum(self.covered[s] for s in secs), sum(self.total[s] for s in secs)
            rows.append(f"{name.upper():28} {cov:>6}/{tot:<6} {acc:>9.3f}")
        return "\n".join(rows)


def evaluate_analogies(wv: WordVectors, sections: dict | None = None, batch_size: int = 1024,
                       exclude_question_words: bool = True, keep_mistakes: int = 0
                       ) -> AnalogyReport:
    """Accuracy of 3CosAdd on the analogy questions whose four words are all in ``wv``.

    Each batch is one (batch, n_features) @ (n_features, n_words) product; the question words
    get a score of -inf unless ``exclude_question_words=False`` (to show why they must go).
    """
    if not isinstance(wv, WordVectors):
        raise TypeError(f"wv: expected WordVectors, got {type(wv).__name__}")
    sections = read_analogies() if sections is None else sections
    if not isinstance(sections, dict) or not all(
            isinstance(q, (list, tuple)) and all(isinstance(x, tuple) and len(x) == 4 for x in q)
            for q in sections.values()):
        raise TypeError("sections: expected {section: [(a, b, c, d), ...]} (read_analogies() "
                        f"gives one), got {sections!r:.60}")
    batch_size = check_int(batch_size, "batch_size")
    keep_mistakes = check_int(keep_mistakes, "keep_mistakes", minimum=0)
    total, covered, correct, mistakes = {}, {}, {}, []
    for name, questions in sections.items():
        known = [q for q in questions if all(w in wv.index for w in q)]
        total[name], covered[name], correct[name] = len(questions), len(known), 0
        if not known:
            continue
        ids = np.array([[wv.index[w] for w in q] for q in known])       # (n, 4)
        for start in range(0, len(ids), batch_size):
            batch = ids[start:start + batch_size]
            pred = _answer_batch(wv.unit, batch[:, :3], exclude_question_words)
            hit = pred == batch[:, 3]
            correct[name] += int(hit.sum())
            for row, p in zip(batch[~hit], pred[~hit]):
                if len(mistakes) < keep_mistakes:
                    mistakes.append(tuple(wv.words[i] for i in row) + (wv.words[p],))
    return AnalogyReport(total, covered, correct, mistakes)


def _answer_batch(unit: np.ndarray, abc: np.ndarray, exclude: bool) -> np.ndarray:
    """Best word ids for a batch of (a, b, c) id triples: argmax cos(u_d, u_b - u_a + u_c)."""
    target = unit[abc[:, 1]] - unit[abc[:, 0]] + unit[abc[:, 2]]        # (B, D)
    scores = target @ unit.T                                           # (B, V)
    if exclude:
        rows = np.arange(len(abc))[:, None]
        scores[rows, abc] = -np.inf
    return scores.argmax(axis=1)


def similarity_correlation(a: WordVectors, b: WordVectors, words) -> float:
    """Pearson correlation between the cosine similarities of all pairs of ``words`` under two
    sets of vectors: how much two embeddings agree about which words are alike (1 = same
    geometry, 0 = unrelated)."""
    words = check_strings(words, "words")
    if len(words) < 3:
        raise ValueError(f"words: expected at least 3 words (a correlation needs 2 or more "
                         f"pairs), got {len(words)}")
    A, B = a.unit[a.ids(words)], b.unit[b.ids(words)]
    iu = np.triu_indices(len(words), k=1)
    return float(np.corrcoef((A @ A.T)[iu], (B @ B.T)[iu])[0, 1])


def partner_rank(wv: WordVectors, a: str, b: str) -> int:
    """Where ``b`` comes among the neighbours of ``a`` (1 = nearest; ``len(wv) - 1`` = farthest)."""
    scores = wv.unit @ wv.unit[wv.id(a)]
    scores[wv.id(a)] = -np.inf
    return int(np.sum(scores > scores[wv.id(b)])) + 1
