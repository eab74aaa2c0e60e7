"""Chapter 12, debiasing word vectors: the gender direction, neutralise and equalise
(Bolukbasi et al. 2016), and the bias that neighbourhoods keep afterwards (Gonen & Goldberg
2019; ``knn_agreement`` is this course's variant of their probe).
"""

from __future__ import annotations

import numpy as np

from companion.data.word_vectors import WordVectors, normalize_rows
from companion.nn.shape_checks import check_same_length
from companion.nn.validation import as_array, check_int, rng_from

# definitional pairs: the two words differ by gender and (nearly) nothing else
GENDER_PAIRS = [("he", "she"), ("man", "woman"), ("king", "queen"), ("father", "mother"),
                ("boy", "girl"), ("his", "her"), ("son", "daughter"), ("brother", "sister"),
                ("husband", "wife"), ("male", "female"), ("himself", "herself"), ("mr", "mrs")]
# pairs that should stay gendered but differ only by gender after debiasing
EQUALISE_PAIRS = [("actor", "actress"), ("grandfather", "grandmother"), ("waiter", "waitress"),
                  ("uncle", "aunt"), ("nephew", "niece"), ("prince", "princess"),
                  ("spokesman", "spokeswoman"), ("boys", "girls"), ("men", "women"),
                  ("grandson", "granddaughter"), ("groom", "bride"), ("gentleman", "lady")]
# words whose gender is their meaning: left as they are (every other word is neutralised)
GENDER_SPECIFIC = frozenset([w for pair in GENDER_PAIRS + EQUALISE_PAIRS for w in pair] + [
    "him", "hers", "brothers", "sisters", "sons", "daughters", "fathers", "mothers",
    "kings", "queens", "dad", "mom", "mum", "grandpa", "grandma", "grandsons",
    "granddaughters", "stepfather", "stepmother", "stepson", "stepdaughter", "stepbrother",
    "stepsister", "policeman", "policewoman", "princes", "princesses", "husbands", "wives",
    "uncles", "aunts", "nephews", "nieces", "males", "females", "ladies", "gentlemen",
    "mrs", "ms", "sir", "madam", "daddy", "mommy", "mummy", "girlfriend",
    "boyfriend", "bridegroom", "widow", "widower", "actors", "actresses", "waiters",
    "waitresses", "heroine", "fraternity", "sorority", "spokesmen", "spokeswomen",
    "businessman", "businesswoman", "chairman", "chairwoman", "congressman", "congresswoman"])
OCCUPATIONS = [
    "nurse", "receptionist", "homemaker", "housekeeper", "hairdresser", "nanny", "stylist",
    "dancer", "librarian", "designer", "teacher", "doctor", "surgeon", "carpenter",
    "mechanic", "pilot", "plumber", "programmer", "banker", "scientist", "engineer",
    "lawyer", "philosopher", "secretary", "architect", "president", "manager", "boss",
    "captain"]


def _unit(g, name: str = "g") -> np.ndarray:
    g = as_array(g, name, ndim=1)
    norm = np.linalg.norm(g)
    if not np.isfinite(norm) or norm == 0:
        raise ValueError(f"{name}: expected a non-zero finite direction, got norm {norm}")
    return g / norm


def gender_direction(A, B) -> tuple[np.ndarray, np.ndarray]:
    """The first principal component of the pair differences A - B.

    A, B: (n_pairs, D) the vectors of each pair's first (male) and second (female) word.
    Centring each pair on its own mean (Bolukbasi et al.) leaves the rows ±(a - b)/2, whose
    PCA is the SVD of the differences. Returns (g (D,) unit length, oriented so that the
    first words project positively on average; explained variance ratio (min(n_pairs, D),)).
    """
    A, B = as_array(A, "A", ndim=2), as_array(B, "B", ndim=2)
    if A.shape != B.shape:
        raise ValueError(f"B: expected the shape of A {A.shape}, got {B.shape}")
    D = (A - B).astype(np.float64)
    _, s, Vt = np.linalg.svd(D, full_matrices=False)
    g = Vt[0] * (1.0 if (D @ Vt[0]).mean() >= 0 else -1.0)
    return g, s**2 / np.sum(s**2)


def neutralise(E, g) -> np.ndarray:
    """Remove the component along g: E - (E.ĝ) ĝ with ĝ = g / |g|.

    E: (..., D) one vector or a batch; g: (D,). Returns (..., D), orthogonal to g; its norm
    shrinks to sqrt(|e|^2 - (e.ĝ)^2) (WordVectors renormalises for cosine uses).
    """
    E, g = as_array(E, "E"), _unit(g)
    if E.shape[-1] != g.shape[0]:
        raise ValueError(f"E: expected last dimension {g.shape[0]} (the length of g), "
                         f"got shape {E.shape}")
    return E - (E @ g)[..., None] * g


