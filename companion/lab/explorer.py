"""Explorers: ipywidgets controls over a pure ``compute`` function and a ``draw`` function.

    ex = Explorer(compute=run, draw=show, controls={"learning_rate": FloatLogSlider(...)})
    ex                      # in a notebook: controls, a summary line and the figure
    ex.update(learning_rate=0.5)   # in a test: sets the control, recomputes, redraws

``compute(**values) -> dict`` does the work and returns what was computed (tests assert on it);
``draw(result) -> matplotlib Figure`` draws it; ``result["summary"]`` (a string, optional) is
printed above the figure, so a change in the controls is visible as text too. Anything that
trains uses ``continuous_update=False`` sliders, so it recomputes only when a slider is released.
ipywidgets and matplotlib are imported when an Explorer is built, not at package import.

Where widgets cannot be shown (a chapter opened but not yet run, an untrusted notebook, a static
viewer), the explorer's stored output falls back to its last drawing (``image/png``) and, for
text-only viewers, a sentence telling the learner to run the cell, never the widget's repr.
"""

from __future__ import annotations

from collections.abc import Callable


class Explorer:
    def __init__(self, compute: Callable[..., dict], draw: Callable[[dict], object] | None,
                 controls: dict, title: str | None = None, run_button: bool = False):
        import ipywidgets as w
        self.compute, self.draw, self.title = compute, draw, title
        self.controls = dict(controls)
        for c in self.controls.values():
            if hasattr(c, "continuous_update"):
                c.continuous_update = False
            if "description_width" in getattr(getattr(c, "style", None), "keys", ()):
                c.style.description_width = "initial"      # show whole labels, not "hidden un..."
        self.output = w.Output()
        self.figure: dict | None = None      # the last drawing's image data (mime -> base64)
        self.result: dict | None = None
        self.error: str | None = None
        self.button = w.Button(description="Run", button_style="primary") if run_button else None
        if self.button is not None:
            self.button.on_click(lambda _: self._refresh_reporting_errors())
        else:
            for c in self.controls.values():
                c.observe(self._on_change, names="value")
        self._silent = False
        parts = [w.HTML(f"<b>{title}</b>")] if title else []
        parts += [w.HBox(list(self.controls.values())[i:i + 3])
                  for i in range(0, len(self.controls), 3)]
        if self.button is not None:
            parts.append(self.button)
        self.box = w.VBox(parts + [self.output])
        # stable DOM hooks for the browser tests (tests/browser) and for styling
        self.box.add_class("companion-explorer")
        self.output.add_class("companion-explorer-output")
        for c in self.controls.values():
            if hasattr(c, "add_class"):
                c.add_class("companion-explorer-control")
        if self.button is not None:
            self.button.add_class("companion-explorer-run")
        self.refresh()

    def _on_change(self, _change) -> None:
        if not self._silent:
            self._refresh_reporting_errors()

    def _refresh_reporting_errors(self) -> None:
        """From a widget event: an unexpected error is shown in the output area as a traceback
        (raising it into the widget machinery would only reach the kernel's log)."""
        try:
            self.refresh()
        except Exception as exc:       # noqa: BLE001 - shown to the learner, not swallowed
            import traceback
            self.output.outputs = ({"output_type": "error", "ename": type(exc).__name__,
                                    "evalue": str(exc),
                                    "traceback": traceback.format_exception(exc)},)

    def values(self) -> dict:
        return {k: c.value for k, c in self.controls.items()}

    def refresh(self) -> dict | None:
        """Recompute from the current control values and redraw into the output area.

        The output area's content is replaced in one step by setting the Output widget's
        ``outputs`` (the summary line, then the figure), not by capturing printed output with
        ``with output:``. Capturing routes messages by the id of the request being handled,
        and in a live JupyterLab the kernel may start on the front end's next widget message
        (the Output widget echoing its state) before a callback has finished, so the figure
        of a redraw was attributed to that other message and lost (seen in the browser tests:
        a blank or half-drawn figure after moving a slider).
        """
        import matplotlib.pyplot as plt
        self.error = None
        outputs = []
        try:
            self.result = self.compute(**self.values())
        except (ValueError, FloatingPointError, ArithmeticError) as exc:
            # bad settings (a diverging learning rate...) are reported, never raised into
            # the widget machinery where they would vanish or break the kernel's display
            self.result, self.error = None, f"{type(exc).__name__}: {exc}"
            self.output.outputs = (_stream(self.error),)
            return None
        if self.result.get("summary"):
            outputs.append(_stream(str(self.result["summary"])))
        if self.draw is not None:
            fig = self.draw(self.result)
            if fig is not None:
                try:
                    outputs.append(_figure_output(fig))
                finally:
                    plt.close(fig)
                self.figure = {k: v for k, v in outputs[-1]["data"].items()
                               if k.startswith("image/")} or None
        self.output.outputs = tuple(outputs)
        return self.result

    def update(self, **values) -> dict | None:
        """Set controls (by name) and recompute once. Used by tests and exercises."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise KeyError(f"unknown control(s) {sorted(unknown)}; have {sorted(self.controls)}")
        self._silent = True
        try:
            for k, v in values.items():
                self.controls[k].value = v
        finally:
            self._silent = False
        return self.refresh()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        """The live widget, with fallbacks for a front end that cannot show it: the last
        drawing (image/png), then a sentence (text/plain) instead of the widget's repr."""
        bundle = {k: v for k, v in self.box._repr_mimebundle_().items() if k != "text/plain"}
        bundle.update(self.figure or {})
        bundle["text/plain"] = (f"{self.title or 'Explorer'}: an interactive explorer. Run this "
                                "cell to use its controls.")
        return bundle


def _stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text.rstrip("\n") + "\n"}


def _figure_output(fig) -> dict:
    """A display_data output for a matplotlib figure, formatted as the notebook would show it
    (the inline backend's formats when an IPython shell is running, else a PNG)."""
    import base64
    import io
    data, metadata = None, {}
    try:
        from IPython import get_ipython
        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None:
        data, metadata = shell.display_formatter.format(fig)
    if not data or not any(k.startswith("image/") for k in data):
        buf = io.BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight")
        data = {"image/png": buf.getvalue(), "text/plain": repr(fig)}
    clean = {k: (base64.b64encode(v).decode("ascii") if isinstance(v, bytes) else v)
             for k, v in data.items()}
    return {"output_type": "display_data", "data": clean, "metadata": metadata or {}}
