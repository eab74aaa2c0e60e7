"""The transformer's blocks (Vaswani et al. 2017) as layers: an encoder block, a decoder block
and the token + position embedding, each a ``Block`` of the package's own layers.

>>> import numpy as np
>>> block = TransformerBlock(8, 2, 12)                   # d_model 8, 2 heads, feed-forward 12
>>> block.build((5, 8), rng=0)
(5, 8)
>>> block.forward(np.ones((3, 5, 8)), causal=True).shape
(3, 5, 8)

Post-LN (``norm_first=False``, the paper and Keras' examples) and pre-LN (``norm_first=True``,
Xiong et al. 2020), for a sublayer f (attention or feed-forward) with dropout D:

    post-LN:  x <- LN(x + D(f(x)))            pre-LN:  x <- x + D(f(LN(x)))

The feed-forward sublayer is Dense(ff_dim, relu) then Dense(d_model), position by position.
Weights are listed (``get_weights``) in the order of the registered Keras twin
(``companion.keras_twin.attention``): attention, norm1, [cross-attention, norm_cross,] ff1,
ff2, norm2. Dropout (``dropout=`` rate) acts on each sublayer's output before the residual
addition, in training passes only; ``attention_dropout=`` (rate) drops attention weights inside
every multi-head attention (Keras' ``MultiHeadAttention(dropout=)``), in training passes only.
"""

from __future__ import annotations

import numpy as np

from companion.nn.layers.attention import MultiHeadAttention, mha_mask
from companion.nn.layers.composite import Block
from companion.nn.layers.dense import Dense
from companion.nn.layers.dropout import Dropout
from companion.nn.layers.embedding import Embedding
from companion.nn.layers.layer_norm import LayerNormalization
from companion.nn.validation import as_array, check_bool, check_int, check_interval, rng_from


