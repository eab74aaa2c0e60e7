"""SimpleRNN: step and sequence gradient checks (float64), shapes, errors, and Keras twins."""
import numpy as np
import pytest

from companion import keras_twin as reference
from companion.nn.gradcheck import (
    layer_gradient_errors,
    model_gradient_errors,
    numerical_gradient,
    rel_error,
)
from companion.nn.layers import (
    Dense,
    SimpleRNN,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)
from companion.nn.model import Sequential

TOL = 1e-7


def _layer(units=4, T=5, D=3, seed=0, **kw):
    layer = SimpleRNN(units, **kw)
    layer.build((T, D), np.random.default_rng(seed))
    layer.params["bias"][:] = np.random.default_rng(seed + 1).standard_normal(units) * 0.5
    return layer


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_step_gradients(activation, rng):
    x, h = rng.standard_normal((3, 4)), rng.standard_normal((3, 5))
    Wx, Wh, b = rng.standard_normal((4, 5)), rng.standard_normal((5, 5)), rng.standard_normal(5)
    dh = rng.standard_normal((3, 5))
    out, cache = rnn_step_forward(x, h, Wx, Wh, b, activation)
    assert out.shape == (3, 5)
    (dx, dh_prev), (dWx, dWh, db) = rnn_step_backward(dh, cache)
    grads = [dx, dh_prev, dWx, dWh, db]

    def f():
        return np.sum(rnn_step_forward(x, h, Wx, Wh, b, activation)[0] * dh)

    for g, p in zip(grads, (x, h, Wx, Wh, b)):
        assert rel_error(g, numerical_gradient(f, p)) < TOL


@pytest.mark.parametrize("N,T", [(1, 1), (1, 6), (4, 1), (3, 7)])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_sequence_gradients(N, T, return_sequences, rng):
    layer = _layer(T=T, return_sequences=return_sequences)
    x = rng.standard_normal((N, T, 3))
    h0 = rng.standard_normal((N, 4))
    errors = layer_gradient_errors(layer, x)
    assert max(errors.values()) < TOL, errors
    # with an initial state: every weight (even recurrent_kernel at T=1) and d(initial state)
    dout = rng.standard_normal(layer.forward(x, initial_state=h0).shape)
    layer.backward(dout)
    analytic = {"h0": layer.dinitial_state, **{k: g.copy() for k, g in layer.grads.items()}}

    def f():
        return np.sum(layer.forward(x, initial_state=h0) * dout)

    assert rel_error(analytic["h0"], numerical_gradient(f, h0)) < TOL
    for k, p in layer.params.items():
        assert rel_error(analytic[k], numerical_gradient(f, p)) < TOL, k


