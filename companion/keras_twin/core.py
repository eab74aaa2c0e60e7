"""Importing Keras (quietly, on first use) and naming the device it computes on."""

from __future__ import annotations

import contextlib
import os
import warnings

_KERAS = None


@contextlib.contextmanager
def _quiet_native_stderr():
    """Silence C++ start-up logs (absl/oneDNN/CUDA probes) written straight to file descriptor 2.

    TensorFlow 2.21 prints them before its log level applies; Python exceptions still propagate.
    """
    try:
        saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    except OSError:                      # no real stderr (some embedded interpreters)
        yield
        return
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_keras():
    """Import Keras quietly (no TensorFlow start-up chatter) and return the module."""
    global _KERAS
    if _KERAS is None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        with warnings.catch_warnings(), _quiet_native_stderr():
            warnings.simplefilter("ignore")
            import keras
            keras.ops.convert_to_numpy(keras.ops.zeros(()))   # device start-up, also quiet
        try:
            import absl.logging
            absl.logging.set_verbosity(absl.logging.ERROR)
        except ImportError:
            pass
        _KERAS = keras
    return _KERAS


def backend() -> str:
    return import_keras().backend.backend()


def device() -> str:
    """Where Keras computes, in words: e.g. 'CPU (tensorflow backend)' or 'GPU:0 (jax backend)'."""
    b = backend()
    name = "CPU"
    try:
        if b == "tensorflow":
            import tensorflow as tf
            gpus = tf.config.list_logical_devices("GPU")
            name = gpus[0].name.replace("/device:", "") if gpus else "CPU"
        elif b == "jax":
            import jax
            d = jax.devices()[0]
            name = f"{d.platform.upper()}:{d.id}" if d.platform != "cpu" else "CPU"
        elif b == "torch":
            import torch
            name = f"GPU:0 ({torch.cuda.get_device_name(0)})" if torch.cuda.is_available() else "CPU"
    except Exception:  # noqa: BLE001, S110 (device discovery must never break a cross-check)
        pass
    return f"{name} ({b} backend)"
