"""A character encoder-decoder, with or without additive attention (chapter 13).

    model = Seq2Seq(data.source_vocab, data.target_vocab, units=32, attention=True, seed=0)
    history = train(model, data.train, optimizer=Adam(0.01), validation_data=data.dev,
                    epochs=10, callbacks=[EarlyStopping(monitor="val_loss", patience=2)])
    model.translate(["the 3rd of March 1998"])           # ['1998-03-03'] (greedy)
    model.translate(["3/3/98"], beam_width=3)             # beam search (models.decoding)
    evaluate(model, data.test)                            # {'exact': ..., 'per_position': ...}

Encoder: a bidirectional GRU reads the left-padded one-hot source x (N, Tx, Vs) into
annotations h_j = [h->_j ; h<-_j] (N, Tx, 2u). Decoder: a GRU of 2u units starts from
s_0 = [h->_Tx ; h<-_1] (both directions' final states) and reads the previous target character
(a zero vector first, then the true one during training: teacher forcing). With attention, its
state s_t queries the annotations (additive scores, padding masked out) for a context c_t, and
the read-out sees [s_t ; c_t]; without, it sees s_t only, so the whole date must pass through
s_0. (The query is the current state s_t, Luong's placement of Bahdanau's score: the decoder
GRU then runs over all target steps at once while training, and attention is one batched call.
``score="general"`` or ``"dot"`` swaps the additive score for Luong's multiplicative ones.
``placement="before"`` is Bahdanau's own: query with s_{t-1} and feed c_t into the GRU with
the previous character, ``nn.layers.attentive_gru``; the read-out still sees [s_t ; c_t].)
Loss: mean cross-entropy over the 11 target positions (10 characters and <EOS>).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from companion.data.dates import decode, encode_sources, encode_targets
from companion.data.text import Vocabulary
from companion.models import decoding
from companion.models.checks import (  # noqa: F401 (check_* re-exported: seq2seq.check_texts)
    check_ids,
    check_pairs,
    check_texts,
    check_translator,
)
from companion.models.decoding import beam_step, sequence_logprob  # noqa: F401 (re-export)
from companion.nn import optim
from companion.nn.activations import log_softmax, softmax
from companion.nn.layers.attention import BahdanauAttention, additive_attention_forward
from companion.nn.layers.attentive_gru import (
    ATTENTION_PARAMS,
    attend,
    attentive_gru_backward,
    attentive_gru_forward,
)
from companion.nn.layers.bidirectional import Bidirectional
from companion.nn.layers.dense import Dense
from companion.nn.layers.gru import GRU
from companion.nn.layers.luong import SCORES, LuongAttention, luong_attention_forward
from companion.nn.losses import sequence_crossentropy
from companion.nn.threads import blas_threads
from companion.nn.train import Callback, EpochMeanLoss, check_callbacks, minibatches, train_loop
from companion.nn.validation import check_bool, check_int, check_non_negative, rng_from


def teacher_forcing_inputs(y: np.ndarray, V: int, dtype=np.float64) -> np.ndarray:
    """Targets (N, Ty) ids -> decoder inputs (N, Ty, V): a zero vector at t = 0 (nothing read
    yet), then one-hot(y<t-1>): the decoder reads the TRUE previous character."""
    y, V = check_ids(y, "y", check_int(V, "V")), int(V)
    x = np.zeros(y.shape + (V,), dtype=dtype)
    x[:, 1:] = np.eye(V, dtype=dtype)[y[:, :-1]]
    return x


class Seq2Seq:
    """Bidirectional GRU encoder, GRU decoder, optional additive attention, Dense read-out."""

    def __init__(self, source_vocab: Vocabulary, target_vocab: Vocabulary, units: int = 32,
                 attention: bool = True, attention_units: int | None = None, seed=0,
                 dtype=np.float32, max_source_length: int = 29, score: str = "additive",
                 placement: str = "after"):
        for vocab, name in ((source_vocab, "source_vocab"), (target_vocab, "target_vocab")):
            if not isinstance(vocab, Vocabulary):
                raise TypeError(f"{name}: expected a companion.data.text.Vocabulary (e.g. "
                                f"data.{name}), got {type(vocab).__name__}")
        check_int(units, "units")
        check_int(max_source_length, "max_source_length")
        if not any(dtype is d or dtype == d for d in (np.float32, np.float64)):
            raise TypeError(f"dtype must be float32 or float64, got {dtype!r}")
        attention = check_bool(attention, "attention")
        if attention_units is not None:
            check_int(attention_units, "attention_units")
        if score not in SCORES:
            raise ValueError(f"score must be one of {SCORES}, got {score!r}")
        if placement not in ("after", "before"):
            raise ValueError(f"placement must be 'after' (Luong's: attend with s_t after the "
                             f"GRU step) or 'before' (Bahdanau's), got {placement!r}")
        if not attention and (score != "additive" or attention_units is not None):
            raise ValueError(f"score={score!r} and attention_units={attention_units!r} describe "
                             "the attention; with attention=False leave them at their defaults")
        if attention_units is not None and score != "additive":
            raise ValueError(f"attention_units={attention_units!r} sizes the additive score's "
                             f"hidden layer; score={score!r} has none (leave it None)")
        if placement == "before" and not attention:
            raise ValueError("placement='before' feeds the attention context into the GRU: it "
                             "needs attention=True")
        self.score, self.placement = score, placement
        rng = rng_from(seed)
        self.src, self.tgt, self.u = source_vocab, target_vocab, int(units)
        self.Tx, self.dtype = int(max_source_length), np.dtype(dtype)
        Vs, Vt, u = len(source_vocab), len(target_vocab), self.u
        dt = self.dtype.name
        self.encoder = Bidirectional(GRU(u, return_sequences=True, return_state=True, dtype=dt))
        self.encoder.build((None, Vs), rng)
        self.decoder = GRU(2 * u, return_sequences=True, dtype=dt)
        self.decoder.build((None, Vt + (2 * u if placement == "before" else 0)), rng)
        self.attention = None
        if attention:
            self.attention = BahdanauAttention(attention_units or u, dtype=dt) \
                if score == "additive" else LuongAttention(score, dtype=dt)
            self.attention.build(((None, 2 * u), (None, 2 * u)), rng)
        self.readout = Dense(Vt, dtype=dt)
        self.readout.build((None, 4 * u if attention else 2 * u), rng)

    @property
    def layers(self) -> list:
        return [x for x in (self.encoder, self.decoder, self.attention, self.readout) if x]

    def _named_layers(self):
        return [(n, getattr(self, n)) for n in ("encoder", "decoder", "attention", "readout")
                if getattr(self, n)]

    @property
    def params(self) -> dict[str, np.ndarray]:
        """The trainable arrays by ``"<part>.<weight>"`` (the Trainable protocol)."""
        return {f"{n}.{k}": p for n, layer in self._named_layers()
                for k, p in layer.params.items()}

    @property
    def grads(self) -> dict[str, np.ndarray]:
        return {f"{n}.{k}": g for n, layer in self._named_layers()
                for k, g in layer.grads.items()}

    # -- data ------------------------------------------------------------------------------
    def source_ids(self, texts: Sequence[str]) -> np.ndarray:
        """Written dates -> (N, Tx) ids, left-padded (longer texts widen Tx for this call)."""
        texts = check_texts(texts, "texts")
        return encode_sources(self.src, texts, max(self.Tx, *(len(t) for t in texts)))

    def _one_hot(self, ids, vocab):
        return np.eye(len(vocab), dtype=self.dtype)[ids]

    def decoder_inputs(self, y: np.ndarray) -> np.ndarray:
        """Teacher forcing: targets (N, Ty) -> inputs (N, Ty, Vt): 0, then one-hot(y<t-1>)."""
        return teacher_forcing_inputs(y, len(self.tgt), self.dtype)

    # -- training pass ----------------------------------------------------------------------
    def encode(self, src_ids):
        """(N, Tx) ids -> (annotations H (N, Tx, 2u), s_0 (N, 2u), mask (N, Tx))."""
        H, hf, hb = self.encoder.forward(self._one_hot(src_ids, self.src))
        return H, np.concatenate([hf, hb], axis=1), src_ids != self.src.pad

    def logits(self, src_ids, y):
        """Teacher-forced scores (N, Ty, Vt) for targets y (N, Ty)."""
        H, s0, mask = self.encode(src_ids)
        if self.placement == "before":
            (S, C, _), self._before = attentive_gru_forward(
                self.decoder_inputs(y), s0, H, mask, self.decoder.params, self.attention.params,
                self.score)
            self._shapes = H.shape
            return self.readout.forward(np.concatenate([S, C], axis=-1))
        S = self.decoder.forward(self.decoder_inputs(y), initial_state=s0)      # (N, Ty, 2u)
        if self.attention is not None:
            S = np.concatenate([S, self.attention.forward(S, H, mask)], axis=-1)
        self._shapes = H.shape
        return self.readout.forward(S)

    def loss_and_grads(self, batch) -> tuple[float, list[np.ndarray]]:
        """batch = (source ids (N, Tx), targets (N, Ty)) -> (mean cross-entropy per target
        character, gradients by the names of ``params``)."""
        src_ids, y = batch
        with blas_threads(1):
            z = self.logits(src_ids, y)
            loss, dz = sequence_crossentropy(softmax(z), y)
            dS = self.readout.backward(dz)
            dH = np.zeros(self._shapes, dtype=dS.dtype)
            if self.placement == "before":
                (_, ds0, dH), grads = attentive_gru_backward(
                    (dS[..., :2 * self.u], dS[..., 2 * self.u:]), self._before)
                self.decoder.grads = {k: g for k, g in zip(("kernel", "recurrent_kernel", "bias"),
                                                           grads) if g is not None}
                self.attention.grads = dict(zip(ATTENTION_PARAMS[self.score], grads[3:]))
                self.encoder.backward([dH, ds0[:, :self.u], ds0[:, self.u:]])
                return float(loss), self.grads
            if self.attention is not None:
                dS, dC = dS[..., :2 * self.u], dS[..., 2 * self.u:]
                dS_att, dH = self.attention.backward(dC)
                dS = dS + dS_att
            self.decoder.backward(dS)
            ds0 = self.decoder.dinitial_state
            self.encoder.backward([dH, ds0[:, :self.u], ds0[:, self.u:]])
        return float(loss), self.grads

    # -- decoding ---------------------------------------------------------------------------
    def start(self, src_ids):
        """Encode for decoding: the state a decoder step needs (N rows, one per source)."""
        with blas_threads(1):
            H, s0, mask = self.encode(src_ids)
        kproj = H @ self.attention.params["key_kernel"] \
            if self.attention and not isinstance(self.attention, LuongAttention) else None
        maps = np.zeros(mask.shape[:1] + (0,) + mask.shape[1:], self.dtype) \
            if self.attention else None
        return {"H": H, "s": s0, "mask": mask, "kproj": kproj, "maps": maps}

    def step(self, enc: dict, s, prev):
        """One decoder step for a batch: state s (B, 2u), previous ids (B,) or None (first step).

        ``enc`` rows must match the batch. Returns (log-probabilities (B, Vt), new state (B, 2u),
        attention weights (B, Tx) or None).
        """
        x = np.zeros((len(s), 1, len(self.tgt)), dtype=self.dtype)
        if prev is not None:
            x[:, 0] = self._one_hot(prev, self.tgt)
        if self.placement == "before":
            return self._step_before(enc, s, x)
        with blas_threads(1):
            out = self.decoder.forward(x, initial_state=s)                     # (B, 1, 2u)
            weights = None
            if self.attention is not None:
                p = self.attention.params
                if isinstance(self.attention, LuongAttention):
                    c, cache = luong_attention_forward(out, enc["H"], p.get("kernel"),
                                                       enc["mask"])
                else:
                    c, cache = additive_attention_forward(out, enc["H"], p["query_kernel"],
                                                          p["key_kernel"], p["scale"],
                                                          enc["mask"], projected_keys=enc["kproj"])
                out, weights = np.concatenate([out, c], axis=-1), cache.weights[:, 0]
            z = self.readout.forward(out)[:, 0]
        return log_softmax(z.astype(np.float64)), self.decoder.final_state, weights

    def _step_before(self, enc: dict, s, x):
        """``step`` with the context before the GRU: c = attend(s, H), s' = GRU(s, [x ; c])."""
        with blas_threads(1):
            (c, weights), _ = attend(self.score, s, enc["H"], self.attention.params, enc["mask"],
                                   enc["kproj"])
            out = self.decoder.forward(np.concatenate([x, c[:, None]], axis=-1), initial_state=s)
            z = self.readout.forward(np.concatenate([out, c[:, None]], axis=-1))[:, 0]
        return log_softmax(z.astype(np.float64)), self.decoder.final_state, weights

    def decoder_step(self, tokens: np.ndarray, state: dict):
        """The step function of ``companion.models.decoding``: prefixes (R, t) and the state of
        ``start`` -> (log P(next) (R, Vt), the state after reading them; ``maps`` gains the
        step's attention weights)."""
        logp, s, w = self.step(state, state["s"], tokens[:, -1] if tokens.shape[1] else None)
        new = dict(state, s=s)
        if w is not None:
            new["maps"] = np.concatenate([state["maps"], w[:, None]], axis=1)
        return logp, new

    def greedy(self, src_ids, max_len: int = 11):
        """Most probable character at every step. Returns (ids (N, max_len), weights
        (N, max_len, Tx) or None)."""
        enc, prev = self.start(src_ids), None
        s, ids, maps = enc["s"], [], []
        for _ in range(max_len):
            logp, s, w = self.step(enc, s, prev)
            prev = logp.argmax(axis=1)
            ids.append(prev)
            maps.append(w)
        return np.stack(ids, 1), (np.stack(maps, 1) if self.attention else None)

    def translate(self, texts: Sequence[str], beam_width: int = 1, alpha: float = 0.7,
                  batch_size: int = 500) -> list[str]:
        """ISO dates for written dates: greedy (beam_width=1) or beam search (the best
        hypothesis; see ``beam_search``)."""
        texts = check_texts(texts, "texts")
        check_int(beam_width, "beam_width")
        check_int(batch_size, "batch_size")
        check_non_negative(alpha, "alpha")
        if beam_width > 1:
            return [h[0].text for h in beam_search(self, texts, beam_width, alpha=alpha,
                                                   batch_size=batch_size)]
        out = []
        for i in range(0, len(texts), batch_size):
            ids, _ = self.greedy(self.source_ids(texts[i:i + batch_size]))
            out += [decode(self.tgt, row) for row in ids]
        return out

    def log_prob(self, texts: Sequence[str], outputs: Sequence[str]) -> np.ndarray:
        """log P(output + <EOS> | text) for each pair (N,), by teacher forcing."""
        texts, outputs = check_texts(texts, "texts"), check_texts(outputs, "outputs")
        if len(texts) != len(outputs):
            raise ValueError(f"texts and outputs: expected as many outputs as texts, got "
                             f"{len(outputs)} and {len(texts)}")
        for i, o in enumerate(outputs):
            bad = [c for c in o if c not in self.tgt]
            if bad:
                raise ValueError(f"outputs[{i}] = {o!r} has characters the model cannot write "
                                 f"({''.join(bad)!r}); its vocabulary is {self.tgt.itos}")
        seqs = [[self.tgt.index(c) for c in o] + [self.tgt.eos] for o in outputs]
        return sequence_logprob(self.decoder_step, self.start(self.source_ids(texts)), seqs)


