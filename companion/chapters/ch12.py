"""Chapter 12: the experiment drivers and explorers that only this chapter uses.

It imports the library (``companion.nn``, ``data``, ``models``, ``lab``), never another
chapter. Its sections:

- Pictures and an explorer for word vectors: 2-D PCA of word groups, neighbours, analogies.
- A task with few labels: which category does a word belong to?.
- Debiasing: the gender direction, neutralise and equalise (Bolukbasi et al. 2016), and the
  bias that neighbourhoods keep afterwards (Gonen & Goldberg 2019).
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from companion.data.word_vectors import UnknownWordError, WordVectors, normalize_rows
from companion.nn.validation import as_array, check_int, check_same_length, rng_from

GROUPS: dict[str, list[tuple[str, ...]]] = {
    "gender pairs": [("man", "woman"), ("king", "queen"), ("boy", "girl"), ("brother", "sister"),
                     ("uncle", "aunt"), ("father", "mother"), ("husband", "wife"),
                     ("prince", "princess"), ("actor", "actress"), ("he", "she")],
    "countries and capitals": [("france", "paris"), ("germany", "berlin"), ("italy", "rome"),
                               ("spain", "madrid"), ("japan", "tokyo"), ("china", "beijing"),
                               ("russia", "moscow"), ("egypt", "cairo"), ("greece", "athens"),
                               ("turkey", "ankara")],
    "verb tenses": [("walk", "walked", "walking"), ("swim", "swam", "swimming"),
                    ("go", "went", "going"), ("eat", "ate", "eating"),
                    ("take", "took", "taking"), ("write", "wrote", "writing"),
                    ("sing", "sang", "singing"), ("run", "ran", "running")],
}
ROLES = {"gender pairs": ("male", "female"), "countries and capitals": ("country", "capital"),
         "verb tenses": ("present", "past", "participle")}   # the colour legend of each group

# label offsets tried in turn (points): right, left, above, below, then further out
LABEL_OFFSETS = [(3, 3), (3, -9), (-3, 3), (-3, -9), (0, 8), (0, -14), (8, 12), (8, -18),
                 (-8, 12), (-8, -18)]


def pca_2d(X) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Project the rows of X (n, d) on their two principal directions.

    Returns (coords (n, 2), components (2, d), explained variance ratio (2,)), from the SVD of
    the centred matrix; each component's sign is fixed (largest entry positive) so the picture
    does not flip between runs.
    """
    X = as_array(X, "X", ndim=2).astype(np.float64)
    Xc = X - X.mean(axis=0)
    _, s, Vt = np.linalg.svd(Xc, full_matrices=False)
    comps = Vt[:2] * np.sign(Vt[:2][np.arange(2), np.abs(Vt[:2]).argmax(axis=1)])[:, None]
    return Xc @ comps.T, comps, (s[:2] ** 2) / np.sum(s ** 2)


def offset_2d(X, tuples_index) -> tuple[np.ndarray, np.ndarray]:
    """A 2-D view built for offsets: x is the direction of the mean difference (last - first
    word of each tuple), y the principal direction of what x leaves. Returns (coords, axes)."""
    X = as_array(X, "X", ndim=2).astype(np.float64)
    Xc = X - X.mean(axis=0)
    d = np.mean([X[t[-1]] - X[t[0]] for t in tuples_index], axis=0)
    d /= np.linalg.norm(d)
    rest = Xc - np.outer(Xc @ d, d)
    _, _, Vt = np.linalg.svd(rest, full_matrices=False)
    y = Vt[0] * np.sign(Vt[0][np.abs(Vt[0]).argmax()])
    axes = np.stack([d, y])
    return Xc @ axes.T, axes


