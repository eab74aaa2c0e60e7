"""nbval on outputs already computed: one execution of each notebook checked twice.

`make test` runs every chapter once, in JupyterLab (the browser suite's Run All, in a fresh
kernel with the environment nbval uses), and records what the front end then holds
(``artifacts/executed/<notebook>``). nbval then compares those outputs with the stored ones
instead of executing the notebook a second time: ``pytest notebooks --nbval-replay DIR``.

Only the source of the outputs changes: nbval's own loop reads them as kernel messages from
``ReplayKernel`` and applies its comparison, its sanitisers (tests/nbval_sanitize.cfg), its
skip/ignore tags and the root conftest.py's skipped keys, exactly as after an execution. A
recording is used only if its code cells are, in order, the stored notebook's code cells (else
the notebook's first cell fails, naming the first cell that differs); a notebook with no
recording in DIR (the browser suite skipped or failed before recording it) is executed as usual.
"""
from __future__ import annotations

from collections import deque
from pathlib import Path

import nbformat

OPTION = "--nbval-replay"


class StaleRecording(RuntimeError):
    """The recorded notebook is not a run of the stored one."""


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else value


def _message(output, parent: str) -> dict:
    """One recorded output as the iopub message the kernel sent for it."""
    kind = output["output_type"]
    if kind == "stream":
        content = {"name": output["name"], "text": _text(output["text"])}
    elif kind in ("display_data", "execute_result"):
        content = {"data": {k: _text(v) for k, v in output.get("data", {}).items()},
                   "metadata": output.get("metadata", {})}
        if kind == "execute_result":
            content["execution_count"] = output.get("execution_count")
    elif kind == "error":
        content = {k: output[k] for k in ("ename", "evalue", "traceback")}
    else:
        raise StaleRecording(f"unknown output type {kind!r} in a recording")
    return {"msg_type": kind, "content": content, "parent_header": {"msg_id": parent}}


def code_sources(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"]


def check_recording(recorded, stored, where: str) -> None:
    """Raise StaleRecording unless ``recorded`` has ``stored``'s code cells, in order, and every
    one of them ran."""
    got, want = code_sources(recorded), code_sources(stored)
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            raise StaleRecording(f"{where}: code cell {i} differs from the stored notebook's "
                                 f"(recorded {g[:60]!r}, stored {w[:60]!r}): a stale recording")
    if len(got) != len(want):
        raise StaleRecording(f"{where}: {len(got)} code cells recorded, the stored notebook "
                             f"has {len(want)}: a stale recording")
    unrun = [i for i, c in enumerate(c for c in recorded.cells if c.cell_type == "code")
             if c.source.strip() and c.get("execution_count") is None]
    if unrun:
        raise StaleRecording(f"{where}: code cells {unrun[:5]} were not run in the recording")


class ReplayKernel:
    """Stands in for nbval's ``RunningKernel``: each ``execute_cell_input`` takes the next
    recorded code cell with that source and queues its outputs, then an idle status."""

    def __init__(self, recording: Path, stored):
        self.path = recording
        self.nb = nbformat.read(recording, as_version=4)
        check_recording(self.nb, stored, str(recording))
        self.cells = [c for c in self.nb.cells if c.cell_type == "code"]
        self.next = 0
        self.queue: deque = deque()
        self.alive = True

    def execute_cell_input(self, cell_input, allow_stdin=None) -> str:
        for i in range(self.next, len(self.cells)):
            if self.cells[i].source == cell_input:
                break
        else:
            raise StaleRecording(f"{self.path}: no recorded cell left with the source "
                                 f"{cell_input[:60]!r}")
        self.next = i + 1
        msg_id = f"replay-{i}"
        self.queue.extend(_message(o, msg_id) for o in self.cells[i].outputs)
        self.queue.append({"msg_type": "status", "content": {"execution_state": "idle"},
                           "parent_header": {"msg_id": msg_id}})
        return msg_id

    def get_message(self, stream="iopub", timeout=None) -> dict:
        return self.queue.popleft()

    def await_reply(self, msg_id, timeout=None):
        return None

    def await_idle(self, parent_id, timeout):
        while self.queue and self.queue[0]["msg_type"] != "status":
            self.queue.popleft()

    def is_alive(self) -> bool:
        return self.alive

    def interrupt(self):
        pass

    def stop(self):
        self.alive = False


def install(config) -> None:
    """Make nbval's notebook collector replay DIR/<notebook> where it exists (pytest_configure)."""
    folder = config.getoption("nbval_replay", None)
    if not folder:
        return
    from nbval.plugin import IPyNbFile
    folder = Path(folder)
    execute = IPyNbFile.setup

    def setup(self):
        recording = folder / self.path.name
        if not recording.is_file():
            return execute(self)
        self.kernel = ReplayKernel(recording, self.nb)
        self.setup_sanitize_files()

    IPyNbFile.setup = setup


def add_option(parser) -> None:
    parser.addoption(OPTION, dest="nbval_replay", metavar="DIR", default=None,
                     help="compare each notebook's stored outputs with DIR/<notebook> (a run "
                          "recorded by the browser suite) instead of executing it; a notebook "
                          "with no recording there is executed")
