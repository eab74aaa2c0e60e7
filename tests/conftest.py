"""Fixtures for the package tests (environment set-up lives in the root conftest.py)."""
import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def keras():
    from companion.keras_twin import import_keras
    return import_keras()
