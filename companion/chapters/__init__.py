"""One module per chapter (``ch01`` ... ``ch12``): the experiment drivers, figures and explorers
that only that chapter uses. A chapter module imports the library (``companion.nn``, ``data``,
``models``, ``lab``), never another chapter. Import one as ``from companion.chapters import ch04``.
"""
__all__: list[str] = []
