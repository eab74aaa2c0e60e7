"""Skip-gram with negative sampling (word2vec, Mikolov et al. 2013) in NumPy.

From unlabelled text, each position gives (center, context) pairs for the words within a
window. The model has two matrices, W_in (the embeddings we keep) and W_out (context vectors),
both (n_words, n_features). For a pair (c, o) and K negative words n_1..n_K drawn from the
unigram distribution raised to the power 3/4, the loss is

    L = -log sigma(u_o . v_c) - sum_k log sigma(-u_{n_k} . v_c),   v = W_in[c], u = W_out[.]

averaged over a batch of pairs. Its gradients touch only the rows used (scatter-adds).

    tokens = corpus.load_corpus()               # companion.data.corpus: 64,262 words
    vocab = build_vocab(tokens, min_count=5)
    model = SkipGram(len(vocab), 50, seed=0)
    history = train_skipgram(model, vocab, vocab.encode(tokens), epochs=3, seed=0)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from companion.data.text import Vocabulary
from companion.nn import optim
from companion.nn.layers.embedding import scatter_add_rows
from companion.nn.train import (
    Callback,
    EpochMeanLoss,
    ProgressBar,
    check_callbacks,
    minibatches,
    seeded,
    train_loop,
)
from companion.nn.validation import (
    as_array,
    check_bool,
    check_finite,
    check_int,
    check_number,
    check_positive,
    check_strings,
    rng_from,
)

# Related pairs of the Python docs' vocabulary, listed before any training (not picked from the
# results), to measure what skip-gram learns on that corpus: where does b rank among a's
# neighbours? (Pairs with a word under min_count=5 are skipped by the notebook.)
PYDOC_PAIRS = [("true", "false"), ("integer", "float"), ("list", "tuple"), ("key", "value"),
               ("read", "write"), ("open", "close"), ("start", "end"), ("class", "instance"),
               ("exception", "raised"), ("import", "module"), ("args", "kwargs"),
               ("first", "last"), ("left", "right"), ("positive", "negative"), ("min", "max"),
               ("get", "set"), ("input", "output"), ("add", "subtract"), ("upper", "lower"),
               ("keys", "values"), ("encode", "decode"), ("break", "continue"), ("if", "else"),
               ("try", "except"), ("yield", "generator"), ("async", "await"),
               ("global", "nonlocal"), ("str", "bytes"), ("dict", "set")]


def build_vocab(tokens: Sequence[str], min_count: int = 5) -> Vocabulary:
    """word2vec's vocabulary: the words seen at least ``min_count`` times, most frequent first
    (ties alphabetical), with their ``counts``; no <EOS>/<UNK>, so ``encode`` drops the rest.

    >>> v = build_vocab(["b", "a", "b", "c"], min_count=1)
    >>> v.words, v.counts.tolist(), v.encode(["c", "z", "b"]).tolist()
    (['b', 'a', 'c'], [2, 1, 1], [2, 0])
    """
    tokens = check_strings(tokens, "tokens", allow_empty=False)
    vocab = Vocabulary.build(tokens, min_count=check_int(min_count, "min_count"), specials=False)
    if not len(vocab):
        raise ValueError(f"no word of the {len(tokens)} tokens is seen min_count={min_count} "
                         "times: lower min_count or give more text")
    return vocab


def _ids(ids, name: str, n: int | None = None) -> np.ndarray:
    """A 1-D array of integer word ids >= 0 (and < n when n is given)."""
    ids = np.asarray(ids)
    if ids.ndim != 1 or (ids.dtype.kind not in "iu" and ids.size):
        raise TypeError(f"{name}: expected a 1-D array of integer word ids, got {ids.dtype} of "
                        f"shape {ids.shape}")
    if ids.size and (ids.min() < 0 or (n is not None and ids.max() >= n)):
        raise ValueError(f"{name}: word ids must lie in 0..{'' if n is None else n - 1}, got "
                         f"values from {ids.min()} to {ids.max()}")
    return ids.astype(np.int64)


def _counts(counts, name: str) -> np.ndarray:
    """Finite word counts (or weights) >= 0, 1-D, with a positive sum, as float64."""
    c = check_finite(as_array(counts, name, ndim=1), name).astype(np.float64)
    if not (np.all(c >= 0) and c.sum() > 0):
        raise ValueError(f"{name}: expected positive word counts (>= 0, not all zero), got "
                         f"values from {c.min() if c.size else None} to "
                         f"{c.max() if c.size else None}")
    return c


def subsample(ids: np.ndarray, counts: np.ndarray, t: float = 1e-3, rng=None) -> np.ndarray:
    """Drop frequent words at random: keep a token of frequency f with probability
    min(1, sqrt(t / f) + t / f) (the word2vec C code's rule), so "the" goes most often."""
    check_positive(t, "t")
    counts = _counts(counts, "counts")
    ids = _ids(ids, "ids", len(counts))
    f = counts / counts.sum()
    keep_p = np.minimum(1.0, np.sqrt(t / f) + t / f)
    return ids[rng_from(rng).random(len(ids)) < keep_p[ids]]


def skipgram_pairs(ids: np.ndarray, window: int = 2, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """(centers, contexts): every pair of positions at distance 1..window.

    With ``rng`` each center draws its own window size in 1..window (word2vec's dynamic window,
    which weights near neighbours more); without, the window is fixed.
    """
    ids = _ids(ids, "ids")
    window = check_int(window, "window")
    n = len(ids)
    reach = rng_from(rng).integers(1, window + 1, n) if rng is not None else np.full(n, window)
    centers, contexts = [], []
    for d in range(1, window + 1):
        pos = np.arange(n - d)                         # pairs (pos, pos + d) both ways
        right = pos[reach[pos] >= d]
        left = pos[reach[pos + d] >= d] + d
        centers += [ids[right], ids[left]]
        contexts += [ids[right + d], ids[left - d]]
    return np.concatenate(centers), np.concatenate(contexts)


def noise_distribution(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """P(w) proportional to count(w)^power (3/4 flattens the unigram distribution)."""
    check_number(power, "power")
    p = _counts(counts, "counts") ** power
    return p / p.sum()


def sample_negatives(p: np.ndarray, shape: tuple, rng) -> np.ndarray:
    """Draw word ids from the distribution ``p`` (inverse CDF with searchsorted)."""
    if not isinstance(shape, tuple) or not all(isinstance(s, (int, np.integer)) and s >= 0
                                               for s in shape):
        raise TypeError(f"shape: expected a tuple of integers >= 0, got {shape!r:.40}")
    cdf = np.cumsum(_counts(p, "p"))
    return np.minimum(np.searchsorted(cdf, rng_from(rng).random(shape) * cdf[-1]), len(p) - 1)


def log_sigmoid(z):
    """log sigma(z) = -log(1 + e^-z), computed without overflow."""
    return -np.logaddexp(0.0, -as_array(z, "z"))


def sgns_forward(W_in, W_out, centers, contexts, negatives):
    """Mean negative-sampling loss of a batch, and the cache for ``sgns_backward``.

    W_in, W_out: (n_words, D); centers, contexts: (B,) ids; negatives: (B, K) ids. The loss is
    the mean over the B pairs of -log σ(u_o.v_c) - Σ_k log σ(-u_nk.v_c). Returns (loss, cache).
    """
    W_in = check_finite(as_array(W_in, "W_in", ndim=2), "W_in")
    W_out = check_finite(as_array(W_out, "W_out", ndim=2), "W_out")
    if W_in.shape != W_out.shape:
        raise ValueError(f"W_in {W_in.shape} and W_out {W_out.shape}: expected the same shape")
    centers, contexts = _ids(centers, "centers", len(W_in)), _ids(contexts, "contexts", len(W_in))
    negatives = np.asarray(negatives)
    if negatives.ndim != 2 or len(negatives) != len(centers) or len(contexts) != len(centers):
        raise ValueError(f"centers {centers.shape}, contexts {contexts.shape} and negatives "
                         f"{negatives.shape}: expected (B,), (B,) and (B, K)")
    _ids(negatives.ravel(), "negatives", len(W_in))
    out_ids = np.concatenate([contexts[:, None], negatives], axis=1)   # (B, 1+K)
    v, U = W_in[centers], W_out[out_ids]                               # (B, D), (B, 1+K, D)
    sign = np.ones(out_ids.shape[1])
    sign[1:] = -1.0                                                    # negatives: σ(-u.v)
    z = np.einsum("bd,bkd->bk", v, U) * sign                           # (B, 1+K) scores
    loss = float(-log_sigmoid(z).sum(axis=1).mean())
    return loss, (centers, out_ids, v, U, sign, z, W_in.shape, W_out.shape)


def sgns_backward(dloss, cache):
    """Gradients of ``dloss`` * the loss: (None, (dW_in, dW_out)), each (n_words, D) and nonzero
    only in the rows the batch used (the ids are integers: no input gradient)."""
    centers, out_ids, v, U, sign, z, in_shape, out_shape = cache
    dloss = check_number(dloss, "dloss")
    ds = -sign / len(centers) * np.exp(log_sigmoid(-z)) * dloss    # dL/ds = -sign σ(-z) / B
    dv = np.einsum("bk,bkd->bd", ds, U)                            # (B, D)
    dU = ds[:, :, None] * v[:, None, :]                            # (B, 1+K, D)
    dW_in = scatter_add_rows(in_shape[0], centers, dv)
    dW_out = scatter_add_rows(out_shape[0], out_ids.reshape(-1), dU.reshape(-1, dU.shape[-1]))
    return None, (dW_in, dW_out)


class SkipGram:
    """The two matrices of skip-gram: ``W_in`` (the word embeddings) and ``W_out`` (contexts).

    Initialised as in word2vec: W_in uniform in +-0.5/n_features, W_out zeros.
    """

    def __init__(self, n_words: int, n_features: int = 50, seed=None, rng=None):
        n_words, n_features = check_int(n_words, "n_words"), check_int(n_features, "n_features")
        rng = seeded(seed, rng)
        self.W_in = rng.uniform(-0.5, 0.5, (n_words, n_features)) / n_features
        self.W_out = np.zeros((n_words, n_features))
        self.grads = {"W_in": np.zeros_like(self.W_in), "W_out": np.zeros_like(self.W_out)}

    # -- the training protocol of ``companion.nn.train`` --------------------------------
    @property
    def params(self) -> dict[str, np.ndarray]:
        """The two embedding matrices (the Trainable protocol)."""
        return {"W_in": self.W_in, "W_out": self.W_out}

    def loss_and_grads(self, batch) -> tuple[float, list[np.ndarray]]:
        """Loss and [dW_in, dW_out] of ``batch = (centers (B,), contexts (B,), negatives
        (B, K))``."""
        loss, cache = sgns_forward(self.W_in, self.W_out, *batch)
        _, (dW_in, dW_out) = sgns_backward(1.0, cache)
        self.grads = {"W_in": dW_in, "W_out": dW_out}
        return loss, self.grads

    def vectors(self, add_context: bool = False) -> np.ndarray:
        """The learned embeddings (W_in, or W_in + W_out as GloVe recommends)."""
        check_bool(add_context, "add_context")
        return self.W_in + self.W_out if add_context else self.W_in.copy()


def train_skipgram(model: SkipGram, vocab: Vocabulary, ids: np.ndarray, epochs: int = 3,
                   window: int = 4, negatives: int = 5, batch_size: int = 1024,
                   optimizer=None, subsample_t: float | None = 1e-3, seed=None, rng=None,
                   callbacks: Sequence[Callback] = (), progress=False) -> dict:
    """Train on mini-batches of (center, context) pairs (Adam(0.01) unless ``optimizer`` is
    given), re-drawing each epoch the subsampling, the dynamic windows and the negatives, with
    the package's one training loop (``companion.nn.train.train_loop``); ``callbacks`` are
    handed the model. Returns {"loss": per-epoch mean, "batch_loss": per step}."""
    optimizer = optim.get(optimizer) if optimizer is not None else optim.Adam(0.01)
    batch_size = check_int(batch_size, "batch_size")
    negatives = check_int(negatives, "negatives")
    if not isinstance(model, SkipGram):
        raise TypeError(f"model: expected a SkipGram, got {type(model).__name__}")
    if not isinstance(vocab, Vocabulary) or vocab.unk is not None or vocab.counts is None:
        raise TypeError(f"vocab: expected word2vec's vocabulary, counted and without <EOS>/<UNK> "
                        f"(build_vocab(tokens)), got {vocab!r:.60}")
    ids = _ids(ids, "ids")
    if len(ids) < 2:
        raise ValueError(f"ids holds {len(ids)} token(s): skip-gram needs at least two to "
                         "form a (center, context) pair")
    n_words = model.W_in.shape[0]
    if ids.min() < 0 or ids.max() >= n_words or len(vocab) != n_words:
        raise ValueError(f"ids must lie in 0..{n_words - 1} (the model's n_words = {n_words}, "
                         f"the vocab's {len(vocab)} words), got values up to {ids.max()}")
    rng = seeded(seed, rng)
    p_noise = noise_distribution(vocab.counts)

    def batches(epoch):
        kept = ids if subsample_t is None else subsample(ids, vocab.counts, subsample_t, rng)
        c, o = skipgram_pairs(kept, window, rng)
        for b in minibatches(len(c), batch_size, rng):
            yield c[b], o[b], sample_negatives(p_noise, (len(b), negatives), rng)

    cbs = [EpochMeanLoss(), ProgressBar(check_int(epochs, "epochs"), progress),
           *check_callbacks(callbacks)]
    return train_loop(model, batches, optimizer, epochs, cbs,
                      history={"loss": [], "batch_loss": []})
