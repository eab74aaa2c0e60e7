"""Word-embedding costs on this machine's CPU: lookup vs one-hot product, three ways to compute
the embedding gradient (scatter-add), and the full Google analogy evaluation by batch size.

    .venv/bin/python benchmarks/embeddings.py            # all tables
    .venv/bin/python benchmarks/embeddings.py --quick    # fewer rounds

Rounds are interleaved across variants and the best round is kept, so background load affects
every variant alike. Timings only: every variant is also checked to give the same numbers.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from companion.data import word_vectors as embeddings
from companion.models.skipgram import scatter_add_rows
from companion.nn.layers.embedding import embedding_backward, embedding_backward_onehot


def best_times(variants: dict, rounds: int, repeat: int = 1) -> dict[str, float]:
    best = {k: np.inf for k in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            start = time.perf_counter()
            for _ in range(repeat):
                fn()
            best[name] = min(best[name], (time.perf_counter() - start) / repeat)
    return best


def table(title: str, times: dict[str, float]) -> None:
    print(f"\n{title}")
    fastest = min(times.values())
    for name, t in times.items():
        print(f"  {name:42} {t * 1e3:10.3f} ms   x{t / fastest:7.1f}")


def backward_table(n_words: int, M: int, D: int, rng, rounds: int) -> None:
    g_ids = rng.integers(0, n_words, M)
    dout = rng.standard_normal((M, D))
    cache = (g_ids, n_words)
    ref = embedding_backward(dout, cache)[1][0]
    variants = {"np.add.at (Embedding.backward)": lambda: embedding_backward(dout, cache)[1][0],
                "np.bincount (skipgram.scatter_add_rows)":
                    lambda: scatter_add_rows(n_words, g_ids, dout)}
    if n_words * M <= 10_000_000:
        variants["one-hot.T @ dout"] = lambda: embedding_backward_onehot(dout, cache)[1][0]
    for fn in variants.values():
        np.testing.assert_allclose(fn(), ref, atol=1e-10)
    table(f"backward: gradient of {M} lookups into {n_words} rows x {D} (float64)",
          best_times(variants, rounds))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    rounds = 2 if args.quick else 5
    rng = np.random.default_rng(0)

    V, D, B = 40_000, 50, 256
    E = rng.standard_normal((V, D)).astype(np.float32)
    ids = rng.integers(0, V, B)
    onehot = np.zeros((B, V), np.float32)
    onehot[np.arange(B), ids] = 1
    assert np.array_equal(onehot @ E, E[ids])
    table(f"forward: {B} lookups in a ({V}, {D}) float32 matrix",
          best_times({"E[ids] (indexing)": lambda: E[ids],
                      "one-hot @ E (one-hot built beforehand)": lambda: onehot @ E},
                     rounds, repeat=20))

    for n_words, M in [(1_300, 6_144), (40_000, 6_144)]:
        backward_table(n_words, M, D, rng, rounds)

    wv = embeddings.load_glove()
    sections = embeddings.read_analogies()
    acc = {}

    def run(bs):
        acc[bs] = embeddings.evaluate_analogies(wv, sections, batch_size=bs).accuracy
    table("full Google analogy evaluation (16,880 questions x 40,000 candidates) by batch size",
          best_times({f"batch_size={bs}": (lambda bs=bs: run(bs)) for bs in (128, 512, 2048)},
                     max(1, rounds // 2)))
    assert len(set(acc.values())) == 1, acc
    print(f"  (accuracy {next(iter(acc.values())):.4f} for every batch size)")


if __name__ == "__main__":
    main()
