"""Optimisers, schedules, the notes' forms and the optimiser-path tools.

One parametrised Keras test runs every optimiser and schedule for 120 steps on the same
gradients, with float64 Keras variables; equivalence tests pin down the notes' forms.
"""
import numpy as np
import pytest

from companion.chapters import ch05 as ewa
from companion.chapters import ch05 as optim_check
from companion.chapters import ch05 as surfaces
from companion.chapters.ch05 import (
    BiasCorrectedAdam,
    EWAMomentum,
    NotesAdam,
    NotesMomentum,
    NotesRMSProp,
    notes_adagrad,
)
from companion import keras_twin
from companion.nn import optim

STEPS = 120
KERAS_TOL = 1e-6      # float64 variables; Keras keeps the learning rate in float32
# Keras' Adam computes beta^t as ops.power(ops.cast(beta, float64), t), and casting a Python
# float goes through float32: 0.999 becomes 0.99900001287, so 1 - beta_2^1 is off by 1.3e-5
# relative while the moving averages use the exact 0.999. With betas that float32 holds
# exactly (0.875, 1 - 2^-10) the agreement is ~5e-9; with the defaults it is ~2e-6.
KERAS_TOL_ADAM_DEFAULT_BETAS = 1e-5


def assert_close(ours, theirs, tol, what=""):
    """The package's one relative-error measure: max |a - b| / max |b| (reference.compare)."""
    a, b = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    assert a.shape == b.shape, f"{what}: shapes {a.shape} vs {b.shape}"
    err = np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300)
    assert err < tol, f"{what}: relative error {err:.2e} >= {tol:.0e}"
    return err


gradient_sequence, initial_params, run, run_keras = (optim_check.gradient_sequence,
                                                     optim_check.initial_params, optim_check.run,
                                                     optim_check.run_keras)


SCHED = {"exp": lambda lr: optim.ExponentialDecay(lr, decay_steps=10, decay_rate=0.8),
         "exp_stair": lambda lr: optim.ExponentialDecay(lr, 10, 0.8, staircase=True),
         "inv_time": lambda lr: optim.InverseTimeDecay(lr, decay_steps=5, decay_rate=0.3),
         "notes_epoch": lambda lr: optim.per_epoch_decay(lr, decay_rate=0.5, steps_per_epoch=8),
         "piecewise": lambda lr: optim.PiecewiseConstantDecay([30, 80], [lr, lr / 3, lr / 10])}

CASES = {
    "sgd": lambda lr=0.05: optim.SGD(lr),
    "momentum": lambda lr=0.05: optim.SGD(lr, momentum=0.9),
    "nesterov": lambda lr=0.05: optim.SGD(lr, momentum=0.9, nesterov=True),
    "adagrad": lambda lr=0.1: optim.Adagrad(lr),
    "adagrad_notes": lambda lr=0.1: notes_adagrad(lr),
    "rmsprop": lambda lr=0.01: optim.RMSprop(lr),
    "rmsprop_rho": lambda lr=0.01: optim.RMSprop(lr, rho=0.5, epsilon=1e-4),
    "adam": lambda lr=0.01: optim.Adam(lr),
    "adam_exact_betas": lambda lr=0.01: optim.Adam(lr, beta_1=0.875, beta_2=1 - 2 ** -10),
    "adam_eps": lambda lr=0.01: optim.Adam(lr, beta_1=0.5, beta_2=0.9375, epsilon=1e-3),
}
KERAS_CASES = [(name, None) for name in CASES] + \
    [(opt, sched) for sched in SCHED for opt in ("sgd", "momentum", "adam_exact_betas")]


@pytest.mark.keras
@pytest.mark.parametrize("name,sched", KERAS_CASES,
                         ids=[n + ("-" + s if s else "") for n, s in KERAS_CASES])
def test_optimizers_and_schedules_match_keras(name, sched, keras, keras_float64):
    make = CASES[name]
    opt = make() if sched is None else make(SCHED[sched](make().learning_rate))
    grads_seq = gradient_sequence()
    ours = run(opt, grads_seq)
    with keras_float64():                               # float64 variables under JAX too
        theirs = run_keras(keras_twin.keras_optimizer(opt, keras), keras, grads_seq)
    tol = KERAS_TOL_ADAM_DEFAULT_BETAS if name == "adam" else KERAS_TOL
    for o, t in zip(ours, theirs):
        assert_close(o, t, tol, f"{name} {sched}")
    moved = max(np.max(np.abs(o - p)) for o, p in zip(ours, initial_params()))
    assert moved > 1e-2            # the comparison is not of two parameters that stayed put


