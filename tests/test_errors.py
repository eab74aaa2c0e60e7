"""Bad input fails early with a message naming the argument, what was received and expected."""
import numpy as np
import pytest

from companion.data.datasets import Standardizer, train_dev_test_split
from companion.nn import losses, optim
from companion.nn.layers import Dense
from companion.nn.model import Sequential
from companion.nn.train import fit
from companion.nn.validation import DivergenceError, check_probability


def model():
    return Sequential([Dense(3, "tanh"), Dense(1, "sigmoid")], input_shape=(2,), seed=0)


def test_wrong_input_width_names_the_shapes():
    with pytest.raises(ValueError, match=r"x has shape \(4, 3\), expected \(N, 2\)"):
        model().forward(np.zeros((4, 3)))


def test_label_shape_mismatch_is_explained():
    with pytest.raises(ValueError, match=r"y_true has shape \(4,\) but y_pred has shape \(4, 1\)"):
        losses.BinaryCrossentropy()(np.zeros(4), np.full((4, 1), 0.5))


def test_labels_outside_the_class_range():
    with pytest.raises(ValueError, match="labels must lie in 0..2"):
        losses.SparseCategoricalCrossentropy()(np.array([0, 3]), np.full((2, 3), 1 / 3))


def test_non_integer_labels_rejected():
    with pytest.raises(TypeError, match="integer class labels"):
        losses.SparseCategoricalCrossentropy()(np.array([0.5, 1.0]), np.full((2, 3), 1 / 3))


def test_string_arrays_rejected_with_dtype():
    with pytest.raises(TypeError, match="numeric array"):
        model().forward(np.array([["a", "b"]]))


@pytest.mark.parametrize("lr", [0.0, -0.1, float("nan")])
def test_non_positive_learning_rate(lr):
    with pytest.raises(ValueError, match="learning_rate must be a positive number"):
        optim.SGD(learning_rate=lr)


@pytest.mark.parametrize("p", [0.0, 1.5, -0.2])
def test_keep_probability_outside_unit_interval(p):
    with pytest.raises(ValueError, match=r"keep_prob must lie in \(0, 1\]"):
        check_probability(p, "keep_prob")


def test_set_weights_with_wrong_shape():
    with pytest.raises(ValueError, match=r"kernel.*(\(3, 2\), expected \(2, 3\)|"
                                         r"expected shape \(2, 3\), got \(3, 2\))"):
        model().set_weights([np.zeros((3, 2)), np.zeros(3), np.zeros((3, 1)), np.zeros(1)])


def test_mismatched_lengths():
    with pytest.raises(ValueError, match="x has 4 rows but y has 3"):
        fit(model(), np.zeros((4, 2)), np.zeros((3, 1)), "binary_crossentropy", "sgd", seed=0)


def test_unknown_names_list_the_choices():
    with pytest.raises(ValueError, match="unknown activation 'relu6'"):
        Dense(3, "relu6")
    with pytest.raises(ValueError, match="unknown loss"):
        losses.get("hinge2")


def test_divergence_stops_with_the_step_and_a_hint():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 2)) * 1e3
    y = rng.standard_normal((64, 1)) * 1e3
    m = Sequential([Dense(8, "relu"), Dense(1)], input_shape=(2,), seed=0)
    with pytest.raises(DivergenceError, match=r"at step \d+.*smaller learning_rate"):
        fit(m, X, y, "mse", optim.SGD(10.0), epochs=50, batch_size=None, seed=0)


def test_missing_seed_is_refused():
    with pytest.raises(ValueError, match="rng=np.random.default_rng"):
        Sequential([Dense(2)], input_shape=(2,))._name_layers() or \
            Sequential([Dense(2)]).build((2,), None)


def test_standardizer_checks_width_and_fit():
    with pytest.raises(RuntimeError, match="call fit"):
        Standardizer().transform(np.zeros((2, 2)))
    s = Standardizer().fit(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"expected shape \(N, 2\), got \(3, 4\)"):
        s.transform(np.zeros((3, 4)))


def test_split_fractions_validated():
    with pytest.raises(ValueError, match="summing to 1"):
        train_dev_test_split(np.zeros((10, 2)), np.zeros(10), fractions=(0.5, 0.2, 0.2))


