"""Chapter 4 against Keras: regularised deep networks, Dropout, and the initialisers' laws."""
import numpy as np
import pytest

from companion import keras_twin as reference
from companion.chapters.ch04 import deep_network
from companion.nn import initializers as inits
from companion.nn import optim
from companion.nn.regularizers import L1, L1L2, L2, from_notes_lambda

pytestmark = pytest.mark.keras
TOL = 1e-5


def _data(rng, n=24, d=3):
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x, rng.integers(0, 2, (n, 1)).astype(np.float32)


@pytest.mark.parametrize("reg", [L2(0.01), L1(0.01), L1L2(0.005, 0.02),
                                 from_notes_lambda(0.7, 24)], ids=repr)
def test_regularised_deep_network_matches_keras(reg, rng, keras):
    model = deep_network([3, 8, 8, 6, 1], activations=["relu", "tanh", "relu"], regularizer=reg,
                         seed=0)
    x, y = _data(rng)
    kmodel = reference.twin(model)
    value = model.loss_and_grads(x.astype(np.float64), y, "binary_crossentropy")
    k_value, k_out, _, k_grads = reference.loss_gradients(kmodel, x, y, "binary_crossentropy")
    reference.compare("forward", model.forward(x.astype(np.float64)), k_out, TOL, quiet=True)
    assert value == pytest.approx(k_value, rel=TOL)           # penalty included on both sides
    assert model.regularization_loss() == pytest.approx(
        float(sum(keras.ops.convert_to_numpy(v) for v in kmodel.losses)), rel=TOL)
    for ours, theirs in zip(list(model.grads.values()), k_grads):
        reference.compare("grad", ours, theirs, TOL, quiet=True)


def test_regularised_training_steps_match_keras(rng, keras):
    model = deep_network([3, 8, 8, 1], regularizer=L2(0.02), seed=1)
    x, y = _data(rng, n=32)
    batches = [(x[s % 4 * 8: s % 4 * 8 + 8], y[s % 4 * 8: s % 4 * 8 + 8]) for s in range(8)]
    reference.train_in_lockstep(model, optim.SGD(0.1, momentum=0.9), batches,
                                "binary_crossentropy", TOL)


def test_dropout_twin_is_identity_at_inference_and_inverted_in_training(rng, keras):
    model = deep_network([4, 16, 16, 1], keep_probs=0.6, seed=2)
    kmodel = reference.twin(model)
    assert [type(layer).__name__ for layer in kmodel.layers].count("Dropout") == 2
    x = rng.standard_normal((10, 4)).astype(np.float32)
    reference.compare("inference", model.predict(x.astype(np.float64)),
                      keras.ops.convert_to_numpy(kmodel(x, training=False)), TOL, quiet=True)
    layer = keras.layers.Dropout(0.4, seed=3)
    big = np.tile(rng.standard_normal((1, 6)).astype(np.float32), (20_000, 1))
    out = keras.ops.convert_to_numpy(layer(big, training=True))
    zero, scaled = np.isclose(out, 0), np.isclose(out, big / 0.6, rtol=1e-6)
    assert np.all(zero | scaled)
    assert zero.mean() == pytest.approx(0.4, abs=0.01)
    np.testing.assert_allclose(out.mean(axis=0), big[0], atol=0.03 * np.abs(big[0]).max())
    ours = model.layers[1]
    ours_out = ours.forward(big[:, :1].repeat(16, axis=1).astype(np.float64), training=True)
    assert np.all(np.isclose(ours_out, 0) | np.isclose(ours_out, big[:, :1] / 0.6))
    assert (ours_out == 0).mean() == pytest.approx(0.4, abs=0.01)


@pytest.mark.parametrize("ours,theirs", [("he_normal", "HeNormal"),
                                         ("glorot_uniform", "GlorotUniform"),
                                         ("glorot_normal", "GlorotNormal")])
def test_initialisers_follow_keras_laws(ours, theirs, keras):
    """Same distribution (not the same numbers): std, and the truncation at 2 std for normals.

    Keras' PyTorch backend truncates by drawing 4 normals per weight and keeping the first
    inside 2 std (keras/src/backend/torch/random.py); when all 4 fall outside (probability
    0.0455**4 = 4.3e-6, about 0.5 of these 120,000 weights) it keeps one outside the bound.
    There the bound is checked on the other weights, and at most 5 may lie beyond it.
    """
    shape = (400, 300)
    w = inits.get(ours)(shape, np.random.default_rng(0))
    k = keras.ops.convert_to_numpy(getattr(keras.initializers, theirs)(seed=0)(shape))
    assert np.std(w) == pytest.approx(np.std(k), rel=0.01)
    beyond = np.abs(k) > 1.02 * np.abs(w).max()
    assert beyond.sum() <= (5 if keras.backend.backend() == "torch" else 0)
    assert np.abs(w).max() == pytest.approx(np.abs(k[~beyond]).max(), rel=0.01)
    assert np.mean(np.abs(w)) == pytest.approx(np.mean(np.abs(k)), rel=0.01)