@pytest.mark.keras
@pytest.mark.parametrize("sched", sorted(SCHED))
def test_schedule_values_match_keras(sched, keras):
    ours = SCHED[sched](0.1)
    theirs = keras_twin.keras_schedule(ours, keras)
    steps = np.arange(200)
    k = np.array([float(keras.ops.convert_to_numpy(theirs(int(s)))) for s in steps])
    assert_close(ours(steps), k, 1e-6, sched)          # Keras computes schedules in float32


def test_schedules_by_hand():
    e = optim.ExponentialDecay(1.0, 10, 0.5)
    assert e(0) == 1.0 and e(10) == pytest.approx(0.5) and e(5) == pytest.approx(0.5 ** 0.5)
    s = optim.ExponentialDecay(1.0, 10, 0.5, staircase=True)
    assert s(9) == 1.0 and s(10) == pytest.approx(0.5)
    notes = optim.per_epoch_decay(0.2, decay_rate=1.0, steps_per_epoch=4)
    for step in range(20):
        epoch = step // 4
        assert notes(step) == pytest.approx(0.2 / (1 + 1.0 * epoch))
    p = optim.PiecewiseConstantDecay([3], [1.0, 0.1])
    assert p(3) == 1.0 and p(4) == 0.1


def test_update_is_pure_and_deterministic():
    grads_seq = gradient_sequence(5)
    for make in CASES.values():
        opt = make()
        params = initial_params()
        state = opt.init(params)
        before = {k: [a.copy() for a in v] if isinstance(v, list) else v for k, v in state.items()}
        opt.update(grads_seq[0], state, params)
        for k, v in before.items():
            if isinstance(v, list):
                for a, b in zip(v, state[k]):
                    np.testing.assert_array_equal(a, b)
        for a, b in zip(run(make(), grads_seq), run(make(), grads_seq)):
            np.testing.assert_array_equal(a, b)


# --- the notes' forms and their exact mappings ----------------------------------------------
def test_notes_momentum_is_keras_velocity_form():
    g = gradient_sequence(60)
    for a, b in zip(run(NotesMomentum(0.05, gamma=0.9), g), run(optim.SGD(0.05, momentum=0.9), g)):
        assert_close(a, b, 1e-13, "notes momentum")


def test_ewa_momentum_is_sgd_with_scaled_learning_rate():
    g = gradient_sequence(60)
    for a, b in zip(run(EWAMomentum(0.5, beta=0.9), g), run(optim.SGD(0.05, momentum=0.9), g)):
        assert_close(a, b, 1e-12, "EWA momentum")


def test_notes_adagrad_starts_its_accumulator_at_zero():
    g = [[x + 0.01 for x in gs] for gs in gradient_sequence(30)]       # no exact zeros: eps=0
    ours = run(notes_adagrad(0.1, epsilon=0.0), g)
    by_hand = NotesRMSProp(0.1, accumulate="sum")           # "square root of the sum"
    for a, b in zip(ours, run(by_hand, g)):
        assert_close(a, b, 1e-12, "AdaGrad = RMSProp with a sum")
    keras_default = run(optim.Adagrad(0.1), g)
    assert max(np.max(np.abs(a - b)) for a, b in zip(ours, keras_default)) > 1e-3


def test_rmsprop_is_adam_with_beta1_zero_and_bias_corrected_rate():
    """Adam(beta_1=0, eps=0) == RMSprop(rho=beta_2, eps=0) with lr_t = lr sqrt(1 - rho^t)."""
    rho, lr = 0.9, 0.01
    g = [[x + 0.01 for x in gs] for gs in gradient_sequence(80)]       # no exact zeros: eps=0
    adam = run(optim.Adam(lr, beta_1=0.0, beta_2=rho, epsilon=0.0), g)
    rms = run(optim.RMSprop(lambda step: lr * np.sqrt(1 - rho ** (step + 1)), rho=rho,
                            epsilon=0.0), g)
    for a, b in zip(adam, rms):
        assert_close(a, b, 1e-12, "Adam(beta_1=0) vs RMSprop")


