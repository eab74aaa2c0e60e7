"""A GRU decoder that attends BEFORE its recurrent step (Bahdanau et al. 2015's placement)
(chapter 17).

Luong's placement (``models.seq2seq``'s default) runs the decoder GRU first and queries with its
new state: s_t = GRU(s_{t-1}, y_{t-1}), c_t = attend(s_t, H). Bahdanau's queries with the state
BEFORE the step and feeds the context into the cell:

    c_t = attend(s_{t-1}, H)                  query s_{t-1} (N, u), keys = values H (N, Tx, Dk)
    s_t = GRU(s_{t-1}, [y_{t-1} ; c_t])       the cell reads the context with the input

so step t's context depends on step t-1's state and the steps cannot be batched over time: the
forward pass is one loop over the target steps, and the backward pass carries ds_{t-1} back
through both the cell and the query. ``score``: "additive" (params ``query_kernel`` (u, d),
``key_kernel`` (Dk, d), ``scale`` (d,)), "general" (``kernel`` (u, Dk)) or "dot" (none; needs
u == Dk), as ``attention.additive_attention_forward`` and ``luong.luong_attention_forward``.
"""

from __future__ import annotations

import numpy as np

from companion.nn.layers.attention import (
    AdditiveCache,
    additive_attention_backward,
    additive_attention_forward,
)
from companion.nn.layers.gru import gru_step_backward, gru_step_forward
from companion.nn.layers.luong import (
    LuongCache,
    luong_attention_backward,
    luong_attention_forward,
)
from companion.nn.shape_checks import check_cache, check_dout

ATTENTION_PARAMS = {"additive": ("query_kernel", "key_kernel", "scale"), "general": ("kernel",),
                    "dot": ()}


def _check_score(score) -> str:
    if not isinstance(score, str) or score not in ATTENTION_PARAMS:
        raise ValueError(f"score must be one of {tuple(ATTENTION_PARAMS)}, got {score!r}")
    return score


def attend(score: str, query, H, att: dict, mask=None, projected_keys=None):
    """One query per row: query (N, u), keys H (N, Tx, Dk), mask (N, Tx) booleans or None.
    Returns ((context (N, Dk), weights (N, Tx)), cache for ``attend_backward``)."""
    _check_score(score)
    if score == "additive":
        c, cache = additive_attention_forward(query[:, None], H, att["query_kernel"],
                                              att["key_kernel"], att["scale"], mask,
                                              projected_keys)
    else:
        c, cache = luong_attention_forward(query[:, None], H, att.get("kernel"), mask)
    return (c[:, 0], cache.weights[:, 0]), (score, cache)


def attend_backward(dcontext, cache):
    """dcontext (N, Dk) -> ((dquery (N, u), dH (N, Tx, Dk)), grads): the score's parameters'
    gradients in the order of ``ATTENTION_PARAMS[score]``."""
    score, c = check_cache(cache, "attend_backward: cache",
                           (str, (AdditiveCache, LuongCache)), "attend")
    _check_score(score)
    dcontext = check_dout(dcontext, c.weights.shape[:1] + c.keys.shape[2:],
                          "attend_backward: dcontext (dout)")
    backward = additive_attention_backward if score == "additive" else luong_attention_backward
    (dq, dH), grads = backward(dcontext[:, None], c)
    return (dq[:, 0], dH), tuple(grads)


def attentive_gru_forward(x, s0, H, mask, gru: dict, att: dict, score: str = "additive",
                          reset_after: bool = True):
    """Teacher-forced decoder, context before the step.

    x (N, T, V) inputs (y_{t-1} one-hot), s0 (N, u), H (N, Tx, Dk), mask (N, Tx) or None;
    gru: {"kernel" (V + Dk, 3u), "recurrent_kernel" (u, 3u), "bias"}; att: the score's params.
    Returns ((states S (N, T, u), contexts C (N, T, Dk), weights (N, T, Tx)), cache).
    """
    T = np.shape(x)[1]
    kproj = H @ att["key_kernel"] if _check_score(score) == "additive" else None
    s, S, C, A, caches = s0, [], [], [], []
    for t in range(T):
        (c, a), acache = attend(score, s, H, att, mask, kproj)
        s, gcache = gru_step_forward(np.concatenate([x[:, t], c], axis=1), s, gru["kernel"],
                                     gru["recurrent_kernel"], gru.get("bias"), reset_after)
        S.append(s)
        C.append(c)
        A.append(a)
        caches.append((acache, gcache))
    S, C = np.stack(S, 1), np.stack(C, 1)
    return (S, C, np.stack(A, 1)), (caches, x.shape[2], H.shape, score, S.shape, C.shape)


def attentive_gru_backward(dout, cache):
    """dout = (dS (N, T, u), dC (N, T, Dk)): the loss's gradients in forward's S and C (forward's
    third output, the weights, is not differentiated through: a third gradient must be None).

    Returns ((dx (N, T, V), ds0 (N, u), dH (N, Tx, Dk)), grads): grads in the order of the
    parameters, the GRU's (kernel, recurrent_kernel, bias) then the score's (``ATTENTION_PARAMS``;
    None for an absent bias)."""
    if not isinstance(dout, tuple) or len(dout) not in (2, 3) or (len(dout) == 3
                                                                  and dout[2] is not None):
        raise ValueError("dout: expected (dS, dC), the gradients in the states and the contexts "
                         "(the attention weights are not differentiated through)")
    caches, V, h_shape, score, s_shape, c_shape = cache
    dS = check_dout(dout[0], s_shape, "dout[0] (dS)")
    dC = check_dout(dout[1], c_shape, "dout[1] (dC)")
    ds = np.zeros_like(dS[:, 0])
    dH = np.zeros(h_shape, dS.dtype)
    dx = np.zeros(dS.shape[:2] + (V,), dS.dtype)
    names = ("kernel", "recurrent_kernel", "bias") + tuple(f"att.{n}" for n in
                                                           ATTENTION_PARAMS[score])
    total: dict = {}
    for t in range(len(caches) - 1, -1, -1):
        acache, gcache = caches[t]
        (dxc, ds), gru_grads = gru_step_backward(ds + dS[:, t], gcache)
        (dq, dHt), ag = attend_backward(dC[:, t] + dxc[:, V:], acache)
        dx[:, t], ds, dH = dxc[:, :V], ds + dq, dH + dHt
        step = dict(zip(names, (*gru_grads, *ag)))
        for k, g in step.items():
            if g is not None:
                total[k] = total[k] + g if k in total else g
    return (dx, ds, dH), tuple(total.get(k) for k in names)
