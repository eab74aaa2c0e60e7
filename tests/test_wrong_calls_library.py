"""Wrong calls found by issue 23's hostile pass over the training loop, the model, the optimiser,
the character language model, skip-gram and the Keras twins: each is now answered by a sentence
that names the argument (before: a silent wrong result or an error from deep inside NumPy)."""
import numpy as np
import pytest

from companion.data import augment
from companion.data.text import char_vocabulary
from companion.models import skipgram
from companion.models.char_lm import BigramModel, CharLanguageModel, stream_chunks
from companion.nn import activations, gradcheck, optim, regularizers
from companion.nn.layers import Dense
from companion.nn.model import Sequential
from companion.nn.train import clip_by_global_norm, fit, minibatches, train_loop
from companion.nn.validation import DivergenceError

VOCAB = char_vocabulary(["ann", "bob", "eve"])


def model():
    return Sequential([Dense(3, "tanh"), Dense(1, "sigmoid")], input_shape=(2,), seed=0)


def data(n=8):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 2)), (rng.random((n, 1)) > 0.5).astype(float)


class Copies:
    """A Trainable whose params hands out copies: updates would never reach it."""
    def __init__(self):
        self.w = np.ones(2)

    @property
    def params(self):
        return {"w": self.w.copy()}

    def loss_and_grads(self, batch):
        return float(self.w @ self.w), {"w": 2 * self.w}


