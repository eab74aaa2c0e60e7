"""The course catalogue: chapters, what each promises, the notes' section, what it builds on.

One table that the index notebook (``notebooks/00_index.ipynb``), the static HTML edition
(``tools/build_html.py``) and the tests read, so the chapter list is written down once.

    from companion.course import CHAPTERS, chapter_paths, run_times
    CHAPTERS[0].file        # '01_perceptron.ipynb'
    run_times()             # {'01_perceptron.ipynb': 21.3, ...} measured by benchmarks/notebooks.py
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
TIMES_FILE = ROOT / "benchmarks" / "notebook_times.json"
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
    Chapter(5, "05_optimization.ipynb", "Optimisation algorithms",
            "Implement mini-batch SGD, momentum, Nesterov, AdaGrad, RMSProp and Adam and compare "
            "their paths.",
            "Optimization algorithms", (4,)),
    Chapter(6, "06_hyperparameters_batchnorm.ipynb", "Hyper-parameter tuning and batch norm",
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
