"""Experiments of chapters 9-10 on real sequences: names by sex (many-to-one), the flow of
gradients back through time, sum vs. mean losses, and word- vs. character-level text.

The explorers (ipywidgets) are built by ``*_explorer`` functions on top of pure functions that
the tests call directly.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import partial
from collections.abc import Sequence

import numpy as np

from . import initializers, optim
from .data import ASSETS, train_dev_test_split
from .layers.dense import Dense
from .layers.recurrent import SimpleRNN
from .metrics import accuracy
from .model import Sequential
from .text import Vocabulary, char_vocabulary, chars, names_by_sex, words


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
    from .train import EarlyStopping, fit
    model = sex_classifier(ds, units, seed)
    hist = fit(model, ds.X["train"], ds.y["train"], "binary_crossentropy",
               optim.Adam(learning_rate), epochs=epochs, batch_size=batch_size,
               validation_data=(ds.X["dev"], ds.y["dev"]), seed=seed, progress=progress,
               early_stopping=EarlyStopping(patience=3))
    return model, hist


def classifier_explorer(ds: SexDataset):
    """Hidden size and epochs of the names-by-sex RNN (trains on Run)."""
    import ipywidgets as w

    from .widgets import Explorer

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
    from .losses import SparseCategoricalCrossentropy
    rng = np.random.default_rng(seed)
    model = Sequential([SimpleRNN(units, return_sequences=True), Dense(V, "softmax")],
                       input_shape=(T, V), seed=seed)
    x = np.eye(V)[rng.integers(0, V, (N, T))]
    y = rng.integers(0, V, (N, T))
    mean_loss = model.loss_and_grads(x, y, SparseCategoricalCrossentropy())
    g_mean = [g.copy() for g in model.grads()]
    g_sum = [T * g for g in g_mean]               # d(sum over t)/dW = T d(mean over t)/dW
    out = {"T": T, "mean_loss": mean_loss, "sum_loss": T * mean_loss,
           "grad_ratio": np.linalg.norm(g_sum[0]) / np.linalg.norm(g_mean[0])}
    for name, opt in (("sgd", optim.SGD(0.01)), ("adam", optim.Adam(0.01))):
        u_mean = opt.update(g_mean, opt.init(g_mean))[0]
        u_sum = opt.update(g_sum, opt.init(g_sum))[0]
        out[f"{name}_update_ratio"] = float(np.linalg.norm(u_sum[0]) / np.linalg.norm(u_mean[0]))
    return out


# --- gradients flowing back through time ---------------------------------------------------
def gradient_flow(T: int = 50, units: int = 32, gain: float = 1.0, activation: str = "tanh",
                  recurrent_initializer: str = "orthogonal", D: int = 8, N: int = 16,
                  seed=0) -> np.ndarray:
    """||dL/dx<t>|| for a loss that reads only the last state, L = sum(h<T> * u), averaged over
    a batch of random inputs: how much the input t steps back can still change the output.
    ``gain`` scales the recurrent kernel (orthogonal: all its singular values equal gain).
    Returns (T,) norms, index t = 0 is the first step."""
    rng = np.random.default_rng(seed)
    init = initializers.get(recurrent_initializer)
    layer = SimpleRNN(units, activation=activation,
                      recurrent_initializer=lambda s, r: gain * init(s, r))
    layer.build((T, D), rng)
    return input_gradient_norms(layer, rng.standard_normal((N, T, D)), seed=seed)


def input_gradient_norms(layer, x, seed=0) -> np.ndarray:
    """Mean over the batch of ||dL/dx<t>|| for L = sum(h<T> * u), u random of unit scale, for
    any recurrent layer (its ``return_sequences`` setting is respected). Returns (T,)."""
    out = layer.forward(x)
    u = np.random.default_rng(seed).standard_normal(out.shape[:1] + out.shape[-1:])
    u /= np.sqrt(out.shape[-1])
    dout = u
    if getattr(layer, "return_sequences", False):
        dout = np.zeros_like(out)
        dout[:, -1] = u
    with np.errstate(over="ignore", invalid="ignore"):
        dx = layer.backward(dout)
    return np.sqrt((dx ** 2).sum(axis=2)).mean(axis=0)


def gradient_flow_explorer():
    """Sequence length, hidden size, recurrent gain and activation against ||dL/dx<t>||."""
    import ipywidgets as w

    from .widgets import Explorer

    def compute(T, units, gain, activation):
        norms = gradient_flow(T, units, gain, activation)
        ratio = norms[0] / norms[-1]
        return {"norms": norms, "ratio": ratio, "T": T,
                "summary": f"||dL/dx<1>|| / ||dL/dx<T>|| = {ratio:.1e} over {T} steps"}

    def draw(r):
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6, 3))
        ax.semilogy(np.arange(r["T"], 0, -1) - 1, r["norms"])
        ax.set(xlabel="steps back from the end (T - t)", ylabel="||dL/dx<t>||")
        fig.tight_layout()
        return fig

    controls = {"T": w.IntSlider(50, min=5, max=200, step=5, description="T"),
                "units": w.IntSlider(32, min=4, max=128, step=4, description="units"),
                "gain": w.FloatSlider(1.0, min=0.25, max=2.0, step=0.05, description="gain"),
                "activation": w.Dropdown(options=["tanh", "relu", "linear"], value="tanh",
                                         description="g1")}
    return Explorer(compute, draw, controls, title="Gradients flowing back through time")


# --- the language model's explorers ------------------------------------------------------------
def temperature_explorer(lm, seed: int = 0):
    """Samples from a trained language model and its first-letter distribution at a temperature."""
    import ipywidgets as w

    from .widgets import Explorer

    def compute(temperature, n):
        samples = lm.sample(np.random.default_rng(seed), n=n, temperature=temperature)
        p, _ = lm.next_distribution(np.zeros((1, len(lm.vocab))))
        p = p[0].copy()
        p[lm.vocab.unk] = 0
        q = p ** (1 / temperature) if temperature > 0 else (p == p.max()).astype(float)
        q /= q.sum()
        entropy = float(-(q[q > 0] * np.log(q[q > 0])).sum())
        return {"samples": samples, "first": q, "entropy": entropy,
                "summary": f"T = {temperature:.2f}: " + ", ".join(samples)}

    def draw(r):
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(8, 2.5))
        ax.bar(range(len(lm.vocab)), r["first"])
        ax.set_xticks(range(len(lm.vocab)), ["<E>", "<U>"] + lm.vocab.itos[2:])
        ax.set(ylabel="P(first letter)", title=f"entropy {r['entropy']:.2f} nats")
        fig.tight_layout()
        return fig

    controls = {"temperature": w.FloatSlider(1.0, min=0.0, max=2.0, step=0.1,
                                             description="temperature"),
                "n": w.IntSlider(8, min=1, max=20, description="samples")}
    return Explorer(compute, draw, controls, title="Sampling with temperature")


def exploding_run(names, vocab, clip: str = "none", threshold: float = 1.0,
                  learning_rate: float = 0.3, gain: float = 1.2, seq_len: int = 50,
                  epochs: int = 1, units: int = 64, seed=0) -> dict:
    """Train a ReLU RNN language model with a large recurrent kernel on long windows of the
    names stream with plain SGD: the set-up where gradients explode. ``clip``: "none",
    "value" (clip every entry to ±threshold) or "norm" (global norm at most threshold).
    Returns the history (with ``diverged_at`` the step of a NaN loss, or None)."""
    from .errors import DivergenceError
    from .language_model import CharLanguageModel, train
    if clip not in ("none", "value", "norm"):
        raise ValueError(f"clip must be 'none', 'value' or 'norm', got {clip!r}")
    lm = CharLanguageModel(vocab, units=units, seed=seed, activation="relu",
                           recurrent_initializer=partial(initializers.orthogonal, gain=gain))
    kw = {"clipvalue": threshold} if clip == "value" else \
        {"clipnorm": threshold} if clip == "norm" else {}
    try:
        hist = train(lm, names, epochs=epochs, batch_size=16, optimizer=optim.SGD(learning_rate),
                     seq_len=seq_len, seed=seed, **kw)
        hist["diverged_at"] = None
    except DivergenceError as exc:
        hist = exc.history
        hist["diverged_at"] = len(hist["batch_loss"])
    hist["model"] = lm
    return hist


def clipping_explorer(names, vocab):
    """Clipping kind and threshold, learning rate: gradient norms and loss (trains on Run)."""
    import ipywidgets as w

    from .widgets import Explorer

    def compute(clip, threshold, learning_rate):
        h = exploding_run(names, vocab, clip, threshold, learning_rate)
        end = f"diverged (NaN) at step {h['diverged_at']}" if h["diverged_at"] is not None \
            else f"final batch loss {h['batch_loss'][-1]:.3f}"
        return {"history": h, "summary": f"clip={clip}: {end}; largest gradient norm "
                                         f"{np.nanmax(h['grad_norm'] or [np.nan]):.3g}"}

    def draw(r):
        import matplotlib.pyplot as plt
        h = r["history"]
        fig, ax = plt.subplots(1, 2, figsize=(9, 3))
        ax[0].semilogy(h["grad_norm"])
        ax[0].set(xlabel="step", ylabel="global gradient norm (before clipping)")
        ax[1].plot(h["batch_loss"])
        ax[1].set(xlabel="step", ylabel="loss per character")
        fig.tight_layout()
        return fig

    controls = {"clip": w.Dropdown(options=["none", "value", "norm"], value="norm",
                                   description="clip"),
                "threshold": w.FloatLogSlider(1.0, base=10, min=-2, max=2, step=0.25,
                                              description="threshold"),
                "learning_rate": w.FloatLogSlider(0.3, base=10, min=-2, max=0, step=0.1,
                                                  description="SGD lr")}
    return Explorer(compute, draw, controls, title="Exploding gradients and clipping",
                    run_button=True)


# --- word- vs. character-level ---------------------------------------------------------------
def load_text() -> str:
    """The GNU GPL v3 text shipped in assets/text (real English, 5,600 words)."""
    return (ASSETS / "text" / "gpl-3.0.txt").read_text()


def sentences(text: str) -> list[str]:
    """Split running text into sentences at . ! ? followed by a space (line breaks joined)."""
    flat = re.sub(r"\s+", " ", text)
    return [s.strip() for s in re.split(r"(?<=[.!?])\s", flat) if len(s.split()) >= 3]


def tokenisation_stats(text: str, word_sizes=(100, 500, None), train_fraction: float = 0.8):
    """Rows (level, vocabulary size incl. <EOS>/<UNK>, mean tokens per sentence, share of
    held-out tokens that are <UNK>) for characters and for words at several vocabulary sizes.
    The vocabulary comes from the first ``train_fraction`` of the sentences."""
    sents = sentences(text.lower())
    cut = int(len(sents) * train_fraction)
    train, held = sents[:cut], sents[cut:]
    rows = []
    levels = [("characters", chars, None)] + [("words", words, k) for k in word_sizes]
    for level, tok, size in levels:
        vocab = Vocabulary.build((t for s in train for t in tok(s)), max_size=size)
        held_tokens = [t for s in held for t in tok(s)]
        unk = np.mean([t not in vocab for t in held_tokens])
        length = np.mean([len(tok(s)) + 1 for s in sents])            # + <EOS>
        rows.append({"level": level, "max_size": size, "vocab": len(vocab),
                     "tokens_per_sentence": float(length), "unk_rate": float(unk)})
    return rows
