"""Cross-entropy losses with soft, smoothed and unnormalised labels, not only one-hot ones.

For each loss and each kind of label, the gradient with respect to the logits z is computed
three ways in float64 and must agree: the fused closed form ``dlogits`` (what ``Sequential``
uses), the loss's own gradient chained through the activation's backward, and a numerical
gradient. The Keras tests then compare the value and dL/dz with Keras (float32).
"""
import numpy as np
import pytest

from companion import keras_twin as reference
from companion.nn import activations, losses
from companion.nn.gradcheck import numerical_gradient, rel_error
from companion.nn.layers import Dense
from companion.nn.model import Sequential

N, K = 6, 4


def _labels(kind: str, rng, k: int = K) -> np.ndarray:
    """(N, k) targets of one kind: one-hot, soft, smoothed, unnormalised (rows not summing to 1)."""
    hard = np.eye(k)[rng.integers(0, k, N)]
    if kind == "onehot":
        return hard
    if kind == "soft":
        return rng.dirichlet(np.ones(k), N)
    if kind == "smoothed":
        return hard * 0.9 + 0.1 / k                           # Keras' label_smoothing=0.1
    if kind == "unnormalised":
        y = rng.uniform(0, 2, (N, k))
        y[0] = 0.0                                            # a row of zeros: no loss at all
        return y
    raise ValueError(kind)


BINARY_KINDS = ["onehot", "soft", "smoothed"]        # binary targets must stay in [0, 1]
CATEGORICAL_KINDS = ["onehot", "soft", "smoothed", "unnormalised"]


def _three_gradients(loss, act_name, y, z):
    """dL/dz: fused, unfused (loss gradient through the activation), numerical."""
    act = activations.get(act_name)
    p = act.fn(z)
    fused = loss.dlogits(y, p)
    _, dp = loss(y, p)
    unfused = activations.backward(act_name, dp, z, p)
    numeric = numerical_gradient(lambda: loss(y, act.fn(z))[0], z)
    return fused, unfused, numeric


@pytest.mark.parametrize("kind", CATEGORICAL_KINDS)
def test_categorical_fused_unfused_and_numerical_agree(kind, rng):
    y, z = _labels(kind, rng), rng.standard_normal((N, K))
    fused, unfused, numeric = _three_gradients(losses.CategoricalCrossentropy(), "softmax", y, z)
    assert rel_error(fused, unfused) < 1e-10
    assert rel_error(fused, numeric) < 1e-7


@pytest.mark.parametrize("kind", BINARY_KINDS)
def test_binary_fused_unfused_and_numerical_agree(kind, rng):
    y, z = _labels(kind, rng), rng.standard_normal((N, K))
    fused, unfused, numeric = _three_gradients(losses.BinaryCrossentropy(), "sigmoid", y, z)
    assert rel_error(fused, unfused) < 1e-10
    assert rel_error(fused, numeric) < 1e-7


@pytest.mark.parametrize("shape", [(N,), (3, 5)])
def test_sparse_fused_unfused_and_numerical_agree(shape, rng):
    y, z = rng.integers(0, K, shape), rng.standard_normal(shape + (K,))
    loss = losses.SparseCategoricalCrossentropy()
    fused, unfused, numeric = _three_gradients(loss, "softmax", y, z)
    assert rel_error(fused, unfused) < 1e-10
    assert rel_error(fused, numeric) < 1e-7


def test_unnormalised_row_by_hand():
    """The issue's case. By hand: with z = 0, p = (1/2, 1/2); dL/dz_j = (p_j sum(y) - y_j) / m
    with m = 2 rows gives row 1: 0, row 2: ((1/2)(2) - 2, (1/2)(2) - 0) / 2 = (-1/2, 1/2)."""
    y, p = np.array([[0.0, 0.0], [2.0, 0.0]]), np.full((2, 2), 0.5)
    np.testing.assert_allclose(losses.CategoricalCrossentropy().dlogits(y, p),
                               [[0.0, 0.0], [-0.5, 0.5]], atol=1e-15)


