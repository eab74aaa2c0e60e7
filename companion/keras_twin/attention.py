"""The Keras twins of the attention layers and the transformer's blocks.

``MultiHeadAttention`` and ``LayerNormalization`` are Keras' own layers. The blocks
(``TransformerBlock``, ``DecoderBlock``, ``PositionalEmbedding``) become small Keras layers built
from Keras' ``MultiHeadAttention``, ``LayerNormalization``, ``Dense``, ``Dropout`` and
``Embedding``, with the same residual wiring (post-LN or pre-LN) and their weights in the same
order as ours, so ``set_weights(block.get_weights())`` copies straight across.

    kblock = keras_layer(block)                         # registered: the usual way to get it
    kmodel = block_twin(block, T=5, causal=True)        # a keras.Model [x, mask] -> out, weights
                                                        # copied (decoder: [x, context, mask])
    kmodel = bahdanau_twin(layer, Tq=4, Tv=7)           # [query, keys, key mask] -> context
"""

from __future__ import annotations

import numpy as np

from companion.keras_twin.core import import_keras
from companion.keras_twin.registry import register
from companion.nn.layers.attention import BahdanauAttention, MultiHeadAttention
from companion.nn.layers.layer_norm import LayerNormalization
from companion.nn.layers.transformer import DecoderBlock, PositionalEmbedding, TransformerBlock
from companion.nn.validation import check_bool, check_int

_CLASSES: dict = {}


@register(LayerNormalization)
def _layer_norm(layer, keras):
    return keras.layers.LayerNormalization(epsilon=layer.epsilon)


@register(MultiHeadAttention)
def _multi_head_attention(layer, keras):
    """Called as Keras' layer is: ``mha(query, value, key, attention_mask=...)``."""
    return keras.layers.MultiHeadAttention(layer.num_heads, layer.key_dim, dropout=layer.dropout)


def _keras_classes(keras) -> dict:
    """The Keras layer classes of the blocks, defined once Keras is imported."""
    if _CLASSES:
        return _CLASSES

    class KerasTransformerBlock(keras.layers.Layer):
        """Keras twin of TransformerBlock (``cross=True``: of DecoderBlock)."""

        def __init__(self, d_model, num_heads, ff_dim, norm_first=False, dropout=0.0,
                     cross=False, attention_dropout=0.0, **kwargs):
            super().__init__(**kwargs)
            L = keras.layers
            self.norm_first, self.cross = norm_first, cross
            self.attention = L.MultiHeadAttention(num_heads, d_model // num_heads,
                                                  dropout=attention_dropout)
            self.norm1 = L.LayerNormalization()
            if cross:
                self.cross_attention = L.MultiHeadAttention(num_heads, d_model // num_heads,
                                                            dropout=attention_dropout)
                self.norm_cross = L.LayerNormalization()
            self.ff1, self.ff2 = L.Dense(ff_dim, activation="relu"), L.Dense(d_model)
            self.norm2 = L.LayerNormalization()
            self.drops = [L.Dropout(dropout) for _ in range(3 if cross else 2)]

        def _sub(self, x, f, norm, drop, training):
            if self.norm_first:
                return x + drop(f(norm(x)), training=training)
            return norm(x + drop(f(x), training=training))

        def call(self, x, context=None, padding_mask=None, context_mask=None,
                 use_causal_mask=False, training=None):
            ops = keras.ops
            am = None if padding_mask is None else ops.expand_dims(padding_mask, 1)
            causal = use_causal_mask or self.cross
            x = self._sub(x, lambda h: self.attention(h, h, attention_mask=am,
                                                      use_causal_mask=causal),
                          self.norm1, self.drops[0], training)
            if self.cross:
                cm = None if context_mask is None else ops.expand_dims(context_mask, 1)
                x = self._sub(x, lambda h: self.cross_attention(h, context, attention_mask=cm),
                              self.norm_cross, self.drops[1], training)
            return self._sub(x, lambda h: self.ff2(self.ff1(h)), self.norm2, self.drops[-1],
                             training)

    class KerasPositionalEmbedding(keras.layers.Layer):
        """Keras twin of PositionalEmbedding: sqrt(d) Embedding(ids) + the sinusoids."""

        def __init__(self, input_dim, output_dim, pe=None, **kwargs):
            super().__init__(**kwargs)
            self.embedding = keras.layers.Embedding(input_dim, output_dim)
            self.scale, self.pe = float(np.sqrt(output_dim)), pe

        def call(self, ids):
            x = self.embedding(ids) * self.scale
            if self.pe is None:
                return x
            return x + keras.ops.convert_to_tensor(self.pe)[:keras.ops.shape(ids)[1]]

    _CLASSES.update(block=KerasTransformerBlock, embedding=KerasPositionalEmbedding)
    return _CLASSES


