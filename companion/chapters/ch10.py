"""Chapter 10: the experiment drivers and explorers that only this chapter uses.

It imports the library, never another chapter: gradient flow through time, exploding
gradients with and without clipping, and character- versus word-level tokenisation.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from companion.data.text import Vocabulary, chars, sentences, words
from companion.nn import initializers, optim
from companion.nn.layers.recurrent import SimpleRNN


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

    from companion.lab.explorer import Explorer

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


def exploding_run(names, vocab, clip: str = "none", threshold: float = 1.0,
                  learning_rate: float = 0.3, gain: float = 1.2, seq_len: int = 50,
                  epochs: int = 1, units: int = 64, seed=0) -> dict:
    """Train a ReLU RNN language model with a large recurrent kernel on long windows of the
    names stream with plain SGD: the set-up where gradients explode. ``clip``: "none",
    "value" (clip every entry to ±threshold) or "norm" (global norm at most threshold).
    Returns the history (with ``diverged_at`` the step of a NaN loss, or None)."""
    from companion.models.char_lm import CharLanguageModel, train
    from companion.nn.validation import DivergenceError
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

    from companion.lab.explorer import Explorer

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


# --- sampling with a temperature, from any next-token distribution ----------------------------
def apply_temperature(p: np.ndarray, temperature: float) -> np.ndarray:
    """q_i proportional to p_i ** (1 / temperature), computed in log space so that a low
    temperature never underflows to 0 / 0. ``p`` (V,) positive probabilities; returns (V,)."""
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    logq = np.log(p) / temperature
    q = np.exp(logq - logq.max())
    return q / q.sum()


def bigram_sample(P: np.ndarray, vocab: Vocabulary, rng: np.random.Generator,
                  temperature: float = 1.0, max_len: int = 20) -> str:
    """One name drawn from a bigram matrix ``P`` (V, V) (rows: P(next | prev)): start after
    <EOS>, draw each next character with ``rng.choice(V, p=q)`` from q = the row of the
    previous character at ``temperature`` (0: its argmax), until <EOS> or ``max_len``
    characters. Returns the name without <EOS>."""
    prev, out = vocab.eos, []
    while len(out) < max_len:
        row = P[prev]
        nxt = int(row.argmax()) if temperature == 0 else \
            int(rng.choice(len(row), p=apply_temperature(row, temperature)))
        if nxt == vocab.eos:
            break
        out.append(vocab.itos[nxt])
        prev = nxt
    return "".join(out)
