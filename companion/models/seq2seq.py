"""A character encoder-decoder, with or without additive attention (chapter 13).

    model = Seq2Seq(data.source_vocab, data.target_vocab, units=32, attention=True, seed=0)
    history = train(model, data.train, epochs=10, dev=data.dev)
    model.translate(["the 3rd of March 1998"])           # ['1998-03-03'] (greedy)
    model.translate(["3/3/98"], beam_width=3)             # beam search
    evaluate(model, data.test)                            # {'exact': ..., 'per_position': ...}

Encoder: a bidirectional GRU reads the left-padded one-hot source x (N, Tx, Vs) into
annotations h_j = [h->_j ; h<-_j] (N, Tx, 2u). Decoder: a GRU of 2u units starts from
s_0 = [h->_Tx ; h<-_1] (both directions' final states) and reads the previous target character
(a zero vector first, then the true one during training: teacher forcing). With attention, its
state s_t queries the annotations (additive scores, padding masked out) for a context c_t, and
the read-out sees [s_t ; c_t]; without, it sees s_t only, so the whole date must pass through
s_0. (The query is the current state s_t, Luong's placement of Bahdanau's score: the decoder
GRU then runs over all target steps at once while training, and attention is one batched call.)
Loss: mean cross-entropy over the 11 target positions (10 characters and <EOS>).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from companion.data.dates import decode, encode_sources, encode_targets
from companion.data.text import Vocabulary
from companion.nn import optim
from companion.nn.activations import log_softmax, softmax
from companion.nn.layers.attention import BahdanauAttention, additive_attention_forward
from companion.nn.layers.bidirectional import Bidirectional
from companion.nn.layers.dense import Dense
from companion.nn.layers.gru import GRU
from companion.nn.losses import sequence_crossentropy
from companion.nn.threads import blas_threads
from companion.nn.train import EpochMeanLoss, EpochMetric, minibatches, train_loop
from companion.nn.validation import check_int, rng_from


def teacher_forcing_inputs(y: np.ndarray, V: int, dtype=np.float64) -> np.ndarray:
    """Targets (N, Ty) ids -> decoder inputs (N, Ty, V): a zero vector at t = 0 (nothing read
    yet), then one-hot(y<t-1>): the decoder reads the TRUE previous character."""
    x = np.zeros(y.shape + (V,), dtype=dtype)
    x[:, 1:] = np.eye(V, dtype=dtype)[y[:, :-1]]
    return x


def beam_step(scores: np.ndarray, logp: np.ndarray, k: int):
    """One step of beam search: extend each of B prefixes by every token and keep the k best.

    scores (B,) log-probabilities of the prefixes, logp (B, V) log P(token | prefix).
    Returns (beam (k,), token (k,), new scores (k,)), best first: prefix ``beam[i]`` extended
    by ``token[i]`` has log-probability ``new_scores[i]`` = scores[beam] + logp[beam, token].
    """
    total = scores[:, None] + logp                                    # (B, V)
    best = np.argsort(-total, axis=None, kind="stable")[:k]
    beam, token = np.divmod(best, logp.shape[1])
    return beam, token, total[beam, token]


class Seq2Seq:
    """Bidirectional GRU encoder, GRU decoder, optional additive attention, Dense read-out."""

    def __init__(self, source_vocab: Vocabulary, target_vocab: Vocabulary, units: int = 32,
                 attention: bool = True, attention_units: int | None = None, seed=0,
                 dtype=np.float32, max_source_length: int = 29):
        check_int(units, "units")
        rng = rng_from(seed)
        self.src, self.tgt, self.u = source_vocab, target_vocab, int(units)
        self.Tx, self.dtype = int(max_source_length), np.dtype(dtype)
        Vs, Vt, u = len(source_vocab), len(target_vocab), self.u
        dt = self.dtype.name
        self.encoder = Bidirectional(GRU(u, return_sequences=True, return_state=True, dtype=dt))
        self.encoder.build((None, Vs), rng)
        self.decoder = GRU(2 * u, return_sequences=True, dtype=dt)
        self.decoder.build((None, Vt), rng)
        self.attention = None
        if attention:
            self.attention = BahdanauAttention(attention_units or u, dtype=dt)
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
        """Encode for decoding: the state a decoder step needs."""
        with blas_threads(1):
            H, s0, mask = self.encode(src_ids)
        kproj = H @ self.attention.params["key_kernel"] if self.attention else None
        return {"H": H, "s": s0, "mask": mask, "kproj": kproj}

    def step(self, enc: dict, s, prev):
        """One decoder step for a batch: state s (B, 2u), previous ids (B,) or None (first step).

        ``enc`` rows must match the batch. Returns (log-probabilities (B, Vt), new state (B, 2u),
        attention weights (B, Tx) or None).
        """
        x = np.zeros((len(s), 1, len(self.tgt)), dtype=self.dtype)
        if prev is not None:
            x[:, 0] = self._one_hot(prev, self.tgt)
        with blas_threads(1):
            out = self.decoder.forward(x, initial_state=s)                     # (B, 1, 2u)
            weights = None
            if self.attention is not None:
                p = self.attention.params
                c, cache = additive_attention_forward(out, enc["H"], p["query_kernel"],
                                                      p["key_kernel"], p["scale"], enc["mask"],
                                                      projected_keys=enc["kproj"])
                out, weights = np.concatenate([out, c], axis=-1), cache.weights[:, 0]
            z = self.readout.forward(out)[:, 0]
        return log_softmax(z.astype(np.float64)), self.decoder.final_state, weights

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
        """ISO dates for written dates: greedy (beam_width=1) or beam search."""
        check_int(beam_width, "beam_width")
        texts = list(texts)
        if beam_width > 1:
            return [beam_search(self, t, beam_width, alpha=alpha)[0][0] for t in texts]
        out = []
        for i in range(0, len(texts), batch_size):
            ids, _ = self.greedy(self.source_ids(texts[i:i + batch_size]))
            out += [decode(self.tgt, row) for row in ids]
        return out


def beam_search(model: Seq2Seq, text: str, k: int = 3, max_len: int = 11, alpha: float = 0.7):
    """Keep the ``k`` most probable prefixes at every step; a prefix ending in <EOS> is done.

    Finished hypotheses are ranked by log P(y) / len(y)^alpha (length normalisation; alpha=0
    is the raw log-probability, which favours short outputs). Returns a list of
    (text, normalised score, attention weights (len, Tx) or None), best first.
    """
    check_int(k, "k")
    enc = model.start(model.source_ids([text]))
    beams = [((), 0.0, enc["s"][0], ())]                    # (ids, log p, state, maps)
    done = []
    for t in range(max_len):
        rep = {key: None if v is None else np.repeat(v, len(beams), axis=0)
               for key, v in enc.items() if key != "s"}
        prev = None if t == 0 else np.array([b[0][-1] for b in beams])
        logp, s, w = model.step(rep, np.stack([b[2] for b in beams]), prev)
        live = []
        for i, j, score in zip(*beam_step(np.array([b[1] for b in beams]), logp, k)):
            maps = beams[i][3] + ((w[i],) if w is not None else ())
            hyp = (beams[i][0] + (int(j),), float(score), s[i], maps)
            (done if j == model.tgt.eos or t == max_len - 1 else live).append(hyp)
        beams = live
        if not beams or len(done) >= k:
            break
    return sorted(((decode(model.tgt, ids), lp / len(ids) ** alpha,
                    np.stack(maps) if maps else None) for ids, lp, _, maps in done),
                  key=lambda h: -h[1])


# -- accuracy and training ------------------------------------------------------------------------
def evaluate(model: Seq2Seq, pairs: Sequence[tuple[str, str]], beam_width: int = 1) -> dict:
    """Exact-match accuracy (the whole ISO date right) and per-position accuracy (the share of
    the 10 characters right at their place) of the model's translations."""
    pred = model.translate([s for s, _ in pairs], beam_width=beam_width)
    true = [t for _, t in pairs]
    exact = np.mean([p == t for p, t in zip(pred, true)])
    pos = np.mean([[i < len(p) and p[i] == c for i, c in enumerate(t)] for p, t in zip(pred, true)])
    return {"exact": float(exact), "per_position": float(pos), "predictions": pred}


def train(model: Seq2Seq, pairs: Sequence[tuple[str, str]], epochs: int = 10,
          batch_size: int = 64, learning_rate: float = 0.01, clipnorm: float | None = 5.0,
          dev: Sequence[tuple[str, str]] | None = None, seed=0) -> dict:
    """Adam on shuffled teacher-forced mini-batches, through the package's ``train_loop``.

    History: per step ``batch_loss``; per epoch ``loss`` (mean of its batch losses) and, with
    ``dev``, ``dev_exact`` (greedy exact match). A NaN/inf loss raises DivergenceError.
    """
    check_int(batch_size, "batch_size")
    rng = rng_from(seed)
    src = model.source_ids([s for s, _ in pairs])
    y = encode_targets(model.tgt, [t for _, t in pairs])

    def batches(epoch):
        for idx in minibatches(len(src), batch_size, rng):
            yield src[idx], y[idx]
    callbacks = [EpochMeanLoss()]
    if dev is not None:
        callbacks.append(EpochMetric("dev_exact", lambda: evaluate(model, dev)["exact"]))
    return train_loop(model, batches, optim.Adam(learning_rate), epochs, callbacks,
                      clipnorm=clipnorm)
