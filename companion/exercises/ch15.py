"""Chapter 15 exercises: the parameters of a recurrent and of a transformer character language
model counted from their shapes, mean ± half the range over seeds, and a paired comparison of
two models' per-seed results.

References: the built models of ``companion.models`` (``CharLanguageModel``, ``TransformerLM``),
``companion.nn.metrics.mean_spread`` and ``companion.chapters.ch15.paired_difference``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from companion.chapters.ch15 import count_params, paired_difference
from companion.data.text import char_vocabulary
from companion.exercises.checker import Case, check, hints, planted
from companion.models.char_lm import CharLanguageModel
from companion.models.transformer import TransformerLM
from companion.nn.metrics import mean_spread

HINTS = hints("ch15")


def _vocab(V: int):
    """A character vocabulary of exactly V tokens (V - 2 letters, <EOS> and <UNK>)."""
    vocab = char_vocabulary(["abcdefghijklmnopqrstuvwxyz"[:V - 2]])
    assert len(vocab) == V
    return vocab


# --- 1. a recurrent language model's parameters -------------------------------------------------
def _recurrent(cell, V, units):
    from companion.nn.layers.gru import GRU
    from companion.nn.layers.lstm import LSTM
    model = CharLanguageModel(_vocab(V), units=units, cell={"GRU": GRU, "LSTM": LSTM}[cell])
    return count_params(model)


def _recurrent_bug(bug: str):
    def params(cell, V, units):
        gates = {"GRU": 3, "LSTM": 4}[cell] - (1 if bug == "one gate less" else 0)
        kernels = gates * (V * units + (0 if bug == "no recurrent" else units * units))
        biases = gates * units * (2 if cell == "GRU" and bug != "one GRU bias" else 1)
        readout = 0 if bug == "no readout" else units * V + V
        return kernels + biases + readout
    return params


def check_recurrent_params(params: Callable) -> bool:
    """``params(cell "GRU" or "LSTM", V, units) -> int``: one-hot (V) -> cell(units) ->
    Dense(V, softmax). GRU: 3 gates, Keras' reset_after=True (two biases per gate);
    LSTM: 4 gates, one bias each."""
    cases = [Case(("GRU", 28, 48), label="GRU, V=28, 48 units (this chapter's)"),
             Case(("LSTM", 28, 48), label="LSTM, V=28, 48 units (this chapter's)"),
             Case(("GRU", 3, 1), label="GRU, V=3, 1 unit"),
             Case(("LSTM", 5, 7), label="LSTM, V=5, 7 units")]
    mistakes = planted(_recurrent_bug, HINTS["recurrent_params"])
    return check("recurrent language model parameters", params, _recurrent, cases, mistakes,
                 returns="an int")


# --- 2. a transformer language model's parameters ------------------------------------------------
def _transformer(V, d_model, num_layers, ff_dim, norm_first):
    model = TransformerLM(_vocab(V), d_model=d_model, num_heads=1, num_layers=num_layers,
                          ff_dim=ff_dim, norm_first=norm_first)
    return count_params(model)


def _transformer_bug(bug: str):
    def params(V, d_model, num_layers, ff_dim, norm_first):
        d = d_model
        attention = 4 * d * d + (0 if bug == "no attention biases" else 4 * d)
        attention = d * d + d if bug == "one projection" else attention
        ff = d * ff_dim + ff_dim + ff_dim * d + d
        norms = 2 * d if bug == "one norm" else 2 * 2 * d
        final = 2 * d if norm_first and bug != "no final norm" else 0
        embed = 0 if bug == "no embedding" else V * d
        return embed + num_layers * (attention + ff + norms) + final + d * V + V
    return params


def check_transformer_params(params: Callable) -> bool:
    """``params(V, d_model, num_layers, ff_dim, norm_first) -> int``: token embedding (V, d),
    sinusoidal positions (no weights), num_layers blocks (multi-head attention, a feed-forward
    network d -> ff_dim -> d, two layer norms), pre-LN's final layer norm, Dense(V) read-out."""
    cases = [Case((28, 32, 2, 64, False), label="this chapter's: V=28, d=32, 2 blocks, ff 64"),
             Case((28, 32, 2, 64, True), label="the same, pre-LN"),
             Case((5, 4, 1, 3, False), label="V=5, d=4, 1 block, ff 3"),
             Case((10, 8, 3, 16, True), label="V=10, d=8, 3 blocks, ff 16, pre-LN")]
    mistakes = planted(_transformer_bug, HINTS["transformer_params"])
    return check("transformer language model parameters", params, _transformer, cases,
                 mistakes, returns="an int")


# --- 3. mean ± half the range -------------------------------------------------------------------
def _spread_bug(bug: str):
    def spread(values):
        v = np.asarray(values, dtype=float)
        if bug == "std":
            return float(v.mean()), float(v.std())
        if bug == "range":
            return float(v.mean()), float(v.max() - v.min())
        return float(v.mean()), float(v.max() - v.mean())             # "max - mean"
    return spread


def check_mean_spread(spread: Callable) -> bool:
    """``spread(values: list or (S,) array of per-seed results) -> (mean float, half_range
    float)``: mean ± half_range spans every run, half_range = (max - min) / 2."""
    cases = [Case(([2.1, 2.106, 2.119],), label="three seeds (a list)"),
             Case((np.array([1.5]),), label="one seed"),
             Case((np.array([3.0, 1.0, 1.2, 1.1]),), label="four seeds, one far off"),
             Case(([-0.2, 0.4, 0.1, 0.0, 0.3],), label="five differences, some negative")]
    mistakes = planted(_spread_bug, HINTS["mean_spread"])
    return check("mean ± half range", spread, mean_spread, cases, mistakes,
                 returns="the tuple (mean, half_range)", names=("mean", "half_range"))


# --- 4. a paired comparison ------------------------------------------------------------------------
def _paired_bug(bug: str):
    def paired(a, b):
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        if bug == "unpaired":
            spread = (a.max() - a.min()) / 2 + (b.max() - b.min()) / 2
            return float(a.mean() - b.mean()), float(spread), int(np.sum(a < b))
        d = b - a if bug == "b - a" else a - b
        wins = np.sum(a <= b) if bug == "ties" else np.sum(a < b)
        return float(d.mean()), float((d.max() - d.min()) / 2), int(wins)
    return paired


def check_paired_difference(paired: Callable) -> bool:
    """``paired(a, b)`` with a[i], b[i] two models' results on seed i (lists or (S,) arrays)
    -> (mean of a - b, half the range of a - b, the number of seeds with a[i] < b[i])."""
    cases = [Case(([2.080, 2.084, 2.076], [2.100, 2.106, 2.119]), label="three seeds (lists)"),
             Case((np.array([1.0]), np.array([1.2])), label="one seed"),
             Case((np.array([2.0, 2.3, 2.1, 2.2]), np.array([2.05, 2.31, 2.1, 2.1])),
                  label="four seeds, a tie, correlated runs"),
             Case((np.array([0.5, 0.7]), np.array([0.4, 0.6])), label="b better on both")]
    mistakes = planted(_paired_bug, HINTS["paired_difference"])
    return check("paired difference", paired, paired_difference, cases, mistakes,
                 returns="the tuple (mean, half_range, wins)", names=("mean", "half_range", "wins"))