# --- issue 14: every wrong call gets a clear sentence ------------------------------------------
@pytest.mark.parametrize("labels", [[0.0, 1.0, 2.0], [-1.0, 1.0, 1.0]], ids=["012", "pm1"])
def test_binary_crossentropy_rejects_labels_outside_0_1(labels):
    y, p = np.array(labels)[:, None], np.full((3, 1), 0.5)
    loss = losses.BinaryCrossentropy()
    for call in (loss, loss.dlogits):
        with pytest.raises(ValueError, match=r"y_true must lie in \[0, 1\].*got values "
                                             r"\[(-1\.|0\.) +1\.( +2\.)?\]"):
            call(y, p)


def test_binary_crossentropy_accepts_soft_labels():
    value, _ = losses.BinaryCrossentropy()(np.array([[0.1], [0.9]]), np.full((2, 1), 0.5))
    assert value == pytest.approx(np.log(2))


@pytest.mark.parametrize("name", ["flower", "moons", "circles", "blobs", "xor"])
@pytest.mark.parametrize("n, error, got", [(-10, ValueError, "-10"), (2.7, ValueError, "2.7"),
                                           (None, TypeError, "NoneType None"),
                                           ("400", TypeError, "str '400'")])
def test_generators_name_n(name, n, error, got):
    from companion.data.datasets import TOY_SETS
    with pytest.raises(error, match=rf"^n must be an integer >= 2, got {got}"):
        TOY_SETS[name](n=n)


def test_generators_name_noise():
    from companion.data.datasets import blobs, moons
    with pytest.raises(ValueError, match=r"^noise must be a number >= 0, got -0.1"):
        moons(noise=-0.1)
    with pytest.raises(ValueError, match=r"^std must be a number >= 0, got -1"):
        blobs(std=-1)


def test_standardizer_rejects_1d_data_with_both_shapes():
    with pytest.raises(ValueError, match=r"X: expected shape \(N, features\), got \(5,\); "
                                         r"for a single feature use X.reshape\(-1, 1\)"):
        Standardizer().fit(np.arange(5.0))


def test_standardizer_rejects_nan_and_empty_data():
    with pytest.raises(ValueError, match=r"X contains 1 NaN or infinite value\(s\) \(the first "
                                         r"at index \(1, 0\)\)"):
        Standardizer().fit(np.array([[1.0], [np.nan], [2.0]]))
    with pytest.raises(ValueError, match=r"X is empty \(shape \(0, 2\)\)"):
        Standardizer().fit(np.zeros((0, 2)))


def test_numerical_gradient_of_an_array_valued_function():
    from companion.nn.gradcheck import numerical_gradient
    x = np.ones(3)
    with pytest.raises(TypeError, match=r"f must return a scalar .* got an array of shape \(3,\)"):
        numerical_gradient(lambda: x ** 2, x)
    np.testing.assert_array_equal(x, np.ones(3))          # left unperturbed after the error
    with pytest.raises(TypeError, match=r"x must be a float64 NumPy array .* got list"):
        numerical_gradient(lambda: 0.0, [1.0, 2.0])


@pytest.mark.parametrize("seed, error", [(2.5, TypeError), ("0", TypeError), (-1, ValueError)])
def test_bad_seeds_are_named(seed, error):
    from companion.data.datasets import moons
    with pytest.raises(error, match=r"seed must be an integer >= 0 or a numpy.random.Generator"):
        moons(seed=seed)


@pytest.mark.parametrize("loss, act", [(losses.BinaryCrossentropy(), "sigmoid"),
                                       (losses.CategoricalCrossentropy(), "softmax")])
def test_cross_entropy_of_raw_scores_is_refused(loss, act):
    """Scores outside [0, 1] used to be clipped into a silently wrong loss."""
    y, scores = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([[-2.0, 3.0], [0.5, 0.5]])
    with pytest.raises(ValueError, match=rf"y_pred must be probabilities in \[0, 1\] \(the output "
                                         rf"of a {act}\), got values from -2 to 3"):
        loss(y, scores)


def test_categorical_with_integer_labels_points_to_sparse():
    with pytest.raises(ValueError, match=r"y_true has shape \(2,\) but y_pred has shape \(2, 3\); "
                                         r"they must match; for integer labels use "
                                         r"sparse_categorical_crossentropy or one_hot\(y\)"):
        losses.CategoricalCrossentropy()(np.array([0, 2]), np.full((2, 3), 1 / 3))


def test_nan_predictions_still_reach_the_divergence_guard():
    value, _ = losses.BinaryCrossentropy()(np.array([[0.0], [1.0]]), np.array([[np.nan], [0.5]]))
    assert np.isnan(value)
