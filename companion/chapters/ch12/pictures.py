"""Chapter 12, pictures and an explorer for word vectors: 2-D PCA (and the offset view) of
word groups with their labels placed apart, neighbours and analogies behind a text box.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from companion.data.word_vectors import WordVectors
from companion.nn.validation import as_array

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
