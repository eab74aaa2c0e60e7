"""The Explorer's stored output: the live widget, its last drawing and a sentence as fallbacks."""
import matplotlib

matplotlib.use("Agg")

import base64  # noqa: E402

import pytest  # noqa: E402

pytest.importorskip("ipywidgets")

from companion.lab.explorer import Explorer  # noqa: E402

VIEW = "application/vnd.jupyter.widget-view+json"


def _explorer(draw=True, title="Line explorer"):
    import ipywidgets as w
    import matplotlib.pyplot as plt

    def compute(slope):
        return {"slope": slope, "summary": f"slope {slope}"}

    def figure(result):
        fig, ax = plt.subplots(figsize=(2, 2))
        ax.plot([0, 1], [0, result["slope"]])
        return fig

    return Explorer(compute, figure if draw else None,
                    {"slope": w.IntSlider(value=2, min=0, max=5)}, title=title)


def test_bundle_has_the_widget_the_last_drawing_and_a_sentence():
    ex = _explorer()
    bundle = ex._repr_mimebundle_()
    assert bundle[VIEW]["model_id"] == ex.box.model_id
    assert base64.b64decode(bundle["image/png"])[:8] == b"\x89PNG\r\n\x1a\n"
    assert bundle["text/plain"] == ("Line explorer: an interactive explorer. Run this cell to "
                                    "use its controls.")
    assert "VBox" not in bundle["text/plain"]


def test_the_drawing_follows_the_controls():
    ex = _explorer()
    first = ex._repr_mimebundle_()["image/png"]
    ex.update(slope=5)
    assert ex._repr_mimebundle_()["image/png"] != first


def test_without_a_drawing_only_the_sentence_is_the_fallback():
    bundle = _explorer(draw=False, title=None)._repr_mimebundle_()
    assert not any(k.startswith("image/") for k in bundle)
    assert bundle["text/plain"].startswith("Explorer: an interactive explorer. Run this cell")


def test_ipython_displays_the_bundle():
    from IPython.core.formatters import DisplayFormatter
    ex = _explorer()
    data, _ = DisplayFormatter().format(ex)
    assert data["text/plain"].startswith("Line explorer: an interactive explorer.")
    assert VIEW in data and "image/png" in data
