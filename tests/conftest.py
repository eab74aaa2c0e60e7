"""Fixtures for the package tests (environment set-up lives in the root conftest.py)."""
import contextlib
import os

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def keras():
    """Keras on the backend KERAS_BACKEND names, with full float32 products on a GPU.

    Ampere and later GPUs may run float32 matrix products and convolutions in TF32 (a 10-bit
    mantissa, errors near 1e-3), which the float32 tolerances of the cross-checks would
    rightly reject: each backend is asked for full float32 precision (nothing changes on a
    CPU). Not yet run on a GPU: see the README's backend section.
    """
    os.environ.setdefault("JAX_DEFAULT_MATMUL_PRECISION", "highest")
    from companion.keras_twin import import_keras
    keras = import_keras()
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf
        tf.config.experimental.enable_tensor_float_32_execution(False)
    elif keras.backend.backend() == "torch":
        import torch
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    return keras


@pytest.fixture(scope="session")
def keras_float64(keras):
    """A context in which ``keras.ops`` computes in float64 when asked to, on every backend.

    TensorFlow and PyTorch do by default; JAX silently computes in float32 unless its x64 mode
    is on, so the context enables it (and restores it afterwards) there.
    """
    if keras.backend.backend() == "jax":
        import jax
        return lambda: jax.enable_x64(True)
    return contextlib.nullcontext
