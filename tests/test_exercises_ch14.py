"""Chapter 14's exercise checkers: the notebook's own solutions (read from its collapsed
solution cells) pass, each planted mistake gets its hint, garbage gets one sentence, and
realistic mistakes nobody planted are rejected."""
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from exercise_garbage import GARBAGE, one_line

from companion.exercises import ch14, checker

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "14_transformer.ipynb"


def solutions() -> dict:
    """name -> the function defined by each solution cell of the notebook (one copy)."""
    ns = {"np": np}
    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        if "solution" in cell.metadata.get("tags", []):
            assert cell.cell_type == "markdown" and cell.metadata["jupyter"]["source_hidden"]
            code = re.search(r"```python\n(.*?)```", cell.source, re.DOTALL).group(1)
            exec(code, ns)  # noqa: S102 (the notebook's own solution: one copy)
    return ns


SOL = solutions()
CHECKS = {"attention": ch14.check_attention, "sinusoids": ch14.check_positional_encoding,
          "ln_backward": ch14.check_layer_norm_backward, "mha_forward": ch14.check_mha_forward,
          "mha_backward": ch14.check_mha_backward,
          "decoder_block_forward": ch14.check_decoder_block}


def verdict(check, fn):
    ok, out = checker.verdict(check, fn)
    return ok, one_line(out)


@pytest.mark.parametrize("name", list(CHECKS))
def test_solution_passes(name):
    ok, line = verdict(CHECKS[name], SOL[name])
    assert ok, line


PLANTED = [("attention", ch14._sdpa_bug("no scale"), "sqrt\\(d_k\\)"),
           ("attention", ch14._sdpa_bug("subtract"), "REPLACE a masked score"),
           *[("ln_backward", ch14._ln_bug(b), h) for b, h in (
               ("no gamma", "dout \\* gamma"), ("no mean terms", "mean and the variance"),
               ("batch axis", "not over the\\s+batch"), ("axis 0 sums", "batch AND time"))],
           *[("mha_forward", ch14._mha_forward_bug(b), h) for b, h in (
               ("merge", "MOVING the head axis"), ("sqrt(d_model)", "not sqrt\\(d_model\\)"),
               ("no bias", "bias"), ("k/v", "KEYS"))],
           *[("mha_backward", ch14._mha_backward_bug(b), h) for b, h in (
               ("softmax", "coupled"), ("scale", "1 / sqrt\\(key_dim\\)"), ("bias", "N AND T"))],
           *[("decoder_block_forward", ch14._decoder_bug(b), h) for b, h in (
               ("swapped", "QUERIES come from the decoder"), ("reads x", "reads x1"),
               ("no residual", "its own\\s+residual"), ("future", "FUTURE"),
               ("no diagonal", "attend to itself"), ("none", "must be causal"),
               ("pre-LN", "AFTER each residual"), ("skip from x", "adds x2"))]]


@pytest.mark.parametrize("name,fn,hint", PLANTED)
def test_planted_mistakes_are_named(name, fn, hint):
    ok, line = verdict(CHECKS[name], fn)
    assert not ok and re.search(hint, line), line


@pytest.mark.parametrize("name", list(CHECKS))
def test_garbage_gets_a_sentence(name):
    for garbage, pattern in GARBAGE:
        ok, line = verdict(CHECKS[name], garbage)
        assert not ok and re.search(pattern, line), line


# --- realistic mistakes nobody planted: each must be rejected (the count is reported) ----------
def _mha_in_place(query, value, key, p, mask):
    p["output_bias"] += 0.0 * p["output_bias"]            # harmless-looking, but touches p...
    query -= query.mean()                                 # ...and centres the caller's query
    return SOL["mha_forward"](query, value, key, p, mask)


def _mha_no_max_shift(query, value, key, p, mask):
    def split(x, name):
        x = np.einsum("ntd,dhk->nthk", x, p[name + "_kernel"]) + p[name + "_bias"]
        return x.transpose(0, 2, 1, 3)
    Q, K, V = split(query, "query"), split(key, "key"), split(value, "value")
    s = np.where(mask[:, None], Q @ K.transpose(0, 1, 3, 2) / np.sqrt(Q.shape[-1]), -1e9)
    with np.errstate(over="ignore", invalid="ignore"):
        a = np.exp(s) / np.exp(s).sum(-1, keepdims=True)  # no max shift: inf/inf at large scores
    o = (a @ V).transpose(0, 2, 1, 3)
    return np.einsum("nqhk,hkd->nqd", o, p["output_kernel"]) + p["output_bias"], a


