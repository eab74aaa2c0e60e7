"""Notebook helpers: show the package's own code inside a chapter, rendered as Python."""

from __future__ import annotations

import inspect


def source(*objects) -> str:
    """The source text of functions, classes or methods, separated by blank lines."""
    return "\n\n".join(inspect.getsource(obj).rstrip() for obj in objects)


def show_source(*objects) -> None:
    """Display the source of ``objects`` as a highlighted code block (used in every chapter).

    The notebook shows the code that runs; it never keeps a second copy of it.
    """
    from IPython.display import Markdown, display
    for obj in objects:
        module = getattr(inspect.getmodule(obj), "__name__", "")
        display(Markdown(f"`{module}.{obj.__qualname__}`\n```python\n{source(obj)}\n```"))
