"""The stored notebooks are byte for byte what JupyterLab 4 saves, so opening a chapter and
saving it unchanged rewrites nothing (tools/execute_notebooks.py writes that form;
`tools/execute_notebooks.py --format-only notebooks/NN_x.ipynb` repairs a file without
executing it). The form was taken from a real JupyterLab 4.6 session that opened and saved
every chapter; tests/browser/test_lab.py repeats that round trip in the browser."""
import importlib.util
import json
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

_spec = importlib.util.spec_from_file_location("execute_notebooks",
                                               ROOT / "tools" / "execute_notebooks.py")
ex = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ex)
SPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def _first_difference(a: str, b: str) -> int:
    """1-based number of the first line where the two texts differ."""
    la, lb = a.splitlines(), b.splitlines()
    same = (i for i, (x, y) in enumerate(zip(la, lb)) if x != y)
    return next(same, min(len(la), len(lb))) + 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_stored_as_jupyterlab_saves_it(path):
    text = path.read_text(encoding="utf-8")
    expected = ex.jupyterlab_text(nbformat.reads(text, as_version=nbformat.NO_CONVERT))
    if text != expected:
        pytest.fail(f"{path.name} is not stored as JupyterLab saves it (first difference at "
                    f"line {_first_difference(text, expected)}): run "
                    f"tools/execute_notebooks.py --format-only {path.relative_to(ROOT)}")


def test_the_kernel_jupyterlab_starts_is_the_ipykernel_spec():
    assert ex.kernelspec() == SPEC


@pytest.mark.parametrize("x, js", [
    (2.0, 2), (-3.0, -3), (0.0, 0), (1e20, 100000000000000000000), (0.001, 0.001),
    (123.25, 123.25), (1e-05, "0.00001"), (1.5e-06, "0.0000015"), (1e-07, "1e-7"),
    (-2.5e-10, "-2.5e-10"), (1e21, "1e+21"), (3.5e22, "3.5e+22"),
])
def test_numbers_are_written_as_javascript_writes_them(x, js):
    # expected values: what (x).toString() prints in a browser's JavaScript console
    assert ex.js_number(x) == js


def test_a_non_finite_number_is_refused():
    with pytest.raises(ValueError, match="cannot hold the number nan"):
        ex.js_number(float("nan"))


def _notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Title \u2014 caf\u00e9\nline two"),
                nbformat.v4.new_code_cell("x = 1\nx")]
    nb.cells[1].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "1"},
                                                  execution_count=1)]
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    nb.metadata["widgets"] = {"state": {"a": {"min": -3.0, "step": 0.1, "value": 1e-05,
                                              "tiny": 1e-07, "n": 20}}}
    return nb


def test_jupyterlab_text_of_a_small_notebook():
    text = ex.jupyterlab_text(_notebook(), SPEC)
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert '"display_name": "Python 3 (ipykernel)"' in text
    assert "caf\u00e9" in text and "\\u00e9" not in text          # non-ASCII kept
    assert '\n "metadata": {\n  "kernelspec": {\n' in text         # indent 1, keys sorted
    assert '"source": [\n    "# Title \u2014 caf\u00e9\\n",\n    "line two"\n   ]' in text
    assert '"min": -3,' in text and '"step": 0.1,' in text and '"n": 20' in text
    assert '"tiny": 1e-7,' in text and '"value": 0.00001\n' in text
    back = json.loads(text)                                         # still valid JSON
    assert back["metadata"]["widgets"]["state"]["a"]["value"] == 1e-05
    assert ex.jupyterlab_text(nbformat.reads(text, as_version=4), SPEC) == text


def test_check_mode_names_a_notebook_in_another_form(tmp_path, capsys):
    good, bad = tmp_path / "01_good.ipynb", tmp_path / "02_bad.ipynb"
    good.write_text(ex.jupyterlab_text(_notebook(), SPEC), encoding="utf-8")
    nbformat.write(_notebook(), bad)                  # plain nbformat: "Python 3", -3.0
    assert ex.main(["--check", str(good)]) == 0
    assert ex.main(["--check", str(good), str(bad)]) == 1
    assert "02_bad.ipynb: not stored as JupyterLab saves it" in capsys.readouterr().out
    assert ex.main(["--format-only", str(bad)]) == 0
    assert ex.main(["--check", str(bad)]) == 0
