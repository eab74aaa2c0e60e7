"""The transformer (chapter 14): encoder and decoder blocks, a decoder-only character language
model, and an encoder-decoder for the dates of chapter 13.

    block  = TransformerBlock(d_model=32, num_heads=2, ff_dim=64)     # post-LN, as the paper
    x1     = LayerNorm(x + MultiHeadAttention(x, x))                   # the attention sublayer
    out    = LayerNorm(x1 + Dense(d)(relu(Dense(ff)(x1))))             # the feed-forward sublayer

    lm = TransformerLM(vocab, d_model=32, num_heads=2, num_layers=2)   # causal self-attention
    train_lm(lm, train_names, epochs=10, val_names=val_names)
    lm.loss(val_names)            # nats per character, as chapter 10's CharLanguageModel

Token embeddings are scaled by sqrt(d_model) and added to sinusoidal positional encodings
(``positional=False`` leaves them out: self-attention alone is blind to order). The language
model reads <EOS> first (a name starts after the previous one ends) and predicts every
character and the final <EOS>, exactly the characters chapter 10's models are scored on.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from companion.data.dates import decode, encode_sources
from companion.data.text import Vocabulary, encode_padded
from companion.nn import optim
from companion.nn.activations import sample_from_logits, softmax
from companion.nn.layers.attention import (
    LayerNormalization,
    MultiHeadAttention,
    positional_encoding,
)
from companion.nn.layers.dense import Dense
from companion.nn.layers.embedding import Embedding
from companion.nn.losses import sequence_crossentropy
from companion.nn.threads import blas_threads
from companion.nn.train import EpochMeanLoss, EpochMetric, minibatches, train_loop
from companion.nn.validation import check_int, rng_from


class Stack:
    """Sublayers trained together: ``params``/``grads`` dicts and Keras-order weights."""
    layers: list

    @property
    def params(self) -> dict[str, np.ndarray]:
        return {f"{i}.{k}": p for i, layer in enumerate(self.layers)
                for k, p in _sub(layer).params.items()}

    @property
    def grads(self) -> dict[str, np.ndarray]:
        return {f"{i}.{k}": g for i, layer in enumerate(self.layers)
                for k, g in _sub(layer).grads.items()}

    def get_weights(self) -> list[np.ndarray]:
        return [p.copy() for p in self.params.values()]


class _Leaf:
    def __init__(self, layer):
        self.layer = layer

    @property
    def params(self):
        return self.layer.params

    @property
    def grads(self):
        return self.layer.grads


def _sub(layer):
    return layer if isinstance(layer, Stack) else _Leaf(layer)


class TransformerBlock(Stack):
    """Self-attention and feed-forward sublayers, each with a residual and layer norm.

    Input/output (N, T, d_model). ``forward(x, mask=None, causal=False)``: mask (N, T)
    marks real positions (keys that may be attended to). Weights in the order of a Keras
    block built from MultiHeadAttention, LayerNormalization, Dense, Dense, LayerNormalization.
    """

    def __init__(self, d_model: int, num_heads: int, ff_dim: int, dtype="float64", rng=None):
        check_int(d_model, "d_model")
        if d_model % check_int(num_heads, "num_heads"):
            raise ValueError(f"d_model ({d_model}) must be divisible by num_heads ({num_heads})")
        self.attention = MultiHeadAttention(num_heads, d_model // num_heads, dtype=dtype)
        self.norm1, self.norm2 = LayerNormalization(dtype=dtype), LayerNormalization(dtype=dtype)
        self.ff1, self.ff2 = Dense(ff_dim, "relu", dtype=dtype), Dense(d_model, dtype=dtype)
        self.layers = [self.attention, self.norm1, self.ff1, self.ff2, self.norm2]
        for layer, shape in zip(self.layers, [(None, d_model)] * 3 + [(None, ff_dim),
                                                                      (None, d_model)]):
            layer.build(shape, rng)

    def forward(self, x, mask=None, causal: bool = False):
        a = self.attention.forward(x, attention_mask=mask, use_causal_mask=causal)
        x1 = self.norm1.forward(x + a)
        return self.norm2.forward(x1 + self.ff2.forward(self.ff1.forward(x1)))

    def backward(self, dout):
        d = self.norm2.backward(dout)                       # d(x1 + f)
        dx1 = d + self.ff1.backward(self.ff2.backward(d))
        ds = self.norm1.backward(dx1)                       # d(x + a)
        return ds + self.attention.backward(ds)


class DecoderBlock(Stack):
    """Causal self-attention, cross-attention over the encoder's output, feed-forward; each
    with a residual and layer norm. ``forward(x, enc, enc_mask)``; ``backward`` returns
    (dx, denc)."""

    def __init__(self, d_model: int, num_heads: int, ff_dim: int, dtype="float64", rng=None):
        self.block = TransformerBlock(d_model, num_heads, ff_dim, dtype, rng)
        self.cross = MultiHeadAttention(num_heads, d_model // num_heads, dtype=dtype)
        self.cross.build((None, d_model), rng)
        self.norm = LayerNormalization(dtype=dtype)
        self.norm.build((None, d_model), rng)
        b = self.block
        self.layers = [b.attention, b.norm1, self.cross, self.norm, b.ff1, b.ff2, b.norm2]

    def forward(self, x, enc, enc_mask=None):
        b = self.block
        x1 = b.norm1.forward(x + b.attention.forward(x, use_causal_mask=True))
        x2 = self.norm.forward(x1 + self.cross.forward(x1, enc, attention_mask=enc_mask))
        return b.norm2.forward(x2 + b.ff2.forward(b.ff1.forward(x2)))

    def backward(self, dout):
        b = self.block
        d = b.norm2.backward(dout)
        dx2 = d + b.ff1.backward(b.ff2.backward(d))
        d = self.norm.backward(dx2)
        dq, dv, dk = self.cross.backward(d)
        dx1 = d + dq
        d = b.norm1.backward(dx1)
        return d + b.attention.backward(d), dv + dk


class Embedder(Stack):
    """Token ids (N, T) -> sqrt(d) E[ids] + PE[:T] (N, T, d)."""

    def __init__(self, V: int, d_model: int, max_len: int, positional: bool, dtype, rng):
        self.embedding = Embedding(V, d_model, dtype=dtype)
        self.embedding.build((None,), rng)                  # any sequence length
        self.layers = [self.embedding]
        self.scale = float(np.sqrt(d_model))
        self.pe = positional_encoding(max_len, d_model).astype(dtype) if positional else None

    def forward(self, ids):
        x = self.embedding.forward(ids) * self.scale
        if self.pe is not None:
            if ids.shape[1] > len(self.pe):
                raise ValueError(f"sequences of {ids.shape[1]} tokens are longer than "
                                 f"max_len={len(self.pe)}")
            x = x + self.pe[:ids.shape[1]]
        return x

    def backward(self, dx):
        self.embedding.backward(dx * self.scale)


class TransformerLM(Stack):
    """A decoder-only transformer over characters: causal self-attention blocks."""

    def __init__(self, vocab: Vocabulary, d_model: int = 32, num_heads: int = 2,
                 num_layers: int = 2, ff_dim: int = 64, max_len: int = 24,
                 positional: bool = True, seed=0, dtype="float32"):
        rng = rng_from(seed)
        self.vocab, self.dtype = vocab, np.dtype(dtype)
        self.embed = Embedder(len(vocab), d_model, max_len, positional, dtype, rng)
        self.blocks = [TransformerBlock(d_model, num_heads, ff_dim, dtype, rng)
                       for _ in range(check_int(num_layers, "num_layers"))]
        self.readout = Dense(len(vocab), dtype=dtype)
        self.readout.build((None, d_model), rng)
        self.layers = [self.embed, *self.blocks, self.readout]

    def inputs(self, y):
        """Targets (N, T) -> input ids (N, T): <EOS>, then y shifted right by one."""
        x = np.full_like(y, self.vocab.eos)
        x[:, 1:] = y[:, :-1]
        return x

    def logits(self, x_ids):
        """Input ids (N, T) -> next-character scores (N, T, V)."""
        h = self.embed.forward(x_ids)
        for block in self.blocks:
            h = block.forward(h, causal=True)
        return self.readout.forward(h)

    def loss_and_grads(self, batch):
        """batch = (targets (N, T), mask (N, T)) -> (nats per character, grads)."""
        y, mask = batch
        with blas_threads(1):
            loss, dz = sequence_crossentropy(softmax(self.logits(self.inputs(y))), y, mask)
            d = self.readout.backward(dz)
            for block in reversed(self.blocks):
                d = block.backward(d)
            self.embed.backward(d)
        return loss, self.grads

    def log_likelihood(self, names: Sequence[str], batch_size: int = 1024) -> tuple[float, int]:
        total, count = 0.0, 0
        for i in range(0, len(names), batch_size):
            y, mask = encode_padded(self.vocab, names[i:i + batch_size], add_eos=True)
            with blas_threads(1):
                z = self.logits(self.inputs(y)).astype(np.float64)
            logp = z - z.max(-1, keepdims=True)
            logp -= np.log(np.exp(logp).sum(-1, keepdims=True))
            total += float(np.sum(np.take_along_axis(logp, y[..., None], -1)[..., 0] * mask))
            count += int(mask.sum())
        return total, count

    def loss(self, names: Sequence[str]) -> float:
        """Mean -log p per character (incl. each name's <EOS>), in nats."""
        total, count = self.log_likelihood(list(names))
        return -total / count

    def sample(self, rng, n: int = 1, temperature: float = 1.0, max_len: int = 20) -> list[str]:
        """``n`` names drawn character by character (T=0: the most probable one)."""
        rng = rng_from(rng)
        x = np.full((n, 1), self.vocab.eos)
        out, done = [[] for _ in range(n)], np.zeros(n, dtype=bool)
        for _ in range(max_len + 1):
            z = self.logits(x)[:, -1].astype(np.float64)
            z[:, self.vocab.unk] = -np.inf
            ids = sample_from_logits(z, temperature, rng)
            for i in np.flatnonzero(~done):
                done[i] = ids[i] == self.vocab.eos or len(out[i]) >= max_len
                if not done[i]:
                    out[i].append(self.vocab.itos[ids[i]])
            if done.all():
                break
            x = np.concatenate([x, ids[:, None]], axis=1)
        return ["".join(s) for s in out]

    def attention_maps(self, name: str) -> list[np.ndarray]:
        """Per layer, the heads' weights (heads, T, T) while reading <EOS> + name."""
        y, _ = encode_padded(self.vocab, [name], add_eos=True)
        self.logits(self.inputs(y))
        return [b.attention.attention_weights[0] for b in self.blocks]


def train_lm(lm: TransformerLM, names: Sequence[str], epochs: int = 10, batch_size: int = 64,
             learning_rate: float = 3e-3, clipnorm: float | None = 1.0,
             val_names: Sequence[str] | None = None, seed=0) -> dict:
    """Adam on shuffled batches of right-padded names; ``loss`` and ``val_loss`` per epoch."""
    rng = rng_from(seed)
    y_all, mask_all = encode_padded(lm.vocab, list(names), add_eos=True)

    def batches(epoch):
        for idx in minibatches(len(y_all), batch_size, rng):
            T = int(mask_all[idx].sum(1).max())
            yield y_all[idx, :T], mask_all[idx, :T]
    callbacks = [EpochMeanLoss()]
    if val_names is not None:
        callbacks.append(EpochMetric("val_loss", lambda: lm.loss(val_names)))
    return train_loop(lm, batches, optim.Adam(learning_rate), epochs, callbacks,
                      clipnorm=clipnorm)


class TransformerTranslator(Stack):
    """An encoder-decoder transformer for chapter 13's dates, trained and scored with
    ``companion.models.seq2seq.train`` / ``evaluate`` (same interface as ``Seq2Seq``).

    Encoder: embeddings + positions, ``num_layers`` self-attention blocks over the source
    (padding masked). Decoder: embeddings + positions of <EOS> + the target shifted right,
    ``num_layers`` decoder blocks (causal self-attention, cross-attention), Dense read-out.
    """

    def __init__(self, source_vocab: Vocabulary, target_vocab: Vocabulary, d_model: int = 32,
                 num_heads: int = 2, num_layers: int = 1, ff_dim: int = 64,
                 max_source_length: int = 29, seed=0, dtype="float32"):
        rng = rng_from(seed)
        self.src, self.tgt, self.Tx = source_vocab, target_vocab, int(max_source_length)
        self.src_embed = Embedder(len(source_vocab), d_model, 64, True, dtype, rng)
        self.tgt_embed = Embedder(len(target_vocab), d_model, 16, True, dtype, rng)
        self.encoder = [TransformerBlock(d_model, num_heads, ff_dim, dtype, rng)
                        for _ in range(check_int(num_layers, "num_layers"))]
        self.decoder = [DecoderBlock(d_model, num_heads, ff_dim, dtype, rng)
                        for _ in range(num_layers)]
        self.readout = Dense(len(target_vocab), dtype=dtype)
        self.readout.build((None, d_model), rng)
        self.layers = [self.src_embed, *self.encoder, self.tgt_embed, *self.decoder,
                       self.readout]

    def source_ids(self, texts: Sequence[str]) -> np.ndarray:
        return encode_sources(self.src, texts, max(self.Tx, *(len(t) for t in texts)))

    def encode(self, src_ids):
        mask = src_ids != self.src.pad
        h = self.src_embed.forward(src_ids)
        for block in self.encoder:
            h = block.forward(h, mask)
        return h, mask

    def decode_logits(self, enc, mask, y_in):
        x = self.tgt_embed.forward(y_in)
        for block in self.decoder:
            x = block.forward(x, enc, mask)
        return self.readout.forward(x)

    def loss_and_grads(self, batch):
        """batch = (source ids (N, Tx), targets (N, Ty)) -> (cross-entropy, grads)."""
        src_ids, y = batch
        y_in = np.full_like(y, self.tgt.eos)
        y_in[:, 1:] = y[:, :-1]
        with blas_threads(1):
            enc, mask = self.encode(src_ids)
            loss, dz = sequence_crossentropy(softmax(self.decode_logits(enc, mask, y_in)), y)
            d, denc = self.readout.backward(dz), 0.0
            for block in reversed(self.decoder):
                d, de = block.backward(d)
                denc = denc + de
            self.tgt_embed.backward(d)
            for block in reversed(self.encoder):
                denc = block.backward(denc)
            self.src_embed.backward(denc)
        return loss, self.grads

    def greedy(self, src_ids, max_len: int = 11) -> np.ndarray:
        """(N, max_len) ids, each step re-reading the prefix written so far."""
        with blas_threads(1):
            enc, mask = self.encode(src_ids)
            ids = np.full((len(src_ids), 1), self.tgt.eos)
            for _ in range(max_len):
                z = self.decode_logits(enc, mask, ids)[:, -1]
                ids = np.concatenate([ids, z.argmax(1)[:, None]], axis=1)
        return ids[:, 1:]

    def translate(self, texts: Sequence[str], beam_width: int = 1,
                  batch_size: int = 500) -> list[str]:
        """ISO dates by greedy decoding (``beam_width`` must be 1)."""
        if beam_width != 1:
            raise ValueError(f"beam_width: TransformerTranslator decodes greedily (1), got "
                             f"{beam_width!r}")
        texts = list(texts)
        return [decode(self.tgt, row) for i in range(0, len(texts), batch_size)
                for row in self.greedy(self.source_ids(texts[i:i + batch_size]))]