def test_paper_adam_equals_keras_adam_when_epsilon_is_zero_and_maps_epsilon_hat():
    g = [[x + 0.01 for x in gs] for gs in gradient_sequence(80)]
    for a, b in zip(run(BiasCorrectedAdam(0.01, epsilon=0.0), g), run(optim.Adam(0.01, epsilon=0.0), g)):
        assert_close(a, b, 1e-12, "paper Adam vs Keras Adam, eps=0")
    # with epsilon, paper(eps) == Keras form with eps_hat_t = eps * sqrt(1 - beta_2^t)
    eps = 1e-3
    mapped = optim.Adam(0.01, epsilon=0.0)
    mapped._update_one = lambda gr, slots, lr, t: optim.Adam(0.01, epsilon=eps * np.sqrt(
        1 - 0.999 ** t))._update_one(gr, slots, lr, t)
    for a, b in zip(run(BiasCorrectedAdam(0.01, epsilon=eps), g), run(mapped, g)):
        assert_close(a, b, 1e-12, "epsilon-hat mapping")


def test_notes_adam_agrees_for_one_step_then_parts_and_freezes():
    g = gradient_sequence(200)
    for a, b in zip(run(NotesAdam(0.01), g[:1]), run(BiasCorrectedAdam(0.01), g[:1])):
        assert_close(a, b, 1e-12, "step 1")
    two = [np.max(np.abs(a - b)) for a, b in zip(run(NotesAdam(0.01), g[:2]),
                                               run(BiasCorrectedAdam(0.01), g[:2]))]
    assert max(two) > 1e-4
    opt = NotesAdam(0.01)
    params = initial_params()
    state = opt.init(params)
    for grads in g:
        updates, state = opt.update(grads, state, params)
    assert np.min(state["v"][0]) > 1e100                   # sdW has exploded (inf after ~300)
    assert max(np.max(np.abs(u)) for u in updates) < 1e-20  # so the steps have vanished


def test_notes_rmsprop_without_epsilon_gives_nan_on_zero_gradient():
    opt = NotesRMSProp(0.01)
    upd, _ = opt.update([np.zeros(3)], opt.init([np.zeros(3)]))
    assert np.all(np.isnan(upd[0]))
    opt = NotesRMSProp(0.01, epsilon=1e-8)
    upd, _ = opt.update([np.zeros(3)], opt.init([np.zeros(3)]))
    assert np.all(upd[0] == 0)


@pytest.mark.parametrize("bad,match", [
    (lambda: optim.SGD(-0.1), "learning_rate"),
    (lambda: optim.SGD(0.1, momentum=1.0), "momentum"),
    (lambda: optim.Adam(0.1, beta_2=1.0), "beta_2"),
    (lambda: optim.ExponentialDecay(0.1, 0, 0.5), "decay_steps"),
    (lambda: optim.PiecewiseConstantDecay([10], [0.1]), "values"),
    (lambda: NotesRMSProp(0.1, accumulate="max"), "accumulate"),
    (lambda: optim.get("adamw"), "unknown optimizer"),
])
def test_bad_settings_raise_clear_errors(bad, match):
    with pytest.raises(ValueError, match=match):
        bad()


HYPER_PARAMETERS = [(optim.SGD, "learning_rate"), (optim.SGD, "momentum"),
                    (optim.Adagrad, "learning_rate"), (optim.Adagrad, "initial_accumulator_value"),
                    (optim.Adagrad, "epsilon"), (optim.RMSprop, "learning_rate"),
                    (optim.RMSprop, "rho"), (optim.RMSprop, "epsilon"),
                    (optim.Adam, "learning_rate"), (optim.Adam, "beta_1"),
                    (optim.Adam, "beta_2"), (optim.Adam, "epsilon")]


@pytest.mark.parametrize("cls, arg", HYPER_PARAMETERS)
@pytest.mark.parametrize("value, error", [("0.01", TypeError), (None, TypeError),
                                          ([0.1], TypeError), (float("nan"), ValueError),
                                          (-1.0, ValueError)])
def test_every_hyper_parameter_is_checked_and_named(cls, arg, value, error):
    """Adam(learning_rate="0.01") said "ufunc 'isfinite' not supported"; now it names the
    argument, what it got and what it expects."""
    with pytest.raises(error, match=rf"^{arg} must (be a (positive )?number|lie in).* got .*"):
        cls(**{arg: value})


def test_nesterov_must_be_a_bool():
    with pytest.raises(TypeError, match="nesterov must be True or False, got str 'no'"):
        optim.SGD(0.1, momentum=0.9, nesterov="no")


