"""Chapter 7's exercise checkers: the notebook's solutions pass, each planted mistake gets its
hint, realistic mistakes nobody planted are rejected (and named or located), garbage gets one
sentence and no traceback; the capstone trains with the learner's functions or says which it
borrowed."""

import json
import re
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from ch07_realistic import EXPECT, REALISTIC
from exercise_garbage import run_check as verdict

from companion.exercises import ch07

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "07_convolutions.ipynb"


def notebook_solutions() -> dict:
    """The functions of the notebook's solution cells (collapsed markdown, tagged `solution`),
    executed in order in one namespace, as a learner who copies them would."""
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    namespace = {"np": np}
    for cell in cells:
        if "solution" in cell["metadata"].get("tags", []):
            text = "".join(cell["source"])
            assert cell["cell_type"] == "markdown" and text.startswith("**Solution**")
            assert cell["metadata"]["jupyter"]["source_hidden"] is True
            exec(re.search(r"```python\n(.*?)```", text, re.S).group(1), namespace)
    return namespace


SOL = notebook_solutions()
# --- the solutions with switches that plant the mistakes (variants, for the hint tests) ---------
def conv_single_step(a_slice, W, b, flip=False, bias=True):
    prod = a_slice * (W[::-1, ::-1] if flip else W)
    return float(np.sum(prod) + (np.sum(b) if bias else 0))


def conv_forward(x, W, b, stride, pad, step=None, flip=False, bias=True):
    N, H, Wd, _ = x.shape
    f, _, _, F = W.shape
    Ho, Wo = (H + 2 * pad - f) // stride + 1, (Wd + 2 * pad - f) // stride + 1
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    step = stride if step is None else step
    out = np.zeros((N, Ho, Wo, F))
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                win = xp[n, i * step:i * step + f, j * step:j * step + f]
                for k in range(F):
                    out[n, i, j, k] = conv_single_step(win, W[..., k], b[k], flip, bias)
    return out


def conv_backward(dout, x, W, stride, pad, assign=False, flip=False, average=False):
    f = W.shape[0]
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    dxp, dW = np.zeros_like(xp), np.zeros_like(W)
    Wk = W[::-1, ::-1] if flip else W
    for n in range(dout.shape[0]):
        for i in range(dout.shape[1]):
            for j in range(dout.shape[2]):
                r, c = i * stride, j * stride
                g = np.tensordot(dout[n, i, j], Wk, axes=(0, 3))
                if assign:
                    dxp[n, r:r + f, c:c + f] = g
                else:
                    dxp[n, r:r + f, c:c + f] += g
                dW += xp[n, r:r + f, c:c + f, :, None] * dout[n, i, j]
    H, Wd = x.shape[1:3]
    return dxp[:, pad:pad + H, pad:pad + Wd], dW / (len(x) if average else 1), \
        dout.sum(axis=(0, 1, 2))


def max_pool_forward(x, f, stride, average=False, across=False):
    N, H, W, C = x.shape
    Ho, Wo = (H - f) // stride + 1, (W - f) // stride + 1
    out = np.zeros((N, Ho, Wo, C))
    for i in range(Ho):
        for j in range(Wo):
            win = x[:, i * stride:i * stride + f, j * stride:j * stride + f]
            if average:
                out[:, i, j] = win.mean(axis=(1, 2))
            elif across:
                out[:, i, j] = win.max(axis=(1, 2, 3))[:, None]
            else:
                out[:, i, j] = win.max(axis=(1, 2))
    return out


def max_pool_backward(dout, x, f, stride, how="max", assign=False):
    dx = np.zeros_like(x)
    for i in range(dout.shape[1]):
        for j in range(dout.shape[2]):
            sl = (slice(None), slice(i * stride, i * stride + f), slice(j * stride, j * stride + f))
            win, g = x[sl], dout[:, i, j][:, None, None, :]
            flat = win.reshape(len(win), -1, win.shape[3])      # the first maximum of each window
            first = (np.arange(flat.shape[1])[None, :, None] == flat.argmax(axis=1)[:, None])
            mask = {"max": first.reshape(win.shape),
                    "all": np.ones_like(win), "mean": np.ones_like(win) / f ** 2}[how]
            if assign:
                dx[sl] = np.where(mask, g, dx[sl])
            else:
                dx[sl] += mask * g
    return dx


