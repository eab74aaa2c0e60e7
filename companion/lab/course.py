"""The course catalogue: chapters, what each promises, the notes' section, what it builds on.

One table that the index notebook (``notebooks/00_index.ipynb``), the static HTML edition
(``tools/build_html.py``) and the tests read, so the chapter list is written down once.

    from companion.lab.course import CHAPTERS, chapter_paths, run_times
    CHAPTERS[0].file        # '01_perceptron.ipynb'
    run_times()             # {'01_perceptron.ipynb': 21.3, ...} measured by benchmarks/notebooks.py
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
TIMES_FILE = ROOT / "benchmarks" / "notebook_times.json"
TARGET_SECONDS = 60.0         # every chapter runs top to bottom in under a minute
INDEX_FILE = "00_index.ipynb"


@dataclass(frozen=True)
class Chapter:
    number: int
    file: str                 # file name under notebooks/
    title: str
    promise: str              # one line: what the learner can do afterwards
    notes: str                # the section(s) of the course notes it covers
    builds_on: tuple[int, ...] = ()   # chapter numbers it relies on

    @property
    def stem(self) -> str:
        return self.file.removesuffix(".ipynb")


CHAPTERS: tuple[Chapter, ...] = (
    Chapter(1, "01_perceptron.ipynb", "The perceptron",
            "Train a perceptron on real data, watch it converge, and see why it cannot on XOR.",
            "Foundations: Perceptron"),
    Chapter(2, "02_gradient_descent.ipynb", "Gradient descent",
            "Follow gradient descent on contour plots, pick a learning rate, and see why "
            "normalising inputs matters.",
            "Foundations: Gradient Descent", (1,)),
    Chapter(3, "03_shallow_networks.ipynb", "Shallow neural networks",
            "Derive, implement and gradient-check a one-hidden-layer network and train it on "
            "real data.",
            "Foundations: Shallow Neural Networks, Activation functions, Random initialization, "
            "Key points", (2,)),
    Chapter(4, "04_improving_deep_networks.ipynb", "Improving deep networks",
            "Diagnose bias and variance and fix them with regularisation, dropout, early "
            "stopping and good initialisation.",
            "Improving Deep Neural Networks (Train/Test/Dev to Vanishing/Exploding Gradients)",
            (3,)),
    Chapter(5, "05_optimization.ipynb", "Optimization algorithms",
            "Implement mini-batch SGD, momentum, Nesterov, AdaGrad, RMSProp and Adam and compare "
            "their paths.",
            "Optimization algorithms", (4,)),
    Chapter(6, "06_hyperparameters_batchnorm.ipynb",
            "Hyper-parameter tuning and batch normalisation",
            "Search hyper-parameters sensibly and implement batch normalisation, training and "
            "inference modes.",
            "Hyperparameter tuning and normalization", (5,)),
    Chapter(7, "07_convolutions.ipynb", "Convolutional networks",
            "Compute convolutions and pooling by hand and vectorised, and train a small CNN on "
            "digits.",
            "Convolutional Neural Networks", (5,)),
    Chapter(8, "08_resnets_inception.ipynb", "ResNets and Inception",
            "Build residual and Inception blocks and see why skip connections make deep "
            "networks trainable.",
            "ResNets, Other networks", (7,)),
    Chapter(9, "09_recurrent_networks.ipynb", "Recurrent networks",
            "Build a vocabulary, write an RNN cell and backpropagation through time, and train "
            "it on real sequences.",
            "Sequential models: Notation, Vectorising words, Recurrent Neural Networks", (5,)),
    Chapter(10, "10_language_models.ipynb", "Language models",
            "Train a character-level language model, sample from it, and tame exploding "
            "gradients by clipping.",
            "Language models, Vanishing gradients", (9,)),
    Chapter(11, "11_gru_lstm.ipynb", "GRU and LSTM",
            "Implement GRU and LSTM cells, map them onto Keras, and compare how far they "
            "remember.",
            "Gated Recurrent Unit (GRU), Long Short Term Memory (LSTM), Bidirectional RNN, "
            "Deep RNNs", (10,)),
    Chapter(12, "12_word_embeddings.ipynb", "Word embeddings",
            "Use pretrained word vectors for similarity and analogies, and learn embeddings "
            "with skip-gram.",
            "Word Embeddings", (9,)),
    Chapter(13, "13_attention.ipynb", "Sequence to sequence, and attention",
            "Translate written dates to ISO with an encoder-decoder, give it additive attention "
            "(forward, backward, Keras twin), and decode greedily or by beam search.",
            "Beyond the notes: encoder-decoder models and attention", (11,)),
    Chapter(14, "14_transformer.ipynb", "The transformer",
            "Build scaled dot-product, multi-head and cross-attention, layer norm and "
            "positional encodings, encoder and decoder blocks, and train a transformer "
            "language model.",
            "Beyond the notes: the transformer", (10, 13)),
    Chapter(15, "15_transformer_budgets.ipynb", "The transformer at equal budgets",
            "Compare the transformer with the GRU and LSTM language models at equal epochs "
            "and equal CPU time over three seeds, and test what the positions add.",
            "Beyond the notes: fair comparisons", (11, 14)),
    Chapter(16, "16_training_the_transformer.ipynb", "Training the transformer",
            "Measure learning-rate warmup, pre- against post-LN, label smoothing and dropout, "
            "and the cost of attention against a recurrent cell as sequences grow.",
            "Beyond the notes: how transformers are trained", (14,)),
    Chapter(17, "17_translators_at_equal_budgets.ipynb", "The date translators at equal budgets",
            "Rank plain and attention translators, the dot, general and additive scores, and "
            "the context before or after the recurrent step, each trained to convergence with "
            "early stopping on the dev split over three seeds.",
            "Beyond the notes: fair comparisons", (13,)),
    Chapter(18, "18_transformer_translator.ipynb", "The transformer translator",
            "Add attention dropout (forward, backward, Keras twin), decode the transformer "
            "translator with the shared beam search, and compare it with the attention GRU "
            "at one budget over three seeds.",
            "Beyond the notes: the transformer as a translator", (13, 16)),
)


def by_number(n: int) -> Chapter:
    for c in CHAPTERS:
        if c.number == n:
            return c
    raise KeyError(f"no chapter {n}; chapters are 1..{len(CHAPTERS)}")


def chapter_paths(folder: Path | str = NOTEBOOKS) -> list[Path]:
    """The chapter notebooks present in ``folder`` (NN_*.ipynb, the index included), sorted."""
    return sorted(p for p in Path(folder).glob("[0-9][0-9]_*.ipynb"))


def run_times(path: Path | str = TIMES_FILE) -> dict[str, float]:
    """Seconds per notebook as last measured by ``benchmarks/notebooks.py`` ({} if never run)."""
    path = Path(path)
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {row["notebook"]: float(row["seconds"]) for row in data.get("notebooks", [])}


def next_link(chapter: Chapter) -> str:
    """The markdown line that ends a chapter: a link to the next one (the last links home)."""
    later = [c for c in CHAPTERS if c.number > chapter.number]
    if later:
        return f"**Next:** [{later[0].number:02d} {later[0].title}]({later[0].file})"
    return f"**Next:** [Back to the course index]({INDEX_FILE})"


# vertical lane of each chapter in the course map (0: the main line)
_LANES = {6: 1, 9: -1, 10: -1, 11: -1, 12: -2}


def prerequisites(n: int) -> list[int]:
    """Every chapter that chapter ``n`` builds on, directly or not, in course order."""
    todo, seen = list(by_number(n).builds_on), set()
    while todo:
        k = todo.pop()
        if k not in seen:
            seen.add(k)
            todo += list(by_number(k).builds_on)
    return sorted(seen)


def depth(n: int) -> int:
    """Length of the longest chain of prerequisites leading to chapter ``n``."""
    c = by_number(n)
    return 1 + max((depth(b) for b in c.builds_on), default=-1)


def chapter_options() -> list[tuple[str, int]]:
    """(label, number) pairs for a dropdown over the chapters."""
    return [(f"{c.number:02d} {c.title}", c.number) for c in CHAPTERS]


def explore_chapter(chapter: int, times: dict[str, float] | None = None,
                    folder: Path | str = NOTEBOOKS) -> dict:
    """What the index explorer shows for one chapter (pure: tests call it)."""
    c = by_number(chapter)
    times = run_times() if times is None else times
    before = prerequisites(chapter)
    t = times.get(c.file)
    path_total = sum(times.get(by_number(k).file, 0.0) for k in before + [chapter])
    direct = ", ".join(f"{k:02d}" for k in c.builds_on) or "nothing (start here)"
    lines = [f"{c.number:02d} {c.title}: {c.promise}",
             f"notes section: {c.notes}",
             f"builds on: {direct}; all before it: "
             f"{', '.join(f'{k:02d}' for k in before) or 'none'}",
             f"run time: {'not measured yet (make bench)' if t is None else f'{t:.0f} s'}"
             + (f"; {path_total:.0f} s for it and all its prerequisites" if t else ""),
             f"notebook: notebooks/{c.file} "
             f"({'present' if (Path(folder) / c.file).exists() else 'not written yet'})"]
    return {"chapter": chapter, "prerequisites": before, "seconds": t,
            "path_seconds": path_total, "summary": "\n".join(lines)}


def course_map(highlight: int | None = None, ax=None):
    """The chapters as a graph (an arrow from each chapter to those that build on it).

    ``highlight``: a chapter drawn in colour with all its prerequisites. Returns the ax.
    """
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 4.2))
    pos = {c.number: (depth(c.number), _LANES.get(c.number, 0)) for c in CHAPTERS}
    lit = set() if highlight is None else set(prerequisites(highlight)) | {highlight}
    for c in CHAPTERS:
        for b in c.builds_on:
            on = c.number in lit and b in lit
            ax.annotate("", xy=pos[c.number], xytext=pos[b],
                        arrowprops=dict(arrowstyle="-|>", shrinkA=22, shrinkB=22,
                                        color="#1a5fb4" if on else "#bbbbbb", lw=1.6 if on else 1))
    for c in CHAPTERS:
        x, y = pos[c.number]
        face = "#ffd166" if c.number == highlight else ("#a8d0f0" if c.number in lit else "white")
        label = f"{c.number:02d}\n" + textwrap.fill(c.title, 13)
        ax.text(x, y, label, ha="center", va="center", fontsize=7.5,
                bbox=dict(boxstyle="round,pad=0.35", fc=face, ec="#556"))
    ax.set_xlim(-0.6, max(p[0] for p in pos.values()) + 0.6)
    ax.set_ylim(min(p[1] for p in pos.values()) - 0.7, max(p[1] for p in pos.values()) + 0.7)
    ax.axis("off")
    title = "The course: each arrow points from a chapter to one that builds on it"
    if highlight is not None:
        title = f"Chapter {highlight:02d} and everything it builds on"
    ax.set_title(title, fontsize=10)
    return ax


def draw_chapter(result: dict):
    """Explorer ``draw``: the course map with the chosen chapter's path lit up."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(10, 4.2))
    course_map(result["chapter"], ax=ax)
    fig.tight_layout()
    return fig


def plot_run_times(times: dict[str, float] | None = None, target: float = TARGET_SECONDS,
                   ax=None):
    """Bar chart of the measured run time of each notebook, with the target drawn."""
    import matplotlib.pyplot as plt
    times = run_times() if times is None else times
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.2))
    names = sorted(times)
    if not names:
        ax.text(0.5, 0.5, "no run times measured yet: make bench", ha="center", va="center")
        ax.axis("off")
        return ax
    secs = [times[n] for n in names]
    ax.bar(range(len(names)), secs, color=["#d62728" if s > target else "#1f77b4" for s in secs])
    ax.axhline(target, color="#d62728", ls="--", lw=1, label=f"target {target:.0f} s")
    ax.set_xticks(range(len(names)), [n.split("_")[0] for n in names])
    ax.set_xlabel("notebook")
    ax.set_ylabel("seconds (Restart & Run All)")
    ax.legend(loc="upper left", fontsize=8)
    return ax
