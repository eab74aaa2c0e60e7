"""GRU: step and sequence gradient checks (float64), shapes, errors, and Keras twins (float32)."""
import numpy as np
import pytest

from companion.chapters.ch11 import (
    keras_gru_to_notes,
    keras_model_check,
    keras_state_check,
    notes_gru_step_backward,
    notes_gru_step_forward,
    perturb,
    sequence_gradient_errors,
)
from companion.nn.gradcheck import numerical_gradient, rel_error
from companion.nn.layers import Dense
from companion.nn.layers.gru import GRU, gru_step_backward, gru_step_forward
from companion.nn.model import Sequential

TOL = 1e-7


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("N", [1, 3])
def test_step_gradients(reset_after, use_bias, N, rng):
    D, u = 4, 3
    x, h = rng.standard_normal((N, D)), rng.standard_normal((N, u))
    W, U = rng.standard_normal((D, 3 * u)), rng.standard_normal((u, 3 * u))
    b = (rng.standard_normal((2, 3 * u) if reset_after else (3 * u,)) if use_bias else None)
    dh = rng.standard_normal((N, u))
    _, cache = gru_step_forward(x, h, W, U, b, reset_after)
    (dx, dh_prev), (dW, dU, db) = gru_step_backward(dh, cache)
    assert (db is None) == (b is None)
    grads = [dx, dh_prev, dW, dU, db]

    def f():
        return float(np.sum(gru_step_forward(x, h, W, U, b, reset_after)[0] * dh))

    for arr, g in zip([x, h, W, U, b], grads):
        if arr is not None:
            assert rel_error(g, numerical_gradient(f, arr)) < TOL


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("N,T", [(1, 1), (3, 1), (1, 6), (3, 6)])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_sequence_gradients(reset_after, N, T, return_sequences, rng):
    layer = GRU(3, reset_after=reset_after, return_sequences=return_sequences,
                return_state=True)
    layer.build((T, 2), rng)
    perturb(layer, rng)
    errs = sequence_gradient_errors(layer, rng.standard_normal((N, T, 2)),
                                    rng.standard_normal((N, 3)), rng)
    assert max(errs.values()) < TOL, errs


def test_go_backwards_reverses_time(rng):
    fwd, bwd = GRU(3, return_sequences=True), GRU(3, return_sequences=True, go_backwards=True)
    fwd.build((5, 2), rng)
    bwd.build((5, 2), rng)
    bwd.set_weights(fwd.get_weights())
    x = rng.standard_normal((2, 5, 2))
    np.testing.assert_allclose(bwd.forward(x), fwd.forward(x[:, ::-1]))


def test_notes_gru_equals_keras_form(rng):
    """The notes' c = Γu c~ + (1-Γu) c_prev with Γu = 1 - z is Keras' reset_after=False GRU."""
    layer = GRU(4, reset_after=False)
    layer.build((3, 2), rng)
    perturb(layer, rng)
    x, h = rng.standard_normal((5, 2)), rng.standard_normal((5, 4))
    ours, _ = gru_step_forward(x, h, *layer.get_weights(), reset_after=False)
    notes = keras_gru_to_notes(*layer.get_weights())
    theirs, _ = notes_gru_step_forward(x, h, notes)
    np.testing.assert_allclose(theirs, ours, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("simplified", [True, False])
def test_notes_gru_gradients(simplified, rng):
    n_a, n_x, N = 3, 2, 4
    p = {k: rng.standard_normal((n_a, n_a + n_x)) for k in ("Wc", "Wu", "Wr")}
    p.update({k: rng.standard_normal(n_a) for k in ("bc", "bu", "br")})
    if simplified:
        del p["Wr"], p["br"]
    x, c = rng.standard_normal((N, n_x)), rng.standard_normal((N, n_a))
    dc = rng.standard_normal((N, n_a))
    _, cache = notes_gru_step_forward(x, c, p)
    dx, dc_prev, dp = notes_gru_step_backward(dc, cache)

    def f():
        return float(np.sum(notes_gru_step_forward(x, c, p)[0] * dc))

    assert rel_error(dx, numerical_gradient(f, x)) < TOL
    assert rel_error(dc_prev, numerical_gradient(f, c)) < TOL
    for k, value in p.items():
        assert rel_error(dp[k], numerical_gradient(f, value)) < TOL, k


def test_shapes_and_bias_layouts(rng):
    for reset_after, bshape in [(True, (2, 15)), (False, (15,))]:
        layer = GRU(5, reset_after=reset_after, return_sequences=True)
        assert layer.build((7, 3), rng) == (7, 5)
        assert [p.shape for p in layer.get_weights()] == [(3, 15), (5, 15), bshape]
        assert layer.forward(np.zeros((2, 7, 3))).shape == (2, 7, 5)


def test_deterministic(rng):
    def run():
        m = Sequential([GRU(4), Dense(2)], input_shape=(5, 3), seed=7)
        return m.forward(np.ones((2, 5, 3)))
    np.testing.assert_array_equal(run(), run())


def test_bad_inputs(rng):
    layer = GRU(4)
    layer.build((5, 3), rng)
    with pytest.raises(ValueError, match=r"x has shape \(2, 5\), expected \(N, T, 3\)"):
        layer.forward(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"expected \(N, T, 3\)"):
        layer.forward(np.zeros((2, 5, 4)))
    with pytest.raises(ValueError, match=r"initial_state\[0\] has shape \(3, 4\), expected"):
        layer.forward(np.zeros((2, 5, 3)), initial_state=np.zeros((3, 4)))
    layer.forward(np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match=r"dout has shape \(2, 5, 4\), expected \(2, 4\)"):
        layer.backward(np.zeros((2, 5, 4)))
    with pytest.raises(ValueError, match="units must be a positive integer"):
        GRU(0)
    with pytest.raises(ValueError, match=r"input_shape must be \(T, D\)"):
        GRU(3).build((4,), rng)


@pytest.mark.keras
@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("N,T", [(1, 1), (4, 7)])
def test_matches_keras_with_states(reset_after, return_sequences, N, T, rng, keras):
    layer = GRU(5, reset_after=reset_after, return_sequences=return_sequences,
                return_state=True)
    layer.build((T, 3), rng)
    perturb(layer, rng)
    errs = keras_state_check(layer, rng.standard_normal((N, T, 3)),
                             [rng.standard_normal((N, 5))], rng, keras)
    assert set(errs) >= {"output", "final state 0", "dx", "d initial state 0", "bias"}


@pytest.mark.keras
def test_stacked_matches_keras(rng, keras):
    model = Sequential([GRU(6, return_sequences=True, reset_after=False),
                        GRU(5, return_sequences=True), GRU(4), Dense(3)],
                       input_shape=(8, 3), seed=1)
    for layer in model.layers:
        perturb(layer, rng, 0.3)
    keras_model_check(model, rng.standard_normal((4, 8, 3)), rng)
