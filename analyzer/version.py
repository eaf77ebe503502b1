"""The package version, in a module of its own so any layer can name it."""

from __future__ import annotations

__version__ = "0.2.0"


def build() -> str:
    """How this installation runs: ``compiled by mypyc`` or ``pure Python`` (see setup.py).

    Asks where ``analyzer.reference`` (one of the compiled modules) would be loaded from,
    without importing it.
    """
    from importlib.util import find_spec

    spec = find_spec("analyzer.reference")
    origin = spec.origin if spec is not None else None
    return "pure Python" if origin is None or origin.endswith(".py") else "compiled by mypyc"
