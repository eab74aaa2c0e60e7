"""The transformer (chapter 14): a decoder-only character language model and an encoder-decoder
for the dates of chapter 13, built from the blocks of ``companion.nn.layers.transformer``.

    lm = TransformerLM(vocab, d_model=32, num_heads=2, num_layers=2)   # causal self-attention
    train_lm(lm, train_names, epochs=10, validation_data=val_names)
    lm.loss(val_names)            # nats per character, as chapter 10's CharLanguageModel

A model is a ``Block`` (as ``Sequential`` is): its sub-layers (``embed``, ``block1``, ...,
``readout``) in Keras' weight order, ``get_weights``/``set_weights`` across all of them, and
``params``/``grads`` dicts (by ``"<sublayer>.<name>"``), the training protocol of
``companion.nn.train``.
Token embeddings are scaled by sqrt(d_model) and added to sinusoidal positional encodings
(``positional=False`` leaves them out: self-attention alone is blind to order). With
``norm_first=True`` (pre-LN) a last layer norm comes before the read-out, as in GPT-2. The
language model reads <EOS> first (a name starts after the previous one ends) and predicts every
character and the final <EOS>, exactly the characters chapter 10's models are scored on.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from companion.data.dates import decode, encode_sources
from companion.data.text import Vocabulary, check_vocabulary, encode_padded
from companion.models.char_lm import name_list
from companion.models.checks import check_texts
from companion.models.decoding import beam_search
from companion.nn import optim
from companion.nn.activations import log_softmax, sample_from_logits, softmax
from companion.nn.layers.composite import Block
from companion.nn.layers.dense import Dense
from companion.nn.layers.layer_norm import LayerNormalization
from companion.nn.layers.transformer import DecoderBlock, PositionalEmbedding, TransformerBlock
from companion.nn.losses import smoothed_sequence_crossentropy
from companion.nn.threads import blas_threads
from companion.nn.train import (
    EpochMeanLoss,
    EpochMetric,
    check_callbacks,
    minibatches,
    seeded,
    train_loop,
)
from companion.nn.validation import (
    check_int,
    check_interval,
    check_non_negative,
    check_string,
    rng_from,
)


class _Model(Block):
    """A model made of named sub-layers, trained through the ``params``/``grads`` dicts."""

    def _add(self, name: str, layer, input_shape, rng):
        layer.name = name
        layer.build(input_shape, rng)
        self.sublayers[name] = layer
        return layer

    def _blocks(self, prefix: str, cls, n: int, d_model: int, num_heads: int, ff_dim: int,
                rng) -> list:
        return [self._add(f"{prefix}{i + 1}", cls(d_model, num_heads, ff_dim, self.norm_first,
                                                 self.dropout, self.attention_dropout,
                                                 dtype=self.dtype), (None, d_model), rng)
                for i in range(check_int(n, "num_layers"))]

    def _final_norm(self, name: str, d_model: int, rng):
        """pre-LN's last layer norm (None for post-LN)."""
        return self._add(name, LayerNormalization(dtype=self.dtype), (None, d_model), rng) \
            if self.norm_first else None


def _norm(layer, x, backward: bool = False):
    if layer is None:
        return x
    return layer.backward(x) if backward else layer.forward(x)