class Translation(NamedTuple):
    text: str                   # the ISO date written (up to <EOS>)
    logp: float                 # log P(characters | source)
    score: float                # logp / length^alpha: the beam's ranking
    finished: bool              # ended with <EOS> (False: cut off at max_len)
    weights: np.ndarray | None  # attention weights (length, Tx), or None without attention


def beam_search(model: Seq2Seq, texts: Sequence[str], k: int = 3, max_len: int = 11,
                alpha: float = 0.7, batch_size: int = 500) -> list[list[Translation]]:
    """``companion.models.decoding.beam_search`` on the model's decoder step, for each written
    date: at most ``k`` Translations, best first (finished ones by score, then any cut off at
    ``max_len`` characters without <EOS>)."""
    texts, model = check_texts(texts, "texts"), check_translator(model)
    out = []
    for i in range(0, len(texts), check_int(batch_size, "batch_size")):
        state = model.start(model.source_ids(texts[i:i + batch_size]))
        for hyps in decoding.beam_search(model.decoder_step, state, k, max_len,
                                         model.tgt.eos, alpha):
            out.append([Translation(decode(model.tgt, h.tokens), h.logp, h.score, h.finished,
                                    None if h.state["maps"] is None else h.state["maps"][0])
                        for h in hyps])
    return out