@register(TransformerBlock, DecoderBlock)
def _transformer_block(block, keras):
    return _keras_classes(keras)["block"](block.d_model, block.num_heads, block.ff_dim,
                                          block.norm_first, block.dropout, cross=block.cross,
                                          attention_dropout=block.attention_dropout)


@register(PositionalEmbedding)
def _positional_embedding(layer, keras):
    pe = None if layer.pe is None else layer.pe.astype("float32")
    return _keras_classes(keras)["embedding"](layer.input_dim, layer.output_dim, pe)


def block_twin(block, T: int, causal: bool = False, S: int | None = None):
    """A ``keras.Model`` around the twin of a built ``TransformerBlock`` ([x (N, T, d), mask
    (N, T) bool] -> out) or ``DecoderBlock`` ([x, context (N, S, d), context mask (N, S)]
    -> out), with a copy of the block's weights (float32)."""
    from companion.keras_twin.registry import build_layer
    if not isinstance(block, TransformerBlock) or getattr(block, "input_shape", None) is None:
        raise TypeError(f"block: expected a built TransformerBlock or DecoderBlock, got "
                        f"{type(block).__name__} {block!r:.40}")
    T, causal = check_int(T, "T"), check_bool(causal, "causal")
    if block.cross:
        S = check_int(S, "S")
    keras = import_keras()
    kblock = build_layer(block, keras)
    x_in = keras.Input((T, block.d_model))
    if block.cross:
        c_in, m_in = keras.Input((S, block.d_model)), keras.Input((S,), dtype="bool")
        kmodel = keras.Model([x_in, c_in, m_in], kblock(x_in, c_in, context_mask=m_in))
    else:
        m_in = keras.Input((T,), dtype="bool")
        kmodel = keras.Model([x_in, m_in], kblock(x_in, padding_mask=m_in,
                                                  use_causal_mask=causal))
    kblock.set_weights(block.get_weights())
    return kmodel


def bahdanau_twin(layer, Tq: int, Tv: int):
    """Our ``BahdanauAttention`` as a functional ``keras.Model`` [query (N, Tq, dq), keys (N, Tv,
    dk), key mask (N, Tv) bool] -> context (N, Tq, dk), with our weights: Keras'
    ``AdditiveAttention(use_scale=True)`` over Dense(query) and Dense(keys), the raw keys as
    its values (``AdditiveAttention`` has no projections of its own)."""
    if not isinstance(layer, BahdanauAttention) or "query_kernel" not in layer.params:
        raise TypeError(f"layer: expected a built BahdanauAttention, got "
                        f"{type(layer).__name__} {layer!r:.40}")
    Tq, Tv = check_int(Tq, "Tq"), check_int(Tv, "Tv")
    keras = import_keras()
    (dq, units), dk = layer.params["query_kernel"].shape, layer.params["key_kernel"].shape[0]
    query, keys = keras.Input((Tq, dq)), keras.Input((Tv, dk))
    key_mask = keras.Input((Tv,), dtype="bool")
    project_q = keras.layers.Dense(units, use_bias=False)
    project_k = keras.layers.Dense(units, use_bias=False)
    attend = keras.layers.AdditiveAttention(use_scale=True)
    context = attend([project_q(query), keys, project_k(keys)], mask=[None, key_mask])
    model = keras.Model([query, keys, key_mask], context)
    project_q.set_weights([layer.params["query_kernel"]])
    project_k.set_weights([layer.params["key_kernel"]])
    attend.set_weights([layer.params["scale"]])
    return model