def avg_pool_backward(dout, x_shape, f, stride, share=None, assign=False):
    dx = np.zeros(x_shape)
    for i in range(dout.shape[1]):
        for j in range(dout.shape[2]):
            sl = (slice(None), slice(i * stride, i * stride + f), slice(j * stride, j * stride + f))
            g = dout[:, i, j][:, None, None, :] * (1 / f ** 2 if share is None else share)
            if assign:
                dx[sl] = g
            else:
                dx[sl] += g
    return dx


SOLUTIONS = [(ch07.check_conv_forward, SOL["conv_forward"]),
             (ch07.check_conv_backward, SOL["conv_backward"]),
             (ch07.check_max_pool_forward, SOL["max_pool_forward"]),
             (ch07.check_max_pool_backward, SOL["max_pool_backward"]),
             (ch07.check_avg_pool_backward, SOL["avg_pool_backward"])]


def test_the_notebook_has_one_solution_per_exercise():
    assert sorted(k for k in SOL if not k.startswith("__") and k != "np") == sorted(
        ["conv_forward", "conv_backward", "max_pool_forward", "max_pool_backward",
         "avg_pool_backward"])


def test_the_switch_variants_without_a_switch_pass():
    """The variants below plant mistakes by switches; switched off, they are solutions."""
    for check, fn in [(ch07.check_conv_forward, conv_forward),
                      (ch07.check_conv_backward, conv_backward),
                      (ch07.check_max_pool_forward, max_pool_forward),
                      (ch07.check_max_pool_backward, max_pool_backward),
                      (ch07.check_avg_pool_backward, avg_pool_backward)]:
        assert verdict(check, fn)[0]


@pytest.mark.parametrize("check, solution", SOLUTIONS)
def test_solution_passes(check, solution):
    ok, out = verdict(check, solution)
    assert ok and out.startswith("✓")


@pytest.mark.parametrize("check, buggy, hint", [
    (ch07.check_conv_forward, partial(conv_forward, step=1), "(i * stride, j * stride)"),
    (ch07.check_conv_forward, partial(conv_forward, flip=True), "flipped the kernel"),
    (ch07.check_conv_forward, partial(conv_forward, bias=False), "add the bias"),
    (ch07.check_conv_backward, partial(conv_backward, assign=True), "+="),
    (ch07.check_conv_backward, partial(conv_backward, flip=True), "no flip"),
    (ch07.check_conv_backward, partial(conv_backward, average=True), "do not divide"),
    (ch07.check_max_pool_forward, partial(max_pool_forward, average=True), "average pooling"),
    (ch07.check_max_pool_forward, partial(max_pool_forward, across=True), "each channel"),
    (ch07.check_max_pool_backward, partial(max_pool_backward, how="all"), "mask"),
    (ch07.check_max_pool_backward, partial(max_pool_backward, how="mean"), "average pooling"),
    (ch07.check_max_pool_backward, partial(max_pool_backward, assign=True), "do not assign"),
    (ch07.check_avg_pool_backward, partial(avg_pool_backward, share=1.0), "dout / f**2"),
    (ch07.check_avg_pool_backward, partial(avg_pool_backward, share=0.5), "not by f"),
    (ch07.check_avg_pool_backward, partial(avg_pool_backward, assign=True), "do not assign"),
])
def test_mistake_is_named(check, buggy, hint):
    ok, out = verdict(check, buggy)
    assert not ok and hint in out


def test_unnamed_error_says_where():
    """A wrong value no planted mistake explains: the output, the index and both values."""
    def off(dout, x, W, stride, pad):
        dx, dW, db = conv_backward(dout, x, W, stride, pad)
        dW[0, 0, 0, 0] += 1.0
        return dx, dW, db
    ok, out = verdict(ch07.check_conv_backward, off)
    assert not ok and "dW is wrong (dx and db agree)" in out


def _raises(*args):
    raise ValueError("operands could not be broadcast")


