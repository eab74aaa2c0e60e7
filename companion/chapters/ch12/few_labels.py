"""Chapter 12, a task with few labels: which category does a word belong to? GloVe,
random and one-hot features under a softmax classifier, with one to a few labels per class.
"""

from __future__ import annotations

import numpy as np

from companion.nn.validation import rng_from

CATEGORIES: dict[str, tuple[str, ...]] = {k: tuple(v.split()) for k, v in {
    "country": "france germany italy spain portugal greece poland sweden norway denmark finland "
               "ireland russia ukraine china japan india pakistan brazil argentina chile peru "
               "mexico canada egypt nigeria kenya ethiopia iran iraq turkey australia vietnam "
               "thailand indonesia malaysia philippines korea morocco algeria",
    "animal": "dog cat horse cow pig sheep goat lion tiger bear wolf fox rabbit mouse rat "
              "elephant giraffe zebra monkey snake frog eagle owl duck whale dolphin shark deer "
              "camel donkey squirrel crocodile penguin parrot leopard",
    "colour": "red blue green yellow purple pink brown black white grey gray violet crimson "
              "scarlet turquoise beige maroon navy indigo lavender ivory khaki amber",
    "number": "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
              "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty "
              "seventy eighty ninety hundred thousand million billion",
    "profession": "doctor nurse teacher lawyer engineer farmer soldier pilot chef baker carpenter "
                  "plumber electrician dentist surgeon journalist writer painter musician "
                  "scientist professor accountant banker architect mechanic firefighter "
                  "librarian pharmacist",
    "food": "bread cheese rice pasta soup salad meat beef pork potato tomato onion garlic butter "
            "sugar cake pie cookie sandwich pizza noodles yogurt cereal sausage lettuce carrot "
            "cabbage spinach",
    "body": "head hand foot arm leg eye ear nose mouth finger toe knee elbow shoulder neck heart "
            "lung liver stomach tooth skin brain ankle wrist thumb chin forehead spine",
    "sport": "football soccer tennis golf baseball basketball hockey cricket rugby boxing "
             "swimming cycling skiing volleyball wrestling badminton softball lacrosse "
             "snowboarding gymnastics fencing rowing sailing archery",
}.items()}


def category_dataset(categories: dict | None = None):
    """(words, labels, class_names): every word once, labels 0..n_classes-1."""
    categories = CATEGORIES if categories is None else categories
    names = list(categories)
    words = [w for name in names for w in categories[name]]
    labels = np.array([k for k, name in enumerate(names) for _ in categories[name]])
    return words, labels, names


def few_label_split(labels: np.ndarray, per_class: int, seed=0):
    """Indices (train, test): ``per_class`` labelled words of each class, the rest held out."""
    rng = rng_from(seed)
    train = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        if per_class >= len(idx):
            raise ValueError(f"per_class={per_class} leaves no test word in class {c} "
                             f"({len(idx)} words)")
        train.append(rng.choice(idx, per_class, replace=False))
    train = np.sort(np.concatenate(train))
    return train, np.setdiff1d(np.arange(len(labels)), train)


def features(kind: str, words, wv=None, seed=0) -> np.ndarray:
    """Inputs for each word: ``"one-hot"`` over the task's words, ``"random"`` 50-d vectors
    (no pretraining), or ``"glove"`` (the pretrained vectors, each scaled to unit length)."""
    if kind == "one-hot":
        return np.eye(len(words))
    if kind == "random":
        return rng_from(seed).standard_normal((len(words), 50)) / np.sqrt(50)
    if kind == "glove":
        if wv is None:
            raise ValueError("features('glove', ...) needs the word vectors: pass wv=load_glove()")
        return wv.unit[wv.ids(words)].astype(np.float64)
    raise ValueError(f"kind must be 'one-hot', 'random' or 'glove', got {kind!r}")


def train_classifier(X, y, train, test, n_classes: int, seed=0, epochs: int = 200,
                     learning_rate: float = 0.05) -> dict:
    """A softmax classifier (companion's Dense + fit, Adam, full batch) on the training words;
    returns its train and test accuracy and the model."""
    from companion.nn.layers import Dense
    from companion.nn.metrics import accuracy
    from companion.nn.model import Sequential
    from companion.nn.optim import Adam
    from companion.nn.train import fit
    model = Sequential([Dense(n_classes, "softmax")], input_shape=(X.shape[1],), seed=seed)
    fit(model, X[train], y[train], "sparse_categorical_crossentropy",
        Adam(learning_rate=learning_rate), epochs=epochs, batch_size=None, seed=seed)
    return {"train_accuracy": accuracy(y[train], model.predict(X[train])),
            "test_accuracy": accuracy(y[test], model.predict(X[test])), "model": model}


def compare_inputs(wv, per_class: int = 4, seeds=(0,), kinds=("one-hot", "random", "glove"),
                   epochs: int = 200, per_seed: bool = False) -> dict:
    """Mean held-out accuracy of the same classifier on each kind of input (with
    ``per_seed=True``: {kind: array of one accuracy per seed}, for the spread)."""
    words, y, names = category_dataset()
    out = {}
    for kind in kinds:
        accs = []
        for seed in seeds:
            train, test = few_label_split(y, per_class, seed)
            X = features(kind, words, wv, seed)
            accs.append(train_classifier(X, y, train, test, len(names), seed, epochs)
                        ["test_accuracy"])
        out[kind] = np.array(accs) if per_seed else float(np.mean(accs))
    return out
