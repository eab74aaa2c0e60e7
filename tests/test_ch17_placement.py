"""The context before the recurrent step (Bahdanau's placement, nn.layers.attentive_gru and
Seq2Seq(placement="before")): gradients against numerical differences for each score, the
step-by-step decoder against the teacher-forced pass, bad arguments, and the Keras twin."""
import numpy as np
import pytest

from companion.data.text import Vocabulary
from companion.models.seq2seq import Seq2Seq, beam_search
from companion.nn.activations import softmax
from companion.nn.gradcheck import numerical_gradient, rel_error
from companion.nn.layers.attention import padding_mask
from companion.nn.layers.attentive_gru import (
    ATTENTION_PARAMS,
    attend,
    attentive_gru_backward,
    attentive_gru_forward,
)
from companion.nn.losses import sequence_crossentropy

SCORES = ("additive", "general", "dot")



def _split(grads, score):
    """The backward's tuple (GRU's kernel, recurrent_kernel, bias, then the score's params) as
    two dicts by name."""
    gru = {k: g for k, g in zip(("kernel", "recurrent_kernel", "bias"), grads) if g is not None}
    return gru, dict(zip(ATTENTION_PARAMS[score], grads[3:], strict=True))

def _arrays(score, rng, N=3, T=4, V=5, Tx=6, u=4, dtype=np.float64):
    Dk = u if score == "dot" else 6
    gru = {"kernel": 0.5 * rng.standard_normal((V + Dk, 3 * u)),
           "recurrent_kernel": 0.5 * rng.standard_normal((u, 3 * u)),
           "bias": 0.1 * rng.standard_normal((2, 3 * u))}
    att = {"dot": {}, "general": {"kernel": 0.5 * rng.standard_normal((u, Dk))},  # unsaturated
           "additive": {"query_kernel": rng.standard_normal((u, 3)),
                        "key_kernel": rng.standard_normal((Dk, 3)),
                        "scale": rng.standard_normal(3)}}[score]
    inputs = {"x": rng.standard_normal((N, T, V)), "s0": rng.standard_normal((N, u)),
              "H": rng.standard_normal((N, Tx, Dk))}
    cast = lambda d: {k: v.astype(dtype) for k, v in d.items()}
    mask = padding_mask(rng.integers(1, Tx + 1, N), Tx, left=True)
    return cast(gru), cast(att), cast(inputs), mask


@pytest.mark.parametrize("score", SCORES)
@pytest.mark.parametrize("N,T", [(1, 1), (3, 4)])
def test_attentive_gru_gradients(score, N, T, rng):
    gru, att, a, mask = _arrays(score, rng, N=N, T=T)
    (S, C, A), cache = attentive_gru_forward(a["x"], a["s0"], a["H"], mask, gru, att, score)
    dS, dC = rng.standard_normal(S.shape), rng.standard_normal(C.shape)
    (dx, ds0, dH), grads = attentive_gru_backward((dS, dC), cache)
    ggru, gatt = _split(grads, score)
    analytic = {"x": dx, "s0": ds0, "H": dH, **ggru, **gatt}
    assert sorted(ggru) == sorted(gru) and sorted(gatt) == sorted(att)

    def loss():
        (S, C, _), _ = attentive_gru_forward(a["x"], a["s0"], a["H"], mask, gru, att, score)
        return float(np.sum(S * dS) + np.sum(C * dC))
    for name, arr in {**a, **gru, **att}.items():
        assert rel_error(analytic[name], numerical_gradient(loss, arr)) < 1e-7, name
    np.testing.assert_allclose(A.sum(-1), 1.0, rtol=1e-12)
    assert np.all(A[~np.broadcast_to(mask[:, None, :], A.shape)] == 0)


def test_the_query_is_the_previous_state(rng):
    """Step 1's context depends on s0 only (not on x), and step t's on the steps before."""
    gru, att, a, mask = _arrays("general", rng)
    (_, C, _), _ = attentive_gru_forward(a["x"], a["s0"], a["H"], mask, gru, att, "general")
    (c1, _), _ = attend("general", a["s0"], a["H"], att, mask)
    np.testing.assert_allclose(C[:, 0], c1, rtol=1e-12)
    x2 = a["x"].copy()
    x2[:, 1:] += 1.0                                  # change the inputs from step 2 on
    (_, C2, _), _ = attentive_gru_forward(x2, a["s0"], a["H"], mask, gru, att, "general")
    np.testing.assert_allclose(C2[:, :2], C[:, :2], rtol=1e-12)
    assert not np.allclose(C2[:, 2], C[:, 2])


def _tiny(score, placement="before", rng=None):
    model = Seq2Seq(Vocabulary(list("abc"), pad=True), Vocabulary(list("xy"), pad=True),
                    units=2, attention_units=3 if score == "additive" else None,
                    dtype=np.float64, max_source_length=4, seed=0, score=score,
                    placement=placement)
    for p in model.params.values():
        p += 0.3 * rng.standard_normal(p.shape)       # away from the all-zero biases
    return model


