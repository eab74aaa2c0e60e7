"""Chapter 9: the experiment drivers and explorers that only this chapter uses.

It imports the library, never another chapter: names as one-hot sequences, the names-by-sex
classifier and its suffix baseline, and the sum-versus-mean of shared-weight updates.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from companion.data.datasets import train_dev_test_split
from companion.data.text import Vocabulary, char_vocabulary, chars, names_by_sex
from companion.nn import optim
from companion.nn.layers.dense import Dense
from companion.nn.layers.recurrent import SimpleRNN
from companion.nn.metrics import accuracy
from companion.nn.model import Sequential


# --- names by sex: a many-to-one task ------------------------------------------------------
def one_hot_names(names: Sequence[str], vocab: Vocabulary, T: int | None = None,
                  pad: str = "pre") -> np.ndarray:
    """Names -> (N, T, V) one-hot, padded with zero vectors to length T (default: longest).

    ``pad="pre"`` puts the zeros *before* the name (Keras' ``pad_sequences`` default), so the
    last step of every row is the name's last letter: what a many-to-one RNN reads out.
    """
    if pad not in ("pre", "post"):
        raise ValueError(f"pad must be 'pre' or 'post', got {pad!r}")
    T = T or max(map(len, names))
    X = np.zeros((len(names), T, len(vocab)))
    for i, name in enumerate(names):
        if len(name) > T:
            raise ValueError(f"name {name!r} has {len(name)} letters, more than T={T}")
        oh = vocab.one_hot(vocab.encode(chars(name)))
        if pad == "pre":
            X[i, T - len(name):] = oh
        else:
            X[i, :len(name)] = oh
    return X


@dataclass
class SexDataset:
    vocab: Vocabulary
    names: dict          # split -> list of names
    X: dict              # split -> (N, T, V)
    y: dict              # split -> (N, 1) labels, 1 = male


def sex_dataset(fractions=(0.7, 0.15, 0.15), seed=0, pad: str = "pre") -> SexDataset:
    """The census names split (stratified) into train/dev/test with one-hot inputs."""
    names, labels, _ = names_by_sex()
    vocab = char_vocabulary(names)
    idx = np.arange(len(names))[:, None].astype(float)
    splits = train_dev_test_split(idx, labels, fractions, seed=seed)
    out = SexDataset(vocab, {}, {}, {})
    T = max(map(len, names))
    for key, (ii, yy) in zip(("train", "dev", "test"), splits):
        out.names[key] = [names[int(i)] for i in ii[:, 0]]
        out.X[key] = one_hot_names(out.names[key], vocab, T, pad)
        out.y[key] = yy[:, None]
    return out


def suffix_baseline(train_names, train_y, test_names, k: int = 1) -> np.ndarray:
    """Predict the majority label of the training names sharing the last ``k`` letters
    (backing off to shorter endings, then to the overall majority)."""
    train_y = np.asarray(train_y).ravel()
    tables = [defaultdict(Counter) for _ in range(k + 1)]
    for name, y in zip(train_names, train_y):
        for j in range(k + 1):
            tables[j][name[len(name) - j:] if j else ""][y] += 1
    preds = []
    for name in test_names:
        for j in range(k, -1, -1):
            key = name[len(name) - j:] if j else ""
            if key in tables[j]:
                preds.append(tables[j][key].most_common(1)[0][0])
                break
    return np.asarray(preds)[:, None]


def sex_classifier(ds: SexDataset, units: int = 32, seed=0) -> Sequential:
    """SimpleRNN(units) reading the whole name, then Dense(1, sigmoid) on its last state."""
    T, V = ds.X["train"].shape[1:]
    return Sequential([SimpleRNN(units), Dense(1, "sigmoid")], input_shape=(T, V), seed=seed)


def train_sex_classifier(ds: SexDataset, units: int = 32, epochs: int = 10,
                         learning_rate: float = 0.005, batch_size: int = 64, seed=0,
                         progress=False):
    """Train with Adam and early stopping on the dev split. Returns (model, history)."""
    from companion.nn.train import EarlyStopping, fit
    model = sex_classifier(ds, units, seed)
    hist = fit(model, ds.X["train"], ds.y["train"], "binary_crossentropy",
               optim.Adam(learning_rate), epochs=epochs, batch_size=batch_size,
               validation_data=(ds.X["dev"], ds.y["dev"]), seed=seed, progress=progress,
               early_stopping=EarlyStopping(patience=3))
    return model, hist


def classifier_explorer(ds: SexDataset):
    """Hidden size and epochs of the names-by-sex RNN (trains on Run)."""
    import ipywidgets as w

    from companion.lab.explorer import Explorer

    def compute(units, epochs):
        model, hist = train_sex_classifier(ds, units, epochs, seed=0)
        acc = accuracy(ds.y["dev"], model.predict(ds.X["dev"]))
        return {"history": hist, "dev_accuracy": acc, "params": model.count_params(),
                "summary": f"{units} units ({model.count_params()} parameters): "
                           f"dev accuracy {acc:.3f} after {len(hist['loss'])} epochs"}

    def draw(r):
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(1, 2, figsize=(9, 3))
        h = r["history"]
        ax[0].plot(h["loss"], label="train")
        ax[0].plot(h["val_loss"], label="dev")
        ax[0].set(xlabel="epoch", ylabel="binary cross-entropy")
        ax[0].legend()
        ax[1].plot(h["accuracy"], label="train")
        ax[1].plot(h["val_accuracy"], label="dev")
        ax[1].set(xlabel="epoch", ylabel="accuracy")
        fig.tight_layout()
        return fig

    controls = {"units": w.IntSlider(16, min=2, max=64, step=2, description="units"),
                "epochs": w.IntSlider(6, min=1, max=15, description="epochs")}
    return Explorer(compute, draw, controls, title="Names by sex: a many-to-one RNN",
                    run_button=True)


# --- sum over time vs. Keras' mean ----------------------------------------------------------
def sum_vs_mean_updates(T: int, units: int = 8, V: int = 6, N: int = 4, seed=0) -> dict:
    """Gradients of the notes' loss (sum over t of the step losses, averaged over examples) and
    of Keras' (mean over examples *and* steps) for one random problem of length T, and the
    first update each gives with SGD and with Adam (learning rate 0.01)."""
    from companion.nn.losses import SparseCategoricalCrossentropy
    rng = np.random.default_rng(seed)
    model = Sequential([SimpleRNN(units, return_sequences=True), Dense(V, "softmax")],
                       input_shape=(T, V), seed=seed)
    x = np.eye(V)[rng.integers(0, V, (N, T))]
    y = rng.integers(0, V, (N, T))
    mean_loss = model.loss_and_grads(x, y, SparseCategoricalCrossentropy())
    g_mean = [g.copy() for g in model.grads.values()]
    g_sum = [T * g for g in g_mean]               # d(sum over t)/dW = T d(mean over t)/dW
    out = {"T": T, "mean_loss": mean_loss, "sum_loss": T * mean_loss,
           "grad_ratio": np.linalg.norm(g_sum[0]) / np.linalg.norm(g_mean[0])}
    for name, opt in (("sgd", optim.SGD(0.01)), ("adam", optim.Adam(0.01))):
        u_mean = opt.update(g_mean, opt.init(g_mean))[0]
        u_sum = opt.update(g_sum, opt.init(g_sum))[0]
        out[f"{name}_update_ratio"] = float(np.linalg.norm(u_sum[0]) / np.linalg.norm(u_mean[0]))
    return out

