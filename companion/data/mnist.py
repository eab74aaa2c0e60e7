"""MNIST from the files shipped in ``assets/mnist/`` (never from the network).

``mnist()`` returns what ``keras.datasets.mnist.load_data()`` returns: ``(x_train, y_train),
(x_test, y_test)`` with uint8 images of shape (N, 28, 28) (0 = background, 255 = ink) and uint8
labels of shape (N,), N = 60,000 and 10,000. The four files are the official gzipped IDX files,
unaltered; ``tools/make_mnist.py`` rebuilds them and ``assets/mnist/README.md`` gives source,
licence and checksums. ``mnist_subset`` takes a class-balanced, seeded subset for a chapter's time
budget, never changing the images.
"""
from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from companion.data.datasets import ASSETS
from companion.nn.validation import as_array, check_int, rng_from

MNIST_DIR = ASSETS / "mnist"
FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
         "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}
SIZES = {"train": 60_000, "test": 10_000}
IMAGE_MAGIC, LABEL_MAGIC = 2051, 2049          # 0x0803 (ubyte, 3-D), 0x0801 (ubyte, 1-D)
REBUILD = "restore it from the repository or rebuild it with tools/make_mnist.py"


def read_idx(path: Path, magic: int, n: int) -> np.ndarray:
    """Parse one gzipped IDX file of unsigned bytes: images (n, 28, 28) or labels (n,).

    Checks the magic number, the header's sizes against ``n`` (and 28 x 28) and the payload's
    length; any mismatch or a damaged gzip stream raises ValueError naming the file.
    """
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path: expected a file path, got {type(path).__name__} {path!r:.40}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"MNIST file missing: {path}; {REBUILD}")
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"MNIST file corrupt: {path} is not a complete gzip file ({exc}); "
                         f"{REBUILD}") from None
    ndim = 3 if magic == IMAGE_MAGIC else 1
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"MNIST file corrupt: {path} holds {len(raw)} bytes, fewer than its "
                         f"{header}-byte header; {REBUILD}")
    got_magic = int.from_bytes(raw[:4], "big")
    if got_magic != magic:
        raise ValueError(f"MNIST file corrupt: {path} starts with magic number {got_magic}, "
                         f"expected {magic} ({'images' if ndim == 3 else 'labels'}); {REBUILD}")
    dims = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    expected = (n, 28, 28)[:ndim]
    if dims != expected:
        raise ValueError(f"MNIST file corrupt: {path} declares shape {dims}, expected "
                         f"{expected}; {REBUILD}")
    body = int(np.prod(dims))
    if len(raw) - header != body:
        raise ValueError(f"MNIST file corrupt: {path} holds {len(raw) - header} data bytes, "
                         f"its header announces {body}; {REBUILD}")
    return np.frombuffer(raw, np.uint8, offset=header).reshape(dims).copy()


def load_split(split: str = "train", folder: Path | str | None = None):
    """One split, ``"train"`` or ``"test"``: images (N, 28, 28) uint8 and labels (N,) uint8."""
    if not isinstance(split, str) or split not in FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if folder is not None and not isinstance(folder, (str, Path)):
        raise TypeError(f"folder: expected a directory path, got {type(folder).__name__} "
                        f"{folder!r:.40}")
    folder = MNIST_DIR if folder is None else Path(folder)
    images, labels = FILES[split]
    x = read_idx(folder / images, IMAGE_MAGIC, SIZES[split])
    y = read_idx(folder / labels, LABEL_MAGIC, SIZES[split])
    if y.max() > 9:
        raise ValueError(f"MNIST file corrupt: {folder / labels} holds label {y.max()}, "
                         f"expected digits 0..9; {REBUILD}")
    return x, y


def mnist(folder: Path | str | None = None):
    """``(x_train, y_train), (x_test, y_test)`` as ``keras.datasets.mnist.load_data()`` gives them.

    x: uint8 (60000, 28, 28) and (10000, 28, 28); y: uint8 (60000,) and (10000,).
    ``folder`` defaults to the shipped ``assets/mnist/``.
    """
    return load_split("train", folder), load_split("test", folder)


def balanced_indices(y, n_per_class: int, seed=0) -> np.ndarray:
    """Indices of ``n_per_class`` examples of every class in ``y`` (N,), drawn without
    replacement with ``seed``; returned in increasing order (the data set's own order)."""
    y = as_array(y, "y", ndim=1)
    n_per_class = check_int(n_per_class, "n_per_class")
    rng = rng_from(seed)
    picked = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        if n_per_class > len(idx):
            raise ValueError(f"n_per_class must be at most {len(idx)} (the number of "
                             f"{c}s in this split), got {n_per_class}")
        picked.append(rng.choice(idx, n_per_class, replace=False))
    return np.sort(np.concatenate(picked))


def mnist_subset(n_per_class: int, split: str = "train", seed=0,
                 folder: Path | str | None = None):
    """A class-balanced subset of one split: ``(x, y)``, x uint8 (10 n_per_class, 28, 28),
    y uint8 (10 n_per_class,), the same seed giving the same images (unaltered)."""
    x, y = load_split(split, folder)
    idx = balanced_indices(y, n_per_class, seed)
    return x[idx], y[idx]
