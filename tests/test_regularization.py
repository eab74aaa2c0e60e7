"""L1/L2 penalties: the notes' lambda, weight decay, the proximal step, sparsity."""
import numpy as np
import pytest

from companion.chapters.ch04 import deep_network, fit_l1, sparsity_report
from companion.nn import optim
from companion.nn.regularizers import L1, L2, from_notes_lambda, soft_threshold


def test_notes_lambda_maps_to_keras_strength(rng):
    w, lam, m = rng.standard_normal((5, 3)), 0.7, 40
    notes_penalty = lam / (2 * m) * np.sum(w ** 2)
    assert from_notes_lambda(lam, m)(w) == pytest.approx(notes_penalty)
    np.testing.assert_allclose(from_notes_lambda(lam, m).gradient(w), lam / m * w)


def test_l2_step_is_weight_decay(rng):
    """w - lr (g + 2 l2 w) = (1 - 2 lr l2) w - lr g: each step shrinks w by a fixed factor."""
    w, g, lr, l2 = rng.standard_normal(6), rng.standard_normal(6), 0.1, 0.05
    updates, _ = optim.SGD(lr).update([g + L2(l2).gradient(w)], optim.SGD(lr).init([w]))
    np.testing.assert_allclose(w + updates[0], (1 - 2 * lr * l2) * w - lr * g)


def test_soft_threshold_gives_exact_zeros_and_shrinks_the_rest():
    w = np.array([-2.0, -0.3, 0.0, 0.05, 0.5, 3.0])
    np.testing.assert_allclose(soft_threshold(w, 0.4), [-1.6, 0, 0, 0, 0.1, 2.6])
    assert np.sum(soft_threshold(w, 0.4) == 0.0) == 3
    np.testing.assert_array_equal(soft_threshold(w, 0.0), w)
    with pytest.raises(ValueError, match="threshold must be >= 0"):
        soft_threshold(w, -1)


def test_soft_threshold_is_the_proximal_operator(rng):
    """prox(v) = argmin_w 0.5 (w - v)^2 + t |w|, checked by brute force on a grid."""
    grid = np.linspace(-3, 3, 60001)
    for v in rng.uniform(-2, 2, 5):
        best = grid[np.argmin(0.5 * (grid - v) ** 2 + 0.5 * np.abs(grid))]
        assert soft_threshold(np.array([v]), 0.5)[0] == pytest.approx(best, abs=1e-4)


def test_proximal_l1_gives_exact_zeros_where_subgradient_gives_near_zeros():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((80, 10))
    y = (x[:, :2].sum(axis=1) > 0).astype(float)[:, None]       # only 2 of 10 inputs matter
    reports = {}
    for method in ("subgradient", "proximal"):
        model = deep_network([10, 1], initializer="small_random", seed=0)
        history = fit_l1(model, x, y, "binary_crossentropy", l1=0.05, learning_rate=0.5,
                         epochs=300, method=method)
        assert history[-1] < history[0]
        reports[method] = sparsity_report(model.layers[0].params["kernel"], small=0.05)
    assert reports["subgradient"]["exact_zeros"] == 0
    assert reports["subgradient"]["near_zero"] >= 6
    assert reports["proximal"]["exact_zeros"] >= 6


def test_fit_l1_rejects_unknown_methods():
    model = deep_network([2, 1], seed=0)
    with pytest.raises(ValueError, match="method must be"):
        fit_l1(model, np.zeros((2, 2)), np.zeros((2, 1)), "binary_crossentropy", 0.1,
               method="adam")


def test_l1_penalty_and_subgradient(rng):
    w = rng.standard_normal((4, 4))
    assert L1(0.3)(w) == pytest.approx(0.3 * np.abs(w).sum())
    np.testing.assert_allclose(L1(0.3).gradient(w), 0.3 * np.sign(w))


def test_proximal_l1_optimizer_is_a_gradient_step_then_the_soft_threshold(rng):
    from companion.nn.optim import ProximalL1, apply_updates
    kernel, bias = rng.standard_normal((4, 3)), rng.standard_normal(3)
    g_k, g_b = rng.standard_normal((4, 3)), rng.standard_normal(3)
    params, before = [kernel, bias], [kernel.copy(), bias.copy()]
    opt = ProximalL1(0.1, l1=2.0)
    updates, state = opt.update([g_k, g_b], opt.init(params), params)
    np.testing.assert_array_equal(params[0], before[0])          # nothing modified in place
    assert state["step"] == 1
    apply_updates(params, updates)
    expected = np.sign(before[0] - 0.1 * g_k) * np.maximum(np.abs(before[0] - 0.1 * g_k) - 0.2, 0)
    np.testing.assert_allclose(params[0], expected, atol=1e-15)
    assert np.sum(params[0] == 0.0) == np.sum(expected == 0.0) > 0   # exact zeros stay exact
    np.testing.assert_allclose(params[1], before[1] - 0.1 * g_b)      # the bias: no threshold


def test_proximal_l1_optimizer_refuses_a_call_without_params():
    from companion.nn.optim import ProximalL1
    opt = ProximalL1(0.1, l1=0.5)
    with pytest.raises(ValueError, match="needs the parameters"):
        opt.update([np.ones((2, 2))], opt.init([np.ones((2, 2))]))
    with pytest.raises(ValueError, match="l1 must be"):
        ProximalL1(0.1, l1=-1.0)
    with pytest.raises(TypeError, match="penalize must be"):
        ProximalL1(0.1, l1=1.0, penalize="kernel")


def test_fit_l1_through_fit_matches_the_hand_written_loop():
    """The old loop, written out: full-batch steps, p -= lr g, then the soft threshold (or the
    subgradient of L1 in the gradient); fit with the optimisers lands on the same weights."""
    from companion.nn.regularizers import soft_threshold
    rng = np.random.default_rng(3)
    x = rng.standard_normal((50, 6))
    y = (x[:, :2].sum(axis=1) > 0).astype(float)[:, None]
    for method in ("subgradient", "proximal"):
        ours = deep_network([6, 4, 1], initializer="glorot_uniform", seed=1)
        ref = deep_network([6, 4, 1], initializer="glorot_uniform", seed=1)
        fit_l1(ours, x, y, "binary_crossentropy", l1=0.02, learning_rate=0.3, epochs=40,
               method=method)
        kernels = [layer for layer in ref.layers if "kernel" in layer.params]
        for layer in kernels:
            layer.kernel_regularizer = L1(0.02) if method == "subgradient" else None
        for _ in range(40):
            ref.loss_and_grads(x, y, "binary_crossentropy")
            for layer in ref.layers:
                for k, g in layer.grads.items():
                    layer.params[k] -= 0.3 * g
            if method == "proximal":
                for layer in kernels:
                    layer.params["kernel"][...] = soft_threshold(layer.params["kernel"], 0.3 * 0.02)
        for a, b in zip(ours.get_weights(), ref.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
        assert all(layer.kernel_regularizer is None for layer in ours.layers
                   if hasattr(layer, "kernel_regularizer"))               # left as it was found