class TransformerLM(_Model):
    """A decoder-only transformer over characters: causal self-attention blocks.

    ``TransformerLM(vocab, d_model=32, num_heads=2, num_layers=2, ff_dim=64, max_len=24,
    positional=True, norm_first=False, dropout=0.0, label_smoothing=0.0, seed=0,
    dtype="float32")``: ``dropout`` on each residual branch and ``label_smoothing`` of the
    training targets act in ``train_lm`` only; ``loss`` always scores the plain -log p.
    """

    def __init__(self, vocab: Vocabulary, d_model: int = 32, num_heads: int = 2,
                 num_layers: int = 2, ff_dim: int = 64, max_len: int = 24,
                 positional: bool = True, norm_first: bool = False, dropout: float = 0.0,
                 label_smoothing: float = 0.0, seed=0, dtype="float32", name: str | None = None,
                 attention_dropout: float = 0.0):
        self._setup(name, dtype)
        rng, vocab = rng_from(seed), check_vocabulary(vocab)
        self.vocab, self.norm_first, self.dropout, self.sublayers = vocab, norm_first, dropout, {}
        self.attention_dropout = attention_dropout
        self.label_smoothing = check_interval(label_smoothing, "label_smoothing", 0, 1)
        self.embed = self._add("embed", PositionalEmbedding(len(vocab), d_model, max_len,
                                                            positional, dtype=dtype), (None,), rng)
        self.blocks = self._blocks("block", TransformerBlock, num_layers, d_model, num_heads,
                                   ff_dim, rng)
        self.final_norm = self._final_norm("final_norm", d_model, rng)
        self.readout = self._add("readout", Dense(len(vocab), dtype=dtype), (None, d_model), rng)
        self.training = False
        super().build((None,), rng)

    def inputs(self, y):
        """Targets (N, T) -> input ids (N, T): <EOS>, then y shifted right by one."""
        x = np.full_like(y, self.vocab.eos)
        x[:, 1:] = y[:, :-1]
        return x

    def logits(self, x_ids, training: bool = False):
        """Input ids (N, T) -> next-character scores (N, T, V)."""
        h = self.embed.forward(x_ids)
        for block in self.blocks:
            h = block.forward(h, training, causal=True)
        return self.readout.forward(_norm(self.final_norm, h))

    def loss_and_grads(self, batch):
        """batch = (targets (N, T), mask (N, T)) -> (nats per character, grads)."""
        y, mask = batch
        with blas_threads(1):
            z = self.logits(self.inputs(y), training=self.training)
            loss, dz = smoothed_sequence_crossentropy(softmax(z), y, mask, self.label_smoothing)
            d = _norm(self.final_norm, self.readout.backward(dz), backward=True)
            for block in reversed(self.blocks):
                d = block.backward(d)
            self.embed.backward(d)
        return loss, self.grads

    def log_likelihood(self, names: Sequence[str], batch_size: int = 1024) -> tuple[float, int]:
        total, count = 0.0, 0
        for i in range(0, len(names), batch_size):
            y, mask = encode_padded(self.vocab, names[i:i + batch_size], add_eos=True)
            with blas_threads(1):
                logp = log_softmax(self.logits(self.inputs(y)).astype(np.float64))
            total += float(np.sum(np.take_along_axis(logp, y[..., None], -1)[..., 0] * mask))
            count += int(mask.sum())
        return total, count

    def loss(self, names: Sequence[str]) -> float:
        """Mean -log p per character (incl. each name's <EOS>), in nats."""
        total, count = self.log_likelihood(name_list(names, "names"))
        return -total / count

    def sample(self, rng, n: int = 1, temperature: float = 1.0, max_len: int = 20) -> list[str]:
        """``n`` names drawn character by character (T=0: the most probable one)."""
        rng, n, max_len = rng_from(rng), check_int(n, "n"), check_int(max_len, "max_len")
        temperature = check_non_negative(temperature, "temperature")
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
        y, _ = encode_padded(self.vocab, [check_string(name, "name")], add_eos=True)
        self.logits(self.inputs(y))
        return [b.sublayers["attention"].attention_weights[0] for b in self.blocks]


def train_lm(lm: TransformerLM, names: Sequence[str], epochs: int = 10, batch_size: int = 64,
             optimizer=None, validation_data: Sequence[str] | None = None, seed=None, rng=None,
             callbacks: Sequence = (), clipnorm: float | None = 1.0) -> dict:
    """Train on shuffled batches of right-padded names (dropout and label smoothing on), with
    ``fit``'s signature; ``optimizer`` defaults to Adam(3e-3), ``seed`` (or ``rng``) to 0.
    History: ``loss`` per epoch and, with ``validation_data`` (names), ``val_loss``."""
    if not isinstance(lm, TransformerLM):
        raise TypeError(f"lm: expected a TransformerLM, got {type(lm).__name__}")
    names = name_list(names, "names")
    if validation_data is not None:
        validation_data = name_list(validation_data, "validation_data")
    rng = seeded(0 if seed is None and rng is None else seed, rng)
    y_all, mask_all = encode_padded(lm.vocab, names, add_eos=True)
    bs = check_int(batch_size, "batch_size")

    def batches(epoch):
        for idx in minibatches(len(y_all), bs, rng):
            T = int(mask_all[idx].sum(1).max())
            yield y_all[idx, :T], mask_all[idx, :T]
    cbs = [EpochMeanLoss()]
    if validation_data is not None:
        cbs.append(EpochMetric("val_loss", lambda: lm.loss(validation_data)))
    lm.training = True                          # dropout in loss_and_grads, never in loss()
    try:
        return train_loop(lm, batches, optim.Adam(3e-3) if optimizer is None else
                          optim.get(optimizer), epochs, cbs + check_callbacks(callbacks),
                          clipnorm=clipnorm)
    finally:
        lm.training = False


