"""Chapter 15 (the transformer against the recurrent models, at equal budgets): the
comparison's drivers.

    train, val, test, vocab = names_split()        # chapter 10's names and split
    compare_language_models(train, test, vocab, epochs=4)
    mean_spread(values)                            # mean ± half the range over seeds
"""

from __future__ import annotations

from companion.data.text import names_split  # noqa: F401  (the split the notebook uses)
from companion.models.transformer import TransformerLM, train_lm
from companion.nn.metrics import mean_spread  # noqa: F401  (the notebook's summary)


def _lm_contenders(vocab, seed: int) -> dict:
    """The character language models compared, built afresh for one seed: name -> (model,
    its training function(epochs))."""
    from companion.models.char_lm import CharLanguageModel, train
    from companion.nn.layers.gru import GRU
    from companion.nn.layers.lstm import LSTM

    def recurrent(units, cell, batch_size):
        m = CharLanguageModel(vocab, units=units, cell=cell, seed=seed)
        return m, lambda names, epochs: train(m, names, epochs=epochs, batch_size=batch_size,
                                              clipnorm=5.0, seed=seed, progress=False)

    def transformer(positional):
        m = TransformerLM(vocab, d_model=32, num_heads=2, num_layers=2, ff_dim=64,
                          positional=positional, seed=seed)
        return m, lambda names, epochs: train_lm(m, names, epochs=epochs, seed=seed)
    return {"GRU (48 units)": recurrent(48, GRU, 64),
            "LSTM (48 units)": recurrent(48, LSTM, 64), "transformer": transformer(True),
            "transformer, no positions": transformer(False)}


def count_params(model) -> int:
    return int(sum(p.size for p in model.params.values()))


def compare_language_models(train_names, test_names, vocab, epochs: int, seeds=(0, 1, 2),
                            extra_epochs: dict | None = None) -> dict:
    """Train every contender of ``_lm_contenders`` for ``epochs`` epochs (a contender named in
    ``extra_epochs`` for that many instead, under the name "<name>, <k> epochs") with each seed.

    Returns name -> {"loss": [test nats/char per seed], "cpu": [CPU seconds per seed],
    "params": parameter count, "epochs": epochs}.
    """
    import time
    rows: dict = {}
    for seed in seeds:
        plan = [(name, m, fit, epochs) for name, (m, fit) in _lm_contenders(vocab, seed).items()]
        for name, k in (extra_epochs or {}).items():
            m, fit = _lm_contenders(vocab, seed)[name]
            plan.append((f"{name}, {k} epochs", m, fit, k))
        for name, model, fit, k in plan:
            start = time.process_time()
            fit(train_names, k)
            cpu = time.process_time() - start
            row = rows.setdefault(name, {"loss": [], "cpu": [], "params": count_params(model),
                                         "epochs": k})
            row["loss"].append(model.loss(test_names))
            row["cpu"].append(cpu)
    return rows