@pytest.mark.parametrize("score", SCORES)
def test_translator_with_the_context_before_end_to_end(score, rng):
    model = _tiny(score, rng=rng)
    assert model.decoder.params["kernel"].shape[0] == len(model.tgt) + 4
    src, y = np.array([[2, 3, 4, 5], [0, 2, 5, 3]]), rng.integers(0, 5, (2, 5))
    _, grads = model.loss_and_grads((src, y))
    grads = {k: g.copy() for k, g in grads.items()}
    assert sorted(grads) == sorted(model.params)
    for k, p in model.params.items():
        num = numerical_gradient(lambda: model.loss_and_grads((src, y))[0], p, h=1e-5)
        assert rel_error(grads[k], num) < 1e-6, k


@pytest.mark.parametrize("score", SCORES)
def test_decoding_steps_agree_with_the_teacher_forced_pass(score, rng):
    """log P(y | x) by the step function (decoding) equals the teacher-forced logits' sum."""
    model = _tiny(score, rng=rng)
    texts, outs = ["abc", "ca", "b"], ["xy", "yyx", "x"]
    stepwise = model.log_prob(texts, outs)
    for text, out, lp in zip(texts, outs, stepwise):
        y = np.array([[model.tgt.index(c) for c in out] + [model.tgt.eos]])
        z = model.logits(model.source_ids([text]), y)
        loss, _ = sequence_crossentropy(softmax(z), y)
        np.testing.assert_allclose(lp, -loss * y.shape[1], rtol=1e-10)
    assert model.translate(texts) == [h[0].text for h in beam_search(model, texts, 1)]
    hyp = beam_search(model, ["abc"], 2)[0][0]
    np.testing.assert_allclose(hyp.weights.sum(-1), 1.0, rtol=1e-6)


def test_placement_is_checked():
    src, tgt = Vocabulary(list("ab"), pad=True), Vocabulary(list("xy"), pad=True)
    with pytest.raises(ValueError, match="placement must be 'after'"):
        Seq2Seq(src, tgt, units=2, placement="inside")
    with pytest.raises(ValueError, match="needs attention=True"):
        Seq2Seq(src, tgt, units=2, attention=False, placement="before")
    with pytest.raises(ValueError, match="score must be one of"):
        attend("cosine", np.zeros((1, 2)), np.zeros((1, 3, 2)), {})


@pytest.mark.keras
@pytest.mark.parametrize("score", SCORES)
def test_keras_twin_of_the_context_before(score, keras, rng):
    from companion import keras_twin
    from companion.keras_twin.attentive_gru import attentive_gru_twin
    gru, att, a, mask = _arrays(score, rng, dtype=np.float32)
    (S, C, _), cache = attentive_gru_forward(a["x"], a["s0"], a["H"], mask, gru, att, score)
    ours = np.concatenate([S, C], axis=-1)
    dout = rng.standard_normal(ours.shape).astype(np.float32)
    u = S.shape[-1]
    (dx, ds0, dH), grads = attentive_gru_backward((dout[..., :u], dout[..., u:]), cache)
    ggru, gatt = _split(grads, score)
    kmodel = attentive_gru_twin(gru, att, score, *a["x"].shape[1:], a["H"].shape[1])
    _, theirs, (kdx, kds0, kdH, _), kgrads = keras_twin.backward(
        kmodel, [a["x"], a["s0"], a["H"], mask], dout)
    keras_twin.compare("[S ; C]", ours, theirs)
    for name, g, kg in (("dx", dx, kdx), ("ds0", ds0, kds0), ("dH", dH, kdH)):
        keras_twin.compare(name, g, kg)
    # Keras lists the attention's weights (created first), then the GRU's
    for name, g, kg in zip([*gatt, *ggru], [*gatt.values(), *ggru.values()], kgrads):
        keras_twin.compare(name, g, kg)
    assert len(kgrads) == len(gatt) + len(ggru)


def test_wrong_dout_shapes_and_an_empty_corpus_are_named(rng):
    """A dS or dC of another shape than forward's S and C is refused by name (it used to fail
    with an IndexError inside the loop); build_vocab refuses a corpus with no word left."""
    from companion.models.skipgram import build_vocab
    gru, att, a, mask = _arrays("dot", rng)
    (S, C, _), cache = attentive_gru_forward(a["x"], a["s0"], a["H"], mask, gru, att, "dot")
    with pytest.raises(ValueError, match=r"dout\[0\] \(dS\) has shape"):
        attentive_gru_backward((S[:, :-1], C), cache)
    with pytest.raises(ValueError, match=r"dout\[1\] \(dC\) has shape"):
        attentive_gru_backward((S, C[..., :-1]), cache)
    with pytest.raises(ValueError, match="tokens is empty"):
        build_vocab([], min_count=1)
    with pytest.raises(ValueError, match="no word of the 2 tokens is seen min_count=2"):
        build_vocab(["a", "b"], min_count=2)