def test_sequential_uses_the_right_gradient_for_unnormalised_labels(rng):
    """Through the model (fused path) the parameter gradients equal numerical ones."""
    from companion.nn.gradcheck import model_gradient_errors
    model = Sequential([Dense(5, "tanh"), Dense(K, "softmax")], input_shape=(3,), seed=0)
    x, y = rng.standard_normal((N, 3)), _labels("unnormalised", rng)
    errors = model_gradient_errors(model, x, y, "categorical_crossentropy")
    assert max(errors.values()) < 1e-6, errors


# --- against Keras (float32) ---------------------------------------------------------------
# Keras computes a cross-entropy on a softmax/sigmoid *layer's* output from its logits (the
# "fused" path: under TensorFlow, tf.nn.softmax_cross_entropy_with_logits). On probabilities
# that do not come from such a layer it uses the formula on probabilities (the "unfused" path).
# Both give the same value. Their gradients agree whenever each label row sums to 1; for
# unnormalised rows TensorFlow's fused gradient is (p - y) / m, which is NOT the derivative of
# the loss value it reports (test_tensorflow_fused_gradient_assumes_rows_sum_to_one).
def _keras_dlogits(keras, loss_obj, act_name, y, z, fused=True):
    """Keras' loss value and dL/dz for an output ``activation(z)``."""
    ops = keras.ops
    if fused:
        act = keras.layers.Activation(act_name)
    elif act_name == "softmax":
        act = lambda t: ops.exp(t) / ops.sum(ops.exp(t), axis=-1, keepdims=True)
    else:
        act = lambda t: 1.0 / (1.0 + ops.exp(-t))
    inp = keras.Input((z.shape[-1],), dtype="float32")
    kmodel = keras.Model(inp, act(inp))
    yt = np.asarray(y, dtype=np.float32) if y.dtype.kind == "f" else y
    value, _, dz, _ = reference.gradients(kmodel, z.astype(np.float32),
                                          lambda out: loss_obj(yt, out))
    return value, dz


CASES = [("categorical_crossentropy", "softmax", kind) for kind in CATEGORICAL_KINDS] + \
        [("binary_crossentropy", "sigmoid", kind) for kind in BINARY_KINDS] + \
        [("sparse_categorical_crossentropy", "softmax", "integer")]


def _keras_loss(keras, name):
    return {"categorical_crossentropy": keras.losses.CategoricalCrossentropy,
            "binary_crossentropy": keras.losses.BinaryCrossentropy,
            "sparse_categorical_crossentropy": keras.losses.SparseCategoricalCrossentropy}[name]()


@pytest.mark.keras
@pytest.mark.parametrize("fused", [True, False], ids=["fused", "unfused"])
@pytest.mark.parametrize("name, act_name, kind", CASES)
def test_value_and_logit_gradient_match_keras(name, act_name, kind, fused, rng, keras):
    if fused and kind == "unnormalised" and keras.backend.backend() == "tensorflow":
        pytest.skip("TensorFlow's fused gradient assumes rows summing to 1 (tested below)")
    z = rng.standard_normal((N, K)).astype(np.float32)
    y = rng.integers(0, K, N) if kind == "integer" else _labels(kind, rng).astype(np.float32)
    k_value, k_dz = _keras_dlogits(keras, _keras_loss(keras, name), act_name, y, z, fused)
    ours = losses.get(name)
    p = activations.forward(act_name, z)
    value, _ = ours(y, p)
    assert value == pytest.approx(k_value, rel=1e-5)
    reference.compare("dL/dz", ours.dlogits(y, p), k_dz, 1e-5, quiet=True)