# -- positional encoding ------------------------------------------------------------------------
def positional_encoding(T: int, d: int, base: float = 10000.0) -> np.ndarray:
    """(T, d) sinusoids: PE[t, 2i] = sin(t / base^(2i/d)), PE[t, 2i+1] = cos(t / base^(2i/d))."""
    ok = all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
             and np.isfinite(v) and int(v) == v >= 1 for v in (T, d))
    if not ok:
        raise ValueError(f"positional_encoding: T and d must be positive integers, got {T!r}, {d!r}")
    T, d = int(T), int(d)
    angle = np.arange(T)[:, None] / base ** (2 * (np.arange(d)[None, :] // 2) / d)
    return np.where(np.arange(d) % 2 == 0, np.sin(angle), np.cos(angle))


class TransformerBlock(Block):
    """TransformerBlock(d_model, num_heads, ff_dim, norm_first=False, dropout=0.0,
    attention_dropout=0.0).

    Input and output (N, T, d_model). ``forward(x, training=False, mask=None, causal=False)``:
    ``mask`` (N, T) marks the real positions (keys that may be attended to) or is (N, T, T);
    ``causal`` lets position t attend to positions <= t only. ``backward(dout) -> dx``.
    """
    cross = False

    def __init__(self, d_model: int, num_heads: int, ff_dim: int, norm_first: bool = False,
                 dropout: float = 0.0, attention_dropout: float = 0.0, name: str | None = None,
                 dtype="float64"):
        super().__init__(name, dtype)
        self.d_model = check_int(d_model, f"{type(self).__name__}: d_model")
        self.num_heads = check_int(num_heads, f"{type(self).__name__}: num_heads")
        self.ff_dim = check_int(ff_dim, f"{type(self).__name__}: ff_dim")
        if d_model % num_heads:
            raise ValueError(f"{type(self).__name__}: d_model ({d_model}) must be divisible by "
                             f"num_heads ({num_heads})")
        self.norm_first = check_bool(norm_first, f"{type(self).__name__}: norm_first")
        self.dropout = check_interval(dropout, f"{type(self).__name__}: dropout", 0.0, 1.0)
        self.attention_dropout = check_interval(
            attention_dropout, f"{type(self).__name__}: attention_dropout", 0.0, 1.0)

    def _make(self) -> dict:
        """The sub-layers, in Keras' weight order."""
        h, k, dt = self.num_heads, self.d_model // self.num_heads, self.dtype
        kw = {"dtype": dt, "dropout": self.attention_dropout}
        layers = {"attention": MultiHeadAttention(h, k, **kw),
                  "norm1": LayerNormalization(dtype=dt)}
        if self.cross:
            layers.update(cross_attention=MultiHeadAttention(h, k, **kw),
                          norm_cross=LayerNormalization(dtype=dt))
        layers.update(ff1=Dense(self.ff_dim, "relu", dtype=dt), ff2=Dense(self.d_model, dtype=dt),
                      norm2=LayerNormalization(dtype=dt))
        for name, layer in layers.items():
            layer.name = name
        return layers

    def build(self, input_shape, rng=None):
        """``input_shape`` (T, d_model) (T may be None)."""
        if len(input_shape) != 2 or input_shape[-1] != self.d_model:
            raise ValueError(f"{self.name}: input_shape must be (T, {self.d_model}), got "
                             f"{tuple(input_shape)}")
        rng = rng_from(rng)
        self.sublayers = self._make()
        width = (None, self.d_model)
        for name, layer in self.sublayers.items():
            layer.build((None, self.ff_dim) if name == "ff2" else width, rng)
        self.drops = [Dropout(self.dropout, dtype=self.dtype, name=f"dropout{i}")
                      for i in range(3 if self.cross else 2)]
        for drop in self.drops:
            drop.build(width, rng)
        return super().build(input_shape, rng)

    # -- one residual sublayer -------------------------------------------------------------
    def _sub_forward(self, x, f, norm, drop, training):
        """post-LN: LN(x + D(f(x))); pre-LN: x + D(f(LN(x)))."""
        p = self.sublayers
        if self.norm_first:
            return x + drop.forward(f(p[norm].forward(x)), training)
        return p[norm].forward(x + drop.forward(f(x), training))

    def _sub_backward(self, dout, f_backward, norm, drop):
        """(d through the residual path + d through f) given f's backward."""
        p = self.sublayers
        if self.norm_first:
            return dout + p[norm].backward(f_backward(drop.backward(dout)))
        d = p[norm].backward(dout)
        return d + f_backward(drop.backward(d))

    def _ff(self, x):
        return self.sublayers["ff2"].forward(self.sublayers["ff1"].forward(x))

    def _ff_backward(self, d):
        return self.sublayers["ff1"].backward(self.sublayers["ff2"].backward(d))

    def _self_attention_backward(self, d):
        dq, dv, dk = self.sublayers["attention"].backward(d)
        return dq + dv + dk

    def forward(self, x, training=False, mask=None, causal: bool = False):
        self._require_built()
        x = self._check_input(x)
        training = check_bool(training, f"{self.name}: training")
        causal = check_bool(causal, f"{self.name}: causal")
        mha_mask(mask, x.shape[0], x.shape[1], x.shape[1], f"{self.name}: mask")   # named here
        mha = self.sublayers["attention"]
        x = self._sub_forward(x, lambda h: mha.forward(h, attention_mask=mask,
                                                        use_causal_mask=causal,
                                                        training=training),
                              "norm1", self.drops[0], training)
        out = self._sub_forward(x, self._ff, "norm2", self.drops[-1], training)
        self._out_shape = out.shape
        return out

    def backward(self, dout):
        dout = self._block_dout(dout)
        d = self._sub_backward(dout, self._ff_backward, "norm2", self.drops[-1])
        dx = self._sub_backward(d, self._self_attention_backward, "norm1", self.drops[0])
        return dx

    def _block_dout(self, dout):
        shape = getattr(self, "_out_shape", None)
        if shape is None:
            raise RuntimeError(f"{self.name}: backward needs a forward pass first")
        dout = np.asarray(dout, dtype=self.dtype)
        if dout.shape != shape:
            raise ValueError(f"{self.name}: dout has shape {dout.shape}, expected the last "
                             f"forward output's {shape}")
        return dout


class DecoderBlock(TransformerBlock):
    """DecoderBlock(d_model, num_heads, ff_dim, norm_first=False, dropout=0.0,
    attention_dropout=0.0): causal
    self-attention, cross-attention over a context (the encoder's output), feed-forward; each a
    residual sublayer with its layer norm.

    ``forward(x (N, T, d), context (N, S, d), training=False, context_mask=None)`` -> (N, T, d):
    ``context_mask`` (N, S) marks the context's real positions.
    ``backward(dout) -> (dx, dcontext)``.
    """
    cross = True

    def forward(self, x, context=None, training=False, context_mask=None):
        self._require_built()
        if context is None:
            raise TypeError(f"{self.name}: forward needs the context (N, S, d_model) that the "
                            "cross-attention reads")
        x = self._check_input(x)
        context = as_array(context, f"{self.name}: context")
        if context.ndim != 3 or len(context) != len(x) or context.shape[-1] != x.shape[-1]:
            raise ValueError(f"{self.name}: context has shape {context.shape}, expected "
                             f"({len(x)}, S, {x.shape[-1]})")
        training = check_bool(training, f"{self.name}: training")
        p = self.sublayers
        x = self._sub_forward(x, lambda h: p["attention"].forward(h, use_causal_mask=True,
                                                                  training=training),
                              "norm1", self.drops[0], training)
        x = self._sub_forward(x, lambda h: p["cross_attention"].forward(
            h, context, attention_mask=context_mask, training=training), "norm_cross",
            self.drops[1], training)
        out = self._sub_forward(x, self._ff, "norm2", self.drops[2], training)
        self._out_shape = out.shape
        return out

    def backward(self, dout):
        dout = self._block_dout(dout)
        dcontext = []

        def cross_backward(d):
            dq, dv, dk = self.sublayers["cross_attention"].backward(d)
            dcontext.append(dv + dk)
            return dq
        d = self._sub_backward(dout, self._ff_backward, "norm2", self.drops[2])
        d = self._sub_backward(d, cross_backward, "norm_cross", self.drops[1])
        dx = self._sub_backward(d, self._self_attention_backward, "norm1", self.drops[0])
        return dx, dcontext[0]


class PositionalEmbedding(Block):
    """PositionalEmbedding(input_dim, output_dim, max_len, positional=True): token ids (N, T)
    -> sqrt(output_dim) E[ids] + PE[:T] (N, T, output_dim), PE the sinusoids of
    ``positional_encoding`` (left out with ``positional=False``). One weight: the embedding
    matrix E (input_dim, output_dim). ``backward(dout)`` fills the gradient of E and returns
    None (ids have no gradient)."""

    def __init__(self, input_dim: int, output_dim: int, max_len: int, positional: bool = True,
                 name: str | None = None, dtype="float64"):
        super().__init__(name, dtype)
        self.input_dim = check_int(input_dim, "PositionalEmbedding: input_dim")
        self.output_dim = check_int(output_dim, "PositionalEmbedding: output_dim")
        self.max_len = check_int(max_len, "PositionalEmbedding: max_len")
        self.positional = check_bool(positional, "PositionalEmbedding: positional")
        self.scale = float(np.sqrt(output_dim))

    def build(self, input_shape=(None,), rng=None):
        """``input_shape`` (T,) (T may be None)."""
        self.embedding = Embedding(self.input_dim, self.output_dim, dtype=self.dtype,
                                   name="embedding")
        self.embedding.build((None,), rng)
        self.sublayers = {"embedding": self.embedding}
        self.pe = positional_encoding(self.max_len, self.output_dim).astype(self.dtype) \
            if self.positional else None
        self.output_shape = (input_shape[0], self.output_dim)
        return super().build(input_shape, rng)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)

    def forward(self, ids, training=False):
        self._require_built()
        T = np.shape(ids)[1] if np.ndim(ids) == 2 else None
        if T is not None and T > self.max_len:
            raise ValueError(f"{self.name}: ids has sequences of {T} tokens, longer than "
                             f"max_len={self.max_len}")
        x = self.embedding.forward(ids) * self.scale
        return x if self.pe is None else x + self.pe[:x.shape[1]]

    def backward(self, dout):
        self.embedding.backward(np.asarray(dout, dtype=self.dtype) * self.scale)
