"""Data augmentation for small images: label-preserving shifts and small rotations.

A shifted or slightly rotated "3" is still a "3": adding such copies to the training set
teaches the network that invariance without collecting new data. Dev and test sets are never
augmented. Images are (N, H, W) or flat (N, H*W) with ``shape=(H, W)`` given.
"""

from __future__ import annotations

import numpy as np

from companion.nn.validation import (
    as_array,
    check_finite,
    check_int,
    check_non_negative,
    check_number,
    rng_from,
)


def shift(images, dy: int, dx: int):
    """Move every image by (dy, dx) pixels, filling with 0 (the digits' background).

    Input/output shape: (N, H, W).
    """
    from scipy.ndimage import shift as nd_shift
    images = as_array(images, "images", ndim=3)
    dy, dx = check_int(dy, "dy", minimum=None), check_int(dx, "dx", minimum=None)
    return nd_shift(images, (0, dy, dx), order=0, mode="constant", cval=0.0)


def rotate(images, degrees: float):
    """Rotate every image about its centre by ``degrees`` (bilinear, background 0).

    Input/output shape: (N, H, W).
    """
    from scipy.ndimage import rotate as nd_rotate
    images = as_array(images, "images", ndim=3)
    degrees = check_number(degrees, "degrees")
    return nd_rotate(images, degrees, axes=(2, 1), reshape=False, order=1, mode="constant",
                     cval=0.0)


def augment(X, y, shape=(8, 8), copies: int = 4, max_shift: int = 1,
            max_degrees: float = 10.0, seed=0):
    """The original examples plus ``copies`` randomly shifted-and-rotated versions of each.

    X: (N, H*W) flat or (N, H, W); y: (N,). Each copy draws, per image, a shift in
    {-max_shift..max_shift}^2 and an angle in [-max_degrees, max_degrees].
    Returns X_aug ((copies + 1) * N, same trailing shape as X) and y_aug.
    """
    X, y = check_finite(as_array(X, "X", ndim=(2, 3)), "X"), as_array(y, "y", ndim=1)
    copies, max_shift = check_int(copies, "copies", 0), check_int(max_shift, "max_shift", 0)
    check_non_negative(max_degrees, "max_degrees")
    flat, shape = X.ndim == 2, tuple(shape)
    if X.shape[1:] != ((int(np.prod(shape)),) if flat else shape):
        raise ValueError(f"X: expected images of shape {shape} (or flat rows of "
                         f"{int(np.prod(shape))} pixels), got {X.shape[1:]}")
    imgs = X.reshape((-1,) + shape)
    if len(y) != len(imgs):
        raise ValueError(f"X has {len(imgs)} images but y has {len(y)} labels: "
                         "they must describe the same examples")
    rng = rng_from(seed)
    out = [imgs]
    for _ in range(copies):
        new = np.empty_like(imgs)
        for i, img in enumerate(imgs):
            dy, dx = rng.integers(-max_shift, max_shift + 1, 2)
            angle = rng.uniform(-max_degrees, max_degrees)
            new[i] = shift(rotate(img[None], angle), int(dy), int(dx))[0]
        out.append(new)
    X_aug = np.concatenate(out)
    y_aug = np.tile(y, copies + 1)
    return (X_aug.reshape(len(X_aug), -1) if flat else X_aug), y_aug
