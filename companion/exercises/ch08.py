"""Chapter 8 exercises: a residual block's forward pass, and the cost of a convolution."""

from __future__ import annotations

import numpy as np

from companion.exercises import feedback, run_check


def check_residual_forward(residual_forward) -> bool:
    """``residual_forward(a, W1, b1, W2, b2) -> a2`` with 'same' 3x3 convolutions (use
    ``conv2d_forward(x, W, b, padding="same")[0]``) and ReLU: a2 = relu(z2 + a)."""
    from companion.nn.layers.conv import conv2d_forward
    rng = np.random.default_rng(11)
    relu = lambda z: np.maximum(z, 0)

    def run():
        for n, hw, c in [(2, 5, 3), (1, 4, 2)]:
            a = rng.standard_normal((n, hw, hw, c))
            W1, W2 = rng.standard_normal((2, 3, 3, c, c)) * 0.3
            b1, b2 = rng.standard_normal((2, c)) * 0.1
            a1 = relu(conv2d_forward(a, W1, b1, padding="same")[0])
            z2 = conv2d_forward(a1, W2, b2, padding="same")[0]
            want = relu(z2 + a)
            got = np.asarray(residual_forward(a.copy(), W1, b1, W2, b2))
            if got.shape != want.shape:
                return feedback(False, "residual block", f"expected shape {want.shape}, "
                                f"got {got.shape}")
            if np.allclose(got, want):
                continue
            if np.allclose(got, relu(z2) + a):
                hint = "the skip is added *before* the last ReLU: g(z[l+2] + a[l])"
            elif np.allclose(got, relu(z2)):
                hint = "you forgot the shortcut: add a[l]"
            elif np.allclose(got, z2 + a):
                hint = "apply the ReLU after adding the shortcut"
            else:
                hint = "compare a1 = relu(conv(a, W1, b1)) and z2 = conv(a1, W2, b2) step by step"
            return feedback(False, "residual block", hint)
        return feedback(True, "residual block: a[l+2] = relu(z[l+2] + a[l]) on every case")
    return run_check("residual block", run)


def check_conv_multiplications(conv_multiplications) -> bool:
    """``conv_multiplications(h, w, f, c_in, c_out)``: multiplications of a 'same', stride-1
    f x f convolution from (h, w, c_in) to (h, w, c_out)."""
    cases = [(28, 28, 5, 192, 32), (28, 28, 1, 192, 16), (28, 28, 5, 16, 32), (8, 8, 3, 1, 8)]

    def run():
        for h, w, f, cin, cout in cases:
            want = h * w * cout * f * f * cin
            got = conv_multiplications(h, w, f, cin, cout)
            if got != want:
                return feedback(False, "multiplications", f"{h}x{w}x{cin} -> {cout} filters "
                                f"{f}x{f}: expected {want:,}, got {got!r} (each of the "
                                f"{h}*{w}*{cout} outputs is a {f}x{f}x{cin} dot product)")
        return feedback(True, "multiplications: all cases agree")
    return run_check("multiplications", run)
