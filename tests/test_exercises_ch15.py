"""Chapter 15's exercise checkers: the notebook's own solutions (read from its collapsed solution
cells) pass, each planted mistake gets its hint, garbage gets one sentence, and realistic
mistakes nobody planted are rejected."""
import numpy as np
import pytest
from exercise_garbage import checker_tests, notebook_solutions, only_own_hint_test, rejected

from companion.exercises import ch15
from companion.exercises.checker import Mistake

SOL = notebook_solutions("15_transformer_budgets.ipynb")


def _planted(make, pairs):
    """Planted mistakes (the checker's own bug variants) with a phrase their hint must contain."""
    return [Mistake(make(bug), phrase) for bug, phrase in pairs]


EXERCISES = [
    (ch15.check_recurrent_params, SOL["recurrent_params"], _planted(ch15._recurrent_bug, (
        ("one GRU bias", "TWO biases per gate"), ("no recurrent", "recurrent kernel"),
        ("no readout", "read-out layer"), ("one gate less", "count every gate")))),
    (ch15.check_transformer_params, SOL["transformer_params"], _planted(ch15._transformer_bug, (
        ("no attention biases", "4 d short per block"), ("one projection", "FOUR projections"),
        ("one norm", "TWO layer norms"), ("no final norm", "one last layer norm"),
        ("no embedding", "token embedding")))),
    (ch15.check_mean_spread, SOL["spread"], _planted(ch15._spread_bug, (
        ("std", "not the standard deviation"), ("range", "half the range: (max - min) / 2"),
        ("max - mean", "max - mean is not it")))),
    (ch15.check_paired_difference, SOL["paired"], _planted(ch15._paired_bug, (
        ("unpaired", "DIFFERENCES"), ("b - a", "a - b (negative"), ("ties", "STRICTLY"))))]
test_solution_passes, test_each_planted_mistake_gets_its_hint, test_garbage_gets_one_sentence = \
    checker_tests(EXERCISES)


test_each_planted_mistake_gets_only_its_own_hint = only_own_hint_test(EXERCISES)


# --- realistic mistakes nobody planted: each must be rejected ----------------------------------
def _recurrent_simple_rnn(cell, V, units):                 # one weight block for every cell
    return V * units + units * units + units + units * V + V


def _recurrent_float(cell, V, units):
    return float(SOL["recurrent_params"](cell, V, units))


def _recurrent_no_readout_bias(cell, V, units):
    return SOL["recurrent_params"](cell, V, units) - V


def _recurrent_gru_as_lstm(cell, V, units):
    return SOL["recurrent_params"]("LSTM", V, units)


def _transformer_per_head(V, d_model, num_layers, ff_dim, norm_first):
    # projections counted as d x d per head with 2 heads
    return SOL["transformer_params"](V, d_model, num_layers, ff_dim, norm_first) + \
        num_layers * 4 * d_model * d_model


def _transformer_learned_positions(V, d_model, num_layers, ff_dim, norm_first):
    return SOL["transformer_params"](V, d_model, num_layers, ff_dim, norm_first) + 24 * d_model


def _transformer_ff_once(V, d_model, num_layers, ff_dim, norm_first):
    return SOL["transformer_params"](V, d_model, num_layers, ff_dim, norm_first) - \
        num_layers * (ff_dim * d_model + d_model)


def _transformer_one_block(V, d_model, num_layers, ff_dim, norm_first):
    return SOL["transformer_params"](V, d_model, 1, ff_dim, norm_first)


def _spread_sample_std(values):
    v = np.asarray(values, dtype=float)
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


def _spread_list_only(values):                            # sorts the caller's list in place
    values.sort()
    return float(np.mean(values)), float((values[-1] - values[0]) / 2)


def _spread_array(values):
    v = np.asarray(values, dtype=float)
    return np.array([v.mean(), (v.max() - v.min()) / 2])  # one array for the pair


def _spread_median(values):
    v = np.asarray(values, dtype=float)
    return float(np.median(v)), float((v.max() - v.min()) / 2)


def _paired_abs(a, b):
    d = np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))
    return float(d.mean()), float((d.max() - d.min()) / 2), int(np.sum(np.asarray(a) < b))


def _paired_fraction(a, b):
    m, s, wins = SOL["paired"](a, b)
    return m, s, wins / len(a)                            # a fraction, not a count


def _paired_sorted(a, b):                                 # pairs the sorted runs, not the seeds
    return SOL["paired"](np.sort(a), np.sort(b))


def _paired_std(a, b):
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    return float(d.mean()), float(d.std()), int(np.sum(d < 0))


REALISTIC = [(ch15.check_recurrent_params, f) for f in (
    _recurrent_simple_rnn, _recurrent_float, _recurrent_no_readout_bias, _recurrent_gru_as_lstm)] + \
    [(ch15.check_transformer_params, f) for f in (
        _transformer_per_head, _transformer_learned_positions, _transformer_ff_once,
        _transformer_one_block)] + \
    [(ch15.check_mean_spread, f) for f in (_spread_sample_std, _spread_list_only, _spread_array,
                                           _spread_median)] + \
    [(ch15.check_paired_difference, f) for f in (_paired_abs, _paired_fraction, _paired_sorted,
                                                 _paired_std)]


@pytest.mark.parametrize("check, fn", REALISTIC, ids=[f.__name__ for _, f in REALISTIC])
def test_realistic_mistakes_are_rejected(check, fn):
    ok, line = rejected(check, fn)
    assert ok, line
