"""Batch normalisation: gradient checks (float64), moving statistics, non-trainable weights in
models and optimisers, and Keras' BatchNormalization in training and inference mode."""
import numpy as np
import pytest

from companion import keras_twin as reference
from companion.nn import gradcheck, optim
from companion.nn.layers import Activation, BatchNormalization, Dense
from companion.nn.layers.batchnorm import batchnorm_forward
from companion.nn.model import Sequential
from companion.nn.train import fit

KERAS_TOL = 1e-5          # float32


def make_bn(shape, rng, **kw):
    bn = BatchNormalization(**kw)
    bn.build(shape[1:], rng)
    if "gamma" in bn.params:
        bn.params["gamma"][...] = rng.uniform(0.5, 2.0, shape[-1])
    if "beta" in bn.params:
        bn.params["beta"][...] = rng.standard_normal(shape[-1])
    bn.state["moving_mean"][...] = rng.standard_normal(shape[-1])
    bn.state["moving_variance"][...] = rng.uniform(0.5, 2.0, shape[-1])
    return bn


@pytest.mark.parametrize("shape", [(2, 1), (5, 3), (16, 4), (4, 3, 2), (3, 2, 2, 5)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("flags", [{}, {"center": False}, {"scale": False}])
def test_gradients_match_numerical(shape, training, flags, rng):
    bn = make_bn(shape, rng, **flags)
    x = rng.standard_normal(shape) * 3 + 2
    errors = gradcheck.layer_gradient_errors(bn, x, training=training)
    assert set(errors) == {"x"} | set(bn.params)
    for name, err in errors.items():
        assert err < 1e-7, (name, err)


def test_single_example_training_and_inference(rng):
    bn = make_bn((1, 3), rng)
    x = rng.standard_normal((1, 3))
    np.testing.assert_allclose(bn.forward(x, training=True), bn.params["beta"][None])  # var 0
    mm, mv = bn.state["moving_mean"], bn.state["moving_variance"]
    expected = bn.params["gamma"] * (x - mm) / np.sqrt(mv + 1e-3) + bn.params["beta"]
    np.testing.assert_allclose(bn.forward(x, training=False), expected)


def test_training_output_is_normalised_and_moving_stats_follow_keras_rule(rng):
    bn = BatchNormalization(momentum=0.9)
    bn.build((4,))
    x = rng.standard_normal((64, 4)) * 5 + 3
    out = bn.forward(x, training=True)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=0), x.var(axis=0) / (x.var(axis=0) + 1e-3))
    np.testing.assert_allclose(bn.state["moving_mean"], 0.1 * x.mean(axis=0))
    np.testing.assert_allclose(bn.state["moving_variance"], 0.9 + 0.1 * x.var(axis=0))
    before = bn.get_weights()
    bn.forward(x, training=False)                       # inference leaves the statistics alone
    for a, b in zip(before, bn.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_bias_before_batchnorm_is_redundant(rng):
    x = rng.standard_normal((8, 3))
    out1, *_ = batchnorm_forward(x, np.ones(3), np.zeros(3))
    out2, *_ = batchnorm_forward(x + np.array([5.0, -2.0, 0.3]), np.ones(3), np.zeros(3))
    np.testing.assert_allclose(out1, out2, atol=1e-12)


def test_models_and_optimisers_see_only_trainable_weights(rng):
    model = Sequential([Dense(5, use_bias=False), BatchNormalization(), Activation("relu"),
                        Dense(3, "softmax")], input_shape=(4,), seed=0)
    assert [n for n, _ in list(model.params.items())] == [
        "dense.kernel", "batchnormalization.gamma", "batchnormalization.beta",
        "dense_1.kernel", "dense_1.bias"]
    assert len(model.get_weights()) == 7                     # Keras order, moving stats included
    x, y = rng.standard_normal((40, 4)), rng.integers(0, 3, 40)
    errs = gradcheck.model_gradient_errors(model, x[:8], np.eye(3)[y[:8]],
                                           "categorical_crossentropy", training=True)
    assert max(errs.values()) < 1e-7
    hist = fit(model, x, y, "sparse_categorical_crossentropy", optim.Adam(0.01), epochs=3,
               batch_size=8, seed=0)
    assert np.isfinite(hist["loss"]).all()
    assert not np.allclose(model.layers[1].state["moving_mean"], 0)   # updated by training
    w = model.get_weights()
    model.set_weights(w)
    assert len(list(model.params.values())) == len(list(model.grads.values())) == 5


@pytest.mark.parametrize("kwargs,match", [({"momentum": 1.5}, "momentum"),
                                          ({"epsilon": 0.0}, "epsilon")])
def test_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BatchNormalization(**kwargs)


def test_bad_input_shape(rng):
    bn = BatchNormalization()
    bn.build((3,))
    with pytest.raises(ValueError, match=r"shape \(4, 2\), expected \(N, 3\)"):
        bn.forward(rng.standard_normal((4, 2)))


# --- against Keras ----------------------------------------------------------------------------
def _twin_pair(rng, shape):
    model = Sequential([BatchNormalization()], input_shape=shape[1:], seed=0)
    bn = model.layers[0]
    bn.params["gamma"][...] = rng.uniform(0.5, 2.0, shape[-1])
    bn.params["beta"][...] = rng.standard_normal(shape[-1])
    bn.state["moving_mean"][...] = rng.standard_normal(shape[-1])
    bn.state["moving_variance"][...] = rng.uniform(0.5, 2.0, shape[-1])
    return model, reference.twin(model)


@pytest.mark.keras
@pytest.mark.parametrize("shape", [(8, 4), (6, 3, 3, 2)])
@pytest.mark.parametrize("training", [True, False])
def test_outputs_and_gradients_match_keras(shape, training, rng, keras):
    model, kmodel = _twin_pair(rng, shape)
    x = (rng.standard_normal(shape) * 2 + 1).astype(np.float32)
    dout = rng.standard_normal(shape).astype(np.float32)
    out = model.forward(x.astype(np.float64), training=training)
    dx = model.backward(dout.astype(np.float64))
    _, k_out, k_dx, k_dw = reference.backward(kmodel, x, dout, training=training)
    reference.compare("output", out, k_out, KERAS_TOL, quiet=True)
    reference.compare("dx", dx, k_dx, KERAS_TOL, quiet=True)
    reference.compare("dgamma", model.layers[0].grads["gamma"], k_dw[0], KERAS_TOL, quiet=True)
    reference.compare("dbeta", model.layers[0].grads["beta"], k_dw[1], KERAS_TOL, quiet=True)


@pytest.mark.keras
def test_moving_statistics_match_keras_after_training_steps(rng, keras):
    model, kmodel = _twin_pair(rng, (16, 5))
    for step in range(6):
        x = (rng.standard_normal((16, 5)) * (step + 1) + step).astype(np.float32)
        model.forward(x.astype(np.float64), training=True)
        kmodel(x, training=True)
    for ours, theirs, name in zip(model.get_weights(), kmodel.get_weights(),
                                  ["gamma", "beta", "moving_mean", "moving_variance"]):
        reference.compare(name, ours, theirs, KERAS_TOL, quiet=True)
    x = rng.standard_normal((3, 5)).astype(np.float32)
    reference.compare("inference", model.predict(x.astype(np.float64)),
                      keras.ops.convert_to_numpy(kmodel(x, training=False)), KERAS_TOL, quiet=True)


@pytest.mark.keras
def test_bn_network_training_steps_match_keras(rng, keras):
    """Dense (no bias) -> BN -> ReLU -> softmax: five SGD steps leave the same weights."""
    x = rng.standard_normal((32, 4)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 32)]
    model = Sequential([Dense(6, use_bias=False), BatchNormalization(), Activation("relu"),
                        Dense(3, "softmax")], input_shape=(4,), seed=0)
    batches = [(x[s % 4 * 8: s % 4 * 8 + 8], y[s % 4 * 8: s % 4 * 8 + 8]) for s in range(5)]
    reference.train_in_lockstep(model, optim.SGD(0.1, momentum=0.9), batches,
                                "categorical_crossentropy", KERAS_TOL, training=True)


