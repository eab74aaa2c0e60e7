"""Chapter 14 (the transformer): the experiments, figures and explorer.

    softmax_saturation([4, 64, 256])      # why the scores are divided by sqrt(d_k)
    names_split()                         # chapter 10's names and split
    plot_heads(lm, "christopher")         # what each head of each layer attends to
    transformer_explorer(train, val, vocab)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from companion.data.text import names_split  # noqa: F401  (chapter 10's split, used here)
from companion.models.transformer import TransformerLM, train_lm
from companion.nn.activations import softmax


def softmax_saturation(d_ks: Sequence[int], n: int = 2000, T: int = 10, seed: int = 0) -> dict:
    """Mean largest attention weight over ``n`` queries against T keys, entries N(0, 1),
    with the scores q.k (``raw``) and q.k / sqrt(d_k) (``scaled``), per d_k.

    q.k has variance d_k, so raw scores spread as sqrt(d_k) and the softmax saturates
    (one weight near 1, gradients near 0); scaled scores have variance 1 whatever d_k."""
    rng = np.random.default_rng(seed)
    out = {"raw": [], "scaled": []}
    for d in d_ks:
        q, k = rng.standard_normal((n, 1, d)), rng.standard_normal((n, T, d))
        s = (q @ k.transpose(0, 2, 1))[:, 0]                      # (n, T)
        out["raw"].append(float(softmax(s).max(axis=1).mean()))
        out["scaled"].append(float(softmax(s / np.sqrt(d)).max(axis=1).mean()))
    return out


def _attention_axes(ax, m, labels, title: str):
    """One attention map: rows the queries (output positions), columns the keys (inputs)."""
    im = ax.imshow(m[:len(labels), :len(labels)], cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("key (input position)", fontsize=7)
    ax.set_ylabel("query (output position)", fontsize=7)
    ax.set_title(title, fontsize=8)
    return im


def plot_heads(lm: TransformerLM, name: str):
    """One heatmap per layer and head: row t is the query reading position t (<EOS> first)."""
    import matplotlib.pyplot as plt
    maps = lm.attention_maps(name)
    heads = maps[0].shape[0]
    fig, axes = plt.subplots(len(maps), heads, figsize=(2.9 * heads + 0.6, 2.7 * len(maps)),
                             squeeze=False)
    labels = ["<s>"] + list(name)
    for layer, m in enumerate(maps):
        for h in range(heads):
            im = _attention_axes(axes[layer, h], m[h], labels, f"layer {layer + 1}, head {h + 1}")
    fig.colorbar(im, ax=axes, label="attention weight", shrink=0.8)
    return fig


def transformer_explorer(train_names, val_names, vocab, n_train: int = 1500, epochs: int = 3):
    """Heads, layers, width and positions of a small language model: press Run to train it
    (``n_train`` names, ``epochs`` epochs) and see the validation loss and the attention."""
    import ipywidgets as w
    import matplotlib.pyplot as plt

    from companion.lab.explorer import Explorer

    def compute(num_heads, num_layers, d_model, positional, name):
        lm = TransformerLM(vocab, d_model=d_model, num_heads=num_heads, num_layers=num_layers,
                           ff_dim=2 * d_model, positional=positional, seed=0)
        hist = train_lm(lm, train_names[:n_train], validation_data=val_names, epochs=epochs)
        name = name.strip().lower() or "anna"
        return {"history": hist, "maps": lm.attention_maps(name), "name": name,
                "summary": f"validation loss {hist['val_loss'][-1]:.3f} nats/char after "
                           f"{epochs} epochs on {n_train} names"}

    def draw(r):
        from matplotlib.ticker import MaxNLocator
        maps, labels = r["maps"], ["<s>"] + list(r["name"])
        fig, axes = plt.subplots(1, 1 + len(maps), figsize=(3.4 * (1 + len(maps)) + 0.6, 3.1))
        axes[0].plot(range(1, len(r["history"]["val_loss"]) + 1), r["history"]["val_loss"], "o-")
        axes[0].set(xlabel="epoch", ylabel="validation nats/char", title="validation loss")
        axes[0].xaxis.set_major_locator(MaxNLocator(integer=True))
        for ax, m, i in zip(axes[1:], maps, range(len(maps))):
            im = _attention_axes(ax, m.mean(axis=0), labels, f"layer {i + 1} (heads averaged)")
        fig.colorbar(im, ax=list(axes[1:]), label="attention weight", shrink=0.8)
        return fig

    controls = {"num_heads": w.Dropdown(options=[1, 2, 4], value=2, description="heads"),
                "num_layers": w.IntSlider(value=1, min=1, max=3, description="layers"),
                "d_model": w.Dropdown(options=[8, 16, 32], value=16, description="width"),
                "positional": w.Checkbox(value=True, description="positional encoding"),
                "name": w.Text(value="christopher", description="name")}
    return Explorer(compute, draw, controls, title="A small transformer language model",
                    run_button=True)
