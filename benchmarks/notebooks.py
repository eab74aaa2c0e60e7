#!/usr/bin/env python3
"""Time every chapter notebook, each run top to bottom in a fresh kernel, and print a table.

    .venv/bin/python benchmarks/notebooks.py                      # all notebooks/NN_*.ipynb
    .venv/bin/python benchmarks/notebooks.py notebooks/03_*.ipynb  # some (merged into the table)
    .venv/bin/python benchmarks/notebooks.py --no-save            # print only

Notebooks are executed in memory (the committed files are never written), with the same
kernel environment as nbval and tools/execute_notebooks.py (no progress bars, quiet
TensorFlow), cwd = notebooks/. The time is the wall clock from kernel start to the last
cell, Keras import included: what a learner waits for on "Restart & Run All"; beside it, the
kernel's CPU seconds, which a busy machine does not inflate.
The table is stored in benchmarks/notebook_times.json, which the course index
(notebooks/00_index.ipynb) renders. Target: each notebook under 60 s on 2 CPU cores; the
script exits with an error, naming them, when a notebook fails or takes longer.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from companion.lab import course

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fair  # noqa: E402  (the CPU model and caches, as the Keras benchmarks print them)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
TIMES = ROOT / "benchmarks" / "notebook_times.json"
TARGET_S = course.TARGET_SECONDS


def kernel_env() -> dict:
    """The kernel environment tools/execute_notebooks.py uses (quiet TensorFlow, no bars,
    one OpenBLAS thread...), taken from it so the two never drift apart."""
    from tools.execute_notebooks import ENV
    return dict(ENV)


def machine() -> dict:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"cpus": os.cpu_count(), "cpu": fair.machine(), "platform": platform.platform(terse=True),
            "kernel_env": kernel_env(),
            "python": platform.python_version(),
            "load_average_at_start": None if load is None else round(load, 2)}


def children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes: the kernels."""
    import resource
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def time_notebook(path: Path, timeout: int = 600) -> dict:
    """Restart & Run All of one notebook in a fresh kernel, Keras import included, without
    writing it back: wall seconds, the kernel's CPU seconds (what an idle machine's wall time
    would be: the kernels compute on one thread), code cells and status."""
    from nbclient.exceptions import CellExecutionError

    from tools.execute_notebooks import run  # the one Restart & Run All
    cells = sum(c["cell_type"] == "code" for c in json.loads(path.read_text("utf-8"))["cells"])
    cpu0, status = children_cpu(), "ok"
    start = time.perf_counter()
    try:
        run(path, timeout)
    except CellExecutionError as exc:
        status = "error: " + str(exc).strip().splitlines()[-1][:80]
    seconds = time.perf_counter() - start
    return {"notebook": path.name, "seconds": round(seconds, 1),
            "cpu_seconds": round(children_cpu() - cpu0, 1), "code_cells": cells,
            "status": status}


def table(rows: list[dict]) -> str:
    lines = [f"{'notebook':40} {'seconds':>8} {'cpu s':>6} {'cells':>6}  status",
             "-" * 74]
    for r in rows:
        flag = "" if r["seconds"] < TARGET_S else f"  (over the {TARGET_S:.0f} s target)"
        lines.append(f"{r['notebook']:40} {r['seconds']:8.1f} {r.get('cpu_seconds', 0):6.1f} "
                     f"{r['code_cells']:6d}  {r['status']}{flag}")
    total = sum(r["seconds"] for r in rows)
    lines += ["-" * 74, f"{'total':40} {total:8.1f}"]
    return "\n".join(lines)


def save(rows: list[dict], info: dict, path: Path = TIMES) -> None:
    """Merge ``rows`` into the stored table (a partial run updates only its notebooks)."""
    old = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    merged = {r["notebook"]: r for r in old.get("notebooks", [])}
    merged.update({r["notebook"]: r for r in rows})
    data = {"measured": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": info, "target_seconds": TARGET_S,
            "notebooks": [merged[k] for k in sorted(merged)]}
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=Path)
    ap.add_argument("--no-save", action="store_true", help="print only; keep the stored table")
    ap.add_argument("--timeout", type=int, default=600, help="per-cell timeout in seconds")
    args = ap.parse_args(argv)
    paths = args.notebooks or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        print("no notebooks found")
        return 1
    info = machine()
    print(f"{info['cpus']} CPUs, load average {info['load_average_at_start']} at start")
    rows = []
    for p in paths:
        rows.append(time_notebook(p.resolve(), args.timeout))
        r = rows[-1]
        print(f"  {r['notebook']:40} {r['seconds']:6.1f} s ({r['cpu_seconds']:.1f} s CPU)  "
              f"{r['status']}", flush=True)
    print()
    print(table(rows))
    if not args.no_save:
        save(rows, info)
        print(f"\nstored in {TIMES.relative_to(ROOT)}")
    slow = [r["notebook"] for r in rows if r["seconds"] >= TARGET_S]
    if slow:        # the course's claim: every chapter runs in under a minute
        print(f"over the {TARGET_S:.0f} s target: {', '.join(slow)} (load average at start "
              f"{info['load_average_at_start']})")
    return 0 if all(r["status"] == "ok" for r in rows) and not slow else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
