"""A character-level language model, its training loop, gradient clipping and two baselines.

    lm = CharLanguageModel(vocab, units=64, cell=SimpleRNN, seed=0)   # or cell=GRU, LSTM
    history = train(lm, train_names, epochs=8, batch_size=32, clipnorm=5.0, seed=0)
    lm.loss(val_names)            # mean -log p per character (incl. the final <EOS>), nats
    lm.probability("anna")        # P(a) P(n|a) P(n|an) P(a|ann) P(<EOS>|anna)
    lm.sample(rng, n=10, temperature=0.8)

The model is the notes' picture: x<1> = 0 (a zero vector), x<t> = one-hot(y<t-1>); a recurrent
layer with ``return_sequences=True``; then y_hat<t> = softmax(Wya a<t> + by), a ``Dense(V,
"softmax")`` on every step. ``cell`` is any recurrent layer class that follows the SimpleRNN
interface (``units``, ``return_sequences``, ``forward(x, training, initial_state)``,
``final_state``, ``backward``) and has a twin in ``companion.keras_twin``.

Batches: names of different lengths are right-padded to the longest in the batch and a mask
marks the real characters. Because the network reads left to right, padding *after* a name
cannot change its predictions, so only the loss needs the mask: the per-character loss is
sum(mask * -log p(y<t>)) / sum(mask), and its gradient is zero on padding.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from companion.data.text import Vocabulary, chars, check_vocabulary, encode_padded
from companion.nn import optim
from companion.nn.activations import sample_from_logits
from companion.nn.layers.base import Layer
from companion.nn.layers.dense import Dense
from companion.nn.layers.recurrent import SimpleRNN
from companion.nn.losses import sequence_crossentropy
from companion.nn.model import Sequential
from companion.nn.train import (
    Callback,
    EpochMeanLoss,
    EpochMetric,
    GradientStats,
    ProgressBar,
    check_batch_size,
    check_callbacks,
    clip_by_value,
    clip_gradients,
    global_norm,
    minibatches,
    seeded,
    train_loop,
)
from companion.nn.validation import (
    check_int,
    check_non_negative,
    check_string,
    check_strings,
    rng_from,
)

# the clipping helpers live with the training loop (``companion.nn.train``); listed here too
# because chapter 10 teaches them with this model
__all__ = ["BigramModel", "CharLanguageModel", "clip_by_value", "clip_gradients", "global_norm",
           "stream_chunks", "train", "uniform_loss"]

TINY = 1e-12


# --- the model ----------------------------------------------------------------------------
class CharLanguageModel:
    """One-hot characters -> recurrent layer -> Dense(V, softmax) on every step."""

    def __init__(self, vocab: Vocabulary, units: int = 64, cell=SimpleRNN, seed=0,
                 **cell_kwargs):
        if "rng" in cell_kwargs:
            raise TypeError("CharLanguageModel takes seed= (an int or a numpy Generator), not "
                            "rng=: the weights are drawn from it")
        if not callable(cell) or isinstance(cell, Layer):
            raise TypeError(f"cell: expected a recurrent layer class (SimpleRNN, GRU or LSTM) "
                            f"or a function that builds one, got {type(cell).__name__} "
                            f"{cell!r:.40}")
        self.vocab = check_vocabulary(vocab)
        V = len(vocab)
        self.rnn = cell(units, return_sequences=True, **cell_kwargs)
        if not isinstance(self.rnn, Layer):
            raise TypeError(f"cell: expected a recurrent layer class (SimpleRNN, GRU or LSTM) "
                            f"or a function that builds one; {cell!r:.40} built "
                            f"{type(self.rnn).__name__}")
        self.dense = Dense(V, "softmax")
        self.model = Sequential([self.rnn, self.dense], input_shape=(None, V), seed=seed)

    # -- data --------------------------------------------------------------------------
    def inputs(self, targets: np.ndarray) -> np.ndarray:
        """Targets (N, T) -> inputs (N, T, V): x<1> = 0, x<t> = one-hot(y<t-1>) (teacher forcing)."""
        x = np.zeros(targets.shape + (len(self.vocab),))
        x[:, 1:] = np.eye(len(self.vocab))[targets[:, :-1]]
        return x

    def batch(self, names: Sequence[str]):
        """Names -> (x (N, T, V), y (N, T) ids ending in <EOS>, mask (N, T))."""
        y, mask = encode_padded(self.vocab, names, add_eos=True)
        return self.inputs(y), y, mask

    # -- loss (the training protocol of ``companion.nn.train``) --------------------------
    def loss_and_grads(self, batch) -> tuple[float, list[np.ndarray]]:
        """Masked mean cross-entropy per character of ``batch = (x (N, T, V), y (N, T),
        mask (N, T))`` and its gradients (the model's ``grads``, by the names of ``params``)."""
        x, y, mask = batch
        p = self.model.forward(x, training=True)
        value, dz = sequence_crossentropy(p, y, mask, floor=TINY)   # dz: 0 on padding
        self.model.backward(dz, from_logits=True)
        return float(value), self.model.grads

    @property
    def params(self) -> dict[str, np.ndarray]:
        """The model's trainable arrays by name (the Trainable protocol)."""
        return self.model.params

    def log_likelihood(self, names: Sequence[str], predict: Callable | None = None,
                       batch_size: int = 1024) -> tuple[float, int]:
        """(sum of log p over every character of every name incl. <EOS>, number of characters).

        ``predict(x) -> probabilities (N, T, V)`` defaults to our model; pass a Keras twin's
        to compare."""
        names = name_list(names, "names")
        predict = predict or (lambda x: self.model.forward(x))
        total, count = 0.0, 0
        for i in range(0, len(names), batch_size):
            x, y, mask = self.batch(names[i:i + batch_size])
            p = np.asarray(predict(x), dtype=np.float64)
            p_true = np.take_along_axis(p, y[..., None], axis=-1)[..., 0]
            total += float(np.sum(np.log(np.maximum(p_true, TINY)) * mask))
            count += int(mask.sum())
        return total, count

    def loss(self, names: Sequence[str], predict: Callable | None = None) -> float:
        """Mean -log p per character (nats), the held-out number to compare with baselines."""
        total, count = self.log_likelihood(names, predict)
        return -total / count

    def conditionals(self, name: str) -> np.ndarray:
        """P(y<t> | y<1..t-1>) for every character of ``name`` and the final <EOS>: (T+1,)."""
        x, y, _ = self.batch([check_string(name, "name")])
        p = self.model.forward(x)
        return p[0, np.arange(y.shape[1]), y[0]]

    def log_prob(self, name: str) -> float:
        return float(np.sum(np.log(self.conditionals(name))))

    def probability(self, name: str) -> float:
        """P(name) = product over t of P(y<t> | y<1..t-1>), <EOS> included."""
        return float(np.prod(self.conditionals(name)))

    # -- sampling ----------------------------------------------------------------------
    def next_distribution(self, x_t, state=None):
        """One step: x_t (N, V) -> (probabilities (N, V), new state)."""
        a = self.rnn.forward(x_t[:, None, :], initial_state=state)
        return self.dense.forward(a)[:, 0], self.rnn.final_state

    def sample(self, rng, n: int = 1, temperature: float = 1.0, max_len: int = 20,
               prefix: str = "") -> list[str]:
        """Draw ``n`` names character by character until <EOS> (or ``max_len`` characters).

        Temperature rescales log-probabilities: p_i^(1/T) / sum_j p_j^(1/T); T < 1 sharpens,
        T > 1 flattens, T = 0 takes the most probable character (greedy). <UNK> is never drawn.
        """
        rng, prefix = rng_from(rng), check_string(prefix, "prefix")
        n, max_len = check_int(n, "n"), check_int(max_len, "max_len")
        temperature = check_non_negative(temperature, "temperature")
        V = len(self.vocab)
        x = np.zeros((n, V))
        state, out = None, [[] for _ in range(n)]
        done = np.zeros(n, dtype=bool)
        for ch in prefix:                               # read the given start
            p, state = self.next_distribution(x, state)
            x = np.zeros((n, V))
            x[:, self.vocab.index(ch)] = 1.0
        for _ in range(max_len + 1):
            p, state = self.next_distribution(x, state)
            ids = self._draw(p, rng, temperature)
            x = np.eye(V)[ids]
            for i in np.flatnonzero(~done):
                if ids[i] == self.vocab.eos or len(out[i]) >= max_len:
                    done[i] = True
                else:
                    out[i].append(self.vocab.itos[ids[i]])
            if done.all():
                break
        return [prefix + "".join(s) for s in out]

    def _draw(self, p, rng, temperature):
        logp = np.log(np.maximum(p, TINY))
        logp[:, self.vocab.unk] = -np.inf                  # <UNK> is never drawn
        return sample_from_logits(logp, temperature, rng)


# --- training -----------------------------------------------------------------------------
def name_list(names, argument: str) -> list[str]:
    """A non-empty list of names (``check_strings``: a single string is refused, as Python would
    iterate its letters)."""
    names = check_strings(names, argument)
    if not names:
        raise ValueError(f"{argument} is empty: expected at least one name")
    return names


def stream_chunks(vocab: Vocabulary, names: Sequence[str], seq_len: int) -> np.ndarray:
    """All names joined as one stream "anna<EOS>bob<EOS>..." cut into (M, seq_len) windows of
    target ids (the incomplete last window is dropped)."""
    seq_len = check_int(seq_len, "seq_len")
    names = name_list(names, "names")
    stream = np.concatenate([vocab.encode(chars(n), add_eos=True) for n in names])
    M = len(stream) // seq_len
    if M == 0:
        raise ValueError(f"seq_len={seq_len} is longer than the whole stream ({len(stream)})")
    return stream[:M * seq_len].reshape(M, seq_len)


def train(lm: CharLanguageModel, names: Sequence[str], epochs: int = 5, batch_size: int = 32,
          optimizer=None, validation_data: Sequence[str] | None = None, seed=None, rng=None,
          callbacks: Sequence[Callback] = (), clipvalue: float | None = None,
          clipnorm: float | None = None, seq_len: int | None = None, progress=False) -> dict:
    """Mini-batch training of the language model (Adam(0.01) unless ``optimizer`` is given),
    with the package's one training loop (``companion.nn.train.train_loop``).

    Batches are names right-padded to the longest in the batch (with a mask), or, with
    ``seq_len``, equal windows of ``seq_len`` characters cut from all names joined into one
    stream (``stream_chunks``): longer sequences, as a char-rnn reads running text.

    History: per step ``batch_loss`` and ``grad_norm`` (the global norm *before* clipping),
    ``clipped`` (whether clipping changed the gradient); per epoch ``loss`` (mean of that
    epoch's batch losses) and ``val_loss`` when ``validation_data`` (held-out names) is given.
    ``callbacks`` (e.g. ``[EarlyStopping(patience=2)]``) run after those and are handed ``lm``.
    A NaN/inf loss raises ``DivergenceError`` with the step number; the history so far is its
    ``history`` attribute. The signature is ``fit``'s (optimizer, validation_data, epochs,
    batch_size, seed/rng, callbacks).
    """
    optimizer = optim.get(optimizer) if optimizer is not None else optim.Adam(0.01)
    batch_size = check_batch_size(batch_size)
    rng = seeded(seed, rng)
    names = name_list(names, "names")
    if validation_data is not None:
        validation_data = name_list(validation_data, "validation_data")
    if seq_len is None:
        y_all, mask_all = encode_padded(lm.vocab, names, add_eos=True)
    else:
        y_all = stream_chunks(lm.vocab, names, seq_len)
        mask_all = np.ones(y_all.shape, dtype=bool)
    size = len(y_all) if batch_size is None else batch_size

    def batches(epoch):
        for idx in minibatches(len(y_all), size, rng):
            T = int(mask_all[idx].sum(axis=1).max())
            y, mask = y_all[idx, :T], mask_all[idx, :T]
            yield lm.inputs(y), y, mask

    hist: dict[str, list] = {"batch_loss": [], "grad_norm": [], "clipped": [], "loss": []}
    user_cbs, callbacks = callbacks, [GradientStats(), EpochMeanLoss()]
    if validation_data is not None:
        hist["val_loss"] = []
        callbacks.append(EpochMetric("val_loss", lambda: lm.loss(validation_data)))
    callbacks.append(ProgressBar(check_int(epochs, "epochs"), progress))
    return train_loop(lm, batches, optimizer, epochs, callbacks + check_callbacks(user_cbs),
                      clipnorm=clipnorm, clipvalue=clipvalue, history=hist)


# --- baselines ----------------------------------------------------------------------------
def uniform_loss(vocab: Vocabulary) -> float:
    """Per-character loss of a model that gives every token the same probability: log V."""
    return float(np.log(len(check_vocabulary(vocab))))


class BigramModel:
    """P(next | previous character) from counts with add-``alpha`` smoothing.

    ``counts[prev, next]``; the start of a name uses the <EOS> row as its "previous" symbol
    (a name starts after the end of the previous one), so row <EOS> holds first letters.
    """

    def __init__(self, vocab: Vocabulary, alpha: float = 1.0):
        self.vocab, self.alpha = check_vocabulary(vocab), check_non_negative(alpha, "alpha")
        self.counts = np.zeros((len(vocab), len(vocab)))

    def _pairs(self, name: str):
        ids = self.vocab.encode(chars(name), add_eos=True)
        return np.r_[self.vocab.eos, ids[:-1]], ids

    def fit(self, names: Sequence[str]) -> BigramModel:
        pairs = Counter()
        for name in name_list(names, "names"):
            pairs.update(zip(*map(list, self._pairs(name))))
        for (a, b), c in pairs.items():
            self.counts[a, b] += c
        return self

    @property
    def probs(self) -> np.ndarray:
        """(V, V) rows of conditional probabilities P(next | prev)."""
        c = self.counts + self.alpha
        return c / c.sum(axis=1, keepdims=True)

    def log_likelihood(self, names: Sequence[str]) -> tuple[float, int]:
        P = np.log(self.probs)
        total, count = 0.0, 0
        for name in name_list(names, "names"):
            prev, nxt = self._pairs(name)
            total += float(P[prev, nxt].sum())
            count += len(nxt)
        return total, count

    def loss(self, names: Sequence[str]) -> float:
        total, count = self.log_likelihood(names)
        return -total / count
