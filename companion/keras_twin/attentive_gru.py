"""The Keras twin of ``nn.layers.attentive_gru`` (chapter 17): a decoder that attends with its
previous state and feeds the context into the GRU (Bahdanau's placement), unrolled over the
target steps from Keras' own layers: ``Attention`` (the dot score; a ``Dense`` on the query
first for the general score) or ``AdditiveAttention`` over two ``Dense`` projections, then one
shared ``GRU`` layer called on each step's [input ; context] from the previous state.

    kmodel = attentive_gru_twin(gru_params, att_params, "dot", T=5, V=4, Tx=6)
    kmodel([x, s0, H, mask])          # -> [S ; C] (N, T, u + Dk), our weights copied in
"""

from __future__ import annotations

from companion.keras_twin.core import import_keras
from companion.nn.layers.attentive_gru import ATTENTION_PARAMS
from companion.nn.validation import check_int


def _scorer(keras, att: dict, score: str):
    """(query (N, 1, u), H) -> context (N, 1, Dk), with our attention weights copied."""
    if score == "additive":
        pq, pk = (keras.layers.Dense(att[k].shape[1], use_bias=False)
                  for k in ("query_kernel", "key_kernel"))
        layer = keras.layers.AdditiveAttention(use_scale=True)
        parts = [(pq, [att["query_kernel"]]), (pk, [att["key_kernel"]]),
                 (layer, [att["scale"]])]

        def attend(q, H, mask):
            return layer([pq(q), H, pk(H)], mask=[None, mask])
        return attend, parts
    project = keras.layers.Dense(att["kernel"].shape[1], use_bias=False) \
        if score == "general" else None
    layer = keras.layers.Attention(use_scale=False, score_mode="dot")

    def attend(q, H, mask):
        return layer([project(q) if project else q, H, H], mask=[None, mask])
    return attend, [(project, [att["kernel"]])] if project else []


def attentive_gru_twin(gru: dict, att: dict, score: str, T: int, V: int, Tx: int):
    """A functional ``keras.Model`` [x (N, T, V), s0 (N, u), H (N, Tx, Dk), mask (N, Tx) bool]
    -> concat([S, C]) (N, T, u + Dk) computing ``attentive_gru_forward`` with our ``gru``
    ({"kernel", "recurrent_kernel", "bias"}, reset_after=True) and ``att`` weights (float32)."""
    if not isinstance(score, str) or score not in ATTENTION_PARAMS:
        raise ValueError(f"score must be one of {tuple(ATTENTION_PARAMS)}, got {score!r}")
    if not (isinstance(gru, dict) and {"kernel", "recurrent_kernel", "bias"} <= set(gru)):
        raise TypeError(f"gru: expected the GRU's weights {{'kernel', 'recurrent_kernel', "
                        f"'bias'}}, got {type(gru).__name__} {gru!r:.40}")
    if not (isinstance(att, dict) and set(ATTENTION_PARAMS[score]) <= set(att)):
        raise TypeError(f"att: expected the {score} score's weights "
                        f"{set(ATTENTION_PARAMS[score]) or '{}'}, got {att!r:.40}")
    T, V, Tx = (check_int(v, n) for v, n in ((T, "T"), (V, "V"), (Tx, "Tx")))
    keras = import_keras()
    ops = keras.ops
    u, Dk = gru["recurrent_kernel"].shape[0], gru["kernel"].shape[0] - V
    x, s0 = keras.Input((T, V)), keras.Input((u,))
    H, mask = keras.Input((Tx, Dk)), keras.Input((Tx,), dtype="bool")
    attend, parts = _scorer(keras, att, score)
    cell = keras.layers.GRU(u, return_state=True)
    s, states, contexts = s0, [], []
    for t in range(T):
        c = attend(ops.expand_dims(s, 1), H, mask)                        # (N, 1, Dk)
        _, s = cell(ops.concatenate([x[:, t:t + 1], c], axis=-1), initial_state=s)
        states.append(ops.expand_dims(s, 1))
        contexts.append(c)
    out = ops.concatenate([ops.concatenate(states, axis=1), ops.concatenate(contexts, axis=1)],
                          axis=-1)
    model = keras.Model([x, s0, H, mask], out)
    cell.set_weights([gru["kernel"], gru["recurrent_kernel"], gru["bias"]])
    for layer, weights in parts:
        layer.set_weights(weights)
    return model
