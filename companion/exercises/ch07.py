"""Chapter 7 exercises: the output-size formula, one convolution by hand, and max pooling."""

from __future__ import annotations

import numpy as np

from companion.exercises import feedback, run_check

# (n, f, p, s): the notes' case (p=0, s=1), 'same' padding, strides that leave rows unused
SIZE_CASES = [(6, 3, 0, 1), (6, 3, 1, 1), (7, 3, 0, 2), (8, 3, 1, 2), (28, 5, 2, 1),
              (32, 5, 0, 3), (5, 5, 0, 1), (4, 1, 0, 2)]


def check_output_size(output_size) -> bool:
    """``output_size(n, f, p, s)``: floor((n + 2p - f) / s) + 1."""
    def run():
        for n, f, p, s in SIZE_CASES:
            want = (n + 2 * p - f) // s + 1
            got = output_size(n, f, p, s)
            if got != want:
                hint = ""
                if got == n - f + 1:
                    hint = ": n - f + 1 forgets the padding and the stride"
                elif got == (n + 2 * p - f) / s + 1:
                    hint = ": round down (a window that does not fit is not computed)"
                return feedback(False, "output size", f"n={n}, f={f}, p={p}, s={s}: expected "
                                f"{want}, got {got!r}{hint}")
        return feedback(True, "output size: all cases agree with floor((n + 2p - f)/s) + 1")
    return run_check("output size", run)


def check_correlate2d(correlate2d) -> bool:
    """``correlate2d(image (H, W), kernel (f, f)) -> (H-f+1, W-f+1)``: 'valid', stride 1, the
    kernel multiplied element-wise with each window and summed (no flipping)."""
    from companion.nn.layers.conv import conv2d_forward
    rng = np.random.default_rng(7)
    cases = [(np.arange(16.0).reshape(4, 4), np.array([[1.0, 0, -1]] * 3)),
             (rng.standard_normal((5, 6)), rng.standard_normal((3, 3))),
             (rng.standard_normal((4, 4)), rng.standard_normal((4, 4))),
             (rng.standard_normal((3, 5)), np.array([[2.0]]))]
    def run():
        for image, kernel in cases:
            want = conv2d_forward(image[None, :, :, None], kernel[:, :, None, None])[0][0, :, :, 0]
            got = np.asarray(correlate2d(image.copy(), kernel.copy()))
            if got.shape != want.shape:
                return feedback(False, "correlate2d", f"image {image.shape}, kernel "
                                f"{kernel.shape}: expected shape {want.shape}, got {got.shape}")
            if not np.allclose(got, want):
                flipped = conv2d_forward(image[None, :, :, None],
                                         kernel[::-1, ::-1, None, None])[0][0, :, :, 0]
                hint = (": you flipped the kernel (true convolution); deep learning's "
                        "'convolution' does not" if np.allclose(got, flipped) else "")
                return feedback(False, "correlate2d", f"image {image.shape}, kernel "
                                f"{kernel.shape}: expected\n{want}\ngot\n{got}{hint}")
        return feedback(True, "correlate2d: matches Conv2D on every case")
    return run_check("correlate2d", run)


def check_max_pool(max_pool) -> bool:
    """``max_pool(x (H, W), size) -> (H // size, W // size)``: non-overlapping max pooling."""
    rng = np.random.default_rng(3)
    cases = [(np.arange(16.0).reshape(4, 4), 2), (rng.standard_normal((6, 6)), 3),
             (rng.standard_normal((5, 7)), 2), (rng.standard_normal((4, 4)), 1)]
    def run():
        for x, size in cases:
            h, w = x.shape[0] // size, x.shape[1] // size
            want = x[:h * size, :w * size].reshape(h, size, w, size).max(axis=(1, 3))
            got = np.asarray(max_pool(x.copy(), size))
            if got.shape != want.shape:
                return feedback(False, "max_pool", f"x {x.shape}, size {size}: expected shape "
                                f"{want.shape}, got {got.shape}")
            if not np.allclose(got, want):
                return feedback(False, "max_pool", f"x {x.shape}, size {size}: expected\n{want}"
                                f"\ngot\n{got}")
        return feedback(True, "max_pool: all cases agree")
    return run_check("max_pool", run)