# -- accuracy and training ------------------------------------------------------------------------
def evaluate(model: Seq2Seq, pairs: Sequence[tuple[str, str]], beam_width: int = 1) -> dict:
    """Exact-match accuracy (the whole ISO date right) and per-position accuracy (the share of
    the 10 characters right at their place) of the model's translations."""
    pairs, model = check_pairs(pairs, "pairs"), check_translator(model, methods=("translate",))
    pred = model.translate([s for s, _ in pairs], beam_width=beam_width)
    true = [t for _, t in pairs]
    exact = np.mean([p == t for p, t in zip(pred, true)])
    pos = np.mean([[i < len(p) and p[i] == c for i, c in enumerate(t)] for p, t in zip(pred, true)])
    return {"exact": float(exact), "per_position": float(pos), "predictions": pred}


class _Validation(Callback):
    """history["val_loss"] (teacher-forced cross-entropy per character) and
    ["val_accuracy"] (greedy exact match) on the validation pairs, after each epoch."""

    def __init__(self, model: Seq2Seq, pairs):
        self.model, self.pairs = model, pairs
        self.batch = (model.source_ids([s for s, _ in pairs]),
                      encode_targets(model.tgt, [t for _, t in pairs]))

    def on_epoch_end(self, epoch, history):
        with blas_threads(1):
            z = self.model.logits(*self.batch)
        loss, _ = sequence_crossentropy(softmax(z), self.batch[1])
        history.setdefault("val_loss", []).append(float(loss))
        history.setdefault("val_accuracy", []).append(evaluate(self.model, self.pairs)["exact"])
        return False


