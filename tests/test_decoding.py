"""The shared decoder search (companion.models.decoding) on hand-made step functions whose
best sequences are known by enumeration."""
import itertools

import numpy as np
import pytest

from companion.models.decoding import (
    batch_rows,
    beam_search,
    error_analysis,
    length_normalised,
    select_rows,
    sequence_logprob,
)

EOS = 0


def table_step(table):
    """A step function from a dict prefix-tuple -> next-token probabilities (a tiny LM); the
    state carries one row per prefix (the source id, unused) and counts the calls."""
    def step(tokens, state):
        rows = [table.get(tuple(int(x) for x in r), table["default"]) for r in tokens]
        return np.log(np.array(rows)), {"src": state["src"], "t": state["t"] + 1}
    return step


# V = 3 tokens: 0 = eos, 1 = a, 2 = b
LENGTHS = {(): [0.30, 0.40, 0.30], (1,): [0.05, 0.9, 0.05], (1, 1): [0.7, 0.15, 0.15],
           (2,): [0.2, 0.4, 0.4], "default": [0.34, 0.33, 0.33]}


def state(n=1):
    return {"src": np.arange(n), "t": np.zeros(n)}


def test_alpha_changes_the_winner_when_lengths_differ():
    """'<eos>' alone has log P = log 0.3 = -1.20 (length 1); 'a a <eos>' has log(0.4*0.9*0.7)
    = -1.38 (length 3). The raw score (alpha=0) prefers the short one, alpha=1 the long one."""
    step = table_step(LENGTHS)
    short = beam_search(step, state(), k=3, max_len=5, eos=EOS, alpha=0.0)[0]
    long = beam_search(step, state(), k=3, max_len=5, eos=EOS, alpha=1.0)[0]
    assert short[0].tokens == (EOS,) and long[0].tokens == (1, 1, EOS)
    assert short[0].logp == pytest.approx(np.log(0.3))
    assert long[0].logp == pytest.approx(np.log(0.4 * 0.9 * 0.7))
    assert long[0].score == pytest.approx(np.log(0.4 * 0.9 * 0.7) / 3)
    assert all(h.finished for h in short + long)


def test_cut_off_hypotheses_rank_below_finished_ones():
    """Without eos within max_len a hypothesis is cut off: never ranked above a finished one,
    even when its score is higher."""
    table = {(): [0.05, 0.95, 0.0], "default": [0.0, 0.6, 0.4]}     # eos only at first
    with np.errstate(divide="ignore"):
        hyps = beam_search(table_step(table), state(), k=2, max_len=3, eos=EOS, alpha=0.0)[0]
    assert [h.finished for h in hyps] == [True, False]
    assert hyps[0].tokens == (EOS,) and hyps[1].tokens == (1, 1, 1)
    assert hyps[1].score > hyps[0].score                      # better score, still ranked below
    with np.errstate(divide="ignore"):
        only = beam_search(table_step(table), state(), k=1, max_len=3, eos=EOS, alpha=0.0)[0]
    assert only[0].tokens == (1, 1, 1) and not only[0].finished   # greedy: nothing finished


def brute_force(step, V, max_len, alpha):
    """Best finished sequence by enumeration of every sequence of length <= max_len."""
    best = (-np.inf, None)
    for L in range(1, max_len + 1):
        for body in itertools.product(range(1, V), repeat=L - 1):
            seq = body + (EOS,)
            lp = sequence_logprob(step, state(), [seq])[0]
            best = max(best, (lp / L ** alpha, seq))
    return best