@pytest.mark.parametrize("bad_rate", [-0.05, float("nan"), float("inf")])
def test_schedule_returning_a_bad_rate_raises_with_its_name_and_step(bad_rate):
    def warm_then_bad(step):
        return 0.1 if step < 3 else bad_rate
    opt = optim.SGD(warm_then_bad)
    params, state = [np.zeros(2)], opt.init([np.zeros(2)])
    for _ in range(3):                       # steps 0, 1, 2 are fine
        updates, state = opt.update([np.ones(2)], state)
        optim.apply_updates(params, updates)
    with pytest.raises(ValueError, match=r"schedule \S*warm_then_bad "
                                         r"returned .* at step 3; expected a finite learning "
                                         r"rate >= 0"):
        opt.update([np.ones(2)], state)
    np.testing.assert_allclose(params[0], [-0.3, -0.3])


def test_schedule_returning_a_string_raises_a_type_error():
    opt = optim.Adam(lambda step: "0.01")
    with pytest.raises(TypeError, match=r"returned str '0\.01' at step 0; expected a number"):
        opt.update([np.ones(2)], opt.init([np.zeros(2)]))


def test_keras_style_schedule_named_by_its_repr():
    sched = optim.PiecewiseConstantDecay([2], [0.1, 0.0])
    assert sched(5) == 0.0                   # a rate of 0 is allowed (a frozen phase)
    with pytest.raises(ValueError, match=r"values\[1\] must be a number >= 0, got -0\.1"):
        optim.PiecewiseConstantDecay([2], [0.1, -0.1])
    with pytest.raises(ValueError, match=r"decay_rate must be a number >= 0, got -0\.5"):
        optim.ExponentialDecay(0.1, 10, -0.5)
    with pytest.raises(ValueError, match=r"boundaries must be increasing"):
        optim.PiecewiseConstantDecay([10, 5], [0.1, 0.2, 0.3])


# --- moving averages -------------------------------------------------------------------------
def test_ewa_bias_correction():
    x = np.full(50, 7.0)
    assert ewa.ewa(x, 0.9)[0] == pytest.approx(0.7)                 # the early underestimate
    np.testing.assert_allclose(ewa.ewa(x, 0.9, bias_correction=True), 7.0)
    _, series = ewa.noisy_series(100, seed=0)
    corrected = ewa.ewa(series, 0.98, bias_correction=True)
    assert abs(corrected[0] - series[0]) < 1e-12
    assert np.max(ewa.notes_ewa(x, 0.9)) > 7.0 * 1.5               # the notes' recursion overshoots
    assert ewa.weights(0.9, 10).sum() == pytest.approx(1 - 0.9 ** 10)
    assert ewa.effective_window(0.98) == pytest.approx(50)
    with pytest.raises(ValueError, match="beta"):
        ewa.ewa(x, 1.0)


# --- surfaces and paths ----------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(surfaces.SURFACES))
def test_surface_gradients_are_right(name):
    s = surfaces.SURFACES[name]()
    from companion.nn.gradcheck import numerical_gradient, rel_error
    for point in (np.array(s.start, float), np.array([0.3, -0.7])):
        num = numerical_gradient(lambda p=point: s(p), point)
        assert rel_error(s.grad(point), num) < 1e-7


def test_run_path_converges_and_reports_divergence():
    q = surfaces.quadratic(25)
    path = surfaces.run_path(optim.SGD(0.03, momentum=0.9), q, steps=200)
    assert path.points.shape == (201, 2) and path.diverged_at is None
    assert surfaces.distance_to_minimum(path, q) < 1e-2
    bad = surfaces.run_path(optim.SGD(0.1), q, steps=500)        # lr > 2 / 25 diverges along y
    assert bad.diverged_at is not None and len(bad.points) == bad.diverged_at + 1
    sad = surfaces.saddle()
    plain = surfaces.run_path(optim.SGD(0.05), sad, steps=100)
    adam = surfaces.run_path(optim.Adam(0.05), sad, steps=100)
    assert plain.losses[-1] > adam.losses[-1]                     # the plateau slows plain SGD


