"""Chapter 8 exercises: a residual block forward and backward (identity and projection
shortcut), the output shape of a stack of convolutions (a bottleneck block), and the
multiplications of an Inception branch with and without its 1x1 bottleneck.

The references are the package's ``ResidualBlock`` (weights copied in with ``set_weights``),
``padding.output_hw`` and ``inception.conv_multiplications``. Convolutions in a block are
'same'; the first one and the projection carry the block's stride.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from companion.exercises.checker import Case, Fail, check, hints, planted
from companion.nn.layers.conv import conv2d_backward, conv2d_forward
from companion.nn.layers.inception import conv_multiplications
from companion.nn.layers.padding import output_hw
from companion.nn.layers.residual import ResidualBlock

HINTS = hints("ch08")


def _block(x, W1, b1, W2, b2, Ws=None, bs=None, stride=1) -> ResidualBlock:
    """The package's block holding these weights."""
    block = ResidualBlock(W1.shape[-1], W1.shape[0], stride,
                          "identity" if Ws is None else "projection")
    block.build(x.shape[1:], np.random.default_rng(0))
    block.set_weights([W1, b1, W2, b2] + ([] if Ws is None else [Ws, bs]))
    return block


def _cases(seed: int, backward: bool = False) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for n, hw, c, f, stride, label in [(2, 5, 3, 3, 1, "identity shortcut"),
                                       (1, 4, 2, 2, 1, "identity, a batch of one"),
                                       (2, 6, 2, 4, 2, "projection, stride 2"),
                                       (2, 5, 3, 4, 1, "projection, 3 -> 4 channels")]:
        x = rng.standard_normal((n, hw, hw, c))
        W1, b1 = rng.standard_normal((3, 3, c, f)) * 0.4, rng.standard_normal(f) * 0.2
        W2, b2 = rng.standard_normal((3, 3, f, f)) * 0.4, rng.standard_normal(f) * 0.2
        short = (None, None) if f == c and stride == 1 else \
            (rng.standard_normal((1, 1, c, f)) * 0.5, rng.standard_normal(f) * 0.2)
        args = (x, W1, b1, W2, b2, *short, stride)
        if backward:
            out = _block(*args).forward(x)
            args = (rng.standard_normal(out.shape),) + args
        cases.append(Case(args, label=label))
    return cases


# --- 1. the residual block forward ----------------------------------------------------------
def _forward(x, W1, b1, W2, b2, Ws=None, bs=None, stride=1):
    return _block(x, W1, b1, W2, b2, Ws, bs, stride).forward(x)


def _parts(x, W1, b1, W2, b2, Ws, bs, stride):
    """(z1, z2, shortcut): the two convolutions' outputs before activation, and the skip."""
    z1 = conv2d_forward(x, W1, b1, stride, "same")[0]
    z2 = conv2d_forward(np.maximum(z1, 0), W2, b2, 1, "same")[0]
    short = x if Ws is None else conv2d_forward(x, Ws, bs, stride, "same")[0]
    return z1, z2, short


def _forward_bug(bug: str):
    def forward(x, W1, b1, W2, b2, Ws=None, bs=None, stride=1):
        z1, z2, short = _parts(x, W1, b1, W2, b2, Ws, bs, stride)
        if bug == "linear first":
            z2 = conv2d_forward(z1, W2, b2, 1, "same")[0]
        return {"after relu": np.maximum(z2, 0) + short, "no shortcut": np.maximum(z2, 0),
                "no relu": z2 + short, "linear first": np.maximum(z2 + short, 0)}[bug]
    return forward


def check_residual_forward(residual_forward: Callable) -> bool:
    """``residual_forward(x, W1, b1, W2, b2, Ws=None, bs=None, stride=1) -> a (N, Ho, Wo, F)``:
    a = relu(conv2(relu(conv1(x))) + shortcut(x)); shortcut = x, or the 1x1 convolution
    (Ws, bs) with the block's stride."""
    mistakes = planted(_forward_bug, HINTS["residual_forward"])
    return check("residual_forward", residual_forward, _forward, _cases(8), mistakes,
                 returns="the block's output a[l+2] (N, Ho, Wo, F)", pure=True)


# --- 2. the residual block backward ---------------------------------------------------------
NAMES = ("dx", "dW1", "db1", "dW2", "db2", "dWs", "dbs")


def _backward(dout, x, W1, b1, W2, b2, Ws=None, bs=None, stride=1) -> dict:
    block = _block(x, W1, b1, W2, b2, Ws, bs, stride)
    block.forward(x)
    grads = [block.backward(dout)] + [block.grads[k] for k in block.params]  # Keras order
    return dict(zip(NAMES, grads))


