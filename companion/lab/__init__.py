"""What a notebook needs to show things: plots (``plots``), the widget ``Explorer``
(``explorer``), source display (``source.show_source``) and the course catalogue (``course``).
Matplotlib and ipywidgets are imported inside the functions that draw, never here."""
from companion.lab.explorer import Explorer
from companion.lab.source import show_source, source

__all__ = ["Explorer", "show_source", "source"]
