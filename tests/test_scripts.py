"""Every script in benchmarks/ and tools/ runs, in its quickest mode, so that a refactor that
breaks one fails CI (issue 22: `make bench` had crashed on a removed helper and nothing knew).

These tests check that the scripts run and print their tables; they time nothing.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args, timeout=600) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, *map(str, args)], cwd=ROOT, env=env, timeout=timeout,
                         capture_output=True, text=True)
    assert out.returncode == 0, f"{args[0]} exited {out.returncode}:\n{out.stdout[-2000:]}\n" \
                                f"{out.stderr[-3000:]}"
    return out.stdout


def test_notebook_timer_runs_one_small_notebook():
    """The script `make bench` runs, on the index notebook, without writing the stored table."""
    stored = (ROOT / "benchmarks" / "notebook_times.json").read_text(encoding="utf-8")
    out = run("benchmarks/notebooks.py", "notebooks/00_index.ipynb", "--no-save")
    assert "00_index.ipynb" in out and " ok" in out and "cpu s" in out
    assert (ROOT / "benchmarks" / "notebook_times.json").read_text(encoding="utf-8") == stored


@pytest.mark.keras
@pytest.mark.parametrize("script", ["conv.py", "rnn.py"])
def test_keras_benchmarks_smoke(script):
    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        pytest.skip("the Keras benchmarks measure TensorFlow's kernels")
    out = run(f"benchmarks/{script}", "--smoke")
    assert "ratio" in out.lower() or "×" in out or "x" in out


@pytest.mark.parametrize("args", [["benchmarks/batch_size.py", "--quick", "--hidden", "32"],
                                  ["benchmarks/embeddings.py", "--quick"],
                                  ["benchmarks/regularisation_seeds.py", "1"]])
def test_numpy_benchmarks_quick(args):
    assert run(*args).strip()


def test_tools_parse_their_arguments():
    """make_glove_subset.py needs the 400,000-word GloVe wheel, which CI does not download:
    its argument parser and imports are checked here; the asset it made is checked by
    tests/test_embeddings.py."""
    assert "n-words" in run("tools/make_glove_subset.py", "--help")
    assert "usage" in run("tools/execute_notebooks.py", "--help").lower()