def plot_word_groups(wv: WordVectors, groups: dict | None = None, method: str = "pca",
                     figsize=(15, 5.2)):
    """One panel per group, each tuple joined by arrows (man -> woman, france -> paris,
    walk -> walked -> walking). ``method="pca"``: the group's two principal directions;
    ``"offset"``: x along the group's mean offset, y the main direction left. Returns the Figure."""
    import matplotlib.pyplot as plt
    if method not in ("pca", "offset"):
        raise ValueError(f"method must be 'pca' or 'offset', got {method!r}")
    groups = GROUPS if groups is None else groups
    fig, axes = plt.subplots(1, len(groups), figsize=figsize)
    labels = []
    for ax, (title, tuples) in zip(np.atleast_1d(axes), groups.items()):
        words = [w for t in tuples for w in t]
        X = wv.unit[wv.ids(words)]
        if method == "pca":
            xy, _, ratio = pca_2d(X)
            title = f"{title} (PCA: {100 * ratio.sum():.0f}% of variance)"
        else:
            starts = np.cumsum([0] + [len(t) for t in tuples])
            xy, _ = offset_2d(X, [range(a, b) for a, b in pairwise(starts)])
            title = f"{title} (x: mean offset)"
        pos = dict(zip(words, xy))
        colours = plt.cm.tab10(np.arange(max(len(t) for t in tuples)))
        for t in tuples:
            for a, b in pairwise(t):
                ax.annotate("", pos[b], pos[a], arrowprops={"arrowstyle": "->", "color": "0.6"})
        roles = ROLES.get(title.split(" (")[0], ())
        for k in range(len(colours)):
            pts = np.array([pos[t[k]] for t in tuples])
            ax.scatter(pts[:, 0], pts[:, 1], color=colours[k], s=18,
                       label=roles[k] if k < len(roles) else f"word {k + 1}")
        ax.legend(fontsize=8, loc="best")
        ax.set_title(title, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("direction 1" if method == "pca" else "mean offset (first -> last word)")
        ax.set_ylabel("direction 2" if method == "pca" else "main remaining direction")
        ax.margins(0.12)
        labels.append((ax, words, [pos[w] for w in words]))
    fig.tight_layout()                       # first the layout, then labels that fit in it
    for ax, words, points in labels:
        place_labels(ax, words, points)
    return fig


def place_labels(ax, words, points, fontsize: int = 8) -> None:
    """Annotate each point with its word, trying ``LABEL_OFFSETS`` in turn until the label's box
    overlaps no label placed before it (the first offset when none is free)."""
    renderer = ax.figure.canvas.get_renderer()
    placed = []
    for word, p in zip(words, points):
        for dx, dy in LABEL_OFFSETS:
            text = ax.annotate(word, p, fontsize=fontsize, xytext=(dx, dy),
                               textcoords="offset points", ha="left" if dx >= 0 else "right")
            box = text.get_window_extent(renderer)
            if not any(box.overlaps(b) for b in placed):
                break
            text.remove()
        else:
            text = ax.annotate(word, p, fontsize=fontsize, xytext=LABEL_OFFSETS[0],
                               textcoords="offset points")
            box = text.get_window_extent(renderer)
        placed.append(box)


def explore(wv: WordVectors, words: str, k: int = 8) -> dict:
    """What the explorer computes: one word -> its k nearest neighbours; three words a b c ->
    the analogy a : b :: c : ?. Raises ValueError (UnknownWordError included) on bad input."""
    parts = words.lower().replace(",", " ").replace(":", " ").split()
    if len(parts) == 1:
        pairs, title = wv.nearest(parts[0], k), f"nearest neighbours of {parts[0]!r}"
    elif len(parts) == 3:
        pairs = wv.analogy(*parts, k=k)
        title = f"{parts[0]} : {parts[1]} :: {parts[2]} : ?"
    else:
        raise ValueError(f"type one word (for its neighbours) or three words a b c (for the "
                         f"analogy a : b :: c : ?), got {len(parts)} words")
    summary = title + " -> " + ", ".join(f"{w} ({s:.2f})" for w, s in pairs)
    return {"words": parts, "neighbours": pairs, "title": title, "summary": summary}


def draw_neighbours(result: dict):
    import matplotlib.pyplot as plt
    words, sims = zip(*result["neighbours"])
    fig, ax = plt.subplots(figsize=(6, 0.3 * len(words) + 1))
    ax.barh(range(len(words))[::-1], sims, color="tab:blue")
    ax.set_yticks(range(len(words))[::-1], words)
    ax.set_xlabel("cosine similarity")
    ax.set_xlim(min(0, min(sims)), 1)
    ax.set_title(result["title"])
    fig.tight_layout()
    return fig


def word_explorer(wv: WordVectors, words: str = "king", k: int = 8):
    """Type a word, or three (a b c for a : b :: c : ?); unknown words print a clear message."""
    import ipywidgets as w

    from companion.lab.explorer import Explorer
    controls = {"words": w.Text(value=words, description="word(s)"),
                "k": w.IntSlider(value=k, min=1, max=20, description="k")}
    return Explorer(lambda words, k: explore(wv, words, k), draw_neighbours, controls,
                    title="Word vectors: one word for neighbours, three for an analogy")


__all__ = [
    "GROUPS",
    "UnknownWordError",
    "draw_neighbours",
    "explore",
    "pca_2d",
    "plot_word_groups",
    "word_explorer",
]

CATEGORIES: dict[str, tuple[str, ...]] = {k: tuple(v.split()) for k, v in {
    "country": "france germany italy spain portugal greece poland sweden norway denmark finland "
               "ireland russia ukraine china japan india pakistan brazil argentina chile peru "
               "mexico canada egypt nigeria kenya ethiopia iran iraq turkey australia vietnam "
               "thailand indonesia malaysia philippines korea morocco algeria",
    "animal": "dog cat horse cow pig sheep goat lion tiger bear wolf fox rabbit mouse rat "
              "elephant giraffe zebra monkey snake frog eagle owl duck whale dolphin shark deer "
              "camel donkey squirrel crocodile penguin parrot leopard",
    "colour": "red blue green yellow purple pink brown black white grey gray violet crimson "
              "scarlet turquoise beige maroon navy indigo lavender ivory khaki amber",
    "number": "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
              "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty "
              "seventy eighty ninety hundred thousand million billion",
    "profession": "doctor nurse teacher lawyer engineer farmer soldier pilot chef baker carpenter "
                  "plumber electrician dentist surgeon journalist writer painter musician "
                  "scientist professor accountant banker architect mechanic firefighter "
                  "librarian pharmacist",
    "food": "bread cheese rice pasta soup salad meat beef pork potato tomato onion garlic butter "
            "sugar cake pie cookie sandwich pizza noodles yogurt cereal sausage lettuce carrot "
            "cabbage spinach",
    "body": "head hand foot arm leg eye ear nose mouth finger toe knee elbow shoulder neck heart "
            "lung liver stomach tooth skin brain ankle wrist thumb chin forehead spine",
    "sport": "football soccer tennis golf baseball basketball hockey cricket rugby boxing "
             "swimming cycling skiing volleyball wrestling badminton softball lacrosse "
             "snowboarding gymnastics fencing rowing sailing archery",
}.items()}


def category_dataset(categories: dict | None = None):
    """(words, labels, class_names): every word once, labels 0..n_classes-1."""
    categories = CATEGORIES if categories is None else categories
    names = list(categories)
    words = [w for name in names for w in categories[name]]
    labels = np.array([k for k, name in enumerate(names) for _ in categories[name]])
    return words, labels, names


def few_label_split(labels: np.ndarray, per_class: int, seed=0):
    """Indices (train, test): ``per_class`` labelled words of each class, the rest held out."""
    rng = rng_from(seed)
    train = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        if per_class >= len(idx):
            raise ValueError(f"per_class={per_class} leaves no test word in class {c} "
                             f"({len(idx)} words)")
        train.append(rng.choice(idx, per_class, replace=False))
    train = np.sort(np.concatenate(train))
    return train, np.setdiff1d(np.arange(len(labels)), train)


def features(kind: str, words, wv=None, seed=0) -> np.ndarray:
    """Inputs for each word: ``"one-hot"`` over the task's words, ``"random"`` 50-d vectors
    (no pretraining), or ``"glove"`` (the pretrained vectors, each scaled to unit length)."""
    if kind == "one-hot":
        return np.eye(len(words))
    if kind == "random":
        return rng_from(seed).standard_normal((len(words), 50)) / np.sqrt(50)
    if kind == "glove":
        if wv is None:
            raise ValueError("features('glove', ...) needs the word vectors: pass wv=load_glove()")
        return wv.unit[wv.ids(words)].astype(np.float64)
    raise ValueError(f"kind must be 'one-hot', 'random' or 'glove', got {kind!r}")


def train_classifier(X, y, train, test, n_classes: int, seed=0, epochs: int = 200,
                     learning_rate: float = 0.05) -> dict:
    """A softmax classifier (companion's Dense + fit, Adam, full batch) on the training words;
    returns its train and test accuracy and the model."""
    from companion.nn.layers import Dense
    from companion.nn.metrics import accuracy
    from companion.nn.model import Sequential
    from companion.nn.optim import Adam
    from companion.nn.train import fit
    model = Sequential([Dense(n_classes, "softmax")], input_shape=(X.shape[1],), seed=seed)
    fit(model, X[train], y[train], "sparse_categorical_crossentropy",
        Adam(learning_rate=learning_rate), epochs=epochs, batch_size=None, seed=seed)
    return {"train_accuracy": accuracy(y[train], model.predict(X[train])),
            "test_accuracy": accuracy(y[test], model.predict(X[test])), "model": model}


def compare_inputs(wv, per_class: int = 4, seeds=(0,), kinds=("one-hot", "random", "glove"),
                   epochs: int = 200, per_seed: bool = False) -> dict:
    """Mean held-out accuracy of the same classifier on each kind of input (with
    ``per_seed=True``: {kind: array of one accuracy per seed}, for the spread)."""
    words, y, names = category_dataset()
    out = {}
    for kind in kinds:
        accs = []
        for seed in seeds:
            train, test = few_label_split(y, per_class, seed)
            X = features(kind, words, wv, seed)
            accs.append(train_classifier(X, y, train, test, len(names), seed, epochs)
                        ["test_accuracy"])
        out[kind] = np.array(accs) if per_seed else float(np.mean(accs))
    return out


# --- Debiasing word vectors (Bolukbasi et al. 2016; its limits: Gonen & Goldberg 2019) -------------
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