x, y = data()
dense = Dense(2)
CASES = [
    ("fit(progress='no')", lambda: fit(model(), x, y, "binary_crossentropy", "sgd", epochs=1,
                                       seed=0, progress="no"), TypeError, "progress must be True or False"),
    ("fit(seed and rng)", lambda: fit(model(), x, y, "binary_crossentropy", "sgd", epochs=1,
                                      seed=0, rng=np.random.default_rng(0)), ValueError, "not both"),
    ("fit(validation_data=x only)", lambda: fit(model(), x, y, "binary_crossentropy", "sgd",
                                                epochs=1, seed=0, validation_data=x), TypeError,
     "validation_data must be the pair"),
    ("fit(validation_data with 3 features)", lambda: fit(
        model(), x, y, "binary_crossentropy", "sgd", epochs=1, seed=0,
        validation_data=(np.zeros((4, 3)), y[:4])), ValueError,
     r"validation_data's x has examples of shape \(3,\) but the model was built for \(2,\)"),
    ("fit(x with 3 features)", lambda: fit(model(), np.zeros((8, 3)), y, "binary_crossentropy",
                                           "sgd", epochs=1, seed=0), ValueError, r"x has examples of shape \(3,\)"),
    ("train_loop(batches=list)", lambda: train_loop(Copies(), [None], "sgd", 1), TypeError,
     "batches must be a function epoch"),
    ("train_loop(params returns copies)", lambda: train_loop(Copies(), lambda e: [None], "sgd", 1),
     TypeError, "returns new arrays each time"),
    ("train_loop(a Sequential)", lambda: train_loop(model(), lambda e: [(x, y)], "sgd", 1),
     TypeError, r"Sequential\.loss_and_grads takes \(x, y, loss\), but train_loop calls "
     r"loss_and_grads\(batch\).*Supervised\(model, loss\)"),
    ("clip_by_global_norm(max_norm=-1)", lambda: clip_by_global_norm([np.ones(2)], -1),
     ValueError, "max_norm must be a positive number"),
    ("minibatches(0, 4)", lambda: list(minibatches(0, 4, 0)), ValueError, "n .* must be a positive integer"),
    ("minibatches(shuffle='no')", lambda: list(minibatches(8, 4, 0, shuffle="no")), TypeError,
     "shuffle must be True or False"),
    ("predict(NaN)", lambda: model().predict(np.full((2, 2), np.nan)), ValueError, "NaN"),
    ("predict(empty)", lambda: model().predict(np.zeros((0, 2))), ValueError, "empty"),
    ("predict(batch_size=0)", lambda: model().predict(x, batch_size=0), ValueError,
     "batch_size must be a positive integer"),
    ("Sequential(seed and rng)", lambda: Sequential([Dense(2)], input_shape=(2,), seed=0,
                                                    rng=np.random.default_rng(0)), ValueError, "seed"),
    ("Sequential([d, d])", lambda: Sequential([dense, dense], input_shape=(2,), seed=0),
     ValueError, "layer 1 is the same object as layer 0"),
    ("apply_updates(int params)", lambda: optim.apply_updates([np.array([1, 2])], [np.ones(2)]),
     TypeError, "parameter 0 must be a floating-point numpy array"),
    ("BigramModel(alpha=-1)", lambda: BigramModel(VOCAB, alpha=-1), ValueError, "alpha must be"),
    ("BigramModel.fit('anna')", lambda: BigramModel(VOCAB).fit("anna"), TypeError,
     "got the single string 'anna'"),
    ("BigramModel.loss([])", lambda: BigramModel(VOCAB).loss([]), ValueError, "names is empty"),
    ("CharLanguageModel.loss([])", lambda: CharLanguageModel(VOCAB, units=4).loss([]), ValueError,
     "names is empty"),
    ("CharLanguageModel(rng=...)", lambda: CharLanguageModel(VOCAB, units=4, rng=1), TypeError,
     "not rng="),
    ("stream_chunks(vocab, 'ann', 2)", lambda: stream_chunks(VOCAB, "ann", 2), TypeError,
     "single string 'ann'"),
    ("build_vocab('the cat sat')", lambda: skipgram.build_vocab("the cat sat"), TypeError, "tokens"),
    ("build_vocab(min_count=0)", lambda: skipgram.build_vocab(["a", "b"], min_count=0), ValueError,
     "min_count must be a positive integer"),
    ("vocab.encode('the cat')", lambda: skipgram.build_vocab(["a"] * 5).encode("the cat"),
     TypeError, "tokens"),
    ("SkipGram(seed and rng)", lambda: skipgram.SkipGram(10, 4, seed=0, rng=np.random.default_rng(0)),
     ValueError, "not both"),
    ("skipgram_pairs(window=0)", lambda: skipgram.skipgram_pairs(np.arange(5), window=0),
     ValueError, "window must be a positive integer"),
    ("subsample(t=-1)", lambda: skipgram.subsample(np.arange(3), np.ones(3), t=-1), ValueError,
     "t must be a positive number"),
    ("noise_distribution(power=nan)", lambda: skipgram.noise_distribution(np.ones(3), power=np.nan),
     ValueError, "power must be a finite number"),
    ("noise_distribution(zero counts)", lambda: skipgram.noise_distribution(np.zeros(3)),
     ValueError, "positive word counts"),
    # helper valid2: functions shown in notebooks 01, 03 and 04, and the optimisers
    ("sign('ab')", lambda: activations.sign("ab"), TypeError, "sign: z: expected a numeric array"),
    ("sign([nan, 1])", lambda: activations.sign([np.nan, 1.0]), ValueError,
     "sign: z contains 1 NaN"),
    ("rel_error([], [])", lambda: gradcheck.rel_error([], []), ValueError, "a and b are empty"),
    ("L2()(None)", lambda: regularizers.L2()(None), TypeError, "w: expected a numeric array"),
    ("L1().gradient('w')", lambda: regularizers.L1().gradient("w"), TypeError,
     "w: expected a numeric array"),
    ("from_notes_lambda(-1, 5)", lambda: regularizers.from_notes_lambda(-1, 5), ValueError,
     "lam must be a number >= 0"),
    ("soft_threshold(w, nan)", lambda: regularizers.soft_threshold(np.ones(2), np.nan), ValueError,
     "threshold must be a finite number"),
    ("soft_threshold(w, '0.1')", lambda: regularizers.soft_threshold(np.ones(2), "0.1"), TypeError,
     "threshold must be a finite number, got str"),
    ("augment(flat rows of 63 pixels)", lambda: augment.augment(np.ones((2, 63)), np.zeros(2)),
     ValueError, r"X: expected images of shape \(8, 8\) \(or flat rows of 64 pixels\), got \(63,\)"),
    ("augment(flat rows of 128 pixels)", lambda: augment.augment(np.ones((2, 128)), np.zeros(2)),
     ValueError, r"got \(128,\)"),
    ("augment(NaN pixels)", lambda: augment.augment(np.full((2, 64), np.nan), np.zeros(2)),
     ValueError, "X contains 128 NaN"),
    ("Adam.update([nan])", lambda: optim.Adam().update([np.array([np.nan, 1.0])],
                                                       optim.Adam().init([np.zeros(2)])),
     DivergenceError, "Adam.update: gradient 0 holds 1 NaN or infinite value"),
    ("SGD.update([inf])", lambda: optim.SGD().update([np.array([np.inf])], {"step": 4}),
     DivergenceError, "at step 4: training diverged"),
    ("fit(callbacks=[5])", lambda: fit(model(), x, y, "binary_crossentropy", "sgd", epochs=1,
                                       seed=0, callbacks=[5]), TypeError,
     r"callbacks\[0\] must be a Callback object, got int 5"),
    ("SkipGram.vectors(add_context='no')", lambda: skipgram.SkipGram(5, 2, seed=0).vectors("no"),
     TypeError, "add_context must be True or False"),
]


