"""Chapter 17's module: the held-out split, the early-stopping loop against the library's
callback, the exercises' references against the package, the table and the explorer (on a
tiny model and made-up rows; the chapter's fifteen runs are the notebook's)."""
import numpy as np
import pytest

from companion.chapters import ch17
from companion.nn import optim
from companion.nn.callbacks import Callback, EarlyStopping
from companion.nn.layers.gru import gru_step_forward
from companion.nn.train import train_loop


def test_held_out_split_uses_the_true_year():
    preds = ["1997-01-01", "1950-02-02", "1953-07-07", "", "2001-"]
    targets = ["1996-01-01", "1950-02-02", "1953-07-07", "1997-01-01", "2001-01-01"]
    out = ch17.held_out_split(preds, targets, [1953, 1997])
    assert out == pytest.approx((1 / 3, 1 / 2, 2 / 3, 1 / 2))
    assert np.isnan(ch17.held_out_split(["1950-01-01"], ["1950-01-01"], [1953])[1])
    with pytest.raises(ValueError, match="2 predictions for 1 targets"):
        ch17.held_out_split(["a", "b"], ["c"], [1953])


class _Scripted(Callback):
    """Puts the next scripted dev loss into the history (before EarlyStopping reads it)."""

    def __init__(self, losses):
        self.losses = losses

    def on_epoch_end(self, epoch, history):
        history.setdefault("val_loss", []).append(self.losses[epoch])
        return False


class _Counter:
    """A Trainable whose one batch per epoch adds 1 to its weights (SGD, learning rate 1)."""

    def __init__(self):
        self.params = {"w": np.zeros(3)}

    def loss_and_grads(self, batch):
        return 0.0, {"w": -np.ones(3)}


@pytest.mark.parametrize("losses, patience, min_delta", [
    ([1.0, 0.8, 0.7, 0.72, 0.75, 0.6, 0.5], 2, 0.0),
    ([1.0, 0.9, 0.897, 0.896, 0.5, 0.4, 0.3], 2, 0.005),
    ([0.5, 0.6, 0.4, 0.3, 0.35, 0.2, 0.1], 1, 0.0),
    ([0.3, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9], 3, 0.0)])
def test_early_stopping_loop_is_the_callbacks_loop(losses, patience, min_delta):
    model, stop = _Counter(), EarlyStopping(patience=patience, min_delta=min_delta)
    history = train_loop(model, lambda e: [None], optim.SGD(1.0), len(losses),
                         [_Scripted(losses), stop])
    params, it = {"w": np.zeros(3)}, iter(losses)
    w = params["w"]

    def epoch():
        w[...] += 1
    ran, best = ch17.early_stopping_loop(epoch, lambda: next(it), params, len(losses),
                                         patience, min_delta)
    assert ran == len(history["val_loss"]) < len(losses)        # stopped before the cap
    assert best == stop.best_epoch + 1
    np.testing.assert_array_equal(params["w"], model.params["w"])
    assert params["w"] is w


def test_early_stopping_loop_refuses_a_loss_never_finite():
    with pytest.raises(ValueError, match="never finite"):
        ch17.early_stopping_loop(lambda: None, lambda: float("nan"), {}, 3, 1)


def test_step_before_is_the_package_decoder_step(rng):
    """The exercise's reference is one step of nn.layers.attentive_gru (dot score)."""
    from companion.nn.layers.attentive_gru import attentive_gru_forward
    N, V, Tx, u = 3, 5, 6, 4
    gru = {"kernel": rng.standard_normal((V + u, 3 * u)), "bias": np.zeros((2, 3 * u)),
           "recurrent_kernel": rng.standard_normal((u, 3 * u))}
    s0, x, H = rng.standard_normal((N, u)), rng.standard_normal((N, V)), \
        rng.standard_normal((N, Tx, u))
    mask = np.arange(Tx)[None] >= np.array([[0], [2], [5]])
    s, c, a = ch17.step_before(s0, x, H, mask, lambda i, h: gru_step_forward(
        i, h, gru["kernel"], gru["recurrent_kernel"], gru["bias"])[0])
    (S, C, A), _ = attentive_gru_forward(x[:, None], s0, H, mask, gru, {}, "dot")
    np.testing.assert_allclose(s, S[:, 0], rtol=1e-12)
    np.testing.assert_allclose(c, C[:, 0], rtol=1e-12)
    np.testing.assert_allclose(a, A[:, 0], rtol=1e-12)


ROWS = {"plain": {"params": 100, "seeds": 3, "epochs": [10, 12, 11], "best": [8, 10, 9],
                  "cpu": [1.0, 1.2, 1.1], "test": np.array([0.01, 0.0, 0.02]),
                  "held_out": np.array([0.0, 0.0, 0.01]), "year_seen": np.array([0.9, 0.92, 0.88]),
                  "year_held_out": np.array([0.2, 0.3, 0.1])},
        "dot": {"params": 120, "seeds": 3, "epochs": [8, 9, 8], "best": [6, 7, 6],
                "cpu": [2.0, 2.1, 1.9], "test": np.array([0.95, 0.97, 0.96]),
                "held_out": np.array([0.94, 0.93, 0.95]), "year_seen": np.array([0.99, 1.0, 0.98]),
                "year_held_out": np.array([0.97, 0.98, 0.99])}}


def test_table_and_explorer_read_the_rows():
    import matplotlib
    matplotlib.use("Agg")
    text = ch17.table(ROWS)
    assert "96.0% ± 1.0%" in text and "1.1 s per run" in text and "20.0% ± 10.0%" in text
    ex = ch17.results_explorer(ROWS)
    r = ex.update(metric="year right, held-out years")
    assert r["means"] == pytest.approx([0.2, 0.98]) and "highest dot" in r["summary"]
    r = ex.update(metric="CPU seconds per run")
    assert "lowest plain" in r["summary"]


def test_a_tiny_run_trains_and_reports(monkeypatch):
    setup = dict(ch17.SETUP, n_train=64, n_dev=16, n_test=8, n_hard=8, units=2, max_epochs=2)
    data = ch17.load(setup=setup)
    runs = ch17.run_variants(data, ["dot, context before"], [0], setup)
    r = runs["dot, context before"][0]
    assert r["epochs"] <= 2 and len(r["test"]) == 8 and len(r["held_out"]) == 8
    assert r["model"].placement == "before" and r["cpu_s"] > 0
    rows = ch17.summarise(runs, data)
    assert rows["dot, context before"]["test"].shape == (1,)
    with pytest.raises(ValueError, match="name must be one of"):
        ch17.train_variant(data, "cosine", 0, setup)