def _mha_list_weights(query, value, key, p, mask):
    out, a = SOL["mha_forward"](query, value, key, p, mask)
    return out, a.tolist()


def _ln_column_sums(dout, xhat, inv, gamma):
    dx, dg, db = SOL["ln_backward"](dout, xhat, inv, gamma)
    return dx, dg[:, None], db[:, None]                   # (D, 1) for (D,)


def _ln_var_only(dout, xhat, inv, gamma):
    dxhat = dout * gamma
    return inv * (dxhat - xhat * (dxhat * xhat).mean(-1, keepdims=True)), \
        (dout * xhat).reshape(-1, dout.shape[-1]).sum(0), dout.reshape(-1, dout.shape[-1]).sum(0)


def _ln_2d_only(dout, xhat, inv, gamma):                 # sums over axis 0: right for (N, D)
    dxhat = dout * gamma
    dx = inv * (dxhat - dxhat.mean(-1, keepdims=True)
                - xhat * (dxhat * xhat).mean(-1, keepdims=True))
    return dx, (dout * xhat).sum(0), dout.sum(0)


def _mha_backward_no_mask(dout, query, value, key, p, mask):
    return SOL["mha_backward"](dout, query, value, key, p, np.ones_like(mask))


def _mha_backward_dkey_dvalue_swapped(dout, query, value, key, p, mask):
    g = list(SOL["mha_backward"](dout, query, value, key, p, mask))
    g[1], g[2] = g[2], g[1]
    return tuple(g)


def _causal(x):
    T = x.shape[1]
    return np.tril(np.ones((T, T), dtype=bool))


def _decoder_no_self(x, c, sa, ca, ff, n1, n2, n3):
    x2 = n2(x + ca(x, c))
    return n3(x2 + ff(x2))


def _decoder_additive_mask(x, c, sa, ca, ff, n1, n2, n3):   # a -1e9 mask, as in the formula
    T = x.shape[1]
    x1 = n1(x + sa(x, np.triu(np.full((T, T), -1e9), 1)))
    x2 = n2(x1 + ca(x1, c))
    return n3(x2 + ff(x2))


def _decoder_in_place(x, c, sa, ca, ff, n1, n2, n3):
    x += sa(x, _causal(x))                                     # the caller's x changes
    x1 = n1(x)
    x2 = n2(x1 + ca(x1, c))
    return n3(x2 + ff(x2))


def _decoder_fixed_T(x, c, sa, ca, ff, n1, n2, n3):          # T read once, from the first case
    mask = np.tril(np.ones((4, 4), dtype=bool))
    x1 = n1(x + sa(x, mask))
    x2 = n2(x1 + ca(x1, c))
    return n3(x2 + ff(x2))


def _sdpa_axis0_mask(q, k, v, mask):                      # broadcasts the first example's mask
    return SOL["attention"](q, k, v, mask[:1])


REALISTIC = [("mha_forward", _mha_in_place), ("mha_forward", _mha_no_max_shift),
             ("mha_forward", _mha_list_weights), ("ln_backward", _ln_column_sums),
             ("ln_backward", _ln_var_only), ("ln_backward", _ln_2d_only),
             ("mha_backward", _mha_backward_no_mask),
             ("mha_backward", _mha_backward_dkey_dvalue_swapped),
             ("decoder_block_forward", _decoder_no_self),
             ("decoder_block_forward", _decoder_additive_mask),
             ("decoder_block_forward", _decoder_in_place),
             ("decoder_block_forward", _decoder_fixed_T), ("attention", _sdpa_axis0_mask)]


@pytest.mark.parametrize("name,fn", REALISTIC, ids=[f.__name__ for _, f in REALISTIC])
def test_realistic_mistakes_are_rejected(name, fn):
    ok, line = verdict(CHECKS[name], fn)
    assert not ok, line



def test_a_sublayer_out_of_order_is_located():
    """No planted mistake matches a block that skips its self-attention: the checker records
    the calls the learner's block makes and says which came first instead."""
    ok, line = verdict(ch14.check_decoder_block, _decoder_no_self)
    assert not ok and "your function first called cross_attend; expected self_attend" in line