@pytest.mark.parametrize("call, exc, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_wrong_call_gets_a_sentence(call, exc, message):
    with pytest.raises(exc, match=message):
        call()


@pytest.mark.keras
def test_twin_entry_points_name_what_they_got(keras):
    from companion import keras_twin
    with pytest.raises(TypeError, match="twin: expected a built companion Sequential"):
        keras_twin.twin("dense")
    with pytest.raises(TypeError, match="copy_weights"):
        keras_twin.copy_weights(model(), None)
    assert type(keras_twin.keras_optimizer("adam", keras)).__name__ == "Adam"
    kmodel = keras_twin.twin(model())
    with pytest.raises(ValueError, match=r"dout has shape \(3, 1\), but the Keras model's output"):
        keras_twin.backward(kmodel, x.astype(np.float32), np.ones((3, 1)))


@pytest.mark.parametrize("temperature", [-1.0, float("nan"), "1"])
def test_the_sampler_refuses_a_temperature_below_zero(temperature):
    from companion.nn.activations import sample_from_logits
    with pytest.raises(ValueError, match="temperature must be a number >= 0"):
        sample_from_logits(np.zeros((2, 3)), temperature, np.random.default_rng(0))


class NanGradient:
    """A Trainable whose loss stays finite while its gradient turns infinite at step 2."""
    def __init__(self):
        self.w, self.calls = np.ones(2), 0

    @property
    def params(self):
        return {"w": self.w}

    def loss_and_grads(self, batch):
        self.calls += 1
        return 1.0, {"w": np.array([np.inf if self.calls == 3 else 1.0, 0.0])}


def test_a_nan_gradient_stops_training_with_its_step_before_any_update():
    """The loss alone would not show it: the optimiser refuses the gradient (issue 23)."""
    trainable = NanGradient()
    with pytest.raises(DivergenceError, match="at step 2") as info:
        train_loop(trainable, lambda epoch: range(4), "adam", 1)
    assert info.value.step == 2
    assert np.isfinite(trainable.w).all()


def test_adam_keeps_its_moments_when_it_refuses_a_nan_gradient():
    opt = optim.Adam()
    state = opt.init([np.zeros(2)])
    _, state = opt.update([np.ones(2)], state)
    before = {k: [a.copy() for a in v] if isinstance(v, list) else v for k, v in state.items()}
    with pytest.raises(DivergenceError):
        opt.update([np.array([np.nan, 1.0])], state)
    for key in ("m", "v"):
        np.testing.assert_array_equal(state[key][0], before[key][0])
    assert state["step"] == before["step"] == 1
