"""Public names of a package that load their module on first use (PEP 562), so that importing
the package imports neither torch nor SymPy (``workbench.expr.syntax`` alone, the ``check-code``
verb registered without torch)."""

from __future__ import annotations

from importlib import import_module


def lazy_exports(package: str, homes: dict[str, str]):
    """The module ``__getattr__`` of ``package`` for ``homes`` (public name: the submodule of
    ``package`` that defines it, e.g. ``{"parse": "parser"}``); an unknown name is the usual
    ``AttributeError``. Set ``__all__ = sorted(homes)`` beside it."""

    def __getattr__(name: str):
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(f"{package}.{homes[name]}"), name)

    return __getattr__
