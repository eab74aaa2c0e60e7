"""Chapter 15's module: the paired comparison and the results explorer (built on made-up rows;
nothing is trained)."""
import numpy as np
import pytest

from companion.chapters import ch15

ROWS = {"GRU": {"loss": [2.08, 2.07, 2.09], "cpu": [1.2, 1.4, 1.3], "params": 12604, "epochs": 4},
        "transformer": {"loss": [2.10, 2.12, 2.11], "cpu": [3.4, 3.6, 3.5], "params": 18908,
                        "epochs": 4}}


def test_paired_difference_pairs_the_seeds():
    mean, half, wins = ch15.paired_difference([2.0, 2.3, 2.1], [2.1, 2.4, 2.1])
    assert mean == pytest.approx(-0.2 / 3) and half == pytest.approx(0.05) and wins == 2
    assert isinstance(wins, int)


@pytest.mark.parametrize("a, b", [([1.0, 2.0], [1.0]), ([], []), ([[1.0]], [[1.0]]),
                                  ([1.0, np.nan], [1.0, 2.0])])
def test_paired_difference_refuses_bad_input(a, b):
    with pytest.raises(ValueError, match="paired_difference"):
        ch15.paired_difference(a, b)


def test_results_explorer_redraws_from_the_rows():
    import matplotlib
    matplotlib.use("Agg")
    ex = ch15.results_explorer(ROWS, bigram=2.37)
    r = ex.refresh()
    assert r["values"] == pytest.approx([2.08, 2.11]) and r["errors"] == pytest.approx([0.01, 0.01])
    assert "lowest GRU (2.080)" in r["summary"]
    r = ex.update(metric="CPU seconds per run", seed="1")
    assert r["values"] == pytest.approx([1.4, 3.6]) and r["errors"] is None
    assert "seed 1" in r["summary"] and "highest transformer" in r["summary"]
    r = ex.update(metric="parameters")
    assert r["values"] == [12604, 18908] and "most transformer (18908)" in r["summary"]