# --- chapter 6 study, explorer and exercise checks -----------------------------------------
def test_bn_study_and_explorer():
    import matplotlib
    matplotlib.use("Agg")
    from companion.chapters import ch06 as bn_study
    from companion.chapters import ch06 as hyperparams
    data = hyperparams.digits_split()
    model = bn_study.deep_model(True, depth=2)
    assert [type(layer).__name__ for layer in model.layers][:3] == [
        "Dense", "BatchNormalization", "Activation"] and not model.layers[0].use_bias
    noise = bn_study.bn_noise(data[0][0][:, 20:24], batch_sizes=(4, 64), draws=50)
    assert noise[4] > 2 * noise[64]
    ex = bn_study.explorer(data)
    r = ex.update(learning_rate=10 ** 0.5, batch_norm=False, batch_size=32)
    assert r["runs"][False]["diverged_at"] is not None and "diverged" in r["summary"]
    assert r["runs"][True]["diverged_at"] is None


def test_chapter6_checks(capsys):
    from companion.exercises import ch06
    assert ch06.check_batchnorm_forward(
        lambda x, g, b, e: g * (x - x.mean(0)) / np.sqrt(x.var(0) + e) + b)
    assert not ch06.check_batchnorm_forward(
        lambda x, g, b, e: g * (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + e) + b)
    assert "biased variance" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["relu", "tanh", "sigmoid", "softmax"])
def test_activation_layer_gradients(name, rng):
    layer = Activation(name)
    layer.build((4,))
    x = rng.standard_normal((5, 4)) + 0.1
    errs = gradcheck.layer_gradient_errors(layer, x)
    assert set(errs) == {"x"} and errs["x"] < 1e-7
    assert layer.count_params() == 0


@pytest.mark.keras
@pytest.mark.parametrize("flags", [{"center": False}, {"scale": False}])
def test_center_and_scale_flags_match_keras(flags, rng, keras):
    model = Sequential([BatchNormalization(**flags)], input_shape=(3,), seed=0)
    for p in model.layers[0].weights().values():
        p[...] = rng.uniform(0.5, 1.5, 3)
    kmodel = reference.twin(model)
    assert [w.shape for w in kmodel.get_weights()] == [w.shape for w in model.get_weights()]
    x = rng.standard_normal((7, 3)).astype(np.float32)
    dout = rng.standard_normal((7, 3)).astype(np.float32)
    for training in (True, False):
        out = model.forward(x.astype(np.float64), training=training)
        dx = model.backward(dout.astype(np.float64))
        _, k_out, k_dx, k_dw = reference.backward(kmodel, x, dout, training=training)
        reference.compare("output", out, k_out, KERAS_TOL, quiet=True)
        reference.compare("dx", dx, k_dx, KERAS_TOL, quiet=True)
        for ours, theirs in zip(list(model.grads.values()), k_dw):
            reference.compare("dweight", ours, theirs, KERAS_TOL, quiet=True)