def _backward_bug(bug: str):
    """The backward pass written out, with one planted bug."""
    def backward(dout, x, W1, b1, W2, b2, Ws=None, bs=None, stride=1):
        z1, z2, short = _parts(x, W1, b1, W2, b2, Ws, bs, stride)
        dz = dout * ((z2 if bug == "branch mask" else z2 + short) > 0)
        if bug == "no output mask":
            dz = dout
        a1 = np.maximum(z1, 0)
        da1, (dW2, db2) = conv2d_backward(dz, conv2d_forward(a1, W2, b2, 1, "same")[1])
        dz1 = da1 if bug == "no first mask" else da1 * (z1 > 0)
        dx, (dW1, db1) = conv2d_backward(dz1, conv2d_forward(x, W1, b1, stride, "same")[1])
        out = {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
        if Ws is not None:
            dxs, (out["dWs"], out["dbs"]) = conv2d_backward(
                dz, conv2d_forward(x, Ws, bs, stride, "same")[1])
        else:
            dxs = dz
        out["dx"] = dx if bug == "no skip" else dx + dxs
        return out
    return backward


def check_residual_backward(residual_backward: Callable) -> bool:
    """``residual_backward(dout, x, W1, b1, W2, b2, Ws=None, bs=None, stride=1) -> dict`` with
    "dx", "dW1", "db1", "dW2", "db2" (and "dWs", "dbs" for a projection shortcut)."""
    mistakes = planted(_backward_bug, HINTS["residual_backward"])
    return check("residual_backward", residual_backward, _backward, _cases(9, backward=True),
                 mistakes, returns='the dict {"dx": ..., "dW1": ..., "db1": ..., "dW2": ..., '
                 '"db2": ...} (with "dWs" and "dbs" for a projection shortcut)')


# --- 3. the output shape of a stack of convolutions (a bottleneck block) ----------------------
def _stack_shape(input_shape, layers):
    h, w, c = input_shape
    for filters, kernel, stride, padding in layers:
        (h, w), c = output_hw((h, w), (kernel, kernel), (stride, stride), padding), filters
    return (h, w, c)


def _shape_bug(bug: str):
    def shape(input_shape, layers):
        h, w, c = input_shape
        for filters, k, s, padding in layers:
            if bug == "same ignores stride" and padding == "same":
                pass                                      # the size kept whatever the stride
            elif bug == "ceil" and padding == "valid":
                h, w = -(-(h - k) // s) + 1, -(-(w - k) // s) + 1
            else:
                (h, w) = output_hw((h, w), (k, k), (s, s), padding)
            c = c if bug == "channels" else filters
        return (h, w, c)
    return shape


def check_stack_output_shape(stack_output_shape: Callable) -> bool:
    """``stack_output_shape((H, W, C), layers) -> (H', W', C')`` for ``layers`` a list of
    (filters, kernel, stride, padding) convolutions applied in order."""
    bottleneck = [(16, 1, 1, "valid"), (16, 3, 1, "same"), (64, 1, 1, "valid")]
    cases = [Case(((28, 28, 64), bottleneck), label="a ResNet bottleneck block"),
             Case(((28, 28, 64), [(32, 1, 2, "valid")] + bottleneck[1:]),
                  label="a bottleneck block with stride 2"),
             Case(((7, 7, 3), [(8, 3, 2, "same")]), label="'same' with stride 2 on 7x7"),
             Case(((8, 9, 1), [(4, 3, 2, "valid"), (2, 2, 1, "valid")]),
                  label="'valid', stride 2, a rectangle")]
    mistakes = planted(_shape_bug, HINTS["stack_output_shape"])
    return check("stack_output_shape", _typed(stack_output_shape, _is_shape, "a tuple of three "
                                              "integers (height, width, channels)"),
                 _stack_shape, cases, mistakes, returns="a tuple (height, width, channels)")


# --- 4. the multiplications of an Inception branch --------------------------------------------
def _branch_mults(h, w, c_in, filters, kernel, bottleneck=None):
    if bottleneck is None:
        return conv_multiplications((h, w), kernel, c_in, filters)
    return (conv_multiplications((h, w), 1, c_in, bottleneck)
            + conv_multiplications((h, w), kernel, bottleneck, filters))


def _mults_bug(bug: str):
    def mults(h, w, c_in, filters, kernel, bottleneck=None):
        if bug == "parameters":
            return kernel * kernel * c_in * filters if bottleneck is None else \
                c_in * bottleneck + kernel * kernel * bottleneck * filters
        if bottleneck is None:
            return h * w * filters * kernel * kernel * c_in
        if bug == "free 1x1":
            return h * w * filters * kernel * kernel * bottleneck
        return h * w * bottleneck * c_in + h * w * filters * kernel * kernel * c_in
    return mults


def check_branch_multiplications(branch_multiplications: Callable) -> bool:
    """``branch_multiplications(h, w, c_in, filters, kernel, bottleneck=None) -> int``: the
    multiplications of a 'same', stride-1 kernel x kernel convolution from (h, w, c_in) to
    ``filters`` channels, after a 1x1 convolution to ``bottleneck`` channels when given."""
    cases = [Case((28, 28, 192, 32, 5)), Case((28, 28, 192, 32, 5, 16), label="with a 1x1 "
                                              "bottleneck to 16"),
             Case((14, 14, 480, 48, 3, 96), label="3x3 after a bottleneck to 96"),
             Case((8, 8, 1, 8, 3), label="one input channel")]
    mistakes = planted(_mults_bug, HINTS["branch_multiplications"])
    return check("branch_multiplications", _typed(branch_multiplications, _is_int, "an integer "
                                                  "(a count: use integer arithmetic, no /)"),
                 _branch_mults, cases, mistakes, returns="an integer")


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _is_shape(value) -> bool:
    return isinstance(value, tuple) and len(value) == 3 and all(_is_int(v) for v in value)


def _typed(fn: Callable, ok: Callable, expected: str) -> Callable:
    """``fn`` whose result must pass ``ok`` (a count must be an int, a shape a tuple of ints):
    anything else is answered with what was expected, never silently converted."""
    def typed(*args, **kwargs):
        out = fn(*args, **kwargs)
        if out is not None and not ok(out):
            raise Fail(f"`{getattr(fn, '__name__', 'your function')}` returned "
                       f"{type(out).__name__} {out!r}: return {expected}")
        return out
    typed.__name__ = getattr(fn, "__name__", "your function")
    return typed