@pytest.mark.keras
def test_issue_case_matches_keras_derivative(keras, keras_float64):
    """Zero logits, targets [[0, 0], [2, 0]]: Keras' unfused gradient, and the derivative of
    Keras' own loss value (central differences in float64, so x64 under JAX), are the
    hand-derived [[0, 0], [-1/2, 1/2]], and so is ours."""
    y, z = np.array([[0.0, 0.0], [2.0, 0.0]]), np.zeros((2, 2))
    loss = keras.losses.CategoricalCrossentropy()
    _, k_dz = _keras_dlogits(keras, loss, "softmax", y, z, fused=False)
    np.testing.assert_allclose(k_dz, [[0.0, 0.0], [-0.5, 0.5]], atol=1e-6)
    with keras_float64():
        k_fd = _keras_value_derivative(keras, y, z)
    np.testing.assert_allclose(k_fd, k_dz, atol=1e-6)
    ours = losses.CategoricalCrossentropy().dlogits(y, activations.softmax(z))
    np.testing.assert_allclose(ours, k_dz, atol=1e-6)


def _keras_value_derivative(keras, y, z, h=1e-6):
    """Central differences of Keras' categorical cross-entropy value (float64) in z."""
    def value(zz):
        p = keras.ops.softmax(keras.ops.convert_to_tensor(zz))
        return float(np.mean(reference._to_numpy(keras.losses.categorical_crossentropy(y, p))))
    z = z.astype(np.float64)
    return numerical_gradient(lambda: value(z), z, h)


@pytest.mark.keras
def test_tensorflow_fused_gradient_assumes_rows_sum_to_one(keras):
    """Why we do not follow Keras' softmax layer here: under TensorFlow its gradient is
    (p - y) / m = [[1/4, 1/4], [-3/4, 1/4]], although the first row's loss is 0 whatever z."""
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the fused logits path is TensorFlow's")
    y, z = np.array([[0.0, 0.0], [2.0, 0.0]]), np.zeros((2, 2))
    _, k_dz = _keras_dlogits(keras, keras.losses.CategoricalCrossentropy(), "softmax", y, z)
    np.testing.assert_allclose(k_dz, (0.5 - y) / 2, atol=1e-6)
    assert np.abs(k_dz - _keras_value_derivative(keras, y, z)).max() > 0.2


@pytest.mark.keras
@pytest.mark.parametrize("kind", ["soft", "smoothed"])
def test_sequential_with_soft_labels_matches_keras_twin(kind, rng, keras):
    model = Sequential([Dense(5, "tanh"), Dense(K, "softmax")], input_shape=(3,), seed=0)
    x = rng.standard_normal((N, 3)).astype(np.float32)
    y = _labels(kind, rng).astype(np.float32)
    value = model.loss_and_grads(x.astype(np.float64), y, "categorical_crossentropy")
    k_value, _, _, k_grads = reference.loss_gradients(reference.twin(model), x, y,
                                                      "categorical_crossentropy")
    assert value == pytest.approx(k_value, rel=1e-5)
    for ours, theirs in zip(list(model.grads.values()), k_grads):
        reference.compare(f"{kind} grad", ours, theirs, 1e-5, quiet=True)


@pytest.mark.keras
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binary_crossentropy_gradient_on_the_clip_bounds_matches_keras(dtype, keras,
                                                                       keras_float64):
    """Exactly on the clip bounds (p = 1e-7 and 1 - 1e-7 in p's dtype) Keras' clip passes the
    gradient through (TensorFlow's clip_by_value is zero only strictly outside); ours too."""
    from companion.nn.losses import EPSILON, BinaryCrossentropy
    t = np.dtype(dtype).type
    p = np.array([[t(EPSILON), t(1 - EPSILON), t(0.3), t(EPSILON) / 2]], dtype=dtype)
    y = np.array([[1.0, 0.0, 1.0, 1.0]], dtype=dtype)
    _, ours = BinaryCrossentropy()(y, p)
    inputs = keras.Input(shape=(4,), dtype=dtype)
    kmodel = keras.Model(inputs, keras.layers.Activation("linear", dtype=dtype)(inputs))
    with keras_float64():
        _, _, dx, _ = reference.loss_gradients(              # the loss in p's dtype too
            kmodel, p, y, keras.losses.BinaryCrossentropy(dtype=dtype))
    assert ours[0, 0] != 0 and ours[0, 1] != 0 and ours[0, 3] == 0
    np.testing.assert_allclose(ours, dx, rtol=1e-5 if dtype == "float32" else 1e-12)
