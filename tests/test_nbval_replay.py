"""nbval on a recorded run (tools/nbval_replay.py, `make test`'s third step): a faithful copy
passes, a changed output fails as nbval fails it, and a recording of another version of the
notebook is refused as stale instead of being compared."""
from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools.nbval_replay import ReplayKernel, StaleRecording, check_recording

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "01_perceptron.ipynb"


def stored():
    return nbformat.read(NOTEBOOK, as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def nbval_on(recording, tmp_path) -> subprocess.CompletedProcess:
    folder = tmp_path / "rec"
    folder.mkdir()
    nbformat.write(recording, folder / NOTEBOOK.name)
    return subprocess.run([sys.executable, "-m", "pytest", str(NOTEBOOK.relative_to(ROOT)),
                           "--nbval-replay", str(folder), "-q", "-p", "no:xdist"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_the_stored_run_replays_and_passes(tmp_path):
    run = nbval_on(stored(), tmp_path)
    assert run.returncode == 0, run.stdout[-2000:]
    assert f"{len(code_cells(stored()))} passed" in run.stdout


def test_a_changed_printed_number_fails_as_after_an_execution(tmp_path):
    nb = stored()
    cell = next(c for c in code_cells(nb) if any(o.output_type == "stream" and "0" in o.text
                                                 for o in c.outputs))
    out = next(o for o in cell.outputs if o.output_type == "stream" and "0" in o.text)
    out.text = out.text.replace("0", "9", 1)
    run = nbval_on(nb, tmp_path)
    assert run.returncode == 1, run.stdout[-2000:]
    assert "Cell outputs differ" in run.stdout and "1 failed" in run.stdout


def test_a_recording_of_another_version_is_refused(tmp_path):
    nb = stored()
    code_cells(nb)[2].source += "\nx_added_later = 1"
    run = nbval_on(nb, tmp_path)
    assert run.returncode != 0
    assert "stale recording" in run.stdout and "code cell 2 differs" in run.stdout


def test_check_recording_names_what_is_wrong():
    nb = stored()
    check_recording(copy.deepcopy(nb), nb, "r")            # itself: fine
    short = copy.deepcopy(nb)
    short.cells = [c for c in short.cells if c is not code_cells(short)[-1]]
    with pytest.raises(StaleRecording, match="code cells recorded"):
        check_recording(short, nb, "r")
    unrun = copy.deepcopy(nb)
    code_cells(unrun)[3].execution_count = None
    with pytest.raises(StaleRecording, match=r"code cells \[3\] were not run"):
        check_recording(unrun, nb, "r")


def test_the_kernel_replays_each_cell_in_order(tmp_path):
    nb = stored()
    path = tmp_path / "r.ipynb"
    nbformat.write(nb, path)
    kernel = ReplayKernel(path, nb)
    first, second = code_cells(nb)[:2]
    msg_id = kernel.execute_cell_input(first.source)
    messages = []
    while True:
        m = kernel.get_message()
        assert m["parent_header"]["msg_id"] == msg_id
        if m["msg_type"] == "status":
            break
        messages.append(m)
    assert [m["msg_type"] for m in messages] == [o.output_type for o in first.outputs]
    with pytest.raises(StaleRecording, match="no recorded cell left"):
        kernel.execute_cell_input(first.source + "# edited")
    kernel.execute_cell_input(second.source)