@pytest.mark.parametrize("alpha", [0.0, 0.7, 1.0])
def test_a_wide_beam_finds_the_brute_force_optimum(alpha):
    rng = np.random.default_rng(3)
    V, max_len = 3, 4
    table = {"default": [0.3, 0.4, 0.3]}
    for L in range(max_len):
        for prefix in itertools.product(range(1, V), repeat=L):
            table[prefix] = rng.dirichlet(np.ones(V))
    step = table_step(table)
    score, seq = brute_force(step, V, max_len, alpha)
    hyps = beam_search(step, state(), k=V ** max_len, max_len=max_len, eos=EOS, alpha=alpha)[0]
    assert hyps[0].tokens == seq and hyps[0].score == pytest.approx(score, rel=1e-12)
    done = [h.score for h in hyps if h.finished]
    assert done == sorted(done, reverse=True)
    assert [h.finished for h in hyps] == sorted((h.finished for h in hyps), reverse=True)


def test_batch_of_sources_equals_one_at_a_time():
    """Rows are independent: a batch of three sources gives each source's own answer."""
    def step(tokens, st):
        bias = st["src"][:, None] * np.array([0.5, -0.3, 0.2])
        z = np.sin(tokens.sum(1, keepdims=True) + np.arange(3) + bias)
        return z - np.log(np.exp(z).sum(1, keepdims=True)), st
    src = np.array([0.0, 1.0, 2.0])
    both = beam_search(step, {"src": src}, k=2, max_len=6, eos=EOS)
    for i in range(3):
        alone = beam_search(step, {"src": src[i:i + 1]}, k=2, max_len=6, eos=EOS)[0]
        assert [h.tokens for h in both[i]] == [h.tokens for h in alone]
        np.testing.assert_allclose([h.score for h in both[i]], [h.score for h in alone])


def test_state_rows_follow_their_beams():
    """The state handed back with a hypothesis is that hypothesis' own history."""
    def step(tokens, st):
        hist = np.concatenate([st["hist"], tokens[:, -1:] if tokens.shape[1] else
                               np.zeros((len(tokens), 0), int)], axis=1)
        return np.log(np.tile([0.2, 0.5, 0.3], (len(tokens), 1))), {"hist": hist}
    hyps = beam_search(step, {"hist": np.zeros((1, 0), int)}, k=3, max_len=4, eos=EOS)[0]
    for h in hyps:
        assert tuple(h.state["hist"][0]) == h.tokens[:-1][:len(h.state["hist"][0])]


def test_sequence_logprob_and_error_analysis():
    step = table_step(LENGTHS)
    lp = sequence_logprob(step, state(2), [[1, 1, EOS], [EOS]])
    np.testing.assert_allclose(lp, np.log([0.4 * 0.9 * 0.7, 0.3]))
    r = error_analysis([-1.0, -3.0, -2.0], [-2.0, -1.0, -2.0], [True, True, False])
    assert (r["errors"], r["search"], r["model"]) == (2, 1, 1) and list(r["search_rows"]) == [0]
    np.testing.assert_allclose(length_normalised([-2.0], [4], 0.5), [-1.0])


def test_select_rows_and_errors():
    st = {"a": np.arange(6).reshape(3, 2), "b": (np.arange(3), None), "c": [np.zeros((3, 1))]}
    sel = select_rows(st, np.array([2, 0]))
    assert sel["a"].tolist() == [[4, 5], [0, 1]] and sel["b"][1] is None
    assert batch_rows(st) == 3
    with pytest.raises(ValueError, match="same number of rows"):
        batch_rows({"a": np.zeros(2), "b": np.zeros(3)})
    with pytest.raises(TypeError, match="state"):
        select_rows({"a": "text"}, np.array([0]))
    step = table_step(LENGTHS)
    with pytest.raises(ValueError, match="k"):
        beam_search(step, state(), k=0)
    with pytest.raises(ValueError, match="eos"):
        beam_search(step, state(), k=2, eos=7)
    with pytest.raises(ValueError, match="alpha"):
        beam_search(step, state(), alpha=-1)
    with pytest.raises(ValueError, match="step"):
        beam_search(lambda t, s: (np.zeros((5, 3)), s), state(), k=2)
    with pytest.raises(ValueError, match="sequences"):
        sequence_logprob(step, state(2), "ab")
    with pytest.raises(ValueError, match="three"):
        error_analysis([1.0], [1.0, 2.0], [True])
