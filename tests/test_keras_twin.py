"""The twin registry itself: every layer class has a Keras twin, weights copy, errors are clear."""
import inspect

import numpy as np
import pytest

from companion import keras_twin
from companion.nn import layers
from companion.nn.layers import Dense, Layer
from companion.nn.model import Sequential
from companion.nn.regularizers import L1, L1L2, L2

# our layers without a one-layer Keras counterpart: bases, and Bahdanau attention (two Dense
# projections and AdditiveAttention: tests/test_attention.py builds its functional twin)
NO_TWIN = {"Layer", "Block", "BahdanauAttention"}


def _layer_classes():
    return [obj for name, obj in vars(layers).items()
            if inspect.isclass(obj) and issubclass(obj, Layer) and name not in NO_TWIN]


def test_every_layer_class_has_a_twin_builder():
    missing = [cls.__name__ for cls in _layer_classes()
               if not any(base in keras_twin.TWINS for base in cls.__mro__)]
    assert _layer_classes() and not missing, f"no Keras twin registered for {missing}"
    assert Sequential in keras_twin.TWINS                    # a model nests as a layer


def test_unknown_layer_is_named(keras):
    class Mystery(Layer):
        pass
    with pytest.raises(TypeError, match=r"no Keras twin known for Mystery: register a builder"):
        keras_twin.keras_layer(Mystery())


@pytest.mark.parametrize("reg", [None, L1(0.01), L2(0.02), L1L2(0.005, 0.03)], ids=repr)
def test_one_regularizer_conversion(reg, keras):
    k = keras_twin.regularizer(reg, keras)
    if reg is None:
        assert k is None
    else:
        assert isinstance(k, keras.regularizers.L1L2)
        assert (k.l1, k.l2) == pytest.approx((reg.l1, reg.l2))


def test_unknown_regularizer_is_named(keras):
    with pytest.raises(TypeError, match="no Keras twin known for the regulariser 'l2'"):
        keras_twin.regularizer("l2", keras)


def test_layer_twin_copies_weights_and_computes_the_same(rng, keras):
    layer = Dense(3, "tanh", kernel_regularizer=L2(0.1))
    layer.build((4,), rng)
    kmodel = keras_twin.layer_twin(layer)
    for ours, theirs in zip(layer.get_weights(), kmodel.get_weights()):
        np.testing.assert_array_equal(ours.astype(np.float32), theirs)
    x = rng.standard_normal((5, 4)).astype(np.float32)
    keras_twin.compare("Dense output", layer.forward(x.astype(np.float64)),
                       keras.ops.convert_to_numpy(kmodel(x)), 1e-6, quiet=True)
    assert kmodel.layers[-1].kernel_regularizer.l2 == pytest.approx(0.1)


def test_layer_twin_needs_a_built_layer(keras):
    with pytest.raises(ValueError, match="is not built"):
        keras_twin.layer_twin(Dense(3))


def test_apply_gradients_counts_the_gradients(rng, keras):
    model = Sequential([Dense(2)], input_shape=(3,), seed=0)
    kmodel = keras_twin.twin(model)
    with pytest.raises(ValueError, match="1 gradients for 2 trainable weights"):
        keras_twin.apply_gradients(keras.optimizers.SGD(0.1), kmodel, [np.zeros((3, 2))])