SOURCE_POSITIONS = 64    # the translator's source position table (dates are at most 29 long)


class TransformerTranslator(_Model):
    """An encoder-decoder transformer for chapter 13's dates, trained and scored with
    ``companion.models.seq2seq.train`` / ``evaluate`` (same interface as ``Seq2Seq``).

    Encoder: embeddings + positions, ``num_layers`` self-attention blocks over the source
    (padding masked). Decoder: embeddings + positions of <EOS> + the target shifted right,
    ``num_layers`` decoder blocks (causal self-attention, cross-attention), Dense read-out.
    """

    def __init__(self, source_vocab: Vocabulary, target_vocab: Vocabulary, d_model: int = 32,
                 num_heads: int = 2, num_layers: int = 1, ff_dim: int = 64,
                 max_source_length: int = 29, norm_first: bool = False, dropout: float = 0.0,
                 label_smoothing: float = 0.0, seed=0, dtype="float32", name: str | None = None,
                 attention_dropout: float = 0.0, positional: bool = True):
        self._setup(name, dtype)
        rng = rng_from(seed)
        self.src, self.tgt = check_vocabulary(source_vocab, "source_vocab"), check_vocabulary(
            target_vocab, "target_vocab")
        self.Tx = check_int(max_source_length, "max_source_length")
        if self.Tx > SOURCE_POSITIONS:
            raise ValueError(f"max_source_length must be at most {SOURCE_POSITIONS} (the source "
                             f"positions the encoder embeds), got {max_source_length}")
        self.norm_first, self.dropout, self.sublayers, self.training = norm_first, dropout, {}, False
        self.label_smoothing = check_interval(label_smoothing, "label_smoothing", 0, 1)
        self.attention_dropout = attention_dropout
        args = (num_layers, d_model, num_heads, ff_dim, rng)
        self.src_embed = self._add("src_embed", PositionalEmbedding(
            len(source_vocab), d_model, SOURCE_POSITIONS, positional, dtype=dtype), (None,), rng)
        self.encoder = self._blocks("encoder", TransformerBlock, *args)
        self.enc_norm = self._final_norm("encoder_norm", d_model, rng)
        self.tgt_embed = self._add("tgt_embed", PositionalEmbedding(
            len(target_vocab), d_model, 16, positional, dtype=dtype), (None,), rng)
        self.decoder = self._blocks("decoder", DecoderBlock, *args)
        self.dec_norm = self._final_norm("decoder_norm", d_model, rng)
        self.readout = self._add("readout", Dense(len(target_vocab), dtype=dtype),
                                 (None, d_model), rng)
        super().build((None,), rng)

    def source_ids(self, texts: Sequence[str]) -> np.ndarray:
        texts = check_texts(texts, "texts")
        return encode_sources(self.src, texts, max(self.Tx, *(len(t) for t in texts)))

    def encode(self, src_ids, training: bool = False):
        """Source ids (N, S) -> (encoder output (N, S, d), mask (N, S) of the real positions)."""
        mask = src_ids != self.src.pad
        h = self.src_embed.forward(src_ids)
        for block in self.encoder:
            h = block.forward(h, training, mask=mask)
        return _norm(self.enc_norm, h), mask

    def decode_logits(self, enc, mask, y_in, training: bool = False):
        x = self.tgt_embed.forward(y_in)
        for block in self.decoder:
            x = block.forward(x, enc, training, context_mask=mask)
        return self.readout.forward(_norm(self.dec_norm, x))

    def decoder_inputs(self, y) -> np.ndarray:
        """Teacher forcing: targets (N, Ty) ids -> decoder input ids (N, Ty): <EOS> (the start
        token), then the TRUE target shifted right by one (y<t-1> at step t)."""
        y_in = np.full_like(y, self.tgt.eos)
        y_in[:, 1:] = y[:, :-1]
        return y_in

    def logits(self, src_ids, y) -> np.ndarray:
        """Teacher-forced scores (N, Ty, V) of targets y (N, Ty) (inference mode: no dropout);
        ``seq2seq.train``'s validation loss calls it."""
        with blas_threads(1):
            enc, mask = self.encode(src_ids)
            return self.decode_logits(enc, mask, self.decoder_inputs(y))

    def loss_and_grads(self, batch):
        """batch = (source ids (N, Tx), targets (N, Ty)) -> (cross-entropy, grads); dropout
        acts when ``training`` is set (``train_translator`` sets it)."""
        src_ids, y = batch
        y_in = self.decoder_inputs(y)
        with blas_threads(1):
            enc, mask = self.encode(src_ids, self.training)
            z = self.decode_logits(enc, mask, y_in, self.training)
            loss, dz = smoothed_sequence_crossentropy(softmax(z), y, None, self.label_smoothing)
            d, denc = _norm(self.dec_norm, self.readout.backward(dz), backward=True), 0.0
            for block in reversed(self.decoder):
                d, de = block.backward(d)
                denc = denc + de
            self.tgt_embed.backward(d)
            denc = _norm(self.enc_norm, denc, backward=True)
            for block in reversed(self.encoder):
                denc = block.backward(denc)
            self.src_embed.backward(denc)
        return loss, self.grads

    def next_logits(self, enc, mask, prefix) -> np.ndarray:
        """Scores (N, V) of the next target id after ``prefix`` (N, t) (starting with <EOS>)."""
        return self.decode_logits(enc, mask, prefix)[:, -1]

    def greedy(self, src_ids, max_len: int = 11) -> np.ndarray:
        """(N, max_len) ids, each step re-reading the prefix written so far."""
        with blas_threads(1):
            enc, mask = self.encode(src_ids)
            ids = np.full((len(src_ids), 1), self.tgt.eos)
            for _ in range(max_len):
                z = self.next_logits(enc, mask, ids)
                ids = np.concatenate([ids, z.argmax(1)[:, None]], axis=1)
        return ids[:, 1:]

    def start(self, src_ids) -> dict:
        """The decoder's state for ``companion.models.decoding``: the encoder's output and
        source mask (N rows each), computed once; the step re-reads the prefix."""
        with blas_threads(1):
            enc, mask = self.encode(src_ids)
        return {"enc": enc, "mask": mask}

    def decoder_step(self, tokens, state):
        """``decoding``'s step: tokens (R, t) written so far -> (log P(next) (R, V), state)."""
        prefix = np.concatenate([np.full((len(tokens), 1), self.tgt.eos), tokens], axis=1)
        with blas_threads(1):
            z = self.next_logits(state["enc"], state["mask"], prefix).astype(np.float64)
        return log_softmax(z), state

    def translate(self, texts: Sequence[str], beam_width: int = 1, alpha: float = 0.7,
                  batch_size: int = 500) -> list[str]:
        """ISO dates: greedy (``beam_width=1``) or the best hypothesis of the shared beam search
        (``companion.models.decoding.beam_search``: finished only on <EOS>, length-normalised
        by ``alpha``)."""
        texts = check_texts(texts, "texts")
        beam_width, batch_size = check_int(beam_width, "beam_width"), check_int(batch_size,
                                                                                "batch_size")
        out = []
        for i in range(0, len(texts), batch_size):
            src = self.source_ids(texts[i:i + batch_size])
            if beam_width == 1:
                out += [decode(self.tgt, row) for row in self.greedy(src)]
            else:
                out += [decode(self.tgt, h[0].tokens) for h in beam_search(
                    self.decoder_step, self.start(src), beam_width, max_len=11,
                    eos=self.tgt.eos, alpha=alpha)]
        return out


def train_translator(model: TransformerTranslator, pairs, **kwargs) -> dict:
    """``companion.models.seq2seq.train`` (same arguments and history) with the model's
    dropout (residual and attention) switched on for the training passes only."""
    from companion.models.seq2seq import train
    if not isinstance(model, TransformerTranslator):
        raise TypeError(f"model: expected a TransformerTranslator, got {type(model).__name__}")
    model.training = True
    try:
        return train(model, pairs, **kwargs)
    finally:
        model.training = False
