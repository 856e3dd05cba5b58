"""workbench: symbolic-vs-automatic differentiation workbench.

The public names below load their module on first use, so that ``import workbench`` (and the
command line) imports neither torch nor SymPy:

    >>> import workbench as wb
    >>> wb.check_gradient(fn, (x,), grad=my_grad)        # gradients written as code, workbench.code
"""

from importlib import import_module

__version__ = "0.1.0"

# public name: the module that defines it
_EXPORTS = {
    "check_gradient": "workbench.code",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    """A public name from its module, imported now (PEP 562)."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