def test_bptt_sums_over_time_and_matches_steps(rng):
    """rnn_forward/rnn_backward are the step functions chained; weight gradients are sums."""
    x, h0 = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5))
    Wx, Wh, b = rng.standard_normal((4, 5)), rng.standard_normal((5, 5)) * 0.5, np.zeros(5)
    hs, caches = rnn_forward(x, h0, Wx, Wh, b)
    h = h0
    for t in range(3):
        h, _ = rnn_step_forward(x[:, t], h, Wx, Wh, b)
        np.testing.assert_allclose(hs[:, t], h)
    dh = np.zeros_like(hs)
    dh[:, -1] = 1.0
    (dx, dh0), (dWx, dWh, db) = rnn_backward(dh, caches)
    assert dx.shape == x.shape and dh0.shape == h0.shape and dWx.shape == Wx.shape
    assert dWh.shape == Wh.shape and db.shape == b.shape
    # the same gradients as the step functions chained backwards, sums over time
    step_caches, h = [], h0
    for t in range(3):
        h, c = rnn_step_forward(x[:, t], h, Wx, Wh, b)
        step_caches.append(c)
    dnext, sums = np.zeros_like(h0), [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
    for t in reversed(range(3)):
        (dx_t, dnext), step_grads = rnn_step_backward(dh[:, t] + dnext, step_caches[t])
        np.testing.assert_allclose(dx[:, t], dx_t, atol=1e-12)
        sums = [s + g for s, g in zip(sums, step_grads)]
    np.testing.assert_allclose(dh0, dnext, atol=1e-12)
    for ours, chained in zip((dWx, dWh, db), sums):
        np.testing.assert_allclose(ours, chained, atol=1e-12)


def test_return_state_gradients(rng):
    layer = _layer(T=4, return_sequences=True, return_state=True)
    x = rng.standard_normal((2, 4, 3))
    out, state = layer.forward(x)
    np.testing.assert_array_equal(state, out[:, -1])
    dout, dstate = rng.standard_normal(out.shape), rng.standard_normal(state.shape)
    dx = layer.backward([dout, dstate])

    def f():
        o, s = layer.forward(x)
        return np.sum(o * dout) + np.sum(s * dstate)

    assert rel_error(dx, numerical_gradient(f, x)) < TOL
    dx_none = layer.backward([None, dstate])
    assert dx_none.shape == x.shape


def test_shapes_and_output_shape():
    layer = SimpleRNN(7, return_sequences=True)
    assert layer.build((None, 3), np.random.default_rng(0)) == (None, 7)
    out = layer.forward(np.zeros((2, 9, 3)))
    assert out.shape == (2, 9, 7) and layer.final_state.shape == (2, 7)
    last = SimpleRNN(7)
    assert last.build((5, 3), np.random.default_rng(0)) == (7,)
    assert [p.shape for p in last.get_weights()] == [(3, 7), (7, 7), (7,)]
    # orthogonal recurrent kernel by default
    Wh = last.params["recurrent_kernel"]
    np.testing.assert_allclose(Wh @ Wh.T, np.eye(7), atol=1e-12)


def test_dense_after_rnn_acts_per_time_step(rng):
    model = Sequential([SimpleRNN(6, return_sequences=True), Dense(5, "softmax")],
                       input_shape=(None, 4), seed=0)
    x = rng.standard_normal((3, 8, 4))
    p = model.forward(x)
    assert p.shape == (3, 8, 5)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0)
    y = rng.integers(0, 5, (3, 8))
    errors = model_gradient_errors(
        model, x, y, "sparse_categorical_crossentropy")
    assert max(errors.values()) < TOL, errors


def test_deterministic(rng):
    a, b = _layer(seed=3), _layer(seed=3)
    x = rng.standard_normal((2, 5, 3))
    np.testing.assert_array_equal(a.forward(x), b.forward(x))


def test_bad_inputs():
    layer = _layer(T=5, D=3)
    with pytest.raises(ValueError, match=r"expected \(N, 5, 3\)"):
        layer.forward(np.zeros((2, 5, 4)))
    with pytest.raises(ValueError, match=r"shape \(2, 3\), expected \(N, 5, 3\)"):
        layer.forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"initial_state: expected shape \(2, 4\)"):
        layer.forward(np.zeros((2, 5, 3)), initial_state=np.zeros((2, 5)))
    with pytest.raises(ValueError, match="units must be a positive integer"):
        SimpleRNN(0)
    with pytest.raises(ValueError, match="unknown activation"):
        SimpleRNN(3, activation="swish-ish")
    with pytest.raises(ValueError, match=r"input_shape \(T, D\)"):
        SimpleRNN(3).build((4,), np.random.default_rng(0))
    empty = SimpleRNN(3)
    empty.build((None, 2), np.random.default_rng(0))
    with pytest.raises(ValueError, match="T >= 1"):
        empty.forward(np.zeros((1, 0, 2)))
    layer.forward(np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match=r"dout has shape \(2, 5, 4\), expected \(2, 4\)"):
        layer.backward(np.zeros((2, 5, 4)))


# --- Keras twins (float32) -----------------------------------------------------------------
@pytest.mark.keras
@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("N,T", [(1, 1), (4, 7)])
def test_matches_keras(return_sequences, N, T, rng, keras):
    model = Sequential([SimpleRNN(5, return_sequences=return_sequences)], input_shape=(T, 3),
                       seed=0)
    model.layers[0].params["bias"][:] = rng.standard_normal(5) * 0.3
    kmodel = reference.twin(model)
    x = rng.standard_normal((N, T, 3)).astype(np.float32)
    out = model.forward(x.astype(np.float64))
    dout = rng.standard_normal(out.shape)
    dx = model.backward(dout)
    _, k_out, k_dx, k_dw = reference.backward(kmodel, x, dout)
    reference.compare("outputs", out, k_out, 1e-5, quiet=True)
    reference.compare("dx", dx, k_dx, 1e-5, quiet=True)
    for ours, theirs in zip(list(model.grads.values()), k_dw):
        reference.compare("dW", ours, theirs, 1e-5, quiet=True)