@pytest.mark.parametrize("check", [c for c, _ in SOLUTIONS])
@pytest.mark.parametrize("garbage, sentence", [
    (lambda *a: None, "returned None"), (_raises, "raised ValueError"),
    (lambda *a: np.full((2, 2), np.nan), ""), (lambda *a: "text", "")])
def test_garbage_gets_one_sentence(check, garbage, sentence):
    ok, out = verdict(check, garbage)
    assert not ok and out.startswith("✗") and sentence in out


def test_nan_and_transposed_shape_are_named():
    ok, out = verdict(ch07.check_max_pool_forward, lambda x, f, s: max_pool_forward(
        x, f, s) * np.nan)
    assert not ok and "NaN" in out
    ok, out = verdict(ch07.check_conv_forward, lambda x, W, b, s, p: conv_forward(
        x, W, b, s, p)[:, :-1])
    assert not ok and "shape" in out


def test_not_implemented():
    def conv_forward(x, W, b, stride, pad):
        raise NotImplementedError
    ok, out = verdict(ch07.check_conv_forward, conv_forward)
    assert not ok and "not implemented yet" in out


# --- realistic mistakes nobody planted at first (tests/ch07_realistic.py) -------------------
CASES = [(getattr(ch07, check), fn) for check, fns in REALISTIC.items() for fn in fns]


@pytest.mark.parametrize("check, fn", CASES, ids=[fn.__name__ for _, fn in CASES])
def test_realistic_mistake_is_rejected_and_named_or_located(check, fn):
    ok, out = verdict(check, fn)
    kind, phrase = EXPECT[fn]
    assert not ok and phrase in out, out


def test_realistic_mistake_tally():
    """23 realistic mistakes: all rejected, 16 named, 7 located (the line that raised, the
    output and the cases it is wrong for)."""
    kinds = [EXPECT[fn][0] for _, fn in CASES]
    assert len(CASES) == 23 and kinds.count("named") == 16 and kinds.count("located") == 7


# --- strict types and shapes -------------------------------------------------------------------
def test_a_list_and_a_squeezable_shape_are_refused():
    ok, out = verdict(ch07.check_avg_pool_backward,
                      lambda *a: SOL["avg_pool_backward"](*a).tolist())
    assert not ok and "is a list: return a NumPy array" in out
    ok, out = verdict(ch07.check_max_pool_forward,
                      lambda x, f, s: SOL["max_pool_forward"](x, f, s)[..., None])
    assert not ok and "has shape" in out


# --- the capstone ------------------------------------------------------------------------------
def _todo(*args):
    raise NotImplementedError


def test_capstone_borrows_what_is_unfinished_and_says_so(capsys):
    result = ch07.capstone(_todo, _todo, SOL["max_pool_forward"], _todo, epochs=1)
    out = capsys.readouterr().out
    assert result["borrowed"] == ["conv_forward", "conv_backward", "max_pool_backward"]
    assert "yours: max_pool_forward; borrowed from the package: conv_forward, conv_backward, " \
           "max_pool_backward" in out
    assert "epoch 1: mean training loss" in out and "test accuracy on the 8x8 digits" in out


def test_capstone_with_the_solutions_borrows_nothing_and_trains_as_the_package():
    package = ch07.capstone(_todo, _todo, _todo, _todo, epochs=1, verbose=False)
    mine = ch07.capstone(SOL["conv_forward"], SOL["conv_backward"], SOL["max_pool_forward"],
                         SOL["max_pool_backward"], epochs=1, verbose=False)
    assert mine["borrowed"] == [] and len(package["borrowed"]) == 4
    np.testing.assert_allclose(mine["losses"], package["losses"], rtol=1e-6)
    assert mine["accuracy"] == package["accuracy"] and package["accuracy"] > 0.8


def test_capstone_refuses_a_wrong_function():
    def wrong(x, W, b, stride, pad):
        return SOL["conv_forward"](x, W, b, stride, pad) + 1.0
    result = ch07.capstone(wrong, _todo, _todo, _todo, epochs=1, verbose=False)
    assert "conv_forward" in result["borrowed"]