def train(model: Seq2Seq, pairs: Sequence[tuple[str, str]], optimizer=None,
          validation_data: Sequence[tuple[str, str]] | None = None, epochs: int = 10,
          batch_size: int = 64, seed: int | None = None, rng=None, callbacks=(),
          clipnorm: float | None = 5.0) -> dict:
    """Teacher-forced mini-batches (``nn.train.minibatches``) through the package's
    ``train_loop``: the course's one training signature.

    optimizer: an Optimizer or its name (default ``Adam(0.01)``); validation_data: pairs that
    add ``val_loss`` and ``val_accuracy`` (greedy exact match) to the history each epoch, for
    ``callbacks=[EarlyStopping(monitor="val_loss", patience=2)]``; ``seed`` or ``rng`` (not
    both; default seed 0) draws the batch order. History: per step ``batch_loss``, per epoch
    ``loss`` (mean of its batch losses). A NaN/inf loss raises DivergenceError.
    """
    pairs, model = check_pairs(pairs, "pairs"), check_translator(model)
    if validation_data is not None:
        validation_data = check_pairs(validation_data, "validation_data")
    check_int(epochs, "epochs")
    check_int(batch_size, "batch_size")
    if seed is not None and rng is not None:
        raise ValueError("seed and rng: pass one of them, not both")
    rng = rng_from(rng if rng is not None else 0 if seed is None else seed)
    optimizer = optim.Adam(0.01) if optimizer is None else optim.get(optimizer)
    callbacks = check_callbacks(callbacks)
    src = model.source_ids([s for s, _ in pairs])
    y = encode_targets(model.tgt, [t for _, t in pairs])

    def batches(epoch):
        for idx in minibatches(len(src), batch_size, rng):
            yield src[idx], y[idx]
    first = [EpochMeanLoss()] + ([_Validation(model, validation_data)]
                                 if validation_data is not None else [])
    return train_loop(model, batches, optimizer, epochs, first + list(callbacks),
                      clipnorm=clipnorm)
