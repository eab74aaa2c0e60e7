"""Chapter 12's exercise checkers: the solution passes, each planted mistake gets its hint,
garbage gets one sentence and no traceback."""

from functools import partial

import numpy as np
import pytest
from exercise_garbage import run_check as verdict

from companion.data import word_vectors
from companion.exercises import ch12


@pytest.fixture(scope="module")
def wv():
    return word_vectors.load_glove()


# --- learner code: the solutions, with switches that plant the mistakes ---------------------
def cosine(u, v, bug=None):
    if bug == "dot":
        return float(u @ v)
    return float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))


def analogy(wv, a, b, c, bug=None):
    u = lambda w: wv.unit[wv.id(w)]
    target = u(a) - u(b) + u(c) if bug == "sign" else u(b) - u(a) + u(c)
    scores = wv.unit @ (target / np.linalg.norm(target))
    if bug != "no exclusion":
        for w in (a, b, c):
            scores[wv.id(w)] = -np.inf
    return wv.words[int(np.argmax(scores))]


def embedding_backward(dout, ids, n_words, bug=None):
    dE = np.zeros((n_words, dout.shape[-1]))
    if bug == "assign":
        dE[ids.reshape(-1)] += dout.reshape(-1, dout.shape[-1])
    else:
        np.add.at(dE, ids.reshape(-1), dout.reshape(-1, dout.shape[-1]))
    return dE / (dout.shape[0] if bug == "mean" else 1)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sgns_loss_and_grads(W_in, W_out, centers, contexts, negatives, bug=None):
    B = 1 if bug == "sum" else len(centers)
    sgn = -1 if bug == "sign" else 1                       # the planted bug drops the minus
    v, u_o, u_n = W_in[centers], W_out[contexts], W_out[negatives]
    s_o, s_n = np.sum(u_o * v, axis=1), np.einsum("bkd,bd->bk", u_n, v)
    loss = -(np.log(sigmoid(s_o)).sum() + np.log(sigmoid(-sgn * s_n)).sum()) / B
    g_o, g_n = -sigmoid(-s_o) / B, sgn * sigmoid(sgn * s_n) / B
    dv = g_o[:, None] * u_o + np.einsum("bk,bkd->bd", g_n, u_n)
    dW_in, dW_out = np.zeros_like(W_in), np.zeros_like(W_out)
    if bug == "assign":
        dW_in[centers] += dv
        dW_out[contexts] += g_o[:, None] * v
        dW_out[negatives] += g_n[:, :, None] * v[:, None, :]
    else:
        np.add.at(dW_in, centers, dv)
        np.add.at(dW_out, contexts, g_o[:, None] * v)
        np.add.at(dW_out, negatives, g_n[:, :, None] * v[:, None, :])
    return loss, dW_in, dW_out


def neutralise(e, g, bug=None):
    g_hat = g if bug == "g" else g / np.linalg.norm(g)
    projection = (e @ g_hat) * g_hat
    if bug == "once":
        projection = (e @ g) * g / np.linalg.norm(g)
    return {"kept": e, "added": e + projection}.get(bug, e - projection)


def equalise(e1, e2, g, bug=None):
    g_hat = g if bug == "g" else g / np.linalg.norm(g)
    mu = (e1 + e2) / 2
    nu = mu if bug == "mu kept" else mu - (mu @ g_hat) * g_hat
    out = []
    for e in (e1, e2):
        part = ((e - mu) @ g_hat) * g_hat                      # this word's side of the pair
        if bug != "no rescaling":
            part = np.sqrt(1 - nu @ nu) * part / np.linalg.norm(part)
        out.append(nu + part)
    return tuple(out)


CHECKS = [(ch12.check_cosine_similarity, cosine, False), (ch12.check_analogy, analogy, True),
          (ch12.check_embedding_backward, embedding_backward, False),
          (ch12.check_sgns, sgns_loss_and_grads, False),
          (ch12.check_neutralise, neutralise, False), (ch12.check_equalise, equalise, False)]


def run(check, fn, needs_wv, wv):
    return verdict(check, fn, *((wv,) if needs_wv else ()))


@pytest.mark.parametrize("check, solution, needs_wv", CHECKS)
def test_solution_passes(wv, check, solution, needs_wv):
    ok, out = run(check, solution, needs_wv, wv)
    assert ok and out.startswith("✓")


@pytest.mark.parametrize("check, buggy, needs_wv, hint", [
    (ch12.check_cosine_similarity, partial(cosine, bug="dot"), False, "lengths"),
    (ch12.check_analogy, partial(analogy, bug="no exclusion"), True, "exclude the three"),
    (ch12.check_analogy, partial(analogy, bug="sign"), True, "u_b - u_a + u_c"),
    (ch12.check_embedding_backward, partial(embedding_backward, bug="assign"), False, "np.add.at"),
    (ch12.check_embedding_backward, partial(embedding_backward, bug="mean"), False, "1/N"),
    (ch12.check_sgns, partial(sgns_loss_and_grads, bug="sign"), False, "minus sign"),
    (ch12.check_sgns, partial(sgns_loss_and_grads, bug="sum"), False, "average over the B"),
    (ch12.check_sgns, partial(sgns_loss_and_grads, bug="assign"), False, "np.add.at"),
    (ch12.check_neutralise, partial(neutralise, bug="kept"), False, "subtract the projection"),
    (ch12.check_neutralise, partial(neutralise, bug="added"), False, "not added"),
    (ch12.check_neutralise, partial(neutralise, bug="g"), False, "normalise g first"),
    (ch12.check_neutralise, partial(neutralise, bug="once"), False, "not by |g|"),
    (ch12.check_equalise, partial(equalise, bug="no rescaling"), False, "sqrt(1 - |ν|²)"),
    (ch12.check_equalise, partial(equalise, bug="g"), False, "normalise g first"),
    (ch12.check_equalise, partial(equalise, bug="mu kept"), False, "neutralise μ"),
])
def test_mistake_is_named(wv, check, buggy, needs_wv, hint):
    ok, out = run(check, buggy, needs_wv, wv)
    assert not ok and hint in out


def _raises(*args):
    raise KeyError("kingg")


@pytest.mark.parametrize("check, _, needs_wv", CHECKS)
@pytest.mark.parametrize("garbage, sentence", [
    (lambda *a: None, "returned None"), (_raises, "raised KeyError"),
    (lambda *a: np.full((2, 2), np.nan), ""), (lambda *a: 3.5, "")])
def test_garbage_gets_one_sentence(wv, check, _, needs_wv, garbage, sentence):
    ok, out = run(check, garbage, needs_wv, wv)
    assert not ok and out.startswith("✗") and sentence in out