# --- chapter 5 explorer and exercise checks -------------------------------------------------
def test_path_explorer_recomputes(monkeypatch):
    import matplotlib
    matplotlib.use("Agg")
    from companion.chapters import ch05 as optim_explorer
    ex = optim_explorer.explorer()
    assert ex.result["summary"].startswith("Adam on Rosenbrock")
    r = ex.update(optimizer="SGD", surface="quadratic", learning_rate=0.1)
    assert "diverged" in r["summary"]                      # 0.1 > 2 / 25
    r = ex.update(learning_rate=0.03, decay=0.5, steps=100)
    assert r["paths"]["SGD"].points.shape == (101, 2)
    r = ex.update(optimizer="Adam (notes)", surface="saddle")
    assert set(r["paths"]) == {"Adam (notes)", "SGD"}
    with pytest.raises(ValueError, match="unknown optimizer"):
        optim_explorer.make_optimizer("Lion", 0.1)


def test_chapter5_checks_accept_right_and_diagnose_wrong(capsys):
    from companion.exercises import ch05

    def good_adam(w, g, m, v, t, lr, b1, b2, eps):
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        return w - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps), m, v

    def notes_adam(w, g, m, v, t, lr, b1, b2, eps):
        m, v = (b1 * m + (1 - b1) * g) / (1 - b1 ** t), (b2 * v + (1 - b2) * g * g) / (1 - b2 ** t)
        return w - lr * m / (np.sqrt(v) + eps), m, v

    assert ch05.check_adam(good_adam)
    assert not ch05.check_adam(notes_adam)
    assert "notes' pseudocode" in capsys.readouterr().out
    assert ch05.check_ewa(lambda th, b: ewa.ewa(th, b, bias_correction=True))
    assert not ch05.check_ewa(ewa.notes_ewa)
    assert not ch05.check_ewa(lambda th, b: ewa.ewa(th, b))
    assert "raw averages" in capsys.readouterr().out


def test_keras_nesterov_is_the_gradient_at_the_look_ahead_point():
    from companion.chapters.ch05 import lookahead_nesterov
    q = surfaces.quadratic(25)
    keras_form = surfaces.run_path(optim.SGD(0.02, momentum=0.9, nesterov=True), q, steps=50)
    points, ahead = lookahead_nesterov(q.grad, q.start, 0.02, 0.9, 50)
    np.testing.assert_allclose(keras_form.points, ahead, rtol=1e-12, atol=1e-12)
    assert not np.allclose(points[1:], ahead[1:])


@pytest.mark.keras
def test_keras_optimizer_mapping_refuses_what_keras_lacks(keras):
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        keras_twin.keras_optimizer(optim.SGD(lambda step: 0.1), keras)
    with pytest.raises(TypeError, match="no Keras counterpart"):
        keras_twin.keras_optimizer(NotesAdam(0.1), keras)
    k = keras_twin.keras_optimizer(optim.Adagrad(0.1), keras)
    assert k.initial_accumulator_value == 0.1 and k.epsilon == 1e-7


def test_noisy_gradients_decay_beats_a_constant_rate():
    q = surfaces.quadratic(25)
    const = surfaces.run_path(optim.SGD(0.03), q, 600, noise=2.0, seed=0)
    decayed = surfaces.run_path(optim.SGD(optim.per_epoch_decay(0.03, 0.5, 20)), q, 600,
                                noise=2.0, seed=0)
    again = surfaces.run_path(optim.SGD(0.03), q, 600, noise=2.0, seed=0)
    np.testing.assert_array_equal(const.points, again.points)           # seeded
    assert decayed.losses[-100:].mean() < 0.2 * const.losses[-100:].mean()


def test_gradients_that_do_not_match_the_parameters_are_refused():
    """A missing gradient used to leave a parameter silently untouched, and a gradient of a
    broadcastable shape to be broadcast into its slot."""
    params = [np.zeros((2, 3)), np.zeros(3)]
    opt = optim.Adam(0.1)
    state = opt.init(params)
    with pytest.raises(ValueError, match=r"Adam\.update: got 1 gradients for a state made for "
                                         r"2 parameters"):
        opt.update([np.ones((2, 3))], state)
    with pytest.raises(ValueError, match=r"Adam\.update: gradient 1 has shape \(1, 3\), "
                                         r"expected \(3,\)"):
        opt.update([np.ones((2, 3)), np.ones((1, 3))], state)
    with pytest.raises(ValueError, match=r"apply_updates: 2 parameters but 1 updates"):
        optim.apply_updates(params, [np.ones((2, 3))])
    with pytest.raises(ValueError, match=r"apply_updates: update 1 has shape \(1, 3\), "
                                         r"expected \(3,\)"):
        optim.apply_updates(params, [np.ones((2, 3)), np.ones((1, 3))])
    np.testing.assert_array_equal(params[0], 0)        # nothing half-applied before the error