@pytest.mark.keras
def test_final_state_and_initial_state_match_keras(rng, keras):
    layer = _layer(units=4, T=6, D=3, return_sequences=True)
    x = rng.standard_normal((3, 6, 3)).astype(np.float32)
    h0 = rng.standard_normal((3, 4)).astype(np.float32)
    klayer = keras.layers.SimpleRNN(4, return_sequences=True, return_state=True)
    klayer.build((None, 6, 3))
    klayer.set_weights(layer.get_weights())
    k_out, k_state = klayer(x, initial_state=h0)
    out = layer.forward(x.astype(np.float64), initial_state=h0.astype(np.float64))
    reference.compare("outputs", out, keras.ops.convert_to_numpy(k_out), 1e-5, quiet=True)
    reference.compare("state", layer.final_state, keras.ops.convert_to_numpy(k_state), 1e-5,
                      quiet=True)


@pytest.mark.keras
def test_initial_state_gradient_matches_keras(rng, keras):
    """d(initial state) on every backend: a functional twin whose second input is h0."""
    layer = _layer(units=4, T=5, D=3, return_sequences=True)
    x = rng.standard_normal((2, 5, 3)).astype(np.float32)
    h0 = rng.standard_normal((2, 4)).astype(np.float32)
    dout = rng.standard_normal((2, 5, 4)).astype(np.float32)
    klayer = keras.layers.SimpleRNN(4, return_sequences=True)
    xs, hs = keras.Input((5, 3)), keras.Input((4,))
    kmodel = keras.Model([xs, hs], klayer(xs, initial_state=hs))
    klayer.set_weights(layer.get_weights())
    _, _, (_, k_dh0), _ = reference.backward(kmodel, [x, h0], dout)
    layer.forward(x.astype(np.float64), initial_state=h0.astype(np.float64))
    layer.backward(dout.astype(np.float64))
    reference.compare("dh0", layer.dinitial_state, k_dh0, 1e-5, quiet=True)


@pytest.mark.parametrize("cls", ["SimpleRNN", "GRU", "LSTM"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_recurrent_layers_compute_in_their_dtype(cls, dtype, rng):
    """A float32 layer stays float32 end to end (weights, outputs, gradients), even for a
    float64 input and upstream gradient."""
    from companion.nn import layers
    layer = getattr(layers, cls)(4, return_sequences=True, dtype=dtype)
    layer.build((5, 3), rng)
    assert all(p.dtype == dtype for p in layer.params.values())
    out = layer.forward(rng.standard_normal((2, 5, 3)))
    dx = layer.backward(rng.standard_normal(out.shape))
    assert out.dtype == dtype and dx.dtype == dtype
    assert all(g.dtype == dtype for g in layer.grads.values())


def test_the_one_sigmoid():
    """activations.sigmoid (the gates' sigmoid too): no overflow, accurate tails (not 0 at
    -40), float32 kept, in place with out=, and 1/(1+exp(-z)) wherever that is safe."""
    import warnings

    from companion.nn.activations import sigmoid
    z = np.array([-800.0, -40.0, -1.5, 0.0, 2.0, 800.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")                      # an overflow would be a warning
        s = sigmoid(z)
    np.testing.assert_allclose(s[1:5], 1 / (1 + np.exp(-z[1:5])), rtol=1e-15)
    assert s[0] == 0.0 and s[-1] == 1.0 and s[1] == pytest.approx(4.248354255291589e-18)
    z32 = z.astype(np.float32)
    assert sigmoid(z32).dtype == np.float32
    buf = z32.copy()
    assert sigmoid(buf, out=buf) is buf
    np.testing.assert_array_equal(buf, sigmoid(z32))
