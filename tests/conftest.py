"""Fixtures for the package tests (environment set-up lives in the root conftest.py)."""
import contextlib

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def keras():
    from companion.keras_twin import import_keras
    return import_keras()


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