def equalise(e1, e2, g) -> tuple[np.ndarray, np.ndarray]:
    """Make a pair of unit vectors differ only along g, keeping unit length.

    e1, e2: (D,) unit vectors; g: (D,). With μ = (e1 + e2)/2 and ν = μ - (μ.ĝ)ĝ, returns
    e_i' = ν + sqrt(1 - |ν|^2) · sign((e_i - μ).ĝ) ĝ: both unit length, mirror images across
    the plane ⟂ g, hence equidistant from every vector orthogonal to g.
    """
    g = _unit(g)
    e1, e2 = as_array(e1, "e1", ndim=1), as_array(e2, "e2", ndim=1)
    for name, e in (("e1", e1), ("e2", e2)):
        if e.shape != g.shape or not np.isclose(np.linalg.norm(e), 1.0, atol=1e-5):
            raise ValueError(f"{name}: expected a unit vector of shape {g.shape}, got shape "
                             f"{e.shape} and norm {np.linalg.norm(e):.4g}")
    mu = (e1 + e2) / 2
    nu = neutralise(mu, g)
    side = np.sign((e1 - mu) @ g)
    if side == 0:
        raise ValueError("e1, e2: the pair has the same projection on g; nothing to equalise")
    scale = np.sqrt(max(1.0 - nu @ nu, 0.0))
    return nu + side * scale * g, nu - side * scale * g


def debias(wv: WordVectors, g, keep=GENDER_SPECIFIC, pairs=EQUALISE_PAIRS) -> WordVectors:
    """Hard debiasing of the unit vectors of ``wv``: neutralise every word not in ``keep`` (a
    set of words), then equalise each (a, b) of ``pairs`` whose two words are known.
    g: (D,). Returns new WordVectors (the same words)."""
    E = wv.unit.astype(np.float64)
    mask = np.array([w not in keep for w in wv.words])
    E[mask] = neutralise(E[mask], g)
    for a, b in pairs:
        if a in wv and b in wv:
            E[wv.id(a)], E[wv.id(b)] = equalise(E[wv.id(a)], E[wv.id(b)], g)
    return WordVectors(wv.words, E)


def most_biased(wv: WordVectors, g, n: int = 500, top: int = 20_000, keep=GENDER_SPECIFIC):
    """The n most male and n most female words by projection on g among the ``top`` most
    frequent alphabetic words not in ``keep``. Returns (words (2n,), labels (2n,): 1 male)."""
    g = _unit(g)
    cand = [i for i, w in enumerate(wv.words[:top]) if w.isalpha() and w not in keep]
    proj = wv.unit[cand] @ g
    order = np.argsort(proj)
    chosen = np.r_[order[-n:][::-1], order[:n]]
    return [wv.words[cand[i]] for i in chosen], np.r_[np.ones(n, int), np.zeros(n, int)]


def kmeans_agreement(X, labels, seed=0, n_iter: int = 50) -> float:
    """Cluster the rows of X (n, D) into 2 groups by spherical k-means (cosine; the first centre
    a random row, the second the row least like it) and return the share of rows whose cluster
    matches ``labels`` (n,) (the better of the two matchings)."""
    X = normalize_rows(as_array(X, "X", ndim=2).astype(np.float64))
    labels = np.asarray(labels)
    check_same_length(X, labels, "X", "labels")
    first = X[rng_from(seed).integers(len(X))]
    centres = np.stack([first, X[np.argmin(X @ first)]])
    for _ in range(n_iter):
        assign = (X @ centres.T).argmax(axis=1)
        new = normalize_rows(np.array([X[assign == k].sum(axis=0) if np.any(assign == k)
                                       else centres[k] for k in range(2)]))
        if np.allclose(new, centres):
            break
        centres = new
    agree = float(np.mean(assign == labels))
    return max(agree, 1 - agree)


def knn_agreement(X, labels, k: int = 10) -> float:
    """Leave-one-out accuracy of a k-nearest-neighbour vote (cosine) predicting ``labels``
    (n,) of 0/1 from the rows of X (n, D): how well the neighbourhoods still encode them."""
    X = normalize_rows(as_array(X, "X", ndim=2).astype(np.float64))
    labels = np.asarray(labels)
    check_same_length(X, labels, "X", "labels")
    k = check_int(k, "k")
    S = X @ X.T
    np.fill_diagonal(S, -np.inf)
    neighbours = np.argsort(-S, axis=1, kind="stable")[:, :k]          # (n, k)
    return float(np.mean((labels[neighbours].mean(axis=1) > 0.5) == labels))
