"""Chapter 8's exercise checkers: the solution passes, each planted mistake gets its hint,
garbage gets one sentence and no traceback."""

from functools import partial

import numpy as np
import pytest
from exercise_garbage import run_check as verdict

from companion.exercises import ch08
from companion.nn.layers.conv import conv2d_backward, conv2d_forward


# --- learner code: the solutions, with switches that plant the mistakes ---------------------
def conv(x, W, b, stride=1):
    return conv2d_forward(x, W, b, stride, padding="same")[0]


def residual_forward(x, W1, b1, W2, b2, Ws=None, bs=None, stride=1, bug=None):
    a1 = conv(x, W1, b1, stride)
    z2 = conv(a1 if bug == "linear first" else np.maximum(a1, 0), W2, b2)
    shortcut = x if Ws is None else conv(x, Ws, bs, stride)
    if bug == "after relu":
        return np.maximum(z2, 0) + shortcut
    if bug == "no shortcut":
        return np.maximum(z2, 0)
    return z2 + shortcut if bug == "no relu" else np.maximum(z2 + shortcut, 0)


def residual_backward(dout, x, W1, b1, W2, b2, Ws=None, bs=None, stride=1, bug=None):
    z1, c1 = conv2d_forward(x, W1, b1, stride, "same")
    z2, c2 = conv2d_forward(np.maximum(z1, 0), W2, b2, 1, "same")
    shortcut, cs = (x, None) if Ws is None else conv2d_forward(x, Ws, bs, stride, "same")
    dz = {"no output mask": dout, "branch mask": dout * (z2 > 0)}.get(bug, dout * (z2 + shortcut > 0))
    da1, (dW2, db2) = conv2d_backward(dz, c2)
    dx, (dW1, db1) = conv2d_backward(da1 if bug == "no first mask" else da1 * (z1 > 0), c1)
    grads = {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
    if Ws is None:
        dxs = dz
    else:
        dxs, (grads["dWs"], grads["dbs"]) = conv2d_backward(dz, cs)
    grads["dx"] = dx if bug == "no skip" else dx + dxs
    return grads


def stack_output_shape(input_shape, layers, bug=None):
    h, w, c = input_shape
    for filters, k, s, padding in layers:
        if padding == "same":
            h, w = (h, w) if bug == "same" else (-(-h // s), -(-w // s))
        elif bug == "ceil":
            h, w = -(-(h - k) // s) + 1, -(-(w - k) // s) + 1
        else:
            h, w = (h - k) // s + 1, (w - k) // s + 1
        c = c if bug == "channels" else filters
    return (h, w, c)


def branch_multiplications(h, w, c_in, filters, kernel, bottleneck=None, bug=None):
    if bottleneck is None:
        return kernel ** 2 * c_in * filters * (1 if bug == "parameters" else h * w)
    if bug == "parameters":
        return c_in * bottleneck + kernel ** 2 * bottleneck * filters
    first = 0 if bug == "free 1x1" else h * w * bottleneck * c_in
    return first + h * w * filters * kernel ** 2 * (c_in if bug == "kxk on c_in" else bottleneck)


SOLUTIONS = [(ch08.check_residual_forward, residual_forward),
             (ch08.check_residual_backward, residual_backward),
             (ch08.check_stack_output_shape, stack_output_shape),
             (ch08.check_branch_multiplications, branch_multiplications)]


@pytest.mark.parametrize("check, solution", SOLUTIONS)
def test_solution_passes(check, solution):
    ok, out = verdict(check, solution)
    assert ok and out.startswith("✓")


@pytest.mark.parametrize("check, buggy, hint", [
    (ch08.check_residual_forward, partial(residual_forward, bug="after relu"), "*before*"),
    (ch08.check_residual_forward, partial(residual_forward, bug="no shortcut"), "forgot the shortcut"),
    (ch08.check_residual_forward, partial(residual_forward, bug="no relu"), "after adding"),
    (ch08.check_residual_forward, partial(residual_forward, bug="linear first"), "first convolution"),
    (ch08.check_residual_backward, partial(residual_backward, bug="no skip"), "PLUS"),
    (ch08.check_residual_backward, partial(residual_backward, bug="no output mask"), "part of the block"),
    (ch08.check_residual_backward, partial(residual_backward, bug="branch mask"), "not at z[l+2]"),
    (ch08.check_residual_backward, partial(residual_backward, bug="no first mask"), "relu'(z[l+1])"),
    (ch08.check_stack_output_shape, partial(stack_output_shape, bug="same"), "ceil(n / s)"),
    (ch08.check_stack_output_shape, partial(stack_output_shape, bug="ceil"), "rounds down"),
    (ch08.check_stack_output_shape, partial(stack_output_shape, bug="channels"), "filters"),
    (ch08.check_branch_multiplications, partial(branch_multiplications, bug="parameters"), "weights"),
    (ch08.check_branch_multiplications, partial(branch_multiplications, bug="free 1x1"), "costs"),
    (ch08.check_branch_multiplications, partial(branch_multiplications, bug="kxk on c_in"),
     "not c_in"),
])
def test_mistake_is_named(check, buggy, hint):
    ok, out = verdict(check, buggy)
    assert not ok and hint in out


def test_missing_projection_gradient_is_named():
    def no_proj(*args):
        grads = residual_backward(*args)
        grads.pop("dWs", None)
        return grads
    ok, out = verdict(ch08.check_residual_backward, no_proj)
    assert not ok and "'dWs'" in out and "projection" in out


def _raises(*args):
    raise ValueError("operands could not be broadcast")


@pytest.mark.parametrize("check", [c for c, _ in SOLUTIONS])
@pytest.mark.parametrize("garbage, sentence", [
    (lambda *a: None, "returned None"), (_raises, "raised ValueError"),
    (lambda *a: np.full((2, 2), np.nan), ""), (lambda *a: "text", "")])
def test_garbage_gets_one_sentence(check, garbage, sentence):
    ok, out = verdict(check, garbage)
    assert not ok and out.startswith("✗") and sentence in out


def test_nan_is_named():
    ok, out = verdict(ch08.check_residual_forward,
                      lambda *a: residual_forward(*a) * np.nan)
    assert not ok and "NaN" in out


# --- the notebook's own solutions, and realistic mistakes nobody planted ------------------------
from notebook_solutions import solutions  # noqa: E402

NB = solutions("08_resnets_inception",
               "import numpy as np\nfrom companion.nn.layers import conv\n")


@pytest.mark.parametrize("check", [c for c, _ in SOLUTIONS], ids=lambda c: c.__name__)
def test_the_notebooks_solutions_pass(check):
    name = check.__name__.removeprefix("check_")
    ok, out = verdict(check, NB[name])
    assert ok and out.startswith("✓"), out


def _in_place_relu(x, W1, b1, W2, b2, Ws=None, bs=None, stride=1):
    out = residual_forward(x, W1, b1, W2, b2, Ws, bs, stride)
    np.maximum(x, 0, out=x)                              # "cleans up" the caller's input
    return out


def _valid_convs(x, W1, b1, W2, b2, Ws=None, bs=None, stride=1):
    a1 = np.maximum(conv2d_forward(x, W1, b1, stride, "valid")[0], 0)
    return np.maximum(conv2d_forward(a1, W2, b2, 1, "same")[0], 0)


def _list_shape(input_shape, layers):
    return list(stack_output_shape(input_shape, layers))


def _float_count(h, w, c_in, filters, kernel, bottleneck=None):
    return float(branch_multiplications(h, w, c_in, filters, kernel, bottleneck)) / 1.0


REALISTIC = [   # (checker, learner's function, words the one line must contain)
    (ch08.check_residual_forward, _in_place_relu, "changed its argument `x` in place"),
    (ch08.check_residual_forward, _valid_convs, "shape"),
    (ch08.check_stack_output_shape, _list_shape, "returned list"),
    (ch08.check_branch_multiplications, _float_count, "returned float")]


@pytest.mark.parametrize("check, fn, words", REALISTIC, ids=[f.__name__ for _, f, _ in REALISTIC])
def test_realistic_unplanted_mistakes_are_rejected(check, fn, words):
    ok, out = verdict(check, fn)
    assert not ok and words in out, out
